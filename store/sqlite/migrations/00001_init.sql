-- +goose Up
CREATE TABLE users (
    id                   TEXT PRIMARY KEY NOT NULL,
    email                TEXT NOT NULL,
    normalized_email     TEXT NOT NULL UNIQUE,
    username             TEXT NOT NULL,
    normalized_username  TEXT NOT NULL UNIQUE,
    email_confirmed      INTEGER NOT NULL DEFAULT 0,
    password_hash        TEXT NOT NULL DEFAULT '',
    security_stamp       TEXT NOT NULL,
    phone_number         TEXT NOT NULL DEFAULT '',
    lockout_end          TIMESTAMP,
    access_failed_count  INTEGER NOT NULL DEFAULT 0,
    two_factor_enabled   INTEGER NOT NULL DEFAULT 0,
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL
) WITHOUT ROWID;

-- Single-use mail tokens: only SHA-256 of the secret is kept.
CREATE TABLE user_tokens (
    token_hash  BLOB PRIMARY KEY NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL,
    stamp       TEXT NOT NULL,
    data        TEXT NOT NULL DEFAULT '',
    expires_at  TIMESTAMP NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP
);
CREATE INDEX user_tokens_user_purpose ON user_tokens(user_id, purpose);

-- Server-side keys shared by every instance (CSRF signing, ...).
CREATE TABLE secrets (
    name        TEXT PRIMARY KEY NOT NULL,
    value       BLOB NOT NULL,
    created_at  TIMESTAMP NOT NULL
);

-- scs sessions (github.com/alexedwards/scs/sqlite3store).
CREATE TABLE sessions (
    token   TEXT PRIMARY KEY NOT NULL,
    data    BLOB NOT NULL,
    expiry  REAL NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions(expiry);

-- +goose Down
DROP TABLE sessions;
DROP TABLE secrets;
DROP TABLE user_tokens;
DROP TABLE users;
