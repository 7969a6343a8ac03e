//! The OMS workers beside the pulls: platform-label fetches for reviewed orders, and
//! "auto-submit to warehouse after review".

use chrono::TimeDelta;
use core_model::store::flow::{ClaimedLabel, LabelOutcome};
use core_model::store::TokenScope;
use core_model::ErrorKind;

use super::outbox::retry_at;
use super::Engine;
use crate::telemetry;

/// Label fetches claimed per pass.
const BATCH: usize = 20;
/// Drafts auto-submitted per pass.
const SUBMIT_BATCH: u32 = 5_000;

impl Engine {
    /// Fetches the platform labels due now; returns how many were attempted.
    pub async fn fetch_due_labels(&self) -> anyhow::Result<usize> {
        let inner = &self.inner;
        let ttl = TimeDelta::from_std(inner.settings.lease_ttl).unwrap_or(TimeDelta::MAX);
        let due = inner
            .store
            .claim_label_jobs(&inner.owner, self.now(), ttl, BATCH)
            .await?;
        let attempted = due.len();
        for job in due {
            let outcome = self.fetch_one(&job).await;
            inner
                .store
                .finish_label_job(job.order_id, &inner.owner, &outcome, self.now())
                .await?;
        }
        telemetry::label_backlog(inner.store.label_backlog().await?);
        Ok(attempted)
    }

    async fn fetch_one(&self, job: &ClaimedLabel) -> LabelOutcome {
        let store = &self.inner.store;
        let retry = |error: String, wait| self.label_retry(job, error, wait);
        let info = match store.get_store(job.store_id).await {
            Ok(Some(info)) => info,
            Ok(None) => {
                return LabelOutcome::Failed {
                    error: "the store no longer exists".into(),
                }
            }
            Err(e) => return retry(e.to_string(), None),
        };
        let order = match store.order_by_id(job.order_id).await {
            Ok(Some(o)) => o,
            Ok(None) => {
                return LabelOutcome::Failed {
                    error: "the order no longer exists".into(),
                }
            }
            Err(e) => return retry(e.to_string(), None),
        };
        let spec = match store.label_spec(job.order_id).await {
            Ok(spec) => spec,
            Err(e) => return retry(e.to_string(), None),
        };
        let handle = match self.handle(&info).await {
            Ok(h) => h,
            // Not authorized (removed, or its credentials unusable): wait for the seller.
            Err(e) => return retry(format!("{e:#}"), None),
        };
        let span = tracing::info_span!("label", store = info.id.0, platform = %info.platform,
            order = job.order_id.0);
        let _enter = span.enter();
        match handle.connector.fetch_label(&order.order, &spec).await {
            Ok(label) => {
                telemetry::label_fetched(info.platform, "fetched");
                tracing::info!(bytes = label.bytes.len(), "platform label fetched");
                LabelOutcome::Fetched(label)
            }
            Err(e) => match e.kind() {
                ErrorKind::RateLimited | ErrorKind::Transient | ErrorKind::Unauthorized => {
                    telemetry::label_fetched(info.platform, "retry");
                    retry(e.to_string(), e.retry_after())
                }
                ErrorKind::Permanent | ErrorKind::Malformed | ErrorKind::Unsupported => {
                    telemetry::label_fetched(info.platform, "failed");
                    tracing::warn!(error = %e, "platform label refused");
                    LabelOutcome::Failed {
                        error: e.to_string(),
                    }
                }
            },
        }
    }

    /// Another attempt with backoff, or Exception once the attempts are spent.
    fn label_retry(
        &self,
        job: &ClaimedLabel,
        error: String,
        wait: Option<std::time::Duration>,
    ) -> LabelOutcome {
        let limit = i64::from(self.inner.settings.label_attempts.max(1));
        if job.attempts + 1 >= limit {
            return LabelOutcome::Failed {
                error: format!("gave up after {limit} attempts: {error}"),
            };
        }
        LabelOutcome::Retry {
            at: retry_at(self.now(), job.attempts, wait),
            error,
        }
    }

    /// Submits the drafts waiting in Pending submit of sellers with auto-submit on, at most
    /// once per `auto_submit_delay` (so none waits longer than that, plus a tick). Returns how
    /// many were submitted; `None` when the pass was not due.
    pub async fn auto_submit(&self) -> anyhow::Result<Option<usize>> {
        let inner = &self.inner;
        let now = self.now();
        let delay = TimeDelta::from_std(inner.settings.auto_submit_delay).unwrap_or(TimeDelta::MAX);
        {
            let Ok(mut last) = inner.last_auto_submit.lock() else {
                return Ok(None);
            };
            if last.is_some_and(|at| now - at < delay) {
                return Ok(None);
            }
            *last = Some(now);
        }
        let due = inner.store.auto_submit_due(SUBMIT_BATCH).await?;
        if due.is_empty() {
            return Ok(Some(0));
        }
        let out = inner
            .store
            .submit_fulfillments(&due, TokenScope::Operator, now)
            .await?;
        let submitted = out.iter().filter(|o| o.ok).count();
        tracing::info!(
            submitted,
            failed = out.len() - submitted,
            "auto-submitted drafts"
        );
        Ok(Some(submitted))
    }

    /// One pass of every OMS worker: uploads, label fetches, auto-submit.
    pub async fn oms_pass(&self) {
        if let Err(e) = self.upload_due_tracking().await {
            tracing::warn!("tracking uploads failed: {e:#}");
        }
        if let Err(e) = self.fetch_due_labels().await {
            tracing::warn!("platform label fetches failed: {e:#}");
        }
        if let Err(e) = self.auto_submit().await {
            tracing::warn!("auto-submit failed: {e:#}");
        }
    }
}
