package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/accountportal/portal"
)

type page struct {
	status int
	loc    string
	doc    *goquery.Document
}

// TestCustomProgram starts the example as main does and registers with a
// nickname through its overridden page and handler.
func TestCustomProgram(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, "127.0.0.1:0", filepath.Join(dir, "c.db"), "dir:"+filepath.Join(dir, "outbox"),
			func(a net.Addr) { addrc <- a }, func(c *portal.Config) { c.Argon2Memory = 1024; c.PasswordMinLength = 12 })
	}()
	var base string
	select {
	case a := <-addrc:
		base = "http://" + a.String()
	case err := <-done:
		t.Fatalf("run: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the example did not start")
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, path string, form url.Values) page {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(form.Encode()))
		if method == http.MethodPost {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", base)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		doc, _ := goquery.NewDocumentFromReader(strings.NewReader(string(body)))
		return page{status: resp.StatusCode, loc: resp.Header.Get("Location"), doc: doc}
	}
	csrf := func(p page) string { return p.doc.Find(`input[name="_csrf"]`).First().AttrOr("value", "") }

	reg := do(http.MethodGet, "/account/register", nil)
	if reg.doc.Find("[data-testid=custom-register]").Length() != 1 || reg.doc.Find("#f-nickname").Length() != 1 {
		t.Fatal("the register page is not the custom one with a nickname field")
	}
	form := url.Values{"_csrf": {csrf(reg)}, "email": {"nick@example.com"}, "password": {"correct horse battery"},
		"confirm_password": {"correct horse battery"}, "nickname": {"x"}}
	bad := do(http.MethodPost, "/account/register", form)
	if bad.status != http.StatusUnprocessableEntity || bad.doc.Find(".field-error").Text() == "" {
		t.Fatalf("a bad nickname: status %d", bad.status)
	}
	// The page again is Portal's own view (Helpers.RegisterView): what was
	// typed, and the configured minimum length, not a copy of the default.
	if got := bad.doc.Find("#f-email").AttrOr("value", ""); got != "nick@example.com" {
		t.Errorf("the address typed is gone: %q", got)
	}
	if hint := bad.doc.Find("form").Text(); !strings.Contains(hint, "At least 12 characters") {
		t.Errorf("the register page again does not show the configured minimum length (12):\n%s", hint)
	}
	form.Set("_csrf", csrf(bad))
	form.Set("nickname", "nick_42")
	ok := do(http.MethodPost, "/account/register", form)
	if ok.status != http.StatusSeeOther || ok.loc != "/" {
		t.Fatalf("registration: status %d → %q", ok.status, ok.loc)
	}
	home := do(http.MethodGet, "/", nil)
	if got := home.doc.Find("#status-message").Text(); !strings.Contains(got, "Welcome, nick_42") {
		t.Fatalf("home status %q", got)
	}
	prof := do(http.MethodGet, "/account/manage", nil)
	if got := prof.doc.Find("#f-nickname").AttrOr("value", ""); got != "nick_42" {
		t.Fatalf("profile nickname %q (stored through Portal's registration)", got)
	}
	logout := do(http.MethodPost, "/account/logout", url.Values{"_csrf": {csrf(prof)}})
	if logout.status != http.StatusSeeOther {
		t.Fatalf("logout: %d", logout.status)
	}
	login := do(http.MethodGet, "/account/login", nil)
	if login.doc.Find("[data-testid=custom-login]").Length() != 1 || login.doc.Find("#login-form").Length() != 1 {
		t.Fatal("the login page is not the restyled one around Portal's form")
	}
	in := do(http.MethodPost, "/account/login", url.Values{"_csrf": {csrf(login)}, "email": {"nick@example.com"}, "password": {"correct horse battery"}})
	if in.status != http.StatusSeeOther {
		t.Fatalf("sign in through the restyled page: %d", in.status)
	}
}
