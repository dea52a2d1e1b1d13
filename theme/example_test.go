package theme

import (
	"bytes"
	"html/template"
	"io/fs"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/accountportal/portal/pages"
	"github.com/accountportal/portal/static"
)

// The reference theme lives in example/; these tests keep it in step with
// the built-in pages.
const thExampleDir = "example"

func thDoc(t testing.TB, html string) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader(html))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// thMarkers are the ids and classes that tests, here and outside this
// repository, read on the pages: for each, a selector and what to compare
// between the built-in and a themed page.
var thMarkers = []struct {
	what string
	sel  string
	attr string // compare this attribute's values ("" compares the count)
}{
	{"the authenticator key", "#shared-key", ""},
	{"the otpauth URI", "#shared-key", "data-uri"},
	{"the recovery codes", ".recovery-code", ""},
	{"the status message", "#status-message", ""},
	{"the validation messages", ".field-error", ""},
	{"the CSRF fields", `input[name="_csrf"]`, "value"},
	{"the form ids", "form[id]", "id"},
	{"the form fields", "form input[name]", "name"},
}

func thValues(d *goquery.Document, sel, attr string) []string {
	var out []string
	d.Find(sel).Each(func(_ int, s *goquery.Selection) {
		if attr == "" {
			out = append(out, strings.TrimSpace(s.Text()))
		} else {
			out = append(out, s.AttrOr(attr, ""))
		}
	})
	return out
}

// The reference theme passes the checks, and every page it overrides, in
// its layout, carries every marker the built-in page carries, for every
// sample view model.
func TestReferenceThemeRendersEveryMarker(t *testing.T) {
	th, err := Load(thExampleDir)
	if err != nil {
		t.Fatalf("the reference theme fails the checks: %v", err)
	}
	if th.Layout() == nil || len(th.PageNames()) < 3 || th.Static == nil {
		t.Fatalf("the reference theme should have a layout, a few pages and static/: %v", th.PageNames())
	}
	for _, name := range th.PageNames() {
		page, _ := pages.Lookup(name)
		for i, v := range page.Samples() {
			cm := v.(pages.View).PageCommon()
			cm.Status, cm.StatusIsError = "Saved.", false // every page can show a status message
			builtin := thDoc(t, thRenderTempl(t, pages.WithLayout(cm, page.Body(v))))

			var body, full bytes.Buffer
			vars := Vars{CSRFToken: cm.CSRFToken}
			if err := th.Page(name).Execute(&body, v, vars); err != nil {
				t.Fatalf("%s #%d: %v", name, i+1, err)
			}
			if err := th.Layout().Execute(&full, LayoutData{Common: cm, Body: template.HTML(body.String()), Page: name}, vars); err != nil {
				t.Fatalf("%s #%d: layout: %v", name, i+1, err)
			}
			themed := thDoc(t, full.String())
			for _, m := range thMarkers {
				want := thValues(builtin, m.sel, m.attr)
				got := thValues(themed, m.sel, m.attr)
				if m.attr == "" && len(got) == len(want) {
					continue // same count; the text may be reworded
				}
				if strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Errorf("%s sample #%d: %s (%s %s): themed %q, built-in %q", name, i+1, m.what, m.sel, m.attr, got, want)
				}
			}
			if themed.Find("#theme-banner").Length() != 1 {
				t.Errorf("%s #%d: the example layout's banner is missing", name, i+1)
			}
		}
	}
}

// The reference layout shows the status message as the built-in layout
// does, on every page.
func TestReferenceLayoutStatusMessage(t *testing.T) {
	th, err := Load(thExampleDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range LayoutSamples() {
		var buf bytes.Buffer
		if err := th.Layout().Execute(&buf, d, Vars{CSRFToken: d.CSRFToken}); err != nil {
			t.Fatal(err)
		}
		doc := thDoc(t, buf.String())
		got := strings.TrimSpace(doc.Find("#status-message").Text())
		if got != d.Status {
			t.Errorf("page %s: #status-message=%q, want %q", d.Page, got, d.Status)
		}
		if d.StatusIsError && !doc.Find("#status-message").HasClass("alert-error") {
			t.Errorf("page %s: an error status is not marked alert-error", d.Page)
		}
	}
}

// cssProperty is a custom property declaration of a stylesheet.
var cssProperty = regexp.MustCompile(`(?m)^\s*(--[\w-]+)\s*:`)

// The reference theme adds static/theme.css after the default stylesheet
// instead of copying it: it ships no static/portal.css, and every custom
// property theme.css sets is one the default stylesheet defines (so a
// renamed property cannot silently stop applying).
func TestReferenceStylesheetInStep(t *testing.T) {
	if _, err := os.Stat(thExampleDir + "/static/portal.css"); err == nil {
		t.Error("theme/example/static/portal.css exists; put the example's changes in static/theme.css")
	}
	def, err := fs.ReadFile(static.Embedded(), "portal.css")
	if err != nil {
		t.Fatal(err)
	}
	defined := map[string]bool{}
	for _, m := range cssProperty.FindAllStringSubmatch(string(def), -1) {
		defined[m[1]] = true
	}
	ex, err := os.ReadFile(thExampleDir + "/static/theme.css")
	if err != nil {
		t.Fatal(err)
	}
	set := cssProperty.FindAllStringSubmatch(string(ex), -1)
	if len(set) == 0 {
		t.Error("the example's theme.css changes no custom property")
	}
	for _, m := range set {
		if !defined[m[1]] {
			t.Errorf("theme/example/static/theme.css sets %s, which static/portal.css does not define", m[1])
		}
	}
}
