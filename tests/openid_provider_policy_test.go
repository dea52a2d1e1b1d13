package tests

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
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

	t.Run("another client cannot revoke or introspect a token (ACC-03)", func(t *testing.T) {
		srv, rp, browser := signedInRP(t, identity.OIDCClientSpec{SkipConsent: true})
		other := srv.RegisterRP(t, identity.OIDCClientSpec{Name: "Other App", SkipConsent: true})
		a := rp.Start()
		tok, err := rp.Exchange(rp.SignIn(browser, a, "", ""), a)
		if err != nil {
			t.Fatal(err)
		}
		var meta struct {
			Revocation string `json:"revocation_endpoint"`
			Introspect string `json:"introspection_endpoint"`
		}
		if err := rp.Provider.Claims(&meta); err != nil {
			t.Fatal(err)
		}
		as := other
		post := func(endpoint string, form url.Values) (int, string) {
			req, _ := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(url.QueryEscape(as.Client.ID), url.QueryEscape(as.Secret))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		post(meta.Revocation, url.Values{"token": {tok.RefreshToken}, "token_type_hint": {"refresh_token"}})
		post(meta.Revocation, url.Values{"token": {tok.AccessToken}, "token_type_hint": {"access_token"}})
		if _, err := rp.UserInfo(tok); err != nil {
			t.Fatalf("another client revoked the access token: %v", err)
		}
		if status, body := post(meta.Introspect, url.Values{"token": {tok.AccessToken}}); strings.Contains(body, `"active":true`) || strings.Contains(body, "op-user@example.com") {
			t.Fatalf("another client's introspection: %d %s", status, body)
		}
		as = rp // the client the token was issued to sees it
		if status, body := post(meta.Introspect, url.Values{"token": {tok.AccessToken}}); !strings.Contains(body, `"active":true`) {
			t.Fatalf("the token's own client's introspection: %d %s", status, body)
		}
		if _, err := rp.Refresh(tok.RefreshToken); err != nil {
			t.Fatalf("another client revoked the refresh token: %v", err)
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

// TestOpenIDProviderPersonalData (issue 20; PRIV-01, PRIV-02): the
// personal-data download lists the apps the person allowed (name,
// scopes, when; no token), and deleting the account revokes everything:
// the grants and tokens are gone, the refresh token and the access token
// issued before are refused.
func TestOpenIDProviderPersonalData(t *testing.T) {
	const email, pw = "op-user@example.com", "correct horse battery"
	srv, rp, browser := signedInRP(t, identity.OIDCClientSpec{Name: "Acme Wiki"})
	userID := srv.UserID(t, email)
	allowedAt := srv.Clock.Now()
	a := rp.Start()
	tok, err := rp.Exchange(rp.SignIn(browser, a, "", ""), a)
	if err != nil {
		t.Fatal(err)
	}
	first := srv.RegisterRP(t, identity.OIDCClientSpec{Name: "Acme Intranet", SkipConsent: true})
	a2 := first.Start(oauth2.SetAuthURLParam("scope", "openid email"))
	tok2, err := first.Exchange(first.SignIn(browser, a2, "", ""), a2)
	if err != nil {
		t.Fatal(err)
	}

	p := pdDownload(t, browser)
	pdWantExport(t, p)
	var export struct {
		ConnectedApps []json.RawMessage `json:"connectedApps"`
	}
	if err := json.Unmarshal([]byte(p.Body), &export); err != nil {
		t.Fatal(err)
	}
	if len(export.ConnectedApps) != 2 {
		t.Fatalf("connectedApps has %d entries, want 2 (both apps):\n%s", len(export.ConnectedApps), p.Body)
	}
	got := map[string]struct {
		ClientID  string    `json:"clientId"`
		Name      string    `json:"name"`
		Scopes    []string  `json:"scopes"`
		AllowedAt time.Time `json:"allowedAt"`
	}{}
	for i, raw := range export.ConnectedApps {
		pdWantKeys(t, "connectedApps["+strconv.Itoa(i)+"]", raw, "clientId", "name", "scopes", "allowedAt", "updatedAt")
		v := got[""]
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
		got[v.Name] = v
	}
	wiki, intranet := got["Acme Wiki"], got["Acme Intranet"]
	if wiki.ClientID != rp.Client.ID || !slices.Equal(wiki.Scopes, []string{"email", "offline_access", "openid", "profile"}) ||
		!wiki.AllowedAt.Equal(allowedAt) {
		t.Errorf("Acme Wiki in the export: %+v; want client %s, every scope, allowed at %v", wiki, rp.Client.ID, allowedAt)
	}
	if intranet.ClientID != first.Client.ID || !slices.Equal(intranet.Scopes, []string{"email", "openid"}) {
		t.Errorf("Acme Intranet in the export: %+v; want client %s, scopes email openid", intranet, first.Client.ID)
	}
	for what, secret := range map[string]string{"access token": tok.AccessToken, "refresh token": tok.RefreshToken,
		"ID token": tok.Extra("id_token").(string), "client secret": rp.Secret} {
		if strings.Contains(p.Body, secret) {
			t.Errorf("the export contains the %s", what)
		}
	}

	oidcRows := func() map[string]int {
		out := map[string]int{}
		if srv.DBPath == "" {
			return out // gray box on SQLite; the store suite covers PostgreSQL
		}
		db := portaltest.OpenSQLite(t, srv.DBPath, true)
		for _, table := range []string{"oidc_grants", "oidc_access_tokens", "oidc_refresh_tokens", "oidc_auth_requests"} {
			out[table] = pdScalar[int](t, db, `SELECT count(*) FROM `+table+` WHERE user_id = ?`, userID)
		}
		return out
	}
	for table, n := range oidcRows() {
		if n == 0 {
			t.Fatalf("setup: no %s row of the account; the deletion check would prove nothing", table)
		}
	}

	// Delete the account: every app's access ends with it.
	portaltest.WantRedirect(t, pdSubmitDelete(t, browser, pw), "/account/deleted")
	for _, x := range []struct {
		rp  *portaltest.RP
		tok *oauth2.Token
	}{{rp, tok}, {first, tok2}} {
		if _, err := x.rp.UserInfo(x.tok); err == nil {
			t.Errorf("%s: userinfo answers an access token of a deleted account", x.rp.Client.Name)
		}
		if x.tok.RefreshToken != "" {
			if _, err := x.rp.Refresh(x.tok.RefreshToken); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
				t.Errorf("%s: refresh of a deleted account: %v, want invalid_grant", x.rp.Client.Name, err)
			}
		}
	}
	if apps, err := srv.Portal.Identity().ConnectedApps(context.Background(), userID); err != nil || len(apps) != 0 {
		t.Errorf("grants of the deleted account: %v %v, want none", apps, err)
	}
	// Gray box (SQLite): no OpenID Connect row of the account is left.
	for table, n := range oidcRows() {
		if n != 0 {
			t.Errorf("%s: %d rows of the deleted account, want 0", table, n)
		}
	}
}

// TestOpenIDProviderLoginHint (issue 20; PRIV-03): login_hint with an
// address fills in the login form's email field; the address is read
// from the stored request and never put into Portal's own URLs.
func TestOpenIDProviderLoginHint(t *testing.T) {
	srv := portaltest.NewServer(t)
	rp := srv.RegisterRP(t, identity.OIDCClientSpec{SkipConsent: true})
	browser := portaltest.NewClient(t, srv)
	const hint = "hinted@example.com"
	p := browser.Get(rp.Start(oauth2.SetAuthURLParam("login_hint", hint)).URL)
	for p.Status == http.StatusFound || p.Status == http.StatusSeeOther {
		if strings.Contains(p.Location(), "hinted") {
			t.Fatalf("the address is in a Portal URL: %s", p.Location())
		}
		p = browser.Get(p.Location())
	}
	if got, _ := p.Doc(t).Find(`#login-form input[name="email"]`).Attr("value"); got != hint {
		t.Fatalf("login form email = %q, want the login_hint %q", got, hint)
	}
	// Without a hint the field is empty.
	p = browser.Browse(browser.Get(rp.Start().URL))
	if got, _ := p.Doc(t).Find(`#login-form input[name="email"]`).Attr("value"); got != "" {
		t.Fatalf("login form email = %q without a login_hint", got)
	}
}
