package postgres

import (
	"github.com/alexedwards/scs/pgxstore"
	"github.com/alexedwards/scs/v2"
)

// SessionStore is the scs session store in this database (scs's pgxstore,
// table sessions). It runs no cleanup goroutine — pgxstore's races with
// StopCleanup (the channel is made inside the goroutine); the expired rows
// go with DeleteExpiredSessions.
func (s *Store) SessionStore() scs.Store {
	return pgxstore.NewWithCleanupInterval(s.pool, 0)
}
