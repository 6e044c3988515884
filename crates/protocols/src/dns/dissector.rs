//! Per-flow DNS / mDNS state: framing, query/response pairing, events.

use std::collections::VecDeque;

use rampart_dissect::{
    Direction, Dissector, Event, EventSink, Feed, Fields, Record, Subject, Transport, Value, report,
};

use super::hints;
use super::message::{HEADER_LEN, Header, class_name, opcode_assigned, rcode_name, type_name};
use super::parse::{
    MessageReader, ROOT, TYPE_OPT, plausible_stream_start, push_label, write_record, write_type,
};
use crate::text_list::TextList;

/// Which protocol the dissector speaks: the wire format is the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Flavor {
    /// Unicast DNS, over UDP or TCP.
    Dns,
    /// Multicast DNS (RFC 6762), over UDP only.
    Mdns,
    /// Link-Local Multicast Name Resolution (RFC 4795): multicast queries, unicast answers
    /// paired by id, each answer naming the responder itself.
    Llmnr,
}

impl Flavor {
    fn protocol(self) -> &'static str {
        match self {
            Flavor::Dns => "dns",
            Flavor::Mdns => "mdns",
            Flavor::Llmnr => "llmnr",
        }
    }
}

/// How messages are delimited in this flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// One message per datagram (UDP).
    Datagram,
    /// Two-byte length prefix before each message (TCP, RFC 1035 §4.2.2).
    Stream,
}

/// The fields of one DNS record: fewer than sixteen.
type Fields16<'a> = rampart_dissect::FieldList<'a, 16>;

/// A query waiting for its response.
#[derive(Debug)]
struct Pending {
    id: u16,
    qname: String,
    qtype: Option<u16>,
}

/// Buffers reused from message to message.
#[derive(Debug, Default)]
struct Scratch {
    /// The first question's name.
    qname: String,
    /// `name TYPE` of every question, when there is more than one.
    questions: TextList,
    /// The owner name of the record being read.
    owner: String,
    /// Owner names of the answer section.
    rrnames: TextList,
    /// `TYPE rdata` of the answer section.
    answers: TextList,
    /// TTLs of the answer section.
    ttls: Vec<u64>,
    /// Rendering of authority and additional records, checked and thrown away.
    other: String,
}

/// QTYPE and QCLASS of a message's first question, if it has one.
type FirstQuestion = Option<(u16, u16)>;

/// The DNS and mDNS dissector.
pub(super) struct DnsDissector {
    flavor: Flavor,
    framing: Framing,
    resync: [bool; 2],
    pending: VecDeque<Pending>,
    /// Name buffers of answered queries, for the next queries.
    spare_names: Vec<String>,
    max_transactions: usize,
    scratch: Scratch,
}

impl DnsDissector {
    /// Start a flow of `flavor` on `transport`, keeping at most `max_transactions`
    /// unanswered queries.
    pub(super) fn new(
        flavor: Flavor,
        transport: Transport,
        max_transactions: usize,
    ) -> DnsDissector {
        DnsDissector {
            flavor,
            framing: match transport {
                Transport::Udp => Framing::Datagram,
                Transport::Tcp => Framing::Stream,
            },
            resync: [false; 2],
            pending: VecDeque::new(),
            spare_names: Vec::new(),
            max_transactions,
            scratch: Scratch::default(),
        }
    }

    fn stream(&mut self, dir: Direction, data: &[u8], sink: &mut dyn EventSink) -> Feed {
        let side = usize::from(dir == Direction::ToClient);
        let mut at = 0;
        if self.resync[side] {
            match (0..data.len()).find(|&i| data.get(i..).is_some_and(plausible_stream_start)) {
                Some(start) => {
                    at = start;
                    self.resync[side] = false;
                }
                None => return Feed::Consumed(data.len().saturating_sub(HEADER_LEN + 1)),
            }
        }
        while let Some(&[hi, lo]) = data.get(at..at + 2) {
            let end = at + 2 + usize::from(u16::from_be_bytes([hi, lo]));
            let Some(msg) = data.get(at + 2..end) else {
                break;
            };
            self.message(dir, msg, at + 2, sink);
            at = end;
        }
        Feed::Consumed(at)
    }

