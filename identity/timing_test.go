package identity

import (
	"context"
	"fmt"
	"strings"
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

// UserAttributes is where the recipient's language is read (issue 22).
func (c *countingStore) UserAttributes(ctx context.Context, id string) (map[string]string, error) {
	c.add(true)
	return c.Store.UserAttributes(ctx, id)
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

func (c *countingStore) CreateToken(ctx context.Context, t *store.Token) error {
	c.add(false)
	return c.Store.CreateToken(ctx, t)
}

func (c *countingStore) DeleteTokens(ctx context.Context, userID, purpose string) error {
	c.add(false)
	return c.Store.DeleteTokens(ctx, userID, purpose)
}

func (c *countingStore) EnqueueMail(ctx context.Context, m *store.OutboxMessage) error {
	c.add(false)
	return c.Store.EnqueueMail(ctx, m)
}

func (c *countingStore) ClaimMail(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*store.OutboxMessage, error) {
	c.add(false)
	return c.Store.ClaimMail(ctx, now, lease, limit)
}

func (c *countingStore) DeleteMail(ctx context.Context, id int64) error {
	c.add(false)
	return c.Store.DeleteMail(ctx, id)
}

func (c *countingStore) RetryMail(ctx context.Context, id int64, next time.Time, lastErr string) error {
	c.add(false)
	return c.Store.RetryMail(ctx, id, next, lastErr)
}

// TestMailJobsSameWorkEitherWay (RST-01, ACC-01, AUTH-02, issue 17 item 8):
// a request right after a forgot-password for an existing address was
// slower, because the outbox worker then issued a token, recorded an event
// and queued and sent a mail, and did nothing for an address without an
// account. Now the request and the worker's whole pass after it — the job,
// and the delivery of what it queued — make the same store reads and
// writes either way, for forgot-password, resend-confirmation (an
// unconfirmed account against no account and a confirmed one) and an
// email change (a free address against a taken one); only the address
// that should get the mail gets it.
func TestMailJobsSameWorkEitherWay(t *testing.T) {
	var cs *countingStore
	f := newFixture(t, func(o *Options) {
		cs = &countingStore{Store: o.Store}
		o.Store = cs
	})
	ctx := context.Background()
	confirmed := f.mustRegister(t, "confirmed@example.com")
	f.confirm(t, confirmed)
	f.mustRegister(t, "unconfirmed@example.com")
	f.mustRegister(t, "taken@example.com")
	q := f.svc.MailQueue()
	// work runs one request with its own client and the worker's pass
	// after it, and returns the store calls of both and the mails sent.
	ip := 0
	work := func(req func(c Client) error) (reads, writes int, sent []string) {
		t.Helper()
		if err := q.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(time.Minute)
		f.mail.mu.Lock()
		before := len(f.mail.sent)
		f.mail.mu.Unlock()
		cs.take()
		ip++
		if err := req(Client{IP: fmt.Sprintf("203.0.113.%d", ip)}); err != nil {
			t.Fatal(err)
		}
		if err := q.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		reads, writes = cs.take()
		f.mail.mu.Lock()
		for _, m := range f.mail.sent[before:] {
			sent = append(sent, m.To)
		}
		f.mail.mu.Unlock()
		if n, _, err := q.Backlog(ctx); err != nil || n != 0 {
			t.Fatalf("outbox after the pass: %d entries, %v", n, err)
		}
		return reads, writes, sent
	}
	type run struct {
		name   string
		req    func(c Client) error
		mailed bool
	}
	for _, group := range [][]run{
		{
			{"forgot-password, account", func(c Client) error { return f.svc.ForgotPassword(ctx, c, "confirmed@example.com") }, true},
			{"forgot-password, no account", func(c Client) error { return f.svc.ForgotPassword(ctx, c, "nobody@example.com") }, false},
		},
		{
			{"resend, unconfirmed account", func(c Client) error { return f.svc.ResendConfirmation(ctx, c, "unconfirmed@example.com") }, true},
			{"resend, no account", func(c Client) error { return f.svc.ResendConfirmation(ctx, c, "nobody@example.com") }, false},
			{"resend, confirmed account", func(c Client) error { return f.svc.ResendConfirmation(ctx, c, "confirmed@example.com") }, false},
		},
		{
			{"email change, free address", func(c Client) error { return f.svc.RequestEmailChange(ctx, c, confirmed, "free@example.com") }, true},
			{"email change, taken address", func(c Client) error { return f.svc.RequestEmailChange(ctx, c, confirmed, "taken@example.com") }, false},
		},
	} {
		var r0, w0 int
		for i, r := range group {
			reads, writes, sent := work(r.req)
			if i == 0 {
				r0, w0 = reads, writes
			} else if reads != r0 || writes != w0 {
				t.Errorf("%s: %d reads, %d writes; %s: %d reads, %d writes — want the same", group[0].name, r0, w0, r.name, reads, writes)
			}
			gotLink := false
			for _, to := range sent {
				if to != "confirmed@example.com" || !strings.HasPrefix(r.name, "email change") { // the change notice goes to the current address
					gotLink = true
				}
			}
			if gotLink != r.mailed {
				t.Errorf("%s: mails sent to %v, want a link mailed: %v", r.name, sent, r.mailed)
			}
		}
	}
}
