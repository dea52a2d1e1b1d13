package tests

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	_ "github.com/mattn/go-sqlite3" // gray-box reads and writes of the test database

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/internal/portaltest"
)

// This file: the profile page, change password and set password of
// "Manage your account", and the layout every manage page shares. Helpers
// new in this file start with mg (manage) to stay clear of the other
// files of package tests.

const (
	mgPassword    = "correct horse battery"
	mgNewPassword = "purple staple orbit lantern"
	mgChangedMail = "password was changed" // subject: "Your Portal password was changed"
)

// mgUserRow reads every column of the user with the normalized email
// (gray box), as strings; NULL is "<nil>".
func mgUserRow(t testing.TB, srv *portaltest.Server, normalizedEmail string) map[string]string {
	t.Helper()
	rows, err := srv.GrayDB(t, false).QueryContext(context.Background(), "SELECT * FROM users WHERE normalized_email = ?", normalizedEmail)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	if !rows.Next() {
		t.Fatalf("no user row for %s (err %v)", normalizedEmail, rows.Err())
	}
	vals := make([]sql.NullString, len(cols))
	dest := make([]any, len(cols))
	for i := range vals {
		dest[i] = &vals[i]
	}
	if err := rows.Scan(dest...); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for i, c := range cols {
		out[c] = "<nil>"
		if vals[i].Valid {
			out[c] = vals[i].String
		}
	}
	return out
}

// mgRemovePassword turns a registered account into one without a
// password (gray box). It stands in for an account that signs in only
// with an external login until external logins exist.
func mgRemovePassword(t testing.TB, srv *portaltest.Server, normalizedEmail string) {
	t.Helper()
	res, err := srv.GrayDB(t, false).ExecContext(context.Background(), "UPDATE users SET password_hash = '' WHERE normalized_email = ?", normalizedEmail)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("removing the password of %s changed %d rows, want 1", normalizedEmail, n)
	}
}

// mgInputValue is the value attribute of input[name=name] on p.
func mgInputValue(t testing.TB, p *portaltest.Page, name string) string {
	t.Helper()
	in := p.Doc(t).Find("input[name=" + name + "]")
	if in.Length() == 0 {
		t.Fatalf("%s: no input %s:\n%s", p.URL, name, p.Body)
	}
	v, _ := in.First().Attr("value")
	return v
}

// TestManageProfileShowsForm: the profile form is prefilled with the
// username (the email address after registration) and has a phone field.
func TestManageProfileShowsForm(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "alice@example.com"
	c := srv.SignedUp(t, email, mgPassword)

	p := c.Get("/account/manage")
	portaltest.WantStatus(t, p, http.StatusOK)
	if !p.Has(t, "form#profile-form") {
		t.Fatalf("no #profile-form:\n%s", p.Body)
	}
	if got, want := mgInputValue(t, p, "username"), email; got != want {
		t.Errorf("username input=%q, want %q", got, want)
	}
	phone := p.Doc(t).Find("#profile-form input[name=phone_number]")
	if phone.Length() != 1 {
		t.Fatalf("#profile-form has %d phone_number inputs, want 1", phone.Length())
	}
	if v, _ := phone.Attr("value"); v != "" {
		t.Errorf("phone_number of a new account=%q, want empty", v)
	}
	if got := p.Text(t, "[data-testid=email]"); !strings.HasPrefix(got, email) {
		t.Errorf("[data-testid=email]=%q, want %q", got, email)
	}
	if f := p.Form(t, "#profile-form"); f.Action != "/account/manage" || f.Values.Get("_csrf") == "" {
		t.Errorf("#profile-form action=%q _csrf=%q, want /account/manage and a token", f.Action, f.Values.Get("_csrf"))
	}
}

