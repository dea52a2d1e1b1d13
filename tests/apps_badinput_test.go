package tests

import (
	"bufio"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/internal/portaltest"
)

// Bad input for the routes other programs drive (issue 19 "Bad input"):
// forged or foreign cookies, a cookie for a deleted user, huge or broken
// forwarded headers, returnUrls to unlisted origins. Every answer is
// 401/400 or a redirect on Portal's own origin (BRW-08) — never a 500,
// never a redirect elsewhere.

// biRoutes are the "who is this?" routes of the three ways in, as a
// fetch asks them.
var biRoutes = []string{apSessionPath, apForwardPath, apForwardPath + "?redirect=1", "/api/me", "/echo/me"}

// biWantAnonymous checks that every route answers c as nobody.
func biWantAnonymous(t *testing.T, c *portaltest.Client, why string) {
	t.Helper()
	for _, path := range biRoutes {
		p := apDo(t, c, http.MethodGet, path, map[string]string{"Accept": "application/json", "Sec-Fetch-Mode": "cors"})
		if p.Status != http.StatusUnauthorized {
			t.Errorf("%s: GET %s answered %d, want 401; body %q", why, path, p.Status, p.Body)
		}
		for _, h := range []string{"X-Portal-User-Id", "X-Portal-Email"} {
			if v := p.Header.Get(h); v != "" {
				t.Errorf("%s: GET %s sent %s=%q", why, path, h, v)
			}
		}
	}
	// A navigation to forward auth goes to the login page, here.
	nav := apDo(t, c, http.MethodGet, apForwardPath+"?redirect=1", map[string]string{"Sec-Fetch-Mode": "navigate", "Accept": "text/html"})
	if nav.Status != http.StatusFound {
		t.Errorf("%s: forward auth navigation answered %d, want 302", why, nav.Status)
	}
	biWantLocal(t, nav, why)
}

// biWantLocal checks a redirect stays on Portal's origin (BRW-08).
func biWantLocal(t *testing.T, p *portaltest.Page, why string) {
	t.Helper()
	if p.Status >= 500 {
		t.Fatalf("%s: %s answered %d", why, p.URL, p.Status)
	}
	if p.Status/100 != 3 {
		return
	}
	loc, err := url.Parse(p.Location())
	if err != nil || loc.Host != "" || loc.Scheme != "" || !strings.HasPrefix(loc.Path, "/") || strings.HasPrefix(loc.Path, "//") {
		t.Errorf("%s: %s redirects to %q, not a path on Portal's origin", why, p.URL, p.Location())
	}
}

// TestAppsForgedAndForeignCookies: a session cookie Portal never issued
// (garbage, huge, odd characters, several at once) and a live session
// cookie of another Portal (another database, another key) are nobody on
// every way in — JSON, forward auth and the embedding API — and never an
// error.
func TestAppsForgedAndForeignCookies(t *testing.T) {
	t.Parallel()
	cfg, clock := portaltest.Config(t)
	srv := portaltest.StartHost(t, cfg, clock, emHost)
	other := portaltest.NewServer(t)
	theirs := other.SignedUp(t, "ada@example.com", mgPassword)
	if _, s := apWhoAmI(t, theirs); s == nil {
		t.Fatal("the other Portal's session is not live")
	}
	foreign := theirs.Cookie(portaltest.SessionCookie)
	if foreign == "" {
		t.Fatal("no session cookie from the other Portal")
	}
	// The same person has an account here too: the cookie still says nothing.
	srv.SignedUp(t, "ada@example.com", mgPassword)
	for name, values := range map[string][]string{
		"foreign":    {foreign},
		"garbage":    {"forged-token-forged-token-forged-token-fo"},
		"empty":      {""},
		"huge":       {strings.Repeat("A", 3000)},
		"odd chars":  {"a.b-c_d~e!f*g'h(i)j"},
		"two forged": {"AAAA", "BBBB"},
	} {
		c := portaltest.NewClient(t, srv)
		hdr := ""
		for i, v := range values {
			if i > 0 {
				hdr += "; "
			}
			hdr += portaltest.SessionCookie + "=" + v
		}
		c.WithHeader("Cookie", hdr)
		biWantAnonymous(t, c, name)
	}
}

