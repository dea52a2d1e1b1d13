package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// The OpenID Provider's scenarios (issue 20): token, the code exchange
// (POST /oidc/token, authorization_code, a confidential client with HTTP
// Basic; an ID token signed, an access and a refresh token stored), and
// userinfo (GET /oidc/userinfo with a bearer access token).
//
// A code is single-use, so the token scenario cannot repeat one prepared
// request: it draws each request from a pool of codes. Making them through
// the browser part of the flow (three requests each) would load the server
// while it is measured and run them out of their one-minute life, so the
// harness writes the authorization requests the browser part would have
// left — signed in, done, with a code — straight into the database, as it
// seeds the users: the exchange is measured alone, in full.

const (
	bnClientID   = "bench-client"
	bnRedirect   = "http://127.0.0.1/bench/callback"
	bnCodesPerRd = 60000 // codes per round of the token scenario
)

// bnOIDC is what the OIDC scenarios use: the client's secret and the
// codes, drawn in order.
type bnOIDC struct {
	secret string
	codes  []string
	next   atomic.Int64
}

// take is the next unused code ("" once they are spent).
func (o *bnOIDC) take() string {
	i := int(o.next.Add(1) - 1)
	if i >= len(o.codes) {
		return ""
	}
	return o.codes[i]
}

func bnRandom(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// bnSeedOIDC registers a confidential client and n signed-in
// authorization requests with codes (valid for two hours) for the users
// of special, straight into the database.
func bnSeedOIDC(ctx context.Context, dbPath string, special []int, n int) (*bnOIDC, time.Duration, error) {
	start := time.Now()
	db, err := sql.Open("sqlite3", "file:"+dbPath+"?_journal_mode=WAL&_synchronous=OFF&_busy_timeout=5000")
	if err != nil {
		return nil, 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	o := &bnOIDC{secret: bnRandom(32), codes: make([]string, n)}
	now := time.Now().UTC()
	h := sha256.Sum256([]byte(o.secret))
	if _, err := db.ExecContext(ctx, `INSERT INTO oidc_clients (id, name, secret_hash, redirect_uris, post_logout_uris, public, skip_consent, created_at)
		VALUES (?, 'Bench', ?, ?, '', 0, 1, ?)`, bnClientID, h[:], bnRedirect, now); err != nil {
		return nil, 0, err
	}
	users := make([]string, len(special))
	for i, u := range special {
		if err := db.QueryRowContext(ctx, `SELECT id FROM users WHERE email = ?`, bnEmail(u)).Scan(&users[i]); err != nil {
			return nil, 0, fmt.Errorf("user %s: %w", bnEmail(u), err)
		}
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, 0, err
	}
	defer tx.Rollback()
	st, err := tx.PrepareContext(ctx, `INSERT INTO oidc_auth_requests (id, client_id, redirect_uri, state, nonce, scopes, response_type,
		user_id, auth_time, amr, done, code_hash, code_expires_at, created_at, expires_at)
		VALUES (?, ?, ?, 'st', 'nonce', 'openid profile email offline_access', 'code', ?, ?, 'pwd', 1, ?, ?, ?, ?)`)
	if err != nil {
		return nil, 0, err
	}
	exp := now.Add(2 * time.Hour)
	for i := range o.codes {
		o.codes[i] = bnRandom(32)
		ch := sha256.Sum256([]byte(o.codes[i]))
		if _, err := st.ExecContext(ctx, bnRandom(24), bnClientID, bnRedirect, users[i%len(users)], now, ch[:], exp, now, exp); err != nil {
			return nil, 0, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, 0, err
	}
	if _, err := db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return nil, 0, err
	}
	return o, time.Since(start), nil
}

// tokenRequest is the exchange of code, as a client sends it.
func (o *bnOIDC) tokenRequest(addr, code string) []byte {
	body := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {bnRedirect}}.Encode()
	return bnRawRequest(http.MethodPost, addr, "/oidc/token", http.Header{
		"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(bnClientID+":"+o.secret))},
		"Content-Type":  {"application/x-www-form-urlencoded"},
	}, body, http.StatusOK).raw
}

// tokenRequests are the token scenario's connections: each request
// exchanges the next code of the pool.
func (o *bnOIDC) tokenRequests(addr string, conns int) []bnRequest {
	reqs := make([]bnRequest, conns)
	for i := range reqs {
		reqs[i] = bnRequest{wantStatus: http.StatusOK, src: bnSrcIP(i), next: func() []byte {
			if c := o.take(); c != "" {
				return o.tokenRequest(addr, c)
			}
			return nil
		}}
	}
	return reqs
}

// exchange redeems one code through net/http and returns the access
// token, checking the answer.
func (o *bnOIDC) exchange(ctx context.Context, p *bnProc) (string, error) {
	code := o.take()
	if code == "" {
		return "", fmt.Errorf("no code left")
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, p.URL("/oidc/token"),
		strings.NewReader(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {bnRedirect}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(bnClientID, o.secret)
	resp, err := bnClient(nil).Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var tok struct {
		AccessToken  string `json:"access_token"`
		IDToken      string `json:"id_token"`
		RefreshToken string `json:"refresh_token"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &tok) != nil || tok.AccessToken == "" || tok.IDToken == "" || tok.RefreshToken == "" {
		return "", fmt.Errorf("POST /oidc/token: %d %s", resp.StatusCode, body)
	}
	return tok.AccessToken, nil
}

// userinfoRequests are the userinfo scenario's connections, each with an
// access token of its own (one exchange each, checked once).
func (o *bnOIDC) userinfoRequests(ctx context.Context, p *bnProc, conns int) ([]bnRequest, error) {
	reqs := make([]bnRequest, conns)
	for i := range reqs {
		at, err := o.exchange(ctx, p)
		if err != nil {
			return nil, err
		}
		reqs[i] = bnRawRequest(http.MethodGet, p.addr, "/oidc/userinfo", http.Header{"Authorization": {"Bearer " + at}}, "", http.StatusOK)
		reqs[i].src = bnSrcIP(i)
		if i == 0 {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.URL("/oidc/userinfo"), nil)
			req.Header.Set("Authorization", "Bearer "+at)
			resp, err := bnClient(nil).Do(req)
			if err != nil {
				return nil, err
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"sub"`) {
				return nil, fmt.Errorf("GET /oidc/userinfo: %d %s", resp.StatusCode, body)
			}
		}
	}
	return reqs, nil
}
