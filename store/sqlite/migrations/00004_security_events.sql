-- +goose Up
-- The append-only security timeline of each account (LOG-01, the security
-- page, the personal-data export). Deleting the account deletes it.
CREATE TABLE security_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    ip          TEXT NOT NULL DEFAULT '',
    user_agent  TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX security_events_user ON security_events(user_id, id);

-- +goose Down
DROP TABLE security_events;
