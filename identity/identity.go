package identity

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"github.com/accountportal/portal/mail"
	"github.com/accountportal/portal/messages"
	"github.com/accountportal/portal/store"
)

// User is an account as the rest of Portal sees it.
type User = store.User

// Options configure a Service: the operator's Settings (embedded; zero
// values take the defaults) and what the program supplies.
type Options struct {
	Settings

	Store    store.Store
	Mailer   mail.Sender
	Log      *slog.Logger
	SiteName string
	// BaseURL is the absolute origin (and path prefix) of links in mail. It
	// comes from configuration, never from a request's Host (RST-03).
	// Passkeys are bound to its origin, and its host is their relying
	// party id (none when it is an IP address: passkeys are off).
	BaseURL string
	// PasskeyRPID, when set, is the passkeys' relying party id instead of
	// BaseURL's host: a parent domain of it (with a cookie shared by
	// sibling hosts).
	PasskeyRPID string
	// InviteLifetime is how long an invitation works; default 7 days.
	InviteLifetime time.Duration
	HashWait       time.Duration // queue time before EUNAVAILABLE; default 2 s
	// HashingBusy, when set, hears when password hashing starts (true)
	// and stops (false) — see Hasher.OnBusy.
	HashingBusy func(busy bool)
	// MailTemplates overrides built-in mail templates (a theme's mail/
	// directory); nil for none.
	MailTemplates fs.FS
	// LogKey keys the hash that stands for unknown addresses in the log
	// (LOG-01); shared by every instance.
	LogKey []byte
	// AuthenticatorKeyKey (32 bytes) encrypts authenticator keys at rest
	// (AES-256-GCM); RememberKey signs "remember this browser" cookies.
	// Both are shared by every instance (the secrets table).
	AuthenticatorKeyKey []byte
	RememberKey         []byte
	// OIDCKey (32 bytes) keys the OpenID Provider: its opaque tokens and
	// the encryption of its signing keys at rest. Shared by every instance.
	OIDCKey []byte
	// DevLinks: the mailer only logs, so pages may show the links a mail
	// would carry (a development aid; never with a real mailer).
	DevLinks bool
	// Now is the clock; tests inject one. Default time.Now.
	Now func() time.Time
	// Observer hears sign-ins, registrations, refusals, lockouts,
	// sessions, mail and hashing, for metrics; nil for none.
	Observer Observer
}

// Service is the identity domain.
type Service struct {
	store     store.Store
	mailer    mail.Sender
	templates atomic.Pointer[mail.Templates] // SetMailTemplates swaps it
	msgs      atomic.Pointer[messages.Set]   // SetMessages swaps it; nil: English
	queue     *MailQueue
	keys      *keyEncryption
	// codeHasher hashes recovery codes: argon2id with at most 8 MiB (50-bit
	// random codes need far less work than passwords), sharing the hashing
	// slots.
	codeHasher *Hasher
	log        *slog.Logger
	hasher     *Hasher
	obs        Observer
	opts       Options
	now        func() time.Time
	oidc       *oidcKeys // nil without Options.OIDCKey
	sessions   *sessionCache
	contributorSet

	// When the hourly cleanups last ran (unix seconds), per service.
	lastRateLimitCleanup atomic.Int64
	lastSessionCleanup   atomic.Int64
	lastCeremonyCleanup  atomic.Int64

	// wa is the passkeys' relying party; nil when passkeys are off.
	wa *webauthn.WebAuthn
}

