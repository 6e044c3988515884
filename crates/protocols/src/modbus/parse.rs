//! Pure parsing of MBAP headers and Modbus PDUs: no state, no allocation, every error located.

use std::fmt;

use rampart_dissect::{Reader, Truncated};

use super::message::{
    DeviceId, FunctionCode, LENIENT_LENGTH, MBAP_LEN, MEI_DEVICE_ID, Mbap, Request, Response,
};
use super::umas;

/// Why an MBAP header is not one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// Fewer than seven bytes.
    #[error(transparent)]
    Truncated(#[from] Truncated),
    /// The protocol identifier is not 0.
    #[error("protocol identifier {0} at offset 2 is not 0 (Modbus)")]
    Protocol(u16),
    /// The length field counts less than a unit id and a function code, or far more than the
    /// largest ADU holds.
    #[error("length {0} at offset 4 is outside 2..={LENIENT_LENGTH}")]
    Length(u16),
}

/// Read an MBAP header (TCP guide §3.1.3) and check its protocol id and length.
pub fn header(data: &[u8]) -> Result<Mbap, HeaderError> {
    let mut r = Reader::new(data);
    let h = Mbap {
        tid: r.u16("transaction id")?,
        protocol: r.u16("protocol id")?,
        length: r.u16("length")?,
        unit: r.u8("unit id")?,
    };
    if h.protocol != 0 {
        return Err(HeaderError::Protocol(h.protocol));
    }
    if !(2..=LENIENT_LENGTH).contains(&h.length) {
        return Err(HeaderError::Length(h.length));
    }
    Ok(h)
}

/// Tell whether `data` starts with a valid header followed by a function code, and how long
/// its ADU is: what resynchronisation and the probe look for.
pub fn plausible(data: &[u8]) -> Option<usize> {
    let h = header(data).ok()?;
    data.get(MBAP_LEN)?;
    Some(h.adu_len())
}

/// Where a stream that lost its place can pick up again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sync {
    /// An ADU starts here and is confirmed: it ends the data or another header follows it.
    At(usize),
    /// An ADU may start here, but the bytes that would confirm it have not arrived.
    Wait(usize),
    /// No ADU starts before the last few bytes.
    Nowhere,
}

/// Find the first confirmed ADU boundary in `data`.
pub fn find_sync(data: &[u8]) -> Sync {
    for start in 0..data.len() {
        let rest = &data[start..];
        if rest.len() <= MBAP_LEN {
            return Sync::Wait(start);
        }
        let Some(len) = plausible(rest) else {
            continue;
        };
        match rest.get(len..) {
            None => return Sync::Wait(start),
            Some([]) => return Sync::At(start),
            Some(next) if next.len() <= MBAP_LEN => return Sync::Wait(start),
            Some(next) if plausible(next).is_some() => return Sync::At(start),
            Some(_) => {}
        }
    }
    Sync::Nowhere
}

/// Why a PDU could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PduError {
    /// A field runs past the end of the PDU.
    #[error(transparent)]
    Truncated(#[from] Truncated),
    /// A byte count claims more data than the PDU holds.
    #[error("{field} {claimed} at offset {offset} claims more than the {available} bytes left")]
    ByteCount {
        /// The count field.
        field: &'static str,
        /// Where it is.
        offset: usize,
        /// What it claims.
        claimed: usize,
        /// What remains.
        available: usize,
    },
}

impl PduError {
    /// Return the anomaly code.
    pub fn code(&self) -> &'static str {
        match self {
            PduError::Truncated(_) => "truncated_pdu",
            PduError::ByteCount { .. } => "bad_byte_count",
        }
    }

    /// Return the offset of the offending field within the PDU.
    pub fn offset(&self) -> usize {
        match self {
            PduError::Truncated(t) => t.offset,
            PduError::ByteCount { offset, .. } => *offset,
        }
    }
}

