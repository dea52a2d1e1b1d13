package identity

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"

	"github.com/accountportal/portal/mail"
	"github.com/accountportal/portal/store"
)

// TOTP parameters (RFC 6238; docs/security.md decision 4): SHA-1, 6 digits,
// 30-second steps, one step of skew either way, each step accepted once.
const (
	totpPeriod = 30
	totpSkew   = 1
	totpDigits = otp.DigitsSix
	// authenticatorKeyBytes is the key size: 160 bits (RFC 4226).
	authenticatorKeyBytes = 20
	// RecoveryCodeCount codes are generated at a time.
	RecoveryCodeCount = 10
)

var totpOpts = hotp.ValidateOpts{Digits: totpDigits, Algorithm: otp.AlgorithmSHA1}

// keyEncryption seals authenticator keys at rest with AES-256-GCM.
type keyEncryption struct{ aead cipher.AEAD }

func newKeyEncryption(key []byte) (*keyEncryption, error) {
	if len(key) != 32 {
		return nil, errors.New("identity: the authenticator key encryption key must be 32 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &keyEncryption{aead: aead}, nil
}

// seal encrypts plain, bound to the user id (so a key copied to another
// user's row does not decrypt).
func (k *keyEncryption) seal(userID string, plain []byte) []byte {
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(err)
	}
	return k.aead.Seal(nonce, nonce, plain, []byte(userID))
}

func (k *keyEncryption) open(userID string, sealed []byte) ([]byte, error) {
	n := k.aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("identity: sealed authenticator key too short")
	}
	return k.aead.Open(nil, sealed[:n], sealed[n:], []byte(userID))
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// Authenticator is what the enable page shows: the key, grouped for
// typing, and the otpauth:// URI for the QR code.
type Authenticator struct {
	Key          string // base32, unformatted
	FormattedKey string // groups of four
	URI          string // otpauth://totp/<issuer>:<email>?secret=…
	// Enrolment is the key sealed for this user (AES-256-GCM), to be kept
	// with the browser's server-side session and handed back to
	// AuthenticatorSetup (the same key again) and EnableAuthenticator.
	// Nothing is stored on the account until the first code is verified.
	Enrolment string
}

// authenticatorKey returns u's decrypted key (base32), or "" when none.
func (s *Service) authenticatorKey(u *User) (string, error) {
	if len(u.AuthenticatorKey) == 0 {
		return "", nil
	}
	raw, err := s.keys.open(u.ID, u.AuthenticatorKey)
	if err != nil {
		return "", internal(fmt.Errorf("authenticator key of %s: %w", u.ID, err))
	}
	return b32.EncodeToString(raw), nil
}

// openEnrolment returns the key sealed in enrolment for u, or "".
func (s *Service) openEnrolment(u *User, enrolment string) string {
	sealed, err := base64.RawURLEncoding.DecodeString(enrolment)
	if err != nil || enrolment == "" {
		return ""
	}
	raw, err := s.keys.open(u.ID, sealed)
	if err != nil || len(raw) != authenticatorKeyBytes {
		return ""
	}
	return b32.EncodeToString(raw)
}

// AuthenticatorSetup returns the key to enrol: the one sealed in enrolment
// (from an earlier call, kept by the caller) or a new random one. Nothing
// is stored on the account: the key is created on enrolment, when
// EnableAuthenticator verifies its first code (MFA-01). It is only for
// users whose 2FA is off: once on, the key is never shown again.
func (s *Service) AuthenticatorSetup(ctx context.Context, u *User, enrolment string) (*Authenticator, error) {
	if u.TwoFactorEnabled {
		return nil, errKey(ECONFLICT, "errors.two_factor_already_on")
	}
	key := s.openEnrolment(u, enrolment)
	if key == "" {
		raw := make([]byte, authenticatorKeyBytes)
		if _, err := rand.Read(raw); err != nil {
			panic(err)
		}
		key = b32.EncodeToString(raw)
		enrolment = base64.RawURLEncoding.EncodeToString(s.keys.seal(u.ID, raw))
	}
	a := s.describeKey(u, key)
	a.Enrolment = enrolment
	return a, nil
}

func (s *Service) describeKey(u *User, key string) *Authenticator {
	var groups []string
	for i := 0; i < len(key); i += 4 {
		groups = append(groups, key[i:min(i+4, len(key))])
	}
	issuer := s.opts.SiteName
	label := url.PathEscape(issuer) + ":" + url.PathEscape(u.Email)
	q := url.Values{"secret": {key}, "issuer": {issuer}, "algorithm": {"SHA1"}, "digits": {"6"}, "period": {strconv.Itoa(totpPeriod)}}
	return &Authenticator{
		Key:          key,
		FormattedKey: strings.Join(groups, " "),
		URI:          "otpauth://totp/" + label + "?" + q.Encode(),
	}
}

// ErrInvalidCode is the answer to a wrong, reused or malformed code.
var ErrInvalidCode = fieldErr("code", "errors.invalid_code")

// normalizeTOTP strips spaces and dashes; a code is six digits.
func normalizeTOTP(code string) (string, bool) {
	code = strings.NewReplacer(" ", "", "-", "", "\t", "").Replace(code)
	if len(code) != 6 {
		return "", false
	}
	for _, r := range code {
		if r < '0' || r > '9' {
			return "", false
		}
	}
	return code, true
}

// verifyTOTP checks code against u's key within one step of skew and
// accepts each step once: the step is recorded by compare-and-set, so the
// same code (or an older one) is refused afterwards in any browser, and of
// two concurrent uses one wins (MFA-02).
func (s *Service) verifyTOTP(ctx context.Context, u *User, code string) error {
	key, err := s.authenticatorKey(u)
	if err != nil {
		return err
	}
	return s.verifyTOTPKey(ctx, u, key, code)
}

// verifyTOTPKey is verifyTOTP against key (base32).
func (s *Service) verifyTOTPKey(ctx context.Context, u *User, key, code string) error {
	code, ok := normalizeTOTP(code)
	if !ok {
		return ErrInvalidCode
	}
	if key == "" {
		return ErrInvalidCode
	}
	cur := s.now().Unix() / totpPeriod
	for step := cur - totpSkew; step <= cur+totpSkew; step++ {
		match, err := hotp.ValidateCustom(code, uint64(step), key, totpOpts)
		if err != nil || !match {
			continue
		}
		won, err := s.store.AdvanceTOTPStep(ctx, u.ID, step)
		if err != nil {
			return internal(err)
		}
		if !won {
			return ErrInvalidCode // this step, or a later one, was used already
		}
		return nil
	}
	return ErrInvalidCode
}

// EnableAuthenticator verifies the first code from the app against the
// key sealed in enrolment (from AuthenticatorSetup); only then is the key
// stored on the account and 2FA turned on. The stamp rotates (every other
// session ends; keepSID stays), and a new set of recovery codes replaces
// any old one and is returned, to be shown once (MFA-01).
func (s *Service) EnableAuthenticator(ctx context.Context, c Client, u *User, keepSID, enrolment, code string) ([]string, error) {
	if u.TwoFactorEnabled {
		return nil, errKey(ECONFLICT, "errors.two_factor_already_on")
	}
	key := s.openEnrolment(u, enrolment)
	if key == "" {
		return nil, ErrInvalidCode // no key was shown to this browser (or it expired with the session)
	}
	if err := s.verifyTOTPKey(ctx, u, key, code); err != nil {
		return nil, err
	}
	sealed, _ := base64.RawURLEncoding.DecodeString(enrolment)
	stamp, yes := newStamp(), true
	if err := s.store.UpdateUser(ctx, u.ID, store.UserUpdate{TwoFactorEnabled: &yes, AuthenticatorKey: &sealed, SecurityStamp: &stamp, KeepSessionID: keepSID, UpdatedAt: s.now()}); err != nil {
		return nil, internal(err)
	}
	u.TwoFactorEnabled, u.AuthenticatorKey, u.SecurityStamp = true, sealed, stamp
	s.RecordEvent(ctx, u.ID, Event2FAEnabled, c, "")
	s.notifySignedOut(ctx, u, c, "mail-notice.2fa_enabled")
	return s.replaceRecoveryCodes(ctx, u)
}

// DisableTwoFactor turns 2FA off and deletes the key and the recovery
// codes: turning it on again enrols a new key with new codes (MFA-01). It
// needs the password (when the account has one) and a current code from
// the authenticator app, every time — a recent re-authentication alone
// does not do (MFA-05) — both through the guarded paths (counted before
// they are checked, the lock enforced). The stamp rotates, which also
// forgets every remembered browser.
func (s *Service) DisableTwoFactor(ctx context.Context, c Client, u *User, keepSID, password, code string) error {
	if !u.TwoFactorEnabled {
		return errKey(EINVALID, "errors.two_factor_not_on")
	}
	if u.PasswordHash != "" {
		if err := s.checkCurrentPassword(ctx, c, u, password, "password"); err != nil {
			return err
		}
	}
	if err := s.checkTOTPField(ctx, c, u, code); err != nil {
		return err
	}
	if err := s.dropAuthenticator(ctx, u, keepSID); err != nil {
		return err
	}
	s.RecordEvent(ctx, u.ID, Event2FADisabled, c, "")
	s.notifySignedOut(ctx, u, c, "mail-notice.2fa_disabled")
	return nil
}

// ResetAuthenticator forgets the key (and the recovery codes): 2FA is off
// until a new key is enrolled; the stamp rotates.
func (s *Service) ResetAuthenticator(ctx context.Context, c Client, u *User, keepSID string) error {
	if err := s.dropAuthenticator(ctx, u, keepSID); err != nil {
		return err
	}
	s.RecordEvent(ctx, u.ID, Event2FAReset, c, "")
	s.notifySignedOut(ctx, u, c, "mail-notice.2fa_reset")
	return nil
}

// dropAuthenticator turns 2FA off and deletes the key and every recovery
// code, rotating the stamp (sessions but keepSID end; remembered browsers
// are forgotten).
func (s *Service) dropAuthenticator(ctx context.Context, u *User, keepSID string) error {
	stamp, no, none := newStamp(), false, []byte{}
	if err := s.store.UpdateUser(ctx, u.ID, store.UserUpdate{TwoFactorEnabled: &no, AuthenticatorKey: &none, SecurityStamp: &stamp, KeepSessionID: keepSID, UpdatedAt: s.now()}); err != nil {
		return internal(err)
	}
	u.TwoFactorEnabled, u.AuthenticatorKey, u.SecurityStamp = false, nil, stamp
	if err := s.store.ReplaceRecoveryCodes(ctx, u.ID, nil, s.now()); err != nil {
		return internal(err)
	}
	return nil
}

// TwoFactorStatus is what the two-factor page shows.
type TwoFactorStatus struct {
	Enabled           bool
	HasAuthenticator  bool
	RecoveryCodesLeft int
}

// TwoFactor returns u's 2FA state.
func (s *Service) TwoFactor(ctx context.Context, u *User) (TwoFactorStatus, error) {
	codes, err := s.store.ListRecoveryCodes(ctx, u.ID)
	if err != nil {
		return TwoFactorStatus{}, internal(err)
	}
	return TwoFactorStatus{Enabled: u.TwoFactorEnabled, HasAuthenticator: len(u.AuthenticatorKey) > 0, RecoveryCodesLeft: len(codes)}, nil
}

// recoveryAlphabet has 32 symbols and no look-alikes: no 0 or O, no 1 or
// I. Ten of them carry 50 bits.
const recoveryAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

// newRecoveryCode is XXXXX-XXXXX from recoveryAlphabet: 50 random bits
// (each byte's low 5 bits, uniform since 256 is a multiple of 32).
func newRecoveryCode() string {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	for i := range b {
		b[i] = recoveryAlphabet[b[i]%32]
	}
	return string(b[:5]) + "-" + string(b[5:])
}

// normalizeRecoveryCode makes entry case- and dash-insensitive.
func normalizeRecoveryCode(code string) (string, bool) {
	code = strings.ToUpper(strings.NewReplacer(" ", "", "-", "", "\t", "").Replace(code))
	if len(code) != 10 {
		return "", false
	}
	for _, r := range code {
		if !strings.ContainsRune(recoveryAlphabet, r) {
			return "", false
		}
	}
	return code[:5] + "-" + code[5:], true
}

// canonicalRecoveryCode is the form a recovery code is hashed in: Portal's
// own codes as normalizeRecoveryCode makes them; a code imported from
// another system (ASP.NET Core Identity's older 8-character codes, issue
// 23) upper case without spaces or dashes, 6 to 16 letters and digits.
func canonicalRecoveryCode(code string) (string, bool) {
	if c, ok := normalizeRecoveryCode(code); ok {
		return c, true
	}
	code = strings.ToUpper(strings.NewReplacer(" ", "", "-", "", "\t", "").Replace(code))
	if len(code) < 6 || len(code) > 16 {
		return "", false
	}
	for _, r := range code {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return "", false
		}
	}
	return code, true
}

