package tests

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2"

	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/internal/portaltest"
)

// twoProviders starts two Portals on one PostgreSQL database behind one
// base URL — A's: both are the same issuer, as behind a load balancer.
// Browsers go to A; to, the returned function, is an HTTP client that
// carries a request for the base URL to the instance of srv instead.
func twoProviders(t *testing.T) (a, b *portaltest.Server, to func(*portaltest.Server) *http.Client) {
	t.Helper()
	portaltest.NeedPostgres(t)
	cfg, clock := portaltest.Config(t)
	cfg.DB = portaltest.FreshPostgres(t)
	a = portaltest.Start(t, cfg, clock)
	cfg.BaseURL = a.Config.BaseURL
	b = portaltest.Start(t, cfg, clock)
	to = func(srv *portaltest.Server) *http.Client {
		dst, err := url.Parse(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		return &http.Client{Transport: hostRewrite{dst.Host}, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}
	}
	return a, b, to
}

// hostRewrite sends every request to host, keeping its Host header (the
// base URL's): a load balancer's choice of instance.
type hostRewrite struct{ host string }

func (h hostRewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	if r.Host == "" {
		r.Host = r.URL.Host
	}
	r.URL.Host = h.host
	return http.DefaultTransport.RoundTrip(r)
}

// TestOpenIDProviderOnTwoInstances (issue 20 "Every instance shares codes,
// tokens and keys"; REL-04, REL-18): two instances on one PostgreSQL. A
// code issued by one is exchanged on the other, and it is single-use
// across them: a second exchange on either instance is refused and
// revokes what the first got; of two exchanges at once, on both
// instances, exactly one wins. Tokens, refresh and JWKS work across
// instances too.
func TestOpenIDProviderOnTwoInstances(t *testing.T) {
	if portaltest.OnPostgres() {
		t.Skip("runs once, in the first pass")
	}
	a, b, to := twoProviders(t)
	const email, pw = "two-op@example.com", "correct horse battery"
	a.ConfirmedUser(t, email, pw)
	browser := a.SignIn(t, email, pw, false)
	userID := a.UserID(t, email)
	rp := a.RegisterRP(t, identity.OIDCClientSpec{Name: "Both Wiki", SkipConsent: true})
	onA, onB := *rp, *rp
	onA.HTTP, onB.HTTP = to(a), to(b)

	t.Run("authorize on A, exchange on B, reuse on A then B", func(t *testing.T) {
		auth := rp.Start()
		code := rp.SignIn(browser, auth, "", "")
		tok, err := onB.Exchange(code, auth)
		if err != nil {
			t.Fatalf("exchange on B of a code from A: %v", err)
		}
		// B signed the ID token; the RP verifies it with the JWKS it
		// fetches from A (its provider was discovered through A).
		if id := rp.IDToken(tok, auth); id.Subject != userID {
			t.Fatalf("sub %q, want %q", id.Subject, userID)
		}
		// The access token issued on B answers userinfo on A.
		if info, err := onA.UserInfo(tok); err != nil || info.Subject != userID {
			t.Fatalf("userinfo on A with B's access token: %v %+v", err, info)
		}
		// Refresh on A of B's refresh token; then the old one, on B, is a
		// replay that revokes the family on both.
		tok2, err := onA.Refresh(tok.RefreshToken)
		if err != nil {
			t.Fatalf("refresh on A: %v", err)
		}
		for _, x := range []struct {
			name string
			rp   *portaltest.RP
		}{{"A", &onA}, {"B", &onB}} {
			if _, err := x.rp.Exchange(code, auth); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
				t.Fatalf("second exchange of the code on %s: %v, want invalid_grant", x.name, err)
			}
		}
		// The reuse revoked every token issued from the code, on both.
		for _, x := range []*portaltest.RP{&onA, &onB} {
			if _, err := x.UserInfo(tok2); err == nil {
				t.Fatal("the access token of a reused code still works")
			}
			if _, err := x.Refresh(tok2.RefreshToken); err == nil {
				t.Fatal("the refresh token of a reused code still works")
			}
		}
	})

	t.Run("exchange on A, reuse on B", func(t *testing.T) {
		auth := rp.Start()
		code := rp.SignIn(browser, auth, "", "")
		tok, err := onA.Exchange(code, auth)
		if err != nil {
			t.Fatalf("exchange on A: %v", err)
		}
		if _, err := onB.Exchange(code, auth); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
			t.Fatalf("second exchange on B: %v, want invalid_grant", err)
		}
		if _, err := onA.UserInfo(tok); err == nil {
			t.Fatal("the access token of a code reused on B still works on A")
		}
	})

	t.Run("one code on both instances at once: exactly one exchange wins", func(t *testing.T) {
		for range 3 {
			auth := rp.Start()
			code := rp.SignIn(browser, auth, "", "")
			var wg sync.WaitGroup
			errs := make([]error, 2)
			toks := make([]*oauth2.Token, 2)
			for i, x := range []*portaltest.RP{&onA, &onB} {
				wg.Go(func() { toks[i], errs[i] = x.Exchange(code, auth) })
			}
			wg.Wait()
			wins := 0
			for i := range errs {
				if errs[i] == nil {
					wins++
				} else if !strings.Contains(errs[i].Error(), "invalid_grant") {
					t.Fatalf("exchange %d: %v, want invalid_grant", i, errs[i])
				}
			}
			// Both instances may see the code unspent; the store lets one
			// spend it, with its tokens in the same step, so the other's
			// replay finds them and revokes them.
			if wins != 1 {
				t.Fatalf("one code on two instances at once was exchanged %d times, want 1 (REL-04)", wins)
			}
			for _, tok := range toks {
				if tok == nil {
					continue
				}
				if _, err := onA.UserInfo(tok); err == nil {
					t.Fatal("the tokens of a code exchanged twice at once survived the second exchange")
				}
				if _, err := onB.Refresh(tok.RefreshToken); err == nil {
					t.Fatal("the refresh token of a code exchanged twice at once survived")
				}
			}
		}
	})
}
