package portal

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/alexedwards/scs/goredisstore"
	"github.com/alexedwards/scs/pgxstore"
	"github.com/alexedwards/scs/sqlite3store"
	"github.com/alexedwards/scs/v2"
	"github.com/redis/go-redis/v9"

	"github.com/accountportal/portal/store"
	"github.com/accountportal/portal/store/postgres"
	redisstore "github.com/accountportal/portal/store/redis"
	"github.com/accountportal/portal/store/sqlite"
)

// isPostgres reports whether a --db value names PostgreSQL.
func isPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// backend is the database (SQLite or PostgreSQL) and the session store
// (the same database, or Redis).
type backend struct {
	store    store.Store
	migrate  func(ctx context.Context) error
	pending  func(ctx context.Context) (bool, error)
	sessions scs.Store
	redis    *redis.Client // nil without Redis
	stop     func()        // stops the session store's cleanup
}

// openStore opens the database of cfg.DB without migrating it.
func openStore(ctx context.Context, db string) (store.Store, func(context.Context) error, func(context.Context) (bool, error), error) {
	if isPostgres(db) {
		st, err := postgres.Open(ctx, db)
		if err != nil {
			return nil, nil, nil, err
		}
		return st, st.Migrate, st.MigrationsPending, nil
	}
	st, err := sqlite.Open(strings.TrimPrefix(db, "sqlite://"))
	if err != nil {
		return nil, nil, nil, err
	}
	return st, st.Migrate, st.MigrationsPending, nil
}

// openBackend opens and migrates the database and sets up the session
// store.
func openBackend(ctx context.Context, cfg Config) (*backend, error) {
	st, migrate, pending, err := openStore(ctx, cfg.DB)
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	b := &backend{store: st, migrate: migrate, pending: pending, stop: func() {}}
	switch {
	case strings.HasPrefix(cfg.Sessions, "redis://") || strings.HasPrefix(cfg.Sessions, "rediss://"):
		redisURL, prefix, err := redisPrefix(cfg.Sessions)
		if err != nil {
			st.Close()
			return nil, fmt.Errorf("--sessions: %w", err)
		}
		opts, err := redis.ParseURL(redisURL)
		if err != nil {
			st.Close()
			return nil, fmt.Errorf("--sessions: %w", err)
		}
		opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout = 2*time.Second, 2*time.Second, 2*time.Second
		b.redis = redis.NewClient(opts)
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := b.redis.Ping(pctx).Err(); err != nil {
			b.redis.Close()
			st.Close()
			return nil, fmt.Errorf("--sessions: Redis does not answer: %w", err)
		}
		b.sessions = goredisstore.NewWithPrefix(b.redis, prefix+"session:")
		// Rate-limit windows go to Redis too: counting costs no database
		// write, and every instance shares them.
		b.store = withRateLimits{Store: st, RateLimits: redisstore.NewRateLimits(b.redis, prefix+"rl:")}
	case isPostgres(cfg.DB):
		// No cleanup goroutine: pgxstore's start/stop race (the channel is
		// made inside the goroutine); expired rows are deleted with the
		// session registry's (store DeleteExpiredSessions).
		b.sessions, b.stop = pgxstore.NewWithCleanupInterval(st.(*postgres.Store).Pool(), 0), func() {}
	default:
		// No cleanup goroutine either: its deletes would bypass the
		// store's write gate; expired rows go with the registry's
		// (store DeleteExpiredSessions).
		sq := st.(*sqlite.Store)
		b.sessions, b.stop = gatedSessions{sqlite3store.NewWithCleanupInterval(sq.DB(), 0), sq}, func() {}
	}
	return b, nil
}

// ping checks the database and, when used, Redis (for /healthz).
func (b *backend) ping(ctx context.Context) error {
	if err := b.store.Ping(ctx); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	if b.redis != nil {
		if err := b.redis.Ping(ctx).Err(); err != nil {
			return fmt.Errorf("redis: %w", err)
		}
	}
	return nil
}

// ready is ping plus: the schema is up to date (for /readyz: an instance
// whose database is being migrated by another is not ready).
func (b *backend) ready(ctx context.Context) error {
	if err := b.ping(ctx); err != nil {
		return err
	}
	p, err := b.pending(ctx)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if p {
		return errors.New("migrations pending")
	}
	return nil
}

func (b *backend) close() error {
	b.stop()
	var errs []error
	if b.redis != nil {
		errs = append(errs, b.redis.Close())
	}
	errs = append(errs, b.store.Close())
	return errors.Join(errs...)
}

// withRateLimits is a store whose rate limits live elsewhere (Redis).
type withRateLimits struct {
	store.Store
	store.RateLimits
}

func (w withRateLimits) HitRateLimit(ctx context.Context, key string, window time.Duration, now time.Time) (int, time.Time, error) {
	return w.RateLimits.HitRateLimit(ctx, key, window, now)
}

func (w withRateLimits) PeekRateLimit(ctx context.Context, key string, now time.Time) (int, time.Time, error) {
	return w.RateLimits.PeekRateLimit(ctx, key, now)
}

func (w withRateLimits) DeleteExpiredRateLimits(ctx context.Context, t time.Time) error {
	return w.RateLimits.DeleteExpiredRateLimits(ctx, t)
}

func (w withRateLimits) ResetRateLimit(ctx context.Context, key string) error {
	return w.RateLimits.ResetRateLimit(ctx, key)
}

// gatedSessions sends the writes of scs's SQLite session store through the
// SQLite store's write gate, so that they queue in order with the store's
// own writes instead of in SQLite's busy handler (store/sqlite/gate.go).
type gatedSessions struct {
	*sqlite3store.SQLite3Store
	st *sqlite.Store
}

func (g gatedSessions) Commit(token string, b []byte, expiry time.Time) error {
	return g.st.Write(context.Background(), func() error { return g.SQLite3Store.Commit(token, b, expiry) })
}

func (g gatedSessions) Delete(token string) error {
	return g.st.Write(context.Background(), func() error { return g.SQLite3Store.Delete(token) })
}

// defaultRedisPrefix starts every key Portal keeps in Redis.
const defaultRedisPrefix = "portal:"

// redisPrefix takes Portal's own "prefix" parameter out of a --sessions
// Redis URL (go-redis refuses parameters it does not know): the start of
// every key Portal keeps there (default "portal:"), so that deployments
// sharing one Redis database — staging and production, or test runs —
// keep their sessions and rate-limit windows apart.
func redisPrefix(raw string) (redisURL, prefix string, err error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", err
	}
	q := u.Query()
	if !q.Has("prefix") {
		return raw, defaultRedisPrefix, nil
	}
	prefix = q.Get("prefix")
	if prefix == "" {
		return "", "", fmt.Errorf("prefix= must not be empty (the default is %q)", defaultRedisPrefix)
	}
	q.Del("prefix")
	u.RawQuery = q.Encode()
	return u.String(), prefix, nil
}
