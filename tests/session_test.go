package tests

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/accountportal/portal/internal/portaltest"
)

// TestSecurityStampEndsOtherSessions (SES-03): rotating the stamp ends
// every session at its next request, not 30 minutes later.
func TestSecurityStampEndsOtherSessions(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email, pw = "alice@example.com", "correct horse battery"
	a := srv.SignedUp(t, email, pw)
	b := portaltest.NewClient(t, srv)
	portaltest.WantRedirect(t, b.Login(email, pw, false), "/")
	portaltest.WantStatus(t, a.Get("/account/manage"), http.StatusOK)
	portaltest.WantStatus(t, b.Get("/account/manage"), http.StatusOK)

	other := srv.SignedUp(t, "bob@example.com", pw)

	u, err := srv.Portal.Identity().FindUserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Portal.Identity().RotateSecurityStamp(context.Background(), u.ID, ""); err != nil {
		t.Fatal(err)
	}
	portaltest.WantLoginRedirect(t, b.Get("/account/manage"), "/account/manage")
	portaltest.WantLoginRedirect(t, a.Get("/account/manage"), "/account/manage")
	// Another user's session is not affected.
	portaltest.WantStatus(t, other.Get("/account/manage"), http.StatusOK)
	// Signing in again works.
	portaltest.WantRedirect(t, b.Login(email, pw, false), "/")
	portaltest.WantStatus(t, b.Get("/account/manage"), http.StatusOK)
}

// TestSessionFixation (AUTH-05): signing in always issues a new,
// server-generated session token.
func TestSessionFixation(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email, pw = "alice@example.com", "correct horse battery"

	t.Run("pre-login session is replaced", func(t *testing.T) {
		c := portaltest.NewClient(t, srv)
		c.Register(email, pw)
		c.ConfirmEmail(email) // the flash starts an anonymous session
		v0 := c.Cookie(portaltest.SessionCookie)
		if v0 == "" {
			t.Fatal("no pre-login session cookie after the confirmation flash")
		}
		portaltest.WantRedirect(t, c.Login(email, pw, false), "/")
		v1 := c.Cookie(portaltest.SessionCookie)
		if v1 == "" || v1 == v0 {
			t.Fatalf("session cookie after login=%q, want a new value (before: %q)", v1, v0)
		}
		portaltest.WantStatus(t, c.Get("/account/manage"), http.StatusOK)

		replay := portaltest.NewClient(t, srv)
		replay.SetCookie(portaltest.SessionCookie, v0)
		portaltest.WantLoginRedirect(t, replay.Get("/account/manage"), "/account/manage")
	})

	t.Run("attacker-chosen token is ignored", func(t *testing.T) {
		const chosen = "attackerchosen123"
		victim := portaltest.NewClient(t, srv)
		victim.SetCookie(portaltest.SessionCookie, chosen)
		p := victim.Get("/account/manage")
		portaltest.WantLoginRedirect(t, p, "/account/manage")
		for _, raw := range p.SessionSetCookies() {
			if ck, err := http.ParseSetCookie(raw); err == nil && ck.Value == chosen {
				t.Errorf("the server adopted the chosen token: %q", raw)
			}
		}

		p = victim.Login(email, pw, false)
		portaltest.WantRedirect(t, p, "/")
		if got := victim.Cookie(portaltest.SessionCookie); got == chosen || got == "" {
			t.Fatalf("session cookie after login=%q, want a new server-generated value", got)
		}
		portaltest.WantStatus(t, victim.Get("/account/manage"), http.StatusOK)

		// The attacker, holding the chosen value, is anonymous.
		attacker := portaltest.NewClient(t, srv)
		attacker.SetCookie(portaltest.SessionCookie, chosen)
		portaltest.WantLoginRedirect(t, attacker.Get("/account/manage"), "/account/manage")
	})
}

// TestSessionIdleTimeout (SES-02): 30 minutes without a request end an
// ordinary session.
func TestSessionIdleTimeout(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	c := srv.SignedUp(t, "alice@example.com", "correct horse battery")
	srv.Clock.Advance(29 * time.Minute)
	portaltest.WantStatus(t, c.Get("/account/manage"), http.StatusOK)
	srv.Clock.Advance(31 * time.Minute)
	portaltest.WantLoginRedirect(t, c.Get("/account/manage"), "/account/manage")
	// Ended for good: activity does not bring it back.
	portaltest.WantLoginRedirect(t, c.Get("/account/manage"), "/account/manage")
}

// TestSessionAbsoluteLifetime (SES-02): a session in use every 20 minutes
// still ends 12 hours after sign-in.
func TestSessionAbsoluteLifetime(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
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
	portaltest.WantLoginRedirect(t, c.Get("/account/manage"), "/account/manage")
}

// TestRememberMeSessionLifetime (SES-02): a "remember me" session has no
// idle timeout but ends 14 days after sign-in.
func TestRememberMeSessionLifetime(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email, pw = "alice@example.com", "correct horse battery"
	srv.SignedUp(t, email, pw)
	c := portaltest.NewClient(t, srv)
	portaltest.WantRedirect(t, c.Login(email, pw, true), "/")

	srv.Clock.Advance(31 * time.Minute)
	portaltest.WantStatus(t, c.Get("/account/manage"), http.StatusOK)
	srv.Clock.Advance(13 * time.Hour) // past the 12 h of an ordinary session
	portaltest.WantStatus(t, c.Get("/account/manage"), http.StatusOK)
	srv.Clock.Advance(14*24*time.Hour - 31*time.Minute - 13*time.Hour - time.Minute)
	portaltest.WantStatus(t, c.Get("/account/manage"), http.StatusOK)
	srv.Clock.Advance(time.Minute)
	portaltest.WantLoginRedirect(t, c.Get("/account/manage"), "/account/manage")
}
