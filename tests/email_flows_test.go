package tests

// End-to-end tests of the email flows: confirm the address, resend the
// confirmation, forgot/reset password, change the address, send a
// verification mail, and the --mail=log development link. Requirement IDs
// are those of docs/security.md (REG-01..03, RST-01..05, ACC-01, ACC-04,
// REL-15, AUTH-05, SES-03).
//
// Helpers of this file and enumeration_test.go start with "ef" so that
// they cannot collide with the other test files of the package.

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/internal/portaltest"
)

const (
	efPassword    = "correct horse battery"
	efNewPassword = "staple lake river stone"
)

// efWantInvalidLink fails the test unless p is the friendly 422 page of a
// used, expired, stale or forged link (never a 500), showing the one
// invalid-link message in sel.
func efWantInvalidLink(t testing.TB, p *portaltest.Page, sel string) {
	t.Helper()
	portaltest.WantStatus(t, p, http.StatusUnprocessableEntity)
	if got, want := p.Text(t, sel), identity.ErrInvalidToken.Message; got != want {
		t.Fatalf("%s: %s=%q, want %q", p.URL, sel, got, want)
	}
}

// efQuery returns the query parameter key of link.
func efQuery(t testing.TB, link, key string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get(key)
}

// efFlip changes one character in the middle of s.
func efFlip(s string) string {
	b := []byte(s)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// efFirstWord is the first whitespace-separated word of s: the address in
// "a@example.com confirmed".
func efFirstWord(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}

// TestEmailConfirmThenLogin (REG-03, REL-15, AUTH-01): an unconfirmed
// account cannot sign in and gets the generic answer; the link's GET only
// shows a button, the first POST confirms, a second POST is refused with
// the invalid-link page; then login works.
func TestEmailConfirmThenLogin(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const addr = "confirm@example.com"
	c := portaltest.NewClient(t, srv)
	portaltest.WantRedirect(t, c.Register(addr, efPassword), "/account/register-confirmation")
	if srv.CanLogin(t, addr, efPassword) {
		t.Fatal("an unconfirmed account signed in (RequireConfirmedEmail)")
	}

	link := srv.LastLink(t, addr, "Confirm your email", "/account/confirm-email?")
	if !strings.HasPrefix(link, srv.URL+"/account/confirm-email?") {
		t.Fatalf("link=%q, want it on the base URL %s", link, srv.URL)
	}
	// REG-03: the token carries 256 random bits.
	raw, err := base64.RawURLEncoding.DecodeString(efQuery(t, link, "code"))
	if err != nil || len(raw) < 16 {
		t.Fatalf("code %q decodes to %d bytes (err %v), want >= 16 (256 bits expected)", efQuery(t, link, "code"), len(raw), err)
	}

	// REL-15: a mail scanner (no cookies) GETs the link twice; nothing is spent.
	scanner := portaltest.NewClient(t, srv)
	for range 2 {
		p := scanner.Get(link)
		portaltest.WantStatus(t, p, http.StatusOK)
		if !p.Has(t, "#confirm-email-form") {
			t.Fatalf("GET %s: no #confirm-email-form button:\n%s", link, p.Body)
		}
		if got, want := p.Header.Get("Referrer-Policy"), "no-referrer"; got != want {
			t.Fatalf("GET confirm link: Referrer-Policy=%q, want %q", got, want)
		}
	}
	if srv.CanLogin(t, addr, efPassword) {
		t.Fatal("GET of the confirmation link confirmed the address (REL-15: only POST may)")
	}

	p := c.Get(link)
	portaltest.WantStatus(t, p, http.StatusOK)
	f := p.Form(t, "#confirm-email-form")
	if got, want := f.Values.Get("code"), efQuery(t, link, "code"); got != want {
		t.Fatalf("hidden code=%q, want %q", got, want)
	}
	first := c.Post(f.Action, f.Values)
	portaltest.WantRedirect(t, first, "/account/login")
	if got := c.Follow(first).Text(t, "#status-message"); got == "" {
		t.Fatal("no #status-message after confirming")
	}
	// REG-03: single use.
	efWantInvalidLink(t, c.Post(f.Action, f.Values), ".alert-error")

	if !srv.CanLogin(t, addr, efPassword) {
		t.Fatal("login after confirmation failed")
	}
}

// TestEmailConfirmLinkRejected (REG-03): an expired, altered or stale
// (security stamp rotated) confirmation link is refused with the friendly
// 422, never a 500, and the account stays unconfirmed.
func TestEmailConfirmLinkRejected(t *testing.T) {
	t.Parallel()

	t.Run("expired after 24h", func(t *testing.T) {
		t.Parallel()
		srv := portaltest.NewServer(t)
		// Each confirms in the browser that registered (which keeps the
		// password, OIDC-03).
		earlyC, lateC := portaltest.NewClient(t, srv), portaltest.NewClient(t, srv)
		earlyC.Register("early@example.com", efPassword)
		lateC.Register("late@example.com", efPassword)
		early := srv.LastLink(t, "early@example.com", "Confirm", "/account/confirm-email?")
		late := srv.LastLink(t, "late@example.com", "Confirm", "/account/confirm-email?")

		srv.Clock.Advance(24*time.Hour - time.Minute)
		portaltest.WantStatus(t, earlyC.Submit(early, "#confirm-email-form", nil), http.StatusSeeOther)

		srv.Clock.Advance(time.Minute) // exactly 24 h after issue
		efWantInvalidLink(t, lateC.Submit(late, "#confirm-email-form", nil), ".alert-error")
		if srv.CanLogin(t, "late@example.com", efPassword) {
			t.Fatal("an expired link confirmed the address")
		}
		if !srv.CanLogin(t, "early@example.com", efPassword) {
			t.Fatal("a link used within 24 h did not confirm the address")
		}
	})

	t.Run("one character flipped", func(t *testing.T) {
		t.Parallel()
		srv := portaltest.NewServer(t)
		const addr = "flip@example.com"
		portaltest.NewClient(t, srv).Register(addr, efPassword)
		link := srv.LastLink(t, addr, "Confirm", "/account/confirm-email?")
		c := portaltest.NewClient(t, srv)
		bad := portaltest.WithQuery(link, "code", efFlip(efQuery(t, link, "code")))
		efWantInvalidLink(t, c.Submit(bad, "#confirm-email-form", nil), ".alert-error")
		// Other malformed codes meet the same page, not a 500.
		for _, code := range []string{"x", strings.Repeat("A", 43), "%%%", strings.Repeat("A", 2000)} {
			efWantInvalidLink(t, c.Submit(portaltest.WithQuery(link, "code", code), "#confirm-email-form", nil), ".alert-error")
		}
		// Another user's id with the right code: refused.
		efWantInvalidLink(t, c.Submit(portaltest.WithQuery(link, "userId", "00000000-0000-7000-8000-000000000000"), "#confirm-email-form", nil), ".alert-error")
		// The real link still works: failed attempts did not spend it.
		portaltest.WantStatus(t, c.Submit(link, "#confirm-email-form", nil), http.StatusSeeOther)
	})

	t.Run("stale after the security stamp rotates", func(t *testing.T) {
		t.Parallel()
		srv := portaltest.NewServer(t)
		const addr = "stamp@example.com"
		portaltest.NewClient(t, srv).Register(addr, efPassword)
		link := srv.LastLink(t, addr, "Confirm", "/account/confirm-email?")
		if _, err := srv.Portal.Identity().RotateSecurityStamp(context.Background(), srv.UserID(t, addr), ""); err != nil {
			t.Fatal(err)
		}
		efWantInvalidLink(t, portaltest.NewClient(t, srv).Submit(link, "#confirm-email-form", nil), ".alert-error")
		if srv.CanLogin(t, addr, efPassword) {
			t.Fatal("a stale link confirmed the address")
		}
	})
}

// TestEmailResendConfirmation (REG-01, REG-03): an unconfirmed account gets
// a new link that works while the old one dies; a confirmed or unknown
// address gets nothing; the three answers are the same.
func TestEmailResendConfirmation(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const (
		unconfirmed = "pending@example.com"
		confirmed   = "done@example.com"
		unknown     = "nobody@example.com"
	)
	registrant := portaltest.NewClient(t, srv)
	registrant.Register(unconfirmed, efPassword)
	srv.ConfirmedUser(t, confirmed, efPassword)
	oldLink := srv.LastLink(t, unconfirmed, "Confirm", "/account/confirm-email?")
	before := map[string]int{}
	for _, a := range []string{unconfirmed, confirmed, unknown} {
		before[a] = len(srv.MailsTo(t, a))
	}

	type answer struct {
		status   int
		location string
		message  string
	}
	answers := map[string]answer{}
	for _, a := range []string{unconfirmed, confirmed, unknown} {
		c := portaltest.NewClient(t, srv)
		p := c.Submit("/account/resend-email-confirmation", "#resend-form", map[string]string{"email": a})
		portaltest.WantStatus(t, p, http.StatusSeeOther)
		answers[a] = answer{p.Status, p.Location(), c.Follow(p).Text(t, "[data-testid=resend-confirmation-sent]")}
	}
	if answers[unconfirmed].message == "" {
		t.Fatal("no \"check your email\" page after resend")
	}
	for _, a := range []string{confirmed, unknown} {
		if got, want := answers[a], answers[unconfirmed]; got != want {
			t.Errorf("resend answer for %s=%+v, want the same as for an unconfirmed account %+v (REG-01)", a, got, want)
		}
	}

	if got, want := len(srv.MailsTo(t, unconfirmed)), before[unconfirmed]+1; got != want {
		t.Fatalf("mails to %s=%d, want %d (one new confirmation)", unconfirmed, got, want)
	}
	if got, want := len(srv.MailsTo(t, confirmed)), before[confirmed]; got != want {
		t.Errorf("a confirmed account got %d new mails on resend, want none", got-want)
	}
	if got := len(srv.MailsTo(t, unknown)); got != 0 {
		t.Errorf("an unknown address got %d mails, want 0", got)
	}

	newLink := srv.LastLink(t, unconfirmed, "Confirm", "/account/confirm-email?")
	if newLink == oldLink {
		t.Fatal("resend mailed the same link again")
	}
	c := registrant // confirms where it registered, keeping the password (OIDC-03)
	efWantInvalidLink(t, c.Submit(oldLink, "#confirm-email-form", nil), ".alert-error")
	portaltest.WantRedirect(t, c.Submit(newLink, "#confirm-email-form", nil), "/account/login")
	if !srv.CanLogin(t, unconfirmed, efPassword) {
		t.Fatal("login after confirming with the resent link failed")
	}
}

// efForgot asks for a reset link for email from a fresh browser and
// asserts the one answer (RST-01).
func efForgot(t testing.TB, srv *portaltest.Server, email string) *portaltest.Page {
	t.Helper()
	p := portaltest.NewClient(t, srv).Submit("/account/forgot-password", "#forgot-form", map[string]string{"email": email})
	portaltest.WantRedirect(t, p, "/account/forgot-password-confirmation")
	return p
}

// efResetLink asks for a reset link for email and returns it.
func efResetLink(t testing.TB, srv *portaltest.Server, email string) string {
	t.Helper()
	efForgot(t, srv, email)
	return srv.LastLink(t, email, "Reset your", "/account/reset-password?code=")
}

// efSubmitReset opens link in c and submits the reset form.
func efSubmitReset(c *portaltest.Client, link, email, password string) *portaltest.Page {
	c.T().Helper()
	return c.Submit(link, "#reset-form", map[string]string{
		"email": email, "password": password, "confirm_password": password,
	})
}

// TestEmailResetPassword (RST-01..04, REL-15, SES-03, ACC-04): the whole
// forgot/reset flow for a confirmed user.
func TestEmailResetPassword(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const addr = "reset@example.com"
	other := srv.SignedUp(t, addr, efPassword) // another device, signed in

	link := efResetLink(t, srv, addr)
	if !strings.HasPrefix(link, srv.URL+"/account/reset-password?code=") {
		t.Fatalf("reset link=%q, want it on the base URL %s (RST-03)", link, srv.URL)
	}
	code := efQuery(t, link, "code")
	if raw, err := base64.RawURLEncoding.DecodeString(code); err != nil || len(raw) < 16 {
		t.Fatalf("code %q: %d bytes (err %v), want >= 16 (RST-02)", code, len(raw), err)
	}
	// RST-02: a request changes nothing: the old password still works.
	if !srv.CanLogin(t, addr, efPassword) {
		t.Fatal("a reset request changed the account: the current password fails")
	}

	// REL-15, RST-03: the GET shows the form with the code and spends nothing.
	c := portaltest.NewClient(t, srv)
	for range 2 {
		p := c.Get(link)
		portaltest.WantStatus(t, p, http.StatusOK)
		if got, want := p.Form(t, "#reset-form").Values.Get("code"), code; got != want {
			t.Fatalf("#reset-form hidden code=%q, want %q", got, want)
		}
		if got, want := p.Header.Get("Referrer-Policy"), "no-referrer"; got != want {
			t.Fatalf("reset page Referrer-Policy=%q, want %q (RST-03)", got, want)
		}
	}

	p := c.Get(link)
	f := p.Form(t, "#reset-form")
	f.Set("email", addr).Set("password", efNewPassword).Set("confirm_password", efNewPassword)
	done := c.Post(f.Action, f.Values)
	portaltest.WantRedirect(t, done, "/account/reset-password-confirmation")
	if conf := c.Follow(done); !conf.Has(t, "[data-testid=reset-password-confirmation]") {
		t.Fatalf("reset confirmation page lacks its marker:\n%s", conf.Body)
	}
	// RST-04: no automatic sign-in.
	if c.SignedIn() {
		t.Error("the reset signed the browser in (RST-04: it must not)")
	}
	// RST-02: single use.
	efWantInvalidLink(t, c.Post(f.Action, f.Values), ".form-error")

	// RST-04, SES-03: the other device is signed out.
	if other.SignedIn() {
		t.Error("another session of the user survived the reset (RST-04, SES-03)")
	}
	if srv.CanLogin(t, addr, efPassword) {
		t.Error("the old password still works after the reset")
	}
	if !srv.CanLogin(t, addr, efNewPassword) {
		t.Error("the new password does not work after the reset")
	}

	// ACC-04: exactly one notification, without the password.
	ms := srv.MailsWith(t, addr, "password was changed")
	if got, want := len(ms), 1; got != want {
		t.Fatalf("%d \"password was changed\" mails, want %d; mails: %v", got, want, portaltest.Subjects(srv.MailsTo(t, addr)))
	}
	if strings.Contains(ms[0].Text, efNewPassword) || strings.Contains(ms[0].HTML, efNewPassword) {
		t.Error("the \"password was changed\" mail contains the new password")
	}
}

// TestEmailResetPasswordRules covers the refusals and side effects of the
// reset: each case on its own server, so the per-IP link limit of one does
// not touch another.
func TestEmailResetPasswordRules(t *testing.T) {
	t.Parallel()

	// RST-02: a code works only with its own account's address, and a
	// refused attempt does not spend it.
	t.Run("another user's email", func(t *testing.T) {
		t.Parallel()
		srv := portaltest.NewServer(t)
		srv.ConfirmedUser(t, "owner@example.com", efPassword)
		srv.ConfirmedUser(t, "victim@example.com", efPassword)
		link := efResetLink(t, srv, "owner@example.com")
		c := portaltest.NewClient(t, srv)
		efWantInvalidLink(t, efSubmitReset(c, link, "victim@example.com", efNewPassword), ".form-error")
		if !srv.CanLogin(t, "victim@example.com", efPassword) {
			t.Fatal("the victim's password changed")
		}
		portaltest.WantRedirect(t, efSubmitReset(c, link, "owner@example.com", efNewPassword), "/account/reset-password-confirmation")
		if !srv.CanLogin(t, "owner@example.com", efNewPassword) {
			t.Fatal("the owner's reset did not take")
		}
	})

	// RST-02: 30 minutes.
	t.Run("expired after 30 minutes", func(t *testing.T) {
		t.Parallel()
		srv := portaltest.NewServer(t)
		srv.ConfirmedUser(t, "early@example.com", efPassword)
		srv.ConfirmedUser(t, "late@example.com", efPassword)
		early := efResetLink(t, srv, "early@example.com")
		late := efResetLink(t, srv, "late@example.com")
		c := portaltest.NewClient(t, srv)
		srv.Clock.Advance(29 * time.Minute)
		portaltest.WantStatus(t, efSubmitReset(c, early, "early@example.com", efNewPassword), http.StatusSeeOther)
		// The form opened while the link was live, sent once it expired
		// (opened after, the page says the link expired: TestDeadResetLinkSaysSo).
		f, err := c.Prepare(late, "#reset-form", map[string]string{"email": "late@example.com", "password": efNewPassword, "confirm_password": efNewPassword})
		if err != nil {
			t.Fatal(err)
		}
		srv.Clock.Advance(time.Minute)
		efWantInvalidLink(t, c.Post(f.Action, f.Values), ".form-error")
		if !srv.CanLogin(t, "late@example.com", efPassword) {
			t.Fatal("an expired reset link changed the password")
		}
	})

	// docs/security.md decision 3: a reset proves the address, so it confirms it.
	t.Run("confirms an unconfirmed address", func(t *testing.T) {
		t.Parallel()
		srv := portaltest.NewServer(t)
		const addr = "unconfirmed@example.com"
		portaltest.NewClient(t, srv).Register(addr, efPassword)
		if srv.CanLogin(t, addr, efPassword) {
			t.Fatal("precondition: an unconfirmed account signed in")
		}
		link := efResetLink(t, srv, addr)
		portaltest.WantStatus(t, efSubmitReset(portaltest.NewClient(t, srv), link, addr, efNewPassword), http.StatusSeeOther)
		if !srv.CanLogin(t, addr, efNewPassword) {
			t.Fatal("login after resetting an unconfirmed account failed: the reset did not confirm the address")
		}
	})

	// RST-04: the lockout counter is cleared.
	t.Run("clears a lockout", func(t *testing.T) {
		t.Parallel()
		srv := portaltest.NewServer(t)
		const addr = "locked@example.com"
		srv.ConfirmedUser(t, addr, efPassword)
		for range srv.Config.LockoutThreshold {
			if srv.CanLogin(t, addr, "wrong password entirely") {
				t.Fatal("a wrong password signed in")
			}
		}
		// Five failures from this browser's IP hold the address there
		// (AUTH-03: the lockout message, 429), even for the right password.
		portaltest.WantStatus(t, portaltest.NewClient(t, srv).Login(addr, efPassword, false), http.StatusTooManyRequests)
		link := efResetLink(t, srv, addr)
		portaltest.WantStatus(t, efSubmitReset(portaltest.NewClient(t, srv), link, addr, efNewPassword), http.StatusSeeOther)
		if !srv.CanLogin(t, addr, efNewPassword) {
			t.Fatal("still locked out right after the reset (RST-04: the reset clears the lockout)")
		}
	})

	// A refused new password does not spend the link.
	t.Run("weak password keeps the link", func(t *testing.T) {
		t.Parallel()
		srv := portaltest.NewServer(t)
		const addr = "weak@example.com"
		srv.ConfirmedUser(t, addr, efPassword)
		link := efResetLink(t, srv, addr)
		c := portaltest.NewClient(t, srv)
		for _, weak := range []string{"short", "password123"} {
			p := efSubmitReset(c, link, addr, weak)
			portaltest.WantStatus(t, p, http.StatusUnprocessableEntity)
			if got := p.Text(t, "#f-password-error.field-error"); got == "" {
				t.Fatalf("weak password %q: no .field-error on password:\n%s", weak, p.Body)
			}
		}
		portaltest.WantRedirect(t, efSubmitReset(c, link, addr, efNewPassword), "/account/reset-password-confirmation")
		if !srv.CanLogin(t, addr, efNewPassword) {
			t.Fatal("the reset after a refused weak password did not take")
		}
	})

	t.Run("GET without a code", func(t *testing.T) {
		t.Parallel()
		srv := portaltest.NewServer(t)
		p := portaltest.NewClient(t, srv).Get("/account/reset-password")
		portaltest.WantStatus(t, p, http.StatusBadRequest)
		if got := p.Text(t, ".form-error"); got == "" {
			t.Fatalf("no .form-error explaining the missing code:\n%s", p.Body)
		}
	})
}

// TestEmailResetRequestLimits (RST-05): per address, further requests are
// answered the same but send nothing, and the account is not locked.
func TestEmailResetRequestLimits(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const addr = "flood@example.com"
	srv.ConfirmedUser(t, addr, efPassword)

	var first string
	for i := range 10 {
		p := efForgot(t, srv, addr)
		got := strconv.Itoa(p.Status) + " " + p.Location() + "\n" + portaltest.MaskedBody(t, p)
		if i == 0 {
			first = got
		} else if got != first {
			t.Fatalf("forgot-password answer %d=%q, want the same as the first %q (RST-05)", i+1, got, first)
		}
	}
	if got := len(srv.MailsWith(t, addr, "Reset your")); got > 3 || got == 0 {
		t.Fatalf("%d reset mails for 10 requests, want 1..3 (RST-05)", got)
	}
	if !srv.CanLogin(t, addr, efPassword) {
		t.Fatal("reset requests locked or changed the account (RST-05)")
	}

	// A new hour, a new allowance.
	srv.Clock.Advance(time.Hour)
	n := len(srv.MailsWith(t, addr, "Reset your"))
	efForgot(t, srv, addr)
	if got := len(srv.MailsWith(t, addr, "Reset your")); got != n+1 {
		t.Fatalf("an hour later: %d reset mails, want %d", got, n+1)
	}
}

// TestEmailRequestLimitPerIP (RST-05, REG-03): one IP may ask for 20 mails
// an hour (different addresses, so the per-address cap plays no part); the
// 21st request meets 429 with Retry-After.
func TestEmailRequestLimitPerIP(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	c := portaltest.NewClient(t, srv)
	f := c.Get("/account/forgot-password").Form(t, "#forgot-form")
	for i := range 20 {
		f.Set("email", "user"+strconv.Itoa(i)+"@example.com")
		portaltest.WantRedirect(t, c.Post(f.Action, f.Values), "/account/forgot-password-confirmation")
	}
	f.Set("email", "user20@example.com")
	portaltest.WantTooMany(t, c.Post(f.Action, f.Values))

	srv.Clock.Advance(time.Hour)
	portaltest.WantRedirect(t, c.Post(f.Action, f.Values), "/account/forgot-password-confirmation")
}

// TestEmailLinkGuessingLimit (REG-03): bogus confirmation codes from one IP
// meet 429 at the 21st submission.
func TestEmailLinkGuessingLimit(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	c := portaltest.NewClient(t, srv)
	f := c.Get("/account/confirm-email?userId=someone&code=x").Form(t, "#confirm-email-form")
	for range 20 {
		raw := make([]byte, 32)
		_, _ = rand.Read(raw)
		f.Set("code", base64.RawURLEncoding.EncodeToString(raw))
		efWantInvalidLink(t, c.Post(f.Action, f.Values), ".alert-error")
	}
	portaltest.WantTooMany(t, c.Post(f.Action, f.Values))
}

// TestEmailChange (ACC-01, ACC-04, SES-03, AUTH-05, REL-15): the new
// address confirms; nothing changes before; afterwards email and username
// change, this browser stays signed in with a new token, other sessions
// end, and both addresses are told.
func TestEmailChange(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const (
		oldAddr = "old@example.com"
		newAddr = "new@example.com"
	)
	a := srv.SignedUp(t, oldAddr, efPassword)
	b := portaltest.NewClient(t, srv)
	portaltest.WantStatus(t, b.Login(oldAddr, efPassword, false), http.StatusSeeOther)
	before := len(srv.Mails(t))

	p := a.Submit("/account/manage/email", "#change-email-form", map[string]string{"new_email": newAddr})
	portaltest.WantRedirect(t, p, "/account/manage/email")
	page := a.Follow(p)
	if msg := page.Text(t, "#status-message"); !strings.Contains(msg, newAddr) {
		t.Fatalf("#status-message=%q, want it to name %s", msg, newAddr)
	}
	// ACC-01: nothing changes until the link is used.
	if got := efFirstWord(page.Text(t, "[data-testid=current-email]")); got != oldAddr {
		t.Fatalf("current email right after the request=%q, want still %q (ACC-01)", got, oldAddr)
	}
	if srv.CanLogin(t, newAddr, efPassword) {
		t.Fatal("the new address signs in before it is confirmed (ACC-01)")
	}

	// The link goes to the new address only.
	mails := srv.Mails(t)[before:]
	var links []portaltest.Mail
	for _, m := range mails {
		if strings.Contains(m.Text, "/account/confirm-email-change") || strings.Contains(m.HTML, "/account/confirm-email-change") {
			links = append(links, m)
		}
	}
	if len(links) != 1 || links[0].To != newAddr {
		t.Fatalf("mails carrying the change link: %v, want exactly one, to %s (ACC-01)", portaltest.Subjects(links), newAddr)
	}
	link := links[0].Link(t, "/account/confirm-email-change?")
	if got := efQuery(t, link, "email"); got != newAddr {
		t.Fatalf("link email=%q, want %q", got, newAddr)
	}
	if efQuery(t, link, "userId") == "" || efQuery(t, link, "code") == "" {
		t.Fatalf("link %q lacks userId or code", link)
	}
	// ACC-04: the old address is told at request time.
	if got := len(srv.MailsWith(t, oldAddr, "change")); got != 1 {
		t.Fatalf("%d \"change ... requested\" mails to the old address, want 1; mails: %v", got, portaltest.Subjects(srv.MailsTo(t, oldAddr)))
	}
	if m := srv.MailsWith(t, oldAddr, "change")[0]; !strings.Contains(m.Subject, "requested") {
		t.Fatalf("old address notice subject=%q, want a \"change ... requested\" notice", m.Subject)
	}

	// REL-15: a scanner's GETs spend nothing.
	scanner := portaltest.NewClient(t, srv)
	for range 2 {
		g := scanner.Get(link)
		portaltest.WantStatus(t, g, http.StatusOK)
		if !g.Has(t, "#confirm-email-change-form") {
			t.Fatalf("GET %s: no #confirm-email-change-form:\n%s", link, g.Body)
		}
	}
	if got := efFirstWord(a.Get("/account/manage/email").Text(t, "[data-testid=current-email]")); got != oldAddr {
		t.Fatalf("current email after GETs of the link=%q, want still %q (REL-15)", got, oldAddr)
	}

	tokenBefore := a.Cookie(portaltest.SessionCookie)
	done := a.Submit(link, "#confirm-email-change-form", nil)
	portaltest.WantRedirect(t, done, "/account/manage/email")
	page = a.Follow(done)
	portaltest.WantStatus(t, page, http.StatusOK) // A is still signed in
	if page.Text(t, "#status-message") == "" {
		t.Error("no #status-message after confirming the change")
	}
	if got := efFirstWord(page.Text(t, "[data-testid=current-email]")); got != newAddr {
		t.Fatalf("current email after confirming=%q, want %q", got, newAddr)
	}
	if tokenAfter := a.Cookie(portaltest.SessionCookie); tokenAfter == "" || tokenAfter == tokenBefore {
		t.Errorf("session token not renewed on the email change (AUTH-05): before %q, after %q", tokenBefore, tokenAfter)
	}
	prof := a.Get("/account/manage")
	portaltest.WantStatus(t, prof, http.StatusOK)
	if got := prof.Doc(t).Find("input#f-username").AttrOr("value", ""); got != newAddr {
		t.Errorf("username=%q, want the new address %q", got, newAddr)
	}
	if got := efFirstWord(prof.Text(t, "[data-testid=email]")); got != newAddr {
		t.Errorf("profile email=%q, want %q", got, newAddr)
	}
	// SES-03: other sessions end.
	if b.SignedIn() {
		t.Error("another session survived the email change (SES-03)")
	}
	// ACC-04: the old address is told at completion.
	if got := len(srv.MailsWith(t, oldAddr, "email address was changed")); got != 1 {
		t.Errorf("%d \"email address was changed\" mails to the old address, want 1; mails: %v", got, portaltest.Subjects(srv.MailsTo(t, oldAddr)))
	}
	if !srv.CanLogin(t, newAddr, efPassword) {
		t.Error("login with the new address failed")
	}
	if srv.CanLogin(t, oldAddr, efPassword) {
		t.Error("login with the old address still works")
	}
	// Single use.
	efWantInvalidLink(t, portaltest.NewClient(t, srv).Submit(link, "#confirm-email-change-form", nil), ".alert-error")
}

// efRequestChange asks, as signed-in c, to change the address to newAddr
// and returns the link mailed to newAddr.
func efRequestChange(t testing.TB, srv *portaltest.Server, c *portaltest.Client, newAddr string) string {
	t.Helper()
	p := c.Submit("/account/manage/email", "#change-email-form", map[string]string{"new_email": newAddr})
	portaltest.WantRedirect(t, p, "/account/manage/email")
	return srv.LastLink(t, newAddr, "Confirm your new email", "/account/confirm-email-change?")
}

// TestEmailChangeLinkRejected (ACC-01, REG-03): the change link is bound
// to its user, its new address and the security stamp, and expires after
// 24 h; a refused link changes nothing.
func TestEmailChangeLinkRejected(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		tamper func(t *testing.T, srv *portaltest.Server, link string) string
	}{
		{"expired after 24h", func(t *testing.T, srv *portaltest.Server, link string) string {
			srv.Clock.Advance(24 * time.Hour)
			return link
		}},
		{"address altered", func(t *testing.T, srv *portaltest.Server, link string) string {
			return portaltest.WithQuery(link, "email", "attacker@example.com")
		}},
		{"code altered", func(t *testing.T, srv *portaltest.Server, link string) string {
			return portaltest.WithQuery(link, "code", efFlip(efQuery(t, link, "code")))
		}},
		{"other user id", func(t *testing.T, srv *portaltest.Server, link string) string {
			srv.ConfirmedUser(t, "bystander@example.com", efPassword)
			return portaltest.WithQuery(link, "userId", srv.UserID(t, "bystander@example.com"))
		}},
		{"stale after the security stamp rotates", func(t *testing.T, srv *portaltest.Server, link string) string {
			if _, err := srv.Portal.Identity().RotateSecurityStamp(context.Background(), efQuery(t, link, "userId"), ""); err != nil {
				t.Fatal(err)
			}
			return link
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := portaltest.NewServer(t)
			const oldAddr, newAddr = "stay@example.com", "elsewhere@example.com"
			a := srv.SignedUp(t, oldAddr, efPassword)
			link := tc.tamper(t, srv, efRequestChange(t, srv, a, newAddr))
			efWantInvalidLink(t, portaltest.NewClient(t, srv).Submit(link, "#confirm-email-change-form", nil), ".alert-error")
			if !srv.CanLogin(t, oldAddr, efPassword) {
				t.Error("the old address no longer signs in after a refused change link")
			}
			for _, other := range []string{newAddr, "attacker@example.com"} {
				if srv.CanLogin(t, other, efPassword) {
					t.Errorf("%s signs in after a refused change link", other)
				}
			}
		})
	}
}

