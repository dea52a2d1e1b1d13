package preview_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/mail"
	"github.com/accountportal/portal/messages"
	"github.com/accountportal/portal/pages"
	"github.com/accountportal/portal/preview"
	"github.com/accountportal/portal/theme"
)

// get fetches path from the preview and returns the status and body.
func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	body, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(body)
}

// copyDir copies the theme directory src to a new temp dir.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Every page of the registry, every sample, every mail and every asset is
// served with 200 and no template error, for the built-in look and for the
// reference theme (issue 25).
func TestEveryPageAndSampleRenders(t *testing.T) {
	for _, dir := range []string{"", filepath.Join("..", "theme", "example")} {
		t.Run("theme="+dir, func(t *testing.T) {
			p := preview.New(dir)
			paths, err := p.Paths()
			if err != nil {
				t.Fatal(err)
			}
			frames := 0
			for _, path := range paths {
				code, body := get(t, p, "/"+path)
				if code != http.StatusOK {
					t.Fatalf("GET /%s = %d, want 200:\n%.400s", path, code, body)
				}
				if strings.HasPrefix(path, "frames/") {
					frames++
					if !strings.Contains(body, "<html") || !strings.Contains(body, "../static/") {
						t.Errorf("%s: not a whole page with the preview's assets:\n%.400s", path, body)
					}
				}
			}
			want := 0
			for _, pg := range pages.Pages() {
				want += 2 * len(pg.Samples())
			}
			if frames != want {
				t.Errorf("%d frames, want %d (every sample, light and dark)", frames, want)
			}
			if code, body := get(t, p, "/"); code != 200 || !strings.Contains(body, `href="pages/login-1.html"`) || !strings.Contains(body, `href="mail/reset-password.html"`) {
				t.Errorf("index: %d, links to the pages and mails missing:\n%.600s", code, body)
			}
			if code, _ := get(t, p, "/frames/login-99.html"); code != http.StatusNotFound {
				t.Errorf("a sample that does not exist: %d, want 404", code)
			}
		})
	}
}

// The light frame and the dark frame get stylesheets whose colour-scheme
// queries are fixed to their scheme, whatever the designer's own setting.
func TestDarkAndLight(t *testing.T) {
	p := preview.New("")
	_, light := get(t, p, "/frames/login-1.html")
	_, dark := get(t, p, "/frames/login-1.dark.html")
	css := regexp.MustCompile(`href="\.\./(static/[^"]+\.css)"`)
	lm, dm := css.FindStringSubmatch(light), css.FindStringSubmatch(dark)
	if lm == nil || dm == nil || !strings.HasPrefix(dm[1], "static/dark/") || strings.HasPrefix(lm[1], "static/dark/") {
		t.Fatalf("stylesheets: light %v, dark %v", lm, dm)
	}
	_, lightCSS := get(t, p, "/"+lm[1])
	_, darkCSS := get(t, p, "/"+dm[1])
	if strings.Contains(lightCSS, "prefers-color-scheme") || strings.Contains(darkCSS, "prefers-color-scheme") {
		t.Error("a served stylesheet still follows the viewer's colour scheme")
	}
	if !strings.Contains(darkCSS, "@media (min-width: 0px)") || !strings.Contains(lightCSS, "@media (max-width: -1px)") {
		t.Error("the built-in dark rules are not forced on in the dark copy and off in the light one")
	}
}

// An edit under the theme directory shows on the next request without a
// restart: the stylesheet's content hash in the page's URL changes, and a
// reworded message appears.
func TestEditShowsOnReload(t *testing.T) {
	dir := t.TempDir()
	if _, err := theme.Init(dir); err != nil {
		t.Fatal(err)
	}
	p := preview.New(dir)
	cssURL := regexp.MustCompile(`href="\.\./static/(portal\.[0-9a-f]+\.css)"`)
	_, before := get(t, p, "/frames/login-1.html")
	m1 := cssURL.FindStringSubmatch(before)
	if m1 == nil {
		t.Fatalf("no stylesheet link in:\n%.600s", before)
	}
	css, err := os.ReadFile(filepath.Join(dir, "static", "portal.css"))
	if err != nil {
		t.Fatal(err)
	}
	write(t, dir, "static/portal.css", string(css)+"\nbody { outline: 1px solid red; }\n")
	write(t, dir, "messages.toml", "[login]\ntitle = \"Welcome back, designer\"\n")
	code, after := get(t, p, "/frames/login-1.html")
	m2 := cssURL.FindStringSubmatch(after)
	if code != 200 || m2 == nil || m2[1] == m1[1] {
		t.Fatalf("after the edit: %d, stylesheet %v (before %v)", code, m2, m1)
	}
	if code, body := get(t, p, "/static/"+m2[1]); code != 200 || !strings.Contains(body, "outline: 1px solid red") {
		t.Errorf("the new stylesheet: %d, edit missing", code)
	}
	if !strings.Contains(after, "Welcome back, designer") {
		t.Error("the reworded login title does not show after reload")
	}
}

