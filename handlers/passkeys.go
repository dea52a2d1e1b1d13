package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/pages"
)

// Passkeys (issue 21). A ceremony takes two requests: "begin" answers the
// options for navigator.credentials (JSON, fetched by /static/passkeys.js)
// and keeps the ceremony's id in this browser's server-side session; the
// script then posts the authenticator's answer as an ordinary form, which
// ends in a redirect like every other form. The challenge itself lives in
// the store, single-use across instances (identity, MFA-06).

const (
	passkeysPath = "/account/manage/passkeys"

	keyPasskeyAdd   = "pk_add"   // the registration ceremony's id
	keyPasskeyLogin = "pk_login" // the sign-in ceremony's id
)

// passkeyOptions answers a begun ceremony: the options as JSON, never
// cached.
func (h *Handler) passkeyOptions(c echo.Context, key string, cr *identity.PasskeyCeremony) error {
	h.sessions.Put(c.Request().Context(), key, cr.ID)
	if err := h.commitSession(c); err != nil {
		return err
	}
	return c.JSONBlob(http.StatusOK, cr.Options)
}

// passkeyBeginFailed answers a ceremony that could not begin, as JSON
// with a message the script shows.
func (h *Handler) passkeyBeginFailed(c echo.Context, err error) error {
	status := http.StatusInternalServerError
	switch identity.ErrorCode(err) {
	case identity.ENOTFOUND:
		status = http.StatusNotFound
	case identity.ERATELIMIT:
		status = http.StatusTooManyRequests
	case identity.EUNAVAILABLE:
		status = http.StatusServiceUnavailable
	}
	if status == http.StatusInternalServerError {
		return err
	}
	return c.JSON(status, map[string]string{"error": h.errorText(err)})
}

// handlePasskeyLoginBegin starts a passkey sign-in.
func (h *Handler) handlePasskeyLoginBegin(c echo.Context) error {
	cr, err := h.id.BeginPasskeySignIn(c.Request().Context(), clientOf(c))
	if err != nil {
		return h.passkeyBeginFailed(c, err)
	}
	return h.passkeyOptions(c, keyPasskeyLogin, cr)
}

// handlePasskeyLoginPost finishes a passkey sign-in: with user
// verification it is complete (no code is asked; MFA-06, issue 21).
func (h *Handler) handlePasskeyLoginPost(c echo.Context) error {
	ctx := c.Request().Context()
	ceremony := h.sessions.PopString(ctx, keyPasskeyLogin)
	r, err := h.id.PasskeySignIn(ctx, h.signInClient(c), ceremony, []byte(c.FormValue("credential")))
	if err != nil {
		status := http.StatusUnprocessableEntity
		switch {
		case identity.ErrorCode(err) == identity.ERATELIMIT:
			status = http.StatusTooManyRequests
		case errors.Is(err, identity.ErrEmailUnconfirmed):
			status = http.StatusForbidden
		case identity.ErrorCode(err) == identity.EINTERNAL || identity.ErrorCode(err) == "":
			return err
		}
		return h.renderPage(c, status, "login", h.loginView(c, loginForm{}, nil, h.errorText(err)))
	}
	return h.finishFirstStep(c, r, false, h.returnURL(c.QueryParam("returnUrl")))
}

func (h *Handler) passkeysView(c echo.Context, errs pages.FieldErrors, msg string) (pages.PasskeysView, error) {
	u := currentUser(c)
	ctx := c.Request().Context()
	ps, err := h.id.ListPasskeys(ctx, u.ID)
	if err != nil {
		return pages.PasskeysView{}, err
	}
	v := pages.PasskeysView{
		Common:    h.common(c, h.T("passkeys.title")),
		Available: h.id.PasskeysEnabled(),
		Errors:    errs,
		Message:   msg,
		NameMax:   identity.PasskeyNameMax,
	}
	for _, p := range ps {
		v.Passkeys = append(v.Passkeys, pages.PasskeyItem{
			ID: p.ID, Name: p.Name, Model: identity.AuthenticatorName(p.AAGUID),
			CreatedAt: p.CreatedAt, LastUsedAt: p.LastUsedAt,
			Synced: p.BackupEligible, CloneWarning: p.CloneWarning,
		})
	}
	v.CanRemove = u.PasswordHash != "" || len(ps) > 1
	if !v.CanRemove {
		links, err := h.id.ListExternalLogins(ctx, u.ID)
		if err != nil {
			return v, err
		}
		v.CanRemove = len(links) > 0
	}
	return v, nil
}

