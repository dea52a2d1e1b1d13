package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accountportal/portal/internal/portaltest"
	"github.com/chromedp/chromedp"
)

// browserTimeout bounds everything one browser test does, from the start of
// chromium to the last action.
const browserTimeout = 60 * time.Second

// waitTimeout bounds one wait for an element, so that a failed wait leaves
// time to report where the browser is.
const waitTimeout = 10 * time.Second

// artifactsDir is where browser tests save screenshots. It is relative to
// the package directory, which is the working directory of go test, and it
// is gitignored.
const artifactsDir = "artifacts"

// browser is one headless chromium with one tab, driven through chromedp.
// Every method fails the test on an error, so a test reads as a list of
// steps.
type browser struct {
	t   testing.TB
	ctx context.Context

	out *portaltest.SyncBuffer // chromium's stdout and stderr, and chromedp's errors

	mu      sync.Mutex
	console []chromedp.ConsoleMessage
}

// findChromium returns the path of a chromium-compatible browser, or "".
func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// chromium is the one headless chromium the package's browser tests share,
// started by the first test that needs it and stopped by TestMain. Each test
// works in tabs of its own (newBrowser, newTab), each tab in a fresh browser
// context (its own cookies and storage), so tests run in parallel tabs
// instead of each paying for a browser start.
var chromium struct {
	once   sync.Once
	exe    string
	ctx    context.Context // the browser; children of it are tabs
	cancel func()
	out    *portaltest.SyncBuffer // chromium's stdout and stderr, and chromedp's errors
	err    error
}

// sharedChromium returns the shared browser's context, starting chromium
// on first use. Without a browser on PATH it skips the test, except under
// CI (CI set), where a missing browser is a failure.
func sharedChromium(t *testing.T) context.Context {
	t.Helper()
	chromium.once.Do(func() {
		chromium.exe = findChromium()
		if chromium.exe == "" {
			return
		}
		chromium.out = &portaltest.SyncBuffer{}
		dir, err := os.MkdirTemp("", "portal-chromium-")
		if err != nil {
			chromium.err = err
			return
		}
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(chromium.exe),
			chromedp.Headless,
			chromedp.NoSandbox,
			chromedp.DisableGPU,
			// Without these, chromium dials out, and this closed network
			// refuses its connections.
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-sync", true),
			chromedp.UserDataDir(dir),
			chromedp.CombinedOutput(chromium.out),
		)
		allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancelCtx := chromedp.NewContext(allocCtx,
			chromedp.WithErrorf(func(format string, args ...any) { fmt.Fprintf(chromium.out, "chromedp: "+format+"\n", args...) }),
		)
		chromium.ctx = ctx
		chromium.cancel = func() {
			// Close chromium gracefully, then free everything; the
			// allocator's cancel waits for the process to exit, so the
			// profile directory is no longer in use when it is removed.
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			chromedp.Cancel(cctx)
			cancel()
			cancelCtx()
			cancelAlloc()
			os.RemoveAll(dir)
		}
		start := time.Now()
		startCtx, cancelStart := context.WithTimeout(context.Background(), browserTimeout)
		defer cancelStart()
		stop := context.AfterFunc(startCtx, cancelCtx) // a start that hangs fails instead of blocking
		defer stop()
		if err := chromedp.Do(ctx); err != nil { // starts chromium and opens its first tab
			chromium.err = fmt.Errorf("start %s: %v\nbrowser output:\n%s", chromium.exe, err, chromium.out.String())
			chromium.cancel()
			chromium.ctx = nil
			return
		}
		fmt.Fprintf(chromium.out, "browser %s started in %v\n", chromium.exe, time.Since(start).Round(time.Millisecond))
	})
	if chromium.exe == "" {
		const msg = "chromium not installed; apt-get install chromium (looked for chromium, chromium-browser and google-chrome on PATH)"
		if os.Getenv("CI") != "" {
			t.Fatal("CI must have a browser for the browser tests: " + msg)
		}
		t.Skip(msg)
	}
	if chromium.err != nil {
		t.Fatal(chromium.err)
	}
	return chromium.ctx
}

// stopChromium stops the shared browser if a test started it.
func stopChromium() {
	if chromium.cancel != nil && chromium.ctx != nil {
		chromium.cancel()
	}
}

// newBrowser opens a tab for t in the shared chromium, in a fresh browser
// context (no cookies, no storage). The tab closes when the test ends; the
// whole test must be done within browserTimeout.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	return newTab(t, browserTimeout)
}

