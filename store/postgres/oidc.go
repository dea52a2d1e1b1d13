package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

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

func affectedOne(tag pgconn.CommandTag, err error) error {
	if err != nil {
		return translate(err)
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

const oidcClientColumns = `id, name, secret_hash, redirect_uris, post_logout_uris, public, skip_consent, created_at`

func scanOIDCClient(r pgx.Row) (*store.OIDCClient, error) {
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
	_, err := s.pool.Exec(ctx, `INSERT INTO oidc_clients (`+oidcClientColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		c.ID, c.Name, c.SecretHash, joinList(c.RedirectURIs), joinList(c.PostLogoutRedirectURIs), c.Public, c.SkipConsent, utc(c.CreatedAt))
	return translate(err)
}

// FindOIDCClient returns the client id.
func (s *Store) FindOIDCClient(ctx context.Context, id string) (*store.OIDCClient, error) {
	return scanOIDCClient(s.pool.QueryRow(ctx, `SELECT `+oidcClientColumns+` FROM oidc_clients WHERE id = $1`, id))
}

// ListOIDCClients returns every client, oldest first.
func (s *Store) ListOIDCClients(ctx context.Context) ([]*store.OIDCClient, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+oidcClientColumns+` FROM oidc_clients ORDER BY created_at, id COLLATE "C"`)
	return collect(rows, err, scanOIDCClient)
}

// UpdateOIDCClient replaces the client's fields.
func (s *Store) UpdateOIDCClient(ctx context.Context, c *store.OIDCClient) error {
	return affectedOne(s.pool.Exec(ctx, `UPDATE oidc_clients SET name = $1, secret_hash = $2, redirect_uris = $3, post_logout_uris = $4, public = $5, skip_consent = $6 WHERE id = $7`,
		c.Name, c.SecretHash, joinList(c.RedirectURIs), joinList(c.PostLogoutRedirectURIs), c.Public, c.SkipConsent, c.ID))
}

// DeleteOIDCClient removes the client; its requests, tokens and grants go
// with it (ON DELETE CASCADE).
func (s *Store) DeleteOIDCClient(ctx context.Context, id string) error {
	return affectedOne(s.pool.Exec(ctx, `DELETE FROM oidc_clients WHERE id = $1`, id))
}

const oidcRequestColumns = `id, client_id, redirect_uri, state, nonce, scopes, response_type, response_mode, prompt, max_age,
	login_hint, code_challenge, code_challenge_method, user_id, auth_time, amr, done, created_at, expires_at`

func scanOIDCRequest(r pgx.Row) (*store.OIDCAuthRequest, error) {
	var a store.OIDCAuthRequest
	var scopes, prompt, amr string
	var user *string
	var authTime *time.Time
	if err := r.Scan(&a.ID, &a.ClientID, &a.RedirectURI, &a.State, &a.Nonce, &scopes, &a.ResponseType, &a.ResponseMode, &prompt, &a.MaxAge,
		&a.LoginHint, &a.CodeChallenge, &a.CodeChallengeMethod, &user, &authTime, &amr, &a.Done, &a.CreatedAt, &a.ExpiresAt); err != nil {
		return nil, translate(err)
	}
	a.Scopes, a.Prompt, a.AMR = splitList(scopes), splitList(prompt), splitList(amr)
	if user != nil {
		a.UserID = *user
	}
	a.AuthTime = fromNull(authTime)
	a.CreatedAt, a.ExpiresAt = a.CreatedAt.UTC(), a.ExpiresAt.UTC()
	return &a, nil
}

// CreateOIDCAuthRequest stores r and drops expired requests.
func (s *Store) CreateOIDCAuthRequest(ctx context.Context, r *store.OIDCAuthRequest, now time.Time) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM oidc_auth_requests WHERE expires_at < $1`, utc(now)); err != nil {
		return translate(err)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO oidc_auth_requests (id, client_id, redirect_uri, state, nonce, scopes, response_type, response_mode,
		prompt, max_age, login_hint, code_challenge, code_challenge_method, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		r.ID, r.ClientID, r.RedirectURI, r.State, r.Nonce, joinList(r.Scopes), r.ResponseType, r.ResponseMode,
		joinList(r.Prompt), r.MaxAge, r.LoginHint, r.CodeChallenge, r.CodeChallengeMethod, utc(r.CreatedAt), utc(r.ExpiresAt))
	return translate(err)
}

// FindOIDCAuthRequest returns the unexpired request id.
func (s *Store) FindOIDCAuthRequest(ctx context.Context, id string, now time.Time) (*store.OIDCAuthRequest, error) {
	return scanOIDCRequest(s.pool.QueryRow(ctx, `SELECT `+oidcRequestColumns+` FROM oidc_auth_requests WHERE id = $1 AND expires_at > $2`, id, utc(now)))
}

// CompleteOIDCAuthRequest marks the request done by userID.
func (s *Store) CompleteOIDCAuthRequest(ctx context.Context, id, userID string, authTime time.Time, amr []string, now time.Time) error {
	return affectedOne(s.pool.Exec(ctx, `UPDATE oidc_auth_requests SET user_id = $1, auth_time = $2, amr = $3, done = true WHERE id = $4 AND expires_at > $5 AND code_hash IS NULL`,
		userID, utc(authTime), joinList(amr), id, utc(now)))
}

// SetOIDCAuthCode attaches the code to the done request id.
func (s *Store) SetOIDCAuthCode(ctx context.Context, id string, codeHash []byte, expiresAt time.Time) error {
	return affectedOne(s.pool.Exec(ctx, `UPDATE oidc_auth_requests SET code_hash = $1, code_expires_at = $2 WHERE id = $3 AND done AND code_hash IS NULL`,
		codeHash, utc(expiresAt), id))
}

// ConsumeOIDCAuthCode marks the code used, once (the row lock orders two
// concurrent exchanges); without consume it only looks.
func (s *Store) ConsumeOIDCAuthCode(ctx context.Context, codeHash []byte, now time.Time, consume bool) (r *store.OIDCAuthRequest, used bool, err error) {
	if consume {
		return s.RedeemOIDCAuthCode(ctx, codeHash, now, nil, nil)
	}
	var usedAt, expires *time.Time
	if err := s.pool.QueryRow(ctx, `SELECT code_used_at, code_expires_at FROM oidc_auth_requests WHERE code_hash = $1`, codeHash).Scan(&usedAt, &expires); err != nil {
		return nil, false, translate(err)
	}
	req, err := scanOIDCRequest(s.pool.QueryRow(ctx, `SELECT `+oidcRequestColumns+` FROM oidc_auth_requests WHERE code_hash = $1`, codeHash))
	if err != nil {
		return nil, false, err
	}
	if usedAt != nil {
		return req, true, nil
	}
	if expires == nil || !expires.After(now) {
		return nil, false, store.ErrNotFound
	}
	return req, false, nil
}

// RedeemOIDCAuthCode marks the code used and stores its tokens, in one
// transaction (the row lock orders two concurrent exchanges).
func (s *Store) RedeemOIDCAuthCode(ctx context.Context, codeHash []byte, now time.Time, access *store.OIDCAccessToken, refresh *store.OIDCRefreshToken) (r *store.OIDCAuthRequest, used bool, err error) {
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		var usedAt, expires *time.Time
		if err := tx.QueryRow(ctx, `SELECT code_used_at, code_expires_at FROM oidc_auth_requests WHERE code_hash = $1 FOR UPDATE`, codeHash).Scan(&usedAt, &expires); err != nil {
			return translate(err)
		}
		req, err := scanOIDCRequest(tx.QueryRow(ctx, `SELECT `+oidcRequestColumns+` FROM oidc_auth_requests WHERE code_hash = $1`, codeHash))
		if err != nil {
			return err
		}
		if usedAt != nil {
			r, used = req, true
			return nil
		}
		if expires == nil || !expires.After(now) {
			return store.ErrNotFound
		}
		if _, err := tx.Exec(ctx, `UPDATE oidc_auth_requests SET code_used_at = $1 WHERE code_hash = $2`, utc(now), codeHash); err != nil {
			return translate(err)
		}
		if err := insertOIDCTokens(ctx, tx, access, refresh); err != nil {
			return err
		}
		r = req
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return r, used, nil
}

func insertOIDCTokens(ctx context.Context, tx pgx.Tx, a *store.OIDCAccessToken, r *store.OIDCRefreshToken) error {
	if a != nil {
		if _, err := tx.Exec(ctx, `INSERT INTO oidc_access_tokens (id, family, client_id, user_id, scopes, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			a.ID, a.Family, a.ClientID, a.UserID, joinList(a.Scopes), utc(a.ExpiresAt), utc(a.CreatedAt)); err != nil {
			return translate(err)
		}
	}
	if r != nil {
		if _, err := tx.Exec(ctx, `INSERT INTO oidc_refresh_tokens (hash, family, client_id, user_id, scopes, amr, auth_time, expires_at, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			r.Hash, r.Family, r.ClientID, r.UserID, joinList(r.Scopes), joinList(r.AMR), utc(r.AuthTime), utc(r.ExpiresAt), utc(r.CreatedAt)); err != nil {
			return translate(err)
		}
	}
	return nil
}

// CreateOIDCTokens stores the tokens together.
func (s *Store) CreateOIDCTokens(ctx context.Context, access *store.OIDCAccessToken, refresh *store.OIDCRefreshToken) error {
	return s.inTx(ctx, func(tx pgx.Tx) error { return insertOIDCTokens(ctx, tx, access, refresh) })
}

// FindOIDCAccessToken returns the unexpired access token id.
func (s *Store) FindOIDCAccessToken(ctx context.Context, id string, now time.Time) (*store.OIDCAccessToken, error) {
	var a store.OIDCAccessToken
	var scopes string
	err := s.pool.QueryRow(ctx, `SELECT id, family, client_id, user_id, scopes, expires_at, created_at FROM oidc_access_tokens WHERE id = $1 AND expires_at > $2`,
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
	var authTime, usedAt *time.Time
	err := s.pool.QueryRow(ctx, `SELECT hash, family, client_id, user_id, scopes, amr, auth_time, expires_at, used_at, created_at
		FROM oidc_refresh_tokens WHERE hash = $1`, hash).Scan(&r.Hash, &r.Family, &r.ClientID, &r.UserID, &scopes, &amr, &authTime, &r.ExpiresAt, &usedAt, &r.CreatedAt)
	if err != nil {
		return nil, translate(err)
	}
	r.Scopes, r.AMR, r.AuthTime, r.UsedAt = splitList(scopes), splitList(amr), fromNull(authTime), fromNull(usedAt)
	r.ExpiresAt, r.CreatedAt = r.ExpiresAt.UTC(), r.CreatedAt.UTC()
	return &r, nil
}

// RotateOIDCRefreshToken uses oldHash and stores its successors.
func (s *Store) RotateOIDCRefreshToken(ctx context.Context, oldHash []byte, access *store.OIDCAccessToken, refresh *store.OIDCRefreshToken, now time.Time) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if err := affectedOne(tx.Exec(ctx, `UPDATE oidc_refresh_tokens SET used_at = $1 WHERE hash = $2 AND used_at IS NULL AND expires_at > $1`, utc(now), oldHash)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM oidc_access_tokens WHERE family = $1`, access.Family); err != nil {
			return translate(err)
		}
		return insertOIDCTokens(ctx, tx, access, refresh)
	})
}

