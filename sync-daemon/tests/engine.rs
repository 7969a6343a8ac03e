//! The sync engine against in-process fake platforms whose orders are created and updated as
//! a clock moves: days of cycles, quotas, resumption, manual sync.
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use core_model::store::{OrderStore, RunKind, RunStatus};
use core_model::{Platform, RateSpec, SellerId, StoreId};
use sync_daemon::sync::scheduler::{self, Heartbeat};
use sync_daemon::sync::{Clock, Engine, ManualClock, SyncSettings};
use sync_daemon::vault::Vault;

mod support;

use support::{caps, FakePlatform, FakeSource};

struct Harness {
    store: OrderStore,
    source: Arc<FakeSource>,
    seller: SellerId,
    _dir: tempfile::TempDir,
}

impl Harness {
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = OrderStore::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        let seller = store.create_seller("s").await.unwrap();
        Harness {
            store,
            source: Arc::new(FakeSource::default()),
            seller,
            _dir: dir,
        }
    }

    fn engine(&self, clock: Arc<dyn Clock>, settings: SyncSettings, owner: &str) -> Engine {
        Engine::new(
            self.store.clone(),
            Arc::new(Vault::from_key([7; 32])),
            self.source.clone(),
            clock,
            settings,
            owner,
        )
    }

    async fn add_store(&self, engine: &Engine, platform: Arc<FakePlatform>) -> StoreId {
        let id = self
            .store
            .create_store(self.seller, Platform::Shopify, "fake")
            .await
            .unwrap();
        self.source.platforms.lock().unwrap().insert(id, platform);
        engine
            .authorize(id, &serde_json::json!({ "token": "fake" }))
            .await
            .unwrap();
        id
    }

    /// Every stored order of `store` with its platform status, against the fake's own.
    async fn assert_mirrors(&self, store: StoreId, platform: &FakePlatform) {
        let orders = platform.orders.lock().unwrap().clone();
        assert_eq!(
            self.store.count_orders(store).await.unwrap(),
            orders.len() as u64,
            "store {} holds one row per platform order",
            store.0
        );
        for (id, o) in &orders {
            let stored = self.store.get_order(store, id).await.unwrap().unwrap();
            assert_eq!(
                stored.order.platform_status,
                format!("v{}", o.version),
                "order {id}"
            );
            assert_eq!(stored.order.updated_at, o.updated, "order {id}");
        }
    }
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap()
}

// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn three_days_of_cycles_keep_every_order_once_with_its_latest_state() {
    let h = Harness::new().await;
    let clock = Arc::new(ManualClock::new(t0()));
    let settings = SyncSettings {
        rate_limits: false,
        ..SyncSettings::default()
    };
    let engine = h.engine(clock.clone(), settings, "replica-a");
    let mut stores = Vec::new();
    for n in 0..3 {
        let fake = Arc::new(FakePlatform::new(caps(100, None)));
        // Orders from before authorization: the initial pull's five days, and older ones it
        // must not reach.
        for k in 0..30 {
            fake.upsert(&format!("old-{n}-{k}"), t0() - TimeDelta::hours(4 * k));
        }
        stores.push((h.add_store(&engine, fake.clone()).await, fake));
    }
    let mut created = 0u32;
    let end = t0() + TimeDelta::days(3);
    let mut step = 0u64;
    while clock.now() < end {
        step += 1;
        clock.advance(TimeDelta::minutes(5));
        let now = clock.now();
        for (i, (_, fake)) in stores.iter().enumerate() {
            // A new order every few minutes; updates to recent and day-old orders.
            // Between steps too: orders change at any minute, not only on the step.
            let at = now - TimeDelta::minutes(i as i64 + 1);
            created += 1;
            fake.upsert(&format!("o-{i}-{step}-0"), at);
            if step.is_multiple_of(3) && step > 2 {
                let recent = format!("o-{i}-{}-0", step - 2);
                fake.upsert(&recent, now);
            }
            if step.is_multiple_of(19) && step > 288 {
                // A day-old order changes.
                let id = format!("o-{i}-{}-0", step - 288);
                fake.upsert(&id, now);
            }
        }
        engine.dispatch().await.unwrap();
        engine.wait_idle().await;
    }
    // Quiet period: one more cycle for each store picks up the last changes.
    for _ in 0..3 {
        clock.advance(TimeDelta::minutes(5));
        engine.dispatch().await.unwrap();
        engine.wait_idle().await;
    }
    assert!(created > 2500, "{created} orders created");
    for (id, fake) in &stores {
        // Orders older than the initial pull's 5 days were never asked for.
        let five_days = t0() - TimeDelta::days(5);
        fake.orders
            .lock()
            .unwrap()
            .retain(|k, o| !k.starts_with("old-") || o.updated >= five_days);
        h.assert_mirrors(*id, fake).await;
        let runs = h.store.list_runs(Some(*id), None, 1000).await.unwrap();
        assert!(runs.iter().all(|r| r.status == RunStatus::Succeeded));
        assert_eq!(
            runs.iter().filter(|r| r.kind == RunKind::Initial).count(),
            1
        );
        // 3 days of 15-minute cycles: 288, give or take the first and the quiet period.
        let incremental = runs
            .iter()
            .filter(|r| r.kind == RunKind::Incremental)
            .count();
        assert!(
            (287..=290).contains(&incremental),
            "{incremental} incremental runs"
        );
        // Cycles are 15 minutes apart: no cycle skipped, none doubled.
        let mut starts: Vec<_> = runs
            .iter()
            .filter(|r| r.kind == RunKind::Incremental)
            .map(|r| r.started_at.unwrap())
            .collect();
        starts.sort();
        for pair in starts.windows(2) {
            assert_eq!(pair[1] - pair[0], TimeDelta::minutes(15));
        }
        let info = h.store.get_store(*id).await.unwrap().unwrap();
        assert!(info.initial_done);
        assert!(info.synced_to.unwrap() >= end);
    }
}

