//! Short texts formatted on the stack: naming a code that the tables do not know
//! (`0x5a (unknown)`) without allocating per message.

use std::fmt;

/// A short text on the stack, for naming a code the tables do not know without allocating.
#[derive(Clone, Copy)]
pub struct CodeText {
    buf: [u8; 64],
    len: usize,
}

impl CodeText {
    /// Render `value`, a [`fmt::Display`] of at most 64 bytes (a longer one renders empty).
    pub fn new(value: &dyn fmt::Display) -> CodeText {
        let mut text = CodeText {
            buf: [0; 64],
            len: 0,
        };
        let _ = fmt::write(&mut text, format_args!("{value}"));
        text
    }

    /// Return the text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(self.buf.get(..self.len).unwrap_or_default()).unwrap_or_default()
    }
}

impl fmt::Write for CodeText {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = self.buf.len() - self.len;
        if s.len() > room {
            return Err(fmt::Error);
        }
        self.buf[self.len..self.len + s.len()].copy_from_slice(s.as_bytes());
        self.len += s.len();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_short_texts_and_leaves_long_ones_empty() {
        assert_eq!(
            CodeText::new(&format_args!("0x{:02x} (unknown)", 0x5a)).as_str(),
            "0x5a (unknown)"
        );
        assert_eq!(CodeText::new(&"x".repeat(65)).as_str(), "");
    }
}
