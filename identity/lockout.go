package identity

import (
	"context"
	"errors"
	"net/url"
	"time"

	"github.com/accountportal/portal/mail"
	"github.com/accountportal/portal/store"
)

// LockoutPolicy locks an account for Duration after Threshold failed
// attempts in a row at its password or second factor. Unlike ASP.NET's
// default login page, failed passwords count (AUTH-03). A success resets
// the counter.
type LockoutPolicy struct {
	Threshold int           // failed attempts before a lockout; default 5
	Duration  time.Duration // default 5 minutes
}

// DefaultLockoutPolicy is Portal's default.
var DefaultLockoutPolicy = LockoutPolicy{Threshold: 5, Duration: 5 * time.Minute}

// hardLockRounds: after this many lockouts' worth of failures in a row
// (4 × Threshold, 20 by default) the account stays locked until its owner
// resets the password — from the link mailed at that moment, or a new one
// (AUTH-03, MFA-03: no unlimited guessing at the pace of the lockout).
const hardLockRounds = 4

// hardLockLength stands for "until the password is reset".
const hardLockLength = 100 * 365 * 24 * time.Hour

// IsLockedOut reports whether u is locked at now.
func IsLockedOut(u *store.User, now time.Time) bool {
	return !u.LockoutEnd.IsZero() && now.Before(u.LockoutEnd)
}

// isHardLocked reports whether u's lock lasts until a password reset.
func isHardLocked(u *store.User, now time.Time) bool {
	return IsLockedOut(u, now) && u.LockoutEnd.Sub(now) > 365*24*time.Hour
}

// attempt is how one reserved attempt at now counts (ReserveLoginAttempt).
func (p LockoutPolicy) attempt(now time.Time) store.LoginAttempt {
	return store.LoginAttempt{
		Threshold: p.Threshold, LockUntil: now.Add(p.Duration),
		HardCap: hardLockRounds * p.Threshold, HardLockUntil: now.Add(hardLockLength), Now: now,
	}
}

// ErrLockedOut is behind every "too many attempts" answer of a sign-in
// (errors.Is): the message says when to try again and that a password
// reset ends it (AUTH-03). It is shown for unknown addresses alike, so it
// reveals nothing.
var ErrLockedOut = errors.New("identity: locked out")

// lockedOut is the answer while a lock or throttle lasts until retry (0:
// until a password reset).
func lockedOut(retry time.Duration) error {
	var e *Error
	if retry <= 0 {
		e = errKey(EUNAUTHORIZED, "errors.locked_reset")
	} else {
		minutes := int((retry + time.Minute - time.Nanosecond) / time.Minute)
		e = errPlural(EUNAUTHORIZED, "errors.locked_out", minutes, "minutes", minutes)
		e.RetryAfter = retry
	}
	e.Err = ErrLockedOut
	return e
}

// lockedOutUser is lockedOut for u's own lock.
func lockedOutUser(u *User, now time.Time) error {
	if isHardLocked(u, now) {
		return lockedOut(0)
	}
	return lockedOut(u.LockoutEnd.Sub(now))
}

// reserveAttempt counts one attempt at u's password or second factor
// before it is checked (AUTH-04): nothing can check more than the lockout
// allows, however many requests run at once. A locked account gets an
// ErrLockedOut error. The returned user is as it is after the count; the
// caller calls attemptSucceeded when the factor was right. factor names it
// for the owner's mail.
func (s *Service) reserveAttempt(ctx context.Context, c Client, u *User, factor string) (*User, error) {
	now := s.now()
	after, ok, err := s.store.ReserveLoginAttempt(ctx, u.ID, s.opts.lockout().attempt(now))
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrSessionEnded
	}
	if err != nil {
		return nil, internal(err)
	}
	if !ok {
		return after, lockedOutUser(after, now)
	}
	return after, nil
}

// lockFactor is what was typed wrong when an account locks: the
// security event's detail says it, and the mail to the owner.
type lockFactor string

