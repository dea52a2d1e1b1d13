package tests

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/internal/portaltest"
	"github.com/accountportal/portal/pages"
)

// Portal under a path of its origin (issue 19 §1: --base-url
// https://example.com/auth), beside the application it signs people in
// for. The kit's clients put Portal paths under the server's base path,
// and WantRedirect compares Locations with them (portaltest.BasePath).

const bpBase = "/auth"

func bpServer(t testing.TB, opts ...func(*portal.Config)) *portaltest.Server {
	t.Helper()
	return portaltest.NewServer(t, append([]func(*portal.Config){portaltest.BasePath(bpBase)}, opts...)...)
}

// bpWantUnder fails unless the browser URL u (a Location, a link, an
// action) stays under the base path: a path under it, or an absolute URL
// on the server's origin under it.
func bpWantUnder(t testing.TB, srv *portaltest.Server, what, u string) {
	t.Helper()
	p := strings.TrimPrefix(u, srv.URL)
	if p != bpBase && !strings.HasPrefix(p, bpBase+"/") {
		t.Errorf("%s %q is outside %s", what, u, bpBase)
	}
}

// TestBasePathFlows: the flow suite's core — register, confirm, sign in,
// two-factor sign-in, sign out — under /auth; every redirect, cookie and
// mailed link under it too.
func TestBasePathFlows(t *testing.T) {
	t.Parallel()
	srv := bpServer(t)
	const email = "ada@example.com"
	c := portaltest.NewClient(t, srv)

	reg := c.Register(email, tfPassword)
	bpWantUnder(t, srv, "register: Location", reg.Location())
	link := srv.MailsTo(t, email)[0].Link(t, "/account/confirm-email")
	if !strings.HasPrefix(link, srv.URL+bpBase+"/account/confirm-email?") {
		t.Fatalf("confirmation link %q, want it under %s%s", link, srv.URL, bpBase)
	}
	c.ConfirmEmail(email)

	login := c.Login(email, tfPassword, false)
	portaltest.WantRedirect(t, login, "/") // /auth/
	if login.Location() != bpBase+"/" {
		t.Fatalf("after sign-in: Location %q, want %s/", login.Location(), bpBase)
	}
	ck := login.SetCookie(t, portaltest.SessionCookie)
	if ck == nil || ck.Path != bpBase || ck.Domain != "" {
		t.Fatalf("session cookie %v, want Path=%s and no Domain", ck, bpBase)
	}
	portaltest.WantStatus(t, c.Get("/account/manage"), http.StatusOK)
	if p, s := apWhoAmI(t, c); p.Status != http.StatusOK || s.User.Email != email {
		t.Fatalf("%s%s: %d %s", bpBase, apSessionPath, p.Status, p.Body)
	}

	// Two-factor on, sign out: the manage page sends the browser to the
	// login page under /auth, to come back under /auth.
	key, _ := tfEnable(t, srv, c)
	srv.Clock.Advance(tfStep)
	c.Logout()
	apWantSignedOut(t, c, "after sign-out")
	portaltest.WantLoginRedirect(t, c.Get("/account/manage/sessions"), "/account/manage/sessions")
	if got, want := c.Get("/account/manage").Location(), "/auth/account/login?returnUrl=%2Fauth%2Faccount%2Fmanage"; got != want {
		t.Fatalf("anonymous manage page: Location %q, want %q", got, want)
	}

	// Sign in with the code, with a returnUrl under /auth: back there.
	p := tfPasswordStep(c, email, tfPassword, false, bpBase+"/account/manage/sessions")
	portaltest.WantRedirect(t, p, tf2FAPath)
	portaltest.WantRedirect(t, tfSubmitCode(c, tfCode(t, srv, key, 0), false), "/account/manage/sessions")
	srv.Clock.Advance(tfStep)
	if _, s := apWhoAmI(t, c); s == nil || !strings.Contains(strings.Join(s.Session.AMR, " "), "otp") {
		t.Fatalf("after the code: session %+v, want amr with otp", s)
	}
	c.Logout()
	apWantSignedOut(t, c, "after the second sign-out")

	// BRW-08: a local returnUrl outside /auth (the application's path, or
	// one that climbs out) lands on Portal's home page, not there.
	for _, ret := range []string{"/app/orders", "/auth/../app", "/auth/%2e%2e/app", "/authx"} {
		d := portaltest.NewClient(t, srv)
		portaltest.WantRedirect(t, tfPasswordStep(d, email, tfPassword, false, ret), tf2FAPath)
		portaltest.WantRedirect(t, tfSubmitCode(d, tfCode(t, srv, key, 0), false), "/")
		srv.Clock.Advance(tfStep)
	}

	// Every mail of the flow links under /auth.
	for _, l := range portaltest.Links(srv.Mails(t), email, "http") {
		bpWantUnder(t, srv, "mailed link", l)
	}
}

