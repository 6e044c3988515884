//! MQTT streams to events: one record per control packet, a PUBLISH reported as soon as its
//! header is in (its payload is passed over, never buffered), cleartext passwords as
//! findings, and the roles of both sides.

use std::borrow::Cow;

use rampart_dissect::{
    Attribute, Confidence, Direction, Dissector, Event, EventSink, Feed, FieldList, Fields,
    Finding, FindingKind, Record, Subject, Value, identify, report, text,
};
use rampart_event::Activity;

use super::message::{
    Connect, FixedHeader, LEVEL_5, Packet, PacketType, connack_name, reason_name, suback_name,
};
use super::parse;

const PROTOCOL: &str = "mqtt";
/// Topic filters and codes listed per record.
const MAX_TOPICS: usize = 64;
/// The level assumed until a CONNECT says otherwise (a flow picked up mid-stream).
const DEFAULT_LEVEL: u8 = 4;

type Fields32<'a> = FieldList<'a, 32>;

/// Per-flow MQTT state.
pub struct MqttDissector {
    /// Protocol level from the CONNECT.
    level: Option<u8>,
    /// Whether each direction is at a packet boundary.
    synced: [bool; 2],
    /// Application message bytes of a PUBLISH still to pass over, per direction.
    skip: [usize; 2],
    /// Whether each side's role has been reported.
    role_reported: [bool; 2],
    topics: String,
    ends: Vec<usize>,
}

impl Default for MqttDissector {
    fn default() -> Self {
        MqttDissector {
            level: None,
            // The probe has vetted the stream's first bytes.
            synced: [true; 2],
            skip: [0; 2],
            role_reported: [false; 2],
            topics: String::new(),
            ends: Vec::new(),
        }
    }
}

/// Find the first packet boundary in `data` that the next header (or the end) confirms:
/// `Ok(offset)`, or `Err(offset)` of a candidate whose confirmation has not arrived.
fn find_sync(data: &[u8]) -> Result<usize, usize> {
    for start in 0..data.len() {
        let rest = &data[start..];
        let Some(total) = parse::plausible(rest) else {
            if parse::fixed_header(rest) == Ok(None) {
                return Err(start);
            }
            continue;
        };
        match rest.get(total..) {
            None => return Err(start),
            Some([]) => return Ok(start),
            Some(next) if parse::plausible(next).is_some() => return Ok(start),
            Some(next) if parse::fixed_header(next) == Ok(None) => return Err(start),
            Some(_) => {}
        }
    }
    Err(data.len())
}

impl Dissector for MqttDissector {
    fn feed(&mut self, dir: Direction, data: &[u8], sink: &mut dyn EventSink) -> Feed {
        let i = dir.index();
        let mut at = 0;
        loop {
            let rest = data.get(at..).unwrap_or_default();
            if self.skip[i] > 0 {
                let n = self.skip[i].min(rest.len());
                self.skip[i] -= n;
                at += n;
                if self.skip[i] > 0 {
                    break;
                }
                continue;
            }
            if rest.is_empty() {
                break;
            }
            if !self.synced[i] {
                match find_sync(rest) {
                    Ok(skip) => {
                        if skip > 0 {
                            let detail = format_args!("skipped {skip} bytes to the next packet");
                            report(sink, PROTOCOL, "resynchronised", Some(at + skip), &detail);
                        }
                        self.synced[i] = true;
                        at += skip;
                        continue;
                    }
                    Err(wait) => {
                        at += wait;
                        break;
                    }
                }
            }
            let h = match parse::fixed_header(rest) {
                Ok(Some(h)) => h,
                Ok(None) => break,
                Err(e) => {
                    report(sink, PROTOCOL, "bad_header", Some(at), &e);
                    self.synced[i] = false;
                    at += 1;
                    continue;
                }
            };
            let body = &rest[h.len..];
            if body.len() < h.remaining {
                if h.kind != PacketType::PUBLISH {
                    break;
                }
                // Report a PUBLISH once its topic is in; its message is not kept.
                let level = self.level.unwrap_or(DEFAULT_LEVEL);
                match parse::publish(h.flags, body, h.remaining, level) {
                    Ok(None) => break,
                    Ok(Some(p)) => self.emit(dir, &h, &Packet::Publish(p), sink),
                    Err(e) => report(sink, PROTOCOL, e.code(), Some(at + h.len), &e),
                }
                self.skip[i] = h.total() - rest.len();
                at = data.len();
                break;
            }
            self.packet(dir, &h, &body[..h.remaining], at, sink);
            at += h.total();
        }
        Feed::Consumed(at)
    }

