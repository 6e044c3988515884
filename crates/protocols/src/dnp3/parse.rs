//! Pure DNP3 parsing over byte slices: link frames with their CRCs, the application header
//! and the object headers of a fragment.
//!
//! Nothing here allocates: a frame's user data is copied out of its CRC-interleaved blocks
//! into a caller's fixed buffer, and object headers are walked lazily. Every error says which
//! layer and field failed, at which offset, and with which values.

use rampart_dissect::{Reader, Truncated};

use super::message::{
    AppControl, FunctionCode, Iin, LinkControl, ObjectSize, Prefix, Qualifier, Range, object_size,
};

/// The two start octets of every link frame (§9.2.4.1.1).
pub const START: [u8; 2] = [0x05, 0x64];
/// Octets of a link header: start, length, control, destination, source, CRC.
pub const HEADER_LEN: usize = 10;
/// The most user data one frame carries: a length of 255 less control and addresses.
pub const MAX_USER_DATA: usize = 250;
/// User data octets per CRC block (§9.2.4.2).
const BLOCK: usize = 16;

/// The CRC-16/DNP table: polynomial 0x3D65, reflected (§9.2.4.2, Annex E).
const CRC_TABLE: [u16; 256] = {
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u16;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xa6bc
            } else {
                crc >> 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
};

/// Compute the DNP3 CRC of `data`, as sent (low octet first).
pub fn crc(data: &[u8]) -> u16 {
    let mut crc = 0u16;
    for &b in data {
        crc = (crc >> 8) ^ CRC_TABLE[usize::from((crc ^ u16::from(b)) & 0xff)];
    }
    !crc
}

/// A link header whose CRC was verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkHeader {
    /// The length field: control, addresses and user data octets.
    pub length: u8,
    /// The control octet.
    pub control: LinkControl,
    /// The destination address.
    pub destination: u16,
    /// The source address.
    pub source: u16,
}

impl LinkHeader {
    /// Return how many user data octets the frame carries.
    pub fn user_len(&self) -> usize {
        usize::from(self.length).saturating_sub(5)
    }

    /// Return how many octets the whole frame occupies, CRCs included.
    pub fn frame_len(&self) -> usize {
        let n = self.user_len();
        HEADER_LEN + n + 2 * n.div_ceil(BLOCK)
    }
}

/// Why a link frame was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// The length field is below its minimum of 5.
    #[error("link length field {length} at offset {offset} is below the minimum of 5")]
    BadLength {
        /// The length field.
        length: u8,
        /// Where the length field is.
        offset: usize,
    },
    /// The header CRC does not match.
    #[error("link header CRC at offset {offset}: expected 0x{expected:04x}, found 0x{actual:04x}")]
    HeaderCrc {
        /// The CRC computed over the header.
        expected: u16,
        /// The CRC the frame carries.
        actual: u16,
        /// Where the CRC field is.
        offset: usize,
    },
    /// A user data block's CRC does not match.
    #[error(
        "link data block {block} CRC at offset {offset}: expected 0x{expected:04x}, found 0x{actual:04x}"
    )]
    BlockCrc {
        /// The block number, from 0.
        block: usize,
        /// The CRC computed over the block.
        expected: u16,
        /// The CRC the frame carries.
        actual: u16,
        /// Where the CRC field is.
        offset: usize,
    },
}

impl LinkError {
    /// Return the anomaly code.
    pub fn code(&self) -> &'static str {
        match self {
            LinkError::BadLength { .. } => "bad_length",
            LinkError::HeaderCrc { .. } => "bad_header_crc",
            LinkError::BlockCrc { .. } => "bad_block_crc",
        }
    }

    /// Return the offset of the offending field, from the frame's start.
    pub fn offset(&self) -> usize {
        match *self {
            LinkError::BadLength { offset, .. }
            | LinkError::HeaderCrc { offset, .. }
            | LinkError::BlockCrc { offset, .. } => offset,
        }
    }
}

