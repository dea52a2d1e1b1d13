package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/accountportal/portal/store"
)

const userColumns = `id, email, normalized_email, username, normalized_username,
	email_confirmed, password_hash, security_stamp, phone_number, lockout_end,
	access_failed_count, two_factor_enabled, created_at, updated_at,
	authenticator_key, totp_last_step`

type scanner interface{ Scan(dest ...any) error }

// userScan receives the columns of userColumns.
type userScan struct {
	u       store.User
	lockout sql.NullTime
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

func scanUser(row scanner) (*store.User, error) {
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

// insertUser inserts the values of userArgs.
const insertUser = `INSERT INTO users (` + userColumns + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// CreateUser inserts u; ErrConflict when the email or username is taken.
func (s *Store) CreateUser(ctx context.Context, u *store.User) error {
	_, err := s.exec(ctx, insertUser, userArgs(u)...)
	return translate(err)
}

// userArgs are the values of userColumns for u.
func userArgs(u *store.User) []any {
	return []any{u.ID, u.Email, u.NormalizedEmail, u.UserName, u.NormalizedUserName,
		u.EmailConfirmed, u.PasswordHash, u.SecurityStamp, u.PhoneNumber, utc(u.LockoutEnd),
		u.AccessFailedCount, u.TwoFactorEnabled, utc(u.CreatedAt), utc(u.UpdatedAt),
		nilIfEmpty(u.AuthenticatorKey), u.TOTPLastStep}
}

// FindUserByID returns the user or ErrNotFound.
func (s *Store) FindUserByID(ctx context.Context, id string) (*store.User, error) {
	return scanUser(s.db.QueryRowContext(pointLookup(ctx), `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
}

// FindUserByEmail returns the user with this normalised email or ErrNotFound.
func (s *Store) FindUserByEmail(ctx context.Context, normalizedEmail string) (*store.User, error) {
	return scanUser(s.db.QueryRowContext(pointLookup(ctx),
		`SELECT `+userColumns+` FROM users WHERE normalized_email = ?`, normalizedEmail))
}

// UpdateUser applies the set fields of upd. ErrNotFound when there is no
// such user; ErrConflict when a new email or username is taken.
func (s *Store) UpdateUser(ctx context.Context, id string, upd store.UserUpdate) error {
	tx, err := s.begin(ctx)
	if err != nil {
		return translate(err)
	}
	defer tx.Rollback()
	if err := updateUserTx(ctx, tx.Tx, id, upd); err != nil {
		return err
	}
	return translate(tx.Commit())
}

// updateUserTx is UpdateUser inside tx: the row, and — with a new stamp —
// the end of the user's other sessions.
func updateUserTx(ctx context.Context, tx *sql.Tx, id string, upd store.UserUpdate) error {
	var sets []string
	var args []any
	add := func(col string, v any) {
		sets = append(sets, col+" = ?")
		args = append(args, v)
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
	res, err := tx.ExecContext(ctx,
		fmt.Sprintf("UPDATE users SET %s WHERE id = ?", strings.Join(sets, ", ")), args...)
	if err != nil {
		return translate(err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return store.ErrNotFound
	}
	if upd.SecurityStamp != nil {
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_sessions WHERE user_id = ? AND id <> ?`, id, upd.KeepSessionID); err != nil {
			return translate(err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE user_sessions SET stamp = ? WHERE user_id = ? AND id = ?`,
			*upd.SecurityStamp, id, upd.KeepSessionID); err != nil {
			return translate(err)
		}
	}
	return nil
}

// RecordLoginFailure counts a failed password in one statement, so that
// concurrent failures all count (no lost update), and locks the account when
// the count reaches the threshold.
func (s *Store) RecordLoginFailure(ctx context.Context, id string, f store.LoginFailure) (*store.User, error) {
	done, err := s.writing(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	return scanUser(s.db.QueryRowContext(ctx, `UPDATE users SET
		lockout_end = CASE WHEN access_failed_count + 1 >= ?1 THEN ?2 ELSE lockout_end END,
		access_failed_count = CASE WHEN access_failed_count + 1 >= ?1 THEN 0 ELSE access_failed_count + 1 END,
		updated_at = ?3
		WHERE id = ?4
		RETURNING `+userColumns, f.Threshold, utc(f.LockUntil), utc(f.Now), id))
}

// ReserveLoginAttempt counts an attempt in one statement that also checks
// the lock, so that of any number of concurrent attempts no more than the
// threshold get through.
func (s *Store) ReserveLoginAttempt(ctx context.Context, id string, a store.LoginAttempt) (*store.User, bool, error) {
	done, err := s.writing(ctx)
	if err != nil {
		return nil, false, err
	}
	u, err := scanUser(s.db.QueryRowContext(ctx, `UPDATE users SET
		lockout_end = CASE
			WHEN ?2 > 0 AND access_failed_count + 1 >= ?2 THEN ?3
			WHEN (access_failed_count + 1) % ?1 = 0 THEN ?4
			ELSE lockout_end END,
		access_failed_count = access_failed_count + 1,
		updated_at = ?5
		WHERE id = ?6 AND (lockout_end IS NULL OR lockout_end <= ?5)
		RETURNING `+userColumns, max(a.Threshold, 1), a.HardCap, utc(a.HardLockUntil), utc(a.LockUntil), utc(a.Now), id))
	done()
	if errors.Is(err, store.ErrNotFound) {
		u, err = s.FindUserByID(ctx, id) // locked, or no such user
		return u, false, err
	}
	return u, err == nil, err
}

func nilIfEmpty(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// AdvanceTOTPStep is a compare-and-set on the last accepted step.
func (s *Store) AdvanceTOTPStep(ctx context.Context, id string, step int64) (bool, error) {
	res, err := s.exec(ctx, `UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?`, step, id, step)
	if err != nil {
		return false, translate(err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
