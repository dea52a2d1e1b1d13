package tests

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/internal/portaltest"
)

// Passkeys in a real browser (issue 21, MFA-06): chromium's virtual
// authenticator (the DevTools WebAuthn domain) answers the ceremonies that
// /static/passkeys.js runs, so the pages, the script and the server are
// tested together. The server's base URL is http://localhost:port: a
// secure context for WebAuthn, and "localhost" is the relying party id (an
// IP address cannot be one).

// addVirtualAuthenticator enables the WebAuthn domain in b's tab and adds
// a platform authenticator as a phone or a laptop has: CTAP2, internal
// transport, resident keys (passkeys), user verification that succeeds
// (a fingerprint), presence confirmed without a prompt. It returns its id.
func addVirtualAuthenticator(b *browser) webauthn.AuthenticatorID {
	b.t.Helper()
	id, err := chromedp.Run(b.ctx, func(ctx context.Context, t *chromedp.Target) (webauthn.AuthenticatorID, error) {
		if _, err := cdp.Call(ctx, t, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return "", err
		}
		r, err := cdp.Call(ctx, t, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
			Options: &webauthn.VirtualAuthenticatorOptions{
				Protocol:                    webauthn.AuthenticatorProtocolCtap2,
				Ctap2version:                webauthn.Ctap2versionCtap21,
				Transport:                   webauthn.AuthenticatorTransportInternal,
				HasResidentKey:              true,
				HasUserVerification:         true,
				IsUserVerified:              true,
				AutomaticPresenceSimulation: true,
			},
		})
		return r.AuthenticatorID, err
	})
	if err != nil {
		b.fatalf("add a virtual authenticator: %v", err)
	}
	return id
}

// virtualCredentials are the credentials the virtual authenticator holds.
func virtualCredentials(b *browser, id webauthn.AuthenticatorID) []*webauthn.Credential {
	b.t.Helper()
	cs, err := chromedp.Run(b.ctx, func(ctx context.Context, t *chromedp.Target) ([]*webauthn.Credential, error) {
		r, err := cdp.Call(ctx, t, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: id})
		return r.Credentials, err
	})
	if err != nil {
		b.fatalf("the virtual authenticator's credentials: %v", err)
	}
	return cs
}

// colorScheme emulates prefers-color-scheme ("" resets it).
func colorScheme(scheme string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		p := emulation.SetEmulatedMediaParams{}
		if scheme != "" {
			p.Features = []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}
		}
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, p)
		return err
	})
}

