package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accountportal/portal/pages"
)

// thRun runs `portal theme ARGS…` and returns its output and error.
func thRun(t testing.TB, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), append([]string{"theme"}, args...), noEnv, &out, &out)
	return out.String(), err
}

// `theme init` writes a starter theme that `theme check` accepts.
func TestThemeInitThenCheck(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mytheme")
	out, err := thRun(t, "init", dir)
	if err != nil {
		t.Fatalf("theme init: %v\n%s", err, out)
	}
	for _, f := range []string{"layout.html", "static/portal.css", "README.md"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("theme init did not write %s: %v", f, err)
		}
	}
	if out, err := thRun(t, "check", dir); err != nil || !strings.Contains(out, "is fine") {
		t.Fatalf("theme check of the starter theme: %v\n%s", err, out)
	}
	if _, err := thRun(t, "init", dir); err == nil {
		t.Fatal("theme init overwrote a theme")
	}
}

// `theme eject` of every page gives a theme that `theme check` accepts.
func TestThemeEjectEveryPage(t *testing.T) {
	dir := t.TempDir()
	for _, name := range pages.Names() {
		out, err := thRun(t, "eject", name, dir)
		if err != nil {
			t.Fatalf("theme eject %s: %v\n%s", name, err, out)
		}
		if !strings.Contains(out, filepath.Join(dir, "pages", name+".html")) {
			t.Fatalf("theme eject %s printed %q", name, out)
		}
	}
	if out, err := thRun(t, "check", dir); err != nil {
		t.Fatalf("theme check of every ejected page: %v\n%s", err, out)
	}
	if _, err := thRun(t, "eject", "signin", dir); err == nil || !strings.Contains(err.Error(), `unknown page "signin"`) {
		t.Fatalf("eject of an unknown page: %v", err)
	}
}

// `theme check` fails on a bad theme, naming the file and the reason; it
// checks mail overrides too.
func TestThemeCheckFails(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "pages"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "pages", "login.html"), []byte(`<form method="post"></form>`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := thRun(t, "check", dir)
	if err == nil || !strings.Contains(err.Error(), "pages/login.html") || !strings.Contains(err.Error(), "csrfField") {
		t.Fatalf("theme check: err=%v, want one naming pages/login.html and csrfField", err)
	}

	mailDir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(mailDir, "mail"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mailDir, "mail", "welcome.html"), []byte(`hi`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := thRun(t, "check", mailDir); err == nil || !strings.Contains(err.Error(), "mail/welcome.html") {
		t.Fatalf("theme check with a bad mail override: err=%v, want one naming mail/welcome.html", err)
	}
}

// The reference theme of the repository passes `theme check`.
func TestThemeCheckReferenceTheme(t *testing.T) {
	if out, err := thRun(t, "check", filepath.Join("..", "..", "theme", "example")); err != nil {
		t.Fatalf("theme check theme/example: %v\n%s", err, out)
	}
}

func TestThemeUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"frobnicate"}, {"init"}, {"check"}, {"eject", "login"}} {
		if _, err := thRun(t, args...); err == nil {
			t.Errorf("theme %v: no error", args)
		}
	}
	if out, err := thRun(t, "help"); err != nil || !strings.Contains(out, "portal theme eject PAGE DIR") {
		t.Errorf("theme help: %v\n%s", err, out)
	}
}

// `theme preview --snapshot OUT` writes the gallery (the directory may come
// before or after the flags); the preview refuses a non-loopback address
// before it listens.
func TestThemePreviewCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "gallery")
	if msg, err := thRun(t, "preview", "../../theme/example", "--snapshot", out); err != nil || !strings.Contains(msg, "wrote") {
		t.Fatalf("theme preview --snapshot: %v\n%s", err, msg)
	}
	for _, f := range []string{"index.html", "pages/login-1.html", "frames/login-1.html", "frames/login-1.dark.html", "mail/reset-password.html"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("the snapshot lacks %s", f)
		}
	}
	if msg, err := thRun(t, "preview", "--addr", "0.0.0.0:0"); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("preview on 0.0.0.0: %v\n%s", err, msg)
	}
	if _, err := thRun(t, "preview", "a", "b"); err == nil {
		t.Fatal("preview accepted two directories")
	}
}

// `theme check` and languages (issue 22): a theme that rewords English
// but not German passes with a warning naming the key and the file; an
// unknown key or placeholder in a language's file fails, naming it. The
// reference theme has no warning.
func TestThemeCheckLanguages(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "messages.toml"), []byte("[login]\ntitle = \"Welcome back\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := thRun(t, "check", dir)
	if err != nil || !strings.Contains(out, "is fine, with") || !strings.Contains(out, "warning: messages.toml rewords login.title; messages.de.toml does not") {
		t.Fatalf("theme check, English reworded only: err=%v\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(dir, "messages.de.toml"), []byte("[login]\ntitle = \"Willkommen {name}\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := thRun(t, "check", dir); err == nil || !strings.Contains(err.Error(), "messages.de.toml") || !strings.Contains(err.Error(), "{name}") {
		t.Fatalf("theme check, a placeholder English lacks: err=%v, want one naming messages.de.toml and {name}", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "messages.de.toml"), []byte("[login]\ntitel = \"Willkommen\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := thRun(t, "check", dir); err == nil || !strings.Contains(err.Error(), "login.titel") {
		t.Fatalf("theme check, an unknown key: err=%v, want one naming login.titel", err)
	}
	if out, err := thRun(t, "check", filepath.Join("..", "..", "theme", "example")); err != nil || strings.Contains(out, "warning") {
		t.Fatalf("theme check theme/example: %v\n%s", err, out)
	}
}
