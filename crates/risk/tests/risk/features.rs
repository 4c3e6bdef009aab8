//! Feature windows against the naive twin: seeded random streams and proptest streams with time
//! gaps from 0 ms to weeks (window edges hit exactly), caps that saturate, sweeps at random.

use proptest::prelude::*;
use risk::features::{
    EntityFeatures, EntityLimits, FeatureConfig, FeatureStore, FeatureVector, SetLimits, Tally, UserLimits, Window,
    Windowed,
};
use risk::{Checkpoint, Timestamp};

use crate::common::{Rng, input, random_input};
use crate::naive::NaiveTwin;

/// Caps no test stream reaches: the store must then equal the twin exactly.
fn roomy() -> FeatureConfig {
    let set = |cap| SetLimits {
        cap,
        retention_ms: 31 * 86_400_000,
    };
    let defaults = FeatureConfig::default();
    FeatureConfig {
        user: UserLimits {
            raw_cap: 10_000,
            devices: SetLimits {
                cap: 1_000,
                ..defaults.user.devices
            },
            ips: set(1_000),
            merchants: set(1_000),
            cards: set(1_000),
            places: set(1_000),
            ..defaults.user
        },
        device: EntityLimits::new(10_000, 1_000),
        ip: EntityLimits::new(10_000, 1_000),
        merchant: EntityLimits::new(10_000, 1_000),
        card: EntityLimits::new(10_000, 1_000),
        ..defaults
    }
}

/// Caps every stream hits.
fn tight() -> FeatureConfig {
    let set = |cap| SetLimits {
        cap,
        retention_ms: 31 * 86_400_000,
    };
    let defaults = FeatureConfig::default();
    FeatureConfig {
        user: UserLimits {
            raw_cap: 3,
            devices: SetLimits {
                cap: 2,
                ..defaults.user.devices
            },
            ips: set(2),
            merchants: set(2),
            cards: set(2),
            places: set(2),
            ..defaults.user
        },
        device: EntityLimits::new(3, 2),
        ip: EntityLimits::new(3, 2),
        merchant: EntityLimits::new(3, 2),
        card: EntityLimits::new(3, 2),
        ..defaults
    }
}

/// A time step: exact window edges, then gaps from milliseconds to weeks.
fn step_ms(kind: u8, value: u64) -> i64 {
    let v = |n: u64| (value % n) as i64;
    match kind % 8 {
        0 => 0,
        1 => v(10_000),
        2 => [299_999, 300_000, 300_001, 60_000, 3_599_999, 3_600_000][v(6) as usize],
        3 => v(600_000),
        4 => v(3 * 3_600_000),
        5 => 60_000 * v(1_500),
        6 => 3_600_000 * v(80),
        _ => 86_400_000 * v(40),
    }
}

/// Runs a stream through the store and the twin, calling `check` before each observation.
fn run_stream(
    config: FeatureConfig,
    steps: &[(u8, u64, u64)],
    mut check: impl FnMut(&FeatureVector, &FeatureVector, usize),
) {
    let mut store = FeatureStore::new(config);
    let mut twin = NaiveTwin::new(config);
    let mut now = 1_700_000_000_000i64;
    for (index, &(kind, value, seed)) in steps.iter().enumerate() {
        now += step_ms(kind, value);
        let mut rng = Rng::new(seed);
        let event = random_input(&mut rng, now);
        if rng.chance(10) {
            store.sweep(Timestamp::from_millis(now));
        }
        let got = store.features_for(&event, Timestamp::from_millis(now));
        let want = twin.features_for(&event, now);
        check(&got, &want, index);
        let denied = rng.chance(15);
        store.observe(&event, denied, Timestamp::from_millis(now));
        twin.observe(&event, denied, now);
    }
}

fn random_steps(seed: u64, n: usize) -> Vec<(u8, u64, u64)> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| (rng.below(8) as u8, rng.next_u64(), rng.next_u64()))
        .collect()
}

