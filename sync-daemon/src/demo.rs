//! `omsync demo`: every registered connector against its recorded `multi-page` scenario on
//! loopback, pulled into a fresh SQLite order store twice (the second pull overlaps the first,
//! as every 15-minute pull does), then what the store holds.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use connector_kit::ConnectorOptions;
use core_model::store::{OrderStore, UpsertStats};
use core_model::{StoreRef, Window};

use crate::{registry, serve};

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// SQLite file to create; a temporary one when absent.
    #[arg(long)]
    db: Option<PathBuf>,
    /// The fixtures folder.
    #[arg(long, env = "OMSYNC_FIXTURES")]
    fixtures: Option<PathBuf>,
}

const SCENARIO: &str = "multi-page";
/// Orders listed per platform at the end; the counts above cover the rest.
const SHOWN_PER_PLATFORM: usize = 3;

/// `println!` that returns the write error (a closed pipe) instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($arg)*)?
    }};
}

pub async fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let tmp = tempfile::tempdir().context("cannot create a temporary folder")?;
    let db = args
        .db
        .clone()
        .unwrap_or_else(|| tmp.path().join("omsync-demo.db"));
    let store = OrderStore::connect(&format!("sqlite://{}", db.display()))
        .await
        .with_context(|| format!("cannot open {}", db.display()))?;
    store.migrate().await?;
    let seller = store.create_seller("Demo Seller").await?;
    say!("order store: {} (SQLite)\n", db.display());

    let mut shown = Vec::new();
    for factory in registry::factories() {
        let platform = factory.platform();
        let served = serve::start(platform, SCENARIO, 0, args.fixtures.clone()).await?;
        let spec = served
            .loaded
            .expect
            .window
            .context("scenario has no expect.window")?;
        let window = Window::new(spec.from, spec.to).context("scenario window is empty")?;
        let store_id = store
            .create_store(seller, platform, &format!("demo {platform} store"))
            .await?;
        let mut first = Some(served);
        for pass in ["first pull", "overlapping pull"] {
            // Each pull gets a fresh replay: a scenario answers its exchanges as one pull
            // would, and the platform answers a new pull of the same window the same way.
            let served = match first.take() {
                Some(served) => served,
                None => serve::start(platform, SCENARIO, 0, args.fixtures.clone()).await?,
            };
            let options = ConnectorOptions {
                base_url: Some(served.server.uri().parse()?),
                // A local replay: the platforms' quotas do not apply.
                rate_limits: false,
                ..ConnectorOptions::default()
            };
            let connector = factory.build(
                StoreRef {
                    id: store_id,
                    platform,
                },
                &served.loaded.credentials,
                options,
            )?;
            let mut stats = UpsertStats::default();
            let (mut pages, mut cursor) = (0, None);
            loop {
                let page = connector.pull_orders(window, cursor.as_ref()).await?;
                pages += 1;
                stats += store.upsert_orders(&page.orders).await?;
                store.record_malformed(store_id, &page.malformed).await?;
                if pass == "first pull" {
                    let room = SHOWN_PER_PLATFORM
                        .saturating_sub(shown.iter().filter(|(p, _, _)| *p == platform).count());
                    shown.extend(
                        page.orders
                            .into_iter()
                            .take(room)
                            .map(|o| (platform, store_id, o)),
                    );
                }
                match page.next_cursor {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
            say!(
                "{platform:<12} {pass:<17} {pages} pages: {} new, {} changed, {} unchanged, {} rows written",
                stats.new, stats.changed, stats.unchanged, stats.rows_written
            );
        }
        say!(
            "{platform:<12} store {store_id} holds {} orders\n",
            store.count_orders(store_id).await?
        );
    }

    say!(
        "{:<12} {:<22} {:<10} {:<22} lines",
        "platform",
        "order",
        "flow",
        "platform status"
    );
    for (platform, store_id, order) in &shown {
        let flow = store
            .get_order(*store_id, &order.platform_order_id)
            .await?
            .map(|s| s.flow_status.as_str())
            .unwrap_or("missing");
        let lines: Vec<String> = order
            .lines
            .iter()
            .map(|l| {
                format!(
                    "{} x{} @ {} {}",
                    l.platform_sku, l.quantity, l.unit_price, order.currency
                )
            })
            .collect();
        say!(
            "{platform:<12} {:<22} {flow:<10} {:<22} {}",
            order.platform_order_id,
            order.platform_status,
            lines.join(", ")
        );
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
