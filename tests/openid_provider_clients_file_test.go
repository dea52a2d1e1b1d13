package tests

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/internal/portaltest"
)

// TestOpenIDProviderClientsFile (issue 20, --clients-file): clients
// declared in a TOML file — a secret from an environment variable, one
// given as its SHA-256, a public client — are registered at start, and a
// stock relying party completes the code flow with each. A restart with an
// edited file updates them (a new secret, a new redirect URI); a client
// registered with portal clients add and not in the file stays, with a
// warning in the log.
func TestOpenIDProviderClientsFile(t *testing.T) {
	const email, pw = "file-user@example.com", "correct horse battery"
	const envSecret = "wiki-secret-from-the-environment-0123456789"
	const hashedSecret = "intranet-secret-kept-elsewhere-0123456789"
	sum := sha256.Sum256([]byte(hashedSecret))
	file := filepath.Join(t.TempDir(), "clients.toml")
	writeFile := func(body string) {
		if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(`
[[client]]
id = "wiki"
name = "Acme Wiki"
redirect_uris = ["` + portaltest.RPRedirect + `"]
skip_consent = true
secret_env = "WIKI_SECRET"

[[client]]
id = "intranet"
name = "Acme Intranet"
redirect_uris = ["` + portaltest.RPRedirect + `"]
skip_consent = true
secret_sha256 = "` + hex.EncodeToString(sum[:]) + `"

[[client]]
id = "spa"
name = "Acme App"
public = true
skip_consent = true
redirect_uris = ["http://localhost:5173/callback"]
`)
	env := map[string]string{"WIKI_SECRET": envSecret}
	cfg, clock := portaltest.Config(t)
	cfg.ClientsFile = file
	cfg.Getenv = func(k string) string { return env[k] }
	srv := portaltest.Start(t, cfg, clock)
	srv.ConfirmedUser(t, email, pw)
	browser := srv.SignIn(t, email, pw, false)
	rpOf := func(srv *portaltest.Server, id, secret string) *portaltest.RP {
		t.Helper()
		c, err := srv.Portal.Identity().OIDCClient(context.Background(), id)
		if err != nil {
			t.Fatalf("client %s from the clients file: %v", id, err)
		}
		return srv.RPFor(t, c, secret)
	}
	signIn := func(rp *portaltest.RP, browser *portaltest.Client) error {
		t.Helper()
		a := rp.Start()
		tok, err := rp.Exchange(rp.SignIn(browser, a, email, pw), a)
		if err == nil {
			rp.IDToken(tok, a)
		}
		return err
	}
	for _, tc := range []struct{ id, secret string }{{"wiki", envSecret}, {"intranet", hashedSecret}, {"spa", ""}} {
		if err := signIn(rpOf(srv, tc.id, tc.secret), browser); err != nil {
			t.Fatalf("%s: the code flow with the client of the file: %v", tc.id, err)
		}
	}
	wrong := rpOf(srv, "wiki", envSecret+"x")
	if err := signIn(wrong, browser); err == nil || !strings.Contains(err.Error(), "invalid_client") {
		t.Fatalf("wiki with a wrong secret: %v, want invalid_client", err)
	}
	added, addedSecret, err := srv.Portal.Identity().RegisterOIDCClient(context.Background(),
		identity.OIDCClientSpec{Name: "Added by hand", RedirectURIs: []string{portaltest.RPRedirect}, SkipConsent: true})
	if err != nil {
		t.Fatal(err)
	}

	// The operator rotates wiki's secret in the environment and moves its
	// redirect URI; intranet leaves the file. Another instance (a restart)
	// applies it.
	const newSecret = "wiki-secret-after-the-rotation-0123456789"
	env["WIKI_SECRET"] = newSecret
	writeFile(`
[[client]]
id = "wiki"
name = "Acme Wiki 2"
redirect_uris = ["http://127.0.0.1/wiki/callback"]
skip_consent = true
secret_env = "WIKI_SECRET"
`)
	srv2 := portaltest.Start(t, cfg, clock)
	browser2 := srv2.SignIn(t, email, pw, false)
	wiki := rpOf(srv2, "wiki", newSecret)
	if wiki.Client.Name != "Acme Wiki 2" || len(wiki.Client.RedirectURIs) != 1 || wiki.Client.RedirectURIs[0] != "http://127.0.0.1/wiki/callback" {
		t.Fatalf("wiki after the restart: %+v", wiki.Client)
	}
	if err := signIn(wiki, browser2); err != nil {
		t.Fatalf("wiki with the rotated secret: %v", err)
	}
	if err := signIn(rpOf(srv2, "wiki", envSecret), browser2); err == nil {
		t.Fatal("wiki's old secret still works after the file's rotation")
	}
	// Clients the file no longer names stay (with a warning) and work.
	for _, id := range []string{"intranet", added.ID} {
		if !strings.Contains(srv2.Log.String(), id) {
			t.Errorf("no warning in the log about client %s, registered but not in the file:\n%s", id, srv2.Log.String())
		}
	}
	if err := signIn(rpOf(srv2, added.ID, addedSecret), browser2); err != nil {
		t.Fatalf("the client added by hand after the file changed: %v", err)
	}
}
