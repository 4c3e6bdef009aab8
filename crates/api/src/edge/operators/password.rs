//! Operator passwords: argon2id (the `argon2` crate's defaults, OWASP's minimum: 19 MiB, two
//! passes, one lane) in the PHC string format, so the parameters travel with each hash and can
//! be raised later without breaking old hashes. Hashing and checking take tens of milliseconds
//! on purpose: callers run them on the blocking pool ([`hash`], [`verify`] are async).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::http::error::{ApiError, ErrorCode};

/// The shortest password accepted.
pub const MIN_CHARS: usize = 12;
/// The longest (argon2 takes any length; this bounds the work a request can ask for).
pub const MAX_BYTES: usize = 256;

/// Refuses a password too short or too long.
pub fn parse(password: &str) -> Result<&str, ApiError> {
    if password.chars().count() < MIN_CHARS || password.len() > MAX_BYTES {
        return Err(ApiError::new(
            ErrorCode::InvalidField,
            format!("a password is {MIN_CHARS} characters to {MAX_BYTES} bytes"),
        )
        .with_field("password"));
    }
    Ok(password)
}

fn hash_blocking(password: &str) -> Result<String, ApiError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| ApiError::internal(format!("no randomness: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| ApiError::internal(format!("salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::internal(format!("password hash: {e}")))
}

fn verify_blocking(password: &str, stored: &str) -> Result<bool, ApiError> {
    let parsed = PasswordHash::new(stored).map_err(|_| ApiError::internal("a stored password hash is corrupt"))?;
    Ok(Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// The PHC string of `password` with a fresh salt.
pub async fn hash(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || hash_blocking(&password))
        .await
        .map_err(|e| ApiError::internal(format!("password task: {e}")))?
}

/// Whether `password` matches the PHC string `stored`.
pub async fn verify(password: String, stored: String) -> Result<bool, ApiError> {
    tokio::task::spawn_blocking(move || verify_blocking(&password, &stored))
        .await
        .map_err(|e| ApiError::internal(format!("password task: {e}")))?
}

/// A hash to check a password against when there is no operator of that name, so an unknown
/// name costs the same time as a wrong password (made once, of a random password).
pub fn decoy() -> Result<String, ApiError> {
    hash_blocking(&crate::random::hex_secret()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_is_argon2id_salted_and_checks_only_its_password() {
        let one = hash_blocking("correct horse battery").unwrap();
        let two = hash_blocking("correct horse battery").unwrap();
        assert!(one.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{one}");
        assert_ne!(one, two, "salted");
        assert!(verify_blocking("correct horse battery", &one).unwrap());
        assert!(!verify_blocking("correct horse batterx", &one).unwrap());
        assert!(verify_blocking("x", "not a hash").is_err());
    }

    #[test]
    fn short_and_huge_passwords_are_refused() {
        assert!(parse("short").is_err());
        assert!(parse(&"a".repeat(MAX_BYTES + 1)).is_err());
        assert!(parse("twelve chars").is_ok());
    }
}
