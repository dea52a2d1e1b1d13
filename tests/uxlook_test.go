package tests

// Flow tests for the look items of issue 18 (items 13–19): the copy, the
// header, the register page's providers, the recovery codes. The layout
// itself is checked in a browser (browser_axe_test.go,
// browser_manage_test.go). Helpers start with "lk".

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/internal/portaltest"
)

// lkHeaderLinks returns the hrefs of the header's account links.
func lkHeaderLinks(t *testing.T, p *portaltest.Page) []string {
	t.Helper()
	var out []string
	p.Doc(t).Find("header .account-nav a").Each(func(_ int, a *goquery.Selection) {
		out = append(out, a.AttrOr("href", ""))
	})
	return out
}

// TestHeaderLeavesOutTheCurrentPage (issue 18 item 17): the header offers
// "Sign in" and "Create account" everywhere except on the page it would
// link to.
func TestHeaderLeavesOutTheCurrentPage(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	c := portaltest.NewClient(t, srv)
	for _, tc := range []struct {
		path string
		want string
	}{
		{"/", "/account/login /account/register"},
		{"/account/login", "/account/register"},
		{"/account/register", "/account/login"},
		{"/account/forgot-password", "/account/login /account/register"},
	} {
		p := c.Get(tc.path)
		portaltest.WantStatus(t, p, http.StatusOK)
		if got := strings.Join(lkHeaderLinks(t, p), " "); got != tc.want {
			t.Errorf("%s: header links %q, want %q", tc.path, got, tc.want)
		}
	}
}

// TestOneNameForCreatingAnAccount (issue 18 item 17): the header, the home
// page, the login page, the register page (title, heading, button) and the
// external sign-up page call it the same.
func TestOneNameForCreatingAnAccount(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	c := portaltest.NewClient(t, srv)
	const name = "Create account"
	text := func(p *portaltest.Page, sel string) string {
		return strings.Join(strings.Fields(p.Doc(t).Find(sel).First().Text()), " ")
	}
	home := c.Get("/")
	login := c.Get("/account/login")
	register := c.Get("/account/register")
	for _, got := range []struct{ where, text string }{
		{"home header", text(home, `header a[href="/account/register"]`)},
		{"home page", text(home, `main a[href="/account/register"]`)},
		{"login page", text(login, `main a[href^="/account/register"]`)},
		{"register heading", text(register, "main h1")},
		{"register button", text(register, "#register-submit")},
		{"register title", strings.TrimSuffix(text(register, "title"), " · Portal")},
	} {
		if got.text != name {
			t.Errorf("%s says %q, want %q", got.where, got.text, name)
		}
	}
}

// TestRegisterPageOffersProviders (issue 18 item 18): with a provider
// configured and registration open, the register page has its button (the
// same form as the login page's), which starts the provider's sign-in; by
// invitation the register page has none (an uninvited external sign-up is
// refused at the callback).
func TestRegisterPageOffersProviders(t *testing.T) {
	t.Parallel()
	op := newOxOP(t)
	t.Run("open", func(t *testing.T) {
		t.Parallel()
		srv := oxServer(t, op)
		c := portaltest.NewClient(t, srv)
		p := c.Get("/account/register?returnUrl=%2Faccount%2Fmanage")
		portaltest.WantStatus(t, p, http.StatusOK)
		f := p.Form(t, "#external-providers "+oxProviderForm)
		if got, want := f.Action, "/account/external-login"; got != want {
			t.Fatalf("form action=%q, want %q", got, want)
		}
		if got, want := f.Values.Get("returnUrl"), "/account/manage"; got != want {
			t.Errorf("returnUrl=%q, want %q (the register page's)", got, want)
		}
		r := c.Post(f.Action, f.Values)
		portaltest.WantStatus(t, r, http.StatusSeeOther)
		if loc := r.Location(); !strings.HasPrefix(loc, op.URL) {
			t.Errorf("the button leads to %q, want the provider %s", loc, op.URL)
		}
	})
	t.Run("invite", func(t *testing.T) {
		t.Parallel()
		srv := oxServer(t, op, func(c *portal.Config) { c.Registration = "invite" })
		if _, err := srv.Portal.Identity().Invite(context.Background(), "guest@example.com"); err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(srv.MailsTo(t, "guest@example.com")[0].Link(t, "/account/register?"))
		p := portaltest.NewClient(t, srv).Get(u.RequestURI())
		if !p.Has(t, "#register-form") {
			t.Fatalf("invitation link: no register form:\n%s", p.Body)
		}
		if p.Has(t, "#external-providers") {
			t.Errorf("the invitation's register page offers providers; the callback would refuse the sign-up")
		}
	})
}

