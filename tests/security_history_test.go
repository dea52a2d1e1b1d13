package tests

// End-to-end tests of the security timeline (/account/manage/security),
// "This wasn't me", and the security-event log lines (LOG-01,
// LOG-02, SES-03, ACC-03). Helpers start with "pd" (see
// personal_data_test.go).

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/accountportal/portal/internal/portaltest"
)

const (
	pdSecurityPath = "/account/manage/security"
	pdNotMePath    = "/account/manage/security/not-me"
)

// pdTwoBrowsers registers email from Firefox on Linux (a), confirms it
// and signs in there, then signs in from Chrome on Windows (b).
func pdTwoBrowsers(t testing.TB, srv *portaltest.Server, email string) (a, b *portaltest.Client) {
	t.Helper()
	a = portaltest.NewClient(t, srv).WithHeader("User-Agent", mgUAFirefoxLinux)
	a.Register(email, pdPassword)
	a.ConfirmEmail(email)
	portaltest.WantRedirect(t, a.Login(email, pdPassword, false), "/")
	b = portaltest.NewClient(t, srv).WithHeader("User-Agent", mgUAChromeWin)
	portaltest.WantRedirect(t, b.Login(email, pdPassword, false), "/")
	return a, b
}

// pdEvent is one entry of the security page.
type pdEvent struct {
	Kind    string
	Text    string // the readable sentence
	EventID string // the event_id of its "This wasn't me" form, or ""
}

// pdEvents reads the entries of a security page, top first.
func pdEvents(t testing.TB, p *portaltest.Page) []pdEvent {
	t.Helper()
	var out []pdEvent
	p.Doc(t).Find("li[data-testid=security-event]").Each(func(_ int, s *goquery.Selection) {
		out = append(out, pdEvent{
			Kind:    s.AttrOr("data-kind", ""),
			Text:    strings.Join(strings.Fields(s.Find(".event-text").Text()), " "),
			EventID: pdNotMeEventID(s.Find(`a[data-testid=not-me]`).AttrOr("href", "")),
		})
	})
	return out
}

// pdNotMeEventID is the event_id of a "This wasn't me" link (to its
// confirmation page), or "".
func pdNotMeEventID(href string) string {
	u, err := url.Parse(href)
	if err != nil || !strings.HasSuffix(u.Path, pdNotMePath) {
		return ""
	}
	return u.Query().Get("event_id")
}

// pdKinds is the data-kind sequence of a security page, top first.
func pdKinds(t testing.TB, p *portaltest.Page) []string {
	t.Helper()
	var out []string
	for _, e := range pdEvents(t, p) {
		out = append(out, e.Kind)
	}
	return out
}

// pdSecurity GETs the security page (page n, or the first when n is 0).
func pdSecurity(t testing.TB, c *portaltest.Client, n int) *portaltest.Page {
	t.Helper()
	path := pdSecurityPath
	if n > 0 {
		path += "?page=" + strconv.Itoa(n)
	}
	p := c.Get(path)
	portaltest.WantStatus(t, p, http.StatusOK)
	return p
}

// pdLogout presses c's sign-out button.
func pdLogout(t testing.TB, c *portaltest.Client) {
	t.Helper()
	p := c.Get("/account/manage")
	portaltest.WantStatus(t, p, http.StatusOK)
	f := p.Form(t, logoutForm)
	portaltest.WantStatus(t, c.Post(f.Action, f.Values), http.StatusSeeOther)
}

// pdNotMe posts "This wasn't me" for eventID from c, with c's CSRF token.
func pdNotMe(t testing.TB, c *portaltest.Client, eventID string) *portaltest.Page {
	t.Helper()
	csrf := pdSecurity(t, c, 0).CSRF(t)
	return c.Post(pdNotMePath, url.Values{"_csrf": {csrf}, "event_id": {eventID}})
}

