// Package pages holds Portal's built-in pages as templ components, one per
// page, each with a typed view model. The view models are the theme API: a
// theme's pages/<name>.html gets the same struct, so every field is
// documented.
package pages

import (
	"html/template"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/accountportal/portal/messages"
)

// Common is what every page gets: built by one helper in handlers.
type Common struct {
	// Title is the page's title (shown in the tab and as its heading).
	Title string
	// SiteName is the configured site name.
	SiteName string
	// User is the signed-in user, or nil.
	User *UserInfo
	// CSRFToken is the value of the hidden _csrf field every form carries.
	CSRFToken string
	// Status is a one-shot message after an action (rendered in
	// id="status-message"); StatusIsError marks it as a failure.
	Status        string
	StatusIsError bool
	// CSSURL is the content-hashed URL of the stylesheet.
	CSSURL string
	// ThemeCSSURL is the content-hashed URL of the theme's static/theme.css,
	// linked after the stylesheet so that it only has to hold what the
	// theme changes; empty when the theme has none.
	ThemeCSSURL string
	// IconURL is the content-hashed URL of the favicon.
	IconURL string
	// PasskeyScriptURL is the content-hashed URL of passkeys.js, the
	// script behind the passkey buttons (pages that offer passkeys load
	// it; without it they work as plain forms).
	PasskeyScriptURL string
	// ExternalLogins: at least one external login provider is configured
	// (the manage navigation shows "External logins").
	ExternalLogins bool
	// RegistrationOpen: anyone may register (the header shows "Create
	// account"); false when registration is closed or by invitation.
	RegistrationOpen bool
	// Page is the registry name of the page being rendered ("login",
	// "manage-profile", …). The renderer sets it; a handler need not. The
	// header leaves out its link to the page itself.
	Page string
	// Location is the reader's time zone (their profile's, else their
	// browser's, else nil: UTC). Times on pages are shown in it (Time,
	// and {{date}} in theme templates).
	Location *time.Location
	// Now is the time the page is rendered at (relative times: Since);
	// zero shows times as dates.
	Now time.Time
	// TimeZoneScriptURL is the content-hashed URL of timezone.js, which
	// tells Portal the browser's time zone (a cookie) for people who did
	// not choose one; TimeZoneCookie is that cookie's name and
	// CookiePath its path.
	TimeZoneScriptURL string
	TimeZoneCookie    string
	CookiePath        string
	// Messages is the message catalogue the page's text comes from (the
	// theme's messages.toml over the built-in wording); nil means the
	// built-in one. Templates call {{t "key"}}, templ pages v.T("key").
	Messages *messages.Catalog
	// Languages are the language picker's choices, in the order offered
	// (nil when the site offers one language: no picker); the page's
	// language is Messages.Lang().
	Languages []LanguageOption
	// CurrentURL is the path and query of this page: where the picker
	// comes back to (its returnUrl).
	CurrentURL string
}

// LanguageOption is a language of the picker.
type LanguageOption struct {
	Tag  string // BCP 47, the form value of "lang" ("de")
	Name string // the language's name in itself ("Deutsch")
	Dir  string // its text direction, "ltr" or "rtl"
}

// T returns the message key of the page's catalogue, with its
// {placeholders} filled in from name/value pairs (see package messages).
func (c Common) T(key string, args ...any) string {
	return c.Messages.T(key, args...)
}

// ExtraFieldInput is one of the operator's extra registration fields
// (--register-field) on the register and profile forms.
type ExtraFieldInput struct {
	Name     string // the form field
	Label    string
	Type     string // the input type: text, number, tel or url
	Required bool
	Value    string // what the form shows
	Error    string // its validation message, or ""
}

// ProviderButton is an external login provider's button.
type ProviderButton struct {
	Slug string // the form value of "provider"
	Name string // the label
}

// UserInfo is what pages may show of the signed-in user.
type UserInfo struct {
	ID             string
	Email          string
	UserName       string
	EmailConfirmed bool
}

// Name is what the pages call the user (the header, the greeting): the
// username, or, when the username is an email address (as it is until the
// user picks one), the part before the "@" — so that one screen does not
// show the whole address three times.
func (u UserInfo) Name() string {
	if local, _, ok := strings.Cut(u.UserName, "@"); ok && local != "" {
		return local
	}
	return u.UserName
}

