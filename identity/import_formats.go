package identity

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Import formats (ImportOptions.Format).
const (
	ImportASPNet = "aspnet-identity"
	ImportCSV    = "csv"
	ImportKratos = "kratos"
)

// importSystems names each format's system in the security history
// ("Account imported from …").
var importSystems = map[string]string{
	ImportASPNet: "ASP.NET Core Identity",
	ImportCSV:    "a CSV file",
	ImportKratos: "Ory Kratos",
}

// importRecord is one account as read from a file, before the checks.
type importRecord struct {
	file      string
	line      int
	oldID     string // the id in the old system
	email     string
	username  string
	phone     string
	confirmed bool
	hash      string
	lockout   time.Time
	failed    int
	twoFactor bool
	createdAt time.Time
	logins    []importLogin
	authKey   []byte // raw TOTP key
	codes     []string
	bad       bool
}

type importLogin struct {
	file        string
	line        int
	provider    string // Portal's slug
	subject     string
	displayName string
}

// csvTable reads a CSV file with a header row: columns by (case-folded)
// name, in any order; unknown columns are ignored. It understands what
// sqlcmd (-s"," -W), psql's \copy … CSV HEADER and sqlite3 -csv -header
// write: a byte-order mark, sqlcmd's line of dashes under the header, and
// NULL for a missing value.
type csvTable struct {
	r    *csv.Reader
	cols map[string]int
}

func newCSVTable(rd io.Reader, required ...string) (*csvTable, error) {
	r := csv.NewReader(rd)
	r.FieldsPerRecord = -1
	r.ReuseRecord = false
	header, err := r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the file is empty: the first line must name the columns")
		}
		return nil, fmt.Errorf("line 1: %v", err)
	}
	t := &csvTable{r: r, cols: map[string]int{}}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF")))
		h = strings.Trim(h, `"[]`)
		if _, dup := t.cols[h]; !dup && h != "" {
			t.cols[h] = i
		}
	}
	var missing []string
	for _, c := range required {
		if _, ok := t.cols[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("line 1 must name the columns; %s missing", strings.Join(missing, ", "))
	}
	return t, nil
}

// next returns the next row as a getter by column name and its line, or
// io.EOF. A row CSV cannot read is returned as an error naming the line.
func (t *csvTable) next() (get func(col string) string, line int, err error) {
	for {
		rec, err := t.r.Read()
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, pe.StartLine, fmt.Errorf("not readable as CSV: %v", pe.Err)
			}
			return nil, 0, err
		}
		line, _ = t.r.FieldPos(0)
		if isDashLine(rec) {
			continue // sqlcmd underlines the header
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		return func(col string) string {
			i, ok := t.cols[col]
			if !ok || i >= len(rec) {
				return ""
			}
			v := strings.TrimSpace(rec[i])
			if v == "NULL" {
				return ""
			}
			return v
		}, line, nil
	}
}

func isDashLine(rec []string) bool {
	for _, f := range rec {
		if strings.Trim(strings.TrimSpace(f), "-") != "" {
			return false
		}
	}
	return len(rec) > 0 && strings.Contains(rec[0], "-")
}

// parseBool reads the booleans of SQL Server (1/0, True/False), PostgreSQL
// (t/f, true/false) and SQLite (1/0); "" is false.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "1", "true", "t", "yes", "y":
		return true, nil
	case "0", "false", "f", "no", "n", "":
		return false, nil
	}
	return false, fmt.Errorf("%q is not true or false", s)
}

// timeLayouts are the forms of a datetimeoffset / timestamptz as the
// three databases' tools print it.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999 -07:00",
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999-07",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date and time", s)
}

// problems collects the problems of one import.
type problems struct{ list []ImportProblem }

func (p *problems) add(file string, line int, format string, args ...any) {
	p.list = append(p.list, ImportProblem{File: file, Line: line, Message: fmt.Sprintf(format, args...)})
}

