package handlers

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/markbates/goth"
	"golang.org/x/oauth2"

	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/pages"
)

// The state of an external login in progress lives in the session: it
// binds the provider's answer to the browser that started the flow
// (OIDC-01).
const (
	keyExtState    = "ext_state"
	keyExtProvider = "ext_provider"
	keyExtNonce    = "ext_nonce"
	keyExtVerifier = "ext_verifier"
	keyExtSession  = "ext_session" // goth's marshalled session
	keyExtReturn   = "ext_return"
	keyExtMode     = "ext_mode" // login, link or reauth
	keyExtAt       = "ext_at"
	keyExtPending  = "ext_pending" // a verified identity waiting for the confirm page (JSON)
	keyExtSignup   = "ext_signup"  // an identity.PendingExternalSignup waiting for its mailed code (JSON)
)

// External login modes.
const (
	extLogin  = "login"
	extLink   = "link"
	extReauth = "reauth"
)

// extFlowLifetime: a flow must come back within this long.
const extFlowLifetime = 10 * time.Minute

const callbackPath = "/account/external-login/callback"

func (h *Handler) callbackURL() string {
	return strings.TrimRight(h.opts.BaseURL.String(), "/") + callbackPath
}

// providerButtons lists the configured providers for the login page.
func (h *Handler) providerButtons() []pages.ProviderButton {
	var out []pages.ProviderButton
	for _, p := range h.providers.list {
		out = append(out, pages.ProviderButton{Slug: p.cfg.Slug, Name: p.cfg.Name})
	}
	return out
}

// handleExternalLogin starts a flow from the login page: POST provider.
func (h *Handler) handleExternalLogin(c echo.Context) error {
	if currentUser(c) != nil {
		return h.redirectBack(c, h.returnTo(c.QueryParam("returnUrl")))
	}
	return h.startExternal(c, c.FormValue("provider"), extLogin, h.returnURL(c.FormValue("returnUrl")))
}

// startExternal sends the browser to the provider with a fresh state, and
// — for OpenID Connect — a nonce and a PKCE challenge (OIDC-01).
func (h *Handler) startExternal(c echo.Context, slug, mode, returnURL string) error {
	p, ok := h.providers.bySlug[slug]
	if !ok {
		return h.externalFailed(c, mode, h.T(c, "status.external_unavailable"))
	}
	gp, verifier, err := p.get(c.Request().Context(), h.callbackURL())
	if err != nil {
		h.log.ErrorContext(c.Request().Context(), "external login provider unavailable", "provider", slug, "err", err)
		return h.externalFailed(c, mode, h.T(c, "status.external_unreachable", "provider", p.cfg.Name))
	}
	state, nonce, pkce := randomString(32), randomString(32), oauth2.GenerateVerifier()
	sess, err := gp.BeginAuth(state)
	if err != nil {
		return h.externalFailed(c, mode, h.T(c, "status.external_unreachable", "provider", p.cfg.Name))
	}
	authURL, err := sess.GetAuthURL()
	if err != nil {
		return err
	}
	if verifier != nil {
		u, err := url.Parse(authURL)
		if err != nil {
			return err
		}
		q := u.Query()
		q.Set("nonce", nonce)
		q.Set("code_challenge", oauth2.S256ChallengeFromVerifier(pkce))
		q.Set("code_challenge_method", "S256")
		u.RawQuery = q.Encode()
		authURL = u.String()
	}
	ctx := c.Request().Context()
	h.sessions.Put(ctx, keyExtState, state)
	h.sessions.Put(ctx, keyExtProvider, slug)
	h.sessions.Put(ctx, keyExtNonce, nonce)
	h.sessions.Put(ctx, keyExtVerifier, pkce)
	h.sessions.Put(ctx, keyExtSession, sess.Marshal())
	h.sessions.Put(ctx, keyExtReturn, returnURL)
	h.sessions.Put(ctx, keyExtMode, mode)
	h.sessions.Put(ctx, keyExtAt, h.now().Unix())
	return h.redirect(c, authURL)
}

// externalFailed ends a flow with a friendly message where it started:
// the login page, or the manage page for link and re-authentication.
func (h *Handler) externalFailed(c echo.Context, mode, msg string) error {
	h.setFlash(c, msg, true)
	if mode == extLink || mode == extReauth {
		if currentUser(c) != nil {
			return h.redirect(c, "/account/manage/external-logins")
		}
	}
	return h.redirect(c, "/account/login")
}

