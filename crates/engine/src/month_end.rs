//! Every account as of a moment in the past, as a monthly report (the credit-bureau file) needs
//! it: each partition's journal replayed up to that moment, with every fraud exemption the
//! journal holds applied, even one confirmed later.
//!
//! A theft is often confirmed weeks after the fraudulent orders; a month-end report produced
//! after the confirmation must not show the delinquency the exempted orders caused. So an
//! exemption recorded after the moment is applied to the replayed account at the moment (the
//! credit core restates the account from its history up to then, as the live exemption did
//! from the whole history), limited to the transactions already authorized by then.

use std::collections::BTreeMap;

use credit::{Account, AccountId, Command, Event, TxnId};
use jiff::Timestamp;
use store::Journal;

use crate::batches::{scan, scan_batches};
use crate::config::EngineConfig;
use crate::error::EngineError;
use crate::partition::{Partition, history_of};
use crate::record::Record;
use crate::recovery::replay_record;
use crate::view::{Position, at_of, record_account};

/// Every account of every partition as of `at` (each brought to `at`'s business day), sorted
/// by id, restated for every exemption the journal holds. `config.partitions` must be the
/// store's partition count.
pub fn accounts_at(
    config: &EngineConfig,
    journal: &mut dyn Journal,
    at: Timestamp,
) -> Result<Vec<Account>, EngineError> {
    // The credit core's behaviour the store was begun under, as the engine reads it at start
    // (a store older than statements after charge-off replays without them).
    let mut config = config.clone();
    config.product.statements_after_charge_off = journal
        .meta("credit_rules")?
        .is_some_and(|rules| rules.parse::<u32>().is_ok_and(|r| r >= 2));
    let config = &config;
    let mut accounts = Vec::new();
    for id in 0..config.partitions {
        let later = exemptions_after(journal, id, at)?;
        let (partition, records) = replay_until(config, journal, id, at, &later)?;
        let mut book = partition.book;
        for (account, txns) in later {
            let own = records.get(&account).map(Vec::as_slice).unwrap_or_default();
            let history = history_of(own);
            let authorized: Vec<TxnId> = txns
                .into_iter()
                .filter(|t| {
                    history
                        .iter()
                        .any(|r| matches!(r.command, Command::Authorize { txn, .. } if txn == *t))
                })
                .collect();
            if authorized.is_empty() || book.account(account).is_none() {
                continue;
            }
            let exemption = Command::ExemptFraud {
                account,
                txns: authorized,
                history,
            };
            if let Err(rejection) = book.apply(at, &exemption, &mut Vec::new()) {
                tracing::warn!(%account, ?rejection, "a later exemption could not be applied at the month end");
            }
        }
        accounts.extend(
            book.accounts()
                .filter_map(|a| book.account_at(a.id, at))
                .map(|a| a.into_owned()),
        );
    }
    accounts.sort_by_key(|a| a.id);
    Ok(accounts)
}

/// The transactions exempted by records after `at`, per account.
fn exemptions_after(
    journal: &mut dyn Journal,
    partition: u32,
    at: Timestamp,
) -> Result<BTreeMap<AccountId, Vec<TxnId>>, EngineError> {
    let mut later: BTreeMap<AccountId, Vec<TxnId>> = BTreeMap::new();
    scan(journal, partition, 0, |_, record| {
        if at_of(record) > at && record.outcome.is_ok() {
            for event in &record.events {
                if let Event::FraudExempted { account, txns, .. } = event {
                    later.entry(*account).or_default().extend(txns);
                }
            }
        }
        Ok::<_, EngineError>(())
    })?;
    Ok(later)
}

type Records = BTreeMap<AccountId, Vec<(Timestamp, Record)>>;

/// Partition `id` replayed from its first batch up to `at`, with the records of the accounts
/// in `keep` (their history for a later exemption).
fn replay_until(
    config: &EngineConfig,
    journal: &mut dyn Journal,
    id: u32,
    at: Timestamp,
    keep: &BTreeMap<AccountId, Vec<TxnId>>,
) -> Result<(Partition, Records), EngineError> {
    let mut partition = Partition::new(id, config.product.clone(), config.zone.clone(), config.risk.clone());
    let mut records: Records = BTreeMap::new();
    let (mut events, mut notices) = (Vec::new(), Vec::new());
    scan_batches(journal, id, 0, |seq, body| {
        for (index, record) in body.records.iter().enumerate() {
            if at_of(record) > at {
                continue;
            }
            let position = Position {
                partition: id,
                seq,
                index: index as u32,
            };
            replay_record(&mut partition, position, record, &mut events, &mut notices)?;
            if let Some(account) = record_account(record).filter(|a| keep.contains_key(a)) {
                records
                    .entry(account)
                    .or_default()
                    .push((at_of(record), record.clone()));
            }
        }
        partition.seq = seq;
        Ok::<_, EngineError>(())
    })?;
    Ok((partition, records))
}
