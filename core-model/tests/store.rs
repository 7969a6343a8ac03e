//! The order store's behaviour suite. Every case runs on SQLite (a temp file) and, when
//! `DATABASE_URL` is set, on PostgreSQL in a database of its own that is dropped afterwards.
#![cfg(feature = "store")]
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, TimeZone, Utc};
use core_model::store::{HistoryKind, StoreError, UpsertStats};
use core_model::{
    Address, FlowStatus, MalformedOrder, MarketplaceError, NeutralStatus, OrderLine, Platform,
    PlatformOrder, StoreId,
};
use rust_decimal::Decimal;
use serde_json::value::RawValue;

#[macro_use]
mod common;

use common::{on_postgres, on_sqlite, Sql, TestDb};

// ---------------------------------------------------------------------------------------------
// Harness

impl TestDb {
    /// A seller with one Amazon store.
    async fn new_store(&self) -> StoreId {
        let seller = self.store.create_seller("Acme Outdoor").await.unwrap();
        self.store
            .create_store(seller, Platform::Amazon, "Acme US")
            .await
            .unwrap()
    }

    async fn flow(&self, store: StoreId, id: &str) -> FlowStatus {
        self.store
            .get_order(store, id)
            .await
            .unwrap()
            .unwrap()
            .flow_status
    }

    async fn history_len(&self, store: StoreId, id: &str) -> usize {
        let order = self.store.get_order(store, id).await.unwrap().unwrap();
        self.store.order_history(order.id).await.unwrap().len()
    }
}

store_tests! {
    upsert_is_idempotent,
    orders_read_back_exactly,
    older_update_never_overwrites_newer,
    pull_never_moves_flow_backwards,
    every_change_lands_in_history,
    overlapping_pulls_leave_one_row_per_order,
    batch_with_the_same_order_twice_keeps_the_newest,
    batch_upsert_is_atomic,
    malformed_orders_are_kept_raw,
    unknown_store_or_seller_is_not_found,
}

// ---------------------------------------------------------------------------------------------
// Orders

fn at(minute: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 8, 0, 0).unwrap() + Duration::minutes(minute)
}

fn amazon_status(status: NeutralStatus) -> &'static str {
    match status {
        NeutralStatus::AwaitingFulfillment => "Unshipped",
        NeutralStatus::Shipped => "Shipped",
        NeutralStatus::Cancelled => "Canceled",
        NeutralStatus::Other => "Pending",
    }
}

/// Order `id` as the platform shows it at `minute`: three lines, raw JSON as Amazon sends it.
fn order(store: StoreId, id: &str, status: NeutralStatus, minute: i64) -> PlatformOrder {
    let updated_at = at(minute);
    let raw = format!(
        r#"{{"AmazonOrderId": "{id}", "OrderStatus": "{}", "LastUpdateDate": "{}",
            "OrderTotal": {{"CurrencyCode": "USD", "Amount": "64.97"}}}}"#,
        amazon_status(status),
        updated_at.to_rfc3339(),
    );
    let line = |n: u32, price: &str| OrderLine {
        line_id: Some(format!("{id}-{n}")),
        platform_sku: format!("TENT-{n}"),
        platform_item_id: Some(format!("B0{n}XYZ")),
        platform_variant_id: None,
        title: Some(format!("Trail tent size {n}")),
        quantity: n,
        unit_price: price.parse().unwrap(),
    };
    PlatformOrder {
        store,
        platform: Platform::Amazon,
        platform_order_id: id.to_owned(),
        platform_status: amazon_status(status).to_owned(),
        status,
        created_at: at(0),
        updated_at,
        currency: "USD".into(),
        buyer_name: Some("Jane Buyer".into()),
        ship_to: Address {
            name: Some("Jane Buyer".into()),
            lines: vec!["1 Main St".into()],
            city: Some("Seattle".into()),
            postal_code: Some("98101".into()),
            country_code: Some("US".into()),
            ..Address::default()
        },
        lines: vec![line(1, "19.99"), line(2, "12.50"), line(3, "0.10")],
        platform_label_hint: false,
        raw: RawValue::from_string(raw).unwrap(),
    }
}

