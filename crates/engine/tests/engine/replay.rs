//! Live state equals replayed state: random command sequences (authorizations, captures,
//! voids, refunds, repayments, theft reports, case confirmations and rejections, days passing)
//! run on a clock whose every reading has a sub-microsecond part, as the system clock's do.
//! After every batch of commands, each partition's state in the running engine must equal the
//! state replaying its journal from the first batch rebuilds (`engine::journal::verify`), and
//! the state after a restart, from a snapshot when one was taken (the sequence goes on on the
//! restarted engine). One of the accounts is a line opened through onboarding. The journal
//! keeps microseconds: an engine that applied commands at the clock's nanoseconds held a state
//! no replay could rebuild, refused a theft's exemption live that replay then applied, and
//! could not restart.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use credit::{AccountId, Command, MerchantId, OpId, TxnId};
use engine::{Clock, ManualClock, Op, Outcome, Payer, Request, TxnAction};
use jiff::{SignedDuration, Timestamp};
use money::Amount;
use proptest::prelude::*;
use store::memory::MemoryBackend;

use super::Harness;
use super::with_risk_support::{context, risk_config};

/// A clock reading `base` plus a different sub-microsecond part each time (1..=999 ns).
struct NanoClock {
    base: Arc<ManualClock>,
    reads: AtomicU64,
}

impl Clock for NanoClock {
    fn now(&self) -> Timestamp {
        let n = self.reads.fetch_add(1, Ordering::Relaxed);
        let nanos = 1 + (n * 389) % 999;
        self.base.now() + SignedDuration::from_nanos(nanos as i64)
    }
}

const ACCOUNTS: u64 = 3;

#[derive(Clone, Debug)]
enum Step {
    Authorize {
        account: u64,
        merchant: u64,
        fen: i64,
    },
    Capture {
        txn: usize,
        percent: i64,
    },
    Void {
        txn: usize,
    },
    Refund {
        txn: usize,
        fen: i64,
    },
    Repay {
        account: u64,
        fen: i64,
    },
    ReportTheft {
        txns: Vec<usize>,
    },
    Resolve {
        case: usize,
        confirm: bool,
    },
    /// Time passes (minutes), and at times a day's advance runs.
    Wait {
        minutes: i64,
        advance: bool,
    },
    /// Every partition writes a snapshot (a restart then starts from it).
    Snapshot,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (1..=ACCOUNTS, 1..=3u64, 100..200_000i64)
            .prop_map(|(account, merchant, fen)| Step::Authorize { account, merchant, fen }),
        3 => (any::<prop::sample::Index>(), 1..=100i64).prop_map(|(i, percent)| Step::Capture { txn: i.index(1 << 16), percent }),
        1 => any::<prop::sample::Index>().prop_map(|i| Step::Void { txn: i.index(1 << 16) }),
        1 => (any::<prop::sample::Index>(), 1..50_000i64).prop_map(|(i, fen)| Step::Refund { txn: i.index(1 << 16), fen }),
        2 => (1..=ACCOUNTS, 1..100_000i64).prop_map(|(account, fen)| Step::Repay { account, fen }),
        1 => prop::collection::vec(any::<prop::sample::Index>(), 1..3)
            .prop_map(|v| Step::ReportTheft { txns: v.iter().map(|i| i.index(1 << 16)).collect() }),
        2 => (any::<prop::sample::Index>(), prop::bool::weighted(0.8))
            .prop_map(|(i, confirm)| Step::Resolve { case: i.index(1 << 16), confirm }),
        2 => (1..3_000i64, prop::bool::weighted(0.3)).prop_map(|(minutes, advance)| Step::Wait { minutes, advance }),
        1 => Just(Step::Snapshot),
    ]
}

/// What the sequence has created so far (transactions and cases are picked from these).
#[derive(Default)]
struct Made {
    txns: Vec<(TxnId, MerchantId, AccountId, i64)>,
    cases: Vec<engine::CaseId>,
    ops: u64,
}

impl Made {
    fn txn(&self, i: usize) -> Option<(TxnId, MerchantId, AccountId, i64)> {
        (!self.txns.is_empty()).then(|| self.txns[i % self.txns.len()])
    }
}

