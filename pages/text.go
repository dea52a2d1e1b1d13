package pages

import (
	"context"
	"io"

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
