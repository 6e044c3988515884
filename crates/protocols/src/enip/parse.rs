//! Pure parsing of EtherNet/IP encapsulation, the common packet format and CIP messages over
//! `&[u8]`. Every function takes the offset of its input within the encapsulation message
//! (`base`) so that errors name where the offending field is; nothing here allocates except
//! the tag and route texts, written into buffers the caller reuses.

use std::net::Ipv4Addr;

use rampart_dissect::{Reader, Truncated};

use super::message::Command;
use crate::label::hex_digits;
use crate::located::Located;

/// Length of the encapsulation header (Vol. 2 §2-3.1).
pub const HEADER_LEN: usize = 24;
/// Longest tag or route text kept; longer ones are cut (and end with `…`).
pub const MAX_TEXT: usize = 256;
/// Embedded services read from one Multiple Service Packet.
pub const MAX_EMBEDDED: usize = 64;

/// Why a message (or part of it) could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EnipError {
    /// A field that runs past its structure, or a length that claims too much.
    #[error(transparent)]
    Located(#[from] Located),
    /// A path segment type that is reserved or that CIP does not allow here.
    #[error("path segment {segment:#04x} at offset {offset} is reserved or not allowed here")]
    BadSegment {
        /// The segment byte.
        segment: u8,
        /// Where it is.
        offset: usize,
    },
    /// A Multiple Service Packet offset outside the packet or before the previous one.
    #[error("embedded service {index} at offset {offset} starts at {value}, outside {low}..{high}")]
    BadServiceOffset {
        /// Which embedded service (from 0).
        index: usize,
        /// Where the offset field is.
        offset: usize,
        /// Its value.
        value: usize,
        /// The lowest legal value.
        low: usize,
        /// One past the highest legal value.
        high: usize,
    },
    /// A common packet format without the item the command needs.
    #[error("{command} at offset {offset} has no {wanted} item")]
    MissingItem {
        /// The encapsulation command's name.
        command: &'static str,
        /// Where its item list starts.
        offset: usize,
        /// The item expected.
        wanted: &'static str,
    },
}

impl EnipError {
    /// Return the anomaly code.
    pub fn code(&self) -> &'static str {
        match self {
            EnipError::Located(l) => l.code(),
            EnipError::BadSegment { .. } => "bad_path_segment",
            EnipError::BadServiceOffset { .. } => "bad_service_offset",
            EnipError::MissingItem { .. } => "missing_item",
        }
    }

    /// Return where the offending field is.
    pub fn offset(&self) -> usize {
        match *self {
            EnipError::Located(l) => l.offset(),
            EnipError::BadSegment { offset, .. }
            | EnipError::BadServiceOffset { offset, .. }
            | EnipError::MissingItem { offset, .. } => offset,
        }
    }
}

/// Move a reader's error to its place in the message.
fn at(base: usize) -> impl Fn(Truncated) -> EnipError {
    move |t| Located::at(base)(t).into()
}

/// The encapsulation header (Vol. 2 §2-3.1), little-endian.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The command.
    pub command: Command,
    /// Bytes of command-specific data after the header.
    pub length: u16,
    /// Session handle (0 before RegisterSession).
    pub session: u32,
    /// Status: 0 in requests, an error code in replies.
    pub status: u32,
    /// Sender context, echoed by the reply: what pairs unconnected requests and replies.
    pub context: [u8; 8],
    /// Options: must be zero.
    pub options: u32,
}

impl Header {
    /// Read the header at the start of `data`.
    pub fn read(data: &[u8]) -> Result<Header, Truncated> {
        let mut r = Reader::new(data);
        let command = Command(r.u16_le("command")?);
        let length = r.u16_le("length")?;
        let session = r.u32_le("session_handle")?;
        let status = r.u32_le("status")?;
        let mut context = [0u8; 8];
        context.copy_from_slice(r.bytes("sender_context", 8)?);
        let options = r.u32_le("options")?;
        Ok(Header {
            command,
            length,
            session,
            status,
            context,
            options,
        })
    }
}

/// One common packet format item (Vol. 2 §2-6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item<'a> {
    /// Item type id.
    pub type_id: u16,
    /// Item data.
    pub data: &'a [u8],
    /// Offset of the data in the message.
    pub offset: usize,
}

/// The items of a common packet format, read lazily.
#[derive(Debug, Clone)]
pub struct Items<'a> {
    reader: Reader<'a>,
    base: usize,
    left: u16,
    /// How many items the list claims.
    pub count: u16,
}

impl<'a> Items<'a> {
    /// Start reading the item list (item count, then items) of `data`, found at `base`.
    pub fn new(data: &'a [u8], base: usize) -> Result<Items<'a>, EnipError> {
        let mut reader = Reader::new(data);
        let count = reader.u16_le("item_count").map_err(at(base))?;
        Ok(Items {
            reader,
            base,
            left: count,
            count,
        })
    }
}

impl<'a> Iterator for Items<'a> {
    type Item = Result<Item<'a>, EnipError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let r = &mut self.reader;
        let read = (|| {
            let type_id = r.u16_le("item_type")?;
            let len_at = r.offset();
            let len = usize::from(r.u16_le("item_length")?);
            let offset = r.offset();
            let data = r.bytes("item_data", len).map_err(|_| Truncated {
                field: "item_length",
                offset: len_at,
                needed: len,
                available: r.remaining(),
            })?;
            Ok(Item {
                type_id,
                data,
                offset,
            })
        })();
        let item = read.map_err(at(self.base));
        if item.is_err() {
            self.left = 0;
        }
        Some(item)
    }
}

