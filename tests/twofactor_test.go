package tests

// End-to-end tests of two-factor authentication: enrolment of an
// authenticator app (MFA-01), sign-in with a code (MFA-02, MFA-03, SES-06,
// AUTH-05), recovery codes (MFA-04, REL-04), "remember this browser",
// turning 2FA off and resetting the key (MFA-05, SES-05, SES-03), and the
// personal-data export of a 2FA user. Codes are computed here from the key
// the enable page shows, at the server's injected clock.

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/internal/portaltest"
)

const (
	tfPassword       = "correct horse battery"
	tfRememberCookie = "portal_2fa_remember" // __Host- prefixed on https
	tfStep           = 30 * time.Second

	tfOverviewPath = "/account/manage/two-factor"
	tfEnablePath   = "/account/manage/enable-authenticator"
	tfShowPath     = "/account/manage/show-recovery-codes"
	tfGeneratePath = "/account/manage/generate-recovery-codes"
	tfDisablePath  = "/account/manage/disable-2fa"
	tfResetPath    = "/account/manage/reset-authenticator"
	tf2FAPath      = "/account/login-2fa"
	tfRecoveryPath = "/account/login-recovery-code"
)

var (
	// tfRecoveryCodeRE is XXXXX-XXXXX from the 32-symbol alphabet without
	// look-alikes (no 0, O, 1, I).
	tfRecoveryCodeRE = regexp.MustCompile(`^[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{5}-[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{5}$`)
	// tfKeyRE is a base32 key in groups of four (any case).
	tfKeyRE = regexp.MustCompile(`^[A-Za-z2-7]{4}( [A-Za-z2-7]{4})*( [A-Za-z2-7]{1,3})?$`)
)

// tfCode is the code of secret steps time steps away from the server's now.
func tfCode(t testing.TB, srv *portaltest.Server, secret string, steps int) string {
	t.Helper()
	return portaltest.TOTP(t, secret, srv.Clock.Now().Add(time.Duration(steps)*tfStep))
}

// tfWrongCode is a six-digit code that matches none of secret's codes
// within three steps of the server's now.
func tfWrongCode(t testing.TB, srv *portaltest.Server, secret string) string {
	t.Helper()
	valid := map[string]bool{}
	for s := -3; s <= 3; s++ {
		valid[tfCode(t, srv, secret, s)] = true
	}
	for _, c := range []string{"000000", "111111", "222222", "333333", "444444", "555555", "666666", "777777"} {
		if !valid[c] {
			return c
		}
	}
	t.Fatal("no wrong code found")
	return ""
}

// tfOverview fetches the two-factor overview page.
func tfOverview(t testing.TB, c *portaltest.Client) *portaltest.Page {
	t.Helper()
	p := c.Get(tfOverviewPath)
	portaltest.WantStatus(t, p, http.StatusOK)
	return p
}

// tfWantEnabled fails the test unless the overview on p shows 2FA as on
// (want) or off.
func tfWantEnabled(t testing.TB, p *portaltest.Page, want bool) {
	t.Helper()
	on, off := p.Has(t, "[data-testid='2fa-enabled']"), p.Has(t, "[data-testid='2fa-disabled']")
	if on != want || off != !want {
		t.Fatalf("%s: 2fa-enabled badge=%v, 2fa-disabled badge=%v, want 2FA on=%v", p.URL, on, off, want)
	}
}

// tfEnablePage opens the enable page and returns it with the key shown
// (spaces stripped, upper case), checked against the otpauth URI's secret.
func tfEnablePage(t testing.TB, c *portaltest.Client) (*portaltest.Page, string) {
	t.Helper()
	p := c.Get(tfEnablePath)
	portaltest.WantStatus(t, p, http.StatusOK)
	return p, tfKeyOn(t, p)
}

// tfKeyOn reads the key from #shared-key on p.
func tfKeyOn(t testing.TB, p *portaltest.Page) string {
	t.Helper()
	el := p.Doc(t).Find("#shared-key")
	if el.Length() != 1 {
		t.Fatalf("%s: %d #shared-key elements, want 1:\n%s", p.URL, el.Length(), p.Body)
	}
	shown := strings.TrimSpace(el.Text())
	if !tfKeyRE.MatchString(shown) {
		t.Errorf("%s: #shared-key=%q, want base32 in groups of four", p.URL, shown)
	}
	key := strings.ToUpper(strings.ReplaceAll(shown, " ", ""))
	u, err := url.Parse(el.AttrOr("data-uri", ""))
	if err != nil {
		t.Fatalf("%s: data-uri: %v", p.URL, err)
	}
	if got := u.Query().Get("secret"); got != key {
		t.Fatalf("%s: data-uri secret=%q, want the key shown %q", p.URL, got, key)
	}
	return key
}

// tfShownCodes reads the recovery codes from the show-once page.
func tfShownCodes(t testing.TB, c *portaltest.Client) []string {
	t.Helper()
	p := c.Get(tfShowPath)
	portaltest.WantStatus(t, p, http.StatusOK)
	var codes []string
	p.Doc(t).Find(".recovery-code").Each(func(_ int, s *goquery.Selection) {
		codes = append(codes, strings.TrimSpace(s.Text()))
	})
	if got, want := len(codes), 10; got != want {
		t.Fatalf("%d recovery codes shown, want %d:\n%s", got, want, p.Body)
	}
	seen := map[string]bool{}
	for _, code := range codes {
		if !tfRecoveryCodeRE.MatchString(code) {
			t.Errorf("recovery code %q, want XXXXX-XXXXX from 23456789ABCDEFGHJKLMNPQRSTUVWXYZ", code)
		}
		if seen[code] {
			t.Errorf("recovery code %q shown twice", code)
		}
		seen[code] = true
	}
	return codes
}

