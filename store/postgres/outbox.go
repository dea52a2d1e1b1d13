package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/accountportal/portal/store"
)

// EnqueueMail stores m and sets m.ID.
func (s *Store) EnqueueMail(ctx context.Context, m *store.OutboxMessage) error {
	err := s.pool.QueryRow(ctx, `INSERT INTO mail_outbox
		(kind, to_addr, subject, text_body, html_body, attempts, last_error, created_at, next_attempt_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		RETURNING id`,
		m.Kind, m.To, m.Subject, m.Text, m.HTML, m.Attempts, m.LastError, utc(m.CreatedAt), utc(m.NextAttemptAt)).
		Scan(&m.ID)
	return translate(err)
}

// ClaimMail leases up to limit due messages in one statement. FOR UPDATE
// SKIP LOCKED lets workers of several instances claim at the same time
// without waiting for, or claiming, each other's rows: a row another worker
// holds is skipped, and a row it has just leased no longer matches
// next_attempt_at <= now when re-checked. The CTE form (rather than
// WHERE id IN (subquery)) guarantees the locking subquery runs once, and
// lets the result come back oldest first.
func (s *Store) ClaimMail(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*store.OutboxMessage, error) {
	rows, err := s.pool.Query(ctx, `WITH due AS (
			SELECT id, next_attempt_at FROM mail_outbox
			WHERE next_attempt_at <= $2
			ORDER BY next_attempt_at, id
			LIMIT $3
			FOR UPDATE SKIP LOCKED
		), claimed AS (
			UPDATE mail_outbox m SET next_attempt_at = $1
			FROM due WHERE m.id = due.id
			RETURNING m.id, m.kind, m.to_addr, m.subject, m.text_body, m.html_body, m.attempts,
				m.last_error, m.created_at, m.next_attempt_at, due.next_attempt_at AS due_at
		)
		SELECT id, kind, to_addr, subject, text_body, html_body, attempts, last_error, created_at, next_attempt_at
		FROM claimed ORDER BY due_at, id`,
		utc(now.Add(lease)), utc(now), limit)
	return collect(rows, err, func(row pgx.Row) (*store.OutboxMessage, error) {
		var m store.OutboxMessage
		if err := row.Scan(&m.ID, &m.Kind, &m.To, &m.Subject, &m.Text, &m.HTML, &m.Attempts, &m.LastError,
			&m.CreatedAt, &m.NextAttemptAt); err != nil {
			return nil, translate(err)
		}
		m.CreatedAt, m.NextAttemptAt = m.CreatedAt.UTC(), m.NextAttemptAt.UTC()
		return &m, nil
	})
}

// DeleteMail removes message id.
func (s *Store) DeleteMail(ctx context.Context, id int64) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM mail_outbox WHERE id = $1`, id)
	return translate(err)
}

// RetryMail records a failed attempt.
func (s *Store) RetryMail(ctx context.Context, id int64, next time.Time, lastErr string) error {
	_, err := s.pool.Exec(ctx, `UPDATE mail_outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2
		WHERE id = $3`, lastErr, utc(next), id)
	return translate(err)
}

// HitRateLimit counts one event in one upsert, so concurrent hits all count.
// window_end is unix milliseconds, as in the SQLite store.
func (s *Store) HitRateLimit(ctx context.Context, key string, window time.Duration, now time.Time) (int, time.Time, error) {
	var count int
	var end int64
	nowMS := now.UnixMilli()
	err := s.pool.QueryRow(ctx, `INSERT INTO rate_limits AS r (key, count, window_end) VALUES ($1, 1, $2)
		ON CONFLICT (key) DO UPDATE SET
			count = CASE WHEN r.window_end <= $3 THEN 1 ELSE r.count + 1 END,
			window_end = CASE WHEN r.window_end <= $3 THEN EXCLUDED.window_end ELSE r.window_end END
		RETURNING count, window_end`, key, nowMS+window.Milliseconds(), nowMS).Scan(&count, &end)
	if err != nil {
		return 0, time.Time{}, translate(err)
	}
	return count, time.UnixMilli(end).UTC(), nil
}

// PeekRateLimit reads key's current window without counting: 0 and the
// zero time when the window ended or never began.
func (s *Store) PeekRateLimit(ctx context.Context, key string, now time.Time) (int, time.Time, error) {
	var count int
	var end int64
	err := s.pool.QueryRow(ctx, `SELECT count, window_end FROM rate_limits WHERE key = $1 AND window_end > $2`,
		key, now.UnixMilli()).Scan(&count, &end)
	if err = translate(err); errors.Is(err, store.ErrNotFound) {
		return 0, time.Time{}, nil
	} else if err != nil {
		return 0, time.Time{}, err
	}
	return count, time.UnixMilli(end).UTC(), nil
}

// DeleteExpiredRateLimits removes windows that ended before t.
func (s *Store) DeleteExpiredRateLimits(ctx context.Context, t time.Time) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM rate_limits WHERE window_end < $1`, t.UnixMilli())
	return translate(err)
}

// ResetRateLimit forgets key's window.
func (s *Store) ResetRateLimit(ctx context.Context, key string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM rate_limits WHERE key = $1`, key)
	return translate(err)
}

// OutboxStats counts the outbox and finds its oldest row in one statement.
func (s *Store) OutboxStats(ctx context.Context) (int, time.Time, error) {
	var n int
	var oldest *time.Time
	if err := s.pool.QueryRow(ctx, `SELECT COUNT(*), MIN(created_at) FROM mail_outbox`).Scan(&n, &oldest); err != nil {
		return 0, time.Time{}, translate(err)
	}
	if oldest == nil {
		return n, time.Time{}, nil
	}
	return n, oldest.UTC(), nil
}
