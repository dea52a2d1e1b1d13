package mail

import (
	"bytes"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
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
			m, err := ts.Render(name, SampleData)
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
	m, err := ts.Render(EmailChanged, d)
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
	m, err := ts.Render(ConfirmEmail, SampleData)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Welcome to Example" || !strings.HasPrefix(m.Text, "Click https://") || !strings.Contains(m.HTML, "Themed") {
		t.Fatalf("override not used: %+v", m)
	}
	// Messages the theme does not override stay built-in.
	if m, _ := ts.Render(ResetPassword, SampleData); !strings.Contains(m.Subject, "Reset your") {
		t.Fatalf("un-overridden message changed: %q", m.Subject)
	}
	// An override that fails at send time falls back to the built-in one.
	d := SampleData
	d.To = "boom@example.com"
	m, err = ts.Render(ConfirmEmail, d)
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
