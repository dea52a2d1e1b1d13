package theme

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/a-h/templ"
	"golang.org/x/net/html"

	"github.com/accountportal/portal/messages"
	"github.com/accountportal/portal/pages"
)

// thNormalize renders the DOM of an HTML document as one line per node:
// elements with their attributes sorted, text with runs of white space
// collapsed and trimmed at the edges of its element; white space between
// elements is dropped. Two documents that a browser shows alike (up to
// inter-element spaces) normalize alike.
func thNormalize(t testing.TB, doc string) string {
	t.Helper()
	root, err := html.Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	var b strings.Builder
	var walk func(n *html.Node, depth int)
	walk = func(n *html.Node, depth int) {
		ind := strings.Repeat("  ", depth)
		switch n.Type {
		case html.ElementNode:
			var attrs []string
			for _, a := range n.Attr {
				attrs = append(attrs, a.Key+"="+fmt.Sprintf("%q", a.Val))
			}
			slices.Sort(attrs)
			fmt.Fprintf(&b, "%s<%s %s>\n", ind, n.Data, strings.Join(attrs, " "))
		case html.TextNode:
			text := strings.Join(strings.Fields(n.Data), " ")
			if text == "" {
				return
			}
			lead := thInline(n.PrevSibling) && startsSpace(n.Data)
			trail := thInline(n.NextSibling) && endsSpace(n.Data)
			if lead {
				text = "␣" + text
			}
			if trail {
				text += "␣"
			}
			fmt.Fprintf(&b, "%s%s\n", ind, text)
		case html.DoctypeNode:
			fmt.Fprintf(&b, "<!doctype %s>\n", strings.ToLower(n.Data))
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, depth+1)
		}
	}
	walk(root, 0)
	return b.String()
}

// thInline reports whether n is an inline element, next to which a space
// shows.
func thInline(n *html.Node) bool {
	if n == nil || n.Type != html.ElementNode {
		return false
	}
	switch n.Data {
	case "a", "abbr", "b", "button", "code", "em", "i", "input", "kbd", "label", "small", "span", "strong", "time":
		return true
	}
	return false
}

func startsSpace(s string) bool { return s != "" && strings.ContainsAny(s[:1], " \t\n\r\f") }
func endsSpace(s string) bool   { return s != "" && strings.ContainsAny(s[len(s)-1:], " \t\n\r\f") }

// thRenderTempl renders a templ component.
func thRenderTempl(t testing.TB, c templ.Component) string {
	t.Helper()
	return thRenderTemplAt(t, c, "")
}

// thRenderTemplAt renders c for a Portal under the base path base.
func thRenderTemplAt(t testing.TB, c templ.Component, base string) string {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(pages.WithBasePath(templ.WithNonce(context.Background(), "bm9uY2U"), base), &buf); err != nil {
		t.Fatalf("render: %v", err)
	}
	return buf.String()
}

// thExecute parses and runs src as a theme file against data.
func thExecute(t testing.TB, file, src string, data any, csrf string) string {
	t.Helper()
	return thExecuteWith(t, file, src, data, Vars{CSRFToken: csrf, Nonce: "bm9uY2U"})
}

// thExecuteWith is thExecute with the request's template variables.
func thExecuteWith(t testing.TB, file, src string, data any, vars Vars) string {
	t.Helper()
	th := &Theme{}
	tp, err := th.parse(file, src)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var buf bytes.Buffer
	if err := tp.Execute(&buf, data, vars); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return buf.String()
}

// thDiff shows the first differing lines of two normalized documents.
func thDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < max(len(g), len(w)); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			lo := max(0, i-3)
			return fmt.Sprintf("line %d:\n  eject: %q\n  templ: %q\ncontext (templ):\n%s", i+1, gl, wl, strings.Join(w[lo:min(len(w), i+3)], "\n"))
		}
	}
	return ""
}

