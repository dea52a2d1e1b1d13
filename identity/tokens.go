package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"time"

	"github.com/accountportal/portal/mail"
	"github.com/accountportal/portal/store"
)

// Token purposes.
const (
	PurposeConfirmEmail  = "confirm-email"
	PurposeResetPassword = "reset-password"
	PurposeChangeEmail   = "change-email"
)

// tokenBytes is the entropy of a mail token: 256 bits (REG-03).
const tokenBytes = 32

// ErrInvalidToken is the one answer for a used, expired, stale, malformed or
// unknown link.
var ErrInvalidToken = errKey(EINVALID, "errors.invalid_token")

// issueToken creates a single-use token for u and purpose, bound to u's
// current security stamp and carrying data, and returns its secret. A
// non-empty bind is hashed with the secret: only a consumer that presents
// the same bind (an email change's new address) finds the token, so a link
// with an altered address does not spend the real one. Older tokens of the
// same purpose stop working.
func (s *Service) issueToken(ctx context.Context, u *User, purpose, data, bind string, lifetime time.Duration) (string, error) {
	raw := make([]byte, tokenBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", internal(err)
	}
	secret := base64.RawURLEncoding.EncodeToString(raw)
	if err := s.store.DeleteTokens(ctx, u.ID, purpose); err != nil {
		return "", internal(err)
	}
	now := s.now()
	err := s.store.CreateToken(ctx, &store.Token{
		Hash: hashToken(secret, bind), UserID: u.ID, Purpose: purpose, Stamp: u.SecurityStamp,
		Data: data, ExpiresAt: now.Add(lifetime), CreatedAt: now,
	})
	if err != nil {
		return "", internal(err)
	}
	return secret, nil
}

// consumeToken spends the token and returns its user, if the token is
// valid: unused, unexpired, for userID, with the same bind, and issued under
// the user's current stamp.
func (s *Service) consumeToken(ctx context.Context, userID, secret, purpose, bind string) (*User, *store.Token, error) {
	if b, err := base64.RawURLEncoding.DecodeString(secret); err != nil || len(b) != tokenBytes {
		return nil, nil, ErrInvalidToken
	}
	t, err := s.store.ConsumeToken(ctx, hashToken(secret, bind), purpose, userID, s.now())
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, ErrInvalidToken
	}
	if err != nil {
		return nil, nil, internal(err)
	}
	u, err := s.store.FindUserByID(ctx, t.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, ErrInvalidToken
	}
	if err != nil {
		return nil, nil, internal(err)
	}
	if u.SecurityStamp != t.Stamp {
		return nil, nil, ErrInvalidToken
	}
	return u, t, nil
}

func hashToken(secret, bind string) []byte {
	if bind == "" {
		h := sha256.Sum256([]byte(secret))
		return h[:]
	}
	h := sha256.Sum256([]byte(secret + "\x00" + bind))
	return h[:]
}

// SendConfirmation mails u a link that confirms its address.
func (s *Service) SendConfirmation(ctx context.Context, u *User) error {
	_, err := s.sendConfirmation(ctx, u)
	return err
}

func (s *Service) sendConfirmation(ctx context.Context, u *User) (string, error) {
	secret, err := s.issueToken(ctx, u, PurposeConfirmEmail, u.NormalizedEmail, "", s.opts.ConfirmEmailLifetime)
	if err != nil {
		return "", err
	}
	link := s.link("/account/confirm-email", url.Values{"userId": {u.ID}, "code": {secret}})
	cat := s.catalogFor(ctx, u)
	d := mail.Data{To: u.Email, Link: link, Expires: duration(cat, s.opts.ConfirmEmailLifetime)}
	return link, s.queueMail(ctx, cat, mail.ConfirmEmail, d)
}

// ConfirmEmail spends a confirmation link. The token is bound to the address
// it was sent to: after an email change it no longer confirms anything.
// Submissions are rate-limited per IP against token guessing (REG-03).
//
// byCreator says the link was opened in the browser that created the
// account (or one signed in to it). When it was not, the person proved
// the mailbox but not that they set up the account: whoever created it
// may have typed someone else's address (a pre-account takeover, OIDC-03,
// ACC-04). So the sign-in methods set up before the confirmation — the
// password, external logins, two-factor authentication — are removed, the
// owner is told, and ResetCode lets them choose a password at once.
func (s *Service) ConfirmEmail(ctx context.Context, c Client, userID, secret string, byCreator bool) (ConfirmResult, error) {
	if err := s.limit(ctx, "link-ip", ipKey(c.IP), s.opts.RateLimits.LinkSubmissionsPerIP); err != nil {
		return ConfirmResult{}, err
	}
	u, t, err := s.consumeToken(ctx, userID, secret, PurposeConfirmEmail, "")
	if err != nil {
		return ConfirmResult{}, err
	}
	if t.Data != u.NormalizedEmail {
		return ConfirmResult{}, ErrInvalidToken
	}
	res := ConfirmResult{User: u}
	if u.EmailConfirmed {
		return res, nil
	}
	hadPassword := u.PasswordHash != ""
	if !byCreator {
		if res.Removed, err = s.removeCreatorCredentials(ctx, c, u, true, ""); err != nil {
			return ConfirmResult{}, err
		}
	}
	yes := true
	if err := s.store.UpdateUser(ctx, u.ID, store.UserUpdate{EmailConfirmed: &yes, UpdatedAt: s.now()}); err != nil {
		return ConfirmResult{}, internal(err)
	}
	u.EmailConfirmed = true
	s.RecordEvent(ctx, u.ID, EventEmailConfirmed, c, "")
	if !byCreator && hadPassword {
		if res.ResetCode, err = s.resetCodeFor(ctx, u); err != nil {
			return ConfirmResult{}, err
		}
	}
	return res, nil
}

// ResetLinkLive reports whether a reset link's code can still be used:
// unused, unexpired and issued under the account's current stamp. It spends
// nothing, so the reset page can say "this link was used or has expired"
// before anyone fills in the form (issue 18 item 6); only the form's POST
// spends the link (REL-15).
func (s *Service) ResetLinkLive(ctx context.Context, secret string) (bool, error) {
	if b, err := base64.RawURLEncoding.DecodeString(secret); err != nil || len(b) != tokenBytes {
		return false, nil
	}
	t, err := s.store.LiveToken(ctx, hashToken(secret, ""), PurposeResetPassword, s.now())
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, internal(err)
	}
	u, err := s.store.FindUserByID(ctx, t.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, internal(err)
	}
	return u.SecurityStamp == t.Stamp, nil
}
