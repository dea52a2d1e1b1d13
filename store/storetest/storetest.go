// Package storetest is the suite every store implementation must pass.
// The SQLite store runs it always; the PostgreSQL store will run the same
// suite when PORTAL_TEST_POSTGRES_URL is set.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accountportal/portal/store"
)

// Run runs the suite. open returns a fresh, migrated, empty store.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("CreateAndFindUser", func(t *testing.T) { testCreateAndFind(t, open(t)) })
	t.Run("UniqueEmailAndUsername", func(t *testing.T) { testUnique(t, open(t)) })
	t.Run("UpdateUser", func(t *testing.T) { testUpdate(t, open(t)) })
	t.Run("RecordLoginFailure", func(t *testing.T) { testLoginFailure(t, open(t)) })
	t.Run("RecordLoginFailureConcurrent", func(t *testing.T) { testLoginFailureConcurrent(t, open(t)) })
	t.Run("ReserveLoginAttempt", func(t *testing.T) { testReserveLoginAttempt(t, open(t)) })
	t.Run("ReserveLoginAttemptConcurrent", func(t *testing.T) { testReserveLoginAttemptConcurrent(t, open(t)) })
	t.Run("Tokens", func(t *testing.T) { testTokens(t, open(t)) })
	t.Run("TokenConsumedOnce", func(t *testing.T) { testTokenOnce(t, open(t)) })
	t.Run("Secrets", func(t *testing.T) { testSecrets(t, open(t)) })
	t.Run("RekeySecrets", func(t *testing.T) { testRekeySecrets(t, open(t)) })
	t.Run("Outbox", func(t *testing.T) { testOutbox(t, open(t)) })
	t.Run("OutboxClaimedOnce", func(t *testing.T) { testOutboxClaimOnce(t, open(t)) })
	t.Run("RateLimits", func(t *testing.T) { testRateLimits(t, open(t)) })
	t.Run("Sessions", func(t *testing.T) { testSessions(t, open(t)) })
	t.Run("StampRotationEndsOtherSessions", func(t *testing.T) { testStampEndsSessions(t, open(t)) })
	t.Run("AuthEpoch", func(t *testing.T) { testAuthEpoch(t, open(t)) })
	t.Run("Events", func(t *testing.T) { testEvents(t, open(t)) })
	t.Run("DeleteUser", func(t *testing.T) { testDeleteUser(t, open(t)) })
	t.Run("DeleteUserKeepsEvents", func(t *testing.T) { testDeleteUserKeepsEvents(t, open(t)) })
	t.Run("TOTPStep", func(t *testing.T) { testTOTPStep(t, open(t)) })
	t.Run("RecoveryCodes", func(t *testing.T) { testRecoveryCodes(t, open(t)) })
	t.Run("RememberedBrowsers", func(t *testing.T) { testRememberedBrowsers(t, open(t)) })
	t.Run("Passkeys", func(t *testing.T) { testPasskeys(t, open(t)) })
	t.Run("CeremonyConsumedOnce", func(t *testing.T) { testCeremonyOnce(t, open(t)) })
	t.Run("ExternalLogins", func(t *testing.T) { testExternalLogins(t, open(t)) })
	t.Run("Invites", func(t *testing.T) { testInvites(t, open(t)) })
	t.Run("ListUsers", func(t *testing.T) { testListUsers(t, open(t)) })
	t.Run("Attributes", func(t *testing.T) { testAttributes(t, open(t)) })
	t.Run("Import", func(t *testing.T) { testImport(t, open(t)) })
	t.Run("ImportAllOrNothing", func(t *testing.T) { testImportAllOrNothing(t, open(t)) })
	t.Run("OIDCClients", func(t *testing.T) { testOIDCClients(t, open(t)) })
	t.Run("OIDCCodeConsumedOnce", func(t *testing.T) { testOIDCCodeOnce(t, open(t)) })
	t.Run("OIDCCodeRedeemed", func(t *testing.T) { testOIDCCodeRedeem(t, open(t)) })
	t.Run("OIDCRefreshRotation", func(t *testing.T) { testOIDCRefresh(t, open(t)) })
	t.Run("OIDCGrants", func(t *testing.T) { testOIDCGrants(t, open(t)) })
	t.Run("OIDCKeys", func(t *testing.T) { testOIDCKeys(t, open(t)) })
}

var base = time.Date(2026, 11, 22, 8, 0, 0, 123456000, time.UTC)

// NewUser returns a valid user for email.
func NewUser(id, email string) *store.User {
	return &store.User{
		ID: id, Email: email, NormalizedEmail: email, UserName: email, NormalizedUserName: email,
		PasswordHash: "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", SecurityStamp: "STAMP" + id,
		CreatedAt: base, UpdatedAt: base,
	}
}

// MustCreateUser inserts a user or fails the test.
func MustCreateUser(t testing.TB, s store.Store, id, email string) *store.User {
	t.Helper()
	u := NewUser(id, email)
	if err := s.CreateUser(context.Background(), u); err != nil {
		t.Fatalf("CreateUser(%s): %v", email, err)
	}
	return u
}

func testCreateAndFind(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := NewUser("u1", "alice@example.com")
	u.PhoneNumber = "+41790000000"
	u.EmailConfirmed = true
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	byID, err := s.FindUserByID(ctx, "u1")
	if err != nil {
		t.Fatal(err)
	}
	byEmail, err := s.FindUserByEmail(ctx, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range []*store.User{byID, byEmail} {
		if got.ID != u.ID || got.Email != u.Email || got.PasswordHash != u.PasswordHash ||
			got.SecurityStamp != u.SecurityStamp || got.PhoneNumber != u.PhoneNumber || !got.EmailConfirmed ||
			!got.CreatedAt.Equal(u.CreatedAt) || !got.LockoutEnd.IsZero() || got.TwoFactorEnabled {
			t.Fatalf("read back %+v, want %+v", got, u)
		}
		if got.CreatedAt.Location() != time.UTC {
			t.Fatalf("CreatedAt location=%v, want UTC", got.CreatedAt.Location())
		}
	}
	if _, err := s.FindUserByID(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("FindUserByID(unknown) err=%v, want ErrNotFound", err)
	}
	if _, err := s.FindUserByEmail(ctx, "nobody@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("FindUserByEmail(unknown) err=%v, want ErrNotFound", err)
	}
}

func testUnique(t *testing.T, s store.Store) {
	ctx := context.Background()
	MustCreateUser(t, s, "u1", "alice@example.com")
	dup := NewUser("u2", "alice@example.com")
	if err := s.CreateUser(ctx, dup); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate email err=%v, want ErrConflict", err)
	}
	dup = NewUser("u2", "bob@example.com")
	dup.NormalizedUserName = "alice@example.com"
	if err := s.CreateUser(ctx, dup); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate username err=%v, want ErrConflict", err)
	}
	if _, err := s.FindUserByID(ctx, "u2"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a refused insert left a row: err=%v", err)
	}
	// Concurrent registrations of one address: exactly one wins (REL-03).
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.CreateUser(ctx, NewUser(fmt.Sprintf("c%d", i), "carol@example.com"))
			if err == nil {
				wins.Add(1)
			} else if !errors.Is(err, store.ErrConflict) {
				t.Errorf("concurrent CreateUser: %v", err)
			}
		}()
	}
	wg.Wait()
	if got, want := wins.Load(), int32(1); got != want {
		t.Fatalf("concurrent registrations won=%d, want %d", got, want)
	}
}

