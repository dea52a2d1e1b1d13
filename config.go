package portal

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/accountportal/portal/handlers"
	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/mail"
)

// Config is everything Portal can be told. Every field with a flag has an
// environment variable of the same name: --base-url is PORTAL_BASE_URL. A
// flag given on the command line wins over the environment, which wins over
// the default. The zero-configuration defaults serve a new user with no
// set-up: SQLite in ./portal.db, mail to the log.
type Config struct {
	Addr                  string // --addr: listen address
	BaseURL               string // --base-url: absolute links; https makes cookies Secure
	DB                    string // --db: SQLite file path, or a postgres:// URL
	Sessions              string // --sessions: "" keeps sessions in the database, or a redis:// URL (?prefix= starts Portal's keys; default "portal:")
	Mail                  string // --mail: log, dir:PATH, smtp://user:pass@host:port or smtps://…
	MailFrom              string // --mail-from
	Theme                 string // --theme: theme directory
	Registration          string // --registration: open, invite or closed
	RequireConfirmedEmail bool   // --require-confirmed-email
	SiteName              string // --site-name: shown on pages and in mail
	// MetricsAddr, when set, is where Serve answers /metrics (Prometheus
	// text format) on a listener of its own, never the public one.
	MetricsAddr string // --metrics-addr

	// External login providers: each appears on the login page when its
	// client id and secret are set. The generic OpenID Connect provider also
	// needs a name (the button's label) and an issuer (discovery at
	// <issuer>/.well-known/openid-configuration); its form value is
	// OIDCSlug, or a slug derived from the name.
	GoogleClientID, GoogleClientSecret       string
	GitHubClientID, GitHubClientSecret       string
	MicrosoftClientID, MicrosoftClientSecret string
	OIDCName, OIDCSlug, OIDCIssuer           string
	OIDCClientID, OIDCClientSecret           string
	ExternalLoginBypasses2FA                 bool // --external-login-bypasses-2fa

	// AllowedEmailDomains, when set, are the only domains new accounts may
	// use (comma-separated).
	AllowedEmailDomains string // --allowed-email-domains
	// RegisterFields declares extra registration fields:
	// "nickname:text:required,website:url" (types text, number, tel, url).
	RegisterFields string // --register-field
	// RegisterFieldsFile is a TOML file declaring more extra fields, with
	// labels: [[field]] name = "nickname", type = "text", required = true,
	// label = "Nickname" (see README). Added after RegisterFields.
	RegisterFieldsFile string // --register-fields-file
	// KeepSecurityEvents: deleting an account keeps its security events
	// anonymised (kind and time only, table kept_events) instead of
	// deleting them.
	KeepSecurityEvents bool // --keep-security-events

	// RateLimits adjusts the rate limits: "name=N/duration,…", name=0
	// turns one off (see identity.RateLimitNames). Empty: the defaults.
	RateLimits string // --rate-limits
	// TrustedProxies are the CIDR ranges (or addresses) of reverse proxies
	// whose X-Forwarded-For is believed; the client is the right-most
	// address not in them. Empty: the socket's address, always.
	TrustedProxies string // --trusted-proxies

	PasswordMinLength       int           // --password-min-length (8..128)
	Argon2Memory            uint          // --argon2-memory, KiB
	Argon2Iterations        uint          // --argon2-iterations
	Argon2Parallelism       uint          // --argon2-parallelism
	HashConcurrency         int           // --hash-concurrency: argon2id hashes at once (0 = number of CPUs)
	LockoutThreshold        int           // --lockout-threshold: failed passwords before a lockout
	LockoutDuration         time.Duration // --lockout-duration
	SessionIdleTimeout      time.Duration // --session-idle-timeout
	SessionLifetime         time.Duration // --session-lifetime: absolute, without "remember me"
	RememberMeLifetime      time.Duration // --remember-me-lifetime
	ReauthWindow            time.Duration // --reauth-window: sensitive actions need a sign-in this recent
	RememberBrowserLifetime time.Duration // --remember-browser-lifetime: a browser skips 2FA this long
	ConfirmEmailLifetime    time.Duration // --confirm-email-lifetime
	ResetPasswordLifetime   time.Duration // --reset-password-lifetime
	ChangeEmailLifetime     time.Duration // --change-email-lifetime

	// Set from Go only.

	// Logger receives the log; default: text to stderr.
	Logger *slog.Logger
	// Now is the clock; tests inject one. Default time.Now.
	Now func() time.Time
	// HashingBusy, when set, hears when password hashing starts (true)
	// and stops (false); cmd/portal tunes the garbage collector with it.
	HashingBusy func(busy bool)
}

