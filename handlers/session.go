package handlers

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/labstack/echo/v4"

	"github.com/accountportal/portal/identity"
)

// Session keys. The scs session holds only a handle to the registry row
// (identity.Session), which is the authority for who is signed in, the
// timeouts and the security stamp.
const (
	keySessionID   = "sid"           // the registry id of the signed-in session
	keySignInEvent = "sign_in_event" // the id of this session's sign-in event (its history entry)
	keyCSRF        = "csrf"          // per-session secret the CSRF token is bound to
	keyFlash       = "flash"         // one-shot status message
	keyFlashErr    = "flash_err"
	keyDevLink     = "dev_link"     // the confirmation link, shown once with --mail=log
	keyRemember    = "__rememberMe" // scs's own key behind RememberMe
)

// Echo context keys.
const (
	ctxSession  = "portal.session"  // *sessionState once the session is loaded
	ctxUser     = "portal.user"     // *identity.User when signed in
	ctxRegistry = "portal.registry" // *identity.Session when signed in
)

// newSessionManager is the scs manager of Portal's session cookie: on the
// base path, or, with --cookie-domain, on Path=/ of the shared domain.
func (h *Handler) newSessionManager(store scs.Store, lifetime time.Duration) *scs.SessionManager {
	sm := scs.New()
	sm.Store = newReadCache(store, h.now) // the API routes' reads (sessioncache.go)
	sm.HashTokenInStore = true            // the sessions table holds SHA-256 of the token (AUTH-06)
	sm.Codec = newDecodedCodec()          // typed, not gob: gob compiles a decoder per request; each decoded once (sessioncache.go)
	// scs's Lifetime is the longest a session row can live (a remembered
	// one); the shorter absolute and idle limits of ordinary sessions are
	// enforced by the registry (identity.SessionUser).
	sm.Lifetime = lifetime
	sm.IdleTimeout = 0
	sm.Cookie.Name = h.cookieName("portal_session", true)
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = h.secure
	sm.Cookie.Path = h.cookiePath()
	sm.Cookie.Domain = ""
	if h.cookieDomain != "" {
		sm.Cookie.Path, sm.Cookie.Domain = "/", h.cookieDomain
	}
	sm.Cookie.Persist = false // only "remember me" makes the cookie persistent
	return sm
}

// sessionState tracks the commit of one request's session.
type sessionState struct {
	committed bool
}

// skipSession reports the routes without a session (health, static
// files), by Portal path.
func skipSession(path string) bool {
	return path == "/healthz" || path == "/readyz" || strings.HasPrefix(path, "/static/")
}

// loadSession is scs's LoadAndSave made echo-native (CONVENTIONS 11): it
// loads the session, and commits it either explicitly (render and redirect
// do, so a failing commit becomes an error page) or, at the latest, just
// before the status line is written. The cookie is written exactly once,
// also when echo's error handler renders the response.
func (h *Handler) loadSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if skipSession(h.portalPath(c.Path())) || skipSession(h.portalPath(c.Request().URL.Path)) {
			return next(c)
		}
		var token string
		if ck, err := c.Cookie(h.sessions.Cookie.Name); err == nil {
			token = ck.Value
		}
		ctx := c.Request().Context()
		if h.isAppCheck(c) {
			ctx = withReadOnlySession(ctx) // may reuse this instance's read of the row (sessioncache.go)
		}
		ctx, err := h.sessions.Load(ctx, token)
		if err != nil {
			return err
		}
		c.SetRequest(c.Request().WithContext(ctx))
		c.Set(ctxSession, &sessionState{})
		c.Response().Before(func() {
			if err := h.commitSession(c); err != nil {
				h.log.ErrorContext(ctx, "session commit failed", "err", err)
				c.Response().Status = http.StatusServiceUnavailable
			}
		})
		return next(c)
	}
}

// hasSession reports whether the request's session is loaded (not for
// static files or after a failed load).
func hasSession(c echo.Context) bool {
	_, ok := c.Get(ctxSession).(*sessionState)
	return ok
}

