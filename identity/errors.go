// Package identity is Portal's domain: accounts, passwords, lockout, tokens.
// It knows no HTTP and no SQL: handlers call it, and it persists through the
// store interfaces.
package identity

import (
	"errors"
	"fmt"
	"time"

	"github.com/accountportal/portal/store"
)

// Error codes: the one vocabulary that handlers map to HTTP statuses.
const (
	EINVALID      = "invalid"      // input fails validation (422)
	ENOTFOUND     = "not_found"    // no such thing (404)
	ECONFLICT     = "conflict"     // it exists already (409, or a field error)
	EUNAUTHORIZED = "unauthorized" // credentials wrong, or not allowed (401/403)
	ERATELIMIT    = "rate_limit"   // too many attempts (429)
	EUNAVAILABLE  = "unavailable"  // busy, try again shortly (503)
	EINTERNAL     = "internal"     // a bug or an outage (500)
)

// Error is an error with a code and a message that is safe to show to the
// person using the site. Fields holds per-field messages for EINVALID.
type Error struct {
	Code    string
	Message string
	Fields  map[string]string
	Err     error // the cause, for the log; never shown
	// RetryAfter says when to try again (ERATELIMIT, EUNAVAILABLE).
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("identity %s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("identity %s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with code and a formatted, user-safe message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError is an EINVALID error about one form field.
func FieldError(field, message string) *Error {
	return &Error{Code: EINVALID, Message: message, Fields: map[string]string{field: message}}
}

// ErrorCode returns the code of err: the code of an *Error in its chain,
// ENOTFOUND/ECONFLICT for the store's errors, otherwise EINTERNAL.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	case errors.Is(err, store.ErrNotFound):
		return ENOTFOUND
	case errors.Is(err, store.ErrConflict):
		return ECONFLICT
	default:
		return EINTERNAL
	}
}

// RetryAfter returns when err says to try again, or 0.
func RetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// ErrorMessage returns the user-safe message of err.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Message != "" {
		return e.Message
	}
	switch ErrorCode(err) {
	case ENOTFOUND:
		return "We could not find what you were looking for."
	case ECONFLICT:
		return "That already exists."
	}
	return "Something went wrong on our side. Please try again in a moment."
}

// internal wraps an unexpected error (a store outage, a bug).
func internal(err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: EINTERNAL, Message: "Something went wrong on our side. Please try again in a moment.", Err: err}
}
