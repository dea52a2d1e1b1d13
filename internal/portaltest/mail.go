package portaltest

import (
	"bytes"
	"context"
	"io"
	"mime"
	"mime/multipart"
	netmail "net/mail"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Mail is one message from the dir: outbox.
type Mail struct {
	To, Subject, Text, HTML string
	File                    string
}

// Mails delivers the mail queue and reads every message in the outbox
// directory, oldest first.
func (s *Server) Mails(t testing.TB) []Mail {
	t.Helper()
	if err := s.Portal.FlushMail(context.Background()); err != nil {
		t.Fatalf("FlushMail: %v", err)
	}
	return ReadOutbox(t, s.Outbox)
}

// MailsTo returns the messages to addr, oldest first.
func (s *Server) MailsTo(t testing.TB, addr string) []Mail {
	t.Helper()
	var out []Mail
	for _, m := range s.Mails(t) {
		if strings.EqualFold(m.To, addr) {
			out = append(out, m)
		}
	}
	return out
}

// MailsWith returns the messages to addr whose subject contains substr.
func (s *Server) MailsWith(t testing.TB, addr, substr string) []Mail {
	t.Helper()
	var out []Mail
	for _, m := range s.MailsTo(t, addr) {
		if strings.Contains(m.Subject, substr) {
			out = append(out, m)
		}
	}
	return out
}

// LastLink is the link containing linkSubstr in the newest mail to addr
// whose subject contains subject.
func (s *Server) LastLink(t testing.TB, addr, subject, linkSubstr string) string {
	t.Helper()
	ms := s.MailsWith(t, addr, subject)
	if len(ms) == 0 {
		t.Fatalf("no mail to %s with subject containing %q; all mails: %v", addr, subject, Subjects(s.Mails(t)))
	}
	return ms[len(ms)-1].Link(t, linkSubstr)
}

// Subjects lists "to: subject" of ms, for failure messages.
func Subjects(ms []Mail) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.To+": "+m.Subject)
	}
	return out
}

// ReadOutbox reads every message in the dir: outbox dir, oldest first
// (none when dir does not exist yet).
func ReadOutbox(t testing.TB, dir string) []Mail {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".eml") {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	var out []Mail
	for _, n := range names {
		out = append(out, ReadMail(t, filepath.Join(dir, n)))
	}
	return out
}

// ReadMail reads one message file of the outbox: its recipient, subject
// and text and HTML parts.
func ReadMail(t testing.TB, path string) Mail {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	m := Mail{File: path}
	if to, err := netmail.ParseAddress(msg.Header.Get("To")); err == nil {
		m.To = to.Address
	}
	dec := new(mime.WordDecoder)
	m.Subject, _ = dec.DecodeHeader(msg.Header.Get("Subject"))
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mt, "multipart/") {
		t.Fatalf("%s: want a multipart message, got %q", path, msg.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart() // decodes quoted-printable
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		b, _ := io.ReadAll(part)
		switch ct := part.Header.Get("Content-Type"); {
		case strings.HasPrefix(ct, "text/plain"):
			m.Text = string(b)
		case strings.HasPrefix(ct, "text/html"):
			m.HTML = string(b)
		}
	}
	return m
}

var linkRE = regexp.MustCompile(`https?://[^\s"<>]+`)

// Link returns the first link in the message's text that contains substr.
func (m Mail) Link(t testing.TB, substr string) string {
	t.Helper()
	for _, l := range linkRE.FindAllString(m.Text, -1) {
		if strings.Contains(l, substr) {
			return l
		}
	}
	t.Fatalf("no link with %q in mail %q:\n%s", substr, m.Subject, m.Text)
	return ""
}

// Links returns the links in messages to addr that contain substr,
// oldest first.
func Links(ms []Mail, addr, substr string) []string {
	var out []string
	for _, m := range ms {
		if !strings.EqualFold(m.To, addr) {
			continue
		}
		for _, l := range linkRE.FindAllString(m.Text, -1) {
			if strings.Contains(l, substr) {
				out = append(out, l)
			}
		}
	}
	return out
}
