package tests

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/accountportal/portal/internal/portaltest"
)

// csrfCase is one state-changing form. setup creates what the form needs
// (an account) once per server; prepare then returns a fresh browser, the
// form it would legitimately post, and a check that nothing changed. Few
// accounts and mails are made, so that no rate limit interferes.
type csrfCase struct {
	name  string
	setup func(t *testing.T, srv *portaltest.Server) (prepare func(t *testing.T, n int) (*portaltest.Client, *portaltest.Form, func(t *testing.T)))
}

var csrfCases = []csrfCase{
	{"login", func(t *testing.T, srv *portaltest.Server) func(t *testing.T, n int) (*portaltest.Client, *portaltest.Form, func(t *testing.T)) {
		const email, pw = "login@example.com", "correct horse battery"
		srv.SignedUp(t, email, pw)
		return func(t *testing.T, _ int) (*portaltest.Client, *portaltest.Form, func(t *testing.T)) {
			c := portaltest.NewClient(t, srv)
			f := c.Get("/account/login").Form(t, "#login-form")
			f.Set("email", email).Set("password", pw)
			return c, f, func(t *testing.T) {
				t.Helper()
				if got := c.Cookie(portaltest.SessionCookie); got != "" {
					t.Errorf("the refused login left a session cookie")
				}
				portaltest.WantLoginRedirect(t, c.Get("/account/manage"), "/account/manage")
			}
		}
	}},
	{"register", func(t *testing.T, srv *portaltest.Server) func(t *testing.T, n int) (*portaltest.Client, *portaltest.Form, func(t *testing.T)) {
		return func(t *testing.T, n int) (*portaltest.Client, *portaltest.Form, func(t *testing.T)) {
			email := fmt.Sprintf("register%d@example.com", n)
			c := portaltest.NewClient(t, srv)
			f := c.Get("/account/register").Form(t, "#register-form")
			f.Set("email", email).Set("password", "correct horse battery").Set("confirm_password", "correct horse battery")
			return c, f, func(t *testing.T) {
				t.Helper()
				if _, err := srv.Portal.Identity().FindUserByEmail(context.Background(), email); err == nil {
					t.Errorf("the refused registration created %s", email)
				}
				if got := len(srv.MailsTo(t, email)); got != 0 {
					t.Errorf("the refused registration sent %d mails", got)
				}
			}
		}
	}},
	{"logout", func(t *testing.T, srv *portaltest.Server) func(t *testing.T, n int) (*portaltest.Client, *portaltest.Form, func(t *testing.T)) {
		const email, pw = "logout@example.com", "correct horse battery"
		srv.SignedUp(t, email, pw)
		return func(t *testing.T, _ int) (*portaltest.Client, *portaltest.Form, func(t *testing.T)) {
			c := portaltest.NewClient(t, srv)
			portaltest.WantRedirect(t, c.Login(email, pw, false), "/")
			f := c.Get("/account/manage").Form(t, logoutForm)
			return c, f, func(t *testing.T) {
				t.Helper()
				portaltest.WantStatus(t, c.Get("/account/manage"), http.StatusOK)
			}
		}
	}},
}

// wantCSRFRefused fails the test unless p is the 403 of a refused form
// that started no session.
func wantCSRFRefused(t testing.TB, p *portaltest.Page) {
	t.Helper()
	portaltest.WantStatus(t, p, http.StatusForbidden)
	if got := p.Header.Get("Content-Type"); !strings.HasPrefix(got, "text/html") {
		t.Errorf("403 Content-Type=%q, want text/html", got)
	}
	if got := p.SessionSetCookies(); len(got) != 0 {
		t.Errorf("403 set the session cookie: %q", got)
	}
}

