// Package store persists Portal's data behind interfaces. The sqlite
// sub-package is the default implementation; a PostgreSQL implementation
// satisfies the same interfaces, and storetest holds the suite both must pass.
//
// store imports nothing of Portal's but the data types it persists (defined
// here). Rules — lockout thresholds, token lifetimes, password policy — live
// in identity and reach the store as plain parameters.
package store

import (
	"context"
	"errors"
	"time"
)

// Errors a store returns; callers test them with errors.Is. Driver errors
// (unique constraint, no rows) are translated into these.
var (
	// ErrNotFound means the row asked for does not exist (or is not usable:
	// an expired or used token).
	ErrNotFound = errors.New("store: not found")
	// ErrConflict means a unique constraint refused the write (an email or
	// username that is already taken).
	ErrConflict = errors.New("store: conflict")
)

// User is one account as persisted.
type User struct {
	ID                 string // random (UUIDv7), never sequential
	Email              string // as the user typed it (trimmed)
	NormalizedEmail    string // NFC + lower case; unique
	UserName           string // shown to the user; defaults to the email
	NormalizedUserName string // unique
	EmailConfirmed     bool
	PasswordHash       string // PHC string; empty when the account has no password
	SecurityStamp      string // rotated on every credential change; sessions carry a copy
	PhoneNumber        string
	LockoutEnd         time.Time // zero when not locked
	AccessFailedCount  int
	TwoFactorEnabled   bool
	CreatedAt          time.Time
	UpdatedAt          time.Time
	// AuthenticatorKey is the TOTP key, encrypted by identity; nil when
	// the user has none.
	AuthenticatorKey []byte
	// TOTPLastStep is the last accepted TOTP time step (replay guard).
	TOTPLastStep int64
}

// Token is a single-use secret sent by mail (email confirmation, password
// reset, email change). Only a hash of the secret is stored.
type Token struct {
	Hash      []byte // SHA-256 of the secret
	UserID    string
	Purpose   string
	Stamp     string // the user's security stamp when it was issued
	Data      string // purpose-specific payload, e.g. the new address of an email change
	ExpiresAt time.Time
	CreatedAt time.Time
}

// LoginFailure describes how a failed password attempt is recorded: the
// counter goes up by one and, when it reaches Threshold, the account is
// locked until LockUntil and the counter starts again from zero.
type LoginFailure struct {
	Threshold int
	LockUntil time.Time
	Now       time.Time
}

// Store is everything Portal persists, apart from sessions (scs has its own
// stores, which share the same database).
type Store interface {
	Users
	Tokens
	Secrets
	Outbox
	RateLimits
	Sessions
	Events
	RecoveryCodes
	ExternalLogins
	Invites
	Attributes
	RememberedBrowsers
	Importer
	Passkeys
	OIDC

	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// Close releases the database.
	Close() error
}

