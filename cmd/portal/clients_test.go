package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// clientsEnv is an environment with the database, the clients file and
// vars.
func clientsEnv(db, file string, vars map[string]string) func(string) string {
	return func(k string) string {
		switch k {
		case "PORTAL_DB":
			return db
		case "PORTAL_CLIENTS_FILE":
			return file
		case "PORTAL_ARGON2_MEMORY":
			return "1024"
		}
		return vars[k]
	}
}

const wikiSecret = "a-long-random-secret-from-the-environment-0123456789"

// TestClientsCommand (issue 20): portal clients add prints the id and the
// secret once; list shows the client; rotate-secret prints a new secret;
// remove removes it. Redirect URIs are checked as the clients file's are.
func TestClientsCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "c.db")
	env := clientsEnv(db, "", nil)
	var out bytes.Buffer
	run1 := func(args ...string) error {
		out.Reset()
		return run(context.Background(), args, env, &out, &out)
	}
	if err := run1("clients", "add", "--name", "Acme Wiki", "--redirect-uri", "https://wiki.example.com/cb", "--id", "wiki"); err != nil {
		t.Fatalf("clients add: %v\n%s", err, out.String())
	}
	secret := regexp.MustCompile(`client_secret: (\S+)`).FindStringSubmatch(out.String())
	if !strings.Contains(out.String(), "client_id: wiki") || secret == nil {
		t.Fatalf("clients add printed:\n%s", out.String())
	}
	if err := run1("clients", "list"); err != nil || !strings.Contains(out.String(), "wiki") || strings.Contains(out.String(), secret[1]) {
		t.Fatalf("clients list: %v\n%s", err, out.String())
	}
	if err := run1("clients", "rotate-secret", "wiki"); err != nil || !strings.Contains(out.String(), "client_secret: ") || strings.Contains(out.String(), secret[1]) {
		t.Fatalf("clients rotate-secret: %v\n%s", err, out.String())
	}
	if err := run1("clients", "add", "--name", "Bad", "--redirect-uri", "http://wiki.example.com/cb"); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("clients add with http to a public host: %v, want a loopback error", err)
	}
	if err := run1("clients", "remove", "wiki"); err != nil {
		t.Fatalf("clients remove: %v", err)
	}
	if err := run1("clients", "list"); err != nil || strings.Contains(out.String(), "wiki") {
		t.Fatalf("clients list after remove: %v\n%s", err, out.String())
	}
}

