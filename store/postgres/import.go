package postgres

import (
	"context"
	"strings"

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

// ImportAccounts writes the batch in one transaction: the new rows with
// COPY (pgx's CopyFrom; a unique violation fails it like an INSERT), the
// updates of existing accounts one by one, as UpdateUser does them.
func (s *Store) ImportAccounts(ctx context.Context, b *store.ImportBatch) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return translate(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var users, logins, codes, attrs, events [][]any
	for _, a := range b.Accounts {
		id := a.UpdateID
		if a.User != nil {
			id = a.User.ID
			users = append(users, userArgs(a.User))
		}
		for _, l := range a.Logins {
			logins = append(logins, []any{l.Provider, l.Subject, id, l.DisplayName, l.Email, utc(l.CreatedAt)})
		}
		for _, h := range a.RecoveryCodes {
			codes = append(codes, []any{id, h, utc(b.Now)})
		}
		for name, v := range a.Attributes {
			attrs = append(attrs, []any{id, name, v})
		}
		for _, e := range a.Events {
			events = append(events, []any{id, e.Kind, e.IP, e.UserAgent, e.Detail, utc(e.CreatedAt)})
		}
	}
	copyRows := func(table string, cols []string, rows [][]any) error {
		if len(rows) == 0 {
			return nil
		}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows))
		return translate(err)
	}
	if err := copyRows("users", columnList(userColumns), users); err != nil {
		return err
	}
	for _, a := range b.Accounts {
		if a.User != nil {
			continue
		}
		if a.Update != nil {
			if err := updateUserTx(ctx, tx, a.UpdateID, *a.Update); err != nil {
				return err
			}
		}
		if a.RecoveryCodes != nil {
			if _, err := tx.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, a.UpdateID); err != nil {
				return translate(err)
			}
		}
		for name := range a.Attributes {
			// COPY below cannot upsert: clear what it will write.
			if _, err := tx.Exec(ctx, `DELETE FROM user_attributes WHERE user_id = $1 AND name = $2`, a.UpdateID, name); err != nil {
				return translate(err)
			}
		}
	}
	for _, c := range []struct {
		table string
		cols  []string
		rows  [][]any
	}{
		{"external_logins", columnList(externalColumns), logins},
		{"recovery_codes", []string{"user_id", "code_hash", "created_at"}, codes},
		{"user_attributes", []string{"user_id", "name", "value"}, attrs},
		{"security_events", []string{"user_id", "kind", "ip", "user_agent", "detail", "created_at"}, events},
	} {
		if err := copyRows(c.table, c.cols, c.rows); err != nil {
			return err
		}
	}
	if b.DryRun {
		return translate(tx.Rollback(ctx))
	}
	return translate(tx.Commit(ctx))
}

// columnList splits a comma-separated column list.
func columnList(cols string) []string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
	}
	return parts
}
