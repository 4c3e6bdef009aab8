//! The SQLite read models for a realistic event stream: two partitions' books driven through
//! openings, authorizations, captures (one with a plan), a void, an expiry, a refund, closed
//! statements, a repayment and delinquency. Rows are checked against the events and against
//! the books themselves (balances views and ledger totals) as oracles.

use credit::ledger::LedgerAccount;
use credit::{AccountId, BalancesView, Book, Command, Event, MerchantId, OpId, PlanChoice, PlanId, TxnId};
use jiff::SignedDuration;
use money::Amount;
use money::schedule::Method;
use store::ReadModels;
use store::sqlite::SqliteBackend;

use super::workload::{Batch, Workload};

const A: AccountId = AccountId(11);
const B: AccountId = AccountId(12);
const C: AccountId = AccountId(21);

/// B's hardship plan.
const HARDSHIP: PlanId = PlanId(900);

fn days(n: i64) -> SignedDuration {
    SignedDuration::from_hours(24 * n)
}

/// Partition 1: accounts A and B through a month and a bit.
fn partition_one() -> (Workload, Vec<Batch>) {
    let mut w = Workload::new(1, 1);
    let plan = PlanChoice {
        periods: 3,
        method: Method::FlatFee,
        rate: None,
    };
    let mut batches = vec![w.batch(&[
        Command::OpenAccount {
            account: A,
            limit: Amount::yuan(10_000),
            billing_day: 10,
        },
        Command::OpenAccount {
            account: B,
            limit: Amount::yuan(5_000),
            billing_day: 20,
        },
    ])];
    w.wait(SignedDuration::from_mins(5));
    batches.push(w.batch(&[
        authorize(A, 1, 7, 1_000, None),
        authorize(A, 2, 8, 3_000, Some(plan)),
        authorize(B, 3, 7, 500, None),
        authorize(B, 5, 9, 200, None),
    ]));
    w.wait(SignedDuration::from_mins(5));
    batches.push(w.batch(&[
        Command::Capture {
            account: A,
            txn: TxnId(1),
            amount: Amount::yuan(800),
        },
        Command::Capture {
            account: A,
            txn: TxnId(2),
            amount: Amount::yuan(3_000),
        },
        Command::Void {
            account: B,
            txn: TxnId(3),
        },
        Command::Capture {
            account: B,
            txn: TxnId(5),
            amount: Amount::yuan(200),
        },
    ]));
    w.wait(SignedDuration::from_hours(1));
    batches.push(w.batch(&[
        authorize(B, 4, 9, 100, None),
        Command::Refund {
            account: A,
            txn: TxnId(1),
            op: OpId(1),
            amount: Amount::yuan(100),
        },
    ]));
    // 2026-01-11: A's statement of the 10th has closed, B's hold of the 1st has expired.
    w.wait(days(10));
    batches.push(w.batch(&[Command::Advance]));
    let balance = statement_balance(&batches, A);
    w.wait(days(2));
    batches.push(w.batch(&[Command::Repay {
        account: A,
        op: OpId(2),
        amount: balance,
    }]));
    // 2026-02-05: B's statement of 2026-01-20 was due on the 29th and is unpaid.
    w.wait(days(25));
    batches.push(w.batch(&[Command::Advance]));
    // B's billed principal re-aged into a hardship plan.
    w.wait(SignedDuration::from_hours(1));
    batches.push(w.batch(&[Command::HardshipPlan {
        account: B,
        plan: HARDSHIP,
        periods: 3,
    }]));
    (w, batches)
}

/// Partition 2: account C buys and repays part.
fn partition_two() -> (Workload, Vec<Batch>) {
    let mut w = Workload::new(2, 2);
    let mut batches = vec![w.batch(&[Command::OpenAccount {
        account: C,
        limit: Amount::yuan(2_000),
        billing_day: 1,
    }])];
    batches.push(w.batch(&[authorize(C, 30, 7, 600, None)]));
    batches.push(w.batch(&[Command::Capture {
        account: C,
        txn: TxnId(30),
        amount: Amount::yuan(600),
    }]));
    w.wait(days(3));
    batches.push(w.batch(&[Command::Repay {
        account: C,
        op: OpId(3),
        amount: Amount::yuan(250),
    }]));
    (w, batches)
}

fn authorize(account: AccountId, txn: u64, merchant: u64, yuan: i64, plan: Option<PlanChoice>) -> Command {
    Command::Authorize {
        account,
        txn: TxnId(txn),
        merchant: MerchantId(merchant),
        amount: Amount::yuan(yuan),
        plan,
    }
}

