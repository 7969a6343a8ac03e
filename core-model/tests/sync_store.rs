//! The sync tables' behaviour suite: schedule, leases, runs and daemon meta. Every case runs on
//! SQLite (a temp file) and, when `DATABASE_URL` is set, on PostgreSQL in a database of its own
//! that is dropped afterwards.
#![cfg(feature = "store")]
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use core_model::store::{
    CycleOutcome, OrderStore, PageProgress, RunKind, RunStatus, StoreError, StoreInfo, SyncRun,
    UploadOutcome, UploadStatus,
};
use core_model::{Cursor, Platform, SellerId, StoreId, Window};

#[macro_use]
mod common;

use common::TestDb;

// ---------------------------------------------------------------------------------------------
// Harness (the minimal part of tests/store.rs's)

impl TestDb {
    async fn seller(&self, name: &str) -> SellerId {
        self.store.create_seller(name).await.unwrap()
    }

    async fn new_store(&self, seller: SellerId, name: &str) -> StoreId {
        self.store
            .create_store(seller, Platform::Amazon, name)
            .await
            .unwrap()
    }

    /// A store of a seller of its own, authorized and due at `due`.
    async fn authorized_store(&self, name: &str, due: DateTime<Utc>) -> StoreId {
        let seller = self.seller(name).await;
        let store = self.new_store(seller, name).await;
        self.store
            .authorize_store(store, b"sealed", due)
            .await
            .unwrap();
        store
    }

    async fn info(&self, store: StoreId) -> StoreInfo {
        self.store.get_store(store).await.unwrap().unwrap()
    }
}

store_tests! {
    authorize_stores_credentials_and_schedules,
    claim_takes_due_unleased_stores_most_overdue_first,
    queued_run_makes_store_claimable,
    request_run_returns_the_open_run,
    concurrent_request_run_makes_one_run,
    run_checkpoints_and_finishes,
    second_open_run_is_a_conflict,
    lease_renew_and_release_belong_to_the_owner,
    deactivate_forgets_credentials_and_cancels,
    lists_filter_by_seller_and_store,
    init_meta_keeps_the_first_value,
    concurrent_claims_never_share_a_store,
    clear_leases_frees_every_store,
    tracking_outbox_enqueues_once_and_claims_exclusively,
    tracking_outbox_records_each_outcome,
    concurrent_upload_claims_never_share_an_upload,
}

// ---------------------------------------------------------------------------------------------
// Cases

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap()
}

fn ttl() -> Duration {
    Duration::minutes(5)
}

fn window() -> Window {
    Window::new(now() - Duration::days(2), now()).unwrap()
}

fn outcome(next_due: DateTime<Utc>) -> CycleOutcome {
    CycleOutcome {
        next_due,
        initial_done: true,
        synced_to: Some(now() - Duration::minutes(1)),
        sweep: Some((now(), 42)),
    }
}

async fn authorize_stores_credentials_and_schedules(db: TestDb) {
    let seller = db.seller("Acme").await;
    let store = db.new_store(seller, "Acme US").await;
    let first_due = now() + Duration::minutes(3);

    db.store
        .authorize_store(store, b"sealed-1", first_due)
        .await
        .unwrap();
    assert_eq!(
        db.store.store_credentials(store).await.unwrap().as_deref(),
        Some(&b"sealed-1"[..])
    );
    let info = db.info(store).await;
    assert!(info.authorized && info.active && !info.initial_done);
    assert_eq!(info.next_due, Some(first_due));

    let unknown = StoreId(store.0 + 1000);
    assert!(matches!(
        db.store.authorize_store(unknown, b"x", now()).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        db.store.store_credentials(unknown).await,
        Err(StoreError::NotFound(_))
    ));

    // The initial pull completes; authorizing again must not schedule it anew.
    let claimed = db
        .store
        .claim_due_stores("a", first_due, ttl(), 10)
        .await
        .unwrap();
    assert_eq!(claimed, vec![store]);
    let next_due = now() + Duration::minutes(15);
    db.store
        .release_store(store, "a", Some(&outcome(next_due)))
        .await
        .unwrap();
    db.store
        .authorize_store(store, b"sealed-2", now() + Duration::days(9))
        .await
        .unwrap();
    let info = db.info(store).await;
    assert!(info.active && info.initial_done);
    assert_eq!(info.next_due, Some(next_due));
    assert_eq!(
        db.store.store_credentials(store).await.unwrap().as_deref(),
        Some(&b"sealed-2"[..])
    );
}

