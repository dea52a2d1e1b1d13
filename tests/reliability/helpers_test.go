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
package reliability

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	netmail "net/mail"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	_ "github.com/mattn/go-sqlite3" // gray-box reads of the database

	"github.com/accountportal/portal"
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

// --- Browser ---

// client is one browser: its own source address, a cookie jar, no
// automatic redirects, and the Origin and Sec-Fetch-Site headers a browser
// sends with a same-origin form. Its methods return errors instead of
// failing the test, so goroutines may use them; the Must forms fail t.
type client struct {
	base string
	ip   string
	jar  *cookiejar.Jar
	http *http.Client
}

func newClient(t testing.TB, base string) *client {
	t.Helper()
	return newClientFrom(t, base, nextIP())
}

func newClientFrom(t testing.TB, base, ip string) *client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{DialContext: dialFrom(ip), MaxIdleConnsPerHost: 4}
	t.Cleanup(tr.CloseIdleConnections)
	return &client{base: base, ip: ip, jar: jar, http: &http.Client{
		Jar: jar, Transport: tr, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// sameBrowser is a fresh, signed-out client from c's address that carries
// c's device cookie: the browser the owner signed in with, as the lockout
// rules know it (AUTH-03: only its failures count towards the account's
// lock).
func sameBrowser(t testing.TB, c *client) *client {
	t.Helper()
	n := newClientFrom(t, c.base, c.ip)
	u, err := url.Parse(c.base)
	if err != nil {
		t.Fatal(err)
	}
	var keep []*http.Cookie
	for _, ck := range c.jar.Cookies(u) {
		if ck.Name == "portal_device" {
			keep = append(keep, ck)
		}
	}
	if len(keep) == 0 {
		t.Fatal("the signed-in browser has no device cookie")
	}
	n.jar.SetCookies(u, keep)
	return n
}

// page is one response, read whole.
type page struct {
	Status int
	Header http.Header
	Body   string
	URL    string
	doc    *goquery.Document
}

// Doc parses the body as HTML.
func (p *page) Doc() *goquery.Document {
	if p.doc == nil {
		d, err := goquery.NewDocumentFromReader(strings.NewReader(p.Body))
		if err != nil {
			d = goquery.NewDocumentFromNode(nil)
		}
		p.doc = d
	}
	return p.doc
}

// Location is the redirect target.
func (p *page) Location() string { return p.Header.Get("Location") }

func (p *page) String() string {
	return fmt.Sprintf("%s: status %d, Location %q", p.URL, p.Status, p.Location())
}

func (c *client) abs(path string) string {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		return path
	}
	return c.base + path
}

func (c *client) do(req *http.Request) (*page, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: read body: %w", req.Method, req.URL, err)
	}
	return &page{Status: resp.StatusCode, Header: resp.Header, Body: string(body), URL: req.URL.String()}, nil
}

// Get fetches path.
func (c *client) Get(path string) (*page, error) {
	req, err := http.NewRequest(http.MethodGet, c.abs(path), nil)
	if err != nil {
		return nil, err
	}
	return c.do(req)
}

