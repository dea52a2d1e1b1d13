package portaltest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/accountportal/portal/identity"
)

// Register registers email/password through the register form and asserts
// the 303.
func (c *Client) Register(email, password string) *Page {
	c.t.Helper()
	p := c.Submit("/account/register", "#register-form", map[string]string{
		"email": email, "password": password, "confirm_password": password,
	})
	if p.Status != http.StatusSeeOther {
		c.t.Fatalf("register %s: status %d, want 303; body:\n%s", email, p.Status, p.Body)
	}
	return p
}

// Login submits the login form.
func (c *Client) Login(email, password string, remember bool) *Page {
	c.t.Helper()
	fields := map[string]string{"email": email, "password": password}
	if remember {
		fields["remember_me"] = "true"
	}
	return c.Submit("/account/login", "#login-form", fields)
}

// Logout signs c out with the form of the sign-out page and asserts the
// 303 back to that page.
func (c *Client) Logout() *Page {
	c.t.Helper()
	p := c.Submit("/account/logout", "#logout-form", nil)
	WantRedirect(c.t, p, "/account/logout")
	return p
}

// ConfirmEmail follows the confirmation link last mailed to addr and
// presses the button.
func (c *Client) ConfirmEmail(addr string) {
	c.t.Helper()
	if c.srv == nil {
		c.t.Fatal("ConfirmEmail reads the kit server's mail box; this browser has none (NewClientAt): use ConfirmWithMail")
	}
	mails := c.srv.MailsTo(c.t, addr)
	if len(mails) == 0 {
		c.t.Fatalf("no mail to %s", addr)
	}
	c.ConfirmWithMail(mails[len(mails)-1])
}

// ConfirmWithMail follows the confirmation link in m and presses the
// button.
func (c *Client) ConfirmWithMail(m Mail) {
	c.t.Helper()
	p := c.Submit(m.Link(c.t, "/account/confirm-email"), "#confirm-email-form", nil)
	if p.Status != http.StatusSeeOther {
		c.t.Fatalf("confirm %s: status %d, want 303; body:\n%s", m.To, p.Status, p.Body)
	}
}

// SignedUp registers and confirms a user and returns a client signed in
// as it.
func (s *Server) SignedUp(t testing.TB, email, password string) *Client {
	t.Helper()
	c := NewClient(t, s)
	c.Register(email, password)
	if s.Config.RequireConfirmedEmail {
		c.ConfirmEmail(email)
		if p := c.Login(email, password, false); p.Status != http.StatusSeeOther {
			t.Fatalf("login %s: status %d, want 303; body:\n%s", email, p.Status, p.Body)
		}
	}
	return c
}

// ConfirmedUser registers email and confirms the address with the mailed
// link, and returns the browser that did.
func (s *Server) ConfirmedUser(t testing.TB, email, password string) *Client {
	t.Helper()
	c := NewClient(t, s)
	c.Register(email, password)
	c.ConfirmEmail(email)
	return c
}

// SignIn signs email in from a new browser (the login form answers a 303
// to /) and returns it.
func (s *Server) SignIn(t testing.TB, email, password string, remember bool) *Client {
	t.Helper()
	c := NewClient(t, s)
	WantRedirect(t, c.Login(email, password, remember), "/")
	return c
}

// CanLogin reports whether email/password signs in from a new browser: a
// 303, or a 422 with the generic message, or a 403 saying the address is
// not confirmed (the right password of an unconfirmed account); anything
// else fails the test.
func (s *Server) CanLogin(t testing.TB, email, password string) bool {
	t.Helper()
	p := NewClient(t, s).Login(email, password, false)
	switch p.Status {
	case http.StatusSeeOther:
		return true
	case http.StatusUnprocessableEntity:
		if got, want := p.Text(t, ".form-error"), identity.ErrInvalidLogin.Message; got != want {
			t.Fatalf("login %s: .form-error=%q, want the generic %q", email, got, want)
		}
		return false
	case http.StatusForbidden:
		if got, want := p.Text(t, ".form-error"), identity.ErrEmailUnconfirmed.Message; got != want {
			t.Fatalf("login %s: .form-error=%q, want %q", email, got, want)
		}
		return false
	}
	t.Fatalf("login %s: status=%d, want 303, 403 or 422; body:\n%s", email, p.Status, p.Body)
	return false
}

// manage GETs /account/manage: the page and true when it answers 200,
// false when it sends the browser to the login page; anything else fails
// the test.
func (c *Client) manage() (*Page, bool) {
	c.t.Helper()
	p := c.Get("/account/manage")
	switch {
	case p.Status == http.StatusOK:
		return p, true
	case p.Status == http.StatusSeeOther && strings.HasPrefix(p.Location(), p.Under("/account/login")):
		return p, false
	}
	c.t.Fatalf("GET /account/manage: status=%d Location=%q, want 200 or a redirect to the login page", p.Status, p.Location())
	return p, false
}

// SignedIn reports whether c is signed in: /account/manage answers 200 or
// sends it to the login page.
func (c *Client) SignedIn() bool {
	c.t.Helper()
	_, in := c.manage()
	return in
}

// WhoAmI is the signed-in user's username, as the profile page's username
// field holds it, or "" when c is not signed in. (The header's manage link
// shows only the part before the "@" of an address username.)
func (c *Client) WhoAmI() string {
	c.t.Helper()
	p, in := c.manage()
	if !in {
		return ""
	}
	if p.Text(c.t, `[data-testid="manage-link"]`) == "" {
		c.t.Fatalf("/account/manage: 200 without a manage-link:\n%s", p.Body)
	}
	name, _ := p.Doc(c.t).Find(`input[name="username"]`).First().Attr("value")
	if name == "" {
		c.t.Fatalf("/account/manage: 200 without a username field:\n%s", p.Body)
	}
	return name
}

// ReauthURL is where a stale sign-in is sent to come back to returnPath.
func ReauthURL(returnPath string) string {
	return "/account/reauthenticate?" + url.Values{"returnUrl": {returnPath}}.Encode()
}

// Reauth submits the re-authentication form at reauthURL with password
// and, when not "", the authenticator code.
func (c *Client) Reauth(reauthURL, password, code string) *Page {
	c.t.Helper()
	fields := map[string]string{"password": password}
	if code != "" {
		fields["code"] = code
	}
	return c.Submit(reauthURL, "#reauth-form", fields)
}

// TOTP is the authenticator code of the base32 key at the time at.
func TOTP(t testing.TB, key string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(key, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatalf("totp code of %q: %v", key, err)
	}
	return code
}