// DefaultConfig returns the defaults of README's configuration table.
func DefaultConfig() Config {
	return Config{
		Addr:                    "localhost:8080",
		DB:                      "portal.db",
		Mail:                    "log",
		MailFrom:                "Portal <no-reply@localhost>",
		Registration:            "open",
		RequireConfirmedEmail:   true,
		SiteName:                "Portal",
		PasswordMinLength:       identity.DefaultPasswordPolicy.MinLength,
		Argon2Memory:            uint(identity.DefaultHashParams.Memory),
		Argon2Iterations:        uint(identity.DefaultHashParams.Iterations),
		Argon2Parallelism:       uint(identity.DefaultHashParams.Parallelism),
		LockoutThreshold:        identity.DefaultLockoutPolicy.Threshold,
		LockoutDuration:         identity.DefaultLockoutPolicy.Duration,
		SessionIdleTimeout:      30 * time.Minute,
		SessionLifetime:         12 * time.Hour,
		RememberMeLifetime:      14 * 24 * time.Hour,
		ReauthWindow:            10 * time.Minute,
		RememberBrowserLifetime: 30 * 24 * time.Hour,
		ConfirmEmailLifetime:    24 * time.Hour,
		ResetPasswordLifetime:   30 * time.Minute,
		ChangeEmailLifetime:     24 * time.Hour,
	}
}

