//! The operator's commands over the order store: `migrate`, `store add|list|remove`, `sync`,
//! `runs`, `token add`, `key generate`, `config check`, `healthcheck`.

pub mod catalog;
pub mod flow;
pub mod stock;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use core_model::fulfillment::WarehouseId;
use core_model::store::{RunId, RunStatus, SyncRun, TokenScope};
use core_model::{FlowStatus, Platform, SellerId, StoreId, Window};

use crate::config::Config;
use crate::{admin, credentials, daemon};

/// Where the configuration comes from; every store command takes it.
#[derive(Debug, Args, Clone)]
pub struct ConfigArgs {
    /// TOML config file; `OMSYNC_*` variables override it.
    #[arg(long, short = 'c', env = "OMSYNC_CONFIG", global = true)]
    pub config: Option<PathBuf>,
}

impl ConfigArgs {
    pub fn load(&self) -> anyhow::Result<Config> {
        let config = Config::load(self.config.as_deref())?;
        config.validate()?;
        Ok(config)
    }
}

#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Add a store and authorize it with a credentials file; its initial pull is due at once.
    Add(StoreAddArgs),
    /// List stores with their sync state.
    List {
        #[arg(long)]
        seller: Option<i64>,
    },
    /// Stop syncing a store and forget its credentials (its orders and runs stay).
    Remove { id: i64 },
}

#[derive(Debug, Args)]
pub struct StoreAddArgs {
    #[arg(long)]
    platform: Platform,
    #[arg(long)]
    name: String,
    /// The credentials JSON file (keys per the connector's README).
    #[arg(long)]
    credentials: PathBuf,
    /// An existing seller's id.
    #[arg(
        long,
        conflicts_with = "new_seller",
        required_unless_present = "new_seller"
    )]
    seller: Option<i64>,
    /// Create a seller with this name for the store.
    #[arg(long)]
    new_seller: Option<String>,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// One store; every active store when absent.
    #[arg(long)]
    store: Option<i64>,
    /// Pull this window instead of the planned one (RFC 3339; needs --to).
    #[arg(long, requires = "to")]
    from: Option<DateTime<Utc>>,
    #[arg(long, requires = "from")]
    to: Option<DateTime<Utc>>,
    /// Only queue the runs for the running daemon; don't run them here.
    #[arg(long)]
    queue_only: bool,
}

#[derive(Debug, Args)]
pub struct RunsArgs {
    #[arg(long)]
    store: Option<i64>,
    #[arg(long, default_value_t = 20)]
    limit: u32,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct OrdersArgs {
    #[arg(long)]
    store: Option<i64>,
    /// Platform update time at or after (RFC 3339).
    #[arg(long)]
    updated_from: Option<DateTime<Utc>>,
    #[arg(long)]
    updated_to: Option<DateTime<Utc>>,
    /// Only orders in this OMS flow status (pending, waiting_for_label, processing, shipped,
    /// exception, cancelled, other).
    #[arg(long, value_parser = parse_flow)]
    flow: Option<FlowStatus>,
    #[arg(long, default_value_t = 50)]
    limit: u32,
}

fn parse_flow(s: &str) -> Result<FlowStatus, String> {
    FlowStatus::parse(s).ok_or_else(|| {
        format!(
            "unknown flow status `{s}` (pending, waiting_for_label, processing, shipped, \
             exception, cancelled, other)"
        )
    })
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("scope").required(true)))]
pub struct TokenAddArgs {
    /// The seller the token speaks for.
    #[arg(long, group = "scope")]
    seller: Option<i64>,
    /// A warehouse's own token: reports labels, shipments and receipts for that warehouse.
    #[arg(long, group = "scope")]
    warehouse: Option<i64>,
    /// An operator token (the 3PL's staff): every seller.
    #[arg(long, group = "scope")]
    operator: bool,
    #[arg(long, default_value = "cli")]
    label: String,
}

