package identity

import (
	"context"
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/accountportal/portal/mail"
	"github.com/accountportal/portal/store"
)

// NormalizeUserName is the form a username is unique under.
func NormalizeUserName(name string) string {
	return norm.NFC.String(strings.ToLower(norm.NFC.String(strings.TrimSpace(name))))
}

// ValidateUserName returns why name is not acceptable, or "". A username
// is 2 to 254 characters of letters, digits and - . _ @ + (ASP.NET's set,
// plus letters of every script), so that an email address is one.
func ValidateUserName(name string) string {
	name = strings.TrimSpace(name)
	n := utf8.RuneCountInString(name)
	switch {
	case name == "":
		return "Enter a username."
	case !utf8.ValidString(name):
		return "The username contains characters that are not allowed."
	case n < 2:
		return "Use at least 2 characters."
	case n > 254:
		return "Use at most 254 characters."
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("-._@+", r) {
			return "Use only letters, digits and - . _ @ +"
		}
	}
	return ""
}

// NormalizePhone turns a phone number as typed into E.164 ("+41791234567"):
// spaces, dashes, dots, slashes and parentheses are dropped; it must then
// be "+", a non-zero digit and 6 to 14 more digits. "" stays "" (no number).
func NormalizePhone(phone string) (string, string) {
	phone = strings.TrimSpace(phone)
	if phone == "" {
		return "", ""
	}
	// "+41 (0)79 …": the bracketed trunk prefix is not dialled from abroad.
	phone = strings.Replace(phone, "(0)", "", 1)
	var b strings.Builder
	for i, r := range phone {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case strings.ContainsRune(" -./()", r):
		default:
			return "", "Use digits only, starting with + and the country code, e.g. +41 79 123 45 67."
		}
	}
	out := b.String()
	if !strings.HasPrefix(out, "+") {
		return "", "Start with + and the country code, e.g. +41 79 123 45 67."
	}
	digits := out[1:]
	if len(digits) < 7 || len(digits) > 15 || digits[0] == '0' {
		return "", "That is not a valid international phone number."
	}
	return out, ""
}

// ProfileInput is what the profile form submits.
type ProfileInput struct {
	UserName    string
	PhoneNumber string
}

// UpdateProfile changes the username and phone number. Neither is a
// credential in Portal (sign-in is by email; there is no SMS second
// factor), so the security stamp stays. It reports whether anything
// changed.
func (s *Service) UpdateProfile(ctx context.Context, c Client, u *User, in ProfileInput) (bool, error) {
	fields := map[string]string{}
	name := strings.TrimSpace(in.UserName)
	if msg := ValidateUserName(name); msg != "" {
		fields["username"] = msg
	} else if strings.Contains(name, "@") && NormalizeUserName(name) != u.NormalizedEmail {
		// Usernames with @ could take another person's address as their
		// default username; only your own address is allowed.
		fields["username"] = "A username with @ must be your own email address."
	}
	phone, msg := NormalizePhone(in.PhoneNumber)
	if msg != "" {
		fields["phone_number"] = msg
	}
	if len(fields) > 0 {
		return false, &Error{Code: EINVALID, Message: "Please correct the marked fields.", Fields: fields}
	}
	upd := store.UserUpdate{UpdatedAt: s.now()}
	changed := false
	if name != u.UserName {
		normName := NormalizeUserName(name)
		upd.UserName, upd.NormalizedUserName = &name, &normName
		changed = true
	}
	if phone != u.PhoneNumber {
		upd.PhoneNumber = &phone
		changed = true
	}
	if !changed {
		return false, nil
	}
	err := s.store.UpdateUser(ctx, u.ID, upd)
	if errors.Is(err, store.ErrConflict) {
		return false, FieldError("username", "This username is taken.")
	}
	if err != nil {
		return false, internal(err)
	}
	s.RecordEvent(ctx, u.ID, EventProfileUpdated, c, "")
	return true, nil
}

// ChangePasswordInput is what the change-password form submits.
type ChangePasswordInput struct {
	OldPassword string
	NewPassword string
}

// ErrNoPassword: the account has none (external logins only); the caller
// offers set-password instead.
var ErrNoPassword = Errorf(EINVALID, "Your account has no password yet; set one instead.")

// ChangePassword needs the current password (a wrong one counts towards
// the lockout), checks the new one against the policy, rotates the stamp —
// every other session ends at once, session keepSID stays — and mails the
// owner (PWD-05, ACC-04).
func (s *Service) ChangePassword(ctx context.Context, c Client, u *User, keepSID string, in ChangePasswordInput) error {
	if u.PasswordHash == "" {
		return ErrNoPassword
	}
	if msg := s.opts.Passwords.Check(in.NewPassword, u.Email); msg != "" {
		return FieldError("new_password", msg)
	}
	if err := s.checkCurrentPassword(ctx, u, in.OldPassword, "old_password"); err != nil {
		s.RecordEvent(ctx, u.ID, EventReauthFailed, c, "password change")
		return err
	}
	if NormalizePassword(in.NewPassword) == NormalizePassword(in.OldPassword) {
		return FieldError("new_password", "The new password must differ from the current one.")
	}
	if err := s.setPassword(ctx, c, u, keepSID, in.NewPassword); err != nil {
		return err
	}
	s.RecordEvent(ctx, u.ID, EventPasswordChanged, c, "")
	return nil
}

// ErrHasPassword: set-password is only for accounts without one.
var ErrHasPassword = Errorf(EINVALID, "Your account already has a password; change it instead.")

// SetPassword gives an account without a password (external logins only)
// one, with the same effects as a change.
func (s *Service) SetPassword(ctx context.Context, c Client, u *User, keepSID, password string) error {
	if u.PasswordHash != "" {
		return ErrHasPassword
	}
	if msg := s.opts.Passwords.Check(password, u.Email); msg != "" {
		return FieldError("new_password", msg)
	}
	if err := s.setPassword(ctx, c, u, keepSID, password); err != nil {
		return err
	}
	s.RecordEvent(ctx, u.ID, EventPasswordSet, c, "")
	return nil
}

func (s *Service) setPassword(ctx context.Context, c Client, u *User, keepSID, password string) error {
	hash, err := s.hasher.Hash(ctx, NormalizePassword(password))
	if err != nil {
		return err
	}
	stamp, zero := newStamp(), 0
	err = s.store.UpdateUser(ctx, u.ID, store.UserUpdate{
		PasswordHash: &hash, SecurityStamp: &stamp, AccessFailedCount: &zero,
		KeepSessionID: keepSID, UpdatedAt: s.now(),
	})
	if err != nil {
		return internal(err)
	}
	u.PasswordHash, u.SecurityStamp = hash, stamp
	d := s.eventData(u.Email, c)
	d.Link = s.link("/account/forgot-password", nil)
	s.sendMail(ctx, mail.PasswordChanged, d)
	return nil
}
