package tests

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accountportal/portal/internal/portaltest"
)

const invalidLogin = "Invalid login attempt."

// wantInvalidLogin fails the test unless p is the generic failed-login page.
func wantInvalidLogin(t testing.TB, p *portaltest.Page) {
	t.Helper()
	portaltest.WantStatus(t, p, http.StatusUnprocessableEntity)
	if got, want := p.Text(t, ".form-error"), invalidLogin; got != want {
		t.Fatalf(".form-error=%q, want %q", got, want)
	}
}

// TestLoginSucceeds: 303 to "/" or to the returnUrl.
func TestLoginSucceeds(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email, pw = "alice@example.com", "correct horse battery"
	srv.SignedUp(t, email, pw)

	c := portaltest.NewClient(t, srv)
	portaltest.WantLoginRedirect(t, c.Get("/account/manage"), "/account/manage")
	portaltest.WantRedirect(t, c.Login(email, pw, false), "/")
	p := c.Get("/account/manage")
	portaltest.WantStatus(t, p, http.StatusOK)
	if got := p.Text(t, "[data-testid=email]"); !strings.HasPrefix(got, email) {
		t.Errorf("manage email=%q, want %q", got, email)
	}

	c = portaltest.NewClient(t, srv)
	p = c.Submit("/account/login?returnUrl=%2Faccount%2Fmanage", "#login-form", map[string]string{"email": email, "password": pw})
	portaltest.WantRedirect(t, p, "/account/manage")
	portaltest.WantStatus(t, c.Follow(p), http.StatusOK)
}

// TestLoginFailuresLookAlike (AUTH-01): a wrong password, an unknown
// address, an unconfirmed account and a locked account (with the right
// password) get the same status, message, headers and — with the CSRF
// token, nonce and typed address masked — the same body.
func TestLoginFailuresLookAlike(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const pw = "correct horse battery"
	srv.SignedUp(t, "alice@example.com", pw)
	srv.SignedUp(t, "carol@example.com", pw)
	portaltest.NewClient(t, srv).Register("bob@example.com", pw) // never confirmed
	for range 5 {
		wantInvalidLogin(t, portaltest.NewClient(t, srv).Login("carol@example.com", "wrong horse battery", false))
	}

	cases := []struct{ name, email, password string }{
		{"wrong password", "alice@example.com", "wrong horse battery"},
		{"unknown email", "nobody@example.com", pw},
		{"unconfirmed", "bob@example.com", pw},
		{"locked, right password", "carol@example.com", pw},
	}
	var first *portaltest.Page
	var firstBody string
	for _, tc := range cases {
		c := portaltest.NewClient(t, srv)
		p := c.Login(tc.email, tc.password, false)
		wantInvalidLogin(t, p)
		if got := c.Cookie(portaltest.SessionCookie); got != "" {
			t.Errorf("%s: a session cookie was set", tc.name)
		}
		body := portaltest.MaskedBody(t, p, tc.email)
		if first == nil {
			first, firstBody = p, body
			continue
		}
		if got, want := headerNames(p.Header), headerNames(first.Header); !slices.Equal(got, want) {
			t.Errorf("%s: headers=%v, want %v as for %s", tc.name, got, want, cases[0].name)
		}
		if body != firstBody {
			t.Errorf("%s: body differs from %s:\n--- %s\n%s\n--- %s\n%s", tc.name, cases[0].name, tc.name, body, cases[0].name, firstBody)
		}
	}
}

// TestLoginEmailIsCaseInsensitive (REG-02): any case of the address signs in.
func TestLoginEmailIsCaseInsensitive(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const pw = "correct horse battery"
	srv.SignedUp(t, "alice@example.com", pw)
	srv.SignedUp(t, "Bob.Smith@Example.COM", pw)
	for _, email := range []string{"ALICE@EXAMPLE.COM", "Alice@Example.com", "bob.smith@example.com", "  BOB.SMITH@example.com "} {
		c := portaltest.NewClient(t, srv)
		portaltest.WantRedirect(t, c.Login(email, pw, false), "/")
		portaltest.WantStatus(t, c.Get("/account/manage"), http.StatusOK)
	}
}

