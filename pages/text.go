package pages

import (
	"context"
	"io"
	"strings"

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

// Msg is T as a component, for the text between tags:
// <h1>@v.Msg("login.title")</h1>.
func (c Common) Msg(key string, args ...any) Text { return Text(c.T(key, args...)) }

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