func (h *Handler) clearExternal(c echo.Context) {
	ctx := c.Request().Context()
	for _, k := range []string{keyExtState, keyExtProvider, keyExtNonce, keyExtVerifier, keyExtSession, keyExtReturn, keyExtMode, keyExtAt} {
		h.sessions.Remove(ctx, k)
	}
}

// handleExternalCallback is where the provider sends the browser back.
// Every failure — cancelled, bad state, failed exchange, invalid ID token,
// provider down — is a message on the page the flow started from, never a
// 500.
func (h *Handler) handleExternalCallback(c echo.Context) error {
	ctx := c.Request().Context()
	mode := h.sessions.GetString(ctx, keyExtMode)
	want := h.sessions.GetString(ctx, keyExtState)
	slug := h.sessions.GetString(ctx, keyExtProvider)
	started := time.Unix(h.sessions.GetInt64(ctx, keyExtAt), 0)
	nonce := h.sessions.GetString(ctx, keyExtNonce)
	pkce := h.sessions.GetString(ctx, keyExtVerifier)
	marshalled := h.sessions.GetString(ctx, keyExtSession)
	returnURL := h.sessions.GetString(ctx, keyExtReturn)
	h.clearExternal(c) // a state is good for one callback only
	got := c.QueryParam("state")
	if want == "" || got == "" || subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 || !h.now().Before(started.Add(extFlowLifetime)) {
		return h.externalFailed(c, mode, h.T(c, "status.external_state"))
	}
	p := h.providers.bySlug[slug]
	if p == nil {
		return h.externalFailed(c, mode, h.T(c, "status.external_unavailable"))
	}
	if e := c.QueryParam("error"); e != "" {
		msg := h.T(c, "status.external_refused", "provider", p.cfg.Name)
		if e == "access_denied" {
			msg = h.T(c, "status.external_cancelled", "provider", p.cfg.Name)
		}
		return h.externalFailed(c, mode, msg)
	}
	ext, err := h.verifyExternal(c, p, marshalled, nonce, pkce)
	if err != nil {
		h.log.WarnContext(ctx, "external login failed", "provider", slug, "err", err)
		return h.externalFailed(c, mode, h.T(c, "status.external_failed", "provider", p.cfg.Name))
	}
	switch mode {
	case extLink:
		return h.finishLink(c, ext)
	case extReauth:
		return h.finishExternalReauth(c, ext, returnURL)
	}
	return h.finishExternalLogin(c, ext, returnURL)
}

// verifyExternal completes the code exchange and returns the verified
// identity: for OpenID Connect the ID token's signature (JWKS), issuer,
// audience, expiry and nonce are checked (OIDC-02).
func (h *Handler) verifyExternal(c echo.Context, p *provider, marshalled, nonce, pkce string) (identity.ExternalIdentity, error) {
	ctx := c.Request().Context()
	gp, verifier, err := p.get(ctx, h.callbackURL())
	if err != nil {
		return identity.ExternalIdentity{}, err
	}
	sess, err := gp.UnmarshalSession(marshalled)
	if err != nil {
		return identity.ExternalIdentity{}, fmt.Errorf("session: %w", err)
	}
	params := url.Values{"code": {c.QueryParam("code")}}
	if verifier != nil {
		params.Set("code_verifier", pkce)
	}
	if _, err := sess.Authorize(gp, params); err != nil {
		return identity.ExternalIdentity{}, fmt.Errorf("code exchange: %w", err)
	}
	var emailVerified bool
	var tokenEmail string
	if verifier != nil {
		raw := rawIDToken(sess)
		if raw == "" {
			return identity.ExternalIdentity{}, errors.New("no ID token")
		}
		tok, err := verifier.Verify(ctx, raw)
		if err != nil {
			return identity.ExternalIdentity{}, fmt.Errorf("ID token: %w", err)
		}
		if subtle.ConstantTimeCompare([]byte(tok.Nonce), []byte(nonce)) != 1 {
			return identity.ExternalIdentity{}, errors.New("ID token: nonce does not match")
		}
		// The address and whether it is verified both come from the
		// verified ID token, never one from the token and the other from
		// the userinfo endpoint.
		var claims struct {
			Email         string `json:"email"`
			EmailVerified any    `json:"email_verified"`
		}
		if err := tok.Claims(&claims); err == nil {
			tokenEmail = claims.Email
			emailVerified = tokenEmail != "" && (claims.EmailVerified == true || claims.EmailVerified == "true")
		}
	}
	user, err := gp.FetchUser(sess)
	if err != nil {
		return identity.ExternalIdentity{}, fmt.Errorf("user: %w", err)
	}
	if user.UserID == "" {
		return identity.ExternalIdentity{}, errors.New("the provider returned no subject")
	}
	if verifier == nil {
		// Providers whose user data comes from their API over TLS with the
		// access token: Google says whether the address is verified.
		emailVerified = user.RawData["verified_email"] == true || user.RawData["email_verified"] == true
	}
	name := user.Name
	if name == "" {
		name = user.NickName
	}
	email := user.Email
	if verifier != nil && tokenEmail != "" {
		email = tokenEmail
	} else if verifier != nil {
		emailVerified = false // an address only from userinfo is not vouched for
	}
	return identity.ExternalIdentity{
		Provider: p.cfg.Slug, ProviderName: p.cfg.Name, Subject: user.UserID,
		Email: email, EmailVerified: emailVerified, DisplayName: name,
	}, nil
}

