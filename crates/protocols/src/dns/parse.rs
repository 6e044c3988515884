//! Pure parsing of the DNS wire format (RFC 1035 §4), shared by DNS, mDNS and NBNS.
//!
//! Names are walked label by label through a visitor, so a caller decides what a label
//! becomes (dotted text for DNS, a decoded NetBIOS name for NBNS) and nothing is allocated
//! per name. Compression is bounded three ways: every pointer must jump strictly before the
//! start of the labels it interrupts (so a walk always ends), at most [`MAX_POINTER_HOPS`]
//! pointers are followed, and a name may not exceed [`MAX_NAME_LEN`] bytes. A broken name
//! whose in-line end is known does not stop the message: the error says where to resume.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use rampart_dissect::{Reader, Truncated};

use super::message::{HEADER_LEN, Header, opcode_assigned, type_name};

/// The longest name in wire format, length octets included (RFC 1035 §2.3.4).
pub const MAX_NAME_LEN: usize = 255;

/// The most compression pointers one name may follow.
pub const MAX_POINTER_HOPS: usize = 32;

/// How the root name (no labels) is written, as tshark writes it.
pub const ROOT: &str = "<Root>";

/// Record type of the EDNS(0) pseudo-record (RFC 6891 §6.1.1).
pub const TYPE_OPT: u16 = 41;

/// What is wrong with a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameErrorKind {
    /// A label or pointer runs past the end of the message.
    #[error("runs past the end of the message")]
    Truncated,
    /// A pointer does not jump strictly before the labels it interrupts.
    #[error("compression pointer to offset {target} does not point back before offset {limit}")]
    BadPointer {
        /// Where the pointer points.
        target: usize,
        /// The offset it had to stay below.
        limit: usize,
    },
    /// More than [`MAX_POINTER_HOPS`] pointers.
    #[error("more than {MAX_POINTER_HOPS} compression pointers")]
    TooManyHops,
    /// More than [`MAX_NAME_LEN`] bytes.
    #[error("longer than {MAX_NAME_LEN} bytes")]
    TooLong,
    /// A label type other than plain (00) or pointer (11) (RFC 6891 §5 retired the others).
    #[error("reserved label type 0x{0:02x}")]
    BadLabelType(u8),
}

/// A name that could not be read in full, located.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("name at offset {start} {kind} (at offset {offset})")]
pub struct NameError {
    /// What went wrong.
    pub kind: NameErrorKind,
    /// Where the name starts.
    pub start: usize,
    /// Where the offending byte is.
    pub offset: usize,
    /// Where the name ends in line, when that is still known: parsing can go on there.
    pub resume: Option<usize>,
}

impl NameError {
    /// Return the anomaly code for this error.
    pub fn code(&self) -> &'static str {
        match self.kind {
            NameErrorKind::Truncated => "truncated",
            NameErrorKind::BadPointer { .. } => "bad_compression_pointer",
            NameErrorKind::TooManyHops => "compression_loop",
            NameErrorKind::TooLong => "name_too_long",
            NameErrorKind::BadLabelType(_) => "bad_label_type",
        }
    }
}

