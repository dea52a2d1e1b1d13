// Package preview is the designer's workbench (`portal theme preview`):
// every page of the registry in every sample state, and every mail, with a
// theme directory or the built-in look, at phone and desktop width, light
// and dark — without a database, an account or a restart.
//
// The preview's URL space is its snapshot's file layout: index.html,
// pages/NAME-N.html (one sample, four frames side by side),
// frames/NAME-N.html and frames/NAME-N.dark.html (the page itself),
// mail/NAME.html (one message), mail/NAME.msg.html and mail/NAME.txt (its
// two bodies), static/FILE and static/dark/FILE (the assets). Every link is
// relative, so the server and a snapshot written with --snapshot are the
// same documents.
//
// The theme directory is read again whenever a file in it changes
// (compared by content on each request), so an edit shows on the next
// reload. A theme that does not load — a template that does not parse or
// does not render a sample — shows the error `portal theme check` prints
// on every page, and the preview keeps serving.
package preview

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/accountportal/portal/mail"
	"github.com/accountportal/portal/messages"
	"github.com/accountportal/portal/pages"
	"github.com/accountportal/portal/static"
	"github.com/accountportal/portal/theme"
)

// Preview serves (ServeHTTP) or writes (Snapshot) the gallery of one theme
// directory; "" is the built-in look.
type Preview struct {
	dir  string
	lang string // "" is English (the theme's messages.toml)

	mu  sync.Mutex
	sum [32]byte // of the theme's files when cur was loaded
	cur *loaded
}

// New returns the preview of the theme directory dir ("" for none). It
// reads nothing yet.
func New(dir string) *Preview { return &Preview{dir: dir} }

// NewIn is New showing every page and mail in the language lang (a BCP 47
// tag: a built-in language or one the theme's messages.<lang>.toml adds;
// "" is English), as a reader of that language sees them: its words,
// <html lang dir> (right to left for Arabic), its plural forms and dates.
func NewIn(dir, lang string) *Preview { return &Preview{dir: dir, lang: lang} }

// catalog is the catalogue of the preview's language.
func (p *Preview) catalog(l *loaded) (*messages.Catalog, error) {
	if p.lang == "" || p.lang == "en" {
		return l.th.Messages(), nil
	}
	if c := l.th.Catalog(p.lang); c != nil {
		return c, nil
	}
	return nil, &themeError{fmt.Errorf("language %q: the languages are %s (a theme adds one with messages.<lang>.toml)", p.lang, strings.Join(l.th.Languages(), ", "))}
}

// loaded is the theme as read at one moment, or the error reading it.
type loaded struct {
	err    error
	th     *theme.Theme
	assets *static.Assets
	mails  *mail.Templates
}

// CheckAddr refuses an address to listen on that is not a loopback one:
// the preview is a designer's local tool, never a public server.
func CheckAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("preview address %q: %v", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("preview address %q: the preview listens on a loopback address only (127.0.0.1, ::1 or localhost)", addr)
}

// load returns the theme as it is now on disk, reading it again when a
// file changed since the last call.
func (p *Preview) load() *loaded {
	sum, err := theme.Fingerprint(p.dir)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err == nil && p.cur != nil && sum == p.sum {
		return p.cur
	}
	if err != nil {
		p.cur, p.sum = &loaded{err: fmt.Errorf("theme %s: %w", p.dir, err)}, [32]byte{}
		return p.cur
	}
	p.cur, p.sum = read(p.dir), sum
	return p.cur
}

// read loads the theme the way the server does at start: the same checks,
// the same error text as `portal theme check`.
func read(dir string) *loaded {
	th, err := theme.Load(dir)
	if err != nil {
		return &loaded{err: err}
	}
	mails, err := mail.LoadTemplates(th.Mail, slog.New(slog.DiscardHandler))
	if err != nil {
		return &loaded{err: fmt.Errorf("theme %s: %w", dir, err)}
	}
	assets, err := static.Load(th.Static, static.Embedded())
	if err != nil {
		return &loaded{err: fmt.Errorf("theme %s: %w", dir, err)}
	}
	// Every document lives one directory below the root (pages/, frames/,
	// mail/), so the assets are at ../static/.
	th.SetAssetURL(func(name string) string { return "../" + strings.TrimPrefix(assets.URL(name), "/") })
	return &loaded{th: th, assets: assets, mails: mails}
}

