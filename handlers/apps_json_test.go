package handlers

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/accountportal/portal/identity"
)

type sessionJSON struct {
	User    sessionUserJSON `json:"user"`
	Session sessionInfoJSON `json:"session"`
}

type sessionUserJSON struct {
	ID               string `json:"id"`
	Email            string `json:"email"`
	EmailVerified    bool   `json:"email_verified"`
	Username         string `json:"username"`
	TwoFactorEnabled bool   `json:"two_factor_enabled"`
}

type sessionInfoJSON struct {
	AuthenticatedAt string   `json:"authenticated_at"`
	ExpiresAt       string   `json:"expires_at"`
	AMR             []string `json:"amr"`
}

// sessionJSONReference is what /account/session answered through
// encoding/json (echo's c.JSON) before appendSessionJSON.
func sessionJSONReference(t *testing.T, u *identity.User, authAt, expires time.Time, amr []string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := json.NewEncoder(&b).Encode(sessionJSON{
		User: sessionUserJSON{ID: u.ID, Email: u.Email, EmailVerified: u.EmailConfirmed, Username: u.UserName, TwoFactorEnabled: u.TwoFactorEnabled},
		Session: sessionInfoJSON{
			AuthenticatedAt: authAt.UTC().Format(time.RFC3339),
			ExpiresAt:       expires.UTC().Format(time.RFC3339),
			AMR:             amr,
		},
	}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestSessionJSONBytes: the answer written without reflection is byte for
// byte what encoding/json writes (the JSON contract of DESIGN.md "Apps
// around Portal"), for plain values and for every kind that needs
// escaping: quotes, backslashes, control characters, HTML-significant
// characters, non-ASCII letters, U+2028, invalid UTF-8.
func TestSessionJSONBytes(t *testing.T) {
	at := time.Date(2026, 12, 3, 14, 5, 9, 123456789, time.FixedZone("CET", 3600))
	strs := []string{
		"", "ada@example.com", "0192f0a4-7b1c-7cc2-9d8e-3f1a2b3c4d5e", "ada", `quote"d`, `back\slash`,
		"tab\there", "nul\x00", "bell\x07", "del\x7f", "<script>&amp;", "José", "名前", "line\u2028sep",
		"bad\xffutf8", "ünïcödé@exämple.com", " spaced ", "{}[],:",
	}
	amrs := [][]string{{}, {"pwd"}, {"pwd", "otp", "mfa"}, {"hwk", "user"}, {`we"ird`}}
	for i, s := range strs {
		for _, amr := range amrs {
			u := &identity.User{ID: strs[(i+2)%len(strs)], Email: s, UserName: strs[(i+1)%len(strs)], EmailConfirmed: i%2 == 0, TwoFactorEnabled: i%3 == 0}
			got := appendSessionJSON(nil, u, at, at.Add(14*24*time.Hour), amr)
			want := sessionJSONReference(t, u, at, at.Add(14*24*time.Hour), amr)
			if !bytes.Equal(got, want) {
				t.Errorf("email %q amr %q:\n got %s\nwant %s", s, amr, got, want)
			}
		}
	}
}

// FuzzAppendJSONString: any string, written as encoding/json writes it.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "a", `"`, "\x00", "é", "\xff", "<>&", "\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendJSONString([]byte("x"), s); !bytes.Equal(got, append([]byte("x"), want...)) {
			t.Fatalf("appendJSONString(%q) = %s, want x%s", s, got, want)
		}
	})
}
