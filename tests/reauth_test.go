package tests

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/accountportal/portal"
)

// This file: re-authentication before sensitive operations (SES-05).

// mgPastWindow is a pause longer than the default 10-minute
// re-authentication window and shorter than the 30-minute idle timeout.
const mgPastWindow = 11 * time.Minute

// mgReauthURL is where requireRecentAuth sends a visitor of returnPath.
func mgReauthURL(returnPath string) string {
	return "/account/reauthenticate?" + url.Values{"returnUrl": {returnPath}}.Encode()
}

// mgReauth submits the re-authentication form at reauthURL with password.
func mgReauth(c *client, reauthURL, password string) *page {
	c.t.Helper()
	return c.Submit(reauthURL, "#reauth-form", map[string]string{"password": password})
}

// TestReauthRequiredAfterWindow (SES-05, AUTH-05): past the window the
// email, change-password and set-password pages send the user to the
// re-authentication page; a wrong password is 422 there, the right one
// goes back with a renewed session token; the window then starts again.
func TestReauthRequiredAfterWindow(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	const email = "alice@example.com"
	c := srv.SignedUp(t, email, mgPassword)
	srv.SignedUp(t, "bob@example.com", mgPassword)

	srv.Clock.Advance(mgPastWindow)
	for _, path := range []string{"/account/manage/change-password", "/account/manage/email", "/account/manage/set-password"} {
		wantRedirect(t, c.Get(path), mgReauthURL(path))
	}
	if got, want := mgReauthURL("/account/manage/change-password"), "/account/reauthenticate?returnUrl=%2Faccount%2Fmanage%2Fchange-password"; got != want {
		t.Fatalf("mgReauthURL=%q, want %q", got, want)
	}

	reauth := mgReauthURL("/account/manage/change-password")
	p := c.Get(reauth)
	wantStatus(t, p, http.StatusOK)
	f := p.Form(t, "#reauth-form")
	if typ := p.Doc(t).Find("#reauth-form input[name=password]").AttrOr("type", ""); typ != "password" {
		t.Errorf("reauth password input type=%q, want password", typ)
	}
	if got := f.Action; got != reauth {
		t.Errorf("#reauth-form action=%q, want %q (the returnUrl kept)", got, reauth)
	}

	// A wrong password, and the right one with a trailing space (nothing
	// is trimmed): 422 beside the field, still not allowed in.
	for _, pw := range []string{"wrong horse battery", mgPassword + " "} {
		p = mgReauth(c, reauth, pw)
		mgWantFieldError(t, p, "password")
		if !p.Has(t, "#reauth-form") {
			t.Errorf("the 422 re-auth page has no form")
		}
	}
	wantRedirect(t, c.Get("/account/manage/change-password"), reauth)

	before := c.Cookie(sessionCookie)
	p = mgReauth(c, reauth, mgPassword)
	wantRedirect(t, p, "/account/manage/change-password")
	after := c.Cookie(sessionCookie)
	if after == "" || after == before {
		t.Errorf("AUTH-05: session cookie after re-auth=%q, want a new value (before %q)", after, before)
	}
	replay := newClient(t, srv)
	replay.SetCookie(sessionCookie, before)
	wantLoginRedirect(t, replay.Get("/account/manage"), "/account/manage")

	wantStatus(t, c.Follow(p), http.StatusOK)
	wantStatus(t, c.Get("/account/manage/email"), http.StatusOK)

	// The window starts again at the re-authentication.
	srv.Clock.Advance(9 * time.Minute)
	wantStatus(t, c.Get("/account/manage/change-password"), http.StatusOK)
	srv.Clock.Advance(2 * time.Minute)
	wantRedirect(t, c.Get("/account/manage/change-password"), reauth)
}

// TestReauthOtherUsersPassword (SES-05 "reauth is another person"): the
// password of another account does not re-authenticate.
func TestReauthOtherUsersPassword(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	c := srv.SignedUp(t, "alice@example.com", mgPassword)
	srv.SignedUp(t, "bob@example.com", mgNewPassword)
	srv.Clock.Advance(mgPastWindow)
	reauth := mgReauthURL("/account/manage/change-password")
	mgWantFieldError(t, mgReauth(c, reauth, mgNewPassword), "password")
	wantRedirect(t, c.Get("/account/manage/change-password"), reauth)
}

