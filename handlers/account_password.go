package handlers

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/pages"
)

// emailForm is a form with one email field.
type emailForm struct{ Email string }

func bindEmailForm(c echo.Context) emailForm {
	return emailForm{Email: strings.TrimSpace(c.FormValue("email"))}
}

// Validate checks the field is filled in; identity checks the syntax.
func (f emailForm) Validate(h *Handler) pages.FieldErrors {
	if f.Email == "" {
		return pages.FieldErrors{"email": h.T("errors.email_required")}
	}
	return nil
}

// emailErrors puts a form-level message on the only field of an email
// form, so that no EINVALID error is mistaken for success.
func emailErrors(fe pages.FieldErrors, msg string) pages.FieldErrors {
	if len(fe) == 0 {
		return pages.FieldErrors{"email": msg}
	}
	return fe
}

func (h *Handler) emailFormView(c echo.Context, title string, f emailForm, errs pages.FieldErrors) pages.EmailFormView {
	return pages.EmailFormView{Common: h.common(c, title), Email: f.Email, Errors: errs}
}

// --- Resend email confirmation ---

func (h *Handler) handleResendShow(c echo.Context) error {
	v := h.emailFormView(c, h.T("resend-email-confirmation.title"), emailForm{}, nil)
	return h.renderPage(c, http.StatusOK, "resend-email-confirmation", v)
}

// handleResendPost answers the same for every address (no enumeration).
func (h *Handler) handleResendPost(c echo.Context) error {
	f := bindEmailForm(c)
	errs := f.Validate(h)
	if len(errs) == 0 {
		err := h.id.ResendConfirmation(c.Request().Context(), clientOf(c), f.Email)
		if fe, msg, ok := h.fieldErrors(err); ok {
			errs = emailErrors(fe, msg)
		} else if err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		v := h.emailFormView(c, h.T("resend-email-confirmation.title"), f, errs)
		return h.renderPage(c, http.StatusUnprocessableEntity, "resend-email-confirmation", v)
	}
	// A "check your email" page, as forgot-password has (issue 18 item 6).
	return h.redirect(c, "/account/resend-email-confirmation-sent")
}

func (h *Handler) handleResendSent(c echo.Context) error {
	v := pages.ResendConfirmationSentView{Common: h.common(c, h.T("resend-email-confirmation-sent.title"))}
	return h.renderPage(c, http.StatusOK, "resend-email-confirmation-sent", v)
}

// --- Forgot password ---

func (h *Handler) handleForgotShow(c echo.Context) error {
	v := h.emailFormView(c, h.T("forgot-password.title"), emailForm{}, nil)
	return h.renderPage(c, http.StatusOK, "forgot-password", v)
}

// handleForgotPost answers the same for every address (RST-01).
func (h *Handler) handleForgotPost(c echo.Context) error {
	f := bindEmailForm(c)
	errs := f.Validate(h)
	if len(errs) == 0 {
		err := h.id.ForgotPassword(c.Request().Context(), clientOf(c), f.Email)
		if fe, msg, ok := h.fieldErrors(err); ok {
			errs = emailErrors(fe, msg)
		} else if err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		v := h.emailFormView(c, h.T("forgot-password.title"), f, errs)
		return h.renderPage(c, http.StatusUnprocessableEntity, "forgot-password", v)
	}
	return h.redirect(c, "/account/forgot-password-confirmation")
}

func (h *Handler) handleForgotConfirmation(c echo.Context) error {
	v := pages.ForgotPasswordConfirmationView{Common: h.common(c, h.T("forgot-password-confirmation.title")), LinkMinutes: int(h.id.Settings().ResetPasswordLifetime / time.Minute)}
	return h.renderPage(c, http.StatusOK, "forgot-password-confirmation", v)
}

// --- Reset password ---

// resetForm is what /account/reset-password posts.
type resetForm struct {
	Code, Email, Password, ConfirmPassword string
}