/// Skip the interface handle and timeout that open SendRRData and SendUnitData data
/// (Vol. 2 §2-4.7), returning the timeout and the item list.
pub fn rr_items(data: &[u8], base: usize) -> Result<(u16, Items<'_>), EnipError> {
    let mut r = Reader::new(data);
    r.u32_le("interface_handle").map_err(at(base))?;
    let timeout = r.u16_le("timeout").map_err(at(base))?;
    let offset = r.offset();
    Ok((timeout, Items::new(r.rest(), base + offset)?))
}

/// A CIP request: service, request path and data (Vol. 1 §2-4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'a> {
    /// Service code (bit 7 clear).
    pub service: u8,
    /// The request path, an EPATH.
    pub path: &'a [u8],
    /// Where the path is.
    pub path_offset: usize,
    /// Service-specific data.
    pub data: &'a [u8],
    /// Where the data is.
    pub data_offset: usize,
}

/// A CIP response: service, status and data (Vol. 1 §2-4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Response<'a> {
    /// Service code without the reply bit.
    pub service: u8,
    /// General status.
    pub status: u8,
    /// The additional status words, raw.
    pub extended: &'a [u8],
    /// Service-specific reply data.
    pub data: &'a [u8],
    /// Where the data is.
    pub data_offset: usize,
}

impl Response<'_> {
    /// Return the first additional status word, if any.
    pub fn extended_status(&self) -> Option<u16> {
        match self.extended {
            [lo, hi, ..] => Some(u16::from_le_bytes([*lo, *hi])),
            _ => None,
        }
    }
}

/// A CIP message of either kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cip<'a> {
    /// A request.
    Request(Request<'a>),
    /// A response.
    Response(Response<'a>),
}

/// Read a CIP message from `msg`, found at `base`.
pub fn cip(msg: &[u8], base: usize) -> Result<Cip<'_>, EnipError> {
    let mut r = Reader::new(msg);
    let service = r.u8("service").map_err(at(base))?;
    if service & 0x80 == 0 {
        let words_at = r.offset();
        let words = usize::from(r.u8("request_path_size").map_err(at(base))?);
        let path_offset = base + r.offset();
        let path = r.bytes("request_path", words * 2).map_err(|_| {
            EnipError::from(Located::BadLength {
                field: "request_path_size",
                offset: base + words_at,
                claimed: words * 2,
                available: msg.len().saturating_sub(2),
            })
        })?;
        Ok(Cip::Request(Request {
            service,
            path,
            path_offset,
            data: r.rest(),
            data_offset: base + r.offset(),
        }))
    } else {
        r.u8("reserved").map_err(at(base))?;
        let status = r.u8("general_status").map_err(at(base))?;
        let words_at = r.offset();
        let words = usize::from(r.u8("additional_status_size").map_err(at(base))?);
        let extended = r.bytes("additional_status", words * 2).map_err(|_| {
            EnipError::from(Located::BadLength {
                field: "additional_status_size",
                offset: base + words_at,
                claimed: words * 2,
                available: msg.len().saturating_sub(4),
            })
        })?;
        Ok(Cip::Response(Response {
            service: service & 0x7f,
            status,
            extended,
            data: r.rest(),
            data_offset: base + r.offset(),
        }))
    }
}

/// A port segment's link address (Vol. 1 §C-1.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link<'a> {
    /// A one-byte link address: a backplane slot, a DeviceNet MAC id.
    Node(u8),
    /// An extended link address: an IP address in text on EtherNet/IP ports, bytes elsewhere.
    Address(&'a [u8]),
}

/// What a padded EPATH (Vol. 1 Appendix C) addresses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Path<'a> {
    /// Class id.
    pub class: Option<u32>,
    /// Instance id.
    pub instance: Option<u32>,
    /// Attribute id.
    pub attribute: Option<u32>,
    /// Member id (an array element after a symbol, or a member of an attribute).
    pub member: Option<u32>,
    /// Connection point (an assembly instance in a connection path).
    pub connection_point: Option<u32>,
    /// The first port segment: port number and link address.
    pub port: Option<(u16, Link<'a>)>,
    /// Symbolic segments seen (the tag is in the caller's buffer).
    pub symbols: usize,
    /// Segments read.
    pub segments: usize,
}

/// Append `s` to `out` unless it is full; mark a cut with `…`.
fn push_bounded(out: &mut String, s: &str) {
    let room = (MAX_TEXT - '…'.len_utf8()).saturating_sub(out.len());
    if s.len() <= room {
        out.push_str(s);
        return;
    }
    let mut take = room;
    while !s.is_char_boundary(take) {
        take -= 1;
    }
    out.push_str(s.get(..take).unwrap_or_default());
    if !out.ends_with('…') {
        out.push('…');
    }
}

/// Append symbol bytes as text: printable ASCII as is, anything else as `\xNN`. Tags are
/// read for every embedded service of every request, so runs of printable bytes are copied
/// whole.
fn push_symbol(out: &mut String, bytes: &[u8]) {
    let printable = |b: &u8| b.is_ascii_graphic() || *b == b' ';
    let mut rest = bytes;
    while !rest.is_empty() {
        let run = rest
            .iter()
            .position(|b| !printable(b))
            .unwrap_or(rest.len());
        let (text, tail) = rest.split_at(run);
        push_bounded(out, std::str::from_utf8(text).unwrap_or_default());
        rest = match tail.split_first() {
            Some((&b, tail)) => {
                let [high, low] = hex_digits(b);
                let escaped = [b'\\', b'x', high, low];
                push_bounded(out, std::str::from_utf8(&escaped).unwrap_or_default());
                tail
            }
            None => tail,
        };
    }
}

