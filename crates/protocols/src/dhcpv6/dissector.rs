//! Per-flow DHCPv6 state: one record per message (relayed ones included), client identity.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv6Addr};

use rampart_dissect::{
    Attribute, Confidence, Direction, Dissector, Event, EventSink, Feed, Fields, Identity, Record,
    Subject, Value, report, text,
};

use super::parse::{
    Head, Lease, MAX_RELAY_DEPTH, OptionProblem, Options, RELAY_FORW, duid_mac, from_client,
    message_type_name, parse_message, read_options, vendor_classes, write_fqdn,
};
use crate::dhcp::message::os_hint;
use crate::text_list::TextList;

const PROTOCOL: &str = "dhcpv6";

/// Buffers reused from message to message.
#[derive(Debug, Default)]
pub(super) struct Dhcpv6Dissector {
    /// The option request list as `23,24,39`.
    oro: String,
    /// The client FQDN as text.
    fqdn: String,
    /// The vendor-class-data entries, comma-separated.
    vendor: String,
    /// An operating system hint.
    os: String,
    /// Leased addresses.
    addresses: TextList,
    /// Delegated prefixes.
    prefixes: TextList,
}

impl Dhcpv6Dissector {
    /// Parse the message at `base` in the datagram; `client` is the relayed client's address
    /// when the message was unwrapped from a RELAY-FORW.
    fn message(
        &mut self,
        dir: Direction,
        data: &[u8],
        base: usize,
        depth: usize,
        client: Option<Ipv6Addr>,
        sink: &mut dyn EventSink,
    ) {
        let msg = match parse_message(data, base) {
            Ok(msg) => msg,
            Err(e) => return report(sink, PROTOCOL, "truncated", Some(e.offset), &e),
        };
        self.addresses.clear();
        self.prefixes.clear();
        let (addresses, prefixes) = (&mut self.addresses, &mut self.prefixes);
        let mut lease = |lease| match lease {
            Lease::Address(addr) => {
                let _ = write!(addresses.next(), "{addr}");
                addresses.finish();
            }
            Lease::Prefix(prefix, len) => {
                let _ = write!(prefixes.next(), "{prefix}/{len}");
                prefixes.finish();
            }
        };
        let mut problem = |p: OptionProblem| report(sink, PROTOCOL, p.code(), Some(p.offset()), &p);
        let options = read_options(msg.options, msg.options_offset, &mut lease, &mut problem);
        self.render(&options, msg.options_offset, sink);
        let direction = if from_client(msg.msg_type) {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        if from_client(msg.msg_type) && msg.msg_type != RELAY_FORW {
            let mac = options.client_duid.and_then(duid_mac);
            let subject = match client {
                Some(ip) => Subject::Host {
                    mac,
                    ip: Some(IpAddr::V6(ip)),
                },
                None if dir == Direction::ToServer => Subject::Client,
                None => Subject::Server,
            };
            self.identity(subject, sink);
        }
        self.record(msg.msg_type, &msg.head, &options, direction, sink);
        let Some((inner, offset)) = options.relay_message else {
            return;
        };
        if depth + 1 >= MAX_RELAY_DEPTH {
            let p = OptionProblem::RelayTooDeep { offset };
            return report(sink, PROTOCOL, p.code(), Some(offset), &p);
        }
        let client = match msg.head {
            Head::Relay { peer_address, .. } if msg.msg_type == RELAY_FORW => Some(peer_address),
            _ => None,
        };
        self.message(dir, inner, offset, depth + 1, client, sink);
    }

    /// Render the text fields of `options` into the reusable buffers.
    fn render(&mut self, options: &Options<'_>, offset: usize, sink: &mut dyn EventSink) {
        self.oro.clear();
        if let Some(oro) = options.oro {
            let codes = oro.chunks_exact(2);
            if !codes.remainder().is_empty() {
                let p = OptionProblem::BadLength {
                    code: 6,
                    offset,
                    actual: oro.len(),
                    expected: "a multiple of 2",
                };
                report(sink, PROTOCOL, p.code(), Some(offset), &p);
            }
            for code in codes {
                if !self.oro.is_empty() {
                    self.oro.push(',');
                }
                let _ = write!(self.oro, "{}", u16::from_be_bytes([code[0], code[1]]));
            }
        }
        self.fqdn.clear();
        let fqdn = options
            .fqdn
            .map(|(name, at)| (write_fqdn(&mut self.fqdn, name), at));
        if let Some((false, at)) = fqdn {
            let p = OptionProblem::BadFqdn { offset: at };
            report(sink, PROTOCOL, p.code(), Some(at), &p);
        }
        self.vendor.clear();
        for class in options
            .vendor_class
            .map(|(_, area)| vendor_classes(area))
            .into_iter()
            .flatten()
        {
            if !self.vendor.is_empty() {
                self.vendor.push(',');
            }
            self.vendor.push_str(&text(class));
        }
    }

    /// Report what a client's own message says about it.
    fn identity(&mut self, subject: Subject, sink: &mut dyn EventSink) {
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
        say(Attribute::Hostname, &self.fqdn, Confidence::STATED);
        say(Attribute::DhcpVendorClass, &self.vendor, Confidence::STATED);
        if os_hint(&self.vendor, &mut self.os) {
            say(Attribute::Os, &self.os, Confidence::WEAK);
        }
        say(Attribute::DhcpFingerprint, &self.oro, Confidence::STATED);
    }

    fn record(
        &self,
        msg_type: u8,
        head: &Head,
        options: &Options<'_>,
        direction: Direction,
        sink: &mut dyn EventSink,
    ) {
        let mut fields = vec![("msg_type", Value::U64(msg_type.into()))];
        if let Some(name) = message_type_name(msg_type) {
            fields.push(("msg_type_name", Value::Str(name)));
        }
        match *head {
            Head::Client { transaction_id } => {
                fields.push(("trans_id", Value::U64(transaction_id.into())));
            }
            Head::Relay {
                hop_count,
                link_address,
                peer_address,
            } => fields.extend([
                ("hop_count", Value::U64(hop_count.into())),
                ("link_address", Value::Ip(IpAddr::V6(link_address))),
                ("peer_address", Value::Ip(IpAddr::V6(peer_address))),
            ]),
        }
        if let Some(duid) = options.client_duid {
            fields.push(("client_duid", Value::Bytes(duid)));
            if let Some(mac) = duid_mac(duid) {
                fields.push(("duid_mac", Value::Mac(mac)));
            }
        }
        if let Some(duid) = options.server_duid {
            fields.push(("server_duid", Value::Bytes(duid)));
        }
        if options.fqdn.is_some() {
            fields.push(("fqdn", Value::Str(&self.fqdn)));
        }
        if let Some((enterprise, _)) = options.vendor_class {
            fields.push(("vendor_enterprise", Value::U64(enterprise.into())));
            fields.push(("vendor_class", Value::Str(&self.vendor)));
        }
        if options.oro.is_some() {
            fields.push(("oro", Value::Str(&self.oro)));
        }
        if self.addresses.len() > 0 {
            fields.push(("addresses", self.addresses.value()));
        }
        if self.prefixes.len() > 0 {
            fields.push(("prefixes", self.prefixes.value()));
        }
        let status_message = options.status.map(|(_, message)| text(message));
        if let (Some((code, _)), Some(message)) = (options.status, status_message.as_deref()) {
            fields.push(("status_code", Value::U64(code.into())));
            fields.push(("status_message", Value::Str(message)));
        }
        sink.emit(Event::Record(Record {
            protocol: PROTOCOL,
            kind: "message",
            direction: Some(direction),
            activity: None,
            fields: Fields(&fields),
        }));
    }
}

impl Dissector for Dhcpv6Dissector {
    fn feed(&mut self, dir: Direction, data: &[u8], sink: &mut dyn EventSink) -> Feed {
        self.message(dir, data, 0, 0, None, sink);
        Feed::Consumed(data.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_event::CollectingSink;

    /// A SOLICIT (RFC 8415 §16.2) from a Windows client.
    const SOLICIT: &[u8] = &[
        0x01, // msg-type SOLICIT
        0x31, 0x7d, 0x40, // transaction-id
        0x00, 0x01, 0x00, 0x0a, // CLIENTID, 10 bytes (§21.2)
        0x00, 0x03, 0x00, 0x01, // DUID-LL, Ethernet (§11.4)
        0x00, 0x1b, 0x1b, 0x0a, 0x0b, 0x0c, // link-layer address
        0x00, 0x27, 0x00, 0x07, // CLIENT_FQDN, 7 bytes (RFC 4704 §4)
        0x00, // flags
        0x05, b'h', b'm', b'i', b'-', b'4', // partial name "hmi-4"
        0x00, 0x10, 0x00, 0x0e, // VENDOR_CLASS, 14 bytes (§21.16)
        0x00, 0x00, 0x01, 0x37, // enterprise 311 (Microsoft)
        0x00, 0x08, b'M', b'S', b'F', b'T', b' ', b'5', b'.', b'0', // vendor-class-data
        0x00, 0x06, 0x00, 0x04, 0x00, 0x17, 0x00, 0x18, // ORO: 23, 24 (§21.7)
    ];

    /// An ADVERTISE (§16.3) offering 2001:db8::100 and the prefix 2001:db8:1::/56.
    const ADVERTISE: &[u8] = &[
        0x02, // msg-type ADVERTISE
        0x31, 0x7d, 0x40, // transaction-id
        0x00, 0x03, 0x00, 0x28, // IA_NA, 40 bytes (§21.4)
        0x00, 0x00, 0x00, 0x01, // IAID
        0x00, 0x00, 0x0e, 0x10, 0x00, 0x00, 0x15, 0x18, // T1, T2
        0x00, 0x05, 0x00, 0x18, // IAADDR, 24 bytes (§21.6)
        0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00, // 2001:db8::100
        0x00, 0x00, 0x1c, 0x20, 0x00, 0x00, 0x2a, 0x30, // lifetimes
        0x00, 0x19, 0x00, 0x29, // IA_PD, 41 bytes (§21.21)
        0x00, 0x00, 0x00, 0x02, // IAID
        0x00, 0x00, 0x0e, 0x10, 0x00, 0x00, 0x15, 0x18, // T1, T2
        0x00, 0x1a, 0x00, 0x19, // IAPREFIX, 25 bytes (§21.22)
        0x00, 0x00, 0x1c, 0x20, 0x00, 0x00, 0x2a, 0x30, // lifetimes
        0x38, // prefix-length 56
        0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 2001:db8:1::
        0x00, 0x0d, 0x00, 0x04, 0x00, 0x00, b'o', b'k', // STATUS_CODE Success, "ok" (§21.13)
    ];

    fn feed(dir: Direction, msg: &[u8]) -> CollectingSink {
        let mut sink = CollectingSink::default();
        Dhcpv6Dissector::default().feed(dir, msg, &mut sink);
        sink
    }

    /// Wrap `inner` in a RELAY-FORW (§9) from peer fe80::2.
    fn relayed(inner: &[u8]) -> Vec<u8> {
        let mut msg = vec![0x0c, 0x00]; // msg-type RELAY-FORW, hop-count 0
        msg.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]); // link-address
        msg.extend_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]); // peer-address
        msg.extend_from_slice(&[0x00, 0x09]); // RELAY_MSG (§21.10)
        msg.extend_from_slice(&(inner.len() as u16).to_be_bytes());
        msg.extend_from_slice(inner);
        msg
    }

    #[test]
    fn names_the_soliciting_client() {
        let sink = feed(Direction::ToServer, SOLICIT);
        assert_eq!(
            sink.lines,
            vec![
                "identity dhcpv6 Client hostname hmi-4",
                "identity dhcpv6 Client dhcp_vendor_class MSFT 5.0",
                "identity dhcpv6 Client os Windows",
                "identity dhcpv6 Client dhcp_fingerprint 23,24",
                r#"record dhcpv6 message request {"msg_type":1,"msg_type_name":"solicit","trans_id":3243328,"client_duid":"00030001001b1b0a0b0c","duid_mac":"00:1b:1b:0a:0b:0c","fqdn":"hmi-4","vendor_enterprise":311,"vendor_class":"MSFT 5.0","oro":"23,24"}"#,
            ]
        );
    }

    #[test]
    fn lists_leased_addresses_and_prefixes() {
        let sink = feed(Direction::ToClient, ADVERTISE);
        assert!(sink.matching("identity").is_empty());
        assert_eq!(
            sink.lines,
            vec![
                r#"record dhcpv6 message response {"msg_type":2,"msg_type_name":"advertise","trans_id":3243328,"addresses":["2001:db8::100"],"prefixes":["2001:db8:1::/56"],"status_code":0,"status_message":"ok"}"#
            ]
        );
    }

    #[test]
    fn unwraps_relayed_messages_and_names_the_relayed_client() {
        let sink = feed(Direction::ToServer, &relayed(SOLICIT));
        assert!(sink.lines[0].starts_with(r#"record dhcpv6 message request {"msg_type":12,"msg_type_name":"relay-forw","hop_count":0,"link_address":"2001:db8::1","peer_address":"fe80::2"}"#));
        assert_eq!(
            sink.lines[1],
            "identity dhcpv6 Host { mac: Some(00:1b:1b:0a:0b:0c), ip: Some(fe80::2) } hostname hmi-4"
        );
        assert_eq!(sink.matching("record dhcpv6 message request").len(), 2);
    }

    #[test]
    fn stops_unwrapping_at_the_hop_limit() {
        let mut msg = SOLICIT.to_vec();
        for _ in 0..MAX_RELAY_DEPTH + 2 {
            msg = relayed(&msg);
        }
        let sink = feed(Direction::ToServer, &msg);
        assert_eq!(sink.anomalies("relay_too_deep"), 1);
        assert_eq!(sink.matching("record").len(), MAX_RELAY_DEPTH);
    }

    #[test]
    fn reports_truncated_options_and_keeps_what_came_before() {
        let sink = feed(Direction::ToServer, &SOLICIT[..30]);
        assert_eq!(sink.anomalies("truncated_option"), 1);
        assert!(sink.matching("record")[0].contains(r#""duid_mac":"00:1b:1b:0a:0b:0c""#));
        let sink = feed(Direction::ToServer, &SOLICIT[..2]);
        assert_eq!(sink.anomalies("truncated"), 1);
    }
}
