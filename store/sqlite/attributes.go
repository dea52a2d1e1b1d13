package sqlite

import "context"

// SetUserAttributes upserts (or, for "", removes) the given attributes in
// one transaction.
func (s *Store) SetUserAttributes(ctx context.Context, userID string, values map[string]string) error {
	tx, err := s.begin(ctx)
	if err != nil {
		return translate(err)
	}
	defer tx.Rollback()
	for name, v := range values {
		if v == "" {
			_, err = tx.ExecContext(ctx, `DELETE FROM user_attributes WHERE user_id = ? AND name = ?`, userID, name)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT INTO user_attributes (user_id, name, value) VALUES (?, ?, ?)
				ON CONFLICT(user_id, name) DO UPDATE SET value = excluded.value`, userID, name, v)
		}
		if err != nil {
			return translate(err)
		}
	}
	return translate(tx.Commit())
}

// UserAttributes returns the user's attributes.
func (s *Store) UserAttributes(ctx context.Context, userID string) (map[string]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, value FROM user_attributes WHERE user_id = ?`, userID)
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