// tfEnable turns 2FA on for the signed-in c with the current code and
// returns the key and the recovery codes shown once.
func tfEnable(t testing.TB, srv *portaltest.Server, c *portaltest.Client) (string, []string) {
	t.Helper()
	_, key := tfEnablePage(t, c)
	p := c.Submit(tfEnablePath, "form#send-code", map[string]string{"code": tfCode(t, srv, key, 0)})
	portaltest.WantRedirect(t, p, tfShowPath)
	return key, tfShownCodes(t, c)
}

// tfUser signs up email with 2FA on and moves the clock to the next step
// (the enrolment step's code is spent). It returns the signed-in browser,
// the key and the recovery codes.
func tfUser(t testing.TB, srv *portaltest.Server, email string) (*portaltest.Client, string, []string) {
	t.Helper()
	c := srv.SignedUp(t, email, tfPassword)
	key, codes := tfEnable(t, srv, c)
	srv.Clock.Advance(tfStep)
	return c, key, codes
}

// tfPasswordStep submits the login form with returnUrl (if any).
func tfPasswordStep(c *portaltest.Client, email, password string, remember bool, returnURL string) *portaltest.Page {
	c.T().Helper()
	path := "/account/login"
	if returnURL != "" {
		path += "?" + url.Values{"returnUrl": {returnURL}}.Encode()
	}
	fields := map[string]string{"email": email, "password": password}
	if remember {
		fields["remember_me"] = "true"
	}
	return c.Submit(path, "#login-form", fields)
}

// tfPending gives a fresh browser the password step of email and asserts
// it is asked for the second factor.
func tfPending(t testing.TB, srv *portaltest.Server, email string) *portaltest.Client {
	t.Helper()
	c := portaltest.NewClient(t, srv)
	portaltest.WantRedirect(t, tfPasswordStep(c, email, tfPassword, false, ""), tf2FAPath)
	return c
}

// tfSubmitCode submits the authenticator-code form.
func tfSubmitCode(c *portaltest.Client, code string, rememberMachine bool) *portaltest.Page {
	c.T().Helper()
	fields := map[string]string{"code": code}
	if rememberMachine {
		fields["remember_machine"] = "true"
	}
	return c.Submit(tf2FAPath, "#login-2fa-form", fields)
}

// tfSubmitRecovery submits the recovery-code form.
func tfSubmitRecovery(c *portaltest.Client, code string) *portaltest.Page {
	c.T().Helper()
	return c.Submit(tfRecoveryPath, "#login-recovery-form", map[string]string{"recovery_code": code})
}

// tfSignIn signs email in from a fresh browser with the current code, then
// moves the clock to the next step so that the next sign-in has an unused
// code.
func tfSignIn(t testing.TB, srv *portaltest.Server, email, key string) *portaltest.Client {
	t.Helper()
	c := tfPending(t, srv, email)
	portaltest.WantRedirect(t, tfSubmitCode(c, tfCode(t, srv, key, 0), false), "/")
	srv.Clock.Advance(tfStep)
	return c
}

// tfCodesLeft checks the overview's count of recovery codes and whether
// the low-codes warning shows.
func tfCodesLeft(t testing.TB, c *portaltest.Client, left int) {
	t.Helper()
	p := tfOverview(t, c)
	tfWantEnabled(t, p, true)
	n := strconv.Itoa(left)
	warn := p.Has(t, "[data-testid=codes-warning]")
	if want := left <= 3; warn != want {
		t.Errorf("%d codes left: codes-warning shown=%v, want %v", left, warn, want)
	}
	var text string
	if warn {
		text = p.Text(t, "[data-testid=codes-warning]")
	} else {
		text = p.Text(t, "[data-testid=codes-left]")
	}
	if !regexp.MustCompile(`\b` + n + `\b`).MatchString(text) {
		t.Errorf("overview says %q, want %d codes left", text, left)
	}
}

// tfHighLockout raises the lockout threshold, so that a test of another
// rule is not cut short by the account lockout.
func tfHighLockout(cfg *portal.Config) { cfg.LockoutThreshold = 1000 }