    fn gap(&mut self, dir: Direction, len: u64, _sink: &mut dyn EventSink) {
        let i = dir.index();
        // A gap inside a PUBLISH message only shortens what is left of it.
        match usize::try_from(len) {
            Ok(n) if n < self.skip[i] => self.skip[i] -= n,
            _ => {
                self.skip[i] = 0;
                self.synced[i] = false;
            }
        }
    }
}

impl MqttDissector {
    fn packet(
        &mut self,
        dir: Direction,
        h: &FixedHeader,
        body: &[u8],
        at: usize,
        sink: &mut dyn EventSink,
    ) {
        if !h.kind.flags_valid(h.flags) {
            let detail = format_args!(
                "flags 0x{:x} of {} differ from what the spec fixes",
                h.flags,
                h.kind.name().unwrap_or("?")
            );
            report(sink, PROTOCOL, "bad_flags", Some(at), &detail);
        }
        if h.kind == PacketType::CONNECT {
            // The level is the CONNECT's own, whatever came before.
            self.level = match body {
                [hi, lo, rest @ ..] => rest
                    .get(usize::from(u16::from_be_bytes([*hi, *lo])))
                    .copied(),
                _ => None,
            };
        }
        let level = self.level.unwrap_or(DEFAULT_LEVEL);
        if h.kind == PacketType::AUTH && level != LEVEL_5 {
            let detail = format_args!("AUTH in a level {level} connection");
            report(sink, PROTOCOL, "packet_not_in_version", Some(at), &detail);
        }
        match parse::packet(h, body, level) {
            Ok((packet, trailing)) => {
                if trailing > 0 {
                    let detail = format_args!("{trailing} bytes after the last field");
                    report(
                        sink,
                        PROTOCOL,
                        "trailing_data",
                        Some(at + h.total()),
                        &detail,
                    );
                }
                self.emit(dir, h, &packet, sink);
            }
            Err(e) => report(sink, PROTOCOL, e.code(), Some(at + h.len + e.offset()), &e),
        }
    }

    /// Render the topic filters of a SUBSCRIBE or UNSUBSCRIBE into the reusable buffer;
    /// return their options and flags (wildcards, `$SYS`).
    fn read_filters(
        &mut self,
        filters: &[u8],
        options: bool,
        qos: &mut [u64; MAX_TOPICS],
        sink: &mut dyn EventSink,
    ) -> (usize, bool, bool) {
        self.topics.clear();
        self.ends.clear();
        let (mut wildcard, mut sys) = (false, false);
        for item in parse::filters(filters, options) {
            let (topic, opts) = match item {
                Ok(t) => t,
                Err(e) => {
                    report(sink, PROTOCOL, e.code(), None, &e);
                    break;
                }
            };
            wildcard |= topic.iter().any(|&b| b == b'#' || b == b'+');
            sys |= topic.starts_with(b"$SYS");
            if let Some(slot) = qos.get_mut(self.ends.len()) {
                *slot = u64::from(opts & 3);
                self.topics.push_str(&utf8(topic, sink));
                self.ends.push(self.topics.len());
            }
        }
        (self.ends.len(), wildcard, sys)
    }

