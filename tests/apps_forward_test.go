package tests

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/internal/portaltest"
)

const apForwardPath = "/account/forward-auth"

// TestForwardAuth: 200 with the user's headers for a live session, for
// every method and without a CSRF token; 401 otherwise; after sign-out 401
// again (SES-01).
func TestForwardAuth(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	anon := portaltest.NewClient(t, srv)
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
		if p := apDo(t, anon, m, apForwardPath, nil); p.Status != http.StatusUnauthorized || p.Header.Get("X-Portal-User-Id") != "" {
			t.Errorf("anonymous %s: %d, user %q", m, p.Status, p.Header.Get("X-Portal-User-Id"))
		}
	}
	const email = "ada@example.com"
	c := srv.SignedUp(t, email, mgPassword)
	id := srv.UserID(t, email)
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
		p := apDo(t, c, m, apForwardPath, map[string]string{"Origin": "https://app.example.com", "Sec-Fetch-Site": "cross-site"})
		if p.Status != http.StatusOK {
			t.Errorf("signed in %s: %d %s", m, p.Status, p.Body)
			continue
		}
		for k, want := range map[string]string{"X-Portal-User-Id": id, "X-Portal-Email": email, "X-Portal-Username": email, "X-Portal-AMR": "pwd"} {
			if got := p.Header.Get(k); got != want {
				t.Errorf("%s %s=%q, want %q", m, k, got, want)
			}
		}
		if len(p.Header.Values("Set-Cookie")) > 0 {
			t.Errorf("%s: forward auth set cookies %q", m, p.Header.Values("Set-Cookie"))
		}
	}
	if !c.SignedIn() {
		t.Fatal("a POST/DELETE to forward auth changed the session")
	}
	portaltest.WantStatus(t, c.Logout(), http.StatusSeeOther)
	if p := apDo(t, c, http.MethodGet, apForwardPath, nil); p.Status != http.StatusUnauthorized {
		t.Errorf("after sign-out: %d", p.Status)
	}
	if p := apDo(t, c, http.MethodGet, apForwardPath+"?require=admin", nil); p.Status != http.StatusBadRequest {
		t.Errorf("unknown requirement: %d, want 400", p.Status)
	}
}

// TestForwardAuthRedirect (BRW-08): with ?redirect=1 a browser navigation
// goes to the login page with the original URL as returnUrl — absolute
// only for --allowed-return-origins, a path on Portal's own origin, and
// nothing for anything else; after signing in the browser lands there.
// Bad forwarded headers never give a 500 or an off-origin redirect.
func TestForwardAuthRedirect(t *testing.T) {
	t.Parallel()
	const app = "https://app.example.com"
	srv := portaltest.NewServer(t, func(cfg *portal.Config) { cfg.AllowedReturnOrigins = app })
	c := portaltest.NewClient(t, srv)
	nav := map[string]string{"Sec-Fetch-Mode": "navigate", "Accept": "text/html"}
	fwd := func(hdr map[string]string) *portaltest.Page {
		h := map[string]string{}
		for k, v := range nav {
			h[k] = v
		}
		for k, v := range hdr {
			h[k] = v
		}
		return apDo(t, c, http.MethodGet, apForwardPath+"?redirect=1", h)
	}
	self, _ := url.Parse(srv.URL)
	for _, tc := range []struct {
		name string
		hdr  map[string]string
		want string // the returnUrl, "" for none
	}{
		{"forwarded", map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "app.example.com", "X-Forwarded-Uri": "/orders?id=7"}, app + "/orders?id=7"},
		{"original url", map[string]string{"X-Original-URL": app + "/x/y"}, app + "/x/y"},
		{"own origin", map[string]string{"X-Original-URL": srv.URL + "/account/manage"}, "/account/manage"},
		{"own origin by host", map[string]string{"X-Forwarded-Proto": "http", "X-Forwarded-Host": self.Host, "X-Forwarded-Uri": "/account/manage/email"}, "/account/manage/email"},
		{"unlisted origin", map[string]string{"X-Original-URL": "https://evil.example/steal"}, ""},
		{"lookalike", map[string]string{"X-Original-URL": "https://app.example.com.evil.example/"}, ""},
		{"userinfo", map[string]string{"X-Original-URL": "https://app.example.com@evil.example/"}, ""},
		{"javascript", map[string]string{"X-Original-URL": "javascript:alert(document.cookie)"}, ""},
		{"huge uri", map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "app.example.com", "X-Forwarded-Uri": "/" + strings.Repeat("a", 8000)}, ""},
		{"encoded CRLF", map[string]string{"X-Original-URL": srv.URL + "/%0d%0aSet-Cookie:x=1"}, ""},
		{"protocol-relative uri", map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "app.example.com", "X-Forwarded-Uri": "//evil.example/"}, ""},
		{"no headers", nil, ""},
	} {
		p := fwd(tc.hdr)
		if p.Status != http.StatusFound {
			t.Errorf("%s: %d, want 302", tc.name, p.Status)
			continue
		}
		loc, err := url.Parse(p.Location())
		if err != nil || loc.Host != "" || loc.Path != "/account/login" || loc.Query().Get("returnUrl") != tc.want {
			t.Errorf("%s: Location=%q, want /account/login with returnUrl=%q", tc.name, p.Location(), tc.want)
		}
	}
	// Not a navigation (fetch, API client): 401 even with redirect=1.
	p := apDo(t, c, http.MethodGet, apForwardPath+"?redirect=1", map[string]string{"Sec-Fetch-Mode": "cors", "Accept": "application/json"})
	portaltest.WantStatus(t, p, http.StatusUnauthorized)

	// Signing in from the login page it sent us to lands back on the app.
	const email = "ada@example.com"
	srv.ConfirmedUser(t, email, mgPassword)
	login := fwd(map[string]string{"X-Original-URL": app + "/orders?id=7"}).Location()
	p = c.Submit(login, "#login-form", map[string]string{"email": email, "password": mgPassword})
	portaltest.WantRedirect(t, p, app+"/orders?id=7")
	// A returnUrl to an unlisted origin lands on Portal's home page.
	d := portaltest.NewClient(t, srv)
	p = d.Submit("/account/login?returnUrl="+url.QueryEscape("https://evil.example/"), "#login-form", map[string]string{"email": email, "password": mgPassword})
	portaltest.WantRedirect(t, p, "/")
	// The same absolute returnUrl is refused without --allowed-return-origins.
	other := portaltest.NewServer(t)
	other.ConfirmedUser(t, email, mgPassword)
	e := portaltest.NewClient(t, other)
	p = e.Submit("/account/login?returnUrl="+url.QueryEscape(app+"/orders"), "#login-form", map[string]string{"email": email, "password": mgPassword})
	portaltest.WantRedirect(t, p, "/")
}

