//! Start-up: each partition is restored from its newest snapshot, then every journal batch
//! after it is applied again. Each replayed record must give the outcome and events it gave
//! the first time; if one does not, the engine refuses to start rather than serve a state
//! that differs from what it acknowledged. Risk is never decided again: a request the
//! journaled decision stopped stays stopped. Risk features are rebuilt by observing every
//! journaled checkpoint input again (they are not in the snapshot), which bounds how fast a
//! store with a long journal restarts; see ARCHITECTURE.md.

use jiff::Timestamp;
use store::{Journal, StoreError};

use crate::engine::EngineConfig;
use crate::request::EngineRejection;
use crate::risk::risk_time;

use crate::error::EngineError;
use crate::idempotency::Seen;
use crate::partition::Partition;
use crate::record::{BatchBody, Op};
use crate::snapshotter;

pub(crate) fn recover(id: u32, config: &EngineConfig, journal: &mut dyn Journal) -> Result<Partition, EngineError> {
    let (product, zone, risk) = (&config.product, &config.zone, config.risk.clone());
    // A snapshot in a format this build cannot read (an older or newer encoding) must not
    // brick the store: the journal holds everything, so replay it from the start.
    let state = journal
        .load_snapshot(id)?
        .and_then(|snapshot| match snapshotter::decode(&snapshot.bytes) {
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
    let mut divergence: Option<String> = None;
    let mut events = Vec::new();
    let mut notices = Vec::new();
    let after = partition.seq;
    let result = journal.scan(id, after, &mut |seq, bytes| {
        let body = BatchBody::decode(bytes).map_err(|e| StoreError::Backend(e.to_string()))?;
        for (index, record) in body.records.iter().enumerate() {
            let at = Timestamp::from_microsecond(record.at_us).unwrap_or(Timestamp::UNIX_EPOCH);
            events.clear();
            notices.clear();
            let outcome = match (&record.op, &record.outcome) {
                (Op::Refused, _) | (_, Err(EngineRejection::Risk(_))) => {
                    partition.note_ids(&record.op);
                    record.outcome
                }
                (op, _) => partition.apply_op(op, at, record.risk.as_ref(), &mut events, &mut notices),
            };
            if outcome != record.outcome || (outcome.is_ok() && (events != record.events || notices != record.notices))
            {
                divergence = Some(format!(
                    "partition {id} batch {seq} record {index}: replay gave {outcome:?}, the journal says {:?}",
                    record.outcome
                ));
                return Err(StoreError::Backend("replay diverged".into()));
            }
            if let Some(key) = &record.idempotency {
                let seen = Seen {
                    request: key.request,
                    seq,
                    index: index as u32,
                    at_us: record.at_us,
                };
                partition.idempotency.insert(key, seen);
            }
        }
        partition.seq = seq;
        Ok(())
    });
    if let Some(divergence) = divergence {
        return Err(EngineError::ReplayDiverged(divergence));
    }
    result?;
    rebuild_features(&mut partition, journal)?;
    tracing::info!(
        partition = id,
        snapshot_seq = after,
        seq = partition.seq,
        "partition recovered"
    );
    Ok(partition)
}

/// Observes every journaled checkpoint input again, in order, so velocity and history features
/// are what they were before the restart.
fn rebuild_features(partition: &mut Partition, journal: &mut dyn Journal) -> Result<(), EngineError> {
    let Some(risk) = partition.risk.as_mut() else {
        return Ok(());
    };
    let mut last = None;
    journal.scan(partition.id, 0, &mut |_, bytes| {
        let body = BatchBody::decode(bytes).map_err(|e| StoreError::Backend(e.to_string()))?;
        for record in body.records {
            if let Some(decision) = record.risk.filter(|d| d.observed) {
                let at = risk_time(Timestamp::from_microsecond(record.at_us).unwrap_or(Timestamp::UNIX_EPOCH));
                risk.observe(&decision.input, !decision.proceeds(), at);
                last = Some(at);
            }
        }
        Ok(())
    })?;
    if let Some(at) = last {
        risk.sweep(at);
    }
    Ok(())
}
