//! Pure functions over `&[u8]`: the S7comm header and the parameters of each function.

use std::fmt::Write as _;

use rampart_dissect::{Reader, Truncated};

use super::message::{Rosctr, UserdataType, area_name, transport_size_name};
use crate::label::push_hex_byte;

/// The S7comm protocol id, first octet of every PDU.
pub const PROTOCOL_ID: u8 = 0x32;
/// Octets of a job or user data header; ack and ack_data add error class and code.
const SHORT_HEADER: usize = 10;

/// Why a PDU could not be read, located.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum S7Error {
    /// The first octet is not 0x32.
    #[error("protocol id {found:#04x} at offset 0 is not 0x32")]
    ProtocolId {
        /// The octet found.
        found: u8,
    },
    /// A field runs past the end of its PDU or parameter.
    #[error(transparent)]
    Truncated(#[from] Truncated),
    /// Parameter and data lengths claim more than the PDU holds.
    #[error(
        "parameter length {param_len} and data length {data_len} at offset 6 claim {claimed} octets after the header, {available} present"
    )]
    Lengths {
        /// Parameter length field.
        param_len: u16,
        /// Data length field.
        data_len: u16,
        /// Their sum.
        claimed: usize,
        /// Octets after the header.
        available: usize,
    },
    /// A variable item does not start with the variable specification octet 0x12.
    #[error("item {index} at parameter offset {offset} starts with {found:#04x}, not 0x12")]
    Item {
        /// Offset within the parameter.
        offset: usize,
        /// Which item (0-based).
        index: usize,
        /// The octet found.
        found: u8,
    },
}

impl S7Error {
    /// Return the anomaly code.
    pub fn code(&self) -> &'static str {
        match self {
            S7Error::ProtocolId { .. } => "bad_protocol_id",
            S7Error::Truncated(_) => "truncated",
            S7Error::Lengths { .. } => "bad_length",
            S7Error::Item { .. } => "bad_item",
        }
    }

    /// Return the offset of the offending field (within the PDU, or the parameter for items).
    pub fn offset(&self) -> usize {
        match *self {
            S7Error::ProtocolId { .. } => 0,
            S7Error::Truncated(t) => t.offset,
            S7Error::Lengths { .. } => 6,
            S7Error::Item { offset, .. } => offset,
        }
    }
}

/// The fixed header of a PDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// PDU type.
    pub rosctr: Rosctr,
    /// Redundancy identification (reserved, zero).
    pub redundancy: u16,
    /// PDU reference, echoed by the response.
    pub pdu_ref: u16,
    /// Parameter length.
    pub param_len: u16,
    /// Data length.
    pub data_len: u16,
    /// Error class and code (ack and ack_data only).
    pub error: Option<(u8, u8)>,
}

/// A PDU split into its header, parameter and data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pdu<'a> {
    /// The header.
    pub header: Header,
    /// The parameter.
    pub param: &'a [u8],
    /// The data.
    pub data: &'a [u8],
    /// Octets after parameter and data (the lengths claim fewer than present).
    pub trailing: usize,
}

/// Split a PDU. Fails when the header is cut or the lengths claim more than present.
pub fn pdu(bytes: &[u8]) -> Result<Pdu<'_>, S7Error> {
    let mut r = Reader::new(bytes);
    let id = r.u8("protocol id")?;
    if id != PROTOCOL_ID {
        return Err(S7Error::ProtocolId { found: id });
    }
    let rosctr = Rosctr(r.u8("rosctr")?);
    let redundancy = r.u16("redundancy identification")?;
    let pdu_ref = r.u16("pdu reference")?;
    let param_len = r.u16("parameter length")?;
    let data_len = r.u16("data length")?;
    let error = if rosctr.has_error() {
        Some((r.u8("error class")?, r.u8("error code")?))
    } else {
        None
    };
    let claimed = usize::from(param_len) + usize::from(data_len);
    if claimed > r.remaining() {
        return Err(S7Error::Lengths {
            param_len,
            data_len,
            claimed,
            available: r.remaining(),
        });
    }
    let param = r.bytes("parameter", param_len.into())?;
    let data = r.bytes("data", data_len.into())?;
    Ok(Pdu {
        header: Header {
            rosctr,
            redundancy,
            pdu_ref,
            param_len,
            data_len,
            error,
        },
        param,
        data,
        trailing: r.remaining(),
    })
}

