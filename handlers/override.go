package handlers

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/labstack/echo/v4"
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
// middleware. Helpers gives the replacement Portal's machinery (views,
// Render, SignIn, …).
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
