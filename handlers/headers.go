package handlers

import (
	"net/http"
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

// everyResponse are the security headers of every response, with
// canonical keys, set by map assignment: http.Header.Set would check each
// key and allocate a value slice per response. The slices are shared
// between responses and have len == cap, so an Add elsewhere copies
// rather than writes into them; nothing writes into a header's value slice
// in place.
var everyResponse = []headerValue{
	{"X-Content-Type-Options", []string{"nosniff"}},
	{"Cache-Control", []string{"no-store"}},
}

// documentHeaders are the headers that govern a document a browser
// shows (framing, the referrer its links send, its browsing context group,
// the features its scripts may use): on every page, error pages included,
// and on every response of a route that may answer with one. The
// applications' checks (isAppCheck) answer a program in JSON and headers,
// never a page, so they leave these out unless one renders an error page
// (cspNonce adds them then): they answer every API call of the
// application, and leaving these out took their throughput from 0.43x to
// 0.46x of the bare-echo baseline (issue 19; docs/performance.md).
var documentHeaders = []headerValue{
	{"X-Frame-Options", []string{"DENY"}},
	{"Referrer-Policy", []string{"strict-origin-when-cross-origin"}},
	{"Cross-Origin-Opener-Policy", []string{"same-origin"}},
	{"Permissions-Policy", []string{"camera=(), microphone=(), geolocation=(), payment=()"}},
}

// appCheckCSP is the policy of the applications' checks: their answers
// are data, never a document, so nothing may load from or frame them
// (OWASP's REST Security Cheat Sheet: default-src 'none' and
// frame-ancestors 'none' for API responses).
var appCheckCSP = []string{"default-src 'none'; frame-ancestors 'none'"}

var hstsHeader = []string{"max-age=63072000; includeSubDomains"}

// headerValue is a header with its canonical key and a shared value.
type headerValue struct {
	key   string
	value []string
}

// setHeaders assigns each header of hs (shared values, len == cap).
func setHeaders(hd http.Header, hs []headerValue) {
	for _, sh := range hs {
		hd[sh.key] = sh.value[:1:1]
	}
}

// cspNonce is the request's CSP nonce, made (and put in the
// Content-Security-Policy header) when the first page of the response
// asks for it: fresh for every response that renders a page (BRW-03).
func (h *Handler) cspNonce(c echo.Context) string {
	if n, ok := c.Get(ctxNonce).(string); ok {
		return n
	}
	n := randomString(16)
	c.Set(ctxNonce, n)
	hd := c.Response().Header()
	hd["Content-Security-Policy"] = []string{h.cspHead + n + h.cspTail}
	if h.isAppCheck(c) {
		setHeaders(hd, documentHeaders) // an error page on a check's route
	}
	return n
}

// securityHeaders sets the headers of BRW-01..05 on every response, errors
// included: a CSP (with a fresh nonce for every page), no framing, nosniff, a
// strict referrer policy, COOP, HSTS on https, and no caching of anything
// but static files (which set their own Cache-Control). The applications'
// checks get the headers of every response and a CSP of their own, but
// not the document's (documentHeaders).
func (h *Handler) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		hd := c.Response().Header()
		setHeaders(hd, everyResponse)
		if h.isAppCheck(c) {
			hd["Content-Security-Policy"] = appCheckCSP[:1:1]
		} else {
			hd["Content-Security-Policy"] = h.cspNoNonce
			setHeaders(hd, documentHeaders)
		}
		if h.secure {
			hd["Strict-Transport-Security"] = hstsHeader[:1:1]
		}
		return next(c)
	}
}
