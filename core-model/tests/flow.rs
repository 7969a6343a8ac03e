//! The OMS flow on the order store: assignment, review and its refusals, platform labels,
//! fulfillment orders from Draft to Shipped with their inventory movements and the tracking
//! outbox, cancelling and moving back to Pending, platform cancellations. Every case runs on
//! SQLite and, when `DATABASE_URL` is set, on PostgreSQL.
#![cfg(feature = "store")]
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

use bytes::Bytes;
use chrono::{DateTime, Duration, TimeZone, Utc};
use core_model::fulfillment::{
    refusal, ChannelId, ChannelKind, FulfillmentId, FulfillmentStatus, ProductId, WarehouseId,
};
use core_model::store::csv_import::ImportError;
use core_model::store::flow::{
    FulfillmentFilter, FulfillmentPatch, LabelOutcome, NewFulfillment, NewFulfillmentLine,
    ShipReport, SUBMIT_ORDER_LEFT,
};
use core_model::store::warehouse::NewChannel;
use core_model::store::{OrderId, StoreError, TokenScope, UploadStatus};
use core_model::{
    Address, FlowStatus, Label, LabelFormat, NeutralStatus, OrderLine, Parcel, Platform,
    PlatformOrder, SellerId, StoreId,
};
use serde_json::value::RawValue;

#[macro_use]
mod common;

use common::TestDb;

store_tests! {
    review_refuses_with_the_guides_messages_and_changes_nothing,
    review_on_a_warehouse_channel_creates_a_draft_and_moves_to_processing,
    bundles_multiply_and_mappings_stay_in_their_store,
    platform_labels_are_fetched_then_become_fulfillment_orders,
    submission_reserves_stock_or_fails_into_exception,
    shipping_deducts_stock_and_queues_the_upload_in_the_same_transaction,
    platform_label_shipments_need_no_upload,
    cancel_then_back_to_pending_then_review_again,
    platform_cancellations_surface_on_the_next_pull,
    auto_submit_picks_only_opted_in_sellers,
    manual_fulfillment_orders_and_all_or_nothing_creation,
    manual_fulfillment_orders_import_from_csv,
    label_spec_ships_from_the_warehouse_in_one_parcel,
    one_submission_of_many_records_each_reservation_in_turn,
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap()
}

fn at(minute: i64) -> DateTime<Utc> {
    t0() + Duration::minutes(minute)
}

/// A seller with a Shopify store, a warehouse with a warehouse channel (UPS) and a
/// platform-label channel, two approved and measured products with stock, and funds.
struct World {
    seller: SellerId,
    store: StoreId,
    warehouse: WarehouseId,
    ups: ChannelId,
    platform_label: ChannelId,
    mug: ProductId,
    lid: ProductId,
}

impl TestDb {
    async fn world(&self) -> World {
        let seller = self.store.create_seller("acme").await.unwrap();
        let store = self
            .store
            .create_store(seller, Platform::Shopify, "acme-shop")
            .await
            .unwrap();
        let warehouse = self
            .store
            .create_warehouse("LAX-1", "Los Angeles", "USD")
            .await
            .unwrap();
        let ups = self
            .store
            .create_channel(&NewChannel {
                warehouse,
                code: "UPS-GROUND",
                name: "UPS Ground",
                kind: ChannelKind::Warehouse,
                carrier_code: Some("UPS"),
            })
            .await
            .unwrap();
        let platform_label = self
            .store
            .create_channel(&NewChannel {
                warehouse,
                code: "PLATFORM",
                name: "Platform label",
                kind: ChannelKind::PlatformLabel,
                carrier_code: None,
            })
            .await
            .unwrap();
        let mug = self.product(seller, "MUG-1", "approved", true).await;
        let lid = self.product(seller, "LID-1", "approved", true).await;
        self.stock(warehouse, mug, 10).await;
        self.stock(warehouse, lid, 10).await;
        self.funds(seller, "100.00", "0").await;
        World {
            seller,
            store,
            warehouse,
            ups,
            platform_label,
            mug,
            lid,
        }
    }

    async fn product(
        &self,
        seller: SellerId,
        sku: &str,
        status: &str,
        measured: bool,
    ) -> ProductId {
        self.exec(&format!(
            "INSERT INTO products (seller_id, sku, name, status, measured, created_at, updated_at) \
             VALUES ({}, '{sku}', '{sku}', '{status}', {measured}, '2026-05-01T00:00:00Z', \
             '2026-05-01T00:00:00Z')",
            seller.0
        ))
        .await;
        ProductId(
            self.count(&format!(
                "SELECT id FROM products WHERE seller_id = {} AND sku = '{sku}'",
                seller.0
            ))
            .await,
        )
    }

    async fn stock(&self, warehouse: WarehouseId, product: ProductId, units: i64) {
        self.exec(&format!(
            "INSERT INTO inventory (warehouse_id, product_id, kind, available, reserved) \
             VALUES ({}, {}, 'product', {units}, 0)",
            warehouse.0, product.0
        ))
        .await;
        self.exec(&format!(
            "INSERT INTO inventory_lots (warehouse_id, product_id, kind, received_at, remaining) \
             VALUES ({}, {}, 'product', '2026-04-01T00:00:00Z', {units})",
            warehouse.0, product.0
        ))
        .await;
    }

    async fn funds(&self, seller: SellerId, balance: &str, credit: &str) {
        self.exec(&format!(
            "DELETE FROM seller_accounts WHERE seller_id = {0}; \
             INSERT INTO seller_accounts (seller_id, currency, balance, credit_limit, updated_at) \
             VALUES ({0}, 'USD', '{balance}', '{credit}', '2026-05-01T00:00:00Z')",
            seller.0
        ))
        .await;
    }