// BindFlags registers every setting on fs, with c's values as defaults.
func (c *Config) BindFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen address")
	fs.StringVar(&c.BaseURL, "base-url", c.BaseURL, "public URL for links in mail; https makes cookies Secure (default http:// + addr)")
	fs.StringVar(&c.DB, "db", c.DB, "SQLite database file, or a postgres:// URL")
	fs.StringVar(&c.Sessions, "sessions", c.Sessions, "session store: the database (default) or a redis:// URL (?prefix=… sets the start of Portal's keys there; default portal:)")
	fs.StringVar(&c.Mail, "mail", c.Mail, "mail delivery: log, dir:PATH, smtp://user:pass@host:port (STARTTLS when offered) or smtps://user:pass@host:port")
	fs.StringVar(&c.MailFrom, "mail-from", c.MailFrom, "sender of mail")
	fs.StringVar(&c.Theme, "theme", c.Theme, "theme directory")
	fs.StringVar(&c.Registration, "registration", c.Registration, "who may register: open, invite (invited addresses only: portal users invite EMAIL) or closed")
	fs.StringVar(&c.RegisterFields, "register-field", c.RegisterFields, "extra registration fields: name:type[:required],… (types: text, number, tel, url)")
	fs.StringVar(&c.RegisterFieldsFile, "register-fields-file", c.RegisterFieldsFile, "TOML file of extra registration fields ([[field]] name, type, required, label)")
	fs.BoolVar(&c.KeepSecurityEvents, "keep-security-events", c.KeepSecurityEvents, "when an account is deleted, keep its security events anonymised (kind and time only) instead of deleting them")
	fs.StringVar(&c.AllowedEmailDomains, "allowed-email-domains", c.AllowedEmailDomains, "comma-separated domains new accounts may use (default: any)")
	fs.BoolVar(&c.RequireConfirmedEmail, "require-confirmed-email", c.RequireConfirmedEmail, "sign-in needs a confirmed email address")
	fs.StringVar(&c.SiteName, "site-name", c.SiteName, "site name shown on pages and in mail")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", c.MetricsAddr, "serve Prometheus metrics at /metrics on this address, e.g. 127.0.0.1:9464 (default: off; never on the public --addr)")
	fs.StringVar(&c.GoogleClientID, "google-client-id", c.GoogleClientID, "Google OAuth client id")
	fs.StringVar(&c.GoogleClientSecret, "google-client-secret", c.GoogleClientSecret, "Google OAuth client secret")
	fs.StringVar(&c.GitHubClientID, "github-client-id", c.GitHubClientID, "GitHub OAuth client id")
	fs.StringVar(&c.GitHubClientSecret, "github-client-secret", c.GitHubClientSecret, "GitHub OAuth client secret")
	fs.StringVar(&c.MicrosoftClientID, "microsoft-client-id", c.MicrosoftClientID, "Microsoft OAuth client id")
	fs.StringVar(&c.MicrosoftClientSecret, "microsoft-client-secret", c.MicrosoftClientSecret, "Microsoft OAuth client secret")
	fs.StringVar(&c.OIDCName, "oidc-name", c.OIDCName, "OpenID Connect provider: button label")
	fs.StringVar(&c.OIDCSlug, "oidc-slug", c.OIDCSlug, "OpenID Connect provider: form value (default derived from the name)")
	fs.StringVar(&c.OIDCIssuer, "oidc-issuer", c.OIDCIssuer, "OpenID Connect provider: issuer URL")
	fs.StringVar(&c.OIDCClientID, "oidc-client-id", c.OIDCClientID, "OpenID Connect provider: client id")
	fs.StringVar(&c.OIDCClientSecret, "oidc-client-secret", c.OIDCClientSecret, "OpenID Connect provider: client secret")
	fs.BoolVar(&c.ExternalLoginBypasses2FA, "external-login-bypasses-2fa", c.ExternalLoginBypasses2FA, "an external sign-in skips two-factor authentication")
	fs.StringVar(&c.RateLimits, "rate-limits", c.RateLimits, "adjust rate limits: name=N/duration,… (name=0 turns one off); names: "+strings.Join(identity.RateLimitNames(), ", "))
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", c.TrustedProxies, "comma-separated CIDRs of reverse proxies whose X-Forwarded-For is believed")
	fs.IntVar(&c.PasswordMinLength, "password-min-length", c.PasswordMinLength, "minimum password length in characters (8..128)")
	fs.UintVar(&c.Argon2Memory, "argon2-memory", c.Argon2Memory, "argon2id memory in KiB")
	fs.UintVar(&c.Argon2Iterations, "argon2-iterations", c.Argon2Iterations, "argon2id iterations")
	fs.UintVar(&c.Argon2Parallelism, "argon2-parallelism", c.Argon2Parallelism, "argon2id parallelism")
	fs.IntVar(&c.HashConcurrency, "hash-concurrency", c.HashConcurrency, "password hashes computed at once (0: number of CPUs)")
	fs.IntVar(&c.LockoutThreshold, "lockout-threshold", c.LockoutThreshold, "failed passwords in a row before the account locks")
	fs.DurationVar(&c.LockoutDuration, "lockout-duration", c.LockoutDuration, "how long a lockout lasts")
	fs.DurationVar(&c.SessionIdleTimeout, "session-idle-timeout", c.SessionIdleTimeout, "a session without requests ends after this")
	fs.DurationVar(&c.SessionLifetime, "session-lifetime", c.SessionLifetime, "a session ends this long after sign-in")
	fs.DurationVar(&c.RememberMeLifetime, "remember-me-lifetime", c.RememberMeLifetime, "a \"remember me\" session ends this long after sign-in")
	fs.DurationVar(&c.RememberBrowserLifetime, "remember-browser-lifetime", c.RememberBrowserLifetime, "\"remember this browser\" skips two-factor authentication this long")
	fs.DurationVar(&c.ReauthWindow, "reauth-window", c.ReauthWindow, "sensitive actions (password, email, account deletion) need a sign-in or re-authentication this recent")
	fs.DurationVar(&c.ConfirmEmailLifetime, "confirm-email-lifetime", c.ConfirmEmailLifetime, "how long an email confirmation link works")
	fs.DurationVar(&c.ResetPasswordLifetime, "reset-password-lifetime", c.ResetPasswordLifetime, "how long a password reset link works")
	fs.DurationVar(&c.ChangeEmailLifetime, "change-email-lifetime", c.ChangeEmailLifetime, "how long an email change link works")
}

