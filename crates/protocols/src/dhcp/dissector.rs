//! Per-flow DHCP state: one record per message, identity for the client it is about.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};

use rampart_dissect::{
    Attribute, Confidence, Direction, Dissector, Event, EventSink, Feed, Fields, Identity, Record,
    Subject, Value, report, text,
};

use super::message::{message_type_name, os_hint};
use super::parse::{Bootp, Options, parse_bootp, read_options};

const PROTOCOL: &str = "dhcp";

/// The DHCP dissector; it keeps no state between messages but its buffers.
#[derive(Debug, Default)]
pub(super) struct DhcpDissector {
    /// The parameter request list as `1,3,6,15`.
    params: String,
    /// An operating system hint.
    os: String,
}

impl DhcpDissector {
    fn message(&mut self, dir: Direction, data: &[u8], sink: &mut dyn EventSink) {
        let bootp = match parse_bootp(data) {
            Ok(bootp) => bootp,
            Err(e) => return report(sink, PROTOCOL, "truncated", Some(e.offset), &e),
        };
        let options = read_options(&bootp, |p| {
            report(sink, PROTOCOL, p.code(), Some(p.offset()), &p)
        });
        let direction = match bootp.op {
            1 => Direction::ToServer,
            2 => Direction::ToClient,
            op => {
                let detail = format_args!("op {op} is neither BOOTREQUEST (1) nor BOOTREPLY (2)");
                report(sink, PROTOCOL, "bad_op", Some(0), &detail);
                dir
            }
        };
        self.params.clear();
        for code in options.params.unwrap_or_default() {
            if !self.params.is_empty() {
                self.params.push(',');
            }
            let _ = write!(self.params, "{code}");
        }
        let hostname = options.hostname.map(text);
        let vendor_class = options.vendor_class.map(text);
        self.identity(
            &bootp,
            &options,
            direction,
            hostname.as_deref(),
            vendor_class.as_deref(),
            sink,
        );
        let domain_name = options.domain_name.map(text);
        let client_fqdn = options.client_fqdn.map(text);
        let server_message = options.message.map(text);
        let ip = |addr: Ipv4Addr| Value::Ip(IpAddr::V4(addr));
        let mut fields = Vec::with_capacity(20);
        if let Some(code) = options.message_type {
            fields.push(("msg_type", Value::U64(code.into())));
            if let Some(name) = message_type_name(code) {
                fields.push(("msg_type_name", Value::Str(name)));
            }
        }
        fields.push(("xid", Value::U64(bootp.xid.into())));
        match bootp.client_mac() {
            Some(mac) => fields.push(("client_mac", Value::Mac(mac))),
            None => fields.push(("chaddr", Value::Bytes(bootp.hardware_address()))),
        }
        let addresses = [
            ("ciaddr", bootp.ciaddr),
            ("yiaddr", bootp.yiaddr),
            ("siaddr", bootp.siaddr),
            ("giaddr", bootp.giaddr),
        ];
        fields.extend(
            addresses
                .into_iter()
                .filter(|(_, a)| !a.is_unspecified())
                .map(|(n, a)| (n, ip(a))),
        );
        let texts = [
            ("hostname", hostname.as_deref()),
            ("client_fqdn", client_fqdn.as_deref()),
            ("vendor_class_id", vendor_class.as_deref()),
            ("domain_name", domain_name.as_deref()),
            ("message", server_message.as_deref()),
        ];
        fields.extend(
            texts
                .into_iter()
                .filter_map(|(n, t)| Some((n, Value::Str(t?)))),
        );
        if let Some(id) = options.client_id {
            fields.push(("client_id", Value::Bytes(id)));
        }
        if options.params.is_some() {
            fields.push(("param_list", Value::Str(&self.params)));
        }
        let addresses = [
            ("requested_ip", options.requested_ip),
            ("server_id", options.server_id),
            ("router", options.router),
            ("subnet_mask", options.subnet_mask),
        ];
        fields.extend(addresses.into_iter().filter_map(|(n, a)| Some((n, ip(a?)))));
        if let Some(lease) = options.lease_time {
            fields.push(("lease_time", Value::U64(lease.into())));
        }
        sink.emit(Event::Record(Record {
            protocol: PROTOCOL,
            kind: "message",
            direction: Some(direction),
            activity: None,
            fields: Fields(&fields),
        }));
    }