func testUpdate(t *testing.T, s store.Store) {
	ctx := context.Background()
	MustCreateUser(t, s, "u1", "alice@example.com")
	MustCreateUser(t, s, "u2", "bob@example.com")
	stamp, yes, hash := "NEW", true, "$argon2id$new"
	lock := base.Add(time.Hour)
	later := base.Add(time.Minute)
	err := s.UpdateUser(ctx, "u1", store.UserUpdate{SecurityStamp: &stamp, EmailConfirmed: &yes, PasswordHash: &hash, LockoutEnd: &lock, UpdatedAt: later})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := s.FindUserByID(ctx, "u1")
	if u.SecurityStamp != stamp || !u.EmailConfirmed || u.PasswordHash != hash || !u.LockoutEnd.Equal(lock) || !u.UpdatedAt.Equal(later) {
		t.Fatalf("after update: %+v", u)
	}
	if u.Email != "alice@example.com" {
		t.Fatalf("an unset field changed: email=%q", u.Email)
	}
	zero := time.Time{}
	if err := s.UpdateUser(ctx, "u1", store.UserUpdate{LockoutEnd: &zero, UpdatedAt: later}); err != nil {
		t.Fatal(err)
	}
	if u, _ := s.FindUserByID(ctx, "u1"); !u.LockoutEnd.IsZero() {
		t.Fatalf("lockout not cleared: %v", u.LockoutEnd)
	}
	taken := "bob@example.com"
	if err := s.UpdateUser(ctx, "u1", store.UserUpdate{NormalizedEmail: &taken, UpdatedAt: later}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("update to a taken email err=%v, want ErrConflict", err)
	}
	if err := s.UpdateUser(ctx, "nope", store.UserUpdate{UpdatedAt: later}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update of unknown user err=%v, want ErrNotFound", err)
	}
}

func testLoginFailure(t *testing.T, s store.Store) {
	ctx := context.Background()
	MustCreateUser(t, s, "u1", "alice@example.com")
	now := base
	for i := 1; i <= 2; i++ {
		u, err := s.RecordLoginFailure(ctx, "u1", store.LoginFailure{Threshold: 3, LockUntil: now.Add(5 * time.Minute), Now: now})
		if err != nil {
			t.Fatal(err)
		}
		if u.AccessFailedCount != i || !u.LockoutEnd.IsZero() {
			t.Fatalf("after %d failures: count=%d lockout=%v", i, u.AccessFailedCount, u.LockoutEnd)
		}
	}
	u, err := s.RecordLoginFailure(ctx, "u1", store.LoginFailure{Threshold: 3, LockUntil: now.Add(5 * time.Minute), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := u.LockoutEnd, now.Add(5*time.Minute); !got.Equal(want) || u.AccessFailedCount != 0 {
		t.Fatalf("third failure: lockout=%v count=%d, want %v and 0", got, u.AccessFailedCount, want)
	}
	if _, err := s.RecordLoginFailure(ctx, "nope", store.LoginFailure{Threshold: 3, Now: now}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown user err=%v, want ErrNotFound", err)
	}
}

// testReserveLoginAttempt (AUTH-04, MFA-03): attempts count before they
// are checked; every Threshold-th in a row locks, a locked account takes no
// reservation, the count goes on after a lock ends, and HardCap locks until
// HardLockUntil.
func testReserveLoginAttempt(t *testing.T, s store.Store) {
	ctx := context.Background()
	MustCreateUser(t, s, "u1", "alice@example.com")
	now := base
	hard := now.AddDate(100, 0, 0)
	attempt := func(now time.Time) store.LoginAttempt {
		return store.LoginAttempt{Threshold: 3, LockUntil: now.Add(5 * time.Minute), HardCap: 6, HardLockUntil: hard, Now: now}
	}
	for i := 1; i <= 3; i++ {
		u, ok, err := s.ReserveLoginAttempt(ctx, "u1", attempt(now))
		if err != nil || !ok {
			t.Fatalf("attempt %d: ok=%v err=%v", i, ok, err)
		}
		if u.AccessFailedCount != i || (i < 3) != u.LockoutEnd.IsZero() {
			t.Fatalf("after attempt %d: count=%d lockout=%v", i, u.AccessFailedCount, u.LockoutEnd)
		}
	}
	u, ok, err := s.ReserveLoginAttempt(ctx, "u1", attempt(now.Add(time.Minute)))
	if err != nil || ok || u.AccessFailedCount != 3 || !u.LockoutEnd.Equal(now.Add(5*time.Minute)) {
		t.Fatalf("attempt while locked: ok=%v err=%v count=%d lockout=%v, want refused and unchanged", ok, err, u.AccessFailedCount, u.LockoutEnd)
	}
	later := now.Add(5 * time.Minute)
	for i := 4; i <= 6; i++ {
		u, ok, err = s.ReserveLoginAttempt(ctx, "u1", attempt(later))
		if err != nil || !ok || u.AccessFailedCount != i {
			t.Fatalf("attempt %d after the lock: ok=%v err=%v count=%d", i, ok, err, u.AccessFailedCount)
		}
	}
	if !u.LockoutEnd.Equal(hard) {
		t.Fatalf("after HardCap attempts lockout=%v, want %v", u.LockoutEnd, hard)
	}
	if _, ok, _ := s.ReserveLoginAttempt(ctx, "u1", attempt(later.Add(24*time.Hour))); ok {
		t.Fatal("an attempt a day after the hard lock was reserved")
	}
	zero, never := 0, time.Time{}
	if err := s.UpdateUser(ctx, "u1", store.UserUpdate{AccessFailedCount: &zero, LockoutEnd: &never, UpdatedAt: later}); err != nil {
		t.Fatal(err)
	}
	if u, ok, err := s.ReserveLoginAttempt(ctx, "u1", attempt(later)); err != nil || !ok || u.AccessFailedCount != 1 {
		t.Fatalf("after a reset: ok=%v err=%v count=%v", ok, err, u)
	}
	if _, _, err := s.ReserveLoginAttempt(ctx, "nope", attempt(now)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown user err=%v, want ErrNotFound", err)
	}
}

// testReserveLoginAttemptConcurrent (AUTH-04): of 40 concurrent attempts
// with a threshold of 5, exactly 5 are reserved.
func testReserveLoginAttemptConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	MustCreateUser(t, s, "u1", "alice@example.com")
	var wg sync.WaitGroup
	var mu sync.Mutex
	reserved := 0
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, ok, err := s.ReserveLoginAttempt(ctx, "u1", store.LoginAttempt{Threshold: 5, LockUntil: base.Add(time.Minute), Now: base})
			if err != nil {
				t.Errorf("ReserveLoginAttempt: %v", err)
			}
			if ok {
				mu.Lock()
				reserved++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if reserved != 5 {
		t.Fatalf("%d of 40 concurrent attempts reserved, want 5", reserved)
	}
}

func testLoginFailureConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	MustCreateUser(t, s, "u1", "alice@example.com")
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.RecordLoginFailure(ctx, "u1", store.LoginFailure{Threshold: 1000, Now: base}); err != nil {
				t.Errorf("RecordLoginFailure: %v", err)
			}
		}()
	}
	wg.Wait()
	u, _ := s.FindUserByID(ctx, "u1")
	if got, want := u.AccessFailedCount, 20; got != want {
		t.Fatalf("concurrent failures counted=%d, want %d (lost update)", got, want)
	}
}

func testTokens(t *testing.T, s store.Store) {
	ctx := context.Background()
	MustCreateUser(t, s, "u1", "alice@example.com")
	tok := &store.Token{Hash: bytes.Repeat([]byte{1}, 32), UserID: "u1", Purpose: "confirm-email", Stamp: "S", Data: "alice@example.com",
		ExpiresAt: base.Add(time.Hour), CreatedAt: base}
	if err := s.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if got, err := s.LiveToken(ctx, tok.Hash, "confirm-email", base); err != nil || got.UserID != "u1" {
		t.Fatalf("LiveToken=%+v, %v; want the token", got, err)
	}
	if _, err := s.LiveToken(ctx, tok.Hash, "reset-password", base); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("LiveToken of another purpose err=%v, want ErrNotFound", err)
	}
	if _, err := s.LiveToken(ctx, tok.Hash, "confirm-email", base.Add(time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("LiveToken of an expired token err=%v, want ErrNotFound", err)
	}
	if _, err := s.ConsumeToken(ctx, tok.Hash, "reset-password", "u1", base); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("wrong purpose err=%v, want ErrNotFound", err)
	}
	if _, err := s.ConsumeToken(ctx, tok.Hash, "confirm-email", "u2", base); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("other user's token err=%v, want ErrNotFound", err)
	}
	if _, err := s.ConsumeToken(ctx, tok.Hash, "confirm-email", "u1", base.Add(time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired token err=%v, want ErrNotFound", err)
	}
	got, err := s.ConsumeToken(ctx, tok.Hash, "confirm-email", "u1", base.Add(time.Hour-time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if got.UserID != "u1" || got.Stamp != "S" || got.Data != tok.Data || !got.ExpiresAt.Equal(tok.ExpiresAt) {
		t.Fatalf("consumed %+v, want %+v", got, tok)
	}
	if _, err := s.ConsumeToken(ctx, tok.Hash, "confirm-email", "u1", base); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second use err=%v, want ErrNotFound", err)
	}
	if _, err := s.LiveToken(ctx, tok.Hash, "confirm-email", base); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("LiveToken of a used token err=%v, want ErrNotFound", err)
	}
	tok2 := *tok
	tok2.Hash = bytes.Repeat([]byte{2}, 32)
	if err := s.CreateToken(ctx, &tok2); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteTokens(ctx, "u1", "confirm-email"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ConsumeToken(ctx, tok2.Hash, "confirm-email", "u1", base); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted token err=%v, want ErrNotFound", err)
	}
}

