package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/scs/pgxstore"
	"github.com/jackc/pgx/v5"

	"github.com/accountportal/portal/store"
	"github.com/accountportal/portal/store/postgres"
	"github.com/accountportal/portal/store/storetest"
)

// envURL names the variable with the URL of a PostgreSQL server on which the
// tests may create and drop databases, e.g.
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const envURL = "PORTAL_TEST_POSTGRES_URL"

// adminURL returns the test server's URL. Without one the tests skip, except
// in CI, which must provide a server.
func adminURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(envURL)
	if u == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but %s is not: CI must provide a PostgreSQL server for the postgres store tests", envURL)
		}
		t.Skipf("%s is not set: skipping the PostgreSQL store tests "+
			"(set it to e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)", envURL)
	}
	return u
}

// MustCreateDatabase creates an empty database on the test server, drops it
// (WITH (FORCE)) when the test ends, and returns its URL.
func MustCreateDatabase(t testing.TB) string {
	t.Helper()
	admin := adminURL(t)
	ctx := context.Background()
	b := make([]byte, 8)
	rand.Read(b)
	name := "portal_" + hex.EncodeToString(b)
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("connect to %s: %v", envURL, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("CREATE DATABASE: %v", err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("drop %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("DROP DATABASE %s: %v", name, err)
		}
	})
	return withDatabase(t, admin, name)
}

// withDatabase points a URL (or key=value DSN) at database name.
func withDatabase(t testing.TB, admin, name string) string {
	t.Helper()
	if strings.HasPrefix(admin, "postgres://") || strings.HasPrefix(admin, "postgresql://") {
		u, err := url.Parse(admin)
		if err != nil {
			t.Fatalf("%s: %v", envURL, err)
		}
		u.Path = "/" + name
		return u.String()
	}
	return admin + " dbname=" + name
}

// MustOpen opens a store on dbURL, closed when the test ends.
func MustOpen(t testing.TB, dbURL string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() }) // runs before the database is dropped
	return s
}

// MustOpenStore opens a migrated store on a fresh database.
func MustOpenStore(t testing.TB) *postgres.Store {
	t.Helper()
	s := MustOpen(t, MustCreateDatabase(t))
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s
}

func TestStoreSuite(t *testing.T) {
	adminURL(t) // skip (or fail in CI) once, not in every subtest
	storetest.Run(t, func(t *testing.T) store.Store { return MustOpenStore(t) })
}

