//! Masking: one rule for each kind of personal data, used by every response and log line that
//! shows one (the `identity` types' `masked()` call these). A masked value keeps what a person
//! needs to recognise their own data and nothing that narrows a guess much further:
//!
//! | kind | rule | example |
//! |------|------|---------|
//! | resident ID | first 4 (province and city), a star for each hidden character, last 4 | `1101**********1234` |
//! | mobile | first 3, four stars, last 4 | `139****1234` |
//! | bank card | last four only | `**** 1234` |
//! | name | first character, a star for each other one (one character: all star) | `张*`, `欧***` |
//! | address | the first [`ADDRESS_KEPT_CHARS`] characters (province and city), then `***` | `北京市朝阳区***` |
//! | face reference | first 3 characters, then `***` | `lv_***` |
//!
//! Any input, even one that is not a valid value of its kind, masks without panicking; too
//! short a value is all stars.

/// Characters of an address kept (a mainland address's province and city).
pub const ADDRESS_KEPT_CHARS: usize = 6;

/// Keeps `first` and `last` characters and stars every character between; all stars when the
/// value is not longer than what would be kept.
fn keep_ends(text: &str, first: usize, last: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= first + last {
        return "*".repeat(chars.len().max(1));
    }
    let hidden = chars.len() - first - last;
    chars[..first]
        .iter()
        .copied()
        .chain(std::iter::repeat_n('*', hidden))
        .chain(chars[chars.len() - last..].iter().copied())
        .collect()
}

/// `110101199001011234` -> `1101**********1234`.
pub fn resident_id(text: &str) -> String {
    keep_ends(text, 4, 4)
}

/// `13912341234` -> `139****1234`.
pub fn mobile(text: &str) -> String {
    keep_ends(text, 3, 4)
}

/// `6222021234567890123` -> `**** 0123` (spaces in the input are ignored).
pub fn bank_card(text: &str) -> String {
    let digits: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() <= 4 {
        return "****".to_owned();
    }
    let last4: String = digits[digits.len() - 4..].iter().collect();
    format!("**** {last4}")
}

/// `张三` -> `张*`, `欧阳娜娜` -> `欧***`, `李` -> `*`.
pub fn name(text: &str) -> String {
    let mut chars = text.chars();
    match (chars.next(), chars.clone().count()) {
        (Some(first), rest) if rest > 0 => std::iter::once(first).chain(std::iter::repeat_n('*', rest)).collect(),
        _ => "*".to_owned(),
    }
}

/// `北京市朝阳区建国路88号` -> `北京市朝阳区***`.
pub fn address(text: &str) -> String {
    let kept: String = text.chars().take(ADDRESS_KEPT_CHARS).collect();
    format!("{kept}***")
}

/// `lv_3f9a...` -> `lv_***`.
pub fn face_reference(text: &str) -> String {
    let kept: String = text.chars().take(3).collect();
    format!("{kept}***")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A masking rule, an input and what it must show.
    type Case = (fn(&str) -> String, &'static str, &'static str);

    #[test]
    fn each_kind_masks_by_its_rule() {
        let table: &[Case] = &[
            (resident_id, "110101199001011234", "1101**********1234"),
            (resident_id, "11010119900101123X", "1101**********123X"),
            (resident_id, "123", "***"),
            (mobile, "13912341234", "139****1234"),
            (mobile, "1391", "****"),
            (bank_card, "6222021234567890123", "**** 0123"),
            (bank_card, "6222 0212 3456 7890", "**** 7890"),
            (bank_card, "12", "****"),
            (name, "张三", "张*"),
            (name, "欧阳娜娜", "欧***"),
            (name, "李", "*"),
            (name, "", "*"),
            (address, "北京市朝阳区建国路88号", "北京市朝阳区***"),
            (address, "北京", "北京***"),
            (face_reference, "lv_3f9a77", "lv_***"),
        ];
        for (mask, input, want) in table {
            assert_eq!(mask(input), *want, "{input}");
        }
    }

    #[test]
    fn no_mask_shows_the_middle_of_an_id_number() {
        let id = "110101199001011234";
        assert!(!resident_id(id).contains("19900101"));
        assert!(!mobile("13912341234").contains("1234123"));
    }
}
