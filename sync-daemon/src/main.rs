//! `omsync`: pulls every store's marketplace orders into one order store and carries them
//! through the warehouse's OMS flow. This binary holds the daemon, its admin surfaces and the
//! connector author's tools (`pull`, `fixtures serve`).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use sync_daemon::commands::{
    self, catalog, flow, stock, ConfigArgs, OrdersArgs, RunsArgs, StoreCommand, SyncArgs,
    TokenAddArgs,
};
use sync_daemon::config::{Config, LogFormat};
use sync_daemon::{daemon, demo, pull, serve};

#[derive(Debug, Parser)]
#[command(
    name = "omsync",
    version,
    about = "Order sync for 3PL warehouses and their sellers"
)]
struct Cli {
    /// Log filter (tracing `EnvFilter` syntax); logs go to stderr. Default: `log.filter` from
    /// the config for `run`, `warn` for the other commands.
    #[arg(long, global = true, env = "OMSYNC_LOG")]
    log: Option<String>,
    /// `human` or `json`. Default: `log.format` from the config for `run`, human otherwise.
    #[arg(long, global = true, env = "OMSYNC_LOG_FORMAT")]
    log_format: Option<LogFormatArg>,
    #[command(flatten)]
    config: ConfigArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum LogFormatArg {
    Human,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the daemon: scheduled pulls, manual syncs and the admin API, until SIGTERM.
    Run,
    /// Create or update the order store's tables.
    Migrate,
    /// Add, list and remove stores.
    #[command(subcommand)]
    Store(StoreCommand),
    /// Sync now: one store or all; prints each run's id.
    Sync(SyncArgs),
    /// The latest sync runs.
    Runs(RunsArgs),
    /// The orders in the store.
    Orders(OrdersArgs),
    /// Products (system SKUs): drafts, submission, the warehouse's audit.
    #[command(subcommand)]
    Product(catalog::ProductCommand),
    /// Product mappings: platform SKU -> system SKU x quantity, per store.
    #[command(subcommand)]
    Mapping(catalog::MappingCommand),
    /// Warehouses and their shipping channels.
    #[command(subcommand)]
    Warehouse(flow::WarehouseCommand),
    /// Platform orders through the OMS flow: assign, review, cancel, back to pending.
    #[command(subcommand)]
    Order(flow::OrderCommand),
    /// Fulfillment (pick & pack) orders: drafts, submission, the warehouse's reports.
    #[command(subcommand)]
    Fulfillment(flow::FulfillmentCommand),
    /// Inventory per warehouse and SKU, its transactions and age.
    #[command(subcommand)]
    Inventory(stock::InventoryCommand),
    /// Inbound orders (ASN): standard and transfer.
    #[command(subcommand)]
    Inbound(stock::InboundCommand),
    /// Seller accounts: balance, credit limit, top-ups.
    #[command(subcommand)]
    Account(stock::AccountCommand),
    /// Admin API bearer tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// The credentials encryption key.
    #[command(subcommand)]
    Key(KeyCommand),
    /// The configuration.
    #[command(subcommand, name = "config")]
    ConfigCmd(ConfigCommand),
    /// Exit 0 when the URL answers 200 (container health checks).
    Healthcheck {
        #[arg(long, default_value = "http://127.0.0.1:8080/readyz")]
        url: String,
    },
    /// Pull one store's orders with one connector and print them as JSON lines.
    Pull(pull::PullArgs),
    /// Work with the recorded HTTP fixtures.
    #[command(subcommand)]
    Fixtures(FixturesCommand),
    /// Serve the fixtures of every connector on loopback, sync them into an order store, show
    /// what arrived, and walk the Walmart store's orders through the OMS flow.
    Demo(demo::DemoArgs),
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create a token; it is printed once and only its hash is kept.
    Add(TokenAddArgs),
}

#[derive(Debug, Subcommand)]
enum KeyCommand {
    /// Print a new random key (base64) for OMSYNC_CREDENTIALS_KEY or credentials.key_file.
    Generate,
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Load and validate the configuration and the credentials key (systemd ExecStartPre).
    Check,
}

#[derive(Debug, Subcommand)]
enum FixturesCommand {
    /// Replay a fixture scenario on loopback and print its base URL.
    Serve(serve::ServeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // `run` reads its log settings from the config; a bad config is reported before logging.
    let config = match cli.command {
        Command::Run => match cli.config.load() {
            Ok(c) => Some(c),
            Err(e) => {
                report(&e);
                return ExitCode::FAILURE;
            }
        },
        _ => None,
    };
    init_logging(&cli, config.as_ref());

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            report(&anyhow::anyhow!("cannot start the async runtime: {e}"));
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let load = || cli.config.load();
        match cli.command {
            Command::Run => match config {
                Some(config) => daemon::run(config).await.map(|()| ExitCode::SUCCESS),
                None => load().and(Ok(ExitCode::FAILURE)),
            },
            Command::Migrate => commands::migrate(&load()?).await,
            Command::Store(c) => commands::store(&load()?, c).await,
            Command::Sync(a) => commands::sync(&load()?, a).await,
            Command::Runs(a) => commands::runs(&load()?, a).await,
            Command::Orders(a) => commands::orders(&load()?, a).await,
            Command::Product(c) => catalog::product(&load()?, c).await,
            Command::Mapping(c) => catalog::mapping(&load()?, c).await,
            Command::Warehouse(c) => flow::warehouse(&load()?, c).await,
            Command::Order(c) => flow::order(&load()?, c).await,
            Command::Fulfillment(c) => flow::fulfillment(&load()?, c).await,
            Command::Inventory(c) => stock::inventory(&load()?, c).await,
            Command::Inbound(c) => stock::inbound(&load()?, c).await,
            Command::Account(c) => stock::account(&load()?, c).await,
            Command::Token(TokenCommand::Add(a)) => commands::token_add(&load()?, a).await,
            Command::Key(KeyCommand::Generate) => commands::key_generate(),
            Command::ConfigCmd(ConfigCommand::Check) => commands::config_check(&cli.config),
            Command::Healthcheck { url } => commands::healthcheck(&url).await,
            Command::Pull(args) => pull::run(args).await,
            Command::Fixtures(FixturesCommand::Serve(args)) => serve::run(args).await,
            Command::Demo(args) => demo::run(args).await,
        }
    });
    match result {
        Ok(code) => code,
        // The reader went away (`omsync pull ... | head`): nothing more to say.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            report(&e);
            ExitCode::FAILURE
        }
    }
}

fn init_logging(cli: &Cli, config: Option<&Config>) {
    let filter = cli
        .log
        .clone()
        .or_else(|| config.map(|c| c.log.filter.clone()))
        .unwrap_or_else(|| "warn".to_owned());
    let filter = tracing_subscriber::EnvFilter::try_new(&filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let json = match cli.log_format {
        Some(LogFormatArg::Json) => true,
        Some(LogFormatArg::Human) => false,
        None => config.is_some_and(|c| c.log.format == LogFormat::Json),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        // Each line carries its span fields (store, platform, run) at the top level.
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .init();
    } else {
        builder.init();
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        let kind = match cause.downcast_ref::<std::io::Error>() {
            Some(io) => Some(io.kind()),
            None => cause
                .downcast_ref::<serde_json::Error>()
                .and_then(|j| j.io_error_kind()),
        };
        kind == Some(std::io::ErrorKind::BrokenPipe)
    })
}

#[allow(clippy::print_stderr)]
fn report(e: &anyhow::Error) {
    eprintln!("omsync: error: {e:#}");
}