/// Read a logical value of `format` (0 8-bit, 1 16-bit, 2 32-bit), padded as EtherNet/IP
/// requires (Vol. 1 §C-1.4.2).
fn logical(r: &mut Reader<'_>, format: u8) -> Result<u32, Truncated> {
    Ok(match format {
        0 => u32::from(r.u8("logical_value")?),
        1 => {
            r.skip("pad", 1)?;
            u32::from(r.u16_le("logical_value")?)
        }
        _ => {
            r.skip("pad", 1)?;
            r.u32_le("logical_value")?
        }
    })
}

/// Read an EPATH found at `base`, writing symbolic segments into `tag` (`Program:Main.Tag[3]`)
/// and port segments into `route` (`1/0` for backplane slot 0, `2/10.0.0.5`).
pub fn path<'a>(
    bytes: &'a [u8],
    base: usize,
    tag: &mut String,
    route: &mut String,
) -> Result<Path<'a>, EnipError> {
    let mut r = Reader::new(bytes);
    let mut p = Path::default();
    let mut in_symbol = false;
    while r.remaining() > 0 {
        let seg_at = r.offset();
        let seg = r.u8("segment").map_err(at(base))?;
        p.segments += 1;
        match seg >> 5 {
            0 => {
                let (port, link) = port_segment(&mut r, seg).map_err(at(base))?;
                if !route.is_empty() {
                    push_bounded(route, ",");
                }
                push_bounded(route, itoa::Buffer::new().format(port));
                push_bounded(route, "/");
                match link {
                    Link::Node(n) => push_bounded(route, itoa::Buffer::new().format(n)),
                    Link::Address(a) => push_symbol(route, a),
                }
                p.port.get_or_insert((port, link));
                in_symbol = false;
            }
            1 => {
                let kind = (seg >> 2) & 0x07;
                let format = seg & 0x03;
                if format == 3 || kind == 5 || kind == 7 {
                    return Err(EnipError::BadSegment {
                        segment: seg,
                        offset: base + seg_at,
                    });
                }
                let value = logical(&mut r, format).map_err(at(base))?;
                match kind {
                    0 => p.class = Some(value),
                    1 => p.instance = Some(value),
                    2 if in_symbol => {
                        push_bounded(tag, "[");
                        push_bounded(tag, itoa::Buffer::new().format(value));
                        push_bounded(tag, "]");
                        p.member = Some(value);
                    }
                    2 => p.member = Some(value),
                    3 => p.connection_point = Some(value),
                    4 => p.attribute = Some(value),
                    _ => {}
                }
            }
            2 => {
                // Network segments (Vol. 1 §C-1.4.3): one data byte, or a word count for the
                // extended form 0x5f.
                if seg == 0x5f {
                    let words = usize::from(r.u16_le("network_segment_size").map_err(at(base))?);
                    r.skip("network_segment", words * 2).map_err(at(base))?;
                } else {
                    r.skip("network_segment", 1).map_err(at(base))?;
                }
            }
            3 => {
                // Symbolic segment (Vol. 1 §C-1.4.4): the size in the low five bits.
                let size = usize::from(seg & 0x1f);
                if size == 0 {
                    // Extended string formats: a format byte then characters; kept raw.
                    let fmt = r.u8("extended_symbol_format").map_err(at(base))?;
                    let n = usize::from(fmt & 0x1f) * if fmt >> 5 == 1 { 2 } else { 1 };
                    r.skip("extended_symbol", n).map_err(at(base))?;
                } else {
                    let name = r.bytes("symbol", size).map_err(at(base))?;
                    symbol(tag, name, &mut p, &mut in_symbol);
                }
                if r.offset() % 2 == 1 && r.remaining() > 0 {
                    r.skip("pad", 1).map_err(at(base))?;
                }
            }
            4 => match seg {
                0x80 => {
                    let words = usize::from(r.u8("data_segment_size").map_err(at(base))?);
                    r.skip("data_segment", words * 2).map_err(at(base))?;
                }
                0x91 => {
                    let size = usize::from(r.u8("ansi_symbol_size").map_err(at(base))?);
                    let name = r.bytes("ansi_symbol", size).map_err(at(base))?;
                    symbol(tag, name, &mut p, &mut in_symbol);
                    if size % 2 == 1 && r.remaining() > 0 {
                        r.skip("pad", 1).map_err(at(base))?;
                    }
                }
                _ => {
                    return Err(EnipError::BadSegment {
                        segment: seg,
                        offset: base + seg_at,
                    });
                }
            },
            _ => {
                return Err(EnipError::BadSegment {
                    segment: seg,
                    offset: base + seg_at,
                });
            }
        }
    }
    Ok(p)
}

/// Append one symbol to the tag, dot-separated from the previous one.
fn symbol(tag: &mut String, name: &[u8], p: &mut Path<'_>, in_symbol: &mut bool) {
    if p.symbols > 0 {
        push_bounded(tag, ".");
    }
    push_symbol(tag, name);
    p.symbols += 1;
    *in_symbol = true;
}

/// Read a port segment's port number and link address (Vol. 1 §C-1.4.1); the segment byte is
/// already read.
fn port_segment<'a>(r: &mut Reader<'a>, seg: u8) -> Result<(u16, Link<'a>), Truncated> {
    let extended_link = seg & 0x10 != 0;
    let start = r.offset() - 1;
    let size = if extended_link {
        usize::from(r.u8("link_address_size")?)
    } else {
        1
    };
    let port = match seg & 0x0f {
        0x0f => r.u16_le("extended_port")?,
        p => u16::from(p),
    };
    let link = if extended_link {
        Link::Address(r.bytes("link_address", size)?)
    } else {
        Link::Node(r.u8("link_address")?)
    };
    if (r.offset() - start) % 2 == 1 && r.remaining() > 0 {
        r.skip("pad", 1)?;
    }
    Ok((port, link))
}

