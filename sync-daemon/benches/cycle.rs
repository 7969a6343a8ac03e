//! One 15-minute sync cycle of 1,000 Shopify stores through the real engine and the real
//! Shopify connector, against a loopback mock of the Admin GraphQL API: wall time, throughput,
//! peak RSS and CPU, on SQLite and (with `DATABASE_URL`) PostgreSQL.
//!
//! `cargo bench -p sync-daemon --bench cycle`
//!
//! Environment:
//! - `OMSYNC_BENCH_STORES` (default 1000);
//! - `OMSYNC_BENCH_CONCURRENCY`: comma-separated engine concurrencies, one timed cycle each
//!   (default `64`);
//! - `OMSYNC_BENCH_PROFILE=1`: one more cycle at the best concurrency, counting the SQL
//!   statements per run by their first words (sqlx's `sqlx::query` events) and their time;
//! - `DATABASE_URL`: also run on PostgreSQL, in a database of its own that is dropped after.
//!
//! The mock serves each store 20 orders in two pages of ten (the connector's page size) and
//! tells the stores apart by their `X-Shopify-Access-Token`. Every order's `updatedAt` sits
//! just after the start of the window asked for, so each cycle finds all 20 orders changed:
//! the timed cycle writes every order, the heavier case for the store.
#![allow(clippy::print_stdout, reason = "a benchmark reports on stdout")]

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, TimeDelta, TimeZone, Utc};
use core_model::store::{OrderStore, RunKind, RunStatus};
use core_model::{Platform, StoreId};
use sqlx::{Connection, Executor, PgConnection};
use sync_daemon::sync::{
    Clock, ConnectorSource, Engine, ManualClock, RegistrySource, SyncSettings,
};
use sync_daemon::vault::Vault;
use tracing::field::{Field, Visit};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};
use tracing_subscriber::layer::{Context as LayerContext, SubscriberExt};
use tracing_subscriber::Layer;

const DEFAULT_STORES: usize = 1000;
const ORDERS_PER_STORE: usize = 20;
const PAGE_SIZE: usize = connector_shopify::orders::PAGE_SIZE as usize;
const PAGES_PER_STORE: usize = ORDERS_PER_STORE.div_ceil(PAGE_SIZE);
const INTERVAL: TimeDelta = TimeDelta::minutes(15);
const TOKEN_PREFIX: &str = "shpat_bench_";
const PAGE_2: &str = "bench-page-2";
const GRAPHQL_PATH: &str = "/admin/api/2025-01/graphql.json";
/// How long the dispatcher waits for a run to end before calling the cycle stuck.
const STUCK: Duration = Duration::from_secs(60);
const TARGET_WALL: Duration = Duration::from_secs(20);
const TARGET_RSS_KB: u64 = 300 * 1024;
/// `sysconf(_SC_CLK_TCK)` on Linux.
const CLOCK_TICKS: f64 = 100.0;

fn main() -> anyhow::Result<()> {
    let stores = env_number("OMSYNC_BENCH_STORES")?.unwrap_or(DEFAULT_STORES);
    let concurrencies: Vec<usize> = match std::env::var("OMSYNC_BENCH_CONCURRENCY") {
        Ok(list) => list
            .split(',')
            .map(|c| c.trim().parse::<usize>())
            .collect::<Result<_, _>>()
            .context("OMSYNC_BENCH_CONCURRENCY: comma-separated numbers")?,
        Err(_) => vec![64],
    };
    ensure!(
        !concurrencies.is_empty() && concurrencies.iter().all(|&c| c > 0),
        "OMSYNC_BENCH_CONCURRENCY: at least one, each above zero"
    );
    let profile = std::env::var("OMSYNC_BENCH_PROFILE").is_ok_and(|v| v == "1");
    let sql = SqlCounter::default();
    // Off until the profiled cycle: an atomic load per statement otherwise.
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(sql.clone()))
        .context("installing the statement counter")?;

    let mock = Mock::start(stores)?;
    println!(
        "cycle: {stores} Shopify stores x {ORDERS_PER_STORE} orders in pages of {PAGE_SIZE}, \
         mock on {}, the daemon's RegistrySource (one HTTP client), {} cores",
        mock.base_url,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let bench = Bench {
        stores,
        concurrencies,
        profile,
        mock,
        sql,
    };
    runtime.block_on(bench.all_backends())
}