#[tokio::test]
async fn a_busy_store_never_goes_past_its_quota_and_still_gets_every_order() {
    let h = Harness::new().await;
    // Amazon's shape, compressed: a quota that cannot re-pull the store's two days every
    // cycle. 20 calls/s with a burst of 5; cycles of one second; 3,000 orders in pages of 50
    // (60 pages per full sweep).
    let quota = RateSpec {
        per_second: 20.0,
        burst: 5,
    };
    let settings = SyncSettings {
        interval: Duration::from_secs(1),
        tick: Duration::from_millis(50),
        safety_margin: Duration::from_secs(2),
        ..SyncSettings::default()
    };
    let clock: Arc<dyn Clock> = Arc::new(sync_daemon::sync::SystemClock);
    let engine = h.engine(clock.clone(), settings, "replica-a");
    let fake = Arc::new(FakePlatform::new(caps(50, Some(quota))));
    let start = Utc::now();
    for k in 0..3000 {
        fake.upsert(&format!("b-{k}"), start - TimeDelta::seconds(3000 - k));
    }
    let id = h.add_store(&engine, fake.clone()).await;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let sched = tokio::spawn(scheduler::run(engine.clone(), Heartbeat::Timer, stop_rx));
    // Keep the store busy: a new order and an update every 20 ms for 6 seconds.
    for k in 0..300 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        fake.upsert(&format!("n-{k}"), Utc::now());
        fake.upsert(&format!("b-{}", 2999 - k), Utc::now());
    }
    // Let the last changes in, then stop.
    let quiet = Utc::now();
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let info = h.store.get_store(id).await.unwrap().unwrap();
        if info
            .synced_to
            .is_some_and(|s| s > quiet + TimeDelta::milliseconds(10))
            && info.lease_owner.is_none()
        {
            break;
        }
    }
    stop_tx.send(true).unwrap();
    sched.await.unwrap().unwrap();
    engine.wait_idle().await;

    // The quota: in any span of calls, at most burst + rate x span.
    let calls = fake.calls.lock().unwrap().clone();
    for i in 0..calls.len() {
        for j in i..calls.len() {
            let span = (calls[j] - calls[i]).as_secs_f64();
            // 5 ms for the time between the gate and the fake's stamp.
            let allowed = f64::from(quota.burst) + quota.per_second * (span + 0.005);
            assert!(
                ((j - i + 1) as f64) <= allowed,
                "calls {i}..={j} in {span}s exceed the quota"
            );
        }
    }
    // The store was quota-bound: cursor-based incremental runs between full sweeps.
    let runs = h.store.list_runs(Some(id), None, 10_000).await.unwrap();
    let kinds: Vec<RunKind> = runs.iter().map(|r| r.kind).collect();
    assert!(kinds.contains(&RunKind::Incremental), "{kinds:?}");
    let sweeps = kinds.iter().filter(|k| **k == RunKind::Sweep).count();
    let incrementals = kinds.iter().filter(|k| **k == RunKind::Incremental).count();
    assert!(
        incrementals > sweeps,
        "{incrementals} incremental, {sweeps} sweeps"
    );
    h.assert_mirrors(id, &fake).await;
    // Its lag is known: complete up to a moment after the last change.
    let info = h.store.get_store(id).await.unwrap().unwrap();
    assert!(info.synced_to.unwrap() > quiet);
}