// TestReauthWindowEdge (SES-05): just inside the window nothing is asked;
// at the window it is. The window is --reauth-window.
func TestReauthWindowEdge(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		window time.Duration
	}{{"default 10 min", 0}, {"configured 3 min", 3 * time.Minute}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newTestServer(t, func(cfg *portal.Config) {
				if tc.window != 0 {
					cfg.ReauthWindow = tc.window
				}
			})
			window := srv.Config.ReauthWindow
			if tc.window == 0 && window != 10*time.Minute {
				t.Fatalf("default ReauthWindow=%v, want 10m", window)
			}
			c := srv.SignedUp(t, "alice@example.com", mgPassword)
			srv.Clock.Advance(window - time.Second)
			wantStatus(t, c.Get("/account/manage/change-password"), http.StatusOK)
			srv.Clock.Advance(time.Second)
			wantRedirect(t, c.Get("/account/manage/change-password"), mgReauthURL("/account/manage/change-password"))
		})
	}
}

// TestReauthPostAfterWindowChangesNothing (SES-05): a change-password POST
// past the window is sent to re-authenticate and the password stays.
func TestReauthPostAfterWindowChangesNothing(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	const email = "alice@example.com"
	c := srv.SignedUp(t, email, mgPassword)
	b := mgSignIn(t, srv, email, mgPassword, false)
	f := c.Get("/account/manage/change-password").Form(t, "#change-password-form")
	f.Set("old_password", mgPassword).Set("new_password", mgNewPassword).Set("confirm_password", mgNewPassword)

	srv.Clock.Advance(mgPastWindow)
	wantRedirect(t, c.Post(f.Action, f.Values), mgReauthURL("/account/manage/change-password"))
	if mgCanLogin(t, srv, email, mgNewPassword) || !mgCanLogin(t, srv, email, mgPassword) {
		t.Fatalf("the password changed without re-authentication")
	}
	if !mgSignedIn(t, b) {
		t.Errorf("the refused change signed another browser out")
	}
	if got := mailsWithSubject(t, srv, email, mgChangedMail); len(got) != 0 {
		t.Errorf("the refused change sent %d %q mails", len(got), mgChangedMail)
	}

	// After re-authenticating, the same change goes through.
	wantRedirect(t, mgReauth(c, mgReauthURL("/account/manage/change-password"), mgPassword), "/account/manage/change-password")
	wantRedirect(t, mgChangePassword(c, mgPassword, mgNewPassword, mgNewPassword), "/account/manage/change-password")
	if !mgCanLogin(t, srv, email, mgNewPassword) {
		t.Errorf("after re-authenticating, the change did not take")
	}
}

// TestReauthRememberMe (SES-05: a "remember me" session is not a recent sign-in): a
// remembered session is asked too.
func TestReauthRememberMe(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	const email = "alice@example.com"
	confirmedUser(t, srv, email, mgPassword)
	c := mgSignIn(t, srv, email, mgPassword, true)
	wantStatus(t, c.Get("/account/manage/change-password"), http.StatusOK)
	srv.Clock.Advance(mgPastWindow)
	wantRedirect(t, c.Get("/account/manage/change-password"), mgReauthURL("/account/manage/change-password"))
	wantRedirect(t, c.Get("/account/manage/email"), mgReauthURL("/account/manage/email"))
	// A day later (a remembered session has no idle timeout) likewise.
	srv.Clock.Advance(24 * time.Hour)
	reauth := mgReauthURL("/account/manage/email")
	wantRedirect(t, c.Get("/account/manage/email"), reauth)

	// The renewed token of a remembered session stays remembered, after
	// re-authentication and after a password change.
	p := mgReauth(c, reauth, mgPassword)
	wantRedirect(t, p, "/account/manage/email")
	mgWantPersistentCookie(t, "after re-authentication", p)
	p = mgChangePassword(c, mgPassword, mgNewPassword, mgNewPassword)
	wantRedirect(t, p, "/account/manage/change-password")
	mgWantPersistentCookie(t, "after changing the password", p)
}

// mgWantPersistentCookie fails the test unless p sets the session cookie
// once, persistently (a "remember me" session).
func mgWantPersistentCookie(t testing.TB, when string, p *page) {
	t.Helper()
	raw := sessionSetCookies(p)
	if len(raw) != 1 {
		t.Errorf("%s: %d Set-Cookie for %s, want 1 (a renewed token): %q", when, len(raw), sessionCookie, p.Header.Values("Set-Cookie"))
		return
	}
	ck, err := http.ParseSetCookie(raw[0])
	if err != nil {
		t.Fatalf("parse %q: %v", raw[0], err)
	}
	if ck.MaxAge <= 0 && ck.RawExpires == "" {
		t.Errorf("%s: the remembered session's cookie became a session cookie: %q", when, raw[0])
	}
}