async fn claim_takes_due_unleased_stores_most_overdue_first(db: TestDb) {
    // Created in the opposite order of their overdueness, so id order is not the answer.
    let slightly = db
        .authorized_store("slightly", now() - Duration::minutes(1))
        .await;
    let very = db
        .authorized_store("very", now() - Duration::minutes(10))
        .await;
    let later = db
        .authorized_store("later", now() + Duration::minutes(5))
        .await;
    let removed = db
        .authorized_store("removed", now() - Duration::hours(1))
        .await;
    db.store.deactivate_store(removed, now()).await.unwrap();

    // `limit` honoured, and the one taken is the most overdue.
    let first = db
        .store
        .claim_due_stores("a", now(), ttl(), 1)
        .await
        .unwrap();
    assert_eq!(first, vec![very]);
    // Neither the store leased to `a` nor the one due later.
    let second = db
        .store
        .claim_due_stores("b", now(), ttl(), 10)
        .await
        .unwrap();
    assert_eq!(second, vec![slightly]);
    assert_eq!(db.info(very).await.lease_owner.as_deref(), Some("a"));
    assert_eq!(db.info(slightly).await.lease_owner.as_deref(), Some("b"));

    // Before the leases expire nobody else gets them.
    let early = now() + Duration::minutes(1);
    let none = db
        .store
        .claim_due_stores("c", early, ttl(), 10)
        .await
        .unwrap();
    assert_eq!(none, vec![]);

    // After expiry another owner takes all three, most overdue first.
    let after = now() + ttl() + Duration::milliseconds(1);
    let all = db
        .store
        .claim_due_stores("c", after, ttl(), 10)
        .await
        .unwrap();
    assert_eq!(all, vec![very, slightly, later]);
    assert_eq!(db.info(very).await.lease_owner.as_deref(), Some("c"));
}

async fn queued_run_makes_store_claimable(db: TestDb) {
    let store = db.authorized_store("s", now() + Duration::hours(1)).await;
    assert_eq!(
        db.store
            .claim_due_stores("a", now(), ttl(), 10)
            .await
            .unwrap(),
        vec![]
    );

    db.store
        .request_run(store, RunKind::Manual, None, now())
        .await
        .unwrap();
    assert_eq!(
        db.store
            .claim_due_stores("a", now(), ttl(), 10)
            .await
            .unwrap(),
        vec![store]
    );
}

async fn request_run_returns_the_open_run(db: TestDb) {
    let store = db.authorized_store("s", now()).await;

    let (id, created) = db
        .store
        .request_run(store, RunKind::Manual, None, now())
        .await
        .unwrap();
    assert!(created);
    let again = db
        .store
        .request_run(store, RunKind::Manual, None, now())
        .await
        .unwrap();
    assert_eq!(again, (id, false));

    db.store.begin_run(id, window(), "a", now()).await.unwrap();
    let while_running = db
        .store
        .request_run(store, RunKind::Incremental, None, now())
        .await
        .unwrap();
    assert_eq!(while_running, (id, false));

    db.store
        .finish_run(
            id,
            RunStatus::Succeeded,
            None,
            &PageProgress::default(),
            now(),
        )
        .await
        .unwrap();
    let (next, created) = db
        .store
        .request_run(store, RunKind::Manual, None, now())
        .await
        .unwrap();
    assert!(created);
    assert_ne!(next, id);

    // Never authorized, and authorized then removed: neither runs.
    let seller = db.seller("other").await;
    let never = db.new_store(seller, "never").await;
    assert!(matches!(
        db.store
            .request_run(never, RunKind::Manual, None, now())
            .await,
        Err(StoreError::NotFound(_))
    ));
    db.store.deactivate_store(store, now()).await.unwrap();
    assert!(matches!(
        db.store
            .request_run(store, RunKind::Manual, None, now())
            .await,
        Err(StoreError::NotFound(_))
    ));
}

async fn concurrent_request_run_makes_one_run(db: TestDb) {
    let store = db.authorized_store("s", now()).await;

    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let orders = db.store.clone();
            tokio::spawn(async move {
                orders
                    .request_run(store, RunKind::Manual, None, now())
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }

    let ids: BTreeSet<_> = results.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids.len(), 1, "{results:?}");
    assert_eq!(results.iter().filter(|(_, created)| *created).count(), 1);
    assert_eq!(db.count("SELECT COUNT(*) FROM sync_runs").await, 1);
}

