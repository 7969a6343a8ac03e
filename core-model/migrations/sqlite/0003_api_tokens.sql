-- Bearer tokens of the admin API. Only a SHA-256 of each token is kept; a token belongs to one
-- seller, or to the warehouse operator when seller_id is NULL. Kept in step with
-- migrations/postgres/0003_api_tokens.sql.
CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY,
    seller_id  INTEGER REFERENCES sellers (id),
    token_hash BLOB    NOT NULL UNIQUE,
    label      TEXT    NOT NULL,
    created_at TEXT    NOT NULL
);
