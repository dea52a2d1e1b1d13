package identity

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"github.com/accountportal/portal/store"
)

// Passkeys (issue 21). The ceremonies themselves — options, attestation
// and assertion verification — are github.com/go-webauthn/webauthn's; what
// is Portal's is here: where challenges live (the store: single-use across
// instances, MFA-06), the 5-minute limit on the service's clock, which
// accounts may sign in, and that a passkey is never the last way in that
// disappears.

// Passkey is one passkey of an account.
type Passkey = store.Passkey

// PasskeyCeremonyLifetime is how long the browser has to answer a
// ceremony (MFA-06).
const PasskeyCeremonyLifetime = 5 * time.Minute

// Ceremony kinds.
const (
	ceremonyRegister = "register"
	ceremonyLogin    = "login"
)

// Passkey errors.
var (
	// ErrPasskeysOff: passkeys are not available (the base URL gives no
	// usable relying party id).
	ErrPasskeysOff = errKey(ENOTFOUND, "errors.passkeys_off")
	// ErrPasskeyCeremony: the ceremony is unknown, used, expired or of
	// another session.
	ErrPasskeyCeremony = errKey(EUNAUTHORIZED, "errors.passkey_ceremony")
	// ErrPasskeyRejected: the authenticator's answer did not verify.
	ErrPasskeyRejected = errKey(EUNAUTHORIZED, "errors.passkey_rejected")
	// ErrPasskeyNotFound: no such passkey of this account (ACC-03).
	ErrPasskeyNotFound = errKey(ENOTFOUND, "errors.passkey_not_found")
	// ErrPasskeyTaken: the authenticator's credential is registered already.
	ErrPasskeyTaken = errKey(EINVALID, "errors.passkey_taken")
	// ErrPasskeyName: the name is empty, too long or has control characters.
	ErrPasskeyName = fieldErr("name", "errors.passkey_name")
)

// PasskeyNameMax is the longest passkey name, in characters.
const PasskeyNameMax = 64

// passkeyConfig builds the relying party from the base URL: its host is
// the RP id (or rpID when set: a parent domain of it, for a cookie shared
// with sibling hosts) and its origin the one allowed origin. An IP address
// cannot be an RP id: passkeys are then off (nil, nil).
func passkeyConfig(baseURL, rpID, siteName string) (*webauthn.WebAuthn, error) {
	u, err := url.Parse(baseURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, nil
	}
	host := u.Hostname()
	if net.ParseIP(host) != nil {
		return nil, nil
	}
	if rpID == "" {
		rpID = host
	}
	rpID = strings.ToLower(strings.TrimPrefix(rpID, "."))
	if rpID != host && !strings.HasSuffix(host, "."+rpID) {
		return nil, fmt.Errorf("identity: passkey RP id %q is not %s or a parent domain of it", rpID, host)
	}
	lifetime := PasskeyCeremonyLifetime
	return webauthn.New(&webauthn.Config{
		RPID:          rpID,
		RPDisplayName: siteName,
		RPOrigins:     []string{u.Scheme + "://" + u.Host},
		// The service's clock enforces the lifetime (the stored
		// ceremony's expiry); the browser is told the same.
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Timeout: lifetime, TimeoutUVD: lifetime},
			Registration: webauthn.TimeoutConfig{Timeout: lifetime, TimeoutUVD: lifetime},
		},
	})
}

// PasskeysEnabled reports whether passkeys can be used here.
func (s *Service) PasskeysEnabled() bool { return s.wa != nil }

// PasskeyRPID is the relying party id passkeys are registered for ("" when off).
func (s *Service) PasskeyRPID() string {
	if s.wa == nil {
		return ""
	}
	return s.wa.Config.RPID
}

// passkeyUser is an account as the WebAuthn library sees it. The user
// handle is the account id (a random UUID, no personal data): stable for
// the account's life and the same for all its passkeys.
type passkeyUser struct {
	u     *User
	creds []webauthn.Credential
}

func (p *passkeyUser) WebAuthnID() []byte                         { return []byte(p.u.ID) }
func (p *passkeyUser) WebAuthnName() string                       { return p.u.Email }
func (p *passkeyUser) WebAuthnDisplayName() string                { return p.u.UserName }
func (p *passkeyUser) WebAuthnCredentials() []webauthn.Credential { return p.creds }

