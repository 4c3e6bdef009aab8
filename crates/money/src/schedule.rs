//! Repayment schedules for the three plan methods, and their APR by the IRR method.
//!
//! Rounding rules (DESIGN.md section 3), all to the fen:
//! - `flat-fee`: principal per period = principal / n rounded down, the remainder on the last
//!   period; fee per period = principal x period rate, rounded half-up, the same every period.
//! - `annuity`: the equal payment `P r / (1 - (1 + r)^-n)` rounded half-up; interest each
//!   period = opening balance x r rounded half-up; principal = payment - interest, never more
//!   than the balance left; the last period pays whatever principal remains (so its payment may
//!   differ by a few fen). With r = 0 the payment is P / n rounded half-up.
//! - `equal-principal`: principal split as `flat-fee`; interest = opening balance x r, rounded
//!   half-up.
//!
//! The period rate `r` is exact: either a per-period rate in ppm, or an annual rate in ppm
//! divided by 12 (kept as a ratio, never rounded). Every rounding above is of the exact value:
//! an annuity payment that is exactly a whole fen and a half rounds up (see `exact`).

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::{Amount, Rate, irr};

mod exact;

/// The most periods any plan may have.
pub const PERIODS_MAX: u32 = 24;

/// How a plan's periods are priced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Baitiao's method: equal principal plus a fixed fee on the original principal.
    FlatFee,
    /// Equal installments; interest on the declining balance.
    Annuity,
    /// Equal principal; interest on the declining balance.
    EqualPrincipal,
}

impl Method {
    pub const ALL: [Method; 3] = [Method::FlatFee, Method::Annuity, Method::EqualPrincipal];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::FlatFee => "flat-fee",
            Method::Annuity => "annuity",
            Method::EqualPrincipal => "equal-principal",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Method {
    type Err = ScheduleError;
    fn from_str(s: &str) -> Result<Method, ScheduleError> {
        Method::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| ScheduleError::UnknownMethod(s.to_owned()))
    }
}

/// The rate charged each period, exactly: `ppm / (1_000_000 * divisor)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PeriodRate {
    rate: Rate,
    divisor: u32,
}

impl PeriodRate {
    /// A rate charged as is every period (a flat fee rate of 0.6% per month).
    pub const fn per_period(rate: Rate) -> PeriodRate {
        PeriodRate { rate, divisor: 1 }
    }

    /// A nominal annual rate, charged as a twelfth each monthly period.
    pub const fn annual(rate: Rate) -> PeriodRate {
        PeriodRate { rate, divisor: 12 }
    }

    pub const ZERO: PeriodRate = PeriodRate::per_period(Rate::ZERO);

    /// The rate charged each period when it is charged as is ([`PeriodRate::per_period`]);
    /// `None` for a share of an annual rate, which is no whole number of ppm per period.
    pub const fn per_period_rate(self) -> Option<Rate> {
        if self.divisor == 1 { Some(self.rate) } else { None }
    }

    pub fn is_zero(self) -> bool {
        self.rate.is_zero()
    }

    /// `amount x rate`, rounded half-up to the fen.
    pub fn apply(self, amount: Amount) -> Amount {
        amount.mul_ratio(i64::from(self.rate.ppm()), Rate::PPM_ONE * i64::from(self.divisor))
    }

    fn to_decimal(self) -> Decimal {
        self.rate.to_decimal() / Decimal::from(self.divisor)
    }
}

/// What a schedule is built from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Terms {
    pub method: Method,
    pub principal: Amount,
    pub periods: u32,
    pub rate: PeriodRate,
}

/// Why terms cannot make a schedule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("unknown method {0:?}: use flat-fee, annuity or equal-principal")]
    UnknownMethod(String),
    #[error("principal must be positive, got {0}")]
    PrincipalNotPositive(Amount),
    #[error("principal {0} is above the largest accepted amount")]
    PrincipalTooLarge(Amount),
    #[error("periods must be between 1 and {PERIODS_MAX}, got {0}")]
    PeriodsOutOfRange(u32),
    /// Only reachable through `Rate::from_ppm`: `Rate::parse` caps rates at `Rate::MAX`, above
    /// which `(1 + r)^24` would not fit the annuity arithmetic.
    #[error("rate {0} is above the largest accepted rate ({max})", max = Rate::MAX)]
    RateTooLarge(Rate),
}

