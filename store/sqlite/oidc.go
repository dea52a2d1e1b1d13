package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/accountportal/portal/store"
)

// Lists (scopes, URIs, amr) are stored space-separated: none of their
// items can hold a space.
func joinList(l []string) string { return strings.Join(l, " ") }
func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Fields(s)
}

const oidcClientColumns = `id, name, secret_hash, redirect_uris, post_logout_uris, public, skip_consent, created_at`

func scanOIDCClient(r scanner) (*store.OIDCClient, error) {
	var c store.OIDCClient
	var redirect, logout string
	if err := r.Scan(&c.ID, &c.Name, &c.SecretHash, &redirect, &logout, &c.Public, &c.SkipConsent, &c.CreatedAt); err != nil {
		return nil, translate(err)
	}
	c.RedirectURIs, c.PostLogoutRedirectURIs = splitList(redirect), splitList(logout)
	c.CreatedAt = c.CreatedAt.UTC()
	return &c, nil
}

// CreateOIDCClient stores c.
func (s *Store) CreateOIDCClient(ctx context.Context, c *store.OIDCClient) error {
	_, err := s.exec(ctx, `INSERT INTO oidc_clients (`+oidcClientColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.Name, c.SecretHash, joinList(c.RedirectURIs), joinList(c.PostLogoutRedirectURIs), c.Public, c.SkipConsent, utc(c.CreatedAt))
	return translate(err)
}

// FindOIDCClient returns the client id.
func (s *Store) FindOIDCClient(ctx context.Context, id string) (*store.OIDCClient, error) {
	return scanOIDCClient(s.db.QueryRowContext(ctx, `SELECT `+oidcClientColumns+` FROM oidc_clients WHERE id = ?`, id))
}

// ListOIDCClients returns every client, oldest first.
func (s *Store) ListOIDCClients(ctx context.Context) ([]*store.OIDCClient, error) {
	return queryAll(ctx, s.db, scanOIDCClient, `SELECT `+oidcClientColumns+` FROM oidc_clients ORDER BY created_at, id`)
}

// UpdateOIDCClient replaces the client's fields.
func (s *Store) UpdateOIDCClient(ctx context.Context, c *store.OIDCClient) error {
	res, err := s.exec(ctx, `UPDATE oidc_clients SET name = ?, secret_hash = ?, redirect_uris = ?, post_logout_uris = ?, public = ?, skip_consent = ? WHERE id = ?`,
		c.Name, c.SecretHash, joinList(c.RedirectURIs), joinList(c.PostLogoutRedirectURIs), c.Public, c.SkipConsent, c.ID)
	return affectedOne(res, err)
}

// DeleteOIDCClient removes the client; its requests, tokens and grants go
// with it (ON DELETE CASCADE).
func (s *Store) DeleteOIDCClient(ctx context.Context, id string) error {
	res, err := s.exec(ctx, `DELETE FROM oidc_clients WHERE id = ?`, id)
	return affectedOne(res, err)
}

