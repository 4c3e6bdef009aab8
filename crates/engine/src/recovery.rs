//! Start-up: each partition is restored from its newest snapshot, then every journal batch
//! after it is applied again. Each replayed record must give the outcome and events it gave
//! the first time; if one does not, the engine refuses to start rather than serve a state
//! that differs from what it acknowledged, and the error names the record (partition, batch,
//! index, op, both outcomes) and the way out (`iou journal inspect`, see [`crate::journal`]).
//! Risk is never decided again: a request the
//! journaled decision stopped stays stopped. Risk features are restored from the newest feature
//! snapshot (`feature_snapshot`: every partition's and the shared state at one cut) and the
//! journaled checkpoint inputs after it are observed again; without a usable one, every
//! journaled input is (the whole journal, as before feature snapshots). See ARCHITECTURE.md.

use credit::{Command, Rejection};
use store::Journal;

use crate::config::EngineConfig;
use crate::rejection::EngineRejection;
use crate::risk::risk_time;

use crate::batches::{scan, scan_batches};
use crate::block::block_of;
use crate::error::EngineError;
use crate::feature_snapshot;
use crate::idempotency::Seen;
use crate::partition::Partition;
use crate::record::{Op, Record};
use crate::snapshotter;
use crate::view::{Divergence, Position, RecordView, at_of};

/// One partition alone (a cluster taking it over): its features from the whole journal (the
/// store-wide feature snapshot holds partitions this process may not own).
pub(crate) fn recover(id: u32, config: &EngineConfig, journal: &mut dyn Journal) -> Result<Partition, EngineError> {
    let mut partition = replay_configured(id, config, journal)?;
    rebuild_features(&mut partition, journal, 0)?;
    tracing::info!(partition = id, seq = partition.seq, "partition recovered");
    Ok(partition)
}

/// Every partition of the store (one process owning them all): credit state from each
/// partition's snapshot and journal, then features from the feature snapshot (if one fits)
/// and the journal after it.
/// Also says which feature snapshot it restored (its sequence), if any.
pub(crate) fn recover_all(
    config: &EngineConfig,
    journal: &mut dyn Journal,
) -> Result<(Vec<Partition>, Option<u64>), EngineError> {
    let mut partitions = (0..config.partitions)
        .map(|id| replay_configured(id, config, journal))
        .collect::<Result<Vec<_>, _>>()?;
    let cut = match (&config.risk, config.feature_snapshots) {
        (Some(shared), true) => {
            let seqs: Vec<u64> = partitions.iter().map(|p| p.seq).collect();
            feature_snapshot::load(journal, &seqs)?.and_then(|cut| {
                let seq = cut.seq();
                let restored = shared.restore_features(cut.shared);
                restored
                    .inspect_err(|error| tracing::warn!(%error, "feature snapshot not restored: scanning the journal"))
                    .ok()
                    .map(|()| (seq, cut.partitions))
            })
        }
        _ => None,
    };
    let used = cut.as_ref().map(|(seq, _)| *seq);
    match cut {
        Some((_, features)) => {
            for (partition, features) in partitions.iter_mut().zip(features) {
                let after = features.seq;
                if let Some(risk) = partition.risk.as_mut() {
                    risk.restore_features(features);
                }
                rebuild_features(partition, journal, after)?;
            }
        }
        None => {
            for partition in &mut partitions {
                rebuild_features(partition, journal, 0)?;
            }
        }
    }
    for partition in &partitions {
        tracing::info!(partition = partition.id, seq = partition.seq, "partition recovered");
    }
    Ok((partitions, used))
}

fn replay_configured(id: u32, config: &EngineConfig, journal: &mut dyn Journal) -> Result<Partition, EngineError> {
    let mut partition = replay(id, config, journal, true)?;
    let timeout = i64::try_from(config.review_timeout_secs).unwrap_or(i64::MAX);
    partition.review_timeout = jiff::SignedDuration::from_secs(timeout);
    partition.hold_reviewed = config.hold_reviewed_payments;
    Ok(partition)
}

