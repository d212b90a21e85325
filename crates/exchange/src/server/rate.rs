//! The token bucket per client address that limits requests.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// A token bucket per client address.
pub(super) struct RateLimiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, (f64, std::time::Instant)>>,
}

impl RateLimiter {
    const MAX_ADDRESSES: usize = 10_000;

    pub(super) fn new(rate: f64, burst: f64) -> RateLimiter {
        RateLimiter {
            rate: rate.max(0.0),
            burst: burst.max(1.0),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    pub(super) fn allow(&self, ip: IpAddr) -> bool {
        let now = std::time::Instant::now();
        let mut buckets = match self.buckets.lock() {
            Ok(b) => b,
            Err(poisoned) => poisoned.into_inner(),
        };
        if buckets.len() >= Self::MAX_ADDRESSES && !buckets.contains_key(&ip) {
            // Forget addresses whose buckets are full again: they are indistinguishable from new.
            let (rate, burst) = (self.rate, self.burst);
            buckets.retain(|_, (tokens, at)| {
                *tokens + rate * now.duration_since(*at).as_secs_f64() < burst
            });
            if buckets.len() >= Self::MAX_ADDRESSES {
                return false;
            }
        }
        let (tokens, at) = buckets.entry(ip).or_insert((self.burst, now));
        *tokens = (*tokens + self.rate * now.duration_since(*at).as_secs_f64()).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}
