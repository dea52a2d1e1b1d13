package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/sqlite3store"
)

// OpenMigrated opens a migrated store on a fresh file. Exported for the
// external test package (sqlite_test's MustOpenStore); test code only.
var OpenMigrated = openMigrated

// openMigrated opens a migrated store on a fresh file.
func openMigrated(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// waitingAtGate counts the goroutines blocked in writeGate.enter.
func waitingAtGate() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	return strings.Count(string(buf), "sqlite.writeGate.enter(")
}

// untilWaiting waits (at most 10 s) until n goroutines wait at a gate.
func untilWaiting(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for waitingAtGate() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines wait at the gate, want %d", waitingAtGate(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// Writers are served in the order they arrived (REL-12: a flood's writes
// cannot overtake an owner's that waited longer).
func TestWriteGateServesInOrder(t *testing.T) {
	g := newWriteGate()
	ctx := context.Background()
	if err := g.enter(ctx); err != nil {
		t.Fatal(err)
	}
	const n = 6
	order := make(chan int, n)
	for i := range n {
		go func() {
			if err := g.enter(ctx); err != nil {
				t.Error(err)
				return
			}
			order <- i
			g.leave()
		}()
		untilWaiting(t, i+1) // i+1 queued before the next arrives
	}
	g.leave()
	for want := range n {
		select {
		case got := <-order:
			if got != want {
				t.Fatalf("writer %d went through the gate in place %d", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("writer %d never went through", want)
		}
	}
}

// A writer whose request ends while it waits gives up without taking or
// freeing the gate.
func TestWriteGateGivesUpWithContext(t *testing.T) {
	g := newWriteGate()
	if err := g.enter(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.enter(ctx) }()
	untilWaiting(t, 1)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("enter after cancel: %v, want context.Canceled", err)
	}
	if len(g) != 1 {
		t.Fatalf("gate holds %d, want 1 (still the first writer's)", len(g))
	}
	g.leave()
}

// A transaction leaves the gate once, whether it commits, rolls back, or
// both (the usual defer tx.Rollback() after Commit); a second leave would
// block the next writer for ever.
func TestWriteTxLeavesGateOnce(t *testing.T) {
	s := openMigrated(t)
	ctx := context.Background()
	for _, commit := range []bool{true, false} {
		tx, err := s.begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.gate) != 1 {
			t.Fatal("an open transaction does not hold the gate")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO secrets (name, value, created_at) VALUES (?, x'00', ?)`,
			"gate-"+map[bool]string{true: "commit", false: "rollback"}[commit], utc(time.Now())); err != nil {
			t.Fatal(err)
		}
		if commit {
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		}
		tx.Rollback()
		tx.Rollback()
		if len(s.gate) != 0 {
			t.Fatalf("commit=%v: gate still held after the transaction ended", commit)
		}
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM secrets WHERE name LIKE 'gate-%'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("secrets written: %d (%v), want 1 (the committed one)", n, err)
	}
	// Every kind of write leaves the gate free again.
	if _, _, err := s.HitRateLimit(ctx, "k", time.Minute, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimMail(ctx, time.Now(), time.Minute, 10); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteExpiredRateLimits(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	if len(s.gate) != 0 {
		t.Fatal("gate held after the writes returned")
	}
}

// DeleteExpiredSessions also removes scs's expired cookie-session rows
// (its sqlite3store runs without its own cleanup goroutine, backend.go),
// and keeps the live ones.
func TestDeleteExpiredSessionsRemovesScsRows(t *testing.T) {
	s := openMigrated(t)
	ctx := context.Background()
	ss := sqlite3store.NewWithCleanupInterval(s.DB(), 0)
	now := time.Now()
	if err := ss.Commit("old", []byte("x"), now.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := ss.Commit("live", []byte("y"), now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteExpiredSessions(ctx, now, now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	var tokens string
	if err := s.db.QueryRowContext(ctx, `SELECT group_concat(token) FROM sessions`).Scan(&tokens); err != nil {
		t.Fatal(err)
	}
	if tokens != "live" {
		t.Fatalf("sessions rows after cleanup: %q, want live", tokens)
	}
}
