package identity

import (
	"context"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/scrypt"
)

// The test vectors of ASP.NET Core's own PasswordHasherTest (password "my
// password"; salt 00 01 02 … for the ones HashPassword made).
const aspnetPassword = "my password"

var aspnetVectors = map[string]string{
	"V2 SHA1 1000":    "AAABAgMEBQYHCAkKCwwNDg+ukCEMDf0yyQ29NYubggHIVY0sdEUfdyeM+E1LtH1uJg==",
	"V3 SHA256 10000": "AQAAAAEAACcQAAAAEAABAgMEBQYHCAkKCwwNDg+yWU7rLgUwPZb1Itsmra7cbxw2EFpwpVFIEtP+JIuUEw==",
	"V3 SHA1 250":     "AQAAAAAAAAD6AAAAEAhftMyfTJylOlZT+eEotFXd1elee8ih5WsjXaR3PA9M",
	"V3 SHA512 50":    "AQAAAAIAAAAyAAAAEOMwvh3+FZxqkdMBz2ekgGhwQ4B6pZWND6zgESBuWiHw",
}

// aspnetV2 and aspnetV3 build Identity's formats from a salt, the way its
// PasswordHasher lays them out; checked against the vectors above.
func aspnetV2(password string, salt []byte) string {
	key, _ := pbkdf2.Key(sha1.New, password, salt, 1000, 32)
	return base64.StdEncoding.EncodeToString(append(append([]byte{0}, salt...), key...))
}

func aspnetV3(password string, prf uint32, iter int, salt []byte, keyLen int) string {
	h, known := map[uint32]func() hash.Hash{0: sha1.New, 1: sha256.New, 2: sha512.New}[prf]
	if !known {
		h = sha1.New // an unknown PRF marker over some subkey
	}
	key, _ := pbkdf2.Key(h, password, salt, iter, keyLen)
	b := []byte{1}
	b = binary.BigEndian.AppendUint32(b, prf)
	b = binary.BigEndian.AppendUint32(b, uint32(iter))
	b = binary.BigEndian.AppendUint32(b, uint32(len(salt)))
	return base64.StdEncoding.EncodeToString(append(append(b, salt...), key...))
}

func seqSalt(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

func TestAspNetBuildersMatchIdentity(t *testing.T) {
	if got, want := aspnetV2(aspnetPassword, seqSalt(16)), aspnetVectors["V2 SHA1 1000"]; got != want {
		t.Fatalf("V2 builder=%s, want ASP.NET's %s", got, want)
	}
	if got, want := aspnetV3(aspnetPassword, 1, 10000, seqSalt(16), 32), aspnetVectors["V3 SHA256 10000"]; got != want {
		t.Fatalf("V3 builder=%s, want ASP.NET's %s", got, want)
	}
}

func TestLegacyHashesVerifyAndAskForRehash(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(cheap, 2, time.Second)
	djangoKey, _ := pbkdf2.Key(sha256.New, "django pass", []byte("seasalt123"), 1000, 32)
	scryptKey, _ := scrypt.Key([]byte("scrypt pass"), []byte("saltsaltsalt"), 1<<10, 8, 1, 32)
	bc, _ := bcrypt.GenerateFromPassword([]byte("bcrypt pass"), bcrypt.MinCost)
	cases := []struct{ name, kind, password, hash string }{
		{"V3 SHA512 100000", HashAspNetV3, "another pass", aspnetV3("another pass", 2, 100000, seqSalt(16), 32)},
		{"django", HashDjangoPBKDF, "django pass", "pbkdf2_sha256$1000$seasalt123$" + base64.StdEncoding.EncodeToString(djangoKey)},
		{"scrypt", HashScrypt, "scrypt pass", "$scrypt$ln=10,r=8,p=1$" + base64.RawStdEncoding.EncodeToString([]byte("saltsaltsalt")) + "$" + base64.RawStdEncoding.EncodeToString(scryptKey)},
		{"bcrypt", HashBcrypt, "bcrypt pass", string(bc)},
	}
	for name, v := range aspnetVectors {
		kind := HashAspNetV3
		if strings.HasPrefix(name, "V2") {
			kind = HashAspNetV2
		}
		cases = append(cases, struct{ name, kind, password, hash string }{name, kind, aspnetPassword, v})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got, err := LegacyHashKind(c.hash); err != nil || got != c.kind {
				t.Fatalf("LegacyHashKind=%q,%v, want %q", got, err, c.kind)
			}
			ok, rehash, err := h.Verify(ctx, c.password, c.hash)
			if err != nil || !ok || !rehash {
				t.Fatalf("Verify(right)=%v,%v,%v; want true,true,nil", ok, rehash, err)
			}
			for _, wrong := range []string{c.password + "x", strings.ToUpper(c.password), ""} {
				if ok, rehash, err := h.Verify(ctx, wrong, c.hash); ok || rehash || err != nil {
					t.Fatalf("Verify(%q)=%v,%v,%v; want false,false,nil", wrong, ok, rehash, err)
				}
			}
		})
	}
}

