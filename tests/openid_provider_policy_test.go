package tests

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/internal/portaltest"
)

// signedInRP is a server, a confirmed user signed in from a browser, and
// a registered confidential client.
func signedInRP(t *testing.T, spec identity.OIDCClientSpec) (*portaltest.Server, *portaltest.RP, *portaltest.Client) {
	t.Helper()
	srv := portaltest.NewServer(t)
	const email, pw = "op-user@example.com", "correct horse battery"
	srv.ConfirmedUser(t, email, pw)
	browser := srv.SignIn(t, email, pw, false)
	return srv, srv.RegisterRP(t, spec), browser
}

// TestOpenIDProviderRefusals (issue 20, negative): each broken or hostile
// request is refused the way the specifications say.
func TestOpenIDProviderRefusals(t *testing.T) {
	t.Run("unregistered redirect URI: an error page, never a redirect", func(t *testing.T) {
		_, rp, browser := signedInRP(t, identity.OIDCClientSpec{SkipConsent: true})
		a := rp.Start()
		bad := strings.Replace(a.URL, url.QueryEscape(portaltest.RPRedirect), url.QueryEscape("https://evil.example/callback"), 1)
		if bad == a.URL {
			t.Fatal("the redirect_uri was not replaced")
		}
		p := browser.Get(bad)
		if p.Status != http.StatusBadRequest || p.Location() != "" {
			t.Fatalf("status %d, Location %q; want 400 and no redirect", p.Status, p.Location())
		}
	})

	t.Run("code reuse: refused, and the tokens issued from it revoked", func(t *testing.T) {
		_, rp, browser := signedInRP(t, identity.OIDCClientSpec{SkipConsent: true})
		a := rp.Start()
		code := rp.SignIn(browser, a, "", "")
		tok, err := rp.Exchange(code, a)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rp.Exchange(code, a); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
			t.Fatalf("second exchange: %v, want invalid_grant", err)
		}
		if _, err := rp.UserInfo(tok); err == nil {
			t.Fatal("the access token of a reused code still works")
		}
		if _, err := rp.Refresh(tok.RefreshToken); err == nil {
			t.Fatal("the refresh token of a reused code still works")
		}
	})

	t.Run("wrong PKCE verifier", func(t *testing.T) {
		_, rp, browser := signedInRP(t, identity.OIDCClientSpec{SkipConsent: true})
		a := rp.Start()
		code := rp.SignIn(browser, a, "", "")
		a.Verifier = oauth2.GenerateVerifier()
		if _, err := rp.Exchange(code, a); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
			t.Fatalf("exchange with another verifier: %v, want invalid_grant", err)
		}
	})

	t.Run("wrong or missing client secret", func(t *testing.T) {
		_, rp, browser := signedInRP(t, identity.OIDCClientSpec{SkipConsent: true})
		for _, secret := range []string{"wrong-secret", ""} {
			a := rp.Start()
			code := rp.SignIn(browser, a, "", "")
			bad := *rp
			bad.OAuth.ClientSecret = secret
			if _, err := bad.Exchange(code, a); err == nil || !strings.Contains(err.Error(), "invalid_client") {
				t.Fatalf("secret %q: %v, want invalid_client", secret, err)
			}
		}
	})

	t.Run("expired code", func(t *testing.T) {
		srv, rp, browser := signedInRP(t, identity.OIDCClientSpec{SkipConsent: true})
		a := rp.Start()
		code := rp.SignIn(browser, a, "", "")
		srv.Clock.Advance(identity.OIDCCodeLifetime + time.Second)
		if _, err := rp.Exchange(code, a); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
			t.Fatalf("exchange of an expired code: %v, want invalid_grant", err)
		}
	})

	t.Run("prompt=none without a session: login_required", func(t *testing.T) {
		srv := portaltest.NewServer(t)
		rp := srv.RegisterRP(t, identity.OIDCClientSpec{SkipConsent: true})
		a := rp.Start(oauth2.SetAuthURLParam("prompt", "none"))
		if e := rp.AuthError(portaltest.NewClient(t, srv), a.URL); e != "login_required" {
			t.Fatalf("error %q, want login_required", e)
		}
	})

	t.Run("prompt=none before consent: consent_required", func(t *testing.T) {
		_, rp, browser := signedInRP(t, identity.OIDCClientSpec{})
		a := rp.Start(oauth2.SetAuthURLParam("prompt", "none"))
		if e := rp.AuthError(browser, a.URL); e != "consent_required" {
			t.Fatalf("error %q, want consent_required", e)
		}
	})

	t.Run("deny at consent: access_denied", func(t *testing.T) {
		srv, rp, browser := signedInRP(t, identity.OIDCClientSpec{})
		a := rp.Start()
		p := browser.Browse(browser.Get(a.URL))
		q := rp.Callback(browser.Browse(browser.Consent(p, "deny")))
		if q.Get("error") != "access_denied" || q.Get("state") != a.State || q.Get("code") != "" {
			t.Fatalf("deny: %v", q)
		}
		// Nothing was remembered: the next request asks again.
		p = browser.Browse(browser.Get(rp.Start().URL))
		if !p.Has(t, "#consent-form") {
			t.Fatalf("after a deny the consent page is not shown again:\n%s", p.Body)
		}
		_ = srv
	})

	t.Run("public client without PKCE", func(t *testing.T) {
		_, rp, browser := signedInRP(t, identity.OIDCClientSpec{Public: true, SkipConsent: true})
		if rp.Secret != "" {
			t.Fatal("a public client got a secret")
		}
		noPKCE := rp.OAuth.AuthCodeURL("st")
		if e := rp.AuthError(browser, noPKCE); e != "invalid_request" {
			t.Fatalf("error %q, want invalid_request", e)
		}
		// With PKCE it works, without any secret.
		a := rp.Start()
		if _, err := rp.Exchange(rp.SignIn(browser, a, "", ""), a); err != nil {
			t.Fatalf("public client with PKCE: %v", err)
		}
	})

	t.Run("refresh token reuse revokes the family", func(t *testing.T) {
		_, rp, browser := signedInRP(t, identity.OIDCClientSpec{SkipConsent: true})
		a := rp.Start()
		tok, err := rp.Exchange(rp.SignIn(browser, a, "", ""), a)
		if err != nil {
			t.Fatal(err)
		}
		tok2, err := rp.Refresh(tok.RefreshToken)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rp.Refresh(tok.RefreshToken); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
			t.Fatalf("reused refresh token: %v, want invalid_grant", err)
		}
		if _, err := rp.Refresh(tok2.RefreshToken); err == nil {
			t.Fatal("the rotated refresh token still works after its predecessor was replayed")
		}
		if _, err := rp.UserInfo(tok2); err == nil {
			t.Fatal("the access token of a revoked family still works")
		}
	})

	t.Run("a removed app's refresh token", func(t *testing.T) {
		srv, rp, browser := signedInRP(t, identity.OIDCClientSpec{})
		a := rp.Start()
		code := rp.SignIn(browser, a, "", "")
		tok, err := rp.Exchange(code, a)
		if err != nil {
			t.Fatal(err)
		}
		p := browser.Get("/account/manage/apps")
		portaltest.WantStatus(t, p, http.StatusOK)
		if !strings.Contains(p.Text(t, "#connected-apps"), "Test App") {
			t.Fatalf("connected apps page:\n%s", p.Body)
		}
		portaltest.WantRedirect(t, browser.Submit("/account/manage/apps", "#remove-app-"+rp.Client.ID, nil), "/account/manage/apps")
		if _, err := rp.Refresh(tok.RefreshToken); err == nil {
			t.Fatal("a removed app's refresh token still works")
		}
		if _, err := rp.UserInfo(tok); err == nil {
			t.Fatal("a removed app's access token still works")
		}
		email := "op-user@example.com"
		if len(srv.MailsWith(t, email, "Test App")) < 2 {
			t.Fatalf("want mails for allowing and removing the app; got %v", portaltest.Subjects(srv.MailsTo(t, email)))
		}
	})
}

