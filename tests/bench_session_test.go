package tests

// Micro-benchmarks of the session middleware through the full handler
// (docs/performance.md): the whole application built by portal.New on a temp SQLite
// file, driven in-process with httptest (no network), so that a profile
// shows only Portal's own work per request:
//
//	go test -run '^$' -bench Session -benchmem -cpuprofile cpu.out ./tests
//	go tool pprof -top cpu.out

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/alexedwards/scs/v2"

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/identity"
)

// bnSessionApp is a Portal with one signed-in browser.
type bnSessionApp struct {
	handler http.Handler
	cookies string // the signed-in browser's Cookie header
}

// The one user of bnNewSessionApp.
const bnSessionEmail, bnSessionPassword = "bench@example.com", "bench-Passw0rd-correct-horse"

// bnNewSessionApp boots Portal (cheap argon2id: hashing is not what is
// measured here) and signs one user in through the real login form.
func bnNewSessionApp(b *testing.B) *bnSessionApp {
	b.Helper()
	return bnNewSessionAppWith(b, nil)
}

// bnNewSessionAppWith is bnNewSessionApp with a configuration hook.
func bnNewSessionAppWith(b *testing.B, opt func(*portal.Config)) *bnSessionApp {
	b.Helper()
	dir := b.TempDir()
	cfg := portal.DefaultConfig()
	cfg.Addr = "127.0.0.1:8080"
	cfg.DB = filepath.Join(dir, "portal.db")
	cfg.Mail = "dir:" + filepath.Join(dir, "outbox")
	cfg.Argon2Memory = 1024
	cfg.RequireConfirmedEmail = false
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if opt != nil {
		opt(&cfg)
	}
	p, err := portal.New(cfg)
	if err != nil {
		b.Fatalf("portal.New: %v", err)
	}
	b.Cleanup(func() { p.Close() })
	email, password := bnSessionEmail, bnSessionPassword
	if _, err := p.Identity().Register(context.Background(), identity.NewClient("192.0.2.1", "bench"),
		identity.RegisterInput{Email: email, Password: password}); err != nil {
		b.Fatalf("Register: %v", err)
	}
	app := &bnSessionApp{handler: p.Handler()}

	rec := app.serve(httptest.NewRequest(http.MethodGet, "/account/login", nil))
	doc, err := goquery.NewDocumentFromReader(rec.Body)
	if err != nil {
		b.Fatal(err)
	}
	token, _ := doc.Find(`#login-form input[name="_csrf"]`).Attr("value")
	var jar []string
	for _, c := range rec.Result().Cookies() {
		jar = append(jar, c.Name+"="+c.Value)
	}
	form := url.Values{"email": {email}, "password": {password}, "_csrf": {token}}
	req := httptest.NewRequest(http.MethodPost, "/account/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cookie", strings.Join(jar, "; "))
	rec = app.serve(req)
	if got, want := rec.Code, http.StatusSeeOther; got != want {
		b.Fatalf("POST /account/login=%d, want %d", got, want)
	}
	for _, c := range rec.Result().Cookies() {
		if strings.Contains(c.Name, "session") {
			jar = append(jar, c.Name+"="+c.Value)
		}
	}
	app.cookies = strings.Join(jar, "; ")
	return app
}

func (a *bnSessionApp) serve(req *http.Request) *httptest.ResponseRecorder {
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, req)
	return rec
}

// bnGet benchmarks GET path with cookies, serially or with b.RunParallel.
func (a *bnSessionApp) bnGet(b *testing.B, path, cookies string, want int, parallel bool) {
	b.Helper()
	one := func() int {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if cookies != "" {
			req.Header.Set("Cookie", cookies)
		}
		return a.serve(req).Code
	}
	if got := one(); got != want {
		b.Fatalf("GET %s=%d, want %d", path, got, want)
	}
	b.ReportAllocs()
	b.ResetTimer()
	if !parallel {
		for b.Loop() {
			if got := one(); got != want {
				b.Fatalf("GET %s=%d, want %d", path, got, want)
			}
		}
		return
	}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if got := one(); got != want {
				b.Errorf("GET %s=%d, want %d", path, got, want)
				return
			}
		}
	})
}

// BenchmarkSessionManage is a signed-in GET /account/manage: the scs
// session load, the registry lookup joined with the user, the stamp check
// and the page.
func BenchmarkSessionManage(b *testing.B) {
	app := bnNewSessionApp(b)
	b.Run("serial", func(b *testing.B) { app.bnGet(b, "/account/manage", app.cookies, http.StatusOK, false) })
	b.Run("parallel", func(b *testing.B) { app.bnGet(b, "/account/manage", app.cookies, http.StatusOK, true) })
}

// BenchmarkSessionJSON is a signed-in GET /account/session: the same
// session load and registry lookup as a page, and a small JSON answer
// (issue 19: every API call of the application around Portal).
func BenchmarkSessionJSON(b *testing.B) {
	app := bnNewSessionApp(b)
	b.Run("serial", func(b *testing.B) { app.bnGet(b, "/account/session", app.cookies, http.StatusOK, false) })
	b.Run("parallel", func(b *testing.B) { app.bnGet(b, "/account/session", app.cookies, http.StatusOK, true) })
}

// BenchmarkSessionForwardAuth is a signed-in GET /account/forward-auth
// (a reverse proxy's check of every request it passes on, issue 19).
func BenchmarkSessionForwardAuth(b *testing.B) {
	app := bnNewSessionApp(b)
	b.Run("serial", func(b *testing.B) { app.bnGet(b, "/account/forward-auth", app.cookies, http.StatusOK, false) })
	b.Run("parallel", func(b *testing.B) { app.bnGet(b, "/account/forward-auth", app.cookies, http.StatusOK, true) })
}

