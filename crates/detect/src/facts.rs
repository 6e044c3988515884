//! What the protocol engines read out of events: who sent a record to whom, a field's value,
//! the operation and object a record names, and whether a server refused a request.
//!
//! The engines (protocol-aware policy, protocol violation, operational, malware behaviour)
//! share one reading so that they agree on, say, what an exception is. Everything here borrows
//! from the event; only [`evidence`] and [`object`] allocate, and they are called when raising.

use rampart_event::{Direction, Fields, Origin, Record, Value};

use crate::Context;
use crate::alert::Endpoint;

/// Fields copied into an alert's evidence at most: a record has a few dozen at most, and
/// an alert should stay readable.
pub(crate) const MAX_EVIDENCE_FIELDS: usize = 40;

/// The two sides of an event and the flow that carried it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Parties {
    /// Who sent the message.
    pub sender: Option<Endpoint>,
    /// Who it was sent to.
    pub receiver: Option<Endpoint>,
    /// The flow, whose packets are the alert's PCAP.
    pub flow: Option<u64>,
}

/// Who sent a message travelling in `direction` (a transaction, `None`, counts as the
/// request) and who received it. A link-layer frame is always sent by its source.
pub(crate) fn parties(origin: &Origin, direction: Option<Direction>) -> Parties {
    match origin {
        Origin::Flow(f) => {
            let client = Endpoint {
                ip: Some(f.client.0),
                mac: f.client_mac,
                port: Some(f.client.1),
            };
            let server = Endpoint {
                ip: Some(f.server.0),
                mac: f.server_mac,
                port: Some(f.server.1),
            };
            let (sender, receiver) = match direction {
                Some(Direction::ToClient) => (server, client),
                _ => (client, server),
            };
            Parties {
                sender: Some(sender),
                receiver: Some(receiver),
                flow: Some(f.id),
            }
        }
        Origin::Frame(f) => Parties {
            sender: Some(Endpoint {
                mac: Some(f.src),
                ..Endpoint::default()
            }),
            receiver: Some(Endpoint {
                mac: Some(f.dst),
                ..Endpoint::default()
            }),
            flow: None,
        },
        Origin::Capture => Parties::default(),
    }
}

/// A field's value by name, as [`Fields::get`] finds it, comparing lengths and first bytes
/// before whole names: the engines look up absent fields all the time, and most names differ
/// in length or first letter from the one asked for.
pub(crate) fn field<'a>(fields: &Fields<'a>, name: &str) -> Option<Value<'a>> {
    let Some(&first) = name.as_bytes().first() else {
        return fields.get(name);
    };
    fields
        .0
        .iter()
        .find(|(n, _)| n.len() == name.len() && n.as_bytes().first() == Some(&first) && *n == name)
        .map(|(_, v)| *v)
}

/// The first field of each name `slot_of` gives a slot to, in one pass over the fields: for
/// readers of several fields of one record, which would otherwise scan the fields once per
/// name (records of the busiest protocols carry twenty fields). The pass ends once every
/// slot is filled.
pub(crate) fn gather<'a, const N: usize>(
    fields: &Fields<'a>,
    slot_of: impl Fn(&str) -> Option<usize>,
) -> [Option<Value<'a>>; N] {
    let mut slots = [None; N];
    let mut missing = N;
    for &(name, value) in fields.0 {
        if let Some(slot) = slot_of(name).and_then(|i| slots.get_mut(i))
            && slot.is_none()
        {
            *slot = Some(value);
            missing -= 1;
            if missing == 0 {
                break;
            }
        }
    }
    slots
}

/// A text field.
pub(crate) fn text<'a>(fields: &Fields<'a>, name: &str) -> Option<&'a str> {
    match field(fields, name)? {
        Value::Str(s) => Some(s),
        _ => None,
    }
}

/// A non-negative number field.
pub(crate) fn number(fields: &Fields<'_>, name: &str) -> Option<u64> {
    match field(fields, name)? {
        Value::U64(n) => Some(n),
        Value::I64(n) => u64::try_from(n).ok(),
        _ => None,
    }
}

/// A flag field.
pub(crate) fn flag(fields: &Fields<'_>, name: &str) -> Option<bool> {
    match field(fields, name)? {
        Value::Bool(b) => Some(b),
        _ => None,
    }
}

/// A nested group of fields (UMAS inside Modbus).
pub(crate) fn nested<'a>(fields: &Fields<'a>, name: &str) -> Option<Fields<'a>> {
    match field(fields, name)? {
        Value::Fields(f) => Some(f),
        _ => None,
    }
}

