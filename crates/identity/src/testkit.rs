//! Seeded generators of valid identities for tests and the population simulator (behind the
//! `testkit` feature). The same seed gives the same sequence of identities on every platform.

use jiff::ToSpan;
use jiff::civil::Date;

use crate::region::PROVINCE_PREFIXES;
use crate::seeded::SplitMix64;
use crate::{BankCard, CardBrand, Mobile, PersonName, ResidentId};

const SURNAMES: [&str; 24] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林",
    "罗", "郑", "梁", "欧阳", "司马",
];
const GIVEN: [&str; 32] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀", "霞",
    "平", "刚", "桂", "英", "华", "文", "红", "玉", "兰", "建", "国", "云", "晨",
];
/// Transliterated names with a middle dot, as some ID cards carry them.
const DOTTED: [&str; 4] = ["买买提·艾力", "阿依古丽·吐尔逊", "扎西·多吉", "格桑·卓玛"];

/// A deterministic stream of valid identities.
#[derive(Debug, Clone)]
pub struct IdentityGen {
    rng: SplitMix64,
}

impl IdentityGen {
    pub fn new(seed: u64) -> Self {
        Self {
            rng: SplitMix64::new(seed),
        }
    }

    /// An ID number for someone aged `min_age..=max_age` whole years on `today` (born no
    /// earlier than 1900-01-01; the bounds are swapped if reversed).
    pub fn resident_id(&mut self, today: Date, min_age: u16, max_age: u16) -> ResidentId {
        let (young, old) = (min_age.min(max_age), min_age.max(max_age));
        let floor = jiff::civil::date(1900, 1, 1);
        let latest = today.checked_sub(i64::from(young).years()).unwrap_or(floor).max(floor);
        let earliest = today
            .checked_sub(i64::from(old).saturating_add(1).years())
            .and_then(|d| d.checked_add(1.day()))
            .unwrap_or(floor)
            .clamp(floor, latest);
        let days = earliest.until(latest).map_or(0, |span| span.get_days());
        let offset = self.rng.below_by_multiply(u64::try_from(days).unwrap_or(0) + 1);
        let birth = earliest.checked_add((offset as i64).days()).unwrap_or(earliest);
        self.resident_id_born(birth)
    }

    /// An ID number with this birth date (which must be on or after 1900-01-01; earlier dates
    /// are moved to it) and a random region and sequence.
    pub fn resident_id_born(&mut self, birth: Date) -> ResidentId {
        let birth = birth.max(jiff::civil::date(1900, 1, 1));
        let province = PROVINCE_PREFIXES[self.rng.below_by_multiply(PROVINCE_PREFIXES.len() as u64) as usize];
        let prefecture = 1 + self.rng.below_by_multiply(20) as u8;
        let county = 1 + self.rng.below_by_multiply(30) as u8;
        let mut region = [0u8; 6];
        for (i, n) in [province, prefecture, county].into_iter().enumerate() {
            region[2 * i] = b'0' + n / 10;
            region[2 * i + 1] = b'0' + n % 10;
        }
        let sequence = self.rng.below_by_multiply(1000) as u16;
        ResidentId::assemble(region, birth, sequence)
    }

    /// A mainland mobile number, `1[3-9]` and nine digits.
    pub fn mobile(&mut self) -> Mobile {
        let mut digits = format!("1{}", 3 + self.rng.below_by_multiply(7));
        self.push_digits(&mut digits, 9);
        Mobile::from_trusted(digits)
    }

    /// A Luhn-valid card of `brand` (UnionPay cards are 16 or 19 digits, Amex 15, others 16;
    /// `Unknown` starts with 9).
    pub fn bank_card(&mut self, brand: CardBrand) -> BankCard {
        let (prefix, length) = match brand {
            CardBrand::UnionPay if self.rng.below_by_multiply(4) == 0 => ("62".to_owned(), 19),
            CardBrand::UnionPay => ("62".to_owned(), 16),
            CardBrand::Visa => ("4".to_owned(), 16),
            CardBrand::Mastercard if self.rng.below_by_multiply(2) == 0 => {
                ((51 + self.rng.below_by_multiply(5)).to_string(), 16)
            }
            CardBrand::Mastercard => ((2221 + self.rng.below_by_multiply(500)).to_string(), 16),
            CardBrand::Jcb => ((3528 + self.rng.below_by_multiply(62)).to_string(), 16),
            CardBrand::Amex => (
                if self.rng.below_by_multiply(2) == 0 { "34" } else { "37" }.to_owned(),
                15,
            ),
            CardBrand::Unknown => ("9".to_owned(), 16),
        };
        let mut digits = prefix;
        let missing = length - 1 - digits.len();
        self.push_digits(&mut digits, missing);
        BankCard::complete(digits)
    }

    /// A Chinese name: a common surname and one or two given-name characters, or now and then
    /// a transliterated name with a middle dot.
    pub fn person_name(&mut self) -> PersonName {
        let text = if self.rng.below_by_multiply(50) == 0 {
            DOTTED[self.rng.below_by_multiply(DOTTED.len() as u64) as usize].to_owned()
        } else {
            let mut text = SURNAMES[self.rng.below_by_multiply(SURNAMES.len() as u64) as usize].to_owned();
            for _ in 0..1 + self.rng.below_by_multiply(2) {
                text.push_str(GIVEN[self.rng.below_by_multiply(GIVEN.len() as u64) as usize]);
            }
            text
        };
        // Every name built above is letters and inner middle dots, under 32 characters.
        PersonName::from_trusted(text)
    }

    fn push_digits(&mut self, text: &mut String, count: usize) {
        for _ in 0..count {
            text.push(char::from(b'0' + self.rng.below_by_multiply(10) as u8));
        }
    }
}
