package handlers

import (
	"strings"

	"github.com/labstack/echo/v4"
)

// formAction is the CSP form-action source list: this origin, and the
// external login providers the login form's redirect goes to (browsers
// apply form-action to the redirects that follow a form submission).
func (h *Handler) formAction() string {
	return strings.Join(append([]string{"'self'"}, h.providers.formOrigins()...), " ")
}

// ctxNonce holds the request's CSP nonce.
const ctxNonce = "portal.nonce"

// cspParts returns the Content-Security-Policy header around its nonce:
// the policy is head + nonce + tail. Only the nonce changes per response,
// so New builds the rest once (the providers are fixed by then).
func (h *Handler) cspParts() (head, tail string) {
	head = "default-src 'self'; script-src 'self' 'nonce-"
	tail = "'; " + strings.Join([]string{
		"style-src 'self'",
		"img-src 'self' data:",
		"object-src 'none'",
		"base-uri 'none'",
		"frame-ancestors 'none'",
		"form-action " + h.formAction(),
	}, "; ")
	return head, tail
}

// securityHeaders sets the headers of BRW-01..05 on every response, errors
// included: a CSP with a fresh nonce per response, no framing, nosniff, a
// strict referrer policy, COOP, HSTS on https, and no caching of anything
// but static files (which set their own Cache-Control).
func (h *Handler) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		nonce := randomString(16)
		c.Set(ctxNonce, nonce)
		hd := c.Response().Header()
		hd.Set("Content-Security-Policy", h.cspHead+nonce+h.cspTail)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		if h.secure {
			hd.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		hd.Set("Cache-Control", "no-store")
		return next(c)
	}
}
