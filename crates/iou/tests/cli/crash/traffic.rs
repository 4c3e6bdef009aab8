//! The crash test's workload: client threads that authorize, capture, void and repay on a
//! fixed set of accounts with a unique Idempotency-Key per call, and record every call with
//! what came back (an answer, or nothing: its fate unknown).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::json;

use super::http::{Answer, Caller, Failure, call};

/// SplitMix64: a small seeded generator, so a seed names a schedule.
#[derive(Clone, Debug)]
pub struct Rng(seeded::SplitMix64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seeded::SplitMix64::new(seed))
    }

    pub fn next(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in `low..=high`.
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low + 1)
    }

    /// True with probability `percent`%.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// A customer account the workload uses.
#[derive(Clone, Debug)]
pub struct Account {
    pub id: String,
    pub link_id: String,
    pub limit_fen: i64,
}

/// What a call asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    Authorize {
        account: usize,
        amount_fen: i64,
    },
    Capture {
        account: usize,
        txn: String,
        amount_fen: i64,
    },
    Void {
        account: usize,
        txn: String,
    },
    Repay {
        account: usize,
        amount_fen: i64,
    },
}

impl Op {
    pub fn account(&self) -> usize {
        match self {
            Op::Authorize { account, .. }
            | Op::Capture { account, .. }
            | Op::Void { account, .. }
            | Op::Repay { account, .. } => *account,
        }
    }

    /// Whether the answer is a success for this op (a decline is a stored answer too).
    pub fn succeeded(&self, status: u16) -> bool {
        match self {
            Op::Authorize { .. } | Op::Repay { .. } => status == 201,
            Op::Capture { .. } | Op::Void { .. } => status == 200,
        }
    }
}

/// One call that was sent, exactly as sent, so it can be repeated byte for byte.
#[derive(Clone, Debug)]
pub struct Sent {
    /// Global order of sending (also in the key).
    pub n: u64,
    pub round: u32,
    pub key: String,
    pub op: Op,
    pub merchant: bool,
    pub path: String,
    pub body: String,
    /// The answer, or None if the call's fate is unknown.
    pub answer: Option<Answer>,
}

/// What every client thread shares.
pub struct Workload {
    pub accounts: Vec<Account>,
    pub merchant: Caller,
    pub operator: Caller,
    pub sent: Mutex<Vec<Sent>>,
    pub next_key: AtomicU64,
    pub stop: AtomicBool,
}

impl Workload {
    /// Sends one call and records it (a call that never connected is not recorded: nothing of
    /// it reached the server).
    fn send(&self, addr: SocketAddr, round: u32, op: Op, path: String, body: String) -> Option<Sent> {
        let n = self.next_key.fetch_add(1, Ordering::Relaxed);
        let key = format!("crash-{n}");
        let body = match op {
            // The external reference is the call's own, unique like its key.
            Op::Repay { amount_fen, .. } => json!({ "amount_fen": amount_fen, "external_reference": key }).to_string(),
            _ => body,
        };
        let merchant = !matches!(op, Op::Repay { .. });
        let caller = if merchant { &self.merchant } else { &self.operator };
        let answer = match call(addr, caller, "POST", &path, &body, Some(&key)) {
            Ok(answer) if answer.status >= 500 => None,
            Ok(answer) => {
                let decline = matches!(op, Op::Authorize { .. }) && answer.status == 402;
                assert!(
                    op.succeeded(answer.status) || decline,
                    "{op:?} {path} {body}: unexpected {} {}",
                    answer.status,
                    answer.body
                );
                Some(answer)
            }
            Err(Failure::Lost) => None,
            Err(Failure::NotSent) => return None,
        };
        let sent = Sent {
            n,
            round,
            key,
            op,
            merchant,
            path,
            body,
            answer,
        };
        self.sent.lock().unwrap().push(sent.clone());
        Some(sent)
    }

    /// One client: picks an account, authorizes and then captures (partly or in full) or voids
    /// what was approved, or records a repayment, until told to stop.
    pub fn client(self: Arc<Self>, addr: SocketAddr, round: u32, mut rng: Rng) {
        while !self.stop.load(Ordering::Relaxed) {
            let index = rng.between(0, self.accounts.len() as u64 - 1) as usize;
            let account = &self.accounts[index];
            if rng.chance(25) {
                let amount_fen = rng.between(100, 5_000) as i64;
                // Money the operator records as received (a customer's own repayment is a
                // debit of a verified card, which these accounts have none of).
                let path = format!("/v1/customers/{}/offline-repayments", account.id);
                let body = json!({ "amount_fen": amount_fen }).to_string();
                self.send(
                    addr,
                    round,
                    Op::Repay {
                        account: index,
                        amount_fen,
                    },
                    path,
                    body,
                );
                continue;
            }
            let amount_fen = rng.between(100, 20_000) as i64;
            let mut body = json!({ "link_id": account.link_id, "amount_fen": amount_fen });
            if rng.chance(30) {
                body["plan"] = json!({ "periods": 3, "method": "flat-fee" });
            }
            let op = Op::Authorize {
                account: index,
                amount_fen,
            };
            let Some(sent) = self.send(addr, round, op, "/v1/payments".into(), body.to_string()) else {
                continue;
            };
            let Some(answer) = sent.answer.filter(|a| a.status == 201) else {
                continue;
            };
            let txn = answer.str("txn_id");
            if rng.chance(80) {
                let captured = amount_fen - rng.between(0, amount_fen as u64 / 4) as i64;
                let path = format!("/v1/payments/{txn}/capture");
                let body = json!({ "amount_fen": captured }).to_string();
                let op = Op::Capture {
                    account: index,
                    txn,
                    amount_fen: captured,
                };
                self.send(addr, round, op, path, body);
            } else {
                let path = format!("/v1/payments/{txn}/void");
                let op = Op::Void { account: index, txn };
                self.send(addr, round, op, path, "{}".into());
            }
        }
    }
}
