package sqlite

import (
	"context"

	"github.com/accountportal/portal/store"
)

const eventColumns = `id, user_id, kind, ip, user_agent, detail, created_at`

func scanEvent(row scanner) (*store.Event, error) {
	var e store.Event
	if err := row.Scan(&e.ID, &e.UserID, &e.Kind, &e.IP, &e.UserAgent, &e.Detail, &e.CreatedAt); err != nil {
		return nil, translate(err)
	}
	e.CreatedAt = e.CreatedAt.UTC()
	return &e, nil
}

// AddEvent appends e.
func (s *Store) AddEvent(ctx context.Context, e *store.Event) error {
	res, err := s.exec(ctx, `INSERT INTO security_events (user_id, kind, ip, user_agent, detail, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, e.UserID, e.Kind, e.IP, e.UserAgent, e.Detail, utc(e.CreatedAt))
	if err != nil {
		return translate(err)
	}
	e.ID, err = res.LastInsertId()
	return err
}

// ListEvents returns the user's events, newest first.
func (s *Store) ListEvents(ctx context.Context, userID string, offset, limit int) ([]*store.Event, error) {
	return queryAll(ctx, s.db, scanEvent, `SELECT `+eventColumns+` FROM security_events
		WHERE user_id = ? ORDER BY id DESC LIMIT ? OFFSET ?`, userID, limit, offset)
}

// FindEvent returns one of the user's events.
func (s *Store) FindEvent(ctx context.Context, userID string, id int64) (*store.Event, error) {
	return scanEvent(s.db.QueryRowContext(ctx, `SELECT `+eventColumns+` FROM security_events
		WHERE id = ? AND user_id = ?`, id, userID))
}

// insertKept starts both inserts into kept_events: the account's events,
// then the deletion itself.
const insertKept = `INSERT INTO kept_events (tag, kind, created_at)`

// DeleteUser removes the user and everything that hangs off it (foreign
// keys cascade to tokens, sessions and events), and queued mail to its
// address, in one transaction.
func (s *Store) DeleteUser(ctx context.Context, id, email string, keep *store.KeptEvents) error {
	tx, err := s.begin(ctx)
	if err != nil {
		return translate(err)
	}
	defer tx.Rollback()
	if keep != nil {
		if _, err := tx.ExecContext(ctx, insertKept+`
			SELECT ?, kind, created_at FROM security_events WHERE user_id = ? ORDER BY id`, keep.Tag, id); err != nil {
			return translate(err)
		}
		if _, err := tx.ExecContext(ctx, insertKept+` VALUES (?, ?, ?)`,
			keep.Tag, keep.Kind, utc(keep.At)); err != nil {
			return translate(err)
		}
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, id)
	if err != nil {
		return translate(err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return store.ErrNotFound
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM mail_outbox WHERE to_addr = ? COLLATE NOCASE`, email); err != nil {
		return translate(err)
	}
	return translate(tx.Commit())
}

// ListKeptEvents returns the anonymised events kept under tag.
func (s *Store) ListKeptEvents(ctx context.Context, tag string) ([]*store.Event, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT kind, created_at FROM kept_events WHERE tag = ? ORDER BY id`, tag)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []*store.Event
	for rows.Next() {
		var e store.Event
		if err := rows.Scan(&e.Kind, &e.CreatedAt); err != nil {
			return nil, translate(err)
		}
		e.CreatedAt = e.CreatedAt.UTC()
		out = append(out, &e)
	}
	return out, translate(rows.Err())
}
