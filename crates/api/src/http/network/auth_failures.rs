//! [`AuthFailures`]: a token bucket of authentication failures per source address. A source
//! may fail `per_minute` times at once, and earns one more try every `60 / per_minute`
//! seconds; past that every request it sends that needs credentials is answered `429
//! too_many_auth_failures` with `Retry-After`, before its credentials are even looked at (so
//! guessing gets no faster with a right guess). IPv6 sources are counted per /64.
//!
//! Bounded memory: at most [`SOURCES_MAX`] sources are tracked; when full, the sources whose
//! bucket has refilled are forgotten first. The check on the hot path is one atomic load while
//! no source is out of tries; only then is the map's lock taken.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::http::error::{ApiError, ErrorCode};

/// Sources tracked at once.
pub const SOURCES_MAX: usize = 100_000;
/// One try, in bucket units (a bucket refills `per_minute` units a millisecond).
const TRY: u64 = 60_000;
/// How often the map is swept of refilled buckets (while some source is out of tries).
const SWEEP_EVERY: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy)]
struct Bucket {
    level: u64,
    at: Instant,
    exhausted: bool,
}

#[derive(Debug)]
struct Sources {
    buckets: HashMap<IpAddr, Bucket>,
    swept: Instant,
}

/// Authentication failures per source.
#[derive(Debug)]
pub struct AuthFailures {
    per_minute: u64,
    /// Sources whose bucket was last seen empty.
    exhausted: AtomicUsize,
    sources: Mutex<Sources>,
}

/// The key a source is counted under: its address, an IPv6 one's /64.
fn source_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(bits))
        }
        v4 => v4,
    }
}

impl AuthFailures {
    pub fn new(per_minute: u32) -> AuthFailures {
        AuthFailures {
            per_minute: u64::from(per_minute.max(1)),
            exhausted: AtomicUsize::new(0),
            sources: Mutex::new(Sources {
                buckets: HashMap::new(),
                swept: Instant::now(),
            }),
        }
    }

    fn capacity(&self) -> u64 {
        self.per_minute * TRY
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Sources> {
        self.sources.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The bucket refilled up to `now`.
    fn refill(&self, bucket: &mut Bucket, now: Instant) {
        let elapsed = now.saturating_duration_since(bucket.at).as_millis();
        let earned = u64::try_from(elapsed)
            .unwrap_or(u64::MAX)
            .saturating_mul(self.per_minute);
        bucket.level = bucket.level.saturating_add(earned).min(self.capacity());
        bucket.at = now;
    }

    /// Seconds until a bucket at `level` holds one try.
    fn retry_after(&self, level: u64) -> u64 {
        let missing = TRY.saturating_sub(level);
        missing.div_ceil(self.per_minute).div_ceil(1000).max(1)
    }

    /// Refuses `ip` if it is out of tries.
    pub fn check(&self, ip: IpAddr) -> Result<(), ApiError> {
        if self.exhausted.load(Ordering::Acquire) == 0 {
            return Ok(());
        }
        self.check_at(source_key(ip), Instant::now())
    }

    fn check_at(&self, key: IpAddr, now: Instant) -> Result<(), ApiError> {
        let mut sources = self.lock();
        if now.saturating_duration_since(sources.swept) >= SWEEP_EVERY {
            self.sweep(&mut sources, now);
        }
        let Some(bucket) = sources.buckets.get_mut(&key) else {
            return Ok(());
        };
        self.refill(bucket, now);
        if bucket.level < TRY {
            return Err(self.refusal(bucket.level));
        }
        if bucket.exhausted {
            bucket.exhausted = false;
            self.exhausted.fetch_sub(1, Ordering::AcqRel);
        }
        Ok(())
    }

    /// Counts a failure of `ip`.
    pub fn failed(&self, ip: IpAddr) {
        self.failed_at(source_key(ip), Instant::now());
    }

    fn failed_at(&self, key: IpAddr, now: Instant) {
        let mut sources = self.lock();
        if sources.buckets.len() >= SOURCES_MAX && !sources.buckets.contains_key(&key) {
            self.sweep(&mut sources, now);
            if sources.buckets.len() >= SOURCES_MAX {
                // Every tracked source is out of tries: this one is not tracked.
                return;
            }
        }
        let capacity = self.capacity();
        let bucket = sources.buckets.entry(key).or_insert(Bucket {
            level: capacity,
            at: now,
            exhausted: false,
        });
        self.refill(bucket, now);
        bucket.level = bucket.level.saturating_sub(TRY);
        if bucket.level < TRY && !bucket.exhausted {
            bucket.exhausted = true;
            self.exhausted.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// Forgets refilled buckets and recounts the exhausted ones; when the map is still full,
    /// forgets every source that still has a try.
    fn sweep(&self, sources: &mut Sources, now: Instant) {
        let capacity = self.capacity();
        sources.buckets.retain(|_, bucket| {
            self.refill(bucket, now);
            bucket.exhausted = bucket.level < TRY;
            bucket.level < capacity
        });
        if sources.buckets.len() >= SOURCES_MAX {
            sources.buckets.retain(|_, bucket| bucket.exhausted);
        }
        let exhausted = sources.buckets.values().filter(|b| b.exhausted).count();
        self.exhausted.store(exhausted, Ordering::Release);
        sources.swept = now;
    }

    fn refusal(&self, level: u64) -> ApiError {
        ApiError::new(
            ErrorCode::TooManyAuthFailures,
            "too many failed authentications from this address: retry later",
        )
        .with_retry_after(self.retry_after(level))
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.lock().buckets.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_source_gets_its_tries_then_waits_for_the_refill() {
        let limits = AuthFailures::new(3);
        let (a, b) = (ip("1.2.3.4"), ip("5.6.7.8"));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limits.check_at(a, t0).is_ok());
            limits.failed_at(a, t0);
        }
        let refused = limits.check_at(a, t0).unwrap_err();
        assert_eq!(
            (refused.status.as_u16(), refused.code),
            (429, crate::http::error::ErrorCode::TooManyAuthFailures)
        );
        assert_eq!(refused.retry_after, Some(20));
        assert!(limits.check_at(b, t0).is_ok(), "another source is unaffected");
        assert!(
            limits.check_at(a, t0 + Duration::from_secs(20)).is_ok(),
            "one try earned back"
        );
        assert_eq!(limits.exhausted.load(Ordering::Acquire), 0);
    }

    #[test]
    fn ipv6_sources_count_per_64() {
        assert_eq!(
            source_key(ip("2001:db8:1:2:aaaa::1")),
            source_key(ip("2001:db8:1:2:bbbb::9"))
        );
        assert_ne!(source_key(ip("2001:db8:1:2::1")), source_key(ip("2001:db8:1:3::1")));
        assert_eq!(source_key(ip("::ffff:1.2.3.4")), ip("1.2.3.4"));
    }

    #[test]
    fn memory_is_bounded() {
        let limits = AuthFailures::new(1);
        let t0 = Instant::now();
        for n in 0..(SOURCES_MAX as u32 + 10) {
            limits.failed_at(IpAddr::from(n.to_be_bytes()), t0);
        }
        assert!(limits.tracked() <= SOURCES_MAX);
    }
}