// FieldErrors maps a form field's name to its validation message.
type FieldErrors map[string]string

// Get returns the message for field, or "".
func (f FieldErrors) Get(field string) string { return f[field] }

// HomeView is the home page ("home").
type HomeView struct {
	Common
	// RegistrationOpen: the register link is shown.
	RegistrationOpen bool
}

// RegisterView is the register page ("register").
type RegisterView struct {
	Common
	ReturnURL string // a local path to return to after signing in, or ""
	Email     string // what the user typed
	Errors    FieldErrors
	// Message is a form-level error (not tied to a field), or "".
	Message string
	// MinPasswordLength is the password policy's minimum, for the hint.
	MinPasswordLength int
	// ExtraFields are the operator's extra registration fields.
	ExtraFields []ExtraFieldInput
	// Providers are the external login buttons, to sign up with a
	// provider instead (none when none is configured, or when
	// registration is by invitation: an uninvited external sign-up is
	// refused).
	Providers []ProviderButton
	// PasskeySignup: --passkey-signup is on, so an account may also be
	// created with a passkey and no password (#passkey-register-form,
	// which takes the address and extra fields of #register-form).
	PasskeySignup bool
}

// RegisterClosedView is shown instead of the register form when
// registration is closed, or by invitation and the visitor has none
// ("register-closed").
type RegisterClosedView struct {
	Common
	// InviteOnly: registration is by invitation (not closed).
	InviteOnly bool
}

// RegisterConfirmationView asks the new user to check their mail
// ("register-confirmation").
type RegisterConfirmationView struct {
	Common
	// DevLink is the confirmation link, shown only when mail goes to the
	// log (a development aid); "" otherwise.
	DevLink string
}

// EmailFormView is a page with one email field: resend-email-confirmation
// ("resend-email-confirmation") and forgot-password ("forgot-password").
type EmailFormView struct {
	Common
	Email  string
	Errors FieldErrors
}

// ForgotPasswordConfirmationView follows a forgot-password request
// ("forgot-password-confirmation").
type ForgotPasswordConfirmationView struct {
	Common
	// LinkMinutes is how long a reset link works.
	LinkMinutes int
}

// ResendConfirmationSentView follows a resend-confirmation request: check
// your email ("resend-email-confirmation-sent").
type ResendConfirmationSentView struct {
	Common
}

// ResetPasswordView is the reset form ("reset-password"): the code comes
// from the link, the user types their address and a new password.
type ResetPasswordView struct {
	Common
	Code   string
	Email  string
	Errors FieldErrors
	// Message is a form-level error (an invalid or expired link), or "".
	Message           string
	MinPasswordLength int
	// NoCode: the page was opened without a link's code; it shows Message
	// and a way to ask for a new link instead of a form that cannot work.
	NoCode bool
	// LinkDead: the link was used, has expired or was replaced by a newer
	// one; like NoCode, the page shows Message and a way to a new link.
	LinkDead bool
}

// ResetPasswordConfirmationView follows a successful reset
// ("reset-password-confirmation").
type ResetPasswordConfirmationView struct {
	Common
}

// ManageEmailView is the manage page for the address ("manage-email").
type ManageEmailView struct {
	Common
	Email          string
	EmailConfirmed bool
	NewEmail       string // what the user typed
	Errors         FieldErrors
	// PendingEmail is the address a change was requested to, waiting for
	// its link to be followed ("" when none is).
	PendingEmail string
}

// ConfirmEmailChangeView is the landing page of an email-change link
// ("confirm-email-change"): a button, so that a prefetching mail scanner
// does not spend the link (REL-15).
type ConfirmEmailChangeView struct {
	Common
	UserID string
	Email  string
	Code   string
	// Error is why the link did not work, or "".
	Error string
}

// ConfirmEmailView is the landing page of a confirmation link
// ("confirm-email"). The GET shows a button; the POST spends the link, so a
// mail scanner that prefetches the link does not use it up (REL-15).
type ConfirmEmailView struct {
	Common
	UserID string
	Code   string
	// Confirmed: the address is now confirmed.
	Confirmed bool
	// Error is why the link did not work, or "".
	Error string
}

