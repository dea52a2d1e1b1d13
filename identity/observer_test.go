package identity

import "testing"

// TestSessionMethod: the metrics' method of a completed sign-in follows
// its first factor; a recovery code counts as its own method.
func TestSessionMethod(t *testing.T) {
	for in, want := range map[string]string{
		"":                                  SignInPassword,
		joinMethod("", "authenticator app"): SignInPassword,
		joinMethod("", "recovery code"):     SignInRecoveryCode,
		"Google":                            SignInExternal,
		joinMethod("GitHub", "authenticator app"):       SignInExternal,
		joinMethod("GitHub", "recovery code"):           SignInRecoveryCode,
		MethodPasskey:                                   SignInPasskey,
		joinMethod(methodPassword, MethodPasskey):       SignInPassword,
		joinMethod(methodPassword, MethodSyncedPasskey): SignInPassword,
		joinMethod("GitHub", MethodPasskey):             SignInExternal,
	} {
		if got := sessionMethod(in); got != want {
			t.Errorf("sessionMethod(%q)=%q, want %q", in, got, want)
		}
	}
}
