package tests

// Pre-account takeover (issue 17 item 1; OIDC-03, ACC-04): an
// attacker creates or prepares an account for the victim's address before
// the victim does, and keeps a way in after the victim claims it. No
// external identity may stay linked to an account whose address was not
// proven by the person who linked it; when the real owner proves the
// address of an unconfirmed account (confirm, reset), what its creator set
// up — password, external logins, 2FA — goes, and the owner is told.

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/internal/portaltest"
)

var paLinkRE = regexp.MustCompile(`https?://[^\s"<>]+`)

const (
	paVictim     = "victim@example.com"
	paVictimPW   = "victim's own long password"
	paAttackerPW = "mallory's chosen password"
)

// paAttackerOP is a provider whose signed-in user is the attacker, with
// their own (verified) address.
func paAttackerOP(t testing.TB) *oxOP {
	t.Helper()
	op := newOxOP(t)
	op.SetUser(oxOPUser{Sub: "attacker-" + oxRandom(6), Email: "mallory@evil.example", Name: "Mallory"})
	return op
}

// TestPreAccountTakeoverExternalSignup (OIDC-03, ACC-04): the attacker
// signs in at the provider as themself and types the victim's address on
// the confirm page. The victim then does what their mail says, in their
// own browser, and registers (or, told someone tried, resets). The
// attacker's provider identity must not sign in to the victim's account,
// and nothing may exist for the address before the victim proved it.
func TestPreAccountTakeoverExternalSignup(t *testing.T) {
	t.Parallel()
	op := paAttackerOP(t)
	srv := oxServer(t, op)
	sub := op.User().Sub

	attacker := portaltest.NewClient(t, srv)
	portaltest.WantRedirect(t, oxLogin(t, attacker, op), oxConfirmPath)
	p := attacker.Submit(oxConfirmPath, "#external-confirm-form", map[string]string{"email": paVictim})
	if p.Status >= 400 {
		t.Fatalf("confirm page: status %d:\n%s", p.Status, p.Body)
	}
	oxWantAnonymous(t, attacker)
	if n := srv.CountUsers(t, ""); n != 0 {
		t.Errorf("%d accounts after the attacker typed %s, want none before the address is proven", n, paVictim)
	}
	if n := oxLoginRows(t, srv, sub); n != 0 {
		t.Errorf("the attacker's identity is linked (%d rows) before the address is proven", n)
	}

	// The victim opens every link the mail holds, in their own browser.
	victim := portaltest.NewClient(t, srv)
	for _, m := range srv.MailsTo(t, paVictim) {
		for _, l := range paLinkRE.FindAllString(m.Text, -1) {
			switch {
			case strings.Contains(l, "/account/confirm-email"):
				victim.Submit(l, "#confirm-email-form", nil)
			case strings.Contains(l, oxConfirmPath):
				// Another browser than the attacker's: it creates nothing.
				if got := victim.Get(l); got.Status != http.StatusSeeOther || !strings.HasPrefix(got.Location(), oxLoginPath) {
					t.Errorf("the code link in the victim's browser: status %d Location %q, want a redirect to the login page", got.Status, got.Location())
				}
			}
		}
	}
	if n := srv.CountUsers(t, ""); n != 0 && oxLoginRows(t, srv, sub) != 0 {
		t.Errorf("after the victim opened the mail's links: an account linked to the attacker's identity exists")
	}

	// The victim registers; told that someone tried, they reset.
	victim.Register(paVictim, paVictimPW)
	if len(srv.MailsWith(t, paVictim, "tried to register")) > 0 {
		link := efResetLink(t, srv, paVictim)
		portaltest.WantRedirect(t, efSubmitReset(portaltest.NewClient(t, srv), link, paVictim, paVictimPW), "/account/reset-password-confirmation")
	} else {
		victim.ConfirmEmail(paVictim)
	}
	portaltest.WantRedirect(t, portaltest.NewClient(t, srv).Login(paVictim, paVictimPW, false), "/")

	// The attacker comes back through the provider.
	a2 := portaltest.NewClient(t, srv)
	oxLogin(t, a2, op)
	if who := a2.WhoAmI(); who == paVictim {
		t.Fatalf("the attacker's %s identity signed in to the victim's account (pre-account takeover)", oxName)
	}
	if n := oxLoginRows(t, srv, sub); n != 0 {
		t.Errorf("the attacker's identity is still linked (%d rows)", n)
	}
}

