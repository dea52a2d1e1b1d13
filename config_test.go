package portal

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accountportal/portal/identity"
)

func TestDefaultConfigIsValid(t *testing.T) {
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	if got, want := c.BaseURL, "http://localhost:8080"; got != want {
		t.Fatalf("derived BaseURL=%q, want %q", got, want)
	}
	if got, want := c.DB, "portal.db"; got != want {
		t.Fatalf("DB=%q, want %q", got, want)
	}
	if !c.RequireConfirmedEmail || c.Mail != "log" || c.Registration != "open" {
		t.Fatalf("defaults differ from README: %+v", c)
	}
}

func TestBaseURLFromAddr(t *testing.T) {
	c := DefaultConfig()
	c.Addr = ":9000"
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if got, want := c.BaseURL, "http://localhost:9000"; got != want {
		t.Fatalf("BaseURL=%q, want %q", got, want)
	}
}

// --base-url may carry the path Portal serves under (issue 19 §1), kept
// without a trailing slash; --cookie-domain must hold the base URL's host.
func TestBaseURLPathAndCookieDomain(t *testing.T) {
	for in, want := range map[string]string{
		"https://example.com/auth":     "https://example.com/auth",
		"https://example.com/auth/":    "https://example.com/auth",
		"https://example.com/":         "https://example.com",
		"http://localhost:8080/a/b-c/": "http://localhost:8080/a/b-c",
	} {
		c := DefaultConfig()
		c.BaseURL = in
		if err := c.Validate(); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if c.BaseURL != want {
			t.Errorf("BaseURL %q became %q, want %q", in, c.BaseURL, want)
		}
	}
	for _, tc := range [][2]string{{"https://example.com/auth", "example.com"}, {"https://auth.example.com", "example.com"}, {"https://auth.example.com", ".Example.com"}} {
		c := DefaultConfig()
		c.BaseURL, c.CookieDomain = tc[0], tc[1]
		if err := c.Validate(); err != nil {
			t.Errorf("base %s, cookie domain %s: %v", tc[0], tc[1], err)
		}
	}
}

func parse(t *testing.T, args []string, env map[string]string) (Config, error) {
	t.Helper()
	c := DefaultConfig()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	err := ApplyEnv(fs, func(k string) string { return env[k] })
	return c, err
}

