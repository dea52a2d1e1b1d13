package tests

// More flow tests for issue 18: extra fields on the external sign-up
// (item 1), Cancel links and "This wasn't me" (item 7), the behaviour parts
// of the copy (item 17) and times in the person's zone (item 9). Helpers
// start with "ux".

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/internal/portaltest"
)

// uxExtraFields are the operator's fields of the external sign-up tests.
func uxExtraFields(cfg *portal.Config) {
	cfg.RegisterFields = identity.ExtraFields{
		{Name: "nickname", Label: "Nickname", Type: "text", Required: true},
		{Name: "website", Label: "Website", Type: "url"},
	}
}

// uxProfileValue is the value of the profile form's field name.
func uxProfileValue(t testing.TB, c *portaltest.Client, name string) string {
	t.Helper()
	p := c.Get("/account/manage")
	portaltest.WantStatus(t, p, http.StatusOK)
	return p.Doc(t).Find("#profile-form [name="+name+"]").AttrOr("value", "")
}

// TestExternalSignupAsksExtraFields (issue 18 item 1, ACC-02): with a
// required extra field, the external sign-up's confirm page asks for it;
// every error (address and fields) comes in one round with the error
// summary, nothing is created until the fields are valid, and the account
// gets the values — also when the address is proven by a mailed code.
func TestExternalSignupAsksExtraFields(t *testing.T) {
	t.Parallel()
	t.Run("provider vouches", func(t *testing.T) {
		t.Parallel()
		op := newOxOP(t)
		srv := oxServer(t, op, uxExtraFields)
		c := portaltest.NewClient(t, srv)
		portaltest.WantRedirect(t, oxLogin(t, c, op), oxConfirmPath)
		page := c.Get(oxConfirmPath)
		portaltest.WantStatus(t, page, http.StatusOK)
		nick := page.Doc(t).Find("#external-confirm-form input[name=nickname]")
		if nick.Length() != 1 {
			t.Fatalf("the confirm page does not ask for the nickname:\n%s", page.Body)
		}
		if _, ok := nick.Attr("required"); !ok {
			t.Error("the nickname input is not marked required")
		}

		// Everything wrong at once: one round shows every error.
		bad := c.Submit(oxConfirmPath, "#external-confirm-form", map[string]string{"email": "ada@", "nickname": "", "website": "nope"})
		msgs := portaltest.WantErrorSummary(t, bad, "email", "nickname", "website")
		if !strings.Contains(strings.ToLower(msgs["nickname"]), "nickname") {
			t.Errorf("nickname error=%q, want it to name the field", msgs["nickname"])
		}
		if got := bad.Doc(t).Find("#f-website").AttrOr("value", ""); got != "nope" {
			t.Errorf("website kept as %q, want what was typed", got)
		}
		// The field left out of the form entirely is missing too.
		f := bad.Form(t, "#external-confirm-form")
		f.Set("email", op.User().Email)
		f.Values.Del("nickname")
		f.Set("website", "")
		portaltest.WantErrorSummary(t, c.Post(f.Action, f.Values), "nickname")
		if n := srv.CountUsers(t, ""); n != 0 {
			t.Fatalf("%d accounts after invalid fields, want none", n)
		}

		ok := c.Submit(oxConfirmPath, "#external-confirm-form", map[string]string{"email": op.User().Email, "nickname": "Ada", "website": "https://ada.example"})
		portaltest.WantRedirect(t, ok, "/")
		if got := uxProfileValue(t, c, "nickname"); got != "Ada" {
			t.Errorf("profile nickname=%q, want Ada", got)
		}
		if got := uxProfileValue(t, c, "website"); got != "https://ada.example" {
			t.Errorf("profile website=%q, want https://ada.example", got)
		}
	})
	t.Run("code mailed", func(t *testing.T) {
		t.Parallel()
		op := newOxOP(t)
		op.SetKnobs(oxKnobs{EmailUnverified: true})
		srv := oxServer(t, op, uxExtraFields)
		c := portaltest.NewClient(t, srv)
		addr := op.User().Email
		portaltest.WantRedirect(t, oxLogin(t, c, op), oxConfirmPath)
		portaltest.WantErrorSummary(t, c.Submit(oxConfirmPath, "#external-confirm-form", map[string]string{"email": addr}), "nickname")
		if n := len(srv.MailsTo(t, addr)); n != 0 {
			t.Fatalf("%d mails before the fields were valid, want none", n)
		}
		p := c.Submit(oxConfirmPath, "#external-confirm-form", map[string]string{"email": addr, "nickname": "Countess"})
		portaltest.WantRedirect(t, p, oxConfirmPath)
		waiting := c.Follow(p)
		// The other-address form keeps the values typed.
		if got := waiting.Doc(t).Find("#external-confirm-form input[name=nickname]").AttrOr("value", ""); got != "Countess" {
			t.Errorf("waiting for the code, nickname shows %q, want Countess", got)
		}
		mails := srv.MailsWith(t, addr, "code")
		if len(mails) != 1 {
			t.Fatalf("%d code mails, want 1", len(mails))
		}
		_, code, _ := strings.Cut(mails[0].Link(t, oxConfirmPath+"?code="), "code=")
		portaltest.WantRedirect(t, c.Submit(oxConfirmPath, "#external-code-form", map[string]string{"code": code}), "/")
		if got := uxProfileValue(t, c, "nickname"); got != "Countess" {
			t.Errorf("profile nickname=%q, want Countess", got)
		}
	})
}