fn run(h: &Harness, made: &mut Made, step: &Step) {
    let call = |request: Request| h.call(request);
    match step {
        Step::Authorize { account, merchant, fen } => {
            let request = Request::Authorize {
                payer: Payer::Account(AccountId(*account)),
                merchant: MerchantId(*merchant),
                amount: Amount::from_fen(*fen),
                plan: None,
                reference: None,
            };
            let ctx = engine::RiskContext {
                step_up: Some(risk::ChallengeKind::Liveness),
                ..context(*account)
            };
            let reply = h
                .engine()
                .submit_with(request, None, Some(ctx))
                .unwrap()
                .blocking_recv()
                .unwrap();
            if let Outcome::Applied {
                op:
                    Op::Authorize {
                        command:
                            Command::Authorize {
                                txn,
                                merchant,
                                account,
                                amount,
                                ..
                            },
                        ..
                    },
                ..
            } = reply.outcome
            {
                made.txns.push((txn, merchant, account, amount.fen()));
            }
        }
        Step::Capture { txn, percent } => {
            if let Some((txn, merchant, _, fen)) = made.txn(*txn) {
                let amount = Amount::from_fen((fen * percent / 100).max(1));
                call(Request::Txn {
                    merchant,
                    txn,
                    action: TxnAction::Capture { amount },
                });
            }
        }
        Step::Void { txn } => {
            if let Some((txn, merchant, _, _)) = made.txn(*txn) {
                call(Request::Txn {
                    merchant,
                    txn,
                    action: TxnAction::Void,
                });
            }
        }
        Step::Refund { txn, fen } => {
            if let Some((txn, merchant, _, _)) = made.txn(*txn) {
                made.ops += 1;
                let action = TxnAction::Refund {
                    op: OpId(made.ops),
                    amount: Amount::from_fen(*fen),
                };
                call(Request::Txn { merchant, txn, action });
            }
        }
        Step::Repay { account, fen } => {
            made.ops += 1;
            call(
                Request::from_command(Command::Repay {
                    account: AccountId(*account),
                    op: OpId(made.ops),
                    amount: Amount::from_fen(*fen),
                })
                .unwrap(),
            );
        }
        Step::ReportTheft { txns } => {
            let Some((_, _, account, _)) = made.txn(txns[0]) else {
                return;
            };
            let mut reported: Vec<TxnId> = txns
                .iter()
                .filter_map(|i| made.txn(*i))
                .filter(|(_, _, a, _)| *a == account)
                .map(|(t, ..)| t)
                .collect();
            reported.sort();
            reported.dedup();
            let reply = call(Request::ReportTheft {
                account,
                txns: reported,
            });
            if let Outcome::Applied {
                op: Op::OpenCase { case, .. },
                ..
            } = reply.outcome
            {
                made.cases.push(case);
            }
        }
        Step::Resolve { case, confirm } => {
            if !made.cases.is_empty() {
                let case = made.cases[case % made.cases.len()];
                let reply = call(Request::ResolveCase {
                    case,
                    confirm: *confirm,
                });
                if *confirm && let Outcome::Rejected { rejection } = reply.outcome {
                    // A case already resolved is fine; a refused exemption is what this test
                    // exists for.
                    assert_eq!(rejection, engine::EngineRejection::CaseClosed, "confirming case {case}");
                }
            }
        }
        Step::Snapshot => h.engine().snapshot(),
        Step::Wait { minutes, advance } => {
            h.clock.advance(SignedDuration::from_mins(*minutes));
            if *advance {
                for reply in h.engine().advance().unwrap() {
                    reply.blocking_recv().unwrap();
                }
            }
        }
    }
}

fn live_states(h: &Harness) -> Vec<engine::journal::PartitionState> {
    h.engine()
        .states()
        .unwrap()
        .into_iter()
        .map(|r| r.blocking_recv().unwrap())
        .collect()
}

fn replayed_states(h: &Harness) -> Vec<engine::journal::PartitionState> {
    let mut journal = h.backend.journal().unwrap();
    (0..h.config.partitions)
        .map(|p| engine::journal::verify(&h.config, journal.as_mut(), p).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

fn assert_same(live: &[engine::journal::PartitionState], other: &[engine::journal::PartitionState], what: &str) {
    for (a, b) in live.iter().zip(other) {
        assert!(a == b, "{what}: {}", a.first_difference(b).unwrap_or_default());
    }
}

fn check(steps: Vec<Vec<Step>>) -> Harness {
    let base = Arc::new(ManualClock::new("2026-03-01T10:00:00.000000456+08:00".parse().unwrap()));
    let clock = Arc::new(NanoClock {
        base: base.clone(),
        reads: AtomicU64::new(0),
    });
    let config = engine::EngineConfig {
        project: false,
        ..risk_config(2)
    };
    let mut h = Harness::with_clock(Arc::new(MemoryBackend::new()), config, base, clock);
    // The last account is a line opened through onboarding.
    for account in 1..ACCOUNTS {
        h.open(account, 1_000_000);
    }
    let line = h.call(Request::OpenLine(super::applications::opening(ACCOUNTS, 10_000)));
    assert!(super::applied(&line), "{line:?}");
    let mut made = Made::default();
    for batch in &steps {
        for step in batch {
            run(&h, &mut made, step);
        }
        let live = live_states(&h);
        assert_same(&live, &replayed_states(&h), "live vs replayed");
        h.restart();
        assert_same(&live, &live_states(&h), "live vs restarted");
    }
    h
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, max_shrink_iters: 200, ..ProptestConfig::default() })]

    #[test]
    fn live_state_is_what_replaying_the_journal_rebuilds_on_a_clock_with_nanoseconds(
        steps in prop::collection::vec(prop::collection::vec(step(), 1..10), 1..8)
    ) {
        check(steps);
    }
}