pub async fn migrate(config: &Config) -> anyhow::Result<ExitCode> {
    let store = daemon::open_store(config).await?;
    say!(
        "migrated {} ({})",
        config.database_url_redacted(),
        store.backend_name()
    );
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

pub async fn store(config: &Config, command: StoreCommand) -> anyhow::Result<ExitCode> {
    let store = daemon::open_store(config).await?;
    match command {
        StoreCommand::Add(args) => {
            let vault = daemon::open_vault(config, &store).await?;
            let creds = credentials::read(&args.credentials)?;
            let engine = daemon::engine(config, store.clone(), vault)?;
            // Refused credentials leave no store (or seller) behind.
            engine.check_credentials(args.platform, &creds)?;
            let seller = match (args.seller, args.new_seller) {
                (Some(id), _) => SellerId(id),
                (None, Some(name)) => store.create_seller(&name).await?,
                (None, None) => anyhow::bail!("--seller or --new-seller is required"),
            };
            let id = store
                .create_store(seller, args.platform, &args.name)
                .await
                .with_context(|| format!("seller {} does not exist", seller.0))?;
            if let Err(e) = engine.authorize(id, &creds).await {
                // Keep no half-added store: it would be listed but never sync.
                let _ = store.deactivate_store(id, engine.now()).await;
                return Err(e);
            }
            say!(
                "store {} added for seller {}: {} \"{}\"; initial pull due now",
                id.0,
                seller.0,
                args.platform,
                args.name
            );
        }
        StoreCommand::List { seller } => {
            let stores = store.list_stores(seller.map(SellerId)).await?;
            say!(
                "{:<6} {:<7} {:<15} {:<24} {:<7} {:<9} {:<21} synced to",
                "store",
                "seller",
                "platform",
                "name",
                "active",
                "initial",
                "next due"
            );
            for s in stores {
                say!(
                    "{:<6} {:<7} {:<15} {:<24} {:<7} {:<9} {:<21} {}",
                    s.id.0,
                    s.seller_id.0,
                    s.platform.slug(),
                    s.name,
                    s.active,
                    if s.initial_done { "done" } else { "pending" },
                    s.next_due.map(short_time).unwrap_or_else(|| "-".into()),
                    s.synced_to.map(short_time).unwrap_or_else(|| "-".into())
                );
            }
        }
        StoreCommand::Remove { id } => {
            store.deactivate_store(StoreId(id), Utc::now()).await?;
            say!("store {id} removed: no more pulls; its orders and runs stay");
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// `omsync sync`: queues a manual run per store (or finds the one in flight) and prints its
/// id. With SQLite and no daemon running, runs them here and waits; otherwise the daemon
/// (any replica) picks them up.
pub async fn sync(config: &Config, args: SyncArgs) -> anyhow::Result<ExitCode> {
    let window = match (args.from, args.to) {
        (Some(from), Some(to)) => {
            Some(Window::new(from, to).context("--from must be before --to")?)
        }
        _ => None,
    };
    // Only a process holding the SQLite lock may run syncs; a running daemon holds it.
    let here = if config.is_sqlite() && !args.queue_only {
        daemon::lock_sqlite(config).unwrap_or_default()
    } else {
        None
    };
    let store = daemon::open_store(config).await?;
    let ids: Vec<StoreId> = match args.store {
        Some(id) => vec![StoreId(id)],
        None => store
            .list_stores(None)
            .await?
            .into_iter()
            .filter(|s| s.active)
            .map(|s| s.id)
            .collect(),
    };
    let mut runs: Vec<RunId> = Vec::new();
    for id in ids {
        let (run, created) = store
            .request_run(id, core_model::store::RunKind::Manual, window, Utc::now())
            .await
            .with_context(|| format!("store {}", id.0))?;
        let note = if created {
            "queued"
        } else {
            "already in flight"
        };
        say!("store {} run {} {note}", id.0, run.0);
        runs.push(run);
    }
    if here.is_none() {
        if !args.queue_only {
            say!("the running daemon runs them (`omsync runs` shows their progress)");
        }
        store.close().await;
        return Ok(ExitCode::SUCCESS);
    }
    // No daemon: run them in this process, resuming any a killed process left mid-way.
    store.clear_leases().await?;
    let vault = daemon::open_vault(config, &store).await?;
    let engine = daemon::engine(config, store.clone(), vault)?;
    loop {
        engine.dispatch().await?;
        engine.wait_idle().await;
        let mut open = false;
        for run in &runs {
            if store
                .get_run(*run)
                .await?
                .is_some_and(|r| r.status.is_open())
            {
                open = true;
            }
        }
        if !open {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut failed = false;
    for run in &runs {
        if let Some(r) = store.get_run(*run).await? {
            failed |= r.status != RunStatus::Succeeded;
            say!("{}", run_line(&r));
        }
    }
    drop(here);
    store.close().await;
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

pub async fn runs(config: &Config, args: RunsArgs) -> anyhow::Result<ExitCode> {
    let store = daemon::open_store(config).await?;
    let runs = store
        .list_runs(args.store.map(StoreId), None, args.limit)
        .await?;
    if args.json {
        for r in &runs {
            say!("{}", serde_json::to_string(r)?);
        }
    } else {
        say!(
            "{:<6} {:<6} {:<12} {:<10} {:<39} {:>5} {:>5} {:>5} {:>5} {:>5} {:>4} {:>8}",
            "run",
            "store",
            "kind",
            "status",
            "window",
            "pages",
            "new",
            "chg",
            "same",
            "calls",
            "thr",
            "ms"
        );
        for r in &runs {
            say!("{}", run_line(r));
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// `omsync orders`: what the store holds, newest ids last. No buyer data is printed.
pub async fn orders(config: &Config, args: OrdersArgs) -> anyhow::Result<ExitCode> {
    let store = daemon::open_store(config).await?;
    let filter = core_model::store::OrderFilter {
        store: args.store.map(StoreId),
        updated_from: args.updated_from,
        updated_to: args.updated_to,
        flow_status: args.flow,
        limit: args.limit,
        ..Default::default()
    };
    let orders = store.list_orders(&filter).await?;
    say!(
        "{:<6} {:<6} {:<15} {:<28} {:<21} {:<22} {:<10} lines",
        "id",
        "store",
        "platform",
        "order",
        "updated",
        "platform status",
        "flow"
    );
    for o in &orders {
        let lines: Vec<String> = o
            .order
            .lines
            .iter()
            .map(|l| format!("{} x{}", l.platform_sku, l.quantity))
            .collect();
        say!(
            "{:<6} {:<6} {:<15} {:<28} {:<21} {:<22} {:<10} {}",
            o.id.0,
            o.order.store.0,
            o.order.platform.slug(),
            o.order.platform_order_id,
            short_time(o.order.updated_at),
            o.order.platform_status,
            o.flow_status.as_str(),
            lines.join(", ")
        );
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

fn short_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn run_line(r: &SyncRun) -> String {
    let window = r
        .window
        .map(|w| {
            format!(
                "{} .. {}",
                w.from.format("%m-%d %H:%M:%S"),
                w.to.format("%m-%d %H:%M:%S")
            )
        })
        .unwrap_or_else(|| "-".into());
    let mut line = format!(
        "{:<6} {:<6} {:<12} {:<10} {:<39} {:>5} {:>5} {:>5} {:>5} {:>5} {:>4} {:>8}",
        r.id.0,
        r.store_id.0,
        r.kind.as_str(),
        r.status.as_str(),
        window,
        r.pages,
        r.orders_new,
        r.orders_changed,
        r.orders_unchanged,
        r.api_calls,
        r.throttles,
        r.duration_ms
            .map(|d| d.to_string())
            .unwrap_or_else(|| "-".into())
    );
    if let Some(e) = &r.error {
        line.push_str("  ");
        line.push_str(e);
    }
    line
}

pub async fn token_add(config: &Config, args: TokenAddArgs) -> anyhow::Result<ExitCode> {
    let store = daemon::open_store(config).await?;
    let scope = match (args.seller, args.warehouse) {
        (Some(id), _) => TokenScope::Seller(SellerId(id)),
        (None, Some(id)) => TokenScope::Warehouse(WarehouseId(id)),
        (None, None) => TokenScope::Operator,
    };
    let token = admin::create_token(&store, scope, &args.label).await?;
    // The token is shown once; only its hash is kept.
    say!("{token}");
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

pub fn key_generate() -> anyhow::Result<ExitCode> {
    say!("{}", crate::vault::Vault::generate_key());
    Ok(ExitCode::SUCCESS)
}

/// `omsync config check`: the config loads and validates, and the credentials key is usable.
pub fn config_check(args: &ConfigArgs) -> anyhow::Result<ExitCode> {
    let config = args.load()?;
    let env = std::env::var("OMSYNC_CREDENTIALS_KEY").ok();
    crate::vault::Vault::load(env.as_deref(), config.credentials.key_file.as_deref())?;
    say!(
        "config ok: {} ({}), admin {}, sync every {}",
        args.config
            .as_deref()
            .map(Path::display)
            .map(|d| d.to_string())
            .unwrap_or_else(|| "defaults + environment".into()),
        config.database_url_redacted(),
        if config.admin.enabled {
            config.admin.listen.to_string()
        } else {
            "off".into()
        },
        humantime_serde::re::humantime::format_duration(config.sync.interval)
    );
    Ok(ExitCode::SUCCESS)
}

/// `omsync healthcheck --url`: 0 when the URL answers 200 (container health checks; slim
/// images have no curl).
pub async fn healthcheck(url: &str) -> anyhow::Result<ExitCode> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()?;
    let status = client.get(url).send().await?.status();
    Ok(if status.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
