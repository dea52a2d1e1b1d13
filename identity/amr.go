package identity

import (
	"strings"
	"time"
)

// Authentication method references (RFC 8176 §2) as "GET /account/session"
// and forward auth report them: how the session's user proved who they are
// at its last authentication. "fed" (a federated sign-in through an
// external provider) is not in RFC 8176's registry but is the value
// OpenID Connect providers commonly use; DESIGN.md names it.
const (
	AMRPassword = "pwd" // a password
	AMROTP      = "otp" // a one-time code: the authenticator app (RFC 6238) or a single-use recovery code
	AMRMFA      = "mfa" // more than one factor
	AMRFed      = "fed" // an external provider
	AMRHardware = "hwk" // a device-bound passkey (proof of possession of a hardware-secured key)
	AMRSoftware = "swk" // a synced passkey (a key its provider copies between devices)
)

// AMR is the authentication methods of a sign-in described by o, in a fixed
// order (first factor, second factor, then "mfa" when there were two). A
// browser that skipped the second factor because it was remembered
// (Remembered2FA) reports the first factor only: the code was not entered
// in this session.
func AMR(o SessionOptions) []string {
	first, second := o.Method, ""
	for _, f := range []string{"authenticator app", "recovery code", MethodPasskey, MethodSyncedPasskey} {
		if first == f && f != MethodPasskey && f != MethodSyncedPasskey { // the password, then a code
			first, second = "", f
		} else if s, ok := strings.CutSuffix(first, ", "+f); ok {
			first, second = s, f
		}
	}
	var out []string
	switch {
	case first == "" || first == methodPassword:
		out = append(out, AMRPassword)
	case first == MethodSyncedPasskey:
		// A passkey sign-in requires user verification: the key and the
		// PIN or biometric that unlocked it are two factors (issue 21).
		return []string{AMRSoftware, AMRMFA}
	case first == MethodPasskey:
		return []string{AMRHardware, AMRMFA}
	default:
		out = append(out, AMRFed)
	}
	switch second {
	case "authenticator app", "recovery code":
		out = append(out, AMROTP, AMRMFA)
	case MethodPasskey: // a passkey as the second factor (issue 21)
		out = append(out, AMRHardware, AMRMFA)
	case MethodSyncedPasskey:
		out = append(out, AMRSoftware, AMRMFA)
	}
	return out
}

// ReauthAMR is the authentication methods of a successful
// Reauthenticate of u: the password (when the account has one) and, with
// 2FA on, the authenticator code.
func ReauthAMR(u *User) []string {
	var out []string
	if u.PasswordHash != "" || !u.TwoFactorEnabled {
		out = append(out, AMRPassword)
	}
	if u.TwoFactorEnabled {
		out = append(out, AMROTP)
		if len(out) > 1 {
			out = append(out, AMRMFA)
		}
	}
	return out
}

// HasSecondFactor reports whether amr records a second factor.
func HasSecondFactor(amr []string) bool {
	for _, m := range amr {
		if m == AMRMFA {
			return true
		}
	}
	return false
}

// SessionEnds is when session x ends if nothing else happens: its absolute
// end, or for a session without "remember me" the idle timeout after its
// last recorded activity, whichever is first. Activity is recorded at most
// once a minute, so the time may be up to that much early, never late.
func (s *Service) SessionEnds(x *Session) time.Time {
	end := x.ExpiresAt
	if !x.Remember {
		if idle := x.LastSeenAt.Add(s.opts.SessionIdleTimeout); idle.Before(end) {
			end = idle
		}
	}
	return end
}