/// Read and verify the header of the frame at the start of `data`, which begins with the
/// start octets. `Ok(None)` means the header is not complete yet.
pub fn link_header(data: &[u8]) -> Result<Option<LinkHeader>, LinkError> {
    let Some(h) = data.get(..HEADER_LEN) else {
        return Ok(None);
    };
    let length = h[2];
    let expected = crc(&h[..8]);
    let actual = u16::from_le_bytes([h[8], h[9]]);
    if expected != actual {
        return Err(LinkError::HeaderCrc {
            expected,
            actual,
            offset: 8,
        });
    }
    if length < 5 {
        return Err(LinkError::BadLength { length, offset: 2 });
    }
    Ok(Some(LinkHeader {
        length,
        control: LinkControl(h[3]),
        destination: u16::from_le_bytes([h[4], h[5]]),
        source: u16::from_le_bytes([h[6], h[7]]),
    }))
}

/// Verify the data blocks of the whole frame `frame` (its header already read) and copy the
/// user data into `out`; return how many octets it holds.
pub fn user_data(
    frame: &[u8],
    header: &LinkHeader,
    out: &mut [u8; MAX_USER_DATA],
) -> Result<usize, LinkError> {
    let mut left = header.user_len().min(MAX_USER_DATA);
    let mut at = HEADER_LEN;
    let mut copied = 0;
    let mut block = 0;
    while left > 0 {
        let n = left.min(BLOCK);
        // The caller hands over frame_len() octets, so these reads stay inside.
        let (Some(data), Some(sum)) = (frame.get(at..at + n), frame.get(at + n..at + n + 2)) else {
            break;
        };
        let expected = crc(data);
        let actual = u16::from_le_bytes([sum[0], sum[1]]);
        if expected != actual {
            return Err(LinkError::BlockCrc {
                block,
                expected,
                actual,
                offset: at + n,
            });
        }
        if let Some(dst) = out.get_mut(copied..copied + n) {
            dst.copy_from_slice(data);
        }
        copied += n;
        left -= n;
        at += n + 2;
        block += 1;
    }
    Ok(copied)
}

/// The application header of a fragment (§4.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppHeader {
    /// The application control octet.
    pub control: AppControl,
    /// The function code.
    pub function: FunctionCode,
    /// The internal indications, for responses.
    pub iin: Option<Iin>,
}

impl AppHeader {
    /// Return how many octets the header occupies.
    pub fn len(&self) -> usize {
        if self.iin.is_some() { 4 } else { 2 }
    }
}

/// Read the application header at the start of `fragment`.
pub fn app_header(fragment: &[u8]) -> Result<AppHeader, Truncated> {
    let mut r = Reader::new(fragment);
    let control = AppControl(r.u8("application control")?);
    let function = FunctionCode(r.u8("function code")?);
    let iin = if function.is_response() {
        Some(Iin(r.u16("internal indications")?))
    } else {
        None
    };
    Ok(AppHeader {
        control,
        function,
        iin,
    })
}

/// An object header (§4.2.2.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectHeader {
    /// The object group.
    pub group: u8,
    /// The variation.
    pub variation: u8,
    /// The qualifier.
    pub qualifier: Qualifier,
    /// The range field.
    pub range: Range,
    /// Where the header starts in the fragment.
    pub offset: usize,
}

/// An object header and the object data that follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Objects<'a> {
    /// The header.
    pub header: ObjectHeader,
    /// The objects' octets, prefixes included; empty when the message carries no data.
    pub data: &'a [u8],
}

