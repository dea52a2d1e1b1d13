package identity

import (
	"bytes"
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"

	"github.com/accountportal/portal/store"
)

// Server keys: what encrypts authenticator keys at rest (MFA-01), signs
// "remember this browser" cookies, keys CSRF tokens and the hash of unknown
// addresses in the log. By default each is random and kept in the
// database's secrets table, shared by every instance. With a secret key
// file (--secret-key-file) they are derived from the operator's key instead
// and the database holds none of them: a copy of the database without the
// file cannot decrypt a single authenticator key (issue 17 item 10).
const (
	KeyCSRF             = "csrf-key"
	KeyLog              = "log-key"
	KeyAuthenticatorKey = "authenticator-key-key"
	KeyRememberBrowser  = "remember-browser-key"
	// KeyOIDC keys the OpenID Provider (issue 20): its opaque access
	// tokens and codes, and the sealing of its signing keys.
	KeyOIDC = "oidc-key"
	// keyCheckSecret is the secrets-table entry that says the server keys
	// come from a key file, and which: an HKDF output of its own (it
	// reveals nothing of the other keys), compared at start.
	keyCheckSecret = "secret-key-check"
)

// ServerKeyNames are the server keys, by their secrets-table names.
var ServerKeyNames = []string{KeyCSRF, KeyLog, KeyAuthenticatorKey, KeyRememberBrowser, KeyOIDC}

// MinSecretKeyBytes is the least a secret key file holds: 256 bits.
const MinSecretKeyBytes = 32

// ReadSecretKeyFile reads an operator's secret key: the file's bytes,
// without surrounding white space (so `openssl rand -base64 48 > key`
// works), at least MinSecretKeyBytes of them.
func ReadSecretKeyFile(path string) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("secret key file: %w", err)
	}
	key := bytes.TrimSpace(raw)
	if len(key) < MinSecretKeyBytes {
		return nil, fmt.Errorf("secret key file %s: %d bytes; want at least %d (e.g. openssl rand -base64 48 > %s)", path, len(key), MinSecretKeyBytes, path)
	}
	return key, nil
}

// DeriveServerKeys derives every server key from master with HKDF-SHA256
// (crypto/hkdf, RFC 5869), each with its own name as the info: the keys
// are independent, and none reveals master or another.
func DeriveServerKeys(master []byte) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, name := range append([]string{keyCheckSecret}, ServerKeyNames...) {
		k, err := hkdf.Key(sha256.New, master, nil, "portal server key: "+name, 32)
		if err != nil {
			return nil, err
		}
		out[name] = k
	}
	return out, nil
}

// errNoSecret marks a secret that is not in the table (Secret's generate).
var errNoSecret = errors.New("no such secret")

func storedSecret(ctx context.Context, st store.Secrets, name string) ([]byte, bool, error) {
	v, err := st.Secret(ctx, name, func() ([]byte, error) { return nil, errNoSecret })
	if errors.Is(err, errNoSecret) {
		return nil, false, nil
	}
	return v, err == nil, err
}

// ServerKeys returns the server keys: derived from master when there is
// one (nil: none), else the database's own (created on first use). It
// refuses a mix: a database whose keys were moved to a key file does not
// start without it (or with another file), and a key file is not used on
// a database that still holds keys of its own until MoveServerKeys has
// moved them — else every stored authenticator key would stop opening.
func ServerKeys(ctx context.Context, st store.Secrets, master []byte, random func() ([]byte, error)) (map[string][]byte, error) {
	check, moved, err := storedSecret(ctx, st, keyCheckSecret)
	if err != nil {
		return nil, err
	}
	if master == nil {
		if moved {
			return nil, errors.New("this database's server keys were moved to a secret key file: start with --secret-key-file (PORTAL_SECRET_KEY_FILE)")
		}
		keys := map[string][]byte{}
		for _, name := range ServerKeyNames {
			k, err := st.Secret(ctx, name, random)
			if err != nil {
				return nil, fmt.Errorf("secret %s: %w", name, err)
			}
			keys[name] = k
		}
		return keys, nil
	}
	keys, err := DeriveServerKeys(master)
	if err != nil {
		return nil, err
	}
	switch {
	case moved && !bytes.Equal(check, keys[keyCheckSecret]):
		return nil, errors.New("--secret-key-file is not the key this database's secrets are under (to change it: portal move-secrets --old-secret-key-file OLD --secret-key-file NEW)")
	case moved:
		return keys, nil
	}
	if _, own, err := storedSecret(ctx, st, KeyAuthenticatorKey); err != nil {
		return nil, err
	} else if own {
		return nil, errors.New("the database still holds server keys of its own: move them to the key file first, with portal move-secrets --secret-key-file FILE (same --db)")
	}
	// A new database: it is under the key file from the start.
	if err := st.RekeySecrets(ctx, func(_ string, sealed []byte) ([]byte, error) { return sealed, nil },
		map[string][]byte{keyCheckSecret: keys[keyCheckSecret]}, nil); err != nil {
		return nil, err
	}
	return keys, nil
}

// MoveServerKeys puts the database's secrets under the key newMaster:
// every stored authenticator key is decrypted with the current keys (the
// database's own, or those derived from oldMaster when the database was
// moved to a key file before) and encrypted again under the new ones, the
// database's own keys are deleted and the new key's check is stored — in
// one transaction. It returns how many authenticator keys it re-encrypted.
// "Remember this browser" cookies and open forms signed with the old keys
// stop working (users type a 2FA code once more).
func MoveServerKeys(ctx context.Context, st store.Secrets, oldMaster, newMaster []byte) (int, error) {
	check, moved, err := storedSecret(ctx, st, keyCheckSecret)
	if err != nil {
		return 0, err
	}
	var from []byte
	switch {
	case moved && oldMaster == nil:
		return 0, errors.New("this database's secrets are under a key file already: give it as --old-secret-key-file")
	case moved:
		old, err := DeriveServerKeys(oldMaster)
		if err != nil {
			return 0, err
		}
		if !bytes.Equal(check, old[keyCheckSecret]) {
			return 0, errors.New("--old-secret-key-file is not the key this database's secrets are under")
		}
		from = old[KeyAuthenticatorKey]
	case oldMaster != nil:
		return 0, errors.New("this database's secrets are not under a key file: leave out --old-secret-key-file")
	default:
		k, own, err := storedSecret(ctx, st, KeyAuthenticatorKey)
		if err != nil {
			return 0, err
		}
		if own {
			from = k
		}
	}
	to, err := DeriveServerKeys(newMaster)
	if err != nil {
		return 0, err
	}
	next, err := newKeyEncryption(to[KeyAuthenticatorKey])
	if err != nil {
		return 0, err
	}
	var prev *keyEncryption
	if from != nil {
		if prev, err = newKeyEncryption(from); err != nil {
			return 0, err
		}
	}
	n := 0
	err = st.RekeySecrets(ctx, func(userID string, sealed []byte) ([]byte, error) {
		if prev == nil {
			return nil, fmt.Errorf("user %s has an authenticator key but the database no key to open it", userID)
		}
		plain, err := prev.open(userID, sealed)
		if err != nil {
			return nil, fmt.Errorf("user %s: the authenticator key does not open with the current key: %w", userID, err)
		}
		n++
		return next.seal(userID, plain), nil
	}, map[string][]byte{keyCheckSecret: to[keyCheckSecret]}, ServerKeyNames)
	if err != nil {
		return 0, err
	}
	return n, nil
}
