//! The BACnet tag encoding (ASHRAE 135 clause 20.2), read by hand and boundedly.
//!
//! A tag is one initial octet (tag number in the high nibble, class bit, length/value/type in
//! the low three bits), an optional extended tag number, an optional extended length of one,
//! two or four octets, then its contents. Context tags 6 and 7 in the low bits open and close
//! a constructed value. The reader checks every length against what remains, never allocates,
//! and [`skip_constructed`] stops at [`MAX_DEPTH`] nested openings.

use std::fmt;

use super::message::ObjectId;
use super::parse::BacnetError;

/// Application tag numbers (20.2.1.4).
pub mod app {
    /// Null.
    pub const NULL: u8 = 0;
    /// Boolean: the value is in the length bits.
    pub const BOOLEAN: u8 = 1;
    /// Unsigned Integer.
    pub const UNSIGNED: u8 = 2;
    /// Signed Integer (two's complement).
    pub const SIGNED: u8 = 3;
    /// Real (IEEE 754 single).
    pub const REAL: u8 = 4;
    /// Double (IEEE 754 double).
    pub const DOUBLE: u8 = 5;
    /// Octet String.
    pub const OCTET_STRING: u8 = 6;
    /// Character String: a character set octet, then the characters.
    pub const CHARACTER_STRING: u8 = 7;
    /// Bit String: the number of unused bits in the last octet, then the bits.
    pub const BIT_STRING: u8 = 8;
    /// Enumerated.
    pub const ENUMERATED: u8 = 9;
    /// Date: year − 1900, month, day, day of week.
    pub const DATE: u8 = 10;
    /// Time: hour, minute, second, hundredths.
    pub const TIME: u8 = 11;
    /// BACnetObjectIdentifier.
    pub const OBJECT_ID: u8 = 12;
}

/// Constructed values nested deeper than this are not followed.
pub const MAX_DEPTH: usize = 16;

/// Whether a tag is an application or a context tag (20.2.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Application tag: the number says the datatype.
    Application,
    /// Context-specific tag: the number says the parameter.
    Context,
}

/// What a tag holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape<'a> {
    /// A primitive value with its contents (for an application Boolean, no contents and the
    /// value in `boolean`).
    Primitive {
        /// The contents.
        contents: &'a [u8],
        /// The length/value/type bits (the value of an application Boolean).
        lvt: u32,
    },
    /// An opening tag of a constructed value.
    Opening,
    /// A closing tag.
    Closing,
}

/// One tag read from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tag<'a> {
    /// The tag number (0–254).
    pub number: u8,
    /// The class.
    pub class: Class,
    /// What it holds.
    pub shape: Shape<'a>,
    /// Offset of the initial octet in the datagram.
    pub offset: usize,
    /// Offset of the contents in the datagram.
    pub contents_offset: usize,
}

impl<'a> Tag<'a> {
    /// Tell whether this is the primitive context tag `n`.
    pub fn is_context(&self, n: u8) -> bool {
        self.class == Class::Context
            && self.number == n
            && matches!(self.shape, Shape::Primitive { .. })
    }

    /// Tell whether this opens context tag `n`.
    pub fn opens(&self, n: u8) -> bool {
        self.class == Class::Context && self.number == n && self.shape == Shape::Opening
    }

    /// Tell whether this closes context tag `n`.
    pub fn closes(&self, n: u8) -> bool {
        self.class == Class::Context && self.number == n && self.shape == Shape::Closing
    }

