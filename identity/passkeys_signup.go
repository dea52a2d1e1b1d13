package identity

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"github.com/accountportal/portal/store"
)

// Sign-up with a passkey and no password (--passkey-signup, issue 21).
// The account is created only when the browser answers: the ceremony
// keeps what the person entered (address, extra fields, invitation) and
// the account id the passkey is made for. The address is confirmed as
// for any sign-up; until then a passkey sign-in is refused like a
// password one (passkeyMayEnter). A taken address gets the answer a
// password sign-up gets (REG-01).

const ceremonySignup = "signup"

// PasskeySignupEnabled reports whether new people may sign up with a
// passkey and no password.
func (s *Service) PasskeySignupEnabled() bool { return s.opts.PasskeySignup && s.wa != nil }

// signupCeremony is what a sign-up ceremony keeps besides the library's
// session data.
type signupCeremony struct {
	WebAuthn   *webauthn.SessionData `json:"webauthn"`
	UserID     string                `json:"uid"`
	Email      string                `json:"email"`
	Invited    bool                  `json:"invited"`
	InviteCode string                `json:"invite,omitempty"`
	Attributes map[string]string     `json:"attrs,omitempty"`
}

// BeginPasskeySignup checks a sign-up as Register does (address, policy,
// invitation, extra fields, per-IP limit; no password) and starts the
// passkey's registration for the account to be.
func (s *Service) BeginPasskeySignup(ctx context.Context, c Client, in RegisterInput) (*PasskeyCeremony, error) {
	if !s.PasskeySignupEnabled() {
		return nil, ErrPasskeysOff
	}
	email, invited, attrs, fields, err := s.checkNewAccount(ctx, c, in)
	if err != nil {
		return nil, err
	}
	if len(fields) > 0 {
		return nil, fieldsErr(fields)
	}
	u := newAccount(email, "", invited)
	creation, data, err := s.wa.BeginRegistration(&passkeyUser{u: u},
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey:        protocol.ResidentKeyRequirementRequired,
			RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification:   protocol.VerificationRequired,
		}),
	)
	if err != nil {
		return nil, internal(err)
	}
	return s.saveCeremony(ctx, ceremonySignup, "", &signupCeremony{
		WebAuthn: data, UserID: u.ID, Email: email, Invited: invited, InviteCode: in.InviteCode, Attributes: attrs,
	}, creation)
}

// PasskeySignup finishes a sign-up ceremony: the answer must be for this
// ceremony (consumed whatever the outcome), origin and RP id, with user
// verification (MFA-06). The account is created without a password,
// with the passkey (named after the authenticator model where known,
// else defaultName), and its address confirmed as Register's is.
func (s *Service) PasskeySignup(ctx context.Context, c Client, ceremony string, response []byte, defaultName string) (RegisterResult, error) {
	if !s.PasskeySignupEnabled() {
		return RegisterResult{}, ErrPasskeysOff
	}
	if ceremony == "" {
		return RegisterResult{}, ErrPasskeyCeremony
	}
	row, err := s.store.ConsumeCeremony(ctx, ceremony, ceremonySignup, "", s.now())
	if errors.Is(err, store.ErrNotFound) {
		return RegisterResult{}, ErrPasskeyCeremony
	}
	if err != nil {
		return RegisterResult{}, internal(err)
	}
	var sc signupCeremony
	if err := json.Unmarshal(row.Data, &sc); err != nil || sc.WebAuthn == nil {
		return RegisterResult{}, internal(errors.Join(err, errors.New("sign-up ceremony unreadable")))
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		s.log.InfoContext(ctx, "passkey sign-up unreadable", "ip", c.IP, "err", describeWebAuthnErr(err))
		return RegisterResult{}, ErrPasskeyRejected
	}
	u := newAccount(sc.Email, "", sc.Invited)
	u.ID = sc.UserID
	cred, err := s.wa.CreateCredential(&passkeyUser{u: u}, *sc.WebAuthn, parsed)
	if err != nil {
		s.log.InfoContext(ctx, "passkey sign-up rejected", "ip", c.IP, "err", describeWebAuthnErr(err))
		return RegisterResult{}, ErrPasskeyRejected
	}
	if !cred.Flags.UserVerified {
		return RegisterResult{}, ErrPasskeyRejected
	}
	id := base64.RawURLEncoding.EncodeToString(cred.ID)
	if _, err := s.store.FindPasskey(ctx, id); err == nil {
		return RegisterResult{}, ErrPasskeyTaken
	} else if !errors.Is(err, store.ErrNotFound) {
		return RegisterResult{}, internal(err)
	}
	raw, err := json.Marshal(cred)
	if err != nil {
		return RegisterResult{}, internal(err)
	}
	res, err := s.createAccount(ctx, c, u, sc.InviteCode, sc.Attributes)
	if err != nil || res.User == nil {
		return res, err // a taken address: answered as a new one
	}
	aaguid := ""
	if a, err := uuid.FromBytes(cred.Authenticator.AAGUID); err == nil && a != uuid.Nil {
		aaguid = a.String()
	}
	name := AuthenticatorName(aaguid)
	if name == "" {
		name, _ = passkeyName(defaultName, false)
	}
	p := &Passkey{
		ID: id, UserID: u.ID, RPID: sc.WebAuthn.GetRelyingPartyID(s.wa.Config.RPID),
		Name: name, AAGUID: aaguid, Credential: raw, SignCount: cred.Authenticator.SignCount,
		BackupEligible: cred.Flags.BackupEligible, BackupState: cred.Flags.BackupState, CreatedAt: s.now(),
	}
	if err := s.store.AddPasskey(ctx, p); err != nil {
		// The account exists without a way in; its owner can reset a
		// password from the confirmation mail's address.
		s.log.ErrorContext(ctx, "passkey sign-up: passkey not stored", "user", u.ID, "err", err)
		return res, internal(err)
	}
	s.RecordEvent(ctx, u.ID, EventPasskeyAdded, c, p.Name)
	if res.SignIn {
		res.Method = passkeyMethod(p)
	}
	return res, nil
}
