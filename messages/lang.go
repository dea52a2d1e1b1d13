package messages

import (
	"fmt"
	"html"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
)

// builtin are the catalogues of the built-in languages by tag, English
// included; langFiles the keys each language's files define (English's
// are defaultFrom), for the completeness checks.
var (
	builtin   map[string]*Catalog
	langOrder []string
	langFiles map[string]map[string]string
)

var (
	langOnce sync.Once
	langErr  error
)

// langs loads the built-in languages once; it panics if their files are
// broken, which a test catches before any build ships.
func langs() {
	Default()
	langOnce.Do(func() { langErr = loadLanguages() })
	if langErr != nil {
		panic(langErr)
	}
}

// loadLanguages reads every directory beside defaults/ as a language.
func loadLanguages() error {
	builtin = map[string]*Catalog{"en": defaultCat}
	langOrder = []string{"en"}
	langFiles = map[string]map[string]string{"en": defaultCat.text}
	dirs, err := fs.ReadDir(defaultFiles, ".")
	if err != nil {
		return err
	}
	for _, d := range dirs {
		if !d.IsDir() || d.Name() == "defaults" {
			continue
		}
		lang := d.Name()
		tag, err := language.Parse(lang)
		if err != nil || tag.String() != lang {
			return fmt.Errorf("messages: directory %s/ is not a BCP 47 language tag in canonical form", lang)
		}
		files, err := fs.Glob(defaultFiles, lang+"/*.toml")
		if err != nil {
			return err
		}
		flat := map[string]string{}
		for _, f := range files {
			if _, ok := defaultFileNames()[path.Base(f)]; !ok {
				return fmt.Errorf("messages: %s: defaults/ has no file of this name", f)
			}
			src, err := defaultFiles.ReadFile(f)
			if err != nil {
				return err
			}
			m, err := parse(src)
			if err != nil {
				return fmt.Errorf("messages: %s: %w", f, err)
			}
			for k, v := range m {
				if _, dup := flat[k]; dup {
					return fmt.Errorf("messages: %s: key %q is in two files of %s/", f, k, lang)
				}
				flat[k] = v
			}
		}
		if err := Check(flat); err != nil {
			return fmt.Errorf("messages: %s/: %w", lang, err)
		}
		langFiles[lang] = flat
		builtin[lang] = defaultCat.with(newLocale(lang), flat)
		langOrder = append(langOrder, lang)
	}
	slices.Sort(langOrder[1:])
	return nil
}

func defaultFileNames() map[string]struct{} {
	out := map[string]struct{}{}
	for _, f := range defaultFrom {
		out[f] = struct{}{}
	}
	return out
}

// Languages returns the tags of the built-in languages: "en" first, then
// the others sorted.
func Languages() []string {
	langs()
	return slices.Clone(langOrder)
}

// Builtin returns the built-in catalogue of lang (a tag of Languages), or
// nil when Portal has no such language.
func Builtin(lang string) *Catalog {
	langs()
	return builtin[lang]
}

// Defined returns the messages the built-in files of lang define
// themselves (without the English fallback), for completeness checks.
func Defined(lang string) map[string]string {
	langs()
	return langFiles[lang]
}

// ForLanguage returns the built-in catalogue of lang, or, for a language
// Portal does not have, the English messages in that language's locale
// (plural rules, numbers, text direction), which a theme's
// messages.<lang>.toml then translates. lang must be a BCP 47 tag.
func ForLanguage(lang string) (*Catalog, error) {
	tag, err := language.Parse(lang)
	if err != nil {
		return nil, fmt.Errorf("%q is not a language tag (BCP 47, e.g. de or pt-BR)", lang)
	}
	if c := Builtin(tag.String()); c != nil {
		return c, nil
	}
	return Default().with(newLocale(tag.String()), nil), nil
}

// Lang returns the catalogue's language tag ("en", "de").
func (c *Catalog) Lang() string {
	if c == nil {
		c = Default()
	}
	return c.loc.lang
}

// Dir returns the text direction of the catalogue's language: "rtl" for a
// right-to-left script (Arabic, Hebrew, …), otherwise "ltr".
func (c *Catalog) Dir() string {
	if c == nil {
		c = Default()
	}
	if c.loc.rtl {
		return "rtl"
	}
	return "ltr"
}

