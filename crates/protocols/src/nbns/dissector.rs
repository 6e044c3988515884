//! Per-flow NBNS state: one record per message, host names from registrations and answers.

use std::fmt::Write as _;
use std::net::IpAddr;

use rampart_dissect::{
    Attribute, Confidence, Direction, Dissector, Event, EventSink, Feed, FieldList, Identity, Mac,
    Record, Subject, Value, report, text,
};

use super::parse::{
    NAME_LEN, NameReader, TYPE_NB, TYPE_NBSTAT, nb_entries, node_status, suffix_meaning, write_name,
};
use crate::dns::message::Header;
use crate::dns::parse::{MessageReader, ResourceRecord};
use crate::text_list::TextList;

const PROTOCOL: &str = "nbns";

/// The broadcast bit of NM_FLAGS (RFC 1002 §4.2.1.1).
const BROADCAST: u16 = 0x0010;

/// Name the message kind an opcode stands for (RFC 1002 §4.2.1.1; 9 is Microsoft's refresh).
fn kind(opcode: u8) -> &'static str {
    match opcode {
        0 => "query",
        5 => "registration",
        6 => "release",
        7 => "wack",
        8 | 9 => "refresh",
        15 => "multihomed_registration",
        _ => "unknown",
    }
}

/// Tell whether a request with this opcode claims a name for its sender.
fn claims_name(opcode: u8) -> bool {
    matches!(opcode, 5 | 8 | 9 | 15)
}

/// Tell whether a name with this suffix names a host rather than a domain or a service.
fn names_host(suffix: Option<u8>, group: bool) -> bool {
    !group && matches!(suffix, Some(0x00 | 0x20))
}

/// What one message held, beyond its header.
#[derive(Debug, Default)]
struct Scratch {
    /// The name the message is about: the question's, else the first record's owner.
    name: NameReader,
    /// The owner name of the record being read.
    owner: NameReader,
    /// Addresses of every NB entry.
    addresses: TextList,
    /// Names of a node status answer.
    node_names: TextList,
}

/// What the sections of one message said, for the record.
#[derive(Debug, Default, Clone, Copy)]
struct Summary {
    /// QTYPE of the question, else TYPE of the first record.
    rtype: Option<u16>,
    /// TTL of the first record.
    ttl: Option<u32>,
    /// G bit of the first NB entry.
    group: Option<bool>,
    /// Unit id of a node status answer.
    mac: Option<Mac>,
}

/// The NBNS dissector; it keeps no state between messages but its buffers.
#[derive(Debug, Default)]
pub(super) struct NbnsDissector {
    scratch: Scratch,
}

impl NbnsDissector {
    fn message(&mut self, dir: Direction, msg: &[u8], sink: &mut dyn EventSink) {
        let (header, mut reader) = match MessageReader::new(msg) {
            Ok(parsed) => parsed,
            Err(e) => return report(sink, PROTOCOL, "truncated", Some(e.offset), &e),
        };
        let sender = match dir {
            Direction::ToServer => Subject::Client,
            Direction::ToClient => Subject::Server,
        };
        let summary = read_sections(&header, &mut reader, sender, &mut self.scratch, sink);
        let s = &self.scratch;
        let flags = header.flags;
        let opcode = flags.opcode();
        if let Some(e) = s.name.error {
            report(sink, PROTOCOL, "bad_netbios_name", Some(12), &e);
        }
        let mut fields: FieldList<'_, 16> = FieldList::default();
        fields.push("id", Value::U64(header.id.into()));
        fields.push("opcode", Value::U64(opcode.into()));
        if flags.response() {
            fields.push("rcode", Value::U64(flags.rcode().into()));
        }
        if !s.name.text.is_empty() {
            fields.push("name", Value::Str(&s.name.text));
        }
        if let Some(suffix) = s.name.suffix() {
            fields.push("name_suffix", Value::U64(suffix.into()));
            if let Some(meaning) = suffix_meaning(suffix) {
                fields.push("name_type", Value::Str(meaning));
            }
        }
        if let Some(rtype) = summary.rtype {
            fields.push("qtype", Value::U64(rtype.into()));
            let name = match rtype {
                TYPE_NB => Some("NB"),
                TYPE_NBSTAT => Some("NBSTAT"),
                _ => None,
            };
            if let Some(name) = name {
                fields.push("qtype_name", Value::Str(name));
            }
        }
        fields.push("broadcast", Value::Bool(flags.0 & BROADCAST != 0));
        if let Some(ttl) = summary.ttl {
            fields.push("ttl", Value::U64(ttl.into()));
        }
        if let Some(group) = summary.group {
            fields.push("group", Value::Bool(group));
        }
        if s.addresses.len() > 0 {
            fields.push("addresses", s.addresses.value());
        }
        if s.node_names.len() > 0 {
            fields.push("names", s.node_names.value());
        }
        if let Some(mac) = summary.mac {
            fields.push("mac", Value::Mac(mac));
        }
        let direction = if flags.response() {
            Direction::ToClient
        } else {
            Direction::ToServer
        };
        sink.emit(Event::Record(Record {
            protocol: PROTOCOL,
            kind: kind(opcode),
            direction: Some(direction),
            activity: None,
            fields: fields.fields(),
        }));
    }
}

