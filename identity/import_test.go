package identity

import (
	"context"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/pquerna/otp/totp"
	"golang.org/x/crypto/bcrypt"

	"github.com/accountportal/portal/store"
)

func (f *fixture) mustImport(t *testing.T, o ImportOptions) *ImportReport {
	t.Helper()
	rep, err := f.svc.ImportUsers(context.Background(), o)
	if err != nil {
		t.Fatalf("ImportUsers: %v (report %+v)", err, rep)
	}
	return rep
}

func aspnetOpts(users string) ImportOptions {
	return ImportOptions{Format: ImportASPNet, Users: strings.NewReader(users), UsersName: "users.csv"}
}

const aliceID = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"

// An AspNetUsers export as sqlcmd -s"," -W writes it: header, a line of
// dashes, NULL for missing values; columns in the table's order with
// extra ones Portal ignores.
func aspnetUsersCSV() string {
	return strings.Join([]string{
		"Id,UserName,NormalizedUserName,Email,NormalizedEmail,EmailConfirmed,PasswordHash,SecurityStamp,ConcurrencyStamp,PhoneNumber,PhoneNumberConfirmed,TwoFactorEnabled,LockoutEnd,LockoutEnabled,AccessFailedCount,FavouriteColour",
		"--,--------,------------------,-----,---------------,--------------,------------,-------------,----------------,-----------,--------------------,----------------,----------,--------------,-----------------,---",
		aliceID + ",alice@example.com,ALICE@EXAMPLE.COM,Alice@Example.com,ALICE@EXAMPLE.COM,1," + aspnetV2("alice password", seqSalt(16)) + ",STAMP,cs,+41 79 123 45 67,0,0,NULL,1,2,blue",
		"42,bobby,BOBBY,bob@example.com,BOB@EXAMPLE.COM,True," + aspnetV3("bob password", 2, 100000, seqSalt(16), 32) + ",STAMP,cs,NULL,0,False,2999-01-01 00:00:00.0000000 +00:00,True,0,red",
		"c0ffee00-0000-4000-8000-000000000001,carol@example.com,X,carol@example.com,X,0,NULL,STAMP,cs,NULL,0,0,2999-01-01 00:00:00+00:00,0,0,",
	}, "\r\n") + "\r\n"
}

func TestImportASPNetUsers(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rep := f.mustImport(t, aspnetOpts(aspnetUsersCSV()))
	if rep.Created != 3 || rep.Bad != 0 || len(rep.Problems) != 0 || !rep.Written || rep.Unconfirmed != 1 {
		t.Fatalf("report=%+v", rep)
	}
	alice, err := f.store.FindUserByEmail(ctx, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if alice.ID != aliceID || alice.PhoneNumber != "+41791234567" || !alice.EmailConfirmed || alice.AccessFailedCount != 2 || alice.SecurityStamp == "STAMP" {
		t.Fatalf("alice=%+v", alice)
	}
	bob, _ := f.store.FindUserByEmail(ctx, "bob@example.com")
	if bob.ID == "42" || bob.UserName != "bobby" || bob.LockoutEnd.Year() != 2999 {
		t.Fatalf("bob=%+v", bob)
	}
	// carol's LockoutEnd is ignored, as ASP.NET does with lockout off.
	if carol, _ := f.store.FindUserByEmail(ctx, "carol@example.com"); !carol.LockoutEnd.IsZero() || carol.PasswordHash != "" {
		t.Fatalf("carol=%+v", carol)
	}
	if a, _ := f.store.UserAttributes(ctx, bob.ID); a[ImportedIDAttribute] != "42" {
		t.Fatalf("bob's old id is not kept: %v", a)
	}
	if evs, _ := f.store.ListEvents(ctx, alice.ID, 0, 5); len(evs) != 1 || evs[0].Kind != EventImported || evs[0].Detail != "ASP.NET Core Identity" {
		t.Fatalf("alice's history=%+v", evs)
	}
	// The V2 password signs in once and is argon2id from then on.
	if _, err := f.svc.PasswordSignIn(ctx, Client{IP: "192.0.2.1"}, "alice@example.com", "wrong password"); !errors.Is(err, ErrInvalidLogin) {
		t.Fatalf("wrong password: %v", err)
	}
	res, err := f.svc.PasswordSignIn(ctx, Client{IP: "192.0.2.1"}, "alice@example.com", "alice password")
	if err != nil || !res.Complete() {
		t.Fatal(res, err)
	}
	u := res.User
	if !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
		t.Fatalf("after sign-in the hash is %q", u.PasswordHash)
	}
	if _, err := f.svc.PasswordSignIn(ctx, Client{IP: "192.0.2.1"}, "alice@example.com", "alice password"); err != nil {
		t.Fatalf("second sign-in with the upgraded hash: %v", err)
	}
	// No mail at import, not even to the unconfirmed address.
	if err := f.svc.MailQueue().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if len(f.mail.sent) != 0 {
		t.Fatalf("the import sent %d mails", len(f.mail.sent))
	}

	// Importing again changes nothing.
	again := f.mustImport(t, aspnetOpts(aspnetUsersCSV()))
	if again.Created != 0 || again.Existing != 3 {
		t.Fatalf("re-import report=%+v", again)
	}
	if us, _ := f.store.ListUsers(ctx, 0, 10); len(us) != 3 {
		t.Fatalf("%d users after a re-import", len(us))
	}
	// --update refreshes, but never replaces a password upgraded in Portal.
	up := aspnetOpts(strings.Replace(aspnetUsersCSV(), "+41 79 123 45 67", "+41 79 765 43 21", 1))
	up.Update = true
	if rep := f.mustImport(t, up); rep.Updated != 3 {
		t.Fatalf("update report=%+v", rep)
	}
	alice2, _ := f.store.FindUserByID(ctx, aliceID)
	if alice2.PhoneNumber != "+41797654321" || alice2.PasswordHash != u.PasswordHash {
		t.Fatalf("after --update alice=%+v", alice2)
	}
}

