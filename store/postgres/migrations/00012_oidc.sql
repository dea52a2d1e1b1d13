-- +goose Up
-- Portal as an OpenID Provider (issue 20): registered applications, the
-- authorization requests and their single-use codes, issued tokens,
-- people's consent, and the token-signing keys. Every instance shares them.
CREATE TABLE oidc_clients (
    id                  text PRIMARY KEY,
    name                text NOT NULL,
    secret_hash         bytea,
    redirect_uris       text NOT NULL,
    post_logout_uris    text NOT NULL DEFAULT '',
    public              boolean NOT NULL DEFAULT false,
    skip_consent        boolean NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL
);

CREATE TABLE oidc_auth_requests (
    id                    text PRIMARY KEY,
    client_id             text NOT NULL REFERENCES oidc_clients(id) ON DELETE CASCADE,
    redirect_uri          text NOT NULL,
    state                 text NOT NULL DEFAULT '',
    nonce                 text NOT NULL DEFAULT '',
    scopes                text NOT NULL DEFAULT '',
    response_type         text NOT NULL,
    response_mode         text NOT NULL DEFAULT '',
    prompt                text NOT NULL DEFAULT '',
    max_age               integer NOT NULL DEFAULT -1,
    login_hint            text NOT NULL DEFAULT '',
    code_challenge        text NOT NULL DEFAULT '',
    code_challenge_method text NOT NULL DEFAULT '',
    user_id               text REFERENCES users(id) ON DELETE CASCADE,
    auth_time             timestamptz,
    amr                   text NOT NULL DEFAULT '',
    done                  boolean NOT NULL DEFAULT false,
    code_hash             bytea UNIQUE,
    code_expires_at       timestamptz,
    code_used_at          timestamptz,
    created_at            timestamptz NOT NULL,
    expires_at            timestamptz NOT NULL
);
CREATE INDEX oidc_auth_requests_expires ON oidc_auth_requests(expires_at);

CREATE TABLE oidc_access_tokens (
    id          text PRIMARY KEY,
    family      text NOT NULL,
    client_id   text NOT NULL REFERENCES oidc_clients(id) ON DELETE CASCADE,
    user_id     text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    scopes      text NOT NULL DEFAULT '',
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX oidc_access_tokens_family ON oidc_access_tokens(family);
CREATE INDEX oidc_access_tokens_user ON oidc_access_tokens(user_id, client_id);

CREATE TABLE oidc_refresh_tokens (
    hash        bytea PRIMARY KEY,
    family      text NOT NULL,
    client_id   text NOT NULL REFERENCES oidc_clients(id) ON DELETE CASCADE,
    user_id     text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    scopes      text NOT NULL DEFAULT '',
    amr         text NOT NULL DEFAULT '',
    auth_time   timestamptz,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    created_at  timestamptz NOT NULL
);
CREATE INDEX oidc_refresh_tokens_family ON oidc_refresh_tokens(family);
CREATE INDEX oidc_refresh_tokens_user ON oidc_refresh_tokens(user_id, client_id);

CREATE TABLE oidc_grants (
    user_id     text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    client_id   text NOT NULL REFERENCES oidc_clients(id) ON DELETE CASCADE,
    scopes      text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (user_id, client_id)
);

CREATE TABLE oidc_keys (
    id          text PRIMARY KEY,
    algorithm   text NOT NULL,
    public_jwk  bytea NOT NULL,
    sealed      bytea NOT NULL,
    created_at  timestamptz NOT NULL,
    retired_at  timestamptz
);

-- +goose Down
DROP TABLE oidc_keys;
DROP TABLE oidc_grants;
DROP TABLE oidc_refresh_tokens;
DROP TABLE oidc_access_tokens;
DROP TABLE oidc_auth_requests;
DROP TABLE oidc_clients;
