//! (filled in by the OMS flow work)

use std::process::ExitCode;

use clap::Subcommand;

use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum InventoryCommand {
    /// Placeholder until this command group lands.
    Todo,
}

pub async fn inventory(_config: &Config, _command: InventoryCommand) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}

#[derive(Debug, Subcommand)]
pub enum InboundCommand {
    /// Placeholder until this command group lands.
    Todo,
}

pub async fn inbound(_config: &Config, _command: InboundCommand) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Placeholder until this command group lands.
    Todo,
}

pub async fn account(_config: &Config, _command: AccountCommand) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}
