//! What a plugin says during one call, collected by the host functions it calls and handed
//! to the engine's sink once the call returns.
//!
//! The guest cannot hold references into the host, and the host must not trust what the guest
//! says, so each host call copies the guest's bytes into arenas that live as long as the
//! plugin and are cleared, not freed, between calls: after the first messages a plugin costs
//! no allocation per message. Names are checked against the manifest as they arrive;
//! anything undeclared or oversized is dropped and reported, never passed on.

use std::ops::Range;

use rampart_dissect::{Anomaly, Confidence, Direction, Event, EventSink, FieldList};
use rampart_dissect::{Record, Subject, Value};
use rampart_event::{Activity, Attribute};

/// Events one call may produce; more are dropped and counted.
pub const MAX_EVENTS_PER_CALL: usize = 1024;
/// Bytes of text and byte values one call may produce.
pub const MAX_TEXT_PER_CALL: usize = 1 << 20;
/// Fields one record may carry.
pub const MAX_FIELDS: usize = 64;

/// A field value, with text kept as a range of the arena.
#[derive(Debug, Clone, Copy)]
enum Pending {
    Str(usize, usize),
    Bytes(usize, usize),
    U64(u64),
    I64(i64),
    Bool(bool),
}

#[derive(Debug, Clone)]
enum PendingEvent {
    Record {
        kind: &'static str,
        direction: Option<Direction>,
        activity: Option<Activity>,
        fields: Range<usize>,
    },
    Identity {
        subject: Subject,
        attribute: Attribute,
        value: (usize, usize),
        confidence: Confidence,
    },
    Anomaly {
        code: (usize, usize),
        offset: Option<usize>,
        detail: (usize, usize),
    },
}

/// The names a plugin declared, leaked once at load so events can borrow them for `'static`.
#[derive(Debug, Clone)]
pub struct Declared {
    /// The protocol name.
    pub protocol: &'static str,
    /// Record kinds.
    pub records: Vec<&'static str>,
    /// Field names.
    pub fields: Vec<&'static str>,
    /// Identity attributes.
    pub identity: Vec<Attribute>,
}

