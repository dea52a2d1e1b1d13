package tests

// End-to-end tests of external logins through a generic OpenID Connect
// provider (tests/oidc_provider_test.go): the buttons and the CSP
// (BRW-03), the flow's binding to the browser (OIDC-01), ID token
// validation (OIDC-02), identities keyed by subject and never linked by
// email (OIDC-03), 2FA and last-login rules (OIDC-04), linking and removing
// from the manage page with re-authentication (SES-05) and owner scoping
// (ACC-03), the personal-data export and returnUrl.
//
// The test client does not follow redirects: each test drives the
// browser's trip to the provider and back itself (oxToOP).
//
// Helpers of this file start with "ox" so that they cannot collide with
// the other test files of the package.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/internal/portaltest"
)

const (
	oxPassword     = "ox staple battery horse"
	oxSlug         = "acme"
	oxName         = "Acme SSO"
	oxCallbackPath = "/account/external-login/callback"
	oxConfirmPath  = "/account/external-login/confirm"
	oxLinksPath    = "/account/manage/external-logins"
	oxLoginPath    = "/account/login"
	oxProviderForm = `form:has(button[data-provider="acme"])`
	oxLinkedSel    = `li[data-testid="linked-login"]`
	oxPastReauth   = 11 * time.Minute
)

// oxServer starts Portal with the provider op configured as "Acme SSO"
// (slug acme). Start op first: Portal runs discovery against it.
func oxServer(t testing.TB, op *oxOP, opts ...func(*portal.Config)) *portaltest.Server {
	t.Helper()
	return portaltest.NewServer(t, append([]func(*portal.Config){func(cfg *portal.Config) {
		cfg.OIDCName = oxName
		cfg.OIDCSlug = oxSlug
		cfg.OIDCIssuer = op.URL
		cfg.OIDCClientID = op.ClientID
		cfg.OIDCClientSecret = op.ClientSecret
	}}, opts...)...)
}

// oxBrowserToOP is the browser's trip to the provider: another host, so
// neither Portal's cookies nor redirects following matter.
var oxBrowserToOP = &http.Client{
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// oxToOP takes Portal's 303 to the provider's authorization endpoint,
// visits it, and returns where the provider sends the browser back: the
// absolute callback URL with code (or error) and state.
func oxToOP(t testing.TB, srv *portaltest.Server, op *oxOP, start *portaltest.Page) string {
	t.Helper()
	portaltest.WantStatus(t, start, http.StatusSeeOther)
	loc := start.Location()
	if !strings.HasPrefix(loc, op.URL+"/authorize?") {
		t.Fatalf("%s: Location=%q, want the provider's authorization endpoint %s/authorize?…", start.URL, loc, op.URL)
	}
	resp, err := oxBrowserToOP.Get(loc)
	if err != nil {
		t.Fatalf("GET %s: %v", loc, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("GET %s: status=%d, want 302; body: %s", loc, resp.StatusCode, body)
	}
	back := resp.Header.Get("Location")
	if !strings.HasPrefix(back, srv.URL+oxCallbackPath+"?") {
		t.Fatalf("provider sent the browser to %q, want %s%s?…", back, srv.URL, oxCallbackPath)
	}
	return back
}

// oxStart posts the acme provider form of the page at path (the login
// page, or the external-logins page to link) and returns Portal's answer.
func oxStart(c *portaltest.Client, path string) *portaltest.Page {
	c.T().Helper()
	p := c.Get(path)
	portaltest.WantStatus(c.T(), p, http.StatusOK)
	f := p.Form(c.T(), oxProviderForm)
	return c.Post(f.Action, f.Values)
}

// oxVia runs the whole dance from the page at path: provider form →
// provider → callback. It returns Portal's answer to the callback.
func oxVia(t testing.TB, c *portaltest.Client, op *oxOP, path string) *portaltest.Page {
	t.Helper()
	return c.Get(oxToOP(t, c.Server(), op, oxStart(c, path)))
}

// oxLogin signs in through the provider from the login page.
func oxLogin(t testing.TB, c *portaltest.Client, op *oxOP) *portaltest.Page {
	t.Helper()
	return oxVia(t, c, op, oxLoginPath)
}

// oxLink links the provider's user from the external-logins page.
func oxLink(t testing.TB, c *portaltest.Client, op *oxOP) *portaltest.Page {
	t.Helper()
	return oxVia(t, c, op, oxLinksPath)
}

// oxWantAnonymous fails the test if c is signed in.
func oxWantAnonymous(t testing.TB, c *portaltest.Client) {
	t.Helper()
	if who := c.WhoAmI(); who != "" {
		t.Fatalf("signed in as %q, want anonymous", who)
	}
}

// oxWantSignedIn fails the test unless c is signed in to the account of
// the address email (its profile page's address: the username of an
// external sign-up is the provider's display name where it is free).
func oxWantSignedIn(t testing.TB, c *portaltest.Client, email string) {
	t.Helper()
	if c.WhoAmI() == "" {
		t.Fatalf("anonymous, want signed in as %q", email)
	}
	if got := efFirstWord(c.Get("/account/manage").Text(t, "[data-testid=email]")); got != email {
		t.Fatalf("signed in as %q, want %q", got, email)
	}
}

// oxLinked returns the providers listed on c's external-logins page, and
// the page.
func oxLinked(t testing.TB, c *portaltest.Client) ([]string, *portaltest.Page) {
	t.Helper()
	p := c.Get(oxLinksPath)
	portaltest.WantStatus(t, p, http.StatusOK)
	var out []string
	p.Doc(t).Find(oxLinkedSel).Each(func(_ int, s *goquery.Selection) {
		out = append(out, s.AttrOr("data-provider", ""))
	})
	return out, p
}

// oxWantLinked fails the test unless c's page lists exactly want.
func oxWantLinked(t testing.TB, c *portaltest.Client, want ...string) *portaltest.Page {
	t.Helper()
	got, p := oxLinked(t, c)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("linked logins=%q, want %q:\n%s", got, want, p.Body)
	}
	return p
}

// oxWantFlash follows p (a 303 to where) and fails the test unless the
// page shows an error (isErr) or success status message containing
// substr (case-insensitive; "" for any).
func oxWantFlash(t testing.TB, c *portaltest.Client, p *portaltest.Page, where string, isErr bool, substr string) *portaltest.Page {
	t.Helper()
	portaltest.WantRedirect(t, p, where)
	next := c.Follow(p)
	portaltest.WantStatus(t, next, http.StatusOK)
	msg, gotErr := portaltest.StatusMessage(t, next)
	if msg == "" || gotErr != isErr {
		t.Fatalf("%s: status message=%q (error=%v), want one with error=%v:\n%s", next.URL, msg, gotErr, isErr, next.Body)
	}
	if !strings.Contains(strings.ToLower(msg), strings.ToLower(substr)) {
		t.Fatalf("%s: status message=%q, want it to mention %q", next.URL, msg, substr)
	}
	return next
}

// oxWantLoginFailed: p sends the browser to the login page, which shows an
// error mentioning substr, and the browser is not signed in.
func oxWantLoginFailed(t testing.TB, c *portaltest.Client, p *portaltest.Page, substr string) {
	t.Helper()
	oxWantFlash(t, c, p, oxLoginPath, true, substr)
	oxWantAnonymous(t, c)
}

// oxLoginRows counts the external_logins rows (gray box), of one subject
// when sub is not "".
func oxLoginRows(t testing.TB, srv *portaltest.Server, sub string) int {
	t.Helper()
	db := srv.GrayDB(t, true)
	q, args := "SELECT COUNT(*) FROM external_logins", []any{}
	if sub != "" {
		q, args = q+" WHERE subject = ?", []any{sub}
	}
	var n int
	if err := db.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("count external logins: %v", err)
	}
	return n
}

