//! `omsync run` and what every store-touching command shares: opening the configured store,
//! the credentials key and its check, SQLite's one-process rule, and the engine.

use std::fs::File;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use core_model::store::OrderStore;
use tokio::sync::watch;

use crate::admin::{self, AdminState, Readiness};
use crate::config::Config;
use crate::sync::scheduler::{self, Heartbeat};
use crate::sync::{Engine, RegistrySource, SyncSettings, SystemClock};
use crate::vault::Vault;

/// The daemon-wide key under which the credentials key check is kept.
const KEY_CHECK: &str = "credentials_key_check";

/// An open order store, and for SQLite the lock that makes this process its only writer of
/// sync state.
#[derive(Debug)]
pub struct Opened {
    pub store: OrderStore,
    /// Held while the process runs syncs against a SQLite file.
    _lock: Option<File>,
}

/// Opens and migrates the configured store.
pub async fn open_store(config: &Config) -> anyhow::Result<OrderStore> {
    let store = OrderStore::connect(&config.database_url)
        .await
        .with_context(|| format!("cannot open {}", config.database_url_redacted()))?;
    store
        .migrate()
        .await
        .context("cannot migrate the order store")?;
    Ok(store)
}

/// The credentials key from `OMSYNC_CREDENTIALS_KEY` or `credentials.key_file`, checked against
/// the one this database's credentials were sealed with (the first key used is remembered).
pub async fn open_vault(config: &Config, store: &OrderStore) -> anyhow::Result<Arc<Vault>> {
    let env = std::env::var("OMSYNC_CREDENTIALS_KEY").ok();
    let vault = Vault::load(env.as_deref(), config.credentials.key_file.as_deref())?;
    let check = store.init_meta(KEY_CHECK, &vault.key_check()).await?;
    vault.verify_check(&check)?;
    Ok(Arc::new(vault))
}

/// The SQLite file's path, for its lock file; `None` for PostgreSQL.
fn sqlite_path(config: &Config) -> Option<PathBuf> {
    let rest = config.database_url.strip_prefix("sqlite:")?;
    let rest = rest.trim_start_matches("//");
    let path = rest.split('?').next().unwrap_or(rest);
    Some(PathBuf::from(path))
}

/// Takes the SQLite file's process lock, or says who holds it. PostgreSQL needs none: there,
/// replicas share stores through leases.
pub fn lock_sqlite(config: &Config) -> anyhow::Result<Option<File>> {
    let Some(path) = sqlite_path(config) else {
        return Ok(None);
    };
    let lock_path = PathBuf::from(format!("{}.lock", path.display()));
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .with_context(|| format!("cannot open {}", lock_path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "another omsync process is running against {}: with SQLite one process syncs at a \
             time (use PostgreSQL for several replicas)",
            path.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock {}", lock_path.display()))
        }
    }
}

/// Opens the store for syncing: on SQLite takes the process lock and drops the leases a
/// killed process left, so its runs resume at once.
pub async fn open_for_sync(config: &Config) -> anyhow::Result<Opened> {
    let lock = lock_sqlite(config)?;
    let store = open_store(config).await?;
    if lock.is_some() {
        let freed = store.clear_leases().await?;
        if freed > 0 {
            tracing::info!(
                leases = freed,
                "took over leases and claims left by a stopped process"
            );
        }
    }
    Ok(Opened { store, _lock: lock })
}

pub fn settings(config: &Config) -> SyncSettings {
    let s = &config.sync;
    SyncSettings {
        interval: s.interval,
        initial_lookback: s.initial_lookback,
        incremental_lookback: s.incremental_lookback,
        safety_margin: s.safety_margin,
        lease_ttl: s.lease_ttl,
        tick: s.tick,
        concurrency: s.concurrency,
        rate_limits: s.rate_limits,
        pulls: s.enabled,
        auto_submit_delay: config.oms.auto_submit_delay,
        label_attempts: config.oms.label_attempts,
    }
}

/// The engine over the registry's connectors.
pub fn engine(config: &Config, store: OrderStore, vault: Arc<Vault>) -> anyhow::Result<Engine> {
    let source = RegistrySource::new(config.platform_base_urls(), config.sync.rate_limits)?;
    Ok(Engine::new(
        store,
        vault,
        Arc::new(source),
        Arc::new(SystemClock),
        settings(config),
        config.instance_id.clone(),
    ))
}

/// `omsync run`: the scheduler, the admin API, until SIGTERM or Ctrl-C; then stop taking
/// work, let in-flight pages checkpoint, and exit.
pub async fn run(config: Config) -> anyhow::Result<()> {
    // Listen for SIGTERM before anything else: a stop during start-up is a clean stop too.
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("cannot listen for SIGTERM")?;
    let readiness = Readiness::new();
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .context("cannot install the metrics recorder")?;
    let opened = open_for_sync(&config).await?;
    let store = opened.store.clone();
    let vault = open_vault(&config, &store).await?;
    let engine = engine(&config, store.clone(), vault)?;
    let (stop_tx, stop_rx) = watch::channel(false);

    let admin = if config.admin.enabled {
        let listener = tokio::net::TcpListener::bind(config.admin.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.admin.listen))?;
        tracing::info!(listen = %config.admin.listen, "admin API listening");
        let router = admin::router(AdminState {
            store: store.clone(),
            engine: engine.clone(),
            readiness: readiness.clone(),
            metrics: Some(metrics),
        });
        let mut stop = stop_rx.clone();
        Some(tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stop.wait_for(|s| *s).await;
                })
                .await
        }))
    } else {
        None
    };
    // Scheduled pulls only with `sync.enabled`; the OMS workers (uploads, labels,
    // auto-submit) always.
    let scheduler = tokio::spawn(scheduler::run(
        engine.clone(),
        Heartbeat::Cron,
        stop_rx.clone(),
    ));

    readiness.set_ready();
    notify(sd_notify::NotifyState::Ready);
    tracing::info!(instance = %config.instance_id, backend = store.backend_name(), "omsync running");

    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    tracing::info!("stopping: no new work; in-flight pages checkpoint");
    readiness.set_stopping();
    notify(sd_notify::NotifyState::Stopping);
    engine.stop();
    stop_tx.send_replace(true);
    if let Ok(Err(e)) = scheduler.await {
        tracing::warn!("scheduler: {e:#}");
    }
    if !engine.drain(config.sync.shutdown_grace).await {
        tracing::warn!(
            "runs still going after the grace period were left at their last checkpoint"
        );
    }
    if let Some(a) = admin {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), a).await;
    }
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

fn notify(state: sd_notify::NotifyState<'_>) {
    // Outside systemd there is no NOTIFY_SOCKET and this does nothing.
    if let Err(e) = sd_notify::notify(&[state]) {
        tracing::warn!("sd_notify: {e}");
    }
}
