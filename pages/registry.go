package pages

import (
	"context"
	"fmt"
	"io"
	"reflect"
	"slices"
	"time"

	"github.com/a-h/templ"
)

// View is what every view model is: a struct embedding Common.
type View interface {
	PageCommon() Common
}

// PageCommon returns c; every view model embeds Common, so every view model
// is a View.
func (c Common) PageCommon() Common { return c }

// Page is one built-in page of the registry.
type Page struct {
	// Name is the page's stable name: a theme replaces the page with
	// pages/<Name>.html, Go code with Portal.OverridePage(Name, …).
	Name string
	// Route is where the page is served, for people (the README).
	Route string
	// View is the type of the page's view model (a struct embedding Common).
	View reflect.Type
	// Body renders the page's content without the layout (the part a theme
	// page override replaces) from a view model of type View; any other
	// type renders an error.
	Body func(view any) templ.Component
	// Samples returns realistic view models for the page, the typical one
	// first and then variants (field errors, empty lists, signed out…)
	// that take the page's other branches. Theme overrides are checked
	// against every one at start.
	Samples func() []any
}

// Render renders the whole built-in page: the content inside Base.
func (p Page) Render(view any) templ.Component {
	v, ok := view.(View)
	if !ok {
		return errorComponent(fmt.Errorf("page %s: view model is %T, want %v", p.Name, view, p.View))
	}
	c := v.PageCommon()
	c.Page = p.Name
	return WithLayout(c, p.Body(view))
}

// WithLayout wraps a page's content in the built-in layout (Base).
func WithLayout(c Common, body templ.Component) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		return Base(c).Render(templ.WithChildren(ctx, body), w)
	})
}

// Typed adapts a page component with a typed view model to the untyped
// form Page.Body, Portal.OverridePage and the theme use: given a view of
// another type it renders an error instead of panicking.
//
//	p.OverridePage("login", pages.Typed(func(v pages.LoginView) templ.Component { … }))
func Typed[V View](fn func(V) templ.Component) func(view any) templ.Component {
	return func(view any) templ.Component {
		switch v := view.(type) {
		case V:
			return fn(v)
		case *V:
			if v != nil {
				return fn(*v)
			}
		}
		var want V
		return errorComponent(fmt.Errorf("view model is %T, want %T", view, want))
	}
}

func errorComponent(err error) templ.Component {
	return templ.ComponentFunc(func(context.Context, io.Writer) error { return err })
}

// def makes a registry entry.
func def[V View](name, route string, body func(V) templ.Component, samples func() []V) Page {
	return Page{
		Name:  name,
		Route: route,
		View:  reflect.TypeFor[V](),
		Body:  Typed(body),
		Samples: func() []any {
			var out []any
			for _, v := range samples() {
				out = append(out, v)
			}
			return out
		},
	}
}

