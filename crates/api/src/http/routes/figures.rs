//! The JSON of the figures the credit core computes when asked (`credit::figures`): where a
//! statement stands now, what a customer paid for credit to date and per calendar year, what
//! was written off or lost to fraud, a plan's whole schedule, and what a fraud exemption moved.
//! Every amount is fen.

use credit::{Account, CostsByYear, Losses, SchedulePeriod, StatementFigures};
use engine::ask::Exemption;
use serde::Serialize;
use utoipa::ToSchema;

/// Where a statement stands now (as of the account's business day `as_of`).
#[derive(Debug, Serialize, ToSchema)]
pub struct StatementNowView {
    /// The business day these figures are for.
    pub as_of: String,
    /// Of the statement's balance, what is still owed: what was billed on this statement or an
    /// earlier one and is unpaid (anything billed later is not in it).
    pub remaining_fen: i64,
    /// `balance_fen - remaining_fen`: what payments, refunds and credits (credit balance
    /// applied, principal moved into a bill installment plan) took off it since it closed.
    pub paid_since_close_fen: i64,
    /// What is still unpaid of its minimum (which held the past due of the statements before
    /// it; unmet minimums are paid oldest first).
    pub minimum_remaining_fen: i64,
    /// The part of `minimum_remaining_fen` whose due date has passed: all of it after this
    /// statement's due date, before that what earlier statements left unmet.
    pub past_due_fen: i64,
    /// Principal billed on an earlier statement, carried onto this one and still unpaid.
    pub carried_principal_fen: i64,
}

impl StatementNowView {
    pub fn of(account: &Account, figures: &StatementFigures) -> StatementNowView {
        StatementNowView {
            as_of: account.day.to_string(),
            remaining_fen: figures.remaining.fen(),
            paid_since_close_fen: figures.paid_since_close.fen(),
            minimum_remaining_fen: figures.minimum_remaining.fen(),
            past_due_fen: figures.past_due.fen(),
            carried_principal_fen: figures.carried_principal.fen(),
        }
    }
}

/// What a customer was charged for credit, net of waivers.
#[derive(Debug, Serialize, ToSchema)]
pub struct CostsView {
    /// Installment fees.
    pub fees_fen: i64,
    /// Plan interest and revolving interest.
    pub interest_fen: i64,
    pub penalties_fen: i64,
    pub total_fen: i64,
}

/// One calendar year's cost of credit, by the day each charge or waiver was made.
#[derive(Debug, Serialize, ToSchema)]
pub struct YearCostsView {
    #[schema(example = 2026)]
    pub year: i32,
    /// Installment fees charged.
    pub fees_fen: i64,
    /// Plan and revolving interest charged.
    pub interest_fen: i64,
    pub penalties_fen: i64,
    /// Fees and plan interest given back by a full refund of a purchase.
    pub waived_fen: i64,
    /// Charged less waived.
    pub net_fen: i64,
}

/// What the customer paid for credit: to date (from the ledger, the whole life of the line)
/// and per calendar year (from the statements kept, `years_from_statement` on, and the
/// running cycle).
#[derive(Debug, Serialize, ToSchema)]
pub struct CreditCostsView {
    pub to_date: CostsView,
    /// Oldest first; a year without a charge is absent.
    pub by_year: Vec<YearCostsView>,
    /// The first statement `by_year` covers: 1 while every statement is kept (the account keeps
    /// its latest 24), when the years' `net_fen` sum to `to_date.total_fen` (an early payoff
    /// that charged future fees aside: those are in `to_date` only).
    pub years_from_statement: u32,
}

impl CreditCostsView {
    pub fn of(account: &Account) -> CreditCostsView {
        let to_date = account.costs_to_date();
        let CostsByYear { years, from_statement } = account.costs_by_year();
        CreditCostsView {
            to_date: CostsView {
                fees_fen: to_date.fees.fen(),
                interest_fen: to_date.interest.fen(),
                penalties_fen: to_date.penalties.fen(),
                total_fen: to_date.total().fen(),
            },
            by_year: years
                .iter()
                .map(|y| YearCostsView {
                    year: y.year,
                    fees_fen: y.charged.fees.fen(),
                    interest_fen: y.charged.interest.fen(),
                    penalties_fen: y.charged.penalties.fen(),
                    waived_fen: y.waived.fen(),
                    net_fen: y.net().fen(),
                })
                .collect(),
            years_from_statement: from_statement,
        }
    }
}