func bindResetForm(c echo.Context) resetForm {
	return resetForm{
		Code:            c.FormValue("code"),
		Email:           strings.TrimSpace(c.FormValue("email")),
		Password:        c.FormValue("password"),
		ConfirmPassword: c.FormValue("confirm_password"),
	}
}

// Validate checks what the form alone can tell.
func (f resetForm) Validate(h *Handler) (pages.FieldErrors, string) {
	errs := pages.FieldErrors{}
	if f.Email == "" {
		errs["email"] = h.T("errors.email_required")
	}
	if f.Password == "" {
		errs["password"] = h.T("validation.new_password_required")
	}
	if f.ConfirmPassword == "" {
		errs["confirm_password"] = h.T("validation.new_password_again")
	} else if f.Password != f.ConfirmPassword {
		errs["confirm_password"] = h.T("validation.passwords_differ")
	}
	msg := ""
	if f.Code == "" {
		msg = h.errorText(identity.ErrInvalidToken)
	}
	return errs, msg
}

func (h *Handler) resetView(c echo.Context, f resetForm, errs pages.FieldErrors, msg string) pages.ResetPasswordView {
	return pages.ResetPasswordView{
		Common: h.common(c, h.T("reset-password.title")), Code: f.Code, Email: f.Email,
		Errors: errs, Message: msg, MinPasswordLength: h.id.Settings().PasswordMinLength,
	}
}

// handleResetShow shows the form; only the POST spends the link, so a mail
// scanner that fetches it does not (REL-15).
func (h *Handler) handleResetShow(c echo.Context) error {
	c.Response().Header().Set("Referrer-Policy", "no-referrer") // the URL holds a token (RST-03)
	code := c.QueryParam("code")
	if code == "" {
		// No form that cannot work: the message and a way to a new link
		// (issue 18 item 6).
		v := h.resetView(c, resetForm{}, nil, h.T("validation.reset_link_no_code"))
		v.NoCode = true
		return h.renderPage(c, http.StatusBadRequest, "reset-password", v)
	}
	live, err := h.id.ResetLinkLive(c.Request().Context(), code)
	if err != nil {
		return err
	}
	if !live {
		// Used, expired or replaced: say so and offer a new link instead
		// of a form that cannot work (issue 18 item 6).
		v := h.resetView(c, resetForm{}, nil, h.T("validation.reset_link_dead"))
		v.LinkDead = true
		return h.renderPage(c, http.StatusGone, "reset-password", v)
	}
	return h.renderPage(c, http.StatusOK, "reset-password", h.resetView(c, resetForm{Code: code}, nil, ""))
}

func (h *Handler) handleResetPost(c echo.Context) error {
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	f := bindResetForm(c)
	if errs, msg := f.Validate(h); len(errs) > 0 || msg != "" {
		errs = h.addFieldErrors(errs, h.id.CheckReset(f.Email, f.Password))
		return h.renderPage(c, http.StatusUnprocessableEntity, "reset-password", h.resetView(c, f, errs, msg))
	}
	err := h.id.ResetPassword(c.Request().Context(), clientOf(c), identity.ResetInput{Email: f.Email, Code: f.Code, Password: f.Password})
	if errs, msg, ok := h.fieldErrors(err); ok {
		return h.renderPage(c, http.StatusUnprocessableEntity, "reset-password", h.resetView(c, f, errs, msg))
	}
	if err != nil {
		return err
	}
	// Every session of the account has ended (its stamp rotated); if this
	// browser was signed in as someone, it is signed out too.
	if currentUser(c) != nil {
		if err := h.signOut(c); err != nil {
			return err
		}
	}
	return h.redirect(c, "/account/reset-password-confirmation")
}

func (h *Handler) handleResetConfirmation(c echo.Context) error {
	v := pages.ResetPasswordConfirmationView{Common: h.common(c, h.T("reset-password-confirmation.title"))}
	return h.renderPage(c, http.StatusOK, "reset-password-confirmation", v)
}