// Document is one file of the gallery.
type Document struct {
	Path        string // relative, e.g. "frames/login-1.html"
	ContentType string
	Body        []byte
}

// ErrNotFound is Render's answer for a path the gallery does not have.
var ErrNotFound = errors.New("preview: no such document")

// ServeHTTP serves the gallery; GET / is index.html.
func (p *Preview) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "The preview only shows pages.", http.StatusMethodNotAllowed)
		return
	}
	doc, err := p.Render(r.Context(), strings.TrimPrefix(r.URL.Path, "/"))
	w.Header().Set("Cache-Control", "no-store")
	var te *themeError
	switch {
	case errors.Is(err, ErrNotFound):
		http.Error(w, "No such page in the preview; start at /.", http.StatusNotFound)
		return
	case errors.As(err, &te):
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		w.Write(errorPage(te.err))
		return
	case err != nil:
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", doc.ContentType)
	w.Write(doc.Body)
}

// themeError is a theme that does not load: every document shows it.
type themeError struct{ err error }

func (e *themeError) Error() string { return e.err.Error() }

// Render builds the document at path ("" is index.html).
func (p *Preview) Render(ctx context.Context, docPath string) (Document, error) {
	if docPath == "" {
		docPath = "index.html"
	}
	l := p.load()
	if rest, ok := strings.CutPrefix(docPath, "static/"); ok {
		if l.err != nil { // the error page has its own style

			return Document{}, ErrNotFound
		}
		return l.asset(rest)
	}
	if l.err != nil {
		return Document{}, &themeError{l.err}
	}
	dir, file := path.Split(docPath)
	switch {
	case dir == "" && file == "index.html":
		b, err := p.index()
		return html(docPath, b, err)
	case dir == "pages/":
		name, n, ok := sampleOf(strings.TrimSuffix(file, ".html"))
		if !ok || !strings.HasSuffix(file, ".html") {
			break
		}
		b, err := sampleView(name, n)
		return html(docPath, b, err)
	case dir == "frames/":
		base, dark := strings.CutSuffix(strings.TrimSuffix(file, ".html"), ".dark")
		name, n, ok := sampleOf(base)
		if !ok || !strings.HasSuffix(file, ".html") {
			break
		}
		cat, err := p.catalog(l)
		if err != nil {
			return Document{}, err
		}
		body, err := l.frame(ctx, name, n, dark, cat)
		if err != nil {
			return Document{}, err
		}
		return Document{Path: docPath, ContentType: "text/html; charset=utf-8", Body: body}, nil
	case dir == "mail/":
		cat, err := p.catalog(l)
		if err != nil {
			return Document{}, err
		}
		return l.mail(docPath, file, cat)
	}
	return Document{}, ErrNotFound
}

func html(docPath string, body []byte, err error) (Document, error) {
	if err != nil {
		return Document{}, err
	}
	return Document{Path: docPath, ContentType: "text/html; charset=utf-8", Body: body}, nil
}

// sampleOf parses "login-2" into the page and its sample number (1-based).
func sampleOf(s string) (pages.Page, int, bool) {
	i := strings.LastIndexByte(s, '-')
	if i < 0 {
		return pages.Page{}, 0, false
	}
	page, ok := pages.Lookup(s[:i])
	n, err := strconv.Atoi(s[i+1:])
	if !ok || err != nil || n < 1 || n > len(page.Samples()) || strconv.Itoa(n) != s[i+1:] {
		return pages.Page{}, 0, false
	}
	return page, n, true
}

