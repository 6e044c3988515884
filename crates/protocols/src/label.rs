//! Short code labels on the stack (`0x5a (unknown)`), so that naming an unknown code in a
//! record allocates nothing.

use std::fmt::{self, Write as _};

/// A short label on the stack (`0x5a (unknown)`), so naming an unknown code allocates nothing;
/// a known name is kept by reference, not copied.
#[derive(Clone, Copy)]
pub(crate) struct Label {
    name: Option<&'static str>,
    buf: [u8; 64],
    len: usize,
}

impl Label {
    /// Render `args` into a new label, cut at its capacity.
    pub(crate) fn new(args: fmt::Arguments<'_>) -> Label {
        let mut label = Label {
            name: None,
            buf: [0; 64],
            len: 0,
        };
        let _ = label.write_fmt(args);
        label
    }

    /// A label that is a static name.
    pub(crate) fn name(name: &'static str) -> Label {
        Label {
            name: Some(name),
            buf: [0; 64],
            len: 0,
        }
    }

    /// Return the text.
    pub(crate) fn as_str(&self) -> &str {
        match self.name {
            Some(name) => name,
            None => std::str::from_utf8(self.buf.get(..self.len).unwrap_or_default())
                .unwrap_or_default(),
        }
    }
}

impl fmt::Write for Label {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = self.buf.len() - self.len;
        let mut take = s.len().min(room);
        while !s.is_char_boundary(take) {
            take -= 1;
        }
        if let (Some(slot), Some(bytes)) = (
            self.buf.get_mut(self.len..self.len + take),
            s.as_bytes().get(..take),
        ) {
            slot.copy_from_slice(bytes);
            self.len += take;
        }
        if take < s.len() {
            Err(fmt::Error)
        } else {
            Ok(())
        }
    }
}

impl Label {
    /// Render any short [`fmt::Display`] (a name, a code) as a label.
    pub(crate) fn display(value: &dyn fmt::Display) -> Label {
        Label::new(format_args!("{value}"))
    }

    /// Label `code` with its table's `name`, or print it in hex with `digits` digits and
    /// ` (unknown)` when the table does not name it.
    pub(crate) fn code(name: Option<&'static str>, code: u64, digits: usize) -> Label {
        match name {
            Some(n) => Label::name(n),
            None => Label::unknown_hex(code, digits),
        }
    }

    /// `0x<code> (unknown)` with at least `digits` hex digits, written without the
    /// formatting machinery: unknown codes are common in some traffic and this is per message.
    fn unknown_hex(code: u64, digits: usize) -> Label {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut label = Label {
            name: None,
            buf: [0; 64],
            len: 0,
        };
        let significant = (16 - code.leading_zeros() as usize / 4).max(1);
        let width = significant.max(digits).min(16);
        label.buf[..2].copy_from_slice(b"0x");
        for i in 0..width {
            let nibble = (code >> (4 * (width - 1 - i))) & 0xf;
            label.buf[2 + i] = HEX[nibble as usize];
        }
        let end = 2 + width;
        label.buf[end..end + 10].copy_from_slice(b" (unknown)");
        label.len = end + 10;
        label
    }
}

/// Name a code, or label it `0x5a (unknown)`.
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
