//! The per-flow half of the ISO transport: TPKT framing over the TCP stream, COTP connection
//! records, DT reassembly, and delivery of each whole transport unit to the protocol above.

use rampart_dissect::{Direction, Event, EventSink, Feed, FieldList, Record, Value, report};

use super::message::{
    Connect, Disconnect, Tpdu, disconnect_reason_name, reject_cause_name, write_tsap,
};
use super::parse::{self, TPKT_HEADER_LEN};

/// The largest transport unit reassembled from DT segments; S7 PDUs stop at 960 octets and
/// MMS messages at a few KiB, so anything near this is a flood, not a message.
pub const MAX_REASSEMBLY: usize = 64 * 1024;

/// The fields of one COTP record: fewer than sixteen.
type CotpFields<'a> = FieldList<'a, 16>;

/// What the connection request said about the endpoints, kept for the protocol above.
#[derive(Debug, Default)]
pub struct Link {
    /// Calling TSAP of the last CR (or CC), raw.
    pub calling_tsap: Vec<u8>,
    /// Called TSAP of the last CR (or CC), raw.
    pub called_tsap: Vec<u8>,
}

impl Link {
    /// Read an S7 called TSAP: two octets, the connection type (1 PG, 2 OP, 3 S7 basic, …)
    /// and `rack * 32 + slot` of the CPU addressed. Returns (connection type, rack, slot).
    pub fn s7_address(&self) -> Option<(u8, u16, u16)> {
        match self.called_tsap.as_slice() {
            &[kind, address] => Some((kind, u16::from(address >> 5), u16::from(address & 0x1f))),
            _ => None,
        }
    }

    fn remember(&mut self, c: &Connect<'_>) {
        for (kept, seen) in [
            (&mut self.calling_tsap, c.calling_tsap),
            (&mut self.called_tsap, c.called_tsap),
        ] {
            if let Some(tsap) = seen {
                kept.clear();
                kept.extend_from_slice(tsap);
            }
        }
    }
}

/// A CR or CC waiting for its other half. The engine replays the direction it recognised
/// last, so a CC can arrive before its CR.
#[derive(Debug, Clone, Copy)]
struct Half {
    dir: Direction,
    request: bool,
    src_ref: u16,
    class: u8,
    tpdu_size: Option<u64>,
}

/// TPKT/COTP state of one flow, shared by S7comm, S7comm-plus and MMS.
#[derive(Debug)]
pub struct CotpStream {
    protocol: &'static str,
    /// Report S7 rack and slot from the called TSAP.
    s7_tsaps: bool,
    reassembly: [Vec<u8>; 2],
    /// A unit outgrew [`MAX_REASSEMBLY`]: its remaining segments are dropped until EOT.
    overflowed: [bool; 2],
    resync: [bool; 2],
    link: Link,
    pending: Option<Half>,
    text: [String; 2],
}

impl CotpStream {
    /// Frame a flow of `protocol`; `s7_tsaps` reads rack and slot from the called TSAP.
    pub fn new(protocol: &'static str, s7_tsaps: bool) -> CotpStream {
        CotpStream {
            protocol,
            s7_tsaps,
            reassembly: [Vec::new(), Vec::new()],
            overflowed: [false; 2],
            resync: [false; 2],
            link: Link::default(),
            pending: None,
            text: [String::new(), String::new()],
        }
    }

    /// Return what the connection request said about the endpoints.
    pub fn link(&self) -> &Link {
        &self.link
    }

