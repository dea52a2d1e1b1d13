package handlers

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
)

// RequestIDHeader carries a request's id in the response, so that a person
// reporting an error and the operator reading the log mean the same
// request (LOG-03).
const RequestIDHeader = "X-Request-Id"

type requestIDKey struct{}

// RequestID is the id of the request ctx belongs to, or "" outside one.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// newRequestID returns 16 hex digits. An id names a request in the log;
// it guards nothing, so the runtime's fast per-thread generator will do.
func newRequestID() string {
	var b [16]byte
	s := strconv.AppendUint(b[:0], rand.Uint64()|1<<63, 16) // always 16 digits
	return string(s)
}

// LogHandler wraps h so that every record logged with a request's context
// — the access line, a security event, an internal error — carries that
// request's id as request_id. portal.New wraps the configured logger in it.
func LogHandler(h slog.Handler) slog.Handler {
	if _, ok := h.(requestIDHandler); ok {
		return h
	}
	return requestIDHandler{h}
}

type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(as)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

// routeUnmatched is the route of a request no route matched: the label
// must not be the requested path (any string a client sends).
const routeUnmatched = "unmatched"

// accessLog gives the request its id (X-Request-Id, and its context for
// every log line), then logs one line per request: method, route pattern
// (never the path's values or the query, which may hold tokens), status
// and duration; and hands the same to Options.ObserveRequest (metrics).
// Errors are rendered here, so the logged status is the one sent; it runs
// outside the panic recovery, so a panic's 500 is logged and counted too.
func (h *Handler) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h.served.Add(1)
		start := time.Now()
		id := newRequestID()
		r := c.Request()
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id))
		c.SetRequest(r)
		c.Response().Header().Set(RequestIDHeader, id)
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		status := c.Response().Status
		d := time.Since(start)
		route := c.Path()
		if h.base != "" && route != "" {
			route = h.portalPath(route) // the same route names under a base path
		}
		unmatched := route == "" || err == echo.ErrNotFound //nolint:errorlint // the router's own value
		if unmatched {
			route = routeUnmatched
		}
		if h.opts.ObserveRequest != nil {
			h.opts.ObserveRequest(route, r.Method, status, d)
		}
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
		attrs := []slog.Attr{slog.String("method", r.Method), slog.String("route", route),
			slog.Int("status", status), slog.Duration("duration", d)}
		if unmatched {
			// Which path was asked for (never the query) helps to spot a
			// scanner or a broken link.
			attrs = append(attrs, slog.String("path", r.URL.Path))
		}
		h.log.LogAttrs(r.Context(), level, "request", attrs...)
		return nil
	}
}

// logPanic logs a recovered panic with its stack; the error handler then
// renders a 500 page.
func (h *Handler) logPanic(c echo.Context, err error, stack []byte) error {
	h.log.ErrorContext(c.Request().Context(), "panic", "err", err, "route", c.Path(), "stack", string(stack))
	return err
}