// TestExternalSignupCodeProvesAddress (OIDC-03): the legitimate path for
// an address the provider does not vouch for. Nothing exists until the
// mailed code comes back from the same browser; a wrong code is refused
// with a message; the right one (typed, or through the mail's link)
// creates the account confirmed and linked and signs in. Five wrong codes
// end the sign-up.
func TestExternalSignupCodeProvesAddress(t *testing.T) {
	t.Parallel()
	codeOf := func(t *testing.T, srv *portaltest.Server, addr string) (string, string) {
		t.Helper()
		mails := srv.MailsWith(t, addr, "code")
		if len(mails) == 0 {
			t.Fatalf("no code mail to %s", addr)
		}
		m := mails[len(mails)-1]
		link := m.Link(t, oxConfirmPath+"?code=")
		_, code, _ := strings.Cut(link, "code=")
		if !strings.Contains(m.Text, code) {
			t.Fatalf("the mail's text does not show the code %q:\n%s", code, m.Text)
		}
		return code, link
	}
	start := func(t *testing.T, srv *portaltest.Server, op *oxOP, addr string) *portaltest.Client {
		t.Helper()
		c := portaltest.NewClient(t, srv)
		portaltest.WantRedirect(t, oxLogin(t, c, op), oxConfirmPath)
		p := c.Submit(oxConfirmPath, "#external-confirm-form", map[string]string{"email": addr})
		portaltest.WantRedirect(t, p, oxConfirmPath)
		page := c.Follow(p)
		portaltest.WantStatus(t, page, http.StatusOK)
		if !strings.Contains(page.Text(t, "#external-code-sent"), addr) || !page.Has(t, "#external-code-form input[name=code]") {
			t.Fatalf("after the address: no code form naming %s:\n%s", addr, page.Body)
		}
		oxWantAnonymous(t, c)
		if n := srv.CountUsers(t, ""); n != 0 {
			t.Fatalf("%d accounts before the code, want none", n)
		}
		return c
	}

	t.Run("typed code", func(t *testing.T) {
		t.Parallel()
		op := newOxOP(t)
		op.SetKnobs(oxKnobs{EmailUnverified: true})
		srv := oxServer(t, op)
		addr := op.User().Email
		c := start(t, srv, op, addr)
		code, _ := codeOf(t, srv, addr)
		bad := c.Submit(oxConfirmPath, "#external-code-form", map[string]string{"code": "2222-2222"})
		portaltest.WantStatus(t, bad, http.StatusUnprocessableEntity)
		if portaltest.FieldError(t, bad, "code") == "" {
			t.Errorf("wrong code: no message on the code field:\n%s", bad.Body)
		}
		portaltest.WantRedirect(t, c.Submit(oxConfirmPath, "#external-code-form", map[string]string{"code": strings.ToLower(code)}), "/")
		oxWantSignedIn(t, c, addr)
		oxWantLinked(t, c, oxSlug)
		// Confirmed: a new browser signs in through the provider at once.
		c2 := portaltest.NewClient(t, srv)
		portaltest.WantRedirect(t, oxLogin(t, c2, op), "/")
		oxWantSignedIn(t, c2, addr)
	})

	t.Run("link in the same browser", func(t *testing.T) {
		t.Parallel()
		op := newOxOP(t)
		srv := oxServer(t, op)
		const typed = "grace@example.com" // not the provider's address
		c := start(t, srv, op, typed)
		code, link := codeOf(t, srv, typed)
		page := c.Get(link)
		portaltest.WantStatus(t, page, http.StatusOK)
		if got := page.Doc(t).Find("#external-code-form input[name=code]").AttrOr("value", ""); got != code {
			t.Fatalf("the link's page prefilled %q, want the code %q", got, code)
		}
		portaltest.WantRedirect(t, c.Submit(link, "#external-code-form", nil), "/")
		oxWantSignedIn(t, c, typed)
	})

	t.Run("five wrong codes", func(t *testing.T) {
		t.Parallel()
		op := newOxOP(t)
		op.SetKnobs(oxKnobs{EmailUnverified: true})
		srv := oxServer(t, op)
		addr := op.User().Email
		c := start(t, srv, op, addr)
		code, _ := codeOf(t, srv, addr)
		for i := range 4 {
			portaltest.WantStatus(t, c.Submit(oxConfirmPath, "#external-code-form", map[string]string{"code": "2222-222" + string(rune('2'+i))}), http.StatusUnprocessableEntity)
		}
		last := c.Post(oxConfirmPath, map[string][]string{"code": {"3333-3333"}, "_csrf": {c.CSRF(oxConfirmPath)}})
		oxWantLoginFailed(t, c, last, "sign in with your provider again")
		// The right code no longer works.
		p := c.Get(oxConfirmPath + "?code=" + code)
		portaltest.WantRedirect(t, p, oxLoginPath)
		if n := srv.CountUsers(t, ""); n != 0 {
			t.Errorf("%d accounts, want none", n)
		}
	})
}