/// Read every section into `s`, reporting what is malformed and who the names belong to.
fn read_sections(
    header: &Header,
    reader: &mut MessageReader<'_>,
    sender: Subject,
    s: &mut Scratch,
    sink: &mut dyn EventSink,
) -> Summary {
    s.name.clear();
    s.addresses.clear();
    s.node_names.clear();
    let mut summary = Summary::default();
    let short = |sink: &mut dyn EventSink, field: &str, claimed: u16, found: u16, at: usize| {
        let detail =
            format_args!("{field} claims {claimed} entries, the message ends after {found}");
        report(sink, PROTOCOL, "count_mismatch", Some(at), &detail);
    };
    for i in 0..header.qdcount {
        if reader.at_end() {
            short(sink, "qdcount", header.qdcount, i, reader.offset());
            return summary;
        }
        s.owner.clear();
        match reader.question(|label| s.owner.visit(label)) {
            Ok(q) => {
                if let Some(e) = q.name_error {
                    report(sink, PROTOCOL, e.code(), Some(e.offset), &e);
                }
                if i == 0 {
                    std::mem::swap(&mut s.name, &mut s.owner);
                    summary.rtype = Some(q.qtype);
                }
            }
            Err(e) => {
                report(sink, PROTOCOL, e.code(), Some(e.offset()), &e);
                return summary;
            }
        }
    }
    let flags = header.flags;
    let counted = [
        ("ancount", header.ancount),
        ("nscount", header.nscount),
        ("arcount", header.arcount),
    ];
    for (field, count) in counted {
        for i in 0..count {
            if reader.at_end() {
                short(sink, field, count, i, reader.offset());
                return summary;
            }
            s.owner.clear();
            let rr = match reader.record(|label| s.owner.visit(label)) {
                Ok(rr) => rr,
                Err(e) => {
                    report(sink, PROTOCOL, e.code(), Some(e.offset()), &e);
                    return summary;
                }
            };
            if let Some(e) = rr.name_error {
                report(sink, PROTOCOL, e.code(), Some(e.offset), &e);
            }
            if s.name.text.is_empty() {
                s.name.clone_from(&s.owner);
            }
            summary.rtype.get_or_insert(rr.rtype);
            summary.ttl.get_or_insert(rr.ttl);
            match rr.rtype {
                TYPE_NB => nb_record(header, &rr, sender, s, &mut summary, sink),
                TYPE_NBSTAT if flags.response() => match node_status(rr.rdata) {
                    Ok(status) => {
                        summary.mac = status.unit_id;
                        for node in &status.names {
                            write_name(s.node_names.next(), &node.name);
                            s.node_names.finish();
                        }
                        let host = status
                            .names
                            .iter()
                            .find(|n| names_host(n.name.last().copied(), n.group));
                        hostname(host.map(|n| &n.name), sender, sink);
                    }
                    Err(e) => {
                        let at = rr.rdata_offset + e.offset;
                        report(sink, PROTOCOL, "truncated_rdata", Some(at), &e);
                    }
                },
                _ => {}
            }
        }
    }
    if !reader.at_end() {
        let extra = reader.message().len() - reader.offset();
        let detail = format_args!("{extra} bytes after the last counted record");
        report(
            sink,
            PROTOCOL,
            "trailing_bytes",
            Some(reader.offset()),
            &detail,
        );
    }
    summary
}

/// Read the address entries of an NB record; name the host a registration or a positive
/// answer is about.
fn nb_record(
    header: &Header,
    rr: &ResourceRecord<'_>,
    sender: Subject,
    s: &mut Scratch,
    summary: &mut Summary,
    sink: &mut dyn EventSink,
) {
    let flags = header.flags;
    let positive = flags.response() && flags.opcode() == 0 && flags.rcode() == 0;
    let mut claim = !flags.response() && claims_name(flags.opcode());
    let (entries, leftover) = nb_entries(rr.rdata);
    for entry in entries {
        summary.group.get_or_insert(entry.group);
        let _ = write!(s.addresses.next(), "{}", entry.address);
        s.addresses.finish();
        if !names_host(s.owner.suffix(), entry.group) {
            continue;
        }
        if positive {
            let subject = Subject::Host {
                mac: None,
                ip: Some(IpAddr::V4(entry.address)),
            };
            hostname(s.owner.decoded.as_ref(), subject, sink);
        } else if claim {
            // A registration names its sender once, whatever its addresses.
            claim = false;
            hostname(s.owner.decoded.as_ref(), sender, sink);
        }
    }
    if leftover > 0 {
        let detail = format_args!("NB rdata has {leftover} bytes past its last 6-byte entry");
        report(
            sink,
            PROTOCOL,
            "bad_rdata_length",
            Some(rr.rdata_offset),
            &detail,
        );
    }
}