// TestTwoFactorEnable (MFA-01, MFA-02, SES-03, AUTH-05): the enable page
// shows the key and an otpauth URI and QR code; a wrong code leaves 2FA off;
// the right code turns it on, keeps this browser signed in with a renewed
// token and ends the others, shows 10 recovery codes once, and the key is
// never shown again; the enrolment code cannot sign in.
func TestTwoFactorEnable(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "alice@example.com"
	a := srv.SignedUp(t, email, tfPassword)
	b := portaltest.NewClient(t, srv)
	portaltest.WantRedirect(t, b.Login(email, tfPassword, false), "/")

	tfWantEnabled(t, tfOverview(t, a), false)

	p, key := tfEnablePage(t, a)
	if len(key) < 32 {
		t.Errorf("key %q has %d base32 characters, want >= 32 (160 bits)", key, len(key))
	}
	raw := p.Doc(t).Find("#shared-key").AttrOr("data-uri", "")
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "otpauth" || u.Host != "totp" {
		t.Errorf("data-uri=%q, want otpauth://totp/…", raw)
	}
	if got, want := strings.TrimPrefix(u.Path, "/"), "Portal:"+email; got != want {
		t.Errorf("otpauth label=%q, want %q", got, want)
	}
	q := u.Query()
	for k, want := range map[string]string{"secret": key, "issuer": "Portal", "algorithm": "SHA1", "digits": "6", "period": "30"} {
		if got := q.Get(k); got != want {
			t.Errorf("otpauth %s=%q, want %q (uri %q)", k, got, want, raw)
		}
	}
	if !p.Has(t, "#qr-code svg") {
		t.Errorf("no QR code SVG inside #qr-code:\n%s", p.Body)
	}
	if f := p.Form(t, "form#send-code"); f.Values["code"] == nil {
		t.Errorf("form#send-code has no field code: %v", f.Values)
	}
	if _, again := tfEnablePage(t, a); again != key {
		t.Errorf("reload shows key %q, want the same key %q until it is verified", again, key)
	}

	// MFA-01: a wrong code leaves 2FA off.
	p = a.Submit(tfEnablePath, "form#send-code", map[string]string{"code": tfWrongCode(t, srv, key)})
	portaltest.WantFieldError(t, p, "code")
	if got := tfKeyOn(t, p); got != key {
		t.Errorf("after a wrong code the page shows key %q, want the same %q", got, key)
	}
	tfWantEnabled(t, tfOverview(t, a), false)
	portaltest.WantRedirect(t, portaltest.NewClient(t, srv).Login(email, tfPassword, false), "/")

	// The right code: on, this session renewed (AUTH-05), others ended (SES-03).
	before := a.Cookie(portaltest.SessionCookie)
	code := tfCode(t, srv, key, 0)
	p = a.Submit(tfEnablePath, "form#send-code", map[string]string{"code": code})
	portaltest.WantRedirect(t, p, tfShowPath)
	if after := a.Cookie(portaltest.SessionCookie); after == "" || after == before {
		t.Errorf("session cookie after enabling 2FA=%q, want a new value (was %q)", after, before)
	}
	if !a.SignedIn() {
		t.Fatal("the browser that enabled 2FA was signed out")
	}
	if b.SignedIn() {
		t.Error("another session of the user is still signed in after 2FA was enabled (SES-03)")
	}

	codes := tfShownCodes(t, a)
	// MFA-04: shown once.
	portaltest.WantRedirect(t, a.Get(tfShowPath), tfOverviewPath)

	p = tfOverview(t, a)
	tfWantEnabled(t, p, true)
	tfCodesLeft(t, a, 10)
	if p.Has(t, "#forget-browser-form") {
		t.Error("the overview offers to forget a browser that was never remembered")
	}
	for _, c := range codes {
		if strings.Contains(p.Body, c) {
			t.Errorf("the overview shows recovery code %s", c)
		}
	}

	// MFA-01: the key is never shown again.
	p = a.Get(tfEnablePath)
	portaltest.WantRedirect(t, p, tfOverviewPath)
	for _, body := range []string{p.Body, a.Follow(p).Body} {
		if strings.Contains(strings.ToUpper(strings.ReplaceAll(body, " ", "")), key) {
			t.Errorf("the key is shown again after 2FA is on:\n%s", body)
		}
	}

	// MFA-02: the code used to enable does not sign in; the next step's does.
	c := tfPending(t, srv, email)
	portaltest.WantFieldError(t, tfSubmitCode(c, code, false), "code")
	srv.Clock.Advance(tfStep)
	portaltest.WantRedirect(t, tfSubmitCode(c, tfCode(t, srv, key, 0), false), "/")
}

// TestTwoFactorEnableNeedsRecentAuth (SES-05): past the re-authentication
// window the enable page (GET and POST) and the other 2FA settings send
// the user to re-authenticate; a user without 2FA is asked for the
// password only, then comes back.
func TestTwoFactorEnableNeedsRecentAuth(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "alice@example.com"
	a := srv.SignedUp(t, email, tfPassword)
	srv.Clock.Advance(10*time.Minute + time.Second)

	for _, path := range []string{tfEnablePath, tfResetPath} {
		portaltest.WantRedirect(t, a.Get(path), portaltest.ReauthURL(path))
	}
	p := a.PostFrom(tfOverviewPath, tfEnablePath, url.Values{"code": {"123456"}})
	portaltest.WantRedirect(t, p, portaltest.ReauthURL(tfEnablePath))

	rp := a.Get(portaltest.ReauthURL(tfEnablePath))
	portaltest.WantStatus(t, rp, http.StatusOK)
	if rp.Has(t, "#reauth-form input[name=code]") {
		t.Error("the re-authentication page asks a user without 2FA for a code")
	}
	portaltest.WantRedirect(t, a.Reauth(portaltest.ReauthURL(tfEnablePath), tfPassword, ""), tfEnablePath)
	tfEnablePage(t, a)
}

// TestTwoFactorLoginNeedsCode (SES-06, AUTH-05): the right password of a
// 2FA user leads to the code page with a renewed session token and no
// signed-in session; nothing else is granted; a code posted by a browser
// that never gave the password is refused; the code completes the sign-in
// with another new token.
func TestTwoFactorLoginNeedsCode(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "alice@example.com"
	_, key, _ := tfUser(t, srv, email)

	c := portaltest.NewClient(t, srv)
	lp := c.Get("/account/login")
	portaltest.WantStatus(t, lp, http.StatusOK)
	v0 := c.Cookie(portaltest.SessionCookie)
	f := lp.Form(t, "#login-form")
	f.Set("email", email).Set("password", tfPassword)
	p := c.Post(f.Action, f.Values)
	portaltest.WantRedirect(t, p, tf2FAPath)
	if got := len(p.SessionSetCookies()); got != 1 {
		t.Errorf("password step: %d Set-Cookie for %s, want 1 (a renewed token)", got, portaltest.SessionCookie)
	}
	v1 := c.Cookie(portaltest.SessionCookie)
	if v1 == "" || v1 == v0 {
		t.Errorf("session cookie after the password step=%q, want a new value (was %q) (AUTH-05)", v1, v0)
	}

	// SES-06: the half-authenticated session grants nothing.
	for _, path := range []string{"/account/manage", tfOverviewPath, tfEnablePath, "/account/manage/personal-data", "/account/manage/sessions"} {
		portaltest.WantLoginRedirect(t, c.Get(path), path)
	}
	tp := c.Get(tf2FAPath)
	portaltest.WantStatus(t, tp, http.StatusOK)
	for _, sel := range []string{"#login-2fa-form input[name=code]", "#login-2fa-form input[name=remember_machine]"} {
		if !tp.Has(t, sel) {
			t.Errorf("the code page has no %s:\n%s", sel, tp.Body)
		}
	}
	portaltest.WantLoginRedirect(t, c.Post("/account/manage", url.Values{"_csrf": {tp.CSRF(t)}, "username": {"mallory"}}), "/account/manage")

	// The pre-login token, replayed, holds no pending sign-in (AUTH-05).
	if v0 != "" {
		old := portaltest.NewClient(t, srv)
		old.SetCookie(portaltest.SessionCookie, v0)
		portaltest.WantRedirect(t, old.Get(tf2FAPath), "/account/login")
	}

	// A browser that never gave the password cannot use a valid code.
	stranger := portaltest.NewClient(t, srv)
	p = stranger.PostFrom("/account/login", tf2FAPath, url.Values{"code": {tfCode(t, srv, key, 0)}})
	portaltest.WantRedirect(t, p, "/account/login")
	if stranger.SignedIn() {
		t.Fatal("a code without the password step signed in (SES-06)")
	}

	p = tfSubmitCode(c, tfCode(t, srv, key, 0), false)
	portaltest.WantRedirect(t, p, "/")
	if v2 := c.Cookie(portaltest.SessionCookie); v2 == "" || v2 == v1 {
		t.Errorf("session cookie after the code=%q, want a new value (was %q) (AUTH-05)", v2, v1)
	}
	if !c.SignedIn() {
		t.Fatal("not signed in after the right code")
	}
}

