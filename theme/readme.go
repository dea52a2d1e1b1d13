package theme

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/accountportal/portal/pages"
)

// Readme is the README.md of a starter theme: how a theme works, and every
// page with its view model's fields and their Go types, generated from the
// registry by reflection so that it cannot drift from the code.
func Readme() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("%s", readmeIntro)

	w("## Template functions\n\n")
	w("Every template (layout.html and pages/*.html) may call:\n\n")
	for _, f := range Funcs {
		w("- `%s`: %s: `%s`\n", f[0], f[1], f[2])
	}
	w("\nand the functions of Go's html/template (`eq`, `len`, `index`, `printf`, …). Fields are read as in Go: ")
	w("`{{.Email}}`, `{{.User.UserName}}`, `{{.Errors.Get \"email\"}}`, `{{.CreatedAt.Format (t \"manage-profile.date_format\")}}` (date layouts are messages too, so a translation can\n")
	w("change them).\n\n")

	w("## layout.html\n\n")
	w("Wraps every page. It gets `theme.LayoutData`: the page's content, the page's name, and every field of\n")
	w("[`pages.Common`](#pagescommon) (also as `.Common`):\n\n")
	w("| field | type | meaning |\n| --- | --- | --- |\n")
	w("| `Body` | `template.HTML` | the page's content, already rendered: write `{{.Body}}` |\n")
	w("| `Page` | `string` | the page's name, e.g. `login` |\n")
	writeFields(&b, reflect.TypeFor[pages.Common](), false)
	w("| `Common` | `pages.Common` | all of the above but Body and Page, together |\n\n")

	w("## Pages\n\n")
	w("Each page lists its view model's fields, its own first, then those of the embedded\n")
	w("[`pages.Common`](#pagescommon) (marked *Common*; `.Common` is the whole struct). ")
	w("`FieldErrors` maps a form field's name to its message: `{{with .Errors.Get \"email\"}}…{{end}}`.\n\n")
	w("| page | route | view model |\n| --- | --- | --- |\n")
	for _, p := range pages.Pages() {
		w("| [`%s`](#%s) | `%s` | `pages.%s` |\n", p.Name, p.Name, p.Route, p.View.Name())
	}
	w("\n")
	seen := map[reflect.Type]bool{}
	order := []reflect.Type{reflect.TypeFor[pages.Common]()}
	for _, p := range pages.Pages() {
		w("### %s\n\n", p.Name)
		w("Route `%s`; file `pages/%s.html`; view model `pages.%s`", p.Route, p.Name, p.View.Name())
		if doc := pages.TypeDoc(p.View.Name()); doc != "" {
			w(": %s", doc)
		}
		w("\n\n| field | type | meaning |\n| --- | --- | --- |\n")
		writeFields(&b, p.View, true)
		w("\n")
		for _, f := range reflect.VisibleFields(p.View) {
			if t := namedType(f.Type); t != nil && !f.Anonymous && !seen[t] {
				seen[t] = true
				order = append(order, t)
			}
		}
	}

	w("## Types used by the view models\n\n")
	for _, t := range order {
		w("### %s\n\n", t.String())
		if doc := pages.TypeDoc(t.Name()); doc != "" {
			w("%s\n\n", doc)
		}
		if t.Kind() != reflect.Struct {
			under := t.Kind().String()
			if t.Kind() == reflect.Map {
				under = fmt.Sprintf("map[%s]%s", t.Key(), t.Elem())
			}
			w("Type `%s`", under)
			for i := range t.NumMethod() {
				m := t.Method(i)
				w("; method `%s`", methodSig(m))
			}
			w(".\n\n")
			continue
		}
		w("| field | type | meaning |\n| --- | --- | --- |\n")
		writeFields(&b, t, false)
		w("\n")
	}
	return b.String()
}

// writeFields writes a table row for every field of struct t, the fields
// of embedded structs flattened (a field the outer struct shadows is left
// out, as Go and templates do). With ownFirst, t's own fields come first
// and the embedded ones are marked with their struct's name.
func writeFields(b *strings.Builder, t reflect.Type, ownFirst bool) {
	var own, embedded []string
	for _, f := range reflect.VisibleFields(t) {
		if f.Anonymous || !f.IsExported() {
			continue
		}
		owner := t
		if len(f.Index) > 1 {
			owner = t.FieldByIndex(f.Index[:len(f.Index)-1]).Type
		}
		doc := strings.ReplaceAll(pages.FieldDoc(owner.Name(), f.Name), "|", `\|`)
		if ownFirst && owner != t {
			doc = "*" + owner.Name() + "*"
		}
		row := fmt.Sprintf("| `%s` | `%s` | %s |\n", f.Name, f.Type.String(), doc)
		if ownFirst && owner != t {
			embedded = append(embedded, row)
		} else {
			own = append(own, row)
		}
	}
	for _, r := range append(own, embedded...) {
		b.WriteString(r)
	}
}

