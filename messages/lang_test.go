package messages

import (
	"io/fs"
	"path"
	"slices"
	"strings"
	"testing"
	"time"
)

// testLang is a language of the test catalogues: German's locale with a
// few German words, whatever messages/de holds.
func testLang(t testing.TB, lang string) *Catalog {
	t.Helper()
	c, err := ForLanguage(lang)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSetMatch(t *testing.T) {
	en, de, ar := Default(), testLang(t, "de"), testLang(t, "ar")
	s, err := NewSet(en, de, ar)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ accept, want string }{
		{"de", "de"}, {"de-CH", "de"}, {"de-AT, en;q=0.5", "de"}, {"en;q=0.5, de", "de"},
		{"ar-EG", "ar"}, {"ar-SA,ar;q=0.9", "ar"}, {"fr, de;q=0.3", "de"},
		{"ja", "en"}, {"tlh", "en"}, {"", "en"}, {"*", "en"}, {"x;;q=", "en"}, {"en-GB", "en"},
		{strings.Repeat("xx-yy, ", 200) + "de", "en"},
	} {
		if got := s.Match(tc.accept).Lang(); got != tc.want {
			t.Errorf("Match(%.40q)=%s, want %s", tc.accept, got, tc.want)
		}
	}
	s2, _ := NewSet(de, en)
	if got := s2.Match("ja").Lang(); got != "de" {
		t.Errorf("with German the default, Match(ja)=%s, want de", got)
	}
	if got := s2.Match("fr").Lang(); got != "de" {
		t.Errorf("with German the default, Match(fr)=%s, want de", got)
	}
	if s.Get("de") != de || s.Get("fr") != nil || s.Get("") != nil {
		t.Error("Get: wrong catalogue")
	}
	if _, err := NewSet(en, en); err == nil {
		t.Error("a language offered twice was accepted")
	}
	var none *Set
	if none.Match("de") != Default() || none.Get("en") != Default() {
		t.Error("the nil set is not English")
	}
}