fn statement_balance(batches: &[Batch], account: AccountId) -> Amount {
    batches
        .iter()
        .flat_map(|b| &b.events)
        .find_map(|e| match e {
            Event::StatementClosed {
                account: a, balance, ..
            } if *a == account => Some(*balance),
            _ => None,
        })
        .expect("a closed statement")
}

fn rows(rm: &mut dyn ReadModels, sql: &str) -> Vec<Vec<String>> {
    let (_, rows) = rm.query(sql, 10_000).unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.into_iter()
        .map(|r| r.into_iter().map(|v| v.unwrap_or_else(|| "NULL".into())).collect())
        .collect()
}

fn one(rm: &mut dyn ReadModels, sql: &str) -> String {
    let rows = rows(rm, sql);
    assert_eq!(rows.len(), 1, "{sql}: {rows:?}");
    rows[0][0].clone()
}

fn project_all(rm: &mut dyn ReadModels, parts: &[(u32, &[Batch])]) {
    let projections: Vec<_> = parts
        .iter()
        .flat_map(|(p, batches)| batches.iter().map(|b| b.projection(*p)))
        .collect();
    rm.project_many(&projections).unwrap();
}

struct Fixture {
    _dir: tempfile::TempDir,
    rm: Box<dyn ReadModels>,
    one: (Workload, Vec<Batch>),
    two: (Workload, Vec<Batch>),
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let backend = SqliteBackend::open(dir.path()).unwrap();
    fixture_in(dir, Box::new(backend.open_read_models().unwrap()))
}

/// The fixture's batches projected into `rm` (`dir` is kept alive with it).
fn fixture_in(dir: tempfile::TempDir, mut rm: Box<dyn ReadModels>) -> Fixture {
    let one = partition_one();
    let two = partition_two();
    // Partition 1 one batch at a time, partition 2 in one call.
    for batch in &one.1 {
        rm.project(&batch.projection(1)).unwrap();
    }
    project_all(rm.as_mut(), &[(2, &two.1)]);
    Fixture {
        _dir: dir,
        rm,
        one,
        two,
    }
}

fn day_text(day: Option<credit::Day>) -> String {
    day.map_or_else(|| "NULL".into(), |d| d.to_string())
}

/// Every accounts column equals the book's balances view of the account.
#[test]
fn accounts_match_the_books_balances() {
    let mut f = fixture();
    for (book, partition, account) in [(&f.one.0.book, 1, A), (&f.one.0.book, 1, B), (&f.two.0.book, 2, C)] {
        let view: BalancesView = book.account(account).unwrap().balances(book.product());
        let expected: Vec<String> = [
            view.limit,
            view.temporary_limit,
            view.available,
            view.held,
            view.principal_billed,
            view.principal_unbilled,
            view.fees,
            view.interest,
            view.penalties,
            view.billed,
            view.credit_balance,
            view.accrued_interest,
            view.accrued_penalties,
            view.minimum_unpaid,
            view.past_due,
        ]
        .iter()
        .map(|a| a.fen().to_string())
        .chain([
            view.dpd.to_string(),
            view.bucket.as_str().to_string(),
            day_text(view.next_due_date),
            view.next_statement.to_string(),
            "NULL".into(),
            day_text(view.charged_off_on),
            partition.to_string(),
        ])
        .collect();
        let sql = format!(
            "SELECT limit_fen, temporary_limit_fen, available_fen, held_fen, principal_billed_fen,
                principal_unbilled_fen, fees_fen, interest_fen, penalties_fen, billed_fen,
                credit_balance_fen, accrued_interest_fen, accrued_penalties_fen, minimum_unpaid_fen,
                past_due_fen, dpd, bucket, next_due_date, next_statement, frozen, charged_off_on, partition
             FROM accounts WHERE account = {}",
            account.0
        );
        assert_eq!(rows(f.rm.as_mut(), &sql), [expected], "account {account:?}");
    }
    assert_eq!(
        rows(
            f.rm.as_mut(),
            "SELECT account, billing_day, first_statement FROM accounts ORDER BY account"
        ),
        [
            ["11", "10", "2026-01-10"],
            ["12", "20", "2026-01-20"],
            ["21", "1", "2026-01-01"]
        ]
    );
    // Partition 2 was projected in one call: C's row is still its last batch's.
    assert_eq!(
        rows(f.rm.as_mut(), "SELECT updated_seq FROM accounts WHERE account = 21"),
        [[f.two.1.len().to_string()]]
    );
    // B missed its due date of 2026-01-29: by 2026-02-05 it is past due.
    assert_eq!(
        one(f.rm.as_mut(), "SELECT bucket FROM accounts WHERE account = 12"),
        "M1"
    );
    // The bucket index agrees with the rows: balances-only updates (most batches) leave it
    // alone, a bucket change rewrites it.
    assert_eq!(
        rows(
            f.rm.as_mut(),
            "SELECT account, bucket FROM accounts INDEXED BY accounts_by_bucket WHERE bucket >= '' ORDER BY account"
        ),
        rows(f.rm.as_mut(), "SELECT account, bucket FROM accounts ORDER BY account")
    );
    assert_eq!(
        one(
            f.rm.as_mut(),
            "SELECT group_concat(account) FROM accounts INDEXED BY accounts_by_bucket WHERE bucket = 'M1'"
        ),
        "12"
    );
}

