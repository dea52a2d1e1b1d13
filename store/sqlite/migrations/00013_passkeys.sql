-- +goose Up
-- Passkeys (issue 21): WebAuthn credentials, public material only, and
-- the ceremonies in progress (challenge and options), single-use and
-- short-lived, shared by every instance.
CREATE TABLE passkeys (
    id               TEXT PRIMARY KEY NOT NULL,
    user_id          TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    rp_id            TEXT NOT NULL,
    name             TEXT NOT NULL,
    aaguid           TEXT NOT NULL DEFAULT '',
    credential       BLOB NOT NULL,
    sign_count       INTEGER NOT NULL DEFAULT 0,
    backup_eligible  INTEGER NOT NULL DEFAULT 0,
    backup_state     INTEGER NOT NULL DEFAULT 0,
    clone_warning    INTEGER NOT NULL DEFAULT 0,
    created_at       TIMESTAMP NOT NULL,
    last_used_at     TIMESTAMP
);
CREATE INDEX passkeys_user ON passkeys(user_id);

CREATE TABLE passkey_ceremonies (
    id          TEXT PRIMARY KEY NOT NULL,
    kind        TEXT NOT NULL,
    user_id     TEXT NOT NULL DEFAULT '',
    data        BLOB NOT NULL,
    expires_at  TIMESTAMP NOT NULL
);
CREATE INDEX passkey_ceremonies_expires ON passkey_ceremonies(expires_at);

-- +goose Down
DROP TABLE passkey_ceremonies;
DROP TABLE passkeys;
