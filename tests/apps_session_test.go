package tests

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/internal/portaltest"
)

// The applications around Portal (issue 19, DESIGN.md "Apps around
// Portal"): GET /account/session.

const apSessionPath = "/account/session"

type apSession struct {
	User struct {
		ID               string `json:"id"`
		Email            string `json:"email"`
		EmailVerified    bool   `json:"email_verified"`
		Username         string `json:"username"`
		TwoFactorEnabled bool   `json:"two_factor_enabled"`
	} `json:"user"`
	Session struct {
		AuthenticatedAt string   `json:"authenticated_at"`
		ExpiresAt       string   `json:"expires_at"`
		AMR             []string `json:"amr"`
	} `json:"session"`
}

// apWhoAmI gets /account/session and checks the contract's common part:
// JSON, no-store, and never a cookie (the call writes nothing).
func apWhoAmI(t testing.TB, c *portaltest.Client) (*portaltest.Page, *apSession) {
	t.Helper()
	p := c.Get(apSessionPath)
	if ct := p.Header.Get("Content-Type"); ct != "application/json" && ct != "application/json; charset=UTF-8" {
		t.Errorf("Content-Type=%q, want application/json", ct)
	}
	if cc := p.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control=%q, want no-store", cc)
	}
	apWantCheckHeaders(t, p)
	// It writes nothing: no cookie, beyond expiring the cookie of a
	// session found ended.
	for _, ck := range (&http.Response{Header: p.Header}).Cookies() {
		if ck.MaxAge >= 0 || p.Status == http.StatusOK {
			t.Errorf("/account/session set cookie %q: it must write nothing", ck.String())
		}
	}
	switch p.Status {
	case http.StatusOK:
		var s apSession
		if err := json.Unmarshal([]byte(p.Body), &s); err != nil {
			t.Fatalf("200 body %q: %v", p.Body, err)
		}
		if got := p.Header.Get("X-Portal-User-Id"); got == "" || got != s.User.ID {
			t.Errorf("X-Portal-User-Id=%q, user.id=%q", got, s.User.ID)
		}
		return p, &s
	case http.StatusUnauthorized:
		var e map[string]string
		if err := json.Unmarshal([]byte(p.Body), &e); err != nil || len(e) != 1 || e["error"] != "unauthenticated" {
			t.Errorf(`401 body %q, want {"error":"unauthenticated"}`, p.Body)
		}
		if got := p.Header.Get("X-Portal-User-Id"); got != "" {
			t.Errorf("401 with X-Portal-User-Id=%q", got)
		}
		return p, nil
	}
	t.Fatalf("GET %s: status %d, body %q", apSessionPath, p.Status, p.Body)
	return nil, nil
}

func apWantSignedOut(t testing.TB, c *portaltest.Client, why string) {
	t.Helper()
	if p, _ := apWhoAmI(t, c); p.Status != http.StatusUnauthorized {
		t.Errorf("%s: /account/session answered %d, want 401", why, p.Status)
	}
}

// apWantCheckHeaders checks the security headers of an application
// check's answer (BRW-03/04, handlers/headers.go): those of every response
// (nosniff, no-store), and a CSP of data, not of a document — nothing may
// load from or frame it; no nonce, no script. The document's headers
// (X-Frame-Options, Referrer-Policy, COOP, Permissions-Policy) are left
// out: the answer is read by a program, never shown as a page.
func apWantCheckHeaders(t testing.TB, p *portaltest.Page) {
	t.Helper()
	if got, want := p.Header.Get("Content-Security-Policy"), "default-src 'none'; frame-ancestors 'none'"; got != want {
		t.Errorf("%s: Content-Security-Policy=%q, want %q", p.URL, got, want)
	}
	if got := p.Header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("%s: X-Content-Type-Options=%q, want nosniff", p.URL, got)
	}
	if got := p.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("%s: Cache-Control=%q, want no-store", p.URL, got)
	}
	for _, k := range []string{"X-Frame-Options", "Referrer-Policy", "Cross-Origin-Opener-Policy", "Permissions-Policy", "Vary"} {
		if got := p.Header.Get(k); got != "" {
			t.Errorf("%s: %s=%q on a check's answer (without --cors-origins, for Vary)", p.URL, k, got)
		}
	}
}

// TestAppCheckErrorPageHeaders (BRW-03/04): when a check's route answers
// with a page after all (an error page: a POST without a CSRF token, a
// method it does not take), the page has every header of a page — the
// nonce CSP and the document's headers — not the check's short set.
func TestAppCheckErrorPageHeaders(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	c := srv.SignedUp(t, "ada@example.com", mgPassword)
	for _, p := range []*portaltest.Page{
		c.Post(apSessionPath, url.Values{}),
		apDo(t, c, http.MethodDelete, apSessionPath, nil),
	} {
		if p.Status < 400 || p.Status >= 500 {
			t.Errorf("%s: status %d, want a 4xx error page", p.URL, p.Status)
		}
		checkSecurityHeaders(t, p)
	}
	// The checks' own answers, signed in and out, forward auth's too.
	apWhoAmI(t, c)
	for _, cl := range []*portaltest.Client{c, portaltest.NewClient(t, srv)} {
		p := cl.Get(apForwardPath)
		if p.Status != http.StatusOK && p.Status != http.StatusUnauthorized {
			t.Errorf("forward auth: status %d", p.Status)
		}
		apWantCheckHeaders(t, p)
	}
}