    fn emit(
        &mut self,
        dir: Direction,
        h: &FixedHeader,
        packet: &Packet<'_>,
        sink: &mut dyn EventSink,
    ) {
        let mut qos_list = [0u64; MAX_TOPICS];
        let filters = match *packet {
            Packet::Subscribe { filters, .. } => {
                Some(self.read_filters(filters, true, &mut qos_list, sink))
            }
            Packet::Unsubscribe { filters, .. } => {
                Some(self.read_filters(filters, false, &mut qos_list, sink))
            }
            _ => None,
        };
        let level = self.level.unwrap_or(DEFAULT_LEVEL);
        let mut codes = [0u64; MAX_TOPICS];
        let mut code_names = [""; MAX_TOPICS];
        let topic = match packet {
            Packet::Publish(p) => Some(utf8(p.topic, sink)),
            _ => None,
        };
        let connect = match packet {
            Packet::Connect(c) => Some(ConnectText::of(c, sink)),
            _ => None,
        };

        let mut f = Fields32::default();
        f.push("msg_type", Value::U64(h.kind.0.into()));
        f.push("tls", Value::Bool(false));
        let mut activity = None;
        match *packet {
            Packet::Connect(c) => {
                let t = connect.as_ref();
                activity = Some(if c.username_flag() || c.password_flag() {
                    Activity::Authentication
                } else {
                    Activity::Session
                });
                if let Some(t) = t {
                    t.push(&c, &mut f);
                }
            }
            Packet::Connack {
                session_present,
                code,
            } => {
                f.push("session_present", Value::Bool(session_present));
                f.push("return_code", Value::U64(code.into()));
                let name = if level == LEVEL_5 {
                    reason_name(code)
                } else {
                    connack_name(code)
                };
                f.push("return_code_name", Value::Str(name.unwrap_or("unknown")));
            }
            Packet::Publish(p) => {
                f.push("dup", Value::Bool(h.flags & 0x08 != 0));
                f.push("qos", Value::U64(((h.flags >> 1) & 3).into()));
                f.push("retain", Value::Bool(h.flags & 1 != 0));
                if let Some(t) = &topic {
                    f.push("topic", Value::Str(t));
                }
                if let Some(id) = p.packet_id {
                    f.push("packet_id", Value::U64(id.into()));
                }
                f.push("payload_size", Value::U64(p.payload_len as u64));
            }
            Packet::Ack { packet_id, reason } => {
                f.push("packet_id", Value::U64(packet_id.into()));
                push_reason(reason, &mut f);
            }
            Packet::Subscribe { packet_id, .. } | Packet::Unsubscribe { packet_id, .. } => {
                f.push("packet_id", Value::U64(packet_id.into()));
                if let Some((n, wildcard, sys)) = filters {
                    f.push(
                        "topics",
                        Value::Texts {
                            text: &self.topics,
                            ends: &self.ends,
                        },
                    );
                    if matches!(packet, Packet::Subscribe { .. }) {
                        f.push("topic_qos", Value::U64s(&qos_list[..n]));
                    }
                    f.push("wildcard", Value::Bool(wildcard));
                    f.push("sys_topic", Value::Bool(sys));
                }
            }
            Packet::SubAck {
                packet_id,
                codes: raw,
            } => {
                f.push("packet_id", Value::U64(packet_id.into()));
                let n = raw.len().min(MAX_TOPICS);
                for (i, &c) in raw.iter().take(n).enumerate() {
                    codes[i] = c.into();
                    let name = if level == LEVEL_5 {
                        reason_name(c)
                    } else {
                        suback_name(c)
                    };
                    code_names[i] = name.unwrap_or("unknown");
                }
                f.push("return_codes", Value::U64s(&codes[..n]));
                f.push("return_code_names", Value::Strs(&code_names[..n]));
            }
            Packet::Reason(reason) => push_reason(reason, &mut f),
            Packet::Ping => {}
        }
        sink.emit(Event::Record(Record {
            protocol: PROTOCOL,
            kind: h.kind.name().unwrap_or("unknown"),
            direction: Some(dir),
            activity,
            fields: f.fields(),
        }));
        self.role(dir, sink);
        if let (Packet::Connect(c), Some(t)) = (packet, &connect) {
            t.credential(c, sink);
        }
    }