// Users persists accounts.
type Users interface {
	// CreateUser inserts u. It returns ErrConflict when the normalised
	// email or username is taken.
	CreateUser(ctx context.Context, u *User) error
	// FindUserByID returns ErrNotFound when there is no such user.
	FindUserByID(ctx context.Context, id string) (*User, error)
	// FindUserByEmail looks a user up by the normalised email.
	FindUserByEmail(ctx context.Context, normalizedEmail string) (*User, error)
	// ListUsers returns users ordered by creation, skipping offset.
	ListUsers(ctx context.Context, offset, limit int) ([]*User, error)
	// UpdateUser applies the non-nil fields of upd to user id.
	UpdateUser(ctx context.Context, id string, upd UserUpdate) error
	// DeleteUser removes the user and, in the same transaction, every row
	// that belongs to it (tokens, sessions, events, and queued mail to
	// email). With keep, the security events are first copied without
	// personal data (see KeptEvents). ErrNotFound when there is no such
	// user.
	DeleteUser(ctx context.Context, id, email string, keep *KeptEvents) error
	// ListKeptEvents returns the anonymised events kept under tag, oldest
	// first (only kind and time are set).
	ListKeptEvents(ctx context.Context, tag string) ([]*Event, error)
	// RecordLoginFailure counts one failed password attempt atomically (two
	// concurrent failures both count) and returns the user as it is after it.
	RecordLoginFailure(ctx context.Context, id string, f LoginFailure) (*User, error)
	// ReserveLoginAttempt counts one attempt at an account's password or
	// second factor before it is checked, atomically (AUTH-04, MFA-03):
	// unless the account is locked at a.Now, the count goes up by one —
	// locking the account at every a.Threshold-th attempt in a row, and
	// until a.HardLockUntil at a.HardCap — and reserved is true; a locked
	// account is left as it is and reserved is false. The count is of
	// attempts in a row: the caller resets it (UpdateUser) when the
	// attempt succeeds. ErrNotFound when there is no such user.
	ReserveLoginAttempt(ctx context.Context, id string, a LoginAttempt) (u *User, reserved bool, err error)
	// AdvanceTOTPStep records step as the last accepted TOTP step if it is
	// later than the stored one, atomically: of two concurrent calls with
	// the same step one wins (MFA-02). It reports whether this call did.
	AdvanceTOTPStep(ctx context.Context, id string, step int64) (bool, error)
}

// LoginAttempt describes how ReserveLoginAttempt counts: Threshold (at
// least 1) attempts in a row lock the account until LockUntil, and HardCap
// (0: none) in a row until HardLockUntil.
type LoginAttempt struct {
	Threshold     int
	LockUntil     time.Time
	HardCap       int
	HardLockUntil time.Time
	Now           time.Time
}

// UserUpdate lists the fields UpdateUser may change; nil means unchanged.
// UpdatedAt is always set.
type UserUpdate struct {
	Email              *string
	NormalizedEmail    *string
	UserName           *string
	NormalizedUserName *string
	EmailConfirmed     *bool
	PasswordHash       *string
	SecurityStamp      *string
	PhoneNumber        *string
	LockoutEnd         *time.Time // a zero time clears the lockout
	AccessFailedCount  *int
	TwoFactorEnabled   *bool
	AuthenticatorKey   *[]byte // an empty slice removes the key
	UpdatedAt          time.Time
	// KeepSessionID matters when SecurityStamp is set: in the same
	// transaction every session of the user ends except this one, which
	// takes the new stamp ("" ends them all). A credential change thus
	// never leaves a window in which an old session still works (SES-03).
	KeepSessionID string
}

// Tokens persists single-use mail tokens.
type Tokens interface {
	// CreateToken stores t.
	CreateToken(ctx context.Context, t *Token) error
	// ConsumeToken marks the token with this hash, purpose and user used
	// and returns it, in one atomic step: of two concurrent calls exactly
	// one succeeds. A used, expired or unknown token, or one of another
	// user, gives ErrNotFound and stays as it was.
	ConsumeToken(ctx context.Context, hash []byte, purpose, userID string, now time.Time) (*Token, error)
	// LiveToken returns the unused, unexpired token with this hash and
	// purpose without spending it (ErrNotFound otherwise): a link's page
	// tells a dead link before a form is filled in (issue 18 item 6).
	LiveToken(ctx context.Context, hash []byte, purpose string, now time.Time) (*Token, error)
	// DeleteTokens removes every token of the user for the purpose, used or
	// not (a newer token replaces older ones).
	DeleteTokens(ctx context.Context, userID, purpose string) error
}

// Secrets keeps server-side keys (CSRF signing, later cookie and TOTP key
// encryption) in the database so that every instance agrees on them.
type Secrets interface {
	// Secret returns the secret stored under name, creating it with the
	// value of generate when there is none. Concurrent callers, in one or
	// many processes, all get the same value.
	Secret(ctx context.Context, name string, generate func() ([]byte, error)) ([]byte, error)
	// RekeySecrets, in one transaction, replaces every stored authenticator
	// key with what rekey makes of it (identity re-encrypts it under a new
	// key), stores put and removes drop from the secrets table: moving the
	// keys out of the database, or rotating them, is all or nothing.
	RekeySecrets(ctx context.Context, rekey func(userID string, sealed []byte) ([]byte, error), put map[string][]byte, drop []string) error
}