// TestBrowserPasskeys: in chromium with a virtual authenticator, a person
// registers, turns on 2FA, adds a passkey on the passkeys page, signs out,
// signs in with #passkey-login — no code is asked although 2FA is on —
// signs in with the password and the passkey instead of the code
// (#passkey-2fa), removes the passkey, and it no longer signs in. On the way the passkeys
// page is checked at 390 px, light and dark: no sideways scrolling, no
// axe-core WCAG 2.2 A/AA violation, screenshots in
// tests/artifacts/passkeys-*.png.
func TestBrowserPasskeys(t *testing.T) {
	t.Parallel()
	b := newTab(t, 3*time.Minute) // first: skips before the server starts
	srv := portaltest.PasskeyServer(t, noConfirmation)
	if !strings.HasPrefix(srv.URL, "http://localhost:") {
		t.Fatalf("the passkey server is on %s, want http://localhost:port (a secure context)", srv.URL)
	}
	const (
		email    = "passkey.browser@example.com"
		password = "correct horse battery staple"
	)
	auth := addVirtualAuthenticator(b)

	// Register and turn on 2FA with the authenticator-app code.
	b.Navigate(srv.URL + "/account/register")
	b.WaitVisible("form#register-form")
	b.SubmitRegister(email, password)
	b.WaitVisible("[data-testid=signed-in-as]")
	b.Navigate(srv.URL + tfEnablePath)
	b.WaitVisible("#shared-key")
	key := strings.ToUpper(strings.ReplaceAll(b.Text("#shared-key"), " ", ""))
	b.Do("enter the authenticator code",
		chromedp.SendKeys(chromedp.CSS("form#send-code input[name=code]"), portaltest.TOTP(t, key, srv.Clock.Now())),
		chromedp.Submit(chromedp.CSS("form#send-code")),
	)
	b.WaitVisible(".recovery-code")
	srv.Clock.Advance(tfStep) // the enrolment code is spent

	// Add a passkey: the form appears only with the script and WebAuthn.
	b.Navigate(srv.URL + pkPage)
	b.WaitVisible("#passkey-add")
	if got := b.Count("[data-passkey-unsupported]:not([hidden])"); got != 0 {
		t.Errorf("the passkeys page says passkeys are unsupported in a browser that supports them")
	}
	b.Do("name and add a passkey",
		chromedp.SendKeys(chromedp.CSS("#f-name"), "Test laptop"),
		chromedp.Click(chromedp.CSS("#passkey-add")),
	)
	b.WaitVisible(".passkey .passkey-name")
	if got := b.Text(".passkey .passkey-name"); got != "Test laptop" {
		t.Fatalf("passkey listed as %q, want Test laptop", got)
	}
	if got := b.Path(); got != pkPage {
		t.Fatalf("after adding, the browser is on %q, want %s", got, pkPage)
	}
	cs := virtualCredentials(b, auth)
	if len(cs) != 1 || !cs[0].IsResidentCredential {
		t.Fatalf("the virtual authenticator holds %d credentials (want one resident: a passkey): %+v", len(cs), cs)
	}
	// The browser's credential is the one the server lists.
	listed := Eval[string](b, `document.querySelector(".passkey").dataset.passkeyId`)
	if want := base64.RawURLEncoding.EncodeToString(cs[0].CredentialID); listed != want {
		t.Errorf("the page lists passkey %q, the authenticator holds %q", listed, want)
	}
	if ms := srv.MailsWith(t, email, "passkey was added"); len(ms) != 1 {
		t.Errorf("%d mails about the new passkey, want 1", len(ms))
	}

	// The page at a phone's width, light and dark.
	checkPasskeysPageLook(t, b, srv.URL)

	// Sign out, then sign in with the passkey: no code although 2FA is on.
	// First through the email field's autofill (conditional UI): the
	// virtual authenticator picks its one passkey as soon as the login
	// page asks, as a person picking it from the autofill list would.
	signOut(b)
	b.Navigate(srv.URL + "/account/login")
	if got := Eval[string](b, `document.querySelector("#f-email").getAttribute("autocomplete")`); got != "username webauthn" {
		t.Errorf("email autocomplete=%q, want %q (conditional UI)", got, "username webauthn")
	}
	b.WaitVisible("[data-testid=signed-in-as]")
	if got, want := b.Path()+" "+b.Text("[data-testid=signed-in-as]"), "/ "+email; got != want {
		t.Fatalf("after the passkey sign-in through autofill: %q, want %q (no code step)", got, want)
	}

	// Then with the #passkey-login button, in a browser without autofill
	// for passkeys (the script then leaves the email field alone).
	signOut(b)
	b.Do("turn conditional UI off", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
			Source: `PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);`,
		})
		return err
	}))
	b.Navigate(srv.URL + "/account/login")
	b.WaitVisible("#passkey-login")
	if got := b.Count("[data-testid=signed-in-as]"); got != 0 {
		t.Fatal("signed in before the button was pressed")
	}
	b.Do("click Sign in with a passkey", chromedp.Click(chromedp.CSS("#passkey-login")))
	b.WaitVisible("[data-testid=signed-in-as]")
	if got, want := b.Path()+" "+b.Text("[data-testid=signed-in-as]"), "/ "+email; got != want {
		t.Fatalf("after the passkey sign-in with the button: %q, want %q (no code step)", got, want)
	}

	// The password, then the passkey instead of the code.
	signOut(b)
	b.Navigate(srv.URL + "/account/login")
	b.WaitVisible("#passkey-login")
	b.Do("fill and submit the login form",
		chromedp.SendKeys(chromedp.CSS("#f-email"), email),
		chromedp.SendKeys(chromedp.CSS("#f-password"), password),
		chromedp.Click(chromedp.CSS("button#login-submit")),
	)
	b.WaitVisible("#passkey-2fa")
	if got := b.Path(); got != tf2FAPath {
		t.Fatalf("after the password, the browser is on %q, want %s", got, tf2FAPath)
	}
	b.Do("click Use a passkey instead", chromedp.Click(chromedp.CSS("#passkey-2fa")))
	b.WaitVisible("[data-testid=signed-in-as]")
	if got, want := b.Path()+" "+b.Text("[data-testid=signed-in-as]"), "/ "+email; got != want {
		t.Fatalf("after the password and the passkey: %q, want %q", got, want)
	}

	// The passkey is shown as used; remove it (the passkey sign-in is a
	// recent authentication).
	b.Navigate(srv.URL + pkPage)
	b.WaitVisible(".passkey")
	if got := b.Text(".passkey"); !strings.Contains(got, "last used") {
		t.Errorf("the passkey is not shown as used: %q", got)
	}
	b.Do("remove the passkey", chromedp.Click(chromedp.CSS("[data-testid=passkey-remove]")))
	b.WaitVisible("#no-passkeys")
	if ms := srv.MailsWith(t, email, "passkey was removed"); len(ms) != 1 {
		t.Errorf("%d mails about the removed passkey, want 1", len(ms))
	}

	// The authenticator still holds it, but it no longer signs in.
	signOut(b)
	b.Navigate(srv.URL + "/account/login")
	b.WaitVisible("#passkey-login")
	b.Do("click Sign in with a passkey", chromedp.Click(chromedp.CSS("#passkey-login")))
	b.WaitVisible(".card > .form-error")
	if got := b.Text(".card > .form-error"); !strings.Contains(got, "passkey could not be verified") {
		t.Errorf("login page after a removed passkey says %q, want a message about the passkey", got)
	}
	if got := b.Count("[data-testid=signed-in-as]"); got != 0 {
		t.Fatal("a removed passkey signed in")
	}
	if got := len(virtualCredentials(b, auth)); got != 1 {
		t.Errorf("the virtual authenticator holds %d credentials, want 1 (it was used, and refused)", got)
	}
	// The one console error is the refused sign-in's 422, which chromium
	// logs for any 4xx page.
	for _, m := range b.ConsoleErrors() {
		if !strings.Contains(m.Text, "422") || !strings.HasSuffix(m.URL, "/account/login/passkey") {
			t.Errorf("the pages wrote errors to the console:\n%s", b.consoleText())
			break
		}
	}
}

