package tests

// Issue 24's logs: a request id on every response, log line and 500 page;
// the request line's fields; no secret in any line of a whole flow logged
// at debug level (LOG-01, LOG-03).

import (
	"bufio"
	"encoding/json"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/internal/portaltest"
)

var opsRequestIDRE = regexp.MustCompile(`^[0-9a-f]{16}$`)

// opsJSONLog makes the server log JSON at debug level into buf.
func opsJSONLog(buf *portaltest.SyncBuffer) func(*portal.Config) {
	return func(cfg *portal.Config) {
		cfg.Logger = slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
}

// opsLogLines parses every line of buf as one JSON object.
func opsLogLines(t testing.TB, buf *portaltest.SyncBuffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(buf.String()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line is not one JSON object (%v): %s", err, sc.Text())
		}
		out = append(out, m)
	}
	return out
}

// TestRequestIDInHeaderLogAnd500Page (LOG-03): every response carries an
// X-Request-Id; the request's log lines carry the same id with method,
// route pattern, status and duration; a 500 page shows the id the log
// line of the failure carries, and no detail of the failure.
func TestRequestIDInHeaderLogAnd500Page(t *testing.T) {
	t.Parallel()
	var buf portaltest.SyncBuffer
	srv := portaltest.NewServer(t, opsJSONLog(&buf))
	if err := srv.Portal.OverrideHandler("GET /account/access-denied", func(echo.Context) error {
		panic("boom: secret detail")
	}); err != nil {
		t.Fatal(err)
	}
	c := portaltest.NewClient(t, srv)

	login := c.Get("/account/login?returnUrl=%2Faccount%2Fmanage")
	portaltest.WantStatus(t, login, http.StatusOK)
	loginID := login.Header.Get("X-Request-Id")
	missing := c.Get("/no/such/page/ABCDEF")
	portaltest.WantStatus(t, missing, http.StatusNotFound)
	failed := c.Get("/account/access-denied")
	portaltest.WantStatus(t, failed, http.StatusInternalServerError)
	failedID := failed.Header.Get("X-Request-Id")
	for _, id := range []string{loginID, missing.Header.Get("X-Request-Id"), failedID} {
		if !opsRequestIDRE.MatchString(id) {
			t.Fatalf("X-Request-Id %q, want 16 hex digits", id)
		}
	}
	if loginID == failedID {
		t.Fatalf("two requests share the id %s", loginID)
	}
	if got := failed.Text(t, "[data-testid=request-id]"); !strings.Contains(got, failedID) {
		t.Errorf("the 500 page shows %q, want the request id %s", got, failedID)
	}
	if strings.Contains(failed.Body, "boom") {
		t.Errorf("the 500 page shows the panic's detail:\n%s", failed.Body)
	}
	if missing.Has(t, "[data-testid=request-id]") {
		t.Errorf("a 404 page shows a request id; only server errors do")
	}

	lines := opsLogLines(t, &buf)
	find := func(id, msg string) map[string]any {
		for _, l := range lines {
			if l["request_id"] == id && l["msg"] == msg {
				return l
			}
		}
		t.Fatalf("no %q log line with request_id %s in:\n%s", msg, id, buf.String())
		return nil
	}
	l := find(loginID, "request")
	if l["method"] != "GET" || l["route"] != "/account/login" || l["status"] != float64(200) || l["duration"] == nil {
		t.Errorf("request line %v: want method GET, route /account/login, status 200 and a duration", l)
	}
	if strings.Contains(buf.String(), "returnUrl") {
		t.Errorf("a log line holds the query string")
	}
	l = find(missing.Header.Get("X-Request-Id"), "request")
	if l["route"] != "unmatched" || l["status"] != float64(404) {
		t.Errorf("404 line %v: want route unmatched, status 404", l)
	}
	find(failedID, "panic")
	l = find(failedID, "request")
	if l["status"] != float64(500) || l["level"] != "ERROR" || l["route"] != "/account/access-denied" {
		t.Errorf("500 line %v: want status 500 at ERROR on its route", l)
	}
	// The server keeps serving.
	portaltest.WantStatus(t, c.Get("/account/login"), http.StatusOK)
}