    async fn map(&self, store: StoreId, platform_sku: &str, product: ProductId, quantity: i64) {
        self.exec(&format!(
            "INSERT INTO product_mappings (store_id, platform_sku, product_id, quantity, created_at) \
             VALUES ({}, '{platform_sku}', {}, {quantity}, '2026-05-01T00:00:00Z')",
            store.0, product.0
        ))
        .await;
    }

    async fn available(&self, warehouse: WarehouseId, product: ProductId) -> (i64, i64) {
        let a = self
            .count(&format!(
                "SELECT available FROM inventory WHERE warehouse_id = {} AND product_id = {} \
                 AND kind = 'product'",
                warehouse.0, product.0
            ))
            .await;
        let r = self
            .count(&format!(
                "SELECT reserved FROM inventory WHERE warehouse_id = {} AND product_id = {} \
                 AND kind = 'product'",
                warehouse.0, product.0
            ))
            .await;
        (a, r)
    }

    /// Pulls an order with these (platform SKU, quantity) lines into `store`.
    async fn pull(
        &self,
        store: StoreId,
        id: &str,
        lines: &[(&str, u32)],
        status: NeutralStatus,
        minute: i64,
    ) -> OrderId {
        let o = order(store, id, lines, status, minute);
        self.store.upsert_orders(&[o]).await.unwrap();
        self.store.get_order(store, id).await.unwrap().unwrap().id
    }

    async fn flow(&self, order: OrderId) -> FlowStatus {
        self.store
            .order_flow(order, None)
            .await
            .unwrap()
            .unwrap()
            .flow_status
    }

    /// Assigns and reviews one order, expecting it to pass.
    async fn reviewed(
        &self,
        w: &World,
        order: OrderId,
        channel: ChannelId,
    ) -> Option<FulfillmentId> {
        self.store
            .assign_order(order, Some(w.seller), w.warehouse, channel, at(1))
            .await
            .unwrap();
        let out = self
            .store
            .review_orders(&[order], Some(w.seller), at(2))
            .await
            .unwrap();
        assert!(out[0].ok, "{:?}", out[0]);
        out[0].fulfillment_id
    }
}

