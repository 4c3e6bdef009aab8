//! The message templates, kept as data (`templates/messages.txt`, built into the crate), and
//! their rendering: amounts as yuan from integer fen (`¥1,234.56`, thousands grouped, never a
//! float), dates as `YYYY-MM-DD`.

use std::collections::HashMap;
use std::sync::OnceLock;

use money::Amount;

use crate::derive::{Intent, Vars};
use crate::kind::{Channel, Kind, Language};

const MESSAGES: &str = include_str!("../templates/messages.txt");

/// A rendered message: an e-mail has a subject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub subject: Option<String>,
    pub body: String,
}

fn table() -> &'static HashMap<String, String> {
    static TABLE: OnceLock<HashMap<String, String>> = OnceLock::new();
    TABLE.get_or_init(|| parse(MESSAGES))
}

fn parse(text: &str) -> HashMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(" = "))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

fn template(kind: Kind, channel: Channel, language: Language) -> &'static str {
    let key = format!("{}.{}.{}", kind.name(), channel.name(), language.name());
    // Every (kind, channel, language) is in the file: a unit test reads them all.
    table().get(&key).map_or("", String::as_str)
}

/// `¥1,234.56`, `-¥0.05`: yuan from integer fen, thousands grouped.
pub fn yuan(amount: Amount) -> String {
    let fen = amount.fen();
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    let digits = (abs / 100).to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}¥{grouped}.{:02}", abs % 100)
}

fn value(name: &str, vars: &Vars, language: Language) -> String {
    let text = |v: Option<String>| v.unwrap_or_default();
    match name {
        "amount" => text(vars.amount.map(yuan)),
        "minimum" => text(vars.minimum.map(yuan)),
        "due" => text(vars.due.map(|d| d.to_string())),
        "day" => text(vars.day.map(|d| d.to_string())),
        "dpd" => text(vars.dpd.map(|d| d.to_string())),
        "bucket" => text(vars.bucket.map(|b| b.to_string())),
        "case" => text(vars.case.map(|c| c.to_string())),
        "stage" => text(vars.stage.map(|s| {
            let key = format!("stage.{}.{}", s.name(), language.name());
            table().get(&key).cloned().unwrap_or_default()
        })),
        _ => String::new(),
    }
}

fn fill(template: &str, vars: &Vars, language: Language) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            return out;
        };
        out.push_str(&value(&after[..close], vars, language));
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// The message for `intent` on `channel` in `language`.
pub fn render(intent: &Intent, channel: Channel, language: Language) -> Rendered {
    let text = template(intent.kind, channel, language);
    let (subject, body) = match (channel, text.split_once(" | ")) {
        (Channel::Email, Some((subject, body))) => (Some(subject), body),
        _ => (None, text),
    };
    Rendered {
        subject: subject.map(|s| fill(s, &intent.vars, language)),
        body: fill(body, &intent.vars, language),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: [&str; 8] = ["amount", "minimum", "due", "day", "dpd", "bucket", "case", "stage"];

    #[test]
    fn yuan_groups_thousands_from_fen() {
        let cases = [
            (0, "¥0.00"),
            (5, "¥0.05"),
            (-5, "-¥0.05"),
            (123_456, "¥1,234.56"),
            (100_000_000, "¥1,000,000.00"),
            (99_999, "¥999.99"),
            (i64::MIN, "-¥92,233,720,368,547,758.08"),
        ];
        for (fen, text) in cases {
            assert_eq!(yuan(Amount::from_fen(fen)), text, "{fen}");
        }
    }

    #[test]
    fn every_kind_channel_and_language_has_a_template_with_known_placeholders() {
        for kind in Kind::ALL {
            for channel in Channel::ALL {
                for language in Language::ALL {
                    let text = template(kind, channel, language);
                    assert!(!text.is_empty(), "{kind:?} {channel:?} {language:?}");
                    assert_eq!(channel == Channel::Email, text.contains(" | "), "{text}");
                    let mut rest = text;
                    while let Some(open) = rest.find('{') {
                        let close = rest[open..].find('}').expect("placeholder closes") + open;
                        assert!(KNOWN.contains(&&rest[open + 1..close]), "{text}");
                        rest = &rest[close + 1..];
                    }
                }
            }
        }
    }

    #[test]
    fn a_statement_renders_in_both_languages_without_long_numbers() {
        let intent = Intent {
            account: 42,
            kind: Kind::StatementIssued,
            key: "42:statement_issued:3".into(),
            vars: Vars {
                amount: Some(Amount::from_fen(123_456)),
                minimum: Some(Amount::from_fen(12_346)),
                due: Some(jiff::civil::date(2026, 4, 20)),
                ..Vars::default()
            },
        };
        let sms = render(&intent, Channel::Sms, Language::ZhCn);
        assert_eq!(
            sms.body,
            "【iou】您的账单已出：本期应还¥1,234.56，最低还款¥123.46，还款日2026-04-20。"
        );
        let email = render(&intent, Channel::Email, Language::En);
        assert_eq!(email.subject.as_deref(), Some("Your iou statement is ready"));
        assert!(email.body.contains("¥1,234.56") && email.body.contains("2026-04-20"));
        // No run of 11 or more digits (a mobile, an ID or card number) in any message.
        for kind in Kind::ALL {
            for channel in Channel::ALL {
                for language in Language::ALL {
                    let text = render(&Intent { kind, ..intent.clone() }, channel, language).body;
                    let longest = text
                        .split(|c: char| !c.is_ascii_digit())
                        .map(str::len)
                        .max()
                        .unwrap_or(0);
                    assert!(longest < 11, "{text}");
                }
            }
        }
    }
}
