package tests

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/internal/portaltest"
)

// withOrigin sends every request with the Origin header of a page on
// origin, as a browser's fetch does, and keeps the last response's
// headers.
type withOrigin struct {
	origin string
	last   *http.Response
}

func (o *withOrigin) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Origin", o.origin)
	resp, err := http.DefaultTransport.RoundTrip(r)
	o.last = resp
	return resp, err
}

// corsRequest sends method to url with Origin (and, for a preflight,
// the Access-Control-Request-* headers) and returns the response.
func corsRequest(t *testing.T, method, url, origin, preflightMethod string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", origin)
	if preflightMethod != "" {
		req.Header.Set("Access-Control-Request-Method", preflightMethod)
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// TestOpenIDProviderCORS (issue 20; BRW-09): a single-page app — a
// public client with PKCE at http://localhost:5173 — runs the code flow
// from the browser: its origin may read discovery, the JWKS, the token,
// userinfo and revocation endpoints (preflight and the request itself),
// without credentials. Any other origin gets no Access-Control-Allow-
// Origin, its preflight included; authorization, end_session and
// introspection have no CORS at all.
func TestOpenIDProviderCORS(t *testing.T) {
	const spa = "http://localhost:5173"
	srv, rp, browser := signedInRP(t, identity.OIDCClientSpec{Name: "Acme SPA", Public: true, SkipConsent: true,
		RedirectURIs: []string{spa + "/callback"}})
	// Another registered client's origin is not the SPA's business but
	// is an origin a client was registered with: it may read too.
	srv.RegisterRP(t, identity.OIDCClientSpec{Name: "Acme Web", RedirectURIs: []string{"https://web.example.com/cb"}})
	var meta struct {
		Token      string `json:"token_endpoint"`
		Userinfo   string `json:"userinfo_endpoint"`
		JWKS       string `json:"jwks_uri"`
		Revocation string `json:"revocation_endpoint"`
		Authorize  string `json:"authorization_endpoint"`
		EndSession string `json:"end_session_endpoint"`
		Introspect string `json:"introspection_endpoint"`
	}
	if err := rp.Provider.Claims(&meta); err != nil {
		t.Fatal(err)
	}
	discovery := srv.Config.BaseURL + "/.well-known/openid-configuration"

	wantCORS := func(resp *http.Response, origin, what string) {
		t.Helper()
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != origin {
			t.Errorf("%s from %s: Access-Control-Allow-Origin %q, want %q", what, origin, got, origin)
		}
		if got := resp.Header.Get("Access-Control-Allow-Credentials"); got != "" {
			t.Errorf("%s: Access-Control-Allow-Credentials %q, want none (these endpoints never use the cookie)", what, got)
		}
		if !strings.Contains(strings.Join(resp.Header.Values("Vary"), ","), "Origin") {
			t.Errorf("%s: Vary %q, want Origin", what, resp.Header.Values("Vary"))
		}
	}
	wantNoCORS := func(resp *http.Response, origin, what string) {
		t.Helper()
		for _, h := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers", "Access-Control-Allow-Credentials"} {
			if got := resp.Header.Get(h); got != "" {
				t.Errorf("%s from %s: %s %q, want none", what, origin, h, got)
			}
		}
	}

	// Preflights.
	for _, tc := range []struct {
		url, method string
	}{{discovery, "GET"}, {meta.JWKS, "GET"}, {meta.Token, "POST"}, {meta.Userinfo, "GET"}, {meta.Userinfo, "POST"}, {meta.Revocation, "POST"}} {
		what := "preflight " + tc.method + " " + tc.url
		for _, origin := range []string{spa, "https://web.example.com"} {
			resp := corsRequest(t, http.MethodOptions, tc.url, origin, tc.method)
			if resp.StatusCode != http.StatusNoContent {
				t.Errorf("%s: status %d, want 204", what, resp.StatusCode)
			}
			wantCORS(resp, origin, what)
			if m := resp.Header.Get("Access-Control-Allow-Methods"); !strings.Contains(m, tc.method) {
				t.Errorf("%s: Access-Control-Allow-Methods %q", what, m)
			}
			if h := strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers")); !strings.Contains(h, "authorization") || !strings.Contains(h, "content-type") {
				t.Errorf("%s: Access-Control-Allow-Headers %q", what, h)
			}
		}
		for _, origin := range []string{"https://evil.example", "http://localhost:5174", "https://localhost:5173", "null"} {
			resp := corsRequest(t, http.MethodOptions, tc.url, origin, tc.method)
			wantNoCORS(resp, origin, what)
		}
	}
	// A preflight for a method the endpoint does not answer.
	wantNoCORS(corsRequest(t, http.MethodOptions, meta.Token, spa, "DELETE"), spa, "preflight DELETE token")
	// Navigations and the resource servers' endpoint: no CORS.
	for _, u := range []string{meta.Authorize, meta.EndSession, meta.Introspect} {
		wantNoCORS(corsRequest(t, http.MethodOptions, u, spa, "POST"), spa, "preflight "+u)
	}

	// The requests themselves, from the SPA: discovery and JWKS...
	for _, u := range []string{discovery, meta.JWKS} {
		resp := corsRequest(t, http.MethodGet, u, spa, "")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", u, resp.StatusCode)
		}
		wantCORS(resp, spa, "GET "+u)
		wantNoCORS(corsRequest(t, http.MethodGet, u, "https://evil.example", ""), "https://evil.example", "GET "+u)
	}
	// ... the code exchange, userinfo and revocation, as the SPA's fetch
	// sends them (Origin on every request).
	fetch := &withOrigin{origin: spa}
	rp.HTTP = &http.Client{Transport: fetch}
	a := rp.Start()
	tok, err := rp.Exchange(rp.SignIn(browser, a, "", ""), a)
	if err != nil {
		t.Fatalf("exchange from the SPA: %v", err)
	}
	wantCORS(fetch.last, spa, "token")
	if _, err := rp.UserInfo(tok); err != nil {
		t.Fatalf("userinfo from the SPA: %v", err)
	}
	wantCORS(fetch.last, spa, "userinfo")
	resp, err := rp.HTTP.PostForm(meta.Revocation, map[string][]string{"token": {tok.RefreshToken}, "client_id": {rp.Client.ID}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke from the SPA: %d", resp.StatusCode)
	}
	wantCORS(resp, spa, "revoke")

	// The same requests from a page on another origin: answered (CORS is
	// the browser's to enforce) but without the header that would let it
	// read the answer.
	evil := &withOrigin{origin: "https://evil.example"}
	rp.HTTP = &http.Client{Transport: evil}
	a = rp.Start()
	tok, err = rp.Exchange(rp.SignIn(browser, a, "", ""), a)
	if err != nil {
		t.Fatal(err)
	}
	wantNoCORS(evil.last, evil.origin, "token")
	if _, err := rp.UserInfo(tok); err != nil {
		t.Fatal(err)
	}
	wantNoCORS(evil.last, evil.origin, "userinfo")
}

