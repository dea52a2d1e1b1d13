package identity

import (
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash"
	"strconv"
	"strings"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/scrypt"
)

// Password hashes of other systems (issue 23). Portal verifies them — never
// makes them — so that people moved in with `portal users import` keep
// their passwords; the first successful sign-in replaces the hash with
// argon2id (Hasher.Verify reports rehash). Every comparison is constant
// time (crypto/subtle, or bcrypt's own). PBKDF2 is the standard library's
// crypto/pbkdf2, bcrypt and scrypt are golang.org/x/crypto's: nothing here
// is hand-written cryptography, only the parsing of each system's format.

// Hash kinds, as LegacyHashKind names them.
const (
	HashArgon2id    = "argon2id"
	HashAspNetV2    = "aspnet-identity-v2"
	HashAspNetV3    = "aspnet-identity-v3"
	HashBcrypt      = "bcrypt"
	HashScrypt      = "scrypt"
	HashDjangoPBKDF = "django-pbkdf2"
)

// Limits on the work a stored hash may ask for: a hash is data from an
// import file, and one sign-in must not cost minutes.
const (
	maxPBKDF2Iterations = 10_000_000
	maxScryptLogN       = 20 // N = 2^20: 1 GiB at r=8
	maxScryptRP         = 1 << 20
)

var errUnknownHash = errors.New("identity: unknown password hash format")

// legacyHash is a parsed hash of another system.
type legacyHash struct {
	kind   string
	verify func(password string) bool
}

// maxImportedArgonMemory caps the memory (KiB) an imported argon2id hash
// may ask for: 256 MiB, over five times OWASP's highest recommendation.
const maxImportedArgonMemory = 256 * 1024

// LegacyHashKind names the format of a password hash Portal can verify —
// its own argon2id or one of the formats above — or returns an error for
// one it cannot (the import refuses such a row, naming its line).
func LegacyHashKind(encoded string) (string, error) {
	if p, _, _, err := decodePHC(encoded); err == nil {
		if p.Memory > maxImportedArgonMemory || p.Iterations > 64 || p.Parallelism > 64 {
			return "", errors.New("identity: argon2id parameters too costly to verify at sign-in")
		}
		return HashArgon2id, nil
	}
	lh, err := parseLegacyHash(encoded)
	if err != nil {
		return "", err
	}
	return lh.kind, nil
}

// parseLegacyHash recognises a hash of another system.
func parseLegacyHash(s string) (*legacyHash, error) {
	switch {
	case strings.HasPrefix(s, "$2a$"), strings.HasPrefix(s, "$2b$"), strings.HasPrefix(s, "$2y$"):
		return parseBcrypt(s)
	case strings.HasPrefix(s, "$scrypt$"):
		return parseScryptPHC(s)
	case strings.HasPrefix(s, "pbkdf2_sha256$"), strings.HasPrefix(s, "pbkdf2_sha1$"):
		return parseDjangoPBKDF2(s)
	}
	return parseAspNetIdentity(s)
}

// normalizeImportedHash returns the form of an imported hash Portal
// stores: Django's "argon2$argon2id$…" becomes the PHC string it wraps;
// everything else is kept as it came.
func normalizeImportedHash(s string) string {
	if rest, ok := strings.CutPrefix(s, "argon2"); ok && strings.HasPrefix(rest, "$argon2id$") {
		return rest
	}
	return s
}

func parseBcrypt(s string) (*legacyHash, error) {
	if _, err := bcrypt.Cost([]byte(s)); err != nil {
		return nil, errUnknownHash
	}
	enc := []byte(s)
	return &legacyHash{kind: HashBcrypt, verify: func(password string) bool {
		// bcrypt reads at most 72 bytes, as the hashing system did.
		return bcrypt.CompareHashAndPassword(enc, []byte(password)) == nil
	}}, nil
}