#[test]
fn features_equal_the_naive_twin_on_seeded_streams() {
    for seed in 0..30 {
        run_stream(roomy(), &random_steps(seed, 300), |got, want, i| {
            assert!(!got.saturated(), "seed {seed} event {i}: saturated with roomy caps");
            assert_eq!(got, want, "seed {seed} event {i}");
        });
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn features_equal_the_naive_twin(steps in prop::collection::vec((0u8..8, any::<u64>(), any::<u64>()), 1..80)) {
        run_stream(roomy(), &steps, |got, want, i| {
            assert_eq!(got, want, "event {i}");
        });
    }
}

fn tally_le(got: &Windowed<Tally>, want: &Windowed<Tally>) -> bool {
    Window::ALL.iter().all(|w| {
        let (g, t) = (got.get(*w), want.get(*w));
        g.events <= t.events
            && g.payments <= t.payments
            && g.failed_logins <= t.failed_logins
            && g.payment_amount_fen <= t.payment_amount_fen
    })
}

fn entity_ok(got: &EntityFeatures, want: &EntityFeatures) -> bool {
    if got.saturated {
        tally_le(&got.tally, &want.tally)
            && Window::ALL
                .iter()
                .all(|w| got.distinct_users.get(*w) <= want.distinct_users.get(*w))
    } else {
        got == &EntityFeatures {
            saturated: false,
            ..*want
        }
    }
}

#[test]
fn saturated_keys_say_so_and_stay_lower_bounds() {
    let mut saturations = 0;
    for seed in 100..120 {
        run_stream(tight(), &random_steps(seed, 300), |got, want, i| {
            let ctx = format!("seed {seed} event {i}");
            if got.user.saturated {
                saturations += 1;
                assert!(tally_le(&got.user.tally, &want.user.tally), "{ctx}: user");
            } else {
                assert_eq!(got.user, want.user, "{ctx}: user");
            }
            assert!(entity_ok(&got.device, &want.device), "{ctx}: device");
            assert!(entity_ok(&got.ip, &want.ip), "{ctx}: ip");
            if let (Some(g), Some(w)) = (got.merchant, want.merchant) {
                assert!(entity_ok(&g, &w), "{ctx}: merchant");
            }
            if let (Some(g), Some(w)) = (got.card, want.card) {
                assert!(entity_ok(&g, &w), "{ctx}: card");
            }
        });
    }
    assert!(saturations > 100, "tight caps saturated only {saturations} times");
}

/// Window edges, one event at t = 0 and a query at `dt`: which windows count it.
#[test]
fn window_edges_are_exact() {
    let minute = 60_000;
    let hour = 60 * minute;
    let table: &[(i64, i64, [u32; 4])] = &[
        // (event ms, query ms, [5m, 1h, 24h, 30d] payments including the current one)
        (0, 1, [2, 2, 2, 2]),
        (0, 299_999, [2, 2, 2, 2]),
        (0, 300_000, [1, 2, 2, 2]),
        (0, hour - 1, [1, 2, 2, 2]),
        (0, hour, [1, 1, 2, 2]),
        // 24 h counts whole minutes: 1,440 minutes back from the query's minute.
        (0, 1_440 * minute - 1, [1, 1, 2, 2]),
        (0, 1_440 * minute, [1, 1, 1, 2]),
        (59_999, 1_440 * minute + 59_999, [1, 1, 1, 2]),
        (30_000, 1_440 * minute + 29_999, [1, 1, 1, 2]),
        // 30 d counts whole hours: 720 hours back from the query's hour.
        (0, 720 * hour - 1, [1, 1, 1, 2]),
        (0, 720 * hour, [1, 1, 1, 1]),
        (3_599_999, 720 * hour + 10, [1, 1, 1, 1]),
    ];
    let base = 1_700_000_000_000 - 1_700_000_000_000 % (24 * hour);
    for &(event, query, want) in table {
        let mut store = FeatureStore::new(FeatureConfig::default());
        let pay = input(Checkpoint::PaymentAuthorization, base + event);
        store.observe(&pay, false, Timestamp::from_millis(base + event));
        let got = store.features_for(&pay, Timestamp::from_millis(base + query));
        let t = got.user.tally;
        let counts = [t.m5.payments, t.h1.payments, t.h24.payments, t.d30.payments];
        assert_eq!(counts, want, "event at {event} ms, query at {query} ms");
    }
}

#[test]
fn sweep_forgets_idle_keys_and_changes_no_answer() {
    let day = 86_400_000;
    let mut store = FeatureStore::new(FeatureConfig::default());
    let mut twin = NaiveTwin::new(FeatureConfig::default());
    let start = 1_700_000_000_000;
    let mut rng = Rng::new(7);
    for i in 0..200 {
        let event = random_input(&mut rng, start + i * 1_000);
        store.observe(&event, false, Timestamp::from_millis(start + i * 1_000));
        twin.observe(&event, false, start + i * 1_000);
    }
    let (users, shared) = store.key_counts();
    assert!(users > 0 && shared > 0);
    // 40 days later shared keys (31 d retention) are gone, users (180 d) are not.
    let later = start + 40 * day;
    store.sweep(Timestamp::from_millis(later));
    let (users_after, shared_after) = store.key_counts();
    assert_eq!((users_after, shared_after), (users, 0));
    let probe = random_input(&mut rng, later);
    assert_eq!(
        store.features_for(&probe, Timestamp::from_millis(later)),
        twin.features_for(&probe, later)
    );
    store.sweep(Timestamp::from_millis(start + 200 * day));
    assert_eq!(store.key_counts(), (0, 0));
}

#[test]
fn time_running_backwards_is_read_as_the_latest_time() {
    let mut store = FeatureStore::new(FeatureConfig::default());
    let pay = input(Checkpoint::PaymentAuthorization, 10_000_000);
    store.observe(&pay, false, Timestamp::from_millis(10_000_000));
    store.observe(&pay, true, Timestamp::from_millis(9_000_000));
    let got = store.features_for(&pay, Timestamp::from_millis(5_000_000));
    assert_eq!(got.user.tally.m5.payments, 3);
    assert_eq!(got.user.tally.m5.denials, 1);
}

#[test]
fn history_features_on_a_small_story() {
    let hour = 3_600_000;
    let mut store = FeatureStore::new(FeatureConfig::default());
    let t0 = 1_700_000_000_000;
    // Three 100-yuan payments in Shanghai, then a 900-yuan payment from Beijing 1 h later.
    let mut pay = input(Checkpoint::PaymentAuthorization, t0);
    for i in 0..3 {
        store.observe(&pay, false, Timestamp::from_millis(t0 + i * 60_000));
    }
    pay.detail = risk::CheckpointDetail::PaymentAuthorization {
        merchant: risk::MerchantId(501),
        amount: money::Amount::yuan(900),
        installments: 1,
    };
    pay.geo = Some(crate::common::geo(39_904_200, 116_407_400));
    pay.device = risk::DeviceId(11);
    let got = store.features_for(&pay, Timestamp::from_millis(t0 + hour));
    let user = got.user;
    assert_eq!(user.payment_mean_30d_fen, Some(30_000));
    assert_eq!(
        user.amount_vs_mean_pct,
        Some(300),
        "900 yuan is three times the 300-yuan mean"
    );
    assert_eq!(user.device_age_hours, 0, "device 11 is new on the account");
    assert_eq!(user.distinct_devices.h1, 2);
    assert_eq!(user.distinct_merchants.h24, 2);
    assert_eq!(user.usual_places, 1);
    let km = user.km_from_last.expect("both located");
    assert!(
        (1_060..=1_075).contains(&km),
        "Shanghai to Beijing is about 1,067 km, got {km}"
    );
    assert!(user.kmh_from_last.expect("both located") > 1_000);
    assert_eq!(got.merchant.expect("payment").tally.d30.payments, 1);
}
