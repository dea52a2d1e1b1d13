package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/accountportal/portal/store"
)

const passkeyColumns = `id, user_id, rp_id, name, aaguid, credential, sign_count, backup_eligible, backup_state, clone_warning, created_at, last_used_at`

func scanPasskey(row scanner) (*store.Passkey, error) {
	var p store.Passkey
	var used sql.NullTime
	var count int64
	if err := row.Scan(&p.ID, &p.UserID, &p.RPID, &p.Name, &p.AAGUID, &p.Credential, &count,
		&p.BackupEligible, &p.BackupState, &p.CloneWarning, &p.CreatedAt, &used); err != nil {
		return nil, translate(err)
	}
	p.SignCount = uint32(count)
	p.CreatedAt = p.CreatedAt.UTC()
	p.LastUsedAt = fromNull(used)
	return &p, nil
}

// AddPasskey stores p; ErrConflict when its credential id is taken.
func (s *Store) AddPasskey(ctx context.Context, p *store.Passkey) error {
	_, err := s.exec(ctx, `INSERT INTO passkeys (`+passkeyColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.UserID, p.RPID, p.Name, p.AAGUID, p.Credential, int64(p.SignCount),
		p.BackupEligible, p.BackupState, p.CloneWarning, utc(p.CreatedAt), utc(p.LastUsedAt))
	return translate(err)
}

// FindPasskey returns the passkey with this credential id.
func (s *Store) FindPasskey(ctx context.Context, id string) (*store.Passkey, error) {
	return scanPasskey(s.db.QueryRowContext(ctx, `SELECT `+passkeyColumns+` FROM passkeys WHERE id = ?`, id))
}

// ListPasskeys returns the user's passkeys, oldest first.
func (s *Store) ListPasskeys(ctx context.Context, userID string) ([]*store.Passkey, error) {
	return queryAll(ctx, s.db, scanPasskey, `SELECT `+passkeyColumns+` FROM passkeys
		WHERE user_id = ? ORDER BY created_at, id`, userID)
}

// UsePasskey records an assertion of the user's passkey.
func (s *Store) UsePasskey(ctx context.Context, userID, id string, u store.PasskeyUse) error {
	return oneRow(s.exec(ctx, `UPDATE passkeys SET credential = ?, sign_count = ?, backup_state = ?, clone_warning = ?, last_used_at = ?
		WHERE user_id = ? AND id = ?`, u.Credential, int64(u.SignCount), u.BackupState, u.CloneWarning, utc(u.UsedAt), userID, id))
}

// RenamePasskey renames the user's passkey.
func (s *Store) RenamePasskey(ctx context.Context, userID, id, name string) error {
	return oneRow(s.exec(ctx, `UPDATE passkeys SET name = ? WHERE user_id = ? AND id = ?`, name, userID, id))
}

// DeletePasskey removes the user's passkey.
func (s *Store) DeletePasskey(ctx context.Context, userID, id string) error {
	return oneRow(s.exec(ctx, `DELETE FROM passkeys WHERE user_id = ? AND id = ?`, userID, id))
}

// oneRow is ErrNotFound unless the statement changed a row.
func oneRow(res sql.Result, err error) error {
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

// SaveCeremony stores c.
func (s *Store) SaveCeremony(ctx context.Context, c *store.Ceremony) error {
	_, err := s.exec(ctx, `INSERT INTO passkey_ceremonies (id, kind, user_id, data, expires_at) VALUES (?, ?, ?, ?, ?)`,
		c.ID, c.Kind, c.UserID, c.Data, utc(c.ExpiresAt))
	return translate(err)
}

// ConsumeCeremony deletes and returns the ceremony in one statement: of
// concurrent calls at most one sees the row.
func (s *Store) ConsumeCeremony(ctx context.Context, id, kind, userID string, now time.Time) (*store.Ceremony, error) {
	done, err := s.writing(ctx)
	if err != nil {
		return nil, err
	}
	var c store.Ceremony
	err = s.db.QueryRowContext(ctx, `DELETE FROM passkey_ceremonies
		WHERE id = ? AND kind = ? AND user_id = ? AND expires_at > ?
		RETURNING id, kind, user_id, data, expires_at`, id, kind, userID, utc(now)).
		Scan(&c.ID, &c.Kind, &c.UserID, &c.Data, &c.ExpiresAt)
	done()
	if err != nil {
		return nil, translate(err)
	}
	c.ExpiresAt = c.ExpiresAt.UTC()
	return &c, nil
}

// DeleteExpiredCeremonies forgets ceremonies that expired before t.
func (s *Store) DeleteExpiredCeremonies(ctx context.Context, t time.Time) error {
	_, err := s.exec(ctx, `DELETE FROM passkey_ceremonies WHERE expires_at <= ?`, utc(t))
	return translate(err)
}