func TestFlagsAndEnvironment(t *testing.T) {
	c, err := parse(t, []string{"--addr", "127.0.0.1:9999", "--require-confirmed-email=false"}, map[string]string{
		"PORTAL_ADDR":                    "0.0.0.0:1", // the flag wins
		"PORTAL_BASE_URL":                "https://accounts.example.com",
		"PORTAL_REGISTRATION":            "closed",
		"PORTAL_LOCKOUT_DURATION":        "7m",
		"PORTAL_REQUIRE_CONFIRMED_EMAIL": "true", // the flag wins
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9999" || c.BaseURL != "https://accounts.example.com" || c.Registration != "closed" ||
		c.LockoutDuration != 7*time.Minute || c.RequireConfirmedEmail {
		t.Fatalf("config %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestEnvironmentErrorsNameTheVariable(t *testing.T) {
	_, err := parse(t, nil, map[string]string{"PORTAL_LOCKOUT_DURATION": "soon"})
	if err == nil || !strings.Contains(err.Error(), "PORTAL_LOCKOUT_DURATION") {
		t.Fatalf("err=%v, want one naming PORTAL_LOCKOUT_DURATION", err)
	}
}

func TestEveryDesignVariableIsAFlag(t *testing.T) {
	c := DefaultConfig()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	c.BindFlags(fs)
	for _, env := range []string{"PORTAL_ADDR", "PORTAL_BASE_URL", "PORTAL_DB", "PORTAL_SESSIONS", "PORTAL_MAIL",
		"PORTAL_MAIL_FROM", "PORTAL_THEME", "PORTAL_REGISTRATION", "PORTAL_REQUIRE_CONFIRMED_EMAIL",
		"PORTAL_GOOGLE_CLIENT_ID", "PORTAL_GOOGLE_CLIENT_SECRET", "PORTAL_GITHUB_CLIENT_ID", "PORTAL_GITHUB_CLIENT_SECRET",
		"PORTAL_MICROSOFT_CLIENT_ID", "PORTAL_MICROSOFT_CLIENT_SECRET", "PORTAL_OIDC_NAME", "PORTAL_OIDC_ISSUER",
		"PORTAL_OIDC_CLIENT_ID", "PORTAL_OIDC_CLIENT_SECRET"} {
		found := false
		fs.VisitAll(func(f *flag.Flag) { found = found || EnvName(f.Name) == env })
		if !found {
			t.Errorf("documented variable %s has no flag", env)
		}
	}
}

func TestValidateRefuses(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"bad addr", func(c *Config) { c.Addr = "nope" }, "--addr"},
		{"relative base", func(c *Config) { c.BaseURL = "/x" }, "--base-url"},
		{"ftp base", func(c *Config) { c.BaseURL = "ftp://x" }, "--base-url"},
		{"base with query", func(c *Config) { c.BaseURL = "https://x.example/portal?x=1" }, "--base-url"},
		{"base with dot segments", func(c *Config) { c.BaseURL = "https://x.example/a/../portal" }, "--base-url"},
		{"base with empty segment", func(c *Config) { c.BaseURL = "https://x.example//portal" }, "--base-url"},
		{"base with escapes", func(c *Config) { c.BaseURL = "https://x.example/p%20q" }, "--base-url"},
		{"cookie domain elsewhere", func(c *Config) { c.BaseURL, c.CookieDomain = "https://auth.example.com", "example.org" }, "--cookie-domain"},
		{"cookie domain a subdomain", func(c *Config) { c.BaseURL, c.CookieDomain = "https://example.com", "auth.example.com" }, "--cookie-domain"},
		{"cookie domain public suffix", func(c *Config) { c.BaseURL, c.CookieDomain = "https://auth.example.co.uk", "co.uk" }, "--cookie-domain"},
		{"cookie domain on an address", func(c *Config) { c.BaseURL, c.CookieDomain = "https://192.0.2.1", "192.0.2.1" }, "--cookie-domain"},
		{"empty db", func(c *Config) { c.DB = "" }, "--db"},
		{"other database", func(c *Config) { c.DB = "mysql://localhost/test" }, "--db"},
		{"other session store", func(c *Config) { c.Sessions = "memcached://localhost" }, "--sessions"},
		{"empty redis prefix", func(c *Config) { c.Sessions = "redis://localhost:6379/0?prefix=" }, "--sessions"},
		{"bad mail", func(c *Config) { c.Mail = "pigeon" }, "--mail"},
		{"smtp bad port", func(c *Config) { c.Mail = "smtp://u:secret@host:0" }, "SMTP"},
		{"bad from", func(c *Config) { c.MailFrom = "not an address" }, "--mail-from"},
		{"registration", func(c *Config) { c.Registration = "maybe" }, "--registration"},
		{"bad domain", func(c *Config) { c.AllowedEmailDomains = identity.EmailDomains{"example.com", "not a domain"} }, "--allowed-email-domains"},
		{"bad register field", func(c *Config) { c.RegisterFields = identity.ExtraFields{{Name: "nickname", Type: "color"}} }, "--register-field"},
		{"min length", func(c *Config) { c.PasswordMinLength = 6 }, "--password-min-length"},
		{"argon2", func(c *Config) { c.Argon2Iterations = 101 }, "argon2"},
		{"lockout", func(c *Config) { c.LockoutThreshold = -1 }, "--lockout-threshold"},
		{"session lifetime", func(c *Config) { c.SessionLifetime = 48 * time.Hour }, "--session-lifetime"},
		{"remember me", func(c *Config) { c.RememberMeLifetime = 60 * 24 * time.Hour }, "--remember-me-lifetime"},
		{"google id without secret", func(c *Config) { c.GoogleClientID = "x" }, "--google-client-id"},
		{"oidc incomplete", func(c *Config) { c.OIDCName = "Acme" }, "--oidc-name"},
		{"oidc http issuer", func(c *Config) {
			c.OIDCName, c.OIDCIssuer, c.OIDCClientID, c.OIDCClientSecret = "Acme", "http://idp.example", "id", "secret"
		}, "--oidc-issuer"},
		{"oidc reserved slug", func(c *Config) {
			c.OIDCName, c.OIDCIssuer, c.OIDCClientID, c.OIDCClientSecret, c.OIDCSlug = "G", "https://idp.example", "id", "s", "google"
		}, "--oidc-slug"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.mod(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate err=%v, want one mentioning %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "secret@") {
				t.Fatalf("error leaks a password: %v", err)
			}
		})
	}
}

func TestProvidersFromConfig(t *testing.T) {
	c := DefaultConfig()
	if got := c.providers(); len(got) != 0 {
		t.Fatalf("no provider configured, got %+v", got)
	}
	c.GitHubClientID, c.GitHubClientSecret = "gh-id", "gh-secret"
	c.OIDCName, c.OIDCIssuer, c.OIDCClientID, c.OIDCClientSecret = "Acme SSO", "https://sso.acme.example", "acme-id", "acme-secret"
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	got := c.providers()
	if len(got) != 2 || got[0].Slug != "github" || got[0].Name != "GitHub" || got[1].Slug != "acme-sso" || got[1].Name != "Acme SSO" || got[1].Kind != "oidc" {
		t.Fatalf("providers=%+v", got)
	}
	c.OIDCSlug = "acme"
	if got := c.providers(); got[1].Slug != "acme" {
		t.Fatalf("configured slug ignored: %+v", got[1])
	}
}

// Extra registration fields from a TOML file (README, Configuration), after the flag's.
func TestRegisterFieldsFile(t *testing.T) {
	write := func(t *testing.T, text string) string {
		p := filepath.Join(t.TempDir(), "fields.toml")
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	c := DefaultConfig()
	c.RegisterFields = identity.ExtraFields{{Name: "website", Type: "url"}}
	c.RegisterFieldsFile = write(t, `
[[field]]
name = "nickname"
type = "text"
required = true
label = "What should we call you?"

[[field]]
name = "employee_no"
type = "number"
`)
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	got := c.extraFields()
	want := []identity.ExtraField{
		{Name: "website", Label: "Website", Type: "url"},
		{Name: "nickname", Label: "What should we call you?", Type: "text", Required: true},
		{Name: "employee_no", Label: "Employee no", Type: "number"},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("fields = %+v\nwant %+v", got, want)
	}

	for name, tc := range map[string]struct{ text, want string }{
		"unknown key":   {"[[field]]\nname = \"a\"\ntype = \"text\"\ncolour = \"red\"\n", `unknown key "field.colour"`},
		"bad type":      {"[[field]]\nname = \"a\"\ntype = \"color\"\n", `type "color"`},
		"not toml":      {"[[field]\n", "fields.toml"},
		"twice":         {"[[field]]\nname = \"website\"\ntype = \"url\"\n", "declared twice"},
		"reserved name": {"[[field]]\nname = \"email\"\ntype = \"text\"\n", "built-in field"},
	} {
		t.Run(name, func(t *testing.T) {
			c := DefaultConfig()
			c.RegisterFields = identity.ExtraFields{{Name: "website", Type: "url"}}
			c.RegisterFieldsFile = write(t, tc.text)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), "--register-fields-file") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate err=%v, want one naming --register-fields-file and %q", err, tc.want)
			}
		})
	}
	c = DefaultConfig()
	c.RegisterFieldsFile = filepath.Join(t.TempDir(), "missing.toml")
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "missing.toml") {
		t.Fatalf("missing file: err=%v", err)
	}
}

// TestZeroSettingsMeanDefaults: identity settings left at zero are valid
// and take the defaults, resolved once in identity (issue 16).
func TestZeroSettingsMeanDefaults(t *testing.T) {
	c := DefaultConfig()
	c.DB = filepath.Join(t.TempDir(), "zero.db")
	c.Settings = identity.Settings{RequireConfirmedEmail: true}
	if err := c.Validate(); err != nil {
		t.Fatalf("zero settings invalid: %v", err)
	}
	p, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	got, want := p.Identity().Settings(), identity.DefaultSettings()
	if got.PasswordMinLength != want.PasswordMinLength || got.LockoutDuration != want.LockoutDuration ||
		got.RememberMeLifetime != want.RememberMeLifetime || got.Registration != want.Registration ||
		got.Argon2Memory != want.Argon2Memory || got.RateLimits != want.RateLimits || got.HashConcurrency < 1 {
		t.Fatalf("zero settings resolved to %+v\nwant the defaults %+v", got, want)
	}
}