// registry is every page, in the order of the README: the one place that
// lists them. The handlers render pages by these names.
var registry = []Page{
	def("home", "GET /", HomeBody, sampleHome),
	def("register", "/account/register", RegisterBody, sampleRegister),
	def("register-closed", "/account/register (registration closed)", RegisterClosedBody, sampleRegisterClosed),
	def("register-confirmation", "GET /account/register-confirmation", RegisterConfirmationBody, sampleRegisterConfirmation),
	def("confirm-email", "/account/confirm-email?userId=&code=", ConfirmEmailBody, sampleConfirmEmail),
	def("resend-email-confirmation", "/account/resend-email-confirmation", ResendEmailConfirmationBody, sampleResend),
	def("login", "/account/login?returnUrl=", LoginBody, sampleLogin),
	def("login-2fa", "/account/login-2fa", LoginTwoFactorBody, sampleLogin2FA),
	def("login-recovery-code", "/account/login-recovery-code", LoginRecoveryCodeBody, sampleLoginRecovery),
	def("logout", "/account/logout", LogoutBody, sampleLogout),
	def("lockout", "GET /account/lockout", LockoutBody, sampleLockout),
	def("access-denied", "GET /account/access-denied", AccessDeniedBody, sampleAccessDenied),
	def("consent", "/account/authorize?id= (OpenID Connect)", ConsentBody, sampleConsent),
	def("forgot-password", "/account/forgot-password", ForgotPasswordBody, sampleForgot),
	def("forgot-password-confirmation", "GET /account/forgot-password-confirmation", ForgotPasswordConfirmationBody, sampleForgotConfirmation),
	def("resend-email-confirmation-sent", "GET /account/resend-email-confirmation-sent", ResendConfirmationSentBody, func() []ResendConfirmationSentView {
		return []ResendConfirmationSentView{{Common: anon("Check your email")}}
	}),
	def("reset-password", "/account/reset-password?code=", ResetPasswordBody, sampleResetPassword),
	def("reset-password-confirmation", "GET /account/reset-password-confirmation", ResetPasswordConfirmationBody, sampleResetConfirmation),
	def("external-login-confirm", "/account/external-login/confirm", ExternalConfirmBody, sampleExternalConfirm),
	def("confirm-email-change", "/account/confirm-email-change?userId=&email=&code=", ConfirmEmailChangeBody, sampleConfirmEmailChange),
	def("reauthenticate", "/account/reauthenticate?returnUrl=", ReauthenticateBody, sampleReauthenticate),
	def("manage-profile", "/account/manage", ManageProfileBody, sampleManageProfile),
	def("manage-email", "/account/manage/email", ManageEmailBody, sampleManageEmail),
	def("change-password", "/account/manage/change-password", ChangePasswordBody, sampleChangePassword),
	def("set-password", "/account/manage/set-password", SetPasswordBody, sampleSetPassword),
	def("external-logins", "/account/manage/external-logins", ExternalLoginsBody, sampleExternalLogins),
	def("passkeys", "/account/manage/passkeys", PasskeysBody, samplePasskeys),
	def("two-factor", "/account/manage/two-factor", TwoFactorBody, sampleTwoFactor),
	def("enable-authenticator", "/account/manage/enable-authenticator", EnableAuthenticatorBody, sampleEnableAuthenticator),
	def("reset-authenticator", "/account/manage/reset-authenticator", ResetAuthenticatorBody, sampleConfirmAction("Reset authenticator app")),
	def("disable-2fa", "/account/manage/disable-2fa", Disable2FABody, func() []DisableTwoFactorView {
		return []DisableTwoFactorView{
			{Common: user("Turn off two-factor authentication"), HasPassword: true},
			{Common: user("Turn off two-factor authentication"), HasPassword: true, Errors: FieldErrors{"code": "The code is not valid."}},
			{Common: user("Turn off two-factor authentication")},
		}
	}),
	def("generate-recovery-codes", "/account/manage/generate-recovery-codes", GenerateRecoveryCodesBody, sampleConfirmAction("Generate new recovery codes")),
	def("show-recovery-codes", "GET /account/manage/show-recovery-codes", ShowRecoveryCodesBody, sampleShowRecoveryCodes),
	def("manage-sessions", "/account/manage/sessions", SessionsBody, sampleSessions),
	def("connected-apps", "/account/manage/apps", ConnectedAppsBody, sampleConnectedApps),
	def("manage-security", "/account/manage/security?page=", SecurityBody, sampleSecurity),
	def("security-not-me", "/account/manage/security/not-me?event_id=", NotMeBody, sampleNotMe),
	def("personal-data", "GET /account/manage/personal-data", PersonalDataBody, samplePersonalData),
	def("delete-personal-data", "/account/manage/delete-personal-data", DeletePersonalDataBody, sampleDeletePersonalData),
	def("account-deleted", "GET /account/deleted", GoodbyeBody, sampleGoodbye),
	def("error", "any error (403, 404, 405, 413, 429, 500, 503)", ErrorBody, sampleError),
}

// Pages returns every page of the registry.
func Pages() []Page { return slices.Clone(registry) }

// Names returns every page name.
func Names() []string {
	out := make([]string, len(registry))
	for i, p := range registry {
		out[i] = p.Name
	}
	return out
}

// byName indexes registry.
var byName = func() map[string]int {
	m := make(map[string]int, len(registry))
	for i, p := range registry {
		if _, dup := m[p.Name]; dup {
			panic("pages: two pages named " + p.Name)
		}
		m[p.Name] = i
	}
	return m
}()

// Lookup returns the named page.
func Lookup(name string) (Page, bool) {
	i, ok := byName[name]
	if !ok {
		return Page{}, false
	}
	return registry[i], true
}

