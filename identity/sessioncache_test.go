package identity

import (
	"context"
	"errors"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accountportal/portal/store"
)

// registryCounter counts the registry reads and touches that reach the
// database, and runs afterFind (once) after a FindSession has read its row.
type registryCounter struct {
	store.Store
	finds, touches atomic.Int64
	afterFind      atomic.Pointer[func()]
}

func (s *registryCounter) FindSession(ctx context.Context, id string) (*Session, *User, error) {
	s.finds.Add(1)
	x, u, err := s.Store.FindSession(ctx, id)
	if f := s.afterFind.Swap(nil); f != nil {
		(*f)()
	}
	return x, u, err
}

func (s *registryCounter) TouchSession(ctx context.Context, id string, lastSeen time.Time, ip, userAgent string) error {
	s.touches.Add(1)
	return s.Store.TouchSession(ctx, id, lastSeen, ip, userAgent)
}

// twoServices are two instances of Portal on one database: a counts what
// reaches the database, b makes the changes a must see.
func twoServices(t *testing.T) (f *fixture, a *registryCounter, b *Service) {
	t.Helper()
	f = newFixture(t, func(o *Options) { a = &registryCounter{Store: o.Store}; o.Store = a })
	o := f.svc.opts
	o.Store = f.store
	b, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return f, a, b
}