// commitSession saves a modified session and writes its cookie, once.
func (h *Handler) commitSession(c echo.Context) error {
	st, ok := c.Get(ctxSession).(*sessionState)
	if !ok || st.committed {
		return nil
	}
	st.committed = true
	ctx := c.Request().Context()
	switch h.sessions.Status(ctx) {
	case scs.Modified:
		token, expiry, err := h.sessions.Commit(ctx)
		if err != nil {
			return err
		}
		h.sessions.WriteSessionCookie(ctx, c.Response(), token, expiry)
	case scs.Destroyed:
		h.sessions.WriteSessionCookie(ctx, c.Response(), "", time.Time{})
	}
	return nil
}

// loadUser resolves the signed-in user on every request through the
// session registry: the session must exist, be within its idle and
// absolute limits and hold the user's current security stamp; otherwise
// the scs session is destroyed and the request is anonymous (SES-02,
// SES-03: a stamp change ends other sessions at their next request, not 30
// minutes later).
func (h *Handler) loadUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !hasSession(c) {
			return next(c)
		}
		ctx := c.Request().Context()
		sid := h.sessions.GetString(ctx, keySessionID)
		if sid == "" {
			return next(c)
		}
		u, x, err := h.id.SessionUser(ctx, sid, clientOf(c))
		if errors.Is(err, identity.ErrSessionEnded) {
			if err := h.sessions.Destroy(ctx); err != nil {
				return err
			}
			return next(c)
		}
		if err != nil {
			return err
		}
		c.Set(ctxUser, u)
		c.Set(ctxRegistry, x)
		return next(c)
	}
}

// currentUser returns the signed-in user, or nil.
func currentUser(c echo.Context) *identity.User {
	u, _ := c.Get(ctxUser).(*identity.User)
	return u
}

// currentSession returns the signed-in session, or nil.
func currentSession(c echo.Context) *identity.Session {
	x, _ := c.Get(ctxRegistry).(*identity.Session)
	return x
}

// currentSessionID is the registry id of the signed-in session, or "".
func currentSessionID(c echo.Context) string {
	if x := currentSession(c); x != nil {
		return x.ID
	}
	return ""
}

// signIn starts a signed-in session for u: a registry row, a new session
// token (AUTH-05), a fresh CSRF binding, and a persistent cookie only when
// remember is set.
func (h *Handler) signIn(c echo.Context, u *identity.User, o identity.SessionOptions) error {
	ctx := c.Request().Context()
	remember := o.Remember
	cl := clientOf(c)
	cl.Device = h.ensureDeviceCookie(c)
	x, err := h.id.StartSession(ctx, u, cl, o)
	if err != nil {
		return err
	}
	if err := h.sessions.RenewToken(ctx); err != nil {
		return err
	}
	h.sessions.Put(ctx, keySessionID, x.ID)
	h.sessions.Put(ctx, keySignInEvent, x.SignInEvent)
	h.sessions.Put(ctx, keyCSRF, randomString(32))
	h.putAMR(c, identity.AMR(o))
	h.sessions.RememberMe(ctx, remember)
	h.rememberPreferences(c, u.ID)
	c.Set(ctxUser, u)
	c.Set(ctxRegistry, x)
	return nil
}

// refreshSignIn keeps this browser signed in after a change that rotated
// u's security stamp (identity kept this session and ended the others): a
// new session token (AUTH-05).
func (h *Handler) refreshSignIn(c echo.Context, u *identity.User) error {
	if err := h.sessions.RenewToken(c.Request().Context()); err != nil {
		return err
	}
	c.Set(ctxUser, u)
	return nil
}

// signOut ends the session in the registry and destroys the scs session: a
// replayed cookie is dead (SES-01).
func (h *Handler) signOut(c echo.Context) error {
	ctx := c.Request().Context()
	if u, x := currentUser(c), currentSession(c); u != nil && x != nil {
		if err := h.id.EndSession(ctx, clientOf(c), u.ID, x.ID); err != nil {
			return err
		}
	}
	c.Set(ctxUser, nil)
	c.Set(ctxRegistry, nil)
	return h.sessions.Destroy(ctx)
}

// setFlash stores a one-shot status message shown on the next page.
func (h *Handler) setFlash(c echo.Context, msg string, isError bool) {
	ctx := c.Request().Context()
	h.sessions.Put(ctx, keyFlash, msg)
	if isError {
		h.sessions.Put(ctx, keyFlashErr, true)
	}
}

