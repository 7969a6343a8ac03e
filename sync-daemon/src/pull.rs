//! `omsync pull`: run one connector for one store over one window and print every order as a
//! JSON line on stdout. The connector author's tool; errors go to stderr with a non-zero exit.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, SecondsFormat, Utc};
use clap::Args;
use connector_kit::{ConnectorOptions, Recorder};
use core_model::{Address, Platform, PlatformOrder, StoreId, StoreRef, Window};
use serde::Serialize;
use url::Url;

use crate::credentials::{self, FileTokenSink};
use crate::registry;

#[derive(Debug, Args)]
pub struct PullArgs {
    /// Platform slug: amazon, shopee, ...
    #[arg(long)]
    platform: Platform,
    /// Replace every host the connector calls (a fixture server, a sandbox).
    #[arg(long)]
    base_url: Option<Url>,
    /// The store's credentials file (keys per the connector's README). Rotated refresh tokens
    /// are written back to it.
    #[arg(long)]
    credentials: PathBuf,
    /// Window start, RFC 3339.
    #[arg(long)]
    from: DateTime<Utc>,
    /// Window end (exclusive), RFC 3339.
    #[arg(long)]
    to: DateTime<Utc>,
    /// Also print each order's raw platform JSON.
    #[arg(long)]
    raw: bool,
    /// Record every exchange into this fixture folder (scrubbed of secrets and personal data).
    #[arg(long)]
    record: Option<PathBuf>,
    /// Do not pace requests by the platform's quotas (for fixture servers and local mocks;
    /// never against a real platform).
    #[arg(long)]
    no_rate_limits: bool,
}

/// One printed order.
#[derive(Debug, Serialize)]
struct Line<'a> {
    platform: Platform,
    platform_order_id: &'a str,
    platform_status: &'a str,
    status: &'static str,
    created_at: String,
    updated_at: String,
    currency: &'a str,
    lines: Vec<LineItem<'a>>,
    ship_to: &'a Address,
    #[serde(skip_serializing_if = "Option::is_none")]
    raw: Option<&'a serde_json::value::RawValue>,
}

#[derive(Debug, Serialize)]
struct LineItem<'a> {
    platform_sku: &'a str,
    quantity: u32,
    unit_price: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    line_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    platform_item_id: Option<&'a str>,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn line(order: &PlatformOrder, raw: bool) -> Line<'_> {
    Line {
        platform: order.platform,
        platform_order_id: &order.platform_order_id,
        platform_status: &order.platform_status,
        status: order.status.as_str(),
        created_at: rfc3339(order.created_at),
        updated_at: rfc3339(order.updated_at),
        currency: &order.currency,
        lines: order
            .lines
            .iter()
            .map(|l| LineItem {
                platform_sku: &l.platform_sku,
                quantity: l.quantity,
                unit_price: l.unit_price.to_string(),
                line_id: l.line_id.as_deref(),
                platform_item_id: l.platform_item_id.as_deref(),
            })
            .collect(),
        ship_to: &order.ship_to,
        raw: raw.then_some(order.raw.as_ref()),
    }
}

pub async fn run(args: PullArgs) -> anyhow::Result<ExitCode> {
    let window = Window::new(args.from, args.to).context("--from must be before --to")?;
    let factory = registry::factory(args.platform)?;
    let creds = credentials::read(&args.credentials)?;
    let recorder = match &args.record {
        Some(dir) => Some(Arc::new(
            Recorder::new(dir, factory.scrub_keys())
                .with_context(|| format!("cannot create the recording folder {}", dir.display()))?,
        )),
        None => None,
    };
    let options = ConnectorOptions {
        base_url: args.base_url.clone(),
        recorder: recorder.clone(),
        token_sink: Some(Arc::new(FileTokenSink::new(args.credentials.clone()))),
        rate_limits: !args.no_rate_limits,
        ..ConnectorOptions::default()
    };
    let store = StoreRef {
        id: StoreId(1),
        platform: args.platform,
    };
    let connector = factory
        .build(store, &creds, options)
        .with_context(|| format!("credentials file {}", args.credentials.display()))?;

    let stdout = std::io::stdout();
    let mut cursor = None;
    let mut malformed = 0usize;
    let result = loop {
        let page = match connector.pull_orders(window, cursor.as_ref()).await {
            Ok(page) => page,
            Err(e) => break Err(anyhow::Error::new(e)),
        };
        let mut out = stdout.lock();
        for order in &page.orders {
            serde_json::to_writer(&mut out, &line(order, args.raw))?;
            out.write_all(b"\n")?;
        }
        out.flush()?;
        for bad in &page.malformed {
            malformed += 1;
            tracing::warn!(
                order = bad.platform_order_id.as_deref().unwrap_or("?"),
                "malformed order kept aside: {}",
                bad.error
            );
            warn_malformed(bad.platform_order_id.as_deref(), &bad.error.to_string());
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break Ok(()),
        }
    };
    if let Some(recorder) = recorder {
        let path = recorder.finish(&format!("omsync pull --platform {}", args.platform))?;
        tracing::info!("recorded into {}", path.display());
    }
    result?;
    Ok(if malformed > 0 {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

#[allow(clippy::print_stderr)]
fn warn_malformed(id: Option<&str>, error: &str) {
    eprintln!(
        "omsync: malformed order {}: {error}",
        id.unwrap_or("(no id)")
    );
}
