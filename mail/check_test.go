package mail

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSMTPCheck: Check greets the server with STARTTLS and AUTH as Send
// would, sends nothing, and names a wrong password or a dead server
// without showing the password.
func TestSMTPCheck(t *testing.T) {
	cert, pool := selfSignedCert(t)
	be := &backend{requireAuth: true}
	addr := startServer(t, be, cert, serverOpts{startTLS: true})
	if err := newTestSender(t, "smtp://"+testUser+":"+testPasswordURL+"@"+addr, 0, pool).Check(context.Background()); err != nil {
		t.Fatalf("Check with the right credentials: %v", err)
	}
	if got := be.received(); len(got) != 0 {
		t.Fatalf("Check sent %d messages", len(got))
	}
	err := newTestSender(t, "smtp://"+testUser+":wrong-pw-123@"+addr, 0, pool).Check(context.Background())
	if err == nil || strings.Contains(err.Error(), "wrong-pw-123") {
		t.Fatalf("Check with a wrong password: %v, want an error without the password", err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	ln.Close()
	if err := Check(context.Background(), "smtp://"+dead, "Portal <no-reply@example.com>"); err == nil || !strings.Contains(err.Error(), dead) {
		t.Fatalf("Check of a closed port: %v, want an error naming it", err)
	}
}

// TestDirCheck: a dir: outbox is created if missing and must be writable.
func TestDirCheck(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "outbox")
	if err := Check(context.Background(), "dir:"+dir, "Portal <no-reply@example.com>"); err != nil {
		t.Fatalf("Check dir: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("Check left %d files in the outbox", len(entries))
	}
	file := filepath.Join(t.TempDir(), "a-file")
	os.WriteFile(file, nil, 0o600)
	if err := Check(context.Background(), "dir:"+file, "Portal <no-reply@example.com>"); err == nil {
		t.Fatal("Check of a dir: that is a file passed")
	}
}
