package theme

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/accountportal/portal/messages"
	"github.com/accountportal/portal/pages"
)

// thDir writes files (path → content) into a new theme directory.
func thDir(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		thWrite(t, dir, name, content)
	}
	return dir
}

const thLoginOK = `<form method="post" action="/account/login" id="login-form">{{csrfField}}<input name="email" value="{{.Email}}"></form>`

func TestLoadNoTheme(t *testing.T) {
	th, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if th.Layout() != nil || th.Page("login") != nil || th.Static != nil {
		t.Fatalf("empty theme has overrides: %+v", th)
	}
	var none *Theme
	if none.Layout() != nil || none.Page("login") != nil {
		t.Fatal("nil theme has overrides")
	}
}

func TestLoadGoodTheme(t *testing.T) {
	dir := thDir(t, map[string]string{
		"layout.html":      `<html><body><main>{{.Body}}</main></body></html>`,
		"pages/login.html": thLoginOK,
		"static/x.css":     `body{}`,
		"README.md":        "notes",
		".git/HEAD":        "ref",
		"pages/.DS_Store":  "",
	})
	th, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if th.Layout() == nil || th.Page("login") == nil || th.Page("register") != nil || th.Static == nil {
		t.Fatalf("loaded %+v, want the layout, the login page and static/", th)
	}
	if got, want := th.PageNames(), []string{"login"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("PageNames=%v, want %v", got, want)
	}
}

// A bad theme is refused with the file named and the reason.
func TestBadThemesRefused(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []string // substrings of the error
	}{
		{"unknown page", map[string]string{"pages/signin.html": thLoginOK},
			[]string{"pages/signin.html", `unknown page "signin"`, "login, "}},
		{"not html", map[string]string{"pages/login.txt": "x"},
			[]string{"pages/login.txt", "unknown file"}},
		{"directory in pages", map[string]string{"pages/login/x.html": "x"},
			[]string{"pages/login", "unknown file"}},
		{"parse error", map[string]string{"pages/login.html": `<p>{{if .Email}}unclosed</p>`},
			[]string{"pages/login.html", "unexpected EOF"}},
		{"unknown function", map[string]string{"pages/login.html": `{{translate "x"}}`},
			[]string{"pages/login.html", `function "translate" not defined`}},
		{"execution error", map[string]string{"pages/login.html": `<p>{{.Nope}}</p>`},
			[]string{"pages/login.html", "does not render the sample login view model", "can't evaluate field Nope"}},
		{"execution error in a variant", map[string]string{"pages/reauthenticate.html": `{{range .Providers}}{{.Slug.Oops}}{{end}}`},
			[]string{"pages/reauthenticate.html", "(ReauthenticateView #2)"}},
		{"escaping error", map[string]string{"pages/login.html": `<a href="{{.Email}}`},
			[]string{"pages/login.html", "does not render"}},
		{"POST form without csrfField", map[string]string{"pages/login.html": `<form method="post" id="login-form"><input name="email"></form>`},
			[]string{"pages/login.html", "without {{csrfField}}"}},
		{"POST form in capitals without csrfField", map[string]string{"pages/login.html": `<FORM METHOD=POST><input name="email"></FORM>`},
			[]string{"pages/login.html", "without {{csrfField}}"}},
		{"second POST form without the field", map[string]string{"pages/login.html": `<form method="post" action="/a">{{csrfField}}</form><form method="post" action="/b"></form>`},
			[]string{"pages/login.html", `action="/b"`, "has no CSRF field"}},
		{"POST forms in a loop without the field", map[string]string{"pages/external-logins.html": `{{csrfField}}{{range .Linked}}<form method="post" action="/x/{{.Provider}}"></form>{{end}}`},
			[]string{"pages/external-logins.html", "has no CSRF field"}},
		{"unknown top-level entry", map[string]string{"styles.css": "body{}"},
			[]string{"styles.css", "unknown entry"}},
		{"messages: unknown key", map[string]string{"messages.toml": "[layout]\nsing_in = \"Hi\""},
			[]string{"messages.toml", `unknown key "layout.sing_in"`, "[layout] has", "sign_in"}},
		{"messages: unknown section", map[string]string{"messages.toml": `nope.title = "Hi"`},
			[]string{"messages.toml", `unknown key "nope.title"`, "no section [nope]"}},
		{"messages: not a string", map[string]string{"messages.toml": "[layout]\nsign_in = 3"},
			[]string{"messages.toml", "layout.sign_in: a message must be a string"}},
		{"messages: unknown placeholder", map[string]string{"messages.toml": "[layout]\nsign_in = \"Hi {name}\""},
			[]string{"messages.toml", "layout.sign_in: unknown placeholder {name}"}},
		{"messages: not TOML", map[string]string{"messages.toml": "[layout\n"},
			[]string{"messages.toml"}},
		{"layout without Body", map[string]string{"layout.html": `<html><body>{{.Title}}</body></html>`},
			[]string{"layout.html", "{{.Body}}"}},
		{"layout execution error", map[string]string{"layout.html": `{{.Body}}{{.User.Nickname}}`},
			[]string{"layout.html", "does not render the sample layout data", "Nickname"}},
		{"layout POST form without csrfField", map[string]string{"layout.html": `{{.Body}}<form method="post" action="/account/logout"><button>Sign out</button></form>`},
			[]string{"layout.html", "without {{csrfField}}"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := thDir(t, tc.files)
			_, err := Load(dir)
			if err == nil {
				t.Fatal("Load accepted the theme")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if !strings.Contains(err.Error(), "theme "+dir) {
				t.Errorf("error %q does not name the theme directory", err)
			}
		})
	}
}