// TestManageProfileUpdate: a valid username and phone are saved (the phone
// normalised to E.164), the one-shot status message shows, and — neither
// being a credential — the security stamp stays, so another browser stays
// signed in.
func TestManageProfileUpdate(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "alice@example.com"
	a := srv.SignedUp(t, email, mgPassword)
	b := srv.SignIn(t, email, mgPassword, false)
	before := mgUserRow(t, srv, email)

	p := a.Submit("/account/manage", "#profile-form", map[string]string{
		"username": "alice_w", "phone_number": "+41 79 123 45 67",
	})
	portaltest.WantRedirect(t, p, "/account/manage")
	p = a.Follow(p)
	portaltest.WantStatusMessage(t, p)
	if got, want := mgInputValue(t, p, "username"), "alice_w"; got != want {
		t.Errorf("username after saving=%q, want %q", got, want)
	}
	// Stored in E.164 (below), shown grouped (issue 18 item 17).
	if got, want := mgInputValue(t, p, "phone_number"), "+41 79 123 45 67"; got != want {
		t.Errorf("phone_number after saving=%q, want it grouped %q", got, want)
	}
	if got, want := p.Text(t, "[data-testid=manage-link]"), "alice_w"; got != want {
		t.Errorf("header account name=%q, want the new username %q", got, want)
	}
	// One-shot: the next view has no status message.
	if again := a.Get("/account/manage"); again.Has(t, "#status-message") {
		t.Errorf("the status message showed twice: %q", again.Text(t, "#status-message"))
	}

	after := mgUserRow(t, srv, email)
	if got, want := after["phone_number"], "+41791234567"; got != want {
		t.Errorf("(gray) phone_number=%q, want %q", got, want)
	}
	if got, want := after["normalized_username"], "alice_w"; got != want {
		t.Errorf("(gray) normalized_username=%q, want %q", got, want)
	}
	if after["security_stamp"] != before["security_stamp"] {
		t.Errorf("(gray) saving the profile rotated the security stamp; username and phone are not credentials")
	}
	if !b.SignedIn() {
		t.Errorf("saving the profile signed out another browser of the same user")
	}
	if !a.SignedIn() {
		t.Errorf("saving the profile signed out this browser")
	}
	// Sign-in stays by email.
	if !srv.CanLogin(t, email, mgPassword) {
		t.Errorf("after changing the username, sign-in with the email fails")
	}
}

// TestManageProfileRejects: a taken username (in any case), a malformed
// phone number and an empty or malformed username are 422 with the
// message beside the field, and nothing is saved.
func TestManageProfileRejects(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "alice@example.com"
	a := srv.SignedUp(t, email, mgPassword)
	bob := srv.SignedUp(t, "bob@example.com", mgPassword)
	srv.SignedUp(t, "carol@example.com", mgPassword) // keeps her address as username
	portaltest.WantRedirect(t, bob.Submit("/account/manage", "#profile-form", map[string]string{"username": "Bobby", "phone_number": ""}), "/account/manage")

	cases := []struct {
		name, username, phone, field string
	}{
		{"taken username, other case", "bOBBY", "", "username"},
		{"taken username, exact", "Bobby", "", "username"},
		{"another user's default username (their email), other case", "CAROL@Example.com", "", "username"},
		{"phone without country code", "alice", "079 123", "phone_number"},
		{"phone with letters", "alice", "+41 79 ABC 45 67", "phone_number"},
		{"phone too short", "alice", "+41 79", "phone_number"},
		{"empty username", "", "", "username"},
		{"blank username", "   ", "", "username"},
		{"username with a space", "alice smith", "", "username"},
		{"username of one character", "a", "", "username"},
	}
	before := mgUserRow(t, srv, email)
	for _, tc := range cases {
		p := a.Submit("/account/manage", "#profile-form", map[string]string{"username": tc.username, "phone_number": tc.phone})
		if p.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s: status=%d, want 422 (Location %q)", tc.name, p.Status, p.Location())
			continue
		}
		if msg := portaltest.FieldError(t, p, tc.field); msg == "" {
			t.Errorf("%s: no .field-error on %s:\n%s", tc.name, tc.field, p.Body)
		}
		if p.Has(t, "#status-message") {
			t.Errorf("%s: a 422 shows a success status message %q", tc.name, p.Text(t, "#status-message"))
		}
		if got := mgInputValue(t, p, "phone_number"); got != tc.phone {
			t.Errorf("%s: the form lost what was typed: phone_number=%q, want %q", tc.name, got, tc.phone)
		}
	}
	after := mgUserRow(t, srv, email)
	for _, col := range []string{"username", "normalized_username", "phone_number", "security_stamp"} {
		if before[col] != after[col] {
			t.Errorf("(gray) rejected profile posts changed %s: %q -> %q", col, before[col], after[col])
		}
	}
	if got, want := mgUserRow(t, srv, "bob@example.com")["username"], "Bobby"; got != want {
		t.Errorf("(gray) bob's username=%q, want %q", got, want)
	}
}