    /// Parse one whole message found at `base` in the data fed, and report it.
    fn message(&mut self, dir: Direction, msg: &[u8], base: usize, sink: &mut dyn EventSink) {
        let protocol = self.flavor.protocol();
        let (header, mut reader) = match MessageReader::new(msg) {
            Ok(parsed) => parsed,
            Err(e) => return report(sink, protocol, "truncated", Some(base + e.offset), &e),
        };
        let flags = header.flags;
        if flags.z() {
            let detail = format_args!("reserved Z bit set in flags 0x{:04x}", flags.0);
            report(sink, protocol, "nonzero_z", Some(base + 2), &detail);
        }
        if !opcode_assigned(flags.opcode()) {
            let detail = format_args!("unassigned opcode {}", flags.opcode());
            report(sink, protocol, "reserved_opcode", Some(base + 2), &detail);
        }
        let sender = match dir {
            Direction::ToServer => Subject::Client,
            Direction::ToClient => Subject::Server,
        };
        let first = read_sections(
            self.flavor,
            &header,
            &mut reader,
            base,
            sender,
            &mut self.scratch,
            sink,
        );
        if flags.response() {
            self.answer(&header, first, sink);
        } else {
            self.query(&header, first, sink);
        }
    }

    fn query(&mut self, header: &Header, first: FirstQuestion, sink: &mut dyn EventSink) {
        let protocol = self.flavor.protocol();
        let s = &self.scratch;
        let mut fields = Fields16::default();
        fields.push("id", Value::U64(header.id.into()));
        fields.push("opcode", Value::U64(header.flags.opcode().into()));
        question_fields(&mut fields, self.flavor, s, first);
        fields.push("rd", Value::Bool(header.flags.rd()));
        if s.questions.len() > 1 {
            fields.push("questions", s.questions.value());
        }
        sink.emit(Event::Record(Record {
            protocol,
            kind: "query",
            direction: Some(Direction::ToServer),
            activity: None,
            fields: fields.fields(),
        }));
        // Multicast queries are answered from other addresses, in other flows: nothing to pair.
        if self.flavor != Flavor::Dns {
            return;
        }
        let full = self.pending.len() >= self.max_transactions;
        if let Some(dropped) = full.then(|| self.pending.pop_front()).flatten() {
            let detail = format_args!(
                "more than {} unanswered queries; forgot query id {} for {}",
                self.max_transactions, dropped.id, dropped.qname
            );
            report(sink, protocol, "too_many_transactions", None, &detail);
        }
        if self.max_transactions > 0 {
            // Reuse the name buffer of a finished transaction rather than allocate one.
            let mut qname = self.spare_names.pop().unwrap_or_default();
            qname.clear();
            qname.push_str(&self.scratch.qname);
            self.pending.push_back(Pending {
                id: header.id,
                qname,
                qtype: first.map(|(qtype, _)| qtype),
            });
        }
    }

    fn answer(&mut self, header: &Header, first: FirstQuestion, sink: &mut dyn EventSink) {
        let s = &self.scratch;
        let position = self.pending.iter().position(|p| {
            p.id == header.id && (first.is_none() || p.qname.eq_ignore_ascii_case(&s.qname))
        });
        let finished = position.and_then(|i| self.pending.remove(i));
        let paired = finished.is_some();
        if let Some(done) = finished {
            self.spare_names.push(done.qname);
        }
        let flags = header.flags;
        let mut fields = Fields16::default();
        fields.push("id", Value::U64(header.id.into()));
        fields.push("opcode", Value::U64(flags.opcode().into()));
        fields.push("rcode", Value::U64(flags.rcode().into()));
        if let Some(name) = rcode_name(flags.rcode()) {
            fields.push("rcode_name", Value::Str(name));
        }
        question_fields(&mut fields, self.flavor, s, first);
        if s.questions.len() > 1 {
            fields.push("questions", s.questions.value());
        }
        fields.push("aa", Value::Bool(flags.aa()));
        fields.push("tc", Value::Bool(flags.tc()));
        fields.push("rd", Value::Bool(flags.rd()));
        fields.push("ra", Value::Bool(flags.ra()));
        fields.push("rrnames", s.rrnames.value());
        fields.push("answers", s.answers.value());
        fields.push("ttls", Value::U64s(&s.ttls));
        sink.emit(Event::Record(Record {
            protocol: self.flavor.protocol(),
            kind: "answer",
            direction: (!paired).then_some(Direction::ToClient),
            activity: None,
            fields: fields.fields(),
        }));
    }
}

