//! Concurrency and back-pressure: a thousand concurrent authorizations on one line, a full
//! queue, and any number of writer threads over the same partitions.

use std::sync::Arc;

use credit::{AccountId, Command, Event, MerchantId, OpId, Rejection};
use engine::{EngineConfig, EngineRejection, Outcome, Payer, Request, SubmitError, TxnAction};
use money::Amount;
use store::memory::MemoryBackend;

use super::{Harness, applied, config};

/// The line runs out of credit (50.00, about 28 holds of 1.50-1.99) long before the account's
/// cap on open holds (64), so the refusals are credit refusals: the race is on the credit.
#[test]
fn a_thousand_concurrent_authorizations_never_exceed_the_line() {
    let h = Harness::memory(4);
    let limit = Amount::from_fen(5_000);
    h.open(1, limit.fen());
    let receivers: Vec<_> = (0..1000)
        .map(|i| {
            let request = Request::Authorize {
                payer: Payer::Account(AccountId(1)),
                merchant: MerchantId(1),
                amount: Amount::from_fen(150 + i % 50),
                plan: None,
                reference: None,
            };
            h.engine().submit(request, None).unwrap()
        })
        .collect();
    let mut approved = Amount::ZERO;
    let (mut refused, mut too_many) = (0, 0);
    for r in receivers {
        match r.blocking_recv().unwrap().outcome {
            Outcome::Applied { events, .. } => {
                for e in events {
                    if let Event::Authorized { amount, .. } = e {
                        approved += amount;
                    }
                }
            }
            Outcome::Rejected {
                rejection: EngineRejection::Credit(Rejection::InsufficientAvailableCredit { .. }),
            } => refused += 1,
            Outcome::Rejected {
                rejection: EngineRejection::Credit(Rejection::TooManyHolds),
            } => too_many += 1,
            other => panic!("{other:?}"),
        }
    }
    assert!(approved <= limit, "approved {approved} of {limit}");
    assert!(
        approved > limit - Amount::from_fen(199),
        "the line was used up: {approved}"
    );
    assert_eq!(too_many, 0, "the credit, not the hold cap, refused them");
    assert!(refused >= 1000 - 64, "{refused} refused");
    let account = h.account(1);
    assert_eq!(account.held, approved);
    assert_eq!(account.available_on(account.day), limit - approved);
}

#[test]
fn a_full_queue_says_busy_and_loses_nothing_it_took() {
    let config = EngineConfig {
        queue_capacity: 4,
        batch_max: 2,
        ..config(1)
    };
    let h = Harness::new(Arc::new(MemoryBackend::new()), config);
    h.open(1, 10_000_000);
    let mut taken = Vec::new();
    let mut busy = 0;
    for _ in 0..5_000 {
        let request = Request::from_command(Command::Repay {
            account: AccountId(1),
            op: OpId(1),
            amount: Amount::from_fen(1),
        })
        .unwrap();
        match h.engine().submit(request, None) {
            Ok(r) => taken.push(r),
            Err(SubmitError::Busy) => busy += 1,
            Err(other) => panic!("{other:?}"),
        }
    }
    let taken_count = taken.len() as i64;
    for r in taken {
        assert!(applied(&r.blocking_recv().unwrap()));
    }
    assert!(busy > 0, "the queue never filled");
    assert_eq!(h.account(1).credit_balance, Amount::from_fen(taken_count));
}

/// Partitions are data, writer threads are CPU: the same store gives the same answers whether
/// its 5 partitions run on 1, 2 (uneven: 3 + 2) or 5 threads, and a restart may change the count.
#[test]
fn any_number_of_writer_threads_gives_the_same_state() {
    let mut h = Harness::new(
        Arc::new(MemoryBackend::new()),
        EngineConfig {
            writers: 1,
            ..config(5)
        },
    );
    for account in 1..=40 {
        h.open(account, 1_000_000);
    }
    let receivers: Vec<_> = (0..400u64)
        .map(|i| {
            let request = Request::Authorize {
                payer: Payer::Account(AccountId(i % 40 + 1)),
                merchant: MerchantId(1),
                amount: Amount::from_fen(100 + i as i64),
                plan: None,
                reference: None,
            };
            h.engine().submit(request, None).unwrap()
        })
        .collect();
    for r in receivers {
        let outcome = r.blocking_recv().unwrap().outcome;
        assert!(matches!(outcome, Outcome::Applied { .. }), "{outcome:?}");
    }
    let held = |h: &Harness| (1..=40).map(|a| h.account(a).held).collect::<Vec<_>>();
    // Account a took i = a-1, a+39, ... (10 holds): 10 * (100 + a - 1) + 40 * (0 + 1 + ... + 9).
    let expected: Vec<Amount> = (1..=40).map(|a| Amount::from_fen(10 * (99 + a) + 40 * 45)).collect();
    assert_eq!(held(&h), expected);
    for writers in [2, 5, 0, 1] {
        h.config.writers = writers;
        h.restart();
        assert_eq!(held(&h), expected, "{writers} writer threads");
        // New work is taken (and undone, so the holds stay as expected).
        for account in [1, 2] {
            let txn = h.authorize(account, 1, 1).expect("new work is taken");
            let voided = h.call(Request::Txn {
                merchant: MerchantId(1),
                txn,
                action: TxnAction::Void,
            });
            assert!(
                matches!(voided.outcome, Outcome::Applied { .. }),
                "{writers} writer threads"
            );
        }
    }
}

#[test]
fn writer_threads_are_at_least_one_and_at_most_one_per_partition() {
    let threads = |partitions, writers| {
        EngineConfig {
            partitions,
            writers,
            ..EngineConfig::default()
        }
        .writer_threads()
    };
    assert_eq!(threads(8, 3), 3);
    assert_eq!(threads(2, 16), 2);
    assert_eq!(threads(1, 0), 1);
    assert!((1..=8).contains(&threads(8, 0)));
}
