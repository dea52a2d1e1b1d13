package tests

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	_ "github.com/mattn/go-sqlite3" // countUsers reads the test database

	"github.com/accountportal/portal"
)

// noConfirmation turns off --require-confirmed-email.
func noConfirmation(cfg *portal.Config) { cfg.RequireConfirmedEmail = false }

// wantStatus fails the test when p's status is not want.
func wantStatus(t testing.TB, p *page, want int) {
	t.Helper()
	if got := p.Status; got != want {
		t.Fatalf("%s: status=%d, want %d; body:\n%s", p.URL, got, want, p.Body)
	}
}

// wantRedirect fails the test unless p is a 303 to exactly location.
func wantRedirect(t testing.TB, p *page, location string) {
	t.Helper()
	wantStatus(t, p, http.StatusSeeOther)
	if got, want := p.Location(), location; got != want {
		t.Fatalf("%s: Location=%q, want %q", p.URL, got, want)
	}
}

// wantLoginRedirect fails the test unless p sends an anonymous visitor of
// returnPath to the login page.
func wantLoginRedirect(t testing.TB, p *page, returnPath string) {
	t.Helper()
	wantRedirect(t, p, "/account/login?"+url.Values{"returnUrl": {returnPath}}.Encode())
}

// submitRegister posts the register form without asserting the outcome.
func submitRegister(c *client, email, password, confirm string) *page {
	c.t.Helper()
	return c.Submit("/account/register", "#register-form", map[string]string{
		"email": email, "password": password, "confirm_password": confirm,
	})
}

// fieldError returns the validation message shown for field, or "".
func fieldError(t testing.TB, p *page, field string) string {
	t.Helper()
	return p.Text(t, "#f-"+field+"-error.field-error")
}

// countUsers counts the rows of the users table (gray box), optionally
// only those with the normalized email.
func countUsers(t testing.TB, srv *testServer, normalizedEmail string) int {
	t.Helper()
	db := grayDB(t, srv, true)
	q, args := "SELECT COUNT(*) FROM users", []any{}
	if normalizedEmail != "" {
		q, args = q+" WHERE normalized_email = ?", []any{normalizedEmail}
	}
	var n int
	if err := db.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("count users: %v", err)
	}
	return n
}

// mailsWithSubject returns the messages to addr whose subject contains substr.
func mailsWithSubject(t testing.TB, srv *testServer, addr, substr string) []mailMessage {
	t.Helper()
	var out []mailMessage
	for _, m := range srv.MailsTo(t, addr) {
		if strings.Contains(m.Subject, substr) {
			out = append(out, m)
		}
	}
	return out
}

// confirmWithMail follows the confirmation link in m and presses the button.
func confirmWithMail(t testing.TB, c *client, m mailMessage) {
	t.Helper()
	p := c.Submit(m.Link(t, "/account/confirm-email"), "#confirm-email-form", nil)
	wantStatus(t, p, http.StatusSeeOther)
}

