package identity

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
)

var cheap = HashParams{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

func TestHashProductionParametersPHC(t *testing.T) {
	h := NewHasher(DefaultHashParams, 1, time.Second)
	enc, err := h.Hash(context.Background(), "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	// PWD-04: argon2id, OWASP/ASVS parameters, PHC string.
	if !regexp.MustCompile(`^\$argon2id\$v=19\$m=47104,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`).MatchString(enc) {
		t.Fatalf("hash %q is not a PHC argon2id string with m=47104,t=1,p=1", enc)
	}
	ok, rehash, err := h.Verify(context.Background(), "correct horse battery", enc)
	if err != nil || !ok || rehash {
		t.Fatalf("Verify(right)=%v,%v,%v; want true,false,nil", ok, rehash, err)
	}
}

func TestHashVerify(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(cheap, 2, time.Second)
	a, _ := h.Hash(ctx, "s3cret-pass")
	b, _ := h.Hash(ctx, "s3cret-pass")
	if a == b {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
	if ok, _, _ := h.Verify(ctx, "s3cret-pass", a); !ok {
		t.Fatal("right password refused")
	}
	for _, wrong := range []string{"s3cret-pas", "s3cret-pass ", "S3cret-pass", ""} {
		if ok, _, _ := h.Verify(ctx, wrong, a); ok {
			t.Fatalf("wrong password %q accepted", wrong)
		}
	}
	// PWD-01: no truncation — a 64-character password and its first 63.
	long := strings.Repeat("abcdefgh", 8)
	enc, _ := h.Hash(ctx, long)
	if ok, _, _ := h.Verify(ctx, long[:63], enc); ok {
		t.Fatal("a 63-character prefix of the password was accepted")
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=1024,t=1,p=1$c2FsdA$aGFzaA", "$argon2id$v=19$m=x$a$b", "$argon2id$v=18$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"} {
		ok, rehash, err := h.Verify(ctx, "s3cret-pass", bad)
		if ok || rehash || err != nil {
			t.Fatalf("Verify(%q)=%v,%v,%v; want false,false,nil", bad, ok, rehash, err)
		}
	}
}

func TestRehashWhenParametersChange(t *testing.T) {
	ctx := context.Background()
	old := NewHasher(cheap, 1, time.Second)
	enc, _ := old.Hash(ctx, "s3cret-pass")
	stronger := cheap
	stronger.Iterations = 2
	h := NewHasher(stronger, 1, time.Second)
	ok, rehash, err := h.Verify(ctx, "s3cret-pass", enc)
	if err != nil || !ok || !rehash {
		t.Fatalf("Verify with old parameters=%v,%v,%v; want true,true,nil", ok, rehash, err)
	}
	if _, rehash, _ := h.Verify(ctx, "wrong-pass", enc); rehash {
		t.Fatal("a wrong password must not ask for a rehash")
	}
}

func TestHasherBoundsConcurrency(t *testing.T) {
	h := NewHasher(cheap, 1, 20*time.Millisecond)
	h.slots <- struct{}{} // the only slot is taken
	_, err := h.Hash(context.Background(), "s3cret-pass")
	if !errors.Is(err, ErrBusy) || ErrorCode(err) != EUNAVAILABLE {
		t.Fatalf("Hash with no free slot err=%v, want ErrBusy (EUNAVAILABLE)", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := h.VerifyDummy(ctx, "x"); !errors.Is(err, ErrBusy) {
		t.Fatalf("VerifyDummy with a cancelled context err=%v, want ErrBusy", err)
	}
	<-h.slots
	if _, err := h.Hash(context.Background(), "s3cret-pass"); err != nil {
		t.Fatalf("Hash with a free slot: %v", err)
	}
}
