-- The OMS flow (the warehouse's quick-start guide): products and their store mappings,
-- warehouses and shipping channels, review and platform labels, fulfillment orders, inventory
-- with its transactions, inbound orders, and seller accounts. Kept in step with
-- migrations/postgres/0005_oms.sql. Money is decimal text; arithmetic happens in Rust.

-- "Auto-submit to warehouse after review": drafts reaching Pending submit go without a click.
ALTER TABLE sellers ADD COLUMN auto_submit BOOLEAN NOT NULL DEFAULT FALSE;

-- ---------------------------------------------------------------------------------------------
-- Warehouses and shipping channels

CREATE TABLE warehouses (
    id         INTEGER PRIMARY KEY,
    code       TEXT    NOT NULL UNIQUE,
    name       TEXT    NOT NULL,
    -- The warehouse's standard transaction currency (top-ups must match it).
    currency   TEXT    NOT NULL,
    -- Where parcels ship from (JSON address) and the contact email: what platforms that sell
    -- the label need.
    address    TEXT,
    email      TEXT,
    created_at TEXT    NOT NULL
);

-- A channel either ships on the warehouse's own carrier account (the warehouse reports the
-- carrier label and tracking number) or on a label the platform generates.
CREATE TABLE shipping_channels (
    id           INTEGER PRIMARY KEY,
    warehouse_id INTEGER NOT NULL REFERENCES warehouses (id),
    code         TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    -- warehouse | platform_label
    kind         TEXT    NOT NULL,
    -- The carrier code uploaded with tracking numbers (warehouse channels).
    carrier_code TEXT,
    created_at   TEXT    NOT NULL,
    UNIQUE (warehouse_id, code)
);

-- A warehouse's own API tokens: it reports labels, shipments and receipts.
ALTER TABLE api_tokens ADD COLUMN warehouse_id INTEGER REFERENCES warehouses (id);

-- ---------------------------------------------------------------------------------------------
-- Products (system SKUs) and product mappings

CREATE TABLE products (
    id             INTEGER PRIMARY KEY,
    seller_id      INTEGER NOT NULL REFERENCES sellers (id),
    sku            TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    -- draft | submitted | approved | rejected
    status         TEXT    NOT NULL,
    -- Locked once approved.
    hazard_class   TEXT,
    barcode        TEXT,
    weight_g       BIGINT,
    length_mm      BIGINT,
    width_mm       BIGINT,
    height_mm      BIGINT,
    declared_value TEXT,
    -- The warehouse has measured it as a new product (WMS > New Product Maintenance).
    measured       BOOLEAN NOT NULL,
    reject_reason  TEXT,
    created_at     TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL,
    UNIQUE (seller_id, sku)
);

-- Platform SKU -> system SKU x quantity, per store; several rows make a bundle.
CREATE TABLE product_mappings (
    id           INTEGER PRIMARY KEY,
    store_id     INTEGER NOT NULL REFERENCES stores (id),
    platform_sku TEXT    NOT NULL,
    product_id   INTEGER NOT NULL REFERENCES products (id),
    quantity     BIGINT  NOT NULL,
    created_at   TEXT    NOT NULL,
    UNIQUE (store_id, platform_sku, product_id)
);

-- ---------------------------------------------------------------------------------------------
-- Review and platform labels

ALTER TABLE platform_orders ADD COLUMN warehouse_id INTEGER REFERENCES warehouses (id);
ALTER TABLE platform_orders ADD COLUMN channel_id INTEGER REFERENCES shipping_channels (id);
-- Why the order is in Exception, shown to the seller.
ALTER TABLE platform_orders ADD COLUMN exception_reason TEXT;

CREATE INDEX platform_orders_by_flow ON platform_orders (flow_status, store_id);

-- Stored documents: platform and carrier labels, top-up proofs.
CREATE TABLE documents (
    id              INTEGER PRIMARY KEY,
    -- platform_label | carrier_label | top_up_proof
    kind            TEXT    NOT NULL,
    -- pdf | zpl | png | jpg | ...
    format          TEXT    NOT NULL,
    content         BLOB    NOT NULL,
    tracking_number TEXT,
    carrier         TEXT,
    created_at      TEXT    NOT NULL
);