func TestImportBadRowImportsNothing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	users := aspnetUsersCSV() + "d0000000-0000-4000-8000-000000000009,dave,X,not-an-address,X,1,NULL,S,c,NULL,0,0,NULL,1,0,\r\n" +
		"d0000000-0000-4000-8000-00000000000a,erin@example.com,X,erin@example.com,X,1,md5$abc$def,S,c,NULL,0,0,NULL,1,0,\r\n"
	rep, err := f.svc.ImportUsers(ctx, aspnetOpts(users))
	if !errors.Is(err, ErrImportRefused) || rep.Written {
		t.Fatalf("err=%v report=%+v", err, rep)
	}
	var got []string
	for _, p := range rep.Problems {
		got = append(got, p.String())
	}
	if len(got) != 2 || !strings.HasPrefix(got[0], "users.csv line 6: the address") || !strings.HasPrefix(got[1], "users.csv line 7: the password hash") {
		t.Fatalf("problems=%q", got)
	}
	if us, _ := f.store.ListUsers(ctx, 0, 10); len(us) != 0 {
		t.Fatalf("%d users written by a refused import", len(us))
	}
	// A dry run reports the same and writes nothing either.
	o := aspnetOpts(users)
	o.DryRun = true
	if rep, _ := f.svc.ImportUsers(ctx, o); rep.Created != 3 || len(rep.Problems) != 2 || rep.Written {
		t.Fatalf("dry run report=%+v", rep)
	}
	if us, _ := f.store.ListUsers(ctx, 0, 10); len(us) != 0 {
		t.Fatalf("%d users written by a dry run", len(us))
	}
	o = aspnetOpts(users)
	o.SkipBadRows = true
	if rep := f.mustImport(t, o); rep.Created != 3 || rep.Bad != 2 {
		t.Fatalf("--skip-bad-rows report=%+v", rep)
	}
}

