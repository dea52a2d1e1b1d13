package tests

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/internal/portaltest"
	"github.com/accountportal/portal/internal/softauthn"
)

// A passkey where the account is known (issue 21, MFA-06): as the second
// factor after the password, instead of the authenticator code, and to
// re-authenticate (SES-05).

// pkPending gives a fresh browser the password step of email (2FA on) and
// returns it with the code page it lands on.
func pkPending(t testing.TB, srv *portaltest.Server, email string) (*portaltest.Client, *portaltest.Page) {
	t.Helper()
	c := tfPending(t, srv, email)
	p := c.Get(tf2FAPath)
	portaltest.WantStatus(t, p, http.StatusOK)
	return c, p
}

// pkAssertAs is an answer by a's first credential that names userHandle.
func pkAssertAs(t testing.TB, a *softauthn.Authenticator, userHandle []byte) func([]byte) []byte {
	return func(opts []byte) []byte {
		t.Helper()
		cred := a.Credentials[0]
		cred.SignCount++
		b, err := a.Assert(cred, challengeOf(t, opts), "localhost", userHandle)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
}

// TestPasskeySecondFactor: with a password and 2FA on, the code page
// offers "Use a passkey" when the account has one; the right passkey
// completes the sign-in (amr pwd hwk mfa); another user's passkey, an
// answer replayed into another sign-in, an answer posted twice and a
// ceremony of an earlier pending sign-in are refused (MFA-06, MFA-03).
func TestPasskeySecondFactor(t *testing.T) {
	t.Parallel()
	srv := portaltest.PasskeyServer(t)
	const email = "both@example.com"
	owner, _, _ := tfUser(t, srv, email)

	// Without a passkey: the code only.
	_, p := pkPending(t, srv, email)
	if p.Has(t, "#passkey-2fa-form") {
		t.Fatal("the code page offers a passkey to an account without one")
	}

	a := srv.Authenticator()
	portaltest.WantRedirect(t, owner.AddPasskey(a, "Laptop"), pkPage)
	mallory := srv.SignedUp(t, "mallory@example.com", tfPassword)
	m := srv.Authenticator()
	portaltest.WantRedirect(t, mallory.AddPasskey(m, ""), pkPage)
	_, ms := apWhoAmI(t, mallory)

	t.Run("right passkey", func(t *testing.T) {
		c, p := pkPending(t, srv, email)
		if got := p.Text(t, "#passkey-2fa"); got != "Use a passkey instead" {
			t.Errorf("#passkey-2fa=%q", got)
		}
		if p.Doc(t).Find("#passkey-2fa-form").AttrOr("hidden", "absent") == "absent" {
			t.Error("the passkey form is not hidden until the script finds WebAuthn")
		}
		portaltest.WantRedirect(t, c.PasskeyForm(p, "#passkey-2fa-form", portaltest.Answer(t, a)), "/")
		_, s := apWhoAmI(t, c)
		if s == nil || s.User.Email != email {
			t.Fatalf("after password and passkey: %+v, want signed in as %s", s, email)
		}
		if !slices.Equal(s.Session.AMR, []string{"pwd", "hwk", "mfa"}) {
			t.Errorf("amr %v, want [pwd hwk mfa]", s.Session.AMR)
		}
	})

	t.Run("another user's passkey", func(t *testing.T) {
		c, p := pkPending(t, srv, email)
		// Mallory's own passkey, as itself and claiming the victim.
		for _, answer := range []func([]byte) []byte{pkAssertAs(t, m, []byte(ms.User.ID)), portaltest.Answer(t, m)} {
			r := c.PasskeyForm(p, "#passkey-2fa-form", answer)
			portaltest.WantStatus(t, r, http.StatusUnprocessableEntity)
			if got := r.Text(t, ".card > .form-error"); !strings.Contains(got, "passkey could not be verified") {
				t.Errorf("message %q", got)
			}
			if c.SignedIn() {
				t.Fatal("another user's passkey completed the sign-in")
			}
		}
		// The pending sign-in survives a wrong answer: the right one works.
		portaltest.WantRedirect(t, c.PasskeyForm(p, "#passkey-2fa-form", portaltest.Answer(t, a)), "/")
	})

	t.Run("replayed answer", func(t *testing.T) {
		c, p := pkPending(t, srv, email)
		var captured []byte
		portaltest.WantRedirect(t, c.PasskeyForm(p, "#passkey-2fa-form", func(opts []byte) []byte {
			captured = portaltest.Answer(t, a)(opts)
			return captured
		}), "/")
		// Into another pending sign-in, which begins its own ceremony.
		thief, tp := pkPending(t, srv, email)
		r := thief.PasskeyForm(tp, "#passkey-2fa-form", func([]byte) []byte { return captured })
		portaltest.WantStatus(t, r, http.StatusUnprocessableEntity)
		// Posted twice in one browser: the ceremony is spent.
		f := tp.Form(t, "#passkey-2fa-form")
		f.Set("credential", string(captured))
		portaltest.WantStatus(t, thief.Post(f.Action, f.Values), http.StatusUnprocessableEntity)
		if thief.SignedIn() {
			t.Fatal("a replayed answer signed in")
		}
	})

	t.Run("ceremony of an earlier pending sign-in", func(t *testing.T) {
		c, p := pkPending(t, srv, email)
		opts := c.PasskeyBegin(p, "#passkey-2fa-form", "/account/login-2fa/passkey/begin")
		// The password step again in the same browser: a new pending
		// sign-in; the ceremony begun for the first cannot complete it.
		portaltest.WantRedirect(t, tfPasswordStep(c, email, tfPassword, false, ""), tf2FAPath)
		resp, err := a.Get(opts, nil)
		if err != nil {
			t.Fatal(err)
		}
		f := c.Get(tf2FAPath).Form(t, "#passkey-2fa-form")
		f.Set("credential", string(resp))
		portaltest.WantStatus(t, c.Post(f.Action, f.Values), http.StatusUnprocessableEntity)
		if c.SignedIn() {
			t.Fatal("a ceremony of another pending sign-in completed this one")
		}
	})

	t.Run("no pending sign-in", func(t *testing.T) {
		c := portaltest.NewClient(t, srv)
		lp := c.Get("/account/login")
		r := c.Post("/account/login-2fa/passkey/begin", map[string][]string{"_csrf": {lp.CSRF(t)}})
		portaltest.WantRedirect(t, r, "/account/login")
	})
}

// TestPasskeyReauth: the re-authentication page offers "Confirm with a
// passkey" to an account with one; the right passkey re-authenticates
// (back to the page, amr hwk mfa); another user's passkey and a spent
// ceremony are refused and leave the session unconfirmed (SES-05,
// MFA-06).
func TestPasskeyReauth(t *testing.T) {
	t.Parallel()
	srv := portaltest.PasskeyServer(t)
	c := srv.SignedUp(t, "reauth@example.com", tfPassword)
	reauth := portaltest.ReauthURL(pkPage)

	srv.Clock.Advance(mgPastWindow)
	p := c.Get(reauth)
	portaltest.WantStatus(t, p, http.StatusOK)
	if p.Has(t, "#passkey-reauth-form") {
		t.Fatal("a passkey is offered to an account without one")
	}
	portaltest.WantRedirect(t, c.Reauth(reauth, tfPassword, ""), pkPage)
	a := srv.Authenticator()
	portaltest.WantRedirect(t, c.AddPasskey(a, "Phone"), pkPage)
	mallory := srv.SignedUp(t, "mallory@example.com", tfPassword)
	m := srv.Authenticator()
	portaltest.WantRedirect(t, mallory.AddPasskey(m, ""), pkPage)

	srv.Clock.Advance(mgPastWindow)
	portaltest.WantRedirect(t, c.Get(pkPage), reauth)
	p = c.Get(reauth)
	if got := p.Text(t, "#passkey-reauth"); got != "Confirm with a passkey" {
		t.Errorf("#passkey-reauth=%q", got)
	}
	if got, want := p.Doc(t).Find("#passkey-reauth-form").AttrOr("action", ""), "/account/reauthenticate/passkey?returnUrl=%2Faccount%2Fmanage%2Fpasskeys"; got != want {
		t.Errorf("#passkey-reauth-form action=%q, want %q", got, want)
	}

	// Mallory's passkey: refused, still not confirmed.
	r := c.PasskeyForm(p, "#passkey-reauth-form", portaltest.Answer(t, m))
	portaltest.WantStatus(t, r, http.StatusUnprocessableEntity)
	if got := r.Text(t, ".card > .form-error"); !strings.Contains(got, "passkey could not be verified") {
		t.Errorf("message %q", got)
	}
	portaltest.WantRedirect(t, c.Get(pkPage), reauth)

	// The right one: back to the page, confirmed with two factors.
	var captured []byte
	r = c.PasskeyForm(p, "#passkey-reauth-form", func(opts []byte) []byte {
		captured = portaltest.Answer(t, a)(opts)
		return captured
	})
	portaltest.WantRedirect(t, r, pkPage)
	portaltest.WantStatus(t, c.Get(pkPage), http.StatusOK)
	if _, s := apWhoAmI(t, c); s == nil || !slices.Equal(s.Session.AMR, []string{"hwk", "mfa"}) {
		t.Errorf("session after a passkey re-authentication: %+v, want amr [hwk mfa]", s)
	}

	// The same answer again, later: the ceremony is spent.
	srv.Clock.Advance(mgPastWindow)
	f := p.Form(t, "#passkey-reauth-form")
	f.Set("credential", string(captured))
	portaltest.WantStatus(t, c.Post(f.Action, f.Values), http.StatusUnprocessableEntity)
	portaltest.WantRedirect(t, c.Get(pkPage), reauth)

	// An answer to this session's ceremony, taken to another browser of
	// the same account, does not confirm that one.
	other := portaltest.NewClient(t, srv)
	portaltest.WantRedirect(t, other.PasskeyLogin(a, nil), "/")
	srv.Clock.Advance(mgPastWindow)
	op := other.Get(reauth)
	opts := c.PasskeyBegin(c.Get(reauth), "#passkey-reauth-form", "/account/reauthenticate/passkey/begin")
	other.PasskeyBegin(op, "#passkey-reauth-form", "/account/reauthenticate/passkey/begin")
	resp, err := a.Get(opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	of := op.Form(t, "#passkey-reauth-form")
	of.Set("credential", string(resp))
	portaltest.WantStatus(t, other.Post(of.Action, of.Values), http.StatusUnprocessableEntity)
	portaltest.WantRedirect(t, other.Get(pkPage), reauth)
}

// TestPasskeyPasswordless: once an account has a passkey, its owner may
// remove the password (re-authentication required, every other session
// ends, history and mail; issue 21, SES-05, SES-03, ACC-04): then the
// password no longer signs in, the passkey does, the last passkey cannot
// be removed, re-authentication is by passkey; a password can be set
// again later.
func TestPasskeyPasswordless(t *testing.T) {
	t.Parallel()
	srv := portaltest.PasskeyServer(t)
	const email = "nopw@example.com"
	const cpPath, rmPath = "/account/manage/change-password", "/account/manage/remove-password"
	c := srv.SignedUp(t, email, tfPassword)

	// No passkey yet: not offered, and refused.
	p := c.Get(cpPath)
	portaltest.WantStatus(t, p, http.StatusOK)
	if p.Has(t, "#remove-password-form") {
		t.Fatal("removing the password is offered to an account without a passkey")
	}
	r := c.PostFrom(cpPath, rmPath, nil)
	portaltest.WantRedirect(t, r, cpPath)
	if msg, isErr := portaltest.StatusMessage(t, c.Follow(r)); !isErr || !strings.Contains(msg, "Add a passkey") {
		t.Errorf("status after removing without a passkey: %q (error %v)", msg, isErr)
	}
	if ms := srv.MailsWith(t, email, "password of your account was removed"); len(ms) != 0 {
		t.Fatal("a password was removed without a passkey")
	}

	a := srv.Authenticator()
	portaltest.WantRedirect(t, c.AddPasskey(a, "Phone"), pkPage)
	other := portaltest.NewClient(t, srv)
	portaltest.WantRedirect(t, other.Login(email, tfPassword, false), "/")

	p = c.Get(cpPath)
	if got := p.Text(t, "#remove-password-button"); got != "Remove password" {
		t.Fatalf("#remove-password-button=%q", got)
	}
	// Re-authentication first.
	srv.Clock.Advance(mgPastWindow)
	r = c.PostFrom("/account/manage", rmPath, nil)
	portaltest.WantRedirect(t, r, portaltest.ReauthURL(cpPath))
	portaltest.WantRedirect(t, c.Reauth(portaltest.ReauthURL(cpPath), tfPassword, ""), cpPath)

	r = c.PostFrom(cpPath, rmPath, nil)
	portaltest.WantRedirect(t, r, pkPage)
	if got := portaltest.WantStatusMessage(t, c.Follow(r)); !strings.Contains(got, "password was removed") {
		t.Errorf("status after removing the password: %q", got)
	}
	if ms := srv.MailsWith(t, email, "password of your account was removed"); len(ms) != 1 {
		t.Errorf("%d mails about the removed password, want 1", len(ms))
	}
	if got := c.Get("/account/manage/security").Text(t, "main"); !strings.Contains(got, "Password removed") {
		t.Errorf("the security history does not show the removal:\n%s", got)
	}
	if other.SignedIn() {
		t.Error("another session survived the password's removal (SES-03)")
	}
	if !c.SignedIn() {
		t.Fatal("the session that removed the password was signed out")
	}

	// The password no longer signs in; the passkey does.
	portaltest.WantStatus(t, portaltest.NewClient(t, srv).Login(email, tfPassword, false), http.StatusUnprocessableEntity)
	b := portaltest.NewClient(t, srv)
	portaltest.WantRedirect(t, b.PasskeyLogin(a, nil), "/")

	// The only passkey is the only way in: not removable.
	p = b.Get(pkPage)
	if !p.Has(t, "#passkey-only-way-in") || p.Has(t, "[data-testid=passkey-remove]") {
		t.Error("the passkeys page offers to remove the only way in")
	}
	id, _ := p.Doc(t).Find(".passkey").Attr("data-passkey-id")
	portaltest.WantRedirect(t, b.PostFrom(pkPage, "/account/manage/passkeys/remove", map[string][]string{"passkey_id": {id}}), pkPage)
	if got := pkNames(t, b); len(got) != 1 {
		t.Fatalf("the last passkey of a passwordless account was removed: %v", got)
	}

	// Re-authentication is by passkey: no password form.
	srv.Clock.Advance(mgPastWindow)
	reauth := portaltest.ReauthURL("/account/manage/set-password")
	portaltest.WantRedirect(t, b.Get("/account/manage/set-password"), reauth)
	p = b.Get(reauth)
	if p.Has(t, "#reauth-form") || !p.Has(t, "#passkey-reauth-form") {
		t.Fatalf("re-authentication of a passwordless account: want the passkey only:\n%s", p.Body)
	}
	if got := p.Text(t, ".card > p"); !strings.Contains(got, "with your passkey") {
		t.Errorf("re-authentication text %q", got)
	}
	portaltest.WantRedirect(t, b.PasskeyForm(p, "#passkey-reauth-form", portaltest.Answer(t, a)), "/account/manage/set-password")

	// A password again, later.
	p = b.Get("/account/manage/set-password")
	if got := p.Text(t, "main p"); !strings.Contains(got, "you sign in with a passkey") {
		t.Errorf("set-password intro %q", got)
	}
	const again = "a brand new password"
	r = b.Submit("/account/manage/set-password", "#set-password-form", map[string]string{"new_password": again, "confirm_password": again})
	portaltest.WantRedirect(t, r, cpPath)
	portaltest.WantRedirect(t, portaltest.NewClient(t, srv).Login(email, again, false), "/")
}

// pkSignupBegin posts the register page's address (and extra fields) to
// the passkey sign-up's begin, as /static/passkeys.js does.
func pkSignupBegin(c *portaltest.Client, page *portaltest.Page, email string) *portaltest.Page {
	c.T().Helper()
	return c.Post("/account/register/passkey/begin", url.Values{"_csrf": {page.CSRF(c.T())}, "email": {email}})
}

// TestPasskeySignup (--passkey-signup, issue 21, REG-01, MFA-06): the
// register page offers an account with a passkey and no password; the
// address is still confirmed (no sign-in before); then the passkey signs
// in and there is no password. A taken address gets the same answer and
// its owner a mail; a bad address is told at once. Without the flag
// there is no such form and no such ceremony.
func TestPasskeySignup(t *testing.T) {
	t.Parallel()
	off := portaltest.PasskeyServer(t)
	oc := portaltest.NewClient(t, off)
	op := oc.Get("/account/register")
	if op.Has(t, "#passkey-register-form") {
		t.Fatal("a passkey sign-up without --passkey-signup")
	}
	portaltest.WantStatus(t, pkSignupBegin(oc, op, "x@example.com"), http.StatusNotFound)

	srv := portaltest.PasskeyServer(t, func(c *portal.Config) { c.PasskeySignup = true })
	const email = "pk-only@example.com"
	c := portaltest.NewClient(t, srv)
	p := c.Get("/account/register")
	f := p.Doc(t).Find("#passkey-register-form")
	if f.Length() != 1 || f.AttrOr("data-passkey-fields", "") != "register-form" || f.AttrOr("data-passkey-ceremony", "") != "create" {
		t.Fatalf("register page: want #passkey-register-form taking #register-form's fields:\n%s", p.Body)
	}
	for _, bad := range []string{"", "not-an-address"} {
		r := pkSignupBegin(c, p, bad)
		portaltest.WantStatus(t, r, http.StatusUnprocessableEntity)
		if !strings.Contains(r.Body, `"error"`) {
			t.Errorf("begin with %q: %s", bad, r.Body)
		}
	}

	a := srv.Authenticator()
	r := pkSignupBegin(c, p, email)
	portaltest.WantStatus(t, r, http.StatusOK)
	_, resp, err := a.Create([]byte(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	form := p.Form(t, "#passkey-register-form")
	form.Set("credential", string(resp))
	portaltest.WantRedirect(t, c.Post(form.Action, form.Values), "/account/register-confirmation")
	if c.SignedIn() {
		t.Fatal("signed in before the address was confirmed")
	}

	// Not before the address is confirmed.
	b := portaltest.NewClient(t, srv)
	portaltest.WantStatus(t, b.PasskeyLogin(a, nil), http.StatusForbidden)
	if b.SignedIn() {
		t.Fatal("an unconfirmed passkey account signed in")
	}
	c.ConfirmEmail(email)
	b = portaltest.NewClient(t, srv)
	portaltest.WantRedirect(t, b.PasskeyLogin(a, nil), "/")
	if _, s := apWhoAmI(t, b); s == nil || s.User.Email != email {
		t.Fatalf("after confirming: %+v, want signed in as %s", s, email)
	}
	portaltest.WantRedirect(t, b.Get("/account/manage/change-password"), "/account/manage/set-password")
	if got := pkNames(t, b); len(got) != 1 {
		t.Errorf("passkeys of the new account: %v", got)
	}

	// The same address again: the same answer, and a mail to its owner.
	before := len(srv.MailsTo(t, email))
	x := portaltest.NewClient(t, srv)
	xp := x.Get("/account/register")
	r = pkSignupBegin(x, xp, email)
	portaltest.WantStatus(t, r, http.StatusOK)
	_, resp, err = srv.Authenticator().Create([]byte(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	xf := xp.Form(t, "#passkey-register-form")
	xf.Set("credential", string(resp))
	portaltest.WantRedirect(t, x.Post(xf.Action, xf.Values), "/account/register-confirmation")
	if got := len(srv.MailsTo(t, email)); got != before+1 {
		t.Errorf("mails to the owner after a sign-up with their address: %d, want %d", got, before+1)
	}

	// A replayed answer: the ceremony is spent.
	portaltest.WantStatus(t, x.Post(xf.Action, xf.Values), http.StatusUnprocessableEntity)
}

// TestPasskeyNotSilentlyKept (issue 21, SES-03, ACC-04): someone who got
// the password adds a passkey. "This wasn't me" on their sign-in ends
// their sessions and does not keep that passkey silently: the page and a
// mail name it, and the owner is sent to the passkeys page; a password
// reset mails the passkeys that can still sign in; the sessions page
// names the account's passkeys (signing sessions out does not remove
// them) and the security history shows who added it.
func TestPasskeyNotSilentlyKept(t *testing.T) {
	t.Parallel()
	srv := portaltest.PasskeyServer(t)
	const email = "victim@example.com"
	owner := srv.SignedUp(t, email, tfPassword)
	portaltest.WantRedirect(t, owner.AddPasskey(srv.Authenticator(), "My laptop"), pkPage)

	srv.Clock.Advance(time.Minute)
	thief := portaltest.NewClient(t, srv).WithHeader("User-Agent", mgUAChromeWin)
	portaltest.WantRedirect(t, thief.Login(email, tfPassword, false), "/")
	ta := srv.Authenticator()
	portaltest.WantRedirect(t, thief.AddPasskey(ta, "Evil key"), pkPage)

	// The sessions page names both passkeys.
	p := owner.Get("/account/manage/sessions")
	if got := p.Text(t, "#session-passkeys"); !strings.Contains(got, "My laptop, Evil key") {
		t.Errorf("#session-passkeys=%q, want both passkeys named", got)
	}
	// The security history shows the thief's passkey, from the thief's
	// browser.
	var signIn string
	for _, e := range pdEvents(t, pdSecurity(t, owner, 0)) {
		if e.Kind == "login" && strings.Contains(e.Text, "Chrome on Windows") && signIn == "" {
			signIn = e.EventID
		}
	}
	if h := pdSecurity(t, owner, 0).Text(t, "main"); !strings.Contains(h, "Evil key") {
		t.Errorf("the security history does not show the added passkey:\n%s", h)
	}
	if signIn == "" {
		t.Fatal("no \"This wasn't me\" on the thief's sign-in")
	}

	r := pdNotMe(t, owner, signIn)
	portaltest.WantRedirect(t, r, pkPage)
	if msg, _ := portaltest.StatusMessage(t, owner.Follow(r)); !strings.Contains(msg, "Evil key") || strings.Contains(msg, "My laptop") {
		t.Errorf("after \"This wasn't me\": %q, want the passkey added since named (only it)", msg)
	}
	if ms := srv.MailsWith(t, email, "Evil key"); len(ms) < 2 { // added, and not me
		t.Errorf("%d mails name the thief's passkey, want the added and the not-me notices", len(ms))
	} else if !strings.Contains(ms[len(ms)-1].Text, "added since") {
		t.Errorf("the not-me mail does not say the passkey was added since: %q", ms[len(ms)-1].Text)
	}
	if thief.SignedIn() {
		t.Error("the thief's session survived \"This wasn't me\"")
	}

	// A reset names the passkeys that can still sign in.
	link := efResetLink(t, srv, email)
	portaltest.WantRedirect(t, efSubmitReset(portaltest.NewClient(t, srv), link, email, "a fresh new password"), "/account/reset-password-confirmation")
	ms := srv.MailsWith(t, email, "password was reset")
	if len(ms) != 1 || !strings.Contains(ms[0].Text, "My laptop") || !strings.Contains(ms[0].Text, "Evil key") {
		t.Errorf("mails after the reset naming the passkeys: %d, want 1 naming both", len(ms))
	}
}
