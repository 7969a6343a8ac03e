//! (filled in by the OMS flow work)

use std::process::ExitCode;

use clap::Subcommand;

use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum WarehouseCommand {
    /// Placeholder until this command group lands.
    Todo,
}

pub async fn warehouse(_config: &Config, _command: WarehouseCommand) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}

#[derive(Debug, Subcommand)]
pub enum OrderCommand {
    /// Placeholder until this command group lands.
    Todo,
}

pub async fn order(_config: &Config, _command: OrderCommand) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}

#[derive(Debug, Subcommand)]
pub enum FulfillmentCommand {
    /// Placeholder until this command group lands.
    Todo,
}

pub async fn fulfillment(_config: &Config, _command: FulfillmentCommand) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}

