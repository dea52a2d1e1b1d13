package handlers

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accountportal/portal/pages"
)

func (h *Handler) reauthView(c echo.Context, errs pages.FieldErrors) pages.ReauthenticateView {
	return pages.ReauthenticateView{
		Common:        h.common(c, "Confirm it is you"),
		ReturnURL:     safeReturnURL(c.QueryParam("returnUrl")),
		Errors:        errs,
		WindowMinutes: int(h.id.ReauthWindow() / time.Minute),
		HasPassword:   currentUser(c).PasswordHash != "",
		NeedsCode:     currentUser(c).TwoFactorEnabled,
	}
}

func (h *Handler) handleReauthShow(c echo.Context) error {
	return h.render(c, http.StatusOK, pages.Reauthenticate(h.reauthView(c, nil)))
}

// handleReauthPost checks the password again (SES-05), renews the session
// token (AUTH-05) and goes back to where the user was.
func (h *Handler) handleReauthPost(c echo.Context) error {
	password := c.FormValue("password")
	if password == "" {
		return h.render(c, http.StatusUnprocessableEntity, pages.Reauthenticate(h.reauthView(c, pages.FieldErrors{"password": "Enter your password."})))
	}
	err := h.id.Reauthenticate(c.Request().Context(), clientOf(c), currentUser(c), currentSession(c), password, c.FormValue("code"))
	if errs, _, ok := fieldErrors(err); ok {
		return h.render(c, http.StatusUnprocessableEntity, pages.Reauthenticate(h.reauthView(c, errs)))
	}
	if err != nil {
		return err
	}
	if err := h.sessions.RenewToken(c.Request().Context()); err != nil {
		return err
	}
	to := safeReturnURL(c.QueryParam("returnUrl"))
	if to == "" {
		to = "/account/manage"
	}
	return h.redirect(c, to)
}
