package identity

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accountportal/portal/mail"
	"github.com/accountportal/portal/store"
	"github.com/accountportal/portal/store/sqlite"
)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type captureMailer struct {
	mu   sync.Mutex
	sent []mail.Message
}

func (m *captureMailer) Send(_ context.Context, msg mail.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, msg)
	return nil
}

func (m *captureMailer) all() []mail.Message {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]mail.Message(nil), m.sent...)
}

func (m *captureMailer) last(t testing.TB) mail.Message {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.sent) == 0 {
		t.Fatal("no mail sent")
	}
	return m.sent[len(m.sent)-1]
}

type fixture struct {
	svc   *Service
	store store.Store
	clock *fakeClock
	mail  *captureMailer
}

func newFixture(t testing.TB, mod ...func(*Options)) *fixture {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "id.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	f := &fixture{store: st, clock: &fakeClock{now: time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)}, mail: &captureMailer{}}
	o := Options{Store: st, Mailer: f.mail, BaseURL: "https://portal.test", Settings: cheapSettings(), Now: f.clock.Now,
		LogKey: testKey, AuthenticatorKeyKey: testKey, RememberKey: testKey}
	for _, m := range mod {
		m(&o)
	}
	f.svc, err = New(o)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

const pw = "correct horse battery"

// cheapSettings are the defaults with the cheap hash of hasher_test.go
// (and confirmation required, as by default).
func cheapSettings() Settings {
	return Settings{RequireConfirmedEmail: true, Argon2Memory: uint(cheap.Memory), Argon2Iterations: uint(cheap.Iterations), Argon2Parallelism: uint(cheap.Parallelism)}
}

var testKey = []byte("0123456789abcdef0123456789abcdef")

// lastMail delivers the outbox and returns the newest message.
func (f *fixture) lastMail(t *testing.T) mail.Message {
	t.Helper()
	if err := f.svc.MailQueue().Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	return f.mail.last(t)
}

func (f *fixture) mustRegister(t *testing.T, email string) *User {
	t.Helper()
	res, err := f.svc.Register(context.Background(), Client{}, RegisterInput{Email: email, Password: pw})
	if err != nil || res.User == nil {
		t.Fatalf("Register(%s)=%+v, %v", email, res, err)
	}
	return res.User
}

func (f *fixture) confirm(t *testing.T, u *User) {
	t.Helper()
	link := regexp.MustCompile(`https://portal\.test/account/confirm-email\?\S+`).FindString(f.lastMail(t).Text)
	q, err := url.Parse(link)
	if err != nil || link == "" {
		t.Fatalf("no confirmation link in %q", f.lastMail(t).Text)
	}
	if _, err := f.svc.ConfirmEmail(context.Background(), Client{IP: "192.0.2.1"}, q.Query().Get("userId"), q.Query().Get("code"), true); err != nil {
		t.Fatalf("ConfirmEmail: %v", err)
	}
}

func TestRegisterValidation(t *testing.T) {
	f := newFixture(t)
	_, err := f.svc.Register(context.Background(), Client{}, RegisterInput{Email: "bad", Password: "short"})
	var e *Error
	if !errors.As(err, &e) || e.Code != EINVALID || e.Fields["email"] == "" || e.Fields["password"] == "" {
		t.Fatalf("Register(bad, short) err=%#v, want EINVALID with email and password field errors", err)
	}
}

func TestRegisterExistingAddressRevealsNothing(t *testing.T) {
	f := newFixture(t)
	f.mustRegister(t, "alice@example.com")
	res, err := f.svc.Register(context.Background(), Client{}, RegisterInput{Email: "ALICE@example.com", Password: "another good pass"})
	if err != nil || res.User != nil || res.SignIn {
		t.Fatalf("second registration=%+v, %v; want an empty result and no error (REG-01)", res, err)
	}
	m := f.lastMail(t)
	if m.To != "alice@example.com" || !strings.Contains(m.Subject, "tried to register") {
		t.Fatalf("owner not told: last mail to %q %q", m.To, m.Subject)
	}
}

func TestRegisterWithoutConfirmation(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.RequireConfirmedEmail = false })
	u := f.mustRegister(t, "alice@example.com")
	if u.NormalizedEmail != "alice@example.com" || u.ID == "" || u.SecurityStamp == "" {
		t.Fatalf("user %+v", u)
	}
	_, err := f.svc.Register(context.Background(), Client{}, RegisterInput{Email: "Alice@Example.com", Password: pw})
	var e *Error
	if !errors.As(err, &e) || e.Fields["email"] == "" {
		t.Fatalf("duplicate without confirmation err=%v, want an email field error", err)
	}
}

