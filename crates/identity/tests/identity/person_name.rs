//! Table tests for `PersonName::parse`.

use identity::PersonName;

const CASES: &[(&str, &str, Result<&str, &str>)] = &[
    ("two characters", "张三", Ok("张三")),
    ("one character", "李", Ok("李")),
    ("compound surname", "欧阳娜娜", Ok("欧阳娜娜")),
    ("middle dot", "买买提·艾力", Ok("买买提·艾力")),
    ("katakana dot normalized", "买买提・艾力", Ok("买买提·艾力")),
    ("bullet normalized", "买买提•艾力", Ok("买买提·艾力")),
    ("Latin with a space", "John Smith", Ok("John Smith")),
    ("whitespace around", "  王伟 ", Ok("王伟")),
    (
        "32 characters",
        "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二",
        Ok("一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二"),
    ),
    (
        "33 characters",
        "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三",
        Err("person_name.too_long"),
    ),
    ("empty", "", Err("person_name.empty")),
    ("only spaces", "   ", Err("person_name.empty")),
    ("digit", "张3", Err("person_name.character")),
    ("punctuation", "张三!", Err("person_name.character")),
    ("leading dot", "·艾力", Err("person_name.separator")),
    ("trailing dot", "艾力·", Err("person_name.separator")),
    ("double dot", "买买提··艾力", Err("person_name.separator")),
    ("double space", "John  Smith", Err("person_name.separator")),
    ("newline inside", "张\n三", Err("person_name.character")),
];

#[test]
fn parse_table() {
    for &(case, input, expected) in CASES {
        match (PersonName::parse(input), expected) {
            (Ok(name), Ok(normalized)) => assert_eq!(name.as_str(), normalized, "{case}"),
            (Err(e), Err(code)) => assert_eq!(e.code(), code, "{case}: {e}"),
            (got, expected) => panic!("{case}: got {got:?}, expected {expected:?}"),
        }
    }
}

#[test]
fn masked_keeps_the_first_character() {
    let table = [
        ("张三", "张*"),
        ("李", "*"),
        ("欧阳娜娜", "欧***"),
        ("买买提·艾力", "买*****"),
    ];
    for (name, masked) in table {
        let parsed = PersonName::parse(name).unwrap();
        assert_eq!(parsed.masked(), masked, "{name}");
        assert_eq!(format!("{parsed:?}"), format!("PersonName({masked:?})"));
    }
}
