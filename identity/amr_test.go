package identity

import (
	"slices"
	"testing"
)

func TestAMR(t *testing.T) {
	for _, tc := range []struct {
		o    SessionOptions
		want []string
	}{
		{SessionOptions{}, []string{"pwd"}},
		{SessionOptions{Remember: true}, []string{"pwd"}},
		{SessionOptions{Remembered2FA: true}, []string{"pwd"}},
		{SessionOptions{Method: joinMethod("", "authenticator app")}, []string{"pwd", "otp", "mfa"}},
		{SessionOptions{Method: joinMethod("", "recovery code")}, []string{"pwd", "otp", "mfa"}},
		{SessionOptions{Method: "GitHub"}, []string{"fed"}},
		{SessionOptions{Method: "GitHub", Remembered2FA: true}, []string{"fed"}},
		{SessionOptions{Method: joinMethod("GitHub", "authenticator app")}, []string{"fed", "otp", "mfa"}},
		{SessionOptions{Method: joinMethod("My IdP, Inc", "recovery code")}, []string{"fed", "otp", "mfa"}},
		{SessionOptions{Method: MethodPasskey}, []string{"hwk", "mfa"}},
		{SessionOptions{Method: MethodSyncedPasskey}, []string{"swk", "mfa"}},
		{SessionOptions{Method: MethodPasskey, Remember: true}, []string{"hwk", "mfa"}},
		// A passkey as the second factor after a password or a provider.
		{SessionOptions{Method: joinMethod(methodPassword, MethodPasskey)}, []string{"pwd", "hwk", "mfa"}},
		{SessionOptions{Method: joinMethod(methodPassword, MethodSyncedPasskey)}, []string{"pwd", "swk", "mfa"}},
		{SessionOptions{Method: joinMethod("GitHub", MethodPasskey)}, []string{"fed", "hwk", "mfa"}},
	} {
		if got := AMR(tc.o); !slices.Equal(got, tc.want) {
			t.Errorf("AMR(%+v) = %v, want %v", tc.o, got, tc.want)
		}
		if HasSecondFactor(AMR(tc.o)) != slices.Contains(tc.want, "mfa") {
			t.Errorf("HasSecondFactor(%v) wrong", tc.want)
		}
	}
	for _, tc := range []struct {
		u    User
		want []string
	}{
		{User{PasswordHash: "x"}, []string{"pwd"}},
		{User{PasswordHash: "x", TwoFactorEnabled: true}, []string{"pwd", "otp", "mfa"}},
		{User{TwoFactorEnabled: true}, []string{"otp"}},
	} {
		if got := ReauthAMR(&tc.u); !slices.Equal(got, tc.want) {
			t.Errorf("ReauthAMR(%+v) = %v, want %v", tc.u, got, tc.want)
		}
	}
}
