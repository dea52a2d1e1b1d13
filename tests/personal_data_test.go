package tests

// End-to-end tests of the personal-data pages: the page itself, the
// PersonalData.json download and account deletion (PRIV-01,
// PRIV-02, PRIV-03, SES-03, SES-05, ACC-03, AUTH-01).
//
// Helpers of this file and security_history_test.go start with "pd" so
// that they cannot collide with the other test files of the package.

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/internal/portaltest"
)

const (
	pdPassword      = "correct horse battery"
	pdPersonalPath  = "/account/manage/personal-data"
	pdDownloadPath  = "/account/manage/download-personal-data"
	pdDeletePath    = "/account/manage/delete-personal-data"
	pdPastReauth    = 11 * time.Minute
	pdDeletedSubj   = "account was deleted"
	pdExportFormat  = "portal-personal-data/1"
	pdDeletedTestID = "[data-testid=account-deleted]"
)

// pdScalar runs a one-value query (gray box).
func pdScalar[T any](t testing.TB, db *sql.DB, q string, args ...any) T {
	t.Helper()
	var v T
	if err := db.QueryRowContext(context.Background(), q, args...).Scan(&v); err != nil {
		t.Fatalf("%s %v: %v", q, args, err)
	}
	return v
}

// pdUserTables are the tables with a user_id column (users is keyed by
// id): read from the schema, so a table added later is checked too. It
// fails the test unless the tables of this issue are among them.
func pdUserTables(t testing.TB, db *sql.DB) []string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), `SELECT m.name FROM sqlite_master m
		JOIN pragma_table_info(m.name) c WHERE m.type = 'table' AND c.name = 'user_id' ORDER BY m.name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		out = append(out, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"security_events", "user_sessions", "user_tokens"} {
		if !slices.Contains(out, want) {
			t.Fatalf("tables with user_id=%q, want %s among them", out, want)
		}
	}
	return out
}

// pdRowCounts counts every row of the account: users by id, every
// user_id table, and mail_outbox rows to its address.
func pdRowCounts(t testing.TB, db *sql.DB, userID, email string) map[string]int {
	t.Helper()
	out := map[string]int{
		"users":       pdScalar[int](t, db, `SELECT count(*) FROM users WHERE id = ?`, userID),
		"mail_outbox": pdScalar[int](t, db, `SELECT count(*) FROM mail_outbox WHERE to_addr = ? COLLATE NOCASE`, email),
	}
	for _, table := range pdUserTables(t, db) {
		out[table] = pdScalar[int](t, db, `SELECT count(*) FROM `+table+` WHERE user_id = ?`, userID)
	}
	return out
}

// pdQueueMail puts a message to addr into mail_outbox that is not due for
// a day, so the worker leaves it queued (gray box).
func pdQueueMail(t testing.TB, srv *portaltest.Server, db *sql.DB, addr, subject string) {
	t.Helper()
	now := srv.Clock.Now().UTC()
	_, err := db.ExecContext(context.Background(), `INSERT INTO mail_outbox
		(kind, to_addr, subject, text_body, html_body, created_at, next_attempt_at)
		VALUES ('', ?, ?, 'queued', '<p>queued</p>', ?, ?)`, addr, subject, now, now.Add(24*time.Hour))
	if err != nil {
		t.Fatalf("queue mail to %s: %v", addr, err)
	}
}

// pdDownload presses the download button of the personal-data page.
func pdDownload(t testing.TB, c *portaltest.Client) *portaltest.Page {
	t.Helper()
	p := c.Get(pdPersonalPath)
	portaltest.WantStatus(t, p, http.StatusOK)
	f := p.Form(t, "form#download-data")
	return c.Post(f.Action, f.Values)
}

// pdKeys returns the keys of the JSON object raw, in the order they appear.
func pdKeys(t testing.TB, raw []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		t.Fatalf("want a JSON object, got %v (%v):\n%s", tok, err, raw)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("read key: %v", err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatalf("read value of %q: %v", keys[len(keys)-1], err)
		}
	}
	if _, err := dec.Token(); err != nil {
		t.Fatalf("read end of object: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		t.Fatalf("trailing data after the object: %v", err)
	}
	return keys
}

// pdWantKeys fails the test unless the object raw has exactly keys, in
// that order.
func pdWantKeys(t testing.TB, what string, raw []byte, keys ...string) {
	t.Helper()
	if got := pdKeys(t, raw); !slices.Equal(got, keys) {
		t.Errorf("%s keys=%q, want %q in this order", what, got, keys)
	}
}

// pdExport is PersonalData.json, each part kept raw for key-order checks.
type pdExport struct {
	Format         string                     `json:"format"`
	ExportedAt     time.Time                  `json:"exportedAt"`
	Account        json.RawMessage            `json:"account"`
	ExternalLogins []json.RawMessage          `json:"externalLogins"`
	Sessions       []json.RawMessage          `json:"sessions"`
	SecurityEvents []json.RawMessage          `json:"securityEvents"`
	Application    map[string]json.RawMessage `json:"application"`
}

// pdWantExport fails the test unless p is a PersonalData.json download
// (PRIV-01: application/json, attachment, no-store) and returns it parsed.
func pdWantExport(t testing.TB, p *portaltest.Page) pdExport {
	t.Helper()
	portaltest.WantStatus(t, p, http.StatusOK)
	if mt, _, err := mime.ParseMediaType(p.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		t.Errorf("Content-Type=%q, want application/json", p.Header.Get("Content-Type"))
	}
	disp, params, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
	if err != nil || disp != "attachment" || params["filename"] != "PersonalData.json" {
		t.Errorf("Content-Disposition=%q, want attachment; filename=PersonalData.json", p.Header.Get("Content-Disposition"))
	}
	if got := p.Header.Get("Cache-Control"); !strings.Contains(got, "no-store") {
		t.Errorf("Cache-Control=%q, want no-store", got)
	}
	var generic map[string]any
	if err := json.Unmarshal([]byte(p.Body), &generic); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, p.Body)
	}
	var e pdExport
	if err := json.Unmarshal([]byte(p.Body), &e); err != nil {
		t.Fatalf("decode export: %v\n%s", err, p.Body)
	}
	return e
}

// TestPersonalDataPage (PRIV-01, PRIV-02): a signed-in user sees the
// download form (a POST with a CSRF token) and the delete link; an
// anonymous visitor is sent to log in.
func TestPersonalDataPage(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	c := srv.SignedUp(t, "alice@example.com", pdPassword)

	p := c.Get(pdPersonalPath)
	portaltest.WantStatus(t, p, http.StatusOK)
	f := p.Doc(t).Find("form#download-data")
	if f.Length() != 1 {
		t.Fatalf("%d form#download-data, want 1:\n%s", f.Length(), p.Body)
	}
	if got, want := strings.ToLower(f.AttrOr("method", "")), "post"; got != want {
		t.Errorf("form#download-data method=%q, want %q", got, want)
	}
	if got, want := f.AttrOr("action", ""), pdDownloadPath; got != want {
		t.Errorf("form#download-data action=%q, want %q", got, want)
	}
	if f.Find("input[name=_csrf]").AttrOr("value", "") == "" {
		t.Errorf("form#download-data has no _csrf token")
	}
	if got, want := p.Doc(t).Find("a#delete").AttrOr("href", ""), pdDeletePath; got != want {
		t.Errorf("a#delete href=%q, want %q", got, want)
	}

	anon := portaltest.NewClient(t, srv)
	portaltest.WantLoginRedirect(t, anon.Get(pdPersonalPath), pdPersonalPath)
	portaltest.WantLoginRedirect(t, anon.Get(pdDeletePath), pdDeletePath)
}

// TestPersonalDataDownloadGetIs405 (PRIV-01): the download is POST only;
// a GET (a link, a prefetch) is 405 and exports nothing.
func TestPersonalDataDownloadGetIs405(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	c := srv.SignedUp(t, "alice@example.com", pdPassword)

	p := c.Get(pdDownloadPath)
	if strings.Contains(p.Header.Get("Content-Disposition"), "attachment") || strings.Contains(p.Body, pdExportFormat) {
		t.Errorf("GET answered an export: %v", p.Header)
	}
	portaltest.WantStatus(t, p, http.StatusMethodNotAllowed)
	// The GET used no export: the button still works.
	pdWantExport(t, pdDownload(t, c))
}

// TestPersonalDataDownloadNeedsCSRF (PRIV-01, BRW-06): a POST without the
// session's CSRF token is refused and exports nothing.
func TestPersonalDataDownloadNeedsCSRF(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	c := srv.SignedUp(t, "alice@example.com", pdPassword)

	wantCSRFRefused(t, c.Post(pdDownloadPath, url.Values{}))
	wantCSRFRefused(t, c.Post(pdDownloadPath, url.Values{"_csrf": {"forged"}}))
	// The refused POSTs used no export: the button still works.
	pdWantExport(t, pdDownload(t, c))
}

// TestPersonalDataDownload (PRIV-01, SES-05, ACC-03): the export has every
// documented key in the documented order, the user's own data, sessions
// and security events, and no secret: no password hash, security stamp,
// mailed code or session cookie, and nothing of another user. A second
// export within 10 minutes is 429; after the re-auth window the POST goes
// to re-authentication and comes back to the personal-data page.
func TestPersonalDataDownload(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email, other = "alice@example.com", "bob@example.com"
	c := srv.SignedUp(t, email, pdPassword)
	srv.SignedUp(t, other, pdPassword)
	db := srv.GrayDB(t, false)
	id := srv.UserID(t, email)
	stamp := pdScalar[string](t, db, `SELECT security_stamp FROM users WHERE id = ?`, id)
	hash := pdScalar[string](t, db, `SELECT password_hash FROM users WHERE id = ?`, id)
	code := efQuery(t, srv.LastLink(t, email, "", "/account/confirm-email"), "code")
	cookie := c.Cookie(portaltest.SessionCookie)
	if stamp == "" || hash == "" || code == "" || cookie == "" {
		t.Fatalf("setup: stamp=%q hash=%q code=%q cookie=%q, want all set", stamp, hash, code, cookie)
	}

	p := pdDownload(t, c)
	e := pdWantExport(t, p)

	pdWantKeys(t, "top level", []byte(p.Body),
		"format", "exportedAt", "account", "externalLogins", "passkeys", "connectedApps", "sessions", "securityEvents")
	pdWantKeys(t, "account", e.Account,
		"id", "email", "emailConfirmed", "userName", "phoneNumber", "twoFactorEnabled", "createdAt", "updatedAt")
	if got, want := e.Format, pdExportFormat; got != want {
		t.Errorf("format=%q, want %q", got, want)
	}
	if !e.ExportedAt.Equal(srv.Clock.Now()) {
		t.Errorf("exportedAt=%v, want the server's now %v", e.ExportedAt, srv.Clock.Now())
	}
	var acct struct {
		ID             string `json:"id"`
		Email          string `json:"email"`
		EmailConfirmed bool   `json:"emailConfirmed"`
	}
	if err := json.Unmarshal(e.Account, &acct); err != nil {
		t.Fatal(err)
	}
	if acct.ID != id || acct.Email != email || !acct.EmailConfirmed {
		t.Errorf("account=%+v, want id %s, email %s, confirmed", acct, id, email)
	}
	if e.ExternalLogins == nil || len(e.ExternalLogins) != 0 {
		t.Errorf("externalLogins=%v, want []", e.ExternalLogins)
	}
	if len(e.Sessions) == 0 {
		t.Fatalf("sessions is empty, want this browser's session:\n%s", p.Body)
	}
	pdWantKeys(t, "sessions[0]", e.Sessions[0], "createdAt", "lastSeenAt", "expiresAt", "ip", "device", "userAgent")
	var kinds []string
	for i, raw := range e.SecurityEvents {
		var ev struct {
			Kind   string `json:"kind"`
			Detail string `json:"detail"`
		}
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, ev.Kind)
		want := []string{"time", "kind", "ip", "device", "userAgent"}
		if ev.Detail != "" {
			want = append(want, "detail")
		}
		pdWantKeys(t, "securityEvents["+strconv.Itoa(i)+"]", raw, want...)
	}
	for _, k := range []string{"register", "email_confirmed", "login"} {
		if !slices.Contains(kinds, k) {
			t.Errorf("securityEvents kinds=%q, want one %q", kinds, k)
		}
	}
	if e.Application != nil {
		t.Errorf("application=%s, want no key without a contributor", e.Application)
	}

	for what, secret := range map[string]string{
		"argon2id prefix": "$argon2id", "password hash": hash, "security stamp": stamp,
		"confirmation code": code, "session cookie": cookie, "password": pdPassword,
		"other user (ACC-03)": other,
	} {
		if strings.Contains(p.Body, secret) {
			t.Errorf("export contains the %s %q", what, secret)
		}
	}

	// At most one export per 10 minutes per account.
	p = pdDownload(t, c)
	portaltest.WantStatus(t, p, http.StatusTooManyRequests)
	if secs, err := strconv.Atoi(p.Header.Get("Retry-After")); err != nil || secs < 1 || secs > 600 {
		t.Errorf("Retry-After=%q, want 1..600 seconds", p.Header.Get("Retry-After"))
	}
	if strings.Contains(p.Body, stamp) || p.Header.Get("Content-Disposition") != "" {
		t.Errorf("429 answered an export")
	}

	// SES-05: a sign-in older than the re-auth window must re-authenticate
	// first, and comes back to the page with the button (not to the POST).
	srv.Clock.Advance(pdPastReauth)
	portaltest.WantRedirect(t, pdDownload(t, c), "/account/reauthenticate?returnUrl=%2Faccount%2Fmanage%2Fpersonal-data")
}

// pdContributor is an embedding application's export section.
type pdContributor struct{ section string }

func (c pdContributor) Section() string { return c.section }

func (c pdContributor) PersonalData(_ context.Context, userID string) (any, error) {
	return map[string]any{"userId": userID, "orders": []string{"A-1", "A-2"}}, nil
}

// TestPersonalDataDownloadContributor (PRIV-01): an application section
// registered through Portal.AddPersonalDataContributor appears under
// "application"."<section>", last, with the signed-in user's data.
func TestPersonalDataDownloadContributor(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	srv.Portal.AddPersonalDataContributor(pdContributor{section: "shop"})
	const email = "alice@example.com"
	c := srv.SignedUp(t, email, pdPassword)

	p := pdDownload(t, c)
	e := pdWantExport(t, p)
	pdWantKeys(t, "top level", []byte(p.Body),
		"format", "exportedAt", "account", "externalLogins", "passkeys", "connectedApps", "sessions", "securityEvents", "application")
	raw, ok := e.Application["shop"]
	if !ok {
		t.Fatalf("application=%s, want a \"shop\" section", e.Application)
	}
	var shop struct {
		UserID string   `json:"userId"`
		Orders []string `json:"orders"`
	}
	if err := json.Unmarshal(raw, &shop); err != nil {
		t.Fatal(err)
	}
	if got, want := shop.UserID, srv.UserID(t, email); got != want {
		t.Errorf("application.shop.userId=%q, want %q", got, want)
	}
	if got, want := shop.Orders, []string{"A-1", "A-2"}; !slices.Equal(got, want) {
		t.Errorf("application.shop.orders=%q, want %q", got, want)
	}
}

// pdSubmitDelete posts the delete form (read from its page) with password.
func pdSubmitDelete(t testing.TB, c *portaltest.Client, password string) *portaltest.Page {
	t.Helper()
	return c.Submit(pdDeletePath, "form#delete-user", map[string]string{"password": password})
}

// TestDeletePersonalDataWrongPassword (PRIV-02): a wrong password is a 422
// with a field error, removes nothing, and counts towards the lockout.
func TestDeletePersonalDataWrongPassword(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "alice@example.com"
	c := srv.SignedUp(t, email, pdPassword)
	db := srv.GrayDB(t, false)
	id := srv.UserID(t, email)
	pdQueueMail(t, srv, db, email, "queued before the attempt")
	before := pdRowCounts(t, db, id, email)
	failures := pdScalar[int](t, db, `SELECT access_failed_count FROM users WHERE id = ?`, id)

	p := pdSubmitDelete(t, c, "wrong horse battery")
	portaltest.WantStatus(t, p, http.StatusUnprocessableEntity)
	if portaltest.FieldError(t, p, "password") == "" {
		t.Errorf("no .field-error for password:\n%s", p.Body)
	}

	after := pdRowCounts(t, db, id, email)
	for _, table := range []string{"users", "user_tokens", "user_sessions", "mail_outbox"} {
		if after[table] != before[table] {
			t.Errorf("%s rows of the account=%d after a wrong password, want %d", table, after[table], before[table])
		}
	}
	// The failed attempt is itself a security event (LOG-01); nothing of
	// the timeline goes.
	if got, want := after["security_events"], before["security_events"]+1; got != want {
		t.Errorf("security_events rows=%d, want %d (the old ones and the failed attempt)", got, want)
	}
	if got, want := pdScalar[int](t, db, `SELECT access_failed_count FROM users WHERE id = ?`, id), failures+1; got != want {
		t.Errorf("access_failed_count=%d, want %d (a wrong password counts towards lockout)", got, want)
	}
	portaltest.WantStatus(t, c.Get("/account/manage"), http.StatusOK)
	if len(srv.MailsWith(t, email, pdDeletedSubj)) != 0 {
		t.Errorf("an account-deleted mail went out after a wrong password")
	}
}

// TestDeletePersonalData (PRIV-02, SES-03, AUTH-01): the right password
// removes every row of the account in one go, signs out this browser and
// every other, mails the old address, leaves other accounts alone, and
// frees the address for a fresh account.
func TestDeletePersonalData(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email, other = "alice@example.com", "bob@example.com"
	a := srv.SignedUp(t, email, pdPassword)
	b := portaltest.NewClient(t, srv)
	portaltest.WantRedirect(t, b.Login(email, pdPassword, false), "/")
	bob := srv.SignedUp(t, other, pdPassword)
	// A password reset leaves an unused token row for alice.
	efForgot(t, srv, email)
	srv.Mails(t)

	db := srv.GrayDB(t, false)
	id, bobID := srv.UserID(t, email), srv.UserID(t, other)
	pdQueueMail(t, srv, db, email, "queued for alice")
	pdQueueMail(t, srv, db, strings.ToUpper(email), "queued for ALICE")
	pdQueueMail(t, srv, db, other, "queued for bob")
	// As if alice had 2FA and a linked login (tables of later features):
	// those rows must go too.
	seed := map[string]string{
		"recovery_codes": `INSERT INTO recovery_codes (user_id, code_hash, created_at)
			VALUES (?1, '$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$aGFzaA', ?2)`,
		"external_logins": `INSERT INTO external_logins (provider, subject, user_id, display_name, email, created_at)
			VALUES ('github', 'alice-subject', ?1, 'alice', 'alice@example.com', ?2)`,
	}
	for table, q := range seed {
		if !slices.Contains(pdUserTables(t, db), table) {
			continue
		}
		if _, err := db.ExecContext(context.Background(), q, id, srv.Clock.Now().UTC()); err != nil {
			t.Fatalf("seed %s: %v", table, err)
		}
	}
	before := pdRowCounts(t, db, id, email)
	for _, table := range []string{"users", "user_tokens", "user_sessions", "security_events", "mail_outbox"} {
		if before[table] == 0 {
			t.Fatalf("setup: no %s row for alice, the test would prove nothing: %v", table, before)
		}
	}
	bobBefore := pdRowCounts(t, db, bobID, other)

	p := pdSubmitDelete(t, a, pdPassword)
	portaltest.WantRedirect(t, p, "/account/deleted")
	if a.Cookie(portaltest.SessionCookie) != "" {
		t.Errorf("session cookie still set after deletion: %q", p.SessionSetCookies())
	}
	g := a.Follow(p)
	portaltest.WantStatus(t, g, http.StatusOK)
	if !g.Has(t, pdDeletedTestID) {
		t.Errorf("goodbye page has no %s:\n%s", pdDeletedTestID, g.Body)
	}
	portaltest.WantLoginRedirect(t, a.Get("/account/manage"), "/account/manage")
	// SES-03: the other browser is signed out at its next request.
	portaltest.WantLoginRedirect(t, b.Get("/account/manage"), "/account/manage")

	// Gray box: no row of the account is left; queued mail to it is gone
	// (the goodbye mail itself is queued after the deletion).
	if got := pdScalar[int](t, db, `SELECT count(*) FROM users WHERE id = ?`, id); got != 0 {
		t.Errorf("users rows=%d, want 0", got)
	}
	for _, table := range pdUserTables(t, db) {
		if got := pdScalar[int](t, db, `SELECT count(*) FROM `+table+` WHERE user_id = ?`, id); got != 0 {
			t.Errorf("%s rows of the deleted account=%d, want 0", table, got)
		}
	}
	if got := pdScalar[int](t, db, `SELECT count(*) FROM mail_outbox WHERE to_addr = ? COLLATE NOCASE
		AND subject NOT LIKE '%' || ? || '%'`, email, pdDeletedSubj); got != 0 {
		t.Errorf("mail_outbox rows to %s=%d after deletion, want 0", email, got)
	}
	if got := srv.CountUsers(t, email); got != 0 {
		t.Errorf("users with %s=%d, want 0", email, got)
	}
	if got := pdScalar[int](t, db, `SELECT count(*) FROM kept_events`); got != 0 {
		t.Errorf("kept_events rows=%d without --keep-security-events, want 0", got)
	}
	// Another account is untouched.
	if got := pdRowCounts(t, db, bobID, other); !pdEqualCounts(got, bobBefore) {
		t.Errorf("bob's rows=%v after alice's deletion, want %v", got, bobBefore)
	}
	portaltest.WantStatus(t, bob.Get("/account/manage"), http.StatusOK)

	// The old address is told.
	if got := srv.MailsWith(t, email, pdDeletedSubj); len(got) != 1 {
		t.Errorf("%d mails with %q to %s, want 1; all: %v", len(got), pdDeletedSubj, email, portaltest.Subjects(srv.Mails(t)))
	} else if strings.Contains(got[0].Text, pdPassword) {
		t.Errorf("account-deleted mail contains the password")
	}

	// AUTH-01: the old credentials get the generic answer.
	wantInvalidLogin(t, portaltest.NewClient(t, srv).Login(email, pdPassword, false))

	// The address can register again, as a fresh account.
	fresh := srv.SignedUp(t, email, "another horse battery")
	portaltest.WantStatus(t, fresh.Get("/account/manage"), http.StatusOK)
	if newID := srv.UserID(t, email); newID == id {
		t.Errorf("the new account has the deleted account's id %s", id)
	}
	// The fresh account does not inherit the old timeline.
	sec := fresh.Get("/account/manage/security")
	portaltest.WantStatus(t, sec, http.StatusOK)
	if got := pdKinds(t, sec); slices.Contains(got, "password_reset_requested") {
		t.Errorf("the new account's timeline %q holds the deleted account's events", got)
	}
}

// pdEqualCounts reports whether two count maps are equal.
func pdEqualCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestDeletePersonalDataNeedsRecentAuth (SES-05): after the re-auth window
// both the page and the POST go to re-authentication, and nothing is
// deleted.
func TestDeletePersonalDataNeedsRecentAuth(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t)
	const email = "alice@example.com"
	c := srv.SignedUp(t, email, pdPassword)
	portaltest.WantStatus(t, c.Get(pdDeletePath), http.StatusOK)
	csrf := c.Get(pdPersonalPath).CSRF(t)

	srv.Clock.Advance(pdPastReauth)
	portaltest.WantRedirect(t, c.Get(pdDeletePath), portaltest.ReauthURL(pdDeletePath))
	portaltest.WantRedirect(t, c.Post(pdDeletePath, url.Values{"_csrf": {csrf}, "password": {pdPassword}}), portaltest.ReauthURL(pdDeletePath))
	if got := srv.CountUsers(t, email); got != 1 {
		t.Fatalf("users with %s=%d after a stale POST, want 1", email, got)
	}
	portaltest.WantStatus(t, c.Get(pdPersonalPath), http.StatusOK)
}

// TestDeleteKeepsAnonymisedEvents: with --keep-security-events, deleting
// the account keeps its timeline as kinds and times only — no user id,
// address, IP or user agent — and still removes every row of the account.
func TestDeleteKeepsAnonymisedEvents(t *testing.T) {
	t.Parallel()
	srv := portaltest.NewServer(t, func(c *portal.Config) { c.KeepSecurityEvents = true })
	const email = "alice@example.com"
	a := srv.SignedUp(t, email, pdPassword)
	db := srv.GrayDB(t, false)
	id := srv.UserID(t, email)
	events := pdScalar[int](t, db, `SELECT count(*) FROM security_events WHERE user_id = ?`, id)
	if events == 0 {
		t.Fatal("setup: alice has no security events")
	}
	portaltest.WantRedirect(t, pdSubmitDelete(t, a, pdPassword), "/account/deleted")

	if got := pdScalar[int](t, db, `SELECT count(*) FROM security_events WHERE user_id = ?`, id); got != 0 {
		t.Errorf("%d security_events rows of the deleted account, want 0", got)
	}
	if got := pdScalar[int](t, db, `SELECT count(DISTINCT tag) FROM kept_events`); got != 1 {
		t.Fatalf("kept_events tags=%d, want 1", got)
	}
	if got := pdScalar[int](t, db, `SELECT count(*) FROM kept_events`); got != events+1 {
		t.Errorf("kept_events rows=%d, want the %d events plus the deletion", got, events)
	}
	if got := pdScalar[string](t, db, `SELECT kind FROM kept_events ORDER BY id DESC LIMIT 1`); got != "account_deleted" {
		t.Errorf("last kept event %q, want account_deleted", got)
	}
	tag := pdScalar[string](t, db, `SELECT tag FROM kept_events LIMIT 1`)
	if tag == id || strings.Contains(tag, "alice") {
		t.Errorf("the tag %q links to the account", tag)
	}
	var cols []string
	rows, err := db.Query(`SELECT name FROM pragma_table_info('kept_events')`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var c string
		rows.Scan(&c)
		cols = append(cols, c)
	}
	if !slices.Equal(cols, []string{"id", "tag", "kind", "created_at"}) {
		t.Errorf("kept_events columns %v: only kind and time may be kept", cols)
	}
}
