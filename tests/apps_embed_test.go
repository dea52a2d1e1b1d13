package tests

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/internal/portaltest"
)

// Embedded in a Go program (issue 19 §4, DESIGN.md "Apps around Portal"
// 3): the host's own net/http and echo handlers read the signed-in user
// from the request context, require one, and use Portal's CSRF
// protection (BRW-06) for their state-changing routes.

// emHost is a host program around p: Portal under /account and /static,
// and its own routes.
func emHost(p *portal.Portal) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/account/", p.Handler())
	mux.Handle("/static/", p.Handler())
	me := func(w http.ResponseWriter, r *http.Request) {
		u := portal.CurrentUser(r.Context())
		_, amr := portal.CurrentSession(r.Context())
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"email": u.Email, "id": u.ID, "amr": amr, "csrf_token": p.CSRFToken(r)})
	}
	mux.Handle("GET /api/me", p.RequireUser(http.HandlerFunc(me)))
	mux.Handle("POST /api/notes", p.RequireUser(p.CheckCSRF(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte("note by " + portal.CurrentUser(r.Context()).Email))
	}))))
	mux.Handle("GET /app/page", p.RequireUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("page of " + portal.CurrentUser(r.Context()).Email))
	})))
	mux.Handle("GET /public", p.Session(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u := portal.CurrentUser(r.Context()); u != nil {
			_, _ = w.Write([]byte("hello " + u.Email))
			return
		}
		_, _ = w.Write([]byte("hello stranger"))
	})))
	// An echo application mounted under /echo.
	e := echo.New()
	g := e.Group("/echo", p.EchoRequireUser())
	g.GET("/me", func(c echo.Context) error {
		return c.String(http.StatusOK, "echo "+portal.CurrentUser(c.Request().Context()).Email)
	})
	g.POST("/notes", func(c echo.Context) error {
		return c.String(http.StatusCreated, "echo note")
	}, p.EchoCheckCSRF())
	mux.Handle("/echo/", e)
	return mux
}

func emServer(t *testing.T) *portaltest.Server {
	cfg, clock := portaltest.Config(t)
	return portaltest.StartHost(t, cfg, clock, emHost)
}

// emJSON sends a fetch-like request (no navigation) with extra headers.
func emJSON(c *portaltest.Client, method, path string, hd map[string]string) *portaltest.Page {
	c.T().Helper()
	req, err := http.NewRequest(method, c.URL(path), strings.NewReader(`{"text":"hi"}`))
	if err != nil {
		c.T().Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	for k, v := range hd {
		req.Header.Set(k, v)
	}
	return c.Do(req)
}

func emWantJSONError(t *testing.T, p *portaltest.Page, status int, code string) {
	t.Helper()
	var e map[string]string
	if p.Status != status || json.Unmarshal([]byte(p.Body), &e) != nil || e["error"] != code {
		t.Fatalf("%s: status %d body %q, want %d {\"error\":%q}", p.URL, p.Status, p.Body, status, code)
	}
	if cc := p.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("%s: Cache-Control %q, want no-store", p.URL, cc)
	}
}

