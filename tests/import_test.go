package tests

// End-to-end tests of `portal users import` (issue 23): accounts moved in
// from ASP.NET Core Identity and other systems sign in through the real
// login flow with the passwords they had, are upgraded to argon2id at that
// sign-in, keep their ids, external logins and authenticator keys. The
// import is the same identity call the command makes. On PostgreSQL too
// when PORTAL_TEST_POSTGRES_URL is set.

import (
	"context"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/internal/portaltest"
)

// imAspNetV2 and imAspNetV3 lay out ASP.NET Core Identity's PasswordHasher
// formats from a known salt (identity's tests check the layout against
// ASP.NET's own vectors).
func imAspNetV2(password string, salt []byte) string {
	key, _ := pbkdf2.Key(sha1.New, password, salt, 1000, 32)
	return base64.StdEncoding.EncodeToString(append(append([]byte{0}, salt...), key...))
}

func imAspNetV3(password string, prf uint32, iter int, salt []byte) string {
	h := []func() hash.Hash{sha1.New, sha256.New, sha512.New}[prf]
	key, _ := pbkdf2.Key(h, password, salt, iter, 32)
	b := []byte{1}
	b = binary.BigEndian.AppendUint32(b, prf)
	b = binary.BigEndian.AppendUint32(b, uint32(iter))
	b = binary.BigEndian.AppendUint32(b, uint32(len(salt)))
	return base64.StdEncoding.EncodeToString(append(append(b, salt...), key...))
}

var imSalt = []byte("sixteen byte slt")

const (
	imAnnID  = "6f9619ff-8b86-4011-b42d-00c04fc964ff"
	imBenID  = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
	imCatID  = "17" // an int key: Portal gives a new id
	imAnnPW  = "ann's old password"
	imBenPW  = "ben's old password"
	imCatPW  = "cat's old password"
	imBenKey = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
)

// imFiles are an AspNetUsers, AspNetUserLogins and AspNetUserTokens export
// as psql's \copy … CSV HEADER writes them (t/f booleans).
func imFiles() (users, logins, tokens string) {
	users = "Id,UserName,NormalizedUserName,Email,NormalizedEmail,EmailConfirmed,PasswordHash,SecurityStamp,ConcurrencyStamp,PhoneNumber,PhoneNumberConfirmed,TwoFactorEnabled,LockoutEnd,LockoutEnabled,AccessFailedCount\n" +
		imAnnID + ",ann@example.com,ANN@EXAMPLE.COM,ann@example.com,ANN@EXAMPLE.COM,t," + imAspNetV2(imAnnPW, imSalt) + ",S1,C1,,f,f,,t,0\n" +
		imBenID + ",ben@example.com,BEN@EXAMPLE.COM,ben@example.com,BEN@EXAMPLE.COM,t," + imAspNetV3(imBenPW, 2, 100000, imSalt) + ",S2,C2,+15555550100,t,t,,t,0\n" +
		imCatID + ",cat,CAT,cat@example.com,CAT@EXAMPLE.COM,t," + imAspNetV3(imCatPW, 1, 10000, imSalt) + ",S3,C3,,f,f,,t,0\n"
	logins = "LoginProvider,ProviderKey,ProviderDisplayName,UserId\n" +
		"OpenIdConnect,SUB,Acme SSO," + imAnnID + "\n"
	tokens = "UserId,LoginProvider,Name,Value\n" +
		imBenID + ",[AspNetUserStore],AuthenticatorKey," + imBenKey + "\n" +
		imBenID + ",[AspNetUserStore],RecoveryCodes,2BCDF-GHJKM;3BCDF-GHJKM\n"
	return users, logins, tokens
}

func imImport(t testing.TB, srv *portaltest.Server, o identity.ImportOptions) (*identity.ImportReport, error) {
	t.Helper()
	return srv.Portal.Identity().ImportUsers(context.Background(), o)
}

func imASPNet(users, logins, tokens string) identity.ImportOptions {
	o := identity.ImportOptions{Format: identity.ImportASPNet, Users: strings.NewReader(users), UsersName: "AspNetUsers.csv",
		Providers: map[string]string{"OpenIdConnect": oxSlug}}
	if logins != "" {
		o.Logins, o.LoginsName = strings.NewReader(logins), "AspNetUserLogins.csv"
	}
	if tokens != "" {
		o.Tokens, o.TokensName = strings.NewReader(tokens), "AspNetUserTokens.csv"
	}
	return o
}

