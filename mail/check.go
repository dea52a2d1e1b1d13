package mail

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"
)

// Check tries the delivery spec (--mail) without sending a message: an
// SMTP server is connected to and greeted, with TLS and AUTH as Send
// would use them; a dir: outbox must be a writable directory (created if
// missing, as the sender would); log needs nothing. The error names what
// failed, never the password.
func Check(ctx context.Context, spec, from string) error {
	if err := ValidateSpec(spec); err != nil {
		return err
	}
	switch {
	case strings.HasPrefix(spec, "dir:"):
		dir := strings.TrimPrefix(spec, "dir:")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("mail: outbox directory: %w", err)
		}
		f, err := os.CreateTemp(dir, ".portal-check-*")
		if err != nil {
			return fmt.Errorf("mail: outbox directory not writable: %w", err)
		}
		name := f.Name()
		f.Close()
		return os.Remove(name)
	case strings.HasPrefix(spec, "smtp://"), strings.HasPrefix(spec, "smtps://"):
		s, err := NewSMTPSender(spec, from, 10*time.Second)
		if err != nil {
			return err
		}
		return s.Check(ctx)
	}
	return nil
}