// TestOpenIDProviderSignInPolicy (issue 20): prompt=login and max_age send
// a signed-in person through Portal's re-authentication; auth_time and amr
// say what happened; --skip-consent skips the consent page.
func TestOpenIDProviderSignInPolicy(t *testing.T) {
	const pw = "correct horse battery"
	srv, rp, browser := signedInRP(t, identity.OIDCClientSpec{SkipConsent: true})

	// A first-party client: no consent page, straight back with a code.
	a := rp.Start()
	if rp.Callback(browser.Browse(browser.Get(a.URL))).Get("code") == "" {
		t.Fatal("a --skip-consent client did not get a code straight away")
	}

	for _, tc := range []struct {
		name string
		opt  oauth2.AuthCodeOption
	}{
		{"prompt=login", oauth2.SetAuthURLParam("prompt", "login")},
		{"max_age", oauth2.SetAuthURLParam("max_age", "60")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv.Clock.Advance(5 * time.Minute)
			before := srv.Clock.Now()
			a := rp.Start(tc.opt)
			p := browser.Browse(browser.Get(a.URL))
			if !p.Has(t, "#reauth-form") {
				t.Fatalf("%s did not ask for the password again:\n%s", tc.name, p.Body)
			}
			f := p.Form(t, "#reauth-form").Set("password", pw)
			q := rp.Callback(browser.Browse(browser.Post(f.Action, f.Values)))
			tok, err := rp.Exchange(q.Get("code"), a)
			if err != nil {
				t.Fatal(err)
			}
			id := rp.IDToken(tok, a)
			var c struct {
				AuthTime int64    `json:"auth_time"`
				AMR      []string `json:"amr"`
			}
			id.Claims(&c)
			if c.AuthTime < before.Unix() || len(c.AMR) == 0 {
				t.Fatalf("auth_time %d (want ≥ %d), amr %v", c.AuthTime, before.Unix(), c.AMR)
			}
		})
	}
}
