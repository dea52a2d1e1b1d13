package identity

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/accountportal/portal/store"
)

// A passkey where a known account must prove itself again (issue 21): as
// the second factor after a password, instead of the authenticator code,
// and to re-authenticate before a sensitive change. Both ceremonies name
// the account's passkeys (allowCredentials), require user verification,
// and are bound to what they complete: the ceremony's kind carries the
// pending sign-in's id or the session's id, so an answer cannot finish
// another sign-in or re-authenticate another session (MFA-06).

// Ceremony kinds bound to a pending sign-in and to a session.
const (
	ceremonySecondFactor = "second-factor"
	ceremonyReauth       = "reauth"
)

func secondFactorKind(p *PendingSignIn) string { return ceremonySecondFactor + ":" + p.ID }
func reauthKind(x *Session) string             { return ceremonyReauth + ":" + x.ID }

// ErrPasskeyWrong: in a step where the account is known (second factor,
// re-authentication), the answer did not verify as one of its passkeys.
// It counts as a wrong code would.
var ErrPasskeyWrong = errKey(EINVALID, "errors.passkey_rejected")

// HasPasskeys reports whether the account has a passkey usable here (for
// this relying party id).
func (s *Service) HasPasskeys(ctx context.Context, userID string) (bool, error) {
	if s.wa == nil {
		return false, nil
	}
	ps, err := s.store.ListPasskeys(ctx, userID)
	if err != nil {
		return false, internal(err)
	}
	for _, p := range ps {
		if p.RPID == s.wa.Config.RPID {
			return true, nil
		}
	}
	return false, nil
}

// beginPasskeyOf starts an assertion by one of u's passkeys, user
// verification required, stored under kind.
func (s *Service) beginPasskeyOf(ctx context.Context, c Client, u *User, kind string) (*PasskeyCeremony, error) {
	if s.wa == nil {
		return nil, ErrPasskeysOff
	}
	if err := s.limit(ctx, "passkey-begin-ip", ipKey(c.IP), s.opts.RateLimits.LoginPerIP); err != nil {
		return nil, err
	}
	pu, _, err := s.loadPasskeyUser(ctx, u)
	if err != nil {
		return nil, err
	}
	if len(pu.creds) == 0 {
		return nil, ErrPasskeyNotFound
	}
	assertion, data, err := s.wa.BeginLogin(pu, webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, internal(err)
	}
	return s.saveCeremony(ctx, kind, u.ID, data, assertion)
}

// verifyPasskeyOf finishes an assertion begun by beginPasskeyOf: the
// ceremony (consumed whatever the outcome) must be of this kind and
// account, the answer for this origin and RP id, signed by one of u's
// passkeys, with user verification and a counter that did not go
// backwards. A bad answer is ErrPasskeyWrong.
func (s *Service) verifyPasskeyOf(ctx context.Context, c Client, u *User, kind, ceremony string, response []byte) (*Passkey, error) {
	data, err := s.consumeCeremony(ctx, ceremony, kind, u.ID)
	if err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		s.log.InfoContext(ctx, "passkey answer unreadable", "user", u.ID, "err", describeWebAuthnErr(err))
		return nil, ErrPasskeyWrong
	}
	pu, mine, err := s.loadPasskeyUser(ctx, u)
	if err != nil {
		return nil, err
	}
	cred, err := s.wa.ValidateLogin(pu, *data, parsed)
	if err != nil {
		s.log.InfoContext(ctx, "passkey answer rejected", "user", u.ID, "err", describeWebAuthnErr(err))
		return nil, ErrPasskeyWrong
	}
	if !bytes.Equal(cred.ID, parsed.RawID) || !parsed.Response.AuthenticatorData.Flags.HasUserVerified() {
		return nil, ErrPasskeyWrong
	}
	id := base64.RawURLEncoding.EncodeToString(cred.ID)
	var stored *Passkey
	for _, p := range mine {
		if p.ID == id {
			stored = p
		}
	}
	if stored == nil {
		return nil, ErrPasskeyWrong
	}
	if err := s.passkeyUsed(ctx, c, u, stored, cred); err != nil {
		return nil, err
	}
	return stored, nil
}

// BeginPasskeySecondFactor starts the second step of pending sign-in p
// with one of the account's passkeys instead of the authenticator code.
func (s *Service) BeginPasskeySecondFactor(ctx context.Context, c Client, p *PendingSignIn) (*PasskeyCeremony, error) {
	if err := s.CheckPending(p); err != nil {
		return nil, err
	}
	u, err := s.pendingUser(ctx, p)
	if err != nil {
		return nil, err
	}
	return s.beginPasskeyOf(ctx, c, u, secondFactorKind(p))
}

