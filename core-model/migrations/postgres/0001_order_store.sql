-- The order store's first tables: sellers, their stores, and the orders pulled from them.
-- Kept in step with migrations/sqlite/0001_order_store.sql: same tables, same columns.
-- Unit prices are decimal text (exactly as the platform sent them), raw payloads the exact
-- text received.

CREATE TABLE sellers (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE stores (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    seller_id   BIGINT      NOT NULL REFERENCES sellers (id),
    platform    TEXT        NOT NULL,
    name        TEXT        NOT NULL,
    -- Sealed by the daemon before it gets here; NULL until the store is authorized.
    credentials BYTEA,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE platform_orders (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store_id            BIGINT      NOT NULL REFERENCES stores (id),
    platform            TEXT        NOT NULL,
    platform_order_id   TEXT        NOT NULL,
    platform_status     TEXT        NOT NULL,
    status              TEXT        NOT NULL,
    flow_status         TEXT        NOT NULL,
    -- The platform's own creation and last-update times.
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL,
    currency            TEXT        NOT NULL,
    buyer_name          TEXT,
    ship_to             TEXT        NOT NULL,
    platform_label_hint BOOLEAN     NOT NULL,
    raw                 TEXT        NOT NULL,
    -- xxh3-128 of the normalized fields and the raw payload: an unchanged re-pull writes nothing.
    content_hash        BYTEA       NOT NULL,
    -- Our own times: when a pull first brought the order, and last changed it.
    first_seen_at       TIMESTAMPTZ NOT NULL,
    last_changed_at     TIMESTAMPTZ NOT NULL,
    -- The order id leads: the upsert probes by it, and with store_id first PostgreSQL, lacking
    -- statistics, may read a whole store's orders for one batch.
    UNIQUE (platform_order_id, store_id)
);

CREATE TABLE order_lines (
    order_id            BIGINT  NOT NULL REFERENCES platform_orders (id) ON DELETE CASCADE,
    line_no             INTEGER NOT NULL,
    line_id             TEXT,
    platform_sku        TEXT    NOT NULL,
    platform_item_id    TEXT,
    platform_variant_id TEXT,
    title               TEXT,
    quantity            BIGINT  NOT NULL,
    unit_price          TEXT    NOT NULL,
    PRIMARY KEY (order_id, line_no)
);

CREATE TABLE order_history (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id            BIGINT      NOT NULL REFERENCES platform_orders (id) ON DELETE CASCADE,
    at                  TIMESTAMPTZ NOT NULL,
    kind                TEXT        NOT NULL,
    from_flow_status    TEXT,
    to_flow_status      TEXT        NOT NULL,
    platform_status     TEXT,
    platform_updated_at TIMESTAMPTZ,
    detail              TEXT
);

CREATE INDEX order_history_by_order ON order_history (order_id, id);

-- Orders a connector could not read, kept raw. One row per (store, platform order id) where the
-- id is known; rows without an id never collide (NULLs are distinct in a UNIQUE constraint).
CREATE TABLE malformed_orders (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store_id          BIGINT      NOT NULL REFERENCES stores (id),
    platform_order_id TEXT,
    raw               TEXT        NOT NULL,
    error             TEXT        NOT NULL,
    kind              TEXT        NOT NULL,
    received_at       TIMESTAMPTZ NOT NULL,
    UNIQUE (store_id, platform_order_id)
);
