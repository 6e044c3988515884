//! Per-flow NTP state: one record per packet, software banners from control responses.

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use rampart_dissect::{
    Attribute, Confidence, Direction, Dissector, Event, EventSink, Feed, Fields, Identity, Record,
    Subject, Value, report, text,
};

use super::parse::{
    ControlPacket, Packet, PrivatePacket, TimePacket, control_opcode_name, mode_name, parse,
    private_request_name, variable,
};

const PROTOCOL: &str = "ntp";

/// Mode 6 opcode "read variables" (RFC 9327 §3.2).
const READ_VARIABLES: u8 = 2;

/// The NTP dissector; it keeps no state between packets but a buffer.
#[derive(Debug, Default)]
pub(super) struct NtpDissector {
    /// The reference id as text.
    reference_id: String,
}

impl NtpDissector {
    fn time(&mut self, dir: Direction, p: &TimePacket, sink: &mut dyn EventSink) {
        if p.version == 0 || p.version > 4 {
            let detail = format_args!("version {} outside 1..=4", p.version);
            report(sink, PROTOCOL, "bad_version", Some(0), &detail);
        }
        if p.mode == 0 {
            report(
                sink,
                PROTOCOL,
                "reserved_mode",
                Some(0),
                &"mode 0 is reserved",
            );
        }
        // RFC 5905 §7.3: at stratum 0 and 1 the id is four ASCII characters (a kiss code or a
        // reference clock); above, the IPv4 address (or IPv6 hash) of the upstream server.
        self.reference_id.clear();
        if p.stratum <= 1 {
            self.reference_id.push_str(&text(&p.reference_id));
        } else {
            let _ = write!(self.reference_id, "{}", Ipv4Addr::from(p.reference_id));
        }
        let direction = match p.mode {
            1 | 3 => Direction::ToServer,
            2 | 4 | 5 => Direction::ToClient,
            _ => dir,
        };
        let fields = [
            ("version", Value::U64(p.version.into())),
            ("mode", Value::U64(p.mode.into())),
            ("mode_name", Value::Str(mode_name(p.mode))),
            ("control", Value::Bool(false)),
            ("leap", Value::U64(p.leap.into())),
            ("stratum", Value::U64(p.stratum.into())),
            ("poll", Value::I64(p.poll.into())),
            ("precision", Value::I64(p.precision.into())),
            ("root_delay", Value::F64(p.root_delay)),
            ("root_disp", Value::F64(p.root_dispersion)),
            ("ref_id", Value::Str(&self.reference_id)),
            ("ref_time", Value::F64(p.reference.unix())),
            ("org_time", Value::F64(p.origin.unix())),
            ("rec_time", Value::F64(p.receive.unix())),
            ("xmt_time", Value::F64(p.transmit.unix())),
        ];
        emit(sink, "message", direction, &fields);
    }

    fn control(&mut self, dir: Direction, p: &ControlPacket<'_>, sink: &mut dyn EventSink) {
        if p.data.len() < usize::from(p.count) {
            let detail = format_args!("count {} but {} data bytes", p.count, p.data.len());
            report(sink, PROTOCOL, "truncated_data", Some(12), &detail);
        }
        if p.response && p.opcode == READ_VARIABLES && !p.error {
            let sender = match dir {
                Direction::ToServer => Subject::Client,
                Direction::ToClient => Subject::Server,
            };
            let banners = [("version", Attribute::Software), ("system", Attribute::Os)];
            for (key, attribute) in banners {
                if let Some(value) = variable(p.data, key).map(text).filter(|v| !v.is_empty()) {
                    sink.emit(Event::Identity(Identity {
                        protocol: PROTOCOL,
                        subject: sender,
                        attribute,
                        value: &value,
                        confidence: Confidence::STATED,
                    }));
                }
            }
        }
        let mut fields = vec![
            ("version", Value::U64(p.version.into())),
            ("mode", Value::U64(6)),
            ("mode_name", Value::Str(mode_name(6))),
            ("control", Value::Bool(true)),
            ("response", Value::Bool(p.response)),
            ("error", Value::Bool(p.error)),
            ("more", Value::Bool(p.more)),
            ("opcode", Value::U64(p.opcode.into())),
        ];
        if let Some(name) = control_opcode_name(p.opcode) {
            fields.push(("opcode_name", Value::Str(name)));
        }
        fields.extend([
            ("sequence", Value::U64(p.sequence.into())),
            ("status", Value::U64(p.status.into())),
            ("association_id", Value::U64(p.association_id.into())),
            ("count", Value::U64(p.count.into())),
        ]);
        emit(sink, "control", direction_of(p.response), &fields);
    }

    fn private(&mut self, p: &PrivatePacket, sink: &mut dyn EventSink) {
        let mut fields = vec![
            ("version", Value::U64(p.version.into())),
            ("mode", Value::U64(7)),
            ("mode_name", Value::Str(mode_name(7))),
            ("control", Value::Bool(true)),
            ("response", Value::Bool(p.response)),
            ("more", Value::Bool(p.more)),
            ("implementation", Value::U64(p.implementation.into())),
            ("request_code", Value::U64(p.request_code.into())),
        ];
        if let Some(name) = private_request_name(p.request_code) {
            fields.push(("request_name", Value::Str(name)));
        }
        fields.extend([
            ("sequence", Value::U64(p.sequence.into())),
            ("error", Value::U64(p.error.into())),
            ("items", Value::U64(p.items.into())),
            ("item_size", Value::U64(p.item_size.into())),
        ]);
        emit(sink, "control", direction_of(p.response), &fields);
    }
}

