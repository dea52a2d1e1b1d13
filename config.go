package portal

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"golang.org/x/text/language"

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
	Addr     string // --addr: listen address
	BaseURL  string // --base-url: absolute links; https makes cookies Secure
	DB       string // --db: SQLite file path, or a postgres:// URL
	Sessions string // --sessions: "" keeps sessions in the database, or a redis:// URL (?prefix= starts Portal's keys; default "portal:")
	Mail     string // --mail: log, dir:PATH, smtp://user:pass@host:port or smtps://…
	MailFrom string // --mail-from
	Theme    string // --theme: theme directory
	// SecretKeyFile holds the operator's secret key (at least 32 bytes,
	// e.g. openssl rand -base64 48): the server keys — the encryption of
	// authenticator keys, "remember this browser", CSRF, the log's address
	// hash — are derived from it (HKDF-SHA256) instead of kept in the
	// database, so a copy of the database alone decrypts nothing. The
	// production setting; move an existing database's keys to it with
	// portal move-secrets.
	SecretKeyFile string // --secret-key-file
	// ThemeReload reads the theme directory again when a file in it
	// changes (checked on each request): for designers working against
	// the real flows. Development only; refused with an https base URL.
	ThemeReload bool   // --theme-reload
	SiteName    string // --site-name: shown on pages and in mail
	// Languages limits the languages offered (comma-separated BCP 47
	// tags, "en,de"); empty offers every built-in language and every one
	// the theme adds. DefaultLanguage is the language of a reader whose
	// browser asks for none of them; it must be offered.
	Languages       string // --languages
	DefaultLanguage string // --default-language
	// MetricsAddr, when set, is where Serve answers /metrics (Prometheus
	// text format) on a listener of its own, never the public one.
	MetricsAddr string // --metrics-addr

	// Settings are the rules identity enforces — registration and its
	// allowed domains and extra fields, passwords, lockout, hashing, rate
	// limits, session and link lifetimes — with their flags, defaults and
	// checks (identity/settings.go). Its fields read as Config's own:
	// cfg.PasswordMinLength, cfg.Registration, cfg.RateLimits.
	identity.Settings

	// RegisterFieldsFile is a TOML file declaring more extra fields, with
	// labels: [[field]] name = "nickname", type = "text", required = true,
	// label = "Nickname" (see README). Added after RegisterFields.
	RegisterFieldsFile string // --register-fields-file

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

	// TrustedProxies are the CIDR ranges (or addresses) of reverse proxies
	// whose X-Forwarded-For is believed; the client is the right-most
	// address not in them. Empty: the socket's address, always.
	TrustedProxies string // --trusted-proxies

	// CORSOrigins are the other origins (https://app.example.com, exact,
	// comma-separated) whose pages may read GET /account/session with the
	// browser's cookie. Never "*".
	CORSOrigins string // --cors-origins
	// AllowedReturnOrigins are the origins an absolute returnUrl may lead
	// to after sign-in (the applications behind forward auth);
	// otherwise only paths on Portal's own origin are followed.
	AllowedReturnOrigins string // --allowed-return-origins
	// CookieDomain shares the session cookie with the sibling hosts of
	// this domain (Domain=example.com, Path=/, __Secure- instead of
	// __Host- on https): the applications on app.example.com behind
	// forward auth, or beside Portal under a --base-url path. The base
	// URL's host must be the domain or inside it. Empty: the session
	// cookie is Portal's host's (and path's) alone.
	CookieDomain string // --cookie-domain

	// ClientsFile is a TOML file of OpenID Connect clients, for operators
	// who keep configuration in git ([[client]] id, name, redirect_uris,
	// …; clientsfile.go and README "Sign in with Portal"). Applied at
	// start, after the same checks as portal clients add.
	ClientsFile string // --clients-file

	// Set from Go only.

	// Getenv reads the environment variables the clients file names
	// (secret_env); default os.Getenv.
	Getenv func(string) string
	// Logger receives the log; default: text to stderr.
	Logger *slog.Logger
	// Now is the clock; tests inject one. Default time.Now.
	Now func() time.Time
	// HashingBusy, when set, hears when password hashing starts (true)
	// and stops (false); cmd/portal tunes the garbage collector with it.
	HashingBusy func(busy bool)

	// Filled in by Validate: what the strings above say, parsed once.
	baseURL *url.URL
	proxies []*net.IPNet
	cors    []string                  // CORSOrigins, normalised
	returns []string                  // AllowedReturnOrigins, normalised
	extra   identity.ExtraFields      // RegisterFields, then RegisterFieldsFile's
	clients []identity.OIDCClientSpec // ClientsFile's
}

