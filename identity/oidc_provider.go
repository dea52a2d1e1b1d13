package identity

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/accountportal/portal/store"
)

// Portal as an OpenID Provider (issue 20). The protocol is zitadel/oidc's
// op package; this file is its storage and Portal's policy: who the
// clients are, how long things live, what a token says about a person.
const (
	OIDCAuthRequestLifetime = 30 * time.Minute // from authorize to the code
	OIDCCodeLifetime        = time.Minute
	OIDCAccessTokenLifetime = 15 * time.Minute
	OIDCRefreshLifetime     = 30 * 24 * time.Hour
	OIDCIDTokenLifetime     = time.Hour
	// OIDCRetiredKeyPublished: a retired signing key stays in the JWKS
	// this long, past the life of every ID token it signed (an instance
	// may sign with it for up to OIDCKeyRecheck after the rotation).
	OIDCRetiredKeyPublished = 2 * OIDCIDTokenLifetime
	// OIDCKeyRecheck: how often an instance looks for a key rotated by
	// another process (portal oidc rotate-key, another instance).
	OIDCKeyRecheck = time.Minute
)

// Scopes Portal knows; openid is required.
var OIDCScopes = []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail, oidc.ScopeOfflineAccess}

// oidcKeys holds the provider's key material derived from the server key.
type oidcKeys struct {
	crypto [32]byte       // the op package's AES key for opaque tokens and codes
	seal   *keyEncryption // seals signing keys at rest
	cache  atomic.Pointer[keyCache]
}

type keyCache struct {
	signing *signingKey
	public  []op.Key
	loaded  time.Time
}

func newOIDCKeys(master []byte) (*oidcKeys, error) {
	k := &oidcKeys{}
	c, err := hkdf.Key(sha256.New, master, nil, "portal oidc: token crypto", 32)
	if err != nil {
		return nil, err
	}
	copy(k.crypto[:], c)
	s, err := hkdf.Key(sha256.New, master, nil, "portal oidc: signing key seal", 32)
	if err != nil {
		return nil, err
	}
	if k.seal, err = newKeyEncryption(s); err != nil {
		return nil, err
	}
	return k, nil
}

type signingKey struct {
	id  string
	key *ecdsa.PrivateKey
}

func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.ES256 }
func (k *signingKey) Key() any                                    { return k.key }
func (k *signingKey) ID() string                                  { return k.id }

type publicKey struct {
	id  string
	alg jose.SignatureAlgorithm
	key any
}

func (k *publicKey) ID() string                         { return k.id }
func (k *publicKey) Algorithm() jose.SignatureAlgorithm { return k.alg }
func (k *publicKey) Use() string                        { return "sig" }
func (k *publicKey) Key() any                           { return k.key }

// ErrOIDCOff: the server was built without the OpenID Provider's key.
var ErrOIDCOff = errors.New("identity: the OpenID Provider has no key (Options.OIDCKey)")

// newSigningKey makes an ES256 key, its private half sealed.
func (s *Service) newSigningKey() (*store.OIDCKey, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	id := randomToken(12)
	pub, err := json.Marshal(jose.JSONWebKey{Key: &priv.PublicKey, KeyID: id, Algorithm: string(jose.ES256), Use: "sig"})
	if err != nil {
		return nil, err
	}
	return &store.OIDCKey{ID: id, Algorithm: string(jose.ES256), PublicJWK: pub,
		Sealed: s.oidc.seal.seal("oidc-key:"+id, der), CreatedAt: s.now()}, nil
}

// RotateOIDCKey makes a new signing key current (`portal oidc rotate-key`);
// the old one stays in the JWKS until the tokens it signed have expired.
// Every instance signs with the new key within a minute.
func (s *Service) RotateOIDCKey(ctx context.Context) (string, error) {
	if s.oidc == nil {
		return "", ErrOIDCOff
	}
	k, err := s.newSigningKey()
	if err != nil {
		return "", err
	}
	if err := s.store.AddOIDCKey(ctx, k, true); err != nil {
		return "", err
	}
	s.oidc.cache.Store(nil)
	return k.ID, nil
}

