-- +goose Up
-- Portal as an OpenID Provider (issue 20): registered applications, the
-- authorization requests and their single-use codes, issued tokens,
-- people's consent, and the token-signing keys. Every instance shares them.
CREATE TABLE oidc_clients (
    id                  TEXT PRIMARY KEY NOT NULL,
    name                TEXT NOT NULL,
    secret_hash         BLOB,
    redirect_uris       TEXT NOT NULL,
    post_logout_uris    TEXT NOT NULL DEFAULT '',
    public              BOOLEAN NOT NULL DEFAULT 0,
    skip_consent        BOOLEAN NOT NULL DEFAULT 0,
    created_at          TIMESTAMP NOT NULL
);

CREATE TABLE oidc_auth_requests (
    id                    TEXT PRIMARY KEY NOT NULL,
    client_id             TEXT NOT NULL REFERENCES oidc_clients(id) ON DELETE CASCADE,
    redirect_uri          TEXT NOT NULL,
    state                 TEXT NOT NULL DEFAULT '',
    nonce                 TEXT NOT NULL DEFAULT '',
    scopes                TEXT NOT NULL DEFAULT '',
    response_type         TEXT NOT NULL,
    response_mode         TEXT NOT NULL DEFAULT '',
    prompt                TEXT NOT NULL DEFAULT '',
    max_age               INTEGER NOT NULL DEFAULT -1,
    login_hint            TEXT NOT NULL DEFAULT '',
    code_challenge        TEXT NOT NULL DEFAULT '',
    code_challenge_method TEXT NOT NULL DEFAULT '',
    user_id               TEXT REFERENCES users(id) ON DELETE CASCADE,
    auth_time             TIMESTAMP,
    amr                   TEXT NOT NULL DEFAULT '',
    done                  BOOLEAN NOT NULL DEFAULT 0,
    code_hash             BLOB UNIQUE,
    code_expires_at       TIMESTAMP,
    code_used_at          TIMESTAMP,
    created_at            TIMESTAMP NOT NULL,
    expires_at            TIMESTAMP NOT NULL
);
CREATE INDEX oidc_auth_requests_expires ON oidc_auth_requests(expires_at);

CREATE TABLE oidc_access_tokens (
    id          TEXT PRIMARY KEY NOT NULL,
    family      TEXT NOT NULL,
    client_id   TEXT NOT NULL REFERENCES oidc_clients(id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    scopes      TEXT NOT NULL DEFAULT '',
    expires_at  TIMESTAMP NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX oidc_access_tokens_family ON oidc_access_tokens(family);
CREATE INDEX oidc_access_tokens_user ON oidc_access_tokens(user_id, client_id);

CREATE TABLE oidc_refresh_tokens (
    hash        BLOB PRIMARY KEY NOT NULL,
    family      TEXT NOT NULL,
    client_id   TEXT NOT NULL REFERENCES oidc_clients(id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    scopes      TEXT NOT NULL DEFAULT '',
    amr         TEXT NOT NULL DEFAULT '',
    auth_time   TIMESTAMP,
    expires_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX oidc_refresh_tokens_family ON oidc_refresh_tokens(family);
CREATE INDEX oidc_refresh_tokens_user ON oidc_refresh_tokens(user_id, client_id);

CREATE TABLE oidc_grants (
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    client_id   TEXT NOT NULL REFERENCES oidc_clients(id) ON DELETE CASCADE,
    scopes      TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, client_id)
);

CREATE TABLE oidc_keys (
    id          TEXT PRIMARY KEY NOT NULL,
    algorithm   TEXT NOT NULL,
    public_jwk  BLOB NOT NULL,
    sealed      BLOB NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    retired_at  TIMESTAMP
);

-- +goose Down
DROP TABLE oidc_keys;
DROP TABLE oidc_grants;
DROP TABLE oidc_refresh_tokens;
DROP TABLE oidc_access_tokens;
DROP TABLE oidc_auth_requests;
DROP TABLE oidc_clients;