async fn run_checkpoints_and_finishes(db: TestDb) {
    let store = db.authorized_store("s", now()).await;
    let run = db
        .store
        .start_run(store, RunKind::Incremental, window(), "a", now())
        .await
        .unwrap();

    let page = |new, changed, calls| PageProgress {
        orders_new: new,
        orders_changed: changed,
        orders_unchanged: 1,
        malformed: 1,
        api_calls: calls,
        throttles: 1,
        errors: 0,
    };
    db.store
        .checkpoint_run(run, "a", Some(&Cursor("page-2".into())), &page(10, 2, 1))
        .await
        .unwrap();
    db.store
        .checkpoint_run(run, "a", Some(&Cursor("page-3".into())), &page(5, 3, 2))
        .await
        .unwrap();

    // A replica that does not own the run cannot move its cursor.
    let err = db
        .store
        .checkpoint_run(run, "b", Some(&Cursor("elsewhere".into())), &page(1, 0, 1))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    let mid = db.store.get_run(run).await.unwrap().unwrap();
    assert_eq!(mid.status, RunStatus::Running);
    assert_eq!(mid.window, Some(window()));
    assert_eq!(mid.owner.as_deref(), Some("a"));
    assert_eq!(mid.started_at, Some(now()));
    assert_eq!(mid.pages, 2);
    assert_eq!(
        (mid.orders_new, mid.orders_changed, mid.orders_unchanged),
        (15, 5, 2)
    );
    assert_eq!((mid.malformed, mid.api_calls, mid.throttles), (2, 3, 2));
    assert_eq!(mid.cursor, Some(Cursor("page-3".into())));
    assert_eq!(db.store.open_run(store).await.unwrap().unwrap().id, run);

    let extra = PageProgress {
        api_calls: 4,
        throttles: 1,
        errors: 1,
        ..PageProgress::default()
    };
    let end = now() + Duration::seconds(90);
    db.store
        .finish_run(run, RunStatus::Succeeded, None, &extra, end)
        .await
        .unwrap();

    let done = db.store.get_run(run).await.unwrap().unwrap();
    assert_eq!(done.status, RunStatus::Succeeded);
    assert_eq!(done.cursor, None);
    assert_eq!(done.finished_at, Some(end));
    assert_eq!(done.duration_ms, Some(90_000));
    assert_eq!((done.api_calls, done.throttles, done.errors), (7, 3, 1));
    assert_eq!(done.pages, 2);
    assert_eq!(db.store.open_run(store).await.unwrap(), None);
}

async fn second_open_run_is_a_conflict(db: TestDb) {
    let store = db.authorized_store("s", now()).await;
    db.store
        .start_run(store, RunKind::Incremental, window(), "a", now())
        .await
        .unwrap();

    let second = db
        .store
        .start_run(store, RunKind::Sweep, window(), "b", now())
        .await;
    assert!(matches!(second, Err(StoreError::Conflict(_))), "{second:?}");
    assert_eq!(db.count("SELECT COUNT(*) FROM sync_runs").await, 1);
}

async fn lease_renew_and_release_belong_to_the_owner(db: TestDb) {
    let due = now() - Duration::minutes(1);
    let store = db.authorized_store("s", due).await;
    assert_eq!(
        db.store
            .claim_due_stores("a", now(), ttl(), 10)
            .await
            .unwrap(),
        vec![store]
    );

    let until = now() + Duration::minutes(10);
    assert!(db.store.renew_lease(store, "a", until).await.unwrap());
    assert!(!db.store.renew_lease(store, "b", until).await.unwrap());
    // The renewal holds: at the first lease's end the store is still `a`'s.
    let at_old_expiry = now() + ttl() + Duration::milliseconds(1);
    assert_eq!(
        db.store
            .claim_due_stores("b", at_old_expiry, ttl(), 10)
            .await
            .unwrap(),
        vec![]
    );

    let next_due = now() + Duration::minutes(15);
    db.store
        .release_store(store, "b", Some(&outcome(next_due)))
        .await
        .unwrap();
    let untouched = db.info(store).await;
    assert_eq!(untouched.lease_owner.as_deref(), Some("a"));
    assert_eq!(untouched.next_due, Some(due));
    assert!(!untouched.initial_done);
    assert_eq!(untouched.synced_to, None);
    assert_eq!(untouched.last_sweep_at, None);

    db.store
        .release_store(store, "a", Some(&outcome(next_due)))
        .await
        .unwrap();
    let released = db.info(store).await;
    assert_eq!(released.lease_owner, None);
    assert_eq!(released.next_due, Some(next_due));
    assert!(released.initial_done);
    assert_eq!(released.synced_to, Some(now() - Duration::minutes(1)));
    assert_eq!(released.last_sweep_at, Some(now()));
    assert_eq!(released.last_sweep_orders, Some(42));
}