// DeleteOIDCAccessToken revokes one access token.
func (s *Store) DeleteOIDCAccessToken(ctx context.Context, id string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM oidc_access_tokens WHERE id = $1`, id)
	return translate(err)
}

// DeleteOIDCFamily revokes every token of the family.
func (s *Store) DeleteOIDCFamily(ctx context.Context, family string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		for _, q := range []string{`DELETE FROM oidc_access_tokens WHERE family = $1`, `DELETE FROM oidc_refresh_tokens WHERE family = $1`} {
			if _, err := tx.Exec(ctx, q, family); err != nil {
				return translate(err)
			}
		}
		return nil
	})
}

func deleteUserTokens(ctx context.Context, tx pgx.Tx, userID, clientID string) error {
	for _, q := range []string{`DELETE FROM oidc_access_tokens WHERE user_id = $1 AND client_id = $2`,
		`DELETE FROM oidc_refresh_tokens WHERE user_id = $1 AND client_id = $2`} {
		if _, err := tx.Exec(ctx, q, userID, clientID); err != nil {
			return translate(err)
		}
	}
	return nil
}

// DeleteOIDCUserTokens revokes every token of the user for the client.
func (s *Store) DeleteOIDCUserTokens(ctx context.Context, userID, clientID string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error { return deleteUserTokens(ctx, tx, userID, clientID) })
}

// SetOIDCGrant stores or replaces the grant.
func (s *Store) SetOIDCGrant(ctx context.Context, g *store.OIDCGrant) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO oidc_grants (user_id, client_id, scopes, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = excluded.scopes, updated_at = excluded.updated_at`,
		g.UserID, g.ClientID, joinList(g.Scopes), utc(g.CreatedAt), utc(g.UpdatedAt))
	return translate(err)
}

