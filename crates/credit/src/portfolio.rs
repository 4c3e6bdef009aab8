//! Portfolio figures a risk manager reads first, as pure functions of bucket histories (each
//! tested on a small hand-made input): vintage curves by month of opening and the month-end
//! roll-rate matrix with its cures. The simulator's report and the API's portfolio route both
//! compute them here, from what each has (the simulator's log; the read models' delinquency
//! changes). Shares are integer parts per million, truncated (`ppm`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::calendar::Day;
use crate::delinquency::Bucket;

/// The accounts opened in one month, and the share of them that had been late (bucket M1 or
/// worse: a minimum unpaid past the grace days) by each later month end.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vintage {
    /// `YYYY-MM` of opening.
    pub cohort: String,
    pub accounts: u64,
    /// At the end of the opening month (months on book 0), of the next (1), ...: cumulative
    /// ever-late share in parts per million, for each month end the run reached.
    pub ever_late_ppm: Vec<i64>,
}

/// Accounts in bucket `from` at one month end and in `to` at the next.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollCell {
    pub from: String,
    pub to: String,
    pub accounts: u64,
    /// Of the accounts in `from` at the first month end.
    pub ppm: i64,
    /// A move to a better bucket (a cure).
    pub cure: bool,
}

/// `part / whole` in parts per million (0 for an empty whole).
pub fn ppm(part: i64, whole: i64) -> i64 {
    if whole == 0 {
        0
    } else {
        i64::try_from(i128::from(part) * 1_000_000 / i128::from(whole)).unwrap_or(i64::MAX)
    }
}

/// Vintage curves: `opened` is each account's opening day, `late` the first day it was M1 or
/// worse, `month_ends` the month ends the run reached (ascending). An account counts as ever
/// late at a month end if it first went late on or before it.
pub fn vintages(opened: &BTreeMap<u64, Day>, late: &BTreeMap<u64, Day>, month_ends: &[Day]) -> Vec<Vintage> {
    let mut cohorts: BTreeMap<(i32, u8), Vec<u64>> = BTreeMap::new();
    for (account, day) in opened {
        let (y, m, _) = day.year_month_day();
        cohorts.entry((y, m)).or_default().push(*account);
    }
    cohorts
        .into_iter()
        .map(|((y, m), accounts)| {
            let ends = month_ends
                .iter()
                .filter(|e| e.year_month_day().0 * 12 + i32::from(e.year_month_day().1) >= y * 12 + i32::from(m));
            let n = accounts.len() as i64;
            let ever_late_ppm = ends
                .map(|end| {
                    let late_by = accounts
                        .iter()
                        .filter(|a| late.get(a).is_some_and(|d| d <= end))
                        .count();
                    ppm(late_by as i64, n)
                })
                .collect();
            Vintage {
                cohort: format!("{y:04}-{m:02}"),
                accounts: n as u64,
                ever_late_ppm,
            }
        })
        .collect()
}

/// The roll-rate matrix over consecutive month ends: for each pair, each account in both is
/// counted from its bucket at the first to its bucket at the second. Cells with no account
/// are left out; each cell's share is of its row.
pub fn roll_matrix(month_ends: &[BTreeMap<u64, Bucket>]) -> Vec<RollCell> {
    let mut cells: BTreeMap<(Bucket, Bucket), u64> = BTreeMap::new();
    for pair in month_ends.windows(2) {
        for (account, from) in &pair[0] {
            if let Some(to) = pair[1].get(account) {
                *cells.entry((*from, *to)).or_default() += 1;
            }
        }
    }
    let mut rows: BTreeMap<Bucket, u64> = BTreeMap::new();
    for ((from, _), n) in &cells {
        *rows.entry(*from).or_default() += n;
    }
    cells
        .into_iter()
        .map(|((from, to), accounts)| RollCell {
            from: from.as_str().to_owned(),
            to: to.as_str().to_owned(),
            accounts,
            ppm: ppm(accounts as i64, rows[&from] as i64),
            cure: to < from,
        })
        .collect()
}