// TestTwoFactorLoginReturnURLAndRememberMe: returnUrl and remember_me given
// at the password step survive the code step: the code leads to returnUrl,
// and the session cookie is persistent only when remember_me was set.
func TestTwoFactorLoginReturnURLAndRememberMe(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "alice@example.com"
	_, key, _ := tfUser(t, srv, email)

	for _, remember := range []bool{false, true} {
		c := portaltest.NewClient(t, srv)
		portaltest.WantRedirect(t, tfPasswordStep(c, email, tfPassword, remember, "/account/manage/sessions"), tf2FAPath)
		p := tfSubmitCode(c, tfCode(t, srv, key, 0), false)
		portaltest.WantRedirect(t, p, "/account/manage/sessions")
		raw := p.SessionSetCookies()
		if len(raw) != 1 {
			t.Fatalf("remember_me=%v: %d Set-Cookie for %s after the code, want 1: %q", remember, len(raw), portaltest.SessionCookie, p.Header.Values("Set-Cookie"))
		}
		ck, err := http.ParseSetCookie(raw[0])
		if err != nil {
			t.Fatal(err)
		}
		if persistent := ck.MaxAge > 0 || ck.RawExpires != ""; persistent != remember {
			t.Errorf("remember_me=%v: session cookie persistent=%v after 2FA: %q", remember, persistent, raw[0])
		}
		portaltest.WantStatus(t, c.Get("/account/manage/sessions"), http.StatusOK)
		srv.Clock.Advance(tfStep)
	}
}

// TestTwoFactorCodeSingleUse (MFA-02): a code is accepted once, in any
// browser; an older step's code is refused after a newer one was used;
// the next step's code works.
func TestTwoFactorCodeSingleUse(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "alice@example.com"
	_, key, _ := tfUser(t, srv, email)

	code := tfCode(t, srv, key, 0)
	a := tfPending(t, srv, email)
	portaltest.WantRedirect(t, tfSubmitCode(a, code, false), "/")

	b := tfPending(t, srv, email)
	portaltest.WantFieldError(t, tfSubmitCode(b, code, false), "code")
	portaltest.WantFieldError(t, tfSubmitCode(b, tfCode(t, srv, key, -1), false), "code")
	if b.SignedIn() {
		t.Fatal("a replayed code signed in")
	}
	srv.Clock.Advance(tfStep)
	portaltest.WantRedirect(t, tfSubmitCode(b, tfCode(t, srv, key, 0), false), "/")
}

// TestTwoFactorCodeWindow (MFA-02): the codes of steps -2 and +2 are
// refused; the code of step -1 is accepted, once.
func TestTwoFactorCodeWindow(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "alice@example.com"
	_, key, _ := tfUser(t, srv, email)
	srv.Clock.Advance(10 * tfStep)

	c := tfPending(t, srv, email)
	for _, step := range []int{-2, 2} {
		p := tfSubmitCode(c, tfCode(t, srv, key, step), false)
		if p.Status != http.StatusUnprocessableEntity {
			t.Fatalf("code of step %+d: status=%d, want 422", step, p.Status)
		}
	}
	prev := tfCode(t, srv, key, -1)
	portaltest.WantRedirect(t, tfSubmitCode(c, prev, false), "/")

	d := tfPending(t, srv, email)
	portaltest.WantFieldError(t, tfSubmitCode(d, prev, false), "code")
}

// TestTwoFactorCodeConcurrent (MFA-02, REL-04): one code posted by 20
// browsers at once, each in its own pending sign-in, signs in exactly one.
func TestTwoFactorCodeConcurrent(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t, tfHighLockout)
	const email = "alice@example.com"
	_, key, _ := tfUser(t, srv, email)
	code := tfCode(t, srv, key, 0)
	tfRace(t, srv, email, tf2FAPath, "#login-2fa-form", "code", code)
}

// tfRace puts 20 browsers in a pending sign-in of email, one after the
// other, then posts value as field of the form sel at path from all of
// them at once: exactly one must succeed (303 to /), the others 422.
func tfRace(t *testing.T, srv *portaltest.Server, email, path, sel, field, value string) {
	t.Helper()
	const n = 20
	clients := make([]*portaltest.Client, n)
	forms := make([]url.Values, n)
	for i := range clients {
		clients[i] = tfPending(t, srv, email)
		p := clients[i].Get(path)
		portaltest.WantStatus(t, p, http.StatusOK)
		forms[i] = p.Form(t, sel).Set(field, value).Values
	}
	type result struct {
		status   int
		location string
		err      error
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			p, err := clients[i].TryPost(path, forms[i])
			if err != nil {
				results[i] = result{err: err}
				return
			}
			results[i] = result{p.Status, p.Location(), nil}
		}()
	}
	close(start)
	wg.Wait()
	ok, refused := 0, 0
	for i, r := range results {
		switch {
		case r.err != nil:
			t.Errorf("request %d: %v", i, r.err)
		case r.status == http.StatusSeeOther && r.location == "/":
			ok++
		case r.status == http.StatusUnprocessableEntity:
			refused++
		default:
			t.Errorf("request %d: status=%d Location=%q, want a 303 to / or a 422", i, r.status, r.location)
		}
	}
	if ok != 1 || refused != n-1 {
		t.Fatalf("%d parallel uses of one %s: %d signed in, %d refused with 422; want 1 and %d", n, field, ok, refused, n-1)
	}
	signedIn := 0
	for _, c := range clients {
		if c.SignedIn() {
			signedIn++
		}
	}
	if signedIn != 1 {
		t.Fatalf("%d browsers signed in, want 1", signedIn)
	}
}

