// Package theme loads a theme directory (--theme DIR): static/ layered over
// the built-in static files, layout.html wrapping every page, pages/<name>.html
// replacing one page's content (html/template, with the page's own view
// model), messages.toml overriding the wording of any page by key (see
// package messages), and mail/ overrides (checked by the mail package).
//
// templ compiles to Go, so a runtime directory can only hold static files
// and html/template; the handlers look a page up in this order, first match
// wins: the theme's pages/<name>.html, then Portal.OverridePage from Go,
// then the built-in templ page. Everything is checked when the theme is
// loaded (fail fast): an unknown file, a template that does not parse or
// does not render the sample view models of its page, or a POST form
// without the CSRF field stops the server with a message naming the file.
package theme

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"golang.org/x/text/language"

	"github.com/accountportal/portal/messages"
	"github.com/accountportal/portal/pages"
)

// Theme is a loaded theme directory. The zero Theme (and a nil *Theme) is
// no theme at all.
type Theme struct {
	Dir string
	// Static is DIR/static, or nil when the theme has none.
	Static fs.FS
	// Mail is DIR/mail (mail template overrides), or nil.
	Mail fs.FS

	layout   *Template
	pages    map[string]*Template
	messages *messages.Catalog
	// langs are the catalogues of messages.<lang>.toml: the built-in
	// language (or English, for one Portal does not have) with the
	// theme's messages over it.
	langs map[string]*messages.Catalog
	// defined are the messages each messages file defines itself, by
	// language ("en": messages.toml), for LanguageWarnings.
	defined map[string]map[string]string

	mu    sync.RWMutex
	asset func(name string) string
}

// Layout returns layout.html, or nil when the theme has none.
func (t *Theme) Layout() *Template {
	if t == nil {
		return nil
	}
	return t.layout
}

// Page returns the override of the named page, or nil.
func (t *Theme) Page(name string) *Template {
	if t == nil {
		return nil
	}
	return t.pages[name]
}