// TestCSRF (BRW-06): every POST needs the session's token and a
// same-origin request.
func TestCSRF(t *testing.T) {
	t.Parallel()
	attacks := []struct {
		name string
		send func(c *portaltest.Client, f, other *portaltest.Form) *portaltest.Page
	}{
		{"BRW-06a missing token", func(c *portaltest.Client, f, _ *portaltest.Form) *portaltest.Page {
			f.Values.Del("_csrf")
			return c.Post(f.Action, f.Values)
		}},
		{"BRW-06a empty token", func(c *portaltest.Client, f, _ *portaltest.Form) *portaltest.Page {
			f.Set("_csrf", "")
			return c.Post(f.Action, f.Values)
		}},
		{"BRW-06a wrong token", func(c *portaltest.Client, f, _ *portaltest.Form) *portaltest.Page {
			tok := []byte(f.Values.Get("_csrf"))
			if tok[0] == 'A' {
				tok[0] = 'B'
			} else {
				tok[0] = 'A'
			}
			f.Set("_csrf", string(tok))
			return c.Post(f.Action, f.Values)
		}},
		{"BRW-06b token of another browser", func(c *portaltest.Client, f, other *portaltest.Form) *portaltest.Page {
			f.Set("_csrf", other.Values.Get("_csrf"))
			return c.Post(f.Action, f.Values)
		}},
		{"BRW-06c cross-site", func(c *portaltest.Client, f, _ *portaltest.Form) *portaltest.Page {
			return c.PostWithHeaders(f.Action, f.Values, http.Header{"Sec-Fetch-Site": {"cross-site"}})
		}},
		{"BRW-06c cross-site from evil origin", func(c *portaltest.Client, f, _ *portaltest.Form) *portaltest.Page {
			return c.PostWithHeaders(f.Action, f.Values, http.Header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}})
		}},
		{"BRW-06c same-site sibling", func(c *portaltest.Client, f, _ *portaltest.Form) *portaltest.Page {
			return c.PostWithHeaders(f.Action, f.Values, http.Header{"Sec-Fetch-Site": {"same-site"}, "Origin": {"http://sibling.localhost"}})
		}},
		{"BRW-06d evil origin without Sec-Fetch-Site", func(c *portaltest.Client, f, _ *portaltest.Form) *portaltest.Page {
			return c.PostWithHeaders(f.Action, f.Values, http.Header{"Origin": {"https://evil.example"}})
		}},
		{"BRW-06e null origin", func(c *portaltest.Client, f, _ *portaltest.Form) *portaltest.Page {
			return c.PostWithHeaders(f.Action, f.Values, http.Header{"Origin": {"null"}})
		}},
	}
	for _, cc := range csrfCases {
		t.Run(cc.name, func(t *testing.T) {
			t.Parallel()
			srv := portaltest.NewServer(t)
			prepare := cc.setup(t, srv)
			n := 0
			for _, a := range attacks {
				t.Run(a.name, func(t *testing.T) {
					c, f, unchanged := prepare(t, n)
					_, other, _ := prepare(t, n+1)
					n += 2
					wantCSRFRefused(t, a.send(c, f, other))
					unchanged(t)
				})
			}
			// The same forms, sent properly, work: the refusals above were
			// not for some other reason.
			t.Run("control", func(t *testing.T) {
				c, f, _ := prepare(t, n)
				portaltest.WantStatus(t, c.Post(f.Action, f.Values), http.StatusSeeOther)
			})
		})
	}
}

// TestCSRFTokenBoundToSession (BRW-06b, AUTH-05): once signed in, a token
// works only with its own session: not with another browser's session even
// when that browser carries the same CSRF cookie (a tossed cookie), and a
// token from before sign-in is stale.
func TestCSRFTokenBoundToSession(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email, pw = "alice@example.com", "correct horse battery"
	a := srv.SignedUp(t, email, pw)

	t.Run("tossed cookie", func(t *testing.T) {
		b := portaltest.NewClient(t, srv)
		portaltest.WantRedirect(t, b.Login(email, pw, false), "/")
		f := a.Get("/account/manage").Form(t, logoutForm)
		if a.Cookie(portaltest.CSRFCookie) == "" {
			t.Fatalf("no %s cookie", portaltest.CSRFCookie)
		}
		b.SetCookie(portaltest.CSRFCookie, a.Cookie(portaltest.CSRFCookie))
		wantCSRFRefused(t, b.Post(f.Action, f.Values))
		portaltest.WantStatus(t, b.Get("/account/manage"), http.StatusOK)
		portaltest.WantStatus(t, a.Get("/account/manage"), http.StatusOK)
	})

	t.Run("token from before sign-in", func(t *testing.T) {
		c := portaltest.NewClient(t, srv)
		before := c.Get("/account/login").Form(t, "#login-form").Values.Get("_csrf")
		portaltest.WantRedirect(t, c.Login(email, pw, false), "/")
		f := c.Get("/account/manage").Form(t, logoutForm)
		if got := f.Values.Get("_csrf"); got == before {
			t.Errorf("the CSRF token did not change at sign-in")
		}
		stale := url.Values{"_csrf": {before}}
		wantCSRFRefused(t, c.Post(f.Action, stale))
		portaltest.WantStatus(t, c.Get("/account/manage"), http.StatusOK)
		portaltest.WantStatus(t, c.Post(f.Action, f.Values), http.StatusSeeOther)
	})
}