#[tokio::test]
async fn a_stopped_run_resumes_from_its_checkpoint_without_repeating_a_page() {
    let h = Harness::new().await;
    let clock = Arc::new(ManualClock::new(t0()));
    let settings = SyncSettings {
        rate_limits: false,
        ..SyncSettings::default()
    };
    let fake = Arc::new(FakePlatform::new(caps(10, None)));
    for k in 0..45 {
        fake.upsert(&format!("r-{k:02}"), t0() - TimeDelta::hours(k + 1));
    }
    // The first process: its platform fails after two pages (a crash stand-in that leaves
    // the run open at its checkpoint).
    let first = h.engine(clock.clone(), settings.clone(), "replica-a");
    let id = h.add_store(&first, fake.clone()).await;
    *fake.fail_after.lock().unwrap() = Some(2);
    first.stop();
    // Stopping engines take no new work; run the claimed store directly.
    let claimed = h
        .store
        .claim_due_stores("replica-a", clock.now(), TimeDelta::minutes(2), 10)
        .await
        .unwrap();
    assert_eq!(claimed, vec![id]);
    let report = first.run_store(id).await.unwrap();
    assert!(report.paused, "stopped after the first committed page");
    let run = h.store.get_run(report.run).await.unwrap().unwrap();
    assert_eq!((run.status, run.pages), (RunStatus::Running, 1));
    assert_eq!(h.store.count_orders(id).await.unwrap(), 10);

    // The next process resumes the same run at page 2.
    *fake.fail_after.lock().unwrap() = None;
    let second = h.engine(clock.clone(), settings, "replica-b");
    assert_eq!(second.dispatch().await.unwrap(), 1);
    second.wait_idle().await;
    let run = h.store.get_run(report.run).await.unwrap().unwrap();
    assert_eq!((run.status, run.pages), (RunStatus::Succeeded, 5));
    let cursors = fake.cursors.lock().unwrap().clone();
    assert_eq!(
        cursors,
        vec![
            None,
            Some("10".into()),
            Some("20".into()),
            Some("30".into()),
            Some("40".into())
        ],
        "no page asked twice"
    );
    h.assert_mirrors(id, &fake).await;
}

#[tokio::test]
async fn manual_sync_answers_with_the_run_in_flight() {
    let h = Harness::new().await;
    let clock = Arc::new(ManualClock::new(t0()));
    let engine = h.engine(clock.clone(), SyncSettings::default(), "replica-a");
    let fake = Arc::new(FakePlatform::new(caps(10, None)));
    fake.upsert("m-1", t0() - TimeDelta::hours(1));
    let id = h.add_store(&engine, fake.clone()).await;
    engine.dispatch().await.unwrap();
    engine.wait_idle().await;

    let (a, created) = engine.request_sync(id, None).await.unwrap();
    assert!(created);
    let (b, created) = engine.request_sync(id, None).await.unwrap();
    assert_eq!((a, created), (b, false));
    // Not due on schedule, but the queued run makes it claimable now.
    assert_eq!(engine.dispatch().await.unwrap(), 1);
    engine.wait_idle().await;
    let run = h.store.get_run(a).await.unwrap().unwrap();
    assert_eq!(
        (run.kind, run.status),
        (RunKind::Manual, RunStatus::Succeeded)
    );
    let (c, created) = engine.request_sync(id, None).await.unwrap();
    assert!(created && c != a);
    // A bad credentials file is refused at authorization, naming the key.
    let other = h
        .store
        .create_store(h.seller, Platform::Shopify, "x")
        .await
        .unwrap();
    h.source.platforms.lock().unwrap().insert(other, fake);
    let err = engine
        .authorize(other, &serde_json::json!({"token": "nope"}))
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("`token`"), "{err:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_full_load_the_cron_heartbeat_runs_every_store_every_cycle() {
    let h = Harness::new().await;
    let clock: Arc<dyn Clock> = Arc::new(sync_daemon::sync::SystemClock);
    // 15-minute cycles compressed to 2 seconds, 40 stores, each pull spinning a core for
    // 15 ms, plus two threads burning both cores for the whole run.
    let settings = SyncSettings {
        interval: Duration::from_secs(2),
        tick: Duration::from_secs(1),
        rate_limits: false,
        concurrency: 8,
        ..SyncSettings::default()
    };
    let engine = h.engine(clock, settings, "replica-a");
    let mut stores = Vec::new();
    for _ in 0..40 {
        let mut fake = FakePlatform::new(caps(50, None));
        fake.busy = Duration::from_millis(15);
        let fake = Arc::new(fake);
        fake.upsert("x", Utc::now());
        stores.push((h.add_store(&engine, fake.clone()).await, fake));
    }
    let burn = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let burners: Vec<_> = (0..2)
        .map(|_| {
            let burn = burn.clone();
            std::thread::spawn(move || {
                let mut x = 0u64;
                while burn.load(std::sync::atomic::Ordering::Relaxed) {
                    x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                    std::hint::black_box(x);
                }
            })
        })
        .collect();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let started = Utc::now();
    let sched = tokio::spawn(scheduler::run(engine.clone(), Heartbeat::Cron, stop_rx));
    tokio::time::sleep(Duration::from_secs(24)).await;
    stop_tx.send(true).unwrap();
    sched.await.unwrap().unwrap();
    engine.wait_idle().await;
    let ended = Utc::now();
    burn.store(false, std::sync::atomic::Ordering::Relaxed);
    for b in burners {
        b.join().unwrap();
    }

    for (id, fake) in &stores {
        assert_eq!(
            fake.active.lock().unwrap().1,
            1,
            "store {} pulled twice at once",
            id.0
        );
        let runs = h.store.list_runs(Some(*id), None, 1000).await.unwrap();
        let mut starts: Vec<_> = runs
            .iter()
            .filter(|r| r.kind == RunKind::Incremental)
            .map(|r| r.started_at.unwrap())
            .collect();
        starts.sort();
        // Every 2-second cycle slot between the first run and the end had its run: no gap
        // wider than two cycles (a late heartbeat delays a cycle, it never drops one).
        let span = (ended - started).num_milliseconds() as f64 / 2000.0;
        assert!(
            starts.len() as f64 >= span - 3.0,
            "store {}: {} runs in {span} cycles",
            id.0,
            starts.len()
        );
        for pair in starts.windows(2) {
            assert!(
                pair[1] - pair[0] < TimeDelta::milliseconds(4000),
                "store {}: gap {:?}",
                id.0,
                pair[1] - pair[0]
            );
        }
    }
}

