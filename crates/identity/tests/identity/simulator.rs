//! The simulator's documented outcomes: the fixture table, the seeded rates, the OTP life cycle
//! on a manual clock, and liveness scores.

use std::sync::Arc;

use identity::sim::{
    NAME_MISMATCH_PER_MILLE, NO_RECORD_PER_MILLE, OtpPolicy, SimulatedBankCard, SimulatedLiveness, SimulatedNameId,
    SimulatedOtp, fixtures,
};
use identity::testkit::IdentityGen;
use identity::{
    BankCard, CardBrand, CardCheck, CardElement, ChallengeId, FaceImage, FourElements, LivenessScore, ManualClock,
    Mobile, NameIdMatch, OtpCheck, OtpCode, Outage, PersonName, ProviderError, ResidentId,
};
use jiff::civil::{Date, date};

const TODAY: Date = date(2025, 6, 1);
const SEED: u64 = 2024;

fn id(text: &str) -> ResidentId {
    ResidentId::parse(text, TODAY).unwrap()
}

fn name(text: &str) -> PersonName {
    PersonName::parse(text).unwrap()
}

fn elements(card: &str, id_text: &str) -> FourElements {
    FourElements {
        card: BankCard::parse(card).unwrap(),
        name: name("张三"),
        id: id(id_text),
        mobile: Mobile::parse("13812345678").unwrap(),
    }
}

#[test]
fn name_id_fixtures() {
    let sim = SimulatedNameId::new(SEED);
    let table = [
        (fixtures::ID_MATCH, Ok(NameIdMatch::Match)),
        (fixtures::ID_NAME_MISMATCH, Ok(NameIdMatch::Mismatch)),
        (fixtures::ID_NO_RECORD, Ok(NameIdMatch::NoRecord)),
        (fixtures::ID_OUTAGE, Err(ProviderError::Unavailable(Outage::Simulated))),
    ];
    for seed in [0, SEED, u64::MAX] {
        let sim_seeded = SimulatedNameId::new(seed);
        for (number, expected) in &table {
            assert_eq!(&sim_seeded.answer(&name("任何人"), &id(number)), expected, "{number}");
        }
    }
    assert_eq!(
        sim.answer(&name("李四"), &id(fixtures::ID_MATCH)),
        Ok(NameIdMatch::Match)
    );
}

#[test]
fn name_id_rates_follow_the_documented_per_mille() {
    let sim = SimulatedNameId::new(SEED);
    let mut generator = IdentityGen::new(1);
    let (mut no_record, mut mismatch) = (0u64, 0u64);
    let n = 20_000u64;
    for _ in 0..n {
        match sim.answer(&generator.person_name(), &generator.resident_id(TODAY, 18, 70)) {
            Ok(NameIdMatch::NoRecord) => no_record += 1,
            Ok(NameIdMatch::Mismatch) => mismatch += 1,
            Ok(NameIdMatch::Match) => {}
            Err(e) => panic!("no outage outside the fixtures: {e}"),
        }
    }
    // Expected 60 and about 200; allow a wide band so the check is about the rule, not luck.
    let band = |count: u64, per_mille: u64| {
        let expected = n * per_mille / 1000;
        (expected / 2..=expected * 2).contains(&count)
    };
    assert!(band(no_record, NO_RECORD_PER_MILLE), "no record {no_record}");
    assert!(band(mismatch, NAME_MISMATCH_PER_MILLE), "mismatch {mismatch}");
}

#[test]
fn card_fixtures_and_rules() {
    let sim = SimulatedBankCard::new(SEED);
    let mut generator = IdentityGen::new(11);
    let amex = generator.bank_card(CardBrand::Amex);
    let table = [
        (fixtures::CARD_VERIFIED, fixtures::ID_NO_RECORD, Ok(CardCheck::Verified)),
        (
            fixtures::CARD_MISMATCH_MOBILE,
            fixtures::ID_MATCH,
            Ok(CardCheck::Mismatch(Some(CardElement::Mobile))),
        ),
        (
            fixtures::CARD_MISMATCH_UNSPECIFIED,
            fixtures::ID_MATCH,
            Ok(CardCheck::Mismatch(None)),
        ),
        (
            fixtures::CARD_NOT_SUPPORTED,
            fixtures::ID_MATCH,
            Ok(CardCheck::CardNotSupported),
        ),
        (
            fixtures::CARD_OUTAGE,
            fixtures::ID_MATCH,
            Err(ProviderError::Unavailable(Outage::Simulated)),
        ),
        (amex.as_str(), fixtures::ID_MATCH, Ok(CardCheck::CardNotSupported)),
        (
            "4111111111111111",
            fixtures::ID_NAME_MISMATCH,
            Ok(CardCheck::Mismatch(Some(CardElement::Name))),
        ),
        (
            "4111111111111111",
            fixtures::ID_NO_RECORD,
            Ok(CardCheck::Mismatch(Some(CardElement::IdNumber))),
        ),
        ("4111111111111111", fixtures::ID_OUTAGE, Ok(CardCheck::Verified)),
    ];
    for (card, id_text, expected) in table {
        assert_eq!(sim.answer(&elements(card, id_text)), expected, "{card} {id_text}");
    }
}

