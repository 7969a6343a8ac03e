//! The tracking-upload worker: confirms shipments in the outbox to their platforms through
//! each store's live connector, retrying with backoff until the platform accepts or refuses.

use std::time::Duration;

use chrono::TimeDelta;
use core_model::store::{TrackingUpload, UploadOutcome};
use core_model::ErrorKind;

use super::Engine;
use crate::telemetry;

/// Uploads claimed per pass.
const BATCH: usize = 50;
/// The first retry waits this long, doubling per attempt up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(60);
const MAX_BACKOFF: Duration = Duration::from_secs(3600);

impl Engine {
    /// Uploads the shipments due now; returns how many were attempted. Updates the backlog
    /// gauge.
    pub async fn upload_due_tracking(&self) -> anyhow::Result<usize> {
        let inner = &self.inner;
        let ttl = TimeDelta::from_std(inner.settings.lease_ttl).unwrap_or(TimeDelta::MAX);
        let due = inner
            .store
            .claim_tracking_uploads(&inner.owner, self.now(), ttl, BATCH)
            .await?;
        let attempted = due.len();
        for upload in due {
            let outcome = self.upload_one(&upload).await;
            if matches!(outcome, UploadOutcome::Uploaded { .. }) && crash_after_ack() {
                // The platform has the shipment; the outbox does not know yet. Ends at once,
                // like a kill, without a core dump.
                std::process::exit(CRASH_EXIT_CODE);
            }
            inner
                .store
                .finish_tracking_upload(upload.id, &inner.owner, &outcome, self.now())
                .await?;
        }
        telemetry::tracking_backlog(inner.store.tracking_backlog().await?);
        Ok(attempted)
    }

    async fn upload_one(&self, upload: &TrackingUpload) -> UploadOutcome {
        let info = match self.inner.store.get_store(upload.store_id).await {
            Ok(Some(info)) => info,
            Ok(None) => {
                return UploadOutcome::Failed {
                    error: "the store no longer exists".into(),
                }
            }
            Err(e) => return self.retry(upload, e.to_string(), None),
        };
        let handle = match self.handle(&info).await {
            Ok(h) => h,
            // Not authorized (removed, or its credentials unusable): wait for the seller.
            Err(e) => return self.retry(upload, format!("{e:#}"), None),
        };
        let span = tracing::info_span!("tracking", store = info.id.0, platform = %info.platform);
        let _enter = span.enter();
        match handle.connector.upload_tracking(&upload.shipment).await {
            Ok(ack) => {
                telemetry::tracking_uploaded(info.platform, "uploaded");
                tracing::info!(
                    already_confirmed = ack.already_confirmed,
                    "tracking uploaded"
                );
                UploadOutcome::Uploaded {
                    already_confirmed: ack.already_confirmed,
                }
            }
            Err(e) => match e.kind() {
                ErrorKind::RateLimited | ErrorKind::Transient | ErrorKind::Unauthorized => {
                    telemetry::tracking_uploaded(info.platform, "retry");
                    self.retry(upload, e.to_string(), e.retry_after())
                }
                ErrorKind::Permanent | ErrorKind::Malformed | ErrorKind::Unsupported => {
                    telemetry::tracking_uploaded(info.platform, "failed");
                    tracing::warn!(error = %e, "tracking upload refused");
                    UploadOutcome::Failed {
                        error: e.to_string(),
                    }
                }
            },
        }
    }

    fn retry(
        &self,
        upload: &TrackingUpload,
        error: String,
        platform_wait: Option<Duration>,
    ) -> UploadOutcome {
        UploadOutcome::Retry {
            at: retry_at(self.now(), upload.attempts, platform_wait),
            error,
        }
    }
}

/// The exit status of the crash-safety failpoint.
const CRASH_EXIT_CODE: i32 = 86;

/// The crash-safety test's hook: with `OMSYNC_FAILPOINT=abort-after-tracking-ack` the process
/// exits right after a platform accepted an upload and before the outbox records it: the
/// worst moment for a power cut. Read once.
fn crash_after_ack() -> bool {
    static SET: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *SET.get_or_init(|| {
        std::env::var("OMSYNC_FAILPOINT").is_ok_and(|v| v == "abort-after-tracking-ack")
    })
}

/// When to try again after `attempts` failed tries: the first retry waits a minute, doubling
/// per attempt up to an hour, and never sooner than the platform asked.
pub(super) fn retry_at(
    now: chrono::DateTime<chrono::Utc>,
    attempts: i64,
    platform_wait: Option<Duration>,
) -> chrono::DateTime<chrono::Utc> {
    let exp = u32::try_from(attempts.clamp(0, 16)).unwrap_or(16);
    let backoff = (FIRST_BACKOFF * 2u32.pow(exp)).min(MAX_BACKOFF);
    let wait = platform_wait.map_or(backoff, |w| w.max(backoff));
    now + TimeDelta::from_std(wait).unwrap_or(TimeDelta::MAX)
}
