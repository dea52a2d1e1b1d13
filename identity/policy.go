package identity

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/accountportal/portal/mail"
	"github.com/accountportal/portal/store"
)

// ErrRegistrationClosed: no new accounts.
var ErrRegistrationClosed = errKey(EUNAUTHORIZED, "errors.registration_closed")

// ErrNotInvited: in invite mode, only an invited address, through its
// invitation link, may register.
var ErrNotInvited = fieldErr("email", "errors.not_invited")

// RegistrationPolicy is the configured policy: open, invite or closed.
func (s *Service) RegistrationPolicy() Registration { return s.opts.Registration }

// RegistrationOpen reports whether anyone may register, without an
// invitation: the policy is open. Pages show their "register" links only
// then.
func (s *Service) RegistrationOpen() bool { return s.opts.Registration == RegistrationOpen }

// RegistrationOpenTo reports whether a visitor who holds inviteCode ("" for
// none) may start registering, by the form or an external login: always
// when registration is open, with an invitation when it is by invitation,
// never when it is closed. Creating the account checks the rest (the
// invitation is valid and for this very address, the allowed domains).
func (s *Service) RegistrationOpenTo(inviteCode string) bool {
	switch s.opts.Registration {
	case RegistrationOpen:
		return true
	case RegistrationInvite:
		return inviteCode != ""
	}
	return false
}

// checkSignup is the one check every way of creating an account passes
// (the register form, an external login): the registration policy, the
// allowed email domains, and in invite mode a valid invitation for this
// very address. It returns whether the address is proved by the
// invitation (its link went to that mailbox).
func (s *Service) checkSignup(ctx context.Context, email, inviteCode string) (invited bool, err error) {
	norm := NormalizeEmail(email)
	switch s.opts.Registration {
	case RegistrationClosed:
		return false, ErrRegistrationClosed
	}
	if !s.opts.AllowedEmailDomains.allows(norm) {
		return false, fieldErr("email", "errors.domain_not_allowed", "domains", strings.Join(s.opts.AllowedEmailDomains, ", "))
	}
	if inviteCode != "" {
		ok, err := s.store.HasInvite(ctx, hashToken(inviteCode, ""), norm, s.now())
		if err != nil {
			return false, internal(err)
		}
		if ok {
			return true, nil
		}
	}
	if s.opts.Registration == RegistrationInvite {
		return false, ErrNotInvited
	}
	return false, nil
}

// useInvite spends the invitation after the account exists (one use).
func (s *Service) useInvite(ctx context.Context, email, inviteCode string) {
	if inviteCode == "" {
		return
	}
	err := s.store.ConsumeInvite(ctx, hashToken(inviteCode, ""), NormalizeEmail(email), s.now())
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.ErrorContext(ctx, "invite not marked used", "err", err)
	}
}

// Invite mails email a single-use link to register (valid for
// InviteLifetime), for --registration invite. An address that has an
// account is refused.
func (s *Service) Invite(ctx context.Context, email string) (string, error) {
	email = strings.TrimSpace(email)
	if err := validAddress("email", email); err != nil {
		return "", err
	}
	email = CanonicalEmail(email)
	norm := NormalizeEmail(email)
	if _, err := s.store.FindUserByEmail(ctx, norm); err == nil {
		return "", errKey(ECONFLICT, "errors.address_has_account", "email", email)
	} else if !errors.Is(err, store.ErrNotFound) {
		return "", internal(err)
	}
	raw := make([]byte, tokenBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", internal(err)
	}
	code := base64.RawURLEncoding.EncodeToString(raw)
	now := s.now()
	if err := s.store.CreateInvite(ctx, &store.Invite{Hash: hashToken(code, ""), NormalizedEmail: norm, CreatedAt: now, ExpiresAt: now.Add(s.opts.InviteLifetime)}); err != nil {
		return "", internal(err)
	}
	link := s.link("/account/register", url.Values{"invite": {code}, "email": {email}})
	cat := s.catalogFor(ctx, nil)
	if err := s.queueMail(ctx, cat, mail.Invite, mail.Data{To: email, Link: link, Expires: duration(cat, s.opts.InviteLifetime)}); err != nil {
		return "", err
	}
	s.log.InfoContext(ctx, "security event", "event", "invite_sent", "invited", hashToken(norm, "")[:8])
	return link, nil
}

// inviteLifetimeDefault is how long an invitation works.
const inviteLifetimeDefault = 7 * 24 * time.Hour
