-- Bearer tokens of the admin API. Only a SHA-256 of each token is kept; a token belongs to one
-- seller, or to the warehouse operator when seller_id is NULL. Kept in step with
-- migrations/sqlite/0003_api_tokens.sql.
CREATE TABLE api_tokens (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    seller_id  BIGINT      REFERENCES sellers (id),
    token_hash BYTEA       NOT NULL UNIQUE,
    label      TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
