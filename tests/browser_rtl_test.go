package tests

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/accountportal/portal/internal/portaltest"
	"github.com/accountportal/portal/pages"
	"github.com/accountportal/portal/preview"
)

// rtlLayout is where the right-to-left markers of a page stand.
type rtlLayout struct {
	Lang  string `json:"lang"`
	Dir   string `json:"dir"`
	Width int    `json:"width"`
	// The header: the site name and the account links.
	BrandLeft   float64 `json:"brandLeft"`
	AccountLeft float64 `json:"accountLeft"`
	HasAccount  bool    `json:"hasAccount"`
	// The manage navigation, its first entry, and the content beside it.
	HasNav       bool    `json:"hasNav"`
	NavLeft      float64 `json:"navLeft"`
	NavRight     float64 `json:"navRight"`
	ContentLeft  float64 `json:"contentLeft"`
	ContentRight float64 `json:"contentRight"`
	FirstRight   float64 `json:"firstRight"`
	ListRight    float64 `json:"listRight"`
}

const rtlLayoutJS = `(() => {
	const box = sel => { const e = document.querySelector(sel); return e ? e.getBoundingClientRect() : null; };
	const brand = box(".brand"), account = box(".account-nav");
	const nav = box(".manage-nav"), content = box(".manage-content");
	const first = box(".manage-nav li:first-child a"), list = box(".manage-nav ul");
	const h = document.documentElement;
	return {lang: h.getAttribute("lang") || "", dir: h.getAttribute("dir") || "", width: h.clientWidth,
		brandLeft: brand ? brand.left : 0, accountLeft: account && account.width > 0 ? account.left : 0, hasAccount: !!(account && account.width > 0),
		hasNav: !!nav, navLeft: nav ? nav.left : 0, navRight: nav ? nav.right : 0,
		contentLeft: content ? content.left : 0, contentRight: content ? content.right : 0,
		firstRight: first ? first.right : 0, listRight: list ? list.right : 0};
})()`

// TestBrowserArabic (issue 22): every page of the registry in Arabic — the
// first sample state of each, through the theme preview in Arabic, which
// renders them as the server does — at 390 px and 1280 px: <html lang="ar"
// dir="rtl">, no horizontal scrolling, axe-core's WCAG 2.2 A/AA rules
// clean (checkAxe, as TestBrowserAxe), and the layout mirrored: the site
// name on the right of the header's account links, and on the manage
// pages the navigation on the right of the content (desktop) or its first
// tab at the right edge (phone). Screenshots of a few pages go to
// tests/artifacts/rtl-*.png.
func TestBrowserArabic(t *testing.T) {
	if portaltest.OnPostgres() {
		t.Skip("no database involved: checked on the SQLite pass")
	}
	axeJS, err := os.ReadFile("testdata/axe-core/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	sharedChromium(t)
	srv := httptest.NewServer(preview.NewIn("", "ar"))
	t.Cleanup(srv.Close)
	b := newTab(t, 10*time.Minute)
	shots := map[string]bool{"login-1": true, "manage-profile-1": true, "manage-sessions-1": true, "two-factor-1": true}
	navChecked := 0
	for _, pg := range pages.Pages() {
		id := pg.Name + "-1"
		t.Run(id, func(t *testing.T) {
			checkAxe(t, b, srv.URL, id, false, axeJS)
			for _, vp := range axeViewports {
				where := fmt.Sprintf("%s, %d px", id, vp.w)
				ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
				err := chromedp.Do(ctx, chromedp.EmulateViewport(vp.w, vp.h))
				var m rtlLayout
				if err == nil {
					m, err = chromedp.Run(ctx, chromedp.Evaluate[rtlLayout](rtlLayoutJS))
				}
				cancel()
				if err != nil {
					t.Fatalf("%s: %v", where, err)
				}
				if m.Lang != "ar" || m.Dir != "rtl" {
					t.Errorf("%s: <html lang=%q dir=%q>, want lang=ar dir=rtl", where, m.Lang, m.Dir)
				}
				if m.HasAccount && m.BrandLeft <= m.AccountLeft {
					t.Errorf("%s: the site name (left %.0f) is not right of the account links (left %.0f)", where, m.BrandLeft, m.AccountLeft)
				}
				if m.HasNav {
					navChecked++
					if vp.w >= 1024 {
						if m.NavLeft < m.ContentRight-1 || m.NavRight < float64(m.Width)/2 {
							t.Errorf("%s: the manage navigation [%.0f, %.0f] is not on the right of the content [%.0f, %.0f]", where, m.NavLeft, m.NavRight, m.ContentLeft, m.ContentRight)
						}
					} else if m.FirstRight < m.ListRight-24 || m.FirstRight < float64(m.Width)/2 {
						t.Errorf("%s: the first tab of the manage navigation ends at %.0f, not at the right edge (%.0f)", where, m.FirstRight, m.ListRight)
					}
				}
				if shots[id] {
					b.t = t
					b.SaveFullScreenshot("rtl-" + id + "-" + strconv.Itoa(int(vp.w)) + ".png")
				}
			}
		})
	}
	if navChecked == 0 {
		t.Error("no page with the manage navigation was checked")
	}
}