/// Walk the name starting at `start` in `msg`, handing each label to `visit`; return the
/// offset just past the name as it sits in line (after its first pointer, if any).
pub fn walk_name(
    msg: &[u8],
    start: usize,
    mut visit: impl FnMut(&[u8]),
) -> Result<usize, NameError> {
    let mut pos = start;
    let mut segment_start = start;
    let mut resume: Option<usize> = None;
    let mut hops = 0;
    let mut wire_len = 1;
    loop {
        let fail = |kind, offset, resume| NameError {
            kind,
            start,
            offset,
            resume,
        };
        let Some(&len) = msg.get(pos) else {
            return Err(fail(NameErrorKind::Truncated, pos, resume));
        };
        match len & 0xc0 {
            0x00 if len == 0 => return Ok(resume.unwrap_or(pos + 1)),
            0x00 => {
                let len = usize::from(len);
                let Some(label) = msg.get(pos + 1..pos + 1 + len) else {
                    return Err(fail(NameErrorKind::Truncated, pos, resume));
                };
                wire_len += 1 + len;
                if wire_len > MAX_NAME_LEN {
                    let resume = resume.or_else(|| skip_inline(msg, pos));
                    return Err(fail(NameErrorKind::TooLong, pos, resume));
                }
                visit(label);
                pos += 1 + len;
            }
            0xc0 => {
                let Some(&low) = msg.get(pos + 1) else {
                    return Err(fail(NameErrorKind::Truncated, pos, resume));
                };
                let resume = *resume.get_or_insert(pos + 2);
                let target = usize::from(len & 0x3f) << 8 | usize::from(low);
                if target >= segment_start {
                    let kind = NameErrorKind::BadPointer {
                        target,
                        limit: segment_start,
                    };
                    return Err(fail(kind, pos, Some(resume)));
                }
                hops += 1;
                if hops > MAX_POINTER_HOPS {
                    return Err(fail(NameErrorKind::TooManyHops, pos, Some(resume)));
                }
                pos = target;
                segment_start = target;
            }
            _ => return Err(fail(NameErrorKind::BadLabelType(len), pos, resume)),
        }
    }
}

/// Find where the in-line labels starting at `pos` end, without decoding them.
fn skip_inline(msg: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        let len = *msg.get(pos)?;
        match len & 0xc0 {
            0x00 if len == 0 => return Some(pos + 1),
            0x00 => pos += 1 + usize::from(len),
            0xc0 => return (pos + 2 <= msg.len()).then_some(pos + 2),
            _ => return None,
        }
    }
}

/// Append one label to `out` as presentation text: UTF-8 kept (mDNS instance names use it),
/// dots and backslashes escaped, other bytes as `\DDD` (RFC 4343 §2.1).
pub fn push_label(out: &mut String, label: &[u8]) {
    match std::str::from_utf8(label) {
        Ok(s) if !s.chars().any(char::is_control) => {
            for c in s.chars() {
                if c == '.' || c == '\\' {
                    out.push('\\');
                }
                out.push(c);
            }
        }
        _ => {
            for &b in label {
                match b {
                    b'.' | b'\\' => {
                        out.push('\\');
                        out.push(char::from(b));
                    }
                    0x21..=0x7e => out.push(char::from(b)),
                    _ => {
                        let _ = write!(out, "\\{b:03}");
                    }
                }
            }
        }
    }
}

/// Append the name at `start` to `out` as dotted text ([`ROOT`] for the root); on error, `out`
/// keeps the labels read before it.
pub fn read_name(msg: &[u8], start: usize, out: &mut String) -> Result<usize, NameError> {
    let begin = out.len();
    let end = walk_name(msg, start, |label| {
        if out.len() > begin {
            out.push('.');
        }
        push_label(out, label);
    })?;
    if out.len() == begin {
        out.push_str(ROOT);
    }
    Ok(end)
}

/// Why a message could not be read further.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// A fixed field or the rdata runs past the end.
    #[error(transparent)]
    Truncated(#[from] Truncated),
    /// A name is broken and its end is unknown.
    #[error(transparent)]
    Name(#[from] NameError),
}

impl ParseError {
    /// Return the anomaly code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            ParseError::Truncated(_) => "truncated",
            ParseError::Name(e) => e.code(),
        }
    }

    /// Return the offset of the offending byte.
    pub fn offset(&self) -> usize {
        match self {
            ParseError::Truncated(e) => e.offset,
            ParseError::Name(e) => e.offset,
        }
    }
}

/// One entry of the question section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Question {
    /// QTYPE.
    pub qtype: u16,
    /// QCLASS (for mDNS its top bit asks for a unicast response).
    pub qclass: u16,
    /// A problem with the name that did not stop parsing.
    pub name_error: Option<NameError>,
}

