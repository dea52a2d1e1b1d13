package tests

// End-to-end tests of the theme directory (--theme) and of page overrides
// from Go (README, Themes): a layout wraps every page, a page override replaces
// one page and its form still posts, the theme's static files are served,
// a bad theme stops the server, an override that fails on a request falls
// back to the built-in page, and the reference theme (theme/example/)
// carries the markers the tests read.

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/internal/portaltest"
	"github.com/accountportal/portal/pages"
)

const thPassword = "correct horse battery"

// thThemeDir writes files (path → content) into a new theme directory.
func thThemeDir(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// thServer starts Portal with a theme made of files.
func thServer(t testing.TB, files map[string]string, opts ...func(*portal.Config)) *portaltest.Server {
	t.Helper()
	dir := thThemeDir(t, files)
	return portaltest.NewServer(t, append([]func(*portal.Config){func(c *portal.Config) { c.Theme = dir }}, opts...)...)
}

const thLayout = `<!DOCTYPE html>
<html lang="en">
<head><title>{{.Title}} - {{.SiteName}}</title><link rel="stylesheet" href="{{.CSSURL}}"></head>
<body class="th-{{.Page}}">
<div id="th-top">Acme layout top</div>
{{with .User}}<span id="th-user">{{.Email}}</span>
<form method="post" action="/account/logout" id="th-logout">{{csrfField}}<button type="submit">Sign out</button></form>{{end}}
{{if .Status}}<div id="status-message" class="{{if .StatusIsError}}alert-error{{else}}alert-success{{end}}">{{.Status}}</div>{{end}}
<main id="th-main">{{.Body}}</main>
<div id="th-bottom">Acme layout bottom</div>
</body>
</html>
`

// A theme's layout.html wraps every page in place of the built-in one; the
// status message and CSRF (in the pages' forms and the layout's own) work.
func TestThemeLayoutWrapsPages(t *testing.T) {
	t.Parallel()
	srv := thServer(t, map[string]string{"layout.html": thLayout})
	c := portaltest.NewClient(t, srv)

	p := c.Get("/account/login")
	portaltest.WantStatus(t, p, http.StatusOK)
	if !p.Has(t, "#th-top") || !p.Has(t, "#th-bottom") || !p.Has(t, "#th-main #login-form") {
		t.Fatalf("the login page is not inside the theme's layout:\n%s", p.Body)
	}
	if p.Has(t, ".site-header") {
		t.Errorf("the built-in layout is still there:\n%s", p.Body)
	}
	if got, want := p.Text(t, "title"), "Sign in - Portal"; got != want {
		t.Errorf("title=%q, want %q", got, want)
	}
	if got, want := p.Doc(t).Find("body").AttrOr("class", ""), "th-login"; got != want {
		t.Errorf("body class=%q, want %q", got, want)
	}

	// The pages' forms post through the layout: sign up, sign in.
	a := srv.SignedUp(t, "layout@example.com", thPassword)
	home := a.Get("/")
	if got, want := home.Text(t, "#th-user"), "layout@example.com"; got != want {
		t.Fatalf("#th-user=%q, want %q", got, want)
	}

	// The status message after an action is the layout's to show.
	p = a.Submit("/account/manage", "#profile-form", map[string]string{"username": "layout_user", "phone_number": ""})
	portaltest.WantRedirect(t, p, "/account/manage")
	p = a.Follow(p)
	if got, want := p.Text(t, "#status-message"), "Your profile has been updated."; got != want {
		t.Fatalf("#status-message=%q, want %q:\n%s", got, want, p.Body)
	}
	if !p.Has(t, "#th-main #profile-form") {
		t.Errorf("the manage page is not inside the layout:\n%s", p.Body)
	}

	// The layout's own form carries the CSRF field: signing out works.
	f := p.Form(t, "#th-logout")
	if f.Values.Get("_csrf") == "" {
		t.Fatalf("the layout's sign-out form has no _csrf:\n%s", p.Body)
	}
	portaltest.WantStatus(t, a.Post(f.Action, f.Values), http.StatusSeeOther)
	if a.SignedIn() {
		t.Fatal("still signed in after the layout's sign-out form")
	}
}

// A theme's pages/login.html replaces the login page's content (the
// built-in layout wraps it) and its form, with {{csrfField}}, signs in.
func TestThemePageOverrideKeepsPostWorking(t *testing.T) {
	t.Parallel()
	srv := thServer(t, map[string]string{"pages/login.html": `<div id="th-login-page"><h1>Acme sign-in</h1>
{{with .Message}}<p class="form-error">{{.}}</p>{{end}}
<form method="post" action="{{withReturn "/account/login" .ReturnURL}}" id="th-login">
{{csrfField}}
<input name="email" type="email" value="{{.Email}}">
{{with .Errors.Get "email"}}<p class="field-error">{{.}}</p>{{end}}
<input name="password" type="password">
<button type="submit">Go</button>
</form></div>`})
	c := srv.ConfirmedUser(t, "override@example.com", thPassword)

	p := c.Get("/account/login?returnUrl=%2Faccount%2Fmanage")
	portaltest.WantStatus(t, p, http.StatusOK)
	if !p.Has(t, "#th-login-page") || p.Has(t, "#login-form") {
		t.Fatalf("the login page is not the override:\n%s", p.Body)
	}
	if !p.Has(t, ".site-header") {
		t.Errorf("the built-in layout does not wrap the override:\n%s", p.Body)
	}
	if got, want := p.Form(t, "#th-login").Action, "/account/login?returnUrl=%2Faccount%2Fmanage"; got != want {
		t.Errorf("form action=%q, want %q", got, want)
	}

	// A wrong password re-renders the override with the message.
	p = c.Submit("/account/login", "#th-login", map[string]string{"email": "override@example.com", "password": "wrong password here"})
	portaltest.WantStatus(t, p, http.StatusUnprocessableEntity)
	if got := p.Text(t, "#th-login-page .form-error"); got != invalidLogin {
		t.Fatalf("message=%q, want %q:\n%s", got, invalidLogin, p.Body)
	}
	if got, want := p.Form(t, "#th-login").Values.Get("email"), "override@example.com"; got != want {
		t.Errorf("email kept=%q, want %q", got, want)
	}

	// Without the CSRF field the post is refused; with it, it signs in.
	f := c.Get("/account/login").Form(t, "#th-login")
	f.Set("email", "override@example.com").Set("password", thPassword)
	noToken := url.Values{"email": {"override@example.com"}, "password": {thPassword}}
	wantCSRFRefused(t, c.Post(f.Action, noToken))
	p = c.Post(f.Action, f.Values)
	portaltest.WantRedirect(t, p, "/")
	if !c.SignedIn() {
		t.Fatal("not signed in through the overridden login form")
	}
}

// static/portal.css of the theme is what the content-hashed stylesheet URL
// serves; other theme files are served too.
func TestThemeStaticOverride(t *testing.T) {
	t.Parallel()
	const css = "/* th: the Acme stylesheet */\n:root { --portal-accent: #c2255c; }\n"
	srv := thServer(t, map[string]string{
		"static/portal.css": css,
		"static/logo.svg":   `<svg xmlns="http://www.w3.org/2000/svg"/>`,
	})
	c := portaltest.NewClient(t, srv)
	p := c.Get("/account/login")
	href := p.Doc(t).Find(`link[rel="stylesheet"]`).AttrOr("href", "")
	if !strings.HasPrefix(href, "/static/portal.") || !strings.HasSuffix(href, ".css") || href == "/static/portal.css" {
		t.Fatalf("stylesheet href=%q, want /static/portal.<hash>.css", href)
	}
	got := c.Get(href)
	portaltest.WantStatus(t, got, http.StatusOK)
	if got.Body != css {
		t.Fatalf("%s served %q, want the theme's stylesheet", href, got.Body)
	}
	if cc := got.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("Cache-Control=%q, want immutable", cc)
	}
	if logo := c.Get("/static/logo.svg"); logo.Status != http.StatusOK || !strings.Contains(logo.Body, "<svg") {
		t.Errorf("GET /static/logo.svg: %d %q", logo.Status, logo.Body)
	}
}

