//! Merchant settlement in the simulator: after the run, every simulated day is settled and paid
//! in order from the journal the run wrote (settlement is a function of the journal, so this is
//! what daily runs would have produced), through the engine's settlement consumer, run and
//! payout simulator, and [`SettlementFigures`] report it.
//!
//! Merchants get pricing (a default discount rate and fixed fee; every tenth merchant a lower
//! negotiated rate; every seventh is high-risk: settled two days late with a 5% seven-day
//! rolling reserve), and one payout in 40 fails at the provider and is paid by a later run.
//! Every fifth merchant runs a merchant-subsidized campaign on its installment plans: it pays
//! [`CAMPAIGN_PPM`] per period of each plan (the merchant's share of a campaign, as the API's
//! `campaign_txn:<txn>` gives the server's run through `api::campaign_subsidies`).
//! The identity `captured − refunded − merchant fees − subsidies = paid out + payable`, the
//! settlement ledger's balance and its subsidy income equal to the subsidies are checked every
//! day; a break stops the run.

use std::collections::HashMap;

use credit::Day;
use credit::TxnId;
use engine::settle::{self, Fault, SimulatedPayouts, Subsidies};
use money::Rate;
use serde::{Deserialize, Serialize};
use store::Backend;
use store::settlement::{FactKind, MerchantRow, PriceRow};

use crate::config::SimConfig;
use crate::link::SimError;

/// What settlement did over the run, in fen.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettlementFigures {
    pub captured_fen: i64,
    pub refunded_fen: i64,
    /// Merchant discount and fixed fees: the lender's merchant fee income.
    pub merchant_fees_fen: i64,
    /// Campaign merchants' shares of their plans' fees: the lender's campaign subsidy income.
    pub subsidies_fen: i64,
    /// Payouts that left (not failed or returned).
    pub paid_out_fen: i64,
    /// Still owed to merchants (held, delayed, or a negative balance carried).
    pub payable_fen: i64,
    pub receivable_fen: i64,
    /// Fee income per captured amount, ppm (the merchant side's net yield).
    pub fee_yield_ppm: i64,
    pub payouts_failed: u64,
    pub days_settled: u32,
    /// Days whose settlement ledger balanced and whose identity held (every day, or the run
    /// stops).
    pub days_balanced: u32,
}

fn pricing(store: &mut dyn store::SettlementStore, config: &SimConfig, start: Day) -> Result<(), SimError> {
    let price = |scope: String, ppm: u32, fixed: i64| PriceRow {
        scope,
        effective_from: start.days(),
        discount_ppm: ppm,
        fixed_fee_fen: fixed,
    };
    store.put_price(&price("default".into(), 6_000, 30)).map_err(fail)?;
    for merchant in 1..=u64::from(config.merchants) {
        if merchant % 10 == 0 {
            store
                .put_price(&price(format!("merchant:{merchant}"), 4_000, 0))
                .map_err(fail)?;
        }
        if merchant % 7 == 0 {
            let row = MerchantRow {
                merchant,
                category: None,
                delay_days: 2,
                reserve_ppm: 50_000,
                reserve_days: 7,
                receivable_limit_fen: 50_000,
            };
            store.put_merchant(&row).map_err(fail)?;
        }
    }
    Ok(())
}

/// A campaign merchant's share of its plans' fees, per period (0.3%: a 12-period plan costs it
/// 3.6% of the purchase, once, on the capture's day).
pub const CAMPAIGN_PPM: u32 = 3_000;

/// Whether `merchant` runs a merchant-subsidized campaign (every fifth: 2, 7, 12, ...).
pub fn is_campaign_merchant(merchant: u64) -> bool {
    merchant % 5 == 2
}

/// The campaign plans of the run: each capture with a plan at a campaign merchant.
struct CampaignPlans(HashMap<u64, Rate>);

impl Subsidies for CampaignPlans {
    fn merchant_rate(&self, txn: TxnId) -> Option<Rate> {
        self.0.get(&txn.0).copied()
    }
}

/// Reads the captures of `from..=through` (the consumer recorded them with their merchant and
/// plan terms) and marks those on a plan at a campaign merchant.
fn campaign_plans(store: &mut dyn store::SettlementStore, from: i32, through: i32) -> Result<CampaignPlans, SimError> {
    let mut plans = HashMap::new();
    for day in from..=through {
        for fact in store.day_facts(day).map_err(fail)? {
            if fact.kind == FactKind::Capture && fact.terms > 0 && fact.merchant.is_some_and(is_campaign_merchant) {
                plans.insert(fact.txn, Rate::from_ppm(CAMPAIGN_PPM));
            }
        }
    }
    Ok(CampaignPlans(plans))
}

fn fail(e: impl std::fmt::Display) -> SimError {
    SimError::Settlement(e.to_string())
}

