package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/pages"
)

// passwordForm is what change-password and set-password post.
type passwordForm struct {
	OldPassword     string
	NewPassword     string
	ConfirmPassword string
}

func bindPasswordForm(c echo.Context) passwordForm {
	return passwordForm{
		OldPassword:     c.FormValue("old_password"),
		NewPassword:     c.FormValue("new_password"),
		ConfirmPassword: c.FormValue("confirm_password"),
	}
}

// Validate checks the fields are filled in and the confirmation matches;
// needOld: the current password is required (change, not set).
func (f passwordForm) Validate(h *Handler, c echo.Context, needOld bool) pages.FieldErrors {
	errs := pages.FieldErrors{}
	if needOld && f.OldPassword == "" {
		errs["old_password"] = h.T(c, "validation.current_password_required")
	}
	if f.NewPassword == "" {
		errs["new_password"] = h.T(c, "validation.new_password_required")
	}
	if f.ConfirmPassword == "" {
		errs["confirm_password"] = h.T(c, "validation.new_password_again")
	} else if f.NewPassword != f.ConfirmPassword {
		errs["confirm_password"] = h.T(c, "validation.new_passwords_differ")
	}
	return errs
}

func (h *Handler) changePasswordView(c echo.Context, errs pages.FieldErrors) pages.ChangePasswordView {
	v := pages.ChangePasswordView{Common: h.common(c, h.T(c, "change-password.title")), Errors: errs, MinPasswordLength: h.id.Settings().PasswordMinLength}
	v.CanRemove, _ = h.id.HasPasskeys(c.Request().Context(), currentUser(c).ID) // on an error: not offered
	return v
}

func (h *Handler) setPasswordView(c echo.Context, errs pages.FieldErrors) pages.SetPasswordView {
	v := pages.SetPasswordView{Common: h.common(c, h.T(c, "set-password.title")), Errors: errs, MinPasswordLength: h.id.Settings().PasswordMinLength}
	v.Passkey, _ = h.id.HasPasskeys(c.Request().Context(), currentUser(c).ID)
	return v
}

// handleRemovePasswordPost makes the account passwordless once it has a
// passkey (recent authentication required, SES-05; issue 21). Every other
// session ends (SES-03); this one continues with a new token.
func (h *Handler) handleRemovePasswordPost(c echo.Context) error {
	u := currentUser(c)
	err := h.id.RemovePassword(c.Request().Context(), clientOf(c), u, currentSessionID(c))
	if errors.Is(err, identity.ErrNoPassword) {
		return h.redirect(c, "/account/manage/set-password")
	}
	if errors.Is(err, identity.ErrPasswordNeedsPasskey) {
		h.setFlash(c, h.errorText(c, err), true)
		return h.redirect(c, "/account/manage/change-password")
	}
	if err != nil {
		return err
	}
	if err := h.refreshSignIn(c, u); err != nil {
		return err
	}
	h.setFlash(c, h.T(c, "status.password_removed"), false)
	return h.redirect(c, passkeysPath)
}

// handleChangePasswordShow: an account without a password is sent to
// set-password.
func (h *Handler) handleChangePasswordShow(c echo.Context) error {
	if currentUser(c).PasswordHash == "" {
		return h.redirect(c, "/account/manage/set-password")
	}
	return h.renderPage(c, http.StatusOK, "change-password", h.changePasswordView(c, nil))
}

// handleChangePasswordPost changes the password, keeps this browser signed
// in with a new session token and ends every other session (PWD-05).
func (h *Handler) handleChangePasswordPost(c echo.Context) error {
	u := currentUser(c)
	if u.PasswordHash == "" {
		return h.redirect(c, "/account/manage/set-password")
	}
	f := bindPasswordForm(c)
	if errs := f.Validate(h, c, true); len(errs) > 0 {
		errs = h.addFieldErrors(c, errs, h.id.CheckNewPassword("new_password", f.NewPassword, u.Email))
		return h.renderPage(c, http.StatusUnprocessableEntity, "change-password", h.changePasswordView(c, errs))
	}
	err := h.id.ChangePassword(c.Request().Context(), clientOf(c), u, currentSessionID(c),
		identity.ChangePasswordInput{OldPassword: f.OldPassword, NewPassword: f.NewPassword})
	if errs, _, ok := h.fieldErrors(c, err); ok && len(errs) > 0 {
		return h.renderPage(c, http.StatusUnprocessableEntity, "change-password", h.changePasswordView(c, errs))
	}
	if err != nil {
		return err
	}
	if err := h.refreshSignIn(c, u); err != nil {
		return err
	}
	h.setFlash(c, h.T(c, "status.password_changed"), false)
	return h.redirect(c, "/account/manage/change-password")
}

// handleSetPasswordShow: an account with a password is sent to
// change-password.
func (h *Handler) handleSetPasswordShow(c echo.Context) error {
	if currentUser(c).PasswordHash != "" {
		return h.redirect(c, "/account/manage/change-password")
	}
	return h.renderPage(c, http.StatusOK, "set-password", h.setPasswordView(c, nil))
}

func (h *Handler) handleSetPasswordPost(c echo.Context) error {
	u := currentUser(c)
	f := bindPasswordForm(c)
	if errs := f.Validate(h, c, false); len(errs) > 0 {
		errs = h.addFieldErrors(c, errs, h.id.CheckNewPassword("new_password", f.NewPassword, u.Email))
		return h.renderPage(c, http.StatusUnprocessableEntity, "set-password", h.setPasswordView(c, errs))
	}
	err := h.id.SetPassword(c.Request().Context(), clientOf(c), u, currentSessionID(c), f.NewPassword)
	if errors.Is(err, identity.ErrHasPassword) {
		return h.redirect(c, "/account/manage/change-password")
	}
	if errs, _, ok := h.fieldErrors(c, err); ok && len(errs) > 0 {
		return h.renderPage(c, http.StatusUnprocessableEntity, "set-password", h.setPasswordView(c, errs))
	}
	if err != nil {
		return err
	}
	if err := h.refreshSignIn(c, u); err != nil {
		return err
	}
	h.setFlash(c, h.T(c, "status.password_set"), false)
	return h.redirect(c, "/account/manage/change-password")
}
