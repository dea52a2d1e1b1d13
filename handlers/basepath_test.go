package handlers

import (
	"testing"
	"time"
)

func TestCleanBasePath(t *testing.T) {
	for in, want := range map[string]string{"": "", "/": "", "/auth": "/auth", "/auth/": "/auth", "/a/b-c_d.e~f": "/a/b-c_d.e~f"} {
		if got, ok := CleanBasePath(in); !ok || got != want {
			t.Errorf("CleanBasePath(%q) = %q, %t; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"auth", "//auth", "/a//b", "/a/./b", "/a/..", "/a/../b", "/a b", "/a%2Fb", "/a?b", "/a;b", "/ü"} {
		if got, ok := CleanBasePath(in); ok {
			t.Errorf("CleanBasePath(%q) = %q, accepted", in, got)
		}
	}
}

func TestCheckCookieDomain(t *testing.T) {
	ok := [][2]string{
		{"example.com", "example.com"}, {"example.com", "auth.example.com"}, {".Example.COM", "a.b.example.com"},
		{"localhost", "localhost"}, {"example.co.uk", "auth.example.co.uk"},
	}
	for _, c := range ok {
		if err := CheckCookieDomain(c[0], c[1]); err != nil {
			t.Errorf("CheckCookieDomain(%q, host %q): %v", c[0], c[1], err)
		}
	}
	bad := [][2]string{
		{"example.com", "example.org"}, {"example.com", "badexample.com"}, {"auth.example.com", "example.com"},
		{"com", "example.com"}, {"co.uk", "example.co.uk"}, {"github.io", "me.github.io"},
		{"127.0.0.1", "127.0.0.1"}, {"example.com", "127.0.0.1"}, {"", "example.com"}, {"*.example.com", "a.example.com"},
		{"example.com/x", "example.com"},
	}
	for _, c := range bad {
		if err := CheckCookieDomain(c[0], c[1]); err == nil {
			t.Errorf("CheckCookieDomain(%q, host %q) accepted", c[0], c[1])
		}
	}
}

// On https the session cookie is __Host- (host only, Path=/) at the root
// of a host of its own; under a base path it cannot be (__Host- needs
// Path=/), and shared by --cookie-domain it must not be (__Host- forbids
// Domain): then __Secure-, with the Domain and Path=/ when shared.
func TestCookieNames(t *testing.T) {
	for _, c := range []struct {
		secure       bool
		base, domain string
		session      string
		path, dom    string
		csrf         string
		csrfPath     string
	}{
		{false, "", "", "portal_session", "/", "", "portal_csrf", "/"},
		{true, "", "", "__Host-portal_session", "/", "", "__Host-portal_csrf", "/"},
		{true, "/auth", "", "__Secure-portal_session", "/auth", "", "__Secure-portal_csrf", "/auth"},
		{true, "", "example.com", "__Secure-portal_session", "/", "example.com", "__Host-portal_csrf", "/"},
		{true, "/auth", "example.com", "__Secure-portal_session", "/", "example.com", "__Secure-portal_csrf", "/auth"},
		{false, "/auth", "example.com", "portal_session", "/", "example.com", "portal_csrf", "/auth"},
	} {
		h := &Handler{secure: c.secure, base: c.base, cookieDomain: c.domain}
		sm := h.newSessionManager(nil, time.Hour)
		if sm.Cookie.Name != c.session || sm.Cookie.Path != c.path || sm.Cookie.Domain != c.dom || sm.Cookie.Secure != c.secure {
			t.Errorf("secure=%t base=%q domain=%q: session cookie %s Path=%s Domain=%s Secure=%t; want %s Path=%s Domain=%s",
				c.secure, c.base, c.domain, sm.Cookie.Name, sm.Cookie.Path, sm.Cookie.Domain, sm.Cookie.Secure, c.session, c.path, c.dom)
		}
		if ck := h.newCookie("portal_csrf", "x"); ck.Name != c.csrf || ck.Path != c.csrfPath || ck.Domain != "" || !ck.HttpOnly {
			t.Errorf("secure=%t base=%q domain=%q: CSRF cookie %s Path=%s Domain=%s; want %s Path=%s, host only",
				c.secure, c.base, c.domain, ck.Name, ck.Path, ck.Domain, c.csrf, c.csrfPath)
		}
	}
}

// BRW-08 under a base path: a local returnUrl must stay under it, also
// after decoding and dot segments; the application beside Portal is
// reached by an absolute URL on an allowed origin only.
func TestReturnURLUnderBasePath(t *testing.T) {
	h := &Handler{base: "/auth"}
	for _, in := range []string{"/auth", "/auth/", "/auth/account/manage", "/auth/account/manage?x=1#y"} {
		if got := h.returnURL(in); got != in {
			t.Errorf("returnURL(%q) = %q, want it kept", in, got)
		}
	}
	for _, in := range []string{"/", "/account/manage", "/authx", "/app/page", "/auth/../app", "/auth/%2e%2e/app", "/auth/%252e%252e/app", "/auth/./../app", "//evil.example/auth/"} {
		if got := h.returnURL(in); got != "" {
			t.Errorf("returnURL(%q) = %q, want it refused", in, got)
		}
		if got := h.returnTo(in); got != "/auth/" {
			t.Errorf("returnTo(%q) = %q, want the home page /auth/", in, got)
		}
	}
	if got, want := h.loginURL("/auth/account/manage"), "/account/login?returnUrl=%2Fauth%2Faccount%2Fmanage"; got != want {
		t.Errorf("loginURL = %q, want %q", got, want)
	}
	if got, want := h.url("/account/login"), "/auth/account/login"; got != want {
		t.Errorf("url = %q, want %q", got, want)
	}
	if got := h.url("https://app.example.com/x"); got != "https://app.example.com/x" {
		t.Errorf("url of an absolute URL = %q", got)
	}
}
