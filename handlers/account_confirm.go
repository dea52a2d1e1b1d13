package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/pages"
)

// handleConfirmEmailShow is the landing page of the link in the
// confirmation mail. It only shows a button: the POST spends the token, so
// that a mail scanner fetching the link does not use it up (REL-15).
func (h *Handler) handleConfirmEmailShow(c echo.Context) error {
	c.Response().Header().Set("Referrer-Policy", "no-referrer") // the URL holds a token (RST-03)
	v := pages.ConfirmEmailView{
		Common: h.common(c, h.T("confirm-email.title")),
		UserID: c.QueryParam("userId"),
		Code:   c.QueryParam("code"),
	}
	if v.UserID == "" || v.Code == "" {
		v.Error = h.T("validation.link_incomplete")
		return h.renderPage(c, http.StatusBadRequest, "confirm-email", v)
	}
	return h.renderPage(c, http.StatusOK, "confirm-email", v)
}

func (h *Handler) handleConfirmEmailPost(c echo.Context) error {
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	_, err := h.id.ConfirmEmail(c.Request().Context(), clientOf(c), c.FormValue("userId"), c.FormValue("code"))
	if identity.ErrorCode(err) == identity.EINVALID {
		v := pages.ConfirmEmailView{Common: h.common(c, h.T("confirm-email.title")), Error: h.errorText(err)}
		return h.renderPage(c, http.StatusUnprocessableEntity, "confirm-email", v)
	}
	if err != nil {
		return err
	}
	h.setFlash(c, h.T("status.email_confirmed"), false)
	if currentUser(c) != nil {
		return h.redirect(c, "/account/manage")
	}
	return h.redirect(c, "/account/login")
}
