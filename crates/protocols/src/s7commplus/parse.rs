//! Pure functions over `&[u8]`: the S7comm-plus frame around each COTP unit, the message
//! header, and the few values a monitor reads from the body.

use rampart_dissect::{Reader, Truncated};

use super::message::{Function, Opcode, Version};

/// The S7comm-plus protocol id, first octet of every frame.
pub const PROTOCOL_ID: u8 = 0x72;
/// Octets of a V3 integrity part: the digest length (0x20) and a 32-octet digest.
const INTEGRITY_LEN: usize = 33;
/// Printable strings taken from one message.
pub const MAX_STRINGS: usize = 16;
/// Octets of one string kept.
pub const MAX_STRING_LEN: usize = 64;

/// Why a frame could not be read, located in its COTP unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PlusError {
    /// The first octet is not 0x72.
    #[error("protocol id {found:#04x} at offset 0 is not 0x72")]
    ProtocolId {
        /// The octet found.
        found: u8,
    },
    /// A field runs past the end of the unit.
    #[error(transparent)]
    Truncated(#[from] Truncated),
}

impl PlusError {
    /// Return the anomaly code.
    pub fn code(&self) -> &'static str {
        match self {
            PlusError::ProtocolId { .. } => "bad_protocol_id",
            PlusError::Truncated(_) => "truncated",
        }
    }

    /// Return the offset of the offending field.
    pub fn offset(&self) -> usize {
        match self {
            PlusError::ProtocolId { .. } => 0,
            PlusError::Truncated(t) => t.offset,
        }
    }
}

/// One COTP unit of S7comm-plus: a header (0x72, version, data length), a part of a
/// message's data, and — after the last part only — a trailer repeating the header with
/// length zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The version.
    pub version: Version,
    /// This unit's part of the data.
    pub data: &'a [u8],
    /// The trailer follows: the message is complete.
    pub last: bool,
    /// Octets after the trailer (or after the data, when they are no trailer).
    pub trailing: usize,
}

/// Read a frame.
pub fn frame(unit: &[u8]) -> Result<Frame<'_>, PlusError> {
    let mut r = Reader::new(unit);
    let id = r.u8("protocol id")?;
    if id != PROTOCOL_ID {
        return Err(PlusError::ProtocolId { found: id });
    }
    let version = Version(r.u8("version")?);
    let len = r.u16("data length")?;
    let data = r.bytes("data", len.into())?;
    let rest = r.rest();
    let trailer = [PROTOCOL_ID, version.0, 0, 0];
    let (last, trailing) = match rest {
        [] => (version == Version::KEEP_ALIVE, 0),
        r if r.starts_with(&trailer) => (true, r.len() - trailer.len()),
        r => (true, r.len()),
    };
    Ok(Frame {
        version,
        data,
        last,
        trailing,
    })
}

/// The header of a whole message (its data, reassembled).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    /// A V3 integrity digest precedes the opcode.
    pub integrity: bool,
    /// The opcode.
    pub opcode: Opcode,
    /// The function (requests and responses).
    pub function: Option<Function>,
    /// The sequence number a response echoes.
    pub sequence: Option<u16>,
    /// The session id (requests).
    pub session_id: Option<u32>,
    /// Transport flags.
    pub transport_flags: Option<u8>,
    /// What follows the header.
    pub body: &'a [u8],
}

