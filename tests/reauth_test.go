package tests

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/internal/portaltest"
)

// This file: re-authentication before sensitive operations (SES-05).

// mgPastWindow is a pause longer than the default 10-minute
// re-authentication window and shorter than the 30-minute idle timeout.
const mgPastWindow = 11 * time.Minute

// TestReauthRequiredAfterWindow (SES-05, AUTH-05): past the window the
// email, change-password and set-password pages send the user to the
// re-authentication page; a wrong password is 422 there, the right one
// goes back with a renewed session token; the window then starts again.
func TestReauthRequiredAfterWindow(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "alice@example.com"
	c := srv.SignedUp(t, email, mgPassword)
	srv.SignedUp(t, "bob@example.com", mgPassword)

	srv.Clock.Advance(mgPastWindow)
	for _, path := range []string{"/account/manage/change-password", "/account/manage/email", "/account/manage/set-password"} {
		portaltest.WantRedirect(t, c.Get(path), portaltest.ReauthURL(path))
	}
	if got, want := portaltest.ReauthURL("/account/manage/change-password"), "/account/reauthenticate?returnUrl=%2Faccount%2Fmanage%2Fchange-password"; got != want {
		t.Fatalf("portaltest.ReauthURL=%q, want %q", got, want)
	}

	reauth := portaltest.ReauthURL("/account/manage/change-password")
	p := c.Get(reauth)
	portaltest.WantStatus(t, p, http.StatusOK)
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
		p = c.Reauth(reauth, pw, "")
		portaltest.WantFieldError(t, p, "password")
		if !p.Has(t, "#reauth-form") {
			t.Errorf("the 422 re-auth page has no form")
		}
	}
	portaltest.WantRedirect(t, c.Get("/account/manage/change-password"), reauth)

	before := c.Cookie(portaltest.SessionCookie)
	p = c.Reauth(reauth, mgPassword, "")
	portaltest.WantRedirect(t, p, "/account/manage/change-password")
	after := c.Cookie(portaltest.SessionCookie)
	if after == "" || after == before {
		t.Errorf("AUTH-05: session cookie after re-auth=%q, want a new value (before %q)", after, before)
	}
	replay := portaltest.NewClient(t, srv)
	replay.SetCookie(portaltest.SessionCookie, before)
	portaltest.WantLoginRedirect(t, replay.Get("/account/manage"), "/account/manage")

	portaltest.WantStatus(t, c.Follow(p), http.StatusOK)
	portaltest.WantStatus(t, c.Get("/account/manage/email"), http.StatusOK)

	// The window starts again at the re-authentication.
	srv.Clock.Advance(9 * time.Minute)
	portaltest.WantStatus(t, c.Get("/account/manage/change-password"), http.StatusOK)
	srv.Clock.Advance(2 * time.Minute)
	portaltest.WantRedirect(t, c.Get("/account/manage/change-password"), reauth)
}

// TestReauthOtherUsersPassword (SES-05 "reauth is another person"): the
// password of another account does not re-authenticate.
func TestReauthOtherUsersPassword(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	c := srv.SignedUp(t, "alice@example.com", mgPassword)
	srv.SignedUp(t, "bob@example.com", mgNewPassword)
	srv.Clock.Advance(mgPastWindow)
	reauth := portaltest.ReauthURL("/account/manage/change-password")
	portaltest.WantFieldError(t, c.Reauth(reauth, mgNewPassword, ""), "password")
	portaltest.WantRedirect(t, c.Get("/account/manage/change-password"), reauth)
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
			srv := portaltest.NewServer(t, func(cfg *portal.Config) {
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
			portaltest.WantStatus(t, c.Get("/account/manage/change-password"), http.StatusOK)
			srv.Clock.Advance(time.Second)
			portaltest.WantRedirect(t, c.Get("/account/manage/change-password"), portaltest.ReauthURL("/account/manage/change-password"))
		})
	}
}

