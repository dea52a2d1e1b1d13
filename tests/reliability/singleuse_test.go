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

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/internal/portaltest"
)

// raceN is how many browsers redeem one secret at once (REL-04).
const raceN = 20

// raceOutcome is what the browsers of one race got.
type raceOutcome struct {
	statuses statusCounts
	pages    []*portaltest.Page
	errs     []error
}

// race posts forms[i] from clients[i], all at once.
func race(clients []*portaltest.Client, forms []*portaltest.Form) *raceOutcome {
	out := &raceOutcome{pages: make([]*portaltest.Page, len(clients)), errs: make([]error, len(clients))}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			p, err := clients[i].TryPost(forms[i].Action, forms[i].Values)
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
		portaltest.WantRedirectPrefix(t, newClient(t, srv.URL).Register(addr, testPassword), "/")
		p := newClient(t, srv.URL).Submit("/account/forgot-password", "#forgot-form", map[string]string{"email": addr})
		portaltest.WantRedirectPrefix(t, p, "/account/forgot-password-confirmation")
		ls := portaltest.Links(srv.Mails(t), addr, "/account/reset-password?code=")
		if len(ls) != 1 {
			t.Fatalf("%d reset links mailed to %s, want 1", len(ls), addr)
		}
		clients, forms := make([]*portaltest.Client, raceN), make([]*portaltest.Form, raceN)
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
		portaltest.WantRedirectPrefix(t, newClient(t, srv.URL).Login(addr, passwords[winner], false), "/")
		if p := newClient(t, srv.URL).Login(addr, passwords[(winner+1)%raceN], false); p.Status != http.StatusUnprocessableEntity {
			t.Errorf("a losing browser's password: %v, want 422", p)
		}
	})

	// One 2FA user for the TOTP and recovery-code races.
	const addr = "tfa@example.com"
	owner := newClient(t, srv.URL)
	portaltest.WantRedirectPrefix(t, owner.Register(addr, testPassword), "/")
	enable := owner.Get("/account/manage/enable-authenticator")
	if enable.Status != http.StatusOK {
		t.Fatalf("enable page: %v", enable)
	}
	key := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(enable.Doc(t).Find("#shared-key").Text()), " ", ""))
	if key == "" {
		t.Fatalf("no #shared-key on the enable page:\n%s", enable.Body)
	}
	p := owner.Submit("/account/manage/enable-authenticator", "form#send-code", map[string]string{"code": portaltest.TOTP(t, key, srv.Clock.Now())})
	portaltest.WantRedirectPrefix(t, p, "/account/manage/show-recovery-codes")
	show := owner.Get("/account/manage/show-recovery-codes")
	var codes []string
	show.Doc(t).Find(".recovery-code").Each(func(_ int, s *goquery.Selection) { codes = append(codes, strings.TrimSpace(s.Text())) })
	if len(codes) == 0 {
		t.Fatalf("no .recovery-code on the show page:\n%s", show.Body)
	}
	srv.Clock.Advance(30 * time.Second) // the enrolment step is spent

	// pending returns raceN browsers that gave the right password and wait
	// for the second factor, each with the form at path filled with fields.
	pending := func(t *testing.T, path, sel string, fields map[string]string) ([]*portaltest.Client, []*portaltest.Form) {
		t.Helper()
		clients, forms := make([]*portaltest.Client, raceN), make([]*portaltest.Form, raceN)
		for i := range raceN {
			clients[i] = newClient(t, srv.URL)
			portaltest.WantRedirectPrefix(t, clients[i].Login(addr, testPassword, false), "/account/login-2fa")
			f, err := clients[i].Prepare(path, sel, fields)
			if err != nil {
				t.Fatal(err)
			}
			forms[i] = f
		}
		return clients, forms
	}
	signedIn := func(t *testing.T, clients []*portaltest.Client) int {
		n := 0
		for _, c := range clients {
			if c.SignedIn() {
				n++
			}
		}
		return n
	}

	t.Run("TOTP step", func(t *testing.T) {
		code := portaltest.TOTP(t, key, srv.Clock.Now())
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