// TestSessionJSON (SES-02): the signed-in user and the session, as
// DESIGN.md's contract says; anonymous and forged cookies get 401.
func TestSessionJSON(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	apWantSignedOut(t, portaltest.NewClient(t, srv), "anonymous")
	forged := portaltest.NewClient(t, srv)
	forged.SetCookie(portaltest.SessionCookie, "forged-token-forged-token-forged-token-fo")
	apWantSignedOut(t, forged, "forged cookie")

	const email = "ada@example.com"
	signedIn := srv.Clock.Now()
	c := srv.SignedUp(t, email, mgPassword)
	p, s := apWhoAmI(t, c)
	if p.Status != http.StatusOK {
		t.Fatalf("signed in: status %d", p.Status)
	}
	if s.User.ID != srv.UserID(t, email) || s.User.Email != email || !s.User.EmailVerified || s.User.Username != email || s.User.TwoFactorEnabled {
		t.Errorf("user=%+v", s.User)
	}
	if !slices.Equal(s.Session.AMR, []string{"pwd"}) {
		t.Errorf("amr=%v, want [pwd]", s.Session.AMR)
	}
	at, err := time.Parse(time.RFC3339, s.Session.AuthenticatedAt)
	if err != nil || !at.Equal(signedIn) {
		t.Errorf("authenticated_at=%q (%v), want %s", s.Session.AuthenticatedAt, err, signedIn.Format(time.RFC3339))
	}
	exp, err := time.Parse(time.RFC3339, s.Session.ExpiresAt)
	idle := srv.Config.SessionIdleTimeout
	if err != nil || !exp.Equal(signedIn.Add(idle)) {
		t.Errorf("expires_at=%q (%v), want the idle timeout %s after sign-in", s.Session.ExpiresAt, err, idle)
	}
}

// TestSessionJSONTouchesLikeAPage (SES-02): the JSON call extends the idle
// timeout exactly as a page view does — the once-a-minute last-seen touch
// and no more — and writes nothing else: no cookie, no row change within
// the minute.
func TestSessionJSONTouchesLikeAPage(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	c := srv.SignedUp(t, "ada@example.com", mgPassword)
	db := srv.GrayDB(t, true)
	row := func() string {
		var seen, ip string
		if err := db.QueryRow(`SELECT last_seen_at, ip FROM user_sessions`).Scan(&seen, &ip); err != nil {
			t.Fatal(err)
		}
		return seen + " " + ip
	}
	before := row()
	srv.Clock.Advance(30 * time.Second)
	for range 5 {
		apWhoAmI(t, c)
	}
	if got := row(); got != before {
		t.Errorf("calls within the minute wrote the session row: %q → %q", before, got)
	}
	// Past the idle timeout without a call: over, for JSON as for pages.
	idle := srv.Config.SessionIdleTimeout
	srv.Clock.Advance(idle - 31*time.Second) // 1s short of the timeout
	if p, _ := apWhoAmI(t, c); p.Status != http.StatusOK {
		t.Fatalf("within the idle timeout: %d", p.Status)
	}
	_, s := apWhoAmI(t, c)
	want := srv.Clock.Now().Add(idle)
	if exp, _ := time.Parse(time.RFC3339, s.Session.ExpiresAt); !exp.Equal(want) {
		t.Errorf("after a touch expires_at=%s, want %s (same as a page view)", s.Session.ExpiresAt, want.Format(time.RFC3339))
	}
	srv.Clock.Advance(idle)
	apWantSignedOut(t, c, "idle timeout")
	if c.SignedIn() {
		t.Errorf("pages still signed in after the idle timeout")
	}
}

// TestSessionJSONSeesRevocation (SES-01, SES-03): sign-out, "end other
// sessions" and a password change are seen by the very next call.
func TestSessionJSONSeesRevocation(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "ada@example.com"
	a := srv.SignedUp(t, email, mgPassword)
	b := srv.SignIn(t, email, mgPassword, true)
	c := srv.SignIn(t, email, mgPassword, false)
	for _, x := range []*portaltest.Client{a, b, c} {
		if p, _ := apWhoAmI(t, x); p.Status != http.StatusOK {
			t.Fatalf("signed in: %d", p.Status)
		}
	}
	portaltest.WantStatus(t, c.Logout(), http.StatusSeeOther)
	apWantSignedOut(t, c, "after sign-out")

	p := a.Submit("/account/manage/sessions", "#end-others-form", nil)
	portaltest.WantRedirect(t, p, "/account/manage/sessions")
	apWantSignedOut(t, b, "after end-others")
	if p, _ := apWhoAmI(t, a); p.Status != http.StatusOK {
		t.Errorf("end-others ended this session: %d", p.Status)
	}

	d := srv.SignIn(t, email, mgPassword, false)
	portaltest.WantRedirectPrefix(t, mgChangePassword(a, mgPassword, "a new horse battery", "a new horse battery"), "/account/manage")
	apWantSignedOut(t, d, "after a password change elsewhere")
	if p, _ := apWhoAmI(t, a); p.Status != http.StatusOK {
		t.Errorf("the browser that changed the password was signed out: %d", p.Status)
	}
}