/// An Unconnected Send request (Vol. 1 §3-5.5.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnconnectedSend<'a> {
    /// Time-out ticks.
    pub timeout_ticks: u8,
    /// The embedded message request.
    pub message: &'a [u8],
    /// Where it is.
    pub message_offset: usize,
    /// The route path.
    pub route: &'a [u8],
    /// Where it is.
    pub route_offset: usize,
}

/// Read an Unconnected Send request's data, found at `base`.
pub fn unconnected_send(data: &[u8], base: usize) -> Result<UnconnectedSend<'_>, EnipError> {
    let mut r = Reader::new(data);
    r.u8("priority_tick_time").map_err(at(base))?;
    let timeout_ticks = r.u8("timeout_ticks").map_err(at(base))?;
    let size_at = r.offset();
    let size = usize::from(r.u16_le("message_request_size").map_err(at(base))?);
    let message_offset = base + r.offset();
    let message = r.bytes("message_request", size).map_err(|_| {
        EnipError::from(Located::BadLength {
            field: "message_request_size",
            offset: base + size_at,
            claimed: size,
            available: data.len().saturating_sub(4),
        })
    })?;
    if size % 2 == 1 {
        r.skip("pad", 1).map_err(at(base))?;
    }
    let words = usize::from(r.u8("route_path_size").map_err(at(base))?);
    r.skip("reserved", 1).map_err(at(base))?;
    let route_offset = base + r.offset();
    let route = r.bytes("route_path", words * 2).map_err(at(base))?;
    Ok(UnconnectedSend {
        timeout_ticks,
        message,
        message_offset,
        route,
        route_offset,
    })
}

/// The embedded services of a Multiple Service Packet request or reply (Vol. 1 § ),
/// each as (bytes, offset in the message).
#[derive(Debug, Clone)]
pub struct Embedded<'a> {
    data: &'a [u8],
    base: usize,
    /// How many services the packet claims.
    pub count: usize,
    index: usize,
}

impl<'a> Embedded<'a> {
    /// Start reading the packet data `data`, found at `base`.
    pub fn new(data: &'a [u8], base: usize) -> Result<Embedded<'a>, EnipError> {
        let mut r = Reader::new(data);
        let count = usize::from(r.u16_le("number_of_services").map_err(at(base))?);
        if 2 + count * 2 > data.len() {
            return Err(EnipError::from(Located::BadLength {
                field: "number_of_services",
                offset: base,
                claimed: 2 + count * 2,
                available: data.len(),
            }));
        }
        Ok(Embedded {
            data,
            base,
            count,
            index: 0,
        })
    }

    fn offset_at(&self, i: usize) -> Option<usize> {
        let at = 2 + i * 2;
        match self.data.get(at..at + 2) {
            Some(&[lo, hi]) => Some(usize::from(u16::from_le_bytes([lo, hi]))),
            _ => None,
        }
    }
}

impl<'a> Iterator for Embedded<'a> {
    type Item = Result<(&'a [u8], usize), EnipError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.index >= self.count.min(MAX_EMBEDDED) {
            return None;
        }
        let i = self.index;
        self.index += 1;
        let low = 2 + self.count * 2;
        let start = self.offset_at(i)?;
        let end = match self.offset_at(i + 1) {
            Some(next) if i + 1 < self.count => next,
            _ => self.data.len(),
        };
        if start < low || start > end || end > self.data.len() {
            self.index = self.count;
            return Some(Err(EnipError::BadServiceOffset {
                index: i,
                offset: self.base + 2 + i * 2,
                value: start,
                low,
                high: self.data.len().min(end.max(low)) + 1,
            }));
        }
        Some(Ok((self.data.get(start..end)?, self.base + start)))
    }
}

/// A Forward Open or Large Forward Open request (Vol. 1 §3-5.5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForwardOpen<'a> {
    /// Originator-to-target connection id (chosen by the target; often 0 here).
    pub ot_connection_id: u32,
    /// Target-to-originator connection id (chosen by the originator).
    pub to_connection_id: u32,
    /// Connection serial number.
    pub serial: u16,
    /// Originator vendor id.
    pub vendor: u16,
    /// Originator serial number.
    pub originator_serial: u32,
    /// Connection timeout multiplier.
    pub timeout_multiplier: u8,
    /// Requested packet interval, originator to target, in microseconds.
    pub ot_rpi: u32,
    /// Network connection parameters, originator to target.
    pub ot_params: u32,
    /// Requested packet interval, target to originator, in microseconds.
    pub to_rpi: u32,
    /// Network connection parameters, target to originator.
    pub to_params: u32,
    /// Transport class and trigger.
    pub transport: u8,
    /// The connection path.
    pub path: &'a [u8],
    /// Where it is.
    pub path_offset: usize,
}

