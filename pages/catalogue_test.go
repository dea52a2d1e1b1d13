package pages

import (
	"bytes"
	"context"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"golang.org/x/net/html"

	"github.com/accountportal/portal/messages"
)

// Pseudo-translation marks: every message of the test catalogue is
// wrapped in them, so text on a page without them did not come from the
// catalogue.
const pseudoOpen, pseudoClose = "⟦", "⟧"

// A key whose name ends in _format is not text but a Go time layout
// (manage-sessions.time_format): the pseudo catalogue gives every one of
// them pseudoLayout, which no built-in layout formats alike, so a time a
// page formats with the catalogue's layout shows in it and one formatted
// with a layout written in the page does not.
const pseudoLayout = "Monday, 02-Jan-06 15:04:05.000 MST"

func isLayoutKey(key string) bool { return strings.HasSuffix(key, "_format") }

func pseudoCatalog() *messages.Catalog {
	return messages.Transform(func(key, text string) string {
		if isLayoutKey(key) {
			return pseudoLayout
		}
		return pseudoOpen + text + pseudoClose
	})
}

// withMessages returns a copy of the view model v with its Common's
// catalogue set to c.
func withMessages(v any, c *messages.Catalog) any {
	rv := reflect.New(reflect.TypeOf(v)).Elem()
	rv.Set(reflect.ValueOf(v))
	rv.FieldByName("Common").FieldByName("Messages").Set(reflect.ValueOf(c))
	return rv.Interface()
}