// Sample values: realistic, so that a theme author sees what a page looks
// like and an override is checked against what the handlers really pass.

const (
	sampleCSRF   = "q3v1Xw0bYy7m2lS9cXoP4kV8nJ5hT6rA1dE0fG2hI3j"
	sampleUserID = "0190a5c4-7d1e-7c3a-9f21-5b8e2d4c6a10"
	sampleCode   = "Q2ZESjhBTS9wQUFBQUFBQUFBQUFBQUFBQUFBQUFB"
)

var sampleTime = time.Date(2026, 5, 4, 12, 30, 0, 0, time.UTC)

// SampleCommon is the Common of the samples: signed in as alice or not.
func SampleCommon(title string, signedIn bool) Common {
	c := Common{
		Title:     title,
		SiteName:  "Portal",
		CSRFToken: sampleCSRF,
		CSSURL:    "/static/portal.3f2a9c1d7e4b.css",
		IconURL:   "/static/favicon.a1b2c3d4e5f6.svg",

		PasskeyScriptURL: "/static/passkeys.0a1b2c3d4e5f.js",
	}
	if signedIn {
		c.User = &UserInfo{ID: sampleUserID, Email: "alice@example.com", UserName: "alice", EmailConfirmed: true}
		c.ExternalLogins = true
	}
	return c
}

func anon(title string) Common { return SampleCommon(title, false) }
func user(title string) Common { return SampleCommon(title, true) }

// openRegistration marks a sample's site as open for registration.
func openRegistration(c Common) Common {
	c.RegistrationOpen = true
	return c
}

// withStatus sets a status message on a sample.
func withStatus(c Common, msg string, isErr bool) Common {
	c.Status, c.StatusIsError = msg, isErr
	return c
}

var sampleProviders = []ProviderButton{{Slug: "google", Name: "Google"}, {Slug: "github", Name: "GitHub"}}

func sampleHome() []HomeView {
	return []HomeView{
		{Common: openRegistration(anon("Home")), RegistrationOpen: true},
		{Common: withStatus(user("Home"), "You are signed in.", false)},
		{Common: anon("Home")},
		// A new account's username is its address, and a long one.
		{Common: func() Common {
			c := user("Home")
			c.User = &UserInfo{ID: sampleUserID, Email: "alexandra.konstantinopoulou@example-company.com", UserName: "alexandra.konstantinopoulou@example-company.com"}
			return c
		}()},
	}
}

func sampleRegister() []RegisterView {
	return []RegisterView{
		{Common: anon("Create account"), MinPasswordLength: 8, Providers: sampleProviders},
		{Common: anon("Create account"), ReturnURL: "/account/manage", Email: "alice@example", MinPasswordLength: 8,
			Errors: FieldErrors{"email": "Enter a valid email address.", "password": "Use at least 8 characters.", "confirm_password": "The passwords do not match."}},
		{Common: anon("Create account"), Email: "alice@example.com", MinPasswordLength: 8, Message: "Too many attempts. Try again in a minute."},
		{Common: anon("Create account"), MinPasswordLength: 8, ExtraFields: sampleExtraFields},
		{Common: anon("Create account"), MinPasswordLength: 8, PasskeySignup: true, Providers: sampleProviders},
	}
}

var sampleExtraFields = []ExtraFieldInput{
	{Name: "nickname", Label: "Nickname", Type: "text", Required: true, Value: "", Error: "Enter your nickname."},
	{Name: "website", Label: "Website", Type: "url", Value: "https://alice.example"},
}

func sampleRegisterClosed() []RegisterClosedView {
	return []RegisterClosedView{{Common: anon("Registration is closed")}, {Common: anon("Registration is by invitation"), InviteOnly: true}}
}

func sampleRegisterConfirmation() []RegisterConfirmationView {
	return []RegisterConfirmationView{
		{Common: anon("Check your email")},
		{Common: anon("Check your email"), DevLink: "http://localhost:8080/account/confirm-email?userId=" + sampleUserID + "&code=" + sampleCode},
	}
}

func sampleConfirmEmail() []ConfirmEmailView {
	return []ConfirmEmailView{
		{Common: anon("Confirm your email"), UserID: sampleUserID, Code: sampleCode},
		{Common: anon("Confirm your email"), Confirmed: true},
		{Common: anon("Confirm your email"), Error: "This link is invalid or has expired."},
	}
}

