package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/accountportal/portal/store"
)

const externalColumns = `provider, subject, user_id, display_name, email, created_at`

func scanExternal(row pgx.Row) (*store.ExternalLogin, error) {
	var l store.ExternalLogin
	if err := row.Scan(&l.Provider, &l.Subject, &l.UserID, &l.DisplayName, &l.Email, &l.CreatedAt); err != nil {
		return nil, translate(err)
	}
	l.CreatedAt = l.CreatedAt.UTC()
	return &l, nil
}

const insertExternal = `INSERT INTO external_logins (` + externalColumns + `) VALUES ($1, $2, $3, $4, $5, $6)`

// AddExternalLogin links l; ErrConflict when (provider, subject) is linked.
func (s *Store) AddExternalLogin(ctx context.Context, l *store.ExternalLogin) error {
	_, err := s.pool.Exec(ctx, insertExternal, l.Provider, l.Subject, l.UserID, l.DisplayName, l.Email, utc(l.CreatedAt))
	return translate(err)
}

// CreateUserWithLogin creates u with l in one transaction: a conflict on
// either leaves nothing behind.
func (s *Store) CreateUserWithLogin(ctx context.Context, u *store.User, l *store.ExternalLogin) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, insertUser, userArgs(u)...); err != nil {
			return translate(err)
		}
		_, err := tx.Exec(ctx, insertExternal, l.Provider, l.Subject, u.ID, l.DisplayName, l.Email, utc(l.CreatedAt))
		return translate(err)
	})
}

// FindExternalLogin returns the link for (provider, subject).
func (s *Store) FindExternalLogin(ctx context.Context, provider, subject string) (*store.ExternalLogin, error) {
	return scanExternal(s.pool.QueryRow(ctx, `SELECT `+externalColumns+` FROM external_logins
		WHERE provider = $1 AND subject = $2`, provider, subject))
}

// ListExternalLogins returns the user's links, oldest first (ties by
// provider in byte order, as in SQLite).
func (s *Store) ListExternalLogins(ctx context.Context, userID string) ([]*store.ExternalLogin, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+externalColumns+` FROM external_logins
		WHERE user_id = $1 ORDER BY created_at, provider COLLATE "C"`, userID)
	return collect(rows, err, scanExternal)
}

// DeleteExternalLogin unlinks one of the user's logins.
func (s *Store) DeleteExternalLogin(ctx context.Context, userID, provider, subject string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM external_logins WHERE user_id = $1 AND provider = $2 AND subject = $3`,
		userID, provider, subject)
	if err != nil {
		return translate(err)
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}
