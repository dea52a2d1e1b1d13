package handlers

import (
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
)

// Input limits (REL-08..11).
const (
	maxURLLength   = 4096 // bytes of path and query
	maxFieldBytes  = 4096 // one form value (passwords are ≤ 128 characters; identity checks each field's own limit)
	maxFormFields  = 32
	maxFieldValues = 4
)

// The answers of checkInput; statusOf gives each its message (http.…).
var (
	errURLTooLong      = echo.NewHTTPError(http.StatusRequestURITooLong)
	errUnsupportedForm = echo.NewHTTPError(http.StatusUnsupportedMediaType)
	errBadInput        = echo.NewHTTPError(http.StatusUnprocessableEntity)
)

// checkInput refuses, before any handler or the database sees them, URLs
// longer than maxURLLength (414) and posted forms with invalid UTF-8, NUL or
// other control characters, overlong values or too many fields (422).
func (h *Handler) checkInput(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if len(r.URL.RawPath)+len(r.URL.Path)+len(r.URL.RawQuery) > maxURLLength {
			return errURLTooLong
		}
		// Query strings are not checked for characters: a bad returnUrl is
		// ignored (BRW-08), a bad link code is an invalid link.
		if r.Method == http.MethodPost {
			// Every form of Portal posts application/x-www-form-urlencoded
			// (the route contract); anything else is refused plainly.
			if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
				return errUnsupportedForm
			}
			if err := r.ParseForm(); err != nil {
				return errBadInput
			}
			if len(r.PostForm) > maxFormFields || !validValues(r.PostForm) {
				return errBadInput
			}
		}
		return next(c)
	}
}

func validValues(vs map[string][]string) bool {
	for k, values := range vs {
		if !validText(k, 64) || len(values) > maxFieldValues {
			return false
		}
		for _, v := range values {
			if !validText(v, maxFieldBytes) {
				return false
			}
		}
	}
	return true
}

// validText: valid UTF-8, no control characters (tab, CR and LF included:
// no field of Portal's is multi-line), at most max bytes.
func validText(s string, max int) bool {
	if len(s) > max || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return false
		}
	}
	return true
}
