//! The credit-bureau file at each month end: on the month's last day, every account the run
//! opened is read from the system (as the engine holds it: restated by any fraud exemption),
//! turned into its record by the `bureau` crate, the file rendered and read back as a
//! receiver would (its trailer must add up), and its figures kept for the report.

use credit::Day;

use super::Simulation;
use crate::figures::BureauMonth;
use crate::link::SimError;

/// The lender code of the simulator's files.
const LENDER: &str = "IOU";

impl Simulation<'_, '_> {
    /// On a month's last day, produces that month's file and records its figures.
    pub(super) fn bureau_month_end(&mut self) -> Result<(), SimError> {
        let today = self.today();
        if today.next().day_of_month() != 1 {
            return Ok(());
        }
        let month = bureau::Month::of(today);
        let ids = self.link.auditor.accounts();
        let accounts = self.link.accounts(&ids)?;
        let lender = bureau::Lender::new(LENDER, 0).expect("a valid lender code");
        let product = self.link.product().clone();
        let records = accounts
            .iter()
            .flatten()
            .filter(|a| a.opened_on <= today)
            .map(|a| bureau::record(a, &product, &lender, month))
            .collect();
        let file = bureau::File::new(LENDER, month, records);
        self.log.month_ends.push(today);
        self.log
            .month_buckets
            .push(file.records.iter().map(|r| (r.account, r.bucket)).collect());
        let figures = month_figures(&file, today)?;
        self.fig.bureau.push(figures);
        Ok(())
    }
}

/// The file's figures, after rendering it and reading it back (a file that does not read back
/// or whose trailer does not add up stops the run).
fn month_figures(file: &bureau::File, day: Day) -> Result<BureauMonth, SimError> {
    let text = file.render().map_err(|e| SimError::Bureau(format!("{day}: {e}")))?;
    let read = bureau::parse(&text).map_err(|e| SimError::Bureau(format!("{day}: {e}")))?;
    let trailer = read.trailer();
    Ok(BureauMonth {
        month: file.month.to_string(),
        records: trailer.records,
        by_status: file
            .counts_by_status()
            .into_iter()
            .map(|(status, n)| (status.name().to_owned(), n))
            .collect(),
        fraud_exempt: trailer.fraud_exempt,
        current_balance_fen: trailer.current_balance.fen(),
        past_due_fen: trailer.past_due.fen(),
        charge_off_fen: trailer.charge_off.fen(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bureau::{AccountRecord, Month, Status};
    use credit::delinquency::Bucket;
    use money::Amount;

    fn record(account: u64, status: Status, balance: i64, exempt: bool) -> AccountRecord {
        AccountRecord {
            account,
            reference: 0,
            opened_on: Day::ymd(2026, 1, 1),
            credit_limit: Amount::from_fen(100_000),
            highest_balance: Amount::from_fen(balance),
            current_balance: Amount::from_fen(balance),
            past_due: Amount::from_fen(if status == Status::Current { 0 } else { balance / 10 }),
            dpd: 0,
            bucket: Bucket::Current,
            status,
            charge_off: Amount::ZERO,
            fraud_exempt: exempt,
            hardship: false,
            first_delinquency: None,
            reported_on: Day::ymd(2026, 1, 31),
        }
    }

    #[test]
    fn a_month_is_counted_by_status() {
        let month: Month = "2026-01".parse().unwrap();
        let file = bureau::File::new(
            LENDER,
            month,
            vec![
                record(3, Status::Current, 1_000, true),
                record(1, Status::Late30, 5_000, false),
                record(2, Status::Current, 0, false),
            ],
        );
        let f = month_figures(&file, month.last_day()).unwrap();
        assert_eq!(f.month, "2026-01");
        assert_eq!((f.records, f.fraud_exempt), (3, 1));
        assert_eq!(f.by_status["current"], 2);
        assert_eq!(f.by_status["late_30"], 1);
        assert_eq!(f.by_status["charged_off"], 0);
        assert_eq!(f.by_status.len(), 6);
        assert_eq!((f.current_balance_fen, f.past_due_fen), (6_000, 500));
    }
}
