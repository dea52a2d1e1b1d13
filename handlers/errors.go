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
func (h *Handler) statusOf(err error) (int, string) {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		switch he {
		case errCSRF:
			return he.Code, h.T("http.csrf")
		case errURLTooLong:
			return he.Code, h.T("http.uri_too_long")
		case errUnsupportedForm:
			return he.Code, h.T("http.form_encoding")
		case errBadInput:
			return he.Code, h.T("http.bad_input")
		}
		switch {
		case he.Code >= 500:
			return he.Code, h.T("errors.internal")
		case he.Code == http.StatusNotFound:
			return he.Code, h.T("http.not_found")
		case he.Code == http.StatusMethodNotAllowed:
			return he.Code, h.T("http.method_not_allowed")
		case he.Code == http.StatusRequestEntityTooLarge:
			return he.Code, h.T("http.too_large")
		case he.Code == http.StatusBadRequest:
			return he.Code, h.T("http.bad_request")
		}
		return he.Code, h.errorTitle(he.Code)
	}
	switch identity.ErrorCode(err) {
	case identity.EINVALID:
		return http.StatusUnprocessableEntity, h.errorText(err)
	case identity.ENOTFOUND:
		return http.StatusNotFound, h.errorText(err)
	case identity.ECONFLICT:
		return http.StatusConflict, h.errorText(err)
	case identity.EUNAUTHORIZED:
		return http.StatusForbidden, h.errorText(err)
	case identity.ERATELIMIT:
		return http.StatusTooManyRequests, h.errorText(err)
	case identity.EUNAVAILABLE:
		return http.StatusServiceUnavailable, h.errorText(err)
	}
	return http.StatusInternalServerError, h.T("errors.internal")
}

// errorTitle is the error page's title for status (the page shows the
// same heading).
func (h *Handler) errorTitle(status int) string { return pages.ErrorTitle(h.look().msgs, status) }

// handleError is echo's one error sink (CONVENTIONS 10): it maps the error
// to a status, logs internal errors with their detail, and renders the
// error page — never the error's own text.
func (h *Handler) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, msg := h.statusOf(err)
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
			msg += " " + h.waitText(d)
		}
	}
	v := pages.ErrorView{Common: h.commonSafe(c, h.errorTitle(status)), Status: status, Message: msg}
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
func (h *Handler) waitText(d time.Duration) string {
	if secs := int((d + time.Second - 1) / time.Second); secs < 60 {
		if secs == 1 {
			return h.T("http.retry_in_seconds_one", "n", secs)
		}
		return h.T("http.retry_in_seconds_other", "n", secs)
	}
	mins := int((d + time.Minute - 1) / time.Minute)
	if mins == 1 {
		return h.T("http.retry_in_minutes_one", "n", mins)
	}
	return h.T("http.retry_in_minutes_other", "n", mins)
}

// commonSafe is common for the error page: it must not fail even when the
// session or the store does not answer.
func (h *Handler) commonSafe(c echo.Context, title string) (cm pages.Common) {
	defer func() {
		if recover() != nil {
			lk := h.look()
			cm = pages.Common{Title: title, SiteName: h.opts.SiteName, CSSURL: h.url(lk.assets.URL("portal.css")), ThemeCSSURL: h.url(lk.themeCSSURL()), IconURL: h.url(lk.assets.URL("favicon.svg")), Messages: lk.msgs}
		}
	}()
	return h.common(c, title)
}
