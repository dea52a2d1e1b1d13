package messages

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"
)

// Decode reads a messages.toml or messages.<lang>.toml into its messages
// by dotted key, without checking them (Check does): what a theme file
// defines itself, for `portal theme check`'s warnings.
func Decode(src []byte) (map[string]string, error) { return parse(src) }

// sectionLine matches a "[section]" line of the built-in files.
var sectionLine = regexp.MustCompile(`^\[([a-z0-9-]+)\]\s*$`)

// keyName matches the name of a "name = value" line.
var keyName = regexp.MustCompile(`^([a-z0-9_]+)\s*=`)

// Translation returns a messages.<lang>.toml for the built-in language
// lang that lists every key with Portal's text in that language,
// commented out, under its section's table and with the explanations of
// the built-in English files (which say what each message is for and what
// its {placeholders} hold): a starter file for a theme that rewords the
// language (`portal theme init`). A plural message is listed in every form
// the language has (Arabic: zero, one, two, few, many, other).
func Translation(lang string) ([]byte, error) {
	c := Builtin(lang)
	if c == nil || lang == "en" {
		return nil, fmt.Errorf("messages: %q is not a built-in language other than English (they are %s)", lang, strings.Join(Languages()[1:], ", "))
	}
	forms := PluralForms(lang)
	var b bytes.Buffer
	fmt.Fprintf(&b, "# %s wording for Portal's pages and mail, by key. Every message is listed\n", c.Name())
	b.WriteString("# below with Portal's own text in this language, commented out: uncomment a\n")
	b.WriteString("# line and change the text to reword it; a message you leave commented out\n")
	b.WriteString("# keeps Portal's text. The comments are those of the English messages: they\n")
	b.WriteString("# say what a message is for and what its {placeholders} hold. Keep the\n")
	b.WriteString("# placeholders of the English message and add no others. A plural message\n")
	fmt.Fprintf(&b, "# has one line per plural form of this language (%s).\n", strings.Join(forms, ", "))
	b.WriteString("# When messages.toml rewords a key, reword it here too. `portal theme check\n")
	b.WriteString("# DIR` checks this file.\n")
	files, _ := fs.Glob(defaultFiles, "defaults/*.toml")
	for _, f := range files {
		src, _ := defaultFiles.ReadFile(f)
		fmt.Fprintf(&b, "\n# ---- %s ----\n", strings.TrimSuffix(path.Base(f), ".toml"))
		section := ""
		for _, line := range strings.SplitAfter(string(src), "\n") {
			if m := sectionLine.FindStringSubmatch(line); m != nil {
				section = m[1]
				b.WriteString(line)
				continue
			}
			m := keyName.FindStringSubmatch(line)
			if m == nil {
				b.WriteString(line)
				continue
			}
			key := section + "." + m[1]
			base, form, plural := splitPlural(key)
			switch {
			case !plural || !Has(base+"_other"):
				fmt.Fprintf(&b, "# %s = %s\n", m[1], quote(c.T(key)))
			case formNames[form] == "other":
				// Every form of the language, where English has its
				// _other.
				name := strings.TrimSuffix(m[1], "_other")
				for _, fn := range forms {
					fmt.Fprintf(&b, "# %s_%s = %s\n", name, fn, quote(c.text[base+"_"+fn]))
				}
			}
		}
	}
	return b.Bytes(), nil
}

// quote writes s as a TOML basic string.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\u%04X`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}