// parseScryptPHC reads $scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<hash> with
// unpadded standard base64 (the PHC form passlib and others write).
func parseScryptPHC(s string) (*legacyHash, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 5 || parts[0] != "" {
		return nil, errUnknownHash
	}
	var ln, r, p int
	for _, kv := range strings.Split(parts[2], ",") {
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, errUnknownHash
		}
		switch k {
		case "ln":
			ln = n
		case "r":
			r = n
		case "p":
			p = n
		default:
			return nil, errUnknownHash
		}
	}
	if ln < 1 || ln > maxScryptLogN || r < 1 || p < 1 || r*p > maxScryptRP {
		return nil, errUnknownHash
	}
	salt, err1 := decodeB64Loose(parts[3])
	want, err2 := decodeB64Loose(parts[4])
	if err1 != nil || err2 != nil || len(want) < 16 {
		return nil, errUnknownHash
	}
	return &legacyHash{kind: HashScrypt, verify: func(password string) bool {
		got, err := scrypt.Key([]byte(password), salt, 1<<ln, r, p, len(want))
		return err == nil && subtle.ConstantTimeCompare(got, want) == 1
	}}, nil
}

// parseDjangoPBKDF2 reads Django's pbkdf2_sha256$<iterations>$<salt>$<base64
// hash> (and pbkdf2_sha1): the salt is used as text.
func parseDjangoPBKDF2(s string) (*legacyHash, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 4 || parts[2] == "" {
		return nil, errUnknownHash
	}
	h := sha256.New
	if parts[0] == "pbkdf2_sha1" {
		h = sha1.New
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < 1 || iter > maxPBKDF2Iterations {
		return nil, errUnknownHash
	}
	want, err := base64.StdEncoding.DecodeString(parts[3])
	if err != nil || len(want) < 16 {
		return nil, errUnknownHash
	}
	salt := []byte(parts[2])
	return pbkdf2Verifier(HashDjangoPBKDF, h, salt, iter, want), nil
}

// parseAspNetIdentity reads ASP.NET Core Identity's PasswordHasher
// output: base64 of a format marker and then
//   - V2 (0x00): 16 bytes of salt, 32 bytes of PBKDF2-HMAC-SHA1 with 1,000
//     iterations;
//   - V3 (0x01): PRF (0 SHA-1, 1 SHA-256, 2 SHA-512), iteration count and
//     salt length as big-endian uint32s, the salt, then the subkey.
func parseAspNetIdentity(s string) (*legacyHash, error) {
	if s == "" || strings.ContainsAny(s, "$ ") {
		return nil, errUnknownHash
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, errUnknownHash
	}
	switch b[0] {
	case 0x00:
		if len(b) != 1+16+32 {
			return nil, errUnknownHash
		}
		return pbkdf2Verifier(HashAspNetV2, sha1.New, b[1:17], 1000, b[17:]), nil
	case 0x01:
		if len(b) < 13 {
			return nil, errUnknownHash
		}
		prf := binary.BigEndian.Uint32(b[1:5])
		iter := binary.BigEndian.Uint32(b[5:9])
		saltLen := binary.BigEndian.Uint32(b[9:13])
		var h func() hash.Hash
		switch prf {
		case 0:
			h = sha1.New
		case 1:
			h = sha256.New
		case 2:
			h = sha512.New
		default:
			return nil, errUnknownHash
		}
		if iter < 1 || iter > maxPBKDF2Iterations || saltLen < 16 || uint64(saltLen) > uint64(len(b)-13) {
			return nil, errUnknownHash
		}
		salt, want := b[13:13+saltLen], b[13+saltLen:]
		if len(want) < 16 {
			return nil, errUnknownHash
		}
		return pbkdf2Verifier(HashAspNetV3, h, salt, int(iter), want), nil
	}
	return nil, errUnknownHash
}

func pbkdf2Verifier(kind string, h func() hash.Hash, salt []byte, iter int, want []byte) *legacyHash {
	return &legacyHash{kind: kind, verify: func(password string) bool {
		got, err := pbkdf2.Key(h, password, salt, iter, len(want))
		return err == nil && subtle.ConstantTimeCompare(got, want) == 1
	}}
}

// decodeB64Loose decodes standard base64 with or without padding.
func decodeB64Loose(s string) ([]byte, error) {
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}
