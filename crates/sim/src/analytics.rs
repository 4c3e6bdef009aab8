//! Portfolio analytics a risk manager and a CFO read first, as pure functions of what a run
//! recorded (each tested on a small hand-made input): vintage curves and the month-end
//! roll-rate matrix with its cures (in `credit::portfolio`, shared with the API's portfolio
//! route), approval and realised delinquency by score band (calibration), rule hits split into
//! fraud and genuine, and the loss and net yield.

use std::collections::BTreeMap;

use crate::figures::{Analytics, NetYield, RuleHits, ScoreBand, ppm};
use credit::Day;
use credit::delinquency::Bucket;
pub use credit::portfolio::{first_reached, roll_matrix, vintages};

/// The score bands, by their lower bound.
pub const BANDS: [(i32, &str); 6] = [
    (i32::MIN, "<500"),
    (500, "500-549"),
    (550, "550-599"),
    (600, "600-649"),
    (650, "650-699"),
    (700, "700+"),
];

fn band_of(score: i32) -> usize {
    BANDS.iter().rposition(|(low, _)| score >= *low).unwrap_or(0)
}

/// One scored applicant: score, PD in parts per million, approved, later late (M1+), later
/// 30+ days past due (M2+).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scored {
    pub score: i32,
    pub pd_ppm: i64,
    pub approved: bool,
    pub late: bool,
    pub bad: bool,
}

/// Approval and realised delinquency by score band; late and bad are shares of the approved.
pub fn calibration(applicants: &[Scored]) -> Vec<ScoreBand> {
    let mut bands: Vec<(ScoreBand, i64)> = BANDS
        .iter()
        .map(|(_, name)| {
            (
                ScoreBand {
                    band: (*name).to_owned(),
                    ..ScoreBand::default()
                },
                0,
            )
        })
        .collect();
    for a in applicants {
        let (band, pd_sum) = &mut bands[band_of(a.score)];
        band.applicants += 1;
        *pd_sum += a.pd_ppm;
        if a.approved {
            band.approved += 1;
            band.late += u64::from(a.late);
            band.bad += u64::from(a.bad);
        }
    }
    bands
        .into_iter()
        .filter(|(b, _)| b.applicants > 0)
        .map(|(mut b, pd_sum)| {
            b.approved_ppm = ppm(b.approved as i64, b.applicants as i64);
            b.late_ppm = ppm(b.late as i64, b.approved as i64);
            b.bad_ppm = ppm(b.bad as i64, b.approved as i64);
            b.mean_pd_ppm = pd_sum / b.applicants as i64;
            b
        })
        .collect()
}

/// Rule hits by reason, most hits first (ties by name).
pub fn rule_hits(hits: &BTreeMap<String, (u64, u64)>) -> Vec<RuleHits> {
    let mut rows: Vec<RuleHits> = hits
        .iter()
        .map(|(reason, (fraud, genuine))| RuleHits {
            reason: reason.clone(),
            fraud: *fraud,
            genuine: *genuine,
            precision_ppm: ppm(*fraud as i64, (*fraud + *genuine) as i64),
        })
        .collect();
    rows.sort_by(|a, b| {
        (b.fraud + b.genuine)
            .cmp(&(a.fraud + a.genuine))
            .then(a.reason.cmp(&b.reason))
    });
    rows
}

/// The net yield over `daily_receivables` (one value per day of the run).
pub fn net_yield(income_fen: i64, charged_off_fen: i64, fraud_loss_fen: i64, daily_receivables: &[i64]) -> NetYield {
    let days = daily_receivables.len() as i64;
    let average = if days == 0 {
        0
    } else {
        daily_receivables.iter().sum::<i64>() / days
    };
    let net = income_fen - charged_off_fen - fraud_loss_fen;
    let annualised = |x: i64| ppm(x.saturating_mul(365), average.saturating_mul(days));
    NetYield {
        income_fen,
        charged_off_fen,
        fraud_loss_fen,
        net_fen: net,
        average_receivables_fen: average,
        days: days as u32,
        net_yield_ppm: annualised(net),
        loss_rate_ppm: annualised(charged_off_fen + fraud_loss_fen),
    }
}