// TestEmailConfirmLinkDiesWithAddressChange (REG-03): a confirmation link
// sent to address X does not confirm anything once the account's address
// is Y.
func TestEmailConfirmLinkDiesWithAddressChange(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t, func(cfg *portal.Config) { cfg.RequireConfirmedEmail = false })
	const x, y = "x@example.com", "y@example.com"
	c := portaltest.NewClient(t, srv)
	c.Register(x, efPassword) // signed in, unconfirmed; a link is mailed to x
	oldLink := srv.LastLink(t, x, "Confirm your email", "/account/confirm-email?")
	portaltest.WantRedirect(t, c.Submit(efRequestChange(t, srv, c, y), "#confirm-email-change-form", nil), "/account/manage/email")
	efWantInvalidLink(t, portaltest.NewClient(t, srv).Submit(oldLink, "#confirm-email-form", nil), ".alert-error")
}

// TestEmailChangeConfirmedSignedOut (ACC-01): the link works in a browser
// that is not signed in, and sends it to the login page.
func TestEmailChangeConfirmedSignedOut(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	a := srv.SignedUp(t, "before@example.com", efPassword)
	portaltest.WantStatus(t, a.Submit("/account/manage/email", "#change-email-form", map[string]string{"new_email": "after@example.com"}), http.StatusSeeOther)
	link := srv.LastLink(t, "after@example.com", "Confirm your new email", "/account/confirm-email-change?")

	c := portaltest.NewClient(t, srv)
	p := c.Submit(link, "#confirm-email-change-form", nil)
	portaltest.WantRedirect(t, p, "/account/login")
	if c.Follow(p).Text(t, "#status-message") == "" {
		t.Error("no #status-message on the login page after confirming")
	}
	if c.SignedIn() {
		t.Error("confirming the link signed the browser in")
	}
	if !srv.CanLogin(t, "after@example.com", efPassword) {
		t.Error("login with the new address failed")
	}
	if a.SignedIn() {
		t.Error("the requesting session survived a change confirmed elsewhere (SES-03)")
	}
}

