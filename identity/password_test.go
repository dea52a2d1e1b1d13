package identity

import (
	"context"
	"errors"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accountportal/portal/store"
)

func TestPasswordPolicy(t *testing.T) {
	p := DefaultPasswordPolicy
	tests := []struct {
		name, password, email string
		wantErr               string // substring of the message, "" for accepted
	}{
		{"empty", "", "a@example.com", "Enter a password"},
		{"7 chars", "abcdefg", "a@example.com", "at least 8"},
		{"8 chars", "kx7!pq2z", "a@example.com", ""},
		{"128 chars", strings.Repeat("abcdefg", 18) + "xy", "a@example.com", ""},
		{"129 chars", strings.Repeat("ab", 64) + "c", "a@example.com", "at most 128"},
		{"passphrase", "correct horse battery staple lake", "a@example.com", ""},
		{"emoji and CJK", "🐱🐶🐭🐹 日本語のパス", "a@example.com", ""},
		{"common", "password123", "a@example.com", "most common"},
		{"common any case", "PassWord123", "a@example.com", "most common"},
		{"common long", "qwertyuiop", "a@example.com", "most common"},
		{"is the email", "alice@example.com", "alice@example.com", "email"},
		{"contains the email", "xxALICE@example.comxx", "alice@example.com", "email"},
		{"local part", "alicealice", "alicealice@example.com", "email"},
		{"local part plus digits", "alicealice2026", "alicealice@example.com", "email"},
		// PWD-03: context words and repetition (issue 17 item 15).
		{"repeated word", "passwordpassword", "a@example.com", "repeated"},
		{"repeated with separator", "Sunflower-Sunflower", "a@example.com", "repeated"},
		{"repeated then digits", "dragonflydragonfly2026", "a@example.com", "repeated"},
		{"one character", "zzzzzzzzzzzzzzzz", "a@example.com", "repeated"},
		{"site name and year", "AcmePortal2025!!", "a@example.com", "site"},
		{"site word and digits", "portal!12345678", "a@example.com", "site"},
		{"site name with a little", "myportal2026", "a@example.com", "site"},
		{"local part and symbols", "Jonathan#2026!", "jonathan@example.com", "email"},
		{"local part inside", "xx-jonathan-2026", "jonathan@example.com", "email"},
		{"passphrase with the site name", "i log in to portal every morning", "a@example.com", ""},
		{"passphrase with the local part", "jonathan likes green tea", "jonathan@example.com", ""},
		{"short local part", "bo tells a long story", "bo@example.com", ""},
		{"control char", "abc\x00defghij", "a@example.com", "not allowed"},
		{"invalid utf8", "abc\xffdefghij", "a@example.com", "not allowed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := p.CheckSite(tc.password, tc.email, "Acme Portal")
			if tc.wantErr == "" && got != "" {
				t.Fatalf("Check(%q)=%q, want accepted", tc.password, got)
			}
			if tc.wantErr != "" && !strings.Contains(got, tc.wantErr) {
				t.Fatalf("Check(%q)=%q, want a message containing %q", tc.password, got, tc.wantErr)
			}
		})
	}
}

func TestPasswordLengthCountsCodePoints(t *testing.T) {
	// 8 code points, 24 bytes: accepted; 7 code points of 3 bytes: refused.
	if msg := DefaultPasswordPolicy.Check("日本語日本語日本", "a@example.com"); msg != "" {
		t.Fatalf("8 CJK code points refused: %q", msg)
	}
	if msg := DefaultPasswordPolicy.Check("日本語日本語日", "a@example.com"); msg == "" {
		t.Fatal("7 CJK code points accepted")
	}
}

func TestNormalizePasswordNFC(t *testing.T) {
	nfd, nfc := "cafe\u0301-au-lait", "caf\u00e9-au-lait"
	if NormalizePassword(nfd) != NormalizePassword(nfc) {
		t.Fatal("NFD and NFC forms of one password normalise differently (PWD-02)")
	}
}

func TestCommonPasswordList(t *testing.T) {
	for _, pw := range []string{"password", "12345678", "iloveyou", "sunshine"} {
		if !IsCommonPassword(pw) {
			t.Errorf("%q not in the bundled list", pw)
		}
	}
	if IsCommonPassword("correct horse battery staple lake") {
		t.Error("a passphrase is in the list")
	}
	if n := len(commonPasswords); n < 10000 {
		t.Errorf("bundled list has %d entries, want ≥ 10000", n)
	}
}

