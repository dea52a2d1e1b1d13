package tests

import (
	"net/http"
	"strings"
	"testing"

	"github.com/accountportal/portal/internal/portaltest"
)

// logoutForm is the sign-out form in the header of every signed-in page.
const logoutForm = `form[action="/account/logout"]`

// TestLogoutEndsSession (SES-01, BRW-05): POST /account/logout signs out,
// clears the browser, and the old cookie is dead on the server.
func TestLogoutEndsSession(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const pw = "correct horse battery"

	for _, tc := range []struct{ name, page, form string }{
		{"header form", "/account/manage", logoutForm},
		{"logout page", "/account/logout", "#logout-form"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			email := strings.ReplaceAll(tc.name, " ", "-") + "@example.com"
			c := srv.SignedUp(t, email, pw)
			old := c.Cookie(portaltest.SessionCookie)
			if old == "" {
				t.Fatal("no session cookie after sign-in")
			}
			p := c.Get(tc.page)
			portaltest.WantStatus(t, p, http.StatusOK)
			f := p.Form(t, tc.form)
			if got, want := f.Action, "/account/logout"; got != want {
				t.Fatalf("logout form action=%q, want %q", got, want)
			}
			if f.Values.Get("_csrf") == "" {
				t.Fatalf("logout form has no _csrf")
			}

			p = c.Post(f.Action, f.Values)
			portaltest.WantStatus(t, p, http.StatusSeeOther)
			// BRW-05: cached pages go, and the session and CSRF cookies are
			// expired by name. Clear-Site-Data "cookies" is deliberately not
			// sent: it would also erase "remember this browser" (2FA).
			if got := p.Header.Get("Clear-Site-Data"); !strings.Contains(got, `"cache"`) {
				t.Errorf(`Clear-Site-Data=%q, want it to contain "cache" (BRW-05)`, got)
			}
			expired := map[string]bool{}
			for _, ck := range (&http.Response{Header: p.Header}).Cookies() {
				if ck.MaxAge < 0 {
					expired[ck.Name] = true
				}
			}
			for _, name := range []string{portaltest.SessionCookie, "portal_csrf"} {
				if !expired[name] {
					t.Errorf("logout does not expire the %s cookie (BRW-05); Set-Cookie=%q", name, p.Header.Values("Set-Cookie"))
				}
			}
			if got := c.Cookie(portaltest.SessionCookie); got == old {
				t.Errorf("the session cookie was left in the browser after logout")
			}
			done := c.Follow(p)
			portaltest.WantStatus(t, done, http.StatusOK)
			if done.Has(t, "[data-testid=logout-button]") {
				t.Errorf("the page after logout still shows a sign-out button:\n%s", done.Body)
			}

			portaltest.WantLoginRedirect(t, c.Get("/account/manage"), "/account/manage")

			// SES-01: the old cookie, replayed, is anonymous.
			replay := portaltest.NewClient(t, srv)
			replay.SetCookie(portaltest.SessionCookie, old)
			portaltest.WantLoginRedirect(t, replay.Get("/account/manage"), "/account/manage")
		})
	}
}

// TestLogoutGetDoesNotSignOut (BRW-07): GET /account/logout only asks.
func TestLogoutGetDoesNotSignOut(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	c := srv.SignedUp(t, "alice@example.com", "correct horse battery")

	p := c.Get("/account/logout")
	portaltest.WantStatus(t, p, http.StatusOK)
	if !p.Has(t, "#logout-form button[type=submit]") {
		t.Errorf("GET /account/logout shows no confirm button:\n%s", p.Body)
	}
	if p.Has(t, "[data-testid=signed-out]") {
		t.Errorf("GET /account/logout says the user signed out")
	}
	if got := p.Header.Get("Clear-Site-Data"); got != "" {
		t.Errorf("GET /account/logout sent Clear-Site-Data=%q", got)
	}
	for _, raw := range p.SessionSetCookies() {
		if ck, err := http.ParseSetCookie(raw); err == nil && (ck.Value == "" || ck.MaxAge < 0) {
			t.Errorf("GET /account/logout deleted the session cookie: %q", raw)
		}
	}
	portaltest.WantStatus(t, c.Get("/account/manage"), http.StatusOK)
}