// Plural forms follow CLDR: Arabic has six, French counts 0 as one.
func TestPluralForms(t *testing.T) {
	if got, want := PluralForms("en"), []string{"other", "one"}; !slices.Equal(got, want) {
		t.Errorf("en: %v, want %v", got, want)
	}
	if got := PluralForms("ar"); len(got) != 6 {
		t.Errorf("ar: %v, want six forms", got)
	}
	ar, err := testLang(t, "ar").Override([]byte("[errors]\nmin_length_zero = \"z{min}\"\nmin_length_one = \"o{min}\"\nmin_length_two = \"t{min}\"\nmin_length_few = \"f{min}\"\nmin_length_many = \"m{min}\"\nmin_length_other = \"x{min}\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	for n, want := range map[int]string{0: "z٠", 1: "o١", 2: "t٢", 3: "f٣", 10: "f١٠", 11: "m١١", 99: "m٩٩", 100: "x١٠٠", 102: "x١٠٢", 1011: "m١٬٠١١"} {
		if got := ar.N("errors.min_length", n, "min", n); got != want {
			t.Errorf("ar N(%d)=%q, want %q", n, got, want)
		}
	}
	fr, err := testLang(t, "fr").Override([]byte("[errors]\nmin_length_one = \"un {min}\"\nmin_length_other = \"des {min}\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	for n, want := range map[int]string{0: "un 0", 1: "un 1", 2: "des 2", 1500: "des 1\u202f500"} {
		if got := fr.N("errors.min_length", n, "min", n); got != want && !(n == 1500 && got == "des 1\u00a0500") {
			t.Errorf("fr N(%d)=%q, want %q", n, got, want)
		}
	}
	// A form the language lacks falls back to its _other.
	if got := ar.Transform(func(k, v string) string { return v }).N("errors.min_length", 2, "min", 2); got != "t٢" {
		t.Errorf("N=%q", got)
	}
	if got := Default().N("errors.min_length", 1, "min", 1); got != Default().T("errors.min_length_one", "min", 1) {
		t.Errorf("en N(1)=%q, want the _one form", got)
	}
	if got := Default().N("no.such", 1); got != "no.such" {
		t.Errorf("a missing plural key gives %q, want the key", got)
	}
}

// A translation may use every placeholder of any English form of a
// plural message ("_one" spells out "1" in English, not in French), and
// only those.
func TestPluralPlaceholders(t *testing.T) {
	if _, err := testLang(t, "fr").Override([]byte("[http]\nretry_in_seconds_one = \"Réessayez dans {n} seconde.\"\n")); err != nil {
		t.Errorf("a _one form with the _other form's placeholder: %v", err)
	}
	if _, err := testLang(t, "ar").Override([]byte("[http]\nretry_in_seconds_few = \"{n}\"\n")); err != nil {
		t.Errorf("an Arabic _few form: %v", err)
	}
	if _, err := testLang(t, "ar").Override([]byte("[http]\nretry_in_seconds_few = \"{count}\"\n")); err == nil {
		t.Error("an unknown placeholder in a plural form was accepted")
	}
	if _, err := testLang(t, "ar").Override([]byte("[layout]\nsign_in_few = \"x\"\n")); err == nil {
		t.Error("a plural form of a message that is not plural was accepted")
	}
}

func TestLocale(t *testing.T) {
	if d := testLang(t, "ar").Dir(); d != "rtl" {
		t.Errorf("ar: dir %s", d)
	}
	if d := testLang(t, "de").Dir(); d != "ltr" {
		t.Errorf("de: dir %s", d)
	}
	if d := Default().Dir(); d != "ltr" {
		t.Errorf("en: dir %s", d)
	}
	if got := testLang(t, "de").Number(1234567); got != "1.234.567" {
		t.Errorf("de Number=%q", got)
	}
	if got := Default().Number(-1234); got != "-1,234" {
		t.Errorf("en Number=%q", got)
	}
	if got := Default().Number(999); got != "999" {
		t.Errorf("en Number=%q", got)
	}
	when := time.Date(2026, time.March, 4, 9, 5, 0, 0, time.UTC)
	de, err := testLang(t, "de").Override([]byte("[date]\nmonth_3 = \"März\"\nmonth_short_3 = \"Mär\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := de.FormatTime(when, "2. January 2006, 15:04"), "4. März 2026, 09:05"; got != want {
		t.Errorf("de FormatTime=%q, want %q", got, want)
	}
	if got, want := de.FormatTime(when, "02 Jan 06"), "04 Mär 26"; got != want {
		t.Errorf("de FormatTime=%q, want %q", got, want)
	}
	if got, want := Default().FormatTime(when, "2 January 2006"), "4 March 2026"; got != want {
		t.Errorf("en FormatTime=%q, want %q", got, want)
	}
	if got := testLang(t, "ar").FormatTime(when, "2006"); got != "٢٠٢٦" {
		t.Errorf("ar FormatTime=%q, want Arabic digits", got)
	}
}

// No allocation for a key lookup or a plural form, in any language.
func TestLookupAllocs(t *testing.T) {
	for _, c := range []*Catalog{Default(), testLang(t, "ar"), testLang(t, "de")} {
		if n := testing.AllocsPerRun(100, func() { _ = c.T("layout.sign_in") }); n != 0 {
			t.Errorf("%s: T allocates %v times", c.Lang(), n)
		}
		if n := testing.AllocsPerRun(100, func() { _ = c.N("errors.min_length", 5) }); n != 0 {
			t.Errorf("%s: N allocates %v times", c.Lang(), n)
		}
		// The escaped forms a page writes: escaped once, not per lookup.
		if n := testing.AllocsPerRun(100, func() { _ = c.HTML("manage-sessions.remembered_explained") }); n != 0 {
			t.Errorf("%s: HTML allocates %v times", c.Lang(), n)
		}
		if n := testing.AllocsPerRun(100, func() { _ = c.NHTML("errors.min_length", 5) }); n != 0 {
			t.Errorf("%s: NHTML allocates %v times", c.Lang(), n)
		}
	}
}

// Every built-in language is complete: every key of the English
// catalogue (no English left for a reader of that language), each plural
// message in every form CLDR gives a whole number in that language, the
// placeholders of the English message (a translation that drops {min}
// loses information; one that adds {x} shows "{x}"), and <html lang>
// naming the language itself. Runs for whatever messages/<lang>/ exist.
func TestTranslationsComplete(t *testing.T) {
	langs := Languages()
	if len(langs) < 2 {
		t.Log("no translation in messages/ yet: nothing to check")
	}
	plurals := PluralKeys()
	for _, lang := range langs[1:] {
		t.Run(lang, func(t *testing.T) {
			own := Defined(lang)
			if got := own["layout.lang"]; got != lang {
				t.Errorf("layout.lang = %q, want %q (the directory's name)", got, lang)
			}
			for _, k := range Keys() {
				if _, _, plural := splitPlural(k); plural {
					continue
				}
				v, ok := own[k]
				if !ok {
					t.Errorf("%s: missing (in defaults/%s)", k, defaultFrom[k])
					continue
				}
				if strings.TrimSpace(v) == "" {
					t.Errorf("%s: empty", k)
				}
				want := slices.Compact(slices.Sorted(slices.Values(Placeholders(Default().T(k)))))
				got := slices.Compact(slices.Sorted(slices.Values(Placeholders(v))))
				if !slices.Equal(got, want) {
					t.Errorf("%s: placeholders %v, want %v as in English", k, got, want)
				}
			}
			forms := PluralForms(lang)
			for _, base := range plurals {
				for _, f := range forms {
					if _, ok := own[base+"_"+f]; !ok {
						t.Errorf("%s_%s: missing (%s needs the forms %s)", base, f, lang, strings.Join(forms, ", "))
					}
				}
				other := slices.Compact(slices.Sorted(slices.Values(Placeholders(own[base+"_other"]))))
				want := slices.Compact(slices.Sorted(slices.Values(Placeholders(Default().T(base + "_other")))))
				if !slices.Equal(other, want) {
					t.Errorf("%s_other: placeholders %v, want %v as in English", base, other, want)
				}
			}
			for k := range own {
				if base, f, ok := splitPlural(k); ok && Has(base+"_other") && !slices.Contains(forms, formNames[f]) {
					t.Errorf("%s: %s has no plural form %q for whole numbers (its forms: %s)", k, lang, formNames[f], strings.Join(forms, ", "))
				}
			}
			for k, v := range own {
				if strings.HasSuffix(k, "_format") {
					if d := Builtin(lang).FormatTime(time.Date(2026, 5, 4, 10, 30, 0, 0, time.UTC), v); !strings.ContainsAny(d, "0123456789٠١٢٣٤٥٦٧٨٩") {
						t.Errorf("%s = %q is not a Go time layout (formats as %q)", k, v, d)
					}
				}
			}
		})
	}
}

// The translations are the same files as defaults/, each key in the file
// that has it in English (a translator finds a key where they expect it).
func TestTranslationFiles(t *testing.T) {
	for _, lang := range Languages()[1:] {
		files, _ := fs.Glob(defaultFiles, lang+"/*.toml")
		for _, f := range files {
			src, _ := defaultFiles.ReadFile(f)
			flat, err := parse(src)
			if err != nil {
				t.Fatal(err)
			}
			for k := range flat {
				base, _, plural := splitPlural(k)
				want := defaultFrom[k]
				if plural && want == "" {
					want = defaultFrom[base+"_other"]
				}
				if want != path.Base(f) {
					t.Errorf("%s: %s is in defaults/%s", f, k, want)
				}
			}
		}
	}
}
