package identity

import (
	"context"
	"errors"
	"time"

	"github.com/accountportal/portal/store"
)

// Every way in — password, external login, and the ways still to come —
// ends in a SignIn: either complete (start the session) or pending a second
// factor. The rules of the pending state (how long it lasts, how many codes
// it allows, that it dies when the account's credentials change) live here,
// not with the caller (SECURITY.md §3.2, §3.3; MFA-03, SES-06).

// Pending second-factor rules.
const (
	// PendingSignInLifetime: the second factor must follow the first step
	// within this long.
	PendingSignInLifetime = 5 * time.Minute
	// PendingSignInTries: wrong codes one pending sign-in allows; the last
	// one drops it.
	PendingSignInTries = 5
)

// PendingSignIn is a sign-in whose first step succeeded and that waits for
// the second factor. The caller keeps it where only this browser can reach
// it (the server-side session) and hands it back to TwoFactorSignIn or
// RecoveryCodeSignIn; it grants nothing else. Its tries are counted in the
// store under ID, atomically, so parallel requests cannot share them out.
type PendingSignIn struct {
	ID      string    `json:"id"`      // random; the key its tries are counted under
	UserID  string    `json:"uid"`     // whose first step succeeded
	Stamp   string    `json:"stamp"`   // the user's security stamp then: a credential change ends it
	Method  string    `json:"method"`  // how the first step was done ("" = password)
	Started time.Time `json:"started"` // when
}

// SignIn is the outcome of a sign-in step: Pending is set while the second
// factor is still needed; otherwise the caller starts a session for User
// with Session.
type SignIn struct {
	User    *User
	Pending *PendingSignIn
	Session SessionOptions
	// RecoveryCodesLeft: set by RecoveryCodeSignIn, how many recovery
	// codes are left (the page says so, issue 18 item 17).
	RecoveryCodesLeft int
}

// Complete reports whether the sign-in needs no further step.
func (r *SignIn) Complete() bool { return r.Pending == nil }

// Errors of the second step. Each ends the pending sign-in: the caller
// drops it and sends the person back to the first step with the message.
var (
	// ErrSignInExpired: the second factor came too late.
	ErrSignInExpired = errKey(EUNAUTHORIZED, "status.sign_in_too_slow")
	// ErrTooManyCodes: the pending sign-in used up its tries (MFA-03).
	ErrTooManyCodes = errKey(EUNAUTHORIZED, "status.too_many_codes")
)

// BeginSignIn is the common end of every first step: u has proven the
// first factor by method ("" = password, or an external provider's name).
// Without 2FA, or from a browser that was told to remember it
// (c.RememberBrowser), the sign-in is complete; otherwise it is pending.
func (s *Service) BeginSignIn(ctx context.Context, c Client, u *User, method string) (*SignIn, error) {
	if !u.TwoFactorEnabled {
		return &SignIn{User: u, Session: SessionOptions{Method: method}}, nil
	}
	if c.RememberBrowser != "" && s.IsBrowserRemembered(ctx, u, c.RememberBrowser) {
		return &SignIn{User: u, Session: SessionOptions{Method: method, Remembered2FA: true}}, nil
	}
	p := &PendingSignIn{ID: randomID(), UserID: u.ID, Stamp: u.SecurityStamp, Method: method, Started: s.now()}
	return &SignIn{User: u, Pending: p}, nil
}

// CheckPending reports whether p may still be completed: nil, or
// ErrSignInExpired.
func (s *Service) CheckPending(p *PendingSignIn) error {
	if p == nil || p.UserID == "" || !s.now().Before(p.Started.Add(PendingSignInLifetime)) {
		return ErrSignInExpired
	}
	return nil
}

// TwoFactorSignIn completes a pending sign-in with an authenticator code.
// A wrong code counts towards the pending sign-in's tries and the account's
// lockout; success resets the account's count.
func (s *Service) TwoFactorSignIn(ctx context.Context, c Client, p *PendingSignIn, code string) (*SignIn, error) {
	u, err := s.secondFactor(ctx, c, p, func(u *User) error { return s.verifyTOTP(ctx, u, code) }, "")
	if err != nil {
		return nil, err
	}
	return &SignIn{User: u, Session: SessionOptions{Method: joinMethod(p.Method, "authenticator app")}}, nil
}

