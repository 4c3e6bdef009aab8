//! The naive twin of the feature store: it keeps every event ever observed and recomputes each
//! feature from the full list on every query, straight from the definitions (window membership,
//! "including the current event", gap-reset first sightings). Shared with the store are only
//! formulas: `Window::contains`, the distance functions, `Tally::of_event` and `local_hour`.

use std::collections::HashSet;

use risk::features::HistoryFeatures;
use risk::features::{
    DAY_MS, EntityFeatures, FeatureConfig, FeatureVector, HOUR_MS, Tally, UserFeatures, Window, Windowed, cell_center,
    cell_of, degrees, distance_km, ip_key, local_hour, speed_kmh, whole_km,
};
use risk::{CheckpointDetail, CheckpointInput, UserId};

/// The documented fixed point, from the raw amounts: `floor(100 (n x - S) / isqrt(n Q - S^2))`
/// with the square root found by bisection.
fn naive_z_centi(amounts: &[i64], x: i64) -> Option<i64> {
    let n = amounts.len() as i128;
    if n < 3 {
        return None;
    }
    let s: i128 = amounts.iter().map(|&a| i128::from(a)).sum();
    let q: i128 = amounts.iter().map(|&a| i128::from(a) * i128::from(a)).sum();
    let spread = u128::try_from(n * q - s * s).ok()?;
    let (mut low, mut high) = (0u128, 1u128 << 64);
    while low + 1 < high {
        let mid = (low + high) / 2;
        if mid.checked_mul(mid).is_some_and(|m| m <= spread) {
            low = mid;
        } else {
            high = mid;
        }
    }
    if low == 0 {
        return None;
    }
    i64::try_from((100 * (n * i128::from(x) - s)).div_euclid(low as i128)).ok()
}

use crate::naive_links;

#[derive(Debug)]
pub struct NaiveTwin {
    events: Vec<(i64, CheckpointInput, bool)>,
    config: FeatureConfig,
}

/// Which events a shared key matches.
#[derive(Clone, Copy)]
enum Key {
    Device,
    Ip,
    Merchant,
    Card,
}

impl NaiveTwin {
    pub fn new(config: FeatureConfig) -> NaiveTwin {
        NaiveTwin {
            events: Vec::new(),
            config,
        }
    }

    pub fn observe(&mut self, input: &CheckpointInput, denied: bool, now_ms: i64) {
        self.events.push((now_ms, input.clone(), denied));
    }

    pub fn features_for(&self, input: &CheckpointInput, now: i64) -> FeatureVector {
        FeatureVector {
            hour_of_day: local_hour(input.at, self.config.utc_offset_minutes),
            user: self.user(input, now),
            device: self.entity(Key::Device, input, now).expect("always a device"),
            ip: self.entity(Key::Ip, input, now).expect("always an IP"),
            merchant: self.entity(Key::Merchant, input, now),
            card: self.entity(Key::Card, input, now),
            merchant_book: naive_links::merchant_book(&self.seen(), input, now),
            binding: naive_links::binding(&self.seen(), input, now),
            graph: naive_links::graph(&self.seen(), input, now, self.config.links),
            history: self.history(input, now),
        }
    }

