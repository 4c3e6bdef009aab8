//! What the store must hold, computed from the calls the clients recorded: bounds while some
//! calls' fates are unknown, and the exact state once every call has been resolved by repeating
//! it under its own Idempotency-Key.

use std::collections::{BTreeMap, HashMap};

use super::http::Answer;
use super::traffic::{Op, Sent};

/// An inclusive range a balance must lie in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Range {
    pub low: i64,
    pub high: i64,
}

impl Range {
    fn surely(&mut self, fen: i64) {
        self.low += fen;
        self.high += fen;
    }

    fn maybe(&mut self, fen: i64) {
        self.high += fen;
    }

    pub fn holds(&self, fen: i64) -> bool {
        (self.low..=self.high).contains(&fen)
    }
}

/// An account's balances as the recorded calls bound them.
#[derive(Clone, Copy, Debug, Default)]
pub struct Bounds {
    pub held: Range,
    pub unbilled: Range,
    pub credit: Range,
}

/// Bounds for every account: an answered call surely happened, a call without an answer may
/// have (once). A lost acknowledged call falls under `low`; a call applied twice goes over
/// `high`.
pub fn bounds(sent: &[Sent], accounts: usize) -> Vec<Bounds> {
    let mut out = vec![Bounds::default(); accounts];
    let settles: HashMap<&str, &Sent> = sent
        .iter()
        .filter_map(|s| match &s.op {
            Op::Capture { txn, .. } | Op::Void { txn, .. } => Some((txn.as_str(), s)),
            _ => None,
        })
        .collect();
    for s in sent {
        let b = &mut out[s.op.account()];
        match (&s.op, &s.answer) {
            (Op::Authorize { amount_fen, .. }, None) => b.held.maybe(*amount_fen),
            (Op::Authorize { amount_fen, .. }, Some(answer)) if answer.status == 201 => {
                let txn = answer.str("txn_id");
                match settles.get(txn.as_str()) {
                    None => b.held.surely(*amount_fen),
                    Some(settle) => {
                        let captured = match settle.op {
                            Op::Capture { amount_fen, .. } => amount_fen,
                            _ => 0,
                        };
                        if settle.answer.is_some() {
                            b.unbilled.surely(captured);
                        } else {
                            b.held.maybe(*amount_fen);
                            b.unbilled.maybe(captured);
                        }
                    }
                }
            }
            (Op::Repay { amount_fen, .. }, Some(_)) => b.credit.surely(*amount_fen),
            (Op::Repay { amount_fen, .. }, None) => b.credit.maybe(*amount_fen),
            _ => {}
        }
    }
    out
}

/// What became of an authorization.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HoldState {
    Open,
    Captured(i64),
    Voided,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hold {
    pub account: usize,
    pub amount_fen: i64,
    pub state: HoldState,
}

/// The exact state after every call was resolved.
#[derive(Debug, Default)]
pub struct Expected {
    pub held: Vec<i64>,
    pub unbilled: Vec<i64>,
    pub credit: Vec<i64>,
    /// Repayments per account: how many, and their sum.
    pub repayments: Vec<(u64, i64)>,
    /// Every authorization applied, by transaction id.
    pub holds: BTreeMap<String, Hold>,
}

/// The state every resolved call adds up to: each call applied once if its final answer is a
/// success, never otherwise.
pub fn expected(resolved: &[(Sent, Answer)], accounts: usize) -> Expected {
    let mut out = Expected {
        held: vec![0; accounts],
        unbilled: vec![0; accounts],
        credit: vec![0; accounts],
        repayments: vec![(0, 0); accounts],
        holds: BTreeMap::new(),
    };
    for (sent, answer) in resolved {
        if !sent.op.succeeded(answer.status) {
            continue;
        }
        match &sent.op {
            Op::Authorize { account, amount_fen } => {
                let hold = Hold {
                    account: *account,
                    amount_fen: *amount_fen,
                    state: HoldState::Open,
                };
                let txn = answer.str("txn_id");
                let earlier = out.holds.insert(txn.clone(), hold);
                assert!(earlier.is_none(), "two approved authorizations got txn {txn}");
            }
            Op::Repay { account, amount_fen } => {
                out.credit[*account] += amount_fen;
                out.repayments[*account].0 += 1;
                out.repayments[*account].1 += amount_fen;
            }
            Op::Capture { .. } | Op::Void { .. } => {}
        }
    }
    for (sent, answer) in resolved {
        if !sent.op.succeeded(answer.status) {
            continue;
        }
        let (txn, state) = match &sent.op {
            Op::Capture { txn, amount_fen, .. } => (txn, HoldState::Captured(*amount_fen)),
            Op::Void { txn, .. } => (txn, HoldState::Voided),
            _ => continue,
        };
        let hold = out.holds.get_mut(txn).expect("a settled transaction was approved");
        assert_eq!(hold.state, HoldState::Open, "txn {txn} settled twice");
        hold.state = state;
    }
    for hold in out.holds.values() {
        match hold.state {
            HoldState::Open => out.held[hold.account] += hold.amount_fen,
            HoldState::Captured(fen) => out.unbilled[hold.account] += fen,
            HoldState::Voided => {}
        }
    }
    out
}