// oidcKeySet returns the current signing key and the published keys,
// cached for a minute: signing takes no lock and no query (issue 20
// "Performance").
func (s *Service) oidcKeySet(ctx context.Context) (*keyCache, error) {
	if s.oidc == nil {
		return nil, ErrOIDCOff
	}
	now := s.now()
	if c := s.oidc.cache.Load(); c != nil && now.Sub(c.loaded) < OIDCKeyRecheck && !now.Before(c.loaded) {
		return c, nil
	}
	keys, err := s.store.ListOIDCKeys(ctx, now.Add(-OIDCRetiredKeyPublished))
	if err != nil {
		return nil, err
	}
	c := &keyCache{loaded: now}
	for _, k := range keys {
		var jwk jose.JSONWebKey
		if err := json.Unmarshal(k.PublicJWK, &jwk); err != nil {
			return nil, fmt.Errorf("oidc key %s: %w", k.ID, err)
		}
		c.public = append(c.public, &publicKey{id: k.ID, alg: jose.SignatureAlgorithm(k.Algorithm), key: jwk.Key})
		if c.signing != nil || !k.RetiredAt.IsZero() {
			continue
		}
		der, err := s.oidc.seal.open("oidc-key:"+k.ID, k.Sealed)
		if err != nil {
			// Sealed under server keys that were since moved (portal
			// move-secrets): it still verifies, but a new key signs.
			s.log.Warn("an OpenID Connect signing key does not open with the current server key; making a new one", "kid", k.ID)
			continue
		}
		priv, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return nil, err
		}
		ec, ok := priv.(*ecdsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("oidc key %s is not an ECDSA key", k.ID)
		}
		c.signing = &signingKey{id: k.ID, key: ec}
	}
	if c.signing == nil {
		// The first use (or every current key unreadable): make one. Two
		// instances doing so at once both publish; the newest signs.
		k, err := s.newSigningKey()
		if err != nil {
			return nil, err
		}
		if err := s.store.AddOIDCKey(ctx, k, len(keys) > 0); err != nil {
			return nil, err
		}
		return s.oidcKeySet(ctx)
	}
	s.oidc.cache.Store(c)
	return c, nil
}

// OIDCStorage is the op package's Storage over Portal's store: what the
// provider persists and decides. loginURL is the page an authorization
// request goes to for sign-in and consent.
func (s *Service) OIDCStorage(loginURL func(id string) string) (*OIDCStorage, error) {
	if s.oidc == nil {
		return nil, ErrOIDCOff
	}
	return &OIDCStorage{s: s, loginURL: loginURL}, nil
}

// OIDCCryptoKey is the op package's key for its opaque tokens and codes,
// the same on every instance.
func (s *Service) OIDCCryptoKey() [32]byte {
	if s.oidc == nil {
		return [32]byte{}
	}
	return s.oidc.crypto
}

// OIDCStorage implements op.Storage.
type OIDCStorage struct {
	s        *Service
	loginURL func(string) string
}

var _ op.Storage = (*OIDCStorage)(nil)

// --- Clients ---

type oidcClient struct {
	c        *OIDCClient
	loginURL func(string) string
}

func (c *oidcClient) GetID() string                    { return c.c.ID }
func (c *oidcClient) RedirectURIs() []string           { return c.c.RedirectURIs }
func (c *oidcClient) PostLogoutRedirectURIs() []string { return c.c.PostLogoutRedirectURIs }
func (c *oidcClient) ApplicationType() op.ApplicationType {
	if c.c.Public {
		return op.ApplicationTypeNative
	}
	return op.ApplicationTypeWeb
}
func (c *oidcClient) AuthMethod() oidc.AuthMethod {
	if c.c.Public {
		return oidc.AuthMethodNone
	}
	return oidc.AuthMethodBasic
}
func (c *oidcClient) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *oidcClient) GrantTypes() []oidc.GrantType {
	return []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
}
func (c *oidcClient) LoginURL(id string) string            { return c.loginURL(id) }
func (c *oidcClient) AccessTokenType() op.AccessTokenType  { return op.AccessTokenTypeBearer }
func (c *oidcClient) IDTokenLifetime() time.Duration       { return OIDCIDTokenLifetime }
func (c *oidcClient) DevMode() bool                        { return false }
func (c *oidcClient) IsScopeAllowed(string) bool           { return false }
func (c *oidcClient) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c *oidcClient) ClockSkew() time.Duration             { return 0 }
func (c *oidcClient) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *oidcClient) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// GetClientByClientID returns the registered client.
func (st *OIDCStorage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := st.s.store.FindOIDCClient(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errors.New("unknown client")
	} else if err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	return &oidcClient{c: c, loginURL: st.loginURL}, nil
}

