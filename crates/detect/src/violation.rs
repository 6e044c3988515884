//! Protocol violation: industrial messages that break their protocol (malformed PDUs, length
//! mismatches, reserved or unknown function codes, unknown objects) and servers refusing
//! requests (exception responses).
//!
//! The dissectors already say what is wrong and where, as anomaly events with a stable code;
//! this engine sorts every code they can emit into a kind of violation with [`CODES`] (a test
//! reads the dissectors' sources and fails when a code is missing, so a new one cannot slip
//! by as silence), and turns exception responses into alerts. Codes that describe the
//! sensor's own view rather than the devices' behaviour (capture gaps, resynchronisation,
//! the dissectors' state limits) are [`Class::Sensor`] and never alert. Repeats between the
//! same devices with the same protocol and code are one alert with a count.
//!
//! Only industrial protocols are watched by default: a malformed DNS answer is an IT
//! matter, and the anomaly counters in `summary.json` keep it anyway.

use rampart_event::{Anomaly, Event, Origin, Record};
use serde::Deserialize;

use crate::alert::{AlertDraft, AlertKey, EngineKind, Rule, Severity};
use crate::facts::{self, Parties, Refusal};
use crate::protocol_policy::side;
use crate::{Context, Detector, Interest, Observation};

/// The protocol violation engine's settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ViolationConfig {
    /// Protocols whose anomalies and exceptions are alerts, as records name them.
    pub protocols: Vec<String>,
    /// Alert on exception responses.
    pub exceptions: bool,
}

/// The industrial protocols Rampart dissects.
pub const INDUSTRIAL_PROTOCOLS: &[&str] = &[
    "modbus",
    "dnp3",
    "s7comm",
    "s7commplus",
    "enip",
    "cip_io",
    "bacnet",
    "iec104",
    "mms",
    "goose",
    "opcua",
    "mqtt",
    "profinet_dcp",
    "fins",
    "slmp",
    "srtp",
];

impl Default for ViolationConfig {
    fn default() -> Self {
        ViolationConfig {
            protocols: INDUSTRIAL_PROTOCOLS.iter().map(|p| p.to_string()).collect(),
            exceptions: true,
        }
    }
}

/// A message that does not parse as its protocol says it must.
pub static MALFORMED: Rule = Rule {
    id: "protocol_violation.malformed",
    title: "Malformed industrial protocol message",
    engine: EngineKind::ProtocolViolation,
    category: "protocol_violation",
    severity: Severity::Major,
    techniques: &["T0814", "T0866"],
    remediation: "Malformed messages crash or confuse embedded stacks and are how exploits \
        and fuzzers look on the wire. Find the sending host and the software it runs; a \
        faulty device needs its vendor, a host that should not speak the protocol needs \
        isolating. The PCAP shows the offending bytes at the offset in the evidence.",
};

/// A reserved, unassigned or unsupported function code, service or command.
pub static ILLEGAL_FUNCTION: Rule = Rule {
    id: "protocol_violation.illegal_function",
    title: "Illegal or reserved function code",
    engine: EngineKind::ProtocolViolation,
    category: "protocol_violation",
    severity: Severity::Major,
    techniques: &["T0855", "T0888"],
    remediation: "Legitimate masters use the functions their protocol defines. A reserved or \
        unknown function is a probe for undocumented features or a fuzzer: identify the \
        source and block it if it is not a known vendor tool.",
};

/// A server refused a request (an exception response).
pub static EXCEPTION: Rule = Rule {
    id: "protocol_violation.exception",
    title: "Exception response",
    engine: EngineKind::ProtocolViolation,
    category: "protocol_violation",
    severity: Severity::Minor,
    techniques: &["T0888"],
    remediation: "A server answering with exceptions was asked for something it does not do \
        or have: a misconfigured master, or a scan for registers, points and functions. \
        Check the requester's configuration, or block it if it is not a known master.",
};

