package portaltest

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"
)

// TestReadForm: a form is read as a browser submits it — text and hidden
// inputs, checked boxes only, no buttons — and a form without an action
// posts to its own page.
func TestReadForm(t *testing.T) {
	p := &Page{Status: http.StatusOK, URL: "http://127.0.0.1:1/account/login?returnUrl=%2Fx", Body: `<html><body>
<form id="f" method="post">
  <input type="hidden" name="_csrf" value="tok">
  <input name="email" value="a@example.com">
  <input type="checkbox" name="remember" value="true" checked>
  <input type="checkbox" name="other" value="true">
  <input type="radio" name="pick" value="1">
  <input type="radio" name="pick" value="2" checked>
  <input type="submit" name="go" value="Go">
  <input value="nameless">
</form></body></html>`}
	f := p.Form(t, "#f")
	if f.Action != "/account/login?returnUrl=%2Fx" {
		t.Errorf("Action=%q, want the page's own request URI", f.Action)
	}
	want := url.Values{"_csrf": {"tok"}, "email": {"a@example.com"}, "remember": {"true"}, "pick": {"2"}}
	if f.Values.Encode() != want.Encode() {
		t.Errorf("Values=%v, want %v", f.Values, want)
	}
	if got := p.CSRF(t); got != "tok" {
		t.Errorf("CSRF=%q, want tok", got)
	}
	if _, err := p.ReadForm("#missing"); err == nil {
		t.Error("ReadForm of a missing form: no error")
	}
}

// TestMaskedBody: CSRF values, nonces and the given strings are masked,
// nothing else.
func TestMaskedBody(t *testing.T) {
	a := &Page{Body: `<script nonce="n1"></script><input name="_csrf" value="t1"><p>a@example.com</p>`}
	b := &Page{Body: `<script nonce="n2"></script><input name="_csrf" value="t2"><p>b@example.com</p>`}
	if got, want := MaskedBody(t, a, "a@example.com"), MaskedBody(t, b, "b@example.com"); got != want {
		t.Errorf("masked bodies differ:\n%s\n%s", got, want)
	}
	if MaskedBody(t, a) == MaskedBody(t, b) {
		t.Error("the addresses were masked without being asked")
	}
}

// TestLinks: links are found in the text part of the mails to one
// address, case-insensitively.
func TestLinks(t *testing.T) {
	ms := []Mail{
		{To: "A@example.com", Text: "Go to http://x/account/confirm-email?code=1 now."},
		{To: "b@example.com", Text: "http://x/account/confirm-email?code=2"},
		{To: "a@example.com", Text: "http://x/account/reset-password?code=3 and http://x/account/confirm-email?code=4"},
	}
	got := Links(ms, "a@example.com", "/account/confirm-email")
	if want := []string{"http://x/account/confirm-email?code=1", "http://x/account/confirm-email?code=4"}; !slices.Equal(got, want) {
		t.Errorf("Links=%q, want %q", got, want)
	}
	if got := ms[2].Link(t, "reset-password"); got != "http://x/account/reset-password?code=3" {
		t.Errorf("Link=%q", got)
	}
	if got := WithQuery("/a?x=1", "y", "2 3"); got != "/a?x=1&y=2+3" {
		t.Errorf("WithQuery=%q", got)
	}
	if got := ReauthURL("/account/manage/email"); got != "/account/reauthenticate?returnUrl=%2Faccount%2Fmanage%2Femail" {
		t.Errorf("ReauthURL=%q", got)
	}
}

// TestServer: the kit's server, browser, mail box and clock work
// together: sign up with the mailed link, sign in, the checks agree.
func TestServer(t *testing.T) {
	srv := NewServer(t)
	const email, pw = "kit@example.com", "correct horse battery"
	c := srv.SignedUp(t, email, pw)
	if !c.SignedIn() || c.WhoAmI() == "" {
		t.Fatal("signed up and in, but SignedIn/WhoAmI say no")
	}
	if NewClient(t, srv).SignedIn() {
		t.Fatal("a new browser is signed in")
	}
	if !srv.CanLogin(t, email, pw) || srv.CanLogin(t, email, "wrong horse battery") {
		t.Fatal("CanLogin disagrees with the password")
	}
	if len(srv.MailsWith(t, email, "")) == 0 || srv.UserID(t, email) == "" {
		t.Fatal("no mail or no user id")
	}
	if n := srv.CountUsers(t, ""); n != 1 {
		t.Fatalf("CountUsers=%d, want 1", n)
	}
	c.Logout()
	if c.SignedIn() {
		t.Fatal("signed in after Logout")
	}
	before := srv.Clock.Now()
	srv.Clock.Advance(time.Minute)
	if got := srv.Clock.Now().Sub(before); got != time.Minute {
		t.Fatalf("Advance moved the clock by %v", got)
	}
}