// frame renders sample n of page exactly as the server renders a page
// (theme page, layout, built-in fallbacks), with the preview's asset URLs
// and the theme's catalogue; dark points the stylesheets at their
// dark-forced copies.
func (l *loaded) frame(ctx context.Context, page pages.Page, n int, dark bool, cat *messages.Catalog) ([]byte, error) {
	view := withCommon(page.Samples()[n-1], func(c *pages.Common) {
		c.CSSURL = "../" + strings.TrimPrefix(l.assets.URL("portal.css"), "/")
		c.IconURL = "../" + strings.TrimPrefix(l.assets.URL("favicon.svg"), "/")
		c.Messages = cat
	})
	cm := view.PageCommon()
	var out bytes.Buffer
	fallbacks, err := l.th.RenderPage(ctx, &out, page, view, theme.Vars{CSRFToken: cm.CSRFToken, Messages: cm.Messages}, nil)
	if err != nil {
		return nil, fmt.Errorf("page %s, sample %d: %w", page.Name, n, err)
	}
	if len(fallbacks) > 0 {
		// The start-up checks render every sample, so this is a template
		// that fails on a sample only at request time; show it.
		var errs []error
		for _, f := range fallbacks {
			errs = append(errs, fmt.Errorf("%s: %s: %w", f.File, f.What, f.Err))
		}
		return nil, &themeError{errors.Join(errs...)}
	}
	body := out.Bytes()
	if dark {
		for _, f := range l.assets.Files() {
			if path.Ext(f.Name) == ".css" {
				body = bytes.ReplaceAll(body, []byte(`"../static/`+f.Hashed+`"`), []byte(`"../static/dark/`+f.Hashed+`"`))
			}
		}
	}
	return body, nil
}

// withCommon returns a copy of the sample view v with its Common changed
// by set.
func withCommon(v any, set func(*pages.Common)) pages.View {
	rv := reflect.New(reflect.TypeOf(v)).Elem()
	rv.Set(reflect.ValueOf(v))
	c := rv.FieldByName("Common").Addr().Interface().(*pages.Common)
	set(c)
	return rv.Interface().(pages.View)
}

// asset serves static/FILE and static/dark/FILE. Stylesheets have their
// colour-scheme media queries fixed to light (static/) or dark
// (static/dark/), so that each frame shows one scheme whatever the
// designer's own setting.
func (l *loaded) asset(rest string) (Document, error) {
	name, dark := strings.CutPrefix(rest, "dark/")
	for _, f := range l.assets.Files() {
		if f.Hashed != name && f.Name != name {
			continue
		}
		data := f.Data
		if path.Ext(f.Name) == ".css" {
			data = forceScheme(data, dark)
		}
		return Document{Path: "static/" + rest, ContentType: f.ContentType, Body: data}, nil
	}
	return Document{}, ErrNotFound
}

// forceScheme makes a stylesheet's prefers-color-scheme queries always
// (or never) match: "(min-width: 0px)" is true everywhere, and a negative
// width makes a query invalid, which CSS treats as "not all".
func forceScheme(css []byte, dark bool) []byte {
	yes, no := []byte("(min-width: 0px)"), []byte("(max-width: -1px)")
	darkQ, lightQ := no, yes
	if dark {
		darkQ, lightQ = yes, no
	}
	for _, sp := range []string{"", " "} {
		css = bytes.ReplaceAll(css, []byte("(prefers-color-scheme:"+sp+"dark)"), darkQ)
		css = bytes.ReplaceAll(css, []byte("(prefers-color-scheme:"+sp+"light)"), lightQ)
	}
	return css
}