// readCSV reads a CSV export whose header names required: each
// well-formed row goes to row; a malformed row is a problem on its line; a
// file without a usable header is an error.
func readCSV(rd io.Reader, file string, ps *problems, required []string, row func(get func(col string) string, line int)) error {
	t, err := newCSVTable(rd, required...)
	if err != nil {
		return fmt.Errorf("%s: %v", file, err)
	}
	for {
		get, line, err := t.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			if line == 0 {
				return fmt.Errorf("%s: %v", file, err)
			}
			ps.add(file, line, "%v", err)
			continue
		}
		row(get, line)
	}
}

// readASPNetUsers reads an AspNetUsers export.
func readASPNetUsers(rd io.Reader, file string, ps *problems) ([]*importRecord, error) {
	var out []*importRecord
	err := readCSV(rd, file, ps, []string{"id", "email"}, func(get func(string) string, line int) {
		r := &importRecord{file: file, line: line, oldID: get("id"), email: get("email"), username: get("username"),
			phone: get("phonenumber"), hash: get("passwordhash")}
		var errs []string
		var e error
		if r.confirmed, e = parseBool(get("emailconfirmed")); e != nil {
			errs = append(errs, "EmailConfirmed: "+e.Error())
		}
		if r.twoFactor, e = parseBool(get("twofactorenabled")); e != nil {
			errs = append(errs, "TwoFactorEnabled: "+e.Error())
		}
		if r.lockout, e = parseTime(get("lockoutend")); e != nil {
			errs = append(errs, "LockoutEnd: "+e.Error())
		}
		if v := get("lockoutenabled"); v != "" {
			// ASP.NET ignores LockoutEnd for an account with lockout off.
			if on, e := parseBool(v); e != nil {
				errs = append(errs, "LockoutEnabled: "+e.Error())
			} else if !on {
				r.lockout = time.Time{}
			}
		}
		if v := get("accessfailedcount"); v != "" {
			if r.failed, e = strconv.Atoi(v); e != nil || r.failed < 0 {
				errs = append(errs, fmt.Sprintf("AccessFailedCount: %q is not a count", v))
			}
		}
		if r.oldID == "" {
			errs = append(errs, "the Id is empty")
		}
		if len(errs) > 0 {
			ps.add(file, line, "%s", strings.Join(errs, "; "))
			r.bad = true
		}
		out = append(out, r)
	})
	return out, err
}

// aspnetProviders maps ASP.NET's authentication scheme names to Portal's
// provider slugs.
var aspnetProviders = map[string]string{
	"google": "google", "github": "github", "microsoft": "microsoft",
	"microsoftaccount": "microsoft", "microsoftonline": "microsoft",
}

// ProviderSlug is the Portal provider name an external login of another
// system maps to: the built-in providers by their names, anything else
// as the slug Portal derives from a provider's display name (lower case,
// letters, digits and dashes), so an OpenID Connect provider configured
// with that name finds its logins. mapping (old name → slug) comes first.
func ProviderSlug(name string, mapping map[string]string) string {
	if s, ok := mapping[name]; ok {
		return s
	}
	if s, ok := aspnetProviders[strings.ToLower(name)]; ok {
		return s
	}
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	return b.String()
}

// readASPNetLogins reads AspNetUserLogins and attaches each login to its
// user (by the old id).
func readASPNetLogins(rd io.Reader, file string, byOldID map[string]*importRecord, mapping map[string]string, ps *problems) error {
	return readCSV(rd, file, ps, []string{"loginprovider", "providerkey", "userid"}, func(get func(string) string, line int) {
		r, ok := byOldID[get("userid")]
		switch {
		case !ok:
			ps.add(file, line, "user %q is not in the users file", get("userid"))
		case get("providerkey") == "" || ProviderSlug(get("loginprovider"), mapping) == "":
			ps.add(file, line, "the LoginProvider or ProviderKey is empty")
			r.bad = true
		default:
			r.logins = append(r.logins, importLogin{file: file, line: line, provider: ProviderSlug(get("loginprovider"), mapping),
				subject: get("providerkey"), displayName: get("providerdisplayname")})
		}
	})
}