/// One period of a schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    /// 1-based period number.
    pub n: u32,
    pub principal: Amount,
    pub fee: Amount,
    pub interest: Amount,
}

impl Period {
    pub fn payment(&self) -> Amount {
        self.principal + self.fee + self.interest
    }

    pub fn cost(&self) -> Amount {
        self.fee + self.interest
    }
}

/// A plan's periods; they always sum to the principal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub terms: Terms,
    pub periods: Vec<Period>,
}

impl Schedule {
    /// Builds the schedule for `terms` under the rounding rules above.
    pub fn build(terms: Terms) -> Result<Schedule, ScheduleError> {
        if !terms.principal.is_positive() {
            return Err(ScheduleError::PrincipalNotPositive(terms.principal));
        }
        if terms.principal > Amount::MAX_INPUT {
            return Err(ScheduleError::PrincipalTooLarge(terms.principal));
        }
        if terms.periods == 0 || terms.periods > PERIODS_MAX {
            return Err(ScheduleError::PeriodsOutOfRange(terms.periods));
        }
        if terms.rate.rate > Rate::MAX {
            return Err(ScheduleError::RateTooLarge(terms.rate.rate));
        }
        let periods = match terms.method {
            Method::FlatFee => flat_fee(terms),
            Method::Annuity => annuity(terms),
            Method::EqualPrincipal => equal_principal(terms),
        };
        debug_assert_eq!(periods.iter().map(|p| p.principal).sum::<Amount>(), terms.principal);
        Ok(Schedule { terms, periods })
    }

    /// Fees plus interest over the whole plan.
    pub fn total_cost(&self) -> Amount {
        self.periods.iter().map(Period::cost).sum()
    }

    /// The monthly IRR of the schedule times 12: the annualized rate by the IRR method.
    pub fn apr(&self) -> Decimal {
        apr_of(self.terms.principal, self.periods.iter().map(Period::payment))
    }
}

/// The IRR-method APR (monthly IRR x 12) of receiving `principal` and paying `payments` monthly.
/// Zero when the payments cost nothing; never fails for a schedule, whose payments cover the
/// principal.
pub fn apr_of(principal: Amount, payments: impl IntoIterator<Item = Amount>) -> Decimal {
    let payments: Vec<Decimal> = payments.into_iter().map(fen_to_decimal).collect();
    let monthly = irr::periodic_irr(fen_to_decimal(principal), &payments).unwrap_or(Decimal::ZERO);
    monthly * Decimal::from(12)
}

/// An APR as the fraction string scripts read: six decimals, rounded half-up (`"0.130342"`).
pub fn format_apr(apr: Decimal) -> String {
    let rounded = apr.round_dp_with_strategy(6, RoundingStrategy::MidpointAwayFromZero);
    format!("{rounded:.6}")
}

fn fen_to_decimal(amount: Amount) -> Decimal {
    Decimal::from(amount.fen())
}

fn principal_split(terms: Terms) -> impl Iterator<Item = (u32, Amount)> {
    let (share, last) = terms.principal.split_down(terms.periods);
    (1..=terms.periods).map(move |n| (n, if n == terms.periods { last } else { share }))
}

fn flat_fee(terms: Terms) -> Vec<Period> {
    let fee = terms.rate.apply(terms.principal);
    principal_split(terms)
        .map(|(n, principal)| Period {
            n,
            principal,
            fee,
            interest: Amount::ZERO,
        })
        .collect()
}

fn equal_principal(terms: Terms) -> Vec<Period> {
    let mut balance = terms.principal;
    principal_split(terms)
        .map(|(n, principal)| {
            let interest = terms.rate.apply(balance);
            balance -= principal;
            Period {
                n,
                principal,
                fee: Amount::ZERO,
                interest,
            }
        })
        .collect()
}

fn annuity(terms: Terms) -> Vec<Period> {
    let payment = annuity_payment(terms);
    let mut balance = terms.principal;
    (1..=terms.periods)
        .map(|n| {
            let interest = terms.rate.apply(balance);
            let principal = if n == terms.periods {
                balance
            } else {
                (payment - interest).max(Amount::ZERO).min(balance)
            };
            balance -= principal;
            Period {
                n,
                principal,
                fee: Amount::ZERO,
                interest,
            }
        })
        .collect()
}

