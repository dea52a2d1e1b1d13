package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/internal/portaltest"
)

// start runs the example as main does, on a free port, and returns its
// URL.
func start(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, "127.0.0.1:0", filepath.Join(dir, "spa.db"), "dir:"+filepath.Join(dir, "outbox"),
			func(a net.Addr) { addrc <- a }, func(c *portal.Config) {
				c.Argon2Memory, c.Argon2Iterations = 1024, 1
				c.RequireConfirmedEmail = false
			})
	}()
	var base string
	select {
	case a := <-addrc:
		base = "http://" + a.String()
	case err := <-done:
		t.Fatalf("run: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the example did not start")
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	return base
}

// TestSPAAPI drives the API as the page's script does, without a browser:
// 401 before signing in, the user and a token after, a POST refused
// without the X-CSRF-Token header or from another origin, taken with it.
func TestSPAAPI(t *testing.T) {
	base := start(t)
	c := portaltest.NewClientAt(t, base)
	if p := c.Get("/api/me"); p.Status != http.StatusUnauthorized {
		t.Fatalf("/api/me anonymous: %d", p.Status)
	}
	page := c.Get("/")
	if page.Status != http.StatusOK || !strings.Contains(page.Body, `<script src="/app.js" defer>`) ||
		!strings.Contains(page.Header.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Fatalf("GET /: %d, CSP %q", page.Status, page.Header.Get("Content-Security-Policy"))
	}
	portaltest.WantStatus(t, c.Register("sam@example.com", "correct horse battery"), http.StatusSeeOther)
	me := c.Get("/api/me")
	portaltest.WantStatus(t, me, http.StatusOK)
	tok := between(me.Body, `"csrf_token":"`, `"`)
	if !strings.Contains(me.Body, `"email":"sam@example.com"`) || tok == "" {
		t.Fatalf("/api/me: %s", me.Body)
	}
	post := func(hd map[string]string) *portaltest.Page {
		req, _ := http.NewRequest(http.MethodPost, base+"/api/notes", strings.NewReader(`{"text":"milk"}`))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range hd {
			req.Header.Set(k, v)
		}
		return c.Do(req)
	}
	if p := post(map[string]string{"Origin": base}); p.Status != http.StatusForbidden {
		t.Fatalf("POST without the header: %d %s", p.Status, p.Body)
	}
	if p := post(map[string]string{"Origin": "https://evil.example", portal.CSRFHeader: tok}); p.Status != http.StatusForbidden {
		t.Fatalf("POST from another origin: %d %s", p.Status, p.Body)
	}
	if p := post(map[string]string{"Origin": base, portal.CSRFHeader: tok}); p.Status != http.StatusCreated || !strings.Contains(p.Body, "milk") {
		t.Fatalf("POST with the header: %d %s", p.Status, p.Body)
	}
}

func between(s, from, to string) string {
	_, after, ok := strings.Cut(s, from)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(after, to)
	return v
}

// TestSPABrowser (issue 19 §4): in chromium, the page says nobody is
// signed in; signing in through Portal's login page brings the browser
// back to the page, which shows the user from /api/me; a note is posted
// (with the CSRF header); after signing out the page says so and the API
// refuses the same call with the token it had.
func TestSPABrowser(t *testing.T) {
	exe := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			exe = p
			break
		}
	}
	if exe == "" {
		const msg = "chromium not installed; apt-get install chromium"
		if os.Getenv("CI") != "" {
			t.Fatal("CI must have a browser for the browser tests: " + msg)
		}
		t.Skip(msg)
	}
	base := start(t)
	// The account, made through Portal's register form by another browser.
	reg := portaltest.NewClientAt(t, base)
	portaltest.WantStatus(t, reg.Register("lea@example.com", "correct horse battery"), http.StatusSeeOther)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	tctx, cancelT := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancelT()
	actx, cancelA := chromedp.NewExecAllocator(tctx, opts...)
	defer cancelA()
	ctx, cancel := chromedp.NewContext(actx)
	defer func() {
		if err := chromedp.Cancel(ctx); err != nil && !errors.Is(err, context.Canceled) {
			t.Logf("closing the browser: %v", err)
		}
		cancel()
	}()
	var (
		mu         sync.Mutex
		exceptions []string
	)
	msgs := chromedp.Console(ctx)
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			t.Fatalf("%s: %v\nat %s:\n%s", what, err, loc, text)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}

	step("open the page", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(`body[data-state="signed-out"] #sign-in`)))
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.IsException() {
				mu.Lock()
				exceptions = append(exceptions, m.Text)
				mu.Unlock()
			}
		}
	}()
	step("sign in through Portal",
		chromedp.Click(chromedp.CSS("#sign-in")),
		chromedp.WaitVisible(chromedp.CSS("#f-email")),
		chromedp.SendKeys(chromedp.CSS("#f-email"), "lea@example.com"),
		chromedp.SendKeys(chromedp.CSS("#f-password"), "correct horse battery"),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS(`body[data-state="signed-in"] #user-email`)),
	)
	if got := text("#user-email"); got != "lea@example.com" {
		t.Fatalf("the page shows %q, want the signed-in user", got)
	}
	step("post a note",
		chromedp.SendKeys(chromedp.CSS("#note-text"), "buy oat milk"),
		chromedp.Click(chromedp.CSS("#note-add")),
		chromedp.WaitVisible(chromedp.CSS("#notes .note")),
	)
	if got, st := text("#notes .note"), text("#note-status"); got != "buy oat milk" || st != "Saved." {
		t.Fatalf("after posting: note %q, status %q", got, st)
	}
	token, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("sign-out-csrf").value`))
	if err != nil || token == "" {
		t.Fatalf("the page's token: %q %v", token, err)
	}
	step("sign out",
		chromedp.Click(chromedp.CSS("#sign-out-button")),
		chromedp.WaitVisible(chromedp.CSS(`body[data-state="signed-out"] #sign-in`)),
	)
	status, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf(
		`fetch("/api/notes", {method: "POST", credentials: "same-origin", headers: {"Content-Type": "application/json", "X-CSRF-Token": %q}, body: "{\"text\":\"after\"}"}).then(r => r.status)`,
		token), chromedp.EvalAwaitPromise))
	if err != nil || status != http.StatusUnauthorized {
		t.Fatalf("POST /api/notes after signing out: %d %v, want 401", status, err)
	}
	me, err := chromedp.Run(ctx, chromedp.Evaluate[int](`fetch("/api/me").then(r => r.status)`, chromedp.EvalAwaitPromise))
	if err != nil || me != http.StatusUnauthorized {
		t.Fatalf("GET /api/me after signing out: %d %v, want 401", me, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(exceptions) > 0 {
		t.Fatalf("script exceptions: %v", exceptions)
	}
}
