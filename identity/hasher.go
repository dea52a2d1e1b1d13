package identity

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"
)

// HashParams are argon2id's parameters. The defaults are OWASP's and ASVS
// 5's (m=46 MiB, t=1, p=1; SECURITY.md §3.1).
type HashParams struct {
	Memory      uint32 // KiB
	Iterations  uint32
	Parallelism uint8
	SaltLength  uint32
	KeyLength   uint32
}

// DefaultHashParams are the production parameters.
var DefaultHashParams = HashParams{Memory: 47104, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// Validate checks the parameters are at least usable.
func (p HashParams) Validate() error {
	switch {
	case p.Memory < 8*uint32(max(p.Parallelism, 1)):
		return fmt.Errorf("argon2 memory %d KiB is below argon2's minimum of 8 KiB per lane", p.Memory)
	case p.Iterations < 1:
		return errors.New("argon2 iterations must be at least 1")
	case p.Parallelism < 1:
		return errors.New("argon2 parallelism must be at least 1")
	case p.SaltLength < 8 || p.KeyLength < 16:
		return errors.New("argon2 salt must be at least 8 bytes and the key at least 16")
	}
	return nil
}

// Hasher hashes and verifies passwords with argon2id in the PHC string
// format ($argon2id$v=19$m=…,t=…,p=…$salt$hash). At most Concurrency hashes
// run at once; a flood of logins waits in line for at most Wait and then
// gets EUNAVAILABLE, instead of allocating Memory KiB per request until the
// process dies (REL-12).
type Hasher struct {
	params HashParams
	slots  chan struct{}
	wait   time.Duration

	dummyOnce sync.Once
	dummy     string
}

// NewHasher returns a hasher. concurrency < 1 means 1.
func NewHasher(p HashParams, concurrency int, wait time.Duration) *Hasher {
	return &Hasher{params: p, slots: make(chan struct{}, max(concurrency, 1)), wait: wait}
}

// WithParams returns a hasher with other parameters that shares h's slots,
// so that the concurrency cap holds across both.
func (h *Hasher) WithParams(p HashParams) *Hasher {
	return &Hasher{params: p, slots: h.slots, wait: h.wait}
}

// ErrBusy is returned when no hashing slot frees up in time.
var ErrBusy = &Error{Code: EUNAVAILABLE, Message: "The server is busy right now. Please try again in a moment."}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTimer(h.wait)
	defer t.Stop()
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-t.C:
		return ErrBusy
	case <-ctx.Done():
		return ErrBusy
	}
}

func (h *Hasher) release() { <-h.slots }

// Hash returns the PHC string of password with fresh salt and the current
// parameters.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, h.params.SaltLength)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	return encodePHC(h.params, salt, h.key(h.params, password, salt)), nil
}

func (h *Hasher) key(p HashParams, password string, salt []byte) []byte {
	return argon2.IDKey([]byte(password), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLength)
}

// Verify reports whether password matches encoded, and whether encoded was
// made with other parameters than the current ones (so the caller rehashes
// it, SECURITY.md PWD-04). An empty or malformed encoded hash never matches,
// but costs the same work as a real one, so timing does not tell.
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (ok, rehash bool, err error) {
	p, salt, want, perr := decodePHC(encoded)
	if perr != nil {
		return false, false, h.VerifyDummy(ctx, password)
	}
	if err := h.acquire(ctx); err != nil {
		return false, false, err
	}
	defer h.release()
	got := h.key(p, password, salt)
	ok = subtle.ConstantTimeCompare(got, want) == 1
	return ok, ok && p != h.params, nil
}

// VerifyDummy spends the work of one verification against a fixed hash, for
// an unknown user, so that "no such account" takes as long as "wrong
// password" (AUTH-02).
func (h *Hasher) VerifyDummy(ctx context.Context, password string) error {
	h.dummyOnce.Do(func() {
		salt := make([]byte, h.params.SaltLength)
		h.dummy = encodePHC(h.params, salt, h.key(h.params, "portal-dummy-password", salt))
	})
	_, salt, _, _ := decodePHC(h.dummy)
	if err := h.acquire(ctx); err != nil {
		return err
	}
	defer h.release()
	h.key(h.params, password, salt)
	return nil
}

func encodePHC(p HashParams, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Iterations, p.Parallelism, b64.EncodeToString(salt), b64.EncodeToString(key))
}

var errBadHash = errors.New("identity: not an argon2id PHC string")

func decodePHC(s string) (p HashParams, salt, key []byte, err error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, errBadHash
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Iterations, &p.Parallelism); err != nil {
		return p, nil, nil, errBadHash
	}
	b64 := base64.RawStdEncoding
	if salt, err = b64.DecodeString(parts[4]); err != nil {
		return p, nil, nil, errBadHash
	}
	if key, err = b64.DecodeString(parts[5]); err != nil {
		return p, nil, nil, errBadHash
	}
	p.SaltLength, p.KeyLength = uint32(len(salt)), uint32(len(key))
	if p.Validate() != nil {
		return p, nil, nil, errBadHash
	}
	return p, salt, key, nil
}
