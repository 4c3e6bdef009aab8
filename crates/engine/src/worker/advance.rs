//! The daily advance of a large partition, in slices. One `Command::Advance` over a book of
//! hundreds of thousands of accounts closes their statements in one op: every request queued
//! behind it waits the whole time (on statement day, seconds). Instead the writer journals
//! `Command::AdvanceSlice` ops of [`ADVANCE_SLICE`] accounts, one per round of its queue, so
//! the requests that arrive meanwhile are decided between slices; then the usual whole-book
//! `Command::Advance`, which finds every account at the day already and runs the partition's
//! daily work (hold watches expiring, review timeouts). Its reply carries every slice's events,
//! in the order one advance would have produced them. Replay applies the journaled slices as
//! they were, so live and replayed state agree whatever the slice boundaries were.
//!
//! Slicing is safe because every command brings its own account up to the day before it is
//! decided: an account reached by a request before its slice is simply already advanced.

use credit::{Command, Event};
use tokio::sync::oneshot;

use super::Worker;
use crate::record::Op;
use crate::request::{Outcome, Reply, Request};

/// Accounts brought to the day per slice (about a millisecond of work when statements close).
pub(super) const ADVANCE_SLICE: u32 = 1_024;

/// A daily advance under way.
pub(super) struct AdvanceRun {
    /// The position of the first account the next slice advances.
    next: u32,
    reply: oneshot::Sender<Reply>,
    events: Vec<Event>,
}

impl Worker {
    /// Whether a daily advance is under way (the writer then does not wait on its queue).
    pub(super) fn advancing(&self) -> bool {
        self.advance.is_some()
    }

    /// Takes the advance in slices when the book is larger than one slice and no advance is
    /// under way; otherwise hands the reply back for one whole-book op.
    pub(super) fn start_advance(&mut self, reply: oneshot::Sender<Reply>) -> Option<oneshot::Sender<Reply>> {
        if self.advance.is_some() || self.partition.book.accounts().len() <= ADVANCE_SLICE as usize {
            return Some(reply);
        }
        self.advance = Some(AdvanceRun {
            next: 0,
            reply,
            events: Vec::new(),
        });
        None
    }

    /// The next slice of the advance under way, or its closing whole-book op.
    pub(super) fn advance_step(&mut self) {
        let Some(mut run) = self.advance.take() else {
            return;
        };
        let total = u32::try_from(self.partition.book.accounts().len()).unwrap_or(u32::MAX);
        if run.next < total {
            let len = ADVANCE_SLICE.min(total - run.next);
            let at = self.partition.next_at(self.clock.now());
            let op = Op::Credit(Command::AdvanceSlice { from: run.next, len });
            self.follow_up(op, None, at);
            if let Some(record) = self.open.records.last() {
                run.events.extend_from_slice(&record.events);
            }
            run.next += len;
            self.advance = Some(run);
            return;
        }
        let mark = self.pending.len();
        self.request(Request::Advance, None, None, run.reply);
        if let Some(crate::committer::Pending::Reply(_, answer)) = self.pending.get_mut(mark)
            && let Outcome::Applied { events, .. } = &mut answer.outcome
        {
            run.events.append(events);
            *events = run.events;
        }
    }
}
