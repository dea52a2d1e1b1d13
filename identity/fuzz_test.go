package identity

// Fuzz targets for the input rules of identity (the reliability suite's
// fuzzing part; REL-11). A plain `go test ./identity/` runs the seed corpus below;
// CI does not fuzz. To fuzz one target locally:
//
//	go test -run '^$' -fuzz FuzzNormalizeEmail -fuzztime 30s ./identity/
//	go test -run '^$' -fuzz FuzzValidateEmail -fuzztime 30s ./identity/
//	go test -run '^$' -fuzz FuzzPasswordPolicy -fuzztime 30s ./identity/
//
// A failing input is saved under testdata/fuzz/<FuzzName>/ and then runs
// with every plain `go test` until it is fixed.

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// emailSeeds are addresses of every shape the rules care about: plain,
// case and Unicode variants (NFC/NFD, Kelvin sign, dotted I, ß, final
// sigma), whitespace, display names, comments, quoted local parts, IP
// literals, overlong parts, control characters, NUL and invalid UTF-8.
var emailSeeds = []string{
	"",
	"a@example.com",
	"Alice@Example.COM",
	"  bob@example.com \t",
	"josé@example.com",
	"jose\u0301@example.com",
	"JOSÉ@EXAMPLE.COM",
	"\u212a@example.com", // KELVIN SIGN lower-cases to k
	"İstanbul@example.com",
	"straße@example.com",
	"ΣΊΣΥΦΟΣ@example.com",
	"\u1e9e@example.com", // capital sharp s
	"Alice <alice@example.com>",
	"alice@example.com (comment)",
	`"quoted local"@example.com`,
	"user@[127.0.0.1]",
	"user@localhost",
	"a@b",
	"a@-example.com",
	"a@example..com",
	"a@.example.com",
	"@example.com",
	"a@",
	"a@@example.com",
	strings.Repeat("a", 65) + "@example.com",
	"a@" + strings.Repeat("b", 250) + ".com",
	"a\x00b@example.com",
	"a\nb@example.com",
	"\xff\xfe@example.com",
	"a@exa\u200bmple.com",
	"a@ex\u0301ample.com",
	"\u0345@example.com",
	"ǅ@example.com",
	"\ufb00@example.com",
	// Lower-casing makes a sequence NFC composes further (T + U+0308 has
	// no precomposed form, t + U+0308 is U+1E97): NormalizeEmail must still
	// be a fixed point (REG-02).
	"T\u0308om@example.com",
}

// FuzzNormalizeEmail: NormalizeEmail never panics, is idempotent (the form
// an address is unique under must be a fixed point, or one account could
// be registered twice: REG-02), and keeps valid UTF-8 valid.
func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range emailSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, email string) {
		n := NormalizeEmail(email)
		if again := NormalizeEmail(n); again != n {
			t.Errorf("NormalizeEmail not idempotent: %q → %q → %q", email, n, again)
		}
		if utf8.ValidString(email) && !utf8.ValidString(n) {
			t.Errorf("NormalizeEmail(%q) = %q: invalid UTF-8", email, n)
		}
		if strings.TrimSpace(n) != n {
			t.Errorf("NormalizeEmail(%q) = %q: surrounding space left", email, n)
		}
	})
}

// FuzzValidateEmail: ValidateEmail never panics, and what it accepts is one
// plain address of sane length: valid UTF-8, no control characters, one
// local part of at most 64 bytes, a dotted domain, at most 254 characters.
func FuzzValidateEmail(f *testing.F) {
	for _, s := range emailSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, email string) {
		msg := ValidateEmail(email)
		if msg != ValidateEmail(email) {
			t.Fatalf("ValidateEmail(%q) is not deterministic", email)
		}
		if msg != "" {
			return
		}
		e := strings.TrimSpace(email)
		switch {
		case !utf8.ValidString(e):
			t.Errorf("ValidateEmail accepted invalid UTF-8 %q", email)
		case strings.IndexFunc(e, unicode.IsControl) >= 0:
			t.Errorf("ValidateEmail accepted control characters in %q", email)
		case utf8.RuneCountInString(e) > maxEmailLength:
			t.Errorf("ValidateEmail accepted %d characters", utf8.RuneCountInString(e))
		}
		at := strings.LastIndexByte(e, '@')
		if at <= 0 {
			t.Fatalf("ValidateEmail accepted %q without a local part and @", email)
		}
		local, domain := e[:at], e[at+1:]
		if len(local) > maxEmailLocalBytes {
			t.Errorf("ValidateEmail accepted a %d-byte local part in %q", len(local), email)
		}
		if !strings.Contains(domain, ".") || strings.ContainsAny(domain, "[] \t<>()") {
			t.Errorf("ValidateEmail accepted domain %q in %q", domain, email)
		}
		if NormalizeEmail(email) == "" {
			t.Errorf("ValidateEmail accepted %q but it normalizes to nothing", email)
		}
	})
}

// FuzzPasswordPolicy: Check never panics, and what it accepts is valid
// UTF-8 without control characters, between the minimum and maximum length
// in code points after NFC (PWD-01, PWD-02).
func FuzzPasswordPolicy(f *testing.F) {
	seeds := []struct{ password, email string }{
		{"", "a@example.com"},
		{"correct horse battery staple", "a@example.com"},
		{"password", "a@example.com"},
		{"alice@example.com", "alice@example.com"},
		{"alice2024!", "alice@example.com"},
		{"kx7!pq2z", ""},
		{strings.Repeat("ab", 64), "a@example.com"},
		{strings.Repeat("ab", 64) + "c", "a@example.com"},
		{strings.Repeat("e\u0301", 128), "a@example.com"}, // 256 code points, 128 after NFC
		{"🐱🐶🐭🐹 日本語のパス", "a@example.com"},
		{"pass\x00word-long-enough", "a@example.com"},
		{"tab\there-long-enough", "a@example.com"},
		{"\xff\xfe\xfd-invalid-utf8", "a@example.com"},
		{"\u202eevil-bidi-override", "a@example.com"},
		{"ALICE@EXAMPLE.COM-x", "Alice@Example.com"},
	}
	for _, s := range seeds {
		f.Add(s.password, s.email)
	}
	p := DefaultPasswordPolicy
	f.Fuzz(func(t *testing.T, password, email string) {
		msg := p.Check(password, email)
		if msg != "" {
			return
		}
		if !utf8.ValidString(password) {
			t.Fatalf("Check accepted invalid UTF-8 %q", password)
		}
		if strings.IndexFunc(password, unicode.IsControl) >= 0 {
			t.Errorf("Check accepted control characters in %q", password)
		}
		n := utf8.RuneCountInString(NormalizePassword(password))
		if n < p.MinLength || n > p.MaxLength {
			t.Errorf("Check accepted %q: %d code points after NFC, want %d..%d", password, n, p.MinLength, p.MaxLength)
		}
		if IsCommonPassword(strings.ToLower(NormalizePassword(password))) {
			t.Errorf("Check accepted the common password %q", password)
		}
	})
}