#[tokio::test]
async fn the_tracking_outbox_uploads_retries_throttles_and_keeps_refusals() {
    use core_model::store::UploadStatus;
    use core_model::{MarketplaceError, Shipment};

    let h = Harness::new().await;
    let clock = Arc::new(ManualClock::new(t0()));
    let engine = h.engine(clock.clone(), SyncSettings::default(), "replica-a");
    let fake = Arc::new(FakePlatform::new(caps(10, None)));
    let id = h.add_store(&engine, fake.clone()).await;
    let shipment = |order: &str| Shipment {
        platform_order_id: order.into(),
        package_ref: "pkg-1".into(),
        carrier_code: "UPS".into(),
        carrier_name: None,
        shipping_method: None,
        tracking_number: format!("1Z{order}"),
        shipped_at: t0(),
        lines: Vec::new(),
    };
    for order in ["A", "B", "C"] {
        let (_, created) = h
            .store
            .enqueue_tracking(id, &shipment(order), t0())
            .await
            .unwrap();
        assert!(created);
    }
    // The same package again is the same upload.
    assert!(
        !h.store
            .enqueue_tracking(id, &shipment("A"), t0())
            .await
            .unwrap()
            .1
    );
    assert_eq!(h.store.tracking_backlog().await.unwrap(), 3);

    // A: throttled once; B: refused for good; C: accepted.
    fake.upload_errors.lock().unwrap().extend([
        MarketplaceError::rate_limited(Some(Duration::from_secs(30)), "throttled"),
        MarketplaceError::permanent("order already cancelled"),
    ]);
    assert_eq!(engine.upload_due_tracking().await.unwrap(), 3);
    let status = |order: &'static str| {
        let h = &h;
        async move { h.store.tracking_uploads(id, order).await.unwrap().remove(0) }
    };
    let a = status("A").await;
    assert_eq!((a.status, a.attempts), (UploadStatus::Pending, 1));
    // The backoff (a minute) outlasts the platform's 30 s.
    assert_eq!(a.next_attempt, Some(t0() + TimeDelta::minutes(1)));
    let b = status("B").await;
    assert_eq!(b.status, UploadStatus::Failed);
    assert!(b.last_error.unwrap().contains("already cancelled"));
    assert_eq!(status("C").await.status, UploadStatus::Uploaded);
    assert_eq!(h.store.tracking_backlog().await.unwrap(), 1);

    // Not due yet: nothing is sent.
    assert_eq!(engine.upload_due_tracking().await.unwrap(), 0);
    clock.advance(TimeDelta::minutes(1));
    assert_eq!(engine.upload_due_tracking().await.unwrap(), 1);
    let a = status("A").await;
    assert_eq!(
        (a.status, a.attempts, a.already_confirmed),
        (UploadStatus::Uploaded, 2, Some(false))
    );
    assert_eq!(h.store.tracking_backlog().await.unwrap(), 0);
    let sent: Vec<String> = fake
        .uploads
        .lock()
        .unwrap()
        .iter()
        .map(|s| s.platform_order_id.clone())
        .collect();
    assert_eq!(sent, vec!["C", "A"]);
}