/// One resource record, its rdata borrowed from the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceRecord<'a> {
    /// TYPE.
    pub rtype: u16,
    /// CLASS (for mDNS its top bit is the cache-flush flag; for OPT, the UDP payload size).
    pub class: u16,
    /// TTL in seconds.
    pub ttl: u32,
    /// The rdata.
    pub rdata: &'a [u8],
    /// Where the rdata starts in the message, for names compressed inside it.
    pub rdata_offset: usize,
    /// A problem with the owner name that did not stop parsing.
    pub name_error: Option<NameError>,
}

/// A cursor over the sections of one message, after its header.
#[derive(Debug, Clone)]
pub struct MessageReader<'a> {
    msg: &'a [u8],
    pos: usize,
}

impl<'a> MessageReader<'a> {
    /// Read the header of `msg` and return a cursor positioned on the question section.
    pub fn new(msg: &'a [u8]) -> Result<(Header, MessageReader<'a>), Truncated> {
        let header = Header::read(&mut Reader::new(msg))?;
        Ok((
            header,
            MessageReader {
                msg,
                pos: HEADER_LEN,
            },
        ))
    }

    /// Return the message being read.
    pub fn message(&self) -> &'a [u8] {
        self.msg
    }

    /// Return the offset of the next entry.
    pub fn offset(&self) -> usize {
        self.pos
    }

    /// Tell whether the whole message has been read.
    pub fn at_end(&self) -> bool {
        self.pos >= self.msg.len()
    }

    /// Read one question, handing the labels of its name to `visit`.
    pub fn question(&mut self, visit: impl FnMut(&[u8])) -> Result<Question, ParseError> {
        let name_error = self.name(visit)?;
        let mut r = self.reader()?;
        let question = Question {
            qtype: r.u16("qtype")?,
            qclass: r.u16("qclass")?,
            name_error,
        };
        self.pos = r.offset();
        Ok(question)
    }

    /// Read one resource record, handing the labels of its owner name to `visit`.
    pub fn record(&mut self, visit: impl FnMut(&[u8])) -> Result<ResourceRecord<'a>, ParseError> {
        let name_error = self.name(visit)?;
        let mut r = self.reader()?;
        let rtype = r.u16("type")?;
        let class = r.u16("class")?;
        let ttl = r.u32("ttl")?;
        let rdlength = r.u16("rdlength")?;
        let rdata_offset = r.offset();
        let rdata = r.bytes("rdata", usize::from(rdlength))?;
        self.pos = r.offset();
        Ok(ResourceRecord {
            rtype,
            class,
            ttl,
            rdata,
            rdata_offset,
            name_error,
        })
    }

    fn name(&mut self, visit: impl FnMut(&[u8])) -> Result<Option<NameError>, ParseError> {
        match walk_name(self.msg, self.pos, visit) {
            Ok(end) => {
                self.pos = end;
                Ok(None)
            }
            Err(e) => match e.resume {
                Some(end) => {
                    self.pos = end;
                    Ok(Some(e))
                }
                None => Err(e.into()),
            },
        }
    }

    fn reader(&self) -> Result<Reader<'a>, Truncated> {
        let mut r = Reader::new(self.msg);
        r.skip("name", self.pos)?;
        Ok(r)
    }
}

/// Tell whether `msg` is a whole, well-formed message: every counted entry present and
/// readable, nothing after the last one. Used to probe and to tell UDP from TCP framing.
pub fn parses_exactly(msg: &[u8]) -> bool {
    let Ok((header, mut reader)) = MessageReader::new(msg) else {
        return false;
    };
    if !plausible_header(&header) {
        return false;
    }
    let records = u32::from(header.ancount) + u32::from(header.nscount) + u32::from(header.arcount);
    for _ in 0..header.qdcount {
        if !matches!(reader.question(|_| ()), Ok(q) if q.name_error.is_none()) {
            return false;
        }
    }
    for _ in 0..records {
        if !matches!(reader.record(|_| ()), Ok(rr) if rr.name_error.is_none()) {
            return false;
        }
    }
    reader.offset() == msg.len()
}

/// Tell whether a header looks like one a real implementation sends: an assigned opcode, Z
/// clear, and a question section no query would leave empty.
pub fn plausible_header(header: &Header) -> bool {
    let f = header.flags;
    opcode_assigned(f.opcode()) && !f.z() && (f.response() || header.qdcount > 0)
}

