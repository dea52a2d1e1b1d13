package identity

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/accountportal/portal/mail"
	"github.com/accountportal/portal/store"
)

// validAddress checks an address typed into field, returning an EINVALID
// error naming the field.
func validAddress(field, email string) error {
	if m := validateEmail(email); !m.ok() {
		return msgErr(field, m)
	}
	return nil
}

// Outbox jobs: requests for mail whose sending depends on whether the
// address has an account. The request does the same work for every
// address — a rate-limit count and one job row — so neither its answer nor
// its time tells whether an account exists (RST-01, AUTH-02); the worker
// looks the address up and sends, or not.
const (
	jobForgotPassword = "forgot-password"
	jobResendConfirm  = "resend-confirmation"
	jobEmailChange    = "email-change"
	// jobDiscard is the decoy of a mail nobody gets (decoyMail): the
	// worker claims it and removes it without sending anything.
	jobDiscard = "discard"
)

// decoyMail is, for a job whose address gets no mail (no account, already
// confirmed, taken by someone else), the worker's work of issuing a link
// and queueing its mail — so that the work right after the request, which
// shares the database's one writer and the CPUs with the next request,
// does not tell whether the address has an account (issue 17 item 8;
// RST-01, ACC-01, AUTH-02). Store writes are the same in number: a token
// needs a user, so the decoy deletes the tokens of no user, and counts in
// the rate-limit table where a token row would be written (and, with
// event, where the security event would be, after the same log line
// hashed as for unknown accounts). The mail is rendered like the real one
// and queued as a jobDiscard entry, which the next pass claims and removes
// like a sent mail — only the hand-off to the mail server is missing.
//
// The mail is written in the language the real one would be in: that of
// u, the account whose language it would follow (nil: none, then the
// request's), read as for a real recipient (catalogFor reads the saved
// language; for no account, the attributes of no account are read).
func (s *Service) decoyMail(ctx context.Context, u *User, to, purpose, tmpl, linkPath string, lifetime time.Duration, event string, c Client) error {
	raw := make([]byte, tokenBytes)
	if _, err := rand.Read(raw); err != nil {
		return internal(err)
	}
	secret := base64.RawURLEncoding.EncodeToString(raw)
	now := s.now()
	if err := s.store.DeleteTokens(ctx, "", purpose); err != nil {
		return internal(err)
	}
	if _, _, err := s.store.HitRateLimit(ctx, rateLimitKey("decoy-token", string(hashToken(secret, ""))), lifetime, now); err != nil {
		return internal(err)
	}
	if event != "" {
		s.logAnonymous(ctx, event, to, c)
		if _, _, err := s.store.HitRateLimit(ctx, rateLimitKey("decoy-event", to), lifetime, now); err != nil {
			return internal(err)
		}
	}
	if u == nil {
		if _, err := s.store.UserAttributes(ctx, ""); err != nil {
			return internal(err)
		}
	}
	cat := s.catalogFor(ctx, u)
	d := mail.Data{To: to, Link: s.link(linkPath, url.Values{"code": {secret}}), Expires: duration(cat, lifetime)}
	d.SiteName, d.BaseURL = s.opts.SiteName, s.opts.BaseURL+"/"
	if _, err := s.templates.Load().Render(cat, tmpl, d); err != nil {
		return internal(err)
	}
	return s.queue.enqueueJob(ctx, jobDiscard, to, "")
}

// jobPayload carries the requester into the job, for the security event.
type jobPayload struct {
	IP        string `json:"ip"`
	UserAgent string `json:"ua"`
	// UserID is the requester's account (email change).
	UserID string `json:"user,omitempty"`
	// Lang is the language of the request (its catalogue's tag): the
	// mail of a recipient without a saved language is written in it, by
	// the worker, after a restart too.
	Lang string `json:"lang,omitempty"`
}

// queueMailRequest is the request half of ForgotPassword and
// ResendConfirmation.
func (s *Service) queueMailRequest(ctx context.Context, c Client, job, limitKey, email string) error {
	if err := validAddress("email", email); err != nil {
		return err
	}
	if err := s.limit(ctx, "mail-request-ip", ipKey(c.IP), s.opts.RateLimits.MailRequestsPerIP); err != nil {
		return err
	}
	norm := NormalizeEmail(email)
	ok, _, err := s.hit(ctx, limitKey, norm, s.opts.RateLimits.MailsPerAccount)
	if err == nil && !ok {
		s.refused("mails-account")
	}
	if err != nil || !ok {
		// Over the per-address cap: answer as usual, send nothing (RST-05).
		return err
	}
	payload, _ := json.Marshal(jobPayload{IP: c.IP, UserAgent: c.UserAgent, Lang: requestLang(ctx)})
	return s.queue.enqueueJob(ctx, job, norm, string(payload))
}

