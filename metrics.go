package portal

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/accountportal/portal/identity"
)

// metrics are Portal's Prometheus metrics (--metrics-addr), on a registry
// of their own: identity reports through identity.Observer and the
// handlers through ObserveRequest, so neither imports Prometheus. Every
// label comes from a fixed set: route patterns, methods folded to a few,
// status classes, sign-in methods and outcomes, rate-limit names — never
// an address, user id or IP. docs/operations.md says what each means.
type metrics struct {
	reg *prometheus.Registry

	requests        *prometheus.CounterVec
	duration        *prometheus.HistogramVec
	signIns         *prometheus.CounterVec
	registrations   prometheus.Counter
	rateLimited     *prometheus.CounterVec
	lockouts        prometheus.Counter
	sessionsCreated prometheus.Counter
	sessionsRevoked *prometheus.CounterVec
	mailQueued      prometheus.Counter
	mailSent        prometheus.Counter
	mailFailed      prometheus.Counter
	mailDropped     prometheus.Counter
	hashWait        prometheus.Histogram
	hashRefused     prometheus.Counter
}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	f := func(c prometheus.Collector) { m.reg.MustRegister(c) }
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "portal_http_requests_total",
		Help: "HTTP requests answered, by route pattern (unmatched: no route), method and status class.",
	}, []string{"route", "method", "code"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "portal_http_request_duration_seconds",
		Help:    "Time to answer an HTTP request, by route pattern and method.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"route", "method"})
	m.signIns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "portal_sign_ins_total",
		Help: "Sign-in attempts by method (password, external, passkey, recovery_code, oidc) and outcome (ok, wrong_password, unknown_account, unconfirmed, second_factor_failed, locked, throttled).",
	}, []string{"method", "outcome"})
	m.registrations = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "portal_registrations_total", Help: "Accounts created (the form, external logins, invitations).",
	})
	m.rateLimited = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "portal_rate_limited_total", Help: "Requests a rate limit refused, by the limit's --rate-limits name.",
	}, []string{"limit"})
	m.lockouts = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "portal_lockouts_total", Help: "Accounts locked after too many failures.",
	})
	m.sessionsCreated = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "portal_sessions_created_total", Help: "Signed-in sessions started.",
	})
	m.sessionsRevoked = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "portal_sessions_revoked_total", Help: "Sessions ended before their time, by reason (logout, ended, others_ended, not_me).",
	}, []string{"reason"})
	m.mailQueued = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "portal_mail_queued_total", Help: "Mails put in the outbox.",
	})
	m.mailSent = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "portal_mail_sent_total", Help: "Mails the sender accepted.",
	})
	m.mailFailed = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "portal_mail_failed_total", Help: "Failed delivery attempts (each is retried with back-off, up to 12 times).",
	})
	m.mailDropped = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "portal_mail_dropped_total", Help: "Mails given up after their last attempt failed.",
	})
	m.hashWait = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "portal_password_hash_wait_seconds",
		Help:    "Time a password hash waited for a hashing slot (--hash-concurrency).",
		Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2},
	})
	m.hashRefused = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "portal_password_hash_refused_total", Help: "Password hashes refused for want of a slot: answered 503.",
	})
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.signIns, m.registrations, m.rateLimited,
		m.lockouts, m.sessionsCreated, m.sessionsRevoked, m.mailQueued, m.mailSent, m.mailFailed, m.mailDropped,
		m.hashWait, m.hashRefused,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		f(c)
	}
	// Every series of a fixed label set exists from the start at 0, so
	// that rate() and alerts see the first event.
	for _, meth := range identity.SignInMethods {
		for _, out := range identity.SignInOutcomes {
			m.signIns.WithLabelValues(meth, out)
		}
	}
	for _, name := range identity.RateLimitNames() {
		m.rateLimited.WithLabelValues(name)
	}
	for _, r := range identity.SessionRevokeReasons {
		m.sessionsRevoked.WithLabelValues(r)
	}
	return m
}

// observeBacklog adds the outbox gauges, read from the store at each
// scrape (at most 2 s; a failed read reports nothing rather than 0).
func (m *metrics) observeBacklog(backlog func(ctx context.Context) (int, time.Duration, error)) {
	m.reg.MustRegister(&backlogCollector{backlog: backlog,
		depth: prometheus.NewDesc("portal_mail_outbox_depth", "Mails and mail jobs waiting in the outbox (retries included).", nil, nil),
		age:   prometheus.NewDesc("portal_mail_outbox_oldest_age_seconds", "Age of the oldest entry in the outbox (0 when empty).", nil, nil),
	})
}

type backlogCollector struct {
	backlog    func(ctx context.Context) (int, time.Duration, error)
	depth, age *prometheus.Desc
}

func (c *backlogCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.depth; ch <- c.age }

func (c *backlogCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	n, age, err := c.backlog(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.depth, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.depth, prometheus.GaugeValue, float64(n))
	ch <- prometheus.MustNewConstMetric(c.age, prometheus.GaugeValue, age.Seconds())
}

// handler serves the registry in the Prometheus text format.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// statusClasses are the code label's values by status/100.
var statusClasses = [...]string{"1xx", "1xx", "2xx", "3xx", "4xx", "5xx"}

// observeRequest is handlers.Options.ObserveRequest.
func (m *metrics) observeRequest(route, method string, status int, d time.Duration) {
	class := "5xx"
	if i := status / 100; i >= 0 && i < len(statusClasses) {
		class = statusClasses[i]
	}
	switch method {
	case http.MethodGet, http.MethodPost, http.MethodHead:
	default:
		method = "other" // any string a client sends must not become a series
	}
	m.requests.WithLabelValues(route, method, class).Inc()
	m.duration.WithLabelValues(route, method).Observe(d.Seconds())
}

// The identity.Observer side.

func (m *metrics) SignIn(method, outcome string) { m.signIns.WithLabelValues(method, outcome).Inc() }
func (m *metrics) Registered()                   { m.registrations.Inc() }
func (m *metrics) RateLimited(limit string)      { m.rateLimited.WithLabelValues(limit).Inc() }
func (m *metrics) LockedOut()                    { m.lockouts.Inc() }
func (m *metrics) SessionCreated()               { m.sessionsCreated.Inc() }
func (m *metrics) SessionRevoked(reason string)  { m.sessionsRevoked.WithLabelValues(reason).Inc() }
func (m *metrics) MailQueued()                   { m.mailQueued.Inc() }
func (m *metrics) MailSent()                     { m.mailSent.Inc() }
func (m *metrics) MailFailed(dropped bool) {
	m.mailFailed.Inc()
	if dropped {
		m.mailDropped.Inc()
	}
}
func (m *metrics) HashWaited(wait time.Duration, refused bool) {
	m.hashWait.Observe(wait.Seconds())
	if refused {
		m.hashRefused.Inc()
	}
}

var _ identity.Observer = (*metrics)(nil)