// OutboxMessage is a mail waiting to be sent, or (Kind set) a job that
// the worker runs and that may produce mail.
type OutboxMessage struct {
	ID            int64
	Kind          string // "" for a mail; a job's name otherwise
	To            string
	Subject       string
	Text          string // for a job: its payload
	HTML          string
	Attempts      int // failed attempts so far
	LastError     string
	CreatedAt     time.Time
	NextAttemptAt time.Time
}

// Outbox queues mail: a request enqueues, a worker claims, sends and
// deletes. A claim leases the message so that two workers (two instances)
// do not send it twice.
type Outbox interface {
	// EnqueueMail stores m (m.ID is set) due at m.NextAttemptAt.
	EnqueueMail(ctx context.Context, m *OutboxMessage) error
	// ClaimMail returns up to limit messages due at now, oldest first, and
	// moves their next attempt to now+lease.
	ClaimMail(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*OutboxMessage, error)
	// DeleteMail removes a sent (or abandoned) message.
	DeleteMail(ctx context.Context, id int64) error
	// RetryMail records a failed attempt and when to try again.
	RetryMail(ctx context.Context, id int64, next time.Time, lastErr string) error
	// OutboxStats counts the waiting messages and jobs and returns the
	// CreatedAt of the oldest (zero when the outbox is empty): the
	// metrics' backlog.
	OutboxStats(ctx context.Context) (count int, oldest time.Time, err error)
}

// RateLimits counts events per key in fixed windows.
type RateLimits interface {
	// HitRateLimit counts one event for key and returns the count in the
	// current window, this event included, and when the window ends. A
	// window starts with the first event after the previous one ended.
	HitRateLimit(ctx context.Context, key string, window time.Duration, now time.Time) (count int, windowEnd time.Time, err error)
	// PeekRateLimit returns the count of key's current window without
	// counting (0 when the window ended or never began).
	PeekRateLimit(ctx context.Context, key string, now time.Time) (count int, windowEnd time.Time, err error)
	// DeleteExpiredRateLimits forgets windows that ended before t.
	DeleteExpiredRateLimits(ctx context.Context, t time.Time) error
	// ResetRateLimit forgets key's window: a success ends a run of failures
	// that were counted before they were checked (AUTH-04).
	ResetRateLimit(ctx context.Context, key string) error
}

// Session is one signed-in browser in the registry.
type Session struct {
	ID            string // opaque random handle, never the cookie value
	UserID        string
	Stamp         string // the user's security stamp this session holds
	Remember      bool   // "remember me": persistent, no idle timeout
	Remembered2FA bool   // this browser skips the second factor (2FA issue)
	IP            string
	UserAgent     string
	CreatedAt     time.Time
	AuthAt        time.Time // last full authentication (sign-in or re-authentication)
	LastSeenAt    time.Time
	ExpiresAt     time.Time // absolute end
	// SignInEvent is the id of the sign-in event StartSession recorded
	// for this session; not stored (0 for a session read back): the
	// handlers keep it with the browser's session.
	SignInEvent int64
}