use NeutralStatus::{AwaitingFulfillment as Awaiting, Cancelled, Shipped};

/// Rows one new three-line order writes: the order, its lines, one history row.
const NEW_ORDER_ROWS: u64 = 1 + 3 + 1;
/// Rows one changed three-line order writes: the order, its old and new lines, one history row.
const CHANGED_ORDER_ROWS: u64 = 1 + 3 + 3 + 1;

// ---------------------------------------------------------------------------------------------
// Cases

async fn upsert_is_idempotent(db: TestDb) {
    let store = db.new_store().await;
    let batch: Vec<_> = ["A", "B", "C"]
        .map(|id| order(store, id, Awaiting, 1))
        .into();

    let first = db.store.upsert_orders(&batch).await.unwrap();
    assert_eq!(
        first,
        UpsertStats {
            new: 3,
            rows_written: 3 * NEW_ORDER_ROWS,
            ..Default::default()
        }
    );

    let rows_before = db.count("SELECT COUNT(*) FROM order_lines").await;
    let again = db.store.upsert_orders(&batch).await.unwrap();
    assert_eq!(
        again,
        UpsertStats {
            unchanged: 3,
            ..Default::default()
        }
    );
    assert_eq!(
        db.count("SELECT COUNT(*) FROM order_lines").await,
        rows_before
    );
    assert_eq!(db.store.count_orders(store).await.unwrap(), 3);
    for id in ["A", "B", "C"] {
        assert_eq!(db.history_len(store, id).await, 1);
    }
}

async fn orders_read_back_exactly(db: TestDb) {
    let store = db.new_store().await;
    let mut o = order(store, "A", Awaiting, 1);
    o.updated_at += Duration::microseconds(123_456);
    o.lines[0].unit_price = Decimal::new(19_990, 3); // "19.990": the scale is kept
    o.raw = RawValue::from_string("{ \"AmazonOrderId\" :\"A\",  \"x\": 1.10 }".into()).unwrap();
    db.store
        .upsert_orders(std::slice::from_ref(&o))
        .await
        .unwrap();

    let stored = db.store.get_order(store, "A").await.unwrap().unwrap();
    assert_eq!(stored.order, o);
    assert_eq!(stored.order.raw_json(), o.raw_json());
    assert_eq!(stored.order.lines[0].unit_price.to_string(), "19.990");
    assert_eq!(stored.flow_status, FlowStatus::Pending);
    assert!(db
        .store
        .get_order(store, "missing")
        .await
        .unwrap()
        .is_none());
}

async fn older_update_never_overwrites_newer(db: TestDb) {
    let store = db.new_store().await;
    let newer = order(store, "A", Shipped, 10);
    db.store
        .upsert_orders(std::slice::from_ref(&newer))
        .await
        .unwrap();

    let older = order(store, "A", Awaiting, 5);
    let stats = db.store.upsert_orders(&[older]).await.unwrap();
    assert_eq!(
        stats,
        UpsertStats {
            stale: 1,
            ..Default::default()
        }
    );
    let stored = db.store.get_order(store, "A").await.unwrap().unwrap();
    assert_eq!(stored.order, newer);
    assert_eq!(stored.flow_status, FlowStatus::Shipped);
    assert_eq!(db.history_len(store, "A").await, 1);
}

