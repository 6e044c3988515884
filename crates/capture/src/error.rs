//! What can go wrong while reading a capture, as located facts.
//!
//! Every error names the file; errors about the content also carry the byte offset (in the
//! decompressed stream when the file is gzip-compressed, and the message says so), what was
//! expected and what was found. [`CaptureError::is_recoverable`] tells the caller whether the
//! same [`crate::CaptureFile`] can go on delivering packets after it.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// A byte position in a capture stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offset {
    /// Bytes from the start of the stream.
    pub value: u64,
    /// Whether the stream is the decompressed content of a gzip file.
    pub decompressed: bool,
}

impl fmt::Display for Offset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.decompressed {
            write!(f, "offset {} of the decompressed stream", self.value)
        } else {
            write!(f, "offset {}", self.value)
        }
    }
}

/// What was wrong with a corrupt record or block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Defect {
    /// A classic pcap record claims more captured bytes than the file allows.
    #[error("captured length {caplen} exceeds the limit of {limit} bytes ({reason})")]
    CaptureLengthTooLarge {
        /// The record's captured length.
        caplen: u32,
        /// The largest captured length accepted.
        limit: u32,
        /// Where the limit comes from.
        reason: &'static str,
    },
    /// A pcapng section header block has an unknown byte-order magic.
    #[error("byte-order magic {found:#010x}, expected 0x1a2b3c4d in either byte order")]
    ByteOrderMagic {
        /// The four bytes found, read big-endian.
        found: u32,
    },
    /// A pcapng block is shorter than its type requires.
    #[error("block length {length} is below the minimum of {minimum}")]
    BlockTooShort {
        /// The block's total length.
        length: u32,
        /// The smallest valid length for this block type.
        minimum: u32,
    },
    /// A pcapng block is longer than the reader accepts.
    #[error("block length {length} exceeds the limit of {limit}")]
    BlockTooLong {
        /// The block's total length.
        length: u32,
        /// The largest block accepted.
        limit: u32,
    },
    /// A pcapng block length is not a multiple of four.
    #[error("block length {length} is not a multiple of 4")]
    BlockMisaligned {
        /// The block's total length.
        length: u32,
    },
    /// The trailing copy of a pcapng block length differs from the leading one.
    #[error("trailing block length {trailing} differs from leading length {leading}")]
    TrailerMismatch {
        /// The length at the start of the block.
        leading: u32,
        /// The length at the end of the block.
        trailing: u32,
    },
    /// A packet block claims more packet bytes than the block holds.
    #[error("captured length {caplen} exceeds the {room} bytes the block holds")]
    PacketBeyondBlock {
        /// The captured length claimed.
        caplen: u32,
        /// The bytes available for packet data.
        room: u32,
    },
    /// A packet block refers to an interface the section has not described.
    #[error("interface {id} is not described (the section has {defined})")]
    UnknownInterface {
        /// The interface id in the packet block.
        id: u32,
        /// How many interfaces the section has described so far.
        defined: usize,
    },
    /// A section describes more interfaces than the reader keeps.
    #[error("more than {limit} interfaces in one section")]
    TooManyInterfaces {
        /// The most interfaces kept per section.
        limit: usize,
    },
    /// An interface's `if_tsresol` cannot be represented.
    #[error(
        "if_tsresol {tsresol:#04x} is not supported (expected 10^-0..10^-19 or 2^-0..2^-63); \
         its timestamps are read as microseconds"
    )]
    TimestampResolution {
        /// The raw `if_tsresol` option value.
        tsresol: u8,
    },
    /// A block's body does not have the expected shape.
    #[error("malformed body, expected {expected}")]
    MalformedBody {
        /// What the body should have held.
        expected: &'static str,
    },
}

/// How the reader went on after a corrupt record or block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// The block was well framed; it was skipped and reading goes on after it.
    SkippedBlock,
    /// The block was used with a default in place of the bad value.
    Continued,
    /// The framing was lost; reading resumes at the next plausible record.
    Resynchronised {
        /// Offset of the record reading resumes at.
        at: u64,
        /// Bytes skipped to get there.
        skipped: u64,
    },
    /// The framing was lost and no plausible record follows.
    NothingFollows {
        /// Bytes skipped to the end of the stream.
        skipped: u64,
    },
}

impl fmt::Display for Recovery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Recovery::SkippedBlock => write!(f, "skipped the block"),
            Recovery::Continued => write!(f, "reading goes on"),
            Recovery::Resynchronised { at, skipped } => {
                write!(
                    f,
                    "resynchronised at offset {at} after skipping {skipped} bytes"
                )
            }
            Recovery::NothingFollows { skipped } => write!(
                f,
                "no plausible record follows ({skipped} bytes skipped to the end)"
            ),
        }
    }
}

