//! Pure parsing of DCP PDUs (IEC 61158-6-10 §4.3): the header after the frame id, the blocks,
//! and the values of the blocks this dissector reports.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::net::Ipv4Addr;

use rampart_dissect::{Reader, Truncated};

use super::message::ServiceId;
use crate::located::Located;

/// Frame id and DCP header: FrameID, ServiceID, ServiceType, Xid, ResponseDelay/Reserved,
/// DCPDataLength.
pub const HEADER_LEN: usize = 12;
/// Blocks read from one PDU; a full-size frame holds fewer than 400 empty ones.
pub const MAX_BLOCKS: usize = 64;

/// Why a PDU could not be read.
pub type DcpError = Located;

fn at(base: usize) -> impl Fn(Truncated) -> DcpError {
    Located::at(base)
}

/// The DCP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Frame id (0xfefc–0xfeff).
    pub frame_id: u16,
    /// Service id.
    pub service: ServiceId,
    /// Service type: 0 request, 1 response success, 5 response "not supported".
    pub service_type: u8,
    /// Transaction id, echoed by the response.
    pub xid: u32,
    /// Response delay factor (Identify requests), reserved elsewhere.
    pub delay: u16,
    /// DCPDataLength.
    pub length: u16,
}

impl Header {
    /// Tell whether the PDU is a response.
    pub fn is_response(&self) -> bool {
        self.service_type & 0x01 != 0
    }
}

/// Read the header of `payload` (the frame after the EtherType); return it, the block bytes
/// and, when DCPDataLength claims more than the frame holds, that error (the blocks are then
/// what there is).
pub fn header(payload: &[u8]) -> Result<(Header, &[u8], Option<DcpError>), DcpError> {
    let mut r = Reader::new(payload);
    let e = at(0);
    let h = Header {
        frame_id: r.u16("frame_id").map_err(&e)?,
        service: ServiceId(r.u8("service_id").map_err(&e)?),
        service_type: r.u8("service_type").map_err(&e)?,
        xid: r.u32("xid").map_err(&e)?,
        delay: r.u16("response_delay").map_err(&e)?,
        length: r.u16("dcp_data_length").map_err(&e)?,
    };
    let claimed = usize::from(h.length);
    let rest = r.rest();
    if claimed > rest.len() {
        let err = Located::BadLength {
            field: "dcp_data_length",
            offset: 10,
            claimed,
            available: rest.len(),
        };
        return Ok((h, rest, Some(err)));
    }
    Ok((h, rest.get(..claimed).unwrap_or_default(), None))
}

/// One block: option, suboption and its data (with the BlockInfo or BlockQualifier).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block<'a> {
    /// Option.
    pub option: u8,
    /// Suboption.
    pub suboption: u8,
    /// Block data.
    pub data: &'a [u8],
    /// Offset of the data from the frame id.
    pub offset: usize,
}

/// The blocks of a PDU, each padded to an even length.
#[derive(Debug, Clone)]
pub struct Blocks<'a> {
    reader: Reader<'a>,
    read: usize,
    done: bool,
}

impl<'a> Blocks<'a> {
    /// Read the blocks in `data`, which follows the header.
    pub fn new(data: &'a [u8]) -> Blocks<'a> {
        Blocks {
            reader: Reader::new(data),
            read: 0,
            done: false,
        }
    }
}

impl<'a> Iterator for Blocks<'a> {
    type Item = Result<Block<'a>, DcpError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.reader.remaining() == 0 || self.read >= MAX_BLOCKS {
            return None;
        }
        self.read += 1;
        let r = &mut self.reader;
        let e = at(HEADER_LEN);
        let block = (|| {
            let option = r.u8("option").map_err(&e)?;
            let suboption = r.u8("suboption").map_err(&e)?;
            let len_at = r.offset();
            let len = usize::from(r.u16("dcp_block_length").map_err(&e)?);
            let offset = HEADER_LEN + r.offset();
            let available = r.remaining();
            let data = r.bytes("block", len).map_err(|_| Located::BadLength {
                field: "dcp_block_length",
                offset: HEADER_LEN + len_at,
                claimed: len,
                available,
            })?;
            if len % 2 == 1 && r.remaining() > 0 {
                r.skip("padding", 1).map_err(&e)?;
            }
            Ok(Block {
                option,
                suboption,
                data,
                offset,
            })
        })();
        if block.is_err() {
            self.done = true;
        }
        Some(block)
    }
}

/// Split the two-byte BlockInfo or BlockQualifier off a block's data.
pub fn prefixed<'a>(block: &Block<'a>) -> Result<(u16, &'a [u8]), DcpError> {
    let mut r = Reader::new(block.data);
    let prefix = r.u16("block_info").map_err(at(block.offset))?;
    Ok((prefix, r.rest()))
}

/// The IP parameter value: address, subnet mask, standard gateway.
pub fn ip_parameter(value: &[u8], offset: usize) -> Result<[Ipv4Addr; 3], DcpError> {
    let mut r = Reader::new(value);
    let e = at(offset);
    Ok([
        Ipv4Addr::from(r.u32("ip_address").map_err(&e)?),
        Ipv4Addr::from(r.u32("subnet_mask").map_err(&e)?),
        Ipv4Addr::from(r.u32("standard_gateway").map_err(&e)?),
    ])
}