// AuthorizeClientIDSecret checks a confidential client's secret.
func (st *OIDCStorage) AuthorizeClientIDSecret(ctx context.Context, id, secret string) error {
	c, err := st.s.store.FindOIDCClient(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return errors.New("unknown client")
	} else if err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	if !checkClientSecret(c, secret) {
		return errors.New("wrong client secret")
	}
	return nil
}

// --- Authorization requests and codes ---

type authRequest struct {
	r    *store.OIDCAuthRequest
	code []byte // the hash of the code it was found by, for an exchange
}

func (a *authRequest) GetID() string         { return a.r.ID }
func (a *authRequest) GetACR() string        { return "" }
func (a *authRequest) GetAMR() []string      { return a.r.AMR }
func (a *authRequest) GetAudience() []string { return []string{a.r.ClientID} }
func (a *authRequest) GetAuthTime() time.Time {
	return a.r.AuthTime
}
func (a *authRequest) GetClientID() string { return a.r.ClientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if a.r.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: a.r.CodeChallenge, Method: oidc.CodeChallengeMethod(a.r.CodeChallengeMethod)}
}
func (a *authRequest) GetNonce() string                   { return a.r.Nonce }
func (a *authRequest) GetRedirectURI() string             { return a.r.RedirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType { return oidc.ResponseType(a.r.ResponseType) }
func (a *authRequest) GetResponseMode() oidc.ResponseMode { return oidc.ResponseMode(a.r.ResponseMode) }
func (a *authRequest) GetScopes() []string                { return a.r.Scopes }
func (a *authRequest) GetState() string                   { return a.r.State }
func (a *authRequest) GetSubject() string                 { return a.r.UserID }
func (a *authRequest) Done() bool                         { return a.r.Done }

// CreateAuthRequest stores a validated authorization request. A public
// client must use PKCE, and only S256 (issue 20).
func (st *OIDCStorage) CreateAuthRequest(ctx context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	c, err := st.s.store.FindOIDCClient(ctx, req.ClientID)
	if err != nil {
		return nil, oidc.ErrInvalidClient().WithParent(err)
	}
	if req.CodeChallenge == "" && c.Public {
		return nil, oidc.ErrInvalidRequest().WithDescription("PKCE (code_challenge with S256) is required for this client")
	}
	if req.CodeChallenge != "" && req.CodeChallengeMethod != oidc.CodeChallengeMethodS256 {
		return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge_method must be S256")
	}
	if !slices.Contains(req.Scopes, oidc.ScopeOpenID) {
		return nil, oidc.ErrInvalidScope().WithDescription("the openid scope is required")
	}
	now := st.s.now()
	maxAge := -1
	if req.MaxAge != nil {
		maxAge = int(min(*req.MaxAge, 1<<31-1))
	}
	r := &store.OIDCAuthRequest{
		ID: randomToken(24), ClientID: req.ClientID, RedirectURI: req.RedirectURI, State: req.State, Nonce: req.Nonce,
		Scopes:       slices.DeleteFunc(slices.Clone(req.Scopes), func(s string) bool { return !slices.Contains(OIDCScopes, s) }),
		ResponseType: string(req.ResponseType), ResponseMode: string(req.ResponseMode), Prompt: req.Prompt, MaxAge: maxAge,
		LoginHint: truncate(req.LoginHint, 256), CodeChallenge: req.CodeChallenge, CodeChallengeMethod: string(req.CodeChallengeMethod),
		CreatedAt: now, ExpiresAt: now.Add(OIDCAuthRequestLifetime),
	}
	if err := st.s.store.CreateOIDCAuthRequest(ctx, r, now); err != nil {
		return nil, err
	}
	return &authRequest{r: r}, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return ""
	}
	return s
}

