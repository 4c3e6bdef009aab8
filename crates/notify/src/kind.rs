//! [`Kind`]s of notification, the [`Channel`]s they go through, and the [`Language`]s of the
//! templates, each with its one name (the API's, the templates' and the dedup keys').

use serde::{Deserialize, Serialize};

/// What a notification is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    StatementIssued,
    DueSoon,
    DueToday,
    PaymentReceived,
    Missed,
    BucketChanged,
    TheftCase,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::StatementIssued,
        Kind::DueSoon,
        Kind::DueToday,
        Kind::PaymentReceived,
        Kind::Missed,
        Kind::BucketChanged,
        Kind::TheftCase,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::StatementIssued => "statement_issued",
            Kind::DueSoon => "due_soon",
            Kind::DueToday => "due_today",
            Kind::PaymentReceived => "payment_received",
            Kind::Missed => "missed",
            Kind::BucketChanged => "bucket_changed",
            Kind::TheftCase => "theft_case",
        }
    }

    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Security messages: sent at once, even in quiet hours, and never switched off.
    pub fn urgent(self) -> bool {
        matches!(self, Kind::TheftCase)
    }
}

/// How a notification reaches the customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Sms,
    Push,
    Email,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::Sms, Channel::Push, Channel::Email];

    pub fn name(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Push => "push",
            Channel::Email => "email",
        }
    }

    pub fn parse(name: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// The language a customer reads its messages in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Language {
    #[default]
    #[serde(rename = "zh-CN")]
    ZhCn,
    #[serde(rename = "en")]
    En,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::ZhCn, Language::En];

    pub fn name(self) -> &'static str {
        match self {
            Language::ZhCn => "zh-CN",
            Language::En => "en",
        }
    }

    pub fn parse(name: &str) -> Option<Language> {
        Language::ALL.into_iter().find(|l| l.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back_and_only_theft_is_urgent() {
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.name()), Some(kind));
            assert_eq!(kind.urgent(), kind == Kind::TheftCase);
        }
        for channel in Channel::ALL {
            assert_eq!(Channel::parse(channel.name()), Some(channel));
        }
        for language in Language::ALL {
            assert_eq!(Language::parse(language.name()), Some(language));
        }
        assert_eq!(Kind::parse("Missed"), None);
    }
}
