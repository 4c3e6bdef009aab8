//! The portfolio as operators' dashboards read it, from the read models: accounts by
//! delinquency bucket now, each month end's buckets rebuilt from the bucket changes, the
//! roll-rate matrix and vintage curves (`credit::portfolio`, the functions the simulator's
//! report uses), and fraud lost (confirmed thefts' exempted purchases) and stopped
//! (interceptions). Every read is bounded by a row cap; a cap reached says `truncated`.

use std::collections::BTreeMap;

use credit::Day;
use credit::calendar::Clock;
use credit::delinquency::Bucket;
use credit::portfolio::{RollCell, Vintage, first_reached, roll_matrix, vintages};
use jiff::Timestamp;
use store::ReadModels;
use store::views::BucketRow;

use crate::error::EngineError;

/// The most accounts and bucket changes one report reads.
pub const ROWS_MAX: usize = 1_000_000;
/// The most month ends one report covers (the newest kept).
pub const MONTHS_MAX: usize = 24;

/// The portfolio as of a day.
#[derive(Clone, Debug, Default)]
pub struct Portfolio {
    pub as_of: Option<Day>,
    pub buckets: Vec<BucketRow>,
    /// The month ends covered, oldest first.
    pub month_ends: Vec<Day>,
    pub roll_matrix: Vec<RollCell>,
    pub vintages: Vec<Vintage>,
    pub fraud: store::views::FraudRow,
    /// A row cap was reached: the figures cover part of the portfolio.
    pub truncated: bool,
}

/// Parses a bucket as the read models write it.
pub fn bucket_named(name: &str) -> Option<Bucket> {
    [
        Bucket::Current,
        Bucket::Grace,
        Bucket::M1,
        Bucket::M2,
        Bucket::M3,
        Bucket::M3Plus,
        Bucket::ChargedOff,
    ]
    .into_iter()
    .find(|b| b.as_str() == name)
}

/// The last day of each month from `first`'s month through the last month ended by `today`
/// (at most [`MONTHS_MAX`], the newest).
pub fn month_ends_between(first: Day, today: Day) -> Vec<Day> {
    let (mut y, mut m, _) = first.year_month_day();
    let mut ends = Vec::new();
    loop {
        let end = Day::ymd(y, m, credit::calendar::days_in_month(y, m));
        if end >= today {
            break;
        }
        ends.push(end);
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    let skip = ends.len().saturating_sub(MONTHS_MAX);
    ends.split_off(skip)
}

/// Each account's bucket at each month end: the last change on or before it, `current` for an
/// account opened by then with none.
pub fn month_buckets(
    opened: &BTreeMap<u64, Day>,
    changes: &[(u64, Day, Bucket)],
    ends: &[Day],
) -> Vec<BTreeMap<u64, Bucket>> {
    let mut by_account: BTreeMap<u64, Vec<(Day, Bucket)>> = BTreeMap::new();
    for (account, day, bucket) in changes {
        by_account.entry(*account).or_default().push((*day, *bucket));
    }
    ends.iter()
        .map(|end| {
            opened
                .iter()
                .filter(|(_, day)| *day <= end)
                .map(|(account, _)| {
                    let bucket = by_account
                        .get(account)
                        .and_then(|c| c.iter().rev().find(|(d, _)| d <= end))
                        .map_or(Bucket::Current, |(_, b)| *b);
                    (*account, bucket)
                })
                .collect()
        })
        .collect()
}

/// The portfolio as of `now` on `clock`'s calendar, from the read models.
pub fn report(read: &mut dyn ReadModels, clock: &Clock, now: Timestamp) -> Result<Portfolio, EngineError> {
    let today = clock.day_of(now);
    let buckets = store::views::buckets(read)?;
    let openings = store::views::openings(read, ROWS_MAX)?;
    let raw = store::views::bucket_changes(read, ROWS_MAX)?;
    let truncated = openings.len() >= ROWS_MAX || raw.len() >= ROWS_MAX;
    let opened: BTreeMap<u64, Day> = openings
        .iter()
        .filter_map(|(a, ms)| Timestamp::from_millisecond(*ms).ok().map(|t| (*a, clock.day_of(t))))
        .collect();
    let changes: Vec<(u64, Day, Bucket)> = raw
        .iter()
        .filter_map(|(a, day, to)| Some((*a, day.parse::<Day>().ok()?, bucket_named(to)?)))
        .collect();
    let ends = opened
        .values()
        .min()
        .map_or_else(Vec::new, |first| month_ends_between(*first, today));
    let late = first_reached(&changes, Bucket::M1);
    Ok(Portfolio {
        as_of: Some(today),
        buckets,
        roll_matrix: roll_matrix(&month_buckets(&opened, &changes, &ends)),
        vintages: vintages(&opened, &late, &ends),
        month_ends: ends,
        fraud: store::views::fraud(read)?,
        truncated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u8, day: u8) -> Day {
        Day::ymd(y, m, day)
    }

    #[test]
    fn month_ends_stop_before_today_and_keep_the_newest() {
        assert_eq!(
            month_ends_between(d(2026, 1, 15), d(2026, 3, 31)),
            vec![d(2026, 1, 31), d(2026, 2, 28)]
        );
        assert_eq!(month_ends_between(d(2026, 3, 2), d(2026, 3, 20)), Vec::<Day>::new());
        let long = month_ends_between(d(2020, 1, 1), d(2026, 1, 1));
        assert_eq!((long.len(), long[23]), (MONTHS_MAX, d(2025, 12, 31)));
    }

    #[test]
    fn month_buckets_take_the_last_change_by_each_end() {
        let opened = BTreeMap::from([(1, d(2026, 1, 5)), (2, d(2026, 2, 10))]);
        let changes = [
            (1, d(2026, 1, 20), Bucket::Grace),
            (1, d(2026, 1, 24), Bucket::M1),
            (1, d(2026, 2, 3), Bucket::Current),
            (2, d(2026, 3, 1), Bucket::M1),
        ];
        let ends = [d(2026, 1, 31), d(2026, 2, 28)];
        let months = month_buckets(&opened, &changes, &ends);
        assert_eq!(months[0], BTreeMap::from([(1, Bucket::M1)]));
        assert_eq!(months[1], BTreeMap::from([(1, Bucket::Current), (2, Bucket::Current)]));
        let cells = roll_matrix(&months);
        assert_eq!(cells.len(), 1);
        assert!(cells[0].cure && cells[0].from == "M1" && cells[0].to == "current");
    }

    #[test]
    fn every_bucket_name_parses_back() {
        for name in ["current", "grace", "M1", "M2", "M3", "M3+", "charged_off"] {
            assert_eq!(bucket_named(name).map(Bucket::as_str), Some(name));
        }
        assert_eq!(bucket_named("M4"), None);
    }
}
