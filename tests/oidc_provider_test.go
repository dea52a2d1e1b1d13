package tests

// A small OpenID Connect provider for the external-login tests, on the
// standard library and go-jose, served on loopback by httptest: discovery,
// JWKS, an authorization endpoint without a login UI (it "signs in" a
// preset user), a token endpoint that checks the client, the code, the
// redirect URI and the PKCE verifier, and a userinfo endpoint. Knobs make
// it misbehave one way at a time (OIDC-02), so that the tests can show
// Portal refuses each.

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// oxOPUser is who the provider signs in at its authorization endpoint.
type oxOPUser struct {
	Sub, Email, Name string
}

// oxKnobs make the provider misbehave; the zero value is a correct
// provider.
type oxKnobs struct {
	WrongAudience   bool // the ID token's aud is another client
	BadSignature    bool // the ID token is signed with a key not in the JWKS (same kid)
	WrongNonce      bool // the ID token's nonce is not the one of the authorize request
	Expired         bool // the ID token's exp is an hour in the past
	EmailUnverified bool // email_verified=false
	Refuse          bool // the authorize endpoint answers error=access_denied
	TokenFailure    bool // the token endpoint answers 500

	AlgNone         bool   // the ID token is unsigned (alg "none")
	HS256PublicKey  bool   // the ID token is HS256 with the JWKS public key (PEM) as the secret
	IssuerSuffix    string // appended to the ID token's iss ("/": off by a trailing slash)
	DiscoveryIssuer string // the discovery document's issuer, when not ""
	UserinfoEmail   string // userinfo answers this address, email_verified=false, when not ""
}

// oxAuthRequest is what the provider recorded of one authorize request.
type oxAuthRequest struct {
	Query url.Values // the whole query of the request
	User  oxOPUser   // the user signed in for it
	Used  bool       // its code was redeemed
}

// oxOP is the test provider. URL is its issuer.
type oxOP struct {
	URL          string
	ClientID     string
	ClientSecret string

	srv      *httptest.Server
	key      *rsa.PrivateKey // in the JWKS
	otherKey *rsa.PrivateKey // not in the JWKS (BadSignature)
	kid      string

	mu        sync.Mutex
	user      oxOPUser
	knobs     oxKnobs
	codes     map[string]*oxAuthRequest // code → request
	tokens    map[string]oxOPUser       // access token → user
	authLog   []url.Values              // every authorize request, in order
	tokenHits int                       // token endpoint requests
}

var (
	oxKeysOnce           sync.Once
	oxKeyA, oxKeyB       *rsa.PrivateKey
	oxKeyErrA, oxKeyErrB error
)

// oxKeys returns two RSA keys, generated once for the package (RSA key
// generation is slow under -race).
func oxKeys(t testing.TB) (*rsa.PrivateKey, *rsa.PrivateKey) {
	t.Helper()
	oxKeysOnce.Do(func() {
		oxKeyA, oxKeyErrA = rsa.GenerateKey(rand.Reader, 2048)
		oxKeyB, oxKeyErrB = rsa.GenerateKey(rand.Reader, 2048)
	})
	if oxKeyErrA != nil || oxKeyErrB != nil {
		t.Fatalf("rsa keys: %v %v", oxKeyErrA, oxKeyErrB)
	}
	return oxKeyA, oxKeyB
}