// TestTwoFactorWrongCodesDropPending (MFA-03): a wrong code is 422 with a
// message; the fifth wrong code in one pending sign-in sends the browser
// back to the login page with a message, and the pending state is gone:
// even the right code now needs the password again. (The account lockout
// is set high so that this rule is tested on its own.)
func TestTwoFactorWrongCodesDropPending(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t, tfHighLockout)
	const email = "alice@example.com"
	_, key, _ := tfUser(t, srv, email)
	wrong := tfWrongCode(t, srv, key)

	c := tfPending(t, srv, email)
	for i := 1; i <= 4; i++ {
		portaltest.WantFieldError(t, tfSubmitCode(c, wrong, false), "code")
	}
	p := tfSubmitCode(c, wrong, false)
	portaltest.WantRedirect(t, p, "/account/login")
	lp := c.Follow(p)
	portaltest.WantStatus(t, lp, http.StatusOK)
	if lp.Text(t, "#status-message") == "" {
		t.Errorf("no #status-message on the login page after too many wrong codes:\n%s", lp.Body)
	}
	portaltest.WantRedirect(t, c.Get(tf2FAPath), "/account/login")
	p = c.PostFrom("/account/login", tf2FAPath, url.Values{"code": {tfCode(t, srv, key, 0)}})
	portaltest.WantRedirect(t, p, "/account/login")
	if c.SignedIn() {
		t.Fatal("the right code signed in after the pending sign-in was dropped")
	}

	portaltest.WantRedirect(t, tfPasswordStep(c, email, tfPassword, false, ""), tf2FAPath)
	portaltest.WantRedirect(t, tfSubmitCode(c, tfCode(t, srv, key, 0), false), "/")
}

// TestTwoFactorWrongCodesLockOut (MFA-03, AUTH-03): wrong codes count
// towards the account lockout across pending sign-ins, so that starting a
// new sign-in does not buy more guesses; while locked even the right
// password and code fail; after the lockout the code works.
func TestTwoFactorWrongCodesLockOut(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "alice@example.com"
	_, key, _ := tfUser(t, srv, email)
	wrong := tfWrongCode(t, srv, key)

	a := tfPending(t, srv, email)
	for i := 1; i <= 4; i++ {
		portaltest.WantFieldError(t, tfSubmitCode(a, wrong, false), "code")
	}
	b := tfPending(t, srv, email)
	p := tfSubmitCode(b, wrong, false)
	portaltest.WantRedirect(t, p, "/account/login")
	if lp := b.Follow(p); lp.Text(t, "#status-message") == "" {
		t.Errorf("no #status-message on the login page after the lockout:\n%s", lp.Body)
	}

	wantLockedOut(t, tfPasswordStep(portaltest.NewClient(t, srv), email, tfPassword, false, ""), 5)
	portaltest.WantRedirect(t, tfSubmitCode(a, tfCode(t, srv, key, 0), false), "/account/login")
	if a.SignedIn() {
		t.Fatal("the right code signed in while the account is locked")
	}

	srv.Clock.Advance(srv.Config.LockoutDuration + time.Second)
	c := tfPending(t, srv, email)
	portaltest.WantRedirect(t, tfSubmitCode(c, tfCode(t, srv, key, 0), false), "/")
}

// TestTwoFactorPendingExpires (SES-06): the pending sign-in lasts 5
// minutes; later the code is refused and the password is needed again
// (the refused code was not spent).
func TestTwoFactorPendingExpires(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "alice@example.com"
	_, key, _ := tfUser(t, srv, email)

	a := tfPending(t, srv, email)
	srv.Clock.Advance(5*time.Minute - time.Second)
	portaltest.WantRedirect(t, tfSubmitCode(a, tfCode(t, srv, key, 0), false), "/")

	b := tfPending(t, srv, email)
	srv.Clock.Advance(5*time.Minute + time.Second)
	code := tfCode(t, srv, key, 0)
	p := b.PostFrom("/account/login", tf2FAPath, url.Values{"code": {code}})
	portaltest.WantRedirect(t, p, "/account/login")
	if lp := b.Follow(p); lp.Text(t, "#status-message") == "" {
		t.Errorf("no #status-message on the login page after the pending sign-in expired:\n%s", lp.Body)
	}
	if b.SignedIn() {
		t.Fatal("a code after the pending sign-in expired signed in")
	}
	portaltest.WantRedirect(t, b.Get(tf2FAPath), "/account/login")

	portaltest.WantRedirect(t, tfPasswordStep(b, email, tfPassword, false, ""), tf2FAPath)
	portaltest.WantRedirect(t, tfSubmitCode(b, code, false), "/")
}