// Sessions is the registry of signed-in sessions.
type Sessions interface {
	CreateSession(ctx context.Context, s *Session) error
	// FindSession returns the session and its user; ErrNotFound when the
	// session does not exist.
	FindSession(ctx context.Context, id string) (*Session, *User, error)
	// AuthEpoch is a counter the database moves, in the same transaction,
	// with every change to a user and every end or change of a session
	// other than an activity touch (TouchSession). A session and user
	// read while it showed n are current for as long as it still shows n.
	AuthEpoch(ctx context.Context) (int64, error)
	// TouchSession records activity.
	TouchSession(ctx context.Context, id string, lastSeen time.Time, ip, userAgent string) error
	// SetSessionAuth records a re-authentication; withSecondFactor: it
	// included the second factor, so the session no longer counts as one
	// that skipped it (Remembered2FA becomes false).
	SetSessionAuth(ctx context.Context, id string, authAt time.Time, withSecondFactor bool) error
	// ListSessions returns the user's sessions, most recently seen first.
	ListSessions(ctx context.Context, userID string) ([]*Session, error)
	// DeleteSession ends the user's session id; ErrNotFound when the user
	// has no such session (another user's id included).
	DeleteSession(ctx context.Context, userID, id string) error
	// DeleteOtherSessions ends every session of the user except keepID.
	DeleteOtherSessions(ctx context.Context, userID, keepID string) error
	// DeleteExpiredSessions removes sessions past their absolute end, and
	// non-remembered ones last seen before idleCutoff.
	DeleteExpiredSessions(ctx context.Context, now, idleCutoff time.Time) error
}

// Event is one entry of an account's security timeline.
type Event struct {
	ID        int64
	UserID    string
	Kind      string
	IP        string
	UserAgent string
	Detail    string // kind-specific, e.g. the new address of an email change
	CreatedAt time.Time
}

// KeptEvents asks DeleteUser to keep a deleted account's security
// timeline for the operator's records, without personal data: each event's
// kind and time only (no user id, address, IP, user agent or detail),
// under Tag, a random handle that links them to nothing else, followed by
// a last event Kind at At (the deletion).
type KeptEvents struct {
	Tag  string
	Kind string
	At   time.Time
}

// Events is the append-only security timeline.
type Events interface {
	// AddEvent appends e (e.ID is set).
	AddEvent(ctx context.Context, e *Event) error
	// ListEvents returns the user's events, newest first, skipping offset.
	ListEvents(ctx context.Context, userID string, offset, limit int) ([]*Event, error)
	// FindEvent returns the user's event id; ErrNotFound for another
	// user's or an unknown id.
	FindEvent(ctx context.Context, userID string, id int64) (*Event, error)
}

// RecoveryCode is one stored (hashed) recovery code.
type RecoveryCode struct {
	ID   int64
	Hash string // a password-hash string (PHC)
}

// RecoveryCodes persists 2FA recovery codes.
type RecoveryCodes interface {
	// ReplaceRecoveryCodes deletes every code of the user and stores these.
	ReplaceRecoveryCodes(ctx context.Context, userID string, hashes []string, now time.Time) error
	// ListRecoveryCodes returns the user's unused codes.
	ListRecoveryCodes(ctx context.Context, userID string) ([]RecoveryCode, error)
	// DeleteRecoveryCode spends code id of the user; it reports false when
	// it was already spent (by a concurrent request).
	DeleteRecoveryCode(ctx context.Context, userID string, id int64) (bool, error)
}

// ExternalLogin links an account to an identity at an external provider.
type ExternalLogin struct {
	Provider    string // the provider's slug: "google", "github", "acme", …
	Subject     string // the provider's stable user id ("sub")
	UserID      string
	DisplayName string // what the provider calls the user
	Email       string // the address the provider reported, for display
	CreatedAt   time.Time
}

// ExternalLogins persists external identities.
type ExternalLogins interface {
	// AddExternalLogin links l; ErrConflict when (provider, subject) is
	// linked already (to anyone).
	AddExternalLogin(ctx context.Context, l *ExternalLogin) error
	// CreateUserWithLogin creates u and links l to it in one transaction;
	// ErrConflict when the email, username or (provider, subject) is taken.
	CreateUserWithLogin(ctx context.Context, u *User, l *ExternalLogin) error
	// FindExternalLogin returns the link for (provider, subject), or
	// ErrNotFound.
	FindExternalLogin(ctx context.Context, provider, subject string) (*ExternalLogin, error)
	// ListExternalLogins returns the user's links, oldest first.
	ListExternalLogins(ctx context.Context, userID string) ([]*ExternalLogin, error)
	// DeleteExternalLogin unlinks one of the user's logins; ErrNotFound when
	// the user has no such link.
	DeleteExternalLogin(ctx context.Context, userID, provider, subject string) error
}

