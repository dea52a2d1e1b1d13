package sqlite

// Micro-benchmarks of the store's hot queries (docs/performance.md) on a temp
// database of 10,000 users:
//
//	go test -run '^$' -bench . -benchmem ./store/sqlite
//
// Each runs twice: on the store as Open makes it ("default") and on one
// whose connections keep prepared statements ("stmtcache", the driver's
// _stmt_cache_size), to show what re-preparing every statement costs. The
// query plans of these queries (no SCAN of users) are checked by
// TestNoFullScanOnHotQueries.

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/accountportal/portal/store"
)

const bnUsers = 10000

// bnVariants opens the store both ways.
var bnVariants = []struct {
	name string
	open func(b *testing.B, path string) *Store
}{
	{"default", func(b *testing.B, path string) *Store {
		s, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		return s
	}},
	{"stmtcache", func(b *testing.B, path string) *Store {
		// Open's DSN plus the driver's per-connection statement cache.
		q := url.Values{}
		q.Set("_journal_mode", "WAL")
		q.Set("_synchronous", "FULL")
		q.Set("_busy_timeout", "5000")
		q.Set("_foreign_keys", "on")
		q.Set("_txlock", "immediate")
		q.Set("_stmt_cache_size", "32")
		db, err := sql.Open("sqlite3", "file:"+escapePath(path)+"?"+q.Encode())
		if err != nil {
			b.Fatal(err)
		}
		db.SetMaxOpenConns(4)
		db.SetMaxIdleConns(4)
		return &Store{db: db, gate: newWriteGate()}
	}},
}

// bnFixture is a migrated database of bnUsers users, 1,000 of them signed
// in, shared by the variants.
type bnFixture struct {
	path     string
	emails   []string
	sessions []string
}