// TestManageProfileUsernameDoesNotBlockRegistration: usernames and email
// addresses share one uniqueness rule (a new account's username is its
// address), so a username that is somebody else's address must not stop
// that person from registering it.
func TestManageProfileUsernameDoesNotBlockRegistration(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts []func(*portal.Config)
	}{
		{"confirmation required", nil},
		{"no confirmation", []func(*portal.Config){noConfirmation}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := portaltest.NewServer(t, tc.opts...)
			a := srv.SignedUp(t, "alice@example.com", mgPassword)
			const victim = "carol@example.com"
			// Either the profile refuses the address as a username, or
			// registration copes with it; either way carol can register.
			p := a.Submit("/account/manage", "#profile-form", map[string]string{"username": victim})
			switch p.Status {
			case http.StatusSeeOther:
			case http.StatusUnprocessableEntity:
				portaltest.WantFieldError(t, p, "username")
			default:
				t.Fatalf("profile with username %s: status=%d, want 303 or 422", victim, p.Status)
			}

			p = submitRegister(portaltest.NewClient(t, srv), victim, mgPassword, mgPassword)
			if p.Status != http.StatusSeeOther {
				t.Fatalf("registering %s, an address no account has (alice only uses it as her username): status=%d, want 303; .field-error=%q",
					victim, p.Status, p.Text(t, ".field-error"))
			}
			if got := srv.CountUsers(t, victim); got != 1 {
				t.Fatalf("(gray) %d accounts for %s after registering, want 1", got, victim)
			}
		})
	}
}

// mgDupDescribedBy finds an input tag with two aria-describedby
// attributes in raw HTML (a parser keeps only the first).
var mgDupDescribedBy = regexp.MustCompile(`<input[^>]*\saria-describedby="[^"]*"[^>]*\saria-describedby=`)

// TestManageFormsValidHTML: the manage forms' inputs carry no stray
// attributes and at most one aria-describedby, also when a field shows
// both a hint and an error (the 422 pages), and every id it names exists.
func TestManageFormsValidHTML(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	c := srv.SignedUp(t, "alice@example.com", mgPassword)
	pages := []struct {
		name string
		p    *portaltest.Page
	}{
		{"profile", c.Get("/account/manage")},
		{"profile 422", c.Submit("/account/manage", "#profile-form", map[string]string{"username": "", "phone_number": "079 123"})},
		{"change-password", c.Get("/account/manage/change-password")},
		{"change-password 422", mgChangePassword(c, mgPassword, "short", "short")},
		{"email", c.Get("/account/manage/email")},
		{"reauthenticate", c.Get(portaltest.ReauthURL("/account/manage/email"))},
		{"reauthenticate 422", c.Reauth(portaltest.ReauthURL("/account/manage/email"), "wrong horse battery", "")},
	}
	for _, pg := range pages {
		var stray []string
		pg.p.Doc(t).Find("input").Each(func(_ int, in *goquery.Selection) {
			name := in.AttrOr("name", "?")
			if _, ok := in.Attr("else"); ok {
				stray = append(stray, name)
			}
			for _, r := range strings.Fields(in.AttrOr("aria-describedby", "")) {
				if pg.p.Doc(t).Find("#"+r).Length() == 0 {
					t.Errorf("%s: input %s aria-describedby names a missing #%s", pg.name, name, r)
				}
			}
		})
		if len(stray) > 0 {
			t.Errorf("%s: inputs %v have a stray \"else\" attribute", pg.name, stray)
		}
		if m := mgDupDescribedBy.FindString(pg.p.Body); m != "" {
			t.Errorf("%s: an input has two aria-describedby attributes: %s", pg.name, m)
		}
	}
}

