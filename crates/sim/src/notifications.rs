//! Customer notifications in the simulator: after the run, the journal the run wrote is read in
//! order, partition by partition, through the `notify` crate's derivation (the facts in journal
//! order; each day's reminders when a partition's first record of a new day is read), with
//! preferences (every fifth customer takes no e-mail but for security messages; every seventh
//! reads English), the default quiet hours, and counting channel simulators (every 50th attempt
//! fails as an outage and is retried with the default backoff; a delivery failing the policy's
//! attempts is dead). [`NotificationFigures`] count per kind, channel and status.
//!
//! The live consumer (`api::notifications`) runs the same derivation as the journal grows; a
//! simulated day is read here as it would have been read then.

use std::collections::{BTreeMap, BTreeSet};

use engine::{CaseKind, Notice};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use notify::delivery::plan;
use notify::sim::SimulatedChannel;
use notify::{Channel, Fact, Kind, Language, Preferences, QuietHours, RetryPolicy, Status, TheftStage, Tracker};
use serde::{Deserialize, Serialize};
use store::Backend;

use crate::link::SimError;

/// One channel attempt in this many fails as an outage.
const FAIL_EVERY: u64 = 50;

/// What notifications did over the run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationFigures {
    /// `kind/channel/status` (`sent` or `dead`) to count.
    pub by_kind_channel_status: BTreeMap<String, u64>,
    /// What to tell, before preferences.
    pub intents: u64,
    /// One per intent and channel kept.
    pub deliveries: u64,
    /// Deliveries made in quiet hours and held to their end.
    pub deferred_by_quiet_hours: u64,
    /// Urgent (theft) deliveries made in quiet hours and sent at once.
    pub urgent_in_quiet_hours: u64,
    /// Failed attempts that were retried.
    pub retries: u64,
    pub dead: u64,
    /// Channels switched off by preferences (intent-channel pairs not sent).
    pub switched_off: u64,
}

/// The simulated customer's preferences.
fn preferences(account: u64) -> Preferences {
    let mut prefs = Preferences::default();
    if account.is_multiple_of(7) {
        prefs.language = Language::En;
    }
    if account.is_multiple_of(5) {
        let no_email: BTreeSet<Channel> = [Channel::Sms, Channel::Push].into();
        for kind in Kind::ALL.into_iter().filter(|k| !k.urgent()) {
            // Only urgent kinds refuse a change, and these are not urgent.
            let _ = prefs.set(kind, &no_email);
        }
    }
    prefs
}

fn theft_fact(notice: &Notice) -> Option<Fact> {
    let (account, case, stage) = match notice {
        Notice::CaseOpened {
            account,
            case,
            kind: CaseKind::Theft,
            ..
        } => (account, case, TheftStage::Opened),
        Notice::CaseResolved {
            account,
            case,
            confirmed,
        } => (
            account,
            case,
            if *confirmed {
                TheftStage::Confirmed
            } else {
                TheftStage::Rejected
            },
        ),
        _ => return None,
    };
    Some(Fact::TheftCase {
        account: account.0,
        case: case.0,
        stage,
    })
}

struct Run {
    channels: BTreeMap<Channel, SimulatedChannel>,
    quiet: QuietHours,
    retry: RetryPolicy,
    zone: TimeZone,
    figures: NotificationFigures,
}

impl Run {
    fn tell(&mut self, intents: Vec<notify::Intent>, at_ms: i64) {
        for intent in intents {
            self.figures.intents += 1;
            let prefs = preferences(intent.account);
            let deliveries = plan(&intent, &prefs, &self.quiet, &self.zone, at_ms);
            self.figures.switched_off += (Channel::ALL.len() - deliveries.len()) as u64;
            for mut delivery in deliveries {
                self.figures.deliveries += 1;
                let quiet = self.quiet_at(at_ms);
                if delivery.due_ms > at_ms {
                    self.figures.deferred_by_quiet_hours += 1;
                } else if quiet && intent.kind.urgent() {
                    self.figures.urgent_in_quiet_hours += 1;
                }
                self.send(&mut delivery);
            }
        }
    }

    fn quiet_at(&self, at_ms: i64) -> bool {
        Timestamp::from_millisecond(at_ms)
            .map(|t| self.quiet.contains(t.to_zoned(self.zone.clone()).time()))
            .unwrap_or(false)
    }

    /// Attempts at each due time until sent or dead.
    fn send(&mut self, delivery: &mut notify::Delivery) {
        let channel = &self.channels[&delivery.channel];
        while delivery.status == Status::Pending {
            let outcome = channel.deliver(&delivery.message());
            let failed = outcome.is_err();
            delivery.attempted(outcome, delivery.due_ms, &self.retry);
            if failed && delivery.status == Status::Pending {
                self.figures.retries += 1;
            }
        }
        if delivery.status == Status::Dead {
            self.figures.dead += 1;
        }
        let key = format!(
            "{}/{}/{}",
            delivery.kind.name(),
            delivery.channel.name(),
            delivery.status.name()
        );
        *self.figures.by_kind_channel_status.entry(key).or_default() += 1;
    }
}

/// Derives and sends every notification of the run's journal.
pub fn notify_run(backend: &dyn Backend, partitions: u32, zone: &TimeZone) -> Result<NotificationFigures, SimError> {
    let fail = |e: engine::EngineError| SimError::Notifications(e.to_string());
    let mut journal = backend.journal().map_err(|e| SimError::Notifications(e.to_string()))?;
    let mut run = Run {
        channels: Channel::ALL
            .into_iter()
            .map(|c| (c, SimulatedChannel::counting(c, FAIL_EVERY)))
            .collect(),
        quiet: QuietHours::default(),
        retry: RetryPolicy::default(),
        zone: zone.clone(),
        figures: NotificationFigures::default(),
    };
    for partition in 0..partitions {
        let mut tracker = Tracker::default();
        let mut today: Option<Date> = None;
        engine::journal::scan(journal.as_mut(), partition, 0, |_, record| {
            let at_ms = record.at_us.div_euclid(1000);
            let day = Timestamp::from_microsecond(record.at_us)
                .map(|t| t.to_zoned(zone.clone()).date())
                .map_err(|e| engine::EngineError::Corrupt(e.to_string()))?;
            if today != Some(day) {
                today = Some(day);
                let reminders = tracker.day(day);
                run.tell(reminders, at_ms);
            }
            let mut facts = notify::facts::of_events(&record.events);
            facts.extend(record.notices.iter().filter_map(theft_fact));
            for fact in facts {
                let intents = tracker.apply(&fact);
                run.tell(intents, at_ms);
            }
            Ok::<_, engine::EngineError>(())
        })
        .map_err(fail)?;
    }
    Ok(run.figures)
}