/// True when any text of a text or list-of-texts value satisfies `test`.
pub(crate) fn any_text(value: Option<Value<'_>>, mut test: impl FnMut(&str) -> bool) -> bool {
    any_text_dyn(value, &mut test)
}

fn any_text_dyn(value: Option<Value<'_>>, test: &mut dyn FnMut(&str) -> bool) -> bool {
    match value {
        Some(Value::Str(s)) => test(s),
        Some(Value::Strs(items)) => items.iter().any(|s| test(s)),
        Some(Value::Texts { text, ends }) => {
            let mut start = 0;
            ends.iter().any(|&end| {
                let item = text.get(start..end).unwrap_or_default();
                start = end;
                test(item)
            })
        }
        Some(Value::List(items)) => items.iter().any(|v| any_text_dyn(Some(*v), test)),
        _ => false,
    }
}

/// Call `each` with every number of a number or list-of-numbers value.
pub(crate) fn each_number(value: Option<Value<'_>>, mut each: impl FnMut(u64)) {
    match value {
        Some(Value::U64(n)) => each(n),
        Some(Value::U64s(items)) => items.iter().copied().for_each(each),
        Some(Value::U16s(items)) => items.iter().for_each(|&n| each(u64::from(n))),
        Some(Value::List(items)) => items.iter().for_each(|v| {
            if let Value::U64(n) = v {
                each(*n);
            }
        }),
        _ => {}
    }
}

/// The operation a record carries, as the protocol names it: UMAS's function inside Modbus,
/// else the record's function, service or command, else its kind.
pub(crate) fn operation<'a>(record: &Record<'a>) -> &'a str {
    if let Some(name) = nested(&record.fields, "umas").and_then(|u| text(&u, "function")) {
        return name;
    }
    [
        "function",
        "service",
        "command_name",
        "command",
        "pi_service",
    ]
    .iter()
    .find_map(|name| text(&record.fields, name))
    .unwrap_or(record.kind)
}

/// The program object a record names, when it names one: an S7 block (`DB1`), a file, a
/// program number.
pub(crate) fn object(fields: &Fields<'_>) -> Option<String> {
    if let (Some(kind), Some(n)) = (text(fields, "block_type"), number(fields, "block_number")) {
        return Some(format!("{kind}{n}"));
    }
    let mut first = None;
    any_text(fields.get("blocks"), |b| {
        first = Some(b.to_string());
        true
    });
    first
        .or_else(|| text(fields, "filename").map(str::to_string))
        .or_else(|| number(fields, "program_number").map(|n| format!("program {n}")))
}

/// The fields of a record as alert evidence (at most [`MAX_EVIDENCE_FIELDS`]).
pub(crate) fn evidence(fields: &Fields<'_>) -> serde_json::Map<String, serde_json::Value> {
    fields
        .0
        .iter()
        .take(MAX_EVIDENCE_FIELDS)
        .map(|(name, value)| {
            let json = serde_json::to_value(value).unwrap_or(serde_json::Value::Null);
            (name.to_string(), json)
        })
        .collect()
}

/// What a server's refusal says about the request it refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The request was refused (an exception, an error, a negative confirmation).
    Exception,
    /// The request named a point, object or type the server does not have.
    UnknownObject,
}

/// A server refusing a request: an exception response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Exception<'a> {
    /// What kind of refusal.
    pub refusal: Refusal,
    /// The protocol's code for it, when it has one.
    pub code: Option<u64>,
    /// The protocol's name for it.
    pub name: &'a str,
}

/// OPC UA StatusCode severity bits `10`: Bad (OPC 10000-4 §7.39).
const OPCUA_BAD: u64 = 0x8000_0000;
/// IEC 60870-5-101 §7.2.3 causes 44-47: unknown type id, cause, common address, IOA.
const IEC104_UNKNOWN_CAUSES: std::ops::RangeInclusive<u64> = 44..=47;
/// S7comm error classes of a refused job (0 is no error).
const S7_NO_ERROR: u64 = 0;

