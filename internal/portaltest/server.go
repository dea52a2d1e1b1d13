// Package portaltest is Portal's test kit: the whole server built by
// portal.New exactly as cmd/portal builds it, on a temporary database,
// a settable clock, a cookie-jar client that reads and submits forms like a
// browser, the dir: outbox read as a mail box, and the assertions the flow
// tests share. The flow tests (tests/), the reliability suite
// (tests/reliability) and the browser tests use it; nothing outside tests
// imports it.
package portaltest

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/mattn/go-sqlite3" // gray-box reads of the SQLite file

	"github.com/accountportal/portal"
)

// Clock is a settable clock shared by the server and the test.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock is a clock at the current time, truncated to the second.
func NewClock() *Clock { return &Clock{now: time.Now().UTC().Truncate(time.Second)} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// LocalhostBaseURL as the configured base URL is the listener's port on
// the name localhost: an IP address cannot be a WebAuthn relying party
// id, so tests of passkeys use it (see PasskeyServer).
const LocalhostBaseURL = "http://localhost"

// Server is a running Portal.
type Server struct {
	URL    string // the origin, http://127.0.0.1:port
	Base   string // the path Portal serves under ("" at the root; BasePath)
	Portal *portal.Portal
	Config portal.Config
	Clock  *Clock
	Outbox string // the dir: mailer's directory
	DBPath string // the SQLite file; "" on PostgreSQL
	Log    *SyncBuffer
}

// Config is the configuration flow tests start from: a temp SQLite file
// (a fresh PostgreSQL database when the flow backend is postgres), mail to a
// temp outbox, an injected clock, and cheap argon2id parameters (the
// production parameters are tested in identity).
func Config(t testing.TB) (portal.Config, *Clock) {
	t.Helper()
	dir := t.TempDir()
	clock := NewClock()
	cfg := portal.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.DB = filepath.Join(dir, "portal.db")
	if OnPostgres() {
		cfg.DB = FreshPostgres(t)
	}
	cfg.Mail = "dir:" + filepath.Join(dir, "outbox")
	cfg.Argon2Memory = 1024
	cfg.Argon2Iterations = 1
	cfg.Now = clock.Now
	return cfg, clock
}

// BasePath serves Portal under the path base ("/auth": --base-url
// http://127.0.0.1:port/auth). Clients of the server put Portal paths
// under it (Client.URL), and the assertions compare Locations with them
// (Page.Under).
func BasePath(base string) func(*portal.Config) {
	return func(c *portal.Config) { c.BaseURL = base }
}

// NewServer boots Portal through portal.New with Config. Options adjust
// the configuration first. The base URL is the test server's own URL
// unless an option sets one.
func NewServer(t testing.TB, opts ...func(*portal.Config)) *Server {
	t.Helper()
	cfg, clock := Config(t)
	for _, o := range opts {
		o(&cfg)
	}
	return Start(t, cfg, clock)
}

// Start boots Portal through portal.New with cfg (whose Now should be
// clock's) on a fresh listener, and stops it when the test ends. It logs
// to the server's Log (shown when the test fails) and sets the base URL
// to the listener's when cfg has none.
func Start(t testing.TB, cfg portal.Config, clock *Clock) *Server {
	t.Helper()
	return StartHost(t, cfg, clock, nil)
}

// StartHost is Start for a Go program that embeds Portal (DESIGN.md "Apps
// around Portal" 3): host builds the handler the listener serves — its
// own routes beside p.Handler() — from the started Portal. A nil host
// serves p.Handler() alone.
func StartHost(t testing.TB, cfg portal.Config, clock *Clock, host func(p *portal.Portal) http.Handler) *Server {
	t.Helper()
	logBuf := &SyncBuffer{}
	if cfg.Logger == nil { // an option may bring its own (then Log stays empty)
		cfg.Logger = slog.New(slog.NewTextHandler(logBuf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}

	// The base URL must be known before New; reserve the listener first.
	ts := httptest.NewUnstartedServer(nil)
	if cfg.BaseURL == "" || strings.HasPrefix(cfg.BaseURL, "/") {
		cfg.BaseURL = "http://" + ts.Listener.Addr().String() + strings.TrimSuffix(cfg.BaseURL, "/")
	}
	named := cfg.BaseURL == LocalhostBaseURL
	if named {
		_, port, _ := net.SplitHostPort(ts.Listener.Addr().String())
		cfg.BaseURL = "http://localhost:" + port
	}
	base := ""
	if u, err := url.Parse(cfg.BaseURL); err == nil {
		base = strings.TrimSuffix(u.Path, "/")
	}
	p, err := portal.New(cfg)
	if err != nil {
		ts.Listener.Close()
		t.Fatalf("portal.New: %v", err)
	}
	ts.Config.Handler = p.Handler()
	if host != nil {
		ts.Config.Handler = host(p)
	}
	ts.Start()
	t.Cleanup(func() {
		ts.Close()
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if t.Failed() {
			t.Logf("server log (tail):\n%s", Tail(logBuf.String(), 64<<10))
		}
	})
	origin := ts.URL
	if named {
		origin = cfg.BaseURL // the browser uses the name, as links in mail do
	}
	return &Server{
		URL: origin, Base: base, Portal: p, Config: p.Config(), Clock: clock,
		Outbox: strings.TrimPrefix(cfg.Mail, "dir:"), DBPath: sqlitePath(cfg.DB), Log: logBuf,
	}
}

// sqlitePath is the SQLite file of a --db value, or "" for PostgreSQL.
func sqlitePath(db string) string {
	if strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") {
		return ""
	}
	return db
}

// SyncBuffer is a bytes.Buffer safe for concurrent writers and readers.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Tail is the last n bytes of s, marked with … when cut.
func Tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// --- Backends ---

// FlowBackendEnv selects the flow tests' database: "" (SQLite, always) or
// "postgres" (a fresh database per server on PORTAL_TEST_POSTGRES_URL).
const FlowBackendEnv = "PORTAL_TEST_FLOW_BACKEND"

// OnPostgres reports whether servers get PostgreSQL databases.
func OnPostgres() bool { return os.Getenv(FlowBackendEnv) == "postgres" }

// RunOnBothBackends runs the tests of m on SQLite and then, when
// PORTAL_TEST_POSTGRES_URL is set, once more on PostgreSQL: the test binary
// runs itself again with PORTAL_TEST_FLOW_BACKEND=postgres. It returns the
// exit code for os.Exit.
func RunOnBothBackends(m *testing.M) int {
	code := m.Run()
	if os.Getenv(FlowBackendEnv) == "" && os.Getenv("PORTAL_TEST_POSTGRES_URL") != "" {
		fmt.Println("=== the flow tests again, on PostgreSQL")
		cmd := exec.Command(os.Args[0], os.Args[1:]...)
		cmd.Env = append(os.Environ(), FlowBackendEnv+"=postgres")
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Println("flow tests on PostgreSQL:", err)
			code = 1
		}
	}
	return code
}

// NeedPostgres skips t when PORTAL_TEST_POSTGRES_URL is unset, and fails
// it instead in CI (which must set it): for tests that only make sense on
// PostgreSQL (several instances on one database).
func NeedPostgres(t testing.TB) {
	t.Helper()
	if os.Getenv("PORTAL_TEST_POSTGRES_URL") == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CI must set PORTAL_TEST_POSTGRES_URL")
		}
		t.Skip("PORTAL_TEST_POSTGRES_URL is not set")
	}
}

