package portaltest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/internal/softauthn"
)

// PasskeyServer is NewServer with a base URL on localhost, where passkeys
// work (an IP address cannot be their relying party id).
func PasskeyServer(t testing.TB, opts ...func(*portal.Config)) *Server {
	t.Helper()
	return NewServer(t, append([]func(*portal.Config){func(c *portal.Config) { c.BaseURL = LocalhostBaseURL }}, opts...)...)
}

// Authenticator is a software authenticator for srv's origin (see
// internal/softauthn).
func (s *Server) Authenticator() *softauthn.Authenticator {
	return softauthn.New(s.Config.BaseURL)
}

// PasskeyBegin posts the _csrf of the form sel on page to begin (as
// /static/passkeys.js does) and returns the options, or fails the test
// unless the answer is 200 JSON.
func (c *Client) PasskeyBegin(page *Page, sel, begin string) []byte {
	c.t.Helper()
	f := page.Form(c.t, sel)
	p := c.Post(begin, url.Values{"_csrf": {f.Values.Get("_csrf")}})
	if p.Status != http.StatusOK || !json.Valid([]byte(p.Body)) {
		c.t.Fatalf("POST %s: status %d, want 200 JSON; body:\n%s", begin, p.Status, p.Body)
	}
	return []byte(p.Body)
}

// AddPasskey adds a passkey made by a on the passkeys page (the session
// must be recent), named name ("" for the default), and returns the
// answer to the form's post (303 to the page on success).
func (c *Client) AddPasskey(a *softauthn.Authenticator, name string) *Page {
	c.t.Helper()
	page := c.Get("/account/manage/passkeys")
	WantStatus(c.t, page, http.StatusOK)
	opts := c.PasskeyBegin(page, "#passkey-add-form", "/account/manage/passkeys/begin")
	_, resp, err := a.Create(opts)
	if err != nil {
		c.t.Fatal(err)
	}
	f := page.Form(c.t, "#passkey-add-form")
	f.Set("credential", string(resp)).Set("name", name)
	return c.Post(f.Action, f.Values)
}

// PasskeyLogin signs in from the login page with a passkey a chooses
// (answer: nil for a's first credential; otherwise what to post instead,
// made from the options) and returns the answer to the form's post.
func (c *Client) PasskeyLogin(a *softauthn.Authenticator, answer func(opts []byte) []byte) *Page {
	c.t.Helper()
	page := c.Get("/account/login")
	WantStatus(c.t, page, http.StatusOK)
	opts := c.PasskeyBegin(page, "#passkey-login-form", "/account/login/passkey/begin")
	var resp []byte
	if answer != nil {
		resp = answer(opts)
	} else {
		var err error
		if resp, err = a.Get(opts, nil); err != nil {
			c.t.Fatal(err)
		}
	}
	f := page.Form(c.t, "#passkey-login-form")
	f.Set("credential", string(resp))
	return c.Post(f.Action, f.Values)
}

// PasskeyForm runs the passkey ceremony of the form sel on page as
// /static/passkeys.js does: it begins at the form's data-passkey-begin,
// has answer make the authenticator's answer from the options, and
// returns the answer to the form's post.
func (c *Client) PasskeyForm(page *Page, sel string, answer func(opts []byte) []byte) *Page {
	c.t.Helper()
	begin, ok := page.Doc(c.t).Find(sel).Attr("data-passkey-begin")
	if !ok {
		c.t.Fatalf("%s: no %s with data-passkey-begin:\n%s", page.URL, sel, page.Body)
	}
	opts := c.PasskeyBegin(page, sel, begin)
	f := page.Form(c.t, sel)
	f.Set("credential", string(answer(opts)))
	return c.Post(f.Action, f.Values)
}

// Answer is an answer func for PasskeyForm: a's assertion by its first
// credential for the options' RP id.
func Answer(t testing.TB, a *softauthn.Authenticator) func(opts []byte) []byte {
	return func(opts []byte) []byte {
		t.Helper()
		b, err := a.Get(opts, nil)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
}