// readASPNetTokens reads AspNetUserTokens: the authenticator key and the
// recovery codes ASP.NET keeps under the [AspNetUserStore] provider; other
// tokens (an external provider's access tokens) are not needed.
func readASPNetTokens(rd io.Reader, file string, byOldID map[string]*importRecord, ps *problems) error {
	return readCSV(rd, file, ps, []string{"userid", "loginprovider", "name", "value"}, func(get func(string) string, line int) {
		if get("loginprovider") != "[AspNetUserStore]" {
			return
		}
		name := get("name")
		if name != "AuthenticatorKey" && name != "RecoveryCodes" {
			return
		}
		r, ok := byOldID[get("userid")]
		if !ok {
			ps.add(file, line, "user %q is not in the users file", get("userid"))
			return
		}
		if name == "AuthenticatorKey" {
			key, err := decodeAuthenticatorKey(get("value"))
			if err != nil {
				ps.add(file, line, "the authenticator key is not usable: %v", err)
				r.bad = true
				return
			}
			r.authKey = key
			return
		}
		for _, c := range strings.Split(get("value"), ";") {
			if c = strings.TrimSpace(c); c == "" {
				continue
			}
			if _, ok := canonicalRecoveryCode(c); !ok {
				ps.add(file, line, "a recovery code is not 6 to 16 letters and digits")
				r.bad = true
				break
			}
			r.codes = append(r.codes, c)
		}
	})
}

// decodeAuthenticatorKey reads a base32 TOTP key (ASP.NET's: 20 random
// bytes; spaces, case and padding do not matter).
func decodeAuthenticatorKey(s string) ([]byte, error) {
	s = strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(s))
	raw, err := b32.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, errors.New("not base32")
	}
	if len(raw) < 10 {
		return nil, errors.New("shorter than 80 bits")
	}
	return raw, nil
}

// readGenericCSV reads --format csv: email, password_hash and optionally
// email_confirmed, username, id, created_at.
func readGenericCSV(rd io.Reader, file string, ps *problems) ([]*importRecord, error) {
	var out []*importRecord
	err := readCSV(rd, file, ps, []string{"email", "password_hash"}, func(get func(string) string, line int) {
		r := &importRecord{file: file, line: line, oldID: get("id"), email: get("email"), username: get("username"), hash: get("password_hash")}
		var errs []string
		var e error
		if r.confirmed, e = parseBool(get("email_confirmed")); e != nil {
			errs = append(errs, "email_confirmed: "+e.Error())
		}
		if r.createdAt, e = parseTime(get("created_at")); e != nil {
			errs = append(errs, "created_at: "+e.Error())
		}
		if len(errs) > 0 {
			ps.add(file, line, "%s", strings.Join(errs, "; "))
			r.bad = true
		}
		out = append(out, r)
	})
	return out, err
}

// kratosIdentity is the part of an identity that Kratos' admin API and
// `kratos list identities --format json` print that Portal reads.
type kratosIdentity struct {
	ID     string `json:"id"`
	Traits struct {
		Email    string `json:"email"`
		Username string `json:"username"`
	} `json:"traits"`
	VerifiableAddresses []struct {
		Value    string `json:"value"`
		Verified bool   `json:"verified"`
		Via      string `json:"via"`
	} `json:"verifiable_addresses"`
	Credentials map[string]struct {
		Identifiers []string `json:"identifiers"`
		Config      struct {
			HashedPassword string `json:"hashed_password"`
			Providers      []struct {
				Provider string `json:"provider"`
				Subject  string `json:"subject"`
			} `json:"providers"`
			// TOTPURL is the totp credential's otpauth:// URI.
			TOTPURL string `json:"totp_url"`
			// LookupSecrets are the lookup_secret credential's recovery
			// codes; a used one has used_at.
			LookupSecrets []struct {
				Code   string `json:"code"`
				UsedAt string `json:"used_at"`
			} `json:"lookup_secrets"`
		} `json:"config"`
	} `json:"credentials"`
	CreatedAt string `json:"created_at"`
}

