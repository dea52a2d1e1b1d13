package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/accountportal/portal/store"
)

// EnqueueMail stores m.
func (s *Store) EnqueueMail(ctx context.Context, m *store.OutboxMessage) error {
	res, err := s.exec(ctx, `INSERT INTO mail_outbox
		(kind, to_addr, subject, text_body, html_body, attempts, last_error, created_at, next_attempt_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.Kind, m.To, m.Subject, m.Text, m.HTML, m.Attempts, m.LastError, utc(m.CreatedAt), utc(m.NextAttemptAt))
	if err != nil {
		return translate(err)
	}
	m.ID, err = res.LastInsertId()
	return err
}

// ClaimMail leases up to limit due messages in one statement.
func (s *Store) ClaimMail(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*store.OutboxMessage, error) {
	done, err := s.writing(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	rows, err := s.db.QueryContext(ctx, `UPDATE mail_outbox SET next_attempt_at = ?1
		WHERE id IN (SELECT id FROM mail_outbox WHERE next_attempt_at <= ?2 ORDER BY next_attempt_at, id LIMIT ?3)
		RETURNING id, kind, to_addr, subject, text_body, html_body, attempts, last_error, created_at, next_attempt_at`,
		utc(now.Add(lease)), utc(now), limit)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []*store.OutboxMessage
	for rows.Next() {
		var m store.OutboxMessage
		if err := rows.Scan(&m.ID, &m.Kind, &m.To, &m.Subject, &m.Text, &m.HTML, &m.Attempts, &m.LastError, &m.CreatedAt, &m.NextAttemptAt); err != nil {
			return nil, translate(err)
		}
		m.CreatedAt, m.NextAttemptAt = m.CreatedAt.UTC(), m.NextAttemptAt.UTC()
		out = append(out, &m)
	}
	return out, translate(rows.Err())
}

// DeleteMail removes message id.
func (s *Store) DeleteMail(ctx context.Context, id int64) error {
	_, err := s.exec(ctx, `DELETE FROM mail_outbox WHERE id = ?`, id)
	return translate(err)
}

// RetryMail records a failed attempt.
func (s *Store) RetryMail(ctx context.Context, id int64, next time.Time, lastErr string) error {
	_, err := s.exec(ctx, `UPDATE mail_outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?`,
		lastErr, utc(next), id)
	return translate(err)
}

// OutboxStats counts the outbox and finds its oldest row (a read: no
// write gate).
func (s *Store) OutboxStats(ctx context.Context) (int, time.Time, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM mail_outbox`).Scan(&n); err != nil {
		return 0, time.Time{}, translate(err)
	}
	if n == 0 {
		return 0, time.Time{}, nil
	}
	var oldest time.Time
	err := s.db.QueryRowContext(ctx, `SELECT created_at FROM mail_outbox ORDER BY created_at, id LIMIT 1`).Scan(&oldest)
	if errors.Is(err, sql.ErrNoRows) { // emptied in between
		return 0, time.Time{}, nil
	}
	if err != nil {
		return 0, time.Time{}, translate(err)
	}
	return n, oldest.UTC(), nil
}

// HitRateLimit counts one event in one upsert, so concurrent hits all count.
func (s *Store) HitRateLimit(ctx context.Context, key string, window time.Duration, now time.Time) (int, time.Time, error) {
	var count int
	var end int64
	nowMS := now.UnixMilli()
	done, err := s.writing(ctx)
	if err != nil {
		return 0, time.Time{}, err
	}
	err = s.db.QueryRowContext(ctx, `INSERT INTO rate_limits (key, count, window_end) VALUES (?1, 1, ?2)
		ON CONFLICT(key) DO UPDATE SET
			count = CASE WHEN rate_limits.window_end <= ?3 THEN 1 ELSE rate_limits.count + 1 END,
			window_end = CASE WHEN rate_limits.window_end <= ?3 THEN ?2 ELSE rate_limits.window_end END
		RETURNING count, window_end`, key, nowMS+window.Milliseconds(), nowMS).Scan(&count, &end)
	done()
	if err != nil {
		return 0, time.Time{}, translate(err)
	}
	return count, time.UnixMilli(end).UTC(), nil
}

// PeekRateLimit reads key's current window without counting.
func (s *Store) PeekRateLimit(ctx context.Context, key string, now time.Time) (int, time.Time, error) {
	var count int
	var end int64
	err := s.db.QueryRowContext(pointLookup(ctx), `SELECT count, window_end FROM rate_limits WHERE key = ? AND window_end > ?`,
		key, now.UnixMilli()).Scan(&count, &end)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, time.Time{}, nil
	}
	if err != nil {
		return 0, time.Time{}, translate(err)
	}
	return count, time.UnixMilli(end).UTC(), nil
}

// DeleteExpiredRateLimits removes windows that ended before t.
func (s *Store) DeleteExpiredRateLimits(ctx context.Context, t time.Time) error {
	_, err := s.exec(ctx, `DELETE FROM rate_limits WHERE window_end < ?`, t.UnixMilli())
	return translate(err)
}

// ResetRateLimit forgets key's window.
func (s *Store) ResetRateLimit(ctx context.Context, key string) error {
	_, err := s.exec(ctx, `DELETE FROM rate_limits WHERE key = ?`, key)
	return translate(err)
}
