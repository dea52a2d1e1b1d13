package tests

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/accountportal/portal/internal/portaltest"
)

// apNginx starts Debian's nginx (.ci/run installs it) from its own config
// in a temp dir, in front of Portal and upstream, and returns its URL. It
// is stopped by its PID when the test ends.
func apNginx(t *testing.T, portalURL, upstreamURL string) string {
	t.Helper()
	bin := apNginxBin(t)
	addr := apFreeAddr(t)
	dir := t.TempDir()
	portal := strings.TrimPrefix(portalURL, "http://")
	upstream := strings.TrimPrefix(upstreamURL, "http://")
	conf := fmt.Sprintf(`daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path %[1]s/body; proxy_temp_path %[1]s/proxy; fastcgi_temp_path %[1]s/fcgi;
  uwsgi_temp_path %[1]s/uwsgi; scgi_temp_path %[1]s/scgi;
  server {
    listen %[2]s;
    # Portal's own pages, on the same origin as the app.
    location /account/ { proxy_pass http://%[3]s; proxy_set_header Host $http_host; }
    location /static/ { proxy_pass http://%[3]s; }
    location = /_portal_auth {
      internal;
      proxy_pass http://%[3]s/account/forward-auth;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-URL $scheme://$http_host$request_uri;
    }
    location = /_portal_auth_2fa {
      internal;
      proxy_pass http://%[3]s/account/forward-auth?require=2fa;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
    }
    location /app/ {
      auth_request /_portal_auth;
      auth_request_set $portal_user $upstream_http_x_portal_user_id;
      proxy_set_header X-Portal-User-Id $portal_user;
      proxy_pass http://%[4]s;
    }
    location /page/ {
      auth_request /_portal_auth;
      error_page 401 = @login;
      proxy_pass http://%[4]s;
    }
    location @login { return 302 /account/login?returnUrl=$request_uri; }
    location /secure/ {
      auth_request /_portal_auth_2fa;
      auth_request_set $portal_user $upstream_http_x_portal_user_id;
      proxy_set_header X-Portal-User-Id $portal_user;
      proxy_pass http://%[4]s;
    }
  }
}
`, dir, addr, portal, upstream)
	return apStartNginx(t, bin, dir, addr, conf)
}

// apFreeAddr is a free 127.0.0.1 address for nginx to listen on.
func apFreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// apNginxBin is Debian's nginx, or the test is skipped (failed on CI).
func apNginxBin(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("nginx")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/nginx"); serr != nil {
			if os.Getenv("CI") != "" {
				t.Fatal("nginx is not installed, and CI must run this test (.ci/run installs it)")
			}
			t.Skip("nginx is not installed (apt-get install nginx)")
		}
		bin = "/usr/sbin/nginx"
	}
	return bin
}

// apStartNginx runs bin with conf (which listens on addr and keeps its
// files in dir) until the test ends, stopped by its PID, and returns its
// URL.
func apStartNginx(t testing.TB, bin, dir, addr, conf string) string {
	t.Helper()
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-p", dir, "-c", path, "-e", filepath.Join(dir, "error.log"))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("nginx error.log:\n%s", log)
		}
		_ = cmd.Process.Signal(syscall.SIGQUIT)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	for i := 0; ; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if i > 100 {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx did not start:\n%s", log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return "http://" + addr
}

// TestForwardAuthNginx (issue 19 §3): a real nginx with auth_request in
// front of Portal and an app. Anonymous is refused; after signing in
// through nginx the app gets the user id; a client-sent X-Portal-User-Id
// never reaches the app as an identity; after sign-out refused again;
// require=2fa honoured.
func TestForwardAuthNginx(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "user=%s", r.Header.Get("X-Portal-User-Id"))
	}))
	t.Cleanup(app.Close)
	base := apNginx(t, srv.URL, app.URL)

	c := portaltest.NewClientAt(t, base)
	forged := map[string]string{"X-Portal-User-Id": "someone-else"}
	if p := apDo(t, c, http.MethodGet, "/app/", forged); p.Status != http.StatusUnauthorized || strings.Contains(p.Body, "user=") {
		t.Fatalf("anonymous through nginx: %d %q", p.Status, p.Body)
	}
	if p := apDo(t, c, http.MethodGet, "/page/x", nil); p.Status != http.StatusFound || strings.TrimPrefix(p.Location(), base) != "/account/login?returnUrl=/page/x" {
		t.Fatalf("anonymous page through nginx: %d to %q, want 302 to the login page", p.Status, p.Location())
	}
	const email = "ada@example.com"
	srv.ConfirmedUser(t, email, mgPassword)
	portaltest.WantRedirect(t, c.Login(email, mgPassword, false), "/")
	if p := apDo(t, c, http.MethodGet, "/page/x", nil); p.Status != http.StatusOK {
		t.Errorf("signed-in page through nginx: %d", p.Status)
	}
	id := srv.UserID(t, email)
	p := apDo(t, c, http.MethodGet, "/app/orders", forged)
	if p.Status != http.StatusOK || p.Body != "user="+id {
		t.Fatalf("signed in through nginx: %d %q, want user=%s", p.Status, p.Body, id)
	}
	if p := apDo(t, c, http.MethodGet, "/secure/", nil); p.Status != http.StatusForbidden {
		t.Errorf("require=2fa without a second factor: %d %q, want 403", p.Status, p.Body)
	}
	portaltest.WantStatus(t, c.Logout(), http.StatusSeeOther)
	if p := apDo(t, c, http.MethodGet, "/app/", forged); p.Status != http.StatusUnauthorized || strings.Contains(p.Body, "user=") {
		t.Errorf("after sign-out through nginx: %d %q", p.Status, p.Body)
	}
}
