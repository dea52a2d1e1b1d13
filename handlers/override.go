package handlers

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/labstack/echo/v4"

	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/pages"
)

// overrides holds handlers registered with OverrideHandler.
type overrides struct {
	mu     sync.Mutex      // guards routes and the writers of byKey
	routes map[string]bool // every route, "METHOD /path"
	// byKey are the overrides, copied on write: every request reads it, so
	// a read is one atomic load rather than a lock.
	byKey atomic.Pointer[map[string]echo.HandlerFunc]
}

// overridable returns the route's handler: an override when one is
// registered (looked up per request, so it may be set before or after the
// server starts), the built-in one otherwise. The route's middleware
// (session, CSRF, sign-in checks) runs either way.
func (h *Handler) overridable(key string, builtin echo.HandlerFunc) echo.HandlerFunc {
	h.over.mu.Lock()
	if h.over.routes == nil {
		h.over.routes = map[string]bool{}
	}
	h.over.routes[key] = true
	h.over.mu.Unlock()
	return func(c echo.Context) error {
		if m := h.over.byKey.Load(); m != nil {
			if fn := (*m)[key]; fn != nil {
				return fn(c)
			}
		}
		return builtin(c)
	}
}

// OverrideHandler replaces the handler of one route, named "METHOD /path"
// as in routes.go (e.g. "POST /account/register"). The route keeps its
// middleware. Use the exported helpers (Identity, Render, SignIn, …) to
// reuse Portal's machinery.
func (h *Handler) OverrideHandler(route string, fn echo.HandlerFunc) error {
	if fn == nil {
		return fmt.Errorf("override %q: nil handler", route)
	}
	h.over.mu.Lock()
	defer h.over.mu.Unlock()
	if !h.over.routes[route] {
		var known []string
		for r := range h.over.routes {
			known = append(known, r)
		}
		sort.Strings(known)
		return fmt.Errorf("override: no route %q; routes are: %s", route, strings.Join(known, ", "))
	}
	next := map[string]echo.HandlerFunc{route: fn}
	if cur := h.over.byKey.Load(); cur != nil {
		for k, v := range *cur {
			if k != route {
				next[k] = v
			}
		}
	}
	h.over.byKey.Store(&next)
	return nil
}

// --- Helpers for handlers written outside Portal (OverrideHandler) ---

// Identity is the domain service.
func (h *Handler) Identity() *identity.Service { return h.id }

// CurrentUser is the signed-in user of the request, or nil.
func (h *Handler) CurrentUser(c echo.Context) *identity.User { return currentUser(c) }

// Client is who made the request (IP, user agent), for identity calls.
func (h *Handler) Client(c echo.Context) identity.Client { return clientOf(c) }

// Common builds what every page's view model embeds (user, CSRF token,
// status message, …). Call it once per rendered page.
func (h *Handler) Common(c echo.Context, title string) pages.Common { return h.common(c, title) }

// Render renders page name (theme and Go overrides included) with view.
func (h *Handler) Render(c echo.Context, status int, name string, view pages.View) error {
	return h.renderPage(c, status, name, view)
}

// Redirect answers 303 See Other (after committing the session).
func (h *Handler) Redirect(c echo.Context, to string) error { return h.redirect(c, to) }

// SignIn starts a signed-in session for u.
func (h *Handler) SignIn(c echo.Context, u *identity.User, remember bool) error {
	return h.signIn(c, u, identity.SessionOptions{Remember: remember})
}

// SetFlash sets the one-shot status message of the next page.
func (h *Handler) SetFlash(c echo.Context, msg string, isError bool) { h.setFlash(c, msg, isError) }

// FieldErrors returns the per-field messages of an identity validation
// error (and its form-level message), and whether err is one.
func (h *Handler) FieldErrors(err error) (pages.FieldErrors, string, bool) { return h.fieldErrors(err) }

// ReturnTo is the safe place to go after an action: raw when it is a local
// path (BRW-08), "/" otherwise.
func ReturnTo(raw string) string { return returnTo(raw) }

// Unprocessable is the status of a form that failed validation.
const Unprocessable = http.StatusUnprocessableEntity
