package messages

import (
	"bytes"
	"html"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestDefaultsLoad(t *testing.T) {
	if len(Keys()) == 0 {
		t.Fatal("no messages")
	}
	for _, k := range Keys() {
		if !keyPattern.MatchString(k) {
			t.Errorf("key %q is not section.name in lower case (a-z, 0-9, -, _)", k)
		}
		text := Default().T(k)
		if strings.TrimSpace(text) == "" {
			t.Errorf("%s is empty", k)
		}
		if strings.Count(text, "{") != strings.Count(text, "}") || strings.Count(text, "{") != len(Placeholders(text)) {
			t.Errorf("%s: unbalanced or invalid placeholder in %q", k, text)
		}
	}
}

var keyPattern = regexp.MustCompile(`^[a-z0-9-]+\.[a-z0-9_]+$`)

func TestT(t *testing.T) {
	if got, want := Default().fill("Log {who} on, {who}! {missing} {", []any{"who", "Ann", "n", 3}, false), "Log Ann on, Ann! {missing} {"; got != want {
		t.Errorf("fill=%q, want %q", got, want)
	}
	if got, want := Default().fill("{n} left", []any{"n", 3}, false), "3 left"; got != want {
		t.Errorf("fill=%q, want %q", got, want)
	}
	c := mustParse(t, "[layout]\nsign_in = \"Log on\"\n")
	if got := c.T("layout.sign_in"); got != "Log on" {
		t.Errorf("T=%q, want the override", got)
	}
	if got, want := c.T("layout.sign_out"), Default().T("layout.sign_out"); got != want {
		t.Errorf("a key the override does not set: %q, want the default %q", got, want)
	}
	if got := c.T("no.such_key"); got != "no.such_key" {
		t.Errorf("a missing key gives %q, want the key", got)
	}
	var nilCat *Catalog
	if got := nilCat.T("layout.sign_in"); got != Default().T("layout.sign_in") {
		t.Errorf("the nil catalogue gives %q, want the default", got)
	}
	// Overriding does not change the built-in catalogue.
	if Default().T("layout.sign_in") == c.T("layout.sign_in") {
		t.Error("the override leaked into the default catalogue")
	}
}

func mustParse(t *testing.T, src string) *Catalog {
	t.Helper()
	c, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestParseRefuses(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`layout.nope = "x"`, `unknown key "layout.nope"`},
		{`title = "x"`, `unknown key "title"`},
		{"[layout]\nsign_in = 1", "layout.sign_in: a message must be a string, not int64"},
		{"[layout]\nsign_in = \"{x}\"", "layout.sign_in: unknown placeholder {x} (this message has none)"},
		{"[layout]\nsign_in = [\"a\"]", "a message must be a string"},
		{"[layout", "toml"},
	} {
		_, err := Parse([]byte(tc.src))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) err=%v, want %q", tc.src, err, tc.want)
		}
	}
	if _, err := Parse(nil); err != nil {
		t.Errorf("an empty file: %v", err)
	}
}

// An override may use its message's placeholders, in any order, or none.
func TestParsePlaceholders(t *testing.T) {
	var key string
	for _, k := range Keys() {
		if len(Placeholders(Default().T(k))) > 0 {
			key = k
			break
		}
	}
	if key == "" {
		t.Skip("no message has a placeholder yet")
	}
	section, name, _ := strings.Cut(key, ".")
	ph := Placeholders(Default().T(key))
	slices.Reverse(ph)
	src := "[" + section + "]\n" + name + " = \"{" + strings.Join(ph, "} and {") + "}\"\n"
	mustParse(t, src)
	mustParse(t, "["+section+"]\n"+name+" = \"no placeholder\"\n")
}

// The starter file, with every line uncommented, is the built-in
// catalogue.
func TestTemplateRoundTrip(t *testing.T) {
	var b bytes.Buffer
	for _, line := range strings.Split(string(Template()), "\n") {
		if strings.HasPrefix(line, "# ") && strings.Contains(line, " = \"") {
			line = strings.TrimPrefix(line, "# ")
		}
		b.WriteString(line + "\n")
	}
	c := mustParse(t, b.String())
	for _, k := range Keys() {
		if c.T(k) != Default().T(k) {
			t.Errorf("%s: %q after the round trip, want %q", k, c.T(k), Default().T(k))
		}
	}
	// As written (all commented out), it changes nothing and passes.
	mustParse(t, string(Template()))
}

// keyUse finds message keys in source: v.T("key", …), h.T("key"),
// {{t "key" …}}, the identity package's fieldErr/errKey("key") and its
// security notices, notify(…, "key") and noticeText(c, "key").
var keyUse = regexp.MustCompile(`(?:\bT\((?:c,\s*)?|\bt\s+|\.[TP]\s+|\bfieldErr\([^,]+,\s*|\berrKey\([^,"]+,\s*|\bKey:\s*|\bnotify(?:SignedOut)?\([^")]*|\bnoticeText\([^,"]+,\s*|\bTime\([^,]+,\s*|\bdate\s+\S+\s+)"([a-z0-9-]+\.[a-z0-9_]+)"`)

// pluralUse finds plural messages by their base key: v.N("key", n, …),
// v.Plural("key", …), {{tn "key" …}}, errPlural(code, "key", …).
// sinceUse finds Since's and {{since}}'s key (issue 18 item 9): it uses
// the key, key_now and the plurals key_minutes and key_hours.
var sinceUse = regexp.MustCompile(`(?:\bSince\([^,]+,\s*|\bsince\s+\S+\s+)"([a-z0-9-]+\.[a-z0-9_]+)"`)

