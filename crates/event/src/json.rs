//! A compact JSON writer for the records every output carries, byte for byte what
//! `serde_json` writes for the same values.
//!
//! Hand-written rather than serde because of where `analyze --out` spent its time: serde_json
//! checks each byte of each string through its escape table and hands every key, every value
//! and every piece of a formatted value to its formatter separately, and the event records
//! (a dozen keys and values each, a few million per capture) were a third of the run. Here a
//! string is checked eight bytes at a time and written with one copy when, as nearly always,
//! nothing in it needs escaping. Tests compare the output with serde_json's for every kind of
//! value.

use std::io::Write as _;
use std::net::IpAddr;

use crate::{Fields, Mac, Timestamp, Value, hex_pair, split_texts};

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// True when one of the eight bytes of `word` is a control character, `"` or `\`: the bytes
/// JSON escapes. Exact for the word as a whole (a borrow can only spill past a byte that
/// matches).
fn word_needs_escape(word: u64) -> bool {
    let zero_byte = |w: u64| w.wrapping_sub(ONES) & !w & HIGHS;
    let below_space = word.wrapping_sub(ONES * 0x20) & !word & HIGHS;
    (below_space
        | zero_byte(word ^ (ONES * u64::from(b'"')))
        | zero_byte(word ^ (ONES * u64::from(b'\\'))))
        != 0
}

fn byte_needs_escape(byte: u8) -> bool {
    byte < 0x20 || byte == b'"' || byte == b'\\'
}

/// Write the escape sequence of `byte`, one that [`byte_needs_escape`].
fn escape(out: &mut Vec<u8>, byte: u8) {
    let short = match byte {
        b'"' => b'"',
        b'\\' => b'\\',
        0x08 => b'b',
        0x09 => b't',
        0x0a => b'n',
        0x0c => b'f',
        0x0d => b'r',
        _ => {
            out.extend_from_slice(b"\\u00");
            out.extend_from_slice(&hex_pair(byte));
            return;
        }
    };
    out.extend_from_slice(&[b'\\', short]);
}

/// Write the contents of a JSON string (no quotes) for `text`: eight bytes checked at a
/// time (the last eight overlapping the word before), and only a word that holds a byte to
/// escape looked at byte by byte.
#[inline]
fn string_contents(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    if bytes.len() < 8 {
        if bytes.iter().any(|&b| byte_needs_escape(b)) {
            let start = escape_chunk(out, bytes, 0, 0);
            out.extend_from_slice(&bytes[start..]);
        } else {
            out.extend_from_slice(bytes);
        }
        return;
    }
    let mut start = 0;
    let last = bytes.len() - 8;
    let mut at = 0;
    loop {
        let at_word = at.min(last);
        let word = bytes
            .get(at_word..at_word + 8)
            .and_then(|w| w.try_into().ok())
            .map_or(0, u64::from_le_bytes);
        if word_needs_escape(word) {
            start = escape_chunk(out, bytes, at_word.max(start), start);
        }
        if at_word == last {
            break;
        }
        at += 8;
    }
    out.extend_from_slice(&bytes[start..]);
}

/// Escape what needs it among the (up to) eight bytes at `at`, writing the run since `start`
/// before each; the new start.
#[cold]
fn escape_chunk(out: &mut Vec<u8>, bytes: &[u8], at: usize, mut start: usize) -> usize {
    let end = (at + 8).min(bytes.len());
    for (i, &byte) in bytes.iter().enumerate().take(end).skip(at) {
        if byte_needs_escape(byte) {
            out.extend_from_slice(&bytes[start..i]);
            escape(out, byte);
            start = i + 1;
        }
    }
    start
}

/// Write `text` as a JSON string.
pub fn string(out: &mut Vec<u8>, text: &str) {
    out.reserve(text.len() + 2);
    out.push(b'"');
    string_contents(out, text);
    out.push(b'"');
}

/// Write the pieces as one JSON string (`"modbus.transaction"` from three).
pub fn joined(out: &mut Vec<u8>, pieces: &[&str]) {
    out.push(b'"');
    for piece in pieces {
        string_contents(out, piece);
    }
    out.push(b'"');
}