// Post sends form to path as a same-origin browser form would.
func (c *client) Post(path string, form url.Values) (*page, error) {
	req, err := http.NewRequest(http.MethodPost, c.abs(path), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", c.base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.do(req)
}

// MustGet is Get failing t on a transport error.
func (c *client) MustGet(t testing.TB, path string) *page {
	t.Helper()
	p, err := c.Get(path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return p
}

// MustPost is Post failing t on a transport error.
func (c *client) MustPost(t testing.TB, path string, form url.Values) *page {
	t.Helper()
	p, err := c.Post(path, form)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	return p
}

// form is an HTML form read from a page: its action and every named
// input's value, as a browser would submit it.
type form struct {
	Action string
	Values url.Values
}

// Form reads the form matching sel on p, or returns an error.
func (p *page) Form(sel string) (*form, error) {
	f := p.Doc().Find(sel).First()
	if f.Length() == 0 {
		return nil, fmt.Errorf("%s (status %d): no form %q", p.URL, p.Status, sel)
	}
	action, _ := f.Attr("action")
	if action == "" {
		u, _ := url.Parse(p.URL)
		action = u.RequestURI()
	}
	vals := url.Values{}
	f.Find("input").Each(func(_ int, in *goquery.Selection) {
		name, ok := in.Attr("name")
		if !ok || name == "" {
			return
		}
		typ, _ := in.Attr("type")
		val, _ := in.Attr("value")
		switch typ {
		case "checkbox", "radio":
			if _, checked := in.Attr("checked"); checked {
				vals.Add(name, val)
			}
		case "submit", "button":
		default:
			vals.Add(name, val)
		}
	})
	return &form{Action: action, Values: vals}, nil
}

// Prepare GETs path and reads the form sel with fields filled in, ready to
// post (the POST itself may then race others).
func (c *client) Prepare(path, sel string, fields map[string]string) (*form, error) {
	p, err := c.Get(path)
	if err != nil {
		return nil, err
	}
	if p.Status != http.StatusOK {
		return nil, fmt.Errorf("GET %s: status %d, want 200", path, p.Status)
	}
	f, err := p.Form(sel)
	if err != nil {
		return nil, err
	}
	for k, v := range fields {
		f.Values.Set(k, v)
	}
	return f, nil
}

// Submit is Prepare and Post, failing t on any error.
func (c *client) Submit(t testing.TB, path, sel string, fields map[string]string) *page {
	t.Helper()
	f, err := c.Prepare(path, sel, fields)
	if err != nil {
		t.Fatal(err)
	}
	return c.MustPost(t, f.Action, f.Values)
}

// Register submits the register form; Login the login form.
func (c *client) Register(t testing.TB, email, password string) *page {
	t.Helper()
	return c.Submit(t, "/account/register", "#register-form", map[string]string{
		"email": email, "password": password, "confirm_password": password,
	})
}

func (c *client) Login(t testing.TB, email, password string) *page {
	t.Helper()
	return c.Submit(t, "/account/login", "#login-form", map[string]string{"email": email, "password": password})
}

// SignedIn reports whether c is signed in: /account/manage answers 200 or
// sends it to the login page.
func (c *client) SignedIn(t testing.TB) bool {
	t.Helper()
	p := c.MustGet(t, "/account/manage")
	switch {
	case p.Status == http.StatusOK:
		return true
	case p.Status == http.StatusSeeOther && strings.HasPrefix(p.Location(), "/account/login"):
		return false
	}
	t.Fatalf("GET /account/manage: %v, want 200 or a redirect to the login page", p)
	return false
}

// wantRedirect fails t unless p is a 303 to a location starting with to.
func wantRedirect(t testing.TB, p *page, to string) {
	t.Helper()
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location(), to) {
		t.Fatalf("%v, want 303 to %s; body:\n%.2000s", p, to, p.Body)
	}
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
	p := c.MustGet(t, path)
	f, err := p.Form(sel)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(base)
	var cookie string
	for _, ck := range c.jar.Cookies(u) {
		if ck.Name == "portal_csrf" {
			cookie = ck.Value
		}
	}
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

// --- In-process server ---

// testClock is a settable clock shared by the server and the test.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// inProcess is Portal booted through portal.New on a temp SQLite file.
type inProcess struct {
	URL    string
	Portal *portal.Portal
	Clock  *testClock
	Outbox string
	DBPath string
	Log    *syncBuffer
}

// newInProcess boots Portal with a temp database, mail to a temp outbox,
// an injected clock and very cheap argon2id parameters (the production
// parameters are exercised by the flood test against the binary).
func newInProcess(t testing.TB, opts ...func(*portal.Config)) *inProcess {
	t.Helper()
	dir := t.TempDir()
	clock := &testClock{now: time.Now().UTC().Truncate(time.Second)}
	cfg := portal.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.DB = filepath.Join(dir, "portal.db")
	cfg.Mail = "dir:" + filepath.Join(dir, "outbox")
	cfg.Argon2Memory = 64
	cfg.Argon2Iterations = 1
	cfg.Now = clock.Now
	for _, o := range opts {
		o(&cfg)
	}
	logBuf := &syncBuffer{}
	cfg.Logger = slog.New(slog.NewTextHandler(logBuf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ts := httptest.NewUnstartedServer(nil)
	cfg.BaseURL = "http://" + ts.Listener.Addr().String()
	p, err := portal.New(cfg)
	if err != nil {
		t.Fatalf("portal.New: %v", err)
	}
	ts.Config.Handler = p.Handler()
	ts.Start()
	t.Cleanup(func() {
		ts.Close()
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if t.Failed() {
			t.Logf("server log (tail):\n%s", tail(logBuf.String(), 6000))
		}
	})
	return &inProcess{URL: ts.URL, Portal: p, Clock: clock, Outbox: strings.TrimPrefix(cfg.Mail, "dir:"), DBPath: cfg.DB, Log: logBuf}
}

// Mails delivers the mail queue and reads the outbox.
func (s *inProcess) Mails(t testing.TB) []mailMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Portal.FlushMail(ctx); err != nil {
		t.Fatalf("FlushMail: %v", err)
	}
	return readOutbox(t, s.Outbox)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
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
	out     *syncBuffer
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
		Addr: addr, URL: "http://" + addr, out: &syncBuffer{},
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
			t.Logf("portal output (tail):\n%s", tail(s.out.String(), 6000))
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
			s.t.Fatalf("portal exited during start-up:\n%s", tail(s.out.String(), 4000))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Since(start) > 15*time.Second {
			s.t.Fatalf("portal not ready after 15 s:\n%s", tail(s.out.String(), 4000))
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

// --- Database (gray box) ---

// openDB opens the SQLite file for gray-box reads (WAL: beside a running
// server, or after it was killed).
func openDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// countUsers counts accounts whose normalized address is norm.
func countUsers(t testing.TB, path, norm string) int {
	t.Helper()
	db := openDB(t, path)
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM users WHERE normalized_email = ?`, norm).Scan(&n); err != nil {
		t.Fatal(err)
	}
	db.Close()
	return n
}

// countAllUsers counts every account.
func countAllUsers(t testing.TB, path string) int {
	t.Helper()
	db := openDB(t, path)
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// --- Mail ---

// mailMessage is one message from a dir: outbox.
type mailMessage struct {
	To, Subject, Text string
}

// readOutbox reads every message in dir, oldest first.
func readOutbox(t testing.TB, dir string) []mailMessage {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".eml") {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	var out []mailMessage
	for _, n := range names {
		out = append(out, readMail(t, filepath.Join(dir, n)))
	}
	return out
}

func readMail(t testing.TB, path string) mailMessage {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var m mailMessage
	if to, err := netmail.ParseAddress(msg.Header.Get("To")); err == nil {
		m.To = to.Address
	}
	m.Subject, _ = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mt, "multipart/") {
		t.Fatalf("%s: want a multipart message, got %q", path, msg.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		b, _ := io.ReadAll(part)
		if strings.HasPrefix(part.Header.Get("Content-Type"), "text/plain") {
			m.Text = string(b)
		}
	}
	return m
}

var linkRE = regexp.MustCompile(`https?://[^\s"<>]+`)

// links returns the links in messages to addr that contain substr,
// oldest first.
func links(ms []mailMessage, addr, substr string) []string {
	var out []string
	for _, m := range ms {
		if !strings.EqualFold(m.To, addr) {
			continue
		}
		for _, l := range linkRE.FindAllString(m.Text, -1) {
			if strings.Contains(l, substr) {
				out = append(out, l)
			}
		}
	}
	return out
}

// waitForLink polls a subprocess's outbox until a mail to addr carries a
// link containing substr (the mail queue delivers asynchronously).
func waitForLink(t testing.TB, outbox, addr, substr string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if ls := links(readOutbox(t, outbox), addr, substr); len(ls) > 0 {
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
