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
            .txn_owner(MerchantId(11), txn)
            .unwrap()
            .blocking_recv()
            .unwrap(),
        None
    );
    assert_eq!(
        h.engine()
            .txn_owner(MerchantId(10), txn)
            .unwrap()
            .blocking_recv()
            .unwrap(),
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
    };
    assert!(applied(&h.call(by_link(9))));
    assert_eq!(
        h.call(by_link(8)).outcome,
        Outcome::Rejected {
            rejection: EngineRejection::LinkNotFound
        }
    );
}
