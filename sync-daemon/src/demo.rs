//! `omsync demo`: the sync engine end to end with no network and no credentials. Every
//! registered connector's recorded `multi-page` scenario is served on loopback as its
//! platform; one demo store per connector is authorized, and the engine runs its initial pull
//! and one incremental pull into an embedded SQLite file, which stays for `omsync orders`.
//!
//! The recordings answer one window each, so the demo asks for that window by name; a live
//! daemon plans its windows from the clock (5 days initial, 2 days incremental).

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use core_model::store::{OrderStore, RunKind, RunStatus};
use core_model::{Platform, StoreId, Window};

use crate::registry;
use crate::serve::{self, Served};
use crate::sync::{Engine, RegistrySource, SyncSettings, SystemClock};
use crate::vault::Vault;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The SQLite file to create (replaced if it exists).
    #[arg(long, default_value = "omsync-demo.db")]
    db: PathBuf,
    /// The fixtures folder.
    #[arg(long, env = "OMSYNC_FIXTURES")]
    fixtures: Option<PathBuf>,
}

const SCENARIO: &str = "multi-page";

struct DemoStore {
    platform: Platform,
    id: StoreId,
    window: Window,
    _served: Served,
}

pub async fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    for suffix in ["", "-wal", "-shm"] {
        let path = PathBuf::from(format!("{}{suffix}", args.db.display()));
        if path.exists() {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot replace {}", path.display()))?;
        }
    }
    let url = format!("sqlite://{}", args.db.display());
    let store = OrderStore::connect(&url)
        .await
        .with_context(|| format!("cannot create {}", args.db.display()))?;
    store.migrate().await?;
    let seller = store.create_seller("Demo Seller").await?;
    say!("order store: {} (SQLite)", args.db.display());

    // Every connector's platform, served from its recording on loopback.
    let mut stores = Vec::new();
    let mut base_urls = HashMap::new();
    for factory in registry::factories() {
        let platform = factory.platform();
        let served = serve::start(platform, SCENARIO, 0, args.fixtures.clone()).await?;
        let spec = served
            .loaded
            .expect
            .window
            .context("scenario has no expect.window")?;
        let window = Window::new(spec.from, spec.to).context("scenario window is empty")?;
        base_urls.insert(platform, served.server.uri().parse()?);
        let id = store
            .create_store(seller, platform, &format!("demo {platform} store"))
            .await?;
        stores.push(DemoStore {
            platform,
            id,
            window,
            _served: served,
        });
    }
    say!("{} fixture marketplaces on loopback\n", stores.len());

    // A throwaway key: the demo's credentials are the fixtures' own.
    let key = Vault::generate_key();
    let vault = Arc::new(Vault::load(Some(&key), None)?);
    let engine = Engine::new(
        store.clone(),
        vault,
        // Local replays: the platforms' quotas do not apply.
        Arc::new(RegistrySource::new(base_urls, false)?),
        Arc::new(SystemClock),
        SyncSettings {
            rate_limits: false,
            ..SyncSettings::default()
        },
        "demo",
    );
    for s in &stores {
        // Scheduled cycles would plan windows from the clock, which the recordings can't
        // answer: the demo's stores are due tomorrow and run only what it asks for.
        engine
            .authorize_at(
                s.id,
                &s._served.loaded.credentials,
                engine.now() + chrono::TimeDelta::days(1),
            )
            .await
            .with_context(|| format!("authorizing the demo {} store", s.platform))?;
    }
    for kind in [RunKind::Initial, RunKind::Incremental] {
        for s in &stores {
            if kind == RunKind::Incremental {
                // A recording answers its exchanges once, as one pull; the platform answers
                // a new pull of the same window the same way.
                s._served.server.reset().await;
                let factory = registry::factory(s.platform)?;
                connector_testkit::mount_for_serving(&s._served.server, factory, &s._served.loaded)
                    .await?;
            }
            engine.request_run(s.id, kind, s.window).await?;
        }
        run_all(&engine, &store).await?;
    }

    say!(
        "{:<15} {:>5} {:>7} {:>5} {:>6} {:>22} {:>30} {:>8}",
        "platform",
        "store",
        "orders",
        "runs",
        "pages",
        "initial pull",
        "incremental pull",
        "ms"
    );
    let mut failed = 0;
    for s in &stores {
        let runs = store.list_runs(Some(s.id), None, 10).await?;
        let of = |k: RunKind| runs.iter().find(|r| r.kind == k);
        let (Some(initial), Some(incremental)) = (of(RunKind::Initial), of(RunKind::Incremental))
        else {
            anyhow::bail!("{}: runs missing", s.platform);
        };
        for r in [initial, incremental] {
            if r.status != RunStatus::Succeeded {
                failed += 1;
                say!(
                    "{:<15} run {} {}: {}",
                    s.platform,
                    r.id,
                    r.status.as_str(),
                    r.error.as_deref().unwrap_or("")
                );
            }
        }
        say!(
            "{:<15} {:>5} {:>7} {:>5} {:>6} {:>22} {:>30} {:>8}",
            s.platform.slug(),
            s.id.0,
            store.count_orders(s.id).await?,
            runs.len(),
            initial.pages + incremental.pages,
            format!("{} new", initial.orders_new),
            format!(
                "{} new, {} changed, {} unchanged",
                incremental.orders_new, incremental.orders_changed, incremental.orders_unchanged
            ),
            initial.duration_ms.unwrap_or(0) + incremental.duration_ms.unwrap_or(0)
        );
    }
    say!(
        "\n{} stores synced in {:.1} s. The database stays: inspect it with\n  OMSYNC_DATABASE_URL=sqlite://{} omsync orders\n  OMSYNC_DATABASE_URL=sqlite://{} omsync runs",
        stores.len(),
        started.elapsed().as_secs_f64(),
        args.db.display(),
        args.db.display()
    );
    store.close().await;
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Dispatches until no queued or running run is left.
async fn run_all(engine: &Engine, store: &OrderStore) -> anyhow::Result<()> {
    loop {
        engine.dispatch().await?;
        engine.wait_idle().await;
        let mut open = false;
        for s in store.list_stores(None).await? {
            open |= store.open_run(s.id).await?.is_some();
        }
        if !open {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
