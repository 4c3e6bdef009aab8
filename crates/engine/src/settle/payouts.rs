//! Merchant payouts: [`pay_out`] sends every pending payout through a [`MerchantPayouts`]
//! provider and records its answer with the payout state machine's entry
//! (`settlement::payout`). The payout id is the provider's idempotency key, so a payout sent
//! again after a crash (sent, answer not recorded) is answered as the first time and paid
//! once. A provider outage stops the round and leaves the rest pending: queued, never dropped
//! or doubled; the next round sends them. A failed or returned payout puts the money back in
//! the merchant's balance, and a later run pays it again under that day's id.

use std::collections::BTreeMap;

use credit::calendar::Day;
use money::Amount;
use settlement::PayoutStatus;
use settlement::payout::{Change, transition};
use store::SettlementStore;
use store::settlement::PayoutMove;

use super::run::{RunError, postings};

/// What the provider is asked to pay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayoutOrder {
    /// Our payout id: the idempotency key.
    pub id: String,
    pub merchant: u64,
    pub amount: Amount,
}

/// The provider cannot be reached (timeouts, 5xx, an open breaker): try later.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("payout provider unavailable: {0}")]
pub struct ProviderDown(pub String);

/// A merchant payout provider. `pay` with an id it has seen answers that payout's status.
pub trait MerchantPayouts {
    fn pay(&mut self, order: &PayoutOrder) -> Result<PayoutStatus, ProviderDown>;
}

/// A deterministic provider: pays every order once by id, fails one in `fail_every` (by id's
/// hash; 0 never fails), and is down while `down`.
#[derive(Debug, Default)]
pub struct SimulatedPayouts {
    pub fail_every: u64,
    pub down: bool,
    seen: BTreeMap<String, (PayoutStatus, Amount)>,
}

impl SimulatedPayouts {
    pub fn new(fail_every: u64) -> SimulatedPayouts {
        SimulatedPayouts {
            fail_every,
            ..SimulatedPayouts::default()
        }
    }

    /// Money actually sent: the sum of paid orders, each counted once.
    pub fn paid_total(&self) -> Amount {
        self.seen
            .values()
            .filter(|(s, _)| *s == PayoutStatus::Paid)
            .map(|(_, a)| *a)
            .sum()
    }
}

impl MerchantPayouts for SimulatedPayouts {
    fn pay(&mut self, order: &PayoutOrder) -> Result<PayoutStatus, ProviderDown> {
        if self.down {
            return Err(ProviderDown("simulated outage".into()));
        }
        let fail_every = self.fail_every;
        let (status, _) = *self.seen.entry(order.id.clone()).or_insert_with(|| {
            let fails = fail_every > 0
                && seeded::SplitMix64::new(fnv(&order.id))
                    .next_u64()
                    .is_multiple_of(fail_every);
            let status = if fails {
                PayoutStatus::Failed
            } else {
                PayoutStatus::Paid
            };
            (status, order.amount)
        });
        Ok(status)
    }
}

fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// What a round of payouts did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PayoutsReport {
    pub paid: Amount,
    pub failed: Amount,
    /// Left pending (the provider was down or has not decided).
    pub queued: usize,
    /// The payouts this round moved to `paid` (each once: a payout already paid is not here).
    pub became_paid: Vec<PayoutRef>,
}

/// One payout: its id, merchant and amount (what the merchant's `payout.paid` notice says).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayoutRef {
    pub id: String,
    pub merchant: u64,
    pub amount: Amount,
}

