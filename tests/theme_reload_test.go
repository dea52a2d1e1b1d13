package tests

// --theme-reload (issue 25): a designer working against the real flows
// sees an edit to the theme on the next request, without a restart; a
// broken edit keeps the last good theme and says why in the log.

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/internal/portaltest"
)

func TestThemeReload(t *testing.T) {
	dir := thThemeDir(t, map[string]string{
		"static/theme.css": "body { border-top: 4px solid teal; }\n",
		"messages.toml":    "[login]\ntitle = \"Sign in, version one\"\n",
	})
	srv := portaltest.NewServer(t, func(c *portal.Config) {
		c.Theme = dir
		c.ThemeReload = true
	})
	c := portaltest.NewClient(t, srv)
	themeCSS := regexp.MustCompile(`href="(/static/theme\.[0-9a-f]+\.css)"`)

	p := c.Get("/account/login")
	portaltest.WantStatus(t, p, 200)
	before := themeCSS.FindStringSubmatch(p.Body)
	if before == nil || !strings.Contains(p.Body, "Sign in, version one") {
		t.Fatalf("the theme's stylesheet and wording are not on the page:\n%s", portaltest.Tail(p.Body, 800))
	}

	// Edit the stylesheet, a message and a mail template: each shows on
	// the next request.
	write := func(name, content string) {
		t.Helper()
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("static/theme.css", "body { border-top: 4px solid crimson; }\n")
	write("messages.toml", "[login]\ntitle = \"Sign in, version two\"\n")
	write("mail/reset-password.txt", "{{define \"reset-password.subject\"}}Reloaded reset for {{.SiteName}}{{end}}Reset here: {{.Link}}\n")
	p = c.Get("/account/login")
	after := themeCSS.FindStringSubmatch(p.Body)
	if after == nil || after[1] == before[1] || !strings.Contains(p.Body, "Sign in, version two") {
		t.Fatalf("after the edit: stylesheet %v (before %v); page:\n%s", after, before, portaltest.Tail(p.Body, 800))
	}
	if css := c.Get(after[1]); css.Status != 200 || !strings.Contains(css.Body, "crimson") {
		t.Fatalf("the new stylesheet: %d %q", css.Status, css.Body)
	}
	srv.ConfirmedUser(t, "reload@example.com", thPassword)
	c2 := portaltest.NewClient(t, srv)
	c2.Submit("/account/forgot-password", "form", map[string]string{"email": "reload@example.com"})
	if ms := srv.MailsWith(t, "reload@example.com", "Reloaded reset"); len(ms) != 1 || !strings.Contains(ms[0].Text, "Reset here: http") {
		t.Fatalf("the reset mail does not use the reloaded template: %v", portaltest.Subjects(srv.MailsTo(t, "reload@example.com")))
	}

	// A broken edit keeps the last good theme and logs the check's error.
	write("layout.html", "{{.Body}\n")
	p = c.Get("/account/login")
	portaltest.WantStatus(t, p, 200)
	if !strings.Contains(p.Body, "Sign in, version two") || !strings.Contains(srv.Log.String(), "layout.html") || !strings.Contains(srv.Log.String(), "keeping the last good theme") {
		t.Fatalf("a broken layout: the page or the log is wrong; log:\n%s", portaltest.Tail(srv.Log.String(), 1500))
	}
}

// --theme-reload is a development setting: refused without --theme and
// with an https base URL.
func TestThemeReloadRefused(t *testing.T) {
	for _, tc := range []struct{ theme, base string }{
		{"", "http://localhost:8080"},
		{t.TempDir(), "https://accounts.example.com"},
	} {
		cfg := portal.DefaultConfig()
		cfg.Theme, cfg.BaseURL, cfg.ThemeReload = tc.theme, tc.base, true
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "--theme-reload") {
			t.Errorf("theme %q, base %s: Validate = %v, want a --theme-reload error", tc.theme, tc.base, err)
		}
	}
}
