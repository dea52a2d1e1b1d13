package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/accountportal/portal/store"
)

// ImportTaken looks the import's keys up with one query per kind
// (= ANY of an array; the logins joined against unnest of two arrays).
func (s *Store) ImportTaken(ctx context.Context, q store.ImportQuery) (*store.ImportTaken, error) {
	t := &store.ImportTaken{Emails: map[string]*store.User{}, IDs: map[string]string{},
		UserNames: map[string]string{}, Logins: map[store.LoginKey]string{}}
	if len(q.NormalizedEmails) > 0 {
		rows, err := s.pool.Query(ctx, `SELECT `+userColumns+` FROM users WHERE normalized_email = ANY($1)`, q.NormalizedEmails)
		us, err := collect(rows, err, scanUser)
		if err != nil {
			return nil, err
		}
		for _, u := range us {
			t.Emails[u.NormalizedEmail] = u
		}
	}
	pairs := func(sqlText string, arg any, put func(a, b string)) error {
		rows, err := s.pool.Query(ctx, sqlText, arg)
		if err != nil {
			return translate(err)
		}
		defer rows.Close()
		for rows.Next() {
			var a, b string
			if err := rows.Scan(&a, &b); err != nil {
				return translate(err)
			}
			put(a, b)
		}
		return translate(rows.Err())
	}
	if len(q.IDs) > 0 {
		if err := pairs(`SELECT id, id FROM users WHERE id = ANY($1)`, q.IDs, func(a, b string) { t.IDs[a] = b }); err != nil {
			return nil, err
		}
	}
	if len(q.NormalizedUserNames) > 0 {
		if err := pairs(`SELECT normalized_username, id FROM users WHERE normalized_username = ANY($1)`, q.NormalizedUserNames,
			func(a, b string) { t.UserNames[a] = b }); err != nil {
			return nil, err
		}
	}
	if len(q.Logins) > 0 {
		providers := make([]string, len(q.Logins))
		subjects := make([]string, len(q.Logins))
		for i, k := range q.Logins {
			providers[i], subjects[i] = k.Provider, k.Subject
		}
		rows, err := s.pool.Query(ctx, `SELECT e.provider, e.subject, e.user_id FROM external_logins e
			JOIN unnest($1::text[], $2::text[]) AS q(p, s) ON e.provider = q.p AND e.subject = q.s`, providers, subjects)
		if err != nil {
			return nil, translate(err)
		}
		defer rows.Close()
		for rows.Next() {
			var k store.LoginKey
			var id string
			if err := rows.Scan(&k.Provider, &k.Subject, &id); err != nil {
				return nil, translate(err)
			}
			t.Logins[k] = id
		}
		if err := rows.Err(); err != nil {
			return nil, translate(err)
		}
	}
	return t, nil
}

// importBatchSize is how many accounts' statements go to the server in
// one round trip (pgx pipelines a Batch).
const importBatchSize = 1000

// ImportAccounts writes the batch in one transaction, its statements
// pipelined a thousand accounts at a time.
func (s *Store) ImportAccounts(ctx context.Context, b *store.ImportBatch) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return translate(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	batch := &pgx.Batch{}
	flush := func() error {
		if batch.Len() == 0 {
			return nil
		}
		err := tx.SendBatch(ctx, batch).Close()
		batch = &pgx.Batch{}
		return translate(err)
	}
	for i, a := range b.Accounts {
		id := a.UpdateID
		if a.User != nil {
			id = a.User.ID
			batch.Queue(insertUser, userArgs(a.User)...)
		} else if a.Update != nil {
			if err := flush(); err != nil {
				return err
			}
			if err := updateUserTx(ctx, tx, id, *a.Update); err != nil {
				return err
			}
		}
		for _, l := range a.Logins {
			batch.Queue(insertExternal, l.Provider, l.Subject, id, l.DisplayName, l.Email, utc(l.CreatedAt))
		}
		if a.RecoveryCodes != nil {
			if a.User == nil {
				batch.Queue(`DELETE FROM recovery_codes WHERE user_id = $1`, id)
			}
			for _, h := range a.RecoveryCodes {
				batch.Queue(`INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)`, id, h, utc(b.Now))
			}
		}
		for name, v := range a.Attributes {
			batch.Queue(`INSERT INTO user_attributes (user_id, name, value) VALUES ($1, $2, $3)
				ON CONFLICT (user_id, name) DO UPDATE SET value = excluded.value`, id, name, v)
		}
		for _, e := range a.Events {
			batch.Queue(`INSERT INTO security_events (user_id, kind, ip, user_agent, detail, created_at)
				VALUES ($1, $2, $3, $4, $5, $6)`, id, e.Kind, e.IP, e.UserAgent, e.Detail, utc(e.CreatedAt))
		}
		if (i+1)%importBatchSize == 0 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if b.DryRun {
		return translate(tx.Rollback(ctx))
	}
	return translate(tx.Commit(ctx))
}
