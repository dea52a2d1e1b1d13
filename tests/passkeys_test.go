package tests

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/accountportal/portal/internal/portaltest"
	"github.com/accountportal/portal/internal/softauthn"
)

// Passkeys (issue 21, MFA-06), through the whole server on both backends:
// the ceremonies as /static/passkeys.js runs them, answered by a software
// authenticator.

const pkPage = "/account/manage/passkeys"

// pkNames are the names of the passkeys listed on the passkeys page.
func pkNames(t testing.TB, c *portaltest.Client) []string {
	t.Helper()
	p := c.Get(pkPage)
	portaltest.WantStatus(t, p, http.StatusOK)
	var out []string
	p.Doc(t).Find(".passkey .passkey-name").Each(func(_ int, s *goquery.Selection) {
		out = append(out, strings.TrimSpace(s.Text()))
	})
	return out
}

// TestPasskeyAddSignInRemove: a person adds a passkey, signs out, signs
// in with it — with 2FA on, no code is asked and the session's amr says
// two factors — removes it, and it no longer signs in.
func TestPasskeyAddSignInRemove(t *testing.T) {
	srv := portaltest.PasskeyServer(t)
	c, _, _ := tfUser(t, srv, "pk@example.com")
	a := srv.Authenticator()
	p := c.AddPasskey(a, "")
	portaltest.WantRedirect(t, p, pkPage)
	if got := portaltest.WantStatusMessage(t, c.Follow(p)); !strings.Contains(got, "Passkey") {
		t.Errorf("status after adding: %q", got)
	}
	if got := pkNames(t, c); !slices.Equal(got, []string{"Passkey"}) {
		t.Fatalf("passkeys listed: %v, want [Passkey]", got)
	}
	if ms := srv.MailsWith(t, "pk@example.com", "passkey was added"); len(ms) != 1 {
		t.Errorf("%d mails about the new passkey, want 1", len(ms))
	}
	c.Logout()

	b := portaltest.NewClient(t, srv)
	p = b.PasskeyLogin(a, nil)
	portaltest.WantRedirect(t, p, "/")
	_, s := apWhoAmI(t, b)
	if s == nil || s.User.Email != "pk@example.com" {
		t.Fatalf("after a passkey (2FA on: no code asked): %+v, want signed in as pk@example.com", s)
	}
	if !slices.Equal(s.Session.AMR, []string{"hwk", "mfa"}) {
		t.Errorf("amr after a passkey sign-in: %+v, want [hwk mfa]", s)
	}
	// The list shows it used; removing it needs the page's form.
	page := b.Get(pkPage)
	portaltest.WantStatus(t, page, http.StatusOK)
	if !strings.Contains(page.Text(t, ".passkey"), "last used") {
		t.Errorf("the passkey is not shown as used: %q", page.Text(t, ".passkey"))
	}
	id, _ := page.Doc(t).Find(".passkey").Attr("data-passkey-id")
	p = b.PostFrom(pkPage, "/account/manage/passkeys/remove", url.Values{"passkey_id": {id}})
	portaltest.WantRedirect(t, p, pkPage)
	if got := pkNames(t, b); len(got) != 0 {
		t.Fatalf("passkeys after removal: %v", got)
	}
	if ms := srv.MailsWith(t, "pk@example.com", "passkey was removed"); len(ms) != 1 {
		t.Errorf("%d mails about the removed passkey, want 1", len(ms))
	}
	b.Logout()
	d := portaltest.NewClient(t, srv)
	p = d.PasskeyLogin(a, nil)
	portaltest.WantStatus(t, p, http.StatusUnprocessableEntity)
	if d.SignedIn() {
		t.Fatal("a removed passkey still signs in")
	}
}