// TestReauthPostAfterWindowChangesNothing (SES-05): a change-password POST
// past the window is sent to re-authenticate and the password stays.
func TestReauthPostAfterWindowChangesNothing(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "alice@example.com"
	c := srv.SignedUp(t, email, mgPassword)
	b := srv.SignIn(t, email, mgPassword, false)
	f := c.Get("/account/manage/change-password").Form(t, "#change-password-form")
	f.Set("old_password", mgPassword).Set("new_password", mgNewPassword).Set("confirm_password", mgNewPassword)

	srv.Clock.Advance(mgPastWindow)
	portaltest.WantRedirect(t, c.Post(f.Action, f.Values), portaltest.ReauthURL("/account/manage/change-password"))
	if srv.CanLogin(t, email, mgNewPassword) || !srv.CanLogin(t, email, mgPassword) {
		t.Fatalf("the password changed without re-authentication")
	}
	if !b.SignedIn() {
		t.Errorf("the refused change signed another browser out")
	}
	if got := srv.MailsWith(t, email, mgChangedMail); len(got) != 0 {
		t.Errorf("the refused change sent %d %q mails", len(got), mgChangedMail)
	}

	// After re-authenticating, the same change goes through.
	portaltest.WantRedirect(t, c.Reauth(portaltest.ReauthURL("/account/manage/change-password"), mgPassword, ""), "/account/manage/change-password")
	portaltest.WantRedirect(t, mgChangePassword(c, mgPassword, mgNewPassword, mgNewPassword), "/account/manage/change-password")
	if !srv.CanLogin(t, email, mgNewPassword) {
		t.Errorf("after re-authenticating, the change did not take")
	}
}

// TestReauthRememberMe (SES-05: a "remember me" session is not a recent sign-in): a
// remembered session is asked too.
func TestReauthRememberMe(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "alice@example.com"
	srv.SignedUp(t, email, mgPassword)
	c := srv.SignIn(t, email, mgPassword, true)
	portaltest.WantStatus(t, c.Get("/account/manage/change-password"), http.StatusOK)
	srv.Clock.Advance(mgPastWindow)
	portaltest.WantRedirect(t, c.Get("/account/manage/change-password"), portaltest.ReauthURL("/account/manage/change-password"))
	portaltest.WantRedirect(t, c.Get("/account/manage/email"), portaltest.ReauthURL("/account/manage/email"))
	// A day later (a remembered session has no idle timeout) likewise.
	srv.Clock.Advance(24 * time.Hour)
	reauth := portaltest.ReauthURL("/account/manage/email")
	portaltest.WantRedirect(t, c.Get("/account/manage/email"), reauth)

	// The renewed token of a remembered session stays remembered, after
	// re-authentication and after a password change.
	p := c.Reauth(reauth, mgPassword, "")
	portaltest.WantRedirect(t, p, "/account/manage/email")
	mgWantPersistentCookie(t, "after re-authentication", p)
	p = mgChangePassword(c, mgPassword, mgNewPassword, mgNewPassword)
	portaltest.WantRedirect(t, p, "/account/manage/change-password")
	mgWantPersistentCookie(t, "after changing the password", p)
}

