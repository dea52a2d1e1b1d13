package storetest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accountportal/portal/store"
)

func mustOIDCClient(t *testing.T, s store.Store, id string) *store.OIDCClient {
	t.Helper()
	c := &store.OIDCClient{ID: id, Name: "App " + id, SecretHash: []byte("hash-" + id),
		RedirectURIs: []string{"https://app.example/cb", "http://127.0.0.1/cb"}, PostLogoutRedirectURIs: []string{"https://app.example/bye"},
		CreatedAt: base}
	if err := s.CreateOIDCClient(context.Background(), c); err != nil {
		t.Fatalf("create client: %v", err)
	}
	return c
}

func testOIDCClients(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := mustOIDCClient(t, s, "c1")
	if err := s.CreateOIDCClient(ctx, c); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second create: %v, want ErrConflict", err)
	}
	got, err := s.FindOIDCClient(ctx, "c1")
	if err != nil || got.Name != c.Name || !slices.Equal(got.RedirectURIs, c.RedirectURIs) ||
		!slices.Equal(got.PostLogoutRedirectURIs, c.PostLogoutRedirectURIs) || string(got.SecretHash) != "hash-c1" || !got.CreatedAt.Equal(base) {
		t.Fatalf("find: %+v, %v", got, err)
	}
	pub := &store.OIDCClient{ID: "c2", Name: "Public", RedirectURIs: []string{"app:/cb"}, Public: true, SkipConsent: true, CreatedAt: base.Add(time.Second)}
	if err := s.CreateOIDCClient(ctx, pub); err != nil {
		t.Fatal(err)
	}
	got, err = s.FindOIDCClient(ctx, "c2")
	if err != nil || !got.Public || !got.SkipConsent || got.SecretHash != nil || got.PostLogoutRedirectURIs != nil {
		t.Fatalf("public client: %+v, %v", got, err)
	}
	list, err := s.ListOIDCClients(ctx)
	if err != nil || len(list) != 2 || list[0].ID != "c1" {
		t.Fatalf("list: %v, %v", list, err)
	}
	c.SecretHash = []byte("rotated")
	if err := s.UpdateOIDCClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.FindOIDCClient(ctx, "c1"); string(got.SecretHash) != "rotated" {
		t.Fatalf("after update: %q", got.SecretHash)
	}
	if err := s.UpdateOIDCClient(ctx, &store.OIDCClient{ID: "nope"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update unknown: %v", err)
	}
	if err := s.DeleteOIDCClient(ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FindOIDCClient(ctx, "c1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if err := s.DeleteOIDCClient(ctx, "c1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
}

func newAuthRequest(id, client string) *store.OIDCAuthRequest {
	return &store.OIDCAuthRequest{ID: id, ClientID: client, RedirectURI: "https://app.example/cb", State: "st", Nonce: "n",
		Scopes: []string{"openid", "email"}, ResponseType: "code", Prompt: []string{"login"}, MaxAge: -1,
		CodeChallenge: "abc", CodeChallengeMethod: "S256", CreatedAt: base, ExpiresAt: base.Add(30 * time.Minute)}
}

// testOIDCCodeOnce: a code is exchanged once, across any number of
// concurrent callers; a second exchange is reported as reuse.
func testOIDCCodeOnce(t *testing.T, s store.Store) {
	ctx := context.Background()
	MustCreateUser(t, s, "u1", "u1@example.com")
	mustOIDCClient(t, s, "c1")
	r := newAuthRequest("r1", "c1")
	if err := s.CreateOIDCAuthRequest(ctx, r, base); err != nil {
		t.Fatal(err)
	}
	if err := s.SetOIDCAuthCode(ctx, "r1", []byte("code"), base.Add(time.Minute)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("code before done: %v", err)
	}
	got, err := s.FindOIDCAuthRequest(ctx, "r1", base)
	if err != nil || got.Done || got.MaxAge != -1 || !slices.Equal(got.Scopes, r.Scopes) || !slices.Equal(got.Prompt, r.Prompt) || got.CodeChallenge != "abc" {
		t.Fatalf("find: %+v, %v", got, err)
	}
	if _, err := s.FindOIDCAuthRequest(ctx, "r1", base.Add(time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired request: %v", err)
	}
	at := base.Add(time.Second)
	if err := s.CompleteOIDCAuthRequest(ctx, "r1", "u1", at, []string{"pwd", "otp"}, base); err != nil {
		t.Fatal(err)
	}
	got, _ = s.FindOIDCAuthRequest(ctx, "r1", base)
	if !got.Done || got.UserID != "u1" || !got.AuthTime.Equal(at) || !slices.Equal(got.AMR, []string{"pwd", "otp"}) {
		t.Fatalf("completed: %+v", got)
	}
	if err := s.SetOIDCAuthCode(ctx, "r1", []byte("code"), base.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetOIDCAuthCode(ctx, "r1", []byte("code2"), base.Add(time.Minute)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second code: %v", err)
	}
	if _, _, err := s.ConsumeOIDCAuthCode(ctx, []byte("nope"), base, true); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown code: %v", err)
	}
	if req, used, err := s.ConsumeOIDCAuthCode(ctx, []byte("code"), base, false); err != nil || used || req.ID != "r1" {
		t.Fatalf("look at the code: %+v, %v, %v", req, used, err)
	}
	var wg sync.WaitGroup
	var fresh, reused atomic.Int32
	for range 8 {
		wg.Go(func() {
			req, used, err := s.ConsumeOIDCAuthCode(ctx, []byte("code"), base, true)
			switch {
			case err != nil:
				t.Errorf("consume: %v", err)
			case req.ID != "r1":
				t.Errorf("consume: request %q", req.ID)
			case used:
				reused.Add(1)
			default:
				fresh.Add(1)
			}
		})
	}
	wg.Wait()
	if fresh.Load() != 1 || reused.Load() != 7 {
		t.Fatalf("fresh %d, reused %d; want 1 and 7", fresh.Load(), reused.Load())
	}
	// An expired, unused code is not found.
	r2 := newAuthRequest("r2", "c1")
	s.CreateOIDCAuthRequest(ctx, r2, base)
	s.CompleteOIDCAuthRequest(ctx, "r2", "u1", base, nil, base)
	s.SetOIDCAuthCode(ctx, "r2", []byte("code-2"), base.Add(time.Minute))
	if _, _, err := s.ConsumeOIDCAuthCode(ctx, []byte("code-2"), base.Add(2*time.Minute), true); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired code: %v", err)
	}
}

func tokens(family, user, client, access string, refresh []byte) (*store.OIDCAccessToken, *store.OIDCRefreshToken) {
	a := &store.OIDCAccessToken{ID: access, Family: family, ClientID: client, UserID: user, Scopes: []string{"openid"},
		ExpiresAt: base.Add(time.Hour), CreatedAt: base}
	var r *store.OIDCRefreshToken
	if refresh != nil {
		r = &store.OIDCRefreshToken{Hash: refresh, Family: family, ClientID: client, UserID: user, Scopes: []string{"openid", "offline_access"},
			AMR: []string{"pwd"}, AuthTime: base, ExpiresAt: base.Add(24 * time.Hour), CreatedAt: base}
	}
	return a, r
}

// testOIDCRefresh: a refresh token rotates once; the used one is kept
// (reuse is seen) and a family is revoked whole.
func testOIDCRefresh(t *testing.T, s store.Store) {
	ctx := context.Background()
	MustCreateUser(t, s, "u1", "u1@example.com")
	mustOIDCClient(t, s, "c1")
	a, r := tokens("f1", "u1", "c1", "a1", []byte("r1"))
	if err := s.CreateOIDCTokens(ctx, a, r); err != nil {
		t.Fatal(err)
	}
	if got, err := s.FindOIDCAccessToken(ctx, "a1", base); err != nil || got.UserID != "u1" || got.Family != "f1" {
		t.Fatalf("access: %+v, %v", got, err)
	}
	if _, err := s.FindOIDCAccessToken(ctx, "a1", base.Add(2*time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired access: %v", err)
	}
	got, err := s.FindOIDCRefreshToken(ctx, []byte("r1"))
	if err != nil || !got.UsedAt.IsZero() || !slices.Equal(got.AMR, []string{"pwd"}) || !got.AuthTime.Equal(base) {
		t.Fatalf("refresh: %+v, %v", got, err)
	}
	var wg sync.WaitGroup
	var won atomic.Int32
	for i := range 6 {
		wg.Go(func() {
			a2, r2 := tokens("f1", "u1", "c1", "a2-"+string(rune('a'+i)), []byte("r2-"+string(rune('a'+i))))
			err := s.RotateOIDCRefreshToken(ctx, []byte("r1"), a2, r2, base.Add(time.Minute))
			switch {
			case err == nil:
				won.Add(1)
			case !errors.Is(err, store.ErrNotFound):
				t.Errorf("rotate: %v", err)
			}
		})
	}
	wg.Wait()
	if won.Load() != 1 {
		t.Fatalf("%d rotations won, want 1", won.Load())
	}
	if _, err := s.FindOIDCAccessToken(ctx, "a1", base); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the rotated-out access token: %v", err)
	}
	if got, _ := s.FindOIDCRefreshToken(ctx, []byte("r1")); got == nil || got.UsedAt.IsZero() {
		t.Fatalf("used refresh token: %+v", got)
	}
	if err := s.DeleteOIDCFamily(ctx, "f1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FindOIDCRefreshToken(ctx, []byte("r1")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after family revoked: %v", err)
	}
	// Deleting the user removes its tokens.
	a, r = tokens("f2", "u1", "c1", "a3", []byte("r3"))
	s.CreateOIDCTokens(ctx, a, r)
	if err := s.DeleteOIDCAccessToken(ctx, "a3"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FindOIDCAccessToken(ctx, "a3", base); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoked access: %v", err)
	}
	if err := s.DeleteUser(ctx, "u1", "u1@example.com", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FindOIDCRefreshToken(ctx, []byte("r3")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after the user was deleted: %v", err)
	}
}

func testOIDCGrants(t *testing.T, s store.Store) {
	ctx := context.Background()
	MustCreateUser(t, s, "u1", "u1@example.com")
	mustOIDCClient(t, s, "c1")
	mustOIDCClient(t, s, "c2")
	if _, err := s.FindOIDCGrant(ctx, "u1", "c1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("no grant: %v", err)
	}
	g := &store.OIDCGrant{UserID: "u1", ClientID: "c1", Scopes: []string{"openid"}, CreatedAt: base, UpdatedAt: base}
	if err := s.SetOIDCGrant(ctx, g); err != nil {
		t.Fatal(err)
	}
	g2 := &store.OIDCGrant{UserID: "u1", ClientID: "c1", Scopes: []string{"email", "openid"}, CreatedAt: base.Add(time.Hour), UpdatedAt: base.Add(time.Hour)}
	if err := s.SetOIDCGrant(ctx, g2); err != nil {
		t.Fatal(err)
	}
	got, err := s.FindOIDCGrant(ctx, "u1", "c1")
	if err != nil || !slices.Equal(got.Scopes, g2.Scopes) || !got.CreatedAt.Equal(base) || !got.UpdatedAt.Equal(g2.UpdatedAt) {
		t.Fatalf("grant: %+v, %v", got, err)
	}
	s.SetOIDCGrant(ctx, &store.OIDCGrant{UserID: "u1", ClientID: "c2", CreatedAt: base.Add(time.Minute), UpdatedAt: base})
	list, err := s.ListOIDCGrants(ctx, "u1")
	if err != nil || len(list) != 2 || list[0].ClientID != "c1" {
		t.Fatalf("list: %v, %v", list, err)
	}
	a, r := tokens("f1", "u1", "c1", "a1", []byte("r1"))
	s.CreateOIDCTokens(ctx, a, r)
	a, r = tokens("f2", "u1", "c2", "a2", []byte("r2"))
	s.CreateOIDCTokens(ctx, a, r)
	if err := s.DeleteOIDCGrant(ctx, "u1", "c1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FindOIDCRefreshToken(ctx, []byte("r1")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("removed app's refresh token: %v", err)
	}
	if _, err := s.FindOIDCAccessToken(ctx, "a2", base); err != nil {
		t.Fatalf("the other app's token: %v", err)
	}
	if err := s.DeleteOIDCGrant(ctx, "u1", "c1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second removal: %v", err)
	}
	if err := s.DeleteOIDCUserTokens(ctx, "u1", "c2"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FindOIDCAccessToken(ctx, "a2", base); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after DeleteOIDCUserTokens: %v", err)
	}
}

func testOIDCKeys(t *testing.T, s store.Store) {
	ctx := context.Background()
	k1 := &store.OIDCKey{ID: "k1", Algorithm: "ES256", PublicJWK: []byte(`{"kid":"k1"}`), Sealed: []byte("s1"), CreatedAt: base}
	if err := s.AddOIDCKey(ctx, k1, false); err != nil {
		t.Fatal(err)
	}
	k2 := &store.OIDCKey{ID: "k2", Algorithm: "ES256", PublicJWK: []byte(`{"kid":"k2"}`), Sealed: []byte("s2"), CreatedAt: base.Add(time.Hour)}
	if err := s.AddOIDCKey(ctx, k2, true); err != nil {
		t.Fatal(err)
	}
	keys, err := s.ListOIDCKeys(ctx, base)
	if err != nil || len(keys) != 2 || keys[0].ID != "k2" || !keys[0].RetiredAt.IsZero() || !keys[1].RetiredAt.Equal(k2.CreatedAt) || string(keys[1].Sealed) != "s1" {
		t.Fatalf("keys: %+v, %v", keys, err)
	}
	keys, err = s.ListOIDCKeys(ctx, base.Add(2*time.Hour))
	if err != nil || len(keys) != 1 || keys[0].ID != "k2" {
		t.Fatalf("keys after the old one's retirement window: %+v, %v", keys, err)
	}
}

// testOIDCCodeRedeem: redeeming a code spends it and stores its tokens in
// one step; of concurrent redeems exactly one stores tokens, and a used or
// expired code stores nothing.
func testOIDCCodeRedeem(t *testing.T, s store.Store) {
	ctx := context.Background()
	MustCreateUser(t, s, "u1", "u1@example.com")
	mustOIDCClient(t, s, "c1")
	for _, id := range []string{"r1", "r2"} {
		if err := s.CreateOIDCAuthRequest(ctx, newAuthRequest(id, "c1"), base); err != nil {
			t.Fatal(err)
		}
		if err := s.CompleteOIDCAuthRequest(ctx, id, "u1", base, []string{"pwd"}, base); err != nil {
			t.Fatal(err)
		}
		if err := s.SetOIDCAuthCode(ctx, id, []byte("code-"+id), base.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	var won atomic.Int32
	for i := range 6 {
		wg.Go(func() {
			a, r := tokens("r1", "u1", "c1", "a-"+string(rune('a'+i)), []byte("rt-"+string(rune('a'+i))))
			req, used, err := s.RedeemOIDCAuthCode(ctx, []byte("code-r1"), base, a, r)
			switch {
			case err != nil:
				t.Errorf("redeem: %v", err)
			case req.ID != "r1":
				t.Errorf("redeem: request %q", req.ID)
			case !used:
				won.Add(1)
			}
		})
	}
	wg.Wait()
	if won.Load() != 1 {
		t.Fatalf("%d redeems won, want 1", won.Load())
	}
	stored := 0
	for i := range 6 {
		id := "a-" + string(rune('a'+i))
		if _, err := s.FindOIDCAccessToken(ctx, id, base); err == nil {
			stored++
			if _, err := s.FindOIDCRefreshToken(ctx, []byte("rt-"+string(rune('a'+i)))); err != nil {
				t.Errorf("the winner's refresh token: %v", err)
			}
		}
	}
	if stored != 1 {
		t.Fatalf("%d redeems stored tokens, want 1", stored)
	}
	// The code is spent for the plain look too.
	if _, used, err := s.ConsumeOIDCAuthCode(ctx, []byte("code-r1"), base, false); err != nil || !used {
		t.Fatalf("look at a redeemed code: used %v, %v", used, err)
	}
	// An expired code: nothing stored.
	a, r := tokens("r2", "u1", "c1", "a-late", []byte("rt-late"))
	if _, _, err := s.RedeemOIDCAuthCode(ctx, []byte("code-r2"), base.Add(2*time.Minute), a, r); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired code: %v", err)
	}
	if _, err := s.FindOIDCAccessToken(ctx, "a-late", base); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an expired code's tokens were stored: %v", err)
	}
}