// TestEmailChangeToTakenAddress (ACC-01): an address of another account is
// answered like any other, gets no mail, and nothing changes.
func TestEmailChangeToTakenAddress(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const (
		mine  = "mine@example.com"
		taken = "taken@example.com"
		free  = "free@example.com"
	)
	srv.ConfirmedUser(t, taken, efPassword)
	a := srv.SignedUp(t, mine, efPassword)

	ask := func(addr string) (status int, location, msg string) {
		p := a.Submit("/account/manage/email", "#change-email-form", map[string]string{"new_email": addr})
		return p.Status, p.Location(), strings.ReplaceAll(a.Follow(p).Text(t, "#status-message"), addr, "ADDR")
	}
	fs, fl, fm := ask(free)
	takenMails := len(srv.MailsTo(t, taken))
	ts, tl, tm := ask(taken)
	if ts != fs || tl != fl || tm != fm {
		t.Fatalf("answer for a taken address=(%d %q %q), want the same as for a free one (%d %q %q)", ts, tl, tm, fs, fl, fm)
	}
	if got := len(srv.MailsTo(t, taken)); got != takenMails {
		t.Fatalf("the taken address got %d mails on the change request, want 0", got-takenMails)
	}
	if got := efFirstWord(a.Get("/account/manage/email").Text(t, "[data-testid=current-email]")); got != mine {
		t.Fatalf("current email=%q, want still %q", got, mine)
	}
	if !srv.CanLogin(t, taken, efPassword) {
		t.Fatal("the other account changed")
	}
}

