//! [`JournaledFeatures`]: what a decision's journal record keeps of its [`FeatureVector`] —
//! every value the rules' field table (`rules::context`) reads, and so every value the fraud
//! model, `iou backtest` and the training rows read, and nothing else, compactly.
//!
//! The full vector carries counters no rule reads (a device's repayments, an IP's profile
//! changes, a card's denials ...): journaling them cost the writer and every journal reader
//! (the projector decoded them only to drop them). The own-history features, which the full
//! vector's encoding did not carry (records of version 2 and before), are here.
//!
//! Back to a [`FeatureVector`] with [`JournaledFeatures::expand`]: the values the table reads
//! are exactly the journaled ones (tested on random vectors against the table itself, so a
//! table field added without a place here fails the test); the counters no rule reads come back
//! as zero, and the per-key `saturated` flags as they were.

use serde::{Deserialize, Serialize};

use super::binding::BindingFeatures;
use super::history::HistoryFeatures;
use super::merchant::MerchantFeatures;
use super::tally::Tally;
use super::vector::{EntityFeatures, FeatureVector, GraphFeatures, UserFeatures};
use super::window::Windowed;

/// The journaled form of a [`FeatureVector`] (see the module doc). Append-only, like every
/// journaled struct: a field added later goes last, behind a new journal record version.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournaledFeatures {
    hour_of_day: u8,
    /// The boolean features, one bit each (`FLAG_*`).
    flags: u16,
    user: Windowed<UserWindow>,
    user_rest: UserRest,
    device: Windowed<DeviceWindow>,
    device_age_days: u32,
    ip: Windowed<IpWindow>,
    merchant: Option<Windowed<MerchantWindow>>,
    card: Option<(Windowed<CardWindow>, u32)>,
    merchant_book: Option<MerchantFeatures>,
    bound_devices: u32,
    graph: (u32, u32, u32),
    history: HistoryFeatures,
}

const FLAG_USER_SATURATED: u16 = 1;
const FLAG_DEVICE_SATURATED: u16 = 1 << 1;
const FLAG_IP_SATURATED: u16 = 1 << 2;
const FLAG_MERCHANT_SATURATED: u16 = 1 << 3;
const FLAG_CARD_SATURATED: u16 = 1 << 4;
const FLAG_DEVICE_BOUND: u16 = 1 << 5;
const FLAG_SEEN_AT_LOGIN: u16 = 1 << 6;
const FLAG_BINDING_SATURATED: u16 = 1 << 7;
const FLAG_GRAPH_SATURATED: u16 = 1 << 8;

