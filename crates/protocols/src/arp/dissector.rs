//! ARP frames to events: one record per packet, and every oddity an anomaly.

use std::net::{IpAddr, Ipv4Addr};

use rampart_dissect::{Direction, Event, EventSink, Fields, Frame, Mac, Record, Value, report};

use super::parse::{self, ArpPacket, HW_ETHERNET, HW_IEEE802, Opcode, PROTO_IPV4};

const PROTOCOL: &str = "arp";

/// Parse one ARP frame and report it.
pub fn dissect(frame: &Frame<'_>, sink: &mut dyn EventSink) {
    match parse::parse(frame.payload) {
        Ok(packet) => {
            check(frame, &packet, sink);
            emit(&packet, sink);
        }
        Err(err) => {
            let offset = match err {
                parse::ArpError::Truncated(t) => t.offset,
                parse::ArpError::AddressesTruncated { .. } => parse::HEADER_LEN,
            };
            report(sink, PROTOCOL, err.code(), Some(offset), &err);
        }
    }
}

/// Report what is parsable but wrong.
fn check(frame: &Frame<'_>, p: &ArpPacket<'_>, sink: &mut dyn EventSink) {
    if !matches!(p.hw_type, HW_ETHERNET | HW_IEEE802) {
        let detail = format_args!("hardware type {} on an Ethernet frame", p.hw_type);
        report(sink, PROTOCOL, "unexpected_hardware_type", Some(0), &detail);
    } else if p.hw_size != 6 {
        let detail = format_args!("hardware size {} for Ethernet addresses, not 6", p.hw_size);
        report(sink, PROTOCOL, "bad_hardware_size", Some(4), &detail);
    }
    if p.proto_type != PROTO_IPV4 {
        let detail = format_args!("protocol type {:#06x}, not IPv4", p.proto_type);
        report(sink, PROTOCOL, "unexpected_protocol_type", Some(2), &detail);
    } else if p.proto_size != 4 {
        let detail = format_args!("protocol size {} for IPv4 addresses, not 4", p.proto_size);
        report(sink, PROTOCOL, "bad_protocol_size", Some(5), &detail);
    }
    if p.opcode.name().is_none() {
        let detail = format_args!("opcode {:#06x} is not assigned", p.opcode.0);
        report(sink, PROTOCOL, "unknown_opcode", Some(6), &detail);
    }
    if let Some(sender) = p.sender_mac() {
        if sender != frame.src {
            let detail = format_args!(
                "sender MAC {sender} differs from Ethernet source {}",
                frame.src
            );
            report(sink, PROTOCOL, "sender_mac_mismatch", Some(8), &detail);
        }
        if sender.is_group() {
            let detail = format_args!("sender MAC {sender} is a broadcast or multicast address");
            report(sink, PROTOCOL, "group_sender_mac", Some(8), &detail);
        }
    }
    if let Some(at) = p.padding.iter().position(|&b| b != 0) {
        let offset = frame.payload.len() - p.padding.len() + at;
        let detail = format_args!(
            "{} bytes of padding after the packet are not all zero",
            p.padding.len()
        );
        report(sink, PROTOCOL, "nonzero_padding", Some(offset), &detail);
    }
}