// TestEmailChangeToTakenAddressNoticeAlike (ACC-01, ACC-04): the old
// address's "change requested" notice must not tell a free address from a
// taken one; otherwise the account owner learns from their own inbox
// whether another address has an account.
func TestEmailChangeToTakenAddressNoticeAlike(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const mine = "notice@example.com"
	srv.ConfirmedUser(t, "someone@example.com", efPassword)
	a := srv.SignedUp(t, mine, efPassword)
	notices := func() int { return len(srv.MailsWith(t, mine, "requested")) }

	n0 := notices()
	portaltest.WantStatus(t, a.Submit("/account/manage/email", "#change-email-form", map[string]string{"new_email": "free@example.com"}), http.StatusSeeOther)
	n1 := notices()
	portaltest.WantStatus(t, a.Submit("/account/manage/email", "#change-email-form", map[string]string{"new_email": "someone@example.com"}), http.StatusSeeOther)
	n2 := notices()
	if free, taken := n1-n0, n2-n1; free != taken {
		t.Errorf("\"change requested\" notices to the old address: %d for a free address, %d for a taken one; "+
			"the difference tells the owner which addresses have accounts (ACC-01 no enumeration; ACC-04 one notice per request)", free, taken)
	}
}

// TestEmailChangeRefused: the current address (any case) and a malformed
// address are refused beside the field with 422, and send nothing.
func TestEmailChangeRefused(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const addr = "same@example.com"
	a := srv.SignedUp(t, addr, efPassword)
	before := len(srv.Mails(t))
	for _, bad := range []string{addr, "Same@Example.COM", "not-an-address", "a@", "two@at@example.com"} {
		p := a.Submit("/account/manage/email", "#change-email-form", map[string]string{"new_email": bad})
		portaltest.WantStatus(t, p, http.StatusUnprocessableEntity)
		if got := p.Text(t, "#f-new_email-error.field-error"); got == "" {
			t.Errorf("new_email=%q: no .field-error on new_email:\n%s", bad, p.Body)
		}
	}
	if got := len(srv.Mails(t)); got != before {
		t.Errorf("refused change requests sent %d mails, want 0; mails: %v", got-before, portaltest.Subjects(srv.Mails(t)[before:]))
	}
}