// TestManageProfileMassAssignment (ACC-02): extra fields posted with the
// profile form are ignored; only username and phone change.
func TestManageProfileMassAssignment(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t, noConfirmation) // the account's address stays unconfirmed
	const email = "alice@example.com"
	a := srv.SignedUp(t, email, mgPassword)
	srv.SignedUp(t, "bob@example.com", mgPassword)
	bobID := srv.UserID(t, "bob@example.com")
	beforeA, beforeB := mgUserRow(t, srv, email), mgUserRow(t, srv, "bob@example.com")

	p := a.Get("/account/manage")
	portaltest.WantStatus(t, p, http.StatusOK)
	f := p.Form(t, "#profile-form")
	f.Set("username", "alice2").Set("phone_number", "+41 79 123 45 67")
	for k, v := range map[string]string{
		"email": "evil@x.example", "Email": "evil@x.example", "normalized_email": "evil@x.example", "new_email": "evil@x.example",
		"email_confirmed": "1", "EmailConfirmed": "true", "id": bobID, "user_id": bobID, "ID": bobID,
		"password_hash": "$argon2id$v=19$m=1024,t=1,p=1$AAAA$AAAA", "PasswordHash": "x",
		"security_stamp": "attacker", "two_factor_enabled": "1", "access_failed_count": "99",
		"lockout_end": "2999-01-01T00:00:00Z", "role": "admin", "created_at": "2000-01-01T00:00:00Z",
	} {
		f.Set(k, v)
	}
	portaltest.WantRedirect(t, a.Post(f.Action, f.Values), "/account/manage")

	p = a.Get("/account/manage")
	portaltest.WantStatus(t, p, http.StatusOK)
	if got := p.Text(t, "[data-testid=email]"); !strings.HasPrefix(got, email) || strings.Contains(got, "evil") {
		t.Errorf("email on the page=%q, want %q", got, email)
	}
	if got := p.Doc(t).Find("[data-testid=email] .badge").Text(); !strings.Contains(got, "not confirmed") {
		t.Errorf("confirmation badge=%q, want \"not confirmed\"", got)
	}

	afterA := mgUserRow(t, srv, email)
	changed := map[string]bool{"username": true, "normalized_username": true, "phone_number": true, "updated_at": true}
	for col, was := range beforeA {
		if got := afterA[col]; got != was && !changed[col] {
			t.Errorf("(gray) ACC-02: column %s changed %q -> %q", col, was, got)
		}
	}
	if got, want := afterA["username"], "alice2"; got != want {
		t.Errorf("(gray) username=%q, want %q", got, want)
	}
	if got := srv.CountUsers(t, "evil@x.example"); got != 0 {
		t.Errorf("(gray) %d users now have evil@x.example", got)
	}
	afterB := mgUserRow(t, srv, "bob@example.com")
	for col, was := range beforeB {
		if got := afterB[col]; got != was {
			t.Errorf("(gray) ACC-02: id=<bob> changed bob's %s %q -> %q", col, was, got)
		}
	}
	if !srv.CanLogin(t, email, mgPassword) {
		t.Errorf("alice cannot sign in with her password after the post")
	}
}

