package reliability

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/accountportal/portal"
)

// raceN is how many browsers redeem one secret at once (REL-04).
const raceN = 20

// raceOutcome is what the browsers of one race got.
type raceOutcome struct {
	statuses statusCounts
	pages    []*page
	errs     []error
}

// race posts forms[i] from clients[i], all at once.
func race(clients []*client, forms []*form) *raceOutcome {
	out := &raceOutcome{pages: make([]*page, len(clients)), errs: make([]error, len(clients))}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			p, err := clients[i].Post(forms[i].Action, forms[i].Values)
			out.pages[i], out.errs[i] = p, err
			if err != nil {
				out.statuses.Add(0)
			} else {
				out.statuses.Add(p.Status)
			}
		}()
	}
	close(start)
	wg.Wait()
	return out
}

// String lists the answers by status and redirect target.
func (o *raceOutcome) String() string {
	counts := map[string]int{}
	var keys []string
	for i, p := range o.pages {
		k := "error"
		if o.errs[i] == nil {
			k = fmt.Sprint(p.Status)
			if loc := p.Location(); loc != "" {
				k += "→" + loc
			}
		}
		if counts[k] == 0 {
			keys = append(keys, k)
		}
		counts[k]++
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s ×%d", k, counts[k])
	}
	return strings.Join(parts, ", ")
}

// check fails t for transport errors and 5xx answers.
func (o *raceOutcome) check(t *testing.T, what string) {
	t.Helper()
	for i, err := range o.errs {
		if err != nil {
			t.Errorf("%s, browser %d: %v", what, i, err)
		} else if p := o.pages[i]; p.Status >= 500 {
			t.Errorf("%s, browser %d: %v (5xx); body:\n%.1500s", what, i, p, p.Body)
		}
	}
}

// totpCode is the TOTP code (SHA-1, 6 digits, 30 s) of key at at.
func totpCode(t testing.TB, key string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(key, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatalf("totp code: %v", err)
	}
	return code
}

