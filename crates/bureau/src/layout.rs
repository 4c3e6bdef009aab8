//! The file's fixed-width layout (REPORTING.md): a header `H`, one data record `D` per account
//! sorted by account id, and a trailer `T` with counts and sums. Every line is [`WIDTH`]
//! characters of ASCII and a `\n`; numbers are right-aligned with zeros, text left-aligned with
//! spaces, amounts in fen, dates `YYYYMMDD` (`00000000` for none).

use credit::Day;
use credit::delinquency::Bucket;
use money::Amount;

use crate::month::Month;
use crate::record::{AccountRecord, Status};

/// Characters per line, without the newline.
pub const WIDTH: usize = 141;

/// The layout's version, in the header.
pub const VERSION: &str = "IB01";

/// The data record's fields: name, first column (1-based) and width. REPORTING.md is this table.
pub const DATA_FIELDS: [(&str, usize, usize); 16] = [
    ("record_type", 1, 1),
    ("lender_code", 2, 10),
    ("account_id", 12, 20),
    ("reference", 32, 16),
    ("open_date", 48, 8),
    ("credit_limit_fen", 56, 12),
    ("highest_balance_fen", 68, 12),
    ("current_balance_fen", 80, 12),
    ("past_due_fen", 92, 12),
    ("days_past_due", 104, 3),
    ("bucket", 107, 3),
    ("account_status", 110, 2),
    ("charge_off_fen", 112, 12),
    ("special_comment", 124, 2),
    ("first_delinquency", 126, 8),
    ("date_reported", 134, 8),
];

/// The header's fields.
pub const HEADER_FIELDS: [(&str, usize, usize); 5] = [
    ("record_type", 1, 1),
    ("lender_code", 2, 10),
    ("month", 12, 6),
    ("date_reported", 18, 8),
    ("layout_version", 26, 4),
];

/// The trailer's fields.
pub const TRAILER_FIELDS: [(&str, usize, usize); 9] = [
    ("record_type", 1, 1),
    ("lender_code", 2, 10),
    ("records", 12, 9),
    ("current_balance_fen", 21, 15),
    ("past_due_fen", 36, 15),
    ("charge_off_fen", 51, 15),
    ("delinquent", 66, 9),
    ("charged_off", 75, 9),
    ("fraud_exempt", 84, 9),
];

/// A month's file: the lender, the month and the records (sorted by account when rendered).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct File {
    pub lender_code: String,
    pub month: Month,
    pub records: Vec<AccountRecord>,
}

/// The trailer's counts and sums, computed from the records.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Trailer {
    pub records: u64,
    pub current_balance: Amount,
    pub past_due: Amount,
    pub charge_off: Amount,
    /// Records with a delinquent status (71 to 97).
    pub delinquent: u64,
    pub charged_off: u64,
    /// Records with the special comment `FE`.
    pub fraud_exempt: u64,
}

/// Why a file could not be written or read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    #[error("{field} {value} does not fit in {width} digits")]
    TooWide {
        field: &'static str,
        value: String,
        width: usize,
    },
    #[error("line {line}: {why}")]
    Malformed { line: usize, why: String },
    #[error("the trailer says {field} is {stated}, the records add up to {computed}")]
    TrailerMismatch {
        field: &'static str,
        stated: String,
        computed: String,
    },
}

impl LayoutError {
    /// A stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            LayoutError::TooWide { .. } => "field_too_wide",
            LayoutError::Malformed { .. } => "line_malformed",
            LayoutError::TrailerMismatch { .. } => "trailer_mismatch",
        }
    }
}

impl File {
    /// The records sorted by account id, as the file lists them.
    pub fn new(lender_code: &str, month: Month, mut records: Vec<AccountRecord>) -> File {
        records.sort_by_key(|r| r.account);
        File {
            lender_code: lender_code.to_string(),
            month,
            records,
        }
    }

    pub fn trailer(&self) -> Trailer {
        let mut t = Trailer::default();
        for r in &self.records {
            t.records += 1;
            t.current_balance += r.current_balance;
            t.past_due += r.past_due;
            t.charge_off += r.charge_off;
            t.delinquent += u64::from(r.status.is_delinquent());
            t.charged_off += u64::from(r.status == Status::ChargedOff);
            t.fraud_exempt += u64::from(r.fraud_exempt);
        }
        t
    }

    /// Records per status, in [`Status::ALL`] order.
    pub fn counts_by_status(&self) -> [(Status, u64); 6] {
        Status::ALL.map(|s| (s, self.records.iter().filter(|r| r.status == s).count() as u64))
    }

