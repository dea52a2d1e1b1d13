package identity

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/accountportal/portal/messages"
)

// Mail in the reader's language (issue 22): the recipient's saved
// language, else the language of the request that caused the mail, else
// the site's default.

// everyLanguage offers every built-in language, English the default.
func everyLanguage(t *testing.T, f *fixture) *messages.Set {
	t.Helper()
	var cats []*messages.Catalog
	for _, l := range messages.Languages() {
		cats = append(cats, messages.Builtin(l))
	}
	set, err := messages.NewSet(cats...)
	if err != nil {
		t.Fatal(err)
	}
	f.svc.SetMessages(set)
	return set
}

// inLang is a request context in lang.
func inLang(lang string) context.Context {
	return messages.NewContext(context.Background(), messages.Builtin(lang))
}

func TestMailLanguage(t *testing.T) {
	f := newFixture(t)
	everyLanguage(t, f)
	de, fr := messages.Builtin("de"), messages.Builtin("fr")

	// The saved language wins over the request's.
	u := f.mustRegister(t, "anna@example.com")
	f.confirm(t, u)
	if err := f.svc.SetLanguage(context.Background(), u, "de"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.ForgotPassword(inLang("fr"), Client{IP: "203.0.113.5"}, "anna@example.com"); err != nil {
		t.Fatal(err)
	}
	m := f.lastMail(t)
	if want := de.T("mail-reset-password.subject", "site", "Portal"); m.Subject != want {
		t.Errorf("saved de, request fr: subject %q, want %q", m.Subject, want)
	}
	if !strings.Contains(m.Text, de.T("mail.greeting")) || !strings.Contains(m.HTML, `lang="de"`) {
		t.Errorf("saved de: the body is not German:\n%s", m.Text)
	}

	// No saved language: the request's, through the outbox job.
	f.mustRegister(t, "bruno@example.com")
	if err := f.svc.ForgotPassword(inLang("fr"), Client{IP: "203.0.113.6"}, "bruno@example.com"); err != nil {
		t.Fatal(err)
	}
	if m := f.lastMail(t); m.Subject != fr.T("mail-reset-password.subject", "site", "Portal") {
		t.Errorf("request fr, nothing saved: subject %q, want the French one", m.Subject)
	}
	// A notice to a signed-in person in their saved language.
	if _, err := f.svc.ForgetAllBrowsers(inLang("fr"), Client{IP: "203.0.113.7", UserAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"}, u); err != nil {
		t.Fatal(err)
	}
	m = f.lastMail(t)
	if want := de.T("mail-notice.browsers_forgotten"); !strings.Contains(m.Subject, want) {
		t.Errorf("notice subject %q, want it to say %q", m.Subject, want)
	}
	if want := de.T("device.on_os", "browser", "Firefox", "os", "Linux"); !strings.Contains(m.Text, want) {
		t.Errorf("notice does not name the browser the German way (%q):\n%s", want, m.Text)
	}
	// No request, nothing saved: the default.
	f.mustRegister(t, "chris@example.com")
	if err := f.svc.ForgotPassword(context.Background(), Client{}, "chris@example.com"); err != nil {
		t.Fatal(err)
	}
	if m := f.lastMail(t); m.Subject != messages.Default().T("mail-reset-password.subject", "site", "Portal") {
		t.Errorf("no language anywhere: subject %q, want the English one", m.Subject)
	}
}

// A job queued in the outbox (forgot password) keeps the request's
// language across a restart: the worker of a new process, with no
// request, still writes French; and a language the restarted site no
// longer offers falls back to the default.
func TestMailJobLanguageSurvivesRestart(t *testing.T) {
	f := newFixture(t)
	everyLanguage(t, f)
	f.mustRegister(t, "dora@example.com")
	f.mustRegister(t, "emil@example.com")
	f.lastMail(t) // the confirmations are out
	before := len(f.mail.all())
	if err := f.svc.ForgotPassword(inLang("fr"), Client{IP: "203.0.113.8"}, "dora@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.ForgotPassword(inLang("ar"), Client{IP: "203.0.113.8"}, "emil@example.com"); err != nil {
		t.Fatal(err)
	}
	// The first process stops before its worker ran; a new one starts on
	// the same database, offering English and French only.
	restarted, err := New(f.svc.opts)
	if err != nil {
		t.Fatal(err)
	}
	set, err := messages.NewSet(messages.Default(), messages.Builtin("fr"))
	if err != nil {
		t.Fatal(err)
	}
	restarted.SetMessages(set)
	if err := restarted.MailQueue().Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, m := range f.mail.all()[before:] {
		got[m.To] = m.Subject
	}
	if want := messages.Builtin("fr").T("mail-reset-password.subject", "site", "Portal"); got["dora@example.com"] != want {
		t.Errorf("after a restart: subject %q, want the French %q", got["dora@example.com"], want)
	}
	if want := messages.Default().T("mail-reset-password.subject", "site", "Portal"); got["emil@example.com"] != want {
		t.Errorf("Arabic no longer offered: subject %q, want the default's %q", got["emil@example.com"], want)
	}
}

// Every security notice is a message key (mail-notice.*), so that it goes
// out in the recipient's language: a sentence written into a notify call
// would reach every reader in English.
func TestNoticesAreKeys(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	call := regexp.MustCompile(`\bnotify(?:SignedOut|Mail)?\(ctx, [^,]+, [^,]+, (?:false, |true, )?([^,)]+)`)
	found := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range call.FindAllStringSubmatch(string(src), -1) {
			arg := strings.TrimSpace(m[1])
			if arg == "key" { // notify's own forwarding
				continue
			}
			found++
			key, err := strconv.Unquote(arg)
			if err != nil || !strings.HasPrefix(key, "mail-notice.") || !(messages.Has(key) || messages.Has(key+"_other")) {
				t.Errorf("%s: a notice that is not a mail-notice.* key: %s", f, arg)
			}
		}
	}
	if found < 10 {
		t.Fatalf("found %d notify calls: the pattern is wrong", found)
	}
}
