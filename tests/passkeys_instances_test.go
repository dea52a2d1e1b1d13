package tests

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/accountportal/portal/internal/portaltest"
	"github.com/accountportal/portal/internal/softauthn"
)

// pkBalancer is one public origin, http://localhost:port, in front of
// two instances: each request goes to the instance To names, as a load
// balancer without sticky sessions may send it.
type pkBalancer struct {
	Base   string // the public origin, the instances' --base-url
	A, B   *portaltest.Server
	target atomic.Pointer[portaltest.Server]
	served sync.Map // *portaltest.Server → *atomic.Int64: requests each answered
}

// To sends the next requests to s.
func (lb *pkBalancer) To(s *portaltest.Server) { lb.target.Store(s) }

// pkTwoInstances starts two instances on one fresh PostgreSQL (sessions
// there too) behind a pkBalancer.
func pkTwoInstances(t *testing.T) *pkBalancer {
	t.Helper()
	portaltest.NeedPostgres(t)
	lb := &pkBalancer{}
	front := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		srv := lb.target.Load()
		n, _ := lb.served.LoadOrStore(srv, new(atomic.Int64))
		n.(*atomic.Int64).Add(1)
		to, _ := url.Parse(srv.URL)
		(&httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(to)
			pr.Out.Host = pr.In.Host // the public host, as a balancer keeps it
		}}).ServeHTTP(w, r)
	}))
	_, port, _ := net.SplitHostPort(front.Listener.Addr().String())
	lb.Base = "http://localhost:" + port
	cfg, clock := portaltest.Config(t)
	cfg.DB = portaltest.FreshPostgres(t)
	cfg.BaseURL = lb.Base
	cfg.RequireConfirmedEmail = false
	lb.A, lb.B = portaltest.Start(t, cfg, clock), portaltest.Start(t, cfg, clock)
	lb.To(lb.A)
	front.Start()
	t.Cleanup(front.Close)
	return lb
}

// TestPasskeyAcrossInstances (MFA-06, REL-04): behind one origin, a
// passkey ceremony begun on one instance finishes on the other — adding
// a passkey, signing in with it, the second factor and re-authentication
// — and an answer used on one instance is refused on the other.
func TestPasskeyAcrossInstances(t *testing.T) {
	if portaltest.OnPostgres() {
		t.Skip("runs once, in the first pass")
	}
	t.Parallel()
	lb := pkTwoInstances(t)
	const email = "two@example.com"
	c := portaltest.NewClientAt(t, lb.Base)
	c.Register(email, tfPassword)

	// Add: begun on A, finished on B.
	a := softauthn.New(lb.Base)
	page := c.Get(pkPage)
	portaltest.WantStatus(t, page, http.StatusOK)
	opts := c.PasskeyBegin(page, "#passkey-add-form", "/account/manage/passkeys/begin")
	_, resp, err := a.Create(opts)
	if err != nil {
		t.Fatal(err)
	}
	lb.To(lb.B)
	f := page.Form(t, "#passkey-add-form")
	f.Set("credential", string(resp))
	portaltest.WantRedirect(t, c.Post(f.Action, f.Values), pkPage)
	if got := pkNames(t, c); len(got) != 1 {
		t.Fatalf("passkeys after adding across instances: %v", got)
	}

	// Sign in: begun on B, finished on A; the same answer again on B is
	// refused (the ceremony is spent on every instance).
	d := portaltest.NewClientAt(t, lb.Base)
	lp := d.Get("/account/login")
	opts = d.PasskeyBegin(lp, "#passkey-login-form", "/account/login/passkey/begin")
	answer, err := a.Get(opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	lf := lp.Form(t, "#passkey-login-form")
	lf.Set("credential", string(answer))
	lb.To(lb.A)
	portaltest.WantRedirect(t, d.Post(lf.Action, lf.Values), "/")
	thief := portaltest.NewClientAt(t, lb.Base)
	lb.To(lb.B)
	tp := thief.Get("/account/login")
	thief.PasskeyBegin(tp, "#passkey-login-form", "/account/login/passkey/begin")
	tf := tp.Form(t, "#passkey-login-form")
	tf.Set("credential", string(answer))
	portaltest.WantStatus(t, thief.Post(tf.Action, tf.Values), http.StatusUnprocessableEntity)

	// Re-authentication: begun on B, finished on A.
	lb.A.Clock.Advance(mgPastWindow)
	reauth := portaltest.ReauthURL(pkPage)
	rp := d.Get(reauth)
	portaltest.WantStatus(t, rp, http.StatusOK)
	opts = d.PasskeyBegin(rp, "#passkey-reauth-form", "/account/reauthenticate/passkey/begin")
	answer, err = a.Get(opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	rf := rp.Form(t, "#passkey-reauth-form")
	rf.Set("credential", string(answer))
	lb.To(lb.A)
	portaltest.WantRedirect(t, d.Post(rf.Action, rf.Values), pkPage)
	portaltest.WantStatus(t, d.Get(pkPage), http.StatusOK)

	// The second factor after a password: begun on A, finished on B.
	tfEnable(t, lb.A, d) // d re-authenticated just now
	lb.A.Clock.Advance(tfStep)
	e := portaltest.NewClientAt(t, lb.Base)
	portaltest.WantRedirect(t, tfPasswordStep(e, email, tfPassword, false, ""), tf2FAPath)
	sp := e.Get(tf2FAPath)
	opts = e.PasskeyBegin(sp, "#passkey-2fa-form", "/account/login-2fa/passkey/begin")
	answer, err = a.Get(opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	sf := sp.Form(t, "#passkey-2fa-form")
	sf.Set("credential", string(answer))
	lb.To(lb.B)
	portaltest.WantRedirect(t, e.Post(sf.Action, sf.Values), "/")
	if !e.SignedIn() {
		t.Fatal("not signed in after the second factor across instances")
	}
	for _, s := range []*portaltest.Server{lb.A, lb.B} {
		if n, _ := lb.served.Load(s); n == nil || n.(*atomic.Int64).Load() == 0 {
			t.Errorf("instance %s answered no request", s.URL)
		}
	}
}
