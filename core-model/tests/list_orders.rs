//! `OrderStore::list_orders` and `order_by_id`: every filter, seller scoping and keyset
//! pagination, on SQLite (a temp file) and, when `DATABASE_URL` is set, on PostgreSQL in a
//! database of its own that is dropped afterwards.
#![cfg(feature = "store")]
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

use chrono::{DateTime, Duration, TimeZone, Utc};
use core_model::store::{OrderFilter, OrderId, StoredOrder};
use core_model::{
    Address, FlowStatus, NeutralStatus, OrderLine, Platform, PlatformOrder, SellerId, StoreId,
};
use serde_json::value::RawValue;

// ---------------------------------------------------------------------------------------------
// Harness

#[macro_use]
mod common;

use common::TestDb;

store_tests! {
    filters_select_by_store_status_flow_and_update_time,
    seller_scope_sees_only_its_stores,
    pages_follow_ids_without_gaps_or_repeats,
    time_bounds_are_exact_to_the_microsecond,
    order_by_id_reads_one_order_with_its_lines,
}

// ---------------------------------------------------------------------------------------------
// Data

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap()
}

fn at(minute: i64) -> DateTime<Utc> {
    base() + Duration::minutes(minute)
}

fn order(
    store: StoreId,
    id: &str,
    status: NeutralStatus,
    updated_at: DateTime<Utc>,
) -> PlatformOrder {
    let line = |n: u32| OrderLine {
        line_id: Some(format!("{id}-{n}")),
        platform_sku: format!("SKU-{n}"),
        platform_item_id: None,
        platform_variant_id: None,
        title: None,
        quantity: n,
        unit_price: "1.50".parse().unwrap(),
    };
    PlatformOrder {
        store,
        platform: Platform::Shopify,
        platform_order_id: id.to_owned(),
        platform_status: status.as_str().to_owned(),
        status,
        created_at: base(),
        updated_at,
        currency: "USD".into(),
        buyer_name: Some("Jane Buyer".into()),
        ship_to: Address {
            city: Some("Seattle".into()),
            ..Address::default()
        },
        lines: vec![line(1), line(2)],
        platform_label_hint: false,
        raw: RawValue::from_string(format!(r#"{{"id": "{id}"}}"#)).unwrap(),
    }
}

async fn new_store(db: &TestDb, seller: SellerId, name: &str) -> StoreId {
    db.store
        .create_store(seller, Platform::Shopify, name)
        .await
        .unwrap()
}

/// The platform order ids `filter` selects, in the order listed.
/// The platform order ids `filter` lists; `order_ids` must select the same orders.
async fn ids(db: &TestDb, filter: OrderFilter) -> Vec<String> {
    let listed = db.store.list_orders(&filter).await.unwrap();
    let only_ids = db.store.order_ids(&filter).await.unwrap();
    assert_eq!(only_ids, listed.iter().map(|o| o.id).collect::<Vec<_>>());
    listed
        .into_iter()
        .map(|o| o.order.platform_order_id)
        .collect()
}

use NeutralStatus::{AwaitingFulfillment as Awaiting, Cancelled, Shipped};

/// Two sellers; seller A has stores 1 and 2, seller B store 3. Orders are upserted in id order.
async fn fixture(db: &TestDb) -> (SellerId, SellerId, [StoreId; 3]) {
    let a = db.store.create_seller("A").await.unwrap();
    let b = db.store.create_seller("B").await.unwrap();
    let s1 = new_store(db, a, "a-1").await;
    let s2 = new_store(db, a, "a-2").await;
    let s3 = new_store(db, b, "b-1").await;
    for o in [
        order(s1, "a1-1", Awaiting, at(10)),
        order(s1, "a1-2", Shipped, at(20)),
        order(s1, "a1-3", Cancelled, at(30)),
        order(s2, "a2-1", Awaiting, at(40)),
        order(s3, "b-1", Awaiting, at(15)),
        order(s3, "b-2", Shipped, at(50)),
    ] {
        db.store.upsert_orders(&[o]).await.unwrap();
    }
    (a, b, [s1, s2, s3])
}

// ---------------------------------------------------------------------------------------------
// Cases

async fn filters_select_by_store_status_flow_and_update_time(db: TestDb) {
    let (_, _, [s1, s2, s3]) = fixture(&db).await;
    let all = OrderFilter::default;

    assert_eq!(
        ids(&db, all()).await,
        ["a1-1", "a1-2", "a1-3", "a2-1", "b-1", "b-2"]
    );
    assert_eq!(
        ids(
            &db,
            OrderFilter {
                store: Some(s1),
                ..all()
            }
        )
        .await,
        ["a1-1", "a1-2", "a1-3"]
    );
    assert_eq!(
        ids(
            &db,
            OrderFilter {
                store: Some(s2),
                ..all()
            }
        )
        .await,
        ["a2-1"]
    );
    assert_eq!(
        ids(
            &db,
            OrderFilter {
                status: Some(Awaiting),
                ..all()
            }
        )
        .await,
        ["a1-1", "a2-1", "b-1"]
    );
    assert_eq!(
        ids(
            &db,
            OrderFilter {
                store: Some(s3),
                status: Some(Shipped),
                ..all()
            }
        )
        .await,
        ["b-2"]
    );
    // A new cancelled order starts Cancelled in the flow, a shipped one Shipped.
    assert_eq!(
        ids(
            &db,
            OrderFilter {
                flow_status: Some(FlowStatus::Cancelled),
                ..all()
            }
        )
        .await,
        ["a1-3"]
    );
    assert_eq!(
        ids(
            &db,
            OrderFilter {
                flow_status: Some(FlowStatus::Pending),
                ..all()
            }
        )
        .await,
        ["a1-1", "a2-1", "b-1"]
    );
    // From inclusive, to exclusive.
    assert_eq!(
        ids(
            &db,
            OrderFilter {
                updated_from: Some(at(15)),
                updated_to: Some(at(40)),
                ..all()
            }
        )
        .await,
        ["a1-2", "a1-3", "b-1"]
    );
    assert_eq!(
        ids(
            &db,
            OrderFilter {
                updated_from: Some(at(40)),
                ..all()
            }
        )
        .await,
        ["a2-1", "b-2"]
    );
    assert_eq!(
        ids(
            &db,
            OrderFilter {
                updated_to: Some(at(15)),
                ..all()
            }
        )
        .await,
        ["a1-1"]
    );
    assert_eq!(
        ids(
            &db,
            OrderFilter {
                store: Some(s1),
                status: Some(Awaiting),
                updated_from: Some(at(11)),
                ..all()
            }
        )
        .await,
        Vec::<String>::new()
    );
    assert!(ids(&db, OrderFilter { limit: 0, ..all() }).await.is_empty());
}

async fn seller_scope_sees_only_its_stores(db: TestDb) {
    let (a, b, [_, _, s3]) = fixture(&db).await;
    assert_eq!(
        ids(
            &db,
            OrderFilter {
                seller: Some(a),
                ..OrderFilter::default()
            }
        )
        .await,
        ["a1-1", "a1-2", "a1-3", "a2-1"]
    );
    assert_eq!(
        ids(
            &db,
            OrderFilter {
                seller: Some(b),
                ..OrderFilter::default()
            }
        )
        .await,
        ["b-1", "b-2"]
    );
    // Another seller's store, asked for by id, is simply empty.
    assert!(ids(
        &db,
        OrderFilter {
            seller: Some(a),
            store: Some(s3),
            ..OrderFilter::default()
        }
    )
    .await
    .is_empty());
}

async fn pages_follow_ids_without_gaps_or_repeats(db: TestDb) {
    let (a, _, _) = fixture(&db).await;
    let mut seen = Vec::new();
    let mut after = None;
    let mut pages = 0;
    loop {
        let page = db
            .store
            .list_orders(&OrderFilter {
                seller: Some(a),
                after,
                limit: 3,
                ..OrderFilter::default()
            })
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        pages += 1;
        assert!(page.len() <= 3);
        assert!(page.windows(2).all(|w| w[0].id < w[1].id), "ascending ids");
        after = page.last().map(|o| o.id);
        seen.extend(page.into_iter().map(|o| o.order.platform_order_id));
    }
    assert_eq!(pages, 2);
    assert_eq!(seen, ["a1-1", "a1-2", "a1-3", "a2-1"]);
}

async fn time_bounds_are_exact_to_the_microsecond(db: TestDb) {
    let seller = db.store.create_seller("A").await.unwrap();
    let store = new_store(&db, seller, "a").await;
    let t = base();
    // Whole seconds, milliseconds and microseconds: SQLite keeps these as text of different
    // lengths, which must still compare as times.
    let times = [
        ("whole", t),
        ("micro", t + Duration::microseconds(1)),
        ("milli", t + Duration::milliseconds(500)),
        ("later", t + Duration::microseconds(500_001)),
        ("next", t + Duration::seconds(1)),
    ];
    for (id, when) in times {
        db.store
            .upsert_orders(&[order(store, id, Awaiting, when)])
            .await
            .unwrap();
    }
    let window = |from: DateTime<Utc>, to: DateTime<Utc>| OrderFilter {
        updated_from: Some(from),
        updated_to: Some(to),
        ..OrderFilter::default()
    };
    assert_eq!(
        ids(&db, window(t, t + Duration::microseconds(1))).await,
        ["whole"]
    );
    assert_eq!(
        ids(
            &db,
            window(
                t + Duration::microseconds(1),
                t + Duration::milliseconds(500)
            )
        )
        .await,
        ["micro"]
    );
    assert_eq!(
        ids(
            &db,
            window(t + Duration::milliseconds(500), t + Duration::seconds(1))
        )
        .await,
        ["milli", "later"]
    );
    assert_eq!(
        ids(
            &db,
            window(
                t + Duration::microseconds(500_001),
                t + Duration::seconds(2)
            )
        )
        .await,
        ["later", "next"]
    );
}

async fn order_by_id_reads_one_order_with_its_lines(db: TestDb) {
    let (_, _, [s1, _, _]) = fixture(&db).await;
    let listed: Vec<StoredOrder> = db
        .store
        .list_orders(&OrderFilter {
            store: Some(s1),
            ..OrderFilter::default()
        })
        .await
        .unwrap();
    let second = &listed[1];
    assert_eq!(
        second.order,
        order(s1, "a1-2", Shipped, at(20)),
        "lines in platform order"
    );
    assert_eq!(second.flow_status, FlowStatus::Shipped);

    let found = db.store.order_by_id(second.id).await.unwrap().unwrap();
    assert_eq!(&found, second);
    assert_eq!(
        db.store.get_order(s1, "a1-2").await.unwrap().as_ref(),
        Some(second),
        "reads the same as get_order"
    );
    let missing = OrderId(listed.iter().map(|o| o.id.0).max().unwrap() + 1000);
    assert!(db.store.order_by_id(missing).await.unwrap().is_none());
}
