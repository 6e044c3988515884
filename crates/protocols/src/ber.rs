//! A bounded reader of ASN.1 BER (X.690 §8) for the ISO application protocols: MMS, the
//! ACSE and presentation layers under it, and IEC 61850 GOOSE.
//!
//! Tags of any class and number (high-tag-number form up to four octets), definite lengths
//! of up to four octets; the indefinite form, which none of these protocols sends, is an
//! error. Reading never recurses: a caller descends one level at a time through
//! [`Tlv::children`], so how deep it goes is the caller's explicit bound. Nothing allocates.
//! SNMP keeps its own reader, which knows only single-octet tags and SNMP's errors.

use std::fmt::Write as _;

/// The class of a tag (X.690 §8.1.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// Universal (INTEGER, SEQUENCE, …).
    Universal,
    /// Application-wide ([APPLICATION n]).
    Application,
    /// Context-specific ([n]).
    Context,
    /// Private.
    Private,
}

/// Why an element could not be read, located in the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum BerError {
    /// The element runs past the end of what encloses it.
    #[error("{field} at offset {offset} needs {needed} octets, {available} available")]
    Truncated {
        /// The element.
        field: &'static str,
        /// Where it starts.
        offset: usize,
        /// Octets it needs.
        needed: usize,
        /// Octets available.
        available: usize,
    },
    /// An indefinite length or a length of more than four octets.
    #[error("{field} at offset {offset} has length form {form:#04x}")]
    Length {
        /// The element.
        field: &'static str,
        /// Where it starts.
        offset: usize,
        /// The first length octet.
        form: u8,
    },
    /// A tag number longer than four octets.
    #[error("{field} at offset {offset} has a tag number longer than four octets")]
    Tag {
        /// The element.
        field: &'static str,
        /// Where it starts.
        offset: usize,
    },
    /// An element other than the one the structure requires.
    #[error("{field} at offset {offset} has tag {found}, expected {expected}")]
    Unexpected {
        /// The element.
        field: &'static str,
        /// Where it starts.
        offset: usize,
        /// The tag found, as `[class number]`.
        found: TagName,
        /// The tag expected.
        expected: TagName,
    },
}

impl BerError {
    /// Return the anomaly code.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            BerError::Truncated { .. } => "ber_truncated",
            BerError::Length { .. } => "ber_bad_length",
            BerError::Tag { .. } => "ber_bad_tag",
            BerError::Unexpected { .. } => "ber_unexpected_tag",
        }
    }

    /// Return the offset of the offending element.
    pub(crate) fn offset(&self) -> usize {
        match *self {
            BerError::Truncated { offset, .. }
            | BerError::Length { offset, .. }
            | BerError::Tag { offset, .. }
            | BerError::Unexpected { offset, .. } => offset,
        }
    }
}

/// A tag for messages: class and number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TagName(pub Class, pub u32);

impl std::fmt::Display for TagName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Class::Universal => write!(f, "[UNIVERSAL {}]", self.1),
            Class::Application => write!(f, "[APPLICATION {}]", self.1),
            Class::Context => write!(f, "[{}]", self.1),
            Class::Private => write!(f, "[PRIVATE {}]", self.1),
        }
    }
}

