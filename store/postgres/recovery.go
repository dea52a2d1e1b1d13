package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/accountportal/portal/store"
)

// ReplaceRecoveryCodes swaps the user's codes in one transaction. The
// user's row is locked first (SELECT … FOR NO KEY UPDATE): without it two
// concurrent replacements could each delete only the codes they saw and
// both insert, leaving the user with both sets. SQLite gets the same
// serialisation from BEGIN IMMEDIATE.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, userID string, hashes []string, now time.Time) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var one int
		// An unknown user is left to the foreign key, as in SQLite: with
		// no codes to insert, replacing nothing succeeds.
		if err := tx.QueryRow(ctx, `SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE`, userID).Scan(&one); err != nil {
			if err := translate(err); !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
			return translate(err)
		}
		if len(hashes) == 0 {
			return nil
		}
		// One statement for all codes; ids follow the order of hashes.
		_, err := tx.Exec(ctx, `INSERT INTO recovery_codes (user_id, code_hash, created_at)
			SELECT $1, h, $3 FROM unnest($2::text[]) WITH ORDINALITY AS c(h, n) ORDER BY n`,
			userID, hashes, utc(now))
		return translate(err)
	})
}

// ListRecoveryCodes returns the user's unused codes.
func (s *Store) ListRecoveryCodes(ctx context.Context, userID string) ([]store.RecoveryCode, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, code_hash FROM recovery_codes WHERE user_id = $1 ORDER BY id`, userID)
	return collect(rows, err, func(row pgx.Row) (store.RecoveryCode, error) {
		var c store.RecoveryCode
		err := row.Scan(&c.ID, &c.Hash)
		return c, translate(err)
	})
}

// DeleteRecoveryCode spends one code: one DELETE, so concurrent spenders of
// the same code cannot both succeed.
func (s *Store) DeleteRecoveryCode(ctx context.Context, userID string, id int64) (bool, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM recovery_codes WHERE id = $1 AND user_id = $2`, id, userID)
	if err != nil {
		return false, translate(err)
	}
	return tag.RowsAffected() == 1, nil
}