/// Settles and pays every day of the run on `backend` (whose journal the run wrote).
pub fn settle_run(config: &SimConfig, backend: &dyn Backend, partitions: u32) -> Result<SettlementFigures, SimError> {
    let mut store = backend.settlement().map_err(fail)?;
    let mut journal = backend.journal().map_err(fail)?;
    let zone = jiff::tz::TimeZone::fixed(jiff::tz::offset(8));
    let start = Day::from_date(config.start);
    pricing(store.as_mut(), config, start)?;
    settle::consume_once(journal.as_mut(), store.as_mut(), &zone, partitions).map_err(fail)?;
    let last = start.add(config.days as i32 - 1).days();
    let first = store.first_fact_day().map_err(fail)?.unwrap_or(last).min(start.days());
    let campaigns = campaign_plans(store.as_mut(), first, last)?;
    let mut provider = SimulatedPayouts::new(40);
    let mut figures = SettlementFigures::default();
    for offset in 0..config.days as i32 {
        let day = start.add(offset);
        let report = settle::run_through(store.as_mut(), day, &campaigns, Fault::default()).map_err(fail)?;
        if !report.unattributed.is_empty() {
            return Err(fail(format!("facts without a merchant: {:?}", report.unattributed)));
        }
        settle::pay_out(store.as_mut(), &mut provider, day, usize::MAX).map_err(fail)?;
        figures = totals(store.as_mut(), day)?;
        figures.days_settled = offset as u32 + 1;
        figures.days_balanced = check(store.as_mut(), day, &figures).map(|()| offset as u32 + 1)?;
    }
    Ok(figures)
}

fn totals(store: &mut dyn store::SettlementStore, through: Day) -> Result<SettlementFigures, SimError> {
    let mut f = SettlementFigures::default();
    for row in store.settlements(i32::MIN, through.days()).map_err(fail)? {
        f.captured_fen += row.captured_fen;
        f.refunded_fen += row.refunded_fen;
        f.merchant_fees_fen += row.fees_fen;
        f.subsidies_fen += row.subsidies_fen;
    }
    for status in ["pending", "paid"] {
        f.paid_out_fen += store
            .payouts(status, usize::MAX)
            .map_err(fail)?
            .iter()
            .map(|p| p.amount_fen)
            .sum::<i64>();
    }
    f.payouts_failed = store.payouts("failed", usize::MAX).map_err(fail)?.len() as u64;
    for b in store.balances().map_err(fail)? {
        f.payable_fen += b.balance_fen;
        f.receivable_fen += b.receivable_fen;
    }
    f.fee_yield_ppm = if f.captured_fen > 0 {
        (i128::from(f.merchant_fees_fen) * 1_000_000 / i128::from(f.captured_fen)) as i64
    } else {
        0
    };
    Ok(f)
}

/// The day's ties: the identity, the settlement ledger's `campaign_subsidy_income` equal to
/// the settled days' subsidies, and the settlement ledger's debits = credits, with its
/// `merchant_payable` plus the customer side's gross (−captured + refunded) equal to minus what
/// is owed and minus the receivable (a negative balance past its limit is moved out of
/// `merchant_payable` into `merchant_receivable`).
fn check(store: &mut dyn store::SettlementStore, day: Day, f: &SettlementFigures) -> Result<(), SimError> {
    let net = f.captured_fen - f.refunded_fen - f.merchant_fees_fen - f.subsidies_fen;
    if net != f.paid_out_fen + f.payable_fen {
        return Err(fail(format!(
            "{}: captured − refunded − fees − subsidies = {net}, paid out + payable = {}",
            day.to_date(),
            f.paid_out_fen + f.payable_fen
        )));
    }
    let ledger = store.ledger_by_day(day.days()).map_err(fail)?;
    let (debits, credits) = ledger
        .iter()
        .fold((0, 0), |(d, c), b| (d + b.debits_fen, c + b.credits_fen));
    let payable: i64 = ledger
        .iter()
        .filter(|b| b.account == "merchant_payable")
        .map(|b| b.debits_fen - b.credits_fen)
        .sum();
    let subsidy_income: i64 = ledger
        .iter()
        .filter(|b| b.account == "campaign_subsidy_income")
        .map(|b| b.credits_fen - b.debits_fen)
        .sum();
    if subsidy_income != f.subsidies_fen {
        return Err(fail(format!(
            "{}: campaign subsidy income {subsidy_income}, subsidies {}",
            day.to_date(),
            f.subsidies_fen
        )));
    }
    let union = payable - (f.captured_fen - f.refunded_fen);
    if debits != credits || union != -(f.payable_fen + f.receivable_fen) {
        return Err(fail(format!(
            "{}: settlement ledger debits {debits} credits {credits}; merchant_payable {union} for {} owed",
            day.to_date(),
            f.payable_fen + f.receivable_fen
        )));
    }
    Ok(())
}