// imCount counts the accounts through identity (so on PostgreSQL too).
func imCount(t testing.TB, srv *portaltest.Server) int {
	t.Helper()
	us, err := srv.Portal.Identity().ListUsers(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return len(us)
}

func imHash(t testing.TB, srv *portaltest.Server, email string) (id, hash string) {
	t.Helper()
	u, err := srv.Portal.Identity().FindUserByEmail(context.Background(), email)
	if err != nil {
		t.Fatalf("FindUserByEmail(%s): %v", email, err)
	}
	return u.ID, u.PasswordHash
}

// TestImportASPNetSignIn: each imported password signs in once through
// the login form and is argon2id afterwards; a wrong one fails; ids are
// kept (or, for an int key, replaced); the history names the system; the
// imported authenticator key and external login sign in.
func TestImportASPNetSignIn(t *testing.T) {
	t.Parallel()
	op := newOxOP(t)
	srv := oxServer(t, op)
	users, logins, tokens := imFiles()
	logins = strings.Replace(logins, "SUB", op.User().Sub, 1)
	rep, err := imImport(t, srv, imASPNet(users, logins, tokens))
	if err != nil || rep.Created != 3 || rep.Logins != 1 || rep.AuthenticatorKeys != 1 || rep.RecoveryCodes != 2 {
		t.Fatalf("import: %v, %+v", err, rep)
	}
	if got := srv.Mails(t); len(got) != 0 {
		t.Fatalf("the import sent %d mails", len(got))
	}

	for _, u := range []struct{ email, pw, id string }{
		{"ann@example.com", imAnnPW, imAnnID},
		{"cat@example.com", imCatPW, ""},
	} {
		id, before := imHash(t, srv, u.email)
		if u.id != "" && id != u.id {
			t.Fatalf("%s: id %s, want the imported %s", u.email, id, u.id)
		}
		if u.id == "" && id == imCatID {
			t.Fatalf("%s kept the non-UUID id %s", u.email, id)
		}
		c := portaltest.NewClient(t, srv)
		portaltest.WantStatus(t, c.Login(u.email, u.pw+"x", false), http.StatusUnprocessableEntity)
		portaltest.WantRedirect(t, c.Login(u.email, u.pw, false), "/")
		if !c.SignedIn() {
			t.Fatalf("%s: not signed in after the login form", u.email)
		}
		if _, after := imHash(t, srv, u.email); after == before || !strings.HasPrefix(after, "$argon2id$") {
			t.Fatalf("%s: hash after sign-in %q, want argon2id", u.email, after)
		}
		c2 := portaltest.NewClient(t, srv)
		portaltest.WantRedirect(t, c2.Login(u.email, u.pw, false), "/")
		sec := c2.Get(pdSecurityPath)
		found := false
		for _, e := range pdEvents(t, sec) {
			found = found || (e.Kind == identity.EventImported && strings.Contains(e.Text, "imported from ASP.NET Core Identity"))
		}
		if !found {
			t.Fatalf("%s: no import in the security history: %+v", u.email, pdEvents(t, sec))
		}
	}

	// ben has two-factor on: the password leads to the code page, and a
	// code from the imported key signs in; so does an imported recovery
	// code.
	c := portaltest.NewClient(t, srv)
	p := c.Login("ben@example.com", imBenPW, false)
	portaltest.WantRedirect(t, p, tf2FAPath)
	portaltest.WantRedirect(t, tfSubmitCode(c, tfCode(t, srv, imBenKey, 0), false), "/")
	if !c.SignedIn() {
		t.Fatal("ben: not signed in with a code of the imported key")
	}
	c = portaltest.NewClient(t, srv)
	portaltest.WantRedirect(t, c.Login("ben@example.com", imBenPW, false), tf2FAPath)
	portaltest.WantRedirect(t, tfSubmitRecovery(c, "3bcdf-ghjkm"), "/")

	// ann's imported external login signs in through the provider.
	c = portaltest.NewClient(t, srv)
	portaltest.WantRedirect(t, oxLogin(t, c, op), "/")
	oxWantSignedIn(t, c, "ann@example.com")
}

// TestImportRefusesBadFile: a malformed row names its line and nothing is
// imported; a dry run writes nothing; importing twice creates nothing the
// second time.
func TestImportRefusesBadFile(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	users, _, _ := imFiles()
	// Without the tokens file ben's two-factor flag would be a problem.
	users = strings.Replace(users, ",+15555550100,t,t,", ",+15555550100,t,f,", 1)
	bad := users + "8a7b6c5d-0000-4000-8000-000000000001,dan,DAN,dan@example.com,DAN,t,\"$1$md5crypt$notverifiable\",S,C,,f,f,,t,0\n" +
		"8a7b6c5d-0000-4000-8000-000000000002,eve,EVE,eve@example.com,EVE,maybe,,S,C,,f,f,,t,0\n"
	rep, err := imImport(t, srv, imASPNet(bad, "", ""))
	if !errors.Is(err, identity.ErrImportRefused) {
		t.Fatalf("import of a bad file: %v", err)
	}
	lines := map[int]string{}
	for _, p := range rep.Problems {
		lines[p.Line] = p.String()
	}
	if len(rep.Problems) != 2 || !strings.Contains(lines[5], "password hash") || !strings.Contains(lines[6], "EmailConfirmed") {
		t.Fatalf("problems=%v, want line 5 (the hash) and line 6 (EmailConfirmed)", rep.Problems)
	}
	if n := imCount(t, srv); n != 0 {
		t.Fatalf("%d accounts after a refused import", n)
	}
	c := portaltest.NewClient(t, srv)
	portaltest.WantStatus(t, c.Login("ann@example.com", imAnnPW, false), http.StatusUnprocessableEntity)

	o := imASPNet(users, "", "")
	o.DryRun = true
	if rep, err := imImport(t, srv, o); err != nil || rep.Created != 3 || rep.Written {
		t.Fatalf("dry run: %v, %+v", err, rep)
	}
	if n := imCount(t, srv); n != 0 {
		t.Fatalf("%d accounts after a dry run", n)
	}
	for range 2 {
		if _, err := imImport(t, srv, imASPNet(users, "", "")); err != nil {
			t.Fatal(err)
		}
	}
	if n := imCount(t, srv); n != 3 {
		t.Fatalf("%d accounts after importing twice, want 3", n)
	}
	rep, err = imImport(t, srv, imASPNet(users, "", ""))
	if err != nil || rep.Existing != 3 || rep.Created != 0 {
		t.Fatalf("third import: %v, %+v", err, rep)
	}
}

// TestImportOtherSystems: bcrypt (Devise) and Django hashes from --format
// csv sign in once and are upgraded; an unconfirmed address must confirm
// as usual.
func TestImportOtherSystems(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	bc, _ := bcrypt.GenerateFromPassword([]byte("devise password"), bcrypt.MinCost)
	dk, _ := pbkdf2.Key(sha256.New, "django password", []byte("NaCl4salt"), 1000, 32)
	users := "email,password_hash,email_confirmed\n" +
		"dev@example.com," + string(bc) + ",true\n" +
		"dja@example.com,pbkdf2_sha256$1000$NaCl4salt$" + base64.StdEncoding.EncodeToString(dk) + ",true\n" +
		"new@example.com," + string(bc) + ",false\n"
	rep, err := imImport(t, srv, identity.ImportOptions{Format: identity.ImportCSV, Users: strings.NewReader(users), UsersName: "u.csv"})
	if err != nil || rep.Created != 3 || rep.Unconfirmed != 1 {
		t.Fatalf("import: %v, %+v", err, rep)
	}
	for email, pw := range map[string]string{"dev@example.com": "devise password", "dja@example.com": "django password"} {
		c := portaltest.NewClient(t, srv)
		portaltest.WantStatus(t, c.Login(email, "not "+pw, false), http.StatusUnprocessableEntity)
		portaltest.WantRedirect(t, c.Login(email, pw, false), "/")
		if _, h := imHash(t, srv, email); !strings.HasPrefix(h, "$argon2id$") {
			t.Fatalf("%s: hash after sign-in %q", email, h)
		}
	}
	c := portaltest.NewClient(t, srv)
	portaltest.WantStatus(t, c.Login("new@example.com", "devise password", false), http.StatusForbidden) // unconfirmed (issue 18 item 4)
	if got := srv.Mails(t); len(got) != 0 {
		t.Fatalf("the import sent %d mails", len(got))
	}
}
