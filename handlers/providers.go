package handlers

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/markbates/goth"
	"github.com/markbates/goth/providers/github"
	"github.com/markbates/goth/providers/google"
	"github.com/markbates/goth/providers/microsoftonline"
	"github.com/markbates/goth/providers/openidConnect"
)

// ProviderConfig configures one external login provider.
type ProviderConfig struct {
	// Kind is "google", "github", "microsoft" or "oidc".
	Kind string
	// Slug is the provider's form value and stored name ("google", or for
	// OIDC a stable slug such as "acme").
	Slug string
	// Name is the button's label ("Google", "Acme SSO").
	Name         string
	ClientID     string
	ClientSecret string
	// Issuer is the OpenID Connect issuer (Kind "oidc"): discovery at
	// <Issuer>/.well-known/openid-configuration.
	Issuer string
}

// SlugFromName derives a provider slug from its display name: lower case,
// letters and digits, runs of anything else as one dash.
func SlugFromName(name string) string {
	s := regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(name), "-")
	return strings.Trim(s, "-")
}

// provider is a configured external login provider.
type provider struct {
	cfg ProviderConfig

	mu       sync.Mutex
	goth     goth.Provider
	verifier *oidc.IDTokenVerifier // OIDC only: checks the ID token (OIDC-02)
	authURL  string                // the authorization endpoint, once known
}

// formOrigin is the origin the login form's redirect goes to, for the CSP
// form-action directive.
func (p *provider) formOrigin() string {
	p.mu.Lock()
	auth := p.authURL
	p.mu.Unlock()
	if auth == "" {
		switch p.cfg.Kind {
		case "google":
			auth = "https://accounts.google.com/"
		case "github":
			auth = "https://github.com/"
		case "microsoft":
			auth = "https://login.microsoftonline.com/"
		default:
			auth = p.cfg.Issuer
		}
	}
	u, err := url.Parse(auth)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// get builds the goth provider on first use (an OIDC issuer may be down at
// start; the next sign-in tries again).
func (p *provider) get(ctx context.Context, callbackURL string) (goth.Provider, *oidc.IDTokenVerifier, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.goth != nil {
		return p.goth, p.verifier, nil
	}
	c := p.cfg
	switch c.Kind {
	case "google":
		g := google.New(c.ClientID, c.ClientSecret, callbackURL, "openid", "email", "profile")
		g.SetName(c.Slug)
		p.goth = g
	case "github":
		g := github.New(c.ClientID, c.ClientSecret, callbackURL, "read:user", "user:email")
		g.SetName(c.Slug)
		p.goth = g
	case "microsoft":
		g := microsoftonline.New(c.ClientID, c.ClientSecret, callbackURL)
		g.SetName(c.Slug)
		p.goth = g
	case "oidc":
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		op, err := oidc.NewProvider(dctx, strings.TrimSuffix(c.Issuer, "/"))
		if err != nil {
			// go-oidc insists on the exact issuer string; try it as given.
			if op, err = oidc.NewProvider(dctx, c.Issuer); err != nil {
				return nil, nil, fmt.Errorf("OpenID Connect discovery at %s: %w", c.Issuer, err)
			}
		}
		discovery := strings.TrimSuffix(c.Issuer, "/") + "/.well-known/openid-configuration"
		g, err := openidConnect.NewNamed(c.Slug, c.ClientID, c.ClientSecret, callbackURL, discovery, "email", "profile")
		if err != nil {
			return nil, nil, fmt.Errorf("OpenID Connect provider %s: %w", c.Name, err)
		}
		p.goth = g
		p.verifier = op.Verifier(&oidc.Config{ClientID: c.ClientID})
		p.authURL = op.Endpoint().AuthURL
	default:
		return nil, nil, fmt.Errorf("unknown provider kind %q", c.Kind)
	}
	return p.goth, p.verifier, nil
}

// providerSet is every configured provider, in configuration order.
type providerSet struct {
	list   []*provider
	bySlug map[string]*provider
}

func newProviderSet(cfgs []ProviderConfig) (*providerSet, error) {
	ps := &providerSet{bySlug: map[string]*provider{}}
	for _, c := range cfgs {
		if c.Slug == "" || c.Name == "" || c.ClientID == "" || c.ClientSecret == "" {
			return nil, fmt.Errorf("external login provider %q: slug, name, client id and secret are required", c.Name)
		}
		if _, dup := ps.bySlug[c.Slug]; dup {
			return nil, fmt.Errorf("two external login providers use the slug %q", c.Slug)
		}
		p := &provider{cfg: c}
		ps.list = append(ps.list, p)
		ps.bySlug[c.Slug] = p
	}
	return ps, nil
}

// formOrigins are the origins of every provider, for form-action.
func (ps *providerSet) formOrigins() []string {
	var out []string
	for _, p := range ps.list {
		if o := p.formOrigin(); o != "" {
			out = append(out, o)
		}
	}
	return out
}

// warm builds every provider once at start, so that configuration errors
// and unreachable issuers show in the log at once (not fatal: the first
// sign-in retries).
func (ps *providerSet) warm(ctx context.Context, callbackURL string, logf func(string, ...any)) {
	for _, p := range ps.list {
		if _, _, err := p.get(ctx, callbackURL); err != nil {
			logf("external login provider not ready; the first sign-in will retry", "provider", p.cfg.Slug, "err", err)
		}
	}
}
