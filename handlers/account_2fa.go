package handlers

import (
	"errors"
	"net/http"

	"time"

	"github.com/labstack/echo/v4"

	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/pages"
)

// The half-authenticated state between the password and the second factor
// lives in the session under these keys. It grants nothing else: loadUser
// only knows keySessionID (SES-06).
const (
	keyTFAUser     = "tfa_uid"    // user who gave the right password
	keyTFAAt       = "tfa_at"     // unix seconds of that
	keyTFARemember = "tfa_rm"     // "remember me" asked at the password step
	keyTFAReturn   = "tfa_return" // where to go afterwards
	keyTFATries    = "tfa_tries"  // wrong codes in this pending sign-in
)

// Pending second-factor rules (SES-06, MFA-03; docs/security.md, Parameters).
const (
	tfaPendingLifetime = 5 * time.Minute
	tfaMaxTries        = 5
)

func (h *Handler) rememberCookieName() string {
	if h.secure {
		return "__Host-portal_2fa_remember"
	}
	return "portal_2fa_remember"
}

// browserRemembered reports whether this browser carries a valid "remember
// this browser" cookie for u.
func (h *Handler) browserRemembered(c echo.Context, u *identity.User) bool {
	ck, err := c.Cookie(h.rememberCookieName())
	return err == nil && h.id.IsBrowserRemembered(u, ck.Value)
}

func (h *Handler) setRememberCookie(c echo.Context, u *identity.User) {
	v, exp := h.id.RememberBrowserToken(u)
	c.SetCookie(&http.Cookie{
		Name: h.rememberCookieName(), Value: v, Path: "/", Expires: exp, MaxAge: int(time.Until(exp).Seconds()),
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode,
	})
}

func (h *Handler) clearRememberCookie(c echo.Context) {
	c.SetCookie(&http.Cookie{
		Name: h.rememberCookieName(), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode,
	})
}

// startSecondFactor records the password step and asks for the code; the
// session token is renewed at this step too (AUTH-05).
func (h *Handler) startSecondFactor(c echo.Context, u *identity.User, remember bool, returnURL string) error {
	ctx := c.Request().Context()
	if err := h.sessions.RenewToken(ctx); err != nil {
		return err
	}
	h.sessions.Put(ctx, keyTFAUser, u.ID)
	h.sessions.Put(ctx, keyTFAAt, h.now().Unix())
	h.sessions.Put(ctx, keyTFARemember, remember)
	h.sessions.Put(ctx, keyTFAReturn, returnURL)
	h.sessions.Put(ctx, keyTFATries, 0)
	return h.redirect(c, "/account/login-2fa")
}

// pendingSecondFactor returns the user id of a pending sign-in that is
// still fresh, or "".
func (h *Handler) pendingSecondFactor(c echo.Context) string {
	if !hasSession(c) {
		return ""
	}
	ctx := c.Request().Context()
	uid := h.sessions.GetString(ctx, keyTFAUser)
	if uid == "" {
		return ""
	}
	at := time.Unix(h.sessions.GetInt64(ctx, keyTFAAt), 0)
	if !h.now().Before(at.Add(tfaPendingLifetime)) {
		h.clearSecondFactor(c)
		return ""
	}
	return uid
}

func (h *Handler) clearSecondFactor(c echo.Context) {
	ctx := c.Request().Context()
	for _, k := range []string{keyTFAUser, keyTFAAt, keyTFARemember, keyTFAReturn, keyTFATries} {
		h.sessions.Remove(ctx, k)
	}
}

// restartSignIn sends the browser back to the password step with a message.
func (h *Handler) restartSignIn(c echo.Context, msg string) error {
	h.clearSecondFactor(c)
	if msg != "" {
		h.setFlash(c, msg, true)
	}
	return h.redirect(c, "/account/login")
}

func (h *Handler) twoFactorView(c echo.Context, errs pages.FieldErrors) pages.LoginTwoFactorView {
	return pages.LoginTwoFactorView{Common: h.common(c, h.T("login-2fa.title")), Errors: errs}
}

func (h *Handler) handleLogin2FAShow(c echo.Context) error {
	if h.pendingSecondFactor(c) == "" {
		return h.restartSignIn(c, "")
	}
	return h.renderPage(c, http.StatusOK, "login-2fa", h.twoFactorView(c, nil))
}