/// A request named a point, object or type the outstation does not know.
pub static UNKNOWN_OBJECT: Rule = Rule {
    id: "protocol_violation.unknown_object",
    title: "Unknown object sent to an outstation",
    engine: EngineKind::ProtocolViolation,
    category: "protocol_violation",
    severity: Severity::Major,
    techniques: &["T0861", "T0888"],
    remediation: "Requests for objects, types or addresses an outstation does not have come \
        from a master configured for another device, or from someone enumerating points. \
        Check the master's configuration against the outstation's point list.",
};

/// Every rule of the engine.
pub static RULES: &[&Rule] = &[&MALFORMED, &ILLEGAL_FUNCTION, &EXCEPTION, &UNKNOWN_OBJECT];

/// What an anomaly code says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// The message breaks its protocol's encoding: lengths, headers, checksums, values.
    Malformed,
    /// A function, service, command or PDU type that is reserved, unknown or not allowed.
    IllegalFunction,
    /// An object, type, cause or item the protocol does not define.
    UnknownObject,
    /// An exception response sent the wrong way (by a master).
    Exception,
    /// The sensor's own view (a capture gap, resynchronising, a dissector's state limit):
    /// not the devices' doing, never an alert.
    Sensor,
}

impl Class {
    /// The rule a violation of this class raises.
    pub fn rule(self) -> Option<&'static Rule> {
        match self {
            Class::Malformed => Some(&MALFORMED),
            Class::IllegalFunction => Some(&ILLEGAL_FUNCTION),
            Class::UnknownObject => Some(&UNKNOWN_OBJECT),
            Class::Exception => Some(&EXCEPTION),
            Class::Sensor => None,
        }
    }
}