/// The header length of a PDU type, for offsets.
pub fn header_len(rosctr: Rosctr) -> usize {
    if rosctr.has_error() {
        SHORT_HEADER + 2
    } else {
        SHORT_HEADER
    }
}

/// Setup communication parameters (function 0xf0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setup {
    /// Jobs the calling side may have outstanding.
    pub max_amq_calling: u16,
    /// Jobs the called side may have outstanding.
    pub max_amq_called: u16,
    /// Largest PDU, octets.
    pub pdu_length: u16,
}

/// Read a setup communication parameter: function, reserved, two AmQ counts, PDU length.
pub fn setup(param: &[u8]) -> Result<Setup, Truncated> {
    let mut r = Reader::new(param);
    r.skip("function and reserved", 2)?;
    Ok(Setup {
        max_amq_calling: r.u16("max AmQ calling")?,
        max_amq_called: r.u16("max AmQ called")?,
        pdu_length: r.u16("PDU length")?,
    })
}

/// An S7ANY address: area, DB, byte and bit, type and count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnyAddress {
    /// Transport size (data type).
    pub transport_size: u8,
    /// Number of elements.
    pub length: u16,
    /// Data block number (DB and DI areas).
    pub db: u16,
    /// Memory area.
    pub area: u8,
    /// `byte * 8 + bit`, or the number of a counter or timer.
    pub address: u32,
}

impl AnyAddress {
    /// Write the address in the S7 ANY-pointer notation: `P#DB1.DBX10.0 BYTE 4`,
    /// `P#M0.0 BIT 1`, `P#C5 COUNTER 1`.
    pub fn write(&self, out: &mut String) {
        let (byte, bit) = (self.address >> 3, self.address & 7);
        let mut number = itoa::Buffer::new();
        out.push_str("P#");
        match (self.area, area_name(self.area)) {
            (0x84 | 0x85, _) => {
                let (block, area) = if self.area == 0x84 {
                    ("DB", ".DBX")
                } else {
                    ("DI", ".DIX")
                };
                out.push_str(block);
                out.push_str(number.format(self.db));
                out.push_str(area);
                push_byte_bit(out, byte, bit);
            }
            (0x1c..=0x1f, Some(name)) => {
                out.push_str(name);
                out.push_str(number.format(self.address));
            }
            (_, Some(name)) => {
                out.push_str(name);
                push_byte_bit(out, byte, bit);
            }
            (area, None) => {
                push_code(out, area);
                out.push(':');
                push_byte_bit(out, byte, bit);
            }
        }
        out.push(' ');
        match transport_size_name(self.transport_size) {
            Some(size) => out.push_str(size),
            None => push_code(out, self.transport_size),
        }
        out.push(' ');
        out.push_str(number.format(self.length));
    }
}

/// Append `byte.bit`. Addresses are written per item of every read, so without `core::fmt`.
fn push_byte_bit(out: &mut String, byte: u32, bit: u32) {
    out.push_str(itoa::Buffer::new().format(byte));
    out.push('.');
    out.push(char::from(b'0' + (bit & 7) as u8));
}

/// Append `0x` and two lowercase hex digits.
fn push_code(out: &mut String, value: u8) {
    out.push_str("0x");
    push_hex_byte(out, value);
}

/// One variable item of a read or write job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item<'a> {
    /// Syntax S7ANY (0x10).
    Any(AnyAddress),
    /// Syntax DBREAD (0xb0): several DB ranges; the raw list after the count octet.
    DbRead(&'a [u8]),
    /// Another syntax, kept raw.
    Other {
        /// The syntax id.
        syntax: u8,
        /// The address specification after it.
        spec: &'a [u8],
    },
}

