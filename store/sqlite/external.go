package sqlite

import (
	"context"

	"github.com/accountportal/portal/store"
)

const externalColumns = `provider, subject, user_id, display_name, email, created_at`

func scanExternal(row scanner) (*store.ExternalLogin, error) {
	var l store.ExternalLogin
	if err := row.Scan(&l.Provider, &l.Subject, &l.UserID, &l.DisplayName, &l.Email, &l.CreatedAt); err != nil {
		return nil, translate(err)
	}
	l.CreatedAt = l.CreatedAt.UTC()
	return &l, nil
}

const insertExternal = `INSERT INTO external_logins (` + externalColumns + `) VALUES (?, ?, ?, ?, ?, ?)`

// AddExternalLogin links l.
func (s *Store) AddExternalLogin(ctx context.Context, l *store.ExternalLogin) error {
	_, err := s.exec(ctx, insertExternal, l.Provider, l.Subject, l.UserID, l.DisplayName, l.Email, utc(l.CreatedAt))
	return translate(err)
}

// CreateUserWithLogin creates u with l in one transaction.
func (s *Store) CreateUserWithLogin(ctx context.Context, u *store.User, l *store.ExternalLogin) error {
	tx, err := s.begin(ctx)
	if err != nil {
		return translate(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, insertUser, userArgs(u)...); err != nil {
		return translate(err)
	}
	if _, err := tx.ExecContext(ctx, insertExternal, l.Provider, l.Subject, u.ID, l.DisplayName, l.Email, utc(l.CreatedAt)); err != nil {
		return translate(err)
	}
	return translate(tx.Commit())
}

// FindExternalLogin returns the link for (provider, subject).
func (s *Store) FindExternalLogin(ctx context.Context, provider, subject string) (*store.ExternalLogin, error) {
	return scanExternal(s.db.QueryRowContext(ctx, `SELECT `+externalColumns+` FROM external_logins
		WHERE provider = ? AND subject = ?`, provider, subject))
}

// ListExternalLogins returns the user's links.
func (s *Store) ListExternalLogins(ctx context.Context, userID string) ([]*store.ExternalLogin, error) {
	return queryAll(ctx, s.db, scanExternal, `SELECT `+externalColumns+` FROM external_logins
		WHERE user_id = ? ORDER BY created_at, provider`, userID)
}

// DeleteExternalLogin unlinks one of the user's logins.
func (s *Store) DeleteExternalLogin(ctx context.Context, userID, provider, subject string) error {
	res, err := s.exec(ctx, `DELETE FROM external_logins WHERE user_id = ? AND provider = ? AND subject = ?`,
		userID, provider, subject)
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
