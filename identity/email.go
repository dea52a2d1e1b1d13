package identity

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Limits on an email address (RFC 5321 §4.5.3.1).
const (
	maxEmailLength     = 254
	maxEmailLocalBytes = 64
)

// NormalizeEmail is the form an address is unique under: trimmed, lower
// case, NFC. Two addresses that differ only in case or Unicode composition
// are one account (REG-02). NFC comes after lower-casing: lower-casing can
// make a sequence NFC composes further ("T" + U+0308 has no precomposed
// form, "t" + U+0308 is U+1E97), so the result is a fixed point.
func NormalizeEmail(email string) string {
	return norm.NFC.String(strings.ToLower(norm.NFC.String(strings.TrimSpace(email))))
}

// ValidateEmail checks that email is one plain address (no display name,
// no comments), of sane length, with a dotted domain. It returns a message
// for the user (in the built-in wording), or "".
func ValidateEmail(email string) string { return validateEmail(email).text(nil) }

// validateEmail is ValidateEmail as a catalogue message.
func validateEmail(email string) message {
	email = strings.TrimSpace(email)
	switch {
	case email == "":
		return message{Key: "errors.email_required"}
	case !utf8.ValidString(email) || strings.IndexFunc(email, unicode.IsControl) >= 0 || hasBidiControl(email):
		return message{Key: "errors.email_bad_chars"}
	case utf8.RuneCountInString(email) > maxEmailLength:
		return message{Key: "errors.email_too_long"}
	}
	invalid := message{Key: "errors.email_invalid"}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Name != "" || addr.Address != email {
		return invalid
	}
	at := strings.LastIndexByte(email, '@')
	local, domain := email[:at], email[at+1:]
	if len(local) > maxEmailLocalBytes {
		return message{Key: "errors.email_too_long"}
	}
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") ||
		strings.Contains(domain, "..") || strings.ContainsAny(domain, "[]") {
		return invalid
	}
	for _, label := range strings.Split(domain, ".") {
		if label == "" || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return invalid
		}
	}
	return message{}
}
