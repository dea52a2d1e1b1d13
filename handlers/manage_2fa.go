package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/pages"
)

// keyShowCodes holds freshly generated recovery codes until the show page
// displays them once.
const keyShowCodes = "show_codes"

// keyEnrolment holds the sealed key the enable page shows, until its first
// code turns 2FA on (identity stores nothing before, MFA-01).
const keyEnrolment = "tfa_enrolment"

// authenticatorSetup is the key this session enrols (the same one on every
// showing of the page), kept in the session.
func (h *Handler) authenticatorSetup(c echo.Context, u *identity.User) (*identity.Authenticator, error) {
	ctx := c.Request().Context()
	a, err := h.id.AuthenticatorSetup(ctx, u, h.sessions.GetString(ctx, keyEnrolment))
	if err != nil {
		return nil, err
	}
	h.sessions.Put(ctx, keyEnrolment, a.Enrolment)
	return a, nil
}

const twoFactorPath = "/account/manage/two-factor"

func (h *Handler) handleTwoFactorShow(c echo.Context) error {
	u := currentUser(c)
	st, err := h.id.TwoFactor(c.Request().Context(), u)
	if err != nil {
		return err
	}
	v := pages.TwoFactorView{
		Common: h.common(c, h.T(c, "two-factor.title")), Enabled: st.Enabled, HasAuthenticator: st.HasAuthenticator,
		RecoveryCodesLeft: st.RecoveryCodesLeft, BrowserRemembered: h.browserRemembered(c, u),
	}
	return h.renderPage(c, http.StatusOK, "two-factor", v)
}

// handleForgetBrowser is the two-factor page's POST: forget this browser
// (revoked on the server, so a copy of its cookie stops working too), or
// with forget=all every browser remembered for the account.
func (h *Handler) handleForgetBrowser(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	if c.FormValue("forget") == "all" {
		if _, err := h.id.ForgetAllBrowsers(ctx, clientOf(c), u); err != nil {
			return err
		}
		h.clearRememberCookie(c)
		h.setFlash(c, h.T(c, "status.browsers_forgotten"), false)
		return h.redirect(c, twoFactorPath)
	}
	if ck, err := c.Cookie(h.rememberCookieName()); err == nil {
		if err := h.id.ForgetBrowser(ctx, u, ck.Value); err != nil {
			return err
		}
	}
	h.clearRememberCookie(c)
	h.setFlash(c, h.T(c, "status.browser_forgotten"), false)
	return h.redirect(c, twoFactorPath)
}

func (h *Handler) enableView(c echo.Context, a *identity.Authenticator, errs pages.FieldErrors) (pages.EnableAuthenticatorView, error) {
	svg, err := pages.QRCodeSVG(a.URI)
	if err != nil {
		return pages.EnableAuthenticatorView{}, err
	}
	return pages.EnableAuthenticatorView{
		Common: h.common(c, h.T(c, "enable-authenticator.title")), FormattedKey: strings.ToLower(a.FormattedKey),
		URI: a.URI, QRCodeSVG: svg, Errors: errs,
	}, nil
}

func (h *Handler) handleEnableAuthenticatorShow(c echo.Context) error {
	u := currentUser(c)
	if u.TwoFactorEnabled {
		h.setFlash(c, h.T(c, "status.two_factor_already_on"), false)
		return h.redirect(c, twoFactorPath)
	}
	a, err := h.authenticatorSetup(c, u)
	if err != nil {
		return err
	}
	v, err := h.enableView(c, a, nil)
	if err != nil {
		return err
	}
	return h.renderPage(c, http.StatusOK, "enable-authenticator", v)
}

func (h *Handler) handleEnableAuthenticatorPost(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	if u.TwoFactorEnabled {
		return h.redirect(c, twoFactorPath)
	}
	code := strings.TrimSpace(c.FormValue("code"))
	if code == "" {
		return h.renderEnableError(c, u, pages.FieldErrors{"code": h.T(c, "validation.app_code_required")})
	}
	codes, err := h.id.EnableAuthenticator(ctx, clientOf(c), u, currentSessionID(c), h.sessions.GetString(ctx, keyEnrolment), code)
	if errs, _, ok := h.fieldErrors(c, err); ok && len(errs) > 0 {
		return h.renderEnableError(c, u, errs)
	}
	if err != nil {
		return err
	}
	h.sessions.Remove(ctx, keyEnrolment)
	if err := h.refreshSignIn(c, u); err != nil {
		return err
	}
	h.setFlash(c, h.T(c, "status.authenticator_verified"), false)
	if len(codes) > 0 {
		h.sessions.Put(ctx, keyShowCodes, strings.Join(codes, "\n"))
		return h.redirect(c, "/account/manage/show-recovery-codes")
	}
	return h.redirect(c, twoFactorPath)
}

