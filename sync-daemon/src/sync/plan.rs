//! What a run pulls: its window, chosen from the store's sync state, the connector's declared
//! capabilities and quota, and the schedule; and when each store's next cycle is due.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use core_model::store::{RunKind, StoreInfo};
use core_model::{Capabilities, StoreId, Window};

/// The schedule and windows, from `[sync]` in the config.
#[derive(Debug, Clone)]
pub struct SyncSettings {
    pub interval: Duration,
    pub initial_lookback: Duration,
    pub incremental_lookback: Duration,
    pub safety_margin: Duration,
    pub lease_ttl: Duration,
    pub tick: Duration,
    pub concurrency: usize,
    pub rate_limits: bool,
    /// Scheduled pulls (`sync.enabled`); off, the scheduler still runs the OMS workers.
    pub pulls: bool,
    /// The longest an auto-submitted draft waits in Pending submit.
    pub auto_submit_delay: Duration,
    /// Platform-label fetch attempts before the order goes to Exception.
    pub label_attempts: u32,
}

impl Default for SyncSettings {
    fn default() -> Self {
        SyncSettings {
            interval: Duration::from_secs(15 * 60),
            initial_lookback: Duration::from_secs(5 * 24 * 3600),
            incremental_lookback: Duration::from_secs(2 * 24 * 3600),
            safety_margin: Duration::from_secs(10 * 60),
            lease_ttl: Duration::from_secs(120),
            tick: Duration::from_secs(1),
            concurrency: 16,
            rate_limits: true,
            pulls: true,
            auto_submit_delay: Duration::from_secs(5 * 60),
            label_attempts: 8,
        }
    }
}

fn delta(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

/// A run to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub kind: RunKind,
    pub window: Window,
}