    /// Report what the message says about its client. Requests speak for the client itself;
    /// a reply only carries the host name the server hands out.
    fn identity(
        &mut self,
        bootp: &Bootp<'_>,
        options: &Options<'_>,
        direction: Direction,
        hostname: Option<&str>,
        vendor_class: Option<&str>,
        sink: &mut dyn EventSink,
    ) {
        let request = direction == Direction::ToServer;
        let address = if request {
            options.requested_ip.or(Some(bootp.ciaddr))
        } else {
            Some(bootp.yiaddr)
        };
        let ip = address.filter(|a| !a.is_unspecified()).map(IpAddr::V4);
        let mac = bootp.client_mac().filter(|m| m.0 != [0; 6]);
        let subject = match (mac, ip) {
            (None, None) if request => Subject::Client,
            (None, None) => return,
            (mac, ip) => Subject::Host { mac, ip },
        };
        let mut say = |attribute, value: &str, confidence| {
            if !value.is_empty() {
                sink.emit(Event::Identity(Identity {
                    protocol: PROTOCOL,
                    subject,
                    attribute,
                    value,
                    confidence,
                }));
            }
        };
        if let Some(hostname) = hostname {
            let confidence = if request {
                Confidence::STATED
            } else {
                Confidence::STRONG
            };
            say(Attribute::Hostname, hostname, confidence);
        }
        if !request {
            return;
        }
        if let Some(vendor_class) = vendor_class {
            say(Attribute::DhcpVendorClass, vendor_class, Confidence::STATED);
            if os_hint(vendor_class, &mut self.os) {
                say(Attribute::Os, &self.os, Confidence::WEAK);
            }
        }
        if options.params.is_some() {
            say(Attribute::DhcpFingerprint, &self.params, Confidence::STATED);
        }
    }
}