    /// Report, once per side, that a broker or a client speaks MQTT here.
    fn role(&mut self, dir: Direction, sink: &mut dyn EventSink) {
        let reported = &mut self.role_reported[dir.index()];
        if *reported {
            return;
        }
        *reported = true;
        let (subject, role) = match dir {
            Direction::ToServer => (Subject::Client, "mqtt client"),
            Direction::ToClient => (Subject::Server, "mqtt broker"),
        };
        identify(
            sink,
            PROTOCOL,
            subject,
            Attribute::Role,
            role,
            Confidence::STRONG,
        );
    }
}

/// Add a v5 reason code and its name.
fn push_reason<'a>(reason: Option<u8>, f: &mut Fields32<'a>) {
    if let Some(code) = reason {
        f.push("reason_code", Value::U64(code.into()));
        f.push("reason", Value::Str(reason_name(code).unwrap_or("unknown")));
    }
}

/// Decode a UTF-8 string field (spec §1.5.3), reporting one that is not.
fn utf8<'a>(bytes: &'a [u8], sink: &mut dyn EventSink) -> Cow<'a, str> {
    if std::str::from_utf8(bytes).is_err() {
        report(
            sink,
            PROTOCOL,
            "bad_utf8",
            None,
            &"a string field is not UTF-8",
        );
    }
    String::from_utf8_lossy(bytes)
}

/// The texts of a CONNECT.
struct ConnectText<'a> {
    protocol_name: Cow<'a, str>,
    client_id: Cow<'a, str>,
    username: Option<Cow<'a, str>>,
    will_topic: Option<Cow<'a, str>>,
}

impl<'a> ConnectText<'a> {
    fn of(c: &Connect<'a>, sink: &mut dyn EventSink) -> ConnectText<'a> {
        if !matches!(
            (c.protocol_name, c.level),
            (b"MQTT", 4 | 5) | (b"MQIsdp", 3)
        ) {
            let detail = format_args!(
                "protocol name {:?} with level {}",
                text(c.protocol_name),
                c.level
            );
            report(sink, PROTOCOL, "unknown_protocol_version", Some(2), &detail);
        }
        if c.flags & 1 != 0 {
            report(
                sink,
                PROTOCOL,
                "reserved_connect_flag",
                None,
                &"connect flag bit 0 is set",
            );
        }
        if c.password_flag() && !c.username_flag() && c.level == 4 {
            let detail = "password flag without user name flag (MQTT 3.1.1 §3.1.2.9)";
            report(sink, PROTOCOL, "password_without_username", None, &detail);
        }
        ConnectText {
            protocol_name: utf8(c.protocol_name, sink),
            client_id: utf8(c.client_id, sink),
            username: c.username.map(|u| utf8(u, sink)),
            will_topic: c.will_topic.map(|t| utf8(t, sink)),
        }
    }

    fn push<'f>(&'f self, c: &Connect<'_>, f: &mut Fields32<'f>) {
        f.push("protocol_name", Value::Str(&self.protocol_name));
        f.push("protocol_version", Value::U64(c.level.into()));
        f.push("connect_flags", Value::U64(c.flags.into()));
        f.push("clean_session", Value::Bool(c.flags & 0x02 != 0));
        f.push("keep_alive", Value::U64(c.keep_alive.into()));
        f.push("client_id", Value::Str(&self.client_id));
        f.push("username_flag", Value::Bool(c.username_flag()));
        if let Some(u) = &self.username {
            f.push("username", Value::Str(u));
        }
        f.push("password_flag", Value::Bool(c.password_flag()));
        f.push("will_flag", Value::Bool(c.will_flag()));
        if c.will_flag() {
            f.push("will_qos", Value::U64(((c.flags >> 3) & 3).into()));
            f.push("will_retain", Value::Bool(c.flags & 0x20 != 0));
        }
        if let Some(t) = &self.will_topic {
            f.push("will_topic", Value::Str(t));
        }
        if let Some(n) = c.will_payload_len {
            f.push("will_payload_size", Value::U64(n as u64));
        }
    }

