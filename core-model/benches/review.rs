//! Bulk review and submission throughput: 10,000 pending orders reviewed in one call, then
//! their fulfillment orders submitted in one call, on SQLite (and on PostgreSQL when
//! `DATABASE_URL` is set).
//!
//! `cargo bench -p core-model --features store --bench review [-- ORDERS]`
//!
//! Setup (untimed): one seller with funds, one Shopify store, one warehouse with a warehouse
//! channel, 50 approved and measured products with ample stock, 50 platform SKUs mapped to
//! them (every fifth a two-product bundle), and ORDERS pending orders of one to three lines,
//! pulled through `upsert_orders`. Timed:
//!   1. `assign_orders`: warehouse and channel for every order;
//!   2. `review_orders`: every order passes and gets a Draft fulfillment order;
//!   3. (untimed) the warehouse's carrier labels, set in one statement;
//!   4. `submit_fulfillments`: every draft is submitted, reserving its stock.
#![allow(clippy::print_stdout, reason = "a benchmark reports on stdout")]

use std::error::Error;
use std::time::Instant;

use chrono::{DateTime, TimeDelta, Utc};
use core_model::fulfillment::{ChannelKind, FulfillmentId, WarehouseId};
use core_model::store::warehouse::NewChannel;
use core_model::store::{OrderFilter, OrderStore, TokenScope};
use core_model::{Address, NeutralStatus, OrderLine, Platform, PlatformOrder, StoreId};
use rust_decimal::Decimal;
use serde_json::value::RawValue;
use sqlx::{Connection, Executor, PgConnection};

type BenchResult<T> = Result<T, Box<dyn Error>>;

const DEFAULT_ORDERS: usize = 10_000;
const PRODUCTS: usize = 50;

fn main() -> BenchResult<()> {
    let orders = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(DEFAULT_ORDERS);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let dir = tempfile::tempdir()?;
        let url = format!("sqlite://{}", dir.path().join("review.db").display());
        bench("sqlite", &url, orders).await?;
        if let Ok(base) = std::env::var("DATABASE_URL") {
            let name = format!("omsync_bench_review_{}", std::process::id());
            let mut admin = PgConnection::connect(&base).await?;
            admin
                .execute(format!("CREATE DATABASE {name}").as_str())
                .await?;
            let mut pg = url::Url::parse(&base)?;
            pg.set_path(&name);
            let outcome = bench("postgres", pg.as_str(), orders).await;
            admin
                .execute(format!("DROP DATABASE {name} WITH (FORCE)").as_str())
                .await?;
            outcome?;
        }
        Ok(())
    })
}

async fn bench(backend: &str, url: &str, count: usize) -> BenchResult<()> {
    let store = OrderStore::connect(url).await?;
    store.migrate().await?;
    let now: DateTime<Utc> = Utc::now();
    let seller = store.create_seller("bench").await?;
    let shop = store
        .create_store(seller, Platform::Shopify, "bench-shop")
        .await?;
    let warehouse = store.create_warehouse("BENCH-1", "Bench", "USD").await?;
    let channel = store
        .create_channel(&NewChannel {
            warehouse,
            code: "UPS",
            name: "UPS Ground",
            kind: ChannelKind::Warehouse,
            carrier_code: Some("UPS"),
        })
        .await?;
    setup_catalog(&store, url, seller.0, shop, warehouse, count).await?;

    let orders: Vec<PlatformOrder> = (0..count)
        .map(|n| order(shop, n, now))
        .collect::<Result<_, _>>()?;
    for chunk in orders.chunks(500) {
        store.upsert_orders(chunk).await?;
    }
    let ids = store
        .order_ids(&OrderFilter {
            store: Some(shop),
            limit: u32::MAX,
            ..OrderFilter::default()
        })
        .await?;
    if ids.len() != count {
        return Err(format!("{} orders stored, {count} expected", ids.len()).into());
    }

    let started = Instant::now();
    let assigned = store
        .assign_orders(&ids, None, warehouse, channel, now)
        .await?;
    let assign = started.elapsed();
    if assigned.iter().any(|(_, r)| r.is_err()) {
        return Err("an assignment was refused".into());
    }

    let started = Instant::now();
    let reviewed = store.review_orders(&ids, None, now).await?;
    let review = started.elapsed();
    let refused: Vec<_> = reviewed.iter().filter(|o| !o.ok).collect();
    if let Some(first) = refused.first() {
        return Err(format!("{} refused, first: {first:?}", refused.len()).into());
    }
    let fos: Vec<FulfillmentId> = reviewed.iter().filter_map(|o| o.fulfillment_id).collect();

    // The warehouse's carrier labels, untimed: Draft (Fetching) -> Draft (Pending submit).
    exec(
        url,
        "UPDATE fulfillment_orders SET status = 'draft_pending_submit', carrier_code = 'UPS', \
         tracking_number = '1Z' || CAST(id AS TEXT), pending_submit_ms = 0",
    )
    .await?;

    let started = Instant::now();
    let submitted = store
        .submit_fulfillments(&fos, TokenScope::Operator, now + TimeDelta::minutes(1))
        .await?;
    let submit = started.elapsed();
    let failed = submitted.iter().filter(|o| !o.ok).count();
    if failed > 0 {
        return Err(format!(
            "{failed} submissions failed: {:?}",
            submitted.iter().find(|o| !o.ok)
        )
        .into());
    }

    let per_s = |d: std::time::Duration| count as f64 / d.as_secs_f64().max(f64::EPSILON);
    let both = review + submit;
    println!(
        "review [{backend}]: {count} orders  assign {:>6.0} ms ({:>7.0}/s)  review {:>6.0} ms \
         ({:>7.0}/s)  submit {:>6.0} ms ({:>7.0}/s)  review+submit {:>7.0} orders/s",
        assign.as_secs_f64() * 1e3,
        per_s(assign),
        review.as_secs_f64() * 1e3,
        per_s(review),
        submit.as_secs_f64() * 1e3,
        per_s(submit),
        per_s(both),
    );
    store.close().await;
    Ok(())
}

