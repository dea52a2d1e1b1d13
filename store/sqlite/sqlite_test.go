package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accountportal/portal/store"
	"github.com/accountportal/portal/store/sqlite"
	"github.com/accountportal/portal/store/storetest"
)

// MustOpenStore opens a migrated store on a fresh file.
func MustOpenStore(t *testing.T) *sqlite.Store {
	t.Helper()
	return sqlite.OpenMigrated(t)
}

func TestStoreSuite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return MustOpenStore(t) })
}

func TestPragmas(t *testing.T) {
	s := MustOpenStore(t)
	for pragma, want := range map[string]string{
		"journal_mode": "wal", "synchronous": "2", "foreign_keys": "1", "busy_timeout": "5000",
	} {
		var got string
		if err := s.DB().QueryRow("PRAGMA " + pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s=%s, want %s", pragma, got, want)
		}
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "test.db")
	for range 2 {
		s, err := sqlite.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Migrate(context.Background()); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		s.Close()
	}
}

func TestUserDeleteCascadesTokens(t *testing.T) {
	s := MustOpenStore(t)
	ctx := context.Background()
	storetest.MustCreateUser(t, s, "u1", "a@example.com")
	if err := s.CreateToken(ctx, &store.Token{Hash: []byte("h"), UserID: "u1", Purpose: "p", Stamp: "s",
		ExpiresAt: time.Now().Add(time.Hour), CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().Exec(`DELETE FROM users WHERE id = 'u1'`); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.DB().QueryRow(`SELECT count(*) FROM user_tokens`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("tokens left after user delete: %d (foreign keys off?)", n)
	}
}

func TestNoFullScanOnHotQueries(t *testing.T) {
	s := MustOpenStore(t)
	for name, q := range map[string]string{
		"by id":    `EXPLAIN QUERY PLAN SELECT * FROM users WHERE id = 'x'`,
		"by email": `EXPLAIN QUERY PLAN SELECT * FROM users WHERE normalized_email = 'x'`,
		"token":    `EXPLAIN QUERY PLAN UPDATE user_tokens SET used_at = 1 WHERE token_hash = x'00' AND purpose = 'p'`,
		"session":  `EXPLAIN QUERY PLAN SELECT * FROM user_sessions s JOIN users u ON u.id = s.user_id WHERE s.id = 'x'`,
		"sessions": `EXPLAIN QUERY PLAN SELECT * FROM user_sessions s WHERE s.user_id = 'x' ORDER BY s.last_seen_at DESC`,
	} {
		rows, err := s.DB().Query(q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			if len(detail) >= 4 && detail[:4] == "SCAN" {
				t.Errorf("%s: full scan: %s", name, detail)
			}
		}
		rows.Close()
	}
}

// ReleaseMemory shrinks the idle connections' caches and leaves the store
// working; with every connection busy it gives up within its timeout
// rather than wait for them (idle RSS, docs/performance.md).
func TestReleaseMemory(t *testing.T) {
	s := MustOpenStore(t)
	ctx := context.Background()
	db := s.DB()
	if _, err := db.Exec("CREATE TABLE filler(id INTEGER PRIMARY KEY, v TEXT)"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 5000) INSERT INTO filler SELECT i, printf('%0200d', i) FROM n"); err != nil {
		t.Fatal(err)
	}
	var sum int
	if err := db.QueryRow("SELECT sum(length(v)) FROM filler").Scan(&sum); err != nil || sum != 5000*200 {
		t.Fatalf("filler: %d, %v", sum, err)
	}
	s.ReleaseMemory(ctx)
	if err := db.QueryRow("SELECT sum(length(v)) FROM filler").Scan(&sum); err != nil || sum != 5000*200 {
		t.Fatalf("after ReleaseMemory: %d, %v", sum, err)
	}

	// Every connection busy: it returns without waiting for one.
	db.SetMaxOpenConns(2)
	var busy []*sql.Conn
	for range 2 {
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		busy = append(busy, c)
	}
	done := make(chan struct{})
	go func() { s.ReleaseMemory(ctx); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("ReleaseMemory waited for a busy connection")
	}
	for _, c := range busy {
		c.Close()
	}
}

// TestAuthEpochCoversSessionColumns: the trigger that moves the auth epoch
// on a session's update names every column but the activity touch's, so a
// column a later migration adds cannot change a session unseen by the
// other instances' caches (SES-03; identity/sessioncache.go).
func TestAuthEpochCoversSessionColumns(t *testing.T) {
	s := MustOpenStore(t)
	var trigger string
	if err := s.DB().QueryRow(`SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'auth_epoch_sessions_update'`).Scan(&trigger); err != nil {
		t.Fatal(err)
	}
	_, after, _ := strings.Cut(trigger, "UPDATE OF")
	list, _, _ := strings.Cut(after, " ON ")
	named := map[string]bool{}
	for _, c := range strings.Split(list, ",") {
		named[strings.TrimSpace(c)] = true
	}
	rows, err := s.DB().Query(`SELECT name FROM pragma_table_info('user_sessions')`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	touch := map[string]bool{"last_seen_at": true, "ip": true, "user_agent": true}
	for rows.Next() {
		var col string
		if err := rows.Scan(&col); err != nil {
			t.Fatal(err)
		}
		if !touch[col] && !named[col] {
			t.Errorf("user_sessions.%s is not in auth_epoch_sessions_update's UPDATE OF list (%q)", col, list)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestAuthEpochOwnConnections: the epoch is read on connections of the
// reader's own (epoch.go), each holding its statement between reads. Each
// read must still see every commit made before it — by another
// connection of the same store and by another process's (here another
// Store on the same file, as the CLI or a second instance is) — so no read
// transaction may outlive its read; and a failed read (no table yet) must
// not keep a broken connection: the same store reads once it exists.
func TestAuthEpochOwnConnections(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "test.db")
	a, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.AuthEpoch(ctx); err == nil {
		t.Fatal("AuthEpoch before the migrations: no error")
	}
	b, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	epoch := func(s *sqlite.Store) int64 {
		t.Helper()
		n, err := s.AuthEpoch(ctx)
		if err != nil {
			t.Fatalf("AuthEpoch: %v", err)
		}
		return n
	}
	before := epoch(a)
	storetest.MustCreateUser(t, b, "u1", "a@example.com")
	for i := range 3 {
		// Several readers in turn (each call takes a free one), each
		// must see b's latest change.
		stamp := "stamp-" + string(rune('a'+i))
		if err := b.UpdateUser(ctx, "u1", store.UserUpdate{SecurityStamp: &stamp, UpdatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		for range 4 {
			if got := epoch(a); got <= before {
				t.Fatalf("change %d through another store: epoch %d, was %d", i, got, before)
			}
		}
		before = epoch(a)
		// The epoch connections hold no read transaction: a checkpoint
		// can take the whole WAL back into the file.
		var busy, logFrames, done int
		if err := b.DB().QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &done); err != nil {
			t.Fatal(err)
		}
		if busy != 0 {
			t.Fatalf("wal_checkpoint(TRUNCATE) busy: a reader holds a snapshot")
		}
	}
}