// TestDestructivePagesCancel (issue 18 item 7): the pages that delete or
// turn something off offer a Cancel link back to the manage page the
// person came from, and following it changes nothing.
func TestDestructivePagesCancel(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "cancel@example.com"
	c := srv.SignedUp(t, email, uxPassword)
	tfEnable(t, srv, c)
	for path, back := range map[string]string{
		"/account/manage/delete-personal-data":    "/account/manage/personal-data",
		"/account/manage/reset-authenticator":     tfOverviewPath,
		"/account/manage/disable-2fa":             tfOverviewPath,
		"/account/manage/generate-recovery-codes": tfOverviewPath,
	} {
		p := c.Get(path)
		portaltest.WantStatus(t, p, http.StatusOK)
		a := p.Doc(t).Find("main a#cancel")
		if a.Length() != 1 {
			t.Errorf("%s: no Cancel link (a#cancel):\n%s", path, p.Body)
			continue
		}
		if got := a.AttrOr("href", ""); got != back {
			t.Errorf("%s: Cancel goes to %q, want %q", path, got, back)
		}
		if strings.TrimSpace(a.Text()) != "Cancel" {
			t.Errorf("%s: Cancel link reads %q", path, a.Text())
		}
		portaltest.WantStatus(t, c.Get(back), http.StatusOK)
	}
	if n := srv.CountUsers(t, ""); n != 1 {
		t.Errorf("%d accounts after cancelling, want 1", n)
	}
	if !strings.Contains(c.Get(tfOverviewPath).Body, "disable-2fa") {
		t.Error("two-factor looks off after cancelling")
	}
}