// TestLogsHoldNoSecrets (LOG-01): a whole flow — register, confirm, sign
// in, a wrong password, forgot and reset, 2FA on, sign in with a code and
// with a recovery code — logged as JSON at debug level; no line holds a
// password, a session cookie, a mailed link or its code, the authenticator
// key or a recovery code. Security events are logged with their kind.
func TestLogsHoldNoSecrets(t *testing.T) {
	t.Parallel()
	var buf portaltest.SyncBuffer
	srv := portaltest.NewServer(t, opsJSONLog(&buf), tfHighLockout)
	const email, pw1, pw2 = "ops-secrets@example.com", "Sentinel-0ps-pw-one", "Sentinel-0ps-pw-two"
	secrets := map[string]string{"first password": pw1, "second password": pw2, "wrong password": "Sentinel-0ps-wrong"}

	c := portaltest.NewClient(t, srv)
	c.Register(email, pw1)
	confirm := srv.LastLink(t, email, "", "/account/confirm-email")
	secrets["confirmation link"], secrets["confirmation code"] = confirm, efQuery(t, confirm, "code")
	c.ConfirmEmail(email)
	portaltest.WantRedirect(t, c.Login(email, pw1, false), "/")
	secrets["session cookie 1"] = c.Cookie(portaltest.SessionCookie)
	wantInvalidLogin(t, portaltest.NewClient(t, srv).Login(email, "Sentinel-0ps-wrong", false))

	reset := efResetLink(t, srv, email)
	secrets["reset link"], secrets["reset code"] = reset, efQuery(t, reset, "code")
	portaltest.WantRedirect(t, efSubmitReset(portaltest.NewClient(t, srv), reset, email, pw2), "/account/reset-password-confirmation")

	c = portaltest.NewClient(t, srv)
	portaltest.WantRedirect(t, c.Login(email, pw2, false), "/")
	secrets["session cookie 2"] = c.Cookie(portaltest.SessionCookie)
	key, codes := tfEnable(t, srv, c)
	secrets["authenticator key"] = key
	secrets["authenticator key (no spaces)"] = strings.ReplaceAll(key, " ", "")
	for i, code := range codes {
		secrets["recovery code "+string(rune('a'+i))] = code
	}
	srv.Clock.Advance(tfStep)

	p := portaltest.NewClient(t, srv)
	portaltest.WantRedirect(t, tfPasswordStep(p, email, pw2, false, ""), tf2FAPath)
	wrong := tfWrongCode(t, srv, key)
	portaltest.WantFieldError(t, tfSubmitCode(p, wrong, false), "code")
	good := tfCode(t, srv, key, 0)
	portaltest.WantRedirect(t, tfSubmitCode(p, good, false), "/")
	secrets["session cookie 3"] = p.Cookie(portaltest.SessionCookie)

	r := portaltest.NewClient(t, srv)
	portaltest.WantRedirect(t, tfPasswordStep(r, email, pw2, false, ""), tf2FAPath)
	portaltest.WantRedirect(t, tfSubmitRecovery(r, codes[0]), "/")
	srv.Mails(t) // the mail worker is idle: every line is written

	log := buf.String()
	for what, s := range secrets {
		if len(s) < 8 {
			t.Fatalf("setup: %s %q too short to grep for", what, s)
		}
		if strings.Contains(log, s) {
			t.Errorf("the log holds the %s", what)
		}
	}
	// Six-digit codes could match inside a timestamp or a duration: look
	// for them as whole values.
	for _, code := range []string{wrong, good} {
		if strings.Contains(log, `"`+code+`"`) || strings.Contains(log, "="+code) {
			t.Errorf("the log holds the TOTP code %s", code)
		}
	}
	kinds := map[string]bool{}
	requests := 0
	for _, l := range opsLogLines(t, &buf) {
		if l["msg"] == "security event" {
			kinds[l["event"].(string)] = true
		}
		if l["msg"] == "request" {
			requests++
			for _, k := range []string{"request_id", "method", "route", "status", "duration"} {
				if l[k] == nil {
					t.Errorf("request line without %s: %v", k, l)
				}
			}
		}
	}
	if requests < 20 {
		t.Errorf("%d request lines at debug level, want one a request", requests)
	}
	for _, k := range []string{"register", "email_confirmed", "login", "login_failed", "password_reset", "2fa_enabled", "recovery_code_used"} {
		if !kinds[k] {
			t.Errorf("no %q security event logged (saw %v)", k, kinds)
		}
	}
}