// Invite is an invitation to register (--registration invite).
type Invite struct {
	Hash            []byte // SHA-256 of the code
	NormalizedEmail string
	CreatedAt       time.Time
	ExpiresAt       time.Time
}

// Invites persists invitations.
type Invites interface {
	// CreateInvite stores inv.
	CreateInvite(ctx context.Context, inv *Invite) error
	// ConsumeInvite marks the invite with this hash for this address used,
	// atomically (one use); ErrNotFound when there is no such unused,
	// unexpired invite.
	ConsumeInvite(ctx context.Context, hash []byte, normalizedEmail string, now time.Time) error
	// HasInvite reports whether the address has an unused, unexpired
	// invite with this hash (without using it).
	HasInvite(ctx context.Context, hash []byte, normalizedEmail string, now time.Time) (bool, error)
}

// Attributes persists the values of extra registration fields.
type Attributes interface {
	// SetUserAttributes stores the given values (others stay); an empty
	// value removes the attribute.
	SetUserAttributes(ctx context.Context, userID string, values map[string]string) error
	// UserAttributes returns every attribute of the user.
	UserAttributes(ctx context.Context, userID string) (map[string]string, error)
}

// LoginKey names an external login: the provider's slug and its user id.
type LoginKey struct{ Provider, Subject string }

// ImportQuery asks which of these are in use already (see ImportTaken).
type ImportQuery struct {
	NormalizedEmails    []string
	IDs                 []string
	NormalizedUserNames []string
	Logins              []LoginKey
}

// ImportTaken is what an import would collide with: the accounts that
// hold the emails asked about (by normalised email), and the user id that
// holds each id, username and external login asked about.
type ImportTaken struct {
	Emails    map[string]*User
	IDs       map[string]string
	UserNames map[string]string
	Logins    map[LoginKey]string
}

// ImportAccount is one account of an import: a new User to create, or an
// existing account (UpdateID) to change with Update, and what comes with
// it.
type ImportAccount struct {
	User     *User
	UpdateID string
	Update   *UserUpdate
	// Logins are linked to the account (their UserID is set by the store).
	Logins []*ExternalLogin
	// RecoveryCodes, when not nil, replace the account's codes (hashes).
	RecoveryCodes []string
	// Attributes are stored beside the others (SetUserAttributes).
	Attributes map[string]string
	// Events are appended to the account's history.
	Events []*Event
}

// ImportBatch is a whole import, written in one transaction.
type ImportBatch struct {
	Accounts []*ImportAccount
	Now      time.Time
	// DryRun runs every statement and then rolls back: the unique
	// constraints are checked, nothing is written.
	DryRun bool
}

// Importer writes `portal users import` in bulk (issue 23).
type Importer interface {
	// ImportTaken returns which of q's emails, ids, usernames and logins
	// belong to accounts already, in a few queries however long q is.
	ImportTaken(ctx context.Context, q ImportQuery) (*ImportTaken, error)
	// ImportAccounts writes the batch in one transaction: all of it or,
	// on any error, nothing. ErrConflict when a unique constraint refuses
	// a row (the database changed since ImportTaken).
	ImportAccounts(ctx context.Context, b *ImportBatch) error
}