// BenchmarkSessionLoginPage is an anonymous GET /account/login (no
// session cookie: nothing is loaded from the database).
func BenchmarkSessionLoginPage(b *testing.B) {
	app := bnNewSessionApp(b)
	b.Run("serial", func(b *testing.B) { app.bnGet(b, "/account/login", "", http.StatusOK, false) })
	b.Run("parallel", func(b *testing.B) { app.bnGet(b, "/account/login", "", http.StatusOK, true) })
}

// BenchmarkSessionLoginPost is a successful POST /account/login with
// argon2id at its minimum cost (8 KiB, t=1), so that what is measured is
// everything Portal does around the hash: rate limits, the user lookup,
// the session registry row, the security event and the scs session. Each
// iteration comes from its own IP (the per-IP sign-in limit is 100 an
// hour) as an anonymous visitor with a CSRF cookie.
func BenchmarkSessionLoginPost(b *testing.B) {
	app := bnNewSessionAppWith(b, func(c *portal.Config) { c.Argon2Memory = 8 })
	rec := app.serve(httptest.NewRequest(http.MethodGet, "/account/login", nil))
	doc, err := goquery.NewDocumentFromReader(rec.Body)
	if err != nil {
		b.Fatal(err)
	}
	token, _ := doc.Find(`#login-form input[name="_csrf"]`).Attr("value")
	var csrf string
	for _, c := range rec.Result().Cookies() {
		csrf = c.Name + "=" + c.Value
	}
	body := url.Values{"email": {bnSessionEmail}, "password": {bnSessionPassword}, "_csrf": {token}}.Encode()
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		i++
		req := httptest.NewRequest(http.MethodPost, "/account/login", strings.NewReader(body))
		req.RemoteAddr = fmt.Sprintf("10.%d.%d.%d:1234", byte(i>>16), byte(i>>8), byte(i))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Cookie", csrf)
		if got, want := app.serve(req).Code, http.StatusSeeOther; got != want {
			b.Fatalf("POST /account/login=%d, want %d", got, want)
		}
	}
}

// BenchmarkSessionCodec compares scs's default GobCodec, which every
// request with a session cookie pays to decode (a fresh gob decoder per
// session compiles the map's type each time), with bnTaggedCodec, a
// minimal typed binary codec of the value types Portal stores (string,
// bool, int, int64, []byte): the evidence for replacing the codec.
func BenchmarkSessionCodec(b *testing.B) {
	values := map[string]any{
		"sid":          "q3v1Xw0bYy7m2lS9cXoP4k",
		"csrf":         "V8nJ5hT6rA1dE0fG2hI3jq3v1Xw0bYy7m2lS9cXoP4k",
		"__rememberMe": false,
	}
	deadline := time.Now().Add(14 * 24 * time.Hour)
	for _, c := range []struct {
		name  string
		codec scs.Codec
	}{{"gob", scs.GobCodec{}}, {"tagged", bnTaggedCodec{}}} {
		enc, err := c.codec.Encode(deadline, values)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name+"/encode", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.codec.Encode(deadline, values); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/decode", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, v, err := c.codec.Decode(enc); err != nil || v["sid"] != values["sid"] {
					b.Fatalf("decode: %v %v", v, err)
				}
			}
		})
	}
}

// bnTaggedCodec encodes the deadline and each key with a one-byte type tag.
type bnTaggedCodec struct{}

func (bnTaggedCodec) Encode(deadline time.Time, values map[string]any) ([]byte, error) {
	buf := binary.AppendVarint(make([]byte, 0, 128), deadline.UnixNano())
	str := func(s string) { buf = append(binary.AppendUvarint(buf, uint64(len(s))), s...) }
	for k, v := range values {
		str(k)
		switch v := v.(type) {
		case string:
			buf = append(buf, 's')
			str(v)
		case []byte:
			buf = append(buf, 'b')
			str(string(v))
		case bool:
			buf = append(buf, 't', 0)
			if v {
				buf[len(buf)-1] = 1
			}
		case int:
			buf = binary.AppendVarint(append(buf, 'i'), int64(v))
		case int64:
			buf = binary.AppendVarint(append(buf, 'l'), v)
		default:
			return nil, fmt.Errorf("session value %q: unsupported type %T", k, v)
		}
	}
	return buf, nil
}

func (bnTaggedCodec) Decode(b []byte) (time.Time, map[string]any, error) {
	bad := errors.New("session data: malformed")
	ns, n := binary.Varint(b)
	if n <= 0 {
		return time.Time{}, nil, bad
	}
	b = b[n:]
	str := func() (string, bool) {
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l {
			return "", false
		}
		s := string(b[n : n+int(l)])
		b = b[n+int(l):]
		return s, true
	}
	values := map[string]any{}
	for len(b) > 0 {
		k, ok := str()
		if !ok || len(b) == 0 {
			return time.Time{}, nil, bad
		}
		tag := b[0]
		b = b[1:]
		switch tag {
		case 's', 'b':
			s, ok := str()
			if !ok {
				return time.Time{}, nil, bad
			}
			if tag == 's' {
				values[k] = s
			} else {
				values[k] = []byte(s)
			}
		case 't':
			if len(b) == 0 {
				return time.Time{}, nil, bad
			}
			values[k] = b[0] == 1
			b = b[1:]
		case 'i', 'l':
			v, n := binary.Varint(b)
			if n <= 0 {
				return time.Time{}, nil, bad
			}
			b = b[n:]
			if tag == 'i' {
				values[k] = int(v)
			} else {
				values[k] = v
			}
		default:
			return time.Time{}, nil, bad
		}
	}
	return time.Unix(0, ns), values, nil
}
