//! The file's layout, checked column by column on hand-made records: the exact lines, the
//! field table against the rendered text, a round trip through `parse`, and a receiver's
//! checks (a line of the wrong width, a trailer that does not add up).

use bureau::{AccountRecord, DATA_FIELDS, File, HEADER_FIELDS, Month, Status, TRAILER_FIELDS, WIDTH, parse};
use credit::Day;
use credit::delinquency::Bucket;
use money::Amount;

fn records() -> Vec<AccountRecord> {
    let fen = Amount::from_fen;
    vec![
        AccountRecord {
            account: 42,
            reference: 0xDEAD_BEEF,
            opened_on: Day::ymd(2026, 3, 5),
            credit_limit: fen(1_000_000),
            highest_balance: fen(250_000),
            current_balance: fen(120_050),
            past_due: fen(12_005),
            dpd: 45,
            bucket: Bucket::M2,
            status: Status::Late60,
            charge_off: Amount::ZERO,
            fraud_exempt: false,
            // Paying a hardship plan whose first installment is still unpaid: late, with `AC`.
            hardship: true,
            first_delinquency: Some(Day::ymd(2026, 10, 16)),
            reported_on: Day::ymd(2026, 11, 30),
        },
        AccountRecord {
            account: 7,
            reference: 1,
            opened_on: Day::ymd(2026, 1, 31),
            credit_limit: fen(500_000),
            highest_balance: fen(9_900),
            current_balance: Amount::ZERO,
            past_due: Amount::ZERO,
            dpd: 0,
            bucket: Bucket::Current,
            status: Status::Current,
            charge_off: Amount::ZERO,
            fraud_exempt: true,
            hardship: false,
            first_delinquency: None,
            reported_on: Day::ymd(2026, 11, 30),
        },
    ]
}

fn file() -> File {
    File::new("IOU01", "2026-11".parse::<Month>().unwrap(), records())
}

fn padded(text: &str) -> String {
    format!("{text:<WIDTH$}")
}

#[test]
fn every_line_is_written_as_documented() {
    let text = file().render().unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(text.ends_with('\n'));
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0], padded("HIOU01     20261120261130IB01"));
    // Sorted by account: 7 before 42.
    let seven = [
        "D",
        "IOU01     ",
        "00000000000000000007",
        "0000000000000001",
        "20260131",
        "000000500000",
        "000000009900",
        "000000000000",
        "000000000000",
        "000",
        "CUR",
        "11",
        "000000000000",
        "FE",
        "00000000",
        "20261130",
    ]
    .concat();
    assert_eq!(lines[1], seven);
    let forty_two = [
        "D",
        "IOU01     ",
        "00000000000000000042",
        "00000000DEADBEEF",
        "20260305",
        "000001000000",
        "000000250000",
        "000000120050",
        "000000012005",
        "045",
        "M2 ",
        "78",
        "000000000000",
        "AC",
        "20261016",
        "20261130",
    ]
    .concat();
    assert_eq!(lines[2], forty_two);
    let trailer = [
        "T",
        "IOU01     ",
        "000000002",
        "000000000120050",
        "000000000012005",
        "000000000000000",
        "000000001",
        "000000000",
        "000000001",
    ]
    .concat();
    assert_eq!(lines[3], padded(&trailer));
}

#[test]
fn the_field_tables_tile_the_line() {
    for table in [&DATA_FIELDS[..], &HEADER_FIELDS[..], &TRAILER_FIELDS[..]] {
        let mut next = 1;
        for (name, start, width) in table {
            assert_eq!(*start, next, "{name} starts where the previous field ends");
            next = start + width;
        }
        assert!(next - 1 <= WIDTH);
    }
    assert_eq!(DATA_FIELDS.last().map(|(_, s, w)| s + w - 1), Some(WIDTH));
    // The table names the columns the writer fills: the account id of the second line.
    let text = file().render().unwrap();
    let line = text.lines().nth(2).unwrap();
    let (_, start, width) = DATA_FIELDS[2];
    assert_eq!(&line[start - 1..start - 1 + width], "00000000000000000042");
    let (_, start, width) = DATA_FIELDS[11];
    assert_eq!(&line[start - 1..start - 1 + width], "78");
}

#[test]
fn a_file_reads_back_as_written() {
    let file = file();
    let parsed = parse(&file.render().unwrap()).unwrap();
    assert_eq!(parsed, file);
    let empty = File::new("IOU01", "2026-11".parse().unwrap(), Vec::new());
    assert_eq!(parse(&empty.render().unwrap()).unwrap(), empty);
}

#[test]
fn a_receiver_refuses_a_file_that_does_not_add_up() {
    let text = file().render().unwrap();
    // One record dropped: the trailer's count and sums no longer match.
    let mut lines: Vec<&str> = text.lines().collect();
    lines.remove(2);
    let short = lines.join("\n");
    assert_eq!(parse(&short).unwrap_err().code(), "trailer_mismatch");
    // A balance altered.
    let altered = text.replacen("000000120050", "000000120051", 1);
    assert_eq!(parse(&altered).unwrap_err().code(), "trailer_mismatch");
    // A line cut short.
    let cut = text.replacen("20261130IB01", "20261130IB0", 1);
    assert_eq!(parse(&cut).unwrap_err().code(), "line_malformed");
    assert_eq!(parse("").unwrap_err().code(), "line_malformed");
}

#[test]
fn an_amount_too_wide_is_refused_not_cut() {
    let mut records = records();
    records[0].current_balance = Amount::from_fen(1_000_000_000_000);
    let file = File::new("IOU01", "2026-11".parse().unwrap(), records);
    assert_eq!(file.render().unwrap_err().code(), "field_too_wide");
}
