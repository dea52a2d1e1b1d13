-- +goose Up
-- Mail waiting to be sent: requests enqueue, a worker sends and deletes
-- (RST-01, REL-13: SMTP latency and outages never show in a response).
CREATE TABLE mail_outbox (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    to_addr          TEXT NOT NULL,
    subject          TEXT NOT NULL,
    text_body        TEXT NOT NULL,
    html_body        TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT NOT NULL DEFAULT '',
    created_at       TIMESTAMP NOT NULL,
    next_attempt_at  TIMESTAMP NOT NULL
);
CREATE INDEX mail_outbox_due ON mail_outbox(next_attempt_at);

-- Fixed-window counters for rate limits, keyed by action and a hash of the
-- subject (address, IP). Times are unix milliseconds.
CREATE TABLE rate_limits (
    key         TEXT PRIMARY KEY NOT NULL,
    count       INTEGER NOT NULL,
    window_end  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX rate_limits_window_end ON rate_limits(window_end);

-- +goose Down
DROP TABLE rate_limits;
DROP TABLE mail_outbox;