func testTokenOnce(t *testing.T, s store.Store) {
	ctx := context.Background()
	MustCreateUser(t, s, "u1", "alice@example.com")
	tok := &store.Token{Hash: bytes.Repeat([]byte{7}, 32), UserID: "u1", Purpose: "p", Stamp: "S", ExpiresAt: base.Add(time.Hour), CreatedAt: base}
	if err := s.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.ConsumeToken(ctx, tok.Hash, "p", "u1", base)
			if err == nil {
				wins.Add(1)
			} else if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("ConsumeToken: %v", err)
			}
		}()
	}
	wg.Wait()
	if got, want := wins.Load(), int32(1); got != want {
		t.Fatalf("concurrent consumers won=%d, want %d (REL-04)", got, want)
	}
}

func testSecrets(t *testing.T, s store.Store) {
	ctx := context.Background()
	var n atomic.Int32
	gen := func() ([]byte, error) {
		i := n.Add(1)
		return []byte(fmt.Sprintf("secret-%d", i)), nil
	}
	var wg sync.WaitGroup
	got := make([][]byte, 10)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := s.Secret(ctx, "k", gen)
			if err != nil {
				t.Errorf("Secret: %v", err)
			}
			got[i] = v
		}()
	}
	wg.Wait()
	for _, v := range got {
		if !bytes.Equal(v, got[0]) || len(v) == 0 {
			t.Fatalf("callers disagree on the secret: %q vs %q", v, got[0])
		}
	}
	again, err := s.Secret(ctx, "k", func() ([]byte, error) { return nil, errors.New("must not be called") })
	if err != nil || !bytes.Equal(again, got[0]) {
		t.Fatalf("second Secret=%q, %v; want %q", again, err, got[0])
	}
	if _, err := s.Secret(ctx, "other", func() ([]byte, error) { return nil, errors.New("boom") }); err == nil {
		t.Fatal("a failing generator must fail Secret")
	}
}

func testOutbox(t *testing.T, s store.Store) {
	ctx := context.Background()
	for i, to := range []string{"a@example.com", "b@example.com"} {
		m := &store.OutboxMessage{Kind: []string{"", "job"}[i], To: to, Subject: "S", Text: "T", HTML: "<p>H</p>", CreatedAt: base, NextAttemptAt: base.Add(time.Duration(i) * time.Second)}
		if err := s.EnqueueMail(ctx, m); err != nil {
			t.Fatal(err)
		}
		if m.ID == 0 {
			t.Fatal("EnqueueMail did not set the ID")
		}
	}
	if n, oldest, err := s.OutboxStats(ctx); err != nil || n != 2 || !oldest.Equal(base) {
		t.Fatalf("OutboxStats=%d, %v, %v; want 2, %v", n, oldest, err, base)
	}
	got, err := s.ClaimMail(ctx, base, time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].To != "a@example.com" || got[0].HTML != "<p>H</p>" {
		t.Fatalf("claim at base=%+v, want only the first message", got)
	}
	if got[0].Kind != "" {
		t.Fatalf("mail kind=%q, want empty", got[0].Kind)
	}
	if again, _ := s.ClaimMail(ctx, base.Add(time.Second), time.Minute, 10); len(again) != 1 || again[0].To != "b@example.com" || again[0].Kind != "job" {
		t.Fatalf("a leased message was claimed again, or the due one was not: %+v", again)
	}
	if err := s.RetryMail(ctx, got[0].ID, base.Add(2*time.Second), "refused"); err != nil {
		t.Fatal(err)
	}
	retry, _ := s.ClaimMail(ctx, base.Add(2*time.Second), time.Minute, 10)
	if len(retry) != 1 || retry[0].Attempts != 1 || retry[0].LastError != "refused" {
		t.Fatalf("after RetryMail claim=%+v", retry)
	}
	if err := s.DeleteMail(ctx, retry[0].ID); err != nil {
		t.Fatal(err)
	}
	left, _ := s.ClaimMail(ctx, base.Add(time.Hour), time.Minute, 10)
	if len(left) != 1 || left[0].To != "b@example.com" {
		t.Fatalf("after delete, due=%+v, want only b", left)
	}
	if n, oldest, err := s.OutboxStats(ctx); err != nil || n != 1 || !oldest.Equal(base) {
		t.Fatalf("after delete OutboxStats=%d, %v, %v; want 1, %v", n, oldest, err, base)
	}
	if err := s.DeleteMail(ctx, left[0].ID); err != nil {
		t.Fatal(err)
	}
	if n, oldest, err := s.OutboxStats(ctx); err != nil || n != 0 || !oldest.IsZero() {
		t.Fatalf("empty outbox: OutboxStats=%d, %v, %v; want 0 and the zero time", n, oldest, err)
	}
}