// migrationCount is the number of embedded migration files.
func migrationCount(t testing.TB) int {
	t.Helper()
	entries, err := os.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// latestMigration is the highest version of the migration files: the
// numbers are handed out to parallel work, so a gap may stand for a
// migration that lands later.
func latestMigration(t testing.TB) int64 {
	t.Helper()
	entries, err := os.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	var latest int64
	for _, e := range entries {
		var v int64
		if _, err := fmt.Sscanf(e.Name(), "%05d_", &v); err == nil && v > latest {
			latest = v
		}
	}
	return latest
}

// gooseState returns the highest applied version and the number of rows of
// goose's version table.
func gooseState(t testing.TB, s *postgres.Store) (version int64, rows int) {
	t.Helper()
	err := s.Pool().QueryRow(context.Background(),
		`SELECT coalesce(max(version_id), 0), count(*) FROM goose_db_version WHERE is_applied`).Scan(&version, &rows)
	if err != nil {
		t.Fatal(err)
	}
	return version, rows
}

func TestMigrateIsIdempotent(t *testing.T) {
	s := MustOpenStore(t)
	v1, n1 := gooseState(t, s)
	if got, want := v1, latestMigration(t); got != want {
		t.Fatalf("version=%d, want %d", got, want)
	}
	for range 2 {
		if err := s.Migrate(context.Background()); err != nil {
			t.Fatalf("second Migrate: %v", err)
		}
	}
	if v2, n2 := gooseState(t, s); v2 != v1 || n2 != n1 {
		t.Fatalf("after migrating again version=%d rows=%d, want %d and %d (not a no-op)", v2, n2, v1, n1)
	}
}

// TestConcurrentMigrate starts several "instances" on one fresh database at
// once: the advisory lock makes them migrate one after the other, so every
// Migrate succeeds and each migration is applied once.
func TestConcurrentMigrate(t *testing.T) {
	dbURL := MustCreateDatabase(t)
	stores := make([]*postgres.Store, 3)
	for i := range stores {
		stores[i] = MustOpen(t, dbURL)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, s := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if err := s.Migrate(ctx); err != nil {
				t.Errorf("instance %d: Migrate: %v", i, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if t.Failed() {
		return
	}
	v, n := gooseState(t, stores[0])
	if want := migrationCount(t); v != latestMigration(t) || n != want+1 { // goose adds a version-0 row
		t.Fatalf("after concurrent migrations version=%d rows=%d, want %d and %d", v, n, latestMigration(t), want+1)
	}
	storetest.MustCreateUser(t, stores[1], "u1", "alice@example.com")
	// The lock is released: nothing holds an advisory lock any more.
	var held int
	if err := stores[0].Pool().QueryRow(ctx,
		`SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).
		Scan(&held); err != nil {
		t.Fatal(err)
	}
	if held != 0 {
		t.Fatalf("%d advisory locks still held after Migrate", held)
	}
}

// TestMigrateWaitsForLock holds the migration lock from another session:
// Migrate must wait for it, then run. (TestConcurrentMigrate alone is a weak
// check: goose retries the creation of its version table, which staggers
// unlocked instances and hides most races.)
func TestMigrateWaitsForLock(t *testing.T) {
	dbURL := MustCreateDatabase(t)
	s := MustOpen(t, dbURL)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	holder, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(ctx)
	if _, err := holder.Exec(ctx, `SELECT pg_advisory_lock($1)`, postgres.MigrationLockID); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Migrate(ctx) }()
	select {
	case err := <-done:
		t.Fatalf("Migrate ran while another session held the migration lock (err=%v)", err)
	case <-time.After(1500 * time.Millisecond):
	}
	var tables int
	if err := holder.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE tablename = 'users'`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Fatal("a migration ran while another session held the migration lock")
	}
	if _, err := holder.Exec(ctx, `SELECT pg_advisory_unlock($1)`, postgres.MigrationLockID); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Migrate after the lock was released: %v", err)
	}
	if v, _ := gooseState(t, s); v != latestMigration(t) {
		t.Fatalf("version=%d after Migrate, want %d", v, latestMigration(t))
	}
}

func TestConnectionSettings(t *testing.T) {
	dbURL := MustCreateDatabase(t)
	ctx := context.Background()
	show := func(s *postgres.Store, name string) string {
		t.Helper()
		var v string
		if err := s.Pool().QueryRow(ctx, "SHOW "+name).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	s := MustOpen(t, dbURL)
	for name, want := range map[string]string{"synchronous_commit": "on", "statement_timeout": "10s", "application_name": "portal"} {
		if got := show(s, name); got != want {
			t.Errorf("SHOW %s=%q, want %q", name, got, want)
		}
	}
	if got, want := s.Pool().Config().MaxConns, int32(min(max(4, 4*runtime.NumCPU()), 32)); got != want {
		t.Errorf("MaxConns=%d, want %d", got, want)
	}
	// The URL may set the pool size and the timeout, but not turn off
	// durable commits.
	sep := "?"
	if strings.Contains(dbURL, "?") {
		sep = "&"
	}
	if !strings.HasPrefix(dbURL, "postgres") {
		t.Skip("key=value DSN: the override checks need a URL")
	}
	o := MustOpen(t, dbURL+sep+"pool_max_conns=3&statement_timeout=2500&synchronous_commit=off")
	if got := o.Pool().Config().MaxConns; got != 3 {
		t.Errorf("MaxConns with pool_max_conns=3: %d", got)
	}
	if got := show(o, "statement_timeout"); got != "2500ms" {
		t.Errorf("statement_timeout from the URL: %q, want 2500ms", got)
	}
	if got := show(o, "synchronous_commit"); got != "on" {
		t.Errorf("synchronous_commit=off in the URL gave %q, want on", got)
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := postgres.Open(context.Background(), "postgres://user:s3cret@127.0.0.1:5432/db?pool_max_conns=zero"); err == nil {
		t.Fatal("an invalid URL was accepted")
	} else if strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("the error shows the password: %v", err)
	}
}

// TestIndexes checks that every hot lookup has an index that starts with
// its columns. (On the near-empty tables of a test the planner prefers
// sequential scans, so a plain EXPLAIN would prove nothing.)
func TestIndexes(t *testing.T) {
	s := MustOpenStore(t)
	rows, err := s.Pool().Query(context.Background(), `
		SELECT c.relname, array_agg(a.attname::text ORDER BY k.ord)
		FROM pg_index i
		JOIN pg_class c ON c.oid = i.indrelid
		JOIN pg_namespace ns ON ns.oid = c.relnamespace AND ns.nspname = current_schema()
		CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
		JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
		GROUP BY i.indexrelid, c.relname`)
	if err != nil {
		t.Fatal(err)
	}
	indexes := map[string][][]string{}
	for rows.Next() {
		var table string
		var cols []string
		if err := rows.Scan(&table, &cols); err != nil {
			t.Fatal(err)
		}
		indexes[table] = append(indexes[table], cols)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []struct {
		table string
		cols  []string
	}{
		{"users", []string{"id"}},
		{"users", []string{"normalized_email"}},
		{"users", []string{"normalized_username"}},
		{"user_sessions", []string{"id"}},
		{"user_sessions", []string{"user_id"}},
		{"user_sessions", []string{"expires_at"}},
		{"user_tokens", []string{"token_hash"}},
		{"user_tokens", []string{"user_id", "purpose"}},
		{"security_events", []string{"user_id", "id"}},
		{"recovery_codes", []string{"user_id"}},
		{"external_logins", []string{"provider", "subject"}},
		{"external_logins", []string{"user_id"}},
		{"mail_outbox", []string{"next_attempt_at"}},
		{"rate_limits", []string{"key"}},
		{"rate_limits", []string{"window_end"}},
		{"sessions", []string{"token"}},
		{"sessions", []string{"expiry"}},
	} {
		found := slices.ContainsFunc(indexes[want.table], func(cols []string) bool {
			return len(cols) >= len(want.cols) && slices.Equal(cols[:len(want.cols)], want.cols)
		})
		if !found {
			t.Errorf("no index on %s(%s); have %v", want.table, strings.Join(want.cols, ", "), indexes[want.table])
		}
	}
}

// TestNoSeqScanOnHotQueries asks the planner, with sequential scans priced
// out (enable_seqscan=off), how it would run the hot queries: it still picks
// a sequential scan only when no index can serve the query.
func TestNoSeqScanOnHotQueries(t *testing.T) {
	s := MustOpenStore(t)
	ctx := context.Background()
	tx, err := s.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	for name, q := range map[string]string{
		"user by id":    `SELECT * FROM users WHERE id = 'x'`,
		"user by email": `SELECT * FROM users WHERE normalized_email = 'x'`,
		"session join":  `SELECT * FROM user_sessions s JOIN users u ON u.id = s.user_id WHERE s.id = 'x'`,
		"sessions":      `SELECT * FROM user_sessions s WHERE s.user_id = 'x' ORDER BY s.last_seen_at DESC`,
		"token consume": `UPDATE user_tokens SET used_at = now() WHERE token_hash = '\x00' AND purpose = 'p' AND user_id = 'u' AND used_at IS NULL`,
		"tokens delete": `DELETE FROM user_tokens WHERE user_id = 'u' AND purpose = 'p'`,
		"events":        `SELECT * FROM security_events WHERE user_id = 'u' ORDER BY id DESC LIMIT 10`,
		"codes":         `SELECT * FROM recovery_codes WHERE user_id = 'u' ORDER BY id`,
		"logins":        `SELECT * FROM external_logins WHERE user_id = 'u'`,
		"outbox due":    `SELECT id FROM mail_outbox WHERE next_attempt_at <= now() ORDER BY next_attempt_at, id LIMIT 10 FOR UPDATE SKIP LOCKED`,
	} {
		rows, err := tx.Query(ctx, "EXPLAIN "+q)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var plan []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, line)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if p := strings.Join(plan, "\n"); strings.Contains(p, "Seq Scan") {
			t.Errorf("%s: sequential scan\n%s", name, p)
		}
	}
}

// TestDeleteCascades deletes a user behind the store's back: the foreign
// keys must remove everything that belongs to it.
func TestDeleteCascades(t *testing.T) {
	s := MustOpenStore(t)
	ctx := context.Background()
	storetest.MustCreateUser(t, s, "u1", "a@example.com")
	now := time.Now()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.CreateToken(ctx, &store.Token{Hash: []byte("h"), UserID: "u1", Purpose: "p", Stamp: "s", ExpiresAt: now.Add(time.Hour), CreatedAt: now}))
	must(s.CreateSession(ctx, &store.Session{ID: "s1", UserID: "u1", Stamp: "s", CreatedAt: now, AuthAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}))
	must(s.AddEvent(ctx, &store.Event{UserID: "u1", Kind: "login", CreatedAt: now}))
	must(s.ReplaceRecoveryCodes(ctx, "u1", []string{"c"}, now))
	must(s.AddExternalLogin(ctx, &store.ExternalLogin{Provider: "p", Subject: "s", UserID: "u1", CreatedAt: now}))
	if _, err := s.Pool().Exec(ctx, `DELETE FROM users WHERE id = 'u1'`); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"user_tokens", "user_sessions", "security_events", "recovery_codes", "external_logins"} {
		var n int
		if err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s: %d rows left after the user was deleted", table, n)
		}
	}
}

// TestTimesAreUTC reads back a time given in another zone: same instant,
// location UTC.
func TestTimesAreUTC(t *testing.T) {
	s := MustOpenStore(t)
	ctx := context.Background()
	zurich := time.FixedZone("CET", 3600)
	u := storetest.NewUser("u1", "a@example.com")
	u.CreatedAt = time.Date(2026, 11, 22, 9, 0, 0, 123456000, zurich)
	u.LockoutEnd = u.CreatedAt.Add(time.Hour)
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	got, err := s.FindUserByID(ctx, "u1")
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string][2]time.Time{"CreatedAt": {got.CreatedAt, u.CreatedAt}, "LockoutEnd": {got.LockoutEnd, u.LockoutEnd}} {
		if !v[0].Equal(v[1]) || v[0].Location() != time.UTC {
			t.Errorf("%s=%v, want %v in UTC", name, v[0], v[1])
		}
	}
}