// EnvName is the environment variable of a flag: PORTAL_ + upper case, with
// dashes as underscores.
func EnvName(flagName string) string {
	return "PORTAL_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// ApplyEnv sets every flag of fs that was not given on the command line
// from its environment variable, if that is set. Call it after fs.Parse.
func ApplyEnv(fs *flag.FlagSet, getenv func(string) string) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] {
			return
		}
		v := getenv(EnvName(f.Name))
		if v == "" {
			return
		}
		if err := f.Value.Set(v); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %v", EnvName(f.Name), v, err))
		}
	})
	return errors.Join(errs...)
}

// Validate checks every setting and fills in derived defaults (the base
// URL). It reports all problems at once, each naming its flag.
func (c *Config) Validate() error {
	var errs []error
	bad := func(flag, format string, args ...any) {
		errs = append(errs, fmt.Errorf("--%s: %s", flag, fmt.Sprintf(format, args...)))
	}

	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		bad("addr", "%q is not host:port", c.Addr)
	}
	if c.BaseURL == "" && err == nil {
		if host == "" {
			host = "localhost"
		}
		c.BaseURL = "http://" + net.JoinHostPort(host, port)
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("base-url", "%q is not an absolute http:// or https:// URL", c.BaseURL)
	} else if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		bad("base-url", "%q: give only scheme, host and port (Portal serves at the root of its origin)", c.BaseURL)
	}

	switch {
	case c.DB == "":
		bad("db", "empty; give a SQLite file path")
	case isPostgres(c.DB):
		if _, err := url.Parse(c.DB); err != nil {
			bad("db", "not a valid postgres:// URL")
		}
	case strings.Contains(c.DB, "://") && !strings.HasPrefix(c.DB, "sqlite://"):
		bad("db", "want a SQLite file path (or sqlite://path) or a postgres:// URL")
	}
	switch {
	case c.Sessions == "" || c.Sessions == "database":
	case strings.HasPrefix(c.Sessions, "redis://") || strings.HasPrefix(c.Sessions, "rediss://"):
		if _, _, err := redisPrefix(c.Sessions); err != nil {
			bad("sessions", "not a valid redis:// URL: %v", err)
		}
	default:
		bad("sessions", "want empty (the database) or a redis:// URL")
	}
	if err := mail.ValidateSpec(c.Mail); err != nil {
		bad("mail", "%v", err)
	}
	if err := mail.ValidateFrom(c.MailFrom); err != nil {
		bad("mail-from", "%v", err)
	}
	switch c.Registration {
	case "open", "invite", "closed":
	default:
		bad("registration", "%q: want open, invite or closed", c.Registration)
	}
	if _, err := identity.ParseExtraFields(c.RegisterFields); err != nil {
		bad("register-field", "%v", err)
	} else if _, err := c.extraFields(); err != nil {
		bad("register-fields-file", "%v", err)
	}
	for _, d := range c.allowedDomains() {
		if msg := identity.ValidateEmail("x@" + d); msg != "" {
			bad("allowed-email-domains", "%q is not a domain", d)
		}
	}
	if strings.TrimSpace(c.SiteName) == "" {
		bad("site-name", "empty")
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			bad("metrics-addr", "%q is not host:port", c.MetricsAddr)
		} else if c.MetricsAddr == c.Addr && !strings.HasSuffix(c.Addr, ":0") {
			bad("metrics-addr", "%q is the public --addr; give the metrics a listener of their own", c.MetricsAddr)
		}
	}
	for _, p := range []struct{ name, id, secret string }{
		{"google", c.GoogleClientID, c.GoogleClientSecret},
		{"github", c.GitHubClientID, c.GitHubClientSecret},
		{"microsoft", c.MicrosoftClientID, c.MicrosoftClientSecret},
	} {
		if (p.id == "") != (p.secret == "") {
			bad(p.name+"-client-id", "set both --%s-client-id and --%s-client-secret, or neither", p.name, p.name)
		}
	}
	if c.OIDCName != "" || c.OIDCSlug != "" || c.OIDCIssuer != "" || c.OIDCClientID != "" || c.OIDCClientSecret != "" {
		if c.OIDCName == "" || c.OIDCIssuer == "" || c.OIDCClientID == "" || c.OIDCClientSecret == "" {
			bad("oidc-name", "an OpenID Connect provider needs --oidc-name, --oidc-issuer, --oidc-client-id and --oidc-client-secret")
		}
		if u, err := url.Parse(c.OIDCIssuer); c.OIDCIssuer != "" && (err != nil || u.Host == "" || (u.Scheme != "https" && !isLoopback(u.Hostname()))) {
			bad("oidc-issuer", "%q: want an https:// URL (http:// only on loopback, for development)", c.OIDCIssuer)
		}
		slug := c.OIDCSlug
		if slug == "" {
			slug = handlers.SlugFromName(c.OIDCName)
		}
		if c.OIDCName != "" && (slug == "" || handlers.SlugFromName(slug) != slug || slug == "google" || slug == "github" || slug == "microsoft") {
			bad("oidc-slug", "%q: want lower-case letters, digits and dashes, other than google, github and microsoft", slug)
		}
	}
	if _, err := identity.ParseRateLimits(c.RateLimits); err != nil {
		bad("rate-limits", "%v", err)
	}
	if _, err := parseCIDRs(c.TrustedProxies); err != nil {
		bad("trusted-proxies", "%v", err)
	}
	if c.PasswordMinLength < 8 || c.PasswordMinLength > identity.DefaultPasswordPolicy.MaxLength {
		bad("password-min-length", "%d: want 8 to %d", c.PasswordMinLength, identity.DefaultPasswordPolicy.MaxLength)
	}
	if c.Argon2Memory > 4<<20 || c.Argon2Iterations > 100 || c.Argon2Parallelism > 255 {
		bad("argon2-memory", "argon2 parameters out of range (memory ≤ 4 GiB, iterations ≤ 100, parallelism ≤ 255)")
	} else if err := c.hashParams().Validate(); err != nil {
		bad("argon2-memory", "%v", err)
	}
	if c.HashConcurrency < 0 {
		bad("hash-concurrency", "must not be negative")
	}
	if c.LockoutThreshold < 1 {
		bad("lockout-threshold", "must be at least 1")
	}
	if c.LockoutDuration <= 0 {
		bad("lockout-duration", "must be positive")
	}
	if c.SessionIdleTimeout <= 0 {
		bad("session-idle-timeout", "must be positive")
	}
	if c.SessionLifetime <= 0 || c.SessionLifetime > 24*time.Hour {
		bad("session-lifetime", "%v: want more than 0 and at most 24h (NIST AAL2)", c.SessionLifetime)
	}
	if c.RememberMeLifetime < c.SessionLifetime || c.RememberMeLifetime > 30*24*time.Hour {
		bad("remember-me-lifetime", "%v: want at least the session lifetime and at most 720h (30 days)", c.RememberMeLifetime)
	}
	if c.RememberBrowserLifetime <= 0 || c.RememberBrowserLifetime > 90*24*time.Hour {
		bad("remember-browser-lifetime", "%v: want more than 0 and at most 2160h (90 days)", c.RememberBrowserLifetime)
	}
	if c.ReauthWindow <= 0 || c.ReauthWindow > time.Hour {
		bad("reauth-window", "%v: want more than 0 and at most 1h", c.ReauthWindow)
	}
	if c.ConfirmEmailLifetime <= 0 {
		bad("confirm-email-lifetime", "must be positive")
	}
	if c.ResetPasswordLifetime <= 0 || c.ResetPasswordLifetime > time.Hour {
		bad("reset-password-lifetime", "%v: want more than 0 and at most 1h (RST-02)", c.ResetPasswordLifetime)
	}
	if c.ChangeEmailLifetime <= 0 {
		bad("change-email-lifetime", "must be positive")
	}
	return errors.Join(errs...)
}