async fn deactivate_forgets_credentials_and_cancels(db: TestDb) {
    let store = db.authorized_store("s", now()).await;
    let (run, _) = db
        .store
        .request_run(store, RunKind::Manual, None, now())
        .await
        .unwrap();

    let removed_at = now() + Duration::minutes(1);
    db.store.deactivate_store(store, removed_at).await.unwrap();

    assert_eq!(db.store.store_credentials(store).await.unwrap(), None);
    assert_eq!(
        db.store
            .claim_due_stores("a", removed_at, ttl(), 10)
            .await
            .unwrap(),
        vec![]
    );
    let cancelled = db.store.get_run(run).await.unwrap().unwrap();
    assert_eq!(cancelled.status, RunStatus::Cancelled);
    assert_eq!(cancelled.finished_at, Some(removed_at));
    assert_eq!(db.store.open_run(store).await.unwrap(), None);

    let listed = db.store.list_stores(None).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, store);
    assert!(!listed[0].authorized && !listed[0].active);
}

async fn lists_filter_by_seller_and_store(db: TestDb) {
    let one = db.seller("one").await;
    let two = db.seller("two").await;
    let one_a = db.new_store(one, "one-a").await;
    let two_a = db.new_store(two, "two-a").await;
    let one_b = db.new_store(one, "one-b").await;
    for store in [one_a, two_a, one_b] {
        db.store
            .authorize_store(store, b"sealed", now())
            .await
            .unwrap();
    }

    let ids = |stores: Vec<StoreInfo>| stores.into_iter().map(|s| s.id).collect::<Vec<_>>();
    assert_eq!(
        ids(db.store.list_stores(Some(one)).await.unwrap()),
        vec![one_a, one_b]
    );
    assert_eq!(
        ids(db.store.list_stores(Some(two)).await.unwrap()),
        vec![two_a]
    );
    assert_eq!(
        ids(db.store.list_stores(None).await.unwrap()),
        vec![one_a, two_a, one_b]
    );

    // Two finished runs per store, interleaved across stores.
    let mut made = Vec::new();
    for _ in 0..2 {
        for store in [one_a, two_a, one_b] {
            let (run, _) = db
                .store
                .request_run(store, RunKind::Manual, None, now())
                .await
                .unwrap();
            db.store
                .finish_run(
                    run,
                    RunStatus::Succeeded,
                    None,
                    &PageProgress::default(),
                    now(),
                )
                .await
                .unwrap();
            made.push((store, run));
        }
    }
    let newest_first = |keep: &dyn Fn(StoreId) -> bool| {
        made.iter()
            .rev()
            .filter(|(s, _)| keep(*s))
            .map(|(_, r)| *r)
            .collect::<Vec<_>>()
    };
    let runs = |v: Vec<SyncRun>| v.into_iter().map(|r| r.id).collect::<Vec<_>>();

    assert_eq!(
        runs(db.store.list_runs(Some(two_a), None, 10).await.unwrap()),
        newest_first(&|s| s == two_a)
    );
    assert_eq!(
        runs(db.store.list_runs(None, Some(one), 10).await.unwrap()),
        newest_first(&|s| s != two_a)
    );
    assert_eq!(
        runs(db.store.list_runs(None, None, 10).await.unwrap()),
        newest_first(&|_| true)
    );
    assert_eq!(
        runs(db.store.list_runs(None, Some(one), 3).await.unwrap()),
        newest_first(&|s| s != two_a)[..3].to_vec()
    );
}

async fn init_meta_keeps_the_first_value(db: TestDb) {
    assert_eq!(db.store.get_meta("key_check").await.unwrap(), None);
    assert_eq!(
        db.store.init_meta("key_check", b"first").await.unwrap(),
        b"first"
    );
    assert_eq!(
        db.store.init_meta("key_check", b"second").await.unwrap(),
        b"first"
    );
    assert_eq!(
        db.store.get_meta("key_check").await.unwrap().as_deref(),
        Some(&b"first"[..])
    );
}

