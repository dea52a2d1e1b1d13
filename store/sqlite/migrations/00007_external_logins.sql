-- +goose Up
-- External identities, keyed by (provider, subject) — never by email
-- (OIDC-03).
CREATE TABLE external_logins (
    provider      TEXT NOT NULL,
    subject       TEXT NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    display_name  TEXT NOT NULL DEFAULT '',
    email         TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (provider, subject)
) WITHOUT ROWID;
CREATE INDEX external_logins_user ON external_logins(user_id);

-- +goose Down
DROP TABLE external_logins;