/// Tell whether `data` starts with a TCP length prefix followed by a plausible header: a
/// length that can hold a header, a query with exactly one question and no rcode, or a
/// response with at most one.
pub fn plausible_stream_start(data: &[u8]) -> bool {
    let Some(&[hi, lo]) = data.get(..2) else {
        return false;
    };
    let Some(body) = data.get(2..) else {
        return false;
    };
    let Ok((header, _)) = MessageReader::new(body) else {
        return false;
    };
    let f = header.flags;
    usize::from(u16::from_be_bytes([hi, lo])) >= HEADER_LEN
        && plausible_header(&header)
        && if f.response() {
            header.qdcount <= 1
        } else {
            header.qdcount == 1 && f.rcode() == 0
        }
}

/// Why rdata could not be rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RdataError {
    /// A fixed-size rdata of the wrong size.
    #[error("{rtype} rdata is {actual} bytes, expected {expected}")]
    BadLength {
        /// The record type.
        rtype: &'static str,
        /// The size the type requires.
        expected: usize,
        /// The rdlength seen.
        actual: usize,
    },
    /// A field runs past the end of the rdata.
    #[error("rdata {0}")]
    Truncated(#[from] Truncated),
    /// A name inside the rdata is broken.
    #[error("rdata {0}")]
    Name(#[from] NameError),
    /// A name inside the rdata runs past the rdata's end.
    #[error("rdata name ends at offset {end}, past the rdata end at {limit}")]
    NameOverrun {
        /// Where the name ends.
        end: usize,
        /// Where the rdata ends.
        limit: usize,
    },
}

impl RdataError {
    /// Return the anomaly code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            RdataError::BadLength { .. } => "bad_rdata_length",
            RdataError::Truncated(_) | RdataError::NameOverrun { .. } => "truncated_rdata",
            RdataError::Name(e) => e.code(),
        }
    }
}

/// Most rdata bytes shown in hex for a type not rendered field by field.
const MAX_HEX_RDATA: usize = 32;

/// Append `TYPE rdata` for `rr` to `out` in presentation format (RFC 1035 §5.1; RFC 3597 §5
/// `\# len hex` for types not rendered field by field). On error `out` holds the `\#` form.
pub fn write_record(
    msg: &[u8],
    rr: &ResourceRecord<'_>,
    out: &mut String,
) -> Result<(), RdataError> {
    write_type(out, rr.rtype);
    out.push(' ');
    let begin = out.len();
    let result = write_rdata(msg, rr, out);
    if result.is_err() || out.len() == begin {
        out.truncate(begin);
        write_opaque(out, rr.rdata);
    }
    result
}

/// Append a type's mnemonic, or `TYPEnnn` (RFC 3597 §5).
pub fn write_type(out: &mut String, rtype: u16) {
    match type_name(rtype) {
        Some(name) => out.push_str(name),
        None => {
            let _ = write!(out, "TYPE{rtype}");
        }
    }
}

fn write_opaque(out: &mut String, rdata: &[u8]) {
    let _ = write!(out, "\\# {}", rdata.len());
    if !rdata.is_empty() {
        out.push(' ');
    }
    for b in rdata.iter().take(MAX_HEX_RDATA) {
        let _ = write!(out, "{b:02x}");
    }
    if rdata.len() > MAX_HEX_RDATA {
        out.push_str("...");
    }
}

