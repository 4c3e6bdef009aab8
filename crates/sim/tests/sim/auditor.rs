//! The auditor can fail: real answers from a credit book pass, each corrupted answer in the
//! table is caught.

use credit::{AccountId, Allocation, Book, Command, Event, MerchantId, OpId, Product, TxnId};
use engine::{EngineRejection, Op, Outcome, Payer, Request, TxnAction};
use jiff::Timestamp;
use money::Amount;
use sim::auditor::Auditor;
use sim::driver::{Answer, Call};

const ACCOUNT: AccountId = AccountId(1);

fn at() -> Timestamp {
    "2026-03-02T10:00:00+08:00".parse().unwrap()
}

/// A request as the simulator sends it, and the book's real answer to the command.
fn exchange(book: &mut Book, request: Request, command: Command) -> (Call, Answer) {
    let mut events = Vec::new();
    let outcome = match book.apply(at(), &command, &mut events) {
        Ok(()) => Outcome::Applied {
            op: Op::Credit(command),
            events,
        },
        Err(rejection) => Outcome::Rejected {
            rejection: EngineRejection::Credit(rejection),
        },
    };
    (Call::plain(request), Answer { outcome, risk: None })
}

/// The request the simulator sends for a credit command (a merchant's capture or refund is a
/// transaction action of merchant 1).
fn request_of(command: &Command) -> Request {
    let merchant = MerchantId(1);
    match *command {
        Command::Capture { txn, amount, .. } => Request::Txn {
            merchant,
            txn,
            action: TxnAction::Capture { amount },
        },
        Command::Refund { txn, op, amount, .. } => Request::Txn {
            merchant,
            txn,
            action: TxnAction::Refund { op, amount },
        },
        _ => Request::from_command(command.clone()).unwrap(),
    }
}

fn authorize(txn: u64, fen: i64) -> (Request, Command) {
    let request = Request::Authorize {
        payer: Payer::Account(ACCOUNT),
        merchant: MerchantId(1),
        amount: Amount::from_fen(fen),
        plan: None,
        reference: None,
    };
    let command = Command::Authorize {
        account: ACCOUNT,
        txn: TxnId(txn),
        merchant: MerchantId(1),
        amount: Amount::from_fen(fen),
        plan: None,
    };
    (request, command)
}

/// An opened line of 1,000 yuan with a 600-yuan purchase captured, all seen by the auditor.
fn setup() -> (Book, Auditor, Vec<(Call, Answer)>) {
    let mut book = Book::new(Product::default(), jiff::tz::TimeZone::fixed(jiff::tz::offset(8)));
    let mut auditor = Auditor::new(Product::default());
    let open = Command::OpenAccount {
        account: ACCOUNT,
        limit: Amount::yuan(1_000),
        billing_day: 5,
    };
    let mut seen = vec![exchange(&mut book, request_of(&open), open)];
    let (request, command) = authorize(10, 60_000);
    seen.push(exchange(&mut book, request, command));
    let capture = Command::Capture {
        account: ACCOUNT,
        txn: TxnId(10),
        amount: Amount::yuan(600),
    };
    seen.push(exchange(&mut book, request_of(&capture), capture));
    for (step, (call, answer)) in seen.iter().enumerate() {
        auditor.observe(step as u64, call, answer).expect("real answers pass");
    }
    (book, auditor, seen)
}

fn events_mut(answer: &mut Answer) -> &mut Vec<Event> {
    match &mut answer.outcome {
        Outcome::Applied { events, .. } => events,
        other => panic!("not applied: {other:?}"),
    }
}

#[test]
fn real_answers_and_the_real_account_pass() {
    let (book, mut auditor, _) = setup();
    auditor.check_account(3, book.account(ACCOUNT).unwrap()).unwrap();
}