// TestSessionJSONAMR (RFC 8176): a sign-in with the authenticator code is
// pwd+otp+mfa; a remembered browser that skipped the code is pwd only,
// until it re-authenticates with the code.
func TestSessionJSONAMR(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "ada@example.com"
	_, key, _ := tfUser(t, srv, email)

	c := tfPending(t, srv, email)
	portaltest.WantRedirect(t, tfSubmitCode(c, tfCode(t, srv, key, 0), true), "/")
	_, s := apWhoAmI(t, c)
	if s == nil || !slices.Equal(s.Session.AMR, []string{"pwd", "otp", "mfa"}) || !s.User.TwoFactorEnabled {
		t.Fatalf("2FA sign-in: %+v", s)
	}
	portaltest.WantStatus(t, c.Logout(), http.StatusSeeOther)
	srv.Clock.Advance(tfStep)

	// The remembered browser skips the code: one factor in this session.
	portaltest.WantRedirect(t, tfPasswordStep(c, email, tfPassword, false, ""), "/")
	_, s = apWhoAmI(t, c)
	if s == nil || !slices.Equal(s.Session.AMR, []string{"pwd"}) {
		t.Fatalf("remembered browser: %+v", s)
	}
	p := c.Reauth(portaltest.ReauthURL("/account/manage"), tfPassword, tfCode(t, srv, key, 0))
	portaltest.WantRedirect(t, p, "/account/manage")
	_, s = apWhoAmI(t, c)
	if s == nil || !slices.Equal(s.Session.AMR, []string{"pwd", "otp", "mfa"}) {
		t.Fatalf("after re-authentication with the code: %+v", s)
	}
	if at, _ := time.Parse(time.RFC3339, s.Session.AuthenticatedAt); !at.Equal(srv.Clock.Now()) {
		t.Errorf("authenticated_at=%s, want the re-authentication %s", s.Session.AuthenticatedAt, srv.Clock.Now().Format(time.RFC3339))
	}
}

// apDo sends method path from c with extra headers.
func apDo(t testing.TB, c *portaltest.Client, method, path string, hdr map[string]string) *portaltest.Page {
	t.Helper()
	req, err := http.NewRequest(method, c.URL(path), nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return c.Do(req)
}

// TestSessionJSONCORS (BRW-06): only the exact origins of --cors-origins
// may read the session with credentials; any other origin, its preflight
// included, gets no CORS headers; "*" is never sent and never accepted.
func TestSessionJSONCORS(t *testing.T) {
	t.Parallel()
	const app = "https://app.example.com"
	srv := portaltest.NewServer(t, func(cfg *portal.Config) { cfg.CORSOrigins = app + ", http://localhost:3000" })
	c := srv.SignedUp(t, "ada@example.com", mgPassword)

	p := apDo(t, c, http.MethodGet, apSessionPath, map[string]string{"Origin": app})
	portaltest.WantStatus(t, p, http.StatusOK)
	if p.Header.Get("Access-Control-Allow-Origin") != app || p.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("listed origin: ACAO=%q ACAC=%q", p.Header.Get("Access-Control-Allow-Origin"), p.Header.Get("Access-Control-Allow-Credentials"))
	}
	if !slices.Contains(p.Header.Values("Vary"), "Origin") {
		t.Errorf("Vary=%q, want Origin", p.Header.Values("Vary"))
	}
	pre := apDo(t, c, http.MethodOptions, apSessionPath, map[string]string{"Origin": app, "Access-Control-Request-Method": "GET"})
	if pre.Status != http.StatusNoContent || pre.Header.Get("Access-Control-Allow-Origin") != app || pre.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("listed preflight: %d %v", pre.Status, pre.Header)
	}

	for _, origin := range []string{"https://evil.example", "https://app.example.com.evil.example", "http://app.example.com", "null", "https://APP.example.com:444"} {
		for _, method := range []string{http.MethodGet, http.MethodOptions} {
			p := apDo(t, c, method, apSessionPath, map[string]string{"Origin": origin, "Access-Control-Request-Method": "GET"})
			for k := range p.Header {
				if len(k) > 13 && k[:13] == "Access-Contro" {
					t.Errorf("%s from %s: CORS header %s=%q", method, origin, k, p.Header.Get(k))
				}
			}
		}
	}

	for _, bad := range []string{"*", "https://*.example.com", "https://app.example.com/path"} {
		cfg, _ := portaltest.Config(t)
		cfg.CORSOrigins = bad
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "--cors-origins") {
			t.Errorf("--cors-origins %q: Validate()=%v, want a --cors-origins error", bad, err)
		}
	}
}