fn order(
    store: StoreId,
    id: &str,
    lines: &[(&str, u32)],
    status: NeutralStatus,
    minute: i64,
) -> PlatformOrder {
    let platform_status = match status {
        NeutralStatus::Cancelled => "cancelled",
        NeutralStatus::Shipped => "fulfilled",
        _ => "unfulfilled",
    };
    PlatformOrder {
        store,
        platform: Platform::Shopify,
        platform_order_id: id.to_owned(),
        platform_status: platform_status.to_owned(),
        status,
        created_at: at(0),
        updated_at: at(minute),
        currency: "USD".into(),
        buyer_name: None,
        ship_to: Address {
            city: Some("Seattle".into()),
            country_code: Some("US".into()),
            ..Address::default()
        },
        lines: lines
            .iter()
            .enumerate()
            .map(|(n, (sku, qty))| OrderLine {
                line_id: Some(format!("{id}-L{n}")),
                platform_sku: (*sku).to_owned(),
                platform_item_id: Some(format!("ITEM-{sku}")),
                platform_variant_id: None,
                title: None,
                quantity: *qty,
                unit_price: "9.99".parse().unwrap(),
            })
            .collect(),
        platform_label_hint: false,
        raw: RawValue::from_string(format!(r#"{{"id":"{id}","v":{minute}}}"#)).unwrap(),
    }
}

fn label() -> Label {
    Label {
        format: LabelFormat::Pdf,
        bytes: Bytes::from_static(b"%PDF-1.4 label"),
        tracking_number: Some("SPX123".into()),
        carrier: Some("SPX".into()),
    }
}

async fn review_refuses_with_the_guides_messages_and_changes_nothing(db: TestDb) {
    let w = db.world().await;
    let unmeasured = db.product(w.seller, "CUP-NEW", "approved", false).await;
    let unapproved = db.product(w.seller, "CUP-DRAFT", "submitted", true).await;
    db.stock(w.warehouse, unmeasured, 5).await;
    db.map(w.store, "SHOP-MUG", w.mug, 1).await;
    db.map(w.store, "SHOP-CUP", unmeasured, 1).await;
    db.map(w.store, "SHOP-DRAFT", unapproved, 1).await;

    let unbound = db
        .pull(
            w.store,
            "1001",
            &[("SHOP-HAT", 1)],
            NeutralStatus::AwaitingFulfillment,
            1,
        )
        .await;
    let not_measured = db
        .pull(
            w.store,
            "1002",
            &[("SHOP-CUP", 1)],
            NeutralStatus::AwaitingFulfillment,
            1,
        )
        .await;
    let not_approved = db
        .pull(
            w.store,
            "1003",
            &[("SHOP-DRAFT", 1)],
            NeutralStatus::AwaitingFulfillment,
            1,
        )
        .await;
    let too_many = db
        .pull(
            w.store,
            "1004",
            &[("SHOP-MUG", 11)],
            NeutralStatus::AwaitingFulfillment,
            1,
        )
        .await;
    let unassigned = db
        .pull(
            w.store,
            "1005",
            &[("SHOP-MUG", 1)],
            NeutralStatus::AwaitingFulfillment,
            1,
        )
        .await;
    let fine = db
        .pull(
            w.store,
            "1006",
            &[("SHOP-MUG", 10)],
            NeutralStatus::AwaitingFulfillment,
            1,
        )
        .await;
    for o in [unbound, not_measured, not_approved, too_many, fine] {
        db.store
            .assign_order(o, None, w.warehouse, w.ups, at(1))
            .await
            .unwrap();
    }

    let ids = [
        unbound,
        not_measured,
        not_approved,
        too_many,
        unassigned,
        fine,
    ];
    let out = db
        .store
        .review_orders(&ids, Some(w.seller), at(2))
        .await
        .unwrap();
    let messages: Vec<Option<&str>> = out.iter().map(|o| o.message.as_deref()).collect();
    assert_eq!(
        messages,
        [
            Some(refusal::SKU_NOT_BOUND),
            Some(refusal::NOT_MEASURED),
            Some(refusal::NOT_APPROVED),
            Some(refusal::INSUFFICIENT_INVENTORY),
            Some("assign a warehouse and a shipping channel before review"),
            None,
        ]
    );
    assert_eq!(out[0].detail.as_deref(), Some("platform SKU SHOP-HAT"));
    assert_eq!(
        out[3].detail.as_deref(),
        Some("system SKU MUG-1: 11 needed, 10 available")
    );
    assert!(out[5].ok);
    // Refused orders are untouched: still Pending, no fulfillment order, no history entry.
    for o in &ids[..5] {
        assert_eq!(db.flow(*o).await, FlowStatus::Pending);
    }
    assert_eq!(db.count("SELECT COUNT(*) FROM fulfillment_orders").await, 1);
    assert_eq!(
        db.count("SELECT COUNT(*) FROM order_history WHERE kind = 'reviewed'")
            .await,
        1
    );
    // Review reserves nothing: stock is reserved at submission.
    assert_eq!(db.available(w.warehouse, w.mug).await, (10, 0));

    // No available amount: balance + credit limit <= 0.
    db.funds(w.seller, "-50.00", "50.00").await;
    let broke = db
        .pull(
            w.store,
            "1007",
            &[("SHOP-MUG", 1)],
            NeutralStatus::AwaitingFulfillment,
            1,
        )
        .await;
    db.store
        .assign_order(broke, None, w.warehouse, w.ups, at(1))
        .await
        .unwrap();
    let out = db.store.review_orders(&[broke], None, at(2)).await.unwrap();
    assert_eq!(
        out[0].message.as_deref(),
        Some(refusal::NO_AVAILABLE_AMOUNT)
    );
    db.funds(w.seller, "-50.00", "50.01").await;
    assert!(db.store.review_orders(&[broke], None, at(3)).await.unwrap()[0].ok);

    // Another seller's order is "not found" to this seller and is left alone.
    let other = db.store.create_seller("other").await.unwrap();
    let out = db
        .store
        .review_orders(&[unbound], Some(other), at(4))
        .await
        .unwrap();
    assert_eq!(out[0].message.as_deref(), Some("order not found"));
    // A second review of a reviewed order is refused; the repeat id reports the same.
    let out = db
        .store
        .review_orders(&[fine, fine], None, at(4))
        .await
        .unwrap();
    assert_eq!(
        out[0].message.as_deref(),
        Some("only a Pending order can be reviewed")
    );
    assert_eq!(out[0], out[1]);
}

async fn review_on_a_warehouse_channel_creates_a_draft_and_moves_to_processing(db: TestDb) {
    let w = db.world().await;
    db.map(w.store, "SHOP-MUG", w.mug, 1).await;
    let o = db
        .pull(
            w.store,
            "2001",
            &[("SHOP-MUG", 2)],
            NeutralStatus::AwaitingFulfillment,
            1,
        )
        .await;
    let fo = db.reviewed(&w, o, w.ups).await.unwrap();
    assert_eq!(db.flow(o).await, FlowStatus::Processing);
    let f = db
        .store
        .get_fulfillment(fo, TokenScope::Seller(w.seller))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(f.status, FulfillmentStatus::DraftFetching);
    assert_eq!(f.order_id, Some(o));
    assert_eq!(f.reference, "2001");
    assert_eq!(f.lines.len(), 1);
    assert_eq!((f.lines[0].product_id, f.lines[0].quantity), (w.mug, 2));
    let flow = db.store.order_flow(o, None).await.unwrap().unwrap();
    assert_eq!(flow.fulfillment_ids, vec![fo]);
    assert_eq!(flow.warehouse_id, Some(w.warehouse));
    let kinds: Vec<_> = db
        .store
        .order_history(o)
        .await
        .unwrap()
        .iter()
        .map(|h| h.kind.as_str())
        .collect();
    assert_eq!(kinds, ["created", "assigned", "reviewed"]);
    // Another seller and another warehouse do not see it.
    let other = db.store.create_seller("other").await.unwrap();
    assert!(db
        .store
        .get_fulfillment(fo, TokenScope::Seller(other))
        .await
        .unwrap()
        .is_none());
    let wh2 = db
        .store
        .create_warehouse("NYC-1", "New York", "USD")
        .await
        .unwrap();
    assert!(db
        .store
        .get_fulfillment(fo, TokenScope::Warehouse(wh2))
        .await
        .unwrap()
        .is_none());
    assert!(db
        .store
        .get_fulfillment(fo, TokenScope::Warehouse(w.warehouse))
        .await
        .unwrap()
        .is_some());
    // The channel must belong to the assigned warehouse.
    let o2 = db
        .pull(
            w.store,
            "2002",
            &[("SHOP-MUG", 1)],
            NeutralStatus::AwaitingFulfillment,
            1,
        )
        .await;
    let err = db
        .store
        .assign_order(o2, None, wh2, w.ups, at(1))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Invalid(ref m) if m.contains("another warehouse")),
        "{err}"
    );
}

