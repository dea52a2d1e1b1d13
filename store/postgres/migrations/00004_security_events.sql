-- +goose Up
-- The append-only security timeline of each account (LOG-01, the security
-- page, the personal-data export). Deleting the account deletes it.
CREATE TABLE security_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind        text NOT NULL,
    ip          text NOT NULL DEFAULT '',
    user_agent  text NOT NULL DEFAULT '',
    detail      text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL
);
CREATE INDEX security_events_user ON security_events(user_id, id);

-- +goose Down
DROP TABLE security_events;
