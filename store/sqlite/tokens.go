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

// LiveToken returns the unused, unexpired token without spending it.
func (s *Store) LiveToken(ctx context.Context, hash []byte, purpose string, now time.Time) (*store.Token, error) {
	var t store.Token
	err := s.db.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM user_tokens
		WHERE token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?`,
		hash, purpose, utc(now)).
		Scan(&t.Hash, &t.UserID, &t.Purpose, &t.Stamp, &t.Data, &t.ExpiresAt, &t.CreatedAt)
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

// RekeySecrets re-encrypts every authenticator key and changes the secrets
// table in one write transaction.
func (s *Store) RekeySecrets(ctx context.Context, rekey func(userID string, sealed []byte) ([]byte, error), put map[string][]byte, drop []string) error {
	tx, err := s.begin(ctx)
	if err != nil {
		return translate(err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT id, authenticator_key FROM users WHERE authenticator_key IS NOT NULL AND length(authenticator_key) > 0`)
	if err != nil {
		return translate(err)
	}
	type row struct {
		id  string
		key []byte
	}
	var all []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.key); err != nil {
			rows.Close()
			return translate(err)
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return translate(err)
	}
	for _, r := range all {
		fresh, err := rekey(r.id, r.key)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET authenticator_key = ? WHERE id = ?`, fresh, r.id); err != nil {
			return translate(err)
		}
	}
	now := utc(time.Now())
	for name, v := range put {
		if _, err := tx.ExecContext(ctx, `INSERT INTO secrets (name, value, created_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value, created_at = excluded.created_at`, name, v, now); err != nil {
			return translate(err)
		}
	}
	for _, name := range drop {
		if _, err := tx.ExecContext(ctx, `DELETE FROM secrets WHERE name = ?`, name); err != nil {
			return translate(err)
		}
	}
	return translate(tx.Commit())
}
