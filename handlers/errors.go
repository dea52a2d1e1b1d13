package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/pages"
)

func asIdentityError(err error, target **identity.Error) bool { return errors.As(err, target) }

// statusOf maps an error to a status and a message safe to show, in the
// catalogue's wording.
func (h *Handler) statusOf(c echo.Context, err error) (int, string) {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		switch he {
		case errCSRF:
			return he.Code, h.T(c, "http.csrf")
		case errURLTooLong:
			return he.Code, h.T(c, "http.uri_too_long")
		case errUnsupportedForm:
			return he.Code, h.T(c, "http.form_encoding")
		case errBadInput:
			return he.Code, h.T(c, "http.bad_input")
		}
		switch {
		case he.Code >= 500:
			return he.Code, h.T(c, "errors.internal")
		case he.Code == http.StatusNotFound:
			return he.Code, h.T(c, "http.not_found")
		case he.Code == http.StatusMethodNotAllowed:
			return he.Code, h.T(c, "http.method_not_allowed")
		case he.Code == http.StatusRequestEntityTooLarge:
			return he.Code, h.T(c, "http.too_large")
		case he.Code == http.StatusBadRequest:
			return he.Code, h.T(c, "http.bad_request")
		}
		return he.Code, h.errorTitle(c, he.Code)
	}
	switch identity.ErrorCode(err) {
	case identity.EINVALID:
		return http.StatusUnprocessableEntity, h.errorText(c, err)
	case identity.ENOTFOUND:
		return http.StatusNotFound, h.errorText(c, err)
	case identity.ECONFLICT:
		return http.StatusConflict, h.errorText(c, err)
	case identity.EUNAUTHORIZED:
		return http.StatusForbidden, h.errorText(c, err)
	case identity.ERATELIMIT:
		return http.StatusTooManyRequests, h.errorText(c, err)
	case identity.EUNAVAILABLE:
		return http.StatusServiceUnavailable, h.errorText(c, err)
	}
	return http.StatusInternalServerError, h.T(c, "errors.internal")
}

// errorTitle is the error page's title for status (the page shows the
// same heading).
func (h *Handler) errorTitle(c echo.Context, status int) string {
	return pages.ErrorTitle(h.cat(c), status)
}

// handleError is echo's one error sink (CONVENTIONS 10): it maps the error
// to a status, logs internal errors with their detail, and renders the
// error page — never the error's own text.
func (h *Handler) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, msg := h.statusOf(c, err)
	if status >= 500 {
		h.log.ErrorContext(c.Request().Context(), "request failed", "route", c.Path(), "status", status, "err", err)
	}
	if status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests {
		secs := int(identity.RetryAfter(err).Seconds() + 0.999)
		if secs < 1 {
			secs = 5
		}
		c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
	}
	if c.Request().Method == http.MethodHead {
		if err := c.NoContent(status); err != nil {
			h.log.Error("writing error response", "err", err)
		}
		return
	}
	if status == http.StatusTooManyRequests {
		// Say how long to wait, as Retry-After does (issue 18 item 10).
		if d := identity.RetryAfter(err); d > 0 {
			msg += " " + h.waitText(c, d)
		}
	}
	v := pages.ErrorView{Common: h.commonSafe(c, h.errorTitle(c, status)), Status: status, Message: msg}
	if status >= 500 {
		// The id the log line of this failure carries (LOG-03).
		v.RequestID = RequestID(c.Request().Context())
	}
	if rerr := h.renderPage(c, status, "error", v); rerr != nil {
		h.log.Error("rendering error page", "err", rerr)
		if !c.Response().Committed {
			_ = c.String(status, msg)
		}
	}
}

// waitText is "Try again in N seconds/minutes." for d, rounded up.
func (h *Handler) waitText(c echo.Context, d time.Duration) string {
	if secs := int((d + time.Second - 1) / time.Second); secs < 60 {
		return h.cat(c).N("http.retry_in_seconds", secs, "n", secs)
	}
	mins := int((d + time.Minute - 1) / time.Minute)
	return h.cat(c).N("http.retry_in_minutes", mins, "n", mins)
}

// commonSafe is common for the error page: it must not fail even when the
// session or the store does not answer.
func (h *Handler) commonSafe(c echo.Context, title string) (cm pages.Common) {
	defer func() {
		if recover() != nil {
			lk := h.look()
			cm = pages.Common{Title: title, SiteName: h.opts.SiteName, CSSURL: h.url(lk.assets.URL("portal.css")), ThemeCSSURL: h.url(lk.themeCSSURL()), IconURL: h.url(lk.assets.URL("favicon.svg")), Messages: h.cat(c)}
		}
	}()
	return h.common(c, title)
}
