package messages

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
	"golang.org/x/text/message"
	"golang.org/x/text/number"
)

// locale is what a language decides besides its words: plural rules,
// digits and grouping of numbers, text direction, its own name. It is
// worked out once per catalogue, so that formatting allocates no more
// than the English way.
type locale struct {
	lang string
	tag  language.Tag
	rtl  bool
	name string
	// small caches the plural form of 0..len(small)-1.
	small [200]plural.Form
	// digits are the language's digits 0-9 ("" for ASCII); group separates
	// thousands ("" for none).
	digits [10]string
	ascii  bool
	group  string
}

// rtlScripts are the scripts written right to left.
var rtlScripts = map[string]bool{"Arab": true, "Hebr": true, "Thaa": true, "Syrc": true, "Nkoo": true, "Adlm": true, "Rohg": true, "Mand": true, "Samr": true}

func newLocale(lang string) *locale {
	tag := language.Make(lang)
	l := &locale{lang: lang, tag: tag, ascii: true}
	script, _ := tag.Script()
	l.rtl = rtlScripts[script.String()]
	l.name = display.Self.Name(tag)
	if l.name == "" {
		l.name = lang
	}
	for n := range l.small {
		l.small[n] = plural.Cardinal.MatchPlural(tag, n, 0, 0, 0, 0)
	}
	p := message.NewPrinter(tag)
	for d := range 10 {
		l.digits[d] = p.Sprint(number.Decimal(d))
		if l.digits[d] != strconv.Itoa(d) {
			l.ascii = false
		}
	}
	// The separator is what stands between the first and the second
	// digit of a million.
	million := p.Sprint(number.Decimal(1234567))
	first := l.digits[1]
	if rest, ok := strings.CutPrefix(million, first); ok {
		if i := strings.Index(rest, l.digits[2]); i > 0 {
			l.group = rest[:i]
		}
	}
	return l
}

func (l *locale) pluralForm(n int) plural.Form {
	if n < len(l.small) {
		return l.small[n]
	}
	return plural.Cardinal.MatchPlural(l.tag, n%10000000, 0, 0, 0, 0)
}

// format writes a placeholder's value: whole numbers in the language's
// digits and grouping, everything else as fmt.Sprint does.
func (c *Catalog) format(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case int:
		return c.Number(int64(v))
	case int64:
		return c.Number(v)
	case int32:
		return c.Number(int64(v))
	case uint:
		return c.Number(int64(v))
	case uint32:
		return c.Number(int64(v))
	case fmt.Stringer:
		return v.String()
	}
	return fmt.Sprint(v)
}

// Number writes a whole number the language's way: "1,234" in English,
// "1.234" in German, "١٬٢٣٤" in Arabic.
func (c *Catalog) Number(n int64) string {
	if c == nil {
		c = Default()
	}
	l := c.loc
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	if l.ascii && (len(s) < 4 || l.group == "") {
		if neg {
			return "-" + s
		}
		return s
	}
	var b strings.Builder
	b.Grow(len(s) * 3)
	if neg {
		b.WriteByte('-')
	}
	for i := 0; i < len(s); i++ {
		if i > 0 && (len(s)-i)%3 == 0 && len(s) >= 4 {
			b.WriteString(l.group)
		}
		b.WriteString(l.digits[s[i]-'0'])
	}
	return b.String()
}

// Time formats t with the Go time layout of the message layoutKey (the
// keys ending in _format), the names of months written in the language
// (date.month_1 … date.month_12, date.month_short_1 …) and the digits the
// language's.
func (c *Catalog) Time(t time.Time, layoutKey string) string {
	if c == nil {
		c = Default()
	}
	return c.FormatTime(t, c.T(layoutKey))
}

// FormatTime formats t with the Go time layout in the catalogue's
// language (see Time).
func (c *Catalog) FormatTime(t time.Time, layout string) string {
	if c == nil {
		c = Default()
	}
	if c.loc.lang == "en" && c == Default() {
		return t.Format(layout)
	}
	// One allocation, as t.Format: the pieces are formatted into buffers
	// on the stack and the result is made once, at its size.
	var buf [160]byte
	var tmp [64]byte
	out := buf[:0]
	for layout != "" {
		i, name, short := monthToken(layout)
		part := layout
		if i >= 0 {
			part = layout[:i]
		}
		if part != "" {
			out = c.appendDigits(out, t.AppendFormat(tmp[:0], part))
		}
		if i < 0 {
			break
		}
		m := int(t.Month())
		if short {
			out = append(out, c.T(monthShortKeys[m])...)
		} else {
			out = append(out, c.T(monthKeys[m])...)
		}
		layout = layout[i+len(name):]
	}
	return string(out)
}

// appendDigits appends s with its ASCII digits in the language's. ASCII
// digits are single bytes that no other UTF-8 sequence contains, so the
// rest is copied byte by byte.
func (c *Catalog) appendDigits(out, s []byte) []byte {
	if c.loc.ascii {
		return append(out, s...)
	}
	for _, ch := range s {
		if ch >= '0' && ch <= '9' {
			out = append(out, c.loc.digits[ch-'0']...)
		} else {
			out = append(out, ch)
		}
	}
	return out
}

var monthKeys, monthShortKeys [13]string

func init() {
	for m := 1; m <= 12; m++ {
		monthKeys[m] = "date.month_" + strconv.Itoa(m)
		monthShortKeys[m] = "date.month_short_" + strconv.Itoa(m)
	}
}

// monthToken finds the first month name token of a Go layout ("January"
// or "Jan").
func monthToken(layout string) (int, string, bool) {
	i := strings.Index(layout, "Jan")
	if i < 0 {
		return -1, "", false
	}
	if strings.HasPrefix(layout[i:], "January") {
		return i, "January", false
	}
	return i, "Jan", true
}
