package identity

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/mileusna/useragent"

	"github.com/accountportal/portal/messages"
	"github.com/accountportal/portal/store"
)

// Session is one signed-in browser (the registry row).
type Session = store.Session

// touchResolution: a session's last-seen time is written at most this
// often, so a busy user does not cost a write per request.
const touchResolution = time.Minute

// SessionOptions describe a sign-in.
type SessionOptions struct {
	// Remember ("remember me"): the session lasts RememberMeLifetime and
	// has no idle timeout.
	Remember bool
	// Remembered2FA: this browser skips the second factor.
	Remembered2FA bool
	// Method names how the user signed in, for the timeline ("" = password).
	Method string
}

// StartSession registers a new signed-in session for u. Without "remember
// me" it ends after SessionLifetime, or SessionIdleTimeout without requests
// (SES-02).
func (s *Service) StartSession(ctx context.Context, u *User, c Client, o SessionOptions) (*Session, error) {
	now := s.now()
	remember := o.Remember
	life := s.opts.SessionLifetime
	if remember {
		life = s.opts.RememberMeLifetime
	}
	x := &Session{
		ID: randomID(), UserID: u.ID, Stamp: u.SecurityStamp, Remember: remember, Remembered2FA: o.Remembered2FA,
		IP: c.IP, UserAgent: c.UserAgent,
		CreatedAt: now, AuthAt: now, LastSeenAt: now, ExpiresAt: now.Add(life),
	}
	if err := s.store.CreateSession(ctx, x); err != nil {
		return nil, internal(err)
	}
	s.obs.SessionCreated()
	s.obs.SignIn(sessionMethod(o.Method), OutcomeOK)
	s.rememberClient(ctx, u.ID, c)
	detail := o.Method
	if remember {
		detail = strings.TrimPrefix(detail+", remember me", ", ")
	}
	x.SignInEvent = s.RecordEvent(ctx, u.ID, EventLogin, c, detail)
	s.maybeCleanSessions(ctx, now)
	return x, nil
}

// SessionUser returns the user and session of a registry id, if the
// session is still valid: not ended, within its absolute and idle limits,
// and holding the user's current security stamp. Otherwise it removes the
// session and returns ErrSessionEnded. It records activity at most once a
// minute (or when the IP changes).
func (s *Service) SessionUser(ctx context.Context, sid string, c Client) (*User, *Session, error) {
	if sid == "" {
		return nil, nil, ErrSessionEnded
	}
	now := s.now()
	// The epoch first, then the row: a row read after the epoch showed n
	// is at least as new as n (sessionCache).
	epoch, epochErr := s.store.AuthEpoch(ctx)
	u, x, cached := (*User)(nil), (*Session)(nil), false
	if epochErr == nil {
		u, x, cached = s.sessions.get(sid, epoch, now)
	}
	if !cached {
		var err error
		x, u, err = s.store.FindSession(ctx, sid)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil, ErrSessionEnded
		}
		if err != nil {
			return nil, nil, internal(err)
		}
	}
	if s.sessionExpired(x, now) || x.Stamp != u.SecurityStamp {
		s.sessions.drop(sid)
		if err := s.store.DeleteSession(ctx, x.UserID, x.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, nil, internal(err)
		}
		return nil, nil, ErrSessionEnded
	}
	if now.Sub(x.LastSeenAt) >= touchResolution || (c.IP != "" && c.IP != x.IP) {
		if err := s.store.TouchSession(ctx, x.ID, now, c.IP, c.UserAgent); err != nil {
			return nil, nil, internal(err)
		}
		x.LastSeenAt, x.IP, x.UserAgent = now, c.IP, c.UserAgent
		if cached {
			s.sessions.touched(x)
		}
	}
	if !cached && epochErr == nil {
		s.sessions.put(sid, epoch, u, x, now)
	}
	return u, x, nil
}

func (s *Service) sessionExpired(x *Session, now time.Time) bool {
	if !now.Before(x.ExpiresAt) {
		return true
	}
	return !x.Remember && !now.Before(x.LastSeenAt.Add(s.opts.SessionIdleTimeout))
}

