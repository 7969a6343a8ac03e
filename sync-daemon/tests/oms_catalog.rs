//! Products and product mappings through the admin API (seller scoping, the operator's audit,
//! 4xx for bad input, CSV imports over HTTP) and one CLI round trip through the binary. Each
//! case runs on SQLite and, when `DATABASE_URL` is set, on PostgreSQL.
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

use axum::http::{Method, StatusCode};
use core_model::store::OrderStore;
use core_model::Platform;
use serde_json::{json, Value};

mod support;

use support::api::OmsApi;
use support::cli::Omsync;

const CSV: &str = "text/csv";

/// Creates a product as `token` and returns its id.
async fn product(api: &OmsApi, token: &str, body: Value) -> i64 {
    let p = api.post("/v1/products", token, body).await;
    p.expect(StatusCode::CREATED)["id"].as_i64().unwrap()
}

/// Submits and approves (as the operator).
async fn approve(api: &OmsApi, id: i64) {
    api.post(
        &format!("/v1/products/{id}/submit"),
        &api.token_a,
        json!({}),
    )
    .await
    .expect(StatusCode::OK);
    api.post(
        &format!("/v1/products/{id}/approve"),
        &api.operator,
        json!({}),
    )
    .await
    .expect(StatusCode::OK);
}

// ---------------------------------------------------------------------------------------------
// Products

