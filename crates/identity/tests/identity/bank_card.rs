//! Table tests for `BankCard::parse`, the Luhn rule (against an independent implementation)
//! and the brand table.

use identity::{BankCard, CardBrand};

/// (case, input, Ok(digits) or Err(code)).
const CASES: &[(&str, &str, Result<&str, &str>)] = &[
    ("UnionPay 16", "6222020000000015", Ok("6222020000000015")),
    (
        "UnionPay 19 with spaces",
        "6212 2640 0000 0000 006",
        Ok("6212264000000000006"),
    ),
    ("Visa test card", "4111 1111 1111 1111", Ok("4111111111111111")),
    ("hyphens", "5555-5555-5555-4444", Ok("5555555555554444")),
    ("12 digits", "123456789015", Ok("123456789015")),
    ("Amex 15", "378282246310005", Ok("378282246310005")),
    ("Luhn off by one", "4111111111111112", Err("bank_card.luhn")),
    ("adjacent digits swapped", "4111111111111211", Err("bank_card.luhn")),
    ("11 digits", "12345678903", Err("bank_card.length")),
    ("20 digits", "12345678901234567894", Err("bank_card.length")),
    ("empty", "", Err("bank_card.length")),
    ("only spaces", "    ", Err("bank_card.length")),
    ("letter", "4111 1111 1111 111a", Err("bank_card.character")),
    ("dot", "4111.1111.1111.1111", Err("bank_card.character")),
];

#[test]
fn parse_table() {
    for &(case, input, expected) in CASES {
        match (BankCard::parse(input), expected) {
            (Ok(card), Ok(digits)) => {
                assert_eq!(card.as_str(), digits, "{case}");
                assert!(luhn_valid_oracle(digits), "{case}: the oracle agrees");
            }
            (Err(e), Err(code)) => assert_eq!(e.code(), code, "{case}: {e}"),
            (got, expected) => panic!("{case}: got {got:?}, expected {expected:?}"),
        }
    }
}

#[test]
fn brand_table() {
    let table = [
        ("6222020000000015", CardBrand::UnionPay),
        ("6212264000000000006", CardBrand::UnionPay),
        ("4111111111111111", CardBrand::Visa),
        ("5105105105105100", CardBrand::Mastercard),
        ("5555555555554444", CardBrand::Mastercard),
        ("2221000000000009", CardBrand::Mastercard),
        ("2720990000000007", CardBrand::Mastercard),
        ("2220990000000002", CardBrand::Unknown),
        ("2721000000000004", CardBrand::Unknown),
        ("3528000000000007", CardBrand::Jcb),
        ("3589000000000003", CardBrand::Jcb),
        ("3527990000000000", CardBrand::Unknown),
        ("378282246310005", CardBrand::Amex),
        ("341111111111111", CardBrand::Amex),
        ("6011111111111117", CardBrand::Unknown),
        ("5610591081018250", CardBrand::Unknown),
    ];
    for (digits, brand) in table {
        let card = BankCard::parse(digits).unwrap_or_else(|e| panic!("{digits}: {e}"));
        assert_eq!(card.brand(), brand, "{digits}");
    }
}

#[test]
fn luhn_agrees_with_the_oracle_on_every_last_digit() {
    for body in [
        "622202000000001",
        "411111111111111",
        "37828224631000",
        "62122640000000000",
    ] {
        for last in '0'..='9' {
            let text = format!("{body}{last}");
            assert_eq!(BankCard::parse(&text).is_ok(), luhn_valid_oracle(&text), "{text}");
        }
    }
}

#[test]
fn masked_debug_last4() {
    let card = BankCard::parse("6222 0200 0000 0015").unwrap();
    assert_eq!(card.masked(), "**** 0015");
    assert_eq!(format!("{card:?}"), "BankCard(\"**** 0015\")");
    assert_eq!(card.bin(), "622202");
    assert_eq!(card.last4(), "0015");
    let long = BankCard::parse("6212264000000000006").unwrap();
    assert_eq!(long.masked(), "**** 0006");
}

/// Luhn by the other textbook formulation: double the digits whose distance from the end is
/// odd, summing the digits of each product.
pub fn luhn_valid_oracle(digits: &str) -> bool {
    let n = digits.len();
    let total: u32 = digits
        .chars()
        .enumerate()
        .map(|(i, c)| {
            let d = c.to_digit(10).unwrap();
            if (n - i).is_multiple_of(2) {
                (2 * d) / 10 + (2 * d) % 10
            } else {
                d
            }
        })
        .sum();
    total.is_multiple_of(10)
}
