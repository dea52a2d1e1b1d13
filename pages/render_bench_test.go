package pages

// Micro-benchmarks of rendering every page (docs/performance.md): each view model is
// built by hand, as a handler would fill it, and rendered to io.Discard.
//
//	go test -run '^$' -bench Render -benchmem ./pages

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/a-h/templ"
)

// bnCommon is what every page gets, signed in or not.
func bnCommon(title string, signedIn bool) Common {
	c := Common{
		Title:     title,
		SiteName:  "Portal",
		CSRFToken: "q3v1Xw0bYy7m2lS9cXoP4kV8nJ5hT6rA1dE0fG2hI3j",
		CSSURL:    "/static/portal.3f2a9c1d7e4b.css",
		IconURL:   "/static/favicon.a1b2c3d4e5f6.svg",
	}
	if signedIn {
		c.User = &UserInfo{ID: "0190a5c4-7d1e-7c3a-9f21-5b8e2d4c6a10", Email: "alice@example.com", UserName: "alice", EmailConfirmed: true}
		c.Status = "Your profile has been updated."
	}
	return c
}

// bnPage is the whole page: body inside the layout, as the handlers render
// it.
func bnPage[V View](body func(V) templ.Component, v V) templ.Component {
	return WithLayout(v.PageCommon(), body(v))
}

