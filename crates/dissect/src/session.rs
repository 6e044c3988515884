//! Buffering between a reassembled stream and a [`Dissector`], with the seam's limits.
//!
//! This is the engine's half of the contract, kept here in the pure tier so that the engine,
//! the fuzz targets and the protocol tests drive dissectors through the very same code.

use rampart_event::{Direction, EventSink};

use crate::{Dissector, Feed, FlowProtocol, Transport, report};

/// One protocol's parsing of one flow: the dissector plus the bytes it has not consumed yet.
pub struct Session {
    registration: &'static dyn FlowProtocol,
    dissector: Box<dyn Dissector>,
    pending: [Vec<u8>; 2],
    delivered: [u64; 2],
    lost_sync: u32,
    done: bool,
}

/// Why a session dropped bytes it was given.
#[derive(Debug, thiserror::Error)]
#[error("{buffered} unconsumed bytes exceed the {limit}-byte message limit; buffer dropped")]
struct Oversized {
    buffered: usize,
    limit: usize,
}

impl Session {
    /// Start parsing a flow on `transport` with the protocol of `registration`.
    pub fn new(registration: &'static dyn FlowProtocol, transport: Transport) -> Session {
        Session {
            registration,
            dissector: registration.start(transport),
            pending: [Vec::new(), Vec::new()],
            delivered: [0, 0],
            lost_sync: 0,
            done: false,
        }
    }

