package handlers

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/labstack/echo/v4"

	"github.com/accountportal/portal/identity"
)

// Session keys.
const (
	keyUserID   = "uid"     // the signed-in user's id
	keyStamp    = "stamp"   // the user's security stamp at sign-in (SES-03)
	keyAuthAt   = "auth_at" // unix seconds of the sign-in
	keySeenAt   = "seen_at" // unix seconds of the last request (kept to the minute)
	keyCSRF     = "csrf"    // per-session secret the CSRF token is bound to
	keyFlash    = "flash"   // one-shot status message
	keyFlashErr = "flash_err"
	keyDevLink  = "dev_link"     // the confirmation link, shown once with --mail=log
	keyRemember = "__rememberMe" // scs's own key behind RememberMe
)

// Echo context keys.
const (
	ctxSession = "portal.session" // *sessionState once the session is loaded
	ctxUser    = "portal.user"    // *identity.User when signed in
)

// seenResolution: the last-seen time is written at most this often, so
// that a busy signed-in user does not cost a session write per request.
const seenResolution = time.Minute

func newSessionManager(store scs.Store, secure bool, lifetime time.Duration) *scs.SessionManager {
	sm := scs.New()
	sm.Store = store
	sm.HashTokenInStore = true // the sessions table holds SHA-256 of the token (AUTH-06)
	// scs's Lifetime is the longest a session row can live (a remembered
	// one); the shorter absolute and idle limits of ordinary sessions are
	// enforced in loadUser, with the injected clock.
	sm.Lifetime = lifetime
	sm.IdleTimeout = 0
	sm.Cookie.Name = "portal_session"
	if secure {
		sm.Cookie.Name = "__Host-portal_session"
	}
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = secure
	sm.Cookie.Path = "/"
	sm.Cookie.Domain = ""
	sm.Cookie.Persist = false // only "remember me" makes the cookie persistent
	return sm
}

// sessionState tracks the commit of one request's session.
type sessionState struct {
	committed bool
}

func skipSession(path string) bool {
	return path == "/healthz" || strings.HasPrefix(path, "/static/")
}

// loadSession is scs's LoadAndSave made echo-native (CONVENTIONS 11): it
// loads the session, and commits it either explicitly (render and redirect
// do, so a failing commit becomes an error page) or, at the latest, just
// before the status line is written. The cookie is written exactly once,
// also when echo's error handler renders the response.
func (h *Handler) loadSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if skipSession(c.Path()) || skipSession(c.Request().URL.Path) {
			return next(c)
		}
		var token string
		if ck, err := c.Cookie(h.sessions.Cookie.Name); err == nil {
			token = ck.Value
		}
		ctx, err := h.sessions.Load(c.Request().Context(), token)
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

// loadUser resolves the session's user on every request: the session must
// be within its idle and absolute limits and carry the user's current
// security stamp, otherwise it is destroyed and the request is anonymous
// (SES-02, SES-03: a stamp change ends other sessions at their next
// request, not 30 minutes later).
func (h *Handler) loadUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !hasSession(c) {
			return next(c)
		}
		ctx := c.Request().Context()
		uid := h.sessions.GetString(ctx, keyUserID)
		if uid == "" {
			return next(c)
		}
		now := h.now()
		authAt := time.Unix(h.sessions.GetInt64(ctx, keyAuthAt), 0)
		seenAt := time.Unix(h.sessions.GetInt64(ctx, keySeenAt), 0)
		var expired bool
		if h.sessions.GetBool(ctx, keyRemember) {
			expired = !now.Before(authAt.Add(h.opts.RememberMeLifetime))
		} else {
			expired = !now.Before(authAt.Add(h.opts.SessionLifetime)) || !now.Before(seenAt.Add(h.opts.SessionIdleTimeout))
		}
		if expired {
			if err := h.sessions.Destroy(ctx); err != nil {
				return err
			}
			return next(c)
		}
		u, err := h.id.UserForSession(ctx, uid, h.sessions.GetString(ctx, keyStamp))
		if errors.Is(err, identity.ErrSessionEnded) {
			if err := h.sessions.Destroy(ctx); err != nil {
				return err
			}
			return next(c)
		}
		if err != nil {
			return err
		}
		if now.Sub(seenAt) >= seenResolution {
			h.sessions.Put(ctx, keySeenAt, now.Unix())
		}
		c.Set(ctxUser, u)
		return next(c)
	}
}

// currentUser returns the signed-in user, or nil.
func currentUser(c echo.Context) *identity.User {
	u, _ := c.Get(ctxUser).(*identity.User)
	return u
}

// signIn starts a signed-in session for u: a new session token (AUTH-05),
// the user's stamp, a fresh CSRF binding, and a persistent cookie only when
// remember is set.
func (h *Handler) signIn(c echo.Context, u *identity.User, remember bool) error {
	ctx := c.Request().Context()
	if err := h.sessions.RenewToken(ctx); err != nil {
		return err
	}
	now := h.now().Unix()
	h.sessions.Put(ctx, keyUserID, u.ID)
	h.sessions.Put(ctx, keyStamp, u.SecurityStamp)
	h.sessions.Put(ctx, keyAuthAt, now)
	h.sessions.Put(ctx, keySeenAt, now)
	h.sessions.Put(ctx, keyCSRF, randomString(32))
	h.sessions.RememberMe(ctx, remember)
	c.Set(ctxUser, u)
	return nil
}

// refreshSignIn keeps this browser signed in after a change that rotated
// u's security stamp (which ends every other session): a new session token
// (AUTH-05) carrying the new stamp.
func (h *Handler) refreshSignIn(c echo.Context, u *identity.User) error {
	ctx := c.Request().Context()
	if err := h.sessions.RenewToken(ctx); err != nil {
		return err
	}
	h.sessions.Put(ctx, keyStamp, u.SecurityStamp)
	c.Set(ctxUser, u)
	return nil
}

// signOut destroys the session on the server: a replayed cookie is dead
// (SES-01).
func (h *Handler) signOut(c echo.Context) error {
	c.Set(ctxUser, nil)
	return h.sessions.Destroy(c.Request().Context())
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
			return h.redirect(c, loginURL(c.Request().URL.RequestURI()))
		}
		return next(c)
	}
}

// guestOnly sends signed-in visitors of the login and register pages on to
// where they were going.
func (h *Handler) guestOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if currentUser(c) != nil {
			return h.redirect(c, returnTo(c.QueryParam("returnUrl")))
		}
		return next(c)
	}
}

// clientOf is who made the request: the IP echo's extractor trusts (the
// socket address unless trusted proxies are configured) and the agent.
func clientOf(c echo.Context) identity.Client {
	return identity.NewClient(c.RealIP(), c.Request().UserAgent())
}

func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