/// The reproducer of the issue, fixed: a theft confirmed on a clock with nanoseconds exempts the
/// transaction, and the engine restarts with the same state.
#[test]
fn a_theft_confirmed_on_a_clock_with_nanoseconds_is_exempt_and_replays() {
    let steps = vec![
        vec![
            Step::Authorize {
                account: 1,
                merchant: 2,
                fen: 150_000,
            },
            Step::Capture { txn: 0, percent: 100 },
            Step::Wait {
                minutes: 30,
                advance: false,
            },
            Step::ReportTheft { txns: vec![0] },
        ],
        vec![Step::Resolve { case: 0, confirm: true }],
    ];
    let h = check(steps);
    let account = h.account(1);
    assert_eq!(account.exempt.len(), 1, "the stolen purchase is exempt");
    assert_eq!(account.principal_owed(), Amount::ZERO, "the victim owes nothing");
    assert_eq!(
        account.ledger.get(credit::ledger::LedgerAccount::FraudLoss),
        Amount::from_fen(150_000)
    );
}

/// Every accepted credit command of `account` in the journal, as a fraud exemption's history.
fn history(h: &Harness, account: AccountId) -> Vec<credit::Recorded> {
    let mut journal = h.backend.journal().unwrap();
    let mut out = Vec::new();
    engine::journal::scan(journal.as_mut(), 0, 0, |_, record| {
        if let (Op::Credit(command), Ok(())) = (&record.op, &record.outcome)
            && command.account() == Some(account)
        {
            let at = Timestamp::from_microsecond(record.at_us).unwrap();
            out.push(credit::Recorded {
                at,
                command: command.clone(),
            });
        }
        Ok::<_, engine::EngineError>(())
    })
    .unwrap();
    out
}

/// A store an older engine wrote after a theft confirmation on the system clock: the case was
/// closed as confirmed, then the exemption, a separate record, was refused (`history_mismatch`:
/// it compared a state stamped in nanoseconds with the journal's microseconds). Replay would
/// apply that exemption; it keeps the refusal instead, so the store opens as it was
/// acknowledged, and the operator can then exempt the transaction directly.
#[test]
fn a_store_with_an_exemption_refused_by_an_older_engine_opens_as_acknowledged() {
    let mut h = Harness::memory(1);
    h.open(1, 1_000_000);
    let account = AccountId(1);
    let txn = h.authorize(1, 2, 150_000).unwrap();
    let capture = TxnAction::Capture {
        amount: Amount::from_fen(150_000),
    };
    assert!(super::applied(&h.call(Request::Txn {
        merchant: MerchantId(2),
        txn,
        action: capture
    })));
    let report = h.call(Request::ReportTheft {
        account,
        txns: vec![txn],
    });
    let Outcome::Applied {
        op: Op::OpenCase { case, .. },
        ..
    } = report.outcome
    else {
        panic!("{report:?}")
    };
    h.engine.take().unwrap().shutdown();

    let at_us = h.clock.now().as_microsecond();
    let confirmed = engine::Record {
        at_us,
        op: Op::ResolveCase { case, confirm: true },
        outcome: Ok(()),
        events: Vec::new(),
        idempotency: None,
        risk: None,
        notices: vec![engine::Notice::CaseResolved {
            account,
            case,
            confirmed: true,
        }],
    };
    let exemption = Command::ExemptFraud {
        account,
        txns: vec![txn],
        history: history(&h, account),
    };
    let refused = engine::Record {
        op: Op::Credit(exemption),
        outcome: Err(engine::EngineRejection::Credit(credit::Rejection::HistoryMismatch)),
        notices: Vec::new(),
        ..confirmed.clone()
    };
    let mut journal = h.backend.journal().unwrap();
    engine::journal::append(journal.as_mut(), 0, vec![confirmed, refused]).unwrap();

    h.engine = Some(engine::Engine::start(h.config.clone(), h.backend.clone(), h.engine_clock.clone()).unwrap());
    let state = h.account(1);
    assert!(state.exempt.is_empty(), "the refusal stands");
    assert_eq!(state.principal_owed(), Amount::from_fen(150_000));
    let exempt = h.call(Request::ExemptFraud {
        account,
        txns: vec![txn],
    });
    assert!(super::applied(&exempt), "{exempt:?}");
    assert_eq!(h.account(1).principal_owed(), Amount::ZERO);
    let live = live_states(&h);
    assert_same(&live, &replayed_states(&h), "live vs replayed");
}
