// Package portal is the public Go API of Portal, a server-rendered account
// portal: register, sign in, confirm email, and the account pages around
// them. New builds the whole application from a Config; Handler serves it.
//
//	p, err := portal.New(cfg)
//	...
//	defer p.Close()
//	http.ListenAndServe(cfg.Addr, p.Handler())
package portal

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/accountportal/portal/handlers"
	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/mail"
	"github.com/accountportal/portal/static"
	"github.com/accountportal/portal/theme"
)

// Version is set at build time (-ldflags "-X github.com/accountportal/portal.Version=v1.2.3");
// otherwise it comes from the module's build information.
var Version = ""

// VersionString describes this build.
func VersionString() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		v := bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
		if v != "" {
			return v
		}
	}
	return "devel"
}

// Portal is one running application: its store, domain and handlers.
type Portal struct {
	cfg      Config
	metrics  *metrics // nil unless --metrics-addr
	log      *slog.Logger
	backend  *backend
	identity *identity.Service
	handler  *handlers.Handler
	serve    http.Handler // handler, or a themeReloader around it
}

// New validates cfg, opens (creating if needed) and migrates the database,
// and builds the application. Close releases it.
func New(cfg Config) (*Portal, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	// Every line logged while a request is served names its request id.
	log = slog.New(handlers.LogHandler(log.Handler()))
	th, err := theme.Load(cfg.Theme)
	if err != nil {
		return nil, err
	}
	assets, err := static.Load(th.Static, static.Embedded())
	if err != nil {
		return nil, err
	}
	th.SetAssetURL(assets.URL)
	mailer, err := mail.New(cfg.Mail, cfg.MailFrom, log)
	if err != nil {
		return nil, err
	}
	// --mail log is for development. With an https base URL the server
	// looks public: nobody would get their mail, and links on pages or in
	// the log would let anyone into the accounts (issue 17 item 9). Say so
	// loudly, show no development links and log no mail bodies.
	devLinks := cfg.Mail == "log"
	if ls, ok := mailer.(*mail.LogSender); ok && strings.HasPrefix(strings.ToLower(cfg.BaseURL), "https://") {
		devLinks, ls.WithholdBody = false, true
		log.Warn("MAIL IS NOT SENT: --mail is log but --base-url is https, so this looks like a production server. "+
			"Nobody receives confirmation, reset or sign-up mail; mail bodies are not logged and no links are shown on pages. "+
			"Set --mail smtp://… (or dir:PATH).", "base_url", cfg.BaseURL)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // migrations may wait for another instance's lock
	defer cancel()
	b, err := openBackend(ctx, cfg)
	if err != nil {
		return nil, err
	}
	st := b.store
	var master []byte
	if cfg.SecretKeyFile != "" {
		if master, err = identity.ReadSecretKeyFile(cfg.SecretKeyFile); err != nil {
			b.close()
			return nil, err
		}
	}
	keys, err := identity.ServerKeys(ctx, st, master, randomKey)
	if err != nil {
		b.close()
		return nil, err
	}

	// Metrics only when asked for: without them neither layer pays for
	// a single counter.
	var met *metrics
	var observer identity.Observer
	var observeRequest func(route, method string, status int, d time.Duration)
	if cfg.MetricsAddr != "" {
		met = newMetrics()
		observer, observeRequest = met, met.observeRequest
	}
	settings := cfg.Settings
	settings.RegisterFields = cfg.extraFields()
	id, err := identity.New(identity.Options{
		Settings:            settings,
		Store:               st,
		Mailer:              mailer,
		Log:                 log,
		SiteName:            cfg.SiteName,
		BaseURL:             cfg.BaseURL,
		PasskeyRPID:         cfg.CookieDomain, // passkeys shared by the sibling hosts too (issue 21)
		HashingBusy:         cfg.HashingBusy,
		MailTemplates:       th.Mail,
		DevLinks:            devLinks,
		LogKey:              keys["log-key"],
		AuthenticatorKeyKey: keys["authenticator-key-key"],
		RememberKey:         keys["remember-browser-key"],
		OIDCKey:             keys[identity.KeyOIDC],
		Now:                 cfg.Now,
		Observer:            observer,
	})
	if err != nil {
		b.close()
		return nil, err
	}

	if cfg.ClientsFile != "" {
		// The clients file (issue 20): checked in full by Validate, so
		// this writes a valid set or nothing.
		unlisted, err := id.ApplyOIDCClients(ctx, cfg.clients)
		if err != nil {
			b.close()
			return nil, fmt.Errorf("--clients-file %s: %w", cfg.ClientsFile, err)
		}
		log.Info("OpenID Connect clients applied from the clients file", "file", cfg.ClientsFile, "clients", len(cfg.clients))
		for _, cid := range unlisted {
			log.Warn("an OpenID Connect client is registered but not in the clients file; it stays until portal clients remove", "client_id", cid, "file", cfg.ClientsFile)
		}
	}

	h, err := handlers.New(handlers.Options{
		Identity:        id,
		SessionStore:    b.sessions,
		Assets:          assets,
		Log:             log,
		SiteName:        cfg.SiteName,
		BaseURL:         cfg.baseURL,
		CSRFKey:         keys["csrf-key"],
		Ping:            b.ping,
		Ready:           b.ready,
		Providers:       cfg.providers(),
		TrustedProxies:  cfg.proxies,
		CORSOrigins:     cfg.cors,
		ReturnOrigins:   cfg.returns,
		CookieDomain:    cfg.CookieDomain,
		Theme:           th,
		Languages:       cfg.languages(),
		DefaultLanguage: cfg.DefaultLanguage,
		ObserveRequest:  observeRequest,
	})
	if err != nil {
		b.close()
		return nil, err
	}
	id.MailQueue().Start()
	if met != nil {
		met.observeBacklog(id.MailQueue().Backlog)
	}
	p := &Portal{cfg: cfg, log: log, backend: b, identity: id, handler: h, serve: h, metrics: met}
	if cfg.ThemeReload {
		p.serve = newThemeReloader(cfg.Theme, log, h, id)
		log.Warn("--theme-reload: the theme directory is read again on every change (development only)", "dir", cfg.Theme)
	}
	return p, nil
}

func randomKey() ([]byte, error) {
	b := make([]byte, 32)
	_, err := rand.Read(b)
	return b, err
}

// Handler serves every page of Portal.
func (p *Portal) Handler() http.Handler { return p.serve }

// MetricsHandler serves the metrics in the Prometheus text format, or is
// nil when Config.MetricsAddr is empty. Serve answers it at /metrics on
// MetricsAddr; a program embedding Portal may mount it where it likes —
// never on the public listener.
func (p *Portal) MetricsHandler() http.Handler {
	if p.metrics == nil {
		return nil
	}
	return p.metrics.handler()
}

// Identity is the domain service, for Go programs that embed Portal and add
// their own handlers (and for tests).
func (p *Portal) Identity() *identity.Service { return p.identity }

// AddPersonalDataContributor adds an application section to the
// personal-data export (see identity.PersonalDataContributor).
func (p *Portal) AddPersonalDataContributor(c identity.PersonalDataContributor) {
	p.identity.AddPersonalDataContributor(c)
}

// OverridePage replaces the content of the named page (a name of the page
// registry, pages.Names: "login", "enable-authenticator", …) with fn, which
// gets the page's own view model (pages.LoginView for "login"; adapt a
// typed func with pages.Typed). The layout wraps what fn renders; a
// theme's pages/<name>.html still comes first. fn is rendered against the
// page's sample view models at once: an unknown name, a wrong view type or
// a failing component is an error here, not on a request. At request time
// a failing fn is logged and the built-in page served.
//
//	err := p.OverridePage("login", pages.Typed(func(v pages.LoginView) templ.Component {
//		return myLogin(v)
//	}))
func (p *Portal) OverridePage(name string, fn func(view any) templ.Component) error {
	return p.handler.OverridePage(name, fn)
}

// OverrideHandler replaces the handler of one route, named "METHOD /path"
// as in handlers/routes.go — for example "POST /account/register". The
// route keeps its middleware (session, CSRF, sign-in checks). The
// replacement reuses Portal's machinery through Helpers.
func (p *Portal) OverrideHandler(route string, fn echo.HandlerFunc) error {
	return p.handler.OverrideHandler(route, fn)
}

// Helpers is what a handler written outside Portal (OverrideHandler)
// uses: the built-in pages' view models filled in as Portal fills them
// (RegisterView, LoginView, …), Render, SignIn, CurrentUser, FieldErrors,
// SetFlash, Redirect, T, Identity. See handlers.Helpers.
func (p *Portal) Helpers() handlers.Helpers { return p.handler.Helpers() }

// CheckTheme runs the checks New runs on a theme directory (--theme),
// without starting anything: `portal theme check`. The error names every
// file that is wrong and why.
func CheckTheme(dir string) error {
	_, err := CheckThemeWarnings(dir)
	return err
}

// CheckThemeWarnings is CheckTheme that also returns what does not stop
// the server but a reader of some language would notice: messages a
// theme's language lacks (shown in English), plural forms missing,
// placeholders left out, English rewordings a built-in language does not
// follow (theme.Theme.LanguageWarnings).
func CheckThemeWarnings(dir string) ([]string, error) {
	th, _, _, err := loadTheme(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, err
	}
	return th.LanguageWarnings(), nil
}

// Config is the validated configuration (with derived defaults filled in).
func (p *Portal) Config() Config { return p.cfg }

// Close stops background work — the mail queue sends what is due, for at
// most ten seconds — and closes the database.
func (p *Portal) Close() error {
	p.identity.MailQueue().Stop(10 * time.Second)
	return p.backend.close()
}

// FlushMail delivers every message that is due now and returns when the
// outbox is empty of them: for tests and tools that read the mail at once.
func (p *Portal) FlushMail(ctx context.Context) error {
	return p.identity.MailQueue().Flush(ctx)
}

// Migrate applies pending migrations to the configured database and
// returns: `portal migrate`.
// MoveSecrets is `portal move-secrets`: it puts the database's server keys
// under cfg.SecretKeyFile — from the database's own keys, or from
// oldKeyFile when the database was moved to a key file before (rotation)
// — re-encrypting every stored authenticator key in one transaction (see
// identity.MoveServerKeys). It returns how many it re-encrypted.
func MoveSecrets(ctx context.Context, cfg Config, oldKeyFile string) (int, error) {
	if err := cfg.Validate(); err != nil {
		return 0, err
	}
	if cfg.SecretKeyFile == "" {
		return 0, errors.New("--secret-key-file (PORTAL_SECRET_KEY_FILE) names the key to move the secrets to")
	}
	master, err := identity.ReadSecretKeyFile(cfg.SecretKeyFile)
	if err != nil {
		return 0, err
	}
	var old []byte
	if oldKeyFile != "" {
		if old, err = identity.ReadSecretKeyFile(oldKeyFile); err != nil {
			return 0, err
		}
	}
	db, err := openStore(ctx, cfg.DB)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return 0, err
	}
	return identity.MoveServerKeys(ctx, db, old, master)
}