/// Why walking the object headers stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ObjectError {
    /// An object header ends early.
    #[error("object header: {0}")]
    Truncated(Truncated),
    /// The qualifier uses a reserved prefix or range code.
    #[error(
        "object header g{group}v{variation} at offset {offset}: reserved qualifier 0x{qualifier:02x}"
    )]
    ReservedQualifier {
        /// The group.
        group: u8,
        /// The variation.
        variation: u8,
        /// The qualifier octet.
        qualifier: u8,
        /// Where the qualifier is.
        offset: usize,
    },
    /// A start-stop range runs backwards.
    #[error(
        "object header g{group}v{variation} at offset {offset}: stop index {stop} is below start {start}"
    )]
    BadRange {
        /// The group.
        group: u8,
        /// The variation.
        variation: u8,
        /// The start index.
        start: u32,
        /// The stop index.
        stop: u32,
        /// Where the range field is.
        offset: usize,
    },
    /// The object's size is not known and no size prefix gives it.
    #[error(
        "object header g{group}v{variation} at offset {offset}: object size unknown, {remaining} octets of the fragment left unread"
    )]
    UnknownSize {
        /// The group.
        group: u8,
        /// The variation.
        variation: u8,
        /// Where the object data starts.
        offset: usize,
        /// Octets left unread.
        remaining: usize,
    },
    /// The objects need more octets than the fragment has.
    #[error(
        "objects g{group}v{variation} at offset {offset}: {count} objects need {needed} octets, {available} available"
    )]
    DataTruncated {
        /// The group.
        group: u8,
        /// The variation.
        variation: u8,
        /// How many objects the header announces.
        count: u64,
        /// The octets they need (at least).
        needed: u64,
        /// The octets left in the fragment.
        available: usize,
        /// Where the object data starts.
        offset: usize,
    },
}

impl ObjectError {
    /// Return the anomaly code.
    pub fn code(&self) -> &'static str {
        match self {
            ObjectError::Truncated(_) => "truncated_object_header",
            ObjectError::ReservedQualifier { .. } => "reserved_qualifier",
            ObjectError::BadRange { .. } => "bad_range",
            ObjectError::UnknownSize { .. } => "unknown_object_size",
            ObjectError::DataTruncated { .. } => "truncated_object_data",
        }
    }

    /// Return the offset of the offending field in the fragment.
    pub fn offset(&self) -> usize {
        match *self {
            ObjectError::Truncated(t) => t.offset,
            ObjectError::ReservedQualifier { offset, .. }
            | ObjectError::BadRange { offset, .. }
            | ObjectError::UnknownSize { offset, .. }
            | ObjectError::DataTruncated { offset, .. } => offset,
        }
    }
}

/// Walk the object headers of a fragment, stopping at the first error.
#[derive(Debug, Clone)]
pub struct ObjectWalk<'a> {
    fragment: &'a [u8],
    at: usize,
    function: FunctionCode,
    done: bool,
}

impl<'a> ObjectWalk<'a> {
    /// Walk the objects of `fragment` after its application header.
    pub fn new(fragment: &'a [u8], header: &AppHeader) -> ObjectWalk<'a> {
        ObjectWalk {
            fragment,
            at: header.len(),
            function: header.function,
            done: false,
        }
    }

    fn next_header(&mut self) -> Result<Objects<'a>, ObjectError> {
        let rest = self.fragment.get(self.at..).unwrap_or_default();
        let base = self.at;
        let located = |mut t: Truncated| {
            t.offset += base;
            ObjectError::Truncated(t)
        };
        let mut r = Reader::new(rest);
        let group = r.u8("object group").map_err(located)?;
        let variation = r.u8("object variation").map_err(located)?;
        let qualifier = Qualifier(r.u8("qualifier").map_err(located)?);
        let reserved = ObjectError::ReservedQualifier {
            group,
            variation,
            qualifier: qualifier.0,
            offset: base + 2,
        };
        let prefix = qualifier.prefix().ok_or(reserved)?;
        let range_at = base + r.offset();
        let range = match qualifier.range_code() {
            0 | 3 => start_stop(r.u8("start").map(u32::from), r.u8("stop").map(u32::from)),
            1 | 4 => start_stop(
                r.u16_le("start").map(u32::from),
                r.u16_le("stop").map(u32::from),
            ),
            2 | 5 => start_stop(r.u32_le("start"), r.u32_le("stop")),
            6 => Ok(Range::All),
            7 | 11 => r.u8("count").map(|n| Range::Count(n.into())),
            8 => r.u16_le("count").map(|n| Range::Count(n.into())),
            9 => r.u32_le("count").map(Range::Count),
            _ => return Err(reserved),
        }
        .map_err(located)?;
        if let Range::StartStop { start, stop } = range
            && stop < start
        {
            return Err(ObjectError::BadRange {
                group,
                variation,
                start,
                stop,
                offset: range_at,
            });
        }
        let header = ObjectHeader {
            group,
            variation,
            qualifier,
            range,
            offset: base,
        };
        let data_at = r.offset();
        let carries = self.function.is_response() || self.function.carries_object_data(group);
        let len = if carries {
            data_len(&header, prefix, r.rest()).map_err(|e| e.at(&header, base + data_at))?
        } else {
            0
        };
        let data = rest.get(data_at..data_at + len).unwrap_or_default();
        self.at = base + data_at + len;
        Ok(Objects { header, data })
    }
}