/// What a run records for the analytics as it goes.
#[derive(Clone, Debug, Default)]
pub struct Log {
    /// (account, score, pd in ppm, approved) of every scored applicant.
    pub scored: Vec<(u64, i32, i64, bool)>,
    /// Opening day of every approved line.
    pub opened: BTreeMap<u64, Day>,
    /// Every bucket change: (account, day, new bucket).
    pub buckets: Vec<(u64, Day, Bucket)>,
    /// The month ends the run passed, and each account's bucket at each (from the bureau file).
    pub month_ends: Vec<Day>,
    pub month_buckets: Vec<BTreeMap<u64, Bucket>>,
    /// Reason codes on payments' first attempts: (fraud, genuine).
    pub rule_hits: BTreeMap<String, (u64, u64)>,
    /// Every payment decision's ground truth.
    pub ground_truth: Vec<crate::figures::GroundTruth>,
}

impl Log {
    /// The analytics of a run whose losses and daily figures are `fig`'s.
    pub fn analytics(&self, fig: &crate::figures::Figures) -> Analytics {
        let late = first_reached(&self.buckets, Bucket::M1);
        let bad = first_reached(&self.buckets, Bucket::M2);
        let scored: Vec<Scored> = self
            .scored
            .iter()
            .map(|(account, score, pd_ppm, approved)| Scored {
                score: *score,
                pd_ppm: *pd_ppm,
                approved: *approved,
                late: late.contains_key(account),
                bad: bad.contains_key(account),
            })
            .collect();
        let l = &fig.losses;
        let receivables: Vec<i64> = fig.daily.iter().map(|d| d.receivables_fen).collect();
        Analytics {
            vintages: vintages(&self.opened, &late, &self.month_ends),
            roll_matrix: roll_matrix(&self.month_buckets),
            calibration: calibration(&scored),
            rule_hits: rule_hits(&self.rule_hits),
            net_yield: net_yield(
                l.fee_income_fen + l.interest_income_fen + l.penalty_income_fen,
                l.charged_off_fen,
                l.fraud_loss_booked_fen,
                &receivables,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibration_bands_approval_and_realised_delinquency() {
        let s = |score, pd_ppm, approved, late, bad| Scored {
            score,
            pd_ppm,
            approved,
            late,
            bad,
        };
        let bands = calibration(&[
            s(480, 300_000, false, false, false),
            s(499, 200_000, true, true, true),
            s(500, 100_000, true, false, false),
            s(549, 50_000, true, true, false),
            s(720, 10_000, true, false, false),
        ]);
        let names: Vec<&str> = bands.iter().map(|b| b.band.as_str()).collect();
        assert_eq!(names, ["<500", "500-549", "700+"]);
        let low = &bands[0];
        assert_eq!((low.applicants, low.approved, low.approved_ppm), (2, 1, 500_000));
        assert_eq!(
            (low.late_ppm, low.bad_ppm, low.mean_pd_ppm),
            (1_000_000, 1_000_000, 250_000)
        );
        let mid = &bands[1];
        assert_eq!(
            (mid.approved_ppm, mid.late, mid.late_ppm, mid.bad),
            (1_000_000, 1, 500_000, 0)
        );
        assert_eq!(mid.mean_pd_ppm, 75_000);
    }

    #[test]
    fn rule_hits_are_sorted_by_hits_with_their_precision() {
        let hits = BTreeMap::from([
            ("A".to_owned(), (1, 3)),
            ("B".to_owned(), (9, 1)),
            ("C".to_owned(), (2, 2)),
        ]);
        let rows = rule_hits(&hits);
        let order: Vec<&str> = rows.iter().map(|r| r.reason.as_str()).collect();
        assert_eq!(order, ["B", "A", "C"]);
        assert_eq!(rows[0].precision_ppm, 900_000);
        assert_eq!(rows[1].precision_ppm, 250_000);
    }

    #[test]
    fn the_net_yield_is_annualised_on_the_average_receivable() {
        // 73 days, 1,000.00 owed on average; income 30.00, charge-offs 5.00, fraud 5.00:
        // net 20.00 over 73 days is 100.00 a year: 10%.
        let daily = vec![100_000; 73];
        let y = net_yield(3_000, 500, 500, &daily);
        assert_eq!((y.net_fen, y.average_receivables_fen, y.days), (2_000, 100_000, 73));
        assert_eq!(y.net_yield_ppm, 100_000);
        assert_eq!(y.loss_rate_ppm, 50_000);
        assert_eq!(net_yield(0, 0, 0, &[]).net_yield_ppm, 0);
    }
}