/// Sends every pending payout (at most `limit`); `day` dates the entries.
pub fn pay_out(
    store: &mut dyn SettlementStore,
    provider: &mut dyn MerchantPayouts,
    day: Day,
    limit: usize,
) -> Result<PayoutsReport, RunError> {
    let mut report = PayoutsReport::default();
    let pending = store.payouts(PayoutStatus::Pending.as_str(), limit)?;
    let mut answers = Vec::with_capacity(pending.len());
    for payout in &pending {
        let order = PayoutOrder {
            id: payout.id.clone(),
            merchant: payout.merchant,
            amount: Amount::from_fen(payout.amount_fen),
        };
        match provider.pay(&order) {
            Ok(status) => answers.push((payout, status)),
            Err(_) => break,
        }
    }
    report.queued = pending.len() - answers.len();
    for chunk in answers.chunks(CHUNK) {
        let moves: Vec<Move> = chunk
            .iter()
            .filter_map(|(p, status)| {
                move_of(
                    &p.id,
                    PayoutStatus::Pending,
                    *status,
                    Amount::from_fen(p.amount_fen),
                    p.merchant,
                    day,
                )
            })
            .collect();
        let changes: Vec<PayoutMove<'_>> = moves.iter().map(Move::as_change).collect();
        let moved = store.move_payouts(&changes)?;
        for (m, done) in moves.iter().zip(moved) {
            match (m.to, done) {
                (PayoutStatus::Paid, true) => {
                    report.paid += m.amount;
                    report.became_paid.push(PayoutRef {
                        id: m.id.clone(),
                        merchant: m.merchant,
                        amount: m.amount,
                    });
                }
                (PayoutStatus::Failed, true) => report.failed += m.amount,
                _ => {}
            }
        }
        report.queued += chunk.iter().filter(|(_, s)| *s == PayoutStatus::Pending).count();
    }
    Ok(report)
}

/// Payouts recorded per store transaction.
const CHUNK: usize = 1_024;

/// A checked move with the postings it owns.
struct Move {
    id: String,
    merchant: u64,
    from: PayoutStatus,
    to: PayoutStatus,
    amount: Amount,
    legs: Vec<store::settlement::PostingRow>,
    back: Amount,
}

impl Move {
    fn as_change(&self) -> PayoutMove<'_> {
        PayoutMove {
            id: &self.id,
            from: self.from.as_str(),
            to: self.to.as_str(),
            postings: &self.legs,
            back_to_balance_fen: self.back.fen(),
        }
    }
}

fn move_of(id: &str, from: PayoutStatus, to: PayoutStatus, amount: Amount, merchant: u64, day: Day) -> Option<Move> {
    let Ok(Change::Moved { entry, back_to_balance }) = transition(from, to, amount) else {
        return None;
    };
    Some(Move {
        id: id.to_owned(),
        merchant,
        from,
        to,
        amount,
        legs: postings(day, merchant, &[entry]),
        back: back_to_balance,
    })
}

/// What a provider's later word did to a payout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PayoutChanged {
    /// No payout has this id.
    Unknown,
    /// It already stood there (a duplicate): nothing changed.
    Unchanged,
    /// It stands at `now`, from which the word is not a change the state machine allows.
    NotAllowed { now: PayoutStatus },
    /// Moved, with its entry (and its amount back in the balance when failed or returned).
    Moved(PayoutRef),
}

/// A provider's later word on a payout (a signed callback: `paid`, `failed`, or `returned`
/// after `paid`), recorded by compare-and-set: of two identical words racing, one moves it.
pub fn payout_changed(
    store: &mut dyn SettlementStore,
    id: &str,
    to: PayoutStatus,
    day: Day,
) -> Result<PayoutChanged, RunError> {
    let Some(payout) = store.payout(id)? else {
        return Ok(PayoutChanged::Unknown);
    };
    let from = PayoutStatus::parse(&payout.status).ok_or_else(|| RunError::Corrupt(payout.status.clone()))?;
    if from == to {
        return Ok(PayoutChanged::Unchanged);
    }
    let Some(m) = move_of(id, from, to, Amount::from_fen(payout.amount_fen), payout.merchant, day) else {
        return Ok(PayoutChanged::NotAllowed { now: from });
    };
    if store.move_payouts(&[m.as_change()])?.first() == Some(&true) {
        Ok(PayoutChanged::Moved(PayoutRef {
            id: m.id,
            merchant: m.merchant,
            amount: m.amount,
        }))
    } else {
        Ok(PayoutChanged::Unchanged)
    }
}
