//! Identifiers and small values every checkpoint carries: [`UserId`], [`DeviceId`],
//! [`MerchantId`], [`CardToken`], [`Timestamp`], [`Geo`] and [`Channel`].
//!
//! Ids are opaque `u64` newtypes: the server maps its own identifiers (and the blind index of a
//! card number, never the number itself) to them. IP addresses are `std::net::IpAddr`.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub u64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id_type!(
    /// A customer account.
    UserId
);
id_type!(
    /// A device fingerprint, as the client SDK reports it.
    DeviceId
);
id_type!(
    /// A merchant (or one merchant store).
    MerchantId
);
id_type!(
    /// The blind index (keyed hash) of a bank card number; the card number never reaches risk.
    CardToken
);

/// Milliseconds since the Unix epoch, from 1970 to the end of year 9999 (outside values are
/// clamped, so window arithmetic never overflows). The clock is an input: the shell passes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(from = "i64", into = "i64")]
pub struct Timestamp(i64);

impl Timestamp {
    /// 9999-12-31T23:59:59.999Z.
    pub const MAX_MILLIS: i64 = 253_402_300_799_999;

    pub const fn from_millis(millis: i64) -> Timestamp {
        Timestamp(if millis < 0 {
            0
        } else if millis > Self::MAX_MILLIS {
            Self::MAX_MILLIS
        } else {
            millis
        })
    }

    pub const fn millis(self) -> i64 {
        self.0
    }

    /// `self - earlier` in milliseconds, never negative.
    pub fn millis_since(self, earlier: Timestamp) -> i64 {
        self.0.saturating_sub(earlier.0).max(0)
    }
}

impl From<i64> for Timestamp {
    fn from(millis: i64) -> Timestamp {
        Timestamp::from_millis(millis)
    }
}

impl From<Timestamp> for i64 {
    fn from(t: Timestamp) -> i64 {
        t.0
    }
}

/// A point on Earth in integer micro-degrees (1e-6 degree, about 11 cm at the equator).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "GeoRaw", into = "GeoRaw")]
pub struct Geo {
    lat_micro: i32,
    lon_micro: i32,
}

/// Why a latitude/longitude pair is not a [`Geo`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GeoError {
    #[error("latitude {0} micro-degrees is outside -90..=90 degrees")]
    Latitude(i32),
    #[error("longitude {0} micro-degrees is outside -180..=180 degrees")]
    Longitude(i32),
}

impl Geo {
    pub fn new(lat_micro: i32, lon_micro: i32) -> Result<Geo, GeoError> {
        if !(-90_000_000..=90_000_000).contains(&lat_micro) {
            return Err(GeoError::Latitude(lat_micro));
        }
        if !(-180_000_000..=180_000_000).contains(&lon_micro) {
            return Err(GeoError::Longitude(lon_micro));
        }
        Ok(Geo { lat_micro, lon_micro })
    }

    pub fn lat_micro(self) -> i32 {
        self.lat_micro
    }

    pub fn lon_micro(self) -> i32 {
        self.lon_micro
    }
}

#[derive(Serialize, Deserialize)]
struct GeoRaw {
    lat_micro: i32,
    lon_micro: i32,
}

impl TryFrom<GeoRaw> for Geo {
    type Error = GeoError;
    fn try_from(raw: GeoRaw) -> Result<Geo, GeoError> {
        Geo::new(raw.lat_micro, raw.lon_micro)
    }
}

impl From<Geo> for GeoRaw {
    fn from(geo: Geo) -> GeoRaw {
        GeoRaw {
            lat_micro: geo.lat_micro,
            lon_micro: geo.lon_micro,
        }
    }
}

/// How the customer reached us.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Online,
    /// A QR code scanned at a shop, possibly while the phone was offline.
    OfflineQr,
    /// A tap at a terminal (NFC), possibly while the phone was offline.
    OfflineNfc,
}

impl Channel {
    /// The name the rules see in `input.channel`.
    pub const fn name(self) -> &'static str {
        match self {
            Channel::Online => "online",
            Channel::OfflineQr => "offline_qr",
            Channel::OfflineNfc => "offline_nfc",
        }
    }
}