/// One element: its tag, where it is and its contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tlv<'a> {
    /// Tag class.
    pub class: Class,
    /// Constructed (bit 6 of the identifier).
    pub constructed: bool,
    /// Tag number.
    pub number: u32,
    /// Offset of the identifier in the message.
    pub offset: usize,
    /// Offset of the contents in the message.
    pub contents_offset: usize,
    /// The contents.
    pub contents: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// Tell whether this is `[number]` (context-specific).
    pub(crate) fn is_context(&self, number: u32) -> bool {
        self.class == Class::Context && self.number == number
    }

    /// Tell whether this is the universal tag `number`.
    pub(crate) fn is_universal(&self, number: u32) -> bool {
        self.class == Class::Universal && self.number == number
    }

    /// Return a reader over the elements inside.
    pub(crate) fn children(&self) -> Ber<'a> {
        Ber::new(self.contents, self.contents_offset)
    }

    /// Read the contents as an unsigned integer of at most eight significant octets.
    pub(crate) fn unsigned(&self) -> Option<u64> {
        let bytes = match self.contents {
            [0, rest @ ..] if !rest.is_empty() => rest,
            b => b,
        };
        (!bytes.is_empty() && bytes.len() <= 8)
            .then(|| bytes.iter().fold(0u64, |n, &b| (n << 8) | u64::from(b)))
    }

    /// Read the contents as a two's-complement integer of one to eight octets.
    pub(crate) fn signed(&self) -> Option<i64> {
        let bytes = self.contents;
        if bytes.is_empty() || bytes.len() > 8 {
            return None;
        }
        let init: i64 = if bytes[0] & 0x80 != 0 { -1 } else { 0 };
        Some(bytes.iter().fold(init, |n, &b| (n << 8) | i64::from(b)))
    }

    /// Read the contents as a BOOLEAN (any non-zero octet is true).
    pub(crate) fn boolean(&self) -> Option<bool> {
        match self.contents {
            [b] => Some(*b != 0),
            _ => None,
        }
    }

    /// Return the bits of a BIT STRING: the octets after the unused-bits octet, and how many
    /// bits of the last octet are unused.
    pub(crate) fn bits(&self) -> Option<(&'a [u8], u8)> {
        let (&unused, bits) = self.contents.split_first()?;
        (unused < 8).then_some((bits, unused))
    }
}

/// A cursor over consecutive elements, with offsets relative to the whole message.
#[derive(Debug, Clone)]
pub(crate) struct Ber<'a> {
    data: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Ber<'a> {
    /// Read `data`, which starts at `base` in the message.
    pub(crate) fn new(data: &'a [u8], base: usize) -> Ber<'a> {
        Ber { data, pos: 0, base }
    }

    /// Tell whether all elements have been read.
    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// Read the next element, whatever it is.
    pub(crate) fn next(&mut self, field: &'static str) -> Result<Tlv<'a>, BerError> {
        let start = self.pos;
        let offset = self.base + start;
        let rest = self.data.get(start..).unwrap_or_default();
        let truncated = |needed: usize| BerError::Truncated {
            field,
            offset,
            needed,
            available: rest.len(),
        };
        let (&id, mut after) = rest.split_first().ok_or(truncated(2))?;
        let class = match id >> 6 {
            0 => Class::Universal,
            1 => Class::Application,
            2 => Class::Context,
            _ => Class::Private,
        };
        let mut number = u32::from(id & 0x1f);
        if number == 0x1f {
            number = 0;
            let mut octets = 0;
            loop {
                let (&b, tail) = after.split_first().ok_or(truncated(octets + 3))?;
                after = tail;
                octets += 1;
                if octets > 4 {
                    return Err(BerError::Tag { field, offset });
                }
                number = (number << 7) | u32::from(b & 0x7f);
                if b & 0x80 == 0 {
                    break;
                }
            }
        }
        let tag_len = rest.len() - after.len();
        let (&first, after) = after.split_first().ok_or(truncated(tag_len + 1))?;
        let (len, after) = if first < 0x80 {
            (usize::from(first), after)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 {
                return Err(BerError::Length {
                    field,
                    offset,
                    form: first,
                });
            }
            let octets = after.get(..n).ok_or(truncated(tag_len + 1 + n))?;
            let len = octets
                .iter()
                .fold(0usize, |l, &b| (l << 8) | usize::from(b));
            (len, &after[n..])
        };
        let header = rest.len() - after.len();
        let contents = after
            .get(..len)
            .ok_or(truncated(header.saturating_add(len)))?;
        self.pos = start + header + len;
        Ok(Tlv {
            class,
            constructed: id & 0x20 != 0,
            number,
            offset,
            contents_offset: offset + header,
            contents,
        })
    }

    /// Read the next element and insist that it is `[number]`.
    pub(crate) fn context(
        &mut self,
        number: u32,
        field: &'static str,
    ) -> Result<Tlv<'a>, BerError> {
        self.expect(Class::Context, number, field)
    }

    /// Read the next element and insist on its tag.
    pub(crate) fn expect(
        &mut self,
        class: Class,
        number: u32,
        field: &'static str,
    ) -> Result<Tlv<'a>, BerError> {
        let t = self.next(field)?;
        if t.class == class && t.number == number {
            Ok(t)
        } else {
            Err(BerError::Unexpected {
                field,
                offset: t.offset,
                found: TagName(t.class, t.number),
                expected: TagName(class, number),
            })
        }
    }

    /// Read elements until one is `[number]`, skipping the others; `None` at the end or at
    /// the first unreadable element.
    pub(crate) fn find_context(&mut self, number: u32) -> Option<Tlv<'a>> {
        while !self.is_empty() {
            let t = self.next("element").ok()?;
            if t.is_context(number) {
                return Some(t);
            }
        }
        None
    }
}