func (p jobPayload) client() Client { return Client{IP: p.IP, UserAgent: p.UserAgent} }

func parsePayload(m *store.OutboxMessage) jobPayload {
	var p jobPayload
	_ = json.Unmarshal([]byte(m.Text), &p)
	return p
}

// ResendConfirmation mails a new confirmation link when email belongs to
// an account whose address is not confirmed yet. The answer is the same
// whether or not it does (no enumeration); the per-address cap keeps the
// inbox from being flooded, and the per-IP limit answers 429.
func (s *Service) ResendConfirmation(ctx context.Context, c Client, email string) error {
	return s.queueMailRequest(ctx, c, jobResendConfirm, "confirm-mail", email)
}

func (s *Service) runResendConfirmation(ctx context.Context, m *store.OutboxMessage) error {
	ctx = s.jobContext(ctx, m)
	u, err := s.store.FindUserByEmail(ctx, m.To)
	if errors.Is(err, store.ErrNotFound) || (err == nil && u.EmailConfirmed) {
		return s.decoyMail(ctx, nil, m.To, PurposeConfirmEmail, mail.ConfirmEmail, "/account/confirm-email", s.opts.ConfirmEmailLifetime, "", Client{})
	}
	if err != nil {
		return err
	}
	return s.SendConfirmation(ctx, u)
}

// ForgotPassword mails a reset link when email belongs to an account. It
// answers the same either way, in the same time (RST-01), limits requests
// per IP (429) and mails per address (RST-05: further requests send
// nothing), and changes nothing about the account (no lockout, CS-FP).
// Unconfirmed accounts get a link too: a reset by the real owner confirms
// the address (docs/security.md decision 3).
func (s *Service) ForgotPassword(ctx context.Context, c Client, email string) error {
	return s.queueMailRequest(ctx, c, jobForgotPassword, "reset-mail", email)
}

func (s *Service) runForgotPassword(ctx context.Context, m *store.OutboxMessage) error {
	ctx = s.jobContext(ctx, m)
	u, err := s.store.FindUserByEmail(ctx, m.To)
	if errors.Is(err, store.ErrNotFound) {
		return s.decoyMail(ctx, nil, m.To, PurposeResetPassword, mail.ResetPassword, "/account/reset-password", s.opts.ResetPasswordLifetime,
			EventPasswordResetRequest, parsePayload(m).client())
	}
	if err != nil {
		return err
	}
	secret, err := s.issueToken(ctx, u, PurposeResetPassword, "", "", s.opts.ResetPasswordLifetime)
	if err != nil {
		return err
	}
	s.RecordEvent(ctx, u.ID, EventPasswordResetRequest, parsePayload(m).client(), "")
	link := s.link("/account/reset-password", url.Values{"code": {secret}})
	cat := s.catalogFor(ctx, u)
	return s.queueMail(ctx, cat, mail.ResetPassword, mail.Data{To: u.Email, Link: link, Expires: duration(cat, s.opts.ResetPasswordLifetime)})
}

// ResetInput is what the reset form submits.
type ResetInput struct {
	Email    string
	Code     string
	Password string
}