func testOutboxClaimOnce(t *testing.T, s store.Store) {
	ctx := context.Background()
	for range 10 {
		if err := s.EnqueueMail(ctx, &store.OutboxMessage{To: "a@example.com", CreatedAt: base, NextAttemptAt: base}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ms, err := s.ClaimMail(ctx, base, time.Minute, 3)
			if err != nil {
				t.Errorf("ClaimMail: %v", err)
			}
			mu.Lock()
			for _, m := range ms {
				seen[m.ID]++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("message %d claimed %d times", id, n)
		}
	}
	if len(seen) != 10 {
		t.Fatalf("claimed %d distinct messages, want 10", len(seen))
	}
}

// RunRateLimits runs the rate-limit part of the suite on a store of rate
// limits only (e.g. Redis).
func RunRateLimits(t *testing.T, open func(t *testing.T) store.RateLimits) {
	t.Run("RateLimits", func(t *testing.T) { testRateLimits(t, open(t)) })
}

func testRateLimits(t *testing.T, s store.RateLimits) {
	ctx := context.Background()
	for i := 1; i <= 3; i++ {
		n, end, err := s.HitRateLimit(ctx, "k", time.Minute, base.Add(time.Duration(i)*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if n != i || !end.Equal(base.Add(time.Second+time.Minute).Truncate(time.Millisecond)) {
			t.Fatalf("hit %d: count=%d end=%v", i, n, end)
		}
	}
	if n, end, err := s.PeekRateLimit(ctx, "k", base.Add(3*time.Second)); err != nil || n != 3 || !end.Equal(base.Add(time.Second+time.Minute).Truncate(time.Millisecond)) {
		t.Fatalf("PeekRateLimit=%d, %v, %v; want 3 and the window end", n, end, err)
	}
	if n, _, _ := s.PeekRateLimit(ctx, "k", base.Add(3*time.Second)); n != 3 {
		t.Fatalf("PeekRateLimit counted: %d", n)
	}
	if n, _, _ := s.PeekRateLimit(ctx, "nope", base); n != 0 {
		t.Fatalf("PeekRateLimit of an unknown key=%d", n)
	}
	if n, _, _ := s.PeekRateLimit(ctx, "k", base.Add(time.Hour)); n != 0 {
		t.Fatalf("PeekRateLimit after the window=%d", n)
	}
	if n, _, _ := s.HitRateLimit(ctx, "other", time.Minute, base); n != 1 {
		t.Fatalf("another key count=%d, want 1", n)
	}
	// ResetRateLimit forgets one key's window and no other's (AUTH-04).
	s.HitRateLimit(ctx, "reset-me", time.Minute, base)
	if err := s.ResetRateLimit(ctx, "reset-me"); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := s.PeekRateLimit(ctx, "reset-me", base); n != 0 {
		t.Fatalf("after ResetRateLimit count=%d, want 0", n)
	}
	if n, _, _ := s.PeekRateLimit(ctx, "other", base); n != 1 {
		t.Fatalf("ResetRateLimit touched another key: count=%d, want 1", n)
	}
	if err := s.ResetRateLimit(ctx, "never-hit"); err != nil {
		t.Fatalf("ResetRateLimit of an unknown key: %v", err)
	}
	n, end, _ := s.HitRateLimit(ctx, "k", time.Minute, base.Add(time.Second+time.Minute))
	if n != 1 || !end.Equal(base.Add(time.Second+2*time.Minute).Truncate(time.Millisecond)) {
		t.Fatalf("after the window: count=%d end=%v, want a new window", n, end)
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := s.HitRateLimit(ctx, "c", time.Hour, base); err != nil {
				t.Errorf("HitRateLimit: %v", err)
			}
		}()
	}
	wg.Wait()
	if n, _, _ := s.HitRateLimit(ctx, "c", time.Hour, base); n != 21 {
		t.Fatalf("concurrent hits counted %d, want 21", n)
	}
	if err := s.DeleteExpiredRateLimits(ctx, base.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := s.HitRateLimit(ctx, "c", time.Hour, base); n != 1 {
		t.Fatalf("after cleanup count=%d, want 1", n)
	}
}

func newSession(id, userID string) *store.Session {
	return &store.Session{ID: id, UserID: userID, Stamp: "STAMP" + userID, IP: "192.0.2.1", UserAgent: "UA",
		CreatedAt: base, AuthAt: base, LastSeenAt: base, ExpiresAt: base.Add(12 * time.Hour)}
}

func testSessions(t *testing.T, s store.Store) {
	ctx := context.Background()
	MustCreateUser(t, s, "u1", "alice@example.com")
	MustCreateUser(t, s, "u2", "bob@example.com")
	a, b, other := newSession("s-a", "u1"), newSession("s-b", "u1"), newSession("s-o", "u2")
	b.Remember, b.Remembered2FA = true, true
	for _, x := range []*store.Session{a, b, other} {
		if err := s.CreateSession(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	got, u, err := s.FindSession(ctx, "s-a")
	if err != nil {
		t.Fatal(err)
	}
	if got.UserID != "u1" || got.Stamp != "STAMPu1" || !got.ExpiresAt.Equal(a.ExpiresAt) || u.Email != "alice@example.com" || u.SecurityStamp != "STAMPu1" {
		t.Fatalf("FindSession=%+v, %+v", got, u)
	}
	if _, _, err := s.FindSession(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown session err=%v", err)
	}
	if err := s.TouchSession(ctx, "s-a", base.Add(time.Minute), "198.51.100.9", "UA2"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSessionAuth(ctx, "s-a", base.Add(2*time.Minute), false); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSessionAuth(ctx, "s-b", base.Add(2*time.Minute), true); err != nil {
		t.Fatal(err)
	}
	if x, _, _ := s.FindSession(ctx, "s-b"); !x.Remember || x.Remembered2FA {
		t.Fatalf("SetSessionAuth with the second factor: %+v, want Remember kept and Remembered2FA cleared", x)
	}
	list, err := s.ListSessions(ctx, "u1")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != "s-a" || list[0].IP != "198.51.100.9" || !list[0].AuthAt.Equal(base.Add(2*time.Minute)) || !list[1].Remember {
		t.Fatalf("ListSessions=%+v", list)
	}
	// ACC-03: another user's session cannot be ended by its id.
	if err := s.DeleteSession(ctx, "u1", "s-o"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleting another user's session err=%v, want ErrNotFound", err)
	}
	if _, _, err := s.FindSession(ctx, "s-o"); err != nil {
		t.Fatalf("another user's session was ended: %v", err)
	}
	if err := s.DeleteOtherSessions(ctx, "u1", "s-b"); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.ListSessions(ctx, "u1"); len(list) != 1 || list[0].ID != "s-b" {
		t.Fatalf("after DeleteOtherSessions: %+v", list)
	}
	if err := s.DeleteSession(ctx, "u1", "s-b"); err != nil {
		t.Fatal(err)
	}
	// Expiry: absolute end, and idle for sessions without "remember me".
	idle, remembered, old := newSession("idle", "u2"), newSession("rem", "u2"), newSession("old", "u2")
	remembered.Remember = true
	old.ExpiresAt = base.Add(time.Minute)
	for _, x := range []*store.Session{idle, remembered, old} {
		if err := s.CreateSession(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	s.TouchSession(ctx, "s-o", base.Add(time.Hour), "", "")
	if err := s.DeleteExpiredSessions(ctx, base.Add(2*time.Minute), base.Add(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	list, _ = s.ListSessions(ctx, "u2")
	var ids []string
	for _, x := range list {
		ids = append(ids, x.ID)
	}
	if fmt.Sprint(ids) != "[s-o rem]" {
		t.Fatalf("after DeleteExpiredSessions: %v, want [s-o rem]", ids)
	}
}

func testStampEndsSessions(t *testing.T, s store.Store) {
	ctx := context.Background()
	MustCreateUser(t, s, "u1", "alice@example.com")
	MustCreateUser(t, s, "u2", "bob@example.com")
	for _, x := range []*store.Session{newSession("a", "u1"), newSession("b", "u1"), newSession("c", "u1"), newSession("o", "u2")} {
		if err := s.CreateSession(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	stamp := "NEW"
	if err := s.UpdateUser(ctx, "u1", store.UserUpdate{SecurityStamp: &stamp, KeepSessionID: "b", UpdatedAt: base}); err != nil {
		t.Fatal(err)
	}
	list, _ := s.ListSessions(ctx, "u1")
	if len(list) != 1 || list[0].ID != "b" || list[0].Stamp != "NEW" {
		t.Fatalf("after stamp rotation: %+v, want only b with the new stamp", list)
	}
	if _, _, err := s.FindSession(ctx, "o"); err != nil {
		t.Fatalf("another user's session ended: %v", err)
	}
	if err := s.UpdateUser(ctx, "u1", store.UserUpdate{SecurityStamp: &stamp, UpdatedAt: base}); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.ListSessions(ctx, "u1"); len(list) != 0 {
		t.Fatalf("rotation without a kept session left %d sessions", len(list))
	}
}

func testEvents(t *testing.T, s store.Store) {
	ctx := context.Background()
	MustCreateUser(t, s, "u1", "alice@example.com")
	MustCreateUser(t, s, "u2", "bob@example.com")
	for i, kind := range []string{"register", "login", "logout"} {
		e := &store.Event{UserID: "u1", Kind: kind, IP: "192.0.2.1", UserAgent: "UA", Detail: "d", CreatedAt: base.Add(time.Duration(i) * time.Minute)}
		if err := s.AddEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
		if e.ID == 0 {
			t.Fatal("AddEvent did not set the ID")
		}
	}
	other := &store.Event{UserID: "u2", Kind: "login", CreatedAt: base}
	if err := s.AddEvent(ctx, other); err != nil {
		t.Fatal(err)
	}
	page1, err := s.ListEvents(ctx, "u1", 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	page2, _ := s.ListEvents(ctx, "u1", 2, 2)
	if len(page1) != 2 || page1[0].Kind != "logout" || page1[1].Kind != "login" || len(page2) != 1 || page2[0].Kind != "register" {
		t.Fatalf("pages %+v / %+v, want newest first", page1, page2)
	}
	if got, err := s.FindEvent(ctx, "u1", page1[0].ID); err != nil || got.Kind != "logout" || got.IP != "192.0.2.1" {
		t.Fatalf("FindEvent=%+v, %v", got, err)
	}
	if _, err := s.FindEvent(ctx, "u1", other.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another user's event err=%v, want ErrNotFound (ACC-03)", err)
	}
}

func testDeleteUser(t *testing.T, s store.Store) {
	ctx := context.Background()
	MustCreateUser(t, s, "u1", "alice@example.com")
	MustCreateUser(t, s, "u2", "bob@example.com")
	for _, uid := range []string{"u1", "u2"} {
		if err := s.CreateSession(ctx, newSession("s-"+uid, uid)); err != nil {
			t.Fatal(err)
		}
		if err := s.AddEvent(ctx, &store.Event{UserID: uid, Kind: "login", CreatedAt: base}); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateToken(ctx, &store.Token{Hash: []byte("h-" + uid), UserID: uid, Purpose: "p", Stamp: "s", ExpiresAt: base.Add(time.Hour), CreatedAt: base}); err != nil {
			t.Fatal(err)
		}
	}
	for _, to := range []string{"Alice@Example.com", "bob@example.com"} {
		if err := s.EnqueueMail(ctx, &store.OutboxMessage{To: to, CreatedAt: base, NextAttemptAt: base}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteUser(ctx, "u1", "alice@example.com", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FindUserByID(ctx, "u1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("user still there: %v", err)
	}
	if _, _, err := s.FindSession(ctx, "s-u1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("session still there: %v", err)
	}
	if ev, _ := s.ListEvents(ctx, "u1", 0, 10); len(ev) != 0 {
		t.Fatalf("events still there: %d", len(ev))
	}
	if _, err := s.ConsumeToken(ctx, []byte("h-u1"), "p", "u1", base); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("token still there: %v", err)
	}
	mails, _ := s.ClaimMail(ctx, base, time.Minute, 10)
	if len(mails) != 1 || mails[0].To != "bob@example.com" {
		t.Fatalf("outbox after delete %+v, want only bob's", mails)
	}
	// The other user is untouched.
	if _, _, err := s.FindSession(ctx, "s-u2"); err != nil {
		t.Fatalf("other user's session: %v", err)
	}
	if ev, _ := s.ListEvents(ctx, "u2", 0, 10); len(ev) != 1 {
		t.Fatalf("other user's events: %d", len(ev))
	}
	if err := s.DeleteUser(ctx, "u1", "alice@example.com", nil); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete err=%v, want ErrNotFound", err)
	}
	// The address can be used again.
	MustCreateUser(t, s, "u3", "alice@example.com")
}

// With KeptEvents the deleted account's timeline stays, reduced to kinds
// and times under the tag, plus the deletion; nothing else of it remains.
func testDeleteUserKeepsEvents(t *testing.T, s store.Store) {
	ctx := context.Background()
	MustCreateUser(t, s, "u1", "alice@example.com")
	MustCreateUser(t, s, "u2", "bob@example.com")
	for i, kind := range []string{"register", "login", "password_changed"} {
		if err := s.AddEvent(ctx, &store.Event{UserID: "u1", Kind: kind, IP: "192.0.2.7", UserAgent: "UA", Detail: "alice@example.com", CreatedAt: base.Add(time.Duration(i) * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddEvent(ctx, &store.Event{UserID: "u2", Kind: "login", CreatedAt: base}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, "u1", "alice@example.com", &store.KeptEvents{Tag: "t-1", Kind: "account_deleted", At: base.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	kept, err := s.ListKeptEvents(ctx, "t-1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range kept {
		if e.UserID != "" || e.IP != "" || e.UserAgent != "" || e.Detail != "" {
			t.Fatalf("kept event carries personal data: %+v", e)
		}
		got = append(got, e.Kind+"@"+e.CreatedAt.Sub(base).String())
	}
	want := []string{"register@0s", "login@1m0s", "password_changed@2m0s", "account_deleted@1h0m0s"}
	if !slices.Equal(got, want) {
		t.Fatalf("kept events %v, want %v", got, want)
	}
	if ev, _ := s.ListEvents(ctx, "u1", 0, 10); len(ev) != 0 {
		t.Fatalf("the account's own events are still there: %d", len(ev))
	}
	if ev, _ := s.ListEvents(ctx, "u2", 0, 10); len(ev) != 1 {
		t.Fatalf("other user's events: %d", len(ev))
	}
	// A failed delete keeps nothing (one transaction).
	if err := s.DeleteUser(ctx, "nobody", "x@example.com", &store.KeptEvents{Tag: "t-2", Kind: "account_deleted", At: base}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("delete of a missing user: %v", err)
	}
	if kept, _ := s.ListKeptEvents(ctx, "t-2"); len(kept) != 0 {
		t.Fatalf("a failed delete kept %d events", len(kept))
	}
}

func testTOTPStep(t *testing.T, s store.Store) {
	ctx := context.Background()
	MustCreateUser(t, s, "u1", "alice@example.com")
	key := []byte{1, 2, 3}
	if err := s.UpdateUser(ctx, "u1", store.UserUpdate{AuthenticatorKey: &key, UpdatedAt: base}); err != nil {
		t.Fatal(err)
	}
	if u, _ := s.FindUserByID(ctx, "u1"); !bytes.Equal(u.AuthenticatorKey, key) || u.TOTPLastStep != 0 {
		t.Fatalf("key=%v step=%d", u.AuthenticatorKey, u.TOTPLastStep)
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.AdvanceTOTPStep(ctx, "u1", 100)
			if err != nil {
				t.Errorf("AdvanceTOTPStep: %v", err)
			}
			if ok {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("concurrent use of one step won %d times, want 1 (MFA-02)", wins.Load())
	}
	if ok, _ := s.AdvanceTOTPStep(ctx, "u1", 99); ok {
		t.Fatal("an earlier step was accepted")
	}
	if ok, _ := s.AdvanceTOTPStep(ctx, "u1", 101); !ok {
		t.Fatal("a later step was refused")
	}
	empty := []byte{}
	s.UpdateUser(ctx, "u1", store.UserUpdate{AuthenticatorKey: &empty, UpdatedAt: base})
	if u, _ := s.FindUserByID(ctx, "u1"); u.AuthenticatorKey != nil {
		t.Fatalf("key not removed: %v", u.AuthenticatorKey)
	}
}

func testRecoveryCodes(t *testing.T, s store.Store) {
	ctx := context.Background()
	MustCreateUser(t, s, "u1", "alice@example.com")
	MustCreateUser(t, s, "u2", "bob@example.com")
	if err := s.ReplaceRecoveryCodes(ctx, "u1", []string{"h1", "h2", "h3"}, base); err != nil {
		t.Fatal(err)
	}
	if err := s.ReplaceRecoveryCodes(ctx, "u2", []string{"x"}, base); err != nil {
		t.Fatal(err)
	}
	codes, err := s.ListRecoveryCodes(ctx, "u1")
	if err != nil || len(codes) != 3 || codes[0].Hash != "h1" {
		t.Fatalf("codes=%+v, %v", codes, err)
	}
	other, _ := s.ListRecoveryCodes(ctx, "u2")
	if ok, _ := s.DeleteRecoveryCode(ctx, "u1", other[0].ID); ok {
		t.Fatal("spent another user's code (ACC-03)")
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.DeleteRecoveryCode(ctx, "u1", codes[1].ID)
			if err != nil {
				t.Errorf("DeleteRecoveryCode: %v", err)
			}
			if ok {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("one code spent %d times, want 1 (MFA-04)", wins.Load())
	}
	if err := s.ReplaceRecoveryCodes(ctx, "u1", []string{"n1"}, base); err != nil {
		t.Fatal(err)
	}
	if codes, _ := s.ListRecoveryCodes(ctx, "u1"); len(codes) != 1 || codes[0].Hash != "n1" {
		t.Fatalf("after replace %+v", codes)
	}
}

func testExternalLogins(t *testing.T, s store.Store) {
	ctx := context.Background()
	MustCreateUser(t, s, "u1", "alice@example.com")
	MustCreateUser(t, s, "u2", "bob@example.com")
	l := &store.ExternalLogin{Provider: "acme", Subject: "sub-1", UserID: "u1", DisplayName: "Alice", Email: "alice@acme.test", CreatedAt: base}
	if err := s.AddExternalLogin(ctx, l); err != nil {
		t.Fatal(err)
	}
	if err := s.AddExternalLogin(ctx, &store.ExternalLogin{Provider: "acme", Subject: "sub-1", UserID: "u2", CreatedAt: base}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("linking a taken identity err=%v, want ErrConflict (OIDC-03)", err)
	}
	if err := s.AddExternalLogin(ctx, &store.ExternalLogin{Provider: "github", Subject: "sub-1", UserID: "u1", CreatedAt: base.Add(time.Second)}); err != nil {
		t.Fatalf("same subject at another provider: %v", err)
	}
	got, err := s.FindExternalLogin(ctx, "acme", "sub-1")
	if err != nil || got.UserID != "u1" || got.DisplayName != "Alice" || got.Email != "alice@acme.test" || !got.CreatedAt.Equal(base) {
		t.Fatalf("FindExternalLogin=%+v, %v", got, err)
	}
	if _, err := s.FindExternalLogin(ctx, "acme", "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown identity err=%v", err)
	}
	list, _ := s.ListExternalLogins(ctx, "u1")
	if len(list) != 2 || list[0].Provider != "acme" || list[1].Provider != "github" {
		t.Fatalf("ListExternalLogins=%+v", list)
	}
	if err := s.DeleteExternalLogin(ctx, "u2", "acme", "sub-1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unlinking another user's login err=%v, want ErrNotFound (ACC-03)", err)
	}
	if err := s.DeleteExternalLogin(ctx, "u1", "acme", "sub-1"); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.ListExternalLogins(ctx, "u1"); len(list) != 1 {
		t.Fatalf("after delete %d links", len(list))
	}
	// A new user with its login, in one transaction.
	nu := NewUser("u3", "carol@example.com")
	nu.PasswordHash = ""
	if err := s.CreateUserWithLogin(ctx, nu, &store.ExternalLogin{Provider: "acme", Subject: "sub-3", CreatedAt: base}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.FindExternalLogin(ctx, "acme", "sub-3"); err != nil || got.UserID != "u3" {
		t.Fatalf("login of the new user: %+v, %v", got, err)
	}
	// A conflict on the login leaves no user behind.
	dup := NewUser("u4", "dave@example.com")
	if err := s.CreateUserWithLogin(ctx, dup, &store.ExternalLogin{Provider: "acme", Subject: "sub-3", CreatedAt: base}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("CreateUserWithLogin with a taken identity err=%v", err)
	}
	if _, err := s.FindUserByID(ctx, "u4"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a failed CreateUserWithLogin left the user: %v", err)
	}
	// Deleting the user removes its links.
	if err := s.DeleteUser(ctx, "u3", "carol@example.com", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FindExternalLogin(ctx, "acme", "sub-3"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("link survived its user: %v", err)
	}
}

func testInvites(t *testing.T, s store.Store) {
	ctx := context.Background()
	inv := &store.Invite{Hash: bytes.Repeat([]byte{9}, 32), NormalizedEmail: "new@example.com", CreatedAt: base, ExpiresAt: base.Add(7 * 24 * time.Hour)}
	if err := s.CreateInvite(ctx, inv); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.HasInvite(ctx, inv.Hash, "new@example.com", base); err != nil || !ok {
		t.Fatalf("HasInvite=%v, %v", ok, err)
	}
	if ok, _ := s.HasInvite(ctx, inv.Hash, "other@example.com", base); ok {
		t.Fatal("an invite works for another address")
	}
	if err := s.ConsumeInvite(ctx, inv.Hash, "other@example.com", base); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("consuming for another address err=%v", err)
	}
	if err := s.ConsumeInvite(ctx, inv.Hash, "new@example.com", base.Add(7*24*time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired invite err=%v", err)
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if s.ConsumeInvite(ctx, inv.Hash, "new@example.com", base) == nil {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("one invite used %d times", wins.Load())
	}
	if ok, _ := s.HasInvite(ctx, inv.Hash, "new@example.com", base); ok {
		t.Fatal("a used invite is still usable")
	}
}

func testListUsers(t *testing.T, s store.Store) {
	ctx := context.Background()
	for i, email := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		u := NewUser(fmt.Sprintf("u%d", i), email)
		u.CreatedAt = base.Add(time.Duration(i) * time.Minute)
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	first, err := s.ListUsers(ctx, 0, 2)
	if err != nil || len(first) != 2 || first[0].Email != "a@example.com" || first[1].Email != "b@example.com" {
		t.Fatalf("ListUsers(0,2)=%v, %v", first, err)
	}
	rest, _ := s.ListUsers(ctx, 2, 2)
	if len(rest) != 1 || rest[0].Email != "c@example.com" {
		t.Fatalf("ListUsers(2,2)=%v", rest)
	}
}

func testAttributes(t *testing.T, s store.Store) {
	ctx := context.Background()
	MustCreateUser(t, s, "u1", "a@example.com")
	MustCreateUser(t, s, "u2", "b@example.com")
	if err := s.SetUserAttributes(ctx, "u1", map[string]string{"nickname": "Ann", "company": "Acme"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetUserAttributes(ctx, "u2", map[string]string{"nickname": "Bo"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetUserAttributes(ctx, "u1", map[string]string{"nickname": "Annie", "company": ""}); err != nil {
		t.Fatal(err)
	}
	got, err := s.UserAttributes(ctx, "u1")
	if err != nil || len(got) != 1 || got["nickname"] != "Annie" {
		t.Fatalf("UserAttributes(u1)=%v, %v", got, err)
	}
	if got, _ := s.UserAttributes(ctx, "u2"); got["nickname"] != "Bo" {
		t.Fatalf("another user's attributes changed: %v", got)
	}
	if err := s.DeleteUser(ctx, "u1", "a@example.com", nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.UserAttributes(ctx, "u1"); len(got) != 0 {
		t.Fatalf("attributes survived their user: %v", got)
	}
}

func testImport(t *testing.T, s store.Store) {
	ctx := context.Background()
	existing := MustCreateUser(t, s, "u-old", "old@example.com")
	if err := s.AddExternalLogin(ctx, &store.ExternalLogin{Provider: "google", Subject: "g-old", UserID: existing.ID, CreatedAt: base}); err != nil {
		t.Fatal(err)
	}
	q := store.ImportQuery{
		NormalizedEmails:    []string{"old@example.com", "new@example.com"},
		IDs:                 []string{"u-old", "u-new"},
		NormalizedUserNames: []string{"old@example.com", "newname"},
		Logins:              []store.LoginKey{{Provider: "google", Subject: "g-old"}, {Provider: "google", Subject: "g-new"}},
	}
	taken, err := s.ImportTaken(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if u := taken.Emails["old@example.com"]; u == nil || u.ID != "u-old" || len(taken.Emails) != 1 {
		t.Fatalf("taken emails=%v", taken.Emails)
	}
	if taken.IDs["u-old"] != "u-old" || len(taken.IDs) != 1 || taken.UserNames["old@example.com"] != "u-old" || len(taken.UserNames) != 1 {
		t.Fatalf("taken ids=%v usernames=%v", taken.IDs, taken.UserNames)
	}
	if taken.Logins[store.LoginKey{Provider: "google", Subject: "g-old"}] != "u-old" || len(taken.Logins) != 1 {
		t.Fatalf("taken logins=%v", taken.Logins)
	}

	nu := NewUser("u-new", "new@example.com")
	nu.UserName, nu.NormalizedUserName = "NewName", "newname"
	phone, confirmed := "+100", true
	batch := &store.ImportBatch{Now: base, Accounts: []*store.ImportAccount{
		{
			User:          nu,
			Logins:        []*store.ExternalLogin{{Provider: "google", Subject: "g-new", DisplayName: "New", CreatedAt: base}},
			RecoveryCodes: []string{"h1", "h2"},
			Attributes:    map[string]string{"imported_id": "42"},
			Events:        []*store.Event{{Kind: "imported", IP: "operator", Detail: "ASP.NET Core Identity", CreatedAt: base}},
		},
		{
			UpdateID:      "u-old",
			Update:        &store.UserUpdate{PhoneNumber: &phone, EmailConfirmed: &confirmed, UpdatedAt: base},
			RecoveryCodes: []string{"h3"},
			Events:        []*store.Event{{Kind: "imported", CreatedAt: base}},
		},
	}}
	// A dry run writes nothing.
	batch.DryRun = true
	if err := s.ImportAccounts(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FindUserByID(ctx, "u-new"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after a dry run FindUserByID(u-new) err=%v, want ErrNotFound", err)
	}
	if u, _ := s.FindUserByID(ctx, "u-old"); u.PhoneNumber != "" {
		t.Fatalf("after a dry run the phone is %q", u.PhoneNumber)
	}
	batch.DryRun = false
	if err := s.ImportAccounts(ctx, batch); err != nil {
		t.Fatal(err)
	}
	got, err := s.FindUserByEmail(ctx, "new@example.com")
	if err != nil || got.ID != "u-new" || got.UserName != "NewName" {
		t.Fatalf("imported user=%+v, %v", got, err)
	}
	if l, err := s.FindExternalLogin(ctx, "google", "g-new"); err != nil || l.UserID != "u-new" || l.DisplayName != "New" {
		t.Fatalf("imported login=%+v, %v", l, err)
	}
	if codes, _ := s.ListRecoveryCodes(ctx, "u-new"); len(codes) != 2 {
		t.Fatalf("imported codes=%v", codes)
	}
	if a, _ := s.UserAttributes(ctx, "u-new"); a["imported_id"] != "42" {
		t.Fatalf("attributes=%v", a)
	}
	if evs, _ := s.ListEvents(ctx, "u-new", 0, 10); len(evs) != 1 || evs[0].Kind != "imported" || evs[0].Detail != "ASP.NET Core Identity" {
		t.Fatalf("events=%v", evs)
	}
	old, _ := s.FindUserByID(ctx, "u-old")
	if old.PhoneNumber != "+100" || !old.EmailConfirmed {
		t.Fatalf("updated user=%+v", old)
	}
	if codes, _ := s.ListRecoveryCodes(ctx, "u-old"); len(codes) != 1 || codes[0].Hash != "h3" {
		t.Fatalf("updated codes=%v", codes)
	}
}

// A batch with a row that breaks a unique constraint writes nothing.
func testImportAllOrNothing(t *testing.T, s store.Store) {
	ctx := context.Background()
	MustCreateUser(t, s, "u-old", "old@example.com")
	batch := &store.ImportBatch{Now: base, Accounts: []*store.ImportAccount{
		{User: NewUser("u-a", "a@example.com"), Events: []*store.Event{{Kind: "imported", CreatedAt: base}}},
		{User: NewUser("u-b", "old@example.com")},
	}}
	if err := s.ImportAccounts(ctx, batch); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("ImportAccounts with a taken address err=%v, want ErrConflict", err)
	}
	if _, err := s.FindUserByID(ctx, "u-a"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the good row of a refused batch was written: %v", err)
	}
	// The store still works after the rollback.
	MustCreateUser(t, s, "u-c", "c@example.com")
}

// testRememberedBrowsers: a remembered browser is active until it expires
// or is forgotten, only for its own user; forgetting all of a user's
// leaves other users.
func testRememberedBrowsers(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	MustCreateUser(t, s, "rb-a", "rb-a@example.com")
	MustCreateUser(t, s, "rb-b", "rb-b@example.com")
	for _, b := range []struct{ user, id string }{{"rb-a", "b1"}, {"rb-a", "b2"}, {"rb-b", "b3"}} {
		if err := s.AddRememberedBrowser(ctx, b.user, b.id, now.Add(time.Hour), now); err != nil {
			t.Fatal(err)
		}
	}
	active := func(user, id string, at time.Time) bool {
		t.Helper()
		ok, err := s.RememberedBrowserActive(ctx, user, id, at)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !active("rb-a", "b1", now) || active("rb-b", "b1", now) || active("rb-a", "nope", now) {
		t.Fatal("active: want b1 for its user only")
	}
	if active("rb-a", "b1", now.Add(time.Hour)) {
		t.Error("a browser is still remembered at its expiry")
	}
	if n, err := s.DeleteRememberedBrowsers(ctx, "rb-b", "b1"); err != nil || n != 0 {
		t.Errorf("another user forgot b1: %d, %v", n, err)
	}
	if n, err := s.DeleteRememberedBrowsers(ctx, "rb-a", "b1"); err != nil || n != 1 {
		t.Errorf("forget b1: %d, %v; want 1", n, err)
	}
	if active("rb-a", "b1", now) || !active("rb-a", "b2", now) {
		t.Error("after forgetting b1: b1 active or b2 gone")
	}
	if n, err := s.DeleteRememberedBrowsers(ctx, "rb-a", ""); err != nil || n != 1 {
		t.Errorf("forget all of rb-a: %d, %v; want 1", n, err)
	}
	if active("rb-a", "b2", now) || !active("rb-b", "b3", now) {
		t.Error("forgetting all of rb-a's browsers: b2 still active, or rb-b's b3 gone")
	}
	// An expired row is dropped when the user remembers another browser.
	if err := s.AddRememberedBrowser(ctx, "rb-b", "b4", now.Add(3*time.Hour), now.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n, err := s.DeleteRememberedBrowsers(ctx, "rb-b", ""); err != nil || n != 1 {
		t.Errorf("rb-b's rows after an add past b3's expiry: %d, %v; want 1 (b3 dropped)", n, err)
	}
}

// testRekeySecrets: RekeySecrets rewrites every stored authenticator key
// and the secrets table at once, and a failing rekey changes nothing
// (issue 17 item 10: moving keys out of the database is all or nothing).
func testRekeySecrets(t *testing.T, s store.Store) {
	ctx := context.Background()
	for i, id := range []string{"u1", "u2", "u3"} {
		u := NewUser(id, id+"@example.com")
		if i < 2 {
			u.AuthenticatorKey = []byte("sealed-" + id)
		}
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Secret(ctx, "old-key", func() ([]byte, error) { return []byte("old"), nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Secret(ctx, "marker", func() ([]byte, error) { return []byte("before"), nil }); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := s.RekeySecrets(ctx, func(id string, sealed []byte) ([]byte, error) {
		if id == "u2" {
			return nil, boom
		}
		return []byte("new-" + id), nil
	}, map[string][]byte{"marker": []byte("after")}, []string{"old-key"})
	if !errors.Is(err, boom) {
		t.Fatalf("failing rekey err=%v, want boom", err)
	}
	if u, _ := s.FindUserByID(ctx, "u1"); string(u.AuthenticatorKey) != "sealed-u1" {
		t.Fatalf("a failed rekey changed u1's key to %q", u.AuthenticatorKey)
	}
	seen := map[string]string{}
	err = s.RekeySecrets(ctx, func(id string, sealed []byte) ([]byte, error) {
		seen[id] = string(sealed)
		return []byte("new-" + id), nil
	}, map[string][]byte{"marker": []byte("after")}, []string{"old-key"})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 || seen["u1"] != "sealed-u1" || seen["u2"] != "sealed-u2" {
		t.Fatalf("rekey saw %v, want the two stored keys", seen)
	}
	for id, want := range map[string]string{"u1": "new-u1", "u2": "new-u2", "u3": ""} {
		u, err := s.FindUserByID(ctx, id)
		if err != nil || string(u.AuthenticatorKey) != want {
			t.Fatalf("%s key=%q, %v; want %q", id, u.AuthenticatorKey, err, want)
		}
	}
	if v, _ := s.Secret(ctx, "marker", func() ([]byte, error) { return []byte("regenerated"), nil }); string(v) != "after" {
		t.Fatalf("marker=%q, want after (put overwrites)", v)
	}
	if v, _ := s.Secret(ctx, "old-key", func() ([]byte, error) { return []byte("regenerated"), nil }); string(v) != "regenerated" {
		t.Fatalf("old-key=%q, want it dropped", v)
	}
}

// testPasskeys: a passkey belongs to its user: another user can neither
// rename, use nor remove it (ACC-03); a credential id is unique; deleting
// the account removes its passkeys.
func testPasskeys(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	MustCreateUser(t, s, "pk-a", "pk-a@example.com")
	MustCreateUser(t, s, "pk-b", "pk-b@example.com")
	add := func(id, user string, at time.Time) {
		t.Helper()
		p := &store.Passkey{ID: id, UserID: user, RPID: "example.com", Name: "Key " + id, AAGUID: "ee882879-721c-4913-9775-3dfcce97072a",
			Credential: []byte(`{"id":"` + id + `"}`), SignCount: 7, BackupEligible: true, CreatedAt: at}
		if err := s.AddPasskey(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	add("cred-2", "pk-a", now.Add(time.Minute))
	add("cred-1", "pk-a", now)
	add("cred-3", "pk-b", now)
	if err := s.AddPasskey(ctx, &store.Passkey{ID: "cred-1", UserID: "pk-b", RPID: "example.com", Name: "x", Credential: []byte("{}"), CreatedAt: now}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("the same credential id twice: %v, want ErrConflict", err)
	}
	ps, err := s.ListPasskeys(ctx, "pk-a")
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || ps[0].ID != "cred-1" || ps[1].ID != "cred-2" {
		t.Fatalf("ListPasskeys(pk-a) = %v, want cred-1, cred-2", ps)
	}
	p := ps[0]
	if p.Name != "Key cred-1" || p.SignCount != 7 || !p.BackupEligible || p.BackupState || p.CloneWarning ||
		!p.CreatedAt.Equal(now) || !p.LastUsedAt.IsZero() || string(p.Credential) != `{"id":"cred-1"}` || p.RPID != "example.com" ||
		p.AAGUID != "ee882879-721c-4913-9775-3dfcce97072a" {
		t.Errorf("passkey read back as %+v", p)
	}
	if got, err := s.FindPasskey(ctx, "cred-3"); err != nil || got.UserID != "pk-b" {
		t.Errorf("FindPasskey(cred-3) = %v, %v", got, err)
	}
	if _, err := s.FindPasskey(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("FindPasskey(unknown) = %v, want ErrNotFound", err)
	}
	// Another user's passkey: not found, unchanged.
	use := store.PasskeyUse{Credential: []byte(`{"n":2}`), SignCount: 9, BackupState: true, CloneWarning: true, UsedAt: now.Add(time.Hour)}
	for name, err := range map[string]error{
		"rename": s.RenamePasskey(ctx, "pk-b", "cred-1", "mine now"),
		"use":    s.UsePasskey(ctx, "pk-b", "cred-1", use),
		"delete": s.DeletePasskey(ctx, "pk-b", "cred-1"),
	} {
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s of another user's passkey: %v, want ErrNotFound", name, err)
		}
	}
	if got, _ := s.FindPasskey(ctx, "cred-1"); got == nil || got.Name != "Key cred-1" || got.SignCount != 7 {
		t.Errorf("another user's attempts changed the passkey: %+v", got)
	}
	if err := s.RenamePasskey(ctx, "pk-a", "cred-1", "Laptop"); err != nil {
		t.Fatal(err)
	}
	if err := s.UsePasskey(ctx, "pk-a", "cred-1", use); err != nil {
		t.Fatal(err)
	}
	got, _ := s.FindPasskey(ctx, "cred-1")
	if got.Name != "Laptop" || got.SignCount != 9 || !got.BackupState || !got.CloneWarning || !got.LastUsedAt.Equal(now.Add(time.Hour)) || string(got.Credential) != `{"n":2}` {
		t.Errorf("after rename and use: %+v", got)
	}
	if err := s.DeletePasskey(ctx, "pk-a", "cred-2"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeletePasskey(ctx, "pk-a", "cred-2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting twice: %v, want ErrNotFound", err)
	}
	if err := s.DeleteUser(ctx, "pk-a", "pk-a@example.com", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FindPasskey(ctx, "cred-1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a deleted account's passkey: %v, want ErrNotFound", err)
	}
	if ps, _ := s.ListPasskeys(ctx, "pk-b"); len(ps) != 1 {
		t.Errorf("pk-b's passkeys after deleting pk-a: %d, want 1", len(ps))
	}
}

// testCeremonyOnce: a ceremony is consumed once, by one of 20 concurrent
// callers; never after it expired, nor as another kind or for another
// user (MFA-06).
func testCeremonyOnce(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	save := func(id, kind, user string, exp time.Time) {
		t.Helper()
		if err := s.SaveCeremony(ctx, &store.Ceremony{ID: id, Kind: kind, UserID: user, Data: []byte(`{"challenge":"` + id + `"}`), ExpiresAt: exp}); err != nil {
			t.Fatal(err)
		}
	}
	save("c1", "login", "", now.Add(5*time.Minute))
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := s.ConsumeCeremony(ctx, "c1", "login", "", now)
			if err == nil {
				if string(c.Data) != `{"challenge":"c1"}` || !c.ExpiresAt.Equal(now.Add(5*time.Minute)) {
					t.Errorf("consumed %+v", c)
				}
				wins.Add(1)
			} else if !errors.Is(err, store.ErrNotFound) {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("%d of 20 concurrent consumers got the ceremony, want 1", wins.Load())
	}
	save("c2", "register", "u1", now.Add(5*time.Minute))
	for _, tc := range []struct {
		kind, user string
		at         time.Time
	}{
		{"login", "u1", now}, {"register", "u2", now}, {"register", "u1", now.Add(5 * time.Minute)},
	} {
		if _, err := s.ConsumeCeremony(ctx, "c2", tc.kind, tc.user, tc.at); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("consume c2 as %+v: %v, want ErrNotFound", tc, err)
		}
	}
	if err := s.DeleteExpiredCeremonies(ctx, now.Add(6*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ConsumeCeremony(ctx, "c2", "register", "u1", now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an expired ceremony survived DeleteExpiredCeremonies: %v", err)
	}
	save("c3", "register", "u1", now.Add(5*time.Minute))
	if _, err := s.ConsumeCeremony(ctx, "c3", "register", "u1", now.Add(4*time.Minute)); err != nil {
		t.Errorf("a fresh ceremony: %v", err)
	}
}

// testAuthEpoch: every change that can end a session or change its user
// moves the epoch, so a session cached at the old one is read again
// (identity's session cache, SES-03); an activity touch and a new session
// do not, so the cache keeps working between sign-ins.
func testAuthEpoch(t *testing.T, s store.Store) {
	ctx := context.Background()
	MustCreateUser(t, s, "u1", "alice@example.com")
	MustCreateUser(t, s, "u2", "bob@example.com")
	epoch := func() int64 {
		t.Helper()
		n, err := s.AuthEpoch(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	str := func(v string) *string { return &v }
	yes := true
	stays := []struct {
		name string
		do   func() error
	}{
		{"a new session", func() error { return s.CreateSession(ctx, newSession("s-1", "u1")) }},
		{"a second session", func() error { return s.CreateSession(ctx, newSession("s-2", "u1")) }},
		{"a session of another user", func() error { return s.CreateSession(ctx, newSession("s-3", "u2")) }},
		{"an activity touch", func() error { return s.TouchSession(ctx, "s-1", base.Add(time.Minute), "198.51.100.9", "UA2") }},
	}
	for _, c := range stays {
		before := epoch()
		if err := c.do(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if after := epoch(); after != before {
			t.Errorf("%s moved the auth epoch (%d -> %d)", c.name, before, after)
		}
	}
	moves := []struct {
		name string
		do   func() error
	}{
		{"a re-authentication", func() error { return s.SetSessionAuth(ctx, "s-1", base.Add(2*time.Minute), true) }},
		{"an email change", func() error {
			return s.UpdateUser(ctx, "u1", store.UserUpdate{Email: str("a2@example.com"), NormalizedEmail: str("a2@example.com"), UpdatedAt: base})
		}},
		{"2FA turned on", func() error {
			return s.UpdateUser(ctx, "u1", store.UserUpdate{TwoFactorEnabled: &yes, UpdatedAt: base})
		}},
		{"a sign-out", func() error { return s.DeleteSession(ctx, "u1", "s-2") }},
		{"a new stamp keeping one session", func() error {
			return s.UpdateUser(ctx, "u1", store.UserUpdate{SecurityStamp: str("NEW"), KeepSessionID: "s-1", UpdatedAt: base})
		}},
		{"ending the other sessions", func() error { return s.DeleteOtherSessions(ctx, "u1", "") }},
		{"sessions past their end", func() error { return s.DeleteExpiredSessions(ctx, base.Add(24*time.Hour), base.Add(24*time.Hour)) }},
		{"a deleted user", func() error { return s.DeleteUser(ctx, "u2", "bob@example.com", nil) }},
	}
	for _, c := range moves {
		before := epoch()
		if err := c.do(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if after := epoch(); after <= before {
			t.Errorf("%s did not move the auth epoch (%d -> %d)", c.name, before, after)
		}
	}
}
