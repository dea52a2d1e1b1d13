package identity

import (
	"errors"
	"flag"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Settings are the rules identity enforces, as the operator sets them:
// who may register, passwords, lockout, hashing, rate limits and the
// lifetimes of sessions and links. This is their one home: each has its
// default (DefaultSettings), its check (Validate) and its flag (BindFlags)
// here, next to each other; portal.Config embeds Settings, and handlers
// read them back from Service.Settings.
//
// The zero value of every field means its default, resolved in one place
// (withDefaults), as net/http.Server does — except for the bools, whose
// zero is false: RequireConfirmedEmail defaults to true only through
// DefaultSettings (and so portal.DefaultConfig).
//
// Adding a setting: a field here, its default in DefaultSettings, its zero
// in withDefaults, its check in Validate, its flag in BindFlags, and its
// row in README's configuration table (cmd/portal TestREADMEDefaults checks it).
type Settings struct {
	// Registration: who may create an account — for every way of creating
	// one, the form and external logins alike. Default open.
	Registration Registration // --registration
	// AllowedEmailDomains, when not empty, are the only domains new
	// accounts may use (lower case).
	AllowedEmailDomains EmailDomains // --allowed-email-domains
	// RegisterFields are the operator's extra registration fields.
	RegisterFields ExtraFields // --register-field
	// RequireConfirmedEmail: sign-in needs a confirmed address, and
	// registration does not reveal whether an address has an account.
	// DefaultSettings turns it on.
	RequireConfirmedEmail bool // --require-confirmed-email
	// KeepSecurityEvents: deleting an account keeps its security events
	// anonymised (kind and time only, under a random tag, table
	// kept_events) for the operator's records instead of deleting them.
	KeepSecurityEvents bool // --keep-security-events
	// ExternalLoginBypasses2FA: an external sign-in skips the second
	// factor (default false: stricter than ASP.NET, OIDC-04).
	ExternalLoginBypasses2FA bool // --external-login-bypasses-2fa
	// PasskeySignup: the register page also offers to create an account
	// with a passkey and no password (the address is still confirmed).
	// Off by default (issue 21).
	PasskeySignup bool // --passkey-signup

	PasswordMinLength int  // --password-min-length: code points, 8..128
	Argon2Memory      uint // --argon2-memory: KiB
	Argon2Iterations  uint // --argon2-iterations
	Argon2Parallelism uint // --argon2-parallelism
	// HashConcurrency is how many argon2id hashes run at once; default
	// the number of CPUs.
	HashConcurrency  int           // --hash-concurrency
	LockoutThreshold int           // --lockout-threshold: failed passwords before a lockout
	LockoutDuration  time.Duration // --lockout-duration
	// RateLimits: zero means DefaultRateLimits; the flag adjusts single
	// limits on top of the defaults.
	RateLimits RateLimits // --rate-limits

	SessionIdleTimeout      time.Duration // --session-idle-timeout
	SessionLifetime         time.Duration // --session-lifetime: absolute, without "remember me"
	RememberMeLifetime      time.Duration // --remember-me-lifetime
	ReauthWindow            time.Duration // --reauth-window: sensitive actions need an authentication this recent
	RememberBrowserLifetime time.Duration // --remember-browser-lifetime: a browser skips 2FA this long
	ConfirmEmailLifetime    time.Duration // --confirm-email-lifetime
	ResetPasswordLifetime   time.Duration // --reset-password-lifetime
	ChangeEmailLifetime     time.Duration // --change-email-lifetime
}

// DefaultSettings are Portal's defaults, the values README's
// configuration table documents. HashConcurrency stays 0 (the number of
// CPUs of the machine that runs it).
func DefaultSettings() Settings {
	return Settings{
		Registration:            RegistrationOpen,
		RequireConfirmedEmail:   true,
		PasswordMinLength:       DefaultPasswordPolicy.MinLength,
		Argon2Memory:            uint(DefaultHashParams.Memory),
		Argon2Iterations:        uint(DefaultHashParams.Iterations),
		Argon2Parallelism:       uint(DefaultHashParams.Parallelism),
		LockoutThreshold:        DefaultLockoutPolicy.Threshold,
		LockoutDuration:         DefaultLockoutPolicy.Duration,
		RateLimits:              DefaultRateLimits,
		SessionIdleTimeout:      30 * time.Minute,
		SessionLifetime:         12 * time.Hour,
		RememberMeLifetime:      14 * 24 * time.Hour,
		ReauthWindow:            10 * time.Minute,
		RememberBrowserLifetime: 30 * 24 * time.Hour,
		ConfirmEmailLifetime:    24 * time.Hour,
		ResetPasswordLifetime:   30 * time.Minute,
		ChangeEmailLifetime:     24 * time.Hour,
	}
}

// withDefaults returns s with every zero field set to its default: the
// one place zero values are resolved.
func (s Settings) withDefaults() Settings {
	d := DefaultSettings()
	orDefault(&s.Registration, d.Registration)
	orDefault(&s.PasswordMinLength, d.PasswordMinLength)
	orDefault(&s.Argon2Memory, d.Argon2Memory)
	orDefault(&s.Argon2Iterations, d.Argon2Iterations)
	orDefault(&s.Argon2Parallelism, d.Argon2Parallelism)
	orDefault(&s.HashConcurrency, runtime.NumCPU())
	orDefault(&s.LockoutThreshold, d.LockoutThreshold)
	orDefault(&s.LockoutDuration, d.LockoutDuration)
	orDefault(&s.RateLimits, d.RateLimits)
	orDefault(&s.SessionIdleTimeout, d.SessionIdleTimeout)
	orDefault(&s.SessionLifetime, d.SessionLifetime)
	orDefault(&s.RememberMeLifetime, d.RememberMeLifetime)
	orDefault(&s.ReauthWindow, d.ReauthWindow)
	orDefault(&s.RememberBrowserLifetime, d.RememberBrowserLifetime)
	orDefault(&s.ConfirmEmailLifetime, d.ConfirmEmailLifetime)
	orDefault(&s.ResetPasswordLifetime, d.ResetPasswordLifetime)
	orDefault(&s.ChangeEmailLifetime, d.ChangeEmailLifetime)
	return s
}

func orDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// Validate checks every setting (zero values stand for their defaults and
// are valid) and reports all problems at once, each naming its flag.
func (s Settings) Validate() error {
	s = s.withDefaults()
	var errs []error
	bad := func(flag, format string, args ...any) {
		errs = append(errs, fmt.Errorf("--%s: %s", flag, fmt.Sprintf(format, args...)))
	}
	if err := s.Registration.check(); err != nil {
		bad("registration", "%v", err)
	}
	if err := s.AllowedEmailDomains.check(); err != nil {
		bad("allowed-email-domains", "%v", err)
	}
	if _, err := CheckExtraFields(s.RegisterFields); err != nil {
		bad("register-field", "%v", err)
	}
	if s.PasswordMinLength < 8 || s.PasswordMinLength > DefaultPasswordPolicy.MaxLength {
		bad("password-min-length", "%d: want 8 to %d", s.PasswordMinLength, DefaultPasswordPolicy.MaxLength)
	}
	if s.Argon2Memory > 4<<20 || s.Argon2Iterations > 100 || s.Argon2Parallelism > 255 {
		bad("argon2-memory", "argon2 parameters out of range (memory ≤ 4 GiB, iterations ≤ 100, parallelism ≤ 255)")
	} else if err := s.hashParams().Validate(); err != nil {
		bad("argon2-memory", "%v", err)
	}
	if s.HashConcurrency < 0 {
		bad("hash-concurrency", "must not be negative")
	}
	if s.LockoutThreshold < 1 {
		bad("lockout-threshold", "must be at least 1")
	}
	if s.LockoutDuration <= 0 {
		bad("lockout-duration", "must be positive")
	}
	if err := s.RateLimits.check(); err != nil {
		bad("rate-limits", "%v", err)
	}
	if s.SessionIdleTimeout <= 0 {
		bad("session-idle-timeout", "must be positive")
	}
	if s.SessionLifetime <= 0 || s.SessionLifetime > 24*time.Hour {
		bad("session-lifetime", "%v: want more than 0 and at most 24h (NIST AAL2)", s.SessionLifetime)
	}
	if s.RememberMeLifetime < s.SessionLifetime || s.RememberMeLifetime > 30*24*time.Hour {
		bad("remember-me-lifetime", "%v: want at least the session lifetime and at most 720h (30 days)", s.RememberMeLifetime)
	}
	if s.RememberBrowserLifetime <= 0 || s.RememberBrowserLifetime > 90*24*time.Hour {
		bad("remember-browser-lifetime", "%v: want more than 0 and at most 2160h (90 days)", s.RememberBrowserLifetime)
	}
	if s.ReauthWindow <= 0 || s.ReauthWindow > time.Hour {
		bad("reauth-window", "%v: want more than 0 and at most 1h", s.ReauthWindow)
	}
	if s.ConfirmEmailLifetime <= 0 {
		bad("confirm-email-lifetime", "must be positive")
	}
	if s.ResetPasswordLifetime <= 0 || s.ResetPasswordLifetime > time.Hour {
		bad("reset-password-lifetime", "%v: want more than 0 and at most 1h (RST-02)", s.ResetPasswordLifetime)
	}
	if s.ChangeEmailLifetime <= 0 {
		bad("change-email-lifetime", "must be positive")
	}
	return errors.Join(errs...)
}

// BindFlags registers every setting on fs, with s's values as defaults.
// Flag and environment names are part of Portal's contract (README).
func (s *Settings) BindFlags(fs *flag.FlagSet) {
	fs.Var(&s.Registration, "registration", "who may register: open, invite (invited addresses only: portal users invite EMAIL) or closed")
	fs.Var(&s.AllowedEmailDomains, "allowed-email-domains", "comma-separated domains new accounts may use (default: any)")
	fs.Var(&s.RegisterFields, "register-field", "extra registration fields: name:type[:required],… (types: text, number, tel, url)")
	fs.BoolVar(&s.RequireConfirmedEmail, "require-confirmed-email", s.RequireConfirmedEmail, "sign-in needs a confirmed email address")
	fs.BoolVar(&s.KeepSecurityEvents, "keep-security-events", s.KeepSecurityEvents, "when an account is deleted, keep its security events anonymised (kind and time only) instead of deleting them")
	fs.BoolVar(&s.ExternalLoginBypasses2FA, "external-login-bypasses-2fa", s.ExternalLoginBypasses2FA, "an external sign-in skips two-factor authentication")
	fs.BoolVar(&s.PasskeySignup, "passkey-signup", s.PasskeySignup, "the register page also offers an account with a passkey and no password (the address is still confirmed)")
	fs.IntVar(&s.PasswordMinLength, "password-min-length", s.PasswordMinLength, "minimum password length in characters (8..128)")
	fs.UintVar(&s.Argon2Memory, "argon2-memory", s.Argon2Memory, "argon2id memory in KiB")
	fs.UintVar(&s.Argon2Iterations, "argon2-iterations", s.Argon2Iterations, "argon2id iterations")
	fs.UintVar(&s.Argon2Parallelism, "argon2-parallelism", s.Argon2Parallelism, "argon2id parallelism")
	fs.IntVar(&s.HashConcurrency, "hash-concurrency", s.HashConcurrency, "password hashes computed at once (0: number of CPUs)")
	fs.IntVar(&s.LockoutThreshold, "lockout-threshold", s.LockoutThreshold, "failed passwords in a row before the account locks")
	fs.DurationVar(&s.LockoutDuration, "lockout-duration", s.LockoutDuration, "how long a lockout lasts")
	fs.Var(&s.RateLimits, "rate-limits", "adjust rate limits: name=N/duration,… (name=0 turns one off); names: "+strings.Join(RateLimitNames(), ", "))
	fs.DurationVar(&s.SessionIdleTimeout, "session-idle-timeout", s.SessionIdleTimeout, "a session without requests ends after this")
	fs.DurationVar(&s.SessionLifetime, "session-lifetime", s.SessionLifetime, "a session ends this long after sign-in")
	fs.DurationVar(&s.RememberMeLifetime, "remember-me-lifetime", s.RememberMeLifetime, "a \"remember me\" session ends this long after sign-in")
	fs.DurationVar(&s.RememberBrowserLifetime, "remember-browser-lifetime", s.RememberBrowserLifetime, "\"remember this browser\" skips two-factor authentication this long")
	fs.DurationVar(&s.ReauthWindow, "reauth-window", s.ReauthWindow, "sensitive actions (password, email, account deletion) need a sign-in or re-authentication this recent")
	fs.DurationVar(&s.ConfirmEmailLifetime, "confirm-email-lifetime", s.ConfirmEmailLifetime, "how long an email confirmation link works")
	fs.DurationVar(&s.ResetPasswordLifetime, "reset-password-lifetime", s.ResetPasswordLifetime, "how long a password reset link works")
	fs.DurationVar(&s.ChangeEmailLifetime, "change-email-lifetime", s.ChangeEmailLifetime, "how long an email change link works")
}

// passwords is the password policy of these settings.
func (s Settings) passwords() PasswordPolicy {
	return PasswordPolicy{MinLength: s.PasswordMinLength, MaxLength: DefaultPasswordPolicy.MaxLength}
}

// lockout is the lockout policy of these settings.
func (s Settings) lockout() LockoutPolicy {
	return LockoutPolicy{Threshold: s.LockoutThreshold, Duration: s.LockoutDuration}
}

// hashParams are the argon2id parameters of these settings.
func (s Settings) hashParams() HashParams {
	return HashParams{
		Memory:      uint32(s.Argon2Memory),
		Iterations:  uint32(s.Argon2Iterations),
		Parallelism: uint8(s.Argon2Parallelism),
		SaltLength:  DefaultHashParams.SaltLength,
		KeyLength:   DefaultHashParams.KeyLength,
	}
}

// Registration is who may create an account: RegistrationOpen,
// RegistrationInvite or RegistrationClosed. The zero value means open. It
// is a flag.Value.
type Registration string

// Registration policies.
const (
	// RegistrationOpen: anyone may register.
	RegistrationOpen Registration = "open"
	// RegistrationInvite: only an invited address, through its invitation
	// link (portal users invite EMAIL).
	RegistrationInvite Registration = "invite"
	// RegistrationClosed: no new accounts.
	RegistrationClosed Registration = "closed"
)

func (r Registration) String() string { return string(r) }

// Set implements flag.Value; Validate checks the value, so that a bad one
// is reported with the others.
func (r *Registration) Set(v string) error {
	*r = Registration(strings.TrimSpace(v))
	return nil
}

func (r Registration) check() error {
	switch r {
	case "", RegistrationOpen, RegistrationInvite, RegistrationClosed:
		return nil
	}
	return fmt.Errorf("%q: want open, invite or closed", string(r))
}

// EmailDomains are the domains new accounts may use (lower case); empty
// means any. As a flag.Value it reads a comma-separated list.
type EmailDomains []string

func (d EmailDomains) String() string { return strings.Join(d, ",") }

// Set implements flag.Value.
func (d *EmailDomains) Set(v string) error {
	var out EmailDomains
	for _, x := range strings.Split(v, ",") {
		if x = strings.ToLower(strings.TrimSpace(x)); x != "" {
			out = append(out, x)
		}
	}
	if err := out.check(); err != nil {
		return err
	}
	*d = out
	return nil
}

func (d EmailDomains) check() error {
	for _, x := range d {
		if ValidateEmail("x@"+x) != "" {
			return fmt.Errorf("%q is not a domain", x)
		}
	}
	return nil
}

// allows reports whether an address may register. Domains are compared
// in their IDNA ASCII form: "İbm.com" is xn--ibm-8dc.com, not ibm.com
// (REG-02), and "exämple.ch" configured in Unicode matches
// xn--exmple-cua.ch.
func (d EmailDomains) allows(email string) bool {
	if len(d) == 0 {
		return true
	}
	domain, ok := DomainASCII(email[strings.LastIndexByte(email, '@')+1:])
	if !ok {
		return false
	}
	return slices.ContainsFunc(d, func(x string) bool {
		a, ok := DomainASCII(x)
		return ok && a == domain
	})
}

// ExtraFields are the operator's extra registration fields. As a
// flag.Value it reads "nickname:text:required,website:url" (see
// ParseExtraFields).
type ExtraFields []ExtraField

func (f ExtraFields) String() string {
	var b strings.Builder
	for i, x := range f {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(x.Name + ":" + x.Type)
		if x.Required {
			b.WriteString(":required")
		}
	}
	return b.String()
}

// Set implements flag.Value.
func (f *ExtraFields) Set(v string) error {
	out, err := ParseExtraFields(v)
	if err != nil {
		return err
	}
	*f = out
	return nil
}