// TestTwoFactorRecoveryCodes (MFA-04): a recovery code signs in once,
// typed in any case, with a space or nothing for the dash; a used code is
// refused in another browser; each use is mailed; it never
// remembers the browser; the overview counts the codes left and warns at
// three or fewer.
func TestTwoFactorRecoveryCodes(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "alice@example.com"
	a, _, codes := tfUser(t, srv, email)
	if got := len(srv.MailsWith(t, email, "recovery code")); got != 0 {
		t.Fatalf("%d recovery-code mails before any use, want 0", got)
	}

	c := portaltest.NewClient(t, srv)
	portaltest.WantRedirect(t, tfPasswordStep(c, email, tfPassword, false, "/account/manage"), tf2FAPath)
	if p := c.Get(tf2FAPath); !p.Has(t, "a[href='"+tfRecoveryPath+"']") {
		t.Errorf("the code page has no link to %s:\n%s", tfRecoveryPath, p.Body)
	}
	rp := c.Get(tfRecoveryPath)
	portaltest.WantStatus(t, rp, http.StatusOK)
	if !rp.Has(t, "#login-recovery-form input[name=recovery_code]") {
		t.Fatalf("no recovery_code field:\n%s", rp.Body)
	}
	typed := strings.ToLower(codes[0][:5] + " " + codes[0][6:])
	p := c.Submit(tfRecoveryPath, "#login-recovery-form", map[string]string{"recovery_code": typed, "remember_machine": "true"})
	portaltest.WantRedirect(t, p, "/account/manage")
	if ck := p.SetCookie(t, tfRememberCookie); ck != nil || c.Cookie(tfRememberCookie) != "" {
		t.Errorf("a recovery-code sign-in remembered the browser: %v", ck)
	}
	if !c.SignedIn() {
		t.Fatal("not signed in after a recovery code")
	}
	if got := len(srv.MailsWith(t, email, "recovery code")); got != 1 {
		t.Errorf("%d recovery-code mails after one use, want 1", got)
	}

	d := tfPending(t, srv, email)
	portaltest.WantFieldError(t, tfSubmitRecovery(d, codes[0]), "recovery_code")
	portaltest.WantRedirect(t, tfSubmitRecovery(d, strings.ToLower(strings.ReplaceAll(codes[1], "-", ""))), "/")
	tfCodesLeft(t, a, 8)

	for i := 2; i <= 6; i++ {
		e := tfPending(t, srv, email)
		portaltest.WantRedirect(t, tfSubmitRecovery(e, codes[i]), "/")
		if left := 10 - (i + 1); left == 4 || left == 3 {
			tfCodesLeft(t, a, left)
		}
	}
	if got := len(srv.MailsWith(t, email, "recovery code")); got != 7 {
		t.Errorf("%d recovery-code mails after 7 uses, want 7", got)
	}
}

// TestTwoFactorRecoveryCodeConcurrent (MFA-04, REL-04): one recovery code
// posted by 20 browsers at once, each in its own pending sign-in, signs in
// exactly one; the others get 422. (The lockout is set high so that 19
// refusals do not lock the account.)
func TestTwoFactorRecoveryCodeConcurrent(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t, tfHighLockout)
	const email = "alice@example.com"
	a, _, codes := tfUser(t, srv, email)
	tfRace(t, srv, email, tfRecoveryPath, "#login-recovery-form", "recovery_code", codes[0])
	tfCodesLeft(t, a, 9)
}

// TestTwoFactorGenerateRecoveryCodes (MFA-04, SES-05): generating codes
// needs a recent authentication (password and code); afterwards every old
// code, used or not, is refused and the new ones work.
func TestTwoFactorGenerateRecoveryCodes(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "alice@example.com"
	a, key, codes := tfUser(t, srv, email)

	srv.Clock.Advance(10 * time.Minute)
	portaltest.WantRedirect(t, a.Get(tfGeneratePath), portaltest.ReauthURL(tfGeneratePath))
	portaltest.WantRedirect(t, a.PostFrom(tfOverviewPath, tfGeneratePath, nil), portaltest.ReauthURL(tfGeneratePath))
	// Nothing changed: an old code still works.
	portaltest.WantRedirect(t, tfSubmitRecovery(tfPending(t, srv, email), codes[0]), "/")

	portaltest.WantRedirect(t, a.Reauth(portaltest.ReauthURL(tfGeneratePath), tfPassword, tfCode(t, srv, key, 0)), tfGeneratePath)
	p := a.Submit(tfGeneratePath, "#generate-codes-form", nil)
	portaltest.WantRedirect(t, p, tfShowPath)
	fresh := tfShownCodes(t, a)
	portaltest.WantRedirect(t, a.Get(tfShowPath), tfOverviewPath)
	for _, n := range fresh {
		for _, o := range codes {
			if n == o {
				t.Fatalf("new code %s equals an old one", n)
			}
		}
	}
	tfCodesLeft(t, a, 10)

	for _, old := range []string{codes[0], codes[1], codes[9]} {
		portaltest.WantFieldError(t, tfSubmitRecovery(tfPending(t, srv, email), old), "recovery_code")
	}
	portaltest.WantRedirect(t, tfSubmitRecovery(tfPending(t, srv, email), fresh[0]), "/")
	tfCodesLeft(t, a, 9)
}

// TestTwoFactorGenerateRecoveryCodesEndsOtherSessions (SES-03): new
// recovery codes end the account's other sessions; this browser stays.
func TestTwoFactorGenerateRecoveryCodesEndsOtherSessions(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "alice@example.com"
	a, key, _ := tfUser(t, srv, email)
	b := tfSignIn(t, srv, email, key)

	portaltest.WantRedirect(t, a.Submit(tfGeneratePath, "#generate-codes-form", nil), tfShowPath)
	if !a.SignedIn() {
		t.Fatal("the browser that generated new codes was signed out")
	}
	if b.SignedIn() {
		t.Error("another session is still signed in after the recovery codes were regenerated (SES-03)")
	}
}

