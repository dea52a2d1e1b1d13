package handlers

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/pages"
)

// The half-authenticated state between the first step and the second
// factor lives in the session under these keys: identity's pending sign-in
// (its rules — lifetime, tries, the account's state — are identity's) and
// what only the browser cares about. It grants nothing else: loadUser only
// knows keySessionID (SES-06).
const (
	keyTFAPending  = "tfa_pending" // identity.PendingSignIn, JSON
	keyTFARemember = "tfa_rm"      // "remember me" asked at the password step
	keyTFAReturn   = "tfa_return"  // where to go afterwards
)

func (h *Handler) rememberCookieName() string { return h.cookieName("portal_2fa_remember", false) }

// browserRemembered reports whether this browser carries a valid "remember
// this browser" cookie for u.
func (h *Handler) browserRemembered(c echo.Context, u *identity.User) bool {
	ck, err := c.Cookie(h.rememberCookieName())
	return err == nil && h.id.IsBrowserRemembered(c.Request().Context(), u, ck.Value)
}

func (h *Handler) setRememberCookie(c echo.Context, u *identity.User) error {
	v, exp, err := h.id.RememberBrowserToken(c.Request().Context(), u)
	if err != nil {
		return err
	}
	ck := h.newCookie("portal_2fa_remember", v)
	ck.Expires, ck.MaxAge = exp, int(time.Until(exp).Seconds())
	c.SetCookie(ck)
	return nil
}

func (h *Handler) clearRememberCookie(c echo.Context) {
	ck := h.newCookie("portal_2fa_remember", "")
	ck.MaxAge = -1
	c.SetCookie(ck)
}

// finishFirstStep ends a first sign-in step (password, external login):
// a complete sign-in starts the session; a pending one is kept in the
// session and the browser asked for the code. The session token is renewed
// at either step (AUTH-05).
func (h *Handler) finishFirstStep(c echo.Context, r *identity.SignIn, remember bool, returnURL string) error {
	ctx := c.Request().Context()
	if r.Complete() {
		o := r.Session
		o.Remember = remember
		if err := h.signIn(c, r.User, o); err != nil {
			return err
		}
		return h.redirectBack(c, h.returnTo(returnURL))
	}
	raw, err := json.Marshal(r.Pending)
	if err != nil {
		return err
	}
	if err := h.sessions.RenewToken(ctx); err != nil {
		return err
	}
	h.sessions.Put(ctx, keyTFAPending, string(raw))
	h.sessions.Put(ctx, keyTFARemember, remember)
	h.sessions.Put(ctx, keyTFAReturn, returnURL)
	return h.redirect(c, "/account/login-2fa")
}

// pendingSignIn returns the pending sign-in of this session, or nil. Its
// freshness is identity's to judge.
func (h *Handler) pendingSignIn(c echo.Context) *identity.PendingSignIn {
	if !hasSession(c) {
		return nil
	}
	raw := h.sessions.GetString(c.Request().Context(), keyTFAPending)
	if raw == "" {
		return nil
	}
	var p identity.PendingSignIn
	if json.Unmarshal([]byte(raw), &p) != nil {
		return nil
	}
	return &p
}