// TestReauthUnsafeReturnURL (SES-05, BRW-08): after re-authenticating, an
// unsafe returnUrl goes to /account/manage instead, and the form does not
// carry it.
func TestReauthUnsafeReturnURL(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	const email = "alice@example.com"
	confirmedUser(t, srv, email, mgPassword)
	for _, bad := range []string{"//evil.example", "https://evil.example/account/manage", `/\evil.example`, "/%2F%2Fevil.example", "javascript:alert(1)"} {
		t.Run(bad, func(t *testing.T) {
			t.Parallel()
			c := mgSignIn(t, srv, email, mgPassword, false)
			path := "/account/reauthenticate?" + url.Values{"returnUrl": {bad}}.Encode()
			p := c.Get(path)
			wantStatus(t, p, http.StatusOK)
			if a := p.Form(t, "#reauth-form").Action; strings.Contains(a, "evil") || strings.Contains(a, "javascript") {
				t.Errorf("#reauth-form action=%q carries the unsafe returnUrl", a)
			}
			wantRedirect(t, mgReauth(c, path, mgPassword), "/account/manage")
			// Posted straight to the unsafe URL, too.
			f := c.Get(path).Form(t, "#reauth-form")
			f.Set("password", mgPassword)
			wantRedirect(t, c.Post(path, f.Values), "/account/manage")
		})
	}
}

// TestReauthAnonymous: the re-authentication page needs a signed-in user.
func TestReauthAnonymous(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	c := newClient(t, srv)
	wantLoginRedirect(t, c.Get("/account/reauthenticate"), "/account/reauthenticate")
	path := mgReauthURL("/account/manage/email")
	wantLoginRedirect(t, c.Get(path), path)
}

// TestReauthNotForProfileAndSessions (SES-05): the profile and sessions
// pages need no recent authentication; ending the other sessions does
// (issue 17 item 16: a stolen session must not sign the owner out): past
// the window it goes to the re-authentication page, ends nothing, and
// after re-authentication the owner ends them from the sessions page.
func TestReauthNotForProfileAndSessions(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	const email = "alice@example.com"
	c := srv.SignedUp(t, email, mgPassword)
	b := mgSignIn(t, srv, email, mgPassword, false)
	srv.Clock.Advance(mgPastWindow)

	wantStatus(t, c.Get("/account/manage"), http.StatusOK)
	wantStatus(t, c.Get("/account/manage/sessions"), http.StatusOK)
	wantRedirect(t, c.Submit("/account/manage", "#profile-form", map[string]string{"username": "alice2"}), "/account/manage")
	reauth := mgReauthURL("/account/manage/sessions")
	wantRedirect(t, c.Submit("/account/manage/sessions", "#end-others-form", nil), reauth)
	if !mgSignedIn(t, b) {
		t.Fatal("end-others past the re-auth window ended the other session without re-authentication")
	}
	wantRedirect(t, mgReauth(c, reauth, mgPassword), "/account/manage/sessions")
	wantRedirect(t, c.Submit("/account/manage/sessions", "#end-others-form", nil), "/account/manage/sessions")
	if mgSignedIn(t, b) {
		t.Errorf("end-others after re-authentication left the other session signed in")
	}
}

// TestReauthWrongPasswordLocksOut (SES-05, AUTH-03): wrong passwords on
// the re-authentication page count towards the lockout, together with
// wrong current passwords on change-password; once locked, neither the
// re-auth page nor the login page accepts the right password.
func TestReauthWrongPasswordLocksOut(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	const email = "alice@example.com"
	c := srv.SignedUp(t, email, mgPassword)
	srv.Clock.Advance(mgPastWindow)
	reauth := mgReauthURL("/account/manage/change-password")

	for range 4 {
		mgWantFieldError(t, mgReauth(c, reauth, "wrong horse battery"), "password")
	}
	// One more wrong sign-in elsewhere makes 5 in a row.
	wantInvalidLogin(t, newClient(t, srv).Login(email, "wrong horse battery", false))

	wantInvalidLogin(t, newClient(t, srv).Login(email, mgPassword, false))
	mgWantFieldError(t, mgReauth(c, reauth, mgPassword), "password")
	wantRedirect(t, c.Get("/account/manage/change-password"), reauth)

	srv.Clock.Advance(5*time.Minute + time.Second)
	wantRedirect(t, mgReauth(c, reauth, mgPassword), "/account/manage/change-password")
}