// TestTwoFactorRememberBrowser: completing 2FA with "remember this
// browser" sets an HttpOnly cookie for 30 days; a later sign-in from that
// browser skips the code and goes to returnUrl; the cookie does not skip
// another user's code; "Forget this browser" clears it and the next
// sign-in asks again.
func TestTwoFactorRememberBrowser(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email, bob = "alice@example.com", "bob@example.com"
	_, key, _ := tfUser(t, srv, email)
	tfUser(t, srv, bob)

	a := tfPending(t, srv, email)
	p := tfSubmitCode(a, tfCode(t, srv, key, 0), true)
	portaltest.WantRedirect(t, p, "/")
	ck := p.SetCookie(t, tfRememberCookie)
	if ck == nil {
		t.Fatalf("no %s cookie after remember_machine=true: %q", tfRememberCookie, p.Header.Values("Set-Cookie"))
	}
	if !ck.HttpOnly {
		t.Errorf("%s is not HttpOnly: %v", tfRememberCookie, ck)
	}
	want := srv.Clock.Now().Add(30 * 24 * time.Hour)
	if d := ck.Expires.Sub(want); d < -2*time.Minute || d > 2*time.Minute {
		t.Errorf("%s Expires=%v, want about %v (30 days)", tfRememberCookie, ck.Expires, want)
	}
	srv.Clock.Advance(tfStep)
	remembered := a.Cookie(tfRememberCookie)
	if remembered == "" {
		t.Fatalf("the jar has no %s", tfRememberCookie)
	}
	if !tfOverview(t, a).Has(t, "#forget-browser-form") {
		t.Error("the overview of a remembered browser has no #forget-browser-form")
	}

	// The same browser after a restart (only the persistent cookie is left).
	r := portaltest.NewClient(t, srv)
	r.SetCookie(tfRememberCookie, remembered)
	portaltest.WantRedirect(t, tfPasswordStep(r, email, tfPassword, false, "/account/manage/sessions"), "/account/manage/sessions")
	if !r.SignedIn() {
		t.Fatal("the remembered browser is not signed in")
	}

	// Copied to Bob's browser, it does not skip Bob's code.
	o := portaltest.NewClient(t, srv)
	o.SetCookie(tfRememberCookie, remembered)
	portaltest.WantRedirect(t, tfPasswordStep(o, bob, tfPassword, false, ""), tf2FAPath)

	// Forget this browser.
	p = a.Submit(tfOverviewPath, "#forget-browser-form", nil)
	portaltest.WantRedirect(t, p, tfOverviewPath)
	if got := a.Cookie(tfRememberCookie); got != "" {
		t.Errorf("%s still set after forgetting the browser", tfRememberCookie)
	}
	if tfOverview(t, a).Has(t, "#forget-browser-form") {
		t.Error("the overview still offers to forget the browser")
	}
	a.Logout()
	portaltest.WantRedirect(t, tfPasswordStep(a, email, tfPassword, false, ""), tf2FAPath)
}

// TestTwoFactorRememberBrowserEnds: a remembered browser is asked for the
// code again after 30 days, and at once after a password change (the
// security stamp rotates).
func TestTwoFactorRememberBrowserEnds(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "alice@example.com"
	_, key, _ := tfUser(t, srv, email)

	remember := func() (*portaltest.Client, string) {
		t.Helper()
		c := tfPending(t, srv, email)
		portaltest.WantRedirect(t, tfSubmitCode(c, tfCode(t, srv, key, 0), true), "/")
		srv.Clock.Advance(tfStep)
		v := c.Cookie(tfRememberCookie)
		if v == "" {
			t.Fatalf("no %s cookie", tfRememberCookie)
		}
		return c, v
	}
	restarted := func(v string) *portaltest.Client {
		c := portaltest.NewClient(t, srv)
		c.SetCookie(tfRememberCookie, v)
		return c
	}

	_, v := remember()
	srv.Clock.Advance(29 * 24 * time.Hour)
	portaltest.WantRedirect(t, tfPasswordStep(restarted(v), email, tfPassword, false, ""), "/")
	srv.Clock.Advance(24*time.Hour + time.Minute)
	portaltest.WantRedirect(t, tfPasswordStep(restarted(v), email, tfPassword, false, ""), tf2FAPath)

	c, v := remember()
	portaltest.WantRedirect(t, tfPasswordStep(restarted(v), email, tfPassword, false, ""), "/")
	const newPassword = "a brand new passphrase"
	p := c.Submit("/account/manage/change-password", "#change-password-form", map[string]string{
		"old_password": tfPassword, "new_password": newPassword, "confirm_password": newPassword,
	})
	portaltest.WantStatus(t, p, http.StatusSeeOther)
	portaltest.WantRedirect(t, tfPasswordStep(restarted(v), email, newPassword, false, ""), tf2FAPath)
}

