//! What the feature state remembers of who was seen with what, for people to read (the
//! operators' view of a customer's devices and of the accounts sharing them): a user's devices,
//! IPs and cards with their first and last sighting, and the users a shared key was seen with.
//! Read only; nothing here is on the decision path.

use std::net::{IpAddr, Ipv6Addr};

use crate::ids::{CardToken, DeviceId};

/// One remembered element: its first sighting (of its current run) and its last, in ms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sighting<K> {
    pub key: K,
    pub first_ms: i64,
    pub last_ms: i64,
}

/// What one user was seen with, each list most recent first. Bounded by the user's set limits
/// (`UserLimits`: 32 devices, 64 IPs, 16 cards by default).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sightings {
    pub devices: Vec<Sighting<DeviceId>>,
    pub ips: Vec<Sighting<IpAddr>>,
    pub cards: Vec<Sighting<CardToken>>,
}

/// The address an IP key stands for (IPv4 back from its IPv6-mapped form).
pub fn ip_of_key(key: u128) -> IpAddr {
    Ipv6Addr::from_bits(key).to_canonical()
}

/// Most recent first, then by key for a stable order.
pub(crate) fn newest_first<K: Ord>(mut rows: Vec<Sighting<K>>) -> Vec<Sighting<K>> {
    rows.sort_by(|a, b| b.last_ms.cmp(&a.last_ms).then_with(|| a.key.cmp(&b.key)));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::{CheckpointDetail, CheckpointInput, Signals};
    use crate::features::{FeatureConfig, SharedFeatureShard, Tally, UserFeatureStore, ip_key};
    use crate::ids::{Channel, Timestamp, UserId};

    #[test]
    fn ip_keys_come_back_as_written() {
        for ip in ["10.1.2.3", "2001:db8::7"] {
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(ip_of_key(ip_key(ip)), ip);
        }
    }

    #[test]
    fn a_user_and_a_shared_key_tell_who_was_seen() {
        let config = FeatureConfig::default();
        let mut users = UserFeatureStore::new(config.user, 1);
        let mut shard = SharedFeatureShard::new([config.device, config.ip, config.merchant, config.card], 1);
        let device = DeviceId(77);
        for (user, at) in [(1, 1_000), (2, 5_000), (1, 9_000)] {
            let now = Timestamp::from_millis(at);
            let input = CheckpointInput {
                user: UserId(user),
                device,
                ip: "10.0.0.1".parse().unwrap(),
                geo: None,
                channel: Channel::Online,
                at: now,
                signals: Signals::default(),
                detail: CheckpointDetail::Login { password_ok: true },
            };
            users.observe(&input, &Tally::of_event(&input), now);
            shard.observe(
                crate::features::EntityKey::Device(device),
                UserId(user),
                &Tally::of_event(&input),
                now,
            );
        }
        let seen = users.sightings(UserId(1));
        assert_eq!(
            seen.devices,
            vec![Sighting {
                key: device,
                first_ms: 1_000,
                last_ms: 9_000
            }]
        );
        assert_eq!(seen.ips[0].key, "10.0.0.1".parse::<IpAddr>().unwrap());
        assert!(users.sightings(UserId(3)).devices.is_empty());
        let mut with = shard.users_of(crate::features::EntityKey::Device(device));
        with.sort();
        assert_eq!(with, vec![UserId(1), UserId(2)]);
        assert!(
            shard
                .users_of(crate::features::EntityKey::Device(DeviceId(8)))
                .is_empty()
        );
    }
}
