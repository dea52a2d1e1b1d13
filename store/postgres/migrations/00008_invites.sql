-- +goose Up
-- Invitations (--registration invite): a hashed single-use code bound to
-- the invited address.
CREATE TABLE invites (
    code_hash         bytea PRIMARY KEY,
    normalized_email  text NOT NULL,
    created_at        timestamptz NOT NULL,
    expires_at        timestamptz NOT NULL,
    used_at           timestamptz
);
CREATE INDEX invites_email ON invites(normalized_email);

-- +goose Down
DROP TABLE invites;