/// Where a store's cycles fall inside the interval: a fixed offset from its id, so a thousand
/// stores spread over the 15 minutes instead of firing in the same second, and every replica
/// and restart agrees on it.
pub fn phase(store: StoreId, interval: Duration) -> Duration {
    let interval_ms = u64::try_from(interval.as_millis())
        .unwrap_or(u64::MAX)
        .max(1);
    // A multiplicative hash spreads consecutive ids across the whole interval.
    let mixed = (store.0 as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    Duration::from_millis(mixed % interval_ms)
}

/// The first cycle slot of `store` strictly after `after`.
pub fn next_slot(store: StoreId, interval: Duration, after: DateTime<Utc>) -> DateTime<Utc> {
    let interval_ms = i64::try_from(interval.as_millis())
        .unwrap_or(i64::MAX)
        .max(1);
    let phase_ms = i64::try_from(phase(store, interval).as_millis()).unwrap_or(0);
    let t = after.timestamp_millis() - phase_ms;
    let k = t.div_euclid(interval_ms) + 1;
    DateTime::from_timestamp_millis(k * interval_ms + phase_ms).unwrap_or(after)
}

/// When the store's next scheduled cycle is due after a run that was due at `due` and ended
/// at `now`: the next slot, but never more than one slot behind `now`, so a daemon that was
/// down for hours runs one catch-up cycle, not one per missed slot.
pub fn next_due(
    store: StoreId,
    interval: Duration,
    due: DateTime<Utc>,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    next_slot(store, interval, due.max(now - delta(interval)))
}

/// Whether the declared list quota cannot re-pull the store's full incremental window every
/// cycle, and if so how many cycles one full sweep needs.
pub fn cycles_per_sweep(info: &StoreInfo, caps: &Capabilities, s: &SyncSettings) -> Option<u32> {
    let quota = caps.order_list_quota?;
    let page = f64::from(caps.page_size.max(1));
    let orders = info.last_sweep_orders.unwrap_or(0).max(0) as f64;
    // A sweep needs at least one call; the window is split when longer than the platform takes.
    let windows = match caps.max_window {
        Some(max) if !max.is_zero() => {
            (s.incremental_lookback.as_secs_f64() / max.as_secs_f64()).ceil()
        }
        _ => 1.0,
    };
    let pages = (orders / page).ceil().max(windows);
    let budget = quota.per_second * s.interval.as_secs_f64();
    // The burst covers the first cycle only; the rate is what every later cycle gets.
    if pages <= budget.max(1.0) {
        return None;
    }
    let cycles = (pages / budget.max(f64::EPSILON)).ceil() + 1.0;
    Some(cycles.min(f64::from(u32::MAX)) as u32)
}

/// The run a scheduled (or manual) cycle of this store makes at `now`.
pub fn plan(
    info: &StoreInfo,
    caps: &Capabilities,
    s: &SyncSettings,
    now: DateTime<Utc>,
    manual: bool,
) -> Option<Plan> {
    let end = now - delta(caps.window_end_lag);
    let kind_for = |k: RunKind| if manual { RunKind::Manual } else { k };
    if !info.initial_done {
        let window = Window::new(now - delta(s.initial_lookback), end)?;
        return Some(Plan {
            kind: kind_for(RunKind::Initial),
            window,
        });
    }
    let margin = delta(s.safety_margin);
    let mut from = now - delta(s.incremental_lookback);
    // After a long stop, reach back to where the store was last complete: no window is skipped.
    if let Some(synced) = info.synced_to {
        from = from.min(synced - margin);
    }
    let full = Window::new(from, end)?;
    let cursor_based = caps.filters_by_update_time && !manual;
    if let (true, Some(cycles), Some(synced)) = (
        cursor_based,
        cycles_per_sweep(info, caps, s),
        info.synced_to,
    ) {
        let sweep_due = match info.last_sweep_at {
            None => true,
            Some(at) => now - at >= delta(s.interval) * i32::try_from(cycles).unwrap_or(i32::MAX),
        };
        if !sweep_due {
            let window = Window::new(synced - margin, end)?;
            return Some(Plan {
                kind: RunKind::Incremental,
                window,
            });
        }
        return Some(Plan {
            kind: RunKind::Sweep,
            window: full,
        });
    }
    Some(Plan {
        kind: kind_for(RunKind::Incremental),
        window: full,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use core_model::{Platform, RateSpec, SellerId, TrackingMode};

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 12, 0, 0, 0).unwrap()
    }

    fn caps(quota: Option<RateSpec>, lag_s: u64) -> Capabilities {
        Capabilities {
            max_window: None,
            page_size: 100,
            filters_by_update_time: true,
            window_end_lag: Duration::from_secs(lag_s),
            order_list_quota: quota,
            platform_labels: false,
            tracking: TrackingMode::None,
            api_version: "test".into(),
        }
    }

    fn info(initial_done: bool, synced_to: Option<DateTime<Utc>>, orders: i64) -> StoreInfo {
        StoreInfo {
            id: StoreId(7),
            seller_id: SellerId(1),
            platform: Platform::Amazon,
            name: "s".into(),
            created_at: t0(),
            authorized: true,
            active: true,
            initial_done,
            next_due: None,
            synced_to,
            last_sweep_at: synced_to,
            last_sweep_orders: Some(orders),
            lease_owner: None,
        }
    }

    #[test]
    fn slots_keep_each_store_on_its_own_phase() {
        let i = Duration::from_secs(900);
        let s = StoreId(42);
        let a = next_slot(s, i, t0());
        assert!(a > t0() && a <= t0() + TimeDelta::seconds(900));
        assert_eq!(next_slot(s, i, a), a + TimeDelta::seconds(900));
        // A thousand stores spread over the interval rather than bunching.
        let mut per_minute = [0u32; 15];
        for id in 1..=1000 {
            let p = phase(StoreId(id), i).as_secs() / 60;
            per_minute[p as usize] += 1;
        }
        assert!(
            per_minute.iter().all(|&n| (40..=95).contains(&n)),
            "{per_minute:?}"
        );
    }

    #[test]
    fn a_late_cycle_catches_up_once_not_once_per_missed_slot() {
        let i = Duration::from_secs(900);
        let s = StoreId(3);
        let due = next_slot(s, i, t0());
        // Ran on time: the next slot.
        assert_eq!(next_due(s, i, due, due), due + TimeDelta::seconds(900));
        // Ten hours late: the next slot is within one interval of now.
        let late = due + TimeDelta::hours(10);
        let next = next_due(s, i, due, late);
        assert!(next > late - TimeDelta::seconds(900) && next <= late + TimeDelta::seconds(900));
    }

    #[test]
    fn initial_pull_is_five_days_ending_at_the_platform_lag() {
        let p = plan(
            &info(false, None, 0),
            &caps(None, 120),
            &SyncSettings::default(),
            t0(),
            false,
        )
        .unwrap();
        assert_eq!(p.kind, RunKind::Initial);
        assert_eq!(p.window.from, t0() - TimeDelta::days(5));
        assert_eq!(p.window.to, t0() - TimeDelta::minutes(2));
    }

    #[test]
    fn incremental_is_two_days_and_reaches_back_after_downtime() {
        let s = SyncSettings::default();
        let p = plan(
            &info(true, Some(t0() - TimeDelta::minutes(15)), 10),
            &caps(None, 0),
            &s,
            t0(),
            false,
        )
        .unwrap();
        assert_eq!(p.kind, RunKind::Incremental);
        assert_eq!(p.window.from, t0() - TimeDelta::days(2));
        // Down for four days: the window starts before the last complete point.
        let synced = t0() - TimeDelta::days(4);
        let p = plan(
            &info(true, Some(synced), 10),
            &caps(None, 0),
            &s,
            t0(),
            false,
        )
        .unwrap();
        assert_eq!(p.window.from, synced - TimeDelta::minutes(10));
    }

    #[test]
    fn a_quota_bound_store_pulls_from_its_cursor_and_sweeps_when_the_quota_allows() {
        // Amazon searchOrders: 0.0056/s, burst 20 -> about 5 calls per 15 minutes.
        let amazon = caps(
            Some(RateSpec {
                per_second: 0.0056,
                burst: 20,
            }),
            120,
        );
        let s = SyncSettings::default();
        let synced = t0() - TimeDelta::minutes(15);
        // 3,000 orders in two days = 30 pages: far more than one cycle's 5 calls.
        let mut busy = info(true, Some(synced), 3000);
        busy.last_sweep_at = Some(t0() - TimeDelta::minutes(30));
        let p = plan(&busy, &amazon, &s, t0(), false).unwrap();
        assert_eq!(p.kind, RunKind::Incremental);
        assert_eq!(p.window.from, synced - TimeDelta::minutes(10));
        let cycles = cycles_per_sweep(&busy, &amazon, &s).unwrap();
        assert_eq!(cycles, 7); // ceil(30 / 5.04) + 1
        busy.last_sweep_at = Some(t0() - TimeDelta::minutes(15 * i64::from(cycles)));
        let p = plan(&busy, &amazon, &s, t0(), false).unwrap();
        assert_eq!(p.kind, RunKind::Sweep);
        assert_eq!(p.window.from, t0() - TimeDelta::days(2));
        // A quiet store fits its quota: the full two days every cycle.
        let quiet = info(true, Some(synced), 200);
        assert_eq!(cycles_per_sweep(&quiet, &amazon, &s), None);
        assert_eq!(
            plan(&quiet, &amazon, &s, t0(), false).unwrap().kind,
            RunKind::Incremental
        );
        assert_eq!(
            plan(&quiet, &amazon, &s, t0(), false).unwrap().window.from,
            t0() - TimeDelta::days(2)
        );
    }
}
