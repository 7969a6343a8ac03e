//! Inventory, inbound orders and seller accounts, on SQLite and (with `DATABASE_URL`)
//! PostgreSQL: receiving adds inventory with one transaction per line tied to the inbound
//! order, transfer inbound adds cartons, the age report's buckets, adjustments never take a
//! count below zero, top-ups count only once approved, and the credit limit moves the
//! available amount.
#![cfg(feature = "store")]
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

use std::str::FromStr;

use chrono::{DateTime, Duration, TimeZone, Utc};
use core_model::fulfillment::{InventoryKind, ProductId, TopUpId, WarehouseId};
use core_model::store::account::{parse_amount, NewTopUp, Proof, TopUpFilter, TopUpStatus};
use core_model::store::ledger::{DocumentType, MoveReason};
use core_model::store::stock::{
    InboundEdit, InboundFilter, InboundKind, InboundStatus, InventoryFilter, NewInbound,
    NewInboundLine, ReceivedLine, TransactionFilter,
};
use core_model::store::StoreError;
use core_model::SellerId;
use rust_decimal::Decimal;

#[macro_use]
mod common;

use common::{Sql, TestDb};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap()
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

impl TestDb {
    /// A product as the catalog would leave it (its API is built elsewhere).
    async fn product(&self, seller: SellerId, sku: &str, status: &str) -> ProductId {
        let q = "INSERT INTO products (seller_id, sku, name, status, measured, created_at, \
                 updated_at) VALUES ($1, $2, $3, $4, TRUE, $5, $5) RETURNING id";
        let id: i64 = match &self.sql {
            Sql::Sqlite(pool) => sqlx::query_scalar(q)
                .bind(seller.0)
                .bind(sku)
                .bind(sku)
                .bind(status)
                .bind(t0())
                .fetch_one(pool)
                .await
                .unwrap(),
            Sql::Postgres(pool) => sqlx::query_scalar(q)
                .bind(seller.0)
                .bind(sku)
                .bind(sku)
                .bind(status)
                .bind(t0())
                .fetch_one(pool)
                .await
                .unwrap(),
        };
        ProductId(id)
    }

    async fn setup(&self) -> (SellerId, WarehouseId) {
        let seller = self.store.create_seller("Acme").await.unwrap();
        let warehouse = self
            .store
            .create_warehouse("LA1", "Los Angeles 1", "USD")
            .await
            .unwrap();
        (seller, warehouse)
    }

    async fn level(&self, w: WarehouseId, p: ProductId, kind: InventoryKind) -> (i64, i64) {
        let rows = self
            .store
            .list_inventory(&InventoryFilter {
                warehouse: Some(w),
                kind: Some(kind),
                ..Default::default()
            })
            .await
            .unwrap();
        rows.iter()
            .find(|r| r.product_id == p)
            .map_or((0, 0), |r| (r.available, r.reserved))
    }
}

fn line(sku: &str, quantity: i64) -> NewInboundLine {
    NewInboundLine {
        sku: sku.into(),
        quantity,
        units_per_carton: None,
    }
}

fn inbound(seller: SellerId, warehouse: WarehouseId, lines: Vec<NewInboundLine>) -> NewInbound {
    NewInbound {
        seller,
        warehouse,
        kind: InboundKind::Standard,
        reference: "ASN-1".into(),
        lines,
        submit: true,
    }
}

store_tests! {
    receiving_adds_inventory_with_one_transaction_per_line,
    transfer_inbound_adds_carton_inventory,
    inbound_lifecycle_rules,
    inbound_takes_only_approved_products_of_the_seller,
    age_buckets_follow_receipt_dates,
    adjustments_never_go_below_zero,
    top_up_counts_only_once_approved,
    top_up_currency_must_match_the_account,
    credit_limit_changes_available_amount,
    rejected_top_up_stays_out,
    concurrent_receipts_and_approvals_count_once,
}