/// The refusal a response (or a transaction's response) carries, if any.
pub(crate) fn exception<'a>(record: &Record<'a>) -> Option<Exception<'a>> {
    if record.direction == Some(Direction::ToServer) {
        return None;
    }
    let f = &record.fields;
    let refused = |code: Option<u64>, name: &'a str| Exception {
        refusal: Refusal::Exception,
        code,
        name,
    };
    match record.protocol {
        "modbus" => {
            let code = number(f, "exception_code")?;
            Some(refused(
                Some(code),
                text(f, "exception").unwrap_or("exception"),
            ))
        }
        "dnp3" => dnp3_exception(f),
        "bacnet" => {
            let pdu = text(f, "pdu_type").filter(|p| matches!(*p, "error" | "reject" | "abort"))?;
            let name = ["error", "reject_reason", "abort_reason"]
                .iter()
                .find_map(|n| text(f, n))
                .unwrap_or(pdu);
            Some(refused(number(f, "error_code"), name))
        }
        "s7comm" => {
            let class = number(f, "error_class").filter(|&c| c != S7_NO_ERROR)?;
            Some(refused(
                Some(class),
                text(f, "error_class_name").unwrap_or("error_class"),
            ))
        }
        "enip" => {
            let status = number(f, "status_code").filter(|&s| s != 0)?;
            Some(refused(
                Some(status),
                text(f, "status").unwrap_or("cip_status"),
            ))
        }
        "opcua" => {
            let result = number(f, "service_result").filter(|r| r & OPCUA_BAD != 0)?;
            Some(refused(
                Some(result),
                text(f, "service_result_name").unwrap_or("bad"),
            ))
        }
        "iec104" => iec104_exception(f),
        _ => None,
    }
}

/// [`exception`] of the observation's record, noted in `cx` for the engines shown the record
/// after this one.
pub(crate) fn exception_noted<'a>(
    record: &Record<'a>,
    cx: &mut Context<'_>,
) -> Option<Exception<'a>> {
    let refusal = exception(record);
    cx.refused = Some(refusal.is_some());
    refusal
}

/// True when the observation's record is a refusal: as an engine before this one noted it
/// (reading a record's refusal scans its fields), else read now.
pub(crate) fn is_exception(record: &Record<'_>, cx: &Context<'_>) -> bool {
    cx.refused.unwrap_or_else(|| exception(record).is_some())
}

/// DNP3 IIN2 bits of a response that refuse the request (IEEE 1815 §5.2.3.2).
fn dnp3_exception<'a>(f: &Fields<'a>) -> Option<Exception<'a>> {
    let mut found = None;
    any_text(field(f, "iin_flags"), |flag| {
        found = match flag {
            "object_unknown" => Some((Refusal::UnknownObject, "object_unknown")),
            "no_func_code_support" => Some((Refusal::Exception, "no_func_code_support")),
            "parameter_error" => Some((Refusal::Exception, "parameter_error")),
            _ => None,
        };
        found.is_some()
    });
    let (refusal, name) = found?;
    Some(Exception {
        refusal,
        code: number(f, "iin"),
        name,
    })
}

/// An IEC 104 confirmation that refuses: an unknown type, cause, address or IOA, or a
/// negative confirmation.
fn iec104_exception<'a>(f: &Fields<'a>) -> Option<Exception<'a>> {
    let cot = number(f, "cot")?;
    let name = text(f, "cot_name").unwrap_or("cot");
    if IEC104_UNKNOWN_CAUSES.contains(&cot) {
        return Some(Exception {
            refusal: Refusal::UnknownObject,
            code: Some(cot),
            name,
        });
    }
    flag(f, "negative").filter(|&n| n).map(|_| Exception {
        refusal: Refusal::Exception,
        code: Some(cot),
        name: "negative_confirmation",
    })
}

#[cfg(test)]
pub(crate) mod testing {
    //! Events and origins for the engines' unit tests.

    use std::net::IpAddr;

    use rampart_event::{Event, FlowContext, Origin, Timestamp};

    use crate::{AlertDraft, Context, Detector, Mode, Observation};

    /// A TCP flow `client → server:port` with id `id`.
    pub(crate) fn flow(id: u64, client: [u8; 4], server: [u8; 4], port: u16) -> Origin {
        Origin::Flow(FlowContext {
            id,
            transport: "tcp",
            app: None,
            client: (IpAddr::from(client), 40_000),
            server: (IpAddr::from(server), port),
            client_mac: None,
            server_mac: None,
            vlan: 0,
        })
    }

    /// Runs detectors as the engine does, collecting what they raise.
    pub(crate) struct Harness {
        /// Every draft raised so far.
        pub drafts: Vec<AlertDraft>,
        /// The mode observations are made in.
        pub mode: Mode,
    }

