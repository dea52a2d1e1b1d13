-- +goose Up
-- The auth epoch (issue 19, SES-03): one counter that every change able to
-- end a session, or to change what a signed-in request learns of its user,
-- moves in its own transaction. An instance may reuse a session and user
-- it has read while the counter stands still (identity's session cache),
-- so a sign-out, a revocation, a stamp, password, email or 2FA change made
-- through any instance (or by hand in the database) is seen by the very
-- next request on every instance. Activity touches (last_seen_at, ip,
-- user_agent) and inserts do not move it.
CREATE TABLE auth_epoch (
    id  INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    n   INTEGER NOT NULL
);
INSERT INTO auth_epoch (id, n) VALUES (1, 0);

-- +goose StatementBegin
CREATE TRIGGER auth_epoch_users_update AFTER UPDATE ON users
BEGIN
    UPDATE auth_epoch SET n = n + 1 WHERE id = 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER auth_epoch_users_delete AFTER DELETE ON users
BEGIN
    UPDATE auth_epoch SET n = n + 1 WHERE id = 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER auth_epoch_sessions_delete AFTER DELETE ON user_sessions
BEGIN
    UPDATE auth_epoch SET n = n + 1 WHERE id = 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER auth_epoch_sessions_update
AFTER UPDATE OF id, user_id, stamp, remember, remembered_2fa, auth_at, created_at, expires_at ON user_sessions
BEGIN
    UPDATE auth_epoch SET n = n + 1 WHERE id = 1;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER auth_epoch_sessions_update;
DROP TRIGGER auth_epoch_sessions_delete;
DROP TRIGGER auth_epoch_users_delete;
DROP TRIGGER auth_epoch_users_update;
DROP TABLE auth_epoch;
