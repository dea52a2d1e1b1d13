package tests

// End-to-end tests of the message catalogue (README, Themes): a theme's
// messages.toml changes the wording of the pages — a page's heading and
// tab title, the layout's navigation, and an error message of identity —
// and a messages.toml with a key the catalogue does not have stops the
// server at start, naming the file and the key.

import (
	"net/http"
	"strings"
	"testing"

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/internal/portaltest"
)

const msgTheme = `# A theme that renames a few things.
[login]
title = "Welcome back"

[layout]
sign_in = "Log in here"

[errors]
invalid_login = "Those details do not match an account."
`

func TestMessagesThemeOverridesWording(t *testing.T) {
	t.Parallel()
	srv := thServer(t, map[string]string{"messages.toml": msgTheme})
	c := portaltest.NewClient(t, srv)

	p := c.Get("/account/login")
	portaltest.WantStatus(t, p, http.StatusOK)
	if got := p.Text(t, "title"); !strings.HasPrefix(got, "Welcome back") {
		t.Errorf("<title>=%q, want it to start with the theme's login.title", got)
	}
	if got := p.Text(t, "main h1"); got != "Welcome back" {
		t.Errorf("heading=%q, want the theme's login.title", got)
	}
	// The header's sign-in link, on a page other than the sign-in page
	// (which does not link to itself).
	fp := c.Get("/account/forgot-password")
	if got := fp.Text(t, `header a[href="/account/login"]`); got != "Log in here" {
		t.Errorf("sign-in link=%q, want the theme's layout.sign_in", got)
	}
	if got := fp.Text(t, "nav"); strings.Contains(got, "Sign in") {
		t.Errorf("nav=%q: the built-in layout.sign_in is still there", got)
	}

	// identity's message for a failed sign-in, through the catalogue.
	p = c.Login("nobody@example.com", "not the password", false)
	portaltest.WantStatus(t, p, http.StatusUnprocessableEntity)
	if got, want := p.Text(t, ".form-error"), "Those details do not match an account."; got != want {
		t.Errorf(".form-error=%q, want the theme's errors.invalid_login %q", got, want)
	}
	if strings.Contains(p.Body, invalidLogin) {
		t.Errorf("the built-in %q is still on the page", invalidLogin)
	}
	if got := p.Text(t, "title"); !strings.HasPrefix(got, "Welcome back") {
		t.Errorf("422 <title>=%q, want the theme's login.title", got)
	}
}

// A key the catalogue does not have is an error at start, naming
// messages.toml and the key (a typo must not silently keep the built-in
// wording).
func TestMessagesUnknownKeyRefusedAtStart(t *testing.T) {
	t.Parallel()
	cfg, _ := portaltest.Config(t)
	cfg.Theme = thThemeDir(t, map[string]string{"messages.toml": "[login]\ntitel = \"Welcome back\"\n"})
	cfg.BaseURL = "http://127.0.0.1:1"
	p, err := portal.New(cfg)
	if err == nil {
		p.Close()
		t.Fatal("portal.New accepted a messages.toml with an unknown key")
	}
	for _, want := range []string{"messages.toml", "login.titel"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err=%v, want it to name %q", err, want)
		}
	}
}