// TestNotMeAsksFirst (issue 18 item 7, SES-03, ACC-03): "This wasn't me"
// is a link to a confirmation page (no JavaScript needed) that names the
// sign-in; Cancel ends nothing, confirming ends the other sessions. The
// current session's own sign-in is not offered, and asking for it
// directly (page or POST) is a 404 that ends nothing.
func TestNotMeAsksFirst(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "notme@example.com"
	a, b := pdTwoBrowsers(t, srv, email)
	db := srv.GrayDB(t, true)
	own := pdScalar[int64](t, db, `SELECT id FROM security_events WHERE kind = 'login' ORDER BY id LIMIT 1`)

	hist := pdSecurity(t, a, 0)
	var bSignIn string
	for _, e := range pdEvents(t, hist) {
		if e.Kind == "login" && strings.Contains(e.Text, "Chrome on Windows") {
			bSignIn = e.EventID
		}
		if e.EventID == strconv.FormatInt(own, 10) {
			t.Errorf("A's own sign-in offers \"This wasn't me\"")
		}
	}
	if bSignIn == "" {
		t.Fatalf("no \"This wasn't me\" on B's sign-in:\n%s", hist.Body)
	}
	if got := hist.Doc(t).Find("[data-testid=this-session]").Length(); got != 1 {
		t.Errorf("%d entries marked as this sign-in, want 1", got)
	}
	if hist.Has(t, `form[action="`+pdNotMePath+`"]`) {
		t.Error("the history page posts \"This wasn't me\" without asking")
	}

	confirm := a.Get(pdNotMePath + "?event_id=" + bSignIn)
	portaltest.WantStatus(t, confirm, http.StatusOK)
	if got := confirm.Text(t, "[data-testid=not-me-event]"); !strings.Contains(got, "Chrome on Windows") {
		t.Errorf("confirmation names %q, want B's sign-in (Chrome on Windows)", got)
	}
	if got := confirm.Doc(t).Find("a#cancel").AttrOr("href", ""); got != pdSecurityPath {
		t.Errorf("Cancel goes to %q, want %s", got, pdSecurityPath)
	}
	portaltest.WantStatus(t, a.Get(pdSecurityPath), http.StatusOK) // Cancel
	if !b.SignedIn() {
		t.Fatal("opening the confirmation (or Cancel) signed B out")
	}

	// This session's own sign-in: not on offer, and refused when asked.
	ownID := strconv.FormatInt(own, 10)
	portaltest.WantStatus(t, a.Get(pdNotMePath+"?event_id="+ownID), http.StatusNotFound)
	portaltest.WantStatus(t, pdNotMe(t, a, ownID), http.StatusNotFound)
	portaltest.WantStatus(t, a.Get(pdNotMePath+"?event_id=abc"), http.StatusNotFound)
	if !b.SignedIn() || !a.SignedIn() {
		t.Fatal("a refused \"This wasn't me\" ended a session")
	}

	f := confirm.Form(t, "#not-me-form")
	portaltest.WantRedirect(t, a.Post(f.Action, f.Values), "/account/manage/change-password")
	if b.SignedIn() {
		t.Error("B is still signed in after the confirmed \"This wasn't me\"")
	}
	if !a.SignedIn() {
		t.Error("A was signed out by its own \"This wasn't me\"")
	}
}

// TestReauthIntroNamesTheCode (issue 18 item 17): the sentence above the
// re-authentication form asks for what the form asks — the password, and
// the authenticator code when two-factor authentication is on.
func TestReauthIntroNamesTheCode(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	plain := srv.SignedUp(t, "plain@example.com", uxPassword)
	twoFA, _, _ := tfUser(t, srv, "twofa@example.com")
	for _, tc := range []struct {
		name     string
		c        *portaltest.Client
		wantCode bool
	}{{"password only", plain, false}, {"password and code", twoFA, true}} {
		p := tc.c.Get(portaltest.ReauthURL("/account/manage/email"))
		portaltest.WantStatus(t, p, http.StatusOK)
		intro := p.Text(t, "#reauth-intro")
		if got := strings.Contains(intro, "code from your authenticator app"); got != tc.wantCode {
			t.Errorf("%s: intro %q mentions the code=%v, want %v", tc.name, intro, got, tc.wantCode)
		}
		if got := p.Has(t, "#reauth-form input[name=code]"); got != tc.wantCode {
			t.Errorf("%s: code field=%v, want %v", tc.name, got, tc.wantCode)
		}
		if !strings.Contains(intro, "password") {
			t.Errorf("%s: intro %q does not ask for the password", tc.name, intro)
		}
	}
}

