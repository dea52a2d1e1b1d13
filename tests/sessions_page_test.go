package tests

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/accountportal/portal/internal/portaltest"
)

// This file: the sessions page /account/manage/sessions (SES-04, SES-02,
// ACC-03, AUTH-06).

// User agents of three browsers, and how the sessions page names them.
const (
	mgUAFirefoxLinux = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
	mgUASafariIPhone = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1"
	mgUAChromeWin    = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36"

	mgFirefoxLinux = "Firefox on Linux"
	mgSafariIOS    = "Safari on iOS"
	mgChromeWin    = "Chrome on Windows"
)

// mgSignInAs signs a new client with user agent ua in as email.
func mgSignInAs(t testing.TB, srv *portaltest.Server, ua, email, password string) *portaltest.Client {
	t.Helper()
	c := portaltest.NewClient(t, srv).WithHeader("User-Agent", ua)
	portaltest.WantRedirect(t, c.Login(email, password, false), "/")
	return c
}

// mgSession is one entry of the sessions page.
type mgSession struct {
	ID      string // the session_id of its end form; "" for this device
	Device  string
	Current bool
	Text    string // the whole entry's text, whitespace collapsed
}

// mgSessions reads the sessions page of c.
func mgSessions(t testing.TB, c *portaltest.Client) (*portaltest.Page, []mgSession) {
	t.Helper()
	p := c.Get("/account/manage/sessions")
	portaltest.WantStatus(t, p, http.StatusOK)
	var out []mgSession
	p.Doc(t).Find("[data-testid=session]").Each(func(_ int, s *goquery.Selection) {
		out = append(out, mgSession{
			ID:      s.Find("input[name=session_id]").AttrOr("value", ""),
			Device:  strings.TrimSpace(s.Find(".session-device").Text()),
			Current: s.Find("[data-testid=current-session]").Length() > 0,
			Text:    strings.Join(strings.Fields(s.Text()), " "),
		})
	})
	return p, out
}