async fn receiving_adds_inventory_with_one_transaction_per_line(db: TestDb) {
    let (seller, wh) = db.setup().await;
    let a = db.product(seller, "A-1", "approved").await;
    let b = db.product(seller, "B-1", "approved").await;
    let created = db
        .store
        .create_inbound(
            &inbound(seller, wh, vec![line("A-1", 10), line("B-1", 5)]),
            t0(),
        )
        .await
        .unwrap();
    assert_eq!(created.status, InboundStatus::Submitted);
    assert_eq!(created.lines.len(), 2);
    // B arrives short: 4 of 5.
    let received = db
        .store
        .receive_inbound(
            created.id,
            &[ReceivedLine {
                line_no: 2,
                received: 4,
            }],
            t0() + Duration::hours(1),
        )
        .await
        .unwrap();
    assert_eq!(received.status, InboundStatus::Received);
    assert_eq!(received.received_at, Some(t0() + Duration::hours(1)));
    assert_eq!(received.lines[0].received, Some(10));
    assert_eq!(received.lines[1].received, Some(4));
    assert_eq!(db.level(wh, a, InventoryKind::Product).await, (10, 0));
    assert_eq!(db.level(wh, b, InventoryKind::Product).await, (4, 0));

    let txs = db
        .store
        .inventory_transactions(&TransactionFilter {
            seller: None,
            warehouse: None,
            product: None,
            document: Some((DocumentType::Inbound, created.id.0)),
            limit: 50,
        })
        .await
        .unwrap();
    assert_eq!(txs.len(), 2, "one movement per line");
    // Newest first.
    assert!(txs[0].id > txs[1].id);
    for t in &txs {
        assert_eq!(t.reason, MoveReason::Inbound);
        assert_eq!(t.document_type, DocumentType::Inbound);
        assert_eq!(t.document_id, created.id.0);
        assert_eq!(t.kind, InventoryKind::Product);
        assert_eq!(t.at, t0() + Duration::hours(1));
    }
    let for_b = txs.iter().find(|t| t.product_id == b).unwrap();
    assert_eq!((for_b.available_delta, for_b.available_after), (4, 4));
    assert_eq!(for_b.sku, "B-1");

    // Receiving twice is refused and changes nothing.
    let again = db
        .store
        .receive_inbound(created.id, &[], t0() + Duration::hours(2))
        .await;
    assert!(matches!(again, Err(StoreError::Refused(_))), "{again:?}");
    assert_eq!(db.level(wh, a, InventoryKind::Product).await, (10, 0));
    assert_eq!(
        db.count("SELECT COUNT(*) FROM inventory_transactions")
            .await,
        2
    );

    // An unknown line number is bad input, and leaves the next inbound submitted.
    let other = db
        .store
        .create_inbound(&inbound(seller, wh, vec![line("A-1", 1)]), t0())
        .await
        .unwrap();
    let bad = db
        .store
        .receive_inbound(
            other.id,
            &[ReceivedLine {
                line_no: 9,
                received: 1,
            }],
            t0(),
        )
        .await;
    assert!(
        matches!(bad, Err(StoreError::Invalid(ref m)) if m.contains("line_no")),
        "{bad:?}"
    );
    let other = db.store.get_inbound(other.id).await.unwrap().unwrap();
    assert_eq!(other.status, InboundStatus::Submitted);
}

async fn transfer_inbound_adds_carton_inventory(db: TestDb) {
    let (seller, wh) = db.setup().await;
    let a = db.product(seller, "A-1", "approved").await;
    let mut new = inbound(
        seller,
        wh,
        vec![NewInboundLine {
            sku: "A-1".into(),
            quantity: 3,
            units_per_carton: Some(24),
        }],
    );
    new.kind = InboundKind::Transfer;
    let created = db.store.create_inbound(&new, t0()).await.unwrap();
    assert_eq!(created.lines[0].units_per_carton, Some(24));
    db.store
        .receive_inbound(created.id, &[], t0())
        .await
        .unwrap();
    assert_eq!(db.level(wh, a, InventoryKind::Carton).await, (3, 0));
    assert_eq!(db.level(wh, a, InventoryKind::Product).await, (0, 0));

    // A transfer line needs its carton size; a standard line must not have one.
    new.lines[0].units_per_carton = None;
    let err = db.store.create_inbound(&new, t0()).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(ref m) if m.contains("units_per_carton")));
    new.kind = InboundKind::Standard;
    new.lines[0].units_per_carton = Some(2);
    let err = db.store.create_inbound(&new, t0()).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(ref m) if m.contains("units_per_carton")));
}