// ResetPassword spends a reset link. It needs the link's code and the
// account's address; it sets the password, confirms the address, clears
// any lockout, rotates the stamp (every session of the account ends,
// RST-04) and tells the owner by mail. It does not sign anyone in.
func (s *Service) ResetPassword(ctx context.Context, c Client, in ResetInput) error {
	if err := validAddress("email", in.Email); err != nil {
		return err
	}
	if m := s.checkPassword(in.Password, in.Email); !m.ok() {
		return msgErr("password", m)
	}
	if err := s.limit(ctx, "link-ip", ipKey(c.IP), s.opts.RateLimits.LinkSubmissionsPerIP); err != nil {
		return err
	}
	u, err := s.store.FindUserByEmail(ctx, NormalizeEmail(in.Email))
	if errors.Is(err, store.ErrNotFound) {
		return ErrInvalidToken
	}
	if err != nil {
		return internal(err)
	}
	if _, _, err := s.consumeToken(ctx, u.ID, in.Code, PurposeResetPassword, ""); err != nil {
		return err
	}
	hash, err := s.hasher.Hash(ctx, NormalizePassword(in.Password))
	if err != nil {
		return err
	}
	if !u.EmailConfirmed {
		// The reset proves the address of an account nobody had proved:
		// what its creator set up goes before the owner's password is set
		// (OIDC-03, ACC-04).
		if _, err := s.removeCreatorCredentials(ctx, c, u, true, ""); err != nil {
			return err
		}
	}
	stamp, yes, zero, never := newStamp(), true, 0, time.Time{}
	err = s.store.UpdateUser(ctx, u.ID, store.UserUpdate{
		PasswordHash: &hash, SecurityStamp: &stamp, EmailConfirmed: &yes,
		AccessFailedCount: &zero, LockoutEnd: &never, UpdatedAt: s.now(),
	})
	if err != nil {
		return internal(err)
	}
	if err := s.store.DeleteTokens(ctx, u.ID, PurposeResetPassword); err != nil {
		s.log.ErrorContext(ctx, "reset: old tokens not deleted (they are dead: the stamp changed)", "err", err)
	}
	s.RecordEvent(ctx, u.ID, EventPasswordReset, c, "")
	// The owner proved the mailbox from here: this IP is trusted by the
	// lockout rules, so an attacker's throttling of it ends, and the
	// failures that held this address from this IP are forgotten: the
	// reset clears the lockout the owner sees (RST-04), while other IPs'
	// holds stay.
	s.rememberIP(ctx, u.ID, ipKey(c.IP))
	if err := s.store.ResetRateLimit(ctx, rateLimitKey("login-fail-ip-account", u.NormalizedEmail+"|"+ipKey(c.IP))); err != nil {
		s.log.ErrorContext(ctx, "reset: the sign-in failures of this IP were not forgotten", "err", err)
	}
	cat := s.catalogFor(ctx, u)
	d := s.eventData(ctx, cat, u, c)
	d.Link = s.link("/account/forgot-password", nil)
	s.sendMail(ctx, cat, mail.PasswordChanged, d)
	// A reset is what an owner does who lost control of the account: a
	// passkey someone else added would still sign in, so the owner is
	// told which passkeys can (issue 21).
	if ps, err := s.store.ListPasskeys(ctx, u.ID); err != nil {
		s.log.ErrorContext(ctx, "reset: passkeys not listed for the owner", "err", err)
	} else if len(ps) > 0 {
		names := make([]string, len(ps))
		for i, p := range ps {
			names[i] = p.Name
		}
		s.notify(ctx, u, c, "mail-notice.reset_passkeys", "names", strings.Join(names, cat.T("mail-notice.list_separator")))
	}
	return nil
}

// ErrEmailUnchanged: the new address is the current one.
var ErrEmailUnchanged = fieldErr("new_email", "errors.email_unchanged")

// RequestEmailChange mails a confirmation link to newEmail and a notice to
// the current address; nothing changes until the link is used (ACC-01).
// An address that belongs to another account is answered the same way but
// gets no link (no enumeration, and no way to take it over).
func (s *Service) RequestEmailChange(ctx context.Context, c Client, u *User, newEmail string) error {
	newEmail = strings.TrimSpace(newEmail)
	if err := validAddress("new_email", newEmail); err != nil {
		return err
	}
	newEmail = CanonicalEmail(newEmail)
	norm := NormalizeEmail(newEmail)
	if norm == u.NormalizedEmail {
		return ErrEmailUnchanged
	}
	if err := s.limit(ctx, "email-change", u.ID, s.opts.RateLimits.EmailChangesPerAccount); err != nil {
		return err
	}
	s.RecordEvent(ctx, u.ID, EventEmailChangeRequested, c, newEmail)
	// The old address hears of every request, whether or not the new
	// address is free: the notice must not tell which addresses have
	// accounts.
	cat := s.catalogFor(ctx, u)
	d := s.eventData(ctx, cat, u, c)
	d.NewEmail = newEmail
	d.Link = s.link("/account/manage/change-password", nil)
	s.sendMail(ctx, cat, mail.EmailChangeRequested, d)
	// Whether the new address has an account is looked up by the outbox
	// worker, not here: the request does the same work — the notice and one
	// job row — for a free and a taken address, so its time tells nothing
	// (ACC-01, AUTH-02; it answered ~25 % faster for a taken one when the
	// token and mail were made only for a free one).
	payload, _ := json.Marshal(jobPayload{IP: c.IP, UserAgent: c.UserAgent, UserID: u.ID, Lang: requestLang(ctx)})
	return s.queue.enqueueJob(ctx, jobEmailChange, newEmail, string(payload))
}

// PendingEmailChange is the address u last asked to change to, while the
// link mailed for it may still work: the newest email-change request of
// the timeline that no change followed, within the link's lifetime (issue
// 18 item 17: the email page shows it until it is confirmed). It is read
// from what the person asked, not from the token, so it shows the same
// whether or not the address was free (ACC-01).
func (s *Service) PendingEmailChange(ctx context.Context, u *User) (string, bool) {
	evs, err := s.store.ListEvents(ctx, u.ID, 0, EventsPageSize)
	if err != nil {
		s.log.ErrorContext(ctx, "pending email change not read", "user", u.ID, "err", err)
		return "", false
	}
	for _, e := range evs {
		switch e.Kind {
		case EventEmailChanged:
			return "", false
		case EventEmailChangeRequested:
			if !s.now().Before(e.CreatedAt.Add(s.opts.ChangeEmailLifetime)) || NormalizeEmail(e.Detail) == u.NormalizedEmail {
				return "", false
			}
			return e.Detail, true
		}
	}
	return "", false
}

