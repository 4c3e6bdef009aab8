//! The hardship plan on small accounts: its refusals, its exact money, the re-age once the first
//! installment is paid, and the invariants after every step.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use money::Amount;

use crate::delinquency::Bucket;
use crate::invariants::check_account;
use crate::plan::{PlanSource, PlanStatus};
use crate::{AccountId, Book, Command, Event, MerchantId, OpId, PlanId, Product, Rejection, TxnId};

const ACCOUNT: AccountId = AccountId(1);
const PLAN: PlanId = PlanId(1 << 62);

fn fen(f: i64) -> Amount {
    Amount::from_fen(f)
}

fn at(day: &str) -> Timestamp {
    format!("{day}T10:00:00+08:00").parse().unwrap()
}

struct Run {
    book: Book,
    op: u64,
}

impl Run {
    /// A line of 10,000.00 closing on the 5th (due on the 14th), opened on 2026-01-01, with a
    /// pay-later purchase of 1,000.00 on 2026-01-02 billed on 2026-01-05 and nothing paid.
    fn delinquent() -> Run {
        let mut run = Run {
            book: Book::new(Product::default(), TimeZone::fixed(jiff::tz::offset(8))),
            op: 0,
        };
        let open = Command::OpenAccount {
            account: ACCOUNT,
            limit: fen(1_000_000),
            billing_day: 5,
        };
        run.ok("2026-01-01", open);
        let (txn, amount) = (TxnId(9), fen(100_000));
        let authorize = Command::Authorize {
            account: ACCOUNT,
            txn,
            merchant: MerchantId(7),
            amount,
            plan: None,
        };
        run.ok("2026-01-02", authorize);
        run.ok(
            "2026-01-02",
            Command::Capture {
                account: ACCOUNT,
                txn,
                amount,
            },
        );
        run
    }

    fn apply(&mut self, day: &str, command: Command) -> (Result<(), Rejection>, Vec<Event>) {
        let mut out = Vec::new();
        let result = self.book.apply(at(day), &command, &mut out);
        check_account(self.book.account(ACCOUNT).unwrap()).unwrap();
        (result, out)
    }

    fn ok(&mut self, day: &str, command: Command) -> Vec<Event> {
        let (result, out) = self.apply(day, command);
        result.unwrap();
        out
    }

    fn hardship(&mut self, day: &str, plan: PlanId, periods: u32) -> (Result<(), Rejection>, Vec<Event>) {
        let command = Command::HardshipPlan {
            account: ACCOUNT,
            plan,
            periods,
        };
        self.apply(day, command)
    }

    fn repay(&mut self, day: &str, amount: Amount) -> Vec<Event> {
        self.op += 1;
        let op = OpId(self.op);
        self.ok(
            day,
            Command::Repay {
                account: ACCOUNT,
                op,
                amount,
            },
        )
    }

    fn days(&mut self, from: &str, to: &str) {
        let (from, to) = (at(from), at(to));
        let mut day = from;
        while day <= to {
            self.book.apply(day, &Command::Advance, &mut Vec::new()).unwrap();
            check_account(self.book.account(ACCOUNT).unwrap()).unwrap();
            day = day.checked_add(jiff::SignedDuration::from_hours(24)).unwrap();
        }
    }

    fn dpd(&self) -> u32 {
        let account = self.book.account(ACCOUNT).unwrap();
        account.delinquency.dpd(account.day)
    }

    fn bucket(&self) -> Bucket {
        self.book.account(ACCOUNT).unwrap().delinquency.bucket
    }
}

#[test]
fn refusals_in_order() {
    let mut current = Run::delinquent();
    // Nothing is past due before the first due date has passed.
    assert_eq!(current.hardship("2026-01-10", PLAN, 6).0, Err(Rejection::NotDelinquent));
    let mut run = Run::delinquent();
    run.days("2026-01-03", "2026-02-01");
    assert_eq!(run.bucket(), Bucket::M1);
    let table = [
        (2, PLAN, Rejection::TermNotOffered),
        (13, PLAN, Rejection::TermNotOffered),
        (0, PLAN, Rejection::TermNotOffered),
        // A plan id the account already uses (the purchase's transaction id).
        (6, PlanId(9), Rejection::TxnExists),
    ];
    for (periods, plan, want) in table {
        let (result, events) = run.hardship("2026-02-01", plan, periods);
        assert_eq!(result, Err(want), "{periods} periods, plan {plan:?}");
        assert!(!events.iter().any(|e| matches!(e, Event::HardshipPlanned { .. })));
    }
    run.hardship("2026-02-01", PLAN, 6).0.unwrap();
    // Once a year at most, even with the plan's first installment unpaid and the account still
    // past due.
    let again = run.hardship("2026-02-02", PlanId(PLAN.0 + 1), 6).0;
    assert_eq!(again, Err(Rejection::HardshipTooRecent));

    let mut charged_off = Run::delinquent();
    charged_off.days("2026-01-03", "2026-07-20");
    assert!(charged_off.book.account(ACCOUNT).unwrap().is_charged_off());
    let (result, _) = charged_off.hardship("2026-07-20", PLAN, 6);
    assert_eq!(result, Err(Rejection::AccountChargedOff));
}

