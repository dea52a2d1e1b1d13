package tests

// Lookalike addresses (REG-02, issue 17 item 3): an address with a
// character that lower-cases or normalises into another letter must not
// take, or pass for, the plain address's account.

import (
	"net/http"
	"strings"
	"testing"

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/internal/portaltest"
)

// TestLookalikeAddressCannotTakeAccount: the attacker registers first with
// "Kate" written with U+212A KELVIN SIGN (which lower-cases to k). Before
// the fix this took kate@example.com's key while every mail went to the
// attacker's variant: the real Kate could never register, and her
// confirmation and reset mails went to the attacker. Now the variant, its
// full-width and mixed-script cousins are refused with a field message, and
// the real owner registers and receives her own mail.
func TestLookalikeAddressCannotTakeAccount(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	attacker := portaltest.NewClient(t, srv)
	for _, addr := range []string{
		"\u212Aate@example.com",  // KELVIN SIGN
		"ｋａｔｅ@example.com",       // full-width
		"k\u0430te@example.com",  // Cyrillic а among Latin letters
		"\u0130kate@example.com", // İ lower-cases to i
		"kate\u202e@example.com", // bidi override
	} {
		p := submitRegister(attacker, addr, "correct horse battery", "correct horse battery")
		portaltest.WantStatus(t, p, http.StatusUnprocessableEntity)
		if msg := portaltest.FieldError(t, p, "email"); msg == "" {
			t.Errorf("register %+q: no message beside the email field", addr)
		}
	}
	if got := srv.Mails(t); len(got) != 0 {
		t.Fatalf("the refused lookalikes sent %d mails (first to %+q)", len(got), got[0].To)
	}
	// The owner's registration makes her account: she gets the
	// confirmation, not "someone tried to register with your address".
	owner := portaltest.NewClient(t, srv)
	owner.Register("kate@example.com", "correct horse battery")
	mails := srv.Mails(t)
	if len(mails) != 1 || mails[0].To != "kate@example.com" {
		t.Fatalf("mails %+v, want one to kate@example.com", mails)
	}
	owner.ConfirmEmail("kate@example.com")
	portaltest.WantRedirect(t, owner.Login("kate@example.com", "correct horse battery", false), "/")
}

// TestLookalikeDomainNotAllowed: "İbm.com" is a different DNS name
// (xn--ibm-8dc.com) from ibm.com, so --allowed-email-domains ibm.com must
// not let it in; lower-casing used to map İ to i. A domain typed in another
// case or in full width is the same IDNA name and is allowed.
func TestLookalikeDomainNotAllowed(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t, func(c *portal.Config) { c.AllowedEmailDomains = identity.EmailDomains{"ibm.com"} })
	c := portaltest.NewClient(t, srv)
	p := submitRegister(c, "ceo@\u0130bm.com", "correct horse battery", "correct horse battery")
	portaltest.WantStatus(t, p, http.StatusUnprocessableEntity)
	if msg := portaltest.FieldError(t, p, "email"); !strings.Contains(msg, "ibm.com") {
		t.Errorf("ceo@İbm.com: email message %q, want the allowed domains", msg)
	}
	if got := srv.Mails(t); len(got) != 0 {
		t.Fatalf("ceo@İbm.com under --allowed-email-domains ibm.com sent %d mails", len(got))
	}
	c.Register("ceo@IBM.com", "correct horse battery")
	if got := srv.MailsTo(t, "ceo@IBM.com"); len(got) != 1 {
		t.Fatalf("ceo@IBM.com: %d mails, want its confirmation", len(got))
	}
}

// TestIDNAddressMailedAsStored: an internationalised domain is stored and
// mailed in its IDNA ASCII form, the form uniqueness is decided on; a
// second registration in another spelling of the same domain is the same
// account (REG-01 answer, no second account).
func TestIDNAddressMailedAsStored(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	portaltest.NewClient(t, srv).Register("zoë@exämple.ch", "correct horse battery")
	portaltest.NewClient(t, srv).Register("Zoë@EXÄMPLE.ch", "correct horse battery")
	// One account: the second spelling gets the already-registered
	// notice (REG-01), not a confirmation.
	mails := srv.Mails(t)
	if len(mails) != 2 {
		t.Fatalf("%d mails, want the confirmation and the already-registered notice", len(mails))
	}
	confirmations := 0
	for _, m := range mails {
		if m.To != "zoë@xn--exmple-cua.ch" {
			t.Errorf("mail to %+q, want zoë@xn--exmple-cua.ch", m.To)
		}
		if strings.Contains(m.Text, "/account/confirm-email?") {
			confirmations++
		}
	}
	if confirmations != 1 {
		t.Errorf("%d confirmation mails, want 1 (the second spelling is the same account)", confirmations)
	}
}
