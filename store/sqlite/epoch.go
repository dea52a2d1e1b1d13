package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"sync"
)

// authEpochSQL reads the counter migration 00014's triggers move.
const authEpochSQL = `SELECT n FROM auth_epoch WHERE id = 1`

// epochReader reads the auth epoch through the driver, on a connection of
// its own (one of epochReaders), with the statement prepared once. Every
// signed-in request reads it first (identity's session cache: the check
// of every API call of the applications around Portal, issue 19), and
// through database/sql — the pool, a Rows, a Scan — the read cost as much
// again as SQLite's own work (docs/performance.md, "Within the budget").
// The zero value is ready: the connection is taken on the first read, and
// given back after an error (the next read takes a fresh one) or by close.
type epochReader struct {
	mu   sync.Mutex
	conn *sql.Conn
	stmt driver.Stmt
	dest []driver.Value
	n    int64
	// readFn is r.read as a method value, made once: a closure per call
	// would be an allocation per request.
	readFn func(any) error
}

// epochReaders are as many epochReaders as the process runs goroutines
// at once (GOMAXPROCS, at most maxEpochConns): one connection would make
// concurrent requests wait for each other's read.
type epochReaders struct {
	once sync.Once
	rs   []epochReader
}

// maxEpochConns bounds the connections the epoch reads keep.
const maxEpochConns = 8

// epochConns is how many connections the epoch reads keep (Open raises
// the pool's limit by as many).
func epochConns() int { return min(runtime.GOMAXPROCS(0), maxEpochConns) }

// take locks a reader: a free one if there is one, else waits for one.
func (e *epochReaders) take() *epochReader {
	e.once.Do(func() { e.rs = make([]epochReader, epochConns()) })
	for i := range e.rs {
		if e.rs[i].mu.TryLock() {
			return &e.rs[i]
		}
	}
	r := &e.rs[rand.IntN(len(e.rs))]
	r.mu.Lock()
	return r
}

// close gives every reader's connection back before the database closes.
func (e *epochReaders) close() {
	for i := range e.rs {
		e.rs[i].close()
	}
}

// AuthEpoch reads the counter migration 00014's triggers move.
func (s *Store) AuthEpoch(ctx context.Context) (int64, error) {
	r := s.epoch.take()
	defer r.mu.Unlock()
	if r.conn == nil {
		if err := r.open(ctx, s.db); err != nil {
			return 0, translate(err)
		}
	}
	if err := r.conn.Raw(r.readFn); err != nil {
		r.reset()
		return 0, translate(err)
	}
	return r.n, nil
}

// open takes a connection from db and prepares the statement on it.
func (r *epochReader) open(ctx context.Context, db *sql.DB) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	err = conn.Raw(func(dc any) error {
		p, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return fmt.Errorf("sqlite: driver connection %T cannot prepare", dc)
		}
		r.stmt, err = p.PrepareContext(ctx, authEpochSQL)
		return err
	})
	if err != nil {
		conn.Close()
		return err
	}
	r.conn, r.dest = conn, make([]driver.Value, 1)
	r.readFn = r.read
	return nil
}

// read runs the prepared statement on the driver connection (under r.mu,
// inside conn.Raw). The context has no cancellation: a point read of one
// row is microseconds long, and the driver would start a watcher for a
// cancellable one (pointLookup).
func (r *epochReader) read(any) error {
	q, ok := r.stmt.(driver.StmtQueryContext)
	if !ok {
		return fmt.Errorf("sqlite: driver statement %T cannot query", r.stmt)
	}
	rows, err := q.QueryContext(context.Background(), nil)
	if err != nil {
		return err
	}
	err = rows.Next(r.dest)
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, io.EOF) {
		return sql.ErrNoRows
	}
	if err != nil {
		return err
	}
	n, ok := r.dest[0].(int64)
	if !ok {
		return fmt.Errorf("sqlite: auth_epoch.n is %T", r.dest[0])
	}
	r.n = n
	return nil
}

// reset closes the statement and gives the connection back (under r.mu).
func (r *epochReader) reset() {
	if r.conn == nil {
		return
	}
	_ = r.conn.Raw(func(any) error { return r.stmt.Close() })
	_ = r.conn.Close()
	r.conn, r.stmt = nil, nil
}

// close gives the connection back before the database closes.
func (r *epochReader) close() {
	r.mu.Lock()
	r.reset()
	r.mu.Unlock()
}
