package main

import (
	"bytes"
	"context"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// plainSMTP is an in-process SMTP server (go-smtp, as the mail tests use)
// that accepts every session; it counts the messages it was given.
type plainSMTP struct{ messages int }

func (b *plainSMTP) NewSession(*smtp.Conn) (smtp.Session, error) { return &plainSession{b}, nil }

type plainSession struct{ b *plainSMTP }

func (s *plainSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *plainSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *plainSession) Data(r io.Reader) error               { s.b.messages++; _, err := io.ReadAll(r); return err }
func (s *plainSession) Reset()                               {}
func (s *plainSession) Logout() error                        { return nil }

func startSMTP(t *testing.T) (string, *plainSMTP) {
	t.Helper()
	be := &plainSMTP{}
	srv := smtp.NewServer(be)
	srv.Domain, srv.ReadTimeout, srv.WriteTimeout = "localhost", 5*time.Second, 5*time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String(), be
}

// TestCheck: portal check prints one line per check; a good configuration
// passes (and no mail is sent), a broken one fails naming each broken
// part — wrong database URL, unreachable SMTP server, bad theme — and
// serve --check does the same.
func TestCheck(t *testing.T) {
	dir := t.TempDir()
	smtpAddr, be := startSMTP(t)
	good := []string{"--db", filepath.Join(dir, "portal.db"), "--mail", "smtp://" + smtpAddr}
	var out bytes.Buffer
	if err := run(context.Background(), append([]string{"check"}, good...), noEnv, &out, &out); err != nil {
		t.Fatalf("check of a good configuration: %v\n%s", err, out.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d lines, want one per check (5):\n%s", len(lines), out.String())
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "ok ") {
			t.Errorf("good configuration: %q", l)
		}
	}
	if be.messages != 0 {
		t.Errorf("check sent %d mails", be.messages)
	}

	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	ln.Close()
	theme := filepath.Join(dir, "theme")
	os.MkdirAll(filepath.Join(theme, "pages"), 0o755)
	os.WriteFile(filepath.Join(theme, "pages", "no-such-page.html"), []byte("<p>x</p>"), 0o644)
	broken := []string{"--db", "postgres://portal@" + dead + "/portal?sslmode=disable", "--mail", "smtp://user:pw-not-shown@" + dead, "--theme", theme}
	for _, args := range [][]string{append([]string{"check"}, broken...), append([]string{"serve", "--check"}, broken...)} {
		out.Reset()
		err := run(context.Background(), args, noEnv, &out, &out)
		if err == nil || !strings.Contains(err.Error(), "3 of 5") {
			t.Errorf("%v: %v, want 3 of 5 checks failed\n%s", args[:2], err, out.String())
		}
		for _, name := range []string{"database", "mail", "theme"} {
			if !strings.Contains(out.String(), "FAIL  "+name) {
				t.Errorf("%v: no failed %s line:\n%s", args[:2], name, out.String())
			}
		}
		for _, name := range []string{"configuration", "sessions"} {
			if !strings.Contains(out.String(), "ok    "+name) {
				t.Errorf("%v: %s should pass:\n%s", args[:2], name, out.String())
			}
		}
		if strings.Contains(out.String(), "pw-not-shown") {
			t.Errorf("the output shows the SMTP password:\n%s", out.String())
		}
	}

	out.Reset()
	if err := run(context.Background(), []string{"check", "--registration", "maybe"}, noEnv, &out, &out); err == nil || !strings.Contains(out.String(), "FAIL  configuration") {
		t.Errorf("an invalid setting: %v\n%s", err, out.String())
	}
}

// TestSubcommandHelpListsItsFlags: -h of a sub-command shows the flags it
// uses and not the server's.
func TestSubcommandHelpListsItsFlags(t *testing.T) {
	for _, tt := range []struct {
		args      []string
		want, not []string
	}{
		{[]string{"users", "list", "-h"}, []string{"-db", "-limit", "-offset"}, []string{"-argon2-memory", "-addr", "-mail", "-rate-limits", "-password-stdin"}},
		{[]string{"users", "create", "-h"}, []string{"-db", "-password-stdin", "-argon2-memory", "-mail"}, []string{"-addr", "-limit", "-rate-limits"}},
		{[]string{"users", "lock", "-h"}, []string{"-db", "-for"}, []string{"-argon2-memory", "-addr"}},
		{[]string{"migrate", "-h"}, []string{"-db", "-log-level"}, []string{"-argon2-memory", "-addr", "-mail"}},
		{[]string{"serve", "-h"}, []string{"-addr", "-argon2-memory", "-metrics-addr", "-check"}, nil},
	} {
		var out bytes.Buffer
		run(context.Background(), tt.args, noEnv, &out, &out)
		lists := func(name string) bool {
			return regexp.MustCompile(`(?m)^  ` + name + `( |$)`).MatchString(out.String())
		}
		for _, w := range tt.want {
			if !lists(w) {
				t.Errorf("%v: no %s in\n%s", tt.args, w, out.String())
			}
		}
		for _, n := range tt.not {
			if lists(n) {
				t.Errorf("%v lists %s", tt.args, n)
			}
		}
	}
}
