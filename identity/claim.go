package identity

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/accountportal/portal/store"
)

// EventUnconfirmedCredentialsRemoved: the owner proved the address of an
// account that was not confirmed yet, from a browser other than the one
// that created it, and the sign-in methods set up before were removed.
const EventUnconfirmedCredentialsRemoved = "unconfirmed_credentials_removed"

// removeCreatorCredentials is what happens when the real owner proves the
// address of an account that was not confirmed (OIDC-03, ACC-04): whoever
// created the account may not have been the owner, so every sign-in
// method they set up goes — the external logins, two-factor
// authentication (key, recovery codes) and, with withPassword, the
// password. The stamp rotates in the same write, which ends every session
// and forgets every remembered browser; keepSID stays (the owner's). The
// owner is told what was removed. It returns the names of what was
// removed (empty when nothing was).
func (s *Service) removeCreatorCredentials(ctx context.Context, c Client, u *User, withPassword bool, keepSID string) ([]string, error) {
	// removed names them for the security history; told, for the mail
	// (in the owner's language).
	var removed []string
	cat := s.catalogFor(ctx, u)
	var told []string
	ls, err := s.store.ListExternalLogins(ctx, u.ID)
	if err != nil {
		return nil, internal(err)
	}
	for _, l := range ls {
		if err := s.store.DeleteExternalLogin(ctx, u.ID, l.Provider, l.Subject); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, internal(err)
		}
		removed = append(removed, "the "+l.Provider+" login")
		told = append(told, cat.T("mail-notice.removed_login", "provider", l.Provider))
		s.RecordEvent(ctx, u.ID, EventExternalLoginRemoved, c, l.Provider)
	}
	stamp, no, none := newStamp(), false, []byte{}
	upd := store.UserUpdate{SecurityStamp: &stamp, KeepSessionID: keepSID, UpdatedAt: s.now()}
	if u.TwoFactorEnabled || len(u.AuthenticatorKey) > 0 {
		upd.TwoFactorEnabled, upd.AuthenticatorKey = &no, &none
		if u.TwoFactorEnabled {
			removed = append(removed, "two-factor authentication")
			told = append(told, cat.T("mail-notice.removed_2fa"))
		}
	}
	if err := s.store.ReplaceRecoveryCodes(ctx, u.ID, nil, s.now()); err != nil {
		return nil, internal(err)
	}
	if withPassword && u.PasswordHash != "" {
		empty := ""
		upd.PasswordHash = &empty
		removed = append(removed, "the password")
		told = append(told, cat.T("mail-notice.removed_password"))
	}
	if err := s.store.UpdateUser(ctx, u.ID, upd); err != nil {
		return nil, internal(err)
	}
	u.SecurityStamp, u.TwoFactorEnabled = stamp, false
	if upd.AuthenticatorKey != nil {
		u.AuthenticatorKey = nil
	}
	if upd.PasswordHash != nil {
		u.PasswordHash = ""
	}
	if len(removed) > 0 {
		s.RecordEvent(ctx, u.ID, EventUnconfirmedCredentialsRemoved, c, strings.Join(removed, ", "))
		s.notify(ctx, u, c, "mail-notice.credentials_removed", "removed", strings.Join(told, cat.T("mail-notice.list_separator")))
	}
	return removed, nil
}

// ConfirmResult says what ConfirmEmail did.
type ConfirmResult struct {
	User *User
	// ResetCode, when set, is a fresh password-reset code for the account:
	// its password was removed (the link was opened away from the browser
	// that created the account) and the person who just proved the
	// address may choose one at once.
	ResetCode string
	// Removed names the sign-in methods removed.
	Removed []string
}

// resetLinkFor issues a reset code for u (the caller has proven the
// address) and returns it.
func (s *Service) resetCodeFor(ctx context.Context, u *User) (string, error) {
	return s.issueToken(ctx, u, PurposeResetPassword, "", "", s.opts.ResetPasswordLifetime)
}

// ResetPasswordPath is the page a ResetCode is used on.
func ResetPasswordPath(code string) string {
	return "/account/reset-password?" + url.Values{"code": {code}}.Encode()
}

// CreatorMark is the value of a cookie that marks the browser that
// registered userID: a MAC over the id (RememberKey, its own label), so a
// confirmation opened there keeps the password chosen at registration.
// For an answer that created no account ("" id) it is random, of the same
// length, so the cookie tells nothing (REG-01).
func (s *Service) CreatorMark(userID string) string {
	if userID == "" {
		b := make([]byte, sha256.Size)
		if _, err := rand.Read(b); err != nil {
			panic(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return s.creatorMAC(userID)
}

func (s *Service) creatorMAC(userID string) string {
	m := hmac.New(sha256.New, s.opts.RememberKey)
	m.Write([]byte("portal-account-creator\x00" + userID))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// IsCreatorMark reports whether mark (the cookie) marks the browser that
// registered userID.
func (s *Service) IsCreatorMark(userID, mark string) bool {
	return userID != "" && mark != "" && hmac.Equal([]byte(mark), []byte(s.creatorMAC(userID)))
}

// ConfirmEmailLifetime is how long a confirmation link works.
func (s *Service) ConfirmEmailLifetime() time.Duration { return s.opts.ConfirmEmailLifetime }