func TestSignInNeedsConfirmedEmail(t *testing.T) {
	f := newFixture(t)
	u := f.mustRegister(t, "alice@example.com")
	if _, err := f.svc.PasswordSignIn(context.Background(), Client{}, "alice@example.com", pw); !errors.Is(err, ErrEmailUnconfirmed) {
		t.Fatalf("unconfirmed sign-in err=%v, want ErrEmailUnconfirmed", err)
	}
	if _, err := f.svc.PasswordSignIn(context.Background(), Client{}, "alice@example.com", "wrong password"); !errors.Is(err, ErrInvalidLogin) {
		t.Fatalf("unconfirmed sign-in with a wrong password err=%v, want ErrInvalidLogin (AUTH-01)", err)
	}
	f.confirm(t, u)
	got, err := f.svc.PasswordSignIn(context.Background(), Client{}, " Alice@Example.COM ", pw)
	if err != nil || got.User.ID != u.ID {
		t.Fatalf("confirmed sign-in=%v, %v", got, err)
	}
}

// owner is the account owner's client: it has signed in before, so its
// failures count towards the account's lockout.
var owner = Client{IP: "192.0.2.10", UserAgent: "owner"}

// knownOwner confirms u and signs it in once from owner.
func (f *fixture) knownOwner(t *testing.T, u *User) {
	t.Helper()
	f.confirm(t, u)
	if _, err := f.svc.StartSession(context.Background(), u, owner, SessionOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestLockout (AUTH-03, issue 17 item 7): five wrong passwords from the
// owner's usual address (another browser there) hold that address for
// the address (login-fail-ip-account, 15 minutes); then
// even the right password gets "too many attempts, try again in N
// minutes" — not "invalid login", which the owner would take for a wrong
// password — and an address without an account gets the same answer after
// as many failures.
func TestLockout(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u := f.mustRegister(t, "alice@example.com")
	f.knownOwner(t, u)
	for i := range 5 {
		if _, err := f.svc.PasswordSignIn(ctx, owner, "alice@example.com", "wrong password"); !errors.Is(err, ErrInvalidLogin) {
			t.Fatalf("failure %d err=%v", i+1, err)
		}
		if _, err := f.svc.PasswordSignIn(ctx, owner, "nobody@example.com", "wrong password"); !errors.Is(err, ErrInvalidLogin) {
			t.Fatalf("unknown address, failure %d err=%v", i+1, err)
		}
	}
	_, err := f.svc.PasswordSignIn(ctx, owner, "alice@example.com", pw)
	if !errors.Is(err, ErrLockedOut) || RetryAfter(err) != 15*time.Minute || !strings.Contains(ErrorMessage(err), "15 minutes") {
		t.Fatalf("right password while locked err=%v (retry %v), want ErrLockedOut in 15 minutes", err, RetryAfter(err))
	}
	stranger := Client{IP: "203.0.113.9"}
	for range 5 {
		f.svc.PasswordSignIn(ctx, stranger, "alice@example.com", "wrong password")
		f.svc.PasswordSignIn(ctx, stranger, "nobody2@example.com", "wrong password")
	}
	_, strangerErr := f.svc.PasswordSignIn(ctx, stranger, "alice@example.com", pw)
	_, unknownErr := f.svc.PasswordSignIn(ctx, stranger, "nobody2@example.com", pw)
	if !errors.Is(strangerErr, ErrLockedOut) || ErrorMessage(strangerErr) != ErrorMessage(unknownErr) {
		t.Fatalf("after 5 failures from a stranger: account %v, no account %v; want the same ErrLockedOut (AUTH-01)", strangerErr, unknownErr)
	}
	f.clock.Advance(15*time.Minute - time.Second)
	if _, err := f.svc.PasswordSignIn(ctx, owner, "alice@example.com", pw); !errors.Is(err, ErrLockedOut) || RetryAfter(err) != time.Second {
		t.Fatalf("right password 1 s before the end err=%v, want ErrLockedOut for 1 s", err)
	}
	f.clock.Advance(time.Second)
	if _, err := f.svc.PasswordSignIn(ctx, owner, "alice@example.com", pw); err != nil {
		t.Fatalf("right password after the lockout: %v", err)
	}
	// The success ended the run: five more failures are allowed.
	for i := range 5 {
		if _, err := f.svc.PasswordSignIn(ctx, owner, "alice@example.com", "wrong password"); !errors.Is(err, ErrInvalidLogin) {
			t.Fatalf("failure %d after a success err=%v", i+1, err)
		}
	}
}

// deviceOwner is the owner's browser: owner's address and a device cookie.
var deviceOwner = Client{IP: "192.0.2.10", UserAgent: "owner", Device: "owner-device-0123456789abcdef0123456789abcde"}

// TestOwnerBrowserSignsInDuringLock (AUTH-03, issue 17 item 4): strangers —
// even behind the owner's own address (a shared NAT) — cannot keep the
// owner's browser out: it signed in before (its device cookie), so it is
// not held up by their failures. Its own failures lock the account.
func TestOwnerBrowserSignsInDuringLock(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u := f.mustRegister(t, "alice@example.com")
	f.confirm(t, u)
	if _, err := f.svc.StartSession(ctx, u, deviceOwner, SessionOptions{}); err != nil {
		t.Fatal(err)
	}
	natMate := Client{IP: deviceOwner.IP, UserAgent: "someone else"}
	for range 20 {
		f.svc.PasswordSignIn(ctx, natMate, "alice@example.com", "wrong password")
	}
	if _, err := f.svc.PasswordSignIn(ctx, natMate, "alice@example.com", pw); !errors.Is(err, ErrLockedOut) {
		t.Fatalf("the NAT mate after 20 failures: %v, want ErrLockedOut", err)
	}
	if _, err := f.svc.PasswordSignIn(ctx, deviceOwner, "alice@example.com", pw); err != nil {
		t.Fatalf("the owner's browser was kept out by someone behind the same address: %v", err)
	}
	// The owner's browser's own failures count towards the account's lock.
	for range 5 {
		f.svc.PasswordSignIn(ctx, deviceOwner, "alice@example.com", "wrong password")
	}
	if _, err := f.svc.PasswordSignIn(ctx, deviceOwner, "alice@example.com", pw); !errors.Is(err, ErrLockedOut) {
		t.Fatalf("after 5 failures of its own: %v, want ErrLockedOut", err)
	}
	if got, _ := f.store.FindUserByID(ctx, u.ID); !IsLockedOut(got, f.clock.Now()) {
		t.Fatal("5 failures from the owner's browser did not lock the account")
	}
}

// TestAttackerCannotLockOwnerOut (AUTH-03, issue 17 item 4): failures from
// an IP that never signed in slow that IP down for the account; the owner,
// from a known IP, still signs in, and the account is not locked (no
// lockout DoS). A distributed attack beyond
// LoginFailuresPerAccountUnknownIPs holds every stranger — and mails the
// owner once — but the owner's address and browser still sign in.
func TestAttackerCannotLockOwnerOut(t *testing.T) {
	f := newFixture(t, func(o *Options) {
		o.RateLimits = DefaultRateLimits
		o.RateLimits.LoginFailuresPerAccountUnknownIPs = Limit{Max: 12, Window: time.Hour}
	})
	ctx := context.Background()
	u := f.mustRegister(t, "alice@example.com")
	f.knownOwner(t, u)
	attacker := Client{IP: "203.0.113.66"}
	for range 8 {
		f.svc.PasswordSignIn(ctx, attacker, "alice@example.com", "guess guess guess")
	}
	if _, err := f.svc.PasswordSignIn(ctx, attacker, "alice@example.com", pw); !errors.Is(err, ErrLockedOut) {
		t.Fatalf("throttled attacker with the right password err=%v, want ErrLockedOut", err)
	}
	if _, err := f.svc.PasswordSignIn(ctx, owner, "alice@example.com", pw); err != nil {
		t.Fatalf("the owner was locked out by an attacker: %v", err)
	}
	if got, _ := f.store.FindUserByID(ctx, u.ID); !got.LockoutEnd.IsZero() {
		t.Fatalf("account locked by one unknown IP: %v", got.LockoutEnd)
	}
	// Another new IP of the owner's (travelling) is not throttled either.
	if _, err := f.svc.PasswordSignIn(ctx, Client{IP: "198.51.100.4"}, "alice@example.com", pw); err != nil {
		t.Fatalf("a fresh IP with the right password: %v", err)
	}
	// A distributed attack (many IPs, 4 failures each) holds strangers…
	for i := range 4 {
		for range 4 {
			f.svc.PasswordSignIn(ctx, Client{IP: fmt.Sprintf("203.0.113.%d", 100+i)}, "alice@example.com", "guess guess guess")
		}
	}
	if _, err := f.svc.PasswordSignIn(ctx, Client{IP: "198.51.100.77"}, "alice@example.com", pw); !errors.Is(err, ErrLockedOut) {
		t.Fatalf("a new address during a distributed attack: %v, want ErrLockedOut", err)
	}
	// …but not the owner, and the owner hears of it once.
	if _, err := f.svc.PasswordSignIn(ctx, owner, "alice@example.com", pw); err != nil {
		t.Fatalf("the owner's address was kept out by a distributed attack: %v", err)
	}
	if err := f.svc.MailQueue().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	notices := 0
	for _, m := range f.mail.all() {
		if strings.Contains(m.Subject, "never signed in from") {
			notices++
		}
	}
	if notices != 1 {
		t.Fatalf("%d mails about the distributed attack, want 1", notices)
	}
}

// TestParallelGuessesReserved (AUTH-04, issue 17 item 5): 40 parallel wrong
// passwords from one address against one account: no more than the limit
// (5) are evaluated; the rest are refused before the hash.
func TestParallelGuessesReserved(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    Client
	}{{"stranger", Client{IP: "203.0.113.5"}}, {"known address", owner}, {"owner's browser", deviceOwner}} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			u := f.mustRegister(t, "alice@example.com")
			f.confirm(t, u)
			if _, err := f.svc.StartSession(ctx, u, deviceOwner, SessionOptions{}); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			var mu sync.Mutex
			evaluated := 0
			for range 40 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := f.svc.PasswordSignIn(ctx, tc.c, "alice@example.com", "wrong password")
					if errors.Is(err, ErrInvalidLogin) {
						mu.Lock()
						evaluated++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			if evaluated > 5 {
				t.Fatalf("%d of 40 parallel wrong passwords were evaluated, want at most 5", evaluated)
			}
		})
	}
}

