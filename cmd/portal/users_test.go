package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/identity"
)

// usersEnv points the CLI at a temp database with cheap hashing and mail
// to a directory.
func usersEnv(t *testing.T) (func(string) string, string, string) {
	t.Helper()
	dir := t.TempDir()
	db, outbox := filepath.Join(dir, "p.db"), filepath.Join(dir, "outbox")
	env := map[string]string{"PORTAL_DB": db, "PORTAL_MAIL": "dir:" + outbox, "PORTAL_ARGON2_MEMORY": "1024"}
	return func(k string) string { return env[k] }, db, outbox
}

func users(t *testing.T, getenv func(string) string, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := runUsers(context.Background(), args, getenv, strings.NewReader(stdin), &out, &errOut)
	return out.String() + errOut.String(), err
}

func mustUsers(t *testing.T, getenv func(string) string, stdin string, args ...string) string {
	t.Helper()
	out, err := users(t, getenv, stdin, args...)
	if err != nil {
		t.Fatalf("portal users %v: %v\n%s", args, err, out)
	}
	return out
}

// openPortal opens the same installation in-process to check effects.
func openPortal(t *testing.T, getenv func(string) string) *portal.Portal {
	t.Helper()
	cfg := portal.DefaultConfig()
	cfg.DB = getenv("PORTAL_DB")
	cfg.Mail = getenv("PORTAL_MAIL")
	cfg.Argon2Memory = 1024
	p, err := portal.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestUsersCLI(t *testing.T) {
	getenv, _, outbox := usersEnv(t)
	ctx := context.Background()
	c := identity.Client{IP: "192.0.2.1"}
	const pw = "correct horse battery"

	out := mustUsers(t, getenv, pw+"\n", "create", "--confirmed", "--password-stdin", "ann@example.com")
	if !strings.Contains(out, "created ann@example.com") {
		t.Fatalf("create printed %q", out)
	}
	mustUsers(t, getenv, "", "create", "bo@example.com")
	if _, err := users(t, getenv, "", "create", "ann@example.com"); err == nil {
		t.Fatal("creating a taken address succeeded")
	}
	if _, err := users(t, getenv, "short\n", "create", "--password-stdin", "weak@example.com"); err == nil {
		t.Fatal("a weak password was accepted")
	}
	list := mustUsers(t, getenv, "", "list")
	if !strings.Contains(list, "ann@example.com") || !strings.Contains(list, "bo@example.com") || strings.Count(list, "\n") != 3 {
		t.Fatalf("list:\n%s", list)
	}

	p := openPortal(t, getenv)
	id := p.Identity()
	if _, err := id.PasswordSignIn(ctx, c, "ann@example.com", pw); err != nil {
		t.Fatalf("the created account cannot sign in: %v", err)
	}
	ann, _ := id.FindUserByEmail(ctx, "ann@example.com")
	x, _ := id.StartSession(ctx, ann, c, identity.SessionOptions{})

	mustUsers(t, getenv, "", "lock", "ann@example.com")
	if _, err := id.PasswordSignIn(ctx, c, "ann@example.com", pw); err == nil {
		t.Fatal("a locked account signed in")
	}
	if _, _, err := id.SessionUser(ctx, x.ID, c); err == nil {
		t.Fatal("locking did not end the account's sessions")
	}
	mustUsers(t, getenv, "", "unlock", "ann@example.com")
	if _, err := id.PasswordSignIn(ctx, c, "ann@example.com", pw); err != nil {
		t.Fatalf("after unlock: %v", err)
	}

	bo, _ := id.FindUserByEmail(ctx, "bo@example.com")
	if bo.EmailConfirmed || bo.PasswordHash != "" {
		t.Fatalf("bo: %+v", bo)
	}
	mustUsers(t, getenv, "", "confirm-email", "bo@example.com")
	if bo, _ = id.FindUserByEmail(ctx, "bo@example.com"); !bo.EmailConfirmed {
		t.Fatal("confirm-email did not confirm")
	}

	// reset-2fa: turn 2FA on for ann, then off through the CLI.
	ann, _ = id.FindUserByEmail(ctx, "ann@example.com")
	a, err := id.AuthenticatorSetup(ctx, ann, "")
	if err != nil {
		t.Fatal(err)
	}
	ann, _ = id.FindUserByEmail(ctx, "ann@example.com")
	code, _ := totp.GenerateCodeCustom(a.Key, id.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if _, err := id.EnableAuthenticator(ctx, c, ann, "", a.Enrolment, code); err != nil {
		t.Fatal(err)
	}
	mustUsers(t, getenv, "", "reset-2fa", "ann@example.com")
	ann, _ = id.FindUserByEmail(ctx, "ann@example.com")
	if ann.TwoFactorEnabled || len(ann.AuthenticatorKey) != 0 {
		t.Fatalf("after reset-2fa: 2FA=%v key=%d bytes", ann.TwoFactorEnabled, len(ann.AuthenticatorKey))
	}
	if st, _ := id.TwoFactor(ctx, ann); st.RecoveryCodesLeft != 0 {
		t.Fatalf("recovery codes left after reset-2fa: %d", st.RecoveryCodesLeft)
	}

	// Each action is in the security history.
	events, _, _ := id.ListEvents(ctx, ann.ID, 1)
	var kinds []string
	for _, e := range events {
		if e.IP == identity.Operator.IP {
			kinds = append(kinds, e.Kind)
		}
	}
	for _, want := range []string{"register", "lockout", "unlocked", "2fa_disabled"} {
		found := false
		for _, k := range kinds {
			found = found || k == want
		}
		if !found {
			t.Errorf("no operator %q event in %v", want, kinds)
		}
	}

	// invite: a mail with a register link.
	mustUsers(t, getenv, "", "invite", "new@example.com")
	if _, err := users(t, getenv, "", "invite", "ann@example.com"); err == nil {
		t.Fatal("inviting an address with an account succeeded")
	}
	p.FlushMail(ctx)
	entries, _ := os.ReadDir(outbox)
	found := false
	for _, e := range entries {
		raw, _ := os.ReadFile(filepath.Join(outbox, e.Name()))
		found = found || (bytes.Contains(raw, []byte("new@example.com")) && bytes.Contains(raw, []byte("/account/register?")))
	}
	if !found {
		t.Fatal("no invitation mail in the outbox")
	}

	mustUsers(t, getenv, "", "delete", "bo@example.com")
	if _, err := id.FindUserByEmail(ctx, "bo@example.com"); identity.ErrorCode(err) != identity.ENOTFOUND {
		t.Fatalf("after delete: %v", err)
	}
	if _, err := users(t, getenv, "", "delete", "nobody@example.com"); err == nil || !strings.Contains(err.Error(), "No account") {
		t.Fatalf("deleting an unknown address: %v", err)
	}
	if _, err := users(t, getenv, "", "frobnicate", "x@example.com"); err == nil {
		t.Fatal("an unknown action succeeded")
	}
}