/// What was written off, recovered and lost to fraud on the account.
#[derive(Debug, Serialize, ToSchema)]
pub struct LossesView {
    /// Receivables written off at charge-off (0 before one).
    pub charge_off_fen: i64,
    /// Money collected after the charge-off.
    pub recoveries_fen: i64,
    /// Confirmed unauthorized use: the principal of the exempted transactions, and what the
    /// restatement could not give back.
    pub fraud_loss_fen: i64,
}

impl LossesView {
    pub fn of(losses: &Losses) -> LossesView {
        LossesView {
            charge_off_fen: losses.charge_off.fen(),
            recoveries_fen: losses.recoveries.fen(),
            fraud_loss_fen: losses.fraud_loss.fen(),
        }
    }
}

/// One period of a plan's whole schedule.
#[derive(Debug, Serialize, ToSchema)]
pub struct SchedulePeriodView {
    pub n: u32,
    /// `scheduled` (not billed yet), `billed` (something unpaid), `paid`, `paid_off` (never
    /// billed: the plan was paid off early), `cancelled` (a refund took all of its principal),
    /// `accelerated` (a charge-off billed its principal at once).
    pub status: &'static str,
    /// As the plan was created.
    pub original_principal_fen: i64,
    pub original_fee_fen: i64,
    pub original_interest_fen: i64,
    /// As it stands: lowered by refunds; 0 for a period that will never be billed.
    pub principal_fen: i64,
    pub fee_fen: i64,
    pub interest_fen: i64,
    /// What is unpaid of a billed period.
    pub unpaid_fen: i64,
}

impl SchedulePeriodView {
    pub fn of(period: &SchedulePeriod) -> SchedulePeriodView {
        SchedulePeriodView {
            n: period.original.n,
            status: period.status.as_str(),
            original_principal_fen: period.original.principal.fen(),
            original_fee_fen: period.original.fee.fen(),
            original_interest_fen: period.original.interest.fen(),
            principal_fen: period.current.principal.fen(),
            fee_fen: period.current.fee.fen(),
            interest_fen: period.current.interest.fen(),
            unpaid_fen: period.unpaid.fen(),
        }
    }
}

/// What a confirmed fraud exemption moved.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExemptionView {
    /// Booked as fraud loss.
    pub fraud_loss_fen: i64,
    /// Installment fees the customer no longer owes or was given back.
    pub fees_waived_fen: i64,
    /// Plan and revolving interest waived.
    pub interest_waived_fen: i64,
    /// Penalties waived.
    pub penalties_waived_fen: i64,
    /// Payments the restated account did not need: the customer's credit balance now (or
    /// paying what is still owed).
    pub credited_fen: i64,
}

impl ExemptionView {
    pub fn of(exemption: &Exemption) -> ExemptionView {
        ExemptionView {
            fraud_loss_fen: exemption.fraud_loss.fen(),
            fees_waived_fen: exemption.fees_waived.fen(),
            interest_waived_fen: exemption.interest_waived.fen(),
            penalties_waived_fen: exemption.penalties_waived.fen(),
            credited_fen: exemption.credited.fen(),
        }
    }
}

/// Every fraud exemption of the account (a confirmed theft's, or an operator's), summed: the
/// resolve and exemption answers' figures, kept on the account.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExemptionsTotalView {
    /// Exemptions counted.
    pub exemptions: u32,
    /// Booked as fraud loss (the ledger's, so every exemption's).
    pub fraud_loss_fen: i64,
    /// Installment fees waived.
    pub fees_waived_fen: i64,
    /// Plan and revolving interest waived.
    pub interest_waived_fen: i64,
    /// Penalties waived.
    pub penalties_waived_fen: i64,
    /// Payments given back as credit balance (or paying what was still owed).
    pub credited_fen: i64,
    /// `false` only for an account whose engine state was restored from a snapshot written
    /// before these sums were kept, after an exemption: the waived and credited sums then count
    /// only the exemptions made since (`fraud_loss_fen` is still complete).
    pub complete: bool,
}

impl ExemptionsTotalView {
    pub fn of(account: &Account) -> ExemptionsTotalView {
        let waived = account.waived();
        ExemptionsTotalView {
            exemptions: waived.exemptions,
            fraud_loss_fen: account.losses().fraud_loss.fen(),
            fees_waived_fen: waived.fees.fen(),
            interest_waived_fen: waived.interest.fen(),
            penalties_waived_fen: waived.penalties.fen(),
            credited_fen: waived.credited.fen(),
            complete: !waived.incomplete,
        }
    }
}