// PageNames lists the pages the theme overrides.
func (t *Theme) PageNames() []string {
	if t == nil {
		return nil
	}
	var out []string
	for n := range t.pages {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// SetAssetURL sets how {{asset NAME}} finds a static file's URL (the
// content-hashed URL, once the static files are loaded). Until then it
// answers /static/NAME.
func (t *Theme) SetAssetURL(f func(name string) string) {
	if t == nil {
		return
	}
	t.mu.Lock()
	t.asset = f
	t.mu.Unlock()
}

// Load reads and checks dir and returns the theme. An empty dir means no
// theme. The error names every file that is wrong and why.
func Load(dir string) (*Theme, error) {
	if dir == "" {
		return &Theme{}, nil
	}
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("theme %s: %w", dir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("theme %s: not a directory", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("theme %s: %w", dir, err)
	}
	t := &Theme{Dir: dir, pages: map[string]*Template{}}
	var errs []error
	fail := func(file string, format string, args ...any) {
		errs = append(errs, fmt.Errorf("theme %s: %s: %s", dir, file, fmt.Sprintf(format, args...)))
	}
	// messages.toml first: the templates are checked against the
	// catalogue they will be rendered with.
	slices.SortStableFunc(entries, func(a, b os.DirEntry) int {
		return boolInt(isMessages(b.Name())) - boolInt(isMessages(a.Name()))
	})
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, "."):
		case name == "static" && e.IsDir():
			t.Static = os.DirFS(filepath.Join(dir, "static"))
		case name == "mail" && e.IsDir():
			t.Mail = os.DirFS(filepath.Join(dir, "mail"))
		case name == "pages" && e.IsDir():
			t.loadPages(fail)
		case name == "layout.html" && !e.IsDir():
			t.loadLayout(fail)
		case name == "README.md":
		case name == "messages.toml" && !e.IsDir():
			t.loadMessages(fail)
		case isMessages(name) && !e.IsDir():
			t.loadLanguage(name, fail)
		default:
			fail(name, "unknown entry (a theme holds static/, layout.html, pages/, mail/, messages.toml, messages.<lang>.toml and README.md)")
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return t, nil
}

// isMessages reports whether name is messages.toml or messages.<lang>.toml.
func isMessages(name string) bool {
	return strings.HasPrefix(name, "messages.") && strings.HasSuffix(name, ".toml")
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Messages returns the theme's message catalogue: the built-in one with
// the overrides of messages.toml, or the built-in one.
func (t *Theme) Messages() *messages.Catalog {
	if t == nil || t.messages == nil {
		return messages.Default()
	}
	return t.messages
}

func (t *Theme) loadMessages(fail func(file, format string, args ...any)) {
	const file = "messages.toml"
	src, err := os.ReadFile(filepath.Join(t.Dir, file))
	if err != nil {
		fail(file, "%v", err)
		return
	}
	c, err := messages.Parse(src)
	if err != nil {
		fail(file, "%v", err)
		return
	}
	t.messages = c
	t.define("en", src)
}

// define keeps what a messages file defines itself.
func (t *Theme) define(lang string, src []byte) {
	flat, err := messages.Decode(src)
	if err != nil {
		return // reported by the check that read it
	}
	if t.defined == nil {
		t.defined = map[string]map[string]string{}
	}
	t.defined[lang] = flat
}

func (t *Theme) loadLayout(fail func(file, format string, args ...any)) {
	const file = "layout.html"
	src, err := os.ReadFile(filepath.Join(t.Dir, file))
	if err != nil {
		fail(file, "%v", err)
		return
	}
	tp, err := t.parse(file, string(src))
	if err != nil {
		fail(file, "%v", err)
		return
	}
	for _, problem := range checkLayout(tp, string(src)) {
		fail(file, "%s", problem)
	}
	t.layout = tp
}

func (t *Theme) loadPages(fail func(file, format string, args ...any)) {
	entries, err := os.ReadDir(filepath.Join(t.Dir, "pages"))
	if err != nil {
		fail("pages", "%v", err)
		return
	}
	for _, e := range entries {
		file := path.Join("pages", e.Name())
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		name, isHTML := strings.CutSuffix(e.Name(), ".html")
		page, known := pages.Lookup(name)
		switch {
		case e.IsDir() || !isHTML:
			fail(file, "unknown file; a page override is pages/<name>.html")
			continue
		case !known:
			fail(file, "unknown page %q; the pages are %s", name, strings.Join(pages.Names(), ", "))
			continue
		}
		src, err := os.ReadFile(filepath.Join(t.Dir, "pages", e.Name()))
		if err != nil {
			fail(file, "%v", err)
			continue
		}
		tp, err := t.parse(file, string(src))
		if err != nil {
			fail(file, "%v", err)
			continue
		}
		for _, problem := range checkPage(tp, string(src), page) {
			fail(file, "%s", problem)
		}
		t.pages[name] = tp
	}
}

// Fingerprint hashes the names and contents of every file under dir: two
// calls give the same sum exactly when nothing in the theme changed. A
// theme is a few small files, and content (unlike a modification time)
// never misses an edit; `portal theme preview` and --theme-reload use it
// to read the theme again after an edit. "" (no theme) has the zero sum.
func Fingerprint(dir string) ([32]byte, error) {
	var sum [32]byte
	if dir == "" {
		return sum, nil
	}
	h := sha256.New()
	err := filepath.WalkDir(dir, func(file string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00", file)
		if d.IsDir() {
			return nil
		}
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(h, f)
		return err
	})
	copy(sum[:], h.Sum(nil))
	return sum, err
}

// loadLanguage reads messages.<lang>.toml: the wording of a built-in
// language, or a language the theme adds (its missing messages are
// English; `portal theme check` warns of them).
func (t *Theme) loadLanguage(file string, fail func(file, format string, args ...any)) {
	lang := strings.TrimSuffix(strings.TrimPrefix(file, "messages."), ".toml")
	tag, err := language.Parse(lang)
	if err != nil || tag.String() != lang {
		want := ""
		if err == nil {
			want = fmt.Sprintf(" (name it messages.%s.toml)", tag)
		}
		fail(file, "%q is not a language tag in BCP 47 form, such as de or pt-BR%s", lang, want)
		return
	}
	if lang == "en" {
		fail(file, "English is messages.toml")
		return
	}
	src, err := os.ReadFile(filepath.Join(t.Dir, file))
	if err != nil {
		fail(file, "%v", err)
		return
	}
	base, err := messages.ForLanguage(lang)
	if err != nil {
		fail(file, "%v", err)
		return
	}
	c, err := base.Override(src)
	if err != nil {
		fail(file, "%v", err)
		return
	}
	if t.langs == nil {
		t.langs = map[string]*messages.Catalog{}
	}
	t.langs[lang] = c
	t.define(lang, src)
}

// Languages returns the languages the theme can show: English, the other
// built-in languages and those its messages.<lang>.toml add, English first
// and the others sorted.
func (t *Theme) Languages() []string {
	out := messages.Languages()
	if t != nil {
		for l := range t.langs {
			if !slices.Contains(out, l) {
				out = append(out, l)
			}
		}
	}
	slices.Sort(out[1:])
	return out
}

// Catalog returns the catalogue of lang (a tag of Languages) with the
// theme's wording over the built-in one, or nil when there is no such
// language.
func (t *Theme) Catalog(lang string) *messages.Catalog {
	if lang == "en" {
		return t.Messages()
	}
	if t != nil {
		if c := t.langs[lang]; c != nil {
			return c
		}
	}
	return messages.Builtin(lang)
}

// MessageSet returns the languages a site offers: offered (every one of
// Languages when empty) with def ("" is "en") the default. Each must be a
// language the theme can show.
func (t *Theme) MessageSet(offered []string, def string) (*messages.Set, error) {
	if def == "" {
		def = "en"
	}
	canon := func(l string) (string, error) {
		tag, err := language.Parse(strings.TrimSpace(l))
		if err != nil {
			return "", fmt.Errorf("language %q is not a BCP 47 tag (e.g. de, pt-BR)", l)
		}
		return tag.String(), nil
	}
	def, err := canon(def)
	if err != nil {
		return nil, err
	}
	if len(offered) == 0 {
		offered = t.Languages()
	}
	var langs []string
	for _, l := range offered {
		l, err := canon(l)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(langs, l) {
			langs = append(langs, l)
		}
	}
	i := slices.Index(langs, def)
	if i < 0 {
		return nil, fmt.Errorf("the default language %s is not one of the languages offered (%s)", def, strings.Join(langs, ","))
	}
	langs = append([]string{def}, slices.Delete(langs, i, i+1)...)
	cats := make([]*messages.Catalog, 0, len(langs))
	for _, l := range langs {
		c := t.Catalog(l)
		if c == nil {
			return nil, fmt.Errorf("language %s: Portal has %s built in; a theme adds a language with messages.%s.toml", l, strings.Join(messages.Languages(), ", "), l)
		}
		cats = append(cats, c)
	}
	return messages.NewSet(cats...)
}