func (c *Config) hashParams() identity.HashParams {
	return identity.HashParams{
		Memory:      uint32(c.Argon2Memory),
		Iterations:  uint32(c.Argon2Iterations),
		Parallelism: uint8(c.Argon2Parallelism),
		SaltLength:  identity.DefaultHashParams.SaltLength,
		KeyLength:   identity.DefaultHashParams.KeyLength,
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// providers lists the configured external login providers.
func (c *Config) providers() []handlers.ProviderConfig {
	var out []handlers.ProviderConfig
	if c.GoogleClientID != "" {
		out = append(out, handlers.ProviderConfig{Kind: "google", Slug: "google", Name: "Google", ClientID: c.GoogleClientID, ClientSecret: c.GoogleClientSecret})
	}
	if c.GitHubClientID != "" {
		out = append(out, handlers.ProviderConfig{Kind: "github", Slug: "github", Name: "GitHub", ClientID: c.GitHubClientID, ClientSecret: c.GitHubClientSecret})
	}
	if c.MicrosoftClientID != "" {
		out = append(out, handlers.ProviderConfig{Kind: "microsoft", Slug: "microsoft", Name: "Microsoft", ClientID: c.MicrosoftClientID, ClientSecret: c.MicrosoftClientSecret})
	}
	if c.OIDCIssuer != "" {
		slug := c.OIDCSlug
		if slug == "" {
			slug = handlers.SlugFromName(c.OIDCName)
		}
		out = append(out, handlers.ProviderConfig{Kind: "oidc", Slug: slug, Name: c.OIDCName, ClientID: c.OIDCClientID, ClientSecret: c.OIDCClientSecret, Issuer: c.OIDCIssuer})
	}
	return out
}

// parseCIDRs reads a comma-separated list of CIDRs or single addresses.
func parseCIDRs(list string) ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if !strings.Contains(item, "/") {
			ip := net.ParseIP(item)
			if ip == nil {
				return nil, fmt.Errorf("%q is not an IP address or CIDR", item)
			}
			bits := 128
			if ip.To4() != nil {
				ip, bits = ip.To4(), 32
			}
			out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
			continue
		}
		_, n, err := net.ParseCIDR(item)
		if err != nil {
			return nil, fmt.Errorf("%q is not an IP address or CIDR", item)
		}
		out = append(out, n)
	}
	return out, nil
}

