//! Inventory, inbound orders and seller accounts through the admin API and the CLI, on SQLite
//! and (with `DATABASE_URL`) PostgreSQL: who sees what (seller A never sees B's inbound orders
//! or account; a warehouse token receives only its own warehouse's inbound orders), bad input
//! answered 4xx with the field named, and one round trip through the `omsync` binary.
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

use std::process::Output;

use axum::http::{Method, StatusCode};
use base64::Engine as _;
use core_model::fulfillment::WarehouseId;
use core_model::store::OrderStore;
use core_model::SellerId;
use serde_json::{json, Value};
use sqlx::{Connection, Executor, PgConnection};

mod support;

use support::api::{Answer, OmsApi};
use support::cli::Omsync;

async fn put(api: &OmsApi, uri: &str, token: &str, body: Value) -> Answer {
    api.call(Method::PUT, uri, token, Some(body)).await
}

both_backends! {
    url:
    sellers_see_only_their_own_inbound_and_inventory,
    warehouse_token_receives_only_its_own_inbound,
    sellers_see_only_their_own_account_and_top_ups,
    bad_input_is_answered_4xx,
    cli_round_trip;
}

/// Runs one statement on the database at `url` (products come from another module's API).
async fn exec(url: &str, sql: &str) {
    if url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
        c.execute(sql).await.unwrap();
    } else {
        let mut c = PgConnection::connect(url).await.unwrap();
        c.execute(sql).await.unwrap();
    }
}

/// A product of `seller` in `status`, as the catalog leaves it; its id.
async fn product(url: &str, seller: SellerId, sku: &str, status: &str) -> i64 {
    exec(
        url,
        &format!(
            "INSERT INTO products (seller_id, sku, name, status, measured, created_at, \
             updated_at) VALUES ({}, '{sku}', '{sku}', '{status}', TRUE, \
             '2026-05-01T00:00:00Z', '2026-05-01T00:00:00Z')",
            seller.0
        ),
    )
    .await;
    product_id(url, seller, sku).await
}

async fn product_id(url: &str, seller: SellerId, sku: &str) -> i64 {
    let q = format!(
        "SELECT id FROM products WHERE seller_id = {} AND sku = '{sku}'",
        seller.0
    );
    if url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query_scalar(&q).fetch_one(&mut c).await.unwrap()
    } else {
        let mut c = PgConnection::connect(url).await.unwrap();
        sqlx::query_scalar(&q).fetch_one(&mut c).await.unwrap()
    }
}

struct World {
    api: OmsApi,
    url: String,
    la: WarehouseId,
    ny: WarehouseId,
    la_token: String,
    ny_token: String,
}

async fn world(url: String) -> World {
    let api = OmsApi::open(&url, None).await;
    let la = api
        .store
        .create_warehouse("LA1", "Los Angeles", "USD")
        .await
        .unwrap();
    let ny = api
        .store
        .create_warehouse("NY1", "New York", "USD")
        .await
        .unwrap();
    let la_token = api.warehouse_token(la).await;
    let ny_token = api.warehouse_token(ny).await;
    World {
        api,
        url,
        la,
        ny,
        la_token,
        ny_token,
    }
}

/// Seller A's submitted inbound order of 10 x A-1 into LA; its id.
async fn a_inbound(w: &World) -> i64 {
    let body = w
        .api
        .post(
            "/v1/inbound",
            &w.api.token_a,
            json!({
                "warehouse_id": w.la.0,
                "kind": "standard",
                "reference": "ASN-A-1",
                "lines": [{"sku": "A-1", "quantity": 10}],
                "submit": true
            }),
        )
        .await
        .expect(StatusCode::CREATED)
        .clone();
    assert_eq!(body["status"], "submitted");
    assert_eq!(body["lines"][0]["sku"], "A-1");
    body["id"].as_i64().unwrap()
}

// ---------------------------------------------------------------------------------------------
// Cases

