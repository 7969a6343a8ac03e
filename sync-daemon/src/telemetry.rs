//! The daemon's metric names and labels, in one place. Recorded through the `metrics` facade;
//! `omsync run` installs the Prometheus recorder that `/metrics` renders. The connectors' own
//! request counter lives in `connector_kit::telemetry`.

use std::time::Duration;

use core_model::store::{PageProgress, RunKind, RunStatus, StoreInfo};
use core_model::Platform;

/// Orders written by pulls, by platform and outcome (`new`, `changed`, `unchanged`,
/// `malformed`).
pub const ORDERS_INGESTED: &str = "omsync_orders_ingested_total";
/// Finished sync runs, by platform, kind and status.
pub const SYNC_RUNS: &str = "omsync_sync_runs_total";
/// Seconds between now and the point up to which a store's orders are known complete.
pub const SYNC_LAG: &str = "omsync_sync_lag_seconds";
/// Shipments in the tracking outbox not yet accepted by their platform.
pub const TRACKING_BACKLOG: &str = "omsync_tracking_outbox_backlog";
/// Tracking upload attempts, by platform and outcome (`uploaded`, `retry`, `failed`).
pub const TRACKING_UPLOADS: &str = "omsync_tracking_uploads_total";
/// Platform-label fetches waiting.
pub const LABEL_BACKLOG: &str = "omsync_label_backlog";
/// Platform-label fetch attempts, by platform and outcome (`fetched`, `retry`, `failed`).
pub const LABEL_FETCHES: &str = "omsync_label_fetches_total";
/// Dispatcher wake-ups that came from the fallback timer because the cron heartbeat was late.
pub const SCHEDULER_STALLS: &str = "omsync_scheduler_stalls_total";

pub fn page_ingested(platform: Platform, p: &PageProgress) {
    for (outcome, n) in [
        ("new", p.orders_new),
        ("changed", p.orders_changed),
        ("unchanged", p.orders_unchanged),
        ("malformed", p.malformed),
    ] {
        if n > 0 {
            metrics::counter!(ORDERS_INGESTED, "platform" => platform.slug(), "outcome" => outcome)
                .increment(n);
        }
    }
}

pub fn run_finished(platform: Platform, kind: RunKind, status: RunStatus) {
    metrics::counter!(SYNC_RUNS, "platform" => platform.slug(), "kind" => kind.as_str(),
        "status" => status.as_str())
    .increment(1);
}

pub fn sync_lag(store: &StoreInfo, lag: Duration) {
    metrics::gauge!(SYNC_LAG, "store" => store.id.0.to_string(), "platform" => store.platform.slug())
        .set(lag.as_secs_f64());
}

pub fn scheduler_stall() {
    metrics::counter!(SCHEDULER_STALLS).increment(1);
}

pub fn tracking_backlog(pending: u64) {
    metrics::gauge!(TRACKING_BACKLOG).set(pending as f64);
}

pub fn tracking_uploaded(platform: Platform, outcome: &'static str) {
    metrics::counter!(TRACKING_UPLOADS, "platform" => platform.slug(), "outcome" => outcome)
        .increment(1);
}

pub fn label_backlog(pending: u64) {
    metrics::gauge!(LABEL_BACKLOG).set(pending as f64);
}

pub fn label_fetched(platform: Platform, outcome: &'static str) {
    metrics::counter!(LABEL_FETCHES, "platform" => platform.slug(), "outcome" => outcome)
        .increment(1);
}
