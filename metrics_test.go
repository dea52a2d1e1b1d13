package portal

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestServeMetricsOnTheirOwnListener: with --metrics-addr, Serve answers
// GET /metrics there in the Prometheus text format and nothing else; the
// public listener answers 404 for /metrics.
func TestServeMetricsOnTheirOwnListener(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Addr, cfg.MetricsAddr = freeAddr(t), freeAddr(t)
	cfg.DB = filepath.Join(t.TempDir(), "portal.db")
	cfg.Argon2Memory, cfg.Argon2Iterations = 1024, 1
	cfg.Logger = slog.New(slog.DiscardHandler)
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- p.Serve(ctx, func(net.Addr) { close(ready) }) }()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("Serve: %v", err)
	}
	get := func(url string) (int, string) {
		t.Helper()
		res, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := get("http://" + cfg.MetricsAddr + "/metrics"); code != 200 || !strings.Contains(body, "# TYPE portal_sign_ins_total counter") || !strings.Contains(body, "go_goroutines") {
		t.Errorf("metrics listener: %d\n%.400s", code, body)
	}
	if code, _ := get("http://" + cfg.MetricsAddr + "/account/login"); code != http.StatusNotFound {
		t.Errorf("the metrics listener serves pages: %d", code)
	}
	if code, body := get("http://" + cfg.Addr + "/metrics"); code != http.StatusNotFound || strings.Contains(body, "# TYPE portal_") {
		t.Errorf("the public listener answers /metrics: %d", code)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Serve did not stop")
	}
}

// TestMetricsAddrValidated: a malformed address, or the public one, is
// refused, naming the flag.
func TestMetricsAddrValidated(t *testing.T) {
	for _, addr := range []string{"9464", "localhost:8080"} {
		c := DefaultConfig()
		c.MetricsAddr = addr
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "--metrics-addr") {
			t.Errorf("--metrics-addr %q: %v, want an error naming the flag", addr, err)
		}
	}
}