/// Restores partition `id` from its newest snapshot (if `from_snapshot`; else from nothing)
/// and applies every journal batch after it, checking each record against what the journal
/// says. A divergence names the record ([`Divergence`]).
pub(crate) fn replay(
    id: u32,
    config: &EngineConfig,
    journal: &mut dyn Journal,
    from_snapshot: bool,
) -> Result<Partition, EngineError> {
    let (product, zone, risk) = (&config.product, &config.zone, config.risk.clone());
    let snapshot = if from_snapshot {
        journal.load_snapshot(id)?
    } else {
        None
    };
    // A snapshot in a format this build cannot read (an older or newer encoding) must not
    // brick the store: the journal holds everything, so replay it from the start.
    let state = snapshot.and_then(|snapshot| match snapshotter::decode(&snapshot.bytes) {
        Ok(state) => Some(state),
        Err(error) => {
            tracing::warn!(partition = id, seq = snapshot.seq, %error, "snapshot not readable: replaying the journal from the start");
            None
        }
    });
    let mut partition = match state {
        Some(state) => Partition::restore(id, product.clone(), zone.clone(), risk, state),
        None => Partition::new(id, product.clone(), zone.clone(), risk),
    };
    let mut events = Vec::new();
    let mut notices = Vec::new();
    let after = partition.seq;
    scan_batches(journal, id, after, |seq, body| {
        for (index, record) in body.records.iter().enumerate() {
            let at = Position {
                partition: id,
                seq,
                index: index as u32,
            };
            replay_record(&mut partition, at, record, &mut events, &mut notices)?;
        }
        partition.seq = seq;
        Ok::<_, EngineError>(())
    })?;
    Ok(partition)
}

/// Applies one journaled record again and checks it gives what the journal says.
pub(crate) fn replay_record(
    partition: &mut Partition,
    position: Position,
    record: &Record,
    events: &mut Vec<credit::Event>,
    notices: &mut Vec<crate::cases::Notice>,
) -> Result<(), EngineError> {
    let at = at_of(record);
    events.clear();
    notices.clear();
    // What the journaled decision stopped before the op was applied (as the writer does):
    // besides risk refusals, a delivery held for review.
    let blocked = record.risk.as_ref().and_then(|risk| block_of(&record.op, risk));
    let outcome = match (&record.op, &record.outcome) {
        (Op::Refused, _) | (_, Err(EngineRejection::Risk(_))) => {
            partition.note_ids(&record.op);
            record.outcome
        }
        (_, Err(rejection)) if blocked == Some(*rejection) => {
            partition.note_ids(&record.op);
            record.outcome
        }
        (op, Err(rejection)) if let Some(account) = history_refusal(op, *rejection) => {
            partition.replay_refusal(account, at, events);
            record.outcome
        }
        (op, _) => partition.apply_op(op, at, record.risk.as_ref(), events, notices),
    };
    let differs = if outcome != record.outcome {
        Some("outcomes")
    } else if outcome.is_ok() && *events != record.events {
        Some("events")
    } else if outcome.is_ok() && *notices != record.notices {
        Some("notices")
    } else {
        None
    };
    if let Some(differs) = differs {
        let divergence = Divergence {
            record: RecordView::of(position, record),
            replay: outcome,
            differs,
        };
        tracing::error!(%divergence, "replay diverged");
        return Err(EngineError::ReplayDiverged(Box::new(divergence)));
    }
    if let Some(key) = &record.idempotency {
        let seen = Seen {
            request: key.request,
            seq: position.seq,
            index: position.index,
            at_us: record.at_us,
        };
        partition.idempotency.insert(key, seen);
    }
    Ok(())
}

/// The account of an exemption refused because its history did not reproduce the account.
/// That refusal is final: its outcome depended on the live state it was compared with, and
/// engines before journal-precision time compared it with a state stamped in nanoseconds that
/// no replay rebuilds (a store they wrote would otherwise never start again). Replay brings
/// the account to the record's day, as the refused command did, and exempts nothing.
fn history_refusal(op: &Op, rejection: EngineRejection) -> Option<credit::AccountId> {
    let mismatch = matches!(
        rejection,
        EngineRejection::Credit(Rejection::HistoryMismatch)
            | EngineRejection::ExemptionFailed(Rejection::HistoryMismatch)
    );
    match op {
        Op::Credit(command @ Command::ExemptFraud { .. })
        | Op::ConfirmTheft {
            exemption: Some(command),
            ..
        } if mismatch => command.account(),
        _ => None,
    }
}

/// Observes every journaled checkpoint input and record fact after batch `after` again, in
/// order, so velocity, history, merchant, binding and link features are what they were before
/// the restart (from nothing when `after` is 0, else from the feature snapshot at `after`).
/// Then forgets what is idle at the newest record's time, snapshot or journal.
pub(crate) fn rebuild_features(
    partition: &mut Partition,
    journal: &mut dyn Journal,
    after: u64,
) -> Result<(), EngineError> {
    let Some(risk) = partition.risk.as_mut() else {
        return Ok(());
    };
    scan(journal, partition.id, after, |_, record| {
        let at = risk_time(at_of(record));
        if let Some(decision) = record.risk.as_ref().filter(|d| d.observed) {
            risk.observe(&decision.input, !decision.proceeds(), at);
        }
        // Orders, deliveries, refunds and cases, as the writer told them live (`risk_facts`).
        risk.observe_facts(record, at);
        Ok::<_, EngineError>(())
    })?;
    if let Some(at) = risk.last_at {
        risk.sweep(at);
    }
    Ok(())
}