// mail serves mail/NAME.html (the message with its subject and both
// bodies), mail/NAME.msg.html (the HTML body) and mail/NAME.txt.
func (l *loaded) mail(docPath, file string, cat *messages.Catalog) (Document, error) {
	base, ext := strings.TrimSuffix(file, path.Ext(file)), path.Ext(file)
	base, raw := strings.CutSuffix(base, ".msg")
	known := false
	for _, n := range mail.Names {
		known = known || n == base
	}
	if !known || (ext != ".html" && ext != ".txt") || (raw && ext != ".html") {
		return Document{}, ErrNotFound
	}
	m, err := l.mails.Render(cat, base, mail.Sample(cat))
	if err != nil {
		return Document{}, &themeError{err}
	}
	switch {
	case ext == ".txt":
		return Document{Path: docPath, ContentType: "text/plain; charset=utf-8", Body: []byte(m.Text)}, nil
	case raw:
		return Document{Path: docPath, ContentType: "text/html; charset=utf-8", Body: []byte(m.HTML)}, nil
	}
	b, err := mailView(base, m)
	return html(docPath, b, err)
}

// Paths lists every document of the gallery, in the index's order.
func (p *Preview) Paths() ([]string, error) {
	l := p.load()
	if l.err != nil {
		return nil, l.err
	}
	out := []string{"index.html"}
	for _, pg := range pages.Pages() {
		for n := 1; n <= len(pg.Samples()); n++ {
			id := pg.Name + "-" + strconv.Itoa(n)
			out = append(out, "pages/"+id+".html", "frames/"+id+".html", "frames/"+id+".dark.html")
		}
	}
	for _, m := range mail.Names {
		out = append(out, "mail/"+m+".html", "mail/"+m+".msg.html", "mail/"+m+".txt")
	}
	for _, f := range l.assets.Files() {
		out = append(out, "static/"+f.Hashed, "static/dark/"+f.Hashed)
	}
	return out, nil
}

// Snapshot writes the whole gallery under dir as static files (for review
// in a pull request or a design tool) and returns how many it wrote.
func (p *Preview) Snapshot(ctx context.Context, dir string) (int, error) {
	paths, err := p.Paths()
	if err != nil {
		return 0, err
	}
	for _, docPath := range paths {
		doc, err := p.Render(ctx, docPath)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", docPath, err)
		}
		file := filepath.Join(dir, filepath.FromSlash(docPath))
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			return 0, err
		}
		if err := os.WriteFile(file, doc.Body, 0o644); err != nil {
			return 0, err
		}
	}
	return len(paths), nil
}

// The gallery's own pages: plain HTML, no script, relative links.