// rawIDToken returns the ID token of a goth OpenID Connect session.
func rawIDToken(sess goth.Session) string {
	var v struct {
		IDToken string `json:"IDToken"`
	}
	_ = json.Unmarshal([]byte(sess.Marshal()), &v)
	return v.IDToken
}

// finishExternalLogin signs a returning user in (2FA still applies unless
// configured otherwise, OIDC-04) or asks a new one for an address.
func (h *Handler) finishExternalLogin(c echo.Context, ext identity.ExternalIdentity, returnURL string) error {
	ctx := c.Request().Context()
	r, err := h.id.ExternalSignIn(ctx, h.signInClient(c), ext, h.inviteCode(c))
	switch {
	case errors.Is(err, identity.ErrExternalNotLinked):
		raw, _ := json.Marshal(ext)
		h.sessions.Remove(ctx, keyExtSignup) // a new identity starts over
		h.sessions.Put(ctx, keyExtPending, string(raw))
		h.sessions.Put(ctx, keyExtReturn, returnURL)
		h.sessions.Put(ctx, keyExtAt, h.now().Unix())
		return h.redirect(c, "/account/external-login/confirm")
	case identity.ErrorCode(err) == identity.EUNAUTHORIZED:
		return h.externalFailed(c, extLogin, h.errorText(c, err))
	case err != nil:
		return err
	}
	return h.finishFirstStep(c, r, false, returnURL)
}

// pendingExternal returns the verified identity waiting for the confirm
// page, if it is fresh, and the sign-up waiting for its mailed code, if
// one is.
func (h *Handler) pendingExternal(c echo.Context) (identity.ExternalIdentity, *identity.PendingExternalSignup, bool) {
	ctx := c.Request().Context()
	var ext identity.ExternalIdentity
	if raw := h.sessions.GetString(ctx, keyExtSignup); raw != "" {
		var p identity.PendingExternalSignup
		if json.Unmarshal([]byte(raw), &p) == nil && p.Live(h.now()) {
			return p.Ext, &p, true
		}
	}
	raw := h.sessions.GetString(ctx, keyExtPending)
	at := time.Unix(h.sessions.GetInt64(ctx, keyExtAt), 0)
	if raw == "" || json.Unmarshal([]byte(raw), &ext) != nil || !h.now().Before(at.Add(extFlowLifetime)) {
		return ext, nil, false
	}
	return ext, nil, true
}

func (h *Handler) externalConfirmView(c echo.Context, ext identity.ExternalIdentity, email string, attrs map[string]string, errs pages.FieldErrors, msg string) pages.ExternalConfirmView {
	return pages.ExternalConfirmView{
		Common: h.common(c, h.T(c, "external-login-confirm.title")), ProviderName: ext.ProviderName, DisplayName: ext.DisplayName,
		Email: email, Errors: errs, Message: msg, ExtraFields: h.extraInputs(attrs, errs),
	}
}

// externalCodeView is the confirm page waiting for the code mailed to p's
// address.
func (h *Handler) externalCodeView(c echo.Context, p *identity.PendingExternalSignup, code string, errs pages.FieldErrors) pages.ExternalConfirmView {
	v := h.externalConfirmView(c, p.Ext, p.Email, p.Attributes, errs, "")
	v.SentTo, v.Code = p.Email, code
	v.CodeMinutes = int(identity.ExternalSignupCodeLifetime() / time.Minute)
	return v
}