/// Add the first question's fields, if the message has a question.
fn question_fields<'a>(
    fields: &mut Fields16<'a>,
    flavor: Flavor,
    s: &'a Scratch,
    first: FirstQuestion,
) {
    let Some((qtype, qclass)) = first else {
        return;
    };
    // mDNS reuses the top bit of QCLASS as the unicast-response flag (RFC 6762 §5.4).
    let qclass = match flavor {
        Flavor::Dns | Flavor::Llmnr => qclass,
        Flavor::Mdns => qclass & 0x7fff,
    };
    fields.push("qname", Value::Str(&s.qname));
    fields.push("qtype", Value::U64(qtype.into()));
    if let Some(name) = type_name(qtype) {
        fields.push("qtype_name", Value::Str(name));
    }
    fields.push("qclass", Value::U64(qclass.into()));
    if let Some(name) = class_name(qclass) {
        fields.push("qclass_name", Value::Str(name));
    }
}

/// Read the four sections into `s`, reporting what is malformed and, for mDNS responses,
/// what the records say about the sender.
fn read_sections(
    flavor: Flavor,
    header: &Header,
    reader: &mut MessageReader<'_>,
    base: usize,
    sender: Subject,
    s: &mut Scratch,
    sink: &mut dyn EventSink,
) -> FirstQuestion {
    let protocol = flavor.protocol();
    let msg = reader.message();
    s.qname.clear();
    s.questions.clear();
    s.rrnames.clear();
    s.answers.clear();
    s.ttls.clear();
    let mut first = None;
    let short = |sink: &mut dyn EventSink, field: &str, claimed: u16, found: u16, at: usize| {
        let detail =
            format_args!("{field} claims {claimed} entries, the message ends after {found}");
        report(sink, protocol, "count_mismatch", Some(base + at), &detail);
    };
    for i in 0..header.qdcount {
        if reader.at_end() {
            short(sink, "qdcount", header.qdcount, i, reader.offset());
            return first;
        }
        s.owner.clear();
        let q = match reader.question(visit_into(&mut s.owner)) {
            Ok(q) => q,
            Err(e) => {
                report(sink, protocol, e.code(), Some(base + e.offset()), &e);
                return first;
            }
        };
        finish_name(&mut s.owner, q.name_error.is_none());
        if let Some(e) = q.name_error {
            report(sink, protocol, e.code(), Some(base + e.offset), &e);
        }
        if i == 0 {
            s.qname.push_str(&s.owner);
            first = Some((q.qtype, q.qclass));
        }
        if header.qdcount > 1 {
            let item = s.questions.next();
            item.push_str(&s.owner);
            item.push(' ');
            write_type(item, q.qtype);
            s.questions.finish();
        }
    }
    let counted = [
        ("ancount", header.ancount, true),
        ("nscount", header.nscount, false),
        ("arcount", header.arcount, false),
    ];
    for (field, count, in_answers) in counted {
        for i in 0..count {
            if reader.at_end() {
                short(sink, field, count, i, reader.offset());
                return first;
            }
            s.owner.clear();
            let rr = match reader.record(visit_into(&mut s.owner)) {
                Ok(rr) => rr,
                Err(e) => {
                    report(sink, protocol, e.code(), Some(base + e.offset()), &e);
                    return first;
                }
            };
            finish_name(&mut s.owner, rr.name_error.is_none());
            if let Some(e) = rr.name_error {
                report(sink, protocol, e.code(), Some(base + e.offset), &e);
            }
            if rr.rtype == TYPE_OPT {
                continue;
            }
            if flavor != Flavor::Dns && header.flags.response() {
                hints::report(protocol, &s.owner, &rr, sender, sink);
            }
            let rendered = if in_answers {
                s.rrnames.push(&s.owner);
                s.ttls.push(rr.ttl.into());
                let result = write_record(msg, &rr, s.answers.next());
                s.answers.finish();
                result
            } else {
                s.other.clear();
                write_record(msg, &rr, &mut s.other)
            };
            if let Err(e) = rendered {
                report(sink, protocol, e.code(), Some(base + rr.rdata_offset), &e);
            }
        }
    }
    if !reader.at_end() {
        let extra = msg.len() - reader.offset();
        let detail = format_args!("{extra} bytes after the last counted record");
        report(
            sink,
            protocol,
            "trailing_bytes",
            Some(base + reader.offset()),
            &detail,
        );
    }
    first
}

/// Return a label visitor that appends a dotted name to `out`.
fn visit_into(out: &mut String) -> impl FnMut(&[u8]) + '_ {
    let begin = out.len();
    move |label| {
        if out.len() > begin {
            out.push('.');
        }
        push_label(out, label);
    }
}