/// Something that parsed but breaks the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Oddity {
    /// A quantity outside what the function allows.
    Quantity {
        /// Which quantity.
        field: &'static str,
        /// Its value.
        value: u16,
        /// The spec's maximum (the minimum is 1).
        max: u16,
    },
    /// A byte count that disagrees with the quantity it describes.
    ByteCount {
        /// What it says.
        claimed: usize,
        /// What the quantity needs.
        expected: usize,
    },
    /// A coil value other than 0xFF00 (on) or 0x0000 (off) (§6.5).
    CoilValue(u16),
    /// A range that runs past address 65535.
    AddressOverflow {
        /// Starting address.
        address: u16,
        /// Quantity.
        quantity: u16,
    },
    /// Bytes after the last field.
    Trailing(usize),
    /// A file sub-request whose reference type is not 6 (§6.14).
    ReferenceType(u8),
    /// A FIFO count over 31 (§6.18).
    FifoCount(u16),
}

impl Oddity {
    /// Return the anomaly code.
    pub fn code(&self) -> &'static str {
        match self {
            Oddity::Quantity { .. } => "bad_quantity",
            Oddity::ByteCount { .. } => "bad_byte_count",
            Oddity::CoilValue(_) => "illegal_coil_value",
            Oddity::AddressOverflow { .. } => "address_overflow",
            Oddity::Trailing(_) => "trailing_data",
            Oddity::ReferenceType(_) => "bad_reference_type",
            Oddity::FifoCount(_) => "bad_fifo_count",
        }
    }
}

impl fmt::Display for Oddity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Oddity::Quantity { field, value, max } => {
                write!(f, "{field} {value} is outside 1..={max}")
            }
            Oddity::ByteCount { claimed, expected } => write!(
                f,
                "byte count {claimed} disagrees with the {expected} bytes the quantity needs"
            ),
            Oddity::CoilValue(v) => write!(f, "coil value 0x{v:04x} is neither 0xff00 nor 0"),
            Oddity::AddressOverflow { address, quantity } => write!(
                f,
                "{quantity} items from address {address} run past address 65535"
            ),
            Oddity::Trailing(n) => write!(f, "{n} bytes after the last field"),
            Oddity::ReferenceType(t) => write!(f, "file reference type {t} is not 6"),
            Oddity::FifoCount(n) => write!(f, "FIFO count {n} is over 31"),
        }
    }
}

/// The oddities of one PDU (a handful at most).
#[derive(Debug, Clone, Copy, Default)]
pub struct Oddities {
    items: [Option<Oddity>; 4],
}

impl Oddities {
    fn push(&mut self, oddity: Oddity) {
        if let Some(slot) = self.items.iter_mut().find(|s| s.is_none()) {
            *slot = Some(oddity);
        }
    }

    fn quantity(&mut self, field: &'static str, value: u16, max: u16) {
        if value == 0 || value > max {
            self.push(Oddity::Quantity { field, value, max });
        }
    }

    fn range(&mut self, address: u16, quantity: u16) {
        if u32::from(address) + u32::from(quantity) > 0x1_0000 {
            self.push(Oddity::AddressOverflow { address, quantity });
        }
    }

    fn byte_count(&mut self, claimed: usize, expected: usize) {
        if claimed != expected {
            self.push(Oddity::ByteCount { claimed, expected });
        }
    }

    fn trailing(&mut self, r: &Reader<'_>) {
        if r.remaining() > 0 {
            self.push(Oddity::Trailing(r.remaining()));
        }
    }

    /// Iterate over the oddities found.
    pub fn iter(&self) -> impl Iterator<Item = &Oddity> {
        self.items.iter().flatten()
    }
}

/// Read `count` bytes announced by the one-byte count field `field`.
fn counted<'a>(r: &mut Reader<'a>, field: &'static str) -> Result<&'a [u8], PduError> {
    let offset = r.offset();
    let claimed = usize::from(r.u8(field)?);
    if claimed > r.remaining() {
        return Err(PduError::ByteCount {
            field,
            offset,
            claimed,
            available: r.remaining(),
        });
    }
    Ok(r.bytes(field, claimed)?)
}

