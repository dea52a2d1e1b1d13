package mail

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// DirSender writes one .eml file per message into a directory. File names
// start with the UTC time to the nanosecond, so a plain sort is the order of
// sending.
type DirSender struct {
	Dir  string
	From string
	Now  func() time.Time
}

// NewDirSender creates dir if needed.
func NewDirSender(dir, from string) (*DirSender, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("mail: outbox %s: %w", dir, err)
	}
	return &DirSender{Dir: dir, From: from, Now: time.Now}, nil
}

// Send writes m atomically (temp file, then rename), so a reader never sees
// half a message.
func (s *DirSender) Send(ctx context.Context, m Message) error {
	raw, err := Encode(s.From, m)
	if err != nil {
		return err
	}
	var suffix [4]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		return err
	}
	name := s.Now().UTC().Format("20060102T150405.000000000Z") + "-" + hex.EncodeToString(suffix[:]) + ".eml"
	tmp, err := os.CreateTemp(s.Dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("mail: outbox: %w", err)
	}
	if _, err := tmp.Write(raw); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("mail: outbox: %w", err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("mail: outbox: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(s.Dir, name)); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("mail: outbox: %w", err)
	}
	return nil
}
