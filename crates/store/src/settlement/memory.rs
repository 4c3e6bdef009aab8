//! [`MemorySettlement`]: the [`SettlementStore`] in memory, for tests and the simulator.
//! Clones share one state.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use super::{
    DayBalance, DayFact, FactKey, FactRow, MerchantBalance, MerchantRow, PayoutMove, PayoutRow, PostingRow, PriceRow,
    SettledDay, SettlementRow, SettlementStore, TxnMerchant,
};
use crate::StoreError;

#[derive(Debug, Default)]
struct State {
    consumed: BTreeMap<u32, u64>,
    txns: HashMap<u64, TxnMerchant>,
    facts: BTreeMap<FactKey, FactRow>,
    prices: BTreeMap<(String, i32), PriceRow>,
    merchants: BTreeMap<u64, MerchantRow>,
    balances: BTreeMap<u64, MerchantBalance>,
    settlements: BTreeMap<(u64, i32), SettlementRow>,
    postings: Vec<PostingRow>,
    payouts: BTreeMap<String, PayoutRow>,
    last_run: Option<i32>,
}

/// An in-memory settlement store. Clones share the same state.
#[derive(Clone, Debug, Default)]
pub struct MemorySettlement {
    state: Arc<Mutex<State>>,
}

impl MemorySettlement {
    pub fn new() -> MemorySettlement {
        MemorySettlement::default()
    }

    fn lock(&self) -> Result<MutexGuard<'_, State>, StoreError> {
        self.state
            .lock()
            .map_err(|_| StoreError::Backend("memory settlement poisoned by a panic in another thread".into()))
    }
}

fn add_balance(state: &mut State, merchant: u64, delta: i64) -> &mut MerchantBalance {
    let b = state.balances.entry(merchant).or_insert(MerchantBalance {
        merchant,
        ..MerchantBalance::default()
    });
    b.balance_fen += delta;
    b
}

impl SettlementStore for MemorySettlement {
    fn consumed(&mut self, partition: u32) -> Result<u64, StoreError> {
        Ok(self.lock()?.consumed.get(&partition).copied().unwrap_or(0))
    }

    fn record_facts(
        &mut self,
        partition: u32,
        through_seq: u64,
        txns: &[TxnMerchant],
        facts: &[FactRow],
    ) -> Result<(), StoreError> {
        let mut state = self.lock()?;
        for t in txns {
            state.txns.entry(t.txn).or_insert(*t);
        }
        for f in facts {
            state.facts.entry(f.key).or_insert_with(|| f.clone());
        }
        let mark = state.consumed.entry(partition).or_insert(0);
        *mark = (*mark).max(through_seq);
        Ok(())
    }

    fn first_fact_day(&mut self) -> Result<Option<i32>, StoreError> {
        Ok(self.lock()?.facts.values().map(|f| f.day).min())
    }

    fn day_facts(&mut self, day: i32) -> Result<Vec<DayFact>, StoreError> {
        let state = self.lock()?;
        Ok(state
            .facts
            .values()
            .filter(|f| f.day == day)
            .map(|f| DayFact {
                merchant: state.txns.get(&f.txn).map(|t| t.merchant),
                txn: f.txn,
                kind: f.kind,
                amount_fen: f.amount_fen,
                terms: state.txns.get(&f.txn).map_or(0, |t| t.terms),
            })
            .collect())
    }

    fn put_price(&mut self, row: &PriceRow) -> Result<bool, StoreError> {
        let mut state = self.lock()?;
        let key = (row.scope.clone(), row.effective_from);
        if state.prices.contains_key(&key) {
            return Ok(false);
        }
        state.prices.insert(key, row.clone());
        Ok(true)
    }

    fn prices(&mut self) -> Result<Vec<PriceRow>, StoreError> {
        Ok(self.lock()?.prices.values().cloned().collect())
    }