// thStylesheets are the hrefs of p's stylesheet links, in order.
func thStylesheets(t testing.TB, p *portaltest.Page) []string {
	t.Helper()
	var hrefs []string
	p.Doc(t).Find(`link[rel="stylesheet"]`).Each(func(_ int, s *goquery.Selection) {
		hrefs = append(hrefs, s.AttrOr("href", ""))
	})
	return hrefs
}

// A theme's static/theme.css is linked after the default stylesheet on
// every page — by the built-in layout, on the built-in pages, the error
// page and a page override alike — at a content-hashed URL; without one,
// only the default stylesheet is linked.
func TestThemeExtraStylesheet(t *testing.T) {
	t.Parallel()
	const css = ":root { --portal-accent: #c2255c; }\n"
	srv := thServer(t, map[string]string{
		"static/theme.css":   css,
		"pages/lockout.html": `<section class="card"><h1 id="th-lockout">{{t "lockout.title"}}</h1></section>`,
	})
	c := portaltest.NewClient(t, srv)
	for _, path := range []string{"/account/login", "/account/lockout", "/account/nope"} {
		links := thStylesheets(t, c.Get(path))
		if len(links) != 2 || !strings.HasPrefix(links[0], "/static/portal.") || !strings.HasPrefix(links[1], "/static/theme.") || links[1] == "/static/theme.css" {
			t.Fatalf("GET %s: stylesheets %q, want /static/portal.<hash>.css then /static/theme.<hash>.css", path, links)
		}
		got := c.Get(links[1])
		portaltest.WantStatus(t, got, http.StatusOK)
		if got.Body != css {
			t.Fatalf("%s served %q, want the theme's theme.css", links[1], got.Body)
		}
	}

	plain := portaltest.NewClient(t, thServer(t, map[string]string{"static/logo.svg": `<svg xmlns="http://www.w3.org/2000/svg"/>`}))
	if links := thStylesheets(t, plain.Get("/account/login")); len(links) != 1 {
		t.Errorf("without theme.css: stylesheets %q, want only the default one", links)
	}
}

