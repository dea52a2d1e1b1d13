// Package identity is Portal's domain: accounts, passwords, lockout, tokens.
// It knows no HTTP and no SQL: handlers call it, and it persists through the
// store interfaces.
package identity

import (
	"errors"
	"fmt"
	"time"

	"github.com/accountportal/portal/messages"
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
	// Key is Message's key in the message catalogue (package messages)
	// and Args the values of its {placeholders}, as name/value pairs;
	// Text shows the catalogue's wording for it, so a theme's
	// messages.toml can change it. Empty when Message is plain text
	// (FieldError, Errorf).
	Key  string
	Args []any
	// Plural marks Key as a plural message's base key
	// ("errors.locked_out" for _one, _other, …), shown in the form of
	// Count by the catalogue's language's rules.
	Plural bool
	Count  int
	Fields map[string]string
	// fieldMsgs are the catalogue keys of Fields' messages (fieldsErr).
	fieldMsgs map[string]message
	Err       error // the cause, for the log; never shown
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

// errKey is an *Error with code whose message is the catalogue's key,
// with args for its placeholders (name/value pairs).
func errKey(code, key string, args ...any) *Error {
	return &Error{Code: code, Message: messages.Default().T(key, args...), Key: key, Args: args}
}

// errPlural is errKey for a plural message (its base key) in the form of
// the count n.
func errPlural(code, key string, n int, args ...any) *Error {
	return &Error{Code: code, Message: messages.Default().N(key, n, args...), Key: key, Args: args, Plural: true, Count: n}
}

// fieldErr is an EINVALID error about one form field whose message is
// the catalogue's key.
func fieldErr(field, key string, args ...any) *Error {
	e := errKey(EINVALID, key, args...)
	e.Fields = map[string]string{field: e.Message}
	return e
}

// message is a catalogue message: its key and the values of its
// {placeholders} as name/value pairs. The zero message means "no
// message" (the validators return it when the input is fine).
type message struct {
	Key  string
	Args []any
	// Plural: Key is the base key of a plural message, in the form of
	// Count.
	Plural bool
	Count  int
}

func (m message) ok() bool { return m.Key == "" }

// text is m in the catalogue c (nil: the built-in wording); "" for the
// zero message.
func (m message) text(c *messages.Catalog) string {
	if m.Key == "" {
		return ""
	}
	if m.Plural {
		return c.N(m.Key, m.Count, m.Args...)
	}
	return c.T(m.Key, m.Args...)
}

// msgErr is fieldErr for a message a validator returned.
func msgErr(field string, m message) *Error {
	if !m.Plural {
		return fieldErr(field, m.Key, m.Args...)
	}
	e := errPlural(EINVALID, m.Key, m.Count, m.Args...)
	e.Fields = map[string]string{field: e.Message}
	e.fieldMsgs = map[string]message{field: m}
	return e
}

// fieldsErr is an EINVALID error about several form fields ("Please
// correct the marked fields." with a message per field).
func fieldsErr(fields map[string]message) *Error {
	e := errKey(EINVALID, "errors.correct_fields")
	e.Fields = make(map[string]string, len(fields))
	for k, m := range fields {
		e.Fields[k] = m.text(nil)
	}
	e.fieldMsgs = fields
	return e
}

// Text returns the message of e in the catalogue c (nil: the built-in
// wording): the catalogue's text for Key, or Message.
func (e *Error) Text(c *messages.Catalog) string {
	if e.Key == "" {
		return e.Message
	}
	if e.Plural {
		return c.N(e.Key, e.Count, e.Args...)
	}
	return c.T(e.Key, e.Args...)
}

// FieldTexts returns the per-field messages of e in the catalogue c: a
// field whose message is e's own gets the catalogue's wording of it.
func (e *Error) FieldTexts(c *messages.Catalog) map[string]string {
	out := make(map[string]string, len(e.Fields))
	for k, v := range e.Fields {
		if m, ok := e.fieldMsgs[k]; ok && !m.ok() && v == m.text(nil) {
			v = m.text(c)
		} else if e.Key != "" && v == e.Message {
			v = e.Text(c)
		}
		out[k] = v
	}
	return out
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

// ErrorMessage returns the user-safe message of err, in the built-in
// wording.
func ErrorMessage(err error) string { return ErrorText(err, nil) }

// ErrorText returns the user-safe message of err in the catalogue c (nil:
// the built-in wording).
func ErrorText(err error, c *messages.Catalog) string {
	var e *Error
	if errors.As(err, &e) && e.Message != "" {
		return e.Text(c)
	}
	switch ErrorCode(err) {
	case ENOTFOUND:
		return c.T("errors.not_found")
	case ECONFLICT:
		return c.T("errors.conflict")
	}
	return c.T("errors.internal")
}

// internal wraps an unexpected error (a store outage, a bug).
func internal(err error) error {
	if err == nil {
		return nil
	}
	e := errKey(EINTERNAL, "errors.internal")
	e.Err = err
	return e
}
