//! The byte stream under a capture: gzip detection, one large buffer, offsets and resync.
//!
//! The buffer starts at 64 KiB and doubles, up to 4 MiB, each time reads fill it, so a small
//! file costs little and a large one is read in 4 MiB gulps. Records are handed out
//! as slices into it; it is refilled with large reads and compacted (the unread tail moved
//! to the front) only when a record does not fit in the space left, so at most one record's
//! bytes are copied per refill. A read error is kept until the framing runs out of bytes, so
//! the packets read before the failure are still delivered.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

use crate::error::{CaptureError, Defect, Offset, Recovery};

/// Bytes held in memory per open capture, once the stream has proved that long.
pub(crate) const BUFFER_SIZE: usize = 4 << 20;
/// The buffer's size when a capture is opened; small files never need more.
const INITIAL_BUFFER_SIZE: usize = 64 << 10;

/// The leading bytes of a gzip member (RFC 1952 section 2.3.1, ID1 ID2).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// A resync candidate's verdict.
pub(crate) enum Verdict {
    /// A record plausibly starts here.
    Plausible,
    /// No record starts here.
    Implausible,
    /// The check needs this many bytes from the candidate position to decide.
    NeedMore(usize),
}

/// The file as read from disk, counting bytes for progress.
struct Raw {
    inner: Box<dyn Read + Send>,
    /// Bytes read ahead to detect compression, replayed first.
    head: [u8; 2],
    head_len: usize,
    head_pos: usize,
    count: u64,
}

impl Read for Raw {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let pending = self
            .head
            .get(self.head_pos..self.head_len)
            .unwrap_or_default();
        if !pending.is_empty() {
            let mut n = 0;
            for (dst, src) in out.iter_mut().zip(pending) {
                *dst = *src;
                n += 1;
            }
            self.head_pos += n;
            return Ok(n);
        }
        let n = self.inner.read(out)?;
        self.count += n as u64;
        Ok(n)
    }
}

enum Source {
    Plain(Raw),
    Gzip(Box<MultiGzDecoder<Raw>>),
}

/// A buffered capture stream.
pub(crate) struct Input {
    path: PathBuf,
    source: Source,
    buf: Vec<u8>,
    /// Start of the unread bytes in `buf`.
    start: usize,
    /// End of the valid bytes in `buf`.
    end: usize,
    /// Stream offset of `buf[0]`.
    base: u64,
    /// No more bytes will arrive (end of stream or a read error).
    eof: bool,
    /// The read error that ended the stream, surfaced once the buffered bytes are used up.
    failure: Option<io::Error>,
}

impl Input {
    /// Wrap a reader, detecting gzip compression from its first two bytes.
    pub(crate) fn new(
        path: PathBuf,
        mut inner: Box<dyn Read + Send>,
    ) -> Result<Input, CaptureError> {
        let mut head = [0u8; 2];
        let mut head_len = 0;
        while let Some(space) = head.get_mut(head_len..).filter(|s| !s.is_empty()) {
            match inner.read(space) {
                Ok(0) => break,
                Ok(n) => head_len += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(source) => return Err(CaptureError::Io { path, source }),
            }
        }
        if head_len == 0 {
            return Err(CaptureError::Empty {
                path,
                decompressed: false,
            });
        }
        let raw = Raw {
            inner,
            head,
            head_len,
            head_pos: 0,
            count: head_len as u64,
        };
        let source = if head_len == 2 && head == GZIP_MAGIC {
            Source::Gzip(Box::new(MultiGzDecoder::new(raw)))
        } else {
            Source::Plain(raw)
        };
        Ok(Input {
            path,
            source,
            buf: vec![0; INITIAL_BUFFER_SIZE],
            start: 0,
            end: 0,
            base: 0,
            eof: false,
            failure: None,
        })
    }

    /// Return the file's name.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Tell whether the stream is gzip-decompressed.
    pub(crate) fn compressed(&self) -> bool {
        matches!(self.source, Source::Gzip(_))
    }

    /// Return the bytes read from the underlying file so far.
    pub(crate) fn bytes_read(&self) -> u64 {
        match &self.source {
            Source::Plain(raw) => raw.count,
            Source::Gzip(gz) => gz.get_ref().count,
        }
    }