async fn inbound_lifecycle_rules(db: TestDb) {
    let (seller, wh) = db.setup().await;
    db.product(seller, "A-1", "approved").await;
    db.product(seller, "B-1", "approved").await;
    let mut new = inbound(seller, wh, vec![line("A-1", 10)]);
    new.submit = false;
    let draft = db.store.create_inbound(&new, t0()).await.unwrap();
    assert_eq!(draft.status, InboundStatus::Draft);
    assert_eq!(draft.submitted_at, None);

    // A draft cannot be received or cancelled; it can be edited.
    let err = db
        .store
        .receive_inbound(draft.id, &[], t0())
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Refused(ref m) if m.contains("draft")),
        "{err:?}"
    );
    let err = db.store.cancel_inbound(draft.id, t0()).await.unwrap_err();
    assert!(matches!(err, StoreError::Refused(_)));
    let edited = db
        .store
        .update_inbound(
            draft.id,
            &InboundEdit {
                reference: Some("ASN-2".into()),
                lines: Some(vec![line("B-1", 7), line("A-1", 1)]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(edited.reference, "ASN-2");
    let lines: Vec<(i64, &str, i64)> = edited
        .lines
        .iter()
        .map(|l| (l.line_no, l.sku.as_str(), l.quantity))
        .collect();
    assert_eq!(lines, vec![(1, "B-1", 7), (2, "A-1", 1)]);

    let submitted = db
        .store
        .submit_inbound(draft.id, t0() + Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(submitted.status, InboundStatus::Submitted);
    assert_eq!(submitted.submitted_at, Some(t0() + Duration::minutes(5)));
    // No longer a draft: no edit, no delete, no second submit.
    let err = db
        .store
        .update_inbound(
            draft.id,
            &InboundEdit {
                reference: Some("x".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Refused(_)));
    assert!(matches!(
        db.store.delete_inbound(draft.id).await,
        Err(StoreError::Refused(_))
    ));
    assert!(matches!(
        db.store.submit_inbound(draft.id, t0()).await,
        Err(StoreError::Refused(_))
    ));
    // Cancelled, it cannot be received.
    let cancelled = db.store.cancel_inbound(draft.id, t0()).await.unwrap();
    assert_eq!(cancelled.status, InboundStatus::Cancelled);
    assert!(matches!(
        db.store.receive_inbound(draft.id, &[], t0()).await,
        Err(StoreError::Refused(_))
    ));

    // A draft is deleted with its lines.
    let other = db.store.create_inbound(&new, t0()).await.unwrap();
    db.store.delete_inbound(other.id).await.unwrap();
    assert!(db.store.get_inbound(other.id).await.unwrap().is_none());
    assert_eq!(
        db.count(&format!(
            "SELECT COUNT(*) FROM inbound_lines WHERE inbound_id = {}",
            other.id.0
        ))
        .await,
        0
    );

    let listed = db
        .store
        .list_inbound(&InboundFilter {
            seller: Some(seller),
            warehouse: None,
            status: Some(InboundStatus::Cancelled),
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].lines.len(), 2);
}

async fn inbound_takes_only_approved_products_of_the_seller(db: TestDb) {
    let (seller, wh) = db.setup().await;
    let other = db.store.create_seller("Other").await.unwrap();
    db.product(seller, "DRAFT-1", "draft").await;
    db.product(other, "THEIRS", "approved").await;
    let err = db
        .store
        .create_inbound(&inbound(seller, wh, vec![line("DRAFT-1", 1)]), t0())
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Refused(ref m) if m.contains("created and approved")),
        "{err:?}"
    );
    let err = db
        .store
        .create_inbound(&inbound(seller, wh, vec![line("THEIRS", 1)]), t0())
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Invalid(ref m) if m.contains("THEIRS")),
        "{err:?}"
    );
    let err = db
        .store
        .create_inbound(&inbound(seller, wh, vec![line("THEIRS", 0)]), t0())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(ref m) if m.contains("quantity")));
    assert_eq!(db.count("SELECT COUNT(*) FROM inbound_orders").await, 0);
}