// Name returns the language's name in itself ("Deutsch"), for the
// language picker.
func (c *Catalog) Name() string {
	if c == nil {
		c = Default()
	}
	return c.loc.name
}

// formNames are the CLDR plural forms, indexed by plural.Form.
var formNames = [...]string{plural.Other: "other", plural.Zero: "zero", plural.One: "one", plural.Two: "two", plural.Few: "few", plural.Many: "many"}

// forms are a plural message's texts by plural.Form ("" when missing).
type forms [len(formNames)]string

// splitPlural splits "errors.min_length_one" into "errors.min_length" and
// plural.One.
func splitPlural(key string) (string, plural.Form, bool) {
	i := strings.LastIndexByte(key, '_')
	if i < 0 {
		return "", 0, false
	}
	for f, name := range formNames {
		if key[i+1:] == name {
			return key[:i], plural.Form(f), true
		}
	}
	return "", 0, false
}

// PluralForms returns the CLDR plural forms a whole number can take in
// lang ("one", "other" for English; all six for Arabic): the suffixes a
// plural message needs in that language.
func PluralForms(lang string) []string {
	tag := language.Make(lang)
	seen := map[plural.Form]bool{}
	for n := range 1000 {
		seen[plural.Cardinal.MatchPlural(tag, n, 0, 0, 0, 0)] = true
	}
	for _, n := range []int{1000000, 2000000, 1000001} {
		seen[plural.Cardinal.MatchPlural(tag, n, 0, 0, 0, 0)] = true
	}
	var out []string
	for f, name := range formNames {
		if seen[plural.Form(f)] {
			out = append(out, name)
		}
	}
	return out
}

// PluralKeys returns the base keys of the built-in plural messages
// ("errors.min_length" for errors.min_length_one/_other), sorted.
func PluralKeys() []string {
	var out []string
	for _, k := range Keys() {
		if base, f, ok := splitPlural(k); ok && f == plural.Other {
			out = append(out, base)
		}
	}
	return out
}

// index builds the plural table of c from its text, and the escaped
// copies of both (htmlText, htmlPlurals).
func (c *Catalog) index() {
	c.plurals = map[string]*forms{}
	c.htmlText = make(map[string]string, len(c.text))
	for k, v := range c.text {
		c.htmlText[k] = html.EscapeString(v)
		base, f, ok := splitPlural(k)
		if !ok {
			continue
		}
		if _, isPlural := defaultFromKey(base + "_other"); !isPlural {
			continue
		}
		fs := c.plurals[base]
		if fs == nil {
			fs = new(forms)
			c.plurals[base] = fs
		}
		fs[f] = v
	}
	c.htmlPlurals = make(map[string]*forms, len(c.plurals))
	for base, fs := range c.plurals {
		var h forms
		for i, v := range fs {
			h[i] = html.EscapeString(v)
		}
		c.htmlPlurals[base] = &h
	}
}

// defaultFromKey reports whether key is an English message (while the
// defaults load, the catalogue being built is the English one).
func defaultFromKey(key string) (string, bool) {
	s, ok := defaultCat.text[key]
	return s, ok
}

// N returns the plural message key (its base, without the form suffix:
// "errors.min_length") in the form CLDR gives the count n in the
// catalogue's language, with the placeholders filled in from args (which
// name n too when the text shows it). A form the language's messages lack
// falls back to their "_other".
func (c *Catalog) N(key string, n int, args ...any) string {
	if c == nil {
		c = Default()
	}
	return c.plural(c.plurals, key, n, args, false)
}

// NHTML is N HTML-escaped, as HTML is T.
func (c *Catalog) NHTML(key string, n int, args ...any) string {
	if c == nil {
		c = Default()
	}
	return c.plural(c.htmlPlurals, key, n, args, true)
}

func (c *Catalog) plural(table map[string]*forms, key string, n int, args []any, escape bool) string {
	fs := table[key]
	if fs == nil {
		if escape {
			return html.EscapeString(key)
		}
		return key
	}
	abs := n
	if abs < 0 {
		abs = -abs
	}
	s := fs[c.loc.pluralForm(abs)]
	if s == "" {
		if s = fs[plural.Other]; s == "" {
			if escape {
				return html.EscapeString(key)
			}
			return key
		}
	}
	if len(args) == 0 || strings.IndexByte(s, '{') < 0 {
		return s
	}
	return c.fill(s, args, escape)
}
