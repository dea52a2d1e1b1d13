package tests

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// TestSecurityStampEndsOtherSessions (SES-03): rotating the stamp ends
// every session at its next request, not 30 minutes later.
func TestSecurityStampEndsOtherSessions(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	const email, pw = "alice@example.com", "correct horse battery"
	a := srv.SignedUp(t, email, pw)
	b := newClient(t, srv)
	wantRedirect(t, b.Login(email, pw, false), "/")
	wantStatus(t, a.Get("/account/manage"), http.StatusOK)
	wantStatus(t, b.Get("/account/manage"), http.StatusOK)

	other := srv.SignedUp(t, "bob@example.com", pw)

	u, err := srv.Portal.Identity().FindUserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Portal.Identity().RotateSecurityStamp(context.Background(), u.ID, ""); err != nil {
		t.Fatal(err)
	}
	wantLoginRedirect(t, b.Get("/account/manage"), "/account/manage")
	wantLoginRedirect(t, a.Get("/account/manage"), "/account/manage")
	// Another user's session is not affected.
	wantStatus(t, other.Get("/account/manage"), http.StatusOK)
	// Signing in again works.
	wantRedirect(t, b.Login(email, pw, false), "/")
	wantStatus(t, b.Get("/account/manage"), http.StatusOK)
}

// TestSessionFixation (AUTH-05): signing in always issues a new,
// server-generated session token.
func TestSessionFixation(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	const email, pw = "alice@example.com", "correct horse battery"

	t.Run("pre-login session is replaced", func(t *testing.T) {
		c := newClient(t, srv)
		c.Register(email, pw)
		c.ConfirmEmail(email) // the flash starts an anonymous session
		v0 := c.Cookie(sessionCookie)
		if v0 == "" {
			t.Fatal("no pre-login session cookie after the confirmation flash")
		}
		wantRedirect(t, c.Login(email, pw, false), "/")
		v1 := c.Cookie(sessionCookie)
		if v1 == "" || v1 == v0 {
			t.Fatalf("session cookie after login=%q, want a new value (before: %q)", v1, v0)
		}
		wantStatus(t, c.Get("/account/manage"), http.StatusOK)

		replay := newClient(t, srv)
		replay.SetCookie(sessionCookie, v0)
		wantLoginRedirect(t, replay.Get("/account/manage"), "/account/manage")
	})

	t.Run("attacker-chosen token is ignored", func(t *testing.T) {
		const chosen = "attackerchosen123"
		victim := newClient(t, srv)
		victim.SetCookie(sessionCookie, chosen)
		p := victim.Get("/account/manage")
		wantLoginRedirect(t, p, "/account/manage")
		for _, raw := range sessionSetCookies(p) {
			if ck, err := http.ParseSetCookie(raw); err == nil && ck.Value == chosen {
				t.Errorf("the server adopted the chosen token: %q", raw)
			}
		}

		p = victim.Login(email, pw, false)
		wantRedirect(t, p, "/")
		if got := victim.Cookie(sessionCookie); got == chosen || got == "" {
			t.Fatalf("session cookie after login=%q, want a new server-generated value", got)
		}
		wantStatus(t, victim.Get("/account/manage"), http.StatusOK)

		// The attacker, holding the chosen value, is anonymous.
		attacker := newClient(t, srv)
		attacker.SetCookie(sessionCookie, chosen)
		wantLoginRedirect(t, attacker.Get("/account/manage"), "/account/manage")
	})
}

// TestSessionIdleTimeout (SES-02): 30 minutes without a request end an
// ordinary session.
func TestSessionIdleTimeout(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	c := srv.SignedUp(t, "alice@example.com", "correct horse battery")
	srv.Clock.Advance(29 * time.Minute)
	wantStatus(t, c.Get("/account/manage"), http.StatusOK)
	srv.Clock.Advance(31 * time.Minute)
	wantLoginRedirect(t, c.Get("/account/manage"), "/account/manage")
	// Ended for good: activity does not bring it back.
	wantLoginRedirect(t, c.Get("/account/manage"), "/account/manage")
}

// TestSessionAbsoluteLifetime (SES-02): a session in use every 20 minutes
// still ends 12 hours after sign-in.
func TestSessionAbsoluteLifetime(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	c := srv.SignedUp(t, "alice@example.com", "correct horse battery")
	const step, lifetime = 20 * time.Minute, 12 * time.Hour
	elapsed := time.Duration(0)
	for elapsed+step < lifetime {
		srv.Clock.Advance(step)
		elapsed += step
		if p := c.Get("/account/manage"); p.Status != http.StatusOK {
			t.Fatalf("after %v of activity: status=%d, want %d (Location %q)", elapsed, p.Status, http.StatusOK, p.Location())
		}
	}
	srv.Clock.Advance(lifetime - elapsed)
	wantLoginRedirect(t, c.Get("/account/manage"), "/account/manage")
}

// TestRememberMeSessionLifetime (SES-02): a "remember me" session has no
// idle timeout but ends 14 days after sign-in.
func TestRememberMeSessionLifetime(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	const email, pw = "alice@example.com", "correct horse battery"
	confirmedUser(t, srv, email, pw)
	c := newClient(t, srv)
	wantRedirect(t, c.Login(email, pw, true), "/")

	srv.Clock.Advance(31 * time.Minute)
	wantStatus(t, c.Get("/account/manage"), http.StatusOK)
	srv.Clock.Advance(13 * time.Hour) // past the 12 h of an ordinary session
	wantStatus(t, c.Get("/account/manage"), http.StatusOK)
	srv.Clock.Advance(14*24*time.Hour - 31*time.Minute - 13*time.Hour - time.Minute)
	wantStatus(t, c.Get("/account/manage"), http.StatusOK)
	srv.Clock.Advance(time.Minute)
	wantLoginRedirect(t, c.Get("/account/manage"), "/account/manage")
}