/// Name the root explicitly once a name was read whole and had no label.
fn finish_name(out: &mut String, whole: bool) {
    if whole && out.is_empty() {
        out.push_str(ROOT);
    }
}

impl Dissector for DnsDissector {
    fn feed(&mut self, dir: Direction, data: &[u8], sink: &mut dyn EventSink) -> Feed {
        match self.framing {
            Framing::Datagram => {
                self.message(dir, data, 0, sink);
                Feed::Consumed(data.len())
            }
            Framing::Stream => self.stream(dir, data, sink),
        }
    }

    fn gap(&mut self, dir: Direction, _len: u64, _sink: &mut dyn EventSink) {
        if self.framing == Framing::Stream {
            self.resync[usize::from(dir == Direction::ToClient)] = true;
        }
    }

    fn close(&mut self, sink: &mut dyn EventSink) {
        for p in self.pending.drain(..) {
            let mut fields = vec![
                ("id", Value::U64(p.id.into())),
                ("qname", Value::Str(&p.qname)),
            ];
            if let Some(qtype) = p.qtype {
                fields.push(("qtype", Value::U64(qtype.into())));
            }
            sink.emit(Event::Record(Record {
                protocol: self.flavor.protocol(),
                kind: "unanswered",
                direction: None,
                activity: None,
                fields: Fields(&fields),
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::{MDNS_REGISTRATION, REGISTRATION};
    use rampart_dissect::{Registration, Session};
    use rampart_event::CollectingSink;

    /// A standard query for `www.example.com A IN` (RFC 1035 §4.1.1, §4.1.2).
    const QUERY: &[u8] = &[
        0xbe, 0xef, // id 0xbeef
        0x01, 0x00, // QR=0 opcode=0 RD=1
        0x00, 0x01, // qdcount 1
        0x00, 0x00, // ancount 0
        0x00, 0x00, // nscount 0
        0x00, 0x00, // arcount 0
        0x03, b'w', b'w', b'w', // label "www", at offset 12
        0x07, b'e', b'x', b'a', b'm', b'p', b'l', b'e', // label "example"
        0x03, b'c', b'o', b'm', 0x00, // label "com", root
        0x00, 0x01, // qtype A
        0x00, 0x01, // qclass IN
    ];

    /// The response to [`QUERY`]: one A record whose owner points at the question (§4.1.4).
    const RESPONSE: &[u8] = &[
        0xbe, 0xef, // id 0xbeef
        0x81, 0x80, // QR=1 opcode=0 RD=1 RA=1 rcode=0
        0x00, 0x01, // qdcount 1
        0x00, 0x01, // ancount 1
        0x00, 0x00, // nscount 0
        0x00, 0x00, // arcount 0
        0x03, b'w', b'w', b'w', 0x07, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 0x03, b'c', b'o',
        b'm', 0x00, // "www.example.com"
        0x00, 0x01, // qtype A
        0x00, 0x01, // qclass IN
        0xc0, 0x0c, // owner: pointer to offset 12
        0x00, 0x01, // type A
        0x00, 0x01, // class IN
        0x00, 0x00, 0x00, 0x3c, // ttl 60
        0x00, 0x04, // rdlength 4
        0xc0, 0x00, 0x02, 0x07, // 192.0.2.7
    ];

    /// An mDNS announcement (RFC 6762 §8.3): an A record and a `_device-info` TXT record.
    const MDNS_ANNOUNCEMENT: &[u8] = &[
        0x00, 0x00, // id 0 (§18.1)
        0x84, 0x00, // QR=1 AA=1
        0x00, 0x00, // qdcount 0
        0x00, 0x02, // ancount 2
        0x00, 0x00, // nscount 0
        0x00, 0x00, // arcount 0
        0x04, b'p', b'l', b'c', b'7', // label "plc7", at offset 12
        0x05, b'l', b'o', b'c', b'a', b'l', 0x00, // label "local" at offset 17, root
        0x00, 0x01, // type A
        0x80, 0x01, // cache-flush bit (§10.2), class IN
        0x00, 0x00, 0x00, 0x78, // ttl 120
        0x00, 0x04, // rdlength 4
        0x0a, 0x01, 0x02, 0x03, // 10.1.2.3
        0x05, b'P', b'L', b'C', b' ', b'7', // label "PLC 7", at offset 38
        0x0c, b'_', b'd', b'e', b'v', b'i', b'c', b'e', b'-', b'i', b'n', b'f', b'o', 0x04, b'_',
        b't', b'c', b'p', // label "_tcp"
        0xc0, 0x11, // pointer to "local" at offset 17
        0x00, 0x10, // type TXT
        0x00, 0x01, // class IN
        0x00, 0x00, 0x11, 0x94, // ttl 4500
        0x00, 0x11, // rdlength 17
        0x10, b'm', b'o', b'd', b'e', b'l', b'=', b'R', b'a', b'c', b'k', b'M', b'a', b'c', b'1',
        b',', b'2', // character-string "model=RackMac1,2" (RFC 6763 §6)
    ];

    fn framed(msg: &[u8]) -> Vec<u8> {
        let mut out = (msg.len() as u16).to_be_bytes().to_vec();
        out.extend_from_slice(msg);
        out
    }

    fn datagrams(
        registration: &'static Registration,
        packets: &[(Direction, &[u8])],
    ) -> CollectingSink {
        let mut sink = CollectingSink::default();
        let mut session = Session::new(registration, Transport::Udp);
        for &(dir, data) in packets {
            session.datagram(dir, data, &mut sink);
        }
        session.close(&mut sink);
        sink
    }

    #[test]
    fn pairs_response_with_query_by_id_and_name() {
        let sink = datagrams(
            &REGISTRATION,
            &[
                (Direction::ToServer, QUERY),
                (Direction::ToClient, RESPONSE),
            ],
        );
        assert_eq!(
            sink.lines,
            vec![
                r#"record dns query request {"id":48879,"opcode":0,"qname":"www.example.com","qtype":1,"qtype_name":"A","qclass":1,"qclass_name":"IN","rd":true}"#,
                r#"record dns answer transaction {"id":48879,"opcode":0,"rcode":0,"rcode_name":"NOERROR","qname":"www.example.com","qtype":1,"qtype_name":"A","qclass":1,"qclass_name":"IN","aa":false,"tc":false,"rd":true,"ra":true,"rrnames":["www.example.com"],"answers":["A 192.0.2.7"],"ttls":[60]}"#,
            ]
        );
    }

    #[test]
    fn keeps_unpaired_response_as_a_response() {
        let sink = datagrams(&REGISTRATION, &[(Direction::ToClient, RESPONSE)]);
        assert_eq!(sink.matching("record dns answer response").len(), 1);
        assert!(sink.matching("record dns unanswered").is_empty());
    }

    #[test]
    fn reads_several_tcp_messages_in_one_segment_and_one_split_across_two() {
        let mut stream = framed(QUERY);
        let second = framed(QUERY);
        stream.extend_from_slice(&second[..5]);
        let mut sink = CollectingSink::default();
        let mut session = Session::new(&REGISTRATION, Transport::Tcp);
        session.deliver(Direction::ToServer, &stream, &mut sink);
        assert_eq!(sink.matching("record dns query").len(), 1);
        session.deliver(Direction::ToServer, &second[5..], &mut sink);
        session.deliver(Direction::ToClient, &framed(RESPONSE), &mut sink);
        assert_eq!(sink.matching("record dns query").len(), 2);
        assert_eq!(sink.matching("record dns answer transaction").len(), 1);
        session.close(&mut sink);
        assert_eq!(sink.matching("record dns unanswered").len(), 1);
        assert!(sink.matching("anomaly").is_empty(), "{:?}", sink.lines);
    }

    #[test]
    fn resynchronises_tcp_after_gap() {
        let mut sink = CollectingSink::default();
        let mut session = Session::new(&REGISTRATION, Transport::Tcp);
        session.deliver(Direction::ToServer, &framed(QUERY), &mut sink);
        session.gap(Direction::ToServer, 100, &mut sink);
        let mut after = vec![0x00, 0x01, 0x02]; // the tail of a message cut by the gap
        after.extend_from_slice(&framed(QUERY));
        session.deliver(Direction::ToServer, &after, &mut sink);
        assert_eq!(sink.matching("record dns query").len(), 2);
        assert!(sink.matching("anomaly").is_empty(), "{:?}", sink.lines);
    }

    #[test]
    fn reports_counts_claiming_more_records_than_present() {
        let mut msg = RESPONSE.to_vec();
        msg[7] = 3; // ancount 3, one present
        let sink = datagrams(&REGISTRATION, &[(Direction::ToClient, &msg)]);
        assert_eq!(sink.anomalies("count_mismatch"), 1);
        assert_eq!(
            sink.matching("anomaly")[0],
            "anomaly dns count_mismatch @49 ancount claims 3 entries, the message ends after 1"
        );
        assert!(sink.matching("record dns answer")[0].contains(r#""answers":["A 192.0.2.7"]"#));
    }

    #[test]
    fn reports_nonzero_z_and_keeps_parsing() {
        let mut msg = QUERY.to_vec();
        msg[3] = 0x40; // Z bit (RFC 1035 §4.1.1: must be zero)
        let sink = datagrams(&REGISTRATION, &[(Direction::ToServer, &msg)]);
        assert_eq!(sink.anomalies("nonzero_z"), 1);
        assert_eq!(sink.matching("record dns query").len(), 1);
    }

    #[test]
    fn reports_a_runt_first_datagram() {
        // id 0x7dcf, flags 0x0100, qdcount 1, then the message stops
        let runt = [0x7d, 0xcf, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00];
        let sink = datagrams(&REGISTRATION, &[(Direction::ToServer, &runt)]);
        assert_eq!(sink.anomalies("truncated"), 1);
    }

    #[test]
    fn forgets_oldest_query_past_the_transaction_limit() {
        let mut dissector = DnsDissector::new(Flavor::Dns, Transport::Udp, 1);
        let mut sink = CollectingSink::default();
        let mut other = QUERY.to_vec();
        other[1] = 0xee; // id 0xbeee
        dissector.feed(Direction::ToServer, QUERY, &mut sink);
        dissector.feed(Direction::ToServer, &other, &mut sink);
        assert_eq!(sink.anomalies("too_many_transactions"), 1);
        dissector.close(&mut sink);
        assert_eq!(
            sink.matching("record dns unanswered"),
            vec![
                r#"record dns unanswered transaction {"id":48878,"qname":"www.example.com","qtype":1}"#
            ]
        );
    }

    #[test]
    fn names_hosts_and_models_from_mdns_answers() {
        let sink = datagrams(
            &MDNS_REGISTRATION,
            &[(Direction::ToServer, MDNS_ANNOUNCEMENT)],
        );
        assert_eq!(
            sink.lines,
            vec![
                "identity mdns Host { mac: None, ip: Some(10.1.2.3) } hostname plc7",
                "identity mdns Client model RackMac1,2",
                r#"record mdns answer response {"id":0,"opcode":0,"rcode":0,"rcode_name":"NOERROR","aa":true,"tc":false,"rd":false,"ra":false,"rrnames":["plc7.local","PLC 7._device-info._tcp.local"],"answers":["A 10.1.2.3","TXT \"model=RackMac1,2\""],"ttls":[120,4500]}"#,
            ]
        );
    }

    #[test]
    fn gives_no_identity_for_unicast_dns_answers() {
        let sink = datagrams(&REGISTRATION, &[(Direction::ToClient, MDNS_ANNOUNCEMENT)]);
        assert!(sink.matching("identity").is_empty());
        assert_eq!(sink.matching("record dns answer").len(), 1);
    }

    #[test]
    fn keeps_parsing_after_a_name_with_a_bad_pointer() {
        let mut msg = RESPONSE.to_vec();
        msg[34] = 0x40; // the answer's owner now points to offset 64, past itself
        let sink = datagrams(&REGISTRATION, &[(Direction::ToClient, &msg)]);
        assert_eq!(sink.anomalies("bad_compression_pointer"), 1);
        assert!(sink.matching("record dns answer")[0].contains(r#""answers":["A 192.0.2.7"]"#));
    }

    #[test]
    fn probes_framed_messages_and_whole_unicast_datagrams_as_certain() {
        use rampart_dissect::Probe;
        assert_eq!(
            (REGISTRATION.probe)(Direction::ToServer, &framed(QUERY)),
            Probe::Certain
        );
        assert_eq!(
            (REGISTRATION.probe)(Direction::ToServer, QUERY),
            Probe::Certain
        );
        assert_eq!(
            (REGISTRATION.probe)(Direction::ToServer, &QUERY[..QUERY.len() - 1]),
            Probe::Unsure
        );
        assert_eq!(
            (MDNS_REGISTRATION.probe)(Direction::ToClient, MDNS_ANNOUNCEMENT),
            Probe::Certain
        );
        assert_eq!(
            (REGISTRATION.probe)(Direction::ToClient, MDNS_ANNOUNCEMENT),
            Probe::Unsure,
            "id 0 leaves a whole message to the mDNS probe"
        );
        assert_eq!(
            (REGISTRATION.probe)(Direction::ToServer, b"GET / HTTP/1.1\r\n"),
            Probe::NotForUs
        );
    }
}
