package tests

import (
	"net/http"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/accountportal/portal/internal/portaltest"
)

// twoInstances starts two Portals on one PostgreSQL database, with
// sessions in the database or in Redis, and one mail outbox (the
// configuration's).
func twoInstances(t *testing.T, sessions string) (*portaltest.Server, *portaltest.Server) {
	t.Helper()
	portaltest.NeedPostgres(t)
	cfg, clock := portaltest.Config(t)
	cfg.DB = portaltest.FreshPostgres(t)
	cfg.Sessions = sessions
	return portaltest.Start(t, cfg, clock), portaltest.Start(t, cfg, clock)
}

// TestMultiInstance (REL-04, REL-18): two instances share one PostgreSQL
// (and Redis): a session, a sign-out, a single-use code and a lockout are
// one and the same on both.
func TestMultiInstance(t *testing.T) {
	if portaltest.OnPostgres() {
		t.Skip("runs once, in the first pass")
	}
	variants := map[string]string{"sessions in PostgreSQL": ""}
	if r := os.Getenv("PORTAL_TEST_REDIS_URL"); r != "" {
		// A prefix of its own: Redis outlives the test, and rate-limit
		// windows of an earlier run on the same Redis (an hour for
		// login-ip) must not count against this one.
		variants["sessions in Redis"] = portaltest.WithQuery(r, "prefix", "portal-test:"+portaltest.RandomHex(6)+":")
	} else if os.Getenv("CI") != "" {
		t.Fatal("CI must set PORTAL_TEST_REDIS_URL")
	}
	for name, sessions := range variants {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a, b := twoInstances(t, sessions)
			const email, pw = "multi@example.com", "correct horse battery"

			// Register on A, confirm on B.
			ca := portaltest.NewClient(t, a)
			ca.Register(email, pw)
			link := a.MailsTo(t, email)[0].Link(t, "/account/confirm-email")
			u, _ := url.Parse(link)
			cb := ca.On(b)
			confirm := cb.Submit(u.RequestURI(), "#confirm-email-form", nil)
			portaltest.WantStatus(t, confirm, http.StatusSeeOther)

			// Sign in on A, use the session on B, sign out on B: dead on A.
			portaltest.WantRedirect(t, ca.Login(email, pw, false), "/")
			portaltest.WantStatus(t, cb.Get("/account/manage"), http.StatusOK)
			cb.Logout()
			portaltest.WantLoginRedirect(t, ca.Get("/account/manage"), "/account/manage")

			// Enable 2FA on A.
			portaltest.WantRedirect(t, ca.Login(email, pw, false), "/")
			key, codes := tfEnable(t, a, ca)
			a.Clock.Advance(tfStep)

			// The same TOTP code on A and B at once: exactly one wins.
			pa := portaltest.NewClient(t, a)
			portaltest.WantRedirect(t, tfPasswordStep(pa, email, pw, false, ""), tf2FAPath)
			pb := portaltest.NewClient(t, b)
			portaltest.WantRedirect(t, tfPasswordStep(pb, email, pw, false, ""), tf2FAPath)
			fa := pa.Get(tf2FAPath).Form(t, "#login-2fa-form")
			fb := pb.Get(tf2FAPath).Form(t, "#login-2fa-form")
			code := tfCode(t, a, key, 0)
			fa.Set("code", code)
			fb.Set("code", code)
			var wins atomic.Int32
			var wg sync.WaitGroup
			for _, x := range []struct {
				c *portaltest.Client
				f *portaltest.Form
			}{{pa, fa}, {pb, fb}} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if p := x.c.Post(x.f.Action, x.f.Values); p.Status == http.StatusSeeOther && p.Location() == "/" {
						wins.Add(1)
					}
				}()
			}
			wg.Wait()
			if got := wins.Load(); got != 1 {
				t.Fatalf("one TOTP code on two instances succeeded %d times, want 1 (MFA-02)", got)
			}

			// The same recovery code on A and B at once: exactly one wins.
			ra, rb := tfPending(t, a, email), tfPending(t, b, email)
			wins.Store(0)
			for _, c := range []*portaltest.Client{ra, rb} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if p := tfSubmitRecovery(c, codes[0]); p.Status == http.StatusSeeOther && p.Location() == "/" {
						wins.Add(1)
					}
				}()
			}
			wg.Wait()
			if got := wins.Load(); got != 1 {
				t.Fatalf("one recovery code on two instances succeeded %d times, want 1 (MFA-04)", got)
			}

			// Wrong passwords on A and B count together: 5 from this
			// address hold it for the account on both instances (AUTH-03:
			// the lockout answer, 429, even for the right password).
			for i := range 5 {
				srv := []*portaltest.Server{a, b}[i%2]
				wantInvalidLogin(t, portaltest.NewClient(t, srv).Login(email, "wrong password!", false))
			}
			wantLockedOut(t, portaltest.NewClient(t, a).Login(email, pw, false), 15)
			wantLockedOut(t, portaltest.NewClient(t, b).Login(email, pw, false), 15)
		})
	}
}
