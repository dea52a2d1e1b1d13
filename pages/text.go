package pages

import (
	"context"
	"github.com/accountportal/portal/messages"
	"io"
	"strings"
	"time"

	"github.com/a-h/templ"
)

// Text is a string as a component: @Text(s) writes s HTML-escaped, as
// { s } does in a templ file, but without the fmt.Sprint that templ's
// generated code runs for every { expression } (with the message
// catalogue, a large part of a page's render time; docs/performance.md).
type Text string

// Render writes the text, escaped.
func (t Text) Render(_ context.Context, w io.Writer) error {
	_, err := io.WriteString(w, templ.EscapeString(string(t)))
	return err
}

// Escaped is text already HTML-escaped, as a component: what Msg and
// Plural return, the catalogue's messages escaped once when it was built
// (messages.Catalog.HTML) with their values escaped as they are filled
// in. Never convert anything else to Escaped: it is written as it is
// (use Text).
type Escaped string

// Render writes the escaped text as it is.
func (t Escaped) Render(_ context.Context, w io.Writer) error {
	_, err := io.WriteString(w, string(t))
	return err
}

// Msg is T as a component, for the text between tags:
// <h1>@v.Msg("login.title")</h1>.
func (c Common) Msg(key string, args ...any) Escaped { return Escaped(c.Messages.HTML(key, args...)) }

// N returns the plural message key (its base: "lockout.explanation" for
// lockout.explanation_one, _other, …) in the form the count n takes in the
// page's language (CLDR plural rules).
func (c Common) N(key string, n int, args ...any) string { return c.Messages.N(key, n, args...) }

// Plural is N as a component, for the text between tags.
func (c Common) Plural(key string, n int, args ...any) Escaped {
	return Escaped(c.Messages.NHTML(key, n, args...))
}

// Time formats t with the Go time layout of the message layoutKey in the
// page's language (month names and digits; see messages.Catalog.Time).
// The time is shown in the reader's time zone (Location; UTC when nil).
func (c Common) Time(t time.Time, layoutKey string) string {
	return c.Messages.Time(InZone(t, c.Location), layoutKey)
}

// Since is how long ago t was, with the messages of key: within a minute
// key_now, within an hour key_minutes (plural, {count}), within a day
// key_hours; older (or with no Now) key with {time} as Time writes it with
// layoutKey (issue 18 item 9: relative times where they read better).
func (c Common) Since(t time.Time, key, layoutKey string) string {
	return Since(c.Messages, c.Now, c.Location, t, key, layoutKey)
}

// Since is Common.Since for a catalogue, the time now and a time zone
// (the theme's {{since}}).
func Since(cat *messages.Catalog, now time.Time, loc *time.Location, t time.Time, key, layoutKey string) string {
	d := now.Sub(t)
	switch {
	case now.IsZero() || d < 0 || d >= 24*time.Hour:
		return cat.T(key, "time", cat.Time(InZone(t, loc), layoutKey))
	case d < time.Minute:
		return cat.T(key + "_now")
	case d < time.Hour:
		m := int(d / time.Minute)
		return cat.N(key+"_minutes", m, "count", m)
	default:
		h := int(d / time.Hour)
		return cat.N(key+"_hours", h, "count", h)
	}
}

// InZone is t in loc, or in UTC when loc is nil.
func InZone(t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		return t.UTC()
	}
	return t.In(loc)
}

// Address is an email address as a component: escaped, with line-break
// opportunities (<wbr>) after the "@" and before each ".", so that a long
// address on a phone wraps there and not in the middle of a word.
type Address string

// Render writes the address.
func (a Address) Render(_ context.Context, w io.Writer) error {
	_, err := io.WriteString(w, AddressHTML(string(a)))
	return err
}

// AddressHTML is the HTML of Address: s escaped, with <wbr> after "@" and
// before ".".
func AddressHTML(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r == '.' && i > 0 {
			b.WriteString("<wbr>")
		}
		b.WriteString(templ.EscapeString(string(r)))
		if r == '@' {
			b.WriteString("<wbr>")
		}
	}
	return b.String()
}