impl Dissector for DhcpDissector {
    fn feed(&mut self, dir: Direction, data: &[u8], sink: &mut dyn EventSink) -> Feed {
        self.message(dir, data, sink);
        Feed::Consumed(data.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_event::CollectingSink;

    /// A BOOTP header (RFC 2131 §2): `op`, Ethernet chaddr 00:1b:1b:0a:0b:0c, `yiaddr`, then
    /// the magic cookie and `options`.
    fn message(op: u8, yiaddr: [u8; 4], options: &[u8]) -> Vec<u8> {
        let mut msg = vec![
            op,   // op
            0x01, // htype Ethernet
            0x06, // hlen 6
            0x00, // hops
            0xef, 0x64, 0x57, 0x44, // xid 0xef645744
            0x00, 0x00, // secs
            0x00, 0x00, // flags
            0, 0, 0, 0, // ciaddr
        ];
        msg.extend_from_slice(&yiaddr); // yiaddr
        msg.extend_from_slice(&[0; 8]); // siaddr, giaddr
        msg.extend_from_slice(&[0x00, 0x1b, 0x1b, 0x0a, 0x0b, 0x0c]); // chaddr
        msg.resize(236, 0); // chaddr padding, sname, file
        msg.extend_from_slice(&[99, 130, 83, 99]); // magic cookie (RFC 2131 §3)
        msg.extend_from_slice(options);
        msg
    }

    /// RFC 2132 options of a Windows client's DHCPREQUEST.
    const WINDOWS_REQUEST: &[u8] = &[
        53, 1, 3, // message type REQUEST (§9.6)
        50, 4, 10, 0, 0, 42, // requested address 10.0.0.42 (§9.1)
        12, 6, b'H', b'M', b'I', b'-', b'0', b'1', // host name (§3.14)
        60, 8, b'M', b'S', b'F', b'T', b' ', b'5', b'.', b'0', // vendor class (§9.13)
        55, 4, 1, 3, 6, 15,  // parameter request list (§9.8)
        255, // end
    ];

    fn feed(dir: Direction, msg: &[u8]) -> CollectingSink {
        let mut sink = CollectingSink::default();
        DhcpDissector::default().feed(dir, msg, &mut sink);
        sink
    }

    #[test]
    fn names_the_client_by_mac_and_requested_address() {
        let sink = feed(Direction::ToServer, &message(1, [0; 4], WINDOWS_REQUEST));
        let host = "Host { mac: Some(00:1b:1b:0a:0b:0c), ip: Some(10.0.0.42) }";
        assert_eq!(
            sink.lines,
            vec![
                format!("identity dhcp {host} hostname HMI-01"),
                format!("identity dhcp {host} dhcp_vendor_class MSFT 5.0"),
                format!("identity dhcp {host} os Windows"),
                format!("identity dhcp {host} dhcp_fingerprint 1,3,6,15"),
                r#"record dhcp message request {"msg_type":3,"msg_type_name":"request","xid":4016330564,"client_mac":"00:1b:1b:0a:0b:0c","hostname":"HMI-01","vendor_class_id":"MSFT 5.0","param_list":"1,3,6,15","requested_ip":"10.0.0.42"}"#.to_string(),
            ]
        );
    }

    #[test]
    fn takes_only_the_assigned_host_name_from_a_reply() {
        let options = [
            53, 1, 5, // message type ACK
            54, 4, 10, 0, 0, 1, // server identifier
            51, 4, 0x00, 0x00, 0x0e, 0x10, // lease time 3600 s
            12, 9, b'K', b'o', b'y', b'o', b'D', b'L', b'4', b'0', b'5', // host name
            60, 3, b'x', b'y',
            b'z', // vendor class, which a server's reply does not tell about the client
            255,
        ];
        let sink = feed(Direction::ToClient, &message(2, [10, 0, 0, 42], &options));
        assert_eq!(
            sink.matching("identity"),
            vec![
                "identity dhcp Host { mac: Some(00:1b:1b:0a:0b:0c), ip: Some(10.0.0.42) } hostname KoyoDL405"
            ]
        );
        assert!(sink.lines[1].starts_with(
            r#"record dhcp message response {"msg_type":5,"msg_type_name":"ack","xid":4016330564,"client_mac":"00:1b:1b:0a:0b:0c","yiaddr":"10.0.0.42""#
        ));
        assert!(sink.lines[1].ends_with(r#""server_id":"10.0.0.1","lease_time":3600}"#));
    }

    #[test]
    fn reports_truncated_option_and_still_records_the_message() {
        let options = [53, 1, 1, 12, 20, b'p', b'l'];
        let sink = feed(Direction::ToServer, &message(1, [0; 4], &options));
        assert_eq!(sink.anomalies("truncated_option"), 1);
        assert_eq!(sink.matching("record dhcp message request").len(), 1);
    }

    #[test]
    fn reports_a_truncated_header() {
        let sink = feed(Direction::ToServer, &message(1, [0; 4], &[])[..40]);
        assert_eq!(
            sink.lines,
            vec!["anomaly dhcp truncated @28 chaddr: needs 16 bytes at offset 28, 12 available"]
        );
    }

    #[test]
    fn reports_an_unknown_op_and_keeps_the_flow_direction() {
        let sink = feed(Direction::ToClient, &message(7, [0; 4], &[53, 1, 2, 255]));
        assert_eq!(sink.anomalies("bad_op"), 1);
        assert_eq!(sink.matching("record dhcp message response").len(), 1);
    }

    /// The fuzz door cuts UDP datagrams at 64 bytes, short of the 240-byte header, so this
    /// test puts pseudo-random option areas behind a valid header instead.
    #[test]
    fn survives_random_option_areas() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for round in 0..2000 {
            let len = (next() % 300) as usize;
            let mut options: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            if round % 2 == 0 {
                // Bias towards the options the parser reads, with plausible lengths.
                for (i, b) in options.iter_mut().enumerate().step_by(7) {
                    *b = [12, 50, 52, 53, 55, 60, 61, 81, 3, 1, 255, 0][i % 12];
                }
            }
            let sink = feed(Direction::ToServer, &message(1, [0; 4], &options));
            assert_eq!(sink.matching("record dhcp message").len(), 1);
        }
    }

    #[test]
    fn probes_the_magic_cookie() {
        use rampart_dissect::Probe;
        let probe = super::super::REGISTRATION.probe;
        let msg = message(1, [0; 4], WINDOWS_REQUEST);
        assert_eq!(probe(Direction::ToServer, &msg), Probe::Certain);
        assert_eq!(probe(Direction::ToServer, &msg[..236]), Probe::Unsure);
        assert_eq!(probe(Direction::ToServer, &msg[..10]), Probe::NotForUs);
    }
}