async fn sellers_see_only_their_own_inbound_and_inventory(url: String) {
    let w = world(url).await;
    let api = &w.api;
    product(&w.url, api.seller_a, "A-1", "approved").await;
    let id = a_inbound(&w).await;
    let path = format!("/v1/inbound/{id}");

    // B: not found, whatever it tries; its list is empty.
    api.get(&path, &api.token_b)
        .await
        .expect(StatusCode::NOT_FOUND);
    for action in ["submit", "cancel"] {
        api.post(&format!("{path}/{action}"), &api.token_b, json!({}))
            .await
            .expect(StatusCode::NOT_FOUND);
    }
    api.patch(&path, &api.token_b, json!({"reference": "mine"}))
        .await
        .expect(StatusCode::NOT_FOUND);
    api.delete(&path, &api.token_b)
        .await
        .expect(StatusCode::NOT_FOUND);
    let listed = api.get("/v1/inbound", &api.token_b).await;
    assert_eq!(listed.expect(StatusCode::OK)["inbound"], json!([]));
    let asked = format!("/v1/inbound?seller_id={}", api.seller_a.0);
    let listed = api.get(&asked, &api.token_b).await;
    assert_eq!(listed.expect(StatusCode::OK)["inbound"], json!([]));

    // A and the operator see it.
    api.get(&path, &api.token_a).await.expect(StatusCode::OK);
    let listed = api.get("/v1/inbound", &api.operator).await;
    assert_eq!(listed.expect(StatusCode::OK)["inbound"][0]["id"], id);

    // Received by LA: A sees the inventory and its movement, B sees nothing of it.
    api.post(
        &format!("/v1/warehouse/inbound/{id}/receive"),
        &w.la_token,
        json!({}),
    )
    .await
    .expect(StatusCode::OK);
    let inv = api.get("/v1/inventory", &api.token_a).await;
    let inv = &inv.expect(StatusCode::OK)["inventory"];
    assert_eq!(inv.as_array().unwrap().len(), 1, "{inv}");
    assert_eq!(inv[0]["available"], 10);
    assert_eq!(inv[0]["kind"], "product");
    let inv = api.get("/v1/inventory", &api.token_b).await;
    assert_eq!(inv.expect(StatusCode::OK)["inventory"], json!([]));
    let inv = api
        .get(
            &format!("/v1/inventory?warehouse_id={}", w.ny.0),
            &api.token_a,
        )
        .await;
    assert_eq!(inv.expect(StatusCode::OK)["inventory"], json!([]));
    let txs = api
        .get(
            &format!("/v1/inventory/transactions?document_type=inbound&document_id={id}"),
            &api.token_a,
        )
        .await;
    let txs = &txs.expect(StatusCode::OK)["transactions"];
    assert_eq!(txs.as_array().unwrap().len(), 1);
    assert_eq!(txs[0]["reason"], "inbound");
    assert_eq!(txs[0]["available_after"], 10);
    let txs = api.get("/v1/inventory/transactions", &api.token_b).await;
    assert_eq!(txs.expect(StatusCode::OK)["transactions"], json!([]));
    let age = api.get("/v1/inventory/age", &api.token_a).await;
    assert_eq!(age.expect(StatusCode::OK)["age"][0]["days_0_30"], 10);
    let age = api.get("/v1/inventory/age", &api.token_b).await;
    assert_eq!(age.expect(StatusCode::OK)["age"], json!([]));

    // A warehouse token reads its own warehouse's inventory only.
    let inv = api.get("/v1/inventory", &w.la_token).await;
    assert_eq!(inv.expect(StatusCode::OK)["inventory"][0]["available"], 10);
    let inv = api.get("/v1/inventory", &w.ny_token).await;
    assert_eq!(inv.expect(StatusCode::OK)["inventory"], json!([]));
    let inv = api
        .get(
            &format!("/v1/inventory?warehouse_id={}", w.la.0),
            &w.ny_token,
        )
        .await;
    assert_eq!(inv.expect(StatusCode::OK)["inventory"], json!([]));
    // ...and no seller endpoint.
    api.get("/v1/inbound", &w.la_token)
        .await
        .expect(StatusCode::FORBIDDEN);
}

