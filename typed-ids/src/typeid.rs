//! The TypeID suffix: a UUID as 26 lowercase Crockford base32 characters.
//!
//! Two zero bits are put before the 128 bits of the UUID and the 130 bits are cut
//! into 5-bit groups, most significant first, so the first character is always
//! `0`..=`7` (TypeID spec 0.3).

/// Length of an encoded suffix.
pub(crate) const LEN: usize = 26;

const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// Encodes `value` (a UUID as a big-endian integer) into its 26-character suffix.
pub(crate) fn encode(value: u128) -> [u8; LEN] {
    let mut out = [0u8; LEN];
    for (i, slot) in out.iter_mut().enumerate() {
        let shift = 125 - 5 * i;
        // The top group only has 3 bits of data; masking with 31 is still right
        // because the two prepended bits are zero.
        *slot = ALPHABET[((value >> shift) & 31) as usize];
    }
    out
}

/// Decodes a 26-character suffix; `None` for a wrong length, a character outside the
/// lowercase alphabet, or a first character above `7` (more than 128 bits).
pub(crate) fn decode(text: &str) -> Option<u128> {
    let bytes = text.as_bytes();
    if bytes.len() != LEN {
        return None;
    }
    let mut value: u128 = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let digit = symbol_value(b)?;
        if i == 0 && digit > 7 {
            return None;
        }
        value = (value << 5) | u128::from(digit);
    }
    Some(value)
}

fn symbol_value(b: u8) -> Option<u8> {
    // Position in ALPHABET; `i`, `l`, `o` and `u` are not symbols.
    ALPHABET.iter().position(|&a| a == b).map(|p| p as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_examples_round_trip() {
        // From the TypeID spec's valid.yml.
        let cases: [(&str, u128); 4] = [
            ("00000000000000000000000000", 0),
            ("00000000000000000000000001", 1),
            ("0000000000000000000000000a", 10),
            ("01h455vb4pex5vsknk084sn02q", 0x01890a5d_ac96_774b_bcce_b302099a8057),
        ];
        for (text, value) in cases {
            assert_eq!(decode(text), Some(value), "{text}");
            assert_eq!(&encode(value), text.as_bytes());
        }
        assert_eq!(&encode(u128::MAX), b"7zzzzzzzzzzzzzzzzzzzzzzzzz");
    }

    #[test]
    fn rejects_overflow_uppercase_and_bad_symbols() {
        assert_eq!(decode("8zzzzzzzzzzzzzzzzzzzzzzzzz"), None);
        assert_eq!(decode("01H455VB4PEX5VSKNK084SN02Q"), None);
        assert_eq!(decode("01h455vb4pex5vsknk084sn02u"), None);
        assert_eq!(decode("01h455vb4pex5vsknk084sn02"), None);
        assert_eq!(decode("01h455vb4pex5vsknk084sn02qq"), None);
    }
}
