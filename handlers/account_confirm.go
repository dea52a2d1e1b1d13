package handlers

import (
	"net/http"
	"time"

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
	userID := c.FormValue("userId")
	// The browser that created the account (or one signed in to it) keeps
	// what it set up; anywhere else, identity removes it (OIDC-03).
	ck, _ := c.Cookie(creatorCookie)
	byCreator := ck != nil && h.id.IsCreatorMark(userID, ck.Value)
	if u := currentUser(c); u != nil && u.ID == userID {
		byCreator = true
	}
	res, err := h.id.ConfirmEmail(c.Request().Context(), clientOf(c), userID, c.FormValue("code"), byCreator)
	if identity.ErrorCode(err) == identity.EINVALID {
		v := pages.ConfirmEmailView{Common: h.common(c, h.T("confirm-email.title")), Error: h.errorText(err)}
		return h.renderPage(c, http.StatusUnprocessableEntity, "confirm-email", v)
	}
	if err != nil {
		return err
	}
	if res.ResetCode != "" {
		h.setFlash(c, h.T("status.email_confirmed_choose_password"), false)
		return h.redirect(c, identity.ResetPasswordPath(res.ResetCode))
	}
	h.setFlash(c, h.T("status.email_confirmed"), false)
	if currentUser(c) != nil {
		return h.redirect(c, "/account/manage")
	}
	return h.redirect(c, "/account/login")
}

// creatorCookie marks the browser that registered an account (see
// identity.CreatorMark); it is sent only to /account/confirm-email.
const creatorCookie = "portal_created"

func (h *Handler) setCreatorCookie(c echo.Context, userID string) {
	life := h.id.ConfirmEmailLifetime()
	c.SetCookie(&http.Cookie{
		Name: creatorCookie, Value: h.id.CreatorMark(userID), Path: h.url("/account/confirm-email"),
		Expires: h.now().Add(life), MaxAge: int(life / time.Second),
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode,
	})
}