    /// Return the contents of a primitive tag.
    pub fn contents(&self) -> &'a [u8] {
        match self.shape {
            Shape::Primitive { contents, .. } => contents,
            _ => &[],
        }
    }

    /// Read the contents as an unsigned integer of one to eight octets.
    pub fn unsigned(&self) -> Option<u64> {
        unsigned(self.contents())
    }

    /// Read the contents as an object identifier.
    pub fn object_id(&self) -> Option<ObjectId> {
        match self.contents() {
            &[a, b, c, d] => Some(ObjectId::from_u32(u32::from_be_bytes([a, b, c, d]))),
            _ => None,
        }
    }

    /// Return the application value of an application tag.
    pub fn value(&self) -> Value<'a> {
        let Shape::Primitive { contents, lvt } = self.shape else {
            return Value::Other(self.number, &[]);
        };
        if self.class == Class::Context {
            return Value::Other(self.number, contents);
        }
        let decoded = match self.number {
            app::NULL => Some(Value::Null),
            app::BOOLEAN => Some(Value::Boolean(lvt != 0)),
            app::UNSIGNED => unsigned(contents).map(Value::Unsigned),
            app::SIGNED => signed(contents).map(Value::Signed),
            app::REAL => match contents {
                &[a, b, c, d] => Some(Value::Real(f32::from_be_bytes([a, b, c, d]))),
                _ => None,
            },
            app::DOUBLE => contents
                .try_into()
                .ok()
                .map(|b: [u8; 8]| Value::Double(f64::from_be_bytes(b))),
            app::OCTET_STRING => Some(Value::Octets(contents)),
            app::CHARACTER_STRING => contents
                .split_first()
                .map(|(&charset, text)| Value::Characters { charset, text }),
            app::BIT_STRING => contents
                .split_first()
                .map(|(&unused, bits)| Value::Bits { unused, bits }),
            app::ENUMERATED => unsigned(contents).map(Value::Enumerated),
            app::DATE => match contents {
                &[y, m, d, w] => Some(Value::Date([y, m, d, w])),
                _ => None,
            },
            app::TIME => match contents {
                &[h, m, s, c] => Some(Value::Time([h, m, s, c])),
                _ => None,
            },
            app::OBJECT_ID => self.object_id().map(Value::Object),
            _ => None,
        };
        decoded.unwrap_or(Value::Other(self.number, contents))
    }
}

