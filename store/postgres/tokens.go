package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/accountportal/portal/store"
)

// tokenColumns are user_tokens' columns, written by CreateToken and
// returned by ConsumeToken in this order.
const tokenColumns = `token_hash, user_id, purpose, stamp, data, expires_at, created_at`

// CreateToken stores t.
func (s *Store) CreateToken(ctx context.Context, t *store.Token) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO user_tokens (`+tokenColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		t.Hash, t.UserID, t.Purpose, t.Stamp, t.Data, utc(t.ExpiresAt), utc(t.CreatedAt))
	return translate(err)
}

// ConsumeToken marks the token used in one UPDATE … RETURNING, so of two
// concurrent consumers exactly one gets it (REL-04): the second waits on the
// row lock, re-checks used_at IS NULL against the committed row and matches
// nothing.
func (s *Store) ConsumeToken(ctx context.Context, hash []byte, purpose, userID string, now time.Time) (*store.Token, error) {
	var t store.Token
	err := s.pool.QueryRow(ctx, `UPDATE user_tokens SET used_at = $1
		WHERE token_hash = $2 AND purpose = $3 AND user_id = $4 AND used_at IS NULL AND expires_at > $1
		RETURNING `+tokenColumns,
		utc(now), hash, purpose, userID).
		Scan(&t.Hash, &t.UserID, &t.Purpose, &t.Stamp, &t.Data, &t.ExpiresAt, &t.CreatedAt)
	if err != nil {
		return nil, translate(err)
	}
	t.ExpiresAt, t.CreatedAt = t.ExpiresAt.UTC(), t.CreatedAt.UTC()
	return &t, nil
}

// LiveToken returns the unused, unexpired token without spending it.
func (s *Store) LiveToken(ctx context.Context, hash []byte, purpose string, now time.Time) (*store.Token, error) {
	var t store.Token
	err := s.pool.QueryRow(ctx, `SELECT `+tokenColumns+` FROM user_tokens
		WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3`,
		hash, purpose, utc(now)).
		Scan(&t.Hash, &t.UserID, &t.Purpose, &t.Stamp, &t.Data, &t.ExpiresAt, &t.CreatedAt)
	if err != nil {
		return nil, translate(err)
	}
	t.ExpiresAt, t.CreatedAt = t.ExpiresAt.UTC(), t.CreatedAt.UTC()
	return &t, nil
}

// DeleteTokens removes the user's tokens for purpose.
func (s *Store) DeleteTokens(ctx context.Context, userID, purpose string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM user_tokens WHERE user_id = $1 AND purpose = $2`, userID, purpose)
	return translate(err)
}

// Secret returns the named secret, creating it on first use. INSERT … ON
// CONFLICT DO NOTHING then SELECT makes concurrent first callers, in any
// number of processes, agree on one value: a second inserter waits for the
// first to commit and then inserts nothing.
func (s *Store) Secret(ctx context.Context, name string, generate func() ([]byte, error)) ([]byte, error) {
	const get = `SELECT value FROM secrets WHERE name = $1`
	var v []byte
	err := s.pool.QueryRow(ctx, get, name).Scan(&v)
	if err == nil {
		return v, nil
	}
	if err = translate(err); !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	fresh, err := generate()
	if err != nil {
		return nil, err
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO secrets (name, value, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO NOTHING`, name, fresh, time.Now().UTC()); err != nil {
		return nil, translate(err)
	}
	if err := s.pool.QueryRow(ctx, get, name).Scan(&v); err != nil {
		return nil, translate(err)
	}
	return v, nil
}

// RekeySecrets re-encrypts every authenticator key and changes the secrets
// table in one transaction; the rows are locked (FOR UPDATE) so that a
// concurrent 2FA enrolment waits for it.
func (s *Store) RekeySecrets(ctx context.Context, rekey func(userID string, sealed []byte) ([]byte, error), put map[string][]byte, drop []string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, authenticator_key FROM users
			WHERE authenticator_key IS NOT NULL AND length(authenticator_key) > 0 FOR UPDATE`)
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
			if _, err := tx.Exec(ctx, `UPDATE users SET authenticator_key = $1 WHERE id = $2`, fresh, r.id); err != nil {
				return translate(err)
			}
		}
		now := time.Now().UTC()
		for name, v := range put {
			if _, err := tx.Exec(ctx, `INSERT INTO secrets (name, value, created_at) VALUES ($1, $2, $3)
				ON CONFLICT (name) DO UPDATE SET value = excluded.value, created_at = excluded.created_at`, name, v, now); err != nil {
				return translate(err)
			}
		}
		for _, name := range drop {
			if _, err := tx.Exec(ctx, `DELETE FROM secrets WHERE name = $1`, name); err != nil {
				return translate(err)
			}
		}
		return nil
	})
}
