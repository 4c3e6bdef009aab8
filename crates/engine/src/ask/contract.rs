//! The [`Ask`] contract every typed ask follows, the unit reply [`Done`], and the
//! [`ReplyMismatch`] of a reply that does not fit its op.

use credit::Event;

use crate::record::Op;
use crate::request::Request;

/// A request with a typed reply.
pub trait Ask {
    /// What the caller is answered when the request applied.
    type Reply;

    /// The request to submit.
    fn into_request(self) -> Request;

    /// The reply, from the op the request resolved to (with the ids the partition assigned)
    /// and the events applying it made.
    fn reply(op: &Op, events: &[Event]) -> Result<Self::Reply, ReplyMismatch>;
}

/// The reply of a request whose caller needs nothing from its op: it applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Done;

/// An applied request whose op or events do not hold what its reply needs (an engine bug: the
/// request resolved to another op, or the core applied it without its event).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a {asked} request was answered by a {op} op without {needs}")]
pub struct ReplyMismatch {
    /// The ask's request kind.
    pub asked: &'static str,
    /// The kind of the op that answered it.
    pub op: &'static str,
    /// What the reply needed and did not find.
    pub needs: &'static str,
}

impl ReplyMismatch {
    pub(crate) fn new(asked: &'static str, op: &Op, needs: &'static str) -> ReplyMismatch {
        ReplyMismatch {
            asked,
            op: crate::view::op_name(op),
            needs,
        }
    }
}

/// The credit command of an op, if it is `kind` (by `Command::name`).
pub(crate) fn command_named<'o>(op: &'o Op, kind: &str) -> Option<&'o credit::Command> {
    op.credit_command().filter(|c| c.name() == kind)
}