// replaceRecoveryCodes generates RecoveryCodeCount new codes, stores their
// argon2id hashes (each below 112 bits of entropy, so a salted password
// hash, ASVS5 6.5.2) replacing every old code, and returns them.
func (s *Service) replaceRecoveryCodes(ctx context.Context, u *User) ([]string, error) {
	codes := make([]string, RecoveryCodeCount)
	hashes := make([]string, RecoveryCodeCount)
	for i := range codes {
		codes[i] = newRecoveryCode()
		h, err := s.codeHasher.Hash(ctx, codes[i])
		if err != nil {
			return nil, err
		}
		hashes[i] = h
	}
	if err := s.store.ReplaceRecoveryCodes(ctx, u.ID, hashes, s.now()); err != nil {
		return nil, internal(err)
	}
	return codes, nil
}

// GenerateRecoveryCodes replaces every recovery code of a 2FA user with new
// ones, returned to be shown once. Like every change of an authentication
// factor it rotates the stamp: every other session ends (SES-03); keepSID
// stays.
func (s *Service) GenerateRecoveryCodes(ctx context.Context, c Client, u *User, keepSID string) ([]string, error) {
	if !u.TwoFactorEnabled {
		return nil, errKey(EINVALID, "errors.two_factor_first")
	}
	codes, err := s.replaceRecoveryCodes(ctx, u)
	if err != nil {
		return nil, err
	}
	stamp, err := s.RotateSecurityStamp(ctx, u.ID, keepSID)
	if err != nil {
		return nil, err
	}
	u.SecurityStamp = stamp
	s.RecordEvent(ctx, u.ID, EventRecoveryCodesRenewed, c, "")
	s.notify(ctx, u, c, "mail-notice.recovery_codes_regenerated")
	return codes, nil
}

