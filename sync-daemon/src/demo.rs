//! `omsync demo` (filled in once the order store lands).

use std::process::ExitCode;

use clap::Args;

#[derive(Debug, Args)]
pub struct DemoArgs {}

pub async fn run(_args: DemoArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("the demo is not built yet")
}