/// Read a message header: an optional V3 integrity part, the opcode, then for requests
/// and responses reserved, function, reserved, sequence number, for requests the session
/// id, and the transport flags.
pub fn message(version: Version, data: &[u8]) -> Result<Message<'_>, Truncated> {
    let mut r = Reader::new(data);
    let integrity = version == Version::V3 && data.first() == Some(&0x20);
    if integrity {
        r.skip("integrity part", INTEGRITY_LEN)?;
    }
    let opcode = Opcode(r.u8("opcode")?);
    let mut m = Message {
        integrity,
        opcode,
        function: None,
        sequence: None,
        session_id: None,
        transport_flags: None,
        body: &[],
    };
    if opcode == Opcode::REQUEST || opcode.is_response() {
        r.skip("reserved", 2)?;
        m.function = Some(Function(r.u16("function")?));
        r.skip("reserved", 2)?;
        m.sequence = Some(r.u16("sequence number")?);
        if opcode == Opcode::REQUEST {
            m.session_id = Some(r.u32("session id")?);
        }
        m.transport_flags = Some(r.u8("transport flags")?);
    }
    m.body = r.rest();
    Ok(m)
}

/// Read the object id a request's body starts with.
pub fn object_id(body: &[u8]) -> Option<u32> {
    Reader::new(body).u32("object id").ok()
}

/// Read a variable-length unsigned integer (seven bits per octet, high bit set on all but
/// the last, at most ten octets): how S7comm-plus encodes return values and ids.
pub fn vlq(bytes: &[u8]) -> Option<u64> {
    let mut n: u64 = 0;
    for (i, &b) in bytes.iter().take(10).enumerate() {
        n = (n << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            return Some(n);
        }
        if i == 9 {
            return None;
        }
    }
    None
}

/// Call `each` with the printable ASCII runs of at least four characters in `body` (the
/// names of sessions, classes and blocks, at most [`MAX_STRINGS`], each cut at
/// [`MAX_STRING_LEN`]).
pub fn strings<'a>(body: &'a [u8], mut each: impl FnMut(&'a [u8])) {
    let mut found = 0;
    let mut start = None;
    for (i, &b) in body.iter().chain(std::iter::once(&0)).enumerate() {
        let printable = (0x20..0x7f).contains(&b);
        match (printable, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                if i - s >= 4 && found < MAX_STRINGS {
                    let run = &body[s..i];
                    each(&run[..run.len().min(MAX_STRING_LEN)]);
                    found += 1;
                }
                start = None;
            }
            _ => {}
        }
    }
}

/// Tell whether `s` starts with a Siemens order number (MLFB, `6ES7 214-1HE30-0XB0`):
/// digit, two letters, digit, blank, three characters, dash, five, dash, four.
pub fn mlfb(s: &[u8]) -> Option<&[u8]> {
    let m = s.get(..19)?;
    let alnum = |b: &u8| b.is_ascii_uppercase() || b.is_ascii_digit();
    let shape = m[0].is_ascii_digit()
        && m[1].is_ascii_uppercase()
        && m[2].is_ascii_uppercase()
        && m[3].is_ascii_digit()
        && m[4] == b' '
        && m[5..8].iter().all(alnum)
        && m[8] == b'-'
        && m[9..14].iter().all(alnum)
        && m[14] == b'-'
        && m[15..19].iter().all(alnum);
    shape.then_some(m)
}

/// What a PLC states of itself in S7comm-plus strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SelfDescription<'a> {
    /// The order number.
    pub order_number: Option<&'a [u8]>,
    /// The firmware version (`V2.2`).
    pub firmware: Option<&'a [u8]>,
    /// The serial number.
    pub serial: Option<&'a [u8]>,
}

