package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"

	"github.com/accountportal/portal/store"
)

// OIDCClient is an application registered to sign people in with Portal.
type OIDCClient = store.OIDCClient

// OIDCClientSpec is what the operator registers (portal clients add, or
// the clients file).
type OIDCClientSpec struct {
	// ID is the client id; "" makes a random one.
	ID                     string
	Name                   string
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	Public                 bool
	SkipConsent            bool
	// SecretSHA256 is the SHA-256 of a secret the operator chose (the
	// clients file); nil makes a random secret for a confidential client.
	SecretSHA256 []byte
}

// clientFieldNames are what an OIDCClientSpec's checks call its fields:
// the flags of portal clients add, or the keys of the clients file.
type clientFieldNames struct{ name, redirect, logout string }

var (
	clientFlags   = clientFieldNames{"--name", "--redirect-uri", "--post-logout-redirect-uri"}
	clientFileKey = clientFieldNames{"name", "redirect_uris", "post_logout_redirect_uris"}
)

// ErrUnknownClient: no client has this id.
var ErrUnknownClient = errors.New("no such client")

func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func sha(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// CheckRedirectURI is the rule for a registered (post-logout) redirect
// URI: absolute, no fragment, no wildcard; https, or http only to a
// loopback host (127.0.0.1, [::1], localhost); a public (native) client
// may also use a private scheme such as com.example.app:/cb.
func CheckRedirectURI(raw string, public bool) error {
	u, err := url.Parse(raw)
	if err != nil || raw == "" || strings.ContainsAny(raw, " *\t\r\n") || u.Scheme == "" {
		return fmt.Errorf("%q is not an absolute URI", raw)
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return fmt.Errorf("%q: a redirect URI has no fragment", raw)
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		if u.Host == "" {
			return fmt.Errorf("%q has no host", raw)
		}
	case "http":
		h := u.Hostname()
		if ip := net.ParseIP(h); !(h == "localhost" || ip != nil && ip.IsLoopback()) {
			return fmt.Errorf("%q: http is allowed only for a loopback host (127.0.0.1, [::1], localhost); use https", raw)
		}
	default:
		if !public || !strings.Contains(u.Scheme, ".") {
			return fmt.Errorf("%q: use https (a public client may also use a private scheme like com.example.app:/callback)", raw)
		}
	}
	return nil
}

func (spec *OIDCClientSpec) check() error { return spec.checkAs(clientFlags) }

func (spec *OIDCClientSpec) checkAs(n clientFieldNames) error {
	spec.Name = strings.TrimSpace(spec.Name)
	if spec.Name == "" || len(spec.Name) > 100 {
		return fmt.Errorf("a client needs a %s (at most 100 characters)", n.name)
	}
	if len(spec.RedirectURIs) == 0 {
		return fmt.Errorf("a client needs at least one %s", n.redirect)
	}
	for _, u := range spec.RedirectURIs {
		if err := CheckRedirectURI(u, spec.Public); err != nil {
			return fmt.Errorf("%s %w", n.redirect, err)
		}
	}
	for _, u := range spec.PostLogoutRedirectURIs {
		if err := CheckRedirectURI(u, spec.Public); err != nil {
			return fmt.Errorf("%s %w", n.logout, err)
		}
	}
	if spec.Public && spec.SecretSHA256 != nil {
		return errors.New("a public client has no secret")
	}
	if spec.SecretSHA256 != nil && len(spec.SecretSHA256) != sha256.Size {
		return errors.New("the secret's SHA-256 must be 32 bytes")
	}
	if spec.ID != "" && (len(spec.ID) > 100 || strings.ContainsAny(spec.ID, " :\t\r\n")) {
		return fmt.Errorf("client id %q: no spaces or colons, at most 100 characters", spec.ID)
	}
	spec.RedirectURIs = slices.Compact(spec.RedirectURIs)
	return nil
}

// RegisterOIDCClient registers an application. It returns the client and,
// for a confidential one, its secret — shown once: only its hash is kept.
func (s *Service) RegisterOIDCClient(ctx context.Context, spec OIDCClientSpec) (*OIDCClient, string, error) {
	if err := spec.check(); err != nil {
		return nil, "", err
	}
	if spec.ID == "" {
		spec.ID = randomToken(16)
	}
	c := &OIDCClient{ID: spec.ID, Name: spec.Name, RedirectURIs: spec.RedirectURIs, PostLogoutRedirectURIs: spec.PostLogoutRedirectURIs,
		Public: spec.Public, SkipConsent: spec.SkipConsent, CreatedAt: s.now()}
	secret := ""
	if !spec.Public {
		secret = randomToken(32)
		c.SecretHash = sha(secret)
	}
	if err := s.store.CreateOIDCClient(ctx, c); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, "", fmt.Errorf("a client with id %q exists already", spec.ID)
		}
		return nil, "", err
	}
	return c, secret, nil
}

