package identity

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/accountportal/portal/store"
)

// EventImported is recorded on every account `portal users import` creates
// or updates; its detail names the system ("ASP.NET Core Identity").
const EventImported = "imported"

// ImportedIDAttribute keeps an account's id in the old system when it
// could not be kept as Portal's id (it was not a UUID).
const ImportedIDAttribute = "imported_id"

// ImportOptions say what to import and how.
type ImportOptions struct {
	// Format is ImportASPNet, ImportCSV or ImportKratos.
	Format string
	// Users is the users file (AspNetUsers export, CSV or Kratos JSON);
	// UsersName is its name for the report.
	Users     io.Reader
	UsersName string
	// Logins and Tokens are ASP.NET's AspNetUserLogins and AspNetUserTokens
	// exports (optional; nil when not given).
	Logins     io.Reader
	LoginsName string
	Tokens     io.Reader
	TokensName string
	// Providers maps the old system's provider names to Portal's slugs,
	// before the built-in mapping (ProviderSlug).
	Providers map[string]string
	// DryRun checks everything, the database's constraints included, and
	// writes nothing.
	DryRun bool
	// SkipBadRows imports the good rows of a file with bad ones; without
	// it a single bad row imports nothing.
	SkipBadRows bool
	// Update refreshes accounts whose address exists already instead of
	// skipping them.
	Update bool
}

// ImportProblem is one problem of an import, with the line it is on.
type ImportProblem struct {
	File    string
	Line    int
	Message string
}

func (p ImportProblem) String() string {
	if p.Line == 0 {
		return p.File + ": " + p.Message
	}
	return fmt.Sprintf("%s line %d: %s", p.File, p.Line, p.Message)
}

// ImportReport says what an import did (or, in a dry run, would do).
type ImportReport struct {
	System  string // "ASP.NET Core Identity", …
	Rows    int    // accounts read
	Created int
	Updated int
	// Existing accounts were left as they were (their address has an
	// account already; --update refreshes them instead).
	Existing          int
	Bad               int // rows not imported because of a problem
	Logins            int
	AuthenticatorKeys int
	RecoveryCodes     int
	// Unconfirmed accounts must confirm their address before signing in.
	Unconfirmed int
	Problems    []ImportProblem
	// Notes are changes made to fit Portal's rules that import the row
	// anyway (a username that was another person's address, a phone
	// number Portal cannot read).
	Notes []ImportProblem
	// Written: the accounts are in the database (false for a dry run and
	// for a refused import).
	Written bool
}

// ErrImportRefused is returned with the report when a file has bad rows
// and SkipBadRows is off: nothing was written.
var ErrImportRefused = errors.New("identity: the import has problems; nothing was imported")