// TestLoginLockout (AUTH-03): after 5 wrong passwords even the right one
// fails, with the generic answer, until the lockout has passed.
func TestLoginLockout(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email, pw = "alice@example.com", "correct horse battery"
	srv.SignedUp(t, email, pw)

	c := portaltest.NewClient(t, srv)
	var wrong *portaltest.Page
	for range 5 {
		wrong = c.Login(email, "wrong horse battery", false)
		wantInvalidLogin(t, wrong)
	}
	locked := c.Login(email, pw, false)
	wantInvalidLogin(t, locked)
	if got, want := portaltest.MaskedBody(t, locked), portaltest.MaskedBody(t, wrong); got != want {
		t.Errorf("locked login differs from a wrong password (AUTH-01):\n--- locked\n%s\n--- wrong\n%s", got, want)
	}
	portaltest.WantLoginRedirect(t, c.Get("/account/manage"), "/account/manage")

	srv.Clock.Advance(4 * time.Minute)
	wantInvalidLogin(t, c.Login(email, pw, false))

	srv.Clock.Advance(time.Minute + time.Second) // 5 min 1 s after the lockout began
	portaltest.WantRedirect(t, c.Login(email, pw, false), "/")
	portaltest.WantStatus(t, c.Get("/account/manage"), http.StatusOK)
}

// TestLoginSuccessResetsFailures (AUTH-03): the counter counts failures in
// a row; a success starts it again.
func TestLoginSuccessResetsFailures(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email, pw = "alice@example.com", "correct horse battery"
	srv.SignedUp(t, email, pw)

	c := portaltest.NewClient(t, srv)
	for range 4 {
		wantInvalidLogin(t, c.Login(email, "wrong horse battery", false))
	}
	portaltest.WantRedirect(t, c.Login(email, pw, false), "/")

	c = portaltest.NewClient(t, srv)
	for range 4 {
		wantInvalidLogin(t, c.Login(email, "wrong horse battery", false))
	}
	portaltest.WantRedirect(t, c.Login(email, pw, false), "/")
}

// TestLoginRememberMeCookie (BRW-02, BRW-05): only "remember me" makes the session
// cookie persistent, for about 14 days.
func TestLoginRememberMeCookie(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email, pw = "alice@example.com", "correct horse battery"
	srv.SignedUp(t, email, pw)

	for _, remember := range []bool{false, true} {
		c := portaltest.NewClient(t, srv)
		p := c.Login(email, pw, remember)
		portaltest.WantRedirect(t, p, "/")
		raw := p.SessionSetCookies()
		if got, want := len(raw), 1; got != want {
			t.Fatalf("remember=%v: %d Set-Cookie for %s, want %d: %q", remember, got, portaltest.SessionCookie, want, p.Header.Values("Set-Cookie"))
		}
		if got := p.Header.Get("Cache-Control"); !strings.Contains(got, "no-store") {
			t.Errorf("remember=%v: Cache-Control=%q on a response that sets the session cookie, want no-store (BRW-05)", remember, got)
		}
		ck, err := http.ParseSetCookie(raw[0])
		if err != nil {
			t.Fatalf("parse %q: %v", raw[0], err)
		}
		if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Domain != "" {
			t.Errorf("remember=%v: cookie %q, want HttpOnly; SameSite=Lax; Path=/; no Domain", remember, raw[0])
		}
		hasExpiry := ck.MaxAge != 0 || ck.RawExpires != ""
		if !remember {
			if hasExpiry {
				t.Errorf("without remember me the session cookie is persistent: %q", raw[0])
			}
			continue
		}
		if !hasExpiry {
			t.Fatalf("with remember me the session cookie is not persistent: %q", raw[0])
		}
		const want, slack = 14 * 24 * time.Hour, time.Hour
		if ck.MaxAge != 0 {
			if got := time.Duration(ck.MaxAge) * time.Second; got < want-slack || got > want+slack {
				t.Errorf("Max-Age=%v, want about %v", got, want)
			}
		}
		if ck.RawExpires != "" {
			if got := time.Until(ck.Expires); got < want-slack || got > want+slack {
				t.Errorf("Expires in %v, want about %v", got, want)
			}
		}
	}
}