func TestIPRateLimits(t *testing.T) {
	f := newFixture(t, func(o *Options) {
		o.RateLimits = DefaultRateLimits
		o.RateLimits.LoginFailuresPerIP = Limit{Max: 3, Window: 10 * time.Minute}
	})
	ctx := context.Background()
	stuffer := Client{IP: "203.0.113.9"}
	for i := range 3 {
		if _, err := f.svc.PasswordSignIn(ctx, stuffer, fmt.Sprintf("victim%d@example.com", i), "guess guess"); !errors.Is(err, ErrInvalidLogin) {
			t.Fatalf("attempt %d err=%v", i, err)
		}
	}
	_, err := f.svc.PasswordSignIn(ctx, stuffer, "victim9@example.com", "guess guess")
	if ErrorCode(err) != ERATELIMIT || RetryAfter(err) <= 0 {
		t.Fatalf("4th failure from one IP err=%v, want ERATELIMIT with a retry time (AUTH-04)", err)
	}
	// IPv6: the /64 is one subject.
	if got, want := ipKey("2001:db8:1:2:aaaa::1"), ipKey("2001:db8:1:2:bbbb::2"); got != want {
		t.Fatalf("ipKey /64: %q vs %q", got, want)
	}
	f.clock.Advance(10 * time.Minute)
	if _, err := f.svc.PasswordSignIn(ctx, stuffer, "victim9@example.com", "guess guess"); !errors.Is(err, ErrInvalidLogin) {
		t.Fatalf("after the window err=%v, want the generic failure again", err)
	}
}