async fn bundles_multiply_and_mappings_stay_in_their_store(db: TestDb) {
    let w = db.world().await;
    db.map(w.store, "GIFT-SET", w.mug, 2).await;
    db.map(w.store, "GIFT-SET", w.lid, 1).await;
    let o = db
        .pull(
            w.store,
            "3001",
            &[("GIFT-SET", 3)],
            NeutralStatus::AwaitingFulfillment,
            1,
        )
        .await;
    let fo = db.reviewed(&w, o, w.ups).await.unwrap();
    let f = db
        .store
        .get_fulfillment(fo, TokenScope::Operator)
        .await
        .unwrap()
        .unwrap();
    let lines: Vec<(ProductId, i64)> = f.lines.iter().map(|l| (l.product_id, l.quantity)).collect();
    assert_eq!(lines, [(w.mug, 6), (w.lid, 3)]);

    // The same seller's second store has no mapping for GIFT-SET: refused there.
    let second = db
        .store
        .create_store(w.seller, Platform::Amazon, "acme-amz")
        .await
        .unwrap();
    let o2 = db
        .pull(
            second,
            "3002",
            &[("GIFT-SET", 1)],
            NeutralStatus::AwaitingFulfillment,
            1,
        )
        .await;
    db.store
        .assign_order(o2, None, w.warehouse, w.ups, at(1))
        .await
        .unwrap();
    let out = db.store.review_orders(&[o2], None, at(2)).await.unwrap();
    assert_eq!(out[0].message.as_deref(), Some(refusal::SKU_NOT_BOUND));
}

async fn platform_labels_are_fetched_then_become_fulfillment_orders(db: TestDb) {
    let w = db.world().await;
    db.map(w.store, "SHOP-MUG", w.mug, 1).await;
    let ok = db
        .pull(
            w.store,
            "4001",
            &[("SHOP-MUG", 1)],
            NeutralStatus::AwaitingFulfillment,
            1,
        )
        .await;
    let refused = db
        .pull(
            w.store,
            "4002",
            &[("SHOP-MUG", 1)],
            NeutralStatus::AwaitingFulfillment,
            1,
        )
        .await;
    assert_eq!(db.reviewed(&w, ok, w.platform_label).await, None);
    db.reviewed(&w, refused, w.platform_label).await;
    assert_eq!(db.flow(ok).await, FlowStatus::WaitingForLabel);
    assert_eq!(db.store.label_backlog().await.unwrap(), 2);

    let ttl = chrono::TimeDelta::minutes(5);
    let claimed = db
        .store
        .claim_label_jobs("r1", at(3), ttl, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 2);
    assert_eq!(claimed[0].store_id, w.store);
    // Claimed: another replica gets nothing until the claim expires.
    assert!(db
        .store
        .claim_label_jobs("r2", at(3), ttl, 10)
        .await
        .unwrap()
        .is_empty());

    // A transient failure waits; the order stays where it is.
    let retry = LabelOutcome::Retry {
        at: at(10),
        error: "throttled".into(),
    };
    assert_eq!(
        db.store
            .finish_label_job(ok, "r1", &retry, at(3))
            .await
            .unwrap(),
        None
    );
    let job = db
        .store
        .order_flow(ok, None)
        .await
        .unwrap()
        .unwrap()
        .label
        .unwrap();
    assert_eq!(
        (job.status.as_str(), job.attempts, job.next_attempt),
        ("pending", 1, Some(at(10)))
    );
    // At 9 only the other fetch is claimable again (its claim expired at 8); this one waits.
    let early = db
        .store
        .claim_label_jobs("r1", at(9), ttl, 10)
        .await
        .unwrap();
    assert_eq!(
        early.iter().map(|c| c.order_id).collect::<Vec<_>>(),
        [refused]
    );
    let again = db
        .store
        .claim_label_jobs("r1", at(10), ttl, 10)
        .await
        .unwrap();
    assert_eq!(again.iter().map(|c| c.order_id).collect::<Vec<_>>(), [ok]);
    // A lost claim records nothing.
    let stolen = db
        .store
        .finish_label_job(ok, "r2", &LabelOutcome::Fetched(label()), at(10))
        .await;
    assert_eq!(stolen.unwrap(), None);

    let fo = db
        .store
        .finish_label_job(ok, "r1", &LabelOutcome::Fetched(label()), at(10))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(db.flow(ok).await, FlowStatus::Processing);
    let f = db
        .store
        .get_fulfillment(fo, TokenScope::Operator)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(f.status, FulfillmentStatus::DraftPendingSubmit);
    assert_eq!(f.tracking_number.as_deref(), Some("SPX123"));
    assert!(f.label_document_id.is_some());
    assert_eq!(f.lines.len(), 1);
    assert_eq!(
        db.count("SELECT COUNT(*) FROM documents WHERE kind = 'platform_label'")
            .await,
        1
    );

    // A permanent refusal: Exception with the platform's reason.
    let failed = LabelOutcome::Failed {
        error: "logistics_not_ready: the package is not ready".into(),
    };
    assert_eq!(
        db.store
            .finish_label_job(refused, "r1", &failed, at(10))
            .await
            .unwrap(),
        None
    );
    let flow = db.store.order_flow(refused, None).await.unwrap().unwrap();
    assert_eq!(flow.flow_status, FlowStatus::Exception);
    assert_eq!(
        flow.exception_reason.as_deref(),
        Some("logistics_not_ready: the package is not ready")
    );
    assert_eq!(flow.label.unwrap().status, "failed");
    assert_eq!(db.store.label_backlog().await.unwrap(), 0);
}

/// An order reviewed on the UPS channel with its carrier label reported.
async fn ready_to_submit(db: &TestDb, w: &World, id: &str, qty: u32) -> (OrderId, FulfillmentId) {
    let o = db
        .pull(
            w.store,
            id,
            &[("SHOP-MUG", qty)],
            NeutralStatus::AwaitingFulfillment,
            1,
        )
        .await;
    let fo = db.reviewed(w, o, w.ups).await.unwrap();
    db.store
        .report_carrier_label(
            fo,
            TokenScope::Warehouse(w.warehouse),
            None,
            &format!("1Z{id}"),
            Some(("pdf", b"%PDF")),
            at(3),
        )
        .await
        .unwrap();
    (o, fo)
}