-- Platform-label fetches waiting for the worker; one per reviewed order.
CREATE TABLE label_jobs (
    order_id         INTEGER PRIMARY KEY REFERENCES platform_orders (id),
    -- pending | done | failed
    status           TEXT    NOT NULL,
    attempts         BIGINT  NOT NULL,
    next_attempt_ms  BIGINT  NOT NULL,
    claimed_by       TEXT,
    claim_expires_ms BIGINT,
    last_error       TEXT,
    -- The fulfillment order's lines as review computed them (JSON [[product_id, quantity]]).
    lines            TEXT    NOT NULL,
    created_at       TEXT    NOT NULL,
    finished_at      TEXT
);

CREATE INDEX label_jobs_due ON label_jobs (next_attempt_ms) WHERE status = 'pending';

-- ---------------------------------------------------------------------------------------------
-- Fulfillment orders (Pick & Pack)

CREATE TABLE fulfillment_orders (
    id                 INTEGER PRIMARY KEY,
    seller_id          INTEGER NOT NULL REFERENCES sellers (id),
    -- The platform order it fulfils; NULL for manual fulfillment orders.
    order_id           INTEGER REFERENCES platform_orders (id),
    reference          TEXT    NOT NULL,
    warehouse_id       INTEGER NOT NULL REFERENCES warehouses (id),
    channel_id         INTEGER NOT NULL REFERENCES shipping_channels (id),
    -- draft_fetching | draft_pending_submit | warehouse_processing | shipped | exception |
    -- cancelled
    status             TEXT    NOT NULL,
    ship_to            TEXT    NOT NULL,
    carrier_code       TEXT,
    tracking_number    TEXT,
    label_document_id  INTEGER REFERENCES documents (id),
    exception_reason   TEXT,
    -- When it reached Pending submit: auto-submit picks drafts by it.
    pending_submit_ms  BIGINT,
    created_at         TEXT    NOT NULL,
    updated_at         TEXT    NOT NULL,
    submitted_at       TEXT,
    shipped_at         TEXT
);

CREATE INDEX fulfillment_orders_by_seller ON fulfillment_orders (seller_id, id);
CREATE INDEX fulfillment_orders_by_order ON fulfillment_orders (order_id);
CREATE INDEX fulfillment_orders_by_status ON fulfillment_orders (status, pending_submit_ms);
-- A manual fulfillment order's reference is the seller's own key (imports repeat safely).
CREATE UNIQUE INDEX fulfillment_orders_reference ON fulfillment_orders (seller_id, reference)
    WHERE order_id IS NULL AND status <> 'cancelled';

CREATE TABLE fulfillment_lines (
    fulfillment_id INTEGER NOT NULL REFERENCES fulfillment_orders (id) ON DELETE CASCADE,
    line_no        INTEGER NOT NULL,
    product_id     INTEGER NOT NULL REFERENCES products (id),
    quantity       BIGINT  NOT NULL,
    PRIMARY KEY (fulfillment_id, line_no)
);

-- ---------------------------------------------------------------------------------------------
-- Inventory

-- kind: product (units) | carton (cartons) | return (units received back)
CREATE TABLE inventory (
    warehouse_id INTEGER NOT NULL REFERENCES warehouses (id),
    product_id   INTEGER NOT NULL REFERENCES products (id),
    kind         TEXT    NOT NULL,
    available    BIGINT  NOT NULL,
    reserved     BIGINT  NOT NULL,
    PRIMARY KEY (warehouse_id, product_id, kind)
);

-- What is on the shelf by receipt date, consumed oldest first: the inventory age report.
CREATE TABLE inventory_lots (
    id           INTEGER PRIMARY KEY,
    warehouse_id INTEGER NOT NULL REFERENCES warehouses (id),
    product_id   INTEGER NOT NULL REFERENCES products (id),
    kind         TEXT    NOT NULL,
    received_at  TEXT    NOT NULL,
    remaining    BIGINT  NOT NULL
);

CREATE INDEX inventory_lots_fifo ON inventory_lots (warehouse_id, product_id, kind, id)
    WHERE remaining > 0;