    /// Return the stream offset of the next unread byte.
    pub(crate) fn offset(&self) -> Offset {
        Offset {
            value: self.stream_position(),
            decompressed: self.compressed(),
        }
    }

    fn stream_position(&self) -> u64 {
        self.stream_offset(self.start)
    }

    /// Return the stream offset of the byte at buffer index `index`.
    pub(crate) fn stream_offset(&self, index: usize) -> u64 {
        self.base + index as u64
    }

    /// Return the buffer index of the next unread byte.
    pub(crate) fn position(&self) -> usize {
        self.start
    }

    /// Return the unread bytes in the buffer.
    pub(crate) fn window(&self) -> &[u8] {
        self.buf.get(self.start..self.end).unwrap_or_default()
    }

    /// Tell whether the window holds everything left in the stream.
    pub(crate) fn at_eof(&self) -> bool {
        self.eof
    }

    /// Return `len` bytes from buffer index `from` (empty if out of range).
    pub(crate) fn bytes(&self, from: usize, len: usize) -> &[u8] {
        from.checked_add(len)
            .and_then(|to| self.buf.get(from..to))
            .unwrap_or_default()
    }

    /// Mark `n` unread bytes as read.
    pub(crate) fn consume(&mut self, n: usize) {
        self.start = self.start.saturating_add(n).min(self.end);
    }

    /// Try to make `n` unread bytes available; return how many are (fewer only at the end).
    #[inline]
    pub(crate) fn ensure(&mut self, n: usize) -> usize {
        let available = self.end - self.start;
        if available >= n {
            return available;
        }
        self.fill(n)
    }

    #[cold]
    fn fill(&mut self, n: usize) -> usize {
        if self.eof {
            return self.end - self.start;
        }
        if self.start.saturating_add(n) > self.buf.len() || self.start == self.end {
            // Reads filled the whole buffer: the stream outgrew it, so double it for larger
            // reads.
            let outgrown = self.end == self.buf.len();
            self.compact();
            if outgrown {
                self.grow(0);
            }
        }
        while self.end - self.start < n && !self.eof {
            // Full of unread bytes yet short of `n`: grow. Either way the buffer grows only
            // after bytes arrived, never because a length field claims them.
            if self.end == self.buf.len() && !self.grow(n) {
                break;
            }
            let Some(space) = self.buf.get_mut(self.end..) else {
                break;
            };
            let read = match &mut self.source {
                Source::Plain(raw) => raw.read(space),
                Source::Gzip(gz) => gz.read(space),
            };
            match read {
                Ok(0) => self.eof = true,
                Ok(got) => self.end = (self.end + got).min(self.buf.len()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.eof = true;
                    self.failure = Some(e);
                }
            }
        }
        self.end - self.start
    }

    /// Double the buffer (to at least `n` bytes), up to [`BUFFER_SIZE`]; tell whether it grew.
    fn grow(&mut self, n: usize) -> bool {
        let len = self.buf.len();
        if len >= BUFFER_SIZE {
            return false;
        }
        self.buf
            .resize(len.saturating_mul(2).max(n).min(BUFFER_SIZE), 0);
        true
    }