/// Read two big-endian words (vendor and device id, or device instance high and low bytes).
pub fn two_words(value: &[u8], offset: usize) -> Result<(u16, u16), DcpError> {
    let mut r = Reader::new(value);
    let e = at(offset);
    Ok((
        r.u16("vendor_id").map_err(&e)?,
        r.u16("device_id").map_err(&e)?,
    ))
}

/// Render text a device or a tool sent, safely: trailing NULs dropped, control characters
/// and invalid UTF-8 written as `\xNN`, so that a hostile name of station can neither break
/// a log line nor pass for another value.
pub fn safe_text(bytes: &[u8]) -> Cow<'_, str> {
    let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    let bytes = bytes.get(..end).unwrap_or_default();
    let clean = std::str::from_utf8(bytes)
        .ok()
        .filter(|s| !s.chars().any(char::is_control));
    if let Some(s) = clean {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(bytes.len() * 2);
    for chunk in bytes.utf8_chunks() {
        for ch in chunk.valid().chars() {
            if ch.is_control() {
                let mut buf = [0u8; 4];
                for b in ch.encode_utf8(&mut buf).bytes() {
                    let _ = write!(out, "\\x{b:02x}");
                }
            } else {
                out.push(ch);
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    Cow::Owned(out)
}

/// Say why a name of station breaks the naming rules of IEC 61158-6-10 (DNS-style labels of
/// letters, digits and hyphens, 1–63 octets each, 240 at most in all), or `None` if it keeps
/// them.
pub fn name_of_station_problem(name: &[u8]) -> Option<&'static str> {
    // Devices pad the field with NULs, as they pad every string.
    let end = name.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    let name = name.get(..end).unwrap_or_default();
    if name.is_empty() {
        return Some("is empty");
    }
    if name.len() > 240 {
        return Some("is longer than 240 octets");
    }
    for label in name.split(|&b| b == b'.') {
        if label.is_empty() || label.len() > 63 {
            return Some("has a label that is empty or longer than 63 octets");
        }
        if !label
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        {
            return Some("has characters other than letters, digits, hyphens and dots");
        }
        if label.first() == Some(&b'-') || label.last() == Some(&b'-') {
            return Some("has a label that starts or ends with a hyphen");
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An Identify response (IEC 61158-6-10 §4.3): frame id 0xfeff, header, and two blocks.
    const IDENTIFY_RESPONSE: &[u8] = &[
        0xfe, 0xff, // frame id: identify response
        0x05, 0x01, // service identify, response success
        0x01, 0x00, 0x00, 0x01, // xid
        0x00, 0x00, // reserved
        0x00, 0x1a, // DCPDataLength 26
        0x02, 0x02, 0x00, 0x0b, // device/name of station, 11 bytes
        0x00, 0x00, b'x', b'2', b'0', b'8', b'-', b'b', b'o', b'r', b'd',
        0x00, // info, name, pad
        0x02, 0x03, 0x00, 0x06, // device/device id, 6 bytes
        0x00, 0x00, 0x00, 0x2a, 0x0a, 0x01, // info, vendor 0x002a, device 0x0a01
    ];

    #[test]
    fn reads_the_header_and_the_padded_blocks() {
        let (h, data, err) = header(IDENTIFY_RESPONSE).expect("header");
        assert_eq!(h.service, ServiceId::IDENTIFY);
        assert!(h.is_response());
        assert_eq!(h.xid, 0x0100_0001);
        assert!(err.is_none());
        let blocks: Vec<_> = Blocks::new(data).collect::<Result<_, _>>().expect("blocks");
        assert_eq!(blocks.len(), 2);
        let (info, name) = prefixed(&blocks[0]).expect("info");
        assert_eq!((info, name), (0, &b"x208-bord"[..]));
        assert_eq!(blocks[1].offset, 32);
        let (_, id) = prefixed(&blocks[1]).expect("info");
        assert_eq!(two_words(id, 34).expect("ids"), (0x2a, 0x0a01));
    }

    #[test]
    fn reports_lengths_past_the_frame() {
        let mut short = IDENTIFY_RESPONSE.to_vec();
        short[11] = 0x40; // DCPDataLength 64
        let (_, data, err) = header(&short).expect("header");
        assert_eq!(err.expect("too long").code(), "bad_length");
        assert_eq!(data.len(), 26);
        let mut bad_block = IDENTIFY_RESPONSE.to_vec();
        bad_block[15] = 0x30; // block length 48
        let (_, data, _) = header(&bad_block).expect("header");
        let err = Blocks::new(data).find_map(Result::err).expect("an error");
        assert_eq!((err.code(), err.offset()), ("bad_length", 14));
        assert!(header(&IDENTIFY_RESPONSE[..5]).is_err());
    }

    #[test]
    fn renders_hostile_names_safely_and_checks_the_naming_rules() {
        assert_eq!(safe_text(b"%n%n%n \0\0\0"), "%n%n%n ");
        assert_eq!(safe_text(b"a\nb\xffc"), "a\\x0ab\\xffc");
        assert!(matches!(safe_text(b"plc-1"), Cow::Borrowed("plc-1")));
        assert_eq!(name_of_station_problem(b"plc-1.line2"), None);
        assert_eq!(name_of_station_problem(b"X208-BORD"), None);
        assert_eq!(
            name_of_station_problem(b"%n%n%n \0\0\0\0"),
            Some("has characters other than letters, digits, hyphens and dots")
        );
        assert_eq!(name_of_station_problem(b"plc\0\0"), None);
        assert!(name_of_station_problem(b"-plc").is_some());
        assert!(name_of_station_problem(&[b'a'; 241]).is_some());
    }
}
