package mail

import (
	"bytes"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/accountportal/portal/messages"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./mail -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test ./mail -update refreshes it):\n--- got ---\n%s\n--- want ---\n%s", name, got, want)
	}
}

// TestMessagesGolden pins every built-in message: subject, text and HTML.
func TestMessagesGolden(t *testing.T) {
	ts, err := LoadTemplates(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range Names {
		t.Run(name, func(t *testing.T) {
			m, err := ts.Render(nil, name, SampleData)
			if err != nil {
				t.Fatal(err)
			}
			if m.To != SampleData.To || m.Subject == "" || strings.Contains(m.Subject, "\n") {
				t.Fatalf("to=%q subject=%q", m.To, m.Subject)
			}
			for _, body := range []string{m.Text, m.HTML} {
				if !strings.Contains(body, SampleData.SiteName) {
					t.Errorf("%s does not name the site", name)
				}
			}
			golden(t, name+".txt.golden", "Subject: "+m.Subject+"\n\n"+m.Text)
			golden(t, name+".html.golden", m.HTML)
		})
	}
}

func TestHTMLEscapesData(t *testing.T) {
	ts, err := LoadTemplates(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := SampleData
	d.NewEmail = `<script>alert(1)</script>@example.com`
	m, err := ts.Render(nil, EmailChanged, d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.HTML, "<script>") {
		t.Fatal("HTML body does not escape data")
	}
}

func TestThemeOverrides(t *testing.T) {
	good := fstest.MapFS{
		"confirm-email.txt":  {Data: []byte(`{{define "confirm-email.subject"}}Welcome to {{.SiteName}}{{end}}Click {{.Link}}`)},
		"confirm-email.html": {Data: []byte(`<p>Themed <a href="{{.Link}}">confirm</a>{{if eq .To "boom@example.com"}}{{.Nope}}{{end}}</p>`)},
	}
	var logBuf bytes.Buffer
	ts, err := LoadTemplates(good, slog.New(slog.NewTextHandler(&logBuf, nil)))
	if err != nil {
		t.Fatal(err)
	}
	m, err := ts.Render(nil, ConfirmEmail, SampleData)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Welcome to Example" || !strings.HasPrefix(m.Text, "Click https://") || !strings.Contains(m.HTML, "Themed") {
		t.Fatalf("override not used: %+v", m)
	}
	// Messages the theme does not override stay built-in.
	if m, _ := ts.Render(nil, ResetPassword, SampleData); !strings.Contains(m.Subject, "Reset your") {
		t.Fatalf("un-overridden message changed: %q", m.Subject)
	}
	// An override that fails at send time falls back to the built-in one.
	d := SampleData
	d.To = "boom@example.com"
	m, err = ts.Render(nil, ConfirmEmail, d)
	if err != nil || strings.Contains(m.HTML, "Themed") || !strings.Contains(logBuf.String(), "override failed") {
		t.Fatalf("fallback: m=%+v err=%v log=%q", m, err, logBuf.String())
	}

	for name, fsys := range map[string]fstest.MapFS{
		"unknown name":    {"welcome.txt": {Data: []byte("x")}},
		"wrong extension": {"confirm-email.md": {Data: []byte("x")}},
		"parse error":     {"confirm-email.html": {Data: []byte("{{if}}")}},
		"exec error":      {"reset-password.txt": {Data: []byte("{{.Missing}}")}},
		"subject error":   {"reset-password.txt": {Data: []byte(`{{define "reset-password.subject"}}{{.Nope}}{{end}}body`)}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := LoadTemplates(fsys, nil)
			if err == nil {
				t.Fatal("bad override accepted")
			}
			for file := range fsys {
				if !strings.Contains(err.Error(), file) && !strings.Contains(err.Error(), strings.TrimSuffix(file, filepath.Ext(file))) {
					t.Fatalf("error %q does not name %s", err, file)
				}
			}
		})
	}
}

// Every message goes out in every built-in language (issue 22): subject
// and both bodies from that language's catalogue, <html lang dir> naming
// it, no message key left unresolved, and no sentence of the English
// message left in it. testdata/LANG/NAME.txt.golden pins the wording.
func TestMessagesInEveryLanguage(t *testing.T) {
	ts, err := LoadTemplates(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	leftKey := regexp.MustCompile(`\bmail(?:-[a-z-]+)?\.[a-z0-9_]+\b`)
	langs := messages.Languages()
	if len(langs) < 5 {
		t.Fatalf("built-in languages %v, want en, ar, de, es, fr", langs)
	}
	for _, lang := range langs {
		c := messages.Builtin(lang)
		for _, name := range Names {
			t.Run(lang+"/"+name, func(t *testing.T) {
				m, err := ts.Render(c, name, Sample(c))
				if err != nil {
					t.Fatal(err)
				}
				for part, body := range map[string]string{"subject": m.Subject, "text": m.Text, "html": m.HTML} {
					if k := leftKey.FindString(body); k != "" {
						t.Errorf("%s: message key %q left in it", part, k)
					}
				}
				wantHTML := `<html lang="` + lang + `" dir="` + c.Dir() + `">`
				if !strings.Contains(m.HTML, wantHTML) {
					t.Errorf("HTML body does not start with %s:\n%.200s", wantHTML, m.HTML)
				}
				if lang == "en" {
					return
				}
				en, err := ts.Render(nil, name, SampleData)
				if err != nil {
					t.Fatal(err)
				}
				if m.Subject == en.Subject {
					t.Errorf("subject %q is the English one", m.Subject)
				}
				// No English paragraph survives (the lines of the text
				// body that are words, not links, codes or addresses).
				for _, line := range strings.Split(en.Text, "\n") {
					if len(strings.Fields(line)) >= 3 && strings.Contains(m.Text, line) {
						t.Errorf("English line %q in the %s text", line, lang)
					}
				}
				golden(t, filepath.Join(lang, name+".txt.golden"), "Subject: "+m.Subject+"\n\n"+m.Text)
			})
		}
	}
}

// Words in the recipient's language stay whole: a French no-break space
// before a colon is not a place to break a line or to drop.
func TestWrapKeepsNoBreakSpace(t *testing.T) {
	got := wrap(strings.Repeat("mot ", 20) + "adresse\u00a0:")
	if !strings.HasSuffix(got, "adresse\u00a0:") {
		t.Fatalf("wrap lost the no-break space: %q", got)
	}
	for _, line := range strings.Split(got, "\n") {
		if n := len([]rune(line)); n > wrapWidth {
			t.Errorf("line of %d characters: %q", n, line)
		}
	}
}

// An override in a theme is checked in every language it can go out in.
func TestThemeOverrideCheckedInEveryLanguage(t *testing.T) {
	fsys := fstest.MapFS{
		// Fails only when the language is right-to-left.
		"invite.html": {Data: []byte(`<p dir="{{dir}}">{{t "mail-invite.intro" "site" .SiteName "to" .To}}{{if eq dir "rtl"}}{{.Nope}}{{end}}</p>`)},
	}
	_, err := LoadTemplates(fsys, nil)
	if err == nil || !strings.Contains(err.Error(), "invite") || !strings.Contains(err.Error(), "ar") {
		t.Fatalf("err = %v, want the override refused naming invite and ar", err)
	}
}
