package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/accountportal/portal/store"
)

// sessionColumns are user_sessions' columns in scanSession's order, for
// CreateSession; sessionColumnsS qualifies them for queries with alias s.
const sessionColumns = `id, user_id, stamp, remember, remembered_2fa, ip, user_agent,
	created_at, auth_at, last_seen_at, expires_at`

var sessionColumnsS = prefixed("s.", sessionColumns)

func scanSession(row pgx.Row, extra ...any) (*store.Session, error) {
	var x store.Session
	dest := append([]any{&x.ID, &x.UserID, &x.Stamp, &x.Remember, &x.Remembered2FA, &x.IP, &x.UserAgent,
		&x.CreatedAt, &x.AuthAt, &x.LastSeenAt, &x.ExpiresAt}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, translate(err)
	}
	x.CreatedAt, x.AuthAt, x.LastSeenAt, x.ExpiresAt = x.CreatedAt.UTC(), x.AuthAt.UTC(), x.LastSeenAt.UTC(), x.ExpiresAt.UTC()
	return &x, nil
}

// CreateSession stores x.
func (s *Store) CreateSession(ctx context.Context, x *store.Session) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO user_sessions (`+sessionColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		x.ID, x.UserID, x.Stamp, x.Remember, x.Remembered2FA, x.IP, x.UserAgent,
		utc(x.CreatedAt), utc(x.AuthAt), utc(x.LastSeenAt), utc(x.ExpiresAt))
	return translate(err)
}

// findSessionSQL is FindSession's query, built once.
var findSessionSQL = `SELECT ` + sessionColumnsS + `, ` + prefixed("u.", userColumns) + `
		FROM user_sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1`

// FindSession loads a session and its user in one query: the hot path of
// every signed-in request.
func (s *Store) FindSession(ctx context.Context, id string) (*store.Session, *store.User, error) {
	row := s.pool.QueryRow(ctx, findSessionSQL, id)
	var u userScan
	x, err := scanSession(row, u.dest()...)
	if err != nil {
		return nil, nil, err
	}
	return x, u.user(), nil
}

// AuthEpoch reads the counter migration 00014's triggers move (at the
// commit of the transaction that made the change).
func (s *Store) AuthEpoch(ctx context.Context) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT n FROM auth_epoch WHERE id = 1`).Scan(&n)
	return n, translate(err)
}

// TouchSession records activity.
func (s *Store) TouchSession(ctx context.Context, id string, lastSeen time.Time, ip, userAgent string) error {
	_, err := s.pool.Exec(ctx, `UPDATE user_sessions SET last_seen_at = $1, ip = $2, user_agent = $3 WHERE id = $4`,
		utc(lastSeen), ip, userAgent, id)
	return translate(err)
}

// SetSessionAuth records a re-authentication.
func (s *Store) SetSessionAuth(ctx context.Context, id string, authAt time.Time, withSecondFactor bool) error {
	_, err := s.pool.Exec(ctx, `UPDATE user_sessions SET auth_at = $1,
		remembered_2fa = CASE WHEN $3 THEN false ELSE remembered_2fa END WHERE id = $2`, utc(authAt), id, withSecondFactor)
	return translate(err)
}

// ListSessions returns the user's sessions, most recently seen first. Ties
// are broken by id in byte order (COLLATE "C"), as in SQLite.
func (s *Store) ListSessions(ctx context.Context, userID string) ([]*store.Session, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+sessionColumnsS+` FROM user_sessions s
		WHERE s.user_id = $1 ORDER BY s.last_seen_at DESC, s.id COLLATE "C"`, userID)
	return collect(rows, err, func(row pgx.Row) (*store.Session, error) { return scanSession(row) })
}

// DeleteSession ends one session of the user.
func (s *Store) DeleteSession(ctx context.Context, userID, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM user_sessions WHERE id = $1 AND user_id = $2`, id, userID)
	if err != nil {
		return translate(err)
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

// DeleteOtherSessions ends every session of the user but keepID.
func (s *Store) DeleteOtherSessions(ctx context.Context, userID, keepID string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM user_sessions WHERE user_id = $1 AND id <> $2`, userID, keepID)
	return translate(err)
}

// DeleteExpiredSessions removes ended sessions.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now, idleCutoff time.Time) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM user_sessions
		WHERE expires_at <= $1 OR (NOT remember AND last_seen_at <= $2)`, utc(now), utc(idleCutoff)); err != nil {
		return translate(err)
	}
	// The cookie-session rows of scs's pgxstore: its own cleanup goroutine
	// is off (it races with StopCleanup, a bug upstream), so they expire here.
	_, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE expiry <= $1`, utc(now))
	return translate(err)
}
