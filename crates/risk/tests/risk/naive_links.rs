//! Naive twins of the merchant book's age, device binding and the link graph (issue 16 item 2):
//! each recomputes its answer from the full event list on every query — the graph's components
//! by a breadth-first search over every link the rule allows — and the property tests compare
//! them with the incremental store, including confirmed fraud and merchant facts.

use std::collections::{HashMap, HashSet, VecDeque};

use proptest::prelude::*;
use risk::features::{
    BINDING_LIMITS, BindingFeatures, DAY_MS, FeatureConfig, FeatureStore, GraphFeatures, LinkKey, LinkLimits,
    MERCHANT_BOOK_RETENTION_MS, MerchantCounts, MerchantFact, MerchantFeatures,
};
use risk::{CheckpointDetail, CheckpointInput, MerchantId, Timestamp, UserId};

use crate::common::{Rng, random_input};

/// One thing the twin saw: an observed checkpoint (with its denial), a merchant fact, or a
/// confirmed fraud case.
#[derive(Clone, Debug)]
pub enum Seen {
    Event(CheckpointInput, bool),
    Fact(MerchantId, MerchantFact),
    Fraud(UserId),
}

/// Run of `times` still alive at `now` (a gap longer than `retention` restarts it).
fn first_of_run(times: impl Iterator<Item = i64>, retention: i64, now: i64) -> Option<i64> {
    let mut run: Option<(i64, i64)> = None;
    for t in times {
        run = match run {
            Some((first, last)) if t - last <= retention => Some((first, t)),
            _ => Some((t, t)),
        };
    }
    run.filter(|(_, last)| now - last <= retention).map(|(first, _)| first)
}

fn events(seen: &[(i64, Seen)]) -> impl Iterator<Item = (i64, &CheckpointInput, bool)> + Clone {
    seen.iter().filter_map(|(t, s)| match s {
        Seen::Event(input, denied) => Some((*t, input, *denied)),
        _ => None,
    })
}

/// The merchant book of `input`'s merchant, if it has one.
pub fn merchant_book(seen: &[(i64, Seen)], input: &CheckpointInput, now: i64) -> Option<MerchantFeatures> {
    let merchant = input.merchant()?;
    let mut times = Vec::new();
    let (mut h24, mut d30) = (MerchantCounts::default(), MerchantCounts::default());
    for (t, s) in seen {
        match s {
            Seen::Event(i, _) if i.merchant() == Some(merchant) => times.push(*t),
            Seen::Fact(m, fact) if *m == merchant => {
                times.push(*t);
                let hour = |ms: i64| ms.div_euclid(3_600_000);
                if hour(*t) > hour(now) - 24 {
                    h24.add(&MerchantCounts::of(*fact));
                }
                if hour(*t) > hour(now) - 720 {
                    d30.add(&MerchantCounts::of(*fact));
                }
            }
            _ => {}
        }
    }
    let first = first_of_run(times.into_iter(), MERCHANT_BOOK_RETENTION_MS, now).unwrap_or(now);
    Some(MerchantFeatures {
        age_days: ((now - first) / DAY_MS) as u32,
        h24,
        d30,
    })
}

/// Binding from the definition: a bind (activation, device change) or a passed login, not
/// denied, on this account and device, last within the retention.
pub fn binding(seen: &[(i64, Seen)], input: &CheckpointInput, now: i64) -> BindingFeatures {
    let retention = BINDING_LIMITS.retention_ms;
    let mine = events(seen)
        .filter(|(t, i, denied)| i.user == input.user && !denied && i.device.0 != 0 && now - t <= retention);
    let binds = |i: &CheckpointInput| {
        matches!(
            i.detail,
            CheckpointDetail::Activation | CheckpointDetail::DeviceChange { .. }
        )
    };
    let login = |i: &CheckpointInput| matches!(i.detail, CheckpointDetail::Login { password_ok: true });
    let bound: HashSet<_> = mine
        .clone()
        .filter(|(_, i, _)| binds(i))
        .map(|(_, i, _)| i.device)
        .collect();
    let logins: HashSet<_> = mine.filter(|(_, i, _)| login(i)).map(|(_, i, _)| i.device).collect();
    BindingFeatures {
        device_bound: bound.contains(&input.device),
        device_seen_at_login: logins.contains(&input.device),
        bound_devices: bound.len() as u32,
        saturated: false,
    }
}

