package tests

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/internal/portaltest"
)

// TestSecretKeyFile (MFA-01, issue 17 item 10): the key that encrypts
// authenticator keys (and the remember-browser and CSRF keys) used to live
// in the same database as what it encrypts. With --secret-key-file the
// server keys are derived from the operator's key (HKDF-SHA256) and
// portal move-secrets moves an existing database to it: stored
// authenticator keys are re-encrypted, the database's own keys deleted.
// Then the database alone does not start (nor decrypt anything), a wrong
// key file is refused, and rotating to a new key file keeps 2FA working.
// Runs on SQLite and PostgreSQL.
func TestSecretKeyFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	keyFile := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	key1 := keyFile("key1", "first-operator-secret-key-0123456789abcdef")
	key2 := keyFile("key2", "second-operator-secret-key-0123456789abcdef")
	short := keyFile("short", "too short")

	cfg, clock := portaltest.Config(t)
	srv := portaltest.Start(t, cfg, clock)
	const email = "ann@example.com"
	_, key, _ := tfUser(t, srv, email)

	withKey := func(path string) portal.Config {
		c := cfg
		c.SecretKeyFile = path
		c.Logger, c.BaseURL = nil, ""
		return c
	}
	wantNoStart := func(c portal.Config, why string) {
		t.Helper()
		p, err := portal.New(c)
		if err == nil {
			p.Close()
			t.Fatalf("portal started %s", why)
		}
		if !strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: error %q does not point at the secret key", why, err)
		}
	}
	// A key file on a database with keys of its own: move them first.
	wantNoStart(withKey(key1), "with a key file before move-secrets (every 2FA key would stop opening)")
	if _, err := portal.MoveSecrets(ctx, withKey(short), ""); err == nil {
		t.Fatal("move-secrets took a 9-byte key")
	}

	n, err := portal.MoveSecrets(ctx, withKey(key1), "")
	if err != nil || n != 1 {
		t.Fatalf("move-secrets=%d, %v; want 1 authenticator key re-encrypted", n, err)
	}
	// The database alone (a copy without the key file) does not start and
	// holds no key to decrypt with; a wrong key file is refused.
	noKey := cfg
	noKey.Logger, noKey.BaseURL = nil, ""
	wantNoStart(noKey, "without the key file after move-secrets")
	wantNoStart(withKey(key2), "with another key file")
	if _, err := portal.MoveSecrets(ctx, withKey(key2), ""); err == nil {
		t.Fatal("move-secrets again without --old-secret-key-file succeeded")
	}

	// With the key file, the owner's 2FA code still works.
	withKey1 := withKey(key1)
	b := portaltest.Start(t, withKey1, clock)
	tfSignIn(t, b, email, key)

	// Rotation: key1 → key2.
	if _, err := portal.MoveSecrets(ctx, withKey(key2), key2); err == nil {
		t.Fatal("rotation with the wrong old key file succeeded")
	}
	if n, err := portal.MoveSecrets(ctx, withKey(key2), key1); err != nil || n != 1 {
		t.Fatalf("rotation=%d, %v; want 1 re-encrypted", n, err)
	}
	wantNoStart(withKey(key1), "with the old key file after rotation")
	c := portaltest.Start(t, withKey(key2), clock)
	tfSignIn(t, c, email, key)
}

// TestSecretKeyFileNewDatabase: a new database started with a key file is
// under it from the first start — it never holds keys of its own.
func TestSecretKeyFileNewDatabase(t *testing.T) {
	t.Parallel()
	keyPath := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyPath, []byte("a-brand-new-installation-key-0123456789"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, clock := portaltest.Config(t)
	cfg.SecretKeyFile = keyPath
	srv := portaltest.Start(t, cfg, clock)
	_, key, _ := tfUser(t, srv, "new@example.com")
	tfSignIn(t, srv, "new@example.com", key)
	noKey := cfg
	noKey.SecretKeyFile, noKey.Logger, noKey.BaseURL = "", nil, ""
	if p, err := portal.New(noKey); err == nil {
		p.Close()
		t.Fatal("a database created under a key file started without it")
	}
}