// Every problem is reported at once, each with its file.
func TestBadThemeReportsEveryFile(t *testing.T) {
	dir := thDir(t, map[string]string{
		"pages/nope.html":     "x",
		"pages/register.html": "{{.Nope}}",
		"extra.txt":           "x",
	})
	_, err := Load(dir)
	if err == nil {
		t.Fatal("Load accepted the theme")
	}
	for _, f := range []string{"pages/nope.html", "pages/register.html", "extra.txt"} {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error does not name %s:\n%v", f, err)
		}
	}
}

func TestNotADirectory(t *testing.T) {
	f := filepath.Join(t.TempDir(), "theme")
	thWrite(t, filepath.Dir(f), "theme", "x")
	if _, err := Load(f); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Fatalf("err=%v, want not a directory", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("a missing directory was accepted")
	}
}

// `theme init` writes a theme that passes the checks, whose stylesheet is
// the default one and whose README lists every page and every field.
func TestInitPassesCheck(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mytheme")
	files, err := Init(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(files), 3+len(messages.Languages()); got != want {
		t.Fatalf("wrote %v, want %d files (messages.<lang>.toml for every built-in language)", files, want)
	}
	th, err := Load(dir)
	if err != nil {
		t.Fatalf("the starter theme does not pass the checks: %v", err)
	}
	if th.Layout() == nil || th.Static == nil {
		t.Fatal("the starter theme has no layout or static/")
	}
	msgs, _ := os.ReadFile(filepath.Join(dir, "messages.toml"))
	for _, k := range messages.Keys() {
		section, name, _ := strings.Cut(k, ".")
		if !bytes.Contains(msgs, []byte("\n["+section+"]\n")) || !bytes.Contains(msgs, []byte("\n# "+name+" = ")) {
			t.Errorf("messages.toml does not list %s", k)
		}
	}
	// Uncommenting a line overrides that message.
	at := bytes.Index(msgs, []byte("\n[layout]\n"))
	if at < 0 {
		t.Fatal("messages.toml has no [layout]")
	}
	edited := slices.Concat(msgs[:at], bytes.Replace(msgs[at:], []byte(`# sign_in = "Sign in"`), []byte(`sign_in = "Log on"`), 1))
	thWrite(t, dir, "messages.toml", string(edited))
	if th, err = Load(dir); err != nil {
		t.Fatalf("messages.toml with one line uncommented: %v", err)
	}
	if got := th.Messages().T("layout.sign_in"); got != "Log on" {
		t.Errorf("layout.sign_in=%q after uncommenting, want Log on", got)
	}
	css, _ := os.ReadFile(filepath.Join(dir, "static", "portal.css"))
	for _, v := range []string{"--portal-accent:", "--portal-bg:", "--portal-radius:", "--portal-font:"} {
		if !bytes.Contains(css, []byte(v)) {
			t.Errorf("static/portal.css lacks %s", v)
		}
	}
	readme, _ := os.ReadFile(filepath.Join(dir, "README.md"))
	for _, p := range pages.Pages() {
		section := thSection(string(readme), "### "+p.Name+"\n")
		if section == "" {
			t.Errorf("README has no section for page %s", p.Name)
			continue
		}
		for _, f := range reflect.VisibleFields(p.View) {
			if f.Anonymous {
				continue
			}
			if row := fmt.Sprintf("| `%s` | `%s` |", f.Name, f.Type); !strings.Contains(section, row) {
				t.Errorf("README section %s lacks the row %s", p.Name, row)
			}
		}
	}
	for _, want := range []string{"portal theme eject login", "{{csrfField}}", "### pages.SessionItem", "| `Body` | `template.HTML` |", "Get(string) string"} {
		if !strings.Contains(string(readme), want) {
			t.Errorf("README lacks %q", want)
		}
	}
	// Init does not overwrite.
	if _, err := Init(dir); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("second Init: err=%v, want already exists", err)
	}
}

