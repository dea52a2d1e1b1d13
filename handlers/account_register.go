package handlers

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/pages"
)

// registerForm is what /account/register posts.
type registerForm struct {
	Email           string
	Password        string
	ConfirmPassword string
}

func bindRegisterForm(c echo.Context) registerForm {
	return registerForm{
		Email:           strings.TrimSpace(c.FormValue("email")),
		Password:        c.FormValue("password"),
		ConfirmPassword: c.FormValue("confirm_password"),
	}
}

// Validate checks what the form alone can tell; identity checks the rest
// (address syntax, password policy, uniqueness).
func (f registerForm) Validate() pages.FieldErrors {
	errs := pages.FieldErrors{}
	if f.Email == "" {
		errs["email"] = "Enter your email address."
	}
	if f.Password == "" {
		errs["password"] = "Enter a password."
	}
	if f.ConfirmPassword == "" {
		errs["confirm_password"] = "Enter the password again."
	} else if f.Password != f.ConfirmPassword {
		errs["confirm_password"] = "The password and its confirmation do not match."
	}
	if !utf8.ValidString(f.Email) || !utf8.ValidString(f.Password) {
		errs["email"] = "The form contains characters that are not allowed."
	}
	return errs
}

func (h *Handler) registerView(c echo.Context, f registerForm, errs pages.FieldErrors, msg string) pages.RegisterView {
	return pages.RegisterView{
		Common:            h.common(c, "Create an account"),
		ReturnURL:         safeReturnURL(c.QueryParam("returnUrl")),
		Email:             f.Email,
		Errors:            errs,
		Message:           msg,
		MinPasswordLength: h.opts.MinPasswordLength,
	}
}

func (h *Handler) handleRegisterShow(c echo.Context) error {
	if h.opts.Registration != RegistrationOpen {
		return h.renderPage(c, http.StatusOK, "register-closed", pages.RegisterClosedView{Common: h.common(c, "Registration is closed")})
	}
	return h.renderPage(c, http.StatusOK, "register", h.registerView(c, registerForm{}, nil, ""))
}

func (h *Handler) handleRegisterPost(c echo.Context) error {
	if h.opts.Registration != RegistrationOpen {
		return h.renderPage(c, http.StatusForbidden, "register-closed", pages.RegisterClosedView{Common: h.common(c, "Registration is closed")})
	}
	f := bindRegisterForm(c)
	if errs := f.Validate(); len(errs) > 0 {
		return h.renderPage(c, http.StatusUnprocessableEntity, "register", h.registerView(c, f, errs, ""))
	}
	res, err := h.id.Register(c.Request().Context(), clientOf(c), identity.RegisterInput{Email: f.Email, Password: f.Password})
	if errs, msg, ok := fieldErrors(err); ok {
		return h.renderPage(c, http.StatusUnprocessableEntity, "register", h.registerView(c, f, errs, msg))
	}
	if err != nil {
		return err
	}
	if res.SignIn {
		if err := h.signIn(c, res.User, identity.SessionOptions{}); err != nil {
			return err
		}
		return h.redirect(c, returnTo(c.QueryParam("returnUrl")))
	}
	if res.DevLink != "" {
		h.sessions.Put(c.Request().Context(), keyDevLink, res.DevLink)
	}
	return h.redirect(c, "/account/register-confirmation")
}

func (h *Handler) handleRegisterConfirmation(c echo.Context) error {
	v := pages.RegisterConfirmationView{Common: h.common(c, "Check your email")}
	if hasSession(c) && h.sessions.Exists(c.Request().Context(), keyDevLink) {
		v.DevLink = h.sessions.PopString(c.Request().Context(), keyDevLink)
	}
	return h.renderPage(c, http.StatusOK, "register-confirmation", v)
}
