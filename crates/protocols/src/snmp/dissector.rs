//! SNMP datagrams to events: one `pdu` record per message, the community string as a
//! cleartext credential, and what an agent says about itself as identity observations.

use rampart_dissect::{
    Attribute, Confidence, Direction, Dissector, Event, EventSink, Feed, Fields, Finding,
    FindingKind, Identity, Record, Subject, Value, report, text,
};

use super::message::{Message, PduType, VarValue, Version, enterprise_name, oid};
use super::parse::{self, VarBinds, enterprise_number, write_oid};
use crate::sysdescr;

const PROTOCOL: &str = "snmp";
/// Object names recorded per message; a bulk response can carry hundreds.
const MAX_VARS: usize = 128;
/// Distinct credentials remembered per flow so that each is reported once, not per poll.
const MAX_REPORTED: usize = 16;

/// Per-flow SNMP state: reusable text buffers and the credentials already reported.
#[derive(Default)]
pub struct SnmpDissector {
    oids: String,
    spans: Vec<(usize, usize)>,
    reported: Vec<(Subject, bool, Vec<u8>)>,
}

/// Values of well-known objects found in one message.
#[derive(Default)]
struct Known<'a> {
    sys_descr: Option<&'a [u8]>,
    sys_object_id: Option<&'a [u8]>,
    sys_uptime: Option<u64>,
    sys_contact: Option<&'a [u8]>,
    sys_name: Option<&'a [u8]>,
    sys_location: Option<&'a [u8]>,
    trap_oid: Option<&'a [u8]>,
    var_count: usize,
}

/// The side that received a message travelling in `dir`.
fn receiver(dir: Direction) -> Subject {
    dir.reverse().sender()
}

/// Render an OID's contents, or its hex when malformed.
fn oid_text(contents: &[u8]) -> String {
    let mut s = String::new();
    if !write_oid(contents, &mut s) {
        s = rampart_event::Hex(contents).to_string();
    }
    s
}

/// Mask a community string for reporting: at most the first two characters stay, and never
/// more than half of them.
fn mask(community: &str) -> String {
    let n = community.chars().count();
    let keep = (n / 2).min(2);
    community
        .chars()
        .take(keep)
        .chain(std::iter::repeat_n('*', n - keep))
        .collect()
}

impl Dissector for SnmpDissector {
    fn feed(&mut self, dir: Direction, data: &[u8], sink: &mut dyn EventSink) -> Feed {
        match parse::parse(data) {
            Ok(lax) => {
                if let Some(e) = lax.stop {
                    report(sink, PROTOCOL, e.code(), Some(e.offset()), &e);
                }
                if lax.message.version.name().is_some() {
                    self.message(dir, &lax.message, sink);
                }
            }
            Err(e) => report(sink, PROTOCOL, e.code(), Some(e.offset()), &e),
        }
        Feed::Consumed(data.len())
    }
}

impl SnmpDissector {
    fn message(&mut self, dir: Direction, m: &Message<'_>, sink: &mut dyn EventSink) {
        let v2_only = m
            .pdu
            .filter(|p| m.version == Version::V1 && !p.pdu_type.in_v1());
        if let Some(pdu) = v2_only {
            let detail = format!(
                "{} ({}) is not an SNMPv1 PDU",
                pdu.pdu_type.name().unwrap_or("unknown"),
                pdu.pdu_type.0
            );
            report(sink, PROTOCOL, "pdu_not_in_version", None, &detail);
        }
        let known = self.read_bindings(m, sink);
        self.emit_record(dir, m, &known, sink);
        if m.pdu.is_some_and(|p| p.pdu_type.carries_agent_values()) {
            identify(dir.sender(), &known, sink);
        }
        if let Some(community) = m.community {
            self.credential(dir, m, community, sink);
        }
    }