func TestValidateEmail(t *testing.T) {
	for _, ok := range []string{"alice@example.com", "a.b+tag@sub.example.org", "Zoë@exämple.ch", "ceo@\u0130bm.com"} {
		if msg := ValidateEmail(ok); msg != "" {
			t.Errorf("ValidateEmail(%q)=%q, want ok", ok, msg)
		}
	}
	for _, bad := range []string{"", "not-an-email", "a@b", "Alice <a@example.com>", "a@example..com", "a@-x.com",
		"a@.example.com", "a b@example.com", "a@exa\nmple.com", strings.Repeat("x", 65) + "@example.com",
		"a@" + strings.Repeat("x", 250) + ".com", "a@[127.0.0.1]"} {
		if msg := ValidateEmail(bad); msg == "" {
			t.Errorf("ValidateEmail(%q) accepted", bad)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	if got, want := NormalizeEmail("  Alice@Example.COM "), "alice@example.com"; got != want {
		t.Fatalf("NormalizeEmail=%q, want %q", got, want)
	}
	if NormalizeEmail("zoe\u0308@example.com") != NormalizeEmail("Zo\u00eb@example.com") {
		t.Fatal("NFD and NFC addresses normalise differently (REG-02)")
	}
}

// TestRegisterRefusesSiteNamePassword: every place that sets a password
// passes the site's name as a context word (PWD-03, issue 17 item 15).
func TestRegisterRefusesSiteNamePassword(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.SiteName = "Kestrel Cloud" })
	ctx := context.Background()
	for pw, key := range map[string]string{
		"Kestrel2025!!":     "errors.password_contains_site",
		"kestrelcloud-2026": "errors.password_contains_site",
		"passwordpassword":  "errors.password_repeated",
	} {
		_, err := f.svc.Register(ctx, Client{}, RegisterInput{Email: "ann@example.com", Password: pw})
		var e *Error
		if !errors.As(err, &e) || e.fieldMsgs["password"].Key != key {
			t.Errorf("Register with %q: err=%v, want the password refused with %s", pw, err, key)
		}
	}
	if _, err := f.svc.Register(ctx, Client{}, RegisterInput{Email: "ann@example.com", Password: "kestrels hunt over cloudy hills"}); err != nil {
		t.Fatalf("a passphrase with a site word refused: %v", err)
	}
}

// TestLookalikeAddresses (REG-02, issue 17 item 3): characters that
// normalise or lower-case into other letters, compatibility forms and
// Latin mixed with Cyrillic or Greek are refused; plain Unicode addresses
// (German, Greek, Japanese) are fine; domains are compared in IDNA form.
func TestLookalikeAddresses(t *testing.T) {
	for _, bad := range []string{
		"\u212Aate@example.com",  // KELVIN SIGN, NFC is K
		"\u2126mega@example.com", // OHM SIGN, NFC is Ω
		"\u0130nci@example.com",  // İ lower-cases to i
		"ｋａｔｅ@example.com",       // full width
		"\ufb01le@example.com",   // ﬁ ligature
		"x\u00b2@example.com",    // superscript two
		"k\u0430te@example.com",  // Latin with a Cyrillic а
		"p\u03bfst@example.com",  // Latin with a Greek ο
		"a\u200db@example.com",   // zero-width joiner
		"a@ex_ample.com",         // not a host name
	} {
		if msg := ValidateEmail(bad); msg == "" {
			t.Errorf("ValidateEmail(%+q) accepted", bad)
		}
	}
	for _, ok := range []string{"zoë@exämple.ch", "zoe\u0308@example.com", "jürgen@straße.de", "σωκράτης@example.gr",
		"山田@example.jp", "yamada山田@example.jp", "T\u0308om@example.com", "ceo@\u0130bm.com"} {
		if msg := ValidateEmail(ok); msg != "" {
			t.Errorf("ValidateEmail(%+q)=%q, want ok", ok, msg)
		}
	}
	if a, b := NormalizeEmail("ceo@\u0130bm.com"), NormalizeEmail("ceo@ibm.com"); a == b {
		t.Errorf("ceo@İbm.com and ceo@ibm.com share the key %q", a)
	}
	if a, b := NormalizeEmail("Zoë@EXÄMPLE.ch"), NormalizeEmail("zoë@exämple.ch"); a != b || a != "zoë@exämple.ch" {
		t.Errorf("keys %q and %q, want both zoë@exämple.ch (unchanged from before IDNA)", a, b)
	}
	if got := CanonicalEmail(" Zoë@EXÄMPLE.ch "); got != "Zoë@xn--exmple-cua.ch" {
		t.Errorf("CanonicalEmail=%q, want the domain in IDNA ASCII form", got)
	}
	if a, ok := DomainASCII("\u0130bm.com"); !ok || a != "xn--ibm-8dc.com" {
		t.Errorf("DomainASCII(İbm.com)=%q, %v", a, ok)
	}
}

