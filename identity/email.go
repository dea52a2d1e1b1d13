package identity

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/secure/precis"
	"golang.org/x/text/unicode/norm"
)

// Limits on an email address (RFC 5321 §4.5.3.1).
const (
	maxEmailLength      = 254
	maxEmailLocalBytes  = 64
	maxDomainLabelBytes = 63
)

// NormalizeEmail is the form an address is unique under: trimmed, the
// local part NFC and lower case, the domain in its IDNA form (UTS #46
// mapping, so "EXÄMPLE.ch" and "exämple.ch" are one domain, and "İbm.com",
// xn--ibm-8dc.com, is not ibm.com), shown in Unicode so that the keys of
// accounts stored before domains went through IDNA stay the same. Two
// addresses that differ only in case or Unicode composition are one
// account (REG-02). NFC comes after lower-casing too: lower-casing can
// make a sequence NFC composes further ("T" + U+0308 has no precomposed
// form, "t" + U+0308 is U+1E97), so the result is a fixed point.
//
// Addresses whose characters lower-case or normalise into other letters
// (U+212A KELVIN SIGN into k, U+0130 İ into i, full-width forms) are
// refused by ValidateEmail, so every stored address's key is its own.
func NormalizeEmail(email string) string {
	email = strings.TrimSpace(email)
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return lowerNFC(email)
	}
	return lowerNFC(email[:at]) + "@" + domainKey(email[at+1:])
}

func lowerNFC(s string) string {
	return norm.NFC.String(strings.ToLower(norm.NFC.String(s)))
}

// domainKey is the domain's IDNA form in Unicode; a domain IDNA refuses
// (ValidateEmail refuses it too) is only lower-cased.
func domainKey(domain string) string {
	a, err := idna.Lookup.ToASCII(domain)
	if err != nil {
		return lowerNFC(domain)
	}
	u, err := idna.Lookup.ToUnicode(a)
	if err != nil {
		return a
	}
	return u
}

// DomainASCII is domain in its IDNA ASCII form (lower case, punycode for
// non-ASCII labels): the form domains are compared in, for instance for
// --allowed-email-domains (REG-02). ok is false when IDNA refuses it.
func DomainASCII(domain string) (ascii string, ok bool) {
	a, err := idna.Lookup.ToASCII(strings.TrimSpace(domain))
	if err != nil || a == "" || len(a) > maxEmailLength {
		return "", false
	}
	for _, label := range strings.Split(a, ".") {
		if label == "" || len(label) > maxDomainLabelBytes {
			return "", false
		}
	}
	return a, true
}

// CanonicalEmail is the form of a valid address that Portal stores and
// mails: the local part as typed (NFC), the domain in IDNA ASCII form.
// Mail goes to exactly the mailbox uniqueness is decided on, and an
// internationalised domain is shown as its punycode, which cannot pass
// for another domain. An invalid address is only trimmed.
func CanonicalEmail(email string) string {
	email = strings.TrimSpace(email)
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return email
	}
	a, ok := DomainASCII(email[at+1:])
	if !ok {
		return email
	}
	return norm.NFC.String(email[:at]) + "@" + a
}

// ValidateEmail checks that email is one plain address (no display name,
// no comments), of sane length, with a dotted domain. It returns a message
// for the user (in the built-in wording), or "".
func ValidateEmail(email string) string { return validateEmail(email).text(nil) }

// localPartProfile is PRECIS IdentifierClass (RFC 8264) with NFC and
// without width mapping: letters and digits of any script and printable
// ASCII; compatibility forms (full-width letters, ligatures, the Kelvin
// sign), symbols, spaces and format characters are not allowed.
var localPartProfile = precis.NewIdentifier(precis.Norm(norm.NFC))

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
	if m := validateLocalPart(local); !m.ok() {
		return m
	}
	a, ok := DomainASCII(domain)
	if !ok || !strings.Contains(a, ".") {
		return invalid
	}
	if len(norm.NFC.String(local))+1+len(a) > maxEmailLength {
		return message{Key: "errors.email_too_long"}
	}
	return message{}
}

// validateLocalPart refuses local parts that would merge with, or pass
// for, another address (REG-02, issue 17 item 3):
//   - a character that normalisation replaces by another (U+212A KELVIN
//     SIGN is K, U+2126 OHM SIGN is Ω): a decomposed "e" + U+0301 is fine,
//     it is é;
//   - a character outside ASCII that lower-cases into ASCII (U+0130 İ
//     into i): the address would take the plain one's key;
//   - compatibility forms (full-width ｋａｔｅ, ligatures, superscripts),
//     symbols and format characters (PRECIS IdentifierClass);
//   - letters of scripts mixed the way lookalikes are (Latin with Cyrillic
//     or Greek: "kаte" with a Cyrillic а).
func validateLocalPart(local string) message {
	lookalike := message{Key: "errors.email_lookalike"}
	for _, r := range local {
		if r < utf8.RuneSelf {
			continue
		}
		if s := string(r); norm.NFC.String(s) != s {
			return lookalike
		}
		if unicode.ToLower(r) < utf8.RuneSelf {
			return lookalike
		}
	}
	if _, err := localPartProfile.String(local); err != nil {
		return lookalike
	}
	if mixedScripts(local) {
		return lookalike
	}
	return message{}
}

// scriptGroups are the scripts one name may mix (UTS #39's "highly
// restrictive" level): Latin with the scripts written beside it in
// Japanese, Chinese and Korean. Any other mix is refused.
var scriptGroups = [][]*unicode.RangeTable{
	{unicode.Latin, unicode.Han, unicode.Hiragana, unicode.Katakana},
	{unicode.Latin, unicode.Han, unicode.Bopomofo},
	{unicode.Latin, unicode.Han, unicode.Hangul},
}

// candidateScripts are the scripts mixedScripts tells apart: every script
// Go knows, except Common and Inherited (digits, punctuation, combining
// marks), which go with any.
var candidateScripts = func() map[string]*unicode.RangeTable {
	m := map[string]*unicode.RangeTable{}
	for name, t := range unicode.Scripts {
		if name != "Common" && name != "Inherited" {
			m[name] = t
		}
	}
	return m
}()

// mixedScripts reports whether s has letters of scripts no one writes
// together (see scriptGroups).
func mixedScripts(s string) bool {
	seen := map[*unicode.RangeTable]bool{}
	for _, r := range s {
		if r < utf8.RuneSelf {
			if unicode.IsLetter(r) {
				seen[unicode.Latin] = true
			}
			continue
		}
		for _, t := range candidateScripts {
			if unicode.Is(t, r) {
				seen[t] = true
				break
			}
		}
	}
	if len(seen) <= 1 {
		return false
	}
	for _, g := range scriptGroups {
		all := true
		for t := range seen {
			if !containsTable(g, t) {
				all = false
				break
			}
		}
		if all {
			return false
		}
	}
	return true
}

func containsTable(g []*unicode.RangeTable, t *unicode.RangeTable) bool {
	for _, x := range g {
		if x == t {
			return true
		}
	}
	return false
}
