package identity

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Limit allows Max events per Window.
type Limit struct {
	Max    int
	Window time.Duration
}

// RateLimits are Portal's rate limits, on by default (docs/security.md, Parameters;
// AUTH-03/04, RST-05). A limit with Max 0 is off. Each has a name for
// configuration (--rate-limits name=N/duration,…).
type RateLimits struct {
	// login-ip: sign-in attempts per IP (any outcome): over it, 429.
	LoginPerIP Limit
	// login-fail-ip: failed sign-ins per IP, over all accounts (credential
	// stuffing, AUTH-04): over it, 429.
	LoginFailuresPerIP Limit
	// login-fail-ip-account: sign-in attempts to one address from one IP
	// (counted before the password is checked; a success starts again):
	// over it that IP is refused for that address until the window ends —
	// the attacker slows down, the account does not lock (no lockout
	// denial of service), and the owner's browsers are not held up.
	LoginFailuresPerIPAccount Limit
	// login-fail-account-unknown: failed sign-ins to one account from IPs
	// that never signed in to it, from everywhere: over it the account
	// locks (a distributed attack).
	LoginFailuresPerAccountUnknownIPs Limit
	// register-ip: registrations per IP.
	RegistrationsPerIP Limit
	// second-factor-ip: 2FA and recovery codes per IP.
	SecondFactorPerIP Limit
	// mail-request-ip: requests for a mail (forgot password, resend
	// confirmation) per IP: over it, 429.
	MailRequestsPerIP Limit
	// mails-account: mails per address and purpose: over it the request is
	// answered as usual but no mail is sent (RST-05).
	MailsPerAccount Limit
	// link-ip: link submissions (confirm, reset, confirm email change) per
	// IP: guessing tokens meets 429 (REG-03, RST-02).
	LinkSubmissionsPerIP Limit
	// email-change-account: email change requests per account.
	EmailChangesPerAccount Limit
	// export-account: personal-data exports per account (PRIV-01).
	ExportsPerAccount Limit

	// set marks limits that were configured (ParseRateLimits,
	// NoRateLimits): Options takes them as they are, even when every limit
	// is off. Only the zero value means "the defaults".
	set bool
}

// NoRateLimits turns every limit off (--rate-limits with every name =0):
// for tests and for operators who limit in front of Portal.
var NoRateLimits = RateLimits{set: true}

// AllOff reports whether every limit is off.
func (r RateLimits) AllOff() bool {
	for _, l := range r.fields() {
		if l.Max > 0 {
			return false
		}
	}
	return true
}

// DefaultRateLimits are the production values.
var DefaultRateLimits = RateLimits{
	LoginPerIP:                        Limit{Max: 100, Window: time.Hour},
	LoginFailuresPerIP:                Limit{Max: 20, Window: 10 * time.Minute},
	LoginFailuresPerIPAccount:         Limit{Max: 5, Window: 15 * time.Minute},
	LoginFailuresPerAccountUnknownIPs: Limit{Max: 50, Window: time.Hour},
	RegistrationsPerIP:                Limit{Max: 10, Window: time.Hour},
	SecondFactorPerIP:                 Limit{Max: 20, Window: 10 * time.Minute},
	MailRequestsPerIP:                 Limit{Max: 20, Window: time.Hour},
	MailsPerAccount:                   Limit{Max: 3, Window: time.Hour},
	LinkSubmissionsPerIP:              Limit{Max: 20, Window: 10 * time.Minute},
	EmailChangesPerAccount:            Limit{Max: 5, Window: time.Hour},
	ExportsPerAccount:                 Limit{Max: 1, Window: 10 * time.Minute},
}

// rateLimitFields maps each limit's configuration name to its field.
func (r *RateLimits) fields() map[string]*Limit {
	return map[string]*Limit{
		"login-ip": &r.LoginPerIP, "login-fail-ip": &r.LoginFailuresPerIP,
		"login-fail-ip-account": &r.LoginFailuresPerIPAccount, "login-fail-account-unknown": &r.LoginFailuresPerAccountUnknownIPs,
		"register-ip": &r.RegistrationsPerIP, "second-factor-ip": &r.SecondFactorPerIP,
		"mail-request-ip": &r.MailRequestsPerIP, "mails-account": &r.MailsPerAccount,
		"link-ip": &r.LinkSubmissionsPerIP, "email-change-account": &r.EmailChangesPerAccount,
		"export-account": &r.ExportsPerAccount,
	}
}