// TestSecurityHistoryTimeline (LOG-01): a scripted session — register and
// confirm, sign in from Firefox on Linux, a wrong password from another
// browser, sign out, sign in again — shows up newest first with readable
// entries, and only sign-ins get a "This wasn't me" button.
func TestSecurityHistoryTimeline(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "alice@example.com"
	portaltest.WantLoginRedirect(t, portaltest.NewClient(t, srv).Get(pdSecurityPath), pdSecurityPath)

	c := portaltest.NewClient(t, srv).WithHeader("User-Agent", mgUAFirefoxLinux)
	c.Register(email, pdPassword)
	c.ConfirmEmail(email)
	portaltest.WantRedirect(t, c.Login(email, pdPassword, false), "/")
	wantInvalidLogin(t, portaltest.NewClient(t, srv).WithHeader("User-Agent", mgUAFirefoxLinux).Login(email, "wrong horse battery", false))
	pdLogout(t, c)
	portaltest.WantRedirect(t, c.Login(email, pdPassword, false), "/")

	p := pdSecurity(t, c, 0)
	events := pdEvents(t, p)
	got := pdKinds(t, p)
	want := []string{"login", "logout", "login_failed", "login", "email_confirmed", "register"}
	if !slices.Equal(got, want) {
		t.Fatalf("timeline kinds=%q, want %q (newest first)", got, want)
	}
	wantText := map[int]string{
		0: "New sign-in from Firefox on Linux, 127.0.0.1",
		1: "Signed out on Firefox on Linux",
		2: "Failed sign-in from Firefox on Linux, 127.0.0.1",
		3: "New sign-in from Firefox on Linux, 127.0.0.1",
		5: "Account created from Firefox on Linux, 127.0.0.1",
	}
	for i, w := range wantText {
		if events[i].Text != w {
			t.Errorf("entry %d (%s) text=%q, want %q", i, events[i].Kind, events[i].Text, w)
		}
	}
	// Every sign-in but this session's own offers "This wasn't me"
	// (issue 18 item 7).
	for i, e := range events {
		if got, want := e.EventID != "", e.Kind == "login" && i != 0; got != want {
			t.Errorf("entry %d (%s): has a \"This wasn't me\" link=%v, want %v", i, e.Kind, got, want)
		}
	}
	if p.Has(t, "a#next-page") {
		t.Errorf("a#next-page on a timeline of %d entries", len(events))
	}
	// Each entry has a machine-readable time.
	if n := p.Doc(t).Find("li[data-testid=security-event] time[datetime]").Length(); n != len(events) {
		t.Errorf("%d entries with time[datetime], want %d", n, len(events))
	}
}

// TestSecurityHistoryPagination: 20 entries a page, newest first, with
// a#next-page "Older" while older entries remain.
func TestSecurityHistoryPagination(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "alice@example.com"
	c := srv.SignedUp(t, email, pdPassword) // register, email_confirmed, login
	for range 9 {
		pdLogout(t, c)
		portaltest.WantRedirect(t, c.Login(email, pdPassword, false), "/")
	}
	// 3 + 9*2 = 21 events: logout/login pairs on top, then the first three.

	p1 := pdSecurity(t, c, 0)
	k1 := pdKinds(t, p1)
	if got, want := len(k1), 20; got != want {
		t.Fatalf("page 1 has %d entries, want %d: %q", got, want, k1)
	}
	for i, k := range k1[:18] {
		if want := []string{"login", "logout"}[i%2]; k != want {
			t.Fatalf("page 1 kinds=%q, want alternating login/logout from the top", k1)
		}
	}
	if got, want := k1[18:], []string{"login", "email_confirmed"}; !slices.Equal(got, want) {
		t.Errorf("page 1 ends with %q, want %q", got, want)
	}
	next := p1.Doc(t).Find("a#next-page")
	if next.Length() != 1 {
		t.Fatalf("page 1 has no a#next-page:\n%s", p1.Body)
	}
	if got, want := next.AttrOr("href", ""), pdSecurityPath+"?page=2"; got != want {
		t.Errorf("a#next-page href=%q, want %q", got, want)
	}
	if got, want := strings.TrimSpace(next.Text()), "Older"; got != want {
		t.Errorf("a#next-page text=%q, want %q", got, want)
	}
	if got := pdKinds(t, pdSecurity(t, c, 1)); !slices.Equal(got, k1) {
		t.Errorf("?page=1 kinds=%q, want the first page's %q", got, k1)
	}

	p2 := c.Get(next.AttrOr("href", ""))
	portaltest.WantStatus(t, p2, http.StatusOK)
	if got, want := pdKinds(t, p2), []string{"register"}; !slices.Equal(got, want) {
		t.Errorf("page 2 kinds=%q, want %q", got, want)
	}
	if p2.Has(t, "a#next-page") {
		t.Errorf("a#next-page on the last page")
	}
	if got := pdKinds(t, pdSecurity(t, c, 3)); len(got) != 0 {
		t.Errorf("page 3 kinds=%q, want none", got)
	}
}