// LoginView is the login page ("login").
type LoginView struct {
	Common
	ReturnURL  string
	Email      string
	RememberMe bool
	Errors     FieldErrors
	// Message is the form-level error: "Invalid login attempt." etc.
	Message string
	// Unconfirmed: the password was right but the address is not
	// confirmed; the page offers to resend the confirmation to Email.
	Unconfirmed      bool
	RegistrationOpen bool
	// Providers are the external login buttons (none when none is
	// configured).
	Providers []ProviderButton
	// Passkeys: passkey sign-in is offered (the button id="passkey-login"
	// shows only where the browser supports passkeys).
	Passkeys bool
}

// LogoutView is the GET of /account/logout ("logout"): a confirm button when
// signed in, otherwise "you are signed out".
type LogoutView struct {
	Common
}

// LockoutView explains account lockout ("lockout").
type LockoutView struct {
	Common
	// LockoutMinutes is how long a lockout lasts.
	LockoutMinutes int
}

// ConsentView is the OpenID Connect consent page ("consent"): an
// application asks to sign the person in and to see some of the account.
// The form posts decision=allow or decision=deny.
type ConsentView struct {
	Common
	// RequestID names the pending authorization (a hidden field).
	RequestID string
	// ClientName is the application's registered name.
	ClientName string
	// Scopes are what it asks for: "openid", "profile", "email",
	// "offline_access" (each shown with the catalogue's consent.scope_*).
	Scopes []string
}

// ConnectedAppsView is the connected apps page ("connected-apps").
type ConnectedAppsView struct {
	Common
	Apps []ConnectedApp
}

// ConnectedApp is one application the person allowed.
type ConnectedApp struct {
	ClientID  string
	Name      string
	Scopes    []string
	AllowedAt time.Time
}

// ScopeText is what an OpenID Connect scope lets an application see, in
// the catalogue's words.
func ScopeText(c Common, scope string) string {
	switch scope {
	case "openid":
		return c.T("consent.scope_openid")
	case "profile":
		return c.T("consent.scope_profile")
	case "email":
		return c.T("consent.scope_email")
	case "offline_access":
		return c.T("consent.scope_offline_access")
	}
	return scope
}

// AccessDeniedView is the access-denied page ("access-denied").
type AccessDeniedView struct {
	Common
}

// ManageProfileView is the manage landing page ("manage-profile"): the
// username and phone number can be edited.
type ManageProfileView struct {
	Common
	UserName       string // what the form shows (the stored value, or what was typed)
	Email          string
	EmailConfirmed bool
	PhoneNumber    string
	// TimeZone is the saved time zone (an IANA name), "" for automatic.
	TimeZone  string
	CreatedAt time.Time
	Errors    FieldErrors
	// ExtraFields are the operator's extra registration fields, editable.
	ExtraFields []ExtraFieldInput
}

// ChangePasswordView is the change-password page ("change-password").
type ChangePasswordView struct {
	Common
	Errors            FieldErrors
	MinPasswordLength int
	// CanRemove: the account has a passkey, so the password may be
	// removed (#remove-password-form; issue 21).
	CanRemove bool
}

// SetPasswordView is the set-password page for accounts without a
// password ("set-password").
type SetPasswordView struct {
	Common
	Errors            FieldErrors
	MinPasswordLength int
	// Passkey: the account signs in with a passkey (the intro says so,
	// instead of "through another service").
	Passkey bool
}

// SessionItem is one signed-in browser on the sessions page.
type SessionItem struct {
	ID            string // opaque handle, posted as session_id to end it
	Device        string // "Firefox on Linux"
	IP            string
	CreatedAt     time.Time
	LastSeenAt    time.Time
	Current       bool // this browser
	Remember      bool // signed in with "remember me"
	Remembered2FA bool // skips the second factor
}

// SessionsView lists the user's sessions ("manage-sessions").
type SessionsView struct {
	Common
	Sessions []SessionItem // this device first
	// Passkeys are the names of the account's passkeys: signing sessions
	// out does not remove them, so the page names them (#session-passkeys,
	// issue 21).
	Passkeys []string
}

// PasskeyNames are the passkeys' names, comma-separated.
func (v SessionsView) PasskeyNames() string { return strings.Join(v.Passkeys, ", ") }

// AnyRemembered: a session carries the "remembered" badge, which the page
// explains below the list.
func (v SessionsView) AnyRemembered() bool {
	return slices.ContainsFunc(v.Sessions, func(s SessionItem) bool { return s.Remember })
}

