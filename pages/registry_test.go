package pages

import (
	"bytes"
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// The registry lists every page once, with a view model that embeds
// Common and samples of that type that render.
func TestRegistry(t *testing.T) {
	want := []string{"login", "register", "register-closed", "register-confirmation", "confirm-email",
		"resend-email-confirmation", "resend-email-confirmation-sent", "forgot-password", "forgot-password-confirmation", "reset-password",
		"reset-password-confirmation", "logout", "lockout", "access-denied", "home", "manage-profile", "manage-email",
		"change-password", "set-password", "manage-sessions", "manage-security", "security-not-me", "personal-data", "delete-personal-data",
		"account-deleted", "two-factor", "enable-authenticator", "reset-authenticator", "disable-2fa",
		"generate-recovery-codes", "show-recovery-codes", "login-2fa", "login-recovery-code", "reauthenticate",
		"external-login-confirm", "external-logins", "passkeys", "confirm-email-change", "consent", "connected-apps", "error"}
	got := Names()
	if a, b := slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want)); !slices.Equal(a, b) {
		t.Fatalf("page names=%v, want %v", a, b)
	}
	for _, p := range Pages() {
		if _, ok := p.View.FieldByName("Common"); !ok {
			t.Errorf("%s: view model %v does not embed Common", p.Name, p.View)
		}
		samples := p.Samples()
		if len(samples) == 0 {
			t.Errorf("%s: no samples", p.Name)
		}
		for i, v := range samples {
			if got := reflect.TypeOf(v); got != p.View {
				t.Errorf("%s #%d: sample is %v, want %v", p.Name, i+1, got, p.View)
			}
			var body, full bytes.Buffer
			if err := p.Body(v).Render(context.Background(), &body); err != nil {
				t.Errorf("%s #%d: %v", p.Name, i+1, err)
			}
			if err := p.Render(v).Render(context.Background(), &full); err != nil {
				t.Errorf("%s #%d: %v", p.Name, i+1, err)
			}
			if !strings.Contains(full.String(), body.String()) || !strings.HasPrefix(full.String(), "<!doctype html>") {
				t.Errorf("%s #%d: the whole page does not hold the body in the layout", p.Name, i+1)
			}
		}
	}
}

// A page given another page's view model renders an error, not a panic.
func TestBodyWrongViewType(t *testing.T) {
	p, _ := Lookup("login")
	var buf bytes.Buffer
	err := p.Body(HomeView{}).Render(context.Background(), &buf)
	if err == nil || !strings.Contains(err.Error(), "LoginView") {
		t.Fatalf("err=%v, want a wrong view model error", err)
	}
	if err := p.Body(&LoginView{}).Render(context.Background(), &buf); err != nil {
		t.Fatalf("a pointer to the view model: %v", err)
	}
	if err := p.Render(42).Render(context.Background(), &buf); err == nil {
		t.Fatal("Render of a non-view: no error")
	}
}

func TestDocs(t *testing.T) {
	if got := TypeDoc("LoginView"); !strings.Contains(got, `("login")`) {
		t.Errorf("TypeDoc(LoginView)=%q", got)
	}
	if got := FieldDoc("Common", "CSRFToken"); !strings.Contains(got, "_csrf") {
		t.Errorf("FieldDoc(Common, CSRFToken)=%q", got)
	}
	if got := FieldDoc("SessionItem", "Device"); got != `"Firefox on Linux"` {
		t.Errorf("FieldDoc(SessionItem, Device)=%q", got)
	}
}
