-- +goose Up
-- Browsers told to skip the second factor ("remember this browser"): the
-- cookie names a row, so forgetting a browser (or all) revokes it on the
-- server and a copied cookie stops working.
CREATE TABLE remembered_browsers (
    id          TEXT PRIMARY KEY NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at  TIMESTAMP NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX remembered_browsers_user ON remembered_browsers(user_id);

-- +goose Down
DROP TABLE remembered_browsers;