/// An error reading capture inputs.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// A path could not be opened, inspected or listed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path concerned.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// Reading the stream failed part-way (for gzip: the compressed data is corrupt or cut).
    #[error("{}: read failed at {at}{}: {source}", path.display(), compressed_note(*compressed_at))]
    Read {
        /// The capture file.
        path: PathBuf,
        /// How far the stream had been read.
        at: Offset,
        /// How far the compressed file had been read, for gzip files.
        compressed_at: Option<u64>,
        /// The reader's or decompressor's error.
        source: io::Error,
    },
    /// The file holds no bytes.
    #[error("{}: empty file{}", path.display(), decompressed_note(*decompressed))]
    Empty {
        /// The capture file.
        path: PathBuf,
        /// Whether it was the gzip content that was empty.
        decompressed: bool,
    },
    /// The file starts with neither a pcap nor a pcapng magic number.
    #[error(
        "{}: not a capture file (first bytes {}{})",
        path.display(),
        hex(first_bytes),
        decompressed_note(*decompressed)
    )]
    NotACapture {
        /// The file.
        path: PathBuf,
        /// Up to eight leading bytes, for the message.
        first_bytes: Vec<u8>,
        /// Whether these bytes come from inside a gzip file.
        decompressed: bool,
    },
    /// The file is a capture in a variant this reader does not read.
    #[error("{}: unsupported {what} at {at}: expected {expected}, found {found}", path.display())]
    Unsupported {
        /// The capture file.
        path: PathBuf,
        /// Where the unsupported header starts.
        at: Offset,
        /// The header concerned.
        what: &'static str,
        /// What the reader supports.
        expected: &'static str,
        /// What the file holds.
        found: String,
    },
    /// The stream ends inside a record or block; nothing follows.
    #[error(
        "{}: truncated {what} at {at}: expected {needed} bytes, found {available}",
        path.display()
    )]
    Truncated {
        /// The capture file.
        path: PathBuf,
        /// Where the cut record starts.
        at: Offset,
        /// The record or block concerned.
        what: &'static str,
        /// Bytes the record needs.
        needed: u64,
        /// Bytes left in the stream.
        available: u64,
    },
    /// A record or block is corrupt; the reader recovered and can go on.
    #[error("{}: corrupt {what} at {at}: {defect}; {recovery}", path.display())]
    Corrupt {
        /// The capture file.
        path: PathBuf,
        /// Where the corrupt record starts.
        at: Offset,
        /// The record or block concerned.
        what: &'static str,
        /// What was wrong.
        defect: Defect,
        /// How reading went on.
        recovery: Recovery,
    },
}

impl CaptureError {
    /// Tell whether the reader that returned this error can deliver further packets.
    pub fn is_recoverable(&self) -> bool {
        matches!(self, CaptureError::Corrupt { .. })
    }
}

/// Format bytes as space-separated hex pairs.
fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&format!("{b:02x}"));
    }
    out
}

fn decompressed_note(decompressed: bool) -> &'static str {
    if decompressed {
        " after gzip decompression"
    } else {
        ""
    }
}

fn compressed_note(compressed_at: Option<u64>) -> String {
    compressed_at.map_or_else(String::new, |at| format!(" (compressed offset {at})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_which_stream_an_offset_counts_in() {
        let plain = Offset {
            value: 24,
            decompressed: false,
        };
        let inflated = Offset {
            value: 24,
            decompressed: true,
        };
        assert_eq!(plain.to_string(), "offset 24");
        assert_eq!(inflated.to_string(), "offset 24 of the decompressed stream");
    }

    #[test]
    fn shows_leading_bytes_of_a_non_capture_in_hex() {
        let err = CaptureError::NotACapture {
            path: PathBuf::from("notes.txt"),
            first_bytes: b"<!DOCTYPE".get(..8).unwrap_or_default().to_vec(),
            decompressed: false,
        };
        assert_eq!(
            err.to_string(),
            "notes.txt: not a capture file (first bytes 3c 21 44 4f 43 54 59 50)"
        );
        assert!(!err.is_recoverable());
    }

    #[test]
    fn corrupt_errors_are_recoverable_and_say_how() {
        let err = CaptureError::Corrupt {
            path: PathBuf::from("a.pcap"),
            at: Offset {
                value: 100,
                decompressed: false,
            },
            what: "pcap record",
            defect: Defect::CaptureLengthTooLarge {
                caplen: 70000,
                limit: 65535,
                reason: "snaplen",
            },
            recovery: Recovery::Resynchronised {
                at: 180,
                skipped: 80,
            },
        };
        assert!(err.is_recoverable());
        assert_eq!(
            err.to_string(),
            "a.pcap: corrupt pcap record at offset 100: captured length 70000 exceeds the limit \
             of 65535 bytes (snaplen); resynchronised at offset 180 after skipping 80 bytes"
        );
    }
}
