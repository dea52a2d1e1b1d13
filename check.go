package portal

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/accountportal/portal/mail"
)

// CheckResult is one check of `portal check`: what was checked, a short
// note on success, or the error.
type CheckResult struct {
	Name string
	Note string
	Err  error
}

// Check validates cfg and tries everything Portal would use, without
// serving, migrating or sending anything: the database answers (and
// whether migrations are pending), Redis answers, the mail server greets
// (EHLO, STARTTLS, AUTH, QUIT — no message) or the outbox directory is
// writable, and the theme loads. Each check runs even when an earlier one
// failed, so that one run names every problem. `portal check`.
func Check(ctx context.Context, cfg Config) []CheckResult {
	var out []CheckResult
	add := func(name, note string, err error) {
		if err != nil {
			// One line per check: drivers' errors may run over several.
			err = errors.New(strings.Join(strings.Fields(err.Error()), " "))
		}
		out = append(out, CheckResult{Name: name, Note: note, Err: err})
	}

	add("configuration", "every setting valid", cfg.Validate())

	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	note, err := checkDatabase(dctx, cfg.DB)
	add("database", note, err)

	if strings.HasPrefix(cfg.Sessions, "redis://") || strings.HasPrefix(cfg.Sessions, "rediss://") {
		add("sessions", "Redis answers", checkRedis(dctx, cfg.Sessions))
	} else {
		add("sessions", "kept in the database", nil)
	}

	note = "written to the log (development only: mail bodies and links go to the log)"
	switch {
	case strings.HasPrefix(cfg.Mail, "dir:"):
		note = "outbox directory writable"
	case strings.HasPrefix(cfg.Mail, "smtp"):
		note = "server greets, TLS and sign-in accepted; nothing sent"
	}
	add("mail", note, mail.Check(dctx, cfg.Mail, cfg.MailFrom))

	if cfg.Theme == "" {
		add("theme", "built-in", nil)
	} else {
		add("theme", cfg.Theme+" loads and renders every page", CheckTheme(cfg.Theme))
	}
	return out
}

func checkDatabase(ctx context.Context, db string) (string, error) {
	if db == "" {
		return "", errors.New("--db is empty")
	}
	st, err := openStore(ctx, db)
	if err != nil {
		return "", err
	}
	defer st.Close()
	if err := st.Ping(ctx); err != nil {
		return "", err
	}
	pending, err := st.MigrationsPending(ctx)
	if err != nil {
		return "", fmt.Errorf("reading the schema version: %w", err)
	}
	if pending {
		return "answers; migrations pending (portal migrate, or the first portal serve, applies them)", nil
	}
	return "answers; schema up to date", nil
}

func checkRedis(ctx context.Context, sessions string) error {
	u, _, err := redisPrefix(sessions)
	if err != nil {
		return err
	}
	opts, err := redis.ParseURL(u)
	if err != nil {
		return err
	}
	opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout = 2*time.Second, 2*time.Second, 2*time.Second
	c := redis.NewClient(opts)
	defer c.Close()
	if err := c.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("Redis does not answer: %w", err)
	}
	return nil
}
