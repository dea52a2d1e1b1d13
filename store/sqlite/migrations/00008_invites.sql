-- +goose Up
-- Invitations (--registration invite): a hashed single-use code bound to
-- the invited address.
CREATE TABLE invites (
    code_hash         BLOB PRIMARY KEY NOT NULL,
    normalized_email  TEXT NOT NULL,
    created_at        TIMESTAMP NOT NULL,
    expires_at        TIMESTAMP NOT NULL,
    used_at           TIMESTAMP
);
CREATE INDEX invites_email ON invites(normalized_email);

-- +goose Down
DROP TABLE invites;