// TestBasePathOutsideIsNotFound: outside /auth nothing answers — not the
// pages, the health checks or the static files — and /auth itself leads
// to /auth/.
func TestBasePathOutsideIsNotFound(t *testing.T) {
	t.Parallel()
	srv := bpServer(t)
	c := portaltest.NewClient(t, srv)
	css := c.Get("/").Doc(t).Find(`link[rel="stylesheet"]`).First().AttrOr("href", "")
	if !strings.HasPrefix(css, bpBase+"/static/") {
		t.Fatalf("stylesheet %q, want it under %s/static/", css, bpBase)
	}
	portaltest.WantStatus(t, c.Get(css), http.StatusOK)
	for _, p := range []string{"/healthz", "/readyz"} {
		portaltest.WantStatus(t, c.Get(p), http.StatusOK)
	}
	for _, p := range []string{"/", "/account/login", "/account/register", "/healthz", "/readyz",
		strings.TrimPrefix(css, bpBase), "/account/session", "/account/forward-auth", "/authx/account/login", "/auth.css"} {
		if got := c.Get(srv.URL + p); got.Status != http.StatusNotFound {
			t.Errorf("GET %s (outside %s): %d, want 404", p, bpBase, got.Status)
		}
	}
	if got := c.Post(srv.URL+"/account/login", url.Values{"email": {"a@example.com"}}); got.Status != http.StatusNotFound {
		t.Errorf("POST /account/login (outside %s): %d, want 404", bpBase, got.Status)
	}
	p := c.Get(srv.URL + bpBase)
	if p.Status != http.StatusMovedPermanently || p.Location() != bpBase+"/" {
		t.Errorf("GET %s: %v, want 301 to %s/", bpBase, p, bpBase)
	}
}

// TestBasePathLinksStayUnder: no page Portal serves under /auth links,
// posts or loads outside it, and no redirect leaves it. Signed in with a
// second factor and anonymous, it visits the route of every page of the
// registry and every page those link to.
func TestBasePathLinksStayUnder(t *testing.T) {
	t.Parallel()
	srv := bpServer(t)
	const email = "grace@example.com"
	user, _, _ := tfUser(t, srv, email)
	anon := portaltest.NewClient(t, srv)

	var start []string
	for _, pg := range pages.Pages() {
		r := strings.TrimPrefix(pg.Route, "GET ")
		if i := strings.Index(r, " ("); i >= 0 {
			r = r[:i]
		}
		if strings.HasPrefix(r, "/") {
			start = append(start, r)
		}
	}
	if len(start) < 20 {
		t.Fatalf("only %d page routes in the registry: %v", len(start), start)
	}
	for _, c := range []*portaltest.Client{user, anon} {
		seen := map[string]bool{}
		queue := append([]string(nil), start...)
		for len(queue) > 0 && len(seen) < 300 {
			u := queue[0]
			queue = queue[1:]
			if seen[u] {
				continue
			}
			seen[u] = true
			p := c.Get(u)
			if p.Status >= 500 {
				t.Errorf("GET %s: %d", p.URL, p.Status)
			}
			if loc := p.Location(); loc != "" {
				bpWantUnder(t, srv, "GET "+p.URL+": Location", loc)
				queue = append(queue, loc)
			}
			if !strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") {
				continue
			}
			for _, attr := range []string{"href", "action", "formaction", "src"} {
				p.Doc(t).Find("[" + attr + "]").Each(func(_ int, s *goquery.Selection) {
					v, _ := s.Attr(attr)
					if strings.HasPrefix(v, "#") || strings.HasPrefix(v, "otpauth:") || strings.HasPrefix(v, "data:") {
						return
					}
					bpWantUnder(t, srv, p.URL+": "+attr, v)
					if attr == "href" && strings.HasPrefix(v, bpBase+"/") && s.Is("a") {
						queue = append(queue, v)
					}
				})
			}
		}
		if len(seen) < len(start) {
			t.Errorf("visited %d pages, want at least the %d routes", len(seen), len(start))
		}
	}
}