// A bad theme stops the server at start with the file named.
func TestThemeBadRefusedAtStart(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		files map[string]string
		want  string
	}{
		{map[string]string{"pages/signin.html": "x"}, "pages/signin.html"},
		{map[string]string{"pages/login.html": "{{.Nope}}"}, "pages/login.html"},
		{map[string]string{"pages/login.html": `<form method="post"><input name="email"></form>`}, "csrfField"},
		{map[string]string{"layout.html": "{{if}}"}, "layout.html"},
		{map[string]string{"theme.json": "{}"}, "theme.json"},
		{map[string]string{"messages.toml": "[login]\ntitel = \"Hi\""}, `unknown key "login.titel"`},
	} {
		cfg, _ := portaltest.Config(t)
		cfg.Theme = thThemeDir(t, tc.files)
		cfg.BaseURL = "http://127.0.0.1:1"
		p, err := portal.New(cfg)
		if err == nil {
			p.Close()
			t.Errorf("theme %v: portal.New succeeded", tc.files)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("theme %v: err=%v, want it to name %q", tc.files, err, tc.want)
		}
	}
}

// An override that fails on a request is logged and the built-in page
// served; so is a layout.
func TestThemeOverrideFailsAtRequestTimeFallsBack(t *testing.T) {
	t.Parallel()
	srv := thServer(t, map[string]string{
		"pages/login.html": `{{if eq .Email "boom@example.com"}}{{.Nope}}{{end}}<div id="th-login-page">
<form method="post" action="/account/login" id="login-form">{{csrfField}}<input name="email" value="{{.Email}}"><input name="password" type="password"></form></div>`,
		"layout.html": `<!DOCTYPE html><html><body><div id="th-top"></div>{{if eq .Page "lockout"}}{{.User.Email}}{{end}}{{.Body}}</body></html>`,
	})
	c := portaltest.NewClient(t, srv)
	p := c.Get("/account/login")
	if !p.Has(t, "#th-top") || !p.Has(t, "#th-login-page") {
		t.Fatalf("the theme is not used:\n%s", p.Body)
	}

	p = c.Submit("/account/login", "#login-form", map[string]string{"email": "boom@example.com", "password": "not the password"})
	portaltest.WantStatus(t, p, http.StatusUnprocessableEntity)
	if p.Has(t, "#th-login-page") || !p.Has(t, "#login-submit") {
		t.Fatalf("the failing override was not replaced by the built-in page:\n%s", p.Body)
	}
	if !p.Has(t, "#th-top") {
		t.Errorf("the theme's layout should still wrap the built-in page:\n%s", p.Body)
	}
	if got := p.Text(t, ".form-error"); got != invalidLogin {
		t.Errorf(".form-error=%q, want %q", got, invalidLogin)
	}
	if log := srv.Log.String(); !strings.Contains(log, "theme page override failed") || !strings.Contains(log, "pages/login.html") {
		t.Errorf("the failure is not logged with its file:\n%s", log)
	}

	// The layout fails for the lockout page (no user): the built-in layout.
	p = c.Get("/account/lockout")
	portaltest.WantStatus(t, p, http.StatusOK)
	if p.Has(t, "#th-top") || !p.Has(t, ".site-header") {
		t.Fatalf("the failing layout was not replaced by the built-in one:\n%s", p.Body)
	}
	if !strings.Contains(srv.Log.String(), "theme layout failed") {
		t.Errorf("the layout failure is not logged:\n%s", srv.Log.String())
	}
}