// TestSingleUseUnderConcurrency (REL-04): 20 browsers redeem one reset
// token, one TOTP step and one recovery code at the same moment; each time
// exactly one succeeds, the others get a generic refusal, none a 5xx.
func TestSingleUseUnderConcurrency(t *testing.T) {
	srv := newInProcess(t, func(c *portal.Config) { c.RequireConfirmedEmail = false })
	held := map[string]string{} // secret → "wins/raceN"
	defer func() {
		t.Logf("SUMMARY REL-04: tried %d parallel redemptions each of one reset token, one TOTP step and one recovery code; successes: reset token %s, TOTP step %s, recovery code %s (want 1 each), 0 5xx unless reported above",
			raceN, held["reset"], held["totp"], held["recovery"])
	}()

	t.Run("reset token", func(t *testing.T) {
		const addr = "reset@example.com"
		wantRedirect(t, newClient(t, srv.URL).Register(t, addr, testPassword), "/")
		p := newClient(t, srv.URL).Submit(t, "/account/forgot-password", "#forgot-form", map[string]string{"email": addr})
		wantRedirect(t, p, "/account/forgot-password-confirmation")
		ls := links(srv.Mails(t), addr, "/account/reset-password?code=")
		if len(ls) != 1 {
			t.Fatalf("%d reset links mailed to %s, want 1", len(ls), addr)
		}
		clients, forms := make([]*client, raceN), make([]*form, raceN)
		passwords := make([]string, raceN)
		for i := range raceN {
			passwords[i] = fmt.Sprintf("new-password-%02d-reliability", i)
			clients[i] = newClient(t, srv.URL)
			f, err := clients[i].Prepare(ls[0], "#reset-form", map[string]string{
				"email": addr, "password": passwords[i], "confirm_password": passwords[i],
			})
			if err != nil {
				t.Fatal(err)
			}
			forms[i] = f
		}
		o := race(clients, forms)
		o.check(t, "reset")
		winner := -1
		wins := 0
		for i, p := range o.pages {
			if p != nil && p.Status == http.StatusSeeOther && p.Location() == "/account/reset-password-confirmation" {
				wins++
				winner = i
			}
		}
		refused := o.statuses.Get(http.StatusUnprocessableEntity) + o.statuses.Get(http.StatusTooManyRequests)
		t.Logf("REL-04 %d parallel uses of one reset token: %d success, %d refused (%s)", raceN, wins, refused, o)
		held["reset"] = fmt.Sprint(wins)
		if wins != 1 || refused != raceN-1 {
			t.Fatalf("%d successes and %d refusals, want 1 and %d", wins, refused, raceN-1)
		}
		// The winner's password is the account's; another's is not.
		wantRedirect(t, newClient(t, srv.URL).Login(t, addr, passwords[winner]), "/")
		if p := newClient(t, srv.URL).Login(t, addr, passwords[(winner+1)%raceN]); p.Status != http.StatusUnprocessableEntity {
			t.Errorf("a losing browser's password: %v, want 422", p)
		}
	})

	// One 2FA user for the TOTP and recovery-code races.
	const addr = "tfa@example.com"
	owner := newClient(t, srv.URL)
	wantRedirect(t, owner.Register(t, addr, testPassword), "/")
	enable := owner.MustGet(t, "/account/manage/enable-authenticator")
	if enable.Status != http.StatusOK {
		t.Fatalf("enable page: %v", enable)
	}
	key := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(enable.Doc().Find("#shared-key").Text()), " ", ""))
	if key == "" {
		t.Fatalf("no #shared-key on the enable page:\n%s", enable.Body)
	}
	p := owner.Submit(t, "/account/manage/enable-authenticator", "form#send-code", map[string]string{"code": totpCode(t, key, srv.Clock.Now())})
	wantRedirect(t, p, "/account/manage/show-recovery-codes")
	show := owner.MustGet(t, "/account/manage/show-recovery-codes")
	var codes []string
	show.Doc().Find(".recovery-code").Each(func(_ int, s *goquery.Selection) { codes = append(codes, strings.TrimSpace(s.Text())) })
	if len(codes) == 0 {
		t.Fatalf("no .recovery-code on the show page:\n%s", show.Body)
	}
	srv.Clock.Advance(30 * time.Second) // the enrolment step is spent

	// pending returns raceN browsers that gave the right password and wait
	// for the second factor, each with the form at path filled with fields.
	pending := func(t *testing.T, path, sel string, fields map[string]string) ([]*client, []*form) {
		t.Helper()
		clients, forms := make([]*client, raceN), make([]*form, raceN)
		for i := range raceN {
			clients[i] = newClient(t, srv.URL)
			wantRedirect(t, clients[i].Login(t, addr, testPassword), "/account/login-2fa")
			f, err := clients[i].Prepare(path, sel, fields)
			if err != nil {
				t.Fatal(err)
			}
			forms[i] = f
		}
		return clients, forms
	}
	signedIn := func(t *testing.T, clients []*client) int {
		n := 0
		for _, c := range clients {
			if c.SignedIn(t) {
				n++
			}
		}
		return n
	}

	t.Run("TOTP step", func(t *testing.T) {
		code := totpCode(t, key, srv.Clock.Now())
		clients, forms := pending(t, "/account/login-2fa", "#login-2fa-form", map[string]string{"code": code})
		o := race(clients, forms)
		o.check(t, "TOTP")
		n := signedIn(t, clients)
		t.Logf("REL-04 %d pending sign-ins send one TOTP code at once: %d signed in, %d refused (%s)", raceN, n, raceN-n, o)
		held["totp"] = fmt.Sprint(n)
		if n != 1 {
			t.Errorf("%d browsers signed in with one TOTP code, want exactly 1", n)
		}
	})

	// The 19 refused codes locked the account (MFA-03); wait it out.
	srv.Clock.Advance(portal.DefaultConfig().LockoutDuration + time.Minute)

	t.Run("recovery code", func(t *testing.T) {
		clients, forms := pending(t, "/account/login-recovery-code", "#login-recovery-form", map[string]string{"recovery_code": codes[0]})
		o := race(clients, forms)
		o.check(t, "recovery code")
		n := signedIn(t, clients)
		t.Logf("REL-04 %d pending sign-ins send one recovery code at once: %d signed in, %d refused (%s)", raceN, n, raceN-n, o)
		held["recovery"] = fmt.Sprint(n)
		if n != 1 {
			t.Errorf("%d browsers signed in with one recovery code, want exactly 1", n)
		}
	})
}