// TestBasePathForwardAuth: behind a proxy, forward auth under /auth sends
// a browser to the login page under /auth; an original URL under /auth
// comes back as a path, and one of the application beside it (outside
// /auth, on an origin not listed) is not followed.
func TestBasePathForwardAuth(t *testing.T) {
	t.Parallel()
	srv := bpServer(t)
	c := portaltest.NewClient(t, srv)
	nav := map[string]string{"Sec-Fetch-Mode": "navigate", "Accept": "text/html"}
	for _, tc := range []struct{ original, want string }{
		{srv.URL + bpBase + "/account/manage", "/auth/account/login?returnUrl=%2Fauth%2Faccount%2Fmanage"},
		{srv.URL + "/app/orders", "/auth/account/login"},
	} {
		h := map[string]string{"X-Original-URL": tc.original}
		for k, v := range nav {
			h[k] = v
		}
		p := apDo(t, c, http.MethodGet, apForwardPath+"?redirect=1", h)
		if p.Status != http.StatusFound || p.Location() != tc.want {
			t.Errorf("original %s: %v, want 302 to %s", tc.original, p, tc.want)
		}
	}
	portaltest.WantStatus(t, apDo(t, c, http.MethodGet, apForwardPath, nil), http.StatusUnauthorized)
	srv.ConfirmedUser(t, "ada@example.com", mgPassword)
	d := srv.SignIn(t, "ada@example.com", mgPassword, false)
	p := apDo(t, d, http.MethodGet, apForwardPath, nil)
	if p.Status != http.StatusOK || p.Header.Get("X-Portal-Email") != "ada@example.com" {
		t.Errorf("signed in: %v %v", p, p.Header)
	}
}

// TestCookieDomain: --cookie-domain shares the session cookie with the
// domain's hosts (Domain=, Path=/ even under a base path); the other
// cookies stay the host's.
func TestCookieDomain(t *testing.T) {
	t.Parallel()
	// A name, not the kit's 127.0.0.1 (an address shares no cookies by
	// domain); the browser talks to the listener all the same.
	// (Mailed links would lead to localhost:80: no confirmation step.)
	srv := portaltest.NewServer(t, func(cfg *portal.Config) {
		cfg.BaseURL, cfg.CookieDomain = "http://localhost/auth", "localhost"
		cfg.RequireConfirmedEmail = false
	})
	c := portaltest.NewClient(t, srv)
	c.Register("ada@example.com", mgPassword)
	login := portaltest.NewClient(t, srv).Login("ada@example.com", mgPassword, false)
	portaltest.WantRedirect(t, login, "/")
	ck := login.SetCookie(t, portaltest.SessionCookie)
	if ck == nil || ck.Domain != "localhost" || ck.Path != "/" || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie %v, want Domain=localhost Path=/ HttpOnly SameSite=Lax", ck)
	}
	for _, v := range login.Header.Values("Set-Cookie") {
		if !strings.HasPrefix(v, portaltest.SessionCookie+"=") && strings.Contains(strings.ToLower(v), "domain=") {
			t.Errorf("another cookie is shared with the domain: %s", v)
		}
	}
	if ck := portaltest.NewClient(t, srv).Get("/account/login").SetCookie(t, portaltest.CSRFCookie); ck == nil || ck.Path != bpBase || ck.Domain != "" {
		t.Errorf("CSRF cookie %v, want Path=%s and no Domain", ck, bpBase)
	}
}

// TestOpenIDProviderUnderBasePath (issue 20 under issue 19 §1): the issuer
// is the base URL with its path, discovery is at
// /auth/.well-known/openid-configuration and names endpoints under /auth,
// and a stock relying party signs a person in through the login and
// consent pages under /auth.
func TestOpenIDProviderUnderBasePath(t *testing.T) {
	t.Parallel()
	srv := bpServer(t)
	const email, pw = "rp-user@example.com", "correct horse battery"
	srv.ConfirmedUser(t, email, pw)
	rp := srv.RegisterRP(t, identity.OIDCClientSpec{Name: "Acme Wiki"})
	var meta map[string]any
	if err := rp.Provider.Claims(&meta); err != nil {
		t.Fatal(err)
	}
	if got, want := meta["issuer"], srv.URL+bpBase; got != want {
		t.Fatalf("issuer %v, want %s", got, want)
	}
	for k, v := range meta {
		if s, ok := v.(string); ok && strings.HasSuffix(k, "_endpoint") {
			bpWantUnder(t, srv, "discovery "+k, s)
		}
	}
	browser := portaltest.NewClient(t, srv)
	a := rp.Start()
	code := rp.SignIn(browser, a, email, pw)
	tok, err := rp.Exchange(code, a)
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	if id := rp.IDToken(tok, a); id.Subject != srv.UserID(t, email) || id.Issuer != srv.URL+bpBase {
		t.Fatalf("id token: sub %q iss %q", id.Subject, id.Issuer)
	}
}

