// Package reliability is Portal's reliability suite (docs/security.md
// REL-01, REL-03, REL-04, REL-05, REL-12): kill -9 under a write load,
// duplicate registrations, single-use secrets under concurrency, state that
// survives a restart, and a login flood. Each test logs its figure ("what
// was tried, what held") so that `go test -v` shows it.
//
// The default run is scaled down for CI (the whole package takes well under
// three minutes with -race on two cores). PORTAL_RELIABILITY_FULL=1 runs the
// figures the issue quotes:
//
//	PORTAL_RELIABILITY_FULL=1 go test -race -count=1 -v -timeout 30m ./tests/reliability/
//
// Some tests drive the real binary (cmd/portal, built once into a temporary
// directory) as a subprocess, so that it can be killed with SIGKILL and its
// peak RSS read from /proc; the others boot Portal in process through
// portal.New, as cmd/portal does, so that the race detector sees the server
// too. Every simulated browser connects from its own loopback address
// (127.x.y.z), so per-IP rate limits (AUTH-04) see many source IPs, as they
// would in production, and do not absorb the load under test.
//
// The in-process server, the browser, the mail box and the clock are the
// test kit's (internal/portaltest), shared with tests/; this package adds
// only the process-level pieces: source addresses, load generators, the
// subprocess that is killed and restarted, and the figures.
package reliability

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3" // gray-box reads of the database

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/internal/portaltest"
)

// fullRun reports whether PORTAL_RELIABILITY_FULL asks for the issue's
// figures rather than the CI defaults.
func fullRun() bool {
	v := os.Getenv("PORTAL_RELIABILITY_FULL")
	return v != "" && v != "0" && v != "false"
}

// scale returns def in the default (CI) run and full with
// PORTAL_RELIABILITY_FULL=1.
func scale[T any](def, full T) T {
	if fullRun() {
		return full
	}
	return def
}

const testPassword = "reliability-Passw0rd-suite"

// --- Source addresses ---

// ipCounter hands out loopback addresses; 127.0.0.1 itself is never used,
// so a simulated client never shares its address with the test's own
// probes.
var ipCounter atomic.Uint64

// nextIP returns a fresh loopback address 127.a.b.c (a ≥ 1, c in 1..254).
// Linux routes all of 127.0.0.0/8 to lo, so a client can bind any of them.
func nextIP() string {
	n := ipCounter.Add(1)
	c := n%254 + 1
	rest := n / 254
	b := rest % 256
	a := 1 + (rest/256)%254
	return fmt.Sprintf("127.%d.%d.%d", a, b, c)
}

// dialFrom returns a DialContext that connects from ip ("" = any).
func dialFrom(ip string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: 10 * time.Second}
	if ip != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(ip)}
	}
	return d.DialContext
}

// dialFromEach returns a DialContext that connects every new connection
// from a fresh loopback address.
func dialFromEach() func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		return dialFrom(nextIP())(ctx, network, addr)
	}
}

// --- Browsers and servers (the kit, plus the source address) ---

// newClient is a browser (internal/portaltest's) on the server at base
// that connects from its own fresh loopback address.
func newClient(t testing.TB, base string) *portaltest.Client {
	t.Helper()
	return newClientFrom(t, base, nextIP())
}

// sameBrowser is a fresh, signed-out browser on base from ip that carries
// the device cookie of owner: the browser the owner signed in with, as the
// lockout rules know it (AUTH-03: only its failures count towards the
// account's lock).
func sameBrowser(t testing.TB, base, ip string, owner *portaltest.Client) *portaltest.Client {
	t.Helper()
	dev := owner.Cookie("portal_device")
	if dev == "" {
		t.Fatal("the signed-in browser has no device cookie")
	}
	n := newClientFrom(t, base, ip)
	n.SetCookie("portal_device", dev)
	return n
}

// newClientFrom is a browser on the server at base that connects from ip.
func newClientFrom(t testing.TB, base, ip string) *portaltest.Client {
	t.Helper()
	c := portaltest.NewClientAt(t, base)
	tr := &http.Transport{DialContext: dialFrom(ip), MaxIdleConnsPerHost: 4}
	t.Cleanup(tr.CloseIdleConnections)
	c.HTTP.Transport = tr
	return c
}