func (h *Handler) clearSecondFactor(c echo.Context) {
	ctx := c.Request().Context()
	for _, k := range []string{keyTFAPending, keyTFARemember, keyTFAReturn} {
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
	v := pages.LoginTwoFactorView{Common: h.common(c, h.T(c, "login-2fa.title")), Errors: errs}
	if p := h.pendingSignIn(c); p != nil {
		v.Passkey, _ = h.id.HasPasskeys(c.Request().Context(), p.UserID) // on an error: the code only
	}
	return v
}

func (h *Handler) handleLogin2FAShow(c echo.Context) error {
	if h.id.CheckPending(h.pendingSignIn(c)) != nil {
		return h.restartSignIn(c, "")
	}
	return h.renderPage(c, http.StatusOK, "login-2fa", h.twoFactorView(c, nil))
}

func (h *Handler) handleLogin2FAPost(c echo.Context) error {
	p := h.pendingSignIn(c)
	if p == nil {
		return h.restartSignIn(c, h.T(c, "status.sign_in_too_slow"))
	}
	code := c.FormValue("code")
	if code == "" {
		return h.renderPage(c, http.StatusUnprocessableEntity, "login-2fa", h.twoFactorView(c, pages.FieldErrors{"code": h.T(c, "validation.code_required")}))
	}
	r, err := h.id.TwoFactorSignIn(c.Request().Context(), clientOf(c), p, code)
	if identity.ErrorCode(err) == identity.EINVALID {
		return h.renderPage(c, http.StatusUnprocessableEntity, "login-2fa", h.twoFactorView(c, pages.FieldErrors{"code": h.errorText(c, identity.ErrInvalidCode)}))
	}
	if err != nil {
		return h.secondFactorFailed(c, err)
	}
	remember := c.FormValue("remember_machine")
	if remember == "true" || remember == "on" || remember == "1" {
		if err := h.setRememberCookie(c, r.User); err != nil {
			return err
		}
		r.Session.Remembered2FA = true
	}
	return h.completeSecondFactor(c, r)
}

// secondFactorFailed answers a second step that ended the pending
// sign-in: back to the first step, with identity's reason.
func (h *Handler) secondFactorFailed(c echo.Context, err error) error {
	switch {
	case errors.Is(err, identity.ErrSessionEnded):
		return h.restartSignIn(c, "")
	case identity.ErrorCode(err) == identity.EUNAUTHORIZED:
		// expired, too many codes for this sign-in, or the account locked
		return h.restartSignIn(c, h.errorText(c, err))
	}
	return err
}

// completeSecondFactor turns the pending sign-in into a session.
func (h *Handler) completeSecondFactor(c echo.Context, r *identity.SignIn) error {
	ctx := c.Request().Context()
	o := r.Session
	o.Remember = h.sessions.GetBool(ctx, keyTFARemember)
	to := h.returnTo(h.sessions.GetString(ctx, keyTFAReturn))
	h.clearSecondFactor(c)
	if err := h.signIn(c, r.User, o); err != nil {
		return err
	}
	return h.redirectBack(c, to)
}

func (h *Handler) recoveryView(c echo.Context, errs pages.FieldErrors) pages.LoginRecoveryCodeView {
	return pages.LoginRecoveryCodeView{Common: h.common(c, h.T(c, "login-recovery-code.title")), Errors: errs}
}

func (h *Handler) handleLoginRecoveryShow(c echo.Context) error {
	if h.id.CheckPending(h.pendingSignIn(c)) != nil {
		return h.restartSignIn(c, "")
	}
	return h.renderPage(c, http.StatusOK, "login-recovery-code", h.recoveryView(c, nil))
}

// handleLoginRecoveryPost signs in with a recovery code; such a sign-in
// never remembers the browser.
func (h *Handler) handleLoginRecoveryPost(c echo.Context) error {
	p := h.pendingSignIn(c)
	if p == nil {
		return h.restartSignIn(c, h.T(c, "status.sign_in_too_slow"))
	}
	code := c.FormValue("recovery_code")
	if code == "" {
		return h.renderPage(c, http.StatusUnprocessableEntity, "login-recovery-code", h.recoveryView(c, pages.FieldErrors{"recovery_code": h.T(c, "validation.recovery_code_required")}))
	}
	r, err := h.id.RecoveryCodeSignIn(c.Request().Context(), clientOf(c), p, code)
	if identity.ErrorCode(err) == identity.EINVALID {
		return h.renderPage(c, http.StatusUnprocessableEntity, "login-recovery-code", h.recoveryView(c, pages.FieldErrors{"recovery_code": h.errorText(c, identity.ErrInvalidRecoveryCode)}))
	}
	if err != nil {
		return h.secondFactorFailed(c, err)
	}
	h.recoveryCodesLeftFlash(c, r.RecoveryCodesLeft)
	return h.completeSecondFactor(c, r)
}

// recoveryCodesLeftFlash says, on the page after a sign-in with a
// recovery code, how many codes are left — as a warning when 3 or fewer
// are, the threshold of the two-factor page (issue 18 item 17).
func (h *Handler) recoveryCodesLeftFlash(c echo.Context, left int) {
	switch {
	case left < 0:
		return
	case left == 0:
		h.setFlash(c, h.T(c, "status.recovery_codes_none"), true)
	case left <= 3:
		h.setFlash(c, h.cat(c).N("status.recovery_codes_low", left, "count", left), true)
	default:
		h.setFlash(c, h.cat(c).N("status.recovery_codes_left", left, "count", left), false)
	}
}
