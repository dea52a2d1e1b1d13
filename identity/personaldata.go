package identity

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/accountportal/portal/mail"
	"github.com/accountportal/portal/store"
)

// PersonalDataContributor lets an embedding application add its own
// section to the personal-data export (GDPR Art. 15/20): Section names the
// key under "application", PersonalData returns any JSON-encodable value for
// the user. It must not return secrets.
type PersonalDataContributor interface {
	Section() string
	PersonalData(ctx context.Context, userID string) (any, error)
}

// AddPersonalDataContributor registers c; call it before serving.
func (s *Service) AddPersonalDataContributor(c PersonalDataContributor) {
	s.contribMu.Lock()
	defer s.contribMu.Unlock()
	s.contributors = append(s.contributors, c)
}

// PersonalData is the export (PersonalData.json). The field order is the
// key order of the file; README.md documents every key. It never holds a
// secret: no password hash, authenticator key, recovery code or token.
type PersonalData struct {
	Format         string                     `json:"format"`
	ExportedAt     time.Time                  `json:"exportedAt"`
	Account        PersonalAccount            `json:"account"`
	ExternalLogins []PersonalExternalLogin    `json:"externalLogins"`
	Passkeys       []PersonalPasskey          `json:"passkeys"`
	ConnectedApps  []PersonalConnectedApp     `json:"connectedApps"`
	Sessions       []PersonalSession          `json:"sessions"`
	SecurityEvents []PersonalEvent            `json:"securityEvents"`
	Application    map[string]json.RawMessage `json:"application,omitempty"`
}

// PersonalAccount is the account's own fields.
type PersonalAccount struct {
	ID               string    `json:"id"`
	Email            string    `json:"email"`
	EmailConfirmed   bool      `json:"emailConfirmed"`
	UserName         string    `json:"userName"`
	PhoneNumber      string    `json:"phoneNumber"`
	TwoFactorEnabled bool      `json:"twoFactorEnabled"`
	CreatedAt        time.Time `json:"createdAt"`
	UpdatedAt        time.Time `json:"updatedAt"`
	// Attributes are the extra registration fields' values (only when the
	// operator declared some).
	Attributes map[string]string `json:"attributes,omitempty"`
	// Language and TimeZone are the person's settings (the language
	// picker's choice, the profile's time zone), when they made them.
	Language string `json:"language,omitempty"`
	TimeZone string `json:"timeZone,omitempty"`
}

