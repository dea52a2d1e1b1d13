package tests

import (
	"encoding/json"
	"github.com/PuerkitoBio/goquery"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/accountportal/portal/internal/portaltest"
)

// tzSecurityTime is the time the security history shows for the newest
// event (the <time> of its first entry).
func tzSecurityTime(t *testing.T, c *portaltest.Client) string {
	t.Helper()
	p := c.Get("/account/manage/security")
	portaltest.WantStatus(t, p, http.StatusOK)
	got := p.Text(t, "main time")
	if got == "" {
		t.Fatalf("security history without a <time>:\n%s", p.Body)
	}
	return got
}

// tzWant is how the security history writes at in loc (its layout,
// manage-security.time_format: "2 Jan 2006 15:04 MST").
func tzWant(at time.Time, loc *time.Location) string {
	return at.In(loc).Format("2 Jan 2006 15:04 MST")
}

// TestTimesInTheReadersZone (issue 18 item 9): times on pages are in UTC
// until the browser tells its zone (the cookie timezone.js sets, "~" and
// the IANA name) or the person chooses one on the profile; the choice is
// saved on the account, follows them to a new browser at sign-in, is not
// replaced by the browser's, and can be given back ("" = automatic). A
// name that is not a zone is refused on the form, nothing saved.
func TestTimesInTheReadersZone(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "tz@example.com"
	srv.ConfirmedUser(t, email, mgPassword)
	c := srv.SignIn(t, email, mgPassword, false)
	at := srv.Clock.Now() // every event of this test is at this instant
	berlin, _ := time.LoadLocation("Europe/Berlin")
	newYork, _ := time.LoadLocation("America/New_York")

	if got, want := tzSecurityTime(t, c), tzWant(at, time.UTC); got != want {
		t.Fatalf("without a zone: %q, want UTC %q", got, want)
	}

	// The browser tells its zone (what timezone.js writes).
	c.SetCookie("portal_tz", "~America%2FNew_York")
	if got, want := tzSecurityTime(t, c), tzWant(at, newYork); got != want {
		t.Fatalf("the browser's zone: %q, want %q", got, want)
	}
	// Garbage in the cookie is UTC, never an error.
	for _, bad := range []string{"~Mars%2FOlympus", "~..%2F..%2Fetc%2Fpasswd", "Local", "%zz"} {
		c.SetCookie("portal_tz", bad)
		if got, want := tzSecurityTime(t, c), tzWant(at, time.UTC); got != want {
			t.Fatalf("cookie %q: %q, want UTC %q", bad, got, want)
		}
	}

	// A name that is not a zone: the form says so, nothing is saved.
	p := c.Submit("/account/manage", "#profile-form", map[string]string{"time_zone": "Europe/Atlantis"})
	portaltest.WantStatus(t, p, http.StatusUnprocessableEntity)
	portaltest.WantFieldError(t, p, "time_zone")
	if v := mgInputValue(t, p, "time_zone"); v != "Europe/Atlantis" {
		t.Errorf("the form lost what was typed: %q", v)
	}
	if got := c.Submit("/account/manage", "#profile-form", nil); got.Status != http.StatusSeeOther {
		t.Fatalf("saving the profile unchanged: %v", got)
	}
	if v := mgInputValue(t, c.Get("/account/manage"), "time_zone"); v != "" {
		t.Fatalf("after a refused zone the profile holds %q", v)
	}

	// Chosen on the profile: shown at once, kept on the account.
	p = c.Submit("/account/manage", "#profile-form", map[string]string{"time_zone": "Europe/Berlin"})
	portaltest.WantRedirect(t, p, "/account/manage")
	if v := c.Cookie("portal_tz"); v != "Europe/Berlin" {
		t.Fatalf("the time zone cookie after choosing: %q, want Europe/Berlin", v)
	}
	if got, want := tzSecurityTime(t, c), tzWant(at, berlin); got != want {
		t.Fatalf("the chosen zone: %q, want %q", got, want)
	}
	if v := mgInputValue(t, c.Get("/account/manage"), "time_zone"); v != "Europe/Berlin" {
		t.Fatalf("the profile shows %q, want Europe/Berlin", v)
	}

	// The setting is in the personal data (and not among the operator's
	// extra fields).
	var pd struct {
		Account struct {
			TimeZone   string            `json:"timeZone"`
			Attributes map[string]string `json:"attributes"`
		} `json:"account"`
	}
	if err := json.Unmarshal([]byte(pdDownload(t, c).Body), &pd); err != nil {
		t.Fatal(err)
	}
	if pd.Account.TimeZone != "Europe/Berlin" || pd.Account.Attributes["time_zone"] != "" {
		t.Fatalf("PersonalData.json account: %+v, want timeZone Europe/Berlin", pd.Account)
	}

	// Security mail gives its time in the chosen zone too.
	const newPassword = "a new horse battery"
	portaltest.WantRedirectPrefix(t, mgChangePassword(c, mgPassword, newPassword, newPassword), "/account/manage")
	ms := srv.MailsTo(t, email)
	if len(ms) == 0 || !strings.Contains(ms[len(ms)-1].Text, tzWant(srv.Clock.Now(), berlin)) {
		t.Fatalf("the password-changed mail does not give the time in Europe/Berlin (%q): %+v", tzWant(srv.Clock.Now(), berlin), ms)
	}

	// A new browser that says New York: at sign-in the account's choice
	// wins.
	d := portaltest.NewClient(t, srv)
	d.SetCookie("portal_tz", "~America%2FNew_York")
	portaltest.WantRedirectPrefix(t, d.Submit("/account/login", "#login-form", map[string]string{"email": email, "password": newPassword}), "/")
	if got, want := tzSecurityTime(t, d), tzWant(at, berlin); got != want {
		t.Fatalf("a new browser after signing in: %q, want the account's zone %q", got, want)
	}

	// Back to automatic: the cookie goes, the browser's zone may come back.
	p = c.Submit("/account/manage", "#profile-form", map[string]string{"time_zone": ""})
	portaltest.WantRedirect(t, p, "/account/manage")
	if v := c.Cookie("portal_tz"); v != "" {
		t.Fatalf("the cookie after choosing automatic: %q, want none", v)
	}
	if got, want := tzSecurityTime(t, c), tzWant(at, time.UTC); got != want {
		t.Fatalf("automatic, no browser zone yet: %q, want UTC %q", got, want)
	}
	if !strings.Contains(c.Get("/account/manage").Body, "timezone.") {
		t.Fatal("pages do not load timezone.js")
	}
}