var pluralUse = regexp.MustCompile(`(?:\bN\(|\bPlural\(|\btn\s+|\.N\s+|\berrPlural\([^,"]+,\s*)"([a-z0-9-]+\.[a-z0-9_]+)"`)

// sources are the files whose text goes through the catalogue.
var sources = []string{"pages/*.templ", "theme/builtin/*.html", "theme/builtin/pages/*.html", "theme/example/*.html",
	"theme/example/pages/*.html", "pages/*.go", "handlers/*.go", "identity/*.go", "*.go", "examples/custom/*.go",
	"mail/templates/*", "mail/*.go", "messages/*.go"}

// Every key the pages and the Go code use is in the built-in catalogue,
// and every key of the catalogue is used somewhere.
func TestKeysUsedExist(t *testing.T) {
	used := map[string][]string{}
	for _, pattern := range sources {
		files, err := filepath.Glob(filepath.Join("..", pattern))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") || strings.HasSuffix(f, "_templ.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range keyUse.FindAllSubmatch(src, -1) {
				k := string(m[1])
				if !Has(k) && Has(k+"_other") {
					for _, pk := range Keys() {
						if b, _, ok := splitPlural(pk); ok && b == k {
							used[pk] = append(used[pk], f)
						}
					}
					continue
				}
				used[k] = append(used[k], f)
			}
			for _, m := range sinceUse.FindAllSubmatch(src, -1) {
				base := string(m[1])
				used[base] = append(used[base], f)
				used[base+"_now"] = append(used[base+"_now"], f)
				for _, k := range Keys() {
					if b, _, ok := splitPlural(k); ok && (b == base+"_minutes" || b == base+"_hours") {
						used[k] = append(used[k], f)
					}
				}
			}
			for _, m := range pluralUse.FindAllSubmatch(src, -1) {
				base := string(m[1])
				if !Has(base + "_other") {
					t.Errorf("%s uses the plural message %q, which has no %s_other in messages/defaults", f, base, base)
				}
				for _, k := range Keys() {
					if b, _, ok := splitPlural(k); ok && b == base {
						used[k] = append(used[k], f)
					}
				}
			}
		}
	}
	if len(used) == 0 {
		t.Fatal("found no use of a message key: the pattern is wrong")
	}
	for k, files := range used {
		if !Has(k) {
			t.Errorf("%s uses %q, which is not in messages/defaults", strings.Join(slices.Compact(files), ", "), k)
		}
	}
	// The month names are Catalog.Time's (format.go builds their keys).
	for _, k := range Keys() {
		if strings.HasPrefix(k, "date.month_") {
			used[k] = append(used[k], "messages/format.go")
		}
	}
	for _, k := range Keys() {
		if _, ok := used[k]; !ok {
			t.Errorf("%s (in defaults/%s) is used nowhere", k, defaultFrom[k])
		}
	}
}

// The defaults are valid TOML files, and no key is in two of them.
func TestDefaultFiles(t *testing.T) {
	files, _ := fs.Glob(defaultFiles, "defaults/*.toml")
	if len(files) == 0 {
		t.Fatal("no defaults/*.toml")
	}
	Default() // panics on a duplicate key
}

// TestHTMLIsEscapedT: a page's text, escaped once per catalogue with its
// values escaped as they are filled in, is exactly the message escaped at
// render time — in every language, for every message and plural form,
// with values that need escaping, and in a catalogue a theme rewords.
func TestHTMLIsEscapedT(t *testing.T) {
	evil := `<b onmouseover="x">Tom & 'Jerry'</b>`
	var args []any
	for _, k := range Keys() {
		for _, name := range Placeholders(Default().T(k)) {
			args = append(args, name, evil)
		}
	}
	args = append(args, "count", 3)
	themed, err := Default().Override([]byte("[login]\ntitle = 'Sign in <now> & \"fast\"'\n"))
	if err != nil {
		t.Fatal(err)
	}
	cats := map[string]*Catalog{"themed": themed}
	for _, lang := range Languages() {
		cats[lang] = Builtin(lang)
	}
	for name, c := range cats {
		for _, k := range append(Keys(), "no.such.key<>") {
			if got, want := c.HTML(k, args...), html.EscapeString(c.T(k, args...)); got != want {
				t.Errorf("%s %s: HTML=%q, escaped T=%q", name, k, got, want)
			}
			if got, want := c.HTML(k), html.EscapeString(c.T(k)); got != want {
				t.Errorf("%s %s without values: HTML=%q, escaped T=%q", name, k, got, want)
			}
		}
		for _, k := range append(PluralKeys(), "no.such.plural") {
			for _, n := range []int{0, 1, 2, 3, 11, 100, 101, -1} {
				if got, want := c.NHTML(k, n, args...), html.EscapeString(c.N(k, n, args...)); got != want {
					t.Errorf("%s %s n=%d: NHTML=%q, escaped N=%q", name, k, n, got, want)
				}
			}
		}
	}
	if got := themed.HTML("login.title"); got != "Sign in &lt;now&gt; &amp; &#34;fast&#34;" {
		t.Errorf("a theme's message escaped as %q", got)
	}
}