/// A decoded application-tagged value (20.2.2–20.2.14).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// Null.
    Null,
    /// Boolean.
    Boolean(bool),
    /// Unsigned Integer.
    Unsigned(u64),
    /// Signed Integer.
    Signed(i64),
    /// Real.
    Real(f32),
    /// Double.
    Double(f64),
    /// Octet String.
    Octets(&'a [u8]),
    /// Character String with its character set (0 UTF-8, 3 UCS-4, 4 UCS-2, 5 ISO 8859-1).
    Characters {
        /// The character set.
        charset: u8,
        /// The encoded characters.
        text: &'a [u8],
    },
    /// Bit String.
    Bits {
        /// Unused bits in the last octet.
        unused: u8,
        /// The bits, first bit in the high bit of the first octet.
        bits: &'a [u8],
    },
    /// Enumerated.
    Enumerated(u64),
    /// Date: year − 1900, month, day, day of week; 255 is "unspecified".
    Date([u8; 4]),
    /// Time: hour, minute, second, hundredths; 255 is "unspecified".
    Time([u8; 4]),
    /// Object identifier.
    Object(ObjectId),
    /// A context tag, or an application tag whose contents do not fit its type.
    Other(u8, &'a [u8]),
}

/// Decode an unsigned big-endian integer of one to eight octets.
pub fn unsigned(bytes: &[u8]) -> Option<u64> {
    if bytes.is_empty() || bytes.len() > 8 {
        return None;
    }
    Some(bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
}

/// Decode a two's-complement big-endian integer of one to eight octets.
pub fn signed(bytes: &[u8]) -> Option<i64> {
    if bytes.is_empty() || bytes.len() > 8 {
        return None;
    }
    let init: i64 = if bytes[0] & 0x80 != 0 { -1 } else { 0 };
    Some(bytes.iter().fold(init, |acc, &b| (acc << 8) | i64::from(b)))
}

/// A cursor over the tags of a service's parameters.
#[derive(Debug, Clone)]
pub struct Tags<'a> {
    data: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Tags<'a> {
    /// Read `data`, which starts at offset `base` of the APDU.
    pub fn new(data: &'a [u8], base: usize) -> Tags<'a> {
        Tags { data, pos: 0, base }
    }

    /// Tell whether all tags have been read.
    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// Return the APDU offset of the next tag.
    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// Return how many bytes remain.
    pub fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    fn truncated(&self, field: &'static str, at: usize, needed: usize) -> BacnetError {
        BacnetError::Truncated {
            field,
            offset: self.base + at,
            needed,
            available: self.data.len().saturating_sub(at),
        }
    }

    /// Look at the next tag without consuming it.
    pub fn peek(&self) -> Result<Option<Tag<'a>>, BacnetError> {
        self.clone().next_tag()
    }

    /// Read the next tag, or `None` at the end.
    pub fn next_tag(&mut self) -> Result<Option<Tag<'a>>, BacnetError> {
        let start = self.pos;
        let Some(&initial) = self.data.get(start) else {
            return Ok(None);
        };
        let mut at = start + 1;
        let mut number = initial >> 4;
        let class = if initial & 0x08 != 0 {
            Class::Context
        } else {
            Class::Application
        };
        let lvt = initial & 0x07;
        if number == 0x0f {
            number = *self
                .data
                .get(at)
                .ok_or_else(|| self.truncated("extended tag number", at, 1))?;
            at += 1;
            if number == 0xff {
                return Err(BacnetError::BadTag {
                    offset: self.base + start,
                    reason: "extended tag number 255 is reserved",
                });
            }
        }
        if class == Class::Context && (lvt == 6 || lvt == 7) {
            self.pos = at;
            let shape = if lvt == 6 {
                Shape::Opening
            } else {
                Shape::Closing
            };
            return Ok(Some(Tag {
                number,
                class,
                shape,
                offset: self.base + start,
                contents_offset: self.base + at,
            }));
        }
        if class == Class::Application && number == app::BOOLEAN {
            if lvt > 1 {
                return Err(BacnetError::BadTag {
                    offset: self.base + start,
                    reason: "application Boolean with a value other than 0 or 1",
                });
            }
            self.pos = at;
            return Ok(Some(Tag {
                number,
                class,
                shape: Shape::Primitive {
                    contents: &[],
                    lvt: u32::from(lvt),
                },
                offset: self.base + start,
                contents_offset: self.base + at,
            }));
        }
        if class == Class::Application && lvt > 5 {
            return Err(BacnetError::BadTag {
                offset: self.base + start,
                reason: "application tag with opening or closing length bits",
            });
        }
        let len = if lvt < 5 {
            usize::from(lvt)
        } else {
            let first = *self
                .data
                .get(at)
                .ok_or_else(|| self.truncated("extended length", at, 1))?;
            at += 1;
            let width = match first {
                254 => 2,
                255 => 4,
                n => {
                    let len = usize::from(n);
                    return self.finish(start, at, len, number, class, 5);
                }
            };
            let bytes = self
                .data
                .get(at..at + width)
                .ok_or_else(|| self.truncated("extended length", at, width))?;
            at += width;
            bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
        };
        self.finish(start, at, len, number, class, lvt)
    }

    fn finish(
        &mut self,
        start: usize,
        at: usize,
        len: usize,
        number: u8,
        class: Class,
        lvt: u8,
    ) -> Result<Option<Tag<'a>>, BacnetError> {
        let contents = self
            .data
            .get(at..)
            .and_then(|rest| rest.get(..len))
            .ok_or_else(|| self.truncated("tagged value", at, len))?;
        self.pos = at + len;
        Ok(Some(Tag {
            number,
            class,
            shape: Shape::Primitive {
                contents,
                lvt: u32::from(lvt),
            },
            offset: self.base + start,
            contents_offset: self.base + at,
        }))
    }

    /// Read the next tag, failing at the end with `field` named.
    pub fn expect(&mut self, field: &'static str) -> Result<Tag<'a>, BacnetError> {
        let at = self.pos;
        self.next_tag()?.ok_or_else(|| self.truncated(field, at, 1))
    }

    /// Consume the opening tag `n` if it comes next; tell whether it did.
    pub fn open(&mut self, n: u8) -> Result<bool, BacnetError> {
        match self.peek()? {
            Some(t) if t.opens(n) => self.next_tag().map(|_| true),
            _ => Ok(false),
        }
    }

    /// Skip what follows an opening tag `n` up to and including its closing tag, following
    /// nested constructed values up to [`MAX_DEPTH`] deep.
    pub fn skip_constructed(&mut self, n: u8) -> Result<(), BacnetError> {
        let mut depth = 1usize;
        loop {
            let tag = self.expect("closing tag")?;
            match tag.shape {
                Shape::Opening => {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Err(BacnetError::TooDeep {
                            offset: tag.offset,
                            depth: MAX_DEPTH,
                        });
                    }
                }
                Shape::Closing => {
                    depth -= 1;
                    if depth == 0 {
                        if tag.number != n {
                            return Err(BacnetError::Unbalanced {
                                offset: tag.offset,
                                opened: n,
                                closed: tag.number,
                            });
                        }
                        return Ok(());
                    }
                }
                Shape::Primitive { .. } => {}
            }
        }
    }
}

/// Text is cut at this many bytes.
pub const MAX_TEXT: usize = 256;

/// A `fmt::Write` that appends to a `String` up to [`MAX_TEXT`] bytes and then drops the rest,
/// saying so once with `…`.
pub struct Bounded<'a> {
    out: &'a mut String,
    limit: usize,
}

