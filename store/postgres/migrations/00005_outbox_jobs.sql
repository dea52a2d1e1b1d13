-- +goose Up
-- Outbox rows are mail ('') or jobs that produce mail (e.g.
-- 'forgot-password'): requests enqueue a job for every address alike, so
-- their cost does not tell whether an account exists (RST-01, AUTH-02).
ALTER TABLE mail_outbox ADD COLUMN kind text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE mail_outbox DROP COLUMN kind;
