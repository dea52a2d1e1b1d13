package tests

import (
	"net/http"
	"testing"

	"github.com/accountportal/portal/internal/portaltest"
)

func TestSmokeSignUpAndManage(t *testing.T) {
	srv := portaltest.NewServer(t)
	c := srv.SignedUp(t, "alice@example.com", "correct horse battery")
	p := c.Get("/account/manage")
	if got, want := p.Status, http.StatusOK; got != want {
		t.Fatalf("GET /account/manage status=%d, want %d", got, want)
	}
	if got, want := p.Text(t, "[data-testid=email]"), "alice@example.com"; len(got) < len(want) || got[:len(want)] != want {
		t.Fatalf("email=%q, want %q", got, want)
	}
}
