package sqlite

import (
	"context"
	"time"

	"github.com/alexedwards/scs/sqlite3store"
	"github.com/alexedwards/scs/v2"
)

// SessionStore is the scs session store in this database (scs's
// sqlite3store, table sessions). Its writes go through the store's write
// gate, so that they queue in order with the store's own writes instead of
// in SQLite's busy handler (gate.go). It runs no cleanup goroutine — that
// goroutine's deletes would bypass the gate; DeleteExpiredSessions removes
// the expired rows.
func (s *Store) SessionStore() scs.Store {
	return gatedSessions{sqlite3store.NewWithCleanupInterval(s.db, 0), s}
}

// gatedSessions is sqlite3store with its writes behind the gate.
type gatedSessions struct {
	*sqlite3store.SQLite3Store
	st *Store
}

func (g gatedSessions) Commit(token string, b []byte, expiry time.Time) error {
	return g.st.write(context.Background(), func() error { return g.SQLite3Store.Commit(token, b, expiry) })
}

func (g gatedSessions) Delete(token string) error {
	return g.st.write(context.Background(), func() error { return g.SQLite3Store.Delete(token) })
}