    /// Take stream bytes in `dir`: report COTP events and hand each whole transport unit,
    /// with the link it travels on, to `deliver`.
    pub fn feed<F>(
        &mut self,
        dir: Direction,
        data: &[u8],
        sink: &mut dyn EventSink,
        mut deliver: F,
    ) -> Feed
    where
        F: FnMut(Direction, &[u8], &Link, &mut dyn EventSink),
    {
        let i = dir.index();
        let mut at = 0;
        if self.resync[i] {
            match find_start(data) {
                Some(start) => {
                    at = start;
                    self.resync[i] = false;
                }
                None => return Feed::Consumed(data.len().saturating_sub(5)),
            }
        }
        while let Some(rest) = data.get(at..) {
            match parse::tpkt(rest, at) {
                Ok(Some(len)) => {
                    let Some(unit) = rest.get(TPKT_HEADER_LEN..len) else {
                        break;
                    };
                    self.unit(dir, unit, at + TPKT_HEADER_LEN, sink, &mut deliver);
                    at += len;
                }
                Ok(None) => break,
                Err(e) => {
                    report(sink, self.protocol, e.code(), Some(e.offset()), &e);
                    self.forget(i);
                    match data.get(at + 1..).and_then(find_start) {
                        Some(start) => at += 1 + start,
                        None => {
                            self.resync[i] = true;
                            return Feed::Consumed(data.len().saturating_sub(5).max(at));
                        }
                    }
                }
            }
        }
        Feed::Consumed(at)
    }

    /// Learn that bytes in `dir` were lost: drop the unit being reassembled and look for the
    /// next TPKT header.
    pub fn gap(&mut self, dir: Direction) {
        let i = dir.index();
        self.forget(i);
        self.resync[i] = true;
    }

    /// Report a connection request never confirmed (or a confirm whose request was not seen).
    pub fn close(&mut self, sink: &mut dyn EventSink) {
        if let Some(p) = self.pending.take() {
            self.connect_record(Some(p), None, sink);
        }
    }

    fn forget(&mut self, i: usize) {
        self.reassembly[i].clear();
        self.overflowed[i] = false;
    }

    fn unit<F>(
        &mut self,
        dir: Direction,
        unit: &[u8],
        offset: usize,
        sink: &mut dyn EventSink,
        deliver: &mut F,
    ) where
        F: FnMut(Direction, &[u8], &Link, &mut dyn EventSink),
    {
        let tpdu = match parse::tpdu(unit, offset) {
            Ok(t) => t,
            Err(e) => return report(sink, self.protocol, e.code(), Some(e.offset()), &e),
        };
        match tpdu {
            Tpdu::Data { eot, payload, .. } => self.data(dir, eot, payload, offset, sink, deliver),
            Tpdu::ConnectRequest(c) => self.connect(dir, true, &c, sink),
            Tpdu::ConnectConfirm(c) => self.connect(dir, false, &c, sink),
            Tpdu::DisconnectRequest(d) => self.disconnect(dir, "cotp_disconnect", d, sink),
            Tpdu::DisconnectConfirm(d) => self.disconnect(dir, "cotp_disconnect_confirm", d, sink),
            Tpdu::Error(r) => {
                let mut f = CotpFields::default();
                f.push("destination_reference", Value::U64(r.dst_ref.into()));
                f.push("cause", Value::U64(r.cause.into()));
                if let Some(name) = reject_cause_name(r.cause) {
                    f.push("cause_name", Value::Str(name));
                }
                self.emit("cotp_error", Some(dir), &f, sink);
            }
            Tpdu::Other(code) => {
                let detail = format_args!("TPDU {code} is not used by transport class 0");
                report(
                    sink,
                    self.protocol,
                    "unexpected_tpdu",
                    Some(offset + 1),
                    &detail,
                );
            }
        }
    }

    fn data<F>(
        &mut self,
        dir: Direction,
        eot: bool,
        payload: &[u8],
        offset: usize,
        sink: &mut dyn EventSink,
        deliver: &mut F,
    ) where
        F: FnMut(Direction, &[u8], &Link, &mut dyn EventSink),
    {
        let i = dir.index();
        if self.overflowed[i] {
            self.overflowed[i] = !eot;
            return;
        }
        if eot && self.reassembly[i].is_empty() {
            return deliver(dir, payload, &self.link, sink);
        }
        if self.reassembly[i].len() + payload.len() > MAX_REASSEMBLY {
            let detail = format_args!(
                "DT segments exceed {MAX_REASSEMBLY} octets before the end of the unit; dropped"
            );
            report(
                sink,
                self.protocol,
                "reassembly_overflow",
                Some(offset),
                &detail,
            );
            self.reassembly[i].clear();
            self.overflowed[i] = !eot;
            return;
        }
        self.reassembly[i].extend_from_slice(payload);
        if eot {
            deliver(dir, &self.reassembly[i], &self.link, sink);
            self.reassembly[i].clear();
        }
    }

