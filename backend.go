package portal

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/alexedwards/scs/goredisstore"
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

// sqlitePath is the file a SQLite --db value names (a path, or
// sqlite://path).
func sqlitePath(db string) string { return strings.TrimPrefix(db, "sqlite://") }

// database is what Portal needs of an engine's store beyond store.Store:
// its migrations and the scs session store that lives in it. Each engine
// settles its own quirks there (the SQLite store's write gate, pgxstore's
// cleanup goroutine).
type database interface {
	store.Store
	Migrate(ctx context.Context) error
	MigrationsPending(ctx context.Context) (bool, error)
	SessionStore() scs.Store
}

var (
	_ database = (*sqlite.Store)(nil)
	_ database = (*postgres.Store)(nil)
)

// backend is the database (SQLite or PostgreSQL) and the session store
// (the same database, or Redis).
type backend struct {
	db       database
	store    store.Store // db, or db with its rate limits in Redis
	sessions scs.Store
	redis    *redis.Client // nil without Redis
}

// openStore opens the database of a --db value without migrating it.
func openStore(ctx context.Context, db string) (database, error) {
	if isPostgres(db) {
		return postgres.Open(ctx, db)
	}
	return sqlite.Open(sqlitePath(db))
}

// openBackend opens and migrates the database and sets up the session
// store.
func openBackend(ctx context.Context, cfg Config) (*backend, error) {
	db, err := openStore(ctx, cfg.DB)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	b := &backend{db: db, store: db, sessions: db.SessionStore()}
	if strings.HasPrefix(cfg.Sessions, "redis://") || strings.HasPrefix(cfg.Sessions, "rediss://") {
		redisURL, prefix, err := redisPrefix(cfg.Sessions)
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("--sessions: %w", err)
		}
		opts, err := redis.ParseURL(redisURL)
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("--sessions: %w", err)
		}
		opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout = 2*time.Second, 2*time.Second, 2*time.Second
		b.redis = redis.NewClient(opts)
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := b.redis.Ping(pctx).Err(); err != nil {
			b.redis.Close()
			db.Close()
			return nil, fmt.Errorf("--sessions: Redis does not answer: %w", err)
		}
		b.sessions = goredisstore.NewWithPrefix(b.redis, prefix+"session:")
		// Rate-limit windows go to Redis too: counting costs no database
		// write, and every instance shares them.
		b.store = withRateLimits{Store: db, RateLimits: redisstore.NewRateLimits(b.redis, prefix+"rl:")}
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
	p, err := b.db.MigrationsPending(ctx)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if p {
		return errors.New("migrations pending")
	}
	return nil
}

func (b *backend) close() error {
	var errs []error
	if b.redis != nil {
		errs = append(errs, b.redis.Close())
	}
	errs = append(errs, b.db.Close())
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
