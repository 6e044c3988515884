//! Short code labels on the stack (`0x5a (unknown)`), so that naming an unknown code in a
//! record allocates nothing.

use std::fmt::{self, Write as _};

use arrayvec::ArrayString;

/// What a label may hold: a code name or a short rendered text.
const CAPACITY: usize = 64;

/// A short label on the stack (`0x5a (unknown)`), so naming an unknown code allocates nothing;
/// a known name is kept by reference, not copied. Neither kind zeroes or validates a buffer:
/// labels are made for every message.
#[derive(Clone, Copy)]
pub(crate) enum Label {
    /// A table's static name.
    Name(&'static str),
    /// Rendered text, cut at [`CAPACITY`] bytes on a character boundary.
    Text(ArrayString<CAPACITY>),
}

impl Label {
    /// Render `args` into a new label, cut at its capacity.
    pub(crate) fn new(args: fmt::Arguments<'_>) -> Label {
        let mut text = Bounded(ArrayString::new());
        let _ = text.write_fmt(args);
        Label::Text(text.0)
    }

    /// A label that is a static name.
    #[inline]
    pub(crate) fn name(name: &'static str) -> Label {
        Label::Name(name)
    }

    /// Return the text.
    #[inline]
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Label::Name(name) => name,
            Label::Text(text) => text.as_str(),
        }
    }

    /// Render any short [`fmt::Display`] (a name, a code) as a label.
    pub(crate) fn display(value: &dyn fmt::Display) -> Label {
        Label::new(format_args!("{value}"))
    }

    /// Label `code` with its table's `name`, or print it in hex with `digits` digits and
    /// ` (unknown)` when the table does not name it.
    #[inline]
    pub(crate) fn code(name: Option<&'static str>, code: u64, digits: usize) -> Label {
        match name {
            Some(n) => Label::name(n),
            None => Label::unknown_hex(code, digits),
        }
    }

    /// `0x<code> (unknown)` with at least `digits` hex digits, written without the
    /// formatting machinery: unknown codes are common in some traffic and this is per message.
    fn unknown_hex(code: u64, digits: usize) -> Label {
        let mut text = ArrayString::new();
        let significant = (16 - code.leading_zeros() as usize / 4).max(1);
        let width = significant.max(digits).min(16);
        text.push_str("0x");
        for i in (0..width).rev() {
            text.push(hex_digit((code >> (4 * i)) as u8));
        }
        text.push_str(" (unknown)");
        Label::Text(text)
    }
}

/// A label's text being rendered: what does not fit is cut at a character boundary.
struct Bounded(ArrayString<CAPACITY>);

impl fmt::Write for Bounded {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut take = s.len().min(self.0.remaining_capacity());
        while !s.is_char_boundary(take) {
            take -= 1;
        }
        self.0.push_str(&s[..take]);
        if take < s.len() {
            Err(fmt::Error)
        } else {
            Ok(())
        }
    }
}

/// Lowercase hex digits, for hex written per message without `core::fmt`.
const HEX: &[u8; 16] = b"0123456789abcdef";

/// The lowercase hex digit of the low four bits of `nibble`.
pub(crate) fn hex_digit(nibble: u8) -> char {
    char::from(HEX[usize::from(nibble & 0xf)])
}

/// The two lowercase hex digits of `byte`, high first.
pub(crate) fn hex_digits(byte: u8) -> [u8; 2] {
    [HEX[usize::from(byte >> 4)], HEX[usize::from(byte & 0xf)]]
}

/// Append the two lowercase hex digits of `byte`.
pub(crate) fn push_hex_byte(out: &mut String, byte: u8) {
    out.push(hex_digit(byte >> 4));
    out.push(hex_digit(byte));
}

/// Name a code, or label it `0x5a (unknown)`.
#[inline]
pub(crate) fn named(name: Option<&'static str>, code: u64) -> Label {
    Label::code(name, code, 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_unknown_codes_and_cut_at_their_capacity() {
        assert_eq!(named(None, 0x5a).as_str(), "0x5a (unknown)");
        assert_eq!(named(Some("stop"), 7).as_str(), "stop");
        let long = Label::new(format_args!("{}", "é".repeat(40)));
        assert_eq!(long.as_str().chars().count(), 32);
    }

    #[test]
    fn writes_hex_digits_of_bytes_and_nibbles() {
        assert_eq!(hex_digits(0x0a), *b"0a");
        assert_eq!(hex_digits(0xf5), *b"f5");
        assert_eq!(hex_digit(0x3c), 'c');
        let mut out = String::from("0x");
        push_hex_byte(&mut out, 0x28);
        assert_eq!(out, "0x28");
    }

    #[test]
    fn prints_unknown_codes_with_the_tables_width() {
        assert_eq!(
            Label::code(Some("read_property"), 12, 2).as_str(),
            "read_property"
        );
        assert_eq!(Label::code(None, 0x5a, 2).as_str(), "0x5a (unknown)");
        assert_eq!(Label::code(None, 0, 2).as_str(), "0x00 (unknown)");
        assert_eq!(Label::code(None, 0x5, 1).as_str(), "0x5 (unknown)");
        assert_eq!(named(None, 0x1234).as_str(), "0x1234 (unknown)");
        assert_eq!(Label::code(None, 0x1ff, 4).as_str(), "0x01ff (unknown)");
        assert_eq!(
            Label::code(None, u64::MAX, 2).as_str(),
            "0xffffffffffffffff (unknown)"
        );
    }
}