    /// Report a password sent in cleartext against the broker that takes it: the user name,
    /// never the password.
    fn credential(&self, c: &Connect<'_>, sink: &mut dyn EventSink) {
        if !c.password {
            return;
        }
        let fields = [
            ("mechanism", Value::Str("mqtt_connect")),
            ("user", Value::Str(self.username.as_deref().unwrap_or(""))),
            ("client_id", Value::Str(&self.client_id)),
            ("protocol_version", Value::U64(c.level.into())),
        ];
        sink.emit(Event::Finding(Finding {
            protocol: PROTOCOL,
            kind: FindingKind::CleartextCredential,
            subject: Subject::Server,
            fields: Fields(&fields),
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_dissect::{Session, Transport};
    use rampart_event::CollectingSink;

    fn session() -> Session {
        Session::new(&super::super::REGISTRATION, Transport::Tcp)
    }

    /// CONNECT of MQTT 3.1.1 (spec §3.1) as client "plc7", user "ops", password "s3cret".
    const CONNECT: &[u8] = &[
        0x10, 0x1d, // CONNECT, remaining length 29
        0x00, 0x04, b'M', b'Q', b'T', b'T', // protocol name
        0x04, // level 4 (3.1.1)
        0xc2, // user name, password, clean session
        0x00, 0x3c, // keep alive 60
        0x00, 0x04, b'p', b'l', b'c', b'7', // client identifier
        0x00, 0x03, b'o', b'p', b's', // user name
        0x00, 0x06, b's', b'3', b'c', b'r', b'e', b't', // password
    ];

    #[test]
    fn reports_a_cleartext_password_by_its_user_only() {
        let mut sink = CollectingSink::default();
        let mut s = session();
        s.deliver(Direction::ToServer, CONNECT, &mut sink);
        // CONNACK: session not present, return code 0 (spec §3.2).
        s.deliver(Direction::ToClient, &[0x20, 0x02, 0x00, 0x00], &mut sink);
        assert_eq!(
            sink.matching("record"),
            vec![
                r#"record mqtt connect request [authentication] {"msg_type":1,"tls":false,"protocol_name":"MQTT","protocol_version":4,"connect_flags":194,"clean_session":true,"keep_alive":60,"client_id":"plc7","username_flag":true,"username":"ops","password_flag":true,"will_flag":false}"#,
                r#"record mqtt connack response {"msg_type":2,"tls":false,"session_present":false,"return_code":0,"return_code_name":"accepted"}"#,
            ]
        );
        assert_eq!(
            sink.matching("finding"),
            vec![
                r#"finding mqtt cleartext_credential Server {"mechanism":"mqtt_connect","user":"ops","client_id":"plc7","protocol_version":4}"#
            ]
        );
        assert!(!sink.lines.iter().any(|l| l.contains("s3cret")));
        assert_eq!(
            sink.matching("identity"),
            vec![
                "identity mqtt Client role mqtt client",
                "identity mqtt Server role mqtt broker"
            ]
        );
    }

    #[test]
    fn reports_a_large_publish_without_buffering_its_payload() {
        let mut sink = CollectingSink::default();
        let mut s = session();
        // PUBLISH QoS 0, topic "cam/1", 200 000 bytes of payload: remaining length 200 007 is
        // 0xc7 0x9a 0x0c (spec §2.2.3).
        let mut head = vec![0x30, 0xc7, 0x9a, 0x0c, 0x00, 0x05];
        head.extend_from_slice(b"cam/1");
        s.deliver(Direction::ToServer, &head, &mut sink);
        for _ in 0..200 {
            s.deliver(Direction::ToServer, &[0xaa; 1000], &mut sink);
        }
        s.deliver(Direction::ToServer, &[0xe0, 0x00], &mut sink); // DISCONNECT
        assert_eq!(
            sink.matching("record"),
            vec![
                r#"record mqtt publish request {"msg_type":3,"tls":false,"dup":false,"qos":0,"retain":false,"topic":"cam/1","payload_size":200000}"#,
                r#"record mqtt disconnect request {"msg_type":14,"tls":false}"#,
            ]
        );
        assert!(sink.matching("anomaly").is_empty(), "{:?}", sink.lines);
        assert!(s.buffered() < 4096);
    }

    #[test]
    fn flags_wildcard_and_sys_subscriptions() {
        let mut sink = CollectingSink::default();
        let mut d = MqttDissector::default();
        let subscribe = [
            0x82, 0x14, // SUBSCRIBE, flags 0010, remaining length 20
            0x00, 0x07, // packet id 7
            0x00, 0x07, b'p', b'l', b'a', b'n', b't', b'/', b'#', 0x01, // "plant/#" QoS 1
            0x00, 0x05, b'$', b'S', b'Y', b'S', b'/', 0x00, // "$SYS/" QoS 0
        ];
        assert_eq!(
            d.feed(Direction::ToServer, &subscribe, &mut sink),
            Feed::Consumed(22)
        );
        assert_eq!(
            sink.matching("record"),
            vec![
                r#"record mqtt subscribe request {"msg_type":8,"tls":false,"packet_id":7,"topics":["plant/#","$SYS/"],"topic_qos":[1,0],"wildcard":true,"sys_topic":true}"#
            ]
        );
    }

    #[test]
    fn names_mqtt5_reason_codes_and_skips_properties() {
        let mut sink = CollectingSink::default();
        let mut d = MqttDissector::default();
        let connect = [
            0x10, 0x0d, // CONNECT, remaining length 13
            0x00, 0x04, b'M', b'Q', b'T', b'T', 0x05, // MQTT 5
            0x02, 0x00, 0x0a, // clean start, keep alive 10
            0x00, // no properties
            0x00, 0x00, // empty client id
        ];
        d.feed(Direction::ToServer, &connect, &mut sink);
        let connack = [
            0x20, 0x06, // CONNACK, remaining length 6
            0x00, 0x87, // not authorized
            0x03, 0x21, 0x00, 0x0a, // properties: receive maximum 10
        ];
        d.feed(Direction::ToClient, &connack, &mut sink);
        d.feed(Direction::ToClient, &[0xe0, 0x01, 0x8b], &mut sink); // DISCONNECT, shutting down
        let records = sink.matching("record");
        assert!(records[1].ends_with(r#""return_code":135,"return_code_name":"not_authorized"}"#));
        assert!(records[2].ends_with(r#""reason_code":139,"reason":"server_shutting_down"}"#));
        assert!(sink.matching("anomaly").is_empty());
        assert!(
            sink.matching("finding").is_empty(),
            "no password, no credential"
        );
    }

    #[test]
    fn resynchronises_after_a_gap() {
        let mut sink = CollectingSink::default();
        let mut s = session();
        s.deliver(Direction::ToServer, CONNECT, &mut sink);
        s.gap(Direction::ToServer, 100, &mut sink);
        // The tail of a lost packet (no valid header in it), then two PINGREQs (spec §3.12).
        s.deliver(
            Direction::ToServer,
            &[0x00, 0x17, 0x00, 0xc0, 0x00, 0xc0, 0x00],
            &mut sink,
        );
        assert_eq!(sink.anomalies("resynchronised"), 1);
        assert_eq!(sink.matching("record mqtt pingreq").len(), 2);
    }

    #[test]
    fn flags_bad_fixed_header_flags_and_keeps_the_record() {
        let mut sink = CollectingSink::default();
        let mut d = MqttDissector::default();
        // SUBSCRIBE with flags 0000 instead of 0010, no filters.
        d.feed(Direction::ToServer, &[0x80, 0x02, 0x00, 0x01], &mut sink);
        assert_eq!(sink.anomalies("bad_flags"), 1);
        assert_eq!(sink.matching("record mqtt subscribe").len(), 1);
    }
}
