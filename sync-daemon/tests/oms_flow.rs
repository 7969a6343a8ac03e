//! The OMS flow's workers and rules through the admin API, over a fake platform: platform
//! labels fetched with retries and refusals, Exception -> cancel -> Pending -> review again,
//! auto-submit within its delay, tracking uploads retried and failed with the reason shown,
//! fulfillment orders from Exception back to Draft, and who may do what. Each case runs on
//! SQLite and, with `DATABASE_URL`, PostgreSQL.
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

mod support;

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use chrono::TimeDelta;
use core_model::fulfillment::{ChannelKind, InventoryKind};
use core_model::store::catalog::{Measurement, NewProduct};
use core_model::store::warehouse::NewChannel;
use core_model::MarketplaceError;
use serde_json::{json, Value};
use support::api::{t0, OmsApi};
use support::cli::Omsync;
use support::{caps, FakePlatform};

both_backends! {
    api:
    platform_labels_are_fetched_with_retries_or_end_in_exception,
    an_exception_is_cancelled_moved_to_pending_and_reviewed_again,
    auto_submit_submits_drafts_within_its_delay,
    uploads_retry_throttles_and_show_refusals,
    a_failed_submission_goes_back_to_draft_and_through,
    callers_see_and_do_only_what_is_theirs,
    manual_orders_are_imported_all_or_nothing;
    url:
    cli_round_trip;
}

/// Seller A's store on a fake platform; a warehouse with a UPS channel and a platform-label
/// channel; product MUG-1 (approved, measured, 5 in stock) mapped from the platform's `SKU-1`;
/// funds.
struct Flow {
    api: OmsApi,
    fake: Arc<FakePlatform>,
    wh: i64,
    ups: i64,
    platform_label: i64,
    wms: String,
}

async fn flow(api: OmsApi) -> Flow {
    let fake = Arc::new(FakePlatform::new(caps(50, None)));
    api.source
        .platforms
        .lock()
        .unwrap()
        .insert(api.store_a, Arc::clone(&fake));
    api.engine
        .authorize_at(
            api.store_a,
            &json!({ "token": "fake" }),
            t0() + TimeDelta::days(1),
        )
        .await
        .unwrap();
    let s = &api.store;
    let wh = s
        .create_warehouse("LAX-1", "Los Angeles", "USD")
        .await
        .unwrap();
    let channel = |code, kind, carrier| NewChannel {
        warehouse: wh,
        code,
        name: code,
        kind,
        carrier_code: carrier,
    };
    let ups = s
        .create_channel(&channel("UPS", ChannelKind::Warehouse, Some("UPS")))
        .await
        .unwrap();
    let platform_label = s
        .create_channel(&channel("PLATFORM", ChannelKind::PlatformLabel, None))
        .await
        .unwrap();
    let new: NewProduct = serde_json::from_value(json!({ "sku": "MUG-1", "name": "Mug" })).unwrap();
    let mug = s.create_product(api.seller_a, &new).await.unwrap().id;
    s.submit_product(mug).await.unwrap();
    s.approve_product(mug).await.unwrap();
    s.set_measured(mug, &Measurement::default()).await.unwrap();
    s.add_mapping(api.store_a, "SKU-1", mug, 1).await.unwrap();
    s.adjust_inventory(wh, mug, InventoryKind::Product, 5, "opening stock", t0())
        .await
        .unwrap();
    s.set_account(
        api.seller_a,
        Some("USD"),
        Some("100".parse().unwrap()),
        t0(),
    )
    .await
    .unwrap();
    let wms = api.warehouse_token(wh).await;
    Flow {
        fake,
        wh: wh.0,
        ups: ups.0,
        platform_label: platform_label.0,
        wms,
        api,
    }
}

impl Flow {
    /// A pending order of the fake platform (one line of `SKU-1`), pulled into the store.
    async fn order(&self, id: &str) -> i64 {
        self.fake.upsert(id, t0());
        let o = {
            let orders = self.fake.orders.lock().unwrap();
            self.fake.to_order(self.api.store_a, id, &orders[id])
        };
        self.api.store.upsert_orders(&[o]).await.unwrap();
        self.api
            .store
            .get_order(self.api.store_a, id)
            .await
            .unwrap()
            .unwrap()
            .id
            .0
    }

    async fn review(&self, order: i64, channel: i64) -> Value {
        let body = json!({ "order_ids": [order], "warehouse_id": self.wh, "channel_id": channel });
        let r = self
            .api
            .post("/v1/orders/review", &self.api.token_a, body)
            .await;
        r.expect(StatusCode::OK)["outcomes"][0].clone()
    }