// oxNewExternalUser creates an account through the provider (its user
// verified, the address taken as offered) and returns the signed-in
// browser.
func oxNewExternalUser(t testing.TB, srv *portaltest.Server, op *oxOP) *portaltest.Client {
	t.Helper()
	c := portaltest.NewClient(t, srv)
	portaltest.WantRedirect(t, oxLogin(t, c, op), oxConfirmPath)
	portaltest.WantRedirect(t, c.Submit(oxConfirmPath, "#external-confirm-form", nil), "/")
	return c
}

// oxSignOut signs c out with the logout form.
func oxSignOut(t testing.TB, c *portaltest.Client) {
	t.Helper()
	c.Logout()
	oxWantAnonymous(t, c)
}

// oxEnable2FA turns the authenticator on for the signed-in c (as the
// two-factor tests do) and moves the clock to the next time step (the
// enrolment code is spent).
func oxEnable2FA(t testing.TB, srv *portaltest.Server, c *portaltest.Client) string {
	t.Helper()
	key, _ := tfEnable(t, srv, c)
	srv.Clock.Advance(tfStep)
	return key
}

// --- The buttons and the CSP ---

// TestExternalLoginProvidersShown: a provider appears only when configured
// (README, Configuration), as one POST form per provider, and the CSP form-action
// allows the provider's origin, for the redirect after the form (BRW-03).
func TestExternalLoginProvidersShown(t *testing.T) {
	t.Parallel()
	t.Run("none configured", func(t *testing.T) {
		t.Parallel()
		srv := portaltest.NewServer(t)
		p := portaltest.NewClient(t, srv).Get(oxLoginPath)
		portaltest.WantStatus(t, p, http.StatusOK)
		if p.Has(t, "#external-providers") || p.Has(t, "button[data-provider]") {
			t.Fatalf("login page shows external providers though none is configured:\n%s", p.Body)
		}
		if csp := p.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self'") {
			t.Errorf("CSP=%q, want form-action 'self'", csp)
		}
	})
	t.Run("oidc configured", func(t *testing.T) {
		t.Parallel()
		op := newOxOP(t)
		srv := oxServer(t, op)
		p := portaltest.NewClient(t, srv).Get(oxLoginPath)
		portaltest.WantStatus(t, p, http.StatusOK)
		buttons := p.Doc(t).Find("#external-providers button[data-provider]")
		if got, want := buttons.Length(), 1; got != want {
			t.Fatalf("%d provider buttons, want %d:\n%s", got, want, p.Body)
		}
		if got, want := buttons.AttrOr("data-provider", ""), oxSlug; got != want {
			t.Errorf("data-provider=%q, want %q", got, want)
		}
		if got, want := strings.Join(strings.Fields(buttons.Text()), " "), "Continue with "+oxName; got != want {
			t.Errorf("button text=%q, want %q", got, want)
		}
		f := p.Form(t, oxProviderForm)
		if got, want := f.Action, "/account/external-login"; got != want {
			t.Errorf("form action=%q, want %q", got, want)
		}
		if got, want := f.Values.Get("provider"), oxSlug; got != want {
			t.Errorf("provider=%q, want %q", got, want)
		}
		if f.Values.Get("_csrf") == "" {
			t.Errorf("provider form without _csrf")
		}
		csp := p.Header.Get("Content-Security-Policy")
		var formAction []string
		for _, d := range strings.Split(csp, ";") {
			if f := strings.Fields(d); len(f) > 0 && f[0] == "form-action" {
				formAction = f[1:]
			}
		}
		if !slices.Contains(formAction, "'self'") || !slices.Contains(formAction, op.URL) {
			t.Errorf("CSP form-action=%q, want 'self' and the provider's origin %s (CSP=%q)", formAction, op.URL, csp)
		}
		for _, d := range []string{"frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"} {
			if !strings.Contains(csp, d) {
				t.Errorf("CSP=%q, want %q", csp, d)
			}
		}
	})
}

// --- The flow and its binding to the browser (OIDC-01) ---

// TestExternalLoginAuthorizeRequest: the authorization request carries
// PKCE S256, a nonce and a state of at least 128 bits, all fresh per flow,
// and Portal's callback as redirect_uri (OIDC-01).
func TestExternalLoginAuthorizeRequest(t *testing.T) {
	t.Parallel()
	op := newOxOP(t)
	srv := oxServer(t, op)
	for range 2 {
		c := portaltest.NewClient(t, srv)
		oxToOP(t, srv, op, oxStart(c, oxLoginPath))
	}
	reqs := op.AuthRequests()
	if len(reqs) != 2 {
		t.Fatalf("%d authorize requests, want 2", len(reqs))
	}
	for i, q := range reqs {
		if got, want := q.Get("code_challenge_method"), "S256"; got != want {
			t.Errorf("request %d: code_challenge_method=%q, want %q", i, got, want)
		}
		if ch, err := base64.RawURLEncoding.DecodeString(q.Get("code_challenge")); err != nil || len(ch) != 32 {
			t.Errorf("request %d: code_challenge=%q, want base64url of a SHA-256", i, q.Get("code_challenge"))
		}
		if n := q.Get("nonce"); len(n) < 22 {
			t.Errorf("request %d: nonce=%q, want at least 128 bits", i, n)
		}
		// 128 bits are at least 22 base64url characters.
		if st := q.Get("state"); len(st) < 22 {
			t.Errorf("request %d: state=%q, want at least 128 bits", i, st)
		}
		if got, want := q.Get("redirect_uri"), srv.URL+oxCallbackPath; got != want {
			t.Errorf("request %d: redirect_uri=%q, want %q", i, got, want)
		}
		if !strings.Contains(" "+q.Get("scope")+" ", " openid ") {
			t.Errorf("request %d: scope=%q, want openid", i, q.Get("scope"))
		}
	}
	for _, k := range []string{"state", "nonce", "code_challenge"} {
		if reqs[0].Get(k) == reqs[1].Get(k) {
			t.Errorf("two flows share %s=%q, want a fresh one per flow", k, reqs[0].Get(k))
		}
	}
}

