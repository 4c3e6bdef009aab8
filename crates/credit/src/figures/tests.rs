//! The figures of `figures.rs` on small accounts whose every fen is worked out by hand in the
//! comments.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use money::schedule::{Method, PeriodRate};
use money::{Amount, Rate};

use crate::figures::{Costs, StatementFigures};
use crate::{AccountId, Book, Command, MerchantId, OpId, PlanChoice, PlanId, Product, TxnId};

const ACCOUNT: AccountId = AccountId(1);

fn fen(f: i64) -> Amount {
    Amount::from_fen(f)
}

struct Run {
    book: Book,
    op: u64,
}

impl Run {
    /// A line of 10,000.00 closing on the 5th, opened on 2026-01-01.
    fn new() -> Run {
        let mut run = Run {
            book: Book::new(Product::default(), TimeZone::fixed(jiff::tz::offset(8))),
            op: 0,
        };
        let open = Command::OpenAccount {
            account: ACCOUNT,
            limit: fen(1_000_000),
            billing_day: 5,
        };
        run.on("2026-01-01T10:00", open);
        run
    }

    fn on(&mut self, at: &str, command: Command) {
        let at: Timestamp = format!("{at}:00+08:00").parse().unwrap();
        self.book.apply(at, &command, &mut Vec::new()).unwrap();
    }

    fn day(&mut self, at: &str) {
        self.on(at, Command::Advance);
    }

    fn buy(&mut self, at: &str, txn: u64, amount: i64, plan: Option<PlanChoice>) {
        let (txn, amount) = (TxnId(txn), fen(amount));
        let authorize = Command::Authorize {
            account: ACCOUNT,
            txn,
            merchant: MerchantId(7),
            amount,
            plan,
        };
        self.on(at, authorize);
        self.on(
            at,
            Command::Capture {
                account: ACCOUNT,
                txn,
                amount,
            },
        );
    }

    fn next_op(&mut self) -> OpId {
        self.op += 1;
        OpId(self.op)
    }

    fn repay(&mut self, at: &str, amount: i64) {
        let op = self.next_op();
        self.on(
            at,
            Command::Repay {
                account: ACCOUNT,
                op,
                amount: fen(amount),
            },
        );
    }

    fn refund(&mut self, at: &str, txn: u64, amount: i64) {
        let op = self.next_op();
        self.on(
            at,
            Command::Refund {
                account: ACCOUNT,
                txn: TxnId(txn),
                op,
                amount: fen(amount),
            },
        );
    }

    fn figures(&self, seq: u32) -> StatementFigures {
        self.book.account(ACCOUNT).unwrap().statement_figures(seq).unwrap()
    }

    fn statuses(&self, plan: u64) -> Vec<&'static str> {
        let account = self.book.account(ACCOUNT).unwrap();
        let schedule = account.plan_schedule(PlanId(plan)).unwrap();
        schedule.iter().map(|p| p.status.as_str()).collect()
    }
}

fn twelve_at_half_percent() -> Option<PlanChoice> {
    Some(PlanChoice {
        periods: 12,
        method: Method::FlatFee,
        rate: Some(PeriodRate::per_period(Rate::from_ppm(5_000))),
    })
}

fn figures(remaining: i64, paid: i64, minimum: i64, past_due: i64, carried: i64) -> StatementFigures {
    StatementFigures {
        remaining: fen(remaining),
        paid_since_close: fen(paid),
        minimum_remaining: fen(minimum),
        past_due: fen(past_due),
        carried_principal: fen(carried),
    }
}

