//! Table tests for `Mobile::parse`.

use identity::Mobile;

const CASES: &[(&str, &str, Result<&str, &str>)] = &[
    ("plain", "13812345678", Ok("13812345678")),
    ("+86", "+8613812345678", Ok("13812345678")),
    ("+86 with a space", "+86 138 1234 5678", Ok("13812345678")),
    ("86 without plus", "8613812345678", Ok("13812345678")),
    ("0086", "008619912345678", Ok("19912345678")),
    ("hyphens", "138-1234-5678", Ok("13812345678")),
    ("whitespace around", "  17012345678 ", Ok("17012345678")),
    ("every second digit 3 to 9", "19012345678", Ok("19012345678")),
    ("prefix 12", "12812345678", Err("mobile.prefix")),
    ("prefix 10", "10012345678", Err("mobile.prefix")),
    ("not starting with 1", "23812345678", Err("mobile.prefix")),
    ("another country", "+14155552671", Err("mobile.prefix")),
    ("+86 with too few digits", "+86138123456", Err("mobile.length")),
    ("10 digits", "1381234567", Err("mobile.length")),
    ("12 digits", "138123456789", Err("mobile.length")),
    ("empty", "", Err("mobile.length")),
    (
        "86 then 10 digits stays 12 digits",
        "861381234567",
        Err("mobile.length"),
    ),
    ("letter", "1381234567a", Err("mobile.character")),
    ("plus in the middle", "138+12345678", Err("mobile.character")),
    ("fullwidth digit", "１3812345678", Err("mobile.character")),
    ("very long", "1381234567813812345678138123456781", Err("mobile.length")),
];

#[test]
fn parse_table() {
    for &(case, input, expected) in CASES {
        match (Mobile::parse(input), expected) {
            (Ok(m), Ok(national)) => {
                assert_eq!(m.as_str(), national, "{case}");
                assert_eq!(m.e164(), format!("+86{national}"), "{case}");
            }
            (Err(e), Err(code)) => assert_eq!(e.code(), code, "{case}: {e}"),
            (got, expected) => panic!("{case}: got {got:?}, expected {expected:?}"),
        }
    }
}

#[test]
fn masked_and_debug() {
    let m = Mobile::parse("+86 138 1234 5678").unwrap();
    assert_eq!(m.masked(), "138****5678");
    assert_eq!(format!("{m:?}"), "Mobile(\"138****5678\")");
}