func TestParseRateLimits(t *testing.T) {
	r, err := ParseRateLimits("login-ip=50/30m, register-ip=0")
	if err != nil {
		t.Fatal(err)
	}
	if r.LoginPerIP != (Limit{Max: 50, Window: 30 * time.Minute}) || r.RegistrationsPerIP != (Limit{}) || r.MailsPerAccount != DefaultRateLimits.MailsPerAccount {
		t.Fatalf("parsed %+v", r)
	}
	for _, bad := range []string{"nope=1/1m", "login-ip=x/1m", "login-ip=5", "login-ip=5/xx", "login-ip=-1/1m"} {
		if _, err := ParseRateLimits(bad); err == nil {
			t.Errorf("ParseRateLimits(%q) accepted", bad)
		}
	}
}

func TestSuccessResetsFailureCount(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u := f.mustRegister(t, "alice@example.com")
	f.knownOwner(t, u)
	fail := func(n int) {
		for range n {
			f.svc.PasswordSignIn(ctx, owner, "alice@example.com", "wrong password")
		}
	}
	fail(4)
	if _, err := f.svc.PasswordSignIn(ctx, owner, "alice@example.com", pw); err != nil {
		t.Fatal(err)
	}
	fail(4)
	if _, err := f.svc.PasswordSignIn(ctx, owner, "alice@example.com", pw); err != nil {
		t.Fatalf("4+4 failures with a success between locked the account: %v", err)
	}
}