    fn disconnect(
        &mut self,
        dir: Direction,
        kind: &'static str,
        d: Disconnect,
        sink: &mut dyn EventSink,
    ) {
        let mut f = CotpFields::default();
        f.push("source_reference", Value::U64(d.src_ref.into()));
        f.push("destination_reference", Value::U64(d.dst_ref.into()));
        if let Some(reason) = d.reason {
            f.push("reason", Value::U64(reason.into()));
            if let Some(name) = disconnect_reason_name(reason) {
                f.push("reason_name", Value::Str(name));
            }
        }
        self.emit(kind, Some(dir), &f, sink);
    }

    /// Take a CR or CC: pair it with the other half, or keep it until that comes.
    fn connect(
        &mut self,
        dir: Direction,
        request: bool,
        c: &Connect<'_>,
        sink: &mut dyn EventSink,
    ) {
        if request || self.link.called_tsap.is_empty() {
            self.link.remember(c);
        }
        let half = Half {
            dir,
            request,
            src_ref: c.src_ref,
            class: c.class,
            tpdu_size: c.max_tpdu_octets(),
        };
        match self.pending.take() {
            Some(other) if other.request != request && other.dir != dir => {
                self.connect_record(Some(half), Some(other), sink);
            }
            Some(other) => {
                self.connect_record(Some(other), None, sink);
                self.pending = Some(half);
            }
            None => self.pending = Some(half),
        }
    }

    /// Report a connection: a CR and its CC (a transaction), or either alone.
    fn connect_record(&mut self, a: Option<Half>, b: Option<Half>, sink: &mut dyn EventSink) {
        let (request, confirm) = match (a, b) {
            (Some(x), y) if x.request => (Some(x), y),
            (x, Some(y)) if y.request => (Some(y), x),
            (x, y) => (None, x.or(y)),
        };
        let direction = match (request, confirm) {
            (Some(_), Some(_)) => None,
            (Some(h), None) | (None, Some(h)) => Some(h.dir),
            (None, None) => return,
        };
        let [calling, called] = &mut self.text;
        calling.clear();
        called.clear();
        write_tsap(&self.link.calling_tsap, calling);
        write_tsap(&self.link.called_tsap, called);
        let mut f = CotpFields::default();
        if !self.link.calling_tsap.is_empty() {
            f.push("calling_tsap", Value::Str(calling));
        }
        if !self.link.called_tsap.is_empty() {
            f.push("called_tsap", Value::Str(called));
        }
        if let Some((kind, rack, slot)) = self.link.s7_address().filter(|_| self.s7_tsaps) {
            f.push("connection_type", Value::U64(kind.into()));
            f.push("rack", Value::U64(rack.into()));
            f.push("slot", Value::U64(slot.into()));
        }
        match (request, confirm) {
            (Some(r), _) => {
                f.push("source_reference", Value::U64(r.src_ref.into()));
                f.push("class", Value::U64(r.class.into()));
            }
            (None, Some(c)) => f.push("class", Value::U64(c.class.into())),
            (None, None) => {}
        }
        if let Some(size) = request.and_then(|r| r.tpdu_size) {
            f.push("tpdu_size", Value::U64(size));
        }
        if let Some(c) = &confirm {
            f.push("destination_reference", Value::U64(c.src_ref.into()));
            if let Some(size) = c.tpdu_size {
                f.push("negotiated_tpdu_size", Value::U64(size));
            }
        }
        f.push("confirmed", Value::Bool(confirm.is_some()));
        let protocol = self.protocol;
        sink.emit(Event::Record(Record {
            protocol,
            kind: "cotp_connect",
            direction,
            activity: None,
            fields: f.fields(),
        }));
    }