/// The graph from scratch: every account's first time, each key's first `cap` distinct
/// accounts chained together, then a breadth-first search from `input`'s account with the
/// event itself added.
pub fn graph(seen: &[(i64, Seen)], input: &CheckpointInput, now: i64, limits: LinkLimits) -> GraphFeatures {
    let cap = |k: &LinkKey| match k {
        LinkKey::Device(_) => limits.device_cap,
        LinkKey::Ip(_) => limits.ip_cap,
        LinkKey::Card(_) => limits.card_cap,
    } as usize;
    let mut first: HashMap<UserId, i64> = HashMap::new();
    let mut fraud: HashSet<UserId> = HashSet::new();
    let mut on_key: HashMap<LinkKey, Vec<UserId>> = HashMap::new();
    let mut crowded: HashSet<LinkKey> = HashSet::new();
    let current = (now, Seen::Event(input.clone(), false));
    for (t, s) in seen.iter().chain(std::iter::once(&current)) {
        match s {
            Seen::Event(i, _) => {
                first.entry(i.user).or_insert(*t);
                for key in LinkKey::of(i.device, i.ip, i.card()) {
                    let users = on_key.entry(key).or_default();
                    if users.contains(&i.user) || crowded.contains(&key) {
                        continue;
                    }
                    if users.len() >= cap(&key) {
                        crowded.insert(key);
                    } else {
                        users.push(i.user);
                    }
                }
            }
            Seen::Fraud(user) => {
                first.entry(*user).or_insert(*t);
                fraud.insert(*user);
            }
            Seen::Fact(..) => {}
        }
    }
    let mut edges: HashMap<UserId, Vec<UserId>> = HashMap::new();
    for users in on_key.values() {
        for &u in &users[1..] {
            edges.entry(users[0]).or_default().push(u);
            edges.entry(u).or_default().push(users[0]);
        }
    }
    let mut component = HashSet::from([input.user]);
    let mut queue = VecDeque::from([input.user]);
    while let Some(u) = queue.pop_front() {
        for v in edges.get(&u).into_iter().flatten() {
            if component.insert(*v) {
                queue.push_back(*v);
            }
        }
    }
    let oldest = component.iter().map(|u| first[u]).min().unwrap_or(now);
    GraphFeatures {
        component_size: component.len() as u32,
        component_fraud: component.iter().filter(|u| fraud.contains(u)).count() as u32,
        component_age_days: ((now - oldest) / DAY_MS) as u32,
        saturated: false,
    }
}

fn random_fact(rng: &mut Rng) -> MerchantFact {
    match rng.below(5) {
        0 => MerchantFact::Payment {
            young_or_new_device: rng.chance(40),
            maxed_out: rng.chance(20),
        },
        1 => MerchantFact::Capture {
            delivered: rng.chance(70),
        },
        2 => MerchantFact::Void,
        3 => MerchantFact::Refund,
        _ => MerchantFact::TheftReport,
    }
}

/// A stream of events, merchant facts and fraud confirmations through the store and the twins;
/// small IP caps so crowding happens, and checks before every event.
fn run_stream(steps: &[(u8, u64, u64)], limits: LinkLimits) {
    let config = FeatureConfig {
        links: limits,
        ..FeatureConfig::default()
    };
    let mut store = FeatureStore::new(config);
    let mut seen: Vec<(i64, Seen)> = Vec::new();
    let mut now = 1_700_000_000_000i64;
    for (index, &(kind, gap, seed)) in steps.iter().enumerate() {
        let mut rng = Rng::new(seed);
        now += [0, 1_000, 3_600_000, DAY_MS, 20 * DAY_MS][kind as usize % 5] * (gap % 3) as i64;
        let at = Timestamp::from_millis(now);
        match rng.below(10) {
            0 => {
                let user = UserId(rng.below(8));
                store.confirm_fraud(user, at);
                seen.push((now, Seen::Fraud(user)));
            }
            1 | 2 => {
                let (merchant, fact) = (MerchantId(rng.below(3)), random_fact(&mut rng));
                store.observe_merchant_fact(merchant, fact, at);
                seen.push((now, Seen::Fact(merchant, fact)));
            }
            _ => {
                let mut input = random_input(&mut rng, now);
                input.user = UserId(rng.below(8));
                if let CheckpointDetail::PaymentAuthorization { merchant, .. }
                | CheckpointDetail::Delivery { merchant, .. } = &mut input.detail
                {
                    *merchant = MerchantId(merchant.0 % 3);
                }
                if rng.chance(10) {
                    store.sweep(at);
                }
                let got = store.features_for(&input, at);
                assert_eq!(got.graph, graph(&seen, &input, now, limits), "graph at {index}");
                assert_eq!(got.binding, binding(&seen, &input, now), "binding at {index}");
                assert_eq!(
                    got.merchant_book,
                    merchant_book(&seen, &input, now),
                    "merchant at {index}"
                );
                let denied = rng.chance(15);
                store.observe(&input, denied, at);
                seen.push((now, Seen::Event(input, denied)));
            }
        }
    }
}

fn small_caps() -> LinkLimits {
    LinkLimits {
        device_cap: 3,
        ip_cap: 2,
        card_cap: 2,
        ..LinkLimits::default()
    }
}

#[test]
fn link_binding_and_merchant_features_equal_their_twins_on_seeded_streams() {
    for seed in 0..20 {
        let mut rng = Rng::new(seed);
        let steps: Vec<_> = (0..250)
            .map(|_| (rng.below(5) as u8, rng.next_u64(), rng.next_u64()))
            .collect();
        run_stream(&steps, small_caps());
        run_stream(&steps, LinkLimits::default());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn link_features_equal_the_twin(steps in prop::collection::vec((0u8..5, any::<u64>(), any::<u64>()), 1..120)) {
        run_stream(&steps, small_caps());
    }
}

/// Past `max_accounts` the graph stops growing and says so.
#[test]
fn a_full_graph_says_saturated() {
    let limits = LinkLimits {
        max_accounts: 3,
        ..LinkLimits::default()
    };
    let mut store = FeatureStore::new(FeatureConfig {
        links: limits,
        ..FeatureConfig::default()
    });
    let mut rng = Rng::new(7);
    let now = 1_700_000_000_000;
    for user in 0..5 {
        let mut input = random_input(&mut rng, now);
        input.user = UserId(user);
        let got = store.features_for(&input, Timestamp::from_millis(now));
        assert_eq!(got.graph.saturated, user > 3, "user {user}");
        store.observe(&input, false, Timestamp::from_millis(now));
    }
    let mut input = random_input(&mut rng, now);
    input.user = UserId(1);
    assert!(store.features_for(&input, Timestamp::from_millis(now)).graph.saturated);
}
