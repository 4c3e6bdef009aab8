//! The vault's contract, black-box: sealing round trips, every way a value fails to open
//! (altered, another record's, an unknown or wrong key), rewrap, key files, the environment,
//! the KMS shape, the key check and blind indexes.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;
use vault::kms::{KmsKeys, SimulatedKms};
use vault::{Aad, KeyFile, KeyId, KeyProvider, Keyring, SecretKey, Vault, VaultError};

fn id(text: &str) -> KeyId {
    KeyId::parse(text).unwrap()
}

fn ring(current: &str, keys: &[(&str, u8)], blind: u8) -> Keyring {
    let keks = keys
        .iter()
        .map(|(name, byte)| (id(name), SecretKey::from_bytes([*byte; 32])))
        .collect::<BTreeMap<_, _>>();
    Keyring::new(id(current), keks, SecretKey::from_bytes([blind; 32])).unwrap()
}

fn vault_of(ring: Keyring) -> Vault {
    Vault::new(Arc::new(ring)).unwrap()
}

fn aad() -> Aad {
    Aad::new("customer_identity", "42")
}

/// Replaces one character of the `part`-th dot-separated part (0 = prefix) with another valid
/// base64url character.
fn flip(text: &str, part: usize) -> String {
    let mut parts: Vec<String> = text.split('.').map(str::to_owned).collect();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&parts[part])
        .unwrap();
    let mut bytes = bytes;
    let last = bytes.len() - 1;
    bytes[last / 2] ^= 0x01;
    parts[part] = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    parts.join(".")
}

#[test]
fn a_sealed_value_opens_to_its_plaintext_and_shows_none_of_it() {
    let vault = vault_of(ring("k1", &[("k1", 1)], 9));
    let secret = "110101199001011234";
    let sealed = vault.seal_str(&aad(), secret).unwrap();
    assert!(sealed.starts_with("iouv1.k1."), "{sealed}");
    assert!(!sealed.contains(secret) && !sealed.contains("1234"), "{sealed}");
    assert_eq!(vault.open_str(&aad(), &sealed).unwrap().as_str(), secret);
    let again = vault.seal_str(&aad(), secret).unwrap();
    assert_ne!(sealed, again, "a fresh data key and nonce every time");
}

#[test]
fn an_altered_value_fails_to_open() {
    let vault = vault_of(ring("k1", &[("k1", 1)], 9));
    let sealed = vault.seal_str(&aad(), "13912341234").unwrap();
    assert!(matches!(
        vault.open(&aad(), &flip(&sealed, 3)),
        Err(VaultError::Tampered)
    ));
    assert!(matches!(
        vault.open(&aad(), &flip(&sealed, 2)),
        Err(VaultError::WrongKey(_))
    ));
    for broken in ["", "iouv1.", "iouv1.k1.AA", "plain text", &sealed[..sealed.len() - 30]] {
        assert!(vault.open(&aad(), broken).is_err(), "{broken:?}");
    }
}

#[test]
fn a_value_does_not_open_as_another_records() {
    let vault = vault_of(ring("k1", &[("k1", 1)], 9));
    let sealed = vault.seal_str(&aad(), "13912341234").unwrap();
    let other = Aad::new("customer_identity", "43");
    assert!(matches!(vault.open(&other, &sealed), Err(VaultError::Tampered)));
    let other_kind = Aad::new("merchant_secret", "42");
    assert!(matches!(vault.open(&other_kind, &sealed), Err(VaultError::Tampered)));
}

#[test]
fn an_unknown_key_id_and_a_wrong_key_are_told_apart() {
    let sealed = vault_of(ring("k2", &[("k2", 2)], 9)).seal_str(&aad(), "x").unwrap();
    let without_k2 = vault_of(ring("k1", &[("k1", 1)], 9));
    assert!(matches!(without_k2.open(&aad(), &sealed), Err(VaultError::UnknownKeyId(k)) if k == id("k2")));
    let other_k2 = vault_of(ring("k2", &[("k2", 3)], 9));
    assert!(matches!(other_k2.open(&aad(), &sealed), Err(VaultError::WrongKey(k)) if k == id("k2")));
}

