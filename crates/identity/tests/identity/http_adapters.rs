//! The HTTP adapters against the local test server: decoding, the request shape, 4xx without
//! retry, 5xx and timeouts with retry, the circuit breaker, malformed answers, configuration
//! checks, and agreement with the in-process simulator over the wire.

use std::sync::Arc;
use std::time::{Duration, Instant};

use identity::http::{
    BreakerState, ConfigError, HttpBankCardVerifier, HttpLivenessChecker, HttpNameIdVerifier, HttpOtpSender,
    ProviderConfig,
};
use identity::sim::{OtpPolicy, SimulatedLiveness, SimulatedProviders, fixtures};
use identity::testkit::IdentityGen;
use identity::{
    BankCard, BankCardVerifier, CardBrand, CardCheck, CardElement, ChallengeId, FaceImage, FourElements,
    LivenessChecker, LivenessScore, ManualClock, Mobile, NameIdMatch, NameIdVerifier, OtpCheck, OtpCode, OtpSender,
    Outage, PersonName, ProviderError, ResidentId,
};
use jiff::civil::{Date, date};

use super::test_server::{Reply, TestServer};

const TODAY: Date = date(2025, 6, 1);
const MATCH: &str = r#"{"result":"match"}"#;

/// Small numbers so no test waits long: 50 ms per attempt, 1 ms backoff base.
fn config(server: &TestServer) -> ProviderConfig {
    ProviderConfig {
        endpoint: server.base.clone(),
        timeout_ms: 50,
        retries: 2,
        backoff_base_ms: 1,
        circuit_failure_threshold: 100,
        circuit_open_ms: 1_000,
        api_key: None,
        jitter_seed: 1,
    }
}

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(0))
}

fn someone() -> (PersonName, ResidentId) {
    (
        PersonName::parse("张三").unwrap(),
        ResidentId::parse(fixtures::ID_MATCH, TODAY).unwrap(),
    )
}

async fn name_id_call(verifier: &HttpNameIdVerifier) -> Result<NameIdMatch, ProviderError> {
    let (name, id) = someone();
    verifier.verify_name_id(&name, &id).await
}

async fn one_call(reply: Reply, retries: u32) -> (Result<NameIdMatch, ProviderError>, usize) {
    let server = TestServer::scripted(vec![reply], Reply::Json(200, MATCH)).await;
    let verifier = HttpNameIdVerifier::new(
        &ProviderConfig {
            retries,
            ..config(&server)
        },
        clock(),
    )
    .unwrap();
    let result = name_id_call(&verifier).await;
    (result, server.hits())
}