const (
	factorPassword lockFactor = "password"
	factor2FA      lockFactor = "two-factor codes"
)

// attemptFailed records a wrong factor whose attempt was reserved: when
// this attempt locked the account, the owner is told by mail — with a
// link to reset the password when the lock lasts until a reset (MFA-03,
// AUTH-03). Those mails are not under the per-address mail cap: whoever
// fails cannot spend them (one per lock).
func (s *Service) attemptFailed(ctx context.Context, c Client, after *User, factor lockFactor) {
	now := s.now()
	if !IsLockedOut(after, now) || after.AccessFailedCount%max(s.opts.lockout().Threshold, 1) != 0 {
		return
	}
	s.RecordEvent(ctx, after.ID, EventLockout, c, string(factor))
	cat := s.catalogFor(ctx, after)
	d := s.eventData(ctx, cat, after, c)
	d.Link = s.link("/account/manage/security", nil)
	n := after.AccessFailedCount
	if factor == factor2FA {
		d.Notice = noticeText(cat, "mail-notice.locked_2fa", "n", n)
	} else {
		d.Notice = noticeText(cat, "mail-notice.locked_password", "n", n)
	}
	if isHardLocked(after, now) {
		secret, err := s.issueToken(ctx, after, PurposeResetPassword, "", "", s.opts.ResetPasswordLifetime)
		if err != nil {
			s.log.ErrorContext(ctx, "lock mail: no reset link", "user", after.ID, "err", err)
		} else {
			d.Link = s.link("/account/reset-password", url.Values{"code": {secret}})
		}
		if factor == factor2FA {
			d.Notice = noticeText(cat, "mail-notice.hard_locked_2fa", "n", n, "expires", s.opts.ResetPasswordLifetime)
		} else {
			d.Notice = noticeText(cat, "mail-notice.hard_locked_password", "n", n, "expires", s.opts.ResetPasswordLifetime)
		}
	}
	s.sendMail(ctx, cat, mail.SecurityNotice, d)
}

// attemptSucceeded ends a run of attempts: the count (and a lock the
// successful attempt itself set) is reset.
func (s *Service) attemptSucceeded(ctx context.Context, u *User) error {
	if u.AccessFailedCount == 0 && u.LockoutEnd.IsZero() {
		return nil
	}
	zero, never := 0, time.Time{}
	if err := s.store.UpdateUser(ctx, u.ID, store.UserUpdate{AccessFailedCount: &zero, LockoutEnd: &never, UpdatedAt: s.now()}); err != nil {
		return internal(err)
	}
	u.AccessFailedCount, u.LockoutEnd = 0, time.Time{}
	return nil
}

// knownWindow: an IP or browser that signed in to an account is trusted by
// its lockout rules this long.
const knownWindow = 90 * 24 * time.Hour

// knownIP reports whether ip (an ipKey) has signed in to the account
// within knownWindow.
func (s *Service) knownIP(ctx context.Context, userID, ip string) (bool, error) {
	n, _, err := s.store.PeekRateLimit(ctx, rateLimitKey("known-ip", userID+"|"+ip), s.now())
	if err != nil {
		return false, internal(err)
	}
	return n > 0, nil
}

// knownDevice reports whether the browser's device cookie has signed in
// to the account within knownWindow.
func (s *Service) knownDevice(ctx context.Context, userID, device string) (bool, error) {
	if device == "" {
		return false, nil
	}
	n, _, err := s.store.PeekRateLimit(ctx, rateLimitKey("known-device", userID+"|"+device), s.now())
	if err != nil {
		return false, internal(err)
	}
	return n > 0, nil
}