/// Universal tag numbers used by the ISO protocols.
pub(crate) mod universal {
    /// INTEGER.
    pub const INTEGER: u32 = 2;
    /// OBJECT IDENTIFIER.
    pub const OID: u32 = 6;
    /// EXTERNAL.
    pub const EXTERNAL: u32 = 8;
    /// SEQUENCE.
    pub const SEQUENCE: u32 = 16;
    /// SET.
    pub const SET: u32 = 17;
}

/// Write the dotted form of an OBJECT IDENTIFIER's contents (X.690 §8.19); false (with
/// `out` untouched) when malformed.
pub(crate) fn write_oid(contents: &[u8], out: &mut String) -> bool {
    let start = out.len();
    let mut value: u64 = 0;
    let mut first = true;
    let mut pending = false;
    for &b in contents {
        if value > u64::MAX >> 7 {
            out.truncate(start);
            return false;
        }
        value = (value << 7) | u64::from(b & 0x7f);
        pending = true;
        if b & 0x80 != 0 {
            continue;
        }
        if first {
            let (a, rest) = match value {
                0..=39 => (0, value),
                40..=79 => (1, value - 40),
                _ => (2, value - 80),
            };
            let _ = write!(out, "{a}.{rest}");
            first = false;
        } else {
            let _ = write!(out, ".{value}");
        }
        value = 0;
        pending = false;
    }
    if pending || first {
        out.truncate(start);
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_high_tag_numbers_and_long_lengths() {
        // MMS fileOpen is [72]: a constructed context tag in the high-tag-number form.
        let mut msg = vec![0xbf, 0x48, 0x81, 0x80];
        msg.extend_from_slice(&[0u8; 128]);
        let t = Ber::new(&msg, 10).next("fileOpen").expect("reads");
        assert_eq!(
            (t.class, t.constructed, t.number),
            (Class::Context, true, 72)
        );
        assert_eq!(
            (t.offset, t.contents_offset, t.contents.len()),
            (10, 14, 128)
        );
    }

    #[test]
    fn refuses_indefinite_lengths_and_claims_beyond_the_message() {
        assert_eq!(
            Ber::new(&[0x30, 0x80, 0x00, 0x00], 0).next("seq"),
            Err(BerError::Length {
                field: "seq",
                offset: 0,
                form: 0x80
            })
        );
        assert_eq!(
            Ber::new(&[0x04, 0x05, 0x61], 3)
                .next("octets")
                .map_err(|e| (e.code(), e.offset())),
            Err(("ber_truncated", 3))
        );
        assert_eq!(
            Ber::new(&[0x1f, 0x81, 0x81, 0x81, 0x81, 0x01, 0x00], 0)
                .next("tag")
                .map_err(|e| e.code()),
            Err("ber_bad_tag")
        );
    }

    #[test]
    fn names_the_tag_it_expected() {
        let err = Ber::new(&[0xa1, 0x00], 0)
            .context(0, "confirmed request")
            .expect_err("a [1]");
        assert_eq!(
            err.to_string(),
            "confirmed request at offset 0 has tag [1], expected [0]"
        );
    }

    #[test]
    fn reads_integers_bits_and_object_identifiers() {
        let t = Ber::new(&[0x02, 0x02, 0xff, 0x38], 0)
            .next("int")
            .expect("reads");
        assert_eq!((t.signed(), t.unsigned()), (Some(-200), Some(0xff38)));
        let b = Ber::new(&[0x03, 0x02, 0x05, 0xe1], 0)
            .next("bits")
            .expect("reads");
        assert_eq!(b.bits(), Some((&[0xe1][..], 5)));
        let mut s = String::new();
        assert!(write_oid(&[0x28, 0xca, 0x22, 0x02, 0x03], &mut s));
        assert_eq!(s, "1.0.9506.2.3");
        assert!(!write_oid(&[0x28, 0xca], &mut s));
        assert_eq!(s, "1.0.9506.2.3", "a malformed OID leaves the buffer alone");
    }
}