/// Report the name part of a decoded NetBIOS name as `subject`'s host name.
fn hostname(name: Option<&[u8; NAME_LEN]>, subject: Subject, sink: &mut dyn EventSink) {
    let Some(host) = name.map(|n| text(n.get(..NAME_LEN - 1).unwrap_or_default())) else {
        return;
    };
    if !host.is_empty() {
        sink.emit(Event::Identity(Identity {
            protocol: PROTOCOL,
            subject,
            attribute: Attribute::Hostname,
            value: &host,
            confidence: Confidence::STATED,
        }));
    }
}

impl Dissector for NbnsDissector {
    fn feed(&mut self, dir: Direction, data: &[u8], sink: &mut dyn EventSink) -> Feed {
        self.message(dir, data, sink);
        Feed::Consumed(data.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_event::CollectingSink;

    /// "KW-PLC" with suffix 0x00 in first-level encoding (RFC 1001 §14.1):
    /// K=4b→"EL" W=57→"FH" -=2d→"CN" P=50→"FA" L=4c→"EM" C=43→"ED", nine spaces "CA", "AA".
    const KW_PLC_00: &[u8; 32] = b"ELFHCNFAEMEDCACACACACACACACACAAA";

    /// A broadcast name registration request (RFC 1002 §4.2.2) for the unique name KW-PLC<00>.
    fn registration() -> Vec<u8> {
        let mut msg = vec![
            0x92, 0xfa, // NAME_TRN_ID
            0x29, 0x10, // R=0 opcode=5 (registration) RD=1 B=1
            0x00, 0x01, // QDCOUNT 1
            0x00, 0x00, // ANCOUNT 0
            0x00, 0x00, // NSCOUNT 0
            0x00, 0x01, // ARCOUNT 1
            0x20, // label length 32, at offset 12
        ];
        msg.extend_from_slice(KW_PLC_00);
        msg.extend_from_slice(&[
            0x00, // root
            0x00, 0x20, // QUESTION_TYPE NB
            0x00, 0x01, // QUESTION_CLASS IN
            0xc0, 0x0c, // RR_NAME: pointer to the question name
            0x00, 0x20, // RR_TYPE NB
            0x00, 0x01, // RR_CLASS IN
            0x00, 0x04, 0x93, 0xe0, // TTL 300000
            0x00, 0x06, // RDLENGTH 6
            0x60, 0x00, // NB_FLAGS: G=0 (unique), ONT=3 (H-node)
            0xc0, 0xa8, 0x01, 0x0a, // NB_ADDRESS 192.168.1.10
        ]);
        msg
    }

    /// A positive name query response (RFC 1002 §4.2.13) for KW-PLC<00> at 10.0.0.5.
    fn positive_response() -> Vec<u8> {
        let mut msg = vec![
            0x97, 0x86, // NAME_TRN_ID
            0x85, 0x00, // R=1 opcode=0 AA=1 RD=1 rcode=0
            0x00, 0x00, // QDCOUNT 0
            0x00, 0x01, // ANCOUNT 1
            0x00, 0x00, // NSCOUNT 0
            0x00, 0x00, // ARCOUNT 0
            0x20, // label length 32
        ];
        msg.extend_from_slice(KW_PLC_00);
        msg.extend_from_slice(&[
            0x00, // root
            0x00, 0x20, // RR_TYPE NB
            0x00, 0x01, // RR_CLASS IN
            0x00, 0x04, 0x93, 0xe0, // TTL 300000
            0x00, 0x06, // RDLENGTH 6
            0x00, 0x00, // NB_FLAGS: unique, B-node
            0x0a, 0x00, 0x00, 0x05, // NB_ADDRESS 10.0.0.5
        ]);
        msg
    }

    fn feed(dir: Direction, msg: &[u8]) -> CollectingSink {
        let mut sink = CollectingSink::default();
        NbnsDissector::default().feed(dir, msg, &mut sink);
        sink
    }

    #[test]
    fn names_the_sender_of_a_registration() {
        let sink = feed(Direction::ToServer, &registration());
        assert_eq!(
            sink.lines,
            vec![
                "identity nbns Client hostname KW-PLC",
                r#"record nbns registration request {"id":37626,"opcode":5,"name":"KW-PLC<00>","name_suffix":0,"name_type":"workstation","qtype":32,"qtype_name":"NB","broadcast":true,"ttl":300000,"group":false,"addresses":["192.168.1.10"]}"#,
            ]
        );
    }

    #[test]
    fn names_the_answered_address_of_a_positive_response() {
        let sink = feed(Direction::ToClient, &positive_response());
        assert_eq!(
            sink.matching("identity"),
            vec!["identity nbns Host { mac: None, ip: Some(10.0.0.5) } hostname KW-PLC"]
        );
        assert!(sink.lines[1].starts_with(
            r#"record nbns query response {"id":38790,"opcode":0,"rcode":0,"name":"KW-PLC<00>""#
        ));
    }

    #[test]
    fn gives_no_host_name_for_group_or_domain_names() {
        let mut msg = registration();
        let flags = msg.len() - 6;
        msg[flags] = 0xe0; // G=1: a group name (a workgroup), not a host
        assert!(
            feed(Direction::ToServer, &msg)
                .matching("identity")
                .is_empty()
        );
        let mut msg = positive_response();
        msg[43] = b'B'; // suffix 0x1c (domain controllers): last pair "BM"
        msg[44] = b'M';
        let sink = feed(Direction::ToClient, &msg);
        assert!(sink.matching("identity").is_empty());
        assert!(sink.lines[0].contains(r#""name":"KW-PLC<1c>""#));
    }

    #[test]
    fn reports_a_name_that_is_not_first_level_encoded() {
        let mut msg = registration();
        msg[15] = b'f'; // outside A..P
        let sink = feed(Direction::ToServer, &msg);
        assert_eq!(sink.anomalies("bad_netbios_name"), 1);
        assert!(sink.matching("identity").is_empty());
        assert!(
            sink.matching("record nbns registration request")[0].contains(r#""name":"ELfHCNFA"#)
        );
    }

    #[test]
    fn names_the_responder_of_a_node_status_answer() {
        let mut msg = vec![
            0x00, 0x01, // NAME_TRN_ID
            0x84, 0x00, // R=1 opcode=0 AA=1
            0x00, 0x00, // QDCOUNT 0
            0x00, 0x01, // ANCOUNT 1
            0x00, 0x00, 0x00, 0x00, // NSCOUNT, ARCOUNT 0
            0x20, // label length 32: "*" padded with NULs, suffix 0x00 (§4.2.17)
        ];
        msg.extend_from_slice(b"CKAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        msg.extend_from_slice(&[
            0x00, // root
            0x00, 0x21, // RR_TYPE NBSTAT
            0x00, 0x01, // RR_CLASS IN
            0x00, 0x00, 0x00, 0x00, // TTL 0
            0x00, 0x2d, // RDLENGTH 45 = 1 + 2 * 18 + 8
            0x02, // NUM_NAMES 2 (§4.2.18)
        ]);
        msg.extend_from_slice(b"WORKGROUP      \x00"); // group name, suffix 0x00
        msg.extend_from_slice(&[0x84, 0x00]); // NAME_FLAGS: G=1, ACT
        msg.extend_from_slice(b"HMI-3          \x20"); // unique name, suffix 0x20
        msg.extend_from_slice(&[0x04, 0x00]); // NAME_FLAGS: G=0, ACT
        msg.extend_from_slice(&[0x00, 0x1b, 0x1b, 0x0a, 0x0b, 0x0c, 0x00, 0x00]); // UNIT_ID, jumpers, test result
        let sink = feed(Direction::ToClient, &msg);
        assert_eq!(
            sink.lines,
            vec![
                "identity nbns Server hostname HMI-3",
                r#"record nbns query response {"id":1,"opcode":0,"rcode":0,"name":"*<00>","name_suffix":0,"name_type":"workstation","qtype":33,"qtype_name":"NBSTAT","broadcast":false,"ttl":0,"names":["WORKGROUP<00>","HMI-3<20>"],"mac":"00:1b:1b:0a:0b:0c"}"#,
            ]
        );
    }

    #[test]
    fn probes_encoded_names_as_certain() {
        use rampart_dissect::Probe;
        let probe = super::super::REGISTRATION.probe;
        assert_eq!(probe(Direction::ToServer, &registration()), Probe::Certain);
        let mut dns_like = registration();
        dns_like.truncate(12);
        dns_like.extend_from_slice(&[3, b'w', b'w', b'w', 0, 0, 1, 0, 1]);
        assert_eq!(probe(Direction::ToServer, &dns_like), Probe::Unsure);
        assert_eq!(probe(Direction::ToServer, &[0x01]), Probe::NotForUs);
    }
}