/// Read a PLC's description of itself from one string: the server session version
/// `1;6ES7 214-1HE30-0XB0 ;V2.2` (order number and firmware), or an identification string
/// `6ES7 214-1HE30-0XB0 SZVBDYXX017685` (order number and serial number), possibly after a
/// length octet that reads as a character.
pub fn self_description(s: &[u8]) -> Option<SelfDescription<'_>> {
    if let [digit, b';', rest @ ..] = s
        && digit.is_ascii_digit()
    {
        let order = mlfb(rest)?;
        let firmware = rest
            .iter()
            .position(|&b| b == b';')
            .and_then(|p| rest.get(p + 1..))
            .filter(|v| v.first() == Some(&b'V') && v.len() > 1);
        return Some(SelfDescription {
            order_number: Some(order),
            firmware,
            serial: None,
        });
    }
    // A length octet that happens to be printable may precede the string.
    let s = (0..=2).find_map(|skip| s.get(skip..).filter(|t| mlfb(t).is_some()))?;
    let order = mlfb(s)?;
    let serial = s
        .get(20..)
        .map(|t| t.split(|&b| b == b' ').next().unwrap_or_default())
        .filter(|t| t.len() >= 8 && t.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-'));
    Some(SelfDescription {
        order_number: Some(order),
        firmware: None,
        serial,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_request_frame_and_its_header() {
        // GetMultiVariables request of a V2 session (S7-1200, TIA Portal V12).
        let unit = [
            0x72, 0x02, 0x00, 0x10, // protocol id, V2, 16 octets of data
            0x31, 0x00, 0x00, 0x05, 0x4c, 0x00, 0x00, // request, GetMultiVariables
            0x00, 0x08, // sequence number 8
            0x00, 0x00, 0x03, 0xc0, 0x34, // session 0x3c0, transport flags
            0x00, 0x00, // body
            0x72, 0x02, 0x00, 0x00, // trailer
        ];
        let f = frame(&unit).expect("parses");
        assert!(f.last);
        assert_eq!(f.trailing, 0);
        let m = message(f.version, f.data).expect("parses");
        assert_eq!(m.function, Some(Function::GET_MULTI_VARIABLES));
        assert_eq!((m.sequence, m.session_id), (Some(8), Some(0x3c0)));
        assert_eq!(m.body, &[0, 0]);
    }

    #[test]
    fn tells_a_first_part_from_a_last_one() {
        let first = [0x72, 0x02, 0x00, 0x02, 0x31, 0x00];
        assert!(!frame(&first).expect("parses").last);
        assert_eq!(
            frame(&[0x32, 0x01]).map_err(|e| e.code()),
            Err("bad_protocol_id")
        );
        assert_eq!(
            frame(&[0x72, 0x02, 0x00, 0x09, 0x31]).map_err(|e| e.offset()),
            Err(4)
        );
    }

    #[test]
    fn skips_the_v3_integrity_digest() {
        let mut data = vec![0x20];
        data.extend_from_slice(&[0xaa; 32]);
        data.extend_from_slice(&[0x33, 0x00, 0x01]);
        let m = message(Version::V3, &data).expect("parses");
        assert!(m.integrity);
        assert_eq!(
            (m.opcode, m.body),
            (Opcode::NOTIFICATION, &[0x00, 0x01][..])
        );
    }

    #[test]
    fn reads_variable_length_integers() {
        assert_eq!(vlq(&[0x87, 0x40]), Some(0x3c0));
        assert_eq!(vlq(&[0x05]), Some(5));
        assert_eq!(vlq(&[0x80; 11]), None);
        assert_eq!(vlq(&[0x81]), None);
    }

    #[test]
    fn finds_strings_and_what_a_plc_says_of_itself() {
        let mut found = Vec::new();
        strings(b"\x15\x14ServerSession_2DC6D2\x00ab\x01Main", |s| {
            found.push(s)
        });
        assert_eq!(found, vec![&b"ServerSession_2DC6D2"[..], b"Main"]);
        let d = self_description(b"1;6ES7 214-1HE30-0XB0 ;V2.2").expect("a session version");
        assert_eq!(
            (d.order_number, d.firmware),
            (Some(&b"6ES7 214-1HE30-0XB0"[..]), Some(&b"V2.2"[..]))
        );
        let d = self_description(b"*6ES7 214-1HE30-0XB0 SZVBDYXX017685  ").expect("an id");
        assert_eq!(d.serial, Some(&b"SZVBDYXX017685"[..]));
        assert_eq!(self_description(b"ServerSession_2DC6D2"), None);
    }
}
