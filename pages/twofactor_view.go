package pages

import (
	"context"
	"io"
	"strings"

	"github.com/a-h/templ"
)

// KeyGroups are the groups of FormattedKey: the page shows each unbroken,
// so a narrow screen wraps the key between groups, never inside one
// (issue 18 item 8).
func (v EnableAuthenticatorView) KeyGroups() []string { return strings.Fields(v.FormattedKey) }

// keyGroups writes each group in a span.key-group, one space between
// groups (in Go: templ would add white space around the spans).
func keyGroups(groups []string) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		hw := newHTMLWriter(w)
		for i, g := range groups {
			if i > 0 {
				hw.put(" ")
			}
			hw.put(`<span class="key-group">`, templ.EscapeString(g), `</span>`)
		}
		return hw.err
	})
}