// renderEnableError shows the enable page again, with the same key, and
// the code's error (422).
func (h *Handler) renderEnableError(c echo.Context, u *identity.User, errs pages.FieldErrors) error {
	a, err := h.authenticatorSetup(c, u)
	if err != nil {
		return err
	}
	v, err := h.enableView(c, a, errs)
	if err != nil {
		return err
	}
	return h.renderPage(c, http.StatusUnprocessableEntity, "enable-authenticator", v)
}

func (h *Handler) handleResetAuthenticatorShow(c echo.Context) error {
	return h.renderPage(c, http.StatusOK, "reset-authenticator", pages.ConfirmActionView{Common: h.common(c, h.T(c, "reset-authenticator.title"))})
}

func (h *Handler) handleResetAuthenticatorPost(c echo.Context) error {
	u := currentUser(c)
	if err := h.id.ResetAuthenticator(c.Request().Context(), clientOf(c), u, currentSessionID(c)); err != nil {
		return err
	}
	h.sessions.Remove(c.Request().Context(), keyEnrolment)
	h.clearRememberCookie(c)
	if err := h.refreshSignIn(c, u); err != nil {
		return err
	}
	h.setFlash(c, h.T(c, "status.authenticator_reset"), false)
	return h.redirect(c, "/account/manage/enable-authenticator")
}

func (h *Handler) disable2FAView(c echo.Context, errs pages.FieldErrors) pages.DisableTwoFactorView {
	return pages.DisableTwoFactorView{Common: h.common(c, h.T(c, "disable-2fa.title")), HasPassword: currentUser(c).PasswordHash != "", Errors: errs}
}

func (h *Handler) handleDisable2FAShow(c echo.Context) error {
	if !currentUser(c).TwoFactorEnabled {
		h.setFlash(c, h.T(c, "errors.two_factor_not_on"), true)
		return h.redirect(c, twoFactorPath)
	}
	return h.renderPage(c, http.StatusOK, "disable-2fa", h.disable2FAView(c, nil))
}

// handleDisable2FAPost turns 2FA off with the password and a current code
// (MFA-05); a wrong one shows the form again.
func (h *Handler) handleDisable2FAPost(c echo.Context) error {
	u := currentUser(c)
	err := h.id.DisableTwoFactor(c.Request().Context(), clientOf(c), u, currentSessionID(c), c.FormValue("password"), c.FormValue("code"))
	if errs, _, ok := h.fieldErrors(c, err); ok && len(errs) > 0 {
		return h.renderPage(c, http.StatusUnprocessableEntity, "disable-2fa", h.disable2FAView(c, errs))
	}
	if identity.ErrorCode(err) == identity.EINVALID {
		h.setFlash(c, h.errorText(c, err), true)
		return h.redirect(c, twoFactorPath)
	}
	if err != nil {
		return err
	}
	h.clearRememberCookie(c)
	if err := h.refreshSignIn(c, u); err != nil {
		return err
	}
	h.setFlash(c, h.T(c, "status.two_factor_off"), false)
	return h.redirect(c, twoFactorPath)
}

func (h *Handler) handleGenerateCodesShow(c echo.Context) error {
	if !currentUser(c).TwoFactorEnabled {
		h.setFlash(c, h.T(c, "errors.two_factor_first"), true)
		return h.redirect(c, twoFactorPath)
	}
	return h.renderPage(c, http.StatusOK, "generate-recovery-codes", pages.ConfirmActionView{Common: h.common(c, h.T(c, "generate-recovery-codes.title"))})
}

func (h *Handler) handleGenerateCodesPost(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	codes, err := h.id.GenerateRecoveryCodes(ctx, clientOf(c), u, currentSessionID(c))
	if identity.ErrorCode(err) == identity.EINVALID {
		h.setFlash(c, h.errorText(c, err), true)
		return h.redirect(c, twoFactorPath)
	}
	if err != nil {
		return err
	}
	if err := h.refreshSignIn(c, u); err != nil {
		return err
	}
	h.sessions.Put(ctx, keyShowCodes, strings.Join(codes, "\n"))
	h.setFlash(c, h.T(c, "status.recovery_codes_new"), false)
	return h.redirect(c, "/account/manage/show-recovery-codes")
}

// handleShowCodes shows freshly generated codes once: a reload finds none
// and goes to the two-factor page (MFA-04).
func (h *Handler) handleShowCodes(c echo.Context) error {
	ctx := c.Request().Context()
	if !h.sessions.Exists(ctx, keyShowCodes) {
		return h.redirect(c, twoFactorPath)
	}
	codes := strings.Split(h.sessions.PopString(ctx, keyShowCodes), "\n")
	return h.renderPage(c, http.StatusOK, "show-recovery-codes", pages.ShowRecoveryCodesView{Common: h.common(c, h.T(c, "show-recovery-codes.title")), Codes: codes})
}