    /// Render the object names into the reusable buffer and pick out well-known values.
    fn read_bindings<'a>(&mut self, m: &Message<'a>, sink: &mut dyn EventSink) -> Known<'a> {
        self.oids.clear();
        self.spans.clear();
        let mut known = Known::default();
        let Some(pdu) = &m.pdu else {
            return known;
        };
        for binding in VarBinds::new(pdu) {
            let b = match binding {
                Ok(b) => b,
                Err(e) => {
                    report(sink, PROTOCOL, e.code(), Some(e.offset()), &e);
                    break;
                }
            };
            known.var_count += 1;
            if self.spans.len() < MAX_VARS {
                let start = self.oids.len();
                if !write_oid(b.oid, &mut self.oids) {
                    self.oids.truncate(start);
                    let detail = format!(
                        "object name {} is not a valid OID",
                        rampart_event::Hex(b.oid)
                    );
                    report(sink, PROTOCOL, "bad_oid", None, &detail);
                    continue;
                }
                self.spans.push((start, self.oids.len()));
            }
            match (b.oid, b.value) {
                (oid::SYS_DESCR, VarValue::Octets(v)) => known.sys_descr = Some(v),
                (oid::SYS_OBJECT_ID, VarValue::Oid(v)) => known.sys_object_id = Some(v),
                (oid::SYS_UPTIME, VarValue::Unsigned { value, .. }) => {
                    known.sys_uptime = Some(value);
                }
                (oid::SYS_CONTACT, VarValue::Octets(v)) => known.sys_contact = Some(v),
                (oid::SYS_NAME, VarValue::Octets(v)) => known.sys_name = Some(v),
                (oid::SYS_LOCATION, VarValue::Octets(v)) => known.sys_location = Some(v),
                (oid::SNMP_TRAP_OID, VarValue::Oid(v)) => known.trap_oid = Some(v),
                _ => {}
            }
        }
        known
    }

    fn emit_record(
        &self,
        dir: Direction,
        m: &Message<'_>,
        k: &Known<'_>,
        sink: &mut dyn EventSink,
    ) {
        let community = m.community.map(String::from_utf8_lossy);
        let vars: Vec<&str> = self
            .spans
            .iter()
            .filter_map(|&(a, b)| self.oids.get(a..b))
            .collect();
        let enterprise = m.pdu.and_then(|p| p.trap).map(|t| oid_text(t.enterprise));
        let object_id = k.sys_object_id.map(oid_text);
        let trap_oid = k.trap_oid.map(oid_text);
        let texts = [
            ("sys_descr", k.sys_descr),
            ("sys_contact", k.sys_contact),
            ("sys_name", k.sys_name),
            ("sys_location", k.sys_location),
        ]
        .map(|(name, v)| (name, v.map(text)));
        let v3 = m.v3;
        let usm = v3.and_then(|h| h.user).map(String::from_utf8_lossy);
        let context = v3.and_then(|h| h.context_name).map(String::from_utf8_lossy);

        let mut f: Vec<(&str, Value<'_>)> = Vec::with_capacity(32);
        f.push(("version", Value::Str(m.version.name().unwrap_or("unknown"))));
        if let Some(c) = &community {
            f.push(("community", Value::Str(c)));
        }
        if let Some(h) = &v3 {
            f.push(("msg_id", Value::I64(h.msg_id)));
            f.push(("msg_flags", Value::U64(h.flags.into())));
            f.push(("auth", Value::Bool(h.flags & 1 != 0)));
            f.push(("priv", Value::Bool(h.flags & 2 != 0)));
            f.push(("security_model", Value::I64(h.security_model)));
            if let Some(u) = &usm {
                f.push(("usm", Value::Str(u)));
            }
            if let Some(e) = h.engine_id {
                f.push(("engine_id", Value::Bytes(e)));
            }
            if let Some(c) = &context {
                f.push(("context_name", Value::Str(c)));
            }
            f.push(("encrypted", Value::Bool(h.encrypted)));
        }
        if let Some(p) = &m.pdu {
            f.push((
                "pdu_type",
                Value::Str(p.pdu_type.name().unwrap_or("unknown")),
            ));
            f.push(("pdu_code", Value::U64(p.pdu_type.0.into())));
            if let Some(id) = p.request_id {
                f.push(("request_id", Value::I64(id)));
            }
            if p.pdu_type == PduType::GET_BULK {
                f.push(("non_repeaters", Value::I64(p.error_status)));
                f.push(("max_repetitions", Value::I64(p.error_index)));
            } else if p.trap.is_none() {
                f.push(("error_status", Value::I64(p.error_status)));
                f.push(("error_index", Value::I64(p.error_index)));
            }
            if let Some(t) = &p.trap {
                if let Some(e) = &enterprise {
                    f.push(("enterprise", Value::Str(e)));
                }
                if let Some(a) = t.agent_addr {
                    f.push(("agent_addr", Value::Ip(a.into())));
                }
                f.push(("generic_trap", Value::I64(t.generic_trap)));
                f.push(("specific_trap", Value::I64(t.specific_trap)));
                f.push(("time_stamp", Value::U64(t.time_stamp)));
            }
            f.push(("var_count", Value::U64(k.var_count as u64)));
            f.push(("vars", Value::Strs(&vars)));
        }
        for (name, value) in &texts {
            if let Some(v) = value {
                f.push((name, Value::Str(v)));
            }
        }
        if let Some(o) = &object_id {
            f.push(("sys_object_id", Value::Str(o)));
        }
        if let Some(t) = k.sys_uptime {
            f.push(("sys_uptime", Value::U64(t)));
        }
        if let Some(t) = &trap_oid {
            f.push(("trap_oid", Value::Str(t)));
        }
        sink.emit(Event::Record(Record {
            protocol: PROTOCOL,
            kind: "pdu",
            direction: Some(dir),
            activity: None,
            fields: Fields(&f),
        }));
    }

    /// Report a community string once per flow, side and acceptance.
    fn credential(
        &mut self,
        dir: Direction,
        m: &Message<'_>,
        community: &[u8],
        sink: &mut dyn EventSink,
    ) {
        let Some(pdu) = &m.pdu else {
            return;
        };
        // Agents answer only a community they accept; a request or trap merely offers one.
        let accepted = pdu.pdu_type.sent_by_acceptor();
        let subject = if accepted {
            dir.sender()
        } else {
            receiver(dir)
        };
        let seen = self
            .reported
            .iter()
            .any(|(s, a, c)| *s == subject && *a == accepted && c.as_slice() == community);
        if seen {
            return;
        }
        if self.reported.len() < MAX_REPORTED {
            self.reported.push((subject, accepted, community.to_vec()));
        }
        let clear = String::from_utf8_lossy(community);
        let masked = mask(&clear);
        let fields = [
            ("mechanism", Value::Str("snmp_community")),
            ("version", Value::Str(m.version.name().unwrap_or("unknown"))),
            ("community", Value::Str(&masked)),
            (
                "default",
                Value::Bool(matches!(community, b"public" | b"private")),
            ),
            ("accepted", Value::Bool(accepted)),
        ];
        sink.emit(Event::Finding(Finding {
            protocol: PROTOCOL,
            kind: FindingKind::CleartextCredential,
            subject,
            fields: Fields(&fields),
        }));
    }
}