// TestSessionsCurrentFirstAndExplained (issue 18 item 17): the sessions
// page lists this device first, whatever the order of sign-in, and
// explains the "remembered" badge when one shows.
func TestSessionsCurrentFirstAndExplained(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "sessions@example.com"
	first := srv.SignedUp(t, email, uxPassword)
	second := portaltest.NewClient(t, srv).WithHeader("User-Agent", mgUAChromeWin)
	portaltest.WantRedirect(t, second.Login(email, uxPassword, true), "/")
	srv.Clock.Advance(2 * time.Minute)

	for name, c := range map[string]*portaltest.Client{"first": first, "second": second} {
		p := c.Get("/account/manage/sessions")
		portaltest.WantStatus(t, p, http.StatusOK)
		items := p.Doc(t).Find("[data-testid=session]")
		if items.Length() != 2 {
			t.Fatalf("%s: %d sessions listed, want 2", name, items.Length())
		}
		if !items.First().Find("[data-testid=current-session]").Is("*") {
			t.Errorf("%s: the first session listed is not this device", name)
		}
		legend := p.Text(t, "#session-legend")
		if !strings.Contains(legend, "Remember me on this device") {
			t.Errorf("%s: the remembered session is not explained (legend %q)", name, legend)
		}
	}
	// Without a remembered session there is nothing to explain.
	second.Logout()
	if p := first.Get("/account/manage/sessions"); p.Has(t, "#session-legend") {
		t.Errorf("a legend without a remembered session:\n%s", p.Text(t, "#session-legend"))
	}
}

// TestRecoverySignInSaysCodesLeft (issue 18 item 17, MFA-04): the page
// after a sign-in with a recovery code says how many are left, warns when
// three or fewer are, and says when it was the last one.
func TestRecoverySignInSaysCodesLeft(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t, tfHighLockout)
	const email = "codes@example.com"
	_, _, codes := tfUser(t, srv, email)
	for i, code := range codes {
		left := len(codes) - i - 1
		c := tfPending(t, srv, email)
		p := tfSubmitRecovery(c, code)
		portaltest.WantRedirect(t, p, "/")
		next := c.Follow(p)
		msg, isErr := portaltest.StatusMessage(t, next)
		switch {
		case left == 0:
			if !strings.Contains(msg, "last recovery code") || !isErr {
				t.Errorf("last code: status %q (warning=%v), want a warning about the last code", msg, isErr)
			}
		case left <= 3:
			if !strings.Contains(msg, strconv.Itoa(left)) || !strings.Contains(msg, "Only") || !isErr {
				t.Errorf("%d left: status %q (warning=%v), want a warning naming %d", left, msg, isErr, left)
			}
		default:
			if !strings.Contains(msg, strconv.Itoa(left)+" recovery codes left") || isErr {
				t.Errorf("%d left: status %q (warning=%v), want a plain note of %d left", left, msg, isErr, left)
			}
		}
	}
}

// TestPendingEmailChangeShown (issue 18 item 17, ACC-01): after asking to
// change the address, the email page shows the new one as waiting for
// confirmation until the link is followed or expires — the same for an
// address that belongs to another account (it reveals nothing).
func TestPendingEmailChangeShown(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	c := srv.SignedUp(t, "pending@example.com", uxPassword)
	srv.SignedUp(t, "taken@example.com", uxPassword)
	pending := func() string {
		p := c.Get("/account/manage/email")
		portaltest.WantStatus(t, p, http.StatusOK)
		if !p.Has(t, "[data-testid=pending-email]") {
			return ""
		}
		return efFirstWord(p.Text(t, "[data-testid=pending-email]"))
	}
	if got := pending(); got != "" {
		t.Fatalf("pending change %q before any request", got)
	}
	portaltest.WantRedirect(t, c.Submit("/account/manage/email", "#change-email-form", map[string]string{"new_email": "taken@example.com"}), "/account/manage/email")
	if got := pending(); got != "taken@example.com" {
		t.Errorf("after asking for a taken address: pending=%q, want it shown like any other", got)
	}
	link := efRequestChange(t, srv, c, "new@example.com")
	if got := pending(); got != "new@example.com" {
		t.Errorf("pending=%q, want the newest request new@example.com", got)
	}
	portaltest.WantRedirect(t, c.Submit(link, "#confirm-email-change-form", nil), "/account/manage/email")
	if got := pending(); got != "" {
		t.Errorf("still pending %q after the change was confirmed", got)
	}
	// A request whose link expired is no longer pending.
	efRequestChange(t, srv, c, "later@example.com")
	srv.Clock.Advance(25 * time.Hour)
	c = portaltest.NewClient(t, srv) // the old session has ended by now
	portaltest.WantRedirect(t, c.Login("new@example.com", uxPassword, false), "/")
	if got := pending(); got != "" {
		t.Errorf("pending=%q after the link expired, want none", got)
	}
}

