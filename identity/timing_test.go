package identity

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/accountportal/portal/store"
)

// countingStore counts the store calls a request makes: reads and writes.
type countingStore struct {
	store.Store
	mu            sync.Mutex
	reads, writes int
}

func (c *countingStore) add(read bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if read {
		c.reads++
	} else {
		c.writes++
	}
}

func (c *countingStore) take() (reads, writes int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	reads, writes, c.reads, c.writes = c.reads, c.writes, 0, 0
	return
}

func (c *countingStore) FindUserByEmail(ctx context.Context, e string) (*store.User, error) {
	c.add(true)
	return c.Store.FindUserByEmail(ctx, e)
}

func (c *countingStore) FindUserByID(ctx context.Context, id string) (*store.User, error) {
	c.add(true)
	return c.Store.FindUserByID(ctx, id)
}

func (c *countingStore) PeekRateLimit(ctx context.Context, k string, now time.Time) (int, time.Time, error) {
	c.add(true)
	return c.Store.PeekRateLimit(ctx, k, now)
}

func (c *countingStore) HitRateLimit(ctx context.Context, k string, w time.Duration, now time.Time) (int, time.Time, error) {
	c.add(false)
	return c.Store.HitRateLimit(ctx, k, w, now)
}

func (c *countingStore) ResetRateLimit(ctx context.Context, k string) error {
	c.add(false)
	return c.Store.ResetRateLimit(ctx, k)
}

func (c *countingStore) AddEvent(ctx context.Context, e *store.Event) error {
	c.add(false)
	return c.Store.AddEvent(ctx, e)
}

func (c *countingStore) UpdateUser(ctx context.Context, id string, upd store.UserUpdate) error {
	c.add(false)
	return c.Store.UpdateUser(ctx, id, upd)
}

func (c *countingStore) ReserveLoginAttempt(ctx context.Context, id string, a store.LoginAttempt) (*store.User, bool, error) {
	c.add(false)
	return c.Store.ReserveLoginAttempt(ctx, id, a)
}

// TestSignInSameWorkForUnknownAddress (AUTH-02, ACC-01, issue 17 item 8): a
// wrong password for an existing account and any password for an address
// without one make the same store reads and writes (as well as one hash
// each), so the time of the answer does not tell them apart — from a
// browser with or without a device cookie of its own.
func TestSignInSameWorkForUnknownAddress(t *testing.T) {
	var cs *countingStore
	f := newFixture(t, func(o *Options) {
		cs = &countingStore{Store: o.Store}
		o.Store = cs
	})
	ctx := context.Background()
	u := f.mustRegister(t, "alice@example.com")
	f.confirm(t, u)
	for i, c := range []Client{{IP: "203.0.113.7"}, {IP: "203.0.113.8", Device: "attackers-own-device-cookie-0123456789abcdef"}} {
		cs.take()
		if _, err := f.svc.PasswordSignIn(ctx, c, "alice@example.com", "wrong password"); ErrorCode(err) != EUNAUTHORIZED {
			t.Fatalf("client %d, existing account: %v", i, err)
		}
		r1, w1 := cs.take()
		if _, err := f.svc.PasswordSignIn(ctx, c, "nobody@example.com", "wrong password"); ErrorCode(err) != EUNAUTHORIZED {
			t.Fatalf("client %d, no account: %v", i, err)
		}
		r2, w2 := cs.take()
		if r1 != r2 || w1 != w2 {
			t.Errorf("client %d: existing account %d reads, %d writes; no account %d reads, %d writes — want the same", i, r1, w1, r2, w2)
		}
	}
}
