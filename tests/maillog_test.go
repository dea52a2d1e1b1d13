package tests

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/internal/portaltest"
)

// TestMailLogWithHTTPSBaseURL (issue 17 item 9; REG-03, RST-02, LOG-01):
// the default --mail log with an https base URL used to show working
// confirmation links on the page and put reset and confirmation links in
// the log. Now the start says loudly that mail is not sent, the page shows
// no development link, and the log carries no mail body. With an http
// base URL (development) the link is still offered.
func TestMailLogWithHTTPSBaseURL(t *testing.T) {
	t.Parallel()
	register := func(t *testing.T, baseURL string) (identity.RegisterResult, string) {
		cfg, clock := portaltest.Config(t)
		cfg.Mail = "log"
		cfg.BaseURL = baseURL
		logBuf := &portaltest.SyncBuffer{}
		cfg.Logger = slog.New(slog.NewTextHandler(logBuf, nil))
		srv := portaltest.Start(t, cfg, clock)
		ctx := context.Background()
		res, err := srv.Portal.Identity().Register(ctx, identity.Client{IP: "192.0.2.1"}, identity.RegisterInput{Email: "ann@example.com", Password: "correct horse battery"})
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.Portal.Identity().ForgotPassword(ctx, identity.Client{IP: "192.0.2.1"}, "ann@example.com"); err != nil {
			t.Fatal(err)
		}
		if err := srv.Portal.FlushMail(ctx); err != nil {
			t.Fatal(err)
		}
		return res, logBuf.String()
	}

	res, log := register(t, "https://portal.example")
	if res.DevLink != "" {
		t.Errorf("https base URL with --mail log: the page would show the link %q", res.DevLink)
	}
	if !strings.Contains(log, "MAIL IS NOT SENT") {
		t.Errorf("no loud warning at start; log:\n%s", log)
	}
	for _, leak := range []string{"/account/confirm-email?", "/account/reset-password?", "code="} {
		if strings.Contains(log, leak) {
			t.Errorf("the log carries %q with an https base URL:\n%s", leak, log)
		}
	}
	if !strings.Contains(log, "subject=") {
		t.Errorf("the withheld mails are not even named in the log:\n%s", log)
	}

	res, log = register(t, "http://localhost:8080")
	if !strings.Contains(res.DevLink, "/account/confirm-email?") || strings.Contains(log, "MAIL IS NOT SENT") {
		t.Errorf("development (http) lost its link %q or warns:\n%s", res.DevLink, log)
	}
}