#[test]
fn re_ages_the_billed_principal_and_cures_when_the_first_installment_is_paid() {
    let mut run = Run::delinquent();
    run.days("2026-01-03", "2026-02-01");
    // Statement 1 (2026-01-05) billed 1,000.00 with a minimum of 100.00, unpaid since its due
    // date 2026-01-14: DPD 18 on 2026-02-01.
    assert_eq!(run.dpd(), 18);
    let before = run.book.account(ACCOUNT).unwrap().clone();
    let penalties_billed = before.dues.sum_kind(crate::dues::DueKind::Penalty);
    let interest_billed = before.dues.sum_kind(crate::dues::DueKind::Interest);
    let (result, events) = run.hardship("2026-02-01", PLAN, 3);
    result.unwrap();
    // 1,000.00 over 3 periods at 0%: 333.33, 333.33 and the remainder 333.34 on the last.
    let account = run.book.account(ACCOUNT).unwrap();
    let plan = account.plan(PLAN).unwrap();
    assert_eq!(plan.source, PlanSource::Hardship);
    let principal: Vec<i64> = plan.periods.iter().map(|p| p.principal.fen()).collect();
    assert_eq!(principal, vec![33_333, 33_333, 33_334]);
    assert!(plan.periods.iter().all(|p| p.fee.is_zero() && p.interest.is_zero()));
    assert_eq!(plan.billed, 1);
    let cure = fen(33_333) + penalties_billed + interest_billed;
    let planned = Event::HardshipPlanned {
        account: ACCOUNT,
        plan: PLAN,
        periods: 3,
        principal: fen(100_000),
        first_installment: fen(33_333),
        cure,
    };
    assert!(events.contains(&planned), "{events:?}");
    // No money moved: principal stays on the principal receivable.
    assert!(!events.iter().any(|e| matches!(e, Event::Posted { .. })));
    assert_eq!(account.ledger, before.ledger);
    assert_eq!(account.principal_owed(), before.principal_owed());
    assert_eq!(account.dues.total(), cure);
    // Still delinquent from the same due date until the cure amount is paid.
    assert_eq!(run.dpd(), 18);
    assert_eq!(account.hardship_plan().map(|p| p.id), Some(PLAN));

    run.repay("2026-02-02", cure - fen(1));
    assert_eq!(run.dpd(), 19);
    assert_eq!(run.bucket(), Bucket::M1);
    let events = run.repay("2026-02-02", fen(1));
    assert_eq!(run.dpd(), 0);
    assert_eq!(run.bucket(), Bucket::Current);
    assert!(events.iter().any(|e| matches!(
        e,
        Event::BucketChanged {
            to: Bucket::Current,
            ..
        }
    )));

    // The next two installments bill on the next statements like any plan's.
    // Statement 2 shows the re-age (1,000.00 credited into the plan), the first installment
    // billed on 2026-02-01 and the second at its close, and the revolving interest and penalty
    // of the days the principal was past due; its minimum is all of it.
    run.days("2026-02-03", "2026-02-06");
    let statement = run.book.account(ACCOUNT).unwrap().latest_statement().unwrap().clone();
    assert_eq!(statement.date, crate::Day::ymd(2026, 2, 5));
    assert_eq!(statement.plan_principal, fen(33_333 + 33_333));
    assert_eq!(statement.credits, fen(100_000));
    assert_eq!(statement.payments, cure);
    let charges = statement.interest + statement.penalties;
    assert!(charges.is_positive());
    assert_eq!(statement.balance, fen(33_333) + charges);
    assert_eq!(statement.minimum, statement.balance);
    run.repay("2026-02-10", statement.balance);
    run.days("2026-02-11", "2026-03-06");
    let account = run.book.account(ACCOUNT).unwrap();
    assert_eq!(account.latest_statement().unwrap().balance, fen(33_334));
    assert_eq!(account.plan(PLAN).unwrap().status, PlanStatus::FullyBilled);
    run.repay("2026-03-10", fen(33_334));
    let account = run.book.account(ACCOUNT).unwrap();
    assert!(account.dues.is_empty());
    assert_eq!(account.principal_owed(), Amount::ZERO);
    assert_eq!(account.hardship_plan(), None);
    assert_eq!(run.bucket(), Bucket::Current);
}

#[test]
fn unpaid_first_installment_keeps_counting_days_past_due() {
    let mut run = Run::delinquent();
    run.days("2026-01-03", "2026-02-10");
    // Statement 2 closed on 2026-02-05 and is due on 2026-02-14: the first installment is billed
    // on it (its due date has not passed).
    run.hardship("2026-02-10", PLAN, 12).0.unwrap();
    let first = run.book.account(ACCOUNT).unwrap().plan(PLAN).unwrap().periods[0].principal;
    // 1,000.00 / 12 = 83.33 (rounded down), the remainder 83.37 on the last.
    assert_eq!(first, fen(8_333));
    let last = run.book.account(ACCOUNT).unwrap().plan(PLAN).unwrap().periods[11].principal;
    assert_eq!(last, fen(100_000 - 11 * 8_333));
    run.days("2026-02-11", "2026-03-20");
    // 2026-01-15 is DPD 1: on 2026-03-20 the account is DPD 65 and in M3, never re-aged.
    assert_eq!(run.dpd(), 65);
    assert_eq!(run.bucket(), Bucket::M3);
}
