package tests

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/internal/portaltest"
)

// TestOpenIDProviderFlow (issue 20): a stock relying party (go-oidc and
// x/oauth2, configured with the discovery URL, a client id and a secret)
// signs a person in through Portal's own login and consent pages, verifies
// the ID token, reads userinfo, refreshes (rotation), revokes and signs
// out — on SQLite and on PostgreSQL.
func TestOpenIDProviderFlow(t *testing.T) {
	srv := portaltest.NewServer(t)
	const email, pw = "rp-user@example.com", "correct horse battery"
	srv.ConfirmedUser(t, email, pw)
	rp := srv.RegisterRP(t, identity.OIDCClientSpec{Name: "Acme Wiki", PostLogoutRedirectURIs: []string{"http://127.0.0.1/bye"}})
	if rp.Secret == "" {
		t.Fatal("a confidential client got no secret")
	}

	browser := portaltest.NewClient(t, srv)
	a := rp.Start()
	// Not signed in: Portal's login page, with the way back to the
	// authorization as its returnUrl.
	p := browser.Browse(browser.Get(a.URL))
	portaltest.WantStatus(t, p, http.StatusOK)
	if !p.Has(t, "#login-form") {
		t.Fatalf("the authorization did not lead to the login page:\n%s", p.Body)
	}
	f := p.Form(t, "#login-form").Set("email", email).Set("password", pw)
	p = browser.Browse(browser.Post(f.Action, f.Values))
	// The consent page names the app and what it will see.
	portaltest.WantStatus(t, p, http.StatusOK)
	if got := p.Text(t, "#consent-client"); !strings.Contains(got, "Acme Wiki") {
		t.Fatalf("consent page: %q", got)
	}
	if !p.Has(t, `#consent-form button[name="decision"][value="allow"]`) || !p.Has(t, `#consent-form button[name="decision"][value="deny"]`) {
		t.Fatalf("consent page lacks the decision buttons:\n%s", p.Body)
	}
	q := rp.Callback(browser.Browse(browser.Consent(p, "allow")))
	if q.Get("state") != a.State || q.Get("code") == "" {
		t.Fatalf("callback %v", q)
	}

	tok, err := rp.Exchange(q.Get("code"), a)
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	id := rp.IDToken(tok, a)
	var claims struct {
		Email             string   `json:"email"`
		EmailVerified     bool     `json:"email_verified"`
		PreferredUsername string   `json:"preferred_username"`
		AMR               []string `json:"amr"`
		AuthTime          int64    `json:"auth_time"`
	}
	if err := id.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	userID := srv.UserID(t, email)
	if id.Subject != userID || claims.Email != email || !claims.EmailVerified || claims.PreferredUsername == "" ||
		!slices.Equal(claims.AMR, []string{"pwd"}) || claims.AuthTime == 0 {
		t.Fatalf("id token: sub %q, claims %+v; want sub %q", id.Subject, claims, userID)
	}

	// Userinfo with the access token.
	info, err := rp.Provider.UserInfo(context.Background(), rp.OAuth.TokenSource(context.Background(), tok))
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	if info.Subject != userID || info.Email != email || !info.EmailVerified {
		t.Fatalf("userinfo: %+v", info)
	}

	// The next authorization needs no consent: it was remembered.
	a2 := rp.Start()
	p = browser.Browse(browser.Get(a2.URL))
	if q := rp.Callback(p); q.Get("code") == "" || q.Get("state") != a2.State {
		t.Fatalf("second authorization: %v", q)
	}

	// Refresh: a new refresh token each time (rotation).
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token for offline_access")
	}
	tok2, err := rp.Refresh(tok.RefreshToken)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if tok2.RefreshToken == "" || tok2.RefreshToken == tok.RefreshToken || tok2.AccessToken == tok.AccessToken {
		t.Fatal("refresh did not rotate the tokens")
	}
	if _, err := rp.Provider.UserInfo(context.Background(), rp.OAuth.TokenSource(context.Background(), tok2)); err != nil {
		t.Fatalf("userinfo with the refreshed access token: %v", err)
	}

	// Revocation (RFC 7009) of the refresh token ends its family.
	revoke(t, rp, tok2.RefreshToken, "refresh_token")
	if _, err := rp.Refresh(tok2.RefreshToken); err == nil {
		t.Fatal("a revoked refresh token still works")
	}
	if _, err := rp.Provider.UserInfo(context.Background(), rp.OAuth.TokenSource(context.Background(), tok2)); err == nil {
		t.Fatal("the access token of a revoked family still works")
	}

	// RP-initiated logout: back to the registered post-logout URI, and
	// the Portal session is over.
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := rp.Provider.Claims(&meta); err != nil || meta.EndSession == "" {
		t.Fatalf("discovery has no end_session_endpoint: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	p = browser.Get(meta.EndSession + "?" + url.Values{"id_token_hint": {raw}, "post_logout_redirect_uri": {"http://127.0.0.1/bye"}, "state": {"s1"}}.Encode())
	if p.Status != http.StatusFound || p.Location() != "http://127.0.0.1/bye?state=s1" {
		t.Fatalf("end session: %d %q\n%s", p.Status, p.Location(), p.Body)
	}
	if browser.SignedIn() {
		t.Fatal("still signed in at Portal after end_session")
	}
}

// revoke posts to the revocation endpoint as the client (HTTP Basic).
func revoke(t *testing.T, rp *portaltest.RP, token, hint string) {
	t.Helper()
	var meta struct {
		Revocation string `json:"revocation_endpoint"`
	}
	if err := rp.Provider.Claims(&meta); err != nil || meta.Revocation == "" {
		t.Fatalf("discovery has no revocation_endpoint: %v", err)
	}
	req, _ := http.NewRequest(http.MethodPost, meta.Revocation, strings.NewReader(url.Values{"token": {token}, "token_type_hint": {hint}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(rp.Client.ID), url.QueryEscape(rp.Secret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke: status %d", resp.StatusCode)
	}
}
