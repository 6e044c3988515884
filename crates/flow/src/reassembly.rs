//! TCP stream reassembly for one direction of a connection.
//!
//! Delivers in-order bytes exactly once, whatever order segments arrive in: retransmissions
//! are dropped, overlaps deliver only their new bytes, out-of-order segments wait in a
//! bounded buffer. When a hole cannot be filled (the peer acknowledged past it, the buffer
//! is full, or the flow ends) the stream reports a [`Delivery::Gap`] and moves on, so
//! dissectors resynchronise instead of stalling. Connections that began before the capture
//! are picked up at the first segment seen.

/// What a stream hands to its consumer.
#[derive(Debug, PartialEq, Eq)]
pub enum Delivery<'a> {
    /// The next in-order bytes.
    Data(&'a [u8]),
    /// This many bytes were never seen; the data that follows starts after them.
    Gap(u64),
}

/// Counters of one direction, for the flow record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamStats {
    /// Bytes delivered in order.
    pub delivered: u64,
    /// Bytes declared lost.
    pub gap_bytes: u64,
    /// Number of gaps.
    pub gaps: u32,
    /// Segments that carried only bytes already delivered.
    pub retransmissions: u32,
    /// Segments that partly overlapped delivered bytes.
    pub overlaps: u32,
    /// Segments that arrived ahead of a hole.
    pub out_of_order: u32,
}

/// One direction of a TCP connection.
#[derive(Debug, Default)]
pub struct Stream {
    /// The sequence number of the next byte to deliver; `None` until the first segment.
    next: Option<u32>,
    /// Segments waiting for a hole to fill: (sequence number, bytes), sorted by sequence.
    waiting: Vec<(u32, Vec<u8>)>,
    waiting_bytes: usize,
    stats: StreamStats,
    fin: bool,
}

