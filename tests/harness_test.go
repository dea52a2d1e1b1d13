// Package tests holds Portal's end-to-end tests: the whole server, built by
// portal.New exactly as cmd/portal builds it, on a real SQLite file in a
// temporary directory, driven by a cookie-jar client that reads forms like
// a browser.
package tests

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	netmail "net/mail"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/accountportal/portal"
)

// testClock is a settable clock shared by the server and the test.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock { return &testClock{now: time.Now().UTC().Truncate(time.Second)} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// testServer is a running Portal.
type testServer struct {
	URL    string
	Portal *portal.Portal
	Config portal.Config
	Clock  *testClock
	Outbox string // the dir: mailer's directory
	DBPath string // the SQLite file; "" on PostgreSQL
	Log    *bytes.Buffer
}

// testConfig is the configuration flow tests start from: a temp SQLite
// file, mail to a temp outbox, an injected clock, and cheap argon2id
// parameters (the production parameters are tested in identity).
func testConfig(t testing.TB) (portal.Config, *testClock) {
	t.Helper()
	dir := t.TempDir()
	clock := newTestClock()
	cfg := portal.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.DB = filepath.Join(dir, "portal.db")
	if onPostgres() {
		cfg.DB = freshPostgres(t)
	}
	cfg.Mail = "dir:" + filepath.Join(dir, "outbox")
	cfg.Argon2Memory = 1024
	cfg.Argon2Iterations = 1
	cfg.Now = clock.Now
	return cfg, clock
}

// sqlitePath is the SQLite file of a --db value, or "" for PostgreSQL.
func sqlitePath(db string) string {
	if strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") {
		return ""
	}
	return db
}

// newTestServer boots Portal through portal.New on a temp SQLite file.
// Options adjust the configuration first. The base URL is the test server's
// own URL.
func newTestServer(t testing.TB, opts ...func(*portal.Config)) *testServer {
	t.Helper()
	cfg, clock := testConfig(t)
	for _, o := range opts {
		o(&cfg)
	}
	logBuf := &syncBuffer{}
	if cfg.Logger == nil { // an option may bring its own (then Log stays empty)
		cfg.Logger = slog.New(slog.NewTextHandler(logBuf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}

	// The base URL must be known before New; reserve the listener first.
	ts := httptest.NewUnstartedServer(nil)
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://" + ts.Listener.Addr().String()
	}
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
			t.Logf("server log:\n%s", logBuf.String())
		}
	})
	return &testServer{
		URL: ts.URL, Portal: p, Config: p.Config(), Clock: clock,
		Outbox: strings.TrimPrefix(cfg.Mail, "dir:"), DBPath: sqlitePath(cfg.DB), Log: &logBuf.Buffer,
	}
}

type syncBuffer struct {
	mu sync.Mutex
	bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.Buffer.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.Buffer.String()
}

// client is one browser: a cookie jar, no automatic redirects, and the
// Origin and Sec-Fetch-Site headers a browser sends with a same-origin form.
type client struct {
	t    testing.TB
	srv  *testServer
	http *http.Client
	jar  *cookiejar.Jar
	// extra headers sent with every request (e.g. X-Forwarded-For to act
	// as another client behind a trusted proxy).
	extra http.Header
}

// WithHeader makes every later request of c carry the header.
func (c *client) WithHeader(key, value string) *client {
	if c.extra == nil {
		c.extra = http.Header{}
	}
	c.extra.Set(key, value)
	return c
}

