package handlers

import (
	"fmt"
	"net"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"
	"golang.org/x/net/publicsuffix"
)

// Portal can serve under a path of its origin (--base-url
// https://example.com/auth), beside the application it signs people in
// for. The one rule: every path written in Portal's code — a route, a
// redirect target, a link of a page — is a Portal path, "/account/login",
// and the base path is added where it leaves for the browser (routes here,
// redirect, pages.URL in the templates, cookie paths). A returnUrl is the
// other kind: what the browser sees, already under the base path (or an
// absolute URL on an allowed origin), carried along as it is.

// CleanBasePath reads the path of --base-url as the base path Portal serves
// under: "" for the root, else "/seg/seg" without a trailing slash. It
// refuses empty segments, "." and "..", and characters a path would need
// to escape.
func CleanBasePath(p string) (string, bool) {
	p = strings.TrimSuffix(p, "/")
	if p == "" {
		return "", true
	}
	if !strings.HasPrefix(p, "/") || path.Clean(p) != p {
		return "", false
	}
	for _, seg := range strings.Split(p[1:], "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", false
		}
		for _, r := range seg {
			ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~", r)
			if !ok {
				return "", false
			}
		}
	}
	return p, true
}

// CheckCookieDomain checks --cookie-domain against the base URL's host:
// a DNS name (not an address), not a public suffix (com, co.uk: every
// site's cookies), and the host itself or a parent of it.
func CheckCookieDomain(domain, host string) error {
	d := normalCookieDomain(domain)
	host = strings.ToLower(host)
	switch {
	case d == "" || strings.ContainsAny(d, " /:;,*") || net.ParseIP(d) != nil:
		return fmt.Errorf("%q is not a domain name", domain)
	case net.ParseIP(host) != nil:
		return fmt.Errorf("the base URL's host %s is an address: cookies cannot be shared by domain", host)
	case host != d && !strings.HasSuffix(host, "."+d):
		return fmt.Errorf("the base URL's host %s is not %s or inside it", host, d)
	}
	if !strings.Contains(d, ".") && d != "localhost" {
		return fmt.Errorf("%q is a top-level domain", domain)
	}
	if ps, _ := publicsuffix.PublicSuffix(d); ps == d && strings.Contains(d, ".") {
		return fmt.Errorf("%q is a public suffix: its cookies would go to every site under it", domain)
	}
	return nil
}

func normalCookieDomain(d string) string {
	return strings.TrimPrefix(strings.ToLower(strings.TrimSpace(d)), ".")
}

// url is the browser's URL of the Portal path p: p under the base path.
// Absolute URLs and "" are returned as they are.
func (h *Handler) url(p string) string {
	if h.base == "" || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") {
		return p
	}
	return h.base + p
}

// inBase reports whether the browser path p is the base path or under it.
func (h *Handler) inBase(p string) bool {
	return h.base == "" || p == h.base || strings.HasPrefix(p, h.base+"/")
}

// portalPath is the Portal path of the browser path p (the base path cut
// off; "/" for the base path itself).
func (h *Handler) portalPath(p string) string {
	p = strings.TrimPrefix(p, h.base)
	if p == "" {
		return "/"
	}
	return p
}

// home is the browser's URL of Portal's home page.
func (h *Handler) home() string { return h.base + "/" }

// here is the browser's URL of the request (path and query), a returnUrl
// that brings the browser back to this page.
func here(c echo.Context) string { return c.Request().URL.RequestURI() }

// cookiePath is the Path of Portal's own cookies: the base path, or "/".
func (h *Handler) cookiePath() string {
	if h.base == "" {
		return "/"
	}
	return h.base
}

// cookieName is the name of one of Portal's cookies: on https it carries
// the __Host- prefix (the browser then holds it to this host, path / and
// Secure) when the cookie can have it — for Portal's root and no shared
// domain — and __Secure- otherwise.
func (h *Handler) cookieName(name string, shared bool) string {
	switch {
	case !h.secure:
		return name
	case h.base == "" && !(shared && h.cookieDomain != ""):
		return "__Host-" + name
	default:
		return "__Secure-" + name
	}
}

// newCookie is one of Portal's own (not shared) cookies, HttpOnly and Lax,
// on the base path.
func (h *Handler) newCookie(name, value string) *http.Cookie {
	return &http.Cookie{
		Name: h.cookieName(name, false), Value: value, Path: h.cookiePath(),
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode,
	}
}