    async fn order_view(&self, order: i64) -> Value {
        let r = self
            .api
            .get(&format!("/v1/orders/{order}"), &self.api.token_a)
            .await;
        r.expect(StatusCode::OK).clone()
    }

    /// Reviewed on UPS, labelled by the warehouse: a draft in Pending submit.
    async fn ready(&self, id: &str) -> (i64, i64) {
        let order = self.order(id).await;
        let fo = self.review(order, self.ups).await["fulfillment_id"]
            .as_i64()
            .unwrap();
        self.api
            .post(
                &format!("/v1/warehouse/fulfillment-orders/{fo}/label"),
                &self.wms,
                json!({ "tracking_number": format!("1Z{id}") }),
            )
            .await
            .expect(StatusCode::OK);
        (order, fo)
    }

    fn advance(&self, d: Duration) {
        self.api.clock.advance(TimeDelta::from_std(d).unwrap());
    }
}

async fn platform_labels_are_fetched_with_retries_or_end_in_exception(api: OmsApi) {
    let f = flow(api).await;
    let ok = f.order("L-1").await;
    let refused = f.order("L-2").await;
    for o in [ok, refused] {
        assert_eq!(
            f.review(o, f.platform_label).await["flow_status"],
            "waiting_for_label"
        );
    }
    // The warehouse's ship-from address goes to the platform with every fetch.
    let address = json!({ "lines": ["100 Harbor Way"], "city": "Carson", "postal_code": "90745",
        "country_code": "US" });
    let seller_may_not = f
        .api
        .patch(
            &format!("/v1/warehouses/{}", f.wh),
            &f.api.token_a,
            json!({ "address": address }),
        )
        .await;
    assert_eq!(seller_may_not.status, StatusCode::FORBIDDEN);
    let incomplete = f
        .api
        .patch(
            &format!("/v1/warehouses/{}", f.wh),
            &f.api.operator,
            json!({ "address": { "city": "Carson" } }),
        )
        .await;
    assert_eq!(incomplete.status, StatusCode::UNPROCESSABLE_ENTITY);
    let set = f
        .api
        .patch(
            &format!("/v1/warehouses/{}", f.wh),
            &f.api.operator,
            json!({ "address": address, "email": "dock@lax1.example" }),
        )
        .await;
    assert_eq!(set.expect(StatusCode::OK)["address"]["city"], "Carson");
    f.fake.label_errors.lock().unwrap().extend([
        MarketplaceError::rate_limited(None, "429 Too Many Requests"),
        MarketplaceError::permanent("package not ready: logistics_not_ready"),
    ]);
    // L-1 is throttled (retry later), L-2 refused for good (Exception with the reason).
    assert_eq!(f.api.engine.fetch_due_labels().await.unwrap(), 2);
    let view = f.order_view(ok).await;
    assert_eq!(view["flow_status"], "waiting_for_label");
    assert_eq!(view["oms"]["label"]["status"], "pending");
    assert_eq!(view["oms"]["label"]["attempts"], 1);
    let view = f.order_view(refused).await;
    assert_eq!(view["flow_status"], "exception");
    let reason = view["oms"]["exception_reason"].as_str().unwrap();
    assert!(reason.contains("logistics_not_ready"), "{reason}");

    // Not due before the backoff; then fetched: Pending submit with the platform's document.
    assert_eq!(f.api.engine.fetch_due_labels().await.unwrap(), 0);
    f.advance(Duration::from_secs(61));
    assert_eq!(f.api.engine.fetch_due_labels().await.unwrap(), 1);
    let view = f.order_view(ok).await;
    assert_eq!(view["flow_status"], "processing");
    let fo = view["oms"]["fulfillment_ids"][0].as_i64().unwrap();
    let fo_view = f
        .api
        .get(&format!("/v1/fulfillment-orders/{fo}"), &f.api.token_a)
        .await;
    let fo_view = fo_view.expect(StatusCode::OK);
    assert_eq!(fo_view["status"], "draft_pending_submit");
    assert_eq!(fo_view["tracking_number"], "SPXL-1");
    let (status, pdf) = f
        .api
        .get_bytes(
            &format!("/v1/fulfillment-orders/{fo}/label"),
            &f.api.token_a,
        )
        .await;
    assert_eq!(
        (status, pdf.as_slice()),
        (StatusCode::OK, &b"%PDF-1.4 label L-1"[..])
    );
    // Shipping a platform-label order needs no upload.
    f.api
        .post(
            &format!("/v1/fulfillment-orders/{fo}/submit"),
            &f.api.token_a,
            json!({}),
        )
        .await
        .expect(StatusCode::OK);
    let shipped = f
        .api
        .post(
            &format!("/v1/warehouse/fulfillment-orders/{fo}/ship"),
            &f.wms,
            json!({}),
        )
        .await;
    assert!(shipped.expect(StatusCode::OK)["tracking_upload_id"].is_null());
    assert_eq!(f.order_view(ok).await["tracking_uploads"], json!([]));
    let asked: Vec<(String, Option<String>)> = f.fake.labels.lock().unwrap().clone();
    let carson = Some("Carson".to_owned());
    assert_eq!(
        asked,
        [
            ("L-1".into(), carson.clone()),
            ("L-2".into(), carson.clone()),
            ("L-1".into(), carson)
        ]
    );
}

