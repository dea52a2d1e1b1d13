package theme

import (
	"bytes"
	"context"
	"html/template"
	"io"

	"github.com/a-h/templ"

	"github.com/accountportal/portal/pages"
)

// Fallback is a part of a page that failed to render and was replaced by
// the built-in one: the caller logs it (the server) or shows it (the
// preview).
type Fallback struct {
	// What happened, for a log line: "theme page override failed; serving
	// the built-in page", …
	What string
	// File is the theme file that failed ("pages/login.html"), or "" for a
	// Go page override.
	File string
	Err  error
}

// RenderPage renders page with view into w the way the server serves it:
// the content from the theme's pages/<name>.html, else override (a Go page
// override; nil for none), else the built-in component; wrapped in the
// theme's layout.html, else the built-in layout. A theme file or override
// that fails is reported as a Fallback and the built-in part is used
// instead; err is a failure of the built-in page itself. A nil *Theme is no
// theme.
func (t *Theme) RenderPage(ctx context.Context, w io.Writer, page pages.Page, view pages.View, vars Vars, override func(w io.Writer) error) (fallbacks []Fallback, err error) {
	themed, layout := t.Page(page.Name), t.Layout()
	var body bytes.Buffer
	done := false
	if themed != nil {
		if err := themed.Execute(&body, view, vars); err != nil {
			fallbacks = append(fallbacks, Fallback{What: "theme page override failed; serving the built-in page", File: themed.File, Err: err})
			body.Reset()
		} else {
			done = true
		}
	}
	if !done && override != nil {
		if err := override(&body); err != nil {
			fallbacks = append(fallbacks, Fallback{What: "page override failed; serving the built-in page", Err: err})
			body.Reset()
		} else {
			done = true
		}
	}
	if !done {
		if err := page.Body(view).Render(ctx, &body); err != nil {
			return fallbacks, err
		}
	}
	cm := view.PageCommon()
	cm.Page = page.Name
	if layout != nil {
		var out bytes.Buffer
		err := layout.Execute(&out, LayoutData{Common: cm, Body: template.HTML(body.String()), Page: page.Name}, vars)
		if err == nil {
			_, err = w.Write(out.Bytes())
			return fallbacks, err
		}
		fallbacks = append(fallbacks, Fallback{What: "theme layout failed; using the built-in layout", File: layout.File, Err: err})
	}
	return fallbacks, pages.WithLayout(cm, templ.Raw(body.String())).Render(ctx, w)
}
