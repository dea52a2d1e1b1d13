package tests

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/accountportal/portal/internal/portaltest"
)

// TestAppsCallsWriteOnlyTheTouch (issue 19 Performance, SES-02): the
// session check of every way in — GET /account/session, forward auth
// (any method) and the embedding API's RequireUser — writes nothing to
// the database per call; the only write is the once-a-minute last-seen
// touch of the session, once for all three. It counts the calls after
// which the database changed, through a connection of its own (SQLite's
// data_version changes with every commit of another connection).
func TestAppsCallsWriteOnlyTheTouch(t *testing.T) {
	t.Parallel()
	cfg, clock := portaltest.Config(t)
	srv := portaltest.StartHost(t, cfg, clock, emHost)
	c := srv.SignedUp(t, "writes@example.com", mgPassword)
	db := srv.GrayDB(t, true)
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	version := func() int64 {
		var v int64
		if err := conn.QueryRowContext(context.Background(), "PRAGMA data_version").Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	calls := []struct {
		method, path string
	}{
		{http.MethodGet, apSessionPath},
		{http.MethodGet, apForwardPath},
		{http.MethodPost, apForwardPath},
		{http.MethodGet, apForwardPath + "?require=2fa"},
		{http.MethodGet, "/api/me"},
		{http.MethodGet, "/echo/me"},
	}
	// writes makes n rounds of every call and counts the calls after
	// which the database had changed.
	writes := func(n int) int {
		t.Helper()
		w, last := 0, version()
		for range n {
			for _, cl := range calls {
				p := apDo(t, c, cl.method, cl.path, map[string]string{"Accept": "application/json"})
				if p.Status != http.StatusOK && p.Status != http.StatusForbidden {
					t.Fatalf("%s %s: %d %s", cl.method, cl.path, p.Status, p.Body)
				}
				if v := version(); v != last {
					w, last = w+1, v
				}
			}
		}
		return w
	}
	clock.Advance(10 * time.Second)
	if w := writes(10); w != 0 {
		t.Errorf("60 calls within the minute after signing in: %d wrote to the database, want none", w)
	}
	clock.Advance(61 * time.Second)
	if w := writes(10); w != 1 {
		t.Errorf("60 calls a minute later: %d wrote to the database, want 1 (the last-seen touch)", w)
	}
	if w := writes(10); w != 0 {
		t.Errorf("60 more calls within that minute: %d wrote, want none", w)
	}
}