// loadPasskeyUser returns u with its passkeys for this relying party.
func (s *Service) loadPasskeyUser(ctx context.Context, u *User) (*passkeyUser, []*Passkey, error) {
	ps, err := s.store.ListPasskeys(ctx, u.ID)
	if err != nil {
		return nil, nil, internal(err)
	}
	pu := &passkeyUser{u: u}
	var mine []*Passkey
	for _, p := range ps {
		if p.RPID != s.wa.Config.RPID {
			continue // registered for another RP id: unusable here
		}
		var c webauthn.Credential
		if err := json.Unmarshal(p.Credential, &c); err != nil {
			s.log.ErrorContext(ctx, "passkey record unreadable", "user", u.ID, "err", err)
			continue
		}
		pu.creds = append(pu.creds, c)
		mine = append(mine, p)
	}
	return pu, mine, nil
}

// PasskeyCeremony is a ceremony begun: Options go to the browser (JSON,
// the argument of navigator.credentials.create or .get), ID stays in the
// browser's server-side session and comes back with the answer.
type PasskeyCeremony struct {
	ID      string
	Options json.RawMessage
}

// saveCeremony stores the library's session data (or a struct around
// it) under a fresh id.
func (s *Service) saveCeremony(ctx context.Context, kind, userID string, data any, options any) (*PasskeyCeremony, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, internal(err)
	}
	opts, err := json.Marshal(options)
	if err != nil {
		return nil, internal(err)
	}
	now := s.now()
	c := &store.Ceremony{ID: randomID(), Kind: kind, UserID: userID, Data: raw, ExpiresAt: now.Add(PasskeyCeremonyLifetime)}
	if err := s.store.SaveCeremony(ctx, c); err != nil {
		return nil, internal(err)
	}
	s.maybeCleanCeremonies(ctx, now)
	return &PasskeyCeremony{ID: c.ID, Options: opts}, nil
}

// consumeCeremony takes the ceremony out of the store, once (MFA-06).
func (s *Service) consumeCeremony(ctx context.Context, id, kind, userID string) (*webauthn.SessionData, error) {
	if id == "" {
		return nil, ErrPasskeyCeremony
	}
	c, err := s.store.ConsumeCeremony(ctx, id, kind, userID, s.now())
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrPasskeyCeremony
	}
	if err != nil {
		return nil, internal(err)
	}
	var data webauthn.SessionData
	if err := json.Unmarshal(c.Data, &data); err != nil {
		return nil, internal(err)
	}
	return &data, nil
}

// maybeCleanCeremonies drops expired ceremonies, at most hourly per
// instance (like the rate-limit windows).
func (s *Service) maybeCleanCeremonies(ctx context.Context, now time.Time) {
	last := s.lastCeremonyCleanup.Load()
	if now.Unix()-last < 3600 || !s.lastCeremonyCleanup.CompareAndSwap(last, now.Unix()) {
		return
	}
	if err := s.store.DeleteExpiredCeremonies(ctx, now); err != nil {
		s.log.WarnContext(ctx, "expired passkey ceremonies not removed", "err", err)
	}
}

// BeginPasskeyRegistration starts adding a passkey to u: a discoverable
// credential (a passkey the browser can offer without a username) with
// user verification required; the account's passkeys are excluded so an
// authenticator is not registered twice.
func (s *Service) BeginPasskeyRegistration(ctx context.Context, u *User) (*PasskeyCeremony, error) {
	if s.wa == nil {
		return nil, ErrPasskeysOff
	}
	pu, _, err := s.loadPasskeyUser(ctx, u)
	if err != nil {
		return nil, err
	}
	creation, data, err := s.wa.BeginRegistration(pu,
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey:        protocol.ResidentKeyRequirementRequired,
			RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification:   protocol.VerificationRequired,
		}),
		webauthn.WithExclusions(webauthn.Credentials(pu.creds).CredentialDescriptors()),
	)
	if err != nil {
		return nil, internal(err)
	}
	return s.saveCeremony(ctx, ceremonyRegister, u.ID, data, creation)
}