// runEmailChange is the worker half of RequestEmailChange: a confirmation
// link to the new address (m.To) when it has no account; nothing when it
// has one (that confirmation could never complete) or the requester's
// account is gone.
func (s *Service) runEmailChange(ctx context.Context, m *store.OutboxMessage) error {
	ctx = s.jobContext(ctx, m)
	newEmail, norm := m.To, NormalizeEmail(m.To)
	_, err := s.store.FindUserByEmail(ctx, norm)
	taken := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	u, err := s.store.FindUserByID(ctx, parsePayload(m).UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if taken {
		// Someone else's address: no link, the same work (decoyMail).
		return s.decoyMail(ctx, u, newEmail, PurposeChangeEmail, mail.ChangeEmail, "/account/confirm-email-change", s.opts.ChangeEmailLifetime, "", Client{})
	}
	secret, err := s.issueToken(ctx, u, PurposeChangeEmail, newEmail, norm, s.opts.ChangeEmailLifetime)
	if err != nil {
		return err
	}
	link := s.link("/account/confirm-email-change", url.Values{"userId": {u.ID}, "email": {newEmail}, "code": {secret}})
	// The new address is the requester's: their language.
	cat := s.catalogFor(ctx, u)
	return s.queueMail(ctx, cat, mail.ChangeEmail, mail.Data{To: newEmail, Link: link, Expires: duration(cat, s.opts.ChangeEmailLifetime)})
}

// ConfirmEmailChange spends an email-change link: the account's address
// (and its username, when that was the address) becomes the new one, which
// counts as confirmed; the stamp rotates, ending every session of the
// account but keepSID (the browser confirming, if it is signed in as that
// user; "" otherwise); the old address is told. It returns the updated
// user.
func (s *Service) ConfirmEmailChange(ctx context.Context, c Client, userID, email, secret, keepSID string) (*User, error) {
	if err := s.limit(ctx, "link-ip", ipKey(c.IP), s.opts.RateLimits.LinkSubmissionsPerIP); err != nil {
		return nil, err
	}
	u, t, err := s.consumeToken(ctx, userID, secret, PurposeChangeEmail, NormalizeEmail(email))
	if err != nil {
		return nil, err
	}
	newEmail := t.Data
	norm := NormalizeEmail(newEmail)
	if norm != NormalizeEmail(email) {
		return nil, ErrInvalidToken
	}
	upd := store.UserUpdate{Email: &newEmail, NormalizedEmail: &norm, UpdatedAt: s.now()}
	if u.NormalizedUserName == u.NormalizedEmail {
		upd.UserName, upd.NormalizedUserName = &newEmail, &norm
	}
	stamp, yes := newStamp(), true
	upd.SecurityStamp, upd.EmailConfirmed, upd.KeepSessionID = &stamp, &yes, keepSID
	if err := s.store.UpdateUser(ctx, u.ID, upd); errors.Is(err, store.ErrConflict) {
		return nil, ErrInvalidToken // the address was taken meanwhile
	} else if err != nil {
		return nil, internal(err)
	}
	if err := s.store.DeleteTokens(ctx, u.ID, PurposeChangeEmail); err != nil {
		s.log.ErrorContext(ctx, "email change: old tokens not deleted (they are dead: the stamp changed)", "err", err)
	}
	s.RecordEvent(ctx, u.ID, EventEmailChanged, c, u.Email+" → "+newEmail)
	cat := s.catalogFor(ctx, u)
	d := s.eventData(ctx, cat, u, c)
	d.NewEmail, d.OldEmail = newEmail, u.Email
	s.sendMail(ctx, cat, mail.EmailChanged, d)
	return s.store.FindUserByID(ctx, u.ID)
}

// SendVerificationEmail mails the signed-in user a new confirmation link
// for their current, unconfirmed address (manage/email).
func (s *Service) SendVerificationEmail(ctx context.Context, u *User) error {
	if u.EmailConfirmed {
		return errKey(EINVALID, "errors.email_already_confirmed")
	}
	ok, retry, err := s.hit(ctx, "confirm-mail", u.NormalizedEmail, s.opts.RateLimits.MailsPerAccount)
	if err != nil {
		return err
	}
	if !ok {
		s.refused("confirm-mail")
		e := errKey(ERATELIMIT, "errors.too_many_links")
		e.RetryAfter = retry
		return e
	}
	return s.SendConfirmation(ctx, u)
}