    /// The file's text: header, records, trailer; each line [`WIDTH`] characters and `\n`.
    pub fn render(&self) -> Result<String, LayoutError> {
        let mut out = String::with_capacity((self.records.len() + 2) * (WIDTH + 1));
        let lender = text(&self.lender_code, 10);
        let mut header = format!(
            "H{lender}{}{}{VERSION}",
            self.month.compact(),
            date(self.month.last_day())
        );
        pad(&mut header);
        out.push_str(&header);
        for r in &self.records {
            let mut line = String::with_capacity(WIDTH + 1);
            line.push('D');
            line.push_str(&lender);
            line.push_str(&number("account_id", u128::from(r.account), 20)?);
            line.push_str(&format!("{:016X}", r.reference));
            line.push_str(&date(r.opened_on));
            for (field, amount) in [
                ("credit_limit_fen", r.credit_limit),
                ("highest_balance_fen", r.highest_balance),
                ("current_balance_fen", r.current_balance),
                ("past_due_fen", r.past_due),
            ] {
                line.push_str(&fen(field, amount, 12)?);
            }
            line.push_str(&number("days_past_due", u128::from(r.dpd.min(999)), 3)?);
            line.push_str(&text(bucket_code(r.bucket), 3));
            line.push_str(r.status.code());
            line.push_str(&fen("charge_off_fen", r.charge_off, 12)?);
            line.push_str(special_comment(r));
            line.push_str(&r.first_delinquency.map_or_else(|| "00000000".to_string(), date));
            line.push_str(&date(r.reported_on));
            pad(&mut line);
            out.push_str(&line);
        }
        let t = self.trailer();
        let mut trailer = format!("T{lender}{}", number("records", u128::from(t.records), 9)?);
        for (field, amount) in [
            ("current_balance_fen", t.current_balance),
            ("past_due_fen", t.past_due),
            ("charge_off_fen", t.charge_off),
        ] {
            trailer.push_str(&fen(field, amount, 15)?);
        }
        for (field, n) in [
            ("delinquent", t.delinquent),
            ("charged_off", t.charged_off),
            ("fraud_exempt", t.fraud_exempt),
        ] {
            trailer.push_str(&number(field, u128::from(n), 9)?);
        }
        pad(&mut trailer);
        out.push_str(&trailer);
        Ok(out)
    }
}

/// The bucket's three-character code.
pub fn bucket_code(bucket: Bucket) -> &'static str {
    match bucket {
        Bucket::Current => "CUR",
        Bucket::Grace => "GRC",
        Bucket::M1 => "M1",
        Bucket::M2 => "M2",
        Bucket::M3 => "M3",
        Bucket::M3Plus => "M3+",
        Bucket::ChargedOff => "CO",
    }
}

fn bucket_of(code: &str) -> Option<Bucket> {
    [
        Bucket::Current,
        Bucket::Grace,
        Bucket::M1,
        Bucket::M2,
        Bucket::M3,
        Bucket::M3Plus,
        Bucket::ChargedOff,
    ]
    .into_iter()
    .find(|b| bucket_code(*b) == code)
}

fn pad(line: &mut String) {
    while line.len() < WIDTH {
        line.push(' ');
    }
    line.push('\n');
}

fn text(value: &str, width: usize) -> String {
    format!("{value:<width$.width$}")
}

fn number(field: &'static str, value: u128, width: usize) -> Result<String, LayoutError> {
    let digits = format!("{value:0width$}");
    if digits.len() > width {
        return Err(LayoutError::TooWide {
            field,
            value: digits,
            width,
        });
    }
    Ok(digits)
}

fn fen(field: &'static str, amount: Amount, width: usize) -> Result<String, LayoutError> {
    let value = u128::try_from(amount.fen()).map_err(|_| LayoutError::TooWide {
        field,
        value: amount.fen().to_string(),
        width,
    })?;
    number(field, value, width)
}

fn date(day: Day) -> String {
    let (y, m, d) = day.year_month_day();
    format!("{y:04}{m:02}{d:02}")
}

/// Reads a file back, checking every line's shape and the trailer against the records (what a
/// receiver does before loading it).
pub fn parse(text: &str) -> Result<File, LayoutError> {
    let lines: Vec<&str> = text.lines().collect();
    let bad = |line: usize, why: &str| LayoutError::Malformed {
        line,
        why: why.to_string(),
    };
    if lines.len() < 2 {
        return Err(bad(lines.len(), "a file has at least a header and a trailer"));
    }
    for (i, line) in lines.iter().enumerate() {
        if line.len() != WIDTH || !line.is_ascii() {
            return Err(bad(i + 1, &format!("{} characters, not {WIDTH} of ASCII", line.len())));
        }
    }
    let header = lines[0];
    if &header[0..1] != "H" || &header[25..29] != VERSION {
        return Err(bad(1, "not a header of layout IB01"));
    }
    let lender_code = header[1..11].trim_end().to_string();
    let month_text = format!("{}-{}", &header[11..15], &header[15..17]);
    let month: Month = month_text.parse().map_err(|_| bad(1, "the month is not YYYYMM"))?;
    let mut records = Vec::new();
    for (i, line) in lines[1..lines.len() - 1].iter().enumerate() {
        records.push(parse_record(line).ok_or_else(|| bad(i + 2, "not a data record"))?);
    }
    let file = File {
        lender_code,
        month,
        records,
    };
    check_trailer(&file, lines[lines.len() - 1]).map_err(|e| match e {
        Some(e) => e,
        None => bad(lines.len(), "not a trailer"),
    })?;
    Ok(file)
}

