package handlers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"net/http"

	"github.com/labstack/echo/v4"
)

// CSRF (BRW-06) has two layers:
//
//  1. Go's http.CrossOriginProtection refuses unsafe requests that the
//     browser marks cross-site (Sec-Fetch-Site) or whose Origin is not ours.
//  2. A synchronizer token in the hidden _csrf field: an HMAC, under a key
//     kept in the database, of a random value in a CSRF cookie and — once
//     signed in — of a secret in the server-side session. An anonymous
//     visitor's form thus needs no session row (an anonymous GET writes
//     nothing to the database), and a signed-in user's token is bound to
//     their session: a token from one browser does not work in another.

// csrfField is the form field that carries the token.
const csrfField = "_csrf"

// ctxCSRFCookie holds a CSRF cookie value created during this request.
const ctxCSRFCookie = "portal.csrfcookie"

func (h *Handler) csrfCookieName() string { return h.cookieName("portal_csrf", false) }

// csrfCookieValue returns the browser's CSRF cookie value, or "".
func (h *Handler) csrfCookieValue(c echo.Context) string {
	if v, ok := c.Get(ctxCSRFCookie).(string); ok {
		return v
	}
	if ck, err := c.Cookie(h.csrfCookieName()); err == nil && len(ck.Value) == 43 {
		return ck.Value
	}
	return ""
}

// csrfToken returns the token for this request's forms, setting the CSRF
// cookie first if the browser has none. Call it before the response is
// written (render does: pages render into a buffer first).
func (h *Handler) csrfToken(c echo.Context) string {
	v := h.csrfCookieValue(c)
	if v == "" {
		v = randomString(32)
		c.Set(ctxCSRFCookie, v)
		c.SetCookie(h.newCookie("portal_csrf", v))
	}
	return h.csrfTokenFor(v, h.sessionCSRFSecret(c))
}

func (h *Handler) sessionCSRFSecret(c echo.Context) string {
	if !hasSession(c) {
		return ""
	}
	return h.sessions.GetString(c.Request().Context(), keyCSRF)
}

func (h *Handler) csrfTokenFor(cookie, sessionSecret string) string {
	// The keyed HMACs are pooled: hmac.New allocates and hashes the key's
	// pads on every call, and every page with a form computes a token.
	m, _ := h.csrfMACs.Get().(hash.Hash)
	if m == nil {
		m = hmac.New(sha256.New, h.opts.CSRFKey)
	} else {
		m.Reset()
	}
	defer h.csrfMACs.Put(m)
	m.Write([]byte("portal-csrf\x00"))
	m.Write([]byte(cookie))
	m.Write([]byte{0})
	m.Write([]byte(sessionSecret))
	var sum [sha256.Size]byte
	return base64.RawURLEncoding.EncodeToString(m.Sum(sum[:0]))
}

// errCSRF is the one answer to a forged or stale form (statusOf gives it
// its message, http.csrf).
var errCSRF = echo.NewHTTPError(http.StatusForbidden)

// checkCSRF guards every unsafe request.
func (h *Handler) checkCSRF(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		switch r.Method {
		case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		default:
			return next(c) // safe, or unknown to every route (405)
		}
		if !h.inBase(r.URL.Path) {
			return next(c) // outside the base path no route answers: 404, nothing changes
		}
		if c.Path() == h.base+forwardAuthPath {
			return next(c) // changes nothing, for any method a proxy uses
		}
		if isOIDCClientPath(h.portalPath(c.Path())) {
			return next(c) // OpenID Connect clients authenticate themselves (oidc.go)
		}
		if c.Get(echo.ContextKeyHeaderAllow) != nil {
			return next(c) // no route takes this method here: 405, nothing changes
		}
		if err := h.cop.Check(r); err != nil {
			return errCSRF
		}
		cookie := h.csrfCookieValue(c)
		got := c.FormValue(csrfField)
		if cookie == "" || got == "" {
			return errCSRF
		}
		want := h.csrfTokenFor(cookie, h.sessionCSRFSecret(c))
		if !hmac.Equal([]byte(got), []byte(want)) {
			return errCSRF
		}
		return next(c)
	}
}