// DefaultConfig returns the defaults of README's configuration table.
func DefaultConfig() Config {
	return Config{
		Addr:            "localhost:8080",
		DB:              "portal.db",
		Mail:            "log",
		MailFrom:        "Portal <no-reply@localhost>",
		SiteName:        "Portal",
		DefaultLanguage: "en",
		Settings:        identity.DefaultSettings(),
	}
}

// BindFlags registers every setting on fs, with c's values as defaults.
func (c *Config) BindFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen address")
	fs.StringVar(&c.BaseURL, "base-url", c.BaseURL, "public URL of Portal, with an optional path it serves under (https://example.com/auth); links in mail; https makes cookies Secure (default http:// + addr)")
	fs.StringVar(&c.DB, "db", c.DB, "SQLite database file, or a postgres:// URL")
	fs.StringVar(&c.Sessions, "sessions", c.Sessions, "session store: the database (default) or a redis:// URL (?prefix=… sets the start of Portal's keys there; default portal:)")
	fs.StringVar(&c.Mail, "mail", c.Mail, "mail delivery: log, dir:PATH, smtp://user:pass@host:port (STARTTLS when offered) or smtps://user:pass@host:port")
	fs.StringVar(&c.MailFrom, "mail-from", c.MailFrom, "sender of mail")
	fs.StringVar(&c.Theme, "theme", c.Theme, "theme directory")
	fs.StringVar(&c.SecretKeyFile, "secret-key-file", c.SecretKeyFile, "file with the secret key (≥ 32 bytes) the server keys are derived from, kept out of the database (production setting; move existing keys with portal move-secrets)")
	fs.BoolVar(&c.ThemeReload, "theme-reload", c.ThemeReload, "development: read the theme directory again when a file in it changes (refused with an https base URL)")
	c.Settings.BindFlags(fs)
	fs.StringVar(&c.RegisterFieldsFile, "register-fields-file", c.RegisterFieldsFile, "TOML file of extra registration fields ([[field]] name, type, required, label)")
	fs.StringVar(&c.ClientsFile, "clients-file", c.ClientsFile, "TOML file of OpenID Connect clients ([[client]] id, name, redirect_uris, post_logout_redirect_uris, public, skip_consent, secret_env or secret_sha256), applied at start; never a plaintext secret")
	fs.StringVar(&c.CookieDomain, "cookie-domain", c.CookieDomain, "share the session cookie with the hosts of this domain, e.g. example.com (Domain=, Path=/, __Secure- on https); the base URL's host must be within it (default: Portal's host only)")
	fs.StringVar(&c.SiteName, "site-name", c.SiteName, "site name shown on pages and in mail")
	fs.StringVar(&c.Languages, "languages", c.Languages, "languages offered, comma-separated BCP 47 tags, e.g. en,de,fr (default: every built-in language and every one the theme adds)")
	fs.StringVar(&c.DefaultLanguage, "default-language", c.DefaultLanguage, "language for a reader whose browser asks for none of the offered ones")
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
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", c.TrustedProxies, "comma-separated CIDRs of reverse proxies whose X-Forwarded-For is believed")
	fs.StringVar(&c.CORSOrigins, "cors-origins", c.CORSOrigins, "comma-separated origins (https://app.example.com) whose pages may read /account/session with credentials; exact origins, never *")
	fs.StringVar(&c.AllowedReturnOrigins, "allowed-return-origins", c.AllowedReturnOrigins, "comma-separated origins an absolute returnUrl may lead to after sign-in (apps behind forward auth)")
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
	c.baseURL = nil
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("base-url", "%q is not an absolute http:// or https:// URL", c.BaseURL)
	} else if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.User != nil || u.Opaque != "" {
		bad("base-url", "%q: give scheme, host, port and an optional path only (no query, fragment or user)", c.BaseURL)
	} else if base, ok := handlers.CleanBasePath(u.Path); !ok || u.RawPath != "" {
		bad("base-url", "%q: the path must be plain segments like /auth (no //, . or .., no escapes)", c.BaseURL)
	} else {
		u.Path, u.RawPath = base, ""
		c.BaseURL = strings.TrimSuffix(c.BaseURL, "/")
		c.baseURL = u
	}
	if c.CookieDomain != "" && c.baseURL != nil {
		if err := handlers.CheckCookieDomain(c.CookieDomain, c.baseURL.Hostname()); err != nil {
			bad("cookie-domain", "%v", err)
		}
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
	if c.ThemeReload && c.Theme == "" {
		bad("theme-reload", "needs --theme")
	}
	if c.ThemeReload && c.baseURL != nil && c.baseURL.Scheme == "https" {
		bad("theme-reload", "development only: it reads the theme on every request; turn it off with an https base URL")
	}
	if err := c.Settings.Validate(); err != nil {
		errs = append(errs, err)
	}
	c.extra = nil
	if _, err := identity.CheckExtraFields(c.RegisterFields); err == nil {
		if c.extra, err = c.readFieldsFile(); err != nil {
			bad("register-fields-file", "%v", err)
		}
	}
	if c.clients, err = c.readClientsFile(); err != nil {
		bad("clients-file", "%v", err)
	}
	if strings.TrimSpace(c.SiteName) == "" {
		bad("site-name", "empty")
	}
	var langs []string
	for _, l := range c.languages() {
		tag, err := language.Parse(l)
		if err != nil {
			bad("languages", "%q is not a BCP 47 language tag (e.g. de, pt-BR)", l)
			continue
		}
		langs = append(langs, tag.String())
	}
	if def, err := language.Parse(c.DefaultLanguage); err != nil {
		bad("default-language", "%q is not a BCP 47 language tag (e.g. en, de)", c.DefaultLanguage)
	} else if len(langs) > 0 && !slices.Contains(langs, def.String()) {
		bad("default-language", "%s is not one of --languages %s", def, c.Languages)
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
	if c.proxies, err = parseCIDRs(c.TrustedProxies); err != nil {
		bad("trusted-proxies", "%v", err)
	}
	if c.cors, err = handlers.ParseOrigins(c.CORSOrigins); err != nil {
		bad("cors-origins", "%v", err)
	}
	if c.returns, err = handlers.ParseOrigins(c.AllowedReturnOrigins); err != nil {
		bad("allowed-return-origins", "%v", err)
	}
	return errors.Join(errs...)
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
// --register-fields-file, checked (labels filled in) by Validate.
func (c *Config) extraFields() identity.ExtraFields { return c.extra }

// readFieldsFile reads --register-fields-file and returns every extra
// field: --register-field's, then the file's.
func (c *Config) readFieldsFile() (identity.ExtraFields, error) {
	if c.RegisterFieldsFile == "" {
		return identity.CheckExtraFields(c.RegisterFields)
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
	var fields []identity.ExtraField
	for _, f := range file.Field {
		fields = append(fields, identity.ExtraField{Name: f.Name, Type: f.Type, Required: f.Required, Label: f.Label})
	}
	all, err := identity.CheckExtraFields(append(slices.Clone(c.RegisterFields), fields...))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.RegisterFieldsFile, err)
	}
	return all, nil
}

// languages are the tags of --languages (nil: every language there is).
func (c *Config) languages() []string {
	var out []string
	for _, l := range strings.Split(c.Languages, ",") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
