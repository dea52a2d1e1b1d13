package theme

import (
	"bytes"
	"fmt"
	"html/template"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/net/html"

	"github.com/accountportal/portal/pages"
)

// postForm finds a <form method="post"> in a template's source.
var postForm = regexp.MustCompile(`(?is)<form\b[^>]*\bmethod\s*=\s*["']?post\b`)

// bodyMarker stands for the page content when layout.html is checked.
const bodyMarker = `<p id="portal-theme-check-body">The page's content.</p>`

// checkPage runs a page override against every sample view model of its
// page and returns what is wrong with it.
func checkPage(t *Template, src string, page pages.Page) []string {
	var problems []string
	staticOK := !postForm.MatchString(src) || strings.Contains(src, "csrfField")
	if !staticOK {
		problems = append(problems, `a <form method="post"> without {{csrfField}}: every POST form must carry the CSRF field`)
	}
	for i, view := range page.Samples() {
		var buf bytes.Buffer
		cm := view.(pages.View).PageCommon()
		if err := t.Execute(&buf, view, Vars{CSRFToken: cm.CSRFToken, Nonce: "c2FtcGxlbm9uY2U"}); err != nil {
			problems = append(problems, fmt.Sprintf("does not render the sample %s view model (%s #%d): %v", page.Name, page.View.Name(), i+1, err))
			break
		}
		if staticOK {
			problems = appendNew(problems, formProblems(buf.String(), cm.CSRFToken)...)
		}
	}
	return problems
}

// LayoutSamples are the layout data layout.html is checked against: signed
// in with a status message, signed out with an error message, signed out
// without one.
func LayoutSamples() []LayoutData {
	body := template.HTML(bodyMarker)
	c1 := pages.SampleCommon("Profile", true)
	c1.Status = "Your profile has been updated."
	c2 := pages.SampleCommon("Sign in", false)
	c2.Status, c2.StatusIsError = "Your session has expired. Please sign in again.", true
	out := []LayoutData{
		{Common: c1, Body: body, Page: "manage-profile"},
		{Common: c2, Body: body, Page: "login"},
		{Common: pages.SampleCommon("Home", false), Body: body, Page: "home"},
	}
	for i := range out {
		out[i].Common.Page = out[i].Page // as RenderPage sets it
	}
	return out
}

// checkLayout runs layout.html against LayoutSamples and returns what is
// wrong with it.
func checkLayout(t *Template, src string) []string {
	var problems []string
	staticOK := !postForm.MatchString(src) || strings.Contains(src, "csrfField")
	if !staticOK {
		problems = append(problems, `a <form method="post"> without {{csrfField}}: every POST form must carry the CSRF field`)
	}
	for i, d := range LayoutSamples() {
		var buf bytes.Buffer
		if err := t.Execute(&buf, d, Vars{CSRFToken: d.CSRFToken, Nonce: "c2FtcGxlbm9uY2U"}); err != nil {
			problems = append(problems, fmt.Sprintf("does not render the sample layout data (#%d): %v", i+1, err))
			break
		}
		if !strings.Contains(buf.String(), bodyMarker) {
			problems = appendNew(problems, "does not show the page: write {{.Body}} where the page's content goes")
		}
		if staticOK {
			problems = appendNew(problems, formProblems(buf.String(), d.CSRFToken)...)
		}
	}
	return problems
}

// formProblems finds the POST forms of rendered HTML that do not carry the
// CSRF field with token.
func formProblems(doc, token string) []string {
	root, err := html.Parse(strings.NewReader(doc))
	if err != nil {
		return []string{"renders HTML that does not parse: " + err.Error()}
	}
	var problems []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "form" && strings.EqualFold(attr(n, "method"), "post") {
			if !hasCSRF(n, token) {
				problems = appendNew(problems, fmt.Sprintf(`the <form method="post" action=%q> has no CSRF field: put {{csrfField}} inside it`, attr(n, "action")))
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	return problems
}

func hasCSRF(n *html.Node, token string) bool {
	if n.Type == html.ElementNode && n.Data == "input" && attr(n, "name") == "_csrf" && attr(n, "value") == token {
		return true
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if hasCSRF(c, token) {
			return true
		}
	}
	return false
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func appendNew(list []string, items ...string) []string {
	for _, it := range items {
		if !slices.Contains(list, it) {
			list = append(list, it)
		}
	}
	return list
}
