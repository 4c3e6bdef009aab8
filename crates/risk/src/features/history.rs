//! [`HistoryFeatures`]: a payment against the account's own history (issue 16) — how unusual
//! the amount is for this account (a z-score, the largest payment before it), how long the
//! account was quiet, how many merchants it started paying within a day, and what it spent
//! since its last limit request. Constant memory per account (counters, a sum of squares, two
//! timestamps) except the new-merchant count, which reads the user's merchant set.
//!
//! Exact, with one documented fixed point: the z-score is `amount_z_centi =
//! floor(100 · (n·x − S) / isqrt(n·Q − S²))` over the account's `n` earlier payments (sum `S`,
//! sum of squares `Q`, in fen) and this payment `x`; `isqrt` is the integer square root (floor).
//! That is 100 times the z-score against the population standard deviation, rounded down twice.
//! The naive twin in `crates/risk/tests/risk/naive.rs` recomputes every field from the events.

use serde::{Deserialize, Serialize};

use super::window::{DAY_MS, HOUR_MS, Window};
use crate::checkpoint::{CheckpointDetail, CheckpointInput};

/// The account's own-history features of one evaluation (see the module doc).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryFeatures {
    /// Payment authorizations before this event in the account's current run of activity.
    pub payments_before: u32,
    /// 100 × this payment's z-score against them; none for a non-payment, fewer than 3 earlier
    /// payments or no spread.
    pub amount_z_centi: Option<i64>,
    /// The largest earlier payment (fen).
    pub largest_before_fen: Option<i64>,
    /// This payment as a percentage of that, rounded down.
    pub amount_vs_largest_pct: Option<u32>,
    /// Whole days since the account's previous event (0 for a new account).
    pub days_quiet: u32,
    /// Merchants first paid within 24 h (a merchant unpaid for 31 days counts as new again),
    /// this payment's merchant included when it is new.
    pub new_merchants_24h: u32,
    /// Hours since the account's last limit request within 30 days.
    pub hours_since_limit_request: Option<u32>,
    /// Payment amounts attempted since that limit request, this payment included (fen).
    pub spend_since_limit_request_fen: Option<i64>,
}

/// The running sums behind [`HistoryFeatures`], reset when the account's run restarts.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub(crate) struct HistoryState {
    payments: u32,
    sum_fen: i128,
    sum_sq_fen: i128,
    largest_fen: Option<i64>,
    limit_request_ms: Option<i64>,
    spend_since_request_fen: i64,
}

impl HistoryState {
    /// The features of `input` at `now` (`alive`: the account's run continues at `now`;
    /// `last_ms`: its previous event; `new_merchants`: merchants first paid within 24 h, this
    /// payment's included when new).
    pub fn features(
        &self,
        input: &CheckpointInput,
        now: i64,
        alive: bool,
        last_ms: Option<i64>,
        new_merchants: u32,
    ) -> HistoryFeatures {
        let empty = HistoryState::default();
        let state = if alive { self } else { &empty };
        let amount = input.payment_amount().map(|a| a.fen());
        let request = state.limit_request_ms.filter(|&t| Window::D30.contains(t, now));
        HistoryFeatures {
            payments_before: state.payments,
            amount_z_centi: amount.and_then(|x| z_centi(state.payments, state.sum_fen, state.sum_sq_fen, x)),
            largest_before_fen: state.largest_fen,
            amount_vs_largest_pct: amount.and_then(|x| pct_of(x, state.largest_fen?)),
            days_quiet: last_ms.filter(|_| alive).map_or(0, |l| whole(now - l, DAY_MS)),
            new_merchants_24h: new_merchants,
            hours_since_limit_request: request.map(|t| whole(now - t, HOUR_MS)),
            spend_since_limit_request_fen: request
                .map(|_| state.spend_since_request_fen.saturating_add(amount.unwrap_or(0).max(0))),
        }
    }

    /// Records `input` (`restart`: it begins a new run of activity).
    pub fn observe(&mut self, input: &CheckpointInput, now: i64, restart: bool) {
        if restart {
            *self = HistoryState::default();
        }
        if let CheckpointDetail::LimitRequest { .. } = input.detail {
            self.limit_request_ms = Some(now);
            self.spend_since_request_fen = 0;
        }
        if let Some(amount) = input.payment_amount() {
            let x = amount.fen().max(0);
            self.payments = self.payments.saturating_add(1);
            self.sum_fen += i128::from(x);
            self.sum_sq_fen = self.sum_sq_fen.saturating_add(i128::from(x) * i128::from(x));
            self.largest_fen = Some(self.largest_fen.map_or(x, |l| l.max(x)));
            self.spend_since_request_fen = self.spend_since_request_fen.saturating_add(x);
        }
    }
}

/// `floor(100 · (n·x − S) / isqrt(n·Q − S²))`, none below 3 payments, without spread, or on
/// overflow.
pub fn z_centi(n: u32, sum: i128, sum_sq: i128, x: i64) -> Option<i64> {
    if n < 3 {
        return None;
    }
    let n = i128::from(n);
    let spread = n.checked_mul(sum_sq)?.checked_sub(sum.checked_mul(sum)?)?;
    let root = isqrt(u128::try_from(spread).ok()?);
    if root == 0 {
        return None;
    }
    let numerator = n
        .checked_mul(i128::from(x.max(0)))?
        .checked_sub(sum)?
        .checked_mul(100)?;
    i64::try_from(numerator.div_euclid(i128::try_from(root).ok()?)).ok()
}

/// The integer square root (floor), exact for every `u128`.
pub fn isqrt(v: u128) -> u128 {
    if v < 2 {
        return v;
    }
    // Newton from above: x_{k+1} = (x_k + v / x_k) / 2 decreases to floor(sqrt(v)).
    let mut x = 1u128 << (128 - v.leading_zeros()).div_ceil(2);
    loop {
        let y = (x + v / x) / 2;
        if y >= x {
            return x;
        }
        x = y;
    }
}

fn pct_of(x: i64, largest: i64) -> Option<u32> {
    if largest <= 0 {
        return None;
    }
    u32::try_from(i128::from(x.max(0)) * 100 / i128::from(largest)).ok()
}

fn whole(ms: i64, unit_ms: i64) -> u32 {
    u32::try_from(ms.max(0) / unit_ms).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isqrt_is_the_floor_of_the_square_root() {
        for v in (0u128..10_000).chain([u128::MAX, u128::MAX - 1, 1 << 100, (1 << 64) - 1]) {
            let r = isqrt(v);
            assert!(r * r <= v, "{v}");
            assert!((r + 1).checked_mul(r + 1).is_none_or(|s| s > v), "{v}");
        }
    }

    #[test]
    fn z_score_of_a_known_sample() {
        // 100, 200, 300 fen: mean 200, population sd sqrt(20000/3) = 81.65; x = 500: z = 3.67; isqrt(60000) = 244 gives 368.
        let (n, s, q) = (3, 600, 100 * 100 + 200 * 200 + 300 * 300);
        assert_eq!(z_centi(n, s, q, 500), Some(368));
        assert_eq!(z_centi(n, s, q, 0), Some(-246));
        assert_eq!(z_centi(2, 300, 50_000, 500), None);
        assert_eq!(z_centi(3, 300, 30_000, 100), None, "no spread");
    }
}
