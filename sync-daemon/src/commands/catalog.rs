//! (filled in by the OMS flow work)

use std::process::ExitCode;

use clap::Subcommand;

use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum ProductCommand {
    /// Placeholder until this command group lands.
    Todo,
}

pub async fn product(_config: &Config, _command: ProductCommand) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}

#[derive(Debug, Subcommand)]
pub enum MappingCommand {
    /// Placeholder until this command group lands.
    Todo,
}

pub async fn mapping(_config: &Config, _command: MappingCommand) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}
