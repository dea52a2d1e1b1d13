package pages

import (
	"strings"

	"github.com/accountportal/portal/messages"
)

// EventText makes a security event readable in the catalogue c (nil is
// the built-in one): the sentence is the message events.<kind>, with
// {device}, {ip} and {detail} filled in; a kind without a message gets
// events.other, and an event without an address events.unknown_address.
func EventText(c *messages.Catalog, kind, detail, device, ip string) string {
	if ip == "" {
		ip = c.T("events.unknown_address")
	}
	args := []any{"device", device, "ip", ip, "detail", detail}
	switch kind {
	case "register":
		return c.T("events.register", args...)
	case "register_attempt":
		return c.T("events.register_attempt", args...)
	case "email_confirmed":
		return c.T("events.email_confirmed", args...)
	case "login":
		return c.T("events.login", args...)
	case "login_failed":
		return c.T("events.login_failed", args...)
	case "lockout":
		return c.T("events.lockout", args...)
	case "logout":
		return c.T("events.logout", args...)
	case "reauthenticated":
		return c.T("events.reauthenticated", args...)
	case "reauth_failed":
		return c.T("events.reauth_failed", args...)
	case "password_changed":
		return c.T("events.password_changed", args...)
	case "password_set":
		return c.T("events.password_set", args...)
	case "password_removed":
		return c.T("events.password_removed", args...)
	case "password_reset_requested":
		return c.T("events.password_reset_requested", args...)
	case "password_reset":
		return c.T("events.password_reset", args...)
	case "email_change_requested":
		return c.T("events.email_change_requested", args...)
	case "email_changed":
		return c.T("events.email_changed", args...)
	case "profile_updated":
		return c.T("events.profile_updated", args...)
	case "session_ended":
		return c.T("events.session_ended", args...)
	case "other_sessions_ended":
		return c.T("events.other_sessions_ended", args...)
	case "not_me":
		return c.T("events.not_me", args...)
	case "personal_data_downloaded":
		return c.T("events.personal_data_downloaded", args...)
	case "2fa_enabled":
		return c.T("events.2fa_enabled", args...)
	case "2fa_disabled":
		return c.T("events.2fa_disabled", args...)
	case "2fa_reset":
		return c.T("events.2fa_reset", args...)
	case "recovery_code_used":
		return c.T("events.recovery_code_used", args...)
	case "recovery_codes_regenerated":
		return c.T("events.recovery_codes_regenerated", args...)
	case "external_login_linked":
		return c.T("events.external_login_linked", args...)
	case "external_login_removed":
		return c.T("events.external_login_removed", args...)
	case "passkey_added":
		return c.T("events.passkey_added", args...)
	case "passkey_removed":
		return c.T("events.passkey_removed", args...)
	case "passkey_clone_warning":
		return c.T("events.passkey_clone_warning", args...)
	case "imported":
		return c.T("events.imported", args...)
	case "app_allowed":
		return c.T("events.app_allowed", args...)
	case "app_access_removed":
		return c.T("events.app_access_removed", args...)
	}
	return c.T("events.other", append(args, "kind", strings.ReplaceAll(kind, "_", " "))...)
}
