//! A fake platform for the engine's tests: orders with creation and update times, listed by
//! update time in offset-cursor pages; it records every list call and how many ran at once.
#![allow(dead_code, reason = "each test binary uses part of it")]

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};
use connector_kit::{CallStats, TokenSink};
use core_model::{
    Address, Capabilities, Cursor, Label, LabelSpec, Marketplace, MarketplaceError, NeutralStatus,
    OrderLine, OrderPage, Platform, PlatformOrder, RateSpec, Shipment, StoreId, StoreRef,
    TrackingAck, TrackingMode, Window,
};
use sync_daemon::sync::ConnectorSource;

pub mod api;
pub mod cli;

#[derive(Debug, Clone)]
pub struct FakeOrder {
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub version: u32,
}

#[derive(Debug)]
pub struct FakePlatform {
    pub caps: Capabilities,
    pub orders: Mutex<BTreeMap<String, FakeOrder>>,
    /// When each list call arrived (real time), for the quota check.
    pub calls: Mutex<Vec<Instant>>,
    /// Cursors of the list calls made, in order.
    pub cursors: Mutex<Vec<Option<String>>>,
    /// Concurrent pulls of this store right now, and the most seen.
    pub active: Mutex<(u32, u32)>,
    /// Fail list calls after this many (a crash stand-in); `None` never.
    pub fail_after: Mutex<Option<usize>>,
    /// Each list call spins this long (real time), to load the cores.
    pub busy: Duration,
    /// Shipments the platform accepted.
    pub uploads: Mutex<Vec<Shipment>>,
    /// Answers to the next upload calls, before accepting (throttles, refusals).
    pub upload_errors: Mutex<std::collections::VecDeque<MarketplaceError>>,
    /// Answers to the next label fetches, before the label is given.
    pub label_errors: Mutex<std::collections::VecDeque<MarketplaceError>>,
    /// Label fetches made: the platform order id and the ship-from city asked for.
    pub labels: Mutex<Vec<(String, Option<String>)>>,
}

impl FakePlatform {
    pub fn new(caps: Capabilities) -> Self {
        FakePlatform {
            caps,
            orders: Mutex::new(BTreeMap::new()),
            calls: Mutex::new(Vec::new()),
            cursors: Mutex::new(Vec::new()),
            active: Mutex::new((0, 0)),
            fail_after: Mutex::new(None),
            busy: Duration::ZERO,
            uploads: Mutex::new(Vec::new()),
            upload_errors: Mutex::new(std::collections::VecDeque::new()),
            label_errors: Mutex::new(std::collections::VecDeque::new()),
            labels: Mutex::new(Vec::new()),
        }
    }

    pub fn upsert(&self, id: &str, at: DateTime<Utc>) {
        // The store keeps microseconds, as PostgreSQL does.
        let at = at.trunc_subsecs(6);
        let mut orders = self.orders.lock().unwrap();
        let o = orders.entry(id.to_owned()).or_insert(FakeOrder {
            created: at,
            updated: at,
            version: 0,
        });
        o.updated = at;
        o.version += 1;
    }

    pub fn to_order(&self, store: StoreId, id: &str, o: &FakeOrder) -> PlatformOrder {
        let raw =
            serde_json::to_string(&serde_json::json!({ "id": id, "version": o.version })).unwrap();
        PlatformOrder {
            store,
            platform: Platform::Shopify,
            platform_order_id: id.to_owned(),
            platform_status: format!("v{}", o.version),
            status: NeutralStatus::AwaitingFulfillment,
            created_at: o.created,
            updated_at: o.updated,
            currency: "USD".into(),
            buyer_name: None,
            ship_to: Address::default(),
            lines: vec![OrderLine {
                line_id: None,
                platform_sku: "SKU-1".into(),
                platform_item_id: None,
                platform_variant_id: None,
                title: None,
                quantity: 1,
                unit_price: rust_decimal::Decimal::ONE,
            }],
            platform_label_hint: false,
            raw: serde_json::value::RawValue::from_string(raw).unwrap(),
        }
    }
}

/// The connector of one store over its fake platform.
#[derive(Debug)]
pub struct FakeConnector {
    pub store: StoreId,
    pub platform: Arc<FakePlatform>,
}

#[async_trait]
impl Marketplace for FakeConnector {
    fn platform(&self) -> Platform {
        Platform::Shopify
    }

