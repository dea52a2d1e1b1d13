package identity

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/accountportal/portal/store"
)

// Operator is the Client of actions taken with `portal users …`: the
// security history shows them as the operator's.
var Operator = Client{IP: "operator", UserAgent: "portal users (command line)"}

// ListUsers returns a page of accounts, oldest first.
func (s *Service) ListUsers(ctx context.Context, offset, limit int) ([]*User, error) {
	us, err := s.store.ListUsers(ctx, offset, limit)
	return us, internal(err)
}

func (s *Service) operatorTarget(ctx context.Context, email string) (*User, error) {
	u, err := s.store.FindUserByEmail(ctx, NormalizeEmail(email))
	if errors.Is(err, store.ErrNotFound) {
		return nil, errKey(ENOTFOUND, "errors.no_account_for_address", "email", strings.TrimSpace(email))
	}
	return u, internal(err)
}

// AdminCreateUser creates an account as the operator: with the password
// given (checked against the policy), or without one (the person sets one
// through "forgot password"). confirmed marks the address confirmed.
func (s *Service) AdminCreateUser(ctx context.Context, email, password string, confirmed bool) (*User, error) {
	email = strings.TrimSpace(email)
	if err := validAddress("email", email); err != nil {
		return nil, err
	}
	email = CanonicalEmail(email)
	hash := ""
	if password != "" {
		if m := s.checkPassword(password, email); !m.ok() {
			return nil, msgErr("password", m)
		}
		h, err := s.hasher.Hash(ctx, NormalizePassword(password))
		if err != nil {
			return nil, err
		}
		hash = h
	}
	now := s.now()
	norm := NormalizeEmail(email)
	u := &User{
		ID: uuid.Must(uuid.NewV7()).String(), Email: email, NormalizedEmail: norm, UserName: email, NormalizedUserName: norm,
		EmailConfirmed: confirmed, PasswordHash: hash, SecurityStamp: newStamp(), CreatedAt: now, UpdatedAt: now,
	}
	if err := s.store.CreateUser(ctx, u); errors.Is(err, store.ErrConflict) {
		return nil, errKey(ECONFLICT, "errors.address_has_account", "email", email)
	} else if err != nil {
		return nil, internal(err)
	}
	s.RecordEvent(ctx, u.ID, EventRegister, Operator, "by the operator")
	return u, nil
}

// AdminLock locks the account until until and ends every session of it.
func (s *Service) AdminLock(ctx context.Context, email string, until time.Time) error {
	u, err := s.operatorTarget(ctx, email)
	if err != nil {
		return err
	}
	stamp := newStamp()
	if err := s.store.UpdateUser(ctx, u.ID, store.UserUpdate{LockoutEnd: &until, SecurityStamp: &stamp, UpdatedAt: s.now()}); err != nil {
		return internal(err)
	}
	s.RecordEvent(ctx, u.ID, EventLockout, Operator, "by the operator until "+until.Format(time.RFC3339))
	return nil
}

// AdminUnlock clears a lockout and the failure count.
func (s *Service) AdminUnlock(ctx context.Context, email string) error {
	u, err := s.operatorTarget(ctx, email)
	if err != nil {
		return err
	}
	zero, never := 0, time.Time{}
	if err := s.store.UpdateUser(ctx, u.ID, store.UserUpdate{LockoutEnd: &never, AccessFailedCount: &zero, UpdatedAt: s.now()}); err != nil {
		return internal(err)
	}
	s.RecordEvent(ctx, u.ID, "unlocked", Operator, "by the operator")
	return nil
}

// AdminDelete deletes the account and all its data, like the owner's own
// deletion but without a password.
func (s *Service) AdminDelete(ctx context.Context, email string) error {
	u, err := s.operatorTarget(ctx, email)
	if err != nil {
		return err
	}
	if err := s.store.DeleteUser(ctx, u.ID, u.Email, s.keptEvents()); err != nil {
		return internal(err)
	}
	s.log.InfoContext(ctx, "security event", "event", EventAccountDeleted, "user", u.ID, "ip", Operator.IP, "user_agent", Operator.UserAgent)
	return nil
}

// AdminConfirmEmail marks the address confirmed.
func (s *Service) AdminConfirmEmail(ctx context.Context, email string) error {
	u, err := s.operatorTarget(ctx, email)
	if err != nil {
		return err
	}
	yes := true
	if err := s.store.UpdateUser(ctx, u.ID, store.UserUpdate{EmailConfirmed: &yes, UpdatedAt: s.now()}); err != nil {
		return internal(err)
	}
	s.RecordEvent(ctx, u.ID, EventEmailConfirmed, Operator, "by the operator")
	return nil
}

// AdminResetTwoFactor turns 2FA off for someone who lost both the app and
// the recovery codes: the key and the codes are removed, every session and
// remembered browser ends (stamp), and the owner is told by mail.
func (s *Service) AdminResetTwoFactor(ctx context.Context, email string) error {
	u, err := s.operatorTarget(ctx, email)
	if err != nil {
		return err
	}
	stamp, no, none := newStamp(), false, []byte{}
	if err := s.store.UpdateUser(ctx, u.ID, store.UserUpdate{TwoFactorEnabled: &no, AuthenticatorKey: &none, SecurityStamp: &stamp, UpdatedAt: s.now()}); err != nil {
		return internal(err)
	}
	if err := s.store.ReplaceRecoveryCodes(ctx, u.ID, nil, s.now()); err != nil {
		return internal(err)
	}
	s.RecordEvent(ctx, u.ID, Event2FADisabled, Operator, "reset by the operator")
	s.notify(ctx, u, Operator, "mail-notice.2fa_reset_by_operator")
	return nil
}
