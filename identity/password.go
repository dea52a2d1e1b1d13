package identity

import (
	"bufio"
	_ "embed"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// PasswordPolicy is docs/security.md decision 1: a minimum and a maximum length
// in code points, no composition rules, NFC, no common passwords, not the
// account's own email.
type PasswordPolicy struct {
	MinLength int // code points; default 8
	MaxLength int // code points; default 128
}

// DefaultPasswordPolicy is Portal's default.
var DefaultPasswordPolicy = PasswordPolicy{MinLength: 8, MaxLength: 128}

// NormalizePassword is the form a password is hashed in: NFC, so that the
// same characters typed on different keyboards match (PWD-02). Nothing is
// trimmed or truncated.
func NormalizePassword(p string) string { return norm.NFC.String(p) }

// Check returns a message saying why password is not acceptable for an
// account with this email, or "" (in the built-in wording; the errors
// identity returns carry the catalogue key).
func (p PasswordPolicy) Check(password, email string) string {
	return p.check(password, email).text(nil)
}

// check is Check as a catalogue message (the zero message: acceptable).
func (p PasswordPolicy) check(password, email string) message {
	if password == "" {
		return message{Key: "errors.password_required"}
	}
	if !utf8.ValidString(password) {
		return message{Key: "errors.password_bad_chars"}
	}
	for _, r := range password {
		if unicode.IsControl(r) {
			return message{Key: "errors.password_control_chars"}
		}
	}
	pw := NormalizePassword(password)
	n := utf8.RuneCountInString(pw)
	if n < p.MinLength {
		return minLength(p.MinLength)
	}
	if n > p.MaxLength {
		return maxLength(p.MaxLength)
	}
	lower := strings.ToLower(pw)
	if IsCommonPassword(lower) {
		return message{Key: "errors.password_common"}
	}
	if e := NormalizeEmail(email); e != "" {
		local, _, _ := strings.Cut(e, "@")
		if strings.Contains(lower, e) || lower == local || (len(local) >= 4 && strings.TrimRight(lower, "0123456789!.?") == local) {
			return message{Key: "errors.password_contains_email"}
		}
	}
	return message{}
}

// minLength is "Use at least {min} characters." (one/other).
func minLength(n int) message {
	if n == 1 {
		return message{Key: "errors.min_length_one", Args: []any{"min", n}}
	}
	return message{Key: "errors.min_length_other", Args: []any{"min", n}}
}

// maxLength is "Use at most {max} characters." (one/other).
func maxLength(n int) message {
	if n == 1 {
		return message{Key: "errors.max_length_one", Args: []any{"max", n}}
	}
	return message{Key: "errors.max_length_other", Args: []any{"max", n}}
}

//go:embed common_passwords.txt
var commonPasswordsFile string

var (
	commonOnce      sync.Once
	commonPasswords map[string]struct{}
)

// IsCommonPassword reports whether the lower-cased password is in the
// bundled list of common and breached passwords (docs/security.md decision 5:
// offline, no network call). The list is loaded on first use, keeping it
// out of the start-up path.
func IsCommonPassword(lower string) bool {
	commonOnce.Do(func() {
		commonPasswords = make(map[string]struct{}, 12000)
		sc := bufio.NewScanner(strings.NewReader(commonPasswordsFile))
		for sc.Scan() {
			line := sc.Text()
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			commonPasswords[line] = struct{}{}
		}
	})
	_, ok := commonPasswords[lower]
	return ok
}

func pluralf(n int, one, many string) string {
	if n == 1 {
		return strings.Replace(one, "%d", "1", 1)
	}
	return strings.Replace(many, "%d", strconv.Itoa(n), 1)
}
