package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// SetUserAttributes upserts (or, for "", removes) the given attributes in
// one transaction.
func (s *Store) SetUserAttributes(ctx context.Context, userID string, values map[string]string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		for name, v := range values {
			var err error
			if v == "" {
				_, err = tx.Exec(ctx, `DELETE FROM user_attributes WHERE user_id = $1 AND name = $2`, userID, name)
			} else {
				_, err = tx.Exec(ctx, `INSERT INTO user_attributes (user_id, name, value) VALUES ($1, $2, $3)
					ON CONFLICT (user_id, name) DO UPDATE SET value = excluded.value`, userID, name, v)
			}
			if err != nil {
				return translate(err)
			}
		}
		return nil
	})
}

// UserAttributes returns the user's attributes.
func (s *Store) UserAttributes(ctx context.Context, userID string) (map[string]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT name, value FROM user_attributes WHERE user_id = $1`, userID)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var n, v string
		if err := rows.Scan(&n, &v); err != nil {
			return nil, translate(err)
		}
		out[n] = v
	}
	return out, translate(rows.Err())
}