// TestReplaceRecoveryCodesConcurrent replaces one user's codes from many
// requests at once: the user ends with exactly one of the sets, never a mix
// (SQLite serialises this with BEGIN IMMEDIATE, PostgreSQL with the user's
// row lock).
func TestReplaceRecoveryCodesConcurrent(t *testing.T) {
	s := MustOpenStore(t)
	ctx := context.Background()
	storetest.MustCreateUser(t, s, "u1", "a@example.com")
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			set := []string{fmt.Sprint(i, "a"), fmt.Sprint(i, "b"), fmt.Sprint(i, "c")}
			if err := s.ReplaceRecoveryCodes(ctx, "u1", set, time.Now()); err != nil {
				t.Errorf("ReplaceRecoveryCodes: %v", err)
			}
		}()
	}
	wg.Wait()
	codes, err := s.ListRecoveryCodes(ctx, "u1")
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != 3 || codes[0].Hash[:1] != codes[1].Hash[:1] || codes[1].Hash[:1] != codes[2].Hash[:1] {
		t.Fatalf("after concurrent replacements: %+v, want one set of 3", codes)
	}
}

// TestScsSessionsTable runs a round trip through scs's pgxstore on the
// sessions table the migrations create.
func TestScsSessionsTable(t *testing.T) {
	s := MustOpenStore(t)
	ss := pgxstore.NewWithCleanupInterval(s.Pool(), 0)
	if err := ss.Commit("tok", []byte("data"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	b, found, err := ss.Find("tok")
	if err != nil || !found || string(b) != "data" {
		t.Fatalf("Find=%q, %v, %v", b, found, err)
	}
	if err := ss.Delete("tok"); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := ss.Find("tok"); found {
		t.Fatal("deleted session still found")
	}
}

// TestClaimAcrossInstances claims the outbox from two pools (two
// instances) at once: no message is claimed twice and none is left.
func TestClaimAcrossInstances(t *testing.T) {
	dbURL := MustCreateDatabase(t)
	a, b := MustOpen(t, dbURL), MustOpen(t, dbURL)
	ctx := context.Background()
	if err := a.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	const total = 200
	for range total {
		if err := a.EnqueueMail(ctx, &store.OutboxMessage{To: "x@example.com", CreatedAt: now, NextAttemptAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := []*postgres.Store{a, b}[i%2]
			for {
				ms, err := s.ClaimMail(ctx, now, time.Minute, 7)
				if err != nil {
					t.Errorf("ClaimMail: %v", err)
					return
				}
				if len(ms) == 0 {
					return
				}
				mu.Lock()
				for _, m := range ms {
					seen[m.ID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("message %d claimed %d times", id, n)
		}
	}
	if len(seen) != total {
		t.Fatalf("claimed %d messages, want %d", len(seen), total)
	}
}

// Portal runs pgxstore without its cleanup goroutine (it races with
// StopCleanup upstream), so expired cookie-session rows must go with the
// registry's cleanup.
func TestDeleteExpiredSessionsClearsCookieSessions(t *testing.T) {
	s := MustOpenStore(t)
	ps := pgxstore.NewWithCleanupInterval(s.Pool(), 0)
	now := time.Now()
	if err := ps.Commit("old", []byte("x"), now.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := ps.Commit("live", []byte("y"), now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteExpiredSessions(context.Background(), now, now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	rows, err := s.Pool().Query(context.Background(), `SELECT token FROM sessions ORDER BY token`)
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tokens, []string{"live"}) {
		t.Fatalf("cookie sessions after cleanup: %v, want [live]", tokens)
	}
}

// TestAuthEpochCoversSessionColumns: the trigger that moves the auth epoch
// on a session's update names every column but the activity touch's (see
// the SQLite store's test of the same name).
func TestAuthEpochCoversSessionColumns(t *testing.T) {
	s := MustOpenStore(t)
	ctx := context.Background()
	rows, err := s.Pool().Query(ctx, `SELECT c.column_name,
		EXISTS (SELECT 1 FROM pg_trigger tg JOIN pg_attribute a ON a.attrelid = tg.tgrelid AND a.attnum = ANY (tg.tgattr)
			WHERE tg.tgname = 'auth_epoch_sessions_update' AND a.attname = c.column_name)
		FROM information_schema.columns c WHERE c.table_schema = current_schema() AND c.table_name = 'user_sessions'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	touch := map[string]bool{"last_seen_at": true, "ip": true, "user_agent": true}
	n := 0
	for rows.Next() {
		var col string
		var named bool
		if err := rows.Scan(&col, &named); err != nil {
			t.Fatal(err)
		}
		n++
		if !touch[col] && !named {
			t.Errorf("user_sessions.%s is not in auth_epoch_sessions_update's UPDATE OF list", col)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no columns of user_sessions found")
	}
}
