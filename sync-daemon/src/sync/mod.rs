//! The sync engine: claims due stores through leases in the order store, pulls each one page
//! by page with a checkpoint after every page, and records every run.
//!
//! One engine per daemon process. Stores are claimed in the database, never in memory, so
//! several replicas on one PostgreSQL share the work and a killed process's runs are resumed
//! from their last checkpoint by whoever claims the store next.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use connector_kit::{CallCounts, CallStats, RateLimits, TokenGrant, TokenSink};
use core_model::store::{
    CycleOutcome, OrderStore, PageProgress, RunId, RunKind, RunStatus, StoreInfo,
};
use core_model::{Marketplace, MarketplaceError, StoreId, StoreRef, Window};
use secrecy::ExposeSecret;
use tokio::sync::{watch, Notify, Semaphore};
use tokio::task::JoinHandle;
use tracing::Instrument;

use crate::credentials::apply_grant;
use crate::telemetry;
use crate::vault::Vault;

pub mod clock;
mod labels;
mod outbox;
pub mod plan;
pub mod scheduler;
pub mod source;

pub use clock::{Clock, ManualClock, SystemClock, TokioClock};
pub use plan::SyncSettings;
pub use source::RegistrySource;

/// The governor class of the engine's own gate on list calls.
const LIST_CLASS: &str = "order_list";

/// Builds the connector of one store. The daemon's comes from the registry; tests bring fakes.
pub trait ConnectorSource: Send + Sync + fmt::Debug {
    fn build(
        &self,
        store: StoreRef,
        credentials: &serde_json::Value,
        sink: Arc<dyn TokenSink>,
        stats: Arc<CallStats>,
    ) -> anyhow::Result<Arc<dyn Marketplace>>;
}

/// What one run did, as the caller of [`Engine::run_store`] sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunReport {
    pub run: RunId,
    pub status: RunStatus,
    /// The run stopped at a checkpoint (shutdown or a lost lease) and will be resumed.
    pub paused: bool,
}

/// A store's live connector, kept between runs so its token cache and quota buckets persist.
struct StoreHandle {
    connector: Arc<dyn Marketplace>,
    stats: Arc<CallStats>,
    /// The engine's gate on list calls at the declared quota; `None` with rate limits off.
    gate: Option<RateLimits>,
    /// The sealed credentials it was built from: a re-authorized store gets a new connector.
    sealed: Arc<Mutex<Vec<u8>>>,
}

/// Writes a rotated refresh token into the store's sealed credentials before the connector
/// uses the new access token.
struct StoreTokenSink {
    store: OrderStore,
    vault: Arc<Vault>,
    id: StoreId,
    credentials: Mutex<serde_json::Value>,
    sealed: Arc<Mutex<Vec<u8>>>,
}

impl fmt::Debug for StoreTokenSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreTokenSink")
            .field("store", &self.id)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl TokenSink for StoreTokenSink {
    async fn rotated(&self, grant: &TokenGrant) -> Result<(), MarketplaceError> {
        let plain = {
            let mut creds = self
                .credentials
                .lock()
                .map_err(|_| MarketplaceError::permanent("credentials lock poisoned"))?;
            apply_grant(&mut creds, grant)
                .ok_or_else(|| MarketplaceError::permanent("credentials are not a JSON object"))?;
            serde_json::to_vec(&*creds)
                .map_err(|e| MarketplaceError::permanent(format!("credentials: {e}")))?
        };
        let sealed = self.vault.seal(self.id, &plain);
        self.store
            .update_store_credentials(self.id, &sealed)
            .await
            .map_err(|e| {
                MarketplaceError::permanent(format!(
                    "the platform rotated the refresh token but it could not be stored: {e}"
                ))
            })?;
        if let Ok(mut current) = self.sealed.lock() {
            *current = sealed;
        }
        Ok(())
    }
}

/// The sync engine. Cloning shares it.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    store: OrderStore,
    vault: Arc<Vault>,
    source: Arc<dyn ConnectorSource>,
    clock: Arc<dyn Clock>,
    settings: SyncSettings,
    owner: String,
    handles: Mutex<HashMap<StoreId, Arc<StoreHandle>>>,
    permits: Arc<Semaphore>,
    stopping: watch::Sender<bool>,
    in_flight: Mutex<Vec<JoinHandle<()>>>,
    /// Rung when a run ends: its slot is free for the next due store.
    slot_freed: Notify,
    /// When the last auto-submit pass ran.
    last_auto_submit: Mutex<Option<DateTime<Utc>>>,
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("owner", &self.inner.owner)
            .field("settings", &self.inner.settings)
            .finish_non_exhaustive()
    }
}