fn env_number(key: &str) -> anyhow::Result<Option<usize>> {
    match std::env::var(key) {
        Ok(v) => Ok(Some(
            v.trim()
                .parse()
                .with_context(|| format!("{key}: a number"))?,
        )),
        Err(_) => Ok(None),
    }
}

struct Bench {
    stores: usize,
    concurrencies: Vec<usize>,
    profile: bool,
    mock: Mock,
    sql: SqlCounter,
}

impl Bench {
    async fn all_backends(&self) -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let url = format!("sqlite://{}", dir.path().join("cycle.db").display());
        self.backend(&url).await?;

        match std::env::var("DATABASE_URL") {
            Ok(admin_url) => {
                let name = format!("omsync_cycle_{}", std::process::id());
                admin(&admin_url, &format!("CREATE DATABASE {name}")).await?;
                let mut url = url::Url::parse(&admin_url).context("DATABASE_URL is not a URL")?;
                url.set_path(&name);
                let outcome = self.backend(url.as_str()).await;
                admin(&admin_url, &format!("DROP DATABASE {name} WITH (FORCE)")).await?;
                outcome?;
            }
            Err(_) => println!("postgres: skipped (DATABASE_URL is not set)"),
        }
        Ok(())
    }

    async fn backend(&self, url: &str) -> anyhow::Result<()> {
        let store = OrderStore::connect(url).await?;
        store.migrate().await?;
        let name = store.backend_name();
        let start = Utc
            .with_ymd_and_hms(2026, 5, 12, 0, 0, 0)
            .single()
            .context("start time")?;
        let clock = Arc::new(ManualClock::new(start));
        let vault = Arc::new(Vault::from_key([7; 32]));
        let source: Arc<dyn ConnectorSource> = Arc::new(RegistrySource::new(
            HashMap::from([(Platform::Shopify, self.mock.base_url.clone())]),
            false,
        )?);
        let engine_with = |concurrency: usize| {
            Engine::new(
                store.clone(),
                Arc::clone(&vault),
                source.clone(),
                clock.clone(),
                SyncSettings {
                    concurrency,
                    rate_limits: false,
                    ..SyncSettings::default()
                },
                "bench",
            )
        };

        // Setup, untimed: a seller and an authorized store per index.
        let setup = Instant::now();
        let first = engine_with(self.concurrencies[0]);
        let mut ids = Vec::with_capacity(self.stores);
        for i in 0..self.stores {
            let seller = store.create_seller(&format!("Seller {i}")).await?;
            let id = store
                .create_store(seller, Platform::Shopify, &format!("Shop {i}"))
                .await?;
            let credentials = serde_json::json!({
                "shop_domain": format!("bench-{i}.myshopify.com"),
                "access_token": format!("{TOKEN_PREFIX}{i}"),
            });
            first.authorize(id, &credentials).await?;
            ids.push(id);
        }
        println!(
            "{name:<8} setup: {} stores authorized in {:.1} s",
            self.stores,
            setup.elapsed().as_secs_f64()
        );

        let mut best: Option<(usize, Duration)> = None;
        let mut engine = Some(first);
        for (n, &concurrency) in self.concurrencies.iter().enumerate() {
            let engine = match engine.take() {
                Some(e) => e,
                None => engine_with(concurrency),
            };
            // Untimed: the initial pull the first time, then a cycle that builds this
            // engine's connectors, as a running daemon has them.
            if n > 0 {
                clock.advance(INTERVAL);
            }
            let warm = Instant::now();
            run_cycle(&engine, self.stores).await?;
            let warm = warm.elapsed();
            let kind = if n == 0 {
                RunKind::Initial
            } else {
                RunKind::Incremental
            };
            verify(&store, &ids, clock.now(), kind).await?;
            println!(
                "{name:<8} concurrency {concurrency:>4}: untimed {} cycle {:.2} s",
                kind.as_str(),
                warm.as_secs_f64()
            );

            // Every store's next slot is within one interval: all are due now.
            clock.advance(INTERVAL);
            let m = self
                .measure(name, concurrency, &engine, &store, &ids, &clock)
                .await?;
            if best.is_none_or(|(_, wall)| m < wall) {
                best = Some((concurrency, m));
            }
        }
        if let Some((concurrency, wall)) = best {
            if self.concurrencies.len() > 1 {
                println!(
                    "{name:<8} best: concurrency {concurrency} at {:.2} s",
                    wall.as_secs_f64()
                );
            }
            if self.profile {
                let engine = engine_with(concurrency);
                clock.advance(INTERVAL);
                run_cycle(&engine, self.stores).await?;
                clock.advance(INTERVAL);
                self.sql.reset(true);
                let started = Instant::now();
                run_cycle(&engine, self.stores).await?;
                let wall = started.elapsed();
                self.sql.reset(false);
                verify(&store, &ids, clock.now(), RunKind::Incremental).await?;
                self.sql.report(name, self.stores, wall, concurrency);
            }
        }
        store.close().await;
        Ok(())
    }

    /// One timed cycle, checked and reported.
    async fn measure(
        &self,
        name: &str,
        concurrency: usize,
        engine: &Engine,
        store: &OrderStore,
        ids: &[StoreId],
        clock: &ManualClock,
    ) -> anyhow::Result<Duration> {
        let rss_before_kb = proc_status_kb("VmRSS")?;
        let hwm_reset = reset_peak_rss();
        let cpu_before = cpu_seconds("self")?;
        let mock_before = self.mock.cpu_seconds()?;
        let requests_before = self.mock.requests.load(Ordering::Relaxed);
        let started = Instant::now();
        run_cycle(engine, self.stores).await?;
        let wall = started.elapsed();
        let cpu = cpu_seconds("self")? - cpu_before;
        let mock_cpu = self.mock.cpu_seconds()? - mock_before;
        let requests = self.mock.requests.load(Ordering::Relaxed) - requests_before;
        let peak_kb = proc_status_kb("VmHWM")?;

        let totals = verify(store, ids, clock.now(), RunKind::Incremental).await?;
        ensure!(
            requests == totals.api_calls && totals.pages == (ids.len() * PAGES_PER_STORE) as i64,
            "{requests} requests reached the mock, the runs record {} calls and {} pages",
            totals.api_calls,
            totals.pages
        );
        let orders = totals.new + totals.changed + totals.unchanged;
        println!(
            "{name:<8} concurrency {concurrency:>4}: {} stores, {orders} orders ({} new, {} \
             changed, {} unchanged), {} pages, {requests} requests, wall {:.2} s, {:.0} orders/s, \
             peak RSS {:.0} MB{} ({:.0} MB before the cycle), CPU {:.2} s (mock server {:.2} s \
             of it)",
            ids.len(),
            totals.new,
            totals.changed,
            totals.unchanged,
            totals.pages,
            wall.as_secs_f64(),
            orders as f64 / wall.as_secs_f64(),
            peak_kb as f64 / 1024.0,
            if hwm_reset {
                ""
            } else {
                " (since start: clear_refs refused)"
            },
            rss_before_kb as f64 / 1024.0,
            cpu,
            mock_cpu,
        );
        let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
        println!(
            "{name:<8} targets: wall < {} s {}, peak RSS < {} MB {}",
            TARGET_WALL.as_secs(),
            verdict(wall < TARGET_WALL),
            TARGET_RSS_KB / 1024,
            verdict(peak_kb < TARGET_RSS_KB),
        );
        Ok(wall)
    }
}

