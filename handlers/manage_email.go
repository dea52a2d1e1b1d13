package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/pages"
)

func (h *Handler) manageEmailView(c echo.Context, newEmail string, errs pages.FieldErrors) pages.ManageEmailView {
	u := currentUser(c)
	pending, _ := h.id.PendingEmailChange(c.Request().Context(), u)
	return pages.ManageEmailView{
		Common: h.common(c, h.T(c, "manage-email.title")), Email: u.Email, EmailConfirmed: u.EmailConfirmed,
		NewEmail: newEmail, Errors: errs, PendingEmail: pending,
	}
}

func (h *Handler) handleManageEmailShow(c echo.Context) error {
	return h.renderPage(c, http.StatusOK, "manage-email", h.manageEmailView(c, "", nil))
}

// handleManageEmailPost changes the address (field new_email) or, with
// action=send-verification, mails a new confirmation link for the current
// one.
func (h *Handler) handleManageEmailPost(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	if c.FormValue("action") == "send-verification" {
		err := h.id.SendVerificationEmail(ctx, u)
		if identity.ErrorCode(err) == identity.EINVALID || identity.ErrorCode(err) == identity.ERATELIMIT {
			h.setFlash(c, h.errorText(c, err), true)
			return h.redirect(c, "/account/manage/email")
		}
		if err != nil {
			return err
		}
		h.setFlash(c, h.T(c, "status.verification_sent"), false)
		return h.redirect(c, "/account/manage/email")
	}
	newEmail := strings.TrimSpace(c.FormValue("new_email"))
	if newEmail == "" {
		errs := pages.FieldErrors{"new_email": h.T(c, "validation.new_email_required")}
		return h.renderPage(c, http.StatusUnprocessableEntity, "manage-email", h.manageEmailView(c, newEmail, errs))
	}
	err := h.id.RequestEmailChange(ctx, clientOf(c), u, newEmail)
	if errs, _, ok := h.fieldErrors(c, err); ok {
		return h.renderPage(c, http.StatusUnprocessableEntity, "manage-email", h.manageEmailView(c, newEmail, errs))
	}
	if err != nil {
		return err
	}
	// The same message whether or not the address is free (no enumeration).
	h.setFlash(c, h.T(c, "status.email_change_sent", "email", newEmail), false)
	return h.redirect(c, "/account/manage/email")
}

// handleConfirmEmailChangeShow is the landing page of the link sent to the
// new address: a button, the POST spends the link (REL-15).
func (h *Handler) handleConfirmEmailChangeShow(c echo.Context) error {
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	v := pages.ConfirmEmailChangeView{
		Common: h.common(c, h.T(c, "confirm-email-change.title")),
		UserID: c.QueryParam("userId"), Email: c.QueryParam("email"), Code: c.QueryParam("code"),
	}
	if v.UserID == "" || v.Email == "" || v.Code == "" {
		v.Error = h.T(c, "validation.link_incomplete")
		return h.renderPage(c, http.StatusBadRequest, "confirm-email-change", v)
	}
	return h.renderPage(c, http.StatusOK, "confirm-email-change", v)
}

func (h *Handler) handleConfirmEmailChangePost(c echo.Context) error {
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	keep := ""
	if cur := currentUser(c); cur != nil && cur.ID == c.FormValue("userId") {
		keep = currentSessionID(c)
	}
	u, err := h.id.ConfirmEmailChange(c.Request().Context(), clientOf(c), c.FormValue("userId"), c.FormValue("email"), c.FormValue("code"), keep)
	if identity.ErrorCode(err) == identity.EINVALID {
		v := pages.ConfirmEmailChangeView{Common: h.common(c, h.T(c, "confirm-email-change.title")), Error: h.errorText(c, err)}
		return h.renderPage(c, http.StatusUnprocessableEntity, "confirm-email-change", v)
	}
	if err != nil {
		return err
	}
	// The stamp rotated: every other session of the account has ended. This
	// browser, if signed in as that user, stays signed in (new token).
	if cur := currentUser(c); cur != nil && cur.ID == u.ID {
		if err := h.refreshSignIn(c, u); err != nil {
			return err
		}
		h.setFlash(c, h.T(c, "status.email_change_confirmed"), false)
		return h.redirect(c, "/account/manage/email")
	}
	h.setFlash(c, h.T(c, "status.email_change_confirmed_sign_in"), false)
	return h.redirect(c, "/account/login")
}