// FreshPostgres creates an empty database on PORTAL_TEST_POSTGRES_URL's
// server, drops it when the test ends, and returns its URL.
func FreshPostgres(t testing.TB) string {
	t.Helper()
	admin := os.Getenv("PORTAL_TEST_POSTGRES_URL")
	if admin == "" {
		t.Fatal("PORTAL_TEST_FLOW_BACKEND=postgres needs PORTAL_TEST_POSTGRES_URL")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	defer conn.Close(ctx)
	name := "portal_flow_" + RandomHex(6)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, admin); err == nil {
			c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(ctx)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// RandomHex is n random bytes in hex: names that no other run uses.
func RandomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// --- Gray box ---

// OpenSQLite opens the SQLite file at path for gray-box reads and writes
// (read-only with readOnly), beside a running server or after it stopped
// or was killed. It is closed when the test ends.
func OpenSQLite(t testing.TB, path string, readOnly bool) *sql.DB {
	t.Helper()
	dsn := "file:" + path + "?_busy_timeout=5000"
	if readOnly {
		dsn += "&mode=ro"
	}
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// GrayDB opens the server's database for gray-box reads and writes (closed
// when the test ends). The gray-box checks are written for SQLite; on
// PostgreSQL the test is skipped from here on — the store suite checks
// PostgreSQL's tables.
func (s *Server) GrayDB(t testing.TB, readOnly bool) *sql.DB {
	t.Helper()
	if s.DBPath == "" {
		t.Skip("gray-box SQL checks are SQLite-only; the store suite covers PostgreSQL")
	}
	return OpenSQLite(t, s.DBPath, readOnly)
}

// CountUsers counts the accounts in db whose normalized address is
// normalizedEmail, or all accounts when it is "".
func CountUsers(t testing.TB, db *sql.DB, normalizedEmail string) int {
	t.Helper()
	q, args := "SELECT COUNT(*) FROM users", []any{}
	if normalizedEmail != "" {
		q, args = q+" WHERE normalized_email = ?", []any{normalizedEmail}
	}
	var n int
	if err := db.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("count users: %v", err)
	}
	return n
}

// CountUsers is CountUsers on the server's database (gray box, SQLite).
func (s *Server) CountUsers(t testing.TB, normalizedEmail string) int {
	t.Helper()
	return CountUsers(t, s.GrayDB(t, true), normalizedEmail)
}

// UserID is the id of the account of email, through the identity service.
func (s *Server) UserID(t testing.TB, email string) string {
	t.Helper()
	u, err := s.Portal.Identity().FindUserByEmail(context.Background(), email)
	if err != nil {
		t.Fatalf("find %s: %v", email, err)
	}
	return u.ID
}
