package tests

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/accountportal/portal/identity"
	pt "github.com/accountportal/portal/internal/portaltest"
	"github.com/accountportal/portal/messages"
)

// Mail in the reader's language (issue 22, DESIGN.md "Languages"): every
// mail, subject included, goes out in the recipient's saved language,
// else in the language of the request that caused it, else the default.

// forgotPassword asks for a reset link for email from c.
func forgotPassword(t *testing.T, c *pt.Client, email string) {
	t.Helper()
	r := c.PostFrom("/account/forgot-password", "/account/forgot-password", url.Values{"email": {email}})
	pt.WantStatus(t, r, http.StatusSeeOther)
}

// wantMailIn checks that m is written in the catalogue want: its subject
// is want's, its bodies start with want's greeting, and the HTML body is
// marked with want's language.
func wantMailIn(t *testing.T, m pt.Mail, want *messages.Catalog, subject string) {
	t.Helper()
	if m.Subject != subject {
		t.Errorf("subject %q, want %q (%s)", m.Subject, subject, want.Lang())
	}
	if !strings.HasPrefix(m.Text, want.T("mail.greeting")) {
		t.Errorf("the text body does not start with %q (%s):\n%s", want.T("mail.greeting"), want.Lang(), m.Text)
	}
	if !strings.Contains(m.HTML, `<html lang="`+want.Lang()+`" dir="`+want.Dir()+`">`) {
		t.Errorf("the HTML body is not marked lang=%s dir=%s:\n%.300s", want.Lang(), want.Dir(), m.HTML)
	}
}

// A signed-in German speaker who picked German gets a German reset mail,
// even when the reset is asked for from an English browser.
func TestMailInPickedLanguage(t *testing.T) {
	srv := pt.NewServer(t)
	de := messages.Builtin("de")
	srv.ConfirmedUser(t, "greta@example.com", "correct horse battery")
	c := srv.SignIn(t, "greta@example.com", "correct horse battery", false)
	r := c.PostFrom("/account/manage", "/account/language", url.Values{"lang": {"de"}, "returnUrl": {"/account/manage"}})
	pt.WantRedirect(t, r, "/account/manage")

	other := pt.NewClient(t, srv).WithHeader("Accept-Language", "en-US")
	forgotPassword(t, other, "greta@example.com")
	ms := srv.MailsTo(t, "greta@example.com")
	m := ms[len(ms)-1]
	mins := int(identity.DefaultSettings().ResetPasswordLifetime / time.Minute)
	wantMailIn(t, m, de, de.T("mail-reset-password.subject", "site", srv.Config.SiteName))
	for _, want := range []string{
		de.T("mail-reset-password.button"),    // the HTML body's link
		de.N("mail.minutes", mins, "n", mins), // how long the link works
	} {
		if !strings.Contains(m.HTML, want) {
			t.Errorf("the HTML body lacks %q:\n%s", want, m.HTML)
		}
	}
	if strings.Contains(m.Text, messages.Default().T("mail-reset-password.ignore")) {
		t.Errorf("an English sentence in the German mail:\n%s", m.Text)
	}
	// The link in it works like any other.
	link := m.Link(t, "/account/reset-password")
	if p := other.Get(strings.TrimPrefix(link, srv.URL)); p.Status != http.StatusOK {
		t.Errorf("the German mail's link answers %d", p.Status)
	}
}

// Accept-Language: fr on the forgot-password form, for an account with no
// saved language, gives a French mail; a language Portal does not offer
// gives the default, English.
func TestMailInRequestLanguage(t *testing.T) {
	srv := pt.NewServer(t)
	fr, en := messages.Builtin("fr"), messages.Default()
	srv.ConfirmedUser(t, "lea@example.com", "correct horse battery")
	forgotPassword(t, pt.NewClient(t, srv).WithHeader("Accept-Language", "fr-CA, fr;q=0.9"), "lea@example.com")
	ms := srv.MailsTo(t, "lea@example.com")
	wantMailIn(t, ms[len(ms)-1], fr, fr.T("mail-reset-password.subject", "site", srv.Config.SiteName))

	srv.ConfirmedUser(t, "kenji@example.com", "correct horse battery")
	forgotPassword(t, pt.NewClient(t, srv).WithHeader("Accept-Language", "ja, tlh;q=0.5"), "kenji@example.com")
	ms = srv.MailsTo(t, "kenji@example.com")
	wantMailIn(t, ms[len(ms)-1], en, en.T("mail-reset-password.subject", "site", srv.Config.SiteName))
}

// Registering in Arabic: the confirmation mail is Arabic, right to left.
func TestMailConfirmationInArabic(t *testing.T) {
	srv := pt.NewServer(t)
	ar := messages.Builtin("ar")
	c := pt.NewClient(t, srv).WithHeader("Accept-Language", "ar")
	c.Register("salma@example.com", "correct horse battery")
	ms := srv.MailsTo(t, "salma@example.com")
	if len(ms) != 1 {
		t.Fatalf("%d mails, want the confirmation", len(ms))
	}
	wantMailIn(t, ms[0], ar, ar.T("mail-confirm-email.subject", "site", srv.Config.SiteName))
	// And the link confirms the address.
	c.ConfirmWithMail(ms[0])
	if !srv.CanLogin(t, "salma@example.com", "correct horse battery") {
		t.Error("the Arabic confirmation link did not confirm the address")
	}
}
