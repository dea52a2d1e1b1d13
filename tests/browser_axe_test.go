package tests

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/accountportal/portal/internal/portaltest"
	"github.com/accountportal/portal/pages"
	"github.com/accountportal/portal/preview"
)

// axeVersion is the vendored axe-core (tests/testdata/axe-core/README.md).
const axeVersion = "4.14.1"

// axeTags are the axe-core rule tags of WCAG 2.0, 2.1 and 2.2 at levels A
// and AA (2.2 added only AA rules to axe: target-size).
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}

// axeViewports are the widths every page state is checked at: a phone and a
// desktop.
var axeViewports = []struct{ w, h int64 }{{390, 844}, {1280, 800}}

// axeViolation is one failed rule on a page, with up to five of the
// elements it failed on.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	URL    string   `json:"helpUrl"`
	Nodes  []string `json:"nodes"`
	Count  int      `json:"count"`
}

// axeResult is what axeRunJS returns.
type axeResult struct {
	Violations []axeViolation `json:"violations"`
	Passes     int            `json:"passes"`
}

var axeRunJS = `axe.run(document, {
	runOnly: {type: "tag", values: ` + jsStrings(axeTags) + `},
	resultTypes: ["violations"],
}).then(r => ({
	passes: r.passes.length,
	violations: r.violations.map(v => ({
		id: v.id, impact: v.impact || "", help: v.help, helpUrl: v.helpUrl, count: v.nodes.length,
		nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " — " + (n.failureSummary || "").replace(/\s+/g, " ")),
	})),
}))`

func jsStrings(ss []string) string {
	return `["` + strings.Join(ss, `", "`) + `"]`
}

// pageStateJS tells the test that the page it checks is the one it meant:
// the stylesheet applied, and the colour scheme the frame forces.
const pageStateJS = `(() => {
	const bg = getComputedStyle(document.body).backgroundColor.match(/\d+/g).slice(0, 3).map(Number);
	return {styled: [...document.styleSheets].some(s => s.cssRules.length > 0),
		dark: (bg[0] + bg[1] + bg[2]) / 3 < 128};
})()`

// TestBrowserAxe opens every page of the page registry in every sample
// state (through the theme preview, which renders them as the server does),
// light and dark, at 390 px and 1280 px, runs axe-core's WCAG 2.2 A and AA
// rules on each, and fails on any violation and on any page that scrolls
// sideways (issue 18). A page added to the registry with samples is checked
// without a change here. Run one page with
// go test ./tests/ -run 'TestBrowserAxe/login-'.
func TestBrowserAxe(t *testing.T) {
	if portaltest.OnPostgres() {
		t.Skip("no database involved: checked on the SQLite pass")
	}
	axeJS, err := os.ReadFile("testdata/axe-core/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(axeJS, []byte("/*! axe v"+axeVersion+"\n")) {
		t.Fatalf("testdata/axe-core/axe.min.js is not axe-core %s (its banner: %q)", axeVersion, axeJS[:min(len(axeJS), 20)])
	}
	sharedChromium(t) // skips before anything else starts

	srv := httptest.NewServer(preview.New(""))
	t.Cleanup(srv.Close)

	// A few tabs, each checking one page state at a time.
	n := min(max(runtime.GOMAXPROCS(0), 2), 4)
	tabs := make(chan *browser, n)
	for range n {
		tabs <- newTab(t, 15*time.Minute)
	}

	states := 0
	for _, pg := range pages.Pages() {
		for i := 1; i <= len(pg.Samples()); i++ {
			id := pg.Name + "-" + strconv.Itoa(i)
			states++
			t.Run(id, func(t *testing.T) {
				t.Parallel()
				b := <-tabs
				defer func() { tabs <- b }()
				for _, dark := range []bool{false, true} {
					checkAxe(t, b, srv.URL, id, dark, axeJS)
				}
			})
		}
	}
	t.Logf("%d pages, %d sample states, each light and dark at %d widths", len(pages.Pages()), states, len(axeViewports))
}

// checkAxe loads one frame of the preview in tab b and checks it at each
// viewport width. It reports on t, not on the tab's test.
func checkAxe(t *testing.T, b *browser, base, id string, dark bool, axeJS []byte) {
	t.Helper()
	scheme, file := "light", id+".html"
	if dark {
		scheme, file = "dark", id+".dark.html"
	}
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	url := base + "/frames/" + file
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(axeViewports[0].w, axeViewports[0].h),
		chromedp.Navigate(url),
		chromedp.Evaluate[chromedp.Void](string(axeJS)), // through the DevTools protocol: the pages carry no script
	); err != nil {
		t.Fatalf("%s: load and inject axe: %v", url, err)
	}
	st, err := chromedp.Run(ctx, chromedp.Evaluate[struct {
		Styled bool `json:"styled"`
		Dark   bool `json:"dark"`
	}](pageStateJS))
	if err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	if !st.Styled || st.Dark != dark {
		t.Fatalf("%s: stylesheet applied=%v, dark background=%v; want a styled %s page", url, st.Styled, st.Dark, scheme)
	}

	for _, vp := range axeViewports {
		where := fmt.Sprintf("%s, %s, %d px", id, scheme, vp.w)
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(vp.w, vp.h)); err != nil {
			t.Fatalf("%s: viewport: %v", where, err)
		}
		m, err := chromedp.Run(ctx, chromedp.Evaluate[layoutMetrics](layoutMetricsJS))
		if err != nil {
			t.Fatalf("%s: layout: %v", where, err)
		}
		if m.InnerWidth != int(vp.w) {
			t.Fatalf("%s: window.innerWidth=%d (viewport emulation failed)", where, m.InnerWidth)
		}
		if m.ScrollWidth > m.ClientWidth {
			t.Errorf("%s: the page scrolls sideways: scrollWidth=%d > clientWidth=%d; wide elements: %v", where, m.ScrollWidth, m.ClientWidth, m.Wide)
		}
		res, err := chromedp.Run(ctx, chromedp.Evaluate[axeResult](axeRunJS, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s: axe: %v", where, err)
		}
		if res.Passes == 0 {
			t.Fatalf("%s: axe passed no rule at all; did it run on the page?", where)
		}
		for _, v := range res.Violations {
			t.Errorf("%s: axe %s (%s, on %d elements): %s\n    %s\n    %s", where, v.ID, v.Impact, v.Count, v.Help, strings.Join(v.Nodes, "\n    "), v.URL)
		}
	}
}