// AddPasskeyInput is the browser's answer to a registration ceremony.
type AddPasskeyInput struct {
	Ceremony string // PasskeyCeremony.ID, from the session
	Response []byte // the PublicKeyCredential, JSON
	// Name is what the owner typed; "" takes the authenticator model's
	// name where known (AuthenticatorName), else DefaultName.
	Name        string
	DefaultName string
}

// AddPasskey finishes a registration ceremony of u: the answer must be
// for this ceremony (consumed whatever the outcome), this origin and RP
// id, with user verification (MFA-06). The owner is told by mail and the
// history records it (ACC-04).
func (s *Service) AddPasskey(ctx context.Context, c Client, u *User, in AddPasskeyInput) (*Passkey, error) {
	if s.wa == nil {
		return nil, ErrPasskeysOff
	}
	name, err := passkeyName(in.Name, true)
	if err != nil {
		return nil, err
	}
	data, err := s.consumeCeremony(ctx, in.Ceremony, ceremonyRegister, u.ID)
	if err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(in.Response)
	if err != nil {
		s.log.InfoContext(ctx, "passkey registration unreadable", "user", u.ID, "err", describeWebAuthnErr(err))
		return nil, ErrPasskeyRejected
	}
	pu, _, err := s.loadPasskeyUser(ctx, u)
	if err != nil {
		return nil, err
	}
	cred, err := s.wa.CreateCredential(pu, *data, parsed)
	if err != nil {
		s.log.InfoContext(ctx, "passkey registration rejected", "user", u.ID, "err", describeWebAuthnErr(err))
		return nil, ErrPasskeyRejected
	}
	if !cred.Flags.UserVerified {
		return nil, ErrPasskeyRejected // required above; never trust a missing flag
	}
	raw, err := json.Marshal(cred)
	if err != nil {
		return nil, internal(err)
	}
	aaguid := ""
	if id, err := uuid.FromBytes(cred.Authenticator.AAGUID); err == nil && id != uuid.Nil {
		aaguid = id.String()
	}
	if name == "" {
		name = AuthenticatorName(aaguid)
	}
	if name == "" {
		name, _ = passkeyName(in.DefaultName, false)
	}
	p := &Passkey{
		ID: base64.RawURLEncoding.EncodeToString(cred.ID), UserID: u.ID, RPID: data.GetRelyingPartyID(s.wa.Config.RPID),
		Name: name, AAGUID: aaguid, Credential: raw, SignCount: cred.Authenticator.SignCount,
		BackupEligible: cred.Flags.BackupEligible, BackupState: cred.Flags.BackupState, CreatedAt: s.now(),
	}
	if err := s.store.AddPasskey(ctx, p); errors.Is(err, store.ErrConflict) {
		return nil, ErrPasskeyTaken
	} else if err != nil {
		return nil, internal(err)
	}
	s.RecordEvent(ctx, u.ID, EventPasskeyAdded, c, p.Name)
	s.notify(ctx, u, c, "mail-notice.passkey_added", "name", p.Name)
	return p, nil
}

// passkeyName checks a passkey's name: trimmed, at most PasskeyNameMax
// characters, no control characters; "" is allowed when optional.
func passkeyName(name string, optional bool) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" && optional {
		return "", nil
	}
	if name == "" || !utf8.ValidString(name) || utf8.RuneCountInString(name) > PasskeyNameMax ||
		strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return "", ErrPasskeyName
	}
	return name, nil
}

// ListPasskeys returns the account's passkeys, oldest first.
func (s *Service) ListPasskeys(ctx context.Context, userID string) ([]*Passkey, error) {
	ps, err := s.store.ListPasskeys(ctx, userID)
	return ps, internal(err)
}

// RenamePasskey renames one of u's passkeys; another user's is
// ErrPasskeyNotFound (ACC-03).
func (s *Service) RenamePasskey(ctx context.Context, c Client, u *User, id, name string) error {
	name, err := passkeyName(name, false)
	if err != nil {
		return err
	}
	if err := s.store.RenamePasskey(ctx, u.ID, id, name); errors.Is(err, store.ErrNotFound) {
		return ErrPasskeyNotFound
	} else if err != nil {
		return internal(err)
	}
	return nil
}

// ErrLastPasskey: removing the passkey would leave no way to sign in.
var ErrLastPasskey = errKey(EINVALID, "errors.passkey_last")