fn direction_of(response: bool) -> Direction {
    if response {
        Direction::ToClient
    } else {
        Direction::ToServer
    }
}

fn emit(sink: &mut dyn EventSink, kind: &str, direction: Direction, fields: &[(&str, Value<'_>)]) {
    sink.emit(Event::Record(Record {
        protocol: PROTOCOL,
        kind,
        direction: Some(direction),
        activity: None,
        fields: Fields(fields),
    }));
}

impl Dissector for NtpDissector {
    fn feed(&mut self, dir: Direction, data: &[u8], sink: &mut dyn EventSink) -> Feed {
        match parse(data) {
            Ok(Packet::Time(p)) => self.time(dir, &p, sink),
            Ok(Packet::Control(p)) => self.control(dir, &p, sink),
            Ok(Packet::Private(p)) => self.private(&p, sink),
            Err(e) => report(sink, PROTOCOL, "truncated", Some(e.offset), &e),
        }
        Feed::Consumed(data.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_event::CollectingSink;

    /// An NTPv4 server reply (RFC 5905 §7.3) from a stratum 1 GPS clock.
    const SERVER: &[u8] = &[
        0x24, // LI=0, VN=4, mode=4 (server)
        0x01, // stratum 1
        0x06, // poll 2^6 s
        0xe9, // precision 2^-23 s
        0x00, 0x00, 0x00, 0x00, // root delay 0
        0x00, 0x00, 0x00, 0x10, // root dispersion 16/65536 s
        b'G', b'P', b'S', 0x00, // reference id "GPS"
        0xe9, 0x5f, 0x39, 0xf0, 0x00, 0x00, 0x00, 0x00, // reference timestamp
        0, 0, 0, 0, 0, 0, 0, 0, // origin timestamp (unset)
        0xe9, 0x5f, 0x3a, 0x00, 0x00, 0x00, 0x00, 0x00, // receive timestamp
        0xe9, 0x5f, 0x3a, 0x00, 0x40, 0x00, 0x00, 0x00, // transmit timestamp, .25 s later
    ];

    fn feed(dir: Direction, data: &[u8]) -> CollectingSink {
        let mut sink = CollectingSink::default();
        NtpDissector::default().feed(dir, data, &mut sink);
        sink
    }

    #[test]
    fn records_a_server_reply() {
        let sink = feed(Direction::ToClient, SERVER);
        assert_eq!(
            sink.lines,
            vec![
                r#"record ntp message response {"version":4,"mode":4,"mode_name":"server","control":false,"leap":0,"stratum":1,"poll":6,"precision":-23,"root_delay":0.0,"root_disp":0.000244140625,"ref_id":"GPS","ref_time":1706343280.0,"org_time":0.0,"rec_time":1706343296.0,"xmt_time":1706343296.25}"#
            ]
        );
    }

    #[test]
    fn shows_a_secondary_servers_reference_as_an_address() {
        let mut data = SERVER.to_vec();
        data[1] = 2; // stratum 2
        data[12..16].copy_from_slice(&[192, 0, 2, 123]); // upstream 192.0.2.123
        assert!(feed(Direction::ToClient, &data).lines[0].contains(r#""ref_id":"192.0.2.123""#));
    }

    #[test]
    fn records_monlist_as_a_control_message_without_anomaly() {
        let request = [
            0x17, // R=0 M=0 VN=2 mode=7
            0x00, // A=0 sequence 0
            0x03, // implementation XNTPD
            0x2a, // request code 42 (MON_GETLIST_1)
            0x00, 0x00, 0x00, 0x00, // err, nitems, mbz, itemsize
        ];
        let sink = feed(Direction::ToServer, &request);
        assert_eq!(
            sink.lines,
            vec![
                r#"record ntp control request {"version":2,"mode":7,"mode_name":"private","control":true,"response":false,"more":false,"implementation":3,"request_code":42,"request_name":"mon_getlist_1","sequence":0,"error":0,"items":0,"item_size":0}"#
            ]
        );
    }

    #[test]
    fn names_the_daemon_and_system_of_a_read_variables_response() {
        let mut data = vec![
            0x16, // LI=0 VN=2 mode=6
            0x82, // R=1 E=0 M=0 opcode 2 (read variables, RFC 9327 §3.2)
            0x00, 0x01, // sequence 1
            0x06, 0x15, // status
            0x00, 0x00, // association id 0: system variables
            0x00, 0x00, // offset 0
            0x00, 0x30, // count 48
        ];
        data.extend_from_slice(b"version=\"ntpd 4.2.8p15\", system=\"Linux/5.10.0\"\r\n");
        let sink = feed(Direction::ToClient, &data);
        assert_eq!(
            sink.matching("identity"),
            vec![
                "identity ntp Server software ntpd 4.2.8p15",
                "identity ntp Server os Linux/5.10.0"
            ]
        );
        assert!(sink.lines[2].starts_with(r#"record ntp control response {"version":2,"mode":6,"mode_name":"control","control":true,"response":true,"error":false,"more":false,"opcode":2,"opcode_name":"read_variables""#));
        assert!(sink.matching("anomaly").is_empty());
    }

    #[test]
    fn reports_short_packets_and_odd_versions() {
        let sink = feed(Direction::ToServer, &SERVER[..20]);
        assert_eq!(
            sink.lines,
            vec![
                "anomaly ntp truncated @20 reference_timestamp: needs 4 bytes at offset 20, 0 available"
            ]
        );
        let mut data = SERVER.to_vec();
        data[0] = 0x3c; // VN=7
        assert_eq!(feed(Direction::ToClient, &data).anomalies("bad_version"), 1);
    }
}