    impl Harness {
        /// A harness in monitoring mode.
        pub(crate) fn new() -> Harness {
            Harness {
                drafts: Vec::new(),
                mode: Mode::Monitoring,
            }
        }

        fn cx(&mut self, secs: f64) -> Context<'_> {
            Context {
                time: at(secs),
                mode: self.mode,
                drafts: &mut self.drafts,
                open: None,
                refused: None,
            }
        }

        /// Show `d` one observation at `secs` seconds.
        pub(crate) fn observe(&mut self, d: &mut dyn Detector, secs: f64, obs: &Observation<'_>) {
            let mut cx = self.cx(secs);
            d.observe(obs, &mut cx);
        }

        /// Show `d` an event from `origin` at `secs` seconds.
        pub(crate) fn event(
            &mut self,
            d: &mut dyn Detector,
            secs: f64,
            origin: &Origin,
            event: &Event<'_>,
        ) {
            self.observe(d, secs, &Observation::Event { origin, event });
        }

        /// Tick `d` at `secs` seconds.
        pub(crate) fn tick(&mut self, d: &mut dyn Detector, secs: f64) {
            let mut cx = self.cx(secs);
            d.tick(&mut cx);
        }

        /// The ids of the rules raised, in order.
        pub(crate) fn rules(&self) -> Vec<&'static str> {
            self.drafts.iter().map(|d| d.rule.id).collect()
        }
    }

    /// Check an engine's rules: ids unique and in the engine's namespace, the engine named,
    /// every technique known.
    pub(crate) fn check_rules(rules: &[&crate::Rule], engine: crate::EngineKind) {
        let prefix = format!("{}.", engine.as_str());
        assert!(
            rules
                .iter()
                .all(|r| r.id.starts_with(&prefix) && r.engine == engine)
        );
        let techniques = rules.iter().flat_map(|r| r.techniques);
        assert!(
            techniques
                .into_iter()
                .all(|t| crate::technique::name(t).is_some())
        );
        let mut ids: Vec<_> = rules.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), rules.len(), "ids are unique");
    }

    /// `secs` seconds after the epoch.
    pub(crate) fn at(secs: f64) -> Timestamp {
        Timestamp((secs * 1e9) as u64)
    }
}

#[cfg(test)]
mod tests {
    use rampart_event::{Direction, Record, Value};

    use super::*;

    fn record<'a>(protocol: &'a str, fields: &'a [(&'a str, Value<'a>)]) -> Record<'a> {
        Record {
            protocol,
            kind: "transaction",
            direction: None,
            activity: None,
            fields: Fields(fields),
        }
    }

    #[test]
    fn a_refusal_read_once_is_told_to_the_engines_after() {
        let mut drafts = Vec::new();
        let mut cx = Context {
            time: rampart_event::Timestamp(1),
            mode: crate::Mode::Monitoring,
            drafts: &mut drafts,
            open: None,
            refused: None,
        };
        let refused = [("exception_code", Value::U64(2))];
        let (answered, refusal) = (record("modbus", &[]), record("modbus", &refused));
        assert!(!is_exception(&answered, &cx));
        assert!(exception_noted(&refusal, &mut cx).is_some());
        // What the first engine noted stands for the rest of the observation.
        assert!(is_exception(&answered, &cx));
        assert!(exception_noted(&answered, &mut cx).is_none());
        assert!(!is_exception(&refusal, &cx));
    }

    #[test]
    fn reads_exceptions_of_each_protocol() {
        let modbus = [
            ("exception_code", Value::U64(2)),
            ("exception", Value::Str("illegal_data_address")),
        ];
        let e = exception(&record("modbus", &modbus)).expect("modbus exception");
        assert_eq!(
            (e.refusal, e.code, e.name),
            (Refusal::Exception, Some(2), "illegal_data_address")
        );
        let dnp3 = [
            ("iin", Value::U64(0x8002)),
            (
                "iin_flags",
                Value::Strs(&["device_restart", "object_unknown"]),
            ),
        ];
        let e = exception(&record("dnp3", &dnp3)).expect("dnp3 exception");
        assert_eq!(
            (e.refusal, e.name),
            (Refusal::UnknownObject, "object_unknown")
        );
        let iec = [
            ("cot", Value::U64(47)),
            ("cot_name", Value::Str("unknown_ioa")),
            ("negative", Value::Bool(true)),
        ];
        let e = exception(&record("iec104", &iec)).expect("iec104 refusal");
        assert_eq!((e.refusal, e.name), (Refusal::UnknownObject, "unknown_ioa"));
        let opcua_good = [("service_result", Value::U64(0))];
        assert_eq!(exception(&record("opcua", &opcua_good)), None);
        let opcua_bad = [("service_result", Value::U64(0x8034_0000))];
        assert_eq!(
            exception(&record("opcua", &opcua_bad)).map(|e| e.code),
            Some(Some(0x8034_0000))
        );
        let s7_ok = [("error_class", Value::U64(0))];
        assert_eq!(exception(&record("s7comm", &s7_ok)), None);
    }