func (h *Handler) handlePasskeysShow(c echo.Context) error {
	v, err := h.passkeysView(c, nil, "")
	if err != nil {
		return err
	}
	return h.renderPage(c, http.StatusOK, "passkeys", v)
}

// passkeysFailed re-renders the page with identity's message: beside the
// name field for a bad name, at the top otherwise.
func (h *Handler) passkeysFailed(c echo.Context, err error) error {
	errs, msg, ok := h.fieldErrors(err)
	if !ok {
		switch identity.ErrorCode(err) {
		case identity.EUNAUTHORIZED:
			msg = h.errorText(err)
		default:
			return err // ENOTFOUND (ACC-03: another user's passkey) → 404
		}
	}
	v, verr := h.passkeysView(c, errs, msg)
	if verr != nil {
		return verr
	}
	return h.renderPage(c, http.StatusUnprocessableEntity, "passkeys", v)
}

// handlePasskeyAddBegin starts adding a passkey (recent authentication
// required, SES-05).
func (h *Handler) handlePasskeyAddBegin(c echo.Context) error {
	cr, err := h.id.BeginPasskeyRegistration(c.Request().Context(), currentUser(c))
	if err != nil {
		return h.passkeyBeginFailed(c, err)
	}
	return h.passkeyOptions(c, keyPasskeyAdd, cr)
}

// handlePasskeyAddPost stores the new passkey.
func (h *Handler) handlePasskeyAddPost(c echo.Context) error {
	ctx := c.Request().Context()
	ceremony := h.sessions.PopString(ctx, keyPasskeyAdd)
	p, err := h.id.AddPasskey(ctx, clientOf(c), currentUser(c), identity.AddPasskeyInput{
		Ceremony: ceremony, Response: []byte(c.FormValue("credential")),
		Name: c.FormValue("name"), DefaultName: h.T("passkeys.default_name"),
	})
	if err != nil {
		return h.passkeysFailed(c, err)
	}
	h.setFlash(c, h.T("status.passkey_added", "name", p.Name), false)
	return h.redirect(c, passkeysPath)
}

// handlePasskeyRenamePost renames one of the user's passkeys.
func (h *Handler) handlePasskeyRenamePost(c echo.Context) error {
	err := h.id.RenamePasskey(c.Request().Context(), clientOf(c), currentUser(c), c.FormValue("passkey_id"), c.FormValue("name"))
	if errors.Is(err, identity.ErrPasskeyName) {
		// The message at the top: the name field below is the add form's.
		v, verr := h.passkeysView(c, nil, h.errorText(err))
		if verr != nil {
			return verr
		}
		return h.renderPage(c, http.StatusUnprocessableEntity, "passkeys", v)
	}
	if err != nil {
		return h.passkeysFailed(c, err)
	}
	h.setFlash(c, h.T("status.passkey_renamed"), false)
	return h.redirect(c, passkeysPath)
}

// handlePasskeyRemovePost removes one of the user's passkeys (recent
// authentication required; never the last way in). Every other session
// ends (SES-03).
func (h *Handler) handlePasskeyRemovePost(c echo.Context) error {
	u := currentUser(c)
	err := h.id.RemovePasskey(c.Request().Context(), clientOf(c), u, currentSessionID(c), c.FormValue("passkey_id"))
	if errors.Is(err, identity.ErrLastPasskey) {
		h.setFlash(c, h.errorText(err), true)
		return h.redirect(c, passkeysPath)
	}
	if err != nil {
		return h.passkeysFailed(c, err)
	}
	if err := h.refreshSignIn(c, u); err != nil {
		return err
	}
	h.setFlash(c, h.T("status.passkey_removed"), false)
	return h.redirect(c, passkeysPath)
}
