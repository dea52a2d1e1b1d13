package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/accountportal/portal/store"
)

const passkeyColumns = `id, user_id, rp_id, name, aaguid, credential, sign_count, backup_eligible, backup_state, clone_warning, created_at, last_used_at`

func scanPasskey(row pgx.Row) (*store.Passkey, error) {
	var p store.Passkey
	var used *time.Time
	var count int64
	if err := row.Scan(&p.ID, &p.UserID, &p.RPID, &p.Name, &p.AAGUID, &p.Credential, &count,
		&p.BackupEligible, &p.BackupState, &p.CloneWarning, &p.CreatedAt, &used); err != nil {
		return nil, translate(err)
	}
	p.SignCount = uint32(count)
	p.CreatedAt = p.CreatedAt.UTC()
	if used != nil {
		p.LastUsedAt = used.UTC()
	}
	return &p, nil
}

// AddPasskey stores p; ErrConflict when its credential id is taken.
func (s *Store) AddPasskey(ctx context.Context, p *store.Passkey) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO passkeys (`+passkeyColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		p.ID, p.UserID, p.RPID, p.Name, p.AAGUID, p.Credential, int64(p.SignCount),
		p.BackupEligible, p.BackupState, p.CloneWarning, utc(p.CreatedAt), utc(p.LastUsedAt))
	return translate(err)
}

// FindPasskey returns the passkey with this credential id.
func (s *Store) FindPasskey(ctx context.Context, id string) (*store.Passkey, error) {
	return scanPasskey(s.pool.QueryRow(ctx, `SELECT `+passkeyColumns+` FROM passkeys WHERE id = $1`, id))
}

// ListPasskeys returns the user's passkeys, oldest first (ties by id in
// byte order, as in SQLite).
func (s *Store) ListPasskeys(ctx context.Context, userID string) ([]*store.Passkey, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+passkeyColumns+` FROM passkeys
		WHERE user_id = $1 ORDER BY created_at, id COLLATE "C"`, userID)
	return collect(rows, err, scanPasskey)
}

// UsePasskey records an assertion of the user's passkey.
func (s *Store) UsePasskey(ctx context.Context, userID, id string, u store.PasskeyUse) error {
	return oneRow(s.pool.Exec(ctx, `UPDATE passkeys SET credential = $1, sign_count = $2, backup_state = $3, clone_warning = $4, last_used_at = $5
		WHERE user_id = $6 AND id = $7`, u.Credential, int64(u.SignCount), u.BackupState, u.CloneWarning, utc(u.UsedAt), userID, id))
}

// RenamePasskey renames the user's passkey.
func (s *Store) RenamePasskey(ctx context.Context, userID, id, name string) error {
	return oneRow(s.pool.Exec(ctx, `UPDATE passkeys SET name = $1 WHERE user_id = $2 AND id = $3`, name, userID, id))
}

// DeletePasskey removes the user's passkey.
func (s *Store) DeletePasskey(ctx context.Context, userID, id string) error {
	return oneRow(s.pool.Exec(ctx, `DELETE FROM passkeys WHERE user_id = $1 AND id = $2`, userID, id))
}

// oneRow is ErrNotFound unless the statement changed a row.
func oneRow(tag pgconn.CommandTag, err error) error {
	if err != nil {
		return translate(err)
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

// SaveCeremony stores c.
func (s *Store) SaveCeremony(ctx context.Context, c *store.Ceremony) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO passkey_ceremonies (id, kind, user_id, data, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		c.ID, c.Kind, c.UserID, c.Data, utc(c.ExpiresAt))
	return translate(err)
}

// ConsumeCeremony deletes and returns the ceremony in one statement: of
// concurrent calls (on any instance) at most one sees the row.
func (s *Store) ConsumeCeremony(ctx context.Context, id, kind, userID string, now time.Time) (*store.Ceremony, error) {
	var c store.Ceremony
	err := s.pool.QueryRow(ctx, `DELETE FROM passkey_ceremonies
		WHERE id = $1 AND kind = $2 AND user_id = $3 AND expires_at > $4
		RETURNING id, kind, user_id, data, expires_at`, id, kind, userID, utc(now)).
		Scan(&c.ID, &c.Kind, &c.UserID, &c.Data, &c.ExpiresAt)
	if err != nil {
		return nil, translate(err)
	}
	c.ExpiresAt = c.ExpiresAt.UTC()
	return &c, nil
}

// DeleteExpiredCeremonies forgets ceremonies that expired before t.
func (s *Store) DeleteExpiredCeremonies(ctx context.Context, t time.Time) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM passkey_ceremonies WHERE expires_at <= $1`, utc(t))
	return translate(err)
}
