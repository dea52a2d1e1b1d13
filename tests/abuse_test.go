package tests

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/internal/portaltest"
)

// abuseServer trusts 127.0.0.1 as a reverse proxy, so that each client
// can come from its own address through X-Forwarded-For.
func abuseServer(t *testing.T, limits string) *portaltest.Server {
	t.Helper()
	return portaltest.NewServer(t, func(c *portal.Config) {
		c.TrustedProxies = "127.0.0.1"
		setRateLimits(t, c, limits)
	})
}

// setRateLimits sets c's rate limits as --rate-limits spec would.
func setRateLimits(t testing.TB, c *portal.Config, spec string) {
	t.Helper()
	if err := c.RateLimits.Set(spec); err != nil {
		t.Fatal(err)
	}
}

func from(t *testing.T, srv *portaltest.Server, ip string) *portaltest.Client {
	t.Helper()
	return portaltest.NewClient(t, srv).WithHeader("X-Forwarded-For", ip)
}

// TestLoginFailuresPerIP (AUTH-04): failures from one IP over many
// accounts meet 429 at the configured count; another IP is unaffected.
func TestLoginFailuresPerIP(t *testing.T) {
	t.Parallel()
	srv := abuseServer(t, "login-fail-ip=3/10m")
	srv.SignedUp(t, "legit@example.com", "correct horse battery")
	stuffer := from(t, srv, "203.0.113.50")
	for i := range 3 {
		wantInvalidLogin(t, stuffer.Login(fmt.Sprintf("victim%d@example.com", i), "guess guess guess", false))
	}
	portaltest.WantTooMany(t, stuffer.Login("victim9@example.com", "guess guess guess", false))
	// Rotating X-Forwarded-For does not help the attacker when the header
	// comes from an untrusted peer: the direct server ignores it.
	direct := portaltest.NewServer(t, func(c *portal.Config) { setRateLimits(t, c, "login-fail-ip=3/10m") })
	for i := range 4 {
		p := portaltest.NewClient(t, direct).WithHeader("X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i)).Login(fmt.Sprintf("v%d@example.com", i), "guess guess guess", false)
		if i < 3 {
			wantInvalidLogin(t, p)
		} else {
			portaltest.WantTooMany(t, p)
		}
	}
	// A legitimate user elsewhere signs in.
	portaltest.WantRedirect(t, from(t, srv, "192.0.2.77").Login("legit@example.com", "correct horse battery", false), "/")
	// The limit ends with its window.
	srv.Clock.Advance(10 * time.Minute)
	wantInvalidLogin(t, stuffer.Login("victim9@example.com", "guess guess guess", false))
}

// TestAttackerCannotLockOutOwner (AUTH-03, no lockout DoS): an attacker
// hammering one account from an IP that never signed in to it is slowed
// down, while the owner still signs in from their usual address.
func TestAttackerCannotLockOutOwner(t *testing.T) {
	t.Parallel()
	srv := abuseServer(t, "")
	owner := from(t, srv, "192.0.2.10")
	owner.Register("owner@example.com", "correct horse battery")
	owner.ConfirmEmail("owner@example.com")
	portaltest.WantRedirect(t, owner.Login("owner@example.com", "correct horse battery", false), "/")
	owner.Logout()

	attacker := from(t, srv, "203.0.113.66")
	for range 5 {
		wantInvalidLogin(t, attacker.Login("owner@example.com", "wrong guess here", false))
	}
	for range 5 {
		wantLockedOut(t, attacker.Login("owner@example.com", "wrong guess here", false), 15)
	}
	// Throttled: even the right password fails from the attacker's IP…
	wantLockedOut(t, attacker.Login("owner@example.com", "correct horse battery", false), 15)
	// …while the owner signs in.
	portaltest.WantRedirect(t, owner.Login("owner@example.com", "correct horse battery", false), "/")
}

// TestRegistrationsPerIP: the 11th registration from one IP in an hour is
// 429 (default 10/h).
func TestRegistrationsPerIP(t *testing.T) {
	t.Parallel()
	srv := abuseServer(t, "")
	c := from(t, srv, "203.0.113.7")
	for i := range 10 {
		c.Register(fmt.Sprintf("bulk%d@example.com", i), "correct horse battery")
	}
	p := c.Submit("/account/register", "#register-form", map[string]string{
		"email": "bulk10@example.com", "password": "correct horse battery", "confirm_password": "correct horse battery",
	})
	portaltest.WantTooMany(t, p)
	if n := srv.CountUsers(t, "bulk10@example.com"); n != 0 {
		t.Fatalf("the refused registration created %d accounts", n)
	}
}

// TestRateLimitsCanBeTurnedOff: name=0 removes a limit.
func TestRateLimitsCanBeTurnedOff(t *testing.T) {
	t.Parallel()
	srv := abuseServer(t, "register-ip=0")
	c := from(t, srv, "203.0.113.8")
	for i := range 12 {
		c.Register(fmt.Sprintf("free%d@example.com", i), "correct horse battery")
	}
}

// TestRateLimitsAllOff (AUTH-04, issue 17 item 16): --rate-limits with
// every limit 0 turns them all off; before, an all-zero set was taken for
// "not configured" and silently became the defaults.
func TestRateLimitsAllOff(t *testing.T) {
	t.Parallel()
	var spec []string
	for _, name := range identity.RateLimitNames() {
		spec = append(spec, name+"=0")
	}
	srv := abuseServer(t, strings.Join(spec, ","))
	c := from(t, srv, "203.0.113.9")
	// The default login-fail-ip is 20 per 10 minutes: 25 failures pass.
	for i := range 25 {
		wantInvalidLogin(t, c.Login(fmt.Sprintf("nobody%d@example.com", i), "guess guess guess", false))
	}
}

// TestBadInputRefused (REL-09..11, LOG-02): invalid UTF-8, NUL and control
// characters, overlong values and URLs are refused with 4xx before they
// reach the database; never a 500.
func TestBadInputRefused(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	c := portaltest.NewClient(t, srv)
	form := c.Get("/account/register").Form(t, "#register-form")
	for name, email := range map[string]string{
		"nul":         "a\x00b@example.com",
		"invalid utf": "a\xffb@example.com",
		"bell":        "a\x07b@example.com",
		"newline":     "a@example.com\nBcc: x@example.com",
		"huge":        strings.Repeat("a", 5000) + "@example.com",
	} {
		v := url.Values{}
		for k, vs := range form.Values {
			v[k] = vs
		}
		v.Set("email", email)
		v.Set("password", "correct horse battery")
		v.Set("confirm_password", "correct horse battery")
		p := c.Post(form.Action, v)
		if got, want := p.Status, http.StatusUnprocessableEntity; got != want {
			t.Errorf("%s: status=%d, want %d", name, got, want)
		}
	}
	if n := srv.CountUsers(t, "ab@example.com"); n != 0 {
		t.Fatal("a refused registration reached the database")
	}
	// An overlong password meets the policy's message (422 with the field).
	p := c.Submit("/account/register", "#register-form", map[string]string{
		"email": "long@example.com", "password": strings.Repeat("x", 300), "confirm_password": strings.Repeat("x", 300),
	})
	portaltest.WantStatus(t, p, http.StatusUnprocessableEntity)
	if portaltest.FieldError(t, p, "password") == "" {
		t.Fatal("an overlong password has no field error")
	}
	// A huge URL.
	portaltest.WantStatus(t, c.Get("/account/login?returnUrl=/"+strings.Repeat("a", 5000)), http.StatusRequestURITooLong)
	// A query with control characters is not an error: the bad returnUrl is
	// ignored.
	portaltest.WantStatus(t, c.Get("/account/login?returnUrl=%2F%00x"), http.StatusOK)
}

// TestSlowlorisDoesNotHoldOthersUp (REL-10): 200 connections that send
// half a request and then nothing do not stop another client, and the
// server drops them after its header timeout (5 s).
func TestSlowlorisDoesNotHoldOthersUp(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	hs := srv.Portal.Server()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	addr := ln.Addr().String()
	var slow []net.Conn
	for range 200 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.Write([]byte("GET / HTTP/1.1\r\nHost: " + addr + "\r\nX-Slow: "))
		slow = append(slow, c)
	}
	defer func() {
		for _, c := range slow {
			c.Close()
		}
	}()
	start := time.Now()
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("a normal request while 200 slow clients hang: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	t.Logf("GET /healthz with 200 half-open requests: %v", time.Since(start))
	// The server gives up on a slow client after ReadHeaderTimeout.
	slow[0].SetReadDeadline(time.Now().Add(15 * time.Second))
	buf := make([]byte, 512)
	waited := time.Now()
	for {
		if _, err := slow[0].Read(buf); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("the server kept a half-sent request open for 15 s")
			}
			break
		}
	}
	t.Logf("a half-sent request was dropped after %v", time.Since(waited).Round(100*time.Millisecond))
}

// TestMultipartRefused: Portal's forms are urlencoded (the route contract); a
// multipart POST gets a plain 415, not a confusing CSRF error.
func TestMultipartRefused(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	c := portaltest.NewClient(t, srv)
	f := c.Get("/account/login").Form(t, "#login-form")
	body := "--X\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n" + f.Values.Get("_csrf") + "\r\n--X--\r\n"
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/account/login", strings.NewReader(body))
	req.Header.Set("Content-Type", "multipart/form-data; boundary=X")
	req.Header.Set("Origin", srv.URL)
	portaltest.WantStatus(t, c.Do(req), http.StatusUnsupportedMediaType)
}
