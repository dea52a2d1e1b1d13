// Package messages is Portal's message catalogue: every piece of text a
// person reads on a page (headings, labels, hints, buttons, links, status
// and validation messages) has a stable key, such as "login.title", and
// the built-in English wording lives in the TOML files under defaults/.
//
// A theme's messages.toml overrides any of them by key:
//
//	[login]
//	title = "Welcome back"
//	submit = "Let me in"
//
// TOML's tables make "[login] title" the key "login.title". A message may
// hold named placeholders in braces ("At least {min} characters."); an
// override may use the placeholders of the message it replaces, no others.
// Overriding is checked when the theme loads (fail fast): an unknown key, a
// value that is not a string, or an unknown placeholder is refused with the
// file and the key named.
//
// Languages: English is defaults/; every other built-in language is a
// directory named by its BCP 47 tag (de/, fr/, es/, ar/) holding files of
// the same names with the same keys. A key missing in a language falls
// back to English. A theme adds or rewords a language with
// messages.<lang>.toml. Plural messages are keys ending in a CLDR plural
// form (_zero, _one, _two, _few, _many, _other); N picks the form of a
// count by the language's CLDR rules.
package messages

import (
	"bytes"
	"embed"
	"fmt"
	"html"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
)

//go:embed */*.toml
var defaultFiles embed.FS

// Catalog maps message keys to text in one language. A Catalog is
// immutable and safe for concurrent use; the nil *Catalog is the built-in
// English catalogue.
type Catalog struct {
	text map[string]string
	// plurals holds the forms of every plural message by its base key
	// ("errors.min_length"), indexed by plural.Form, so that N looks a
	// form up without building a key.
	plurals map[string]*forms
	// htmlText and htmlPlurals are text and plurals HTML-escaped once,
	// when the catalogue is built, for HTML and NHTML: a page writes its
	// messages without escaping them again at every render (issue 22's
	// budget: a language written with more bytes per letter costs more to
	// escape). A message with nothing to escape shares its string.
	htmlText    map[string]string
	htmlPlurals map[string]*forms
	loc         *locale
}

var (
	defaultOnce sync.Once
	defaultCat  *Catalog
	defaultErr  error
	// defaultFrom says which file under defaults/ defines each key.
	defaultFrom map[string]string
)

func loadDefaults() {
	defaultCat = &Catalog{text: map[string]string{}, loc: newLocale("en")}
	defaultFrom = map[string]string{}
	files, err := fs.Glob(defaultFiles, "defaults/*.toml")
	if err != nil {
		defaultErr = err
		return
	}
	for _, f := range files {
		src, err := defaultFiles.ReadFile(f)
		if err != nil {
			defaultErr = err
			return
		}
		flat, err := parse(src)
		if err != nil {
			defaultErr = fmt.Errorf("messages: %s: %w", f, err)
			return
		}
		for k, v := range flat {
			if prev, dup := defaultFrom[k]; dup {
				defaultErr = fmt.Errorf("messages: key %q is in both %s and %s", k, prev, f)
				return
			}
			defaultFrom[k] = path.Base(f)
			defaultCat.text[k] = v
		}
	}
	defaultCat.index()
}

// Default returns the built-in catalogue. It panics if the embedded files
// are broken, which a test catches before any build ships.
func Default() *Catalog {
	defaultOnce.Do(loadDefaults)
	if defaultErr != nil {
		panic(defaultErr)
	}
	return defaultCat
}