async fn warehouse_token_receives_only_its_own_inbound(url: String) {
    let w = world(url).await;
    let api = &w.api;
    product(&w.url, api.seller_a, "A-1", "approved").await;
    let id = a_inbound(&w).await;
    let receive = format!("/v1/warehouse/inbound/{id}/receive");

    // The work lists: LA has it, NY does not; a seller has none.
    let list = api
        .get("/v1/warehouse/inbound?status=submitted", &w.la_token)
        .await;
    assert_eq!(list.expect(StatusCode::OK)["inbound"][0]["id"], id);
    let list = api
        .get("/v1/warehouse/inbound?status=submitted", &w.ny_token)
        .await;
    assert_eq!(list.expect(StatusCode::OK)["inbound"], json!([]));
    api.get("/v1/warehouse/inbound", &api.token_a)
        .await
        .expect(StatusCode::FORBIDDEN);

    // NY cannot receive LA's inbound order (not found), the seller may not receive at all.
    api.post(&receive, &w.ny_token, json!({}))
        .await
        .expect(StatusCode::NOT_FOUND);
    api.post(&receive, &api.token_a, json!({}))
        .await
        .expect(StatusCode::FORBIDDEN);
    let shown = api.get(&format!("/v1/inbound/{id}"), &api.token_a).await;
    assert_eq!(shown.expect(StatusCode::OK)["status"], "submitted");

    // LA receives 8 of 10; a second receipt is refused.
    let received = api
        .post(
            &receive,
            &w.la_token,
            json!({"lines": [{"line_no": 1, "received": 8}]}),
        )
        .await;
    let received = received.expect(StatusCode::OK);
    assert_eq!(received["status"], "received");
    assert_eq!(received["lines"][0]["received"], 8);
    let again = api.post(&receive, &w.la_token, json!({})).await;
    again.expect(StatusCode::CONFLICT);
    assert!(
        again.message().contains("already received"),
        "{}",
        again.text
    );
    let list = api
        .get("/v1/warehouse/inbound?status=submitted", &w.la_token)
        .await;
    assert_eq!(list.expect(StatusCode::OK)["inbound"], json!([]));

    // A draft cannot be received, even by the operator.
    let draft = api
        .post(
            "/v1/inbound",
            &api.token_a,
            json!({
                "warehouse_id": w.la.0,
                "reference": "ASN-A-2",
                "lines": [{"sku": "A-1", "quantity": 1}]
            }),
        )
        .await
        .expect(StatusCode::CREATED)
        .clone();
    assert_eq!(draft["status"], "draft");
    let r = api
        .post(
            &format!("/v1/warehouse/inbound/{}/receive", draft["id"]),
            &api.operator,
            json!({}),
        )
        .await;
    r.expect(StatusCode::CONFLICT);
    assert!(r.message().contains("draft"), "{}", r.text);

    // Adjustments: LA adjusts its own inventory (returns arrive this way), not NY's.
    let product_id = product_id(&w.url, api.seller_a, "A-1").await;
    let adj = api
        .post(
            "/v1/inventory/adjustments",
            &w.la_token,
            json!({"product_id": product_id, "kind": "return", "delta": 2, "note": "returned"}),
        )
        .await;
    assert_eq!(adj.expect(StatusCode::CREATED)["level"]["available"], 2);
    api.post(
        "/v1/inventory/adjustments",
        &w.ny_token,
        json!({"warehouse_id": w.la.0, "product_id": product_id, "delta": 1, "note": "x"}),
    )
    .await
    .expect(StatusCode::FORBIDDEN);
    api.post(
        "/v1/inventory/adjustments",
        &api.token_a,
        json!({"warehouse_id": w.la.0, "product_id": product_id, "delta": 1, "note": "x"}),
    )
    .await
    .expect(StatusCode::FORBIDDEN);
    let below = api
        .post(
            "/v1/inventory/adjustments",
            &api.operator,
            json!({"warehouse_id": w.la.0, "product_id": product_id, "delta": -9, "note": "lost"}),
        )
        .await;
    below.expect(StatusCode::CONFLICT);
    assert!(below.message().contains("below zero"), "{}", below.text);
    let inv = api.get("/v1/inventory?kind=product", &api.token_a).await;
    assert_eq!(inv.expect(StatusCode::OK)["inventory"][0]["available"], 8);
}

