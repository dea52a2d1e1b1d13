package reliability

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/accountportal/portal/internal/portaltest"
)

// TestKill9Durability (REL-01): registrations from concurrent clients while
// the binary is killed with SIGKILL at a random moment, then restarted on
// the same database; every registration that got its 303 is there
// afterwards, the database passes integrity_check and foreign_key_check,
// and the server is ready again within 5 s. 3 cycles by default, 20 with
// PORTAL_RELIABILITY_FULL=1.
func TestKill9Durability(t *testing.T) {
	cycles := scale(3, 20)
	workers := scale(4, 32)
	loadMin, loadMax := scale(time.Second, 5*time.Second), scale(3*time.Second, 30*time.Second)
	loginSample := scale(20, 200) // every acknowledged address is checked gray-box; this many also log in

	srv := newSubprocess(t, "--argon2-memory", "1024", "--argon2-iterations", "1")
	srv.Start()

	var (
		mu                       sync.Mutex
		acked                    = map[string]bool{} // every address that got a 303, all cycles
		totalAcked, totalPresent int
		lost                     []string
		statuses                 statusCounts
		maxReady                 time.Duration
		inFlightAtKill           int
		cutOff                   []string // addresses whose request the kill cut off
	)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 42))
	hc := loadClient(t, 30*time.Second)

	for cycle := 1; cycle <= cycles; cycle++ {
		form := fetchAnonForm(t, srv.URL, "/account/register", "#register-form")
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		var cycleAcked []string
		var cycleErrs int
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ctx.Err() == nil; i++ {
					email := fmt.Sprintf("c%02d-w%02d-%05d@example.com", cycle, w, i)
					res, err := form.post(ctx, hc, "/account/register", url.Values{
						"email": {email}, "password": {testPassword}, "confirm_password": {testPassword},
					})
					if err != nil {
						// The server died under this request: not acknowledged.
						mu.Lock()
						cycleErrs++
						cutOff = append(cutOff, email)
						mu.Unlock()
						statuses.Add(0)
						return
					}
					statuses.Add(res.Status)
					if res.Status == http.StatusSeeOther {
						mu.Lock()
						acked[email] = true
						cycleAcked = append(cycleAcked, email)
						mu.Unlock()
					}
				}
			}()
		}
		load := loadMin + time.Duration(rng.Int64N(int64(loadMax-loadMin)))
		time.Sleep(load)
		srv.Stop(syscall.SIGKILL)
		cancel()
		wg.Wait()
		inFlightAtKill += cycleErrs

		srv.Start()
		maxReady = max(maxReady, srv.ReadyIn)
		if srv.ReadyIn > 5*time.Second {
			t.Errorf("cycle %d: ready after %v, want < 5 s (REL-01)", cycle, srv.ReadyIn)
		}

		present := registeredEmails(t, srv.DBPath)
		cycleLost := 0
		for _, e := range cycleAcked {
			if !present[e] {
				cycleLost++
			}
		}
		checkIntegrity(t, srv.DBPath)

		sample := cycleAcked
		if len(sample) > loginSample {
			sample = make([]string, 0, loginSample)
			for _, i := range rng.Perm(len(cycleAcked))[:loginSample] {
				sample = append(sample, cycleAcked[i])
			}
		}
		loginFailed := 0
		for _, e := range sample {
			c := newClient(t, srv.URL)
			if p := c.Login(e, testPassword, false); p.Status != http.StatusSeeOther {
				loginFailed++
				t.Errorf("cycle %d: acknowledged %s cannot log in after kill -9: %v", cycle, e, p)
			}
		}

		t.Logf("cycle %d: %d workers for %v, SIGKILL with %d requests in flight; %d registrations acknowledged, %d present (%d lost), %d of %d sampled logins ok; ready again in %v; integrity ok",
			cycle, workers, load.Round(time.Millisecond), cycleErrs, len(cycleAcked), len(cycleAcked)-cycleLost, cycleLost,
			len(sample)-loginFailed, len(sample), srv.ReadyIn.Round(time.Millisecond))
	}
	srv.Stop(syscall.SIGTERM)

	// The final state holds every acknowledged address of every cycle.
	present := registeredEmails(t, srv.DBPath)
	checkIntegrity(t, srv.DBPath)
	for e := range acked {
		totalAcked++
		if present[e] {
			totalPresent++
		} else {
			lost = append(lost, e)
		}
	}
	sort.Strings(lost)
	cutOffCommitted := 0
	for _, e := range cutOff {
		if present[e] {
			cutOffCommitted++
		}
	}
	t.Logf("SUMMARY REL-01 kill -9: %d cycles, %d concurrent clients; %d registrations acknowledged, %d present, %d lost; responses %s; %d requests cut off by the kills (%d of them committed, never acknowledged); slowest restart %v; integrity_check ok, foreign_key_check empty",
		cycles, workers, totalAcked, totalPresent, len(lost), statuses.String(), inFlightAtKill, cutOffCommitted, maxReady.Round(time.Millisecond))
	if len(lost) > 0 {
		t.Errorf("%d acknowledged registrations lost after kill -9, e.g. %v", len(lost), lost[:min(len(lost), 10)])
	}
	if totalAcked == 0 {
		t.Errorf("no registration was acknowledged (responses %s): the load did not run", statuses.String())
	}
	if n := statuses.Get(http.StatusInternalServerError); n > 0 {
		t.Errorf("%d registrations answered 500", n)
	}
}

// registeredEmails reads every account's normalized address (gray box).
func registeredEmails(t testing.TB, path string) map[string]bool {
	t.Helper()
	db := portaltest.OpenSQLite(t, path, false)
	defer db.Close()
	rows, err := db.Query(`SELECT normalized_email FROM users`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			t.Fatal(err)
		}
		out[e] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkIntegrity runs PRAGMA integrity_check (want "ok") and
// foreign_key_check (want no rows).
func checkIntegrity(t testing.TB, path string) {
	t.Helper()
	db := portaltest.OpenSQLite(t, path, false)
	defer db.Close()
	var res string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&res); err != nil {
		t.Fatal(err)
	}
	if res != "ok" {
		t.Errorf("PRAGMA integrity_check = %q, want ok", res)
	}
	rows, err := db.Query(`PRAGMA foreign_key_check`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
	}
	if err := rows.Err(); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	if n > 0 {
		t.Errorf("PRAGMA foreign_key_check: %d violations, want none", n)
	}
}
