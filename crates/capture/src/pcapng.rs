//! pcapng files: sections of typed blocks, each framed by a leading and a trailing total
//! length (draft-ietf-opsawg-pcapng, section 3).
//!
//! Blocks are framed here: the block type and length are judged (known minimum, multiple of
//! four, at most [`MAX_BLOCK_LEN`], trailer equal to leader) before the body is trusted, and
//! a framing error makes the reader scan forward for the next known block type whose two
//! lengths agree. Packet blocks (EPB, SPB, obsolete PB) are decoded here too, because
//! `pcap-parser` collects every EPB's options into a `Vec`, an allocation per packet.
//! Interface description and name resolution blocks, rare and option-laden, are decoded by
//! `pcap-parser`; the interface's `if_tsresol` and `if_tsoffset` are then read from its
//! option list here, since `pcap-parser` 0.17 rejects binary resolutions and reads the offset
//! little-endian in big-endian sections.
//!
//! Each section (SHB) sets the byte order and starts a new interface list, so a file
//! concatenated from captures of different machines reads correctly.

use std::collections::VecDeque;
use std::net::IpAddr;

use pcap_parser::{NameRecordType, OptionCode};
use rampart_event::Timestamp;

use crate::error::{CaptureError, Defect, Offset, Recovery};
use crate::input::{Input, Verdict};
use crate::link::LinkType;
use crate::pcap::MAX_CAPLEN;
use crate::{Found, NameRecord};

/// Section Header Block type; the same bytes in either byte order (section 4.1).
const SHB: u32 = 0x0A0D_0D0A;
/// Interface Description Block (section 4.2).
const IDB: u32 = 1;
/// Obsolete Packet Block (appendix A).
const PB: u32 = 2;
/// Simple Packet Block (section 4.4).
const SPB: u32 = 3;
/// Name Resolution Block (section 4.5).
const NRB: u32 = 4;
/// Interface Statistics Block (section 4.6).
const ISB: u32 = 5;
/// Enhanced Packet Block (section 4.3).
const EPB: u32 = 6;
/// systemd Journal Export Block (section 4.7).
const SJE: u32 = 9;
/// Decryption Secrets Block (section 4.8).
const DSB: u32 = 0x0A;
/// Custom Block that may be copied (section 4.9).
const CB: u32 = 0x0BAD;
/// Custom Block that must not be copied (section 4.9).
const DCB: u32 = 0x4000_0BAD;
/// Block types a resync scan accepts as the next block.
const KNOWN_TYPES: [u32; 11] = [SHB, IDB, PB, SPB, NRB, ISB, EPB, SJE, DSB, CB, DCB];

/// Byte-order magic of a section header, as stored by a little-endian writer.
const BOM_LE: [u8; 4] = [0x4d, 0x3c, 0x2b, 0x1a];
/// Byte-order magic of a section header, as stored by a big-endian writer.
const BOM_BE: [u8; 4] = [0x1a, 0x2b, 0x3c, 0x4d];

/// Block type, total length and trailing length: the smallest block.
const MIN_BLOCK_LEN: usize = 12;
/// The largest block accepted: a maximal packet plus room for headers and options.
pub(crate) const MAX_BLOCK_LEN: u32 = MAX_CAPLEN + 65_536;
/// Interfaces kept per section; an IDB flood must not grow memory without bound.
pub(crate) const MAX_INTERFACES: usize = 4096;
/// Name records kept until [`crate::CaptureFile::names`] drains them.
pub(crate) const MAX_PENDING_NAMES: usize = 65_536;

/// Name records waiting for the caller.
#[derive(Default)]
pub(crate) struct NameQueue {
    pub(crate) pending: VecDeque<NameRecord>,
    pub(crate) dropped: u64,
}

impl NameQueue {
    fn push(&mut self, record: NameRecord) {
        if self.pending.len() < MAX_PENDING_NAMES {
            self.pending.push_back(record);
        } else {
            self.dropped += 1;
        }
    }
}

/// How an interface's timestamp units convert to nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scale {
    Multiply(u64),
    Divide(u64),
    /// Units of 2^-n seconds.
    Binary(u32),
}

impl Scale {
    /// The default resolution when an IDB has no `if_tsresol` (section 4.2).
    const MICROS: Scale = Scale::Multiply(1000);

