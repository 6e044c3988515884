//! Names of code points for records, with unknown codes printed `0x5a (unknown)` on the stack.
//!
//! Code tables are open: a code a table does not name is kept and printed in hex. Formatting
//! it into a `String` per message would allocate on the hot path, so a [`Label`] holds either
//! the static name or the hex text in a small inline buffer.

use std::fmt::Write as _;

/// The printed name of a code: the table's name, or `0x…` followed by ` (unknown)`.
#[derive(Clone, Copy)]
pub(crate) struct Label {
    name: Option<&'static str>,
    buf: [u8; 32],
    len: u8,
}

/// A `fmt::Write` over a fixed buffer that drops what does not fit.
struct Inline<'a> {
    buf: &'a mut [u8; 32],
    len: usize,
}

impl std::fmt::Write for Inline<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        for &b in s.as_bytes() {
            if let Some(slot) = self.buf.get_mut(self.len) {
                *slot = b;
                self.len += 1;
            }
        }
        Ok(())
    }
}

impl Label {
    /// Label `code` with `name`, or print it in hex with `digits` digits when unnamed.
    pub(crate) fn new(name: Option<&'static str>, code: u64, digits: usize) -> Label {
        let mut buf = [0u8; 32];
        let mut len = 0;
        if name.is_none() {
            let mut w = Inline {
                buf: &mut buf,
                len: 0,
            };
            let _ = write!(w, "0x{code:0digits$x} (unknown)");
            len = w.len;
        }
        Label {
            name,
            buf,
            len: len as u8,
        }
    }

    /// Return the text.
    pub(crate) fn as_str(&self) -> &str {
        match self.name {
            Some(name) => name,
            // Only ASCII was written, so this cannot fail.
            None => std::str::from_utf8(&self.buf[..usize::from(self.len)]).unwrap_or("unknown"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_unknown_codes_in_hex() {
        assert_eq!(
            Label::new(Some("read_property"), 12, 2).as_str(),
            "read_property"
        );
        assert_eq!(Label::new(None, 0x5a, 2).as_str(), "0x5a (unknown)");
        assert_eq!(Label::new(None, 0x1ff, 4).as_str(), "0x01ff (unknown)");
        assert_eq!(
            Label::new(None, u64::MAX, 2).as_str(),
            "0xffffffffffffffff (unknown)"
        );
    }
}