// TestPasskeyCeremonyAttacks: MFA-06 through the server — a replayed
// answer, another origin, another RP id, no user verification, a
// ceremony older than 5 minutes, another user's credential — each is
// refused with the login page (422) and no session.
func TestPasskeyCeremonyAttacks(t *testing.T) {
	srv := portaltest.PasskeyServer(t)
	victim := srv.SignedUp(t, "victim@example.com", tfPassword)
	a := srv.Authenticator()
	portaltest.WantRedirect(t, victim.AddPasskey(a, "Laptop"), pkPage)
	other := srv.SignedUp(t, "other@example.com", tfPassword)
	portaltest.WantRedirect(t, other.AddPasskey(srv.Authenticator(), ""), pkPage)
	_, os := apWhoAmI(t, other)
	otherID := os.User.ID
	refused := func(t *testing.T, answer func(opts []byte) []byte) {
		t.Helper()
		c := portaltest.NewClient(t, srv)
		p := c.PasskeyLogin(a, answer)
		portaltest.WantStatus(t, p, http.StatusUnprocessableEntity)
		if c.SignedIn() {
			t.Fatal("signed in")
		}
	}
	with := func(mod func(x *softauthn.Authenticator)) func([]byte) []byte {
		return func(opts []byte) []byte {
			x := *a
			mod(&x)
			b, err := x.Get(opts, nil)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	t.Run("wrong origin", func(t *testing.T) {
		refused(t, with(func(x *softauthn.Authenticator) { x.Origin = "https://evil.example" }))
	})
	t.Run("wrong RP id", func(t *testing.T) {
		refused(t, with(func(x *softauthn.Authenticator) { x.RPIDOverride = "evil.example" }))
	})
	t.Run("no user verification", func(t *testing.T) { refused(t, with(func(x *softauthn.Authenticator) { x.NoUserVerification = true })) })
	t.Run("another user's credential", func(t *testing.T) {
		refused(t, func(opts []byte) []byte {
			cred := a.Credentials[0]
			cred.SignCount += 10
			b, err := a.Assert(cred, challengeOf(t, opts), "localhost", []byte(otherID))
			if err != nil {
				t.Fatal(err)
			}
			return b
		})
	})
	t.Run("expired ceremony", func(t *testing.T) {
		refused(t, func(opts []byte) []byte {
			srv.Clock.Advance(5*time.Minute + time.Second)
			b, _ := a.Get(opts, nil)
			return b
		})
	})
	t.Run("replayed answer", func(t *testing.T) {
		c := portaltest.NewClient(t, srv)
		page := c.Get("/account/login")
		opts := c.PasskeyBegin(page, "#passkey-login-form", "/account/login/passkey/begin")
		resp, _ := a.Get(opts, nil)
		f := page.Form(t, "#passkey-login-form")
		f.Set("credential", string(resp))
		portaltest.WantRedirect(t, c.Post(f.Action, f.Values), "/")
		// The captured answer again, from another browser that begins its
		// own ceremony (another challenge) and from the same session.
		thief := portaltest.NewClient(t, srv)
		tp := thief.Get("/account/login")
		thief.PasskeyBegin(tp, "#passkey-login-form", "/account/login/passkey/begin")
		tf := tp.Form(t, "#passkey-login-form")
		tf.Set("credential", string(resp))
		portaltest.WantStatus(t, thief.Post(tf.Action, tf.Values), http.StatusUnprocessableEntity)
		if thief.SignedIn() {
			t.Fatal("a replayed answer signed in")
		}
	})
	t.Run("cloned counter", func(t *testing.T) {
		refused(t, func(opts []byte) []byte {
			clone := *a.Credentials[0]
			clone.SignCount = 1
			b, _ := a.Assert(&clone, challengeOf(t, opts), "localhost", clone.UserHandle)
			return b
		})
		if ms := srv.MailsWith(t, "victim@example.com", "may have been copied"); len(ms) != 1 {
			t.Errorf("%d mails about a copied passkey, want 1", len(ms))
		}
	})
}

// TestPasskeyOwnership: another user's passkey cannot be renamed or
// removed (404, nothing changes; ACC-03), and a passwordless account
// cannot remove its last way in.
func TestPasskeyOwnership(t *testing.T) {
	srv := portaltest.PasskeyServer(t)
	owner := srv.SignedUp(t, "owner@example.com", tfPassword)
	portaltest.WantRedirect(t, owner.AddPasskey(srv.Authenticator(), "Owner key"), pkPage)
	id, _ := owner.Get(pkPage).Doc(t).Find(".passkey").Attr("data-passkey-id")
	mallory := srv.SignedUp(t, "mallory@example.com", tfPassword)
	for _, tc := range []struct{ path, name string }{{"/account/manage/passkeys/rename", "pwned"}, {"/account/manage/passkeys/remove", ""}} {
		p := mallory.PostFrom(pkPage, tc.path, url.Values{"passkey_id": {id}, "name": {tc.name}})
		portaltest.WantStatus(t, p, http.StatusNotFound)
	}
	if got := pkNames(t, owner); !slices.Equal(got, []string{"Owner key"}) {
		t.Fatalf("owner's passkeys after mallory's attempts: %v", got)
	}
	p := owner.PostFrom(pkPage, "/account/manage/passkeys/rename", url.Values{"passkey_id": {id}, "name": {"Desk key"}})
	portaltest.WantRedirect(t, p, pkPage)
	p = owner.PostFrom(pkPage, "/account/manage/passkeys/rename", url.Values{"passkey_id": {id}, "name": {strings.Repeat("x", 65)}})
	portaltest.WantStatus(t, p, http.StatusUnprocessableEntity)
	if got := pkNames(t, owner); !slices.Equal(got, []string{"Desk key"}) {
		t.Fatalf("after renames: %v", got)
	}
}

// TestPasskeyPagesWithoutPasskeys: with the base URL on an IP address
// there is no relying party id: no passkey button, and the ceremony
// endpoints answer 404.
func TestPasskeyPagesWithoutPasskeys(t *testing.T) {
	srv := portaltest.NewServer(t)
	c := portaltest.NewClient(t, srv)
	p := c.Get("/account/login")
	if p.Has(t, "#passkey-login") {
		t.Error("a passkey button without passkeys")
	}
	if got := p.Doc(t).Find("#f-email").AttrOr("autocomplete", ""); got != "username" {
		t.Errorf("email autocomplete %q without passkeys", got)
	}
	b := c.Post("/account/login/passkey/begin", url.Values{"_csrf": {p.CSRF(t)}})
	portaltest.WantStatus(t, b, http.StatusNotFound)
}

// challengeOf is the challenge of a ceremony's options.
func challengeOf(t testing.TB, opts []byte) string {
	t.Helper()
	var o struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(opts, &o); err != nil || o.PublicKey.Challenge == "" {
		t.Fatalf("options %s: %v", opts, err)
	}
	return o.PublicKey.Challenge
}
