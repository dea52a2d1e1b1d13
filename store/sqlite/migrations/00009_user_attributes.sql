-- +goose Up
-- Extra registration fields (--register-field): one row per user and field.
CREATE TABLE user_attributes (
    user_id  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name     TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (user_id, name)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE user_attributes;
