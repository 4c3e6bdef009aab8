//! The test bench: an engine on a memory store with the shipped rules and a manual clock, the
//! onboarding service with the identity simulators, and application builders.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use credit::{Account, AccountId};
use engine::{Engine, EngineConfig, ManualClock, RiskContext, RiskShared};
use identity::testkit::IdentityGen;
use identity::{LivenessScore, sim::fixtures};
use jiff::Timestamp;
use onboarding::{
    ApplicationInput, BlindIndexKey, CreditFileInput, Decision, Employment, Housing, Marital, OcrInput, Onboarding,
    OnboardingConfig, Providers,
};
use risk::{Channel, DeviceId, RuleSetCell};
use store::memory::MemoryBackend;

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn start_at() -> Timestamp {
    "2026-03-10T10:00:00+08:00".parse().unwrap()
}

pub fn today() -> jiff::civil::Date {
    jiff::civil::date(2026, 3, 10)
}

/// The key every test uses (32 bytes of hex).
pub const KEY_HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

pub fn key() -> BlindIndexKey {
    BlindIndexKey::from_hex(KEY_HEX).unwrap()
}

fn risk_config() -> EngineConfig {
    let rules = engine::rules_dir::load_dir(&repo().join("rules"), risk::EvaluatorChoice::Auto).unwrap();
    let shared = RiskShared::new(
        Arc::new(RuleSetCell::new(Arc::new(rules))),
        risk::FeatureConfig::default(),
    );
    EngineConfig {
        risk: Some(Arc::new(shared)),
        ..plain_config()
    }
}

fn plain_config() -> EngineConfig {
    EngineConfig {
        partitions: 2,
        schedule: false,
        project: false,
        ..EngineConfig::default()
    }
}

pub fn service(store: onboarding::ApplicationStore) -> Onboarding {
    Onboarding::load(
        OnboardingConfig::new(key()),
        Providers::simulated(7, LivenessScore::from_permille(800).unwrap()),
        &repo().join("models/credit_data_es"),
        &repo().join("rules/limits"),
        store,
    )
    .unwrap()
}

pub struct Bench {
    pub engine: Engine,
    pub clock: Arc<ManualClock>,
    pub onboarding: Onboarding,
}

impl Bench {
    /// With the shipped risk rules.
    pub fn new() -> Bench {
        Bench::with(risk_config())
    }

    /// Without risk rules (the checkpoint always allows).
    pub fn without_risk() -> Bench {
        Bench::with(plain_config())
    }

    fn with(config: EngineConfig) -> Bench {
        let clock = Arc::new(ManualClock::new(start_at()));
        let engine = Engine::start(config, Arc::new(MemoryBackend::new()), clock.clone()).unwrap();
        let onboarding = service(onboarding::ApplicationStore::memory());
        Bench {
            engine,
            clock,
            onboarding,
        }
    }

    pub fn now(&self) -> Timestamp {
        engine::Clock::now(&*self.clock)
    }

    pub async fn apply(&self, input: &ApplicationInput, context: RiskContext) -> Decision {
        self.onboarding
            .apply(&self.engine, input, context, self.now())
            .await
            .unwrap()
    }

    pub async fn account(&self, account: AccountId) -> Option<Box<Account>> {
        self.engine.account(account).unwrap().await.unwrap()
    }

    pub async fn profile(&self, account: AccountId) -> Option<engine::CreditProfile> {
        self.engine.credit_profile(account).unwrap().await.unwrap()
    }

    pub async fn call(&self, request: engine::Request) -> engine::Reply {
        self.engine.submit(request, None).unwrap().await.unwrap()
    }
}

/// A context of its own: device `n`, an address from `n`.
pub fn context(n: u64) -> RiskContext {
    RiskContext {
        device: DeviceId(1_000 + n),
        ip: IpAddr::from([58, 1, (n >> 8) as u8, (n % 250) as u8 + 1]),
        ..RiskContext::unknown(Channel::Online)
    }
}

/// A strong credit file: 10 years with a permanent job, owner, married, no arrears, income
/// 10,000 yuan, assets 300,000 yuan, asking for 20,000 yuan.
pub fn good_file() -> CreditFileInput {
    CreditFileInput {
        employment_years: 10,
        housing: Housing::Owner,
        marital_status: Marital::Married,
        adverse_records: false,
        employment: Employment::Fixed,
        monthly_expenses_fen: 200_000,
        assets_fen: 30_000_000,
        debt_fen: 0,
        planned_term_months: 12,
        purchase_price_fen: Some(6_000_000),
    }
}

/// A weak one: no tenure, part-time, renting, arrears on record, high expenses, no assets.
pub fn bad_file() -> CreditFileInput {
    CreditFileInput {
        employment_years: 0,
        housing: Housing::Rent,
        marital_status: Marital::Single,
        adverse_records: true,
        employment: Employment::PartTime,
        monthly_expenses_fen: 500_000,
        assets_fen: 0,
        debt_fen: 2_000_000,
        planned_term_months: 60,
        purchase_price_fen: Some(9_000_000),
    }
}

/// An applicant built from parts; every identity element is valid and consistent.
#[derive(Clone, Debug)]
pub struct Person {
    pub name: String,
    pub id: String,
    pub mobile: String,
    pub card: String,
}

impl Person {
    /// A seeded person aged `age` whose card always verifies (the simulator's fixture card).
    pub fn aged(seed: u64, age: u16) -> Person {
        let mut ids = IdentityGen::new(seed);
        let id = ids.resident_id(today(), age, age);
        Person {
            name: ids.person_name().as_str().to_owned(),
            id: id.as_str().to_owned(),
            mobile: ids.mobile().as_str().to_owned(),
            card: fixtures::CARD_VERIFIED.to_owned(),
        }
    }

    /// An application with `file`, the monthly income and the requested limit in fen.
    pub fn application(&self, file: CreditFileInput, income_fen: i64, requested_fen: i64) -> ApplicationInput {
        ApplicationInput {
            name: self.name.clone(),
            id_number: self.id.clone(),
            mobile: self.mobile.clone(),
            bank_card: self.card.clone(),
            reserved_mobile: self.mobile.clone(),
            face_reference: "face-ok".into(),
            ocr: OcrInput {
                name: self.name.clone(),
                id_number: self.id.clone(),
                valid_until: Some("2031-01-01".into()),
            },
            declared_monthly_income_fen: income_fen,
            requested_limit_fen: requested_fen,
            billing_day: None,
            credit_file: file,
        }
    }

    pub fn good(&self) -> ApplicationInput {
        self.application(good_file(), 1_000_000, 2_000_000)
    }
}