/// Every anomaly code the industrial dissectors emit, and what it is.
pub static CODES: &[(&str, Class)] = &[
    ("ack_ahead", Class::Sensor),
    ("address_overflow", Class::Malformed),
    ("bad_block_crc", Class::Malformed),
    ("bad_byte_count", Class::Malformed),
    ("bad_chunk_type", Class::Malformed),
    ("bad_fifo_count", Class::Malformed),
    ("bad_flags", Class::Malformed),
    ("bad_header", Class::Malformed),
    ("bad_header_crc", Class::Malformed),
    ("bad_item", Class::Malformed),
    ("bad_length", Class::Malformed),
    ("bad_length_indicator", Class::Malformed),
    ("bad_name_of_station", Class::Malformed),
    ("bad_node_id", Class::Malformed),
    ("bad_npdu_version", Class::Malformed),
    ("bad_object_count", Class::Malformed),
    ("bad_parameter", Class::Malformed),
    ("bad_path_segment", Class::Malformed),
    ("bad_protocol_id", Class::Malformed),
    ("bad_quantity", Class::Malformed),
    ("bad_range", Class::Malformed),
    ("bad_reference_type", Class::UnknownObject),
    ("bad_service_offset", Class::Malformed),
    ("bad_source_address", Class::Malformed),
    ("bad_tag", Class::Malformed),
    ("bad_tcp_header", Class::Malformed),
    ("bad_tpkt_length", Class::Malformed),
    ("bad_tpkt_version", Class::Malformed),
    ("bad_u_function", Class::IllegalFunction),
    ("bad_utf8", Class::Malformed),
    ("bad_variable_integer", Class::Malformed),
    ("bad_variant", Class::Malformed),
    ("ber_bad_length", Class::Malformed),
    ("ber_bad_tag", Class::Malformed),
    ("ber_truncated", Class::Malformed),
    ("ber_unexpected_tag", Class::Malformed),
    ("bvlc_length_mismatch", Class::Malformed),
    ("data_too_deep", Class::Malformed),
    ("dir_mismatch", Class::Malformed),
    ("duplicate_invoke_id", Class::Malformed),
    ("duplicate_pdu_reference", Class::Malformed),
    ("duplicate_sequence", Class::Malformed),
    ("duplicate_sequence_number", Class::Malformed),
    ("echo_mismatch", Class::Malformed),
    ("entries_mismatch", Class::Malformed),
    ("exception_from_client", Class::Exception),
    ("expecting_reply_missing", Class::Malformed),
    ("fields_dropped", Class::Sensor),
    ("fragment_too_large", Class::Malformed),
    ("function_mismatch", Class::Malformed),
    ("illegal_coil_value", Class::Malformed),
    ("length_mismatch", Class::Malformed),
    ("lost_sync", Class::Sensor),
    ("message_too_large", Class::Sensor),
    ("missing_field", Class::Malformed),
    ("missing_item", Class::Malformed),
    ("missing_transport_header", Class::Malformed),
    ("multi_packet_message", Class::Sensor),
    ("nesting_too_deep", Class::Malformed),
    ("no_objects", Class::Malformed),
    ("nonzero_options", Class::Malformed),
    ("oversized_adu", Class::Malformed),
    ("packet_not_in_version", Class::IllegalFunction),
    ("password_without_username", Class::Malformed),
    ("reassembly_overflow", Class::Sensor),
    ("reply_service_mismatch", Class::Malformed),
    ("reserved_bits", Class::Malformed),
    ("reserved_connect_flag", Class::Malformed),
    ("reserved_function_code", Class::IllegalFunction),
    ("reserved_npdu_bits", Class::Malformed),
    ("reserved_pdu_type", Class::IllegalFunction),
    ("reserved_qualifier", Class::Malformed),
    ("resynchronised", Class::Sensor),
    ("sequence_gap", Class::Sensor),
    ("service_mismatch", Class::Malformed),
    ("session_truncated", Class::Malformed),
    ("short_tpdu_header", Class::Malformed),
    ("szl_truncated", Class::Malformed),
    ("too_many_connections", Class::Sensor),
    ("too_many_reassemblies", Class::Sensor),
    ("too_many_services", Class::Sensor),
    ("too_many_transactions", Class::Sensor),
    ("trailing_bytes", Class::Malformed),
    ("trailing_data", Class::Malformed),
    ("transport_incomplete", Class::Sensor),
    ("transport_no_first", Class::Sensor),
    ("transport_sequence", Class::Sensor),
    ("truncated", Class::Malformed),
    ("truncated_application_header", Class::Malformed),
    ("truncated_asdu", Class::Malformed),
    ("truncated_frame", Class::Malformed),
    ("truncated_header", Class::Malformed),
    ("truncated_message", Class::Malformed),
    ("truncated_object_data", Class::Malformed),
    ("truncated_object_header", Class::Malformed),
    ("truncated_packet", Class::Malformed),
    ("truncated_pdu", Class::Malformed),
    ("truncated_umas", Class::Malformed),
    ("unbalanced_tags", Class::Malformed),
    ("unexpected_direction", Class::Malformed),
    ("unexpected_parameter", Class::Malformed),
    ("unexpected_reply", Class::Malformed),
    ("unexpected_tpdu", Class::Malformed),
    ("unexpected_value_type", Class::Malformed),
    ("unknown_block", Class::UnknownObject),
    ("unknown_bvlc_function", Class::IllegalFunction),
    ("unknown_cause", Class::UnknownObject),
    ("unknown_command", Class::IllegalFunction),
    ("unknown_function", Class::IllegalFunction),
    ("unknown_function_code", Class::IllegalFunction),
    ("unknown_item", Class::UnknownObject),
    ("unknown_link_function", Class::IllegalFunction),
    ("unknown_object_size", Class::UnknownObject),
    ("unknown_opcode", Class::IllegalFunction),
    ("unknown_presentation_payload", Class::Malformed),
    ("unknown_protocol_version", Class::Malformed),
    ("unknown_rosctr", Class::IllegalFunction),
    ("unknown_service", Class::IllegalFunction),
    ("unknown_service_type", Class::IllegalFunction),
    ("unknown_type_id", Class::UnknownObject),
    ("unknown_umas_function", Class::IllegalFunction),
    ("unsupported_bvlc_type", Class::IllegalFunction),
    ("user_defined_function_code", Class::IllegalFunction),
];