// RecoveryCodeSignIn completes a pending sign-in with a recovery code,
// which is spent; the owner is told by mail (MFA-04). Such a sign-in never
// remembers the browser.
func (s *Service) RecoveryCodeSignIn(ctx context.Context, c Client, p *PendingSignIn, code string) (*SignIn, error) {
	u, err := s.secondFactor(ctx, c, p, func(u *User) error { return s.spendRecoveryCode(ctx, u, code) }, EventRecoveryCodeUsed)
	if err != nil {
		return nil, err
	}
	left, err := s.store.ListRecoveryCodes(ctx, u.ID)
	if err != nil {
		return nil, internal(err)
	}
	s.notify(ctx, u, c, "mail-notice.recovery_code_used", "n", len(left))
	return &SignIn{User: u, Session: SessionOptions{Method: joinMethod(p.Method, "recovery code")}, RecoveryCodesLeft: len(left)}, nil
}

// joinMethod names a two-step sign-in for the timeline: the second step,
// after the first when that was not the password.
func joinMethod(first, second string) string {
	if first == "" {
		return second
	}
	return first + ", " + second
}

// pendingUser is the account of pending sign-in p, still with 2FA on and
// the security stamp p was made with; ErrSessionEnded otherwise (the
// account was deleted, or a change since ended the sign-in).
func (s *Service) pendingUser(ctx context.Context, p *PendingSignIn) (*User, error) {
	u, err := s.store.FindUserByID(ctx, p.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrSessionEnded
	}
	if err != nil {
		return nil, internal(err)
	}
	if !u.TwoFactorEnabled || u.SecurityStamp != p.Stamp {
		return nil, ErrSessionEnded
	}
	return u, nil
}

// secondFactor is the second step of a pending sign-in: the pending state
// must be fresh and belong to the account as it is now; its tries are
// reserved in the store before the code is checked, so that no number of
// parallel requests gets more than PendingSignInTries checks; then the
// code goes through checkCode like every other code check.
func (s *Service) secondFactor(ctx context.Context, c Client, p *PendingSignIn, check func(*User) error, okEvent string) (*User, error) {
	if err := s.CheckPending(p); err != nil {
		return nil, err
	}
	method := pendingMethod(p, okEvent == EventRecoveryCodeUsed) // for the metrics
	u, err := s.pendingUser(ctx, p)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if IsLockedOut(u, now) {
		s.obs.SignIn(method, OutcomeLocked)
		return nil, ErrTwoFactorLocked
	}
	try, _, err := s.store.HitRateLimit(ctx, rateLimitKey("pending-sign-in", p.ID), PendingSignInLifetime, now)
	if err != nil {
		return nil, internal(err)
	}
	if try > PendingSignInTries {
		return nil, ErrTooManyCodes
	}
	u, err = s.checkCode(ctx, c, u, check)
	switch {
	case errors.Is(err, ErrLockedOut):
		s.obs.SignIn(method, OutcomeLocked)
		return nil, ErrTwoFactorLocked
	case ErrorCode(err) == ERATELIMIT:
		s.obs.SignIn(method, OutcomeThrottled)
	case ErrorCode(err) == EINVALID:
		s.obs.SignIn(method, OutcomeSecondFactorFailed)
	}
	if err != nil {
		if ErrorCode(err) == EINVALID && try >= PendingSignInTries {
			return nil, ErrTooManyCodes
		}
		return nil, err
	}
	if okEvent != "" {
		s.RecordEvent(ctx, u.ID, okEvent, c, "")
	}
	return u, nil
}

// checkCode is the one guarded path of every second-factor check —
// sign-in, re-authentication, turning 2FA off (MFA-03, SES-05, MFA-05):
// the per-IP rate limit, the account's lock enforced, and the attempt
// counted atomically before the code is checked (ReserveLoginAttempt), so
// parallel guesses get no more than the lockout allows; a lock caused here
// is mailed to the owner (the password, if any, was right); the hard cap
// holds the account until a password reset. check returns an EINVALID
// error for a wrong code. It returns the user as it is afterwards, or an
// ErrLockedOut error while locked.
func (s *Service) checkCode(ctx context.Context, c Client, u *User, check func(*User) error) (*User, error) {
	if err := s.limit(ctx, "second-factor-ip", ipKey(c.IP), s.opts.RateLimits.SecondFactorPerIP); err != nil {
		return nil, err
	}
	after, err := s.reserveAttempt(ctx, c, u, "two-factor codes")
	if err != nil {
		return nil, err
	}
	if err := check(after); err != nil {
		if ErrorCode(err) != EINVALID {
			return nil, err
		}
		s.RecordEvent(ctx, u.ID, EventLoginFailed, c, "wrong second factor")
		s.attemptFailed(ctx, c, after, factor2FA)
		if IsLockedOut(after, s.now()) {
			return nil, lockedOutUser(after, s.now())
		}
		return nil, err
	}
	if err := s.attemptSucceeded(ctx, after); err != nil {
		return nil, err
	}
	return after, nil
}
