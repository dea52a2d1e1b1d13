package sqlite

import (
	"context"
	"database/sql"
)

// writeGate queues the store's writers in Go, first come first served.
// SQLite lets one connection write at a time; without the gate the others
// wait in its busy handler, which sleeps in C for 1, 2, 5 … up to 100 ms
// between tries: a writer that arrives just as the lock frees overtakes
// one that has waited for seconds (under a login flood an owner's sign-in
// took over 3 s, REL-12), and each sleeping writer holds an OS thread and,
// until the Go runtime notices, a processor. Waiting on a channel parks
// only the goroutine, and a channel's blocked senders are served in order
// (TestLoginFlood passed 8 of 8 runs after this, against 12 of 14 before).
// The busy timeout stays, for other processes on the same file (portal
// copy, a second instance).
type writeGate chan struct{}

func newWriteGate() writeGate { return make(writeGate, 1) }

// enter waits for the gate, or for ctx to end.
func (g writeGate) enter(ctx context.Context) error {
	select {
	case g <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g writeGate) leave() { <-g }

// exec runs one writing statement through the gate.
func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := s.gate.enter(ctx); err != nil {
		return nil, err
	}
	defer s.gate.leave()
	return s.db.ExecContext(ctx, query, args...)
}

// writing holds the gate for a writing statement whose result is read
// (… RETURNING) until the returned func is called.
func (s *Store) writing(ctx context.Context) (done func(), err error) {
	if err := s.gate.enter(ctx); err != nil {
		return nil, err
	}
	return s.gate.leave, nil
}

// writeTx is a write transaction that holds the gate until it commits or
// rolls back (whichever comes first; the other is then a no-op, so the
// usual `defer tx.Rollback()` after Commit is fine).
type writeTx struct {
	*sql.Tx
	gate writeGate
	left bool
}

// begin starts a write transaction (BEGIN IMMEDIATE) through the gate.
func (s *Store) begin(ctx context.Context) (*writeTx, error) {
	if err := s.gate.enter(ctx); err != nil {
		return nil, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		s.gate.leave()
		return nil, err
	}
	return &writeTx{Tx: tx, gate: s.gate}, nil
}

func (t *writeTx) Commit() error {
	err := t.Tx.Commit()
	t.leave()
	return err
}

func (t *writeTx) Rollback() error {
	err := t.Tx.Rollback()
	t.leave()
	return err
}

func (t *writeTx) leave() {
	if !t.left {
		t.left = true
		t.gate.leave()
	}
}

// write runs fn, which writes to the database other than through exec or
// begin (the scs session store, scs.go), through the gate.
func (s *Store) write(ctx context.Context, fn func() error) error {
	if err := s.gate.enter(ctx); err != nil {
		return err
	}
	defer s.gate.leave()
	return fn()
}
