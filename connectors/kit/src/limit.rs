//! Rate limits: one `governor` token bucket per endpoint class, declared by each connector
//! from its platform's documented quota. The buckets run on tokio's clock, so waits are
//! ordinary tokio sleeps and tests can use a paused clock.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use core_model::marketplace::RateSpec;
use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};

/// governor's clock reading tokio's (pausable) time.
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    origin: tokio::time::Instant,
}

impl Clock for TokioClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        tokio::time::Instant::now().saturating_duration_since(self.origin)
    }
}

type Bucket = RateLimiter<NotKeyed, InMemoryState, TokioClock, NoOpMiddleware<Duration>>;

#[derive(Debug)]
struct Class {
    spec: RateSpec,
    bucket: Arc<Bucket>,
}

/// The buckets of one app/seller account. Cloning shares the buckets.
#[derive(Debug, Clone, Default)]
pub struct RateLimits {
    classes: Arc<RwLock<HashMap<&'static str, Class>>>,
}

fn quota(spec: RateSpec) -> Quota {
    let per_second = if spec.per_second.is_finite() && spec.per_second > 0.0 {
        spec.per_second
    } else {
        // A nonsense rate must not disable limiting: fall back to one request a minute.
        1.0 / 60.0
    };
    let period = Duration::from_secs_f64(1.0 / per_second).max(Duration::from_nanos(1));
    let burst = NonZeroU32::new(spec.burst.max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst)
}

impl RateLimits {
    pub fn new() -> Self {
        Self::default()
    }

    /// Declare (or redeclare) the quota of an endpoint class.
    pub fn declare(&self, class: &'static str, spec: RateSpec) {
        let clock = TokioClock {
            origin: tokio::time::Instant::now(),
        };
        let bucket = Arc::new(RateLimiter::direct_with_clock(quota(spec), clock));
        if let Ok(mut classes) = self.classes.write() {
            classes.insert(class, Class { spec, bucket });
        }
    }

    /// Builder form of [`RateLimits::declare`].
    pub fn with(self, class: &'static str, per_second: f64, burst: u32) -> Self {
        self.declare(class, RateSpec { per_second, burst });
        self
    }

    pub fn spec(&self, class: &str) -> Option<RateSpec> {
        self.classes.read().ok()?.get(class).map(|c| c.spec)
    }

    /// The platform told us the rate it applies now (Amazon `x-amzn-RateLimit-Limit`). A new
    /// bucket starts with its burst spent so the change never lets a burst through.
    pub fn adjust(&self, class: &'static str, per_second: f64) {
        let Some(current) = self.spec(class) else {
            return;
        };
        if !(per_second.is_finite() && per_second > 0.0)
            || (current.per_second - per_second).abs() <= f64::EPSILON * per_second.max(1.0)
        {
            return;
        }
        let spec = RateSpec {
            per_second,
            burst: current.burst,
        };
        let clock = TokioClock {
            origin: tokio::time::Instant::now(),
        };
        let bucket = RateLimiter::direct_with_clock(quota(spec), clock);
        if let Some(n) = NonZeroU32::new(spec.burst.max(1)) {
            // Drain the fresh bucket: the account has been spending from the old one.
            let _ = bucket.check_n(n);
        }
        if let Ok(mut classes) = self.classes.write() {
            classes.insert(
                class,
                Class {
                    spec,
                    bucket: Arc::new(bucket),
                },
            );
        }
    }

    /// Wait until the class allows one more request. Undeclared classes are not limited.
    pub async fn acquire(&self, class: &str) {
        loop {
            let bucket = match self.classes.read() {
                Ok(classes) => match classes.get(class) {
                    Some(c) => Arc::clone(&c.bucket),
                    None => return,
                },
                Err(_) => return,
            };
            match bucket.check() {
                Ok(()) => return,
                Err(not_until) => {
                    let wait = not_until.wait_time_from(bucket.clock().now());
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn never_exceeds_quota_per_simulated_second() {
        let limits = RateLimits::new().with("orders", 2.0, 4);
        let start = tokio::time::Instant::now();
        let mut stamps = Vec::new();
        for _ in 0..40 {
            limits.acquire("orders").await;
            stamps.push(start.elapsed());
        }
        // Burst of 4, then 2 per second: 40 requests need (40 - 4) / 2 = 18 seconds.
        assert!(
            start.elapsed() >= Duration::from_secs(18),
            "{:?}",
            start.elapsed()
        );
        let seconds = start.elapsed().as_secs() + 1;
        for s in 1..seconds {
            let in_window = stamps
                .iter()
                .filter(|t| t.as_secs_f64() >= (s - 1) as f64 && t.as_secs_f64() < s as f64)
                .count();
            // A token bucket allows its burst plus one second's rate in any one second.
            assert!(in_window <= 4 + 2, "second {s}: {in_window} requests");
            if s > 2 {
                assert!(in_window <= 2, "second {s}: {in_window} requests");
            }
        }
        // Undeclared classes pass straight through.
        limits.acquire("other").await;
    }

    #[tokio::test(start_paused = true)]
    async fn adjust_applies_the_platforms_rate() {
        let limits = RateLimits::new().with("search", 10.0, 1);
        limits.adjust("search", 0.5);
        let start = tokio::time::Instant::now();
        limits.acquire("search").await;
        limits.acquire("search").await;
        assert!(
            start.elapsed() >= Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
        assert_eq!(limits.spec("search").map(|s| s.per_second), Some(0.5));
    }
}
