package handlers

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"

	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/pages"
)

// Portal as an OpenID Provider (issue 20; DESIGN.md "Apps around Portal"
// item 4). zitadel/oidc's op package speaks the protocol; Portal supplies
// the storage (identity.OIDCStorage), the sign-in (its own pages) and the
// consent page. Each endpoint is a route of its own, registered like every
// other route, so that it lives wherever the base URL puts Portal.
const (
	oidcDiscoveryPath = "/.well-known/openid-configuration"
	oidcAuthorizePath = "/oidc/authorize"
	oidcCallbackPath  = oidcAuthorizePath + "/callback"
	oidcTokenPath     = "/oidc/token"
	oidcUserinfoPath  = "/oidc/userinfo"
	oidcRevokePath    = "/oidc/revoke"
	oidcIntrospect    = "/oidc/introspect"
	oidcEndSession    = "/oidc/end-session"
	oidcKeysPath      = "/oidc/keys"
	// oidcContinuePath is where an authorization request goes for sign-in
	// and consent (the clients' LoginURL).
	oidcContinuePath = "/account/authorize"
)

// oidcClientPaths are the endpoints clients POST to without a CSRF token:
// they authenticate themselves (or, for the authorization endpoint, change
// nothing before the person signs in and consents on Portal's own pages).
var oidcClientPaths = []string{oidcAuthorizePath, oidcTokenPath, oidcUserinfoPath, oidcRevokePath, oidcIntrospect, oidcEndSession}

func isOIDCClientPath(p string) bool { return slices.Contains(oidcClientPaths, p) }

func endpoint(p string) *op.Endpoint { return op.NewEndpoint(strings.TrimPrefix(p, "/")) }

// issuer is the base URL without a trailing slash (issuer = --base-url).
func (h *Handler) issuer() string { return strings.TrimRight(h.opts.BaseURL.String(), "/") }

// newProvider builds the OpenID Provider over identity's storage.
func (h *Handler) newProvider() (*op.Provider, *identity.OIDCStorage, error) {
	st, err := h.id.OIDCStorage(func(id string) string {
		return h.issuer() + oidcContinuePath + "?" + url.Values{"id": {id}}.Encode()
	})
	if err != nil {
		return nil, nil, err
	}
	cfg := &op.Config{
		CryptoKey:                h.id.OIDCCryptoKey(),
		CryptoKeyId:              "portal",
		DefaultLogoutRedirectURI: h.issuer() + "/account/logout",
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		GrantTypeRefreshToken:    true,
		SupportedUILocales:       []language.Tag{language.English},
		SupportedScopes:          identity.OIDCScopes,
		SupportedClaims: []string{"sub", "aud", "exp", "iat", "iss", "auth_time", "nonce", "amr", "azp",
			"email", "email_verified", "preferred_username"},
	}
	opts := []op.Option{op.WithCustomEndpoints(endpoint(oidcAuthorizePath), endpoint(oidcTokenPath), endpoint(oidcUserinfoPath),
		endpoint(oidcRevokePath), endpoint(oidcEndSession), endpoint(oidcKeysPath)),
		op.WithCustomIntrospectionEndpoint(endpoint(oidcIntrospect))}
	if h.opts.BaseURL.Scheme == "http" {
		opts = append(opts, op.WithAllowInsecure())
	}
	p, err := op.NewProvider(cfg, st, op.StaticIssuer(h.issuer()), opts...)
	if err != nil {
		return nil, nil, err
	}
	return p, st, nil
}

