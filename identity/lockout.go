package identity

import (
	"context"
	"time"

	"github.com/accountportal/portal/store"
)

// LockoutPolicy locks an account for Duration after Threshold failed
// passwords in a row. Unlike ASP.NET's default login page, failed passwords
// count (AUTH-03). A successful login resets the counter.
type LockoutPolicy struct {
	Threshold int           // failed passwords before a lockout; default 5
	Duration  time.Duration // default 5 minutes
}

// DefaultLockoutPolicy is Portal's default.
var DefaultLockoutPolicy = LockoutPolicy{Threshold: 5, Duration: 5 * time.Minute}

// IsLockedOut reports whether u is locked at now.
func IsLockedOut(u *store.User, now time.Time) bool {
	return !u.LockoutEnd.IsZero() && now.Before(u.LockoutEnd)
}

// failure is what one more failed password at now does to u: the store
// applies it atomically.
func (p LockoutPolicy) failure(now time.Time) store.LoginFailure {
	return store.LoginFailure{Threshold: p.Threshold, LockUntil: now.Add(p.Duration), Now: now}
}

// knownIPWindow: an IP that signed in to an account is trusted by its
// lockout rules this long.
const knownIPWindow = 90 * 24 * time.Hour

// knownIP reports whether ip (an ipKey) has signed in to the account
// within knownIPWindow.
func (s *Service) knownIP(ctx context.Context, userID, ip string) (bool, error) {
	n, _, err := s.store.PeekRateLimit(ctx, rateLimitKey("known-ip", userID+"|"+ip), s.now())
	if err != nil {
		return false, internal(err)
	}
	return n > 0, nil
}

// rememberIP marks ip as one the user signs in from.
func (s *Service) rememberIP(ctx context.Context, userID, ip string) {
	if _, _, err := s.store.HitRateLimit(ctx, rateLimitKey("known-ip", userID+"|"+ip), knownIPWindow, s.now()); err != nil {
		s.log.WarnContext(ctx, "known IP not recorded", "err", err)
	}
}

// countLoginFailure counts a wrong password for u from ip: towards the
// account's lockout from a known IP; otherwise towards that IP's budget
// for the account and the account's budget for unknown IPs, which locks
// the account only when exceeded (a distributed attack).
func (s *Service) countLoginFailure(ctx context.Context, c Client, u *User, ip string, known bool, now time.Time) error {
	if known {
		after, err := s.store.RecordLoginFailure(ctx, u.ID, s.opts.lockout().failure(now))
		if err != nil {
			return internal(err)
		}
		if IsLockedOut(after, now) {
			s.RecordEvent(ctx, u.ID, EventLockout, c, "")
		}
		return nil
	}
	if _, _, err := s.hit(ctx, "login-fail-ip-account", u.ID+"|"+ip, s.opts.RateLimits.LoginFailuresPerIPAccount); err != nil {
		return err
	}
	ok, _, err := s.hit(ctx, "login-fail-account-unknown", u.ID, s.opts.RateLimits.LoginFailuresPerAccountUnknownIPs)
	if err != nil {
		return err
	}
	if !ok && !IsLockedOut(u, now) {
		until := now.Add(s.opts.lockout().Duration)
		if err := s.store.UpdateUser(ctx, u.ID, store.UserUpdate{LockoutEnd: &until, UpdatedAt: now}); err != nil {
			return internal(err)
		}
		s.RecordEvent(ctx, u.ID, EventLockout, c, "many failures from unknown addresses")
	}
	return nil
}

// loginFailedFromIP counts a failed sign-in against the IP (over every
// account: credential stuffing, AUTH-04) and returns the generic failure.
func (s *Service) loginFailedFromIP(ctx context.Context, ip string) error {
	if _, _, err := s.hit(ctx, "login-fail-ip", ip, s.opts.RateLimits.LoginFailuresPerIP); err != nil {
		return err
	}
	return ErrInvalidLogin
}
