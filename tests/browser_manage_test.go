package tests

import (
	"fmt"
	"testing"

	"github.com/accountportal/portal/internal/portaltest"
	"github.com/chromedp/chromedp"
)

// mgLayout is where the manage navigation and content sit, and whether
// the page scrolls sideways.
type mgLayout struct {
	ScrollWidth int      `json:"scrollWidth"`
	InnerWidth  int      `json:"innerWidth"`
	ClientWidth int      `json:"clientWidth"`
	Nav         mgRect   `json:"nav"`
	Content     mgRect   `json:"content"`
	Wide        []string `json:"wide"`    // elements that stick out on the right
	NavRows     int      `json:"navRows"` // distinct rows the navigation's entries sit on
}

type mgRect struct {
	Top    float64 `json:"top"`
	Bottom float64 `json:"bottom"`
	Left   float64 `json:"left"`
	Right  float64 `json:"right"`
}

const mgLayoutJS = `(() => {
	const de = document.documentElement;
	const rect = sel => {
		const el = document.querySelector(sel);
		if (!el) return {top: -1, bottom: -1, left: -1, right: -1};
		const r = el.getBoundingClientRect();
		return {top: r.top, bottom: r.bottom, left: r.left, right: r.right};
	};
	const wide = [];
	for (const el of document.querySelectorAll("body *")) {
		const r = el.getBoundingClientRect();
		if (r.width > 0 && r.right > de.clientWidth + 0.5) {
			let name = el.tagName.toLowerCase();
			if (el.id) name += "#" + el.id;
			if (typeof el.className === "string" && el.className.trim()) name += "." + el.className.trim().split(/\s+/).join(".");
			wide.push(name + " right=" + Math.round(r.right));
		}
	}
	return {scrollWidth: de.scrollWidth, innerWidth: window.innerWidth, clientWidth: de.clientWidth,
		nav: rect("nav.manage-nav"), content: rect("section.manage-content"), wide: wide.slice(0, 10),
		navRows: new Set([...document.querySelectorAll("nav.manage-nav li")].map(li => Math.round(li.getBoundingClientRect().top))).size};
})()`

// TestBrowserManageLayout registers with a long address in chromium, then
// renders the profile, sessions and change-password pages at a phone and a
// desktop width: no sideways scrolling, the navigation above the content
// on the phone and beside it on the desktop. Full-page screenshots go to
// tests/artifacts/manage-<page>-<width>.png.
func TestBrowserManageLayout(t *testing.T) {
	t.Parallel()
	b := newBrowser(t) // first: skips before the server starts
	srv := portaltest.NewServer(t, noConfirmation)
	const (
		email    = "alexandra.konstantinopoulou@example-company.com"
		password = "correct horse battery staple"
	)

	b.Navigate(srv.URL + "/account/register")
	b.WaitVisible("form#register-form")
	b.SubmitRegister(email, password)
	b.WaitVisible("[data-testid=signed-in-as]")

	pages := []struct{ name, path, ready string }{
		{"profile", "/account/manage", "form#profile-form"},
		{"sessions", "/account/manage/sessions", "#session-list"},
		{"change-password", "/account/manage/change-password", "form#change-password-form"},
	}
	for _, w := range []int64{375, 1280} {
		b.Do("set the viewport", chromedp.EmulateViewport(w, 800))
		for _, pg := range pages {
			b.Navigate(srv.URL + pg.path)
			b.WaitVisible(pg.ready)
			if got := b.Path(); got != pg.path {
				t.Fatalf("%s at %d: the browser is on %q, want %q", pg.name, w, got, pg.path)
			}
			m := Eval[mgLayout](b, mgLayoutJS)
			t.Logf("%s at %d: scrollWidth=%d innerWidth=%d nav=%+v content=%+v", pg.name, w, m.ScrollWidth, m.InnerWidth, m.Nav, m.Content)
			if m.InnerWidth != int(w) {
				t.Fatalf("%s at %d: window.innerWidth=%d (viewport emulation failed)", pg.name, w, m.InnerWidth)
			}
			if !Eval[bool](b, `document.documentElement.scrollWidth <= window.innerWidth`) || m.ScrollWidth > m.ClientWidth {
				t.Errorf("%s at %d: the page scrolls sideways: scrollWidth=%d innerWidth=%d clientWidth=%d; wide elements: %v",
					pg.name, w, m.ScrollWidth, m.InnerWidth, m.ClientWidth, m.Wide)
			}
			if m.Nav.Bottom < 0 || m.Content.Bottom < 0 {
				t.Fatalf("%s at %d: no nav.manage-nav or section.manage-content", pg.name, w)
			}
			if w < 640 {
				if m.Nav.Bottom > m.Content.Top+0.5 {
					t.Errorf("%s at %d: the navigation is not above the content: nav bottom %.1f > content top %.1f", pg.name, w, m.Nav.Bottom, m.Content.Top)
				}
				// Issue 18 item 14: one row of tabs, the content on the
				// first screen.
				if m.NavRows != 1 {
					t.Errorf("%s at %d: the navigation takes %d rows, want 1 (scrolling sideways)", pg.name, w, m.NavRows)
				}
				if m.Content.Top > 400 {
					t.Errorf("%s at %d: the content starts at %.0f px, want it high on the first screen", pg.name, w, m.Content.Top)
				}
			} else if m.Nav.Right > m.Content.Left+0.5 || m.Nav.Top > m.Content.Bottom {
				t.Errorf("%s at %d: the navigation is not beside the content: nav right %.1f > content left %.1f", pg.name, w, m.Nav.Right, m.Content.Left)
			}
			b.SaveFullScreenshot(fmt.Sprintf("manage-%s-%d.png", pg.name, w))
		}
	}
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("the manage pages wrote %d errors to the console:\n%s", len(errs), b.consoleText())
	}
}
