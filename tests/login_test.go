package tests

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
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

// wantLockedOut fails the test unless p is the login page saying "too many
// attempts — try again in N minutes or reset your password" (AUTH-03,
// issue 17 item 7), with a Retry-After.
func wantLockedOut(t testing.TB, p *portaltest.Page, minutes int) {
	t.Helper()
	portaltest.WantStatus(t, p, http.StatusTooManyRequests)
	want := fmt.Sprintf("Too many attempts. Try again in %d minutes, or reset your password.", minutes)
	if minutes == 1 {
		want = "Too many attempts. Try again in 1 minute, or reset your password."
	}
	if got := p.Text(t, ".form-error"); got != want {
		t.Fatalf(".form-error=%q, want %q", got, want)
	}
	if !p.Has(t, "#login-form") {
		t.Fatalf("the lockout answer is not the login page:\n%s", p.Body)
	}
	if ra, err := strconv.Atoi(p.Header.Get("Retry-After")); err != nil || ra < 1 || ra > minutes*60 {
		t.Fatalf("Retry-After=%q, want 1..%d seconds", p.Header.Get("Retry-After"), minutes*60)
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
// address and an unconfirmed account with a wrong password (the right one
// is told to confirm, TestLoginUnconfirmedOffersResend) get the same
// status, message, headers
// and — with the CSRF token, nonce and typed address masked — the same
// body. After five failures a locked account (with the right password) and
// an address without an account (AUTH-03, issue 17 item 7) get the same
// "too many attempts" answer as each other.
func TestLoginFailuresLookAlike(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const pw = "correct horse battery"
	srv.SignedUp(t, "alice@example.com", pw)
	srv.SignedUp(t, "carol@example.com", pw)
	portaltest.NewClient(t, srv).Register("bob@example.com", pw) // never confirmed
	for range 5 {
		wantInvalidLogin(t, portaltest.NewClient(t, srv).Login("carol@example.com", "wrong horse battery", false))
		wantInvalidLogin(t, portaltest.NewClient(t, srv).Login("dave@example.com", "wrong horse battery", false))
	}

	alike := func(want func(testing.TB, *portaltest.Page), cases []struct{ name, email, password string }) {
		var first *portaltest.Page
		var firstBody string
		for _, tc := range cases {
			c := portaltest.NewClient(t, srv)
			p := c.Login(tc.email, tc.password, false)
			want(t, p)
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
	alike(wantInvalidLogin, []struct{ name, email, password string }{
		{"wrong password", "alice@example.com", "wrong horse battery"},
		{"unknown email", "nobody@example.com", pw},
		{"unconfirmed, wrong password", "bob@example.com", "wrong horse battery"},
	})
	alike(func(t testing.TB, p *portaltest.Page) { wantLockedOut(t, p, 15) }, []struct{ name, email, password string }{
		{"locked, right password", "carol@example.com", pw},
		{"no account, as many failures", "dave@example.com", pw},
	})
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

// TestLoginLockout (AUTH-03, issue 17 item 7): after 5 wrong passwords
// from a browser that never signed in, even the right one fails from there
// until the window (login-fail-ip-account, 15 minutes) has passed — and the page
// says so, with the minutes left, instead of "invalid login attempt"
// (which the owner would take for a wrong password).
func TestLoginLockout(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email, pw = "alice@example.com", "correct horse battery"
	srv.SignedUp(t, email, pw)

	c := portaltest.NewClient(t, srv)
	for range 5 {
		wantInvalidLogin(t, c.Login(email, "wrong horse battery", false))
	}
	wantLockedOut(t, c.Login(email, pw, false), 15)
	wantLockedOut(t, c.Login(email, "wrong horse battery", false), 15)
	portaltest.WantLoginRedirect(t, c.Get("/account/manage"), "/account/manage")

	srv.Clock.Advance(14 * time.Minute)
	wantLockedOut(t, c.Login(email, pw, false), 1)

	srv.Clock.Advance(time.Minute + time.Second) // 15 min 1 s after the first failure (login-fail-ip-account)
	portaltest.WantRedirect(t, c.Login(email, pw, false), "/")
	portaltest.WantStatus(t, c.Get("/account/manage"), http.StatusOK)
}

// TestLoginOwnerBrowserNotHeldByStrangers (AUTH-03, issue 17 item 4): the
// owner's browser signed in before (its device cookie), so strangers'
// failures — even from the owner's own address, people behind the same
// NAT — do not keep it out; they are held themselves.
func TestLoginOwnerBrowserNotHeldByStrangers(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email, pw = "alice@example.com", "correct horse battery"
	owner := srv.SignedUp(t, email, pw) // signed in: this browser is known
	logout := owner.Get("/account/logout").Form(t, "#logout-form")
	owner.Post(logout.Action, logout.Values)

	natMate := portaltest.NewClient(t, srv) // the same address, another browser
	for range 25 {
		natMate.Login(email, "wrong horse battery", false)
	}
	wantLockedOut(t, natMate.Login(email, pw, false), 15)
	portaltest.WantRedirect(t, owner.Login(email, pw, false), "/")
	portaltest.WantStatus(t, owner.Get("/account/manage"), http.StatusOK)
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
