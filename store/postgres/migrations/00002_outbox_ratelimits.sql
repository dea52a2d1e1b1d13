-- +goose Up
-- Mail waiting to be sent: requests enqueue, a worker sends and deletes
-- (RST-01, REL-13: SMTP latency and outages never show in a response).
CREATE TABLE mail_outbox (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    to_addr          text NOT NULL,
    subject          text NOT NULL,
    text_body        text NOT NULL,
    html_body        text NOT NULL,
    attempts         integer NOT NULL DEFAULT 0,
    last_error       text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL,
    next_attempt_at  timestamptz NOT NULL
);
CREATE INDEX mail_outbox_due ON mail_outbox(next_attempt_at, id);

-- Fixed-window counters for rate limits, keyed by action and a hash of the
-- subject (address, IP). Times are unix milliseconds, as in SQLite.
CREATE TABLE rate_limits (
    key         text PRIMARY KEY,
    count       integer NOT NULL,
    window_end  bigint NOT NULL
);
CREATE INDEX rate_limits_window_end ON rate_limits(window_end);

-- +goose Down
DROP TABLE rate_limits;
DROP TABLE mail_outbox;