/// Products, mappings, stock and funds through plain SQL: what the catalog and stock APIs
/// would have written.
async fn setup_catalog(
    store: &OrderStore,
    url: &str,
    seller: i64,
    shop: StoreId,
    warehouse: WarehouseId,
    count: usize,
) -> BenchResult<()> {
    let _ = store;
    let mut sql = String::new();
    for p in 0..PRODUCTS {
        sql.push_str(&format!(
            "INSERT INTO products (seller_id, sku, name, status, measured, created_at, updated_at) \
             VALUES ({seller}, 'SKU-{p}', 'Product {p}', 'approved', TRUE, \
             '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');\n"
        ));
    }
    let units = count * 20;
    sql.push_str(&format!(
        "INSERT INTO inventory (warehouse_id, product_id, kind, available, reserved) \
         SELECT {}, id, 'product', {units}, 0 FROM products;\n\
         INSERT INTO seller_accounts (seller_id, currency, balance, credit_limit, updated_at) \
         VALUES ({seller}, 'USD', '1000.00', '500.00', '2026-01-01T00:00:00Z');\n",
        warehouse.0
    ));
    for p in 0..PRODUCTS {
        sql.push_str(&format!(
            "INSERT INTO product_mappings (store_id, platform_sku, product_id, quantity, created_at) \
             SELECT {}, 'SHOP-{p}', id, 1, '2026-01-01T00:00:00Z' FROM products WHERE sku = 'SKU-{p}';\n",
            shop.0
        ));
        if p % 5 == 0 {
            let q = (p + 1) % PRODUCTS;
            sql.push_str(&format!(
                "INSERT INTO product_mappings (store_id, platform_sku, product_id, quantity, created_at) \
                 SELECT {}, 'SHOP-{p}', id, 2, '2026-01-01T00:00:00Z' FROM products WHERE sku = 'SKU-{q}';\n",
                shop.0
            ));
        }
    }
    exec(url, &sql).await
}

async fn exec(url: &str, sql: &str) -> BenchResult<()> {
    if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(url).await?;
        pool.execute(sqlx::raw_sql(sql)).await?;
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(url).await?;
        pool.execute(sqlx::raw_sql(sql)).await?;
        pool.close().await;
    }
    Ok(())
}

fn order(store: StoreId, n: usize, now: DateTime<Utc>) -> BenchResult<PlatformOrder> {
    let id = format!("#{}", 100_000 + n);
    let lines = 1 + n % 3;
    Ok(PlatformOrder {
        store,
        platform: Platform::Shopify,
        platform_order_id: id.clone(),
        platform_status: "unfulfilled".into(),
        status: NeutralStatus::AwaitingFulfillment,
        created_at: now - TimeDelta::hours(2),
        updated_at: now - TimeDelta::hours(1),
        currency: "USD".into(),
        buyer_name: None,
        ship_to: Address {
            city: Some("Denver".into()),
            country_code: Some("US".into()),
            ..Address::default()
        },
        lines: (0..lines)
            .map(|l| OrderLine {
                line_id: Some(format!("{id}-{l}")),
                platform_sku: format!("SHOP-{}", (n * 7 + l * 13) % PRODUCTS),
                platform_item_id: None,
                platform_variant_id: None,
                title: None,
                quantity: 1 + u32::try_from(l).unwrap_or(0),
                unit_price: Decimal::new(1999, 2),
            })
            .collect(),
        platform_label_hint: false,
        raw: RawValue::from_string(format!(r#"{{"name":"{id}"}}"#))?,
    })
}
