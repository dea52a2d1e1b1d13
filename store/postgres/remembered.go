package postgres

import (
	"context"
	"time"
)

// AddRememberedBrowser records browser id of the user until expiresAt and
// drops the user's expired ones.
func (s *Store) AddRememberedBrowser(ctx context.Context, userID, id string, expiresAt, now time.Time) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM remembered_browsers WHERE user_id = $1 AND expires_at <= $2`, userID, utc(now)); err != nil {
		return translate(err)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO remembered_browsers (id, user_id, expires_at, created_at) VALUES ($1, $2, $3, $4)`,
		id, userID, utc(expiresAt), utc(now))
	return translate(err)
}

// RememberedBrowserActive reports whether browser id of the user is
// remembered and unexpired at now.
func (s *Store) RememberedBrowserActive(ctx context.Context, userID, id string, now time.Time) (bool, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM remembered_browsers WHERE id = $1 AND user_id = $2 AND expires_at > $3`,
		id, userID, utc(now)).Scan(&n)
	return n > 0, translate(err)
}

// DeleteRememberedBrowsers forgets browser id of the user, or every one
// of the user's when id is "", and returns how many were forgotten.
func (s *Store) DeleteRememberedBrowsers(ctx context.Context, userID, id string) (int, error) {
	q, args := `DELETE FROM remembered_browsers WHERE user_id = $1`, []any{userID}
	if id != "" {
		q, args = q+` AND id = $2`, append(args, id)
	}
	tag, err := s.pool.Exec(ctx, q, args...)
	if err != nil {
		return 0, translate(err)
	}
	return int(tag.RowsAffected()), nil
}