/// A start-stop range from its two reads.
fn start_stop(
    start: Result<u32, Truncated>,
    stop: Result<u32, Truncated>,
) -> Result<Range, Truncated> {
    Ok(Range::StartStop {
        start: start?,
        stop: stop?,
    })
}

impl<'a> Iterator for ObjectWalk<'a> {
    type Item = Result<Objects<'a>, ObjectError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.at >= self.fragment.len() {
            return None;
        }
        let item = self.next_header();
        self.done = item.is_err();
        Some(item)
    }
}

/// Why object data could not be sized, before it is located in the fragment.
enum DataError {
    Unknown { remaining: usize },
    Short { needed: u64, available: usize },
}

impl DataError {
    fn at(self, h: &ObjectHeader, offset: usize) -> ObjectError {
        let (group, variation) = (h.group, h.variation);
        match self {
            DataError::Unknown { remaining } => ObjectError::UnknownSize {
                group,
                variation,
                offset,
                remaining,
            },
            DataError::Short { needed, available } => ObjectError::DataTruncated {
                group,
                variation,
                count: h.range.count(),
                needed,
                available,
                offset,
            },
        }
    }
}

/// Return how many octets the objects of `header` occupy at the start of `rest`.
fn data_len(header: &ObjectHeader, prefix: Prefix, rest: &[u8]) -> Result<usize, DataError> {
    let count = header.range.count();
    let available = rest.len();
    let short = |needed: u64| DataError::Short { needed, available };
    let fits = |needed: u64| {
        usize::try_from(needed)
            .ok()
            .filter(|&n| n <= available)
            .ok_or(short(needed))
    };
    let index = match prefix {
        Prefix::Size(width) => return walk(count, rest, |r| r.sized(width)),
        Prefix::Index(width) => width,
        Prefix::None => 0,
    };
    let each = |size: usize| fits(count.saturating_mul((index + size) as u64));
    match object_size(header.group, header.variation) {
        ObjectSize::Fixed(size) => each(size),
        ObjectSize::Empty => each(0),
        ObjectSize::VariationLength => each(usize::from(header.variation)),
        ObjectSize::Bits(bits) if index == 0 => fits(count.saturating_mul(bits as u64).div_ceil(8)),
        ObjectSize::Bits(bits) => each(bits.div_ceil(8)),
        ObjectSize::Attribute => walk(count, rest, |r| r.attribute(index)),
        ObjectSize::Unknown if count == 0 => Ok(0),
        ObjectSize::Unknown => Err(DataError::Unknown {
            remaining: available,
        }),
    }
}

