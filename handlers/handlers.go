// Package handlers is Portal's HTTP layer: the echo router, sessions (scs),
// CSRF, security headers and one thin handler per page. It is the only
// package that knows echo and scs. Handlers parse the form, call one
// identity method and render a page or redirect; the rules live in identity.
package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/labstack/echo/v4"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/messages"
	"github.com/accountportal/portal/pages"
	"github.com/accountportal/portal/static"
	"github.com/accountportal/portal/theme"
)

// Options are the handlers' dependencies, filled by portal.New. The rules
// (registration policy, password length, lifetimes) are not here: the
// handlers ask Identity (Settings, RegistrationOpenTo).
type Options struct {
	Identity *identity.Service
	// SessionStore keeps the server-side sessions (scs).
	SessionStore scs.Store
	Assets       *static.Assets
	Log          *slog.Logger
	SiteName     string
	// BaseURL is the public origin and the path Portal serves under ("" or
	// "/" for the root, else e.g. "/auth": every route, asset, cookie and
	// link lives under it); https turns on Secure cookies, the __Host-
	// cookie prefix (__Secure- under a path) and HSTS.
	BaseURL *url.URL
	// CookieDomain, when set, is the Domain of the session cookie
	// (--cookie-domain), shared with the sibling hosts; its Path is then /.
	CookieDomain string
	// CSRFKey signs CSRF tokens (32 bytes, shared by every instance).
	CSRFKey []byte
	// Ping checks the store (and Redis) for /healthz; Ready also that the
	// schema is up to date, for /readyz.
	Ping  func(ctx context.Context) error
	Ready func(ctx context.Context) error
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed (none by default: the socket's address is the client).
	TrustedProxies []*net.IPNet
	// CORSOrigins may read GET /account/session cross-origin with
	// credentials; ReturnOrigins may be the origin of an absolute returnUrl
	// (both exact origins, "https://app.example.com"; ParseOrigins).
	CORSOrigins   []string
	ReturnOrigins []string
	// Providers are the external login providers (none by default).
	Providers []ProviderConfig
	// Theme is the loaded theme directory: page overrides and layout.html
	// (nil: none).
	Theme *theme.Theme
	// Languages are the languages offered (BCP 47 tags; empty: every
	// built-in language and every one the theme adds), DefaultLanguage the
	// one for a reader whose browser asks for none of them ("" is "en").
	Languages       []string
	DefaultLanguage string
	// ObserveRequest, when set, hears of every request once it is
	// answered: its route pattern ("unmatched" when no route matched), its
	// method as sent, the status sent and how long it took (portal wires
	// it to the metrics).
	ObserveRequest func(route, method string, status int, d time.Duration)
}

// Handler holds the dependencies of every page handler.
type Handler struct {
	id       *identity.Service
	sessions *scs.SessionManager
	log      *slog.Logger
	opts     Options
	secure   bool
	// base is the path Portal serves under: "" (the root) or "/auth"
	// (basepath.go).
	base         string
	cookieDomain string
	echo         *echo.Echo
	cop          *http.CrossOriginProtection
	providers    *providerSet
	over         overrides // OverrideHandler
	// look is the theme, the static files over the built-in ones and the
	// message catalogue, in one pointer so that SetTheme
	// (--theme-reload) swaps all three at once.
	lookPtr atomic.Pointer[look]
	// cspHead + nonce + cspTail is the Content-Security-Policy header.
	cspHead, cspTail string
	// cspNoNonce is the same policy without a nonce, for the responses
	// that render no page (a redirect, a file); len == cap, shared.
	cspNoNonce []string
	// csrfMACs are HMAC-SHA256s keyed with CSRFKey (csrfTokenFor).
	csrfMACs sync.Pool

	// served counts the requests (Served).
	served atomic.Uint64

	// overrides are the Go page overrides (OverridePage), copied on write.
	// oidc is the OpenID Provider (issue 20); nil without identity's
	// OIDC key.
	oidc        *op.Provider
	oidcStorage *identity.OIDCStorage

	overrides   atomic.Pointer[map[string]PageFunc]
	overridesMu sync.Mutex
}

// New builds the router with every route of routes.go.
func New(o Options) (*Handler, error) {
	if o.Identity == nil || o.SessionStore == nil || o.Assets == nil || o.BaseURL == nil || len(o.CSRFKey) < 32 || o.Ping == nil {
		return nil, errors.New("handlers: Identity, SessionStore, Assets, BaseURL, Ping and a 32-byte CSRFKey are required")
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	h := &Handler{
		id:     o.Identity,
		log:    o.Log,
		opts:   o,
		secure: o.BaseURL.Scheme == "https",
	}
	base, ok := CleanBasePath(o.BaseURL.Path)
	if !ok {
		return nil, fmt.Errorf("handlers: the base URL's path %q is not plain segments like /auth", o.BaseURL.Path)
	}
	h.base = base
	if o.CookieDomain != "" {
		if err := CheckCookieDomain(o.CookieDomain, o.BaseURL.Hostname()); err != nil {
			return nil, fmt.Errorf("handlers: cookie domain: %w", err)
		}
		h.cookieDomain = normalCookieDomain(o.CookieDomain)
	}
	if _, err := o.Theme.MessageSet(o.Languages, o.DefaultLanguage); err != nil {
		return nil, err
	}
	h.SetTheme(o.Theme, o.Assets)
	h.sessions = h.newSessionManager(o.SessionStore, o.Identity.Settings().RememberMeLifetime)
	ps, err := newProviderSet(o.Providers)
	if err != nil {
		return nil, err
	}
	h.providers = ps
	h.cspHead, h.cspTail = h.cspParts()
	h.cspNoNonce = []string{h.cspHead[:strings.LastIndex(h.cspHead, " 'nonce-")] + h.cspTail[1:]}[:1:1] // the policy without its nonce
	if len(ps.list) > 0 {
		go ps.warm(context.Background(), h.callbackURL(), func(msg string, args ...any) { h.log.Warn(msg, args...) })
	}
	h.cop = http.NewCrossOriginProtection()
	if err := h.cop.AddTrustedOrigin(o.BaseURL.Scheme + "://" + o.BaseURL.Host); err != nil {
		return nil, err
	}
	if p, st, err := h.newProvider(); err == nil {
		h.oidc, h.oidcStorage = p, st
	} else if !errors.Is(err, identity.ErrOIDCOff) {
		return nil, err
	}
	h.echo = h.routes()
	return h, nil
}

// look is what a theme decides for every page.
type look struct {
	theme  *theme.Theme
	assets *static.Assets
	msgs   *messages.Set // the offered languages (the theme's wording over the built-in)
	// languages are the language picker's choices (nil: one language).
	languages []pages.LanguageOption
}

func (h *Handler) look() *look { return h.lookPtr.Load() }

// SetTheme replaces the theme and the static files (a theme read again by
// --theme-reload); requests already under way finish with the old ones.
// A theme that no longer has an offered language (its
// messages.<lang>.toml is gone) keeps the others; the error is logged.
func (h *Handler) SetTheme(th *theme.Theme, assets *static.Assets) {
	set, err := th.MessageSet(h.opts.Languages, h.opts.DefaultLanguage)
	if err != nil {
		h.log.Error("theme languages", "err", err)
		set, _ = th.MessageSet(nil, h.opts.DefaultLanguage)
		if set == nil {
			set, _ = th.MessageSet(nil, "")
		}
	}
	h.lookPtr.Store(&look{theme: th, assets: assets, msgs: set, languages: languageOptions(set)})
	h.id.SetMessages(set)
}

// Served returns how many requests the handler has begun to serve.
func (h *Handler) Served() uint64 { return h.served.Load() }

// ServeHTTP serves every route.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.echo.ServeHTTP(w, r)
}

func (h *Handler) now() time.Time { return h.id.Now() }
