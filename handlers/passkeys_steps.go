package handlers

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/accountportal/portal/identity"
)

// A passkey where the account is known (issue 21): instead of the code
// after a password (/account/login-2fa/passkey), and to re-authenticate
// (/account/reauthenticate/passkey). Each ceremony's id waits in this
// browser's session; identity binds the ceremony itself to the pending
// sign-in or to the session (MFA-06).

const (
	keyPasskey2FA    = "pk_2fa"    // the second-factor ceremony's id
	keyPasskeyReauth = "pk_reauth" // the re-authentication ceremony's id
)

// handlePasskey2FABegin starts the second step with a passkey. A pending
// sign-in that is gone or too old sends the page back to the password
// step (the script follows the redirect).
func (h *Handler) handlePasskey2FABegin(c echo.Context) error {
	cr, err := h.id.BeginPasskeySecondFactor(c.Request().Context(), clientOf(c), h.pendingSignIn(c))
	if identity.ErrorCode(err) == identity.EUNAUTHORIZED {
		return h.secondFactorFailed(c, err)
	}
	if err != nil {
		return h.passkeyBeginFailed(c, err)
	}
	return h.passkeyOptions(c, keyPasskey2FA, cr)
}

// handlePasskey2FAPost completes the pending sign-in with the passkey's
// answer. A wrong answer or a stale ceremony shows the page again (the
// pending sign-in counts the try, as for a wrong code); what ends the
// pending sign-in (too many tries, lockout, expiry) starts over.
func (h *Handler) handlePasskey2FAPost(c echo.Context) error {
	ctx := c.Request().Context()
	p := h.pendingSignIn(c)
	if p == nil {
		return h.restartSignIn(c, h.T(c, "status.sign_in_too_slow"))
	}
	ceremony := h.sessions.PopString(ctx, keyPasskey2FA)
	r, err := h.id.PasskeySecondFactor(ctx, clientOf(c), p, ceremony, []byte(c.FormValue("credential")))
	if identity.ErrorCode(err) == identity.EINVALID || errors.Is(err, identity.ErrPasskeyCeremony) || errors.Is(err, identity.ErrPasskeyCloned) {
		v := h.twoFactorView(c, nil)
		v.Message = h.errorText(c, err)
		return h.renderPage(c, http.StatusUnprocessableEntity, "login-2fa", v)
	}
	if err != nil {
		return h.secondFactorFailed(c, err)
	}
	return h.completeSecondFactor(c, r)
}

// handlePasskeyReauthBegin starts re-authenticating with a passkey.
func (h *Handler) handlePasskeyReauthBegin(c echo.Context) error {
	cr, err := h.id.BeginPasskeyReauth(c.Request().Context(), clientOf(c), currentUser(c), currentSession(c))
	if err != nil {
		return h.passkeyBeginFailed(c, err)
	}
	return h.passkeyOptions(c, keyPasskeyReauth, cr)
}

// handlePasskeyReauthPost re-authenticates with the passkey's answer
// (SES-05): as the password form, it renews the session token (AUTH-05)
// and goes back to where the user was.
func (h *Handler) handlePasskeyReauthPost(c echo.Context) error {
	ctx := c.Request().Context()
	ceremony := h.sessions.PopString(ctx, keyPasskeyReauth)
	amr, err := h.id.ReauthenticateWithPasskey(ctx, clientOf(c), currentUser(c), currentSession(c), ceremony, []byte(c.FormValue("credential")))
	if identity.ErrorCode(err) == identity.EINVALID || identity.ErrorCode(err) == identity.EUNAUTHORIZED || identity.ErrorCode(err) == identity.ERATELIMIT {
		v := h.reauthView(c, nil)
		v.Message = h.errorText(c, err)
		status := http.StatusUnprocessableEntity
		if identity.ErrorCode(err) == identity.ERATELIMIT {
			status = http.StatusTooManyRequests
		}
		return h.renderPage(c, status, "reauthenticate", v)
	}
	if err != nil {
		return err
	}
	return h.reauthenticated(c, amr)
}

// keyPasskeySignup holds the sign-up ceremony's id (--passkey-signup).
const keyPasskeySignup = "pk_signup"

// handlePasskeySignupBegin checks the register form's address and extra
// fields (no password) and starts the new account's passkey. A problem
// with the fields is 422 JSON with their messages, which the script
// shows; registration closed is 403.
func (h *Handler) handlePasskeySignupBegin(c echo.Context) error {
	invite := h.inviteCode(c)
	if !h.id.RegistrationOpenTo(invite) {
		return c.JSON(http.StatusForbidden, map[string]string{"error": h.T(c, "register-closed.title")})
	}
	f := bindRegisterForm(c)
	if f.Email == "" {
		return c.JSON(http.StatusUnprocessableEntity, map[string]string{"error": h.T(c, "errors.email_required")})
	}
	cr, err := h.id.BeginPasskeySignup(c.Request().Context(), clientOf(c), identity.RegisterInput{
		Email: f.Email, InviteCode: invite, Attributes: h.bindExtraFields(c),
	})
	if errs, msg, ok := h.fieldErrors(c, err); ok {
		return c.JSON(http.StatusUnprocessableEntity, map[string]string{"error": joinFieldErrors(errs, msg)})
	}
	if errors.Is(err, identity.ErrRegistrationClosed) {
		return c.JSON(http.StatusForbidden, map[string]string{"error": h.T(c, "register-closed.title")})
	}
	if err != nil {
		return h.passkeyBeginFailed(c, err)
	}
	return h.passkeyOptions(c, keyPasskeySignup, cr)
}

// joinFieldErrors is the messages of errs (the address's first) and msg,
// as one text.
func joinFieldErrors(errs map[string]string, msg string) string {
	var out []string
	if m := errs["email"]; m != "" {
		out = append(out, m)
	}
	keys := make([]string, 0, len(errs))
	for k := range errs {
		if k != "email" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		out = append(out, errs[k])
	}
	if msg != "" {
		out = append(out, msg)
	}
	return strings.Join(out, " ")
}

// handlePasskeySignupPost creates the account with its passkey and no
// password, then answers as the register form does.
func (h *Handler) handlePasskeySignupPost(c echo.Context) error {
	invite := h.inviteCode(c)
	ctx := c.Request().Context()
	ceremony := h.sessions.PopString(ctx, keyPasskeySignup)
	res, err := h.id.PasskeySignup(ctx, clientOf(c), ceremony, []byte(c.FormValue("credential")), h.T(c, "passkeys.default_name"))
	if errors.Is(err, identity.ErrPasskeysOff) {
		return err
	}
	if code := identity.ErrorCode(err); code == identity.EINVALID || code == identity.EUNAUTHORIZED {
		msg := h.errorText(c, err)
		if errs, fmsg, ok := h.fieldErrors(c, err); ok && len(errs) > 0 {
			msg = joinFieldErrors(errs, fmsg)
		}
		return h.renderPage(c, http.StatusUnprocessableEntity, "register", h.registerView(c, registerForm{}, nil, msg))
	}
	if err != nil {
		return err
	}
	return h.registered(c, res, invite)
}