// oidcRoutes registers the provider's endpoints with add.
func (h *Handler) oidcRoutes(add func(method, path string, hf echo.HandlerFunc, mw ...echo.MiddlewareFunc)) {
	if h.oidc == nil {
		return
	}
	p := h.oidc
	wrap := func(f func(w http.ResponseWriter, r *http.Request)) echo.HandlerFunc {
		hf := op.NewIssuerInterceptor(p.IssuerFromRequest).HandlerFunc(f)
		return func(c echo.Context) error {
			hf(c.Response(), c.Request())
			return nil
		}
	}
	on := h.requireOIDCClients
	// CORS for browser applications (oidc_cors.go): the preflights, and
	// the middleware on the answers.
	get, post := http.MethodGet, http.MethodPost
	corsGet, corsPost, corsBoth := h.oidcCORS(get), h.oidcCORS(post), h.oidcCORS(get, post)
	for p, mw := range map[string]echo.MiddlewareFunc{oidcDiscoveryPath: corsGet, oidcKeysPath: corsGet,
		oidcTokenPath: corsPost, oidcUserinfoPath: corsBoth, oidcRevokePath: corsPost} {
		add(http.MethodOptions, p, echo.NotFoundHandler, on, mw)
	}
	add(get, oidcDiscoveryPath, wrap(func(w http.ResponseWriter, r *http.Request) {
		d := discovery(op.CreateDiscoveryConfig(r.Context(), p, h.oidcStorage))
		d.UILocalesSupported = h.uiLocales()
		op.Discover(w, d)
	}), on, corsGet)
	for _, m := range []string{get, post} {
		add(m, oidcAuthorizePath, wrap(func(w http.ResponseWriter, r *http.Request) { op.Authorize(w, r, p) }), on)
		add(m, oidcUserinfoPath, wrap(func(w http.ResponseWriter, r *http.Request) { op.Userinfo(w, r, p) }), corsBoth)
		add(m, oidcEndSession, h.handleEndSession)
	}
	add(get, oidcCallbackPath, wrap(func(w http.ResponseWriter, r *http.Request) { op.AuthorizeCallback(w, r, p) }))
	add(post, oidcTokenPath, wrap(func(w http.ResponseWriter, r *http.Request) { op.Exchange(w, r, p) }), corsPost)
	add(post, oidcRevokePath, wrap(func(w http.ResponseWriter, r *http.Request) { op.Revoke(w, r, p) }), corsPost)
	add(post, oidcIntrospect, wrap(func(w http.ResponseWriter, r *http.Request) { op.Introspect(w, r, p) }))
	add(get, oidcKeysPath, wrap(func(w http.ResponseWriter, r *http.Request) { op.Keys(w, r, h.oidcStorage) }), corsGet)
	add(http.MethodGet, oidcContinuePath, h.handleAuthorizeContinue)
	add(http.MethodPost, oidcContinuePath, h.handleConsentPost, h.requireUser)
}

// discovery is the op package's discovery document, told only what
// Portal serves: the code flow and refresh (no implicit flow, no device
// authorization, no JWT bearer grant, no signed client assertions).
func discovery(d *oidc.DiscoveryConfiguration) *oidc.DiscoveryConfiguration {
	d.DeviceAuthorizationEndpoint = ""
	d.ResponseTypesSupported = []string{string(oidc.ResponseTypeCode)}
	d.GrantTypesSupported = []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
	d.RequestObjectSigningAlgValuesSupported = nil
	d.TokenEndpointAuthSigningAlgValuesSupported = nil
	d.RevocationEndpointAuthSigningAlgValuesSupported = nil
	d.IntrospectionEndpointAuthSigningAlgValuesSupported = nil
	return d
}

// uiLocales are the languages Portal's pages are offered in (the sign-in
// and consent pages follow the browser's Accept-Language among them).
func (h *Handler) uiLocales() []language.Tag {
	var out []language.Tag
	for _, c := range h.look().msgs.Catalogs() {
		if t, err := language.Parse(c.Lang()); err == nil {
			out = append(out, t)
		}
	}
	return out
}

// requireOIDCClients: the provider is off (404) until the operator
// registers a client.
func (h *Handler) requireOIDCClients(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		cs, err := h.id.OIDCClients(c.Request().Context())
		if err != nil {
			return err
		}
		if len(cs) == 0 {
			return echo.ErrNotFound
		}
		return next(c)
	}
}

// errRequest is what AuthRequestError needs of a request to send an
// error back to the client's redirect URI.
type errRequest struct{ a *identity.OIDCAuthorization }

func (e errRequest) GetRedirectURI() string { return e.a.Request.RedirectURI }
func (e errRequest) GetResponseType() oidc.ResponseType {
	return oidc.ResponseType(e.a.Request.ResponseType)
}
func (e errRequest) GetState() string { return e.a.Request.State }

// toClient sends the browser back to the client with an OAuth error.
func (h *Handler) toClient(c echo.Context, a *identity.OIDCAuthorization, err error) error {
	if err := h.commitSession(c); err != nil {
		return err
	}
	r := c.Request()
	r = r.WithContext(op.ContextWithIssuer(r.Context(), h.issuer()))
	op.AuthRequestError(c.Response(), r, errRequest{a}, err, h.oidc)
	return nil
}

