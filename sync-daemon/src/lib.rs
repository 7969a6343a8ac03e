//! omsync: pulls every store's marketplace orders into one order store and carries them
//! through the warehouse's OMS flow. The `omsync` binary (`main.rs`) is a thin CLI over these
//! modules: the sync engine, its admin surfaces and the connector author's tools.

pub mod admin;
pub mod commands;
pub mod config;
pub mod credentials;
pub mod daemon;
pub mod demo;
pub mod pull;
pub mod registry;
pub mod serve;
pub mod sync;
pub mod telemetry;
pub mod vault;