// mgChangePassword submits the change-password form of c.
func mgChangePassword(c *portaltest.Client, old, newPw, confirm string) *portaltest.Page {
	c.T().Helper()
	return c.Submit("/account/manage/change-password", "#change-password-form", map[string]string{
		"old_password": old, "new_password": newPw, "confirm_password": confirm,
	})
}

// TestManageChangePassword (PWD-05, AUTH-05, SES-03, ACC-04): with the
// current password the change succeeds; this browser stays signed in with
// a new session token, every other session ends at once, only the new
// password signs in, and a notification without the password is mailed.
func TestManageChangePassword(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "alice@example.com"
	a := srv.SignedUp(t, email, mgPassword)
	b := srv.SignIn(t, email, mgPassword, false)
	other := srv.SignedUp(t, "bob@example.com", mgPassword)

	p := a.Get("/account/manage/change-password")
	portaltest.WantStatus(t, p, http.StatusOK)
	for _, name := range []string{"old_password", "new_password", "confirm_password"} {
		in := p.Doc(t).Find("#change-password-form input[name=" + name + "]")
		if typ, _ := in.Attr("type"); typ != "password" {
			t.Errorf("%s: type=%q, want password", name, typ)
		}
	}

	oldToken := a.Cookie(portaltest.SessionCookie)
	p = mgChangePassword(a, mgPassword, mgNewPassword, mgNewPassword)
	portaltest.WantRedirect(t, p, "/account/manage/change-password")
	newToken := a.Cookie(portaltest.SessionCookie)
	if newToken == "" || newToken == oldToken {
		t.Errorf("AUTH-05: session cookie after the change=%q, want a new value (before %q)", newToken, oldToken)
	}
	done := a.Follow(p)
	portaltest.WantStatusMessage(t, done)
	if !done.Has(t, "#change-password-form") {
		t.Errorf("after the change the change-password page has no form:\n%s", done.Body)
	}

	if !a.SignedIn() {
		t.Fatalf("the browser that changed the password was signed out")
	}
	// SES-03: the other browser is anonymous at its very next request.
	portaltest.WantLoginRedirect(t, b.Get("/account/manage"), "/account/manage")
	// AUTH-05: the token from before the change is dead.
	replay := portaltest.NewClient(t, srv)
	replay.SetCookie(portaltest.SessionCookie, oldToken)
	portaltest.WantLoginRedirect(t, replay.Get("/account/manage"), "/account/manage")
	// Another user is not affected.
	if !other.SignedIn() {
		t.Errorf("changing alice's password signed bob out")
	}

	if srv.CanLogin(t, email, mgPassword) {
		t.Errorf("the old password still signs in")
	}
	if !srv.CanLogin(t, email, mgNewPassword) {
		t.Errorf("the new password does not sign in")
	}

	mails := srv.MailsWith(t, email, mgChangedMail)
	if got, want := len(mails), 1; got != want {
		t.Fatalf("%q mails to %s=%d, want %d (all: %v)", mgChangedMail, email, got, want, portaltest.Subjects(srv.MailsTo(t, email)))
	}
	for _, secret := range []string{mgNewPassword, mgPassword} {
		if strings.Contains(mails[0].Text, secret) || strings.Contains(mails[0].HTML, secret) || strings.Contains(mails[0].Subject, secret) {
			t.Errorf("the notification contains a password %q", secret)
		}
	}
	if got := srv.MailsWith(t, "bob@example.com", mgChangedMail); len(got) != 0 {
		t.Errorf("bob got %d %q mails", len(got), mgChangedMail)
	}
}