/// Read a (Large) Forward Open request's data, found at `base`.
pub fn forward_open(data: &[u8], base: usize, large: bool) -> Result<ForwardOpen<'_>, EnipError> {
    let mut r = Reader::new(data);
    let e = at(base);
    let params = |r: &mut Reader<'_>| -> Result<u32, Truncated> {
        if large {
            r.u32_le("network_connection_parameters")
        } else {
            r.u16_le("network_connection_parameters").map(u32::from)
        }
    };
    r.u8("priority_tick_time").map_err(&e)?;
    r.u8("timeout_ticks").map_err(&e)?;
    let ot_connection_id = r.u32_le("ot_connection_id").map_err(&e)?;
    let to_connection_id = r.u32_le("to_connection_id").map_err(&e)?;
    let serial = r.u16_le("connection_serial").map_err(&e)?;
    let vendor = r.u16_le("originator_vendor_id").map_err(&e)?;
    let originator_serial = r.u32_le("originator_serial").map_err(&e)?;
    let timeout_multiplier = r.u8("timeout_multiplier").map_err(&e)?;
    r.skip("reserved", 3).map_err(&e)?;
    let ot_rpi = r.u32_le("ot_rpi").map_err(&e)?;
    let ot_params = params(&mut r).map_err(&e)?;
    let to_rpi = r.u32_le("to_rpi").map_err(&e)?;
    let to_params = params(&mut r).map_err(&e)?;
    let transport = r.u8("transport_type_trigger").map_err(&e)?;
    let words = usize::from(r.u8("connection_path_size").map_err(&e)?);
    let path_offset = base + r.offset();
    let path = r.bytes("connection_path", words * 2).map_err(&e)?;
    Ok(ForwardOpen {
        ot_connection_id,
        to_connection_id,
        serial,
        vendor,
        originator_serial,
        timeout_multiplier,
        ot_rpi,
        ot_params,
        to_rpi,
        to_params,
        transport,
        path,
        path_offset,
    })
}

/// A successful Forward Open reply (Vol. 1 §3-5.5.2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForwardOpenReply {
    /// Originator-to-target connection id, as the target chose it.
    pub ot_connection_id: u32,
    /// Target-to-originator connection id.
    pub to_connection_id: u32,
    /// Connection serial number.
    pub serial: u16,
    /// Originator vendor id.
    pub vendor: u16,
    /// Originator serial number.
    pub originator_serial: u32,
    /// Actual packet interval, originator to target, in microseconds.
    pub ot_api: u32,
    /// Actual packet interval, target to originator, in microseconds.
    pub to_api: u32,
}

/// Read a successful Forward Open reply's data, found at `base`.
pub fn forward_open_reply(data: &[u8], base: usize) -> Result<ForwardOpenReply, EnipError> {
    let mut r = Reader::new(data);
    let e = at(base);
    Ok(ForwardOpenReply {
        ot_connection_id: r.u32_le("ot_connection_id").map_err(&e)?,
        to_connection_id: r.u32_le("to_connection_id").map_err(&e)?,
        serial: r.u16_le("connection_serial").map_err(&e)?,
        vendor: r.u16_le("originator_vendor_id").map_err(&e)?,
        originator_serial: r.u32_le("originator_serial").map_err(&e)?,
        ot_api: r.u32_le("ot_api").map_err(&e)?,
        to_api: r.u32_le("to_api").map_err(&e)?,
    })
}

/// A Forward Close request (Vol. 1 §3-5.5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForwardClose<'a> {
    /// Connection serial number.
    pub serial: u16,
    /// Originator vendor id.
    pub vendor: u16,
    /// Originator serial number.
    pub originator_serial: u32,
    /// The connection path.
    pub path: &'a [u8],
    /// Where it is.
    pub path_offset: usize,
}

/// Read a Forward Close request's data, found at `base`.
pub fn forward_close(data: &[u8], base: usize) -> Result<ForwardClose<'_>, EnipError> {
    let mut r = Reader::new(data);
    let e = at(base);
    r.u8("priority_tick_time").map_err(&e)?;
    r.u8("timeout_ticks").map_err(&e)?;
    let serial = r.u16_le("connection_serial").map_err(&e)?;
    let vendor = r.u16_le("originator_vendor_id").map_err(&e)?;
    let originator_serial = r.u32_le("originator_serial").map_err(&e)?;
    let words = usize::from(r.u8("connection_path_size").map_err(&e)?);
    r.skip("reserved", 1).map_err(&e)?;
    let path_offset = base + r.offset();
    let path = r.bytes("connection_path", words * 2).map_err(&e)?;
    Ok(ForwardClose {
        serial,
        vendor,
        originator_serial,
        path,
        path_offset,
    })
}

/// The Identity object's instance attributes 1–8 as Get_Attributes_All returns them and as a
/// ListIdentity item carries them (Vol. 1 §5A-2.2, Vol. 2 Table 2-4.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity<'a> {
    /// Vendor id.
    pub vendor: u16,
    /// Device type (profile).
    pub device_type: u16,
    /// Product code.
    pub product_code: u16,
    /// Major revision.
    pub major: u8,
    /// Minor revision.
    pub minor: u8,
    /// Status word.
    pub status: u16,
    /// Serial number.
    pub serial: u32,
    /// Product name (SHORT_STRING contents).
    pub product_name: &'a [u8],
    /// State, when present.
    pub state: Option<u8>,
}

/// Read identity attributes from `r`: vendor through product name, then the optional state.
fn identity_attributes<'a>(r: &mut Reader<'a>) -> Result<Identity<'a>, Truncated> {
    let vendor = r.u16_le("vendor_id")?;
    let device_type = r.u16_le("device_type")?;
    let product_code = r.u16_le("product_code")?;
    let major = r.u8("major_revision")?;
    let minor = r.u8("minor_revision")?;
    let status = r.u16_le("status")?;
    let serial = r.u32_le("serial_number")?;
    let len = usize::from(r.u8("product_name_length")?);
    let product_name = r.bytes("product_name", len)?;
    let state = r.u8("state").ok();
    Ok(Identity {
        vendor,
        device_type,
        product_code,
        major,
        minor,
        status,
        serial,
        product_name,
        state,
    })
}

/// Read the reply data of Get_Attributes_All on an Identity instance, found at `base`.
pub fn identity(data: &[u8], base: usize) -> Result<Identity<'_>, EnipError> {
    identity_attributes(&mut Reader::new(data)).map_err(at(base))
}