// TestSecurityHistoryNotMe (SES-03): "This wasn't me" on another browser's
// sign-in ends every other session at once, keeps this one under a new
// token, records a not_me event and sends the user to change the password.
func TestSecurityHistoryNotMe(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "alice@example.com"
	a, b := pdTwoBrowsers(t, srv, email)
	db := srv.GrayDB(t, false)
	id := srv.UserID(t, email)
	stamp := pdScalar[string](t, db, `SELECT security_stamp FROM users WHERE id = ?`, id)

	var bSignIn string
	for _, e := range pdEvents(t, pdSecurity(t, a, 0)) {
		if e.Kind == "login" && strings.Contains(e.Text, "Chrome on Windows") {
			bSignIn = e.EventID
			break
		}
	}
	if bSignIn == "" {
		t.Fatal("no \"This wasn't me\" form on B's sign-in (Chrome on Windows)")
	}
	before := a.Cookie(portaltest.SessionCookie)

	p := pdNotMe(t, a, bSignIn)
	portaltest.WantRedirect(t, p, "/account/manage/change-password")
	if after := a.Cookie(portaltest.SessionCookie); after == "" || after == before {
		t.Errorf("A's session token after not-me=%q, want a new one (was %q)", after, before)
	}
	if b.SignedIn() {
		t.Errorf("B is still signed in after \"This wasn't me\"")
	}
	if !a.SignedIn() {
		t.Fatalf("A was signed out by its own \"This wasn't me\"")
	}
	if got := pdScalar[string](t, db, `SELECT security_stamp FROM users WHERE id = ?`, id); got == stamp {
		t.Errorf("security stamp unchanged after not-me")
	}
	if got := a.Get("/account/manage/sessions").Doc(t).Find("[data-testid=session]").Length(); got != 1 {
		t.Errorf("sessions page lists %d sessions after not-me, want 1 (this browser)", got)
	}
	// The sign-in is recent, so the change-password page opens at once.
	portaltest.WantStatus(t, a.Follow(p), http.StatusOK)
	if got := pdKinds(t, pdSecurity(t, a, 0)); len(got) == 0 || got[0] != "not_me" {
		t.Errorf("timeline=%q, want not_me on top", got)
	}
}

