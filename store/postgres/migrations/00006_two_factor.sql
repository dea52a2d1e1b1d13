-- +goose Up
-- TOTP: the authenticator key, encrypted (AES-256-GCM), and the last
-- accepted time step (MFA-02: a code is accepted once).
ALTER TABLE users ADD COLUMN authenticator_key bytea;
ALTER TABLE users ADD COLUMN totp_last_step bigint NOT NULL DEFAULT 0;

-- Recovery codes, each hashed with argon2id (MFA-04).
CREATE TABLE recovery_codes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash   text NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX recovery_codes_user ON recovery_codes(user_id);

-- +goose Down
DROP TABLE recovery_codes;
ALTER TABLE users DROP COLUMN totp_last_step;
ALTER TABLE users DROP COLUMN authenticator_key;
