package handlers

// Fuzz targets for the HTTP layer (the reliability suite's fuzzing part). A
// plain `go test ./handlers/` runs the seed corpus below; CI does not fuzz.
// To fuzz one target locally:
//
//	go test -run '^$' -fuzz FuzzSafeReturnURL -fuzztime 30s ./handlers/
//	go test -run '^$' -fuzz FuzzFormPost -fuzztime 30s ./handlers/
//
// A failing input is saved under testdata/fuzz/<FuzzName>/ and then runs
// with every plain `go test` until it is fixed.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/alexedwards/scs/sqlite3store"

	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/mail"
	"github.com/accountportal/portal/static"
	"github.com/accountportal/portal/store/sqlite"
)

// returnURLSeeds are BRW-08's open-redirect attempts and a few good paths.
var returnURLSeeds = []string{
	"",
	"/",
	"/auth/account/manage", "/auth/../account", "/auth/%2e%2e/x", "/authx/y", "/auth", "/auth/",
	"/account/manage",
	"/account/manage?tab=2#x",
	"/a/b/../c",
	"https://evil.example",
	"//evil.example",
	`/\evil.example`,
	`\/\/evil.example`,
	"https:evil.example",
	"/%2F%2Fevil.example",
	"/%5Cevil.example",
	"/%252F%252Fevil.example",
	"/%25252F%25252Fevil.example",
	"https://portal.test.evil.example",
	"https://portal.test@evil.example",
	"javascript:alert(1)",
	"data:text/html,<script>alert(1)</script>",
	"/%0d%0aSet-Cookie:x=y",
	"/\r\nSet-Cookie: x=y",
	"/\t/evil.example",
	"/ /evil.example",
	"/%09/evil.example",
	"/.//evil.example",
	"///evil.example",
	"/%",
	"/%zz",
	"/@evil.example",
	"/\x00",
	"/\u3000/evil.example",
	"/\uff0f\uff0fevil.example", // fullwidth solidus
	"/" + strings.Repeat("a", 2047),
	"/" + strings.Repeat("a", 2048),
}

// isLocalPath is the BRW-08 rule as a browser sees it: the value resolves,
// against the portal's origin, to the portal's origin, and a browser's
// leniency (backslash as slash, stripped tabs and newlines) cannot make it
// another host.
func isLocalPath(s string) error {
	if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") {
		return fmt.Errorf("does not start with a single slash")
	}
	browser := strings.NewReplacer("\\", "/", "\t", "", "\n", "", "\r", "").Replace(s)
	if strings.HasPrefix(browser, "//") {
		return fmt.Errorf("a browser reads %q as a network-path reference", browser)
	}
	base, _ := url.Parse("https://portal.test/account/login")
	for _, v := range []string{s, browser, decodeAll(s)} {
		u, err := url.Parse(v)
		if err != nil {
			continue // a browser would not follow it anywhere either
		}
		if got := base.ResolveReference(u); got.Host != "portal.test" || got.Scheme != "https" || got.User != nil {
			return fmt.Errorf("resolves to %s://%s (user %v)", got.Scheme, got.Host, got.User)
		}
	}
	return nil
}

