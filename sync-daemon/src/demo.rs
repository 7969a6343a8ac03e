//! `omsync demo`: the sync engine end to end with no network and no credentials. Every
//! registered connector's recorded `multi-page` scenario is served on loopback as its
//! platform; one demo store per connector is authorized, and the engine runs its initial pull
//! and one incremental pull into an embedded SQLite file, which stays for `omsync orders`.
//! Then the Walmart store's orders go through the OMS flow, to the tracking upload.
//!
//! The recordings answer one window each, so the demo asks for that window by name; a live
//! daemon plans its windows from the clock (5 days initial, 2 days incremental).

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use core_model::fulfillment::{ChannelKind, InventoryKind};
use core_model::store::catalog::{Measurement, NewProduct};
use core_model::store::flow::ShipReport;
use core_model::store::warehouse::NewChannel;
use core_model::store::{OrderFilter, OrderStore, RunKind, RunStatus, TokenScope};
use core_model::{Address, FlowStatus, Platform, SellerId, StoreId, Window};

use crate::registry;
use crate::serve::{self, Served};
use crate::sync::{Engine, RegistrySource, SyncSettings, SystemClock};
use crate::vault::Vault;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The SQLite file to create (replaced if it exists).
    #[arg(long, default_value = "omsync-demo.db")]
    db: PathBuf,
    /// The fixtures folder.
    #[arg(long, env = "OMSYNC_FIXTURES")]
    fixtures: Option<PathBuf>,
}

const SCENARIO: &str = "multi-page";

struct DemoStore {
    platform: Platform,
    id: StoreId,
    window: Window,
    _served: Served,
}