func TestSignInRehashes(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.RequireConfirmedEmail = false })
	u := f.mustRegister(t, "alice@example.com")
	stronger := cheapSettings()
	stronger.Argon2Iterations = 2
	stronger.RequireConfirmedEmail = false
	f2 := *f
	var err error
	f2.svc, err = New(Options{Store: f.store, Mailer: f.mail, Settings: stronger, Now: f.clock.Now, LogKey: testKey, AuthenticatorKeyKey: testKey, RememberKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f2.svc.PasswordSignIn(context.Background(), Client{}, "alice@example.com", pw); err != nil {
		t.Fatal(err)
	}
	after, _ := f.store.FindUserByID(context.Background(), u.ID)
	if !strings.Contains(after.PasswordHash, "m=1024,t=2,p=1") {
		t.Fatalf("hash after sign-in %q, want the new parameters (PWD-04)", after.PasswordHash)
	}
	if _, err := f2.svc.PasswordSignIn(context.Background(), Client{}, "alice@example.com", pw); err != nil {
		t.Fatalf("sign-in with the rehashed password: %v", err)
	}
}

func TestUnknownUserCostsAHash(t *testing.T) {
	f := newFixture(t)
	f.svc.hasher.slots.free = 0 // no free slot: any hashing path must report busy
	f.svc.hasher.wait = time.Millisecond
	_, err := f.svc.PasswordSignIn(context.Background(), Client{}, "nobody@example.com", pw)
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("unknown user err=%v, want ErrBusy: the unknown-user path must hash too (AUTH-02)", err)
	}
}

func TestSessionStamp(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u := f.mustRegister(t, "alice@example.com")
	c := Client{IP: "192.0.2.1", UserAgent: "test"}
	a, err := f.svc.StartSession(ctx, u, c, SessionOptions{Remember: false})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := f.svc.StartSession(ctx, u, c, SessionOptions{Remember: false})
	if got, _, err := f.svc.SessionUser(ctx, a.ID, c); err != nil || got.ID != u.ID {
		t.Fatalf("SessionUser=%v, %v", got, err)
	}
	stamp, err := f.svc.RotateSecurityStamp(ctx, u.ID, a.ID)
	if err != nil || stamp == u.SecurityStamp {
		t.Fatalf("RotateSecurityStamp=%q, %v", stamp, err)
	}
	if _, _, err := f.svc.SessionUser(ctx, a.ID, c); err != nil {
		t.Fatalf("the kept session ended: %v", err)
	}
	if _, _, err := f.svc.SessionUser(ctx, b.ID, c); !errors.Is(err, ErrSessionEnded) {
		t.Fatalf("other session err=%v, want ErrSessionEnded (SES-03)", err)
	}
	if _, _, err := f.svc.SessionUser(ctx, "nope", c); !errors.Is(err, ErrSessionEnded) {
		t.Fatalf("unknown session err=%v, want ErrSessionEnded", err)
	}
}