// headerNames are the sorted names of h without Date (docs/security.md, Alike responses).
func headerNames(h http.Header) []string {
	var names []string
	for k := range h {
		if k != "Date" {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	return names
}

// TestRegisterWithConfirmation: a new account must confirm its address
// before it can sign in; until then login fails like a wrong password
// (docs/security.md decision 3, AUTH-01).
func TestRegisterWithConfirmation(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	const email, pw = "alice@example.com", "correct horse battery"

	c := newClient(t, srv)
	p := submitRegister(c, email, pw, pw)
	wantRedirect(t, p, "/account/register-confirmation")
	if got := c.Cookie(sessionCookie); got != "" {
		t.Errorf("registration with confirmation on set a session cookie %q; the visitor must not be signed in", got)
	}
	p = c.Follow(p)
	wantStatus(t, p, http.StatusOK)
	if !p.Has(t, "[data-testid=register-confirmation]") {
		t.Errorf("register-confirmation page lacks [data-testid=register-confirmation]:\n%s", p.Body)
	}

	mails := srv.MailsTo(t, email)
	if got, want := len(mails), 1; got != want {
		t.Fatalf("mails to %s=%d, want %d", email, got, want)
	}
	if got := mails[0].Subject; !strings.Contains(strings.ToLower(got), "confirm") {
		t.Errorf("confirmation mail subject=%q, want it to mention confirming", got)
	}
	link := mails[0].Link(t, "/account/confirm-email")
	if !strings.HasPrefix(link, srv.URL+"/account/confirm-email?") {
		t.Errorf("confirmation link=%q, want it on the base URL %s", link, srv.URL)
	}

	// Not confirmed yet: the right password fails exactly like a wrong one.
	unconfirmed := newClient(t, srv).Login(email, pw, false)
	wrong := newClient(t, srv).Login(email, "wrong horse battery", false)
	for _, q := range []*page{unconfirmed, wrong} {
		wantStatus(t, q, http.StatusUnprocessableEntity)
		if got, want := q.Text(t, ".form-error"), "Invalid login attempt."; got != want {
			t.Errorf(".form-error=%q, want %q", got, want)
		}
	}
	if got, want := maskedBody(t, unconfirmed), maskedBody(t, wrong); got != want {
		t.Errorf("unconfirmed login and wrong password differ (AUTH-01):\n--- unconfirmed\n%s\n--- wrong password\n%s", got, want)
	}

	c.ConfirmEmail(email)
	p = c.Login(email, pw, false)
	wantRedirect(t, p, "/")
	wantStatus(t, c.Get("/account/manage"), http.StatusOK)
}

// TestRegisterWithoutConfirmationSignsIn: with --require-confirmed-email
// false the new account is signed in at once.
func TestRegisterWithoutConfirmationSignsIn(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, noConfirmation)
	c := newClient(t, srv)
	p := submitRegister(c, "bob@example.com", "correct horse battery", "correct horse battery")
	wantRedirect(t, p, "/")
	p = c.Get("/account/manage")
	wantStatus(t, p, http.StatusOK)
	if got, want := p.Text(t, "[data-testid=email]"), "bob@example.com"; !strings.HasPrefix(got, want) {
		t.Errorf("manage email=%q, want it to start with %q", got, want)
	}
}

// TestRegisterMismatchedConfirmation: 422, the error beside
// confirm_password, the typed email kept and no password echoed.
func TestRegisterMismatchedConfirmation(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	c := newClient(t, srv)
	const email = "carol@example.com"
	p := submitRegister(c, email, "correct horse battery", "correct horse battery!")
	wantStatus(t, p, http.StatusUnprocessableEntity)
	if got := fieldError(t, p, "confirm_password"); got == "" {
		t.Errorf("no .field-error for confirm_password:\n%s", p.Body)
	}
	if got, want := p.Doc(t).Find("#register-form input[name=email]").AttrOr("value", ""), email; got != want {
		t.Errorf("email input value=%q, want %q (keep what the user typed)", got, want)
	}
	p.Doc(t).Find("#register-form input[type=password]").Each(func(_ int, s *goquery.Selection) {
		if v := s.AttrOr("value", ""); v != "" {
			t.Errorf("a password input echoes %q", v)
		}
	})
	if got := countUsers(t, srv, ""); got != 0 {
		t.Errorf("users=%d after a failed registration, want 0", got)
	}
}

// TestRegisterWeakPassword: the policy of docs/security.md decision 1, with a
// message that names the reason (PWD-01, PWD-03).
func TestRegisterWeakPassword(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	const email = "dave@example.com"
	for _, tc := range []struct {
		name, password, reason string
	}{
		{"PWD-01 too short", "Tr0ub4d", "at least 8"},
		{"PWD-03 common", "password123", "common"},
		{"PWD-03 contains the email", "my-" + email + "-pass", "email"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, srv)
			p := submitRegister(c, email, tc.password, tc.password)
			wantStatus(t, p, http.StatusUnprocessableEntity)
			msg := fieldError(t, p, "password")
			if !strings.Contains(strings.ToLower(msg), tc.reason) {
				t.Errorf("password .field-error=%q, want it to contain %q", msg, tc.reason)
			}
		})
	}
	if got := countUsers(t, srv, ""); got != 0 {
		t.Errorf("users=%d, want 0", got)
	}
	if got := len(srv.Mails(t)); got != 0 {
		t.Errorf("mails=%d, want 0", got)
	}
}

