//! Exact integer arithmetic for the one rounding that 28-digit decimals cannot settle: whether an
//! annuity payment `P r (1+r)^n / ((1+r)^n - 1)` reaches a half fen.
//!
//! Exact halves are real (2507.50 yuan over 2 periods at 0.6% pays exactly 1265.045 yuan), and a
//! decimal quotient rounded to 28 digits can land a hair below one, so the half-up rule is
//! decided on integers of a few hundred bits: `(den + num)^24` for the largest rate has about
//! 600.

use std::cmp::Ordering;

/// A natural number of any size: little-endian 64-bit limbs, no high zero limbs.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Natural(Vec<u64>);

impl Natural {
    fn from_u64(value: u64) -> Natural {
        let mut n = Natural(vec![value]);
        n.trim();
        n
    }

    fn power(base: u64, exponent: u32) -> Natural {
        (0..exponent).fold(Natural::from_u64(1), |acc, _| acc.times(base))
    }

    fn times(mut self, factor: u64) -> Natural {
        let mut carry: u128 = 0;
        for limb in &mut self.0 {
            let product = u128::from(*limb) * u128::from(factor) + carry;
            *limb = product as u64; // The low 64 bits; the rest carries.
            carry = product >> 64;
        }
        if carry > 0 {
            self.0.push(carry as u64); // A u64 times a u64 plus a carry: the carry fits 64 bits.
        }
        self.trim();
        self
    }

    /// `self - other`; `other` must not be larger.
    fn minus(mut self, other: &Natural) -> Natural {
        debug_assert!(*other <= self, "Natural::minus would go below zero");
        let mut borrow = false;
        for (i, limb) in self.0.iter_mut().enumerate() {
            let subtrahend = other.0.get(i).copied().unwrap_or(0);
            let (difference, borrow_a) = limb.overflowing_sub(subtrahend);
            let (difference, borrow_b) = difference.overflowing_sub(u64::from(borrow));
            *limb = difference;
            borrow = borrow_a || borrow_b;
        }
        self.trim();
        self
    }

    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }
}

impl Ord for Natural {
    fn cmp(&self, other: &Natural) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }
}

impl PartialOrd for Natural {
    fn partial_cmp(&self, other: &Natural) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The terms of an annuity payment with a positive period rate `rate_num / rate_den`.
#[derive(Clone, Copy, Debug)]
pub(super) struct AnnuityTerms {
    pub principal_fen: u64,
    pub rate_num: u64,
    pub rate_den: u64,
    pub periods: u32,
}

/// Whether the exact payment is at least `fen + 1/2`, that is whether
/// `2 P num (den+num)^n >= (2 fen + 1) den ((den+num)^n - den^n)`.
pub(super) fn payment_reaches_half_above(terms: AnnuityTerms, fen: u64) -> bool {
    let AnnuityTerms {
        principal_fen,
        rate_num,
        rate_den,
        periods,
    } = terms;
    debug_assert!(rate_num > 0 && rate_den > 0, "the exact payment needs a positive rate");
    let growth = Natural::power(rate_den + rate_num, periods);
    let left = growth.clone().times(2).times(principal_fen).times(rate_num);
    let right = growth
        .minus(&Natural::power(rate_den, periods))
        .times(rate_den)
        .times(2 * fen + 1);
    left >= right
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn naturals_multiply_subtract_and_compare() {
        let big = Natural::power(10, 40); // 10^40 needs three limbs.
        assert_eq!(big.0.len(), 3);
        assert!(big > Natural::power(10, 39).times(9));
        assert_eq!(big.clone().minus(&big), Natural(vec![]));
        assert_eq!(
            Natural::power(2, 64).minus(&Natural::from_u64(1)),
            Natural::from_u64(u64::MAX)
        );
        assert_eq!(
            Natural::from_u64(u64::MAX).times(u64::MAX),
            Natural(vec![1, u64::MAX - 1])
        );
    }

    #[test]
    fn decides_exact_halves_and_their_neighbours() {
        // (principal fen, rate num, rate den, periods, fen, reaches fen + 1/2)
        let table: &[(u64, u64, u64, u32, u64, bool)] = &[
            // 2507.50 yuan, 2 periods at 0.6%: exactly 126504.5 fen.
            (250_750, 6_000, 1_000_000, 2, 126_504, true),
            (250_749, 6_000, 1_000_000, 2, 126_504, false),
            (250_750, 6_000, 1_000_000, 2, 126_505, false),
            // 42.00 yuan, 1 period at 7% / 12: exactly 4224.5 fen.
            (4_200, 70_000, 12_000_000, 1, 4_224, true),
            // 100.00 yuan, 1 period at 1%: 10100 fen, far from a half either way.
            (10_000, 10_000, 1_000_000, 1, 10_099, true),
            (10_000, 10_000, 1_000_000, 1, 10_100, false),
            // The largest principal and rate: 1e13 fen and a sliver.
            (1_000_000_000_000, 10_000_000, 1_000_000, 24, 9_999_999_999_999, true),
            (1_000_000_000_000, 10_000_000, 1_000_000, 24, 10_000_000_000_000, false),
        ];
        for &(principal_fen, rate_num, rate_den, periods, fen, want) in table {
            let terms = AnnuityTerms {
                principal_fen,
                rate_num,
                rate_den,
                periods,
            };
            assert_eq!(payment_reaches_half_above(terms, fen), want, "{terms:?} at {fen}");
        }
    }
}
