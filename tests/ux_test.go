package tests

// Flow tests for issue 18 (what a newcomer stumbled on): honest history,
// unconfirmed sign-in, dead ends, the 429 page. Helpers start with "ux".

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/identity"
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

// TestLoginUnconfirmedOffersResend (issue 18 item 4, AUTH-01): the right
// password of an unconfirmed account is told the address is unconfirmed
// and gets a button (a plain form, no JavaScript) that mails a new link; a
// wrong password still gets "Invalid login attempt.".
func TestLoginUnconfirmedOffersResend(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "bob@example.com"
	portaltest.NewClient(t, srv).Register(email, uxPassword)
	before := len(srv.MailsWith(t, email, "Confirm"))

	wantInvalidLogin(t, portaltest.NewClient(t, srv).Login(email, "wrong horse battery", false))

	c := portaltest.NewClient(t, srv)
	p := c.Login(email, uxPassword, false)
	portaltest.WantStatus(t, p, http.StatusForbidden)
	if got, want := p.Text(t, ".form-error"), "Your email address is not confirmed yet. Follow the link in the confirmation email, or have a new one sent."; got != want {
		t.Errorf(".form-error=%q, want %q", got, want)
	}
	if c.Cookie(portaltest.SessionCookie) != "" {
		t.Error("a session cookie was set for an unconfirmed account")
	}
	f := p.Form(t, "#resend-confirmation-form")
	if f.Action != "/account/resend-email-confirmation" || f.Values.Get("email") != email || f.Values.Get("_csrf") == "" {
		t.Fatalf("resend form action=%q values=%v, want the resend route with the address and _csrf", f.Action, f.Values)
	}
	r := c.Post(f.Action, f.Values)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("resend: status=%d, want 303", r.Status)
	}
	if got, want := len(srv.MailsWith(t, email, "Confirm")), before+1; got != want {
		t.Errorf("confirmation mails=%d, want %d", got, want)
	}
}

// TestResetWithoutCodeIsNoForm (issue 18 item 6): the reset page opened
// without a link's code explains it and offers a new link, not a form that
// cannot work.
func TestResetWithoutCodeIsNoForm(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	p := portaltest.NewClient(t, srv).Get("/account/reset-password")
	portaltest.WantStatus(t, p, http.StatusBadRequest)
	if got, want := p.Text(t, ".form-error"), "A reset link must carry a code. Copy the whole link from the mail, or ask for a new one."; got != want {
		t.Errorf(".form-error=%q, want %q", got, want)
	}
	if p.Has(t, "#reset-form") || p.Has(t, "input[type=password]") {
		t.Errorf("the page without a code still shows the reset form:\n%s", p.Body)
	}
	if got := p.Doc(t).Find("a#request-new-link").AttrOr("href", ""); got != "/account/forgot-password" {
		t.Errorf("request-new-link href=%q, want /account/forgot-password", got)
	}
}

// TestExternalLoginsWithoutProviders (issue 18 item 6): with no provider
// configured the external-logins page is not in the navigation and
// answers 404 (GET and the link POST).
func TestExternalLoginsWithoutProviders(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	c := srv.SignedUp(t, "alice@example.com", uxPassword)
	m := c.Get("/account/manage")
	portaltest.WantStatus(t, m, http.StatusOK)
	if m.Has(t, `a[href="/account/manage/external-logins"]`) {
		t.Error("the navigation links to external logins though no provider is configured")
	}
	portaltest.WantStatus(t, c.Get("/account/manage/external-logins"), http.StatusNotFound)
	csrf := m.CSRF(t)
	p := c.Post("/account/manage/external-logins", url.Values{"_csrf": {csrf}, "provider": {"github"}})
	if p.Status != http.StatusNotFound && p.Status != http.StatusSeeOther {
		t.Errorf("link POST status=%d, want 404 (or the re-authentication redirect)", p.Status)
	}
	if p.Status == http.StatusSeeOther {
		c.Reauth(p.Location(), uxPassword, "")
		portaltest.WantStatus(t, c.Post("/account/manage/external-logins", url.Values{"_csrf": {csrf}, "provider": {"github"}}), http.StatusNotFound)
	}
}