// RememberedBrowsers are the browsers told to skip the second factor: the
// "remember this browser" cookie names one, so forgetting it on the server
// revokes the cookie wherever it was copied.
type RememberedBrowsers interface {
	// AddRememberedBrowser records browser id of the user until expiresAt
	// (and drops the user's expired ones).
	AddRememberedBrowser(ctx context.Context, userID, id string, expiresAt, now time.Time) error
	// RememberedBrowserActive reports whether browser id of the user is
	// remembered and unexpired at now (another user's id: false).
	RememberedBrowserActive(ctx context.Context, userID, id string, now time.Time) (bool, error)
	// DeleteRememberedBrowsers forgets browser id of the user, or all of the
	// user's when id is "", and returns how many were forgotten.
	DeleteRememberedBrowsers(ctx context.Context, userID, id string) (int, error)
}

// Passkey is one WebAuthn credential of an account (issue 21). Only public
// material is stored: the authenticator keeps the private key.
type Passkey struct {
	ID     string // the credential id, base64url without padding; unique
	UserID string
	RPID   string // the relying party id it was registered for
	Name   string // what the owner calls it
	AAGUID string // the authenticator model (UUID text), "" when unknown
	// Credential is the verification library's whole credential record
	// (public key, flags, attestation), serialised by identity.
	Credential []byte
	SignCount  uint32
	// BackupEligible / BackupState: the credential may be / is synced
	// between devices (a synced passkey), as the authenticator last said.
	BackupEligible bool
	BackupState    bool
	// CloneWarning: an assertion came with a signature counter that did
	// not go up; the credential may have been copied.
	CloneWarning bool
	CreatedAt    time.Time
	LastUsedAt   time.Time // zero until first used to sign in
}

// PasskeyUse is what a successful assertion changes on a passkey.
type PasskeyUse struct {
	Credential   []byte
	SignCount    uint32
	BackupState  bool
	CloneWarning bool
	UsedAt       time.Time
}

// Ceremony is a WebAuthn ceremony in progress: the challenge and options
// the server sent (Data, serialised by identity), until the browser's
// answer comes back, once, before ExpiresAt.
type Ceremony struct {
	ID        string // random; the browser's session holds it
	Kind      string // "register", "login", "second-factor", …
	UserID    string // whose ceremony ("" for a sign-in that names no user yet)
	Data      []byte
	ExpiresAt time.Time
}

// Passkeys persists passkeys and the ceremonies that create and use them.
type Passkeys interface {
	// AddPasskey stores p; ErrConflict when its credential id is taken.
	AddPasskey(ctx context.Context, p *Passkey) error
	// FindPasskey returns the passkey with this credential id (anyone's),
	// or ErrNotFound.
	FindPasskey(ctx context.Context, id string) (*Passkey, error)
	// ListPasskeys returns the user's passkeys, oldest first.
	ListPasskeys(ctx context.Context, userID string) ([]*Passkey, error)
	// UsePasskey records an assertion of the user's passkey id;
	// ErrNotFound when the user has no such passkey.
	UsePasskey(ctx context.Context, userID, id string, u PasskeyUse) error
	// RenamePasskey renames the user's passkey id; ErrNotFound when the
	// user has no such passkey (another user's included).
	RenamePasskey(ctx context.Context, userID, id, name string) error
	// DeletePasskey removes the user's passkey id; ErrNotFound when the
	// user has no such passkey (another user's included).
	DeletePasskey(ctx context.Context, userID, id string) error
	// SaveCeremony stores c.
	SaveCeremony(ctx context.Context, c *Ceremony) error
	// ConsumeCeremony removes ceremony id of this kind and user and returns
	// it, in one atomic step: of concurrent calls (on any instance) at
	// most one gets it. An expired (at now), unknown or used ceremony, or
	// one of another kind or user, is ErrNotFound.
	ConsumeCeremony(ctx context.Context, id, kind, userID string, now time.Time) (*Ceremony, error)
	// DeleteExpiredCeremonies forgets ceremonies that expired before t.
	DeleteExpiredCeremonies(ctx context.Context, t time.Time) error
}

