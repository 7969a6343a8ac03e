//! The retry budget: exponential backoff with jitter, bounded by a count and a total time.
//! A platform's own wait (`Retry-After`, a throttle code with a delay) takes precedence over
//! the backoff.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};

#[derive(Debug, Clone)]
pub struct RetryConfig {
    /// Retries after the first attempt.
    pub max_retries: usize,
    /// No retry starts once this much time has passed since the first attempt.
    pub retry_timeout: Duration,
    pub min_delay: Duration,
    pub max_delay: Duration,
    /// The longest platform-requested wait we accept; longer ones fail fast so the scheduler
    /// can come back later instead of holding a worker.
    pub max_retry_after: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            max_retries: 6,
            retry_timeout: Duration::from_secs(300),
            min_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(300),
        }
    }
}

impl RetryConfig {
    /// Millisecond backoffs for tests that replay fixtures in real time.
    pub fn fast() -> Self {
        RetryConfig {
            max_retries: 4,
            retry_timeout: Duration::from_secs(30),
            min_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            max_retry_after: Duration::from_secs(30),
        }
    }

    pub(crate) fn backoff(&self) -> Backoff {
        let delays = ExponentialBuilder::new()
            .with_jitter()
            .with_factor(2.0)
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_max_times(self.max_retries)
            .build();
        Backoff {
            delays: Box::new(delays),
        }
    }
}

/// The delays of one request's retries.
pub(crate) struct Backoff {
    delays: Box<dyn Iterator<Item = Duration> + Send>,
}

impl Backoff {
    /// The next wait, or `None` when the retry count is spent. A platform-requested wait
    /// replaces the computed one but still uses up a retry.
    pub(crate) fn next_wait(&mut self, platform_wait: Option<Duration>) -> Option<Duration> {
        let computed = self.delays.next()?;
        Some(platform_wait.unwrap_or(computed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stops() {
        let cfg = RetryConfig {
            max_retries: 3,
            min_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
            ..RetryConfig::default()
        };
        let mut b = cfg.backoff();
        let waits: Vec<_> = std::iter::from_fn(|| b.next_wait(None)).collect();
        assert_eq!(waits.len(), 3);
        for w in &waits {
            // Jitter adds up to one more step; never beyond twice the cap.
            assert!(
                *w >= Duration::from_millis(100) && *w <= Duration::from_secs(2),
                "{w:?}"
            );
        }
        let mut b = cfg.backoff();
        assert_eq!(
            b.next_wait(Some(Duration::from_secs(2))),
            Some(Duration::from_secs(2))
        );
    }
}