// thSection returns the text of a README from heading to the next "### ".
func thSection(doc, heading string) string {
	_, after, ok := strings.Cut(doc, heading)
	if !ok {
		return ""
	}
	if i := strings.Index(after, "\n### "); i >= 0 {
		after = after[:i]
	}
	return after
}

// Ejecting every page gives a theme that passes the checks.
func TestEjectEveryPagePassesCheck(t *testing.T) {
	dir := t.TempDir()
	for _, name := range pages.Names() {
		p, err := EjectTo(name, dir)
		if err != nil {
			t.Fatalf("eject %s: %v", name, err)
		}
		if got, want := p, filepath.Join(dir, "pages", name+".html"); got != want {
			t.Fatalf("eject wrote %s, want %s", got, want)
		}
	}
	th, err := Load(dir)
	if err != nil {
		t.Fatalf("the ejected pages do not pass the checks: %v", err)
	}
	if got, want := len(th.PageNames()), len(pages.Names()); got != want {
		t.Fatalf("%d pages loaded, want %d", got, want)
	}
	if _, err := EjectTo("login", dir); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("second eject: err=%v, want already exists", err)
	}
	if _, err := Eject("signin"); err == nil || !strings.Contains(err.Error(), `unknown page "signin"`) {
		t.Fatalf("eject of an unknown page: err=%v", err)
	}
}

// One template serves concurrent requests, each with its own CSRF token.
func TestTemplateConcurrentVars(t *testing.T) {
	dir := thDir(t, map[string]string{"pages/login.html": thLoginOK})
	th, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	tp := th.Page("login")
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			for j := range 50 {
				token := fmt.Sprintf("token-%d-%d", i, j)
				var buf bytes.Buffer
				if err := tp.Execute(&buf, pages.LoginView{Common: pages.Common{CSRFToken: token}}, Vars{CSRFToken: token}); err != nil {
					t.Error(err)
					return
				}
				if !strings.Contains(buf.String(), `value="`+token+`"`) {
					t.Errorf("output for %s carries another token: %s", token, buf.String())
					return
				}
			}
		})
	}
	wg.Wait()
}

// A template that fails for one view keeps working for the next.
func TestTemplateErrorThenSuccess(t *testing.T) {
	dir := thDir(t, map[string]string{"pages/login.html": `{{if eq .Email "boom@example.com"}}{{.Nope}}{{end}}ok {{.Email}}`})
	th, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	tp := th.Page("login")
	var buf bytes.Buffer
	if err := tp.Execute(&buf, pages.LoginView{Email: "boom@example.com"}, Vars{}); err == nil {
		t.Fatal("no error for the failing view")
	}
	buf.Reset()
	if err := tp.Execute(&buf, pages.LoginView{Email: "a@example.com"}, Vars{}); err != nil || buf.String() != "ok a@example.com" {
		t.Fatalf("after a failure: %q, %v", buf.String(), err)
	}
}

func TestAssetFunc(t *testing.T) {
	dir := thDir(t, map[string]string{"layout.html": `<link href="{{asset "logo.svg"}}">{{.Body}}`})
	th, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	th.SetAssetURL(func(name string) string { return "/static/hashed-" + name })
	var buf bytes.Buffer
	if err := th.Layout().Execute(&buf, LayoutData{Body: "x"}, Vars{}); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), `<link href="/static/hashed-logo.svg">x`; got != want {
		t.Fatalf("layout=%q, want %q", got, want)
	}
}