/// What anomaly code `code` is; a code the table does not know (from a plugin) is malformed.
/// The table is sorted, so finding a code takes a few comparisons rather than a hundred.
pub fn class(code: &str) -> Class {
    CODES
        .binary_search_by(|(c, _)| (*c).cmp(code))
        .map_or(Class::Malformed, |i| CODES[i].1)
}

/// The protocol violation engine.
#[derive(Debug)]
pub struct Violation {
    config: ViolationConfig,
}

impl Violation {
    /// The engine with these settings.
    pub fn new(config: &ViolationConfig) -> Violation {
        Violation {
            config: config.clone(),
        }
    }

    fn watched(&self, protocol: &str) -> bool {
        self.config.protocols.iter().any(|p| p == protocol)
    }

    /// Raise `rule` between the parties for (`protocol`, `name`): a repeat of an open alert
    /// only counts, without a draft; anything else is described (by `describe`). The alert
    /// book is what remembers: a memory of its own keyed by addresses alone once left
    /// alerts between the same addresses but other MACs without a description.
    fn raise(
        &mut self,
        rule: &'static Rule,
        p: &Parties,
        (protocol, name): (&str, &str),
        cx: &mut Context<'_>,
        describe: impl FnOnce(AlertDraft) -> AlertDraft,
    ) {
        let key = AlertKey {
            rule,
            source: p.sender,
            destination: p.receiver,
            discriminator: &[protocol, "/", name],
        };
        if cx.repeat(&key, rule.severity, p.flow) {
            return;
        }
        let draft = describe(key.draft(cx.time, String::new()));
        cx.raise(draft.protocol(protocol).flow(p.flow));
    }

    fn anomaly(&mut self, origin: &Origin, a: &Anomaly<'_>, cx: &mut Context<'_>) {
        if !self.watched(a.protocol) {
            return;
        }
        let Some(rule) = class(a.code).rule() else {
            return;
        };
        let p = facts::parties(origin, None);
        self.raise(rule, &p, (a.protocol, a.code), cx, |mut d| {
            d.description = format!(
                "{} message between {} and {}: {} ({})",
                a.protocol,
                side(p.sender),
                side(p.receiver),
                a.detail,
                a.code
            );
            let d = d
                .evidence("code", a.code)
                .evidence("reason", a.detail.to_string());
            match a.offset {
                Some(offset) => d.evidence("offset", offset),
                None => d,
            }
        });
    }

    fn record(&mut self, origin: &Origin, r: &Record<'_>, cx: &mut Context<'_>) {
        let Some(e) = facts::exception_noted(r, cx) else {
            return;
        };
        if !self.config.exceptions || !self.watched(r.protocol) {
            return;
        }
        let rule = match e.refusal {
            Refusal::Exception => &EXCEPTION,
            Refusal::UnknownObject => &UNKNOWN_OBJECT,
        };
        // The refusal comes from the server: it is the alert's source.
        let p = facts::parties(origin, Some(rampart_event::Direction::ToClient));
        self.raise(rule, &p, (r.protocol, e.name), cx, |mut d| {
            let code = e.code.map_or(String::new(), |c| format!(" (code {c})"));
            d.description = format!(
                "{} answered {}'s {} {} with {}{code}",
                side(p.sender),
                side(p.receiver),
                r.protocol,
                facts::operation(r),
                e.name
            );
            d.evidence = facts::evidence(&r.fields);
            d.evidence("exception", e.name)
        });
    }
}

impl Detector for Violation {
    fn interest(&self) -> Interest {
        Interest::RECORDS.and(Interest::ANOMALIES)
    }

