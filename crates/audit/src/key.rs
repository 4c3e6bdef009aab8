//! The checkpoint keys: [`CheckpointKey`], the Ed25519 signing key the caller holds (never the
//! store), and [`VerifyingKey`], its public half, which can be exported for an auditor. Both
//! are written as lowercase hex: the signing key as its 32-byte seed, the verifying key as its
//! 32-byte compressed point (RFC 8032).

use std::fmt;

use ed25519_dalek::Signer;

/// Why a key or signature was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("a key is 64 hex digits (32 bytes)")]
    NotHex32,
    #[error("the verifying key is not a valid Ed25519 public key")]
    NotAPoint,
}

fn hex32(text: &str) -> Result<[u8; 32], KeyError> {
    let bytes = hex::decode(text.trim()).map_err(|_| KeyError::NotHex32)?;
    bytes.try_into().map_err(|_| KeyError::NotHex32)
}

/// The key that signs checkpoints. Held by the caller (a key file, a key provider), never
/// written to the store; wiped from memory when dropped (each clone too). `Debug` does not show
/// it.
#[derive(Clone)]
pub struct CheckpointKey(ed25519_dalek::SigningKey);

impl CheckpointKey {
    /// A key from its 32-byte seed.
    pub fn from_bytes(seed: &[u8; 32]) -> CheckpointKey {
        CheckpointKey(ed25519_dalek::SigningKey::from_bytes(seed))
    }

    /// A key from its seed as 64 hex digits (surrounding whitespace ignored: a key file).
    pub fn from_hex(text: &str) -> Result<CheckpointKey, KeyError> {
        Ok(CheckpointKey::from_bytes(&hex32(text)?))
    }

    /// The public half, for `iou audit verify --verifying-key`.
    pub fn verifying_key(&self) -> VerifyingKey {
        VerifyingKey(self.0.verifying_key())
    }

    pub(crate) fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.0.sign(message).to_bytes()
    }
}

impl fmt::Debug for CheckpointKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CheckpointKey(verifying {})", self.verifying_key())
    }
}

/// The public key that checks checkpoint signatures.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct VerifyingKey(ed25519_dalek::VerifyingKey);

impl VerifyingKey {
    /// A key from 64 hex digits (surrounding whitespace ignored).
    pub fn from_hex(text: &str) -> Result<VerifyingKey, KeyError> {
        let bytes = hex32(text)?;
        ed25519_dalek::VerifyingKey::from_bytes(&bytes)
            .map(VerifyingKey)
            .map_err(|_| KeyError::NotAPoint)
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0.as_bytes())
    }

    /// Whether `signature` (its stored bytes, 64 when well formed) signs `message` under this
    /// key (strict verification: no malleable signatures, no small-order keys).
    pub fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        let Ok(bytes) = <[u8; 64]>::try_from(signature) else {
            return false;
        };
        let signature = ed25519_dalek::Signature::from_bytes(&bytes);
        self.0.verify_strict(message, &signature).is_ok()
    }
}

impl fmt::Display for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifyingKey({})", self.to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8032 section 7.1, test 1: the seed gives the published public key, and signing the
    /// empty message gives the published signature.
    #[test]
    fn rfc8032_test_vector_1() {
        let key =
            CheckpointKey::from_hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60\n").unwrap();
        assert_eq!(
            key.verifying_key().to_hex(),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        let signature = key.sign(b"");
        assert_eq!(
            hex::encode(signature),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
        assert!(key.verifying_key().verifies(b"", &signature));
        assert!(!key.verifying_key().verifies(b"x", &signature));
        assert!(!key.verifying_key().verifies(b"", &signature[..63]));
    }

    #[test]
    fn keys_parse_only_32_bytes_of_hex_and_debug_hides_the_secret() {
        assert_eq!(CheckpointKey::from_hex("abcd").unwrap_err(), KeyError::NotHex32);
        assert_eq!(
            VerifyingKey::from_hex(&"zz".repeat(32)).unwrap_err(),
            KeyError::NotHex32
        );
        let secret = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
        let shown = format!("{:?}", CheckpointKey::from_hex(secret).unwrap());
        assert!(!shown.contains(secret), "{shown}");
    }
}