// The html/template versions of the built-in pages (what `theme eject`
// writes) render the same DOM as the templ pages, for every sample view
// model: they are a faithful starting point, and a change to a templ page
// that is not made to its html/template version fails here. They run with
// the built-in catalogue and with a pseudo-translated one, so a literal
// where the templ page takes a message ({{t "key"}}) fails too.
func TestEjectMatchesBuiltinPages(t *testing.T) {
	pseudo := messages.Transform(func(_, text string) string { return "⟦" + text + "⟧" })
	for _, p := range pages.Pages() {
		t.Run(p.Name, func(t *testing.T) {
			src, err := Eject(p.Name)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range p.Samples() {
				for _, cat := range []*messages.Catalog{nil, pseudo} {
					v := thWithMessages(v, cat)
					cm := v.(pages.View).PageCommon()
					want := thNormalize(t, thRenderTempl(t, p.Body(v)))
					got := thNormalize(t, thExecuteWith(t, "pages/"+p.Name+".html", src, v, Vars{CSRFToken: cm.CSRFToken, Nonce: "bm9uY2U", Messages: cat}))
					if got != want {
						t.Errorf("sample #%d (pseudo-translated: %t): the ejected page differs from the templ page at %s", i+1, cat != nil, thDiff(got, want))
					}
				}
				// Under a base path ({{url}}, {{withReturn}} as pages.URL).
				cm := v.(pages.View).PageCommon()
				want := thNormalize(t, thRenderTemplAt(t, p.Body(v), "/auth"))
				got := thNormalize(t, thExecuteWith(t, "pages/"+p.Name+".html", src, v, Vars{CSRFToken: cm.CSRFToken, Nonce: "bm9uY2U", BasePath: "/auth"}))
				if got != want {
					t.Errorf("sample #%d (under /auth): the ejected page differs from the templ page at %s", i+1, thDiff(got, want))
				}
			}
		})
	}
}

// thWithMessages returns a copy of the view model v with its Common's
// catalogue set to c.
func thWithMessages(v any, c *messages.Catalog) any {
	rv := reflect.New(reflect.TypeOf(v)).Elem()
	rv.Set(reflect.ValueOf(v))
	rv.FieldByName("Common").FieldByName("Messages").Set(reflect.ValueOf(c))
	return rv.Interface()
}

// The html/template layout (what `theme init` writes) renders the same DOM
// as the templ layout.
func TestLayoutMatchesBuiltinLayout(t *testing.T) {
	pseudo := messages.Transform(func(_, text string) string { return "⟦" + text + "⟧" })
	for i, d := range LayoutSamples() {
		for _, cat := range []*messages.Catalog{nil, pseudo} {
			d := d
			d.Messages = cat
			want := thNormalize(t, thRenderTempl(t, pages.WithLayout(d.Common, templ.Raw(string(d.Body)))))
			got := thNormalize(t, thExecuteWith(t, "layout.html", Layout(), d, Vars{CSRFToken: d.CSRFToken, Nonce: "bm9uY2U", Messages: cat}))
			if got != want {
				t.Errorf("sample #%d (pseudo-translated: %t): layout.html differs from pages.Base at %s", i+1, cat != nil, thDiff(got, want))
			}
		}
		want := thNormalize(t, thRenderTemplAt(t, pages.WithLayout(d.Common, templ.Raw(string(d.Body))), "/auth"))
		got := thNormalize(t, thExecuteWith(t, "layout.html", Layout(), d, Vars{CSRFToken: d.CSRFToken, Nonce: "bm9uY2U", BasePath: "/auth"}))
		if got != want {
			t.Errorf("sample #%d (under /auth): layout.html differs from pages.Base at %s", i+1, thDiff(got, want))
		}
	}
}

// Every function the README documents exists, and every one that exists
// is documented.
func TestFuncsDocumented(t *testing.T) {
	fm := (&Theme{}).funcs(nil)
	var documented []string
	for _, f := range Funcs {
		documented = append(documented, f[0])
		if _, ok := fm[f[0]]; !ok {
			t.Errorf("Funcs documents %s, which is not a template function", f[0])
		}
	}
	for name := range fm {
		if !slices.Contains(documented, name) {
			t.Errorf("template function %s is not in Funcs", name)
		}
	}
}

func thWrite(t testing.TB, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