// OIDCClient is an application registered to sign people in with Portal
// (OpenID Connect, issue 20).
type OIDCClient struct {
	ID   string
	Name string
	// SecretHash is the SHA-256 of the client secret (a 256-bit random
	// value shown once); nil for a public client.
	SecretHash             []byte
	RedirectURIs           []string // matched exactly
	PostLogoutRedirectURIs []string
	Public                 bool // no secret; PKCE required
	SkipConsent            bool // first-party: no consent page
	CreatedAt              time.Time
}

// OIDCAuthRequest is one authorization request, from the authorize
// endpoint until its code is exchanged (and kept, used, until it expires:
// a second exchange of the code is recognised as reuse).
type OIDCAuthRequest struct {
	ID                  string
	ClientID            string
	RedirectURI         string
	State               string
	Nonce               string
	Scopes              []string
	ResponseType        string
	ResponseMode        string
	Prompt              []string
	MaxAge              int // seconds; -1 when not asked
	LoginHint           string
	CodeChallenge       string
	CodeChallengeMethod string
	UserID              string // set when the sign-in is done
	AuthTime            time.Time
	AMR                 []string
	Done                bool
	CreatedAt           time.Time
	ExpiresAt           time.Time
}

// OIDCAccessToken is an issued access token (its id is inside the opaque
// token the client holds). Family is the authorization it descends from
// (the auth request's id): revoking the family revokes every token of it.
type OIDCAccessToken struct {
	ID        string
	Family    string
	ClientID  string
	UserID    string
	Scopes    []string
	ExpiresAt time.Time
	CreatedAt time.Time
}

// OIDCRefreshToken is an issued refresh token, stored as the SHA-256 of
// its value. A used one stays (UsedAt set) so that its reuse is seen.
type OIDCRefreshToken struct {
	Hash      []byte
	Family    string
	ClientID  string
	UserID    string
	Scopes    []string
	AMR       []string
	AuthTime  time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero while unused
	CreatedAt time.Time
}