fn emit(p: &ArpPacket<'_>, sink: &mut dyn EventSink) {
    let (kind, direction) = match p.opcode {
        Opcode::REQUEST => ("request", Some(Direction::ToServer)),
        Opcode::REPLY => ("reply", Some(Direction::ToClient)),
        _ => ("other", None),
    };
    let (sender_ip, target_ip) = (p.sender_ip(), p.target_ip());
    let same_ip = sender_ip.is_some() && sender_ip == target_ip;
    let unspecified_sender = sender_ip.is_some_and(|ip| ip.is_unspecified());
    let is_request = p.opcode == Opcode::REQUEST;
    let target_mac_zero = p.target_mac().is_some_and(|m| m.0 == [0; 6]);
    let fields = [
        ("hw_type", Value::U64(p.hw_type.into())),
        ("proto_type", Value::U64(p.proto_type.into())),
        ("hw_size", Value::U64(p.hw_size.into())),
        ("proto_size", Value::U64(p.proto_size.into())),
        ("opcode", Value::U64(p.opcode.0.into())),
        (
            "opcode_name",
            Value::Str(p.opcode.name().unwrap_or("unknown")),
        ),
        hw_field(["sender_mac", "sender_hw"], p.sender_mac(), p.sender_hw),
        proto_field(["sender_ip", "sender_proto"], sender_ip, p.sender_proto),
        hw_field(["target_mac", "target_hw"], p.target_mac(), p.target_hw),
        proto_field(["target_ip", "target_proto"], target_ip, p.target_proto),
        // RFC 5227 §3 and RFC 5944 §4.6: a host announcing its own address.
        ("gratuitous", Value::Bool(same_ip && !unspecified_sender)),
        // RFC 5227 §2.1.1: address conflict detection before using an address.
        ("probe", Value::Bool(is_request && unspecified_sender)),
        // RFC 5227 §2.3, as Wireshark tells it apart from other gratuitous requests.
        (
            "announcement",
            Value::Bool(is_request && same_ip && !unspecified_sender && target_mac_zero),
        ),
    ];
    sink.emit(Event::Record(Record {
        protocol: PROTOCOL,
        kind,
        direction,
        activity: None,
        fields: Fields(&fields),
    }));
}

/// Name a hardware address field by whether it decoded as a MAC.
fn hw_field<'a>(
    names: [&'static str; 2],
    mac: Option<Mac>,
    raw: &'a [u8],
) -> (&'static str, Value<'a>) {
    match mac {
        Some(m) => (names[0], Value::Mac(m)),
        None => (names[1], Value::Bytes(raw)),
    }
}