async fn sellers_see_and_change_only_their_own_products(api: OmsApi) {
    let (a, b) = (&api.token_a, &api.token_b);
    let body = json!({"sku": "MUG-1", "name": "Mug", "weight_g": 350, "declared_value": "12.50"});
    let created = api.post("/v1/products", a, body.clone()).await;
    let p = created.expect(StatusCode::CREATED);
    assert_eq!(p["seller_id"], api.seller_a.0);
    assert_eq!(p["status"], "draft");
    assert_eq!(p["declared_value"], "12.50");
    assert_eq!(p["measured"], false);
    let id = p["id"].as_i64().unwrap();
    // B may reuse the code; B cannot create for A.
    product(&api, b, body.clone()).await;
    let mut for_a = body.clone();
    for_a["seller_id"] = json!(api.seller_a.0);
    for_a["sku"] = json!("OTHER");
    api.post("/v1/products", b, for_a.clone())
        .await
        .expect(StatusCode::FORBIDDEN);
    // The operator must name the seller.
    let answer = api.post("/v1/products", &api.operator, body.clone()).await;
    answer.expect(StatusCode::BAD_REQUEST);
    assert!(answer.message().contains("seller_id is required"));
    product(&api, &api.operator, for_a).await;
    let mut ghost = body.clone();
    ghost["seller_id"] = json!(9999);
    api.post("/v1/products", &api.operator, ghost)
        .await
        .expect(StatusCode::BAD_REQUEST);

    // Another seller's product is "not found", for every verb.
    let uri = format!("/v1/products/{id}");
    api.get(&uri, b).await.expect(StatusCode::NOT_FOUND);
    api.patch(&uri, b, json!({"name": "x"}))
        .await
        .expect(StatusCode::NOT_FOUND);
    api.delete(&uri, b).await.expect(StatusCode::NOT_FOUND);
    api.post(&format!("{uri}/submit"), b, json!({}))
        .await
        .expect(StatusCode::NOT_FOUND);
    assert_eq!(
        api.get(&uri, a).await.expect(StatusCode::OK)["sku"],
        "MUG-1"
    );
    api.get(&uri, &api.operator).await.expect(StatusCode::OK);

    // Listing: own only; a foreign seller_id lists nothing; the operator filters.
    let list = api.get("/v1/products", a).await;
    let skus: Vec<&str> = list.expect(StatusCode::OK)["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["sku"].as_str().unwrap())
        .collect();
    assert_eq!(skus, ["MUG-1", "OTHER"]);
    let foreign = api
        .get(&format!("/v1/products?seller_id={}", api.seller_b.0), a)
        .await;
    assert_eq!(foreign.expect(StatusCode::OK)["products"], json!([]));
    let all = api.get("/v1/products?limit=2", &api.operator).await;
    let page = all.expect(StatusCode::OK);
    assert_eq!(page["products"].as_array().unwrap().len(), 2);
    let next = page["next_after_id"].as_i64().unwrap();
    let rest = api
        .get(
            &format!("/v1/products?limit=2&after_id={next}"),
            &api.operator,
        )
        .await;
    assert_eq!(
        rest.expect(StatusCode::OK)["products"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let search = api
        .get(
            &format!(
                "/v1/products?seller_id={}&sku=mug&status=draft",
                api.seller_b.0
            ),
            &api.operator,
        )
        .await;
    assert_eq!(
        search.expect(StatusCode::OK)["products"][0]["seller_id"],
        api.seller_b.0
    );

    // Edit and delete a draft.
    let edited = api
        .patch(&uri, a, json!({"name": "Big mug", "barcode": null}))
        .await;
    assert_eq!(edited.expect(StatusCode::OK)["name"], "Big mug");
    api.delete(&uri, a).await.expect(StatusCode::NO_CONTENT);
    api.get(&uri, a).await.expect(StatusCode::NOT_FOUND);

    // A warehouse token has no business here.
    let wh = api
        .store
        .create_warehouse("WH1", "Main", "USD")
        .await
        .unwrap();
    let wms = api.warehouse_token(wh).await;
    api.get("/v1/products", &wms)
        .await
        .expect(StatusCode::FORBIDDEN);
}

async fn only_the_operator_audits_and_measures(api: OmsApi) {
    let a = &api.token_a;
    let id = product(
        &api,
        a,
        json!({"sku": "BAT-1", "name": "Battery", "hazard_class": "UN3481"}),
    )
    .await;
    let uri = format!("/v1/products/{id}");
    api.post(&format!("{uri}/submit"), a, json!({}))
        .await
        .expect(StatusCode::OK);
    for (action, body) in [
        ("approve", json!({})),
        ("reject", json!({"reason": "x"})),
        ("measure", json!({"weight_g": 1})),
    ] {
        let answer = api.post(&format!("{uri}/{action}"), a, body).await;
        answer.expect(StatusCode::FORBIDDEN);
        assert!(
            answer.message().contains("only the operator"),
            "{}",
            answer.text
        );
    }
    // A submitted product waits for the audit.
    let answer = api.patch(&uri, a, json!({"name": "x"})).await;
    answer.expect(StatusCode::CONFLICT);
    assert_eq!(answer.body["error"]["code"], "refused");

    let op = &api.operator;
    api.post(&format!("{uri}/reject"), op, json!({}))
        .await
        .expect(StatusCode::BAD_REQUEST);
    api.post(&format!("{uri}/reject"), op, json!({"reason": " "}))
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY);
    let rejected = api
        .post(&format!("{uri}/reject"), op, json!({"reason": "no photo"}))
        .await;
    let r = rejected.expect(StatusCode::OK);
    assert_eq!(
        (r["status"].as_str(), r["reject_reason"].as_str()),
        (Some("rejected"), Some("no photo"))
    );
    approve(&api, id).await;

    // Approved: SKU and hazard class fixed, not deletable, the rest editable.
    let answer = api.patch(&uri, a, json!({"sku": "BAT-2"})).await;
    answer.expect(StatusCode::CONFLICT);
    assert!(
        answer.message().contains("SKU cannot be changed"),
        "{}",
        answer.text
    );
    let answer = api.patch(&uri, a, json!({"hazard_class": null})).await;
    answer.expect(StatusCode::CONFLICT);
    assert!(
        answer.message().contains("hazardous-goods"),
        "{}",
        answer.text
    );
    let answer = api.delete(&uri, a).await;
    answer.expect(StatusCode::CONFLICT);
    assert!(
        answer.message().contains("cannot be deleted"),
        "{}",
        answer.text
    );
    let ok = api
        .patch(&uri, a, json!({"name": "Battery 2", "weight_g": 90}))
        .await;
    assert_eq!(ok.expect(StatusCode::OK)["name"], "Battery 2");

    // Measuring: with no body, or with figures.
    let m = api
        .call(Method::POST, &format!("{uri}/measure"), op, None)
        .await;
    assert_eq!(m.expect(StatusCode::OK)["measured"], true);
    let m = api
        .post(
            &format!("{uri}/measure"),
            op,
            json!({"length_mm": 70, "weight_g": 95}),
        )
        .await;
    let m = m.expect(StatusCode::OK);
    assert_eq!(
        (m["length_mm"].as_i64(), m["weight_g"].as_i64()),
        (Some(70), Some(95))
    );
    api.post(&format!("{uri}/measure"), op, json!({"length_mm": 0}))
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY);
    api.post("/v1/products/9999/approve", op, json!({}))
        .await
        .expect(StatusCode::NOT_FOUND);
}

async fn bad_product_input_answers_4xx(api: OmsApi) {
    let a = &api.token_a;
    let cases: Vec<(Value, StatusCode, &str)> = vec![
        (
            json!({"sku": "A B", "name": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "sku must be 1 to 64",
        ),
        (
            json!({"sku": "A", "name": ""}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "name must not be empty",
        ),
        (
            json!({"sku": "A", "name": "x", "height_mm": -3}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "height_mm",
        ),
        (
            json!({"sku": "A", "name": "x", "declared_value": "-1"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "declared_value",
        ),
        (
            json!({"sku": "A", "name": "x", "declared_value": "cheap"}),
            StatusCode::BAD_REQUEST,
            "",
        ),
        (
            json!({"sku": "A", "name": "x", "colour": "red"}),
            StatusCode::BAD_REQUEST,
            "unknown field `colour`",
        ),
        (
            json!({"sku": "A", "name": "x", "weight_g": "heavy"}),
            StatusCode::BAD_REQUEST,
            "",
        ),
        (
            json!({"name": "x"}),
            StatusCode::BAD_REQUEST,
            "missing field `sku`",
        ),
        (
            json!({"sku": "A", "name": "x", "seller_id": "one"}),
            StatusCode::BAD_REQUEST,
            "seller_id must be an integer",
        ),
        (json!(["not", "an", "object"]), StatusCode::BAD_REQUEST, ""),
    ];
    for (body, status, needle) in cases {
        let answer = api.post("/v1/products", a, body.clone()).await;
        assert_eq!(answer.status, status, "{body}: {}", answer.text);
        assert!(answer.message().contains(needle), "{body}: {}", answer.text);
    }
    let answer = api
        .post_raw("/v1/products", a, "application/json", "{\"sku\": ")
        .await;
    answer.expect(StatusCode::BAD_REQUEST);
    assert_eq!(answer.body["error"]["code"], "malformed_json");
    product(&api, a, json!({"sku": "A", "name": "x"})).await;
    let dup = api
        .post("/v1/products", a, json!({"sku": "A", "name": "y"}))
        .await;
    dup.expect(StatusCode::CONFLICT);
    assert!(dup.message().contains("already has a product with SKU A"));
    api.get("/v1/products/abc", a)
        .await
        .expect(StatusCode::BAD_REQUEST);
    api.get("/v1/products?status=lost", a)
        .await
        .expect(StatusCode::BAD_REQUEST);
    api.get("/v1/products?limit=0", a)
        .await
        .expect(StatusCode::BAD_REQUEST);
    api.patch("/v1/products/1", a, json!({"weight": 3}))
        .await
        .expect(StatusCode::BAD_REQUEST);
}

async fn products_import_over_http(api: OmsApi) {
    let a = &api.token_a;
    let bad = "sku,name,weight_g\nMUG-1,Mug,350\nBAD SKU,x,\nCUP-1,,\nMUG-1,Again,\n";
    let answer = api.post_raw("/v1/products/import", a, CSV, bad).await;
    answer.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.body["error"]["code"], "invalid_csv");
    let rows = answer.body["error"]["rows"].as_array().unwrap();
    let lines: Vec<i64> = rows.iter().map(|r| r["line"].as_i64().unwrap()).collect();
    assert_eq!(lines, [3, 4, 5], "{}", answer.text);
    assert!(rows[2]["message"]
        .as_str()
        .unwrap()
        .contains("duplicate SKU MUG-1"));
    let listed = api.get("/v1/products", a).await;
    assert_eq!(listed.expect(StatusCode::OK)["products"], json!([]));

    let good = "\u{feff}Name,SKU,declared_value\n\"Mug, large\",MUG-1,9.90\nLid,LID-1,\n";
    let done = api.post_raw("/v1/products/import", a, CSV, good).await;
    assert_eq!(done.expect(StatusCode::CREATED)["created"], 2);
    // The operator names the seller in the query.
    api.post_raw("/v1/products/import", &api.operator, CSV, good)
        .await
        .expect(StatusCode::BAD_REQUEST);
    let uri = format!("/v1/products/import?seller_id={}", api.seller_b.0);
    let done = api.post_raw(&uri, &api.operator, CSV, good).await;
    assert_eq!(done.expect(StatusCode::CREATED)["created"], 2);
    api.post_raw("/v1/products/import", a, "application/json", good)
        .await
        .expect(StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

// ---------------------------------------------------------------------------------------------
// Mappings

async fn mappings_are_scoped_to_the_stores_seller(api: OmsApi) {
    let (a, b) = (&api.token_a, &api.token_b);
    let mug = product(&api, a, json!({"sku": "MUG", "name": "Mug"})).await;
    let lid = product(&api, a, json!({"sku": "LID", "name": "Lid"})).await;
    approve(&api, mug).await;
    let b_mug = product(&api, b, json!({"sku": "MUG", "name": "B mug"})).await;
    let base = format!("/v1/stores/{}/mappings", api.store_a.0);

    let m1 = api
        .post(
            &base,
            a,
            json!({"platform_sku": "SET", "system_sku": "MUG", "quantity": 2}),
        )
        .await;
    let m1 = m1.expect(StatusCode::CREATED).clone();
    assert_eq!(m1["product_id"], mug);
    api.post(
        &base,
        a,
        json!({"platform_sku": "SET", "product_id": lid, "quantity": 1}),
    )
    .await
    .expect(StatusCode::CREATED);
    api.post(
        &base,
        &api.operator,
        json!({"platform_sku": "SOLO", "system_sku": "MUG", "quantity": 1}),
    )
    .await
    .expect(StatusCode::CREATED);

    // B's product cannot be mapped in A's store, by SKU or by id.
    let by_sku = api
        .post(
            &base,
            a,
            json!({"platform_sku": "X", "system_sku": "NOPE", "quantity": 1}),
        )
        .await;
    by_sku.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(by_sku.message().contains("unknown system SKU NOPE"));
    let by_id = api
        .post(
            &base,
            a,
            json!({"platform_sku": "X", "product_id": b_mug, "quantity": 1}),
        )
        .await;
    by_id.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(by_id
        .message()
        .contains("not a product of the store's seller"));
    for (body, status) in [
        (
            json!({"platform_sku": "X", "system_sku": "MUG", "quantity": 0}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"platform_sku": "X", "system_sku": "MUG", "quantity": -1}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"platform_sku": "X", "system_sku": "MUG", "product_id": mug, "quantity": 1}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"platform_sku": "X", "quantity": 1}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"platform_sku": "X", "system_sku": "MUG", "quantity": 1, "extra": 1}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"platform_sku": "SET", "system_sku": "MUG", "quantity": 5}),
            StatusCode::CONFLICT,
        ),
    ] {
        let answer = api.post(&base, a, body.clone()).await;
        assert_eq!(answer.status, status, "{body}: {}", answer.text);
    }

    // B sees none of A's store.
    api.get(&base, b).await.expect(StatusCode::NOT_FOUND);
    api.post(
        &base,
        b,
        json!({"platform_sku": "Y", "system_sku": "MUG", "quantity": 1}),
    )
    .await
    .expect(StatusCode::NOT_FOUND);
    api.post_raw(
        &format!("{base}/import"),
        b,
        CSV,
        "platform_sku,system_sku,quantity\nY,MUG,1\n",
    )
    .await
    .expect(StatusCode::NOT_FOUND);
    let m1_uri = format!("{base}/{}", m1["id"]);
    api.delete(&m1_uri, b).await.expect(StatusCode::NOT_FOUND);
    // Nor can a mapping be deleted through another store.
    let via_b = format!("/v1/stores/{}/mappings/{}", api.store_b.0, m1["id"]);
    api.delete(&via_b, &api.operator)
        .await
        .expect(StatusCode::NOT_FOUND);

    let listed = api.get(&base, a).await;
    assert_eq!(
        listed.expect(StatusCode::OK)["mappings"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let set = api.get(&format!("{base}?platform_sku=SET"), a).await;
    let set = set.expect(StatusCode::OK)["mappings"]
        .as_array()
        .unwrap()
        .clone();
    let parts: Vec<(&str, i64)> = set
        .iter()
        .map(|m| {
            (
                m["system_sku"].as_str().unwrap(),
                m["quantity"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(parts, [("MUG", 2), ("LID", 1)]);
    let page = api.get(&format!("{base}?limit=1"), a).await;
    assert!(page.expect(StatusCode::OK)["next_after_id"].is_i64());

    // The product in use cannot be deleted.
    let answer = api.delete(&format!("/v1/products/{lid}"), a).await;
    answer.expect(StatusCode::CONFLICT);
    assert!(
        answer.message().contains("product mapping"),
        "{}",
        answer.text
    );

    // The components review reads: store A's only.
    let comps = api
        .store
        .mapping_components(api.store_a, &["SET"])
        .await
        .unwrap();
    assert_eq!(comps["SET"].len(), 2);
    assert!(api
        .store
        .mapping_components(api.store_b, &["SET"])
        .await
        .unwrap()
        .is_empty());

    api.delete(&m1_uri, a).await.expect(StatusCode::NO_CONTENT);
    api.delete(&m1_uri, a).await.expect(StatusCode::NOT_FOUND);
    api.delete(&base, a).await.expect(StatusCode::BAD_REQUEST);
    let gone = api.delete(&format!("{base}?platform_sku=SET"), a).await;
    assert_eq!(gone.expect(StatusCode::OK)["deleted"], 1);
    let left = api.get(&base, a).await;
    assert_eq!(
        left.expect(StatusCode::OK)["mappings"][0]["platform_sku"],
        "SOLO"
    );
    api.delete(&format!("/v1/products/{lid}"), a)
        .await
        .expect(StatusCode::NO_CONTENT);
}

async fn mappings_import_over_http(api: OmsApi) {
    let a = &api.token_a;
    product(&api, a, json!({"sku": "MUG", "name": "Mug"})).await;
    product(&api, a, json!({"sku": "LID", "name": "Lid"})).await;
    let uri = format!("/v1/stores/{}/mappings/import", api.store_a.0);
    let bad =
        "platform_sku,system_sku,quantity\nSET,MUG,2\nSET,GHOST,1\n,LID,1\nX,LID,1.5\nSET,MUG,1\n";
    let answer = api.post_raw(&uri, a, CSV, bad).await;
    answer.expect(StatusCode::UNPROCESSABLE_ENTITY);
    let err = &answer.body["error"];
    assert_eq!(err["code"], "invalid_csv");
    assert!(err["message"]
        .as_str()
        .unwrap()
        .contains("nothing was imported"));
    let rows = err["rows"].as_array().unwrap();
    let lines: Vec<i64> = rows.iter().map(|r| r["line"].as_i64().unwrap()).collect();
    assert_eq!(lines, [3, 4, 5, 6], "{}", answer.text);
    let list = format!("/v1/stores/{}/mappings", api.store_a.0);
    let none = api.get(&list, a).await;
    assert_eq!(none.expect(StatusCode::OK)["mappings"], json!([]));

    let good = "\u{feff}QUANTITY,Platform_SKU,system_sku\r\n2,\"SET, blue\",MUG\r\n1,\"SET, blue\",LID\r\n";
    let done = api.post_raw(&uri, a, CSV, good).await;
    let done = done.expect(StatusCode::OK);
    assert_eq!(
        (done["platform_skus"].as_i64(), done["rows"].as_i64()),
        (Some(1), Some(2))
    );
    // Re-importing replaces the platform SKU's components.
    let again = "platform_sku,system_sku,quantity\n\"SET, blue\",LID,3\n";
    let done = api
        .post_raw(&uri, &api.operator, "text/csv; charset=utf-8", again)
        .await;
    assert_eq!(done.expect(StatusCode::OK)["replaced"], 2);
    let now = api.get(&list, a).await;
    let now = now.expect(StatusCode::OK)["mappings"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(now.len(), 1);
    assert_eq!(
        (now[0]["system_sku"].as_str(), now[0]["quantity"].as_i64()),
        (Some("LID"), Some(3))
    );
    let header = api.post_raw(&uri, a, CSV, "sku,qty\nA,1\n").await;
    header.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(header.body["error"]["rows"][0]["line"], 1);
    api.post_raw(&uri, a, "text/plain", good)
        .await
        .expect(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    api.post_raw("/v1/stores/9999/mappings/import", a, CSV, good)
        .await
        .expect(StatusCode::NOT_FOUND);
}

both_backends! {
    api:
    sellers_see_and_change_only_their_own_products,
    only_the_operator_audits_and_measures,
    bad_product_input_answers_4xx,
    products_import_over_http,
    mappings_are_scoped_to_the_stores_seller,
    mappings_import_over_http;
    url:
    cli_round_trip;
}

// ---------------------------------------------------------------------------------------------
// CLI

/// Runs the binary; its exit status, stdout and stderr.
fn run(url: &str, args: &[&str]) -> (bool, String, String) {
    let out = Omsync::at(url).output(args);
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

async fn cli_round_trip(url: String) {
    let files = tempfile::tempdir().unwrap();
    let (url, dir) = (url.as_str(), files.path());
    let store = OrderStore::connect(url).await.unwrap();
    store.migrate().await.unwrap();
    let seller = store.create_seller("CLI").await.unwrap();
    let shop = store
        .create_store(seller, Platform::Shopify, "cli-shop")
        .await
        .unwrap();
    store.close().await;
    let (seller, shop) = (seller.0.to_string(), shop.0.to_string());

    let out = Omsync::at(url).ok(&[
        "product", "add", "--seller", &seller, "--sku", "MUG", "--name", "Mug", "--json",
    ]);
    let mug: Value = serde_json::from_str(out.trim()).unwrap();
    let mug_id = mug["id"].to_string();
    let products = dir.join("products.csv");
    std::fs::write(&products, "sku,name\nLID,Lid\nCUP,Cup\n").unwrap();
    assert!(Omsync::at(url)
        .ok(&[
            "product",
            "import",
            products.to_str().unwrap(),
            "--seller",
            &seller
        ])
        .contains("2 product(s) created"));
    Omsync::at(url).ok(&["product", "submit", &mug_id]);
    Omsync::at(url).ok(&["product", "approve", &mug_id]);
    Omsync::at(url).ok(&["product", "measure", &mug_id, "--weight-g", "300"]);
    let shown: Value = serde_json::from_str(
        Omsync::at(url)
            .ok(&["product", "show", &mug_id, "--json"])
            .trim(),
    )
    .unwrap();
    assert_eq!(
        (shown["status"].as_str(), shown["measured"].as_bool()),
        (Some("approved"), Some(true))
    );
    let (success, _, stderr) = run(url, &["product", "edit", &mug_id, "--sku", "MUG-2"]);
    assert!(
        !success && stderr.contains("SKU cannot be changed"),
        "{stderr}"
    );
    let (success, _, stderr) = run(url, &["product", "delete", &mug_id]);
    assert!(!success && stderr.contains("cannot be deleted"), "{stderr}");
    let listed = Omsync::at(url).ok(&["product", "list", "--seller", &seller, "--json"]);
    assert_eq!(listed.lines().count(), 3);

    // A bad mapping file: every bad line printed, exit non-zero, nothing imported.
    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        "platform_sku,system_sku,quantity\nSET,MUG,2\nSET,GHOST,1\nX,LID,0\n",
    )
    .unwrap();
    let (success, _, stderr) = run(
        url,
        &["mapping", "import", bad.to_str().unwrap(), "--store", &shop],
    );
    assert!(!success, "{stderr}");
    assert!(
        stderr.contains("line 3: unknown system SKU GHOST"),
        "{stderr}"
    );
    assert!(stderr.contains("line 4: quantity `0`"), "{stderr}");
    assert_eq!(
        Omsync::at(url).ok(&["mapping", "list", "--store", &shop, "--json"]),
        ""
    );

    let good = dir.join("good.csv");
    std::fs::write(
        &good,
        "platform_sku,system_sku,quantity\nSET,MUG,2\nSET,LID,1\n",
    )
    .unwrap();
    assert!(Omsync::at(url)
        .ok(&[
            "mapping",
            "import",
            good.to_str().unwrap(),
            "--store",
            &shop
        ])
        .contains("1 platform SKU(s) mapped with 2 row(s)"));
    Omsync::at(url).ok(&[
        "mapping",
        "add",
        "--store",
        &shop,
        "--platform-sku",
        "SOLO",
        "--system-sku",
        "CUP",
        "--quantity",
        "3",
    ]);
    let rows: Vec<Value> = Omsync::at(url)
        .ok(&["mapping", "list", "--store", &shop, "--json"])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let parts: Vec<(&str, &str, i64)> = rows
        .iter()
        .map(|m| {
            (
                m["platform_sku"].as_str().unwrap(),
                m["system_sku"].as_str().unwrap(),
                m["quantity"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        parts,
        [("SET", "MUG", 2), ("SET", "LID", 1), ("SOLO", "CUP", 3)]
    );
    let first = rows[0]["id"].to_string();
    Omsync::at(url).ok(&["mapping", "remove", "--store", &shop, &first]);
    assert!(Omsync::at(url)
        .ok(&[
            "mapping",
            "remove",
            "--store",
            &shop,
            "--platform-sku",
            "SET"
        ])
        .contains("1 mapping row(s)"));
    assert_eq!(
        Omsync::at(url)
            .ok(&["mapping", "list", "--store", &shop, "--json"])
            .lines()
            .count(),
        1
    );
}