// TestManageChangePasswordRejects (PWD-05): without or with a mismatched
// confirmation, a weak new password or the current one again, the change
// is refused with the message beside the field, nothing changes and no
// password is echoed back.
func TestManageChangePasswordRejects(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "alice@example.com"
	a := srv.SignedUp(t, email, mgPassword)
	b := srv.SignIn(t, email, mgPassword, false)
	stamp := mgUserRow(t, srv, email)["security_stamp"]

	cases := []struct {
		name, old, newPw, confirm, field string
	}{
		{"no current password", "", mgNewPassword, mgNewPassword, "old_password"},
		{"mismatched confirmation", mgPassword, mgNewPassword, mgNewPassword + "x", "confirm_password"},
		{"empty confirmation", mgPassword, mgNewPassword, "", "confirm_password"},
		{"too short", mgPassword, "short", "short", "new_password"},
		{"common password", mgPassword, "password", "password", "new_password"},
		{"contains the email", mgPassword, email + "1", email + "1", "new_password"},
		{"same as the current one", mgPassword, mgPassword, mgPassword, "new_password"},
	}
	for _, tc := range cases {
		p := mgChangePassword(a, tc.old, tc.newPw, tc.confirm)
		if p.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s: status=%d, want 422 (Location %q)", tc.name, p.Status, p.Location())
			continue
		}
		if msg := portaltest.FieldError(t, p, tc.field); msg == "" {
			t.Errorf("%s: no .field-error on %s:\n%s", tc.name, tc.field, p.Body)
		}
		if p.Has(t, "#status-message") {
			t.Errorf("%s: a 422 shows a status message %q", tc.name, p.Text(t, "#status-message"))
		}
		p.Doc(t).Find("input[type=password]").Each(func(_ int, s *goquery.Selection) {
			if v, ok := s.Attr("value"); ok && v != "" {
				n, _ := s.Attr("name")
				t.Errorf("%s: the 422 page echoes the password field %s", tc.name, n)
			}
		})
	}
	if got := mgUserRow(t, srv, email)["security_stamp"]; got != stamp {
		t.Errorf("(gray) a refused change rotated the security stamp")
	}
	if !b.SignedIn() {
		t.Errorf("a refused change signed another browser out")
	}
	if !a.SignedIn() {
		t.Errorf("a refused change signed this browser out")
	}
	if !srv.CanLogin(t, email, mgPassword) {
		t.Errorf("after refused changes the password no longer signs in")
	}
	if got := srv.MailsWith(t, email, mgChangedMail); len(got) != 0 {
		t.Errorf("refused changes sent %d %q mails", len(got), mgChangedMail)
	}
}

// TestManageChangePasswordWrongCurrentLocksOut (PWD-05, AUTH-03): a wrong
// current password is 422 on old_password and counts towards the lockout:
// after 5, even the right password cannot sign in — with the generic
// answer — until the lockout has passed.
func TestManageChangePasswordWrongCurrentLocksOut(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "alice@example.com"
	a := srv.SignedUp(t, email, mgPassword)

	for i := range 5 {
		p := mgChangePassword(a, "wrong horse battery", mgNewPassword, mgNewPassword)
		if p.Status != http.StatusUnprocessableEntity {
			t.Fatalf("wrong current password #%d: status=%d, want 422 (Location %q)", i+1, p.Status, p.Location())
		}
		if msg := portaltest.FieldError(t, p, "old_password"); msg == "" {
			t.Fatalf("wrong current password #%d: no .field-error on old_password:\n%s", i+1, p.Body)
		}
	}
	// Locked: the right password fails from a fresh browser, saying so
	// (AUTH-03, issue 17 item 7).
	wantLockedOut(t, portaltest.NewClient(t, srv).Login(email, mgPassword, false), 5)
	// ... and the right current password cannot change it either.
	portaltest.WantFieldError(t, mgChangePassword(a, mgPassword, mgNewPassword, mgNewPassword), "old_password")

	srv.Clock.Advance(4 * time.Minute)
	wantLockedOut(t, portaltest.NewClient(t, srv).Login(email, mgPassword, false), 1)
	srv.Clock.Advance(time.Minute + time.Second)
	if !srv.CanLogin(t, email, mgPassword) {
		t.Errorf("5 min 1 s after the lockout, the (unchanged) password does not sign in")
	}
	if srv.CanLogin(t, email, mgNewPassword) {
		t.Errorf("the password was changed although the current password was wrong")
	}
	if got := srv.MailsWith(t, email, mgChangedMail); len(got) != 0 {
		t.Errorf("wrong current passwords sent %d %q mails", len(got), mgChangedMail)
	}
}