async fn pull_never_moves_flow_backwards(db: TestDb) {
    let store = db.new_store().await;
    let ids = ["STAYS", "SURFACED", "DROPPED"];
    let batch: Vec<_> = ids.map(|id| order(store, id, Awaiting, 1)).into();
    db.store.upsert_orders(&batch).await.unwrap();
    for id in ids {
        assert_eq!(db.flow(store, id).await, FlowStatus::Pending);
    }
    // The warehouse created fulfillment orders for two of them.
    db.exec(
        "UPDATE platform_orders SET flow_status = 'processing' \
         WHERE platform_order_id IN ('STAYS', 'SURFACED')",
    )
    .await;

    let pull = [
        order(store, "STAYS", Awaiting, 2),
        order(store, "SURFACED", Cancelled, 2),
        order(store, "DROPPED", Cancelled, 2),
    ];
    let stats = db.store.upsert_orders(&pull).await.unwrap();
    assert_eq!(stats.changed, 3);

    assert_eq!(db.flow(store, "STAYS").await, FlowStatus::Processing);
    assert_eq!(db.flow(store, "SURFACED").await, FlowStatus::Exception);
    assert_eq!(db.flow(store, "DROPPED").await, FlowStatus::Cancelled);

    let surfaced = db
        .store
        .get_order(store, "SURFACED")
        .await
        .unwrap()
        .unwrap();
    let last = db
        .store
        .order_history(surfaced.id)
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(last.from_flow_status, Some(FlowStatus::Processing));
    assert_eq!(last.to_flow_status, FlowStatus::Exception);
    assert_eq!(last.detail.as_deref(), Some("cancelled on platform"));
}