func sampleResend() []EmailFormView {
	return []EmailFormView{
		{Common: anon("Resend email confirmation")},
		{Common: anon("Resend email confirmation"), Email: "alice@", Errors: FieldErrors{"email": "Enter a valid email address."}},
	}
}

func sampleForgot() []EmailFormView {
	return []EmailFormView{
		{Common: anon("Forgot your password?")},
		{Common: anon("Forgot your password?"), Email: "alice@", Errors: FieldErrors{"email": "Enter a valid email address."}},
	}
}

func sampleForgotConfirmation() []ForgotPasswordConfirmationView {
	return []ForgotPasswordConfirmationView{{Common: anon("Check your email"), LinkMinutes: 30}}
}

func sampleResetPassword() []ResetPasswordView {
	return []ResetPasswordView{
		{Common: anon("Choose a new password"), Code: sampleCode, MinPasswordLength: 8},
		{Common: anon("Choose a new password"), Code: sampleCode, Email: "alice@example.com", MinPasswordLength: 8,
			Message: "This link is invalid or has expired.",
			Errors:  FieldErrors{"email": "Enter your email address.", "password": "Use at least 8 characters.", "confirm_password": "The passwords do not match."}},
		{Common: anon("Choose a new password"), MinPasswordLength: 8, NoCode: true,
			Message: "A reset link must carry a code. Copy the whole link from the mail, or ask for a new one."},
		{Common: anon("Choose a new password"), MinPasswordLength: 8, LinkDead: true,
			Message: "This link was used or has expired. Request a new one."},
	}
}

func sampleResetConfirmation() []ResetPasswordConfirmationView {
	return []ResetPasswordConfirmationView{{Common: anon("Password reset")}}
}

func sampleLogin() []LoginView {
	return []LoginView{
		{Common: anon("Sign in"), RegistrationOpen: true, Passkeys: true},
		{Common: withStatus(anon("Sign in"), "Your session has expired. Please sign in again.", true), ReturnURL: "/account/manage", Email: "alice@example.com", RememberMe: true,
			Message: "Invalid login attempt.", Providers: sampleProviders, Errors: FieldErrors{"password": "Enter your password."}},
		{Common: anon("Sign in"), Email: "alice@", Errors: FieldErrors{"email": "Enter a valid email address."}},
		{Common: anon("Sign in"), Email: "bob@example.com", Unconfirmed: true, RegistrationOpen: true,
			Message: "Your email address is not confirmed yet. Follow the link in the confirmation email, or have a new one sent."},
	}
}

func sampleLogin2FA() []LoginTwoFactorView {
	return []LoginTwoFactorView{
		{Common: anon("Two-factor authentication")},
		{Common: anon("Two-factor authentication"), Errors: FieldErrors{"code": "The code is not valid."}},
		{Common: anon("Two-factor authentication"), Passkey: true, Message: "The passkey could not be verified. Please try again."},
	}
}

func sampleLoginRecovery() []LoginRecoveryCodeView {
	return []LoginRecoveryCodeView{
		{Common: anon("Sign in with a recovery code")},
		{Common: anon("Sign in with a recovery code"), Errors: FieldErrors{"recovery_code": "The recovery code is not valid."}},
	}
}

func sampleLogout() []LogoutView {
	return []LogoutView{{Common: user("Sign out")}, {Common: anon("Sign out")}}
}

func sampleLockout() []LockoutView {
	return []LockoutView{{Common: anon("Locked out"), LockoutMinutes: 5}}
}

func sampleConnectedApps() []ConnectedAppsView {
	return []ConnectedAppsView{
		{Common: user("Connected apps"), Apps: []ConnectedApp{
			{ClientID: "wiki", Name: "Acme Wiki", Scopes: []string{"openid", "profile", "email"}, AllowedAt: sampleTime},
			{ClientID: "mobile", Name: "Acme Mobile", Scopes: []string{"openid", "offline_access"}, AllowedAt: sampleTime},
		}},
		{Common: withStatus(user("Connected apps"), "Acme Wiki can no longer sign you in.", false)},
	}
}

