-- +goose Up
-- The security events of deleted accounts, kept without personal data when
-- the operator asks for it (--keep-security-events): kind and time only,
-- under a random tag per deleted account.
CREATE TABLE kept_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tag         TEXT NOT NULL,
    kind        TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX kept_events_tag ON kept_events(tag, id);

-- +goose Down
DROP TABLE kept_events;