// TestEmailSendVerification: without required confirmation a new account
// is signed in unconfirmed; manage/email offers a verification mail whose
// link confirms, after which the offer is gone.
func TestEmailSendVerification(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t, func(cfg *portal.Config) { cfg.RequireConfirmedEmail = false })
	const addr = "verify@example.com"
	c := portaltest.NewClient(t, srv)
	c.Register(addr, efPassword)
	if !c.SignedIn() {
		t.Fatal("precondition: registration without required confirmation signs in")
	}
	p := c.Get("/account/manage/email")
	portaltest.WantStatus(t, p, http.StatusOK)
	if !p.Has(t, "#send-verification-form") {
		t.Fatalf("no #send-verification-form for an unconfirmed address:\n%s", p.Body)
	}
	n := len(srv.MailsWith(t, addr, "Confirm your email"))

	f := p.Form(t, "#send-verification-form")
	sent := c.Post(f.Action, f.Values)
	portaltest.WantRedirect(t, sent, "/account/manage/email")
	if c.Follow(sent).Text(t, "#status-message") == "" {
		t.Error("no #status-message after sending the verification mail")
	}
	if got := len(srv.MailsWith(t, addr, "Confirm your email")); got != n+1 {
		t.Fatalf("%d confirmation mails, want %d", got, n+1)
	}
	link := srv.LastLink(t, addr, "Confirm your email", "/account/confirm-email?")
	portaltest.WantStatus(t, c.Submit(link, "#confirm-email-form", nil), http.StatusSeeOther)

	p = c.Get("/account/manage/email")
	portaltest.WantStatus(t, p, http.StatusOK)
	if p.Has(t, "#send-verification-form") {
		t.Fatal("#send-verification-form still shown after confirming")
	}
}

