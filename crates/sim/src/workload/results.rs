//! The end of a run: the figures that need the final state of every account.

use std::collections::BTreeMap;

use credit::Account;
use credit::delinquency::Bucket;
use credit::ledger::LedgerAccount;
use money::Amount;

use super::Simulation;
use crate::figures::{Bin, Figures, Roll, Throughput, ppm};

const LIMIT_BINS_YUAN: [(i64, &str); 6] = [
    (1_000, "< 1k"),
    (2_000, "1k-2k"),
    (5_000, "2k-5k"),
    (10_000, "5k-10k"),
    (20_000, "10k-20k"),
    (i64::MAX, "20k+"),
];

const UTILIZATION_BINS: [(i64, &str); 7] = [
    (0, "0%"),
    (100_000, "< 10%"),
    (300_000, "10-30%"),
    (500_000, "30-50%"),
    (800_000, "50-80%"),
    (1_000_000, "80-100%"),
    (i64::MAX, "over 100%"),
];

fn histogram(values: impl Iterator<Item = i64>, bins: &[(i64, &str)], inclusive_first: bool) -> Vec<Bin> {
    let mut counts = vec![0u64; bins.len()];
    for v in values {
        let i = bins
            .iter()
            .position(|(top, _)| {
                if inclusive_first && *top == 0 {
                    v <= 0
                } else {
                    v < *top || *top == i64::MAX
                }
            })
            .unwrap_or(bins.len() - 1);
        counts[i] += 1;
    }
    bins.iter()
        .zip(counts)
        .map(|((_, label), count)| Bin {
            label: (*label).to_owned(),
            count,
        })
        .collect()
}

impl Simulation<'_, '_> {
    pub(super) fn finish(mut self, accounts: &[Box<Account>], requests: u64, wall_s: f64) -> Figures {
        let by_id: BTreeMap<_, _> = accounts.iter().map(|a| (a.id, a)).collect();
        let approved: Vec<i64> = self.lines.iter().filter(|l| l.open).map(|l| l.limit.fen()).collect();
        let fig = &mut self.fig;
        fig.limits.approved_mean_fen = if approved.is_empty() {
            0
        } else {
            fig.limits.approved_total_fen / approved.len() as i64
        };
        fig.limits.histogram = histogram(approved.iter().map(|f| f / 100), &LIMIT_BINS_YUAN, false);
        let utilizations: Vec<i64> = self
            .lines
            .iter()
            .filter(|l| l.open && l.limit.is_positive())
            .filter_map(|l| by_id.get(&l.account))
            .filter(|a| !a.is_charged_off())
            .map(|a| ppm(a.principal_owed().fen(), a.limit.fen()))
            .collect();
        fig.limits.utilization_mean_ppm = if utilizations.is_empty() {
            0
        } else {
            utilizations.iter().sum::<i64>() / utilizations.len() as i64
        };
        fig.limits.utilization_histogram = histogram(utilizations.into_iter(), &UTILIZATION_BINS, true);

        let order = [Bucket::M1, Bucket::M2, Bucket::M3, Bucket::M3Plus, Bucket::ChargedOff];
        let entered = |b: &Bucket| self.entered.get(b).map_or(0, |s| s.len() as u64);
        fig.delinquency.entered = order.iter().map(|b| (b.as_str().to_owned(), entered(b))).collect();
        fig.delinquency.rolls = order
            .windows(2)
            .map(|w| Roll {
                from: w[0].as_str().to_owned(),
                to: w[1].as_str().to_owned(),
                from_accounts: entered(&w[0]),
                to_accounts: entered(&w[1]),
                ppm: ppm(entered(&w[1]) as i64, entered(&w[0]) as i64),
            })
            .collect();
        let mut at_end: BTreeMap<String, u64> = BTreeMap::new();
        let mut totals = credit::ledger::Balances::default();
        let (mut receivables, mut past_30) = (Amount::ZERO, Amount::ZERO);
        for a in accounts {
            *at_end.entry(a.delinquency.bucket.as_str().to_owned()).or_default() += 1;
            totals.add(&a.ledger);
            if !a.is_charged_off() {
                let owed = a.principal_owed();
                receivables += owed;
                if a.delinquency.dpd(a.day) >= 30 {
                    past_30 += owed;
                }
            }
        }
        fig.delinquency.at_end = at_end;
        fig.installments.sort_by_key(|t| t.term.parse::<u32>().unwrap_or(0));
        fig.statements.not_yet_due = self.due.len() as u64;

        fig.total_fraud();
        let losses = &mut fig.losses;
        losses.captured_fen = fig.payments.captured_fen;
        losses.fraud_loss_booked_fen = totals.get(LedgerAccount::FraudLoss).fen();
        losses.receivables_end_fen = receivables.fen();
        losses.receivables_30_plus_fen = past_30.fen();
        losses.fee_income_fen = -totals.get(LedgerAccount::FeeIncome).fen();
        losses.interest_income_fen = -totals.get(LedgerAccount::InterestIncome).fen();
        losses.penalty_income_fen = -totals.get(LedgerAccount::PenaltyIncome).fen();
        fig.collections.recoveries_ledger_fen = -totals.get(LedgerAccount::Recoveries).fen();
        losses.loss_rate_ppm = ppm(losses.charged_off_fen + fig.fraud_loss_lost_fen, losses.captured_fen);

        fig.analytics = self.log.analytics(fig);
        fig.ground_truth = std::mem::take(&mut self.log.ground_truth);
        fig.auditor_checks = self.link.auditor.checks;
        fig.auditor_statements_checked = self.link.auditor.statements_checked;
        fig.auditor_mismatches = 0;
        let ops_per_s = if wall_s > 0.0 { requests as f64 / wall_s } else { 0.0 };
        fig.ops_per_s = (ops_per_s * 10.0).round() / 10.0;
        fig.throughput = Throughput {
            requests,
            wall_s: (wall_s * 1000.0).round() / 1000.0,
            ops_per_s: fig.ops_per_s,
            driver: "in-process".into(),
        };
        self.fig
    }
}