// bnPages is every page with a representative view model.
func bnPages() []struct {
	name string
	page templ.Component
} {
	now := time.Date(2026, 5, 4, 12, 30, 0, 0, time.UTC)
	anon := func(title string) Common { return bnCommon(title, false) }
	user := func(title string) Common { return bnCommon(title, true) }
	errs := FieldErrors{"email": "Enter your email address."}
	providers := []ProviderButton{{Slug: "google", Name: "Google"}, {Slug: "github", Name: "GitHub"}}
	var sessions []SessionItem
	for i := range 5 {
		sessions = append(sessions, SessionItem{ID: fmt.Sprintf("sess-%d", i), Device: "Firefox on Linux", IP: "203.0.113.7",
			CreatedAt: now.Add(-time.Duration(i) * time.Hour), LastSeenAt: now, Current: i == 0, Remember: i%2 == 0})
	}
	var events []SecurityEventItem
	for i := range 20 {
		events = append(events, SecurityEventItem{ID: int64(100 - i), Kind: "login",
			Text: EventText(nil, "login", "", "Firefox on Linux", "203.0.113.7"), Time: now.Add(-time.Duration(i) * time.Hour),
			Device: "Firefox on Linux", IP: "203.0.113.7", SignIn: true})
	}
	uri := "otpauth://totp/Portal:alice%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Portal"
	qr, err := QRCodeSVG(uri)
	if err != nil {
		panic(err)
	}
	codes := []string{"a1b2c-d3e4f", "g5h6i-j7k8l", "m9n0o-p1q2r", "s3t4u-v5w6x", "y7z8a-b9c0d",
		"e1f2g-h3i4j", "k5l6m-n7o8p", "q9r0s-t1u2v", "w3x4y-z5a6b", "c7d8e-f9g0h"}
	confirm := ConfirmActionView{Common: user("Confirm")}
	return []struct {
		name string
		page templ.Component
	}{
		{"home", bnPage(HomeBody, HomeView{Common: anon("Home"), RegistrationOpen: true})},
		{"register", bnPage(RegisterBody, RegisterView{Common: anon("Register"), Email: "alice@example.com", Errors: errs, MinPasswordLength: 8})},
		{"register-closed", bnPage(RegisterClosedBody, RegisterClosedView{Common: anon("Register")})},
		{"register-confirmation", bnPage(RegisterConfirmationBody, RegisterConfirmationView{Common: anon("Check your email"), DevLink: "http://localhost:8080/account/confirm-email?userId=x&code=y"})},
		{"resend-email-confirmation", bnPage(ResendEmailConfirmationBody, EmailFormView{Common: anon("Resend"), Email: "alice@example.com"})},
		{"forgot-password", bnPage(ForgotPasswordBody, EmailFormView{Common: anon("Forgot your password?")})},
		{"forgot-password-confirmation", bnPage(ForgotPasswordConfirmationBody, ForgotPasswordConfirmationView{Common: anon("Check your email"), LinkMinutes: 30})},
		{"reset-password", bnPage(ResetPasswordBody, ResetPasswordView{Common: anon("Reset password"), Code: "Zm9vYmFyYmF6cXV4", MinPasswordLength: 8})},
		{"reset-password-confirmation", bnPage(ResetPasswordConfirmationBody, ResetPasswordConfirmationView{Common: anon("Password reset")})},
		{"confirm-email", bnPage(ConfirmEmailBody, ConfirmEmailView{Common: anon("Confirm email"), UserID: "u1", Code: "Zm9vYmFy"})},
		{"confirm-email-change", bnPage(ConfirmEmailChangeBody, ConfirmEmailChangeView{Common: anon("Confirm email change"), UserID: "u1", Email: "new@example.com", Code: "Zm9vYmFy"})},
		{"login", bnPage(LoginBody, LoginView{Common: anon("Sign in"), RegistrationOpen: true})},
		{"login-error", bnPage(LoginBody, LoginView{Common: anon("Sign in"), Email: "alice@example.com", Message: "Invalid login attempt.", RegistrationOpen: true, Providers: providers})},
		{"logout", bnPage(LogoutBody, LogoutView{Common: user("Sign out")})},
		{"lockout", bnPage(LockoutBody, LockoutView{Common: anon("Locked out"), LockoutMinutes: 5})},
		{"access-denied", bnPage(AccessDeniedBody, AccessDeniedView{Common: user("Access denied")})},
		{"error", bnPage(ErrorBody, ErrorView{Common: anon("Not found"), Status: 404, Message: "The page you asked for does not exist."})},
		{"manage-profile", bnPage(ManageProfileBody, ManageProfileView{Common: user("Profile"), UserName: "alice", Email: "alice@example.com", EmailConfirmed: true, PhoneNumber: "+41791234567", CreatedAt: now})},
		{"manage-email", bnPage(ManageEmailBody, ManageEmailView{Common: user("Email"), Email: "alice@example.com", EmailConfirmed: true})},
		{"change-password", bnPage(ChangePasswordBody, ChangePasswordView{Common: user("Change password"), MinPasswordLength: 8})},
		{"set-password", bnPage(SetPasswordBody, SetPasswordView{Common: user("Set password"), MinPasswordLength: 8})},
		{"manage-sessions", bnPage(SessionsBody, SessionsView{Common: user("Sessions"), Sessions: sessions})},
		{"reauthenticate", bnPage(ReauthenticateBody, ReauthenticateView{Common: user("Confirm your password"), ReturnURL: "/account/manage/email", WindowMinutes: 10, HasPassword: true})},
		{"personal-data", bnPage(PersonalDataBody, PersonalDataView{Common: user("Personal data")})},
		{"delete-personal-data", bnPage(DeletePersonalDataBody, DeletePersonalDataView{Common: user("Delete account"), HasPassword: true})},
		{"account-deleted", bnPage(GoodbyeBody, GoodbyeView{Common: anon("Account deleted")})},
		{"manage-security", bnPage(SecurityBody, SecurityView{Common: user("Security"), Events: events, Page: 1, NextPage: 2})},
		{"two-factor", bnPage(TwoFactorBody, TwoFactorView{Common: user("Two-factor authentication"), Enabled: true, HasAuthenticator: true, RecoveryCodesLeft: 8})},
		{"enable-authenticator", bnPage(EnableAuthenticatorBody, EnableAuthenticatorView{Common: user("Authenticator app"), FormattedKey: "jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp", URI: uri, QRCodeSVG: qr})},
		{"reset-authenticator", bnPage(ResetAuthenticatorBody, confirm)},
		{"disable-2fa", bnPage(Disable2FABody, DisableTwoFactorView{Common: user("Confirm"), HasPassword: true})},
		{"generate-recovery-codes", bnPage(GenerateRecoveryCodesBody, confirm)},
		{"show-recovery-codes", bnPage(ShowRecoveryCodesBody, ShowRecoveryCodesView{Common: user("Recovery codes"), Codes: codes})},
		{"login-2fa", bnPage(LoginTwoFactorBody, LoginTwoFactorView{Common: anon("Two-factor authentication")})},
		{"login-recovery-code", bnPage(LoginRecoveryCodeBody, LoginRecoveryCodeView{Common: anon("Recovery code")})},
		{"external-login-confirm", bnPage(ExternalConfirmBody, ExternalConfirmView{Common: anon("Create account"), ProviderName: "GitHub", DisplayName: "Alice", Email: "alice@example.com"})},
		{"external-logins", bnPage(ExternalLoginsBody, ExternalLoginsView{Common: user("External logins"),
			Linked:    []LinkedLogin{{Provider: "github", ProviderName: "GitHub", ProviderKey: "12345", DisplayName: "alice", Email: "alice@example.com"}},
			Available: providers[:1], CanRemove: true, HasPassword: true})},
	}
}

// BenchmarkRender renders each page, with a CSP nonce as the handlers do.
func BenchmarkRender(b *testing.B) {
	ctx := templ.WithNonce(context.Background(), "bm9uY2Vub25jZW5vbmNl")
	for _, p := range bnPages() {
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := p.page.Render(ctx, io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRenderRegistry renders every page of the registry (Pages) with
// its typical sample view model, inside the layout: pages added later are
// covered without editing this file.
func BenchmarkRenderRegistry(b *testing.B) {
	ctx := templ.WithNonce(context.Background(), "bm9uY2Vub25jZW5vbmNl")
	for _, p := range Pages() {
		samples := p.Samples()
		if len(samples) == 0 {
			continue
		}
		page := p.Render(samples[0])
		b.Run(p.Name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := page.Render(ctx, io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