async fn an_exception_is_cancelled_moved_to_pending_and_reviewed_again(api: OmsApi) {
    let f = flow(api).await;
    let order = f.order("E-1").await;
    f.review(order, f.platform_label).await;
    f.fake
        .label_errors
        .lock()
        .unwrap()
        .push_back(MarketplaceError::permanent("address invalid"));
    f.api.engine.fetch_due_labels().await.unwrap();
    let token = f.api.token_a.clone();
    // In Exception: only the reason, and cancel.
    let refused = f
        .api
        .post(
            &format!("/v1/orders/{order}/move-to-pending"),
            &token,
            json!({}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(
        refused.message().contains("can only be cancelled"),
        "{}",
        refused.text
    );
    let again = f.review(order, f.ups).await;
    assert_eq!(again["ok"], false);
    let cancelled = f
        .api
        .post(&format!("/v1/orders/{order}/cancel"), &token, json!({}))
        .await;
    assert_eq!(cancelled.expect(StatusCode::OK)["flow_status"], "cancelled");
    let pending = f
        .api
        .post(
            &format!("/v1/orders/{order}/move-to-pending"),
            &token,
            json!({}),
        )
        .await;
    let pending = pending.expect(StatusCode::OK);
    assert_eq!(pending["flow_status"], "pending");
    assert!(pending["exception_reason"].is_null());
    // Edited (another channel) and reviewed again.
    let passed = f.review(order, f.ups).await;
    assert_eq!(passed["flow_status"], "processing", "{passed}");
}

async fn auto_submit_submits_drafts_within_its_delay(api: OmsApi) {
    let f = flow(api).await;
    let (_, first) = f.ready("A-1").await;
    // Off: nothing is submitted.
    assert_eq!(f.api.engine.auto_submit().await.unwrap(), Some(0));
    let url = format!("/v1/sellers/{}/settings", f.api.seller_a.0);
    f.api
        .call(
            axum::http::Method::PUT,
            &url,
            &f.api.token_a,
            Some(json!({ "auto_submit": true })),
        )
        .await
        .expect(StatusCode::OK);
    let get = f.api.get(&url, &f.api.token_a).await;
    assert_eq!(get.expect(StatusCode::OK)["auto_submit"], true);
    // The pass runs once per delay (5 minutes by default); the draft waits at most that.
    assert_eq!(
        f.api.engine.auto_submit().await.unwrap(),
        None,
        "ran a moment ago"
    );
    f.advance(Duration::from_secs(5 * 60));
    assert_eq!(f.api.engine.auto_submit().await.unwrap(), Some(1));
    let fo = f
        .api
        .get(&format!("/v1/fulfillment-orders/{first}"), &f.api.token_a)
        .await;
    assert_eq!(fo.expect(StatusCode::OK)["status"], "warehouse_processing");
    let (_, second) = f.ready("A-2").await;
    f.advance(Duration::from_secs(4 * 60));
    assert_eq!(f.api.engine.auto_submit().await.unwrap(), None);
    f.advance(Duration::from_secs(60));
    assert_eq!(f.api.engine.auto_submit().await.unwrap(), Some(1));
    let fo = f
        .api
        .get(&format!("/v1/fulfillment-orders/{second}"), &f.api.token_a)
        .await;
    assert_eq!(fo.expect(StatusCode::OK)["status"], "warehouse_processing");
}

async fn uploads_retry_throttles_and_show_refusals(api: OmsApi) {
    let f = flow(api).await;
    let mut shipped = Vec::new();
    for id in ["U-1", "U-2"] {
        let (order, fo) = f.ready(id).await;
        f.api
            .post(
                &format!("/v1/fulfillment-orders/{fo}/submit"),
                &f.api.token_a,
                json!({}),
            )
            .await
            .expect(StatusCode::OK);
        f.api
            .post(
                &format!("/v1/warehouse/fulfillment-orders/{fo}/ship"),
                &f.wms,
                json!({}),
            )
            .await
            .expect(StatusCode::OK);
        shipped.push(order);
    }
    f.fake.upload_errors.lock().unwrap().extend([
        MarketplaceError::rate_limited(Some(Duration::from_secs(120)), "429 Too Many Requests"),
        MarketplaceError::permanent("order is cancelled on the platform"),
    ]);
    assert_eq!(f.api.engine.upload_due_tracking().await.unwrap(), 2);
    let throttled = f.order_view(shipped[0]).await;
    let u = &throttled["tracking_uploads"][0];
    assert_eq!(
        (u["status"].as_str(), u["attempts"].as_i64()),
        (Some("pending"), Some(1)),
        "{u}"
    );
    let refused = f.order_view(shipped[1]).await;
    let u = &refused["tracking_uploads"][0];
    assert_eq!(u["status"], "failed");
    assert!(
        u["last_error"]
            .as_str()
            .unwrap()
            .contains("cancelled on the platform"),
        "{u}"
    );
    // The platform asked for two minutes: not before.
    f.advance(Duration::from_secs(90));
    assert_eq!(f.api.engine.upload_due_tracking().await.unwrap(), 0);
    f.advance(Duration::from_secs(31));
    assert_eq!(f.api.engine.upload_due_tracking().await.unwrap(), 1);
    let done = f.order_view(shipped[0]).await;
    assert_eq!(done["tracking_uploads"][0]["status"], "uploaded");
    assert_eq!(
        done["tracking_uploads"][0]["shipment"]["carrier_code"],
        "UPS"
    );
}

async fn a_failed_submission_goes_back_to_draft_and_through(api: OmsApi) {
    let f = flow(api).await;
    let (_, first) = f.ready("S-1").await;
    let (_, second) = f.ready("S-2").await;
    // 5 in stock; the second needs 5 more than is left once the first is reserved.
    f.api
        .patch(
            &format!("/v1/fulfillment-orders/{second}"),
            &f.api.token_a,
            json!({ "lines": [{ "sku": "MUG-1", "quantity": 5 }] }),
        )
        .await
        .expect(StatusCode::OK);
    let out = f
        .api
        .post(
            "/v1/fulfillment-orders/submit",
            &f.api.token_a,
            json!({ "ids": [first, second] }),
        )
        .await;
    let out = out.expect(StatusCode::OK);
    assert_eq!(
        (out["submitted"].as_i64(), out["failed"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(out["outcomes"][1]["status"], "exception");
    let fo = f
        .api
        .get(&format!("/v1/fulfillment-orders/{second}"), &f.api.token_a)
        .await;
    let reason = fo.expect(StatusCode::OK)["exception_reason"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(reason.contains("insufficient inventory"), "{reason}");
    // Exception -> Draft -> edit -> resubmit.
    let draft = f
        .api
        .post(
            &format!("/v1/fulfillment-orders/{second}/move-to-draft"),
            &f.api.token_a,
            json!({}),
        )
        .await;
    assert_eq!(
        draft.expect(StatusCode::OK)["status"],
        "draft_pending_submit"
    );
    f.api
        .patch(
            &format!("/v1/fulfillment-orders/{second}"),
            &f.api.token_a,
            json!({ "lines": [{ "sku": "MUG-1", "quantity": 4 }] }),
        )
        .await
        .expect(StatusCode::OK);
    let again = f
        .api
        .post(
            &format!("/v1/fulfillment-orders/{second}/submit"),
            &f.api.token_a,
            json!({}),
        )
        .await;
    assert_eq!(again.expect(StatusCode::OK)["submitted"], 1);
    let inventory = f.api.get("/v1/inventory", &f.api.token_a).await;
    let row = &inventory.expect(StatusCode::OK)["inventory"][0];
    assert_eq!(
        (row["available"].as_i64(), row["reserved"].as_i64()),
        (Some(0), Some(5))
    );
}

async fn callers_see_and_do_only_what_is_theirs(api: OmsApi) {
    let f = flow(api).await;
    let (order, fo) = f.ready("P-1").await;
    let b = f.api.token_b.clone();
    // Seller B: another seller's order and fulfillment order are not found.
    for (path, body) in [
        (format!("/v1/orders/{order}/cancel"), json!({})),
        (format!("/v1/fulfillment-orders/{fo}/submit"), json!({})),
        (
            format!("/v1/orders/{order}/assign"),
            json!({ "warehouse_id": f.wh, "channel_id": f.ups }),
        ),
    ] {
        assert_eq!(
            f.api.post(&path, &b, body).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    assert_eq!(
        f.api
            .get(&format!("/v1/fulfillment-orders/{fo}"), &b)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let review = f
        .api
        .post("/v1/orders/review", &b, json!({ "order_ids": [order] }))
        .await;
    assert_eq!(
        review.expect(StatusCode::OK)["outcomes"][0]["message"],
        "order not found"
    );
    let listed = f.api.get("/v1/fulfillment-orders", &b).await;
    assert_eq!(
        listed.expect(StatusCode::OK)["fulfillment_orders"],
        json!([])
    );
    // Sellers cannot report for the warehouse; a warehouse token cannot act as a seller.
    let ship = format!("/v1/warehouse/fulfillment-orders/{fo}/ship");
    assert_eq!(
        f.api.post(&ship, &f.api.token_a, json!({})).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        f.api.get("/v1/orders", &f.wms).await.status,
        StatusCode::FORBIDDEN
    );
    // Another warehouse's token does not see this warehouse's work.
    let other = f
        .api
        .store
        .create_warehouse("NYC-1", "New York", "USD")
        .await
        .unwrap();
    let other_wms = f.api.warehouse_token(other).await;
    assert_eq!(
        f.api.post(&ship, &other_wms, json!({})).await.status,
        StatusCode::NOT_FOUND
    );
    let work = f
        .api
        .get(
            &format!("/v1/warehouse/fulfillment-orders?warehouse_id={}", f.wh),
            &other_wms,
        )
        .await;
    assert_eq!(work.status, StatusCode::FORBIDDEN);
    // Only the operator creates warehouses and channels.
    let wh = f
        .api
        .post(
            "/v1/warehouses",
            &f.api.token_a,
            json!({ "code": "X", "name": "X", "currency": "USD" }),
        )
        .await;
    assert_eq!(wh.status, StatusCode::FORBIDDEN);
    // Bad input: a clear 4xx, never a panic.
    for (path, body, want) in [
        (
            "/v1/orders/review",
            json!({ "order_ids": [] }),
            StatusCode::BAD_REQUEST,
        ),
        (
            "/v1/orders/review",
            json!({ "order_ids": [order], "warehouse_id": f.wh }),
            StatusCode::BAD_REQUEST,
        ),
        (
            "/v1/orders/review",
            json!({ "order_ids": "all" }),
            StatusCode::BAD_REQUEST,
        ),
        (
            "/v1/fulfillment-orders/submit",
            json!({ "ids": [fo], "force": true }),
            StatusCode::BAD_REQUEST,
        ),
        (
            "/v1/fulfillment-orders",
            json!({ "reference": "M-1", "warehouse_id": f.wh, "channel_id": f.platform_label,
            "ship_to": {}, "lines": [{ "sku": "MUG-1", "quantity": 1 }] }),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/v1/fulfillment-orders",
            json!({ "reference": "M-1", "warehouse_id": f.wh, "channel_id": f.ups,
            "ship_to": {}, "lines": [{ "sku": "NOPE", "quantity": 1 }] }),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let r = f.api.post(path, &f.api.token_a, body).await;
        assert_eq!(r.status, want, "{path}: {}", r.text);
        assert!(!r.message().is_empty());
    }
    let bad_label = f
        .api
        .post(
            &format!("/v1/warehouse/fulfillment-orders/{fo}/label"),
            &f.wms,
            json!({ "tracking_number": "1Z", "label_base64": "not base64!" }),
        )
        .await;
    assert_eq!(bad_label.status, StatusCode::BAD_REQUEST);
}

async fn manual_orders_are_imported_all_or_nothing(api: OmsApi) {
    let f = flow(api).await;
    let bad =
        "reference,warehouse,channel,sku,quantity\nM-1,LAX-1,UPS,MUG-1,2\nM-2,LAX-1,UPS,HAT,1\n";
    let r = f
        .api
        .post_raw(
            "/v1/fulfillment-orders/import",
            &f.api.token_a,
            "text/csv",
            bad,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["error"]["code"], "invalid_csv");
    assert_eq!(
        r.body["error"]["rows"],
        json!([{ "line": 3, "message": "unknown SKU HAT" }])
    );
    let good =
        "reference,warehouse,channel,sku,quantity,name,city\nM-1,LAX-1,UPS,MUG-1,2,Ann,Austin\n";
    let r = f
        .api
        .post_raw(
            "/v1/fulfillment-orders/import",
            &f.api.token_a,
            "text/csv",
            good,
        )
        .await;
    let created = r.expect(StatusCode::CREATED);
    let id = created["ids"][0].as_i64().unwrap();
    let fo = f
        .api
        .get(&format!("/v1/fulfillment-orders/{id}"), &f.api.token_a)
        .await;
    let fo = fo.expect(StatusCode::OK);
    assert_eq!(
        (fo["reference"].as_str(), fo["order_id"].is_null()),
        (Some("M-1"), true)
    );
    // The operator names the seller; JSON is not CSV.
    let r = f
        .api
        .post_raw(
            "/v1/fulfillment-orders/import",
            &f.api.operator,
            "text/csv",
            good,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = f
        .api
        .post_raw(
            "/v1/fulfillment-orders/import",
            &f.api.token_a,
            "application/json",
            "{}",
        )
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

/// Warehouses, a manual order imported from CSV, and the warehouse's reports, through the
/// `omsync` binary.
async fn cli_round_trip(url: String) {
    let files = tempfile::tempdir().unwrap();
    let store = core_model::store::OrderStore::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let seller = store.create_seller("CLI").await.unwrap();
    let new: NewProduct = serde_json::from_value(json!({ "sku": "MUG-1", "name": "Mug" })).unwrap();
    let mug = store.create_product(seller, &new).await.unwrap().id;
    store.submit_product(mug).await.unwrap();
    store.approve_product(mug).await.unwrap();
    store.close().await;
    let cli = Omsync::at(&url);
    let omsync = |args: &[&str]| cli.output(args);
    let ok = |args: &[&str]| cli.ok(args);
    let s = seller.0.to_string();
    assert!(ok(&["warehouse", "add", "--code", "LAX-1", "--name", "LA"]).contains("warehouse 1"));
    ok(&[
        "warehouse",
        "add-channel",
        "--warehouse",
        "1",
        "--code",
        "UPS",
        "--name",
        "UPS",
        "--kind",
        "warehouse",
        "--carrier",
        "UPS",
    ]);
    let listed = ok(&["warehouse", "list"]);
    assert!(
        listed.contains("LAX-1") && listed.contains("channel 1"),
        "{listed}"
    );
    let bad = files.path().join("bad.csv");
    std::fs::write(
        &bad,
        "reference,warehouse,channel,sku,quantity\nM-1,LAX-1,UPS,MUG-1,x\n",
    )
    .unwrap();
    let out = omsync(&[
        "fulfillment",
        "import",
        bad.to_str().unwrap(),
        "--seller",
        &s,
    ]);
    assert!(!out.status.success());
    let printed = String::from_utf8(out.stdout).unwrap();
    assert!(
        printed.contains("line 2: quantity `x` is not a positive whole number"),
        "{printed}"
    );
    let good = files.path().join("good.csv");
    std::fs::write(
        &good,
        "reference,warehouse,channel,sku,quantity\nM-1,LAX-1,UPS,MUG-1,2\n",
    )
    .unwrap();
    assert!(ok(&[
        "fulfillment",
        "import",
        good.to_str().unwrap(),
        "--seller",
        &s
    ])
    .contains("1 fulfillment order(s) created"));
    ok(&["fulfillment", "label", "1", "--tracking", "1ZCLI"]);
    let list = ok(&["fulfillment", "list", "--json"]);
    let fo: Value = serde_json::from_str(list.lines().next().unwrap()).unwrap();
    assert_eq!(
        (fo["status"].as_str(), fo["tracking_number"].as_str()),
        (Some("draft_pending_submit"), Some("1ZCLI"))
    );
    // No stock: submission fails into Exception; back to Draft; cancelled.
    assert!(!omsync(&["fulfillment", "submit", "1"]).status.success());
    assert!(ok(&["fulfillment", "move-to-draft", "1"]).contains("Pending submit"));
    ok(&["fulfillment", "cancel", "1"]);
    assert!(ok(&["fulfillment", "show", "1"]).contains("\"cancelled\""));
    assert!(ok(&["order", "auto-submit", "--seller", &s, "on"])
        .contains("auto-submit to warehouse after review on"));
}