async fn submission_reserves_stock_or_fails_into_exception(db: TestDb) {
    let w = db.world().await;
    db.map(w.store, "SHOP-MUG", w.mug, 1).await;
    let (_, first) = ready_to_submit(&db, &w, "5001", 6).await;
    let (_, second) = ready_to_submit(&db, &w, "5002", 6).await;
    let (_, fetching) = {
        let o = db
            .pull(
                w.store,
                "5003",
                &[("SHOP-MUG", 1)],
                NeutralStatus::AwaitingFulfillment,
                1,
            )
            .await;
        (o, db.reviewed(&w, o, w.ups).await.unwrap())
    };
    let f = db
        .store
        .get_fulfillment(first, TokenScope::Operator)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(f.status, FulfillmentStatus::DraftPendingSubmit);
    assert_eq!(
        f.carrier_code.as_deref(),
        Some("UPS"),
        "the channel's carrier by default"
    );

    // Both passed review against 10 in stock; only the first can be reserved.
    let out = db
        .store
        .submit_fulfillments(
            &[first, second, fetching],
            TokenScope::Seller(w.seller),
            at(4),
        )
        .await
        .unwrap();
    assert!(out[0].ok);
    assert_eq!(out[1].status, Some(FulfillmentStatus::Exception));
    assert_eq!(
        out[1].message.as_deref(),
        Some("Failed to submit to warehouse: insufficient inventory")
    );
    assert!(!out[2].ok);
    assert_eq!(out[2].status, Some(FulfillmentStatus::DraftFetching));
    assert_eq!(db.available(w.warehouse, w.mug).await, (4, 6));
    let moves = db
        .count(&format!(
            "SELECT COUNT(*) FROM inventory_transactions WHERE reason = 'reserve' \
         AND document_type = 'fulfillment' AND document_id = {} AND available_after = 4 \
         AND reserved_after = 6",
            first.0
        ))
        .await;
    assert_eq!(moves, 1);
    let f = db
        .store
        .get_fulfillment(second, TokenScope::Operator)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(f.status, FulfillmentStatus::Exception);
    assert!(f
        .exception_reason
        .unwrap()
        .contains("6 needed, 4 available"));

    // Exception -> Draft (it has its label: Pending submit) -> edit -> resubmit.
    let err = db
        .store
        .edit_fulfillment(
            second,
            TokenScope::Seller(w.seller),
            &FulfillmentPatch::default(),
            at(5),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Refused(_)), "{err}");
    let to = db
        .store
        .fulfillment_to_draft(second, TokenScope::Seller(w.seller), at(5))
        .await
        .unwrap();
    assert_eq!(to, FulfillmentStatus::DraftPendingSubmit);
    let patch = FulfillmentPatch {
        lines: Some(vec![NewFulfillmentLine {
            sku: "MUG-1".into(),
            quantity: 4,
        }]),
        ..FulfillmentPatch::default()
    };
    db.store
        .edit_fulfillment(second, TokenScope::Seller(w.seller), &patch, at(5))
        .await
        .unwrap();
    let out = db
        .store
        .submit_fulfillments(&[second], TokenScope::Seller(w.seller), at(6))
        .await
        .unwrap();
    assert!(out[0].ok, "{:?}", out[0]);
    assert_eq!(db.available(w.warehouse, w.mug).await, (0, 10));

    // No available amount: submission fails into Exception with the reason.
    let (_, third) = {
        db.stock(
            w.warehouse,
            db.product(w.seller, "SPARE", "approved", true).await,
            1,
        )
        .await;
        ready_to_submit(&db, &w, "5004", 0).await
    };
    db.funds(w.seller, "0", "0").await;
    let out = db
        .store
        .submit_fulfillments(&[third], TokenScope::Operator, at(7))
        .await
        .unwrap();
    assert_eq!(
        out[0].message.as_deref(),
        Some(refusal::NO_AVAILABLE_AMOUNT)
    );
}

async fn shipping_deducts_stock_and_queues_the_upload_in_the_same_transaction(db: TestDb) {
    let w = db.world().await;
    db.map(w.store, "SHOP-MUG", w.mug, 1).await;
    let (o, fo) = ready_to_submit(&db, &w, "6001", 3).await;
    let wms = TokenScope::Warehouse(w.warehouse);
    // Not submitted yet: the warehouse cannot ship it.
    let err = db
        .store
        .ship_fulfillment(fo, wms, &ShipReport::default(), at(4))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Refused(_)), "{err}");
    db.store
        .submit_fulfillments(&[fo], TokenScope::Operator, at(4))
        .await
        .unwrap();

    // The outbox row fails to insert: the shipment rolls back whole.
    db.exec_per_backend(
        "CREATE TRIGGER no_outbox BEFORE INSERT ON tracking_outbox BEGIN SELECT RAISE(ABORT, 'boom'); END;",
        "CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'boom'; END $$ LANGUAGE plpgsql; \
         CREATE TRIGGER no_outbox BEFORE INSERT ON tracking_outbox FOR EACH ROW EXECUTE FUNCTION boom();",
    ).await;
    assert!(db
        .store
        .ship_fulfillment(fo, wms, &ShipReport::default(), at(5))
        .await
        .is_err());
    assert_eq!(db.available(w.warehouse, w.mug).await, (7, 3));
    assert_eq!(db.flow(o).await, FlowStatus::Processing);
    db.exec_per_backend(
        "DROP TRIGGER no_outbox",
        "DROP TRIGGER no_outbox ON tracking_outbox",
    )
    .await;

    let upload = db
        .store
        .ship_fulfillment(fo, wms, &ShipReport::default(), at(5))
        .await
        .unwrap();
    assert!(upload.is_some());
    assert_eq!(db.available(w.warehouse, w.mug).await, (7, 0));
    assert_eq!(db.flow(o).await, FlowStatus::Shipped);
    let uploads = db.store.tracking_uploads(w.store, "6001").await.unwrap();
    assert_eq!(uploads.len(), 1);
    let u = &uploads[0];
    assert_eq!(u.status, UploadStatus::Pending);
    assert_eq!(u.shipment.carrier_code, "UPS");
    assert_eq!(u.shipment.tracking_number, "1Z6001");
    assert_eq!(u.shipment.package_ref, format!("fo-{}", fo.0));
    assert_eq!(u.shipment.lines.len(), 1);
    assert_eq!(u.shipment.lines[0].line_id.as_deref(), Some("6001-L0"));
    assert_eq!(u.shipment.lines[0].quantity, 3);
    // Lots: the 3 shipped units left the oldest lot.
    assert_eq!(
        db.count(
            "SELECT CAST(SUM(remaining) AS BIGINT) FROM inventory_lots WHERE kind = 'product'"
        )
        .await,
        17
    );
    // Shipping twice is refused.
    let err = db
        .store
        .ship_fulfillment(fo, wms, &ShipReport::default(), at(6))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Refused(_)), "{err}");
}

