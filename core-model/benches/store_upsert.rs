//! Order-store upsert throughput against a plain-INSERT baseline.
//!
//! `cargo bench -p core-model --features store --bench store_upsert [-- ORDERS]`
//!
//! Generates ORDERS realistic orders (default 100000, or `OMSYNC_BENCH_ORDERS`; three lines
//! each, about 2 KB of SP-API-shaped raw JSON) and, on SQLite and then on PostgreSQL when
//! `DATABASE_URL` is set, measures in batches of `OMSYNC_BENCH_BATCH` (default 100, a page):
//!   1. baseline: plain multi-row INSERTs of the same rows (order, 3 lines, 1 history row)
//!      into bare tables with nothing but a primary key;
//!   2. `upsert_orders` of the orders, all new;
//!   3. `upsert_orders` of the same orders again, all unchanged.
#![allow(clippy::print_stdout, reason = "a benchmark reports on stdout")]

use std::error::Error;
use std::str::FromStr;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use core_model::store::{OrderStore, UpsertStats};
use core_model::{Address, NeutralStatus, OrderLine, Platform, PlatformOrder, StoreId};
use rust_decimal::Decimal;
use serde_json::json;
use serde_json::value::RawValue;
use sqlx::postgres::PgPool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqliteSynchronous};
use sqlx::{Connection, Executor, PgConnection, QueryBuilder};

type BenchResult<T> = Result<T, Box<dyn Error>>;

const DEFAULT_ORDERS: usize = 100_000;
const DEFAULT_BATCH: usize = 100;
/// Rows per multi-row INSERT in the baseline, as in the store.
const ROWS_PER_INSERT: usize = 500;

fn main() -> BenchResult<()> {
    // `cargo bench` passes `--bench`; the first plain number is the order count.
    let orders = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .or_else(|| std::env::var("OMSYNC_BENCH_ORDERS").ok()?.parse().ok())
        .unwrap_or(DEFAULT_ORDERS);
    let batch = std::env::var("OMSYNC_BENCH_BATCH")
        .ok()
        .and_then(|b| b.parse().ok())
        .unwrap_or(DEFAULT_BATCH);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(orders, batch))
}

async fn run(count: usize, batch: usize) -> BenchResult<()> {
    let orders = generate(count)?;
    let raw_bytes: usize = orders.iter().map(|o| o.raw_json().len()).sum();
    println!(
        "store_upsert: {count} orders, 3 lines each, raw payload {} bytes on average, \
         batches of {batch}",
        raw_bytes / count.max(1)
    );

    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let options = SqliteConnectOptions::from_str(&url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal);
    let baseline = Baseline::Sqlite(SqlitePool::connect_with(options).await?);
    bench_backend(&url, baseline, orders.clone(), batch).await?;

    match std::env::var("DATABASE_URL") {
        Ok(admin_url) => {
            let name = format!("omsync_bench_{}", std::process::id());
            let mut admin = PgConnection::connect(&admin_url).await?;
            admin
                .execute(format!("CREATE DATABASE {name}").as_str())
                .await?;
            let mut url = url::Url::parse(&admin_url)?;
            url.set_path(&name);
            let baseline = Baseline::Postgres(PgPool::connect(url.as_str()).await?);
            let outcome = bench_backend(url.as_str(), baseline, orders, batch).await;
            admin
                .execute(format!("DROP DATABASE {name} WITH (FORCE)").as_str())
                .await?;
            outcome?;
        }
        Err(_) => println!("postgres: skipped (DATABASE_URL is not set)"),
    }
    Ok(())
}

async fn bench_backend(
    url: &str,
    baseline: Baseline,
    mut orders: Vec<PlatformOrder>,
    batch: usize,
) -> BenchResult<()> {
    let store = OrderStore::connect(url).await?;
    store.migrate().await?;
    let seller = store.create_seller("Bench Seller").await?;
    let store_id = store
        .create_store(seller, Platform::Amazon, "Bench US")
        .await?;
    for o in &mut orders {
        o.store = store_id;
    }
    let name = store.backend_name();
    let n = orders.len() as u64;

    baseline.create_tables().await?;
    let started = Instant::now();
    let mut baseline_rows = 0;
    for (b, chunk) in orders.chunks(batch).enumerate() {
        baseline_rows += baseline.insert(chunk, (b * batch) as i64).await?;
    }
    let baseline_time = started.elapsed();
    report(name, "baseline insert", n, baseline_time, baseline_rows);

    let (new, new_time) = upsert_all(&store, &orders, batch).await?;
    report(name, "upsert new", n, new_time, new.rows_written);
    let (again, again_time) = upsert_all(&store, &orders, batch).await?;
    report(name, "upsert unchanged", n, again_time, again.rows_written);

    println!(
        "{name:<8} upsert new takes {:.2}x the baseline's time",
        new_time.as_secs_f64() / baseline_time.as_secs_f64()
    );
    if new.new != n || again.unchanged != n || again.rows_written != 0 {
        return Err(format!("unexpected counts: first {new:?}, again {again:?}").into());
    }
    store.close().await;
    Ok(())
}