func bnMustFixture(b *testing.B) *bnFixture {
	b.Helper()
	path := filepath.Join(b.TempDir(), "bench.db")
	s, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	f := &bnFixture{path: path}
	tx, err := s.begin(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	insUser, err := tx.PrepareContext(ctx, insertUser)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	for i := range bnUsers {
		email := fmt.Sprintf("user%05d@bench.example", i)
		u := &store.User{
			ID: fmt.Sprintf("0190a5c4-0000-7000-8000-%012d", i), Email: email, NormalizedEmail: email,
			UserName: email, NormalizedUserName: email, EmailConfirmed: true,
			PasswordHash:  "$argon2id$v=19$m=47104,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U",
			SecurityStamp: "STAMPSTAMPSTAMPSTAMPSTAMPSTAMPST", CreatedAt: now, UpdatedAt: now,
		}
		if _, err := insUser.ExecContext(ctx, userArgs(u)...); err != nil {
			b.Fatal(err)
		}
		f.emails = append(f.emails, email)
		if i%10 == 0 {
			x := &store.Session{ID: fmt.Sprintf("session-%05d", i), UserID: u.ID, Stamp: u.SecurityStamp,
				IP: "203.0.113.7", UserAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
				CreatedAt: now, AuthAt: now, LastSeenAt: now, ExpiresAt: now.Add(12 * time.Hour)}
			if _, err := tx.ExecContext(ctx, `INSERT INTO user_sessions
				(id, user_id, stamp, remember, remembered_2fa, ip, user_agent, created_at, auth_at, last_seen_at, expires_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				x.ID, x.UserID, x.Stamp, x.Remember, x.Remembered2FA, x.IP, x.UserAgent,
				utc(x.CreatedAt), utc(x.AuthAt), utc(x.LastSeenAt), utc(x.ExpiresAt)); err != nil {
				b.Fatal(err)
			}
			f.sessions = append(f.sessions, x.ID)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	return f
}

// BenchmarkFindUserByEmail is the lookup of every sign-in.
func BenchmarkFindUserByEmail(b *testing.B) {
	ctx := requestContext(b)
	var emails []string
	bnEachFixture(b, func(f *bnFixture) { emails = f.emails }, func(s *Store, i int) error {
		_, err := s.FindUserByEmail(ctx, emails[i%len(emails)])
		return err
	})
}

// requestContext is a context that can be cancelled, as a server request's
// is (net/http cancels it when the client goes away): database/sql and the
// driver watch such a context for every query.
func requestContext(b *testing.B) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	return ctx
}

// BenchmarkFindSession is the registry lookup joined with the user: the
// hot path of every signed-in request.
func BenchmarkFindSession(b *testing.B) {
	ctx := requestContext(b)
	var ids []string
	bnEachFixture(b, func(f *bnFixture) { ids = f.sessions }, func(s *Store, i int) error {
		_, _, err := s.FindSession(ctx, ids[i%len(ids)])
		return err
	})
}

// BenchmarkAuthEpoch is the first read of every signed-in request
// (identity's session cache), on the epoch's own connection (epoch.go);
// "sql" is the same read through database/sql's pool, as it was before.
func BenchmarkAuthEpoch(b *testing.B) {
	ctx := requestContext(b)
	bnEachFixture(b, nil, func(s *Store, i int) error {
		_, err := s.AuthEpoch(ctx)
		return err
	})
	b.Run("sql", func(b *testing.B) {
		bnEachFixture(b, nil, func(s *Store, i int) error {
			var n int64
			return s.db.QueryRowContext(pointLookup(ctx), authEpochSQL).Scan(&n)
		})
	})
}

// BenchmarkHitRateLimit is the upsert every sign-in and mail request
// makes: a write, so it pays for a commit (WAL, synchronous=FULL).
func BenchmarkHitRateLimit(b *testing.B) {
	ctx := context.Background()
	now := time.Now()
	bnEachFixture(b, nil, func(s *Store, i int) error {
		_, _, err := s.HitRateLimit(ctx, fmt.Sprintf("login-ip:%d", i%1000), time.Hour, now)
		return err
	})
}

// bnEachFixture builds the fixture, hands it to use, and runs fn as a
// sub-benchmark per variant, serially and in parallel.
func bnEachFixture(b *testing.B, use func(*bnFixture), fn func(s *Store, i int) error) {
	b.Helper()
	f := bnMustFixture(b)
	if use != nil {
		use(f)
	}
	for _, v := range bnVariants {
		s := v.open(b, f.path)
		for _, mode := range []string{"serial", "parallel"} {
			b.Run(v.name+"/"+mode, func(b *testing.B) {
				b.ReportAllocs()
				if mode == "serial" {
					i := 0
					for b.Loop() {
						if err := fn(s, i); err != nil {
							b.Fatal(err)
						}
						i++
					}
					return
				}
				b.RunParallel(func(pb *testing.PB) {
					i := 0
					for pb.Next() {
						if err := fn(s, i); err != nil {
							b.Error(err)
							return
						}
						i += 7
					}
				})
			})
		}
		s.Close()
	}
}

// BenchmarkFindSessionQueryForms runs FindSession's SQL as written and with
// the bound id as `+?`. With a plain `?` in this join SQLite marks the
// statement to be re-prepared whenever the parameter is rebound (its
// planner compared the bound value), so every execution parses and plans
// the statement again — twice without a statement cache (prepare, then
// re-prepare in step) and still once with one. `+?` leaves the plan
// unchanged (SEARCH s USING PRIMARY KEY, SEARCH u USING PRIMARY KEY) and
// keeps a cached statement valid.
func BenchmarkFindSessionQueryForms(b *testing.B) {
	ctx := context.Background()
	cols := sessionColumns + `, ` + prefixed("u.", userColumns)
	forms := []struct{ name, q string }{
		{"plain", `SELECT ` + cols + ` FROM user_sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?`},
		{"unary-plus", `SELECT ` + cols + ` FROM user_sessions s JOIN users u ON u.id = s.user_id WHERE s.id = +?`},
	}
	f := bnMustFixture(b)
	for _, v := range bnVariants {
		s := v.open(b, f.path)
		for _, form := range forms {
			b.Run(v.name+"/"+form.name, func(b *testing.B) {
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					var u userScan
					if _, err := scanSession(s.db.QueryRowContext(ctx, form.q, f.sessions[i%len(f.sessions)]), u.dest()...); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
		}
		s.Close()
	}
}