// TestPreAccountTakeoverUnconfirmedCredentials (OIDC-03, ACC-04, MFA-01):
// without --require-confirmed-email the attacker registers the victim's
// address with a password, is signed in at once, links their own provider
// identity and turns 2FA on. When the victim proves the address — by
// resetting the password, or by opening the confirmation link in their
// own browser — the attacker's password, link and 2FA are gone, every
// attacker session ends, and the victim is told.
func TestPreAccountTakeoverUnconfirmedCredentials(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"reset", "confirm"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			op := paAttackerOP(t)
			srv := oxServer(t, op, func(cfg *portal.Config) { cfg.RequireConfirmedEmail = false })
			attacker := portaltest.NewClient(t, srv)
			attacker.Register(paVictim, paAttackerPW)
			oxWantSignedIn(t, attacker, paVictim)
			oxWantFlash(t, attacker, oxLink(t, attacker, op), oxLinksPath, false, "")
			oxEnable2FA(t, srv, attacker)

			victim := portaltest.NewClient(t, srv)
			switch how {
			case "reset":
				link := efResetLink(t, srv, paVictim)
				portaltest.WantRedirect(t, efSubmitReset(victim, link, paVictim, paVictimPW), "/account/reset-password-confirmation")
			case "confirm":
				// The attacker's changes outdated the first link; the
				// victim asks for a new one.
				victim.Submit("/account/resend-email-confirmation", "#resend-form", map[string]string{"email": paVictim})
				mails := srv.MailsWith(t, paVictim, "Confirm")
				link := mails[len(mails)-1].Link(t, "/account/confirm-email")
				p := victim.Submit(link, "#confirm-email-form", nil)
				portaltest.WantStatus(t, p, http.StatusSeeOther)
				if !strings.HasPrefix(p.Location(), "/account/reset-password?code=") {
					t.Fatalf("confirming in another browser: Location=%q, want the reset page with a code (choose a password)", p.Location())
				}
				portaltest.WantRedirect(t, efSubmitReset(victim, srv.URL+p.Location(), paVictim, paVictimPW), "/account/reset-password-confirmation")
			}

			oxWantAnonymous(t, attacker) // the attacker's session ended
			wantInvalidLogin(t, portaltest.NewClient(t, srv).Login(paVictim, paAttackerPW, false))
			if n := oxLoginRows(t, srv, op.User().Sub); n != 0 {
				t.Errorf("the attacker's %s identity is still linked to the victim's account", oxName)
			}
			a2 := portaltest.NewClient(t, srv)
			if p := oxLogin(t, a2, op); p.Location() != oxConfirmPath {
				t.Errorf("the attacker's provider sign-in went to %q, want the new-account page", p.Location())
			}
			// The victim signs in with their password alone: the
			// attacker's 2FA is gone.
			v := portaltest.NewClient(t, srv)
			portaltest.WantRedirect(t, v.Login(paVictim, paVictimPW, false), "/")
			oxWantSignedIn(t, v, paVictim)
			told := false
			for _, m := range srv.MailsTo(t, paVictim) {
				told = told || (strings.Contains(m.Text, "removed") && strings.Contains(m.Text, "two-factor"))
			}
			if !told {
				t.Errorf("no mail told %s what was removed", paVictim)
			}
		})
	}
}

// TestConfirmInCreatingBrowserKeepsPassword: the person who registered
// confirms in the same browser and keeps the password they chose.
func TestConfirmInCreatingBrowserKeepsPassword(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	c := portaltest.NewClient(t, srv)
	c.Register("keeper@example.com", paVictimPW)
	c.ConfirmEmail("keeper@example.com")
	portaltest.WantRedirect(t, portaltest.NewClient(t, srv).Login("keeper@example.com", paVictimPW, false), "/")
}
