package theme

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/accountportal/portal/mail"
	"github.com/accountportal/portal/messages"
)

// uncomment turns every commented-out "name = value" line of a starter
// messages file into a message.
var commentedKey = regexp.MustCompile(`(?m)^# ([a-z0-9_]+ = ")`)

// `theme init` writes messages.<lang>.toml for every built-in language
// (issue 22): every key with Portal's text in that language, commented
// out, in every plural form the language has; uncommented it is exactly
// the built-in language, and one line uncommented and changed rewords
// that message in that language only. With nothing changed the starter
// theme has no warning.
func TestInitWritesEveryLanguage(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mytheme")
	if _, err := Init(dir); err != nil {
		t.Fatal(err)
	}
	th, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if w := th.LanguageWarnings(); len(w) > 0 {
		t.Errorf("the starter theme has warnings: %q", w)
	}
	for _, lang := range messages.Languages()[1:] {
		file := filepath.Join(dir, "messages."+lang+".toml")
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		all := commentedKey.ReplaceAllString(string(src), "$1")
		flat, err := messages.Decode([]byte(all))
		if err != nil {
			t.Fatalf("%s uncommented is not TOML: %v", file, err)
		}
		builtin := messages.Builtin(lang)
		for _, k := range messages.Keys() {
			base, isPlural := pluralBase(k)
			if !isPlural {
				if got, want := flat[k], builtin.T(k); got != want {
					t.Errorf("%s: %s = %q, want Portal's %q", file, k, got, want)
				}
				continue
			}
			for _, f := range messages.PluralForms(lang) {
				if _, ok := flat[base+"_"+f]; !ok {
					t.Errorf("%s: the plural message %s lacks its %s form", file, base, f)
				}
			}
		}
		for k := range flat {
			if !messages.Valid(k) {
				t.Errorf("%s lists %q, which is not a key", file, k)
			}
		}
		if !strings.Contains(string(src), "{placeholders}") || !strings.Contains(string(src), "# The mail Portal sends") {
			t.Errorf("%s does not carry the explanations of the keys", file)
		}
	}
	// One line uncommented and changed rewords German only.
	de := filepath.Join(dir, "messages.de.toml")
	src, _ := os.ReadFile(de)
	line := `# sign_in = "` + messages.Builtin("de").T("layout.sign_in") + `"`
	if !strings.Contains(string(src), line) {
		t.Fatalf("messages.de.toml lacks %s", line)
	}
	at := strings.Index(string(src), "\n[layout]\n")
	if at < 0 {
		t.Fatal("messages.de.toml has no [layout]")
	}
	thWrite(t, dir, "messages.de.toml", string(src[:at])+strings.Replace(string(src[at:]), line, `sign_in = "Einloggen"`, 1))
	if th, err = Load(dir); err != nil {
		t.Fatal(err)
	}
	if got := th.Catalog("de").T("layout.sign_in"); got != "Einloggen" {
		t.Errorf("German sign_in = %q after rewording, want Einloggen", got)
	}
	if got, want := th.Catalog("fr").T("layout.sign_in"), messages.Builtin("fr").T("layout.sign_in"); got != want {
		t.Errorf("French sign_in = %q, want Portal's %q", got, want)
	}
}

// `theme check`'s warnings: what a reader of some language would see in
// another language or lose; none of them stops the server.
func TestLanguageWarnings(t *testing.T) {
	dir := t.TempDir()
	thWrite(t, dir, "messages.toml", "[login]\ntitle = \"Welcome back\"\n")
	thWrite(t, dir, "messages.de.toml", "[login]\ntitle = \"Willkommen zurück\"\n[register]\npassword_hint = \"Lang genug.\"\n")
	thWrite(t, dir, "messages.ar.toml", "[lockout]\nexplanation_one = \"x\"\nexplanation_other = \"{minutes}\"\n[login]\ntitle = \"مرحبًا\"\n")
	thWrite(t, dir, "messages.pt-BR.toml", "[login]\ntitle = \"Bem-vindo\"\n")
	th, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(th.LanguageWarnings(), "\n")
	for _, want := range []string{
		"messages.pt-BR.toml: ",                      // a language Portal lacks…
		"messages missing, shown in English",         // …shows the rest in English
		"explanation lacks lockout.explanation_zero", // Arabic's six forms
		"register.password_hint leaves out {min}",
		"messages.toml rewords login.title; messages.es.toml does not",
		"messages.toml rewords login.title; messages.fr.toml does not",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("warnings lack %q:\n%s", want, got)
		}
	}
	for _, notWant := range []string{"messages.de.toml does not", "messages.ar.toml does not"} {
		if strings.Contains(got, notWant) {
			t.Errorf("warnings say %q, yet that file rewords the key:\n%s", notWant, got)
		}
	}
}

// Errors, not warnings: a key Portal does not have, or a placeholder the
// English message does not have, in a language's file.
func TestLanguageFileErrors(t *testing.T) {
	for name, src := range map[string]string{
		"unknown key":         "[login]\ntitel = \"Anmelden\"\n",
		"unknown placeholder": "[register]\npassword_hint = \"Mindestens {max} Zeichen.\"\n",
		"not a string":        "[login]\ntitle = 3\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			thWrite(t, dir, "messages.de.toml", src)
			_, err := Load(dir)
			if err == nil || !strings.Contains(err.Error(), "messages.de.toml") {
				t.Fatalf("err = %v, want one naming messages.de.toml", err)
			}
		})
	}
}

// The theme README names every function a mail template may call.
func TestReadmeNamesMailFuncs(t *testing.T) {
	readme := Readme()
	for _, f := range mail.Funcs {
		if !strings.Contains(readme, "`"+f[0]+"`") {
			t.Errorf("README does not name the mail template function %s", f[0])
		}
	}
	if !strings.Contains(readme, "messages.<lang>.toml") {
		t.Error("README does not explain messages.<lang>.toml")
	}
}
