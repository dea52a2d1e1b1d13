package portaltest

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/accountportal/portal/identity"
)

// RP is a relying party of Portal's OpenID Provider, built from stock
// libraries (go-oidc and x/oauth2) with only the discovery URL, a client
// id and a secret: what an application around Portal configures.
type RP struct {
	t        testing.TB
	Srv      *Server
	Client   *identity.OIDCClient
	Secret   string // "" for a public client
	Provider *gooidc.Provider
	OAuth    oauth2.Config
	Verifier *gooidc.IDTokenVerifier
	// HTTP, when set, carries the RP's own requests (token, userinfo):
	// e.g. to another instance behind the same base URL.
	HTTP *http.Client
}

// Ctx is the context of the RP's requests (with HTTP as oauth2's client).
func (rp *RP) Ctx() context.Context {
	if rp.HTTP != nil {
		return context.WithValue(context.Background(), oauth2.HTTPClient, rp.HTTP)
	}
	return context.Background()
}

// RPRedirect is the redirect URI RegisterRP registers by default (a
// loopback address nothing listens on: the browser's redirect is read,
// not followed).
const RPRedirect = "http://127.0.0.1/callback"

// RegisterRP registers a client (spec; its name and redirect URI default)
// and discovers the provider at the server's base URL.
func (s *Server) RegisterRP(t testing.TB, spec identity.OIDCClientSpec) *RP {
	t.Helper()
	if spec.Name == "" {
		spec.Name = "Test App"
	}
	if len(spec.RedirectURIs) == 0 {
		spec.RedirectURIs = []string{RPRedirect}
	}
	c, secret, err := s.Portal.Identity().RegisterOIDCClient(context.Background(), spec)
	if err != nil {
		t.Fatalf("register client: %v", err)
	}
	return s.RPFor(t, c, secret)
}

// RPFor is the relying party of a registered client.
func (s *Server) RPFor(t testing.TB, c *identity.OIDCClient, secret string) *RP {
	t.Helper()
	p, err := gooidc.NewProvider(context.Background(), s.Config.BaseURL)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	return &RP{t: t, Srv: s, Client: c, Secret: secret, Provider: p,
		OAuth: oauth2.Config{ClientID: c.ID, ClientSecret: secret, Endpoint: p.Endpoint(), RedirectURL: c.RedirectURIs[0],
			Scopes: []string{gooidc.ScopeOpenID, "profile", "email", gooidc.ScopeOfflineAccess}},
		Verifier: p.Verifier(&gooidc.Config{ClientID: c.ID}),
	}
}

// AuthRequest is one authorization the RP started: its URL and the
// values the RP keeps to check the answer.
type AuthRequest struct {
	URL, State, Nonce, Verifier string
}

// Start builds an authorization URL with state, nonce and PKCE (S256),
// plus opts (oauth2.SetAuthURLParam("prompt", "login"), …).
func (rp *RP) Start(opts ...oauth2.AuthCodeOption) AuthRequest {
	a := AuthRequest{State: RandomHex(8), Nonce: RandomHex(8), Verifier: oauth2.GenerateVerifier()}
	opts = append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(a.Verifier), gooidc.Nonce(a.Nonce)}, opts...)
	a.URL = rp.OAuth.AuthCodeURL(a.State, opts...)
	return a
}

// Browse follows the browser's redirects from p within Portal until a page
// answers, or a redirect leaves Portal (to the RP): that last response.
func (c *Client) Browse(p *Page) *Page {
	c.t.Helper()
	for range 20 {
		if p.Status != http.StatusFound && p.Status != http.StatusSeeOther {
			return p
		}
		loc := p.Location()
		if strings.HasPrefix(loc, "http") && !strings.HasPrefix(loc, c.base) {
			return p
		}
		p = c.Get(loc)
	}
	c.t.Fatalf("too many redirects, last %s", p.URL)
	return nil
}

// Callback parses the RP's redirect URI answer of p (a redirect away from
// Portal): the query, which holds code and state, or error.
func (rp *RP) Callback(p *Page) url.Values {
	rp.t.Helper()
	loc := p.Location()
	if (p.Status != http.StatusFound && p.Status != http.StatusSeeOther) || !strings.HasPrefix(loc, rp.OAuth.RedirectURL) {
		rp.t.Fatalf("%s: status %d, Location %q; want a redirect to %s; body:\n%s", p.URL, p.Status, loc, rp.OAuth.RedirectURL, p.Body)
	}
	u, err := url.Parse(loc)
	if err != nil {
		rp.t.Fatal(err)
	}
	return u.Query()
}

// SignIn runs the browser part for a: the authorization URL, Portal's
// login form (email, password) if the browser is not signed in, the
// consent page (allowed) if shown; it returns the code, checking state.
func (rp *RP) SignIn(c *Client, a AuthRequest, email, password string) string {
	rp.t.Helper()
	p := c.Browse(c.Get(a.URL))
	if p.Status == http.StatusOK && p.Has(rp.t, "#login-form") {
		f := p.Form(rp.t, "#login-form")
		f.Set("email", email).Set("password", password)
		p = c.Browse(c.Post(f.Action, f.Values))
	}
	if p.Status == http.StatusOK && p.Has(rp.t, "#consent-form") {
		p = c.Browse(c.Consent(p, "allow"))
	}
	q := rp.Callback(p)
	if q.Get("error") != "" {
		rp.t.Fatalf("authorization answered error=%s (%s)", q.Get("error"), q.Get("error_description"))
	}
	if q.Get("state") != a.State {
		rp.t.Fatalf("state %q, want %q", q.Get("state"), a.State)
	}
	return q.Get("code")
}

// Consent presses the consent page's button decision ("allow" or "deny").
func (c *Client) Consent(p *Page, decision string) *Page {
	c.t.Helper()
	f := p.Form(c.t, "#consent-form")
	f.Set("decision", decision)
	return c.Post(f.Action, f.Values)
}

// Exchange redeems code with a's PKCE verifier.
func (rp *RP) Exchange(code string, a AuthRequest) (*oauth2.Token, error) {
	return rp.OAuth.Exchange(rp.Ctx(), code, oauth2.VerifierOption(a.Verifier))
}

// IDToken verifies the token response's ID token with go-oidc (signature
// through JWKS, issuer, audience, expiry) and checks its nonce.
func (rp *RP) IDToken(tok *oauth2.Token, a AuthRequest) *gooidc.IDToken {
	rp.t.Helper()
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		rp.t.Fatal("no id_token in the token response")
	}
	id, err := rp.Verifier.Verify(rp.Ctx(), raw)
	if err != nil {
		rp.t.Fatalf("verify id_token: %v", err)
	}
	if id.Nonce != a.Nonce {
		rp.t.Fatalf("nonce %q, want %q", id.Nonce, a.Nonce)
	}
	return id
}

// Refresh uses a refresh token once.
func (rp *RP) Refresh(refresh string) (*oauth2.Token, error) {
	return rp.OAuth.TokenSource(rp.Ctx(), &oauth2.Token{RefreshToken: refresh}).Token()
}

// UserInfo asks the userinfo endpoint with the access token of tok.
func (rp *RP) UserInfo(tok *oauth2.Token) (*gooidc.UserInfo, error) {
	return rp.Provider.UserInfo(rp.Ctx(), oauth2.StaticTokenSource(tok))
}

// AuthError runs the browser part of a until the redirect back to the RP
// and returns its error parameter ("" when a code came back).
func (rp *RP) AuthError(c *Client, url string) string {
	rp.t.Helper()
	return rp.Callback(c.Browse(c.Get(url))).Get("error")
}