// A hash whose stored bytes were altered, or a format Portal does not
// know, never verifies and is refused at import.
func TestLegacyHashRefusals(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(cheap, 2, time.Second)
	v2 := []byte(aspnetVectors["V2 SHA1 1000"])
	tampered := aspnetV2(aspnetPassword, seqSalt(16))
	tampered = tampered[:30] + map[bool]string{true: "B", false: "A"}[tampered[30] == 'A'] + tampered[31:]
	for _, bad := range []string{
		"", "plain", "md5$abc$def", "sha1$salt$0123456789abcdef",
		"$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"AgAAAA==", // format marker 2
		string(v2[:20]),
		aspnetV3(aspnetPassword, 7, 100, seqSalt(16), 32), // unknown PRF
		aspnetV3(aspnetPassword, 1, 100, seqSalt(8), 32),  // salt too short
		"pbkdf2_sha256$0$salt$" + base64.StdEncoding.EncodeToString(make([]byte, 32)),
		"pbkdf2_sha256$99999999999$salt$" + base64.StdEncoding.EncodeToString(make([]byte, 32)),
		"$scrypt$ln=40,r=8,p=1$c2FsdA$" + base64.RawStdEncoding.EncodeToString(make([]byte, 32)),
		"$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
	} {
		if k, err := LegacyHashKind(bad); err == nil {
			t.Errorf("LegacyHashKind(%q)=%q, want an error", bad, k)
		}
	}
	if ok, _, _ := h.Verify(ctx, aspnetPassword, tampered); ok {
		t.Fatal("a hash with an altered byte verified")
	}
}

// AUTH-02: a wrong password against an imported hash costs an argon2id
// verification too, so it is not quicker than against an unknown account.
func TestLegacyWrongPasswordSpendsArgon(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(HashParams{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}, 1, 10*time.Second)
	v3 := aspnetV3("pw", 0, 1, seqSalt(16), 32) // one PBKDF2 iteration: free
	h.VerifyDummy(ctx, "warm-up")
	// Counted, not timed: a wrong password against an imported hash costs
	// one argon2id derivation at Portal's parameters, as an unknown
	// account does (AUTH-02); the right one costs none here (the rehash
	// is the caller's).
	before := h.derived.Load()
	if ok, _, err := h.Verify(ctx, "wrong", v3); ok || err != nil {
		t.Fatalf("wrong password: ok=%v err=%v", ok, err)
	}
	if n := h.derived.Load() - before; n != 1 {
		t.Fatalf("a wrong password against an imported hash ran %d argon2id derivations, want 1 (as an unknown account)", n)
	}
	before = h.derived.Load()
	h.VerifyDummy(ctx, "wrong")
	if n := h.derived.Load() - before; n != 1 {
		t.Fatalf("an unknown account ran %d derivations, want 1", n)
	}
}

func ExampleLegacyHashKind() {
	k, _ := LegacyHashKind("AAABAgMEBQYHCAkKCwwNDg+ukCEMDf0yyQ29NYubggHIVY0sdEUfdyeM+E1LtH1uJg==")
	fmt.Println(k)
	// Output: aspnet-identity-v2
}
