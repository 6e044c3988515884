//! Parse errors that say where they are, shared by the binary industrial protocols: a field
//! that runs past the structure enclosing it, or a length that claims more than there is.

use rampart_dissect::Truncated;

/// A field that could not be read, located in its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Located {
    /// A field runs past the end of its enclosing structure.
    #[error("{field}: needs {needed} bytes at offset {offset}, {available} available")]
    Truncated {
        /// The field.
        field: &'static str,
        /// Where it starts in the message.
        offset: usize,
        /// Bytes it needs.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
    /// A length field that claims more than what surrounds it holds.
    #[error("{field} at offset {offset} claims {claimed} bytes, {available} available")]
    BadLength {
        /// The field.
        field: &'static str,
        /// Where it is.
        offset: usize,
        /// What it claims.
        claimed: usize,
        /// What there is.
        available: usize,
    },
}

impl Located {
    /// Return the anomaly code.
    pub fn code(&self) -> &'static str {
        match self {
            Located::Truncated { .. } => "truncated",
            Located::BadLength { .. } => "bad_length",
        }
    }

    /// Return where the offending field is.
    pub fn offset(&self) -> usize {
        match *self {
            Located::Truncated { offset, .. } | Located::BadLength { offset, .. } => offset,
        }
    }

    /// Move a [`rampart_dissect::Reader`]'s error, relative to a part found at `base`, to its
    /// place in the message.
    pub fn at(base: usize) -> impl Fn(Truncated) -> Located {
        move |t| Located::Truncated {
            field: t.field,
            offset: base + t.offset,
            needed: t.needed,
            available: t.available,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_reader_errors_to_their_place_in_the_message() {
        let t = Truncated {
            field: "length",
            offset: 2,
            needed: 2,
            available: 1,
        };
        let e = Located::at(40)(t);
        assert_eq!((e.code(), e.offset()), ("truncated", 42));
        assert_eq!(
            e.to_string(),
            "length: needs 2 bytes at offset 42, 1 available"
        );
    }
}
