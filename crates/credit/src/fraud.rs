//! Fraud exemption: the account restated as if the named transactions never happened.
//!
//! The restatement is a replay: the account's history (every command it accepted, supplied by
//! the shell from the journal) is applied to an empty book with the exempt transactions left
//! out, so statements, interest, penalties, buckets and charge-off are recomputed by the same
//! rules that made them. The history is first replayed as is and must reproduce the account
//! exactly, or the command is refused.
//!
//! Real money does not change with a restatement. A payment the restated account cannot take
//! as it was made (a payoff of a plan that no longer exists) is applied as a plain repayment;
//! a cash-out is limited to the restated credit balance; any cash the replay still lacks
//! becomes the customer's credit balance, and cash paid out that the restated account cannot
//! explain (a fraud purchase's refund already withdrawn) is absorbed as fraud loss.
//!
//! The ledger difference between the two worlds is posted as one entry: every customer ledger
//! account moves to its restated balance (receivables fall, income booked on the fraud
//! reverses, payments the customer made toward fraud become credit balance) except merchant
//! payable and cash, since the merchants were paid and the cash moved; what balances the entry
//! is fraud loss.

use jiff::Timestamp;

use crate::account::Account;
use crate::calendar::Day;
use crate::command::{Command, Recorded};
use crate::config::Product;
use crate::event::Event;
use crate::ids::{AccountId, TxnId};
use crate::ledger::{EntryBuilder, EntryKind, LedgerAccount};
use crate::reject::Rejection;
use crate::totals::{Totals, Waived};

/// Ledger accounts the restatement does not move to the replayed balance.
const KEPT: [LedgerAccount; 3] = [
    LedgerAccount::MerchantPayable,
    LedgerAccount::Cash,
    LedgerAccount::FraudLoss,
];

/// What a replay runs on: an empty book of the same product and time zone. It is the crate's
/// `Book`, which calls [`exempt`]; it arrives as an argument so that this module does not depend
/// on the module that depends on it.
pub(crate) trait Replay {
    fn apply(&mut self, at: Timestamp, command: &Command, out: &mut Vec<Event>) -> Result<(), Rejection>;
    fn account(&self, id: AccountId) -> Option<&Account>;
}

/// Exempts `txns` of `account`, restating it by replaying `history` on books `empty` makes.
pub(crate) fn exempt<B: Replay>(
    account: &mut Account,
    txns: &[TxnId],
    history: &[Recorded],
    product: &Product,
    empty: impl Fn() -> B,
    today: Day,
    out: &mut Vec<Event>,
) -> Result<(), Rejection> {
    if txns.iter().any(|t| account.exempt.contains(t)) {
        return Err(Rejection::TxnExempt);
    }
    let authorized = |txn: &TxnId| {
        history
            .iter()
            .any(|r| matches!(r.command, Command::Authorize { txn: t, .. } if t == *txn))
    };
    if !txns.iter().all(authorized) {
        return Err(Rejection::TxnNotFound);
    }
    if history.iter().any(|r| r.command.account() != Some(account.id)) {
        return Err(Rejection::HistoryMismatch);
    }
    let prior = account.exempt.clone();
    let verified = replay(empty(), account, history, &prior, product, today);
    if comparable(&verified) != comparable(account) {
        return Err(Rejection::HistoryMismatch);
    }
    let mut all = prior;
    all.extend_from_slice(txns);
    all.sort();
    all.dedup();
    let mut restated = replay(empty(), account, history, &all, product, today);

    let mut entry = EntryBuilder::new(EntryKind::FraudExemption);
    let mut loss = money::Amount::ZERO;
    for code in LedgerAccount::ALL.into_iter().filter(|c| !KEPT.contains(c)) {
        let delta = restated.ledger.get(code) - account.ledger.get(code);
        entry.debit(code, delta);
        loss -= delta;
    }
    entry.debit(LedgerAccount::FraudLoss, loss);
    let entry = entry.build();
    // The replay never saw an exemption: the earlier ones' sums carry over, this one is added
    // (an overflow, which no real account reaches, leaves the sums as they were, marked).
    let mut waived = account.totals.waived;
    let nothing_moved = Waived {
        exemptions: 1,
        ..Waived::default()
    };
    match entry.as_ref().map_or(Some(nothing_moved), Waived::of_entry) {
        Some(this) => match waived.checked_add(this) {
            Some(sum) => waived = sum,
            None => waived.incomplete = true,
        },
        None => waived.incomplete = true,
    }
    restated.totals.waived = waived;
    let replayed_ledger = restated.ledger;
    restated.ledger = account.ledger;
    restated.post(entry, out);
    for code in LedgerAccount::ALL.into_iter().filter(|c| !KEPT.contains(c)) {
        debug_assert_eq!(restated.ledger.get(code), replayed_ledger.get(code), "{code:?}");
    }
    restated.exempt = all;
    *account = restated;
    out.push(Event::FraudExempted {
        account: account.id,
        txns: txns.to_vec(),
        fraud_loss: loss,
    });
    Ok(())
}