// checkSecurityHeaders asserts the headers of BRW-03, BRW-04 and BRW-05 on
// an HTML page and returns its CSP nonce.
func checkSecurityHeaders(t testing.TB, p *portaltest.Page) string {
	t.Helper()
	h := p.Header
	if got, want := h.Get("Content-Type"), "text/html; charset=utf-8"; !strings.EqualFold(got, want) {
		t.Errorf("%s: Content-Type=%q, want %q", p.URL, got, want)
	}
	csp := h.Get("Content-Security-Policy")
	directives := map[string]string{}
	for _, d := range strings.Split(csp, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		directives[name] = value
	}
	for name, want := range map[string]string{
		"default-src":     "'self'",
		"object-src":      "'none'",
		"base-uri":        "'none'",
		"frame-ancestors": "'none'",
		"form-action":     "'self'",
	} {
		if got := directives[name]; got != want {
			t.Errorf("%s: CSP %s=%q, want %q (CSP %q)", p.URL, name, got, want, csp)
		}
	}
	m := regexp.MustCompile(`'nonce-([A-Za-z0-9+/_=-]+)'`).FindStringSubmatch(directives["script-src"])
	if m == nil {
		t.Errorf("%s: CSP script-src=%q has no nonce", p.URL, directives["script-src"])
	}
	for name, want := range map[string]string{
		"X-Content-Type-Options":     "nosniff",
		"Referrer-Policy":            "strict-origin-when-cross-origin",
		"Cross-Origin-Opener-Policy": "same-origin",
	} {
		if got := h.Get(name); got != want {
			t.Errorf("%s: %s=%q, want %q", p.URL, name, got, want)
		}
	}
	if got := h.Get("Cache-Control"); !strings.Contains(got, "no-store") {
		t.Errorf("%s: Cache-Control=%q, want no-store", p.URL, got)
	}
	for _, name := range []string{"Server", "X-Powered-By"} {
		if got := h.Get(name); got != "" {
			t.Errorf("%s: %s=%q, want none", p.URL, name, got)
		}
	}
	if m == nil {
		return ""
	}
	return m[1]
}

// TestSecurityHeaders (BRW-03, BRW-04): on a page, a 404, a 422, a 403
// and a signed-in page; a fresh nonce each time.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email, pw = "alice@example.com", "correct horse battery"
	signedIn := srv.SignedUp(t, email, pw)
	c := portaltest.NewClient(t, srv)

	home := c.Get("/")
	portaltest.WantStatus(t, home, http.StatusOK)
	notFound := c.Get("/no/such/page")
	portaltest.WantStatus(t, notFound, http.StatusNotFound)
	invalid := c.Login(email, "wrong horse battery", false)
	portaltest.WantStatus(t, invalid, http.StatusUnprocessableEntity)
	forbidden := c.Post("/account/login", url.Values{"email": {email}, "password": {pw}})
	portaltest.WantStatus(t, forbidden, http.StatusForbidden)
	manage := signedIn.Get("/account/manage")
	portaltest.WantStatus(t, manage, http.StatusOK)
	home2 := c.Get("/")

	seen := map[string]string{}
	for _, p := range []*portaltest.Page{home, notFound, invalid, forbidden, manage, home2} {
		nonce := checkSecurityHeaders(t, p)
		if nonce == "" {
			continue
		}
		if prev, ok := seen[nonce]; ok {
			t.Errorf("CSP nonce %q of %s repeats on %s", nonce, p.URL, prev)
		}
		seen[nonce] = p.URL
	}
}