// readKratos reads a JSON array of identities (or a {"identities": […]}
// object, or identities one after another). Each identity's "line" is
// the line it starts on.
func readKratos(rd io.Reader, file string, mapping map[string]string, ps *problems) ([]*importRecord, error) {
	data, err := io.ReadAll(rd)
	if err != nil {
		return nil, err
	}
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%s: not UTF-8 JSON", file)
	}
	lineAt := func(off int64) int { return 1 + bytes.Count(data[:off], []byte("\n")) }
	dec := json.NewDecoder(bytes.NewReader(data))
	trimmed := bytes.TrimSpace(data)
	var out []*importRecord
	decodeOne := func() error {
		off := dec.InputOffset()
		// Skip the separator before the value for the line number.
		for off < int64(len(data)) && strings.ContainsRune(" \t\r\n,", rune(data[off])) {
			off++
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("%s line %d: not readable as JSON: %v", file, lineAt(off), err)
		}
		line := lineAt(off)
		var ki kratosIdentity
		if err := json.Unmarshal(raw, &ki); err != nil {
			ps.add(file, line, "not a Kratos identity: %v", err)
			return nil
		}
		out = append(out, kratosRecord(&ki, file, line, mapping, ps))
		return nil
	}
	switch {
	case len(trimmed) > 0 && trimmed[0] == '[':
		if _, err := dec.Token(); err != nil {
			return nil, fmt.Errorf("%s: %v", file, err)
		}
		for dec.More() {
			if err := decodeOne(); err != nil {
				return nil, err
			}
		}
	case bytes.HasPrefix(trimmed, []byte(`{"identities"`)):
		var wrapper struct {
			Identities []json.RawMessage `json:"identities"`
		}
		if err := json.Unmarshal(data, &wrapper); err != nil {
			return nil, fmt.Errorf("%s: not readable as JSON: %v", file, err)
		}
		for _, raw := range wrapper.Identities {
			line := lineAt(int64(bytes.Index(data, raw)))
			var ki kratosIdentity
			if err := json.Unmarshal(raw, &ki); err != nil {
				ps.add(file, line, "not a Kratos identity: %v", err)
				continue
			}
			out = append(out, kratosRecord(&ki, file, line, mapping, ps))
		}
	default:
		for dec.More() {
			if err := decodeOne(); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func kratosRecord(ki *kratosIdentity, file string, line int, mapping map[string]string, ps *problems) *importRecord {
	r := &importRecord{file: file, line: line, oldID: ki.ID, email: ki.Traits.Email, username: ki.Traits.Username}
	for _, a := range ki.VerifiableAddresses {
		if a.Via == "email" && NormalizeEmail(a.Value) == NormalizeEmail(r.email) && a.Verified {
			r.confirmed = true
		}
	}
	if c, ok := ki.Credentials["password"]; ok {
		r.hash = c.Config.HashedPassword
	}
	if c, ok := ki.Credentials["oidc"]; ok {
		for _, p := range c.Config.Providers {
			r.logins = append(r.logins, importLogin{file: file, line: line, provider: ProviderSlug(p.Provider, mapping), subject: p.Subject})
		}
	}
	if c, ok := ki.Credentials["totp"]; ok && c.Config.TOTPURL != "" {
		// Kratos' second factor: the key of its otpauth:// URI.
		u, err := url.Parse(c.Config.TOTPURL)
		key, kerr := []byte(nil), err
		if err == nil {
			key, kerr = decodeAuthenticatorKey(u.Query().Get("secret"))
		}
		if kerr != nil {
			ps.add(file, line, "the totp credential's key is not usable: %v", kerr)
			r.bad = true
		} else {
			r.authKey, r.twoFactor = key, true
		}
	}
	if c, ok := ki.Credentials["lookup_secret"]; ok {
		for _, ls := range c.Config.LookupSecrets {
			if ls.UsedAt != "" && !strings.HasPrefix(ls.UsedAt, "0001-01-01") {
				continue // spent
			}
			if _, ok := canonicalRecoveryCode(ls.Code); !ok {
				ps.add(file, line, "a lookup secret is not 6 to 16 letters and digits")
				r.bad = true
				break
			}
			r.codes = append(r.codes, ls.Code)
		}
	}
	var err error
	if r.createdAt, err = parseTime(ki.CreatedAt); err != nil {
		ps.add(file, line, "created_at: %v", err)
		r.bad = true
	}
	return r
}
