package identity

import (
	"context"
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
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
// plus letters of every script), so that an email address is one. The
// message is in the built-in wording.
func ValidateUserName(name string) string { return validateUserName(name).text(nil) }

// validateUserName is ValidateUserName as a catalogue message.
func validateUserName(name string) message {
	name = strings.TrimSpace(name)
	n := utf8.RuneCountInString(name)
	switch {
	case name == "":
		return message{Key: "errors.username_required"}
	case !utf8.ValidString(name):
		return message{Key: "errors.username_bad_chars"}
	case n < 2:
		return minLength(2)
	case n > 254:
		return maxLength(254)
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("-._@+", r) {
			return message{Key: "errors.username_chars"}
		}
	}
	return message{}
}

// NormalizePhone turns a phone number as typed into E.164 ("+41791234567"):
// spaces, dashes, dots, slashes and parentheses are dropped; it must then
// be "+", a non-zero digit and 6 to 14 more digits. "" stays "" (no number).
// The second result says what is wrong (built-in wording), or "".
func NormalizePhone(phone string) (string, string) {
	out, m := normalizePhone(phone)
	return out, m.text(nil)
}

// normalizePhone is NormalizePhone with a catalogue message.
func normalizePhone(phone string) (string, message) {
	phone = strings.TrimSpace(phone)
	if phone == "" {
		return "", message{}
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
			return "", message{Key: "errors.phone_chars"}
		}
	}
	out := b.String()
	if strings.HasPrefix(out, "00") {
		out = "+" + out[2:] // the international prefix of most countries
	}
	if !strings.HasPrefix(out, "+") {
		// No default region: Portal cannot know which country a number
		// without its code belongs to (issue 18 item 17).
		return "", message{Key: "errors.phone_plus"}
	}
	digits := out[1:]
	if len(digits) < 7 || len(digits) > 15 || digits[0] == '0' {
		return "", message{Key: "errors.phone_invalid"}
	}
	// libphonenumber knows each country's number lengths: a number that
	// cannot exist there is refused, and the E.164 form is its own.
	num, err := phonenumbers.Parse(out, "")
	if err != nil || !phonenumbers.IsPossibleNumber(num) {
		return "", message{Key: "errors.phone_invalid"}
	}
	return phonenumbers.Format(num, phonenumbers.E164), message{}
}

// FormatPhone shows a stored E.164 number grouped the way its country
// writes it ("+41791234567" → "+41 79 123 45 67", issue 18 item 17);
// anything it cannot read comes back as it is.
func FormatPhone(e164 string) string {
	if e164 == "" {
		return ""
	}
	num, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return e164
	}
	return phonenumbers.Format(num, phonenumbers.INTERNATIONAL)
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
	fields := map[string]message{}
	name := strings.TrimSpace(in.UserName)
	if m := validateUserName(name); !m.ok() {
		fields["username"] = m
	} else if strings.Contains(name, "@") && NormalizeUserName(name) != u.NormalizedEmail {
		// Usernames with @ could take another person's address as their
		// default username; only your own address is allowed.
		fields["username"] = message{Key: "errors.username_not_own_email"}
	}
	phone, m := normalizePhone(in.PhoneNumber)
	if !m.ok() {
		fields["phone_number"] = m
	}
	if len(fields) > 0 {
		return false, fieldsErr(fields)
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
		return false, fieldErr("username", "errors.username_taken")
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
var ErrNoPassword = errKey(EINVALID, "errors.no_password_yet")

// ChangePassword needs the current password (a wrong one counts towards
// the lockout), checks the new one against the policy, rotates the stamp —
// every other session ends at once, session keepSID stays — and mails the
// owner (PWD-05, ACC-04).
func (s *Service) ChangePassword(ctx context.Context, c Client, u *User, keepSID string, in ChangePasswordInput) error {
	if u.PasswordHash == "" {
		return ErrNoPassword
	}
	policy := s.checkPassword(in.NewPassword, u.Email)
	if err := s.checkCurrentPassword(ctx, c, u, in.OldPassword, "old_password"); err != nil {
		s.RecordEvent(ctx, u.ID, EventReauthFailed, c, "password change")
		var e *Error
		if !policy.ok() && errors.As(err, &e) && e.Code == EINVALID && e.Key != "" && e.Fields["old_password"] != "" {
			// Both fields' errors in one round (issue 18 item 2).
			return fieldsErr(map[string]message{"old_password": {Key: e.Key, Args: e.Args}, "new_password": policy})
		}
		return err
	}
	if !policy.ok() {
		return msgErr("new_password", policy)
	}
	if NormalizePassword(in.NewPassword) == NormalizePassword(in.OldPassword) {
		return fieldErr("new_password", "errors.password_unchanged")
	}
	if err := s.setPassword(ctx, c, u, keepSID, in.NewPassword, mail.PasswordChanged); err != nil {
		return err
	}
	s.RecordEvent(ctx, u.ID, EventPasswordChanged, c, "")
	return nil
}

// ErrHasPassword: set-password is only for accounts without one.
var ErrHasPassword = errKey(EINVALID, "errors.has_password")

// SetPassword gives an account without a password (external logins only)
// one, with the same effects as a change.
func (s *Service) SetPassword(ctx context.Context, c Client, u *User, keepSID, password string) error {
	if u.PasswordHash != "" {
		return ErrHasPassword
	}
	if m := s.checkPassword(password, u.Email); !m.ok() {
		return msgErr("new_password", m)
	}
	if err := s.setPassword(ctx, c, u, keepSID, password, mail.PasswordSet); err != nil {
		return err
	}
	s.RecordEvent(ctx, u.ID, EventPasswordSet, c, "")
	return nil
}

// setPassword stores password and mails the owner the message notice
// (a change, or a first password: issue 18 item 11).
func (s *Service) setPassword(ctx context.Context, c Client, u *User, keepSID, password, notice string) error {
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
	cat := s.catalogFor(ctx, u)
	d := s.eventData(ctx, cat, u, c)
	d.Link = s.link("/account/forgot-password", nil)
	s.sendMail(ctx, cat, notice, d)
	return nil
}