// TestNotFoundPage: an unknown path is an HTML 404 page of Portal's own,
// with no Go or echo error text.
func TestNotFoundPage(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	c := portaltest.NewClient(t, srv)
	for _, path := range []string{"/no-such-page", "/account/no-such-page", "/.env", "/account/no-such-page/"} {
		p := c.Get(path)
		portaltest.WantStatus(t, p, http.StatusNotFound)
		if got := p.Header.Get("Content-Type"); !strings.HasPrefix(got, "text/html") {
			t.Errorf("%s: Content-Type=%q, want text/html", path, got)
		}
		if !p.Has(t, "[data-testid=error-message]") {
			t.Errorf("%s: not Portal's error page:\n%s", path, p.Body)
		}
		for _, leak := range []string{"code=404", `{"message"`, "labstack", "goroutine", "runtime error", "404 page not found", ".go:"} {
			if strings.Contains(p.Body, leak) {
				t.Errorf("%s: body shows %q:\n%s", path, leak, p.Body)
			}
		}
	}
}

// TestHealthz: 200 when the store answers.
func TestHealthz(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	p := portaltest.NewClient(t, srv).Get("/healthz")
	portaltest.WantStatus(t, p, http.StatusOK)
	if got := p.SessionSetCookies(); len(got) != 0 {
		t.Errorf("/healthz set a session cookie: %q", got)
	}
}

// TestStaticStylesheet (CONVENTIONS 17): the page links a content-hashed
// stylesheet that is served as text/css and cached as immutable.
func TestStaticStylesheet(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	c := portaltest.NewClient(t, srv)
	p := c.Get("/")
	portaltest.WantStatus(t, p, http.StatusOK)
	href := p.Doc(t).Find(`link[rel=stylesheet]`).AttrOr("href", "")
	if !regexp.MustCompile(`^/static/portal\.[0-9A-Za-z_-]{8,}\.css$`).MatchString(href) {
		t.Fatalf("stylesheet href=%q, want /static/portal.<hash>.css", href)
	}
	css := c.Get(href)
	portaltest.WantStatus(t, css, http.StatusOK)
	if got := css.Header.Get("Content-Type"); !strings.HasPrefix(got, "text/css") {
		t.Errorf("Content-Type=%q, want text/css", got)
	}
	if got := css.Header.Get("Cache-Control"); !strings.Contains(got, "immutable") {
		t.Errorf("Cache-Control=%q, want immutable", got)
	}
	if got := css.Header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("X-Content-Type-Options=%q, want nosniff", got)
	}
	if got := css.SessionSetCookies(); len(got) != 0 {
		t.Errorf("the stylesheet set a session cookie: %q", got)
	}
	if len(css.Body) == 0 {
		t.Errorf("empty stylesheet")
	}
}