// TestRegisterInvalidEmail: one plain address, with a dotted domain and no
// display name.
func TestRegisterInvalidEmail(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	for _, email := range []string{"not-an-email", "a@b", "Alice <a@example.com>"} {
		t.Run(email, func(t *testing.T) {
			c := newClient(t, srv)
			p := submitRegister(c, email, "correct horse battery", "correct horse battery")
			wantStatus(t, p, http.StatusUnprocessableEntity)
			if got := fieldError(t, p, "email"); got == "" {
				t.Errorf("no .field-error for email:\n%s", p.Body)
			}
		})
	}
	if got := countUsers(t, srv, ""); got != 0 {
		t.Errorf("users=%d, want 0", got)
	}
	if got := len(srv.Mails(t)); got != 0 {
		t.Errorf("mails=%d, want 0", got)
	}
}

// TestRegisterDuplicateRevealsNothing (REG-01, REG-02): with confirmation
// on, registering a taken address (in any case) answers exactly like a new
// one, creates nothing and tells the owner by mail.
func TestRegisterDuplicateRevealsNothing(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	const email, pw = "alice@example.com", "correct horse battery"

	fresh := submitRegister(newClient(t, srv), email, pw, pw)
	wantRedirect(t, fresh, "/account/register-confirmation")
	user, err := srv.Portal.Identity().FindUserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}

	for _, dup := range []string{email, "ALICE@Example.com"} {
		p := submitRegister(newClient(t, srv), dup, "another fine passphrase", "another fine passphrase")
		if got, want := p.Status, fresh.Status; got != want {
			t.Errorf("register %s: status=%d, want %d as for a new address", dup, got, want)
		}
		if got, want := p.Location(), fresh.Location(); got != want {
			t.Errorf("register %s: Location=%q, want %q as for a new address", dup, got, want)
		}
		if got, want := headerNames(p.Header), headerNames(fresh.Header); !slices.Equal(got, want) {
			t.Errorf("register %s: headers=%v, want %v as for a new address", dup, got, want)
		}
		if got, want := p.Body, fresh.Body; got != want {
			t.Errorf("register %s: body=%q, want %q as for a new address", dup, got, want)
		}
	}

	if got, want := countUsers(t, srv, "alice@example.com"), 1; got != want {
		t.Errorf("accounts for alice@example.com=%d, want %d", got, want)
	}
	if got, want := countUsers(t, srv, ""), 1; got != want {
		t.Errorf("accounts=%d, want %d", got, want)
	}
	if got, want := len(mailsWithSubject(t, srv, email, "tried to register")), 2; got != want {
		t.Errorf(`"tried to register" mails to the owner=%d, want %d; mails: %+v`, got, want, srv.Mails(t))
	}
	if got, want := len(srv.Mails(t)), 3; got != want {
		t.Errorf("mails=%d, want %d (1 confirmation + 2 notices)", got, want)
	}

	// The original account is untouched: same id, the old password works
	// and the one from the duplicate attempts does not.
	c := newClient(t, srv)
	confirms := mailsWithSubject(t, srv, email, "Confirm")
	if got, want := len(confirms), 1; got != want {
		t.Fatalf("confirmation mails=%d, want %d", got, want)
	}
	confirmWithMail(t, c, confirms[0])
	wantStatus(t, newClient(t, srv).Login(email, "another fine passphrase", false), http.StatusUnprocessableEntity)
	wantRedirect(t, c.Login(email, pw, false), "/")
	again, err := srv.Portal.Identity().FindUserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := again.ID, user.ID; got != want {
		t.Errorf("user id=%q, want %q (unchanged)", got, want)
	}
}

// TestRegisterDuplicateWithoutConfirmation: without confirmation the new
// account would be signed in at once, so a taken address is a plain
// field error.
func TestRegisterDuplicateWithoutConfirmation(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, noConfirmation)
	const pw = "correct horse battery"
	srv.SignedUp(t, "alice@example.com", pw)
	for _, dup := range []string{"alice@example.com", "ALICE@Example.com"} {
		c := newClient(t, srv)
		p := submitRegister(c, dup, pw, pw)
		wantStatus(t, p, http.StatusUnprocessableEntity)
		if got := fieldError(t, p, "email"); got == "" {
			t.Errorf("register %s: no .field-error for email:\n%s", dup, p.Body)
		}
		if got := c.Cookie(sessionCookie); got != "" {
			t.Errorf("register %s: a session cookie was set", dup)
		}
	}
	if got, want := countUsers(t, srv, ""), 1; got != want {
		t.Errorf("accounts=%d, want %d", got, want)
	}
}