// newInProcess boots Portal in process with the kit (portal.New, a temp
// SQLite file, a dir: outbox, a settable clock) and very cheap argon2id
// parameters (the production parameters are exercised by the flood test
// against the binary).
func newInProcess(t testing.TB, opts ...func(*portal.Config)) *portaltest.Server {
	t.Helper()
	return portaltest.NewServer(t, append([]func(*portal.Config){func(c *portal.Config) {
		c.Argon2Memory = 64
		c.Argon2Iterations = 1
	}}, opts...)...)
}

// countUsers counts the accounts of the SQLite file at path whose
// normalized address is norm ("" for all), beside a running or killed
// server.
func countUsers(t testing.TB, path, norm string) int {
	t.Helper()
	return portaltest.CountUsers(t, portaltest.OpenSQLite(t, path, false), norm)
}

// anonForm is the CSRF cookie and token of an anonymous visitor: a form
// token without a session is bound only to the cookie, so one pair serves
// any number of anonymous posts (from any address).
type anonForm struct {
	base, cookie, token string
}

// fetchAnonForm reads the CSRF pair from the form sel at path.
func fetchAnonForm(t testing.TB, base, path, sel string) anonForm {
	t.Helper()
	c := newClient(t, base)
	f := c.Get(path).Form(t, sel)
	cookie := c.Cookie(portaltest.CSRFCookie)
	if cookie == "" || f.Values.Get("_csrf") == "" {
		t.Fatalf("GET %s: no portal_csrf cookie or _csrf field", path)
	}
	return anonForm{base: base, cookie: cookie, token: f.Values.Get("_csrf")}
}

// rawResult is the part of a response the load generators keep.
type rawResult struct {
	Status     int
	Location   string
	RetryAfter string
	Elapsed    time.Duration
}