// EndSession signs one session out (sign-out). An unknown id is not an
// error: the session is over either way.
func (s *Service) EndSession(ctx context.Context, c Client, userID, sid string) error {
	if err := s.store.DeleteSession(ctx, userID, sid); err != nil && !errors.Is(err, store.ErrNotFound) {
		return internal(err)
	}
	s.RecordEvent(ctx, userID, EventLogout, c, "")
	return nil
}

// EndUserSession ends one of the user's own sessions from the sessions
// page. Another user's session id is ENOTFOUND (ACC-03).
func (s *Service) EndUserSession(ctx context.Context, c Client, userID, sid string) error {
	err := s.store.DeleteSession(ctx, userID, sid)
	if errors.Is(err, store.ErrNotFound) {
		return errKey(ENOTFOUND, "errors.session_not_found")
	}
	if err != nil {
		return internal(err)
	}
	s.RecordEvent(ctx, userID, EventSessionEnded, c, "")
	return nil
}

// EndOtherSessions ends every session of the user but keepSID.
func (s *Service) EndOtherSessions(ctx context.Context, c Client, userID, keepSID string) error {
	if err := s.store.DeleteOtherSessions(ctx, userID, keepSID); err != nil {
		return internal(err)
	}
	s.RecordEvent(ctx, userID, EventOtherSessionsEnded, c, "")
	return nil
}

// ListSessions returns the user's live sessions, most recently seen first.
func (s *Service) ListSessions(ctx context.Context, userID string) ([]*Session, error) {
	all, err := s.store.ListSessions(ctx, userID)
	if err != nil {
		return nil, internal(err)
	}
	now := s.now()
	live := all[:0]
	for _, x := range all {
		if !s.sessionExpired(x, now) {
			live = append(live, x)
		}
	}
	return live, nil
}

// NeedsReauth reports whether a sensitive action in session x needs the
// user to authenticate again: the last authentication is older than the
// re-authentication window (SES-05). "Remember me" does not extend it.
func (s *Service) NeedsReauth(x *Session) bool {
	return x == nil || !s.now().Before(x.AuthAt.Add(s.opts.ReauthWindow))
}

// NeedsReauthWithCode is NeedsReauth for changes to the second factor
// itself (disable, reset, new recovery codes): a session that skipped the
// code at sign-in ("remember this browser") must confirm with password and
// code first, so that a remembered browser alone cannot turn 2FA off
// (MFA-05).
func (s *Service) NeedsReauthWithCode(x *Session) bool {
	return s.NeedsReauth(x) || x.Remembered2FA
}

// ReauthWindow is how long an authentication allows sensitive actions.
func (s *Service) ReauthWindow() time.Duration { return s.opts.ReauthWindow }

// ErrIncorrectPassword is the answer to a wrong current password (the user
// is known, so it can say so).
var ErrIncorrectPassword = fieldErr("password", "errors.incorrect_password")

// Reauthenticate checks the signed-in user's password again — and, with
// 2FA on, a code from the authenticator app (MFA-05) — and, if right,
// records the time on the session. An account without a password confirms
// with its code alone (or through its provider, ReauthenticateExternal);
// without either it cannot re-authenticate here. Password and code go
// through the guarded paths of sign-in: counted before they are checked,
// the lock enforced, rate-limited (MFA-03, SES-05, PWD-05).
func (s *Service) Reauthenticate(ctx context.Context, c Client, u *User, x *Session, password, code string) error {
	switch {
	case u.PasswordHash != "":
		if err := s.checkCurrentPassword(ctx, c, u, password, "password"); err != nil {
			s.RecordEvent(ctx, u.ID, EventReauthFailed, c, "")
			return err
		}
	case !u.TwoFactorEnabled:
		return fieldErr("password", "errors.no_password")
	}
	if u.TwoFactorEnabled {
		if err := s.checkTOTPField(ctx, c, u, code); err != nil {
			s.RecordEvent(ctx, u.ID, EventReauthFailed, c, "wrong code")
			return err
		}
	}
	s.RecordEvent(ctx, u.ID, EventReauthenticated, c, "")
	now := s.now()
	if err := s.store.SetSessionAuth(ctx, x.ID, now, u.TwoFactorEnabled); err != nil {
		return internal(err)
	}
	x.AuthAt = now
	if u.TwoFactorEnabled {
		x.Remembered2FA = false
	}
	return nil
}