// TestEmailDevConfirmLink: with --mail=log the register confirmation page
// shows the link as a development aid (once); with a real mailer it never
// does.
func TestEmailDevConfirmLink(t *testing.T) {
	t.Parallel()

	t.Run("log mailer", func(t *testing.T) {
		t.Parallel()
		srv := portaltest.NewServer(t, func(cfg *portal.Config) { cfg.Mail = "log" })
		const addr = "dev@example.com"
		c := portaltest.NewClient(t, srv)
		p := c.Follow(c.Register(addr, efPassword))
		portaltest.WantStatus(t, p, http.StatusOK)
		if !strings.HasPrefix(p.URL, srv.URL+"/account/register-confirmation") {
			t.Fatalf("register went to %s, want /account/register-confirmation", p.URL)
		}
		href, ok := p.Doc(t).Find("a#confirm-link").Attr("href")
		if !ok || !strings.Contains(href, "/account/confirm-email?") {
			t.Fatalf("a#confirm-link href=%q (present %v), want a /account/confirm-email? link:\n%s", href, ok, p.Body)
		}
		if !strings.Contains(p.Text(t, ".dev-aid"), "Development aid") {
			t.Errorf("the link is not marked as a development aid:\n%s", p.Body)
		}
		if again := c.Get("/account/register-confirmation"); again.Has(t, "a#confirm-link") {
			t.Error("the development link is shown a second time")
		}
		portaltest.WantStatus(t, c.Submit(href, "#confirm-email-form", nil), http.StatusSeeOther)
		if !srv.CanLogin(t, addr, efPassword) {
			t.Fatal("login after confirming with the development link failed")
		}
	})

	t.Run("dir mailer", func(t *testing.T) {
		t.Parallel()
		srv := portaltest.NewServer(t)
		c := portaltest.NewClient(t, srv)
		p := c.Follow(c.Register("real@example.com", efPassword))
		portaltest.WantStatus(t, p, http.StatusOK)
		if p.Has(t, "a#confirm-link") || p.Has(t, ".dev-aid") {
			t.Fatalf("the development link is shown with a real mailer:\n%s", p.Body)
		}
	})
}

// efCSPNonce matches the nonce source in a Content-Security-Policy.
var efCSPNonce = regexp.MustCompile(`'nonce-[^']*'`)