// --- New users ---

// TestExternalLoginNewUserVerified: a new identity goes to the confirm
// page, prefilled with the provider's address; confirming that very
// address, which the provider vouches for (email_verified), signs in at
// once with the address confirmed and the login linked.
func TestExternalLoginNewUserVerified(t *testing.T) {
	t.Parallel()
	op := newOxOP(t)
	srv := oxServer(t, op)
	user := op.User()
	c := portaltest.NewClient(t, srv)

	p := oxLogin(t, c, op)
	portaltest.WantRedirect(t, p, oxConfirmPath)
	oxWantAnonymous(t, c) // not yet an account
	confirm := c.Get(oxConfirmPath)
	portaltest.WantStatus(t, confirm, http.StatusOK)
	in := confirm.Doc(t).Find("#external-confirm-form input[name=email]")
	if got, want := in.AttrOr("value", ""), user.Email; got != want {
		t.Fatalf("confirm page email=%q, want the provider's %q", got, want)
	}
	if body := confirm.Text(t, "main"); !strings.Contains(body, oxName) {
		t.Errorf("confirm page does not name the provider %q:\n%s", oxName, body)
	}
	f := confirm.Form(t, "#external-confirm-form")
	portaltest.WantRedirect(t, c.Post(f.Action, f.Values), "/")
	oxWantSignedIn(t, c, user.Email)
	oxWantLinked(t, c, oxSlug)
	if got := srv.CountUsers(t, ""); got != 1 {
		t.Errorf("%d users, want 1", got)
	}
	if got := len(srv.MailsTo(t, user.Email)); got != 0 {
		t.Errorf("%d mails to %s, want none (the provider vouched for the address)", got, user.Email)
	}

	// The address counts as confirmed: with --require-confirmed-email, a
	// new browser signs in through the provider at once.
	oxSignOut(t, c)
	c2 := portaltest.NewClient(t, srv)
	portaltest.WantRedirect(t, oxLogin(t, c2, op), "/")
	oxWantSignedIn(t, c2, user.Email)
}

// TestExternalLoginNewUserUnconfirmed (OIDC-03): when the provider does not
// vouch for the address (email_verified=false), or the person types another
// address, nothing is created: a code goes to the address, and until it
// comes back from this browser the provider's login is not linked to
// anything. (The code step itself: TestExternalSignupCodeProvesAddress.)
func TestExternalLoginNewUserUnconfirmed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		unverified bool
		typed      string // "" keeps the provider's address
	}{
		{name: "email_verified=false", unverified: true},
		{name: "other address typed", typed: "grace@example.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			op := newOxOP(t)
			op.SetKnobs(oxKnobs{EmailUnverified: tc.unverified})
			srv := oxServer(t, op)
			addr := op.User().Email
			if tc.typed != "" {
				addr = tc.typed
			}
			c := portaltest.NewClient(t, srv)
			portaltest.WantRedirect(t, oxLogin(t, c, op), oxConfirmPath)
			p := c.Submit(oxConfirmPath, "#external-confirm-form", map[string]string{"email": addr})
			portaltest.WantRedirect(t, p, oxConfirmPath)
			oxWantAnonymous(t, c)
			mails := srv.MailsTo(t, addr)
			if len(mails) != 1 {
				t.Fatalf("%d mails to %s, want 1 with the code", len(mails), addr)
			}
			mails[0].Link(t, oxConfirmPath+"?code=")
			if n := srv.CountUsers(t, ""); n != 0 {
				t.Errorf("%d accounts before the code, want none", n)
			}

			// Until then, the provider's login is not linked: a new
			// browser is asked for an address again.
			c2 := portaltest.NewClient(t, srv)
			portaltest.WantRedirect(t, oxLogin(t, c2, op), oxConfirmPath)
			oxWantAnonymous(t, c2)
		})
	}
}

// TestExternalLoginReturningUser: the second sign-in through the provider
// goes straight in, to the same account, keyed by subject: a changed
// address at the provider changes nothing (OIDC-03).
func TestExternalLoginReturningUser(t *testing.T) {
	t.Parallel()
	op := newOxOP(t)
	srv := oxServer(t, op)
	user := op.User()
	oxNewExternalUser(t, srv, op)

	c := portaltest.NewClient(t, srv)
	back := oxToOP(t, srv, op, oxStart(c, oxLoginPath))
	before := c.Cookie(portaltest.SessionCookie) // the flow's anonymous session
	portaltest.WantRedirect(t, c.Get(back), "/")
	if after := c.Cookie(portaltest.SessionCookie); after == "" || after == before {
		t.Errorf("session cookie %q → %q at sign-in, want a new token (session fixation)", before, after)
	}
	oxWantSignedIn(t, c, user.Email)

	op.SetUser(oxOPUser{Sub: user.Sub, Email: "ada.new@example.com", Name: user.Name})
	c2 := portaltest.NewClient(t, srv)
	portaltest.WantRedirect(t, oxLogin(t, c2, op), "/")
	oxWantSignedIn(t, c2, user.Email)
	if got := srv.CountUsers(t, ""); got != 1 {
		t.Errorf("%d users, want 1", got)
	}
}