/// One CIP Identity item of a ListIdentity reply (Vol. 2 Table 2-4.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdentityItem<'a> {
    /// Encapsulation protocol version.
    pub version: u16,
    /// The socket address the device states (sin_addr, big-endian).
    pub address: Ipv4Addr,
    /// Its port (sin_port, big-endian).
    pub port: u16,
    /// The identity attributes.
    pub identity: Identity<'a>,
}

/// Read a CIP Identity item's data, found at `base`.
pub fn identity_item(data: &[u8], base: usize) -> Result<IdentityItem<'_>, EnipError> {
    let mut r = Reader::new(data);
    let e = at(base);
    let version = r.u16_le("encapsulation_version").map_err(&e)?;
    let (address, port) = read_sockaddr(&mut r).map_err(&e)?;
    let identity = identity_attributes(&mut r).map_err(&e)?;
    Ok(IdentityItem {
        version,
        address,
        port,
        identity,
    })
}

/// Read a socket address (Vol. 2 §2-6.3.3): sin_family, sin_port and sin_addr big-endian,
/// then eight zero bytes.
fn read_sockaddr(r: &mut Reader<'_>) -> Result<(Ipv4Addr, u16), Truncated> {
    r.u16("sin_family")?;
    let port = r.u16("sin_port")?;
    let address = Ipv4Addr::from(r.u32("sin_addr")?);
    r.skip("sin_zero", 8)?;
    Ok((address, port))
}

/// Read a socket address info item's data, found at `base`: the address and port a
/// connection's UDP packets are to be sent to.
pub fn sockaddr(data: &[u8], base: usize) -> Result<(Ipv4Addr, u16), EnipError> {
    read_sockaddr(&mut Reader::new(data)).map_err(at(base))
}

/// A ListServices reply item (Vol. 2 Table 2-4.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceItem<'a> {
    /// Protocol version.
    pub version: u16,
    /// Capability flags: bit 5 CIP over TCP, bit 8 class 0/1 over UDP.
    pub capabilities: u16,
    /// Name of the service (16 bytes, NUL-padded).
    pub name: &'a [u8],
}

/// Read a ListServices item's data, found at `base`.
pub fn service_item(data: &[u8], base: usize) -> Result<ServiceItem<'_>, EnipError> {
    let mut r = Reader::new(data);
    let e = at(base);
    Ok(ServiceItem {
        version: r.u16_le("protocol_version").map_err(&e)?,
        capabilities: r.u16_le("capability_flags").map_err(&e)?,
        name: r.bytes("service_name", 16).map_err(&e)?,
    })
}

/// RegisterSession data (Vol. 2 §2-4.4): protocol version and option flags.
pub fn register_session(data: &[u8], base: usize) -> Result<(u16, u16), EnipError> {
    let mut r = Reader::new(data);
    let e = at(base);
    Ok((
        r.u16_le("protocol_version").map_err(&e)?,
        r.u16_le("options").map_err(&e)?,
    ))
}

/// The fixed part of a Logix tag service request (1756-PM020 "Read Tag", "Write Tag" and
/// their fragmented forms).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TagRequest {
    /// Data type of a write (0xc4 DINT, 0x02a0 structure, …).
    pub data_type: Option<u16>,
    /// Elements read or written.
    pub elements: Option<u16>,
    /// Byte offset of a fragmented transfer.
    pub offset: Option<u32>,
}

/// Read a tag service's data, found at `base`: `write` when it starts with a data type,
/// `fragmented` when an offset follows the element count.
pub fn tag_request(
    data: &[u8],
    base: usize,
    write: bool,
    fragmented: bool,
) -> Result<TagRequest, EnipError> {
    let mut r = Reader::new(data);
    let e = at(base);
    let mut t = TagRequest::default();
    if write {
        let data_type = r.u16_le("data_type").map_err(&e)?;
        if data_type == 0x02a0 {
            r.u16_le("structure_handle").map_err(&e)?;
        }
        t.data_type = Some(data_type);
    }
    t.elements = Some(r.u16_le("element_count").map_err(&e)?);
    if fragmented {
        t.offset = Some(r.u32_le("byte_offset").map_err(&e)?);
    }
    Ok(t)
}

/// The PCCC command of an Execute PCCC request or reply (Rockwell PCCC object; the command
/// layout of 1770-6.5.16 §7-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PcccCommand {
    /// CMD, without the reply bit.
    pub command: u8,
    /// STS.
    pub status: u8,
    /// Transaction number.
    pub tns: u16,
    /// FNC, for commands that have one (requests only).
    pub function: Option<u8>,
}

/// Read an Execute PCCC request's or reply's data, found at `base`.
pub fn pccc(data: &[u8], base: usize, request: bool) -> Result<PcccCommand, EnipError> {
    let mut r = Reader::new(data);
    let e = at(base);
    let id_len = usize::from(r.u8("requester_id_length").map_err(&e)?);
    if id_len == 0 {
        return Err(EnipError::from(Located::BadLength {
            field: "requester_id_length",
            offset: base,
            claimed: 0,
            available: data.len(),
        }));
    }
    r.skip("requester_id", id_len - 1).map_err(&e)?;
    let command = r.u8("pccc_command").map_err(&e)? & !0x40;
    let status = r.u8("pccc_status").map_err(&e)?;
    let tns = r.u16_le("pccc_tns").map_err(&e)?;
    let function = if request && super::message::pccc_has_function(command) {
        Some(r.u8("pccc_function").map_err(&e)?)
    } else {
        None
    };
    Ok(PcccCommand {
        command,
        status,
        tns,
        function,
    })
}

