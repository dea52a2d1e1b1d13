// Command spa serves a small single-page application — plain JavaScript,
// no build step — and its JSON API on one origin, with Portal under
// /account for signing in (DESIGN.md "Apps around Portal" 3, embedded in
// a Go program):
//
//   - GET /            the page (web/index.html), its script (web/app.js)
//     and stylesheet; the script is a file, so the page's
//     Content-Security-Policy allows no inline script;
//   - GET /api/me      the signed-in user and the CSRF token for the
//     script's calls, or 401 (Portal.RequireUser);
//   - GET, POST /api/notes  the user's notes; a POST needs the token in
//     the X-CSRF-Token header (Portal.CheckCSRF) and comes from this
//     origin only;
//   - /account/…, /static/…  Portal: sign in, register, manage the
//     account, sign out.
//
// Run it with:
//
//	go run ./examples/spa -addr localhost:8080
//
// then open http://localhost:8080/ (mail goes to the log: the
// confirmation link is printed there).
package main

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"flag"
	"io/fs"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/accountportal/portal"
)

//go:embed web
var web embed.FS

func main() {
	addr := flag.String("addr", "localhost:8080", "listen address")
	db := flag.String("db", "spa.db", "SQLite file")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *addr, *db, "log", nil); err != nil {
		log.Fatal(err)
	}
}

// run starts Portal and the application and serves until ctx ends;
// ready gets the listening address.
func run(ctx context.Context, addr, db, mailSpec string, ready func(net.Addr), tweak ...func(*portal.Config)) error {
	cfg := portal.DefaultConfig()
	cfg.Addr, cfg.DB, cfg.Mail = addr, db, mailSpec
	for _, t := range tweak {
		t(&cfg)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://" + ln.Addr().String()
	}
	p, err := portal.New(cfg)
	if err != nil {
		ln.Close()
		return err
	}
	defer p.Close()
	srv := p.Server() // Portal's timeouts and header limit
	srv.Handler = newApp(p)
	if ready != nil {
		ready(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// newApp is the whole URL space: Portal's routes and the application's.
func newApp(p *portal.Portal) http.Handler {
	a := &app{p: p, notes: map[string][]string{}}
	files, _ := fs.Sub(web, "web")
	mux := http.NewServeMux()
	mux.Handle("/account/", p.Handler())
	mux.Handle("/static/", p.Handler())
	mux.Handle("GET /healthz", p.Handler())
	mux.Handle("GET /api/me", p.RequireUser(http.HandlerFunc(a.me)))
	mux.Handle("GET /api/notes", p.RequireUser(http.HandlerFunc(a.listNotes)))
	mux.Handle("POST /api/notes", p.RequireUser(p.CheckCSRF(http.HandlerFunc(a.addNote))))
	mux.Handle("GET /{$}", page(files, "index.html"))
	mux.Handle("GET /app.js", page(files, "app.js"))
	mux.Handle("GET /app.css", page(files, "app.css"))
	return mux
}

// csp allows this origin's script and stylesheet only: no inline script.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// page serves one file of web/ with the application's security headers.
func page(files fs.FS, name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", csp)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("Cache-Control", "no-cache")
		http.ServeFileFS(w, r, files, name)
	})
}

// app is the application's own state: notes in memory, per user.
type app struct {
	p     *portal.Portal
	mu    sync.Mutex
	notes map[string][]string // by user id
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// me is who is signed in, with the CSRF token the script sends back.
func (a *app) me(w http.ResponseWriter, r *http.Request) {
	u := portal.CurrentUser(r.Context()) // never nil behind RequireUser
	writeJSON(w, http.StatusOK, map[string]any{
		"user":       map[string]any{"id": u.ID, "email": u.Email, "two_factor_enabled": u.TwoFactorEnabled},
		"csrf_token": a.p.CSRFToken(r),
	})
}

func (a *app) listNotes(w http.ResponseWriter, r *http.Request) {
	u := portal.CurrentUser(r.Context())
	a.mu.Lock()
	notes := append([]string{}, a.notes[u.ID]...)
	a.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"notes": notes})
}

func (a *app) addNote(w http.ResponseWriter, r *http.Request) {
	u := portal.CurrentUser(r.Context())
	var in struct {
		Text string `json:"text"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10)).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad_request"})
		return
	}
	in.Text = strings.TrimSpace(in.Text)
	if in.Text == "" || utf8.RuneCountInString(in.Text) > 200 {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": "text: 1 to 200 characters"})
		return
	}
	a.mu.Lock()
	a.notes[u.ID] = append(a.notes[u.ID], in.Text)
	notes := append([]string{}, a.notes[u.ID]...)
	a.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{"notes": notes})
}