// TestEmbeddedHostRoutes: anonymous calls are refused (401 JSON for API
// calls, the login page for a browser loading a page); a signed-in
// browser's session reaches the host's net/http and echo handlers; a
// sign-out is seen by the very next call.
func TestEmbeddedHostRoutes(t *testing.T) {
	srv := emServer(t)
	anon := portaltest.NewClient(t, srv)
	emWantJSONError(t, emJSON(anon, http.MethodGet, "/api/me", nil), http.StatusUnauthorized, "unauthenticated")
	emWantJSONError(t, emJSON(anon, http.MethodGet, "/echo/me", nil), http.StatusUnauthorized, "unauthenticated")
	if p := anon.Get("/public"); p.Body != "hello stranger" {
		t.Fatalf("/public anonymous: %q", p.Body)
	}
	// A browser loading a page goes to the login page and comes back.
	nav := anon.Do(mustReq(t, http.MethodGet, anon.URL("/app/page?tab=2"), map[string]string{"Sec-Fetch-Mode": "navigate", "Accept": "text/html"}))
	portaltest.WantLoginRedirect(t, nav, "/app/page?tab=2")
	// A forged session cookie is anonymous, not an error.
	forged := portaltest.NewClient(t, srv)
	forged.SetCookie("portal_session", "forged-"+strings.Repeat("A", 40))
	emWantJSONError(t, emJSON(forged, http.MethodGet, "/api/me", nil), http.StatusUnauthorized, "unauthenticated")

	c := srv.ConfirmedUser(t, "emma@example.com", "correct horse battery")
	portaltest.WantRedirect(t, c.Login("emma@example.com", "correct horse battery", false), "/")
	p := emJSON(c, http.MethodGet, "/api/me", nil)
	portaltest.WantStatus(t, p, http.StatusOK)
	var me struct {
		Email, ID, CSRF string
		AMR             []string
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(p.Body), &raw); err != nil {
		t.Fatal(err)
	}
	me.Email, _ = raw["email"].(string)
	me.CSRF, _ = raw["csrf_token"].(string)
	if me.Email != "emma@example.com" || me.CSRF == "" {
		t.Fatalf("/api/me: %s", p.Body)
	}
	if amr, _ := raw["amr"].([]any); len(amr) != 1 || amr[0] != "pwd" {
		t.Errorf("amr %v, want [pwd]", raw["amr"])
	}
	if got := c.Get("/app/page"); got.Status != http.StatusOK || got.Body != "page of emma@example.com" {
		t.Fatalf("/app/page signed in: %d %q", got.Status, got.Body)
	}
	if got := c.Get("/public"); got.Body != "hello emma@example.com" {
		t.Fatalf("/public signed in: %q", got.Body)
	}
	if got := c.Get("/echo/me"); got.Status != http.StatusOK || got.Body != "echo emma@example.com" {
		t.Fatalf("/echo/me signed in: %d %q", got.Status, got.Body)
	}
	// No cookie is written by the host's routes for a live session.
	if sc := p.Header.Values("Set-Cookie"); len(sc) != 0 {
		t.Errorf("/api/me set cookies %v", sc)
	}

	portaltest.WantStatus(t, c.Logout(), http.StatusSeeOther)
	emWantJSONError(t, emJSON(c, http.MethodGet, "/api/me", nil), http.StatusUnauthorized, "unauthenticated")
	emWantJSONError(t, emJSON(c, http.MethodGet, "/echo/me", nil), http.StatusUnauthorized, "unauthenticated")
	emWantJSONError(t, emJSON(c, http.MethodPost, "/api/notes", map[string]string{
		portal.CSRFHeader: me.CSRF, "Origin": srv.URL, "Sec-Fetch-Site": "same-origin",
	}), http.StatusUnauthorized, "unauthenticated")
}

