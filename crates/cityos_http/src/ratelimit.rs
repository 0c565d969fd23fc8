//! Per-address rate limit for anonymous callers (the public endpoints).

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;

/// A keyed token bucket: `per_minute` requests per client address, refilled continuously.
#[derive(Debug)]
pub struct Limiter(DefaultKeyedRateLimiter<String>);

impl Limiter {
    /// A limiter allowing `per_minute` requests per minute per key (at least 1).
    #[must_use]
    pub fn new(per_minute: u32) -> Self {
        let n = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        Self(RateLimiter::keyed(Quota::per_minute(n)))
    }

    /// Whether `key` may make one more request now.
    pub fn check(&self, key: &str) -> bool {
        let ok = self.0.check_key(&key.to_string()).is_ok();
        if self.0.len() > 100_000 {
            self.0.retain_recent();
        }
        ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_key() {
        let l = Limiter::new(3);
        assert!((0..3).all(|_| l.check("1.2.3.4")));
        assert!(!l.check("1.2.3.4"));
        assert!(l.check("5.6.7.8"));
    }
}
