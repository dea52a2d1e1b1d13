-- +goose Up
-- PostgreSQL version of store/sqlite/migrations/00001_init.sql: same tables,
-- same intent, in PostgreSQL types (timestamptz, boolean, bytea).
CREATE TABLE users (
    id                   text PRIMARY KEY,
    email                text NOT NULL,
    normalized_email     text NOT NULL UNIQUE,
    username             text NOT NULL,
    normalized_username  text NOT NULL UNIQUE,
    email_confirmed      boolean NOT NULL DEFAULT false,
    password_hash        text NOT NULL DEFAULT '',
    security_stamp       text NOT NULL,
    phone_number         text NOT NULL DEFAULT '',
    lockout_end          timestamptz,
    access_failed_count  integer NOT NULL DEFAULT 0,
    two_factor_enabled   boolean NOT NULL DEFAULT false,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL
);

-- Single-use mail tokens: only SHA-256 of the secret is kept.
CREATE TABLE user_tokens (
    token_hash  bytea PRIMARY KEY,
    user_id     text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose     text NOT NULL,
    stamp       text NOT NULL,
    data        text NOT NULL DEFAULT '',
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX user_tokens_user_purpose ON user_tokens(user_id, purpose);

-- Server-side keys shared by every instance (CSRF signing, ...).
CREATE TABLE secrets (
    name        text PRIMARY KEY,
    value       bytea NOT NULL,
    created_at  timestamptz NOT NULL
);

-- scs sessions (github.com/alexedwards/scs/pgxstore; schema from its README).
CREATE TABLE sessions (
    token   text PRIMARY KEY,
    data    bytea NOT NULL,
    expiry  timestamptz NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions(expiry);

-- +goose Down
DROP TABLE sessions;
DROP TABLE secrets;
DROP TABLE user_tokens;
DROP TABLE users;
