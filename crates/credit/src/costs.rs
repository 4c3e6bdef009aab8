//! [`Costs`] and [`YearCosts`]: what a customer paid for credit, and how a statement line adds
//! to a calendar year's costs. Below both the figures (which read every kept statement) and the
//! account's totals (which keep the dropped ones'), so neither needs the other.

use std::collections::BTreeMap;

use money::Amount;
use serde::{Deserialize, Serialize};

use crate::statement::{Line, LineKind};

/// What a customer was charged for credit, net of what was waived (a fully refunded purchase's
/// fees and plan interest; a fraud exemption restates them away).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Costs {
    /// Installment fees.
    pub fees: Amount,
    /// Plan interest and revolving interest.
    pub interest: Amount,
    pub penalties: Amount,
}

impl Costs {
    pub fn total(&self) -> Amount {
        self.fees + self.interest + self.penalties
    }
}

/// One calendar year's costs, from the lines of every statement (the dropped ones' through the
/// account's totals) and of the running cycle, by the day of each line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearCosts {
    pub year: i32,
    /// Charged: plan fees, plan and revolving interest, penalties.
    pub charged: Costs,
    /// Fees and plan interest waived by a full refund (unpaid ones and paid ones given back):
    /// a waiver names no split between the two.
    pub waived: Amount,
}

impl YearCosts {
    /// Charged less waived.
    pub fn net(&self) -> Amount {
        self.charged.total() - self.waived
    }
}

pub(crate) fn add_cost(years: &mut BTreeMap<i32, YearCosts>, line: &Line) {
    let (year, ..) = line.on.year_month_day();
    let entry = years.entry(year).or_insert(YearCosts {
        year,
        ..YearCosts::default()
    });
    match line.kind {
        LineKind::PlanFee { .. } => entry.charged.fees += line.amount,
        LineKind::PlanInterest { .. } | LineKind::RevolvingInterest => entry.charged.interest += line.amount,
        LineKind::Penalty => entry.charged.penalties += line.amount,
        LineKind::FeeWaiver { .. } | LineKind::FeeWaiverToCredit { .. } => entry.waived -= line.amount,
        _ => {}
    }
    if entry.charged.total().is_zero() && entry.waived.is_zero() {
        years.remove(&year);
    }
}