// RateLimitNames lists the configurable limits.
func RateLimitNames() []string {
	var r RateLimits
	names := make([]string, 0, 16)
	for n := range r.fields() {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ParseRateLimits applies a spec like "login-ip=50/1h,register-ip=0" to the
// defaults: name=N/duration sets a limit, name=0 turns it off. Turning
// every one off is kept as such, not taken for "the defaults".
func ParseRateLimits(spec string) (RateLimits, error) {
	r := DefaultRateLimits
	r.set = true
	fields := r.fields()
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, val, ok := strings.Cut(item, "=")
		f, known := fields[strings.TrimSpace(name)]
		if !ok || !known {
			return r, fmt.Errorf("rate limit %q: want name=N/duration with name one of %s", item, strings.Join(RateLimitNames(), ", "))
		}
		val = strings.TrimSpace(val)
		if val == "0" || val == "off" {
			*f = Limit{}
			continue
		}
		n, d, ok := strings.Cut(val, "/")
		max, err1 := strconv.Atoi(n)
		win, err2 := time.ParseDuration(d)
		if !ok || err1 != nil || err2 != nil || max < 1 || win <= 0 {
			return r, fmt.Errorf("rate limit %q: want N/duration, e.g. 20/10m, or 0 for off", item)
		}
		*f = Limit{Max: max, Window: win}
	}
	return r, nil
}

// Set implements flag.Value: ParseRateLimits.
func (r *RateLimits) Set(spec string) error {
	v, err := ParseRateLimits(spec)
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// String is the spec of the limits that differ from the defaults
// ("name=N/duration" or "name=0"); "" for the defaults.
func (r *RateLimits) String() string {
	if r == nil || *r == (RateLimits{}) {
		return ""
	}
	def := DefaultRateLimits
	defs := def.fields()
	var out []string
	for name, l := range r.fields() {
		switch {
		case *l == *defs[name]:
		case l.Max == 0:
			out = append(out, name+"=0")
		default:
			out = append(out, fmt.Sprintf("%s=%d/%v", name, l.Max, l.Window))
		}
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// check refuses limits set from Go that cannot work.
func (r RateLimits) check() error {
	for name, l := range r.fields() {
		if l.Max < 0 || (l.Max > 0 && l.Window <= 0) {
			return fmt.Errorf("rate limit %s: %d per %v: want N ≥ 1 per a positive duration, or 0 for off", name, l.Max, l.Window)
		}
	}
	return nil
}

// rateLimitKey keeps subjects (addresses, IPs) out of the table: only a
// hash is stored.
func rateLimitKey(action, subject string) string {
	h := sha256.Sum256([]byte(subject))
	return action + ":" + hex.EncodeToString(h[:16])
}

// hit counts one event and reports whether it is within l, and when to
// retry if not. A limit that is off always allows.
func (s *Service) hit(ctx context.Context, action, subject string, l Limit) (ok bool, retryAfter time.Duration, err error) {
	if l.Max <= 0 {
		return true, 0, nil
	}
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

// over reports, without counting, whether subject has used up l (and
// when the window ends).
func (s *Service) over(ctx context.Context, action, subject string, l Limit) (bool, time.Duration, error) {
	if l.Max <= 0 {
		return false, 0, nil
	}
	now := s.now()
	n, end, err := s.store.PeekRateLimit(ctx, rateLimitKey(action, subject), now)
	if err != nil {
		return false, 0, internal(err)
	}
	return n >= l.Max, max(end.Sub(now), time.Second), nil
}

// errRateLimited is the 429 answer, with when to retry.
func errRateLimited(retry time.Duration) error {
	e := errKey(ERATELIMIT, "errors.too_many_attempts")
	e.RetryAfter = retry
	return e
}

// ipKey is the rate-limit subject of an IP: the address for IPv4, the /64
// network for IPv6 (one subscriber usually has a whole /64).
func ipKey(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil || addr.Is4() || addr.Is4In6() {
		return ip
	}
	p, err := addr.Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}

// limit is hit that turns an exceeded limit into an ERATELIMIT error.
func (s *Service) limit(ctx context.Context, action, subject string, l Limit) error {
	ok, retry, err := s.hit(ctx, action, subject, l)
	if err != nil {
		return err
	}
	if !ok {
		s.refused(action)
		return errRateLimited(retry)
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
