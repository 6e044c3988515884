//! Capture files in, packets out: the adapter at the top of `rampart analyze`'s hot path.
//!
//! [`expand_inputs`] turns the command's paths into a sorted list of files; [`CaptureFile`]
//! reads one of them, classic pcap (micro- or nanosecond, either byte order) or pcapng (any
//! number of sections and interfaces), plain or gzip-compressed (detected by the `1f 8b`
//! magic and streamed through `flate2`'s `MultiGzDecoder`, never inflated whole).
//!
//! # Buffering
//!
//! Each open file owns one buffer, 64 KiB at first and doubled up to 4 MiB as the stream
//! outgrows it. [`CaptureFile::next_packet`] is a lending reader: the [`Packet`] it returns
//! borrows its bytes from that buffer, so reading a packet allocates nothing and copies
//! nothing; the borrow ends before the next call may refill. The buffer is refilled with
//! large reads and compacted only when a record does not fit in the space left. No length
//! field from the file decides an allocation: a record or block above 256 KiB (plus 64 KiB
//! of pcapng headers and options) is corrupt by definition.
//!
//! # Bad input
//!
//! A record cut by the end of the file gives [`CaptureError::Truncated`] (with the record's
//! offset), then `Ok(None)`. A corrupt record in the middle (a classic record whose captured
//! length exceeds the snap length or 256 KiB, a pcapng block with an impossible length or a
//! trailer that differs from its leader) gives [`CaptureError::Corrupt`]: by then the reader
//! has already resynchronised, scanning forward byte by byte for the next plausible record
//! (pcap: a header whose lengths and timestamp, within a day of the previous packet, fit,
//! followed by another such header or the end; pcapng: a known block type whose leading and
//! trailing lengths agree), and the error says where reading resumes and how much was
//! skipped. A monitor reading a damaged capture should lose the damaged part, not the rest.
//! [`CaptureError::is_recoverable`] tells the two kinds apart.
//!
//! # Why the framing is hand-written
//!
//! `pcap-parser` decodes the classic file header, the pcapng interface description blocks
//! and name resolution blocks. Its streaming readers (`LegacyPcapReader`, `PcapNGReader`)
//! are not used: they trust a record's length before judging it (a corrupt length reads as
//! "incomplete" or "buffer too small", with no way to resume at a chosen offset), they
//! reduce read errors to `ReadError` (losing why a gzip stream failed), and their enhanced
//! packet block parser collects options into a `Vec`, an allocation per packet. Record and
//! block framing, packet blocks and resync are therefore written here, in `pcap` and
//! `pcapng`, over the buffer in `input`.

#![forbid(unsafe_code)]

mod error;
mod input;
mod inputs;
mod link;
mod pcap;
mod pcapng;

use std::collections::vec_deque;
use std::fmt;
use std::fs::File;
use std::io::Read;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

pub use error::{CaptureError, Defect, Offset, Recovery};
pub use inputs::expand_inputs;
pub use link::LinkType;
pub use rampart_event::Timestamp;

use input::Input;
use pcap::PcapReader;
use pcapng::{NameQueue, NgReader};

/// One packet, borrowed from the reader's buffer until the next call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'a> {
    /// When the packet was captured (for a pcapng simple packet block, which carries none,
    /// the previous packet's time, or zero).
    pub timestamp: Timestamp,
    /// The link-layer header type of `data`.
    pub link_type: LinkType,
    /// The captured bytes, possibly fewer than were on the wire.
    pub data: &'a [u8],
    /// The packet's length on the wire.
    pub wire_len: u32,
    /// The pcapng interface index within its section (0 for classic pcap).
    pub interface: u32,
    /// Where `data` starts in the file, when the capture is a regular file read as it is
    /// stored (not decompressed, not a stream): what lets a consumer keep the offset of a
    /// packet rather than a copy of it and read the bytes back later.
    pub file_offset: Option<u64>,
}

/// A name a pcapng name resolution block gives to an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameRecord {
    /// The address named.
    pub address: IpAddr,
    /// The name, with invalid UTF-8 replaced.
    pub name: String,
}

/// The container format of a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Classic libpcap format.
    Pcap {
        /// Whether timestamps have nanosecond (rather than microsecond) resolution.
        nanos: bool,
        /// Whether the file was written big-endian.
        big_endian: bool,
    },
    /// pcapng; byte order and timestamp resolution may differ per section and interface.
    PcapNg,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Format::Pcap { nanos, big_endian } => write!(
                f,
                "pcap ({}, {})",
                if *nanos { "nanosecond" } else { "microsecond" },
                if *big_endian {
                    "big-endian"
                } else {
                    "little-endian"
                }
            ),
            Format::PcapNg => write!(f, "pcapng"),
        }
    }
}

/// Where a packet lies in the buffer, and what the framing says about it.
pub(crate) struct Found {
    pub(crate) start: usize,
    pub(crate) len: usize,
    pub(crate) timestamp: Timestamp,
    pub(crate) link_type: LinkType,
    pub(crate) wire_len: u32,
    pub(crate) interface: u32,
}

enum Framing {
    Pcap(PcapReader),
    PcapNg(NgReader),
}