func sampleConsent() []ConsentView {
	return []ConsentView{
		{Common: user("Allow access"), RequestID: "b2Y0c2FtcGxlcmVxdWVzdA", ClientName: "Acme Wiki", Scopes: []string{"openid", "profile", "email"}},
		{Common: user("Allow access"), RequestID: "b2Y0c2FtcGxlcmVxdWVzdA", ClientName: "Acme Mobile", Scopes: []string{"openid", "email", "offline_access"}},
		{Common: user("Allow access"), RequestID: "b2Y0c2FtcGxlcmVxdWVzdA", ClientName: "Acme Status", Scopes: []string{"openid"}},
	}
}

func sampleAccessDenied() []AccessDeniedView {
	return []AccessDeniedView{{Common: user("Access denied")}}
}

func sampleExternalConfirm() []ExternalConfirmView {
	return []ExternalConfirmView{
		{Common: anon("Create account"), ProviderName: "GitHub", DisplayName: "Alice Liddell", Email: "alice@example.com"},
		{Common: anon("Create account"), ProviderName: "Google", Email: "alice@", Message: "Registration is closed.",
			Errors: FieldErrors{"email": "Enter a valid email address."}},
		{Common: anon("Create account"), ProviderName: "GitHub", DisplayName: "Alice Liddell", Email: "alice@example.com",
			SentTo: "alice@example.com", Code: "K7QM-3XPD", CodeMinutes: 30},
		{Common: anon("Create account"), ProviderName: "GitHub", Email: "alice@example.com", SentTo: "alice@example.com", CodeMinutes: 30,
			Errors: FieldErrors{"code": "That code is not right."}},
		{Common: anon("Create account"), ProviderName: "GitHub", DisplayName: "Alice Liddell", Email: "alice@", ExtraFields: sampleExtraFields,
			Errors: FieldErrors{"email": "Enter a valid email address.", "nickname": "Enter your nickname."}},
	}
}

func sampleConfirmEmailChange() []ConfirmEmailChangeView {
	return []ConfirmEmailChangeView{
		{Common: anon("Confirm your new email address"), UserID: sampleUserID, Email: "alice.liddell@example.com", Code: sampleCode},
		{Common: anon("Confirm your new email address"), Error: "This link is invalid or has expired."},
	}
}

func sampleReauthenticate() []ReauthenticateView {
	return []ReauthenticateView{
		{Common: user("Confirm it is you"), ReturnURL: "/account/manage/email", WindowMinutes: 10, HasPassword: true},
		{Common: user("Confirm it is you"), ReturnURL: "/account/manage/disable-2fa", WindowMinutes: 10, HasPassword: true, NeedsCode: true,
			Providers: sampleProviders[1:], Errors: FieldErrors{"password": "The password is not correct.", "code": "The code is not valid."}},
		{Common: user("Confirm it is you"), WindowMinutes: 10, Providers: sampleProviders},
		{Common: user("Confirm it is you"), WindowMinutes: 10},
		{Common: user("Confirm it is you"), ReturnURL: "/account/manage/email", WindowMinutes: 10, NeedsCode: true}, // no password, 2FA on
		{Common: user("Confirm it is you"), ReturnURL: "/account/manage/passkeys", WindowMinutes: 10, HasPassword: true, Passkey: true,
			Message: "The passkey could not be verified. Please try again."},
		{Common: user("Confirm it is you"), ReturnURL: "/account/manage/passkeys", WindowMinutes: 10, Passkey: true}, // passwordless
	}
}

func sampleManageProfile() []ManageProfileView {
	return []ManageProfileView{
		{Common: withStatus(user("Profile"), "Your profile has been updated.", false), UserName: "alice", Email: "alice@example.com",
			EmailConfirmed: true, PhoneNumber: "+41 79 123 45 67", TimeZone: "Europe/Zurich", CreatedAt: sampleTime},
		{Common: user("Profile"), UserName: "alice smith", Email: "alice@example.com", PhoneNumber: "call me", TimeZone: "Mars/Olympus", CreatedAt: sampleTime,
			Errors: FieldErrors{"username": "Use letters, digits and - . _ @ + only.", "phone_number": "Enter a phone number.",
				"time_zone": "Enter a time zone such as Europe/Berlin, or leave the field empty."}},
		{Common: user("Profile"), UserName: "alice", Email: "alice@example.com", CreatedAt: sampleTime, ExtraFields: sampleExtraFields},
	}
}