// Keys returns every key of the built-in catalogue, sorted.
func Keys() []string {
	d := Default()
	keys := make([]string, 0, len(d.text))
	for k := range d.text {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Has reports whether key is in the built-in catalogue.
func Has(key string) bool {
	_, ok := Default().text[key]
	return ok
}

// Valid reports whether a translation may define key: a key of the
// built-in catalogue, or another CLDR plural form of one of its plural
// messages (errors.min_length_few when errors.min_length_other is one).
func Valid(key string) bool {
	if Has(key) {
		return true
	}
	base, _, ok := splitPlural(key)
	return ok && Has(base+"_other")
}

// allowedPlaceholders are the placeholders a translation of key may use:
// the English message's, or for a plural message those of every English
// form (the English "_one" form may spell out "1" where another
// language's "_one" needs {n}).
func allowedPlaceholders(key string) []string {
	d := Default()
	base, _, plural := splitPlural(key)
	if !plural || !Has(base+"_other") {
		return Placeholders(d.text[key])
	}
	var out []string
	for _, f := range formNames {
		if s, ok := d.text[base+"_"+f]; ok {
			out = append(out, Placeholders(s)...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// T returns the text of key with the placeholders filled in from args,
// which are name/value pairs: T("register.password_hint", "min", 12).
// A missing key returns the key itself (and a test fails on it); a
// placeholder without a value is left as it is.
func (c *Catalog) T(key string, args ...any) string {
	if c == nil {
		c = Default()
	}
	return c.message(key, args, false)
}

// HTML is T HTML-escaped, for a page's text: the message as escaped when
// the catalogue was built, with the values of args escaped as they are
// filled in. Escaping works letter by letter, so HTML(key, args...) is
// html.EscapeString(T(key, args...)) (TestHTMLIsEscapedT) without
// scanning the message at every render.
func (c *Catalog) HTML(key string, args ...any) string {
	if c == nil {
		c = Default()
	}
	return c.message(key, args, true)
}

// message is T or, with escape, HTML: the text of key in c, else in the
// English catalogue, else the key itself.
func (c *Catalog) message(key string, args []any, escape bool) string {
	s, ok := c.texts(escape)[key]
	if !ok {
		if s, ok = Default().texts(escape)[key]; !ok {
			if escape {
				return html.EscapeString(key)
			}
			return key
		}
	}
	if len(args) == 0 || strings.IndexByte(s, '{') < 0 {
		return s
	}
	return c.fill(s, args, escape)
}

// texts is text, or with escape its escaped copy.
func (c *Catalog) texts(escape bool) map[string]string {
	if escape {
		return c.htmlText
	}
	return c.text
}

// fill replaces {name} in s with the value that follows name in args
// (numbers written the catalogue's language's way), HTML-escaped when
// escape (s is then already escaped).
func (c *Catalog) fill(s string, args []any, escape bool) string {
	// Room for the text and every value at once: one allocation.
	n := len(s)
	for k := 1; k < len(args); k += 2 {
		if v, ok := args[k].(string); ok {
			n += len(v)
		} else {
			n += 24 // a number in any script
		}
	}
	var b strings.Builder
	b.Grow(n)
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			break
		}
		name := s[i+1 : i+j]
		val, found := "", false
		for k := 0; k+1 < len(args); k += 2 {
			if n, _ := args[k].(string); n == name {
				val, found = c.format(args[k+1]), true
				if escape {
					val = html.EscapeString(val)
				}
				break
			}
		}
		b.WriteString(s[:i])
		if found {
			b.WriteString(val)
		} else {
			b.WriteString(s[i : i+j+1])
		}
		s = s[i+j+1:]
	}
	b.WriteString(s)
	return b.String()
}

// Placeholders returns the names of the {placeholders} in s, in order.
func Placeholders(s string) []string {
	var out []string
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			return out
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return out
		}
		if name := s[i+1 : i+j]; validName(name) {
			out = append(out, name)
		}
		s = s[i+j+1:]
	}
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// Parse reads a messages.toml: overrides of the built-in catalogue by key.
// It returns the built-in catalogue with the overrides applied, or an
// error naming every key that is wrong (unknown, not a string, or with a
// placeholder the built-in message does not have).
func Parse(src []byte) (*Catalog, error) {
	return Default().Override(src)
}

// Override returns c with the messages of src (a messages.toml or
// messages.<lang>.toml) over its own, in c's language; the nil catalogue
// is the built-in English one. The checks are Parse's.
func (c *Catalog) Override(src []byte) (*Catalog, error) {
	if c == nil {
		c = Default()
	}
	flat, err := parse(src)
	if err != nil {
		return nil, err
	}
	if err := Check(flat); err != nil {
		return nil, err
	}
	return c.with(c.loc, flat), nil
}

// Check returns an error naming every key of flat that a catalogue may
// not hold: unknown (see Valid) or with a placeholder its English message
// does not have.
func Check(flat map[string]string) error {
	var problems []string
	keys := make([]string, 0, len(flat))
	for k := range flat {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !Valid(k) {
			problems = append(problems, fmt.Sprintf("unknown key %q%s", k, suggest(k)))
			continue
		}
		allowed := allowedPlaceholders(k)
		for _, p := range slices.Compact(slices.Sorted(slices.Values(Placeholders(flat[k])))) {
			if !slices.Contains(allowed, p) {
				if len(allowed) == 0 {
					problems = append(problems, fmt.Sprintf("%s: unknown placeholder {%s} (this message has none)", k, p))
				} else {
					problems = append(problems, fmt.Sprintf("%s: unknown placeholder {%s} (this message has {%s})", k, p, strings.Join(allowed, "}, {")))
				}
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// with returns a copy of c in locale loc with the messages of over on top.
func (c *Catalog) with(loc *locale, over map[string]string) *Catalog {
	n := &Catalog{text: make(map[string]string, len(c.text)+len(over)), loc: loc}
	for k, v := range c.text {
		n.text[k] = v
	}
	for k, v := range over {
		n.text[k] = v
	}
	n.index()
	return n
}

// suggest names the page section a mistyped key was probably meant for.
func suggest(k string) string {
	section, _, ok := strings.Cut(k, ".")
	if !ok {
		return " (keys are \"section.name\", e.g. [login] title = \"...\")"
	}
	var near []string
	for _, key := range Keys() {
		if strings.HasPrefix(key, section+".") {
			near = append(near, strings.TrimPrefix(key, section+"."))
		}
	}
	if len(near) == 0 {
		return fmt.Sprintf(" (there is no section [%s]; `portal theme init` writes every key to messages.toml)", section)
	}
	return fmt.Sprintf(" ([%s] has %s)", section, strings.Join(near, ", "))
}

// parse decodes TOML into a flat map of dotted keys to strings.
func parse(src []byte) (map[string]string, error) {
	var raw map[string]any
	if _, err := toml.NewDecoder(bytes.NewReader(src)).Decode(&raw); err != nil {
		return nil, err
	}
	flat := map[string]string{}
	var problems []string
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			key := k
			if prefix != "" {
				key = prefix + "." + k
			}
			switch v := v.(type) {
			case string:
				flat[key] = v
			case map[string]any:
				walk(key, v)
			default:
				problems = append(problems, fmt.Sprintf("%s: a message must be a string, not %T", key, v))
			}
		}
	}
	walk("", raw)
	if len(problems) > 0 {
		slices.Sort(problems)
		return nil, fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return flat, nil
}

// Template returns a messages.toml that lists every key of the built-in
// catalogue with its text, commented out, under its section's table and
// with the explanations of the built-in files: a starter file for `portal
// theme init`. Uncomment a line to change that message.
func Template() []byte {
	var b bytes.Buffer
	b.WriteString("# Wording overrides for Portal's pages, by key. Every message is listed\n")
	b.WriteString("# below with its built-in text, commented out: uncomment a line and change\n")
	b.WriteString("# the text to override it. A {placeholder} is filled in by Portal; keep the\n")
	b.WriteString("# ones you need, add no others. `portal theme check DIR` checks this file.\n")
	files, _ := fs.Glob(defaultFiles, "defaults/*.toml")
	for _, f := range files {
		src, _ := defaultFiles.ReadFile(f)
		fmt.Fprintf(&b, "\n# ---- %s ----\n", strings.TrimSuffix(path.Base(f), ".toml"))
		for _, line := range strings.SplitAfter(string(src), "\n") {
			if keyLine.MatchString(line) {
				b.WriteString("# ")
			}
			b.WriteString(line)
		}
	}
	return b.Bytes()
}

// keyLine matches a "name = value" line of the built-in files.
var keyLine = regexp.MustCompile(`^[a-z0-9_]+\s*=`)

// Transform returns the built-in catalogue with every message replaced by
// f(key, text): pseudo-translations for tests that find text which does
// not come from the catalogue.
func Transform(f func(key, text string) string) *Catalog {
	return Default().Transform(f)
}

// Transform returns c with every message replaced by f(key, text).
func (c *Catalog) Transform(f func(key, text string) string) *Catalog {
	if c == nil {
		c = Default()
	}
	n := &Catalog{text: make(map[string]string, len(c.text)), loc: c.loc}
	for k, v := range c.text {
		n.text[k] = f(k, v)
	}
	n.index()
	return n
}
