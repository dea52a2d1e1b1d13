package identity

import (
	"flag"
	"io"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestZeroSettingsMeanDefaults: the zero value of every setting is valid
// and resolves to DefaultSettings (HashConcurrency to the CPUs; a bool's
// zero is false).
func TestZeroSettingsMeanDefaults(t *testing.T) {
	var zero Settings
	if err := zero.Validate(); err != nil {
		t.Fatalf("zero settings invalid: %v", err)
	}
	want := DefaultSettings()
	want.RequireConfirmedEmail = false
	want.HashConcurrency = runtime.NumCPU()
	if got := zero.withDefaults(); !reflect.DeepEqual(got, want) {
		t.Fatalf("zero settings resolve to\n%+v\nwant\n%+v", got, want)
	}
	if err := DefaultSettings().Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	// Every field of Settings is resolved or a bool/list whose zero is
	// its default: a new field without a default line fails here.
	rv := reflect.ValueOf(zero.withDefaults())
	for i := range rv.NumField() {
		f := rv.Type().Field(i)
		switch f.Type.Kind() {
		case reflect.Bool, reflect.Slice:
			continue
		}
		if rv.Field(i).IsZero() {
			t.Errorf("Settings.%s: zero is not resolved to a default in withDefaults", f.Name)
		}
	}
}

// TestSettingsFlags: lists are parsed once, by their flag.Value, and a bad
// value is refused at the flag.
func TestSettingsFlags(t *testing.T) {
	s := DefaultSettings()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	s.BindFlags(fs)
	err := fs.Parse([]string{
		"--registration", "invite",
		"--allowed-email-domains", " Example.com, example.org ",
		"--register-field", "nickname:text:required,website:url",
		"--rate-limits", "login-ip=50/30m,register-ip=0",
		"--lockout-duration", "7m",
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.Registration != RegistrationInvite || s.LockoutDuration != 7*time.Minute {
		t.Fatalf("settings %+v", s)
	}
	if got, want := s.AllowedEmailDomains, (EmailDomains{"example.com", "example.org"}); !reflect.DeepEqual(got, want) {
		t.Fatalf("domains=%q, want %q", got, want)
	}
	if len(s.RegisterFields) != 2 || s.RegisterFields[0].Label != "Nickname" || !s.RegisterFields[0].Required {
		t.Fatalf("fields=%+v", s.RegisterFields)
	}
	if got, want := s.RateLimits.String(), "login-ip=50/30m0s,register-ip=0"; got != want {
		t.Fatalf("rate limits %q, want %q", got, want)
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"--allowed-email-domains", "example.com,not a domain"},
		{"--register-field", "nickname:color"},
		{"--rate-limits", "login-ip=lots"},
	} {
		s := DefaultSettings()
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		s.BindFlags(fs)
		if err := fs.Parse(args); err == nil || !strings.Contains(err.Error(), args[0][2:]) {
			t.Errorf("%q: err=%v, want one naming the flag", args, err)
		}
	}
}

// TestSettingsValidateNamesTheFlag: values set from Go are checked too.
func TestSettingsValidateNamesTheFlag(t *testing.T) {
	for name, tc := range map[string]struct {
		mod  func(*Settings)
		want string
	}{
		"registration": {func(s *Settings) { s.Registration = "maybe" }, "--registration"},
		"domain":       {func(s *Settings) { s.AllowedEmailDomains = EmailDomains{"not a domain"} }, "--allowed-email-domains"},
		"field":        {func(s *Settings) { s.RegisterFields = ExtraFields{{Name: "email", Type: "text"}} }, "--register-field"},
		"rate limit":   {func(s *Settings) { s.RateLimits.LoginPerIP = Limit{Max: 3} }, "--rate-limits"},
		"lockout":      {func(s *Settings) { s.LockoutThreshold = -1 }, "--lockout-threshold"},
		"reset":        {func(s *Settings) { s.ResetPasswordLifetime = 2 * time.Hour }, "--reset-password-lifetime"},
	} {
		s := DefaultSettings()
		tc.mod(&s)
		if err := s.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err=%v, want one naming %s", name, err, tc.want)
		}
	}
}