/// Read a request PDU (function code included) of function `fc`.
pub fn request(fc: FunctionCode, pdu: &[u8]) -> Result<(Request<'_>, Oddities), PduError> {
    let mut r = Reader::new(pdu);
    r.skip("function code", 1)?;
    let mut odd = Oddities::default();
    let req = match fc.0 {
        1..=4 => {
            let address = r.u16("starting address")?;
            let quantity = r.u16("quantity")?;
            odd.quantity("quantity", quantity, if fc.0 <= 2 { 2000 } else { 125 });
            odd.range(address, quantity);
            Request::Read { address, quantity }
        }
        5 | 6 => {
            let address = r.u16("address")?;
            let value = r.u16("value")?;
            if fc == FunctionCode::WRITE_SINGLE_COIL && value != 0xff00 && value != 0 {
                odd.push(Oddity::CoilValue(value));
            }
            Request::WriteSingle { address, value }
        }
        15 | 16 => {
            let address = r.u16("starting address")?;
            let quantity = r.u16("quantity")?;
            let values = counted(&mut r, "byte count")?;
            let (max, expected) = if fc.0 == 15 {
                (0x7b0, usize::from(quantity).div_ceil(8))
            } else {
                (123, usize::from(quantity) * 2)
            };
            odd.quantity("quantity", quantity, max);
            odd.range(address, quantity);
            odd.byte_count(values.len(), expected);
            Request::WriteMultiple {
                address,
                quantity,
                values,
            }
        }
        8 => Request::Diagnostics {
            sub_function: r.u16("sub-function")?,
            data: r.bytes("diagnostic data", r.remaining())?,
        },
        20 => Request::ReadFileRecord {
            sub_requests: counted(&mut r, "byte count")?,
        },
        21 => Request::WriteFileRecord {
            sub_requests: counted(&mut r, "request data length")?,
        },
        22 => Request::MaskWrite {
            address: r.u16("reference address")?,
            and_mask: r.u16("and mask")?,
            or_mask: r.u16("or mask")?,
        },
        23 => {
            let read_address = r.u16("read starting address")?;
            let read_quantity = r.u16("quantity to read")?;
            let write_address = r.u16("write starting address")?;
            let write_quantity = r.u16("quantity to write")?;
            let values = counted(&mut r, "write byte count")?;
            odd.quantity("quantity to read", read_quantity, 125);
            odd.quantity("quantity to write", write_quantity, 121);
            odd.byte_count(values.len(), usize::from(write_quantity) * 2);
            Request::ReadWrite {
                read_address,
                read_quantity,
                write_address,
                write_quantity,
                values,
            }
        }
        24 => Request::ReadFifo {
            address: r.u16("fifo pointer address")?,
        },
        43 => match r.u8("mei type")? {
            MEI_DEVICE_ID => Request::DeviceId {
                code: r.u8("read device id code")?,
                object_id: r.u8("object id")?,
            },
            mei => Request::Mei {
                mei,
                data: r.bytes("mei data", r.remaining())?,
            },
        },
        90 => Request::Umas(umas::request(r.rest())?),
        7 | 11 | 12 | 17 => Request::Empty,
        _ => Request::Raw(r.bytes("data", r.remaining())?),
    };
    if !matches!(req, Request::Umas(_)) {
        odd.trailing(&r);
    }
    if let Request::ReadFileRecord { sub_requests } | Request::WriteFileRecord { sub_requests } =
        req
    {
        let write = fc == FunctionCode::WRITE_FILE_RECORD;
        for sub in FileRecords::new(sub_requests, write).flatten() {
            if sub.reference_type != 6 {
                odd.push(Oddity::ReferenceType(sub.reference_type));
                break;
            }
        }
    }
    Ok((req, odd))
}

