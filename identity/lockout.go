package identity

import (
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
