package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/accountportal/portal/store"
)

// tokenColumns are user_tokens' columns, written by CreateToken and
// returned by ConsumeToken in this order.
const tokenColumns = `token_hash, user_id, purpose, stamp, data, expires_at, created_at`

// CreateToken stores t.
func (s *Store) CreateToken(ctx context.Context, t *store.Token) error {
	_, err := s.exec(ctx, `INSERT INTO user_tokens (`+tokenColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		t.Hash, t.UserID, t.Purpose, t.Stamp, t.Data, utc(t.ExpiresAt), utc(t.CreatedAt))
	return translate(err)
}

// ConsumeToken marks the token used in one UPDATE … RETURNING, so of two
// concurrent consumers exactly one gets it (REL-04).
func (s *Store) ConsumeToken(ctx context.Context, hash []byte, purpose, userID string, now time.Time) (*store.Token, error) {
	var t store.Token
	done, err := s.writing(ctx)
	if err != nil {
		return nil, err
	}
	err = s.db.QueryRowContext(ctx, `UPDATE user_tokens SET used_at = ?1
		WHERE token_hash = ?2 AND purpose = ?3 AND user_id = ?4 AND used_at IS NULL AND expires_at > ?1
		RETURNING `+tokenColumns,
		utc(now), hash, purpose, userID).
		Scan(&t.Hash, &t.UserID, &t.Purpose, &t.Stamp, &t.Data, &t.ExpiresAt, &t.CreatedAt)
	done()
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, translate(err)
	}
	t.ExpiresAt, t.CreatedAt = t.ExpiresAt.UTC(), t.CreatedAt.UTC()
	return &t, nil
}

// DeleteTokens removes the user's tokens for purpose.
func (s *Store) DeleteTokens(ctx context.Context, userID, purpose string) error {
	_, err := s.exec(ctx,
		`DELETE FROM user_tokens WHERE user_id = ? AND purpose = ?`, userID, purpose)
	return translate(err)
}

// Secret returns the named secret, creating it on first use. INSERT OR
// IGNORE then SELECT makes concurrent first callers agree on one value.
func (s *Store) Secret(ctx context.Context, name string, generate func() ([]byte, error)) ([]byte, error) {
	var v []byte
	err := s.db.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&v)
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, translate(err)
	}
	fresh, err := generate()
	if err != nil {
		return nil, err
	}
	if _, err := s.exec(ctx,
		`INSERT OR IGNORE INTO secrets (name, value, created_at) VALUES (?, ?, ?)`,
		name, fresh, utc(time.Now())); err != nil {
		return nil, translate(err)
	}
	if err := s.db.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&v); err != nil {
		return nil, translate(err)
	}
	return v, nil
}
