package tests

import (
	"net/http"
	"os"
	"testing"

	"github.com/accountportal/portal/internal/portaltest"
)

// TestSessionJSONOnEveryInstance (issue 19 §2, SES-02, SES-03, REL-04):
// two instances on one PostgreSQL, sessions in the database or in Redis.
// A sign-out, "end other sessions" or a password change made on one
// instance is seen by the very next GET /account/session on either — no
// instance answers from what it remembered of the session.
func TestSessionJSONOnEveryInstance(t *testing.T) {
	if portaltest.OnPostgres() {
		t.Skip("runs once, in the first pass")
	}
	variants := map[string]string{"sessions in PostgreSQL": ""}
	if r := os.Getenv("PORTAL_TEST_REDIS_URL"); r != "" {
		variants["sessions in Redis"] = portaltest.WithQuery(r, "prefix", "portal-test:"+portaltest.RandomHex(6)+":")
	} else if os.Getenv("CI") != "" {
		t.Fatal("CI must set PORTAL_TEST_REDIS_URL")
	}
	for name, sessions := range variants {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a, b := twoInstances(t, sessions)
			const email = "ada@example.com"
			a.ConfirmedUser(t, email, mgPassword)
			both := func(c *portaltest.Client, want int, why string) {
				t.Helper()
				for _, x := range []*portaltest.Client{c.On(a), c.On(b)} {
					if p, _ := apWhoAmI(t, x); p.Status != want {
						t.Errorf("%s: /account/session on %s answered %d, want %d", why, x.Server().URL, p.Status, want)
					}
				}
			}

			// Signed in on A: the session answers on both; signed out on
			// B: neither answers any more.
			x := a.SignIn(t, email, mgPassword, false)
			both(x, http.StatusOK, "signed in on A")
			x.On(b).Logout()
			both(x, http.StatusUnauthorized, "after signing out on B")

			// "End other sessions" on B ends A's other browsers at once.
			y := b.SignIn(t, email, mgPassword, false)
			z := a.SignIn(t, email, mgPassword, true)
			both(z, http.StatusOK, "remembered on A")
			p := y.Submit("/account/manage/sessions", "#end-others-form", nil)
			portaltest.WantRedirect(t, p, "/account/manage/sessions")
			both(z, http.StatusUnauthorized, "after end-others on B")
			both(y, http.StatusOK, "the browser that ended the others")

			// A password change on A ends the other sessions on B too.
			w := b.SignIn(t, email, mgPassword, false)
			both(w, http.StatusOK, "signed in on B")
			portaltest.WantRedirectPrefix(t, mgChangePassword(y.On(a), mgPassword, "a new horse battery", "a new horse battery"), "/account/manage")
			both(w, http.StatusUnauthorized, "after a password change on A")
			both(y, http.StatusOK, "the browser that changed the password")
		})
	}
}