// checkPasskeysPageLook checks the passkeys page b shows at 390 px, light
// and dark: the colour scheme applies, nothing scrolls sideways, axe-core
// finds no WCAG 2.2 A/AA violation; it saves a full screenshot of each.
func checkPasskeysPageLook(t *testing.T, b *browser, base string) {
	t.Helper()
	axeJS, err := os.ReadFile("testdata/axe-core/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Do("reset the emulation", colorScheme(""), chromedp.EmulateReset())
	for _, scheme := range []string{"light", "dark"} {
		b.Do("emulate 390 px, "+scheme, chromedp.EmulateViewport(390, 844), colorScheme(scheme))
		b.Navigate(base + pkPage)
		b.WaitVisible("#passkey-add")
		st := Eval[struct {
			Styled bool `json:"styled"`
			Dark   bool `json:"dark"`
		}](b, pageStateJS)
		if !st.Styled || st.Dark != (scheme == "dark") {
			t.Errorf("passkeys page, %s: styled=%v dark background=%v", scheme, st.Styled, st.Dark)
		}
		m := Eval[layoutMetrics](b, layoutMetricsJS)
		if m.InnerWidth != 390 {
			t.Fatalf("window.innerWidth=%d, want 390 (viewport emulation failed)", m.InnerWidth)
		}
		if m.ScrollWidth > m.ClientWidth {
			t.Errorf("passkeys page, %s, 390 px: scrolls sideways: scrollWidth=%d > clientWidth=%d; wide: %v", scheme, m.ScrollWidth, m.ClientWidth, m.Wide)
		}
		b.Do("inject axe-core", chromedp.Evaluate[chromedp.Void](string(axeJS)))
		ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
		r, err := chromedp.Run(ctx, chromedp.Evaluate[axeResult](axeRunJS, chromedp.EvalAwaitPromise))
		cancel()
		if err != nil {
			t.Fatalf("axe on the passkeys page: %v", err)
		}
		if r.Passes == 0 {
			t.Fatalf("axe passed no rule on the passkeys page; did it run?")
		}
		for _, v := range r.Violations {
			t.Errorf("passkeys page, %s, 390 px: axe %s (%s, on %d elements): %s\n    %s", scheme, v.ID, v.Impact, v.Count, v.Help, strings.Join(v.Nodes, "\n    "))
		}
		b.SaveFullScreenshot(fmt.Sprintf("passkeys-390-%s.png", scheme))
	}
}

// signOut presses the header's Sign out button and waits for the page
// that says so.
func signOut(b *browser) {
	b.t.Helper()
	b.Do("click Sign out", chromedp.Click(chromedp.CSS("header button[data-testid=logout-button]")))
	b.WaitVisible("[data-testid=signed-out]")
}

// TestBrowserPasskeySignup (--passkey-signup): in chromium with a
// virtual authenticator, a person types only an address into the
// register form and presses #passkey-register: the script sends the
// register form's fields (no password) to begin, the account is created
// with the passkey, and it signs in with no password set.
func TestBrowserPasskeySignup(t *testing.T) {
	t.Parallel()
	b := newBrowser(t) // first: skips before the server starts
	srv := portaltest.PasskeyServer(t, noConfirmation, func(c *portal.Config) { c.PasskeySignup = true })
	const email = "passkey.only@example.com"
	auth := addVirtualAuthenticator(b)

	b.Navigate(srv.URL + "/account/register")
	b.WaitVisible("#passkey-register")
	b.Do("type the address and create the account with a passkey",
		chromedp.SendKeys(chromedp.CSS("#f-email"), email),
		chromedp.Click(chromedp.CSS("#passkey-register")),
	)
	b.WaitVisible("[data-testid=signed-in-as]")
	if got := b.Text("[data-testid=signed-in-as]"); got != email {
		t.Fatalf("signed in as %q, want %s", got, email)
	}
	if cs := virtualCredentials(b, auth); len(cs) != 1 || !cs[0].IsResidentCredential {
		t.Fatalf("the virtual authenticator holds %d credentials, want one passkey", len(cs))
	}
	b.Navigate(srv.URL + "/account/manage/change-password")
	b.WaitVisible("form#set-password-form")
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("the pages wrote %d errors to the console:\n%s", len(errs), b.consoleText())
	}
}