/// Name a protocol address field by whether it decoded as IPv4.
fn proto_field<'a>(
    names: [&'static str; 2],
    ip: Option<Ipv4Addr>,
    raw: &'a [u8],
) -> (&'static str, Value<'a>) {
    match ip {
        Some(ip) => (names[0], Value::Ip(IpAddr::V4(ip))),
        None => (names[1], Value::Bytes(raw)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_event::CollectingSink;

    const SRC: Mac = Mac([0x00, 0x1b, 0x1b, 0x01, 0x02, 0x03]);

    fn run(payload: &[u8]) -> CollectingSink {
        let mut sink = CollectingSink::default();
        let frame = Frame {
            src: SRC,
            dst: Mac::BROADCAST,
            vlan: None,
            payload,
        };
        dissect(&frame, &mut sink);
        sink
    }

    /// Build an Ethernet/IPv4 ARP packet (RFC 826 layout).
    fn packet(opcode: u16, sender: [u8; 6], sender_ip: [u8; 4], target_ip: [u8; 4]) -> Vec<u8> {
        let mut p = vec![
            0x00, 0x01, // hardware type Ethernet
            0x08, 0x00, // protocol type IPv4
            0x06, 0x04, // sizes 6 and 4
        ];
        p.extend_from_slice(&opcode.to_be_bytes());
        p.extend_from_slice(&sender); // sender MAC
        p.extend_from_slice(&sender_ip); // sender IP
        p.extend_from_slice(&[0; 6]); // target MAC
        p.extend_from_slice(&target_ip); // target IP
        p
    }

    #[test]
    fn reports_a_request_with_named_addresses() {
        let sink = run(&packet(1, SRC.0, [192, 168, 0, 10], [192, 168, 0, 1]));
        assert_eq!(
            sink.lines,
            vec![
                r#"record arp request request {"hw_type":1,"proto_type":2048,"hw_size":6,"proto_size":4,"opcode":1,"opcode_name":"request","sender_mac":"00:1b:1b:01:02:03","sender_ip":"192.168.0.10","target_mac":"00:00:00:00:00:00","target_ip":"192.168.0.1","gratuitous":false,"probe":false,"announcement":false}"#
            ]
        );
    }

    #[test]
    fn flags_probe_and_announcement() {
        let probe = run(&packet(1, SRC.0, [0, 0, 0, 0], [192, 168, 0, 10]));
        assert!(probe.lines[0].contains(r#""probe":true"#));
        assert!(probe.lines[0].contains(r#""gratuitous":false"#));
        let announce = run(&packet(1, SRC.0, [192, 168, 0, 10], [192, 168, 0, 10]));
        assert!(
            announce.lines[0].contains(r#""gratuitous":true,"probe":false,"announcement":true"#)
        );
        let reply = run(&packet(2, SRC.0, [192, 168, 0, 10], [192, 168, 0, 10]));
        assert!(reply.lines[0].starts_with("record arp reply response"));
        assert!(reply.lines[0].contains(r#""gratuitous":true,"probe":false,"announcement":false"#));
    }

    #[test]
    fn flags_spoofed_and_group_sender_macs() {
        let sink = run(&packet(
            2,
            [0x01, 0, 0x5e, 0, 0, 1],
            [10, 0, 0, 1],
            [10, 0, 0, 2],
        ));
        assert_eq!(sink.anomalies("sender_mac_mismatch"), 1);
        assert_eq!(sink.anomalies("group_sender_mac"), 1);
        assert_eq!(sink.matching("record arp reply").len(), 1);
    }

    #[test]
    fn flags_leaked_bytes_in_the_padding() {
        let mut p = packet(1, SRC.0, [10, 0, 0, 1], [10, 0, 0, 2]);
        p.extend_from_slice(&[0; 18]); // Ethernet padding to 46 bytes
        assert_eq!(run(&p).anomalies("nonzero_padding"), 0);
        p[39] = 0x40; // a stale buffer byte in the padding
        let sink = run(&p);
        assert_eq!(sink.anomalies("nonzero_padding"), 1);
        assert!(sink.lines[0].contains(" @39 "));
    }

    #[test]
    fn keeps_unknown_opcode_and_address_types() {
        let mut p = packet(0xaaaa, SRC.0, [10, 0, 0, 1], [10, 0, 0, 2]);
        p[0..2].copy_from_slice(&[0x25, 0x00]); // hardware type 9472
        p[2..4].copy_from_slice(&[0x08, 0x49]); // protocol type 0x0849
        let sink = run(&p);
        assert_eq!(sink.anomalies("unknown_opcode"), 1);
        assert_eq!(sink.anomalies("unexpected_hardware_type"), 1);
        assert_eq!(sink.anomalies("unexpected_protocol_type"), 1);
        let record = sink.matching("record arp other transaction");
        assert_eq!(record.len(), 1);
        assert!(record[0].contains(r#""opcode":43690,"opcode_name":"unknown","sender_hw":"001b1b010203","sender_proto":"0a000001""#));
    }

    #[test]
    fn flags_sizes_that_contradict_the_address_types() {
        let mut p = packet(1, SRC.0, [10, 0, 0, 1], [10, 0, 0, 2]);
        p[4] = 4; // Ethernet hardware size 4
        p[5] = 6; // IPv4 protocol size 6
        let sink = run(&p);
        assert_eq!(sink.anomalies("bad_hardware_size"), 1);
        assert_eq!(sink.anomalies("bad_protocol_size"), 1);
        assert!(sink.matching("record arp request")[0].contains(r#""sender_hw":"001b1b01""#));
    }

    #[test]
    fn reports_truncated_frames_without_a_record() {
        let mut p = packet(1, SRC.0, [10, 0, 0, 1], [10, 0, 0, 2]);
        p[5] = 170; // protocol size 170: 352 address bytes in a 28-byte packet
        let sink = run(&p);
        assert_eq!(sink.anomalies("address_length_mismatch"), 1);
        assert!(sink.matching("record").is_empty());
        assert_eq!(run(&p[..3]).anomalies("truncated"), 1);
        assert_eq!(run(&[]).anomalies("truncated"), 1);
    }
}