func newClient(t testing.TB, srv *testServer) *client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &client{t: t, srv: srv, jar: jar, http: &http.Client{
		Jar:     jar,
		Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
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
func (p *page) Doc(t testing.TB) *goquery.Document {
	t.Helper()
	if p.doc == nil {
		d, err := goquery.NewDocumentFromReader(strings.NewReader(p.Body))
		if err != nil {
			t.Fatalf("parse %s: %v", p.URL, err)
		}
		p.doc = d
	}
	return p.doc
}

// Text returns the trimmed text of the first element matching sel.
func (p *page) Text(t testing.TB, sel string) string {
	t.Helper()
	return strings.TrimSpace(p.Doc(t).Find(sel).First().Text())
}

// Has reports whether an element matches sel.
func (p *page) Has(t testing.TB, sel string) bool {
	t.Helper()
	return p.Doc(t).Find(sel).Length() > 0
}

// Location is the redirect target.
func (p *page) Location() string { return p.Header.Get("Location") }

func (c *client) do(req *http.Request) *page {
	c.t.Helper()
	for k, vs := range c.extra {
		req.Header[k] = vs
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return &page{Status: resp.StatusCode, Header: resp.Header, Body: string(body), URL: req.URL.String()}
}

func (c *client) abs(path string) string {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		return path
	}
	return c.srv.URL + path
}

// Get fetches path.
func (c *client) Get(path string) *page {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.abs(path), nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do(req)
}

// Post sends form to path as a same-origin browser form would.
func (c *client) Post(path string, form url.Values) *page {
	c.t.Helper()
	return c.PostWithHeaders(path, form, http.Header{
		"Origin":         {c.srv.URL},
		"Sec-Fetch-Site": {"same-origin"},
	})
}

// PostWithHeaders sends form with exactly the extra headers given.
func (c *client) PostWithHeaders(path string, form url.Values, h http.Header) *page {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.abs(path), strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, vs := range h {
		req.Header[k] = vs
	}
	return c.do(req)
}

// Follow GETs the redirect target of p (which must be a 303 or 302).
func (c *client) Follow(p *page) *page {
	c.t.Helper()
	if p.Status != http.StatusSeeOther && p.Status != http.StatusFound {
		c.t.Fatalf("%s: status %d, want a redirect; body:\n%s", p.URL, p.Status, p.Body)
	}
	return c.Get(p.Location())
}

// form is an HTML form read from a page: its action and every named
// input's value, as a browser would submit it.
type form struct {
	Action string
	Values url.Values
}

// Form reads the form matching sel on p.
func (p *page) Form(t testing.TB, sel string) *form {
	t.Helper()
	f := p.Doc(t).Find(sel).First()
	if f.Length() == 0 {
		t.Fatalf("%s: no form %q in:\n%s", p.URL, sel, p.Body)
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
	return &form{Action: action, Values: vals}
}

// Set sets a field, replacing its value.
func (f *form) Set(name, value string) *form {
	f.Values.Set(name, value)
	return f
}

// Submit posts the form from the page at path (GET path, read the form
// sel, fill in fields, post it).
func (c *client) Submit(path, sel string, fields map[string]string) *page {
	c.t.Helper()
	p := c.Get(path)
	if p.Status != http.StatusOK {
		c.t.Fatalf("GET %s: status %d, want 200; body:\n%s", path, p.Status, p.Body)
	}
	f := p.Form(c.t, sel)
	for k, v := range fields {
		f.Set(k, v)
	}
	return c.Post(f.Action, f.Values)
}

// Cookie returns the value of the named cookie for the server, or "".
func (c *client) Cookie(name string) string {
	u, _ := url.Parse(c.srv.URL)
	for _, ck := range c.jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

// SetCookie puts a cookie in the jar (to replay an old one).
func (c *client) SetCookie(name, value string) {
	u, _ := url.Parse(c.srv.URL)
	c.jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}

const sessionCookie = "portal_session" // __Host-portal_session on https

// Register registers email/password through the register form and asserts
// the 303.
func (c *client) Register(email, password string) *page {
	c.t.Helper()
	p := c.Submit("/account/register", "#register-form", map[string]string{
		"email": email, "password": password, "confirm_password": password,
	})
	if p.Status != http.StatusSeeOther {
		c.t.Fatalf("register %s: status %d, want 303; body:\n%s", email, p.Status, p.Body)
	}
	return p
}

// Login submits the login form.
func (c *client) Login(email, password string, remember bool) *page {
	c.t.Helper()
	fields := map[string]string{"email": email, "password": password}
	if remember {
		fields["remember_me"] = "true"
	}
	return c.Submit("/account/login", "#login-form", fields)
}

// mailMessage is one message from the dir: outbox.
type mailMessage struct {
	To, Subject, Text, HTML string
	File                    string
}

// Mails delivers the mail queue and reads every message in the outbox
// directory, oldest first.
func (s *testServer) Mails(t testing.TB) []mailMessage {
	t.Helper()
	if err := s.Portal.FlushMail(context.Background()); err != nil {
		t.Fatalf("FlushMail: %v", err)
	}
	entries, err := os.ReadDir(s.Outbox)
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
		out = append(out, readMail(t, filepath.Join(s.Outbox, n)))
	}
	return out
}

// MailsTo returns the messages to addr, oldest first.
func (s *testServer) MailsTo(t testing.TB, addr string) []mailMessage {
	t.Helper()
	var out []mailMessage
	for _, m := range s.Mails(t) {
		if strings.EqualFold(m.To, addr) {
			out = append(out, m)
		}
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
	m := mailMessage{File: path}
	if to, err := netmail.ParseAddress(msg.Header.Get("To")); err == nil {
		m.To = to.Address
	}
	dec := new(mime.WordDecoder)
	m.Subject, _ = dec.DecodeHeader(msg.Header.Get("Subject"))
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mt, "multipart/") {
		t.Fatalf("%s: want a multipart message, got %q", path, msg.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart() // decodes quoted-printable
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		b, _ := io.ReadAll(part)
		switch ct := part.Header.Get("Content-Type"); {
		case strings.HasPrefix(ct, "text/plain"):
			m.Text = string(b)
		case strings.HasPrefix(ct, "text/html"):
			m.HTML = string(b)
		}
	}
	return m
}

var linkRE = regexp.MustCompile(`https?://[^\s"<>]+`)

// Link returns the first link in the message's text that contains substr.
func (m mailMessage) Link(t testing.TB, substr string) string {
	t.Helper()
	for _, l := range linkRE.FindAllString(m.Text, -1) {
		if strings.Contains(l, substr) {
			return l
		}
	}
	t.Fatalf("no link with %q in mail %q:\n%s", substr, m.Subject, m.Text)
	return ""
}

// ConfirmEmail follows the confirmation link mailed to addr and presses the
// button.
func (c *client) ConfirmEmail(addr string) {
	c.t.Helper()
	mails := c.srv.MailsTo(c.t, addr)
	if len(mails) == 0 {
		c.t.Fatalf("no mail to %s", addr)
	}
	link := mails[len(mails)-1].Link(c.t, "/account/confirm-email")
	p := c.Submit(link, "#confirm-email-form", nil)
	if p.Status != http.StatusSeeOther {
		c.t.Fatalf("confirm %s: status %d, want 303; body:\n%s", addr, p.Status, p.Body)
	}
}

// SignedUp registers and confirms a user and returns a client signed in
// as it.
func (s *testServer) SignedUp(t testing.TB, email, password string) *client {
	t.Helper()
	c := newClient(t, s)
	c.Register(email, password)
	if s.Config.RequireConfirmedEmail {
		c.ConfirmEmail(email)
		if p := c.Login(email, password, false); p.Status != http.StatusSeeOther {
			t.Fatalf("login %s: status %d, want 303; body:\n%s", email, p.Status, p.Body)
		}
	}
	return c
}