    /// Decode `if_tsresol`: 10^-n seconds, or 2^-n when the top bit is set.
    fn from_tsresol(tsresol: u8) -> Option<Scale> {
        let exponent = u32::from(tsresol & 0x7f);
        if tsresol & 0x80 != 0 {
            return (exponent <= 63).then_some(Scale::Binary(exponent));
        }
        match exponent {
            0..=9 => Some(Scale::Multiply(10u64.pow(9 - exponent))),
            10..=19 => Some(Scale::Divide(10u64.pow(exponent - 9))),
            _ => None,
        }
    }

    fn nanos(self, units: u64) -> u64 {
        match self {
            Scale::Multiply(factor) => units.saturating_mul(factor),
            Scale::Divide(divisor) => units / divisor,
            Scale::Binary(shift) => {
                u64::try_from((u128::from(units) * 1_000_000_000) >> shift).unwrap_or(u64::MAX)
            }
        }
    }
}

/// What a section says about one interface.
struct Interface {
    link_type: LinkType,
    snaplen: u32,
    scale: Scale,
    /// `if_tsoffset`: seconds added to every timestamp.
    offset_secs: i64,
}

impl Interface {
    fn timestamp(&self, high: u32, low: u32) -> Timestamp {
        let units = (u64::from(high) << 32) | u64::from(low);
        let offset = self.offset_secs.saturating_mul(1_000_000_000);
        Timestamp(self.scale.nanos(units).saturating_add_signed(offset))
    }
}

/// A block's type and length, judged plausible.
#[derive(Clone, Copy)]
struct Frame {
    block_type: u32,
    len: u32,
    big_endian: bool,
}

/// Why a well-framed block could not be used.
enum Fault {
    Corrupt(Defect, Recovery),
    Version { major: u16, minor: u16 },
}

/// Framing state of a pcapng stream.
pub(crate) struct NgReader {
    big_endian: bool,
    interfaces: Vec<Interface>,
    /// The latest packet timestamp, lent to simple packet blocks, which carry none, so the
    /// engine's clock does not jump back to 1970.
    last_timestamp: Timestamp,
}

impl NgReader {
    /// Check the first section header at the start of `input`, without consuming it.
    pub(crate) fn open(input: &mut Input) -> Result<NgReader, CaptureError> {
        const PEEK: usize = 16;
        if input.ensure(PEEK) < PEEK {
            return match input.end_of_stream::<()>("pcapng section header block", PEEK) {
                Err(e) => Err(e),
                Ok(_) => Err(CaptureError::Empty {
                    path: input.path().to_path_buf(),
                    decompressed: input.compressed(),
                }),
            };
        }
        let window = input.window();
        let big_endian = match window.get(8..12) {
            Some(bom) if bom == BOM_LE => false,
            Some(bom) if bom == BOM_BE => true,
            _ => {
                return Err(CaptureError::NotACapture {
                    path: input.path().to_path_buf(),
                    first_bytes: window.iter().take(8).copied().collect(),
                    decompressed: input.compressed(),
                });
            }
        };
        let major = half(window, 12, big_endian);
        if major != 1 {
            let minor = half(window, 14, big_endian);
            return Err(unsupported_version(input, input.offset(), major, minor));
        }
        Ok(NgReader {
            big_endian,
            interfaces: Vec::new(),
            last_timestamp: Timestamp(0),
        })
    }

    /// Frame blocks until the next packet.
    pub(crate) fn next(
        &mut self,
        input: &mut Input,
        names: &mut NameQueue,
    ) -> Result<Option<Found>, CaptureError> {
        loop {
            if input.ensure(MIN_BLOCK_LEN) < MIN_BLOCK_LEN {
                return input.end_of_stream("pcapng block header", MIN_BLOCK_LEN);
            }
            let frame = match self.frame(input.window()) {
                Ok(frame) => frame,
                Err((what, defect)) => return Err(self.resync(input, what, defect)),
            };
            let what = block_name(frame.block_type);
            let len = frame.len as usize;
            if input.ensure(len) < len {
                return input.end_of_stream(what, len);
            }
            let at = input.offset();
            let position = input.position();
            let block = input.bytes(position, len);
            let trailing = word(block, len - 4, frame.big_endian);
            if trailing != frame.len {
                let defect = Defect::TrailerMismatch {
                    leading: frame.len,
                    trailing,
                };
                return Err(self.resync(input, what, defect));
            }
            let outcome = self.block(frame, block, position, names);
            input.consume(len);
            match outcome {
                Ok(Some(found)) => return Ok(Some(found)),
                Ok(None) => {}
                Err(Fault::Corrupt(defect, recovery)) => {
                    return Err(input.corrupt(at, what, defect, recovery));
                }
                Err(Fault::Version { major, minor }) => {
                    return Err(unsupported_version(input, at, major, minor));
                }
            }
        }
    }