// AuthRequestByID returns an unexpired request.
func (st *OIDCStorage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	r, err := st.s.store.FindOIDCAuthRequest(ctx, id, st.s.now())
	if err != nil {
		return nil, fmt.Errorf("authorization request: %w", err)
	}
	return &authRequest{r: r}, nil
}

// SaveAuthCode attaches the code to the request (its hash only).
func (st *OIDCStorage) SaveAuthCode(ctx context.Context, id, code string) error {
	return st.s.store.SetOIDCAuthCode(ctx, id, sha(code), st.s.now().Add(OIDCCodeLifetime))
}

// AuthRequestByCode looks the code up for an exchange. A code used
// before is an attack or a replay: every token issued from it is revoked
// (RFC 6749 §4.1.2). The code is spent only once the client and its PKCE
// verifier are checked (storeTokens), so that a wrong guess does not burn it.
func (st *OIDCStorage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	r, used, err := st.s.store.ConsumeOIDCAuthCode(ctx, sha(code), st.s.now(), false)
	if err != nil {
		return nil, fmt.Errorf("code: %w", err)
	}
	if used {
		return nil, st.codeReused(ctx, r)
	}
	return &authRequest{r: r, code: sha(code)}, nil
}

func (st *OIDCStorage) codeReused(ctx context.Context, r *store.OIDCAuthRequest) error {
	if err := st.s.store.DeleteOIDCFamily(ctx, r.ID); err != nil {
		return err
	}
	st.s.log.WarnContext(ctx, "an authorization code was used twice; its tokens are revoked", "client_id", r.ClientID)
	return errors.New("code used already")
}

// storeTokens stores the tokens of an exchange. For a code it spends the
// code in the same step, once on any instance (RedeemOIDCAuthCode): of two
// concurrent exchanges one gets the tokens, and the other, finding the
// code used, revokes them (RFC 6749 §4.1.2). The code is spent only here,
// once the client and its PKCE verifier were checked, so that a wrong
// guess does not burn it.
func (st *OIDCStorage) storeTokens(ctx context.Context, req op.TokenRequest, a *store.OIDCAccessToken, r *store.OIDCRefreshToken) error {
	ar, ok := req.(*authRequest)
	if !ok || ar.code == nil {
		return st.s.store.CreateOIDCTokens(ctx, a, r)
	}
	got, used, err := st.s.store.RedeemOIDCAuthCode(ctx, ar.code, st.s.now(), a, r)
	if err != nil {
		return oidc.ErrInvalidGrant().WithDescription("invalid code").WithParent(err)
	}
	if used {
		return oidc.ErrInvalidGrant().WithDescription("invalid code").WithParent(st.codeReused(ctx, got))
	}
	return nil
}

// DeleteAuthRequest is called after the exchange. The used request stays
// until it expires, so that a second use of its code is recognised.
func (st *OIDCStorage) DeleteAuthRequest(context.Context, string) error { return nil }

// --- Tokens ---

type refreshRequest struct{ t *store.OIDCRefreshToken }

func (r *refreshRequest) GetAMR() []string            { return r.t.AMR }
func (r *refreshRequest) GetAudience() []string       { return []string{r.t.ClientID} }
func (r *refreshRequest) GetAuthTime() time.Time      { return r.t.AuthTime }
func (r *refreshRequest) GetClientID() string         { return r.t.ClientID }
func (r *refreshRequest) GetScopes() []string         { return r.t.Scopes }
func (r *refreshRequest) GetSubject() string          { return r.t.UserID }
func (r *refreshRequest) SetCurrentScopes(s []string) { r.t.Scopes = s }

// tokenSource is what an access token is issued from.
func tokenSource(req op.TokenRequest) (family, clientID string, amr []string, authTime time.Time, err error) {
	switch r := req.(type) {
	case *authRequest:
		return r.r.ID, r.r.ClientID, r.r.AMR, r.r.AuthTime, nil
	case *refreshRequest:
		return r.t.Family, r.t.ClientID, r.t.AMR, r.t.AuthTime, nil
	}
	return "", "", nil, time.Time{}, oidc.ErrUnsupportedGrantType()
}