/// The items of a read or write var job parameter: function, count, items.
#[derive(Debug, Clone)]
pub struct Items<'a> {
    r: Reader<'a>,
    /// The item count octet.
    pub count: u8,
    index: usize,
    failed: bool,
}

impl<'a> Items<'a> {
    /// Start reading the items of `param`.
    pub fn new(param: &'a [u8]) -> Items<'a> {
        let mut r = Reader::new(param);
        let count = r
            .u8("function")
            .and_then(|_| r.u8("item count"))
            .unwrap_or(0);
        Items {
            r,
            count,
            index: 0,
            failed: false,
        }
    }
}

impl<'a> Iterator for Items<'a> {
    type Item = Result<Item<'a>, S7Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.index >= usize::from(self.count) {
            return None;
        }
        let result = self.item();
        self.index += 1;
        self.failed = result.is_err();
        Some(result)
    }
}

impl<'a> Items<'a> {
    fn item(&mut self) -> Result<Item<'a>, S7Error> {
        let offset = self.r.offset();
        let spec = self.r.u8("variable specification")?;
        if spec != 0x12 {
            return Err(S7Error::Item {
                offset,
                index: self.index,
                found: spec,
            });
        }
        let len = self.r.u8("address specification length")?;
        let body = self.r.bytes("address specification", len.into())?;
        let mut a = Reader::new(body);
        let syntax = a.u8("syntax id")?;
        Ok(match syntax {
            0x10 => Item::Any(AnyAddress {
                transport_size: a.u8("transport size")?,
                length: a.u16("length")?,
                db: a.u16("DB number")?,
                area: a.u8("area")?,
                address: {
                    let b = a.bytes("address", 3)?;
                    u32::from_be_bytes([0, b[0], b[1], b[2]])
                },
            }),
            0xb0 => Item::DbRead(a.rest().get(1..).unwrap_or_default()),
            _ => Item::Other {
                syntax,
                spec: a.rest(),
            },
        })
    }
}

/// The DB ranges of a DBREAD item: (length in octets, DB number, start byte), five octets each.
pub fn db_ranges(list: &[u8]) -> impl Iterator<Item = (u8, u16, u16)> + '_ {
    list.chunks_exact(5).map(|c| {
        (
            c[0],
            u16::from_be_bytes([c[1], c[2]]),
            u16::from_be_bytes([c[3], c[4]]),
        )
    })
}

/// One item of a read var response: its return code and value octets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataItem<'a> {
    /// Return code (0xff success).
    pub return_code: u8,
    /// Data transport size.
    pub transport_size: u8,
    /// The value.
    pub value: &'a [u8],
}

/// Read the data items of a read var response (or write var job): return code, transport
/// size, length (bits for sizes 3, 4 and 5), value (only when the return code is success),
/// and a fill octet after odd values but the last. Stops quietly at the end of the data.
pub fn data_items(data: &[u8], count: usize) -> impl Iterator<Item = DataItem<'_>> + '_ {
    let mut r = Reader::new(data);
    (0..count).map_while(move |i| {
        let return_code = r.u8("return code").ok()?;
        let transport_size = r.u8("transport size").ok()?;
        let length = usize::from(r.u16("length").ok()?);
        let octets = match transport_size {
            0x03..=0x05 => length.div_ceil(8),
            _ => length,
        };
        // Failed items carry no value, whatever their length field says.
        let octets = if return_code == 0xff { octets } else { 0 };
        let value = r.bytes("value", octets.min(r.remaining())).ok()?;
        if octets % 2 == 1 && i + 1 < count {
            let _ = r.skip("fill octet", 1);
        }
        Some(DataItem {
            return_code,
            transport_size,
            value,
        })
    })
}

/// A block named by a file name `_0A00001P`: identifier, type, number, file system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockName<'a> {
    /// The two characters of the block type (`0A`).
    pub block_type: &'a [u8],
    /// The block number.
    pub number: Option<u32>,
    /// Destination file system (`P` passive, `A` active, `B` both).
    pub filesystem: u8,
}

