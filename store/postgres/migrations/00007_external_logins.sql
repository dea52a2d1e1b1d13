-- +goose Up
-- External identities, keyed by (provider, subject) — never by email
-- (OIDC-03).
CREATE TABLE external_logins (
    provider      text NOT NULL,
    subject       text NOT NULL,
    user_id       text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    display_name  text NOT NULL DEFAULT '',
    email         text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (provider, subject)
);
CREATE INDEX external_logins_user ON external_logins(user_id);

-- +goose Down
DROP TABLE external_logins;
