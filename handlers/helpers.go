package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/pages"
)

// Helpers is what a handler written outside Portal (OverrideHandler)
// uses of Portal's machinery, and all it gets: the view models of the
// built-in pages, filled in as the built-in handlers fill them (Common,
// the configured policy — minimum password length, extra fields — and
// what the visitor typed), rendering, sign-in, the signed-in user, the
// flash message, the catalogue and the identity service. Portal.Helpers
// returns it.
type Helpers struct{ h *Handler }

// Helpers returns the helpers for replacement handlers.
func (h *Handler) Helpers() Helpers { return Helpers{h} }

// Unprocessable is the status of a form that failed validation.
const Unprocessable = http.StatusUnprocessableEntity

// ReturnTo is the safe place to go after an action: raw when it is a local
// path (BRW-08), "/" otherwise. It knows no base path: under --base-url's
// path use Helpers.RedirectBack.
func ReturnTo(raw string) string { return returnTo(raw) }

// Identity is the domain service (Register, PasswordSignIn, …).
func (x Helpers) Identity() *identity.Service { return x.h.id }

// CurrentUser is the signed-in user of the request, or nil.
func (x Helpers) CurrentUser(c echo.Context) *identity.User { return currentUser(c) }

// Client is who made the request (IP, user agent), for identity calls.
func (x Helpers) Client(c echo.Context) identity.Client { return clientOf(c) }

// T is the text of a message catalogue key (the theme's wording, or the
// built-in one), with {name} placeholders filled from args (name, value,
// …).
func (x Helpers) T(key string, args ...any) string { return x.h.T(key, args...) }

// Common builds what every page's view model embeds (user, CSRF token,
// status message, site name, asset URLs) for a page of your own. Call it
// once per rendered page. The view constructors below call it for you.
func (x Helpers) Common(c echo.Context, title string) pages.Common { return x.h.common(c, title) }

// Render renders page name (a theme's page and Go overrides first) with
// view, whole or not at all (a failure is a clean 500).
func (x Helpers) Render(c echo.Context, status int, name string, view pages.View) error {
	return x.h.renderPage(c, status, name, view)
}

// Redirect answers 303 See Other (after committing the session) to the
// Portal path to ("/account/manage"; under --base-url's path it is put
// under it) or to an absolute URL.
func (x Helpers) Redirect(c echo.Context, to string) error { return x.h.redirect(c, to) }

// RedirectBack answers 303 See Other to the request's returnUrl when it is
// allowed (a path under Portal's base path, or an absolute URL on an
// allowed return origin), else to the home page.
func (x Helpers) RedirectBack(c echo.Context) error {
	return x.h.redirectBack(c, x.h.returnTo(c.QueryParam("returnUrl")))
}

// URL is the browser's URL of the Portal path p: p under --base-url's path
// ("/account/login" → "/auth/account/login"); for links a replacement
// handler writes itself (pages use pages.URL).
func (x Helpers) URL(p string) string { return x.h.url(p) }

// SignIn starts a signed-in session for u, with a persistent cookie when
// remember is set. It signs u in as is: call it once every factor of u's
// has been checked (a new account, or identity's sign-in steps done).
func (x Helpers) SignIn(c echo.Context, u *identity.User, remember bool) error {
	return x.h.signIn(c, u, identity.SessionOptions{Remember: remember})
}

// SetFlash sets the one-shot status message of the next page.
func (x Helpers) SetFlash(c echo.Context, msg string, isError bool) { x.h.setFlash(c, msg, isError) }

// FieldErrors returns the per-field messages of an identity validation
// error (in the catalogue's wording) and its form-level message, and
// whether err is one.
func (x Helpers) FieldErrors(err error) (pages.FieldErrors, string, bool) {
	return x.h.fieldErrors(err)
}

// RegisterView is the register page's view model as the built-in handler
// builds it: the minimum password length, the configured extra fields with
// what the visitor typed, errs and msg.
func (x Helpers) RegisterView(c echo.Context, errs pages.FieldErrors, msg string) pages.RegisterView {
	f := bindRegisterForm(c)
	f.Attributes = x.h.bindExtraFields(c)
	return x.h.registerView(c, f, errs, msg)
}

// LoginView is the login page's view model as the built-in handler builds
// it: the register link when registration is open, the external login
// buttons, the address typed, errs and msg.
func (x Helpers) LoginView(c echo.Context, errs pages.FieldErrors, msg string) pages.LoginView {
	return x.h.loginView(c, bindLoginForm(c), errs, msg)
}

// ResetPasswordView is the reset-password page's view model as the
// built-in handler builds it (the link's code, the minimum password
// length, the address typed, errs and msg).
func (x Helpers) ResetPasswordView(c echo.Context, errs pages.FieldErrors, msg string) pages.ResetPasswordView {
	return x.h.resetView(c, bindResetForm(c), errs, msg)
}

// ChangePasswordView is the change-password page's view model as the
// built-in handler builds it (the minimum password length, errs).
func (x Helpers) ChangePasswordView(c echo.Context, errs pages.FieldErrors) pages.ChangePasswordView {
	return x.h.changePasswordView(c, errs)
}

// SetPasswordView is the set-password page's view model as the built-in
// handler builds it (the minimum password length, errs).
func (x Helpers) SetPasswordView(c echo.Context, errs pages.FieldErrors) pages.SetPasswordView {
	return x.h.setPasswordView(c, errs)
}
