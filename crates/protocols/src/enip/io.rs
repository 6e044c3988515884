//! CIP class 0/1 implicit I/O on UDP 2222: one record for the first datagram of each
//! connection id, counted thereafter, and a summary per connection when the flow ends.

use rampart_dissect::{
    Direction, Dissector, Event, EventSink, Feed, FieldList, Record, Value, report,
};

use super::parse;

pub(super) const PROTOCOL: &str = "cip_io";
/// Connections followed per flow; datagrams of others are counted together.
const MAX_TRACKED: usize = 32;

/// One connection's datagrams so far.
#[derive(Debug, Clone, Copy)]
struct Connection {
    id: u32,
    dir: Direction,
    packets: u64,
    bytes: u64,
    first: u32,
    last: u32,
}

/// Per-flow state: the connections seen.
#[derive(Debug, Default)]
pub(super) struct IoDissector {
    connections: Vec<Connection>,
    untracked: u64,
}

impl Dissector for IoDissector {
    fn feed(&mut self, dir: Direction, data: &[u8], sink: &mut dyn EventSink) -> Feed {
        let packet = match parse::io_packet(data) {
            Ok(p) => p,
            Err(e) => {
                report(sink, PROTOCOL, e.code(), Some(e.offset()), &e);
                return Feed::Consumed(data.len());
            }
        };
        let len = packet.data.len() as u64;
        if let Some(c) = self
            .connections
            .iter_mut()
            .find(|c| c.id == packet.connection_id && c.dir == dir)
        {
            c.packets += 1;
            c.bytes += len;
            c.last = packet.sequence;
            return Feed::Consumed(data.len());
        }
        if self.connections.len() >= MAX_TRACKED {
            if self.untracked == 0 {
                let detail = format_args!(
                    "more than {MAX_TRACKED} I/O connections in one flow; further ones are only counted"
                );
                report(sink, PROTOCOL, "too_many_connections", None, &detail);
            }
            self.untracked += 1;
            return Feed::Consumed(data.len());
        }
        self.connections.push(Connection {
            id: packet.connection_id,
            dir,
            packets: 1,
            bytes: len,
            first: packet.sequence,
            last: packet.sequence,
        });
        let mut f: FieldList<'_, 4> = FieldList::default();
        f.push("connection_id", Value::U64(packet.connection_id.into()));
        f.push("sequence", Value::U64(packet.sequence.into()));
        f.push("data_length", Value::U64(len));
        sink.emit(Event::Record(Record {
            protocol: PROTOCOL,
            kind: "io",
            direction: Some(dir),
            activity: None,
            fields: f.fields(),
        }));
        Feed::Consumed(data.len())
    }

    fn close(&mut self, sink: &mut dyn EventSink) {
        for c in &self.connections {
            let mut f: FieldList<'_, 6> = FieldList::default();
            f.push("connection_id", Value::U64(c.id.into()));
            f.push("packets", Value::U64(c.packets));
            f.push("bytes", Value::U64(c.bytes));
            f.push("first_sequence", Value::U64(c.first.into()));
            f.push("last_sequence", Value::U64(c.last.into()));
            sink.emit(Event::Record(Record {
                protocol: PROTOCOL,
                kind: "io_summary",
                direction: Some(c.dir),
                activity: None,
                fields: f.fields(),
            }));
        }
        if self.untracked > 0 {
            let mut f: FieldList<'_, 1> = FieldList::default();
            f.push("packets", Value::U64(self.untracked));
            sink.emit(Event::Record(Record {
                protocol: PROTOCOL,
                kind: "io_untracked",
                direction: None,
                activity: None,
                fields: f.fields(),
            }));
        }
        self.connections.clear();
        self.untracked = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_event::CollectingSink;

    /// A class 1 datagram (Vol. 2 §2-6.3.3) of connection `id` with sequence `seq`.
    fn datagram(id: u32, seq: u32) -> Vec<u8> {
        let mut d = vec![0x02, 0x00, 0x02, 0x80, 0x08, 0x00]; // two items, sequenced address
        d.extend_from_slice(&id.to_le_bytes()); // connection id
        d.extend_from_slice(&seq.to_le_bytes()); // sequence number
        d.extend_from_slice(&[0xb1, 0x00, 0x04, 0x00, 0x01, 0x00, 0xaa, 0xbb]); // data
        d
    }

    #[test]
    fn reports_the_first_datagram_of_each_connection_and_counts_the_rest() {
        let mut d = IoDissector::default();
        let mut sink = CollectingSink::default();
        for seq in 10..15 {
            d.feed(Direction::ToServer, &datagram(0x004b_180c, seq), &mut sink);
        }
        d.feed(Direction::ToClient, &datagram(0x7691_b4eb, 3), &mut sink);
        assert_eq!(
            sink.matching("record cip_io io"),
            vec![
                r#"record cip_io io request {"connection_id":4921356,"sequence":10,"data_length":4}"#,
                r#"record cip_io io response {"connection_id":1989260523,"sequence":3,"data_length":4}"#,
            ]
        );
        d.close(&mut sink);
        assert_eq!(
            sink.matching("record cip_io io_summary request"),
            vec![
                r#"record cip_io io_summary request {"connection_id":4921356,"packets":5,"bytes":20,"first_sequence":10,"last_sequence":14}"#
            ]
        );
    }

    #[test]
    fn bounds_the_connections_it_follows() {
        let mut d = IoDissector::default();
        let mut sink = CollectingSink::default();
        for id in 0..40 {
            d.feed(Direction::ToServer, &datagram(id, 1), &mut sink);
        }
        assert_eq!(sink.matching("record cip_io io ").len(), MAX_TRACKED);
        assert_eq!(sink.anomalies("too_many_connections"), 1);
        d.feed(Direction::ToServer, b"\x05\x00garbage", &mut sink);
        assert_eq!(sink.anomalies("truncated"), 1);
    }
}
