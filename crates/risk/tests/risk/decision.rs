//! The decision types: outcome order, reason-code parsing, and a decision surviving the journal
//! (JSON round trip).

use risk::features::FeatureVector;
use risk::{
    ChallengeKind, Checkpoint, Decision, EvaluatorChoice, Geo, ModelScores, Outcome, ReasonCode, Timestamp, decide,
};

use crate::common::{default_rules, input};

#[test]
fn outcomes_order_by_severity() {
    let ordered = [
        Outcome::Allow,
        Outcome::Challenge(ChallengeKind::Otp),
        Outcome::Challenge(ChallengeKind::Liveness),
        Outcome::Review,
        Outcome::Deny,
    ];
    assert!(ordered.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(ordered.iter().max(), Some(&Outcome::Deny));
}

#[test]
fn reason_codes_parse_not_validate() {
    let table: &[(&str, bool)] = &[
        ("VELOCITY_USER_5M", true),
        ("DEVICE_FARM", true),
        ("A", true),
        ("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", true),
        ("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456", false),
        ("", false),
        ("lower", false),
        ("WITH SPACE", false),
        ("DASH-ED", false),
        ("ÜMLAUT", false),
    ];
    for (text, ok) in table {
        let parsed = ReasonCode::parse(text);
        assert_eq!(parsed.is_ok(), *ok, "{text:?}: {parsed:?}");
        if let Ok(code) = parsed {
            assert_eq!(code.as_str(), *text);
        }
    }
    assert_eq!(ReasonCode::RULES_ERROR.as_str(), "RULES_ERROR");
}

#[test]
fn geo_rejects_points_off_the_globe() {
    assert!(Geo::new(90_000_000, 180_000_000).is_ok());
    assert!(Geo::new(90_000_001, 0).is_err());
    assert!(Geo::new(0, -180_000_001).is_err());
    assert!(serde_json::from_str::<Geo>(r#"{"lat_micro": 95000000, "lon_micro": 0}"#).is_err());
}

#[test]
fn a_decision_survives_the_journal() {
    let rules = default_rules(EvaluatorChoice::Auto);
    let event = input(Checkpoint::PaymentAuthorization, 1_700_000_000_000);
    let models = ModelScores {
        fraud_score: Some(0.75),
        ..ModelScores::default()
    };
    let decision = decide(
        &rules,
        &event,
        &FeatureVector::default(),
        &models,
        Timestamp::from_millis(1_700_000_000_000),
    );
    assert_eq!(decision.outcome, Outcome::Challenge(ChallengeKind::Liveness));
    let text = serde_json::to_string(&decision).expect("serializes");
    let back: Decision = serde_json::from_str(&text).expect("deserializes");
    assert_eq!(back, decision);
    let input_text = serde_json::to_string(&event).expect("serializes");
    assert_eq!(
        serde_json::from_str::<risk::CheckpointInput>(&input_text).expect("parses"),
        event
    );
}