/// Read the block type, number and file system of a file name or PI parameter
/// (`0A00001P`, without the leading `_`).
pub fn block_name(name: &[u8]) -> Option<BlockName<'_>> {
    let (block_type, rest) = name.split_at_checked(2)?;
    let (digits, fs) = rest.split_at_checked(5)?;
    let number = std::str::from_utf8(digits)
        .ok()
        .and_then(|s| s.parse().ok());
    Some(BlockName {
        block_type,
        number,
        filesystem: fs.first().copied().unwrap_or(b'?'),
    })
}

/// What a download or upload parameter (functions 0x1a to 0x1f) carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BlockControl<'a> {
    /// Function status (bit 0: more data follows, bit 1: error).
    pub status: Option<u8>,
    /// Error code of download ended / end upload.
    pub error_code: Option<u16>,
    /// Upload session id.
    pub upload_id: Option<u32>,
    /// File name (`_0A00001P`).
    pub filename: Option<&'a [u8]>,
    /// Load memory length, ASCII digits (request download).
    pub load_memory_length: Option<&'a [u8]>,
    /// MC7 code length, ASCII digits (request download).
    pub mc7_length: Option<&'a [u8]>,
    /// Block length, ASCII digits (start upload response).
    pub block_length: Option<&'a [u8]>,
    /// Length of the block octets carried in the data (upload and download block responses).
    pub data_length: Option<u16>,
}

/// Read a download/upload parameter of `function` in a PDU of type `rosctr`, and its data.
pub fn block_control<'a>(
    function: u8,
    rosctr: Rosctr,
    param: &'a [u8],
    data: &'a [u8],
) -> Result<BlockControl<'a>, Truncated> {
    let mut r = Reader::new(param);
    let mut b = BlockControl::default();
    r.skip("function", 1)?;
    if r.remaining() == 0 {
        return Ok(b);
    }
    b.status = Some(r.u8("function status")?);
    let filename = |r: &mut Reader<'a>| -> Result<&'a [u8], Truncated> {
        let len = r.u8("file name length")?;
        r.bytes("file name", len.into())
    };
    match (rosctr, function) {
        (Rosctr::JOB, 0x1a | 0x1b | 0x1d | 0x1e) => {
            r.skip("unknown", 2)?;
            b.upload_id = Some(r.u32("upload id")?);
            if function != 0x1e {
                b.filename = Some(filename(&mut r)?);
            }
            if function == 0x1a && r.remaining() > 0 {
                let len = r.u8("part 2 length")?;
                let mut part2 = Reader::new(r.bytes("part 2", len.into())?);
                part2.skip("part 2 unknown", 1)?;
                b.load_memory_length = Some(part2.bytes("load memory length", 6)?);
                b.mc7_length = Some(part2.bytes("MC7 code length", 6)?);
            }
        }
        (Rosctr::JOB, 0x1c | 0x1f) => {
            b.error_code = Some(r.u16("error code")?);
            b.upload_id = Some(r.u32("upload id")?);
            if function == 0x1c {
                b.filename = Some(filename(&mut r)?);
            }
        }
        (Rosctr::ACK_DATA, 0x1d) => {
            r.skip("unknown", 2)?;
            b.upload_id = Some(r.u32("upload id")?);
            let len = r.u8("block length length")?;
            b.block_length = Some(r.bytes("block length", len.into())?);
        }
        (Rosctr::ACK_DATA, 0x1b | 0x1e) if !data.is_empty() => {
            b.data_length = Some(Reader::new(data).u16("block data length")?);
        }
        _ => {}
    }
    Ok(b)
}

/// A PLC control (PI service) or PLC stop parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PiService<'a> {
    /// The parameter block (block list for `_INSE`/`_DELE`, `C ` for a cold start, …).
    pub parameter: &'a [u8],
    /// The service name (`_INSE`, `P_PROGRAM`, …).
    pub service: &'a [u8],
}

