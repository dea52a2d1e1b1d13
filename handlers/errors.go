package handlers

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/pages"
)

func asIdentityError(err error, target **identity.Error) bool { return errors.As(err, target) }

// statusOf maps an error to a status and a message safe to show.
func (h *Handler) statusOf(err error) (int, string) {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		msg := http.StatusText(he.Code)
		if s, ok := he.Message.(string); ok && he.Internal == nil && s != msg && he.Code < 500 {
			return he.Code, s // our own messages (CSRF, bad input, too long)
		}
		switch he.Code {
		case http.StatusNotFound:
			msg = "We could not find that page."
		case http.StatusMethodNotAllowed:
			msg = "This page does not accept that kind of request."
		case http.StatusRequestEntityTooLarge:
			msg = "What you sent is too large."
		case http.StatusForbidden:
			if s, ok := he.Message.(string); ok {
				msg = s
			}
		case http.StatusBadRequest:
			if s, ok := he.Message.(string); ok && he.Internal == nil {
				msg = s
			} else {
				msg = "The request could not be understood."
			}
		}
		if he.Code >= 500 {
			msg = "Something went wrong on our side. Please try again in a moment."
		}
		return he.Code, msg
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
	return http.StatusInternalServerError, "Something went wrong on our side. Please try again in a moment."
}

var errorTitles = map[int]string{
	http.StatusBadRequest:            "Bad request",
	http.StatusForbidden:             "Access denied",
	http.StatusNotFound:              "Page not found",
	http.StatusMethodNotAllowed:      "Method not allowed",
	http.StatusConflict:              "Conflict",
	http.StatusRequestEntityTooLarge: "Too large",
	http.StatusRequestURITooLong:     "Address too long",
	http.StatusUnprocessableEntity:   "Invalid input",
	http.StatusTooManyRequests:       "Too many requests",
	http.StatusServiceUnavailable:    "Try again shortly",
	http.StatusInternalServerError:   "Something went wrong",
}

// handleError is echo's one error sink (CONVENTIONS 10): it maps the error
// to a status, logs internal errors with their detail, and renders the
// error page — never the error's own text.
func (h *Handler) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, msg := h.statusOf(err)
	if status >= 500 {
		h.log.ErrorContext(c.Request().Context(), "request failed", "path", c.Request().URL.Path, "status", status, "err", err)
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
	title := errorTitles[status]
	if title == "" {
		title = "Error " + strconv.Itoa(status)
	}
	v := pages.ErrorView{Common: h.commonSafe(c, title), Status: status, Message: msg}
	if rerr := h.renderPage(c, status, "error", v); rerr != nil {
		h.log.Error("rendering error page", "err", rerr)
		if !c.Response().Committed {
			_ = c.String(status, msg)
		}
	}
}

// commonSafe is common for the error page: it must not fail even when the
// session or the store does not answer.
func (h *Handler) commonSafe(c echo.Context, title string) (cm pages.Common) {
	defer func() {
		if recover() != nil {
			cm = pages.Common{Title: title, SiteName: h.opts.SiteName, CSSURL: h.assets.URL("portal.css"), IconURL: h.assets.URL("favicon.svg"), Messages: h.msgs}
		}
	}()
	return h.common(c, title)
}
