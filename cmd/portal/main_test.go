package main

import (
	"bytes"
	"context"
	"database/sql"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accountportal/portal/internal/portaltest"
	_ "github.com/mattn/go-sqlite3"
)

func noEnv(string) string { return "" }

func TestVersion(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, noEnv, &out, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "portal ") {
		t.Fatalf("version printed %q", out.String())
	}
}

func TestUnknownCommand(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"frobnicate"}, noEnv, &out, &out); err == nil {
		t.Fatal("unknown command accepted")
	}
}

func TestInvalidConfigFails(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"serve", "--registration", "maybe"}, noEnv, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "--registration") {
		t.Fatalf("err=%v, want a --registration error", err)
	}
}

func TestMigrate(t *testing.T) {
	db := filepath.Join(t.TempDir(), "m.db")
	var out bytes.Buffer
	env := func(k string) string {
		if k == "PORTAL_DB" {
			return db
		}
		return ""
	}
	if err := run(context.Background(), []string{"migrate"}, env, &out, &out); err != nil {
		t.Fatal(err)
	}
	conn, err := sql.Open("sqlite3", db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var n int
	if err := conn.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('users', 'sessions', 'user_tokens', 'secrets')`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Fatalf("tables after migrate=%d, want 4", n)
	}
	var mode string
	if err := conn.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode=%q (%v), want wal", mode, err)
	}
}

// TestServeAndShutdown runs the real serve command: it prints where it
// listens, answers /healthz, and stops cleanly when its context ends (as on
// SIGINT/SIGTERM).
func TestServeAndShutdown(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, stderr := &portaltest.SyncBuffer{}, &portaltest.SyncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--addr", "127.0.0.1:0", "--db", filepath.Join(dir, "p.db"), "--argon2-memory", "1024"},
			noEnv, stdout, stderr)
	}()
	re := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)
	var base string
	for deadline := time.Now().Add(30 * time.Second); base == "" && time.Now().Before(deadline); {
		select {
		case err := <-done:
			t.Fatalf("serve returned early: %v\n%s", err, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if m := re.FindStringSubmatch(stdout.String()); m != nil {
			base = m[1]
		}
	}
	if base == "" {
		t.Fatalf("serve printed no address:\n%s\n%s", stdout.String(), stderr.String())
	}
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/healthz status=%d", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve after shutdown: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop after its context ended")
	}
	if !strings.Contains(stdout.String(), "Portal stopped") {
		t.Fatalf("stdout=%q", stdout.String())
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://portal:s3cret@db:5432/portal": "postgres://portal:xxxxx@db:5432/portal",
		"smtp://u:p%40ss@mail:587":                "smtp://u:xxxxx@mail:587",
		"portal.db":                               "portal.db",
		"postgres://db/portal":                    "postgres://db/portal",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q)=%q, want %q", in, got, want)
		}
	}
}

// TestTuneGC (docs/performance.md): without GOGC pages run at 200 and a running
// password hash at 100; an operator's GOGC is left alone.
func TestTuneGC(t *testing.T) {
	var set []int
	record := func(p int) int { set = append(set, p); return 100 }
	hook := tuneGC(noEnv, record)
	if hook == nil {
		t.Fatal("no hook without GOGC")
	}
	hook(true)
	hook(false)
	if want := []int{pagesGCPercent, hashingGCPercent, pagesGCPercent}; !slices.Equal(set, want) {
		t.Fatalf("GC percents set %v, want %v", set, want)
	}
	set = nil
	withGOGC := func(k string) string {
		if k == "GOGC" {
			return "50"
		}
		return ""
	}
	if hook := tuneGC(withGOGC, record); hook != nil || len(set) > 0 {
		t.Fatalf("with GOGC set: hook %v, percents set %v; want none", hook != nil, set)
	}
}

// TestMoveSecrets (issue 17 item 10): portal move-secrets, with the key
// file from the environment (PORTAL_SECRET_KEY_FILE), leaves the secrets
// table without server keys; a second run needs the old key file.
func TestMoveSecrets(t *testing.T) {
	dir := t.TempDir()
	db, key := filepath.Join(dir, "m.db"), filepath.Join(dir, "key")
	if err := os.WriteFile(key, []byte("cli-test-secret-key-0123456789abcdef"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(k string) string {
		return map[string]string{"PORTAL_DB": db, "PORTAL_SECRET_KEY_FILE": key}[k]
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"migrate"}, env, &out, &out); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"move-secrets"}, env, &out, &out); err != nil {
		t.Fatalf("move-secrets: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "0 authenticator keys re-encrypted") {
		t.Errorf("output %q", out.String())
	}
	conn, err := sql.Open("sqlite3", db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var n int
	if err := conn.QueryRow(`SELECT count(*) FROM secrets WHERE name IN ('csrf-key', 'log-key', 'authenticator-key-key', 'remember-browser-key')`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("server keys left in the database: %d (%v)", n, err)
	}
	if err := run(context.Background(), []string{"move-secrets"}, env, &out, &out); err == nil || !strings.Contains(err.Error(), "old-secret-key-file") {
		t.Fatalf("second move-secrets err=%v, want a pointer to --old-secret-key-file", err)
	}
}