func sampleManageEmail() []ManageEmailView {
	return []ManageEmailView{
		{Common: user("Email"), Email: "alice@example.com", EmailConfirmed: true},
		{Common: user("Email"), Email: "alice@example.com", NewEmail: "alice@", Errors: FieldErrors{"new_email": "Enter a valid email address."}},
		{Common: user("Email"), Email: "alice@example.com", EmailConfirmed: true, PendingEmail: "alice.liddell@example.org"},
	}
}

func sampleChangePassword() []ChangePasswordView {
	return []ChangePasswordView{
		{Common: user("Change password"), MinPasswordLength: 8},
		{Common: user("Change password"), MinPasswordLength: 8, CanRemove: true},
		{Common: user("Change password"), MinPasswordLength: 8, Errors: FieldErrors{"old_password": "The password is not correct.",
			"new_password": "Use at least 8 characters.", "confirm_password": "The passwords do not match."}},
	}
}

func sampleSetPassword() []SetPasswordView {
	return []SetPasswordView{
		{Common: user("Set a password"), MinPasswordLength: 8},
		{Common: user("Set a password"), MinPasswordLength: 8, Passkey: true},
		{Common: user("Set a password"), MinPasswordLength: 8, Errors: FieldErrors{"new_password": "Use at least 8 characters.",
			"confirm_password": "The passwords do not match."}},
	}
}

func sampleExternalLogins() []ExternalLoginsView {
	linked := []LinkedLogin{{Provider: "github", ProviderName: "GitHub", ProviderKey: "583231", DisplayName: "Alice Liddell", Email: "alice@example.com"}}
	return []ExternalLoginsView{
		{Common: user("External logins"), Linked: linked, Available: sampleProviders[:1], CanRemove: true, HasPassword: true},
		{Common: user("External logins"), Linked: []LinkedLogin{{Provider: "google", ProviderName: "Google", ProviderKey: "1098"}}},
		{Common: user("External logins"), Available: sampleProviders, HasPassword: true},
	}
}

func samplePasskeys() []PasskeysView {
	c := user("Passkeys")
	when := time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
	items := []PasskeyItem{
		{ID: "pk-1", Name: "iCloud Keychain", Model: "iCloud Keychain", CreatedAt: when, LastUsedAt: when.Add(72 * time.Hour), Synced: true},
		{ID: "pk-2", Name: "Office key", Model: "YubiKey 5", CreatedAt: when.Add(24 * time.Hour)},
	}
	return []PasskeysView{
		{Common: c, Passkeys: items, Available: true, CanRemove: true, NameMax: 64},
		{Common: c, Available: true, CanRemove: true, NameMax: 64},
		{Common: c, Passkeys: items[:1], Available: true, NameMax: 64},
		{Common: c, Passkeys: []PasskeyItem{{ID: "pk-3", Name: "Old phone", CreatedAt: when, CloneWarning: true}}, Available: true, CanRemove: true,
			Errors: FieldErrors{"name": "Give the passkey a name of at most 64 characters."}, Message: "The passkey could not be verified. Please try again.", NameMax: 64},
		{Common: c, Passkeys: items, NameMax: 64},
	}
}

func sampleTwoFactor() []TwoFactorView {
	c := user("Two-factor authentication")
	return []TwoFactorView{
		{Common: c, Enabled: true, HasAuthenticator: true, RecoveryCodesLeft: 8},
		{Common: c, Enabled: true, HasAuthenticator: true, RecoveryCodesLeft: 0, BrowserRemembered: true},
		{Common: c, Enabled: true, HasAuthenticator: true, RecoveryCodesLeft: 1},
		{Common: c, Enabled: true, HasAuthenticator: true, RecoveryCodesLeft: 3},
		{Common: c},
		{Common: c, HasAuthenticator: true},
	}
}

// SampleAuthenticatorURI is the otpauth URI of the enable-authenticator
// samples.
const SampleAuthenticatorURI = "otpauth://totp/Portal:alice%40example.com?algorithm=SHA1&digits=6&issuer=Portal&period=30&secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