/// A class 0/1 I/O datagram (Vol. 2 §2-6.3.3): sequenced address and connected data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IoPacket<'a> {
    /// Connection id.
    pub connection_id: u32,
    /// Encapsulation sequence number.
    pub sequence: u32,
    /// The connected data (class 1: a 16-bit sequence count first).
    pub data: &'a [u8],
}

/// Read a CIP I/O datagram.
pub fn io_packet(datagram: &[u8]) -> Result<IoPacket<'_>, EnipError> {
    let mut address = None;
    let mut data = None;
    for item in Items::new(datagram, 0)? {
        let item = item?;
        match item.type_id {
            super::message::item::SEQUENCED_ADDRESS => {
                let mut r = Reader::new(item.data);
                let e = at(item.offset);
                address = Some((
                    r.u32_le("connection_id").map_err(&e)?,
                    r.u32_le("sequence_number").map_err(&e)?,
                ));
            }
            super::message::item::CONNECTED_DATA => data = Some(item.data),
            _ => {}
        }
    }
    let Some((connection_id, sequence)) = address else {
        return Err(EnipError::MissingItem {
            command: "cip_io",
            offset: 0,
            wanted: "sequenced_address",
        });
    };
    Ok(IoPacket {
        connection_id,
        sequence,
        data: data.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An encapsulation header (Vol. 2 §2-3.1): command, length, session, status, context.
    fn header(command: u16, length: u16) -> Vec<u8> {
        let mut h = command.to_le_bytes().to_vec();
        h.extend_from_slice(&length.to_le_bytes()); // length
        h.extend_from_slice(&0x1302_0500u32.to_le_bytes()); // session handle
        h.extend_from_slice(&[0; 4]); // status: success
        h.extend_from_slice(b"ctx-0001"); // sender context
        h.extend_from_slice(&[0; 4]); // options
        h
    }

    #[test]
    fn reads_the_encapsulation_header() {
        let h = Header::read(&header(0x6f, 38)).expect("24 bytes");
        assert_eq!(h.command, Command::SEND_RR_DATA);
        assert_eq!(h.length, 38);
        assert_eq!(h.session, 0x1302_0500);
        assert_eq!(&h.context, b"ctx-0001");
        assert!(Header::read(&[0x6f, 0]).is_err());
    }

    #[test]
    fn reads_class_instance_attribute_and_symbolic_paths() {
        let (mut tag, mut route) = (String::new(), String::new());
        // Vol. 1 §C-1.4.2: 8-bit class 0x01, 16-bit instance 0x0102, 8-bit attribute 7.
        let logical = [0x20, 0x01, 0x25, 0x00, 0x02, 0x01, 0x30, 0x07];
        let p = path(&logical, 0, &mut tag, &mut route).expect("valid path");
        assert_eq!(
            (p.class, p.instance, p.attribute),
            (Some(1), Some(0x102), Some(7))
        );
        // 1756-PM020: ANSI extended symbols "Prog" and "Tag", element 3 of the second.
        let symbolic = [
            0x91, 0x04, b'P', b'r', b'o', b'g', // "Prog"
            0x91, 0x03, b'T', b'a', b'g', 0x00, // "Tag", pad
            0x28, 0x03, // 8-bit member (element) 3
        ];
        let p = path(&symbolic, 0, &mut tag, &mut route).expect("valid path");
        assert_eq!(tag, "Prog.Tag[3]");
        assert_eq!(p.symbols, 2);
        // Reserved logical format 3.
        let err = path(&[0x23, 0x00], 10, &mut tag, &mut route).expect_err("reserved");
        assert_eq!(err.code(), "bad_path_segment");
        assert_eq!(err.offset(), 10);
    }

    #[test]
    fn reads_port_segments_as_a_route() {
        let (mut tag, mut route) = (String::new(), String::new());
        // Vol. 1 §C-1.4.1: backplane port 1, slot 3; then port 2, extended link "10.0.0.5".
        let bytes = [
            0x01, 0x03, // port 1, link 3
            0x12, 0x08, b'1', b'0', b'.', b'0', b'.', b'0', b'.', b'5', // port 2, 8 bytes
        ];
        let p = path(&bytes, 0, &mut tag, &mut route).expect("valid route");
        assert_eq!(p.port, Some((1, Link::Node(3))));
        assert_eq!(route, "1/3,2/10.0.0.5");
    }

    #[test]
    fn bounds_tag_text_and_escapes_binary_symbols() {
        let (mut tag, mut route) = (String::new(), String::new());
        let mut bytes = Vec::new();
        for _ in 0..20 {
            bytes.extend_from_slice(&[0x91, 0x1e]);
            bytes.extend_from_slice(&[b'x'; 0x1e]);
        }
        path(&bytes, 0, &mut tag, &mut route).expect("valid path");
        assert!(tag.len() <= MAX_TEXT && tag.ends_with('…'));
        tag.clear();
        path(&[0x91, 0x02, 0x07, b'a'], 0, &mut tag, &mut route).expect("valid path");
        assert_eq!(tag, "\\x07a");
    }

    #[test]
    fn reads_an_unconnected_send_with_its_embedded_request() {
        let data = [
            0x07, 0xe9, // priority/tick, timeout ticks 233
            0x06, 0x00, // message size 6
            0x01, 0x02, 0x20, 0x01, 0x24, 0x01, // Get_Attributes_All identity instance 1
            0x01, 0x00, // route path size 1 word, reserved
            0x01, 0x02, // port 1, slot 2
        ];
        let u = unconnected_send(&data, 40).expect("valid");
        assert_eq!(u.timeout_ticks, 0xe9);
        assert_eq!(u.message_offset, 44);
        assert_eq!(u.route, &[0x01, 0x02]);
        let Cip::Request(req) = cip(u.message, u.message_offset).expect("cip") else {
            panic!("a request");
        };
        assert_eq!(req.service, 0x01);
        let mut bad = data;
        bad[2] = 0x40; // message size 64
        assert_eq!(
            unconnected_send(&bad, 0).expect_err("too long").code(),
            "bad_length"
        );
    }

    #[test]
    fn walks_multiple_service_packet_offsets_and_rejects_bad_ones() {
        let data = [
            0x02, 0x00, // two services
            0x06, 0x00, 0x0a, 0x00, // offsets 6 and 10
            0x4c, 0x01, 0x20, 0x6b, // read tag, path class 0x6b
            0x4c, 0x01, 0x20, 0x6c, // read tag, path class 0x6c
        ];
        let services: Vec<_> = Embedded::new(&data, 0)
            .expect("count")
            .collect::<Result<_, _>>()
            .expect("valid offsets");
        assert_eq!(services.len(), 2);
        assert_eq!(services[1], (&data[10..14], 10));
        let mut bad = data;
        bad[4] = 0x40; // second offset past the end
        let err = Embedded::new(&bad, 0)
            .expect("count")
            .find_map(Result::err)
            .expect("an error");
        assert_eq!(err.code(), "bad_service_offset");
        let huge = [0xff, 0xff, 0x00];
        assert_eq!(
            Embedded::new(&huge, 0).expect_err("too many").code(),
            "bad_length"
        );
    }

    #[test]
    fn reads_a_list_identity_item() {
        let mut item = vec![
            0x01, 0x00, // encapsulation version 1
            0x00, 0x02, 0xaf, 0x12, // AF_INET, port 44818
            10, 1, 1, 164, // sin_addr
        ];
        item.extend_from_slice(&[0; 8]); // sin_zero
        item.extend_from_slice(&[
            0x01, 0x00, // vendor 1
            0x0c, 0x00, // device type 12
            0x3a, 0x00, // product code 58
            0x04, 0x03, // revision 4.03
            0x30, 0x00, // status
            0x8e, 0x4d, 0x52, 0x00, // serial 0x00524d8e
            0x0b, // name length 11
        ]);
        item.extend_from_slice(b"1756-ENBT/A");
        item.push(0x03); // state
        let i = identity_item(&item, 0).expect("valid item");
        assert_eq!(i.address, Ipv4Addr::new(10, 1, 1, 164));
        assert_eq!(i.port, 44818);
        assert_eq!(i.identity.serial, 0x0052_4d8e);
        assert_eq!(i.identity.product_name, b"1756-ENBT/A");
        assert_eq!(i.identity.state, Some(3));
        assert_eq!((i.identity.major, i.identity.minor), (4, 3));
    }

    #[test]
    fn reads_forward_open_and_its_reply() {
        let mut data = vec![
            0x0a, 0x0e, // priority/tick, timeout ticks
            0x00, 0x00, 0x00, 0x00, // O->T id 0
            0x01, 0x03, 0x8b, 0x00, // T->O id 0x008b0301
            0x34, 0x12, // connection serial 0x1234
            0x01, 0x00, // vendor 1
            0x78, 0x56, 0x34, 0x12, // originator serial
            0x01, 0x00, 0x00, 0x00, // multiplier, reserved
            0x40, 0x42, 0x0f, 0x00, // O->T RPI 1 s
            0xf4, 0x43, // O->T parameters
            0x40, 0x42, 0x0f, 0x00, // T->O RPI 1 s
            0xf4, 0x43, // T->O parameters
            0xa3, // transport class 3
            0x03, // path size 3 words
            0x01, 0x00, 0x20, 0x02, 0x24, 0x01, // port 1 slot 0, message router
        ];
        let f = forward_open(&data, 0, false).expect("valid");
        assert_eq!(f.to_connection_id, 0x008b_0301);
        assert_eq!(f.ot_rpi, 1_000_000);
        assert_eq!(f.transport, 0xa3);
        assert_eq!(f.path.len(), 6);
        data.truncate(20);
        assert_eq!(
            forward_open(&data, 0, false).expect_err("short").code(),
            "truncated"
        );
    }

    #[test]
    fn reads_pccc_command_and_function() {
        let data = [
            0x07, // requester id length 7
            0x01, 0x00, 0x78, 0x56, 0x34, 0x12, // vendor, serial
            0x0f, 0x00, 0x2a, 0x00, // CMD 0x0f, STS 0, TNS 42
            0x80, 0x01, // FNC change mode, mode
        ];
        let p = pccc(&data, 0, true).expect("valid");
        assert_eq!((p.command, p.tns, p.function), (0x0f, 42, Some(0x80)));
        assert_eq!(
            pccc(&[0x00], 0, true).expect_err("zero").code(),
            "bad_length"
        );
    }

    #[test]
    fn reads_an_io_datagram() {
        let data = [
            0x02, 0x00, // two items
            0x02, 0x80, 0x08, 0x00, // sequenced address, 8 bytes
            0x0c, 0x18, 0x4b, 0x00, // connection id 0x004b180c
            0xe6, 0x93, 0x3f, 0x00, // sequence
            0xb1, 0x00, 0x02, 0x00, 0x05, 0x00, // connected data, 2 bytes
        ];
        let p = io_packet(&data).expect("valid");
        assert_eq!(p.connection_id, 0x004b_180c);
        assert_eq!(p.data, &[0x05, 0x00]);
        assert_eq!(
            io_packet(&[0x00, 0x00]).expect_err("empty").code(),
            "missing_item"
        );
    }
}