// handleExternalConfirmShow asks for the address of the new account or,
// once a code was mailed, for the code (prefilled when the browser comes
// from the mail's link).
func (h *Handler) handleExternalConfirmShow(c echo.Context) error {
	ext, p, ok := h.pendingExternal(c)
	code := c.QueryParam("code")
	if !ok || (code != "" && p == nil) {
		if code != "" {
			c.Response().Header().Set("Referrer-Policy", "no-referrer")
			return h.externalFailed(c, extLogin, h.T(c, "status.external_code_other_browser"))
		}
		return h.externalFailed(c, extLogin, h.T(c, "status.external_expired"))
	}
	if p != nil {
		c.Response().Header().Set("Referrer-Policy", "no-referrer") // the URL may hold the code
		return h.renderPage(c, http.StatusOK, "external-login-confirm", h.externalCodeView(c, p, code, nil))
	}
	return h.renderPage(c, http.StatusOK, "external-login-confirm", h.externalConfirmView(c, ext, ext.Email, nil, nil, ""))
}

// handleExternalConfirmPost creates the account for a new external
// identity: with an address (email) it starts the sign-up, which creates
// the account at once only when the address is proven and otherwise mails
// a code; with the code it completes it (identity decides, OIDC-03).
func (h *Handler) handleExternalConfirmPost(c echo.Context) error {
	ctx := c.Request().Context()
	ext, p, ok := h.pendingExternal(c)
	if !ok {
		return h.externalFailed(c, extLogin, h.T(c, "status.external_expired"))
	}
	var res identity.ExternalSignup
	var err error
	if _, withCode := c.Request().PostForm["code"]; withCode && p != nil {
		code := c.FormValue("code")
		res, err = h.id.CompleteExternalSignup(ctx, clientOf(c), p, code)
		if errs, _, ok := h.fieldErrors(c, err); ok && res.Pending != nil {
			raw, _ := json.Marshal(res.Pending) // one try less
			h.sessions.Put(ctx, keyExtSignup, string(raw))
			return h.renderPage(c, http.StatusUnprocessableEntity, "external-login-confirm", h.externalCodeView(c, res.Pending, code, errs))
		}
	} else {
		// The address and the operator's extra fields, checked together:
		// every error in one round (issue 18 item 1).
		email := strings.TrimSpace(c.FormValue("email"))
		attrs := h.bindExtraFields(c)
		res, err = h.id.StartExternalSignup(ctx, clientOf(c), ext, email, h.inviteCode(c), attrs)
		if errs, msg, ok := h.fieldErrors(c, err); ok {
			v := h.externalConfirmView(c, ext, email, attrs, errs, msg)
			if p != nil { // still waiting for a code: keep that form
				v = h.externalCodeView(c, p, "", errs)
				v.Email, v.Message, v.ExtraFields = email, msg, h.extraInputs(attrs, errs)
			}
			return h.renderPage(c, http.StatusUnprocessableEntity, "external-login-confirm", v)
		}
	}
	switch code := identity.ErrorCode(err); {
	case code == identity.ECONFLICT || code == identity.EUNAUTHORIZED || code == identity.EINVALID:
		h.clearExternalSignup(c)
		return h.externalFailed(c, extLogin, h.errorText(c, err))
	case err != nil:
		return err
	}
	if res.Pending != nil {
		raw, _ := json.Marshal(res.Pending)
		h.sessions.Put(ctx, keyExtSignup, string(raw))
		return h.redirect(c, "/account/external-login/confirm")
	}
	returnURL := h.sessions.GetString(ctx, keyExtReturn)
	h.clearExternalSignup(c)
	if res.User == nil || !res.SignIn {
		return h.redirect(c, "/account/login")
	}
	if err := h.signIn(c, res.User, identity.SessionOptions{Method: ext.ProviderName}); err != nil {
		return err
	}
	return h.redirectBack(c, h.returnTo(returnURL))
}

// clearExternalSignup forgets the pending identity and sign-up.
func (h *Handler) clearExternalSignup(c echo.Context) {
	ctx := c.Request().Context()
	for _, k := range []string{keyExtPending, keyExtSignup, keyExtReturn} {
		h.sessions.Remove(ctx, k)
	}
}

// --- Manage: external logins ---

const externalLoginsPath = "/account/manage/external-logins"