/// `P r / (1 - (1 + r)^-n)` rounded half-up to the fen; `P / n` rounded half-up when r = 0.
///
/// A 28-digit decimal finds the payment to far better than a fen, so it tells which half fen
/// the payment is nearest to; whether the exact payment reaches that half is then decided on
/// integers, because exact halves occur and a rounded quotient can fall just short of one.
fn annuity_payment(terms: Terms) -> Amount {
    if terms.rate.is_zero() {
        return terms.principal.mul_ratio(1, i64::from(terms.periods));
    }
    let principal = fen_to_decimal(terms.principal);
    let r = terms.rate.to_decimal();
    let mut growth = Decimal::ONE;
    for _ in 0..terms.periods {
        growth *= Decimal::ONE + r;
    }
    // P r / (1 - (1+r)^-n) = P x r (1+r)^n / ((1+r)^n - 1). The factor is taken first: it is a
    // little above r, while P r (1+r)^n overflows a Decimal for the largest principal and rate
    // (1e12 fen x 10 x 11^24); r (1+r)^n alone is at most 10 x 11^24, within 28 digits.
    let approximate = principal * (r * growth / (growth - Decimal::ONE));
    let floor = u64::try_from(approximate.floor()).expect("annuity payment of a bounded principal fits u64");
    let exact = exact::AnnuityTerms {
        principal_fen: u64::try_from(terms.principal.fen()).expect("a schedule's principal is positive"),
        rate_num: u64::from(terms.rate.rate.ppm()),
        rate_den: Rate::PPM_ONE.unsigned_abs() * u64::from(terms.rate.divisor),
        periods: terms.periods,
    };
    let fen = floor + u64::from(exact::payment_reaches_half_above(exact, floor));
    Amount::from_fen(i64::try_from(fen).expect("annuity payment of a bounded principal fits i64"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(method: Method, fen: i64, periods: u32, rate: PeriodRate) -> Terms {
        Terms {
            method,
            principal: Amount::from_fen(fen),
            periods,
            rate,
        }
    }

    #[test]
    fn flat_fee_baitiao_example() {
        let s = Schedule::build(terms(
            Method::FlatFee,
            1_000_000,
            12,
            PeriodRate::per_period(Rate::from_ppm(6_000)),
        ))
        .unwrap();
        assert_eq!(s.periods[0].principal.fen(), 83_333);
        assert_eq!(s.periods[11].principal.fen(), 83_337);
        assert!(s.periods.iter().all(|p| p.fee.fen() == 6_000));
        assert_eq!(s.total_cost().fen(), 72_000);
        assert_eq!(format_apr(s.apr()), "0.130342");
    }

    #[test]
    fn one_fen_in_24_periods() {
        for method in Method::ALL {
            let s = Schedule::build(terms(method, 1, 24, PeriodRate::annual(Rate::from_ppm(120_000)))).unwrap();
            assert_eq!(s.periods.len(), 24);
            assert_eq!(
                s.periods.iter().map(|p| p.principal).sum::<Amount>().fen(),
                1,
                "{method}"
            );
            assert!(s.periods.iter().all(|p| !p.principal.is_negative()), "{method}");
        }
    }

    #[test]
    fn annuity_never_overpays_principal_on_tiny_loans() {
        let s = Schedule::build(terms(Method::Annuity, 13, 24, PeriodRate::ZERO)).unwrap();
        assert!(s.periods.iter().all(|p| !p.principal.is_negative()));
        assert_eq!(s.periods.iter().map(|p| p.principal).sum::<Amount>().fen(), 13);
    }

    #[test]
    fn rejects_bad_terms() {
        let rate = PeriodRate::ZERO;
        assert_eq!(
            Schedule::build(terms(Method::FlatFee, 0, 3, rate)),
            Err(ScheduleError::PrincipalNotPositive(Amount::ZERO))
        );
        assert_eq!(
            Schedule::build(terms(Method::FlatFee, 100, 0, rate)),
            Err(ScheduleError::PeriodsOutOfRange(0))
        );
        assert_eq!(
            Schedule::build(terms(Method::FlatFee, 100, 25, rate)),
            Err(ScheduleError::PeriodsOutOfRange(25))
        );
        let too_large = Rate::from_ppm(u32::MAX);
        assert_eq!(
            Schedule::build(terms(Method::Annuity, 100, 24, PeriodRate::per_period(too_large))),
            Err(ScheduleError::RateTooLarge(too_large))
        );
    }
}
