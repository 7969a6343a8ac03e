-- The order store's first tables: sellers, their stores, and the orders pulled from them.
-- Kept in step with migrations/postgres/0001_order_store.sql: same tables, same columns.
-- Timestamps are RFC 3339 text in UTC, unit prices decimal text, raw payloads the exact text
-- received.

CREATE TABLE sellers (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    created_at TEXT    NOT NULL
);

CREATE TABLE stores (
    id          INTEGER PRIMARY KEY,
    seller_id   INTEGER NOT NULL REFERENCES sellers (id),
    platform    TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    -- Sealed by the daemon before it gets here; NULL until the store is authorized.
    credentials BLOB,
    created_at  TEXT    NOT NULL
);

CREATE TABLE platform_orders (
    id                  INTEGER PRIMARY KEY,
    store_id            INTEGER NOT NULL REFERENCES stores (id),
    platform            TEXT    NOT NULL,
    platform_order_id   TEXT    NOT NULL,
    platform_status     TEXT    NOT NULL,
    status              TEXT    NOT NULL,
    flow_status         TEXT    NOT NULL,
    -- The platform's own creation and last-update times.
    created_at          TEXT    NOT NULL,
    updated_at          TEXT    NOT NULL,
    currency            TEXT    NOT NULL,
    buyer_name          TEXT,
    ship_to             TEXT    NOT NULL,
    platform_label_hint BOOLEAN NOT NULL,
    raw                 TEXT    NOT NULL,
    -- xxh3-128 of the normalized fields and the raw payload: an unchanged re-pull writes nothing.
    content_hash        BLOB    NOT NULL,
    -- Our own times: when a pull first brought the order, and last changed it.
    first_seen_at       TEXT    NOT NULL,
    last_changed_at     TEXT    NOT NULL,
    -- The order id leads: the upsert probes by it, and with store_id first PostgreSQL, lacking
    -- statistics, may read a whole store's orders for one batch.
    UNIQUE (platform_order_id, store_id)
);

CREATE TABLE order_lines (
    order_id            INTEGER NOT NULL REFERENCES platform_orders (id) ON DELETE CASCADE,
    line_no             INTEGER NOT NULL,
    line_id             TEXT,
    platform_sku        TEXT    NOT NULL,
    platform_item_id    TEXT,
    platform_variant_id TEXT,
    title               TEXT,
    quantity            INTEGER NOT NULL,
    unit_price          TEXT    NOT NULL,
    PRIMARY KEY (order_id, line_no)
);

CREATE TABLE order_history (
    id                  INTEGER PRIMARY KEY,
    order_id            INTEGER NOT NULL REFERENCES platform_orders (id) ON DELETE CASCADE,
    at                  TEXT    NOT NULL,
    kind                TEXT    NOT NULL,
    from_flow_status    TEXT,
    to_flow_status      TEXT    NOT NULL,
    platform_status     TEXT,
    platform_updated_at TEXT,
    detail              TEXT
);

CREATE INDEX order_history_by_order ON order_history (order_id, id);

-- Orders a connector could not read, kept raw. One row per (store, platform order id) where the
-- id is known; rows without an id never collide (NULLs are distinct in a UNIQUE constraint).
CREATE TABLE malformed_orders (
    id                INTEGER PRIMARY KEY,
    store_id          INTEGER NOT NULL REFERENCES stores (id),
    platform_order_id TEXT,
    raw               TEXT    NOT NULL,
    error             TEXT    NOT NULL,
    kind              TEXT    NOT NULL,
    received_at       TEXT    NOT NULL,
    UNIQUE (store_id, platform_order_id)
);
