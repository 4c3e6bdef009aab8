//! Inputs with fixed simulator outcomes, whatever the seed (see the table in [`crate::sim`]).
//! All are valid: the ID numbers parse on any date after their birth dates, the cards pass Luhn.

/// Beijing Chaoyang, born 1949-12-31, female (the example in GB 11643-1999). Name/ID: `Match`.
pub const ID_MATCH: &str = "11010519491231002X";
/// Shenzhen Futian, born 1990-01-01, male. Name/ID: `Mismatch`.
pub const ID_NAME_MISMATCH: &str = "44030519900101123X";
/// Shanghai Xuhui, born 1985-06-15, female. Name/ID: `NoRecord`.
pub const ID_NO_RECORD: &str = "310104198506152344";
/// Chengdu Qingyang, born 1970-03-03, male. Name/ID and liveness: `Unavailable(Simulated)`.
pub const ID_OUTAGE: &str = "51010719700303345X";

/// UnionPay. Card check: `Verified` whatever the other three elements.
pub const CARD_VERIFIED: &str = "6222020000000015";
/// UnionPay. Card check: `Mismatch(Some(Mobile))`.
pub const CARD_MISMATCH_MOBILE: &str = "6222020000000023";
/// UnionPay. Card check: `Mismatch(None)`.
pub const CARD_MISMATCH_UNSPECIFIED: &str = "6222020000000031";
/// UnionPay. Card check: `CardNotSupported`.
pub const CARD_NOT_SUPPORTED: &str = "6222020000000049";
/// UnionPay. Card check: `Unavailable(Simulated)`.
pub const CARD_OUTAGE: &str = "6222020000000056";

/// OTP send: `Rejected { status: 422, code: "mobile.unreachable" }`.
pub const MOBILE_UNREACHABLE: &str = "13900000001";
/// OTP send: `Unavailable(Simulated)`.
pub const MOBILE_OUTAGE: &str = "13900000002";

/// The prefix of a face reference the liveness simulator scores as a spoof.
pub const FACE_SPOOF_PREFIX: &str = "spoof";
/// The prefix of a face reference whose score follows it (`score-750` scores 750 per mille).
pub const FACE_SCORE_PREFIX: &str = "score-";