    fn put_merchant(&mut self, row: &MerchantRow) -> Result<(), StoreError> {
        self.lock()?.merchants.insert(row.merchant, row.clone());
        Ok(())
    }

    fn merchants(&mut self) -> Result<Vec<MerchantRow>, StoreError> {
        Ok(self.lock()?.merchants.values().cloned().collect())
    }

    fn balances(&mut self) -> Result<Vec<MerchantBalance>, StoreError> {
        Ok(self.lock()?.balances.values().copied().collect())
    }

    fn settlements(&mut self, from_day: i32, to_day: i32) -> Result<Vec<SettlementRow>, StoreError> {
        let state = self.lock()?;
        Ok(state
            .settlements
            .values()
            .filter(|r| (from_day..=to_day).contains(&r.day))
            .cloned()
            .collect())
    }

    fn settle(&mut self, days: &[SettledDay]) -> Result<Vec<bool>, StoreError> {
        let mut state = self.lock()?;
        let mut written = Vec::with_capacity(days.len());
        for day in days {
            let row = &day.row;
            if state.settlements.contains_key(&(row.merchant, row.day)) {
                written.push(false);
                continue;
            }
            state.settlements.insert((row.merchant, row.day), row.clone());
            state.postings.extend_from_slice(&day.postings);
            if let Some(p) = &day.payout {
                state.payouts.entry(p.id.clone()).or_insert_with(|| p.clone());
            }
            let b = add_balance(&mut state, row.merchant, row.balance_after_fen - row.balance_before_fen);
            b.receivable_fen = row.receivable_fen;
            written.push(true);
        }
        Ok(written)
    }

    fn last_run(&mut self) -> Result<Option<i32>, StoreError> {
        Ok(self.lock()?.last_run)
    }

    fn finish_run(&mut self, day: i32) -> Result<(), StoreError> {
        let mut state = self.lock()?;
        state.last_run = state.last_run.max(Some(day));
        Ok(())
    }

    fn payouts(&mut self, status: &str, limit: usize) -> Result<Vec<PayoutRow>, StoreError> {
        let state = self.lock()?;
        let mut rows: Vec<PayoutRow> = state.payouts.values().filter(|p| p.status == status).cloned().collect();
        rows.sort_by(|a, b| (a.day, &a.id).cmp(&(b.day, &b.id)));
        rows.truncate(limit);
        Ok(rows)
    }

    fn payout(&mut self, id: &str) -> Result<Option<PayoutRow>, StoreError> {
        Ok(self.lock()?.payouts.get(id).cloned())
    }

    fn move_payouts(&mut self, changes: &[PayoutMove<'_>]) -> Result<Vec<bool>, StoreError> {
        let mut state = self.lock()?;
        let mut moved = Vec::with_capacity(changes.len());
        for change in changes {
            let merchant = match state.payouts.get_mut(change.id) {
                Some(p) if p.status == change.from => {
                    p.status = change.to.to_owned();
                    p.merchant
                }
                _ => {
                    moved.push(false);
                    continue;
                }
            };
            state.postings.extend_from_slice(change.postings);
            add_balance(&mut state, merchant, change.back_to_balance_fen);
            moved.push(true);
        }
        Ok(moved)
    }

    fn ledger_by_day(&mut self, through_day: i32) -> Result<Vec<DayBalance>, StoreError> {
        let state = self.lock()?;
        let mut sums: BTreeMap<(i32, String), (i64, i64)> = BTreeMap::new();
        for p in state.postings.iter().filter(|p| p.day <= through_day) {
            let s = sums.entry((p.day, p.account.clone())).or_default();
            if p.amount_fen >= 0 {
                s.0 += p.amount_fen;
            } else {
                s.1 -= p.amount_fen;
            }
        }
        Ok(sums
            .into_iter()
            .map(|((day, account), (debits_fen, credits_fen))| DayBalance {
                day,
                account,
                debits_fen,
                credits_fen,
            })
            .collect())
    }
}