async fn platform_label_shipments_need_no_upload(db: TestDb) {
    let w = db.world().await;
    db.map(w.store, "SHOP-MUG", w.mug, 1).await;
    let o = db
        .pull(
            w.store,
            "7001",
            &[("SHOP-MUG", 1)],
            NeutralStatus::AwaitingFulfillment,
            1,
        )
        .await;
    db.reviewed(&w, o, w.platform_label).await;
    db.store
        .claim_label_jobs("r1", at(3), chrono::TimeDelta::minutes(5), 10)
        .await
        .unwrap();
    let fo = db
        .store
        .finish_label_job(o, "r1", &LabelOutcome::Fetched(label()), at(3))
        .await
        .unwrap()
        .unwrap();
    assert!(
        db.store
            .submit_fulfillments(&[fo], TokenScope::Operator, at(4))
            .await
            .unwrap()[0]
            .ok
    );
    let upload = db
        .store
        .ship_fulfillment(fo, TokenScope::Operator, &ShipReport::default(), at(5))
        .await
        .unwrap();
    assert_eq!(upload, None);
    assert_eq!(db.flow(o).await, FlowStatus::Shipped);
    assert_eq!(db.count("SELECT COUNT(*) FROM tracking_outbox").await, 0);
}

async fn cancel_then_back_to_pending_then_review_again(db: TestDb) {
    let w = db.world().await;
    db.map(w.store, "SHOP-MUG", w.mug, 1).await;
    let (o, fo) = ready_to_submit(&db, &w, "8001", 2).await;
    db.store
        .submit_fulfillments(&[fo], TokenScope::Operator, at(4))
        .await
        .unwrap();
    assert_eq!(db.available(w.warehouse, w.mug).await, (8, 2));

    // Processing cannot go back to Pending; cancelling releases the reservation.
    let err = db.store.move_to_pending(o, None, at(5)).await.unwrap_err();
    assert!(matches!(err, StoreError::Refused(_)), "{err}");
    db.store
        .cancel_order(o, Some(w.seller), at(5))
        .await
        .unwrap();
    assert_eq!(db.flow(o).await, FlowStatus::Cancelled);
    assert_eq!(db.available(w.warehouse, w.mug).await, (10, 0));
    let f = db
        .store
        .get_fulfillment(fo, TokenScope::Operator)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(f.status, FulfillmentStatus::Cancelled);

    db.store
        .move_to_pending(o, Some(w.seller), at(6))
        .await
        .unwrap();
    assert_eq!(db.flow(o).await, FlowStatus::Pending);
    let fo2 = db.reviewed(&w, o, w.ups).await.unwrap();
    assert_ne!(fo, fo2);
    let flow = db.store.order_flow(o, None).await.unwrap().unwrap();
    assert_eq!(flow.fulfillment_ids, vec![fo2, fo]);

    // An order in Exception can only be cancelled.
    let o2 = db
        .pull(
            w.store,
            "8002",
            &[("SHOP-MUG", 1)],
            NeutralStatus::AwaitingFulfillment,
            1,
        )
        .await;
    db.reviewed(&w, o2, w.platform_label).await;
    db.store
        .claim_label_jobs("r1", at(3), chrono::TimeDelta::minutes(5), 10)
        .await
        .unwrap();
    db.store
        .finish_label_job(
            o2,
            "r1",
            &LabelOutcome::Failed {
                error: "refused".into(),
            },
            at(3),
        )
        .await
        .unwrap();
    let err = db.store.move_to_pending(o2, None, at(4)).await.unwrap_err();
    assert!(err.to_string().contains("can only be cancelled"), "{err}");
    db.store.cancel_order(o2, None, at(4)).await.unwrap();
    db.store.move_to_pending(o2, None, at(5)).await.unwrap();
    assert_eq!(
        db.store
            .order_flow(o2, None)
            .await
            .unwrap()
            .unwrap()
            .exception_reason,
        None
    );
}

