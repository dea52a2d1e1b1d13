-- +goose Up
-- Extra registration fields (--register-field): one row per user and field.
CREATE TABLE user_attributes (
    user_id  text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name     text NOT NULL,
    value    text NOT NULL,
    PRIMARY KEY (user_id, name)
);

-- +goose Down
DROP TABLE user_attributes;
