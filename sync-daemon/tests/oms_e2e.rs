//! One Walmart order from pull to "uploaded", through the admin API and the real Walmart
//! connector against its fixtures (`multi-page` for the pull, `tracking` for the upload) on a
//! loopback mock: operator setup, the seller's product, mapping, inbound and top-up, review
//! (refused first: the SKU is not mapped), the warehouse's label, submission, shipment, and
//! the tracking worker's upload.
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

mod support;

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::StatusCode;
use base64::Engine as _;
use chrono::TimeDelta;
use connector_testkit::{fixtures_root, mount_for_serving, LoadedScenario};
use core_model::fulfillment::WarehouseId;
use core_model::store::RunStatus;
use core_model::Platform;
use serde_json::{json, Value};
use support::api::{t0, OmsApi};
use sync_daemon::sync::{ConnectorSource, RegistrySource};
use wiremock::MockServer;

const ORDER: &str = "108921034567812";

async fn walmart() -> (MockServer, LoadedScenario) {
    let factory = sync_daemon::registry::factory(Platform::Walmart).unwrap();
    let dir = fixtures_root().join("walmart");
    let pull = LoadedScenario::load(&dir.join("multi-page")).unwrap();
    let tracking = LoadedScenario::load(&dir.join("tracking")).unwrap();
    let server = MockServer::start().await;
    mount_for_serving(&server, Arc::clone(&factory), &pull)
        .await
        .unwrap();
    mount_for_serving(&server, factory, &tracking)
        .await
        .unwrap();
    (server, pull)
}

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("no id in {v}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_walmart_order_goes_from_pull_to_uploaded() {
    let (server, pull) = walmart().await;
    let base = HashMap::from([(Platform::Walmart, server.uri().parse().unwrap())]);
    let source: Arc<dyn ConnectorSource> = Arc::new(RegistrySource::new(base, false).unwrap());
    let api = OmsApi::with_source(source).await;
    let (ops, seller) = (api.operator.clone(), api.token_a.clone());

    // The seller's Walmart store, authorized with the fixture's credentials; its scheduled
    // pull is not due during the test.
    let store = api
        .store
        .create_store(api.seller_a, Platform::Walmart, "walmart")
        .await
        .unwrap();
    api.engine
        .authorize_at(store, &pull.credentials, t0() + TimeDelta::days(1))
        .await
        .unwrap();
    let w = pull.expect.window.unwrap();
    let window = json!({ "from": w.from, "to": w.to });
    api.post(&format!("/v1/stores/{}/sync", store.0), &seller, window)
        .await
        .expect(StatusCode::ACCEPTED);
    api.engine.dispatch().await.unwrap();
    api.engine.wait_idle().await;
    let runs = api.store.list_runs(Some(store), None, 5).await.unwrap();
    assert_eq!(runs[0].status, RunStatus::Succeeded, "{runs:?}");
    let order = api.store.get_order(store, ORDER).await.unwrap().unwrap();
    let line = &order.order.lines[0];
    let oid = order.id.0;

    // The operator: a warehouse with a UPS channel.
    let wh = api
        .post(
            "/v1/warehouses",
            &ops,
            json!({ "code": "LAX-1", "name": "Los Angeles", "currency": "USD" }),
        )
        .await;
    let wh = id(wh.expect(StatusCode::CREATED));
    let ch = api
        .post(
            &format!("/v1/warehouses/{wh}/channels"),
            &ops,
            json!({ "code": "UPS-GROUND", "name": "UPS Ground", "kind": "warehouse", "carrier_code": "UPS" }),
        )
        .await;
    let ch = id(ch.expect(StatusCode::CREATED));
    let wms = api.warehouse_token(WarehouseId(wh)).await;

    // Review before the SKU is mapped: refused with the guide's words, nothing changes.
    let review = json!({ "order_ids": [oid], "warehouse_id": wh, "channel_id": ch });
    let refused = api.post("/v1/orders/review", &seller, review.clone()).await;
    let refused = refused.expect(StatusCode::OK);
    assert_eq!(refused["refused"], 1);
    assert_eq!(
        refused["outcomes"][0]["message"],
        "Platform SKU not bound to system SKU"
    );

    // The seller's product, audited and measured by the warehouse; mapped in this store.
    let p = api
        .post(
            "/v1/products",
            &seller,
            json!({ "sku": "MUG-12", "name": "Blue mug 12 oz" }),
        )
        .await;
    let p = id(p.expect(StatusCode::CREATED));
    api.post(&format!("/v1/products/{p}/submit"), &seller, json!({}))
        .await
        .expect(StatusCode::OK);
    api.post(&format!("/v1/products/{p}/approve"), &ops, json!({}))
        .await
        .expect(StatusCode::OK);
    api.post(
        &format!("/v1/stores/{}/mappings", store.0),
        &seller,
        json!({ "platform_sku": line.platform_sku, "system_sku": "MUG-12", "quantity": 1 }),
    )
    .await
    .expect(StatusCode::CREATED);
    let unmeasured = api.post("/v1/orders/review", &seller, review.clone()).await;
    assert_eq!(
        unmeasured.expect(StatusCode::OK)["outcomes"][0]["message"],
        "System SKU has not been measured as new product"
    );
    api.post(
        &format!("/v1/products/{p}/measure"),
        &ops,
        json!({ "weight_g": 410 }),
    )
    .await
    .expect(StatusCode::OK);

    // No stock yet: insufficient inventory. An inbound order, received by the warehouse.
    let no_stock = api.post("/v1/orders/review", &seller, review.clone()).await;
    assert_eq!(
        no_stock.expect(StatusCode::OK)["outcomes"][0]["message"],
        "Failed to generate fulfillment order: insufficient inventory"
    );
    let asn = api
        .post(
            "/v1/inbound",
            &seller,
            json!({ "warehouse_id": wh, "kind": "standard",
            "reference": "ASN-1", "lines": [{ "sku": "MUG-12", "quantity": 10 }], "submit": true }),
        )
        .await;
    let asn = id(asn.expect(StatusCode::CREATED));
    api.post(
        &format!("/v1/warehouse/inbound/{asn}/receive"),
        &wms,
        json!({}),
    )
    .await
    .expect(StatusCode::OK);

    // No funds yet. A top-up the warehouse approves.
    let broke = api.post("/v1/orders/review", &seller, review.clone()).await;
    assert_eq!(
        broke.expect(StatusCode::OK)["outcomes"][0]["message"],
        "Insufficient available amount: account balance + credit limit must be above 0"
    );
    let top_up = api
        .post(
            "/v1/top-ups",
            &seller,
            json!({ "amount": "50.00", "currency": "USD",
            "proof_reference": "WIRE-2026-0501" }),
        )
        .await;
    let top_up = id(top_up.expect(StatusCode::CREATED));
    let pending = api.post("/v1/orders/review", &seller, review.clone()).await;
    assert_eq!(
        pending.expect(StatusCode::OK)["refused"],
        1,
        "a pending top-up does not count"
    );
    api.post(&format!("/v1/top-ups/{top_up}/approve"), &ops, json!({}))
        .await
        .expect(StatusCode::OK);

    // Review passes: Draft (Fetching carrier label), order Processing.
    let passed = api.post("/v1/orders/review", &seller, review).await;
    let passed = passed.expect(StatusCode::OK);
    assert_eq!(passed["reviewed"], 1, "{passed}");
    assert_eq!(passed["outcomes"][0]["flow_status"], "processing");
    let fo = passed["outcomes"][0]["fulfillment_id"].as_i64().unwrap();

    // The warehouse's carrier label: Pending submit. The seller submits: stock reserved.
    let work = api
        .get(
            "/v1/warehouse/fulfillment-orders?status=draft_fetching",
            &wms,
        )
        .await;
    assert_eq!(
        work.expect(StatusCode::OK)["fulfillment_orders"][0]["id"],
        fo
    );
    let label = base64::engine::general_purpose::STANDARD.encode(b"%PDF-1.4 ups label");
    api.post(
        &format!("/v1/warehouse/fulfillment-orders/{fo}/label"),
        &wms,
        json!({ "tracking_number": "1Z999AA10123456784", "carrier_code": "UPS",
                "label_base64": label, "format": "pdf" }),
    )
    .await
    .expect(StatusCode::OK);
    let submitted = api
        .post(
            &format!("/v1/fulfillment-orders/{fo}/submit"),
            &seller,
            json!({}),
        )
        .await;
    assert_eq!(submitted.expect(StatusCode::OK)["submitted"], 1);
    let stock = api.get("/v1/inventory", &seller).await;
    let row = &stock.expect(StatusCode::OK)["inventory"][0];
    assert_eq!(
        (row["available"].as_i64(), row["reserved"].as_i64()),
        (Some(9), Some(1)),
        "{row}"
    );

    // The warehouse ships it: the upload is queued with the shipment.
    let shipped = api
        .post(
            &format!("/v1/warehouse/fulfillment-orders/{fo}/ship"),
            &wms,
            json!({ "shipped_at": "2026-05-11T15:04:05Z" }),
        )
        .await;
    assert!(shipped.expect(StatusCode::OK)["tracking_upload_id"].is_i64());
    let detail = api.get(&format!("/v1/orders/{oid}"), &seller).await;
    let detail = detail.expect(StatusCode::OK);
    assert_eq!(detail["flow_status"], "shipped");
    assert_eq!(detail["tracking_uploads"][0]["status"], "pending");

    // The worker uploads it with the real connector.
    assert_eq!(api.engine.upload_due_tracking().await.unwrap(), 1);
    let detail = api.get(&format!("/v1/orders/{oid}"), &seller).await;
    let upload = &detail.expect(StatusCode::OK)["tracking_uploads"][0];
    assert_eq!(upload["status"], "uploaded", "{upload}");
    assert_eq!(upload["already_confirmed"], false);
    assert_eq!(upload["shipment"]["tracking_number"], "1Z999AA10123456784");

    // Stock left the warehouse; every movement names its document.
    let moves = api
        .get(
            &format!("/v1/inventory/transactions?document_type=fulfillment&document_id={fo}"),
            &seller,
        )
        .await;
    let moves = moves.expect(StatusCode::OK);
    let reasons: Vec<&str> = moves["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["ship", "reserve"], "{moves}");
    let shipping_calls = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path().ends_with("/shipping"))
        .count();
    assert_eq!(shipping_calls, 1);
}
