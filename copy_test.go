package portal

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/store"
	"github.com/accountportal/portal/store/pgcopy"
	"github.com/accountportal/portal/store/sqlite"
)

// testPostgres returns a fresh PostgreSQL database (dropped at the end), or
// skips when PORTAL_TEST_POSTGRES_URL is unset outside CI.
func testPostgres(t *testing.T) string {
	t.Helper()
	admin := os.Getenv("PORTAL_TEST_POSTGRES_URL")
	if admin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CI must set PORTAL_TEST_POSTGRES_URL")
		}
		t.Skip("PORTAL_TEST_POSTGRES_URL is not set")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 6)
	rand.Read(b)
	name := "portal_copy_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if c, err := pgx.Connect(context.Background(), admin); err == nil {
			c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(context.Background())
		}
	})
	u, _ := url.Parse(admin)
	u.Path = "/" + name
	return u.String()
}

// TestCopyRoundTrip fills a SQLite installation through the real service —
// users, sessions, 2FA with recovery codes, an external login, events,
// queued mail, rate limits, secrets — copies it to PostgreSQL and checks
// every table's row count and a sample of rows; then a Portal on the copy
// signs the user in with the same password and the same TOTP key.
func TestCopyRoundTrip(t *testing.T) {
	pgURL := testPostgres(t)
	dir := t.TempDir()
	clock := time.Now().UTC().Truncate(time.Second)
	now := func() time.Time { return clock }
	cfg := DefaultConfig()
	cfg.DB = filepath.Join(dir, "portal.db")
	cfg.Mail = "dir:" + filepath.Join(dir, "outbox")
	cfg.Argon2Memory = 1024
	cfg.RequireConfirmedEmail = false
	cfg.Now = now
	cfg.RegisterFields = identity.ExtraFields{{Name: "nickname", Type: "text"}}
	cfg.KeepSecurityEvents = true
	ctx := context.Background()
	c := identity.Client{IP: "192.0.2.1", UserAgent: "copy test"}

	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	id := p.Identity()
	var users []*identity.User
	for _, email := range []string{"alice@example.com", "bob@example.com", "carol@example.com"} {
		res, err := id.Register(ctx, c, identity.RegisterInput{Email: email, Password: "correct horse battery", Attributes: map[string]string{"nickname": "n-" + email}})
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, res.User)
	}
	alice := users[0]
	x, err := id.StartSession(ctx, alice, c, identity.SessionOptions{Remember: true})
	if err != nil {
		t.Fatal(err)
	}
	a, err := id.AuthenticatorSetup(ctx, alice, "")
	if err != nil {
		t.Fatal(err)
	}
	alice, _ = id.FindUserByEmail(ctx, "alice@example.com")
	code, _ := totp.GenerateCodeCustom(a.Key, clock, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	codes, err := id.EnableAuthenticator(ctx, c, alice, x.ID, a.Enrolment, code)
	if err != nil || len(codes) != 10 {
		t.Fatalf("enable: %v, %d codes", err, len(codes))
	}
	if _, err := id.StartExternalSignup(ctx, c, identity.ExternalIdentity{Provider: "acme", ProviderName: "Acme", Subject: "sub-9", Email: "dave@example.com", EmailVerified: true}, "dave@example.com", "", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := id.Register(ctx, c, identity.RegisterInput{Email: "frank@example.com", Password: "correct horse battery"}); err != nil {
		t.Fatal(err)
	}
	if err := id.AdminDelete(ctx, "frank@example.com"); err != nil { // kept_events rows
		t.Fatal(err)
	}
	if _, err := id.Invite(ctx, "erin@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := id.ForgotPassword(ctx, c, "bob@example.com"); err != nil { // a queued job and rate-limit rows
		t.Fatal(err)
	}
	p.Close() // the worker drains the queue; queue one more that stays
	st, err := sqlite.Open(cfg.DB)
	if err != nil {
		t.Fatal(err)
	}
	src := st.DB()
	// A browser remembered for the second factor (store-level: the
	// service makes one only at a sign-in through a browser).
	if err := st.AddRememberedBrowser(ctx, alice.ID, "browser-1", clock.Add(30*24*time.Hour), clock); err != nil {
		t.Fatal(err)
	}
	// The OpenID Provider's rows (store-level, as the provider writes them
	// in the middle of a flow): an application, a finished authorization
	// request with its code, tokens, a consent and a signing key.
	client := &store.OIDCClient{ID: "app-1", Name: "App", SecretHash: []byte("0123456789abcdef0123456789abcdef"),
		RedirectURIs: []string{"https://app.example/cb"}, PostLogoutRedirectURIs: []string{"https://app.example/"}, CreatedAt: clock}
	if err := st.CreateOIDCClient(ctx, client); err != nil {
		t.Fatal(err)
	}
	ar := &store.OIDCAuthRequest{ID: "ar-1", ClientID: "app-1", RedirectURI: "https://app.example/cb", State: "s", Nonce: "n",
		Scopes: []string{"openid", "email"}, ResponseType: "code", MaxAge: -1, CodeChallenge: "c", CodeChallengeMethod: "S256",
		CreatedAt: clock, ExpiresAt: clock.Add(time.Hour)}
	if err := st.CreateOIDCAuthRequest(ctx, ar, clock); err != nil {
		t.Fatal(err)
	}
	if err := st.CompleteOIDCAuthRequest(ctx, "ar-1", alice.ID, clock, []string{"pwd", "otp"}, clock); err != nil {
		t.Fatal(err)
	}
	if err := st.SetOIDCAuthCode(ctx, "ar-1", []byte("code-hash-1"), clock.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateOIDCTokens(ctx,
		&store.OIDCAccessToken{ID: "at-1", Family: "ar-1", ClientID: "app-1", UserID: alice.ID, Scopes: []string{"openid"}, ExpiresAt: clock.Add(time.Hour), CreatedAt: clock},
		&store.OIDCRefreshToken{Hash: []byte("refresh-hash-1"), Family: "ar-1", ClientID: "app-1", UserID: alice.ID, Scopes: []string{"openid"},
			AMR: []string{"pwd"}, AuthTime: clock, ExpiresAt: clock.Add(24 * time.Hour), CreatedAt: clock}); err != nil {
		t.Fatal(err)
	}
	if err := st.SetOIDCGrant(ctx, &store.OIDCGrant{UserID: alice.ID, ClientID: "app-1", Scopes: []string{"openid", "email"}, CreatedAt: clock, UpdatedAt: clock}); err != nil {
		t.Fatal(err)
	}
	if err := st.AddOIDCKey(ctx, &store.OIDCKey{ID: "key-1", Algorithm: "ES256", PublicJWK: []byte(`{"kty":"EC"}`), Sealed: []byte("sealed"), CreatedAt: clock}, true); err != nil {
		t.Fatal(err)
	}
	// A passkey (public material only).
	if err := st.AddPasskey(ctx, &store.Passkey{ID: "cred-1", UserID: alice.ID, RPID: "localhost", Name: "Laptop",
		Credential: []byte(`{"id":"cred-1"}`), SignCount: 3, BackupEligible: true, CreatedAt: clock}); err != nil {
		t.Fatal(err)
	}
	// An scs session row (Julian-day expiry in SQLite).
	if _, err := src.Exec(`INSERT INTO sessions (token, data, expiry) VALUES ('tok-1', x'0102', julianday('now', '+1 day'))`); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Copy(ctx, "sqlite://"+cfg.DB, pgURL, true, &out); err != nil {
		t.Fatalf("copy: %v\n%s", err, out.String())
	}
	t.Logf("copied:\n%s", out.String())

	pgConn, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pgConn.Close(ctx)
	for _, table := range append(pgcopy.Tables, pgcopy.SessionsTable) {
		var want, got int
		if err := src.QueryRow("SELECT count(*) FROM " + table).Scan(&want); err != nil {
			t.Fatal(err)
		}
		if err := pgConn.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s: %d rows copied, want %d", table, got, want)
		}
		if want == 0 && table != "mail_outbox" {
			t.Errorf("%s: the fixture left it empty; the round trip proves nothing for it", table)
		}
	}
	var expiry time.Time
	var data []byte
	if err := pgConn.QueryRow(ctx, "SELECT expiry, data FROM sessions WHERE token = 'tok-1'").Scan(&expiry, &data); err != nil {
		t.Fatal(err)
	}
	if d := time.Until(expiry) - 24*time.Hour; d < -time.Minute || d > time.Minute || !bytes.Equal(data, []byte{1, 2}) {
		t.Errorf("scs session: expiry %v (want about a day from now), data %x", expiry, data)
	}
	// A sample of rows, compared through the stores' own types.
	pst, err := openStore(ctx, pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pst.Close()
	for _, u := range users {
		before, _ := st.FindUserByID(ctx, u.ID)
		after, err := pst.FindUserByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		before.CreatedAt, after.CreatedAt = before.CreatedAt.Truncate(time.Microsecond), after.CreatedAt.Truncate(time.Microsecond)
		before.UpdatedAt, after.UpdatedAt = before.UpdatedAt.Truncate(time.Microsecond), after.UpdatedAt.Truncate(time.Microsecond)
		if !reflect.DeepEqual(before, after) {
			t.Errorf("user %s differs:\nsqlite   %+v\npostgres %+v", u.Email, before, after)
		}
	}
	rcBefore, _ := st.ListRecoveryCodes(ctx, alice.ID)
	rcAfter, _ := pst.ListRecoveryCodes(ctx, alice.ID)
	if !reflect.DeepEqual(rcBefore, rcAfter) {
		t.Errorf("recovery codes differ: %v vs %v", rcBefore, rcAfter)
	}
	evBefore, _ := st.ListEvents(ctx, alice.ID, 0, 100)
	evAfter, _ := pst.ListEvents(ctx, alice.ID, 0, 100)
	if len(evBefore) == 0 || len(evBefore) != len(evAfter) || evBefore[0].ID != evAfter[0].ID || evBefore[0].Kind != evAfter[0].Kind {
		t.Errorf("events differ: %d vs %d", len(evBefore), len(evAfter))
	}
	if l, err := pst.FindExternalLogin(ctx, "acme", "sub-9"); err != nil || l.Email != "dave@example.com" {
		t.Errorf("external login: %+v, %v", l, err)
	}
	pkBefore, _ := st.ListPasskeys(ctx, alice.ID)
	pkAfter, err := pst.ListPasskeys(ctx, alice.ID)
	if err != nil || len(pkAfter) != 1 || len(pkBefore) != 1 || pkAfter[0].ID != pkBefore[0].ID ||
		!bytes.Equal(pkAfter[0].Credential, pkBefore[0].Credential) || pkAfter[0].SignCount != 3 || !pkAfter[0].BackupEligible {
		t.Errorf("passkeys differ: %+v vs %+v (%v)", pkBefore, pkAfter, err)
	}
	if cl, err := pst.FindOIDCClient(ctx, "app-1"); err != nil || cl.Name != "App" || !reflect.DeepEqual(cl.RedirectURIs, client.RedirectURIs) {
		t.Errorf("OIDC client: %+v, %v", cl, err)
	}
	if rt, err := pst.FindOIDCRefreshToken(ctx, []byte("refresh-hash-1")); err != nil || rt.UserID != alice.ID || !reflect.DeepEqual(rt.AMR, []string{"pwd"}) {
		t.Errorf("OIDC refresh token: %+v, %v", rt, err)
	}
	if g, err := pst.FindOIDCGrant(ctx, alice.ID, "app-1"); err != nil || !reflect.DeepEqual(g.Scopes, []string{"openid", "email"}) {
		t.Errorf("OIDC grant: %+v, %v", g, err)
	}
	st.Close()

	// The copy works: same secrets (CSRF, key encryption), same password,
	// same TOTP key, same session.
	cfg2 := cfg
	cfg2.DB = pgURL
	cfg2.BaseURL = ""
	clock = clock.Add(90 * time.Second)
	p2, err := New(cfg2)
	if err != nil {
		t.Fatal(err)
	}
	defer p2.Close()
	first, err := p2.Identity().PasswordSignIn(ctx, c, "alice@example.com", "correct horse battery")
	if err != nil || first.Complete() {
		t.Fatalf("password on the copy: %v, %+v (want a pending second factor)", err, first)
	}
	code2, _ := totp.GenerateCodeCustom(a.Key, clock, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if _, err := p2.Identity().TwoFactorSignIn(ctx, c, first.Pending, code2); err != nil {
		t.Fatalf("TOTP on the copy (key decryption with the copied secret): %v", err)
	}
	if u, _, err := p2.Identity().SessionUser(ctx, x.ID, c); err != nil || u.ID != alice.ID {
		t.Fatalf("session on the copy: %v", err)
	}
	// A second copy into a database with users is refused.
	if err := Copy(ctx, "sqlite://"+cfg.DB, pgURL, false, &out); err == nil {
		t.Fatal("copying into a non-empty database was allowed")
	}
}