#[tokio::test]
async fn success_answers_decode() {
    let table = [
        (r#"{"result":"match"}"#, NameIdMatch::Match),
        (r#"{"result":"mismatch"}"#, NameIdMatch::Mismatch),
        (r#"{"result":"no_record","extra":"ignored"}"#, NameIdMatch::NoRecord),
    ];
    for (body, expected) in table {
        let (result, hits) = one_call(Reply::Json(200, body), 2).await;
        assert_eq!(result, Ok(expected), "{body}");
        assert_eq!(hits, 1);
    }
}

#[tokio::test]
async fn card_and_otp_answers_decode() {
    let card_table = [
        (r#"{"result":"verified"}"#, CardCheck::Verified),
        (
            r#"{"result":"mismatch","element":"mobile"}"#,
            CardCheck::Mismatch(Some(CardElement::Mobile)),
        ),
        (r#"{"result":"mismatch","element":null}"#, CardCheck::Mismatch(None)),
        (r#"{"result":"card_not_supported"}"#, CardCheck::CardNotSupported),
    ];
    let (name, id) = someone();
    let elements = FourElements {
        card: BankCard::parse(fixtures::CARD_VERIFIED).unwrap(),
        name,
        id,
        mobile: Mobile::parse("13812345678").unwrap(),
    };
    for (body, expected) in card_table {
        let server = TestServer::scripted(vec![], Reply::Json(200, body)).await;
        let verifier = HttpBankCardVerifier::new(&config(&server), clock()).unwrap();
        assert_eq!(verifier.verify_card(&elements).await, Ok(expected), "{body}");
    }
    let otp_table = [
        (r#"{"result":"ok"}"#, OtpCheck::Ok),
        (r#"{"result":"wrong"}"#, OtpCheck::Wrong),
        (r#"{"result":"expired"}"#, OtpCheck::Expired),
        (r#"{"result":"too_many_attempts"}"#, OtpCheck::TooManyAttempts),
    ];
    let challenge = ChallengeId::parse("c-1").unwrap();
    let code = OtpCode::parse("123456").unwrap();
    for (body, expected) in otp_table {
        let server = TestServer::scripted(vec![], Reply::Json(200, body)).await;
        let sender = HttpOtpSender::new(&config(&server), clock()).unwrap();
        assert_eq!(sender.verify_otp(&challenge, &code).await, Ok(expected), "{body}");
    }
}

#[tokio::test]
async fn requests_carry_the_protocol_shape() {
    let server = TestServer::scripted(vec![], Reply::Json(200, MATCH)).await;
    let with_key = ProviderConfig {
        api_key: Some("k-123".to_owned()),
        ..config(&server)
    };
    let verifier = HttpNameIdVerifier::new(&with_key, clock()).unwrap();
    name_id_call(&verifier).await.unwrap();
    name_id_call(&verifier).await.unwrap();
    let requests = server.requests();
    let first = &requests[0];
    assert_eq!(first.path, "/v1/name-id/verify");
    let body: serde_json::Value = serde_json::from_str(&first.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"name": "张三", "id_number": fixtures::ID_MATCH})
    );
    assert_eq!(first.header("authorization"), Some("Bearer k-123"));
    assert_eq!(first.header("content-type"), Some("application/json"));
    let key = first.header("idempotency-key").unwrap();
    assert!(key.len() == 32 && key.bytes().all(|b| b.is_ascii_hexdigit()), "{key}");
    assert_ne!(requests[1].header("idempotency-key"), Some(key), "a new key per call");
}

#[tokio::test]
async fn client_errors_are_rejections_and_never_retried() {
    let table = [
        (
            Reply::Json(400, r#"{"error":{"code":"id_number.check_digit","message":"bad"}}"#),
            ProviderError::Rejected {
                status: 400,
                code: "id_number.check_digit".to_owned(),
            },
        ),
        (
            Reply::Json(404, ""),
            ProviderError::Rejected {
                status: 404,
                code: "http_404".to_owned(),
            },
        ),
        (
            Reply::Json(422, r#"{"error":{"code":"evil code\n"}}"#),
            ProviderError::Rejected {
                status: 422,
                code: "http_422".to_owned(),
            },
        ),
        (
            Reply::Json(401, "not json"),
            ProviderError::Rejected {
                status: 401,
                code: "http_401".to_owned(),
            },
        ),
        (Reply::Json(429, ""), ProviderError::Unavailable(Outage::RateLimited)),
    ];
    for (reply, expected) in table {
        let (result, hits) = one_call(reply.clone(), 3).await;
        assert_eq!(result, Err(expected), "{reply:?}");
        assert_eq!(hits, 1, "{reply:?}: no retry");
    }
}

#[tokio::test]
async fn server_errors_are_retried_with_one_idempotency_key() {
    let server = TestServer::scripted(
        vec![Reply::Json(503, "down"), Reply::Json(500, "")],
        Reply::Json(200, MATCH),
    )
    .await;
    let verifier = HttpNameIdVerifier::new(&config(&server), clock()).unwrap();
    assert_eq!(name_id_call(&verifier).await, Ok(NameIdMatch::Match));
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    let keys: Vec<_> = requests.iter().map(|r| r.header("idempotency-key")).collect();
    assert!(keys.iter().all(|k| k.is_some() && *k == keys[0]), "{keys:?}");
}

#[tokio::test]
async fn persistent_server_errors_are_unavailable_after_every_try() {
    for retries in [0, 1, 3] {
        let server = TestServer::scripted(vec![], Reply::Json(502, "")).await;
        let verifier = HttpNameIdVerifier::new(
            &ProviderConfig {
                retries,
                ..config(&server)
            },
            clock(),
        )
        .unwrap();
        let result = name_id_call(&verifier).await;
        assert_eq!(
            result,
            Err(ProviderError::Unavailable(Outage::ServerError { status: 502 }))
        );
        assert!(result.unwrap_err().is_try_later());
        assert_eq!(server.hits(), retries as usize + 1);
    }
}

#[tokio::test]
async fn a_slow_provider_times_out_as_unavailable() {
    let started = Instant::now();
    let (result, hits) = one_call(Reply::Slow(400, 200, MATCH), 0).await;
    assert_eq!(result, Err(ProviderError::Unavailable(Outage::Timeout)));
    assert_eq!(hits, 1);
    assert!(
        started.elapsed() < Duration::from_millis(400),
        "gave up before the server answered"
    );

    let (result, hits) = one_call(Reply::Slow(400, 200, MATCH), 1).await;
    assert_eq!(result, Ok(NameIdMatch::Match), "the retry reaches the fast fallback");
    assert_eq!(hits, 2);
}

#[tokio::test]
async fn a_closed_port_is_a_connection_outage() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let config = ProviderConfig {
        retries: 1,
        timeout_ms: 50,
        backoff_base_ms: 1,
        ..ProviderConfig::new(base)
    };
    let verifier = HttpNameIdVerifier::new(&config, clock()).unwrap();
    assert_eq!(
        name_id_call(&verifier).await,
        Err(ProviderError::Unavailable(Outage::Connection))
    );
}

#[tokio::test]
async fn the_circuit_opens_after_failures_and_closes_after_the_cool_down() {
    let server = TestServer::scripted(
        vec![Reply::Json(500, ""), Reply::Json(500, ""), Reply::Json(503, "")],
        Reply::Json(200, MATCH),
    )
    .await;
    let clock = clock();
    let breaking = ProviderConfig {
        retries: 0,
        circuit_failure_threshold: 2,
        circuit_open_ms: 1_000,
        ..config(&server)
    };
    let verifier = HttpNameIdVerifier::new(&breaking, clock.clone()).unwrap();
    let server_error = |status| Err(ProviderError::Unavailable(Outage::ServerError { status }));
    let circuit_open = Err(ProviderError::Unavailable(Outage::CircuitOpen));

    assert_eq!(name_id_call(&verifier).await, server_error(500));
    assert_eq!(verifier.breaker().state(), BreakerState::Closed);
    assert_eq!(name_id_call(&verifier).await, server_error(500));
    assert_eq!(verifier.breaker().state(), BreakerState::Open);
    assert_eq!(name_id_call(&verifier).await, circuit_open, "refused without a request");
    assert_eq!(server.hits(), 2);

    clock.advance_ms(1_000);
    assert_eq!(name_id_call(&verifier).await, server_error(503), "the probe fails");
    assert_eq!(verifier.breaker().state(), BreakerState::Open);
    clock.advance_ms(999);
    assert_eq!(name_id_call(&verifier).await, circuit_open);
    assert_eq!(server.hits(), 3);

    clock.advance_ms(1);
    assert_eq!(
        name_id_call(&verifier).await,
        Ok(NameIdMatch::Match),
        "the probe succeeds"
    );
    assert_eq!(verifier.breaker().state(), BreakerState::Closed);
    assert_eq!(name_id_call(&verifier).await, Ok(NameIdMatch::Match));
    assert_eq!(server.hits(), 5);
}

#[tokio::test]
async fn an_opening_circuit_cuts_retries_short() {
    let server = TestServer::scripted(vec![], Reply::Json(500, "")).await;
    let breaking = ProviderConfig {
        retries: 5,
        circuit_failure_threshold: 2,
        ..config(&server)
    };
    let verifier = HttpNameIdVerifier::new(&breaking, clock()).unwrap();
    assert_eq!(
        name_id_call(&verifier).await,
        Err(ProviderError::Unavailable(Outage::CircuitOpen))
    );
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn garbled_answers_are_bad_responses_and_not_retried() {
    let huge: &'static str =
        Box::leak(format!(r#"{{"result":"match","pad":"{}"}}"#, "x".repeat(70_000)).into_boxed_str());
    let table = [
        Reply::Json(200, "{not json"),
        Reply::Json(200, r#"{"result":"maybe"}"#),
        Reply::Json(200, r#"{"outcome":"match"}"#),
        Reply::Json(200, ""),
        Reply::Json(302, ""),
        Reply::Json(200, huge),
    ];
    for reply in table {
        let (result, hits) = one_call(reply.clone(), 3).await;
        let error = result.expect_err("garbled");
        assert!(matches!(error, ProviderError::BadResponse(_)), "{reply:?}: {error:?}");
        assert!(error.is_try_later());
        assert_eq!(hits, 1, "{reply:?}");
    }
}

#[tokio::test]
async fn garbled_fields_of_other_endpoints_are_bad_responses() {
    let (name, id) = someone();
    let mobile = Mobile::parse("13812345678").unwrap();
    let elements = FourElements {
        card: BankCard::parse(fixtures::CARD_VERIFIED).unwrap(),
        name,
        id: id.clone(),
        mobile: mobile.clone(),
    };
    let server = TestServer::scripted(vec![], Reply::Json(200, r#"{"result":"mismatch","element":"shoe"}"#)).await;
    let card = HttpBankCardVerifier::new(&config(&server), clock()).unwrap();
    assert!(matches!(
        card.verify_card(&elements).await,
        Err(ProviderError::BadResponse(_))
    ));

    let server = TestServer::scripted(vec![], Reply::Json(200, r#"{"challenge_id":"bad id!"}"#)).await;
    let otp = HttpOtpSender::new(&config(&server), clock()).unwrap();
    assert!(matches!(
        otp.send_otp(&mobile).await,
        Err(ProviderError::BadResponse(_))
    ));

    let server = TestServer::scripted(vec![], Reply::Json(200, r#"{"score_permille":1001}"#)).await;
    let threshold = LivenessScore::from_permille(800).unwrap();
    let liveness = HttpLivenessChecker::new(&config(&server), threshold, clock()).unwrap();
    let face = FaceImage::reference("capture-1").unwrap();
    assert!(matches!(
        liveness.check_liveness(&face, &id).await,
        Err(ProviderError::BadResponse(_))
    ));
}

#[test]
fn configurations_are_checked() {
    let base = ProviderConfig::new("http://127.0.0.1:9");
    let table = [
        (ProviderConfig::new("not a url"), Some(ConfigError::Endpoint)),
        (ProviderConfig::new("ftp://127.0.0.1/"), Some(ConfigError::Endpoint)),
        (
            ProviderConfig::new("http://127.0.0.1/?q=1"),
            Some(ConfigError::Endpoint),
        ),
        (
            ProviderConfig::new("https://provider.example/"),
            Some(ConfigError::TlsNotBuilt),
        ),
        (
            ProviderConfig {
                timeout_ms: 0,
                ..base.clone()
            },
            Some(ConfigError::Timeout),
        ),
        (
            ProviderConfig {
                timeout_ms: 60_001,
                ..base.clone()
            },
            Some(ConfigError::Timeout),
        ),
        (
            ProviderConfig {
                retries: 11,
                ..base.clone()
            },
            Some(ConfigError::Retries),
        ),
        (
            ProviderConfig {
                backoff_base_ms: 10_001,
                ..base.clone()
            },
            Some(ConfigError::Backoff),
        ),
        (
            ProviderConfig {
                circuit_failure_threshold: 0,
                ..base.clone()
            },
            Some(ConfigError::CircuitThreshold),
        ),
        (
            ProviderConfig {
                api_key: Some("a\nb".to_owned()),
                ..base.clone()
            },
            Some(ConfigError::ApiKey),
        ),
        (ProviderConfig::new("http://127.0.0.1:9/base/"), None),
        (base.clone(), None),
    ];
    for (config, expected) in table {
        let got = HttpNameIdVerifier::new(&config, clock()).err();
        assert_eq!(got, expected, "{config:?}");
    }
    let with_key = ProviderConfig {
        api_key: Some("secret-key".to_owned()),
        ..base
    };
    assert!(!format!("{with_key:?}").contains("secret-key"));
}

#[test]
fn configuration_deserializes_with_defaults() {
    let config: ProviderConfig = serde_json::from_str(r#"{"endpoint":"http://127.0.0.1:9","retries":4}"#).unwrap();
    assert_eq!(
        config,
        ProviderConfig {
            retries: 4,
            ..ProviderConfig::new("http://127.0.0.1:9")
        }
    );
    assert!(serde_json::from_str::<ProviderConfig>(r#"{"endpoint":"x","retry":4}"#).is_err());
}

const SEED: u64 = 77;

async fn simulator_server() -> (Arc<SimulatedProviders>, TestServer) {
    let sim = Arc::new(SimulatedProviders::new(SEED, OtpPolicy::default(), clock()));
    let server = TestServer::simulator(sim.clone()).await;
    (sim, server)
}

#[tokio::test]
async fn adapters_agree_with_the_in_process_simulator_over_the_wire() {
    let (sim, server) = simulator_server().await;
    let config = config(&server);
    let name_id = HttpNameIdVerifier::new(&config, clock()).unwrap();
    let card = HttpBankCardVerifier::new(&config, clock()).unwrap();
    let threshold = LivenessScore::from_permille(800).unwrap();
    let liveness = HttpLivenessChecker::new(&config, threshold, clock()).unwrap();
    let local_liveness = SimulatedLiveness::new(SEED, threshold);

    let mut generator = IdentityGen::new(5);
    let mut ids: Vec<ResidentId> = [fixtures::ID_MATCH, fixtures::ID_NAME_MISMATCH, fixtures::ID_NO_RECORD]
        .iter()
        .map(|t| ResidentId::parse(t, TODAY).unwrap())
        .collect();
    ids.extend((0..20).map(|_| generator.resident_id(TODAY, 18, 70)));
    let faces = [
        FaceImage::reference("capture-1").unwrap(),
        FaceImage::reference("spoof-mask").unwrap(),
        FaceImage::reference("score-800").unwrap(),
        FaceImage::bytes(vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 1, 2]).unwrap(),
    ];
    for (i, id) in ids.iter().enumerate() {
        let name = generator.person_name();
        let local = sim.name_id.answer(&name, id);
        assert_eq!(name_id.verify_name_id(&name, id).await, local, "name/id {i}");

        let brand = [CardBrand::UnionPay, CardBrand::Visa, CardBrand::Jcb][i % 3];
        let elements = FourElements {
            card: generator.bank_card(brand),
            name,
            id: id.clone(),
            mobile: generator.mobile(),
        };
        assert_eq!(
            card.verify_card(&elements).await,
            sim.bank_card.answer(&elements),
            "card {i}"
        );

        let face = &faces[i % faces.len()];
        let local = local_liveness.answer(face, id);
        assert_eq!(liveness.check_liveness(face, id).await, local, "liveness {i}");
    }
}

#[tokio::test]
async fn otp_round_trip_and_fixture_errors_over_the_wire() {
    let (sim, server) = simulator_server().await;
    let otp = HttpOtpSender::new(&config(&server), clock()).unwrap();
    let mobile = Mobile::parse("+86 138 0013 8000").unwrap();
    let challenge = otp.send_otp(&mobile).await.unwrap();
    let right = sim.otp.code_for(&challenge);
    let wrong = OtpCode::parse(if right.as_str() == "000000" { "111111" } else { "000000" }).unwrap();
    assert_eq!(otp.verify_otp(&challenge, &wrong).await, Ok(OtpCheck::Wrong));
    assert_eq!(otp.verify_otp(&challenge, &right).await, Ok(OtpCheck::Ok));
    assert_eq!(otp.verify_otp(&challenge, &right).await, Ok(OtpCheck::Expired));

    let unreachable = Mobile::parse(fixtures::MOBILE_UNREACHABLE).unwrap();
    assert_eq!(
        otp.send_otp(&unreachable).await,
        Err(ProviderError::Rejected {
            status: 422,
            code: "mobile.unreachable".to_owned()
        })
    );
    let hits = server.hits();
    let down = Mobile::parse(fixtures::MOBILE_OUTAGE).unwrap();
    assert_eq!(
        otp.send_otp(&down).await,
        Err(ProviderError::Unavailable(Outage::ServerError { status: 503 }))
    );
    assert_eq!(server.hits(), hits + 3, "the outage fixture is retried like any 503");
}