// TestTwoFactorDisable (MFA-05, SES-05, SES-03): turning 2FA off needs a
// recent authentication with password and code, and then the password and
// a current code again on the form itself (issue 17 item 11); afterwards 2FA is off,
// other sessions end, a notice is mailed and the next sign-in has no code
// step.
func TestTwoFactorDisable(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "alice@example.com"
	a, key, _ := tfUser(t, srv, email)
	b := tfSignIn(t, srv, email, key)

	srv.Clock.Advance(10*time.Minute + time.Second)
	portaltest.WantRedirect(t, a.Get(tfDisablePath), portaltest.ReauthURL(tfDisablePath))
	portaltest.WantRedirect(t, a.PostFrom(tfOverviewPath, tfDisablePath, nil), portaltest.ReauthURL(tfDisablePath))
	tfWantEnabled(t, tfOverview(t, a), true)

	rp := a.Get(portaltest.ReauthURL(tfDisablePath))
	portaltest.WantStatus(t, rp, http.StatusOK)
	for _, sel := range []string{"#reauth-form input[name=password]", "#reauth-form input[name=code]"} {
		if !rp.Has(t, sel) {
			t.Errorf("the re-authentication page of a 2FA user has no %s:\n%s", sel, rp.Body)
		}
	}
	portaltest.WantFieldError(t, a.Reauth(portaltest.ReauthURL(tfDisablePath), tfPassword, ""), "code")
	portaltest.WantFieldError(t, a.Reauth(portaltest.ReauthURL(tfDisablePath), tfPassword, tfWrongCode(t, srv, key)), "code")
	portaltest.WantRedirect(t, a.Get(tfDisablePath), portaltest.ReauthURL(tfDisablePath))
	portaltest.WantRedirect(t, a.Reauth(portaltest.ReauthURL(tfDisablePath), tfPassword, tfCode(t, srv, key, 0)), tfDisablePath)

	if got := len(srv.MailsWith(t, email, "turned off")); got != 0 {
		t.Fatalf("%d 'turned off' mails before disabling, want 0", got)
	}
	if !b.SignedIn() {
		t.Fatal("setup: the second session is not signed in")
	}
	// Inside the re-auth window the form still needs the password and a
	// current code (MFA-05, issue 17 item 11): a session alone, or a wrong
	// code, changes nothing.
	portaltest.WantFieldError(t, a.Submit(tfDisablePath, "#disable-2fa-form", nil), "password")
	srv.Clock.Advance(30 * time.Second) // the re-auth code's step is spent
	portaltest.WantFieldError(t, a.Submit(tfDisablePath, "#disable-2fa-form", map[string]string{"password": tfPassword}), "code")
	portaltest.WantFieldError(t, a.Submit(tfDisablePath, "#disable-2fa-form", map[string]string{"password": "wrong horse battery", "code": tfCode(t, srv, key, 0)}), "password")
	portaltest.WantFieldError(t, a.Submit(tfDisablePath, "#disable-2fa-form", map[string]string{"password": tfPassword, "code": tfWrongCode(t, srv, key)}), "code")
	tfWantEnabled(t, tfOverview(t, a), true)
	portaltest.WantRedirect(t, a.Submit(tfDisablePath, "#disable-2fa-form", map[string]string{"password": tfPassword, "code": tfCode(t, srv, key, 0)}), tfOverviewPath)
	tfWantEnabled(t, tfOverview(t, a), false)
	if b.SignedIn() {
		t.Error("another session is still signed in after 2FA was turned off (SES-03)")
	}
	if got := len(srv.MailsWith(t, email, "turned off")); got != 1 {
		t.Errorf("%d 'turned off' notice mails, want 1", got)
	}
	portaltest.WantRedirect(t, portaltest.NewClient(t, srv).Login(email, tfPassword, false), "/")
}

// TestTwoFactorReset (MFA-01): resetting the authenticator makes a new
// key and turns 2FA off until the new key is verified; the old app's
// codes neither enable nor sign in.
func TestTwoFactorReset(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "alice@example.com"
	a, oldKey, _ := tfUser(t, srv, email)

	portaltest.WantStatus(t, a.Get(tfResetPath), http.StatusOK)
	portaltest.WantRedirect(t, a.Submit(tfResetPath, "#reset-authenticator-form", nil), tfEnablePath)
	tfWantEnabled(t, tfOverview(t, a), false)
	portaltest.WantRedirect(t, portaltest.NewClient(t, srv).Login(email, tfPassword, false), "/")

	_, newKey := tfEnablePage(t, a)
	if newKey == oldKey {
		t.Fatalf("the key after a reset is the old one %q", oldKey)
	}
	portaltest.WantFieldError(t, a.Submit(tfEnablePath, "form#send-code", map[string]string{"code": tfCode(t, srv, oldKey, 0)}), "code")
	tfWantEnabled(t, tfOverview(t, a), false)
	p := a.Submit(tfEnablePath, "form#send-code", map[string]string{"code": tfCode(t, srv, newKey, 0)})
	if p.Status != http.StatusSeeOther || (p.Location() != tfShowPath && p.Location() != tfOverviewPath) {
		t.Fatalf("enable with the new key: status=%d Location=%q, want a 303 to %s or %s", p.Status, p.Location(), tfShowPath, tfOverviewPath)
	}
	tfWantEnabled(t, tfOverview(t, a), true)

	srv.Clock.Advance(tfStep)
	c := tfPending(t, srv, email)
	portaltest.WantFieldError(t, tfSubmitCode(c, tfCode(t, srv, oldKey, 0), false), "code")
	portaltest.WantRedirect(t, tfSubmitCode(c, tfCode(t, srv, newKey, 0), false), "/")
}

// TestTwoFactorPersonalData (PRIV): the export of a 2FA user says
// twoFactorEnabled true and holds neither the key nor a recovery code.
func TestTwoFactorPersonalData(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "alice@example.com"
	a, key, codes := tfUser(t, srv, email)

	pp := a.Get("/account/manage/personal-data")
	portaltest.WantStatus(t, pp, http.StatusOK)
	f := pp.Form(t, "form#download-data")
	p := a.Post(f.Action, f.Values)
	portaltest.WantStatus(t, p, http.StatusOK)
	if ct := p.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type=%q, want application/json", ct)
	}
	var d struct {
		Account struct {
			TwoFactorEnabled *bool `json:"twoFactorEnabled"`
		} `json:"account"`
	}
	if err := json.Unmarshal([]byte(p.Body), &d); err != nil {
		t.Fatalf("export is not JSON: %v\n%s", err, p.Body)
	}
	if d.Account.TwoFactorEnabled == nil || !*d.Account.TwoFactorEnabled {
		t.Errorf("account.twoFactorEnabled=%v, want true:\n%s", d.Account.TwoFactorEnabled, p.Body)
	}
	upper := strings.ToUpper(p.Body)
	for _, s := range []string{key, key[:16], strings.ToUpper(tfGroups(key))} {
		if strings.Contains(upper, s) {
			t.Errorf("the export contains the authenticator key (%q)", s)
		}
	}
	for _, c := range codes {
		if strings.Contains(upper, c) || strings.Contains(upper, strings.ReplaceAll(c, "-", "")) {
			t.Errorf("the export contains recovery code %s", c)
		}
	}
}

// tfGroups formats key in groups of four.
func tfGroups(key string) string {
	var g []string
	for i := 0; i < len(key); i += 4 {
		g = append(g, key[i:min(i+4, len(key))])
	}
	return strings.Join(g, " ")
}
