package pages

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// TestReauthWithoutPasswordAsksForCode (SES-05, MFA-03, issue 17 item 2):
// an account without a password but with 2FA re-authenticates with its
// code — the page shows the form with the code field and no password
// field (before, it showed no form at all, and the only way was a POST
// that skipped the password).
func TestReauthWithoutPasswordAsksForCode(t *testing.T) {
	v := ReauthenticateView{Common: Common{Title: "Confirm it is you"}, WindowMinutes: 10, NeedsCode: true}
	var b bytes.Buffer
	if err := ReauthenticateBody(v).Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if doc.Find("#reauth-form input[name=code]").Length() != 1 {
		t.Errorf("no code field in the re-authentication form of a passwordless 2FA account:\n%s", b.String())
	}
	if doc.Find("#reauth-form input[name=password]").Length() != 0 {
		t.Errorf("a password field for an account without a password:\n%s", b.String())
	}
}