#[test]
fn otp_life_cycle_on_a_manual_clock() {
    let clock = Arc::new(ManualClock::new(0));
    let policy = OtpPolicy {
        ttl_ms: 60_000,
        max_attempts: 3,
        max_challenges: 4,
    };
    let otp = SimulatedOtp::new(SEED, policy, clock.clone());
    let mobile = Mobile::parse("13812345678").unwrap();

    // Right code once, then the challenge is used up.
    let c = otp.send(&mobile).unwrap();
    assert_eq!(otp.verify(&c, &wrong_for(&otp, &c)), OtpCheck::Wrong);
    assert_eq!(otp.verify(&c, &otp.code_for(&c)), OtpCheck::Ok);
    assert_eq!(otp.verify(&c, &otp.code_for(&c)), OtpCheck::Expired);

    // Three wrong codes: the third says too many, and so does the right code after it.
    let c = otp.send(&mobile).unwrap();
    let steps = [OtpCheck::Wrong, OtpCheck::Wrong, OtpCheck::TooManyAttempts];
    for expected in steps {
        assert_eq!(otp.verify(&c, &wrong_for(&otp, &c)), expected);
    }
    assert_eq!(otp.verify(&c, &otp.code_for(&c)), OtpCheck::TooManyAttempts);

    // Expiry at the TTL, not before.
    let c = otp.send(&mobile).unwrap();
    clock.advance_ms(59_999);
    let d = otp.send(&mobile).unwrap();
    clock.advance_ms(1);
    assert_eq!(otp.verify(&c, &otp.code_for(&c)), OtpCheck::Expired);
    assert_eq!(otp.verify(&d, &otp.code_for(&d)), OtpCheck::Ok);

    // Unknown challenges are expired.
    let unknown = ChallengeId::parse("sim-unknown").unwrap();
    assert_eq!(otp.verify(&unknown, &wrong_for(&otp, &unknown)), OtpCheck::Expired);
}

#[test]
fn otp_keeps_only_the_newest_challenges() {
    let clock = Arc::new(ManualClock::new(0));
    let policy = OtpPolicy {
        ttl_ms: 60_000,
        max_attempts: 3,
        max_challenges: 2,
    };
    let otp = SimulatedOtp::new(SEED, policy, clock);
    let mobile = Mobile::parse("13812345678").unwrap();
    let ids: Vec<_> = (0..3).map(|_| otp.send(&mobile).unwrap()).collect();
    let distinct: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(distinct.len(), 3, "each send gets a fresh id");
    assert_eq!(
        otp.verify(&ids[0], &otp.code_for(&ids[0])),
        OtpCheck::Expired,
        "forgotten"
    );
    assert_eq!(otp.verify(&ids[1], &otp.code_for(&ids[1])), OtpCheck::Ok);
    assert_eq!(otp.verify(&ids[2], &otp.code_for(&ids[2])), OtpCheck::Ok);
}

/// A code that is surely not the challenge's.
fn wrong_for(otp: &SimulatedOtp, challenge: &ChallengeId) -> OtpCode {
    let right = otp.code_for(challenge);
    let candidate = OtpCode::parse("000000").unwrap();
    if candidate == right {
        OtpCode::parse("111111").unwrap()
    } else {
        candidate
    }
}

#[test]
fn otp_codes_replay_from_the_seed_and_fixtures_fail_sends() {
    let clock = Arc::new(ManualClock::new(0));
    let a = SimulatedOtp::new(SEED, OtpPolicy::default(), clock.clone());
    let b = SimulatedOtp::new(SEED, OtpPolicy::default(), clock.clone());
    let mobile = Mobile::parse("13812345678").unwrap();
    let (ca, cb) = (a.send(&mobile).unwrap(), b.send(&mobile).unwrap());
    assert_eq!(ca, cb);
    assert_eq!(a.code_for(&ca).as_str(), b.code_for(&cb).as_str());
    assert_eq!(a.code_for(&ca).as_str().len(), 6);
    assert_eq!(
        a.send(&Mobile::parse(fixtures::MOBILE_UNREACHABLE).unwrap()),
        Err(ProviderError::Rejected {
            status: 422,
            code: "mobile.unreachable".to_owned()
        })
    );
    assert_eq!(
        a.send(&Mobile::parse(fixtures::MOBILE_OUTAGE).unwrap()),
        Err(ProviderError::Unavailable(Outage::Simulated))
    );
}

