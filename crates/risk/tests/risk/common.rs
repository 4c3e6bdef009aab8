//! Shared test helpers: the default rule files, a seeded random generator, and builders of
//! checkpoint inputs.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use money::Amount;
use risk::{
    CardToken, Channel, Checkpoint, CheckpointDetail, CheckpointInput, DeviceId, EvaluatorChoice, Geo, MerchantId,
    ProfileField, RuleSet, Signals, Timestamp, UserId,
};

/// The repository's `rules/` folder.
pub fn rules_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../rules")
}

/// `(name, json)` of every default graph.
pub fn default_sources() -> Vec<(String, String)> {
    Checkpoint::ALL
        .iter()
        .map(|c| {
            let path = rules_dir().join(format!("{}.json", c.name()));
            let json = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
            (c.name().to_owned(), json)
        })
        .collect()
}

pub fn default_rules(choice: EvaluatorChoice) -> RuleSet {
    RuleSet::from_sources(default_sources(), choice).expect("default rules build")
}

/// SplitMix64: a small seeded generator, so every failure replays from its seed.
#[derive(Clone, Debug)]
pub struct Rng(seeded::SplitMix64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seeded::SplitMix64::new(seed))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub fn range(&mut self, low: i64, high: i64) -> i64 {
        low + self.below((high - low + 1) as u64) as i64
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

/// A few places customers are seen (Shanghai, Hangzhou, Beijing, Guangzhou, Urumqi).
pub const PLACES: [(i32, i32); 5] = [
    (31_230_400, 121_473_700),
    (30_274_100, 120_155_100),
    (39_904_200, 116_407_400),
    (23_129_100, 113_264_400),
    (43_825_600, 87_616_800),
];

pub fn geo(lat: i32, lon: i32) -> Geo {
    Geo::new(lat, lon).expect("valid test coordinates")
}

/// A default input for `checkpoint` (user 1, device 10, an IP, Shanghai, online).
pub fn input(checkpoint: Checkpoint, at_ms: i64) -> CheckpointInput {
    CheckpointInput {
        user: UserId(1),
        device: DeviceId(10),
        ip: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
        geo: Some(geo(PLACES[0].0, PLACES[0].1)),
        channel: Channel::Online,
        at: Timestamp::from_millis(at_ms),
        signals: Signals::default(),
        detail: detail(checkpoint, at_ms),
    }
}

/// A typical detail for `checkpoint`.
pub fn detail(checkpoint: Checkpoint, at_ms: i64) -> CheckpointDetail {
    match checkpoint {
        Checkpoint::Login => CheckpointDetail::Login { password_ok: true },
        Checkpoint::DeviceChange => CheckpointDetail::DeviceChange {
            previous_device: Some(DeviceId(9)),
        },
        Checkpoint::Activation => CheckpointDetail::Activation,
        Checkpoint::CreditApplication => CheckpointDetail::CreditApplication {
            requested_limit: Amount::yuan(20_000),
            declared_monthly_income: Some(Amount::yuan(8_000)),
        },
        Checkpoint::PaymentAuthorization => CheckpointDetail::PaymentAuthorization {
            merchant: MerchantId(500),
            amount: Amount::yuan(300),
            installments: 1,
        },
        Checkpoint::ProfileChange => CheckpointDetail::ProfileChange {
            field: ProfileField::BankCard,
            card: Some(CardToken(7_000)),
        },
        Checkpoint::Repayment => CheckpointDetail::Repayment {
            amount: Amount::yuan(1_000),
            card: CardToken(7_000),
        },
        Checkpoint::Delivery => CheckpointDetail::Delivery {
            merchant: MerchantId(500),
            order_amount: Amount::yuan(300),
            address_changed: false,
            authorized_at: Timestamp::from_millis(at_ms - 6 * 3_600_000),
        },
        Checkpoint::LimitRequest => CheckpointDetail::LimitRequest {
            amount: Amount::yuan(5_000),
            days: 30,
        },
    }
}

/// A random input drawn from small pools, so users share devices, IPs, merchants and cards.
pub fn random_input(rng: &mut Rng, at_ms: i64) -> CheckpointInput {
    let checkpoint = rng.pick(&Checkpoint::ALL);
    let detail = random_detail_for(rng, checkpoint, at_ms);
    let place = rng.pick(&PLACES);
    CheckpointInput {
        user: UserId(rng.below(6)),
        device: DeviceId(rng.below(6)),
        ip: IpAddr::V4(Ipv4Addr::new(10, 0, 0, rng.below(5) as u8)),
        geo: rng.chance(85).then(|| {
            geo(
                place.0 + rng.range(-30_000, 30_000) as i32,
                place.1 + rng.range(-30_000, 30_000) as i32,
            )
        }),
        channel: rng.pick(&[
            Channel::Online,
            Channel::Online,
            Channel::OfflineQr,
            Channel::OfflineNfc,
        ]),
        at: Timestamp::from_millis(at_ms - rng.range(0, 600_000)),
        signals: Signals {
            device_listed: rng.chance(3),
            ip_listed: rng.chance(3),
            card_listed: rng.chance(3),
            emulator: rng.chance(5),
            proxy: rng.chance(8),
        },
        detail,
    }
}

/// A random detail for `checkpoint`.
pub fn random_detail_for(rng: &mut Rng, checkpoint: Checkpoint, at_ms: i64) -> CheckpointDetail {
    let amount = |rng: &mut Rng| Amount::from_fen(rng.pick(&[100, 5_000, 30_000, 250_000, 900_000]));
    match checkpoint {
        Checkpoint::Login => CheckpointDetail::Login {
            password_ok: rng.chance(70),
        },
        Checkpoint::DeviceChange => CheckpointDetail::DeviceChange {
            previous_device: rng.chance(80).then(|| DeviceId(rng.below(6))),
        },
        Checkpoint::Activation => CheckpointDetail::Activation,
        Checkpoint::CreditApplication => CheckpointDetail::CreditApplication {
            requested_limit: amount(rng),
            declared_monthly_income: rng.chance(70).then(|| amount(rng)),
        },
        Checkpoint::PaymentAuthorization => CheckpointDetail::PaymentAuthorization {
            merchant: MerchantId(rng.below(4)),
            amount: amount(rng),
            installments: rng.pick(&[1, 3, 6, 12]),
        },
        Checkpoint::ProfileChange => CheckpointDetail::ProfileChange {
            field: if rng.chance(50) {
                ProfileField::Phone
            } else {
                ProfileField::BankCard
            },
            card: rng.chance(50).then(|| CardToken(rng.below(4))),
        },
        Checkpoint::Repayment => CheckpointDetail::Repayment {
            amount: amount(rng),
            card: CardToken(rng.below(4)),
        },
        Checkpoint::Delivery => CheckpointDetail::Delivery {
            merchant: MerchantId(rng.below(4)),
            order_amount: amount(rng),
            address_changed: rng.chance(20),
            authorized_at: Timestamp::from_millis(at_ms - rng.range(0, 48) * 3_600_000),
        },
        Checkpoint::LimitRequest => CheckpointDetail::LimitRequest {
            amount: amount(rng),
            days: rng.pick(&[0, 7, 30, 90]),
        },
    }
}
