//! The blind index: one ID number, however written, is one account; another key or another
//! number is another account; keys are checked.

use identity::ResidentId;
use onboarding::BlindIndexKey;
use onboarding::blind_index::KeyError;

use super::harness::{KEY_HEX, key, today};

const PINNED_INDEX: &str = "bd080126d619f3373dfb037186422e266a51bc45b98ba30b7814399d7a7ad7bb";
const PINNED_ACCOUNT: u64 = 4_397_766_302_439_699_255;

#[test]
fn spellings_of_one_number_share_an_account_and_numbers_do_not() {
    let k = key();
    let parse = |text: &str| ResidentId::parse(text, today()).unwrap();
    let upper = parse("11010519491231002X");
    let a = k.account_of(&upper);
    for spelling in ["11010519491231002x", " 11010519491231002X ", "11010519491231002X"] {
        assert_eq!(k.account_of(&parse(spelling)), a, "{spelling:?}");
        assert_eq!(k.index(&parse(spelling)), k.index(&upper));
    }
    assert_ne!(k.account_of(&parse("44030519900101123X")), a);
    let other = BlindIndexKey::from_hex(&KEY_HEX.replace("00", "ff")).unwrap();
    assert_ne!(other.account_of(&upper), a, "another key, another account");
    assert!(a.0 >= 1 && a.0 < 1 << 63, "fits a signed 64-bit column");
    // Pinned: a change here would move every existing customer to another account.
    assert_eq!(k.index(&upper).to_hex(), PINNED_INDEX);
    assert_eq!(a.0, PINNED_ACCOUNT);
}

#[test]
fn keys_are_checked_and_never_printed() {
    let table: [(&str, Result<(), KeyError>); 4] = [
        (KEY_HEX, Ok(())),
        ("00", Err(KeyError::Length(1))),
        (&KEY_HEX[1..], Err(KeyError::Hex)),
        (
            "zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
            Err(KeyError::Hex),
        ),
    ];
    for (text, want) in table {
        assert_eq!(BlindIndexKey::from_hex(text).map(|_| ()), want, "{text}");
    }
    assert_eq!(format!("{:?}", key()), "BlindIndexKey(32 bytes)");
}