// TestTooManyRequestsSaysHowLong (issue 18 item 10): the 429 page says how
// long to wait, in step with its Retry-After header.
func TestTooManyRequestsSaysHowLong(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	c := portaltest.NewClient(t, srv)
	f := c.Get("/account/forgot-password").Form(t, "#forgot-form")
	for i := range 20 {
		f.Set("email", "user"+strconv.Itoa(i)+"@example.com")
		portaltest.WantRedirect(t, c.Post(f.Action, f.Values), "/account/forgot-password-confirmation")
	}
	f.Set("email", "user20@example.com")
	p := c.Post(f.Action, f.Values)
	portaltest.WantTooMany(t, p)
	secs, _ := strconv.Atoi(p.Header.Get("Retry-After"))
	want := fmt.Sprintf("Try again in %d minutes.", (secs+59)/60)
	if secs < 60 {
		want = fmt.Sprintf("Try again in %d seconds.", secs)
	}
	if got := p.Text(t, "[data-testid=error-message]"); !strings.HasSuffix(got, want) {
		t.Errorf("429 message=%q, want it to end %q (Retry-After %d)", got, want, secs)
	}
}

// TestAllErrorsInOneRound (issue 18 item 2): register, reset, change and
// set password show every field's error at once — format, length, common
// password, mismatch — with a summary at the top linking to each field,
// the first invalid field focused, what was typed kept (except passwords)
// and each password field described by its hint and its error.
func TestAllErrorsInOneRound(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t, func(cfg *portal.Config) {
		cfg.RegisterFields = identity.ExtraFields{{Name: "nickname", Label: "Nickname", Type: "text", Required: true}}
	})
	wantDescribed := func(t *testing.T, p *portaltest.Page, field string) {
		t.Helper()
		if got, want := p.Doc(t).Find("#f-"+field).AttrOr("aria-describedby", ""), "f-"+field+"-hint f-"+field+"-error"; got != want {
			t.Errorf("#f-%s aria-describedby=%q, want %q", field, got, want)
		}
	}
	wantNoPasswordValues := func(t *testing.T, p *portaltest.Page) {
		t.Helper()
		p.Doc(t).Find("input[type=password]").Each(func(_ int, s *goquery.Selection) {
			if v, ok := s.Attr("value"); ok {
				t.Errorf("password input %s keeps a value %q", s.AttrOr("name", ""), v)
			}
		})
	}

	t.Run("register", func(t *testing.T) {
		c := portaltest.NewClient(t, srv)
		f := c.Get("/account/register").Form(t, "#register-form")
		f.Set("email", "alice@").Set("password", "short").Set("confirm_password", "shorter")
		p := c.Post(f.Action, f.Values)
		msgs := portaltest.WantErrorSummary(t, p, "email", "password", "confirm_password", "nickname")
		if got, want := msgs["password"], "Use at least 8 characters."; got != want {
			t.Errorf("password error=%q, want %q", got, want)
		}
		if got := p.Doc(t).Find("#f-email").AttrOr("value", ""); got != "alice@" {
			t.Errorf("email value=%q, want what was typed", got)
		}
		wantDescribed(t, p, "password")
		wantNoPasswordValues(t, p)

		// A common password and a mismatch, the address and nickname fine.
		f.Set("email", "alice@example.com").Set("password", "password1234").Set("confirm_password", "password12345").Set("nickname", "Ali")
		p = c.Post(f.Action, f.Values)
		msgs = portaltest.WantErrorSummary(t, p, "password", "confirm_password")
		if !strings.Contains(msgs["password"], "common") {
			t.Errorf("password error=%q, want the common-password message", msgs["password"])
		}
		if got := p.Doc(t).Find("#f-nickname").AttrOr("value", ""); got != "Ali" {
			t.Errorf("nickname value=%q, want what was typed", got)
		}
		if srv.CountUsers(t, "") != 0 {
			t.Error("an account was created from a form with errors")
		}
	})

	t.Run("reset", func(t *testing.T) {
		srv := portaltest.NewServer(t)
		srv.SignedUp(t, "bob@example.com", uxPassword)
		c := portaltest.NewClient(t, srv)
		f := c.Get(efResetLink(t, srv, "bob@example.com")).Form(t, "#reset-form")
		f.Set("email", "bob@").Set("password", "short").Set("confirm_password", "")
		p := c.Post(f.Action, f.Values)
		portaltest.WantErrorSummary(t, p, "email", "password", "confirm_password")
		wantDescribed(t, p, "password")
		wantNoPasswordValues(t, p)
	})

	t.Run("change", func(t *testing.T) {
		c := portaltest.NewServer(t).SignedUp(t, "carol@example.com", uxPassword)
		f := c.Get("/account/manage/change-password").Form(t, "#change-password-form")
		f.Set("old_password", "").Set("new_password", "short").Set("confirm_password", "other")
		p := c.Post(f.Action, f.Values)
		portaltest.WantErrorSummary(t, p, "old_password", "new_password", "confirm_password")
		wantDescribed(t, p, "new_password")
		wantNoPasswordValues(t, p)

		// A wrong current password and a weak new one: both at once.
		f.Set("old_password", "wrong horse battery").Set("new_password", "short").Set("confirm_password", "short")
		p = c.Post(f.Action, f.Values)
		msgs := portaltest.WantErrorSummary(t, p, "old_password", "new_password")
		if got, want := msgs["old_password"], "Incorrect password."; got != want {
			t.Errorf("old_password error=%q, want %q", got, want)
		}
	})
}