    /// Judge the block header at the start of `window` (at least [`MIN_BLOCK_LEN`] bytes).
    fn frame(&self, window: &[u8]) -> Result<Frame, (&'static str, Defect)> {
        let (block_type, big_endian) = if word(window, 0, false) == SHB {
            match window.get(8..12) {
                Some(bom) if bom == BOM_LE => (SHB, false),
                Some(bom) if bom == BOM_BE => (SHB, true),
                _ => {
                    let found = word(window, 8, true);
                    return Err(("section header block", Defect::ByteOrderMagic { found }));
                }
            }
        } else {
            (word(window, 0, self.big_endian), self.big_endian)
        };
        let what = block_name(block_type);
        let len = word(window, 4, big_endian);
        let minimum = min_len(block_type);
        if len < minimum {
            return Err((
                what,
                Defect::BlockTooShort {
                    length: len,
                    minimum,
                },
            ));
        }
        if !len.is_multiple_of(4) {
            return Err((what, Defect::BlockMisaligned { length: len }));
        }
        if len > MAX_BLOCK_LEN {
            return Err((
                what,
                Defect::BlockTooLong {
                    length: len,
                    limit: MAX_BLOCK_LEN,
                },
            ));
        }
        Ok(Frame {
            block_type,
            len,
            big_endian,
        })
    }

    /// Use a well-framed block: a packet comes back, anything else updates the state.
    fn block(
        &mut self,
        frame: Frame,
        block: &[u8],
        position: usize,
        names: &mut NameQueue,
    ) -> Result<Option<Found>, Fault> {
        let be = frame.big_endian;
        match frame.block_type {
            SHB => {
                let major = half(block, 12, be);
                if major != 1 {
                    return Err(Fault::Version {
                        major,
                        minor: half(block, 14, be),
                    });
                }
                self.big_endian = be;
                self.interfaces.clear();
                Ok(None)
            }
            IDB => self.interface_description(block, be).map(|()| None),
            NRB => name_resolution(block, be, names).map(|()| None),
            // Section 4.3: interface id, timestamp high and low, captured and original
            // length, then the padded packet data.
            EPB => self.packet(frame, block, position, word(block, 8, be)),
            // Appendix A: a 16-bit interface id and a drop count, then as the EPB.
            PB => self.packet(frame, block, position, u32::from(half(block, 8, be))),
            SPB => {
                // Section 4.4: original length, then the packet cut to the snap length of
                // interface 0; there is no timestamp.
                let interface = self.interface(0)?;
                let wire_len = word(block, 8, be);
                let mut len = wire_len.min(frame.len - 16);
                if interface.snaplen != 0 {
                    len = len.min(interface.snaplen);
                }
                Ok(Some(Found {
                    start: position + 12,
                    len: len as usize,
                    timestamp: self.last_timestamp,
                    link_type: interface.link_type,
                    wire_len,
                    interface: 0,
                }))
            }
            _ => Ok(None),
        }
    }

    /// Decode the fields EPB and PB share, from offset 12 on.
    fn packet(
        &mut self,
        frame: Frame,
        block: &[u8],
        position: usize,
        id: u32,
    ) -> Result<Option<Found>, Fault> {
        let be = frame.big_endian;
        let caplen = word(block, 20, be);
        let room = frame.len - 32;
        if caplen > room {
            let defect = Defect::PacketBeyondBlock { caplen, room };
            return Err(Fault::Corrupt(defect, Recovery::SkippedBlock));
        }
        let interface = self.interface(id)?;
        let timestamp = interface.timestamp(word(block, 12, be), word(block, 16, be));
        let link_type = interface.link_type;
        self.last_timestamp = timestamp;
        Ok(Some(Found {
            start: position + 28,
            len: caplen as usize,
            timestamp,
            link_type,
            wire_len: word(block, 24, be),
            interface: id,
        }))
    }

    fn interface(&self, id: u32) -> Result<&Interface, Fault> {
        let found = usize::try_from(id)
            .ok()
            .and_then(|i| self.interfaces.get(i));
        found.ok_or(Fault::Corrupt(
            Defect::UnknownInterface {
                id,
                defined: self.interfaces.len(),
            },
            Recovery::SkippedBlock,
        ))
    }

