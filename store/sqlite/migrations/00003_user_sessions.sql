-- +goose Up
-- The registry of signed-in sessions (SES-04): one row per browser, the
-- authority for timeouts (SES-02) and security stamps (SES-03). The scs
-- session carries only the row's id; deleting the row signs that browser
-- out at its next request.
CREATE TABLE user_sessions (
    id              TEXT PRIMARY KEY NOT NULL,
    user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    stamp           TEXT NOT NULL,
    remember        INTEGER NOT NULL DEFAULT 0,
    remembered_2fa  INTEGER NOT NULL DEFAULT 0,
    ip              TEXT NOT NULL DEFAULT '',
    user_agent      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    auth_at         TIMESTAMP NOT NULL,
    last_seen_at    TIMESTAMP NOT NULL,
    expires_at      TIMESTAMP NOT NULL
) WITHOUT ROWID;
CREATE INDEX user_sessions_user ON user_sessions(user_id);
CREATE INDEX user_sessions_expires ON user_sessions(expires_at);

-- +goose Down
DROP TABLE user_sessions;
