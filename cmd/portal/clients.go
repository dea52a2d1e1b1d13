package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/identity"
)

const clientsUsage = `Usage: portal clients ACTION [flags]

  add --name NAME --redirect-uri URI [--redirect-uri URI …]
      [--post-logout-redirect-uri URI …] [--public] [--skip-consent] [--id ID]
                             register an application that signs people in with
                             Portal (OpenID Connect); prints client_id and, for a
                             confidential client, client_secret (shown once)
  list                       list the registered applications
  remove CLIENT_ID           remove an application and everything issued to it
  rotate-secret CLIENT_ID    give a confidential client a new secret (shown once);
                             the old one stops working at once

Redirect URIs are matched exactly; http only for loopback hosts. A public
client (a single-page or mobile app) has no secret and must use PKCE.
--skip-consent is for first-party applications: nobody is asked to allow them.
The usual flags (--db, --base-url, …) and environment variables select the
installation.
`

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, " ") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// runClients is `portal clients`: the OpenID Connect applications.
func runClients(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprint(stderr, clientsUsage)
		return errors.New("clients: give an action")
	}
	action, args := args[0], args[1:]
	cfg := portal.DefaultConfig()
	cfg.Getenv = getenv
	all := flag.NewFlagSet("portal clients "+action, flag.ContinueOnError)
	cfg.BindFlags(all)
	var lf logFlags
	lf.bind(all, "warn")
	var redirects, logouts listFlag
	name := all.String("name", "", "the application's name, shown on the consent page")
	id := all.String("id", "", "the client id (default: a random one)")
	all.Var(&redirects, "redirect-uri", "a redirect URI (repeat for more)")
	all.Var(&logouts, "post-logout-redirect-uri", "a post-logout redirect URI (repeat for more)")
	public := all.Bool("public", false, "a public client: no secret, PKCE required")
	skipConsent := all.Bool("skip-consent", false, "first-party: nobody is asked to allow it")
	base := []string{"db", "sessions", "log-format", "log-level", "secret-key-file"}
	fs := subset(all, base...)
	if action == "add" {
		fs = subset(all, append(base, "name", "id", "redirect-uri", "post-logout-redirect-uri", "public", "skip-consent")...)
	}
	fs.SetOutput(stderr)
	var positional []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return err
		}
		args = fs.Args()
		if len(args) > 0 {
			positional = append(positional, args[0])
			args = args[1:]
		}
	}
	if err := applyEnv(all, fs, getenv); err != nil {
		return err
	}
	switch action {
	case "add", "list":
		if len(positional) != 0 {
			return fmt.Errorf("clients %s: unexpected arguments %v", action, positional)
		}
	case "remove", "rotate-secret":
		if len(positional) != 1 {
			return fmt.Errorf("clients %s: give one client id", action)
		}
	default:
		fmt.Fprint(stderr, clientsUsage)
		return fmt.Errorf("clients: unknown action %q", action)
	}
	log, err := lf.logger(stderr)
	if err != nil {
		return err
	}
	cfg.Logger = log
	p, err := portal.New(cfg)
	if err != nil {
		return err
	}
	defer p.Close()
	ids := p.Identity()
	switch action {
	case "add":
		c, secret, err := ids.RegisterOIDCClient(ctx, portalClientSpec(*id, *name, redirects, logouts, *public, *skipConsent))
		if err != nil {
			return fmt.Errorf("clients add: %w", err)
		}
		fmt.Fprintf(stdout, "client_id: %s\n", c.ID)
		if secret != "" {
			fmt.Fprintf(stdout, "client_secret: %s\n", secret)
			fmt.Fprintln(stdout, "(the secret is shown only now: keep it in the application's configuration)")
		}
		fmt.Fprintf(stdout, "discovery: %s/.well-known/openid-configuration\n", strings.TrimRight(p.Config().BaseURL, "/"))
		return nil
	case "list":
		cs, err := ids.OIDCClients(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "CLIENT_ID\tNAME\tTYPE\tCONSENT\tREDIRECT URIS\tCREATED")
		for _, c := range cs {
			typ, consent := "confidential", "asked"
			if c.Public {
				typ = "public"
			}
			if c.SkipConsent {
				consent = "skipped"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Name, typ, consent, strings.Join(c.RedirectURIs, " "), c.CreatedAt.Format("2006-01-02 15:04"))
		}
		return w.Flush()
	case "remove":
		if err := ids.RemoveOIDCClient(ctx, positional[0]); err != nil {
			return fmt.Errorf("clients remove %s: %w", positional[0], err)
		}
		fmt.Fprintf(stdout, "removed %s and every grant and token issued to it\n", positional[0])
		return nil
	case "rotate-secret":
		secret, err := ids.RotateOIDCClientSecret(ctx, positional[0])
		if err != nil {
			return fmt.Errorf("clients rotate-secret %s: %w", positional[0], err)
		}
		fmt.Fprintf(stdout, "client_secret: %s\n(the old secret no longer works)\n", secret)
		return nil
	}
	return nil
}

const oidcUsage = `Usage: portal oidc ACTION [flags]

  rotate-key     make a new token-signing key current; the previous key stays
                 published (JWKS) until the tokens it signed have expired, and
                 every instance signs with the new key within a minute
`

// runOIDC is `portal oidc`: the OpenID Provider's keys.
func runOIDC(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "rotate-key" {
		fmt.Fprint(stderr, oidcUsage)
		return errors.New("oidc: give an action (rotate-key)")
	}
	cfg := portal.DefaultConfig()
	cfg.Getenv = getenv
	all := flag.NewFlagSet("portal oidc rotate-key", flag.ContinueOnError)
	cfg.BindFlags(all)
	var lf logFlags
	lf.bind(all, "warn")
	fs := subset(all, "db", "sessions", "log-format", "log-level", "secret-key-file")
	fs.SetOutput(stderr)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("oidc rotate-key: unexpected arguments %v", fs.Args())
	}
	if err := applyEnv(all, fs, getenv); err != nil {
		return err
	}
	log, err := lf.logger(stderr)
	if err != nil {
		return err
	}
	cfg.Logger = log
	p, err := portal.New(cfg)
	if err != nil {
		return err
	}
	defer p.Close()
	kid, err := p.Identity().RotateOIDCKey(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "new signing key %s is current; the previous key stays published until its tokens expire\n", kid)
	return nil
}

func portalClientSpec(id, name string, redirects, logouts []string, public, skipConsent bool) identity.OIDCClientSpec {
	return identity.OIDCClientSpec{ID: id, Name: name, RedirectURIs: redirects, PostLogoutRedirectURIs: logouts, Public: public, SkipConsent: skipConsent}
}