/// Read a PLC control job parameter: function, 7 unknown octets, parameter block with a
/// two-octet length, service name with a one-octet length.
pub fn plc_control(param: &[u8]) -> Result<PiService<'_>, Truncated> {
    let mut r = Reader::new(param);
    r.skip("function and unknown", 8)?;
    let len = r.u16("parameter block length")?;
    let parameter = r.bytes("parameter block", len.into())?;
    let len = r.u8("service name length")?;
    Ok(PiService {
        parameter,
        service: r.bytes("service name", len.into())?,
    })
}

/// Read a PLC stop job parameter: function, 5 unknown octets, service name.
pub fn plc_stop(param: &[u8]) -> Result<PiService<'_>, Truncated> {
    let mut r = Reader::new(param);
    r.skip("function and unknown", 6)?;
    let len = r.u8("service name length")?;
    Ok(PiService {
        parameter: &[],
        service: r.bytes("service name", len.into())?,
    })
}

/// The blocks a `_INSE`/`_DELE` parameter block names: a count, an unknown octet, then eight
/// characters per block (`0A00001P`).
pub fn pi_blocks(parameter: &[u8]) -> impl Iterator<Item = BlockName<'_>> + '_ {
    let count = parameter.first().map_or(0, |&c| usize::from(c));
    parameter
        .get(2..)
        .unwrap_or_default()
        .chunks_exact(8)
        .take(count)
        .filter_map(block_name)
}

/// The parameter of a user data PDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserdataParam {
    /// Method octet (0x11 request, 0x12 response; 0x00 in mode transition pushes).
    pub method: u8,
    /// Request, response or push.
    pub kind: UserdataType,
    /// Function group.
    pub group: u8,
    /// Subfunction.
    pub subfunction: u8,
    /// Sequence number.
    pub sequence: u8,
    /// Data unit reference, last-data-unit flag (0 last) and error code, in the long form.
    pub continuation: Option<(u8, u8, u16)>,
}

impl UserdataParam {
    /// Tell whether more data units of this response follow.
    pub fn more_follows(&self) -> bool {
        self.continuation.is_some_and(|(_, last, _)| last != 0)
    }
}

/// Read a user data parameter: head (3), length, method, type/group, subfunction, sequence,
/// then in the 12-octet form data unit reference, last data unit and error code. The head
/// octets are not checked: S7-300 mode transition pushes carry `01 00 10`, not `00 01 12`.
pub fn userdata_param(param: &[u8]) -> Result<UserdataParam, Truncated> {
    let mut r = Reader::new(param);
    r.skip("parameter head and length", 4)?;
    let method = r.u8("method")?;
    let type_group = r.u8("type and function group")?;
    let subfunction = r.u8("subfunction")?;
    let sequence = r.u8("sequence number")?;
    let continuation = if r.remaining() >= 4 {
        Some((
            r.u8("data unit reference")?,
            r.u8("last data unit")?,
            r.u16("error code")?,
        ))
    } else {
        None
    };
    Ok(UserdataParam {
        method,
        kind: UserdataType(type_group >> 4),
        group: type_group & 0x0f,
        subfunction,
        sequence,
        continuation,
    })
}

/// The data of a user data PDU: return code, transport size and the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserdataData<'a> {
    /// Return code (0xff success).
    pub return_code: u8,
    /// Transport size.
    pub transport_size: u8,
    /// The payload, as long as its length field says (cut to what is present).
    pub payload: &'a [u8],
    /// The length field claims more than present.
    pub truncated: bool,
}

/// Read user data: return code, transport size, two-octet length, payload.
pub fn userdata_data(data: &[u8]) -> Option<UserdataData<'_>> {
    let mut r = Reader::new(data);
    let return_code = r.u8("return code").ok()?;
    let transport_size = r.u8("transport size").ok()?;
    let len = r.u16("length").ok().map_or(0, usize::from);
    let payload = r.rest();
    Some(UserdataData {
        return_code,
        transport_size,
        payload: payload.get(..len).unwrap_or(payload),
        truncated: len > payload.len(),
    })
}

