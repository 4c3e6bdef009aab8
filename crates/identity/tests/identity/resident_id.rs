//! Table tests for `ResidentId::parse` and its derived values.

use identity::{ResidentId, Sex};
use jiff::civil::{Date, date};

const TODAY: Date = date(2025, 6, 1);

/// (case, input, Ok(normalized) or Err(code)). Every rejected number except the check-digit
/// cases carries a correct check digit, so only the rule under test can refuse it.
const CASES: &[(&str, &str, Result<&str, &str>)] = &[
    ("GB 11643 example", "11010519491231002X", Ok("11010519491231002X")),
    (
        "lowercase x is normalized",
        "11010519491231002x",
        Ok("11010519491231002X"),
    ),
    (
        "surrounding whitespace",
        " 110105199001010010\n",
        Ok("110105199001010010"),
    ),
    ("leap day", "110105200002290013", Ok("110105200002290013")),
    (
        "province-administered county (90)",
        "469001199001010026",
        Ok("469001199001010026"),
    ),
    ("Xinjiang", "650102199001010033", Ok("650102199001010033")),
    ("born today", "110105202506010010", Ok("110105202506010010")),
    ("wrong check digit", "110105194912310021", Err("id_number.check_digit")),
    (
        "check digit X where a digit is due",
        "11010519900101001X",
        Err("id_number.check_digit"),
    ),
    (
        "impossible date 19990230",
        "110105199902300015",
        Err("id_number.birth_date"),
    ),
    (
        "1900 is not a leap year",
        "110105190002290017",
        Err("id_number.birth_date"),
    ),
    ("before 1900", "110105189912310015", Err("id_number.birth_date")),
    ("future date", "11010520300101001X", Err("id_number.birth_date_future")),
    (
        "born tomorrow",
        "110105202506020016",
        Err("id_number.birth_date_future"),
    ),
    ("unknown province 99", "990105199001010014", Err("id_number.region")),
    ("Taiwan 71 is refused", "710105199001010012", Err("id_number.region")),
    (
        "Hong Kong permit 810000 is refused",
        "810000199001010019",
        Err("id_number.region"),
    ),
    (
        "Taiwan permit 830000 is refused",
        "830000199001010012",
        Err("id_number.region"),
    ),
    ("prefecture 00", "110005199001010015", Err("id_number.region")),
    ("prefecture 71 unused", "117105199001010017", Err("id_number.region")),
    ("prefecture 99 unused", "119905199001010012", Err("id_number.region")),
    ("county 99 is accepted", "110199199001010010", Ok("110199199001010010")),
    ("17 characters", "11010519491231002", Err("id_number.length")),
    ("19 characters", "11010519491231002XX", Err("id_number.length")),
    ("empty", "", Err("id_number.length")),
    (
        "15-digit first-generation number",
        "110105491231002",
        Err("id_number.length"),
    ),
    (
        "letter in the last place",
        "11010519491231002A",
        Err("id_number.character"),
    ),
    (
        "X before the last place",
        "1101051949123100X2",
        Err("id_number.character"),
    ),
    (
        "fullwidth digits",
        "１１０１０５１９４９１２３１００２Ｘ",
        Err("id_number.character"),
    ),
    ("space inside", "110105 9491231002X", Err("id_number.character")),
];

#[test]
fn parse_table() {
    for &(case, input, expected) in CASES {
        let got = ResidentId::parse(input, TODAY);
        match (got, expected) {
            (Ok(id), Ok(normalized)) => assert_eq!(id.as_str(), normalized, "{case}"),
            (Err(e), Err(code)) => {
                assert_eq!(e.code(), code, "{case}");
                assert!(!e.to_string().is_empty(), "{case}: a human message");
            }
            (got, expected) => panic!("{case}: got {got:?}, expected {expected:?}"),
        }
    }
}

#[test]
fn character_errors_name_the_position() {
    let position = |text| match ResidentId::parse(text, TODAY) {
        Err(identity::ResidentIdError::Character { position }) => position,
        other => panic!("{text}: {other:?}"),
    };
    assert_eq!(position("11010519491231002A"), 18);
    assert_eq!(position("1101051949123100X2"), 17);
    assert_eq!(position("a10105194912310021"), 1);
    assert_eq!(position("１１０１０５１９４９１２３１００２Ｘ"), 1);
}

#[test]
fn derived_values() {
    // (number, region, birth date, sex, sequence)
    let table = [
        ("11010519491231002X", "110105", date(1949, 12, 31), Sex::Female, "002"),
        ("440305200002291232", "440305", date(2000, 2, 29), Sex::Male, "123"),
        ("469001199001010026", "469001", date(1990, 1, 1), Sex::Female, "002"),
        ("650102199001010033", "650102", date(1990, 1, 1), Sex::Male, "003"),
    ];
    for (text, region, birth, sex, sequence) in table {
        let id = ResidentId::parse(text, TODAY).unwrap();
        assert_eq!(id.region_code(), region, "{text}");
        assert_eq!(id.province_code(), &region[..2], "{text}");
        assert_eq!(id.birth_date(), birth, "{text}");
        assert_eq!(id.sex(), sex, "{text}");
        assert_eq!(id.sequence(), sequence, "{text}");
    }
}

#[test]
fn age_on_counts_whole_years_and_leap_day_birthdays_turn_on_march_first() {
    let leap = ResidentId::parse("440305200002291232", TODAY).unwrap();
    let table = [
        (date(2000, 2, 28), None),
        (date(2000, 2, 29), Some(0)),
        (date(2018, 2, 28), Some(17)),
        (date(2018, 3, 1), Some(18)),
        (date(2020, 2, 28), Some(19)),
        (date(2020, 2, 29), Some(20)),
        (date(2025, 6, 1), Some(25)),
    ];
    for (on, age) in table {
        assert_eq!(leap.age_on(on), age, "on {on}");
    }
    let old = ResidentId::parse("11010519491231002X", TODAY).unwrap();
    assert_eq!(old.age_on(date(2025, 12, 30)), Some(75));
    assert_eq!(old.age_on(date(2025, 12, 31)), Some(76));
}

#[test]
fn masked_and_debug_never_show_the_birth_date() {
    let id = ResidentId::parse("11010519491231002x", TODAY).unwrap();
    assert_eq!(id.masked(), "1101**********002X");
    let debug = format!("{id:?}");
    assert_eq!(debug, "ResidentId(\"1101**********002X\")");
    assert!(!debug.contains("19491231"));
}
