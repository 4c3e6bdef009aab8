//! The GB 11643-1999 check character: ISO 7064 MOD 11-2 over the first 17 digits of a resident
//! ID number.

/// Weight of digit `i` (0-based from the left) is 2^(17 - i) mod 11.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// The check character for a weighted sum mod 11 of 0, 1, 2, ... is `1 0 X 9 8 7 6 5 4 3 2`.
const CHECK_CHARS: [u8; 11] = *b"10X98765432";

/// The check character (`0`..`9` or uppercase `X`) for 17 ASCII digits.
pub(crate) fn check_char(first17: &[u8; 17]) -> u8 {
    let sum: u32 = first17.iter().zip(WEIGHTS).map(|(&d, w)| u32::from(d - b'0') * w).sum();
    CHECK_CHARS[(sum % 11) as usize]
}