// OIDCGrant is a person's consent to an application: the scopes allowed.
type OIDCGrant struct {
	UserID    string
	ClientID  string
	Scopes    []string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// OIDCKey is a token-signing key. The private half is sealed by identity.
type OIDCKey struct {
	ID        string
	Algorithm string
	PublicJWK []byte // JSON
	Sealed    []byte // the private key, encrypted
	CreatedAt time.Time
	RetiredAt time.Time // zero for a current key
}

// OIDC persists the OpenID Provider: clients, authorization requests and
// codes, tokens, grants and signing keys — shared by every instance.
type OIDC interface {
	// CreateOIDCClient stores c; ErrConflict when the id is taken.
	CreateOIDCClient(ctx context.Context, c *OIDCClient) error
	// FindOIDCClient returns ErrNotFound for an unknown id.
	FindOIDCClient(ctx context.Context, id string) (*OIDCClient, error)
	// ListOIDCClients returns every client, oldest first.
	ListOIDCClients(ctx context.Context) ([]*OIDCClient, error)
	// UpdateOIDCClient replaces the client's name, secret hash, URIs and
	// flags; ErrNotFound for an unknown id.
	UpdateOIDCClient(ctx context.Context, c *OIDCClient) error
	// DeleteOIDCClient removes the client and everything issued to it;
	// ErrNotFound for an unknown id.
	DeleteOIDCClient(ctx context.Context, id string) error

	// CreateOIDCAuthRequest stores r and drops requests that expired
	// before now.
	CreateOIDCAuthRequest(ctx context.Context, r *OIDCAuthRequest, now time.Time) error
	// FindOIDCAuthRequest returns the unexpired request id; ErrNotFound
	// otherwise.
	FindOIDCAuthRequest(ctx context.Context, id string, now time.Time) (*OIDCAuthRequest, error)
	// CompleteOIDCAuthRequest records who signed in, when and how, and
	// marks the request done; ErrNotFound for an unknown or expired one.
	CompleteOIDCAuthRequest(ctx context.Context, id, userID string, authTime time.Time, amr []string, now time.Time) error
	// SetOIDCAuthCode attaches the code (its hash) to the done request id,
	// valid until expiresAt; ErrNotFound when the request is not done or a
	// code was attached already.
	SetOIDCAuthCode(ctx context.Context, id string, codeHash []byte, expiresAt time.Time) error
	// ConsumeOIDCAuthCode marks the code used (only looks, without
	// consume) and returns its request, in one atomic step: of two
	// concurrent calls (on any instance) one gets used=false. A code used
	// before returns its request with used=true (reuse: the caller revokes
	// the family); an unknown or expired code gives ErrNotFound.
	ConsumeOIDCAuthCode(ctx context.Context, codeHash []byte, now time.Time, consume bool) (r *OIDCAuthRequest, used bool, err error)
	// RedeemOIDCAuthCode is ConsumeOIDCAuthCode with consume, storing the
	// tokens issued for the code (refresh may be nil) in the same
	// transaction: one write per exchange, and a replay that finds the
	// code used finds its tokens stored too (and revokes them). Nothing is
	// stored when the code was used or is unknown.
	RedeemOIDCAuthCode(ctx context.Context, codeHash []byte, now time.Time, access *OIDCAccessToken, refresh *OIDCRefreshToken) (r *OIDCAuthRequest, used bool, err error)

	// CreateOIDCTokens stores an access token and, when refresh is not nil,
	// a refresh token, together.
	CreateOIDCTokens(ctx context.Context, access *OIDCAccessToken, refresh *OIDCRefreshToken) error
	// FindOIDCAccessToken returns the unexpired access token id;
	// ErrNotFound otherwise.
	FindOIDCAccessToken(ctx context.Context, id string, now time.Time) (*OIDCAccessToken, error)
	// FindOIDCRefreshToken returns the refresh token with this hash, used
	// or not; ErrNotFound when there is none.
	FindOIDCRefreshToken(ctx context.Context, hash []byte) (*OIDCRefreshToken, error)
	// RotateOIDCRefreshToken marks the unused, unexpired refresh token
	// oldHash used and stores its successors, in one transaction: of two
	// concurrent rotations one succeeds, the other gets ErrNotFound.
	RotateOIDCRefreshToken(ctx context.Context, oldHash []byte, access *OIDCAccessToken, refresh *OIDCRefreshToken, now time.Time) error
	// DeleteOIDCAccessToken revokes one access token.
	DeleteOIDCAccessToken(ctx context.Context, id string) error
	// DeleteOIDCFamily revokes every access and refresh token of the
	// family.
	DeleteOIDCFamily(ctx context.Context, family string) error
	// DeleteOIDCUserTokens revokes every token of the user for the client.
	DeleteOIDCUserTokens(ctx context.Context, userID, clientID string) error

	// SetOIDCGrant stores (or replaces) the user's grant to the client.
	SetOIDCGrant(ctx context.Context, g *OIDCGrant) error
	// FindOIDCGrant returns ErrNotFound when the user granted nothing.
	FindOIDCGrant(ctx context.Context, userID, clientID string) (*OIDCGrant, error)
	// ListOIDCGrants returns the user's grants, oldest first.
	ListOIDCGrants(ctx context.Context, userID string) ([]*OIDCGrant, error)
	// DeleteOIDCGrant removes the grant and every token of the user for
	// the client, in one transaction; ErrNotFound when there was no grant.
	DeleteOIDCGrant(ctx context.Context, userID, clientID string) error

	// AddOIDCKey stores k; with retireOthers, every other current key is
	// retired at k.CreatedAt in the same transaction (a rotation).
	AddOIDCKey(ctx context.Context, k *OIDCKey, retireOthers bool) error
	// ListOIDCKeys returns the keys not retired before retiredAfter, newest
	// first.
	ListOIDCKeys(ctx context.Context, retiredAfter time.Time) ([]*OIDCKey, error)
}
