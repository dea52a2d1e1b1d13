package tests

// Flow tests for issue 18 (what a newcomer stumbled on): honest history,
// unconfirmed sign-in, dead ends, the 429 page. Helpers start with "ux".

import (
	"slices"
	"testing"

	"github.com/accountportal/portal/internal/portaltest"
)

const uxPassword = "correct horse battery"

// TestRegisterExistingAddressHistory (issue 18 item 3, LOG-01): someone
// registering an address that has an account does not write "Account
// created" into the owner's history; the owner reads that someone tried,
// from which device.
func TestRegisterExistingAddressHistory(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "alice@example.com"
	owner := portaltest.NewClient(t, srv).WithHeader("User-Agent", mgUAFirefoxLinux)
	owner.Register(email, uxPassword)
	owner.ConfirmEmail(email)
	portaltest.WantRedirect(t, owner.Login(email, uxPassword, false), "/")

	stranger := portaltest.NewClient(t, srv).WithHeader("User-Agent", mgUAChromeWin)
	portaltest.WantRedirect(t, stranger.Register(email, "another fine passphrase"), "/account/register-confirmation")

	events := pdEvents(t, pdSecurity(t, owner, 0))
	kinds := pdKinds(t, pdSecurity(t, owner, 0))
	if want := []string{"register_attempt", "login", "email_confirmed", "register"}; !slices.Equal(kinds, want) {
		t.Fatalf("timeline kinds=%q, want %q", kinds, want)
	}
	if got, want := events[0].Text, "Someone tried to create an account with your email address from Chrome on Windows, 127.0.0.1"; got != want {
		t.Errorf("attempt entry=%q, want %q", got, want)
	}
	if got, want := events[3].Text, "Account created from Firefox on Linux, 127.0.0.1"; got != want {
		t.Errorf("register entry=%q, want %q", got, want)
	}
	if events[0].EventID != "" {
		t.Error("the attempt entry offers \"This wasn't me\"; it is not a sign-in")
	}
}
