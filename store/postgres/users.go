package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/accountportal/portal/store"
)

const userColumns = `id, email, normalized_email, username, normalized_username,
	email_confirmed, password_hash, security_stamp, phone_number, lockout_end,
	access_failed_count, two_factor_enabled, created_at, updated_at,
	authenticator_key, totp_last_step`

// insertUser inserts the values of userArgs.
const insertUser = `INSERT INTO users (` + userColumns + `)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`

// userScan receives the columns of userColumns.
type userScan struct {
	u       store.User
	lockout *time.Time
}

func (s *userScan) dest() []any {
	u := &s.u
	return []any{&u.ID, &u.Email, &u.NormalizedEmail, &u.UserName, &u.NormalizedUserName,
		&u.EmailConfirmed, &u.PasswordHash, &u.SecurityStamp, &u.PhoneNumber, &s.lockout,
		&u.AccessFailedCount, &u.TwoFactorEnabled, &u.CreatedAt, &u.UpdatedAt,
		&u.AuthenticatorKey, &u.TOTPLastStep}
}

func (s *userScan) user() *store.User {
	u := s.u
	u.LockoutEnd = fromNull(s.lockout)
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	return &u
}

func scanUser(row pgx.Row) (*store.User, error) {
	var s userScan
	if err := row.Scan(s.dest()...); err != nil {
		return nil, translate(err)
	}
	return s.user(), nil
}

// prefixed qualifies each column of a comma-separated list.
func prefixed(prefix, columns string) string {
	parts := strings.Split(columns, ",")
	for i, p := range parts {
		parts[i] = prefix + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// userArgs are the values of userColumns for u.
func userArgs(u *store.User) []any {
	return []any{u.ID, u.Email, u.NormalizedEmail, u.UserName, u.NormalizedUserName,
		u.EmailConfirmed, u.PasswordHash, u.SecurityStamp, u.PhoneNumber, utc(u.LockoutEnd),
		u.AccessFailedCount, u.TwoFactorEnabled, utc(u.CreatedAt), utc(u.UpdatedAt),
		nilIfEmpty(u.AuthenticatorKey), u.TOTPLastStep}
}

// CreateUser inserts u; ErrConflict when the email or username is taken
// (the UNIQUE indexes decide, so concurrent registrations of one address
// cannot both succeed).
func (s *Store) CreateUser(ctx context.Context, u *store.User) error {
	_, err := s.pool.Exec(ctx, insertUser, userArgs(u)...)
	return translate(err)
}

// FindUserByID returns the user or ErrNotFound.
func (s *Store) FindUserByID(ctx context.Context, id string) (*store.User, error) {
	return scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
}

// FindUserByEmail returns the user with this normalised email or ErrNotFound.
func (s *Store) FindUserByEmail(ctx context.Context, normalizedEmail string) (*store.User, error) {
	return scanUser(s.pool.QueryRow(ctx,
		`SELECT `+userColumns+` FROM users WHERE normalized_email = $1`, normalizedEmail))
}

// UpdateUser applies the set fields of upd. ErrNotFound when there is no
// such user; ErrConflict when a new email or username is taken. A new
// security stamp ends the user's other sessions in the same transaction.
func (s *Store) UpdateUser(ctx context.Context, id string, upd store.UserUpdate) error {
	return s.inTx(ctx, func(tx pgx.Tx) error { return updateUserTx(ctx, tx, id, upd) })
}

// updateUserTx is UpdateUser inside tx.
func updateUserTx(ctx context.Context, tx pgx.Tx, id string, upd store.UserUpdate) error {
	var sets []string
	var args []any
	add := func(col string, v any) {
		args = append(args, v)
		sets = append(sets, fmt.Sprintf("%s = $%d", col, len(args)))
	}
	if upd.Email != nil {
		add("email", *upd.Email)
	}
	if upd.NormalizedEmail != nil {
		add("normalized_email", *upd.NormalizedEmail)
	}
	if upd.UserName != nil {
		add("username", *upd.UserName)
	}
	if upd.NormalizedUserName != nil {
		add("normalized_username", *upd.NormalizedUserName)
	}
	if upd.EmailConfirmed != nil {
		add("email_confirmed", *upd.EmailConfirmed)
	}
	if upd.PasswordHash != nil {
		add("password_hash", *upd.PasswordHash)
	}
	if upd.SecurityStamp != nil {
		add("security_stamp", *upd.SecurityStamp)
	}
	if upd.PhoneNumber != nil {
		add("phone_number", *upd.PhoneNumber)
	}
	if upd.LockoutEnd != nil {
		add("lockout_end", utc(*upd.LockoutEnd))
	}
	if upd.AccessFailedCount != nil {
		add("access_failed_count", *upd.AccessFailedCount)
	}
	if upd.TwoFactorEnabled != nil {
		add("two_factor_enabled", *upd.TwoFactorEnabled)
	}
	if upd.AuthenticatorKey != nil {
		add("authenticator_key", nilIfEmpty(*upd.AuthenticatorKey))
	}
	add("updated_at", utc(upd.UpdatedAt))
	args = append(args, id)
	query := fmt.Sprintf("UPDATE users SET %s WHERE id = $%d", strings.Join(sets, ", "), len(args))
	tag, err := tx.Exec(ctx, query, args...)
	if err != nil {
		return translate(err)
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	if upd.SecurityStamp == nil {
		return nil
	}
	// The UPDATE above holds the user's row lock until commit, so two
	// concurrent rotations are serialised here as in SQLite.
	if _, err := tx.Exec(ctx, `DELETE FROM user_sessions WHERE user_id = $1 AND id <> $2`,
		id, upd.KeepSessionID); err != nil {
		return translate(err)
	}
	if _, err := tx.Exec(ctx, `UPDATE user_sessions SET stamp = $1 WHERE user_id = $2 AND id = $3`,
		*upd.SecurityStamp, id, upd.KeepSessionID); err != nil {
		return translate(err)
	}
	return nil
}

// insertKept starts both inserts into kept_events: the account's events,
// then the deletion itself.
const insertKept = `INSERT INTO kept_events (tag, kind, created_at)`

// DeleteUser removes the user and everything that hangs off it (foreign
// keys cascade to tokens, sessions, events, recovery codes and external
// logins), and queued mail to its address, in one transaction.
func (s *Store) DeleteUser(ctx context.Context, id, email string, keep *store.KeptEvents) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if keep != nil {
			if _, err := tx.Exec(ctx, insertKept+`
				SELECT $1, kind, created_at FROM security_events WHERE user_id = $2 ORDER BY id`, keep.Tag, id); err != nil {
				return translate(err)
			}
			if _, err := tx.Exec(ctx, insertKept+` VALUES ($1, $2, $3)`,
				keep.Tag, keep.Kind, utc(keep.At)); err != nil {
				return translate(err)
			}
		}
		tag, err := tx.Exec(ctx, `DELETE FROM users WHERE id = $1`, id)
		if err != nil {
			return translate(err)
		}
		if tag.RowsAffected() == 0 {
			return store.ErrNotFound
		}
		if _, err := tx.Exec(ctx, `DELETE FROM mail_outbox WHERE lower(to_addr) = lower($1)`, email); err != nil {
			return translate(err)
		}
		return nil
	})
}

