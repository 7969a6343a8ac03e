-- Shipments waiting to be confirmed to their platform ("mark as shipped"): written with the
-- shipment, uploaded by the daemon with retries, kept as the order's upload status. Kept in step
-- with migrations/postgres/0004_tracking_outbox.sql.
CREATE TABLE tracking_outbox (
    id                INTEGER PRIMARY KEY,
    store_id          INTEGER NOT NULL REFERENCES stores (id),
    platform_order_id TEXT    NOT NULL,
    package_ref       TEXT    NOT NULL,
    -- The Shipment as JSON: what goes to the platform.
    shipment          TEXT    NOT NULL,
    -- pending | uploaded | failed
    status            TEXT    NOT NULL,
    attempts          BIGINT  NOT NULL,
    next_attempt_ms   BIGINT  NOT NULL,
    -- The replica uploading it now, until the claim expires.
    claimed_by        TEXT,
    claim_expires_ms  BIGINT,
    last_error        TEXT,
    already_confirmed BOOLEAN,
    created_at        TEXT    NOT NULL,
    uploaded_at       TEXT,
    UNIQUE (store_id, platform_order_id, package_ref)
);

CREATE INDEX tracking_outbox_due ON tracking_outbox (next_attempt_ms) WHERE status = 'pending';