// AnySkipsTwoFactor: a session carries the "skips two-factor" badge, which
// the page explains below the list.
func (v SessionsView) AnySkipsTwoFactor() bool {
	return slices.ContainsFunc(v.Sessions, func(s SessionItem) bool { return s.Remembered2FA })
}

// ReauthenticateView asks for the password again before a sensitive action
// ("reauthenticate").
type ReauthenticateView struct {
	Common
	ReturnURL string
	Errors    FieldErrors
	// WindowMinutes is how long the re-authentication lasts.
	WindowMinutes int
	// HasPassword: the account has a password to confirm with.
	HasPassword bool
	// NeedsCode: two-factor authentication is on, so a code from the
	// authenticator app is asked too (MFA-05).
	NeedsCode bool
	// Providers are the user's linked external logins, through which they
	// may confirm instead.
	Providers []ProviderButton
	// Passkey: the account has a passkey, so "Confirm with a passkey" is
	// offered (#passkey-reauth, issue 21); for an account without a
	// password it is the way to confirm.
	Passkey bool
	// Message is an error not about a field: a passkey answer that did
	// not verify.
	Message string
}

// Intro is the sentence above the form: it asks for what the form asks,
// the password, the code, or both (issue 18 item 17).
func (v ReauthenticateView) Intro() string {
	switch {
	case v.NeedsCode && v.HasPassword:
		return v.N("reauthenticate.intro_code", v.WindowMinutes, "minutes", v.WindowMinutes)
	case v.NeedsCode:
		return v.N("reauthenticate.intro_code_only", v.WindowMinutes, "minutes", v.WindowMinutes)
	}
	return v.N("reauthenticate.intro", v.WindowMinutes, "minutes", v.WindowMinutes)
}

// ErrorView is the error page ("error"): 403, 404, 405, 413, 429, 500, 503.
type ErrorView struct {
	Common
	// Status is the HTTP status code. It hides Common.Status: a page
	// override reads the status message as .Common.Status.
	Status int
	// Message says what went wrong, in words safe to show.
	Message string
	// RequestID names the request in the server's log (set for 5xx
	// errors, "" otherwise): a person asking for help can quote it.
	RequestID string
}

// PersonalDataView is the personal-data page ("personal-data"): download
// and delete.
type PersonalDataView struct {
	Common
}

// DeletePersonalDataView asks for the password before deleting the account
// ("delete-personal-data").
type DeletePersonalDataView struct {
	Common
	// HasPassword: the account has a password to confirm with.
	HasPassword bool
	Errors      FieldErrors
}

// GoodbyeView follows an account deletion ("account-deleted").
type GoodbyeView struct {
	Common
}

// SecurityEventItem is one entry of the security timeline.
type SecurityEventItem struct {
	ID     int64
	Kind   string // identity.Event* kind, e.g. "login"
	Text   string // readable: "New sign-in from Firefox on Linux, 203.0.113.7"
	Time   time.Time
	Device string
	IP     string
	// SignIn: the entry offers "This wasn't me" (a link to its
	// confirmation page, security-not-me).
	SignIn bool
	// ThisSession: the entry is the sign-in of the session looking at the
	// page, which offers no "This wasn't me".
	ThisSession bool
}

// NotMeView asks to confirm "This wasn't me" for one sign-in
// ("security-not-me"): it posts event_id to
// /account/manage/security/not-me; Cancel goes back to the history.
type NotMeView struct {
	Common
	Event SecurityEventItem
}

// SecurityView is the security timeline ("manage-security"), newest first,
// paginated.
type SecurityView struct {
	Common
	Events   []SecurityEventItem
	Page     int
	PrevPage int // 0 when there is none
	NextPage int // 0 when there is none
}

// TwoFactorView is the two-factor overview ("two-factor").
type TwoFactorView struct {
	Common
	Enabled           bool
	HasAuthenticator  bool
	RecoveryCodesLeft int
	// BrowserRemembered: this browser skips the second factor ("Forget this
	// browser" is offered).
	BrowserRemembered bool
}

// EnableAuthenticatorView shows the key to enrol and asks for the first
// code ("enable-authenticator"). Tests read the key from id="shared-key" and
// the URI from its data-uri attribute.
type EnableAuthenticatorView struct {
	Common
	FormattedKey string // lower case, groups of four
	URI          string // otpauth://totp/…
	QRCodeSVG    string // inline SVG markup of the URI
	Errors       FieldErrors
}