    /// Own-history features (issue 16), from the account's events of its current run.
    fn history(&self, input: &CheckpointInput, now: i64) -> HistoryFeatures {
        let limits = self.config.user;
        let mine: Vec<&(i64, CheckpointInput, bool)> = self.events.iter().filter(|e| e.1.user == input.user).collect();
        let first = Self::first_of_run(mine.iter().map(|e| e.0), limits.retention_ms, now);
        let run: Vec<_> = match first {
            Some(f) => mine.iter().copied().filter(|e| e.0 >= f).collect(),
            None => Vec::new(),
        };
        let amounts: Vec<i64> = run
            .iter()
            .filter_map(|e| e.1.payment_amount().map(|a| a.fen().max(0)))
            .collect();
        let x = input.payment_amount().map(|a| a.fen().max(0));
        let largest = amounts.iter().copied().max();
        let retention = limits.merchants.retention_ms;
        let merchants: HashSet<_> = mine
            .iter()
            .filter(|e| e.1.payment_amount().is_some())
            .filter_map(|e| e.1.merchant())
            .collect();
        let merchant_first = |m| {
            Self::first_of_run(
                mine.iter()
                    .filter(|e| e.1.payment_amount().is_some() && e.1.merchant() == Some(m))
                    .map(|e| e.0),
                retention,
                now,
            )
        };
        let mut new_merchants = merchants
            .iter()
            .filter(|m| merchant_first(**m).is_some_and(|f| Window::H24.contains(f, now)))
            .count() as u32;
        if let (Some(m), Some(_)) = (input.merchant(), input.payment_amount())
            && merchant_first(m).is_none()
        {
            new_merchants += 1;
        }
        let request = run
            .iter()
            .rposition(|e| matches!(e.1.detail, CheckpointDetail::LimitRequest { .. }))
            .filter(|&i| Window::D30.contains(run[i].0, now));
        HistoryFeatures {
            payments_before: amounts.len() as u32,
            amount_z_centi: x.and_then(|x| naive_z_centi(&amounts, x)),
            largest_before_fen: largest,
            amount_vs_largest_pct: match (x, largest) {
                (Some(x), Some(l)) if l > 0 => Some((i128::from(x) * 100 / i128::from(l)) as u32),
                _ => None,
            },
            days_quiet: run.last().map_or(0, |e| ((now - e.0) / DAY_MS) as u32),
            new_merchants_24h: new_merchants,
            hours_since_limit_request: request.map(|i| ((now - run[i].0) / HOUR_MS) as u32),
            spend_since_limit_request_fen: request.map(|i| {
                run[i + 1..]
                    .iter()
                    .filter_map(|e| e.1.payment_amount().map(|a| a.fen().max(0)))
                    .sum::<i64>()
                    + x.unwrap_or(0)
            }),
        }
    }

    /// The events in the form the twins of `naive_links` read.
    fn seen(&self) -> Vec<(i64, naive_links::Seen)> {
        self.events
            .iter()
            .map(|(t, input, denied)| (*t, naive_links::Seen::Event(input.clone(), *denied)))
            .collect()
    }

    fn tally(event: &(i64, CheckpointInput, bool)) -> Tally {
        Tally::of_event(&event.1).with_denial(event.2)
    }