impl<'a> Bounded<'a> {
    /// Append to `out`, allowing it to grow by at most [`MAX_TEXT`] bytes.
    pub fn new(out: &'a mut String) -> Bounded<'a> {
        let limit = out.len() + MAX_TEXT;
        Bounded { out, limit }
    }
}

impl fmt::Write for Bounded<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.out.len() >= self.limit {
            return Ok(());
        }
        let room = self.limit - self.out.len();
        if s.len() <= room {
            self.out.push_str(s);
        } else {
            let mut cut = room.saturating_sub('…'.len_utf8());
            while !s.is_char_boundary(cut) {
                cut -= 1;
            }
            self.out.push_str(&s[..cut]);
            self.out.push('…');
            // Fill the budget so nothing more is appended.
            self.limit = self.out.len();
        }
        Ok(())
    }
}

/// Write a character string's text in its character set (20.2.9): UTF-8 (lossily), UCS-2
/// and UCS-4 (big-endian), ISO 8859-1; other sets as hex. Trailing NULs are dropped.
pub fn write_characters(charset: u8, text: &[u8], w: &mut dyn fmt::Write) -> fmt::Result {
    let text = match text.iter().rposition(|&b| b != 0) {
        Some(end) => &text[..=end],
        None => &[],
    };
    match charset {
        0 => {
            for chunk in text.utf8_chunks() {
                w.write_str(chunk.valid())?;
                if !chunk.invalid().is_empty() {
                    w.write_char(char::REPLACEMENT_CHARACTER)?;
                }
            }
            Ok(())
        }
        4 => char::decode_utf16(
            text.chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]])),
        )
        .try_for_each(|c| w.write_char(c.unwrap_or(char::REPLACEMENT_CHARACTER))),
        3 => text.chunks_exact(4).try_for_each(|c| {
            let code = u32::from_be_bytes([c[0], c[1], c[2], c[3]]);
            w.write_char(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER))
        }),
        5 => text.iter().try_for_each(|&b| w.write_char(char::from(b))),
        _ => text.iter().try_for_each(|b| write!(w, "{b:02x}")),
    }
}

/// Write an application value as text for a record.
pub fn write_value(value: &Value<'_>, w: &mut dyn fmt::Write) -> fmt::Result {
    match *value {
        Value::Null => w.write_str("null"),
        Value::Boolean(b) => write!(w, "{b}"),
        Value::Unsigned(n) | Value::Enumerated(n) => write!(w, "{n}"),
        Value::Signed(n) => write!(w, "{n}"),
        Value::Real(x) => write!(w, "{x}"),
        Value::Double(x) => write!(w, "{x}"),
        Value::Octets(b) => b.iter().try_for_each(|b| write!(w, "{b:02x}")),
        Value::Characters { charset, text } => write_characters(charset, text, w),
        Value::Bits { unused, bits } => {
            let total = (bits.len() * 8).saturating_sub(usize::from(unused.min(7)));
            (0..total).try_for_each(|i| {
                let set = bits.get(i / 8).is_some_and(|b| b & (0x80 >> (i % 8)) != 0);
                w.write_char(if set { '1' } else { '0' })
            })
        }
        Value::Date([y, m, d, _]) => {
            let part = |v: u8, w: &mut dyn fmt::Write, width: usize| match v {
                255 => w.write_char('*'),
                v => write!(w, "{v:0width$}"),
            };
            match y {
                255 => w.write_char('*')?,
                y => write!(w, "{}", 1900 + u32::from(y))?,
            }
            w.write_char('-')?;
            part(m, w, 2)?;
            w.write_char('-')?;
            part(d, w, 2)
        }
        Value::Time([h, m, s, c]) => {
            for (i, v) in [h, m, s].into_iter().enumerate() {
                if i > 0 {
                    w.write_char(':')?;
                }
                match v {
                    255 => w.write_char('*')?,
                    v => write!(w, "{v:02}")?,
                }
            }
            match c {
                255 => Ok(()),
                c => write!(w, ".{c:02}"),
            }
        }
        Value::Object(id) => write_object(id, w),
        Value::Other(n, bytes) => {
            write!(w, "[{n}]")?;
            bytes.iter().try_for_each(|b| write!(w, "{b:02x}"))
        }
    }
}

