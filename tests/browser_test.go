package tests

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/internal/portaltest"
)

// TestBrowserRegisterLoginLogout drives the account pages with a real
// chromium: register through the form (which signs in when confirmed email
// is not required), sign out with the header button, sign in again through
// the login form.
func TestBrowserRegisterLoginLogout(t *testing.T) {
	b := newBrowser(t) // first: skips before the server starts
	srv := portaltest.NewServer(t, func(c *portal.Config) { c.RequireConfirmedEmail = false })

	const (
		email    = "browser.user@example.com"
		password = "correct horse battery staple"
	)

	// Register.
	b.Navigate(srv.URL + "/account/register")
	b.WaitVisible("form#register-form")
	if got := b.Count("[data-testid=signed-in-as]") + b.Count("button[data-testid=logout-button]"); got != 0 {
		t.Fatalf("register page shows %d signed-in elements before registering", got)
	}
	b.SubmitRegister(email, password)

	// Registered and signed in: the home page shows the address.
	b.WaitVisible("[data-testid=signed-in-as]")
	if got := b.Path(); got != "/" {
		t.Fatalf("after registering, the browser is on %q, want /", got)
	}
	if got := b.Text("[data-testid=signed-in-as]"); got != email {
		t.Fatalf("home page: signed in as %q, want %q", got, email)
	}
	if got := b.Count("button[data-testid=logout-button]"); got != 1 {
		t.Fatalf("home page: %d logout buttons in the header, want 1", got)
	}

	// Sign out with the header button: POST /account/logout redirects to
	// GET /account/logout, which tells an anonymous visitor they signed out.
	b.Do("click Sign out", chromedp.Click(chromedp.CSS("header button[data-testid=logout-button]")))
	b.WaitVisible("[data-testid=signed-out]")
	if got := b.Path(); got != "/account/logout" {
		t.Fatalf("after signing out, the browser is on %q, want /account/logout", got)
	}
	if got, want := b.Text("[data-testid=signed-out]"), "You have signed out."; got != want {
		t.Fatalf("logout page says %q, want %q", got, want)
	}
	if got := b.Count("button[data-testid=logout-button]"); got != 0 {
		t.Fatalf("logout page: %d logout buttons in the header after signing out, want 0", got)
	}

	// The session is really gone: the home page is anonymous.
	b.Navigate(srv.URL + "/")
	b.WaitVisible("main h1")
	if got := b.Count("[data-testid=signed-in-as]"); got != 0 {
		t.Fatalf("home page after signing out still shows signed-in-as %q", b.Text("[data-testid=signed-in-as]"))
	}
	if got := b.Text("main h1"); !strings.HasPrefix(got, "Welcome to ") {
		t.Fatalf("home page heading after signing out = %q, want the anonymous welcome", got)
	}

	// Sign in again through the login form.
	b.Navigate(srv.URL + "/account/login")
	b.WaitVisible("form#login-form")
	b.Do("fill and submit the login form",
		chromedp.SendKeys(chromedp.CSS("#f-email"), email),
		chromedp.SendKeys(chromedp.CSS("#f-password"), password),
		chromedp.Click(chromedp.CSS("button#login-submit")),
	)
	b.WaitVisible("[data-testid=signed-in-as]")
	if got := b.Path(); got != "/" {
		t.Fatalf("after signing in, the browser is on %q, want /", got)
	}
	if got := b.Text("[data-testid=signed-in-as]"); got != email {
		t.Fatalf("home page after signing in: signed in as %q, want %q", got, email)
	}

	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("the pages wrote %d errors to the console:\n%s", len(errs), b.consoleText())
	}
}

// layoutMetrics is what the layout check reads from the page.
type layoutMetrics struct {
	ScrollWidth  int      `json:"scrollWidth"`
	InnerWidth   int      `json:"innerWidth"`
	ClientWidth  int      `json:"clientWidth"`
	ScrollHeight int      `json:"scrollHeight"`
	Wide         []string `json:"wide"` // elements that stick out on the right
}

const layoutMetricsJS = `(() => {
	const de = document.documentElement;
	const cw = de.clientWidth;
	const wide = [];
	for (const el of document.querySelectorAll("body *")) {
		const r = el.getBoundingClientRect();
		if (r.width > 0 && r.right > cw + 0.5) {
			let name = el.tagName.toLowerCase();
			if (el.id) name += "#" + el.id;
			if (typeof el.className === "string" && el.className.trim()) name += "." + el.className.trim().split(/\s+/).join(".");
			wide.push(name + " right=" + Math.round(r.right));
		}
	}
	return {scrollWidth: de.scrollWidth, innerWidth: window.innerWidth, clientWidth: cw,
		scrollHeight: de.scrollHeight, wide: wide.slice(0, 10)};
})()`

// TestBrowserRegisterPageLayout renders the register page at a phone and a
// desktop width, saves full-page screenshots to tests/artifacts/, and checks
// that the page does not scroll sideways.
func TestBrowserRegisterPageLayout(t *testing.T) {
	b := newBrowser(t)
	srv := portaltest.NewServer(t)

	for _, vp := range []struct{ w, h int64 }{{375, 800}, {1280, 800}} {
		name := fmt.Sprintf("register-%dx%d.png", vp.w, vp.h)
		b.Do("set the viewport", chromedp.EmulateViewport(vp.w, vp.h))
		b.Navigate(srv.URL + "/account/register")
		b.WaitVisible("form#register-form")
		b.WaitVisible("button#register-submit")

		if !Eval[bool](b, `document.styleSheets.length > 0 && document.styleSheets[0].cssRules.length > 0`) {
			t.Errorf("%dx%d: the stylesheet did not load", vp.w, vp.h)
		}

		m := Eval[layoutMetrics](b, layoutMetricsJS)
		t.Logf("%dx%d: scrollWidth=%d innerWidth=%d clientWidth=%d scrollHeight=%d",
			vp.w, vp.h, m.ScrollWidth, m.InnerWidth, m.ClientWidth, m.ScrollHeight)
		if m.InnerWidth != int(vp.w) {
			t.Fatalf("%dx%d: window.innerWidth=%d, want %d (viewport emulation failed)", vp.w, vp.h, m.InnerWidth, vp.w)
		}
		if !Eval[bool](b, `document.documentElement.scrollWidth <= window.innerWidth`) {
			t.Errorf("%dx%d: the page scrolls horizontally: scrollWidth=%d > innerWidth=%d; wide elements: %v",
				vp.w, vp.h, m.ScrollWidth, m.InnerWidth, m.Wide)
		}
		// Stricter: a vertical scrollbar takes width from the viewport,
		// and content wider than what is left scrolls too.
		if m.ScrollWidth > m.ClientWidth {
			t.Errorf("%dx%d: the page scrolls horizontally: scrollWidth=%d > clientWidth=%d; wide elements: %v",
				vp.w, vp.h, m.ScrollWidth, m.ClientWidth, m.Wide)
		}

		w, h := b.SaveFullScreenshot(name)
		if w != int(vp.w) {
			t.Errorf("%s: width %d px, want %d", name, w, vp.w)
		}
		if h < m.ScrollHeight {
			t.Errorf("%s: height %d px, want the full page height %d", name, h, m.ScrollHeight)
		}
	}

	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("the register page wrote %d errors to the console:\n%s", len(errs), b.consoleText())
	}
}