// ImportUsers moves accounts in from another system (issue 23): it reads
// the files, checks every row with the rules registration uses (address
// syntax, normalisation and uniqueness, username rules), refuses password
// hashes Portal cannot verify, and writes the whole import in one
// transaction. Passwords keep their old hashes, verified and upgraded to
// argon2id at the first sign-in. It never sends mail and never lowers
// security: an unconfirmed address must be confirmed as usual, and an
// account with two-factor on is imported only with its authenticator key.
func (s *Service) ImportUsers(ctx context.Context, o ImportOptions) (*ImportReport, error) {
	system, ok := importSystems[o.Format]
	if !ok {
		return nil, fmt.Errorf("unknown format %q (aspnet-identity, csv or kratos)", o.Format)
	}
	if o.Format != ImportASPNet && (o.Logins != nil || o.Tokens != nil) {
		return nil, errors.New("--logins and --tokens go with --format aspnet-identity")
	}
	rep := &ImportReport{System: system}
	ps := &problems{}
	var recs []*importRecord
	var err error
	switch o.Format {
	case ImportASPNet:
		recs, err = readASPNetUsers(o.Users, o.UsersName, ps)
	case ImportCSV:
		recs, err = readGenericCSV(o.Users, o.UsersName, ps)
	case ImportKratos:
		recs, err = readKratos(o.Users, o.UsersName, o.Providers, ps)
	}
	if err != nil {
		return nil, err
	}
	if o.Format == ImportASPNet {
		byOldID := make(map[string]*importRecord, len(recs))
		for _, r := range recs {
			if r.oldID != "" {
				byOldID[r.oldID] = r
			}
		}
		if o.Logins != nil {
			if err := readASPNetLogins(o.Logins, o.LoginsName, byOldID, o.Providers, ps); err != nil {
				return nil, err
			}
		}
		if o.Tokens != nil {
			if err := readASPNetTokens(o.Tokens, o.TokensName, byOldID, ps); err != nil {
				return nil, err
			}
		}
	}
	rep.Rows = len(recs)
	now := s.now()
	accounts := s.checkImport(recs, now, ps, rep)
	taken, err := s.store.ImportTaken(ctx, importQuery(accounts))
	if err != nil {
		return nil, internal(err)
	}
	batch := &store.ImportBatch{Now: now, DryRun: o.DryRun}
	for _, a := range accounts {
		if a.rec.bad {
			continue
		}
		ia, err := s.planImport(ctx, a, taken, o, system, now, ps, rep)
		if err != nil {
			return nil, err
		}
		if ia != nil {
			batch.Accounts = append(batch.Accounts, ia)
		}
	}
	for _, r := range recs {
		if r.bad {
			rep.Bad++
		}
	}
	rep.Problems = ps.list
	if len(rep.Problems) > 0 && !o.SkipBadRows {
		if !o.DryRun {
			return rep, ErrImportRefused
		}
		batch.DryRun = true
	}
	if err := s.hashImportedCodes(ctx, batch.Accounts, batch.DryRun); err != nil {
		return rep, err
	}
	if len(batch.Accounts) > 0 {
		err := s.store.ImportAccounts(ctx, batch)
		if errors.Is(err, store.ErrConflict) {
			return rep, errors.New("an address, username, id or login of the file was taken while importing; nothing was imported — run the import again")
		}
		if err != nil {
			return rep, internal(err)
		}
	}
	if len(rep.Problems) > 0 && !o.SkipBadRows {
		return rep, ErrImportRefused
	}
	rep.Written = !o.DryRun
	return rep, nil
}

// importAccount is a checked record with Portal's values.
type importAccount struct {
	rec      *importRecord
	id       string
	keptID   bool // the old id is Portal's id
	norm     string
	username string
	normName string
	hash     string
	phone    string
}

// checkImport applies registration's rules to each record and finds the
// duplicates inside the file.
func (s *Service) checkImport(recs []*importRecord, now time.Time, ps *problems, rep *ImportReport) []*importAccount {
	var out []*importAccount
	seenEmail := map[string]int{}
	seenID := map[string]int{}
	seenName := map[string]int{}
	seenLogin := map[store.LoginKey]int{}
	for _, r := range recs {
		if r.bad {
			continue
		}
		bad := func(format string, args ...any) {
			ps.add(r.file, r.line, format, args...)
			r.bad = true
		}
		a := &importAccount{rec: r}
		r.email = strings.TrimSpace(r.email)
		if m := validateEmail(r.email); !m.ok() {
			bad("the address %q is not usable: %s", r.email, m.text(nil))
			continue
		}
		// Stored and mailed in the form registration stores (REG-02).
		r.email = CanonicalEmail(r.email)
		a.norm = NormalizeEmail(r.email)
		if l, dup := seenEmail[a.norm]; dup {
			bad("the address %s is on line %d already", r.email, l)
			continue
		}
		seenEmail[a.norm] = r.line
		if u, err := uuid.Parse(r.oldID); err == nil && len(r.oldID) == 36 {
			a.id, a.keptID = u.String(), true
		} else {
			a.id = uuid.Must(uuid.NewV7()).String()
		}
		if r.oldID != "" {
			if l, dup := seenID[r.oldID]; dup {
				bad("the id %s is on line %d already", r.oldID, l)
				continue
			}
			seenID[r.oldID] = r.line
		}
		a.username = strings.TrimSpace(r.username)
		if a.username == "" {
			a.username = r.email
		}
		if m := validateUserName(a.username); !m.ok() {
			bad("the username %q is not usable: %s", a.username, m.text(nil))
			continue
		}
		if strings.Contains(a.username, "@") && NormalizeUserName(a.username) != a.norm {
			// As on the profile page: a username with @ is one's own
			// address, never another person's.
			ps.note(rep, r, "the username %s looks like another address; the account's own address is its username", a.username)
			a.username = r.email
		}
		a.normName = NormalizeUserName(a.username)
		if l, dup := seenName[a.normName]; dup {
			bad("the username %s is on line %d already", a.username, l)
			continue
		}
		seenName[a.normName] = r.line
		if r.hash != "" {
			a.hash = normalizeImportedHash(r.hash)
			if _, err := LegacyHashKind(a.hash); err != nil {
				bad("the password hash is in a format Portal cannot verify (ASP.NET Core Identity V2/V3, bcrypt, argon2id or scrypt in PHC form, Django pbkdf2_sha256)")
				continue
			}
		}
		if phone, m := normalizePhone(r.phone); m.ok() {
			a.phone = phone
		} else {
			ps.note(rep, r, "the phone number %q was left out: %s", r.phone, m.text(nil))
		}
		if r.twoFactor && len(r.authKey) == 0 {
			bad("two-factor authentication is on but there is no authenticator key for this account (give --tokens with AspNetUserTokens)")
			continue
		}
		if len(r.codes) > 0 && len(r.authKey) == 0 {
			bad("recovery codes without an authenticator key")
			continue
		}
		for _, l := range r.logins {
			k := store.LoginKey{Provider: l.provider, Subject: l.subject}
			if first, dup := seenLogin[k]; dup {
				ps.add(l.file, l.line, "the %s login %s is on line %d already", l.provider, l.subject, first)
				r.bad = true
			}
			seenLogin[k] = l.line
		}
		if r.bad {
			continue
		}
		out = append(out, a)
	}
	return out
}

