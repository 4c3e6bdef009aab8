//! Promises to pay on a real credit book: the limits when one is made, kept by payments from its
//! day to its date (several payments add up; a payment before it or after its date does not
//! count), broken when the date passes.

use collections::promise::PROMISE_MAX_DAYS;
use collections::{Promise, PromiseError, PromiseStatus};
use credit::{Account, AccountId, Book, Command, Day, MerchantId, OpId, Product, TxnId};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use money::Amount;

const ID: AccountId = AccountId(1);

fn at(day: Day) -> Timestamp {
    let (y, m, d) = day.year_month_day();
    format!("{y:04}-{m:02}-{d:02}T10:00:00+08:00").parse().unwrap()
}

struct Run {
    book: Book,
    day: Day,
    op: u64,
}

impl Run {
    /// 1,000.00 bought on 2026-01-02, billed 2026-01-05, due 2026-01-14, unpaid: DPD 1 on 01-15.
    fn delinquent_on(day: Day) -> Run {
        let mut run = Run {
            book: Book::new(Product::default(), TimeZone::fixed(jiff::tz::offset(8))),
            day: Day::ymd(2026, 1, 1),
            op: 0,
        };
        let open = Command::OpenAccount {
            account: ID,
            limit: Amount::from_fen(1_000_000),
            billing_day: 5,
        };
        run.apply(open);
        run.day = Day::ymd(2026, 1, 2);
        let (txn, amount) = (TxnId(9), Amount::from_fen(100_000));
        run.apply(Command::Authorize {
            account: ID,
            txn,
            merchant: MerchantId(7),
            amount,
            plan: None,
        });
        run.apply(Command::Capture {
            account: ID,
            txn,
            amount,
        });
        run.day = day;
        run.apply(Command::Advance);
        run
    }

    fn apply(&mut self, command: Command) {
        self.book.apply(at(self.day), &command, &mut Vec::new()).unwrap();
    }

    fn pay(&mut self, day: Day, fen: i64) {
        self.day = day;
        self.op += 1;
        let op = OpId(self.op);
        self.apply(Command::Repay {
            account: ID,
            op,
            amount: Amount::from_fen(fen),
        });
    }

    fn account(&self, day: Day) -> Account {
        self.book.account_at(ID, at(day)).unwrap().into_owned()
    }

    fn promise(&self, fen: i64, due_on: Day, existing: &[Promise]) -> Result<Promise, PromiseError> {
        let account = self.account(self.day);
        Promise::make(
            7,
            &account,
            Amount::from_fen(fen),
            due_on,
            self.day,
            existing,
            "op".into(),
        )
    }
}

#[test]
fn limits_when_made() {
    let today = Day::ymd(2026, 1, 20);
    let run = Run::delinquent_on(today);
    let table = [
        (0, today.add(5), PromiseError::AmountNotPositive),
        (-100, today.add(5), PromiseError::AmountNotPositive),
        (5_000, today.add(-1), PromiseError::DateInPast),
        (5_000, today.add(PROMISE_MAX_DAYS + 1), PromiseError::DateTooFar),
    ];
    for (fen, due_on, want) in table {
        assert_eq!(run.promise(fen, due_on, &[]), Err(want), "{fen} by {due_on:?}");
    }
    let ok = run.promise(5_000, today.add(PROMISE_MAX_DAYS), &[]).unwrap();
    assert_eq!(ok.status, PromiseStatus::Open);
    assert_eq!(run.promise(5_000, today, &[ok]), Err(PromiseError::PromiseOpen));
    let current = Run::delinquent_on(Day::ymd(2026, 1, 10));
    assert_eq!(
        current.promise(5_000, Day::ymd(2026, 1, 12), &[]),
        Err(PromiseError::NotInCollections)
    );
}

#[test]
fn kept_by_payments_up_to_its_date() {
    let today = Day::ymd(2026, 1, 20);
    let mut run = Run::delinquent_on(today);
    // A payment the same day before the promise is its baseline, not toward it.
    run.pay(today, 1_000);
    let mut promise = run.promise(6_000, Day::ymd(2026, 1, 25), &[]).unwrap();
    assert_eq!(promise.baseline, Amount::from_fen(1_000));
    run.pay(today, 2_500);
    run.pay(Day::ymd(2026, 1, 23), 3_000);
    assert!(!promise.judge(&run.account(Day::ymd(2026, 1, 23)), Day::ymd(2026, 1, 23)));
    assert_eq!(
        promise
            .paid(&run.account(Day::ymd(2026, 1, 23)), Day::ymd(2026, 1, 23))
            .fen(),
        5_500
    );
    run.pay(Day::ymd(2026, 1, 25), 500);
    // Judged days later, it is still the payments up to the date that count.
    let later = Day::ymd(2026, 2, 3);
    assert!(promise.judge(&run.account(later), later));
    assert_eq!(promise.status, PromiseStatus::Kept);
    assert_eq!(promise.settled_on, Some(later));
}

#[test]
fn broken_when_the_date_passes_short() {
    let today = Day::ymd(2026, 1, 20);
    let mut run = Run::delinquent_on(today);
    let mut promise = run.promise(6_000, Day::ymd(2026, 1, 25), &[]).unwrap();
    run.pay(Day::ymd(2026, 1, 24), 5_999);
    assert!(!promise.judge(&run.account(Day::ymd(2026, 1, 25)), Day::ymd(2026, 1, 25)));
    // A payment after the date does not rescue it.
    run.pay(Day::ymd(2026, 1, 26), 10_000);
    assert!(promise.judge(&run.account(Day::ymd(2026, 1, 26)), Day::ymd(2026, 1, 26)));
    assert_eq!(promise.status, PromiseStatus::Broken);
}