// checkTOTPField checks a signed-in user's authenticator code through
// checkCode; the errors are field errors on "code".
func (s *Service) checkTOTPField(ctx context.Context, c Client, u *User, code string) error {
	if _, ok := normalizeTOTP(code); !ok {
		return ErrInvalidCode // not a guess: nothing to count
	}
	_, err := s.checkCode(ctx, c, u, func(u *User) error { return s.verifyTOTP(ctx, u, code) })
	if errors.Is(err, ErrLockedOut) {
		return fieldErr("code", "errors.too_many_codes")
	}
	return err
}

// checkCurrentPassword verifies the signed-in user's password. The attempt
// is counted before the hash like a sign-in's (AUTH-04); a locked account
// fails even with the right password. The right password takes its count
// back: with 2FA on, the codes' count stays as it was (a known password
// buys no code guesses, MFA-03); without, it resets as a sign-in does. The
// error is a field error on field.
func (s *Service) checkCurrentPassword(ctx context.Context, c Client, u *User, password, field string) error {
	if u.PasswordHash == "" {
		return fieldErr(field, "errors.no_password")
	}
	after, err := s.reserveAttempt(ctx, c, u, "password")
	if errors.Is(err, ErrLockedOut) {
		return fieldErr(field, "errors.too_many_passwords")
	}
	if err != nil {
		return err
	}
	// A signed-in user is served before anonymous sign-ins (REL-12).
	ok, _, err := s.hasher.Verify(WithHashPriority(ctx), NormalizePassword(password), after.PasswordHash)
	if err != nil {
		return err
	}
	if !ok {
		s.attemptFailed(ctx, c, after, factorPassword)
		if IsLockedOut(after, s.now()) {
			return fieldErr(field, "errors.too_many_passwords")
		}
		return fieldErr(field, "errors.incorrect_password")
	}
	count, never := 0, time.Time{}
	if after.TwoFactorEnabled {
		count = max(after.AccessFailedCount-1, 0)
	}
	if err := s.store.UpdateUser(ctx, u.ID, store.UserUpdate{AccessFailedCount: &count, LockoutEnd: &never, UpdatedAt: s.now()}); err != nil {
		return internal(err)
	}
	u.AccessFailedCount, u.LockoutEnd = count, never
	return nil
}

// maybeCleanSessions removes ended sessions from the registry, at most
// once an hour.
func (s *Service) maybeCleanSessions(ctx context.Context, now time.Time) {
	last := s.lastSessionCleanup.Load()
	if now.Unix()-last < 3600 || !s.lastSessionCleanup.CompareAndSwap(last, now.Unix()) {
		return
	}
	if err := s.store.DeleteExpiredSessions(ctx, now, now.Add(-s.opts.SessionIdleTimeout)); err != nil {
		s.log.WarnContext(ctx, "session cleanup failed", "err", err)
	}
}

// randomID is an opaque 128-bit handle.
func randomID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// DescribeUserAgent makes a User-Agent readable: "Firefox on Linux",
// "Safari on iOS". Unrecognised agents are "Unknown browser". The words
// are the built-in wording (DescribeUserAgentText: the catalogue's).
func DescribeUserAgent(ua string) string { return DescribeUserAgentText(ua, nil) }

// DescribeUserAgentText is DescribeUserAgent in the catalogue c (nil: the
// built-in wording).
func DescribeUserAgentText(ua string, c *messages.Catalog) string {
	if ua == "" {
		return c.T("device.unknown")
	}
	p := useragent.Parse(ua)
	name := p.Name
	switch {
	case p.Bot:
		if name == "" {
			name = c.T("device.bot")
		}
		return name
	case name == "":
		name = c.T("device.unknown")
	}
	if p.OS != "" {
		return c.T("device.on_os", "browser", name, "os", p.OS)
	}
	return name
}