// A broken template shows the error `portal theme check` prints, with the
// file and line, on the page; the preview keeps serving and recovers once
// the file is fixed.
func TestBrokenTemplateShowsErrorAndKeepsServing(t *testing.T) {
	dir := copyDir(t, filepath.Join("..", "theme", "example"))
	p := preview.New(dir)
	if code, _ := get(t, p, "/frames/login-1.html"); code != 200 {
		t.Fatalf("the reference theme: %d", code)
	}
	write(t, dir, "pages/login.html", "<h1>{{t \"login.title\"}}</h1>\n{{if .Email}\n")
	checkErr := portal.CheckTheme(dir)
	if checkErr == nil {
		t.Fatal("theme check accepts the broken page")
	}
	for _, path := range []string{"/frames/login-1.html", "/", "/pages/home-1.html", "/mail/invite.html"} {
		code, body := get(t, p, path)
		if code != http.StatusInternalServerError || !strings.Contains(body, "pages/login.html:2") {
			t.Fatalf("GET %s with a broken page: %d\n%.800s", path, code, body)
		}
		for _, line := range strings.Split(checkErr.Error(), "\n") {
			if !strings.Contains(body, templateEscape(line)) {
				t.Errorf("GET %s does not show the check's line %q", path, line)
			}
		}
	}
	write(t, dir, "pages/login.html", "<h1>{{t \"login.title\"}}</h1>\n<p>fixed</p>\n")
	if code, body := get(t, p, "/frames/login-1.html"); code != 200 || !strings.Contains(body, "fixed") {
		t.Fatalf("after the fix: %d\n%.400s", code, body)
	}
}

// templateEscape is how html/template writes s inside an element.
func templateEscape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;", "+", "&#43;")
	return r.Replace(s)
}

// A broken mail override is a theme error too (the checks of the server's
// start), shown on the page.
func TestBrokenMailOverride(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "mail/invite.txt", "{{define \"invite.subject\"}}Hi{{end}}{{.Nope}}")
	code, body := get(t, preview.New(dir), "/mail/invite.html")
	if code != http.StatusInternalServerError || !strings.Contains(body, "invite") {
		t.Fatalf("%d\n%.600s", code, body)
	}
}

// The snapshot has one file per page and sample (and its dark twin), one
// per mail, the assets, and every relative link in it resolves to a file
// of the snapshot.
func TestSnapshot(t *testing.T) {
	out := t.TempDir()
	n, err := preview.New(filepath.Join("..", "theme", "example")).Snapshot(context.Background(), out)
	if err != nil {
		t.Fatal(err)
	}
	for _, pg := range pages.Pages() {
		for i := range pg.Samples() {
			id := pg.Name + "-" + strconv.Itoa(i+1)
			for _, f := range []string{"pages/" + id + ".html", "frames/" + id + ".html", "frames/" + id + ".dark.html"} {
				if _, err := os.Stat(filepath.Join(out, f)); err != nil {
					t.Errorf("snapshot lacks %s", f)
				}
			}
		}
	}
	for _, m := range mail.Names {
		if _, err := os.Stat(filepath.Join(out, "mail", m+".html")); err != nil {
			t.Errorf("snapshot lacks mail %s", m)
		}
	}
	link := regexp.MustCompile(`(?:href|src)="([^"#:]+\.(?:html|css|svg|txt))"`)
	files := 0
	filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		if filepath.Ext(p) != ".html" {
			return nil
		}
		data, _ := os.ReadFile(p)
		for _, m := range link.FindAllStringSubmatch(string(data), -1) {
			if strings.HasPrefix(m[1], "/") {
				continue // the portal's own navigation, not part of the gallery
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(p), m[1])); err != nil {
				t.Errorf("%s links to %s, which the snapshot lacks", p, m[1])
			}
		}
		return nil
	})
	if files != n {
		t.Errorf("Snapshot reports %d files, wrote %d", n, files)
	}
}

// The preview is a local tool: it refuses to listen on anything but a
// loopback address.
func TestCheckAddr(t *testing.T) {
	for _, ok := range []string{"127.0.0.1:8090", "localhost:0", "[::1]:8090", "127.0.0.2:1"} {
		if err := preview.CheckAddr(ok); err != nil {
			t.Errorf("CheckAddr(%q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{"0.0.0.0:8090", ":8090", "192.0.2.1:80", "example.com:80", "[::]:8090", "nonsense"} {
		if err := preview.CheckAddr(bad); err == nil {
			t.Errorf("CheckAddr(%q) accepted", bad)
		}
	}
}

// The preview in another language (`portal theme preview --lang ar`,
// issue 22): every page and mail in that language, right to left for
// Arabic, the theme's wording of the language included; a language
// neither Portal nor the theme has is an error on every page.
func TestPreviewInLanguage(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "messages.ar.toml", "[login]\ntitle = \"أهلًا بعودتك\"\n")
	p := preview.NewIn(dir, "ar")
	code, body := get(t, p, "/frames/login-1.html")
	if code != http.StatusOK || !strings.Contains(body, `<html lang="ar" dir="rtl">`) || !strings.Contains(body, "أهلًا بعودتك") {
		t.Fatalf("login in Arabic: %d\n%.600s", code, body)
	}
	code, body = get(t, p, "/mail/reset-password.msg.html")
	if code != http.StatusOK || !strings.Contains(body, `<html lang="ar" dir="rtl">`) || !strings.Contains(body, messages.Builtin("ar").T("mail-reset-password.button")) {
		t.Fatalf("reset mail in Arabic: %d\n%.600s", code, body)
	}
	if code, body := get(t, preview.NewIn("", "de"), "/mail/reset-password.txt"); code != http.StatusOK || !strings.Contains(body, messages.Builtin("de").T("mail.greeting")) {
		t.Fatalf("reset mail in German: %d\n%s", code, body)
	}
	if code, body := get(t, preview.NewIn("", "tlh"), "/frames/login-1.html"); code == http.StatusOK || !strings.Contains(body, "tlh") {
		t.Fatalf("a language nobody has: %d\n%.300s", code, body)
	}
}
