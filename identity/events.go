package identity

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"

	"github.com/accountportal/portal/store"
)

// Event is one entry of an account's security timeline.
type Event = store.Event

// Event kinds. Every security-relevant action records one (LOG-01); the
// security page and the personal-data export show them.
const (
	EventRegister             = "register"
	EventRegisterAttempt      = "register_attempt" // someone tried to register the owner's address (the account is not new)
	EventEmailConfirmed       = "email_confirmed"
	EventLogin                = "login"
	EventLoginFailed          = "login_failed"
	EventLockout              = "lockout"
	EventLogout               = "logout"
	EventReauthenticated      = "reauthenticated"
	EventReauthFailed         = "reauth_failed"
	EventPasswordChanged      = "password_changed"
	EventPasswordSet          = "password_set"
	EventPasswordRemoved      = "password_removed" // the account signs in with passkeys only (issue 21)
	EventPasswordResetRequest = "password_reset_requested"
	EventPasswordReset        = "password_reset"
	EventEmailChangeRequested = "email_change_requested"
	EventEmailChanged         = "email_changed"
	EventProfileUpdated       = "profile_updated"
	EventSessionEnded         = "session_ended"
	EventOtherSessionsEnded   = "other_sessions_ended"
	EventNotMe                = "not_me"
	EventPersonalDataDownload = "personal_data_downloaded"
	Event2FAEnabled           = "2fa_enabled"
	Event2FADisabled          = "2fa_disabled"
	Event2FAReset             = "2fa_reset"
	EventRecoveryCodeUsed     = "recovery_code_used"
	EventRecoveryCodesRenewed = "recovery_codes_regenerated"
	EventExternalLoginLinked  = "external_login_linked"
	EventExternalLoginRemoved = "external_login_removed"
	EventAccountDeleted       = "account_deleted"    // logged only: the timeline goes with the account
	EventAppAllowed           = "app_allowed"        // consent to an OpenID Connect client (detail: its name)
	EventAppAccessRemoved     = "app_access_removed" // the person removed a connected app
	EventPasskeyAdded         = "passkey_added"
	EventPasskeyRemoved       = "passkey_removed"
	EventPasskeyCloned        = "passkey_clone_warning" // a sign-in refused: the counter went backwards
)

// RecordEvent appends a security event to the user's timeline and writes
// one structured log line for it (LOG-01: who, what, when, where; never a
// secret). A failure to record is logged, not returned: the action it
// describes has already happened. It returns the event's id (0 when it
// was not recorded).
func (s *Service) RecordEvent(ctx context.Context, userID, kind string, c Client, detail string) int64 {
	e := &Event{UserID: userID, Kind: kind, IP: c.IP, UserAgent: c.UserAgent, Detail: detail, CreatedAt: s.now()}
	s.log.InfoContext(ctx, "security event", "event", kind, "user", userID, "ip", c.IP, "user_agent", c.UserAgent)
	s.observeEvent(kind)
	if err := s.store.AddEvent(ctx, e); err != nil {
		s.log.ErrorContext(ctx, "security event not recorded", "event", kind, "user", userID, "err", err)
		return 0
	}
	return e.ID
}

// logAnonymous logs an event about no known account, with the address
// hashed (LOG-01: a hashed identifier for unknown users).
func (s *Service) logAnonymous(ctx context.Context, kind, email string, c Client) {
	m := hmac.New(sha256.New, s.opts.LogKey)
	m.Write([]byte(NormalizeEmail(email)))
	s.log.InfoContext(ctx, "security event", "event", kind, "unknown_account", hex.EncodeToString(m.Sum(nil))[:16], "ip", c.IP, "user_agent", c.UserAgent)
}

// EventsPageSize is the number of events on one page of the timeline.
const EventsPageSize = 20

// ListEvents returns page (from 1) of the user's timeline, newest first,
// and whether there is a next page.
func (s *Service) ListEvents(ctx context.Context, userID string, page int) ([]*Event, bool, error) {
	page = max(page, 1)
	evs, err := s.store.ListEvents(ctx, userID, (page-1)*EventsPageSize, EventsPageSize+1)
	if err != nil {
		return nil, false, internal(err)
	}
	more := len(evs) > EventsPageSize
	if more {
		evs = evs[:EventsPageSize]
	}
	return evs, more, nil
}

// NotMeEvent returns the user's sign-in event that "This wasn't me" may
// disown: the user's own (ACC-03), a sign-in, and not ownEvent, the
// sign-in of the session that asks. Anything else is ENOTFOUND.
func (s *Service) NotMeEvent(ctx context.Context, userID string, ownEvent, eventID int64) (*Event, error) {
	e, err := s.store.FindEvent(ctx, userID, eventID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (!IsSignInEvent(e.Kind) || (ownEvent != 0 && e.ID == ownEvent))) {
		return nil, errKey(ENOTFOUND, "errors.event_not_found")
	}
	if err != nil {
		return nil, internal(err)
	}
	return e, nil
}

// IsSignInEvent reports whether kind is a sign-in (which gets a "This
// wasn't me" button).
func IsSignInEvent(kind string) bool { return kind == EventLogin }

// ThisWasntMe is the answer to a sign-in the user does not recognise: the
// security stamp rotates, which ends every other session and forgets every
// remembered browser, and only this session (keepSID) stays. The event must
// be the user's own sign-in (ACC-03: another user's id is ENOTFOUND), and
// not the sign-in of the session that asks (ownEvent, its SignInEvent):
// disowning one's own sign-in would keep the disowned session. The caller
// then sends the user to change their password.
//
// A passkey is not a session: one added since the disowned sign-in (by
// whoever signed in then) would still sign in. ThisWasntMe does not keep
// it silently (issue 21): it returns the names of the passkeys added
// since, for the page to name, and mails them to the owner.
func (s *Service) ThisWasntMe(ctx context.Context, c Client, u *User, keepSID string, ownEvent, eventID int64) ([]string, error) {
	e, err := s.NotMeEvent(ctx, u.ID, ownEvent, eventID)
	if err != nil {
		return nil, err
	}
	if _, err := s.RotateSecurityStamp(ctx, u.ID, keepSID); err != nil {
		return nil, err
	}
	s.RecordEvent(ctx, u.ID, EventNotMe, c, "")
	ps, err := s.store.ListPasskeys(ctx, u.ID)
	if err != nil {
		return nil, internal(err)
	}
	var since []string
	for _, p := range ps {
		if !p.CreatedAt.Before(e.CreatedAt) {
			since = append(since, p.Name)
		}
	}
	if len(since) > 0 {
		s.notifySignedOut(ctx, u, c, "mail-notice.not_me_passkeys", "names", strings.Join(since, s.catalogFor(ctx, u).T("mail-notice.list_separator")))
	}
	return since, nil
}