// TestSecurityHistoryNotMeOnlyOwnSignIns (ACC-03): another user's event id,
// a non-sign-in event id and garbage are all 404, and nothing ends.
func TestSecurityHistoryNotMeOnlyOwnSignIns(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const alice, mallory = "alice@example.com", "mallory@example.com"
	a1 := srv.SignedUp(t, alice, pdPassword)
	a2 := portaltest.NewClient(t, srv)
	portaltest.WantRedirect(t, a2.Login(alice, pdPassword, false), "/")
	m := srv.SignedUp(t, mallory, pdPassword)
	m2 := portaltest.NewClient(t, srv)
	portaltest.WantRedirect(t, m2.Login(mallory, pdPassword, false), "/")
	pdLogout(t, m2)
	portaltest.WantRedirect(t, m2.Login(mallory, pdPassword, false), "/")

	db := srv.GrayDB(t, false)
	aliceID, malloryID := srv.UserID(t, alice), srv.UserID(t, mallory)
	stampOf := func(id string) string {
		return pdScalar[string](t, db, `SELECT security_stamp FROM users WHERE id = ?`, id)
	}
	aliceStamp, malloryStamp := stampOf(aliceID), stampOf(malloryID)
	aliceKinds := pdKinds(t, pdSecurity(t, a1, 0))

	var aliceSignIn string
	for _, e := range pdEvents(t, pdSecurity(t, a1, 0)) {
		if e.Kind == "login" {
			aliceSignIn = e.EventID
			break
		}
	}
	malloryLogout := strconv.FormatInt(pdScalar[int64](t, db,
		`SELECT id FROM security_events WHERE user_id = ? AND kind = 'logout' ORDER BY id DESC LIMIT 1`, malloryID), 10)
	malloryRegister := strconv.FormatInt(pdScalar[int64](t, db,
		`SELECT id FROM security_events WHERE user_id = ? AND kind = 'register'`, malloryID), 10)
	if aliceSignIn == "" {
		t.Fatal("setup: no sign-in of alice on her security page")
	}

	for name, eventID := range map[string]string{
		"another user's sign-in": aliceSignIn,
		"own logout event":       malloryLogout,
		"own register event":     malloryRegister,
		"no such event":          "999999",
		"not a number":           "abc",
	} {
		t.Run(name, func(t *testing.T) {
			portaltest.WantStatus(t, pdNotMe(t, m, eventID), http.StatusNotFound)
		})
	}

	for name, c := range map[string]*portaltest.Client{"alice 1": a1, "alice 2": a2, "mallory 1": m, "mallory 2": m2} {
		if !c.SignedIn() {
			t.Errorf("%s was signed out by a refused not-me", name)
		}
	}
	if stampOf(aliceID) != aliceStamp || stampOf(malloryID) != malloryStamp {
		t.Errorf("a security stamp changed after refused not-me posts")
	}
	if got := pdKinds(t, pdSecurity(t, a1, 0)); !slices.Equal(got, aliceKinds) {
		t.Errorf("alice's timeline changed to %q, want %q", got, aliceKinds)
	}
	if got := pdScalar[int](t, db, `SELECT count(*) FROM security_events WHERE kind = 'not_me'`); got != 0 {
		t.Errorf("%d not_me events after refused posts, want 0", got)
	}
}

// pdLogLines are the slog text lines of kind's security events for userID.
func pdLogLines(log, kind, userID string) []string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, `msg="security event"`) && strings.Contains(l, " event="+kind+" ") &&
			strings.Contains(l, " user="+userID+" ") {
			out = append(out, l)
		}
	}
	return out
}

// TestSecurityEventsLogged (LOG-01): register, confirm, sign in, a wrong
// password, sign out and a reset request each write one "security event"
// line with the user, IP and agent; no line holds the password, the
// session cookie or a mailed token.
func TestSecurityEventsLogged(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email, sentinel = "sentinel@example.com", "Sentinel-7f3c9a-pw"
	c := portaltest.NewClient(t, srv).WithHeader("User-Agent", mgUAFirefoxLinux)
	c.Register(email, sentinel)
	confirmCode := efQuery(t, srv.LastLink(t, email, "", "/account/confirm-email"), "code")
	c.ConfirmEmail(email)
	portaltest.WantRedirect(t, c.Login(email, sentinel, false), "/")
	cookie1 := c.Cookie(portaltest.SessionCookie)
	wantInvalidLogin(t, portaltest.NewClient(t, srv).Login(email, "Sentinel-wrong-pw", false))
	pdLogout(t, c)
	portaltest.WantRedirect(t, c.Login(email, sentinel, false), "/")
	cookie2 := c.Cookie(portaltest.SessionCookie)
	resetCode := efQuery(t, efResetLink(t, srv, email), "code")
	pdLogout(t, c)
	srv.Mails(t) // the mail worker is idle: every line is written

	id := srv.UserID(t, email)
	log := srv.Log.String()
	for kind, n := range map[string]int{"register": 1, "email_confirmed": 1, "login": 2, "login_failed": 1, "logout": 2, "password_reset_requested": 1} {
		lines := pdLogLines(log, kind, id)
		if len(lines) != n {
			t.Errorf("%d %q security event lines for user %s, want %d", len(lines), kind, id, n)
			continue
		}
		for _, l := range lines {
			if !strings.Contains(l, " ip=127.0.0.1") || !strings.Contains(l, "user_agent=") {
				t.Errorf("%s line without ip/user_agent: %s", kind, l)
			}
		}
	}
	for _, l := range pdLogLines(log, "login", id) {
		if !strings.Contains(l, "Firefox") {
			t.Errorf("login line without the browser's agent: %s", l)
		}
	}
	for what, secret := range map[string]string{
		"sentinel password": sentinel, "wrong password": "Sentinel-wrong-pw",
		"session cookie (1st login)": cookie1, "session cookie (2nd login)": cookie2,
		"confirmation code": confirmCode, "reset code": resetCode,
	} {
		if secret == "" {
			t.Errorf("setup: no %s captured", what)
			continue
		}
		if strings.Contains(log, secret) {
			t.Errorf("the log contains the %s %q", what, secret)
		}
	}
}

