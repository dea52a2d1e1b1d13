package identity

import (
	"context"
	"errors"
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

func newFixture(t *testing.T, mod ...func(*Options)) *fixture {
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
	o := Options{Store: st, Mailer: f.mail, BaseURL: "https://portal.test", RequireConfirmedEmail: true, Hash: cheap, Now: f.clock.Now}
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
	res, err := f.svc.Register(context.Background(), RegisterInput{Email: email, Password: pw})
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
	if _, err := f.svc.ConfirmEmail(context.Background(), Client{IP: "192.0.2.1"}, q.Query().Get("userId"), q.Query().Get("code")); err != nil {
		t.Fatalf("ConfirmEmail: %v", err)
	}
}

func TestRegisterValidation(t *testing.T) {
	f := newFixture(t)
	_, err := f.svc.Register(context.Background(), RegisterInput{Email: "bad", Password: "short"})
	var e *Error
	if !errors.As(err, &e) || e.Code != EINVALID || e.Fields["email"] == "" || e.Fields["password"] == "" {
		t.Fatalf("Register(bad, short) err=%#v, want EINVALID with email and password field errors", err)
	}
}

func TestRegisterExistingAddressRevealsNothing(t *testing.T) {
	f := newFixture(t)
	f.mustRegister(t, "alice@example.com")
	res, err := f.svc.Register(context.Background(), RegisterInput{Email: "ALICE@example.com", Password: "another good pass"})
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
	_, err := f.svc.Register(context.Background(), RegisterInput{Email: "Alice@Example.com", Password: pw})
	var e *Error
	if !errors.As(err, &e) || e.Fields["email"] == "" {
		t.Fatalf("duplicate without confirmation err=%v, want an email field error", err)
	}
}

func TestSignInNeedsConfirmedEmail(t *testing.T) {
	f := newFixture(t)
	u := f.mustRegister(t, "alice@example.com")
	if _, err := f.svc.PasswordSignIn(context.Background(), "alice@example.com", pw); !errors.Is(err, ErrInvalidLogin) {
		t.Fatalf("unconfirmed sign-in err=%v, want ErrInvalidLogin", err)
	}
	f.confirm(t, u)
	got, err := f.svc.PasswordSignIn(context.Background(), " Alice@Example.COM ", pw)
	if err != nil || got.ID != u.ID {
		t.Fatalf("confirmed sign-in=%v, %v", got, err)
	}
}

func TestLockout(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u := f.mustRegister(t, "alice@example.com")
	f.confirm(t, u)
	for i := range 5 {
		if _, err := f.svc.PasswordSignIn(ctx, "alice@example.com", "wrong password"); !errors.Is(err, ErrInvalidLogin) {
			t.Fatalf("failure %d err=%v", i+1, err)
		}
	}
	// AUTH-03: locked — even the right password fails, with the same error.
	if _, err := f.svc.PasswordSignIn(ctx, "alice@example.com", pw); !errors.Is(err, ErrInvalidLogin) {
		t.Fatalf("right password while locked err=%v, want ErrInvalidLogin", err)
	}
	f.clock.Advance(5*time.Minute - time.Second)
	if _, err := f.svc.PasswordSignIn(ctx, "alice@example.com", pw); !errors.Is(err, ErrInvalidLogin) {
		t.Fatalf("right password 1 s before the end err=%v, want ErrInvalidLogin", err)
	}
	f.clock.Advance(time.Second)
	got, err := f.svc.PasswordSignIn(ctx, "alice@example.com", pw)
	if err != nil {
		t.Fatalf("right password after the lockout: %v", err)
	}
	if got.AccessFailedCount != 0 || !got.LockoutEnd.IsZero() {
		t.Fatalf("after success count=%d lockout=%v, want reset", got.AccessFailedCount, got.LockoutEnd)
	}
}

func TestSuccessResetsFailureCount(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u := f.mustRegister(t, "alice@example.com")
	f.confirm(t, u)
	fail := func(n int) {
		for range n {
			f.svc.PasswordSignIn(ctx, "alice@example.com", "wrong password")
		}
	}
	fail(4)
	if _, err := f.svc.PasswordSignIn(ctx, "alice@example.com", pw); err != nil {
		t.Fatal(err)
	}
	fail(4)
	if _, err := f.svc.PasswordSignIn(ctx, "alice@example.com", pw); err != nil {
		t.Fatalf("4+4 failures with a success between locked the account: %v", err)
	}
}

func TestSignInRehashes(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.RequireConfirmedEmail = false })
	u := f.mustRegister(t, "alice@example.com")
	stronger := cheap
	stronger.Iterations = 2
	f2 := *f
	var err error
	f2.svc, err = New(Options{Store: f.store, Mailer: f.mail, Hash: stronger, Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f2.svc.PasswordSignIn(context.Background(), "alice@example.com", pw); err != nil {
		t.Fatal(err)
	}
	after, _ := f.store.FindUserByID(context.Background(), u.ID)
	if !strings.Contains(after.PasswordHash, "m=1024,t=2,p=1") {
		t.Fatalf("hash after sign-in %q, want the new parameters (PWD-04)", after.PasswordHash)
	}
	if _, err := f2.svc.PasswordSignIn(context.Background(), "alice@example.com", pw); err != nil {
		t.Fatalf("sign-in with the rehashed password: %v", err)
	}
}

func TestUnknownUserCostsAHash(t *testing.T) {
	f := newFixture(t)
	for len(f.svc.hasher.slots) < cap(f.svc.hasher.slots) {
		f.svc.hasher.slots <- struct{}{} // no free slot: any hashing path must report busy
	}
	f.svc.hasher.wait = time.Millisecond
	_, err := f.svc.PasswordSignIn(context.Background(), "nobody@example.com", pw)
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("unknown user err=%v, want ErrBusy: the unknown-user path must hash too (AUTH-02)", err)
	}
}

