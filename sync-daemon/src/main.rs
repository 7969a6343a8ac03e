//! `omsync`: pulls every store's marketplace orders into one order store and carries them
//! through the warehouse's OMS flow. This binary holds the daemon, its admin surfaces and the
//! connector author's tools (`pull`, `fixtures serve`).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod credentials;
mod demo;
mod pull;
mod registry;
mod serve;

#[derive(Debug, Parser)]
#[command(
    name = "omsync",
    version,
    about = "Order sync for 3PL warehouses and their sellers"
)]
struct Cli {
    /// Log filter (tracing `EnvFilter` syntax); logs go to stderr.
    #[arg(long, global = true, env = "OMSYNC_LOG", default_value = "warn")]
    log: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Pull one store's orders with one connector and print them as JSON lines.
    Pull(pull::PullArgs),
    /// Work with the recorded HTTP fixtures.
    #[command(subcommand)]
    Fixtures(FixturesCommand),
    /// Serve the fixtures of every connector on loopback, pull them into an order store and
    /// show what arrived.
    Demo(demo::DemoArgs),
}

#[derive(Debug, Subcommand)]
enum FixturesCommand {
    /// Replay a fixture scenario on loopback and print its base URL.
    Serve(serve::ServeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_new(&cli.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();

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
        match cli.command {
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
