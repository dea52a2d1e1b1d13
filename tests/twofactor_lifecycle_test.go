package tests

// The life of an authenticator key (issue 17 item 12; SECURITY.md
// MFA-01): created on enrolment, not when the enable page is first shown;
// deleted with the recovery codes when 2FA is turned off; a new key and
// new codes when it is turned on again.

import (
	"context"
	"slices"
	"testing"

	"github.com/accountportal/portal/internal/portaltest"
)

// tlStored reports whether the account email has a stored authenticator
// key, and how many recovery codes (gray box).
func tlStored(t testing.TB, srv *portaltest.Server, email string) (bool, int) {
	t.Helper()
	db := srv.GrayDB(t, true)
	var n int
	var key []byte
	err := db.QueryRowContext(context.Background(),
		`SELECT authenticator_key, (SELECT COUNT(*) FROM recovery_codes r WHERE r.user_id = u.id) FROM users u WHERE normalized_email = `+tlParam(srv), email).Scan(&key, &n)
	if err != nil {
		t.Fatalf("read the account: %v", err)
	}
	return len(key) > 0, n
}

func tlParam(srv *portaltest.Server) string {
	if srv.DBPath == "" {
		return "$1"
	}
	return "?"
}

// TestTwoFactorKeyCreatedOnEnrolment (MFA-01): showing the enable page
// stores no key; the page shows the same key until the first code turns
// 2FA on.
func TestTwoFactorKeyCreatedOnEnrolment(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "enrol@example.com"
	c := srv.SignedUp(t, email, tfPassword)
	_, k1 := tfEnablePage(t, c)
	_, k2 := tfEnablePage(t, c)
	if k1 != k2 {
		t.Errorf("the enable page showed %q, then %q: want the same key until enrolment", k1, k2)
	}
	if has, _ := tlStored(t, srv, email); has {
		t.Errorf("a key is stored on the account after showing the enable page, before any code (MFA-01)")
	}
	p := c.Submit(tfEnablePath, "form#send-code", map[string]string{"code": tfCode(t, srv, k1, 0)})
	portaltest.WantRedirect(t, p, tfShowPath)
	if has, n := tlStored(t, srv, email); !has || n != 10 {
		t.Errorf("after enrolment: key stored=%v, %d recovery codes; want a key and 10 codes", has, n)
	}
}

// TestTwoFactorDisableDeletesKeyAndCodes (MFA-01, MFA-04): turning 2FA off
// deletes the key and the recovery codes; turning it on again enrols a new
// key and shows new codes; the old key and codes are dead.
func TestTwoFactorDisableDeletesKeyAndCodes(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "cycle@example.com"
	a, oldKey, oldCodes := tfUser(t, srv, email)

	portaltest.WantRedirect(t, a.Reauth(portaltest.ReauthURL(tfDisablePath), tfPassword, tfCode(t, srv, oldKey, 0)), tfDisablePath)
	srv.Clock.Advance(tfStep) // the form asks for a current code again (MFA-05)
	portaltest.WantRedirect(t, a.Submit(tfDisablePath, "#disable-2fa-form", map[string]string{"password": tfPassword, "code": tfCode(t, srv, oldKey, 0)}), tfOverviewPath)
	tfWantEnabled(t, tfOverview(t, a), false)
	if has, n := tlStored(t, srv, email); has || n != 0 {
		t.Errorf("after turning 2FA off: key stored=%v, %d recovery codes; want neither", has, n)
	}

	srv.Clock.Advance(tfStep)
	_, newKey := tfEnablePage(t, a)
	if newKey == oldKey {
		t.Fatalf("turning 2FA on again showed the old key %q", oldKey)
	}
	portaltest.WantFieldError(t, a.Submit(tfEnablePath, "form#send-code", map[string]string{"code": tfCode(t, srv, oldKey, 0)}), "code")
	p := a.Submit(tfEnablePath, "form#send-code", map[string]string{"code": tfCode(t, srv, newKey, 0)})
	portaltest.WantRedirect(t, p, tfShowPath)
	newCodes := tfShownCodes(t, a)
	for _, c := range oldCodes {
		if slices.Contains(newCodes, c) {
			t.Fatalf("re-enabling showed an old recovery code %q", c)
		}
	}

	srv.Clock.Advance(tfStep)
	c := tfPending(t, srv, email)
	portaltest.WantFieldError(t, tfSubmitRecovery(c, oldCodes[0]), "recovery_code")
	portaltest.WantRedirect(t, tfSubmitRecovery(c, newCodes[0]), "/")
	if got := c.WhoAmI(); got != email {
		t.Errorf("signed in as %q, want %q", got, email)
	}
}

// tlRemembered signs email in with the code and "remember this browser"
// in a new browser and returns it with its cookie.
func tlRemembered(t testing.TB, srv *portaltest.Server, email, key string, step int) (*portaltest.Client, string) {
	t.Helper()
	c := tfPending(t, srv, email)
	portaltest.WantRedirect(t, tfSubmitCode(c, tfCode(t, srv, key, step), true), "/")
	v := c.Cookie(tfRememberCookie)
	if v == "" {
		t.Fatalf("no %s after remember_machine", tfRememberCookie)
	}
	return c, v
}

// tlSkipsCode reports whether a new browser holding the cookie value
// skips the second factor when signing in to email.
func tlSkipsCode(t testing.TB, srv *portaltest.Server, email, cookie string) bool {
	t.Helper()
	o := portaltest.NewClient(t, srv)
	o.SetCookie(tfRememberCookie, cookie)
	p := tfPasswordStep(o, email, tfPassword, false, "")
	switch p.Location() {
	case "/":
		return true
	case tf2FAPath:
		return false
	}
	t.Fatalf("sign-in with a remember cookie: status %d Location %q", p.Status, p.Location())
	return false
}

// TestTwoFactorForgetBrowserRevokes (MFA-05, SES-03; issue 17 item 13):
// "Forget this browser" revokes that browser on the server — a copy of
// its cookie no longer skips the code — and "Forget every remembered
// browser" revokes them all, wherever their cookies are.
func TestTwoFactorForgetBrowserRevokes(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "forget@example.com"
	owner, key, _ := tfUser(t, srv, email)

	b, copied := tlRemembered(t, srv, email, key, 0)
	if !tlSkipsCode(t, srv, email, copied) {
		t.Fatal("setup: a copy of the remember cookie does not skip the code")
	}
	portaltest.WantRedirect(t, b.Submit(tfOverviewPath, "#forget-browser-form", nil), tfOverviewPath)
	if tlSkipsCode(t, srv, email, copied) {
		t.Error("after “Forget this browser”, a copy of its cookie still skips the code")
	}

	srv.Clock.Advance(tfStep)
	_, c1 := tlRemembered(t, srv, email, key, 0)
	srv.Clock.Advance(tfStep)
	_, c2 := tlRemembered(t, srv, email, key, 0)
	if !tlSkipsCode(t, srv, email, c1) || !tlSkipsCode(t, srv, email, c2) {
		t.Fatal("setup: the two remembered browsers do not skip the code")
	}
	p := owner.Submit(tfOverviewPath, "#forget-all-browsers-form", nil)
	portaltest.WantRedirect(t, p, tfOverviewPath)
	if tlSkipsCode(t, srv, email, c1) || tlSkipsCode(t, srv, email, c2) {
		t.Error("after “Forget every remembered browser”, a remembered browser still skips the code")
	}
	if got := len(srv.MailsWith(t, email, "")); got == 0 {
		t.Error("no mail at all to the owner")
	}
}