func affectedOne(res sql.Result, err error) error {
	if err != nil {
		return translate(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

const oidcRequestColumns = `id, client_id, redirect_uri, state, nonce, scopes, response_type, response_mode, prompt, max_age,
	login_hint, code_challenge, code_challenge_method, user_id, auth_time, amr, done, created_at, expires_at`

func scanOIDCRequest(r scanner) (*store.OIDCAuthRequest, error) {
	var a store.OIDCAuthRequest
	var scopes, prompt, amr string
	var user sql.NullString
	var authTime sql.NullTime
	if err := r.Scan(&a.ID, &a.ClientID, &a.RedirectURI, &a.State, &a.Nonce, &scopes, &a.ResponseType, &a.ResponseMode, &prompt, &a.MaxAge,
		&a.LoginHint, &a.CodeChallenge, &a.CodeChallengeMethod, &user, &authTime, &amr, &a.Done, &a.CreatedAt, &a.ExpiresAt); err != nil {
		return nil, translate(err)
	}
	a.Scopes, a.Prompt, a.AMR = splitList(scopes), splitList(prompt), splitList(amr)
	a.UserID, a.AuthTime = user.String, fromNull(authTime)
	a.CreatedAt, a.ExpiresAt = a.CreatedAt.UTC(), a.ExpiresAt.UTC()
	return &a, nil
}

// CreateOIDCAuthRequest stores r and drops expired requests.
func (s *Store) CreateOIDCAuthRequest(ctx context.Context, r *store.OIDCAuthRequest, now time.Time) error {
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM oidc_auth_requests WHERE expires_at < ?`, utc(now)); err != nil {
		return translate(err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO oidc_auth_requests (id, client_id, redirect_uri, state, nonce, scopes, response_type, response_mode,
		prompt, max_age, login_hint, code_challenge, code_challenge_method, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.ClientID, r.RedirectURI, r.State, r.Nonce, joinList(r.Scopes), r.ResponseType, r.ResponseMode,
		joinList(r.Prompt), r.MaxAge, r.LoginHint, r.CodeChallenge, r.CodeChallengeMethod, utc(r.CreatedAt), utc(r.ExpiresAt)); err != nil {
		return translate(err)
	}
	return tx.Commit()
}

// FindOIDCAuthRequest returns the unexpired request id.
func (s *Store) FindOIDCAuthRequest(ctx context.Context, id string, now time.Time) (*store.OIDCAuthRequest, error) {
	return scanOIDCRequest(s.db.QueryRowContext(ctx, `SELECT `+oidcRequestColumns+` FROM oidc_auth_requests WHERE id = ? AND expires_at > ?`, id, utc(now)))
}

// CompleteOIDCAuthRequest marks the request done by userID.
func (s *Store) CompleteOIDCAuthRequest(ctx context.Context, id, userID string, authTime time.Time, amr []string, now time.Time) error {
	res, err := s.exec(ctx, `UPDATE oidc_auth_requests SET user_id = ?, auth_time = ?, amr = ?, done = 1 WHERE id = ? AND expires_at > ? AND code_hash IS NULL`,
		userID, utc(authTime), joinList(amr), id, utc(now))
	return affectedOne(res, err)
}

// SetOIDCAuthCode attaches the code to the done request id.
func (s *Store) SetOIDCAuthCode(ctx context.Context, id string, codeHash []byte, expiresAt time.Time) error {
	res, err := s.exec(ctx, `UPDATE oidc_auth_requests SET code_hash = ?, code_expires_at = ? WHERE id = ? AND done = 1 AND code_hash IS NULL`,
		codeHash, utc(expiresAt), id)
	return affectedOne(res, err)
}

// ConsumeOIDCAuthCode marks the code used, once; without consume it
// only looks, outside the write gate (the exchange looks before the client
// and its PKCE verifier are checked).
func (s *Store) ConsumeOIDCAuthCode(ctx context.Context, codeHash []byte, now time.Time, consume bool) (*store.OIDCAuthRequest, bool, error) {
	if consume {
		return s.RedeemOIDCAuthCode(ctx, codeHash, now, nil, nil)
	}
	var usedAt sql.NullTime
	var expires time.Time
	if err := s.db.QueryRowContext(ctx, `SELECT code_used_at, code_expires_at FROM oidc_auth_requests WHERE code_hash = ?`, codeHash).Scan(&usedAt, &expires); err != nil {
		return nil, false, translate(err)
	}
	r, err := scanOIDCRequest(s.db.QueryRowContext(ctx, `SELECT `+oidcRequestColumns+` FROM oidc_auth_requests WHERE code_hash = ?`, codeHash))
	if err != nil {
		return nil, false, err
	}
	if usedAt.Valid {
		return r, true, nil
	}
	if !expires.After(now) {
		return nil, false, store.ErrNotFound
	}
	return r, false, nil
}

// RedeemOIDCAuthCode marks the code used and stores its tokens, in one
// write transaction.
func (s *Store) RedeemOIDCAuthCode(ctx context.Context, codeHash []byte, now time.Time, access *store.OIDCAccessToken, refresh *store.OIDCRefreshToken) (*store.OIDCAuthRequest, bool, error) {
	tx, err := s.begin(ctx)
	if err != nil {
		return nil, false, err
	}
	defer tx.Rollback()
	var usedAt sql.NullTime
	var expires time.Time
	if err := tx.QueryRowContext(ctx, `SELECT code_used_at, code_expires_at FROM oidc_auth_requests WHERE code_hash = ?`, codeHash).Scan(&usedAt, &expires); err != nil {
		return nil, false, translate(err)
	}
	r, err := scanOIDCRequest(tx.QueryRowContext(ctx, `SELECT `+oidcRequestColumns+` FROM oidc_auth_requests WHERE code_hash = ?`, codeHash))
	if err != nil {
		return nil, false, err
	}
	if usedAt.Valid {
		return r, true, nil
	}
	if !expires.After(now) {
		return nil, false, store.ErrNotFound
	}
	if _, err := tx.ExecContext(ctx, `UPDATE oidc_auth_requests SET code_used_at = ? WHERE code_hash = ?`, utc(now), codeHash); err != nil {
		return nil, false, translate(err)
	}
	if err := insertOIDCTokens(ctx, tx, access, refresh); err != nil {
		return nil, false, err
	}
	return r, false, tx.Commit()
}

func insertOIDCTokens(ctx context.Context, tx *writeTx, a *store.OIDCAccessToken, r *store.OIDCRefreshToken) error {
	if a != nil {
		if _, err := tx.ExecContext(ctx, `INSERT INTO oidc_access_tokens (id, family, client_id, user_id, scopes, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			a.ID, a.Family, a.ClientID, a.UserID, joinList(a.Scopes), utc(a.ExpiresAt), utc(a.CreatedAt)); err != nil {
			return translate(err)
		}
	}
	if r != nil {
		if _, err := tx.ExecContext(ctx, `INSERT INTO oidc_refresh_tokens (hash, family, client_id, user_id, scopes, amr, auth_time, expires_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.Hash, r.Family, r.ClientID, r.UserID, joinList(r.Scopes), joinList(r.AMR), utc(r.AuthTime), utc(r.ExpiresAt), utc(r.CreatedAt)); err != nil {
			return translate(err)
		}
	}
	return nil
}

// CreateOIDCTokens stores the tokens together.
func (s *Store) CreateOIDCTokens(ctx context.Context, access *store.OIDCAccessToken, refresh *store.OIDCRefreshToken) error {
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := insertOIDCTokens(ctx, tx, access, refresh); err != nil {
		return err
	}
	return tx.Commit()
}

// FindOIDCAccessToken returns the unexpired access token id.
func (s *Store) FindOIDCAccessToken(ctx context.Context, id string, now time.Time) (*store.OIDCAccessToken, error) {
	var a store.OIDCAccessToken
	var scopes string
	err := s.db.QueryRowContext(ctx, `SELECT id, family, client_id, user_id, scopes, expires_at, created_at FROM oidc_access_tokens WHERE id = ? AND expires_at > ?`,
		id, utc(now)).Scan(&a.ID, &a.Family, &a.ClientID, &a.UserID, &scopes, &a.ExpiresAt, &a.CreatedAt)
	if err != nil {
		return nil, translate(err)
	}
	a.Scopes, a.ExpiresAt, a.CreatedAt = splitList(scopes), a.ExpiresAt.UTC(), a.CreatedAt.UTC()
	return &a, nil
}

// FindOIDCRefreshToken returns the refresh token with this hash.
func (s *Store) FindOIDCRefreshToken(ctx context.Context, hash []byte) (*store.OIDCRefreshToken, error) {
	var r store.OIDCRefreshToken
	var scopes, amr string
	var authTime, usedAt sql.NullTime
	err := s.db.QueryRowContext(ctx, `SELECT hash, family, client_id, user_id, scopes, amr, auth_time, expires_at, used_at, created_at
		FROM oidc_refresh_tokens WHERE hash = ?`, hash).Scan(&r.Hash, &r.Family, &r.ClientID, &r.UserID, &scopes, &amr, &authTime, &r.ExpiresAt, &usedAt, &r.CreatedAt)
	if err != nil {
		return nil, translate(err)
	}
	r.Scopes, r.AMR, r.AuthTime, r.UsedAt = splitList(scopes), splitList(amr), fromNull(authTime), fromNull(usedAt)
	r.ExpiresAt, r.CreatedAt = r.ExpiresAt.UTC(), r.CreatedAt.UTC()
	return &r, nil
}

// RotateOIDCRefreshToken uses oldHash and stores its successors.
func (s *Store) RotateOIDCRefreshToken(ctx context.Context, oldHash []byte, access *store.OIDCAccessToken, refresh *store.OIDCRefreshToken, now time.Time) error {
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE oidc_refresh_tokens SET used_at = ? WHERE hash = ? AND used_at IS NULL AND expires_at > ?`, utc(now), oldHash, utc(now))
	if err := affectedOne(res, err); err != nil {
		return err
	}
	// The access tokens issued before in this family end with the rotation.
	if _, err := tx.ExecContext(ctx, `DELETE FROM oidc_access_tokens WHERE family = ?`, access.Family); err != nil {
		return translate(err)
	}
	if err := insertOIDCTokens(ctx, tx, access, refresh); err != nil {
		return err
	}
	return tx.Commit()
}

// DeleteOIDCAccessToken revokes one access token.
func (s *Store) DeleteOIDCAccessToken(ctx context.Context, id string) error {
	_, err := s.exec(ctx, `DELETE FROM oidc_access_tokens WHERE id = ?`, id)
	return translate(err)
}

// DeleteOIDCFamily revokes every token of the family.
func (s *Store) DeleteOIDCFamily(ctx context.Context, family string) error {
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, q := range []string{`DELETE FROM oidc_access_tokens WHERE family = ?`, `DELETE FROM oidc_refresh_tokens WHERE family = ?`} {
		if _, err := tx.ExecContext(ctx, q, family); err != nil {
			return translate(err)
		}
	}
	return tx.Commit()
}

func deleteUserTokens(ctx context.Context, tx *writeTx, userID, clientID string) error {
	for _, q := range []string{`DELETE FROM oidc_access_tokens WHERE user_id = ? AND client_id = ?`,
		`DELETE FROM oidc_refresh_tokens WHERE user_id = ? AND client_id = ?`} {
		if _, err := tx.ExecContext(ctx, q, userID, clientID); err != nil {
			return translate(err)
		}
	}
	return nil
}

// DeleteOIDCUserTokens revokes every token of the user for the client.
func (s *Store) DeleteOIDCUserTokens(ctx context.Context, userID, clientID string) error {
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := deleteUserTokens(ctx, tx, userID, clientID); err != nil {
		return err
	}
	return tx.Commit()
}

// SetOIDCGrant stores or replaces the grant.
func (s *Store) SetOIDCGrant(ctx context.Context, g *store.OIDCGrant) error {
	_, err := s.exec(ctx, `INSERT INTO oidc_grants (user_id, client_id, scopes, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = excluded.scopes, updated_at = excluded.updated_at`,
		g.UserID, g.ClientID, joinList(g.Scopes), utc(g.CreatedAt), utc(g.UpdatedAt))
	return translate(err)
}

func scanOIDCGrant(r scanner) (*store.OIDCGrant, error) {
	var g store.OIDCGrant
	var scopes string
	if err := r.Scan(&g.UserID, &g.ClientID, &scopes, &g.CreatedAt, &g.UpdatedAt); err != nil {
		return nil, translate(err)
	}
	g.Scopes, g.CreatedAt, g.UpdatedAt = splitList(scopes), g.CreatedAt.UTC(), g.UpdatedAt.UTC()
	return &g, nil
}

// FindOIDCGrant returns the user's grant to the client.
func (s *Store) FindOIDCGrant(ctx context.Context, userID, clientID string) (*store.OIDCGrant, error) {
	return scanOIDCGrant(s.db.QueryRowContext(ctx, `SELECT user_id, client_id, scopes, created_at, updated_at FROM oidc_grants WHERE user_id = ? AND client_id = ?`, userID, clientID))
}

// ListOIDCGrants returns the user's grants, oldest first.
func (s *Store) ListOIDCGrants(ctx context.Context, userID string) ([]*store.OIDCGrant, error) {
	return queryAll(ctx, s.db, scanOIDCGrant, `SELECT user_id, client_id, scopes, created_at, updated_at FROM oidc_grants WHERE user_id = ? ORDER BY created_at, client_id`, userID)
}

// DeleteOIDCGrant removes the grant and the user's tokens for the client.
func (s *Store) DeleteOIDCGrant(ctx context.Context, userID, clientID string) error {
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM oidc_grants WHERE user_id = ? AND client_id = ?`, userID, clientID)
	if err := affectedOne(res, err); err != nil {
		return err
	}
	if err := deleteUserTokens(ctx, tx, userID, clientID); err != nil {
		return err
	}
	return tx.Commit()
}

// AddOIDCKey stores k, retiring the others with retireOthers.
func (s *Store) AddOIDCKey(ctx context.Context, k *store.OIDCKey, retireOthers bool) error {
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if retireOthers {
		if _, err := tx.ExecContext(ctx, `UPDATE oidc_keys SET retired_at = ? WHERE retired_at IS NULL`, utc(k.CreatedAt)); err != nil {
			return translate(err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO oidc_keys (id, algorithm, public_jwk, sealed, created_at) VALUES (?, ?, ?, ?, ?)`,
		k.ID, k.Algorithm, k.PublicJWK, k.Sealed, utc(k.CreatedAt)); err != nil {
		return translate(err)
	}
	return tx.Commit()
}

// ListOIDCKeys returns the keys not retired before retiredAfter, newest
// first.
func (s *Store) ListOIDCKeys(ctx context.Context, retiredAfter time.Time) ([]*store.OIDCKey, error) {
	return queryAll(ctx, s.db, func(r scanner) (*store.OIDCKey, error) {
		var k store.OIDCKey
		var retired sql.NullTime
		if err := r.Scan(&k.ID, &k.Algorithm, &k.PublicJWK, &k.Sealed, &k.CreatedAt, &retired); err != nil {
			return nil, translate(err)
		}
		k.CreatedAt, k.RetiredAt = k.CreatedAt.UTC(), fromNull(retired)
		return &k, nil
	}, `SELECT id, algorithm, public_jwk, sealed, created_at, retired_at FROM oidc_keys WHERE retired_at IS NULL OR retired_at > ? ORDER BY created_at DESC, id DESC`, utc(retiredAfter))
}