func scanOIDCGrant(r pgx.Row) (*store.OIDCGrant, error) {
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
	return scanOIDCGrant(s.pool.QueryRow(ctx, `SELECT user_id, client_id, scopes, created_at, updated_at FROM oidc_grants WHERE user_id = $1 AND client_id = $2`, userID, clientID))
}

// ListOIDCGrants returns the user's grants, oldest first.
func (s *Store) ListOIDCGrants(ctx context.Context, userID string) ([]*store.OIDCGrant, error) {
	rows, err := s.pool.Query(ctx, `SELECT user_id, client_id, scopes, created_at, updated_at FROM oidc_grants WHERE user_id = $1 ORDER BY created_at, client_id COLLATE "C"`, userID)
	return collect(rows, err, scanOIDCGrant)
}

// DeleteOIDCGrant removes the grant and the user's tokens for the client.
func (s *Store) DeleteOIDCGrant(ctx context.Context, userID, clientID string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if err := affectedOne(tx.Exec(ctx, `DELETE FROM oidc_grants WHERE user_id = $1 AND client_id = $2`, userID, clientID)); err != nil {
			return err
		}
		return deleteUserTokens(ctx, tx, userID, clientID)
	})
}

// AddOIDCKey stores k, retiring the others with retireOthers.
func (s *Store) AddOIDCKey(ctx context.Context, k *store.OIDCKey, retireOthers bool) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if retireOthers {
			if _, err := tx.Exec(ctx, `UPDATE oidc_keys SET retired_at = $1 WHERE retired_at IS NULL`, utc(k.CreatedAt)); err != nil {
				return translate(err)
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO oidc_keys (id, algorithm, public_jwk, sealed, created_at) VALUES ($1, $2, $3, $4, $5)`,
			k.ID, k.Algorithm, k.PublicJWK, k.Sealed, utc(k.CreatedAt))
		return translate(err)
	})
}

// ListOIDCKeys returns the keys not retired before retiredAfter, newest
// first.
func (s *Store) ListOIDCKeys(ctx context.Context, retiredAfter time.Time) ([]*store.OIDCKey, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, algorithm, public_jwk, sealed, created_at, retired_at FROM oidc_keys
		WHERE retired_at IS NULL OR retired_at > $1 ORDER BY created_at DESC, id COLLATE "C" DESC`, utc(retiredAfter))
	return collect(rows, err, func(r pgx.Row) (*store.OIDCKey, error) {
		var k store.OIDCKey
		var retired *time.Time
		if err := r.Scan(&k.ID, &k.Algorithm, &k.PublicJWK, &k.Sealed, &k.CreatedAt, &retired); err != nil {
			return nil, translate(err)
		}
		k.CreatedAt, k.RetiredAt = k.CreatedAt.UTC(), fromNull(retired)
		return &k, nil
	})
}
