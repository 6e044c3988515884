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
        for ch in s.chars() {
            let mut tmp = [0u8; 4];
            let bytes = ch.encode_utf8(&mut tmp).as_bytes();
            let end = self.len + bytes.len();
            let Some(slot) = self.buf.get_mut(self.len..end) else {
                return Err(fmt::Error);
            };
            slot.copy_from_slice(bytes);
            self.len = end;
        }
        Ok(())
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
            None => Label::new(format_args!("0x{code:0digits$x} (unknown)")),
        }
    }
}

/// Name a code, or label it `0x5a (unknown)`.
pub(crate) fn named(name: Option<&'static str>, code: u64) -> Label {
    match name {
        Some(n) => Label::name(n),
        None => Label::new(format_args!("{code:#04x} (unknown)")),
    }
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
        assert_eq!(Label::code(None, 0x1ff, 4).as_str(), "0x01ff (unknown)");
        assert_eq!(
            Label::code(None, u64::MAX, 2).as_str(),
            "0xffffffffffffffff (unknown)"
        );
    }
}
