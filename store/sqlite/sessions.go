package sqlite

import (
	"context"
	"time"

	"github.com/accountportal/portal/store"
)

// sessionColumns are user_sessions' columns in scanSession's order, for
// CreateSession; sessionColumnsS qualifies them for queries with alias s.
const sessionColumns = `id, user_id, stamp, remember, remembered_2fa, ip, user_agent,
	created_at, auth_at, last_seen_at, expires_at`

var sessionColumnsS = prefixed("s.", sessionColumns)

func scanSession(row scanner, extra ...any) (*store.Session, error) {
	var x store.Session
	dest := append(make([]any, 0, 11+len(extra)),
		&x.ID, &x.UserID, &x.Stamp, &x.Remember, &x.Remembered2FA, &x.IP, &x.UserAgent, &x.CreatedAt, &x.AuthAt, &x.LastSeenAt, &x.ExpiresAt)
	dest = append(dest, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, translate(err)
	}
	x.CreatedAt, x.AuthAt, x.LastSeenAt, x.ExpiresAt = x.CreatedAt.UTC(), x.AuthAt.UTC(), x.LastSeenAt.UTC(), x.ExpiresAt.UTC()
	return &x, nil
}

// CreateSession stores x.
func (s *Store) CreateSession(ctx context.Context, x *store.Session) error {
	_, err := s.exec(ctx, `INSERT INTO user_sessions (`+sessionColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		x.ID, x.UserID, x.Stamp, x.Remember, x.Remembered2FA, x.IP, x.UserAgent,
		utc(x.CreatedAt), utc(x.AuthAt), utc(x.LastSeenAt), utc(x.ExpiresAt))
	return translate(err)
}

// findSessionSQL is FindSession's query, built once: built per call it was
// a noticeable part of FindSession's time (docs/performance.md).
var findSessionSQL = `SELECT ` + sessionColumnsS + `, ` + prefixed("u.", userColumns) + `
		FROM user_sessions s JOIN users u ON u.id = s.user_id WHERE s.id = +?`

// FindSession loads a session and its user in one query: the hot path of
// every signed-in request. "+?" (not "?"): with a plain parameter SQLite
// re-prepares this join whenever the value changes (seen in perf as
// sqlite3Reprepare under every call); the plan is the same primary-key
// lookup (TestNoFullScanOnHotQueries); BenchmarkFindSessionQueryForms
// measures both forms (docs/performance.md).
func (s *Store) FindSession(ctx context.Context, id string) (*store.Session, *store.User, error) {
	row := s.db.QueryRowContext(pointLookup(ctx), findSessionSQL, id)
	var u userScan
	x, err := scanSession(row, u.dest()...)
	if err != nil {
		return nil, nil, err
	}
	return x, u.user(), nil
}

// TouchSession records activity.
func (s *Store) TouchSession(ctx context.Context, id string, lastSeen time.Time, ip, userAgent string) error {
	_, err := s.exec(ctx, `UPDATE user_sessions SET last_seen_at = ?, ip = ?, user_agent = ? WHERE id = ?`,
		utc(lastSeen), ip, userAgent, id)
	return translate(err)
}

// SetSessionAuth records a re-authentication.
func (s *Store) SetSessionAuth(ctx context.Context, id string, authAt time.Time, withSecondFactor bool) error {
	_, err := s.exec(ctx, `UPDATE user_sessions SET auth_at = ?,
		remembered_2fa = CASE WHEN ? THEN 0 ELSE remembered_2fa END WHERE id = ?`, utc(authAt), withSecondFactor, id)
	return translate(err)
}

// ListSessions returns the user's sessions, most recently seen first.
func (s *Store) ListSessions(ctx context.Context, userID string) ([]*store.Session, error) {
	return queryAll(ctx, s.db, func(r scanner) (*store.Session, error) { return scanSession(r) }, `SELECT `+sessionColumnsS+` FROM user_sessions s
		WHERE s.user_id = ? ORDER BY s.last_seen_at DESC, s.id`, userID)
}

// DeleteSession ends one session of the user.
func (s *Store) DeleteSession(ctx context.Context, userID, id string) error {
	res, err := s.exec(ctx, `DELETE FROM user_sessions WHERE id = ? AND user_id = ?`, id, userID)
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

// DeleteOtherSessions ends every session of the user but keepID.
func (s *Store) DeleteOtherSessions(ctx context.Context, userID, keepID string) error {
	_, err := s.exec(ctx, `DELETE FROM user_sessions WHERE user_id = ? AND id <> ?`, userID, keepID)
	return translate(err)
}

// DeleteExpiredSessions removes ended sessions: the registry's, and the
// expired cookie-session rows of scs's sqlite3store (whose own cleanup
// goroutine is off: its deletes would bypass the write gate).
func (s *Store) DeleteExpiredSessions(ctx context.Context, now, idleCutoff time.Time) error {
	if _, err := s.exec(ctx, `DELETE FROM user_sessions
		WHERE expires_at <= ? OR (remember = 0 AND last_seen_at <= ?)`, utc(now), utc(idleCutoff)); err != nil {
		return translate(err)
	}
	// The format and julianday() are sqlite3store's own (Commit).
	_, err := s.exec(ctx, `DELETE FROM sessions WHERE expiry < julianday(?)`, now.UTC().Format("2006-01-02T15:04:05.999"))
	return translate(err)
}