// TestLoginReturnURL (BRW-08): after login, only a local path is followed.
func TestLoginReturnURL(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email, pw = "alice@example.com", "correct horse battery"
	srv.SignedUp(t, email, pw)

	login := func(t *testing.T, rawQuery string) *portaltest.Page {
		t.Helper()
		c := portaltest.NewClient(t, srv)
		f := c.Get("/account/login").Form(t, "#login-form")
		f.Set("email", email).Set("password", pw)
		return c.Post("/account/login?"+rawQuery, f.Values)
	}
	evil := []string{
		"https://evil.example",
		"//evil.example",
		`/\evil.example`,
		`\/\/evil.example`,
		"https:evil.example",
		"/%2F%2Fevil.example",
		"/%5Cevil.example",
		"https://" + strings.TrimPrefix(srv.URL, "http://") + ".evil.example",
		"http://" + strings.TrimPrefix(srv.URL, "http://") + "@evil.example",
		"javascript:alert(1)",
		"data:text/html,<script>alert(1)</script>",
		"/account/manage%0d%0aSet-Cookie:%20evil=1",
		"/account/manage\r\nSet-Cookie: evil=1",
		"/\t/evil.example",
		"///evil.example",
	}
	for _, v := range evil {
		t.Run(v, func(t *testing.T) {
			// The value as the parameter's decoded content.
			portaltest.WantRedirect(t, login(t, "returnUrl="+url.QueryEscape(v)), "/")
			// And, where it is a valid query, as typed into the URL.
			if !strings.ContainsAny(v, "\r\n\t \\<>") {
				p := login(t, "returnUrl="+v)
				portaltest.WantRedirect(t, p, "/")
			}
		})
	}
	for _, good := range []string{"/account/manage?x=1", "/account/manage", "/"} {
		t.Run(good, func(t *testing.T) {
			portaltest.WantRedirect(t, login(t, "returnUrl="+url.QueryEscape(good)), good)
		})
	}
}

// TestBodyLimit (REL-08): a form body over 64 KiB is refused with 413.
func TestBodyLimit(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	c := portaltest.NewClient(t, srv)
	f := c.Get("/account/login").Form(t, "#login-form")
	f.Set("email", "alice@example.com").Set("password", strings.Repeat("a", 65*1024))
	p := c.Post(f.Action, f.Values)
	portaltest.WantStatus(t, p, http.StatusRequestEntityTooLarge)
	if got := p.Header.Get("Content-Type"); !strings.HasPrefix(got, "text/html") {
		t.Errorf("413 Content-Type=%q, want text/html", got)
	}

	// Just under the limit is a normal (failed) login.
	f.Set("password", strings.Repeat("a", 60*1024))
	portaltest.WantStatus(t, c.Post(f.Action, f.Values), http.StatusUnprocessableEntity)
}