// CheckOIDCClientFile checks a client of the clients file
// (--clients-file) as portal clients add checks its flags; the file
// names every client (ID is required).
func CheckOIDCClientFile(spec *OIDCClientSpec) error {
	if spec.ID == "" {
		return errors.New("a client needs an id")
	}
	if !spec.Public && spec.SecretSHA256 == nil {
		return errors.New("a confidential client needs its secret (secret_env or secret_sha256); a public one says public = true")
	}
	return spec.checkAs(clientFileKey)
}

// ApplyOIDCClients makes the registered clients of specs' ids match them
// (the clients file, at every start of every instance): a new id is
// registered, a known one updated — name, URIs, public, consent and the
// secret's hash. Nothing is written unless every spec is valid. It
// returns the ids of registered clients that specs do not name: they stay
// (portal clients remove removes them).
func (s *Service) ApplyOIDCClients(ctx context.Context, specs []OIDCClientSpec) (unlisted []string, err error) {
	seen := map[string]bool{}
	for i := range specs {
		if err := CheckOIDCClientFile(&specs[i]); err != nil {
			return nil, fmt.Errorf("client %q: %w", specs[i].ID, err)
		}
		if seen[specs[i].ID] {
			return nil, fmt.Errorf("client %q is listed twice", specs[i].ID)
		}
		seen[specs[i].ID] = true
	}
	for _, spec := range specs {
		c := &OIDCClient{ID: spec.ID, Name: spec.Name, RedirectURIs: spec.RedirectURIs, PostLogoutRedirectURIs: spec.PostLogoutRedirectURIs,
			Public: spec.Public, SkipConsent: spec.SkipConsent, SecretHash: spec.SecretSHA256, CreatedAt: s.now()}
		err := s.store.UpdateOIDCClient(ctx, c)
		if errors.Is(err, store.ErrNotFound) {
			// New; another instance starting at the same moment may
			// register it first: then update it.
			if err = s.store.CreateOIDCClient(ctx, c); errors.Is(err, store.ErrConflict) {
				err = s.store.UpdateOIDCClient(ctx, c)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("client %q: %w", spec.ID, err)
		}
	}
	all, err := s.store.ListOIDCClients(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range all {
		if !seen[c.ID] {
			unlisted = append(unlisted, c.ID)
		}
	}
	return unlisted, nil
}

// OIDCClients lists the registered applications.
func (s *Service) OIDCClients(ctx context.Context) ([]*OIDCClient, error) {
	return s.store.ListOIDCClients(ctx)
}

// OIDCClient returns a registered application; ErrUnknownClient.
func (s *Service) OIDCClient(ctx context.Context, id string) (*OIDCClient, error) {
	c, err := s.store.FindOIDCClient(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrUnknownClient
	}
	return c, err
}

// RemoveOIDCClient removes an application and everything issued to it.
func (s *Service) RemoveOIDCClient(ctx context.Context, id string) error {
	if err := s.store.DeleteOIDCClient(ctx, id); errors.Is(err, store.ErrNotFound) {
		return ErrUnknownClient
	} else if err != nil {
		return err
	}
	return nil
}

// RotateOIDCClientSecret gives a confidential client a new secret (the
// old one stops working at once) and returns it.
func (s *Service) RotateOIDCClientSecret(ctx context.Context, id string) (string, error) {
	c, err := s.OIDCClient(ctx, id)
	if err != nil {
		return "", err
	}
	if c.Public {
		return "", fmt.Errorf("client %s is public: it has no secret", id)
	}
	secret := randomToken(32)
	c.SecretHash = sha(secret)
	return secret, s.store.UpdateOIDCClient(ctx, c)
}

// checkClientSecret compares a presented secret with the stored hash in
// constant time.
func checkClientSecret(c *OIDCClient, secret string) bool {
	if c.Public || c.SecretHash == nil || secret == "" {
		return false
	}
	return subtle.ConstantTimeCompare(sha(secret), c.SecretHash) == 1
}

// HashClientSecret is how a client secret is kept (store.OIDCClient's
// SecretHash): its SHA-256. Client secrets are 256-bit random values, so
// a fast hash is enough (no password hashing).
func HashClientSecret(secret string) []byte { return sha(secret) }
