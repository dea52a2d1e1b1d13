package portal

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkLoginPageMetrics measures what --metrics-addr costs the login
// page (GET /account/login, served in-process): two servers, metrics off
// and on, measured in alternating blocks of requests so that both sides
// meet the same machine (2 shared cores drift by several percent within
// seconds). It reports each side's time per request and the overhead
// (issue 24's budget: under 3%).
//
//	go test -run '^$' -bench LoginPageMetrics -benchtime 20000x .
func BenchmarkLoginPageMetrics(b *testing.B) {
	serve := func(metricsAddr string) http.Handler {
		cfg := DefaultConfig()
		cfg.DB = filepath.Join(b.TempDir(), "portal.db")
		cfg.MetricsAddr = metricsAddr
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		p, err := New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { p.Close() })
		return p.Handler()
	}
	off, on := serve(""), serve("127.0.0.1:0")
	get := func(h http.Handler) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/account/login", nil))
		if w.Code != http.StatusOK {
			b.Fatalf("GET /account/login: %d", w.Code)
		}
	}
	for range 500 { // warm both
		get(off)
		get(on)
	}
	const block = 25
	var tOff, tOn time.Duration
	var n int
	b.ResetTimer()
	for n < b.N {
		k := min(block, b.N-n)
		// Alternate which side goes first, so neither always follows the
		// other's garbage.
		first, second, tFirst, tSecond := off, on, &tOff, &tOn
		if (n/block)%2 == 1 {
			first, second, tFirst, tSecond = on, off, &tOn, &tOff
		}
		start := time.Now()
		for range k {
			get(first)
		}
		mid := time.Now()
		for range k {
			get(second)
		}
		*tFirst += mid.Sub(start)
		*tSecond += time.Since(mid)
		n += k
	}
	b.StopTimer()
	b.ReportMetric(float64(tOff.Nanoseconds())/float64(n), "ns-off/req")
	b.ReportMetric(float64(tOn.Nanoseconds())/float64(n), "ns-on/req")
	b.ReportMetric(100*(float64(tOn)/float64(tOff)-1), "%overhead")
}

// BenchmarkMetricsObserveRequest is the metrics' whole cost per request:
// one counter and one histogram observation under their labels.
func BenchmarkMetricsObserveRequest(b *testing.B) {
	m := newMetrics()
	for b.Loop() {
		m.observeRequest("/account/login", http.MethodGet, http.StatusOK, 50*time.Microsecond)
	}
}