// TestExternalLoginNeverLinksByEmail: a password account alice exists; a
// new subject asserting alice's address (verified or not) does not sign in
// as alice and links nothing (OIDC-03). Confirming alice's address is
// refused with a hint to link from the account when the provider vouches
// for it, and gets the registration answer when it does not.
func TestExternalLoginNeverLinksByEmail(t *testing.T) {
	t.Parallel()
	for _, unverified := range []bool{false, true} {
		name := "email_verified=true"
		if unverified {
			name = "email_verified=false"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			op := newOxOP(t)
			srv := oxServer(t, op)
			const alice = "alice@example.com"
			srv.SignedUp(t, alice, oxPassword)
			op.SetUser(oxOPUser{Sub: "attacker-" + oxRandom(4), Email: alice, Name: "Not Alice"})
			op.SetKnobs(oxKnobs{EmailUnverified: unverified})

			c := portaltest.NewClient(t, srv)
			portaltest.WantRedirect(t, oxLogin(t, c, op), oxConfirmPath)
			oxWantAnonymous(t, c)
			p := c.Submit(oxConfirmPath, "#external-confirm-form", map[string]string{"email": alice})
			if unverified {
				// The provider does not vouch for the address: the
				// registration answer, which reveals nothing (see
				// TestExternalLoginConfirmNoEnumeration).
				portaltest.WantRedirect(t, p, oxConfirmPath) // "we sent a code"
			} else {
				portaltest.WantStatus(t, p, http.StatusUnprocessableEntity)
				msg := strings.ToLower(portaltest.FieldError(t, p, "email"))
				if !strings.Contains(msg, "exists already") || !strings.Contains(msg, "link") {
					t.Errorf("field error=%q, want “exists already … link”", msg)
				}
			}
			oxWantAnonymous(t, c)
			if got := oxLoginRows(t, srv, ""); got != 0 {
				t.Errorf("%d external logins, want 0 (nothing linked to alice)", got)
			}
			if got := srv.CountUsers(t, ""); got != 1 {
				t.Errorf("%d users, want only alice", got)
			}
			// Alice's account has no link either.
			a := portaltest.NewClient(t, srv)
			portaltest.WantRedirect(t, a.Login(alice, oxPassword, false), "/")
			oxWantLinked(t, a)
		})
	}
}

// TestExternalLoginConfirmTwice: two browsers hold the same pending
// identity; after the first creates the account, the second is refused
// with a message and creates no second account.
func TestExternalLoginConfirmTwice(t *testing.T) {
	t.Parallel()
	op := newOxOP(t)
	srv := oxServer(t, op)
	a, b := portaltest.NewClient(t, srv), portaltest.NewClient(t, srv)
	portaltest.WantRedirect(t, oxLogin(t, a, op), oxConfirmPath)
	portaltest.WantRedirect(t, oxLogin(t, b, op), oxConfirmPath)
	portaltest.WantRedirect(t, a.Submit(oxConfirmPath, "#external-confirm-form", nil), "/")
	p := b.Submit(oxConfirmPath, "#external-confirm-form", map[string]string{"email": "second@example.com"})
	oxWantLoginFailed(t, b, p, "already linked")
	if got := srv.CountUsers(t, ""); got != 1 {
		t.Errorf("%d users, want 1", got)
	}
}

// TestExternalLoginProviderDataEscaped: the provider's name and address
// for the user are shown as text, never as markup.
func TestExternalLoginProviderDataEscaped(t *testing.T) {
	t.Parallel()
	op := newOxOP(t)
	srv := oxServer(t, op)
	const evil = `<img src=x onerror=alert(1)>`
	op.SetUser(oxOPUser{Sub: "sub-" + oxRandom(4), Email: "mo@example.com", Name: "Mo " + evil})
	c := portaltest.NewClient(t, srv)
	portaltest.WantRedirect(t, oxLogin(t, c, op), oxConfirmPath)
	for _, path := range []string{oxConfirmPath, oxLinksPath} {
		if path == oxLinksPath {
			portaltest.WantRedirect(t, c.Submit(oxConfirmPath, "#external-confirm-form", nil), "/")
		}
		p := c.Get(path)
		portaltest.WantStatus(t, p, http.StatusOK)
		if p.Has(t, "img[onerror]") || strings.Contains(p.Body, evil) {
			t.Errorf("%s: the provider's display name is rendered as markup:\n%s", path, p.Body)
		}
		if !strings.Contains(p.Doc(t).Find("main").Text(), evil) {
			t.Errorf("%s: the provider's display name is not shown as text", path)
		}
	}
}

// TestExternalLoginConfirmNoEnumeration: an address the provider does not
// vouch for proves nothing, so the confirm page must not tell whether it
// has an account — the same answer as for a free address, as on the
// register page (docs/security.md decision 2: "Registration never
// reveals that an account exists when email confirmation is on").
func TestExternalLoginConfirmNoEnumeration(t *testing.T) {
	t.Parallel()
	op := newOxOP(t)
	srv := oxServer(t, op)
	const taken = "karl@example.com"
	srv.SignedUp(t, taken, oxPassword)

	answer := func(typed string) *portaltest.Page {
		op.SetUser(oxOPUser{Sub: "sub-" + oxRandom(6), Email: "someone@example.org", Name: "Someone"})
		c := portaltest.NewClient(t, srv)
		portaltest.WantRedirect(t, oxLogin(t, c, op), oxConfirmPath)
		p := c.Submit(oxConfirmPath, "#external-confirm-form", map[string]string{"email": typed})
		oxWantAnonymous(t, c)
		return p
	}
	free := answer("free@example.com")
	portaltest.WantRedirect(t, free, oxConfirmPath) // "we sent a code"
	got := answer(taken)
	if got.Status != free.Status || got.Location() != free.Location() {
		t.Errorf("confirming an address the provider did not vouch for: taken → %d %q (%q), free → %d %q; "+
			"want the same answer (no enumeration)", got.Status, got.Location(), portaltest.FieldError(t, got, "email"), free.Status, free.Location())
	}
	if n := oxLoginRows(t, srv, ""); n != 0 {
		t.Errorf("%d external logins, want 0 (nothing until a code comes back, OIDC-03)", n)
	}
	if got := srv.CountUsers(t, ""); got != 1 {
		t.Errorf("%d users, want 1 (karl)", got)
	}
	if got := len(srv.MailsWith(t, "free@example.com", "code")); got != 1 {
		t.Errorf("%d code mails to the free address, want 1", got)
	}
	// As on the register page, the owner hears of the attempt.
	if got, want := len(srv.MailsWith(t, taken, "tried to register")), 1; got != want {
		t.Errorf("%d “tried to register” mails to %s, want %d", got, taken, want)
	}
}

