package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/crypto/argon2"

	"github.com/accountportal/portal/identity"
)

// bnClient makes the one-off set-up requests from src: no cookie jar
// (cookies are handled by hand, per connection), no redirects, no
// keep-alive.
func bnClient(src net.IP) *http.Client {
	return &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{DialContext: bnDialer(src).DialContext, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// bnLoginPage is what an anonymous GET /account/login hands out.
type bnLoginPage struct {
	CSRFCookie *http.Cookie
	Token      string   // the _csrf field
	CSSURL     string   // the hashed stylesheet URL
	SetCookies []string // names of the cookies the response set
}

func bnGetLoginPage(ctx context.Context, p *bnProc, src net.IP) (*bnLoginPage, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.URL("/account/login"), nil)
	resp, err := bnClient(src).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /account/login: %s", resp.Status)
	}
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		return nil, err
	}
	lp := &bnLoginPage{}
	for _, c := range resp.Cookies() {
		lp.SetCookies = append(lp.SetCookies, c.Name)
		if strings.Contains(c.Name, "csrf") {
			lp.CSRFCookie = c
		}
	}
	lp.Token, _ = doc.Find(`#login-form input[name="_csrf"]`).Attr("value")
	lp.CSSURL, _ = doc.Find(`link[rel="stylesheet"]`).Attr("href")
	if lp.CSRFCookie == nil || lp.Token == "" || lp.CSSURL == "" {
		return nil, fmt.Errorf("login page: csrf cookie %v, token %q, stylesheet %q", lp.CSRFCookie != nil, lp.Token, lp.CSSURL)
	}
	return lp, nil
}

// bnLoginPost is the POST /account/login of email with the right password,
// carrying the CSRF cookie and token of lp, as a browser sends it.
func bnLoginPost(p *bnProc, src net.IP, lp *bnLoginPage, email string) bnRequest {
	form := url.Values{"email": {email}, "password": {bnPassword}, "_csrf": {lp.Token}}
	h := http.Header{
		"Content-Type": {"application/x-www-form-urlencoded"},
		"Cookie":       {lp.CSRFCookie.Name + "=" + lp.CSRFCookie.Value},
		"Origin":       {"http://" + p.addr},
	}
	rq := bnRawRequest(http.MethodPost, p.addr, "/account/login", h, form.Encode(), http.StatusSeeOther)
	rq.src = src
	return rq
}

// bnSignIn signs email in through the real login form and returns the
// Cookie header of the signed-in browser (CSRF and session cookies).
func bnSignIn(ctx context.Context, p *bnProc, src net.IP, email string) (string, error) {
	lp, err := bnGetLoginPage(ctx, p, src)
	if err != nil {
		return "", err
	}
	form := url.Values{"email": {email}, "password": {bnPassword}, "_csrf": {lp.Token}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, p.URL("/account/login"), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "http://"+p.addr)
	req.AddCookie(lp.CSRFCookie)
	resp, err := bnClient(src).Do(req)
	if err != nil {
		return "", err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return "", fmt.Errorf("sign in %s: %s", email, resp.Status)
	}
	cookies := []string{lp.CSRFCookie.Name + "=" + lp.CSRFCookie.Value}
	session := false
	for _, c := range resp.Cookies() {
		if strings.Contains(c.Name, "session") && c.Value != "" {
			cookies = append(cookies, c.Name+"="+c.Value)
			session = true
		}
	}
	if !session {
		return "", fmt.Errorf("sign in %s: no session cookie", email)
	}
	return strings.Join(cookies, "; "), nil
}

// bnCheckGet makes one GET with cookie and returns the status, headers and
// body, to verify a scenario's request before it is measured.
func bnCheckGet(ctx context.Context, p *bnProc, src net.IP, path, cookie string) (int, http.Header, string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.URL(path), nil)
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := bnClient(src).Do(req)
	if err != nil {
		return 0, nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b), err
}

// bnHashRate measures argon2id.IDKey at the server's default parameters in
// this process with `workers` goroutines: the ceiling of password sign-ins.
func bnHashRate(ctx context.Context, workers int, warmup, duration time.Duration) (float64, bnCPUUse) {
	p := identity.DefaultHashParams
	pw := []byte(bnPassword)
	salt := make([]byte, p.SaltLength)
	start := time.Now()
	from, to := start.Add(warmup), start.Add(warmup+duration)
	cpu := make(chan bnCPUUse, 1)
	go func() { cpu <- bnCPUWindow(ctx, 0, from, to) }()
	var mu sync.Mutex
	n := 0
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && time.Now().Before(to) {
				argon2.IDKey(pw, salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLength)
				if t := time.Now(); !t.Before(from) && t.Before(to) {
					mu.Lock()
					n++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return float64(n) / duration.Seconds(), <-cpu
}

// bnDBState is what the database looks like from outside, to show that a
// scenario wrote nothing.
type bnDBState struct {
	DataVersion  int64 // PRAGMA data_version: changes when another connection commits
	Sessions     int   // scs sessions rows
	UserSessions int   // registry rows
	Events       int   // security events
	DBSize       int64
	WALSize      int64
	WALModTime   time.Time
}

// bnDBWatch holds one connection to the server's database open, so that
// data_version sees every commit the server makes meanwhile.
type bnDBWatch struct {
	path string
	db   *sql.DB
	conn *sql.Conn
}

func bnOpenDBWatch(ctx context.Context, path string) (*bnDBWatch, error) {
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		return nil, err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	return &bnDBWatch{path: path, db: db, conn: conn}, nil
}

func (w *bnDBWatch) State(ctx context.Context) (bnDBState, error) {
	var s bnDBState
	err := errors.Join(
		w.conn.QueryRowContext(ctx, "PRAGMA data_version").Scan(&s.DataVersion),
		w.conn.QueryRowContext(ctx, "SELECT count(*) FROM sessions").Scan(&s.Sessions),
		w.conn.QueryRowContext(ctx, "SELECT count(*) FROM user_sessions").Scan(&s.UserSessions),
		w.conn.QueryRowContext(ctx, "SELECT count(*) FROM security_events").Scan(&s.Events),
	)
	if fi, e := os.Stat(w.path); e == nil {
		s.DBSize = fi.Size()
	}
	if fi, e := os.Stat(w.path + "-wal"); e == nil {
		s.WALSize, s.WALModTime = fi.Size(), fi.ModTime()
	}
	return s, err
}

// TouchedSince counts the registry rows whose last-seen time was written
// at or after since (the server stores UTC).
func (w *bnDBWatch) TouchedSince(ctx context.Context, since time.Time) (int, error) {
	var n int
	err := w.conn.QueryRowContext(ctx, "SELECT count(*) FROM user_sessions WHERE last_seen_at >= ?", since.UTC()).Scan(&n)
	return n, err
}

func (w *bnDBWatch) Close() {
	w.conn.Close()
	w.db.Close()
}