func (h *Handler) handleExternalLoginsShow(c echo.Context) error {
	u := currentUser(c)
	links, err := h.id.ListExternalLogins(c.Request().Context(), u.ID)
	if err != nil {
		return err
	}
	if len(h.providers.list) == 0 && len(links) == 0 {
		// No provider is configured: the page (hidden from the navigation)
		// has nothing to offer (issue 18 item 6). An account that still has
		// a login of a provider removed since keeps the page to remove it.
		return echo.ErrNotFound
	}
	v := pages.ExternalLoginsView{Common: h.common(c, h.T(c, "external-logins.title")), HasPassword: u.PasswordHash != ""}
	linked := map[string]bool{}
	for _, l := range links {
		name := l.Provider
		if p := h.providers.bySlug[l.Provider]; p != nil {
			name = p.cfg.Name
		}
		v.Linked = append(v.Linked, pages.LinkedLogin{Provider: l.Provider, ProviderName: name, ProviderKey: l.Subject, DisplayName: l.DisplayName, Email: l.Email})
		linked[l.Provider] = true
	}
	for _, b := range h.providerButtons() {
		if !linked[b.Slug] {
			v.Available = append(v.Available, b)
		}
	}
	v.CanRemove = v.HasPassword || len(v.Linked) > 1
	return h.renderPage(c, http.StatusOK, "external-logins", v)
}

// handleExternalLoginsPost links (provider) or removes (provider and
// provider_key) a login.
func (h *Handler) handleExternalLoginsPost(c echo.Context) error {
	slug, key := c.FormValue("provider"), c.FormValue("provider_key")
	if key == "" {
		if len(h.providers.list) == 0 {
			return echo.ErrNotFound // nothing to link (issue 18 item 6)
		}
		return h.startExternal(c, slug, extLink, "")
	}
	u := currentUser(c)
	name := slug
	if p := h.providers.bySlug[slug]; p != nil {
		name = p.cfg.Name
	}
	err := h.id.UnlinkExternal(c.Request().Context(), clientOf(c), u, currentSessionID(c), slug, key, name)
	if errors.Is(err, identity.ErrLastLogin) {
		h.setFlash(c, h.errorText(c, identity.ErrLastLogin), true)
		return h.redirect(c, externalLoginsPath)
	}
	if err != nil {
		return err
	}
	if err := h.refreshSignIn(c, u); err != nil {
		return err
	}
	h.setFlash(c, h.T(c, "status.external_removed"), false)
	return h.redirect(c, externalLoginsPath)
}

func (h *Handler) finishLink(c echo.Context, ext identity.ExternalIdentity) error {
	u := currentUser(c)
	if u == nil {
		return h.externalFailed(c, extLogin, h.T(c, "status.external_sign_in_first"))
	}
	if err := h.id.LinkExternal(c.Request().Context(), clientOf(c), u, ext); identity.ErrorCode(err) == identity.ECONFLICT {
		h.setFlash(c, h.errorText(c, err), true)
		return h.redirect(c, externalLoginsPath)
	} else if err != nil {
		return err
	}
	h.setFlash(c, h.T(c, "status.external_added", "provider", ext.ProviderName), false)
	return h.redirect(c, externalLoginsPath)
}

// handleReauthExternal re-authenticates through a linked provider (for
// accounts without a password, SES-05).
func (h *Handler) handleReauthExternal(c echo.Context) error {
	return h.startExternal(c, c.FormValue("provider"), extReauth, h.returnURL(c.QueryParam("returnUrl")))
}

func (h *Handler) finishExternalReauth(c echo.Context, ext identity.ExternalIdentity, returnURL string) error {
	u, x := currentUser(c), currentSession(c)
	if u == nil || x == nil {
		return h.externalFailed(c, extLogin, h.T(c, "status.external_sign_in_again"))
	}
	if err := h.id.ReauthenticateExternal(c.Request().Context(), clientOf(c), u, x, ext); err != nil {
		if identity.ErrorCode(err) == identity.EUNAUTHORIZED {
			h.setFlash(c, h.errorText(c, err), true)
			back := "/account/reauthenticate"
			if returnURL != "" {
				back += "?" + url.Values{"returnUrl": {returnURL}}.Encode()
			}
			return h.redirect(c, back)
		}
		return err
	}
	if err := h.sessions.RenewToken(c.Request().Context()); err != nil {
		return err
	}
	h.putAMR(c, []string{identity.AMRFed})
	if returnURL == "" {
		returnURL = h.url("/account/manage")
	}
	return h.redirectBack(c, returnURL)
}
