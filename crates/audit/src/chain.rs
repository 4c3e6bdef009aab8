//! The chain's encodings: the bytes a record's hash covers and the bytes a checkpoint's
//! signature covers. Both are written so an outside auditor can recompute them from an export
//! (API.md, "Audit log", states the same).
//!
//! Notation: `be64(n)` is `n` as 8 bytes big-endian (`at_us` as a two's-complement i64);
//! `lp(s)` is the UTF-8 bytes of `s` preceded by their length as 4 bytes big-endian.
//!
//! ```text
//! record hash = SHA-256( lp("iou-audit-record-v1") || be64(seq) || be64(at_us)
//!                        || lp(actor) || lp(action) || lp(target) || lp(detail) || lp(outcome)
//!                        || prev_hash )                       -- prev_hash: 32 raw bytes
//! checkpoint signature = Ed25519( lp("iou-audit-checkpoint-v1") || be64(seq) || hash
//!                                 || be64(at_us) )            -- hash: 32 raw bytes
//! ```
//!
//! Record 1's `prev_hash` is 32 zero bytes ([`Hash::GENESIS`]). Every field is
//! length-prefixed, so no two different records encode to the same bytes (moving a character
//! from `actor` to `action` changes the encoding).

use sha2::{Digest, Sha256};

use crate::record::Hash;

/// The domain tag that starts every record's hashed bytes.
pub const RECORD_DOMAIN: &str = "iou-audit-record-v1";
/// The domain tag that starts every checkpoint's signed bytes.
pub const CHECKPOINT_DOMAIN: &str = "iou-audit-checkpoint-v1";

/// A record's fields as its hash covers them.
#[derive(Clone, Copy, Debug)]
pub struct RecordFields<'a> {
    pub seq: u64,
    pub at_us: i64,
    pub actor: &'a str,
    pub action: &'a str,
    pub target: &'a str,
    pub detail: &'a str,
    pub outcome: &'a str,
    pub prev_hash: &'a Hash,
}

fn length_prefixed(out: &mut Vec<u8>, text: &str) {
    // Every field is bounded far below 4 GiB (the largest, detail, to a few KiB); a longer
    // one is cut to the prefix's range rather than wrap around.
    let len = u32::try_from(text.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(text.as_bytes());
}

/// The exact bytes a record's hash covers.
pub fn record_bytes(f: &RecordFields<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(128 + f.detail.len());
    length_prefixed(&mut out, RECORD_DOMAIN);
    out.extend_from_slice(&f.seq.to_be_bytes());
    out.extend_from_slice(&f.at_us.to_be_bytes());
    for text in [f.actor, f.action, f.target, f.detail, f.outcome] {
        length_prefixed(&mut out, text);
    }
    out.extend_from_slice(&f.prev_hash.0);
    out
}

/// A record's hash.
pub fn record_hash(f: &RecordFields<'_>) -> Hash {
    Hash(Sha256::digest(record_bytes(f)).into())
}

/// The exact bytes a checkpoint's signature covers.
pub fn checkpoint_bytes(seq: u64, hash: &Hash, at_us: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(80);
    length_prefixed(&mut out, CHECKPOINT_DOMAIN);
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(&hash.0);
    out.extend_from_slice(&at_us.to_be_bytes());
    out
}
