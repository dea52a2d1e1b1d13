package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/identity"
)

const usersUsage = `Usage: portal users ACTION [flags] [EMAIL]

  list                       list accounts (--offset, --limit)
  create EMAIL               create an account (--confirmed; --password-stdin reads a password)
  invite EMAIL               mail an invitation to register (for --registration invite)
  lock EMAIL                 lock the account and sign it out everywhere (--for 24h; default: until unlocked)
  unlock EMAIL               unlock the account
  delete EMAIL               delete the account and all its data
  confirm-email EMAIL        mark the address confirmed
  reset-2fa EMAIL            turn two-factor authentication off (lost phone and codes)
  import --format F FILE     move accounts in from another system, passwords and all:
                             --format aspnet-identity (AspNetUsers CSV; --logins
                             AspNetUserLogins.csv, --tokens AspNetUserTokens.csv),
                             csv (email,password_hash[,email_confirmed,username,id,created_at])
                             or kratos (identities JSON); --dry-run, --skip-bad-rows,
                             --update, --provider OLD=NEW (external login names)

Each action is recorded in the account's security history. The usual flags
(--db, --mail, …) and environment variables select the installation.
`

// runUsers is `portal users`: the operator's tool for a portal without an
// admin UI.
func runUsers(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprint(stderr, usersUsage)
		return errors.New("users: give an action")
	}
	action, args := args[0], args[1:]
	cfg := portal.DefaultConfig()
	cfg.Getenv = getenv
	all := flag.NewFlagSet("portal users "+action, flag.ContinueOnError)
	cfg.BindFlags(all)
	var lf logFlags
	lf.bind(all, "warn")
	offset := all.Int("offset", 0, "skip this many accounts")
	limit := all.Int("limit", 100, "show at most this many accounts")
	confirmed := all.Bool("confirmed", false, "mark the address confirmed")
	passwordStdin := all.Bool("password-stdin", false, "read the password from standard input")
	lockFor := all.Duration("for", 0, "how long (default: until unlocked)")
	var imp importFlags
	impSet := flag.NewFlagSet("", flag.ContinueOnError)
	imp.bind(impSet)
	var impNames []string
	impSet.VisitAll(func(f *flag.Flag) {
		all.Var(f.Value, f.Name, f.Usage)
		impNames = append(impNames, f.Name)
	})
	// Each action shows (-h) and takes only the flags it uses.
	base := []string{"db", "sessions", "log-format", "log-level"}
	mailing := append(base[:len(base):len(base)], "mail", "mail-from", "base-url", "site-name", "theme")
	fs := all
	switch action {
	case "list":
		fs = subset(all, append(base, "offset", "limit")...)
	case "create":
		fs = subset(all, append(mailing, "confirmed", "password-stdin", "password-min-length", "argon2-memory", "argon2-iterations", "argon2-parallelism")...)
	case "lock":
		fs = subset(all, append(mailing, "for")...)
	case "invite", "unlock", "delete", "confirm-email", "reset-2fa":
		fs = subset(all, mailing...)
	case "import":
		fs = subset(all, append(base, impNames...)...)
	}
	fs.SetOutput(stderr)
	// Flags may come before or after the address.
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
	log, err := lf.logger(stderr)
	if err != nil {
		return err
	}
	cfg.Logger = log
	if action == "import" {
		if len(positional) != 1 {
			return errors.New("users import: give one users file")
		}
		return runImport(ctx, cfg, imp, positional[0], stdout)
	}
	needEmail := action != "list"
	if needEmail && len(positional) != 1 {
		return fmt.Errorf("users %s: give one email address", action)
	}
	if !needEmail && len(positional) != 0 {
		return fmt.Errorf("users %s: unexpected arguments %v", action, positional)
	}
	switch action {
	case "list", "create", "invite", "lock", "unlock", "delete", "confirm-email", "reset-2fa":
	default:
		fmt.Fprint(stderr, usersUsage)
		return fmt.Errorf("users: unknown action %q", action)
	}
	p, err := portal.New(cfg)
	if err != nil {
		return err
	}
	defer p.Close() // sends queued mail (invitations, notices)
	id := p.Identity()
	email := ""
	if needEmail {
		email = positional[0]
	}
	switch action {
	case "list":
		us, err := id.ListUsers(ctx, *offset, *limit)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "EMAIL\tCONFIRMED\t2FA\tLOCKED\tPASSWORD\tCREATED\tID")
		now := time.Now()
		for _, u := range us {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u.Email, yesNo(u.EmailConfirmed), yesNo(u.TwoFactorEnabled),
				yesNo(identity.IsLockedOut(u, now)), yesNo(u.PasswordHash != ""), u.CreatedAt.Format("2006-01-02 15:04"), u.ID)
		}
		return w.Flush()
	case "create":
		password := ""
		if *passwordStdin {
			line, err := bufio.NewReader(stdin).ReadString('\n')
			if err != nil && !errors.Is(err, io.EOF) {
				return err
			}
			password = strings.TrimRight(line, "\r\n")
			if password == "" {
				return errors.New("users create: --password-stdin read no password")
			}
		}
		u, err := id.AdminCreateUser(ctx, email, password, *confirmed)
		if err != nil {
			return cliError(err)
		}
		fmt.Fprintf(stdout, "created %s (%s)\n", u.Email, u.ID)
		if password == "" {
			fmt.Fprintln(stdout, "the account has no password: its owner sets one through “Forgot your password?”")
		}
		return nil
	case "invite":
		if _, err := id.Invite(ctx, email); err != nil {
			return cliError(err)
		}
		fmt.Fprintf(stdout, "invited %s (the link works once, for a week)\n", email)
		return nil
	case "lock":
		until := time.Now().Add(100 * 365 * 24 * time.Hour)
		if *lockFor > 0 {
			until = time.Now().Add(*lockFor)
		}
		if err := id.AdminLock(ctx, email, until); err != nil {
			return cliError(err)
		}
		fmt.Fprintf(stdout, "locked %s and signed it out everywhere\n", email)
		return nil
	case "unlock":
		if err := id.AdminUnlock(ctx, email); err != nil {
			return cliError(err)
		}
		fmt.Fprintf(stdout, "unlocked %s\n", email)
		return nil
	case "delete":
		if err := id.AdminDelete(ctx, email); err != nil {
			return cliError(err)
		}
		fmt.Fprintf(stdout, "deleted %s and all its data\n", email)
		return nil
	case "confirm-email":
		if err := id.AdminConfirmEmail(ctx, email); err != nil {
			return cliError(err)
		}
		fmt.Fprintf(stdout, "confirmed %s\n", email)
		return nil
	case "reset-2fa":
		if err := id.AdminResetTwoFactor(ctx, email); err != nil {
			return cliError(err)
		}
		fmt.Fprintf(stdout, "two-factor authentication of %s is off; the owner was told by mail\n", email)
		return nil
	}
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// cliError shows identity's user-safe message (with the field's message
// for a validation error).
func cliError(err error) error {
	var e *identity.Error
	if errors.As(err, &e) {
		for _, m := range e.Fields {
			return errors.New(m)
		}
		return errors.New(e.Message)
	}
	return err
}
