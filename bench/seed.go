package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	_ "github.com/mattn/go-sqlite3" // the driver Portal uses

	"github.com/accountportal/portal/identity"
)

// bnPassword is every seeded user's password.
const bnPassword = "bench-Passw0rd-correct-horse"

// bnEmail is the address of seeded user i.
func bnEmail(i int) string { return fmt.Sprintf("user%07d@bench.example", i) }

// bnSeed creates the database with `portal migrate` and inserts n users
// straight into the file, in transactions of 20,000 rows with multi-row
// INSERTs. Every user shares one precomputed argon2id hash (same
// parameters as the server's), except the accounts in special, which get
// their own hash (own salt): the scenarios sign in as those.
func bnSeed(ctx context.Context, portalBin, dbPath string, n int, special []int) (time.Duration, error) {
	start := time.Now()
	if out, err := exec.CommandContext(ctx, portalBin, "migrate", "--db", dbPath).CombinedOutput(); err != nil {
		return 0, fmt.Errorf("portal migrate: %v\n%s", err, out)
	}

	hasher := identity.NewHasher(identity.DefaultHashParams, 2, time.Minute)
	pw := identity.NormalizePassword(bnPassword)
	shared, err := hasher.Hash(ctx, pw)
	if err != nil {
		return 0, err
	}
	own := make(map[int]string, len(special))
	var mu sync.Mutex
	var wg sync.WaitGroup
	errc := make(chan error, len(special))
	for _, i := range special {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h, err := hasher.Hash(ctx, pw) // the hasher allows two at once
			if err != nil {
				errc <- err
				return
			}
			mu.Lock()
			own[i] = h
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return 0, err
	}

	// The bulk load trades durability for speed; the server reopens the
	// file with its own settings (WAL, synchronous=FULL).
	db, err := sql.Open("sqlite3", "file:"+dbPath+"?_journal_mode=WAL&_synchronous=OFF&_busy_timeout=5000")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)

	const cols = `id, email, normalized_email, username, normalized_username, email_confirmed,
		password_hash, security_stamp, phone_number, access_failed_count, two_factor_enabled,
		created_at, updated_at`
	const perStmt = 500 // 13 columns x 500 rows stays under SQLite's 32,766 parameters
	const perTx = 20000
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", 13), ",") + ")"
	stmtFor := func(rows int) string {
		return "INSERT INTO users (" + cols + ") VALUES " + strings.TrimSuffix(strings.Repeat(row+",", rows), ",")
	}
	full, err := db.PrepareContext(ctx, stmtFor(perStmt))
	if err != nil {
		return 0, err
	}
	defer full.Close()

	created := time.Now().UTC().Add(-24 * time.Hour)
	stamp := make([]byte, 20)
	args := make([]any, 0, 13*perStmt)
	var tx *sql.Tx
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		rows := len(args) / 13
		var err error
		if rows == perStmt {
			_, err = tx.StmtContext(ctx, full).ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, stmtFor(rows), args...)
		}
		args = args[:0]
		return err
	}
	for i := 0; i < n; i++ {
		if i%perTx == 0 {
			if tx != nil {
				if err := flush(); err != nil {
					return 0, err
				}
				if err := tx.Commit(); err != nil {
					return 0, err
				}
			}
			if tx, err = db.BeginTx(ctx, nil); err != nil {
				return 0, err
			}
		}
		id, err := uuid.NewV7()
		if err != nil {
			return 0, err
		}
		rand.Read(stamp)
		email := bnEmail(i)
		hash := shared
		if h, ok := own[i]; ok {
			hash = h
		}
		args = append(args, id.String(), email, email, email, email, true,
			hash, base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(stamp), "", 0, false,
			created, created)
		if len(args) == 13*perStmt {
			if err := flush(); err != nil {
				return 0, err
			}
		}
	}
	if tx != nil {
		if err := flush(); err != nil {
			return 0, err
		}
		if err := tx.Commit(); err != nil {
			return 0, err
		}
	}
	if _, err := db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return 0, err
	}
	var got int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM users").Scan(&got); err != nil {
		return 0, err
	}
	if got != n {
		return 0, fmt.Errorf("seeded %d users, want %d", got, n)
	}
	return time.Since(start), nil
}

// bnSpecialUsers spreads k sign-in accounts evenly over the n seeded ones,
// so that lookups at 1,000,000 users touch the whole index.
func bnSpecialUsers(n, k int) []int {
	k = min(k, n)
	out := make([]int, k)
	for j := range out {
		out[j] = int(int64(j) * int64(n) / int64(k))
	}
	return out
}

// bnSeedSessions adds n live signed-in sessions, as if n browsers were
// signed in, spread over the seeded users: n registry rows (user_sessions)
// and n scs rows (sessions) with random tokens, all unexpired. Their
// cookies are never sent: they are the rows every session lookup's index
// has to be searched among (the scale check at 1,000,000 live sessions).
func bnSeedSessions(ctx context.Context, dbPath string, n int) (time.Duration, error) {
	start := time.Now()
	db, err := sql.Open("sqlite3", "file:"+dbPath+"?_journal_mode=WAL&_synchronous=OFF&_busy_timeout=5000")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var users int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM users").Scan(&users); err != nil {
		return 0, err
	}
	if users == 0 {
		return 0, fmt.Errorf("no users to sign in")
	}
	now := time.Now().UTC()
	created, expires := now.Add(-time.Hour), now.Add(30*24*time.Hour)
	const perTx = 100000
	for done := 0; done < n; {
		k := min(perTx, n-done, users)
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return 0, err
		}
		// Remembered sessions (no idle timeout), like a browser that
		// ticked "remember me" an hour ago.
		if _, err := tx.ExecContext(ctx, `INSERT INTO user_sessions
			(id, user_id, stamp, remember, ip, user_agent, created_at, auth_at, last_seen_at, expires_at)
			SELECT lower(hex(randomblob(16))), id, security_stamp, 1, '127.0.0.1', 'bench', ?, ?, ?, ?
			FROM users ORDER BY id LIMIT ? OFFSET ?`, created, created, created, expires, k, done%users); err != nil {
			tx.Rollback()
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?)
			INSERT INTO sessions (token, data, expiry)
			SELECT lower(hex(randomblob(32))), randomblob(96), julianday(?) FROM c`, k, expires); err != nil {
			tx.Rollback()
			return 0, err
		}
		if err := tx.Commit(); err != nil {
			return 0, err
		}
		done += k
	}
	if _, err := db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return 0, err
	}
	var got int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM user_sessions").Scan(&got); err != nil {
		return 0, err
	}
	if got != n {
		return 0, fmt.Errorf("seeded %d sessions, want %d", got, n)
	}
	return time.Since(start), nil
}
