package handlers

import (
	"errors"
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
	Attributes      map[string]string // the operator's extra fields
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
func (f registerForm) Validate(h *Handler, c echo.Context) pages.FieldErrors {
	errs := pages.FieldErrors{}
	if f.Email == "" {
		errs["email"] = h.T(c, "errors.email_required")
	}
	if f.Password == "" {
		errs["password"] = h.T(c, "errors.password_required")
	}
	if f.ConfirmPassword == "" {
		errs["confirm_password"] = h.T(c, "validation.password_again")
	} else if f.Password != f.ConfirmPassword {
		errs["confirm_password"] = h.T(c, "validation.passwords_differ")
	}
	if !utf8.ValidString(f.Email) || !utf8.ValidString(f.Password) {
		errs["email"] = h.T(c, "validation.form_bad_chars")
	}
	return errs
}

func (h *Handler) registerView(c echo.Context, f registerForm, errs pages.FieldErrors, msg string) pages.RegisterView {
	return pages.RegisterView{
		Common:            h.common(c, h.T(c, "register.title")),
		ReturnURL:         h.returnURL(c.QueryParam("returnUrl")),
		Email:             f.Email,
		Errors:            errs,
		Message:           msg,
		MinPasswordLength: h.id.Settings().PasswordMinLength,
		ExtraFields:       h.extraInputs(f.Attributes, errs),
		Providers:         h.signUpProviders(),
		PasskeySignup:     h.id.PasskeySignupEnabled(),
	}
}

// signUpProviders are the external login buttons of the register page:
// every provider while registration is open to anyone, none by
// invitation (the callback refuses an uninvited external sign-up).
func (h *Handler) signUpProviders() []pages.ProviderButton {
	if !h.id.RegistrationOpen() {
		return nil
	}
	return h.providerButtons()
}

// extraInputs are the operator's extra fields with their values and errors.
func (h *Handler) extraInputs(values map[string]string, errs pages.FieldErrors) []pages.ExtraFieldInput {
	var out []pages.ExtraFieldInput
	for _, x := range h.id.ExtraFields() {
		out = append(out, pages.ExtraFieldInput{Name: x.Name, Label: x.Label, Type: x.Type, Required: x.Required,
			Value: values[x.Name], Error: errs.Get(x.Name)})
	}
	return out
}

// bindExtraFields reads the operator's extra fields from the form (only
// those: ACC-02).
func (h *Handler) bindExtraFields(c echo.Context) map[string]string {
	values := map[string]string{}
	for _, x := range h.id.ExtraFields() {
		values[x.Name] = strings.TrimSpace(c.FormValue(x.Name))
	}
	return values
}

// keyInvite holds the invitation code a visitor arrived with.
const keyInvite = "invite"

// registerClosed answers the register page when the visitor may not
// register: registration closed, or by invitation without one.
func (h *Handler) registerClosed(c echo.Context, status int) error {
	v := pages.RegisterClosedView{Common: h.common(c, h.T(c, "register-closed.title")), InviteOnly: h.id.RegistrationPolicy() == identity.RegistrationInvite}
	if v.InviteOnly {
		v.Title = h.T(c, "register-closed.invite_heading")
	}
	return h.renderPage(c, status, "register-closed", v)
}

// inviteCode is the invitation this browser arrived with, if any.
func (h *Handler) inviteCode(c echo.Context) string {
	if !hasSession(c) {
		return ""
	}
	return h.sessions.GetString(c.Request().Context(), keyInvite)
}

func (h *Handler) handleRegisterShow(c echo.Context) error {
	if code := c.QueryParam("invite"); code != "" && h.id.RegistrationOpenTo(code) {
		// The invitation link: keep the code in the session (out of the
		// URL from here on) and prefill the invited address.
		h.sessions.Put(c.Request().Context(), keyInvite, code)
		c.Response().Header().Set("Referrer-Policy", "no-referrer")
		return h.renderPage(c, http.StatusOK, "register", h.registerView(c, registerForm{Email: c.QueryParam("email")}, nil, ""))
	}
	if !h.id.RegistrationOpenTo(h.inviteCode(c)) {
		return h.registerClosed(c, http.StatusOK)
	}
	return h.renderPage(c, http.StatusOK, "register", h.registerView(c, registerForm{}, nil, ""))
}

func (h *Handler) handleRegisterPost(c echo.Context) error {
	invite := h.inviteCode(c)
	if !h.id.RegistrationOpenTo(invite) {
		return h.registerClosed(c, http.StatusForbidden)
	}
	f := bindRegisterForm(c)
	f.Attributes = h.bindExtraFields(c)
	if errs := f.Validate(h, c); len(errs) > 0 {
		errs = h.addFieldErrors(c, errs, h.id.CheckRegistration(identity.RegisterInput{Email: f.Email, Password: f.Password, Attributes: f.Attributes}))
		return h.renderPage(c, http.StatusUnprocessableEntity, "register", h.registerView(c, f, errs, ""))
	}
	res, err := h.id.Register(c.Request().Context(), clientOf(c), identity.RegisterInput{
		Email: f.Email, Password: f.Password, InviteCode: invite, Attributes: f.Attributes,
	})
	if errs, msg, ok := h.fieldErrors(c, err); ok {
		return h.renderPage(c, http.StatusUnprocessableEntity, "register", h.registerView(c, f, errs, msg))
	}
	if errors.Is(err, identity.ErrRegistrationClosed) {
		return h.registerClosed(c, http.StatusForbidden)
	}
	if err != nil {
		return err
	}
	return h.registered(c, res, invite)
}

// registered ends a sign-up (password or passkey): the new account is
// signed in when no confirmation is needed; otherwise the page says to
// check the mail — the same page for a taken address (REG-01).
func (h *Handler) registered(c echo.Context, res identity.RegisterResult, invite string) error {
	if res.User != nil && invite != "" {
		h.sessions.Remove(c.Request().Context(), keyInvite)
	}
	// Mark this browser as the one that registered: a confirmation opened
	// here keeps the password (handleConfirmEmailPost). Every answer sets
	// the cookie, so it does not tell whether an account was created.
	uid := ""
	if res.User != nil {
		uid = res.User.ID
	}
	h.setCreatorCookie(c, uid)
	if res.SignIn {
		if err := h.signIn(c, res.User, identity.SessionOptions{Method: res.Method}); err != nil {
			return err
		}
		return h.redirectBack(c, h.returnTo(c.QueryParam("returnUrl")))
	}
	if res.DevLink != "" {
		h.sessions.Put(c.Request().Context(), keyDevLink, res.DevLink)
	}
	return h.redirect(c, "/account/register-confirmation")
}

func (h *Handler) handleRegisterConfirmation(c echo.Context) error {
	v := pages.RegisterConfirmationView{Common: h.common(c, h.T(c, "register-confirmation.title"))}
	if hasSession(c) && h.sessions.Exists(c.Request().Context(), keyDevLink) {
		v.DevLink = h.sessions.PopString(c.Request().Context(), keyDevLink)
	}
	return h.renderPage(c, http.StatusOK, "register-confirmation", v)
}