/// Two replicas with pools of their own claim from one PostgreSQL database at once. SQLite has
/// one process per file, so there is nothing to race there.
async fn concurrent_claims_never_share_a_store(db: TestDb) {
    if db.store.backend_name() == "sqlite" {
        return;
    }
    let mut all = BTreeSet::new();
    for n in 0..50 {
        all.insert(
            db.authorized_store(&format!("s{n}"), now() - Duration::minutes(n))
                .await,
        );
    }

    let start = Arc::new(tokio::sync::Barrier::new(2));
    let replicas: Vec<_> = ["replica-a", "replica-b"]
        .into_iter()
        .map(|owner| {
            let url = db.url.clone();
            let start = start.clone();
            tokio::spawn(async move {
                let store = OrderStore::connect(&url).await.unwrap();
                start.wait().await;
                let mut claimed = Vec::new();
                loop {
                    let batch = store
                        .claim_due_stores(owner, now(), ttl(), 10)
                        .await
                        .unwrap();
                    assert!(batch.len() <= 10, "{owner} got {}", batch.len());
                    if batch.is_empty() {
                        break;
                    }
                    claimed.extend(batch);
                }
                store.close().await;
                claimed
            })
        })
        .collect();

    let mut seen = BTreeSet::new();
    for replica in replicas {
        for store in replica.await.unwrap() {
            assert!(seen.insert(store), "{store} claimed twice");
        }
    }
    assert_eq!(seen, all);
}

async fn clear_leases_frees_every_store(db: TestDb) {
    let first = db.authorized_store("one", now()).await;
    let second = db.authorized_store("two", now()).await;
    let claimed: BTreeSet<_> = db
        .store
        .claim_due_stores("dead", now(), ttl(), 10)
        .await
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(claimed, BTreeSet::from([first, second]));
    assert_eq!(
        db.store
            .claim_due_stores("live", now(), ttl(), 10)
            .await
            .unwrap(),
        vec![]
    );

    assert_eq!(db.store.clear_leases().await.unwrap(), 2);
    let reclaimed: BTreeSet<_> = db
        .store
        .claim_due_stores("live", now(), ttl(), 10)
        .await
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(reclaimed, BTreeSet::from([first, second]));
    assert_eq!(db.info(first).await.lease_owner.as_deref(), Some("live"));
}

fn shipment(order: &str) -> core_model::Shipment {
    core_model::Shipment {
        platform_order_id: order.into(),
        package_ref: "pkg-1".into(),
        carrier_code: "UPS".into(),
        carrier_name: Some("UPS".into()),
        shipping_method: None,
        tracking_number: format!("1Z{order}"),
        shipped_at: now(),
        lines: Vec::new(),
    }
}

async fn tracking_outbox_enqueues_once_and_claims_exclusively(db: TestDb) {
    let store = db.authorized_store("s", now()).await;
    let (first, created) = db
        .store
        .enqueue_tracking(store, &shipment("A"), now())
        .await
        .unwrap();
    assert!(created);
    let (again, created) = db
        .store
        .enqueue_tracking(store, &shipment("A"), now())
        .await
        .unwrap();
    assert_eq!((again, created), (first, false));
    db.store
        .enqueue_tracking(store, &shipment("B"), now() + Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(db.store.tracking_backlog().await.unwrap(), 2);

    // Only what is due; and what one owner holds, another does not get until the claim lapses.
    let a = db
        .store
        .claim_tracking_uploads("a", now(), ttl(), 10)
        .await
        .unwrap();
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].shipment, shipment("A"));
    assert!(db
        .store
        .claim_tracking_uploads("b", now(), ttl(), 10)
        .await
        .unwrap()
        .is_empty());
    let later = now() + ttl() + Duration::seconds(1);
    let b = db
        .store
        .claim_tracking_uploads("b", later, ttl(), 10)
        .await
        .unwrap();
    let mut orders: Vec<_> = b
        .iter()
        .map(|u| u.shipment.platform_order_id.clone())
        .collect();
    orders.sort();
    assert_eq!(orders, ["A", "B"]);
    // The lapsed owner can no longer record an outcome.
    let err = db
        .store
        .finish_tracking_upload(
            first,
            "a",
            &UploadOutcome::Uploaded {
                already_confirmed: false,
            },
            later,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
}