/// Step over `count` self-delimiting objects with `step`; each takes at least one octet, so
/// the walk ends within `rest.len()` steps.
fn walk(
    count: u64,
    rest: &[u8],
    step: impl Fn(&mut Reader<'_>) -> Result<(), Truncated>,
) -> Result<usize, DataError> {
    let mut r = Reader::new(rest);
    for _ in 0..count {
        if let Err(t) = step(&mut r) {
            return Err(DataError::Short {
                needed: (t.offset + t.needed) as u64,
                available: rest.len(),
            });
        }
    }
    Ok(r.offset())
}

/// Reads of self-delimiting objects.
trait Delimited {
    /// Step over one object with a size prefix of `width` octets.
    fn sized(&mut self, width: usize) -> Result<(), Truncated>;
    /// Step over one device attribute after an index prefix of `index` octets.
    fn attribute(&mut self, index: usize) -> Result<(), Truncated>;
}

impl Delimited for Reader<'_> {
    fn sized(&mut self, width: usize) -> Result<(), Truncated> {
        let size = read_le(self.bytes("object size prefix", width)?);
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        self.skip("object", size)
    }

    fn attribute(&mut self, index: usize) -> Result<(), Truncated> {
        self.skip("index prefix", index)?;
        self.skip("attribute data type", 1)?;
        let len = self.u8("attribute length")?;
        self.skip("attribute value", usize::from(len))
    }
}

/// Read a little-endian unsigned number of up to four octets.
fn read_le(bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .rev()
        .fold(0u32, |acc, &b| (acc << 8) | u32::from(b))
}

/// Return the point index and octets of each object of `size` octets in a header's data,
/// the index from the prefix or counted from the range's start (nothing for size prefixes).
pub fn points<'a>(
    objects: &Objects<'a>,
    size: usize,
) -> impl Iterator<Item = (u32, &'a [u8])> + 'a {
    let h = objects.header;
    let (width, data) = match h.qualifier.prefix() {
        Some(Prefix::Index(width)) => (width, objects.data),
        Some(Prefix::None) => (0, objects.data),
        _ => (0, &[][..]),
    };
    let first = match h.range {
        Range::StartStop { start, .. } => start,
        Range::Count(_) | Range::All => 0,
    };
    data.chunks_exact(width + size)
        .zip(0u32..)
        .map(move |(chunk, i)| {
            let (prefix, object) = chunk.split_at(width);
            let index = if width == 0 {
                first.wrapping_add(i)
            } else {
                read_le(prefix)
            };
            (index, object)
        })
}

/// One device attribute (group 0, Annex A.1): the variation names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attribute<'a> {
    /// The data type code (1 visible string, 2 unsigned, 3 signed, 4 float, 5 octets, …).
    pub data_type: u8,
    /// The value's octets.
    pub value: &'a [u8],
}

