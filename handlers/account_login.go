package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/pages"
)

// loginForm is what /account/login posts.
type loginForm struct {
	Email      string
	Password   string
	RememberMe bool
}

func bindLoginForm(c echo.Context) loginForm {
	rm := c.FormValue("remember_me")
	return loginForm{
		Email:      strings.TrimSpace(c.FormValue("email")),
		Password:   c.FormValue("password"),
		RememberMe: rm == "true" || rm == "on" || rm == "1",
	}
}

// Validate checks the fields are filled in.
func (f loginForm) Validate(h *Handler, c echo.Context) pages.FieldErrors {
	errs := pages.FieldErrors{}
	if f.Email == "" {
		errs["email"] = h.T(c, "errors.email_required")
	}
	if f.Password == "" {
		errs["password"] = h.T(c, "validation.password_required")
	}
	return errs
}

func (h *Handler) loginView(c echo.Context, f loginForm, errs pages.FieldErrors, msg string) pages.LoginView {
	return pages.LoginView{
		Common:           h.common(c, h.T(c, "login.title")),
		ReturnURL:        h.returnURL(c.QueryParam("returnUrl")),
		Email:            f.Email,
		RememberMe:       f.RememberMe,
		Errors:           errs,
		Message:          msg,
		RegistrationOpen: h.id.RegistrationOpen(),
		Providers:        h.providerButtons(),
		Passkeys:         h.id.PasskeysEnabled(),
	}
}

func (h *Handler) handleLoginShow(c echo.Context) error {
	return h.renderPage(c, http.StatusOK, "login", h.loginView(c, loginForm{Email: h.oidcLoginHint(c)}, nil, ""))
}

func (h *Handler) handleLoginPost(c echo.Context) error {
	f := bindLoginForm(c)
	if errs := f.Validate(h, c); len(errs) > 0 {
		return h.renderPage(c, http.StatusUnprocessableEntity, "login", h.loginView(c, f, errs, ""))
	}
	r, err := h.id.PasswordSignIn(c.Request().Context(), h.signInClient(c), f.Email, f.Password)
	if errors.Is(err, identity.ErrInvalidLogin) {
		// The same answer for every failure (AUTH-01).
		return h.renderPage(c, http.StatusUnprocessableEntity, "login", h.loginView(c, f, nil, h.errorText(c, identity.ErrInvalidLogin)))
	}
	if errors.Is(err, identity.ErrEmailUnconfirmed) {
		// The right password for an unconfirmed address: say so and offer
		// a new link (issue 18 item 4); a wrong one got ErrInvalidLogin.
		v := h.loginView(c, f, nil, h.errorText(c, err))
		v.Unconfirmed = true
		return h.renderPage(c, http.StatusForbidden, "login", v)
	}
	if errors.Is(err, identity.ErrLockedOut) {
		// Too many attempts: say so, and when it ends, whatever the
		// password — for addresses without an account alike (AUTH-03).
		if d := identity.RetryAfter(err); d > 0 {
			c.Response().Header().Set("Retry-After", strconv.Itoa(int((d+time.Second-1)/time.Second)))
		}
		return h.renderPage(c, http.StatusTooManyRequests, "login", h.loginView(c, f, nil, h.errorText(c, err)))
	}
	if err != nil {
		return err
	}
	return h.finishFirstStep(c, r, f.RememberMe, h.returnURL(c.QueryParam("returnUrl")))
}

// clearBrowser asks the browser to drop cached pages and storage, and
// expires the session and CSRF cookies (BRW-05). It does not send
// Clear-Site-Data "cookies": that would also erase "remember this browser",
// which signing out must keep (ASP.NET keeps it too).
func (h *Handler) clearBrowser(c echo.Context) {
	c.Response().Header().Set("Clear-Site-Data", `"cache", "storage"`)
	ck := h.newCookie("portal_csrf", "")
	ck.MaxAge = -1
	c.SetCookie(ck)
}

func (h *Handler) handleLogoutShow(c echo.Context) error {
	return h.renderPage(c, http.StatusOK, "logout", pages.LogoutView{Common: h.common(c, h.T(c, "logout.title"))})
}

// handleLogoutPost ends the session on the server and asks the browser to
// drop its cookies and cached pages (SES-01, BRW-05).
func (h *Handler) handleLogoutPost(c echo.Context) error {
	if err := h.signOut(c); err != nil {
		return err
	}
	h.clearBrowser(c)
	if to := h.returnURL(c.QueryParam("returnUrl")); to != "" {
		return h.redirectBack(c, to)
	}
	return h.redirect(c, "/account/logout")
}
