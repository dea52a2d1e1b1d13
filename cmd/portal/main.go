// Command portal runs the Portal account portal.
//
//	portal [serve] [flags]   serve the portal (the default)
//	portal migrate [flags]   apply database migrations and exit
//	portal theme …           init, check or eject a theme directory
//	portal version           print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"

	"github.com/accountportal/portal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "portal:", err)
		}
		os.Exit(2)
	}
}

const usage = `Usage:
  portal [serve] [flags]   serve the portal (default)
  portal migrate [flags]   apply database migrations and exit
  portal move-secrets --secret-key-file FILE [--old-secret-key-file OLD] [flags]
                           put the server keys under a key file kept outside
                           the database (re-encrypts stored 2FA keys)
  portal check [flags]     check the configuration, database, Redis, mail
                           server and theme without serving (same flags as serve)
  portal copy --from sqlite://portal.db --to postgres://… [--sessions]
                           move an installation to PostgreSQL
  portal users ACTION …    list, create, invite, lock, unlock, delete,
                           confirm-email, reset-2fa (see portal users)
  portal clients ACTION …  add, list, remove, rotate-secret: the applications
                           that sign people in with Portal (OpenID Connect)
  portal oidc rotate-key   make a new OpenID Connect token-signing key current
  portal theme init|check|eject|preview …
                           start, check, extend or preview a theme directory
  portal version           print the version

Every flag can also be set by an environment variable: --base-url is
PORTAL_BASE_URL. Run "portal serve -h" for the flags.
`

// run is the whole program, with its environment passed in (Mat Ryer).
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve", "migrate", "check", "move-secrets":
	case "copy":
		return runCopy(ctx, args, stdout, stderr)
	case "theme":
		return runTheme(ctx, args, stdout, stderr)
	case "users":
		return runUsers(ctx, args, getenv, os.Stdin, stdout, stderr)
	case "clients":
		return runClients(ctx, args, getenv, stdout, stderr)
	case "oidc":
		return runOIDC(ctx, args, getenv, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "portal", portal.VersionString())
		return nil
	case "help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}

	cfg := portal.DefaultConfig()
	cfg.Getenv = getenv
	all := flag.NewFlagSet("portal "+cmd, flag.ContinueOnError)
	cfg.BindFlags(all)
	var oldKeyFile string
	if cmd == "move-secrets" {
		all.StringVar(&oldKeyFile, "old-secret-key-file", "", "the key file the database's secrets are under now (to rotate the key)")
	}
	var lf logFlags
	lf.bind(all, "info")
	fs := all
	check := new(bool)
	if cmd == "migrate" {
		// migrate uses the database and the log, nothing else.
		fs = subset(all, "db", "log-format", "log-level")
	} else if cmd == "serve" {
		check = fs.Bool("check", false, "check the configuration, database, Redis, mail server and theme, print one line each, and exit (as portal check)")
	}
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if err := applyEnv(all, fs, getenv); err != nil {
		return err
	}
	if cmd == "check" || *check {
		return runCheck(ctx, cfg, stdout)
	}
	log, err := lf.logger(stderr)
	if err != nil {
		return err
	}
	cfg.Logger = log

	if cmd == "move-secrets" {
		n, err := portal.MoveSecrets(ctx, cfg, oldKeyFile)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "server keys now derived from %s: %d authenticator keys re-encrypted; the database holds no server key. Start portal with the same --secret-key-file.\n", cfg.SecretKeyFile, n)
		return nil
	}
	if cmd == "migrate" {
		if err := portal.Migrate(ctx, cfg); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "migrations applied to", cfg.DB)
		return nil
	}

	cfg.HashingBusy = tuneGC(getenv, debug.SetGCPercent)
	p, err := portal.New(cfg)
	if err != nil {
		return err
	}
	defer p.Close()
	setMemoryLimit(getenv, cfg)
	err = p.Serve(ctx, func(addr net.Addr) {
		fmt.Fprintf(stdout, "Portal %s is listening on http://%s (public URL %s; database %s; mail %s)\n",
			portal.VersionString(), addr, p.Config().BaseURL, redactURL(cfg.DB), redactURL(cfg.Mail))
		if cfg.MetricsAddr != "" {
			fmt.Fprintf(stdout, "Metrics at http://%s/metrics\n", cfg.MetricsAddr)
		}
	})
	if err == nil {
		fmt.Fprintln(stdout, "Portal stopped")
	}
	return err
}

// redactURL hides the password of a URL-shaped setting (a database, Redis
// or SMTP URL) before it is printed.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// runCopy is `portal copy`: SQLite to PostgreSQL, all or nothing.
func runCopy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("portal copy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "the SQLite database to copy (sqlite://path or a path)")
	to := fs.String("to", "", "the empty PostgreSQL database to copy into (postgres://…)")
	sessions := fs.Bool("sessions", false, "copy signed-in sessions too (otherwise everyone signs in again)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *from == "" || *to == "" || fs.NArg() > 0 {
		return errors.New("copy: give --from and --to")
	}
	if err := portal.Copy(ctx, *from, *to, *sessions, stdout); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "copied", *from, "to", redactURL(*to))
	return nil
}

// The garbage collector's GOGC while pages are served, and while a
// password hash runs (see tuneGC).
const (
	pagesGCPercent   = 200
	hashingGCPercent = 100
)

// tuneGC, when GOGC is not set, runs the collector at pagesGCPercent and
// returns the hook (Config.HashingBusy) that drops it to hashingGCPercent
// while a password hash runs. A page allocates some 18 KB in small
// short-lived objects over a live heap near 10 MB, so at the default 100
// the collector runs dozens of times a second under load; at 200 half as
// often. During hashing the live
// heap holds argon2id's 46 MiB buffers: a goal of three times that would
// sit above the memory limit (setMemoryLimit), which then binds and the
// collector runs all the time, so hashing keeps the default that limit
// was sized for (figures in docs/performance.md, "The collector follows
// the hashing"). Idle memory is given back either way (memory.go, identity's
// memReturn). With GOGC set the operator's value stands and nothing
// switches.
func tuneGC(getenv func(string) string, setPercent func(int) int) func(busy bool) {
	if getenv("GOGC") != "" {
		return nil
	}
	setPercent(pagesGCPercent)
	return func(busy bool) {
		if busy {
			setPercent(hashingGCPercent)
		} else {
			setPercent(pagesGCPercent)
		}
	}
}

// setMemoryLimit gives the Go runtime a soft memory limit when GOMEMLIMIT is
// not set: 128 MiB plus 1.5 times the argon2id memory of every hashing
// slot. Under a login flood the garbage collector then returns the hashing
// buffers instead of letting them pile up (REL-12; docs/performance.md).
func setMemoryLimit(getenv func(string) string, cfg portal.Config) {
	if getenv("GOMEMLIMIT") != "" {
		return
	}
	slots := cfg.HashConcurrency
	if slots <= 0 {
		slots = runtime.NumCPU()
	}
	perHash := int64(cfg.Argon2Memory) * 1024 // argon2id's m is the total, all lanes
	debug.SetMemoryLimit(128<<20 + int64(slots)*perHash*3/2)
}