// TestForwardAuthRequire2FA (MFA): ?require=2fa refuses a session without
// a second factor (403), or with redirect sends a navigation on to set up
// 2FA or re-authenticate with the code; a session with the code passes
// and says so in X-Portal-AMR.
func TestForwardAuthRequire2FA(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	nav := map[string]string{"Sec-Fetch-Mode": "navigate", "X-Original-URL": srv.URL + "/account/manage"}
	plain := srv.SignedUp(t, "bob@example.com", mgPassword)
	portaltest.WantStatus(t, apDo(t, plain, http.MethodGet, apForwardPath+"?require=2fa", nil), http.StatusForbidden)
	apWant302(t, apDo(t, plain, http.MethodGet, apForwardPath+"?require=2fa&redirect=1", nav), "/account/manage/two-factor")
	portaltest.WantStatus(t, apDo(t, plain, http.MethodGet, apForwardPath, nil), http.StatusOK)

	const email = "ada@example.com"
	_, key, _ := tfUser(t, srv, email)
	c := tfPending(t, srv, email)
	portaltest.WantRedirect(t, tfSubmitCode(c, tfCode(t, srv, key, 0), true), "/")
	p := apDo(t, c, http.MethodGet, apForwardPath+"?require=2fa", nil)
	portaltest.WantStatus(t, p, http.StatusOK)
	if got := p.Header.Get("X-Portal-AMR"); got != "pwd,otp,mfa" {
		t.Errorf("X-Portal-AMR=%q", got)
	}
	portaltest.WantStatus(t, c.Logout(), http.StatusSeeOther)
	srv.Clock.Advance(tfStep)
	portaltest.WantRedirect(t, tfPasswordStep(c, email, tfPassword, false, ""), "/") // remembered browser
	portaltest.WantStatus(t, apDo(t, c, http.MethodGet, apForwardPath+"?require=2fa", nil), http.StatusForbidden)
	p = apDo(t, c, http.MethodGet, apForwardPath+"?require=2fa&redirect=1", nav)
	apWant302(t, p, portaltest.ReauthURL("/account/manage"))
	portaltest.WantRedirect(t, c.Reauth(p.Location(), tfPassword, tfCode(t, srv, key, 0)), "/account/manage")
	portaltest.WantStatus(t, apDo(t, c, http.MethodGet, apForwardPath+"?require=2fa", nil), http.StatusOK)
}

// apWant302 checks a forward-auth redirect: 302 (what proxies pass on) to
// location.
func apWant302(t testing.TB, p *portaltest.Page, location string) {
	t.Helper()
	if p.Status != http.StatusFound || p.Location() != location {
		t.Fatalf("%s: %d to %q, want 302 to %q", p.URL, p.Status, p.Location(), location)
	}
}
