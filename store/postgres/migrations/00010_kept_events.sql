-- +goose Up
-- The security events of deleted accounts, kept without personal data when
-- the operator asks for it (--keep-security-events): kind and time only,
-- under a random tag per deleted account.
CREATE TABLE kept_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tag         text NOT NULL,
    kind        text NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX kept_events_tag ON kept_events(tag, id);

-- +goose Down
DROP TABLE kept_events;
