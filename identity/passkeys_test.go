package identity

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accountportal/portal/internal/softauthn"
	"github.com/accountportal/portal/store"
)

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// parseChallenge is the challenge of a ceremony's options.
func parseChallenge(opts []byte) (string, error) {
	var o struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
		} `json:"publicKey"`
	}
	err := json.Unmarshal(opts, &o)
	return o.PublicKey.Challenge, err
}

// passkeyUser registers, confirms and gives u a passkey on a software
// authenticator at the fixture's origin.
func (f *fixture) withPasskey(t *testing.T, email string) (*User, *softauthn.Authenticator, *softauthn.Credential) {
	t.Helper()
	ctx := context.Background()
	u := f.mustRegister(t, email)
	f.confirm(t, u)
	u, _ = f.store.FindUserByID(ctx, u.ID)
	a := softauthn.New("https://portal.test")
	cr, err := f.svc.BeginPasskeyRegistration(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	cred, resp, err := a.Create(cr.Options)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.AddPasskey(ctx, Client{IP: "192.0.2.1"}, u, AddPasskeyInput{Ceremony: cr.ID, Response: resp, DefaultName: "Passkey"}); err != nil {
		t.Fatalf("AddPasskey: %v", err)
	}
	return u, a, cred
}

// passkeySignIn runs a sign-in ceremony answered by answer.
func (f *fixture) passkeySignIn(t *testing.T, answer func(opts []byte) []byte) (*SignIn, error) {
	t.Helper()
	cr, err := f.svc.BeginPasskeySignIn(context.Background(), Client{})
	if err != nil {
		t.Fatal(err)
	}
	return f.svc.PasskeySignIn(context.Background(), Client{IP: "192.0.2.1"}, cr.ID, answer(cr.Options))
}

func get(t *testing.T, a *softauthn.Authenticator) func([]byte) []byte {
	return func(opts []byte) []byte {
		t.Helper()
		b, err := a.Get(opts, nil)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
}

// TestPasskeySignIn: a registered passkey signs in with no second step
// even with 2FA on, and the amr says two factors (issue 21).
func TestPasskeySignIn(t *testing.T) {
	f := newFixture(t)
	u, a, _ := f.withPasskey(t, "pk@example.com")
	ps, _ := f.svc.ListPasskeys(context.Background(), u.ID)
	if len(ps) != 1 || ps[0].Name != "Passkey" || ps[0].RPID != "portal.test" || ps[0].BackupEligible {
		t.Fatalf("passkeys after registration: %+v", ps)
	}
	tf := true
	if err := f.store.UpdateUser(context.Background(), u.ID, store.UserUpdate{TwoFactorEnabled: &tf, UpdatedAt: f.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	r, err := f.passkeySignIn(t, get(t, a))
	if err != nil {
		t.Fatalf("PasskeySignIn: %v", err)
	}
	if !r.Complete() || r.User.ID != u.ID {
		t.Fatalf("sign-in complete=%v user=%v, want complete for %s", r.Complete(), r.User.ID, u.ID)
	}
	if got := AMR(r.Session); !slices.Equal(got, []string{"hwk", "mfa"}) {
		t.Errorf("amr %v, want hwk mfa", got)
	}
	ps, _ = f.svc.ListPasskeys(context.Background(), u.ID)
	if ps[0].SignCount != 1 || !ps[0].LastUsedAt.Equal(f.clock.Now()) {
		t.Errorf("after use: count %d, last used %v", ps[0].SignCount, ps[0].LastUsedAt)
	}
}

// TestPasskeyAttacks: each answer MFA-06 names is refused (and leaves
// the passkey usable for its owner).
func TestPasskeyAttacks(t *testing.T) {
	f := newFixture(t)
	_, a, cred := f.withPasskey(t, "victim@example.com")
	other, _, _ := f.withPasskey(t, "other@example.com")
	for _, tc := range []struct {
		name   string
		answer func(t *testing.T) func([]byte) []byte
		want   error
	}{
		{"wrong origin", func(t *testing.T) func([]byte) []byte {
			evil := *a
			evil.Origin = "https://evil.example"
			return get(t, &evil)
		}, ErrPasskeyRejected},
		{"wrong RP id", func(t *testing.T) func([]byte) []byte {
			evil := *a
			evil.RPIDOverride = "evil.example"
			return get(t, &evil)
		}, ErrPasskeyRejected},
		{"no user verification", func(t *testing.T) func([]byte) []byte {
			lax := *a
			lax.NoUserVerification = true
			return get(t, &lax)
		}, ErrPasskeyRejected},
		{"another user's credential", func(t *testing.T) func([]byte) []byte {
			// victim's key, but claiming to be other's account
			return func(opts []byte) []byte {
				o, _ := parseChallenge(opts)
				cred.SignCount++
				b, err := a.Assert(cred, o, "portal.test", []byte(other.ID))
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
		}, ErrPasskeyRejected},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if r, err := f.passkeySignIn(t, tc.answer(t)); !errors.Is(err, tc.want) {
				t.Fatalf("sign-in: %v, %v; want %v", r, err, tc.want)
			}
		})
	}
	t.Run("replayed challenge", func(t *testing.T) {
		cr, _ := f.svc.BeginPasskeySignIn(context.Background(), Client{})
		resp, _ := a.Get(cr.Options, nil)
		if _, err := f.svc.PasskeySignIn(context.Background(), Client{}, cr.ID, resp); err != nil {
			t.Fatalf("first use: %v", err)
		}
		if _, err := f.svc.PasskeySignIn(context.Background(), Client{}, cr.ID, resp); !errors.Is(err, ErrPasskeyCeremony) {
			t.Fatalf("replay: %v, want ErrPasskeyCeremony", err)
		}
		// The same answer under a fresh ceremony: its challenge is not this one's.
		cr2, _ := f.svc.BeginPasskeySignIn(context.Background(), Client{})
		if _, err := f.svc.PasskeySignIn(context.Background(), Client{}, cr2.ID, resp); !errors.Is(err, ErrPasskeyRejected) {
			t.Fatalf("replay under another ceremony: %v, want ErrPasskeyRejected", err)
		}
	})
	t.Run("expired ceremony", func(t *testing.T) {
		cr, _ := f.svc.BeginPasskeySignIn(context.Background(), Client{})
		resp, _ := a.Get(cr.Options, nil)
		f.clock.Advance(PasskeyCeremonyLifetime)
		if _, err := f.svc.PasskeySignIn(context.Background(), Client{}, cr.ID, resp); !errors.Is(err, ErrPasskeyCeremony) {
			t.Fatalf("after 5 min: %v, want ErrPasskeyCeremony", err)
		}
	})
	t.Run("still works", func(t *testing.T) {
		if _, err := f.passkeySignIn(t, get(t, a)); err != nil {
			t.Fatalf("the owner's passkey after the attacks: %v", err)
		}
	})
	t.Run("cloned counter", func(t *testing.T) {
		clone := *cred // a copy of the key, behind the original's counter
		clone.SignCount = 1
		r, err := f.passkeySignIn(t, func(opts []byte) []byte {
			o, _ := parseChallenge(opts)
			b, _ := a.Assert(&clone, o, "portal.test", cred.UserHandle)
			return b
		})
		if !errors.Is(err, ErrPasskeyCloned) {
			t.Fatalf("cloned: %v, %v; want ErrPasskeyCloned", r, err)
		}
		ps, _ := f.store.FindPasskey(context.Background(), b64(cred.ID))
		if !ps.CloneWarning {
			t.Error("the passkey is not marked")
		}
		if m := f.lastMail(t); m.To != "victim@example.com" {
			t.Errorf("last mail to %s, want the owner", m.To)
		}
	})
}

// TestPasskeyRegistrationChecks: a registration answer for another
// origin, without user verification, or after the ceremony expired is
// refused; the ceremony is another user's to finish.
func TestPasskeyRegistrationChecks(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u := f.mustRegister(t, "reg@example.com")
	v := f.mustRegister(t, "reg2@example.com")
	for _, tc := range []struct {
		name string
		mod  func(a *softauthn.Authenticator)
		user *User
		wait time.Duration
		want error
	}{
		{"wrong origin", func(a *softauthn.Authenticator) { a.Origin = "https://evil.example" }, u, 0, ErrPasskeyRejected},
		{"wrong RP id", func(a *softauthn.Authenticator) { a.RPIDOverride = "evil.example" }, u, 0, ErrPasskeyRejected},
		{"no user verification", func(a *softauthn.Authenticator) { a.NoUserVerification = true }, u, 0, ErrPasskeyRejected},
		{"another user's ceremony", func(*softauthn.Authenticator) {}, v, 0, ErrPasskeyCeremony},
		{"expired", func(*softauthn.Authenticator) {}, u, PasskeyCeremonyLifetime, ErrPasskeyCeremony},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := softauthn.New("https://portal.test")
			tc.mod(a)
			cr, err := f.svc.BeginPasskeyRegistration(ctx, u)
			if err != nil {
				t.Fatal(err)
			}
			_, resp, _ := a.Create(cr.Options)
			f.clock.Advance(tc.wait)
			if _, err := f.svc.AddPasskey(ctx, Client{}, tc.user, AddPasskeyInput{Ceremony: cr.ID, Response: resp}); !errors.Is(err, tc.want) {
				t.Fatalf("AddPasskey: %v, want %v", err, tc.want)
			}
		})
	}
	if ps, _ := f.svc.ListPasskeys(ctx, u.ID); len(ps) != 0 {
		t.Fatalf("%d passkeys stored after refused registrations", len(ps))
	}
}

// TestRemovePasskeyNeverLastWayIn: a passwordless account keeps its only
// passkey; another user's passkey is not found (ACC-03).
func TestRemovePasskeyNeverLastWayIn(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u, _, cred := f.withPasskey(t, "only@example.com")
	other, _, _ := f.withPasskey(t, "someone@example.com")
	id := b64(cred.ID)
	if err := f.svc.RemovePasskey(ctx, Client{}, other, "", id); !errors.Is(err, ErrPasskeyNotFound) {
		t.Errorf("another user removes it: %v, want ErrPasskeyNotFound", err)
	}
	if err := f.svc.RenamePasskey(ctx, Client{}, other, id, "mine"); !errors.Is(err, ErrPasskeyNotFound) {
		t.Errorf("another user renames it: %v, want ErrPasskeyNotFound", err)
	}
	empty := ""
	if err := f.store.UpdateUser(ctx, u.ID, store.UserUpdate{PasswordHash: &empty, UpdatedAt: f.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	u, _ = f.store.FindUserByID(ctx, u.ID)
	if err := f.svc.RemovePasskey(ctx, Client{}, u, "", id); !errors.Is(err, ErrLastPasskey) {
		t.Fatalf("removing the only way in: %v, want ErrLastPasskey", err)
	}
	if err := f.svc.RenamePasskey(ctx, Client{}, u, id, "  Laptop  "); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RenamePasskey(ctx, Client{}, u, id, "bad\x00name"); !errors.Is(err, ErrPasskeyName) {
		t.Errorf("a control character in the name: %v", err)
	}
	ps, _ := f.svc.ListPasskeys(ctx, u.ID)
	if ps[0].Name != "Laptop" {
		t.Errorf("name %q, want Laptop", ps[0].Name)
	}
}

// TestPasskeyRPID: the RP id is the base URL's host, or the parent domain
// given (--cookie-domain); another domain is refused, an IP address turns
// passkeys off.
func TestPasskeyRPID(t *testing.T) {
	for _, tc := range []struct {
		base, rp, want string
		err            bool
	}{
		{"https://auth.example.com", "", "auth.example.com", false},
		{"https://auth.example.com/portal", "example.com", "example.com", false},
		{"https://auth.example.com", ".Example.com", "example.com", false},
		{"https://auth.example.com", "evil.com", "", true},
		{"http://127.0.0.1:8080", "", "", false},
	} {
		wa, err := passkeyConfig(tc.base, tc.rp, "Portal")
		if (err != nil) != tc.err {
			t.Errorf("%s, %q: err %v", tc.base, tc.rp, err)
			continue
		}
		got := ""
		if wa != nil {
			got = wa.Config.RPID
			if o := wa.Config.RPOrigins; len(o) != 1 || !strings.HasPrefix(tc.base, o[0]) {
				t.Errorf("%s: origins %v", tc.base, o)
			}
		}
		if got != tc.want {
			t.Errorf("%s, %q: RP id %q, want %q", tc.base, tc.rp, got, tc.want)
		}
	}
}