async fn platform_cancellations_surface_on_the_next_pull(db: TestDb) {
    let w = db.world().await;
    db.map(w.store, "SHOP-MUG", w.mug, 1).await;
    let pending = db
        .pull(
            w.store,
            "9001",
            &[("SHOP-MUG", 1)],
            NeutralStatus::AwaitingFulfillment,
            1,
        )
        .await;
    let (in_flight, fo) = ready_to_submit(&db, &w, "9002", 1).await;
    db.pull(
        w.store,
        "9001",
        &[("SHOP-MUG", 1)],
        NeutralStatus::Cancelled,
        5,
    )
    .await;
    db.pull(
        w.store,
        "9002",
        &[("SHOP-MUG", 1)],
        NeutralStatus::Cancelled,
        5,
    )
    .await;
    assert_eq!(db.flow(pending).await, FlowStatus::Cancelled);
    let flow = db.store.order_flow(in_flight, None).await.unwrap().unwrap();
    assert_eq!(flow.flow_status, FlowStatus::Exception);
    assert_eq!(
        flow.exception_reason.as_deref(),
        Some(refusal::CANCELLED_ON_PLATFORM)
    );
    // Its draft does not reach the warehouse any more (auto-submit included).
    let out = db
        .store
        .submit_fulfillments(&[fo], TokenScope::Operator, at(5))
        .await
        .unwrap();
    assert_eq!(out[0].message.as_deref(), Some(SUBMIT_ORDER_LEFT));
    assert_eq!(out[0].status, Some(FulfillmentStatus::Exception));
    assert_eq!(db.available(w.warehouse, w.mug).await, (10, 0));
    // Cancelled on the platform: it cannot come back to Pending here.
    db.store.cancel_order(in_flight, None, at(6)).await.unwrap();
    let err = db
        .store
        .move_to_pending(in_flight, None, at(7))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), refusal::UPDATE_IN_STORE);
    let err = db
        .store
        .move_to_pending(pending, None, at(7))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), refusal::UPDATE_IN_STORE);
}

async fn auto_submit_picks_only_opted_in_sellers(db: TestDb) {
    let w = db.world().await;
    db.map(w.store, "SHOP-MUG", w.mug, 1).await;
    let (_, fo) = ready_to_submit(&db, &w, "10001", 1).await;
    assert!(db.store.auto_submit_due(100).await.unwrap().is_empty());
    assert!(!db.store.auto_submit(w.seller).await.unwrap());
    db.store.set_auto_submit(w.seller, true).await.unwrap();
    assert_eq!(db.store.auto_submit_due(100).await.unwrap(), vec![fo]);
    db.store
        .submit_fulfillments(&[fo], TokenScope::Operator, at(4))
        .await
        .unwrap();
    assert!(db.store.auto_submit_due(100).await.unwrap().is_empty());
    assert!(matches!(
        db.store.set_auto_submit(SellerId(9999), true).await,
        Err(StoreError::NotFound(_))
    ));
}

async fn manual_fulfillment_orders_and_all_or_nothing_creation(db: TestDb) {
    let w = db.world().await;
    let draft = db.product(w.seller, "DRAFTY", "draft", false).await;
    let _ = draft;
    let new = |reference: &str, sku: &str, channel: ChannelId| NewFulfillment {
        seller: w.seller,
        reference: reference.into(),
        warehouse: w.warehouse,
        channel,
        ship_to: Address {
            city: Some("Austin".into()),
            ..Address::default()
        },
        lines: vec![NewFulfillmentLine {
            sku: sku.into(),
            quantity: 2,
        }],
    };
    let fo = db
        .store
        .create_fulfillment(&new("B2B-1", "MUG-1", w.ups), at(1))
        .await
        .unwrap();
    let f = db
        .store
        .get_fulfillment(fo, TokenScope::Seller(w.seller))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (f.status, f.order_id, f.reference.as_str()),
        (FulfillmentStatus::DraftFetching, None, "B2B-1")
    );
    let err = db
        .store
        .create_fulfillment(&new("B2B-1", "MUG-1", w.ups), at(1))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Refused(_)), "{err}");
    let err = db
        .store
        .create_fulfillment(&new("B2B-2", "MUG-1", w.platform_label), at(1))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Invalid(ref m) if m.contains("warehouse channel")),
        "{err}"
    );

    let batch = [
        new("B2B-3", "MUG-1", w.ups),
        new("B2B-4", "NOPE", w.ups),
        new("B2B-5", "DRAFTY", w.ups),
        new("B2B-3", "LID-1", w.ups),
    ];
    let errors = db
        .store
        .create_fulfillments(&batch, at(2))
        .await
        .unwrap_err();
    let rows: Vec<(usize, String)> = errors.iter().map(|(i, e)| (*i, e.to_string())).collect();
    assert_eq!(
        rows,
        [
            (1, "lines: unknown SKU NOPE".to_owned()),
            (2, "lines: SKU DRAFTY is not approved".to_owned()),
            (3, "reference repeats an earlier order".to_owned()),
        ]
    );
    let all = db
        .store
        .list_fulfillments(&FulfillmentFilter {
            seller: Some(w.seller),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 1, "nothing of the failed batch was kept");
    let ids = db
        .store
        .create_fulfillments(&batch[..1], at(2))
        .await
        .unwrap();
    assert_eq!(ids.len(), 1);
}