func TestSessionTimeouts(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u := f.mustRegister(t, "alice@example.com")
	c := Client{IP: "192.0.2.1"}
	plain, _ := f.svc.StartSession(ctx, u, c, SessionOptions{Remember: false})
	remembered, _ := f.svc.StartSession(ctx, u, c, SessionOptions{Remember: true})
	idle, _ := f.svc.StartSession(ctx, u, c, SessionOptions{Remember: false})
	// Keep plain busy every 20 minutes; leave idle alone.
	for range 3 {
		f.clock.Advance(20 * time.Minute)
		if _, _, err := f.svc.SessionUser(ctx, plain.ID, c); err != nil {
			t.Fatalf("busy session ended after %v: %v", f.clock.Now().Sub(plain.CreatedAt), err)
		}
	}
	if _, _, err := f.svc.SessionUser(ctx, idle.ID, c); !errors.Is(err, ErrSessionEnded) {
		t.Fatalf("idle session after 60 min err=%v, want ended (SES-02)", err)
	}
	if _, _, err := f.svc.SessionUser(ctx, remembered.ID, c); err != nil {
		t.Fatalf("remembered session ended by idleness: %v", err)
	}
	f.clock.Advance(11 * time.Hour)
	if _, _, err := f.svc.SessionUser(ctx, plain.ID, c); !errors.Is(err, ErrSessionEnded) {
		t.Fatalf("session after its 12 h lifetime err=%v, want ended", err)
	}
	f.clock.Advance(13*24*time.Hour - 12*time.Hour)
	if _, _, err := f.svc.SessionUser(ctx, remembered.ID, c); err != nil {
		t.Fatalf("remembered session ended before 14 days: %v", err)
	}
	f.clock.Advance(24 * time.Hour)
	if _, _, err := f.svc.SessionUser(ctx, remembered.ID, c); !errors.Is(err, ErrSessionEnded) {
		t.Fatalf("remembered session after 14 days err=%v, want ended", err)
	}
}

func TestReauthWindow(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u := f.mustRegister(t, "alice@example.com")
	x, _ := f.svc.StartSession(ctx, u, Client{}, SessionOptions{Remember: true})
	if f.svc.NeedsReauth(x) {
		t.Fatal("a fresh sign-in needs re-authentication")
	}
	f.clock.Advance(10 * time.Minute)
	if !f.svc.NeedsReauth(x) {
		t.Fatal("10 minutes after sign-in no re-authentication is asked (SES-05)")
	}
	if err := f.svc.Reauthenticate(ctx, Client{}, u, x, "wrong password!", ""); ErrorCode(err) != EINVALID {
		t.Fatalf("wrong password err=%v, want EINVALID", err)
	}
	after, _ := f.store.FindUserByID(ctx, u.ID)
	if after.AccessFailedCount != 1 {
		t.Fatalf("a wrong re-authentication password did not count: %d", after.AccessFailedCount)
	}
	if err := f.svc.Reauthenticate(ctx, Client{}, u, x, pw, ""); err != nil {
		t.Fatal(err)
	}
	if f.svc.NeedsReauth(x) {
		t.Fatal("re-authentication did not renew the window")
	}
}

func TestProfileAndPhone(t *testing.T) {
	for in, want := range map[string]string{"+41 79 123 45 67": "+41791234567", "+1 (415) 555-0100": "+14155550100", "": ""} {
		if got, msg := NormalizePhone(in); got != want || msg != "" {
			t.Errorf("NormalizePhone(%q)=%q,%q; want %q", in, got, msg, want)
		}
	}
	for _, bad := range []string{"079 123 45 67", "+0 123 456 789", "+41 79 abc", "+123", "+1234567890123456", "++41791234567"} {
		if _, msg := NormalizePhone(bad); msg == "" {
			t.Errorf("NormalizePhone(%q) accepted", bad)
		}
	}
	f := newFixture(t)
	ctx := context.Background()
	a := f.mustRegister(t, "alice@example.com")
	f.mustRegister(t, "bob@example.com")
	changed, err := f.svc.UpdateProfile(ctx, Client{}, a, ProfileInput{UserName: "alice", PhoneNumber: "+41 79 123 45 67"})
	if err != nil || !changed {
		t.Fatalf("UpdateProfile=%v, %v", changed, err)
	}
	got, _ := f.store.FindUserByID(ctx, a.ID)
	if got.UserName != "alice" || got.PhoneNumber != "+41791234567" || got.SecurityStamp != a.SecurityStamp {
		t.Fatalf("after update %+v (the stamp must not change)", got)
	}
	if _, err := f.svc.UpdateProfile(ctx, Client{}, got, ProfileInput{UserName: "BOB@example.com"}); ErrorCode(err) != EINVALID {
		t.Fatalf("taking another user's username err=%v, want a field error", err)
	}
	if _, err := f.svc.UpdateProfile(ctx, Client{}, got, ProfileInput{UserName: "a b"}); ErrorCode(err) != EINVALID {
		t.Fatalf("username with a space err=%v", err)
	}
}