// TestManageSetPassword: set-password is for accounts without a password
// only. An account with one is sent to change-password (GET and POST,
// which changes nothing); an account without one (the gray-box stand-in
// for an external-login-only account) is sent from change-password to
// set-password, sets one there, and can then sign in with it.
func TestManageSetPassword(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)

	t.Run("account with a password", func(t *testing.T) {
		const email = "alice@example.com"
		a := srv.SignedUp(t, email, mgPassword)
		portaltest.WantRedirect(t, a.Get("/account/manage/set-password"), "/account/manage/change-password")
		p := a.PostFrom("/account/manage/change-password", "/account/manage/set-password", url.Values{"new_password": {mgNewPassword}, "confirm_password": {mgNewPassword}})
		portaltest.WantRedirect(t, p, "/account/manage/change-password")
		if !srv.CanLogin(t, email, mgPassword) || srv.CanLogin(t, email, mgNewPassword) {
			t.Errorf("POST set-password changed the password of an account that has one, without the current password")
		}
	})

	t.Run("account without a password", func(t *testing.T) {
		const email = "bob@example.com"
		c := srv.SignedUp(t, email, mgPassword)
		other := srv.SignIn(t, email, mgPassword, false)
		// Stand-in for an account that signs in only with an external
		// login, until external logins exist.
		mgRemovePassword(t, srv, email)

		portaltest.WantRedirect(t, c.Get("/account/manage/change-password"), "/account/manage/set-password")
		p := c.Get("/account/manage/set-password")
		portaltest.WantStatus(t, p, http.StatusOK)
		if !p.Has(t, "form#set-password-form") || p.Has(t, "input[name=old_password]") {
			t.Fatalf("set-password page: want #set-password-form without old_password:\n%s", p.Body)
		}
		if got := p.Doc(t).Find("nav.manage-nav a[aria-current=page]").AttrOr("href", ""); got != "/account/manage/change-password" {
			t.Errorf("set-password page: current nav entry=%q, want the Password entry", got)
		}

		portaltest.WantFieldError(t, c.Submit("/account/manage/set-password", "#set-password-form", map[string]string{
			"new_password": "short", "confirm_password": "short"}), "new_password")
		portaltest.WantFieldError(t, c.Submit("/account/manage/set-password", "#set-password-form", map[string]string{
			"new_password": mgNewPassword, "confirm_password": mgNewPassword + "x"}), "confirm_password")

		oldToken := c.Cookie(portaltest.SessionCookie)
		p = c.Submit("/account/manage/set-password", "#set-password-form", map[string]string{
			"new_password": mgNewPassword, "confirm_password": mgNewPassword})
		portaltest.WantStatus(t, p, http.StatusSeeOther)
		if got := c.Cookie(portaltest.SessionCookie); got == "" || got == oldToken {
			t.Errorf("AUTH-05: session cookie after setting a password=%q, want a new value", got)
		}
		portaltest.WantStatusMessage(t, c.Follow(p))
		if !c.SignedIn() {
			t.Fatalf("setting a password signed this browser out")
		}
		if other.SignedIn() {
			t.Errorf("SES-03: setting a password left another session signed in")
		}
		if !srv.CanLogin(t, email, mgNewPassword) {
			t.Errorf("the password just set does not sign in")
		}
		if srv.CanLogin(t, email, mgPassword) {
			t.Errorf("the removed password signs in again")
		}
		portaltest.WantRedirect(t, c.Get("/account/manage/set-password"), "/account/manage/change-password")
	})
}

// mgManagePages are the pages of the manage navigation.
var mgManagePages = []string{"/account/manage", "/account/manage/email", "/account/manage/change-password", "/account/manage/sessions"}

