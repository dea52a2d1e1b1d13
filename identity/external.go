package identity

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/accountportal/portal/mail"
	"github.com/accountportal/portal/messages"
	"github.com/accountportal/portal/store"
)

// ExternalLogin is a linked identity at an external provider.
type ExternalLogin = store.ExternalLogin

// ExternalIdentity is who an external provider says the user is, after the
// flow has been verified (state, PKCE, ID token signature, nonce).
type ExternalIdentity struct {
	Provider      string // slug
	ProviderName  string // display name ("Google")
	Subject       string // the provider's stable id; never the email (OIDC-03)
	Email         string
	EmailVerified bool // the provider vouches for Email
	DisplayName   string
}

// ErrExternalNotLinked: no account uses this identity yet; the caller asks
// for an address to create one.
var ErrExternalNotLinked = errKey(ENOTFOUND, "errors.external_not_linked")

// ExternalSignIn is the first step of a sign-in through an external
// provider. It finds the account linked to the identity (by provider and
// subject only — never by email, OIDC-03); a locked account fails like a
// password sign-in (AUTH-01/03). From there it goes through the same steps
// as a password (BeginSignIn): with 2FA on the result is pending the
// second factor (OIDC-04), unless the operator chose
// Options.ExternalLoginBypasses2FA or the browser is remembered.
//
// An identity linked to no account is ErrExternalNotLinked when the
// visitor (holding inviteCode, "" for none) may register (the caller asks
// for an address: see StartExternalSignup), and an EUNAUTHORIZED refusal
// naming the policy otherwise — the registration gate is decided here.
func (s *Service) ExternalSignIn(ctx context.Context, c Client, ext ExternalIdentity, inviteCode string) (*SignIn, error) {
	l, err := s.store.FindExternalLogin(ctx, ext.Provider, ext.Subject)
	if errors.Is(err, store.ErrNotFound) {
		if !s.RegistrationOpenTo(inviteCode) {
			if s.opts.Registration == RegistrationInvite {
				return nil, errKey(EUNAUTHORIZED, "status.external_registration_invite", "provider", ext.ProviderName)
			}
			return nil, errKey(EUNAUTHORIZED, "status.external_registration_closed", "provider", ext.ProviderName)
		}
		return nil, ErrExternalNotLinked
	}
	if err != nil {
		return nil, internal(err)
	}
	u, err := s.store.FindUserByID(ctx, l.UserID)
	if err != nil {
		return nil, internal(err)
	}
	if IsLockedOut(u, s.now()) {
		s.RecordEvent(ctx, u.ID, EventLoginFailed, c, "account locked ("+ext.ProviderName+")")
		s.obs.SignIn(SignInExternal, OutcomeLocked)
		return nil, ErrInvalidLogin
	}
	if s.opts.RequireConfirmedEmail && !u.EmailConfirmed {
		s.RecordEvent(ctx, u.ID, EventLoginFailed, c, "email not confirmed ("+ext.ProviderName+")")
		s.obs.SignIn(SignInExternal, OutcomeUnconfirmed)
		return nil, errKey(EUNAUTHORIZED, "errors.external_confirm_email_first")
	}
	if s.opts.ExternalLoginBypasses2FA {
		return &SignIn{User: u, Session: SessionOptions{Method: ext.ProviderName}}, nil
	}
	return s.BeginSignIn(ctx, c, u, ext.ProviderName)
}

// ErrAddressHasAccount: the address of a new external account belongs to
// an existing account; the person must sign in and link the login from the
// manage page. It is said only to someone who proved the address.
var ErrAddressHasAccount = fieldErr("email", "errors.external_address_has_account")

// ExternalSignup says what StartExternalSignup or CompleteExternalSignup
// did: either an account was created (User set) or a code was mailed to the
// address and the sign-up waits for it (Pending set).
type ExternalSignup struct {
	User *User
	// SignIn: the new account may be signed in at once.
	SignIn bool
	// Pending is the sign-up waiting for the mailed code; the caller keeps
	// it with the browser (its session) and hands it back to
	// CompleteExternalSignup, also after a wrong code (Tries counts).
	Pending *PendingExternalSignup
}

// PendingExternalSignup is an external sign-up whose address is not proven
// yet. Neither the account nor the link exists until the code mailed to
// Email comes back from the browser holding this (OIDC-03, ACC-04): an
// attacker who types someone else's address never gets an account linked
// to their own provider identity.
type PendingExternalSignup struct {
	Ext        ExternalIdentity
	Email      string
	InviteCode string
	// Attributes are the checked values of the operator's extra fields
	// (issue 18 item 1), stored on the account when it is created.
	Attributes map[string]string
	CodeHash   []byte
	Expires    time.Time
	Tries      int
}