/// One open capture input.
pub struct CaptureFile {
    input: Input,
    framing: Framing,
    names: NameQueue,
    total_bytes: u64,
    done: bool,
    /// A regular file read as stored: its packets' bytes can be read again at their offsets.
    seekable: bool,
}

impl CaptureFile {
    /// Open a capture file, detecting gzip compression and the capture format.
    pub fn open(path: &Path) -> Result<CaptureFile, CaptureError> {
        let io_error = |source| CaptureError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(io_error)?;
        let metadata = file.metadata().map_err(io_error)?;
        let mut capture = CaptureFile::from_reader(path, file)?;
        capture.total_bytes = metadata.len();
        capture.seekable = metadata.is_file() && !capture.input.compressed();
        Ok(capture)
    }

    /// Read a capture from any byte stream; `name` names it in errors, and
    /// [`total_bytes`](Self::total_bytes) is 0 since the length is unknown.
    pub fn from_reader(
        name: impl Into<PathBuf>,
        reader: impl Read + Send + 'static,
    ) -> Result<CaptureFile, CaptureError> {
        let mut input = Input::new(name.into(), Box::new(reader))?;
        let available = input.ensure(8);
        let framing = match input.window().first_chunk::<4>() {
            // Section 4 of draft-ietf-opsawg-pcap: a1b2c3d4 (microseconds) or a1b23c4d
            // (nanoseconds), written in the writer's byte order; a1b2cd34 is the modified
            // format, refused by `PcapReader::open`.
            Some(
                [0xd4, 0xc3, 0xb2, 0xa1]
                | [0xa1, 0xb2, 0xc3, 0xd4]
                | [0x4d, 0x3c, 0xb2, 0xa1]
                | [0xa1, 0xb2, 0x3c, 0x4d]
                | [0x34, 0xcd, 0xb2, 0xa1]
                | [0xa1, 0xb2, 0xcd, 0x34],
            ) => Framing::Pcap(PcapReader::open(&mut input)?),
            // Section 4.1 of draft-ietf-opsawg-pcapng: the section header block type.
            Some([0x0a, 0x0d, 0x0d, 0x0a]) => Framing::PcapNg(NgReader::open(&mut input)?),
            _ => {
                if let Some(err) = input.take_failure() {
                    return Err(err);
                }
                return Err(if available == 0 {
                    CaptureError::Empty {
                        path: input.path().to_path_buf(),
                        decompressed: input.compressed(),
                    }
                } else {
                    CaptureError::NotACapture {
                        path: input.path().to_path_buf(),
                        first_bytes: input.window().iter().take(8).copied().collect(),
                        decompressed: input.compressed(),
                    }
                });
            }
        };
        Ok(CaptureFile {
            input,
            framing,
            names: NameQueue::default(),
            total_bytes: 0,
            done: false,
            seekable: false,
        })
    }

    /// Return the next packet, `Ok(None)` at the end, or an error (after which reading goes
    /// on only if [`CaptureError::is_recoverable`]).
    #[inline]
    pub fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        if self.done {
            return Ok(None);
        }
        let step = match &mut self.framing {
            Framing::Pcap(reader) => reader.next(&mut self.input),
            Framing::PcapNg(reader) => reader.next(&mut self.input, &mut self.names),
        };
        match step {
            Ok(Some(found)) => Ok(Some(Packet {
                timestamp: found.timestamp,
                link_type: found.link_type,
                data: self.input.bytes(found.start, found.len),
                wire_len: found.wire_len,
                interface: found.interface,
                file_offset: self.seekable.then(|| self.input.stream_offset(found.start)),
            })),
            Ok(None) => {
                self.done = true;
                Ok(None)
            }
            Err(err) => {
                self.done = !err.is_recoverable();
                Err(err)
            }
        }
    }

    /// Tell whether packets come with the [`file_offset`](Packet::file_offset) of their bytes.
    pub fn seekable(&self) -> bool {
        self.seekable
    }

    /// Take the name records read so far (pcapng name resolution blocks).
    pub fn names(&mut self) -> vec_deque::Drain<'_, NameRecord> {
        self.names.pending.drain(..)
    }

    /// Return how many name records were dropped because [`names`](Self::names) was not
    /// drained (at most 65 536 are kept).
    pub fn names_dropped(&self) -> u64 {
        self.names.dropped
    }

    /// Return the bytes read from the underlying (possibly compressed) file, for progress.
    pub fn bytes_read(&self) -> u64 {
        self.input.bytes_read()
    }

    /// Return the file's size in bytes (0 when read from a stream of unknown length).
    pub fn total_bytes(&self) -> u64 {
        self.total_bytes
    }

    /// Return the container format.
    pub fn format(&self) -> Format {
        match &self.framing {
            Framing::Pcap(reader) => reader.format(),
            Framing::PcapNg(_) => Format::PcapNg,
        }
    }

    /// Tell whether the file is gzip-compressed.
    pub fn compressed(&self) -> bool {
        self.input.compressed()
    }

    /// Return the path (or stream name) the capture was opened with.
    pub fn path(&self) -> &Path {
        self.input.path()
    }
}