// uxMailText is the text part of the newest mail to addr whose subject
// contains subject, its lines joined (the text part wraps at 72).
func uxMailText(t testing.TB, srv *portaltest.Server, addr, subject string) string {
	t.Helper()
	ms := srv.MailsWith(t, addr, subject)
	if len(ms) == 0 {
		t.Fatalf("no mail to %s with %q; mails: %q", addr, subject, portaltest.Subjects(srv.Mails(t)))
	}
	return strings.Join(strings.Fields(ms[len(ms)-1].Text), " ")
}

// TestTwoFactorOnSaysOthersSignedOut (issue 18 items 5 and 11, SES-03):
// turning 2FA on ends the other sessions, and both the page and the mail
// say so; the mail names the device as the pages do, not its User-Agent.
func TestTwoFactorOnSaysOthersSignedOut(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "dora@example.com"
	srv.SignedUp(t, email, uxPassword)
	a := mgSignInAs(t, srv, mgUAChromeWin, email, uxPassword)
	b := mgSignInAs(t, srv, mgUAFirefoxLinux, email, uxPassword)

	_, key := tfEnablePage(t, a)
	portaltest.WantRedirect(t, a.Submit(tfEnablePath, "form#send-code", map[string]string{"code": tfCode(t, srv, key, 0)}), tfShowPath)
	if got := portaltest.WantStatusMessage(t, a.Get(tfShowPath)); !strings.Contains(got, "Every other device has been signed out.") {
		t.Errorf("status after turning 2FA on=%q, want it to say the other devices were signed out", got)
	}
	if b.SignedIn() {
		t.Error("the other browser is still signed in after 2FA was turned on")
	}
	text := uxMailText(t, srv, email, "Two-factor authentication was turned on")
	for _, want := range []string{"Every other device signed in to your account has been signed out.", "Browser: Chrome on Windows"} {
		if !strings.Contains(text, want) {
			t.Errorf("mail does not say %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "Mozilla/5.0") {
		t.Errorf("mail shows the raw User-Agent:\n%s", text)
	}
}

// TestFirstPasswordSetMail (issue 18 items 11 and 2): an account made
// through a provider that sets its first password is told a password was
// set, not "your password was changed"; the set-password form shows every
// error in one round.
func TestFirstPasswordSetMail(t *testing.T) {
	t.Parallel()
	op := newOxOP(t)
	srv := oxServer(t, op)
	c := oxNewExternalUser(t, srv, op)
	email := op.User().Email

	f := c.Get("/account/manage/set-password").Form(t, "#set-password-form")
	f.Set("new_password", "short").Set("confirm_password", "")
	portaltest.WantErrorSummary(t, c.Post(f.Action, f.Values), "new_password", "confirm_password")

	f.Set("new_password", uxPassword).Set("confirm_password", uxPassword)
	portaltest.WantRedirect(t, c.Post(f.Action, f.Values), "/account/manage/change-password")
	if n := len(srv.MailsWith(t, email, "password was changed")); n != 0 {
		t.Errorf("%d \"password was changed\" mails for a first password, want 0", n)
	}
	text := uxMailText(t, srv, email, "A password was set")
	if !strings.Contains(text, "now has a password") {
		t.Errorf("password-set mail:\n%s", text)
	}
}

// TestDeadResetLinkSaysSo (issue 18 item 6, REL-15): a reset link that was
// used, replaced by a newer one or has expired says so and offers a new
// link, instead of a form that cannot work; opening a live link spends
// nothing.
func TestDeadResetLinkSaysSo(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "erin@example.com"
	srv.SignedUp(t, email, uxPassword)
	wantDead := func(t *testing.T, link string) {
		t.Helper()
		p := portaltest.NewClient(t, srv).Get(link)
		portaltest.WantStatus(t, p, http.StatusGone)
		if got, want := p.Text(t, ".form-error"), "This link was used or has expired. Request a new one."; got != want {
			t.Errorf(".form-error=%q, want %q", got, want)
		}
		if p.Has(t, "#reset-form") {
			t.Error("a dead link still shows the reset form")
		}
		if got := p.Doc(t).Find("a#request-new-link").AttrOr("href", ""); got != "/account/forgot-password" {
			t.Errorf("request-new-link href=%q, want /account/forgot-password", got)
		}
	}

	first := efResetLink(t, srv, email)
	for range 2 { // opening it (a mail scanner, twice) spends nothing
		portaltest.WantStatus(t, portaltest.NewClient(t, srv).Get(first), http.StatusOK)
	}
	second := efResetLink(t, srv, email)
	wantDead(t, first) // replaced by the newer link
	portaltest.WantRedirect(t, efSubmitReset(portaltest.NewClient(t, srv), second, email, "a brand new passphrase"), "/account/reset-password-confirmation")
	wantDead(t, second) // used

	third := efResetLink(t, srv, email)
	srv.Clock.Advance(srv.Config.ResetPasswordLifetime + time.Minute)
	wantDead(t, third) // expired
	wantDead(t, "/account/reset-password?code=not-a-code")
}

// TestResendConfirmationEndsOnCheckYourEmail (issue 18 item 6): resending
// the confirmation ends on a "check your email" page, as forgot-password
// does, the same for every address (no enumeration).
func TestResendConfirmationEndsOnCheckYourEmail(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	portaltest.NewClient(t, srv).Register("fay@example.com", uxPassword)
	var bodies []string
	for _, addr := range []string{"fay@example.com", "nobody@example.com"} {
		c := portaltest.NewClient(t, srv)
		p := c.Submit("/account/resend-email-confirmation", "#resend-form", map[string]string{"email": addr})
		portaltest.WantRedirect(t, p, "/account/resend-email-confirmation-sent")
		sent := c.Get(p.Location())
		portaltest.WantStatus(t, sent, http.StatusOK)
		if got := sent.Text(t, "h1"); got != "Check your email" {
			t.Errorf("heading=%q, want \"Check your email\"", got)
		}
		bodies = append(bodies, portaltest.MaskedBody(t, sent))
	}
	if bodies[0] != bodies[1] {
		t.Error("the page after resending differs between an unconfirmed account and no account")
	}
}

// TestAuthenticatorSetupOnAPhone (issue 18 item 8): the enable page links
// the otpauth:// URI ("Open in your authenticator app": a phone cannot
// scan its own screen) and shows the key group by group, each unbroken.
func TestAuthenticatorSetupOnAPhone(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	c := srv.SignedUp(t, "gil@example.com", uxPassword)
	p, key := tfEnablePage(t, c)
	doc := p.Doc(t)
	link := doc.Find("a#open-authenticator")
	if got, want := link.AttrOr("href", ""), doc.Find("#shared-key").AttrOr("data-uri", ""); got != want || !strings.HasPrefix(got, "otpauth://totp/") {
		t.Errorf("open-authenticator href=%q, want the otpauth URI %q", got, want)
	}
	if got, want := strings.TrimSpace(link.Text()), "Open in your authenticator app"; got != want {
		t.Errorf("link text=%q, want %q", got, want)
	}
	var groups []string
	doc.Find("#shared-key .key-group").Each(func(_ int, s *goquery.Selection) { groups = append(groups, s.Text()) })
	if got := strings.ToUpper(strings.Join(groups, "")); got != key || len(groups) < 2 {
		t.Errorf("key groups=%q, want the key %q in groups", groups, key)
	}
	for _, g := range groups {
		if len(g) > 4 || strings.Contains(g, " ") {
			t.Errorf("key group %q, want at most four characters", g)
		}
	}
}

// TestSecondDownloadSaysWhen (issue 18 item 10, PRIV-01): a second
// personal-data download within the limit shows the page again, saying
// when the next is possible, in step with Retry-After.
func TestSecondDownloadSaysWhen(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	c := srv.SignedUp(t, "hal@example.com", uxPassword)
	portaltest.WantStatus(t, pdDownload(t, c), http.StatusOK)
	p := pdDownload(t, c)
	portaltest.WantStatus(t, p, http.StatusTooManyRequests)
	secs, _ := strconv.Atoi(p.Header.Get("Retry-After"))
	mins := (secs + 59) / 60
	want := fmt.Sprintf("You downloaded your data a short while ago. Try again in %d minutes.", mins)
	if got, isErr := portaltest.StatusMessage(t, p); got != want || !isErr {
		t.Errorf("status=%q (error %t), want %q", got, isErr, want)
	}
	if !p.Has(t, "form[action='/account/manage/download-personal-data']") {
		t.Error("the page after a refused download does not show the personal-data page")
	}
}