func TestChangePassword(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.RequireConfirmedEmail = false })
	ctx := context.Background()
	u := f.mustRegister(t, "alice@example.com")
	keep, _ := f.svc.StartSession(ctx, u, Client{}, SessionOptions{Remember: false})
	other, _ := f.svc.StartSession(ctx, u, Client{}, SessionOptions{Remember: false})
	c := Client{IP: "203.0.113.7", UserAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"}
	if err := f.svc.ChangePassword(ctx, c, u, keep.ID, ChangePasswordInput{OldPassword: "wrong one!", NewPassword: "a brand new passphrase"}); ErrorCode(err) != EINVALID {
		t.Fatalf("wrong old password err=%v", err)
	}
	if err := f.svc.ChangePassword(ctx, c, u, keep.ID, ChangePasswordInput{OldPassword: pw, NewPassword: pw}); ErrorCode(err) != EINVALID {
		t.Fatalf("same password err=%v", err)
	}
	if err := f.svc.ChangePassword(ctx, c, u, keep.ID, ChangePasswordInput{OldPassword: pw, NewPassword: "a brand new passphrase"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.SessionUser(ctx, keep.ID, c); err != nil {
		t.Fatalf("this session ended: %v", err)
	}
	if _, _, err := f.svc.SessionUser(ctx, other.ID, c); !errors.Is(err, ErrSessionEnded) {
		t.Fatalf("other session err=%v, want ended", err)
	}
	if _, err := f.svc.PasswordSignIn(ctx, Client{}, "alice@example.com", pw); !errors.Is(err, ErrInvalidLogin) {
		t.Fatalf("old password still works: %v", err)
	}
	if _, err := f.svc.PasswordSignIn(ctx, Client{}, "alice@example.com", "a brand new passphrase"); err != nil {
		t.Fatalf("new password: %v", err)
	}
	m := f.lastMail(t)
	if !strings.Contains(m.Subject, "password was changed") || !strings.Contains(m.Text, "203.0.113.7") ||
		!strings.Contains(m.Text, "Firefox") || strings.Contains(m.Text, "a brand new passphrase") {
		t.Fatalf("notification %q:\n%s", m.Subject, m.Text)
	}
	if err := f.svc.SetPassword(ctx, c, u, keep.ID, "another passphrase"); !errors.Is(err, ErrHasPassword) {
		t.Fatalf("SetPassword with a password err=%v", err)
	}
}

func TestDescribeUserAgent(t *testing.T) {
	for ua, want := range map[string]string{
		"Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0":                                                                  "Firefox on Linux",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1": "Safari on iOS",
		"": "Unknown browser",
	} {
		if got := DescribeUserAgent(ua); got != want {
			t.Errorf("DescribeUserAgent(%q)=%q, want %q", ua, got, want)
		}
	}
}

func confirmLink(t *testing.T, m mail.Message) (userID, code string) {
	t.Helper()
	link := regexp.MustCompile(`https://portal\.test/account/confirm-email\?\S+`).FindString(m.Text)
	q, err := url.Parse(link)
	if err != nil || link == "" {
		t.Fatalf("no confirmation link in %q", m.Text)
	}
	return q.Query().Get("userId"), q.Query().Get("code")
}

func TestConfirmationToken(t *testing.T) {
	ctx := context.Background()
	t.Run("single use", func(t *testing.T) {
		f := newFixture(t)
		f.mustRegister(t, "alice@example.com")
		id, code := confirmLink(t, f.lastMail(t))
		if len(code) != 43 {
			t.Fatalf("code %q: want 43 base64url characters (256 bits)", code)
		}
		if _, err := f.svc.ConfirmEmail(ctx, Client{IP: "192.0.2.1"}, id, code, true); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.ConfirmEmail(ctx, Client{IP: "192.0.2.1"}, id, code, true); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("second use err=%v, want ErrInvalidToken", err)
		}
	})
	t.Run("expired", func(t *testing.T) {
		f := newFixture(t)
		f.mustRegister(t, "alice@example.com")
		id, code := confirmLink(t, f.lastMail(t))
		f.clock.Advance(24 * time.Hour)
		if _, err := f.svc.ConfirmEmail(ctx, Client{IP: "192.0.2.1"}, id, code, true); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("expired err=%v, want ErrInvalidToken", err)
		}
	})
	t.Run("stale stamp", func(t *testing.T) {
		f := newFixture(t)
		u := f.mustRegister(t, "alice@example.com")
		id, code := confirmLink(t, f.lastMail(t))
		f.svc.RotateSecurityStamp(ctx, u.ID, "")
		if _, err := f.svc.ConfirmEmail(ctx, Client{IP: "192.0.2.1"}, id, code, true); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("stale err=%v, want ErrInvalidToken", err)
		}
	})
	t.Run("other user or flipped character", func(t *testing.T) {
		f := newFixture(t)
		f.mustRegister(t, "alice@example.com")
		id, code := confirmLink(t, f.lastMail(t))
		flipped := []byte(code)
		flipped[5] ^= 1
		for _, tc := range [][2]string{{"someone-else", code}, {id, string(flipped)}, {id, "short"}, {id, ""}} {
			if _, err := f.svc.ConfirmEmail(ctx, Client{IP: "192.0.2.1"}, tc[0], tc[1], true); !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("ConfirmEmail(%q, %q) err=%v, want ErrInvalidToken", tc[0], tc[1], err)
			}
		}
	})
	t.Run("newer link replaces older", func(t *testing.T) {
		f := newFixture(t)
		u := f.mustRegister(t, "alice@example.com")
		id, old := confirmLink(t, f.lastMail(t))
		if err := f.svc.SendConfirmation(ctx, u); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.ConfirmEmail(ctx, Client{IP: "192.0.2.1"}, id, old, true); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("older link err=%v, want ErrInvalidToken", err)
		}
		_, fresh := confirmLink(t, f.lastMail(t))
		if _, err := f.svc.ConfirmEmail(ctx, Client{IP: "192.0.2.1"}, id, fresh, true); err != nil {
			t.Fatalf("newer link: %v", err)
		}
	})
}

