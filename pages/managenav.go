package pages

import (
	"context"
	"io"

	"github.com/a-h/templ"
)

// manageNavList is the list of the manage navigation:
//
//	<ul><li><a href="/account/manage" aria-current="page" class="active" id="nav-profile">Profile</a></li>…</ul>
//
// with "External logins" only when a provider is configured. Every manage
// page renders it, so it is written in Go from tags built once (the hrefs
// and ids are constants) rather than by templ, which formats each
// attribute expression with fmt.Sprint (docs/performance.md).
type manageNavList struct {
	c      Common
	active string
}

// navOpen are the opening tags of each entry, plain and active, after
// `<li><a href="` and the base path.
var navOpen = func() map[string][2]string {
	m := map[string][2]string{}
	for _, it := range manageNav {
		href, id := templ.EscapeString(it.Href), templ.EscapeString(it.ID)
		m[it.Nav] = [2]string{
			href + `" id="` + id + `">`,
			href + `" aria-current="page" class="active" id="` + id + `">`,
		}
	}
	return m
}()

// Render writes the list.
func (n manageNavList) Render(ctx context.Context, w io.Writer) error {
	hw := newHTMLWriter(w)
	base := templ.EscapeString(BasePath(ctx))
	hw.put("<ul>")
	for _, it := range manageNav {
		if it.Nav == NavExternal && !n.c.ExternalLogins {
			continue
		}
		open := navOpen[it.Nav]
		hw.put(`<li><a href="`)
		hw.put(base)
		if it.Nav == n.active {
			hw.put(open[1])
		} else {
			hw.put(open[0])
		}
		hw.put(n.c.Messages.HTML(it.Key))
		hw.put("</a></li>")
	}
	hw.put("</ul>")
	return hw.err
}
