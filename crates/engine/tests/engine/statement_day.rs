//! Statement day on a partition larger than one advance slice: the daily advance is journaled
//! as slices, authorizations queued behind it are decided before it ends (not after the whole
//! book), every account's statement closes exactly once (in the advance's reply or in the reply
//! of a request that reached the account first), and the live state is what replaying the
//! journal, and restarting, rebuild.

use credit::{AccountId, Command, Event, MerchantId};
use engine::{Op, Outcome, Payer, Reply, Request, SubmitError, TxnAction};
use jiff::SignedDuration;
use money::Amount;
use store::memory::MemoryBackend;
use tokio::sync::oneshot;

use super::{Harness, config};

/// Six slices of 1,024 accounts and a part.
const ACCOUNTS: u64 = 5_500;

fn submit_all(h: &Harness, requests: Vec<Request>) -> Vec<Reply> {
    let mut waiting: Vec<oneshot::Receiver<Reply>> = Vec::new();
    let mut replies = Vec::new();
    for request in requests {
        loop {
            match h.engine().submit(request.clone(), None) {
                Ok(receiver) => break waiting.push(receiver),
                Err(SubmitError::Busy) => replies.extend(waiting.drain(..).map(|r| r.blocking_recv().unwrap())),
                Err(other) => panic!("engine refused: {other:?}"),
            }
        }
    }
    replies.extend(waiting.into_iter().map(|r| r.blocking_recv().unwrap()));
    replies
}

fn buy(account: u64) -> Request {
    Request::Authorize {
        payer: Payer::Account(AccountId(account)),
        merchant: MerchantId(7),
        amount: Amount::from_fen(10_000),
        plan: None,
        reference: None,
    }
}

fn states(h: &Harness) -> Vec<engine::journal::PartitionState> {
    let live = h.engine().states().unwrap();
    live.into_iter().map(|r| r.blocking_recv().unwrap()).collect()
}

#[test]
fn a_large_partitions_statement_day_is_sliced_interleaved_and_replays() {
    let mut h = Harness::new(std::sync::Arc::new(MemoryBackend::new()), config(1));
    let opens = (1..=ACCOUNTS)
        .map(|a| {
            Request::from_command(Command::OpenAccount {
                account: AccountId(a),
                limit: Amount::from_fen(1_000_000),
                billing_day: 5,
            })
            .unwrap()
        })
        .collect();
    assert!(submit_all(&h, opens).iter().all(super::applied));
    let bought = submit_all(&h, (1..=ACCOUNTS).map(buy).collect());
    let captures = bought
        .iter()
        .map(|reply| match &reply.outcome {
            Outcome::Applied {
                op:
                    Op::Authorize {
                        command: Command::Authorize { txn, .. },
                        ..
                    },
                ..
            } => Request::Txn {
                merchant: MerchantId(7),
                txn: *txn,
                action: TxnAction::Capture {
                    amount: Amount::from_fen(10_000),
                },
            },
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(submit_all(&h, captures).iter().all(super::applied));
    // The morning after the billing day: every account's statement closes.
    h.clock.advance(SignedDuration::from_hours(24 * 5));
    let advance = h.engine().advance().unwrap();
    // Purchases queued behind the advance, on accounts at both ends of the book.
    let late: Vec<u64> = (1..=40).chain(ACCOUNTS - 39..=ACCOUNTS).collect();
    let after = submit_all(&h, late.iter().map(|&a| buy(a)).collect());
    let advanced: Vec<Reply> = advance.into_iter().map(|r| r.blocking_recv().unwrap()).collect();
    let mut closed = std::collections::HashMap::<AccountId, u32>::new();
    for reply in advanced.iter().chain(&after) {
        let Outcome::Applied { events, .. } = &reply.outcome else {
            panic!("{reply:?}");
        };
        for event in events {
            if let Event::StatementClosed { account, .. } = event {
                *closed.entry(*account).or_default() += 1;
            }
        }
    }
    assert_eq!(closed.len() as u64, ACCOUNTS, "statements closed");
    assert!(closed.values().all(|&n| n == 1), "a statement closed twice");
    // The journal holds the slices, and the purchases queued behind the advance were decided
    // before its last op, not after the whole book.
    let mut journal = h.backend.journal().unwrap();
    let (mut slices, mut final_at, mut purchases_at, mut captured) = (0, None, Vec::new(), false);
    let mut position = 0u64;
    engine::journal::scan::<engine::EngineError>(journal.as_mut(), 0, 0, |_, record| {
        position += 1;
        match &record.op {
            Op::Credit(Command::AdvanceSlice { .. }) => slices += 1,
            Op::Credit(Command::Advance) => final_at = Some(position),
            Op::Credit(Command::Capture { .. }) => captured = true,
            // After the set-up's captures, only the purchases queued behind the advance.
            Op::Authorize { .. } if captured && final_at.is_none() => purchases_at.push(position),
            _ => {}
        }
        Ok(())
    })
    .unwrap();
    assert_eq!(slices, ACCOUNTS.div_ceil(1_024), "slices journaled");
    assert!(final_at.is_some(), "the closing advance is journaled");
    assert_eq!(purchases_at.len(), late.len(), "purchases waited for the whole advance");
    let live = states(&h);
    let replayed = engine::journal::verify(&h.config, journal.as_mut(), 0).unwrap();
    assert!(
        live[0] == replayed,
        "live vs replayed: {}",
        live[0].first_difference(&replayed).unwrap_or_default()
    );
    h.restart();
    assert!(states(&h) == live, "live vs restarted");
}
