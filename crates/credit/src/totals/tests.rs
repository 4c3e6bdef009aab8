//! The totals against an independent oracle: the same commands on a book that keeps every
//! statement. Whatever the kept book dropped, its costs per year, plan schedules and the
//! figures of every statement (a dropped one's from its close's balance and due date) must
//! equal the oracle's.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use money::schedule::{Method, PeriodRate};
use money::{Amount, Rate};

use crate::{AccountId, Book, Command, MerchantId, OpId, PlanChoice, Product, TxnId};

const ACCOUNT: AccountId = AccountId(1);

/// The same commands on two books: the product's (24 statements kept) and one keeping all.
struct Twin {
    kept: Book,
    all: Book,
    n: u64,
}

impl Twin {
    fn new() -> Twin {
        let zone = TimeZone::fixed(jiff::tz::offset(8));
        let all = Product {
            statements_kept: 1_000,
            ..Product::default()
        };
        let mut twin = Twin {
            kept: Book::new(Product::default(), zone.clone()),
            all: Book::new(all, zone),
            n: 0,
        };
        let open = Command::OpenAccount {
            account: ACCOUNT,
            limit: Amount::from_fen(10_000_000),
            billing_day: 5,
        };
        twin.on("2026-01-01T10:00", &open);
        twin
    }

    fn on(&mut self, at: &str, command: &Command) {
        let at: Timestamp = format!("{at}:00+08:00").parse().unwrap();
        self.kept.apply(at, command, &mut Vec::new()).unwrap();
        self.all.apply(at, command, &mut Vec::new()).unwrap();
    }

    fn next(&mut self) -> u64 {
        self.n += 1;
        self.n
    }

    fn buy(&mut self, at: &str, fen: i64, plan: Option<PlanChoice>) {
        let txn = TxnId(self.next());
        let amount = Amount::from_fen(fen);
        let authorize = Command::Authorize {
            account: ACCOUNT,
            txn,
            merchant: MerchantId(7),
            amount,
            plan,
        };
        self.on(at, &authorize);
        self.on(
            at,
            &Command::Capture {
                account: ACCOUNT,
                txn,
                amount,
            },
        );
    }

    /// Pays what the latest statement still asks (nothing if it is paid).
    fn pay_latest(&mut self, at: &str) {
        let account = self.kept.account(ACCOUNT).unwrap();
        let Some(latest) = account.latest_statement() else {
            return;
        };
        let owed = account.statement_figures(latest.seq).unwrap().remaining;
        if owed.is_positive() {
            let op = OpId(self.next());
            let repay = Command::Repay {
                account: ACCOUNT,
                op,
                amount: owed,
            };
            self.on(at, &repay);
        }
    }
}

fn twelve_at_half_percent() -> Option<PlanChoice> {
    Some(PlanChoice {
        periods: 12,
        method: Method::FlatFee,
        rate: Some(PeriodRate::per_period(Rate::from_ppm(5_000))),
    })
}

#[test]
fn costs_per_year_schedules_and_statement_figures_stay_complete_past_24_statements() {
    let mut twin = Twin::new();
    twin.buy("2026-01-02T10:00", 120_000, twelve_at_half_percent());
    // 31 months: a purchase every month, paid in full after each statement but two (their
    // interest and penalties are charged), a second plan in the second year.
    for month in 0..31 {
        let (year, m) = (2026 + month / 12, 1 + month % 12);
        twin.buy(&format!("{year}-{m:02}-02T10:00"), 10_000 + i64::from(month), None);
        if month == 12 {
            twin.buy(&format!("{year}-{m:02}-02T11:00"), 240_000, twelve_at_half_percent());
        }
        twin.on(&format!("{year}-{m:02}-06T00:10"), &Command::Advance);
        if month != 14 && month != 15 {
            twin.pay_latest(&format!("{year}-{m:02}-08T10:00"));
        }
        twin.on(&format!("{year}-{m:02}-28T00:10"), &Command::Advance);
    }
    let kept = twin.kept.account(ACCOUNT).unwrap();
    let all = twin.all.account(ACCOUNT).unwrap();
    assert_eq!(kept.last_seq, 31);
    assert_eq!(kept.statements.len(), 24, "the product keeps 24");
    assert_eq!(all.statements.len(), 31);

    // Costs per year: complete from statement 1, equal to the oracle's, summing to date.
    let by_year = kept.costs_by_year();
    assert_eq!(by_year, all.costs_by_year());
    assert_eq!(by_year.from_statement, 1);
    // The second plan's fees end in 2027; 2028 is paid in full.
    assert_eq!(by_year.years.iter().map(|y| y.year).collect::<Vec<_>>(), [2026, 2027]);
    let net: Amount = by_year.years.iter().map(|y| y.net()).sum();
    assert_eq!(net, kept.costs_to_date().total());
    assert!(
        by_year.years[1].charged.interest.is_positive(),
        "the unpaid months charged interest"
    );
    assert!(by_year.years[1].charged.penalties.is_positive());

    // Every statement's figures now, the dropped ones from their close.
    for statement in &all.statements {
        let ours = kept.closed_statement_figures(statement.seq, statement.balance, statement.due_date);
        assert_eq!(
            Some(ours),
            all.statement_figures(statement.seq),
            "statement {}",
            statement.seq
        );
    }
    // Every plan's schedule.
    for plan in &all.plans {
        assert_eq!(
            kept.plan_schedule(plan.id),
            all.plan_schedule(plan.id),
            "plan {:?}",
            plan.id
        );
    }
    // Nothing else differs but the statements kept and what the totals hold of the dropped.
    let mut trimmed = all.clone();
    trimmed.statements.drain(..7);
    trimmed.totals = kept.totals.clone();
    assert_eq!(&trimmed, kept);
    assert_eq!(kept.totals.costs_from, 1);
    assert!(!kept.totals.dropped_years.is_empty());
}
