package identity

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/accountportal/portal/store"
)

// mustEnable2FA turns 2FA on for u (confirmed, known from owner) and
// returns the authenticator key.
func (f *fixture) mustEnable2FA(t *testing.T, u *User) string {
	t.Helper()
	ctx := context.Background()
	a, err := f.svc.AuthenticatorSetup(ctx, u, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.EnableAuthenticator(ctx, owner, u, "", a.Enrolment, f.code(t, a.Key, 0)); err != nil {
		t.Fatalf("EnableAuthenticator: %v", err)
	}
	f.clock.Advance(30 * time.Second) // the enrolment code's step is spent
	return a.Key
}

// code is the TOTP code for key at the fixture's clock plus steps periods.
func (f *fixture) code(t *testing.T, key string, steps int) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(key, f.clock.Now().Add(time.Duration(steps)*30*time.Second), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wrongCode is a well-formed code that is not valid now.
func (f *fixture) wrongCode(t *testing.T, key string) string {
	t.Helper()
	valid := map[string]bool{}
	for s := -2; s <= 2; s++ {
		valid[f.code(t, key, s)] = true
	}
	for _, c := range []string{"000000", "111111", "222222", "333333"} {
		if !valid[c] {
			return c
		}
	}
	t.Fatal("no wrong code")
	return ""
}

func (f *fixture) pending(t *testing.T, email string) *PendingSignIn {
	t.Helper()
	r, err := f.svc.PasswordSignIn(context.Background(), owner, email, pw)
	if err != nil {
		t.Fatalf("PasswordSignIn: %v", err)
	}
	if r.Complete() {
		t.Fatal("PasswordSignIn of a 2FA account is complete, want pending")
	}
	return r.Pending
}

// TestPendingSignInRules (MFA-03, SES-06): the pending second-factor state
// is identity's: it lasts PendingSignInLifetime, allows PendingSignInTries
// codes — counted in the store, so 40 parallel guesses get no more — and
// ends when the account's credentials change.
func TestPendingSignInRules(t *testing.T) {
	f := newFixture(t, func(o *Options) {
		o.LockoutThreshold, o.LockoutDuration = 1000, time.Minute
		o.RateLimits = DefaultRateLimits
		o.RateLimits.SecondFactorPerIP = Limit{} // this test is about the pending sign-in's own count
	})
	ctx := context.Background()
	u := f.mustRegister(t, "alice@example.com")
	f.knownOwner(t, u)
	key := f.mustEnable2FA(t, u)

	// Expiry.
	p := f.pending(t, "alice@example.com")
	f.clock.Advance(PendingSignInLifetime)
	if _, err := f.svc.TwoFactorSignIn(ctx, owner, p, f.code(t, key, 0)); !errors.Is(err, ErrSignInExpired) {
		t.Fatalf("code after the lifetime: err=%v, want ErrSignInExpired", err)
	}
	if err := f.svc.CheckPending(p); !errors.Is(err, ErrSignInExpired) {
		t.Fatalf("CheckPending after the lifetime=%v, want ErrSignInExpired", err)
	}

	// Tries, in parallel: of 40 wrong codes at most PendingSignInTries are
	// checked; afterwards even the right code is refused.
	p = f.pending(t, "alice@example.com")
	wrong := f.wrongCode(t, key)
	var wg sync.WaitGroup
	var mu sync.Mutex
	invalid := 0
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.svc.TwoFactorSignIn(ctx, owner, p, wrong)
			if ErrorCode(err) == EINVALID {
				mu.Lock()
				invalid++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if invalid > PendingSignInTries-1 {
		t.Errorf("%d parallel wrong codes were answered 'wrong code', want at most %d (the last try ends the pending sign-in)", invalid, PendingSignInTries-1)
	}
	if _, err := f.svc.TwoFactorSignIn(ctx, owner, p, f.code(t, key, 0)); !errors.Is(err, ErrTooManyCodes) {
		t.Fatalf("right code after the tries are used up: err=%v, want ErrTooManyCodes", err)
	}

	// A credential change ends a pending sign-in.
	p = f.pending(t, "alice@example.com")
	if _, err := f.svc.RotateSecurityStamp(ctx, u.ID, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.TwoFactorSignIn(ctx, owner, p, f.code(t, key, 0)); !errors.Is(err, ErrSessionEnded) {
		t.Fatalf("code after a stamp change: err=%v, want ErrSessionEnded", err)
	}

	// The right code completes, named for the timeline.
	p = f.pending(t, "alice@example.com")
	r, err := f.svc.TwoFactorSignIn(ctx, owner, p, f.code(t, key, 0))
	if err != nil || !r.Complete() || r.User.ID != u.ID || r.Session.Method != "authenticator app" {
		t.Fatalf("right code: %+v, %v", r, err)
	}
}

// TestBeginSignInIsTheSameForEveryWayIn: another first step (an external
// login) with the account's 2FA on is pending the same second factor, and
// a remembered browser skips it for every way in.
func TestBeginSignInIsTheSameForEveryWayIn(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u := f.mustRegister(t, "alice@example.com")
	f.knownOwner(t, u)
	f.mustEnable2FA(t, u)
	u, _ = f.svc.store.FindUserByID(ctx, u.ID)

	r, err := f.svc.BeginSignIn(ctx, owner, u, "Google")
	if err != nil || r.Complete() || r.Pending.UserID != u.ID || r.Pending.Method != "Google" {
		t.Fatalf("BeginSignIn with 2FA on: %+v, %v; want pending", r, err)
	}
	tok, _, err := f.svc.RememberBrowserToken(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	remembered := owner
	remembered.RememberBrowser = tok
	r, err = f.svc.BeginSignIn(ctx, remembered, u, "Google")
	if err != nil || !r.Complete() || !r.Session.Remembered2FA {
		t.Fatalf("BeginSignIn from a remembered browser: %+v, %v; want complete", r, err)
	}
	r, err = f.svc.PasswordSignIn(ctx, remembered, "alice@example.com", pw)
	if err != nil || !r.Complete() || !r.Session.Remembered2FA {
		t.Fatalf("PasswordSignIn from a remembered browser: %+v, %v; want complete", r, err)
	}
}

// TestReauthCodeGuarded (MFA-03, SES-05, issue 17 item 2): an account
// without a password re-authenticates with its code — and that code check
// is the guarded one: of 40 parallel wrong codes no more than the lockout
// allows are checked, the lock is enforced (even the right code then
// fails), and nothing is skipped because there is no password.
func TestReauthCodeGuarded(t *testing.T) {
	f := newFixture(t, func(o *Options) {
		o.RateLimits = DefaultRateLimits
		o.RateLimits.SecondFactorPerIP = Limit{} // the account's own count is under test
	})
	ctx := context.Background()
	u := f.mustRegister(t, "alice@example.com")
	f.knownOwner(t, u)
	key := f.mustEnable2FA(t, u)
	empty := ""
	if err := f.store.UpdateUser(ctx, u.ID, store.UserUpdate{PasswordHash: &empty, UpdatedAt: f.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	u, _ = f.store.FindUserByID(ctx, u.ID)
	x, err := f.svc.StartSession(ctx, u, owner, SessionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wrong := f.wrongCode(t, key)
	var wg sync.WaitGroup
	var mu sync.Mutex
	checked := 0
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := f.svc.Reauthenticate(ctx, owner, u, x, "anything", wrong)
			if errors.Is(err, ErrInvalidCode) {
				mu.Lock()
				checked++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if checked >= DefaultLockoutPolicy.Threshold {
		t.Fatalf("%d of 40 parallel wrong codes were checked, want fewer than %d (the last one locks)", checked, DefaultLockoutPolicy.Threshold)
	}
	err = f.svc.Reauthenticate(ctx, owner, u, x, "", f.code(t, key, 0))
	if err == nil || ErrorCode(err) != EINVALID || ErrorText(err, nil) != "Too many wrong codes. Wait a few minutes, then sign in again." {
		t.Fatalf("right code while locked: %v, want the too-many-codes field error", err)
	}
	f.clock.Advance(DefaultLockoutPolicy.Duration + time.Second)
	if err := f.svc.Reauthenticate(ctx, owner, u, x, "", f.code(t, key, 0)); err != nil {
		t.Fatalf("right code after the lock: %v", err)
	}
}

// TestSecondFactorHardCap (MFA-03, AUTH-03, issue 17 item 6): the password
// right each time, wrong codes lock the account at every fifth; each lock
// is mailed to the owner (when, where, which browser); after 20 in a row a
// valid code no longer works — the lock lasts until the owner resets the
// password with the link mailed then.
func TestSecondFactorHardCap(t *testing.T) {
	f := newFixture(t, func(o *Options) {
		o.RateLimits = DefaultRateLimits
		o.RateLimits.SecondFactorPerIP = Limit{}
	})
	ctx := context.Background()
	u := f.mustRegister(t, "alice@example.com")
	f.knownOwner(t, u)
	key := f.mustEnable2FA(t, u)
	attacker := Client{IP: "203.0.113.80", UserAgent: "attacker-agent"}
	wrong := f.wrongCode(t, key)
	for round := range hardLockRounds {
		p := f.pending(t, "alice@example.com")
		for i := range DefaultLockoutPolicy.Threshold {
			_, err := f.svc.TwoFactorSignIn(ctx, attacker, p, wrong)
			if i < DefaultLockoutPolicy.Threshold-1 && ErrorCode(err) != EINVALID {
				t.Fatalf("round %d, code %d: %v", round, i+1, err)
			}
			if i == DefaultLockoutPolicy.Threshold-1 && !errors.Is(err, ErrTwoFactorLocked) {
				t.Fatalf("round %d, code %d: %v, want ErrTwoFactorLocked", round, i+1, err)
			}
		}
		f.clock.Advance(DefaultLockoutPolicy.Duration + time.Second)
	}
	// The ordinary lock's length has passed (the loop's last Advance):
	// still locked, until a reset.
	if _, err := f.svc.PasswordSignIn(ctx, owner, "alice@example.com", pw); !errors.Is(err, ErrLockedOut) || RetryAfter(err) != 0 {
		t.Fatalf("after 20 wrong codes: %v, want ErrLockedOut until a reset", err)
	}
	if u, _ := f.store.FindUserByID(ctx, u.ID); !isHardLocked(u, f.clock.Now().Add(30*24*time.Hour)) {
		t.Fatalf("after 20 wrong codes the lock ends at %v, want one that lasts until a reset", u.LockoutEnd)
	}
	if err := f.svc.MailQueue().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var locks []string
	for _, m := range f.mail.all() {
		if strings.Contains(m.Subject, "wrong two-factor codes in a row") {
			locks = append(locks, m.Text)
		}
	}
	if len(locks) != hardLockRounds {
		t.Fatalf("%d lock mails, want %d (one per lock)", len(locks), hardLockRounds)
	}
	for _, want := range []string{"203.0.113.80", "attacker-agent"} {
		if !strings.Contains(locks[0], want) {
			t.Errorf("the lock mail does not say %q:\n%s", want, locks[0])
		}
	}
	link := regexp.MustCompile(`https://portal\.test/account/reset-password\?code=\S+`).FindString(locks[len(locks)-1])
	if link == "" {
		t.Fatalf("the hard-lock mail has no reset link:\n%s", locks[len(locks)-1])
	}
	q, _ := url.Parse(link)
	if err := f.svc.ResetPassword(ctx, owner, ResetInput{Email: "alice@example.com", Code: q.Query().Get("code"), Password: "a brand new passphrase"}); err != nil {
		t.Fatalf("reset from the lock mail: %v", err)
	}
	r, err := f.svc.PasswordSignIn(ctx, owner, "alice@example.com", "a brand new passphrase")
	if err != nil {
		t.Fatalf("after the reset: %v", err)
	}
	if _, err := f.svc.TwoFactorSignIn(ctx, owner, r.Pending, f.code(t, key, 0)); err != nil {
		t.Fatalf("the right code after the reset: %v", err)
	}
}