    /// Add the interface an IDB describes (section 4.2).
    fn interface_description(&mut self, block: &[u8], be: bool) -> Result<(), Fault> {
        if self.interfaces.len() >= MAX_INTERFACES {
            let defect = Defect::TooManyInterfaces {
                limit: MAX_INTERFACES,
            };
            return Err(Fault::Corrupt(defect, Recovery::SkippedBlock));
        }
        let parsed = if be {
            pcap_parser::parse_interfacedescriptionblock_be(block)
        } else {
            pcap_parser::parse_interfacedescriptionblock_le(block)
        };
        let Ok((_, idb)) = parsed else {
            let defect = Defect::MalformedBody {
                expected: "link type, snap length and options",
            };
            return Err(Fault::Corrupt(defect, Recovery::SkippedBlock));
        };
        let mut tsresol = 6;
        let mut offset_secs = 0;
        for option in &idb.options {
            if option.code == OptionCode::IfTsresol {
                tsresol = option.value().first().copied().unwrap_or(tsresol);
            } else if option.code == OptionCode::IfTsoffset
                && let Some(bytes) = option.value().first_chunk::<8>()
            {
                offset_secs = if be {
                    i64::from_be_bytes(*bytes)
                } else {
                    i64::from_le_bytes(*bytes)
                };
            }
        }
        let scale = Scale::from_tsresol(tsresol);
        self.interfaces.push(Interface {
            link_type: LinkType(u16::try_from(idb.linktype.0).unwrap_or(u16::MAX)),
            snaplen: idb.snaplen,
            scale: scale.unwrap_or(Scale::MICROS),
            offset_secs,
        });
        match scale {
            Some(_) => Ok(()),
            None => Err(Fault::Corrupt(
                Defect::TimestampResolution { tsresol },
                Recovery::Continued,
            )),
        }
    }

    /// Report the corrupt block at the current position and scan to the next block of a
    /// known type whose leading and trailing lengths agree.
    #[cold]
    fn resync(&self, input: &mut Input, what: &'static str, defect: Defect) -> CaptureError {
        let at = input.offset();
        let recovery = input.resync(|window, eof| {
            if window.len() < MIN_BLOCK_LEN {
                return if eof {
                    Verdict::Implausible
                } else {
                    Verdict::NeedMore(MIN_BLOCK_LEN)
                };
            }
            let Ok(frame) = self.frame(window) else {
                return Verdict::Implausible;
            };
            if !KNOWN_TYPES.contains(&frame.block_type) {
                return Verdict::Implausible;
            }
            let len = frame.len as usize;
            if window.len() < len {
                return if eof {
                    Verdict::Implausible
                } else {
                    Verdict::NeedMore(len)
                };
            }
            if word(window, len - 4, frame.big_endian) == frame.len {
                Verdict::Plausible
            } else {
                Verdict::Implausible
            }
        });
        input.corrupt(at, what, defect, recovery)
    }
}

/// Queue the names an NRB gives to addresses (section 4.5).
fn name_resolution(block: &[u8], be: bool, names: &mut NameQueue) -> Result<(), Fault> {
    let parsed = if be {
        pcap_parser::parse_nameresolutionblock_be(block)
    } else {
        pcap_parser::parse_nameresolutionblock_le(block)
    };
    let Ok((_, nrb)) = parsed else {
        let defect = Defect::MalformedBody {
            expected: "name records closed by an end record",
        };
        return Err(Fault::Corrupt(defect, Recovery::SkippedBlock));
    };
    let mut malformed = false;
    for record in &nrb.nr {
        let value = record.record_value;
        let (address, rest) = if record.record_type == NameRecordType::Ipv4 {
            match value.split_first_chunk::<4>() {
                Some((address, rest)) => (IpAddr::from(*address), rest),
                None => {
                    malformed = true;
                    continue;
                }
            }
        } else if record.record_type == NameRecordType::Ipv6 {
            match value.split_first_chunk::<16>() {
                Some((address, rest)) => (IpAddr::from(*address), rest),
                None => {
                    malformed = true;
                    continue;
                }
            }
        } else {
            continue;
        };
        // The value holds one or more zero-terminated names, then zero padding.
        for name in rest.split(|b| *b == 0).filter(|name| !name.is_empty()) {
            names.push(NameRecord {
                address,
                name: String::from_utf8_lossy(name).into_owned(),
            });
        }
    }
    if malformed {
        let defect = Defect::MalformedBody {
            expected: "an address before the names of each record",
        };
        return Err(Fault::Corrupt(defect, Recovery::Continued));
    }
    Ok(())
}

