package tests

import (
	"strconv"
	"strings"
	"testing"

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/internal/portaltest"
)

// TestHSTS (BRW-01): behind an https:// base URL every response — a page,
// a 404, a refused POST — carries Strict-Transport-Security for at least a
// year with includeSubDomains; on a plain http:// base URL (development)
// none does, since a browser would ignore it there anyway.
func TestHSTS(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t, func(c *portal.Config) { c.BaseURL = "https://portal.test" })
	c := portaltest.NewClient(t, srv)
	pages := map[string]*portaltest.Page{
		"GET /":              c.Get("/"),
		"GET /account/login": c.Get("/account/login"),
		"GET a missing page": c.Get("/no/such/page"),
		"POST without token": c.Post("/account/login", nil),
	}
	for what, p := range pages {
		h := p.Header.Get("Strict-Transport-Security")
		maxAge := -1
		for _, part := range strings.Split(h, ";") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(part), "max-age="); ok {
				maxAge, _ = strconv.Atoi(v)
			}
		}
		if maxAge < 365*24*60*60 || !strings.Contains(h, "includeSubDomains") {
			t.Errorf("%s (%d): Strict-Transport-Security=%q, want max-age of a year or more and includeSubDomains", what, p.Status, h)
		}
	}

	plain := portaltest.NewClient(t, portaltest.NewServer(t))
	if h := plain.Get("/account/login").Header.Get("Strict-Transport-Security"); h != "" {
		t.Errorf("on http://: Strict-Transport-Security=%q, want none", h)
	}
}
