package identity

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Limit allows Max events per Window.
type Limit struct {
	Max    int
	Window time.Duration
}

// RateLimits are the limits of the mail flows (SECURITY.md §3.3). The
// abuse-protection issue widens them to every action and makes them
// configurable.
type RateLimits struct {
	// Requests per IP to ask for a mail (forgot password, resend
	// confirmation): over it, 429.
	MailRequestsPerIP Limit
	// Mails per address and purpose: over it, the request is answered as
	// usual but no mail is sent (RST-05: no inbox flooding, and the
	// answer reveals nothing).
	MailsPerAccount Limit
	// Link submissions (confirm, reset, confirm email change) per IP:
	// guessing tokens meets 429 (REG-03, RST-02).
	LinkSubmissionsPerIP Limit
	// Email change requests per account.
	EmailChangesPerAccount Limit
}

// DefaultRateLimits are the production values.
var DefaultRateLimits = RateLimits{
	MailRequestsPerIP:      Limit{Max: 20, Window: time.Hour},
	MailsPerAccount:        Limit{Max: 3, Window: time.Hour},
	LinkSubmissionsPerIP:   Limit{Max: 20, Window: 10 * time.Minute},
	EmailChangesPerAccount: Limit{Max: 5, Window: time.Hour},
}

// rateLimitKey keeps subjects (addresses, IPs) out of the table: only a
// hash is stored.
func rateLimitKey(action, subject string) string {
	h := sha256.Sum256([]byte(subject))
	return action + ":" + hex.EncodeToString(h[:16])
}

// hit counts one event and reports whether it is within l, and when to
// retry if not.
func (s *Service) hit(ctx context.Context, action, subject string, l Limit) (ok bool, retryAfter time.Duration, err error) {
	now := s.now()
	s.maybeCleanRateLimits(ctx, now)
	n, end, err := s.store.HitRateLimit(ctx, rateLimitKey(action, subject), l.Window, now)
	if err != nil {
		return false, 0, internal(err)
	}
	if n > l.Max {
		return false, max(end.Sub(now), time.Second), nil
	}
	return true, 0, nil
}

// limit is hit that turns an exceeded limit into an ERATELIMIT error.
func (s *Service) limit(ctx context.Context, action, subject string, l Limit) error {
	ok, retry, err := s.hit(ctx, action, subject, l)
	if err != nil {
		return err
	}
	if !ok {
		return &Error{Code: ERATELIMIT, Message: "Too many attempts. Please wait a little and try again.", RetryAfter: retry}
	}
	return nil
}

// maybeCleanRateLimits forgets ended windows, at most once an hour.
func (s *Service) maybeCleanRateLimits(ctx context.Context, now time.Time) {
	last := s.lastRateLimitCleanup.Load()
	if now.Unix()-last < 3600 || !s.lastRateLimitCleanup.CompareAndSwap(last, now.Unix()) {
		return
	}
	if err := s.store.DeleteExpiredRateLimits(ctx, now.Add(-time.Minute)); err != nil {
		s.log.WarnContext(ctx, "rate limit cleanup failed", "err", err)
	}
}