// oxRandom is a random URL-safe string of n bytes.
func oxRandom(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// newOxOP starts a provider on loopback; it stops when the test ends
// (after Portal, which the test starts later).
func newOxOP(t testing.TB) *oxOP {
	t.Helper()
	key, other := oxKeys(t)
	op := &oxOP{
		ClientID:     "portal-" + oxRandom(6),
		ClientSecret: "secret-" + oxRandom(18),
		key:          key,
		otherKey:     other,
		kid:          "k-" + oxRandom(6),
		user:         oxOPUser{Sub: "acme-" + oxRandom(8), Email: "ada@example.com", Name: "Ada Lovelace"},
		codes:        map[string]*oxAuthRequest{},
		tokens:       map[string]oxOPUser{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", op.handleDiscovery)
	mux.HandleFunc("GET /jwks", op.handleJWKS)
	mux.HandleFunc("GET /authorize", op.handleAuthorize)
	mux.HandleFunc("POST /token", op.handleToken)
	mux.HandleFunc("GET /userinfo", op.handleUserinfo)
	op.srv = httptest.NewServer(mux)
	op.URL = op.srv.URL
	t.Cleanup(op.srv.Close)
	return op
}

// SetUser sets who the provider signs in next.
func (op *oxOP) SetUser(u oxOPUser) {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.user = u
}

// User is who the provider signs in.
func (op *oxOP) User() oxOPUser {
	op.mu.Lock()
	defer op.mu.Unlock()
	return op.user
}

// SetKnobs sets the misbehaviour for the following requests.
func (op *oxOP) SetKnobs(k oxKnobs) {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.knobs = k
}

// AuthRequests returns the query of every authorize request so far.
func (op *oxOP) AuthRequests() []url.Values {
	op.mu.Lock()
	defer op.mu.Unlock()
	out := make([]url.Values, len(op.authLog))
	copy(out, op.authLog)
	return out
}

// TokenRequests counts the token endpoint's requests.
func (op *oxOP) TokenRequests() int {
	op.mu.Lock()
	defer op.mu.Unlock()
	return op.tokenHits
}

func oxJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func oxOAuthError(w http.ResponseWriter, status int, code, desc string) {
	oxJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

func (op *oxOP) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	op.mu.Lock()
	issuer := op.URL
	if op.knobs.DiscoveryIssuer != "" {
		issuer = op.knobs.DiscoveryIssuer
	}
	op.mu.Unlock()
	oxJSON(w, http.StatusOK, map[string]any{
		"issuer":                                issuer,
		"authorization_endpoint":                op.URL + "/authorize",
		"token_endpoint":                        op.URL + "/token",
		"userinfo_endpoint":                     op.URL + "/userinfo",
		"jwks_uri":                              op.URL + "/jwks",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid", "email", "profile"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"code_challenge_methods_supported":      []string{"S256"},
		"grant_types_supported":                 []string{"authorization_code"},
		"claims_supported":                      []string{"iss", "sub", "aud", "exp", "iat", "nonce", "email", "email_verified", "name"},
	})
}

func (op *oxOP) handleJWKS(w http.ResponseWriter, r *http.Request) {
	oxJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
		Key: &op.key.PublicKey, KeyID: op.kid, Algorithm: string(jose.RS256), Use: "sig",
	}}})
}

