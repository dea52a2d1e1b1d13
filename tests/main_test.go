// Package tests holds Portal's end-to-end tests: the whole server, built by
// portal.New exactly as cmd/portal builds it, on a real SQLite file in a
// temporary directory (or a fresh PostgreSQL database), driven by a
// cookie-jar client that reads forms like a browser — all from the test kit
// internal/portaltest.
package tests

import (
	"os"
	"testing"

	"github.com/accountportal/portal/internal/portaltest"
)

// TestMain runs the flow tests on SQLite and then, when
// PORTAL_TEST_POSTGRES_URL is set, once more on PostgreSQL. The browser
// tests share one chromium, stopped here.
func TestMain(m *testing.M) {
	code := portaltest.RunOnBothBackends(m)
	stopChromium()
	os.Exit(code)
}