// post sends fields (plus the CSRF token) to path through hc, without a
// cookie jar: each call is a new anonymous browser.
func (a anonForm) post(ctx context.Context, hc *http.Client, path string, fields url.Values) (rawResult, error) {
	vals := url.Values{"_csrf": {a.token}}
	for k, v := range fields {
		vals[k] = v
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.base+path, strings.NewReader(vals.Encode()))
	if err != nil {
		return rawResult{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", a.base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Cookie", "portal_csrf="+a.cookie)
	start := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		return rawResult{Elapsed: time.Since(start)}, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return rawResult{
		Status: resp.StatusCode, Location: resp.Header.Get("Location"),
		RetryAfter: resp.Header.Get("Retry-After"), Elapsed: time.Since(start),
	}, err
}

// loadClient is an HTTP client for load generators: every connection from
// a fresh loopback address, no keep-alive (so every request is a new
// source address), no redirects.
func loadClient(t testing.TB, timeout time.Duration) *http.Client {
	tr := &http.Transport{DialContext: dialFromEach(), DisableKeepAlives: true, MaxConnsPerHost: 0}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// --- Subprocess server ---

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// portalBinary builds cmd/portal once per test run (without -race: the
// subprocess is the production binary).
func portalBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "portal-reliability-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(buildDir, "portal")
		start := time.Now()
		cmd := exec.Command("go", "build", "-o", binPath, "github.com/accountportal/portal/cmd/portal")
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ./cmd/portal: %v\n%s", err, out)
			return
		}
		t.Logf("built cmd/portal in %v", time.Since(start).Round(time.Millisecond))
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// subprocess is the portal binary serving a database file; it can be
// stopped (SIGTERM or SIGKILL) and started again on the same file, port
// and outbox.
type subprocess struct {
	t      testing.TB
	bin    string
	dir    string
	DBPath string
	Outbox string
	Addr   string
	URL    string
	args   []string

	cmd     *exec.Cmd
	out     *portaltest.SyncBuffer
	done    chan struct{}
	starts  int
	ReadyIn time.Duration // how long the last start took to answer /healthz
}

// newSubprocess prepares (does not start) the binary with a temp database,
// a dir: outbox, a fixed free port, --require-confirmed-email=false and the
// extra flags given.
func newSubprocess(t testing.TB, extra ...string) *subprocess {
	t.Helper()
	bin := portalBinary(t)
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &subprocess{
		t: t, bin: bin, dir: dir,
		DBPath: filepath.Join(dir, "portal.db"), Outbox: filepath.Join(dir, "outbox"),
		Addr: addr, URL: "http://" + addr, out: &portaltest.SyncBuffer{},
	}
	s.args = append([]string{"serve",
		"--addr", addr, "--base-url", s.URL, "--db", s.DBPath, "--mail", "dir:" + s.Outbox,
		"--require-confirmed-email=false",
	}, extra...)
	t.Cleanup(func() {
		if s.running() {
			s.Stop(syscall.SIGKILL)
		}
		if t.Failed() {
			t.Logf("portal output (tail):\n%s", portaltest.Tail(s.out.String(), 6000))
		}
	})
	return s
}

func (s *subprocess) running() bool {
	if s.cmd == nil {
		return false
	}
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// Start runs the binary and waits until /healthz answers 200 (at most
// 15 s); ReadyIn says how long that took.
func (s *subprocess) Start() {
	s.t.Helper()
	s.starts++
	fmt.Fprintf(s.out, "\n--- start %d ---\n", s.starts)
	cmd := exec.Command(s.bin, s.args...)
	cmd.Stdout, cmd.Stderr = s.out, s.out
	cmd.Env = cleanEnv()
	start := time.Now()
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start portal: %v", err)
	}
	s.cmd, s.done = cmd, make(chan struct{})
	go func() { _ = cmd.Wait(); close(s.done) }()
	hc := &http.Client{Timeout: time.Second}
	for {
		resp, err := hc.Get(s.URL + "/healthz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				s.ReadyIn = time.Since(start)
				return
			}
		}
		select {
		case <-s.done:
			s.t.Fatalf("portal exited during start-up:\n%s", portaltest.Tail(s.out.String(), 4000))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Since(start) > 15*time.Second {
			s.t.Fatalf("portal not ready after 15 s:\n%s", portaltest.Tail(s.out.String(), 4000))
		}
	}
}

// Stop sends sig and waits for the process to exit (SIGTERM: at most
// 40 s, the server's 30 s shutdown plus the mail queue's stop).
func (s *subprocess) Stop(sig syscall.Signal) {
	s.t.Helper()
	if !s.running() {
		return
	}
	if err := s.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		s.t.Fatalf("signal %v: %v", sig, err)
	}
	select {
	case <-s.done:
	case <-time.After(40 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
		s.t.Fatalf("portal did not exit within 40 s of %v", sig)
	}
}

// Pid is the running process's id.
func (s *subprocess) Pid() int { return s.cmd.Process.Pid }

// cleanEnv is the environment without PORTAL_* variables, so that nothing
// from the caller's shell configures the binary.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PORTAL_") {
			env = append(env, kv)
		}
	}
	return env
}

// procStatusKB reads a "VmXxx:  N kB" field of /proc/pid/status.
func procStatusKB(pid int, field string) (int64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				break
			}
			return strconv.ParseInt(f[0], 10, 64)
		}
	}
	return 0, fmt.Errorf("/proc/%d/status: no %s", pid, field)
}

// --- Mail ---

// waitForLink polls a subprocess's outbox until a mail to addr carries a
// link containing substr (the mail queue delivers asynchronously).
func waitForLink(t testing.TB, outbox, addr, substr string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if ls := portaltest.Links(portaltest.ReadOutbox(t, outbox), addr, substr); len(ls) > 0 {
			return ls[len(ls)-1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no mail to %s with a link containing %q within 15 s", addr, substr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// --- Figures ---

// percentile returns the p-th percentile (0..100) of ds, nearest rank.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.999999) - 1
	return s[max(0, min(i, len(s)-1))]
}

// statusCounts is a histogram of statuses (0 = transport error).
type statusCounts struct {
	mu sync.Mutex
	m  map[int]int
}

func (s *statusCounts) Add(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[int]int{}
	}
	s.m[status]++
}

func (s *statusCounts) Get(status int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[status]
}

func (s *statusCounts) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]int, 0, len(s.m))
	for k := range s.m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		name := strconv.Itoa(k)
		if k == 0 {
			name = "error"
		}
		parts = append(parts, fmt.Sprintf("%s×%d", name, s.m[k]))
	}
	return strings.Join(parts, " ")
}
