package tests

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/internal/portaltest"
)

// jwksKids reads the provider's JWKS (its jwks_uri) and returns the key
// ids it publishes.
func jwksKids(t *testing.T, rp *portaltest.RP) []string {
	t.Helper()
	var meta struct {
		JWKS string `json:"jwks_uri"`
	}
	if err := rp.Provider.Claims(&meta); err != nil || meta.JWKS == "" {
		t.Fatalf("discovery has no jwks_uri: %v", err)
	}
	resp, err := http.Get(meta.JWKS)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("JWKS: status %d", resp.StatusCode)
	}
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatalf("JWKS: %v", err)
	}
	var kids []string
	for _, k := range set.Keys {
		if !k.IsPublic() || !k.Valid() {
			t.Fatalf("JWKS publishes a key that is not a valid public key: %s", k.KeyID)
		}
		kids = append(kids, k.KeyID)
	}
	slices.Sort(kids)
	return kids
}

// idTokenKid is the key id in the header of tok's ID token.
func idTokenKid(t *testing.T, tok *oauth2.Token) string {
	t.Helper()
	raw, _ := tok.Extra("id_token").(string)
	jws, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil || len(jws.Signatures) != 1 {
		t.Fatalf("id_token: %v", err)
	}
	return jws.Signatures[0].Header.KeyID
}

// TestOpenIDProviderKeyRotation (issue 20 "JWKS publishes current and
// previous keys"): `portal oidc rotate-key` — identity's RotateOIDCKey,
// run here by a second Portal on the same database as the command is — is
// picked up by the running server within identity.OIDCKeyRecheck. Then the
// JWKS publishes the new and the previous key, an ID token signed with
// the previous key still verifies with go-oidc, new tokens are signed
// with the new key, and the previous key leaves the JWKS once every token
// it signed has expired (identity.OIDCRetiredKeyPublished, on the clock).
func TestOpenIDProviderKeyRotation(t *testing.T) {
	srv, rp, browser := signedInRP(t, identity.OIDCClientSpec{SkipConsent: true})
	clock := srv.Clock
	// The op package stamps iat and exp from the wall clock, not from
	// Portal's (which this test moves): the RP checks expiry on the wall
	// clock too. Which keys are published follows Portal's clock.
	verifier := rp.Provider.Verifier(&gooidc.Config{ClientID: rp.Client.ID})
	signIn := func() (*oauth2.Token, string) {
		t.Helper()
		a := rp.Start()
		tok, err := rp.Exchange(rp.SignIn(browser, a, "op-user@example.com", "correct horse battery"), a)
		if err != nil {
			t.Fatalf("exchange: %v", err)
		}
		return tok, tok.Extra("id_token").(string)
	}
	verify := func(raw, why string) {
		t.Helper()
		if _, err := verifier.Verify(context.Background(), raw); err != nil {
			t.Fatalf("%s: go-oidc does not verify the ID token: %v", why, err)
		}
	}

	tok1, raw1 := signIn()
	kid1 := idTokenKid(t, tok1)
	if got := jwksKids(t, rp); !slices.Equal(got, []string{kid1}) {
		t.Fatalf("JWKS before the rotation: %v, want [%s]", got, kid1)
	}

	// The command's process: another Portal on the same database.
	cmd, err := portal.New(srv.Config)
	if err != nil {
		t.Fatalf("a second portal.New on the database: %v", err)
	}
	kid2, err := cmd.Identity().RotateOIDCKey(context.Background())
	cmd.Close()
	if err != nil {
		t.Fatalf("rotate: %v", err)
	}
	if kid2 == kid1 || kid2 == "" {
		t.Fatalf("rotation returned key id %q (the old one is %q)", kid2, kid1)
	}
	rotatedAt := clock.Now()

	// Within OIDCKeyRecheck the server has seen the rotation.
	clock.Advance(identity.OIDCKeyRecheck + time.Second)
	want := []string{kid1, kid2}
	slices.Sort(want)
	if got := jwksKids(t, rp); !slices.Equal(got, want) {
		t.Fatalf("JWKS after the rotation: %v, want the current and the previous key %v", got, want)
	}
	verify(raw1, "a token signed with the previous key")
	tok2, raw2 := signIn()
	if got := idTokenKid(t, tok2); got != kid2 {
		t.Fatalf("a token issued after the rotation is signed with %q, want the new key %q", got, kid2)
	}
	verify(raw2, "a token signed with the new key")

	// While a token of the previous key may still be valid, the key
	// stays: tokens are signed with it until OIDCKeyRecheck after the
	// rotation and live OIDCIDTokenLifetime.
	clock.Advance(identity.OIDCIDTokenLifetime)
	if got := jwksKids(t, rp); !slices.Equal(got, want) {
		t.Fatalf("JWKS an ID-token lifetime after the rotation: %v, want %v", got, want)
	}
	// Then it goes; the new key stays and still verifies.
	clock.Advance(rotatedAt.Add(identity.OIDCRetiredKeyPublished + identity.OIDCKeyRecheck + time.Second).Sub(clock.Now()))
	if got := jwksKids(t, rp); !slices.Equal(got, []string{kid2}) {
		t.Fatalf("JWKS once the previous key's tokens have expired: %v, want [%s]", got, kid2)
	}
	tok3, raw3 := signIn()
	if got := idTokenKid(t, tok3); got != kid2 {
		t.Fatalf("key %q signed, want %q", got, kid2)
	}
	verify(raw3, "a token signed with the current key after the previous one left")
}