#[test]
fn rewrap_keeps_the_plaintext_and_the_data_and_changes_the_key_id() {
    let old = vault_of(ring("k1", &[("k1", 1)], 9));
    let sealed = old.seal_str(&aad(), "6222021234567890123").unwrap();
    let new = vault_of(ring("k2", &[("k1", 1), ("k2", 2)], 9));
    let rewrapped = new.rewrap(&sealed).unwrap();
    assert!(rewrapped.starts_with("iouv1.k2."), "{rewrapped}");
    assert_eq!(vault::key_id_of(&rewrapped).unwrap(), id("k2"));
    assert_eq!(
        sealed.rsplit('.').next(),
        rewrapped.rsplit('.').next(),
        "the data part is not re-encrypted"
    );
    assert_eq!(
        new.open_str(&aad(), &rewrapped).unwrap().as_str(),
        "6222021234567890123"
    );
    assert_eq!(new.rewrap(&rewrapped).unwrap(), rewrapped, "already current");
    let only_k2 = vault_of(ring("k2", &[("k2", 2)], 9));
    assert_eq!(
        only_k2.open_str(&aad(), &rewrapped).unwrap().as_str(),
        "6222021234567890123"
    );
}

#[test]
fn rewrap_all_rewraps_every_value_inside_a_record_and_keeps_the_rest() {
    let old = vault_of(ring("k1", &[("k1", 1)], 9));
    let (a, b) = (Aad::new("r", "1"), Aad::new("r", "2"));
    let record = format!(
        r#"{{"name":"shop","secret":"{}","other":"{}","n":7}}"#,
        old.seal_str(&a, "s1").unwrap(),
        old.seal_str(&b, "s2").unwrap()
    );
    let new = vault_of(ring("k2", &[("k1", 1), ("k2", 2)], 9));
    let (rewrapped, changed) = new.rewrap_all(&record).unwrap();
    assert_eq!(changed, 2);
    assert!(!rewrapped.contains("iouv1.k1."), "{rewrapped}");
    let value: serde_json::Value = serde_json::from_str(&rewrapped).unwrap();
    assert_eq!(value["name"], "shop");
    assert_eq!(value["n"], 7);
    assert_eq!(
        new.open_str(&a, value["secret"].as_str().unwrap()).unwrap().as_str(),
        "s1"
    );
    assert_eq!(
        new.open_str(&b, value["other"].as_str().unwrap()).unwrap().as_str(),
        "s2"
    );
    assert_eq!(new.rewrap_all(&rewrapped).unwrap(), (rewrapped.clone(), 0));
}

#[test]
fn the_key_check_refuses_another_kek_or_blind_index_key() {
    let vault = vault_of(ring("k1", &[("k1", 1)], 9));
    let check = vault.key_check().unwrap();
    vault.verify_key_check(&check).unwrap();
    let rotated = vault_of(ring("k2", &[("k1", 1), ("k2", 2)], 9));
    rotated.verify_key_check(&check).unwrap();
    let wrong_kek = vault_of(ring("k1", &[("k1", 5)], 9));
    assert!(matches!(
        wrong_kek.verify_key_check(&check),
        Err(VaultError::WrongKey(_))
    ));
    let missing = vault_of(ring("k3", &[("k3", 1)], 9));
    assert!(matches!(
        missing.verify_key_check(&check),
        Err(VaultError::UnknownKeyId(_))
    ));
    let wrong_blind = vault_of(ring("k1", &[("k1", 1)], 8));
    assert!(matches!(
        wrong_blind.verify_key_check(&check),
        Err(VaultError::BlindKeyMismatch)
    ));
}

