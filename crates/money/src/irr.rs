//! The internal rate of return of a loan's cash flows, in decimal arithmetic.
//!
//! A loan is `principal` received at time 0 and `payments[k-1]` paid at the end of period `k`.
//! Its periodic IRR is the rate `i >= 0` with `principal = sum(payments[k-1] / (1 + i)^k)`; the
//! annualized rate disclosed to customers (PBoC 2021 No. 3, compound method) is `12 * i` for
//! monthly periods. Newton's method is used with a bisection guard, so every step stays inside a
//! bracket that holds the root.

use rust_decimal::Decimal;

/// Iterations allowed before giving up; Newton converges in under ten for any real schedule.
const ITERATIONS_MAX: u32 = 200;
/// Upper end of the search: 10,000% per period. Rates beyond that are not loans.
const RATE_MAX: Decimal = Decimal::from_parts(100, 0, 0, false, 0);

/// The periodic IRR of receiving `principal` and paying `payments` at periods 1, 2, ...
///
/// Returns `None` when there is no rate in `[0, 10000%]` (the payments sum to less than the
/// principal, or the principal is not positive).
pub fn periodic_irr(principal: Decimal, payments: &[Decimal]) -> Option<Decimal> {
    if principal <= Decimal::ZERO || payments.iter().any(|p| p.is_sign_negative()) {
        return None;
    }
    let total: Decimal = payments.iter().copied().sum();
    if total == principal {
        return Some(Decimal::ZERO);
    }
    if total < principal {
        return None;
    }
    // f(i) = principal - PV(payments at i) rises with i: negative at 0, positive at the root's right.
    let f = |i: Decimal| -> Option<(Decimal, Decimal)> { npv_and_slope(principal, payments, i) };
    let (mut low, mut high) = (Decimal::ZERO, RATE_MAX);
    if f(high)?.0 < Decimal::ZERO {
        return None;
    }
    let tolerance = Decimal::new(1, 24);
    let mut rate = Decimal::new(1, 2);
    for _ in 0..ITERATIONS_MAX {
        let (value, slope) = f(rate)?;
        if value.is_zero() {
            return Some(rate);
        }
        if value < Decimal::ZERO {
            low = rate;
        } else {
            high = rate;
        }
        let newton = if slope.is_zero() {
            None
        } else {
            rate.checked_sub(value.checked_div(slope)?)
        };
        let next = match newton {
            Some(n) if n > low && n < high => n,
            _ => (low + high) / Decimal::TWO,
        };
        if (next - rate).abs() <= tolerance || high - low <= tolerance {
            return Some(next);
        }
        rate = next;
    }
    Some(rate)
}

/// `principal - sum(p_k v^k)` and its derivative in `i`, `sum(k p_k v^(k+1))`, with `v = 1/(1+i)`.
fn npv_and_slope(principal: Decimal, payments: &[Decimal], i: Decimal) -> Option<(Decimal, Decimal)> {
    let v = Decimal::ONE.checked_div(Decimal::ONE.checked_add(i)?)?;
    let mut discount = Decimal::ONE;
    let mut present = Decimal::ZERO;
    let mut slope = Decimal::ZERO;
    for (k, payment) in payments.iter().enumerate() {
        discount = discount.checked_mul(v)?;
        let pv = payment.checked_mul(discount)?;
        present = present.checked_add(pv)?;
        let k = Decimal::from(k + 1);
        slope = slope.checked_add(k.checked_mul(pv)?.checked_mul(v)?)?;
    }
    Some((principal - present, slope))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn zero_cost_has_zero_rate() {
        assert_eq!(
            periodic_irr(d("300"), &[d("100"), d("100"), d("100")]),
            Some(Decimal::ZERO)
        );
    }

    #[test]
    fn underpaid_loan_has_no_rate() {
        assert_eq!(periodic_irr(d("300"), &[d("100"), d("100")]), None);
        assert_eq!(periodic_irr(d("0"), &[d("100")]), None);
    }

    #[test]
    fn one_period_rate_is_the_markup() {
        let i = periodic_irr(d("100"), &[d("101")]).unwrap();
        assert!((i - d("0.01")).abs() < d("0.000000000001"), "{i}");
    }

    #[test]
    fn annuity_rate_is_recovered() {
        // 1000 at 1% a month for 12 months: payment 88.8487886783...
        let payment = d("88.848788678341707339987831");
        let i = periodic_irr(d("1000"), &[payment; 12]).unwrap();
        assert!((i - d("0.01")).abs() < d("0.000000000001"), "{i}");
    }
}
