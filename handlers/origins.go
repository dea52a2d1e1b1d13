package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
)

// ParseOrigins reads a comma-separated list of exact origins
// ("https://app.example.com", "http://localhost:3000") for --cors-origins
// and --allowed-return-origins: a scheme (http or https) and a host, no
// path, query, user or wildcard. It returns them normalised
// (lower-case scheme and host, default ports dropped).
func ParseOrigins(list string) ([]string, error) {
	var out []string
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		o, ok := originOf(item)
		if !ok || strings.Contains(item, "*") {
			return nil, fmt.Errorf("%q is not an origin (want scheme://host[:port], exact, no path and no *)", item)
		}
		u, _ := url.Parse(item)
		if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil || strings.HasSuffix(item, "?") || strings.HasSuffix(item, "#") {
			return nil, fmt.Errorf("%q is not an origin (want scheme://host[:port], exact, no path and no *)", item)
		}
		if !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out, nil
}

// originOf is the normalised origin of an absolute http(s) URL.
func originOf(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" || u.User != nil {
		return "", false
	}
	host := strings.ToLower(u.Hostname())
	if host == "" || strings.ContainsAny(host, "*\\ ") {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host, true
}

// cors lets the exact origins of --cors-origins read a route with the
// browser's credentials (GET /account/session). Any other origin gets no
// CORS headers at all — its preflight included — so the browser keeps the
// answer from it; "*" is never sent.
func (h *Handler) cors(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		hd := c.Response().Header()
		if len(h.opts.CORSOrigins) > 0 {
			// The answer depends on Origin only when some origin may
			// read it.
			hd.Add("Vary", "Origin")
		}
		origin := c.Request().Header.Get("Origin")
		allowed := origin != "" && slices.Contains(h.opts.CORSOrigins, origin)
		if c.Request().Method == http.MethodOptions {
			if allowed && c.Request().Header.Get("Access-Control-Request-Method") == http.MethodGet {
				hd.Set("Access-Control-Allow-Origin", origin)
				hd.Set("Access-Control-Allow-Credentials", "true")
				hd.Set("Access-Control-Allow-Methods", "GET")
				hd.Set("Access-Control-Max-Age", "600")
			}
			return c.NoContent(http.StatusNoContent)
		}
		if allowed {
			hd.Set("Access-Control-Allow-Origin", origin)
			hd.Set("Access-Control-Allow-Credentials", "true")
			hd.Set("Access-Control-Expose-Headers", headerUserID)
		}
		return next(c)
	}
}