func (st *OIDCStorage) newAccess(req op.TokenRequest, family, clientID string) *store.OIDCAccessToken {
	now := st.s.now()
	return &store.OIDCAccessToken{ID: randomToken(18), Family: family, ClientID: clientID, UserID: req.GetSubject(),
		Scopes: req.GetScopes(), ExpiresAt: now.Add(OIDCAccessTokenLifetime), CreatedAt: now}
}

// CreateAccessToken issues an access token (no refresh token).
func (st *OIDCStorage) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	family, clientID, _, _, err := tokenSource(req)
	if err != nil {
		return "", time.Time{}, err
	}
	a := st.newAccess(req, family, clientID)
	if err := st.storeTokens(ctx, req, a, nil); err != nil {
		return "", time.Time{}, err
	}
	return a.ID, a.ExpiresAt, nil
}

// CreateAccessAndRefreshTokens issues an access and a refresh token; with
// current, it rotates that refresh token (RFC 9700 §4.14.2): it works
// once, and a second use revokes the whole family.
func (st *OIDCStorage) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	family, clientID, amr, authTime, err := tokenSource(req)
	if err != nil {
		return "", "", time.Time{}, err
	}
	now := st.s.now()
	a := st.newAccess(req, family, clientID)
	value := randomToken(32)
	r := &store.OIDCRefreshToken{Hash: sha(value), Family: family, ClientID: clientID, UserID: req.GetSubject(), Scopes: req.GetScopes(),
		AMR: amr, AuthTime: authTime, ExpiresAt: now.Add(OIDCRefreshLifetime), CreatedAt: now}
	if current == "" {
		err = st.storeTokens(ctx, req, a, r)
	} else {
		err = st.s.store.RotateOIDCRefreshToken(ctx, sha(current), a, r, now)
		if errors.Is(err, store.ErrNotFound) {
			// Used by a concurrent request a moment ago: reuse.
			if err := st.s.store.DeleteOIDCFamily(ctx, family); err != nil {
				return "", "", time.Time{}, err
			}
			return "", "", time.Time{}, oidc.ErrInvalidGrant().WithDescription("refresh token used already")
		}
	}
	if err != nil {
		return "", "", time.Time{}, err
	}
	return a.ID, value, a.ExpiresAt, nil
}

// TokenRequestByRefreshToken looks a refresh token up. A used one is a
// replay — by an attacker or by the client whose token was stolen — and
// revokes its family.
func (st *OIDCStorage) TokenRequestByRefreshToken(ctx context.Context, token string) (op.RefreshTokenRequest, error) {
	t, err := st.s.store.FindOIDCRefreshToken(ctx, sha(token))
	if err != nil {
		return nil, oidc.ErrInvalidGrant().WithDescription("invalid refresh token")
	}
	if !t.UsedAt.IsZero() {
		if err := st.s.store.DeleteOIDCFamily(ctx, t.Family); err != nil {
			return nil, err
		}
		st.s.log.WarnContext(ctx, "a refresh token was used twice; its family is revoked", "client_id", t.ClientID)
		return nil, oidc.ErrInvalidGrant().WithDescription("refresh token used already")
	}
	if !t.ExpiresAt.After(st.s.now()) {
		return nil, oidc.ErrInvalidGrant().WithDescription("refresh token expired")
	}
	return &refreshRequest{t}, nil
}

// TerminateSession ends the user's tokens for the client (end_session).
func (st *OIDCStorage) TerminateSession(ctx context.Context, userID, clientID string) error {
	return st.s.store.DeleteOIDCUserTokens(ctx, userID, clientID)
}

// GetRefreshTokenInfo identifies a refresh token for revocation.
func (st *OIDCStorage) GetRefreshTokenInfo(ctx context.Context, clientID, token string) (string, string, error) {
	t, err := st.s.store.FindOIDCRefreshToken(ctx, sha(token))
	if err != nil || t.ClientID != clientID {
		return "", "", op.ErrInvalidRefreshToken
	}
	return t.UserID, "rt:" + token, nil
}