async fn tracking_outbox_records_each_outcome(db: TestDb) {
    let store = db.authorized_store("s", now()).await;
    for order in ["A", "B", "C"] {
        db.store
            .enqueue_tracking(store, &shipment(order), now())
            .await
            .unwrap();
    }
    let claimed = db
        .store
        .claim_tracking_uploads("a", now(), ttl(), 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 3);
    let id = |o: &str| {
        claimed
            .iter()
            .find(|u| u.shipment.platform_order_id == o)
            .unwrap()
            .id
    };
    let retry_at = now() + Duration::minutes(2);
    db.store
        .finish_tracking_upload(
            id("A"),
            "a",
            &UploadOutcome::Retry {
                at: retry_at,
                error: "throttled".into(),
            },
            now(),
        )
        .await
        .unwrap();
    db.store
        .finish_tracking_upload(
            id("B"),
            "a",
            &UploadOutcome::Failed {
                error: "refused".into(),
            },
            now(),
        )
        .await
        .unwrap();
    db.store
        .finish_tracking_upload(
            id("C"),
            "a",
            &UploadOutcome::Uploaded {
                already_confirmed: true,
            },
            now(),
        )
        .await
        .unwrap();
    let get = |o: &'static str| {
        let db = &db;
        async move { db.store.tracking_uploads(store, o).await.unwrap().remove(0) }
    };
    let a = get("A").await;
    assert_eq!(
        (a.status, a.attempts, a.next_attempt),
        (UploadStatus::Pending, 1, Some(retry_at))
    );
    assert_eq!(a.last_error.as_deref(), Some("throttled"));
    let b = get("B").await;
    assert_eq!(
        (b.status, b.last_error.as_deref()),
        (UploadStatus::Failed, Some("refused"))
    );
    let c = get("C").await;
    assert_eq!(
        (c.status, c.already_confirmed, c.uploaded_at),
        (UploadStatus::Uploaded, Some(true), Some(now()))
    );
    assert_eq!(db.store.tracking_backlog().await.unwrap(), 1);
    // A retry is due at its time, not before.
    assert!(db
        .store
        .claim_tracking_uploads("a", now() + Duration::minutes(1), ttl(), 10)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        db.store
            .claim_tracking_uploads("a", retry_at, ttl(), 10)
            .await
            .unwrap()
            .len(),
        1
    );
}

/// Two replicas claiming uploads at once (PostgreSQL; SQLite has one process per file): each
/// upload goes to exactly one of them. A dead process's claims are freed with its leases.
async fn concurrent_upload_claims_never_share_an_upload(db: TestDb) {
    let store = db.authorized_store("s", now()).await;
    let mut all = BTreeSet::new();
    for n in 0..60 {
        let (id, _) = db
            .store
            .enqueue_tracking(store, &shipment(&format!("O{n}")), now())
            .await
            .unwrap();
        all.insert(id);
    }
    if db.store.backend_name() == "sqlite" {
        db.store
            .claim_tracking_uploads("dead", now(), ttl(), 100)
            .await
            .unwrap();
        assert!(db.store.clear_leases().await.unwrap() >= 60);
        let again = db
            .store
            .claim_tracking_uploads("live", now(), ttl(), 100)
            .await
            .unwrap();
        assert_eq!(again.len(), 60, "freed with the leases");
        return;
    }
    let start = Arc::new(tokio::sync::Barrier::new(2));
    let replicas: Vec<_> = ["replica-a", "replica-b"]
        .into_iter()
        .map(|owner| {
            let url = db.url.clone();
            let start = start.clone();
            tokio::spawn(async move {
                let store = OrderStore::connect(&url).await.unwrap();
                start.wait().await;
                let mut claimed = Vec::new();
                loop {
                    let batch = store
                        .claim_tracking_uploads(owner, now(), ttl(), 7)
                        .await
                        .unwrap();
                    if batch.is_empty() {
                        break;
                    }
                    claimed.extend(batch.into_iter().map(|u| u.id));
                }
                store.close().await;
                claimed
            })
        })
        .collect();
    let mut seen = BTreeSet::new();
    for replica in replicas {
        for id in replica.await.unwrap() {
            assert!(seen.insert(id), "upload {id} claimed twice");
        }
    }
    assert_eq!(seen, all);
}