func TestSessionStamp(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u := f.mustRegister(t, "alice@example.com")
	if _, err := f.svc.UserForSession(ctx, u.ID, u.SecurityStamp); err != nil {
		t.Fatal(err)
	}
	stamp, err := f.svc.RotateSecurityStamp(ctx, u.ID)
	if err != nil || stamp == u.SecurityStamp {
		t.Fatalf("RotateSecurityStamp=%q, %v", stamp, err)
	}
	if _, err := f.svc.UserForSession(ctx, u.ID, u.SecurityStamp); !errors.Is(err, ErrSessionEnded) {
		t.Fatalf("old stamp err=%v, want ErrSessionEnded (SES-03)", err)
	}
	if _, err := f.svc.UserForSession(ctx, "nobody", stamp); !errors.Is(err, ErrSessionEnded) {
		t.Fatalf("unknown user err=%v, want ErrSessionEnded", err)
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
		if _, err := f.svc.ConfirmEmail(ctx, Client{IP: "192.0.2.1"}, id, code); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.ConfirmEmail(ctx, Client{IP: "192.0.2.1"}, id, code); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("second use err=%v, want ErrInvalidToken", err)
		}
	})
	t.Run("expired", func(t *testing.T) {
		f := newFixture(t)
		f.mustRegister(t, "alice@example.com")
		id, code := confirmLink(t, f.lastMail(t))
		f.clock.Advance(24 * time.Hour)
		if _, err := f.svc.ConfirmEmail(ctx, Client{IP: "192.0.2.1"}, id, code); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("expired err=%v, want ErrInvalidToken", err)
		}
	})
	t.Run("stale stamp", func(t *testing.T) {
		f := newFixture(t)
		u := f.mustRegister(t, "alice@example.com")
		id, code := confirmLink(t, f.lastMail(t))
		f.svc.RotateSecurityStamp(ctx, u.ID)
		if _, err := f.svc.ConfirmEmail(ctx, Client{IP: "192.0.2.1"}, id, code); !errors.Is(err, ErrInvalidToken) {
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
			if _, err := f.svc.ConfirmEmail(ctx, Client{IP: "192.0.2.1"}, tc[0], tc[1]); !errors.Is(err, ErrInvalidToken) {
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
		if _, err := f.svc.ConfirmEmail(ctx, Client{IP: "192.0.2.1"}, id, old); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("older link err=%v, want ErrInvalidToken", err)
		}
		_, fresh := confirmLink(t, f.lastMail(t))
		if _, err := f.svc.ConfirmEmail(ctx, Client{IP: "192.0.2.1"}, id, fresh); err != nil {
			t.Fatalf("newer link: %v", err)
		}
	})
}