async fn upsert_all(
    store: &OrderStore,
    orders: &[PlatformOrder],
    batch: usize,
) -> BenchResult<(UpsertStats, Duration)> {
    let started = Instant::now();
    let mut total = UpsertStats::default();
    for chunk in orders.chunks(batch) {
        total += store.upsert_orders(chunk).await?;
    }
    Ok((total, started.elapsed()))
}

fn report(backend: &str, phase: &str, orders: u64, took: Duration, rows: u64) {
    println!(
        "{backend:<8} {phase:<17} {orders:>7} orders in {:>7.2} s = {:>9.0} orders/s, \
         {rows:>7} rows written",
        took.as_secs_f64(),
        orders as f64 / took.as_secs_f64()
    );
}

// ---------------------------------------------------------------------------------------------
// Baseline: the same rows, plainly inserted into bare tables.

enum Baseline {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

macro_rules! on_pool {
    ($baseline:expr, |$pool:ident| $body:expr) => {
        match $baseline {
            Baseline::Sqlite($pool) => $body,
            Baseline::Postgres($pool) => $body,
        }
    };
}

impl Baseline {
    async fn create_tables(&self) -> Result<(), sqlx::Error> {
        let (id, time, bytes) = match self {
            Baseline::Sqlite(_) => ("INTEGER PRIMARY KEY", "TEXT", "BLOB"),
            Baseline::Postgres(_) => ("BIGINT PRIMARY KEY", "TIMESTAMPTZ", "BYTEA"),
        };
        let ddl = format!(
            "CREATE TABLE baseline_orders (id {id}, store_id BIGINT NOT NULL, \
               platform TEXT NOT NULL, platform_order_id TEXT NOT NULL, \
               platform_status TEXT NOT NULL, status TEXT NOT NULL, flow_status TEXT NOT NULL, \
               created_at {time} NOT NULL, updated_at {time} NOT NULL, currency TEXT NOT NULL, \
               buyer_name TEXT, ship_to TEXT NOT NULL, platform_label_hint BOOLEAN NOT NULL, \
               raw TEXT NOT NULL, content_hash {bytes} NOT NULL, first_seen_at {time} NOT NULL, \
               last_changed_at {time} NOT NULL);
             CREATE TABLE baseline_lines (order_id BIGINT NOT NULL, line_no INTEGER NOT NULL, \
               line_id TEXT, platform_sku TEXT NOT NULL, platform_item_id TEXT, \
               platform_variant_id TEXT, title TEXT, quantity BIGINT NOT NULL, \
               unit_price TEXT NOT NULL, PRIMARY KEY (order_id, line_no));
             CREATE TABLE baseline_history (id {id}, order_id BIGINT NOT NULL, at {time} NOT NULL, \
               kind TEXT NOT NULL, from_flow_status TEXT, to_flow_status TEXT NOT NULL, \
               platform_status TEXT, platform_updated_at {time}, detail TEXT);"
        );
        on_pool!(self, |pool| {
            pool.execute(sqlx::raw_sql(&ddl)).await?;
        });
        Ok(())
    }

