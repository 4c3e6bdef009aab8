//! A small population with attacks at boosted rates, so every attack happens in a short run,
//! and one shared run of it for the tests that only read figures.

use std::sync::OnceLock;

use sim::{AttackRates, Figures, SimConfig};

/// 400 shoppers over 75 days, attacks about ten times as often as the defaults, mistaken theft
/// reports fifteen times.
pub fn small(seed: u64) -> SimConfig {
    let mut config = SimConfig::new(seed, 400, 60, 75);
    config.attacks = AttackRates {
        account_takeovers: 400,
        device_farms: 60,
        cash_out_rings: 50,
        // The families of issue 16 have their own run (`families.rs`).
        ..AttackRates::default()
    };
    // About half a mistaken theft report a day, so the run leaves some cases open.
    config.mistaken_theft_reports = 600;
    config.full_audit_every_days = 1;
    config
}

pub fn run(config: &SimConfig) -> Figures {
    sim::run_in_memory(config, None, &mut sim::progress::Silent)
        .unwrap_or_else(|e| panic!("the simulation stopped: {e}"))
}

/// The run of `small(11)`, made once for every test that reads it.
pub fn shared() -> &'static Figures {
    static FIGURES: OnceLock<Figures> = OnceLock::new();
    FIGURES.get_or_init(|| run(&small(11)))
}
