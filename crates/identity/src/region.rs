//! Administrative region codes (GB/T 2260) as they appear in the first six digits of a resident
//! ID number: which province-level prefixes are accepted and what a plausible full code looks like.
//!
//! This is a shape check, not a copy of the national code list: a code whose province is real and
//! whose prefecture digits are in a range GB/T 2260 uses is accepted even if that county was never
//! created, because codes are added, merged and retired every year and an ID issued under a
//! retired code stays valid for life.

/// Province-level prefixes of mainland China (GB/T 2260), in order.
///
/// 71 (Taiwan), 81 (Hong Kong) and 82 (Macau) are deliberately absent: no mainland resident ID
/// carries them. The 810000/820000/830000 codes appear only on residence permits for Hong Kong,
/// Macau and Taiwan residents, a different document that [`crate::ResidentId`] does not accept.
pub const PROVINCE_PREFIXES: [u8; 31] = [
    11, 12, 13, 14, 15, // Beijing, Tianjin, Hebei, Shanxi, Inner Mongolia
    21, 22, 23, // Liaoning, Jilin, Heilongjiang
    31, 32, 33, 34, 35, 36, 37, // Shanghai, Jiangsu, Zhejiang, Anhui, Fujian, Jiangxi, Shandong
    41, 42, 43, 44, 45, 46, // Henan, Hubei, Hunan, Guangdong, Guangxi, Hainan
    50, 51, 52, 53, 54, // Chongqing, Sichuan, Guizhou, Yunnan, Tibet
    61, 62, 63, 64, 65, // Shaanxi, Gansu, Qinghai, Ningxia, Xinjiang
];

/// Whether six ASCII digits form a plausible household-registration region code: a mainland
/// province prefix, then a prefecture part that GB/T 2260 uses (01..=70 for prefectures, cities
/// and leagues, or 90 for county-level units under the province), then any two county digits.
/// A province-level code (`xx0000`) is never a registration place, so prefecture `00` is refused.
pub(crate) fn is_plausible_region(code: &[u8; 6]) -> bool {
    let pair = |i: usize| (code[i] - b'0') * 10 + (code[i + 1] - b'0');
    let prefecture = pair(2);
    PROVINCE_PREFIXES.contains(&pair(0)) && (matches!(prefecture, 1..=70) || prefecture == 90)
}