func (h *Handler) handleLogin2FAPost(c echo.Context) error {
	uid := h.pendingSecondFactor(c)
	if uid == "" {
		return h.restartSignIn(c, h.T("status.sign_in_too_slow"))
	}
	code := c.FormValue("code")
	if code == "" {
		return h.renderPage(c, http.StatusUnprocessableEntity, "login-2fa", h.twoFactorView(c, pages.FieldErrors{"code": h.T("validation.code_required")}))
	}
	u, err := h.id.TwoFactorSignIn(c.Request().Context(), clientOf(c), uid, code)
	if done, rerr := h.secondFactorFailed(c, err); done {
		if rerr == nil {
			return h.renderPage(c, http.StatusUnprocessableEntity, "login-2fa", h.twoFactorView(c, pages.FieldErrors{"code": h.errorText(identity.ErrInvalidCode)}))
		}
		return rerr
	}
	remember := c.FormValue("remember_machine")
	rememberMachine := remember == "true" || remember == "on" || remember == "1"
	if rememberMachine {
		h.setRememberCookie(c, u)
	}
	return h.completeSecondFactor(c, u, identity.SessionOptions{Remembered2FA: rememberMachine, Method: "authenticator app"})
}

// secondFactorFailed handles a failed code: done reports that the request
// is answered (err nil: re-render the form with the error).
func (h *Handler) secondFactorFailed(c echo.Context, err error) (done bool, rerr error) {
	switch {
	case err == nil:
		return false, nil
	case errors.Is(err, identity.ErrSessionEnded):
		return true, h.restartSignIn(c, "")
	case errors.Is(err, identity.ErrTwoFactorLocked):
		return true, h.restartSignIn(c, h.errorText(identity.ErrTwoFactorLocked))
	case identity.ErrorCode(err) != identity.EINVALID:
		return true, err
	}
	ctx := c.Request().Context()
	tries := h.sessions.GetInt(ctx, keyTFATries) + 1
	if tries >= tfaMaxTries {
		// MFA-03: five wrong codes drop the pending sign-in.
		return true, h.restartSignIn(c, h.T("status.too_many_codes"))
	}
	h.sessions.Put(ctx, keyTFATries, tries)
	return true, nil
}

// completeSecondFactor turns the pending sign-in into a session.
func (h *Handler) completeSecondFactor(c echo.Context, u *identity.User, o identity.SessionOptions) error {
	ctx := c.Request().Context()
	o.Remember = h.sessions.GetBool(ctx, keyTFARemember)
	to := returnTo(h.sessions.GetString(ctx, keyTFAReturn))
	h.clearSecondFactor(c)
	if err := h.signIn(c, u, o); err != nil {
		return err
	}
	return h.redirect(c, to)
}

func (h *Handler) recoveryView(c echo.Context, errs pages.FieldErrors) pages.LoginRecoveryCodeView {
	return pages.LoginRecoveryCodeView{Common: h.common(c, h.T("login-recovery-code.title")), Errors: errs}
}

func (h *Handler) handleLoginRecoveryShow(c echo.Context) error {
	if h.pendingSecondFactor(c) == "" {
		return h.restartSignIn(c, "")
	}
	return h.renderPage(c, http.StatusOK, "login-recovery-code", h.recoveryView(c, nil))
}

// handleLoginRecoveryPost signs in with a recovery code; such a sign-in
// never remembers the browser.
func (h *Handler) handleLoginRecoveryPost(c echo.Context) error {
	uid := h.pendingSecondFactor(c)
	if uid == "" {
		return h.restartSignIn(c, h.T("status.sign_in_too_slow"))
	}
	code := c.FormValue("recovery_code")
	if code == "" {
		return h.renderPage(c, http.StatusUnprocessableEntity, "login-recovery-code", h.recoveryView(c, pages.FieldErrors{"recovery_code": h.T("validation.recovery_code_required")}))
	}
	u, err := h.id.RecoveryCodeSignIn(c.Request().Context(), clientOf(c), uid, code)
	if done, rerr := h.secondFactorFailed(c, err); done {
		if rerr == nil {
			return h.renderPage(c, http.StatusUnprocessableEntity, "login-recovery-code", h.recoveryView(c, pages.FieldErrors{"recovery_code": h.errorText(identity.ErrInvalidRecoveryCode)}))
		}
		return rerr
	}
	return h.completeSecondFactor(c, u, identity.SessionOptions{Method: "recovery code"})
}