/// Tell whether sequence number `a` comes before `b` (RFC 1982 serial arithmetic).
fn before(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

impl Stream {
    /// Return this direction's counters.
    pub fn stats(&self) -> StreamStats {
        self.stats
    }

    /// Return the bytes held for out-of-order segments.
    pub fn buffered(&self) -> usize {
        self.waiting_bytes
    }

    /// Tell whether this direction has sent FIN.
    pub fn fin_seen(&self) -> bool {
        self.fin
    }

    /// Take one segment: its sequence number, whether it carries SYN or FIN, and its payload.
    /// In-order bytes (and gaps) go to `out`; `cap` bounds the out-of-order buffer.
    pub fn segment(
        &mut self,
        seq: u32,
        syn: bool,
        fin: bool,
        payload: &[u8],
        cap: usize,
        out: &mut dyn FnMut(Delivery<'_>),
    ) {
        let data_seq = if syn { seq.wrapping_add(1) } else { seq };
        let next = *self.next.get_or_insert(data_seq);
        if fin {
            self.fin = true;
        }
        if payload.is_empty() {
            return;
        }
        let end = data_seq.wrapping_add(payload.len() as u32);
        if !before(next, end) {
            self.stats.retransmissions += 1;
            return;
        }
        if before(next, data_seq) {
            self.stats.out_of_order += 1;
            self.wait(data_seq, payload, cap, out);
            return;
        }
        let skip = next.wrapping_sub(data_seq) as usize;
        if skip > 0 {
            self.stats.overlaps += 1;
        }
        self.emit(&payload[skip..], out);
        // Almost always nothing waits: the check spares the call on every in-order segment.
        if !self.waiting.is_empty() {
            self.drain_waiting(out);
        }
    }

    /// Learn that the peer acknowledged up to `ack`: bytes before it that were never seen
    /// were lost by the capture, so the hole is declared a gap and waiting data flows on.
    pub fn acknowledged(&mut self, ack: u32, out: &mut dyn FnMut(Delivery<'_>)) {
        let Some(next) = self.next else {
            return;
        };
        if self.waiting.is_empty() || !before(next, ack) {
            return;
        }
        if let Some(&(first, _)) = self.waiting.first()
            && !before(ack, first)
        {
            self.skip_to(first, out);
            self.drain_waiting(out);
        }
    }

    /// Deliver everything still waiting, declaring the holes before it as gaps.
    pub fn flush(&mut self, out: &mut dyn FnMut(Delivery<'_>)) {
        while let Some(&(first, _)) = self.waiting.first() {
            self.skip_to(first, out);
            self.drain_waiting(out);
        }
    }

    fn emit(&mut self, bytes: &[u8], out: &mut dyn FnMut(Delivery<'_>)) {
        if bytes.is_empty() {
            return;
        }
        out(Delivery::Data(bytes));
        self.stats.delivered += bytes.len() as u64;
        self.next = self.next.map(|n| n.wrapping_add(bytes.len() as u32));
    }

    fn skip_to(&mut self, seq: u32, out: &mut dyn FnMut(Delivery<'_>)) {
        let Some(next) = self.next else {
            return;
        };
        if before(next, seq) {
            let lost = u64::from(seq.wrapping_sub(next));
            out(Delivery::Gap(lost));
            self.stats.gaps += 1;
            self.stats.gap_bytes += lost;
            self.next = Some(seq);
        }
    }

    fn wait(&mut self, seq: u32, payload: &[u8], cap: usize, out: &mut dyn FnMut(Delivery<'_>)) {
        if self.waiting_bytes + payload.len() > cap {
            // The buffer is full: give up on the oldest hole rather than on new data.
            self.flush(out);
            if let Some(next) = self.next
                && before(next, seq)
            {
                self.skip_to(seq, out);
            }
            let skip = self.next.map_or(0, |n| n.wrapping_sub(seq) as usize);
            if skip < payload.len() {
                self.emit(&payload[skip..], out);
            }
            return;
        }
        let at = self.waiting.partition_point(|(s, _)| before(*s, seq));
        self.waiting.insert(at, (seq, payload.to_vec()));
        self.waiting_bytes += payload.len();
    }

    fn drain_waiting(&mut self, out: &mut dyn FnMut(Delivery<'_>)) {
        while let Some(&(seq, _)) = self.waiting.first() {
            let Some(next) = self.next else {
                return;
            };
            if before(next, seq) {
                return;
            }
            let (seq, bytes) = self.waiting.remove(0);
            self.waiting_bytes -= bytes.len();
            let skip = next.wrapping_sub(seq) as usize;
            if skip < bytes.len() {
                if skip > 0 {
                    self.stats.overlaps += 1;
                }
                self.emit(&bytes[skip..], out);
            } else {
                self.stats.retransmissions += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Collected {
        bytes: Vec<u8>,
        gaps: Vec<u64>,
    }

    fn run(stream: &mut Stream, c: &mut Collected, seq: u32, payload: &[u8], cap: usize) {
        stream.segment(seq, false, false, payload, cap, &mut |d| match d {
            Delivery::Data(b) => c.bytes.extend_from_slice(b),
            Delivery::Gap(n) => c.gaps.push(n),
        });
    }

    #[test]
    fn delivers_in_order_segments_once_and_drops_retransmissions() {
        let (mut s, mut c) = (Stream::default(), Collected::default());
        run(&mut s, &mut c, 100, b"abc", 1024);
        run(&mut s, &mut c, 103, b"def", 1024);
        run(&mut s, &mut c, 100, b"abc", 1024);
        assert_eq!(c.bytes, b"abcdef");
        assert_eq!(s.stats().retransmissions, 1);
    }

    #[test]
    fn reorders_out_of_order_segments() {
        let (mut s, mut c) = (Stream::default(), Collected::default());
        s.segment(99, true, false, b"", 1024, &mut |_| {});
        run(&mut s, &mut c, 103, b"def", 1024);
        run(&mut s, &mut c, 106, b"ghi", 1024);
        assert!(c.bytes.is_empty());
        run(&mut s, &mut c, 100, b"abc", 1024);
        assert_eq!(c.bytes, b"abcdefghi");
        assert_eq!(s.buffered(), 0);
    }

    #[test]
    fn delivers_only_new_bytes_of_an_overlapping_segment() {
        let (mut s, mut c) = (Stream::default(), Collected::default());
        run(&mut s, &mut c, 0, b"abcd", 1024);
        run(&mut s, &mut c, 2, b"cdef", 1024);
        assert_eq!(c.bytes, b"abcdef");
        assert_eq!(s.stats().overlaps, 1);
    }

    #[test]
    fn reports_gap_when_peer_acknowledges_unseen_bytes() {
        let (mut s, mut c) = (Stream::default(), Collected::default());
        run(&mut s, &mut c, 0, b"ab", 1024);
        run(&mut s, &mut c, 10, b"kl", 1024);
        s.acknowledged(12, &mut |d| match d {
            Delivery::Data(b) => c.bytes.extend_from_slice(b),
            Delivery::Gap(n) => c.gaps.push(n),
        });
        assert_eq!(c.bytes, b"abkl");
        assert_eq!(c.gaps, vec![8]);
        assert_eq!(s.stats().gap_bytes, 8);
    }

    #[test]
    fn declares_gap_instead_of_exceeding_buffer_cap() {
        let (mut s, mut c) = (Stream::default(), Collected::default());
        run(&mut s, &mut c, 0, b"a", 4);
        run(&mut s, &mut c, 5, b"fgh", 4);
        run(&mut s, &mut c, 20, b"uvw", 4);
        assert_eq!(c.bytes, b"afghuvw");
        assert_eq!(c.gaps, vec![4, 12]);
        assert!(s.buffered() <= 4);
    }

    #[test]
    fn handles_sequence_number_wraparound() {
        let (mut s, mut c) = (Stream::default(), Collected::default());
        run(&mut s, &mut c, u32::MAX - 1, b"xy", 1024);
        run(&mut s, &mut c, 0, b"z", 1024);
        assert_eq!(c.bytes, b"xyz");
    }

    #[test]
    fn flushes_waiting_data_with_gaps_at_the_end() {
        let (mut s, mut c) = (Stream::default(), Collected::default());
        run(&mut s, &mut c, 0, b"a", 1024);
        run(&mut s, &mut c, 3, b"d", 1024);
        s.flush(&mut |d| match d {
            Delivery::Data(b) => c.bytes.extend_from_slice(b),
            Delivery::Gap(n) => c.gaps.push(n),
        });
        assert_eq!(c.bytes, b"ad");
        assert_eq!(c.gaps, vec![2]);
    }
}