// TestSessionCacheSeesEveryInstance (issue 19, SES-03): an instance reuses
// the session and user it read while nothing changed, and sees a sign-out,
// a revocation or a change of the user made on another instance at its
// very next request, with no time passing.
func TestSessionCacheSeesEveryInstance(t *testing.T) {
	f, a, b := twoServices(t)
	ctx := context.Background()
	u := f.mustRegister(t, "alice@example.com")
	c := Client{IP: "192.0.2.1", UserAgent: "test"}
	start := func() *Session {
		t.Helper()
		x, err := f.svc.StartSession(ctx, u, c, SessionOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	live := func(x *Session, why string) *User {
		t.Helper()
		got, _, err := f.svc.SessionUser(ctx, x.ID, c)
		if err != nil {
			t.Fatalf("%s: SessionUser err=%v, want the session", why, err)
		}
		return got
	}
	ended := func(x *Session, why string) {
		t.Helper()
		if _, _, err := f.svc.SessionUser(ctx, x.ID, c); !errors.Is(err, ErrSessionEnded) {
			t.Fatalf("%s: SessionUser err=%v, want ErrSessionEnded on the other instance at once", why, err)
		}
	}

	// Read once, then answered from the cache.
	x := start()
	live(x, "a new session")
	finds := a.finds.Load()
	for range 3 {
		live(x, "unchanged")
	}
	if n := a.finds.Load() - finds; n != 0 {
		t.Errorf("%d registry reads for 3 requests with nothing changed, want 0 (the cache)", n)
	}

	// Signed out on b.
	if err := b.EndSession(ctx, c, u.ID, x.ID); err != nil {
		t.Fatal(err)
	}
	ended(x, "signed out on the other instance")

	// A new stamp on b ("sign out everywhere", a password change).
	x = start()
	live(x, "a new session")
	if _, err := b.RotateSecurityStamp(ctx, u.ID, ""); err != nil {
		t.Fatal(err)
	}
	ended(x, "stamp rotated on the other instance")

	// A changed user is read again: the new username at the next request.
	fresh, err := f.store.FindUserByID(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	u = fresh
	x = start()
	live(x, "a new session")
	name := "alice2"
	if err := f.store.UpdateUser(ctx, u.ID, store.UserUpdate{UserName: &name, NormalizedUserName: &name, UpdatedAt: f.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	if got := live(x, "username changed on the other instance"); got.UserName != name {
		t.Fatalf("username %q after the change, want %q", got.UserName, name)
	}

	// A sign-out that lands between the epoch read and the row read: the
	// row read before it is not trusted at the next request (the epoch is
	// read first; the other order would keep the stale row at the new
	// epoch).
	x = start()
	end := func() {
		if err := b.EndSession(ctx, c, u.ID, x.ID); err != nil {
			t.Error(err)
		}
	}
	a.afterFind.Store(&end)
	live(x, "read just before the sign-out")
	ended(x, "signed out while it was being read")
}

// TestSessionCacheTouchesAndExpires: a request from a new IP is recorded
// once, not at every request the cache answers; after sessionCacheTTL the
// row is read again; the idle limit still ends a cached session.
func TestSessionCacheTouchesAndExpires(t *testing.T) {
	f, a, _ := twoServices(t)
	ctx := context.Background()
	u := f.mustRegister(t, "alice@example.com")
	c := Client{IP: "192.0.2.1", UserAgent: "test"}
	x, err := f.svc.StartSession(ctx, u, c, SessionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.SessionUser(ctx, x.ID, c); err != nil {
		t.Fatal(err)
	}
	moved := Client{IP: "198.51.100.7", UserAgent: "test"}
	touches := a.touches.Load()
	for range 3 {
		if _, got, err := f.svc.SessionUser(ctx, x.ID, moved); err != nil || got.IP != moved.IP {
			t.Fatalf("SessionUser from a new IP = %+v, %v", got, err)
		}
	}
	if n := a.touches.Load() - touches; n != 1 {
		t.Errorf("%d touches for 3 requests from one new IP, want 1", n)
	}

	finds := a.finds.Load()
	f.clock.Advance(sessionCacheTTL)
	if _, _, err := f.svc.SessionUser(ctx, x.ID, moved); err != nil {
		t.Fatal(err)
	}
	if n := a.finds.Load() - finds; n != 1 {
		t.Errorf("%d registry reads after sessionCacheTTL, want 1", n)
	}

	f.clock.Advance(f.svc.opts.SessionIdleTimeout)
	if _, _, err := f.svc.SessionUser(ctx, x.ID, moved); !errors.Is(err, ErrSessionEnded) {
		t.Fatalf("idle session err=%v, want ErrSessionEnded (SES-02)", err)
	}
}

// TestSessionCacheEpochOrder: a row read at an older epoch than the
// cache's is not kept, a newer epoch empties the cache, and a full cache
// starts again empty.
func TestSessionCacheEpochOrder(t *testing.T) {
	c := newSessionCache()
	now := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	u, x := &User{ID: "u", AuthenticatorKey: []byte{1}}, &Session{ID: "s"}
	c.put("s", 5, u, x, now)
	if _, _, ok := c.get("s", 5, now); !ok {
		t.Fatal("miss at the epoch it was read at")
	}
	got, _, _ := c.get("s", 5, now)
	got.AuthenticatorKey[0] = 9
	if again, _, _ := c.get("s", 5, now); again.AuthenticatorKey[0] != 1 {
		t.Fatal("a caller's change reached the cached user")
	}
	if _, _, ok := c.get("s", 6, now); ok {
		t.Fatal("hit at a newer epoch")
	}
	c.put("t", 4, u, &Session{ID: "t"}, now)
	if _, _, ok := c.get("t", 4, now); ok {
		t.Fatal("a row read at an older epoch was kept")
	}
	c.put("t", 6, u, &Session{ID: "t"}, now)
	if len(c.m) != 1 {
		t.Fatalf("%d entries after a newer epoch, want 1", len(c.m))
	}
	if _, _, ok := c.get("t", 6, now.Add(sessionCacheTTL)); ok {
		t.Fatal("hit after sessionCacheTTL")
	}
	for i := range sessionCacheMax + 1 {
		c.put(strconv.Itoa(i), 6, u, x, now)
	}
	if len(c.m) > sessionCacheMax {
		t.Fatalf("%d entries, bound %d", len(c.m), sessionCacheMax)
	}
}