// extraFields are the fields of --register-field followed by those of
// --register-fields-file.
func (c *Config) extraFields() ([]identity.ExtraField, error) {
	fields, err := identity.ParseExtraFields(c.RegisterFields)
	if err != nil || c.RegisterFieldsFile == "" {
		return fields, err
	}
	var file struct {
		Field []struct {
			Name     string `toml:"name"`
			Type     string `toml:"type"`
			Required bool   `toml:"required"`
			Label    string `toml:"label"`
		} `toml:"field"`
	}
	md, err := toml.DecodeFile(c.RegisterFieldsFile, &file)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err // the *PathError names the file
		}
		return nil, fmt.Errorf("%s: %w", c.RegisterFieldsFile, err)
	}
	if un := md.Undecoded(); len(un) > 0 {
		return nil, fmt.Errorf("%s: unknown key %q (want [[field]] with name, type, required, label)", c.RegisterFieldsFile, un[0].String())
	}
	for _, f := range file.Field {
		fields = append(fields, identity.ExtraField{Name: f.Name, Type: f.Type, Required: f.Required, Label: f.Label})
	}
	fields, err = identity.CheckExtraFields(fields)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.RegisterFieldsFile, err)
	}
	return fields, nil
}

// allowedDomains is --allowed-email-domains as a list, lower case.
func (c *Config) allowedDomains() []string {
	var out []string
	for _, d := range strings.Split(c.AllowedEmailDomains, ",") {
		if d = strings.ToLower(strings.TrimSpace(d)); d != "" {
			out = append(out, d)
		}
	}
	return out
}