    /// Inserts one batch in one transaction, orders numbered from `first_id + 1`; returns the
    /// rows written.
    async fn insert(&self, orders: &[PlatformOrder], first_id: i64) -> BenchResult<u64> {
        let now = Utc::now();
        let mut numbered = Vec::with_capacity(orders.len());
        for (o, id) in orders.iter().zip(first_id + 1..) {
            numbered.push((id, o, serde_json::to_string(&o.ship_to)?));
        }
        let lines: Vec<(i64, i32, &OrderLine)> = numbered
            .iter()
            .flat_map(|(id, o, _)| o.lines.iter().zip(1..).map(move |(l, no)| (*id, no, l)))
            .collect();
        let mut rows = 0;
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            for chunk in numbered.chunks(ROWS_PER_INSERT) {
                let mut q = QueryBuilder::new(
                    "INSERT INTO baseline_orders (id, store_id, platform, platform_order_id, \
                     platform_status, status, flow_status, created_at, updated_at, currency, \
                     buyer_name, ship_to, platform_label_hint, raw, content_hash, \
                     first_seen_at, last_changed_at) ",
                );
                q.push_values(chunk, |mut row, (id, o, ship_to)| {
                    row.push_bind(*id)
                        .push_bind(o.store.0)
                        .push_bind(o.platform.slug())
                        .push_bind(o.platform_order_id.as_str())
                        .push_bind(o.platform_status.as_str())
                        .push_bind(o.status.as_str())
                        .push_bind("pending")
                        .push_bind(o.created_at)
                        .push_bind(o.updated_at)
                        .push_bind(o.currency.as_str())
                        .push_bind(o.buyer_name.as_deref())
                        .push_bind(ship_to.as_str())
                        .push_bind(o.platform_label_hint)
                        .push_bind(o.raw.get())
                        .push_bind(&[0u8; 16][..])
                        .push_bind(now)
                        .push_bind(now);
                });
                rows += q.build().execute(&mut *tx).await?.rows_affected();

                let mut q = QueryBuilder::new(
                    "INSERT INTO baseline_history (id, order_id, at, kind, from_flow_status, \
                     to_flow_status, platform_status, platform_updated_at, detail) ",
                );
                q.push_values(chunk, |mut row, (id, o, _)| {
                    row.push_bind(*id)
                        .push_bind(*id)
                        .push_bind(now)
                        .push_bind("created")
                        .push_bind(None::<&str>)
                        .push_bind("pending")
                        .push_bind(o.platform_status.as_str())
                        .push_bind(o.updated_at)
                        .push_bind(None::<&str>);
                });
                rows += q.build().execute(&mut *tx).await?.rows_affected();
            }
            for chunk in lines.chunks(ROWS_PER_INSERT) {
                let mut q = QueryBuilder::new(
                    "INSERT INTO baseline_lines (order_id, line_no, line_id, platform_sku, \
                     platform_item_id, platform_variant_id, title, quantity, unit_price) ",
                );
                q.push_values(chunk, |mut row, (id, no, l)| {
                    row.push_bind(*id)
                        .push_bind(*no)
                        .push_bind(l.line_id.as_deref())
                        .push_bind(l.platform_sku.as_str())
                        .push_bind(l.platform_item_id.as_deref())
                        .push_bind(l.platform_variant_id.as_deref())
                        .push_bind(l.title.as_deref())
                        .push_bind(i64::from(l.quantity))
                        .push_bind(l.unit_price.to_string());
                });
                rows += q.build().execute(&mut *tx).await?.rows_affected();
            }
            tx.commit().await?;
        });
        Ok(rows)
    }
}

// ---------------------------------------------------------------------------------------------
// Orders shaped like Amazon SP-API getOrder + getOrderItems responses.

/// xorshift64*: deterministic, so every run stores the same orders.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const FIRST: &[&str] = &[
    "Jane", "Carlos", "Mei", "Olu", "Anna", "Raj", "Sofia", "Tom", "Yuki",
];
const LAST: &[&str] = &[
    "Smith", "Garcia", "Chen", "Okafor", "Novak", "Patel", "Rossi", "Berg",
];
const CITIES: &[(&str, &str, &str)] = &[
    ("Seattle", "WA", "98101"),
    ("Austin", "TX", "73301"),
    ("Denver", "CO", "80202"),
    ("Columbus", "OH", "43004"),
    ("Portland", "OR", "97201"),
    ("Miami", "FL", "33101"),
];
const PRODUCTS: &[&str] = &[
    "Ultralight 2-Person Backpacking Tent, Waterproof, Aluminium Poles",
    "Insulated Stainless Steel Water Bottle 32oz, Leak Proof Lid",
    "Merino Wool Hiking Socks (3 Pairs), Cushioned, Size M",
    "LED Headlamp 400 Lumens, USB-C Rechargeable, IPX6",
    "Compact Camping Stove with Piezo Ignition and Carry Case",
    "Trekking Poles, Carbon Fibre, Quick Lock, Pair",
];

fn generate(count: usize) -> BenchResult<Vec<PlatformOrder>> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let start: DateTime<Utc> = "2024-05-01T00:00:00Z".parse()?;
    (0..count)
        .map(|n| generate_one(&mut rng, n, start))
        .collect()
}