// TestOneSessionCookiePerResponse (CONVENTIONS 11): no response carries
// two Set-Cookie headers for the session, in particular not an error page
// rendered while the session was modified (a flash popped, the last-seen
// time moved on).
func TestOneSessionCookiePerResponse(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	c := portaltest.NewClient(t, srv)
	// Every response of this test goes through check.
	check := func(p *portaltest.Page) *portaltest.Page {
		t.Helper()
		if n := len(p.SessionSetCookies()); n > 1 {
			t.Errorf("%s: %d Set-Cookie headers for %s, want at most 1: %q", p.URL, n, portaltest.SessionCookie, p.SessionSetCookies())
		}
		return p
	}
	wantOne := func(p *portaltest.Page) {
		t.Helper()
		if got, want := len(p.SessionSetCookies()), 1; got != want {
			t.Errorf("%s: %d Set-Cookie headers for %s, want %d", p.URL, got, portaltest.SessionCookie, want)
		}
	}
	// wantAtMostOne: a response that need not touch the session (the
	// registry, not the cookie session, records activity).
	wantAtMostOne := func(p *portaltest.Page) {
		t.Helper()
		if got := len(p.SessionSetCookies()); got > 1 {
			t.Errorf("%s: %d Set-Cookie headers for %s, want at most 1", p.URL, got, portaltest.SessionCookie)
		}
	}
	const pw = "correct horse battery"
	// register registers email and returns the confirm form of its link.
	register := func(email string) *portaltest.Form {
		t.Helper()
		f := check(c.Get("/account/register")).Form(t, "#register-form")
		f.Set("email", email).Set("password", pw).Set("confirm_password", pw)
		portaltest.WantRedirect(t, check(c.Post(f.Action, f.Values)), "/account/register-confirmation")
		mails := srv.MailsTo(t, email)
		if len(mails) != 1 {
			t.Fatalf("mails to %s=%d, want 1", email, len(mails))
		}
		link, err := url.Parse(mails[0].Link(t, "/account/confirm-email"))
		if err != nil {
			t.Fatal(err)
		}
		p := check(c.Get(link.RequestURI()))
		portaltest.WantStatus(t, p, http.StatusOK)
		return p.Form(t, "#confirm-email-form")
	}
	// confirm spends the link: the session gets a flash.
	confirm := func(f *portaltest.Form) {
		t.Helper()
		p := check(c.Post(f.Action, f.Values))
		portaltest.WantRedirect(t, p, "/account/login")
		wantOne(p)
	}
	wantFlash := func(p *portaltest.Page) {
		t.Helper()
		if got := p.Text(t, "#status-message"); !strings.Contains(got, "Thank you") {
			t.Errorf("%s: #status-message=%q, want the flash", p.URL, got)
		}
	}

	// A 422 page that pops the flash.
	f1 := register("one@example.com")
	bogus := &portaltest.Form{Action: f1.Action, Values: url.Values{}}
	for k, v := range f1.Values {
		bogus.Values[k] = append([]string(nil), v...)
	}
	bogus.Set("code", "bogus")
	confirm(f1)
	p := check(c.Post(bogus.Action, bogus.Values))
	portaltest.WantStatus(t, p, http.StatusUnprocessableEntity)
	wantOne(p)
	wantFlash(p)

	// A 404 page (echo's error handler) that pops the flash.
	confirm(register("two@example.com"))
	p = check(c.Get("/no-such-page"))
	portaltest.WantStatus(t, p, http.StatusNotFound)
	wantOne(p)
	wantFlash(p)

	// A 403 CSRF page that pops the flash.
	f3 := register("three@example.com")
	login := check(c.Get("/account/login")).Form(t, "#login-form")
	confirm(f3)
	login.Values.Del("_csrf")
	p = check(c.Post(login.Action, login.Values))
	portaltest.WantStatus(t, p, http.StatusForbidden)
	wantOne(p)
	wantFlash(p)

	// Signed in: a 404 and a 403 while the last-seen time moves on.
	login = check(c.Get("/account/login")).Form(t, "#login-form")
	login.Set("email", "one@example.com").Set("password", pw)
	p = check(c.Post(login.Action, login.Values))
	portaltest.WantRedirect(t, p, "/")
	wantOne(p)
	portaltest.WantStatus(t, check(c.Get("/no-such-page")), http.StatusNotFound)
	srv.Clock.Advance(2 * srv.Config.SessionIdleTimeout / 10)
	p = check(c.Get("/no-such-page"))
	portaltest.WantStatus(t, p, http.StatusNotFound)
	wantAtMostOne(p)
	logout := check(c.Get("/account/manage")).Form(t, logoutForm)
	logout.Values.Del("_csrf")
	srv.Clock.Advance(2 * srv.Config.SessionIdleTimeout / 10)
	p = check(c.Post(logout.Action, logout.Values))
	portaltest.WantStatus(t, p, http.StatusForbidden)
	wantAtMostOne(p)
	portaltest.WantStatus(t, check(c.Get("/account/manage")), http.StatusOK)
}

// TestAttackSurface: unsupported methods get 405 with Allow, not a CSRF 403,
// and an unknown static file gets the HTML 404 page (BRW-09).
func TestAttackSurface(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	c := portaltest.NewClient(t, srv)
	for _, tc := range []struct{ method, path string }{
		{"TRACE", "/"},
		{http.MethodDelete, "/account/login"},
		{http.MethodPut, "/account/register"},
	} {
		req, err := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		p := c.Do(req)
		if got, want := p.Status, http.StatusMethodNotAllowed; got != want {
			t.Errorf("%s %s status=%d, want %d", tc.method, tc.path, got, want)
		}
		if p.Header.Get("Allow") == "" {
			t.Errorf("%s %s: no Allow header", tc.method, tc.path)
		}
	}
	for _, path := range []string{"/static/nope.css", "/.git/config", "/.env", "/debug/pprof/", "/metrics"} {
		p := c.Get(path)
		if got, want := p.Status, http.StatusNotFound; got != want {
			t.Errorf("GET %s status=%d, want %d", path, got, want)
		}
		if ct := p.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("GET %s Content-Type=%q, want the HTML error page", path, ct)
		}
	}
}