// externalCodeTries wrong codes end a pending sign-up; externalCodeLifetime
// is how long the code works.
const (
	externalCodeTries    = 5
	externalCodeLifetime = 30 * time.Minute
)

// ExternalSignupCodeLifetime is how long the code mailed for an external
// sign-up works.
func ExternalSignupCodeLifetime() time.Duration { return externalCodeLifetime }

// ErrExternalCode: the code is wrong (the pending sign-up stays, with one
// try less).
var ErrExternalCode = fieldErr("code", "errors.external_code_invalid")

// ErrExternalCodeExpired: the pending sign-up is over (expired or too many
// wrong codes); the person starts again at the provider.
var ErrExternalCodeExpired = errKey(EUNAUTHORIZED, "errors.external_code_expired")

// StartExternalSignup begins creating an account without a password for a
// new external identity, with the address the person chose on the page.
// The account (and its link to the identity) is created at once only when
// the address is proven: the provider vouches for that very address
// (email_verified), or the person followed an invitation sent to it.
// Otherwise nothing is created: a code goes to the address and the result
// is Pending. An address that has an account gets the "someone tried to
// register" mail instead — the answer is the same, so it reveals nothing
// (REG-01) — and both mails count against the per-address mail cap.
//
// attrs are the values of the operator's extra fields: they are checked
// as Register checks them, every field's error in one answer together with
// the address's (issue 18 item 1), and stored on the new account.
func (s *Service) StartExternalSignup(ctx context.Context, c Client, ext ExternalIdentity, email, inviteCode string, attrs map[string]string) (ExternalSignup, error) {
	email = strings.TrimSpace(email)
	fields := map[string]message{}
	if m := validateEmail(email); !m.ok() {
		fields["email"] = m
	}
	clean, attrErrs := s.checkAttributes(attrs)
	for k, v := range attrErrs {
		fields[k] = v
	}
	if len(fields) > 0 {
		return ExternalSignup{}, fieldsErr(fields)
	}
	email = CanonicalEmail(email)
	invited, err := s.checkSignup(ctx, email, inviteCode)
	if err != nil {
		return ExternalSignup{}, err
	}
	// The person's own identity being linked (another browser finished
	// first) is theirs to know.
	if _, err := s.store.FindExternalLogin(ctx, ext.Provider, ext.Subject); err == nil {
		return ExternalSignup{}, errKey(ECONFLICT, "errors.external_linked_sign_in")
	} else if !errors.Is(err, store.ErrNotFound) {
		return ExternalSignup{}, internal(err)
	}
	norm := NormalizeEmail(email)
	if invited || (ext.EmailVerified && NormalizeEmail(ext.Email) == norm) {
		return s.createExternalAccount(ctx, c, ext, email, inviteCode, clean)
	}
	if err := s.limit(ctx, "register-ip", ipKey(c.IP), s.opts.RateLimits.RegistrationsPerIP); err != nil {
		return ExternalSignup{}, err
	}
	code := newExternalCode()
	p := &PendingExternalSignup{Ext: ext, Email: email, InviteCode: inviteCode, Attributes: clean, CodeHash: hashToken(code, "external-signup"), Expires: s.now().Add(externalCodeLifetime)}
	if owner, err := s.store.FindUserByEmail(ctx, norm); err == nil {
		// Taken (or the identity is linked already): nobody learns the
		// code, so the sign-up can never complete; the owner hears of it.
		p.CodeHash = hashToken(newExternalCode(), "external-signup")
		s.sendCapped(ctx, s.catalogFor(ctx, owner), norm, mail.RegisterExisting, mail.Data{To: email, Link: s.link("/account/login", nil)})
		return ExternalSignup{Pending: p}, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return ExternalSignup{}, internal(err)
	}
	cat := s.catalogFor(ctx, nil)
	d := mail.Data{To: email, Code: code, Provider: ext.ProviderName, Expires: duration(cat, externalCodeLifetime),
		Link: s.link("/account/external-login/confirm", url.Values{"code": {code}})}
	s.sendCapped(ctx, cat, norm, mail.ExternalSignup, d)
	return ExternalSignup{Pending: p}, nil
}

// CompleteExternalSignup finishes a pending external sign-up with the code
// mailed to its address: right, and the account is created with the
// address confirmed and the identity linked — the person who linked it
// proved the address. A wrong code costs one of externalCodeTries tries
// (p.Tries counts: the caller stores p again); submissions are limited per
// IP like every mailed link.
func (s *Service) CompleteExternalSignup(ctx context.Context, c Client, p *PendingExternalSignup, code string) (ExternalSignup, error) {
	if err := s.limit(ctx, "link-ip", ipKey(c.IP), s.opts.RateLimits.LinkSubmissionsPerIP); err != nil {
		return ExternalSignup{}, err
	}
	if p == nil || !p.Live(s.now()) {
		return ExternalSignup{}, ErrExternalCodeExpired
	}
	norm, ok := normalizeExternalCode(code)
	if !ok || subtle.ConstantTimeCompare(hashToken(norm, "external-signup"), p.CodeHash) != 1 {
		p.Tries++
		if p.Tries >= externalCodeTries {
			return ExternalSignup{}, ErrExternalCodeExpired
		}
		return ExternalSignup{Pending: p}, ErrExternalCode
	}
	if _, err := s.checkSignup(ctx, p.Email, p.InviteCode); err != nil {
		return ExternalSignup{}, err
	}
	return s.createExternalAccount(ctx, c, p.Ext, p.Email, p.InviteCode, p.Attributes)
}