// TestExternalLoginUserinfoEmailMismatch: email_verified vouches for the
// ID token's address. When the userinfo endpoint answers another,
// unverified address, that address must not count as confirmed: the
// person confirms it by mail first.
func TestExternalLoginUserinfoEmailMismatch(t *testing.T) {
	t.Parallel()
	op := newOxOP(t)
	const other = "unverified@example.com"
	op.SetKnobs(oxKnobs{UserinfoEmail: other})
	srv := oxServer(t, op)
	c := portaltest.NewClient(t, srv)
	portaltest.WantRedirect(t, oxLogin(t, c, op), oxConfirmPath)
	prefilled := c.Get(oxConfirmPath).Doc(t).Find("#external-confirm-form input[name=email]").AttrOr("value", "")
	if prefilled != op.User().Email {
		t.Errorf("confirm page prefilled %q, want the ID token's address %q (not userinfo's)", prefilled, op.User().Email)
	}
	p := c.Submit(oxConfirmPath, "#external-confirm-form", map[string]string{"email": other})
	if p.Status == http.StatusSeeOther && p.Location() == "/" {
		t.Errorf("%s (unverified at the provider's userinfo; the ID token vouches for %s) was taken as confirmed: "+
			"signed in at once, want /account/register-confirmation (the confirm page prefilled %q)",
			other, op.User().Email, prefilled)
	}
	if p.Status >= 500 {
		t.Fatalf("status=%d", p.Status)
	}
}

// --- Linking from the manage page ---

// TestExternalLoginLink: a password account links the provider's login
// (and is told by mail, ACC-04); afterwards the provider signs into that
// account.
func TestExternalLoginLink(t *testing.T) {
	t.Parallel()
	op := newOxOP(t)
	srv := oxServer(t, op)
	const bob = "bob@example.com"
	c := srv.SignedUp(t, bob, oxPassword)
	oxWantLinked(t, c)

	next := oxWantFlash(t, c, oxLink(t, c, op), oxLinksPath, false, oxName)
	if n := next.Doc(t).Find(oxLinkedSel + `[data-provider="acme"]`).Length(); n != 1 {
		t.Fatalf("%d acme logins listed after linking, want 1:\n%s", n, next.Body)
	}
	found := false
	for _, m := range srv.MailsTo(t, bob) {
		found = found || strings.Contains(m.Text, "linked")
	}
	if !found {
		t.Errorf("no mail to %s about the linked login", bob)
	}
	oxSignOut(t, c)

	b := portaltest.NewClient(t, srv)
	portaltest.WantRedirect(t, oxLogin(t, b, op), "/")
	oxWantSignedIn(t, b, bob)
	if got := srv.CountUsers(t, ""); got != 1 {
		t.Errorf("%d users, want 1", got)
	}
}

// TestExternalLoginLinkNeedsReauth: past the re-auth window, the link
// POST goes to the re-authentication page and never reaches the provider
// (SES-05).
func TestExternalLoginLinkNeedsReauth(t *testing.T) {
	t.Parallel()
	op := newOxOP(t)
	srv := oxServer(t, op)
	c := srv.SignedUp(t, "dora@example.com", oxPassword)
	links := c.Get(oxLinksPath)
	portaltest.WantStatus(t, links, http.StatusOK)
	f := links.Form(t, oxProviderForm)
	srv.Clock.Advance(oxPastReauth)
	p := c.Post(f.Action, f.Values)
	portaltest.WantRedirect(t, p, "/account/reauthenticate?"+url.Values{"returnUrl": {oxLinksPath}}.Encode())
	if n := len(op.AuthRequests()); n != 0 {
		t.Errorf("%d authorize requests, want 0", n)
	}
	oxWantLinked(t, c)
}

// TestExternalLoginLinkTaken: an identity linked to one account cannot be
// linked to another: an error message, nothing linked.
func TestExternalLoginLinkTaken(t *testing.T) {
	t.Parallel()
	op := newOxOP(t)
	srv := oxServer(t, op)
	sub := op.User().Sub
	oxNewExternalUser(t, srv, op)

	c := srv.SignedUp(t, "eve@example.com", oxPassword)
	oxWantFlash(t, c, oxLink(t, c, op), oxLinksPath, true, "already linked")
	oxWantLinked(t, c)
	if got := oxLoginRows(t, srv, sub); got != 1 {
		t.Errorf("%d rows for the subject, want 1", got)
	}
	// The identity still signs into its first account.
	a := portaltest.NewClient(t, srv)
	portaltest.WantRedirect(t, oxLogin(t, a, op), "/")
	oxWantSignedIn(t, a, op.User().Email)
}

// TestExternalLoginLinkFails: a failed link flow (here a bad ID token
// signature) ends on the external-logins page with an error; the user
// stays signed in and nothing is linked.
func TestExternalLoginLinkFails(t *testing.T) {
	t.Parallel()
	op := newOxOP(t)
	srv := oxServer(t, op)
	const lea = "lea@example.com"
	c := srv.SignedUp(t, lea, oxPassword)
	op.SetKnobs(oxKnobs{BadSignature: true})
	oxWantFlash(t, c, oxLink(t, c, op), oxLinksPath, true, oxName)
	oxWantSignedIn(t, c, lea)
	oxWantLinked(t, c)
	if got := oxLoginRows(t, srv, ""); got != 0 {
		t.Errorf("%d external logins, want 0", got)
	}
}

// --- Removing ---

// TestExternalLoginRemove: an account with a password removes its linked
// login with the page's Remove button.
func TestExternalLoginRemove(t *testing.T) {
	t.Parallel()
	op := newOxOP(t)
	srv := oxServer(t, op)
	sub := op.User().Sub
	const fay = "fay@example.com"
	c := srv.SignedUp(t, fay, oxPassword)
	other := portaltest.NewClient(t, srv) // a second signed-in browser of fay's
	portaltest.WantRedirect(t, other.Login(fay, oxPassword, false), "/")
	oxWantFlash(t, c, oxLink(t, c, op), oxLinksPath, false, "")
	p := oxWantLinked(t, c, oxSlug)

	f := p.Form(t, oxLinkedSel+`[data-provider="acme"] form`)
	if got := f.Values.Get("provider_key"); got != sub {
		t.Fatalf("Remove form provider_key=%q, want the subject %q", got, sub)
	}

	// Past the re-auth window, removing asks for re-authentication first
	// (SES-05, OIDC-04).
	srv.Clock.Advance(oxPastReauth)
	portaltest.WantRedirect(t, c.Post(f.Action, f.Values), "/account/reauthenticate?"+url.Values{"returnUrl": {oxLinksPath}}.Encode())
	oxWantLinked(t, c, oxSlug)
	portaltest.WantRedirect(t, c.Submit("/account/reauthenticate?"+url.Values{"returnUrl": {oxLinksPath}}.Encode(), "#reauth-form",
		map[string]string{"password": oxPassword}), oxLinksPath)

	f = c.Get(oxLinksPath).Form(t, oxLinkedSel+`[data-provider="acme"] form`)
	oxWantFlash(t, c, c.Post(f.Action, f.Values), oxLinksPath, false, "removed")
	removedMail := false
	for _, m := range srv.MailsTo(t, fay) {
		removedMail = removedMail || strings.Contains(m.Text, "removed")
	}
	if !removedMail {
		t.Errorf("no mail to %s about the removed login (ACC-04)", fay)
	}
	oxWantSignedIn(t, c, fay)
	// Removing a login ends fay's other sessions (SES-03).
	oxWantAnonymous(t, other)
	oxWantLinked(t, c)
	if got := oxLoginRows(t, srv, ""); got != 0 {
		t.Errorf("%d external logins, want 0", got)
	}
	// The provider's identity no longer signs into fay's account.
	b := portaltest.NewClient(t, srv)
	portaltest.WantRedirect(t, oxLogin(t, b, op), oxConfirmPath)
	oxWantAnonymous(t, b)
}

