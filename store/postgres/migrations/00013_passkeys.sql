-- +goose Up
-- Passkeys (issue 21): WebAuthn credentials, public material only, and
-- the ceremonies in progress (challenge and options), single-use and
-- short-lived, shared by every instance.
CREATE TABLE passkeys (
    id               text PRIMARY KEY,
    user_id          text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    rp_id            text NOT NULL,
    name             text NOT NULL,
    aaguid           text NOT NULL DEFAULT '',
    credential       bytea NOT NULL,
    sign_count       bigint NOT NULL DEFAULT 0,
    backup_eligible  boolean NOT NULL DEFAULT false,
    backup_state     boolean NOT NULL DEFAULT false,
    clone_warning    boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL,
    last_used_at     timestamptz
);
CREATE INDEX passkeys_user ON passkeys(user_id);

CREATE TABLE passkey_ceremonies (
    id          text PRIMARY KEY,
    kind        text NOT NULL,
    user_id     text NOT NULL DEFAULT '',
    data        bytea NOT NULL,
    expires_at  timestamptz NOT NULL
);
CREATE INDEX passkey_ceremonies_expires ON passkey_ceremonies(expires_at);

-- +goose Down
DROP TABLE passkey_ceremonies;
DROP TABLE passkeys;