/// The user's counters of one window that rules read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct UserWindow {
    events: u32,
    logins: u32,
    failed_logins: u32,
    device_changes: u32,
    credit_applications: u32,
    payments: u32,
    payment_amount_fen: i64,
    profile_changes: u32,
    repayments: u32,
    denials: u32,
    distinct_devices: u32,
    distinct_ips: u32,
    distinct_merchants: u32,
    distinct_cards: u32,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct UserRest {
    account_age_days: u32,
    device_age_hours: u32,
    usual_places: u32,
    km_from_usual: Option<u32>,
    km_from_last: Option<u32>,
    kmh_from_last: Option<u32>,
    payment_mean_30d_fen: Option<i64>,
    amount_vs_mean_pct: Option<u32>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct DeviceWindow {
    events: u32,
    logins: u32,
    failed_logins: u32,
    payments: u32,
    payment_amount_fen: i64,
    distinct_users: u32,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct IpWindow {
    events: u32,
    failed_logins: u32,
    payments: u32,
    credit_applications: u32,
    distinct_users: u32,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct MerchantWindow {
    payments: u32,
    payment_amount_fen: i64,
    denials: u32,
    distinct_users: u32,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct CardWindow {
    events: u32,
    distinct_users: u32,
}

/// `f` over the four windows of two windowed values at once.
fn zip<A: Copy, B: Copy, C>(a: &Windowed<A>, b: &Windowed<B>, f: impl Fn(A, B) -> C) -> Windowed<C> {
    Windowed {
        m5: f(a.m5, b.m5),
        h1: f(a.h1, b.h1),
        h24: f(a.h24, b.h24),
        d30: f(a.d30, b.d30),
    }
}

fn flag(on: bool, bit: u16) -> u16 {
    if on { bit } else { 0 }
}

impl From<&FeatureVector> for JournaledFeatures {
    fn from(f: &FeatureVector) -> JournaledFeatures {
        let u = &f.user;
        let flags = flag(u.saturated, FLAG_USER_SATURATED)
            | flag(f.device.saturated, FLAG_DEVICE_SATURATED)
            | flag(f.ip.saturated, FLAG_IP_SATURATED)
            | flag(f.merchant.is_some_and(|m| m.saturated), FLAG_MERCHANT_SATURATED)
            | flag(f.card.is_some_and(|c| c.saturated), FLAG_CARD_SATURATED)
            | flag(f.binding.device_bound, FLAG_DEVICE_BOUND)
            | flag(f.binding.device_seen_at_login, FLAG_SEEN_AT_LOGIN)
            | flag(f.binding.saturated, FLAG_BINDING_SATURATED)
            | flag(f.graph.saturated, FLAG_GRAPH_SATURATED);
        let distinct = zip(&u.distinct_devices, &u.distinct_ips, |d, i| (d, i));
        let distinct_more = zip(&u.distinct_merchants, &u.distinct_cards, |m, c| (m, c));
        let distinct = zip(&distinct, &distinct_more, |a, b| (a, b));
        JournaledFeatures {
            hour_of_day: f.hour_of_day,
            flags,
            user: zip(&u.tally, &distinct, |t, ((devices, ips), (merchants, cards))| {
                UserWindow {
                    events: t.events,
                    logins: t.logins,
                    failed_logins: t.failed_logins,
                    device_changes: t.device_changes,
                    credit_applications: t.credit_applications,
                    payments: t.payments,
                    payment_amount_fen: t.payment_amount_fen,
                    profile_changes: t.profile_changes,
                    repayments: t.repayments,
                    denials: t.denials,
                    distinct_devices: devices,
                    distinct_ips: ips,
                    distinct_merchants: merchants,
                    distinct_cards: cards,
                }
            }),
            user_rest: UserRest {
                account_age_days: u.account_age_days,
                device_age_hours: u.device_age_hours,
                usual_places: u.usual_places,
                km_from_usual: u.km_from_usual,
                km_from_last: u.km_from_last,
                kmh_from_last: u.kmh_from_last,
                payment_mean_30d_fen: u.payment_mean_30d_fen,
                amount_vs_mean_pct: u.amount_vs_mean_pct,
            },
            device: zip(&f.device.tally, &f.device.distinct_users, |t, users| DeviceWindow {
                events: t.events,
                logins: t.logins,
                failed_logins: t.failed_logins,
                payments: t.payments,
                payment_amount_fen: t.payment_amount_fen,
                distinct_users: users,
            }),
            device_age_days: f.device.age_days,
            ip: zip(&f.ip.tally, &f.ip.distinct_users, |t, users| IpWindow {
                events: t.events,
                failed_logins: t.failed_logins,
                payments: t.payments,
                credit_applications: t.credit_applications,
                distinct_users: users,
            }),
            merchant: f.merchant.map(|m| {
                zip(&m.tally, &m.distinct_users, |t, users| MerchantWindow {
                    payments: t.payments,
                    payment_amount_fen: t.payment_amount_fen,
                    denials: t.denials,
                    distinct_users: users,
                })
            }),
            card: f.card.map(|c| {
                let windows = zip(&c.tally, &c.distinct_users, |t, users| CardWindow {
                    events: t.events,
                    distinct_users: users,
                });
                (windows, c.age_days)
            }),
            merchant_book: f.merchant_book,
            bound_devices: f.binding.bound_devices,
            graph: (
                f.graph.component_size,
                f.graph.component_fraud,
                f.graph.component_age_days,
            ),
            history: f.history,
        }
    }
}

impl JournaledFeatures {
    fn has(&self, bit: u16) -> bool {
        self.flags & bit != 0
    }

    /// The vector the decision saw, as far as rules read it (see the module doc).
    pub fn expand(&self) -> FeatureVector {
        let u = &self.user;
        let r = &self.user_rest;
        let user = UserFeatures {
            tally: u.map(|w| Tally {
                events: w.events,
                logins: w.logins,
                failed_logins: w.failed_logins,
                device_changes: w.device_changes,
                credit_applications: w.credit_applications,
                payments: w.payments,
                payment_amount_fen: w.payment_amount_fen,
                profile_changes: w.profile_changes,
                repayments: w.repayments,
                denials: w.denials,
                ..Tally::default()
            }),
            distinct_devices: u.map(|w| w.distinct_devices),
            distinct_ips: u.map(|w| w.distinct_ips),
            distinct_merchants: u.map(|w| w.distinct_merchants),
            distinct_cards: u.map(|w| w.distinct_cards),
            account_age_days: r.account_age_days,
            device_age_hours: r.device_age_hours,
            usual_places: r.usual_places,
            km_from_usual: r.km_from_usual,
            km_from_last: r.km_from_last,
            kmh_from_last: r.kmh_from_last,
            payment_mean_30d_fen: r.payment_mean_30d_fen,
            amount_vs_mean_pct: r.amount_vs_mean_pct,
            saturated: self.has(FLAG_USER_SATURATED),
        };
        let device = EntityFeatures {
            tally: self.device.map(|w| Tally {
                events: w.events,
                logins: w.logins,
                failed_logins: w.failed_logins,
                payments: w.payments,
                payment_amount_fen: w.payment_amount_fen,
                ..Tally::default()
            }),
            distinct_users: self.device.map(|w| w.distinct_users),
            age_days: self.device_age_days,
            saturated: self.has(FLAG_DEVICE_SATURATED),
        };
        let ip = EntityFeatures {
            tally: self.ip.map(|w| Tally {
                events: w.events,
                failed_logins: w.failed_logins,
                payments: w.payments,
                credit_applications: w.credit_applications,
                ..Tally::default()
            }),
            distinct_users: self.ip.map(|w| w.distinct_users),
            age_days: 0,
            saturated: self.has(FLAG_IP_SATURATED),
        };
        let merchant = self.merchant.map(|m| EntityFeatures {
            tally: m.map(|w| Tally {
                payments: w.payments,
                payment_amount_fen: w.payment_amount_fen,
                denials: w.denials,
                ..Tally::default()
            }),
            distinct_users: m.map(|w| w.distinct_users),
            age_days: 0,
            saturated: self.has(FLAG_MERCHANT_SATURATED),
        });
        let card = self.card.map(|(c, age_days)| EntityFeatures {
            tally: c.map(|w| Tally {
                events: w.events,
                ..Tally::default()
            }),
            distinct_users: c.map(|w| w.distinct_users),
            age_days,
            saturated: self.has(FLAG_CARD_SATURATED),
        });
        FeatureVector {
            hour_of_day: self.hour_of_day,
            user,
            device,
            ip,
            merchant,
            card,
            history: self.history,
            merchant_book: self.merchant_book,
            binding: BindingFeatures {
                device_bound: self.has(FLAG_DEVICE_BOUND),
                device_seen_at_login: self.has(FLAG_SEEN_AT_LOGIN),
                bound_devices: self.bound_devices,
                saturated: self.has(FLAG_BINDING_SATURATED),
            },
            graph: GraphFeatures {
                component_size: self.graph.0,
                component_fraud: self.graph.1,
                component_age_days: self.graph.2,
                saturated: self.has(FLAG_GRAPH_SATURATED),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use money::Amount;

    use super::*;
    use crate::checkpoint::{CheckpointDetail, CheckpointInput, Signals};
    use crate::features::MerchantCounts;
    use crate::ids::{Channel, DeviceId, MerchantId, Timestamp, UserId};
    use crate::models::ModelScores;
    use crate::rules::{FieldValue, RuleContext, read_all};

    /// A small xorshift: every field of a vector random, each `Option` some or none.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn n(&mut self) -> u32 {
            match self.next() % 4 {
                0 => 0,
                1 => (self.next() % 5) as u32,
                2 => (self.next() % 100_000) as u32,
                _ => self.next() as u32,
            }
        }
        fn fen(&mut self) -> i64 {
            (self.next() % 10_000_000_000) as i64 - 1_000
        }
        fn b(&mut self) -> bool {
            self.next().is_multiple_of(2)
        }
        fn opt<T>(&mut self, f: impl FnOnce(&mut Rng) -> T) -> Option<T> {
            if self.b() { Some(f(self)) } else { None }
        }
        fn windowed<T>(&mut self, f: impl Fn(&mut Rng) -> T) -> Windowed<T> {
            Windowed {
                m5: f(self),
                h1: f(self),
                h24: f(self),
                d30: f(self),
            }
        }
        fn tally(&mut self) -> Tally {
            Tally {
                events: self.n(),
                logins: self.n(),
                failed_logins: self.n(),
                device_changes: self.n(),
                activations: self.n(),
                credit_applications: self.n(),
                payments: self.n(),
                profile_changes: self.n(),
                repayments: self.n(),
                deliveries: self.n(),
                denials: self.n(),
                payment_amount_fen: self.fen(),
            }
        }
        fn entity(&mut self) -> EntityFeatures {
            EntityFeatures {
                tally: self.windowed(Rng::tally),
                distinct_users: self.windowed(Rng::n),
                age_days: self.n(),
                saturated: self.b(),
            }
        }
        fn counts(&mut self) -> MerchantCounts {
            MerchantCounts {
                payments: self.n(),
                young_or_new_device: self.n(),
                maxed_out: self.n(),
                captures: self.n(),
                captures_undelivered: self.n(),
                voids: self.n(),
                refunds: self.n(),
                theft_reports: self.n(),
            }
        }
        fn vector(&mut self) -> FeatureVector {
            FeatureVector {
                hour_of_day: (self.next() % 24) as u8,
                user: UserFeatures {
                    tally: self.windowed(Rng::tally),
                    distinct_devices: self.windowed(Rng::n),
                    distinct_ips: self.windowed(Rng::n),
                    distinct_merchants: self.windowed(Rng::n),
                    distinct_cards: self.windowed(Rng::n),
                    account_age_days: self.n(),
                    device_age_hours: self.n(),
                    usual_places: self.n(),
                    km_from_usual: self.opt(Rng::n),
                    km_from_last: self.opt(Rng::n),
                    kmh_from_last: self.opt(Rng::n),
                    payment_mean_30d_fen: self.opt(Rng::fen),
                    amount_vs_mean_pct: self.opt(Rng::n),
                    saturated: self.b(),
                },
                device: self.entity(),
                ip: self.entity(),
                merchant: self.opt(Rng::entity),
                card: self.opt(Rng::entity),
                history: HistoryFeatures {
                    payments_before: self.n(),
                    amount_z_centi: self.opt(|r| r.fen() - 5_000_000_000),
                    largest_before_fen: self.opt(Rng::fen),
                    amount_vs_largest_pct: self.opt(Rng::n),
                    days_quiet: self.n(),
                    new_merchants_24h: self.n(),
                    hours_since_limit_request: self.opt(Rng::n),
                    spend_since_limit_request_fen: self.opt(Rng::fen),
                },
                merchant_book: self.opt(|r| MerchantFeatures {
                    age_days: r.n(),
                    h24: r.counts(),
                    d30: r.counts(),
                }),
                binding: BindingFeatures {
                    device_bound: self.b(),
                    device_seen_at_login: self.b(),
                    bound_devices: self.n(),
                    saturated: self.b(),
                },
                graph: GraphFeatures {
                    component_size: self.n(),
                    component_fraud: self.n(),
                    component_age_days: self.n(),
                    saturated: self.b(),
                },
            }
        }
    }

    fn payment() -> CheckpointInput {
        CheckpointInput {
            user: UserId(1),
            device: DeviceId(2),
            ip: IpAddr::from([10, 0, 0, 3]),
            geo: None,
            channel: Channel::Online,
            at: Timestamp::from_millis(1_700_000_000_000),
            signals: Signals::default(),
            detail: CheckpointDetail::PaymentAuthorization {
                merchant: MerchantId(4),
                amount: Amount::from_fen(12_300),
                installments: 3,
            },
        }
    }

    fn values(
        input: &CheckpointInput,
        models: &ModelScores,
        features: &FeatureVector,
    ) -> Vec<(&'static str, FieldValue)> {
        let ctx = RuleContext {
            input,
            features,
            models,
            now: input.at,
        };
        read_all(&ctx).collect()
    }

    /// The oracle is the rules' field table itself: every field it reads has the same value in
    /// the vector the decision saw and in the journaled form expanded again.
    #[test]
    fn every_field_the_rules_read_survives_the_journal() {
        let input = payment();
        let models = ModelScores::default();
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..2_000 {
            let full = rng.vector();
            let journaled = JournaledFeatures::from(&full);
            let bytes = postcard::to_stdvec(&journaled).unwrap();
            let decoded: JournaledFeatures = postcard::from_bytes(&bytes).unwrap();
            assert_eq!(decoded, journaled);
            let expanded = decoded.expand();
            let (got, want) = (values(&input, &models, &expanded), values(&input, &models, &full));
            assert_eq!(got.len(), want.len());
            if let Some((g, w)) = got.iter().zip(&want).find(|(g, w)| g != w) {
                panic!("the journal changes {}: {:?} read back as {:?}", w.0, w.1, g.1);
            }
            assert_eq!(expanded.history, full.history, "own-history features are journaled");
            assert_eq!(
                JournaledFeatures::from(&expanded),
                journaled,
                "expanding loses nothing journaled"
            );
        }
    }

    /// A mutation the table reads must change what is journaled (the test above would pass
    /// vacuously if the table read nothing).
    #[test]
    fn the_table_reads_the_journaled_values() {
        let input = payment();
        let models = ModelScores::default();
        let mut full = Rng(7).vector();
        full.merchant = Some(Rng(8).entity());
        let before = values(&input, &models, &full);
        full.history.days_quiet = full.history.days_quiet.wrapping_add(1);
        full.merchant.as_mut().unwrap().distinct_users.h1 ^= 1;
        let after = values(&input, &models, &JournaledFeatures::from(&full).expand());
        let changed = before.iter().zip(&after).filter(|(a, b)| a != b).count();
        assert_eq!(changed, 2);
    }

    #[test]
    fn the_journaled_form_is_smaller() {
        let mut rng = Rng(3);
        let (mut full, mut compact) = (0, 0);
        for _ in 0..100 {
            let v = rng.vector();
            full += postcard::to_stdvec(&v).unwrap().len();
            compact += postcard::to_stdvec(&JournaledFeatures::from(&v)).unwrap().len();
        }
        assert!(compact * 10 < full * 7, "{compact} vs {full}");
    }
}
