//! Personal data at rest, tried as an auditor with the data directory would: after a customer
//! is onboarded over HTTP and a merchant registered, no file of the data directory (WAL
//! included, read as bytes) holds the ID number, mobile, reserved mobile, bank card, name or
//! merchant secret or an operator's TOTP secret, in ASCII, hex or base64; an enumeration of every birth date against the
//! blind indexes, with every key-shaped string found in the files, recovers nothing (and, as a
//! control, recovers the ID number at once with the provider's key); a server without keys, or
//! with keys that are not its store's, does not start.

use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use hmac::Mac;
use serde_json::Value;

use crate::applications::{application, apply, good_file, server};
use crate::harness::{config, engine_config, start_at, test_keys};

const ID_NUMBER: &str = "110105199003151001";
const NAME: &str = "张伟";
const MOBILE: &str = "13812345678";
const RESERVED_MOBILE: &str = "13987654321";
const CARD: &str = "6222020000000015";

/// Every file under `dir`, as bytes.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A value in the encodings an auditor greps for: as it is, hex (both cases), base64.
fn encodings(value: &str) -> Vec<String> {
    let hex = hex::encode(value.as_bytes());
    vec![
        value.to_owned(),
        hex.clone(),
        hex.to_uppercase(),
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(value.as_bytes()),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.as_bytes()),
    ]
}

/// `with_wal`: the server is running, so its WAL files are among the files.
fn assert_nothing_in_clear(dir: &Path, secrets: &[(&str, &str)], with_wal: bool) {
    let files = files(dir);
    let wal = files.iter().any(|(name, _)| name.ends_with("-wal"));
    assert!(wal || !with_wal, "the WAL is among the files");
    for (name, bytes) in &files {
        for (what, value) in secrets {
            for encoded in encodings(value) {
                assert!(
                    !contains(bytes, encoded.as_bytes()),
                    "{name} holds the {what} ({encoded})"
                );
            }
        }
    }
}

/// The applicant: the application route's body with a reserved mobile of its own.
fn applicant() -> Value {
    let mut body = application(ID_NUMBER, good_file(), 1_000_000, 2_000_000);
    body["applicant"]["reserved_mobile"] = RESERVED_MOBILE.into();
    body["applicant"]["bank_card"] = CARD.into();
    body
}

#[tokio::test]
async fn no_file_of_the_data_directory_holds_personal_data_or_a_merchant_secret() {
    let mut t = server().await;
    let answer = apply(&t, &applicant(), "58.1.1.1").await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    let customer = answer.str("customer_id");
    let merchant = t.register_merchant("Corner Shop").await;
    let officer = t.create_operator("privacy-officer", &["support"]).await;
    // The identity is on file (sealed) and opens: an operator's update without a card keeps
    // the verified card it finds there, shown masked.
    let path = format!("/v1/customers/{customer}/identity");
    let body = serde_json::json!({"mobile": MOBILE, "id_number": ID_NUMBER});
    let identity = t.post_until_taken(&crate::harness::operator(), &path, body).await;
    assert_eq!(identity.status, 200, "{}", identity.text);
    assert_eq!(identity.str("bank_card"), "**** 0015");
    assert_eq!(identity.str("mobile"), "138****5678");
    let secrets = [
        ("ID number", ID_NUMBER),
        ("name", NAME),
        ("mobile", MOBILE),
        ("reserved mobile", RESERVED_MOBILE),
        ("bank card", CARD),
        ("merchant secret", merchant.secret.as_str()),
        ("operator TOTP secret", officer.secret.as_str()),
    ];
    assert_nothing_in_clear(t.dir.path(), &secrets, true);
    t.restart().await;
    // After a restart the sealed secret still signs: the merchant's call is accepted.
    let shop = crate::harness::Merchant {
        id: merchant.id.clone(),
        secret: merchant.secret.clone(),
    };
    let signed = t.get(&shop.auth(), "/v1/payments/1").await;
    assert_eq!(
        signed.status, 404,
        "authenticated, and no such payment: {}",
        signed.text
    );
    // The sealed TOTP secret opens after a restart: the operator logs in with a fresh code.
    let login = t.login(&officer).await;
    assert_eq!(login.status, 200, "{}", login.text);
    t.server.take().unwrap().stop().await.unwrap();
    assert_nothing_in_clear(t.dir.path(), &secrets, false);
}

