//! Randomness for secrets, tokens and payment codes, from the operating system. Only the shell
//! draws random numbers; the credit core and the engine never do.

use crate::http::error::ApiError;

fn bytes<const N: usize>() -> Result<[u8; N], ApiError> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(|e| ApiError::internal(format!("no randomness: {e}")))?;
    Ok(out)
}

/// 32 random bytes as 64 hex digits: API secrets and bearer tokens.
pub fn hex_secret() -> Result<String, ApiError> {
    Ok(hex::encode(bytes::<32>()?))
}

/// A uniform random number below `bound` (rejection sampling, so no value is likelier).
pub fn below(bound: u64) -> Result<u64, ApiError> {
    let zone = u64::MAX - u64::MAX % bound;
    loop {
        let x = u64::from_be_bytes(bytes::<8>()?);
        if x < zone {
            return Ok(x % bound);
        }
    }
}