/// Read a response PDU (function code included); `fc` is the function without its exception
/// bit.
pub fn response(fc: FunctionCode, pdu: &[u8]) -> Result<(Response<'_>, Oddities), PduError> {
    let mut r = Reader::new(pdu);
    let raw = r.u8("function code")?;
    let mut odd = Oddities::default();
    if raw & 0x80 != 0 {
        let code = r.u8("exception code")?;
        odd.trailing(&r);
        return Ok((Response::Exception(code), odd));
    }
    let resp = match fc.0 {
        1..=4 | 23 => Response::Data(counted(&mut r, "byte count")?),
        5 | 6 | 15 | 16 => Response::Echo {
            address: r.u16("address")?,
            value: r.u16("value or quantity")?,
        },
        22 => Response::MaskWrite {
            address: r.u16("reference address")?,
            and_mask: r.u16("and mask")?,
            or_mask: r.u16("or mask")?,
        },
        7 => Response::ExceptionStatus(r.u8("output data")?),
        8 => Response::Diagnostics {
            sub_function: r.u16("sub-function")?,
            data: r.bytes("diagnostic data", r.remaining())?,
        },
        11 => Response::EventCounter {
            status: r.u16("status")?,
            count: r.u16("event count")?,
        },
        12 => {
            let body = counted(&mut r, "byte count")?;
            let mut b = Reader::new(body);
            Response::EventLog {
                status: b.u16("status")?,
                event_count: b.u16("event count")?,
                message_count: b.u16("message count")?,
                events: b.rest(),
            }
        }
        17 => Response::ServerId(counted(&mut r, "byte count")?),
        20 => Response::ReadFileRecord {
            sub_responses: counted(&mut r, "response data length")?,
        },
        21 => Response::WriteFileRecord {
            sub_requests: counted(&mut r, "response data length")?,
        },
        24 => {
            let offset = r.offset();
            let count_bytes = usize::from(r.u16("byte count")?);
            if count_bytes > r.remaining() {
                return Err(PduError::ByteCount {
                    field: "byte count",
                    offset,
                    claimed: count_bytes,
                    available: r.remaining(),
                });
            }
            let count = r.u16("fifo count")?;
            let values = r.bytes("fifo values", count_bytes.saturating_sub(2))?;
            if count > 31 {
                odd.push(Oddity::FifoCount(count));
            }
            odd.byte_count(values.len(), usize::from(count) * 2);
            Response::Fifo { count, values }
        }
        43 => match r.u8("mei type")? {
            MEI_DEVICE_ID => Response::DeviceId(DeviceId {
                code: r.u8("read device id code")?,
                conformity: r.u8("conformity level")?,
                more_follows: r.u8("more follows")? == 0xff,
                next_object_id: r.u8("next object id")?,
                count: r.u8("number of objects")?,
                objects: r.bytes("objects", r.remaining())?,
            }),
            mei => Response::Mei {
                mei,
                data: r.bytes("mei data", r.remaining())?,
            },
        },
        90 => Response::Umas(umas::response(r.rest())?),
        _ => Response::Raw(r.bytes("data", r.remaining())?),
    };
    if !matches!(resp, Response::Umas(_)) {
        odd.trailing(&r);
    }
    Ok((resp, odd))
}

/// One device identification object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceObject<'a> {
    /// Object id (0-6 standard, 0x80-0xFF private).
    pub id: u8,
    /// Its value.
    pub value: &'a [u8],
}

/// Iterate over the objects of a Read Device Identification response; stops at the first
/// object that runs past the end.
pub fn device_objects<'a>(
    objects: &'a [u8],
) -> impl Iterator<Item = Result<DeviceObject<'a>, Truncated>> + 'a {
    let mut r = Reader::new(objects);
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed || r.remaining() == 0 {
            return None;
        }
        let item = (|| {
            let id = r.u8("object id")?;
            let len = r.u8("object length")?;
            let value = r.bytes("object value", usize::from(len))?;
            Ok(DeviceObject { id, value })
        })();
        failed = item.is_err();
        Some(item)
    })
}

/// One file record sub-request (§6.14, §6.15).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileRecord<'a> {
    /// Reference type, always 6.
    pub reference_type: u8,
    /// File number.
    pub file: u16,
    /// Starting record number.
    pub record: u16,
    /// Record length in registers.
    pub length: u16,
    /// The record data of a write.
    pub data: &'a [u8],
}

/// Iterate over the sub-requests of function 20 (`write` false) or 21 (`write` true).
pub struct FileRecords<'a> {
    r: Reader<'a>,
    write: bool,
    failed: bool,
}

impl<'a> FileRecords<'a> {
    /// Start at the first sub-request.
    pub fn new(sub_requests: &'a [u8], write: bool) -> FileRecords<'a> {
        FileRecords {
            r: Reader::new(sub_requests),
            write,
            failed: false,
        }
    }

    fn next_record(&mut self) -> Result<FileRecord<'a>, Truncated> {
        let r = &mut self.r;
        let reference_type = r.u8("reference type")?;
        let file = r.u16("file number")?;
        let record = r.u16("record number")?;
        let length = r.u16("record length")?;
        let data = if self.write {
            r.bytes("record data", usize::from(length) * 2)?
        } else {
            &[]
        };
        Ok(FileRecord {
            reference_type,
            file,
            record,
            length,
            data,
        })
    }
}