// popFlash returns and removes the status message, touching the session
// only when there is one (an anonymous page view writes nothing).
func (h *Handler) popFlash(c echo.Context) (string, bool) {
	ctx := c.Request().Context()
	if !h.sessions.Exists(ctx, keyFlash) {
		return "", false
	}
	msg := h.sessions.PopString(ctx, keyFlash)
	isErr := h.sessions.PopBool(ctx, keyFlashErr)
	return msg, isErr
}

// requireUser sends anonymous visitors to the login page and back.
func (h *Handler) requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if currentUser(c) == nil {
			return h.redirect(c, h.loginURL(here(c)))
		}
		return next(c)
	}
}

// requireRecentAuth guards sensitive pages (SES-05): when the session's
// last authentication is older than the re-authentication window, the user
// is sent to /account/reauthenticate and comes back here afterwards. Use
// it after requireUser.
func (h *Handler) requireRecentAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return h.requireRecentAuthBack("")(next)
}

// requireRecentAuthWithCode guards changes to the second factor itself:
// like requireRecentAuth, and a session that skipped the code at sign-in
// must confirm with password and code first (MFA-05).
func (h *Handler) requireRecentAuthWithCode(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if x := currentSession(c); x != nil && h.id.NeedsReauthWithCode(x) && !h.id.NeedsReauth(x) {
			to := c.Request().URL.Path
			if c.Request().Method == http.MethodGet {
				to = c.Request().URL.RequestURI()
			}
			return h.redirect(c, "/account/reauthenticate?"+url.Values{"returnUrl": {to}}.Encode())
		}
		return h.requireRecentAuth(next)(c)
	}
}

// requireRecentAuthBack is requireRecentAuth with the page to come back to
// after re-authentication ("" = this page), for POST-only routes.
func (h *Handler) requireRecentAuthBack(back string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if h.id.NeedsReauth(currentSession(c)) {
				to := h.url(back) // a returnUrl: the browser's URL
				if to == "" {
					to = c.Request().URL.Path
					if c.Request().Method == http.MethodGet {
						to = c.Request().URL.RequestURI()
					}
				}
				return h.redirect(c, "/account/reauthenticate?"+url.Values{"returnUrl": {to}}.Encode())
			}
			return next(c)
		}
	}
}

// guestOnly sends signed-in visitors of the login and register pages on to
// where they were going.
func (h *Handler) guestOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if currentUser(c) != nil {
			return h.redirectBack(c, h.returnTo(c.QueryParam("returnUrl")))
		}
		return next(c)
	}
}

// clientOf is who made the request: the IP echo's extractor trusts (the
// socket address unless trusted proxies are configured) and the agent.
func clientOf(c echo.Context) identity.Client {
	return identity.NewClient(c.RealIP(), c.Request().UserAgent())
}

// signInClient is clientOf with what a sign-in step needs of the browser:
// its "remember this browser" and device cookies.
func (h *Handler) signInClient(c echo.Context) identity.Client {
	cl := clientOf(c)
	if ck, err := c.Cookie(h.rememberCookieName()); err == nil {
		cl.RememberBrowser = ck.Value
	}
	if ck, err := c.Cookie(h.deviceCookieName()); err == nil && len(ck.Value) == 43 {
		cl.Device = ck.Value
	}
	return cl
}

// deviceCookieLifetime: the device cookie outlives sessions; identity
// trusts a device for 90 days after its last sign-in.
const deviceCookieLifetime = 400 * 24 * time.Hour

func (h *Handler) deviceCookieName() string { return h.cookieName("portal_device", false) }

// ensureDeviceCookie returns this browser's device handle — a random
// value that lets the lockout rules tell the owner's browsers from
// strangers (identity.Client.Device, AUTH-03) — setting a new one when
// the browser has none. Signing out keeps it, like "remember this
// browser".
func (h *Handler) ensureDeviceCookie(c echo.Context) string {
	if ck, err := c.Cookie(h.deviceCookieName()); err == nil && len(ck.Value) == 43 {
		return ck.Value
	}
	v := randomString(32)
	ck := h.newCookie("portal_device", v)
	ck.MaxAge, ck.Expires = int(deviceCookieLifetime/time.Second), h.now().Add(deviceCookieLifetime)
	c.SetCookie(ck)
	return v
}

func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
