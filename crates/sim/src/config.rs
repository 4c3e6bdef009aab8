//! [`SimConfig`]: the size of a run and the rates of everything that happens in it.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// What to simulate. Every rate is per mille unless its name says otherwise, so the whole
/// configuration is integers and a run is reproducible from it and the seed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimConfig {
    pub seed: u64,
    /// Genuine shoppers (each applies for a credit line once).
    pub users: u32,
    pub merchants: u32,
    pub days: u32,
    /// The first simulated business day (Asia/Shanghai).
    pub start: Date,
    /// Engine partitions (in-process runs).
    pub partitions: u32,
    pub attacks: AttackRates,
    /// Shoppers who report one of their own purchases as theft (they forgot it), per 10,000
    /// approved shoppers per 30 days: the fraud team rejects these cases.
    pub mistaken_theft_reports: u32,
    /// Audit every account (not only the ones touched) every this many days; 1 audits daily.
    pub full_audit_every_days: u32,
    /// The most requests sent to the engine at once (one wave).
    pub wave_max: usize,
    /// Intents within this many seconds of the first pending one go to the engine together,
    /// at that one's time. Longer waves mean fewer durable commits (what bounds a run on a
    /// disk store) and coarser time for the risk windows.
    pub wave_span_s: u32,
}

/// How often each attack starts, per 10,000 holders per 30 days (approved shoppers for the
/// families that steal an existing account, all shoppers for those that apply).
///
/// The five families of issue 16 (bust-out to device rotation) are off in the default run, so
/// the demo's figures keep their meaning; the fraud evaluation (`crate::eval`) turns them on with
/// [`AttackRates::every_family`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttackRates {
    pub account_takeovers: u32,
    pub device_farms: u32,
    pub cash_out_rings: u32,
    #[serde(default)]
    pub bust_outs: u32,
    #[serde(default)]
    pub aged_rings: u32,
    #[serde(default)]
    pub rogue_merchants: u32,
    #[serde(default)]
    pub otp_takeovers: u32,
    #[serde(default)]
    pub device_rotations: u32,
}

impl Default for AttackRates {
    fn default() -> AttackRates {
        AttackRates {
            account_takeovers: 30,
            device_farms: 4,
            cash_out_rings: 3,
            bust_outs: 0,
            aged_rings: 0,
            rogue_merchants: 0,
            otp_takeovers: 0,
            device_rotations: 0,
        }
    }
}

impl AttackRates {
    /// Every family at once, at rates that give each family tens of attacks in a
    /// 1,000-shopper, 150-day run (the fraud evaluation's population; far above a real
    /// portfolio's rates so that five seeds say something per family).
    pub fn every_family() -> AttackRates {
        AttackRates {
            account_takeovers: 60,
            device_farms: 20,
            cash_out_rings: 20,
            bust_outs: 60,
            aged_rings: 20,
            rogue_merchants: 40,
            otp_takeovers: 60,
            device_rotations: 60,
        }
    }
}

impl SimConfig {
    /// A run of `users` shoppers over `days` days with the default rates.
    pub fn new(seed: u64, users: u32, merchants: u32, days: u32) -> SimConfig {
        SimConfig {
            seed,
            users,
            merchants,
            days,
            start: jiff::civil::date(2026, 1, 1),
            partitions: 4,
            attacks: AttackRates::default(),
            mistaken_theft_reports: 40,
            full_audit_every_days: 7,
            wave_max: 512,
            wave_span_s: 300,
        }
    }
}