    /// Sum of `events` in each window, plus the current event.
    fn windows<'a>(
        events: impl Iterator<Item = &'a (i64, CheckpointInput, bool)> + Clone,
        current: &CheckpointInput,
        now: i64,
    ) -> Windowed<Tally> {
        let mut out = Windowed::splat(Tally::of_event(current));
        for window in Window::ALL {
            for event in events.clone().filter(|e| window.contains(e.0, now)) {
                out.get_mut(window).add(&Self::tally(event));
            }
        }
        out
    }

    /// Distinct values of `key` over `events` in each window, plus `current`.
    fn distinct<'a, K: Eq + std::hash::Hash + Copy>(
        events: impl Iterator<Item = &'a (i64, CheckpointInput, bool)> + Clone,
        key: impl Fn(&CheckpointInput) -> Option<K>,
        current: Option<K>,
        now: i64,
    ) -> Windowed<u32> {
        let mut out = Windowed::splat(0);
        for window in Window::ALL {
            let mut seen: HashSet<K> = events
                .clone()
                .filter(|e| window.contains(e.0, now))
                .filter_map(|e| key(&e.1))
                .collect();
            seen.extend(current);
            *out.get_mut(window) = seen.len() as u32;
        }
        out
    }

    /// The first time of the current run of `times` (a gap longer than `retention` restarts
    /// the run), if the run is still alive at `now`.
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

    fn user(&self, input: &CheckpointInput, now: i64) -> UserFeatures {
        let limits = self.config.user;
        let mine = self.events.iter().filter(|e| e.1.user == input.user);
        let tally = Self::windows(mine.clone(), input, now);
        let payment_merchant = |i: &CheckpointInput| i.payment_amount().and(i.merchant());
        let device_first = Self::first_of_run(
            mine.clone().filter(|e| e.1.device == input.device).map(|e| e.0),
            limits.devices.retention_ms,
            now,
        );
        let account_first = Self::first_of_run(mine.clone().map(|e| e.0), limits.retention_ms, now);
        let places: HashSet<u64> = mine
            .clone()
            .filter(|e| Window::D30.contains(e.0, now))
            .filter_map(|e| e.1.geo.map(cell_of))
            .collect();
        let km_from_usual = input.geo.and_then(|g| {
            places
                .iter()
                .map(|c| distance_km(degrees(g), cell_center(*c)))
                .min_by(|a, b| a.total_cmp(b))
                .map(whole_km)
        });
        let last = mine.clone().rfind(|e| e.1.geo.is_some());
        let (km_from_last, kmh_from_last) = match (input.geo, last) {
            (Some(g), Some(e)) if Window::D30.contains(e.0, now) => {
                let km = distance_km(degrees(e.1.geo.expect("filtered")), degrees(g));
                (Some(whole_km(km)), Some(speed_kmh(km, now - e.0)))
            }
            _ => (None, None),
        };
        let prior: Vec<_> = mine
            .clone()
            .filter(|e| Window::D30.contains(e.0, now))
            .filter_map(|e| e.1.payment_amount())
            .collect();
        let count = prior.len() as i64;
        let sum: i64 = prior.iter().map(|a| a.fen().max(0)).sum();
        UserFeatures {
            tally,
            distinct_devices: Self::distinct(mine.clone(), |i| Some(i.device), Some(input.device), now),
            distinct_ips: Self::distinct(mine.clone(), |i| Some(ip_key(i.ip)), Some(ip_key(input.ip)), now),
            distinct_merchants: Self::distinct(mine.clone(), payment_merchant, payment_merchant(input), now),
            distinct_cards: Self::distinct(mine.clone(), |i| i.card(), input.card(), now),
            account_age_days: account_first.map_or(0, |f| ((now - f) / DAY_MS) as u32),
            device_age_hours: device_first.map_or(0, |f| ((now - f) / HOUR_MS) as u32),
            usual_places: places.len() as u32,
            km_from_usual,
            km_from_last,
            kmh_from_last,
            payment_mean_30d_fen: (count > 0).then(|| sum / count),
            amount_vs_mean_pct: match input.payment_amount() {
                Some(a) if count > 0 && sum > 0 => {
                    Some((i128::from(a.fen().max(0)) * i128::from(count) * 100 / i128::from(sum)) as u32)
                }
                _ => None,
            },
            saturated: false,
        }
    }

    fn entity(&self, key: Key, input: &CheckpointInput, now: i64) -> Option<EntityFeatures> {
        let same = |other: &CheckpointInput| -> bool {
            match key {
                Key::Device => other.device == input.device,
                Key::Ip => other.ip == input.ip,
                Key::Merchant => other.merchant().is_some() && other.merchant() == input.merchant(),
                Key::Card => other.card().is_some() && other.card() == input.card(),
            }
        };
        let present = match key {
            Key::Device | Key::Ip => true,
            Key::Merchant => input.merchant().is_some(),
            Key::Card => input.card().is_some(),
        };
        if !present {
            return None;
        }
        self.entity_of(input, now, same, self.retention(key))
    }

    fn retention(&self, key: Key) -> i64 {
        match key {
            Key::Device => self.config.device.users.retention_ms,
            Key::Ip => self.config.ip.users.retention_ms,
            Key::Merchant => self.config.merchant.users.retention_ms,
            Key::Card => self.config.card.users.retention_ms,
        }
    }

    fn entity_of(
        &self,
        input: &CheckpointInput,
        now: i64,
        same: impl Fn(&CheckpointInput) -> bool,
        retention: i64,
    ) -> Option<EntityFeatures> {
        let on_key = self.events.iter().filter(|e| same(&e.1));
        let first = Self::first_of_run(on_key.clone().map(|e| e.0), retention, now);
        Some(EntityFeatures {
            tally: Self::windows(on_key.clone(), input, now),
            distinct_users: Self::distinct::<UserId>(on_key, |i| Some(i.user), Some(input.user), now),
            age_days: first.map_or(0, |f| ((now - f) / DAY_MS) as u32),
            saturated: false,
        })
    }
}