// TestClientsFile (issue 20, --clients-file): a good file registers its
// clients (seen by portal clients list, which starts Portal like serve
// does); each bad file stops the start with an error naming the file,
// the client and the problem — and writes nothing.
func TestClientsFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	sum := sha256.Sum256([]byte("another-long-random-secret-0123456789abcdef"))
	good := write("good.toml", `
[[client]]
id = "wiki"
name = "Acme Wiki"
redirect_uris = ["https://wiki.example.com/callback"]
post_logout_redirect_uris = ["https://wiki.example.com/"]
skip_consent = true
secret_env = "WIKI_SECRET"

[[client]]
id = "intranet"
name = "Acme Intranet"
redirect_uris = ["https://intranet.example.com/cb", "http://127.0.0.1:8000/cb"]
secret_sha256 = "`+hex.EncodeToString(sum[:])+`"

[[client]]
id = "spa"
name = "Acme App"
public = true
redirect_uris = ["http://localhost:5173/callback", "com.example.app:/callback"]
`)
	db := filepath.Join(dir, "good.db")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"clients", "list"}, clientsEnv(db, good, map[string]string{"WIKI_SECRET": wikiSecret}), &out, &out); err != nil {
		t.Fatalf("clients list with a good clients file: %v\n%s", err, out.String())
	}
	for _, want := range []string{"wiki", "Acme Wiki", "intranet", "spa", "public", "skipped"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("clients list does not show %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), wikiSecret) {
		t.Error("clients list shows the secret")
	}

	for _, tc := range []struct {
		name, body string
		env        map[string]string
		want       []string // in the error
	}{
		{"plaintext secret", `[[client]]
id = "wiki"
name = "Wiki"
redirect_uris = ["https://wiki.example.com/cb"]
secret = "hunter2hunter2hunter2hunter2hunter2"`, nil, []string{"plain text", "secret_env"}},
		{"unknown key", `[[client]]
id = "wiki"
name = "Wiki"
redirect_uri = "https://wiki.example.com/cb"`, nil, []string{"unknown key", "redirect_uri"}},
		{"http to a public host", `[[client]]
id = "wiki"
name = "Wiki"
public = true
redirect_uris = ["http://wiki.example.com/cb"]`, nil, []string{`client "wiki"`, "redirect_uris", "loopback"}},
		{"wildcard", `[[client]]
id = "wiki"
name = "Wiki"
public = true
redirect_uris = ["https://*.example.com/cb"]`, nil, []string{`client "wiki"`, "redirect_uris"}},
		{"bad post-logout URI", `[[client]]
id = "wiki"
name = "Wiki"
public = true
redirect_uris = ["https://wiki.example.com/cb"]
post_logout_redirect_uris = ["wiki.example.com/"]`, nil, []string{`client "wiki"`, "post_logout_redirect_uris"}},
		{"no redirect URI", `[[client]]
id = "wiki"
name = "Wiki"
public = true`, nil, []string{`client "wiki"`, "redirect_uris"}},
		{"no id", `[[client]]
name = "Wiki"
public = true
redirect_uris = ["https://wiki.example.com/cb"]`, nil, []string{"client 1", "id"}},
		{"no name", `[[client]]
id = "wiki"
public = true
redirect_uris = ["https://wiki.example.com/cb"]`, nil, []string{`client "wiki"`, "name"}},
		{"listed twice", `[[client]]
id = "wiki"
name = "Wiki"
public = true
redirect_uris = ["https://wiki.example.com/cb"]
[[client]]
id = "wiki"
name = "Wiki 2"
public = true
redirect_uris = ["https://wiki2.example.com/cb"]`, nil, []string{`client "wiki"`, "twice"}},
		{"confidential without a secret", `[[client]]
id = "wiki"
name = "Wiki"
redirect_uris = ["https://wiki.example.com/cb"]`, nil, []string{`client "wiki"`, "secret_env or secret_sha256"}},
		{"public with a secret", `[[client]]
id = "wiki"
name = "Wiki"
public = true
secret_env = "WIKI_SECRET"
redirect_uris = ["https://wiki.example.com/cb"]`, map[string]string{"WIKI_SECRET": wikiSecret}, []string{`client "wiki"`, "public client has no secret"}},
		{"both kinds of secret", `[[client]]
id = "wiki"
name = "Wiki"
secret_env = "WIKI_SECRET"
secret_sha256 = "` + hex.EncodeToString(sum[:]) + `"
redirect_uris = ["https://wiki.example.com/cb"]`, map[string]string{"WIKI_SECRET": wikiSecret}, []string{"not both"}},
		{"secret variable not set", `[[client]]
id = "wiki"
name = "Wiki"
secret_env = "WIKI_SECRET"
redirect_uris = ["https://wiki.example.com/cb"]`, nil, []string{"WIKI_SECRET", "not set"}},
		{"short secret", `[[client]]
id = "wiki"
name = "Wiki"
secret_env = "WIKI_SECRET"
redirect_uris = ["https://wiki.example.com/cb"]`, map[string]string{"WIKI_SECRET": "short"}, []string{"WIKI_SECRET", "shorter than 32"}},
		{"bad hash", `[[client]]
id = "wiki"
name = "Wiki"
secret_sha256 = "not-hex"
redirect_uris = ["https://wiki.example.com/cb"]`, nil, []string{"secret_sha256", "64"}},
		{"no clients", `# nothing yet`, nil, []string{"no [[client]]"}},
		{"TOML syntax", `[[client]
id = "wiki"`, nil, []string{"toml"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := write(strings.ReplaceAll(tc.name, " ", "-")+".toml", tc.body)
			db := filepath.Join(t.TempDir(), "bad.db")
			var out bytes.Buffer
			err := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0"}, clientsEnv(db, file, tc.env), &out, &out)
			if err == nil {
				t.Fatalf("serve started with a bad clients file:\n%s", out.String())
			}
			for _, want := range append([]string{"--clients-file", file}, tc.want...) {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if strings.Contains(err.Error(), wikiSecret) {
				t.Error("the error shows the secret")
			}
			if _, statErr := os.Stat(db); statErr == nil {
				t.Error("a bad clients file got as far as the database")
			}
		})
	}

	t.Run("missing file", func(t *testing.T) {
		missing := filepath.Join(dir, "nope.toml")
		err := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0"}, clientsEnv(filepath.Join(t.TempDir(), "x.db"), missing, nil), &out, &out)
		if err == nil || !strings.Contains(err.Error(), missing) {
			t.Fatalf("serve with a missing clients file: %v", err)
		}
	})
}