async fn every_change_lands_in_history(db: TestDb) {
    let store = db.new_store().await;
    let created = order(store, "A", Awaiting, 1);
    let mut edited = order(store, "A", Awaiting, 2);
    edited.ship_to.postal_code = Some("98102".into()); // the buyer fixed the address
    let shipped = order(store, "A", Shipped, 3);
    for version in [&created, &edited, &edited, &shipped] {
        db.store
            .upsert_orders(std::slice::from_ref(version))
            .await
            .unwrap();
    }

    let id = db.store.get_order(store, "A").await.unwrap().unwrap().id;
    let history = db.store.order_history(id).await.unwrap();
    let seen: Vec<_> = history
        .iter()
        .map(|h| {
            (
                h.kind,
                h.from_flow_status,
                h.to_flow_status,
                h.platform_status.as_deref(),
                h.platform_updated_at,
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (
                HistoryKind::Created,
                None,
                FlowStatus::Pending,
                Some("Unshipped"),
                Some(at(1))
            ),
            (
                HistoryKind::PlatformUpdate,
                Some(FlowStatus::Pending),
                FlowStatus::Pending,
                Some("Unshipped"),
                Some(at(2)),
            ),
            (
                HistoryKind::PlatformUpdate,
                Some(FlowStatus::Pending),
                FlowStatus::Shipped,
                Some("Shipped"),
                Some(at(3)),
            ),
        ]
    );
    assert!(history.iter().all(|h| h.detail.is_none()));
}

async fn overlapping_pulls_leave_one_row_per_order(db: TestDb) {
    const ORDERS: usize = 50;
    const PULLS: i64 = 200;
    let store = db.new_store().await;
    let mut window: Vec<_> = (0..ORDERS)
        .map(|n| order(store, &format!("W{n:02}"), Awaiting, 0))
        .collect();
    let mut changes = [0usize; ORDERS];

    for pull in 0..PULLS {
        // Every tenth pull, two orders were updated on the platform since the last one.
        let mut changed_now: u64 = 0;
        if pull > 0 && pull % 10 == 0 {
            for n in [
                pull as usize / 10 % ORDERS,
                (pull as usize / 10 + 25) % ORDERS,
            ] {
                let status = if pull % 20 == 0 { Shipped } else { Awaiting };
                window[n] = order(store, &format!("W{n:02}"), status, pull);
                changes[n] += 1;
                changed_now += 1;
            }
        }
        let history_before = db.count("SELECT COUNT(*) FROM order_history").await;

        // The window arrives in pages, as the connector pages through it.
        let mut total = UpsertStats::default();
        for page in window.chunks(20) {
            total += db.store.upsert_orders(page).await.unwrap();
        }

        let history_after = db.count("SELECT COUNT(*) FROM order_history").await;
        if pull == 0 {
            assert_eq!(total.new, ORDERS as u64);
            continue;
        }
        assert_eq!(
            total,
            UpsertStats {
                changed: changed_now,
                unchanged: ORDERS as u64 - changed_now,
                rows_written: changed_now * CHANGED_ORDER_ROWS,
                ..Default::default()
            },
            "pull {pull}"
        );
        assert_eq!(
            history_after - history_before,
            changed_now as i64,
            "pull {pull}"
        );
    }

    assert_eq!(db.store.count_orders(store).await.unwrap(), ORDERS as u64);
    assert_eq!(
        db.count("SELECT COUNT(*) FROM platform_orders").await,
        ORDERS as i64
    );
    assert_eq!(
        db.count("SELECT COUNT(*) FROM order_lines").await,
        3 * ORDERS as i64
    );
    for (n, changed) in changes.iter().enumerate() {
        assert_eq!(
            db.history_len(store, &format!("W{n:02}")).await,
            1 + changed,
            "W{n:02}"
        );
    }
}

async fn batch_with_the_same_order_twice_keeps_the_newest(db: TestDb) {
    let store = db.new_store().await;
    let newer = order(store, "A", Shipped, 10);
    let stats = db
        .store
        .upsert_orders(&[newer.clone(), order(store, "A", Awaiting, 5)])
        .await;
    assert_eq!(
        stats.unwrap(),
        UpsertStats {
            new: 1,
            rows_written: NEW_ORDER_ROWS,
            ..Default::default()
        }
    );
    assert_eq!(
        db.store.get_order(store, "A").await.unwrap().unwrap().order,
        newer
    );

    // Same update time: the later copy wins.
    let first = order(store, "B", Awaiting, 7);
    let mut second = order(store, "B", Awaiting, 7);
    second.buyer_name = Some("J. Buyer".into());
    db.store
        .upsert_orders(&[first, second.clone()])
        .await
        .unwrap();
    assert_eq!(
        db.store.get_order(store, "B").await.unwrap().unwrap().order,
        second
    );
    assert_eq!(db.history_len(store, "B").await, 1);
}

async fn batch_upsert_is_atomic(db: TestDb) {
    let store = db.new_store().await;
    let before = ["A", "POISON", "B"].map(|id| order(store, id, Awaiting, 1));
    db.store.upsert_orders(&before).await.unwrap();
    // A real failure inside the database, raised when the batch reaches one order.
    db.exec_per_backend(
        "CREATE TRIGGER poison BEFORE UPDATE ON platform_orders \
         WHEN NEW.platform_order_id = 'POISON' \
         BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
        "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
           IF NEW.platform_order_id = 'POISON' THEN RAISE EXCEPTION 'injected failure'; END IF; \
           RETURN NEW; \
         END $$; \
         CREATE TRIGGER poison BEFORE UPDATE ON platform_orders \
         FOR EACH ROW EXECUTE FUNCTION poison();",
    )
    .await;
    let tables = ["platform_orders", "order_lines", "order_history"];
    let mut counts = Vec::new();
    for t in tables {
        counts.push(db.count(&format!("SELECT COUNT(*) FROM {t}")).await);
    }

    // New orders are inserted and A is updated before the batch reaches POISON.
    let batch = [
        order(store, "NEW1", Awaiting, 2),
        order(store, "A", Shipped, 2),
        order(store, "POISON", Shipped, 2),
        order(store, "B", Shipped, 2),
        order(store, "NEW2", Awaiting, 2),
    ];
    let err = db.store.upsert_orders(&batch).await.unwrap_err();
    assert!(matches!(err, StoreError::Database(_)), "{err:?}");
    assert!(format!("{err:?}").contains("injected failure"), "{err:?}");

    for (t, before) in tables.iter().zip(counts) {
        assert_eq!(
            db.count(&format!("SELECT COUNT(*) FROM {t}")).await,
            before,
            "{t}"
        );
    }
    for o in &before {
        let stored = db
            .store
            .get_order(store, &o.platform_order_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&stored.order, o);
        assert_eq!(stored.flow_status, FlowStatus::Pending);
    }
    assert!(db.store.get_order(store, "NEW1").await.unwrap().is_none());
}

async fn malformed_orders_are_kept_raw(db: TestDb) {
    let store = db.new_store().await;
    let raw = "{\"AmazonOrderId\": \"M1\", \"OrderTotal\": {\"Amount\": \"12,50\"} }";
    let malformed = |id: Option<&str>, why: &str| MalformedOrder {
        platform_order_id: id.map(str::to_owned),
        raw: raw.to_owned(),
        error: MarketplaceError::malformed(why.to_owned()),
    };
    let written = db
        .store
        .record_malformed(
            store,
            &[
                malformed(Some("M1"), "bad amount"),
                malformed(None, "no id"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(written, 2);
    // The same order again on the next pull replaces its copy rather than adding one.
    db.store
        .record_malformed(store, &[malformed(Some("M1"), "bad amount again")])
        .await
        .unwrap();

    let kept = db.store.malformed_orders(store).await.unwrap();
    assert_eq!(kept.len(), 2);
    let m1 = kept
        .iter()
        .find(|m| m.platform_order_id.as_deref() == Some("M1"))
        .unwrap();
    assert_eq!(m1.raw, raw);
    assert_eq!(m1.kind, "malformed");
    assert!(m1.error.contains("bad amount again"), "{}", m1.error);
    let unnamed = kept.iter().find(|m| m.platform_order_id.is_none()).unwrap();
    assert_eq!(unnamed.raw, raw);
    assert_eq!(db.store.count_orders(store).await.unwrap(), 0);
    assert!(!format!("{m1:?}").contains("12,50"));

    // Once M1 arrives readable it is stored and no longer flagged; the unnamed one stays.
    let stats = db
        .store
        .upsert_orders(&[order(store, "M1", Awaiting, 1)])
        .await
        .unwrap();
    assert_eq!(stats.new, 1);
    let kept = db.store.malformed_orders(store).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert!(kept[0].platform_order_id.is_none());
}

async fn unknown_store_or_seller_is_not_found(db: TestDb) {
    let nowhere = StoreId(9_999);
    let err = db
        .store
        .upsert_orders(&[order(nowhere, "A", Awaiting, 1)])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound("store")), "{err:?}");
    let err = db
        .store
        .create_store(core_model::SellerId(9_999), Platform::Shopee, "x")
        .await;
    assert!(
        matches!(err, Err(StoreError::NotFound("seller"))),
        "{err:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// The two migration sets stay in step

#[test]
fn migration_sets_list_the_same_files() {
    let names = |backend: &str| -> BTreeSet<String> {
        let dir = format!("{}/migrations/{backend}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect()
    };
    let sqlite = names("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, names("postgres"));
}

#[tokio::test]
async fn migration_sets_create_the_same_columns() {
    async fn columns(db: TestDb) -> BTreeSet<(String, String)> {
        let rows: Vec<(String, String)> = match &db.sql {
            Sql::Sqlite(pool) => sqlx::query_as(
                "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
                 AND m.name NOT LIKE '_sqlx%'",
            )
            .fetch_all(pool)
            .await
            .unwrap(),
            Sql::Postgres(pool) => sqlx::query_as(
                "SELECT table_name::text, column_name::text FROM information_schema.columns \
                 WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%'",
            )
            .fetch_all(pool)
            .await
            .unwrap(),
        };
        rows.into_iter().collect()
    }
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let sqlite_tx = tx.clone();
    on_sqlite(|db| async move { sqlite_tx.send(("sqlite", columns(db).await)).unwrap() }).await;
    on_postgres(|db| async move { tx.send(("postgres", columns(db).await)).unwrap() }).await;

    let (_, sqlite) = rx.recv().await.unwrap();
    assert!(sqlite.contains(&("platform_orders".into(), "content_hash".into())));
    if let Ok((_, postgres)) = rx.try_recv() {
        assert_eq!(sqlite, postgres);
    }
}
