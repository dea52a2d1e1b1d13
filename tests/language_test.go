package tests

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accountportal/portal"
	pt "github.com/accountportal/portal/internal/portaltest"
	"github.com/accountportal/portal/messages"
	"github.com/accountportal/portal/theme"
)

// Languages (issue 22, DESIGN.md "Languages"): the page's language comes
// from the picker's cookie (set from the account at sign-in), else the
// browser's Accept-Language, else the default.

// germanServer starts a server that speaks German and returns its German
// catalogue. With Portal's own messages/de it is the built-in German; until
// then a theme adds German with messages.de.toml (the way a theme adds any
// language), so that the negotiation is tested either way.
func germanServer(t *testing.T, opts ...func(*portal.Config)) (*pt.Server, *messages.Catalog) {
	t.Helper()
	if messages.Builtin("de") != nil {
		return pt.NewServer(t, opts...), messages.Builtin("de")
	}
	dir := t.TempDir()
	src := "[layout]\nlang = \"de\"\nsign_in = \"Anmelden\"\nsign_out = \"Abmelden\"\n" +
		"[login]\ntitle = \"Anmelden\"\n"
	if err := os.WriteFile(filepath.Join(dir, "messages.de.toml"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	th, err := theme.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return pt.NewServer(t, append([]func(*portal.Config){func(c *portal.Config) { c.Theme = dir }}, opts...)...), th.Catalog("de")
}

// htmlLang returns the page's <html lang> and dir.
func htmlLang(t *testing.T, p *pt.Page) (string, string) {
	t.Helper()
	h := p.Doc(t).Find("html")
	lang, _ := h.Attr("lang")
	dir, _ := h.Attr("dir")
	return lang, dir
}

// signInLink is the header's sign-in link text.
func signInLink(t *testing.T, p *pt.Page) string {
	t.Helper()
	return strings.TrimSpace(p.Doc(t).Find(`.account-nav a[href="/account/login"]`).Text())
}

func TestLanguageFromAcceptLanguage(t *testing.T) {
	srv, de := germanServer(t)
	en := messages.Default()
	if de.T("layout.sign_in") == en.T("layout.sign_in") {
		t.Fatal("the German sign-in link reads as the English one: the test cannot tell them apart")
	}
	for _, tc := range []struct {
		accept, lang, signIn string
	}{
		{"de", "de", de.T("layout.sign_in")},
		{"de-CH, de;q=0.9, en;q=0.5", "de", de.T("layout.sign_in")},
		{"fr-CA;q=0.2, de-AT", "de", de.T("layout.sign_in")},
		{"en-GB,en;q=0.9", "en", en.T("layout.sign_in")},
		{"ja", "en", en.T("layout.sign_in")},             // Japanese: not offered, the default
		{"", "en", en.T("layout.sign_in")},               // no header: the default
		{"de;q=bogus;;,,", "en", en.T("layout.sign_in")}, // broken header: the default, not an error
	} {
		c := pt.NewClient(t, srv).WithHeader("Accept-Language", tc.accept)
		p := c.Get("/")
		pt.WantStatus(t, p, http.StatusOK)
		if lang, dir := htmlLang(t, p); lang != tc.lang || dir != "ltr" {
			t.Errorf("Accept-Language %q: <html lang=%q dir=%q>, want lang=%q dir=ltr", tc.accept, lang, dir, tc.lang)
		}
		if got := signInLink(t, p); got != tc.signIn {
			t.Errorf("Accept-Language %q: sign-in link %q, want %q", tc.accept, got, tc.signIn)
		}
		if !strings.Contains(p.Header.Get("Vary"), "Accept-Language") {
			t.Errorf("Accept-Language %q: Vary=%q, want Accept-Language in it (a shared cache must not mix languages)", tc.accept, p.Header.Get("Vary"))
		}
	}
}

// The footer's picker (no JavaScript: a form) overrides the browser, on
// every later page, and goes back to the page it was on.
func TestLanguagePickerOverridesBrowser(t *testing.T) {
	srv, de := germanServer(t)
	c := pt.NewClient(t, srv).WithHeader("Accept-Language", "de")
	p := c.Get("/account/login?returnUrl=%2Faccount%2Fmanage")
	if lang, _ := htmlLang(t, p); lang != "de" {
		t.Fatalf("lang=%q, want de", lang)
	}
	f := p.Form(t, `[data-testid="language-form"]`)
	if got, want := f.Values.Get("returnUrl"), "/account/login?returnUrl=%2Faccount%2Fmanage"; got != want {
		t.Errorf("the picker's returnUrl=%q, want this page %q", got, want)
	}
	if got := p.Doc(t).Find(`#language-select option[selected]`).AttrOr("value", ""); got != "de" {
		t.Errorf("the selected language is %q, want de", got)
	}
	f.Set("lang", "en")
	r := c.Post(f.Action, f.Values)
	pt.WantRedirect(t, r, "/account/login?returnUrl=%2Faccount%2Fmanage")
	for _, path := range []string{"/account/login", "/", "/account/forgot-password"} {
		p = c.Get(path)
		if lang, _ := htmlLang(t, p); lang != "en" {
			t.Errorf("%s after picking English: lang=%q, want en", path, lang)
		}
	}
	// And back: an English browser that picks German.
	c2 := pt.NewClient(t, srv).WithHeader("Accept-Language", "en-US")
	r = c2.PostFrom("/", "/account/language", url.Values{"lang": {"de"}, "returnUrl": {"/?x=1"}})
	pt.WantRedirect(t, r, "/?x=1")
	p = c2.Follow(r)
	if lang, _ := htmlLang(t, p); lang != "de" {
		t.Errorf("after picking German: lang=%q, want de", lang)
	}
	if got, want := signInLink(t, p), de.T("layout.sign_in"); got != want {
		t.Errorf("after picking German: sign-in link %q, want %q", got, want)
	}
}

// Bad input to the picker: a language not offered is refused with a
// message (422), the choice unchanged; a returnUrl to another site goes
// home instead (BRW-08); no CSRF token, no change (BRW-06).
func TestLanguagePickerRefuses(t *testing.T) {
	srv, _ := germanServer(t, func(c *portal.Config) { c.Languages = "en,de" })
	c := pt.NewClient(t, srv)
	for _, lang := range []string{"fr", "tlh", "", "de\x00", strings.Repeat("a", 300)} {
		r := c.PostFrom("/", "/account/language", url.Values{"lang": {lang}, "returnUrl": {"/"}})
		if r.Status != http.StatusUnprocessableEntity && r.Status != http.StatusBadRequest {
			t.Errorf("lang=%q: status %d, want 422 (or 400 for a value the input check refuses)", lang, r.Status)
		}
	}
	r := c.PostFrom("/", "/account/language", url.Values{"lang": {"fr"}, "returnUrl": {"/"}})
	if !strings.Contains(r.Body, messages.Default().T("errors.unknown_language")) {
		t.Errorf("a language not offered: the page does not say so:\n%s", r.Body)
	}
	if lang, _ := htmlLang(t, c.Get("/")); lang != "en" {
		t.Errorf("after refused choices: lang=%q, want en", lang)
	}
	r = c.PostFrom("/", "/account/language", url.Values{"lang": {"de"}, "returnUrl": {"https://evil.example/"}})
	pt.WantRedirect(t, r, "/")
	c3 := pt.NewClient(t, srv)
	r = c3.Post("/account/language", url.Values{"lang": {"de"}, "returnUrl": {"/"}})
	pt.WantStatus(t, r, http.StatusForbidden)
	if lang, _ := htmlLang(t, c3.Get("/")); lang != "en" {
		t.Errorf("a picker post without a CSRF token changed the language to %q", lang)
	}
}

// A signed-in person's choice is saved on the account: another browser
// shows their language once they sign in there.
func TestLanguageSavedOnAccount(t *testing.T) {
	srv, _ := germanServer(t)
	srv.ConfirmedUser(t, "sprache@example.com", "correct horse battery")
	c := srv.SignIn(t, "sprache@example.com", "correct horse battery", false)
	c.WithHeader("Accept-Language", "en")
	r := c.PostFrom("/account/manage", "/account/language", url.Values{"lang": {"de"}, "returnUrl": {"/account/manage"}})
	pt.WantRedirect(t, r, "/account/manage")
	if lang, _ := htmlLang(t, c.Follow(r)); lang != "de" {
		t.Fatalf("lang=%q after picking German, want de", lang)
	}
	other := pt.NewClient(t, srv).WithHeader("Accept-Language", "en-US")
	if lang, _ := htmlLang(t, other.Get("/account/login")); lang != "en" {
		t.Fatalf("another browser before signing in: lang=%q, want en (its own Accept-Language)", lang)
	}
	pt.WantStatus(t, other.Login("sprache@example.com", "correct horse battery", false), http.StatusSeeOther)
	if lang, _ := htmlLang(t, other.Get("/account/manage")); lang != "de" {
		t.Errorf("another browser after signing in: lang=%q, want the saved de", lang)
	}
}

// --languages limits what is offered: a browser asking for German gets
// the default when German is not offered, and the picker is gone with one
// language; --default-language is what a browser asking for nothing
// offered gets.
func TestLanguagesFlag(t *testing.T) {
	srv, _ := germanServer(t, func(c *portal.Config) { c.Languages = "en" })
	p := pt.NewClient(t, srv).WithHeader("Accept-Language", "de").Get("/")
	if lang, _ := htmlLang(t, p); lang != "en" {
		t.Errorf("--languages en, Accept-Language de: lang=%q, want en", lang)
	}
	if p.Has(t, `[data-testid="language-form"]`) {
		t.Error("one language offered, yet the page has a language picker")
	}
	srv, _ = germanServer(t, func(c *portal.Config) { c.Languages = "en,de"; c.DefaultLanguage = "de" })
	p = pt.NewClient(t, srv).WithHeader("Accept-Language", "ja").Get("/")
	if lang, _ := htmlLang(t, p); lang != "de" {
		t.Errorf("--default-language de, Accept-Language ja: lang=%q, want de", lang)
	}
	if got := p.Doc(t).Find(`#language-select option`).Length(); got != 2 {
		t.Errorf("the picker offers %d languages, want 2", got)
	}
}

// A language no one has (no built-in, no theme file) is refused at start,
// naming it; so is a default that is not offered.
func TestLanguagesFlagRefused(t *testing.T) {
	for _, tc := range []struct{ langs, def, want string }{
		{"en,tlh", "en", "tlh"},
		{"en", "de", "de"},
		{"en,??", "en", "??"},
	} {
		cfg, _ := pt.Config(t)
		cfg.Languages, cfg.DefaultLanguage = tc.langs, tc.def
		_, err := portal.New(cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("--languages %s --default-language %s: err=%v, want one naming %q", tc.langs, tc.def, err, tc.want)
		}
	}
}