// TestExternalLoginRemoveLastLogin: an account created through the
// provider (no password, one login) shows no Remove button, and a forged
// remove POST is refused on the server (OIDC-04).
func TestExternalLoginRemoveLastLogin(t *testing.T) {
	t.Parallel()
	op := newOxOP(t)
	srv := oxServer(t, op)
	sub := op.User().Sub
	c := oxNewExternalUser(t, srv, op)

	p := oxWantLinked(t, c, oxSlug)
	if p.Has(t, `input[name="provider_key"]`) || p.Doc(t).Find(oxLinkedSel+" button").Length() > 0 {
		t.Errorf("the only login shows a Remove button:\n%s", p.Body)
	}
	forged := c.Post(oxLinksPath, url.Values{
		"_csrf": {c.CSRF(oxLinksPath)}, "provider": {oxSlug}, "provider_key": {sub},
	})
	oxWantFlash(t, c, forged, oxLinksPath, true, "only way to sign in")
	oxWantLinked(t, c, oxSlug)
	if got := oxLoginRows(t, srv, sub); got != 1 {
		t.Errorf("%d rows for the subject, want 1", got)
	}
}

// TestExternalLoginRemoveOtherUsersLogin: a remove POST naming another
// user's subject is refused and removes nothing (ACC-03).
func TestExternalLoginRemoveOtherUsersLogin(t *testing.T) {
	t.Parallel()
	op := newOxOP(t)
	srv := oxServer(t, op)

	x := srv.SignedUp(t, "xavier@example.com", oxPassword)
	subX := op.User().Sub
	oxWantFlash(t, x, oxLink(t, x, op), oxLinksPath, false, "")

	y := srv.SignedUp(t, "yara@example.com", oxPassword)
	subY := "yara-" + oxRandom(4)
	op.SetUser(oxOPUser{Sub: subY, Email: "yara@example.com", Name: "Yara"})
	oxWantFlash(t, y, oxLink(t, y, op), oxLinksPath, false, "")

	p := y.Post(oxLinksPath, url.Values{
		"_csrf": {y.CSRF(oxLinksPath)}, "provider": {oxSlug}, "provider_key": {subX},
	})
	switch {
	case p.Status == http.StatusNotFound:
	case p.Status == http.StatusSeeOther && p.Location() == oxLinksPath:
		next := y.Follow(p)
		if msg, isErr := portaltest.StatusMessage(t, next); !isErr {
			t.Errorf("removing another user's login: status message=%q, want an error", msg)
		}
	default:
		t.Fatalf("removing another user's login: status=%d Location=%q, want 404 (or a refusal)", p.Status, p.Location())
	}
	if got := oxLoginRows(t, srv, subX); got != 1 {
		t.Errorf("%d rows for x's subject, want 1", got)
	}
	if got := oxLoginRows(t, srv, subY); got != 1 {
		t.Errorf("%d rows for y's subject, want 1", got)
	}
	oxWantLinked(t, x, oxSlug)
	oxWantLinked(t, y, oxSlug)
}

// --- 2FA (OIDC-04) ---

// TestExternalLogin2FA: a returning external user with an authenticator is
// asked for the code, unless --external-login-bypasses-2fa.
func TestExternalLogin2FA(t *testing.T) {
	t.Parallel()
	for _, bypass := range []bool{false, true} {
		name := "default"
		if bypass {
			name = "bypass"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			op := newOxOP(t)
			srv := oxServer(t, op, func(cfg *portal.Config) { cfg.ExternalLoginBypasses2FA = bypass })
			const gus = "gus@example.com"
			c := srv.SignedUp(t, gus, oxPassword)
			oxWantFlash(t, c, oxLink(t, c, op), oxLinksPath, false, "")
			key := oxEnable2FA(t, srv, c)

			b := portaltest.NewClient(t, srv)
			p := oxLogin(t, b, op)
			if bypass {
				portaltest.WantRedirect(t, p, "/")
				oxWantSignedIn(t, b, gus)
				return
			}
			portaltest.WantRedirect(t, p, "/account/login-2fa")
			oxWantAnonymous(t, b)
			portaltest.WantRedirect(t, b.Submit("/account/login-2fa", "#login-2fa-form", map[string]string{"code": portaltest.TOTP(t, key, srv.Clock.Now())}), "/")
			oxWantSignedIn(t, b, gus)
		})
	}
}

// --- Re-authentication through the provider (SES-05, OIDC-04) ---

