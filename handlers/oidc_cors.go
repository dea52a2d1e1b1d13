package handlers

import (
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
)

// CORS for the OpenID Provider's endpoints that a browser application
// calls with fetch: a single-page app, a public client with PKCE, reads
// discovery and the JWKS, redeems its code at the token endpoint, asks
// userinfo and revokes its tokens (OAuth 2.0 for Browser-Based Apps).
// Authorization and end_session are navigations and need none;
// introspection is for resource servers, never browsers.
//
// Only the origins of registered clients' redirect URIs may read the
// answers — an origin a client was registered with, exactly (scheme, host
// and port) — and never with credentials: these endpoints are
// authenticated by the request (code and PKCE verifier, client secret,
// bearer token), never by Portal's cookie, and a browser that sent the
// cookie along would be refused the answer. Any other origin gets no CORS
// header, its preflight included, so the browser keeps the answer from it.

// oidcCORS answers the preflight and marks the answers of a route whose
// methods are methods.
func (h *Handler) oidcCORS(methods ...string) echo.MiddlewareFunc {
	allowMethods := strings.Join(methods, ", ")
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			hd := c.Response().Header()
			hd.Add("Vary", "Origin")
			r := c.Request()
			origin := r.Header.Get("Origin")
			allowed := false
			if origin != "" {
				ok, err := h.oidcClientOrigin(c, origin)
				if err != nil {
					return err
				}
				allowed = ok
			}
			if r.Method == http.MethodOptions {
				if allowed && slices.Contains(methods, r.Header.Get("Access-Control-Request-Method")) {
					hd.Set("Access-Control-Allow-Origin", origin)
					hd.Set("Access-Control-Allow-Methods", allowMethods)
					hd.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
					hd.Set("Access-Control-Max-Age", "600")
				}
				return c.NoContent(http.StatusNoContent)
			}
			if allowed {
				hd.Set("Access-Control-Allow-Origin", origin)
				hd.Set("Access-Control-Expose-Headers", "WWW-Authenticate")
			}
			return next(c)
		}
	}
}

// oidcClientOrigin reports whether origin (as a browser sends it) is the
// origin of a registered client's redirect URI.
func (h *Handler) oidcClientOrigin(c echo.Context, origin string) (bool, error) {
	o, ok := originOf(origin)
	if !ok || o != origin {
		return false, nil // "null", a path, upper case: not as a browser serialises an origin
	}
	cs, err := h.id.OIDCClients(c.Request().Context())
	if err != nil {
		return false, err
	}
	for _, cl := range cs {
		for _, u := range cl.RedirectURIs {
			if ro, ok := originOf(u); ok && ro == o {
				return true, nil
			}
		}
	}
	return false, nil
}
