package pages

import "strings"

// eventTexts are the readable sentences of the security timeline, by event
// kind; {device}, {ip} and {detail} are filled in.
var eventTexts = map[string]string{
	"register":                   "Account created from {device}, {ip}",
	"email_confirmed":            "Email address confirmed",
	"login":                      "New sign-in from {device}, {ip}",
	"login_failed":               "Failed sign-in from {device}, {ip}",
	"lockout":                    "Account locked after repeated wrong passwords, from {device}, {ip}",
	"logout":                     "Signed out on {device}",
	"reauthenticated":            "Password confirmed on {device}, {ip}",
	"reauth_failed":              "Wrong password entered on {device}, {ip}",
	"password_changed":           "Password changed from {device}, {ip}",
	"password_set":               "Password set from {device}, {ip}",
	"password_reset_requested":   "Password reset link requested from {device}, {ip}",
	"password_reset":             "Password reset from {device}, {ip}",
	"email_change_requested":     "Change of email address to {detail} requested from {device}, {ip}",
	"email_changed":              "Email address changed ({detail})",
	"profile_updated":            "Profile updated from {device}, {ip}",
	"session_ended":              "A session was ended from {device}, {ip}",
	"other_sessions_ended":       "Every other session was ended from {device}, {ip}",
	"not_me":                     "A sign-in was reported as not yours; every other session was ended",
	"personal_data_downloaded":   "Personal data downloaded from {device}, {ip}",
	"2fa_enabled":                "Two-factor authentication turned on from {device}, {ip}",
	"2fa_disabled":               "Two-factor authentication turned off from {device}, {ip}",
	"2fa_reset":                  "Authenticator app reset from {device}, {ip}",
	"recovery_code_used":         "Signed in with a recovery code from {device}, {ip}",
	"recovery_codes_regenerated": "New recovery codes generated from {device}, {ip}",
	"external_login_linked":      "External login {detail} linked from {device}, {ip}",
	"external_login_removed":     "External login {detail} removed from {device}, {ip}",
}

// EventText makes a security event readable.
func EventText(kind, detail, device, ip string) string {
	t, ok := eventTexts[kind]
	if !ok {
		t = strings.ReplaceAll(kind, "_", " ") + " from {device}, {ip}"
	}
	if ip == "" {
		ip = "unknown address"
	}
	return strings.NewReplacer("{device}", device, "{ip}", ip, "{detail}", detail).Replace(t)
}
