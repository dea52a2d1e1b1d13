package pages

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// Under a base path (--base-url https://example.com/auth) no page of the
// registry links, posts or loads outside it: every sample of every page,
// rendered whole, has each href, action, formaction and src under /auth
// (or absolute, like a mailed link, or a fragment). A page added with a
// literal "/account/…" link fails here: write URL(ctx, "/account/…").
func TestPagesStayUnderBasePath(t *testing.T) {
	const base = "/auth"
	ctx := WithBasePath(context.Background(), base)
	for _, p := range Pages() {
		for i, v := range p.Samples() {
			v = withAssetsUnder(v, base) // the handlers put asset URLs under the base path
			var buf bytes.Buffer
			if err := p.Render(v).Render(ctx, &buf); err != nil {
				t.Fatalf("%s #%d: %v", p.Name, i+1, err)
			}
			for _, bad := range linksOutside(t, buf.String(), base) {
				t.Errorf("%s #%d: %s", p.Name, i+1, bad)
			}
		}
	}
}

// The same pages at the root are unchanged: the links are the Portal
// paths themselves.
func TestPagesAtRootLinkPortalPaths(t *testing.T) {
	p, _ := Lookup("login")
	var buf bytes.Buffer
	if err := p.Render(p.Samples()[0]).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `href="/account/forgot-password"`) {
		t.Fatalf("login at the root has no link to /account/forgot-password:\n%s", buf.String())
	}
	buf.Reset()
	if err := p.Render(p.Samples()[0]).Render(WithBasePath(context.Background(), "/auth"), &buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `href="/auth/account/forgot-password"`) {
		t.Fatalf("login under /auth has no link to /auth/account/forgot-password:\n%s", buf.String())
	}
}

// linksOutside lists each URL attribute of the HTML page that leads
// outside base.
func linksOutside(t testing.TB, page, base string) []string {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var bad []string
	for _, attr := range []string{"href", "action", "formaction", "src"} {
		doc.Find("[" + attr + "]").Each(func(_ int, s *goquery.Selection) {
			v, _ := s.Attr(attr)
			switch {
			case strings.HasPrefix(v, "#"), strings.HasPrefix(v, "https://"), strings.HasPrefix(v, "http://"), strings.HasPrefix(v, "data:"), strings.HasPrefix(v, "otpauth://"):
				return // a fragment; an absolute URL (a mailed link, the dev link); a data: URL (the recovery codes download); the authenticator app's otpauth:// link
			case v == base, strings.HasPrefix(v, base+"/"):
				return
			}
			html, _ := goquery.OuterHtml(s)
			bad = append(bad, attr+"="+v+" in "+html)
		})
	}
	return bad
}

// withAssetsUnder returns a copy of the view model v whose Common's asset
// URLs are under base, as the handlers fill them.
func withAssetsUnder(v any, base string) any {
	rv := reflect.New(reflect.TypeOf(v)).Elem()
	rv.Set(reflect.ValueOf(v))
	cm := rv.FieldByName("Common")
	for _, f := range []string{"CSSURL", "ThemeCSSURL", "IconURL", "PasskeyScriptURL"} {
		if s := cm.FieldByName(f).String(); s != "" {
			cm.FieldByName(f).SetString(base + s)
		}
	}
	return rv.Interface()
}