// RevokeToken revokes an access token (by id) or a refresh token with its
// family (RFC 7009 §2.1). Unknown tokens are not an error.
func (st *OIDCStorage) RevokeToken(ctx context.Context, tokenOrID, userID, clientID string) *oidc.Error {
	if rt, ok := strings.CutPrefix(tokenOrID, "rt:"); ok {
		t, err := st.s.store.FindOIDCRefreshToken(ctx, sha(rt))
		if err != nil {
			return nil
		}
		if t.ClientID != clientID {
			return oidc.ErrInvalidClient().WithDescription("token was not issued to this client")
		}
		if err := st.s.store.DeleteOIDCFamily(ctx, t.Family); err != nil {
			return oidc.ErrServerError().WithParent(err)
		}
		return nil
	}
	a, err := st.s.store.FindOIDCAccessToken(ctx, tokenOrID, st.s.now())
	if err != nil {
		return nil
	}
	if a.ClientID != clientID {
		return oidc.ErrInvalidClient().WithDescription("token was not issued to this client")
	}
	if err := st.s.store.DeleteOIDCAccessToken(ctx, a.ID); err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	return nil
}

// --- Keys ---

// SigningKey is the current key (cached; no lock while signing).
func (st *OIDCStorage) SigningKey(ctx context.Context) (op.SigningKey, error) {
	c, err := st.s.oidcKeySet(ctx)
	if err != nil {
		return nil, err
	}
	return c.signing, nil
}

// SignatureAlgorithms: ES256.
func (st *OIDCStorage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.ES256}, nil
}

// KeySet is the published keys: the current one and those retired less
// than OIDCRetiredKeyPublished ago.
func (st *OIDCStorage) KeySet(ctx context.Context) ([]op.Key, error) {
	c, err := st.s.oidcKeySet(ctx)
	if err != nil {
		return nil, err
	}
	return c.public, nil
}

// --- Claims ---

func (st *OIDCStorage) setUserinfo(ctx context.Context, info *oidc.UserInfo, userID string, scopes []string) error {
	u, err := st.s.store.FindUserByID(ctx, userID)
	if err != nil {
		return fmt.Errorf("user: %w", err)
	}
	info.Subject = u.ID
	if slices.Contains(scopes, oidc.ScopeEmail) {
		info.Email, info.EmailVerified = u.Email, oidc.Bool(u.EmailConfirmed)
	}
	if slices.Contains(scopes, oidc.ScopeProfile) {
		info.PreferredUsername = u.UserName
	}
	return nil
}

// SetUserinfoFromScopes is deprecated in the op package; see
// SetUserinfoFromRequest.
func (st *OIDCStorage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest fills the ID token's claims.
func (st *OIDCStorage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	return st.setUserinfo(ctx, info, req.GetSubject(), scopes)
}

// SetUserinfoFromToken answers the userinfo endpoint for a live access
// token.
func (st *OIDCStorage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	a, err := st.s.store.FindOIDCAccessToken(ctx, tokenID, st.s.now())
	if err != nil || a.UserID != subject {
		return errors.New("invalid access token")
	}
	return st.setUserinfo(ctx, info, a.UserID, a.Scopes)
}

// SetIntrospectionFromToken answers introspection for the client the
// token was issued to.
func (st *OIDCStorage) SetIntrospectionFromToken(ctx context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, clientID string) error {
	a, err := st.s.store.FindOIDCAccessToken(ctx, tokenID, st.s.now())
	if err != nil || a.UserID != subject || a.ClientID != clientID {
		return errors.New("invalid access token")
	}
	info := new(oidc.UserInfo)
	if err := st.setUserinfo(ctx, info, a.UserID, a.Scopes); err != nil {
		return err
	}
	resp.SetUserInfo(info)
	resp.Scope, resp.ClientID, resp.Expiration = a.Scopes, a.ClientID, oidc.FromTime(a.ExpiresAt)
	return nil
}

// GetPrivateClaimsFromScopes: Portal adds no private claims.
func (st *OIDCStorage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetKeyByIDAndClientID: clients authenticate with secrets, not keys.
func (st *OIDCStorage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("private_key_jwt is not supported")
}

// ValidateJWTProfileScopes: the JWT profile grant is not supported.
func (st *OIDCStorage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("the JWT profile grant is not supported")
}

// Health checks the database.
func (st *OIDCStorage) Health(ctx context.Context) error { return st.s.store.Ping(ctx) }