// note records a change made to fit Portal's rules.
func (p *problems) note(rep *ImportReport, r *importRecord, format string, args ...any) {
	rep.Notes = append(rep.Notes, ImportProblem{File: r.file, Line: r.line, Message: fmt.Sprintf(format, args...)})
}

func importQuery(as []*importAccount) store.ImportQuery {
	var q store.ImportQuery
	for _, a := range as {
		q.NormalizedEmails = append(q.NormalizedEmails, a.norm)
		q.IDs = append(q.IDs, a.id)
		q.NormalizedUserNames = append(q.NormalizedUserNames, a.normName)
		for _, l := range a.rec.logins {
			q.Logins = append(q.Logins, store.LoginKey{Provider: l.provider, Subject: l.subject})
		}
	}
	return q
}

// planImport decides what happens to one checked account: created, left
// as it is, or updated; a collision with another account is a problem.
func (s *Service) planImport(ctx context.Context, a *importAccount, taken *store.ImportTaken, o ImportOptions,
	system string, now time.Time, ps *problems, rep *ImportReport) (*store.ImportAccount, error) {
	r := a.rec
	existing := taken.Emails[a.norm]
	if existing != nil && !o.Update {
		rep.Existing++
		return nil, nil
	}
	bad := func(format string, args ...any) (*store.ImportAccount, error) {
		ps.add(r.file, r.line, format, args...)
		r.bad = true
		return nil, nil
	}
	id := a.id
	if existing != nil {
		id = existing.ID
	} else if _, used := taken.IDs[a.id]; used {
		// Imported before, and its address changed in Portal since: the
		// same person, left as they are.
		ps.note(rep, r, "the id %s has an account already, under another address: left as it is", a.id)
		rep.Existing++
		return nil, nil
	}
	if holder, used := taken.UserNames[a.normName]; used && holder != id {
		return bad("the username %s belongs to another account already", a.username)
	}
	ia := &store.ImportAccount{}
	for _, l := range r.logins {
		k := store.LoginKey{Provider: l.provider, Subject: l.subject}
		if holder, used := taken.Logins[k]; used {
			if holder != id {
				ps.add(l.file, l.line, "the %s login %s belongs to another account already", l.provider, l.subject)
				r.bad = true
			}
			continue // linked already: nothing to do
		}
		ia.Logins = append(ia.Logins, &store.ExternalLogin{Provider: l.provider, Subject: l.subject, DisplayName: l.displayName, CreatedAt: now})
	}
	if r.bad {
		return nil, nil
	}
	for _, c := range r.codes {
		// The canonical code for now; hashImportedCodes hashes it.
		canon, _ := canonicalRecoveryCode(c)
		ia.RecoveryCodes = append(ia.RecoveryCodes, canon)
	}
	if !a.keptID && r.oldID != "" && existing == nil {
		ia.Attributes = map[string]string{ImportedIDAttribute: r.oldID}
	}
	ia.Events = []*store.Event{{Kind: EventImported, IP: Operator.IP, UserAgent: Operator.UserAgent, Detail: system, CreatedAt: now}}
	var key []byte
	if len(r.authKey) > 0 {
		key = s.keys.seal(id, r.authKey)
	}
	rep.Logins += len(ia.Logins)
	rep.RecoveryCodes += len(ia.RecoveryCodes)
	if key != nil {
		rep.AuthenticatorKeys++
	}
	if existing != nil {
		ia.UpdateID, ia.Update = id, importUpdate(existing, a, key, now)
		rep.Updated++
		return ia, nil
	}
	created := r.createdAt
	if created.IsZero() {
		created = now
	}
	lockout := r.lockout
	if !lockout.After(now) {
		lockout = time.Time{}
	}
	ia.User = &User{
		ID: id, Email: r.email, NormalizedEmail: a.norm, UserName: a.username, NormalizedUserName: a.normName,
		EmailConfirmed: r.confirmed, PasswordHash: a.hash,
		// The old stamp means nothing here: rotated, like after any
		// credential change.
		SecurityStamp: newStamp(),
		PhoneNumber:   a.phone, LockoutEnd: lockout, AccessFailedCount: r.failed,
		TwoFactorEnabled: r.twoFactor && key != nil, AuthenticatorKey: key,
		CreatedAt: created, UpdatedAt: now,
	}
	if !r.confirmed {
		rep.Unconfirmed++
	}
	rep.Created++
	return ia, nil
}

