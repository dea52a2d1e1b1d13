package handlers

import (
	"log/slog"
	"time"

	"github.com/labstack/echo/v4"
)

// accessLog logs one line per request: method, path (never the query,
// which may hold tokens), status and duration. Errors are rendered here, so
// the logged status is the one sent.
func (h *Handler) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h.served.Add(1)
		start := time.Now()
		if err := next(c); err != nil {
			c.Error(err)
		}
		r := c.Request()
		status := c.Response().Status
		level := slog.LevelDebug
		switch {
		case status >= 500:
			level = slog.LevelError
		case status >= 400:
			level = slog.LevelInfo
		}
		if !h.log.Enabled(r.Context(), level) {
			return nil // (skips building the attributes: debug lines are off by default)
		}
		h.log.LogAttrs(r.Context(), level, "request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", status), slog.Duration("duration", time.Since(start)))
		return nil
	}
}

// logPanic logs a recovered panic with its stack; the error handler then
// renders a 500 page.
func (h *Handler) logPanic(c echo.Context, err error, stack []byte) error {
	h.log.ErrorContext(c.Request().Context(), "panic", "err", err, "path", c.Request().URL.Path, "stack", string(stack))
	return err
}
