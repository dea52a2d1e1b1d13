package handlers

import (
	"bytes"
	"context"
	"maps"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"
)

// readCacheTTL is how long the read-only API routes (/account/session,
// /account/forward-auth) may reuse a session's scs row read on this
// instance. The registry row and the user are still checked on every call
// (identity's session cache is good only while the auth epoch stands
// still), so a sign-out, a revocation or a security-stamp change is seen
// by the very next call on every instance (issue 19 §2); what may lag, on an
// instance other than the one that changed it, is only what the scs row
// holds besides the registry id — the session's `amr` after a
// re-authentication elsewhere, for at most this long. On the instance that
// writes the row the entry is dropped at once.
const readCacheTTL = 5 * time.Second

// readCacheMax bounds the cache; when full it starts again empty (a
// burst of distinct cookies costs one store read each, as without it).
const readCacheMax = 100_000

// readOnlyKey marks a request context whose session is only read (the API
// routes): only such loads are answered from the cache.
type readOnlyKey struct{}

func withReadOnlySession(ctx context.Context) context.Context {
	return context.WithValue(ctx, readOnlyKey{}, true)
}

// readCache is an scs store that remembers, for readCacheTTL, the rows the
// read-only routes load, so that the application's check of every API
// call costs one database query (the auth epoch, or the registry row with
// the user when it moved) instead of two. Every write and delete through
// this instance drops the entry when it is done, and a read that
// overlapped it is not kept. Tokens arrive hashed (HashTokenInStore): the
// cache holds no token.
type readCache struct {
	next scs.Store
	now  func() time.Time

	mu  sync.Mutex
	m   map[string]cachedRow
	gen uint64 // bumped after every write or delete: a read that began before one is not kept
}

type cachedRow struct {
	b     []byte
	until time.Time
}

func newReadCache(next scs.Store, now func() time.Time) *readCache {
	return &readCache{next: next, now: now, m: make(map[string]cachedRow)}
}

// wrote drops token's entry once its write or delete is done, and makes
// any read that began before it not be kept (it may have read the old row).
func (c *readCache) wrote(token string) {
	c.mu.Lock()
	delete(c.m, token)
	c.gen++
	c.mu.Unlock()
}

// FindCtx answers a read-only request from the cache when it can.
func (c *readCache) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	ro, _ := ctx.Value(readOnlyKey{}).(bool)
	now := c.now()
	var gen uint64
	if ro {
		c.mu.Lock()
		r, ok := c.m[token]
		gen = c.gen
		c.mu.Unlock()
		if ok && now.Before(r.until) {
			return r.b, true, nil
		}
	}
	b, found, err := c.findNext(ctx, token)
	if err != nil || !ro {
		return b, found, err
	}
	c.mu.Lock()
	if !found {
		delete(c.m, token)
	} else if c.gen == gen { // no write finished meanwhile
		if len(c.m) >= readCacheMax {
			clear(c.m)
		}
		c.m[token] = cachedRow{b: b, until: now.Add(readCacheTTL)}
	}
	c.mu.Unlock()
	return b, found, nil
}

func (c *readCache) findNext(ctx context.Context, token string) ([]byte, bool, error) {
	if s, ok := c.next.(scs.CtxStore); ok {
		return s.FindCtx(ctx, token)
	}
	return c.next.Find(token)
}

// CommitCtx writes through, then drops the entry.
func (c *readCache) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	defer c.wrote(token)
	if s, ok := c.next.(scs.CtxStore); ok {
		return s.CommitCtx(ctx, token, b, expiry)
	}
	return c.next.Commit(token, b, expiry)
}

// DeleteCtx deletes through, then drops the entry.
func (c *readCache) DeleteCtx(ctx context.Context, token string) error {
	defer c.wrote(token)
	if s, ok := c.next.(scs.CtxStore); ok {
		return s.DeleteCtx(ctx, token)
	}
	return c.next.Delete(token)
}

// Find, Commit and Delete complete scs.Store; scs calls the Ctx forms.
func (c *readCache) Find(token string) ([]byte, bool, error) {
	return c.FindCtx(context.Background(), token)
}

func (c *readCache) Commit(token string, b []byte, expiry time.Time) error {
	return c.CommitCtx(context.Background(), token, b, expiry)
}

func (c *readCache) Delete(token string) error {
	return c.DeleteCtx(context.Background(), token)
}

// decodedMax bounds decodedCodec's cache; when full it starts again empty.
const decodedMax = 4096

// decodedCodec is scs's Codec with a memory of the sessions it decoded,
// by their encoded bytes. A signed-in browser's session rarely changes
// between its requests, and decoding it anew allocated a map, its keys
// and its values every time (a quarter of the allocations of the
// applications' check of every API call, issue 19). The cache is keyed by
// the whole encoding, so an entry can only ever answer for the very bytes
// it was decoded from; a hit is a copy of the map, since scs changes its
// session's map in place ([]byte values are copied too). Sessions written
// by GobCodec (a Go override's own types) are decoded every time.
type decodedCodec struct {
	sessionCodec // encodes, and decodes on a miss

	mu sync.Mutex
	m  map[string]decodedSession
}

type decodedSession struct {
	deadline time.Time
	values   map[string]any
}

func newDecodedCodec() *decodedCodec {
	return &decodedCodec{m: make(map[string]decodedSession)}
}

// Decode answers from the cache when it can.
func (c *decodedCodec) Decode(b []byte) (time.Time, map[string]any, error) {
	c.mu.Lock()
	d, ok := c.m[string(b)]
	c.mu.Unlock()
	if ok {
		return d.deadline, copyValues(d.values), nil
	}
	deadline, values, err := c.sessionCodec.Decode(b)
	if err != nil || len(b) == 0 || b[0] != sessionCodecV1 {
		return deadline, values, err
	}
	kept := decodedSession{deadline: deadline, values: copyValues(values)}
	c.mu.Lock()
	if len(c.m) >= decodedMax {
		clear(c.m)
	}
	c.m[string(b)] = kept
	c.mu.Unlock()
	return deadline, values, nil
}

// copyValues copies a session's map, and the []byte values in it (the
// others are immutable).
func copyValues(values map[string]any) map[string]any {
	out := maps.Clone(values)
	for k, v := range out {
		if b, ok := v.([]byte); ok {
			out[k] = bytes.Clone(b)
		}
	}
	return out
}