// Migrate applies the database migrations (portal migrate).
func Migrate(ctx context.Context, cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	db, err := openStore(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Migrate(ctx)
}

// Server returns an http.Server for p with the timeouts and header limit of
// docs/security.md, Parameters (REL-09, REL-10).
func (p *Portal) Server() *http.Server {
	return &http.Server{
		Addr:              p.cfg.Addr,
		Handler:           p.serve,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(p.log.Handler(), slog.LevelWarn),
	}
}

// Serve listens on the configured address and serves until ctx is done,
// then stops accepting connections and lets in-flight requests finish (up
// to 30 seconds). ready, if not nil, is called with the listening address.
// While it serves, free heap memory goes back to the OS once requests stop
// for a moment (idleMemory). With Config.MetricsAddr it also answers
// GET /metrics there, on a listener of its own (and nothing else there).
func (p *Portal) Serve(ctx context.Context, ready func(addr net.Addr)) error {
	srv := p.Server()
	ln, err := net.Listen("tcp", p.cfg.Addr)
	if err != nil {
		return err
	}
	if p.metrics != nil {
		mln, err := net.Listen("tcp", p.cfg.MetricsAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("--metrics-addr: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", p.metrics.handler())
		msrv := &http.Server{
			Handler: mux, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second,
			ErrorLog: slog.NewLogLogger(p.log.Handler(), slog.LevelWarn),
		}
		go func() {
			if err := msrv.Serve(mln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				p.log.Error("metrics listener", "err", err)
			}
		}()
		defer msrv.Close()
		p.log.Info("serving metrics", "url", "http://"+mln.Addr().String()+"/metrics")
	}
	if ready != nil {
		ready(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	idleCtx, stopIdle := context.WithCancel(ctx)
	defer stopIdle()
	go newIdleMemory(idleCtx, p.handler.Served, p.backend.db).run(idleCtx, idleMemoryTick)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