// newTab is newBrowser with a time limit of its own, for tests that visit
// many pages in one tab.
func newTab(t *testing.T, limit time.Duration) *browser {
	t.Helper()
	parent := sharedChromium(t)
	out := chromium.out

	// One deadline for the whole tab: when it passes, the tab is closed
	// and every pending action returns an error.
	timeoutCtx, cancelTimeout := context.WithTimeout(parent, limit)
	ctx, cancelCtx := chromedp.NewContext(timeoutCtx, chromedp.WithNewBrowserContext())
	b := &browser{t: t, ctx: ctx, out: out}
	if err := chromedp.Do(ctx); err != nil { // opens the tab
		cancelCtx()
		cancelTimeout()
		t.Fatalf("open a tab: %v\nbrowser output:\n%s", err, out.String())
	}

	// Record what the pages write to the console, for the asserts and for
	// the log of a failed test.
	consoleDone := make(chan struct{})
	messages := chromedp.Console(ctx)
	go func() {
		defer close(consoleDone)
		for m, err := range messages {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, m)
			b.mu.Unlock()
		}
	}()

	t.Cleanup(func() {
		// Close the tab and its browser context; chromium stays for the
		// other tests.
		if err := chromedp.Cancel(ctx); err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			t.Logf("closing the tab: %v", err)
		}
		cancelCtx()
		cancelTimeout()
		<-consoleDone
		if t.Failed() {
			t.Logf("browser console:\n%s", b.consoleText())
			t.Logf("browser output:\n%s", out.String())
		}
	})
	return b
}

// consoleText formats the console messages, one a line.
func (b *browser) consoleText() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var s strings.Builder
	for _, m := range b.console {
		fmt.Fprintf(&s, "  [%s] %s (%s:%d)\n", m.Type, m.Text, m.URL, m.Line+1)
	}
	return s.String()
}

// ConsoleErrors returns the console errors and uncaught exceptions so far.
// It leaves out the 404 of the /favicon.ico that chromium asks for on its
// own: Portal serves no favicon, and no page links one.
func (b *browser) ConsoleErrors() []chromedp.ConsoleMessage {
	b.mu.Lock()
	defer b.mu.Unlock()
	var errs []chromedp.ConsoleMessage
	for _, m := range b.console {
		if strings.HasSuffix(m.URL, "/favicon.ico") {
			continue
		}
		if m.Type == chromedp.ConsoleError || m.IsException() {
			errs = append(errs, m)
		}
	}
	return errs
}

// Do runs steps in order and fails the test at the first error.
func (b *browser) Do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.fatalf("%s: %v", what, err)
	}
}

// SubmitRegister types email and password into the register form on the
// current page and presses its button.
func (b *browser) SubmitRegister(email, password string) {
	b.t.Helper()
	b.Do("fill and submit the register form",
		chromedp.SendKeys(chromedp.CSS("#f-email"), email),
		chromedp.SendKeys(chromedp.CSS("#f-password"), password),
		chromedp.SendKeys(chromedp.CSS("#f-confirm_password"), password),
		chromedp.Click(chromedp.CSS("button#register-submit")),
	)
}

// fatalf fails the test and says where the browser was and what the page
// showed.
func (b *browser) fatalf(format string, args ...any) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	loc, text := "(unknown)", "(unknown)"
	if l, err := chromedp.Run(ctx, chromedp.Location()); err == nil {
		loc = l
	}
	if s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`)); err == nil {
		text = s
	}
	b.t.Fatalf("%s\nbrowser at %s, page text:\n%s", fmt.Sprintf(format, args...), loc, text)
}

// Navigate loads url and waits for its load event.
func (b *browser) Navigate(url string) {
	b.t.Helper()
	b.Do("navigate to "+url, chromedp.Navigate(url))
}

// WaitVisible waits until an element matching the CSS selector sel is
// visible, across navigations.
func (b *browser) WaitVisible(sel string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, waitTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
		b.fatalf("wait for %s: %v", sel, err)
	}
}

// Text returns the trimmed visible text of the first element matching sel.
func (b *browser) Text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// Count returns how many elements match sel now, without waiting.
func (b *browser) Count(sel string) int {
	b.t.Helper()
	q, _ := json.Marshal(sel)
	return Eval[int](b, fmt.Sprintf("document.querySelectorAll(%s).length", q))
}

// Path returns the path of the current page.
func (b *browser) Path() string {
	b.t.Helper()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.fatalf("location: %v", err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		b.fatalf("location %q: %v", loc, err)
	}
	return u.Path
}

// Eval evaluates a JavaScript expression in the page and decodes its value.
func Eval[T any](b *browser, expr string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// SaveFullScreenshot takes a PNG of the whole page, beyond the viewport,
// saves it as artifacts/name and returns its size in pixels.
func (b *browser) SaveFullScreenshot(name string) (width, height int) {
	b.t.Helper()
	buf, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		b.fatalf("screenshot %s: %v", name, err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(buf))
	if err != nil {
		b.fatalf("screenshot %s is not a PNG: %v", name, err)
	}
	if err := os.MkdirAll(artifactsDir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	path := filepath.Join(artifactsDir, name)
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("saved %s (%dx%d)", path, cfg.Width, cfg.Height)
	return cfg.Width, cfg.Height
}