// Live reports whether the pending sign-up may still complete at now.
func (p *PendingExternalSignup) Live(now time.Time) bool {
	return p != nil && now.Before(p.Expires) && p.Tries < externalCodeTries
}

// createExternalAccount creates the account for ext with its address
// confirmed (the caller established that the person proved it) and links
// the identity, in one transaction.
func (s *Service) createExternalAccount(ctx context.Context, c Client, ext ExternalIdentity, email, inviteCode string, attrs map[string]string) (ExternalSignup, error) {
	norm, now := NormalizeEmail(email), s.now()
	u := &User{
		ID: uuid.Must(uuid.NewV7()).String(), Email: email, NormalizedEmail: norm,
		UserName: email, NormalizedUserName: norm, EmailConfirmed: true,
		SecurityStamp: newStamp(), CreatedAt: now, UpdatedAt: now,
	}
	l := &ExternalLogin{Provider: ext.Provider, Subject: ext.Subject, DisplayName: ext.DisplayName, Email: ext.Email, CreatedAt: now}
	// The provider's display name is the username where it makes a valid
	// one and is free (issue 18 item 17); otherwise the address is, as
	// for a registration.
	name, ok := UserNameFromDisplayName(ext.DisplayName)
	if ok {
		u.UserName, u.NormalizedUserName = name, NormalizeUserName(name)
	}
	err := s.store.CreateUserWithLogin(ctx, u, l)
	if ok && errors.Is(err, store.ErrConflict) {
		// The name is taken (or the address, or the identity is linked:
		// the second try tells those apart below).
		u.UserName, u.NormalizedUserName = email, norm
		err = s.store.CreateUserWithLogin(ctx, u, l)
	}
	if errors.Is(err, store.ErrConflict) {
		if _, ferr := s.store.FindExternalLogin(ctx, ext.Provider, ext.Subject); ferr == nil {
			return ExternalSignup{}, errKey(ECONFLICT, "errors.external_linked_sign_in")
		}
		// The person proved the address: saying it has an account reveals
		// nothing they do not know.
		return ExternalSignup{}, ErrAddressHasAccount
	}
	if err != nil {
		return ExternalSignup{}, internal(err)
	}
	s.RecordEvent(ctx, u.ID, EventRegister, c, ext.ProviderName)
	s.obs.Registered()
	s.RecordEvent(ctx, u.ID, EventExternalLoginLinked, c, ext.ProviderName)
	s.useInvite(ctx, email, inviteCode)
	if len(s.opts.RegisterFields) > 0 && len(attrs) > 0 {
		if err := s.store.SetUserAttributes(ctx, u.ID, attrs); err != nil {
			s.log.ErrorContext(ctx, "external sign-up: extra fields not stored", "user", u.ID, "err", err)
		}
	}
	return ExternalSignup{User: u, SignIn: true}, nil
}

// UserNameFromDisplayName makes a username of a provider's display name:
// white space between words becomes "_" ("Ada Lovelace" → "Ada_Lovelace");
// the result must be a valid username and hold no "@" (a username with
// one could pass for someone's address). ok is false when it is not.
func UserNameFromDisplayName(display string) (string, bool) {
	name := strings.Join(strings.Fields(display), "_")
	if name == "" || strings.Contains(name, "@") || !validateUserName(name).ok() {
		return "", false
	}
	return name, true
}

// sendCapped mails name to an address unless the address had
// MailsPerAccount mails of the registration kind (confirmations, "someone
// tried to register", external sign-up codes) this window: over the cap
// nothing is sent and nothing changes in the answer (RST-05).
func (s *Service) sendCapped(ctx context.Context, cat *messages.Catalog, norm, name string, d mail.Data) {
	ok, _, err := s.hit(ctx, "confirm-mail", norm, s.opts.RateLimits.MailsPerAccount)
	if err != nil {
		s.log.ErrorContext(ctx, "mail cap not counted; mail not sent", "message", name, "err", err)
		return
	}
	if ok {
		s.sendMail(ctx, cat, name, d)
	}
}