// TestEmbeddedCSRF (BRW-06): a host route behind CheckCSRF takes a
// same-origin request with the session's token in X-CSRF-Token (or the
// _csrf field of a form), and refuses one without it, with another
// browser's token, or from another origin.
func TestEmbeddedCSRF(t *testing.T) {
	srv := emServer(t)
	c := srv.ConfirmedUser(t, "carl@example.com", "correct horse battery")
	portaltest.WantRedirect(t, c.Login("carl@example.com", "correct horse battery", false), "/")
	token := func(c *portaltest.Client) string {
		p := emJSON(c, http.MethodGet, "/api/me", nil)
		portaltest.WantStatus(t, p, http.StatusOK)
		var m map[string]any
		_ = json.Unmarshal([]byte(p.Body), &m)
		s, _ := m["csrf_token"].(string)
		return s
	}
	tok := token(c)
	same := map[string]string{"Origin": srv.URL, "Sec-Fetch-Site": "same-origin"}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range same {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	if p := emJSON(c, http.MethodPost, "/api/notes", with(map[string]string{portal.CSRFHeader: tok})); p.Status != http.StatusCreated || p.Body != "note by carl@example.com" {
		t.Fatalf("POST with the token: %d %q", p.Status, p.Body)
	}
	if p := emJSON(c, http.MethodPost, "/echo/notes", with(map[string]string{portal.CSRFHeader: tok})); p.Status != http.StatusCreated {
		t.Fatalf("echo POST with the token: %d %q", p.Status, p.Body)
	}
	// A form post carries it in _csrf.
	if p := c.Post("/api/notes", url.Values{"_csrf": {tok}}); p.Status != http.StatusCreated {
		t.Fatalf("form POST with _csrf: %d %q", p.Status, p.Body)
	}

	other := srv.ConfirmedUser(t, "olga@example.com", "correct horse battery")
	portaltest.WantRedirect(t, other.Login("olga@example.com", "correct horse battery", false), "/")
	otherTok := token(other)
	for name, hd := range map[string]map[string]string{
		"no token":               same,
		"wrong token":            with(map[string]string{portal.CSRFHeader: "AAAA" + tok[4:]}),
		"another browser's":      with(map[string]string{portal.CSRFHeader: otherTok}),
		"cross-site":             {portal.CSRFHeader: tok, "Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
		"foreign Origin":         {portal.CSRFHeader: tok, "Origin": "https://evil.example"},
		"same-site other origin": {portal.CSRFHeader: tok, "Sec-Fetch-Site": "same-site", "Origin": "http://sub.127.0.0.1.example"},
	} {
		t.Run(name, func(t *testing.T) {
			emWantJSONError(t, emJSON(c, http.MethodPost, "/api/notes", hd), http.StatusForbidden, "csrf")
			emWantJSONError(t, emJSON(c, http.MethodPost, "/echo/notes", hd), http.StatusForbidden, "csrf")
		})
	}
}

func mustReq(t *testing.T, method, u string, hd map[string]string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hd {
		req.Header.Set(k, v)
	}
	return req
}

// TestEmbeddedTwoInstances (REL-04, SES-01): two host programs embedding
// Portal on one PostgreSQL database (sessions there or in Redis) trust
// the same session: signed in through A, B's host routes know the user
// and take its CSRF token; signed out on A, B's very next call is
// refused.
func TestEmbeddedTwoInstances(t *testing.T) {
	portaltest.NeedPostgres(t)
	if portaltest.OnPostgres() {
		t.Skip("runs once, in the first pass")
	}
	variants := map[string]string{"sessions in PostgreSQL": ""}
	if r := os.Getenv("PORTAL_TEST_REDIS_URL"); r != "" {
		variants["sessions in Redis"] = portaltest.WithQuery(r, "prefix", "portal-test:"+portaltest.RandomHex(6)+":")
	} else if os.Getenv("CI") != "" {
		t.Fatal("CI must set PORTAL_TEST_REDIS_URL")
	}
	for name, sessions := range variants {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg, clock := portaltest.Config(t)
			cfg.DB = portaltest.FreshPostgres(t)
			cfg.Sessions = sessions
			a, b := portaltest.StartHost(t, cfg, clock, emHost), portaltest.StartHost(t, cfg, clock, emHost)
			ca := a.SignedUp(t, "twice@example.com", mgPassword)
			cb := ca.On(b)
			p := emJSON(cb, http.MethodGet, "/api/me", nil)
			portaltest.WantStatus(t, p, http.StatusOK)
			var m map[string]any
			if err := json.Unmarshal([]byte(p.Body), &m); err != nil || m["email"] != "twice@example.com" {
				t.Fatalf("B's /api/me: %s", p.Body)
			}
			tok, _ := m["csrf_token"].(string)
			if p := emJSON(cb, http.MethodPost, "/api/notes", map[string]string{portal.CSRFHeader: tok, "Origin": b.URL, "Sec-Fetch-Site": "same-origin"}); p.Status != http.StatusCreated {
				t.Fatalf("B's POST with the token: %d %s", p.Status, p.Body)
			}
			portaltest.WantStatus(t, ca.Logout(), http.StatusSeeOther)
			emWantJSONError(t, emJSON(cb, http.MethodGet, "/api/me", nil), http.StatusUnauthorized, "unauthenticated")
			emWantJSONError(t, emJSON(cb, http.MethodPost, "/api/notes", map[string]string{portal.CSRFHeader: tok, "Origin": b.URL, "Sec-Fetch-Site": "same-origin"}),
				http.StatusUnauthorized, "unauthenticated")
		})
	}
}