// PersonalPasskey is one passkey: what the account shows of it. The
// public key is not personal data of interest, and no secret exists on
// the server.
type PersonalPasskey struct {
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"createdAt"`
	LastUsedAt *time.Time `json:"lastUsedAt"`
	AAGUID     string     `json:"aaguid"`
	Synced     bool       `json:"synced"`
}

// PersonalConnectedApp is an application the person allowed to sign
// them in with Portal (OpenID Connect, issue 20): which, what it may
// read, since when. No token is exported.
type PersonalConnectedApp struct {
	ClientID  string    `json:"clientId"`
	Name      string    `json:"name"`
	Scopes    []string  `json:"scopes"`
	AllowedAt time.Time `json:"allowedAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// PersonalExternalLogin is a linked external account.
type PersonalExternalLogin struct {
	Provider    string `json:"provider"`
	Subject     string `json:"subject"`
	DisplayName string `json:"displayName"`
}

// PersonalSession is a signed-in session.
type PersonalSession struct {
	CreatedAt  time.Time `json:"createdAt"`
	LastSeenAt time.Time `json:"lastSeenAt"`
	ExpiresAt  time.Time `json:"expiresAt"`
	IP         string    `json:"ip"`
	Device     string    `json:"device"`
	UserAgent  string    `json:"userAgent"`
}

// PersonalEvent is one security event.
type PersonalEvent struct {
	Time      time.Time `json:"time"`
	Kind      string    `json:"kind"`
	IP        string    `json:"ip"`
	Device    string    `json:"device"`
	UserAgent string    `json:"userAgent"`
	Detail    string    `json:"detail,omitempty"`
}

// PersonalDataFormat names the export's format version.
const PersonalDataFormat = "portal-personal-data/1"

// ExportPersonalData builds the user's export, records the download and
// returns the pretty-printed JSON. At most one export per 10 minutes per
// account (PRIV-01: exports are costly).
func (s *Service) ExportPersonalData(ctx context.Context, c Client, u *User) ([]byte, error) {
	if err := s.limit(ctx, "export", u.ID, s.opts.RateLimits.ExportsPerAccount); err != nil {
		return nil, err
	}
	sessions, err := s.ListSessions(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	links, err := s.ListExternalLogins(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	attrs, err := s.store.UserAttributes(ctx, u.ID) // the operator's fields and the person's choices, one read
	if err != nil {
		return nil, internal(err)
	}
	passkeys, err := s.ListPasskeys(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	apps, err := s.ConnectedApps(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	s.RecordEvent(ctx, u.ID, EventPersonalDataDownload, c, "")
	var events []*Event
	for offset := 0; ; offset += 500 {
		page, err := s.store.ListEvents(ctx, u.ID, offset, 500)
		if err != nil {
			return nil, internal(err)
		}
		events = append(events, page...)
		if len(page) < 500 {
			break
		}
	}
	d := PersonalData{
		Format:     PersonalDataFormat,
		ExportedAt: s.now(),
		Account: PersonalAccount{
			ID: u.ID, Email: u.Email, EmailConfirmed: u.EmailConfirmed, UserName: u.UserName,
			PhoneNumber: u.PhoneNumber, TwoFactorEnabled: u.TwoFactorEnabled,
			CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
		},
		ExternalLogins: []PersonalExternalLogin{},
		Passkeys:       []PersonalPasskey{},
		ConnectedApps:  []PersonalConnectedApp{},
		Sessions:       []PersonalSession{},
		SecurityEvents: []PersonalEvent{},
	}
	d.Account.Language, d.Account.TimeZone = attrs[LanguageAttribute], attrs[TimeZoneAttribute]
	for _, k := range []string{LanguageAttribute, TimeZoneAttribute} {
		if !s.isExtraField(k) {
			delete(attrs, k) // settings, not the operator's fields
		}
	}
	if len(attrs) > 0 && len(s.opts.RegisterFields) > 0 {
		d.Account.Attributes = attrs
	}
	for _, l := range links {
		d.ExternalLogins = append(d.ExternalLogins, PersonalExternalLogin{Provider: l.Provider, Subject: l.Subject, DisplayName: l.DisplayName})
	}
	for _, p := range passkeys {
		pp := PersonalPasskey{Name: p.Name, CreatedAt: p.CreatedAt, AAGUID: p.AAGUID, Synced: p.BackupEligible}
		if !p.LastUsedAt.IsZero() {
			used := p.LastUsedAt
			pp.LastUsedAt = &used
		}
		d.Passkeys = append(d.Passkeys, pp)
	}
	for _, a := range apps {
		d.ConnectedApps = append(d.ConnectedApps, PersonalConnectedApp{
			ClientID: a.ClientID, Name: a.Name, Scopes: append([]string{}, a.Scopes...), AllowedAt: a.AllowedAt, UpdatedAt: a.UpdatedAt,
		})
	}
	for _, x := range sessions {
		d.Sessions = append(d.Sessions, PersonalSession{
			CreatedAt: x.CreatedAt, LastSeenAt: x.LastSeenAt, ExpiresAt: x.ExpiresAt,
			IP: x.IP, Device: DescribeUserAgent(x.UserAgent), UserAgent: x.UserAgent,
		})
	}
	for _, e := range events {
		d.SecurityEvents = append(d.SecurityEvents, PersonalEvent{
			Time: e.CreatedAt, Kind: e.Kind, IP: e.IP, Device: DescribeUserAgent(e.UserAgent), UserAgent: e.UserAgent, Detail: e.Detail,
		})
	}
	s.contribMu.Lock()
	contributors := append([]PersonalDataContributor(nil), s.contributors...)
	s.contribMu.Unlock()
	for _, pc := range contributors {
		v, err := pc.PersonalData(ctx, u.ID)
		if err != nil {
			return nil, internal(err)
		}
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, internal(err)
		}
		if d.Application == nil {
			d.Application = map[string]json.RawMessage{}
		}
		d.Application[pc.Section()] = raw
	}
	out, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, internal(err)
	}
	return append(out, '\n'), nil
}

// DeleteAccount deletes the account after checking its password (a wrong
// one counts towards the lockout; nobody deletes without proving who they
// are). Accounts without a password rely on the caller's recent
// authentication. Everything of the account goes in one transaction:
// sessions (every browser is signed out), tokens, events (or, with
// KeepEventsOnDelete, their anonymised kinds and times stay), queued mail. A
// confirmation goes to the old address; the address can register again.
func (s *Service) DeleteAccount(ctx context.Context, c Client, u *User, password string) error {
	if u.PasswordHash != "" {
		if err := s.checkCurrentPassword(ctx, c, u, password, "password"); err != nil {
			s.RecordEvent(ctx, u.ID, EventReauthFailed, c, "account deletion")
			return err
		}
	}
	// The language is read before the account (and its saved language)
	// goes.
	cat := s.catalogFor(ctx, u)
	err := s.store.DeleteUser(ctx, u.ID, u.Email, s.keptEvents())
	if errors.Is(err, store.ErrNotFound) {
		return errKey(ENOTFOUND, "errors.account_gone")
	}
	if err != nil {
		return internal(err)
	}
	s.log.InfoContext(ctx, "security event", "event", EventAccountDeleted, "user", u.ID, "ip", c.IP, "user_agent", c.UserAgent)
	d := s.eventData(ctx, cat, u, c)
	s.sendMail(ctx, cat, mail.AccountDeleted, d)
	return nil
}

// keptEvents is what an account deletion keeps of the security timeline:
// nil (nothing) unless the operator asked to keep it anonymised.
func (s *Service) keptEvents() *store.KeptEvents {
	if !s.opts.KeepSecurityEvents {
		return nil
	}
	return &store.KeptEvents{Tag: randomID(), Kind: EventAccountDeleted, At: s.now()}
}

type contributorSet struct {
	contribMu    sync.Mutex
	contributors []PersonalDataContributor
}