#[test]
fn blind_indexes_are_keyed_and_separated_by_kind() {
    let one = vault_of(ring("k1", &[("k1", 1)], 9));
    let two = vault_of(ring("k1", &[("k1", 1)], 8));
    let id_number = b"110101199001011234";
    assert_eq!(
        one.blind().index("resident-id", id_number),
        one.blind().index("resident-id", id_number)
    );
    assert_ne!(
        one.blind().index("resident-id", id_number),
        two.blind().index("resident-id", id_number)
    );
    assert_ne!(
        one.blind().index("resident-id", id_number),
        one.blind().index("mobile", id_number)
    );
    // An independent oracle: HMAC-SHA256 as RFC 2104 defines it, over the documented input.
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&[9; 32]).unwrap();
    mac.update(b"iou/blind-index/resident-id/v1\x00");
    mac.update(b"110101199001011234");
    let want: [u8; 32] = mac.finalize().into_bytes().into();
    assert_eq!(one.blind().index("resident-id", id_number), want);
}

#[cfg(unix)]
#[test]
fn a_key_file_is_created_0600_refused_when_others_may_read_it_and_rotated_in_place() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("iou.keys");
    vault::file::create(&path, &Keyring::generate().unwrap()).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    assert!(
        vault::file::create(&path, &Keyring::generate().unwrap()).is_err(),
        "never overwritten"
    );
    let serving = KeyFile::open(&path).unwrap();
    let vault = Vault::new(Arc::new(serving)).unwrap();
    let before = vault.seal_str(&aad(), "x").unwrap();
    let (new_id, _) = vault::file::rotate(&path).unwrap();
    assert_eq!(new_id, id("k2"));
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    // Another process rewraps with the rotated file; the serving one reads the new key when it
    // first meets it.
    let rotated = Vault::new(Arc::new(KeyFile::open(&path).unwrap())).unwrap();
    let after = rotated.rewrap(&before).unwrap();
    assert!(after.starts_with("iouv1.k2."));
    assert_eq!(vault.open_str(&aad(), &after).unwrap().as_str(), "x");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let refused = KeyFile::open(&path).unwrap_err().to_string();
    assert!(refused.contains("chmod 600"), "{refused}");
}

#[test]
fn a_keyring_survives_its_text_and_debug_shows_no_key() {
    let ring = Keyring::generate().unwrap();
    let text = ring.to_json();
    let back = Keyring::from_json(&text).unwrap();
    let sealed = vault_of(ring.clone()).seal_str(&aad(), "x").unwrap();
    assert_eq!(vault_of(back).open_str(&aad(), &sealed).unwrap().as_str(), "x");
    let hex = text.split('"').find(|s| s.len() == 64).unwrap().to_owned();
    assert!(!format!("{ring:?}").contains(&hex));
    assert!(Keyring::from_json(&text.replace("\"version\": 1", "\"version\": 2")).is_err());
    assert!(Keyring::from_json(&text.replace("\"current\": \"k1\"", "\"current\": \"k9\"")).is_err());
}

#[test]
fn the_kms_shape_wraps_through_the_service() {
    let service = ring("k1", &[("k1", 1), ("blind", 7)], 0);
    let blind_plain = SecretKey::from_bytes([9; 32]);
    let blind_wrapped = {
        let kms = SimulatedKms::new(service.clone());
        vault::kms::KmsClient::wrap(&kms, &id("blind"), blind_plain.as_bytes()).unwrap()
    };
    let keys = KmsKeys::new(SimulatedKms::new(service), id("k1"), &blind_wrapped, &id("blind")).unwrap();
    assert_eq!(keys.blind_index_key().unwrap(), blind_plain);
    let keys = Arc::new(keys);
    let vault = Vault::new(keys.clone()).unwrap();
    let calls = keys.client().calls();
    let sealed = vault.seal_str(&aad(), "13912341234").unwrap();
    assert_eq!(vault.open_str(&aad(), &sealed).unwrap().as_str(), "13912341234");
    assert_eq!(keys.client().calls(), calls + 2, "one wrap, one unwrap");
    // The same blind key as a local keyring gives the same indexes.
    let local = vault_of(ring("k1", &[("k1", 1)], 9));
    assert_eq!(
        vault.blind().index("resident-id", b"1"),
        local.blind().index("resident-id", b"1")
    );
    keys.client().set_down(true);
    assert!(matches!(vault.open(&aad(), &sealed), Err(VaultError::Unavailable(_))));
}