/// The outputs of one call.
#[derive(Debug)]
pub struct Output {
    declared: Declared,
    text: Vec<u8>,
    fields: Vec<(&'static str, Pending)>,
    events: Vec<PendingEvent>,
    open: Option<(&'static str, Option<Direction>, Option<Activity>, usize)>,
    problems: Vec<(&'static str, String)>,
    dropped: u64,
}

impl Output {
    /// Start collecting for a plugin with these declarations.
    pub fn new(declared: Declared) -> Output {
        Output {
            declared,
            text: Vec::new(),
            fields: Vec::new(),
            events: Vec::new(),
            open: None,
            problems: Vec::new(),
            dropped: 0,
        }
    }

    /// Forget the previous call's outputs, keeping the memory.
    pub fn clear(&mut self) {
        self.text.clear();
        self.fields.clear();
        self.events.clear();
        self.open = None;
        self.problems.clear();
        self.dropped = 0;
    }

    fn problem(&mut self, code: &'static str, detail: String) {
        if self.problems.len() < 16 {
            self.problems.push((code, detail));
        }
    }

    fn room(&mut self, bytes: usize) -> bool {
        let fits =
            self.events.len() < MAX_EVENTS_PER_CALL && self.text.len() + bytes <= MAX_TEXT_PER_CALL;
        if !fits {
            self.dropped += 1;
        }
        fits
    }

    fn keep(&mut self, bytes: &[u8]) -> (usize, usize) {
        let start = self.text.len();
        self.text.extend_from_slice(bytes);
        (start, self.text.len())
    }

    /// Start a record of `kind` (`0` request, `1` response, anything else a transaction).
    pub fn record(&mut self, kind: &[u8], direction: i32) {
        let Some(&kind) = self.declared.records.iter().find(|k| k.as_bytes() == kind) else {
            let shown = String::from_utf8_lossy(kind).into_owned();
            self.problem(
                "undeclared_record",
                format!("record kind {shown:?} is not declared"),
            );
            self.open = None;
            return;
        };
        let direction = match direction {
            0 => Some(Direction::ToServer),
            1 => Some(Direction::ToClient),
            _ => None,
        };
        self.open = Some((kind, direction, None, self.fields.len()));
    }

    fn field_name(&mut self, name: &[u8]) -> Option<&'static str> {
        if self.open.is_none() {
            self.problem(
                "field_outside_record",
                "a field was sent with no record open".into(),
            );
            return None;
        }
        let found = self
            .declared
            .fields
            .iter()
            .find(|f| f.as_bytes() == name)
            .copied();
        if found.is_none() {
            let shown = String::from_utf8_lossy(name).into_owned();
            self.problem(
                "undeclared_field",
                format!("field {shown:?} is not declared"),
            );
        }
        found
    }

    fn push_field(&mut self, name: &'static str, value: Pending) {
        let open_fields = self.open.map_or(0, |(.., start)| self.fields.len() - start);
        if open_fields >= MAX_FIELDS {
            self.dropped += 1;
            return;
        }
        self.fields.push((name, value));
    }

    /// Add a text field to the open record.
    pub fn field_str(&mut self, name: &[u8], value: &[u8]) {
        if let Some(name) = self.field_name(name)
            && self.room(value.len())
        {
            let (a, b) = self.keep(value);
            self.push_field(name, Pending::Str(a, b));
        }
    }

    /// Add a bytes field to the open record.
    pub fn field_bytes(&mut self, name: &[u8], value: &[u8]) {
        if let Some(name) = self.field_name(name)
            && self.room(value.len())
        {
            let (a, b) = self.keep(value);
            self.push_field(name, Pending::Bytes(a, b));
        }
    }

    /// Add a number field to the open record.
    pub fn field_u64(&mut self, name: &[u8], value: u64) {
        if let Some(name) = self.field_name(name) {
            self.push_field(name, Pending::U64(value));
        }
    }

    /// Add a signed number field to the open record.
    pub fn field_i64(&mut self, name: &[u8], value: i64) {
        if let Some(name) = self.field_name(name) {
            self.push_field(name, Pending::I64(value));
        }
    }

    /// Add a flag to the open record.
    pub fn field_bool(&mut self, name: &[u8], value: bool) {
        if let Some(name) = self.field_name(name) {
            self.push_field(name, Pending::Bool(value));
        }
    }

    /// Say what the open record does.
    pub fn action(&mut self, name: &[u8]) {
        let activity = std::str::from_utf8(name).ok().and_then(Activity::from_name);
        match (&mut self.open, activity) {
            (Some(open), Some(activity)) => open.2 = Some(activity),
            (_, None) => {
                let shown = String::from_utf8_lossy(name).into_owned();
                self.problem(
                    "unknown_action",
                    format!("action {shown:?} is not one of Rampart's"),
                );
            }
            (None, Some(_)) => self.problem(
                "field_outside_record",
                "an action was sent with no record open".into(),
            ),
        }
    }

    /// Finish the open record.
    pub fn emit(&mut self) {
        let Some((kind, direction, activity, start)) = self.open.take() else {
            self.problem("field_outside_record", "emit with no record open".into());
            return;
        };
        if self.room(0) {
            self.events.push(PendingEvent::Record {
                kind,
                direction,
                activity,
                fields: start..self.fields.len(),
            });
        }
    }

    /// Report an identity observation about the client (`0`) or the server (other values).
    pub fn identity(&mut self, subject: i32, attribute: &[u8], value: &[u8], confidence: i32) {
        let attribute = std::str::from_utf8(attribute)
            .ok()
            .and_then(Attribute::from_name)
            .filter(|a| self.declared.identity.contains(a));
        let Some(attribute) = attribute else {
            self.problem(
                "undeclared_identity",
                "identity attribute not declared".into(),
            );
            return;
        };
        if !self.room(value.len()) {
            return;
        }
        let value = self.keep(value);
        self.events.push(PendingEvent::Identity {
            subject: if subject == 0 {
                Subject::Client
            } else {
                Subject::Server
            },
            attribute,
            value,
            confidence: Confidence(u8::try_from(confidence.clamp(0, 100)).unwrap_or(0)),
        });
    }

    /// Report a protocol anomaly (`offset` below zero: unknown).
    pub fn anomaly(&mut self, code: &[u8], offset: i64, detail: &[u8]) {
        if !self.room(code.len() + detail.len()) {
            return;
        }
        let code = self.keep(code);
        let detail = self.keep(detail);
        self.events.push(PendingEvent::Anomaly {
            code,
            offset: usize::try_from(offset).ok(),
            detail,
        });
    }

    fn text(&self, (a, b): (usize, usize)) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(self.text.get(a..b).unwrap_or_default())
    }

    /// Hand everything collected to `sink`; return (records, anomalies the plugin reported).
    pub fn flush(&self, sink: &mut dyn EventSink) -> (u64, u64) {
        let protocol = self.declared.protocol;
        let (mut records, mut anomalies) = (0, 0);
        for event in &self.events {
            match event {
                PendingEvent::Record {
                    kind,
                    direction,
                    activity,
                    fields,
                } => {
                    records += 1;
                    let mut list: FieldList<'_, MAX_FIELDS> = FieldList::default();
                    for (name, value) in self.fields.get(fields.clone()).unwrap_or_default() {
                        list.push(name, self.value(*value));
                    }
                    sink.emit(Event::Record(Record {
                        protocol,
                        kind,
                        direction: *direction,
                        activity: *activity,
                        fields: list.fields(),
                    }));
                }
                PendingEvent::Identity {
                    subject,
                    attribute,
                    value,
                    confidence,
                } => {
                    let value = self.text(*value);
                    rampart_dissect::identify(
                        sink,
                        protocol,
                        *subject,
                        *attribute,
                        &value,
                        *confidence,
                    );
                }
                PendingEvent::Anomaly {
                    code,
                    offset,
                    detail,
                } => {
                    anomalies += 1;
                    let code = self.text(*code);
                    let detail = self.text(*detail);
                    sink.emit(Event::Anomaly(Anomaly {
                        protocol,
                        code: &code,
                        offset: *offset,
                        detail: &detail,
                    }));
                }
            }
        }
        for (code, detail) in &self.problems {
            rampart_dissect::report(sink, protocol, code, None, detail);
        }
        if self.dropped > 0 {
            let detail = format_args!(
                "{} outputs dropped: one call may emit {MAX_EVENTS_PER_CALL} events, \
                 {MAX_TEXT_PER_CALL} bytes of text and {MAX_FIELDS} fields per record",
                self.dropped
            );
            rampart_dissect::report(sink, protocol, "output_limit", None, &detail);
        }
        (records, anomalies)
    }

    fn value(&self, value: Pending) -> Value<'_> {
        match value {
            Pending::Str(a, b) => {
                match std::str::from_utf8(self.text.get(a..b).unwrap_or_default()) {
                    Ok(s) => Value::Str(s),
                    Err(_) => Value::Bytes(self.text.get(a..b).unwrap_or_default()),
                }
            }
            Pending::Bytes(a, b) => Value::Bytes(self.text.get(a..b).unwrap_or_default()),
            Pending::U64(v) => Value::U64(v),
            Pending::I64(v) => Value::I64(v),
            Pending::Bool(v) => Value::Bool(v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_event::CollectingSink;

    fn output() -> Output {
        Output::new(Declared {
            protocol: "toy",
            records: vec!["message"],
            fields: vec!["command", "tag"],
            identity: vec![Attribute::Model],
        })
    }

    #[test]
    fn passes_on_declared_records_with_their_action() {
        let mut out = output();
        out.record(b"message", 0);
        out.field_u64(b"command", 13);
        out.field_str(b"tag", b"FT-101");
        out.action(b"read");
        out.emit();
        out.identity(1, b"model", b"3051S", 90);
        let mut sink = CollectingSink::default();
        assert_eq!(out.flush(&mut sink), (1, 0));
        assert_eq!(
            sink.lines,
            vec![
                r#"record toy message request [read] {"command":13,"tag":"FT-101"}"#,
                "identity toy Server model 3051S",
            ]
        );
    }

    #[test]
    fn drops_and_reports_what_was_not_declared() {
        let mut out = output();
        out.record(b"message", 2);
        out.field_str(b"password", b"hunter2");
        out.action(b"teleport");
        out.emit();
        out.identity(0, b"serial", b"123", 90);
        out.field_u64(b"command", 1);
        let mut sink = CollectingSink::default();
        out.flush(&mut sink);
        assert_eq!(sink.lines[0], "record toy message transaction {}");
        for code in [
            "undeclared_field",
            "unknown_action",
            "undeclared_identity",
            "field_outside_record",
        ] {
            assert_eq!(sink.anomalies(code), 1, "{code}: {:?}", sink.lines);
        }
        assert!(!sink.lines.iter().any(|l| l.contains("hunter2")));
    }

    #[test]
    fn bounds_the_events_of_one_call() {
        let mut out = output();
        for _ in 0..MAX_EVENTS_PER_CALL + 10 {
            out.anomaly(b"bad", 3, b"x");
        }
        let mut sink = CollectingSink::default();
        assert_eq!(out.flush(&mut sink), (0, MAX_EVENTS_PER_CALL as u64));
        assert_eq!(sink.anomalies("output_limit"), 1);
        assert!(
            sink.lines
                .last()
                .is_some_and(|l| l.contains("10 outputs dropped"))
        );
        out.clear();
        out.anomaly(b"bad", -1, b"x");
        let mut sink = CollectingSink::default();
        assert_eq!(out.flush(&mut sink), (0, 1));
        assert_eq!(sink.lines, vec!["anomaly toy bad @- x"]);
    }
}