/// Replays `history` on an empty `book` without the `exempt` transactions (a payoff of an
/// exempt plan stays a payment) and brings the account to `today`.
fn replay(
    mut book: impl Replay,
    current: &Account,
    history: &[Recorded],
    exempt: &[TxnId],
    product: &Product,
    today: Day,
) -> Account {
    let mut sink = Vec::new();
    for recorded in history {
        let command = match &recorded.command {
            Command::ExemptFraud { .. } => continue,
            Command::EarlyPayoff {
                account, op, amount, ..
            } if recorded.command.txn().is_some_and(|t| exempt.contains(&t)) => Command::Repay {
                account: *account,
                op: *op,
                amount: *amount,
            },
            command if command.txn().is_some_and(|t| exempt.contains(&t)) => continue,
            command => command.clone(),
        };
        // A command the restated account refuses did not happen there, but money did move:
        // a refused payoff is still a repayment, a cash-out is limited to what is there.
        let fallback = match (&command, book.apply(recorded.at, &command, &mut sink)) {
            (
                Command::EarlyPayoff {
                    account, op, amount, ..
                },
                Err(_),
            ) => Some(Command::Repay {
                account: *account,
                op: *op,
                amount: *amount,
            }),
            (Command::CashOutCredit { account, op, .. }, Err(_)) => book
                .account(*account)
                .map(|a| a.credit_balance)
                .filter(|c| c.is_positive())
                .map(|amount| Command::CashOutCredit {
                    account: *account,
                    op: *op,
                    amount,
                }),
            _ => None,
        };
        if let Some(fallback) = fallback {
            let _ = book.apply(recorded.at, &fallback, &mut sink);
        }
        sink.clear();
    }
    let mut account = match book.account(current.id) {
        Some(account) => account.clone(),
        None => Account::open(current.id, current.limit, current.billing_day, current.opened_on),
    };
    account.advance_to(today, product, &mut sink);
    let missing = current.ledger.get(LedgerAccount::Cash) - account.ledger.get(LedgerAccount::Cash);
    if missing.is_positive() {
        // Paid for real, not taken by the restated account: the customer's credit.
        account.credit_balance += missing;
        let entry = crate::ledger::Entry::transfer(
            EntryKind::FraudExemption,
            LedgerAccount::Cash,
            LedgerAccount::CustomerCredit,
            missing,
        );
        account.post(Some(entry), &mut sink);
        account.apply_credit_balance(today, &mut sink);
    }
    account
}

/// The account with what a restatement legitimately changes cleared, and without the
/// statements' presentation (lines and the totals summed from them): an account restored from
/// a snapshot an older engine took keeps the lines that engine drew, which a replay today draws
/// differently for the same money. Its totals are left out too: the replay counts no
/// exemption, and counts the dropped statements' costs from the first statement where an
/// account restored from a snapshot older than format 4 counts from its oldest statement kept
/// then (the restated account keeps the replay's, which are complete).
fn comparable(account: &Account) -> Account {
    let mut account = account.clone();
    account.totals = Totals::default();
    for code in KEPT {
        account.ledger.set(code, money::Amount::ZERO);
    }
    account.exempt.clear();
    account.cycle.lines.clear();
    for statement in &mut account.statements {
        statement.lines.clear();
        statement.payments = money::Amount::ZERO;
        statement.credits = money::Amount::ZERO;
        statement.credit_applied = money::Amount::ZERO;
    }
    account
}