// TestExternalLoginReauth: an account without a password re-authenticates
// through its linked provider; a login linked to someone else does not
// count; and for an account with 2FA the provider alone is not enough,
// as it is not enough to sign in (SES-05: "password, plus TOTP if
// enabled"; OIDC-04).
func TestExternalLoginReauth(t *testing.T) {
	t.Parallel()
	const sensitive = "/account/manage/set-password"
	reauthURL := "/account/reauthenticate?" + url.Values{"returnUrl": {sensitive}}.Encode()

	t.Run("no password", func(t *testing.T) {
		t.Parallel()
		op := newOxOP(t)
		srv := oxServer(t, op)
		c := oxNewExternalUser(t, srv, op)
		srv.Clock.Advance(oxPastReauth)
		portaltest.WantRedirect(t, c.Get(sensitive), reauthURL)
		rp := c.Get(reauthURL)
		portaltest.WantStatus(t, rp, http.StatusOK)
		if rp.Has(t, "#reauth-form") {
			t.Errorf("re-auth page asks an account without a password for one:\n%s", rp.Body)
		}
		portaltest.WantRedirect(t, oxVia(t, c, op, reauthURL), sensitive)
		portaltest.WantStatus(t, c.Get(sensitive), http.StatusOK)
	})

	t.Run("another account's login", func(t *testing.T) {
		t.Parallel()
		op := newOxOP(t)
		srv := oxServer(t, op)
		c := oxNewExternalUser(t, srv, op)
		op.SetUser(oxOPUser{Sub: "other-" + oxRandom(4), Email: "other@example.com", Name: "Other"})
		oxNewExternalUser(t, srv, op)

		srv.Clock.Advance(oxPastReauth)
		portaltest.WantRedirect(t, c.Get(sensitive), reauthURL)
		p := oxVia(t, c, op, reauthURL)
		portaltest.WantStatus(t, p, http.StatusSeeOther)
		if !strings.HasPrefix(p.Location(), "/account/reauthenticate") {
			t.Fatalf("re-auth with another account's login: Location=%q, want the re-auth page", p.Location())
		}
		next := c.Follow(p)
		if msg, isErr := portaltest.StatusMessage(t, next); !isErr || !strings.Contains(msg, "not linked") {
			t.Errorf("status message=%q (error=%v), want an error saying the login is not linked", msg, isErr)
		}
		portaltest.WantRedirect(t, c.Get(sensitive), reauthURL)
	})

	t.Run("2FA still needs the code", func(t *testing.T) {
		t.Parallel()
		op := newOxOP(t)
		srv := oxServer(t, op)
		const ivy = "ivy@example.com"
		c := srv.SignedUp(t, ivy, oxPassword)
		oxWantFlash(t, c, oxLink(t, c, op), oxLinksPath, false, "")
		oxEnable2FA(t, srv, c)

		const disable = "/account/manage/disable-2fa"
		disableReauth := "/account/reauthenticate?" + url.Values{"returnUrl": {disable}}.Encode()
		srv.Clock.Advance(oxPastReauth)
		portaltest.WantRedirect(t, c.Get(disable), disableReauth)
		rp := c.Get(disableReauth)
		portaltest.WantStatus(t, rp, http.StatusOK)
		if !rp.Has(t, oxProviderForm) {
			t.Skip("the re-auth page offers no provider to a 2FA account: nothing to check")
		}
		p := oxVia(t, c, op, disableReauth)
		if p.Status >= 500 {
			t.Fatalf("re-auth callback: status=%d", p.Status)
		}
		r := c.Get(disable)
		if r.Status == http.StatusOK {
			t.Errorf("after re-authenticating through %s alone (callback → %d %s), %s answers 200: "+
				"a 2FA account re-authenticated without its code (SES-05, OIDC-04)", oxName, p.Status, p.Location(), disable)
		}
	})
}

// TestExternalLoginRefusedAccounts: the provider's identity does not get
// past what a password would not: a locked account, or a new account when
// registration is closed.
func TestExternalLoginRefusedAccounts(t *testing.T) {
	t.Parallel()
	t.Run("locked out", func(t *testing.T) {
		t.Parallel()
		op := newOxOP(t)
		srv := oxServer(t, op, func(cfg *portal.Config) { cfg.LockoutThreshold = 2 })
		const jo = "jo@example.com"
		c := srv.SignedUp(t, jo, oxPassword)
		oxWantFlash(t, c, oxLink(t, c, op), oxLinksPath, false, "")
		oxSignOut(t, c)
		for range 2 {
			if p := c.Login(jo, "wrong password here", false); p.Status == http.StatusSeeOther && p.Location() == "/" {
				t.Fatalf("wrong password signed in")
			}
		}
		b := portaltest.NewClient(t, srv)
		oxWantLoginFailed(t, b, oxLogin(t, b, op), "")
	})
	t.Run("registration closed", func(t *testing.T) {
		t.Parallel()
		op := newOxOP(t)
		srv := oxServer(t, op, func(cfg *portal.Config) { cfg.Registration = "closed" })
		c := portaltest.NewClient(t, srv)
		oxWantLoginFailed(t, c, oxLogin(t, c, op), "registration is closed")
		if got := srv.CountUsers(t, ""); got != 0 {
			t.Errorf("%d users, want 0", got)
		}
	})
}

// TestExternalLoginConfirmExpires: the confirm page's pending identity
// lasts 10 minutes, like the flow.
func TestExternalLoginConfirmExpires(t *testing.T) {
	t.Parallel()
	op := newOxOP(t)
	srv := oxServer(t, op)
	c := portaltest.NewClient(t, srv)
	portaltest.WantRedirect(t, oxLogin(t, c, op), oxConfirmPath)
	rp := c.Get(oxConfirmPath)
	portaltest.WantStatus(t, rp, http.StatusOK)
	f := rp.Form(t, "#external-confirm-form")
	srv.Clock.Advance(oxPastReauth)
	oxWantLoginFailed(t, c, c.Post(f.Action, f.Values), "expired")
	if got := srv.CountUsers(t, ""); got != 0 {
		t.Errorf("%d users, want 0", got)
	}
}

// TestExternalLoginDiscoveryIssuerMismatch: a discovery document whose
// issuer is not the configured one is refused: the button leads to a
// friendly message, never to the provider (OIDC-02).
func TestExternalLoginDiscoveryIssuerMismatch(t *testing.T) {
	t.Parallel()
	op := newOxOP(t)
	op.SetKnobs(oxKnobs{DiscoveryIssuer: "http://127.0.0.1:1/elsewhere"})
	srv := oxServer(t, op)
	c := portaltest.NewClient(t, srv)
	oxWantLoginFailed(t, c, oxStart(c, oxLoginPath), oxName)
	if n := len(op.AuthRequests()); n != 0 {
		t.Errorf("%d authorize requests, want 0", n)
	}
}

// --- Errors ---