-- Every movement, with the document behind it.
CREATE TABLE inventory_transactions (
    id              INTEGER PRIMARY KEY,
    warehouse_id    INTEGER NOT NULL REFERENCES warehouses (id),
    product_id      INTEGER NOT NULL REFERENCES products (id),
    kind            TEXT    NOT NULL,
    -- inbound | reserve | release | ship | adjust
    reason          TEXT    NOT NULL,
    available_delta BIGINT  NOT NULL,
    reserved_delta  BIGINT  NOT NULL,
    available_after BIGINT  NOT NULL,
    reserved_after  BIGINT  NOT NULL,
    -- inbound | fulfillment | adjustment
    document_type   TEXT    NOT NULL,
    document_id     BIGINT  NOT NULL,
    at              TEXT    NOT NULL
);

CREATE INDEX inventory_transactions_by_product ON inventory_transactions (product_id, id);
CREATE INDEX inventory_transactions_by_document ON inventory_transactions
    (document_type, document_id);

-- A count the warehouse corrected (stocktake, damage, returns received): the document behind
-- an `adjust` movement.
CREATE TABLE inventory_adjustments (
    id           INTEGER PRIMARY KEY,
    warehouse_id INTEGER NOT NULL REFERENCES warehouses (id),
    product_id   INTEGER NOT NULL REFERENCES products (id),
    kind         TEXT    NOT NULL,
    delta        BIGINT  NOT NULL,
    note         TEXT    NOT NULL,
    created_at   TEXT    NOT NULL
);

-- ---------------------------------------------------------------------------------------------
-- Inbound orders (ASN)

CREATE TABLE inbound_orders (
    id           INTEGER PRIMARY KEY,
    seller_id    INTEGER NOT NULL REFERENCES sellers (id),
    warehouse_id INTEGER NOT NULL REFERENCES warehouses (id),
    -- standard (per unit -> product inventory) | transfer (per carton -> carton inventory)
    kind         TEXT    NOT NULL,
    -- draft | submitted | received | cancelled
    status       TEXT    NOT NULL,
    reference    TEXT    NOT NULL,
    created_at   TEXT    NOT NULL,
    submitted_at TEXT,
    received_at  TEXT
);

CREATE INDEX inbound_orders_by_seller ON inbound_orders (seller_id, id);

CREATE TABLE inbound_lines (
    inbound_id       INTEGER NOT NULL REFERENCES inbound_orders (id) ON DELETE CASCADE,
    line_no          INTEGER NOT NULL,
    product_id       INTEGER NOT NULL REFERENCES products (id),
    -- Units (standard) or cartons (transfer).
    quantity         BIGINT  NOT NULL,
    units_per_carton BIGINT,
    received         BIGINT,
    PRIMARY KEY (inbound_id, line_no)
);

-- ---------------------------------------------------------------------------------------------
-- Seller accounts

CREATE TABLE seller_accounts (
    seller_id    INTEGER PRIMARY KEY REFERENCES sellers (id),
    currency     TEXT    NOT NULL,
    balance      TEXT    NOT NULL,
    credit_limit TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL
);

CREATE TABLE top_ups (
    id                INTEGER PRIMARY KEY,
    seller_id         INTEGER NOT NULL REFERENCES sellers (id),
    amount            TEXT    NOT NULL,
    currency          TEXT    NOT NULL,
    -- The payment's reference (bank transfer id, ...) and, optionally, the proof document.
    proof_reference   TEXT    NOT NULL,
    proof_document_id INTEGER REFERENCES documents (id),
    -- pending | approved | rejected
    status            TEXT    NOT NULL,
    reject_reason     TEXT,
    created_at        TEXT    NOT NULL,
    decided_at        TEXT
);

CREATE INDEX top_ups_by_seller ON top_ups (seller_id, id);

CREATE TABLE account_transactions (
    id            INTEGER PRIMARY KEY,
    seller_id     INTEGER NOT NULL REFERENCES sellers (id),
    -- top_up | credit_limit
    kind          TEXT    NOT NULL,
    amount        TEXT    NOT NULL,
    balance_after TEXT    NOT NULL,
    document_type TEXT,
    document_id   BIGINT,
    at            TEXT    NOT NULL
);

CREATE INDEX account_transactions_by_seller ON account_transactions (seller_id, id);
