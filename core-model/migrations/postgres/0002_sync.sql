-- The sync engine's tables: each store's schedule and lease, and every sync run with its
-- per-page checkpoint. Kept in step with migrations/sqlite/0002_sync.sql.
-- Schedule and lease times are epoch milliseconds, so "due" and "expired" compare as numbers
-- on both backends.

CREATE TABLE store_sync (
    store_id          BIGINT PRIMARY KEY REFERENCES stores (id),
    -- Authorized and not removed: the scheduler pulls it.
    active            BOOLEAN NOT NULL,
    -- The next scheduled pull.
    next_due_ms       BIGINT  NOT NULL,
    initial_done      BOOLEAN NOT NULL,
    -- The replica pulling it now, until the lease expires.
    lease_owner       TEXT,
    lease_expires_ms  BIGINT,
    -- Orders updated before this are in the store (the end of the last completed window).
    synced_to         TIMESTAMPTZ,
    -- The last full incremental sweep, and how many orders it saw: plans quota-bound stores.
    last_sweep_at     TIMESTAMPTZ,
    last_sweep_orders BIGINT
);

CREATE INDEX store_sync_due ON store_sync (next_due_ms) WHERE active;

CREATE TABLE sync_runs (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store_id         BIGINT  NOT NULL REFERENCES stores (id),
    kind             TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    window_from      TIMESTAMPTZ,
    window_to        TIMESTAMPTZ,
    -- The next page's cursor: where a resumed run continues. NULL before the first page.
    cursor           TEXT,
    pages            BIGINT  NOT NULL,
    orders_new       BIGINT  NOT NULL,
    orders_changed   BIGINT  NOT NULL,
    orders_unchanged BIGINT  NOT NULL,
    malformed        BIGINT  NOT NULL,
    api_calls        BIGINT  NOT NULL,
    throttles        BIGINT  NOT NULL,
    errors           BIGINT  NOT NULL,
    error            TEXT,
    owner            TEXT,
    requested_at     TIMESTAMPTZ    NOT NULL,
    started_at       TIMESTAMPTZ,
    finished_at      TIMESTAMPTZ,
    duration_ms      BIGINT
);

CREATE INDEX sync_runs_by_store ON sync_runs (store_id, id);
-- One unfinished run per store: a second manual sync finds the first one.
CREATE UNIQUE INDEX sync_runs_one_open ON sync_runs (store_id) WHERE status IN ('queued', 'running');

-- Small daemon-wide values (the credentials key check).
CREATE TABLE daemon_meta (
    key   TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);