// TestExternalLoginErrors: every way the flow can fail ends on the login
// page with a friendly error, never a 500, with no session and no account
// (OIDC-01, OIDC-02).
func TestExternalLoginErrors(t *testing.T) {
	t.Parallel()
	op := newOxOP(t)
	srv := oxServer(t, op)

	// withKnobs runs one flow in c with the provider misbehaving as k.
	withKnobs := func(k oxKnobs) func(t *testing.T, c *portaltest.Client) *portaltest.Page {
		return func(t *testing.T, c *portaltest.Client) *portaltest.Page {
			t.Helper()
			op.SetKnobs(k)
			defer op.SetKnobs(oxKnobs{})
			return c.Get(oxToOP(t, srv, op, oxStart(c, oxLoginPath)))
		}
	}
	cases := []struct {
		name  string
		run   func(t *testing.T, c *portaltest.Client) *portaltest.Page
		words string // the message mentions this
	}{
		{"bad state", func(t *testing.T, c *portaltest.Client) *portaltest.Page {
			back, _ := url.Parse(oxToOP(t, srv, op, oxStart(c, oxLoginPath)))
			q := back.Query()
			q.Set("state", q.Get("state")+"x")
			back.RawQuery = q.Encode()
			return c.Get(back.String())
		}, "try again"},
		{"missing state", func(t *testing.T, c *portaltest.Client) *portaltest.Page {
			back, _ := url.Parse(oxToOP(t, srv, op, oxStart(c, oxLoginPath)))
			q := back.Query()
			q.Del("state")
			back.RawQuery = q.Encode()
			return c.Get(back.String())
		}, "try again"},
		{"callback from another browser's flow", func(t *testing.T, c *portaltest.Client) *portaltest.Page {
			other := portaltest.NewClient(t, srv)
			return c.Get(oxToOP(t, srv, op, oxStart(other, oxLoginPath)))
		}, "try again"},
		{"no flow started", func(t *testing.T, c *portaltest.Client) *portaltest.Page {
			return c.Get(oxCallbackPath + "?" + url.Values{"code": {"abc"}, "state": {"def"}}.Encode())
		}, "try again"},
		{"flow older than 10 minutes", func(t *testing.T, c *portaltest.Client) *portaltest.Page {
			back := oxToOP(t, srv, op, oxStart(c, oxLoginPath))
			srv.Clock.Advance(oxPastReauth)
			return c.Get(back)
		}, "expired"},
		{"cancelled at the provider", withKnobs(oxKnobs{Refuse: true}), "cancelled"},
		{"token endpoint 500", withKnobs(oxKnobs{TokenFailure: true}), oxName},
		{"wrong audience", withKnobs(oxKnobs{WrongAudience: true}), oxName},
		{"bad signature", withKnobs(oxKnobs{BadSignature: true}), oxName},
		{"wrong nonce", withKnobs(oxKnobs{WrongNonce: true}), oxName},
		{"expired ID token", withKnobs(oxKnobs{Expired: true}), oxName},
		{"alg none", withKnobs(oxKnobs{AlgNone: true}), oxName},
		{"HS256 signed with the public key", withKnobs(oxKnobs{HS256PublicKey: true}), oxName},
		{"iss off by a trailing slash", withKnobs(oxKnobs{IssuerSuffix: "/"}), oxName},
		{"unknown provider", func(t *testing.T, c *portaltest.Client) *portaltest.Page {
			return c.Post("/account/external-login", url.Values{"_csrf": {c.CSRF(oxLoginPath)}, "provider": {"nope"}})
		}, "not available"},
	}
	// Sequential: the cases share the provider's knobs and the clock.
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := portaltest.NewClient(t, srv)
			p := tc.run(t, c)
			if p.Status >= 500 {
				t.Fatalf("%s: status=%d, want a friendly redirect:\n%s", p.URL, p.Status, p.Body)
			}
			oxWantLoginFailed(t, c, p, tc.words)
		})
	}
	if got := srv.CountUsers(t, ""); got != 0 {
		t.Errorf("%d users after failed flows, want 0", got)
	}
	if got := oxLoginRows(t, srv, ""); got != 0 {
		t.Errorf("%d external logins after failed flows, want 0", got)
	}
}

// TestExternalLoginReplayedCallback: a completed callback URL works once;
// visiting it again in the same browser is refused without another code
// exchange (OIDC-01).
func TestExternalLoginReplayedCallback(t *testing.T) {
	t.Parallel()
	op := newOxOP(t)
	srv := oxServer(t, op)
	c := portaltest.NewClient(t, srv)
	back := oxToOP(t, srv, op, oxStart(c, oxLoginPath))
	portaltest.WantRedirect(t, c.Get(back), oxConfirmPath)
	if got, want := op.TokenRequests(), 1; got != want {
		t.Fatalf("%d token requests, want %d", got, want)
	}
	oxWantLoginFailed(t, c, c.Get(back), "try again")
	if got, want := op.TokenRequests(), 1; got != want {
		t.Errorf("%d token requests, want %d (the replay must not reach the provider)", got, want)
	}
	if got := srv.CountUsers(t, ""); got != 0 {
		t.Errorf("%d users, want 0", got)
	}
}

// --- Personal data and returnUrl ---

// TestExternalLoginPersonalData: the export of a linked account lists the
// provider and the subject (PRIV-01).
func TestExternalLoginPersonalData(t *testing.T) {
	t.Parallel()
	op := newOxOP(t)
	srv := oxServer(t, op)
	sub := op.User().Sub
	c := srv.SignedUp(t, "hal@example.com", oxPassword)
	oxWantFlash(t, c, oxLink(t, c, op), oxLinksPath, false, "")

	p := c.Get("/account/manage/personal-data")
	portaltest.WantStatus(t, p, http.StatusOK)
	f := p.Form(t, "form#download-data")
	r := c.Post(f.Action, f.Values)
	portaltest.WantStatus(t, r, http.StatusOK)
	var data struct {
		ExternalLogins []struct {
			Provider string `json:"provider"`
			Subject  string `json:"subject"`
		} `json:"externalLogins"`
	}
	if err := json.Unmarshal([]byte(r.Body), &data); err != nil {
		t.Fatalf("export: %v:\n%s", err, r.Body)
	}
	if len(data.ExternalLogins) != 1 || data.ExternalLogins[0].Provider != oxSlug || data.ExternalLogins[0].Subject != sub {
		t.Fatalf("externalLogins=%+v, want one {acme %s}", data.ExternalLogins, sub)
	}
}

// TestExternalLoginReturnURL: a returnUrl given on the login page survives
// the trip to the provider, for a new and for a returning user; an
// off-site one does not.
func TestExternalLoginReturnURL(t *testing.T) {
	t.Parallel()
	op := newOxOP(t)
	srv := oxServer(t, op)
	from := func(ret string) string { return oxLoginPath + "?" + url.Values{"returnUrl": {ret}}.Encode() }

	c := portaltest.NewClient(t, srv)
	portaltest.WantRedirect(t, oxVia(t, c, op, from("/account/manage/sessions")), oxConfirmPath)
	portaltest.WantRedirect(t, c.Submit(oxConfirmPath, "#external-confirm-form", nil), "/account/manage/sessions")

	b := portaltest.NewClient(t, srv)
	portaltest.WantRedirect(t, oxVia(t, b, op, from("/account/manage/security?page=1")), "/account/manage/security?page=1")

	e := portaltest.NewClient(t, srv)
	portaltest.WantRedirect(t, oxVia(t, e, op, from("//evil.example/")), "/")
}
