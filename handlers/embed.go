package handlers

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"mime"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/accountportal/portal/identity"
)

// Embedding (DESIGN.md "Apps around Portal" 3): a Go program that serves
// its own routes beside Portal's uses Portal's session for them. The
// host's net/http handlers are wrapped in WithSession, which runs the same
// session load and registry check as a Portal page (loadSession, loadUser:
// the same stamp, idle and absolute limits, the same once-a-minute
// last-seen touch) and puts the result in the request's context.

// CSRFHeader is the request header that carries the CSRF token of a fetch
// call to a route behind CheckCSRF (a form may send the _csrf field
// instead).
const CSRFHeader = "X-CSRF-Token"

type embedKey struct{}

// embedded is what WithSession learnt of one request.
type embedded struct {
	c    echo.Context
	user *identity.User
	sess *identity.Session
	amr  []string
}

func embeddedOf(ctx context.Context) *embedded {
	e, _ := ctx.Value(embedKey{}).(*embedded)
	return e
}

// UserFromContext is the signed-in user of a request served behind
// WithSession, or nil.
func UserFromContext(ctx context.Context) *identity.User {
	if e := embeddedOf(ctx); e != nil {
		return e.user
	}
	return nil
}

// SessionFromContext is the signed-in session of a request served behind
// WithSession (its registry row) and how it authenticated (RFC 8176
// methods: pwd, otp, hwk, …), or nil.
func SessionFromContext(ctx context.Context) (*identity.Session, []string) {
	if e := embeddedOf(ctx); e != nil && e.sess != nil {
		return e.sess, e.amr
	}
	return nil, nil
}

// WithSession serves next with Portal's session loaded: UserFromContext
// gives the signed-in user (nil when nobody is), and a session that ended
// (signed out, stamp rotated, expired) is anonymous here as on Portal's
// pages. Nesting is harmless: an inner WithSession reuses the outer one.
func (h *Handler) WithSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if embeddedOf(r.Context()) != nil {
			next.ServeHTTP(w, r)
			return
		}
		c := h.echo.NewContext(r, w)
		err := h.loadSession(h.loadUser(func(c echo.Context) error {
			e := &embedded{c: c, user: currentUser(c), sess: currentSession(c)}
			if e.user != nil && e.sess != nil {
				e.amr = h.sessionAMR(c)
			} else {
				e.user, e.sess = nil, nil
			}
			r := c.Request().WithContext(context.WithValue(c.Request().Context(), embedKey{}, e))
			c.SetRequest(r)
			next.ServeHTTP(c.Response(), r)
			return nil
		}))(c)
		if err != nil {
			// The session store failed: no guess at who this is.
			h.log.ErrorContext(r.Context(), "embedded route: session not loaded", "path", r.URL.Path, "err", err)
			if !c.Response().Committed {
				writeJSONError(c.Response(), http.StatusServiceUnavailable, "unavailable")
			}
			return
		}
		// next wrote nothing (net/http answers 200 after it returns): the
		// session's cookie still goes out with the header.
		if !c.Response().Committed {
			if err := h.commitSession(c); err != nil {
				h.log.ErrorContext(r.Context(), "session commit failed", "err", err)
				writeJSONError(c.Response(), http.StatusServiceUnavailable, "unavailable")
			}
		}
	})
}

// RequireUser serves next only for a signed-in user (WithSession is
// applied when it is not yet). Anyone else gets, for a browser loading a
// page, a redirect to the login page that comes back here afterwards, and
// for anything else (fetch, API clients) 401 {"error": "unauthenticated"}.
func (h *Handler) RequireUser(next http.Handler) http.Handler {
	return h.WithSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e := embeddedOf(r.Context())
		if e.user != nil {
			next.ServeHTTP(w, r)
			return
		}
		if (r.Method == http.MethodGet || r.Method == http.MethodHead) && isNavigation(r) {
			if err := h.commitSession(e.c); err != nil {
				writeJSONError(w, http.StatusServiceUnavailable, "unavailable")
				return
			}
			w.Header().Set("Cache-Control", "no-store")
			http.Redirect(w, r, h.url(h.loginURL(r.URL.RequestURI())), http.StatusSeeOther)
			return
		}
		writeJSONError(w, http.StatusUnauthorized, "unauthenticated")
	}))
}

// CheckCSRF guards the host's state-changing routes with Portal's CSRF
// protection (BRW-06), WithSession applied when it is not yet: for every
// method but GET, HEAD and OPTIONS, a cross-origin request (the browser's
// Sec-Fetch-Site, or an Origin that is not Portal's) is refused, and the
// request must carry the token CSRFToken gives — in the X-CSRF-Token
// header (fetch calls) or the _csrf form field. Otherwise: 403
// {"error": "csrf"}.
func (h *Handler) CheckCSRF(next http.Handler) http.Handler {
	return h.WithSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		e := embeddedOf(r.Context())
		if !h.csrfValid(e.c, r) {
			writeJSONError(w, http.StatusForbidden, "csrf")
			return
		}
		next.ServeHTTP(w, r)
	}))
}

// csrfValid is checkCSRF's test for a request to the host's routes.
func (h *Handler) csrfValid(c echo.Context, r *http.Request) bool {
	if err := h.cop.Check(r); err != nil {
		return false
	}
	got := r.Header.Get(CSRFHeader)
	if got == "" {
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/x-www-form-urlencoded" || mt == "multipart/form-data" {
			got = r.FormValue(csrfField)
		}
	}
	cookie := h.csrfCookieValue(c)
	if cookie == "" || got == "" {
		return false
	}
	return hmac.Equal([]byte(got), []byte(h.csrfTokenFor(cookie, h.sessionCSRFSecret(c))))
}

// CSRFToken is the CSRF token of a request served behind WithSession, for
// the page or script to send back (X-CSRF-Token header or _csrf field); ""
// outside WithSession. The token is bound to the browser's CSRF cookie and,
// once signed in, to the session: after a sign-in or sign-out the page
// needs a new one. When the browser has no CSRF cookie yet, one is set on
// the response: call CSRFToken before writing the response.
func (h *Handler) CSRFToken(r *http.Request) string {
	e := embeddedOf(r.Context())
	if e == nil {
		return ""
	}
	return h.csrfToken(e.c)
}

// writeJSONError answers status with {"error": code}, never cached.
func writeJSONError(w http.ResponseWriter, status int, code string) {
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code})
}