async fn age_buckets_follow_receipt_dates(db: TestDb) {
    let (seller, wh) = db.setup().await;
    let a = db.product(seller, "A-1", "approved").await;
    let now = t0() + Duration::days(400);
    // Received 200, 100, 70, 40 and 10 days before `now`.
    for (days, qty) in [(200, 1), (100, 2), (70, 3), (40, 4), (10, 5)] {
        let asn = db
            .store
            .create_inbound(&inbound(seller, wh, vec![line("A-1", qty)]), t0())
            .await
            .unwrap();
        db.store
            .receive_inbound(asn.id, &[], now - Duration::days(days))
            .await
            .unwrap();
    }
    let age = db
        .store
        .inventory_age(&InventoryFilter::default(), now)
        .await
        .unwrap();
    assert_eq!(age.len(), 1);
    let r = &age[0];
    assert_eq!(r.product_id, a);
    assert_eq!(
        (
            r.days_0_30,
            r.days_31_60,
            r.days_61_90,
            r.days_91_180,
            r.days_over_180
        ),
        (5, 4, 3, 2, 1)
    );
    assert_eq!(r.total, 15);
    assert_eq!(r.oldest_received_at, now - Duration::days(200));

    // Taking 2 out consumes the oldest lot (1) and one of the next (100 days).
    db.store
        .adjust_inventory(wh, a, InventoryKind::Product, -2, "damaged", now)
        .await
        .unwrap();
    let age = db
        .store
        .inventory_age(&InventoryFilter::default(), now)
        .await
        .unwrap();
    let r = &age[0];
    assert_eq!((r.days_91_180, r.days_over_180, r.total), (1, 0, 13));
    assert_eq!(r.oldest_received_at, now - Duration::days(100));

    // Exactly 30 days old is still in the first bucket; 31 is in the second.
    let b = db.product(seller, "B-1", "approved").await;
    db.store
        .adjust_inventory(
            wh,
            b,
            InventoryKind::Return,
            3,
            "returned",
            now - Duration::days(30),
        )
        .await
        .unwrap();
    db.store
        .adjust_inventory(
            wh,
            b,
            InventoryKind::Return,
            2,
            "returned",
            now - Duration::days(31),
        )
        .await
        .unwrap();
    let age = db
        .store
        .inventory_age(
            &InventoryFilter {
                kind: Some(InventoryKind::Return),
                ..Default::default()
            },
            now,
        )
        .await
        .unwrap();
    assert_eq!(age.len(), 1);
    assert_eq!((age[0].days_0_30, age[0].days_31_60), (3, 2));
}

async fn adjustments_never_go_below_zero(db: TestDb) {
    let (seller, wh) = db.setup().await;
    let a = db.product(seller, "A-1", "approved").await;
    let adj = db
        .store
        .adjust_inventory(
            wh,
            a,
            InventoryKind::Return,
            3,
            "3 returned by buyers",
            t0(),
        )
        .await
        .unwrap();
    assert_eq!(adj.level.available, 3);
    let err = db
        .store
        .adjust_inventory(wh, a, InventoryKind::Return, -4, "stocktake", t0())
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Refused(ref m) if m.contains("below zero")),
        "{err:?}"
    );
    // Nothing of the refused adjustment stays: neither its document nor a movement.
    assert_eq!(
        db.count("SELECT COUNT(*) FROM inventory_adjustments").await,
        1
    );
    assert_eq!(
        db.count("SELECT COUNT(*) FROM inventory_transactions")
            .await,
        1
    );
    assert_eq!(db.level(wh, a, InventoryKind::Return).await, (3, 0));
    // A row that does not exist yet cannot go down either.
    let err = db
        .store
        .adjust_inventory(wh, a, InventoryKind::Product, -1, "stocktake", t0())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Refused(_)));

    let down = db
        .store
        .adjust_inventory(wh, a, InventoryKind::Return, -3, "stocktake", t0())
        .await
        .unwrap();
    assert_eq!(down.level.available, 0);
    let txs = db
        .store
        .inventory_transactions(&TransactionFilter {
            seller: Some(seller),
            warehouse: Some(wh),
            product: Some(a),
            document: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(txs.len(), 2);
    assert_eq!(txs[0].document_type, DocumentType::Adjustment);
    assert_eq!(txs[0].document_id, down.id);
    assert_eq!(txs[0].reason, MoveReason::Adjust);
    assert_eq!((txs[0].available_delta, txs[0].available_after), (-3, 0));

    for (delta, note) in [(0, "x"), (5, "  ")] {
        let err = db
            .store
            .adjust_inventory(wh, a, InventoryKind::Return, delta, note, t0())
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    }
    let err = db
        .store
        .adjust_inventory(wh, ProductId(9999), InventoryKind::Return, 1, "x", t0())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(ref m) if m.contains("product_id")));
}

fn top_up(seller: SellerId, amount: &str, currency: &str) -> NewTopUp {
    NewTopUp {
        seller,
        amount: dec(amount),
        currency: currency.into(),
        proof_reference: "BANK-TX-1".into(),
        proof: None,
    }
}