#[test]
fn every_corrupted_answer_is_caught() {
    type Corrupt = fn(&mut Book) -> (Call, Answer);
    let cases: [(&str, Corrupt); 5] = [
        ("an approval beyond what is available", |book| {
            // The book approves 300 of the 400 left; the answer claims 500 were approved.
            let (request, command) = authorize(11, 30_000);
            let (call, mut answer) = exchange(book, request, command);
            for e in events_mut(&mut answer) {
                if let Event::Authorized { amount, available, .. } = e {
                    *amount = Amount::yuan(500);
                    *available = Amount::ZERO;
                }
            }
            (call, answer)
        }),
        ("a wrong available credit after an approval", |book| {
            let (request, command) = authorize(12, 10_000);
            let (call, mut answer) = exchange(book, request, command);
            for e in events_mut(&mut answer) {
                if let Event::Authorized { available, .. } = e {
                    *available += Amount::from_fen(1);
                }
            }
            (call, answer)
        }),
        ("a decline for insufficient credit when the amount fits", |book| {
            let (request, command) = authorize(13, 10_000);
            let (call, _) = exchange(book, request, command);
            let answer = Answer {
                outcome: Outcome::Rejected {
                    rejection: EngineRejection::Credit(credit::Rejection::InsufficientAvailableCredit {
                        available: Amount::yuan(400),
                    }),
                },
                risk: None,
            };
            (call, answer)
        }),
        ("a repayment allocated more than was paid", |book| {
            let repay = Command::Repay {
                account: ACCOUNT,
                op: OpId(1),
                amount: Amount::yuan(100),
            };
            let (call, mut answer) = exchange(book, request_of(&repay), repay);
            for e in events_mut(&mut answer) {
                if let Event::Repaid { allocation, .. } = e {
                    *allocation = Allocation {
                        credit_balance: allocation.credit_balance + Amount::from_fen(1),
                        ..*allocation
                    };
                }
            }
            (call, answer)
        }),
        ("a capture of more than the hold", |book| {
            let (request, command) = authorize(14, 10_000);
            let _ = exchange(book, request, command);
            let capture = Command::Capture {
                account: ACCOUNT,
                txn: TxnId(14),
                amount: Amount::yuan(100),
            };
            let (call, mut answer) = exchange(book, request_of(&capture), capture);
            for e in events_mut(&mut answer) {
                if let Event::Captured { released, .. } = e {
                    *released += Amount::from_fen(5);
                }
            }
            (call, answer)
        }),
    ];
    for (what, corrupt) in cases {
        let (mut book, mut auditor, _) = setup();
        let (call, answer) = corrupt(&mut book);
        assert!(auditor.observe(99, &call, &answer).is_err(), "not caught: {what}");
    }
}

#[test]
fn an_account_that_moved_behind_the_auditors_back_is_caught() {
    let (mut book, mut auditor, _) = setup();
    let repay = Command::Repay {
        account: ACCOUNT,
        op: OpId(2),
        amount: Amount::yuan(50),
    };
    let _unseen = exchange(&mut book, request_of(&repay), repay);
    // The repayment is not in the statement yet, so it paid nothing billed: principal is
    // unchanged. A refund, though, lowers unbilled principal at once.
    let refund = Command::Refund {
        account: ACCOUNT,
        txn: TxnId(10),
        op: OpId(3),
        amount: Amount::yuan(100),
    };
    let _unseen = exchange(&mut book, request_of(&refund), refund);
    let error = auditor.check_account(5, book.account(ACCOUNT).unwrap()).unwrap_err();
    assert!(error.what.contains("principal"), "{error}");
    assert_eq!(error.step, 5);
}

#[test]
fn the_book_check_compares_cash_and_merchant_payables_with_the_tallies() {
    let (book, mut auditor, _) = setup();
    let accounts = vec![Box::new(book.account(ACCOUNT).unwrap().clone())];
    auditor.check_book(4, &accounts).unwrap();
    // The tallies say more was captured than the ledger shows.
    auditor.captured += Amount::from_fen(1);
    let error = auditor.check_book(4, &accounts).unwrap_err();
    assert!(error.what.contains("merchants are owed"), "{error}");
}

#[test]
fn a_statement_that_does_not_add_up_is_caught() {
    let (mut book, mut auditor, _) = setup();
    let later: Timestamp = "2026-03-06T10:00:00+08:00".parse().unwrap();
    book.apply(later, &Command::Advance, &mut Vec::new()).unwrap();
    let mut account = book.account(ACCOUNT).unwrap().clone();
    assert_eq!(account.statements.len(), 1);
    auditor.check_account(4, &account).expect("the real statement adds up");
    assert_eq!(auditor.statements_checked, 1);
    // The bug of issue 17: a refund of principal not yet billed, netted into the purchase and
    // counted as a credit too.
    let statement = account.statements.back_mut().unwrap();
    statement.credits += Amount::yuan(100);
    statement.seq += 1;
    account.last_seq += 1;
    // The core's invariants (which the auditor runs first) and the auditor's own face check
    // both name it.
    let caught = auditor.check_account(5, &account).unwrap_err();
    assert!(caught.what.contains("statement 2"), "{caught}");
}