// TestOpenIDProviderDiscovery (issue 20): the discovery document names
// only what Portal serves — every endpoint it names answers, the code
// flow and refresh only (no implicit flow, no device authorization), ES256
// and S256 — so that a client library picks nothing Portal refuses.
func TestOpenIDProviderDiscovery(t *testing.T) {
	srv := portaltest.NewServer(t)
	rp := srv.RegisterRP(t, identity.OIDCClientSpec{})
	var d map[string]any
	if err := rp.Provider.Claims(&d); err != nil {
		t.Fatal(err)
	}
	if d["issuer"] != srv.Config.BaseURL {
		t.Errorf("issuer %v, want the base URL %s", d["issuer"], srv.Config.BaseURL)
	}
	for k, v := range d {
		u, ok := v.(string)
		if !ok || !strings.HasSuffix(k, "_endpoint") && k != "jwks_uri" {
			continue
		}
		if !strings.HasPrefix(u, srv.Config.BaseURL+"/") {
			t.Errorf("%s %q is not under the issuer", k, u)
			continue
		}
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusNotFound {
			t.Errorf("%s %s: 404 — discovery names an endpoint Portal does not serve", k, u)
		}
	}
	for k, want := range map[string]string{
		"response_types_supported":              `["code"]`,
		"grant_types_supported":                 `["authorization_code","refresh_token"]`,
		"id_token_signing_alg_values_supported": `["ES256"]`,
		"code_challenge_methods_supported":      `["S256"]`,
		"scopes_supported":                      `["openid","profile","email","offline_access"]`,
	} {
		got, _ := json.Marshal(d[k])
		if string(got) != want {
			t.Errorf("%s = %s, want %s", k, got, want)
		}
	}
	// The pages' languages: English and at least de, fr, es, ar.
	locales, _ := json.Marshal(d["ui_locales_supported"])
	for _, l := range []string{`"en"`, `"de"`, `"fr"`, `"es"`, `"ar"`} {
		if !strings.Contains(string(locales), l) {
			t.Errorf("ui_locales_supported = %s, want %s among them", locales, l)
		}
	}
	for _, k := range []string{"device_authorization_endpoint", "check_session_iframe"} {
		if _, ok := d[k]; ok {
			t.Errorf("discovery names %s, which Portal does not serve", k)
		}
	}
}
