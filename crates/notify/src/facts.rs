//! The credit core's events as [`Fact`]s: a statement closed, a repayment, a delinquency bucket
//! change. (Theft cases come from the engine's notices, which the caller reads.)

use credit::Event;
use credit::delinquency::Bucket;

use crate::derive::Fact;

/// The bucket as a number, 0 = current (the order of [`Bucket`]).
pub fn bucket_number(b: Bucket) -> u8 {
    match b {
        Bucket::Current => 0,
        Bucket::Grace => 1,
        Bucket::M1 => 2,
        Bucket::M2 => 3,
        Bucket::M3 => 4,
        Bucket::M3Plus => 5,
        Bucket::ChargedOff => 6,
    }
}

/// The facts among `events`, in their order.
pub fn of_events(events: &[Event]) -> Vec<Fact> {
    events.iter().filter_map(of_event).collect()
}

fn of_event(event: &Event) -> Option<Fact> {
    Some(match event {
        Event::StatementClosed {
            account,
            seq,
            due_date,
            balance,
            minimum,
            ..
        } => Fact::StatementClosed {
            account: account.0,
            seq: *seq,
            due: due_date.to_date(),
            balance: *balance,
            minimum: *minimum,
        },
        Event::Repaid {
            account, op, amount, ..
        } => Fact::Repaid {
            account: account.0,
            op: op.0,
            amount: *amount,
        },
        Event::BucketChanged {
            account,
            on,
            dpd,
            from,
            to,
        } => Fact::BucketChanged {
            account: account.0,
            on: on.to_date(),
            dpd: *dpd,
            from: bucket_number(*from),
            to: bucket_number(*to),
        },
        _ => return None,
    })
}