    #[test]
    fn requests_are_never_exceptions() {
        let modbus = [("exception_code", Value::U64(1))];
        let mut r = record("modbus", &modbus);
        r.direction = Some(Direction::ToServer);
        assert_eq!(exception(&r), None);
    }

    #[test]
    fn gathers_the_first_field_of_each_name() {
        let fields = [
            ("b", Value::U64(1)),
            ("a", Value::U64(2)),
            ("b", Value::U64(3)),
            ("c", Value::U64(4)),
        ];
        let slot_of = |name: &str| ["a", "b", "z"].iter().position(|n| *n == name);
        let got: [_; 3] = gather(&Fields(&fields), slot_of);
        assert_eq!(got, [Some(Value::U64(2)), Some(Value::U64(1)), None]);
        let pair: [_; 2] = gather(&Fields(&fields), slot_of);
        assert_eq!(pair, [Some(Value::U64(2)), Some(Value::U64(1))]);
    }

    #[test]
    fn names_operations_and_objects() {
        let umas = [("function", Value::Str("stop_plc"))];
        let fields = [
            ("function", Value::Str("umas")),
            ("umas", Value::Fields(Fields(&umas))),
        ];
        assert_eq!(operation(&record("modbus", &fields)), "stop_plc");
        let s7 = [
            ("block_type", Value::Str("DB")),
            ("block_number", Value::U64(1)),
        ];
        assert_eq!(object(&Fields(&s7)).as_deref(), Some("DB1"));
        let blocks = [("blocks", Value::Strs(&["OB1", "FC2"]))];
        assert_eq!(object(&Fields(&blocks)).as_deref(), Some("OB1"));
    }

    #[test]
    fn the_catalogue_documents_every_protocol_engine_rule() {
        let doc = include_str!("../../../docs/detection.md");
        let rules = [
            crate::protocol_policy::RULES,
            crate::violation::RULES,
            crate::operational::RULES,
            crate::malware::RULES,
        ];
        for rule in rules.iter().flat_map(|r| r.iter()) {
            let row = format!("| `{}` | {} |", rule.id, rule.title);
            assert!(
                doc.contains(&row),
                "docs/detection.md lacks the row of {}",
                rule.id
            );
        }
    }

    #[test]
    fn the_protocol_engines_sections_parse_and_refuse_unknown_keys() {
        let path = std::path::Path::new("detect.toml");
        let text = "[protocol_policy]\nmqtt_filters = [\"#\"]\n\
            [protocol_violation]\nexceptions = false\n\
            [operational]\nno_traffic_secs = 60\nexception_spike_factor = 3.5\n\
            [malware_behaviour]\nburst_ioas = 25\n";
        let c = crate::DetectConfig::parse(text, path).expect("valid");
        assert_eq!(c.protocol_policy.mqtt_filters, ["#"]);
        assert!(
            c.protocol_policy.mqtt_sys_topics,
            "unset keys keep their defaults"
        );
        assert!(!c.protocol_violation.exceptions);
        assert_eq!(c.operational.no_traffic_secs, 60);
        assert_eq!(c.operational.exception_spike_factor, 3.5);
        assert_eq!(c.operational.unresponsive_requests, 5);
        assert_eq!(c.malware_behaviour.burst_ioas, 25);
        let err = crate::DetectConfig::parse("[operational]\nno_trafic_secs = 60\n", path)
            .expect_err("misspelt key");
        assert!(err.to_string().contains("line 2"), "{err}");
    }

    #[test]
    fn walks_every_shape_of_text_list() {
        let texts = Value::Texts {
            text: "a/#$SYS/x",
            ends: &[3, 9],
        };
        let mut seen = Vec::new();
        any_text(Some(texts), |t| {
            seen.push(t.to_string());
            false
        });
        assert_eq!(seen, ["a/#", "$SYS/x"]);
    }
}