    /// Move the unread bytes to the front of the buffer.
    fn compact(&mut self) {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.base += self.start as u64;
            self.end -= self.start;
            self.start = 0;
        }
    }

    /// Close the stream where the framing ran out of bytes: cleanly at a record boundary,
    /// as a read error if one ended the stream, or as a truncated record.
    pub(crate) fn end_of_stream<T>(
        &mut self,
        what: &'static str,
        needed: usize,
    ) -> Result<Option<T>, CaptureError> {
        if let Some(err) = self.take_failure() {
            return Err(err);
        }
        let available = self.end - self.start;
        if available == 0 {
            return Ok(None);
        }
        Err(CaptureError::Truncated {
            path: self.path.clone(),
            at: self.offset(),
            what,
            needed: needed as u64,
            available: available as u64,
        })
    }

    /// Take the read error that ended the stream, if one did.
    pub(crate) fn take_failure(&mut self) -> Option<CaptureError> {
        let source = self.failure.take()?;
        let compressed_at = self.compressed().then(|| self.bytes_read());
        let at = Offset {
            value: self.base + self.end as u64,
            decompressed: self.compressed(),
        };
        Some(CaptureError::Read {
            path: self.path.clone(),
            at,
            compressed_at,
            source,
        })
    }

    /// Build the error for a corrupt record found at `at`.
    pub(crate) fn corrupt(
        &self,
        at: Offset,
        what: &'static str,
        defect: Defect,
        recovery: Recovery,
    ) -> CaptureError {
        CaptureError::Corrupt {
            path: self.path.clone(),
            at,
            what,
            defect,
            recovery,
        }
    }

    /// Scan forward from one byte past the current position to the first position `check`
    /// finds plausible, leaving the stream there.
    ///
    /// `check` sees the unread bytes and whether they run to the end of the stream. Every
    /// step either consumes a byte or grows the window to what `check` asked for, so the
    /// scan ends at the latest at the end of the stream.
    pub(crate) fn resync(&mut self, mut check: impl FnMut(&[u8], bool) -> Verdict) -> Recovery {
        let from = self.stream_position();
        self.consume(1);
        loop {
            if self.ensure(1) == 0 {
                let skipped = self.stream_position() - from;
                return Recovery::NothingFollows { skipped };
            }
            match check(self.window(), self.eof) {
                Verdict::Plausible => {
                    let at = self.stream_position();
                    return Recovery::Resynchronised {
                        at,
                        skipped: at - from,
                    };
                }
                Verdict::Implausible => self.consume(1),
                Verdict::NeedMore(n) => {
                    if self.end - self.start >= n || self.ensure(n) < n {
                        self.consume(1);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn input(bytes: &[u8]) -> Input {
        let reader = Box::new(Cursor::new(bytes.to_vec()));
        let Ok(input) = Input::new(PathBuf::from("t"), reader) else {
            panic!("input should open");
        };
        input
    }

    #[test]
    fn replays_the_bytes_read_to_detect_compression() {
        let mut inp = input(&[1, 2, 3, 4, 5]);
        assert!(!inp.compressed());
        assert_eq!(inp.ensure(5), 5);
        assert_eq!(inp.window(), &[1, 2, 3, 4, 5]);
        assert_eq!(inp.bytes_read(), 5);
    }

    #[test]
    fn reports_short_stream_as_truncated_with_offset() {
        let mut inp = input(&[1, 2, 3]);
        inp.ensure(1);
        inp.consume(1);
        assert_eq!(inp.ensure(16), 2);
        let Err(err) = inp.end_of_stream::<()>("record", 16) else {
            panic!("expected an error");
        };
        assert_eq!(
            err.to_string(),
            "t: truncated record at offset 1: expected 16 bytes, found 2"
        );
    }

    #[test]
    fn grows_the_buffer_only_for_a_stream_that_fills_it() {
        let mut small = input(&[7; 100]);
        for _ in 0..10 {
            small.ensure(200);
            small.consume(100);
        }
        assert_eq!(small.buf.len(), INITIAL_BUFFER_SIZE);
        let mut large = input(&vec![7; 3 * INITIAL_BUFFER_SIZE]);
        while large.ensure(1000) > 0 {
            large.consume(1000);
        }
        assert!(large.buf.len() > INITIAL_BUFFER_SIZE);
        assert_eq!(large.stream_position(), 3 * INITIAL_BUFFER_SIZE as u64);
    }

    #[test]
    fn resync_stops_at_first_plausible_position() {
        let mut inp = input(&[9, 9, 9, 7, 1]);
        inp.ensure(5);
        let recovery = inp.resync(|w, _| {
            if w.first() == Some(&7) {
                Verdict::Plausible
            } else {
                Verdict::Implausible
            }
        });
        assert_eq!(recovery, Recovery::Resynchronised { at: 3, skipped: 3 });
        assert_eq!(inp.window(), &[7, 1]);
    }

    #[test]
    fn resync_gives_up_at_end_when_more_is_needed() {
        let mut inp = input(&[1, 2, 3, 4]);
        let recovery = inp.resync(|_, _| Verdict::NeedMore(100));
        assert_eq!(recovery, Recovery::NothingFollows { skipped: 4 });
    }
}