/// Render an S7 BCD timestamp (reserved, year, year, month, day, hour, minute, second, then
/// three digits of milliseconds and the weekday) as `2024-01-31T12:00:00.250`.
pub fn write_clock(bytes: &[u8], out: &mut String) -> bool {
    let Some(b) = bytes.get(..10) else {
        return false;
    };
    let bcd = |v: u8| u32::from(v >> 4) * 10 + u32::from(v & 0x0f);
    let year = bcd(b[1]) * 100 + bcd(b[2]);
    // Devices send 0x00 as the century octet; S7 DATE_AND_TIME means 1990-2089 then.
    let year = if b[1] == 0 {
        let y = bcd(b[2]);
        if y >= 90 { 1900 + y } else { 2000 + y }
    } else {
        year
    };
    let millis = bcd(b[8]) * 10 + u32::from(b[9] >> 4);
    let _ = write!(
        out,
        "{year:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{millis:03}",
        bcd(b[3]),
        bcd(b[4]),
        bcd(b[5]),
        bcd(b[6]),
        bcd(b[7])
    );
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_a_job_into_header_parameter_and_data() {
        // Setup communication job (function 0xf0): 10-octet header, 8-octet parameter.
        let bytes = [
            0x32, 0x01, // protocol id, ROSCTR job
            0x00, 0x00, // redundancy identification
            0x00, 0x02, // PDU reference 2
            0x00, 0x08, 0x00, 0x00, // parameter length 8, data length 0
            0xf0, 0x00, 0x00, 0x01, 0x00, 0x01, 0x01, 0xe0, // setup: AmQ 1/1, PDU 480
        ];
        let p = pdu(&bytes).expect("parses");
        assert_eq!(p.header.pdu_ref, 2);
        assert_eq!(p.header.error, None);
        assert_eq!(
            setup(p.param),
            Ok(Setup {
                max_amq_calling: 1,
                max_amq_called: 1,
                pdu_length: 480
            })
        );
    }

    #[test]
    fn refuses_lengths_beyond_the_pdu() {
        let bytes = [
            0x32, 0x03, 0, 0, 0, 1, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0xf0,
        ];
        assert_eq!(
            pdu(&bytes),
            Err(S7Error::Lengths {
                param_len: 16,
                data_len: 0,
                claimed: 16,
                available: 1
            })
        );
        assert_eq!(
            pdu(&[0x72, 0x01]).map_err(|e| e.code()),
            Err("bad_protocol_id")
        );
    }

    #[test]
    fn reads_s7any_and_dbread_items() {
        let param = [
            0x04, 0x02, // read var, 2 items
            0x12, 0x0a, 0x10, // item: S7ANY, 10 octets
            0x02, 0x00, 0x0a, // BYTE, 10 of them
            0x00, 0x01, 0x84, // DB 1
            0x00, 0x00, 0x50, // byte 10, bit 0
            0x12, 0x07, 0xb0, 0x01, // item: DBREAD, 7 octets, one range
            0x02, 0x00, 0x4a, 0x00, 0x6c, // 2 octets of DB 74 from byte 108
        ];
        let items: Vec<_> = Items::new(&param).collect();
        let Ok(Item::Any(a)) = items[0] else {
            panic!("an S7ANY item");
        };
        let mut s = String::new();
        a.write(&mut s);
        assert_eq!(s, "P#DB1.DBX10.0 BYTE 10");
        let Ok(Item::DbRead(list)) = items[1] else {
            panic!("a DBREAD item");
        };
        assert_eq!(db_ranges(list).collect::<Vec<_>>(), vec![(2, 74, 108)]);
    }

    #[test]
    fn stops_at_an_item_without_its_specification_octet() {
        let param = [0x05, 0x02, 0x11, 0x0a];
        let items: Vec<_> = Items::new(&param).collect();
        assert_eq!(
            items,
            vec![Err(S7Error::Item {
                offset: 2,
                index: 0,
                found: 0x11
            })]
        );
    }

    #[test]
    fn renders_counters_and_unknown_areas() {
        let counter = AnyAddress {
            transport_size: 0x1c,
            length: 1,
            db: 0,
            area: 0x1c,
            address: 5,
        };
        let odd = AnyAddress {
            area: 0x99,
            address: 17,
            ..counter
        };
        let mut s = String::new();
        counter.write(&mut s);
        s.push('|');
        odd.write(&mut s);
        assert_eq!(s, "P#C5 COUNTER 1|P#0x99:2.1 COUNTER 1");
    }

    #[test]
    fn reads_data_items_with_bit_lengths_and_fill_octets() {
        let data = [
            0xff, 0x04, 0x00, 0x08, 0xaa, 0x00, // success, BYTE, 8 bits, value, fill
            0x0a, 0x00, 0x00, 0x04, // object does not exist (a length, but no value)
            0x0a, 0x00, 0x00, 0x04, // again
        ];
        let items: Vec<_> = data_items(&data, 3).collect();
        assert_eq!(items[0].value, &[0xaa]);
        assert_eq!((items[1].return_code, items[2].value), (0x0a, &[][..]));
    }

    #[test]
    fn reads_download_parameters_and_file_names() {
        // Request download of DB1 (function 0x1a): status, unknown, id, name, part 2.
        let mut param = vec![0x1a, 0x00, 0x01, 0x00, 0, 0, 0, 0, 0x09];
        param.extend_from_slice(b"_0A00001P");
        param.push(0x0d);
        param.extend_from_slice(b"1000500000400");
        let b = block_control(0x1a, Rosctr::JOB, &param, &[]).expect("parses");
        assert_eq!(b.filename, Some(&b"_0A00001P"[..]));
        assert_eq!(b.load_memory_length, Some(&b"000500"[..]));
        assert_eq!(b.mc7_length, Some(&b"000400"[..]));
        let name = block_name(&b"_0A00001P"[1..]).expect("a block");
        assert_eq!(
            (name.block_type, name.number, name.filesystem),
            (&b"0A"[..], Some(1), b'P')
        );
    }

    #[test]
    fn reads_pi_services_and_their_block_lists() {
        let mut param = vec![0x28, 0, 0, 0, 0, 0, 0, 0xfd, 0x00, 0x0a, 0x01, 0x00];
        param.extend_from_slice(b"0A00001P");
        param.push(5);
        param.extend_from_slice(b"_INSE");
        let pi = plc_control(&param).expect("parses");
        assert_eq!(pi.service, b"_INSE");
        let blocks: Vec<_> = pi_blocks(pi.parameter).collect();
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].number, Some(1));
        let mut stop = vec![0x29, 0, 0, 0, 0, 0, 9];
        stop.extend_from_slice(b"P_PROGRAM");
        assert_eq!(plc_stop(&stop).map(|p| p.service), Ok(&b"P_PROGRAM"[..]));
    }

    #[test]
    fn reads_long_and_short_user_data_parameters() {
        // Read SZL request (8 octets) and a response fragment with more to follow (12).
        let request = [0x00, 0x01, 0x12, 0x04, 0x11, 0x44, 0x01, 0x00];
        let p = userdata_param(&request).expect("parses");
        assert_eq!(
            (p.kind, p.group, p.subfunction),
            (UserdataType::REQUEST, 4, 1)
        );
        let response = [
            0x00, 0x01, 0x12, 0x08, 0x12, 0x84, 0x01, 0x03, 0xd6, 0x01, 0x00, 0x00,
        ];
        assert!(userdata_param(&response).expect("parses").more_follows());
    }

    #[test]
    fn renders_bcd_clocks() {
        let mut s = String::new();
        assert!(write_clock(
            &[0x00, 0x20, 0x24, 0x01, 0x31, 0x12, 0x05, 0x09, 0x25, 0x03],
            &mut s
        ));
        assert_eq!(s, "2024-01-31T12:05:09.250");
    }
}