// mgSessionOn returns the entry for device, failing the test if there is
// not exactly one.
func mgSessionOn(t testing.TB, list []mgSession, device string) mgSession {
	t.Helper()
	var found []mgSession
	for _, s := range list {
		if s.Device == device {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d sessions on %q, want 1: %+v", len(found), device, list)
	}
	return found[0]
}

// mgEndSession posts session_id to /account/manage/sessions/end from c.
func mgEndSession(t testing.TB, c *portaltest.Client, sessionID string) *portaltest.Page {
	t.Helper()
	return c.PostFrom("/account/manage/sessions", "/account/manage/sessions/end", url.Values{"session_id": {sessionID}})
}

// mgAccount registers and confirms an account without leaving any
// session signed in (Server.SignedUp leaves one).
func mgAccount(t testing.TB, srv *portaltest.Server, email, password string) {
	t.Helper()
	c := portaltest.NewClient(t, srv)
	c.Register(email, password)
	if srv.Config.RequireConfirmedEmail {
		c.ConfirmEmail(email)
		return
	}
	c.Logout()
}

// mgThreeBrowsers signs alice in from Firefox on Linux (a), Safari on
// iOS (b) and Chrome on Windows (c).
func mgThreeBrowsers(t testing.TB, srv *portaltest.Server) (a, b, c *portaltest.Client) {
	t.Helper()
	const email = "alice@example.com"
	mgAccount(t, srv, email, mgPassword)
	a = mgSignInAs(t, srv, mgUAFirefoxLinux, email, mgPassword)
	b = mgSignInAs(t, srv, mgUASafariIPhone, email, mgPassword)
	c = mgSignInAs(t, srv, mgUAChromeWin, email, mgPassword)
	return a, b, c
}

// TestSessionsPageLists (SES-04, AUTH-06): the page lists every session of
// the user with a readable device, the IP, when it signed in and when it
// was last active, marks exactly one as this device, and shows opaque
// handles, not session tokens.
func TestSessionsPageLists(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	signedInAt := srv.Clock.Now()
	a, b, c := mgThreeBrowsers(t, srv)
	other := srv.SignedUp(t, "bob@example.com", mgPassword) // another user's session is not listed

	srv.Clock.Advance(5 * time.Minute)
	portaltest.WantStatus(t, b.Get("/account/manage"), http.StatusOK) // b is active again; c is not
	activeAt := srv.Clock.Now()
	srv.Clock.Advance(time.Minute) // a's request below is the latest

	p, list := mgSessions(t, a)
	if got, want := len(list), 3; got != want {
		t.Fatalf("%d [data-testid=session], want %d: %+v", got, want, list)
	}
	if got := p.Doc(t).Find("[data-testid=current-session]").Length(); got != 1 {
		t.Errorf("%d [data-testid=current-session], want exactly 1", got)
	}
	cur := mgSessionOn(t, list, mgFirefoxLinux)
	if !cur.Current {
		t.Errorf("this device (Firefox on Linux) is not marked current: %+v", list)
	}
	if cur.ID != "" {
		t.Errorf("this device's entry has an end-session form; signing out is the sign-out button")
	}
	safari, chrome := mgSessionOn(t, list, mgSafariIOS), mgSessionOn(t, list, mgChromeWin)
	for _, s := range []mgSession{safari, chrome} {
		if s.Current {
			t.Errorf("%s is marked as this device", s.Device)
		}
		if s.ID == "" {
			t.Errorf("%s has no end-session form", s.Device)
		}
	}
	if safari.ID == chrome.ID {
		t.Errorf("two sessions share the id %q", safari.ID)
	}
	var order []string
	for _, s := range list {
		order = append(order, s.Device)
	}
	if got, want := strings.Join(order, ", "), strings.Join([]string{mgFirefoxLinux, mgSafariIOS, mgChromeWin}, ", "); got != want {
		t.Errorf("order=%s, want the most recently active first: %s", got, want)
	}
	signedIn := "signed in " + signedInAt.UTC().Format("2 Jan 2006 15:04")
	for _, s := range list {
		if !strings.Contains(s.Text, "127.0.0.1") {
			t.Errorf("%s: no IP in %q", s.Device, s.Text)
		}
		if !strings.Contains(s.Text, signedIn) {
			t.Errorf("%s: %q lacks %q", s.Device, s.Text, signedIn)
		}
	}
	// Within the last day, how long ago (issue 18 item 9).
	now := srv.Clock.Now()
	ago := func(at time.Time) string {
		m := int(now.Sub(at) / time.Minute)
		if m == 1 {
			return "last active 1 minute ago"
		}
		return fmt.Sprintf("last active %d minutes ago", m)
	}
	if want := ago(activeAt); !strings.Contains(safari.Text, want) {
		t.Errorf("Safari entry %q lacks %q (its last request)", safari.Text, want)
	}
	if want := ago(signedInAt); !strings.Contains(chrome.Text, want) {
		t.Errorf("Chrome entry %q lacks %q (idle since sign-in)", chrome.Text, want)
	}
	if !p.Has(t, "#end-others-form") {
		t.Errorf("no #end-others-form with 3 sessions")
	}

	// AUTH-06: the handles are not the session tokens, and no token is on
	// the page.
	for _, cl := range []*portaltest.Client{a, b, c, other} {
		tok := cl.Cookie(portaltest.SessionCookie)
		if tok == "" {
			t.Fatalf("a client has no session cookie")
		}
		if strings.Contains(p.Body, tok) {
			t.Errorf("AUTH-06: the sessions page contains a session token")
		}
		for _, s := range list {
			if s.ID == tok {
				t.Errorf("AUTH-06: the handle of %s is a session token", s.Device)
			}
		}
	}
	for _, s := range []mgSession{safari, chrome} {
		if len(s.ID) < 22 {
			t.Errorf("handle %q of %s is shorter than 128 bits", s.ID, s.Device)
		}
	}

	// Bob's page lists bob only.
	_, bobs := mgSessions(t, other)
	if len(bobs) != 1 || !bobs[0].Current {
		t.Errorf("bob's sessions page=%+v, want only his own current session", bobs)
	}
}

// TestSessionsPageEndOne (SES-04): ending one session signs that browser
// out at its next request; the others stay.
func TestSessionsPageEndOne(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	a, b, c := mgThreeBrowsers(t, srv)

	_, list := mgSessions(t, a)
	p := mgEndSession(t, a, mgSessionOn(t, list, mgSafariIOS).ID)
	portaltest.WantRedirect(t, p, "/account/manage/sessions")
	p = a.Follow(p)
	portaltest.WantStatusMessage(t, p)

	if b.SignedIn() {
		t.Errorf("the ended session (Safari on iOS) is still signed in")
	}
	if !a.SignedIn() || !c.SignedIn() {
		t.Errorf("ending one session signed another out")
	}
	_, list = mgSessions(t, a)
	if got, want := len(list), 2; got != want {
		t.Fatalf("%d sessions after ending one, want %d: %+v", got, want, list)
	}
	for _, s := range list {
		if s.Device == mgSafariIOS {
			t.Errorf("the ended session is still listed")
		}
	}
	// Ending it again: it is gone.
	portaltest.WantStatus(t, mgEndSession(t, a, mgSessionOn(t, list, mgChromeWin).ID), http.StatusSeeOther)
	_, list = mgSessions(t, a)
	if len(list) != 1 || !list[0].Current {
		t.Errorf("sessions=%+v, want only this one", list)
	}
	if p := a.Get("/account/manage/sessions"); p.Has(t, "#end-others-form") {
		t.Errorf("#end-others-form shown with a single session")
	}
}

// TestSessionsPageEndOthers (SES-04): "sign out every other session"
// leaves only this one.
func TestSessionsPageEndOthers(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	a, b, c := mgThreeBrowsers(t, srv)
	other := srv.SignedUp(t, "bob@example.com", mgPassword)
	before := a.Cookie(portaltest.SessionCookie)

	p := a.Submit("/account/manage/sessions", "#end-others-form", nil)
	portaltest.WantRedirect(t, p, "/account/manage/sessions")
	portaltest.WantStatusMessage(t, a.Follow(p))
	if b.SignedIn() || c.SignedIn() {
		t.Errorf("end-others left another session signed in")
	}
	if !a.SignedIn() {
		t.Fatalf("end-others signed this browser out")
	}
	if !other.SignedIn() {
		t.Errorf("end-others signed another user out")
	}
	if got := a.Cookie(portaltest.SessionCookie); got == "" {
		t.Errorf("this browser lost its session cookie (before %q)", before)
	}
	_, list := mgSessions(t, a)
	if len(list) != 1 || !list[0].Current || list[0].Device != mgFirefoxLinux {
		t.Errorf("sessions after end-others=%+v, want only this device", list)
	}
}

// TestSessionsPageOtherUsersSession (ACC-03, SES-04): user X posting user
// Y's session id, a made-up id or none gets 404 and ends nothing.
func TestSessionsPageOtherUsersSession(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const yEmail = "yvonne@example.com"
	x := srv.SignedUp(t, "xavier@example.com", mgPassword)
	mgAccount(t, srv, yEmail, mgPassword)
	y1 := mgSignInAs(t, srv, mgUAFirefoxLinux, yEmail, mgPassword)
	y2 := mgSignInAs(t, srv, mgUASafariIPhone, yEmail, mgPassword)

	_, ys := mgSessions(t, y1)
	yID := mgSessionOn(t, ys, mgSafariIOS).ID // y2's handle, read from Y's own page
	if yID == "" {
		t.Fatalf("no handle for Y's second session: %+v", ys)
	}

	for _, tc := range []struct{ name, id string }{
		{"another user's session", yID},
		{"made-up id", "AAAAAAAAAAAAAAAAAAAAAA"},
		{"empty id", ""},
	} {
		p := mgEndSession(t, x, tc.id)
		if got, want := p.Status, http.StatusNotFound; got != want {
			t.Errorf("%s: status=%d, want %d (Location %q)", tc.name, got, want, p.Location())
		}
	}
	if !y2.SignedIn() || !y1.SignedIn() {
		t.Errorf("ACC-03: X's request ended one of Y's sessions")
	}
	if _, ys := mgSessions(t, y1); len(ys) != 2 {
		t.Errorf("Y has %d sessions, want 2", len(ys))
	}
	if !x.SignedIn() {
		t.Errorf("X was signed out")
	}
}

// TestSessionsPageEndCurrent (SES-04, SES-01): ending this browser's own
// session (its handle read from another browser's page) signs it out.
func TestSessionsPageEndCurrent(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	a, b, _ := mgThreeBrowsers(t, srv)

	_, fromB := mgSessions(t, b)
	aID := mgSessionOn(t, fromB, mgFirefoxLinux).ID
	old := a.Cookie(portaltest.SessionCookie)
	p := mgEndSession(t, a, aID)
	portaltest.WantStatus(t, p, http.StatusSeeOther)
	if a.SignedIn() {
		t.Errorf("ending its own session left the browser signed in")
	}
	replay := portaltest.NewClient(t, srv)
	replay.SetCookie(portaltest.SessionCookie, old)
	portaltest.WantLoginRedirect(t, replay.Get("/account/manage"), "/account/manage")
	if !b.SignedIn() {
		t.Errorf("ending A's own session signed B out")
	}
	if _, list := mgSessions(t, b); len(list) != 2 {
		t.Errorf("B sees %d sessions, want 2", len(list))
	}
}

// TestSessionsPageIdleSessionDisappears (SES-02): a session idle for more
// than 30 minutes is over: not listed, and signed out.
func TestSessionsPageIdleSessionDisappears(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	a, b, c := mgThreeBrowsers(t, srv)

	srv.Clock.Advance(16 * time.Minute)
	portaltest.WantStatus(t, a.Get("/account/manage"), http.StatusOK)
	portaltest.WantStatus(t, b.Get("/account/manage"), http.StatusOK)
	srv.Clock.Advance(15 * time.Minute) // c: 31 min idle

	_, list := mgSessions(t, a)
	if got, want := len(list), 2; got != want {
		t.Fatalf("%d sessions listed, want %d (the idle one gone): %+v", got, want, list)
	}
	for _, s := range list {
		if s.Device == mgChromeWin {
			t.Errorf("the idle session is still listed")
		}
	}
	if c.SignedIn() {
		t.Errorf("the idle session is still signed in")
	}
}
