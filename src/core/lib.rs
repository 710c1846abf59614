//! snshare's core: the product's rules (`domain`), the ServiceNow client (`servicenow`) and the
//! message contract between the surfaces (`messages`). Pure Rust, native and wasm alike: no
//! browser binding is a dependency of this crate, so everything here is tested natively.
//!
//! Inside the crate the arrows point down (ARCHITECTURE.md): `messages` may use `servicenow` and
//! `domain`, `servicenow` may use `domain`, and `domain` uses neither.

pub mod domain;
pub mod messages;
pub mod servicenow;

/// `bytes` in lowercase hex, two digits each (random ids, hashed action keys): one loop shared
/// by both, not the formatting machinery once per caller.
pub fn lower_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    push_lower_hex(&mut out, bytes);
    out
}

/// [`lower_hex`] appended to `out` (a title key after its prefix, built once per row).
pub fn push_lower_hex(out: &mut String, bytes: &[u8]) {
    push_hex(out, bytes, b"0123456789abcdef");
}

/// `bytes` in uppercase hex, two digits each, appended to `out` (percent-encoding's `%XX`): the
/// same loop as [`push_lower_hex`], not `write!(out, "{b:02X}")`'s formatting machinery.
pub fn push_upper_hex(out: &mut String, bytes: &[u8]) {
    push_hex(out, bytes, b"0123456789ABCDEF");
}

fn push_hex(out: &mut String, bytes: &[u8], digits: &[u8; 16]) {
    for &b in bytes {
        out.push(char::from(digits[usize::from(b >> 4)]));
        out.push(char::from(digits[usize::from(b & 0x0f)]));
    }
}

/// A hex digit's value, either case (`%XX` escapes, `\uXXXX` escapes): a `match`, where
/// `u8::from_str_radix` would also take a leading sign and need the digits as a `str`.
pub fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `n` in decimal (a count, a generation): what `n.to_string()` writes, without the formatting
/// machinery, which the content script otherwise carries for its few numbers (issue 17).
pub fn decimal(n: u64) -> String {
    let mut out = String::new();
    push_decimal(&mut out, n);
    out
}

/// [`decimal`] appended to `out`.
pub fn push_decimal(out: &mut String, n: u64) {
    // u64::MAX has 20 digits.
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n;
    loop {
        at -= 1;
        // `rest % 10` is a single digit: the cast cannot truncate.
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    for &d in &digits[at..] {
        out.push(char::from(d));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn decimal_writes_what_to_string_writes() {
        for n in [
            0,
            1,
            9,
            10,
            99,
            100,
            12_345,
            1_000_000,
            u64::MAX - 1,
            u64::MAX,
        ] {
            assert_eq!(super::decimal(n), n.to_string());
        }
        let mut out = String::from("+");
        super::push_decimal(&mut out, 42);
        assert_eq!(out, "+42");
    }

    #[test]
    fn lower_hex_writes_two_lowercase_digits_per_byte() {
        assert_eq!(
            super::lower_hex(&[0x00, 0x0f, 0xa5, 0xff, 0x10]),
            "000fa5ff10"
        );
        assert_eq!(super::lower_hex(&[]), "");
    }

    #[test]
    fn push_upper_hex_appends_two_uppercase_digits_per_byte() {
        let mut out = String::from("%");
        super::push_upper_hex(&mut out, &[0x00, 0x0f, 0xa5, 0xff, 0x10]);
        assert_eq!(out, "%000FA5FF10");
    }
}
