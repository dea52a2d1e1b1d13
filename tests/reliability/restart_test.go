package reliability

import (
	"database/sql"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/accountportal/portal/internal/portaltest"
)

// TestStateSurvivesRestart (REL-05): the binary is stopped and started
// again on the same database, once with SIGTERM (graceful) and once with
// SIGKILL. Afterwards a signed-in cookie still works, a lockout counted
// before the restart still applies (4 wrong passwords, restart, 1 more:
// locked; and still locked after the next restart), and reset and
// confirmation links mailed before the restart still work.
func TestStateSurvivesRestart(t *testing.T) {
	srv := newSubprocess(t, "--argon2-memory", "1024", "--argon2-iterations", "1")
	srv.Start()
	held := 0 // checks that held, for the summary

	// A signed-in browser.
	sess := newClient(t, srv.URL)
	portaltest.WantRedirectPrefix(t, sess.Register("session@example.com", testPassword), "/")
	if !sess.SignedIn() {
		t.Fatal("just registered, not signed in")
	}

	// An account with 4 wrong passwords from a browser that has signed in
	// to it before (so they count towards the account's lockout, AUTH-03).
	const lockedAddr = "locked@example.com"
	ipA := nextIP()
	portaltest.WantRedirectPrefix(t, newClient(t, srv.URL).Register(lockedAddr, testPassword), "/")
	ownerBrowser := newClientFrom(t, srv.URL, ipA)
	portaltest.WantRedirectPrefix(t, ownerBrowser.Login(lockedAddr, testPassword, false), "/")
	for i := range 4 {
		if p := sameBrowser(t, srv.URL, ipA, ownerBrowser).Login(lockedAddr, "wrong-password-"+string(rune('a'+i)), false); p.Status != http.StatusUnprocessableEntity {
			t.Fatalf("wrong password %d: %v, want 422", i+1, p)
		}
	}

	// Two reset links and a confirmation link, mailed before the restarts.
	resetLink := func(addr string) string {
		portaltest.WantRedirectPrefix(t, newClient(t, srv.URL).Register(addr, testPassword), "/")
		p := newClient(t, srv.URL).Submit("/account/forgot-password", "#forgot-form", map[string]string{"email": addr})
		portaltest.WantRedirectPrefix(t, p, "/account/forgot-password-confirmation")
		return waitForLink(t, srv.Outbox, addr, "/account/reset-password?code=")
	}
	reset1, reset2 := resetLink("reset1@example.com"), resetLink("reset2@example.com")
	portaltest.WantRedirectPrefix(t, newClient(t, srv.URL).Register("confirm@example.com", testPassword), "/")
	confirmLink := waitForLink(t, srv.Outbox, "confirm@example.com", "/account/confirm-email?")

	useReset := func(link, addr string) {
		t.Helper()
		const newPassword = "after-restart-Passw0rd"
		p := newClient(t, srv.URL).Submit(link, "#reset-form", map[string]string{
			"email": addr, "password": newPassword, "confirm_password": newPassword,
		})
		portaltest.WantRedirectPrefix(t, p, "/account/reset-password-confirmation")
		portaltest.WantRedirectPrefix(t, newClient(t, srv.URL).Login(addr, newPassword, false), "/")
		held++
	}
	wantLocked := func(when string) {
		t.Helper()
		if p := sameBrowser(t, srv.URL, ipA, ownerBrowser).Login(lockedAddr, testPassword, false); p.Status != http.StatusTooManyRequests {
			t.Fatalf("%s: the right password of the locked account: %v, want 429 (locked)", when, p)
		}
		end, count := lockoutRow(t, srv.DBPath, lockedAddr)
		if !end.Valid || !end.Time.After(time.Now()) {
			t.Fatalf("%s: lockout_end=%v (access_failed_count=%d), want a time in the future", when, end, count)
		}
		t.Logf("%s: the right password is refused; lockout_end in %v", when, time.Until(end.Time).Round(time.Second))
		held++
	}
	wantSession := func(c *portaltest.Client, when string) {
		t.Helper()
		if !c.SignedIn() {
			t.Fatalf("%s: the signed-in cookie no longer works", when)
		}
		held++
	}

	// 1. Graceful restart.
	srv.Stop(syscall.SIGTERM)
	srv.Start()
	wantSession(sess, "after SIGTERM restart")
	if p := sameBrowser(t, srv.URL, ipA, ownerBrowser).Login(lockedAddr, "wrong-password-e", false); p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("5th wrong password: %v, want 422", p)
	}
	wantLocked("after SIGTERM restart + 1 wrong password (5 in all)")
	useReset(reset1, "reset1@example.com")

	// A browser signs in just before the kill.
	late := newClient(t, srv.URL)
	portaltest.WantRedirectPrefix(t, late.Register("late@example.com", testPassword), "/")

	// 2. kill -9.
	srv.Stop(syscall.SIGKILL)
	srv.Start()
	wantSession(sess, "after SIGKILL restart")
	wantSession(late, "after SIGKILL restart (session made just before the kill)")
	wantLocked("after SIGKILL restart")
	useReset(reset2, "reset2@example.com")
	p := newClient(t, srv.URL).Submit(confirmLink, "#confirm-email-form", nil)
	portaltest.WantRedirectPrefix(t, p, "")
	if !emailConfirmed(t, srv.DBPath, "confirm@example.com") {
		t.Fatalf("confirmation link after restart: %v, but the address is not confirmed", p)
	}
	held++
	srv.Stop(syscall.SIGTERM)

	t.Logf("SUMMARY REL-05 restart (SIGTERM, then SIGKILL, same database): %d of 8 checks held — sessions 3/3 still signed in, lockout 2/2 (4 failures + restart + 1 → locked, still locked after kill -9), reset links 2/2 and confirmation link 1/1 mailed before a restart worked after it; ready in %v",
		held, srv.ReadyIn.Round(time.Millisecond))
}

// lockoutRow reads the lockout columns of an account (gray box).
func lockoutRow(t testing.TB, path, norm string) (sql.NullTime, int) {
	t.Helper()
	db := portaltest.OpenSQLite(t, path, false)
	defer db.Close()
	var end sql.NullTime
	var count int
	if err := db.QueryRow(`SELECT lockout_end, access_failed_count FROM users WHERE normalized_email = ?`, norm).Scan(&end, &count); err != nil {
		t.Fatal(err)
	}
	return end, count
}

// emailConfirmed reads users.email_confirmed (gray box).
func emailConfirmed(t testing.TB, path, norm string) bool {
	t.Helper()
	db := portaltest.OpenSQLite(t, path, false)
	defer db.Close()
	var ok bool
	if err := db.QueryRow(`SELECT email_confirmed FROM users WHERE normalized_email = ?`, norm).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}
