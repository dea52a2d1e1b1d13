package tests

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

const invalidLogin = "Invalid login attempt."

// maskedBody is p's HTML with what legitimately differs between two
// otherwise identical responses masked (docs/security.md, Alike responses): the CSRF token,
// CSP nonces and the given strings (such as the typed email address).
func maskedBody(t testing.TB, p *page, mask ...string) string {
	t.Helper()
	doc := p.Doc(t).Clone()
	doc.Find("input[name=_csrf]").SetAttr("value", "CSRF")
	doc.Find("[nonce]").SetAttr("nonce", "NONCE")
	html, err := doc.Html()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mask {
		html = strings.ReplaceAll(html, m, "MASKED")
	}
	return html
}

// confirmedUser creates a confirmed account and returns nothing: tests
// then sign in with fresh clients.
func confirmedUser(t testing.TB, srv *testServer, email, password string) {
	t.Helper()
	srv.SignedUp(t, email, password)
}

// wantInvalidLogin fails the test unless p is the generic failed-login page.
func wantInvalidLogin(t testing.TB, p *page) {
	t.Helper()
	wantStatus(t, p, http.StatusUnprocessableEntity)
	if got, want := p.Text(t, ".form-error"), invalidLogin; got != want {
		t.Fatalf(".form-error=%q, want %q", got, want)
	}
}

// TestLoginSucceeds: 303 to "/" or to the returnUrl.
func TestLoginSucceeds(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	const email, pw = "alice@example.com", "correct horse battery"
	confirmedUser(t, srv, email, pw)

	c := newClient(t, srv)
	wantLoginRedirect(t, c.Get("/account/manage"), "/account/manage")
	wantRedirect(t, c.Login(email, pw, false), "/")
	p := c.Get("/account/manage")
	wantStatus(t, p, http.StatusOK)
	if got := p.Text(t, "[data-testid=email]"); !strings.HasPrefix(got, email) {
		t.Errorf("manage email=%q, want %q", got, email)
	}

	c = newClient(t, srv)
	p = c.Submit("/account/login?returnUrl=%2Faccount%2Fmanage", "#login-form", map[string]string{"email": email, "password": pw})
	wantRedirect(t, p, "/account/manage")
	wantStatus(t, c.Follow(p), http.StatusOK)
}

// TestLoginFailuresLookAlike (AUTH-01): a wrong password, an unknown
// address, an unconfirmed account and a locked account (with the right
// password) get the same status, message, headers and — with the CSRF
// token, nonce and typed address masked — the same body.
func TestLoginFailuresLookAlike(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	const pw = "correct horse battery"
	confirmedUser(t, srv, "alice@example.com", pw)
	confirmedUser(t, srv, "carol@example.com", pw)
	newClient(t, srv).Register("bob@example.com", pw) // never confirmed
	for range 5 {
		wantInvalidLogin(t, newClient(t, srv).Login("carol@example.com", "wrong horse battery", false))
	}

	cases := []struct{ name, email, password string }{
		{"wrong password", "alice@example.com", "wrong horse battery"},
		{"unknown email", "nobody@example.com", pw},
		{"unconfirmed", "bob@example.com", pw},
		{"locked, right password", "carol@example.com", pw},
	}
	var first *page
	var firstBody string
	for _, tc := range cases {
		c := newClient(t, srv)
		p := c.Login(tc.email, tc.password, false)
		wantInvalidLogin(t, p)
		if got := c.Cookie(sessionCookie); got != "" {
			t.Errorf("%s: a session cookie was set", tc.name)
		}
		body := maskedBody(t, p, tc.email)
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
	srv := newTestServer(t)
	const pw = "correct horse battery"
	confirmedUser(t, srv, "alice@example.com", pw)
	confirmedUser(t, srv, "Bob.Smith@Example.COM", pw)
	for _, email := range []string{"ALICE@EXAMPLE.COM", "Alice@Example.com", "bob.smith@example.com", "  BOB.SMITH@example.com "} {
		c := newClient(t, srv)
		wantRedirect(t, c.Login(email, pw, false), "/")
		wantStatus(t, c.Get("/account/manage"), http.StatusOK)
	}
}

// TestLoginLockout (AUTH-03): after 5 wrong passwords even the right one
// fails, with the generic answer, until the lockout has passed.
func TestLoginLockout(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	const email, pw = "alice@example.com", "correct horse battery"
	confirmedUser(t, srv, email, pw)

	c := newClient(t, srv)
	var wrong *page
	for range 5 {
		wrong = c.Login(email, "wrong horse battery", false)
		wantInvalidLogin(t, wrong)
	}
	locked := c.Login(email, pw, false)
	wantInvalidLogin(t, locked)
	if got, want := maskedBody(t, locked), maskedBody(t, wrong); got != want {
		t.Errorf("locked login differs from a wrong password (AUTH-01):\n--- locked\n%s\n--- wrong\n%s", got, want)
	}
	wantLoginRedirect(t, c.Get("/account/manage"), "/account/manage")

	srv.Clock.Advance(4 * time.Minute)
	wantInvalidLogin(t, c.Login(email, pw, false))

	srv.Clock.Advance(time.Minute + time.Second) // 5 min 1 s after the lockout began
	wantRedirect(t, c.Login(email, pw, false), "/")
	wantStatus(t, c.Get("/account/manage"), http.StatusOK)
}

// TestLoginSuccessResetsFailures (AUTH-03): the counter counts failures in
// a row; a success starts it again.
func TestLoginSuccessResetsFailures(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	const email, pw = "alice@example.com", "correct horse battery"
	confirmedUser(t, srv, email, pw)

	c := newClient(t, srv)
	for range 4 {
		wantInvalidLogin(t, c.Login(email, "wrong horse battery", false))
	}
	wantRedirect(t, c.Login(email, pw, false), "/")

	c = newClient(t, srv)
	for range 4 {
		wantInvalidLogin(t, c.Login(email, "wrong horse battery", false))
	}
	wantRedirect(t, c.Login(email, pw, false), "/")
}

// sessionSetCookies returns the raw Set-Cookie headers of p that set the
// session cookie.
func sessionSetCookies(p *page) []string {
	var out []string
	for _, v := range p.Header.Values("Set-Cookie") {
		if strings.HasPrefix(v, sessionCookie+"=") {
			out = append(out, v)
		}
	}
	return out
}

// TestLoginRememberMeCookie (BRW-02, BRW-05): only "remember me" makes the session
// cookie persistent, for about 14 days.
func TestLoginRememberMeCookie(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	const email, pw = "alice@example.com", "correct horse battery"
	confirmedUser(t, srv, email, pw)

	for _, remember := range []bool{false, true} {
		c := newClient(t, srv)
		p := c.Login(email, pw, remember)
		wantRedirect(t, p, "/")
		raw := sessionSetCookies(p)
		if got, want := len(raw), 1; got != want {
			t.Fatalf("remember=%v: %d Set-Cookie for %s, want %d: %q", remember, got, sessionCookie, want, p.Header.Values("Set-Cookie"))
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
