// Package mail builds and sends Portal's messages. Senders: "log" (the
// default: each message is written to the log), "dir:PATH" (one RFC 5322
// .eml file per message, for tests and development), and SMTP
// ("smtp://user:pass@host:port" with STARTTLS when offered, "smtps://…"
// with implicit TLS).
//
// Messages are MIME-built by github.com/wneessen/go-mail (multipart
// text + HTML), which also speaks SMTP.
package mail

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"strings"
	"time"
)

// Message is one mail to one recipient, with a plain-text and an HTML body.
type Message struct {
	To      string
	Subject string
	Text    string
	HTML    string
}

// Sender delivers messages.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// ValidateSpec checks a --mail value without side effects.
func ValidateSpec(spec string) error {
	switch {
	case spec == "log":
		return nil
	case strings.HasPrefix(spec, "dir:"):
		if strings.TrimPrefix(spec, "dir:") == "" {
			return fmt.Errorf("mail %q: dir: needs a path, e.g. dir:./outbox", spec)
		}
		return nil
	case strings.HasPrefix(spec, "smtp://"), strings.HasPrefix(spec, "smtps://"):
		_, err := parseSMTPURL(spec)
		return err
	default:
		return fmt.Errorf("mail %q: want log, dir:PATH, smtp://… or smtps://…", redact(spec))
	}
}

// ValidateFrom checks the sender address.
func ValidateFrom(from string) error {
	if _, err := netmail.ParseAddress(from); err != nil {
		return fmt.Errorf("mail-from %q: %v", from, err)
	}
	return nil
}

// redact hides a password in a URL-shaped mail spec.
func redact(spec string) string {
	if i := strings.Index(spec, "://"); i >= 0 {
		rest := spec[i+3:]
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			return spec[:i+3] + "…@" + rest[at+1:]
		}
	}
	return spec
}

// New returns the sender for spec (see ValidateSpec).
func New(spec, from string, log *slog.Logger) (Sender, error) {
	if err := ValidateSpec(spec); err != nil {
		return nil, err
	}
	if err := ValidateFrom(from); err != nil {
		return nil, err
	}
	switch {
	case strings.HasPrefix(spec, "dir:"):
		return NewDirSender(strings.TrimPrefix(spec, "dir:"), from)
	case strings.HasPrefix(spec, "smtp://"), strings.HasPrefix(spec, "smtps://"):
		return NewSMTPSender(spec, from, 10*time.Second)
	default:
		return &LogSender{Log: log}, nil
	}
}

// Encode renders m as an RFC 5322 message (multipart/alternative).
func Encode(from string, m Message) ([]byte, error) {
	msg, err := buildMsg(from, m)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := msg.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("mail: encode: %w", err)
	}
	return buf.Bytes(), nil
}

// LogSender writes each message's recipient, subject and text body to the
// log: the zero-configuration default, so that a developer can follow the
// links without a mail server.
type LogSender struct {
	Log *slog.Logger
	// WithholdBody logs only the recipient and subject: for a server that
	// looks public (an https base URL), where the links and codes in a
	// body would let whoever reads the log into other people's accounts.
	WithholdBody bool
}

// Send logs m.
func (s *LogSender) Send(ctx context.Context, m Message) error {
	if s.WithholdBody {
		s.Log.WarnContext(ctx, "mail (not sent: --mail=log; body withheld, the base URL is https)", "to", m.To, "subject", m.Subject)
		return nil
	}
	s.Log.InfoContext(ctx, "mail (not sent: --mail=log)", "to", m.To, "subject", m.Subject, "text", m.Text)
	return nil
}