/// Dispatches until every store was claimed once, then waits for the runs to end: the
/// scheduler's loop, without its heartbeat.
async fn run_cycle(engine: &Engine, stores: usize) -> anyhow::Result<()> {
    let mut claimed = 0;
    loop {
        claimed += engine.dispatch().await?;
        if claimed >= stores {
            break;
        }
        if tokio::time::timeout(STUCK, engine.slot_freed())
            .await
            .is_err()
        {
            bail!("no run ended for {STUCK:?} with {claimed} of {stores} stores claimed");
        }
    }
    engine.wait_idle().await;
    let again = engine.dispatch().await?;
    ensure!(again == 0, "{again} stores were still due after the cycle");
    Ok(())
}

#[derive(Debug, Default)]
struct Totals {
    pages: i64,
    new: i64,
    changed: i64,
    unchanged: i64,
    api_calls: u64,
}

/// Every store holds exactly its 20 orders and its latest run is a succeeded run of `kind`
/// started at `at`; fails naming the first store that does not.
async fn verify(
    store: &OrderStore,
    ids: &[StoreId],
    at: DateTime<Utc>,
    kind: RunKind,
) -> anyhow::Result<Totals> {
    let mut t = Totals::default();
    for &id in ids {
        let orders = store.count_orders(id).await?;
        ensure!(
            orders == ORDERS_PER_STORE as u64,
            "store {} holds {orders} orders, not {ORDERS_PER_STORE}",
            id.0
        );
        let runs = store.list_runs(Some(id), None, 1).await?;
        let run = runs
            .first()
            .with_context(|| format!("store {} has no run", id.0))?;
        ensure!(
            run.kind == kind && run.status == RunStatus::Succeeded && run.started_at == Some(at),
            "store {}: latest run is {} {:?} started {:?} ({:?}), not a succeeded {} run of {at}",
            id.0,
            run.kind.as_str(),
            run.status,
            run.started_at,
            run.error,
            kind.as_str()
        );
        t.pages += run.pages;
        t.new += run.orders_new;
        t.changed += run.orders_changed;
        t.unchanged += run.orders_unchanged;
        t.api_calls += u64::try_from(run.api_calls).unwrap_or(0);
    }
    Ok(t)
}

