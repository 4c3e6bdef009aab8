//! Requests through partitions and group commit: authorize, capture and repay; merchants
//! isolated from each other; links for online merchants.

use credit::{AccountId, Command, MerchantId, OpId, TxnId};
use engine::{EngineRejection, Op, Outcome, Payer, Request, TxnAction};
use money::Amount;

use super::{Harness, applied};

#[test]
fn authorize_capture_repay_through_partitions() {
    let h = Harness::memory(4);
    for account in 1..=20 {
        h.open(account, 100_000);
    }
    let txn = h.authorize(7, 3, 30_000).unwrap();
    let capture = h.call(Request::Txn {
        merchant: MerchantId(3),
        txn,
        action: TxnAction::Capture {
            amount: Amount::from_fen(25_000),
        },
    });
    assert!(applied(&capture), "{capture:?}");
    let account = h.account(7);
    assert_eq!(account.available_on(account.day), Amount::from_fen(75_000));
    assert_eq!(account.held, Amount::ZERO);
    let repay = h.call(
        Request::from_command(Command::Repay {
            account: AccountId(7),
            op: OpId(1),
            amount: Amount::from_fen(100),
        })
        .unwrap(),
    );
    assert!(applied(&repay));
    assert_eq!(h.account(7).credit_balance, Amount::from_fen(100));
}

#[test]
fn a_merchant_sees_only_its_own_transactions() {
    let h = Harness::memory(2);
    h.open(1, 100_000);
    let txn = h.authorize(1, 10, 5_000).unwrap();
    let other = h.call(Request::Txn {
        merchant: MerchantId(11),
        txn,
        action: TxnAction::Void,
    });
    assert_eq!(
        other.outcome,
        Outcome::Rejected {
            rejection: EngineRejection::TxnNotFound
        }
    );
    assert_eq!(
        h.engine()
            .merchant_txn(MerchantId(11), txn)
            .unwrap()
            .blocking_recv()
            .unwrap(),
        None
    );
    assert_eq!(
        h.engine()
            .merchant_txn(MerchantId(10), txn)
            .unwrap()
            .blocking_recv()
            .unwrap()
            .map(|t| t.account),
        Some(AccountId(1))
    );
    let forged = h.call(Request::Txn {
        merchant: MerchantId(10),
        txn: TxnId(0xFF),
        action: TxnAction::Void,
    });
    assert_eq!(
        forged.outcome,
        Outcome::Rejected {
            rejection: EngineRejection::TxnNotFound
        }
    );
    let own = h.call(Request::Txn {
        merchant: MerchantId(10),
        txn,
        action: TxnAction::Void,
    });
    assert!(applied(&own));
}

#[test]
fn links_let_an_online_merchant_charge_the_customer() {
    let h = Harness::memory(3);
    h.open(5, 100_000);
    let reply = h.call(Request::LinkMerchant {
        account: AccountId(5),
        merchant: MerchantId(9),
    });
    let Outcome::Applied {
        op: Op::LinkMerchant { link, .. },
        ..
    } = reply.outcome
    else {
        panic!("{reply:?}")
    };
    let by_link = |merchant| Request::Authorize {
        payer: Payer::Link(link),
        merchant: MerchantId(merchant),
        amount: Amount::from_fen(100),
        plan: None,
        reference: None,
    };
    assert!(applied(&h.call(by_link(9))));
    assert_eq!(
        h.call(by_link(8)).outcome,
        Outcome::Rejected {
            rejection: EngineRejection::LinkNotFound
        }
    );
}

/// An authorization keeps the merchant's reference (live, after a restart, and in the partition
/// state replay rebuilds); one journaled before references existed, as
/// `Op::Credit(Command::Authorize)`, still replays, with no reference.
#[test]
fn references_are_kept_and_authorizations_of_the_old_shape_replay() {
    let reference = engine::Reference::parse("order-1").unwrap();
    let mut h = Harness::memory(1);
    h.open(1, 100_000);
    let reply = h.call(Request::Authorize {
        payer: Payer::Account(AccountId(1)),
        merchant: MerchantId(3),
        amount: Amount::from_fen(10_000),
        plan: None,
        reference: Some(reference.clone()),
    });
    let Outcome::Applied {
        op: Op::Authorize {
            command: Command::Authorize { txn, .. },
            reference: kept,
        },
        ..
    } = reply.outcome
    else {
        panic!("{reply:?}")
    };
    assert_eq!(kept.as_ref(), Some(&reference));
    let read = |h: &Harness, merchant| {
        h.engine()
            .merchant_txn(MerchantId(merchant), txn)
            .unwrap()
            .blocking_recv()
            .unwrap()
    };
    let expected = Some(engine::MerchantTxn {
        account: AccountId(1),
        reference: Some(reference),
        held_by: None,
    });
    assert_eq!(read(&h, 3), expected);
    assert_eq!(read(&h, 4), None, "another merchant's transaction");
    h.restart();
    assert_eq!(read(&h, 3), expected, "after a restart");

    // The same journal with the authorization rewritten to the shape older engines wrote.
    let mut old = Vec::new();
    let mut journal = h.backend.journal().unwrap();
    engine::journal::scan(journal.as_mut(), 0, 0, |at, record| {
        let mut record = record.clone();
        if let Op::Authorize { command, .. } = record.op {
            record.op = Op::Credit(command);
        }
        old.push((at.seq, record));
        Ok::<_, engine::EngineError>(())
    })
    .unwrap();
    assert!(
        old.iter()
            .any(|(_, r)| matches!(r.op, Op::Credit(Command::Authorize { .. })))
    );
    let mut o = Harness::memory(1);
    o.engine.take().unwrap().shutdown();
    let mut journal = o.backend.journal().unwrap();
    for seq in 1..=old.last().map_or(0, |(s, _)| *s) {
        let batch = old.iter().filter(|(s, _)| *s == seq).map(|(_, r)| r.clone()).collect();
        engine::journal::append(journal.as_mut(), 0, batch).unwrap();
    }
    o.engine = Some(engine::Engine::start(o.config.clone(), o.backend.clone(), o.engine_clock.clone()).unwrap());
    assert_eq!(
        read(&o, 3),
        Some(engine::MerchantTxn {
            account: AccountId(1),
            reference: None,
            held_by: None,
        })
    );
    let capture = o.call(Request::Txn {
        merchant: MerchantId(3),
        txn,
        action: TxnAction::Capture {
            amount: Amount::from_fen(10_000),
        },
    });
    assert!(applied(&capture), "{capture:?}");
}
