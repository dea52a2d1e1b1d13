package identity

import (
	"strings"
	"time"
)

// Observer hears what the domain does, for the operator's metrics. The
// root package wires it to Prometheus; identity knows nothing of how it is
// exported. Every label is from a small fixed set — never an address,
// user id or IP. Calls are made on the request's goroutine and must be
// quick.
type Observer interface {
	// SignIn: one sign-in attempt of method (SignInPassword, …) ended
	// with outcome (OutcomeOK, …).
	SignIn(method, outcome string)
	// Registered: an account was created.
	Registered()
	// RateLimited: limit (a --rate-limits name) refused a request.
	RateLimited(limit string)
	// LockedOut: an account was locked.
	LockedOut()
	// SessionCreated: a signed-in session began.
	SessionCreated()
	// SessionRevoked: sessions were ended before their time, for reason
	// (logout, ended, others_ended, not_me).
	SessionRevoked(reason string)
	// MailQueued, MailSent, MailFailed: the outbox took a message, the
	// sender delivered one, a delivery attempt failed (dropped: it was the
	// last attempt).
	MailQueued()
	MailSent()
	MailFailed(dropped bool)
	// HashWaited: a password hash waited wait for a slot; refused: it got
	// none (503).
	HashWaited(wait time.Duration, refused bool)
}

// Sign-in methods (the first factor, or the recovery code that replaced
// the second).
const (
	SignInPassword     = "password"
	SignInExternal     = "external"
	SignInPasskey      = "passkey"
	SignInRecoveryCode = "recovery_code"
	SignInOIDC         = "oidc"
)

// Sign-in outcomes.
const (
	OutcomeOK                 = "ok"
	OutcomeWrongPassword      = "wrong_password"
	OutcomeUnknownAccount     = "unknown_account"
	OutcomeUnconfirmed        = "unconfirmed"
	OutcomeSecondFactorFailed = "second_factor_failed"
	OutcomeLocked             = "locked"
	OutcomeThrottled          = "throttled"
)

// SignInMethods and SignInOutcomes list every label value, so that an
// exporter can show each series at zero from the start.
var (
	SignInMethods  = []string{SignInPassword, SignInExternal, SignInPasskey, SignInRecoveryCode, SignInOIDC}
	SignInOutcomes = []string{OutcomeOK, OutcomeWrongPassword, OutcomeUnknownAccount, OutcomeUnconfirmed, OutcomeSecondFactorFailed, OutcomeLocked, OutcomeThrottled}
	// SessionRevokeReasons are SessionRevoked's reasons.
	SessionRevokeReasons = []string{"logout", "ended", "others_ended", "not_me"}
)

// nopObserver is the Observer when none is configured.
type nopObserver struct{}

func (nopObserver) SignIn(string, string)          {}
func (nopObserver) Registered()                    {}
func (nopObserver) RateLimited(string)             {}
func (nopObserver) LockedOut()                     {}
func (nopObserver) SessionCreated()                {}
func (nopObserver) SessionRevoked(string)          {}
func (nopObserver) MailQueued()                    {}
func (nopObserver) MailSent()                      {}
func (nopObserver) MailFailed(bool)                {}
func (nopObserver) HashWaited(time.Duration, bool) {}

// sessionMethod is the metrics' method of a completed sign-in, from its
// SessionOptions.Method ("" = password; a provider's name; joined with the
// second factor: "Google, authenticator app", "recovery code").
func sessionMethod(m string) string {
	switch {
	case m == "" || strings.HasPrefix(m, "authenticator app") || strings.HasPrefix(m, methodPassword+", "):
		return SignInPassword
	case strings.Contains(m, "recovery code"):
		return SignInRecoveryCode
	case strings.HasPrefix(m, "passkey"):
		return SignInPasskey
	}
	return SignInExternal
}

// pendingMethod is the method of a sign-in waiting for its second factor,
// for a failure of that step.
func pendingMethod(p *PendingSignIn, recovery bool) string {
	if recovery {
		return SignInRecoveryCode
	}
	if p == nil {
		return SignInPassword
	}
	return sessionMethod(p.Method)
}

// observeEvent derives the counters a security event stands for: a
// lockout, a revoked session.
func (s *Service) observeEvent(kind string) {
	switch kind {
	case EventLockout:
		s.obs.LockedOut()
	case EventLogout:
		s.obs.SessionRevoked("logout")
	case EventSessionEnded:
		s.obs.SessionRevoked("ended")
	case EventOtherSessionsEnded:
		s.obs.SessionRevoked("others_ended")
	case EventNotMe:
		s.obs.SessionRevoked("not_me")
	}
}

// refused counts a request a rate limit turned away; action is the
// limit's key prefix, reported under its --rate-limits name.
func (s *Service) refused(action string) {
	if name, ok := limitNameOf[action]; ok {
		action = name
	}
	s.obs.RateLimited(action)
}

// limitNameOf maps the actions whose key differs from their --rate-limits
// name.
var limitNameOf = map[string]string{
	"email-change": "email-change-account",
	"export":       "export-account",
	"confirm-mail": "mails-account",
}
