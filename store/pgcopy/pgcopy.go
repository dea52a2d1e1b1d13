// Package pgcopy copies a SQLite installation into an empty PostgreSQL
// database (`portal copy`): every table, in one transaction on the
// destination. It knows both engines' quirks — SQLite's Julian-day session
// expiry, PostgreSQL's identity columns — so that callers only name the two
// stores.
package pgcopy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/stdlib"

	"github.com/accountportal/portal/store/postgres"
	"github.com/accountportal/portal/store/sqlite"
)

// Tables are copied in this order (parents before children).
var Tables = []string{
	"users", "external_logins", "user_tokens", "recovery_codes", "user_sessions", "remembered_browsers",
	"security_events", "kept_events", "user_attributes", "invites", "secrets", "mail_outbox", "rate_limits",
	"oidc_clients", "oidc_auth_requests", "oidc_access_tokens", "oidc_refresh_tokens", "oidc_grants", "oidc_keys",
	"passkeys",
}

// SessionsTable is scs's table of cookie sessions, copied only when asked.
const SessionsTable = "sessions"

// notCopied are the SQLite tables Copy leaves out on purpose: the
// migration library's own, SQLite's, scs's sessions (copied only with
// withSessions) and passkey ceremonies in progress (they live for minutes;
// a person mid-ceremony starts it again) and the auth epoch (a counter
// whose value means nothing outside its own database; the destination's
// migration makes its own). TestTablesCoverSchema fails when
// a migration adds a table to neither list.
var notCopied = []string{"goose_db_version", "sqlite_sequence", SessionsTable, "passkey_ceremonies", "auth_epoch"}

// Copy moves an installation from src to dst without losing a row: every
// table of users, logins, 2FA, tokens, events, profile attributes,
// invitations, secrets, queued mail and rate limits, in one transaction on
// dst (all or nothing); scs sessions too when withSessions (otherwise
// everyone signs in again). src must be fully migrated; dst is migrated
// first and must hold no users. Progress goes to out.
func Copy(ctx context.Context, src *sqlite.Store, dst *postgres.Store, withSessions bool, out io.Writer) error {
	if pending, err := src.MigrationsPending(ctx); err != nil {
		return fmt.Errorf("copy: source: %w", err)
	} else if pending {
		return errors.New("copy: the source database is not fully migrated; run `portal migrate --db <source>` first")
	}
	if err := dst.Migrate(ctx); err != nil {
		return err
	}
	pg := stdlib.OpenDBFromPool(dst.Pool())
	defer pg.Close()
	var users int
	if err := pg.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&users); err != nil {
		return err
	}
	if users > 0 {
		return fmt.Errorf("copy: the destination already has %d users; copy into an empty database", users)
	}
	tx, err := pg.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	tables := Tables
	if withSessions {
		tables = append(append([]string(nil), tables...), SessionsTable)
	}
	for _, table := range tables {
		n, err := copyTable(ctx, src.DB(), tx, table)
		if err != nil {
			return fmt.Errorf("copy %s: %w", table, err)
		}
		fmt.Fprintf(out, "%-16s %d rows\n", table, n)
	}
	return tx.Commit()
}

type column struct{ name, typ string }

// copyTable copies every row of table; the destination's column types
// decide how each SQLite value is read.
func copyTable(ctx context.Context, src *sql.DB, dst *sql.Tx, table string) (int, error) {
	rows, err := dst.QueryContext(ctx, `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`, table)
	if err != nil {
		return 0, err
	}
	var cols []column
	for rows.Next() {
		var c column
		if err := rows.Scan(&c.name, &c.typ); err != nil {
			rows.Close()
			return 0, err
		}
		cols = append(cols, c)
	}
	rows.Close()
	if len(cols) == 0 {
		return 0, fmt.Errorf("no such table on the destination")
	}
	names := make([]string, len(cols))
	marks := make([]string, len(cols))
	for i, c := range cols {
		names[i], marks[i] = c.name, fmt.Sprintf("$%d", i+1)
	}
	list := strings.Join(names, ", ")
	insert := fmt.Sprintf("INSERT INTO %s (%s) OVERRIDING SYSTEM VALUE VALUES (%s)", table, list, strings.Join(marks, ", "))
	srows, err := src.QueryContext(ctx, fmt.Sprintf("SELECT %s FROM %s", list, table))
	if err != nil {
		return 0, err
	}
	defer srows.Close()
	n := 0
	for srows.Next() {
		dest := make([]any, len(cols))
		for i, c := range cols {
			dest[i] = holder(table, c)
		}
		if err := srows.Scan(dest...); err != nil {
			return n, err
		}
		args := make([]any, len(cols))
		for i, c := range cols {
			args[i] = value(table, c, dest[i])
		}
		if _, err := dst.ExecContext(ctx, insert, args...); err != nil {
			return n, err
		}
		n++
	}
	if err := srows.Err(); err != nil {
		return n, err
	}
	// Identity columns continue after the copied ids.
	for _, c := range cols {
		if c.name == "id" && (c.typ == "bigint" || c.typ == "integer") {
			if _, err := dst.ExecContext(ctx, fmt.Sprintf(
				`SELECT setval(pg_get_serial_sequence('%s', 'id'), GREATEST((SELECT COALESCE(MAX(id), 0) FROM %s), 1), (SELECT COUNT(*) > 0 FROM %s))`,
				table, table, table)); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// holder is the scan target for a SQLite value bound for column c.
func holder(table string, c column) any {
	switch {
	case table == SessionsTable && c.name == "expiry":
		return new(float64) // sqlite3store keeps a Julian day number
	case strings.HasPrefix(c.typ, "timestamp"):
		return new(sql.NullTime)
	case c.typ == "boolean":
		return new(sql.NullBool)
	case c.typ == "bytea":
		return new([]byte)
	case c.typ == "bigint" || c.typ == "integer" || c.typ == "smallint":
		return new(sql.NullInt64)
	case c.typ == "double precision" || c.typ == "real":
		return new(sql.NullFloat64)
	default:
		return new(sql.NullString)
	}
}

// value turns a scanned holder into the destination's value.
func value(table string, c column, h any) any {
	switch v := h.(type) {
	case *float64:
		// Julian day to time: day 2440587.5 is the Unix epoch.
		secs := (*v - 2440587.5) * 86400
		return time.Unix(0, int64(secs*float64(time.Second))).UTC()
	case *sql.NullTime:
		if !v.Valid {
			return nil
		}
		return v.Time.UTC()
	case *sql.NullBool:
		if !v.Valid {
			return nil
		}
		return v.Bool
	case *[]byte:
		return *v
	case *sql.NullInt64:
		if !v.Valid {
			return nil
		}
		return v.Int64
	case *sql.NullFloat64:
		if !v.Valid {
			return nil
		}
		return v.Float64
	case *sql.NullString:
		if !v.Valid {
			return nil
		}
		return v.String
	}
	return h
}