#[test]
fn a_statement_stands_as_payments_and_due_dates_pass() {
    let mut run = Run::new();
    run.buy("2026-01-02T10:00", 1, 100_000, None);
    // Statement 1 closes on 01-05: 1,000.00, minimum 10% = 100.00, due 01-14.
    run.day("2026-01-06T00:10");
    assert_eq!(run.figures(1), figures(100_000, 0, 10_000, 0, 0));
    run.repay("2026-01-07T10:00", 3_000);
    assert_eq!(run.figures(1), figures(97_000, 3_000, 7_000, 0, 0));
    // 01-15 is DPD 1: the 70.00 left of the minimum is past due.
    run.day("2026-01-15T00:10");
    assert_eq!(run.figures(1), figures(97_000, 3_000, 7_000, 7_000, 0));
    // Statement 2 (02-05) carries the 970.00 of principal; its minimum holds the 70.00 past
    // due; nothing of it is paid yet.
    run.day("2026-02-06T00:10");
    let account = run.book.account(ACCOUNT).unwrap();
    let two = account.statement(2).unwrap().clone();
    let want = figures(two.balance.fen(), 0, two.minimum.fen(), 7_000, 97_000);
    assert_eq!(run.figures(2), want);
    assert_eq!(run.figures(1), figures(97_000, 3_000, 7_000, 7_000, 0));
    // 80.00 paid: the past due first (70.00 of statement 1's principal), then 10.00 through
    // the waterfall (statement 2's interest and penalty before any principal).
    run.repay("2026-02-07T10:00", 8_000);
    assert_eq!(run.figures(1), figures(90_000, 10_000, 0, 0, 0));
    let after = run.figures(2);
    assert_eq!(after.paid_since_close, fen(8_000));
    assert_eq!(after.minimum_remaining, two.minimum - fen(8_000));
    assert_eq!((after.past_due, after.carried_principal), (fen(0), fen(90_000)));
}

#[test]
fn a_plan_schedule_keeps_its_cancelled_and_paid_off_periods() {
    let mut run = Run::new();
    // 1,200.00 in 12 at 0.5%: 100.00 + 6.00 a period.
    run.buy("2026-01-02T10:00", 1, 120_000, twelve_at_half_percent());
    run.day("2026-01-06T00:10");
    // 250.00 refunded: periods 12 and 11 to zero (cancelled), 10 to 50.00.
    run.refund("2026-01-07T10:00", 1, 25_000);
    let mut want = vec!["billed"];
    want.extend(["scheduled"; 9]);
    want.extend(["cancelled"; 2]);
    assert_eq!(run.statuses(1), want);
    let account = run.book.account(ACCOUNT).unwrap();
    let schedule = account.plan_schedule(PlanId(1)).unwrap();
    assert_eq!(schedule[0].unpaid, fen(10_600));
    assert_eq!(
        (schedule[9].original.principal, schedule[9].current.principal),
        (fen(10_000), fen(5_000))
    );
    assert_eq!(
        (schedule[11].original.fee, schedule[11].current.fee),
        (fen(600), fen(0))
    );
    // Period 1 paid, then the plan paid off: 850.00 of unbilled principal with nothing billed.
    run.repay("2026-01-08T10:00", 10_600);
    let op = run.next_op();
    let payoff = Command::EarlyPayoff {
        account: ACCOUNT,
        op,
        plan: PlanId(1),
        amount: fen(85_000),
    };
    run.on("2026-01-09T10:00", payoff);
    let mut want = vec!["paid"];
    want.extend(["paid_off"; 11]);
    assert_eq!(run.statuses(1), want);
}

#[test]
fn a_full_refund_cancels_the_rest_and_waives_the_fees_of_its_year() {
    let mut run = Run::new();
    run.buy("2026-01-02T10:00", 1, 120_000, twelve_at_half_percent());
    // Statement 1 (01-05) bills period 1 with its 6.00 fee.
    run.day("2026-01-06T00:10");
    let account = run.book.account(ACCOUNT).unwrap();
    let costs = Costs {
        fees: fen(600),
        ..Costs::default()
    };
    assert_eq!(account.costs_to_date(), costs);
    let by_year = account.costs_by_year();
    assert_eq!((by_year.years.len(), by_year.from_statement), (1, 1));
    assert_eq!(
        (by_year.years[0].year, by_year.years[0].charged, by_year.years[0].net()),
        (2026, costs, fen(600))
    );
    // The whole purchase refunded: the 6.00 fee is waived, the rest never billed.
    run.refund("2026-01-07T10:00", 1, 120_000);
    let account = run.book.account(ACCOUNT).unwrap();
    assert_eq!(account.costs_to_date(), Costs::default());
    let year = account.costs_by_year().years[0];
    assert_eq!(
        (year.charged.fees, year.waived, year.net()),
        (fen(600), fen(600), fen(0))
    );
    let mut want = vec!["paid"];
    want.extend(["cancelled"; 11]);
    assert_eq!(run.statuses(1), want);
}