// sampleData collects every string a view model holds (the data a page
// shows: addresses, codes, names, messages that handlers pass in), longest
// first. Common.Title is left out: handlers take it from the catalogue, and
// a page's heading must not pass because it equals the sample's title.
// Every time.Time it holds counts in each form the catalogue c's time
// layouts give it.
func sampleData(v any, c *messages.Catalog) []string {
	seen := map[string]bool{}
	walkView(v, func(s string) {
		seen[s] = true
		if strings.Contains(s, "@") { // Address splits it into text nodes at its <wbr>s
			for _, part := range strings.Split(AddressHTML(s), "<wbr>") {
				seen[html.UnescapeString(part)] = true
			}
		}
	}, nil)
	if kg, ok := v.(interface{ KeyGroups() []string }); ok { // FormattedKey, shown group by group
		for _, g := range kg.KeyGroups() {
			seen[g] = true
		}
	}
	if vw, ok := v.(View); ok && vw.PageCommon().User != nil {
		seen[vw.PageCommon().User.Name()] = true // what the header and the greeting call the user
	}
	for _, s := range formattedTimes(v, c) {
		seen[s] = true
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// formattedTimes returns every time.Time of the view model v formatted
// with every time layout of the catalogue c (its keys ending in _format).
func formattedTimes(v any, c *messages.Catalog) []string {
	var layouts, out []string
	for _, k := range messages.Keys() {
		if isLayoutKey(k) {
			layouts = append(layouts, c.T(k))
		}
	}
	walkView(v, nil, func(t time.Time) {
		for _, l := range layouts {
			out = append(out, t.Format(l))
		}
	})
	return out
}

// literalTimes returns the times of the view model v that doc shows
// formatted with a built-in layout, which the pseudo catalogue replaces,
// even inside a message ("signed in {time}"): the page wrote the layout
// instead of taking it from the catalogue.
func literalTimes(doc string, v any) []string {
	var found []string
	for _, s := range formattedTimes(v, messages.Default()) {
		if strings.Contains(doc, s) && !slices.Contains(found, s) {
			found = append(found, s)
		}
	}
	// "4 May 2026" (a date layout) is in "4 May 2026 10:30 UTC": name the
	// longer only.
	var out []string
	for _, s := range found {
		if !slices.ContainsFunc(found, func(o string) bool { return o != s && strings.Contains(o, s) }) {
			out = append(out, s)
		}
	}
	return out
}

// walkView calls str for every non-blank string and at for every non-zero
// time.Time the view model v holds (either may be nil), leaving out
// Common.Title.
func walkView(v any, str func(string), at func(time.Time)) {
	var walk func(rv reflect.Value)
	walk = func(rv reflect.Value) {
		if rv.Type() == reflect.TypeFor[time.Time]() {
			if t := rv.Interface().(time.Time); at != nil && !t.IsZero() {
				at(t)
			}
			return
		}
		switch rv.Kind() {
		case reflect.String:
			if s := strings.TrimSpace(rv.String()); s != "" && str != nil {
				str(s)
			}
		case reflect.Pointer, reflect.Interface:
			if !rv.IsNil() {
				walk(rv.Elem())
			}
		case reflect.Struct:
			for i := range rv.NumField() {
				f := rv.Type().Field(i)
				// Common.Title is the handler's; a page's heading must
				// come from the catalogue, not equal it by chance.
				if f.IsExported() && !(rv.Type() == reflect.TypeFor[Common]() && f.Name == "Title") {
					walk(rv.Field(i))
				}
			}
		case reflect.Slice, reflect.Array:
			for i := range rv.Len() {
				walk(rv.Index(i))
			}
		case reflect.Map:
			for _, k := range rv.MapKeys() {
				walk(rv.MapIndex(k))
			}
		}
	}
	walk(reflect.ValueOf(v))
}

// pseudoSegment matches one message of the pseudo catalogue.
var pseudoSegment = regexp.MustCompile(pseudoOpen + `[^` + pseudoClose + `]*` + pseudoClose)

// notFromCatalogue returns what is left of text once the catalogue's
// messages and the view model's data are taken out, if any letters are
// left; otherwise "".
func notFromCatalogue(text string, data []string) string {
	rest := pseudoSegment.ReplaceAllString(text, " ")
	for _, d := range data {
		rest = strings.ReplaceAll(rest, d, " ")
	}
	if strings.IndexFunc(rest, unicode.IsLetter) < 0 {
		return ""
	}
	return strings.Join(strings.Fields(rest), " ")
}

// textAttrs are the attributes whose values people read (or hear).
var textAttrs = []string{"aria-label", "placeholder", "title", "alt"}

// untranslated renders a page's HTML and lists the text that does not
// come from the catalogue.
func untranslated(t *testing.T, doc string, data []string) []string {
	t.Helper()
	root, err := html.Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	var out []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		switch n.Type {
		case html.ElementNode:
			switch n.Data {
			case "script", "style", "svg", "title":
				// <title> shows Common.Title, which handlers take from
				// the catalogue (tested in handlers).
				return
			}
			for _, a := range n.Attr {
				if slices.Contains(textAttrs, a.Key) || (a.Key == "value" && n.Data == "input" && attr(n, "type") == "submit") {
					if left := notFromCatalogue(a.Val, data); left != "" {
						out = append(out, "<"+n.Data+" "+a.Key+"=\""+left+"\">")
					}
				}
			}
		case html.TextNode:
			if left := notFromCatalogue(n.Data, data); left != "" {
				out = append(out, left)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	return out
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// Every piece of text on every page, in every sample, comes from the
// message catalogue (messages/defaults: "all page copy goes through one
// message catalogue"), or is data of the view model. Rendered with a
// pseudo-translated catalogue, text without its marks is a literal left
// in a template.
func TestAllCopyFromCatalogue(t *testing.T) {
	pseudo := pseudoCatalog()
	for _, p := range Pages() {
		t.Run(p.Name, func(t *testing.T) {
			for i, v := range p.Samples() {
				var buf bytes.Buffer
				if err := p.Render(withMessages(v, pseudo)).Render(context.Background(), &buf); err != nil {
					t.Fatalf("#%d: %v", i+1, err)
				}
				for _, s := range untranslated(t, buf.String(), sampleData(v, pseudo)) {
					t.Errorf("%s #%d: text not from the catalogue: %q", p.Name, i+1, s)
				}
				for _, s := range literalTimes(buf.String(), v) {
					t.Errorf("%s #%d: a time formatted with a layout written in the page, not the catalogue's: %q", p.Name, i+1, s)
				}
			}
		})
	}
}

// The test above can fail: a literal in a page is found.
func TestUntranslatedFindsLiterals(t *testing.T) {
	doc := `<p>` + pseudoOpen + `Hello` + pseudoClose + ` alice@example.com</p><p>Sign in</p><button aria-label="Close">x</button>`
	got := untranslated(t, doc, []string{"alice@example.com"})
	want := []string{"Sign in", `<button aria-label="Close">`, "x"}
	if !slices.Equal(got, want) {
		t.Fatalf("untranslated=%q, want %q", got, want)
	}
}

// A message is text: markup in a theme's wording is escaped, never
// rendered.
func TestMessagesAreEscaped(t *testing.T) {
	c, err := messages.Parse([]byte("[layout]\nsign_in = \"<b onclick=x>Hi</b>\"\nnav_label = \"a\\\" onmouseover=\\\"x\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := Lookup("home")
	v := withMessages(p.Samples()[0], c)
	var buf bytes.Buffer
	if err := p.Render(v).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "<b onclick") || strings.Contains(out, `" onmouseover="`) {
		t.Fatalf("markup of a message was rendered:\n%s", out)
	}
	if !strings.Contains(out, "&lt;b onclick=x&gt;Hi&lt;/b&gt;") {
		t.Fatalf("the message is not on the page, escaped:\n%s", out)
	}
}

// A time formatted with the catalogue's layout is data; one formatted with
// a layout written in the page (English month names) is found.
func TestTimesAreData(t *testing.T) {
	pseudo := pseudoCatalog()
	when := time.Date(2026, time.March, 13, 9, 30, 0, 0, time.UTC)
	data := sampleData(struct{ At time.Time }{when}, pseudo)
	if got := untranslated(t, `<p>`+when.Format(pseudoLayout)+`</p>`, data); len(got) != 0 {
		t.Errorf("a time in the catalogue's layout: untranslated=%q, want none", got)
	}
	got := untranslated(t, `<p>`+when.Format("2 Jan 2006 15:04 MST")+`</p>`, data)
	if want := []string{"13 Mar 2026 09:30 UTC"}; !slices.Equal(got, want) {
		t.Errorf("a time in a literal layout: untranslated=%q, want %q", got, want)
	}
	// Inside a message the pseudo marks hide it; literalTimes finds it.
	v := struct{ At time.Time }{when}
	doc := `<p>` + pseudoOpen + `signed in ` + when.Format("2 Jan 2006 15:04 MST") + pseudoClose + `</p>`
	if got, want := literalTimes(doc, v), []string{"13 Mar 2026 09:30 UTC"}; !slices.Equal(got, want) {
		t.Errorf("literalTimes=%q, want %q", got, want)
	}
	doc = `<p>` + pseudoOpen + `signed in ` + when.Format(pseudoLayout) + pseudoClose + `</p>`
	if got := literalTimes(doc, v); len(got) != 0 {
		t.Errorf("a time in the catalogue's layout: literalTimes=%q, want none", got)
	}
}