impl<'a> Iterator for FileRecords<'a> {
    type Item = Result<FileRecord<'a>, Truncated>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.r.remaining() == 0 {
            return None;
        }
        let item = self.next_record();
        self.failed = item.is_err();
        Some(item)
    }
}

/// Iterate over the record data of function 20's sub-responses (§6.14: length, reference
/// type, data).
pub fn file_responses<'a>(
    sub_responses: &'a [u8],
) -> impl Iterator<Item = Result<&'a [u8], Truncated>> + 'a {
    let mut r = Reader::new(sub_responses);
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed || r.remaining() == 0 {
            return None;
        }
        let item = (|| {
            let len = usize::from(r.u8("file response length")?);
            r.skip("reference type", 1)?;
            r.bytes("record data", len.saturating_sub(1))
        })();
        failed = item.is_err();
        Some(item)
    })
}

/// A Report Server ID response's data (§6.13): the server id is device-specific in length,
/// so the run indicator (0x00 off, 0xFF on) is looked for after a one-byte id, then at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerId<'a> {
    /// The server id.
    pub id: &'a [u8],
    /// The run indicator, when one was found.
    pub running: Option<bool>,
    /// Additional data.
    pub additional: &'a [u8],
}

/// Split a Report Server ID response's data.
pub fn server_id(data: &[u8]) -> ServerId<'_> {
    let run = |b: u8| match b {
        0x00 => Some(false),
        0xff => Some(true),
        _ => None,
    };
    if let [id, indicator, additional @ ..] = data
        && let Some(running) = run(*indicator)
    {
        return ServerId {
            id: std::slice::from_ref(id),
            running: Some(running),
            additional,
        };
    }
    match data.split_last() {
        Some((&last, id)) if run(last).is_some() => ServerId {
            id,
            running: run(last),
            additional: &[],
        },
        _ => ServerId {
            id: data,
            running: None,
            additional: &[],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Read Holding Registers request (spec §6.3): tid 1, unit 1, address 0x006b, 3 registers.
    const READ_REQUEST: &[u8] = &[
        0x00, 0x01, // transaction id 1
        0x00, 0x00, // protocol id 0
        0x00, 0x06, // length 6
        0x01, // unit id 1
        0x03, // function 3
        0x00, 0x6b, // starting address 107
        0x00, 0x03, // quantity 3
    ];

    #[test]
    fn reads_an_mbap_header_and_its_request() {
        let h = header(READ_REQUEST).expect("header");
        assert_eq!((h.tid, h.unit, h.adu_len()), (1, 1, 12));
        let (req, odd) = request(FunctionCode(3), &READ_REQUEST[7..]).expect("request");
        assert_eq!(
            req,
            Request::Read {
                address: 107,
                quantity: 3
            }
        );
        assert_eq!(odd.iter().count(), 0);
    }

    #[test]
    fn rejects_headers_of_other_protocols() {
        assert_eq!(
            header(&[0, 1, 0, 5, 0, 6, 1]),
            Err(HeaderError::Protocol(5))
        );
        assert_eq!(
            header(&[0, 1, 0, 0, 4, 6, 1]),
            Err(HeaderError::Length(1030))
        );
        assert_eq!(header(&[0, 1, 0, 0, 0, 1, 1]), Err(HeaderError::Length(1)));
        assert!(matches!(header(&[0, 1, 0]), Err(HeaderError::Truncated(_))));
    }

    #[test]
    fn finds_the_next_adu_after_garbage() {
        let mut data = vec![0xde, 0xad, 0xbe];
        data.extend_from_slice(READ_REQUEST);
        assert_eq!(find_sync(&data), Sync::At(3));
        data.extend_from_slice(&READ_REQUEST[..4]);
        assert_eq!(
            find_sync(&data),
            Sync::Wait(3),
            "the next header is incomplete"
        );
        assert_eq!(find_sync(&[0xff; 40]), Sync::Wait(33));
        let mut unconfirmed = READ_REQUEST.to_vec();
        unconfirmed.extend_from_slice(&[0xff; 12]);
        assert_eq!(find_sync(&unconfirmed), Sync::Wait(unconfirmed.len() - 7));
    }

    #[test]
    fn flags_quantities_and_byte_counts_out_of_spec() {
        // Write Multiple Registers (§6.12): address 1, quantity 2, byte count 3 (not 4).
        let pdu = [0x10, 0x00, 0x01, 0x00, 0x02, 0x03, 0x00, 0x0a, 0x01];
        let (req, odd) = request(FunctionCode(16), &pdu).expect("parses");
        assert!(matches!(req, Request::WriteMultiple { quantity: 2, .. }));
        let codes: Vec<_> = odd.iter().map(Oddity::code).collect();
        assert_eq!(codes, ["bad_byte_count"]);
        // Read Coils of 0 coils from 65535.
        let (_, odd) = request(FunctionCode(1), &[0x01, 0xff, 0xff, 0x00, 0x00]).expect("parses");
        assert_eq!(
            odd.iter().map(Oddity::code).collect::<Vec<_>>(),
            ["bad_quantity"]
        );
        // Write Single Coil 0x1234.
        let (_, odd) = request(FunctionCode(5), &[0x05, 0, 1, 0x12, 0x34]).expect("parses");
        assert_eq!(
            odd.iter().next().map(ToString::to_string).as_deref(),
            Some("coil value 0x1234 is neither 0xff00 nor 0")
        );
    }

    #[test]
    fn names_the_field_a_short_pdu_lacks() {
        // Mask Write Register with only an address and an AND mask (fc-sweep frame 62).
        let err = request(FunctionCode(22), &[0x16, 0x00, 0x00, 0x00, 0x00]).expect_err("short");
        assert_eq!(err.code(), "truncated_pdu");
        assert_eq!(
            err.to_string(),
            "or mask: needs 2 bytes at offset 5, 0 available"
        );
        let err = response(FunctionCode(3), &[0x03, 0x08, 0x00]).expect_err("short");
        assert_eq!(
            err,
            PduError::ByteCount {
                field: "byte count",
                offset: 1,
                claimed: 8,
                available: 1
            }
        );
    }

    #[test]
    fn reads_exception_responses() {
        let (resp, _) = response(FunctionCode(3), &[0x83, 0x02]).expect("exception");
        assert_eq!(resp, Response::Exception(2));
    }

    #[test]
    fn walks_device_identification_objects() {
        // §6.21 example: VendorName "Company identification", then a cut-off object.
        let mut objects = vec![0x00, 0x07];
        objects.extend_from_slice(b"Company");
        objects.extend_from_slice(&[0x01, 0x09, b'P']);
        let items: Vec<_> = device_objects(&objects).collect();
        assert_eq!(items.len(), 2);
        assert_eq!(
            items[0],
            Ok(DeviceObject {
                id: 0,
                value: b"Company"
            })
        );
        assert!(items[1].is_err());
    }

    #[test]
    fn finds_the_run_indicator_of_either_server_id_layout() {
        // modbus-test-data-part1 frame 41: id 0x00, run 0xFF, "Wingpath Limited".
        let wingpath = server_id(b"\x00\xffWingpath Limited");
        assert_eq!(wingpath.running, Some(true));
        assert_eq!(wingpath.additional, b"Wingpath Limited");
        // modbus-example-zeek frame 62: the id is text, the indicator last.
        let zeek = server_id(b"Zeek Modbus Test-1.2.3.6\xff");
        assert_eq!(
            (zeek.id, zeek.running),
            (&b"Zeek Modbus Test-1.2.3.6"[..], Some(true))
        );
        assert_eq!(server_id(b"abc").running, None);
    }

    #[test]
    fn walks_file_record_sub_requests() {
        // §6.15 example: file 4, record 7, 3 registers of data.
        let sub = [
            0x06, 0x00, 0x04, 0x00, 0x07, 0x00, 0x03, 0x06, 0xaf, 0x04, 0xbe, 0x10, 0x0d,
        ];
        let records: Vec<_> = FileRecords::new(&sub, true).collect();
        assert_eq!(
            records,
            vec![Ok(FileRecord {
                reference_type: 6,
                file: 4,
                record: 7,
                length: 3,
                data: &sub[7..]
            })]
        );
        let data: Vec<_> = file_responses(&[0x03, 0x06, 0x0d, 0xfe]).collect();
        assert_eq!(data, vec![Ok(&[0x0d, 0xfe][..])]);
    }
}
