// Package postgres is the PostgreSQL store, for operators who run more than
// one instance. It has the semantics of the SQLite store (the storetest suite
// checks both) and relies on PostgreSQL for what SQLite gets from its single
// writer: unique indexes refuse duplicate addresses, single-use rows are
// consumed with one UPDATE … RETURNING or DELETE, counters are updated in
// one statement, the outbox is claimed with FOR UPDATE SKIP LOCKED, and a
// read that must precede a write locks its row with SELECT … FOR UPDATE
// (REL-03, REL-04; docs/security.md, Parameters).
//
// Every connection runs with synchronous_commit=on (an acknowledged write is
// on disk, REL-01) and a statement_timeout, so that a stuck query cannot hold
// a request and a pooled connection for ever.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/accountportal/portal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

const (
	// DefaultStatementTimeout bounds every statement of the pool unless the
	// URL sets statement_timeout itself. Migrations run without it.
	DefaultStatementTimeout = 10 * time.Second
	// maxDefaultConns caps the default pool size (4 per CPU): PostgreSQL
	// pays for every connection, and several instances share the server's
	// max_connections (100 by default).
	maxDefaultConns = 32
	// MigrationLockID is the key of the session-level advisory lock
	// (pg_advisory_lock's bigint space, per database) that Migrate holds
	// around goose's Up, so that instances starting together migrate one
	// after the other. It is fixed — "portal" in ASCII — and differs from
	// goose's own default key so that another goose user of the same
	// database does not wait on Portal (or the other way round).
	MigrationLockID int64 = 0x706f7274616c
)

// Store is the PostgreSQL implementation of store.Store.
type Store struct {
	pool *pgxpool.Pool
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at url (postgres://… or a key=value DSN).
// It does not migrate; call Migrate.
//
// The pool has pool_max_conns from the URL, or 4 per CPU capped at 32.
// Each connection gets synchronous_commit=on (always: durability is not
// negotiable, REL-01) and statement_timeout=10s unless the URL sets one
// (for example ?statement_timeout=30000).
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgconn redacts the password only on a best-effort basis, and the
		// error ends up in logs: do not wrap it.
		return nil, errors.New("postgres: invalid database URL (check its syntax and pool_* parameters)")
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = int32(min(max(4, 4*runtime.NumCPU()), maxDefaultConns))
	}
	if !strings.Contains(url, "pool_max_conn_idle_time") {
		cfg.MaxConnIdleTime = 5 * time.Minute
	}
	rp := cfg.ConnConfig.RuntimeParams
	if _, ok := rp["statement_timeout"]; !ok {
		rp["statement_timeout"] = fmt.Sprint(DefaultStatementTimeout.Milliseconds())
	}
	switch rp["synchronous_commit"] {
	case "remote_write", "remote_apply":
		// Stronger than, or as strong as, "on" for the primary: keep.
	default:
		rp["synchronous_commit"] = "on"
	}
	if _, ok := rp["application_name"]; !ok {
		rp["application_name"] = "portal"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	return &Store{pool: pool}, nil
}

// Pool is the underlying pool, for writing outside the store
// (store/pgcopy copies whole tables into it).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Migrations is the embedded migration set (for goose).
func Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}

// Migrate applies every pending migration. It holds the session-level
// advisory lock MigrationLockID while goose runs (goose's
// PostgresSessionLocker: pg_try_advisory_lock, retried every second for up
// to five minutes), so that concurrent Migrate calls from several instances
// run one after the other; the later ones find nothing to do.
//
// Migrations use their own short-lived connections without the pool's
// statement_timeout: a migration on a large table may take longer than a
// request should.
func (s *Store) Migrate(ctx context.Context) error {
	cc := s.pool.Config().ConnConfig.Copy()
	cc.RuntimeParams["statement_timeout"] = "0"
	db := stdlib.OpenDB(*cc)
	defer db.Close()
	db.SetMaxOpenConns(2)
	return migrate(ctx, db)
}

func migrate(ctx context.Context, db *sql.DB) error {
	locker, err := lock.NewPostgresSessionLocker(
		lock.WithLockID(MigrationLockID),
		lock.WithLockTimeout(1, 300),
	)
	if err != nil {
		return fmt.Errorf("postgres: migration lock: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, Migrations(), goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("postgres: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	return nil
}

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.pool.QueryRow(ctx, "SELECT 1").Scan(&one)
}

// Close closes the pool, waiting for connections in use to be returned.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// inTx runs fn in a transaction and commits it when fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return translate(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := fn(tx); err != nil {
		return err
	}
	return translate(tx.Commit(ctx))
}

// pgUniqueViolation is SQLSTATE unique_violation.
const pgUniqueViolation = "23505"

// translate turns driver errors into the store's vocabulary.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) || errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == pgUniqueViolation {
		return fmt.Errorf("%w: %v", store.ErrConflict, err)
	}
	return err
}

// utc normalises a time for storage: UTC, and NULL for the zero time.
// timestamptz keeps microseconds; finer digits are truncated.
func utc(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

// fromNull reads a nullable timestamptz: the zero time for NULL, else UTC.
func fromNull(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// nilIfEmpty stores an empty byte slice as NULL.
func nilIfEmpty(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// collect reads every row with scan.
func collect[T any](rows pgx.Rows, err error, scan func(pgx.Row) (T, error)) ([]T, error) {
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, translate(rows.Err())
}

// MigrationsPending reports whether the database lags behind the embedded
// migrations (for /readyz), without taking the migration lock — so it
// answers true while another instance is migrating.
func (s *Store) MigrationsPending(ctx context.Context) (bool, error) {
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, Migrations())
	if err != nil {
		return false, err
	}
	current, target, err := p.GetVersions(ctx)
	if err != nil {
		return false, err
	}
	return current < target, nil
}
