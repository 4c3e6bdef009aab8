//! Seeded applicant populations (behind the `testkit` feature), for tests, the benchmark and the
//! population simulator.
//!
//! Each [`Applicant`] has a latent class, good or bad, drawn at the data's bad rate (28%); its
//! credit file is drawn column by column from that class's marginal distribution in
//! `credit_data_es` ([`marginals`]). The scorecard is a weighted sum of per-column evidence, so
//! the latent class and the model agree the way they do on the data: bad applicants get higher
//! PDs (the tests check the ranking). Within a class the columns are independent, which the
//! data is not quite; the population is realistic in its marginals and its score distribution,
//! not in every correlation.
//!
//! Identities are valid (`identity::testkit`: ID number for the drawn age, mobile, a UnionPay
//! card with the mobile reserved, a passing face reference, OCR that agrees). Contexts have a
//! device and an IP of their own and a location near one of eight cities; [`Population::device_farm`]
//! makes applicants who share one device and IP.

pub mod marginals;
pub mod rng;

use std::net::IpAddr;

use identity::CardBrand;
use identity::testkit::IdentityGen;
use jiff::ToSpan;
use jiff::civil::Date;
use risk::{Channel, DeviceId, Geo};

use crate::application::{ApplicationInput, OcrInput};
use crate::credit_file::{CreditFileInput, Employment, Housing, MODEL_UNIT_FEN, Marital};
use engine::RiskContext;
use marginals::Marginals;
use rng::SplitMix64;

/// Yuan per model money unit.
const UNIT_YUAN: f64 = MODEL_UNIT_FEN as f64 / 100.0;

/// City centres (micro-degrees): Beijing, Shanghai, Guangzhou, Shenzhen, Chengdu, Hangzhou,
/// Wuhan, Xi'an.
const CITIES: [(i32, i32); 8] = [
    (39_904_200, 116_407_400),
    (31_230_400, 121_473_700),
    (23_129_100, 113_264_400),
    (22_543_100, 114_057_900),
    (30_572_800, 104_066_800),
    (30_274_100, 120_155_100),
    (30_592_800, 114_305_500),
    (34_341_600, 108_939_800),
];

/// One generated applicant.
#[derive(Clone, Debug)]
pub struct Applicant {
    pub input: ApplicationInput,
    pub context: RiskContext,
    /// The latent class: would this applicant default?
    pub bad: bool,
}

/// A deterministic stream of applicants.
#[derive(Debug)]
pub struct Population {
    rng: SplitMix64,
    identities: IdentityGen,
    marginals: Marginals,
    today: Date,
    serial: u64,
}

impl Population {
    /// Applicants applying on `today`.
    pub fn new(seed: u64, today: Date) -> Population {
        Population {
            rng: SplitMix64::new(seed ^ 0x6F6E_626F_6172_6421),
            identities: IdentityGen::new(seed),
            marginals: Marginals::shipped(),
            today,
            serial: 0,
        }
    }

    /// The next applicant, good or bad at the data's rate.
    pub fn applicant(&mut self) -> Applicant {
        let bad = rng::chance(&mut self.rng, self.marginals.bad_rate);
        self.applicant_of(bad)
    }

    /// An applicant of the given latent class.
    pub fn applicant_of(&mut self, bad: bool) -> Applicant {
        self.serial += 1;
        let age = self
            .marginals
            .number(&mut self.rng, bad, "Age")
            .round()
            .clamp(18.0, 68.0) as u16;
        let (credit_file, income, requested) = self.credit_file(bad);
        let input = self.identity(age, credit_file, income, requested);
        let context = self.context();
        Applicant { input, context, bad }
    }

    /// `size` applicants on one device and one IP (a device farm), of the bad class.
    pub fn device_farm(&mut self, size: usize) -> Vec<Applicant> {
        let shared = self.context();
        (0..size)
            .map(|_| Applicant {
                context: shared.clone(),
                ..self.applicant_of(true)
            })
            .collect()
    }