#[test]
fn holds_purchases_and_plans() {
    let mut f = fixture();
    assert_eq!(
        rows(
            f.rm.as_mut(),
            "SELECT txn, account, merchant, amount_fen, state, captured_fen, released_fen, expires_on
             FROM holds ORDER BY txn"
        ),
        [
            ["1", "11", "7", "100000", "captured", "80000", "20000", "2026-01-08"],
            ["2", "11", "8", "300000", "captured", "300000", "0", "2026-01-08"],
            ["3", "12", "7", "50000", "voided", "NULL", "50000", "2026-01-08"],
            ["4", "12", "9", "10000", "expired", "NULL", "10000", "2026-01-08"],
            ["5", "12", "9", "20000", "captured", "20000", "0", "2026-01-08"],
            ["30", "21", "7", "60000", "captured", "60000", "0", "2026-01-08"],
        ]
    );
    assert_eq!(
        rows(
            f.rm.as_mut(),
            "SELECT txn, account, merchant, amount_fen, refunded_fen, plan, fraud_exempt FROM purchases ORDER BY txn"
        ),
        [
            ["1", "11", "7", "80000", "10000", "NULL", "0"],
            ["2", "11", "8", "300000", "0", "2", "0"],
            ["5", "12", "9", "20000", "0", "NULL", "0"],
            ["30", "21", "7", "60000", "0", "NULL", "0"],
        ]
    );
    assert_eq!(
        rows(
            f.rm.as_mut(),
            "SELECT account, plan, source, txn, principal_fen, status FROM plans ORDER BY account, plan"
        ),
        [
            ["11", "2", "purchase", "2", "300000", "active"],
            ["12", "900", "hardship", "NULL", "20000", "active"],
        ]
    );
}

/// Statements, repayments, refunds and delinquency rows equal the events that made them.
#[test]
fn statements_repayments_refunds_and_delinquency() {
    let mut f = fixture();
    let events: Vec<(u32, &Event)> = [(1, &f.one.1), (2, &f.two.1)]
        .into_iter()
        .flat_map(|(p, batches)| batches.iter().flat_map(move |b| b.events.iter().map(move |e| (p, e))))
        .collect();
    let mut statements = Vec::new();
    let mut repayments = Vec::new();
    let mut refunds = Vec::new();
    let mut buckets = Vec::new();
    for (_, event) in &events {
        match event {
            Event::StatementClosed {
                account,
                seq,
                date,
                due_date,
                balance,
                minimum,
            } => statements.push(vec![
                account.to_string(),
                seq.to_string(),
                date.to_string(),
                due_date.to_string(),
                balance.fen().to_string(),
                minimum.fen().to_string(),
            ]),
            Event::Repaid {
                account,
                op,
                amount,
                allocation,
                ..
            } => repayments.push(vec![
                account.to_string(),
                op.to_string(),
                amount.fen().to_string(),
                allocation.principal.fen().to_string(),
                allocation.interest.fen().to_string(),
                allocation.credit_balance.fen().to_string(),
            ]),
            Event::Refunded {
                account, txn, amount, ..
            } => refunds.push(vec![account.to_string(), txn.to_string(), amount.fen().to_string()]),
            Event::BucketChanged { account, on, to, .. } => {
                buckets.push(vec![account.to_string(), on.to_string(), to.as_str().to_string()])
            }
            _ => {}
        }
    }
    let dates = rows(
        f.rm.as_mut(),
        "SELECT account, statement_date, due_date FROM statements ORDER BY account, statement",
    );
    assert_eq!(
        dates,
        [
            ["11", "2026-01-10", "2026-01-19"],
            ["12", "2026-01-20", "2026-01-29"],
            ["21", "2026-01-01", "2026-01-10"]
        ],
        "the statements the clock closed"
    );
    let sql = "SELECT account, statement, statement_date, due_date, balance_fen, minimum_fen
               FROM statements ORDER BY partition, seq, account";
    assert_eq!(rows(f.rm.as_mut(), sql), statements);
    let sql = "SELECT account, op, amount_fen, principal_fen, interest_fen, credit_balance_fen
               FROM repayments ORDER BY partition, seq, idx";
    assert_eq!(rows(f.rm.as_mut(), sql), repayments);
    assert_eq!(repayments.len(), 2);
    let sql = "SELECT account, txn, amount_fen FROM refunds ORDER BY partition, seq, idx";
    assert_eq!(rows(f.rm.as_mut(), sql), refunds);
    assert_eq!(refunds, [["11", "1", "10000"]]);
    let sql = "SELECT account, on_date, to_bucket FROM delinquency ORDER BY partition, seq, idx";
    assert_eq!(rows(f.rm.as_mut(), sql), buckets);
    assert!(!buckets.is_empty(), "B should have gone past due");
}

