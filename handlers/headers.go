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

// staticHeaders are the security headers whose value never changes, with
// canonical keys, set by map assignment: http.Header.Set would check each
// key and allocate a value slice per response. The slices are shared
// between responses and have len == cap, so an Add elsewhere copies
// rather than writes into them; nothing writes into a header's value slice
// in place.
var staticHeaders = []struct {
	key   string
	value []string
}{
	{"X-Content-Type-Options", []string{"nosniff"}},
	{"X-Frame-Options", []string{"DENY"}},
	{"Referrer-Policy", []string{"strict-origin-when-cross-origin"}},
	{"Cross-Origin-Opener-Policy", []string{"same-origin"}},
	{"Permissions-Policy", []string{"camera=(), microphone=(), geolocation=(), payment=()"}},
	{"Cache-Control", []string{"no-store"}},
}

var hstsHeader = []string{"max-age=63072000; includeSubDomains"}

// cspNonce is the request's CSP nonce, made (and put in the
// Content-Security-Policy header) when the first page of the response
// asks for it: fresh for every response that renders a page (BRW-03).
func (h *Handler) cspNonce(c echo.Context) string {
	if n, ok := c.Get(ctxNonce).(string); ok {
		return n
	}
	n := randomString(16)
	c.Set(ctxNonce, n)
	c.Response().Header()["Content-Security-Policy"] = []string{h.cspHead + n + h.cspTail}
	return n
}

// securityHeaders sets the headers of BRW-01..05 on every response, errors
// included: a CSP (with a fresh nonce for every page), no framing, nosniff, a
// strict referrer policy, COOP, HSTS on https, and no caching of anything
// but static files (which set their own Cache-Control).
func (h *Handler) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	// Without a nonce until a page asks for one (cspNonce): a redirect, a
	// JSON answer or a file runs no script of its own, and the policy is
	// otherwise the same. len == cap, as staticHeaders.
	noNonce := h.cspHead[:strings.LastIndex(h.cspHead, " 'nonce-")] + h.cspTail[1:]
	static := []string{noNonce}[:1:1]
	return func(c echo.Context) error {
		hd := c.Response().Header()
		hd["Content-Security-Policy"] = static
		for _, sh := range staticHeaders {
			hd[sh.key] = sh.value[:1:1]
		}
		if h.secure {
			hd["Strict-Transport-Security"] = hstsHeader[:1:1]
		}
		return next(c)
	}
}
