package theme

import (
	"fmt"
	"slices"
	"strings"

	"github.com/accountportal/portal/messages"
)

// maxListed bounds the keys a warning names.
const maxListed = 8

// LanguageWarnings says where a reader of some language would see another
// language, or lose what a message tells, because of the theme's
// messages files: `portal theme check` prints them, and they do not stop
// the server (a missing message falls back, it does not break a page).
//
//   - messages.<lang>.toml for a language Portal does not have: each
//     message it lacks shows in English;
//   - a plural message given in some of the language's forms but not all
//     (the others show Portal's own text, or the theme's "other" form);
//   - a translation that leaves out a {placeholder} of the English
//     message (the reader loses what it holds);
//   - a message messages.toml rewords in English but a built-in language
//     does not (its readers see Portal's own wording there).
//
// Unknown keys and placeholders the English message does not have are
// errors, found when the theme loads.
func (t *Theme) LanguageWarnings() []string {
	if t == nil {
		return nil
	}
	var out []string
	langs := make([]string, 0, len(t.defined))
	for l := range t.defined {
		if l != "en" {
			langs = append(langs, l)
		}
	}
	slices.Sort(langs)
	for _, lang := range langs {
		own, file := t.defined[lang], "messages."+lang+".toml"
		forms := messages.PluralForms(lang)
		if messages.Builtin(lang) == nil {
			var missing []string
			for _, k := range messages.Keys() {
				if base, ok := pluralBase(k); ok {
					if strings.HasSuffix(k, "_other") && !hasAnyForm(own, base, forms) {
						missing = append(missing, base)
					}
					continue
				}
				if _, ok := own[k]; !ok {
					missing = append(missing, k)
				}
			}
			if len(missing) > 0 {
				out = append(out, fmt.Sprintf("%s: %d messages missing, shown in English: %s", file, len(missing), list(missing)))
			}
		}
		for _, base := range messages.PluralKeys() {
			if !hasAnyForm(own, base, forms) {
				continue
			}
			var lacking []string
			for _, f := range forms {
				if _, ok := own[base+"_"+f]; !ok {
					lacking = append(lacking, base+"_"+f)
				}
			}
			if len(lacking) > 0 {
				out = append(out, fmt.Sprintf("%s: the plural message %s lacks %s (%s has the forms %s)", file, base, strings.Join(lacking, ", "), lang, strings.Join(forms, ", ")))
			}
		}
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range own {
				if !yield(k) {
					return
				}
			}
		})
		for _, k := range keys {
			if _, ok := pluralBase(k); ok || !messages.Has(k) {
				continue
			}
			var dropped []string
			for _, p := range messages.Placeholders(messages.Default().T(k)) {
				if !slices.Contains(messages.Placeholders(own[k]), p) && !slices.Contains(dropped, "{"+p+"}") {
					dropped = append(dropped, "{"+p+"}")
				}
			}
			if len(dropped) > 0 {
				out = append(out, fmt.Sprintf("%s: %s leaves out %s, which the English message fills in", file, k, strings.Join(dropped, ", ")))
			}
		}
	}
	if en := t.defined["en"]; len(en) > 0 {
		reworded := slices.Sorted(func(yield func(string) bool) {
			for k := range en {
				if !yield(k) {
					return
				}
			}
		})
		for _, lang := range messages.Languages()[1:] {
			own := t.defined[lang]
			var missing []string
			for _, k := range reworded {
				if _, ok := own[k]; !ok {
					missing = append(missing, k)
				}
			}
			if len(missing) > 0 {
				out = append(out, fmt.Sprintf("messages.toml rewords %s; messages.%s.toml does not, so readers in %s (%s) see Portal's own wording there", list(missing), lang, lang, messages.Builtin(lang).Name()))
			}
		}
	}
	return out
}

// pluralBase returns the base of a built-in plural message's key.
func pluralBase(k string) (string, bool) {
	for _, f := range []string{"_zero", "_one", "_two", "_few", "_many", "_other"} {
		if base, ok := strings.CutSuffix(k, f); ok && messages.Has(base+"_other") {
			return base, true
		}
	}
	return "", false
}

func hasAnyForm(own map[string]string, base string, forms []string) bool {
	for _, f := range forms {
		if _, ok := own[base+"_"+f]; ok {
			return true
		}
	}
	return false
}

// list names at most maxListed keys.
func list(keys []string) string {
	if len(keys) <= maxListed {
		return strings.Join(keys, ", ")
	}
	return strings.Join(keys[:maxListed], ", ") + fmt.Sprintf(" and %d more", len(keys)-maxListed)
}