impl Engine {
    pub fn new(
        store: OrderStore,
        vault: Arc<Vault>,
        source: Arc<dyn ConnectorSource>,
        clock: Arc<dyn Clock>,
        settings: SyncSettings,
        owner: impl Into<String>,
    ) -> Self {
        let permits = Arc::new(Semaphore::new(settings.concurrency.max(1)));
        Engine {
            inner: Arc::new(Inner {
                store,
                vault,
                source,
                clock,
                settings,
                owner: owner.into(),
                handles: Mutex::new(HashMap::new()),
                permits,
                stopping: watch::channel(false).0,
                in_flight: Mutex::new(Vec::new()),
                slot_freed: Notify::new(),
                last_auto_submit: Mutex::new(None),
            }),
        }
    }

    pub fn store(&self) -> &OrderStore {
        &self.inner.store
    }

    pub fn settings(&self) -> &SyncSettings {
        &self.inner.settings
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    /// Authorizes `store` with a connector's credentials JSON: checks them by building the
    /// connector, seals them, and schedules the initial pull for now.
    pub async fn authorize(
        &self,
        store: StoreId,
        credentials: &serde_json::Value,
    ) -> anyhow::Result<()> {
        self.authorize_at(store, credentials, self.now()).await
    }

    /// Checks a credentials file for `platform` by building its connector (every key is
    /// checked; no call is made), before any store exists. Errors name the key, never the
    /// value.
    pub fn check_credentials(
        &self,
        platform: core_model::Platform,
        credentials: &serde_json::Value,
    ) -> anyhow::Result<()> {
        // Not a store yet: the id is a placeholder.
        self.check(
            StoreRef {
                id: StoreId(0),
                platform,
            },
            credentials,
        )
    }

    /// Builds a throwaway connector over `credentials`: every key is checked, no call is made.
    fn check(&self, store: StoreRef, credentials: &serde_json::Value) -> anyhow::Result<()> {
        self.inner
            .source
            .build(
                store,
                credentials,
                Arc::new(DiscardSink),
                Arc::new(CallStats::default()),
            )
            .with_context(|| format!("{} credentials", store.platform))?;
        Ok(())
    }

    /// [`Engine::authorize`] with the first scheduled pull due at `first_due`.
    pub async fn authorize_at(
        &self,
        store: StoreId,
        credentials: &serde_json::Value,
        first_due: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let info = self
            .inner
            .store
            .get_store(store)
            .await?
            .with_context(|| format!("store {} does not exist", store.0))?;
        self.check(
            StoreRef {
                id: store,
                platform: info.platform,
            },
            credentials,
        )?;
        let sealed = self
            .inner
            .vault
            .seal(store, &serde_json::to_vec(credentials)?);
        self.inner
            .store
            .authorize_store(store, &sealed, first_due)
            .await?;
        self.forget(store);
        Ok(())
    }

    /// Asks for a sync of `store` now. While a run of the store is unfinished, its id comes
    /// back (with `false`) instead of a second run.
    pub async fn request_sync(
        &self,
        store: StoreId,
        window: Option<Window>,
    ) -> anyhow::Result<(RunId, bool)> {
        Ok(self
            .inner
            .store
            .request_run(store, RunKind::Manual, window, self.now())
            .await?)
    }

    /// Queues a run of `kind` over `window` (the demo replays recordings of fixed windows).
    pub async fn request_run(
        &self,
        store: StoreId,
        kind: RunKind,
        window: Window,
    ) -> anyhow::Result<(RunId, bool)> {
        Ok(self
            .inner
            .store
            .request_run(store, kind, Some(window), self.now())
            .await?)
    }

    /// Drops the cached connector of `store` (removed or re-authorized).
    pub fn forget(&self, store: StoreId) {
        if let Ok(mut handles) = self.inner.handles.lock() {
            handles.remove(&store);
        }
    }

    /// Stop taking work: no new claims; running stores stop after their current page.
    pub fn stop(&self) {
        self.inner.stopping.send_replace(true);
    }

    pub fn is_stopping(&self) -> bool {
        *self.inner.stopping.borrow()
    }

    /// Claims the stores due now, as many as there are free slots, and starts their runs.
    /// Returns how many started.
    pub async fn dispatch(&self) -> anyhow::Result<usize> {
        if self.is_stopping() {
            return Ok(0);
        }
        let free = self.inner.permits.available_permits();
        if free == 0 {
            return Ok(0);
        }
        let ttl = TimeDelta::from_std(self.inner.settings.lease_ttl).unwrap_or(TimeDelta::MAX);
        let ids = self
            .inner
            .store
            .claim_due_stores(&self.inner.owner, self.now(), ttl, free)
            .await?;
        let started = ids.len();
        let mut in_flight = self
            .inner
            .in_flight
            .lock()
            .map_err(|_| anyhow::anyhow!("engine task list poisoned"))?;
        in_flight.retain(|h| !h.is_finished());
        for id in ids {
            let Ok(permit) = Arc::clone(&self.inner.permits).try_acquire_owned() else {
                // Claimed more than free slots (a race with another dispatch): hand it back.
                let engine = self.clone();
                tokio::spawn(async move {
                    let _ = engine
                        .inner
                        .store
                        .release_store(id, &engine.inner.owner, None)
                        .await;
                });
                continue;
            };
            let engine = self.clone();
            in_flight.push(tokio::spawn(async move {
                if let Err(e) = engine.run_store(id).await {
                    tracing::error!(store = id.0, "sync failed: {e:#}");
                }
                drop(permit);
                engine.inner.slot_freed.notify_one();
            }));
        }
        Ok(started)
    }

    /// Resolves when a run has ended since the last call: the dispatcher then looks for the
    /// next due store at once instead of waiting for the next heartbeat.
    pub async fn slot_freed(&self) {
        self.inner.slot_freed.notified().await
    }

    /// Waits for every run started by [`Engine::dispatch`] to end.
    pub async fn wait_idle(&self) {
        loop {
            let handles: Vec<JoinHandle<()>> = match self.inner.in_flight.lock() {
                Ok(mut v) => v.drain(..).collect(),
                Err(_) => return,
            };
            if handles.is_empty() {
                return;
            }
            for h in handles {
                let _ = h.await;
            }
        }
    }

    /// Waits up to `grace` for in-flight runs, then abandons them: each stays at its last
    /// checkpoint and is resumed by the next claim.
    pub async fn drain(&self, grace: Duration) -> bool {
        let finished = tokio::time::timeout(grace, self.wait_idle()).await.is_ok();
        if !finished {
            if let Ok(mut v) = self.inner.in_flight.lock() {
                for h in v.drain(..) {
                    h.abort();
                }
            }
        }
        finished
    }

    /// One run of a store this engine holds the lease of: resumes its unfinished run, or
    /// starts its queued one, or plans the scheduled cycle. Releases the lease at the end.
    pub async fn run_store(&self, id: StoreId) -> anyhow::Result<RunReport> {
        let inner = &self.inner;
        let result = self.run_store_leased(id).await;
        if let Err(e) = &result {
            // Hand the store back so another cycle (or replica) can retry it.
            let _ = inner.store.release_store(id, &inner.owner, None).await;
            tracing::warn!(store = id.0, "run could not start: {e:#}");
        }
        result
    }

    async fn run_store_leased(&self, id: StoreId) -> anyhow::Result<RunReport> {
        let inner = &self.inner;
        let info = inner
            .store
            .get_store(id)
            .await?
            .with_context(|| format!("store {} vanished", id.0))?;
        let handle = self.handle(&info).await?;
        let caps = handle.connector.capabilities().clone();
        let now = self.now();
        let open = inner.store.open_run(id).await?;
        let (run, kind, window, cursor, scheduled) = match open {
            Some(r) if r.status == RunStatus::Running => {
                let window = r
                    .window
                    .with_context(|| format!("run {} has no window", r.id))?;
                inner.store.adopt_run(r.id, &inner.owner).await?;
                tracing::info!(store = id.0, run = r.id.0, pages = r.pages, "resuming run");
                (r.id, r.kind, window, r.cursor, r.kind != RunKind::Manual)
            }
            Some(r) => {
                let window = match r.window {
                    Some(w) => w,
                    None => {
                        plan::plan(&info, &caps, &inner.settings, now, true)
                            .context("the manual window is empty")?
                            .window
                    }
                };
                inner
                    .store
                    .begin_run(r.id, window, &inner.owner, now)
                    .await?;
                (r.id, r.kind, window, None, false)
            }
            None => {
                let p = plan::plan(&info, &caps, &inner.settings, now, false)
                    .context("the planned window is empty")?;
                let run = inner
                    .store
                    .start_run(id, p.kind, p.window, &inner.owner, now)
                    .await?;
                (run, p.kind, p.window, None, true)
            }
        };
        let span = tracing::info_span!("sync", store = id.0, platform = %info.platform, run = run.0,
            kind = kind.as_str());
        self.pull(&info, &handle, run, kind, window, cursor, scheduled)
            .instrument(span)
            .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn pull(
        &self,
        info: &StoreInfo,
        handle: &StoreHandle,
        run: RunId,
        kind: RunKind,
        window: Window,
        mut cursor: Option<core_model::Cursor>,
        scheduled: bool,
    ) -> anyhow::Result<RunReport> {
        let inner = &self.inner;
        let id = info.id;
        let lost = Arc::new(AtomicBool::new(false));
        let keeper = self.keep_lease(id, Arc::clone(&lost));
        let _keeper = AbortOnDrop(keeper);
        let mut seen: i64 = 0;
        let mut last = handle.stats.snapshot();
        tracing::info!(from = %window.from, to = %window.to, "pulling");
        loop {
            if let Some(gate) = &handle.gate {
                gate.acquire(LIST_CLASS).await;
            }
            let page = match handle.connector.pull_orders(window, cursor.as_ref()).await {
                Ok(page) => page,
                Err(e) => {
                    let extra = progress(last, handle.stats.snapshot(), 1);
                    let message = e.to_string();
                    tracing::warn!(error = %message, "run failed");
                    inner
                        .store
                        .finish_run(run, RunStatus::Failed, Some(&message), &extra, self.now())
                        .await?;
                    telemetry::run_finished(info.platform, kind, RunStatus::Failed);
                    let outcome = CycleOutcome {
                        next_due: self.next_due(info, scheduled),
                        initial_done: info.initial_done,
                        synced_to: None,
                        sweep: None,
                    };
                    inner
                        .store
                        .release_store(id, &inner.owner, Some(&outcome))
                        .await?;
                    return Ok(RunReport {
                        run,
                        status: RunStatus::Failed,
                        paused: false,
                    });
                }
            };
            let stats = inner.store.upsert_orders(&page.orders).await?;
            inner.store.record_malformed(id, &page.malformed).await?;
            let now_stats = handle.stats.snapshot();
            let mut p = progress(last, now_stats, 0);
            last = now_stats;
            p.orders_new = stats.new;
            p.orders_changed = stats.changed;
            p.orders_unchanged = stats.unchanged;
            p.malformed = page.malformed.len() as u64;
            seen += (page.orders.len() + page.malformed.len()) as i64;
            inner
                .store
                .checkpoint_run(run, &inner.owner, page.next_cursor.as_ref(), &p)
                .await?;
            telemetry::page_ingested(info.platform, &p);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
            if self.is_stopping() || lost.load(Ordering::Relaxed) {
                // The page is committed and the cursor saved: the next claim resumes here.
                tracing::info!("paused at a checkpoint");
                inner.store.release_store(id, &inner.owner, None).await?;
                return Ok(RunReport {
                    run,
                    status: RunStatus::Running,
                    paused: true,
                });
            }
        }
        let now = self.now();
        inner
            .store
            .finish_run(
                run,
                RunStatus::Succeeded,
                None,
                &PageProgress::default(),
                now,
            )
            .await?;
        telemetry::run_finished(info.platform, kind, RunStatus::Succeeded);
        // A run that covered the full incremental window (or more) is a sweep: it tells the
        // planner how busy the store is.
        let full = window.from
            <= window.to
                - TimeDelta::from_std(inner.settings.incremental_lookback)
                    .unwrap_or(TimeDelta::MAX);
        let synced_to = match info.synced_to {
            // Only a window that starts at or before the old mark extends it without a gap.
            Some(old) if window.from > old => None,
            _ => Some(window.to),
        };
        let outcome = CycleOutcome {
            next_due: self.next_due(info, scheduled),
            initial_done: info.initial_done
                || matches!(kind, RunKind::Initial)
                || (kind == RunKind::Manual && full),
            synced_to,
            sweep: full.then_some((now, seen)),
        };
        if let Some(to) = outcome.synced_to {
            telemetry::sync_lag(info, (now - to).to_std().unwrap_or_default());
        }
        inner
            .store
            .release_store(id, &inner.owner, Some(&outcome))
            .await?;
        tracing::info!(orders = seen, "run succeeded");
        Ok(RunReport {
            run,
            status: RunStatus::Succeeded,
            paused: false,
        })
    }

    /// The next scheduled cycle: unchanged after a manual run, the next slot after a
    /// scheduled one.
    fn next_due(&self, info: &StoreInfo, scheduled: bool) -> DateTime<Utc> {
        let now = self.now();
        let interval = self.inner.settings.interval;
        match info.next_due {
            // The initial pull was due at authorization, not on a slot: the store's first
            // incremental cycle is its next slot.
            _ if scheduled && !info.initial_done => plan::next_slot(info.id, interval, now),
            Some(due) if scheduled => plan::next_due(info.id, interval, due, now),
            Some(due) => due,
            None => plan::next_slot(info.id, interval, now),
        }
    }

    /// Renews the lease every third of its lifetime while a run goes on; flags `lost` when
    /// another replica has taken the store.
    fn keep_lease(&self, id: StoreId, lost: Arc<AtomicBool>) -> JoinHandle<()> {
        let engine = self.clone();
        tokio::spawn(async move {
            let ttl = engine.inner.settings.lease_ttl;
            loop {
                tokio::time::sleep(ttl / 3).await;
                let until = engine.now() + TimeDelta::from_std(ttl).unwrap_or(TimeDelta::MAX);
                match engine
                    .inner
                    .store
                    .renew_lease(id, &engine.inner.owner, until)
                    .await
                {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(store = id.0, "lease lost to another replica");
                        lost.store(true, Ordering::Relaxed);
                        return;
                    }
                    Err(e) => tracing::warn!(store = id.0, "lease renewal failed: {e}"),
                }
            }
        })
    }

    /// The store's live connector, built from its sealed credentials on first use.
    async fn handle(&self, info: &StoreInfo) -> anyhow::Result<Arc<StoreHandle>> {
        let inner = &self.inner;
        let sealed = inner
            .store
            .store_credentials(info.id)
            .await?
            .with_context(|| format!("store {} is not authorized", info.id.0))?;
        if let Some(h) = inner
            .handles
            .lock()
            .ok()
            .and_then(|m| m.get(&info.id).cloned())
        {
            if h.sealed.lock().is_ok_and(|s| *s == sealed) {
                return Ok(h);
            }
        }
        let plain = inner.vault.open(info.id, &sealed)?;
        let credentials: serde_json::Value = serde_json::from_slice(plain.expose_secret())
            .context("stored credentials are not JSON")?;
        let sealed = Arc::new(Mutex::new(sealed));
        let sink = Arc::new(StoreTokenSink {
            store: inner.store.clone(),
            vault: Arc::clone(&inner.vault),
            id: info.id,
            credentials: Mutex::new(credentials.clone()),
            sealed: Arc::clone(&sealed),
        });
        let stats = Arc::new(CallStats::default());
        let connector = inner.source.build(
            StoreRef {
                id: info.id,
                platform: info.platform,
            },
            &credentials,
            sink,
            Arc::clone(&stats),
        )?;
        let gate = match (
            inner.settings.rate_limits,
            connector.capabilities().order_list_quota,
        ) {
            (true, Some(q)) => Some(RateLimits::new().with(LIST_CLASS, q.per_second, q.burst)),
            _ => None,
        };
        let handle = Arc::new(StoreHandle {
            connector,
            stats,
            gate,
            sealed,
        });
        if let Ok(mut m) = inner.handles.lock() {
            m.insert(info.id, Arc::clone(&handle));
        }
        Ok(handle)
    }
}

/// Calls made between two snapshots; `failed_pages` counts a page that ended the run.
fn progress(before: CallCounts, after: CallCounts, failed_pages: u64) -> PageProgress {
    PageProgress {
        api_calls: after.requests.saturating_sub(before.requests),
        throttles: after.throttled.saturating_sub(before.throttled),
        errors: after
            .failures
            .saturating_sub(before.failures)
            .max(failed_pages),
        ..PageProgress::default()
    }
}

struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// For checking credentials at authorization, where no token may be kept.
#[derive(Debug)]
struct DiscardSink;

#[async_trait]
impl TokenSink for DiscardSink {
    async fn rotated(&self, _grant: &TokenGrant) -> Result<(), MarketplaceError> {
        Err(MarketplaceError::permanent(
            "credentials check: no token exchange expected",
        ))
    }
}