// TestExternalSignupUsernameFromProvider (issue 18 item 17): an account
// created through a provider takes the provider's display name as its
// username ("Ada Lovelace" → "Ada_Lovelace") where that is free and valid;
// a second person of the same name, or a name that is no valid username
// (or could pass for an address), gets the address, as a registration
// does.
func TestExternalSignupUsernameFromProvider(t *testing.T) {
	t.Parallel()
	op := newOxOP(t)
	srv := oxServer(t, op)
	for _, tc := range []struct{ name, email, want string }{
		{"Ada Lovelace", "ada@example.com", "Ada_Lovelace"},
		{"Ada  Lovelace", "ada2@example.com", "ada2@example.com"}, // the same name, taken
		{"Grace Hopper <grace@example.org>", "grace@example.com", "grace@example.com"},
		{"!", "bang@example.com", "bang@example.com"},
		{"Łukasz Żółw", "lukasz@example.com", "Łukasz_Żółw"},
	} {
		op.SetUser(oxOPUser{Sub: "sub-" + oxRandom(6), Email: tc.email, Name: tc.name})
		c := oxNewExternalUser(t, srv, op)
		if got := c.WhoAmI(); got != tc.want {
			t.Errorf("display name %q: username %q, want %q", tc.name, got, tc.want)
		}
		oxWantSignedIn(t, c, tc.email)
	}
}

// TestPhoneStoredE164ShownGrouped (issue 18 item 17): a phone number is
// stored in E.164 and shown grouped the way its country writes it, on the
// profile and in a tel extra field; "00" counts as "+", a number without
// its country code or of a length the country does not have is refused.
func TestPhoneStoredE164ShownGrouped(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t, func(cfg *portal.Config) {
		cfg.RegisterFields = identity.ExtraFields{{Name: "mobile", Label: "Mobile", Type: "tel"}}
	})
	const email = "phone@example.com"
	c := srv.SignedUp(t, email, uxPassword)
	db := srv.GrayDB(t, true)
	for _, tc := range []struct{ typed, stored, shown string }{
		{"+41 (0)79 123 45 67", "+41791234567", "+41 79 123 45 67"},
		{"0041791234567", "+41791234567", "+41 79 123 45 67"},
		{"+1 (415) 555-0100", "+14155550100", "+1 415-555-0100"},
		{"+49 30 1234567", "+49301234567", "+49 30 1234567"},
	} {
		p := c.Submit("/account/manage", "#profile-form", map[string]string{"phone_number": tc.typed, "mobile": tc.typed})
		portaltest.WantRedirect(t, p, "/account/manage")
		if got := pdScalar[string](t, db, `SELECT phone_number FROM users WHERE normalized_email = ?`, email); got != tc.stored {
			t.Errorf("%q stored as %q, want %q", tc.typed, got, tc.stored)
		}
		if got := uxProfileValue(t, c, "phone_number"); got != tc.shown {
			t.Errorf("%q shown as %q, want %q", tc.typed, got, tc.shown)
		}
		if got := uxProfileValue(t, c, "mobile"); got != tc.shown {
			t.Errorf("mobile %q shown as %q, want %q", tc.typed, got, tc.shown)
		}
	}
	for _, bad := range []string{"079 123 45 67", "+41 79 123", "+1 415 555 01000"} {
		p := c.Submit("/account/manage", "#profile-form", map[string]string{"phone_number": bad})
		portaltest.WantStatus(t, p, http.StatusUnprocessableEntity)
		if portaltest.FieldError(t, p, "phone_number") == "" {
			t.Errorf("%q: no error on the phone field", bad)
		}
	}
}
