package tests

import (
	"net/http"
	"testing"

	"github.com/accountportal/portal/internal/portaltest"
)

// TestTwoFactorRememberSurvivesLogout: signing out keeps "remember this
// browser" (it is not wiped with Clear-Site-Data "cookies"), so the next
// password sign-in from this browser skips the code.
func TestTwoFactorRememberSurvivesLogout(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	_, key, _ := tfUser(t, srv, "remember@example.com")
	c := tfPending(t, srv, "remember@example.com")
	portaltest.WantRedirect(t, tfSubmitCode(c, tfCode(t, srv, key, 0), true), "/")
	if c.Cookie("portal_2fa_remember") == "" {
		t.Fatal("no remember-browser cookie after remember_machine")
	}
	c.Logout()
	if c.Cookie("portal_2fa_remember") == "" {
		t.Fatal("signing out erased the remember-browser cookie")
	}
	portaltest.WantRedirect(t, tfPasswordStep(c, "remember@example.com", tfPassword, false, ""), "/")
}

// TestTwoFactorRememberedBrowserNeedsCodeToDisable (MFA-05): a session that
// skipped the code because the browser is remembered cannot turn 2FA off,
// reset the key or make new recovery codes without confirming with password
// and code first — even within the re-authentication window.
func TestTwoFactorRememberedBrowserNeedsCodeToDisable(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	_, key, _ := tfUser(t, srv, "skip@example.com")
	c := tfPending(t, srv, "skip@example.com")
	portaltest.WantRedirect(t, tfSubmitCode(c, tfCode(t, srv, key, 0), true), "/")
	srv.Clock.Advance(tfStep)
	// A fresh sign-in from the remembered browser skips the code.
	fresh := portaltest.NewClient(t, srv)
	fresh.SetCookie("portal_2fa_remember", c.Cookie("portal_2fa_remember"))
	portaltest.WantRedirect(t, tfPasswordStep(fresh, "skip@example.com", tfPassword, false, ""), "/")
	for _, path := range []string{"/account/manage/disable-2fa", "/account/manage/reset-authenticator", "/account/manage/generate-recovery-codes"} {
		portaltest.WantRedirect(t, fresh.Get(path), portaltest.ReauthURL(path))
	}
	// Password and code: then the change is allowed.
	portaltest.WantRedirect(t, fresh.Reauth(portaltest.ReauthURL("/account/manage/disable-2fa"), tfPassword, tfCode(t, srv, key, 0)), "/account/manage/disable-2fa")
	portaltest.WantStatus(t, fresh.Get("/account/manage/disable-2fa"), http.StatusOK)
	// A session that entered the code at sign-in needs nothing more.
	srv.Clock.Advance(tfStep)
	coded := tfSignIn(t, srv, "skip@example.com", key)
	portaltest.WantStatus(t, coded.Get("/account/manage/disable-2fa"), http.StatusOK)
}