// TestManageLayout: every manage page has the navigation with exactly one
// entry marked current — its own — and a sign-out button in a form that
// posts to /account/logout with a CSRF token; posting it signs out.
func TestManageLayout(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "alice@example.com"
	srv.SignedUp(t, email, mgPassword)

	for _, path := range mgManagePages {
		t.Run(strings.TrimPrefix(path, "/account/"), func(t *testing.T) {
			c := srv.SignIn(t, email, mgPassword, false)
			p := c.Get(path)
			portaltest.WantStatus(t, p, http.StatusOK)
			doc := p.Doc(t)

			nav := doc.Find("nav.manage-nav")
			if nav.Length() != 1 {
				t.Fatalf("%d nav.manage-nav, want 1:\n%s", nav.Length(), p.Body)
			}
			var hrefs []string
			nav.Find("a").Each(func(_ int, a *goquery.Selection) { hrefs = append(hrefs, a.AttrOr("href", "")) })
			// The four entries of this issue, in this order, each once;
			// other features add entries of their own among them.
			next := 0
			for _, h := range hrefs {
				if next < len(mgManagePages) && h == mgManagePages[next] {
					next++
				}
			}
			if next != len(mgManagePages) {
				t.Errorf("nav links=%v, want %v among them in this order", hrefs, mgManagePages)
			}
			for _, want := range mgManagePages {
				if n := nav.Find(`a[href="` + want + `"]`).Length(); n != 1 {
					t.Errorf("%d nav links to %s, want 1", n, want)
				}
			}
			for _, label := range []string{"Profile", "Email", "Password", "Sessions"} {
				if !strings.Contains(nav.Text(), label) {
					t.Errorf("nav lacks %q: %q", label, nav.Text())
				}
			}
			cur := doc.Find("a[aria-current=page]")
			if cur.Length() != 1 {
				t.Fatalf("%d a[aria-current=page], want exactly 1", cur.Length())
			}
			if got := cur.AttrOr("href", ""); got != path {
				t.Errorf("a[aria-current=page] href=%q, want %q", got, path)
			}
			if !cur.HasClass("active") || nav.Find("a.active").Length() != 1 {
				t.Errorf("the current entry is not the one a.active: %d a.active", nav.Find("a.active").Length())
			}

			btn := doc.Find("#manage-logout")
			if btn.Length() != 1 {
				t.Fatalf("%d #manage-logout, want 1", btn.Length())
			}
			form := btn.Closest("form")
			if got := form.AttrOr("action", ""); got != "/account/logout" {
				t.Errorf("#manage-logout form action=%q, want /account/logout", got)
			}
			if got := strings.ToLower(form.AttrOr("method", "")); got != "post" {
				t.Errorf("#manage-logout form method=%q, want post", got)
			}
			if typ := btn.AttrOr("type", "submit"); typ != "submit" {
				t.Errorf("#manage-logout type=%q, want submit", typ)
			}
			f := p.Form(t, "form:has(#manage-logout)")
			if f.Values.Get("_csrf") == "" {
				t.Fatalf("#manage-logout form has no _csrf")
			}
			old := c.Cookie(portaltest.SessionCookie)
			portaltest.WantStatus(t, c.Post(f.Action, f.Values), http.StatusSeeOther)
			portaltest.WantLoginRedirect(t, c.Get(path), path)
			replay := portaltest.NewClient(t, srv)
			replay.SetCookie(portaltest.SessionCookie, old)
			portaltest.WantLoginRedirect(t, replay.Get("/account/manage"), "/account/manage")
		})
	}
}

// TestManagePagesNeedSignIn: every manage page and action sends an
// anonymous visitor to the login page.
func TestManagePagesNeedSignIn(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	c := portaltest.NewClient(t, srv)
	for _, path := range append(slices.Clone(mgManagePages), "/account/manage/set-password") {
		portaltest.WantLoginRedirect(t, c.Get(path), path)
	}
}