/// Report what an agent's own objects say about it.
fn identify(subject: Subject, k: &Known<'_>, sink: &mut dyn EventSink) {
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
    if let Some(name) = k.sys_name.map(text) {
        say(Attribute::Hostname, &name, Confidence::STATED);
    }
    if let Some(descr) = k.sys_descr.map(text) {
        say(Attribute::Description, &descr, Confidence::STATED);
        let hints = sysdescr::hints(&descr);
        for (attribute, value) in [
            (Attribute::Vendor, hints.vendor),
            (Attribute::Os, hints.os),
            (Attribute::Model, sysdescr::model(&descr)),
            (Attribute::Firmware, sysdescr::firmware(&descr)),
        ] {
            if let Some(v) = value {
                say(attribute, v, Confidence::WEAK);
            }
        }
    }
    if let Some(vendor) = k
        .sys_object_id
        .and_then(enterprise_number)
        .and_then(enterprise_name)
    {
        say(Attribute::Vendor, vendor, Confidence::STRONG);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_event::CollectingSink;

    /// Encode one BER element with a definite length (X.690 §8.1.3).
    fn tlv(tag: u8, contents: &[u8]) -> Vec<u8> {
        let mut e = vec![tag];
        match u8::try_from(contents.len()) {
            Ok(n) if n < 0x80 => e.push(n),
            Ok(n) => e.extend_from_slice(&[0x81, n]),
            Err(_) => {
                let n = u16::try_from(contents.len()).expect("test messages are small");
                e.push(0x82);
                e.extend_from_slice(&n.to_be_bytes());
            }
        }
        e.extend_from_slice(contents);
        e
    }

    /// Wrap a PDU into an SNMPv2c message with community `community` (RFC 1901 §3).
    fn v2c(community: &[u8], pdu: &[u8]) -> Vec<u8> {
        let mut body = vec![0x02, 0x01, 0x01]; // version 1, v2c
        body.extend_from_slice(&tlv(0x04, community));
        body.extend_from_slice(pdu);
        tlv(0x30, &body)
    }

    /// A PDU of tag `tag` with request id 7, no error, and the given bindings.
    fn pdu(tag: u8, bindings: &[&[u8]]) -> Vec<u8> {
        let mut body = vec![
            0x02, 0x01, 0x07, // request-id 7
            0x02, 0x01, 0x00, // error-status 0
            0x02, 0x01, 0x00, // error-index 0
        ];
        body.extend_from_slice(&tlv(0x30, &bindings.concat())); // variable-bindings
        tlv(tag, &body)
    }

    /// One VarBind: OID contents and a complete value element.
    fn bind(oid: &[u8], value: &[u8]) -> Vec<u8> {
        let mut b = tlv(0x06, oid);
        b.extend_from_slice(value);
        tlv(0x30, &b)
    }

    fn octets(s: &[u8]) -> Vec<u8> {
        tlv(0x04, s)
    }

    const NULL: &[u8] = &[0x05, 0x00];

    #[test]
    fn reports_a_get_and_its_community_once() {
        let mut d = SnmpDissector::default();
        let mut sink = CollectingSink::default();
        let get = v2c(b"public", &pdu(0xa0, &[&bind(oid::SYS_NAME, NULL)]));
        d.feed(Direction::ToServer, &get, &mut sink);
        d.feed(Direction::ToServer, &get, &mut sink);
        assert_eq!(
            sink.matching("record"),
            vec![
                r#"record snmp pdu request {"version":"2c","community":"public","pdu_type":"get_request","pdu_code":0,"request_id":7,"error_status":0,"error_index":0,"var_count":1,"vars":["1.3.6.1.2.1.1.5.0"]}"#;
                2
            ]
        );
        assert_eq!(
            sink.matching("finding"),
            vec![
                r#"finding snmp cleartext_credential Server {"mechanism":"snmp_community","version":"2c","community":"pu****","default":true,"accepted":false}"#
            ]
        );
    }

    #[test]
    fn identifies_the_agent_from_its_response() {
        let mut d = SnmpDissector::default();
        let mut sink = CollectingSink::default();
        let descr =
            octets(b"Cisco IOS Software, C2960 Software (C2960-LANBASEK9-M), Version 15.0(2)SE11");
        let object_id = [
            0x06, 0x09, // OBJECT IDENTIFIER, 9 bytes
            0x2b, 0x06, 0x01, 0x04, 0x01, // 1.3.6.1.4.1
            0x09, // enterprise 9
            0x01, 0x89, 0x38, // .1.1208
        ];
        let response = pdu(
            0xa2,
            &[
                &bind(oid::SYS_DESCR, &descr),
                &bind(oid::SYS_NAME, &octets(b"R1.lab.local")),
                &bind(oid::SYS_OBJECT_ID, &object_id),
            ],
        );
        d.feed(Direction::ToClient, &v2c(b"s3cret", &response), &mut sink);
        assert_eq!(
            sink.matching("identity"),
            vec![
                "identity snmp Server hostname R1.lab.local",
                "identity snmp Server description Cisco IOS Software, C2960 Software (C2960-LANBASEK9-M), Version 15.0(2)SE11",
                "identity snmp Server vendor Cisco",
                "identity snmp Server os Cisco IOS",
                "identity snmp Server firmware 15.0(2)SE11",
                "identity snmp Server vendor Cisco",
            ]
        );
        let record = sink.matching("record snmp pdu response");
        assert!(
            record[0]
                .contains(r#""sys_name":"R1.lab.local","sys_object_id":"1.3.6.1.4.1.9.1.1208""#)
        );
        assert_eq!(
            sink.matching("finding"),
            vec![
                r#"finding snmp cleartext_credential Server {"mechanism":"snmp_community","version":"2c","community":"s3****","default":false,"accepted":true}"#
            ]
        );
    }

    #[test]
    fn names_only_enterprises_in_the_table() {
        let mut d = SnmpDissector::default();
        let mut sink = CollectingSink::default();
        let siemens = [0x06, 0x08, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xa1, 0x69, 0x01]; // .4329.1
        let unlisted = [0x06, 0x08, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xa1, 0x59, 0x01]; // .4313.1
        for object_id in [siemens, unlisted] {
            let response = pdu(0xa2, &[&bind(oid::SYS_OBJECT_ID, &object_id)]);
            d.feed(Direction::ToClient, &v2c(b"private", &response), &mut sink);
        }
        assert_eq!(
            sink.matching("identity"),
            vec!["identity snmp Server vendor Siemens"]
        );
        assert!(sink.matching("record")[1].contains(r#""sys_object_id":"1.3.6.1.4.1.4313.1""#));
    }

    #[test]
    fn reports_a_trap_credential_against_its_receiver() {
        let mut d = SnmpDissector::default();
        let mut sink = CollectingSink::default();
        let trap = pdu(
            0xa7,
            &[&bind(
                oid::SNMP_TRAP_OID,
                &[0x06, 0x09, 0x2b, 6, 1, 6, 3, 1, 1, 5, 3],
            )],
        );
        d.feed(Direction::ToServer, &v2c(b"ab", &trap), &mut sink);
        assert!(sink.matching("record")[0].contains(r#""trap_oid":"1.3.6.1.6.3.1.1.5.3""#));
        assert_eq!(
            sink.matching("finding"),
            vec![
                r#"finding snmp cleartext_credential Server {"mechanism":"snmp_community","version":"2c","community":"a*","default":false,"accepted":false}"#
            ]
        );
    }

    #[test]
    fn flags_v2_pdus_in_v1_messages_and_garbage() {
        let mut d = SnmpDissector::default();
        let mut sink = CollectingSink::default();
        let mut msg = v2c(b"public", &pdu(0xa5, &[]));
        msg[4] = 0x00; // version 0: SNMPv1 has no GetBulkRequest
        d.feed(Direction::ToServer, &msg, &mut sink);
        assert_eq!(sink.anomalies("pdu_not_in_version"), 1);
        assert!(sink.matching("record")[0].contains(r#""non_repeaters":0,"max_repetitions":0"#));
        d.feed(Direction::ToServer, b"GET / HTTP/1.0\r\n", &mut sink);
        assert_eq!(sink.anomalies("unexpected_tag"), 1);
    }

    #[test]
    fn masks_at_most_two_characters_and_never_half() {
        assert_eq!(mask("public"), "pu****");
        assert_eq!(mask("abc"), "a**");
        assert_eq!(mask("x"), "*");
        assert_eq!(mask(""), "");
        assert_eq!(mask("çé"), "ç*");
    }
}