/// Write an unsigned number.
pub fn number(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// Write a timestamp as its RFC 3339 string.
pub fn timestamp(out: &mut Vec<u8>, time: Timestamp) {
    out.push(b'"');
    out.extend_from_slice(&time.rfc3339());
    out.push(b'"');
}

/// Write a MAC address as its string.
pub fn mac(out: &mut Vec<u8>, mac: Mac) {
    out.push(b'"');
    out.extend_from_slice(&mac.text());
    out.push(b'"');
}

/// Write an IP address as its string.
pub fn ip(out: &mut Vec<u8>, ip: IpAddr) {
    out.push(b'"');
    match ip {
        IpAddr::V4(v4) => {
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    out.push(b'.');
                }
                out.extend_from_slice(itoa::Buffer::new().format(octet).as_bytes());
            }
        }
        IpAddr::V6(v6) => {
            let _ = write!(out, "{v6}");
        }
    }
    out.push(b'"');
}

/// Write bytes as a string of lowercase hex.
fn hex(out: &mut Vec<u8>, bytes: &[u8]) {
    out.reserve(2 * bytes.len() + 2);
    out.push(b'"');
    for &byte in bytes {
        out.extend_from_slice(&hex_pair(byte));
    }
    out.push(b'"');
}

/// Write a list, each item with `item`.
fn list<T>(
    out: &mut Vec<u8>,
    items: impl IntoIterator<Item = T>,
    mut item: impl FnMut(&mut Vec<u8>, T),
) {
    out.push(b'[');
    for (i, x) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        item(out, x);
    }
    out.push(b']');
}

/// Write a value.
pub fn value(out: &mut Vec<u8>, v: &Value<'_>) {
    match *v {
        Value::Str(s) => string(out, s),
        Value::Bytes(b) => hex(out, b),
        Value::U64(n) => number(out, n),
        Value::I64(n) => out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes()),
        // serde_json's own rendering of a float (shortest round trip, `null` when not finite).
        Value::F64(x) => {
            let _ = serde_json::to_writer(&mut *out, &x);
        }
        Value::Bool(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
        Value::Ip(a) => ip(out, a),
        Value::Mac(m) => mac(out, m),
        Value::List(items) => list(out, items, value),
        Value::Strs(items) => list(out, items, |out, s| string(out, s)),
        Value::U64s(items) => list(out, items, |out, &n| number(out, n)),
        Value::U16s(items) => list(out, items, |out, &n| number(out, n.into())),
        Value::Texts { text, ends } => list(out, split_texts(text, ends), string),
        Value::Fields(fields) => {
            let mut o = Object::new(out);
            o.fields(fields);
            o.end();
        }
    }
}

