//! The daily settlement run: [`run_through`] settles every business day after the last
//! finished run up to the given one, each merchant's day in one store transaction (row,
//! postings, pending payout, balance) that does nothing when the (merchant, day) is already
//! settled. A run that stops midway (a crash, or an injected [`Fault`] in tests) is resumed
//! by the next: the merchants already settled are skipped, the rest settled with the same
//! inputs, so nothing is paid twice and the result equals an uninterrupted run's.
//!
//! The caller must only run days that are closed and whose journal the consumer has read
//! (`iou settle` consumes first and refuses today and later).

use std::collections::{BTreeMap, BTreeSet};

use credit::calendar::Day;
use credit::{MerchantId, TxnId};
use money::{Amount, Rate};
use settlement::pricing::subsidy;
use settlement::{Activity, Carried, PriceList, PriceRule, Pricing, RecentDay, Scope, Terms, settle_day};
use store::SettlementStore;
use store::settlement::{DayFact, FactKind, MerchantRow, PayoutRow, PostingRow, SettledDay, SettlementRow};

/// The merchant's share of a campaign plan's fee, per period, for a transaction (from the
/// API's `campaign_txn:<txn>`); `None` for a transaction without one.
pub trait Subsidies {
    fn merchant_rate(&self, txn: TxnId) -> Option<Rate>;
}

/// No campaign subsidies.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoSubsidies;

impl Subsidies for NoSubsidies {
    fn merchant_rate(&self, _txn: TxnId) -> Option<Rate> {
        None
    }
}

/// An injected failure (tests): stop after this many merchant days of the run were computed
/// (those are written, then the run stops as if the process died).
#[derive(Clone, Copy, Debug, Default)]
pub struct Fault {
    pub stop_after_merchants: Option<usize>,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// A stored pricing rule or setting this build cannot read.
    #[error("settlement data is not readable: {0}")]
    Corrupt(String),
    #[error("injected fault: the run stopped after writing {0} merchant days")]
    Injected(usize),
}

/// What a run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunReport {
    /// Days settled (finished) by this run.
    pub days: Vec<Day>,
    /// Merchant days written by this run.
    pub settled: usize,
    /// Merchant days found already settled (a resumed run).
    pub already: usize,
    /// Facts of transactions no authorization named a merchant for: a reconciliation break.
    pub unattributed: Vec<u64>,
    pub payouts: Amount,
}

/// Settles every day after the last finished run (or from the first fact) through `through`.
pub fn run_through(
    store: &mut dyn SettlementStore,
    through: Day,
    subsidies: &dyn Subsidies,
    fault: Fault,
) -> Result<RunReport, RunError> {
    let first = match store.last_run()? {
        Some(last) => Day::from_days(last + 1),
        None => match store.first_fact_day()? {
            Some(first) => Day::from_days(first).min(through),
            None => through,
        },
    };
    let prices = price_list(store)?;
    let merchants: BTreeMap<u64, MerchantRow> = store.merchants()?.into_iter().map(|m| (m.merchant, m)).collect();
    let mut report = RunReport::default();
    let mut budget = fault.stop_after_merchants;
    let mut day = first;
    while day <= through {
        settle_one_day(store, day, &prices, &merchants, subsidies, &mut budget, &mut report)?;
        store.finish_run(day.days())?;
        report.days.push(day);
        day = day.next();
    }
    Ok(report)
}

fn settle_one_day(
    store: &mut dyn SettlementStore,
    day: Day,
    prices: &PriceList,
    merchants: &BTreeMap<u64, MerchantRow>,
    subsidies: &dyn Subsidies,
    budget: &mut Option<usize>,
    report: &mut RunReport,
) -> Result<(), RunError> {
    let window = merchants
        .values()
        .map(|m| m.delay_days.max(m.reserve_days))
        .max()
        .unwrap_or(0);
    let mut recent: BTreeMap<u64, Vec<RecentDay>> = BTreeMap::new();
    if window > 0 {
        for row in store.settlements(day.days() - i32::from(window), day.days() - 1)? {
            recent.entry(row.merchant).or_default().push(RecentDay {
                day: Day::from_days(row.day),
                net: Amount::from_fen(row.captured_fen - row.refunded_fen - row.fees_fen - row.subsidies_fen),
                captured: Amount::from_fen(row.captured_fen),
            });
        }
    }
    let balances: BTreeMap<u64, (i64, i64)> = store
        .balances()?
        .into_iter()
        .map(|b| (b.merchant, (b.balance_fen, b.receivable_fen)))
        .collect();
    let activity = activities(store.day_facts(day.days())?, day, prices, merchants, subsidies, report);
    let everyone: BTreeSet<u64> = merchants
        .keys()
        .chain(balances.keys())
        .chain(activity.keys())
        .copied()
        .collect();
    let mut pending = Vec::new();
    for merchant in everyone {
        let (balance, receivable) = balances.get(&merchant).copied().unwrap_or((0, 0));
        let carried = Carried {
            balance: Amount::from_fen(balance),
            receivable: Amount::from_fen(receivable),
            recent: recent.remove(&merchant).unwrap_or_default(),
        };
        let terms = merchants.get(&merchant).map_or(Terms::STANDARD, terms_of);
        let today = activity.get(&merchant).copied().unwrap_or_default();
        pending.push(settled_day(merchant, &settle_day(day, &terms, &carried, today)));
        if let Some(left) = budget.as_mut() {
            *left -= 1;
            if *left == 0 {
                write(store, &mut pending, report)?;
                return Err(RunError::Injected(report.settled));
            }
        }
        if pending.len() >= CHUNK {
            write(store, &mut pending, report)?;
        }
    }
    write(store, &mut pending, report)
}

