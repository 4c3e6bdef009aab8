//! [`PerIp`]: at most [`PER_IP_PER_HOUR`] applications from one IP in a clock hour, counted in
//! memory (a restart forgets the counts; the risk checkpoint also counts applications per IP
//! over 24 hours and sends bursts to review).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use jiff::Timestamp;

use crate::http::error::{ApiError, ErrorCode};

/// Applications one IP may send in an hour.
pub const PER_IP_PER_HOUR: u32 = 20;
/// Addresses remembered before the oldest hour's are dropped.
const IPS_MAX: usize = 100_000;

#[derive(Debug, Default)]
pub struct PerIp(Mutex<HashMap<IpAddr, (i64, u32)>>);

impl PerIp {
    /// Counts one application from `ip` at `now`, or refuses it.
    pub fn admit(&self, ip: IpAddr, now: Timestamp) -> Result<(), ApiError> {
        let hour = now.as_second().div_euclid(3600);
        let mut counts = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if counts.len() >= IPS_MAX {
            counts.retain(|_, (h, _)| *h == hour);
        }
        let entry = counts.entry(ip).or_insert((hour, 0));
        if entry.0 != hour {
            *entry = (hour, 0);
        }
        if entry.1 >= PER_IP_PER_HOUR {
            return Err(ApiError::new(
                ErrorCode::RateLimited,
                format!("at most {PER_IP_PER_HOUR} applications an hour from one address"),
            ));
        }
        entry.1 += 1;
        Ok(())
    }
}