// The reference theme serves every page; the flows the other tests drive
// (register, sign in, enrol an authenticator app from #shared-key, read
// .recovery-code) work through its overridden pages, and its layout shows
// the status message.
func TestThemeReferenceTheme(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t, func(c *portal.Config) { c.Theme = filepath.Join("..", "theme", "example") })
	anon := portaltest.NewClient(t, srv)
	p := anon.Get("/account/login")
	portaltest.WantStatus(t, p, http.StatusOK)
	if !p.Has(t, "#theme-banner") || p.Text(t, "h1") != "Welcome back" || !p.Has(t, "#login-form") {
		t.Fatalf("the login page is not the example theme's:\n%s", p.Body)
	}
	// Its messages.toml changes wording by key, on its own pages and the
	// built-in ones alike.
	if got, want := p.Text(t, "#forgot-password"), "Trouble signing in?"; got != want {
		t.Errorf("#forgot-password=%q, want the theme's wording %q", got, want)
	}
	if got, want := anon.Get("/account/lockout").Text(t, `.account-nav a[href="/account/register"]`), "Sign up"; got != want {
		t.Errorf("the header's register link=%q, want the theme's wording %q", got, want)
	}
	// Its static/theme.css comes after the default stylesheet.
	links := thStylesheets(t, p)
	if len(links) != 2 || !strings.HasPrefix(links[0], "/static/portal.") || !strings.HasPrefix(links[1], "/static/theme.") {
		t.Fatalf("stylesheets %q, want the default one then the theme's", links)
	}
	if css := anon.Get(links[1]); !strings.Contains(css.Body, "--portal-accent: #0b7285;") {
		t.Errorf("the example stylesheet is not served")
	}

	c, _, codes := tfUser(t, srv, "example@example.com") // via #register-form, #login-form, #shared-key, .recovery-code
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes", len(codes))
	}
	// Every page the tests visit renders in the theme.
	for _, path := range []string{"/", "/account/manage", "/account/manage/email", "/account/manage/two-factor",
		"/account/manage/sessions", "/account/manage/security", "/account/manage/personal-data", "/account/lockout", "/account/nope"} {
		p := c.Get(path)
		if p.Status != http.StatusOK && p.Status != http.StatusNotFound {
			t.Errorf("GET %s: %d", path, p.Status)
		}
		if !p.Has(t, "#theme-banner") {
			t.Errorf("GET %s is not in the example layout", path)
		}
	}
	p = c.Submit("/account/manage", "#profile-form", map[string]string{"username": "example_user", "phone_number": ""})
	if got, want := c.Follow(p).Text(t, "#status-message"), "Your profile has been updated."; got != want {
		t.Errorf("#status-message=%q, want %q", got, want)
	}
}

