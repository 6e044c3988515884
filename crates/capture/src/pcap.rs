//! Classic libpcap files: a 24-byte file header, then 16-byte record headers each followed by
//! the captured bytes (draft-ietf-opsawg-pcap, sections 4 and 5).
//!
//! The file header is decoded by `pcap-parser`; records are framed here, because that is
//! where the reader must judge a record header before trusting its length: a captured length
//! above the snap length or 256 KiB means the framing is lost, and the reader scans forward
//! for two consecutive plausible record headers rather than reading gigabytes of garbage.

use rampart_event::Timestamp;

use crate::error::{CaptureError, Defect, Offset};
use crate::input::{Input, Verdict};
use crate::link::LinkType;
use crate::{Format, Found};

/// Bytes in the file header.
pub(crate) const FILE_HEADER_LEN: usize = 24;
/// Bytes in a record header.
const RECORD_HEADER_LEN: usize = 16;
/// The largest captured length accepted (libpcap's MAXIMUM_SNAPLEN).
pub(crate) const MAX_CAPLEN: u32 = 262_144;
/// The largest original length a resync candidate may claim (TSO captures exceed 64 KiB).
const MAX_PLAUSIBLE_ORIG_LEN: u32 = 1 << 24;
/// How far apart two records' seconds may be for a resync candidate.
const PLAUSIBLE_TIME_STEP: u32 = 86_400;

/// A record header, in host order.
#[derive(Clone, Copy)]
struct RecordHeader {
    secs: u32,
    frac: u32,
    caplen: u32,
    orig_len: u32,
}

/// Framing state of a classic pcap stream.
pub(crate) struct PcapReader {
    big_endian: bool,
    nanos: bool,
    link_type: LinkType,
    /// Captured lengths above this are corrupt (unless the next record confirms them).
    limit: u32,
    /// Whether `limit` is the file's snap length rather than [`MAX_CAPLEN`].
    limit_is_snaplen: bool,
    last_secs: Option<u32>,
}

impl PcapReader {
    /// Decode the file header at the start of `input` and consume it.
    pub(crate) fn open(input: &mut Input) -> Result<PcapReader, CaptureError> {
        let available = input.ensure(FILE_HEADER_LEN);
        if available < FILE_HEADER_LEN {
            return match input.end_of_stream::<()>("pcap file header", FILE_HEADER_LEN) {
                Err(e) => Err(e),
                Ok(_) => Err(truncated_header(input, available)),
            };
        }
        // The modified (Kuznetzov) format's magic a1b2cd34, in either byte order: its records
        // carry eight more header bytes.
        let magic = input
            .window()
            .first_chunk::<4>()
            .copied()
            .unwrap_or_default();
        if magic == [0x34, 0xcd, 0xb2, 0xa1] || magic == [0xa1, 0xb2, 0xcd, 0x34] {
            return Err(unsupported(
                input,
                "pcap magic",
                "a1b2c3d4 or a1b23c4d",
                "a1b2cd34 (modified pcap)",
            ));
        }
        let header = match pcap_parser::parse_pcap_header(input.window()) {
            Ok((_, header)) => header,
            Err(_) => return Err(not_pcap(input)),
        };
        if header.version_major != 2 {
            let found = format!("{}.{}", header.version_major, header.version_minor);
            return Err(unsupported(input, "pcap version", "2.x", &found));
        }
        // The upper bits of the link-type field carry FCS information (section 5.8).
        let link_type = LinkType((header.network.0 & 0xffff) as u16);
        let limit_is_snaplen = header.snaplen != 0 && header.snaplen <= MAX_CAPLEN;
        input.consume(FILE_HEADER_LEN);
        Ok(PcapReader {
            big_endian: header.is_bigendian(),
            nanos: header.is_nanosecond_precision(),
            link_type,
            limit: if limit_is_snaplen {
                header.snaplen
            } else {
                MAX_CAPLEN
            },
            limit_is_snaplen,
            last_secs: None,
        })
    }

    /// Describe the variant.
    pub(crate) fn format(&self) -> Format {
        Format::Pcap {
            nanos: self.nanos,
            big_endian: self.big_endian,
        }
    }

    /// Frame the next record.
    #[inline]
    pub(crate) fn next(&mut self, input: &mut Input) -> Result<Option<Found>, CaptureError> {
        if input.ensure(RECORD_HEADER_LEN) < RECORD_HEADER_LEN {
            return input.end_of_stream("pcap record header", RECORD_HEADER_LEN);
        }
        let Some(header) = self.header(input.window()) else {
            return input.end_of_stream("pcap record header", RECORD_HEADER_LEN);
        };
        if header.caplen > self.limit && !self.confirmed_by_next(input, header) {
            let defect = Defect::CaptureLengthTooLarge {
                caplen: header.caplen,
                limit: self.limit,
                reason: if self.limit_is_snaplen {
                    "snap length"
                } else {
                    "256 KiB"
                },
            };
            return Err(self.resync(input, defect));
        }
        let record_len = RECORD_HEADER_LEN + header.caplen as usize;
        if input.ensure(record_len) < record_len {
            return input.end_of_stream("pcap record", record_len);
        }
        let start = input.position() + RECORD_HEADER_LEN;
        input.consume(record_len);
        self.last_secs = Some(header.secs);
        let frac_nanos = if self.nanos {
            u64::from(header.frac)
        } else {
            u64::from(header.frac) * 1000
        };
        Ok(Some(Found {
            start,
            len: header.caplen as usize,
            timestamp: Timestamp(u64::from(header.secs) * 1_000_000_000 + frac_nanos),
            link_type: self.link_type,
            wire_len: header.orig_len,
            interface: 0,
        }))
    }

