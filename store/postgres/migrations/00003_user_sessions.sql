-- +goose Up
-- The registry of signed-in sessions (SES-04): one row per browser, the
-- authority for timeouts (SES-02) and security stamps (SES-03). The scs
-- session carries only the row's id; deleting the row signs that browser
-- out at its next request.
CREATE TABLE user_sessions (
    id              text PRIMARY KEY,
    user_id         text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    stamp           text NOT NULL,
    remember        boolean NOT NULL DEFAULT false,
    remembered_2fa  boolean NOT NULL DEFAULT false,
    ip              text NOT NULL DEFAULT '',
    user_agent      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    auth_at         timestamptz NOT NULL,
    last_seen_at    timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL
);
CREATE INDEX user_sessions_user ON user_sessions(user_id);
CREATE INDEX user_sessions_expires ON user_sessions(expires_at);

-- +goose Down
DROP TABLE user_sessions;