// spendRecoveryCode finds the code among u's and deletes it; of concurrent
// uses of one code exactly one succeeds (MFA-04).
func (s *Service) spendRecoveryCode(ctx context.Context, u *User, code string) error {
	code, ok := canonicalRecoveryCode(code)
	if !ok {
		return ErrInvalidRecoveryCode
	}
	stored, err := s.store.ListRecoveryCodes(ctx, u.ID)
	if err != nil {
		return internal(err)
	}
	for _, rc := range stored {
		match, _, err := s.codeHasher.Verify(ctx, code, rc.Hash)
		if err != nil {
			return err
		}
		if !match {
			continue
		}
		spent, err := s.store.DeleteRecoveryCode(ctx, u.ID, rc.ID)
		if err != nil {
			return internal(err)
		}
		if !spent {
			return ErrInvalidRecoveryCode
		}
		return nil
	}
	return ErrInvalidRecoveryCode
}

// ErrInvalidRecoveryCode is the answer to a wrong or used recovery code.
var ErrInvalidRecoveryCode = fieldErr("recovery_code", "errors.invalid_recovery_code")

// ErrTwoFactorLocked: too many wrong codes; sign in again later.
var ErrTwoFactorLocked = errKey(EUNAUTHORIZED, "errors.too_many_codes")

