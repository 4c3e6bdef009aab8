//! The store after the last clean stop, read from disk (or PostgreSQL): the read models caught up with the
//! journal, one hold row per approved authorization and nothing else, the repayments, the
//! accounts' balances, and a double-entry ledger whose entries each balance.

use std::collections::BTreeMap;

use store::ReadModels;

use super::expect::{Expected, HoldState};
use super::traffic::Account;

const PARTITIONS: u32 = 4;
const ROWS_MAX: usize = 1_000_000;

fn query(models: &mut dyn ReadModels, sql: &str) -> Vec<Vec<String>> {
    let (_, rows) = models.query(sql, ROWS_MAX).unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.into_iter()
        .map(|row| row.into_iter().map(Option::unwrap_or_default).collect())
        .collect()
}

fn fen(text: &str) -> i64 {
    text.parse().unwrap_or_else(|_| panic!("not an amount: {text:?}"))
}

/// Checks the store (no server running) against `expected`.
pub fn check(backend: &dyn store::Backend, accounts: &[Account], expected: &Expected) {
    let mut journal = backend.journal().expect("the journal opens");
    let mut models = backend.read_models().expect("the read models open");
    // A clean stop projects everything the journal holds (the projector resumed from its
    // watermark after every kill).
    for partition in 0..PARTITIONS {
        assert_eq!(
            models.watermark(partition).unwrap(),
            journal.last_seq(partition).unwrap(),
            "partition {partition}: read models behind the journal after a clean stop"
        );
    }
    let index: BTreeMap<&str, usize> = accounts.iter().enumerate().map(|(i, a)| (a.id.as_str(), i)).collect();
    let account_of = |id: &str| *index.get(id).unwrap_or_else(|| panic!("unknown account {id}"));

    let mut holds = BTreeMap::new();
    for row in query(
        models.as_mut(),
        "SELECT txn, account, amount_fen, state, captured_fen FROM holds",
    ) {
        let state = match (row[3].as_str(), row[4].as_str()) {
            ("held", _) => HoldState::Open,
            ("captured", captured) => HoldState::Captured(fen(captured)),
            ("voided", _) => HoldState::Voided,
            (other, _) => panic!("hold {} is {other}", row[0]),
        };
        let hold = super::expect::Hold {
            account: account_of(&row[1]),
            amount_fen: fen(&row[2]),
            state,
        };
        holds.insert(row[0].clone(), hold);
    }
    let missing: Vec<_> = expected.holds.keys().filter(|t| !holds.contains_key(*t)).collect();
    let extra: Vec<_> = holds.keys().filter(|t| !expected.holds.contains_key(*t)).collect();
    assert!(
        missing.is_empty(),
        "approved authorizations missing from read.db: {missing:?}"
    );
    assert!(extra.is_empty(), "holds no call accounts for (duplicates): {extra:?}");
    for (txn, hold) in &holds {
        assert_eq!(hold, &expected.holds[txn], "txn {txn} in read.db");
    }

    let mut repayments = vec![(0u64, 0i64); accounts.len()];
    for row in query(
        models.as_mut(),
        "SELECT account, count(*), sum(amount_fen) FROM repayments GROUP BY account",
    ) {
        repayments[account_of(&row[0])] = (row[1].parse().unwrap(), fen(&row[2]));
    }
    assert_eq!(repayments, expected.repayments, "repayments per account (count, sum)");

    for row in query(
        models.as_mut(),
        "SELECT account, held_fen, principal_unbilled_fen, credit_balance_fen, available_fen, limit_fen, billed_fen \
         FROM accounts",
    ) {
        let i = account_of(&row[0]);
        let got: Vec<i64> = row[1..].iter().map(|v| fen(v)).collect();
        let (held, unbilled, credit) = (expected.held[i], expected.unbilled[i], expected.credit[i]);
        let limit = accounts[i].limit_fen;
        let want = vec![held, unbilled, credit, limit - unbilled - held, limit, 0];
        assert_eq!(
            got, want,
            "account {} in read.db: held, unbilled, credit, available, limit, billed",
            row[0]
        );
    }

    let total = query(
        models.as_mut(),
        "SELECT count(*), coalesce(sum(balance_fen), 0) FROM ledger_balances",
    );
    assert_eq!(total[0][1], "0", "the book's balances sum to zero");
    let unbalanced = query(
        models.as_mut(),
        "SELECT entry FROM ledger_postings GROUP BY entry HAVING sum(amount_fen) != 0",
    );
    assert!(unbalanced.is_empty(), "entries that do not balance: {unbalanced:?}");
    let mut book = vec![BTreeMap::new(); accounts.len()];
    for row in query(
        models.as_mut(),
        "SELECT account, ledger_account, balance_fen FROM account_ledger_balances",
    ) {
        book[account_of(&row[0])].insert(row[1].clone(), fen(&row[2]));
    }
    for (i, balances) in book.iter().enumerate() {
        let get = |name: &str| balances.get(name).copied().unwrap_or(0);
        assert_eq!(
            get("principal_receivable"),
            expected.unbilled[i],
            "account {}: principal receivable",
            accounts[i].id
        );
        assert_eq!(
            get("customer_credit"),
            -expected.credit[i],
            "account {}: customer credit",
            accounts[i].id
        );
        assert_eq!(
            get("cash"),
            expected.credit[i],
            "account {}: cash received",
            accounts[i].id
        );
        assert_eq!(
            get("merchant_payable"),
            -expected.unbilled[i],
            "account {}: owed to the merchant",
            accounts[i].id
        );
        assert_eq!(
            balances.values().sum::<i64>(),
            0,
            "account {}: its postings sum to zero",
            accounts[i].id
        );
    }
}