    /// Return the protocol.
    pub fn registration(&self) -> &'static dyn FlowProtocol {
        self.registration
    }

    /// Tell whether the dissector wants no more bytes (it said [`Feed::Done`] or depth is reached).
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Return how many times the dissector lost synchronisation.
    pub fn lost_sync(&self) -> u32 {
        self.lost_sync
    }

    /// Hand over in-order stream bytes travelling in `dir`.
    pub fn deliver(&mut self, dir: Direction, data: &[u8], sink: &mut dyn EventSink) {
        let Some(data) = self.within_depth(dir, data) else {
            return;
        };
        let i = dir.index();
        if self.pending[i].is_empty() {
            let answer = self.dissector.feed(dir, data, sink);
            let used = self.settle(answer, data.len());
            if let Some(used) = used {
                self.pending[i].extend_from_slice(&data[used..]);
            }
        } else {
            self.pending[i].extend_from_slice(data);
            let buffered = std::mem::take(&mut self.pending[i]);
            let answer = self.dissector.feed(dir, &buffered, sink);
            let mut buffered = buffered;
            match self.settle(answer, buffered.len()) {
                Some(used) => {
                    buffered.drain(..used);
                }
                None => buffered.clear(),
            }
            self.pending[i] = buffered;
        }
        self.enforce_message_limit(dir, sink);
    }

    /// Hand over one datagram travelling in `dir`.
    pub fn datagram(&mut self, dir: Direction, data: &[u8], sink: &mut dyn EventSink) {
        let Some(data) = self.within_depth(dir, data) else {
            return;
        };
        let answer = self.dissector.feed(dir, data, sink);
        self.settle(answer, data.len());
    }

    /// Report that `len` bytes in `dir` were lost: buffered bytes are dropped and the
    /// dissector told to resynchronise.
    pub fn gap(&mut self, dir: Direction, len: u64, sink: &mut dyn EventSink) {
        if self.done {
            return;
        }
        let i = dir.index();
        let dropped = self.pending[i].len() as u64;
        self.pending[i].clear();
        self.delivered[i] = self.delivered[i].saturating_add(len);
        self.dissector.gap(dir, len + dropped, sink);
    }

    /// End the session: the dissector reports what is still pending.
    pub fn close(&mut self, sink: &mut dyn EventSink) {
        self.dissector.close(sink);
        self.pending = [Vec::new(), Vec::new()];
        self.done = true;
    }

    /// Return how many bytes are buffered, for memory accounting.
    pub fn buffered(&self) -> usize {
        self.pending[0].capacity() + self.pending[1].capacity()
    }

    fn within_depth<'d>(&mut self, dir: Direction, data: &'d [u8]) -> Option<&'d [u8]> {
        if self.done || data.is_empty() {
            return None;
        }
        let i = dir.index();
        let seen = self.delivered[i];
        self.delivered[i] = seen.saturating_add(data.len() as u64);
        match self.registration.limits().depth {
            Some(depth) if seen >= depth => {
                self.done = self.delivered_past_depth(depth);
                None
            }
            Some(depth) => {
                let allowed = usize::try_from(depth - seen).unwrap_or(usize::MAX);
                Some(&data[..data.len().min(allowed)])
            }
            None => Some(data),
        }
    }

    fn delivered_past_depth(&self, depth: u64) -> bool {
        self.delivered.iter().all(|&d| d >= depth)
    }

    /// Apply the dissector's answer; return how many bytes were consumed, or `None` when the
    /// whole input is to be discarded.
    fn settle(&mut self, answer: Feed, len: usize) -> Option<usize> {
        match answer {
            Feed::Consumed(n) => Some(n.min(len)),
            Feed::LostSync => {
                self.lost_sync += 1;
                None
            }
            Feed::Done => {
                self.done = true;
                self.pending = [Vec::new(), Vec::new()];
                None
            }
        }
    }

    fn enforce_message_limit(&mut self, dir: Direction, sink: &mut dyn EventSink) {
        let i = dir.index();
        let buffered = self.pending[i].len();
        let limit = self.registration.limits().max_message;
        if buffered > limit {
            report(
                sink,
                self.registration.name(),
                "message_too_large",
                None,
                &Oversized { buffered, limit },
            );
            self.pending[i] = Vec::new();
            self.dissector.gap(dir, buffered as u64, sink);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Limits, Probe, Registration};
    use rampart_event::{CollectingSink, Event, Fields, Record, Value};

    /// A toy protocol: messages are one length byte followed by that many bytes; a zero
    /// length byte is garbage.
    struct LengthPrefixed;

    impl Dissector for LengthPrefixed {
        fn feed(&mut self, dir: Direction, data: &[u8], sink: &mut dyn EventSink) -> Feed {
            let mut at = 0;
            while let Some(&len) = data.get(at) {
                if len == 0 {
                    return Feed::LostSync;
                }
                let end = at + 1 + len as usize;
                let Some(body) = data.get(at + 1..end) else {
                    break;
                };
                sink.emit(Event::Record(Record {
                    protocol: "toy",
                    kind: "message",
                    direction: Some(dir),
                    activity: None,
                    fields: Fields(&[("body", Value::Bytes(body))]),
                }));
                at = end;
            }
            Feed::Consumed(at)
        }

        fn gap(&mut self, _dir: Direction, len: u64, sink: &mut dyn EventSink) {
            report(sink, "toy", "gap", None, &len);
        }
    }

    static TOY: Registration = Registration {
        name: "toy",
        transports: &[Transport::Tcp],
        ports: &[],
        probe: |_, _| Probe::Unsure,
        new: |_| Box::new(LengthPrefixed),
        limits: Limits {
            depth: Some(64),
            max_message: 8,
            max_transactions: 4,
        },
    };

    #[test]
    fn reassembles_a_message_split_across_deliveries() {
        let mut sink = CollectingSink::default();
        let mut s = Session::new(&TOY, Transport::Tcp);
        s.deliver(Direction::ToServer, &[3, 0xaa], &mut sink);
        assert!(sink.lines.is_empty());
        s.deliver(Direction::ToServer, &[0xbb, 0xcc, 1], &mut sink);
        s.deliver(Direction::ToServer, &[0xdd], &mut sink);
        assert_eq!(
            sink.matching("record toy message request"),
            vec![
                r#"record toy message request {"body":"aabbcc"}"#,
                r#"record toy message request {"body":"dd"}"#
            ]
        );
    }

    #[test]
    fn drops_oversized_message_and_signals_gap() {
        let mut sink = CollectingSink::default();
        let mut s = Session::new(&TOY, Transport::Tcp);
        s.deliver(
            Direction::ToClient,
            &[200, 1, 2, 3, 4, 5, 6, 7, 8, 9],
            &mut sink,
        );
        assert_eq!(sink.anomalies("message_too_large"), 1);
        assert_eq!(sink.anomalies("gap"), 1);
        assert_eq!(s.buffered(), 0);
    }

    #[test]
    fn counts_lost_sync_and_keeps_going() {
        let mut sink = CollectingSink::default();
        let mut s = Session::new(&TOY, Transport::Tcp);
        s.deliver(Direction::ToServer, &[0, 9, 9], &mut sink);
        s.deliver(Direction::ToServer, &[1, 0x42], &mut sink);
        assert_eq!(s.lost_sync(), 1);
        assert_eq!(sink.matching("record toy").len(), 1);
    }

    #[test]
    fn stops_at_reassembly_depth() {
        let mut sink = CollectingSink::default();
        let mut s = Session::new(&TOY, Transport::Tcp);
        for _ in 0..40 {
            s.deliver(Direction::ToServer, &[1, 7], &mut sink);
        }
        assert_eq!(sink.matching("record toy").len(), 32, "64 bytes of depth");
    }
}