/// GB 11643's check character of the first 17 digits (written here, not taken from `identity`).
fn check_char(first17: &str) -> char {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first17
        .chars()
        .zip(WEIGHTS)
        .map(|(c, w)| c.to_digit(10).unwrap() * w)
        .sum();
    b"10X98765432"[(sum % 11) as usize] as char
}

/// Every run of exactly 64 hex digits in `bytes` (how a key or a blind index is written).
fn hex_runs(bytes: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, b) in bytes.iter().chain(std::iter::once(&b' ')).enumerate() {
        match (b.is_ascii_hexdigit(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                if i - s == 64 {
                    out.push(String::from_utf8_lossy(&bytes[s..i]).to_lowercase());
                }
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// The attacker: for every birth date from 1940 to 2008 with the known region and sequence,
/// the blind index under each candidate key; the ID numbers whose index is among `targets`.
fn enumerate(keys: &[Vec<u8>], targets: &std::collections::BTreeSet<String>) -> (Vec<String>, u64) {
    let mut found = Vec::new();
    let mut guesses = 0;
    let mut day = jiff::civil::date(1940, 1, 1);
    while day.year() < 2009 {
        let first17 = format!("110105{}{:02}{:02}100", day.year(), day.month(), day.day());
        let id = format!("{first17}{}", check_char(&first17));
        for key in keys {
            let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
            mac.update(b"iou/blind-index/resident-id/v1\0");
            mac.update(id.as_bytes());
            guesses += 1;
            if targets.contains(&hex::encode(mac.finalize().into_bytes())) {
                found.push(id.clone());
            }
        }
        day = day.tomorrow().unwrap();
    }
    (found, guesses)
}

#[tokio::test]
async fn enumerating_birth_dates_with_the_data_directory_alone_recovers_no_id_number() {
    let t = server().await;
    let answer = apply(&t, &applicant(), "58.1.1.1").await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    let runs: std::collections::BTreeSet<String> = files(t.dir.path())
        .iter()
        .flat_map(|(_, bytes)| hex_runs(bytes))
        .collect();
    // Every key-shaped string in the files is tried as the key, and every one as the index.
    let keys: Vec<Vec<u8>> = runs.iter().map(|h| hex::decode(h).unwrap()).collect();
    assert!(!keys.is_empty(), "the blind index itself is in the files");
    let (found, guesses) = enumerate(&keys, &runs);
    assert!(found.is_empty(), "recovered {found:?} from the data directory alone");
    assert!(guesses > 20_000, "{guesses} guesses");
    // The control: with the provider's key the same attack finds the ID number.
    let key = test_keys().blind_index_key().unwrap().as_bytes().to_vec();
    let (found, _) = enumerate(&[key], &runs);
    assert_eq!(found, [ID_NUMBER], "the attack works once the key is known");
}

#[tokio::test]
async fn a_server_without_keys_or_with_another_stores_keys_does_not_start() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("store");
    let clock = Arc::new(engine::ManualClock::new(start_at()));
    let mut without = config(&data, engine_config());
    without.keys = None;
    let refused = api::Server::start(without, clock.clone()).await.unwrap_err();
    assert!(matches!(refused, api::ServeError::Keys(_)), "{refused:?}");
    assert!(refused.to_string().contains("iou keys init"), "{refused}");
    assert!(!data.exists(), "nothing is created without keys");

    let server = api::Server::start(config(&data, engine_config()), clock.clone())
        .await
        .unwrap();
    server.stop().await.unwrap();
    let mut other = config(&data, engine_config());
    other.keys = Some(Arc::new(vault::Keyring::generate().unwrap()));
    let refused = api::Server::start(other, clock.clone()).await.unwrap_err();
    assert!(refused.to_string().contains("not this store's"), "{refused}");
    let again = api::Server::start(config(&data, engine_config()), clock).await.unwrap();
    again.stop().await.unwrap();
}