pub async fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    for suffix in ["", "-wal", "-shm"] {
        let path = PathBuf::from(format!("{}{suffix}", args.db.display()));
        if path.exists() {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot replace {}", path.display()))?;
        }
    }
    let url = format!("sqlite://{}", args.db.display());
    let store = OrderStore::connect(&url)
        .await
        .with_context(|| format!("cannot create {}", args.db.display()))?;
    store.migrate().await?;
    let seller = store.create_seller("Demo Seller").await?;
    say!("order store: {} (SQLite)", args.db.display());

    // Every connector's platform, served from its recording on loopback.
    let mut stores = Vec::new();
    let mut base_urls = HashMap::new();
    for factory in registry::factories() {
        let platform = factory.platform();
        let served = serve::start(platform, SCENARIO, 0, args.fixtures.clone()).await?;
        let spec = served
            .loaded
            .expect
            .window
            .context("scenario has no expect.window")?;
        let window = Window::new(spec.from, spec.to).context("scenario window is empty")?;
        base_urls.insert(platform, served.server.uri().parse()?);
        let id = store
            .create_store(seller, platform, &format!("demo {platform} store"))
            .await?;
        stores.push(DemoStore {
            platform,
            id,
            window,
            _served: served,
        });
    }
    say!("{} fixture marketplaces on loopback\n", stores.len());

    // A throwaway key: the demo's credentials are the fixtures' own.
    let key = Vault::generate_key();
    let vault = Arc::new(Vault::load(Some(&key), None)?);
    let engine = Engine::new(
        store.clone(),
        vault,
        // Local replays: the platforms' quotas do not apply.
        Arc::new(RegistrySource::new(base_urls, false)?),
        Arc::new(SystemClock),
        SyncSettings {
            rate_limits: false,
            ..SyncSettings::default()
        },
        "demo",
    );
    for s in &stores {
        // Scheduled cycles would plan windows from the clock, which the recordings can't
        // answer: the demo's stores are due tomorrow and run only what it asks for.
        engine
            .authorize_at(
                s.id,
                &s._served.loaded.credentials,
                engine.now() + chrono::TimeDelta::days(1),
            )
            .await
            .with_context(|| format!("authorizing the demo {} store", s.platform))?;
    }
    for kind in [RunKind::Initial, RunKind::Incremental] {
        for s in &stores {
            if kind == RunKind::Incremental {
                // A recording answers its exchanges once, as one pull; the platform answers
                // a new pull of the same window the same way.
                s._served.server.reset().await;
                let factory = registry::factory(s.platform)?;
                connector_testkit::mount_for_serving(&s._served.server, factory, &s._served.loaded)
                    .await?;
            }
            engine.request_run(s.id, kind, s.window).await?;
        }
        run_all(&engine, &store).await?;
    }

    say!(
        "{:<15} {:>5} {:>7} {:>5} {:>6} {:>22} {:>30} {:>8}",
        "platform",
        "store",
        "orders",
        "runs",
        "pages",
        "initial pull",
        "incremental pull",
        "ms"
    );
    let mut failed = 0;
    for s in &stores {
        let runs = store.list_runs(Some(s.id), None, 10).await?;
        let of = |k: RunKind| runs.iter().find(|r| r.kind == k);
        let (Some(initial), Some(incremental)) = (of(RunKind::Initial), of(RunKind::Incremental))
        else {
            anyhow::bail!("{}: runs missing", s.platform);
        };
        for r in [initial, incremental] {
            if r.status != RunStatus::Succeeded {
                failed += 1;
                say!(
                    "{:<15} run {} {}: {}",
                    s.platform,
                    r.id,
                    r.status.as_str(),
                    r.error.as_deref().unwrap_or("")
                );
            }
        }
        say!(
            "{:<15} {:>5} {:>7} {:>5} {:>6} {:>22} {:>30} {:>8}",
            s.platform.slug(),
            s.id.0,
            store.count_orders(s.id).await?,
            runs.len(),
            initial.pages + incremental.pages,
            format!("{} new", initial.orders_new),
            format!(
                "{} new, {} changed, {} unchanged",
                incremental.orders_new, incremental.orders_changed, incremental.orders_unchanged
            ),
            initial.duration_ms.unwrap_or(0) + incremental.duration_ms.unwrap_or(0)
        );
    }
    let walmart = stores
        .iter()
        .find(|s| s.platform == Platform::Walmart)
        .context("the demo needs the walmart connector")?;
    oms_flow(&store, &engine, seller, walmart, args.fixtures.clone()).await?;
    say!(
        "\n{} stores synced in {:.1} s. The database stays: inspect it with\n  OMSYNC_DATABASE_URL=sqlite://{} omsync orders\n  OMSYNC_DATABASE_URL=sqlite://{} omsync runs\n  OMSYNC_DATABASE_URL=sqlite://{} omsync fulfillment list",
        stores.len(),
        started.elapsed().as_secs_f64(),
        args.db.display(),
        args.db.display(),
        args.db.display()
    );
    store.close().await;
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Dispatches until no queued or running run is left.
async fn run_all(engine: &Engine, store: &OrderStore) -> anyhow::Result<()> {
    loop {
        engine.dispatch().await?;
        engine.wait_idle().await;
        let mut open = false;
        for s in store.list_stores(None).await? {
            open |= store.open_run(s.id).await?.is_some();
        }
        if !open {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The OMS flow on the demo's Walmart store, as the guide walks it: a warehouse with a UPS
/// channel; every platform SKU mapped to an approved, measured product with stock; credit;
/// every pending order reviewed in bulk; then the order of Walmart's `tracking` recording gets
/// the warehouse's carrier label, is submitted, ships, and its tracking number is uploaded
/// to the (replayed) platform.
async fn oms_flow(
    store: &OrderStore,
    engine: &Engine,
    seller: SellerId,
    walmart: &DemoStore,
    fixtures: Option<PathBuf>,
) -> anyhow::Result<()> {
    let root = fixtures.unwrap_or_else(connector_testkit::fixtures_root);
    let tracking = connector_testkit::LoadedScenario::load(&root.join("walmart").join("tracking"))?;
    let shipment = tracking
        .expect
        .tracking
        .clone()
        .context("walmart's tracking scenario has no expect.tracking")?;
    connector_testkit::mount_for_serving(
        &walmart._served.server,
        registry::factory(Platform::Walmart)?,
        &tracking,
    )
    .await?;
    let now = engine.now();

    let warehouse = store
        .create_warehouse("DEMO-LAX", "Demo warehouse", "USD")
        .await?;
    let dock = Address {
        lines: vec!["100 Harbor Way".into()],
        city: Some("Carson".into()),
        state: Some("CA".into()),
        postal_code: Some("90745".into()),
        country_code: Some("US".into()),
        ..Address::default()
    };
    store.set_warehouse_address(warehouse, &dock, None).await?;
    let ups = store
        .create_channel(&NewChannel {
            warehouse,
            code: "UPS-GROUND",
            name: "UPS Ground",
            kind: ChannelKind::Warehouse,
            carrier_code: Some(&shipment.carrier_code),
        })
        .await?;
    let pending = OrderFilter {
        store: Some(walmart.id),
        flow_status: Some(FlowStatus::Pending),
        limit: u32::MAX,
        ..OrderFilter::default()
    };
    let orders = store.list_orders(&pending).await?;
    let mut skus: Vec<String> = orders
        .iter()
        .flat_map(|o| o.order.lines.iter())
        .filter_map(|l| core_model::mapping::mapping_key(l).map(str::to_owned))
        .collect();
    skus.sort();
    skus.dedup();
    for sku in &skus {
        let new: NewProduct = serde_json::from_value(serde_json::json!({
            "sku": sku, "name": format!("Demo product {sku}"),
        }))?;
        let product = store.create_product(seller, &new).await?.id;
        store.submit_product(product).await?;
        store.approve_product(product).await?;
        let measured = Measurement {
            weight_g: Some(450),
            length_mm: Some(200),
            width_mm: Some(150),
            height_mm: Some(100),
        };
        store.set_measured(product, &measured).await?;
        store.add_mapping(walmart.id, sku, product, 1).await?;
        store
            .adjust_inventory(
                warehouse,
                product,
                InventoryKind::Product,
                100,
                "demo stock",
                now,
            )
            .await?;
    }
    store
        .set_account(
            seller,
            Some("USD"),
            Some(core_model::store::account::parse_amount(
                "credit_limit",
                "1000.00",
            )?),
            now,
        )
        .await?;
    let ids: Vec<_> = orders.iter().map(|o| o.id).collect();
    store.assign_orders(&ids, None, warehouse, ups, now).await?;
    let reviewed = store.review_orders(&ids, None, now).await?;
    let passed = reviewed.iter().filter(|o| o.ok).count();
    say!(
        "\nOMS flow on the walmart store: warehouse DEMO-LAX, channel UPS-GROUND; {} SKUs \
         mapped to approved products with 100 units each",
        skus.len()
    );
    say!(
        "  review: {passed} passed, {} refused",
        reviewed.len() - passed
    );
    for o in reviewed.iter().filter(|o| !o.ok) {
        say!(
            "    order {}: {}",
            o.order_id,
            o.message.as_deref().unwrap_or("refused")
        );
    }

    let order = store
        .get_order(walmart.id, &shipment.platform_order_id)
        .await?
        .context("the tracking recording's order was not pulled")?;
    let fo = reviewed
        .iter()
        .find(|o| o.order_id == order.id)
        .and_then(|o| o.fulfillment_id)
        .context("the tracking recording's order did not pass review")?;
    let wms = TokenScope::Warehouse(warehouse);
    store
        .report_carrier_label(fo, wms, None, &shipment.tracking_number, None, now)
        .await?;
    let submitted = store
        .submit_fulfillments(&[fo], TokenScope::Seller(seller), now)
        .await?;
    anyhow::ensure!(
        submitted.iter().all(|o| o.ok),
        "submission failed: {submitted:?}"
    );
    let report = ShipReport {
        tracking_number: None,
        carrier_code: None,
        shipped_at: Some(shipment.shipped_at),
    };
    store.ship_fulfillment(fo, wms, &report, now).await?;
    engine.upload_due_tracking().await?;
    let uploads = store
        .tracking_uploads(walmart.id, &shipment.platform_order_id)
        .await?;
    let status = uploads.first().map_or("missing", |u| u.status.as_str());
    say!(
        "  order {} ({}): fulfillment order {fo} labelled {} {}, submitted, shipped; \
         tracking upload to walmart: {status}",
        order.id,
        shipment.platform_order_id,
        shipment.carrier_code,
        shipment.tracking_number
    );
    anyhow::ensure!(
        status == "uploaded",
        "the tracking upload did not go through"
    );
    Ok(())
}