/// Runs one statement on the PostgreSQL server of `DATABASE_URL`.
async fn admin(admin_url: &str, statement: &str) -> anyhow::Result<()> {
    let mut conn = PgConnection::connect(admin_url)
        .await
        .context("DATABASE_URL: connecting")?;
    conn.execute(statement)
        .await
        .with_context(|| format!("DATABASE_URL: `{statement}`"))?;
    conn.close().await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Process figures from /proc.

/// utime + stime of `/proc/<who>/stat` (`self` or `self/task/<tid>`), in seconds.
fn cpu_seconds(who: &str) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{who}/stat"))?;
    // Fields after the parenthesised command name, which may itself hold spaces.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .context("/proc stat without a command name")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15; `rest` starts at field 3.
    let ticks = |i: usize| -> anyhow::Result<f64> {
        Ok(fields
            .get(i - 3)
            .context("/proc stat is short")?
            .parse::<u64>()? as f64)
    };
    Ok((ticks(14)? + ticks(15)?) / CLOCK_TICKS)
}

/// `VmRSS` or `VmHWM` of `/proc/self/status`, in kB.
fn proc_status_kb(key: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .with_context(|| format!("no {key} in /proc/self/status"))?;
    Ok(line.trim().trim_end_matches("kB").trim().parse()?)
}

/// Resets VmHWM to the current RSS, so the peak is the timed cycle's.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

// ---------------------------------------------------------------------------------------------
// The mock Admin API: its own thread and single-threaded runtime, so its CPU can be told
// apart from the engine's.

struct Mock {
    base_url: url::Url,
    requests: Arc<AtomicU64>,
    /// `/proc/self/task/<tid>` of the mock's thread.
    task: String,
}

struct MockState {
    stores: usize,
    requests: Arc<AtomicU64>,
}

impl Mock {
    fn start(stores: usize) -> anyhow::Result<Mock> {
        let requests = Arc::new(AtomicU64::new(0));
        let state = Arc::new(MockState {
            stores,
            requests: Arc::clone(&requests),
        });
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("bench-mock".into())
            .spawn(move || {
                let serve = || -> anyhow::Result<()> {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()?;
                    runtime.block_on(async {
                        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
                        let addr = listener.local_addr()?;
                        let task = std::fs::read_link("/proc/thread-self")?;
                        let _ = tx.send(Ok((addr, task)));
                        let app = axum::Router::new()
                            .route(GRAPHQL_PATH, axum::routing::post(graphql))
                            .with_state(state);
                        axum::serve(listener, app).await?;
                        anyhow::Ok(())
                    })
                };
                if let Err(e) = serve() {
                    let _ = tx.send(Err(e));
                }
            })?;
        let (addr, task) = rx.recv().context("the mock thread ended")??;
        let task = task
            .to_str()
            .and_then(|t| t.split_once("/task/"))
            .map(|(_, tid)| format!("self/task/{tid}"))
            .context("/proc/thread-self is not PID/task/TID")?;
        Ok(Mock {
            base_url: url::Url::parse(&format!("http://{addr}/"))?,
            requests,
            task,
        })
    }

    fn cpu_seconds(&self) -> anyhow::Result<f64> {
        cpu_seconds(&self.task)
    }
}