// handleAuthorizeContinue is where an authorization request comes for
// the person: sign in (Portal's own pages, then back here), sign in again
// for prompt=login or max_age, consent, then on to the op package's
// callback, which issues the code.
func (h *Handler) handleAuthorizeContinue(c echo.Context) error {
	ctx := c.Request().Context()
	a, err := h.id.OIDCAuthorization(ctx, c.QueryParam("id"))
	if err != nil {
		return err
	}
	if a.Request.Done {
		return h.redirect(c, h.callbackURLFor(ctx, a))
	}
	here := h.url(oidcContinuePath) + "?" + url.Values{"id": {a.Request.ID}}.Encode() // a returnUrl
	u, x := currentUser(c), currentSession(c)
	if u == nil || x == nil {
		if a.PromptNone() {
			return h.toClient(c, a, oidc.ErrLoginRequired())
		}
		return h.redirect(c, h.loginURL(here)) // the login page reads login_hint (oidcLoginHint)
	}
	if a.NeedsLogin(x.AuthAt, h.now()) {
		if a.PromptNone() {
			return h.toClient(c, a, oidc.ErrLoginRequired())
		}
		return h.redirect(c, "/account/reauthenticate?"+url.Values{"returnUrl": {here}}.Encode())
	}
	consent, err := h.id.NeedsConsent(ctx, u.ID, a)
	if err != nil {
		return err
	}
	if consent {
		if a.PromptNone() {
			return h.toClient(c, a, &oidc.Error{ErrorType: "consent_required", Description: "the person has not allowed this application"})
		}
		return h.renderPage(c, http.StatusOK, "consent", pages.ConsentView{
			Common: h.common(c, h.T(c, "consent.title")), RequestID: a.Request.ID, ClientName: a.Client.Name, Scopes: a.Request.Scopes,
		})
	}
	if a.Client.SkipConsent {
		if err := h.id.AllowOIDC(ctx, clientOf(c), u, a); err != nil {
			return err
		}
	}
	return h.completeAuthorization(c, a)
}

// handleConsentPost takes the decision of the consent page: allow
// (remembered for this app and these scopes) or deny (access_denied to
// the client).
func (h *Handler) handleConsentPost(c echo.Context) error {
	ctx := c.Request().Context()
	a, err := h.id.OIDCAuthorization(ctx, c.FormValue("id"))
	if err != nil {
		return err
	}
	switch c.FormValue("decision") {
	case "allow":
		if err := h.id.AllowOIDC(ctx, clientOf(c), currentUser(c), a); err != nil {
			return err
		}
		return h.completeAuthorization(c, a)
	case "deny":
		return h.toClient(c, a, oidc.ErrAccessDenied().WithDescription("the person denied access"))
	}
	return echo.NewHTTPError(http.StatusUnprocessableEntity)
}

// completeAuthorization records the sign-in on the request and sends the
// browser to the op package's callback.
func (h *Handler) completeAuthorization(c echo.Context, a *identity.OIDCAuthorization) error {
	x := currentSession(c)
	if err := h.id.CompleteOIDC(c.Request().Context(), a, currentUser(c), x.AuthAt, h.sessionAMR(c)); err != nil {
		return err
	}
	return h.redirect(c, h.callbackURLFor(c.Request().Context(), a))
}

func (h *Handler) callbackURLFor(ctx context.Context, a *identity.OIDCAuthorization) string {
	return op.AuthCallbackURL(h.oidc)(op.ContextWithIssuer(ctx, h.issuer()), a.Request.ID)
}

// handleEndSession is RP-initiated logout: the op package validates the
// request (id_token_hint, client, registered post-logout URI); the Portal
// session ends when the hint names the signed-in person, and the client's
// tokens for them are revoked. Without a hint nobody is signed out
// silently: the browser goes to the sign-out page.
func (h *Handler) handleEndSession(c echo.Context) error {
	r := c.Request()
	r = r.WithContext(op.ContextWithIssuer(r.Context(), h.issuer()))
	req, err := op.ParseEndSessionRequest(r, h.oidc.Decoder())
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest)
	}
	s, err := op.ValidateEndSessionRequest(r.Context(), req, h.oidc)
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest)
	}
	if s.UserID == "" {
		return h.redirect(c, "/account/logout")
	}
	if s.ClientID != "" {
		if err := h.oidcStorage.TerminateSession(r.Context(), s.UserID, s.ClientID); err != nil {
			return err
		}
	}
	if u := currentUser(c); u != nil && u.ID == s.UserID {
		if err := h.signOut(c); err != nil {
			return err
		}
		h.clearBrowser(c)
	}
	if err := h.commitSession(c); err != nil {
		return err
	}
	return c.Redirect(http.StatusFound, s.RedirectURI)
}

// oidcLoginHint is the login_hint of the authorization request the login
// page's returnUrl continues, when it is an address: the login form
// starts with it. It is read from the stored request, so that the address
// never stands in Portal's own URLs (PRIV-03).
func (h *Handler) oidcLoginHint(c echo.Context) string {
	if h.oidc == nil {
		return ""
	}
	to, err := url.Parse(h.returnURL(c.QueryParam("returnUrl")))
	if err != nil || to.Path != h.url(oidcContinuePath) {
		return ""
	}
	a, err := h.id.OIDCAuthorization(c.Request().Context(), to.Query().Get("id"))
	if err != nil || !strings.Contains(a.Request.LoginHint, "@") {
		return ""
	}
	return a.Request.LoginHint
}