/// Accounts that ever reached a bucket at least as bad as `floor`, with the first day.
pub fn first_reached(history: &[(u64, Day, Bucket)], floor: Bucket) -> BTreeMap<u64, Day> {
    let mut first = BTreeMap::new();
    for (account, day, bucket) in history {
        if *bucket >= floor {
            first.entry(*account).or_insert(*day);
        }
    }
    first
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u8, day: u8) -> Day {
        Day::ymd(y, m, day)
    }

    #[test]
    fn vintages_count_each_cohort_ever_late_by_month_end() {
        // March: 4 accounts, one late in March, one in April; April: 2 accounts, one late in May.
        let opened = BTreeMap::from([
            (1, d(2026, 3, 2)),
            (2, d(2026, 3, 9)),
            (3, d(2026, 3, 20)),
            (4, d(2026, 3, 31)),
            (5, d(2026, 4, 1)),
            (6, d(2026, 4, 30)),
        ]);
        let late = BTreeMap::from([(1, d(2026, 3, 28)), (2, d(2026, 4, 30)), (6, d(2026, 5, 3))]);
        let ends = [d(2026, 3, 31), d(2026, 4, 30), d(2026, 5, 31)];
        let v = vintages(&opened, &late, &ends);
        assert_eq!(v.len(), 2);
        assert_eq!((v[0].cohort.as_str(), v[0].accounts), ("2026-03", 4));
        assert_eq!(v[0].ever_late_ppm, vec![250_000, 500_000, 500_000]);
        assert_eq!((v[1].cohort.as_str(), v[1].accounts), ("2026-04", 2));
        assert_eq!(v[1].ever_late_ppm, vec![0, 500_000]);
    }

    #[test]
    fn the_roll_matrix_counts_moves_between_month_ends_and_marks_cures() {
        use Bucket::*;
        let m1 = BTreeMap::from([(1, Current), (2, Current), (3, M1), (4, M1), (5, M2)]);
        let m2 = BTreeMap::from([(1, Current), (2, M1), (3, Current), (4, M2), (5, M3), (6, Current)]);
        let m3 = BTreeMap::from([(2, Current), (4, M3)]);
        let cells = roll_matrix(&[m1, m2, m3]);
        let cell = |f: &str, t: &str| cells.iter().find(|c| c.from == f && c.to == t).cloned();
        // From current: account 1 stays, account 2 rolls (first pair); the second pair's
        // current accounts (1, 3, 6) are not in the third month end.
        assert_eq!(cell("current", "current").unwrap().accounts, 1);
        assert_eq!(cell("current", "current").unwrap().ppm, 500_000);
        assert_eq!(cell("current", "M1").unwrap().accounts, 1);
        // From M1: 3 cures, 4 rolls (first pair), 2 cures (second pair): a row of 3.
        let cure = cell("M1", "current").unwrap();
        assert_eq!((cure.accounts, cure.ppm, cure.cure), (2, 666_666, true));
        assert_eq!(cell("M1", "M2").unwrap().accounts, 1);
        assert!(!cell("M1", "M2").unwrap().cure);
        assert_eq!(cell("M2", "M3").unwrap().accounts, 2);
        assert_eq!(cell("M2", "M3").unwrap().ppm, 1_000_000);
        assert_eq!(cells.len(), 5);
    }

    #[test]
    fn first_reached_keeps_the_first_day_at_or_past_the_floor() {
        let history = [
            (1, d(2026, 3, 1), Bucket::Grace),
            (1, d(2026, 3, 4), Bucket::M1),
            (1, d(2026, 4, 1), Bucket::M2),
            (2, d(2026, 3, 9), Bucket::M2),
        ];
        let m1 = first_reached(&history, Bucket::M1);
        assert_eq!(m1, BTreeMap::from([(1, d(2026, 3, 4)), (2, d(2026, 3, 9))]));
        let m2 = first_reached(&history, Bucket::M2);
        assert_eq!(m2[&1], d(2026, 4, 1));
        assert_eq!(m2.len(), 2);
    }
}
