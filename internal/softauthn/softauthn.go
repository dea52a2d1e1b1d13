// Package softauthn is a software WebAuthn authenticator for tests: it
// answers the options Portal sends to navigator.credentials.create and
// .get with what a browser would post back, signed with real P-256 keys,
// so that the server's verification runs end to end without a browser.
// Its knobs make the attacks of MFA-06: another origin, another RP id, no
// user verification, a counter that goes backwards.
package softauthn

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
)

// Credential is a passkey the authenticator holds.
type Credential struct {
	ID         []byte
	RPID       string
	UserHandle []byte
	Key        *ecdsa.PrivateKey
	SignCount  uint32
}

// Authenticator holds discoverable credentials, like a platform
// authenticator or a security key with resident keys.
type Authenticator struct {
	// Origin is what the "browser" puts in clientDataJSON.
	Origin string
	// RPIDOverride, when set, is hashed into the authenticator data
	// instead of the RP id the options name (a phishing site's).
	RPIDOverride string
	// NoUserVerification clears the UV flag (a tap without PIN or
	// biometric).
	NoUserVerification bool
	// BackupEligible sets BE and BS: a synced passkey.
	BackupEligible bool
	// AAGUID is the authenticator model (16 bytes); zero by default.
	AAGUID [16]byte
	// Counter: when true the signature counter goes up by one per
	// assertion; otherwise it stays 0 (as synced passkeys do).
	Counter bool

	Credentials []*Credential
}

// New returns an authenticator for pages served from origin.
func New(origin string) *Authenticator { return &Authenticator{Origin: origin, Counter: true} }

type options struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		RPID string `json:"rpId"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
		AllowCredentials []struct {
			ID string `json:"id"`
		} `json:"allowCredentials"`
	} `json:"publicKey"`
}

var b64 = base64.RawURLEncoding

func parse(opts []byte) (*options, error) {
	var o options
	if err := json.Unmarshal(opts, &o); err != nil {
		return nil, err
	}
	if o.PublicKey.Challenge == "" {
		return nil, errors.New("softauthn: options without a challenge")
	}
	return &o, nil
}

func (a *Authenticator) clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": a.Origin, "crossOrigin": false})
	return b
}

func (a *Authenticator) flags(attested bool) byte {
	f := byte(0x01) // UP
	if !a.NoUserVerification {
		f |= 0x04
	}
	if a.BackupEligible {
		f |= 0x08 | 0x10
	}
	if attested {
		f |= 0x40
	}
	return f
}

func (a *Authenticator) authData(rpID string, flags byte, count uint32, attested []byte) []byte {
	if a.RPIDOverride != "" {
		rpID = a.RPIDOverride
	}
	h := sha256.Sum256([]byte(rpID))
	out := append(h[:], flags)
	out = binary.BigEndian.AppendUint32(out, count)
	return append(out, attested...)
}

// Create answers a registration ceremony's options (the JSON Portal
// sends) with a new credential, and returns the credential and the JSON a
// browser posts back.
func (a *Authenticator) Create(opts []byte) (*Credential, []byte, error) {
	o, err := parse(opts)
	if err != nil {
		return nil, nil, err
	}
	handle, err := b64.DecodeString(o.PublicKey.User.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("softauthn: user id: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	id := make([]byte, 16)
	rand.Read(id)
	c := &Credential{ID: id, RPID: o.PublicKey.RP.ID, UserHandle: handle, Key: key}
	cose, err := webauthncbor.Marshal(map[int64]any{
		1: int64(2), 3: int64(-7), -1: int64(1),
		-2: key.PublicKey.X.FillBytes(make([]byte, 32)),
		-3: key.PublicKey.Y.FillBytes(make([]byte, 32)),
	})
	if err != nil {
		return nil, nil, err
	}
	attested := append(a.AAGUID[:], byte(len(id)>>8), byte(len(id)))
	attested = append(append(attested, id...), cose...)
	ad := a.authData(c.RPID, a.flags(true), 0, attested)
	att, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": ad})
	if err != nil {
		return nil, nil, err
	}
	body, err := json.Marshal(map[string]any{
		"id": b64.EncodeToString(id), "rawId": b64.EncodeToString(id), "type": "public-key",
		"response": map[string]any{
			"attestationObject": b64.EncodeToString(att),
			"clientDataJSON":    b64.EncodeToString(a.clientData("webauthn.create", o.PublicKey.Challenge)),
			"transports":        []string{"internal"},
		},
		"clientExtensionResults":  map[string]any{},
		"authenticatorAttachment": "platform",
	})
	if err != nil {
		return nil, nil, err
	}
	a.Credentials = append(a.Credentials, c)
	return c, body, nil
}

// Get answers a sign-in ceremony's options with an assertion by c (nil:
// the first credential for the options' RP id, as a person picking their
// only passkey).
func (a *Authenticator) Get(opts []byte, c *Credential) ([]byte, error) {
	o, err := parse(opts)
	if err != nil {
		return nil, err
	}
	rpID := o.PublicKey.RPID
	if c == nil {
		for _, x := range a.Credentials {
			if x.RPID == rpID {
				c = x
				break
			}
		}
	}
	if c == nil {
		return nil, errors.New("softauthn: no credential for " + rpID)
	}
	if a.Counter {
		c.SignCount++
	}
	return a.Assert(c, o.PublicKey.Challenge, rpID, c.UserHandle)
}

// Assert signs an assertion by c for challenge and rpID, naming
// userHandle (a browser names the credential's own).
func (a *Authenticator) Assert(c *Credential, challenge, rpID string, userHandle []byte) ([]byte, error) {
	ad := a.authData(rpID, a.flags(false), c.SignCount, nil)
	cd := a.clientData("webauthn.get", challenge)
	cdh := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, ad...), cdh[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, c.Key, digest[:])
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"id": b64.EncodeToString(c.ID), "rawId": b64.EncodeToString(c.ID), "type": "public-key",
		"response": map[string]any{
			"authenticatorData": b64.EncodeToString(ad),
			"clientDataJSON":    b64.EncodeToString(cd),
			"signature":         b64.EncodeToString(sig),
			"userHandle":        b64.EncodeToString(userHandle),
		},
		"clientExtensionResults":  map[string]any{},
		"authenticatorAttachment": "platform",
	})
}