#[test]
fn liveness_passes_unless_the_face_says_otherwise() {
    let threshold = LivenessScore::from_permille(800).unwrap();
    let sim = SimulatedLiveness::new(SEED, threshold);
    let someone = id(fixtures::ID_MATCH);
    let reference = |r: &str| FaceImage::reference(r).unwrap();
    for face in [
        reference("capture-1"),
        reference("capture-2"),
        FaceImage::bytes(vec![1, 2, 3]).unwrap(),
    ] {
        let result = sim.answer(&face, &someone).unwrap();
        assert!(result.passed, "{face:?}");
        assert!((850..=999).contains(&result.score.permille()), "{face:?}");
    }
    let spoof = sim.answer(&reference("spoof-photo"), &someone).unwrap();
    assert!(!spoof.passed);
    assert!((20..=99).contains(&spoof.score.permille()));
    for (permille, passed) in [(799, false), (800, true), (1000, true), (0, false)] {
        let result = sim.answer(&reference(&format!("score-{permille}")), &someone).unwrap();
        assert_eq!((result.score.permille(), result.passed), (permille, passed));
    }
    assert_eq!(
        sim.answer(&reference("capture-1"), &id(fixtures::ID_OUTAGE)),
        Err(ProviderError::Unavailable(Outage::Simulated))
    );
}

#[test]
fn the_protocol_handler_refuses_malformed_requests() {
    let sim = identity::sim::SimulatedProviders::new(SEED, OtpPolicy::default(), Arc::new(ManualClock::new(0)));
    let id = fixtures::ID_MATCH;
    let table = [
        ("/v1/name-id/verify", "{".to_owned(), 400, "request.json"),
        (
            "/v1/name-id/verify",
            format!(r#"{{"name":"张三","id_number":"{id}","x":1}}"#),
            400,
            "request.json",
        ),
        (
            "/v1/name-id/verify",
            r#"{"name":"张三","id_number":"110105194912310021"}"#.to_owned(),
            400,
            "id_number.check_digit",
        ),
        (
            "/v1/name-id/verify",
            format!(r#"{{"name":"","id_number":"{id}"}}"#),
            400,
            "person_name.empty",
        ),
        (
            "/v1/name-id/verify",
            format!(r#"{{"name":"张三","id_number":"{}"}}"#, fixtures::ID_OUTAGE),
            503,
            "provider.unavailable",
        ),
        (
            "/v1/otp/send",
            r#"{"mobile":"12812345678"}"#.to_owned(),
            400,
            "mobile.prefix",
        ),
        (
            "/v1/otp/verify",
            r#"{"challenge_id":"a b","code":"123456"}"#.to_owned(),
            400,
            "otp.challenge_id",
        ),
        (
            "/v1/otp/verify",
            r#"{"challenge_id":"ab","code":"12"}"#.to_owned(),
            400,
            "otp.code",
        ),
        (
            "/v1/liveness/check",
            format!(r#"{{"id_number":"{id}"}}"#),
            400,
            "face.missing",
        ),
        (
            "/v1/liveness/check",
            format!(r#"{{"id_number":"{id}","face_reference":"a","face_image_base64":"AA=="}}"#),
            400,
            "face.missing",
        ),
        (
            "/v1/liveness/check",
            format!(r#"{{"id_number":"{id}","face_image_base64":"A*=="}}"#),
            400,
            "face.base64",
        ),
        (
            "/v1/liveness/check",
            format!(r#"{{"id_number":"{id}","face_image_base64":""}}"#),
            400,
            "face.empty",
        ),
        (
            "/v1/bank-card/verify",
            format!(r#"{{"card_number":"4111111111111112","name":"张三","id_number":"{id}","mobile":"13812345678"}}"#),
            400,
            "bank_card.luhn",
        ),
        ("/v1/nothing", "{}".to_owned(), 404, "not_found"),
    ];
    for (path, body, status, code) in table {
        let answer = sim.answer(path, body.as_bytes());
        let json: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
        assert_eq!(
            (answer.status, json["error"]["code"].as_str()),
            (status, Some(code)),
            "{path} {body}"
        );
    }
    let ok = sim.answer(
        "/v1/name-id/verify",
        format!(r#"{{"name":"张三","id_number":"{id}"}}"#).as_bytes(),
    );
    assert_eq!((ok.status, ok.body.as_str()), (200, r#"{"result":"match"}"#));
}