func sampleEnableAuthenticator() []EnableAuthenticatorView {
	qr, err := QRCodeSVG(SampleAuthenticatorURI)
	if err != nil {
		panic(err) // a constant input
	}
	v := EnableAuthenticatorView{Common: user("Set up an authenticator app"), FormattedKey: "jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp",
		URI: SampleAuthenticatorURI, QRCodeSVG: qr}
	bad := v
	bad.Errors = FieldErrors{"code": "The code is not valid."}
	return []EnableAuthenticatorView{v, bad}
}

func sampleConfirmAction(title string) func() []ConfirmActionView {
	return func() []ConfirmActionView { return []ConfirmActionView{{Common: user(title)}} }
}

func sampleShowRecoveryCodes() []ShowRecoveryCodesView {
	return []ShowRecoveryCodesView{{Common: withStatus(user("Your recovery codes"), "Two-factor authentication is on.", false),
		Codes: []string{"a1b2c-d3e4f", "g5h6i-j7k8l", "m9n0o-p1q2r", "s3t4u-v5w6x", "y7z8a-b9c0d",
			"e1f2g-h3i4j", "k5l6m-n7o8p", "q9r0s-t1u2v", "w3x4y-z5a6b", "c7d8e-f9g0h"}}}
}

func sampleSessions() []SessionsView {
	return []SessionsView{
		{Common: user("Sessions"), Sessions: []SessionItem{
			{ID: "c2Vzcy0x", Device: "Firefox on Linux", IP: "203.0.113.7", CreatedAt: sampleTime.Add(-2 * time.Hour), LastSeenAt: sampleTime, Current: true, Remember: true},
			{ID: "c2Vzcy0y", Device: "Safari on iPhone", IP: "198.51.100.23", CreatedAt: sampleTime.Add(-72 * time.Hour), LastSeenAt: sampleTime.Add(-5 * time.Hour), Remembered2FA: true},
		}, Passkeys: []string{"iCloud Keychain", "YubiKey 5"}},
		{Common: user("Sessions"), Sessions: []SessionItem{
			{ID: "c2Vzcy0x", Device: "Firefox on Linux", IP: "203.0.113.7", CreatedAt: sampleTime, LastSeenAt: sampleTime, Current: true},
		}},
	}
}

func sampleSecurity() []SecurityView {
	ev := func(id int64, kind string, ago time.Duration, signIn bool) SecurityEventItem {
		return SecurityEventItem{ID: id, Kind: kind, Text: EventText(nil, kind, "", "Firefox on Linux", "203.0.113.7"),
			Time: sampleTime.Add(-ago), Device: "Firefox on Linux", IP: "203.0.113.7", SignIn: signIn}
	}
	current := ev(43, "login", 0, false)
	current.ThisSession = true
	return []SecurityView{
		{Common: user("Security history"), Page: 2, PrevPage: 1, NextPage: 3, Events: []SecurityEventItem{
			current, ev(42, "login", time.Hour, true), ev(41, "password_changed", 26*time.Hour, false), ev(40, "register", 72*time.Hour, false),
		}},
		{Common: user("Security history"), Page: 1},
	}
}

func sampleNotMe() []NotMeView {
	return []NotMeView{{Common: user("Was this not you?"), Event: SecurityEventItem{ID: 42, Kind: "login",
		Text: EventText(nil, "login", "", "Chrome on Windows", "198.51.100.23"), Time: sampleTime.Add(-3 * time.Hour),
		Device: "Chrome on Windows", IP: "198.51.100.23", SignIn: true}}}
}

func samplePersonalData() []PersonalDataView {
	return []PersonalDataView{{Common: user("Personal data")}}
}

func sampleDeletePersonalData() []DeletePersonalDataView {
	return []DeletePersonalDataView{
		{Common: user("Delete your account"), HasPassword: true},
		{Common: user("Delete your account"), HasPassword: true, Errors: FieldErrors{"password": "The password is not correct."}},
		{Common: user("Delete your account")},
	}
}

func sampleGoodbye() []GoodbyeView {
	return []GoodbyeView{{Common: anon("Account deleted")}}
}

func sampleError() []ErrorView {
	return []ErrorView{
		{Common: anon("Page not found"), Status: 404, Message: "We could not find that page."},
		{Common: user("Too many requests"), Status: 429, Message: "Too many attempts. Try again in a minute."},
		{Common: anon("Something went wrong"), Status: 500, Message: "Something went wrong on our side.", RequestID: "8f3a2c1d9e7b6a54"},
	}
}