// RecordLoginFailure counts a failed password in one statement, so that
// concurrent failures all count (no lost update: a second UPDATE waits for
// the first and re-reads the row), and locks the account when the count
// reaches the threshold.
func (s *Store) RecordLoginFailure(ctx context.Context, id string, f store.LoginFailure) (*store.User, error) {
	return scanUser(s.pool.QueryRow(ctx, `UPDATE users SET
		lockout_end = CASE WHEN access_failed_count + 1 >= $1 THEN $2::timestamptz ELSE lockout_end END,
		access_failed_count = CASE WHEN access_failed_count + 1 >= $1 THEN 0 ELSE access_failed_count + 1 END,
		updated_at = $3
		WHERE id = $4
		RETURNING `+userColumns, f.Threshold, utc(f.LockUntil), utc(f.Now), id))
}

// ReserveLoginAttempt counts an attempt in one statement that also checks
// the lock: a concurrent UPDATE waits for the first and re-checks the
// condition against its committed row, so no more than the threshold get
// through.
func (s *Store) ReserveLoginAttempt(ctx context.Context, id string, a store.LoginAttempt) (*store.User, bool, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `UPDATE users SET
		lockout_end = CASE
			WHEN $2 > 0 AND access_failed_count + 1 >= $2 THEN $3::timestamptz
			WHEN (access_failed_count + 1) % $1 = 0 THEN $4::timestamptz
			ELSE lockout_end END,
		access_failed_count = access_failed_count + 1,
		updated_at = $5
		WHERE id = $6 AND (lockout_end IS NULL OR lockout_end <= $5)
		RETURNING `+userColumns, max(a.Threshold, 1), a.HardCap, utc(a.HardLockUntil), utc(a.LockUntil), utc(a.Now), id))
	if errors.Is(err, store.ErrNotFound) {
		u, err = s.FindUserByID(ctx, id) // locked, or no such user
		return u, false, err
	}
	return u, err == nil, err
}

// AdvanceTOTPStep is a compare-and-set on the last accepted step: of two
// concurrent calls with the same step, the second re-checks the condition
// against the first's committed row and updates nothing.
func (s *Store) AdvanceTOTPStep(ctx context.Context, id string, step int64) (bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE users SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2`, id, step)
	if err != nil {
		return false, translate(err)
	}
	return tag.RowsAffected() == 1, nil
}