// TestSessionsSayHowLongAgo (issue 18 item 9): the sessions page says how
// long ago a session was active within the last day ("active now", "1
// hour ago", plural by the language's rules), and the date in the reader's
// zone after that.
func TestSessionsSayHowLongAgo(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "ago@example.com"
	srv.ConfirmedUser(t, email, mgPassword)
	other := srv.SignIn(t, email, mgPassword, true) // remembered: no idle timeout
	seen := srv.Clock.Now()
	other.Get("/account/manage") // its last activity
	srv.Clock.Advance(95 * time.Minute)
	c := srv.SignIn(t, email, mgPassword, true)
	meta := func(c *portaltest.Client) string {
		t.Helper()
		p := c.Get("/account/manage/sessions")
		portaltest.WantStatus(t, p, http.StatusOK)
		var all []string
		p.Doc(t).Find(".session-meta").Each(func(_ int, s *goquery.Selection) { all = append(all, strings.Join(strings.Fields(s.Text()), " ")) })
		return strings.Join(all, " | ")
	}
	got := meta(c)
	if !strings.Contains(got, "active now") || !strings.Contains(got, "last active 1 hour ago") {
		t.Fatalf("sessions: %q, want this one \"active now\" and the other \"last active 1 hour ago\"", got)
	}
	// In German, with the plural of the language.
	de := c.WithHeader("Accept-Language", "de")
	if got := meta(de); !strings.Contains(got, "zuletzt aktiv vor 1 Stunde") {
		t.Fatalf("German sessions: %q, want \"zuletzt aktiv vor 1 Stunde\"", got)
	}
	// After a day: the date, in the reader's zone (and still German:
	// WithHeader changed the client).
	srv.Clock.Advance(24 * time.Hour)
	c.SetCookie("portal_tz", "~Asia%2FTokyo")
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	if got, want := meta(c), "zuletzt aktiv am "+seen.In(tokyo).Format("02.01.2006, 15:04 MST"); !strings.Contains(got, want) {
		t.Fatalf("after a day: %q, want %q", got, want)
	}
}