// TestForwardAuthNginxUnderBasePath (issue 19 §1 + §3): Portal under /auth
// and the app under /app/ on one nginx origin. The session cookie must
// reach /app/ for auth_request to see it, so Portal runs with
// --cookie-domain set to the host (Path=/); the browser signs up and in
// through nginx under /auth, the app gets the user id, a client-sent
// X-Portal-User-Id never passes, and after signing out the app refuses.
func TestForwardAuthNginxUnderBasePath(t *testing.T) {
	t.Parallel()
	bin := apNginxBin(t)
	addr := apFreeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	front := "http://localhost:" + port // a name: cookies are not shared by address
	srv := portaltest.NewServer(t, func(cfg *portal.Config) {
		cfg.BaseURL, cfg.CookieDomain = front+bpBase, "localhost"
		cfg.RequireConfirmedEmail = false
	})
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "user=%s", r.Header.Get("X-Portal-User-Id"))
	}))
	t.Cleanup(app.Close)
	dir := t.TempDir()
	portalAddr, appAddr := strings.TrimPrefix(srv.URL, "http://"), strings.TrimPrefix(app.URL, "http://")
	conf := fmt.Sprintf(`daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path %[1]s/body; proxy_temp_path %[1]s/proxy; fastcgi_temp_path %[1]s/fcgi;
  uwsgi_temp_path %[1]s/uwsgi; scgi_temp_path %[1]s/scgi;
  server {
    listen %[2]s;
    # Portal under /auth, passed on unchanged.
    location /auth/ { proxy_pass http://%[3]s; proxy_set_header Host $http_host; }
    location = /_portal_auth {
      internal;
      proxy_pass http://%[3]s/auth/account/forward-auth;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-URL $scheme://$http_host$request_uri;
    }
    location /app/ {
      auth_request /_portal_auth;
      auth_request_set $portal_user $upstream_http_x_portal_user_id;
      proxy_set_header X-Portal-User-Id $portal_user;
      proxy_pass http://%[4]s;
    }
  }
}
`, dir, addr, portalAddr, appAddr)
	apStartNginx(t, bin, dir, addr, conf)

	c := portaltest.NewClientAt(t, front)
	forged := map[string]string{"X-Portal-User-Id": "someone-else"}
	if p := apDo(t, c, http.MethodGet, "/app/", forged); p.Status != http.StatusUnauthorized || strings.Contains(p.Body, "user=") {
		t.Fatalf("anonymous through nginx: %d %q", p.Status, p.Body)
	}
	const email = "ada@example.com"
	p := c.Submit(bpBase+"/account/register", "#register-form", map[string]string{"email": email, "password": mgPassword, "confirm_password": mgPassword})
	portaltest.WantStatus(t, p, http.StatusSeeOther) // signed in (no confirmation asked here)
	if ck := p.SetCookie(t, portaltest.SessionCookie); ck == nil || ck.Domain != "localhost" || ck.Path != "/" {
		t.Fatalf("session cookie %v, want Domain=localhost Path=/", ck)
	}
	if p := apDo(t, c, http.MethodGet, bpBase+"/account/session", nil); p.Status != http.StatusOK {
		t.Fatalf("%s/account/session through nginx: %d %s", bpBase, p.Status, p.Body)
	}
	id := srv.UserID(t, email)
	if p := apDo(t, c, http.MethodGet, "/app/orders", forged); p.Status != http.StatusOK || p.Body != "user="+id {
		t.Fatalf("signed in through nginx: %d %q, want user=%s", p.Status, p.Body, id)
	}
	p = c.Submit(bpBase+"/account/logout", "#logout-form", nil)
	if p.Status != http.StatusSeeOther || p.Location() != bpBase+"/account/logout" {
		t.Fatalf("sign-out through nginx: %v", p)
	}
	if p := apDo(t, c, http.MethodGet, "/app/", forged); p.Status != http.StatusUnauthorized || strings.Contains(p.Body, "user=") {
		t.Errorf("after sign-out through nginx: %d %q", p.Status, p.Body)
	}
}
