-- +goose Up
-- The auth epoch (issue 19, SES-03): one counter that every change able to
-- end a session, or to change what a signed-in request learns of its user,
-- moves in its own transaction. An instance may reuse a session and user
-- it has read while the counter stands still (identity's session cache),
-- so a sign-out, a revocation, a stamp, password, email or 2FA change made
-- through any instance (or by hand in the database) is seen by the very
-- next request on every instance. Activity touches (last_seen_at, ip,
-- user_agent) and inserts do not move it.
--
-- The triggers are deferred to the end of the transaction and move the
-- counter once per transaction (tx): the counter's row lock is taken last
-- and held only while committing, so two transactions cannot deadlock on
-- it, and a bulk delete moves it once.
CREATE TABLE auth_epoch (
    id  integer PRIMARY KEY CHECK (id = 1),
    n   bigint NOT NULL,
    tx  xid8
);
INSERT INTO auth_epoch (id, n) VALUES (1, 0);

-- +goose StatementBegin
CREATE FUNCTION auth_epoch_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE auth_epoch SET n = n + 1, tx = pg_current_xact_id()
        WHERE id = 1 AND tx IS DISTINCT FROM pg_current_xact_id();
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE CONSTRAINT TRIGGER auth_epoch_users AFTER UPDATE OR DELETE ON users
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION auth_epoch_bump();
CREATE CONSTRAINT TRIGGER auth_epoch_sessions_delete AFTER DELETE ON user_sessions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION auth_epoch_bump();
CREATE CONSTRAINT TRIGGER auth_epoch_sessions_update
    AFTER UPDATE OF id, user_id, stamp, remember, remembered_2fa, auth_at, created_at, expires_at ON user_sessions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION auth_epoch_bump();

-- +goose Down
DROP TRIGGER auth_epoch_sessions_update ON user_sessions;
DROP TRIGGER auth_epoch_sessions_delete ON user_sessions;
DROP TRIGGER auth_epoch_users ON users;
DROP FUNCTION auth_epoch_bump();
DROP TABLE auth_epoch;
