//! Products and product mappings: the audit's rules, store isolation, bundles, and CSV imports
//! (all or nothing, every bad line reported). Each case runs on SQLite and, when
//! `DATABASE_URL` is set, on PostgreSQL.
#![cfg(feature = "store")]
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

use core_model::fulfillment::{ProductId, ProductStatus};
use core_model::mapping::Component;
use core_model::store::catalog::{
    ImportError, Measurement, NewProduct, Product, ProductFilter, ProductPatch, RowError,
};
use core_model::store::StoreError;
use core_model::{Platform, SellerId, StoreId};
use rust_decimal::Decimal;

#[macro_use]
mod common;

use common::TestDb;

// ---------------------------------------------------------------------------------------------
// Harness

struct Shop {
    seller: SellerId,
    store: StoreId,
}

impl TestDb {
    async fn shop(&self, name: &str) -> Shop {
        let seller = self.store.create_seller(name).await.unwrap();
        let store = self
            .store
            .create_store(seller, Platform::Shopify, name)
            .await
            .unwrap();
        Shop { seller, store }
    }

    async fn product(&self, seller: SellerId, sku: &str) -> Product {
        self.store.create_product(seller, &new(sku)).await.unwrap()
    }

    async fn approved(&self, seller: SellerId, sku: &str) -> Product {
        let p = self.product(seller, sku).await;
        self.store.submit_product(p.id).await.unwrap();
        self.store.approve_product(p.id).await.unwrap()
    }
}

fn new(sku: &str) -> NewProduct {
    NewProduct {
        sku: sku.into(),
        name: format!("{sku} name"),
        ..NewProduct::default()
    }
}

#[track_caller]
fn invalid(r: Result<impl std::fmt::Debug, StoreError>, needle: &str) {
    match r {
        Err(StoreError::Invalid(m)) => assert!(m.contains(needle), "`{m}` lacks `{needle}`"),
        other => panic!("expected Invalid({needle}), got {other:?}"),
    }
}

#[track_caller]
fn refused(r: Result<impl std::fmt::Debug, StoreError>, needle: &str) {
    match r {
        Err(StoreError::Refused(m)) => assert!(m.contains(needle), "`{m}` lacks `{needle}`"),
        other => panic!("expected Refused({needle}), got {other:?}"),
    }
}

#[track_caller]
fn bad_rows(r: Result<impl std::fmt::Debug, ImportError>) -> Vec<RowError> {
    match r {
        Err(ImportError::Rows(rows)) => rows,
        other => panic!("expected bad rows, got {other:?}"),
    }
}

fn comp(p: &Product, quantity: u32) -> Component {
    Component {
        product: p.id,
        quantity,
    }
}

// ---------------------------------------------------------------------------------------------
// Products

async fn products_are_validated_and_unique_per_seller(db: TestDb) {
    let a = db.shop("A").await;
    let b = db.shop("B").await;
    let s = &db.store;
    let full = NewProduct {
        sku: " MUG-1 ".into(),
        name: "Mug".into(),
        hazard_class: Some("".into()),
        barcode: Some("0123456789012".into()),
        weight_g: Some(350),
        length_mm: Some(100),
        width_mm: Some(90),
        height_mm: Some(110),
        declared_value: Some("12.50".parse().unwrap()),
    };
    let p = s.create_product(a.seller, &full).await.unwrap();
    assert_eq!(p.sku, "MUG-1", "trimmed");
    assert_eq!(p.status, ProductStatus::Draft);
    assert_eq!(p.hazard_class, None, "empty is none");
    assert_eq!(p.declared_value, Some(Decimal::new(1250, 2)));
    assert!(!p.measured);
    assert_eq!(s.get_product(p.id).await.unwrap(), Some(p.clone()));

    invalid(
        s.create_product(a.seller, &new("HAS SPACE")).await,
        "sku must be 1 to 64",
    );
    invalid(
        s.create_product(a.seller, &new("")).await,
        "sku must be 1 to 64",
    );
    invalid(
        s.create_product(a.seller, &new(&"X".repeat(65))).await,
        "sku",
    );
    let mut n = new("OK-1");
    n.name = "  ".into();
    invalid(
        s.create_product(a.seller, &n).await,
        "name must not be empty",
    );
    let mut n = new("OK-1");
    n.width_mm = Some(0);
    invalid(
        s.create_product(a.seller, &n).await,
        "width_mm must be a positive",
    );
    let mut n = new("OK-1");
    n.declared_value = Some("-0.01".parse().unwrap());
    invalid(s.create_product(a.seller, &n).await, "declared_value");
    let mut n = new("OK-1");
    n.declared_value = Some(Decimal::ZERO);
    s.create_product(a.seller, &n).await.unwrap();

    refused(
        s.create_product(a.seller, &new("MUG-1")).await,
        "already has a product with SKU MUG-1",
    );
    // Another seller may use the same code.
    s.create_product(b.seller, &new("MUG-1")).await.unwrap();
    let missing = s.create_product(SellerId(9999), &new("Z")).await;
    assert!(
        matches!(missing, Err(StoreError::NotFound("seller"))),
        "{missing:?}"
    );
}

