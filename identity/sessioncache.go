package identity

import (
	"bytes"
	"sync"
	"time"
)

// sessionCacheTTL bounds how long an instance reuses a session and user it
// read while the store's auth epoch stood still. The epoch moves with every
// change that matters (a sign-out, a revocation, any change of the user), so
// the bound is only for what it deliberately leaves out: another
// instance's activity touch of last_seen_at, which the idle check reads
// (already a minute coarse, touchResolution).
const sessionCacheTTL = 5 * time.Second

// sessionCacheMax bounds the cache; when full it starts again empty (a
// burst of distinct sessions costs one store read each, as without it).
const sessionCacheMax = 100_000

// sessionCache keeps the registry rows SessionUser read at the current
// auth epoch (store.Sessions.AuthEpoch), so that a signed-in request —
// every API call of an application asking /account/session, every request
// a proxy passes through /account/forward-auth — costs a read of one
// integer instead of the session and user join (issue 19's budgets,
// docs/performance.md). An entry read at an older epoch is never used, nor
// kept: the first read at a newer epoch empties the cache (SES-03).
type sessionCache struct {
	mu    sync.Mutex
	epoch int64
	m     map[string]sessionEntry
}

type sessionEntry struct {
	x     Session
	u     User
	until time.Time
}

func newSessionCache() *sessionCache {
	return &sessionCache{m: make(map[string]sessionEntry)}
}

// get returns copies of sid's session and user when they were read at
// epoch and are younger than sessionCacheTTL.
func (c *sessionCache) get(sid string, epoch int64, now time.Time) (*User, *Session, bool) {
	c.mu.Lock()
	e, ok := c.m[sid]
	ok = ok && c.epoch == epoch && now.Before(e.until)
	c.mu.Unlock()
	if !ok {
		return nil, nil, false
	}
	u, x := e.u, e.x
	u.AuthenticatorKey = bytes.Clone(u.AuthenticatorKey)
	return &u, &x, true
}

// put keeps copies of x and u, read after the store showed epoch. A read
// at an epoch older than the cache's is dropped; one at a newer epoch
// empties the cache first (nothing in it can be trusted any more).
func (c *sessionCache) put(sid string, epoch int64, u *User, x *Session, now time.Time) {
	e := sessionEntry{x: *x, u: *u, until: now.Add(sessionCacheTTL)}
	e.u.AuthenticatorKey = bytes.Clone(u.AuthenticatorKey)
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case epoch < c.epoch:
		return
	case epoch > c.epoch:
		clear(c.m)
		c.epoch = epoch
	case len(c.m) >= sessionCacheMax:
		clear(c.m)
	}
	c.m[sid] = e
}

// touched records this instance's activity touch in sid's entry (a touch
// does not move the epoch), so the next request does not touch again.
func (c *sessionCache) touched(x *Session) {
	c.mu.Lock()
	if e, ok := c.m[x.ID]; ok {
		e.x.LastSeenAt, e.x.IP, e.x.UserAgent = x.LastSeenAt, x.IP, x.UserAgent
		c.m[x.ID] = e
	}
	c.mu.Unlock()
}

// drop forgets sid (the session ended).
func (c *sessionCache) drop(sid string) {
	c.mu.Lock()
	delete(c.m, sid)
	c.mu.Unlock()
}
