package tests

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/internal/portaltest"
)

// timeZone emulates the browser's time zone (an IANA name).
func timeZone(zone string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: zone})
		return err
	})
}

// TestBrowserTimeZone (issue 18 item 9): in chromium set to Tokyo,
// /static/timezone.js tells Portal the zone (under the CSP, no console
// error), and the security history shows its times in JST; a zone chosen
// on the profile then wins over the browser's, also after more pages ran
// the script.
func TestBrowserTimeZone(t *testing.T) {
	b := newBrowser(t) // first: skips before the server starts
	srv := portaltest.NewServer(t, func(c *portal.Config) { c.RequireConfirmedEmail = false })
	b.Do("emulate Tokyo", timeZone("Asia/Tokyo"))

	b.Navigate(srv.URL + "/account/register")
	b.WaitVisible("form#register-form")
	b.SubmitRegister("tz.browser@example.com", "correct horse battery staple")
	b.WaitVisible("[data-testid=signed-in-as]")

	b.Navigate(srv.URL + "/account/manage/security")
	b.WaitVisible("main time")
	if got := b.Text("main time"); !strings.HasSuffix(got, "JST") {
		t.Fatalf("security history in a Tokyo browser: %q, want a time in JST", got)
	}
	if ck := Eval[string](b, "document.cookie"); !strings.Contains(ck, "portal_tz=~Asia%2FTokyo") {
		t.Fatalf("document.cookie=%q, want the script's portal_tz=~Asia%%2FTokyo", ck)
	}

	// Chosen on the profile: Berlin, whatever the browser says.
	b.Navigate(srv.URL + "/account/manage")
	b.WaitVisible("form#profile-form")
	b.Do("choose Europe/Berlin",
		chromedp.SendKeys(chromedp.CSS("#f-time_zone"), "Europe/Berlin"),
		chromedp.Click(chromedp.CSS("#update-profile-button")),
	)
	b.WaitVisible("#status-message")
	for range 2 { // the script runs on every page: it must not take the choice back
		b.Navigate(srv.URL + "/account/manage/security")
		b.WaitVisible("main time")
	}
	if got := b.Text("main time"); !strings.HasSuffix(got, "CET") && !strings.HasSuffix(got, "CEST") {
		t.Fatalf("security history after choosing Europe/Berlin: %q, want CET/CEST", got)
	}
	for _, m := range b.ConsoleErrors() {
		t.Errorf("console error: %+v", m)
	}
}
