//! omsync: pulls every store's marketplace orders into one order store and carries them
//! through the warehouse's OMS flow. The `omsync` binary (`main.rs`) is a thin CLI over these
//! modules: the sync engine, its admin surfaces and the connector author's tools.

/// `println!` for the commands' output, returning the write error (a closed pipe) instead of
/// panicking.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($arg)*)?
    }};
}

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
