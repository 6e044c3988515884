//! Short texts kept inline in per-flow state: a request's strings that must outlive the
//! message they came in until its response arrives, without a heap allocation each.

/// At most `N` bytes of UTF-8 text, cut at a character boundary.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InlineText<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> Default for InlineText<N> {
    fn default() -> Self {
        InlineText {
            buf: [0; N],
            len: 0,
        }
    }
}

impl<const N: usize> InlineText<N> {
    /// Keep the first `N` bytes of `text`, at most.
    pub(crate) fn new(text: &str) -> InlineText<N> {
        let mut cut = text.len().min(N);
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let mut out = InlineText::default();
        out.buf[..cut].copy_from_slice(&text.as_bytes()[..cut]);
        out.len = cut;
        out
    }

    /// Return the text.
    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(self.buf.get(..self.len).unwrap_or_default()).unwrap_or_default()
    }

    /// Tell whether the text is empty.
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_at_a_character_boundary() {
        let t: InlineText<4> = InlineText::new("abcé");
        assert_eq!(t.as_str(), "abc");
        let t: InlineText<8> = InlineText::new("plc");
        assert_eq!((t.as_str(), t.is_empty()), ("plc", false));
        assert!(InlineText::<8>::default().is_empty());
    }
}
