//! [`Preferences`]: which channels a customer wants for each kind, and its language. Every
//! channel is on by default; an urgent kind (theft, security) cannot lose any channel.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::kind::{Channel, Kind, Language};

/// One customer's choices. Kinds not named keep every channel.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preferences {
    pub language: Language,
    /// The channels switched off, by kind.
    pub off: BTreeMap<Kind, BTreeSet<Channel>>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PreferenceError {
    #[error("{0} messages are about security and cannot be switched off")]
    NotSwitchable(&'static str),
}

impl Preferences {
    /// The channels `kind` goes through, in [`Channel::ALL`] order.
    pub fn channels(&self, kind: Kind) -> Vec<Channel> {
        let off = self.off.get(&kind);
        Channel::ALL
            .into_iter()
            .filter(|c| kind.urgent() || off.is_none_or(|off| !off.contains(c)))
            .collect()
    }

    /// Sets the channels `kind` goes through (the others are switched off).
    pub fn set(&mut self, kind: Kind, on: &BTreeSet<Channel>) -> Result<(), PreferenceError> {
        let off: BTreeSet<Channel> = Channel::ALL.into_iter().filter(|c| !on.contains(c)).collect();
        if kind.urgent() && !off.is_empty() {
            return Err(PreferenceError::NotSwitchable(kind.name()));
        }
        if off.is_empty() {
            self.off.remove(&kind);
        } else {
            self.off.insert(kind, off);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_are_on_until_switched_off_and_theft_cannot_be() {
        let mut prefs = Preferences::default();
        assert_eq!(prefs.channels(Kind::DueSoon), Channel::ALL);
        prefs.set(Kind::DueSoon, &BTreeSet::from([Channel::Push])).unwrap();
        assert_eq!(prefs.channels(Kind::DueSoon), [Channel::Push]);
        assert_eq!(prefs.channels(Kind::DueToday), Channel::ALL);
        prefs.set(Kind::DueSoon, &BTreeSet::new()).unwrap();
        assert!(prefs.channels(Kind::DueSoon).is_empty());
        assert_eq!(
            prefs.set(Kind::TheftCase, &BTreeSet::from([Channel::Sms])),
            Err(PreferenceError::NotSwitchable("theft_case"))
        );
        // Even a stored preference that names theft keeps every channel.
        prefs.off.insert(Kind::TheftCase, BTreeSet::from([Channel::Sms]));
        assert_eq!(prefs.channels(Kind::TheftCase), Channel::ALL);
        prefs.set(Kind::DueSoon, &Channel::ALL.into_iter().collect()).unwrap();
        assert!(!prefs.off.contains_key(&Kind::DueSoon));
    }
}