// rememberClient marks c's IP and browser as ones the user signs in from.
func (s *Service) rememberClient(ctx context.Context, userID string, c Client) {
	keys := []string{rateLimitKey("known-ip", userID+"|"+ipKey(c.IP))}
	if c.Device != "" {
		keys = append(keys, rateLimitKey("known-device", userID+"|"+c.Device))
	}
	for _, k := range keys {
		if _, _, err := s.store.HitRateLimit(ctx, k, knownWindow, s.now()); err != nil {
			s.log.WarnContext(ctx, "known sign-in place not recorded", "err", err)
		}
	}
}

// rememberIP marks ip as one the user signs in from.
func (s *Service) rememberIP(ctx context.Context, userID, ip string) {
	if _, _, err := s.store.HitRateLimit(ctx, rateLimitKey("known-ip", userID+"|"+ip), knownWindow, s.now()); err != nil {
		s.log.WarnContext(ctx, "known IP not recorded", "err", err)
	}
}

// source is where a password attempt comes from, as the lockout rules see
// it (AUTH-03, AUTH-04).
type source struct {
	// device: the browser's device cookie signed in to the account before.
	// Its attempts count towards the account's own lockout — only the
	// owner's browsers can spend it — and it is not held up by strangers'
	// throttles.
	device bool
	// knownIP: the address signed in to the account before (people behind
	// the owner's NAT share it). It is not held up by a distributed attack
	// and its hashes go first (REL-12).
	knownIP bool
}

// reserveSourceAttempt counts a password attempt for the address norm from
// ip before the hash (AUTH-04), for an account or for none alike (the
// same work and the same answers either way, AUTH-01/02). It returns the
// rate-limit key to reset on success ("" for none), or ErrLockedOut while
// a budget is spent: the budget of this address from this IP
// (LoginFailuresPerIPAccount) and, for IPs that never signed in to the
// account, the address's budget over all of them
// (LoginFailuresPerAccountUnknownIPs, a distributed attack; the owner is
// mailed when it runs out).
func (s *Service) reserveSourceAttempt(ctx context.Context, c Client, u *User, norm, ip string, src source) (string, error) {
	now := s.now()
	s.maybeCleanRateLimits(ctx, now)
	// Known or not, an IP has the same budget per address: a different one
	// would tell people behind the owner's address that the account exists.
	l := s.opts.RateLimits.LoginFailuresPerIPAccount
	var reset string
	if l.Max > 0 {
		key := rateLimitKey("login-fail-ip-account", norm+"|"+ip)
		n, end, err := s.store.HitRateLimit(ctx, key, l.Window, now)
		if err != nil {
			return "", internal(err)
		}
		if n > l.Max {
			return "", lockedOut(max(end.Sub(now), time.Second))
		}
		reset = key
	}
	if l := s.opts.RateLimits.LoginFailuresPerAccountUnknownIPs; !src.knownIP && l.Max > 0 {
		key := rateLimitKey("login-fail-account-unknown", norm)
		n, end, err := s.store.HitRateLimit(ctx, key, l.Window, now)
		if err != nil {
			return "", internal(err)
		}
		if n > l.Max {
			if n == l.Max+1 && u != nil {
				s.RecordEvent(ctx, u.ID, EventLockout, c, "many failures from unknown addresses")
				cat := s.catalogFor(ctx, u)
				d := s.eventData(ctx, cat, u, c)
				d.Link = s.link("/account/forgot-password", nil)
				d.Notice = noticeText(cat, "mail-notice.unknown_ips", "expires", end.Sub(now))
				s.sendMail(ctx, cat, mail.SecurityNotice, d)
			}
			return "", lockedOut(max(end.Sub(now), time.Second))
		}
	}
	return reset, nil
}

// loginFailedFromIP counts a failed sign-in against the IP (over every
// account: credential stuffing, AUTH-04) and returns the generic failure.
func (s *Service) loginFailedFromIP(ctx context.Context, ip string) error {
	if _, _, err := s.hit(ctx, "login-fail-ip", ip, s.opts.RateLimits.LoginFailuresPerIP); err != nil {
		return err
	}
	return ErrInvalidLogin
}