async fn sellers_see_only_their_own_account_and_top_ups(url: String) {
    let w = world(url).await;
    let api = &w.api;
    let proof = base64::engine::general_purpose::STANDARD.encode(b"%PDF-1.4 bank receipt");
    let created = api
        .post(
            "/v1/top-ups",
            &api.token_a,
            json!({
                "amount": "100.00",
                "currency": "USD",
                "proof_reference": "WIRE-0001",
                "proof": {"format": "pdf", "content_base64": proof}
            }),
        )
        .await;
    let created = created.expect(StatusCode::CREATED).clone();
    assert_eq!(created["status"], "pending");
    assert_eq!(created["amount"], "100.00");
    assert!(created["proof_document_id"].is_i64());
    let id = created["id"].as_i64().unwrap();

    // The proof comes back as uploaded, to its seller and the operator only.
    let proof_uri = format!("/v1/top-ups/{id}/proof");
    for token in [&api.token_a, &api.operator] {
        let (status, bytes) = api.get_bytes(&proof_uri, token).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(bytes, b"%PDF-1.4 bank receipt");
    }
    let (status, _) = api.get_bytes(&proof_uri, &api.token_b).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Pending does not count.
    let account = api.get("/v1/account", &api.token_a).await;
    let account = account.expect(StatusCode::OK);
    assert_eq!(account["available"], "0.00");
    assert_eq!(account["pending_top_ups"], "100.00");

    // B sees none of A's.
    api.get(&format!("/v1/top-ups/{id}"), &api.token_b)
        .await
        .expect(StatusCode::NOT_FOUND);
    let list = api.get("/v1/top-ups", &api.token_b).await;
    assert_eq!(list.expect(StatusCode::OK)["top_ups"], json!([]));
    api.get(
        &format!("/v1/account?seller_id={}", api.seller_a.0),
        &api.token_b,
    )
    .await
    .expect(StatusCode::NOT_FOUND);
    let b = api.get("/v1/account", &api.token_b).await;
    assert_eq!(b.expect(StatusCode::OK)["seller_id"], api.seller_b.0);

    // Only the operator decides and sets limits; a warehouse token has no account access.
    api.post(
        &format!("/v1/top-ups/{id}/approve"),
        &api.token_a,
        json!({}),
    )
    .await
    .expect(StatusCode::FORBIDDEN);
    put(
        api,
        &format!("/v1/accounts/{}", api.seller_a.0),
        &api.token_a,
        json!({"credit_limit": "1000"}),
    )
    .await
    .expect(StatusCode::FORBIDDEN);
    api.get("/v1/account", &w.la_token)
        .await
        .expect(StatusCode::FORBIDDEN);

    let approved = api
        .post(
            &format!("/v1/top-ups/{id}/approve"),
            &api.operator,
            json!({}),
        )
        .await;
    assert_eq!(approved.expect(StatusCode::OK)["status"], "approved");
    let twice = api
        .post(
            &format!("/v1/top-ups/{id}/approve"),
            &api.operator,
            json!({}),
        )
        .await;
    twice.expect(StatusCode::CONFLICT);
    assert!(twice.message().contains("already approved"));

    let set = put(
        api,
        &format!("/v1/accounts/{}", api.seller_a.0),
        &api.operator,
        json!({"credit_limit": "50.5"}),
    )
    .await;
    let set = set.expect(StatusCode::OK);
    assert_eq!(set["credit_limit"], "50.50");
    assert_eq!(set["available"], "150.50");
    let account = api.get("/v1/account", &api.token_a).await;
    let account = account.expect(StatusCode::OK);
    assert_eq!(account["currency"], "USD");
    assert_eq!(account["balance"], "100.00");
    assert_eq!(account["available"], "150.50");
    assert_eq!(account["transactions"][0]["kind"], "credit_limit");
    assert_eq!(account["transactions"][1]["kind"], "top_up");
    let ops = api
        .get(
            &format!("/v1/account?seller_id={}", api.seller_a.0),
            &api.operator,
        )
        .await;
    assert_eq!(ops.expect(StatusCode::OK)["available"], "150.50");

    // A rejected top-up carries its reason.
    let second = api
        .post(
            "/v1/top-ups",
            &api.token_a,
            json!({"amount": "5", "currency": "USD", "proof_reference": "WIRE-0002"}),
        )
        .await
        .expect(StatusCode::CREATED)
        .clone();
    let rejected = api
        .post(
            &format!("/v1/top-ups/{}/reject", second["id"]),
            &api.operator,
            json!({"reason": "no such transfer"}),
        )
        .await;
    let rejected = rejected.expect(StatusCode::OK);
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["reject_reason"], "no such transfer");
}