// PasskeySecondFactor completes pending sign-in p with the answer to its
// passkey ceremony. It is guarded as every second step is (secondFactor:
// the pending sign-in's tries, the account's lockout, the per-IP limit);
// a wrong answer counts as a wrong code (ErrPasskeyWrong). The session's
// amr records the first factor and the passkey (pwd, hwk or swk, mfa).
func (s *Service) PasskeySecondFactor(ctx context.Context, c Client, p *PendingSignIn, ceremony string, response []byte) (*SignIn, error) {
	if s.wa == nil {
		return nil, ErrPasskeysOff
	}
	var used *Passkey
	u, err := s.secondFactor(ctx, c, p, func(u *User) error {
		var err error
		used, err = s.verifyPasskeyOf(ctx, c, u, secondFactorKind(p), ceremony, response)
		return err
	}, "")
	if err != nil {
		return nil, err
	}
	first := p.Method
	if first == "" {
		first = methodPassword
	}
	return &SignIn{User: u, Session: SessionOptions{Method: joinMethod(first, passkeyMethod(used))}}, nil
}

// methodPassword names the password as the first of two steps in a
// method ("password, passkey"); alone, the password is "".
const methodPassword = "password"

// BeginPasskeyReauth starts re-authenticating session x of u with one of
// u's passkeys.
func (s *Service) BeginPasskeyReauth(ctx context.Context, c Client, u *User, x *Session) (*PasskeyCeremony, error) {
	if x == nil {
		return nil, ErrSessionEnded
	}
	return s.beginPasskeyOf(ctx, c, u, reauthKind(x))
}

// ReauthenticateWithPasskey re-authenticates session x of u with the
// answer to its passkey ceremony (SES-05). A passkey with user
// verification is two factors: it stands for the password and the code
// (the session no longer counts as one that skipped the code), and it is
// the re-authentication of an account without a password. It returns
// the amr to record.
func (s *Service) ReauthenticateWithPasskey(ctx context.Context, c Client, u *User, x *Session, ceremony string, response []byte) ([]string, error) {
	if s.wa == nil {
		return nil, ErrPasskeysOff
	}
	if x == nil {
		return nil, ErrSessionEnded
	}
	if err := s.limit(ctx, "second-factor-ip", ipKey(c.IP), s.opts.RateLimits.SecondFactorPerIP); err != nil {
		return nil, err
	}
	used, err := s.verifyPasskeyOf(ctx, c, u, reauthKind(x), ceremony, response)
	if err != nil {
		detail := "passkey not verified"
		if errors.Is(err, ErrPasskeyCeremony) {
			detail = "passkey request expired"
		}
		s.RecordEvent(ctx, u.ID, EventReauthFailed, c, detail)
		return nil, err
	}
	now := s.now()
	if err := s.store.SetSessionAuth(ctx, x.ID, now, true); err != nil {
		return nil, internal(err)
	}
	x.AuthAt, x.Remembered2FA = now, false
	method := passkeyMethod(used)
	s.RecordEvent(ctx, u.ID, EventReauthenticated, c, method+": "+used.Name)
	return AMR(SessionOptions{Method: method}), nil
}

// ErrPasswordNeedsPasskey: the password is the way in until the account
// has a passkey.
var ErrPasswordNeedsPasskey = errKey(EINVALID, "errors.password_remove_needs_passkey")

// RemovePassword makes u passwordless once u has a passkey usable here
// (issue 21): nothing left to steal or phish. The password is never the
// last way in that disappears. Like every credential change it rotates
// the security stamp (every other session ends, SES-03; a pending sign-in
// with the old password dies), and the owner is told (ACC-04). A
// password can be set again later (SetPassword).
func (s *Service) RemovePassword(ctx context.Context, c Client, u *User, keepSID string) error {
	if u.PasswordHash == "" {
		return ErrNoPassword
	}
	ok, err := s.HasPasskeys(ctx, u.ID)
	if err != nil {
		return err
	}
	if !ok {
		return ErrPasswordNeedsPasskey
	}
	none, stamp, zero := "", newStamp(), 0
	if err := s.store.UpdateUser(ctx, u.ID, store.UserUpdate{
		PasswordHash: &none, SecurityStamp: &stamp, AccessFailedCount: &zero,
		KeepSessionID: keepSID, UpdatedAt: s.now(),
	}); err != nil {
		return internal(err)
	}
	u.PasswordHash, u.SecurityStamp = "", stamp
	s.RecordEvent(ctx, u.ID, EventPasswordRemoved, c, "")
	s.notifySignedOut(ctx, u, c, "mail-notice.password_removed")
	return nil
}
