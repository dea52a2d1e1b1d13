package sqlite

import (
	"context"
	"time"

	"github.com/accountportal/portal/store"
)

// ReplaceRecoveryCodes swaps the user's codes in one transaction.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, userID string, hashes []string, now time.Time) error {
	tx, err := s.begin(ctx)
	if err != nil {
		return translate(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
		return translate(err)
	}
	for _, h := range hashes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES (?, ?, ?)`,
			userID, h, utc(now)); err != nil {
			return translate(err)
		}
	}
	return translate(tx.Commit())
}

// ListRecoveryCodes returns the user's unused codes.
func (s *Store) ListRecoveryCodes(ctx context.Context, userID string) ([]store.RecoveryCode, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, code_hash FROM recovery_codes WHERE user_id = ? ORDER BY id`, userID)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []store.RecoveryCode
	for rows.Next() {
		var c store.RecoveryCode
		if err := rows.Scan(&c.ID, &c.Hash); err != nil {
			return nil, translate(err)
		}
		out = append(out, c)
	}
	return out, translate(rows.Err())
}

// DeleteRecoveryCode spends one code: one DELETE, so concurrent spenders of
// the same code cannot both succeed.
func (s *Store) DeleteRecoveryCode(ctx context.Context, userID string, id int64) (bool, error) {
	res, err := s.exec(ctx, `DELETE FROM recovery_codes WHERE id = ? AND user_id = ?`, id, userID)
	if err != nil {
		return false, translate(err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