fn field<T: std::str::FromStr>(line: &str, (_, start, width): (&str, usize, usize)) -> Option<T> {
    line.get(start - 1..start - 1 + width)?.trim_end().parse().ok()
}

fn parse_date(value: &str) -> Option<Option<Day>> {
    if value == "00000000" {
        return Some(None);
    }
    let n: u32 = value.parse().ok()?;
    let (y, m, d) = ((n / 10_000) as i32, (n / 100 % 100) as u8, (n % 100) as u8);
    let valid = (1..=12).contains(&m) && d >= 1 && d <= credit::calendar::days_in_month(y, m);
    valid.then(|| Some(Day::ymd(y, m, d)))
}

fn parse_record(line: &str) -> Option<AccountRecord> {
    let f = DATA_FIELDS;
    let slice = |(_, start, width): (&str, usize, usize)| &line[start - 1..start - 1 + width];
    if slice(f[0]) != "D" {
        return None;
    }
    let amount = |i: usize| field::<i64>(line, f[i]).map(Amount::from_fen);
    let comment = slice(f[13]);
    Some(AccountRecord {
        account: field(line, f[2])?,
        reference: u64::from_str_radix(slice(f[3]), 16).ok()?,
        opened_on: parse_date(slice(f[4]))??,
        credit_limit: amount(5)?,
        highest_balance: amount(6)?,
        current_balance: amount(7)?,
        past_due: amount(8)?,
        dpd: field(line, f[9])?,
        bucket: bucket_of(slice(f[10]).trim_end())?,
        status: Status::from_code(slice(f[11]))?,
        charge_off: amount(12)?,
        fraud_exempt: comment == "FE",
        hardship: match comment {
            "AC" => true,
            "FE" | "  " => false,
            _ => return None,
        },
        first_delinquency: parse_date(slice(f[14]))?,
        reported_on: parse_date(slice(f[15]))??,
    })
}

/// `Err(None)`: the last line is not a trailer; `Err(Some(..))`: its figures disagree.
fn check_trailer(file: &File, line: &str) -> Result<(), Option<LayoutError>> {
    let f = TRAILER_FIELDS;
    if &line[0..1] != "T" {
        return Err(None);
    }
    let n = |i: usize| field::<u64>(line, f[i]).ok_or(None);
    let computed = file.trailer();
    let stated = Trailer {
        records: n(2)?,
        current_balance: Amount::from_fen(field(line, f[3]).ok_or(None)?),
        past_due: Amount::from_fen(field(line, f[4]).ok_or(None)?),
        charge_off: Amount::from_fen(field(line, f[5]).ok_or(None)?),
        delinquent: n(6)?,
        charged_off: n(7)?,
        fraud_exempt: n(8)?,
    };
    let pairs = [
        ("records", stated.records.to_string(), computed.records.to_string()),
        (
            "current_balance_fen",
            stated.current_balance.fen().to_string(),
            computed.current_balance.fen().to_string(),
        ),
        (
            "past_due_fen",
            stated.past_due.fen().to_string(),
            computed.past_due.fen().to_string(),
        ),
        (
            "charge_off_fen",
            stated.charge_off.fen().to_string(),
            computed.charge_off.fen().to_string(),
        ),
        (
            "delinquent",
            stated.delinquent.to_string(),
            computed.delinquent.to_string(),
        ),
        (
            "charged_off",
            stated.charged_off.to_string(),
            computed.charged_off.to_string(),
        ),
        (
            "fraud_exempt",
            stated.fraud_exempt.to_string(),
            computed.fraud_exempt.to_string(),
        ),
    ];
    match pairs.into_iter().find(|(_, s, c)| s != c) {
        Some((field, stated, computed)) => Err(Some(LayoutError::TrailerMismatch {
            field,
            stated,
            computed,
        })),
        None => Ok(()),
    }
}

/// The special comment column: `FE` (a confirmed theft's exemption) before `AC` (paying under a
/// hardship plan), blank otherwise.
fn special_comment(r: &AccountRecord) -> &'static str {
    if r.fraud_exempt {
        "FE"
    } else if r.hardship {
        "AC"
    } else {
        "  "
    }
}