/// Merchant days written per store transaction (one fsync each).
const CHUNK: usize = 1_024;

fn write(
    store: &mut dyn SettlementStore,
    pending: &mut Vec<SettledDay>,
    report: &mut RunReport,
) -> Result<(), RunError> {
    if pending.is_empty() {
        return Ok(());
    }
    let written = store.settle(pending)?;
    for (day, new) in pending.iter().zip(written) {
        if new {
            report.settled += 1;
            report.payouts += Amount::from_fen(day.row.payout_fen);
        } else {
            report.already += 1;
        }
    }
    pending.clear();
    Ok(())
}

fn activities(
    facts: Vec<DayFact>,
    day: Day,
    prices: &PriceList,
    merchants: &BTreeMap<u64, MerchantRow>,
    subsidies: &dyn Subsidies,
    report: &mut RunReport,
) -> BTreeMap<u64, Activity> {
    let mut out: BTreeMap<u64, Activity> = BTreeMap::new();
    let mut pricing: BTreeMap<u64, Pricing> = BTreeMap::new();
    for fact in facts {
        let Some(merchant) = fact.merchant else {
            report.unattributed.push(fact.txn);
            continue;
        };
        let amount = Amount::from_fen(fact.amount_fen);
        let activity = out.entry(merchant).or_default();
        match fact.kind {
            FactKind::Capture => {
                let price = *pricing.entry(merchant).or_insert_with(|| {
                    let category = merchants.get(&merchant).and_then(|m| m.category.as_deref());
                    prices.pricing(MerchantId(merchant), category, day)
                });
                let share = subsidies.merchant_rate(TxnId(fact.txn)).unwrap_or(Rate::ZERO);
                activity.capture(amount, price.fee(amount), subsidy(amount, share, fact.terms));
            }
            FactKind::Refund => activity.refund(amount),
        }
    }
    out
}

/// The stored pricing rules as the core's price list.
pub fn price_list(store: &mut dyn SettlementStore) -> Result<PriceList, RunError> {
    let mut rules = Vec::new();
    for row in store.prices()? {
        let scope = match row.scope.split_once(':') {
            None if row.scope == "default" => Scope::Default,
            Some(("category", code)) => Scope::Category(code.to_owned()),
            Some(("merchant", id)) => Scope::Merchant(MerchantId(
                id.parse()
                    .map_err(|_| RunError::Corrupt(format!("pricing scope {}", row.scope)))?,
            )),
            _ => return Err(RunError::Corrupt(format!("pricing scope {}", row.scope))),
        };
        rules.push(PriceRule {
            scope,
            effective_from: Day::from_days(row.effective_from),
            pricing: Pricing {
                discount: Rate::from_ppm(row.discount_ppm),
                fixed_fee: Amount::from_fen(row.fixed_fee_fen),
            },
        });
    }
    Ok(PriceList::new(rules))
}

fn terms_of(row: &MerchantRow) -> Terms {
    Terms {
        delay_days: row.delay_days,
        reserve: Rate::from_ppm(row.reserve_ppm),
        reserve_days: row.reserve_days,
        receivable_limit: Amount::from_fen(row.receivable_limit_fen),
    }
}

fn row_of(merchant: u64, s: &settlement::DaySettlement) -> SettlementRow {
    let a = &s.activity;
    SettlementRow {
        merchant,
        day: s.day.days(),
        captures: a.captures,
        captured_fen: a.captured.fen(),
        refunds: a.refunds,
        refunded_fen: a.refunded.fen(),
        fees_fen: a.fees.fen(),
        subsidies_fen: a.subsidies.fen(),
        balance_before_fen: s.balance_before.fen(),
        held_fen: s.held.fen(),
        payout_fen: s.payout.fen(),
        balance_after_fen: s.balance_after.fen(),
        receivable_fen: s.receivable.fen(),
    }
}

/// The postings of the core's entries, on `day`, for `merchant`.
pub fn postings(day: Day, merchant: u64, entries: &[settlement::Entry]) -> Vec<PostingRow> {
    entries
        .iter()
        .flat_map(|e| {
            e.postings.iter().map(move |p| PostingRow {
                day: day.days(),
                merchant,
                kind: e.kind.as_str().to_owned(),
                account: p.account.as_str().to_owned(),
                amount_fen: p.amount.fen(),
            })
        })
        .collect()
}

fn settled_day(merchant: u64, s: &settlement::DaySettlement) -> SettledDay {
    SettledDay {
        row: row_of(merchant, s),
        postings: postings(s.day, merchant, &s.entries),
        payout: payout_of(merchant, s),
    }
}

/// The payout id: the merchant and the business day, so a day pays a merchant at most once
/// (`m<merchant>-<yyyy-mm-dd>`); the provider's idempotency key.
pub fn payout_id(merchant: u64, day: Day) -> String {
    format!("m{merchant}-{}", day.to_date())
}

fn payout_of(merchant: u64, s: &settlement::DaySettlement) -> Option<PayoutRow> {
    s.payout.is_positive().then(|| PayoutRow {
        id: payout_id(merchant, s.day),
        merchant,
        day: s.day.days(),
        amount_fen: s.payout.fen(),
        status: settlement::PayoutStatus::Pending.as_str().to_owned(),
    })
}