    /// Decode the record header at the start of `bytes`.
    #[inline]
    fn header(&self, bytes: &[u8]) -> Option<RecordHeader> {
        let h: [u8; RECORD_HEADER_LEN] = bytes.get(..RECORD_HEADER_LEN)?.try_into().ok()?;
        let word = |b: [u8; 4]| {
            if self.big_endian {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            }
        };
        Some(RecordHeader {
            secs: word([h[0], h[1], h[2], h[3]]),
            frac: word([h[4], h[5], h[6], h[7]]),
            caplen: word([h[8], h[9], h[10], h[11]]),
            orig_len: word([h[12], h[13], h[14], h[15]]),
        })
    }

    /// Accept a record longer than the snap length when the record after it is plausible:
    /// libpcap and Wireshark read such files, and garbage rarely frames two headers in a row.
    fn confirmed_by_next(&self, input: &mut Input, header: RecordHeader) -> bool {
        if header.caplen > MAX_CAPLEN {
            return false;
        }
        let record_len = RECORD_HEADER_LEN + header.caplen as usize;
        input.ensure(record_len + RECORD_HEADER_LEN);
        self.follows(
            input.window(),
            input.at_eof(),
            record_len,
            header.secs,
            MAX_CAPLEN,
        )
    }

    /// Tell whether a plausible record header (or the clean end of the stream) sits at `at`.
    fn follows(&self, window: &[u8], eof: bool, at: usize, secs: u32, limit: u32) -> bool {
        match window.get(at..).and_then(|rest| self.header(rest)) {
            Some(next) => self.plausible(next, Some(secs), limit),
            None => eof && window.len() == at,
        }
    }

    /// Judge a record header found while scanning for the framing.
    fn plausible(&self, h: RecordHeader, previous_secs: Option<u32>, limit: u32) -> bool {
        let frac_limit = if self.nanos { 1_000_000_000 } else { 1_000_000 };
        h.caplen <= limit
            && h.caplen <= h.orig_len
            && h.orig_len <= MAX_PLAUSIBLE_ORIG_LEN
            && h.frac < frac_limit
            && previous_secs.is_none_or(|p| p.abs_diff(h.secs) <= PLAUSIBLE_TIME_STEP)
    }

    /// Report the corrupt record at the current position and scan to the next plausible one:
    /// a header whose lengths and time fit, followed by another such header or the end.
    #[cold]
    fn resync(&mut self, input: &mut Input, defect: Defect) -> CaptureError {
        let at = input.offset();
        let recovery = input.resync(|window, eof| {
            let Some(first) = self.header(window) else {
                return if eof {
                    Verdict::Implausible
                } else {
                    Verdict::NeedMore(RECORD_HEADER_LEN)
                };
            };
            if !self.plausible(first, self.last_secs, self.limit) {
                return Verdict::Implausible;
            }
            let next_at = RECORD_HEADER_LEN + first.caplen as usize;
            if window.len() < next_at + RECORD_HEADER_LEN && !eof {
                return Verdict::NeedMore(next_at + RECORD_HEADER_LEN);
            }
            if self.follows(window, eof, next_at, first.secs, self.limit) {
                Verdict::Plausible
            } else {
                Verdict::Implausible
            }
        });
        input.corrupt(at, "pcap record", defect, recovery)
    }
}

fn truncated_header(input: &Input, available: usize) -> CaptureError {
    CaptureError::Truncated {
        path: input.path().to_path_buf(),
        at: Offset {
            value: 0,
            decompressed: input.compressed(),
        },
        what: "pcap file header",
        needed: FILE_HEADER_LEN as u64,
        available: available as u64,
    }
}

fn not_pcap(input: &Input) -> CaptureError {
    CaptureError::NotACapture {
        path: input.path().to_path_buf(),
        first_bytes: input.window().iter().take(8).copied().collect(),
        decompressed: input.compressed(),
    }
}

fn unsupported(
    input: &Input,
    what: &'static str,
    expected: &'static str,
    found: &str,
) -> CaptureError {
    CaptureError::Unsupported {
        path: input.path().to_path_buf(),
        at: Offset {
            value: 0,
            decompressed: input.compressed(),
        },
        what,
        expected,
        found: found.to_string(),
    }
}