// thComponent writes HTML.
func thComponent(f func(w io.Writer) error) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error { return f(w) })
}

// Portal.OverridePage replaces a page from Go, with the page's own view
// model; its form posts; a bad override is refused at once; one that
// panics on a request falls back; a theme page still comes first.
func TestOverridePageFromGo(t *testing.T) {
	t.Parallel()
	srv := thServer(t, map[string]string{"pages/home.html": `<p id="th-home">theme home</p>`})
	p := srv.Portal

	register := pages.Typed(func(v pages.RegisterView) templ.Component {
		return thComponent(func(w io.Writer) error {
			_, err := fmt.Fprintf(w, `<div id="go-register"><h1>Join us</h1><form method="post" action="/account/register" id="register-form">`+
				`<input type="hidden" name="_csrf" value="%s"><input name="email" value="%s"><input name="password" type="password">`+
				`<input name="confirm_password" type="password"><button type="submit">Join</button></form>%s</div>`,
				html.EscapeString(v.CSRFToken), html.EscapeString(v.Email), html.EscapeString(v.Errors.Get("email")))
			return err
		})
	})
	if err := p.OverridePage("register", register); err != nil {
		t.Fatal(err)
	}
	c := portaltest.NewClient(t, srv)
	page := c.Get("/account/register")
	if !page.Has(t, "#go-register") || !page.Has(t, ".site-header") {
		t.Fatalf("the register page is not the Go override in the layout:\n%s", page.Body)
	}
	c.Register("go@example.com", thPassword) // posts #register-form of the override
	c.ConfirmEmail("go@example.com")

	// Refused at once: an unknown page, a nil func, a view model of another
	// page, a component that fails on the samples.
	for name, fn := range map[string]func(any) templ.Component{
		"signin": register,
		"lockout": pages.Typed(func(v pages.LoginView) templ.Component {
			return templ.NopComponent
		}),
		"access-denied": func(any) templ.Component {
			return thComponent(func(io.Writer) error { return fmt.Errorf("broken") })
		},
		"error": nil,
	} {
		if err := p.OverridePage(name, fn); err == nil {
			t.Errorf("OverridePage(%q) accepted a bad override", name)
		} else if !strings.Contains(err.Error(), name) {
			t.Errorf("OverridePage(%q): err=%v does not name the page", name, err)
		}
	}

	// A panic on a request: logged, the built-in page served.
	if err := p.OverridePage("forgot-password", pages.Typed(func(v pages.EmailFormView) templ.Component {
		if v.Email == "boom@" {
			panic("boom")
		}
		return thComponent(func(w io.Writer) error {
			_, err := fmt.Fprintf(w, `<form method="post" action="/account/forgot-password" id="forgot-form"><input type="hidden" name="_csrf" value="%s"><input name="email"></form><p id="go-forgot"></p>`, html.EscapeString(v.CSRFToken))
			return err
		})
	})); err != nil {
		t.Fatal(err)
	}
	page = c.Get("/account/forgot-password")
	if !page.Has(t, "#go-forgot") {
		t.Fatalf("the forgot-password page is not the Go override:\n%s", page.Body)
	}
	page = c.Submit("/account/forgot-password", "#forgot-form", map[string]string{"email": "boom@"})
	portaltest.WantStatus(t, page, http.StatusUnprocessableEntity)
	if page.Has(t, "#go-forgot") || !page.Has(t, ".field-error") {
		t.Fatalf("the panicking override was not replaced by the built-in page:\n%s", page.Body)
	}
	if !strings.Contains(srv.Log.String(), "page override failed") {
		t.Errorf("the panic is not logged:\n%s", srv.Log.String())
	}

	// The theme's page comes before the Go override.
	if err := p.OverridePage("home", pages.Typed(func(v pages.HomeView) templ.Component {
		return thComponent(func(w io.Writer) error { _, err := io.WriteString(w, `<p id="go-home"></p>`); return err })
	})); err != nil {
		t.Fatal(err)
	}
	if home := c.Get("/"); !home.Has(t, "#th-home") || home.Has(t, "#go-home") {
		t.Fatalf("the theme's home page should win over the Go override:\n%s", home.Body)
	}
}