async fn top_up_counts_only_once_approved(db: TestDb) {
    let (seller, _) = db.setup().await;
    let mut new = top_up(seller, "100.5", "USD");
    new.proof = Some(Proof {
        format: "pdf".into(),
        content: b"%PDF-1.4 receipt".to_vec(),
    });
    let pending = db.store.request_top_up(&new, t0()).await.unwrap();
    assert_eq!(pending.status, TopUpStatus::Pending);
    assert_eq!(pending.amount.to_string(), "100.50");
    assert!(pending.proof_document_id.is_some());
    assert_eq!(
        db.count("SELECT COUNT(*) FROM documents WHERE kind = 'top_up_proof'")
            .await,
        1
    );

    // Pending: nothing to spend yet.
    let account = db.store.account(seller).await.unwrap();
    assert_eq!(account.available, Decimal::ZERO);
    assert_eq!(account.pending_top_ups.to_string(), "100.50");
    assert_eq!(account.currency, None);

    let approved = db
        .store
        .approve_top_up(pending.id, t0() + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(approved.status, TopUpStatus::Approved);
    assert_eq!(approved.decided_at, Some(t0() + Duration::hours(1)));
    let account = db.store.account(seller).await.unwrap();
    assert_eq!(account.currency.as_deref(), Some("USD"));
    assert_eq!(account.balance.to_string(), "100.50");
    assert_eq!(account.available.to_string(), "100.50");
    assert_eq!(account.pending_top_ups, Decimal::ZERO);

    // Approving twice is refused and adds nothing.
    let err = db.store.approve_top_up(pending.id, t0()).await.unwrap_err();
    assert!(matches!(err, StoreError::Refused(ref m) if m.contains("already approved")));
    let second = db
        .store
        .request_top_up(&top_up(seller, "0.25", "USD"), t0())
        .await
        .unwrap();
    db.store.approve_top_up(second.id, t0()).await.unwrap();
    assert_eq!(
        db.store.account(seller).await.unwrap().balance.to_string(),
        "100.75"
    );

    let history = db.store.account_transactions(seller, 10).await.unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].balance_after.to_string(), "100.75");
    assert_eq!(history[0].document_id, Some(second.id.0));
    assert_eq!(history[1].amount.to_string(), "100.50");

    // Bad amounts are bad input.
    for amount in ["0", "-5", "1.005"] {
        let err = db
            .store
            .request_top_up(&top_up(seller, amount, "USD"), t0())
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{amount}: {err:?}");
    }
    assert!(parse_amount("amount", "12.50").is_ok());
    for text in ["1e3", "12.345", "abc", ""] {
        assert!(parse_amount("amount", text).is_err(), "{text}");
    }
    let mut no_ref = top_up(seller, "1", "USD");
    no_ref.proof_reference = " ".into();
    assert!(matches!(
        db.store.request_top_up(&no_ref, t0()).await,
        Err(StoreError::Invalid(ref m)) if m.contains("proof_reference")
    ));
    assert!(matches!(
        db.store.approve_top_up(TopUpId(9999), t0()).await,
        Err(StoreError::NotFound(_))
    ));
}

async fn top_up_currency_must_match_the_account(db: TestDb) {
    let (seller, _) = db.setup().await;
    db.store
        .set_account(seller, Some("USD"), None, t0())
        .await
        .unwrap();
    let err = db
        .store
        .request_top_up(&top_up(seller, "50", "EUR"), t0())
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Refused(ref m) if m.contains("EUR") && m.contains("exchange rate")),
        "{err:?}"
    );
    let err = db
        .store
        .request_top_up(&top_up(seller, "50", "usd"), t0())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(ref m) if m.contains("currency")));
    assert_eq!(db.count("SELECT COUNT(*) FROM top_ups").await, 0);

    // Without an account, the first approved top-up opens one in its currency; a pending
    // top-up in another currency is then refused at approval.
    let other = db.store.create_seller("Other").await.unwrap();
    let eur = db
        .store
        .request_top_up(&top_up(other, "10", "EUR"), t0())
        .await
        .unwrap();
    let gbp = db
        .store
        .request_top_up(&top_up(other, "10", "GBP"), t0())
        .await
        .unwrap();
    db.store.approve_top_up(eur.id, t0()).await.unwrap();
    let err = db.store.approve_top_up(gbp.id, t0()).await.unwrap_err();
    assert!(matches!(err, StoreError::Refused(ref m) if m.contains("GBP")));
    let account = db.store.account(other).await.unwrap();
    assert_eq!(account.currency.as_deref(), Some("EUR"));
    assert_eq!(account.balance.to_string(), "10.00");
    // The account's currency stays while it holds a balance.
    let err = db
        .store
        .set_account(other, Some("USD"), None, t0())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Refused(_)));
}