fn unsupported_version(input: &Input, at: Offset, major: u16, minor: u16) -> CaptureError {
    CaptureError::Unsupported {
        path: input.path().to_path_buf(),
        at,
        what: "pcapng version",
        expected: "1.x",
        found: format!("{major}.{minor}"),
    }
}

/// Name a block type for messages.
fn block_name(block_type: u32) -> &'static str {
    match block_type {
        SHB => "section header block",
        IDB => "interface description block",
        PB => "packet block",
        SPB => "simple packet block",
        NRB => "name resolution block",
        ISB => "interface statistics block",
        EPB => "enhanced packet block",
        _ => "pcapng block",
    }
}

/// The smallest total length a block type can have.
fn min_len(block_type: u32) -> u32 {
    match block_type {
        SHB => 28,
        IDB => 20,
        EPB | PB => 32,
        SPB => 16,
        _ => MIN_BLOCK_LEN as u32,
    }
}

/// Read a 32-bit word at `at` (zero past the end: framing guarantees the fields exist).
fn word(bytes: &[u8], at: usize, big_endian: bool) -> u32 {
    let b = at
        .checked_add(4)
        .and_then(|end| bytes.get(at..end))
        .and_then(|s| <[u8; 4]>::try_from(s).ok())
        .unwrap_or_default();
    if big_endian {
        u32::from_be_bytes(b)
    } else {
        u32::from_le_bytes(b)
    }
}

/// Read a 16-bit half-word at `at` (zero past the end).
fn half(bytes: &[u8], at: usize, big_endian: bool) -> u16 {
    let b = at
        .checked_add(2)
        .and_then(|end| bytes.get(at..end))
        .and_then(|s| <[u8; 2]>::try_from(s).ok())
        .unwrap_or_default();
    if big_endian {
        u16::from_be_bytes(b)
    } else {
        u16::from_le_bytes(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_decimal_and_binary_timestamp_resolutions() {
        assert_eq!(Scale::from_tsresol(6), Some(Scale::Multiply(1000)));
        assert_eq!(Scale::from_tsresol(9), Some(Scale::Multiply(1)));
        assert_eq!(Scale::from_tsresol(12), Some(Scale::Divide(1000)));
        assert_eq!(Scale::from_tsresol(0x80 | 10), Some(Scale::Binary(10)));
        assert_eq!(Scale::from_tsresol(20), None);
        assert_eq!(Scale::from_tsresol(0x80 | 64), None);
    }

    #[test]
    fn converts_units_to_nanoseconds() {
        assert_eq!(Scale::MICROS.nanos(1_500_000), 1_500_000_000);
        assert_eq!(Scale::Divide(1000).nanos(1_500_000_000_000), 1_500_000_000);
        // 2^-10 s units: 1024 of them are one second.
        assert_eq!(Scale::Binary(10).nanos(1536), 1_500_000_000);
        assert_eq!(Scale::Multiply(1_000_000_000).nanos(u64::MAX), u64::MAX);
    }

    #[test]
    fn applies_negative_timestamp_offset() {
        let interface = Interface {
            link_type: LinkType::ETHERNET,
            snaplen: 0,
            scale: Scale::MICROS,
            offset_secs: -10,
        };
        // 20 s in microseconds, minus the 10 s offset.
        assert_eq!(
            interface.timestamp(0, 20_000_000),
            Timestamp(10_000_000_000)
        );
    }

    #[test]
    fn counts_name_records_beyond_the_queue_limit() {
        let mut queue = NameQueue::default();
        let address = IpAddr::from([192, 0, 2, 1]);
        for _ in 0..MAX_PENDING_NAMES + 3 {
            queue.push(NameRecord {
                address,
                name: String::new(),
            });
        }
        assert_eq!(queue.pending.len(), MAX_PENDING_NAMES);
        assert_eq!(queue.dropped, 3);
    }

    #[test]
    fn rejects_unaligned_and_oversized_blocks() {
        let reader = NgReader {
            big_endian: false,
            interfaces: Vec::new(),
            last_timestamp: Timestamp(0),
        };
        // Block type 6 (EPB), total length 33: not a multiple of 4.
        let unaligned = [6, 0, 0, 0, 33, 0, 0, 0, 0, 0, 0, 0];
        assert!(matches!(
            reader.frame(&unaligned),
            Err((
                "enhanced packet block",
                Defect::BlockMisaligned { length: 33 }
            ))
        ));
        // Block type 5 (ISB), total length 0x00100000: above the limit.
        let oversized = [5, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0];
        assert!(matches!(
            reader.frame(&oversized),
            Err((_, Defect::BlockTooLong { .. }))
        ));
    }
}