func TestImportASPNetLoginsAndTokens(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	key := "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	users := "Id,Email,UserName,EmailConfirmed,PasswordHash,TwoFactorEnabled\n" +
		aliceID + ",alice@example.com,alice@example.com,1," + aspnetV2("alice password", seqSalt(16)) + ",1\n"
	logins := "LoginProvider,ProviderKey,ProviderDisplayName,UserId\nGoogle,1234567890,Google," + aliceID + "\nOpenIdConnect,sub-9,Acme SSO," + aliceID + "\n"
	tokens := "UserId,LoginProvider,Name,Value\n" +
		aliceID + ",[AspNetUserStore],AuthenticatorKey," + key + "\n" +
		aliceID + ",[AspNetUserStore],RecoveryCodes,7F3A9C21;BCDFG-HJKMN\n" +
		aliceID + ",Google,access_token,secret\n"
	o := aspnetOpts(users)
	o.Logins, o.LoginsName = strings.NewReader(logins), "logins.csv"
	o.Tokens, o.TokensName = strings.NewReader(tokens), "tokens.csv"
	o.Providers = map[string]string{"OpenIdConnect": "acme"}
	rep := f.mustImport(t, o)
	if rep.Logins != 2 || rep.AuthenticatorKeys != 1 || rep.RecoveryCodes != 2 {
		t.Fatalf("report=%+v", rep)
	}
	for _, k := range []store.LoginKey{{Provider: "google", Subject: "1234567890"}, {Provider: "acme", Subject: "sub-9"}} {
		if l, err := f.store.FindExternalLogin(ctx, k.Provider, k.Subject); err != nil || l.UserID != aliceID {
			t.Fatalf("login %v: %+v, %v", k, l, err)
		}
	}
	firstStep := func() *PendingSignIn {
		t.Helper()
		res, err := f.svc.PasswordSignIn(ctx, Client{IP: "192.0.2.1"}, "alice@example.com", "alice password")
		if err != nil || res.Pending == nil {
			t.Fatalf("sign-in: %+v, %v; want a pending second factor", res, err)
		}
		return res.Pending
	}
	code, _ := totp.GenerateCode(key, f.clock.Now())
	if _, err := f.svc.TwoFactorSignIn(ctx, Client{IP: "192.0.2.1"}, firstStep(), code); err != nil {
		t.Fatalf("a code of the imported key: %v", err)
	}
	for _, c := range []string{"7f3a9c21", "bcdfg-hjkmn"} {
		if _, err := f.svc.RecoveryCodeSignIn(ctx, Client{IP: "192.0.2.1"}, firstStep(), c); err != nil {
			t.Fatalf("imported recovery code %s: %v", c, err)
		}
	}
	// Two-factor on without a key is refused, never imported without it.
	o = aspnetOpts(strings.Replace(users, aliceID, "e0000000-0000-4000-8000-000000000001", 1))
	o.Users = strings.NewReader(strings.Replace(strings.Replace(users, aliceID, "e0000000-0000-4000-8000-000000000001", 1), "alice@", "eve@", 2))
	if _, err := f.svc.ImportUsers(ctx, o); !errors.Is(err, ErrImportRefused) {
		t.Fatalf("2FA without a key: %v", err)
	}
}