async fn the_audit_moves_draft_to_approved_or_rejected(db: TestDb) {
    let a = db.shop("A").await;
    let s = &db.store;
    let p = db.product(a.seller, "MUG-1").await;
    refused(
        s.approve_product(p.id).await,
        "only a submitted product can be approved",
    );
    invalid(
        s.reject_product(p.id, " ").await,
        "reason must not be empty",
    );
    assert_eq!(
        s.submit_product(p.id).await.unwrap().status,
        ProductStatus::Submitted
    );
    refused(s.submit_product(p.id).await, "is submitted");
    refused(
        s.update_product(
            p.id,
            &ProductPatch {
                name: Some("x".into()),
                ..Default::default()
            },
        )
        .await,
        "waiting for the warehouse's audit",
    );
    refused(
        s.delete_product(p.id).await,
        "waiting for the warehouse's audit",
    );
    let r = s.reject_product(p.id, "photo missing").await.unwrap();
    assert_eq!(r.status, ProductStatus::Rejected);
    assert_eq!(r.reject_reason.as_deref(), Some("photo missing"));
    // Rejected: fully editable, then submitted again.
    let e = s
        .update_product(
            p.id,
            &ProductPatch {
                sku: Some("MUG-2".into()),
                hazard_class: Some(Some("UN3481".into())),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (e.sku.as_str(), e.hazard_class.as_deref()),
        ("MUG-2", Some("UN3481"))
    );
    let again = s.submit_product(p.id).await.unwrap();
    assert_eq!(again.reject_reason, None);
    let ok = s.approve_product(p.id).await.unwrap();
    assert_eq!(ok.status, ProductStatus::Approved);
    refused(s.reject_product(p.id, "late").await, "is approved");
    let missing = s.approve_product(ProductId(9999)).await;
    assert!(
        matches!(missing, Err(StoreError::NotFound("product"))),
        "{missing:?}"
    );
}

async fn approval_locks_sku_and_hazard_class_and_delete(db: TestDb) {
    let a = db.shop("A").await;
    let s = &db.store;
    let mut n = new("BAT-1");
    n.hazard_class = Some("UN3481".into());
    let p = s.create_product(a.seller, &n).await.unwrap();
    s.submit_product(p.id).await.unwrap();
    s.approve_product(p.id).await.unwrap();
    db.product(a.seller, "OTHER").await;

    let rename = ProductPatch {
        sku: Some("BAT-2".into()),
        ..Default::default()
    };
    refused(
        s.update_product(p.id, &rename).await,
        "its SKU cannot be changed",
    );
    let hazard = ProductPatch {
        hazard_class: Some(None),
        ..Default::default()
    };
    refused(
        s.update_product(p.id, &hazard).await,
        "hazardous-goods classification",
    );
    let hazard = ProductPatch {
        hazard_class: Some(Some("UN3090".into())),
        ..Default::default()
    };
    refused(
        s.update_product(p.id, &hazard).await,
        "hazardous-goods classification",
    );
    refused(
        s.delete_product(p.id).await,
        "approved and cannot be deleted",
    );

    // Every other field stays editable; naming the same SKU and class is no change.
    let edit = ProductPatch {
        sku: Some("BAT-1".into()),
        name: Some("Battery pack".into()),
        hazard_class: Some(Some("UN3481".into())),
        barcode: Some(Some("999".into())),
        weight_g: Some(Some(120)),
        declared_value: Some(None),
        ..Default::default()
    };
    let e = s.update_product(p.id, &edit).await.unwrap();
    assert_eq!(e.name, "Battery pack");
    assert_eq!(e.barcode.as_deref(), Some("999"));
    assert_eq!(e.weight_g, Some(120));
    assert_eq!(e.status, ProductStatus::Approved);
    invalid(
        s.update_product(
            p.id,
            &ProductPatch {
                height_mm: Some(Some(-1)),
                ..Default::default()
            },
        )
        .await,
        "height_mm",
    );
    // A draft renamed onto a taken SKU.
    let d = db.product(a.seller, "DRAFT").await;
    refused(
        s.update_product(
            d.id,
            &ProductPatch {
                sku: Some("OTHER".into()),
                ..Default::default()
            },
        )
        .await,
        "already has a product with SKU OTHER",
    );
    s.delete_product(d.id).await.unwrap();
    assert_eq!(s.get_product(d.id).await.unwrap(), None);
    let gone = s.delete_product(d.id).await;
    assert!(
        matches!(gone, Err(StoreError::NotFound("product"))),
        "{gone:?}"
    );
}

async fn measuring_records_the_warehouses_figures(db: TestDb) {
    let a = db.shop("A").await;
    let s = &db.store;
    let mut n = new("MUG-1");
    n.weight_g = Some(300);
    n.length_mm = Some(50);
    let p = s.create_product(a.seller, &n).await.unwrap();
    let m = s
        .set_measured(
            p.id,
            &Measurement {
                weight_g: Some(320),
                height_mm: Some(95),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(m.measured);
    assert_eq!(
        (m.weight_g, m.length_mm, m.height_mm),
        (Some(320), Some(50), Some(95))
    );
    invalid(
        s.set_measured(
            p.id,
            &Measurement {
                length_mm: Some(0),
                ..Default::default()
            },
        )
        .await,
        "length_mm",
    );
    let missing = s
        .set_measured(ProductId(9999), &Measurement::default())
        .await;
    assert!(
        matches!(missing, Err(StoreError::NotFound("product"))),
        "{missing:?}"
    );
}

async fn products_list_by_seller_status_and_sku(db: TestDb) {
    let a = db.shop("A").await;
    let b = db.shop("B").await;
    let s = &db.store;
    let mug = db.approved(a.seller, "MUG-1").await;
    let lid = db.product(a.seller, "LID_1").await;
    let hat = db.product(a.seller, "hat-9").await;
    let other = db.product(b.seller, "MUG-1").await;
    let ids = |v: Vec<Product>| v.into_iter().map(|p| p.id).collect::<Vec<_>>();
    let all = ProductFilter {
        limit: 100,
        ..Default::default()
    };
    assert_eq!(
        ids(s.list_products(&all).await.unwrap()),
        [mug.id, lid.id, hat.id, other.id]
    );
    let of_a = ProductFilter {
        seller: Some(a.seller),
        ..all.clone()
    };
    assert_eq!(
        ids(s.list_products(&of_a).await.unwrap()),
        [mug.id, lid.id, hat.id]
    );
    let drafts = ProductFilter {
        status: Some(ProductStatus::Draft),
        ..of_a.clone()
    };
    assert_eq!(
        ids(s.list_products(&drafts).await.unwrap()),
        [lid.id, hat.id]
    );
    let search = ProductFilter {
        sku: Some("mug".into()),
        ..all.clone()
    };
    assert_eq!(
        ids(s.list_products(&search).await.unwrap()),
        [mug.id, other.id]
    );
    // `_` is a character, not a wildcard.
    let under = ProductFilter {
        sku: Some("D_1".into()),
        ..all.clone()
    };
    assert_eq!(ids(s.list_products(&under).await.unwrap()), [lid.id]);
    let page = ProductFilter {
        limit: 2,
        after: Some(mug.id),
        ..all.clone()
    };
    assert_eq!(ids(s.list_products(&page).await.unwrap()), [lid.id, hat.id]);

    let found = s
        .products_by_sku(a.seller, &["MUG-1", "hat-9", "NOPE"])
        .await
        .unwrap();
    assert_eq!(found.len(), 2);
    assert_eq!(found["MUG-1"].id, mug.id, "seller A's, not B's");
    assert_eq!(found["hat-9"].id, hat.id);
}

// ---------------------------------------------------------------------------------------------
// Mappings

async fn mappings_make_bundles_within_one_store(db: TestDb) {
    let a = db.shop("A").await;
    let b = db.shop("B").await;
    let s = &db.store;
    // A second store of seller A.
    let a2 = s
        .create_store(a.seller, Platform::Amazon, "A on Amazon")
        .await
        .unwrap();
    let mug = db.approved(a.seller, "MUG").await;
    let lid = db.product(a.seller, "LID").await;
    let b_mug = db.approved(b.seller, "MUG").await;

    let m1 = s.add_mapping(a.store, " SET-1 ", mug.id, 2).await.unwrap();
    assert_eq!(
        (m1.platform_sku.as_str(), m1.system_sku.as_str()),
        ("SET-1", "MUG")
    );
    // Not approved yet: allowed (review refuses it later).
    s.add_mapping(a.store, "SET-1", lid.id, 1).await.unwrap();
    s.add_mapping(a.store, "MUG-PLAIN", mug.id, 1)
        .await
        .unwrap();
    s.add_mapping(b.store, "SET-1", b_mug.id, 5).await.unwrap();

    invalid(
        s.add_mapping(a.store, "X", mug.id, 0).await,
        "quantity must be a whole number",
    );
    invalid(
        s.add_mapping(a.store, " ", mug.id, 1).await,
        "platform_sku must not be empty",
    );
    invalid(
        s.add_mapping(a.store, "X", b_mug.id, 1).await,
        "not a product of the store's seller",
    );
    refused(
        s.add_mapping(a.store, "SET-1", mug.id, 3).await,
        "already maps to system SKU MUG",
    );
    let no_store = s.add_mapping(StoreId(9999), "X", mug.id, 1).await;
    assert!(
        matches!(no_store, Err(StoreError::NotFound("store"))),
        "{no_store:?}"
    );

    let comps = s
        .mapping_components(a.store, &["SET-1", "MUG-PLAIN", "NONE", "SET-1"])
        .await
        .unwrap();
    assert_eq!(comps.len(), 2);
    assert_eq!(comps["SET-1"], [comp(&mug, 2), comp(&lid, 1)]);
    assert_eq!(comps["MUG-PLAIN"], [comp(&mug, 1)]);
    // Another store's mappings never apply: B's SET-1 is B's product, A's other store has none.
    let in_b = s
        .mapping_components(b.store, &["SET-1", "MUG-PLAIN"])
        .await
        .unwrap();
    assert_eq!(in_b.len(), 1);
    assert_eq!(in_b["SET-1"], [comp(&b_mug, 5)]);
    assert!(s
        .mapping_components(a2, &["SET-1", "MUG-PLAIN"])
        .await
        .unwrap()
        .is_empty());

    let listed = s.list_mappings(a.store, None, None, 100).await.unwrap();
    assert_eq!(listed.len(), 3);
    let set = s
        .list_mappings(a.store, Some("SET-1"), None, 100)
        .await
        .unwrap();
    assert_eq!(set.iter().map(|m| m.quantity).collect::<Vec<_>>(), [2, 1]);

    // The product is in use: it cannot go.
    refused(
        s.delete_product(lid.id).await,
        "used by 1 product mapping(s)",
    );

    // Delete one row (only through its own store), then the rest of a platform SKU.
    let gone = s.delete_mapping(b.store, m1.id).await;
    assert!(
        matches!(gone, Err(StoreError::NotFound("mapping"))),
        "{gone:?}"
    );
    s.delete_mapping(a.store, m1.id).await.unwrap();
    assert_eq!(
        s.mapping_components(a.store, &["SET-1"]).await.unwrap()["SET-1"],
        [comp(&lid, 1)]
    );
    assert_eq!(s.delete_platform_sku(a.store, "SET-1").await.unwrap(), 1);
    assert_eq!(s.delete_platform_sku(a.store, "SET-1").await.unwrap(), 0);
    assert!(s
        .mapping_components(a.store, &["SET-1"])
        .await
        .unwrap()
        .is_empty());
    // B's row is untouched.
    assert_eq!(
        s.list_mappings(b.store, None, None, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    s.delete_product(lid.id).await.unwrap();
}

async fn components_of_thousands_of_keys_are_read_in_chunks(db: TestDb) {
    let a = db.shop("A").await;
    let s = &db.store;
    db.approved(a.seller, "MUG").await;
    let mut csv = String::from("platform_sku,system_sku,quantity\n");
    for i in 0..1200 {
        csv.push_str(&format!("P-{i},MUG,{}\n", i % 7 + 1));
    }
    let done = s.import_mappings(a.store, csv.as_bytes()).await.unwrap();
    assert_eq!(
        (done.platform_skus, done.rows, done.replaced),
        (1200, 1200, 0)
    );
    let keys: Vec<String> = (0..1300).map(|i| format!("P-{i}")).collect();
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let comps = s.mapping_components(a.store, &keys).await.unwrap();
    assert_eq!(comps.len(), 1200);
    assert_eq!(comps["P-1199"][0].quantity, 1199 % 7 + 1);
    assert!(!comps.contains_key("P-1200"));
}

// ---------------------------------------------------------------------------------------------
// CSV

async fn mapping_import_is_all_or_nothing_with_every_bad_row(db: TestDb) {
    let a = db.shop("A").await;
    let b = db.shop("B").await;
    let s = &db.store;
    let mug = db.approved(a.seller, "MUG").await;
    db.product(a.seller, "LID").await;
    db.product(b.seller, "B-ONLY").await;
    s.add_mapping(a.store, "KEEP", mug.id, 1).await.unwrap();
    let csv = "platform_sku,system_sku,quantity\n\
               SET,MUG,2\n\
               SET,GHOST,1\n\
               ,MUG,1\n\
               X,LID,zero\n\
               Y,LID,0\n\
               SET,MUG,3\n\
               Z,B-ONLY,1\n\
               W,LID\n\
               OK,LID,1\n";
    let rows = bad_rows(s.import_mappings(a.store, csv.as_bytes()).await);
    let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, [3, 4, 5, 6, 7, 8, 9], "{rows:?}");
    assert!(
        rows[0].message.contains("unknown system SKU GHOST"),
        "{rows:?}"
    );
    assert!(
        rows[1].message.contains("platform_sku must not be empty"),
        "{rows:?}"
    );
    assert!(rows[2].message.contains("quantity `zero`"), "{rows:?}");
    assert!(rows[3].message.contains("quantity `0`"), "{rows:?}");
    assert!(
        rows[4].message.contains("duplicate row") && rows[4].message.contains("line 2"),
        "{rows:?}"
    );
    assert!(
        rows[5].message.contains("unknown system SKU B-ONLY"),
        "another seller's: {rows:?}"
    );
    assert!(rows[6].message.contains("expected 3 fields"), "{rows:?}");
    // Nothing was written.
    let all = s.list_mappings(a.store, None, None, 100).await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].platform_sku, "KEEP");

    let header = bad_rows(
        s.import_mappings(a.store, b"platform_sku,sku,quantity\nA,MUG,1\n")
            .await,
    );
    assert_eq!(header.len(), 1);
    assert_eq!(header[0].line, 1);
    assert!(
        header[0].message.contains("unknown column `sku`"),
        "{header:?}"
    );
    assert!(
        header[0].message.contains("required column system_sku"),
        "{header:?}"
    );
    let empty = bad_rows(s.import_mappings(a.store, b"").await);
    assert!(
        empty[0].message.contains("header line is required"),
        "{empty:?}"
    );
    let no_rows = bad_rows(
        s.import_mappings(a.store, b"platform_sku,system_sku,quantity\n")
            .await,
    );
    assert!(no_rows[0].message.contains("no rows"), "{no_rows:?}");
    let missing = s
        .import_mappings(
            StoreId(9999),
            b"platform_sku,system_sku,quantity\nA,MUG,1\n",
        )
        .await;
    assert!(
        matches!(
            missing,
            Err(ImportError::Store(StoreError::NotFound("store")))
        ),
        "{missing:?}"
    );
}

async fn mapping_import_reads_bom_quotes_any_order_and_replaces(db: TestDb) {
    let a = db.shop("A").await;
    let s = &db.store;
    let mug = db.approved(a.seller, "MUG").await;
    let lid = db.product(a.seller, "LID").await;
    let cup = db.product(a.seller, "CUP,2").await;
    s.add_mapping(a.store, "SET \"A\"", cup.id, 9)
        .await
        .unwrap();
    s.add_mapping(a.store, "UNTOUCHED", cup.id, 1)
        .await
        .unwrap();
    let csv = "\u{feff}Quantity,System_SKU,PLATFORM_SKU\r\n\
               2,MUG,\"SET \"\"A\"\"\"\r\n\
               \"1\", LID ,\"SET \"\"A\"\"\"\r\n\
               4,\"CUP,2\",Ünïcode-1\r\n";
    let done = s.import_mappings(a.store, csv.as_bytes()).await.unwrap();
    assert_eq!((done.platform_skus, done.rows, done.replaced), (2, 3, 1));
    let comps = s
        .mapping_components(a.store, &["SET \"A\"", "Ünïcode-1", "UNTOUCHED"])
        .await
        .unwrap();
    // The old CUP x9 component of SET "A" is replaced by the file's two.
    assert_eq!(comps["SET \"A\""], [comp(&mug, 2), comp(&lid, 1)]);
    assert_eq!(comps["Ünïcode-1"], [comp(&cup, 4)]);
    assert_eq!(comps["UNTOUCHED"], [comp(&cup, 1)]);
}

async fn product_import_creates_drafts_all_or_nothing(db: TestDb) {
    let a = db.shop("A").await;
    let s = &db.store;
    db.product(a.seller, "TAKEN").await;
    let bad = "name,SKU,weight_g,declared_value\n\
               Mug,MUG-1,350,12.50\n\
               Lid,LID 1,,\n\
               Cup,CUP-1,-5,\n\
               Hat,HAT-1,,abc\n\
               ,NONAME,,\n\
               Dup,MUG-1,,\n\
               Taken,TAKEN,,\n\
               Neg,NEG-1,,-1\n";
    let rows = bad_rows(s.import_products(a.seller, bad.as_bytes()).await);
    let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, [3, 4, 5, 6, 7, 8, 9], "{rows:?}");
    assert!(rows[0].message.contains("sku must be 1 to 64"), "{rows:?}");
    assert!(rows[1].message.contains("weight_g `-5`"), "{rows:?}");
    assert!(rows[2].message.contains("declared_value `abc`"), "{rows:?}");
    assert!(
        rows[3].message.contains("name must not be empty"),
        "{rows:?}"
    );
    assert!(rows[4].message.contains("duplicate SKU MUG-1"), "{rows:?}");
    assert!(
        rows[5]
            .message
            .contains("already has a product with SKU TAKEN"),
        "{rows:?}"
    );
    assert!(
        rows[6].message.contains("declared_value must be"),
        "{rows:?}"
    );
    let all = ProductFilter {
        limit: 100,
        ..Default::default()
    };
    assert_eq!(
        s.list_products(&all).await.unwrap().len(),
        1,
        "nothing imported"
    );

    let good = "\u{feff}sku,name,hazard_class,barcode,weight_g,length_mm,width_mm,height_mm,declared_value\n\
                MUG-1,\"Mug, large\",,123,350,100,90,110,12.50\n\
                BAT-1,Battery,UN3481,,,,,,0\n";
    let done = s.import_products(a.seller, good.as_bytes()).await.unwrap();
    assert_eq!(done.created, 2);
    let mug = s.get_product(done.ids[0]).await.unwrap().unwrap();
    assert_eq!(mug.name, "Mug, large");
    assert_eq!(mug.status, ProductStatus::Draft);
    assert_eq!((mug.weight_g, mug.height_mm), (Some(350), Some(110)));
    assert_eq!(mug.declared_value, Some(Decimal::new(1250, 2)));
    let bat = s.get_product(done.ids[1]).await.unwrap().unwrap();
    assert_eq!(bat.hazard_class.as_deref(), Some("UN3481"));
    assert_eq!(bat.barcode, None);
    let missing = bad_rows(s.import_products(a.seller, b"sku\nA\n").await);
    assert!(
        missing[0].message.contains("required column name"),
        "{missing:?}"
    );
}

store_tests!(
    products_are_validated_and_unique_per_seller,
    the_audit_moves_draft_to_approved_or_rejected,
    approval_locks_sku_and_hazard_class_and_delete,
    measuring_records_the_warehouses_figures,
    products_list_by_seller_status_and_sku,
    mappings_make_bundles_within_one_store,
    components_of_thousands_of_keys_are_read_in_chunks,
    mapping_import_is_all_or_nothing_with_every_bad_row,
    mapping_import_reads_bom_quotes_any_order_and_replaces,
    product_import_creates_drafts_all_or_nothing,
);
