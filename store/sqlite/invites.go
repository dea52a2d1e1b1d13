package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/accountportal/portal/store"
)

// CreateInvite stores inv.
func (s *Store) CreateInvite(ctx context.Context, inv *store.Invite) error {
	_, err := s.exec(ctx, `INSERT INTO invites (code_hash, normalized_email, created_at, expires_at) VALUES (?, ?, ?, ?)`,
		inv.Hash, inv.NormalizedEmail, utc(inv.CreatedAt), utc(inv.ExpiresAt))
	return translate(err)
}

// ConsumeInvite uses the invite once, in one UPDATE.
func (s *Store) ConsumeInvite(ctx context.Context, hash []byte, normalizedEmail string, now time.Time) error {
	res, err := s.exec(ctx, `UPDATE invites SET used_at = ?1
		WHERE code_hash = ?2 AND normalized_email = ?3 AND used_at IS NULL AND expires_at > ?1`, utc(now), hash, normalizedEmail)
	if err != nil {
		return translate(err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// HasInvite reports whether the invite is usable.
func (s *Store) HasInvite(ctx context.Context, hash []byte, normalizedEmail string, now time.Time) (bool, error) {
	var one int
	err := s.db.QueryRowContext(ctx, `SELECT 1 FROM invites
		WHERE code_hash = ? AND normalized_email = ? AND used_at IS NULL AND expires_at > ?`, hash, normalizedEmail, utc(now)).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, translate(err)
}

// ListUsers returns users ordered by creation.
func (s *Store) ListUsers(ctx context.Context, offset, limit int) ([]*store.User, error) {
	return queryAll(ctx, s.db, scanUser, `SELECT `+userColumns+` FROM users ORDER BY created_at, id LIMIT ? OFFSET ?`, limit, offset)
}