// TestLookalikeAddressEveryPath: the email change, external sign-up and
// the operator's create refuse a lookalike of another account's address;
// the address mailed is the one stored (REG-02, ACC-01).
func TestLookalikeAddressEveryPath(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.AllowedEmailDomains = []string{"ibm.com", "exämple.ch"} })
	ctx := context.Background()
	kelvin := "\u212Aate@ibm.com"
	if _, err := f.svc.Register(ctx, Client{}, RegisterInput{Email: kelvin, Password: pw}); err == nil {
		t.Fatal("Register took the Kelvin-sign address")
	}
	if _, err := f.svc.Register(ctx, Client{}, RegisterInput{Email: "ceo@\u0130bm.com", Password: pw}); err == nil {
		t.Fatal("Register took ceo@İbm.com with only ibm.com allowed")
	}
	u := f.mustRegister(t, "kate@ibm.com")
	if err := f.svc.RequestEmailChange(ctx, Client{}, u, kelvin); err == nil {
		t.Error("RequestEmailChange took the Kelvin-sign address")
	}
	ext := ExternalIdentity{Provider: "acme", ProviderName: "Acme", Subject: "s9", Email: kelvin, EmailVerified: true}
	if _, err := f.svc.StartExternalSignup(ctx, Client{}, ext, kelvin, "", nil); err == nil {
		t.Error("StartExternalSignup took the Kelvin-sign address")
	}
	if _, err := f.svc.AdminCreateUser(ctx, kelvin, "", true); err == nil {
		t.Error("AdminCreateUser took the Kelvin-sign address")
	}
	// An allowed IDN domain configured in Unicode matches its IDNA form.
	v := f.mustRegister(t, "zoë@EXÄMPLE.ch")
	if v.Email != "zoë@xn--exmple-cua.ch" || NormalizeEmail(v.Email) != v.NormalizedEmail {
		t.Errorf("stored %q (key %q): want the IDNA form, whose key is the stored key", v.Email, v.NormalizedEmail)
	}
	if to := f.lastMail(t).To; to != v.Email {
		t.Errorf("confirmation to %q, want the stored address %q", to, v.Email)
	}
}

// callCountingStore counts the store calls that would make a request's time
// depend on whether an address has an account.
type callCountingStore struct {
	store.Store
	mu    sync.Mutex
	calls map[string]int
}

func (c *callCountingStore) count(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[name]++
}

func (c *callCountingStore) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := maps.Clone(c.calls)
	clear(c.calls)
	return out
}

func (c *callCountingStore) FindUserByEmail(ctx context.Context, norm string) (*store.User, error) {
	c.count("FindUserByEmail")
	return c.Store.FindUserByEmail(ctx, norm)
}

func (c *callCountingStore) CreateToken(ctx context.Context, t *store.Token) error {
	c.count("CreateToken")
	return c.Store.CreateToken(ctx, t)
}

func (c *callCountingStore) EnqueueMail(ctx context.Context, m *store.OutboxMessage) error {
	c.count("EnqueueMail:" + m.Kind)
	return c.Store.EnqueueMail(ctx, m)
}

// TestEmailChangeSameWorkEitherWay (ACC-01, AUTH-02, issue 17 item 8): the
// email-change request answered ~25 % faster when the new address belonged
// to someone else (no token, no mail). Now the request makes the same
// store calls for a free and a taken address — the notice and one outbox
// job — and the worker decides; only the free address gets a link.
func TestEmailChangeSameWorkEitherWay(t *testing.T) {
	var cs *callCountingStore
	f := newFixture(t, func(o *Options) {
		cs = &callCountingStore{Store: o.Store, calls: map[string]int{}}
		o.Store = cs
	})
	ctx := context.Background()
	u := f.mustRegister(t, "ann@example.com")
	f.mustRegister(t, "taken@example.com")
	if err := f.svc.MailQueue().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	cs.snapshot()
	if err := f.svc.RequestEmailChange(ctx, Client{}, u, "taken@example.com"); err != nil {
		t.Fatal(err)
	}
	taken := cs.snapshot()
	f.clock.Advance(time.Minute)
	if err := f.svc.RequestEmailChange(ctx, Client{}, u, "free@example.com"); err != nil {
		t.Fatal(err)
	}
	free := cs.snapshot()
	if !maps.Equal(taken, free) {
		t.Fatalf("store calls differ: taken address %v, free address %v", taken, free)
	}
	if free["CreateToken"] != 0 || free["FindUserByEmail"] != 0 {
		t.Fatalf("the request looks the address up or makes a token itself: %v", free)
	}
	if err := f.svc.MailQueue().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	f.mail.mu.Lock()
	defer f.mail.mu.Unlock()
	links := map[string]int{}
	for _, m := range f.mail.sent {
		if strings.Contains(m.Text, "/account/confirm-email-change?") {
			links[m.To]++
		}
	}
	if links["free@example.com"] != 1 || links["taken@example.com"] != 0 {
		t.Fatalf("confirmation links by address %v, want one to free@ and none to taken@", links)
	}
}