async fn manual_fulfillment_orders_import_from_csv(db: TestDb) {
    let w = db.world().await;
    db.product(w.seller, "DRAFTY", "draft", false).await;
    let bad = "reference,warehouse,channel,sku,quantity\n\
               X-1,LAX-1,UPS-GROUND,MUG-1,0\n\
               X-2,NOPE,UPS-GROUND,MUG-1,1\n\
               X-3,LAX-1,PLATFORM,MUG-1,1\n\
               X-4,LAX-1,UPS-GROUND,GHOST,1\n\
               X-5,LAX-1,UPS-GROUND,DRAFTY,1\n\
               X-6,LAX-1,UPS-GROUND,MUG-1,1\n";
    let Err(ImportError::Rows(rows)) = db
        .store
        .import_fulfillments(w.seller, bad.as_bytes(), at(1))
        .await
    else {
        panic!("a bad file was imported");
    };
    let lines: Vec<(u64, &str)> = rows.iter().map(|r| (r.line, r.message.as_str())).collect();
    assert_eq!(
        lines,
        [
            (2, "quantity `0` is not a positive whole number"),
            (3, "unknown warehouse NOPE"),
            (
                4,
                "channel PLATFORM uses platform labels, which need a platform order"
            ),
            (5, "unknown SKU GHOST"),
            (6, "SKU DRAFTY is not approved"),
        ]
    );
    assert_eq!(
        db.count("SELECT COUNT(*) FROM fulfillment_orders").await,
        0,
        "nothing half-imported"
    );

    let good = "Reference,Warehouse,Channel,SKU,Quantity,Name,City,Country_Code\n\
                B2B-10,LAX-1,UPS-GROUND,MUG-1,2,Ann Lee,Austin,US\n\
                B2B-11,LAX-1,UPS-GROUND,MUG-1,1,Bo Chen,Boston,US\n\
                B2B-10,LAX-1,UPS-GROUND,LID-1,1,,,\n";
    let done = db
        .store
        .import_fulfillments(w.seller, good.as_bytes(), at(2))
        .await
        .unwrap();
    assert_eq!((done.ids.len(), done.lines), (2, 3));
    let first = db
        .store
        .get_fulfillment(done.ids[0], TokenScope::Seller(w.seller))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.reference, "B2B-10");
    assert_eq!(first.status, FulfillmentStatus::DraftFetching);
    let lines: Vec<(ProductId, i64)> = first
        .lines
        .iter()
        .map(|l| (l.product_id, l.quantity))
        .collect();
    assert_eq!(lines, [(w.lid, 1), (w.mug, 2)]);
    assert_eq!(first.ship_to.city.as_deref(), Some("Austin"));
    // The same references again: refused (a live manual order keeps its reference).
    let again = db
        .store
        .import_fulfillments(w.seller, good.as_bytes(), at(3))
        .await;
    let Err(ImportError::Rows(rows)) = again else {
        panic!("duplicates: {again:?}");
    };
    assert_eq!(rows[0].line, 2);
    assert!(
        rows[0].message.contains("B2B-10 already exists"),
        "{rows:?}"
    );
}

async fn label_spec_ships_from_the_warehouse_in_one_parcel(db: TestDb) {
    let w = db.world().await;
    db.map(w.store, "GIFT", w.mug, 2).await;
    db.map(w.store, "GIFT", w.lid, 1).await;
    let o = db
        .pull(
            w.store,
            "11001",
            &[("GIFT", 1)],
            NeutralStatus::AwaitingFulfillment,
            1,
        )
        .await;
    db.reviewed(&w, o, w.platform_label).await;
    // Nothing measured, no address: an empty spec (platforms that sell labels refuse it).
    let spec = db.store.label_spec(o).await.unwrap();
    assert_eq!((spec.ship_from, spec.parcel), (None, None));

    let from = Address {
        name: Some("LAX-1 dock".into()),
        lines: vec!["100 Harbor Way".into()],
        city: Some("Carson".into()),
        postal_code: Some("90745".into()),
        country_code: Some("US".into()),
        ..Address::default()
    };
    let err = db
        .store
        .set_warehouse_address(w.warehouse, &Address::default(), None)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    db.store
        .set_warehouse_address(w.warehouse, &from, Some("dock@lax1.example"))
        .await
        .unwrap();
    db.exec(&format!(
        "UPDATE products SET weight_g = 400, length_mm = 100, width_mm = 80, height_mm = 120 \
         WHERE id = {0}; UPDATE products SET weight_g = 50, length_mm = 90, width_mm = 90, \
         height_mm = 10 WHERE id = {1}",
        w.mug.0, w.lid.0
    ))
    .await;
    let spec = db.store.label_spec(o).await.unwrap();
    let ship_from = spec.ship_from.unwrap();
    assert_eq!(ship_from.address, from);
    assert_eq!(ship_from.email.as_deref(), Some("dock@lax1.example"));
    // Two mugs and a lid: weights add, heights stack, the largest length and width.
    assert_eq!(
        spec.parcel,
        Some(Parcel {
            weight_g: 850.0,
            length_cm: 10.0,
            width_cm: 9.0,
            height_cm: 25.0
        })
    );
    let wh = db.store.get_warehouse(w.warehouse).await.unwrap().unwrap();
    assert_eq!(wh.address.as_ref(), Some(&from));
}

async fn one_submission_of_many_records_each_reservation_in_turn(db: TestDb) {
    let w = db.world().await;
    db.map(w.store, "SHOP-MUG", w.mug, 1).await;
    let (_, a) = ready_to_submit(&db, &w, "12001", 2).await;
    let (_, b) = ready_to_submit(&db, &w, "12002", 3).await;
    let out = db
        .store
        .submit_fulfillments(&[a, b], TokenScope::Operator, at(4))
        .await
        .unwrap();
    assert!(out.iter().all(|o| o.ok), "{out:?}");
    assert_eq!(db.available(w.warehouse, w.mug).await, (5, 5));
    for (fo, after) in [(a, (8, 2)), (b, (5, 5))] {
        let n = db
            .count(&format!(
                "SELECT COUNT(*) FROM inventory_transactions WHERE document_id = {} \
                 AND reason = 'reserve' AND available_after = {} AND reserved_after = {}",
                fo.0, after.0, after.1
            ))
            .await;
        assert_eq!(n, 1, "fulfillment order {} reserved to {after:?}", fo.0);
    }
    // Cancelling one releases exactly its own units.
    db.store
        .cancel_fulfillment(a, TokenScope::Operator, at(5))
        .await
        .unwrap();
    assert_eq!(db.available(w.warehouse, w.mug).await, (7, 3));
}