/// The ledger tables hold every posting: `ledger_balances` equals the books' totals and sums
/// to zero.
#[test]
fn ledger_balances_match_the_books_totals() {
    let mut f = fixture();
    let mut totals = f.one.0.book.totals();
    totals.add(&f.two.0.book.totals());
    let expected: Vec<Vec<String>> = LedgerAccount::ALL
        .into_iter()
        .filter(|a| !totals.get(*a).is_zero())
        .map(|a| vec![a.as_str().to_string(), totals.get(a).fen().to_string()])
        .collect();
    let sql = "SELECT ledger_account, balance_fen FROM ledger_balances WHERE balance_fen != 0 ORDER BY ledger_account";
    let mut got = rows(f.rm.as_mut(), sql);
    got.sort();
    let mut expected_sorted = expected.clone();
    expected_sorted.sort();
    assert_eq!(got, expected_sorted);
    assert!(
        expected.len() >= 4,
        "the stream should touch several ledger accounts: {expected:?}"
    );
    assert_eq!(one(f.rm.as_mut(), "SELECT SUM(balance_fen) FROM ledger_balances"), "0");
    let posted = |batches: &[Batch]| {
        batches
            .iter()
            .flat_map(|b| &b.events)
            .filter(|e| matches!(e, Event::Posted { .. }))
            .count()
    };
    let entries = posted(&f.one.1) + posted(&f.two.1);
    assert_eq!(
        one(f.rm.as_mut(), "SELECT count(*) FROM ledger_entries"),
        entries.to_string()
    );
    // Per customer: the account view sums each customer's postings.
    let book: &Book = &f.one.0.book;
    let a = book.account(A).unwrap();
    let sql = "SELECT balance_fen FROM account_ledger_balances
               WHERE account = 11 AND ledger_account = 'principal_receivable'";
    assert_eq!(
        one(f.rm.as_mut(), sql),
        a.ledger.get(LedgerAccount::PrincipalReceivable).fen().to_string()
    );
}

/// The events table holds every event once, and its JSON reads back as the same event.
#[test]
fn events_round_trip_and_projection_is_idempotent() {
    let mut f = fixture();
    let all: Vec<&Event> = f.one.1.iter().chain(&f.two.1).flat_map(|b| &b.events).collect();
    let bodies = rows(
        f.rm.as_mut(),
        "SELECT body, type FROM events ORDER BY partition, seq, idx",
    );
    assert_eq!(bodies.len(), all.len());
    for (row, event) in bodies.iter().zip(&all) {
        let parsed: Event = serde_json::from_str(&row[0]).unwrap();
        assert_eq!(&parsed, *event);
        assert!(
            row[0].contains(&format!("\"{}\"", row[1])),
            "the type names the event: {row:?}"
        );
    }
    let tables = [
        "accounts",
        "holds",
        "purchases",
        "plans",
        "statements",
        "ledger_entries",
        "ledger_postings",
        "repayments",
        "refunds",
        "delinquency",
        "events",
    ];
    let count_sql = tables
        .iter()
        .map(|t| format!("(SELECT count(*) FROM {t})"))
        .collect::<Vec<_>>()
        .join(", ");
    let before = rows(f.rm.as_mut(), &format!("SELECT {count_sql}"));
    project_all(f.rm.as_mut(), &[(1, &f.one.1), (2, &f.two.1)]);
    assert_eq!(rows(f.rm.as_mut(), &format!("SELECT {count_sql}")), before);
    assert_eq!(f.rm.watermark(1).unwrap(), f.one.1.len() as u64);
    assert_eq!(f.rm.watermark(2).unwrap(), f.two.1.len() as u64);
    assert_eq!(
        rows(
            f.rm.as_mut(),
            "SELECT partition, seq FROM watermarks ORDER BY partition"
        ),
        [
            ["1".to_string(), f.one.1.len().to_string()],
            ["2".to_string(), f.two.1.len().to_string()]
        ]
    );
}