    fn observe(&mut self, observation: &Observation<'_>, cx: &mut Context<'_>) {
        match observation {
            Observation::Event {
                origin,
                event: Event::Anomaly(a),
            } => self.anomaly(origin, a, cx),
            Observation::Event {
                origin,
                event: Event::Record(r),
            } => self.record(origin, r, cx),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::net::IpAddr;
    use std::path::Path;

    use rampart_event::{Fields, Value};

    use super::*;
    use crate::facts::testing::{Harness, flow};

    /// The source folders of the dissectors of [`INDUSTRIAL_PROTOCOLS`]: COTP carries S7comm
    /// and MMS, and EtherNet/IP holds CIP I/O.
    fn dissector_dirs() -> impl Iterator<Item = &'static str> {
        INDUSTRIAL_PROTOCOLS
            .iter()
            .copied()
            .filter(|p| *p != "cip_io")
            .chain(["cotp"])
    }

    /// The text between the bracket opening at `open` and its partner.
    fn enclosed(src: &str, open: usize) -> &str {
        let (o, c) = match src.as_bytes()[open] {
            b'(' => (b'(', b')'),
            _ => (b'{', b'}'),
        };
        let mut depth = 0;
        let mut in_str = false;
        for (i, b) in src.bytes().enumerate().skip(open) {
            match b {
                b'"' => in_str = !in_str,
                _ if in_str => {}
                _ if b == o => depth += 1,
                _ if b == c => {
                    depth -= 1;
                    if depth == 0 {
                        return &src[open + 1..i];
                    }
                }
                _ => {}
            }
        }
        &src[open + 1..]
    }

    /// The arguments of a call, split at top-level commas.
    fn arguments(args: &str) -> Vec<&str> {
        let (mut out, mut depth, mut start) = (Vec::new(), 0, 0);
        for (i, b) in args.bytes().enumerate() {
            match b {
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => depth -= 1,
                b',' if depth == 0 => {
                    out.push(args[start..i].trim());
                    start = i + 1;
                }
                _ => {}
            }
        }
        out.push(args[start..].trim());
        out
    }

    /// The snake_case string literals in `text`, with what precedes each.
    fn literals(text: &str) -> Vec<(&str, &str)> {
        let mut out = Vec::new();
        let mut rest = text;
        let mut consumed = 0;
        while let Some(start) = rest.find('"') {
            let Some(len) = rest[start + 1..].find('"') else {
                break;
            };
            let lit = &rest[start + 1..start + 1 + len];
            let before = &text[..consumed + start];
            if !lit.is_empty()
                && lit
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            {
                out.push((lit, before));
            }
            consumed += start + len + 2;
            rest = &rest[start + len + 2..];
        }
        out
    }

    /// The codes one source file passes to `report`: literal arguments, the strings of
    /// `fn code(&self)` bodies, and for a code held in a variable the match arms and tuples
    /// of the lines just before the call.
    fn codes_in(src: &str, out: &mut BTreeSet<String>) {
        let src = src.split("#[cfg(test)]").next().unwrap_or_default();
        for (at, _) in src.match_indices("report(") {
            let before = src[..at].chars().last().unwrap_or(' ');
            if before.is_alphanumeric() || before == '_' || src[..at].ends_with("fn ") {
                continue;
            }
            let args = arguments(enclosed(src, at + "report".len()));
            let Some(code) = args.get(2) else { continue };
            if let Some(lit) = code.strip_prefix('"').and_then(|c| c.strip_suffix('"')) {
                out.insert(lit.to_string());
            } else if !code.ends_with("code()") {
                let start = src[..at].rmatch_indices('\n').nth(15).map_or(0, |(i, _)| i);
                for (lit, before) in literals(&src[start..at]) {
                    let before = before.trim_end();
                    if before.ends_with("=>") || before.ends_with('(') {
                        out.insert(lit.to_string());
                    }
                }
            }
        }
        for (at, _) in src.match_indices("fn code(&self)") {
            if let Some(open) = src[at..].find('{') {
                for (lit, _) in literals(enclosed(src, at + open)) {
                    out.insert(lit.to_string());
                }
            }
        }
    }

    fn emitted_codes() -> BTreeSet<String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../protocols/src");
        let mut files: Vec<_> = dissector_dirs().map(|d| root.join(d)).collect();
        files.push(root.clone());
        let mut codes = BTreeSet::new();
        for dir in files {
            for entry in std::fs::read_dir(&dir)
                .expect("dissector sources")
                .flatten()
            {
                let path = entry.path();
                if path.extension().is_some_and(|e| e == "rs") {
                    let src = std::fs::read_to_string(&path).expect("readable source");
                    codes_in(&src, &mut codes);
                }
            }
        }
        codes
    }