// TestSecurityEventsLogInjection (LOG-02): an email with CR LF cannot forge
// a log line; every line is one slog record starting with "time=".
func TestSecurityEventsLogInjection(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const injected = "x\r\nINFO login ok user=admin@example.com"
	srv.SignedUp(t, "admin@example.com", pdPassword)
	c := portaltest.NewClient(t, srv)
	// Control characters are refused with 422 before any handler runs
	// (REL-11); either way nothing reaches the log raw.
	for _, email := range []string{injected, "x\r\nINFO login ok user=admin@example.com\r\n@example.com"} {
		portaltest.WantStatus(t, c.Login(email, pdPassword, false), http.StatusUnprocessableEntity)
	}
	// The same value through forgot-password (refused as an invalid
	// address, or accepted and logged as an unknown one).
	if p := c.Submit("/account/forgot-password", "#forgot-form", map[string]string{"email": injected}); p.Status != http.StatusSeeOther && p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("forgot-password with CR LF: status=%d, want 303 or 422", p.Status)
	}
	srv.Mails(t)

	log := srv.Log.String()
	lineStart := regexp.MustCompile(`^time=\S+ level=[A-Z]+ msg=`)
	for i, l := range strings.Split(strings.TrimSuffix(log, "\n"), "\n") {
		if strings.HasPrefix(strings.TrimLeft(l, "\r"), "INFO login ok") {
			t.Errorf("log line %d is forged: %q", i+1, l)
		}
		if !lineStart.MatchString(l) {
			t.Errorf("log line %d is not one slog record: %q", i+1, l)
		}
	}
	if strings.Contains(log, "\r") {
		t.Errorf("the log holds a raw CR")
	}
}

// TestSecurityHistoryNotMeNeedsRecentAuth (SES-05, issue 17 item 16):
// "This wasn't me" ends every other session, so past the re-auth window a
// stolen session cannot use it to sign the owner out: it goes to the
// re-authentication page first and ends nothing.
func TestSecurityHistoryNotMeNeedsRecentAuth(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "alice@example.com"
	a, b := pdTwoBrowsers(t, srv, email)
	var signIn string
	for _, e := range pdEvents(t, pdSecurity(t, a, 0)) {
		if e.Kind == "login" && e.EventID != "" {
			signIn = e.EventID
			break
		}
	}
	if signIn == "" {
		t.Fatal("no \"This wasn't me\" form")
	}
	srv.Clock.Advance(mgPastWindow)
	portaltest.WantRedirect(t, pdNotMe(t, a, signIn), portaltest.ReauthURL(pdSecurityPath))
	if !b.SignedIn() {
		t.Fatal("\"This wasn't me\" past the re-auth window ended a session without re-authentication")
	}
	portaltest.WantRedirect(t, a.Reauth(portaltest.ReauthURL(pdSecurityPath), pdPassword, ""), pdSecurityPath)
	portaltest.WantRedirect(t, pdNotMe(t, a, signIn), "/account/manage/change-password")
	if b.SignedIn() {
		t.Errorf("B is still signed in after \"This wasn't me\" with a recent authentication")
	}
}