// New returns a Service.
func New(o Options) (*Service, error) {
	if o.Store == nil || o.Mailer == nil {
		return nil, errors.New("identity: Store and Mailer are required")
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.SiteName == "" {
		o.SiteName = "Portal"
	}
	o.Settings = o.Settings.withDefaults()
	if err := o.Settings.Validate(); err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	fields, err := CheckExtraFields(o.RegisterFields) // fills in labels
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	o.RegisterFields = fields
	if o.HashWait <= 0 {
		o.HashWait = 2 * time.Second
	}
	if o.InviteLifetime <= 0 {
		o.InviteLifetime = inviteLifetimeDefault
	}
	if len(o.AuthenticatorKeyKey) == 0 || len(o.RememberKey) == 0 || len(o.LogKey) == 0 {
		return nil, errors.New("identity: AuthenticatorKeyKey, RememberKey and LogKey are required")
	}
	keys, err := newKeyEncryption(o.AuthenticatorKeyKey)
	if err != nil {
		return nil, err
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Observer == nil {
		o.Observer = nopObserver{}
	}
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	t, err := mail.LoadTemplates(o.MailTemplates, o.Log)
	if err != nil {
		return nil, err
	}
	now := func() time.Time { return o.Now().UTC() }
	hasher := NewHasher(o.hashParams(), o.HashConcurrency, o.HashWait)
	if o.HashingBusy != nil {
		hasher.OnBusy(o.HashingBusy)
	}
	hasher.OnWait(o.Observer.HashWaited)
	codeParams := o.hashParams()
	codeParams.Memory = min(codeParams.Memory, 8192)
	s := &Service{
		store:      o.Store,
		mailer:     o.Mailer,
		queue:      newMailQueue(o.Store, o.Mailer, o.Log, now),
		keys:       keys,
		codeHasher: hasher.WithParams(codeParams),
		log:        o.Log,
		hasher:     hasher,
		obs:        o.Observer,
		opts:       o,
		now:        now,
		sessions:   newSessionCache(),
	}
	if s.wa, err = passkeyConfig(o.BaseURL, o.PasskeyRPID, o.SiteName); err != nil {
		return nil, err
	}
	if len(o.OIDCKey) > 0 {
		if s.oidc, err = newOIDCKeys(o.OIDCKey); err != nil {
			return nil, err
		}
	}
	s.templates.Store(t)
	s.queue.obs = o.Observer
	s.queue.jobs[jobForgotPassword] = s.runForgotPassword
	s.queue.jobs[jobResendConfirm] = s.runResendConfirmation
	s.queue.jobs[jobEmailChange] = s.runEmailChange
	s.queue.jobs[jobDiscard] = func(context.Context, *store.OutboxMessage) error { return nil }
	return s, nil
}

// SetMailTemplates replaces the mail templates (a theme's mail/ read
// again by --theme-reload).
func (s *Service) SetMailTemplates(t *mail.Templates) { s.templates.Store(t) }

// MailQueue is the outbox worker: Start it after New, Stop it before
// closing the store.
func (s *Service) MailQueue() *MailQueue { return s.queue }

// Now is the service's clock (UTC).
func (s *Service) Now() time.Time { return s.now() }

// Settings are the settings in force, defaults filled in: handlers read
// the policy from here (the minimum password length, lifetimes) instead
// of keeping copies.
func (s *Service) Settings() Settings {
	x := s.opts.Settings
	x.AllowedEmailDomains = slices.Clone(x.AllowedEmailDomains)
	x.RegisterFields = slices.Clone(x.RegisterFields)
	return x
}

// RequireConfirmedEmail reports the configured policy.
func (s *Service) RequireConfirmedEmail() bool { return s.opts.RequireConfirmedEmail }

// newStamp returns a fresh security stamp: 160 random bits.
func newStamp() string {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
}

// link returns the absolute URL of path with query q, on the configured base.
func (s *Service) link(path string, q url.Values) string {
	u := s.opts.BaseURL + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// RegisterInput is what the register form submits.
type RegisterInput struct {
	Email    string
	Password string
	// InviteCode is the invitation the person followed, if any (required
	// in invite mode).
	InviteCode string
	// Attributes are the values of the extra registration fields.
	Attributes map[string]string
}

// RegisterResult says what Register did. With confirmation required, User is
// nil when the address already had an account: the caller shows the same
// page either way (REG-01).
type RegisterResult struct {
	User *User
	// SignIn: the caller may sign the new user in at once (confirmation is
	// not required).
	SignIn bool
	// DevLink is the confirmation link, only when Options.DevLinks is set
	// (the log mailer): the page may show it as a development aid.
	DevLink string
	// Method is how the new account signed up, for its first session
	// ("" = password; a passkey sign-up's passkey method).
	Method string
}

// Register creates an account, or — when confirmation is required and the
// address already has one — tells its owner by mail and pretends to have
// created it, so the page reveals nothing (REG-01, docs/security.md decision 2).
func (s *Service) Register(ctx context.Context, c Client, in RegisterInput) (RegisterResult, error) {
	email, invited, attrs, fields, err := s.checkNewAccount(ctx, c, in)
	if err != nil {
		return RegisterResult{}, err
	}
	if m := s.checkPassword(in.Password, email); !m.ok() {
		fields["password"] = m
	}
	if len(fields) > 0 {
		return RegisterResult{}, fieldsErr(fields)
	}
	// Hash first, whatever happens next: a taken address costs the same
	// time as a new one (AUTH-02 for /register).
	hash, err := s.hasher.Hash(ctx, NormalizePassword(in.Password))
	if err != nil {
		return RegisterResult{}, err
	}
	return s.createAccount(ctx, c, newAccount(email, hash, invited), in.InviteCode, attrs)
}

// checkNewAccount checks what every sign-up checks but the password: the
// address (canonical form returned), the per-IP limit, the registration
// policy and invitation, the extra fields. Field errors are returned to
// be reported with the caller's own.
func (s *Service) checkNewAccount(ctx context.Context, c Client, in RegisterInput) (email string, invited bool, attrs map[string]string, fields map[string]message, err error) {
	email = strings.TrimSpace(in.Email)
	fields = map[string]message{}
	if m := validateEmail(email); !m.ok() {
		fields["email"] = m
	} else {
		// Stored and mailed as it is unique: the domain in IDNA form (REG-02).
		email = CanonicalEmail(email)
	}
	if len(fields) == 0 {
		if err := s.limit(ctx, "register-ip", ipKey(c.IP), s.opts.RateLimits.RegistrationsPerIP); err != nil {
			return "", false, nil, nil, err
		}
	}
	if len(fields) == 0 {
		if invited, err = s.checkSignup(ctx, email, in.InviteCode); err != nil {
			return "", false, nil, nil, err
		}
	}
	attrs, attrErrs := s.checkAttributes(in.Attributes)
	for k, v := range attrErrs {
		fields[k] = v
	}
	return email, invited, attrs, fields, nil
}

// newAccount is the user a sign-up creates (hash "" for an account that
// signs in with a passkey).
func newAccount(email, hash string, invited bool) *User {
	norm := NormalizeEmail(email)
	return &User{
		ID:                 uuid.Must(uuid.NewV7()).String(),
		Email:              email,
		NormalizedEmail:    norm,
		UserName:           email,
		NormalizedUserName: norm,
		PasswordHash:       hash,
		SecurityStamp:      newStamp(),
		EmailConfirmed:     invited, // the invitation went to this mailbox
	}
}

// createAccount stores u, a new account (or, with confirmation required,
// tells the owner of a taken address and answers as for a new one:
// REG-01), records it, and mails the confirmation link.
func (s *Service) createAccount(ctx context.Context, c Client, u *User, inviteCode string, attrs map[string]string) (RegisterResult, error) {
	now := s.now()
	u.CreatedAt, u.UpdatedAt = now, now
	email, norm, invited := u.Email, u.NormalizedEmail, u.EmailConfirmed
	err := s.store.CreateUser(ctx, u)
	if errors.Is(err, store.ErrConflict) {
		if _, ferr := s.store.FindUserByEmail(ctx, norm); errors.Is(ferr, store.ErrNotFound) {
			// The address is free but someone's username equals it (a
			// username kept from before UpdateProfile's rule): fall back
			// to a neutral username the owner can change.
			hex := strings.ReplaceAll(u.ID, "-", "")
			u.UserName = "user-" + hex[len(hex)-12:] // UUIDv7's random tail
			u.NormalizedUserName = NormalizeUserName(u.UserName)
			err = s.store.CreateUser(ctx, u)
		}
	}
	if errors.Is(err, store.ErrConflict) {
		if !s.opts.RequireConfirmedEmail {
			// Without confirmation the new account would be signed in at
			// once, so there is nothing to hide: say it plainly.
			return RegisterResult{}, fieldErr("email", "errors.email_taken")
		}
		existing, ferr := s.store.FindUserByEmail(ctx, norm)
		if ferr != nil {
			return RegisterResult{}, internal(ferr)
		}
		// Counted against the per-address mail cap like every mail a
		// stranger can trigger (RST-05): registering an address over and
		// over does not flood its owner.
		s.sendCapped(ctx, s.catalogFor(ctx, existing), existing.NormalizedEmail, mail.RegisterExisting, mail.Data{To: existing.Email, Link: s.link("/account/login", nil)})
		// The owner's history says what happened, not "Account created"
		// (issue 18 item 3); the stranger's page stays the same.
		s.RecordEvent(ctx, existing.ID, EventRegisterAttempt, c, "")
		return RegisterResult{}, nil
	}
	if err != nil {
		return RegisterResult{}, internal(err)
	}
	s.RecordEvent(ctx, u.ID, EventRegister, c, "")
	s.obs.Registered()
	s.useInvite(ctx, email, inviteCode)
	if len(s.opts.RegisterFields) > 0 {
		if err := s.store.SetUserAttributes(ctx, u.ID, attrs); err != nil {
			s.log.ErrorContext(ctx, "registration: extra fields not stored", "user", u.ID, "err", err)
		}
	}
	res := RegisterResult{User: u, SignIn: !s.opts.RequireConfirmedEmail || invited}
	if invited {
		return res, nil
	}
	link, err := s.sendConfirmation(ctx, u)
	if err != nil {
		// The account exists; the person can ask for another mail.
		s.log.ErrorContext(ctx, "registration: confirmation mail not queued", "user", u.ID, "err", err)
	} else if s.opts.DevLinks {
		res.DevLink = link
	}
	return res, nil
}

// queueMail renders message name in the language of cat (catalogFor: the
// recipient's) and puts it in the outbox; the mail queue delivers it. Site
// name and base URL are filled in. The outbox holds the rendered message,
// so a mail queued before a restart goes out in the language it was
// written in.
func (s *Service) queueMail(ctx context.Context, cat *messages.Catalog, name string, d mail.Data) error {
	d.SiteName, d.BaseURL = s.opts.SiteName, s.opts.BaseURL+"/"
	m, err := s.templates.Load().Render(cat, name, d)
	if err != nil {
		return internal(err)
	}
	return s.queue.enqueue(ctx, m)
}

// sendMail is queueMail for messages whose loss the user can recover from
// (they can ask again): a failure is logged, not returned.
func (s *Service) sendMail(ctx context.Context, cat *messages.Catalog, name string, d mail.Data) {
	if err := s.queueMail(ctx, cat, name, d); err != nil {
		s.log.ErrorContext(ctx, "mail not queued", "message", name, "err", err)
	}
}

// eventData is the "when, from where" of a notification mail to u, in the
// language of cat and u's chosen time zone (UTC when none: mail has no
// browser to ask).
func (s *Service) eventData(ctx context.Context, cat *messages.Catalog, u *User, c Client) mail.Data {
	to, at := u.Email, s.now().UTC()
	if zone, err := s.TimeZone(ctx, u.ID); err != nil {
		s.log.WarnContext(ctx, "reading the saved time zone", "user", u.ID, "err", err)
	} else if loc, ok := LoadTimeZone(zone); ok {
		at = at.In(loc)
	}
	ip := c.IP
	if ip == "" {
		ip = cat.T("events.unknown_address")
	}
	// The device as the pages name it, not the raw User-Agent (issue 18
	// item 11).
	browser := DescribeUserAgentText(c.UserAgent, cat)
	return mail.Data{To: to, Time: cat.Time(at, "mail.time_format"), IP: ip, Browser: browser}
}

// ErrInvalidLogin is the one answer to every failed sign-in: unknown
// address, wrong password, an unconfirmed address with a wrong password
// (AUTH-01).
var ErrInvalidLogin = errKey(EUNAUTHORIZED, "errors.invalid_login")

// ErrEmailUnconfirmed answers the right password for an account whose
// address is not confirmed yet (RequireConfirmedEmail): the person is told
// to confirm it and offered a new link (issue 18 item 4). It tells nothing
// the right password does not already prove; a wrong password gets
// ErrInvalidLogin as for every other account (AUTH-01).
var ErrEmailUnconfirmed = errKey(EUNAUTHORIZED, "errors.email_unconfirmed")

// PasswordSignIn checks an email and password. It costs one argon2id
// verification whatever the outcome (AUTH-02) and answers every failure
// alike (AUTH-01). Each attempt is counted before the hash, atomically, so
// that parallel requests get no more than the limits allow (AUTH-04):
//   - per IP: attempts, and failures over all accounts (credential
//     stuffing), answer 429;
//   - from a browser that signed in to the account before (its device
//     cookie), attempts count towards the account's lockout: only the
//     owner's browsers spend it, and a lock from elsewhere does not hold
//     them up (AUTH-03);
//   - from elsewhere, LoginFailuresPerIPAccount per address and IP and,
//     from IPs that never signed in to the account,
//     LoginFailuresPerAccountUnknownIPs per address from everywhere (a
//     distributed attack, mailed to the owner) — for an address with an
//     account or without one alike;
//   - while a budget is spent the answer is ErrLockedOut, "too many
//     attempts, try again in N minutes or reset your password", whatever
//     the password (AUTH-03).
//
// Success resets the count, rehashes a password stored with old
// parameters, and goes on to the second factor (BeginSignIn).
func (s *Service) PasswordSignIn(ctx context.Context, c Client, email, password string) (*SignIn, error) {
	ip := ipKey(c.IP)
	if err := s.limit(ctx, "login-ip", ip, s.opts.RateLimits.LoginPerIP); err != nil {
		if ErrorCode(err) == ERATELIMIT {
			s.obs.SignIn(SignInPassword, OutcomeThrottled)
		}
		return nil, err
	}
	if over, retry, err := s.over(ctx, "login-fail-ip", ip, s.opts.RateLimits.LoginFailuresPerIP); err != nil {
		return nil, err
	} else if over {
		s.refused("login-fail-ip")
		s.obs.SignIn(SignInPassword, OutcomeThrottled)
		return nil, errRateLimited(retry)
	}
	norm := NormalizeEmail(email)
	pw := NormalizePassword(password)
	if norm == "" || password == "" || len(password) > 4*s.opts.passwords().MaxLength {
		// Refuse absurd input before hashing it; still spend the time.
		if err := s.hasher.VerifyDummy(ctx, ""); err != nil {
			return nil, err
		}
		s.obs.SignIn(SignInPassword, OutcomeWrongPassword)
		return nil, ErrInvalidLogin
	}
	u, err := s.store.FindUserByEmail(ctx, norm)
	if errors.Is(err, store.ErrNotFound) {
		u = nil
	} else if err != nil {
		return nil, internal(err)
	}
	var src source
	if u != nil {
		if src.device, err = s.knownDevice(ctx, u.ID, c.Device); err != nil {
			return nil, err
		}
		if src.knownIP, err = s.knownIP(ctx, u.ID, ip); err != nil {
			return nil, err
		}
	}
	now := s.now()
	resetKey := ""
	if src.device {
		if u, err = s.reserveAttempt(ctx, c, u, "password"); err != nil {
			if u != nil && errors.Is(err, ErrLockedOut) {
				s.RecordEvent(ctx, u.ID, EventLoginFailed, c, "account locked")
				s.obs.SignIn(SignInPassword, OutcomeLocked)
			}
			return nil, err
		}
	} else {
		if resetKey, err = s.reserveSourceAttempt(ctx, c, u, norm, ip, src); err != nil {
			if errors.Is(err, ErrLockedOut) {
				s.refused("login-fail-ip-account")
				s.obs.SignIn(SignInPassword, OutcomeThrottled)
				if u != nil {
					s.RecordEvent(ctx, u.ID, EventLoginFailed, c, "too many attempts")
				}
			}
			return nil, err
		}
		if u != nil && IsLockedOut(u, now) {
			// Locked by the owner's own browsers, the second factor or
			// the operator: the same answer for everyone but the owner's
			// browsers, whatever the password.
			s.RecordEvent(ctx, u.ID, EventLoginFailed, c, "account locked")
			s.obs.SignIn(SignInPassword, OutcomeLocked)
			return nil, lockedOutUser(u, now)
		}
	}
	if u == nil {
		if err := s.sameWorkAsAccount(ctx, c, norm, ip); err != nil {
			return nil, err
		}
		if err := s.hasher.VerifyDummy(ctx, pw); err != nil {
			return nil, err
		}
		s.logAnonymous(ctx, EventLoginFailed, norm, c)
		s.obs.SignIn(SignInPassword, OutcomeUnknownAccount)
		return nil, s.loginFailedFromIP(ctx, ip)
	}
	hctx := ctx
	if src.device || src.knownIP {
		// The owner's usual browser or address is served before anonymous
		// traffic, so a login flood does not lock owners out (REL-12).
		hctx = WithHashPriority(ctx)
	}
	ok, rehash, err := s.hasher.Verify(hctx, pw, u.PasswordHash)
	if err != nil {
		return nil, err
	}
	switch {
	case !ok:
		s.RecordEvent(ctx, u.ID, EventLoginFailed, c, "wrong password")
		s.obs.SignIn(SignInPassword, OutcomeWrongPassword)
		if src.device {
			s.attemptFailed(ctx, c, u, factorPassword)
		}
		return nil, s.loginFailedFromIP(ctx, ip)
	case s.opts.RequireConfirmedEmail && !u.EmailConfirmed:
		s.RecordEvent(ctx, u.ID, EventLoginFailed, c, "email not confirmed")
		s.obs.SignIn(SignInPassword, OutcomeUnconfirmed)
		return nil, ErrEmailUnconfirmed
	}
	if resetKey != "" {
		if err := s.store.ResetRateLimit(ctx, resetKey); err != nil {
			return nil, internal(err)
		}
	}
	upd := store.UserUpdate{UpdatedAt: now}
	dirty := false
	// With 2FA the count resets only after the second factor, so that a
	// known password does not buy unlimited code guesses (MFA-03).
	if !u.TwoFactorEnabled && (u.AccessFailedCount != 0 || !u.LockoutEnd.IsZero()) {
		zero, none := 0, time.Time{}
		upd.AccessFailedCount, upd.LockoutEnd = &zero, &none
		dirty = true
	}
	if rehash {
		if h, err := s.hasher.Hash(ctx, pw); err == nil {
			upd.PasswordHash = &h
			dirty = true
		}
	}
	if dirty {
		if err := s.store.UpdateUser(ctx, u.ID, upd); err != nil {
			return nil, internal(err)
		}
		if u, err = s.store.FindUserByID(ctx, u.ID); err != nil {
			return nil, internal(err)
		}
	}
	return s.BeginSignIn(ctx, c, u, "")
}

// sameWorkAsAccount does, for an address without an account, the store
// work a wrong password for an account costs — the known-browser and
// known-IP reads and the failed sign-in's event write — so the time of the
// answer does not tell the two apart (AUTH-02, ACC-01). The write counts
// the address's failures; nothing reads it.
func (s *Service) sameWorkAsAccount(ctx context.Context, c Client, norm, ip string) error {
	if _, err := s.knownDevice(ctx, norm, c.Device); err != nil {
		return err
	}
	if _, err := s.knownIP(ctx, norm, ip); err != nil {
		return err
	}
	if _, _, err := s.store.HitRateLimit(ctx, rateLimitKey("login-fail-no-account", norm), time.Hour, s.now()); err != nil {
		return internal(err)
	}
	return nil
}

// FindUserByEmail returns the account with this address (any case or
// Unicode composition), or an ENOTFOUND error.
func (s *Service) FindUserByEmail(ctx context.Context, email string) (*User, error) {
	u, err := s.store.FindUserByEmail(ctx, NormalizeEmail(email))
	if errors.Is(err, store.ErrNotFound) {
		return nil, errKey(ENOTFOUND, "errors.no_account_with_email")
	}
	if err != nil {
		return nil, internal(err)
	}
	return u, nil
}

// ErrSessionEnded: the session's user is gone or its credentials changed.
var ErrSessionEnded = errKey(EUNAUTHORIZED, "errors.session_ended")

// RotateSecurityStamp gives the user a new stamp, ending every session of
// theirs but keepSID ("" ends them all) at once, and returns the new stamp.
func (s *Service) RotateSecurityStamp(ctx context.Context, userID, keepSID string) (string, error) {
	stamp := newStamp()
	err := s.store.UpdateUser(ctx, userID, store.UserUpdate{SecurityStamp: &stamp, KeepSessionID: keepSID, UpdatedAt: s.now()})
	if err != nil {
		return "", internal(err)
	}
	return stamp, nil
}