    fn emit(
        &self,
        kind: &'static str,
        direction: Option<Direction>,
        f: &CotpFields<'_>,
        sink: &mut dyn EventSink,
    ) {
        sink.emit(Event::Record(Record {
            protocol: self.protocol,
            kind,
            direction,
            activity: None,
            fields: f.fields(),
        }));
    }
}

/// Find the first offset in `data` where a plausible TPKT starts.
fn find_start(data: &[u8]) -> Option<usize> {
    (0..data.len()).find(|&i| data.get(i..).is_some_and(parse::plausible_start))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_event::CollectingSink;

    /// A TPKT (RFC 1006 §6) around `tpdu`.
    fn tpkt(tpdu: &[u8]) -> Vec<u8> {
        let len = u16::try_from(tpdu.len() + 4).expect("small");
        let mut out = vec![3, 0];
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(tpdu);
        out
    }

    /// A class 0 DT (ISO 8073 §13.7) carrying `payload`.
    fn dt(eot: bool, payload: &[u8]) -> Vec<u8> {
        let mut t = vec![0x02, 0xf0, if eot { 0x80 } else { 0x00 }];
        t.extend_from_slice(payload);
        tpkt(&t)
    }

    const CR: &[u8] = &[
        0x11, 0xe0, // LI 17, CR
        0x00, 0x00, 0x00, 0x07, // dst ref 0, src ref 7
        0x00, // class 0
        0xc1, 0x02, 0x01, 0x00, // calling TSAP 01.00
        0xc2, 0x02, 0x01, 0x22, // called TSAP: PG, rack 1 slot 2
        0xc0, 0x01, 0x0a, // TPDU size 1024
    ];
    const CC: &[u8] = &[
        0x11, 0xd0, // LI 17, CC
        0x00, 0x07, 0x00, 0x03, // dst ref 7, src ref 3
        0x00, // class 0
        0xc0, 0x01, 0x09, // TPDU size 512
        0xc1, 0x02, 0x01, 0x00, // calling TSAP
        0xc2, 0x02, 0x01, 0x22, // called TSAP
    ];

    fn run(
        stream: &mut CotpStream,
        chunks: &[(Direction, Vec<u8>)],
    ) -> (CollectingSink, Vec<Vec<u8>>) {
        let mut sink = CollectingSink::default();
        let mut units = Vec::new();
        for (dir, bytes) in chunks {
            let used = match stream.feed(*dir, bytes, &mut sink, |_, unit, _, _| {
                units.push(unit.to_vec())
            }) {
                Feed::Consumed(n) => n,
                other => panic!("unexpected {other:?}"),
            };
            assert_eq!(used, bytes.len(), "whole TPKTs are consumed");
        }
        (sink, units)
    }

    #[test]
    fn pairs_connection_request_and_confirm_with_rack_and_slot() {
        let mut s = CotpStream::new("s7comm", true);
        let (sink, _) = run(
            &mut s,
            &[
                (Direction::ToServer, tpkt(CR)),
                (Direction::ToClient, tpkt(CC)),
            ],
        );
        assert_eq!(
            sink.matching("record"),
            vec![
                r#"record s7comm cotp_connect transaction {"calling_tsap":"0100","called_tsap":"0122","connection_type":1,"rack":1,"slot":2,"source_reference":7,"class":0,"tpdu_size":1024,"destination_reference":3,"negotiated_tpdu_size":512,"confirmed":true}"#
            ]
        );
        assert_eq!(s.link().s7_address(), Some((1, 1, 2)));
    }

    #[test]
    fn pairs_a_confirm_replayed_before_its_request() {
        let mut s = CotpStream::new("s7comm", true);
        let (sink, _) = run(
            &mut s,
            &[
                (Direction::ToClient, tpkt(CC)),
                (Direction::ToServer, tpkt(CR)),
            ],
        );
        let records = sink.matching("record s7comm cotp_connect transaction");
        assert_eq!(records.len(), 1);
        assert!(records[0].contains(
            r#""source_reference":7,"class":0,"tpdu_size":1024,"destination_reference":3"#
        ));
    }

    #[test]
    fn reassembles_data_segments_until_end_of_transport_unit() {
        let mut s = CotpStream::new("mms", false);
        let mut both = dt(false, &[1, 2]);
        both.extend(dt(false, &[]));
        both.extend(dt(true, &[3]));
        let (_, units) = run(&mut s, &[(Direction::ToServer, both)]);
        assert_eq!(units, vec![vec![1, 2, 3]]);
    }

    #[test]
    fn waits_for_the_rest_of_a_split_tpkt() {
        let mut s = CotpStream::new("mms", false);
        let mut sink = CollectingSink::default();
        let whole = dt(true, &[9, 9, 9]);
        let (head, tail) = whole.split_at(5);
        let mut units = 0;
        let used = s.feed(Direction::ToServer, head, &mut sink, |_, _, _, _| {
            units += 1
        });
        assert_eq!(used, Feed::Consumed(0));
        let used = s.feed(Direction::ToServer, &whole, &mut sink, |_, _, _, _| {
            units += 1
        });
        assert_eq!(used, Feed::Consumed(whole.len()));
        assert_eq!((units, tail.len()), (1, 5));
    }

    #[test]
    fn resynchronises_on_the_next_tpkt_after_garbage() {
        let mut s = CotpStream::new("s7comm", true);
        let mut bytes = vec![0x55, 0x66, 0x77];
        bytes.extend(dt(true, &[0x32]));
        let (sink, units) = run(&mut s, &[(Direction::ToServer, bytes)]);
        assert_eq!(sink.anomalies("bad_tpkt_version"), 1);
        assert_eq!(units, vec![vec![0x32]]);
    }

    #[test]
    fn drops_a_unit_that_outgrows_the_reassembly_limit() {
        let mut s = CotpStream::new("s7comm", true);
        let segment = vec![0u8; 60_000];
        let chunks: Vec<_> = [false, false, true, true]
            .iter()
            .map(|&eot| {
                (
                    Direction::ToServer,
                    dt(eot, if eot { &[7] } else { &segment }),
                )
            })
            .collect();
        let (sink, units) = run(&mut s, &chunks);
        assert_eq!(sink.anomalies("reassembly_overflow"), 1);
        assert_eq!(units, vec![vec![7]], "only the unit after the dropped one");
    }

    #[test]
    fn reports_disconnects_errors_and_unconfirmed_requests() {
        let mut s = CotpStream::new("mms", false);
        let dr = tpkt(&[0x06, 0x80, 0x00, 0x07, 0x00, 0x03, 0x80]); // DR, normal
        let er = tpkt(&[0x04, 0x70, 0x00, 0x07, 0x02]); // ER, invalid TPDU type
        let ak = tpkt(&[0x04, 0x60, 0x00, 0x07, 0x01]); // AK: not in class 0
        let (mut sink, _) = run(
            &mut s,
            &[
                (Direction::ToServer, tpkt(CR)),
                (Direction::ToClient, dr),
                (Direction::ToClient, er),
                (Direction::ToServer, ak),
            ],
        );
        s.close(&mut sink);
        let records = sink.matching("record");
        assert_eq!(
            records[..2],
            [
                r#"record mms cotp_disconnect response {"source_reference":3,"destination_reference":7,"reason":128,"reason_name":"normal"}"#,
                r#"record mms cotp_error response {"destination_reference":7,"cause":2,"cause_name":"invalid_tpdu_type"}"#,
            ]
        );
        assert!(
            records[2].contains(r#""confirmed":false"#),
            "{}",
            records[2]
        );
        assert!(!records[2].contains("rack"), "not an S7 flow");
        assert_eq!(sink.anomalies("unexpected_tpdu"), 1);
    }
}