var galleryTmpl = template.Must(template.New("gallery").Parse(`{{define "head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.}} · Portal theme preview</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:1.5rem;color:#1b1f24;background:#f4f5f7}
a{color:#0b57d0}h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.5rem}
table{border-collapse:collapse}td,th{text-align:left;padding:.2rem .8rem .2rem 0;vertical-align:top}
.frames{display:flex;flex-wrap:wrap;gap:1.5rem;align-items:flex-start}
figure{margin:0}figcaption{font-weight:600;margin-bottom:.3rem}
iframe{border:1px solid #8a94a3;background:#fff}
.desktop{width:640px;height:400px;overflow:hidden;border:1px solid #8a94a3}
.desktop iframe{border:0;transform:scale(.5);transform-origin:0 0}
pre{white-space:pre-wrap;background:#fff;border:1px solid #8a94a3;padding:1rem;max-width:72ch}
.error{background:#fff;border:2px solid #b3261e;padding:1rem}
</style></head><body>{{end}}

{{define "index"}}{{template "head" "All pages"}}
<h1>Portal theme preview{{if .Dir}}: {{.Dir}}{{else}}: the built-in look{{end}}{{if .Lang}}, in {{.Lang}}{{end}}</h1>
<p>Every page in every sample state, and every mail. Edits to the theme show on reload.</p>
<h2>Pages</h2>
<table><thead><tr><th>page</th><th>route</th><th>sample states</th></tr></thead><tbody>
{{range .Pages}}<tr><td>{{.Name}}</td><td><code>{{.Route}}</code></td><td>{{$n := .Name}}{{range .Samples}}<a href="pages/{{$n}}-{{.}}.html">{{.}}</a> {{end}}</td></tr>
{{end}}</tbody></table>
<h2>Mail</h2>
<ul>{{range .Mails}}<li><a href="mail/{{.}}.html">{{.}}</a></li>{{end}}</ul>
</body></html>{{end}}

{{define "sample"}}{{template "head" .Title}}
<p><a href="../index.html">All pages</a>{{if .Prev}} · <a href="{{.Prev}}">previous</a>{{end}}{{if .Next}} · <a href="{{.Next}}">next</a>{{end}}</p>
<h1>{{.Name}}, sample {{.N}} of {{.Of}}</h1>
<p><code>{{.Route}}</code></p>
<div class="frames">
<figure><figcaption>Phone, light</figcaption><iframe title="{{.Name}} on a phone, light" src="../frames/{{.ID}}.html" width="390" height="844"></iframe></figure>
<figure><figcaption>Phone, dark</figcaption><iframe title="{{.Name}} on a phone, dark" src="../frames/{{.ID}}.dark.html" width="390" height="844"></iframe></figure>
<figure><figcaption>Desktop, light (half size)</figcaption><div class="desktop"><iframe title="{{.Name}} on a desktop, light" src="../frames/{{.ID}}.html" width="1280" height="800"></iframe></div></figure>
<figure><figcaption>Desktop, dark (half size)</figcaption><div class="desktop"><iframe title="{{.Name}} on a desktop, dark" src="../frames/{{.ID}}.dark.html" width="1280" height="800"></iframe></div></figure>
</div>
</body></html>{{end}}

{{define "mail"}}{{template "head" .Name}}
<p><a href="../index.html">All pages</a></p>
<h1>Mail: {{.Name}}</h1>
<p>Subject: <strong>{{.Subject}}</strong></p>
<div class="frames">
<figure><figcaption>HTML</figcaption><iframe title="{{.Name}}, HTML body" src="{{.Name}}.msg.html" width="640" height="600"></iframe></figure>
<figure><figcaption>Text (<a href="{{.Name}}.txt">raw</a>)</figcaption><pre>{{.Text}}</pre></figure>
</div>
</body></html>{{end}}

{{define "error"}}{{template "head" "Theme error"}}
<h1>The theme does not load</h1>
<p>This is what <code>portal theme check</code> says. Fix the file and reload; the preview keeps running.</p>
<pre class="error">{{.}}</pre>
</body></html>{{end}}`))

func exec(name string, data any) ([]byte, error) {
	var b bytes.Buffer
	err := galleryTmpl.ExecuteTemplate(&b, name, data)
	return b.Bytes(), err
}

func (p *Preview) index() ([]byte, error) {
	type row struct {
		Name, Route string
		Samples     []int
	}
	var rows []row
	for _, pg := range pages.Pages() {
		r := row{Name: pg.Name, Route: pg.Route}
		for n := 1; n <= len(pg.Samples()); n++ {
			r.Samples = append(r.Samples, n)
		}
		rows = append(rows, r)
	}
	return exec("index", map[string]any{"Dir": p.dir, "Lang": p.lang, "Pages": rows, "Mails": mail.Names})
}

func sampleView(page pages.Page, n int) ([]byte, error) {
	of := len(page.Samples())
	id := func(n int) string { return page.Name + "-" + strconv.Itoa(n) }
	d := map[string]any{"Title": page.Name + " " + strconv.Itoa(n), "Name": page.Name, "Route": page.Route, "N": n, "Of": of, "ID": id(n), "Prev": "", "Next": ""}
	if n > 1 {
		d["Prev"] = id(n-1) + ".html"
	}
	if n < of {
		d["Next"] = id(n+1) + ".html"
	}
	return exec("sample", d)
}

func mailView(name string, m mail.Message) ([]byte, error) {
	return exec("mail", map[string]any{"Name": name, "Subject": m.Subject, "Text": m.Text})
}

func errorPage(err error) []byte {
	b, _ := exec("error", err.Error())
	return b
}