// importUpdate is what --update changes on an existing account: the
// profile, a confirmation the old system has (never the reverse), the
// password only while the account still has no argon2id hash (the person
// has not signed in to Portal since the last import), and two-factor
// authentication when the file brings a key (never turned off). A new
// password or key rotates the stamp, which ends the account's sessions.
func importUpdate(u *User, a *importAccount, key []byte, now time.Time) *store.UserUpdate {
	upd := &store.UserUpdate{UpdatedAt: now, UserName: &a.username, NormalizedUserName: &a.normName}
	if a.phone != "" {
		upd.PhoneNumber = &a.phone
	}
	if a.rec.confirmed && !u.EmailConfirmed {
		yes := true
		upd.EmailConfirmed = &yes
	}
	credentials := false
	if k, _ := LegacyHashKind(u.PasswordHash); a.hash != "" && k != HashArgon2id && a.hash != u.PasswordHash {
		upd.PasswordHash = &a.hash
		credentials = true
	}
	if key != nil {
		on := true
		upd.AuthenticatorKey, upd.TwoFactorEnabled = &key, &on
		credentials = true
	}
	if credentials {
		stamp := newStamp()
		upd.SecurityStamp = &stamp
	}
	return upd
}

// dryRunCodeHash stands for a recovery code's hash in a dry run.
const dryRunCodeHash = "(dry run)"

// hashImportedCodes replaces the plain recovery codes of the accounts by
// their hashes, made the way Portal stores its own (argon2id, codeHasher),
// on as many goroutines as there are hashing slots. A dry run writes
// placeholders instead: it checks the codes without the hashing work, and
// no plain code goes to the database even in a transaction rolled back.
func (s *Service) hashImportedCodes(ctx context.Context, accounts []*store.ImportAccount, dryRun bool) error {
	type job struct {
		codes []string
		i     int
	}
	jobs := make(chan job)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for range max(1, s.opts.HashConcurrency) {
		wg.Go(func() {
			for j := range jobs {
				h, err := s.codeHasher.Hash(ctx, j.codes[j.i])
				if err != nil {
					mu.Lock()
					firstErr = cmp.Or(firstErr, err)
					mu.Unlock()
					continue
				}
				j.codes[j.i] = h
			}
		})
	}
	for _, a := range accounts {
		for i := range a.RecoveryCodes {
			if dryRun {
				a.RecoveryCodes[i] = dryRunCodeHash
				continue
			}
			jobs <- job{a.RecoveryCodes, i}
		}
	}
	close(jobs)
	wg.Wait()
	return firstErr
}