// RememberBrowserToken remembers a browser for u and returns the value of
// its "remember this browser" cookie: the user id, an expiry and a random
// browser id, with an HMAC over them and the security stamp. The browser
// id is recorded in the store, so that forgetting the browser revokes the
// cookie on the server (a copied cookie stops working), and a stamp change
// (password change, "this wasn't me", 2FA off) forgets every browser.
func (s *Service) RememberBrowserToken(ctx context.Context, u *User) (string, time.Time, error) {
	now := s.now()
	exp := now.Add(s.opts.RememberBrowserLifetime)
	id := randomID()
	if err := s.store.AddRememberedBrowser(ctx, u.ID, id, exp, now); err != nil {
		return "", time.Time{}, internal(err)
	}
	payload := u.ID + "|" + strconv.FormatInt(exp.Unix(), 10) + "|" + id
	return base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + s.rememberMAC(payload, u.SecurityStamp), exp, nil
}

func (s *Service) rememberMAC(payload, stamp string) string {
	m := hmac.New(sha256.New, s.opts.RememberKey)
	m.Write([]byte("portal-remember-browser\x00" + payload + "\x00" + stamp))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// rememberedID returns the browser id of token if its MAC is right for u
// and it has not expired, or "".
func (s *Service) rememberedID(u *User, token string) string {
	enc, mac, ok := strings.Cut(token, ".")
	if !ok {
		return ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return ""
	}
	payload := string(raw)
	parts := strings.Split(payload, "|")
	if len(parts) != 3 || parts[0] != u.ID || parts[2] == "" {
		return ""
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || !s.now().Before(time.Unix(exp, 0)) {
		return ""
	}
	if !hmac.Equal([]byte(mac), []byte(s.rememberMAC(payload, u.SecurityStamp))) {
		return ""
	}
	return parts[2]
}

// IsBrowserRemembered reports whether token (the cookie value) remembers
// this browser for u — signed for u's current stamp, unexpired, and not
// forgotten on the server — so that the second factor is skipped.
func (s *Service) IsBrowserRemembered(ctx context.Context, u *User, token string) bool {
	id := s.rememberedID(u, token)
	if id == "" {
		return false
	}
	ok, err := s.store.RememberedBrowserActive(ctx, u.ID, id, s.now())
	if err != nil {
		s.log.ErrorContext(ctx, "remembered browser not checked; the second factor is asked", "err", err)
		return false
	}
	return ok
}

// ForgetBrowser revokes the browser whose cookie is token, on the server:
// a copy of the cookie no longer skips the second factor.
func (s *Service) ForgetBrowser(ctx context.Context, u *User, token string) error {
	id := s.rememberedID(u, token)
	if id == "" {
		return nil
	}
	if _, err := s.store.DeleteRememberedBrowsers(ctx, u.ID, id); err != nil {
		return internal(err)
	}
	return nil
}

// ForgetAllBrowsers revokes every browser remembered for u (the two-factor
// page's "forget every browser") and returns how many there were; the
// owner is told.
func (s *Service) ForgetAllBrowsers(ctx context.Context, c Client, u *User) (int, error) {
	n, err := s.store.DeleteRememberedBrowsers(ctx, u.ID, "")
	if err != nil {
		return 0, internal(err)
	}
	s.notify(ctx, u, c, "mail-notice.browsers_forgotten")
	return n, nil
}

// RememberBrowserLifetime is how long a remembered browser skips 2FA.
func (s *Service) RememberBrowserLifetime() time.Duration { return s.opts.RememberBrowserLifetime }

// notify mails u a security notice with when, where and which browser,
// in u's language: key is the notice's sentence (mail-notice.*, a plural
// message when args name "n"), args its placeholders' name/value pairs.
func (s *Service) notify(ctx context.Context, u *User, c Client, key string, args ...any) {
	s.notifyMail(ctx, u, c, false, key, args...)
}

// notifySignedOut is notify for a change that also ended every other
// session of the account: the mail says so, as the page does (issue 18
// item 5).
func (s *Service) notifySignedOut(ctx context.Context, u *User, c Client, key string, args ...any) {
	s.notifyMail(ctx, u, c, true, key, args...)
}

func (s *Service) notifyMail(ctx context.Context, u *User, c Client, signedOut bool, key string, args ...any) {
	cat := s.catalogFor(ctx, u)
	d := s.eventData(ctx, cat, u, c)
	d.Notice = noticeText(cat, key, args...)
	d.SignedOut = signedOut
	d.Link = s.link("/account/manage/security", nil)
	s.sendMail(ctx, cat, mail.SecurityNotice, d)
}
