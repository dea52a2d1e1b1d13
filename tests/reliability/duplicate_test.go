package reliability

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/internal/portaltest"
)

// dupResult is one registration's answer.
type dupResult struct {
	page *portaltest.Page
	err  error
}

// registerRace prepares n browsers (each from its own address, with its own
// CSRF token) on the register form with emails[i%len(emails)], then posts
// all forms at once.
func registerRace(t *testing.T, base string, n int, emails []string) []dupResult {
	t.Helper()
	forms := make([]*portaltest.Form, n)
	clients := make([]*portaltest.Client, n)
	for i := range n {
		clients[i] = newClient(t, base)
		f, err := clients[i].Prepare("/account/register", "#register-form", map[string]string{
			"email": emails[i%len(emails)], "password": testPassword, "confirm_password": testPassword,
		})
		if err != nil {
			t.Fatal(err)
		}
		forms[i] = f
	}
	results := make([]dupResult, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			p, err := clients[i].TryPost(forms[i].Action, forms[i].Values)
			results[i] = dupResult{p, err}
		}()
	}
	close(start)
	wg.Wait()
	return results
}

// TestDuplicateRegistration (REL-03, REG-01): 100 parallel registrations of
// one address give exactly one account and never a 5xx. With confirmation
// required every answer is the same 303 to the "check your email" page
// (the page does not tell who won); then 100 more split across 5 case and
// Unicode variants of the address still leave one account. Without
// confirmation exactly one is a 303 (signed in) and the others a 422.
func TestDuplicateRegistration(t *testing.T) {
	const n = 100
	summary := map[string]string{}
	defer func() {
		t.Logf("SUMMARY REL-03: tried %d parallel registrations of one address (confirmation on), %d across 5 case/Unicode variants, 20 across case variants composed after lower-casing, %d without confirmation; accounts: %s, %s, %s, %s (want 1 each)",
			n, n, n, summary["same"], summary["variants"], summary["composed"], summary["noconfirm"])
	}()
	t.Run("confirmation required", func(t *testing.T) {
		srv := newInProcess(t)
		const addr = "josé@example.com"
		results := registerRace(t, srv.URL, n, []string{addr})
		statuses := tallyRegistrations(t, results, func(p *portaltest.Page) bool {
			return p.Status == http.StatusSeeOther && p.Location() == "/account/register-confirmation"
		})
		accounts := countUsers(t, srv.DBPath, addr)
		t.Logf("REL-03 %d parallel registrations of %s: %s; %d account", n, addr, statuses, accounts)
		summary["same"] = fmt.Sprint(accounts)
		if accounts != 1 {
			t.Errorf("%d accounts for %s, want exactly 1", accounts, addr)
		}

		// 5 variants: case, NFD (e + combining acute) and both.
		variants := []string{
			"José@Example.com",
			"JOSÉ@EXAMPLE.COM",
			"jose\u0301@example.com",
			"JOSE\u0301@example.COM",
			"  josé@example.com  ",
		}
		results = registerRace(t, srv.URL, n, variants)
		statuses = tallyRegistrations(t, results, func(p *portaltest.Page) bool {
			return p.Status == http.StatusSeeOther && p.Location() == "/account/register-confirmation"
		})
		accounts = countUsers(t, srv.DBPath, addr)
		confirmations := len(portaltest.Links(srv.Mails(t), addr, "/account/confirm-email?"))
		t.Logf("REL-03 %d parallel registrations split across %d case/Unicode variants: %s; %d account; %d confirmation mail",
			n, len(variants), statuses, accounts, confirmations)
		summary["variants"] = fmt.Sprint(accounts)
		if accounts != 1 {
			t.Errorf("%d accounts for %s and its variants, want exactly 1", accounts, addr)
		}
		if confirmations != 1 {
			t.Errorf("%d confirmation mails to %s, want exactly 1 (the others get the already-registered notice)", confirmations, addr)
		}
	})

	// T + U+0308 has no precomposed form but t + U+0308 does (U+1E97):
	// addresses that differ only in case must still be one account.
	t.Run("case variants composed after lower-casing", func(t *testing.T) {
		srv := newInProcess(t)
		variants := []string{"T\u0308om@example.com", "t\u0308om@example.com", "\u1e97om@example.com", "\u1e97OM@EXAMPLE.COM"}
		results := registerRace(t, srv.URL, 20, variants)
		statuses := tallyRegistrations(t, results, func(p *portaltest.Page) bool {
			return p.Status == http.StatusSeeOther && p.Location() == "/account/register-confirmation"
		})
		accounts := countUsers(t, srv.DBPath, "")
		summary["composed"] = fmt.Sprint(accounts)
		t.Logf("REL-03/REG-02 20 parallel registrations across %+q: %s; %d accounts", variants, statuses, accounts)
		if accounts != 1 {
			t.Errorf("%d accounts for %+q, want exactly 1", accounts, variants)
		}
	})

	t.Run("confirmation not required", func(t *testing.T) {
		srv := newInProcess(t, func(c *portal.Config) { c.RequireConfirmedEmail = false })
		const addr = "dup@example.com"
		results := registerRace(t, srv.URL, n, []string{addr})
		var wins, taken int
		statuses := tallyRegistrations(t, results, func(p *portaltest.Page) bool {
			switch {
			case p.Status == http.StatusSeeOther && p.Location() == "/":
				wins++
				return true
			case p.Status == http.StatusUnprocessableEntity && p.Doc(t).Find("#register-form").Length() == 1:
				taken++
				return true
			}
			return false
		})
		accounts := countUsers(t, srv.DBPath, addr)
		summary["noconfirm"] = fmt.Sprint(accounts)
		t.Logf("REL-03 %d parallel registrations of %s without confirmation: %s; %d signed in, %d told the address is taken; %d account",
			n, addr, statuses, wins, taken, accounts)
		if accounts != 1 || wins != 1 || taken != n-1 {
			t.Errorf("accounts=%d, 303s=%d, 422s=%d; want 1, 1, %d", accounts, wins, taken, n-1)
		}
	})
}

// tallyRegistrations fails t for every transport error, 5xx, or answer ok
// rejects, and returns the status histogram.
func tallyRegistrations(t *testing.T, results []dupResult, ok func(*portaltest.Page) bool) string {
	t.Helper()
	var sc statusCounts
	bad := 0
	for i, r := range results {
		if r.err != nil {
			sc.Add(0)
			t.Errorf("registration %d: %v", i, r.err)
			continue
		}
		sc.Add(r.page.Status)
		if r.page.Status >= 500 || !ok(r.page) {
			bad++
			if bad <= 5 {
				t.Errorf("registration %d: %v, not an expected answer; body:\n%.1500s", i, r.page, r.page.Body)
			}
		}
	}
	if bad > 5 {
		t.Errorf("… %d unexpected answers in all", bad)
	}
	return fmt.Sprintf("%d answers (%s)", len(results), strings.TrimSpace(sc.String()))
}