/// `POST /admin/api/2025-01/graphql.json`, `OrdersPage` only: the store from the access
/// token, the page from `variables.after`, the orders' times from the search filter's window.
async fn graphql(State(mock): State<Arc<MockState>>, headers: HeaderMap, body: Bytes) -> Response {
    mock.requests.fetch_add(1, Ordering::Relaxed);
    let store = headers
        .get("x-shopify-access-token")
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.strip_prefix(TOKEN_PREFIX))
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|&n| n < mock.stores);
    let Some(store) = store else {
        let body = serde_json::json!({ "errors": connector_shopify::INVALID_TOKEN });
        return (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
    };
    match orders_page(store, &body) {
        Ok(page) => (
            [
                (header::CONTENT_TYPE, "application/json; charset=utf-8"),
                (
                    header::HeaderName::from_static("x-shopify-api-version"),
                    "2025-01",
                ),
            ],
            page,
        )
            .into_response(),
        Err(e) => {
            let body = serde_json::json!({ "errors": format!("bench mock: {e:#}") });
            (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
        }
    }
}

fn orders_page(store: usize, body: &[u8]) -> anyhow::Result<String> {
    let request: serde_json::Value = serde_json::from_slice(body)?;
    ensure!(
        request["operationName"] == "OrdersPage",
        "only OrdersPage is served"
    );
    let vars = &request["variables"];
    ensure!(
        vars["first"] == PAGE_SIZE && vars["lines"] == connector_shopify::orders::LINES_PER_ORDER,
        "unexpected `first` or `lines`"
    );
    let page = match vars["after"].as_str() {
        None => 0,
        Some(PAGE_2) => 1,
        Some(other) => bail!("unknown cursor {other}"),
    };
    let query = vars["query"].as_str().context("no `query`")?;
    let (from, to) = query
        .strip_prefix("updated_at:>='")
        .and_then(|q| q.strip_suffix('\''))
        .and_then(|q| q.split_once("' AND updated_at:<'"))
        .context("`query` is not an updated_at range")?;
    let from = DateTime::parse_from_rfc3339(from)?.with_timezone(&Utc);
    let to = DateTime::parse_from_rfc3339(to)?.with_timezone(&Utc);
    ensure!(
        to - from > TimeDelta::minutes(ORDERS_PER_STORE as i64 + 1),
        "window too short"
    );

    let first = page * PAGE_SIZE;
    let last = (first + PAGE_SIZE).min(ORDERS_PER_STORE);
    let more = last < ORDERS_PER_STORE;
    let mut out = String::with_capacity(1400 * PAGE_SIZE + 400);
    write!(
        out,
        r#"{{"data":{{"orders":{{"pageInfo":{{"hasNextPage":{more},"endCursor":"{}"}},"nodes":["#,
        if more { PAGE_2 } else { "bench-last" }
    )?;
    for k in first..last {
        if k > first {
            out.push(',');
        }
        // Created three days before the clock's start; updated inside the window asked for,
        // so every cycle sees each order changed.
        let created = Utc
            .with_ymd_and_hms(2026, 5, 9, 0, 0, 0)
            .single()
            .unwrap_or(from)
            + TimeDelta::minutes(k as i64);
        let updated = from + TimeDelta::minutes(k as i64 + 1);
        order_node(&mut out, store, k, created, updated)?;
    }
    out.push_str(
        r#"]}},"extensions":{"cost":{"requestedQueryCost":763,"actualQueryCost":52,"throttleStatus":{"maximumAvailable":2000.0,"currentlyAvailable":1948,"restoreRate":100.0}}}}"#,
    );
    Ok(out)
}

/// One order in the connector's `OrdersPage` selection, two line items.
fn order_node(
    out: &mut String,
    store: usize,
    k: usize,
    created: DateTime<Utc>,
    updated: DateTime<Utc>,
) -> std::fmt::Result {
    let n = store * 100 + k;
    let id = 6_400_000_000_000 + n as u64;
    let iso = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    let (fulfillment, financial) = match k % 5 {
        3 => ("PARTIALLY_FULFILLED", "PAID"),
        4 => ("FULFILLED", "PAID"),
        _ => ("UNFULFILLED", "PAID"),
    };
    write!(
        out,
        r##"{{"id":"gid://shopify/Order/{id}","legacyResourceId":"{id}","name":"#{}","createdAt":"{}","updatedAt":"{}","processedAt":"{}","cancelledAt":null,"cancelReason":null,"closed":false,"test":false,"displayFinancialStatus":"{financial}","displayFulfillmentStatus":"{fulfillment}","currencyCode":"USD","customer":{{"firstName":"Buyer","lastName":"No{n}"}},"shippingAddress":{{"name":"Buyer No{n}","firstName":"Buyer","lastName":"No{n}","company":null,"address1":"{} Alder Creek Rd","address2":null,"city":"Bend","province":"Oregon","provinceCode":"OR","zip":"97703","country":"United States","countryCodeV2":"US","phone":"+15415550142"}},"lineItems":{{"pageInfo":{{"hasNextPage":false,"endCursor":"lines-{id}"}},"nodes":["##,
        1000 + k,
        iso(created),
        iso(updated),
        iso(created),
        100 + k,
    )?;
    for j in 0..2u64 {
        if j > 0 {
            out.push(',');
        }
        let line = 15_400_000_000_000 + 2 * n as u64 + j;
        let product = 8_870_011_100_000 + (k as u64 + j) % 7;
        write!(
            out,
            r#"{{"id":"gid://shopify/LineItem/{line}","sku":"HP-SKU-{}","title":"Trail Item {}","variantTitle":null,"quantity":{q},"currentQuantity":{q},"requiresShipping":true,"originalUnitPriceSet":{{"shopMoney":{{"amount":"{p}.00","currencyCode":"USD"}}}},"discountedUnitPriceSet":{{"shopMoney":{{"amount":"{p}.00","currencyCode":"USD"}}}},"variant":{{"id":"gid://shopify/ProductVariant/4{product}"}},"product":{{"id":"gid://shopify/Product/{product}"}}}}"#,
            product % 100,
            product % 100,
            q = 1 + j,
            p = 20 + 5 * (product % 7),
        )?;
    }
    out.push_str("]}}");
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// SQL statements per run: sqlx reports every statement as a `sqlx::query` event with its
// first four words and its time.

#[derive(Clone, Default)]
struct SqlCounter {
    inner: Arc<SqlCounterInner>,
}

#[derive(Default)]
struct SqlCounterInner {
    on: AtomicBool,
    /// Count and seconds per statement summary.
    seen: Mutex<HashMap<String, (u64, f64)>>,
}

impl SqlCounter {
    fn reset(&self, on: bool) {
        if on {
            if let Ok(mut seen) = self.inner.seen.lock() {
                seen.clear();
            }
        }
        self.inner.on.store(on, Ordering::SeqCst);
    }

    fn report(&self, name: &str, stores: usize, wall: Duration, concurrency: usize) {
        let Ok(seen) = self.inner.seen.lock() else {
            return;
        };
        let mut rows: Vec<(&String, &(u64, f64))> = seen.iter().collect();
        rows.sort_by(|a, b| b.1 .1.total_cmp(&a.1 .1));
        let (count, secs) = rows
            .iter()
            .fold((0, 0.0), |(c, s), (_, (n, t))| (c + n, s + t));
        println!(
            "{name:<8} profiled cycle (concurrency {concurrency}): wall {:.2} s, {count} \
             statements = {:.1} per run, {secs:.2} s inside statements (summed over \
             connections)",
            wall.as_secs_f64(),
            count as f64 / stores.max(1) as f64
        );
        for (summary, (n, t)) in rows {
            println!(
                "{name:<8}   {:>6.2} per run {:>7.3} s total {:>8.1} us each  {summary}",
                *n as f64 / stores.max(1) as f64,
                t,
                t / (*n).max(1) as f64 * 1e6
            );
        }
    }
}

struct SqlFields {
    summary: String,
    secs: f64,
}

impl Visit for SqlFields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "summary" {
            value.clone_into(&mut self.summary);
        }
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        if field.name() == "elapsed_secs" {
            self.secs = value;
        }
    }

    fn record_debug(&mut self, _field: &Field, _value: &dyn std::fmt::Debug) {}
}

impl<S: Subscriber> Layer<S> for SqlCounter {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if metadata.target() == "sqlx::query" {
            Interest::sometimes()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>, _ctx: LayerContext<'_, S>) -> bool {
        metadata.target() == "sqlx::query" && self.inner.on.load(Ordering::Relaxed)
    }

    fn on_event(&self, event: &Event<'_>, _ctx: LayerContext<'_, S>) {
        let mut fields = SqlFields {
            summary: String::new(),
            secs: 0.0,
        };
        event.record(&mut fields);
        if let Ok(mut seen) = self.inner.seen.lock() {
            let e = seen.entry(fields.summary).or_default();
            e.0 += 1;
            e.1 += fields.secs;
        }
    }
}
