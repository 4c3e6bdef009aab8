//! Planning deliveries (preferences, quiet hours, urgent bypass), retries with backoff, the
//! dead-letter, and the simulator's records.

use std::collections::BTreeSet;

use jiff::civil::date;
use jiff::tz::TimeZone;
use money::Amount;
use notify::delivery::plan;
use notify::sim::SimulatedChannel;
use notify::{
    Channel, Fact, Intent, Kind, NotificationChannel, Preferences, QuietHours, RetryPolicy, Status, TheftStage, Tracker,
};

fn shanghai() -> TimeZone {
    TimeZone::get("Asia/Shanghai").unwrap()
}

fn ms(y: i16, m: i8, d: i8, h: i8, min: i8) -> i64 {
    date(y, m, d)
        .at(h, min, 0, 0)
        .to_zoned(shanghai())
        .unwrap()
        .timestamp()
        .as_millisecond()
}

fn intent(kind: Kind) -> Intent {
    let fact = match kind {
        Kind::TheftCase => Fact::TheftCase {
            account: 9,
            case: 1,
            stage: TheftStage::Opened,
        },
        _ => Fact::StatementClosed {
            account: 9,
            seq: 1,
            due: date(2026, 4, 20),
            balance: Amount::from_fen(10_000),
            minimum: Amount::from_fen(1_000),
        },
    };
    Tracker::default().apply(&fact).remove(0)
}

#[test]
fn quiet_hours_defer_a_statement_to_eight_and_theft_goes_at_once() {
    let (prefs, quiet) = (Preferences::default(), QuietHours::default());
    let night = ms(2026, 4, 1, 23, 0);
    let statement = plan(&intent(Kind::StatementIssued), &prefs, &quiet, &shanghai(), night);
    assert_eq!(statement.len(), 3);
    assert!(
        statement
            .iter()
            .all(|d| d.due_ms == ms(2026, 4, 2, 8, 0) && d.status == Status::Pending)
    );
    assert!(!statement[0].is_due(night) && statement[0].is_due(ms(2026, 4, 2, 8, 0)));
    let theft = plan(&intent(Kind::TheftCase), &prefs, &quiet, &shanghai(), night);
    assert!(theft.iter().all(|d| d.due_ms == night));
    let noon = ms(2026, 4, 1, 12, 0);
    assert!(
        plan(&intent(Kind::StatementIssued), &prefs, &quiet, &shanghai(), noon)
            .iter()
            .all(|d| d.due_ms == noon)
    );
}

#[test]
fn preferences_choose_channels_and_language() {
    let mut prefs = Preferences::default();
    prefs
        .set(Kind::StatementIssued, &BTreeSet::from([Channel::Email]))
        .unwrap();
    prefs.language = notify::Language::En;
    let out = plan(
        &intent(Kind::StatementIssued),
        &prefs,
        &QuietHours::default(),
        &shanghai(),
        ms(2026, 4, 1, 12, 0),
    );
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].channel, Channel::Email);
    assert_eq!(out[0].subject.as_deref(), Some("Your iou statement is ready"));
    assert_eq!(out[0].id(), "9:statement_issued:1:email");
}

#[test]
fn outages_retry_with_backoff_until_dead_and_refusals_are_dead_at_once() {
    let policy = RetryPolicy {
        backoff_base_ms: 1_000,
        backoff_max_ms: 4_000,
        attempts_max: 4,
    };
    let at = ms(2026, 4, 1, 12, 0);
    let mut d = plan(
        &intent(Kind::DueSoon),
        &Preferences::default(),
        &QuietHours::default(),
        &shanghai(),
        at,
    )
    .remove(0);
    let outage = || Err(notify::SendError::Unavailable("down".into()));
    let mut waits = Vec::new();
    for n in 1..=3 {
        let now = at + n * 10_000;
        d.attempted(outage(), now, &policy);
        assert_eq!(d.status, Status::Pending);
        waits.push(d.due_ms - now);
    }
    assert_eq!(waits, [1_000, 2_000, 4_000]);
    d.attempted(outage(), at + 40_000, &policy);
    assert_eq!((d.status, d.attempts), (Status::Dead, 4));
    assert_eq!(d.last_error.as_deref(), Some("unavailable: down"));

    let mut refused = plan(
        &intent(Kind::DueSoon),
        &Preferences::default(),
        &QuietHours::default(),
        &shanghai(),
        at,
    )
    .remove(0);
    refused.attempted(Err(notify::SendError::Refused("no such customer".into())), at, &policy);
    assert_eq!((refused.status, refused.attempts), (Status::Dead, 1));
}

#[tokio::test]
async fn the_simulator_fails_as_told_then_records_each_message_once() {
    let sim = SimulatedChannel::failing_first(Channel::Sms, 1);
    let d = plan(
        &intent(Kind::StatementIssued),
        &Preferences::default(),
        &QuietHours::default(),
        &shanghai(),
        0,
    )
    .remove(0);
    let message = d.message();
    assert!(sim.send(&message).await.is_err());
    let receipt = sim.send(&message).await.unwrap();
    assert_eq!(receipt.provider_ref, "sim-9:statement_issued:1:sms");
    sim.send(&message).await.unwrap();
    assert_eq!(sim.sent(), [message]);
    assert_eq!(sim.attempts(), 3);
    let refusing = SimulatedChannel::refusing(Channel::Sms, 9);
    assert!(matches!(
        refusing.send(&d.message()).await,
        Err(notify::SendError::Refused(_))
    ));
}
