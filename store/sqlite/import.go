package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/accountportal/portal/store"
)

// importChunk is how many values one IN (…) list carries: far below
// SQLite's limit of 32,766 parameters.
const importChunk = 500

// placeholders returns "?, ?, …" (n of them).
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// inChunks calls fn with successive slices of at most importChunk values.
func inChunks[T any](vs []T, fn func([]T) error) error {
	for len(vs) > 0 {
		n := min(len(vs), importChunk)
		if err := fn(vs[:n]); err != nil {
			return err
		}
		vs = vs[n:]
	}
	return nil
}

func anys[T any](vs []T) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = v
	}
	return out
}

// ImportTaken looks the import's keys up, importChunk at a time.
func (s *Store) ImportTaken(ctx context.Context, q store.ImportQuery) (*store.ImportTaken, error) {
	t := &store.ImportTaken{Emails: map[string]*store.User{}, IDs: map[string]string{},
		UserNames: map[string]string{}, Logins: map[store.LoginKey]string{}}
	query := func(sqlText string, args []any, scan func(*sql.Rows) error) error {
		rows, err := s.db.QueryContext(ctx, sqlText, args...)
		if err != nil {
			return translate(err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return translate(err)
			}
		}
		return translate(rows.Err())
	}
	err := inChunks(q.NormalizedEmails, func(c []string) error {
		return query(`SELECT `+userColumns+` FROM users WHERE normalized_email IN (`+placeholders(len(c))+`)`, anys(c),
			func(r *sql.Rows) error {
				u, err := scanUser(r)
				if err == nil {
					t.Emails[u.NormalizedEmail] = u
				}
				return err
			})
	})
	if err == nil {
		err = inChunks(q.IDs, func(c []string) error {
			return query(`SELECT id FROM users WHERE id IN (`+placeholders(len(c))+`)`, anys(c), func(r *sql.Rows) error {
				var id string
				err := r.Scan(&id)
				t.IDs[id] = id
				return err
			})
		})
	}
	if err == nil {
		err = inChunks(q.NormalizedUserNames, func(c []string) error {
			return query(`SELECT normalized_username, id FROM users WHERE normalized_username IN (`+placeholders(len(c))+`)`, anys(c),
				func(r *sql.Rows) error {
					var n, id string
					err := r.Scan(&n, &id)
					t.UserNames[n] = id
					return err
				})
		})
	}
	if err == nil {
		err = inChunks(q.Logins, func(c []store.LoginKey) error {
			args := make([]any, 0, 2*len(c))
			for _, k := range c {
				args = append(args, k.Provider, k.Subject)
			}
			values := strings.TrimSuffix(strings.Repeat("(?, ?), ", len(c)), ", ")
			return query(`SELECT provider, subject, user_id FROM external_logins WHERE (provider, subject) IN (VALUES `+values+`)`, args,
				func(r *sql.Rows) error {
					var k store.LoginKey
					var id string
					err := r.Scan(&k.Provider, &k.Subject, &id)
					t.Logins[k] = id
					return err
				})
		})
	}
	if err != nil {
		return nil, err
	}
	return t, nil
}

// ImportAccounts writes the batch in one transaction with prepared
// statements (100,000 accounts: docs/performance.md).
func (s *Store) ImportAccounts(ctx context.Context, b *store.ImportBatch) error {
	tx, err := s.begin(ctx)
	if err != nil {
		return translate(err)
	}
	defer tx.Rollback()
	prep := func(q string) (*sql.Stmt, error) { return tx.PrepareContext(ctx, q) }
	insUser, err := prep(`INSERT INTO users (` + userColumns + `) VALUES (` + placeholders(16) + `)`)
	if err != nil {
		return translate(err)
	}
	insLogin, err := prep(insertExternal)
	if err != nil {
		return translate(err)
	}
	insCode, err := prep(`INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES (?, ?, ?)`)
	if err != nil {
		return translate(err)
	}
	insAttr, err := prep(`INSERT INTO user_attributes (user_id, name, value) VALUES (?, ?, ?)
		ON CONFLICT(user_id, name) DO UPDATE SET value = excluded.value`)
	if err != nil {
		return translate(err)
	}
	insEvent, err := prep(`INSERT INTO security_events (user_id, kind, ip, user_agent, detail, created_at) VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return translate(err)
	}
	for _, a := range b.Accounts {
		id := a.UpdateID
		if a.User != nil {
			id = a.User.ID
			if _, err := insUser.ExecContext(ctx, userArgs(a.User)...); err != nil {
				return translate(err)
			}
		} else if a.Update != nil {
			if err := updateUserTx(ctx, tx.Tx, id, *a.Update); err != nil {
				return err
			}
		}
		for _, l := range a.Logins {
			if _, err := insLogin.ExecContext(ctx, l.Provider, l.Subject, id, l.DisplayName, l.Email, utc(l.CreatedAt)); err != nil {
				return translate(err)
			}
		}
		if a.RecoveryCodes != nil {
			if a.User == nil {
				if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, id); err != nil {
					return translate(err)
				}
			}
			for _, h := range a.RecoveryCodes {
				if _, err := insCode.ExecContext(ctx, id, h, utc(b.Now)); err != nil {
					return translate(err)
				}
			}
		}
		for name, v := range a.Attributes {
			if _, err := insAttr.ExecContext(ctx, id, name, v); err != nil {
				return translate(err)
			}
		}
		for _, e := range a.Events {
			if _, err := insEvent.ExecContext(ctx, id, e.Kind, e.IP, e.UserAgent, e.Detail, utc(e.CreatedAt)); err != nil {
				return translate(err)
			}
		}
	}
	if b.DryRun {
		return translate(tx.Rollback())
	}
	return translate(tx.Commit())
}