// RemovePasskey removes one of u's passkeys, if u keeps another way in (a
// password, an external login or another passkey). Another user's
// passkey is ErrPasskeyNotFound (ACC-03). Like every credential change it
// rotates the security stamp (every other session ends, SES-03), and the
// owner is told (ACC-04).
func (s *Service) RemovePasskey(ctx context.Context, c Client, u *User, keepSID, id string) error {
	ps, err := s.store.ListPasskeys(ctx, u.ID)
	if err != nil {
		return internal(err)
	}
	var p *Passkey
	for _, x := range ps {
		if x.ID == id {
			p = x
		}
	}
	if p == nil {
		return ErrPasskeyNotFound
	}
	if u.PasswordHash == "" && len(ps) < 2 {
		ls, err := s.store.ListExternalLogins(ctx, u.ID)
		if err != nil {
			return internal(err)
		}
		if len(ls) == 0 {
			return ErrLastPasskey
		}
	}
	if err := s.store.DeletePasskey(ctx, u.ID, id); errors.Is(err, store.ErrNotFound) {
		return ErrPasskeyNotFound
	} else if err != nil {
		return internal(err)
	}
	if _, err := s.RotateSecurityStamp(ctx, u.ID, keepSID); err != nil {
		return err
	}
	s.RecordEvent(ctx, u.ID, EventPasskeyRemoved, c, p.Name)
	s.notify(ctx, u, c, "mail-notice.passkey_removed", "name", p.Name)
	return nil
}

// BeginPasskeySignIn starts a sign-in with a passkey the browser offers
// (a discoverable credential: no username first), user verification
// required. Anyone may begin one, so each costs a stored row: they count
// against the per-IP sign-in limit.
func (s *Service) BeginPasskeySignIn(ctx context.Context, c Client) (*PasskeyCeremony, error) {
	if s.wa == nil {
		return nil, ErrPasskeysOff
	}
	if err := s.limit(ctx, "passkey-begin-ip", ipKey(c.IP), s.opts.RateLimits.LoginPerIP); err != nil {
		return nil, err
	}
	assertion, data, err := s.wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, internal(err)
	}
	return s.saveCeremony(ctx, ceremonyLogin, "", data, assertion)
}

// ErrPasskeyCloned: the passkey's signature counter went backwards: the
// credential may have been copied. The sign-in is refused and the owner
// told; the passkey is marked.
var ErrPasskeyCloned = errKey(EUNAUTHORIZED, "errors.passkey_cloned")

// PasskeySignIn finishes a passkey sign-in: the answer must be for this
// ceremony (consumed whatever the outcome), this origin and RP id, signed
// by a registered passkey of the account its user handle names, with user
// verification, and a signature counter that did not go backwards
// (MFA-06). The account must be allowed to sign in as with any other
// first step (not locked, address confirmed when that is required).
//
// A passkey with user verification is two factors in one (something you
// have, unlocked by something you know or are): the sign-in is complete,
// no code is asked, and its amr says so (hwk or swk, and mfa).
func (s *Service) PasskeySignIn(ctx context.Context, c Client, ceremony string, response []byte) (*SignIn, error) {
	if s.wa == nil {
		return nil, ErrPasskeysOff
	}
	if err := s.limit(ctx, "login-ip", ipKey(c.IP), s.opts.RateLimits.LoginPerIP); err != nil {
		if ErrorCode(err) == ERATELIMIT {
			s.obs.SignIn(SignInPasskey, OutcomeThrottled)
		}
		return nil, err
	}
	data, err := s.consumeCeremony(ctx, ceremony, ceremonyLogin, "")
	if err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		s.log.InfoContext(ctx, "passkey sign-in unreadable", "ip", c.IP, "err", describeWebAuthnErr(err))
		return nil, ErrPasskeyRejected
	}
	var owner *User
	var stored *Passkey
	find := func(rawID, userHandle []byte) (webauthn.User, error) {
		p, err := s.store.FindPasskey(ctx, base64.RawURLEncoding.EncodeToString(rawID))
		if err != nil {
			return nil, err
		}
		if p.UserID != string(userHandle) || p.RPID != s.wa.Config.RPID {
			return nil, errors.New("the credential is not the user handle's")
		}
		u, err := s.store.FindUserByID(ctx, p.UserID)
		if err != nil {
			return nil, err
		}
		pu, _, err := s.loadPasskeyUser(ctx, u)
		if err != nil {
			return nil, err
		}
		owner, stored = u, p
		return pu, nil
	}
	_, cred, err := s.wa.ValidatePasskeyLogin(find, *data, parsed)
	if err != nil {
		s.log.InfoContext(ctx, "passkey sign-in rejected", "ip", c.IP, "err", describeWebAuthnErr(err))
		if owner != nil {
			s.RecordEvent(ctx, owner.ID, EventLoginFailed, c, "passkey not verified")
		}
		s.obs.SignIn(SignInPasskey, OutcomeWrongPassword)
		return nil, ErrPasskeyRejected
	}
	if !bytes.Equal(cred.ID, parsed.RawID) || !parsed.Response.AuthenticatorData.Flags.HasUserVerified() {
		return nil, ErrPasskeyRejected
	}
	if err := s.passkeyUsed(ctx, c, owner, stored, cred); err != nil {
		if errors.Is(err, ErrPasskeyCloned) {
			s.obs.SignIn(SignInPasskey, OutcomeWrongPassword)
		}
		return nil, err
	}
	if err := s.passkeyMayEnter(ctx, c, owner); err != nil {
		return nil, err
	}
	return &SignIn{User: owner, Session: SessionOptions{Method: passkeyMethod(stored)}}, nil
}