// handleAuthorize signs the preset user in and sends the browser back with
// a code (or error=access_denied when told to refuse).
func (op *oxOP) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	op.mu.Lock()
	defer op.mu.Unlock()
	op.authLog = append(op.authLog, q)
	if q.Get("client_id") != op.ClientID {
		http.Error(w, "unknown client", http.StatusBadRequest)
		return
	}
	if q.Get("response_type") != "code" {
		http.Error(w, "unsupported response_type", http.StatusBadRequest)
		return
	}
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || !redirect.IsAbs() {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	back := redirect.Query()
	if op.knobs.Refuse {
		back.Set("error", "access_denied")
		back.Set("error_description", "The user cancelled.")
	} else {
		code := oxRandom(24)
		op.codes[code] = &oxAuthRequest{Query: q, User: op.user}
		back.Set("code", code)
	}
	if s := q.Get("state"); s != "" {
		back.Set("state", s)
	}
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// clientAuth returns the client credentials of a token request:
// client_secret_basic (form-encoded inside Basic, RFC 6749 §2.3.1) or
// client_secret_post.
func oxClientAuth(r *http.Request) (id, secret string) {
	if u, p, ok := r.BasicAuth(); ok {
		id, _ = url.QueryUnescape(u)
		secret, _ = url.QueryUnescape(p)
		return id, secret
	}
	return r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
}

// handleToken redeems a code once: client, redirect URI and PKCE verifier
// must match the authorize request.
func (op *oxOP) handleToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oxOAuthError(w, http.StatusBadRequest, "invalid_request", "bad form")
		return
	}
	op.mu.Lock()
	defer op.mu.Unlock()
	op.tokenHits++
	if op.knobs.TokenFailure {
		oxOAuthError(w, http.StatusInternalServerError, "server_error", "the provider is having a bad day")
		return
	}
	id, secret := oxClientAuth(r)
	if id != op.ClientID || subtle.ConstantTimeCompare([]byte(secret), []byte(op.ClientSecret)) != 1 {
		oxOAuthError(w, http.StatusUnauthorized, "invalid_client", "wrong client credentials")
		return
	}
	if r.PostForm.Get("grant_type") != "authorization_code" {
		oxOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "")
		return
	}
	ar := op.codes[r.PostForm.Get("code")]
	if ar == nil || ar.Used {
		oxOAuthError(w, http.StatusBadRequest, "invalid_grant", "unknown or used code")
		return
	}
	ar.Used = true // a code is good once (RFC 6749 §4.1.2)
	if r.PostForm.Get("redirect_uri") != ar.Query.Get("redirect_uri") {
		oxOAuthError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri does not match")
		return
	}
	// PKCE is required, S256 only (RFC 7636 §4.6).
	challenge, method, verifier := ar.Query.Get("code_challenge"), ar.Query.Get("code_challenge_method"), r.PostForm.Get("code_verifier")
	sum := sha256.Sum256([]byte(verifier))
	if challenge == "" || method != "S256" || verifier == "" ||
		subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) != 1 {
		oxOAuthError(w, http.StatusBadRequest, "invalid_grant", "PKCE verification failed")
		return
	}

	now := time.Now() // go-oidc and goth check exp against the real clock
	claims := map[string]any{
		"iss":            op.URL + op.knobs.IssuerSuffix,
		"sub":            ar.User.Sub,
		"aud":            op.ClientID,
		"iat":            now.Unix(),
		"exp":            now.Add(5 * time.Minute).Unix(),
		"nonce":          ar.Query.Get("nonce"),
		"email":          ar.User.Email,
		"email_verified": !op.knobs.EmailUnverified,
		"name":           ar.User.Name,
	}
	if op.knobs.WrongAudience {
		claims["aud"] = "another-client"
	}
	if op.knobs.WrongNonce {
		claims["nonce"] = oxRandom(16)
	}
	if op.knobs.Expired {
		claims["iat"] = now.Add(-2 * time.Hour).Unix()
		claims["exp"] = now.Add(-time.Hour).Unix()
	}
	idToken, err := op.sign(claims)
	if err != nil {
		oxOAuthError(w, http.StatusInternalServerError, "server_error", err.Error())
		return
	}
	access := oxRandom(24)
	op.tokens[access] = ar.User
	oxJSON(w, http.StatusOK, map[string]any{
		"access_token": access,
		"token_type":   "Bearer",
		"expires_in":   3600,
		"id_token":     idToken,
	})
}

func (op *oxOP) handleUserinfo(w http.ResponseWriter, r *http.Request) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	op.mu.Lock()
	u, known := op.tokens[tok]
	unverified := op.knobs.EmailUnverified
	if op.knobs.UserinfoEmail != "" {
		u.Email, unverified = op.knobs.UserinfoEmail, true
	}
	op.mu.Unlock()
	if !ok || !known {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		http.Error(w, "invalid token", http.StatusUnauthorized)
		return
	}
	oxJSON(w, http.StatusOK, map[string]any{
		"sub": u.Sub, "email": u.Email, "email_verified": !unverified, "name": u.Name,
	})
}

// sign serializes the ID token claims: RS256 with the JWKS key, or as the
// knobs say (op.mu held).
func (op *oxOP) sign(claims map[string]any) (string, error) {
	if op.knobs.AlgNone {
		header, _ := json.Marshal(map[string]string{"alg": "none", "typ": "JWT"})
		payload, err := json.Marshal(claims)
		if err != nil {
			return "", err
		}
		return base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(payload) + ".", nil
	}
	sk := jose.SigningKey{Algorithm: jose.RS256, Key: op.key}
	switch {
	case op.knobs.BadSignature:
		sk.Key = op.otherKey
	case op.knobs.HS256PublicKey:
		der, err := x509.MarshalPKIXPublicKey(&op.key.PublicKey)
		if err != nil {
			return "", err
		}
		sk = jose.SigningKey{Algorithm: jose.HS256, Key: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})}
	}
	signer, err := jose.NewSigner(sk, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", op.kid))
	if err != nil {
		return "", err
	}
	return jwt.Signed(signer).Claims(claims).Serialize()
}
