package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/accountportal/portal/store"
)

const eventColumns = `id, user_id, kind, ip, user_agent, detail, created_at`

func scanEvent(row pgx.Row) (*store.Event, error) {
	var e store.Event
	if err := row.Scan(&e.ID, &e.UserID, &e.Kind, &e.IP, &e.UserAgent, &e.Detail, &e.CreatedAt); err != nil {
		return nil, translate(err)
	}
	e.CreatedAt = e.CreatedAt.UTC()
	return &e, nil
}

// AddEvent appends e and sets e.ID.
func (s *Store) AddEvent(ctx context.Context, e *store.Event) error {
	err := s.pool.QueryRow(ctx, `INSERT INTO security_events (user_id, kind, ip, user_agent, detail, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		e.UserID, e.Kind, e.IP, e.UserAgent, e.Detail, utc(e.CreatedAt)).Scan(&e.ID)
	return translate(err)
}

// ListEvents returns the user's events, newest first.
func (s *Store) ListEvents(ctx context.Context, userID string, offset, limit int) ([]*store.Event, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+eventColumns+` FROM security_events
		WHERE user_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3`, userID, limit, offset)
	return collect(rows, err, scanEvent)
}

// FindEvent returns one of the user's events.
func (s *Store) FindEvent(ctx context.Context, userID string, id int64) (*store.Event, error) {
	return scanEvent(s.pool.QueryRow(ctx, `SELECT `+eventColumns+` FROM security_events
		WHERE id = $1 AND user_id = $2`, id, userID))
}

// ListKeptEvents returns the anonymised events kept under tag.
func (s *Store) ListKeptEvents(ctx context.Context, tag string) ([]*store.Event, error) {
	rows, err := s.pool.Query(ctx, `SELECT kind, created_at FROM kept_events WHERE tag = $1 ORDER BY id`, tag)
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