fn generate_one(rng: &mut Rng, n: usize, start: DateTime<Utc>) -> BenchResult<PlatformOrder> {
    let id = format!("113-{:07}-{:07}", n, rng.below(10_000_000));
    let created_at = start + chrono::Duration::seconds(n as i64 * 7);
    let updated_at = created_at + chrono::Duration::seconds(rng.below(3_600) as i64);
    let buyer = format!("{} {}", rng.pick(FIRST), rng.pick(LAST));
    let (city, state, zip) = CITIES[rng.below(CITIES.len() as u64) as usize];
    let street = format!(
        "{} {} Ave Apt {}",
        100 + rng.below(9_000),
        rng.pick(LAST),
        rng.below(400)
    );

    let lines: Vec<OrderLine> = (1..=3)
        .map(|k| OrderLine {
            line_id: Some(format!(
                "{}",
                40_000_000_000_000u64 + rng.below(1_000_000_000)
            )),
            platform_sku: format!("SKU-{:05}-{k}", rng.below(20_000)),
            platform_item_id: Some(format!("B0{:08}", rng.below(100_000_000))),
            platform_variant_id: None,
            title: Some(rng.pick(PRODUCTS).to_owned()),
            quantity: 1 + rng.below(3) as u32,
            unit_price: Decimal::new(499 + rng.below(20_000) as i64, 2),
        })
        .collect();
    let total: Decimal = lines
        .iter()
        .map(|l| l.unit_price * Decimal::from(l.quantity))
        .sum();

    let items: Vec<_> = lines
        .iter()
        .map(|l| {
            json!({
                "ASIN": l.platform_item_id, "SellerSKU": l.platform_sku,
                "OrderItemId": l.line_id, "Title": l.title,
                "QuantityOrdered": l.quantity, "QuantityShipped": 0,
                "ItemPrice": {"CurrencyCode": "USD", "Amount": (l.unit_price * Decimal::from(l.quantity)).to_string()},
                "ItemTax": {"CurrencyCode": "USD", "Amount": "0.00"},
                "IsGift": "false", "ConditionId": "New"
            })
        })
        .collect();
    let raw = json!({
        "AmazonOrderId": id,
        "SellerOrderId": id,
        "PurchaseDate": created_at.to_rfc3339(),
        "LastUpdateDate": updated_at.to_rfc3339(),
        "OrderStatus": "Unshipped",
        "FulfillmentChannel": "MFN",
        "SalesChannel": "Amazon.com",
        "ShipServiceLevel": "Std US D2D Dom",
        "OrderTotal": {"CurrencyCode": "USD", "Amount": total.to_string()},
        "NumberOfItemsShipped": 0,
        "NumberOfItemsUnshipped": lines.iter().map(|l| l.quantity).sum::<u32>(),
        "PaymentMethod": "Other",
        "PaymentMethodDetails": ["Standard"],
        "MarketplaceId": "ATVPDKIKX0DER",
        "ShipmentServiceLevelCategory": "Standard",
        "OrderType": "StandardOrder",
        "EarliestShipDate": (created_at + chrono::Duration::days(1)).to_rfc3339(),
        "LatestShipDate": (created_at + chrono::Duration::days(2)).to_rfc3339(),
        "IsBusinessOrder": false, "IsPrime": rng.below(2) == 0, "IsPremiumOrder": false,
        "IsReplacementOrder": false,
        "ShippingAddress": {
            "Name": buyer, "AddressLine1": street, "City": city,
            "StateOrRegion": state, "PostalCode": zip, "CountryCode": "US",
            "AddressType": "Residential"
        },
        "BuyerInfo": {"BuyerEmail": format!("{}@marketplace.amazon.com", rng.below(1 << 40))},
        "OrderItems": items
    });

    Ok(PlatformOrder {
        store: StoreId(0),
        platform: Platform::Amazon,
        platform_order_id: id,
        platform_status: "Unshipped".into(),
        status: NeutralStatus::AwaitingFulfillment,
        created_at,
        updated_at,
        currency: "USD".into(),
        buyer_name: Some(buyer.clone()),
        ship_to: Address {
            name: Some(buyer),
            lines: vec![street],
            city: Some(city.into()),
            state: Some(state.into()),
            postal_code: Some(zip.into()),
            country_code: Some("US".into()),
            ..Address::default()
        },
        lines,
        platform_label_hint: false,
        raw: RawValue::from_string(raw.to_string())?,
    })
}
