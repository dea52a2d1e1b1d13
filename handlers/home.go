package handlers

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accountportal/portal/pages"
)

func (h *Handler) handleHome(c echo.Context) error {
	v := pages.HomeView{Common: h.common(c, h.T(c, "home.title")), RegistrationOpen: h.id.RegistrationOpen()}
	return h.renderPage(c, http.StatusOK, "home", v)
}

func (h *Handler) handleLockout(c echo.Context) error {
	v := pages.LockoutView{Common: h.common(c, h.T(c, "lockout.title")), LockoutMinutes: int(h.id.Settings().LockoutDuration / time.Minute)}
	return h.renderPage(c, http.StatusOK, "lockout", v)
}

func (h *Handler) handleAccessDenied(c echo.Context) error {
	v := pages.AccessDeniedView{Common: h.common(c, h.T(c, "access-denied.title"))}
	return h.renderPage(c, http.StatusForbidden, "access-denied", v)
}

// handleHealth answers 200 when the database (and Redis, when used)
// answers within two seconds.
func (h *Handler) handleHealth(c echo.Context) error {
	return h.probe(c, h.opts.Ping)
}

// handleReady is handleHealth plus: the schema is up to date (503 while
// another instance migrates the database).
func (h *Handler) handleReady(c echo.Context) error {
	if h.opts.Ready == nil {
		return h.probe(c, h.opts.Ping)
	}
	return h.probe(c, h.opts.Ready)
}

func (h *Handler) probe(c echo.Context, check func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := check(ctx); err != nil {
		h.log.ErrorContext(ctx, "health check failed", "path", c.Request().URL.Path, "err", err)
		return c.String(http.StatusServiceUnavailable, "unavailable\n")
	}
	return c.String(http.StatusOK, "ok\n")
}

func (h *Handler) handleStatic(c echo.Context) error {
	if !h.look().assets.ServeFile(c.Response(), c.Request(), strings.TrimPrefix(c.Param("*"), "/")) {
		return echo.ErrNotFound
	}
	return nil
}