// mgWantPersistentCookie fails the test unless p sets the session cookie
// once, persistently (a "remember me" session).
func mgWantPersistentCookie(t testing.TB, when string, p *portaltest.Page) {
	t.Helper()
	raw := p.SessionSetCookies()
	if len(raw) != 1 {
		t.Errorf("%s: %d Set-Cookie for %s, want 1 (a renewed token): %q", when, len(raw), portaltest.SessionCookie, p.Header.Values("Set-Cookie"))
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
	srv := portaltest.NewServer(t)
	const email = "alice@example.com"
	srv.SignedUp(t, email, mgPassword)
	for _, bad := range []string{"//evil.example", "https://evil.example/account/manage", `/\evil.example`, "/%2F%2Fevil.example", "javascript:alert(1)"} {
		t.Run(bad, func(t *testing.T) {
			t.Parallel()
			c := srv.SignIn(t, email, mgPassword, false)
			path := "/account/reauthenticate?" + url.Values{"returnUrl": {bad}}.Encode()
			p := c.Get(path)
			portaltest.WantStatus(t, p, http.StatusOK)
			if a := p.Form(t, "#reauth-form").Action; strings.Contains(a, "evil") || strings.Contains(a, "javascript") {
				t.Errorf("#reauth-form action=%q carries the unsafe returnUrl", a)
			}
			portaltest.WantRedirect(t, c.Reauth(path, mgPassword, ""), "/account/manage")
			// Posted straight to the unsafe URL, too.
			f := c.Get(path).Form(t, "#reauth-form")
			f.Set("password", mgPassword)
			portaltest.WantRedirect(t, c.Post(path, f.Values), "/account/manage")
		})
	}
}

// TestReauthAnonymous: the re-authentication page needs a signed-in user.
func TestReauthAnonymous(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	c := portaltest.NewClient(t, srv)
	portaltest.WantLoginRedirect(t, c.Get("/account/reauthenticate"), "/account/reauthenticate")
	path := portaltest.ReauthURL("/account/manage/email")
	portaltest.WantLoginRedirect(t, c.Get(path), path)
}

// TestReauthNotForProfileAndSessions (SES-05): the profile and sessions
// pages need no recent authentication; ending the other sessions does
// (issue 17 item 16: a stolen session must not sign the owner out): past
// the window it goes to the re-authentication page, ends nothing, and
// after re-authentication the owner ends them from the sessions page.
func TestReauthNotForProfileAndSessions(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "alice@example.com"
	c := srv.SignedUp(t, email, mgPassword)
	b := srv.SignIn(t, email, mgPassword, false)
	srv.Clock.Advance(mgPastWindow)

	portaltest.WantStatus(t, c.Get("/account/manage"), http.StatusOK)
	portaltest.WantStatus(t, c.Get("/account/manage/sessions"), http.StatusOK)
	portaltest.WantRedirect(t, c.Submit("/account/manage", "#profile-form", map[string]string{"username": "alice2"}), "/account/manage")
	reauth := portaltest.ReauthURL("/account/manage/sessions")
	portaltest.WantRedirect(t, c.Submit("/account/manage/sessions", "#end-others-form", nil), reauth)
	if !b.SignedIn() {
		t.Fatal("end-others past the re-auth window ended the other session without re-authentication")
	}
	portaltest.WantRedirect(t, c.Reauth(reauth, mgPassword, ""), "/account/manage/sessions")
	portaltest.WantRedirect(t, c.Submit("/account/manage/sessions", "#end-others-form", nil), "/account/manage/sessions")
	if b.SignedIn() {
		t.Errorf("end-others after re-authentication left the other session signed in")
	}
}

// TestReauthWrongPasswordLocksOut (SES-05, AUTH-03): wrong passwords on
// the re-authentication page count towards the account's lockout (only the
// signed-in owner can spend it); once locked, neither the re-auth page nor
// the login page accepts the right password, and the login page says so.
func TestReauthWrongPasswordLocksOut(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "alice@example.com"
	c := srv.SignedUp(t, email, mgPassword)
	srv.Clock.Advance(mgPastWindow)
	reauth := portaltest.ReauthURL("/account/manage/change-password")

	for range 5 {
		portaltest.WantFieldError(t, c.Reauth(reauth, "wrong horse battery", ""), "password")
	}
	wantLockedOut(t, portaltest.NewClient(t, srv).Login(email, mgPassword, false), 5)
	portaltest.WantFieldError(t, c.Reauth(reauth, mgPassword, ""), "password")
	portaltest.WantRedirect(t, c.Get("/account/manage/change-password"), reauth)

	srv.Clock.Advance(5*time.Minute + time.Second)
	portaltest.WantRedirect(t, c.Reauth(reauth, mgPassword, ""), "/account/manage/change-password")
}