fn write_rdata(msg: &[u8], rr: &ResourceRecord<'_>, out: &mut String) -> Result<(), RdataError> {
    let data = rr.rdata;
    let mut r = Reader::new(data);
    match rr.rtype {
        1 => {
            let octets: [u8; 4] = fixed(data, "A")?;
            let _ = write!(out, "{}", Ipv4Addr::from(octets));
        }
        28 => {
            let octets: [u8; 16] = fixed(data, "AAAA")?;
            let _ = write!(out, "{}", Ipv6Addr::from(octets));
        }
        2 | 5 | 12 | 39 => {
            rdata_name(msg, rr, 0, out)?;
        }
        15 => {
            let _ = write!(out, "{} ", r.u16("preference")?);
            rdata_name(msg, rr, r.offset(), out)?;
        }
        33 => {
            let (priority, weight, port) = (r.u16("priority")?, r.u16("weight")?, r.u16("port")?);
            let _ = write!(out, "{priority} {weight} {port} ");
            rdata_name(msg, rr, r.offset(), out)?;
        }
        6 => {
            let at = rdata_name(msg, rr, 0, out)?;
            out.push(' ');
            let at = rdata_name(msg, rr, at, out)?;
            r.skip("mname and rname", at)?;
            for field in ["serial", "refresh", "retry", "expire", "minimum"] {
                let _ = write!(out, " {}", r.u32(field)?);
            }
        }
        13 | 16 => {
            while r.remaining() > 0 {
                if r.offset() > 0 {
                    out.push(' ');
                }
                let len = r.u8("character-string length")?;
                push_quoted(out, r.bytes("character-string", usize::from(len))?);
            }
        }
        _ => {}
    }
    Ok(())
}

fn fixed<const N: usize>(data: &[u8], rtype: &'static str) -> Result<[u8; N], RdataError> {
    data.try_into().map_err(|_| RdataError::BadLength {
        rtype,
        expected: N,
        actual: data.len(),
    })
}

/// Append the name at `at` within the rdata; return the rdata offset just past it.
fn rdata_name(
    msg: &[u8],
    rr: &ResourceRecord<'_>,
    at: usize,
    out: &mut String,
) -> Result<usize, RdataError> {
    let limit = rr.rdata_offset + rr.rdata.len();
    let end = read_name(msg, rr.rdata_offset + at, out)?;
    if end > limit {
        return Err(RdataError::NameOverrun { end, limit });
    }
    Ok(end - rr.rdata_offset)
}

/// Append a character-string in double quotes, escaped as a zone file would (RFC 1035 §5.1).
pub fn push_quoted(out: &mut String, bytes: &[u8]) {
    out.push('"');
    match std::str::from_utf8(bytes) {
        Ok(s) if !s.chars().any(char::is_control) => {
            for c in s.chars() {
                if c == '"' || c == '\\' {
                    out.push('\\');
                }
                out.push(c);
            }
        }
        _ => {
            for &b in bytes {
                match b {
                    b'"' | b'\\' => {
                        out.push('\\');
                        out.push(char::from(b));
                    }
                    0x20..=0x7e => out.push(char::from(b)),
                    _ => {
                        let _ = write!(out, "\\{b:03}");
                    }
                }
            }
        }
    }
    out.push('"');
}