// passkeyUsed records a verified assertion of stored, u's passkey: its new
// signature counter, backup state and last use. A counter that went
// backwards means the credential may have been copied: the passkey is
// marked, the owner told, and the use refused (ErrPasskeyCloned).
func (s *Service) passkeyUsed(ctx context.Context, c Client, u *User, stored *Passkey, cred *webauthn.Credential) error {
	raw, err := json.Marshal(cred)
	if err != nil {
		return internal(err)
	}
	use := store.PasskeyUse{Credential: raw, SignCount: cred.Authenticator.SignCount, BackupState: cred.Flags.BackupState,
		CloneWarning: cred.Authenticator.CloneWarning || stored.CloneWarning, UsedAt: s.now()}
	if cred.Authenticator.CloneWarning {
		// Keep the higher counter: the warning stays, the next honest
		// assertion is still judged against what was seen.
		use.SignCount = max(stored.SignCount, use.SignCount)
	}
	if err := s.store.UsePasskey(ctx, u.ID, stored.ID, use); err != nil {
		return internal(err)
	}
	if cred.Authenticator.CloneWarning {
		s.RecordEvent(ctx, u.ID, EventPasskeyCloned, c, stored.Name)
		s.notify(ctx, u, c, "mail-notice.passkey_clone_warning", "name", stored.Name)
		return ErrPasskeyCloned
	}
	return nil
}

// passkeyMayEnter applies the rules every first step applies to the
// account: a locked account is refused (AUTH-03, the answer every failed
// sign-in gets), and an unconfirmed address when confirmation is
// required.
func (s *Service) passkeyMayEnter(ctx context.Context, c Client, u *User) error {
	if IsLockedOut(u, s.now()) {
		s.RecordEvent(ctx, u.ID, EventLoginFailed, c, "account locked (passkey)")
		s.obs.SignIn(SignInPasskey, OutcomeLocked)
		return ErrInvalidLogin
	}
	if s.opts.RequireConfirmedEmail && !u.EmailConfirmed {
		s.RecordEvent(ctx, u.ID, EventLoginFailed, c, "email not confirmed (passkey)")
		s.obs.SignIn(SignInPasskey, OutcomeUnconfirmed)
		return ErrEmailUnconfirmed
	}
	return nil
}

// Passkey sign-in methods, for the timeline and amr: a synced passkey
// (backed up, copied between devices by its provider) is a software key,
// a device-bound one a hardware key (RFC 8176 swk / hwk).
const (
	MethodPasskey       = "passkey"
	MethodSyncedPasskey = "passkey (synced)"
)

func passkeyMethod(p *Passkey) string {
	if p.BackupEligible {
		return MethodSyncedPasskey
	}
	return MethodPasskey
}

// describeWebAuthnErr is the library's error with its developer detail,
// for the log only.
func describeWebAuthnErr(err error) string {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return strings.TrimSpace(pe.Details + " " + pe.DevInfo)
	}
	return err.Error()
}
