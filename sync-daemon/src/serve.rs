//! `omsync fixtures serve`: replay one fixture scenario on loopback, the same replay the
//! conformance tests use, so `omsync pull` can run against it with no other set-up.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use connector_testkit::{fixtures_root, mount_for_serving, LoadedScenario};
use core_model::Platform;
use wiremock::MockServer;

use crate::registry;

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[arg(long)]
    platform: Platform,
    /// Scenario folder under fixtures/<platform>/.
    #[arg(long, default_value = "multi-page")]
    scenario: String,
    /// Port on 127.0.0.1; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// The fixtures folder.
    #[arg(long, env = "OMSYNC_FIXTURES")]
    fixtures: Option<PathBuf>,
}

/// A scenario served on loopback until dropped.
#[derive(Debug)]
pub struct Served {
    pub server: MockServer,
    pub loaded: LoadedScenario,
}

pub async fn start(
    platform: Platform,
    scenario: &str,
    port: u16,
    fixtures: Option<PathBuf>,
) -> anyhow::Result<Served> {
    let factory = registry::factory(platform)?;
    let root = fixtures.unwrap_or_else(fixtures_root);
    let dir = root.join(platform.slug()).join(scenario);
    let loaded = LoadedScenario::load(&dir).map_err(|e| {
        let known = LoadedScenario::list(&root.join(platform.slug())).join(", ");
        anyhow::anyhow!("{e} (scenarios of {platform}: {known})")
    })?;
    let listener = std::net::TcpListener::bind(("127.0.0.1", port))
        .with_context(|| format!("cannot listen on 127.0.0.1:{port}"))?;
    let server = MockServer::builder().listener(listener).start().await;
    mount_for_serving(&server, factory, &loaded).await?;
    Ok(Served { server, loaded })
}

#[allow(clippy::print_stdout, clippy::print_stderr)]
pub async fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let served = start(args.platform, &args.scenario, args.port, args.fixtures).await?;
    println!("{}", served.server.uri());
    let credentials = served.loaded.dir.join("credentials.json");
    eprintln!(
        "serving {} scenario `{}` ({})",
        args.platform, args.scenario, served.loaded.scenario.description
    );
    if let Some(w) = served.loaded.expect.window {
        eprintln!(
            "try: omsync pull --platform {} --base-url {} --credentials {} --from {} --to {} --no-rate-limits",
            args.platform,
            served.server.uri(),
            credentials.display(),
            w.from.to_rfc3339(),
            w.to.to_rfc3339()
        );
    }
    eprintln!("stop with Ctrl-C");
    shutdown_signal().await;
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
