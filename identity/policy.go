package identity

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/accountportal/portal/mail"
	"github.com/accountportal/portal/store"
)

// Registration policies.
const (
	RegistrationOpen   = "open"
	RegistrationInvite = "invite"
	RegistrationClosed = "closed"
)

// ErrRegistrationClosed: no new accounts.
var ErrRegistrationClosed = errKey(EUNAUTHORIZED, "errors.registration_closed")

// ErrNotInvited: in invite mode, only an invited address, through its
// invitation link, may register.
var ErrNotInvited = fieldErr("email", "errors.not_invited")

// RegistrationPolicy is "open", "invite" or "closed".
func (s *Service) RegistrationPolicy() string { return s.opts.Registration }

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
	if len(s.opts.AllowedEmailDomains) > 0 {
		// Compared in IDNA ASCII form: "İbm.com" is xn--ibm-8dc.com, not
		// ibm.com (REG-02).
		domain, _ := DomainASCII(email[strings.LastIndexByte(email, '@')+1:])
		if !slices.Contains(s.allowedDomains, domain) {
			return false, fieldErr("email", "errors.domain_not_allowed", "domains", strings.Join(s.opts.AllowedEmailDomains, ", "))
		}
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
	if err := s.queueMail(ctx, mail.Invite, mail.Data{To: email, Link: link, Expires: humanDuration(s.opts.InviteLifetime)}); err != nil {
		return "", err
	}
	s.log.InfoContext(ctx, "security event", "event", "invite_sent", "invited", hashToken(norm, "")[:8])
	return link, nil
}

// inviteLifetimeDefault is how long an invitation works.
const inviteLifetimeDefault = 7 * 24 * time.Hour
