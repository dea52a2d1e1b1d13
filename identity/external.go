package identity

import (
	"context"
	"errors"
	"strings"

	"github.com/google/uuid"

	"github.com/accountportal/portal/mail"
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

// ExternalSignIn finds the account linked to the identity (by provider and
// subject only — never by email, OIDC-03). A locked account fails like a
// password sign-in (AUTH-01/03).
func (s *Service) ExternalSignIn(ctx context.Context, c Client, ext ExternalIdentity) (*User, error) {
	l, err := s.store.FindExternalLogin(ctx, ext.Provider, ext.Subject)
	if errors.Is(err, store.ErrNotFound) {
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
		return nil, ErrInvalidLogin
	}
	if s.opts.RequireConfirmedEmail && !u.EmailConfirmed {
		s.RecordEvent(ctx, u.ID, EventLoginFailed, c, "email not confirmed ("+ext.ProviderName+")")
		return nil, errKey(EUNAUTHORIZED, "errors.external_confirm_email_first")
	}
	return u, nil
}

// ErrAddressHasAccount: the address of a new external account belongs to
// an existing account; the person must sign in and link the login from the
// manage page. This reveals nothing the person has not proved: they chose
// the address.
var ErrAddressHasAccount = fieldErr("email", "errors.external_address_has_account")

// ExternalRegisterResult says what RegisterExternal did.
type ExternalRegisterResult struct {
	User *User
	// SignIn: the account may be signed in at once (its address counts as
	// confirmed, or confirmation is not required).
	SignIn bool
}

// RegisterExternal creates an account without a password for a new
// external identity, with the address the person confirmed on the page. If
// the provider vouches for that very address (email_verified), it counts as
// confirmed; otherwise the usual confirmation mail goes out.
func (s *Service) RegisterExternal(ctx context.Context, c Client, ext ExternalIdentity, email string) (ExternalRegisterResult, error) {
	return s.RegisterExternalInvited(ctx, c, ext, email, "")
}

// RegisterExternalInvited is RegisterExternal for a person who followed an
// invitation (required in invite mode).
func (s *Service) RegisterExternalInvited(ctx context.Context, c Client, ext ExternalIdentity, email, inviteCode string) (ExternalRegisterResult, error) {
	email = strings.TrimSpace(email)
	if err := validAddress("email", email); err != nil {
		return ExternalRegisterResult{}, err
	}
	email = CanonicalEmail(email)
	invited, err := s.checkSignup(ctx, email, inviteCode)
	if err != nil {
		return ExternalRegisterResult{}, err
	}
	norm := NormalizeEmail(email)
	now := s.now()
	confirmed := invited || (ext.EmailVerified && NormalizeEmail(ext.Email) == norm)
	u := &User{
		ID: uuid.Must(uuid.NewV7()).String(), Email: email, NormalizedEmail: norm,
		UserName: email, NormalizedUserName: norm, EmailConfirmed: confirmed,
		SecurityStamp: newStamp(), CreatedAt: now, UpdatedAt: now,
	}
	l := &ExternalLogin{Provider: ext.Provider, Subject: ext.Subject, DisplayName: ext.DisplayName, Email: ext.Email, CreatedAt: now}
	err = s.store.CreateUserWithLogin(ctx, u, l)
	if errors.Is(err, store.ErrConflict) {
		if _, ferr := s.store.FindExternalLogin(ctx, ext.Provider, ext.Subject); ferr == nil {
			return ExternalRegisterResult{}, errKey(ECONFLICT, "errors.external_linked_sign_in")
		}
		existing, ferr := s.store.FindUserByEmail(ctx, norm)
		if ferr != nil {
			return ExternalRegisterResult{}, internal(ferr)
		}
		if confirmed {
			// The provider vouches for the address: saying it has an
			// account reveals nothing the person has not proved.
			return ExternalRegisterResult{}, ErrAddressHasAccount
		}
		// Not proved: answer as a registration does (REG-01) and tell the
		// owner.
		s.sendMail(ctx, mail.RegisterExisting, mail.Data{To: existing.Email, Link: s.link("/account/login", nil)})
		s.RecordEvent(ctx, existing.ID, EventRegister, c, "attempt with an existing address ("+ext.ProviderName+")")
		return ExternalRegisterResult{}, nil
	}
	if err != nil {
		return ExternalRegisterResult{}, internal(err)
	}
	s.RecordEvent(ctx, u.ID, EventRegister, c, ext.ProviderName)
	s.RecordEvent(ctx, u.ID, EventExternalLoginLinked, c, ext.ProviderName)
	s.useInvite(ctx, email, inviteCode)
	res := ExternalRegisterResult{User: u, SignIn: confirmed || !s.opts.RequireConfirmedEmail}
	if !confirmed {
		if err := s.SendConfirmation(ctx, u); err != nil {
			s.log.ErrorContext(ctx, "external registration: confirmation mail not queued", "user", u.ID, "err", err)
		}
	}
	return res, nil
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
	s.notify(ctx, u, c, "A "+ext.ProviderName+" login was linked to your account")
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
		return ErrLastLogin
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
	s.notify(ctx, u, c, "A "+providerName+" login was removed from your account")
	return nil
}

// RegistrationOpen reports whether new accounts may be created at all
// (also through external logins; in invite mode only with an invitation).
func (s *Service) RegistrationOpen() bool { return s.opts.Registration != RegistrationClosed }

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