async fn bad_input_is_answered_4xx(url: String) {
    let w = world(url).await;
    let api = &w.api;
    product(&w.url, api.seller_a, "A-1", "approved").await;
    product(&w.url, api.seller_a, "DRAFT-1", "submitted").await;
    product(&w.url, api.seller_b, "B-1", "approved").await;

    let inbound = |lines: Value| json!({"warehouse_id": w.la.0, "reference": "R", "lines": lines, "submit": true});
    let cases: Vec<(Value, StatusCode, &str)> = vec![
        (
            inbound(json!([{"sku": "A-1", "quantity": 0}])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "quantity",
        ),
        (
            inbound(json!([{"sku": "B-1", "quantity": 1}])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "B-1",
        ),
        (
            inbound(json!([{"sku": "DRAFT-1", "quantity": 1}])),
            StatusCode::CONFLICT,
            "approved",
        ),
        (
            inbound(json!([])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "lines",
        ),
        (
            json!({"warehouse_id": 999, "reference": "R", "lines": [{"sku": "A-1", "quantity": 1}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "warehouse_id",
        ),
        (
            json!({"warehouse_id": w.la.0, "kind": "teleport", "reference": "R", "lines": []}),
            StatusCode::BAD_REQUEST,
            "kind",
        ),
        (
            json!({"warehouse_id": w.la.0, "reference": "R", "lines": [], "status": "received"}),
            StatusCode::BAD_REQUEST,
            "status",
        ),
    ];
    for (body, status, needle) in cases {
        let r = api.post("/v1/inbound", &api.token_a, body.clone()).await;
        assert_eq!(r.status, status, "{body}: {}", r.text);
        assert!(r.message().contains(needle), "{body}: {}", r.text);
    }
    let r = api
        .post(
            "/v1/inbound",
            &api.operator,
            inbound(json!([{"sku": "A-1", "quantity": 1}])),
        )
        .await;
    r.expect(StatusCode::BAD_REQUEST);
    assert!(r.message().contains("seller_id"));

    let top_ups: Vec<(Value, StatusCode, &str)> = vec![
        (
            json!({"amount": "abc", "currency": "USD", "proof_reference": "W"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "amount",
        ),
        (
            json!({"amount": "1.001", "currency": "USD", "proof_reference": "W"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "2 decimals",
        ),
        (
            json!({"amount": "-1", "currency": "USD", "proof_reference": "W"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "amount",
        ),
        (
            json!({"amount": 12.5, "currency": "USD", "proof_reference": "W"}),
            StatusCode::BAD_REQUEST,
            "amount",
        ),
        (
            json!({"amount": "1", "currency": "dollars", "proof_reference": "W"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "currency",
        ),
        (
            json!({"amount": "1", "currency": "USD", "proof_reference": ""}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "proof_reference",
        ),
        (
            json!({"amount": "1", "currency": "USD"}),
            StatusCode::BAD_REQUEST,
            "proof_reference",
        ),
        (
            json!({"amount": "1", "currency": "USD", "proof_reference": "W",
                   "proof": {"format": "pdf", "content_base64": "***"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "base64",
        ),
        (
            json!({"amount": "1", "currency": "USD", "proof_reference": "W",
                   "proof": {"format": "exe", "content_base64": "AAAA"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "proof.format",
        ),
    ];
    for (body, status, needle) in top_ups {
        let r = api.post("/v1/top-ups", &api.token_a, body.clone()).await;
        assert_eq!(r.status, status, "{body}: {}", r.text);
        assert!(r.message().contains(needle), "{body}: {}", r.text);
    }
    // A proof over 5 MB is refused as such.
    let big = base64::engine::general_purpose::STANDARD.encode(vec![0u8; 5 * 1024 * 1024 + 1]);
    let r = api
        .post(
            "/v1/top-ups",
            &api.token_a,
            json!({"amount": "1", "currency": "USD", "proof_reference": "W",
                   "proof": {"format": "png", "content_base64": big}}),
        )
        .await;
    r.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.message().contains("5 MB"), "{}", r.text);

    // The account's currency decides; another currency is refused with the guide's advice.
    put(
        api,
        &format!("/v1/accounts/{}", api.seller_a.0),
        &api.operator,
        json!({"currency": "USD"}),
    )
    .await
    .expect(StatusCode::OK);
    let r = api
        .post(
            "/v1/top-ups",
            &api.token_a,
            json!({"amount": "10", "currency": "EUR", "proof_reference": "W"}),
        )
        .await;
    r.expect(StatusCode::CONFLICT);
    assert!(r.message().contains("exchange rate"), "{}", r.text);
    let r = put(
        api,
        &format!("/v1/accounts/{}", api.seller_a.0),
        &api.operator,
        json!({"credit_limit": "-5"}),
    )
    .await;
    r.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.message().contains("credit_limit"));
    put(
        api,
        "/v1/accounts/9999",
        &api.operator,
        json!({"currency": "USD"}),
    )
    .await
    .expect(StatusCode::NOT_FOUND);
    api.post("/v1/top-ups/9999/approve", &api.operator, json!({}))
        .await
        .expect(StatusCode::NOT_FOUND);
    api.post("/v1/top-ups/1/reject", &api.operator, json!({}))
        .await
        .expect(StatusCode::BAD_REQUEST);

    // Queries and paths.
    for uri in [
        "/v1/inventory?kind=pallet",
        "/v1/inventory/transactions?limit=0",
        "/v1/inventory/transactions?document_type=inbound",
        "/v1/inbound?status=lost",
        "/v1/inbound/abc",
        "/v1/account",
    ] {
        let token = if uri == "/v1/account" {
            &api.operator
        } else {
            &api.token_a
        };
        let r = api.get(uri, token).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}: {}", r.text);
    }
    let r = api
        .post(
            "/v1/inventory/adjustments",
            &w.la_token,
            json!({"product_id": 1, "delta": 0, "note": "x"}),
        )
        .await;
    r.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.message().contains("delta"));
    let r = api
        .post(
            "/v1/inventory/adjustments",
            &api.operator,
            json!({"product_id": 1, "delta": 1, "note": "x"}),
        )
        .await;
    r.expect(StatusCode::BAD_REQUEST);
    assert!(r.message().contains("warehouse_id"));

    // Receipts name a line that exists.
    let id = a_inbound(&w).await;
    let r = api
        .post(
            &format!("/v1/warehouse/inbound/{id}/receive"),
            &w.la_token,
            json!({"lines": [{"line_no": 7, "received": 1}]}),
        )
        .await;
    r.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.message().contains("line_no"));
    // Edits are for drafts only.
    let r = api
        .patch(
            &format!("/v1/inbound/{id}"),
            &api.token_a,
            json!({"reference": "R2"}),
        )
        .await;
    r.expect(StatusCode::CONFLICT);
    assert!(r.message().contains("draft"));
}

// ---------------------------------------------------------------------------------------------
// CLI

fn omsync(url: &str, args: &[&str]) -> Output {
    Omsync::at(url).output(args)
}

#[track_caller]
fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

async fn cli_round_trip(url: String) {
    let store = OrderStore::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let seller = store.create_seller("A").await.unwrap();
    let wh = store.create_warehouse("LA1", "LA", "USD").await.unwrap();
    store.close().await;
    let product = product(&url, seller, "A-1", "approved").await;
    let (s, w) = (seller.0.to_string(), wh.0.to_string());

    let out = ok(&omsync(
        &url,
        &[
            "inbound",
            "create",
            "--seller",
            &s,
            "--warehouse",
            &w,
            "--reference",
            "ASN-9",
            "--line",
            "A-1:12",
            "--submit",
        ],
    ));
    assert!(out.contains("submitted"), "{out}");
    let id = out
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse::<i64>()
        .unwrap();
    let out = ok(&omsync(&url, &["inbound", "receive", &id.to_string()]));
    assert!(out.contains("received 12"), "{out}");
    let out = ok(&omsync(
        &url,
        &[
            "inventory",
            "adjust",
            "--warehouse",
            &w,
            "--product",
            &product.to_string(),
            "--delta",
            "-2",
            "--note",
            "damaged",
        ],
    ));
    assert!(out.contains("available 10"), "{out}");
    let out = ok(&omsync(&url, &["inventory", "list", "--json"]));
    let rows: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["available"], 10);
    let out = ok(&omsync(
        &url,
        &[
            "inventory",
            "transactions",
            "--product",
            &product.to_string(),
            "--json",
        ],
    ));
    let reasons: Vec<String> = out
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["reason"].to_string())
        .collect();
    assert_eq!(reasons, vec!["\"adjust\"", "\"inbound\""]);

    // Going below zero fails with the reason and a non-zero exit.
    let below = omsync(
        &url,
        &[
            "inventory",
            "adjust",
            "--warehouse",
            &w,
            "--product",
            &product.to_string(),
            "--delta",
            "-50",
            "--note",
            "lost",
        ],
    );
    assert!(!below.status.success());
    assert!(String::from_utf8_lossy(&below.stderr).contains("below zero"));

    ok(&omsync(
        &url,
        &[
            "account",
            "set",
            "--seller",
            &s,
            "--currency",
            "USD",
            "--credit-limit",
            "25",
        ],
    ));
    let dir = tempfile::tempdir().unwrap();
    let receipt = dir.path().join("receipt.png");
    std::fs::write(&receipt, b"\x89PNG receipt").unwrap();
    let out = ok(&omsync(
        &url,
        &[
            "account",
            "top-up",
            "--seller",
            &s,
            "--amount",
            "75.5",
            "--currency",
            "USD",
            "--reference",
            "WIRE-7",
            "--proof",
            receipt.to_str().unwrap(),
        ],
    ));
    let top_up = out.split_whitespace().nth(1).unwrap().to_owned();
    let copy = dir.path().join("copy.png");
    ok(&omsync(
        &url,
        &["account", "proof", &top_up, "--out", copy.to_str().unwrap()],
    ));
    assert_eq!(std::fs::read(&copy).unwrap(), b"\x89PNG receipt");
    let out = ok(&omsync(
        &url,
        &["account", "top-ups", "--status", "pending", "--json"],
    ));
    assert_eq!(out.lines().count(), 1, "{out}");
    ok(&omsync(&url, &["account", "approve", &top_up]));
    let out = ok(&omsync(
        &url,
        &["account", "show", "--seller", &s, "--json"],
    ));
    let shown: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(shown["account"]["balance"], "75.50");
    assert_eq!(shown["account"]["available"], "100.50");
    let twice = omsync(&url, &["account", "approve", &top_up]);
    assert!(!twice.status.success());
    assert!(String::from_utf8_lossy(&twice.stderr).contains("already approved"));
}

// A seller-facing call with an unsupported method answers 405, not a silent success.
#[tokio::test]
async fn unsupported_method_is_405() {
    let api = OmsApi::new().await;
    let r = api
        .call(Method::PUT, "/v1/inventory", &api.operator, Some(json!({})))
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{}", r.text);
}
