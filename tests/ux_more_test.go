package tests

// More flow tests for issue 18: extra fields on the external sign-up
// (item 1), Cancel links and "This wasn't me" (item 7), the behaviour parts
// of the copy (item 17) and times in the person's zone (item 9). Helpers
// start with "ux".

import (
	"net/http"
	"strings"
	"testing"

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/internal/portaltest"
)

// uxExtraFields are the operator's fields of the external sign-up tests.
func uxExtraFields(cfg *portal.Config) {
	cfg.RegisterFields = identity.ExtraFields{
		{Name: "nickname", Label: "Nickname", Type: "text", Required: true},
		{Name: "website", Label: "Website", Type: "url"},
	}
}

// uxProfileValue is the value of the profile form's field name.
func uxProfileValue(t testing.TB, c *portaltest.Client, name string) string {
	t.Helper()
	p := c.Get("/account/manage")
	portaltest.WantStatus(t, p, http.StatusOK)
	return p.Doc(t).Find("#profile-form [name="+name+"]").AttrOr("value", "")
}

// TestExternalSignupAsksExtraFields (issue 18 item 1, ACC-02): with a
// required extra field, the external sign-up's confirm page asks for it;
// every error (address and fields) comes in one round with the error
// summary, nothing is created until the fields are valid, and the account
// gets the values — also when the address is proven by a mailed code.
func TestExternalSignupAsksExtraFields(t *testing.T) {
	t.Parallel()
	t.Run("provider vouches", func(t *testing.T) {
		t.Parallel()
		op := newOxOP(t)
		srv := oxServer(t, op, uxExtraFields)
		c := portaltest.NewClient(t, srv)
		portaltest.WantRedirect(t, oxLogin(t, c, op), oxConfirmPath)
		page := c.Get(oxConfirmPath)
		portaltest.WantStatus(t, page, http.StatusOK)
		nick := page.Doc(t).Find("#external-confirm-form input[name=nickname]")
		if nick.Length() != 1 {
			t.Fatalf("the confirm page does not ask for the nickname:\n%s", page.Body)
		}
		if _, ok := nick.Attr("required"); !ok {
			t.Error("the nickname input is not marked required")
		}

		// Everything wrong at once: one round shows every error.
		bad := c.Submit(oxConfirmPath, "#external-confirm-form", map[string]string{"email": "ada@", "nickname": "", "website": "nope"})
		msgs := portaltest.WantErrorSummary(t, bad, "email", "nickname", "website")
		if !strings.Contains(strings.ToLower(msgs["nickname"]), "nickname") {
			t.Errorf("nickname error=%q, want it to name the field", msgs["nickname"])
		}
		if got := bad.Doc(t).Find("#f-website").AttrOr("value", ""); got != "nope" {
			t.Errorf("website kept as %q, want what was typed", got)
		}
		// The field left out of the form entirely is missing too.
		f := bad.Form(t, "#external-confirm-form")
		f.Set("email", op.User().Email)
		f.Values.Del("nickname")
		f.Set("website", "")
		portaltest.WantErrorSummary(t, c.Post(f.Action, f.Values), "nickname")
		if n := srv.CountUsers(t, ""); n != 0 {
			t.Fatalf("%d accounts after invalid fields, want none", n)
		}

		ok := c.Submit(oxConfirmPath, "#external-confirm-form", map[string]string{"email": op.User().Email, "nickname": "Ada", "website": "https://ada.example"})
		portaltest.WantRedirect(t, ok, "/")
		if got := uxProfileValue(t, c, "nickname"); got != "Ada" {
			t.Errorf("profile nickname=%q, want Ada", got)
		}
		if got := uxProfileValue(t, c, "website"); got != "https://ada.example" {
			t.Errorf("profile website=%q, want https://ada.example", got)
		}
	})
	t.Run("code mailed", func(t *testing.T) {
		t.Parallel()
		op := newOxOP(t)
		op.SetKnobs(oxKnobs{EmailUnverified: true})
		srv := oxServer(t, op, uxExtraFields)
		c := portaltest.NewClient(t, srv)
		addr := op.User().Email
		portaltest.WantRedirect(t, oxLogin(t, c, op), oxConfirmPath)
		portaltest.WantErrorSummary(t, c.Submit(oxConfirmPath, "#external-confirm-form", map[string]string{"email": addr}), "nickname")
		if n := len(srv.MailsTo(t, addr)); n != 0 {
			t.Fatalf("%d mails before the fields were valid, want none", n)
		}
		p := c.Submit(oxConfirmPath, "#external-confirm-form", map[string]string{"email": addr, "nickname": "Countess"})
		portaltest.WantRedirect(t, p, oxConfirmPath)
		waiting := c.Follow(p)
		// The other-address form keeps the values typed.
		if got := waiting.Doc(t).Find("#external-confirm-form input[name=nickname]").AttrOr("value", ""); got != "Countess" {
			t.Errorf("waiting for the code, nickname shows %q, want Countess", got)
		}
		mails := srv.MailsWith(t, addr, "code")
		if len(mails) != 1 {
			t.Fatalf("%d code mails, want 1", len(mails))
		}
		_, code, _ := strings.Cut(mails[0].Link(t, oxConfirmPath+"?code="), "code=")
		portaltest.WantRedirect(t, c.Submit(oxConfirmPath, "#external-code-form", map[string]string{"code": code}), "/")
		if got := uxProfileValue(t, c, "nickname"); got != "Countess" {
			t.Errorf("profile nickname=%q, want Countess", got)
		}
	})
}