// namedType returns the named type of package pages that t is, points to
// or holds a slice of, or nil.
func namedType(t reflect.Type) reflect.Type {
	for t.Name() == "" && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice) {
		t = t.Elem()
	}
	if t.Name() != "" && t.PkgPath() == reflect.TypeFor[pages.Common]().PkgPath() {
		return t
	}
	return nil
}

const readmeIntro = "# A Portal theme\n\n" +
	"Restyle Portal without recompiling: `portal serve --theme DIR` (or `PORTAL_THEME=DIR`).\n" +
	"This file was written by `portal theme init` and lists every page and what it gets, generated\n" +
	"from Portal's Go types. Portal ignores it.\n\n" +
	"## What a theme holds\n\n" +
	"```\n" +
	"DIR/\n" +
	"  static/            served at /static/ before the built-in files; static/portal.css replaces the default stylesheet,\n" +
	"                     static/theme.css is loaded after it\n" +
	"  layout.html        html/template wrapping every page: {{.Body}}, {{.Title}}, {{.User}}, {{.Status}}, {{csrfField}}\n" +
	"  pages/<name>.html  html/template replacing one page's content; it gets the page's own view model\n" +
	"  mail/<name>.html   mail templates (mail/<name>.txt for the text part)\n" +
	"  messages.toml      the wording of every page and mail, overridable by key\n" +
	"  messages.<lang>.toml  the same in another language (de, fr, es, ar are built in; any other adds it)\n" +
	"  README.md          this file\n" +
	"```\n\n" +
	"Anything else is refused at start, with the file named.\n\n" +
	"## Changing the wording\n\n" +
	"Every piece of text on the pages (headings, labels, hints, buttons, links, status and validation\n" +
	"messages) comes from one message catalogue, by key. `messages.toml` lists every key with its built-in\n" +
	"text, commented out; uncomment a line and change the text:\n\n" +
	"```toml\n" +
	"[login]\n" +
	"title = \"Welcome back\"\n" +
	"```\n\n" +
	"A message may hold `{placeholders}` that Portal fills in (`{min}` in `register.password_hint`); keep the\n" +
	"ones you need and add no others. An unknown key or placeholder stops the server at start, with the key\n" +
	"named. Page overrides and `layout.html` use the same catalogue: `{{t \"login.title\"}}`, with name/value\n" +
	"pairs for placeholders: `{{t \"register.password_hint\" \"min\" .MinPasswordLength}}`.\n\n" +
	"### Languages\n\n" +
	"Pages and mail are shown in the reader's language. `messages.<lang>.toml` (`messages.de.toml`, …)\n" +
	"rewords a built-in language the same way, or adds a language Portal does not have\n" +
	"(`messages.pt-BR.toml`; offer it with `--languages`). `portal theme init` writes one for every built-in\n" +
	"language, every key with Portal's text in it, commented out. A plural message has one line per plural\n" +
	"form of the language (`_one`, `_other`; Arabic also `_zero`, `_two`, `_few`, `_many`). When\n" +
	"`messages.toml` rewords a message, reword it in each language too: `portal theme check DIR` warns of a\n" +
	"rewording a language does not follow, of messages an added language lacks (shown in English), of\n" +
	"missing plural forms and of placeholders left out; an unknown key or placeholder is an error.\n\n" +
	"Mail overrides (`mail/<name>.txt`, `mail/<name>.html`) go out in every language: write their words with\n" +
	"`t`, `tn`, `lang` and `dir`, as pages do, and in the text part `wrap` (a paragraph in lines of at most 72\n" +
	"characters): `{{wrap (t \"mail-invite.intro\" \"site\" .SiteName \"to\" .To)}}`. The messages of the built-in\n" +
	"mail are under `mail.*`, `mail-<name>.*` and `mail-notice.*`; rewording those keeps every language.\n\n" +
	"`static/portal.css` is a copy of the default stylesheet. Its custom properties at the top (`--portal-accent`,\n" +
	"`--portal-radius`, … and their dark-mode values) restyle every page; change those first. To change only a\n" +
	"few of them, delete `static/portal.css` and write just those in `static/theme.css` instead: every page links\n" +
	"it after the default stylesheet (`{{.ThemeCSSURL}}` in `layout.html`), so it keeps up with Portal's updates:\n\n" +
	"```css\n" +
	":root { --portal-accent: #0b7285; --portal-radius: 4px; }\n" +
	"@media (prefers-color-scheme: dark) { :root { --portal-accent: #3bc9db; } }\n" +
	"```\n\n" +
	"Other files in\n" +
	"`static/` are served too: link them with `{{asset \"logo.svg\"}}`, which gives their content-hashed URL.\n" +
	"The Content-Security-Policy allows styles and scripts from /static/ only (and inline scripts with\n" +
	"`nonce=\"{{cspNonce}}\"`), so use files rather than inline `style` attributes.\n\n" +
	"## Overriding one page\n\n" +
	"1. `portal theme eject login DIR` writes `DIR/pages/login.html`: an html/template version of the built-in\n" +
	"   sign-in page, with the same markup.\n" +
	"2. Edit it. It gets `pages.LoginView` (below): `{{.Email}}`, `{{.Errors.Get \"email\"}}`, `{{.ReturnURL}}`, ….\n" +
	"   Keep `{{csrfField}}` inside every `<form method=\"post\">`, and the form's field names.\n" +
	"3. `portal theme check DIR` runs the checks the server runs at start, and exits non-zero on a problem.\n\n" +
	"A minimal page override:\n\n" +
	"```html\n" +
	"<section class=\"card\">\n" +
	"  <h1>Welcome back</h1>\n" +
	"  {{with .Message}}<div class=\"alert alert-error\" role=\"alert\">{{.}}</div>{{end}}\n" +
	"  <form method=\"post\" action=\"{{withReturn \"/account/login\" .ReturnURL}}\" id=\"login-form\">\n" +
	"    {{csrfField}}\n" +
	"    <label>Email <input name=\"email\" type=\"email\" value=\"{{.Email}}\" required></label>\n" +
	"    {{with .Errors.Get \"email\"}}<p class=\"field-error\">{{.}}</p>{{end}}\n" +
	"    <label>Password <input name=\"password\" type=\"password\" required></label>\n" +
	"    <button type=\"submit\">Sign in</button>\n" +
	"  </form>\n" +
	"</section>\n" +
	"```\n\n" +
	"The layout (the theme's `layout.html`, or the built-in one) wraps the page. Without a `layout.html`, the\n" +
	"built-in layout shows the status message; with one, show `{{.Status}}` yourself, in an element with\n" +
	"`id=\"status-message\"` (tests and scripts look for it).\n\n" +
	"## Checked at start\n\n" +
	"The server refuses to start, naming the file and the reason, when:\n\n" +
	"- an entry of the theme is unknown, or `pages/<name>.html` names no page of the list below;\n" +
	"- a template does not parse;\n" +
	"- a template fails against the sample view models of its page (several per page: with field errors,\n" +
	"  signed in and out, empty lists…), or `layout.html` does not write `{{.Body}}`;\n" +
	"- a `<form method=\"post\">` does not carry the CSRF field (`{{csrfField}}`).\n\n" +
	"When an override fails for a real request anyway, the server logs it and serves the built-in page.\n\n" +
	"Markers the built-in pages carry (keep them if tests or scripts read your pages): `id=\"shared-key\"` with\n" +
	"the `otpauth://` URI in `data-uri` on enable-authenticator, `class=\"recovery-code\"` on each recovery code,\n" +
	"`id=\"status-message\"` on the status message, `class=\"field-error\"` on each validation message, and the\n" +
	"forms' ids (`login-form`, `register-form`, …).\n\n"

// methodSig is "Name(arg types) result types" of a method without its
// receiver.
func methodSig(m reflect.Method) string {
	var in, out []string
	for i := 1; i < m.Type.NumIn(); i++ {
		in = append(in, m.Type.In(i).String())
	}
	for i := range m.Type.NumOut() {
		out = append(out, m.Type.Out(i).String())
	}
	sig := m.Name + "(" + strings.Join(in, ", ") + ")"
	switch len(out) {
	case 0:
	case 1:
		sig += " " + out[0]
	default:
		sig += " (" + strings.Join(out, ", ") + ")"
	}
	return sig
}
