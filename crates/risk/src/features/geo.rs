//! Geography for features: coarse cells (0.1 degree, about 11 km) for "usual places", and the
//! great-circle distance. Floats are fine here: these are risk features, never money.

use crate::ids::Geo;

/// Micro-degrees per cell side (0.1 degree).
const CELL_MICRO: i32 = 100_000;
const EARTH_RADIUS_KM: f64 = 6_371.0;

/// The cell a point falls in, packed into a `u64`.
pub fn cell_of(geo: Geo) -> u64 {
    let lat = i64::from(geo.lat_micro().div_euclid(CELL_MICRO)) + 1_000;
    let lon = i64::from(geo.lon_micro().div_euclid(CELL_MICRO)) + 2_000;
    ((lat as u64) << 32) | (lon as u64)
}

/// The centre of a cell, as (latitude, longitude) in degrees.
pub fn cell_center(cell: u64) -> (f64, f64) {
    let lat = (cell >> 32) as i64 - 1_000;
    let lon = (cell & 0xFFFF_FFFF) as i64 - 2_000;
    let half = f64::from(CELL_MICRO) / 2.0;
    let to_deg = |c: i64| (c as f64 * f64::from(CELL_MICRO) + half) / 1e6;
    (to_deg(lat), to_deg(lon))
}

pub fn degrees(geo: Geo) -> (f64, f64) {
    (f64::from(geo.lat_micro()) / 1e6, f64::from(geo.lon_micro()) / 1e6)
}

/// Haversine distance in kilometres.
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lon1) = (a.0.to_radians(), a.1.to_radians());
    let (lat2, lon2) = (b.0.to_radians(), b.1.to_radians());
    let dlat = lat2 - lat1;
    let dlon = lon2 - lon1;
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// Kilometres rounded to a whole number, as the rules see them.
pub fn whole_km(km: f64) -> u32 {
    km.round().clamp(0.0, f64::from(u32::MAX)) as u32
}

/// Speed in km/h needed to cover `km` in `elapsed_ms`; elapsed times under a minute count as a
/// minute (the clocks of two events are not that precise).
pub fn speed_kmh(km: f64, elapsed_ms: i64) -> u32 {
    let hours = elapsed_ms.max(60_000) as f64 / 3_600_000.0;
    whole_km(km / hours)
}