async fn credit_limit_changes_available_amount(db: TestDb) {
    let (seller, _) = db.setup().await;
    // Opening needs a currency.
    let err = db
        .store
        .set_account(seller, None, Some(dec("10")), t0())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(ref m) if m.contains("currency")));
    let account = db
        .store
        .set_account(seller, Some("USD"), Some(dec("250")), t0())
        .await
        .unwrap();
    assert_eq!(account.available.to_string(), "250.00");
    assert_eq!(account.credit_limit.to_string(), "250.00");
    let t = db
        .store
        .request_top_up(&top_up(seller, "20", "USD"), t0())
        .await
        .unwrap();
    db.store.approve_top_up(t.id, t0()).await.unwrap();
    let account = db
        .store
        .set_account(seller, None, Some(dec("100.10")), t0())
        .await
        .unwrap();
    assert_eq!(account.available.to_string(), "120.10");
    let history = db.store.account_transactions(seller, 10).await.unwrap();
    let kinds: Vec<&str> = history.iter().map(|h| h.kind.as_str()).collect();
    assert_eq!(kinds, vec!["credit_limit", "top_up", "credit_limit"]);
    assert_eq!(history[0].amount.to_string(), "100.10");
    assert_eq!(history[0].balance_after.to_string(), "20.00");

    let err = db
        .store
        .set_account(seller, None, Some(dec("-1")), t0())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(ref m) if m.contains("credit_limit")));
    assert!(matches!(
        db.store.account(SellerId(9999)).await,
        Err(StoreError::NotFound(_))
    ));
}

async fn rejected_top_up_stays_out(db: TestDb) {
    let (seller, _) = db.setup().await;
    let t = db
        .store
        .request_top_up(&top_up(seller, "30", "USD"), t0())
        .await
        .unwrap();
    let err = db.store.reject_top_up(t.id, " ", t0()).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)));
    let rejected = db
        .store
        .reject_top_up(t.id, "no payment received", t0())
        .await
        .unwrap();
    assert_eq!(rejected.status, TopUpStatus::Rejected);
    assert_eq!(
        rejected.reject_reason.as_deref(),
        Some("no payment received")
    );
    assert!(matches!(
        db.store.approve_top_up(t.id, t0()).await,
        Err(StoreError::Refused(ref m)) if m.contains("rejected")
    ));
    let account = db.store.account(seller).await.unwrap();
    assert_eq!(account.balance, Decimal::ZERO);
    assert_eq!(account.pending_top_ups, Decimal::ZERO);
    let listed = db
        .store
        .list_top_ups(&TopUpFilter {
            seller: Some(seller),
            status: Some(TopUpStatus::Rejected),
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
}

async fn concurrent_receipts_and_approvals_count_once(db: TestDb) {
    let (seller, wh) = db.setup().await;
    let a = db.product(seller, "A-1", "approved").await;
    let asn = db
        .store
        .create_inbound(&inbound(seller, wh, vec![line("A-1", 10)]), t0())
        .await
        .unwrap();
    let t = db
        .store
        .request_top_up(&top_up(seller, "10", "USD"), t0())
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for _ in 0..2 {
        let store = db.store.clone();
        tasks.push(tokio::spawn(async move {
            let received = store.receive_inbound(asn.id, &[], t0()).await;
            let approved = store.approve_top_up(t.id, t0()).await;
            (received.is_ok(), approved.is_ok())
        }));
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    assert_eq!(outcomes.iter().filter(|o| o.0).count(), 1, "{outcomes:?}");
    assert_eq!(outcomes.iter().filter(|o| o.1).count(), 1, "{outcomes:?}");
    assert_eq!(db.level(wh, a, InventoryKind::Product).await, (10, 0));
    assert_eq!(
        db.store.account(seller).await.unwrap().balance.to_string(),
        "10.00"
    );
    assert_eq!(
        db.count("SELECT COUNT(*) FROM account_transactions").await,
        1
    );
}
