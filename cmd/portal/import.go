package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/identity"
)

// importFlags are the flags of `portal users import`.
type importFlags struct {
	format      string
	logins      string
	tokens      string
	dryRun      bool
	skipBadRows bool
	update      bool
	providers   providerMap
}

func (f *importFlags) bind(fs *flag.FlagSet) {
	fs.StringVar(&f.format, "format", "", "import: aspnet-identity, csv or kratos")
	fs.StringVar(&f.logins, "logins", "", "import: AspNetUserLogins CSV export (aspnet-identity)")
	fs.StringVar(&f.tokens, "tokens", "", "import: AspNetUserTokens CSV export (aspnet-identity): authenticator keys and recovery codes")
	fs.BoolVar(&f.dryRun, "dry-run", false, "import: check everything, write nothing")
	fs.BoolVar(&f.skipBadRows, "skip-bad-rows", false, "import: import the good rows of a file with bad ones")
	fs.BoolVar(&f.update, "update", false, "import: refresh accounts whose address exists instead of skipping them")
	f.providers = providerMap{}
	fs.Var(f.providers, "provider", "import: OLD=NEW maps an external login provider's name to Portal's (repeatable)")
}

// providerMap is --provider OLD=NEW, repeatable.
type providerMap map[string]string

func (m providerMap) String() string { return "" }

func (m providerMap) Set(v string) error {
	old, slug, ok := strings.Cut(v, "=")
	if !ok || old == "" || slug == "" {
		return errors.New("want OLD=NEW, e.g. --provider OpenIdConnect=acme")
	}
	m[old] = slug
	return nil
}

// runImport is `portal users import`: it prints the report and fails
// (exit status 2) when the import was refused.
func runImport(ctx context.Context, cfg portal.Config, f importFlags, usersFile string, stdout io.Writer) error {
	if f.format == "" {
		return errors.New("users import: give --format aspnet-identity, csv or kratos")
	}
	opts := identity.ImportOptions{Format: f.format, UsersName: usersFile, Providers: f.providers,
		DryRun: f.dryRun, SkipBadRows: f.skipBadRows, Update: f.update}
	var files []*os.File
	defer func() {
		for _, fl := range files {
			fl.Close()
		}
	}()
	open := func(name string) (io.Reader, error) {
		fl, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		files = append(files, fl)
		return fl, nil
	}
	var err error
	if opts.Users, err = open(usersFile); err != nil {
		return err
	}
	if f.logins != "" {
		opts.LoginsName = f.logins
		if opts.Logins, err = open(f.logins); err != nil {
			return err
		}
	}
	if f.tokens != "" {
		opts.TokensName = f.tokens
		if opts.Tokens, err = open(f.tokens); err != nil {
			return err
		}
	}
	p, err := portal.New(cfg)
	if err != nil {
		return err
	}
	defer p.Close()
	rep, err := p.Identity().ImportUsers(ctx, opts)
	if rep != nil {
		printImportReport(stdout, rep, opts)
	}
	return err
}

func printImportReport(w io.Writer, r *identity.ImportReport, o identity.ImportOptions) {
	switch {
	case o.DryRun:
		fmt.Fprintf(w, "dry run: nothing was written\n")
	case !r.Written:
		fmt.Fprintf(w, "nothing was imported\n")
	}
	verb := "imported"
	if !r.Written {
		verb = "would import"
	}
	fmt.Fprintf(w, "%s from %s: %d accounts read\n", verb, r.System, r.Rows)
	fmt.Fprintf(w, "  new:            %d (%d must confirm their address before signing in)\n", r.Created, r.Unconfirmed)
	if o.Update {
		fmt.Fprintf(w, "  updated:        %d\n", r.Updated)
	}
	fmt.Fprintf(w, "  already here:   %d (left as they are)\n", r.Existing)
	fmt.Fprintf(w, "  bad rows:       %d\n", r.Bad)
	fmt.Fprintf(w, "  external logins %d, authenticator keys %d, recovery codes %d\n", r.Logins, r.AuthenticatorKeys, r.RecoveryCodes)
	if len(r.Problems) > 0 {
		fmt.Fprintf(w, "problems (%d):\n", len(r.Problems))
		for _, p := range r.Problems {
			fmt.Fprintf(w, "  %s\n", p)
		}
		if !o.SkipBadRows && !o.DryRun {
			fmt.Fprintln(w, "fix them, or import the good rows with --skip-bad-rows")
		}
	}
	if len(r.Notes) > 0 {
		fmt.Fprintf(w, "notes (%d):\n", len(r.Notes))
		for _, p := range r.Notes {
			fmt.Fprintf(w, "  %s\n", p)
		}
	}
	fmt.Fprintln(w, "no mail was sent; passwords are upgraded to argon2id as people sign in")
}