// newExternalCode is XXXX-XXXX from recoveryAlphabet: 40 random bits, for
// at most externalCodeTries guesses in externalCodeLifetime.
func newExternalCode() string {
	c := newRecoveryCode() // XXXXX-XXXXX
	return c[:4] + "-" + c[6:10]
}

// normalizeExternalCode makes entry case-, space- and dash-insensitive.
func normalizeExternalCode(code string) (string, bool) {
	code = strings.ToUpper(strings.NewReplacer(" ", "", "-", "", "\t", "").Replace(code))
	if len(code) != 8 {
		return "", false
	}
	for _, r := range code {
		if !strings.ContainsRune(recoveryAlphabet, r) {
			return "", false
		}
	}
	return code[:4] + "-" + code[4:], true
}

// LinkExternal links an identity to the signed-in user (who has just
// re-authenticated). An identity linked to anyone already is refused.
func (s *Service) LinkExternal(ctx context.Context, c Client, u *User, ext ExternalIdentity) error {
	err := s.store.AddExternalLogin(ctx, &ExternalLogin{
		Provider: ext.Provider, Subject: ext.Subject, UserID: u.ID, DisplayName: ext.DisplayName, Email: ext.Email, CreatedAt: s.now(),
	})
	if errors.Is(err, store.ErrConflict) {
		return errKey(ECONFLICT, "errors.external_linked_elsewhere")
	}
	if err != nil {
		return internal(err)
	}
	s.RecordEvent(ctx, u.ID, EventExternalLoginLinked, c, ext.ProviderName)
	s.notify(ctx, u, c, "mail-notice.external_login_linked", "provider", ext.ProviderName)
	return nil
}

// ListExternalLogins returns the user's linked logins.
func (s *Service) ListExternalLogins(ctx context.Context, userID string) ([]*ExternalLogin, error) {
	ls, err := s.store.ListExternalLogins(ctx, userID)
	return ls, internal(err)
}

// ErrLastLogin: removing the login would leave no way to sign in.
var ErrLastLogin = errKey(EINVALID, "errors.external_last_login")

// UnlinkExternal removes one of the user's logins, only if the user keeps
// another way to sign in (a password or another login) — checked here, on
// the server, not just by hiding the button. The stamp rotates: sessions
// begun through that login end (except keepSID).
func (s *Service) UnlinkExternal(ctx context.Context, c Client, u *User, keepSID, provider, subject, providerName string) error {
	ls, err := s.store.ListExternalLogins(ctx, u.ID)
	if err != nil {
		return internal(err)
	}
	found := false
	for _, l := range ls {
		found = found || (l.Provider == provider && l.Subject == subject)
	}
	if !found {
		return errKey(ENOTFOUND, "errors.external_login_not_yours")
	}
	if u.PasswordHash == "" && len(ls) < 2 {
		ps, err := s.store.ListPasskeys(ctx, u.ID)
		if err != nil {
			return internal(err)
		}
		if len(ps) == 0 { // a passkey is a way in too (issue 21)
			return ErrLastLogin
		}
	}
	if err := s.store.DeleteExternalLogin(ctx, u.ID, provider, subject); errors.Is(err, store.ErrNotFound) {
		return errKey(ENOTFOUND, "errors.external_login_not_yours")
	} else if err != nil {
		return internal(err)
	}
	if _, err := s.RotateSecurityStamp(ctx, u.ID, keepSID); err != nil {
		return err
	}
	s.RecordEvent(ctx, u.ID, EventExternalLoginRemoved, c, providerName)
	s.notify(ctx, u, c, "mail-notice.external_login_removed", "provider", providerName)
	return nil
}

// ReauthenticateExternal records a re-authentication through an external
// login, if the identity is linked to this very user (SES-05).
func (s *Service) ReauthenticateExternal(ctx context.Context, c Client, u *User, x *Session, ext ExternalIdentity) error {
	if u.TwoFactorEnabled {
		// With 2FA the second factor is needed too (MFA-05): the
		// re-authentication page asks for the code.
		return errKey(EUNAUTHORIZED, "errors.external_reauth_2fa")
	}
	l, err := s.store.FindExternalLogin(ctx, ext.Provider, ext.Subject)
	if errors.Is(err, store.ErrNotFound) || (err == nil && l.UserID != u.ID) {
		s.RecordEvent(ctx, u.ID, EventReauthFailed, c, ext.ProviderName+": not your login")
		return errKey(EUNAUTHORIZED, "errors.external_provider_not_yours", "provider", ext.ProviderName)
	}
	if err != nil {
		return internal(err)
	}
	now := s.now()
	if err := s.store.SetSessionAuth(ctx, x.ID, now, false); err != nil {
		return internal(err)
	}
	x.AuthAt = now
	s.RecordEvent(ctx, u.ID, EventReauthenticated, c, ext.ProviderName)
	return nil
}