// TestAppsCookieOfDeletedUser: the session cookie of a second browser of
// an account that was then deleted is nobody everywhere (SES-01), not an
// error.
func TestAppsCookieOfDeletedUser(t *testing.T) {
	t.Parallel()
	cfg, clock := portaltest.Config(t)
	srv := portaltest.StartHost(t, cfg, clock, emHost)
	const email = "gone@example.com"
	first := srv.SignedUp(t, email, mgPassword)
	second := srv.SignIn(t, email, mgPassword, true) // remembered: a persistent cookie
	if p := apDo(t, second, http.MethodGet, "/api/me", nil); p.Status != http.StatusOK {
		t.Fatalf("second browser before the deletion: %d", p.Status)
	}
	portaltest.WantRedirect(t, pdSubmitDelete(t, first, mgPassword), "/account/deleted")
	biWantAnonymous(t, second, "deleted user")
}

// biRaw sends one raw HTTP/1.1 request to srv (headers a Go client would
// refuse to send) and returns the status line's code and the Location.
func biRaw(t *testing.T, srv *portaltest.Server, head string) (int, http.Header) {
	t.Helper()
	u, _ := url.Parse(srv.URL)
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write([]byte(head)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the answer to %q: %v", head, err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header
}

// TestForwardAuthBrokenHeaders: forwarded headers with CR, LF, NUL or
// other control characters, a tab, a header too big to carry along, and a
// javascript: original URL give 400 (the HTTP server refuses the request)
// or a redirect to the login page on Portal's own origin without that URL
// — never a 500, a header split or a redirect elsewhere.
func TestForwardAuthBrokenHeaders(t *testing.T) {
	t.Parallel()
	const app = "https://app.example.com"
	srv := portaltest.NewServer(t, func(cfg *portal.Config) { cfg.AllowedReturnOrigins = app })
	u, _ := url.Parse(srv.URL)
	for _, tc := range []struct {
		name, hdr string
		want      string // the returnUrl carried along, "" for none
	}{
		{"CR in uri", "X-Forwarded-Proto: https\r\nX-Forwarded-Host: app.example.com\r\nX-Forwarded-Uri: /a\rSet-Cookie: x=1\r\n", ""},
		// A bare LF ends the header line (the rest is a header of its own).
		{"bare LF in uri", "X-Forwarded-Proto: https\r\nX-Forwarded-Host: app.example.com\r\nX-Forwarded-Uri: /a\nSet-Cookie: x=1\r\n", app + "/a"},
		{"NUL in original", "X-Original-URL: https://app.example.com/a\x00b\r\n", ""},
		{"ESC in host", "X-Forwarded-Proto: https\r\nX-Forwarded-Host: app.example.com\x1b\r\nX-Forwarded-Uri: /a\r\n", ""},
		{"tab in original", "X-Original-URL: https://app.example.com/a\tb\r\n", ""},
		{"DEL in original", "X-Original-URL: https://app.example.com/a\x7fb\r\n", ""},
		// A folded header line arrives joined by a space: not a URL.
		{"obs-fold", "X-Original-URL: https://app.example.com/a\r\n https://evil.example/\r\n", ""},
		{"space in uri", "X-Forwarded-Proto: https\r\nX-Forwarded-Host: app.example.com\r\nX-Forwarded-Uri: /a https://evil.example/\r\n", ""},
		{"huge uri", "X-Forwarded-Proto: https\r\nX-Forwarded-Host: app.example.com\r\nX-Forwarded-Uri: /" + strings.Repeat("x", 60<<10) + "\r\n", ""},
		{"javascript", "X-Original-URL: javascript:alert(1)//https://app.example.com/\r\n", ""},
		{"javascript proto", "X-Forwarded-Proto: javascript\r\nX-Forwarded-Host: app.example.com\r\nX-Forwarded-Uri: /alert(1)\r\n", ""},
		{"data url", "X-Original-URL: data:text/html,<script>alert(1)</script>\r\n", ""},
		{"backslash host", "X-Original-URL: https://app.example.com\\@evil.example/\r\n", ""},
		{"evil host", "X-Forwarded-Proto: https\r\nX-Forwarded-Host: evil.example\r\nX-Forwarded-Uri: /x\r\n", ""},
		{"fine", "X-Forwarded-Proto: https\r\nX-Forwarded-Host: app.example.com\r\nX-Forwarded-Uri: /orders?id=7\r\n", app + "/orders?id=7"},
	} {
		status, h := biRaw(t, srv, "GET "+apForwardPath+"?redirect=1 HTTP/1.1\r\nHost: "+u.Host+
			"\r\nSec-Fetch-Mode: navigate\r\nAccept: text/html\r\n"+tc.hdr+"Connection: close\r\n\r\n")
		for _, ck := range h.Values("Set-Cookie") {
			if strings.HasPrefix(ck, "x=") {
				t.Errorf("%s: a header of the request came back as Set-Cookie %q", tc.name, ck)
			}
		}
		switch status {
		case http.StatusBadRequest, http.StatusRequestHeaderFieldsTooLarge:
			if tc.want != "" {
				t.Errorf("%s: status %d, want 302", tc.name, status)
			}
		case http.StatusFound:
			l, err := url.Parse(h.Get("Location"))
			if err != nil || l.Host != "" || l.Path != "/account/login" {
				t.Errorf("%s: Location %q, want Portal's login page", tc.name, h.Get("Location"))
				continue
			}
			if ret := l.Query().Get("returnUrl"); ret != tc.want {
				t.Errorf("%s: returnUrl %q, want %q", tc.name, ret, tc.want)
			}
		default:
			t.Errorf("%s: status %d, want 400 or 302 to the login page", tc.name, status)
		}
	}
}

// TestReturnURLUnlistedOrigins (BRW-08): every page that reads returnUrl
// — login, sign-out, re-authentication, the guest pages of a signed-in
// visitor — sends the browser to a path on Portal's origin when the
// returnUrl is absolute on an unlisted origin or not a URL at all; with
// the origin listed in --allowed-return-origins it goes there.
func TestReturnURLUnlistedOrigins(t *testing.T) {
	t.Parallel()
	const app = "https://app.example.com"
	srv := portaltest.NewServer(t, func(cfg *portal.Config) { cfg.AllowedReturnOrigins = app })
	const email = "ret@example.com"
	srv.ConfirmedUser(t, email, mgPassword)
	bad := []string{
		"https://evil.example/", "//evil.example/", "/\\evil.example", "https:evil.example", "javascript:alert(1)",
		"https://app.example.com.evil.example/", "https://app.example.com@evil.example/", "http://app.example.com/",
		"\x00/x", " https://evil.example/", "https://evil.example/%0d%0aSet-Cookie:x=1",
	}
	for _, ret := range bad {
		q := "?returnUrl=" + url.QueryEscape(ret)
		c := portaltest.NewClient(t, srv)
		p := c.Submit("/account/login"+q, "#login-form", map[string]string{"email": email, "password": mgPassword})
		biWantLocal(t, p, "login with returnUrl "+ret)
		// Signed in: the guest page sends on to returnUrl.
		biWantLocal(t, c.Get("/account/login"+q), "login page signed in, returnUrl "+ret)
		biWantLocal(t, c.Get("/account/register"+q), "register page signed in, returnUrl "+ret)
		p = c.Post("/account/logout"+q, url.Values{"_csrf": {c.CSRF("/account/logout")}})
		biWantLocal(t, p, "sign-out with returnUrl "+ret)
	}
	// The listed origin is honoured (the test can fail the other way).
	c := portaltest.NewClient(t, srv)
	p := c.Submit("/account/login?returnUrl="+url.QueryEscape(app+"/x"), "#login-form", map[string]string{"email": email, "password": mgPassword})
	portaltest.WantRedirect(t, p, app+"/x")
}