/// The statements of READ_MODELS.md's `sql` blocks, each ending at a line whose code ends
/// with `;`.
fn documented_queries() -> Vec<String> {
    let doc = include_str!("../../READ_MODELS.md");
    let mut queries = Vec::new();
    let mut current = String::new();
    let mut in_sql = false;
    for line in doc.lines() {
        match line.trim() {
            "```sql" => in_sql = true,
            "```" => in_sql = false,
            _ if in_sql => {
                current.push_str(line);
                current.push('\n');
                let code = line.split("--").next().unwrap_or("").trim_end();
                if code.ends_with(';') {
                    queries.push(std::mem::take(&mut current));
                }
            }
            _ => {}
        }
    }
    queries
}

/// Every example query in READ_MODELS.md runs on a populated store.
#[test]
fn documented_queries_run() {
    let mut f = fixture();
    let queries = documented_queries();
    assert!(queries.len() >= 12, "{queries:?}");
    for sql in &queries {
        if let Err(e) = f.rm.query(sql, 100) {
            panic!("READ_MODELS.md query failed: {e}\n{sql}");
        }
    }
    assert_eq!(
        one(
            f.rm.as_mut(),
            "SELECT count(*) FROM (SELECT entry FROM ledger_postings GROUP BY entry HAVING sum(amount_fen) != 0)"
        ),
        "0"
    );
}

/// The read-model tables and the order that makes their rows comparable.
const TABLES: [(&str, &str); 14] = [
    ("watermarks", "partition"),
    ("accounts", "account"),
    ("holds", "txn"),
    ("purchases", "txn"),
    ("plans", "account, plan"),
    ("statements", "account, statement"),
    ("ledger_entries", "id"),
    ("ledger_postings", "entry, leg"),
    ("repayments", "partition, seq, idx"),
    ("refunds", "partition, seq, idx"),
    ("delinquency", "partition, seq, idx"),
    ("events", "partition, seq, idx"),
    ("ledger_balances", "ledger_account"),
    ("account_ledger_balances", "account, ledger_account"),
];

/// PostgreSQL's read models hold exactly SQLite's rows, column by column as text, for the
/// same batches (SQLite is the oracle: its projection is what the other tests check against
/// the books); and READ_MODELS.md's example queries run there too, except those that call
/// SQLite's own date and JSON functions (the document says so).
#[test]
fn postgres_read_models_equal_sqlites() {
    let Some(db) = store::conformance::postgres::fresh("read_models::postgres_read_models_equal_sqlites") else {
        return;
    };
    let mut sqlite = fixture();
    let mut pg = fixture_in(
        tempfile::tempdir().unwrap(),
        Box::new(db.backend.open_read_models().unwrap()),
    );
    for (table, order) in TABLES {
        let sql = format!("SELECT * FROM {table} ORDER BY {order}");
        let expected = rows(sqlite.rm.as_mut(), &sql);
        assert!(
            !expected.is_empty(),
            "{table} is empty: the comparison would prove nothing"
        );
        assert_eq!(rows(pg.rm.as_mut(), &sql), expected, "{table}");
    }
    let (mut ran, mut failed) = (0, Vec::new());
    for sql in documented_queries() {
        match pg.rm.query(&sql, 100) {
            Ok(_) => ran += 1,
            // SQLite's date(), datetime(), strftime() and json_extract() are not PostgreSQL's.
            Err(e) if e.to_string().contains("does not exist (42883)") => {}
            Err(e) => failed.push(format!("{e}\n{sql}")),
        }
    }
    assert!(
        failed.is_empty(),
        "READ_MODELS.md queries failed on PostgreSQL:\n{}",
        failed.join("\n")
    );
    assert!(ran >= 5, "only {ran} READ_MODELS.md queries ran on PostgreSQL");
}