/// Return the device attributes in the data of a group 0 header.
pub fn attributes<'a>(objects: &Objects<'a>) -> impl Iterator<Item = Attribute<'a>> + 'a {
    let index = match objects.header.qualifier.prefix() {
        Some(Prefix::Index(width)) => width,
        _ => 0,
    };
    let mut r = Reader::new(objects.data);
    let count = if objects.header.group == 0 {
        objects.header.range.count()
    } else {
        0
    };
    (0..count).map_while(move |_| {
        r.skip("index prefix", index).ok()?;
        let data_type = r.u8("attribute data type").ok()?;
        let len = r.u8("attribute length").ok()?;
        let value = r.bytes("attribute value", usize::from(len)).ok()?;
        Some(Attribute { data_type, value })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A select request from the shared capture `dnp3-select-operate.pcap`, frame 4.
    const SELECT: &[u8] = &[
        0x05, 0x64, // start octets (§9.2.4.1.1)
        0x1a, // length 26: control, addresses and 21 user data octets
        0xc4, // control: DIR, PRM, unconfirmed user data (4)
        0x0a, 0x00, // destination 10
        0x01, 0x00, // source 1
        0x8a, 0x1c, // header CRC 0x1c8a
        0xc0, // transport: FIN, FIR, sequence 0 (§8.2.1)
        0xc0, // application control: FIR, FIN, sequence 0 (§4.2.2.4)
        0x03, // function code 3, select
        0x0c, 0x01, 0x28, // g12v1 CROB, qualifier 0x28: 2-octet index, 2-octet count
        0x01, 0x00, // count 1
        0x00, 0x00, // index 0
        0x03, // control code: latch on
        0x01, // count 1
        0x64, 0x00, 0x00, 0x00, // on time 100 ms
        0xfd, 0x6b, // block 0 CRC 0x6bfd (§9.2.4.2)
        0x64, 0x00, 0x00, 0x00, // off time 100 ms
        0x00, // status 0
        0x00, 0x5b, // block 1 CRC 0x5b00
    ];

    fn header_and_data(frame: &[u8]) -> (LinkHeader, Vec<u8>) {
        let header = link_header(frame).expect("valid").expect("complete");
        let mut out = [0u8; MAX_USER_DATA];
        let n = user_data(&frame[..header.frame_len()], &header, &mut out).expect("CRCs");
        (header, out[..n].to_vec())
    }

    #[test]
    fn computes_the_crc_the_capture_carries() {
        assert_eq!(crc(&SELECT[..8]), 0x1c8a);
    }

    #[test]
    fn reads_a_frame_and_strips_its_block_crcs() {
        let (header, data) = header_and_data(SELECT);
        assert_eq!(header.source, 1);
        assert_eq!(header.destination, 10);
        assert!(header.control.dir());
        assert_eq!(header.frame_len(), SELECT.len());
        assert_eq!(data.len(), 21);
        assert_eq!(data[..3], [0xc0, 0xc0, 0x03]);
        assert_eq!(data[20], 0x00);
    }

    #[test]
    fn names_the_block_and_both_crcs_when_a_block_is_corrupt() {
        let mut frame = SELECT.to_vec();
        frame[30] ^= 0xff; // an off-time octet in block 1
        let header = link_header(&frame)
            .expect("header intact")
            .expect("complete");
        let mut out = [0u8; MAX_USER_DATA];
        let err = user_data(&frame, &header, &mut out).expect_err("block 1 corrupt");
        match err {
            LinkError::BlockCrc {
                block,
                offset,
                actual,
                ..
            } => {
                assert_eq!((block, offset, actual), (1, 33, 0x5b00));
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(err.code(), "bad_block_crc");
    }

    #[test]
    fn rejects_a_corrupt_header_and_a_short_length() {
        let mut frame = SELECT.to_vec();
        frame[4] = 0x0b;
        assert!(matches!(
            link_header(&frame),
            Err(LinkError::HeaderCrc { offset: 8, .. })
        ));
        let mut short = [0x05, 0x64, 0x02, 0xc4, 0x0a, 0x00, 0x01, 0x00, 0, 0];
        let sum = crc(&short[..8]).to_le_bytes();
        short[8..].copy_from_slice(&sum);
        assert_eq!(
            link_header(&short),
            Err(LinkError::BadLength {
                length: 2,
                offset: 2
            })
        );
        assert_eq!(link_header(&SELECT[..9]), Ok(None));
    }

    #[test]
    fn walks_object_headers_and_sizes_their_data() {
        let (_, data) = header_and_data(SELECT);
        let fragment = &data[1..];
        let header = app_header(fragment).expect("header");
        assert_eq!(header.function, FunctionCode(3));
        let objects: Vec<_> = ObjectWalk::new(fragment, &header).collect();
        assert_eq!(objects.len(), 1);
        let o = objects[0].expect("parses");
        assert_eq!((o.header.group, o.header.variation), (12, 1));
        assert_eq!(o.header.range, Range::Count(1));
        assert_eq!(o.data.len(), 13, "2-octet index and an 11-octet CROB");
    }

    #[test]
    fn reads_headers_without_data_in_read_requests() {
        let fragment = [
            0xc3, 0x01, // FIR FIN seq 3, read (§4.2.2)
            0x3c, 0x02, 0x06, // g60v2 class 1, all objects
            0x3c, 0x03, 0x06, // g60v3 class 2
            0x1e, 0x00, 0x00, 0x00, 0x09, // g30v0 analog inputs 0-9
        ];
        let header = app_header(&fragment).expect("header");
        let objects: Vec<_> = ObjectWalk::new(&fragment, &header)
            .map(|o| o.expect("parses").header)
            .collect();
        assert_eq!(objects.len(), 3);
        assert_eq!(objects[2].range, Range::StartStop { start: 0, stop: 9 });
    }

    #[test]
    fn stops_at_an_object_of_unknown_size() {
        let fragment = [
            0xc3, 0x81, 0x00, 0x00, // response, IIN 0
            0x63, 0x01, 0x00, 0x00, 0x00, 0xaa, // g99v1 (unassigned), index 0-0
            0x01, 0x02, 0x00, 0x00, 0x00, 0x01, // g1v2 never reached
        ];
        let header = app_header(&fragment).expect("header");
        let walked: Vec<_> = ObjectWalk::new(&fragment, &header).collect();
        assert_eq!(walked.len(), 1);
        let err = walked[0].expect_err("unknown size");
        assert_eq!(err.code(), "unknown_object_size");
        assert_eq!(err.offset(), 9);
    }

    #[test]
    fn flags_object_data_that_outruns_the_fragment() {
        // The shape of every malformed frame of `dnp3-malformed.pcap`: two CROBs announced,
        // one present.
        let fragment = [
            0xc2, 0x04, // operate
            0x0c, 0x01, 0x10, 0x00, 0x01, // g12v1, 1-octet index, start 0 stop 1
            0x00, 0x03, 0x01, 0x64, 0, 0, 0, 0x64, 0, 0, 0, 0x00, // index 0 and one CROB
        ];
        let header = app_header(&fragment).expect("header");
        let err = ObjectWalk::new(&fragment, &header)
            .next()
            .expect("one item")
            .expect_err("short");
        assert_eq!(
            err,
            ObjectError::DataTruncated {
                group: 12,
                variation: 1,
                count: 2,
                needed: 24,
                available: 12,
                offset: 7
            }
        );
    }

    #[test]
    fn steps_over_size_prefixed_authentication_objects() {
        // g120v1 challenge with qualifier 0x5b, from `dnp3-sav5-auth-challenge.pcap` frame 2.
        let fragment = [
            0xc6, 0x83, 0x90, 0x00, // authentication response, IIN 0x9000
            0x78, 0x01, 0x5b, // g120v1, 2-octet size prefix, 1-octet count
            0x01, // one object
            0x0c, 0x00, // of 12 octets
            0x03, 0x00, 0x00, 0x00, // challenge sequence number 3
            0x00, 0x00, // user 0
            0x04, // MAC algorithm
            0x01, // reason: critical
            0x73, 0x74, 0x65, 0x76, // challenge data
        ];
        let header = app_header(&fragment).expect("header");
        assert_eq!(header.iin, Some(Iin(0x9000)));
        let o = ObjectWalk::new(&fragment, &header)
            .next()
            .expect("one")
            .expect("sized by prefix");
        assert_eq!(o.data.len(), 14);
    }

    #[test]
    fn reads_device_attributes() {
        let fragment = [
            0xc1, 0x81, 0x00, 0x00, // response
            0x00, 0xfc, 0x00, 0x00, 0x00, // g0v252 manufacturer, index 0-0
            0x01, 0x04, b'A', b'c', b'm', b'e', // visible string of 4
        ];
        let header = app_header(&fragment).expect("header");
        let o = ObjectWalk::new(&fragment, &header)
            .next()
            .expect("one")
            .expect("self-delimiting");
        let values: Vec<_> = attributes(&o).collect();
        assert_eq!(
            values,
            vec![Attribute {
                data_type: 1,
                value: b"Acme"
            }]
        );
    }

    #[test]
    fn rejects_backward_ranges_and_reserved_qualifiers() {
        let backward = [0xc1, 0x01, 0x01, 0x00, 0x00, 0x05, 0x02];
        let header = app_header(&backward).expect("header");
        let err = ObjectWalk::new(&backward, &header).next().expect("one");
        assert_eq!(err.expect_err("backward").code(), "bad_range");
        let reserved = [0xc1, 0x01, 0x01, 0x00, 0x7a];
        let err = ObjectWalk::new(&reserved, &header).next().expect("one");
        assert_eq!(err.expect_err("reserved").code(), "reserved_qualifier");
    }
}
