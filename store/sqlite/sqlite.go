// Package sqlite is the default store: one SQLite file through
// github.com/mattn/go-sqlite3, in WAL mode with foreign keys, a busy timeout
// and synchronous=FULL (an acknowledged write survives power loss, REL-01).
// Transactions start with BEGIN IMMEDIATE so that a read-then-write never
// fails half-way on a lock upgrade (REL-03).
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"
	"github.com/pressly/goose/v3"

	"github.com/accountportal/portal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the SQLite implementation of store.Store.
type Store struct {
	db   *sql.DB
	gate writeGate // every write goes through it (gate.go)
	// epoch reads the auth epoch on connections of its own (epoch.go).
	epoch epochReaders
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the SQLite database at path. It does not
// migrate; call Migrate.
func Open(path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty database path")
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL")
	q.Set("_busy_timeout", "5000")
	q.Set("_foreign_keys", "on")
	q.Set("_txlock", "immediate")
	// Prepared statements are cached per connection (the driver prepares
	// every query afresh otherwise; docs/performance.md, "Store hot queries").
	q.Set("_stmt_cache_size", "64")
	dsn := "file:" + escapePath(path) + "?" + q.Encode()
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// WAL lets readers run beside the one writer; SQLite serialises writers
	// itself and busy_timeout makes them wait rather than fail.
	// And the auth epoch's own connections (epoch.go).
	n := max(4, 2*runtime.NumCPU()) + epochConns()
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return &Store{db: db, gate: newWriteGate()}, nil
}

// escapePath keeps '?' and '#' in a file name from being read as the start of
// the DSN's query.
func escapePath(p string) string {
	return strings.NewReplacer("?", "%3f", "#", "%23").Replace(p)
}

// DB is the underlying handle, for reading outside the store (store/pgcopy
// reads every table). Writes through it bypass the write gate.
func (s *Store) DB() *sql.DB { return s.db }

// Migrations is the embedded migration set (for goose).
func Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}

// Migrate applies every pending migration.
func (s *Store) Migrate(ctx context.Context) error {
	p, err := goose.NewProvider(goose.DialectSQLite3, s.db, Migrations())
	if err != nil {
		return fmt.Errorf("sqlite: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	return nil
}

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.db.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Close closes the database.
func (s *Store) Close() error {
	s.epoch.close()
	return s.db.Close()
}

// translate turns driver errors into the store's vocabulary.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	var se sqlite3.Error
	if errors.As(err, &se) && se.Code == sqlite3.ErrConstraint &&
		(se.ExtendedCode == sqlite3.ErrConstraintUnique || se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey) {
		return fmt.Errorf("%w: %v", store.ErrConflict, err)
	}
	return err
}

// pointLookup is the context for a read of one row by a unique index (the
// hot lookups of every request: TestNoFullScanOnHotQueries keeps them
// index lookups, microseconds long). It drops ctx's cancellation, which
// for such a read buys nothing and costs a watcher per query in
// database/sql and the driver (a goroutine, an AfterFunc registration;
// figures in docs/performance.md, "Point lookups without cancellation").
func pointLookup(ctx context.Context) context.Context {
	if ctx.Done() == nil {
		return ctx
	}
	return context.WithoutCancel(ctx)
}

// utc normalises a time for storage: UTC, so that the text form sorts.
func utc(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

func fromNull(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

// MigrationsPending reports whether the database lags behind the embedded
// migrations (for /readyz).
func (s *Store) MigrationsPending(ctx context.Context) (bool, error) {
	p, err := goose.NewProvider(goose.DialectSQLite3, s.db, Migrations())
	if err != nil {
		return false, err
	}
	current, target, err := p.GetVersions(ctx)
	if err != nil {
		return false, err
	}
	return current < target, nil
}

// ReleaseMemory asks the idle connections to give back their page caches
// (PRAGMA shrink_memory): they are C memory, which the Go runtime's
// debug.FreeOSMemory cannot return, and they grow to 2 MiB per connection
// under load. Portal calls it when the server goes idle (idle RSS,
// docs/performance.md). It waits at most 50 ms for a connection and leaves alone those in
// use; a shrunk cache refills from the OS's file cache on the next queries.
// Then glibc's malloc_trim hands the freed pages back: glibc keeps them in
// its per-thread arenas otherwise (docs/performance.md, `e589f80`).
func (s *Store) ReleaseMemory(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	var held []*sql.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
		mallocTrim()
	}()
	// Holding each connection until all are done makes every one distinct.
	for range s.db.Stats().Idle {
		c, err := s.db.Conn(ctx)
		if err != nil {
			return
		}
		held = append(held, c)
		if _, err := c.ExecContext(ctx, "PRAGMA shrink_memory"); err != nil {
			return
		}
	}
}

// queryAll runs query and scans every row it returns with scan: the one
// loop of the store's list reads.
func queryAll[T any](ctx context.Context, db *sql.DB, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
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
