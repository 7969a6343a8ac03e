//! The connectors' metrics, through the `metrics` facade: the daemon installs the Prometheus
//! recorder; without one (tests, `omsync pull`) these are no-ops.

use core_model::{ErrorKind, Operation, Platform};

/// Every platform HTTP call, by platform, operation and outcome (`ok`, `throttled`,
/// `unauthorized`, `transient`, `permanent`, `malformed`, `unsupported`, `network`).
pub const MARKETPLACE_REQUESTS: &str = "omsync_marketplace_requests_total";

pub(crate) fn platform_call(platform: Platform, operation: Operation, outcome: &'static str) {
    metrics::counter!(
        MARKETPLACE_REQUESTS,
        "platform" => platform.slug(),
        "operation" => operation.as_str(),
        "outcome" => outcome,
    )
    .increment(1);
}

/// The `outcome` label of a classified failure.
pub fn outcome(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::RateLimited => "throttled",
        ErrorKind::Unauthorized => "unauthorized",
        ErrorKind::Transient => "transient",
        ErrorKind::Permanent => "permanent",
        ErrorKind::Malformed => "malformed",
        ErrorKind::Unsupported => "unsupported",
    }
}