// ConfirmActionView is the confirmation page of a POST-only action:
// reset-authenticator, generate-recovery-codes.
type ConfirmActionView struct {
	Common
}

// DisableTwoFactorView is the "disable-2fa" page: turning two-factor
// authentication off asks for the password (when the account has one) and
// a current code from the authenticator app, even right after a
// re-authentication (MFA-05).
type DisableTwoFactorView struct {
	Common
	HasPassword bool // the form has a password field
	Errors      FieldErrors
}

// ShowRecoveryCodesView shows new recovery codes once
// ("show-recovery-codes"); each is in class="recovery-code".
type ShowRecoveryCodesView struct {
	Common
	Codes []string
}

// DownloadURL is the codes as a text file in a data: URL, for a link with
// a download attribute: the download works without JavaScript and without
// a second request, since the codes are shown only once (MFA-04).
func (v ShowRecoveryCodesView) DownloadURL() template.URL {
	var b strings.Builder
	email := ""
	if v.User != nil {
		email = v.User.Email
	}
	b.WriteString(v.T("show-recovery-codes.file_intro", "site", v.SiteName, "email", email))
	b.WriteString("\n\n")
	for _, c := range v.Codes {
		b.WriteString(c + "\n")
	}
	return template.URL("data:text/plain;charset=utf-8," + url.PathEscape(b.String()))
}

// LoginTwoFactorView asks for the authenticator code after the password
// ("login-2fa").
type LoginTwoFactorView struct {
	Common
	Errors FieldErrors
	// Message is an error not about the code field: a passkey answer that
	// did not verify.
	Message string
	// Passkey: the account has a passkey, so "Use a passkey" is offered
	// instead of the code (#passkey-2fa, issue 21).
	Passkey bool
}

// LoginRecoveryCodeView asks for a recovery code instead
// ("login-recovery-code").
type LoginRecoveryCodeView struct {
	Common
	Errors FieldErrors
}

// ExternalConfirmView asks a new external-login user for the address of
// the account to create ("external-login-confirm").
type ExternalConfirmView struct {
	Common
	ProviderName string
	DisplayName  string
	Email        string // prefilled from the provider
	Errors       FieldErrors
	Message      string
	// ExtraFields are the operator's extra registration fields, asked
	// here as on the register page (the required ones must be filled).
	ExtraFields []ExtraFieldInput
	// SentTo: a code was mailed to this address (the address was not
	// proven); the page asks for it. Code prefills it (from the mail's
	// link); CodeMinutes is how long it works.
	SentTo      string
	Code        string
	CodeMinutes int
}

// LinkedLogin is one external login on the manage page.
type LinkedLogin struct {
	Provider     string // slug, posted as provider
	ProviderName string
	ProviderKey  string // the subject, posted as provider_key to remove
	DisplayName  string
	Email        string
}

// ExternalLoginsView lists linked logins and the providers to link
// ("external-logins").
type ExternalLoginsView struct {
	Common
	Linked    []LinkedLogin
	Available []ProviderButton
	// CanRemove: removing a login leaves another way in (a password or
	// another login); the server checks it again on POST.
	CanRemove   bool
	HasPassword bool
}

// PasskeyItem is one passkey on the passkeys page.
type PasskeyItem struct {
	ID   string // the credential id, posted as passkey_id
	Name string
	// Model is the authenticator's model when known ("YubiKey 5"), or "".
	Model      string
	CreatedAt  time.Time
	LastUsedAt time.Time // zero: never used to sign in
	// Synced: a passkey its provider copies between devices (backup
	// eligible); otherwise bound to one device or security key.
	Synced bool
	// CloneWarning: a sign-in was refused because the passkey looked
	// copied; it no longer signs in.
	CloneWarning bool
}

// PasskeysView lists the account's passkeys and adds new ones
// ("passkeys").
type PasskeysView struct {
	Common
	Passkeys []PasskeyItem
	// Available: passkeys can be added on this site (the add form, with
	// id="passkey-add", shows only where the browser supports them).
	Available bool
	// CanRemove: removing a passkey leaves another way in (a password,
	// an external login or another passkey); the server checks it again.
	CanRemove bool
	Errors    FieldErrors
	// Message is a form-level error, or "".
	Message string
	// NameMax is the longest name, in characters.
	NameMax int
}