// FuzzSafeReturnURL: safeReturnURL returns its input or "", and what it
// returns is a single-slash local path under every reading (raw, decoded,
// as a lenient browser parses it); returnTo and loginURL are local too.
func FuzzSafeReturnURL(f *testing.F) {
	for _, s := range returnURLSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got := safeReturnURL(raw)
		if got != "" && got != raw {
			t.Fatalf("safeReturnURL(%q) = %q: neither the input nor empty", raw, got)
		}
		if got != "" {
			if err := isLocalPath(got); err != nil {
				t.Fatalf("safeReturnURL accepted %q: %v", raw, err)
			}
			if strings.ContainsFunc(got, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				t.Fatalf("safeReturnURL accepted control characters in %q", raw)
			}
			if d := decodeAll(got); strings.HasPrefix(d, "//") || strings.Contains(d, `\`) {
				t.Fatalf("safeReturnURL accepted %q, which decodes to %q", raw, d)
			}
		}
		if err := isLocalPath(returnTo(raw)); err != nil {
			t.Fatalf("returnTo(%q) = %q: %v", raw, returnTo(raw), err)
		}
		root, under := &Handler{}, &Handler{base: "/auth"}
		if l := root.loginURL(raw); !strings.HasPrefix(l, "/account/login") {
			t.Fatalf("loginURL(%q) = %q", raw, l)
		}
		// Under a base path a local returnUrl stays under it, also once
		// the browser has decoded it and resolved its dot segments.
		if got := under.localReturnURL(raw); got != "" {
			p := decodeAll(got)
			if i := strings.IndexAny(p, "?#"); i >= 0 {
				p = p[:i]
			}
			if c := path.Clean(p); c != "/auth" && !strings.HasPrefix(c, "/auth/") {
				t.Fatalf("under /auth, localReturnURL accepted %q, which leads to %q", raw, c)
			}
		}
	})
}

// fuzzServer is a Handler on a temp SQLite database with very cheap
// argon2id parameters, built the way portal.New builds it (handlers cannot
// import the root package).
type fuzzServer struct {
	h            *Handler
	base         string
	cookie, csrf string // an anonymous browser's CSRF cookie and token
	ip           atomic.Uint32
}

func newFuzzServer(tb testing.TB) *fuzzServer {
	tb.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := sqlite.Open(filepath.Join(tb.TempDir(), "fuzz.db"))
	if err != nil {
		tb.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	mailer, err := mail.New("log", "Portal <no-reply@localhost>", log)
	if err != nil {
		tb.Fatal(err)
	}
	key := func(b byte) []byte { return []byte(strings.Repeat(string(rune('a'+b)), 32)) }
	const base = "http://portal.test"
	id, err := identity.New(identity.Options{
		Store: st, Mailer: mailer, Log: log, BaseURL: base,
		Settings: identity.Settings{Argon2Memory: 8, Argon2Iterations: 1, Argon2Parallelism: 1},
		LogKey:   key(0), AuthenticatorKeyKey: key(1), RememberKey: key(2),
	})
	if err != nil {
		tb.Fatal(err)
	}
	assets, err := static.Load(static.Embedded())
	if err != nil {
		tb.Fatal(err)
	}
	sessions := sqlite3store.New(st.DB())
	u, _ := url.Parse(base)
	h, err := New(Options{
		Identity: id, SessionStore: sessions, Assets: assets, Log: log, SiteName: "Portal",
		BaseURL: u, CSRFKey: key(3), Ping: st.Ping,
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		sessions.StopCleanup()
		st.Close()
	})
	fs := &fuzzServer{h: h, base: base, cookie: randomString(32)}
	fs.csrf = h.csrfTokenFor(fs.cookie, "")
	return fs
}

// post sends body to path as a same-origin browser with a valid CSRF
// cookie, each request from its own address (so the per-IP limits do not
// turn every later input into a 429).
func (fs *fuzzServer) post(path, contentType, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, fs.base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Origin", fs.base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Cookie", "portal_csrf="+fs.cookie)
	n := fs.ip.Add(1)
	req.RemoteAddr = fmt.Sprintf("10.%d.%d.%d:1234", byte(n>>16), byte(n>>8), byte(n))
	rec := httptest.NewRecorder()
	fs.h.ServeHTTP(rec, req)
	return rec
}

// fuzzRoutes are the form posts a visitor without a session can make.
var fuzzRoutes = []string{
	"/account/login",
	"/account/register",
	"/account/forgot-password",
	"/account/resend-email-confirmation",
	"/account/reset-password",
	"/account/confirm-email",
	"/account/confirm-email-change",
	"/account/login-2fa",
	"/account/login-recovery-code",
	"/account/logout",
	"/account/external-login",
	"/account/external-login/confirm",
	"/account/reauthenticate",
	"/account/manage",
}

// FuzzFormPost: any form post, through the whole router — well-formed
// forms with fuzzed fields, raw url-encoded bodies and raw multipart
// bodies — never gets a 5xx, and a redirect never leaves the site.
func FuzzFormPost(f *testing.F) {
	seeds := []struct {
		route                           uint8
		returnURL, email, password, raw string
	}{
		{0, "", "a@example.com", "correct horse battery", ""},
		{1, "/account/manage", "new@example.com", "correct horse battery", ""},
		{1, "//evil.example", "new@example.com", "correct horse battery", ""},
		{2, "", "nobody@example.com", "", ""},
		{3, "", "a@example.com", "", ""},
		{4, "", "a@example.com", "new password here", "code=abc"},
		{5, "", "", "", "userId=x&code=y"},
		{7, "", "", "", "code=123456"},
		{8, "", "", "", "recovery_code=ABCDE-FGHJK"},
		{9, "https://evil.example", "", "", ""},
		{10, "", "", "", "provider=google"},
		{0, "", "a\x00b@example.com", "pass\x00word-long", ""},
		{0, "", "\xff\xfe@example.com", "\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8", ""},
		{1, "", strings.Repeat("a", 300) + "@example.com", strings.Repeat("p", 600), ""},
		{1, "", "ab@example.com", "abcdefgh", "email=%zz&password=%"},
		{0x40, "", "", "", "email=a%40example.com&password=x&email=b"},
		{0x41, "", "", "", "%%%&&&===;;;"},
		{0x80, "", "", "", "--x\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\na@example.com\r\n--x--\r\n"},
		{0x81, "", "", "", "--x\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\nunterminated"},
		{0x82, "", "", "", "garbage without a boundary"},
	}
	for _, s := range seeds {
		f.Add(s.route, s.returnURL, s.email, s.password, s.raw)
	}
	fs := newFuzzServer(f)
	f.Fuzz(func(t *testing.T, route uint8, returnURL, email, password, raw string) {
		path := fuzzRoutes[int(route&0x3f)%len(fuzzRoutes)]
		if returnURL != "" {
			path += "?" + url.Values{"returnUrl": {returnURL}}.Encode()
		}
		var rec *httptest.ResponseRecorder
		switch route >> 6 {
		case 1: // a raw url-encoded body, CSRF token appended
			rec = fs.post(path, "application/x-www-form-urlencoded", raw+"&_csrf="+fs.csrf)
		case 2, 3: // a raw multipart body, CSRF part appended
			body := raw + "\r\n--x\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n" + fs.csrf + "\r\n--x--\r\n"
			rec = fs.post(path, "multipart/form-data; boundary=x", body)
		default: // a well-formed form with fuzzed fields
			vals, _ := url.ParseQuery(raw)
			if vals == nil {
				vals = url.Values{}
			}
			vals.Set("_csrf", fs.csrf)
			vals.Set("email", email)
			vals.Set("password", password)
			vals.Set("confirm_password", password)
			rec = fs.post(path, "application/x-www-form-urlencoded", vals.Encode())
		}
		if rec.Code >= 500 {
			t.Fatalf("POST %s (route %#x, email %q, password %q, raw %q): status %d, want < 500; body:\n%.2000s",
				path, route, email, password, raw, rec.Code, rec.Body.String())
		}
		if loc := rec.Header().Get("Location"); loc != "" {
			if err := isLocalPath(loc); err != nil && !strings.HasPrefix(loc, fs.base+"/") {
				t.Fatalf("POST %s: redirect to %q: %v", path, loc, err)
			}
		}
	})
}
