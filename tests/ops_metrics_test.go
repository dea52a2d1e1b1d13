package tests

// Issue 24's metrics: scraped with Prometheus' own text parser while a
// flow runs — the counters move as sign-ins succeed and fail, a lockout
// happens, a limit refuses, mail is queued and sent; the public port has
// no /metrics; no label holds an address or an IP.

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/internal/portaltest"
)

// opsScrape reads every metric family from the metrics endpoint at url.
func opsScrape(t testing.TB, url string) map[string]*dto.MetricFamily {
	t.Helper()
	res, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d", res.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatalf("the metrics do not parse: %v", err)
	}
	return fams
}

// opsValue is the value of the counter, gauge or histogram count of name
// whose labels include want; -1 when there is no such series.
func opsValue(fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	f := fams[name]
	if f == nil {
		return -1
	}
next:
	for _, m := range f.Metric {
		labels := map[string]string{}
		for _, l := range m.Label {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}

// TestMetricsFollowAFlow: counters at zero from the start move with a
// sign-in, wrong passwords, an unknown address, a lockout, a rate-limit
// refusal, a registration and its mail.
func TestMetricsFollowAFlow(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t, func(c *portal.Config) {
		c.MetricsAddr = "127.0.0.1:0"
		c.LockoutThreshold = 2
		setRateLimits(t, c, "login-fail-ip=4/10m")
	})
	h := srv.Portal.MetricsHandler()
	if h == nil {
		t.Fatal("MetricsHandler is nil with --metrics-addr set")
	}
	mts := httptest.NewServer(h)
	defer mts.Close()

	before := opsScrape(t, mts.URL)
	signIn := func(fams map[string]*dto.MetricFamily, outcome string) float64 {
		return opsValue(fams, "portal_sign_ins_total", map[string]string{"method": "password", "outcome": outcome})
	}
	for _, o := range []string{"ok", "wrong_password", "unknown_account", "locked", "throttled", "second_factor_failed"} {
		if got := signIn(before, o); got != 0 {
			t.Errorf("sign-ins %s before any: %v, want a series at 0", o, got)
		}
	}
	if got := opsValue(before, "portal_rate_limited_total", map[string]string{"limit": "login-fail-ip"}); got != 0 {
		t.Errorf("login-fail-ip refusals before any: %v, want 0", got)
	}
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total", "portal_mail_outbox_depth", "portal_mail_outbox_oldest_age_seconds"} {
		if opsValue(before, name, nil) < 0 {
			t.Errorf("no %s", name)
		}
	}

	const email, pw = "ops-metrics@example.com", "Tangerine-river-42"
	c := srv.SignedUp(t, email, pw) // register, confirm (mail), sign in: this browser is the owner's
	c.Logout()
	// The owner's browser's failures count towards the account's lock (AUTH-03).
	wantInvalidLogin(t, c.Login(email, "wrong-password-1", false))
	wantInvalidLogin(t, c.Login(email, "wrong-password-2", false)) // locks (threshold 2)
	wantInvalidLogin(t, portaltest.NewClient(t, srv).Login("nobody-ops@example.com", "whatever-pw-1", false))
	wantLockedOut(t, c.Login(email, pw, false), 5) // locked: the right password fails, saying so
	wantInvalidLogin(t, portaltest.NewClient(t, srv).Login("nobody-ops-2@example.com", "whatever-pw-2", false))
	p := portaltest.NewClient(t, srv).Login(email, pw, false) // after the fourth failure from this IP: 429
	portaltest.WantTooMany(t, p)
	srv.Mails(t) // delivers the outbox

	after := opsScrape(t, mts.URL)
	for name, want := range map[string]float64{"ok": 1, "wrong_password": 2, "unknown_account": 2, "locked": 1, "throttled": 1} {
		if got := signIn(after, name) - signIn(before, name); got != want {
			t.Errorf("sign-ins %s moved by %v, want %v", name, got, want)
		}
	}
	for _, m := range []struct {
		name   string
		labels map[string]string
		min    float64
	}{
		{"portal_registrations_total", nil, 1},
		{"portal_lockouts_total", nil, 1},
		{"portal_rate_limited_total", map[string]string{"limit": "login-fail-ip"}, 1},
		{"portal_sessions_created_total", nil, 1},
		{"portal_mail_queued_total", nil, 1},
		{"portal_mail_sent_total", nil, 1},
		{"portal_password_hash_wait_seconds", nil, 5},
		{"portal_http_requests_total", map[string]string{"route": "/account/login", "method": "POST", "code": "4xx"}, 4},
		{"portal_http_requests_total", map[string]string{"route": "/account/login", "method": "POST", "code": "3xx"}, 1},
		{"portal_http_request_duration_seconds", map[string]string{"route": "/account/login", "method": "GET"}, 1},
	} {
		if got := opsValue(after, m.name, m.labels) - max(opsValue(before, m.name, m.labels), 0); got < m.min {
			t.Errorf("%s%v moved by %v, want at least %v", m.name, m.labels, got, m.min)
		}
	}
	if got := opsValue(after, "portal_mail_outbox_depth", nil); got != 0 {
		t.Errorf("outbox depth after delivery: %v, want 0", got)
	}
	// Low cardinality: no label value is an address, an IP or a path
	// with values in it.
	for name, f := range after {
		for _, m := range f.Metric {
			for _, l := range m.Label {
				if v := l.GetValue(); strings.Contains(v, "@") || strings.Contains(v, "127.0.0.1") || strings.Contains(v, "?") {
					t.Errorf("%s has the label %s=%q", name, l.GetName(), v)
				}
			}
		}
	}

	// The public port does not serve the metrics.
	pub := portaltest.NewClient(t, srv).Get("/metrics")
	portaltest.WantStatus(t, pub, http.StatusNotFound)
	if strings.Contains(pub.Body, "portal_sign_ins_total") {
		t.Error("the public port shows the metrics")
	}
}

// TestMetricsOffByDefault: without --metrics-addr there is no handler.
func TestMetricsOffByDefault(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	if srv.Portal.MetricsHandler() != nil {
		t.Fatal("metrics are on without --metrics-addr")
	}
}