/// The text `write` produces: what a record's `to_json` returns.
pub fn text(write: impl FnOnce(&mut Vec<u8>)) -> String {
    let mut out = Vec::new();
    write(&mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// A JSON object being written: keys and values in the order given.
pub struct Object<'o> {
    out: &'o mut Vec<u8>,
    empty: bool,
}

impl<'o> Object<'o> {
    /// Open an object.
    pub fn new(out: &'o mut Vec<u8>) -> Object<'o> {
        out.push(b'{');
        Object { out, empty: true }
    }

    /// Write `key` and leave the writer where its value goes.
    pub fn key(&mut self, key: &str) -> &mut Vec<u8> {
        if !self.empty {
            self.out.push(b',');
        }
        self.empty = false;
        string(self.out, key);
        self.out.push(b':');
        self.out
    }

    /// A string member.
    pub fn str(&mut self, key: &str, text: &str) {
        string(self.key(key), text);
    }

    /// A number member.
    pub fn number(&mut self, key: &str, n: u64) {
        number(self.key(key), n);
    }

    /// A value member.
    pub fn value(&mut self, key: &str, v: &Value<'_>) {
        value(self.key(key), v);
    }

    /// A member for each field.
    pub fn fields(&mut self, fields: Fields<'_>) {
        for (name, v) in fields.0 {
            self.value(name, v);
        }
    }

    /// Close the object.
    pub fn end(self) {
        self.out.push(b'}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape_as_serde_json_does() {
        let mut samples: Vec<String> = (0u8..=0x7f)
            .map(|b| format!("ab{}cdefghij", char::from(b)))
            .collect();
        samples.extend(
            [
                "",
                "plain",
                "exactly8",
                "\"quoted\" and \\back\\slashed\\",
                "tab\there\nline\r\u{0}\u{1f}\u{7f}",
                "ünïcödé ✓ 𝄞 and more text after the multibyte part",
                "0123456789abcdef0123456789abcdef\"",
            ]
            .map(String::from),
        );
        for s in &samples {
            let expected = serde_json::to_string(s).expect("serialises");
            assert_eq!(text(|o| string(o, s)), expected, "{s:?}");
        }
        assert_eq!(text(|o| joined(o, &["a\"b", ".", "c"])), r#""a\"b.c""#);
    }

    #[test]
    fn escapes_are_found_at_every_position_of_every_length() {
        for len in 0..=25 {
            for first in 0..len {
                for second in [None, Some(len - 1), Some((first + 9) % len)] {
                    let mut chars: Vec<char> = (0..len)
                        .map(|i| char::from(b'a' + (i % 26) as u8))
                        .collect();
                    chars[first] = '"';
                    if let Some(j) = second {
                        chars[j] = '\n';
                    }
                    let s: String = chars.into_iter().collect();
                    let expected = serde_json::to_string(&s).expect("serialises");
                    assert_eq!(text(|o| string(o, &s)), expected, "{s:?}");
                }
            }
        }
    }

    proptest::proptest! {
        /// Any text a packet can put in a record, escaped as serde_json escapes it.
        #[test]
        fn any_string_writes_as_serde_json_writes_it(s in ".*", bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let lossy = String::from_utf8_lossy(&bytes).into_owned();
            for input in [&s, &lossy] {
                let expected = serde_json::to_string(input).expect("serialises");
                proptest::prop_assert_eq!(text(|o| string(o, input)), expected);
            }
        }
    }

    #[test]
    fn values_write_as_their_serde_form() {
        let nested = [Value::U64(1), Value::Str("x\"y"), Value::Bool(false)];
        let inner = [
            ("k", Value::Bytes(&[0, 0xab, 0xff])),
            ("n", Value::I64(-42)),
        ];
        let values = [
            Value::Str("text"),
            Value::Bytes(&[]),
            Value::Bytes(&[0xde, 0xad, 0xbe, 0xef]),
            Value::U64(u64::MAX),
            Value::I64(i64::MIN),
            Value::F64(0.1),
            Value::F64(1.0),
            Value::F64(-2.5e-300),
            Value::F64(f64::NAN),
            Value::F64(f64::INFINITY),
            Value::Bool(true),
            Value::Ip(IpAddr::from([192, 168, 0, 254])),
            Value::Ip(IpAddr::from([0, 0, 0, 0])),
            Value::Ip("fe80::1:2".parse().expect("address")),
            Value::Ip("::ffff:10.0.0.1".parse().expect("address")),
            Value::Mac(Mac([0x00, 0x1b, 0x1b, 0xab, 0xcd, 0xef])),
            Value::List(&nested),
            Value::List(&[]),
            Value::Strs(&["a", "b\\"]),
            Value::U64s(&[0, 7, 1 << 40]),
            Value::U16s(&[0x1301, 0xc02f]),
            Value::Texts {
                text: "onetwo\"three",
                ends: &[3, 6, 12],
            },
            Value::Fields(Fields(&inner)),
            Value::Fields(Fields(&[])),
        ];
        for v in &values {
            let expected = serde_json::to_string(v).expect("serialises");
            assert_eq!(text(|o| value(o, v)), expected, "{v:?}");
        }
    }

    #[test]
    fn objects_write_members_in_order() {
        let written = text(|out| {
            let mut o = Object::new(out);
            o.str("a", "b");
            o.number("n", 3);
            o.value("v", &Value::Bool(true));
            timestamp(o.key("@timestamp"), Timestamp::from_parts(1, 2_000));
            o.end();
        });
        assert_eq!(
            written,
            r#"{"a":"b","n":3,"v":true,"@timestamp":"1970-01-01T00:00:01.000002Z"}"#
        );
        assert_eq!(text(|out| Object::new(out).end()), "{}");
    }
}
