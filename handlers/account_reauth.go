package handlers

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/pages"
)

func (h *Handler) reauthView(c echo.Context, errs pages.FieldErrors) pages.ReauthenticateView {
	v := pages.ReauthenticateView{
		Common:        h.common(c, h.T(c, "reauthenticate.title")),
		ReturnURL:     h.returnURL(c.QueryParam("returnUrl")),
		Errors:        errs,
		WindowMinutes: int(h.id.ReauthWindow() / time.Minute),
		HasPassword:   currentUser(c).PasswordHash != "",
		NeedsCode:     currentUser(c).TwoFactorEnabled,
		Providers:     h.linkedProviders(c),
	}
	v.Passkey, _ = h.id.HasPasskeys(c.Request().Context(), currentUser(c).ID) // on an error: no passkey button
	if v.NeedsCode {
		v.Providers = nil // with 2FA on, only password and code will do (MFA-05)
	}
	return v
}

// linkedProviders are the configured providers the user has linked: they
// can re-authenticate through them.
func (h *Handler) linkedProviders(c echo.Context) []pages.ProviderButton {
	links, err := h.id.ListExternalLogins(c.Request().Context(), currentUser(c).ID)
	if err != nil {
		return nil
	}
	var out []pages.ProviderButton
	for _, l := range links {
		if p := h.providers.bySlug[l.Provider]; p != nil {
			out = append(out, pages.ProviderButton{Slug: p.cfg.Slug, Name: p.cfg.Name})
		}
	}
	return out
}

func (h *Handler) handleReauthShow(c echo.Context) error {
	return h.renderPage(c, http.StatusOK, "reauthenticate", h.reauthView(c, nil))
}

// handleReauthPost checks the password again (SES-05), renews the session
// token (AUTH-05) and goes back to where the user was.
func (h *Handler) handleReauthPost(c echo.Context) error {
	password := c.FormValue("password")
	if password == "" && currentUser(c).PasswordHash != "" {
		return h.renderPage(c, http.StatusUnprocessableEntity, "reauthenticate", h.reauthView(c, pages.FieldErrors{"password": h.T(c, "validation.password_required")}))
	}
	err := h.id.Reauthenticate(c.Request().Context(), clientOf(c), currentUser(c), currentSession(c), password, c.FormValue("code"))
	if errs, _, ok := h.fieldErrors(c, err); ok {
		return h.renderPage(c, http.StatusUnprocessableEntity, "reauthenticate", h.reauthView(c, errs))
	}
	if err != nil {
		return err
	}
	return h.reauthenticated(c, identity.ReauthAMR(currentUser(c)))
}

// reauthenticated ends a successful re-authentication: a new session
// token (AUTH-05), the session's amr, and back to where the user was.
func (h *Handler) reauthenticated(c echo.Context, amr []string) error {
	if err := h.sessions.RenewToken(c.Request().Context()); err != nil {
		return err
	}
	h.putAMR(c, amr)
	to := h.returnURL(c.QueryParam("returnUrl"))
	if to == "" {
		to = h.url("/account/manage")
	}
	return h.redirectBack(c, to)
}