    /// A credit file, the declared monthly income and the requested limit (fen).
    fn credit_file(&mut self, bad: bool) -> (CreditFileInput, i64, i64) {
        let m = &self.marginals;
        let rng = &mut self.rng;
        let mut money = |name: &str| whole_yuan_fen(m.number(rng, bad, name).max(0.0) * UNIT_YUAN);
        let (expenses, income, assets, debt) = (money("Expenses"), money("Income"), money("Assets"), money("Debt"));
        let (amount, price) = (money("Amount"), money("Price"));
        let file = CreditFileInput {
            employment_years: m.number(rng, bad, "Seniority").round().clamp(0.0, 60.0) as u32,
            housing: match m.category(rng, bad, "Home").as_str() {
                "owner" => Housing::Owner,
                "rent" => Housing::Rent,
                "parents" => Housing::Parents,
                "priv" => Housing::Private,
                _ => Housing::Other,
            },
            marital_status: match m.category(rng, bad, "Marital").as_str() {
                "married" => Marital::Married,
                "widow" => Marital::Widowed,
                "divorced" => Marital::Divorced,
                "separated" => Marital::Separated,
                _ => Marital::Single,
            },
            adverse_records: m.category(rng, bad, "Records") == "yes",
            employment: match m.category(rng, bad, "Job").as_str() {
                "fixed" => Employment::Fixed,
                "freelance" => Employment::Freelance,
                "partime" => Employment::PartTime,
                _ => Employment::Other,
            },
            monthly_expenses_fen: expenses,
            assets_fen: assets,
            debt_fen: debt,
            planned_term_months: m.number(rng, bad, "Time").round().clamp(1.0, 72.0) as u32,
            purchase_price_fen: Some(price),
        };
        (file, income, amount)
    }

    fn identity(&mut self, age: u16, credit_file: CreditFileInput, income: i64, requested: i64) -> ApplicationInput {
        let id = self.identities.resident_id(self.today, age, age);
        let name = self.identities.person_name();
        let mobile = self.identities.mobile();
        let card = self.identities.bank_card(CardBrand::UnionPay);
        let valid_until = self.today.checked_add(5.years()).unwrap_or(self.today);
        ApplicationInput {
            name: name.as_str().to_owned(),
            id_number: id.as_str().to_owned(),
            mobile: mobile.as_str().to_owned(),
            bank_card: card.as_str().to_owned(),
            reserved_mobile: mobile.as_str().to_owned(),
            face_reference: format!("face-{}", self.serial),
            ocr: OcrInput {
                name: name.as_str().to_owned(),
                id_number: id.as_str().to_owned(),
                valid_until: Some(valid_until.to_string()),
            },
            declared_monthly_income_fen: income,
            requested_limit_fen: requested,
            billing_day: None,
            credit_file,
        }
    }

    /// A device and an IP of the applicant's own, near a city.
    fn context(&mut self) -> RiskContext {
        let (lat, lon) = CITIES[self.rng.below(CITIES.len() as u64) as usize];
        let jitter = |rng: &mut SplitMix64| rng.below(200_001) as i32 - 100_000;
        let geo = Geo::new(lat + jitter(&mut self.rng), lon + jitter(&mut self.rng)).ok();
        let ip = self.rng.next_u64();
        RiskContext {
            device: DeviceId(self.rng.next_u64() | 1),
            ip: IpAddr::from([
                58 + (ip % 60) as u8,
                (ip >> 8) as u8,
                (ip >> 16) as u8,
                1 + (ip >> 24) as u8 % 250,
            ]),
            geo,
            ..RiskContext::unknown(Channel::Online)
        }
    }
}

/// Whole yuan in fen (`6250.4` yuan is `625_000`).
fn whole_yuan_fen(yuan: f64) -> i64 {
    (yuan.round() as i64).saturating_mul(100)
}
