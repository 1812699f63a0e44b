//! Per-key rate limits: one token bucket per key.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How fast one key may send requests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Requests per second, sustained.
    pub per_second: f64,
    /// Requests a key may send at once after a quiet period.
    pub burst: u32,
}

impl Default for RateLimit {
    /// 20 requests per second, bursts of 100.
    fn default() -> Self {
        RateLimit { per_second: 20.0, burst: 100 }
    }
}

/// Buckets kept before idle ones are dropped (keys, or client addresses for failed logins).
const MAX_BUCKETS: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Token buckets, one per key id: each request takes a token, tokens come back at
/// [`RateLimit::per_second`] up to [`RateLimit::burst`].
#[derive(Debug)]
pub struct RateLimiter {
    limit: RateLimit,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    /// Buckets that all follow `limit`.
    pub fn new(limit: RateLimit) -> RateLimiter {
        RateLimiter { limit, buckets: Mutex::new(HashMap::new()) }
    }

    /// The limit applied.
    pub fn limit(&self) -> RateLimit {
        self.limit
    }

    /// Takes a token for `key_id` now; `Err` holds how long until one is available.
    pub fn check(&self, key_id: &str) -> Result<(), Duration> {
        self.check_at(key_id, Instant::now())
    }

    /// Takes a token for `key_id` at `now` (for tests that control time).
    pub fn check_at(&self, key_id: &str, now: Instant) -> Result<(), Duration> {
        self.take(key_id, now, true)
    }

    /// Whether `key_id` has a token now, without taking it; `Err` holds how long until it has.
    pub fn peek(&self, key_id: &str) -> Result<(), Duration> {
        self.take(key_id, Instant::now(), false)
    }

    fn take(&self, key_id: &str, now: Instant, consume: bool) -> Result<(), Duration> {
        let burst = f64::from(self.limit.burst.max(1));
        let rate = self.limit.per_second.max(f64::MIN_POSITIVE);
        let mut buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // Keep the table small: an idle bucket is full again, as good as a new one.
        if buckets.len() >= MAX_BUCKETS {
            let full_after = burst / rate;
            buckets.retain(|_, b| now.saturating_duration_since(b.at).as_secs_f64() < full_after);
        }
        let bucket = buckets.entry(key_id.to_string()).or_insert(Bucket { tokens: burst, at: now });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(burst);
        bucket.at = now.max(bucket.at);
        if bucket.tokens >= 1.0 {
            if consume {
                bucket.tokens -= 1.0;
            }
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) / rate;
            Err(Duration::from_secs_f64(wait.min(86_400.0)))
        }
    }

    /// Forgets `key_id`'s bucket (after revocation).
    pub fn forget(&self, key_id: &str) {
        self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(key_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_requests_wait_for_refill() {
        let limiter = RateLimiter::new(RateLimit { per_second: 2.0, burst: 3 });
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.check_at("a", t0), Ok(()));
        }
        let wait = limiter.check_at("a", t0).unwrap_err();
        assert!((wait.as_secs_f64() - 0.5).abs() < 1e-6, "{wait:?}");
        assert_eq!(limiter.check_at("a", t0 + Duration::from_millis(500)), Ok(()));
        assert!(limiter.check_at("a", t0 + Duration::from_millis(500)).is_err());
    }

    #[test]
    fn keys_have_separate_buckets() {
        let limiter = RateLimiter::new(RateLimit { per_second: 1.0, burst: 1 });
        let t0 = Instant::now();
        assert!(limiter.check_at("a", t0).is_ok());
        assert!(limiter.check_at("a", t0).is_err());
        assert!(limiter.check_at("b", t0).is_ok());
    }

    #[test]
    fn a_quiet_key_refills_only_up_to_its_burst() {
        let limiter = RateLimiter::new(RateLimit { per_second: 100.0, burst: 2 });
        let t0 = Instant::now();
        assert!(limiter.check_at("a", t0).is_ok());
        let later = t0 + Duration::from_secs(3600);
        assert!(limiter.check_at("a", later).is_ok());
        assert!(limiter.check_at("a", later).is_ok());
        assert!(limiter.check_at("a", later).is_err());
    }

    #[test]
    fn sustained_rate_matches_the_limit() {
        let limiter = RateLimiter::new(RateLimit { per_second: 10.0, burst: 1 });
        let t0 = Instant::now();
        let passed = (0..1000).filter(|i| limiter.check_at("a", t0 + Duration::from_millis(*i)).is_ok()).count();
        assert_eq!(passed, 10, "one second at 10/s with a burst of 1");
    }

    #[test]
    fn forgetting_a_key_resets_its_bucket() {
        let limiter = RateLimiter::new(RateLimit { per_second: 1.0, burst: 1 });
        let t0 = Instant::now();
        assert!(limiter.check_at("a", t0).is_ok());
        assert!(limiter.check_at("a", t0).is_err());
        limiter.forget("a");
        assert!(limiter.check_at("a", t0).is_ok());
    }
}
