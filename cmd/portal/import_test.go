package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// TestUsersImportCLI: `portal users import` prints the report, a dry run
// writes nothing, a bad row names its line and fails the command, and the
// good file imports.
func TestUsersImportCLI(t *testing.T) {
	getenv, _, outbox := usersEnv(t)
	dir := t.TempDir()
	bc, _ := bcrypt.GenerateFromPassword([]byte("old password 1"), bcrypt.MinCost)
	good := filepath.Join(dir, "users.csv")
	body := "\uFEFFId,Email,UserName,EmailConfirmed,PasswordHash\n" +
		"5b1c8e52-3a0f-4e59-9c7a-0d6a1f2e3b4c,ann@example.com,ann@example.com,1," + string(bc) + "\n" +
		"7,bob@example.com,bob,0,\n"
	if err := os.WriteFile(good, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte(body+"8,not an address,x,1,\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	out := mustUsers(t, getenv, "", "import", "--format", "aspnet-identity", "--dry-run", good)
	if !strings.Contains(out, "dry run: nothing was written") || !strings.Contains(out, "new:            2 (1 must confirm") {
		t.Fatalf("dry run printed:\n%s", out)
	}
	out, err := users(t, getenv, "", "import", "--format", "aspnet-identity", bad)
	if err == nil || !strings.Contains(out, bad+" line 4: the address") || !strings.Contains(out, "nothing was imported") {
		t.Fatalf("bad file: %v\n%s", err, out)
	}
	p := openPortal(t, getenv)
	if us, _ := p.Identity().ListUsers(context.Background(), 0, 10); len(us) != 0 {
		t.Fatalf("%d accounts after a dry run and a refused import", len(us))
	}
	p.Close()
	out = mustUsers(t, getenv, "", "import", "--format=aspnet-identity", good)
	if !strings.Contains(out, "imported from ASP.NET Core Identity: 2 accounts read") {
		t.Fatalf("import printed:\n%s", out)
	}
	out = mustUsers(t, getenv, "", "import", "--format", "aspnet-identity", "--skip-bad-rows", bad)
	if !strings.Contains(out, "already here:   2") || !strings.Contains(out, "bad rows:       1") {
		t.Fatalf("re-import with --skip-bad-rows printed:\n%s", out)
	}
	if _, err := users(t, getenv, "", "import", good); err == nil {
		t.Fatal("import without --format succeeded")
	}
	if entries, _ := os.ReadDir(outbox); len(entries) != 0 {
		t.Fatalf("the import wrote %d mails", len(entries))
	}
}