/// Write an object identifier as `type:instance` (`analog_input:3`).
pub fn write_object(id: ObjectId, w: &mut dyn fmt::Write) -> fmt::Result {
    match super::message::object_type_name(id.object_type) {
        Some(name) if name != "proprietary" => write!(w, "{name}:{}", id.instance),
        _ => write!(w, "{}:{}", id.object_type, id.instance),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    fn one(bytes: &[u8]) -> Result<Option<Tag<'_>>, BacnetError> {
        Tags::new(bytes, 0).next_tag()
    }

    #[test]
    fn reads_application_and_context_tags() {
        // 20.2.4: Unsigned 72 is 0x21 0x48.
        let t = one(&[0x21, 0x48]).expect("valid").expect("a tag");
        assert_eq!((t.number, t.class), (2, Class::Application));
        assert_eq!(t.value(), Value::Unsigned(72));
        // 20.2.3: application Boolean TRUE is 0x11, no contents.
        assert_eq!(
            one(&[0x11]).expect("valid").expect("tag").value(),
            Value::Boolean(true)
        );
        // 20.2.1.3.2: context tag 3 opening and closing.
        assert_eq!(
            one(&[0x3e]).expect("valid").expect("tag").shape,
            Shape::Opening
        );
        assert_eq!(
            one(&[0x3f]).expect("valid").expect("tag").shape,
            Shape::Closing
        );
        // 20.2.14: object identifier analog-input 3.
        let t = one(&[0xc4, 0x00, 0x00, 0x00, 0x03])
            .expect("valid")
            .expect("tag");
        assert_eq!(
            t.value(),
            Value::Object(ObjectId {
                object_type: 0,
                instance: 3
            })
        );
    }

    #[test]
    fn reads_extended_numbers_and_lengths() {
        // Extended tag number 0x20 with a 1-byte length (context tag 32, 20.2.1.2).
        let t = one(&[0xf9, 0x20, 0x07]).expect("valid").expect("tag");
        assert_eq!(
            (t.number, t.class, t.contents()),
            (32, Class::Context, &[7u8][..])
        );
        // Extended length 254: two-byte length 0x0006 (20.2.1.3.1).
        let t = one(&[0x75, 0xfe, 0x00, 0x06, 0x00, b'h', b'e', b'l', b'l', b'o'])
            .expect("valid")
            .expect("tag");
        assert_eq!(
            t.value(),
            Value::Characters {
                charset: 0,
                text: b"hello"
            }
        );
    }

    #[test]
    fn refuses_lengths_past_the_end_and_reserved_forms() {
        let err = one(&[0x75, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00]).expect_err("4 GiB claimed");
        assert!(matches!(
            err,
            BacnetError::Truncated {
                field: "tagged value",
                ..
            }
        ));
        assert!(matches!(one(&[0x16]), Err(BacnetError::BadTag { .. })));
        assert!(matches!(one(&[0x26]), Err(BacnetError::BadTag { .. })));
        assert!(matches!(
            one(&[0xfc, 0xff]),
            Err(BacnetError::BadTag { .. })
        ));
        assert_eq!(one(&[]).expect("empty is the end"), None);
    }

    #[test]
    fn skips_nested_constructions_up_to_the_depth_cap() {
        // {[3] {[0] Real 100.0 }[0] }[3], already past the first opening tag.
        let mut tags = Tags::new(
            &[0x0e, 0x44, 0x42, 0xc8, 0x00, 0x00, 0x0f, 0x3f, 0x21, 0x01],
            0,
        );
        tags.skip_constructed(3).expect("balanced");
        assert_eq!(tags.remaining(), 2);
        let deep = [0x0e; 40];
        let err = Tags::new(&deep, 0)
            .skip_constructed(0)
            .expect_err("too deep");
        assert!(matches!(err, BacnetError::TooDeep { .. }));
        let err = Tags::new(&[0x1f], 0)
            .skip_constructed(0)
            .expect_err("wrong closing tag");
        assert!(matches!(
            err,
            BacnetError::Unbalanced {
                opened: 0,
                closed: 1,
                ..
            }
        ));
    }

    #[test]
    fn renders_values_for_records() {
        let mut s = String::new();
        let date = Value::Date([124, 3, 9, 6]);
        write_value(&date, &mut s).expect("writes");
        s.push(' ');
        write_value(&Value::Time([13, 5, 0, 255]), &mut s).expect("writes");
        s.push(' ');
        write_value(
            &Value::Bits {
                unused: 4,
                bits: &[0b1010_0000],
            },
            &mut s,
        )
        .expect("writes");
        s.push(' ');
        write_value(
            &Value::Characters {
                charset: 4,
                text: &[0, b'O', 0, b'K'],
            },
            &mut s,
        )
        .expect("writes");
        assert_eq!(s, "2024-03-09 13:05:00 1010 OK");
        let mut long = String::new();
        let _ = Bounded::new(&mut long).write_str(&"x".repeat(1000));
        assert_eq!(long.chars().count(), MAX_TEXT - 2);
        assert!(long.ends_with('…'));
    }
}