func TestImportCSVAndKratos(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	bc, _ := bcrypt.GenerateFromPassword([]byte("devise password"), bcrypt.MinCost)
	dk, _ := pbkdf2.Key(sha256.New, "django password", []byte("pepper"), 1000, 32)
	django := "pbkdf2_sha256$1000$pepper$" + base64.StdEncoding.EncodeToString(dk)
	argon, _ := f.svc.hasher.Hash(ctx, "argon password")
	users := "email,password_hash,email_confirmed,username,id,created_at\n" +
		"dee@example.com," + string(bc) + ",true,dee,,2020-01-02T03:04:05Z\n" +
		"jan@example.com," + django + ",true,,7,\n" +
		"ari@example.com,\"" + argon + "\",false,,,\n" +
		"dja2@example.com,\"argon2" + argon + "\",true,,,\n"
	rep := f.mustImport(t, ImportOptions{Format: ImportCSV, Users: strings.NewReader(users), UsersName: "u.csv"})
	if rep.Created != 4 {
		t.Fatalf("report=%+v", rep)
	}
	for email, pw := range map[string]string{"dee@example.com": "devise password", "jan@example.com": "django password", "dja2@example.com": "argon password"} {
		if _, err := f.svc.PasswordSignIn(ctx, Client{IP: "192.0.2.1"}, email, pw+"!"); err == nil {
			t.Fatalf("%s: a wrong password signed in", email)
		}
		res, err := f.svc.PasswordSignIn(ctx, Client{IP: "192.0.2.1"}, email, pw)
		if err != nil || !strings.HasPrefix(res.User.PasswordHash, "$argon2id$") {
			t.Fatalf("%s: %+v, %v", email, res, err)
		}
	}
	if dee, _ := f.store.FindUserByEmail(ctx, "dee@example.com"); dee.CreatedAt.Year() != 2020 || dee.UserName != "dee" {
		t.Fatalf("dee=%+v", dee)
	}
	// Unconfirmed: the right password does not sign in until confirmed.
	if _, err := f.svc.PasswordSignIn(ctx, Client{IP: "192.0.2.1"}, "ari@example.com", "argon password"); !errors.Is(err, ErrEmailUnconfirmed) {
		t.Fatalf("unconfirmed import signed in: %v", err)
	}

	kid := "9b3c1c0e-6a3b-4f7e-9d5a-2f1d3c4b5a69"
	kratos := fmt.Sprintf(`[
  {
    "id": %q,
    "schema_id": "default",
    "traits": {"email": "kim@example.com"},
    "verifiable_addresses": [{"value": "kim@example.com", "verified": true, "via": "email", "status": "completed"}],
    "credentials": {
      "password": {"type": "password", "identifiers": ["kim@example.com"], "config": {"hashed_password": %q}},
      "oidc": {"type": "oidc", "identifiers": ["github:777"], "config": {"providers": [{"subject": "777", "provider": "github"}]}},
      "totp": {"type": "totp", "config": {"totp_url": "otpauth://totp/Example:kim@example.com?issuer=Example&secret=JBSWY3DPEHPK3PXP"}},
      "lookup_secret": {"type": "lookup_secret", "config": {"lookup_secrets": [{"code": "k4a7x9q2"}, {"code": "z8m3w5p1", "used_at": "2024-01-01T00:00:00Z"}]}}
    },
    "created_at": "2023-05-06T07:08:09.123Z"
  },
  {
    "id": "00000000-0000-4000-8000-000000000000",
    "traits": {"email": "lee@example.com"},
    "credentials": {"password": {"config": {"hashed_password": "{SSHA}unknown"}}}
  }
]`, kid, string(bc))
	rep, err := f.svc.ImportUsers(ctx, ImportOptions{Format: ImportKratos, Users: strings.NewReader(kratos), UsersName: "ids.json"})
	if !errors.Is(err, ErrImportRefused) || len(rep.Problems) != 1 || rep.Problems[0].Line != 15 {
		t.Fatalf("kratos with an unknown hash: %v %+v", err, rep)
	}
	rep = f.mustImport(t, ImportOptions{Format: ImportKratos, Users: strings.NewReader(kratos), UsersName: "ids.json", SkipBadRows: true})
	if rep.Created != 1 || rep.Logins != 1 {
		t.Fatalf("kratos report=%+v", rep)
	}
	if rep.AuthenticatorKeys != 1 || rep.RecoveryCodes != 1 {
		t.Fatalf("kratos 2FA: report=%+v", rep)
	}
	kimStep := func() *PendingSignIn {
		t.Helper()
		res, err := f.svc.PasswordSignIn(ctx, Client{IP: "192.0.2.1"}, "kim@example.com", "devise password")
		if err != nil || res.Pending == nil || res.Pending.UserID != kid {
			t.Fatalf("kim: %+v, %v; want a pending second factor", res, err)
		}
		return res.Pending
	}
	code, _ := totp.GenerateCode("JBSWY3DPEHPK3PXP", f.clock.Now())
	if _, err := f.svc.TwoFactorSignIn(ctx, Client{IP: "192.0.2.1"}, kimStep(), code); err != nil {
		t.Fatalf("kim's Kratos TOTP key: %v", err)
	}
	if _, err := f.svc.RecoveryCodeSignIn(ctx, Client{IP: "192.0.2.1"}, kimStep(), "K4A7X9Q2"); err != nil {
		t.Fatalf("kim's Kratos lookup secret: %v", err)
	}
	if l, err := f.store.FindExternalLogin(ctx, "github", "777"); err != nil || l.UserID != kid {
		t.Fatalf("kim's github login: %+v, %v", l, err)
	}
}

// An imported address is stored and mailed in the form registration
// stores it (REG-02): the domain in its IDNA ASCII form, so a later
// sign-in or registration with either spelling finds the one account.
func TestImportStoresCanonicalAddress(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	csv := "Id,UserName,Email,EmailConfirmed,PasswordHash\r\n" +
		"c0ffee00-0000-4000-8000-000000000002,anna,anna@bücher.example,1," + aspnetV2("anna password", seqSalt(16)) + "\r\n"
	if rep := f.mustImport(t, aspnetOpts(csv)); rep.Created != 1 {
		t.Fatalf("report=%+v", rep)
	}
	u, err := f.store.FindUserByEmail(ctx, NormalizeEmail("anna@xn--bcher-kva.example"))
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "anna@xn--bcher-kva.example" {
		t.Fatalf("stored address %q, want the IDNA ASCII domain registration stores", u.Email)
	}
}