// REL-12: during a login flood (every slot busy, the queue full) a sign-in
// from an address that signed in to the account before still queues and
// gets in; an unknown address, for a known or an unknown account alike
// (AUTH-02), is refused at once.
func TestKnownAddressSignsInDuringFlood(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.RequireConfirmedEmail = false })
	ctx := context.Background()
	f.mustRegister(t, "alice@example.com")
	home := Client{IP: "192.0.2.10", UserAgent: "home"}
	r, err := f.svc.PasswordSignIn(ctx, home, "alice@example.com", pw)
	if err != nil {
		t.Fatal(err)
	}
	u := r.User
	if _, err := f.svc.StartSession(ctx, u, home, SessionOptions{}); err != nil { // the address is now known
		t.Fatal(err)
	}
	pool := f.svc.hasher.slots
	pool.mu.Lock()
	pool.free, pool.avg = 0, time.Hour // flooded: no slot, and no ordinary request could be served in time
	pool.mu.Unlock()
	f.svc.hasher.wait = 5 * time.Second

	stranger := Client{IP: "198.51.100.7", UserAgent: "flood"}
	for _, email := range []string{"alice@example.com", "nobody@example.com"} {
		start := time.Now()
		if _, err := f.svc.PasswordSignIn(ctx, stranger, email, pw); !errors.Is(err, ErrBusy) {
			t.Fatalf("%s from an unknown address: err=%v, want ErrBusy", email, err)
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("%s from an unknown address refused after %v, want at once", email, d)
		}
	}
	go func() {
		time.Sleep(50 * time.Millisecond)
		pool.release(0) // one flood request finishes
	}()
	if _, err := f.svc.PasswordSignIn(ctx, home, "alice@example.com", pw); err != nil {
		t.Fatalf("the owner's usual address during the flood: %v", err)
	}
}

// TestRateLimitsAllOffStayOff (issue 17 item 16): a configured set with
// every limit off is not taken for "unset" (which means the defaults).
func TestRateLimitsAllOffStayOff(t *testing.T) {
	var spec []string
	for _, n := range RateLimitNames() {
		spec = append(spec, n+"=0")
	}
	r, err := ParseRateLimits(strings.Join(spec, ","))
	if err != nil || !r.AllOff() {
		t.Fatalf("ParseRateLimits(all 0)=%+v, %v; want all off", r, err)
	}
	f := newFixture(t, func(o *Options) { o.RateLimits = r })
	if !f.svc.opts.RateLimits.AllOff() {
		t.Fatalf("New turned all-off limits into %+v", f.svc.opts.RateLimits)
	}
	if f := newFixture(t); f.svc.opts.RateLimits.LoginPerIP != DefaultRateLimits.LoginPerIP {
		t.Fatal("unset limits are not the defaults")
	}
}