    #[test]
    fn the_code_table_covers_exactly_what_the_dissectors_emit() {
        let emitted = emitted_codes();
        assert!(
            emitted.len() > 100,
            "the scan found the dissectors: {}",
            emitted.len()
        );
        let table: BTreeSet<String> = CODES.iter().map(|(c, _)| c.to_string()).collect();
        let missing: Vec<_> = emitted.difference(&table).collect();
        assert!(
            missing.is_empty(),
            "codes the table does not classify: {missing:?}"
        );
        let dead: Vec<_> = table.difference(&emitted).collect();
        assert!(dead.is_empty(), "codes no dissector emits: {dead:?}");
        assert_eq!(table.len(), CODES.len(), "each code once");
        assert!(
            CODES.windows(2).all(|w| w[0].0 < w[1].0),
            "sorted, for the binary search of class()"
        );
    }

    #[test]
    fn the_scan_reads_literal_variable_and_method_codes() {
        let src = r#"
            fn a() { report(sink, PROTOCOL, "bad_length", Some(1), &d); }
            fn b() {
                let code = match c {
                    X => "reserved_thing",
                };
                report(
                    sink,
                    PROTOCOL,
                    code,
                    None,
                    &format_args!("has \"quotes\" and {}", "not_a_code"),
                );
            }
            impl E { fn code(&self) -> &'static str { match self { E::A => "truncated" } } }
            fn reports_things() {}
        "#;
        let mut codes = BTreeSet::new();
        codes_in(src, &mut codes);
        let codes: Vec<_> = codes.into_iter().collect();
        assert_eq!(codes, ["bad_length", "reserved_thing", "truncated"]);
    }

    fn anomaly<'a>(code: &'a str, detail: &'a dyn std::fmt::Display) -> Event<'a> {
        Event::Anomaly(Anomaly {
            protocol: "modbus",
            code,
            offset: Some(7),
            detail,
        })
    }

    #[test]
    fn a_flood_of_one_anomaly_is_one_alert_with_a_count_and_the_reason() {
        let origin = flow(3, [10, 0, 0, 9], [10, 0, 0, 2], 502);
        let detail = "length 300 exceeds 12 remaining bytes";
        let event = anomaly("bad_length", &detail);
        let mut e = Violation::new(&ViolationConfig::default());
        let mut h = Harness::new();
        for i in 0..5 {
            h.event(&mut e, f64::from(i), &origin, &event);
        }
        let mut book = crate::AlertBook::default();
        for d in h.drafts.drain(..) {
            book.raise(d);
        }
        let alerts = book.alerts();
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].count, 5);
        assert_eq!(alerts[0].rule, "protocol_violation.malformed");
        assert_eq!(alerts[0].evidence["reason"], detail);
        assert_eq!(alerts[0].evidence["offset"], 7);
        assert_eq!(
            alerts[0].description,
            "modbus message between 10.0.0.9 and 10.0.0.2: length 300 exceeds 12 remaining bytes (bad_length)"
        );
    }

    #[test]
    fn the_same_addresses_behind_other_macs_are_described_too() {
        let detail = "length 300 exceeds 12 remaining bytes";
        let event = anomaly("bad_length", &detail);
        let mut e = Violation::new(&ViolationConfig::default());
        let mut h = Harness::new();
        for (i, mac) in [[0, 0x1b, 0x1b, 0, 0, 1], [0, 0x1b, 0x1b, 0, 0, 2]]
            .into_iter()
            .enumerate()
        {
            let mut origin = flow(3, [10, 0, 0, 9], [10, 0, 0, 2], 502);
            if let Origin::Flow(f) = &mut origin {
                f.client_mac = Some(rampart_event::Mac(mac));
            }
            h.event(&mut e, i as f64, &origin, &event);
        }
        assert_eq!(h.drafts.len(), 2);
        for d in &h.drafts {
            assert!(d.description.contains("bad_length"), "{}", d.description);
            assert_eq!(d.evidence["reason"], detail);
        }
    }

    #[test]
    fn sensor_side_codes_and_it_protocols_never_alert() {
        let origin = flow(3, [10, 0, 0, 9], [10, 0, 0, 2], 502);
        let mut e = Violation::new(&ViolationConfig::default());
        let mut h = Harness::new();
        let gap = anomaly("resynchronised", &"skipped 10 bytes");
        h.event(&mut e, 1.0, &origin, &gap);
        let dns = Event::Anomaly(Anomaly {
            protocol: "dns",
            code: "bad_length",
            offset: None,
            detail: &"x",
        });
        h.event(&mut e, 2.0, &origin, &dns);
        assert!(h.drafts.is_empty());
        let reserved = anomaly("reserved_function_code", &"function 0x09 is reserved");
        h.event(&mut e, 3.0, &origin, &reserved);
        assert_eq!(h.rules(), ["protocol_violation.illegal_function"]);
    }

    #[test]
    fn exceptions_come_from_the_server_and_unknown_iec104_points_are_unknown_objects() {
        let origin = flow(4, [10, 0, 0, 1], [10, 0, 0, 2], 502);
        let fields = [
            ("function", Value::Str("read_holding_registers")),
            ("exception_code", Value::U64(2)),
            ("exception", Value::Str("illegal_data_address")),
        ];
        let event = Event::Record(Record {
            protocol: "modbus",
            kind: "read_holding_registers",
            direction: None,
            activity: None,
            fields: Fields(&fields),
        });
        let mut e = Violation::new(&ViolationConfig::default());
        let mut h = Harness::new();
        h.event(&mut e, 1.0, &origin, &event);
        let d = &h.drafts[0];
        assert_eq!(d.rule.id, "protocol_violation.exception");
        assert_eq!(
            d.source.and_then(|s| s.ip),
            Some(IpAddr::from([10, 0, 0, 2]))
        );
        assert_eq!(
            d.description,
            "10.0.0.2 answered 10.0.0.1's modbus read_holding_registers with illegal_data_address (code 2)"
        );
        let iec = [
            ("cot", Value::U64(47)),
            ("cot_name", Value::Str("unknown_ioa")),
        ];
        let refusal = Event::Record(Record {
            protocol: "iec104",
            kind: "i_format",
            direction: Some(rampart_event::Direction::ToClient),
            activity: None,
            fields: Fields(&iec),
        });
        let outstation = flow(5, [10, 0, 0, 1], [10, 0, 0, 3], 2404);
        h.event(&mut e, 2.0, &outstation, &refusal);
        assert_eq!(
            h.rules(),
            [
                "protocol_violation.exception",
                "protocol_violation.unknown_object"
            ]
        );
    }

    #[test]
    fn rules_have_unique_ids_in_the_engine_namespace() {
        crate::facts::testing::check_rules(RULES, EngineKind::ProtocolViolation);
    }
}