    fn capabilities(&self) -> &Capabilities {
        &self.platform.caps
    }

    async fn pull_orders(
        &self,
        window: Window,
        cursor: Option<&Cursor>,
    ) -> Result<OrderPage, MarketplaceError> {
        let p = &self.platform;
        {
            let mut a = p.active.lock().unwrap();
            a.0 += 1;
            a.1 = a.1.max(a.0);
        }
        let calls = {
            let mut calls = p.calls.lock().unwrap();
            calls.push(Instant::now());
            calls.len()
        };
        p.cursors.lock().unwrap().push(cursor.map(|c| c.0.clone()));
        let spin = Instant::now();
        while spin.elapsed() < p.busy {
            std::hint::spin_loop();
        }
        // Yield so concurrent pulls of the same store would overlap if the engine allowed it.
        tokio::task::yield_now().await;
        let result = if p.fail_after.lock().unwrap().is_some_and(|n| calls > n) {
            Err(MarketplaceError::transient("platform down"))
        } else {
            let offset: usize = cursor.map(|c| c.0.parse().unwrap()).unwrap_or(0);
            let orders = p.orders.lock().unwrap();
            let mut matching: Vec<(&String, &FakeOrder)> = orders
                .iter()
                .filter(|(_, o)| window.contains(o.updated))
                .collect();
            matching.sort_by_key(|(id, o)| (o.updated, (*id).clone()));
            let size = p.caps.page_size as usize;
            let page: Vec<PlatformOrder> = matching
                .iter()
                .skip(offset)
                .take(size)
                .map(|(id, o)| p.to_order(self.store, id, o))
                .collect();
            let next =
                (offset + size < matching.len()).then(|| Cursor((offset + size).to_string()));
            Ok(OrderPage {
                orders: page,
                malformed: Vec::new(),
                next_cursor: next,
            })
        };
        p.active.lock().unwrap().0 -= 1;
        result
    }

    async fn fetch_label(
        &self,
        order: &PlatformOrder,
        spec: &LabelSpec,
    ) -> Result<Label, MarketplaceError> {
        let p = &self.platform;
        let city = spec.ship_from.as_ref().and_then(|f| f.address.city.clone());
        p.labels
            .lock()
            .unwrap()
            .push((order.platform_order_id.clone(), city));
        if let Some(e) = p.label_errors.lock().unwrap().pop_front() {
            return Err(e);
        }
        Ok(Label {
            format: core_model::LabelFormat::Pdf,
            bytes: axum::body::Bytes::from(format!("%PDF-1.4 label {}", order.platform_order_id)),
            tracking_number: Some(format!("SPX{}", order.platform_order_id)),
            carrier: Some("SPX".into()),
        })
    }

    async fn upload_tracking(&self, shipment: &Shipment) -> Result<TrackingAck, MarketplaceError> {
        if let Some(e) = self.platform.upload_errors.lock().unwrap().pop_front() {
            return Err(e);
        }
        let mut uploads = self.platform.uploads.lock().unwrap();
        let already_confirmed = uploads.iter().any(|s| s == shipment);
        uploads.push(shipment.clone());
        Ok(TrackingAck { already_confirmed })
    }
}

#[derive(Debug, Default)]
pub struct FakeSource {
    pub platforms: Mutex<HashMap<StoreId, Arc<FakePlatform>>>,
}

impl ConnectorSource for FakeSource {
    fn build(
        &self,
        store: StoreRef,
        credentials: &serde_json::Value,
        _sink: Arc<dyn TokenSink>,
        _stats: Arc<CallStats>,
    ) -> anyhow::Result<Arc<dyn Marketplace>> {
        anyhow::ensure!(
            credentials["token"] == "fake",
            "credentials key `token`: wrong"
        );
        let platform = self
            .platforms
            .lock()
            .unwrap()
            .get(&store.id)
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("no fake platform for store {}", store.id.0))?;
        Ok(Arc::new(FakeConnector {
            store: store.id,
            platform,
        }))
    }
}

pub fn caps(page_size: u32, quota: Option<RateSpec>) -> Capabilities {
    Capabilities {
        max_window: None,
        page_size,
        filters_by_update_time: true,
        window_end_lag: Duration::ZERO,
        order_list_quota: quota,
        platform_labels: false,
        tracking: TrackingMode::None,
        api_version: "fake".into(),
    }
}
