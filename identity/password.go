package identity

import (
	"bufio"
	_ "embed"
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

// CheckSite is Check for a site called site: a password built from the
// site's name is refused too (PWD-03).
func (p PasswordPolicy) CheckSite(password, email, site string) string {
	return p.check(password, email, site).text(nil)
}

// checkPassword is the policy check of every place that sets a password:
// the policy with the account's address and the site's name as context
// (PWD-03).
func (s *Service) checkPassword(password, email string) message {
	return s.opts.passwords().check(password, email, s.opts.SiteName)
}

// check is Check as a catalogue message (the zero message: acceptable).
// site, when not "", is the site's name: a context word (PWD-03).
func (p PasswordPolicy) check(password, email string, site ...string) message {
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
	core := letterCore(lower)
	if e := NormalizeEmail(email); e != "" {
		local, _, _ := strings.Cut(e, "@")
		if strings.Contains(lower, e) || lower == local || (len(local) >= 4 && strings.TrimRight(lower, "0123456789!.?") == local) ||
			builtFrom(core, letterCore(local)) {
			return message{Key: "errors.password_contains_email"}
		}
	}
	for _, name := range site {
		for _, word := range append([]string{name}, strings.Fields(name)...) {
			if builtFrom(core, letterCore(strings.ToLower(word))) {
				return message{Key: "errors.password_contains_site"}
			}
		}
	}
	if repeated(core) || repeated(strings.TrimRight(core, "0123456789")) {
		return message{Key: "errors.password_repeated"}
	}
	return message{}
}

// letterCore is s without everything but letters and digits: the part of
// a password that separators and symbols do not change ("Portal-2025!"
// and "portal2025" have one core).
func letterCore(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return -1
	}, s)
}

// minContextWord is the shortest context word (site name, local part)
// worth refusing: shorter ones ("a", "jo") are in too many good
// passwords.
const minContextWord = 3

// builtFrom reports whether the password core is the context word with
// little else: taking every occurrence of word out, and digits, leaves
// fewer than four letters ("portal2025", "alice!alice", "myportal").
func builtFrom(core, word string) bool {
	if utf8.RuneCountInString(word) < minContextWord || !strings.Contains(core, word) {
		return false
	}
	rest := strings.Map(func(r rune) rune {
		if unicode.IsDigit(r) {
			return -1
		}
		return r
	}, strings.ReplaceAll(core, word, ""))
	return utf8.RuneCountInString(rest) < 4
}

// repeated reports whether s is one shorter string said twice or more
// ("passwordpassword", "abcabcabc", "aaaaaaaa").
func repeated(s string) bool {
	r := []rune(s)
	n := len(r)
	for k := 1; k <= n/2; k++ {
		if n%k != 0 {
			continue
		}
		same := true
		for i := k; i < n && same; i++ {
			same = r[i] == r[i-k]
		}
		if same {
			return true
		}
	}
	return false
}

// minLength is "Use at least {min} characters." (one/other).
func minLength(n int) message {
	return message{Key: "errors.min_length", Args: []any{"min", n}, Plural: true, Count: n}
}

// maxLength is "Use at most {max} characters." (one/other).
func maxLength(n int) message {
	return message{Key: "errors.max_length", Args: []any{"max", n}, Plural: true, Count: n}
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