/// Iterate over the character-strings of TXT rdata (RFC 1035 §3.3.14), stopping at the first
/// one that runs past the end.
pub fn character_strings(rdata: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = rdata;
    std::iter::from_fn(move || {
        let (&len, tail) = rest.split_first()?;
        let (s, tail) = tail.split_at_checked(usize::from(len))?;
        rest = tail;
        Some(s)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A response for `example.com A` (RFC 1035 §4.1) with one answer compressed against the
    /// question.
    const RESPONSE: &[u8] = &[
        0x12, 0x34, // id 0x1234
        0x81, 0x80, // QR=1 opcode=0 RD=1 RA=1 rcode=0
        0x00, 0x01, // qdcount 1
        0x00, 0x01, // ancount 1
        0x00, 0x00, // nscount 0
        0x00, 0x00, // arcount 0
        // question (§4.1.2), at offset 12
        0x07, b'e', b'x', b'a', b'm', b'p', b'l', b'e', // label "example"
        0x03, b'c', b'o', b'm', 0x00, // label "com", root
        0x00, 0x01, // qtype A
        0x00, 0x01, // qclass IN
        // answer (§4.1.3), at offset 29
        0xc0, 0x0c, // name: pointer to offset 12 (§4.1.4)
        0x00, 0x01, // type A
        0x00, 0x01, // class IN
        0x00, 0x00, 0x0e, 0x10, // ttl 3600
        0x00, 0x04, // rdlength 4
        0x0a, 0x00, 0x00, 0x01, // 10.0.0.1
    ];

    fn name_at(msg: &[u8], at: usize) -> (String, Result<usize, NameError>) {
        let mut out = String::new();
        let r = read_name(msg, at, &mut out);
        (out, r)
    }

    #[test]
    fn reads_question_and_compressed_answer() {
        let (header, mut reader) = MessageReader::new(RESPONSE).expect("header");
        assert_eq!((header.id, header.qdcount, header.ancount), (0x1234, 1, 1));
        let mut name = String::new();
        let q = reader
            .question(|l| push_label(&mut name, l))
            .expect("question");
        assert_eq!((name.as_str(), q.qtype, q.qclass), ("examplecom", 1, 1));
        let rr = reader.record(|_| ()).expect("answer");
        assert_eq!((rr.rtype, rr.ttl, rr.rdata_offset), (1, 3600, 41));
        let mut text = String::new();
        write_record(RESPONSE, &rr, &mut text).expect("renders");
        assert_eq!(text, "A 10.0.0.1");
        assert!(reader.at_end());
        assert!(parses_exactly(RESPONSE));
        assert_eq!(name_at(RESPONSE, 29), ("example.com".into(), Ok(31)));
    }

    #[test]
    fn rejects_pointer_that_loops_back_to_itself() {
        let msg = [
            0x01, b'a', // label "a" at offset 0
            0xc0, 0x00, // pointer back to offset 0: the labels it interrupts start there
        ];
        let (text, r) = name_at(&msg, 0);
        let e = r.expect_err("a loop");
        assert_eq!(
            e.kind,
            NameErrorKind::BadPointer {
                target: 0,
                limit: 0
            }
        );
        assert_eq!(e.code(), "bad_compression_pointer");
        assert_eq!(e.resume, Some(4), "the in-line end is known");
        assert_eq!(text, "a");
    }

    #[test]
    fn rejects_forward_pointer() {
        let msg = [
            0xc0, 0x02, // pointer at offset 0 to offset 2, ahead of itself
            0x00, // root
        ];
        let e = name_at(&msg, 0).1.expect_err("forward");
        assert_eq!(
            e.kind,
            NameErrorKind::BadPointer {
                target: 2,
                limit: 0
            }
        );
    }

    #[test]
    fn bounds_pointer_chains() {
        // 40 pointers, each to the one before it; the first points to a root at offset 0.
        let mut msg = vec![0x00, 0x00];
        for i in 1..=40u8 {
            msg.extend_from_slice(&[0xc0, 2 * (i - 1)]);
        }
        let at = msg.len() - 2;
        let e = name_at(&msg, at).1.expect_err("too many hops");
        assert_eq!(e.kind, NameErrorKind::TooManyHops);
        assert_eq!(e.code(), "compression_loop");
        // A chain within the limit reads as the root.
        assert_eq!(name_at(&msg, 2 * 10).0, ROOT);
    }

    #[test]
    fn reports_overlong_name_and_where_it_ends() {
        // Five labels of 63 bytes: 5 * 64 + 1 = 321 bytes, over the 255 limit.
        let mut msg = Vec::new();
        for _ in 0..5 {
            msg.push(63);
            msg.extend_from_slice(&[b'x'; 63]);
        }
        msg.push(0x00);
        let (text, r) = name_at(&msg, 0);
        let e = r.expect_err("too long");
        assert_eq!(e.kind, NameErrorKind::TooLong);
        assert_eq!(e.resume, Some(321));
        assert_eq!(text.len(), 3 * 63 + 2, "three labels fit in 255 bytes");
    }

    #[test]
    fn reports_reserved_label_type() {
        let e = name_at(&[0x41, 0x00], 0)
            .1
            .expect_err("0x40 labels are retired");
        assert_eq!(e.kind, NameErrorKind::BadLabelType(0x41));
        assert_eq!(e.resume, None);
    }

    #[test]
    fn escapes_dots_and_binary_bytes_in_labels() {
        let mut out = String::new();
        push_label(&mut out, b"a.b");
        push_label(&mut out, &[0x00, b'c', 0xff]);
        assert_eq!(out, "a\\.b\\000c\\255");
        let mut out = String::new();
        push_label(&mut out, "Anna’s iPhone".as_bytes());
        assert_eq!(out, "Anna’s iPhone");
    }

    #[test]
    fn names_field_and_offset_when_rdata_overruns_message() {
        let mut msg = RESPONSE.to_vec();
        msg[40] = 0x20; // rdlength 32, but only 4 bytes follow
        let (_, mut reader) = MessageReader::new(&msg).expect("header");
        reader.question(|_| ()).expect("question");
        let e = reader.record(|_| ()).expect_err("rdata overruns");
        assert_eq!(e.code(), "truncated");
        assert_eq!(
            e.to_string(),
            "rdata: needs 32 bytes at offset 41, 4 available"
        );
        assert!(!parses_exactly(&msg));
    }

    #[test]
    fn renders_common_rdata_in_presentation_format() {
        // Records appended after RESPONSE so that names can point at "example.com" (offset 12).
        let cases: &[(u16, &[u8], &str)] = &[
            // MX (§3.3.9): preference 10, exchange "mx" + pointer to example.com
            (
                15,
                &[0x00, 0x0a, 0x02, b'm', b'x', 0xc0, 0x0c],
                "MX 10 mx.example.com",
            ),
            // SRV (RFC 2782): priority 0, weight 5, port 5060, target pointer to example.com
            (
                33,
                &[0, 0, 0, 5, 0x13, 0xc4, 0xc0, 0x0c],
                "SRV 0 5 5060 example.com",
            ),
            // TXT (§3.3.14): two character-strings
            (
                16,
                &[3, b'a', b'=', b'1', 2, b'"', b'x'],
                r#"TXT "a=1" "\"x""#,
            ),
            // AAAA (RFC 3596): 2001:db8::1
            (
                28,
                &[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
                "AAAA 2001:db8::1",
            ),
            // SOA (§3.3.13): mname, rname (both pointers), five counters
            (
                6,
                &[
                    0xc0, 0x0c, 0xc0, 0x0c, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0,
                    0, 5,
                ],
                "SOA example.com example.com 1 2 3 4 5",
            ),
            // an unassigned type: RFC 3597 opaque form
            (65_280, &[0xde, 0xad], "TYPE65280 \\# 2 dead"),
        ];
        for &(rtype, rdata, expected) in cases {
            let mut msg = RESPONSE.to_vec();
            let rdata_offset = msg.len();
            msg.extend_from_slice(rdata);
            let rr = ResourceRecord {
                rtype,
                class: 1,
                ttl: 0,
                rdata: &msg[rdata_offset..],
                rdata_offset,
                name_error: None,
            };
            let mut out = String::new();
            write_record(&msg, &rr, &mut out).expect("renders");
            assert_eq!(out, expected);
        }
    }

    #[test]
    fn renders_bad_rdata_opaquely_and_says_why() {
        let rr = ResourceRecord {
            rtype: 1,
            class: 1,
            ttl: 0,
            rdata: &[10, 0, 0],
            rdata_offset: 0,
            name_error: None,
        };
        let mut out = String::new();
        let e = write_record(&[], &rr, &mut out).expect_err("three-byte A");
        assert_eq!(e.code(), "bad_rdata_length");
        assert_eq!(out, "A \\# 3 0a0000");
    }

    #[test]
    fn tells_stream_framing_from_datagrams() {
        let mut framed = vec![0x00, RESPONSE.len() as u8];
        framed.extend_from_slice(RESPONSE);
        assert!(plausible_stream_start(&framed));
        assert!(
            !plausible_stream_start(RESPONSE),
            "0x1234 then a header of garbage"
        );
        assert!(!parses_exactly(&framed));
    }

    #[test]
    fn splits_character_strings_and_stops_at_overrun() {
        let strings: Vec<&[u8]> = character_strings(&[1, b'a', 0, 5, b'b']).collect();
        assert_eq!(strings, vec![&b"a"[..], &b""[..]]);
    }
}