// TestRecoveryCodesDownload (issue 18 item 19, MFA-04): the page that
// shows the codes once has a "Download" link that works without
// JavaScript and without a second request: a data: URL of a text file
// with exactly the codes shown, under the account's address; and a hint
// that printing the page prints the codes (the print stylesheet hides the
// rest).
func TestRecoveryCodesDownload(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "codes.owner@example.com"
	c := srv.SignedUp(t, email, tfPassword)
	_, key := tfEnablePage(t, c)
	portaltest.WantRedirect(t, c.Submit(tfEnablePath, "form#send-code", map[string]string{"code": tfCode(t, srv, key, 0)}), tfShowPath)

	p := c.Get(tfShowPath)
	portaltest.WantStatus(t, p, http.StatusOK)
	doc := p.Doc(t)
	var shown []string
	doc.Find(".recovery-code").Each(func(_ int, s *goquery.Selection) { shown = append(shown, strings.TrimSpace(s.Text())) })
	if len(shown) != 10 {
		t.Fatalf("%d codes shown, want 10", len(shown))
	}
	link := doc.Find("a#download-codes")
	if got, want := link.AttrOr("download", ""), "recovery-codes.txt"; got != want {
		t.Errorf("download=%q, want %q", got, want)
	}
	href := link.AttrOr("href", "")
	data, ok := strings.CutPrefix(href, "data:text/plain;charset=utf-8,")
	if !ok {
		t.Fatalf("download href=%q, want a data:text/plain URL", href)
	}
	text, err := url.PathUnescape(data)
	if err != nil {
		t.Fatalf("download href: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if want := "Portal recovery codes for " + email + ". Each code signs you in once."; lines[0] != want {
		t.Errorf("file starts %q, want %q", lines[0], want)
	}
	if got, want := strings.Join(lines[2:], " "), strings.Join(shown, " "); got != want {
		t.Errorf("file codes %q, want the codes shown %q", got, want)
	}
	if !p.Has(t, "#print-hint") {
		t.Error("no print hint")
	}

	// Shown once: the reload has neither the codes nor the file.
	again := c.Get(tfShowPath)
	if again.Status == http.StatusOK && strings.Contains(again.Body, "download-codes") {
		t.Errorf("the reload still offers the download")
	}
}

// TestGreetingShowsTheAddressOnce (issue 18 item 16): a new account's
// username is its address; the header and the greeting call the user by
// the part before the "@", the address is shown once, and it may wrap only
// after the "@" and before a dot (<wbr>).
func TestGreetingShowsTheAddressOnce(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "ada.lovelace@example.com"
	c := srv.SignedUp(t, email, tfPassword)
	p := c.Get("/")
	portaltest.WantStatus(t, p, http.StatusOK)
	if got, want := p.Text(t, "[data-testid=manage-link]"), "ada.lovelace"; got != want {
		t.Errorf("header name=%q, want %q", got, want)
	}
	if got, want := p.Text(t, "main h1"), "Hello, ada.lovelace"; got != want {
		t.Errorf("greeting=%q, want %q", got, want)
	}
	if got := strings.Count(p.Doc(t).Find("body").Text(), email); got != 1 {
		t.Errorf("the address is on the page %d times, want once", got)
	}
	html, _ := p.Doc(t).Find("[data-testid=signed-in-as]").Html()
	if want := "ada<wbr/>.lovelace@<wbr/>example<wbr/>.com"; html != want {
		t.Errorf("signed-in-as HTML=%q, want %q", html, want)
	}

	// A username that is not an address is shown as it is.
	portaltest.WantRedirect(t, c.Submit("/account/manage", "#profile-form", map[string]string{"username": "ada_l"}), "/account/manage")
	if got, want := c.Get("/").Text(t, "main h1"), "Hello, ada_l"; got != want {
		t.Errorf("greeting=%q, want %q", got, want)
	}
}
