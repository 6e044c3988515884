//! S7comm-plus units to events: messages reassembled from their frames, requests paired with
//! responses by sequence number, engineering activity attributed by the heuristics the
//! module documents, and what the PLC says of itself as identity.

use rampart_dissect::{
    Attribute, Confidence, Direction, Dissector, Event, EventSink, Feed, FieldList, Subject, Value,
    identify, report, text,
};
use rampart_event::{Activity, Module};

use super::PROTOCOL;
use super::message::{Function, Opcode, SESSION_CONTAINER, Version};
use super::parse::{self, Message};
use crate::cotp::CotpStream;
use crate::outstanding::{Displaced, Outstanding, Request};
use crate::text_list::TextList;
use crate::value::emit_record;

/// The largest message reassembled from frames (a download carries a block in a few KiB).
const MAX_MESSAGE: usize = 64 * 1024;
/// Nesting of sequences inside a download transaction that is tracked.
const MAX_DEPTH: u8 = 16;

/// The fields of one S7comm-plus record.
type PlusFields<'a> = FieldList<'a, 40>;

/// Octets kept before a request's data in the table: version, frame count, activity.
const PREFIX: usize = 3;

/// A message as the record needs it: its version, header and how many frames it took.
#[derive(Clone, Copy)]
struct Side<'a> {
    version: Version,
    message: Message<'a>,
    data_length: usize,
    fragments: u8,
}

/// Buffers reused from message to message.
#[derive(Default)]
struct Scratch {
    strings: [TextList; 2],
}

/// What the PLC said about itself in this flow, for module events.
#[derive(Default)]
struct ModuleInfo {
    order_number: String,
    firmware: String,
    serial: String,
}

/// Per-flow S7comm-plus state.
pub struct PlusDissector {
    cotp: CotpStream,
    state: State,
}

struct State {
    parts: [Vec<u8>; 2],
    frames: [u8; 2],
    outstanding: Outstanding<u16>,
    /// Sequences open inside a download transaction (0: none).
    download_depth: u8,
    scratch: Scratch,
    module: ModuleInfo,
}

impl PlusDissector {
    /// Start a flow keeping at most `max_transactions` unanswered requests.
    pub fn new(max_transactions: usize) -> PlusDissector {
        PlusDissector {
            cotp: CotpStream::new(PROTOCOL, false),
            state: State {
                parts: [Vec::new(), Vec::new()],
                frames: [0; 2],
                outstanding: Outstanding::new(max_transactions),
                download_depth: 0,
                scratch: Scratch::default(),
                module: ModuleInfo::default(),
            },
        }
    }
}

impl Dissector for PlusDissector {
    fn feed(&mut self, dir: Direction, data: &[u8], sink: &mut dyn EventSink) -> Feed {
        let state = &mut self.state;
        self.cotp.feed(dir, data, sink, |dir, unit, _, sink| {
            state.unit(dir, unit, sink)
        })
    }

    fn gap(&mut self, dir: Direction, _len: u64, _sink: &mut dyn EventSink) {
        self.cotp.gap(dir);
        self.state.parts[dir.index()].clear();
        self.state.frames[dir.index()] = 0;
    }

    fn close(&mut self, sink: &mut dyn EventSink) {
        self.cotp.close(sink);
        while let Some(p) = self.state.outstanding.oldest() {
            self.state.alone(p, sink);
        }
    }
}

/// Encode an activity in one octet of the table prefix.
fn activity_code(a: Option<Activity>) -> u8 {
    a.and_then(|a| Activity::ALL.iter().position(|x| *x == a))
        .and_then(|i| u8::try_from(i).ok())
        .unwrap_or(u8::MAX)
}

fn activity_of(code: u8) -> Option<Activity> {
    Activity::ALL.get(usize::from(code)).copied()
}

/// Tell whether a message's body names `needle` (a class or transaction name).
fn names(body: &[u8], needle: &[u8]) -> bool {
    body.windows(needle.len()).any(|w| w == needle)
}

impl State {
    fn unit(&mut self, dir: Direction, unit: &[u8], sink: &mut dyn EventSink) {
        let frame = match parse::frame(unit) {
            Ok(f) => f,
            Err(e) => return report(sink, PROTOCOL, e.code(), Some(e.offset()), &e),
        };
        if frame.trailing > 0 {
            let detail = format_args!("{} octets after the frame and its trailer", frame.trailing);
            report(sink, PROTOCOL, "trailing_data", None, &detail);
        }
        if frame.version == Version::KEEP_ALIVE {
            let mut f = PlusFields::default();
            f.push("version", Value::U64(frame.version.0.into()));
            f.push("version_name", Value::Str(frame.version.name()));
            f.push("data_length", Value::U64(frame.data.len() as u64));
            return emit_record(sink, PROTOCOL, "keep_alive", Some(dir), None, &f);
        }
        let i = dir.index();
        if self.parts[i].len() + frame.data.len() > MAX_MESSAGE {
            let detail = format_args!("a message of more than {MAX_MESSAGE} octets; dropped");
            report(sink, PROTOCOL, "reassembly_overflow", None, &detail);
            self.parts[i].clear();
            self.frames[i] = 0;
            return;
        }
        self.frames[i] = self.frames[i].saturating_add(1);
        if !frame.last {
            self.parts[i].extend_from_slice(frame.data);
            return;
        }
        let fragments = std::mem::take(&mut self.frames[i]);
        if self.parts[i].is_empty() {
            return self.message(dir, frame.version, frame.data, fragments, sink);
        }
        let mut whole = std::mem::take(&mut self.parts[i]);
        whole.extend_from_slice(frame.data);
        self.message(dir, frame.version, &whole, fragments, sink);
        whole.clear();
        self.parts[i] = whole;
    }

    fn message(
        &mut self,
        dir: Direction,
        version: Version,
        data: &[u8],
        fragments: u8,
        sink: &mut dyn EventSink,
    ) {
        let message = match parse::message(version, data) {
            Ok(m) => m,
            Err(e) => return report(sink, PROTOCOL, "truncated", Some(e.offset), &e),
        };
        if message.opcode.name().is_none() {
            let detail = format_args!(
                "opcode {:#04x} is not request, response or notification",
                message.opcode.0
            );
            report(sink, PROTOCOL, "unknown_opcode", Some(0), &detail);
        }
        let side = Side {
            version,
            message,
            data_length: data.len(),
            fragments,
        };
        match (message.opcode, message.sequence) {
            (Opcode::REQUEST, Some(seq)) => {
                let activity = self.classify(&message);
                let mut kept = [version.0, fragments, activity_code(activity)].to_vec();
                kept.extend_from_slice(data);
                self.keep(dir, seq, &kept, sink);
            }
            (op, Some(seq)) if op.is_response() => match self.outstanding.answer(dir, seq) {
                Some(p) => {
                    if let Some((req, activity)) = stored(&p.bytes) {
                        self.record(Some(&req), Some((dir, &side)), activity, None, sink);
                    }
                    self.outstanding.recycle(p.bytes);
                }
                None => {
                    let activity = stateless_activity(&message);
                    self.record(None, Some((dir, &side)), activity, Some(dir), sink);
                }
            },
            _ => {
                let activity =
                    (message.opcode == Opcode::NOTIFICATION).then_some(Activity::Monitor);
                self.record(None, Some((dir, &side)), activity, Some(dir), sink);
            }
        }
    }

    fn keep(&mut self, dir: Direction, seq: u16, kept: &[u8], sink: &mut dyn EventSink) {
        for (why, old) in self.outstanding.keep(dir, seq, kept).into_iter().flatten() {
            match why {
                Displaced::Reused => {
                    let detail = format_args!("sequence number {seq} reused before its response");
                    report(sink, PROTOCOL, "duplicate_sequence_number", None, &detail);
                }
                Displaced::Evicted if self.outstanding.limit() > 0 => {
                    let detail = format_args!(
                        "more than {} unanswered requests; forgot sequence number {}",
                        self.outstanding.limit(),
                        old.key
                    );
                    report(sink, PROTOCOL, "too_many_transactions", None, &detail);
                }
                Displaced::Evicted => {}
            }
            self.alone(old, sink);
        }
    }

    /// Report a request that got no response.
    fn alone(&mut self, p: Request<u16>, sink: &mut dyn EventSink) {
        if let Some((req, activity)) = stored(&p.bytes) {
            self.record(Some(&req), None, activity, Some(p.dir), sink);
        }
        self.outstanding.recycle(p.bytes);
    }

    /// Attribute a request, following the session and any download transaction it is in.
    fn classify(&mut self, m: &Message<'_>) -> Option<Activity> {
        let function = m.function?;
        let object = function
            .addresses_object()
            .then(|| parse::object_id(m.body))
            .flatten();
        let on_session = object.is_some() && object == m.session_id;
        let downloading = self.download_depth > 0;
        Some(match function {
            Function::CREATE_OBJECT
                if m.session_id == Some(SESSION_CONTAINER) || names(m.body, b"ServerSession") =>
            {
                Activity::Session
            }
            Function::BEGIN_SEQUENCE if downloading || names(m.body, b"DLTransaction") => {
                self.download_depth = self.download_depth.saturating_add(1).min(MAX_DEPTH);
                Activity::ProgramDownload
            }
            Function::END_SEQUENCE if downloading => {
                self.download_depth -= 1;
                Activity::ProgramDownload
            }
            Function::DELETE_OBJECT if on_session => Activity::Session,
            Function::DELETE_OBJECT if downloading => Activity::ProgramDelete,
            Function::CREATE_OBJECT
            | Function::SET_VARIABLE
            | Function::SET_MULTI_VARIABLES
            | Function::SET_VAR_SUB_STREAMED
                if downloading =>
            {
                Activity::ProgramDownload
            }
            Function::SET_VARIABLE | Function::SET_MULTI_VARIABLES if on_session => {
                Activity::Session
            }
            _ => return stateless_activity(m),
        })
    }

    /// Report a request and its response, or either alone (then with `direction`).
    fn record(
        &mut self,
        req: Option<&Side<'_>>,
        resp: Option<(Direction, &Side<'_>)>,
        activity: Option<Activity>,
        direction: Option<Direction>,
        sink: &mut dyn EventSink,
    ) {
        let Some(primary) = req.or(resp.map(|(_, s)| s)) else {
            return;
        };
        let [qs, rs] = &mut self.scratch.strings;
        for (side, list) in [(req, &mut *qs), (resp.map(|(_, s)| s), &mut *rs)] {
            list.clear();
            if let Some(s) = side {
                parse::strings(s.message.body, |run| list.push(&text(run)));
            }
        }
        let kind = match primary.message.function {
            Some(f) => f.name().unwrap_or("unknown_function"),
            None if primary.message.opcode == Opcode::NOTIFICATION => "notification",
            None => "unknown",
        };
        let mut f = PlusFields::default();
        header_fields(&mut f, primary, req.is_some());
        if qs.len() > 0 {
            f.push("strings", qs.value());
        }
        if let Some((_, r)) = resp {
            let m = &r.message;
            if req.is_some() {
                f.push("response_opcode", Value::U64(m.opcode.0.into()));
                if let Some(flags) = m.transport_flags {
                    f.push("response_transport_flags", Value::U64(flags.into()));
                }
                f.push("response_data_length", Value::U64(r.data_length as u64));
                f.push("response_fragments", Value::U64(r.fragments.into()));
            }
            if m.opcode.is_response()
                && let Some(v) = parse::vlq(m.body)
            {
                f.push("return_value", Value::U64(v));
            }
            if rs.len() > 0 {
                f.push(
                    if req.is_some() {
                        "response_strings"
                    } else {
                        "strings"
                    },
                    rs.value(),
                );
            }
        }
        emit_record(sink, PROTOCOL, kind, direction, activity, &f);
        if let Some((dir, _)) = resp {
            self.identify(dir.sender(), sink);
        }
    }

    /// Report what the response strings say about the PLC.
    fn identify(&mut self, subject: Subject, sink: &mut dyn EventSink) {
        let mut news = false;
        let list = &self.scratch.strings[1];
        for i in 0..list.len() {
            let Some(d) = list
                .get(i)
                .and_then(|s| parse::self_description(s.as_bytes()))
            else {
                continue;
            };
            // A server session version is the PLC's own statement; an identification
            // string is recognised by the shape of its order number.
            let confidence = if d.firmware.is_some() {
                Confidence::STATED
            } else {
                Confidence::STRONG
            };
            let m = &mut self.module;
            for (attribute, value, kept) in [
                (Attribute::OrderNumber, d.order_number, &mut m.order_number),
                (Attribute::Firmware, d.firmware, &mut m.firmware),
                (Attribute::Serial, d.serial, &mut m.serial),
            ] {
                if let Some(v) = value {
                    let v = text(v);
                    identify(sink, PROTOCOL, subject, attribute, &v, confidence);
                    kept.clear();
                    kept.push_str(&v);
                    news = true;
                }
            }
        }
        if !news {
            return;
        }
        identify(
            sink,
            PROTOCOL,
            subject,
            Attribute::Vendor,
            "Siemens",
            Confidence::STRONG,
        );
        identify(
            sink,
            PROTOCOL,
            subject,
            Attribute::DeviceType,
            "plc",
            Confidence::STRONG,
        );
        let m = &self.module;
        sink.emit(Event::Module(Module {
            protocol: PROTOCOL,
            subject,
            rack: None,
            slot: None,
            kind: "cpu",
            model: "",
            order_number: &m.order_number,
            firmware: &m.firmware,
            hardware: "",
            serial: &m.serial,
        }));
    }
}

/// Read a request back from the table: its side and the activity attributed on arrival.
fn stored(bytes: &[u8]) -> Option<(Side<'_>, Option<Activity>)> {
    let (prefix, data) = bytes.split_at_checked(PREFIX)?;
    let version = Version(prefix[0]);
    let message = parse::message(version, data).ok()?;
    Some((
        Side {
            version,
            message,
            data_length: data.len(),
            fragments: prefix[1],
        },
        activity_of(prefix[2]),
    ))
}

/// Attribute a message by its function alone.
fn stateless_activity(m: &Message<'_>) -> Option<Activity> {
    Some(match m.function? {
        Function::GET_VARIABLE | Function::GET_MULTI_VARIABLES | Function::GET_VAR_SUB_STREAMED => {
            Activity::Read
        }
        Function::SET_VARIABLE | Function::SET_MULTI_VARIABLES | Function::SET_VAR_SUB_STREAMED => {
            Activity::Write
        }
        Function::INVOKE => Activity::Command,
        _ => return None,
    })
}

fn header_fields<'a>(f: &mut PlusFields<'a>, s: &Side<'a>, is_request: bool) {
    let m = &s.message;
    f.push("version", Value::U64(s.version.0.into()));
    f.push("version_name", Value::Str(s.version.name()));
    f.push("opcode", Value::U64(m.opcode.0.into()));
    f.push(
        "opcode_name",
        Value::Str(m.opcode.name().unwrap_or("unknown")),
    );
    if let Some(func) = m.function {
        f.push("function_code", Value::U64(func.0.into()));
        f.push("function", Value::Str(func.name().unwrap_or("unknown")));
        if is_request
            && func.addresses_object()
            && let Some(id) = parse::object_id(m.body)
        {
            f.push("object_id", Value::U64(id.into()));
        }
    }
    if let Some(seq) = m.sequence {
        f.push("sequence_number", Value::U64(seq.into()));
    }
    if let Some(id) = m.session_id {
        f.push("session_id", Value::U64(id.into()));
    }
    if let Some(flags) = m.transport_flags {
        f.push("transport_flags", Value::U64(flags.into()));
    }
    f.push("integrity", Value::Bool(m.integrity));
    f.push("data_length", Value::U64(s.data_length as u64));
    f.push("fragments", Value::U64(s.fragments.into()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_event::CollectingSink;

    use crate::cotp::test_dt as dt;

    /// An S7comm-plus V2 frame: header, `data`, and the trailer when `last`.
    fn frame(data: &[u8], last: bool) -> Vec<u8> {
        let mut f = vec![0x72, 0x02];
        f.extend_from_slice(&u16::try_from(data.len()).expect("small").to_be_bytes());
        f.extend_from_slice(data);
        if last {
            f.extend_from_slice(&[0x72, 0x02, 0x00, 0x00]);
        }
        dt(&f)
    }

    /// A request: opcode, reserved, function, reserved, sequence, session, flags, body.
    fn request(function: u16, seq: u16, session: u32, body: &[u8]) -> Vec<u8> {
        let mut d = vec![0x31, 0x00, 0x00];
        d.extend_from_slice(&function.to_be_bytes());
        d.extend_from_slice(&[0x00, 0x00]);
        d.extend_from_slice(&seq.to_be_bytes());
        d.extend_from_slice(&session.to_be_bytes());
        d.push(0x34);
        d.extend_from_slice(body);
        d
    }

    /// A response: opcode, reserved, function, reserved, sequence, flags, body.
    fn response(function: u16, seq: u16, body: &[u8]) -> Vec<u8> {
        let mut d = vec![0x32, 0x00, 0x00];
        d.extend_from_slice(&function.to_be_bytes());
        d.extend_from_slice(&[0x00, 0x00]);
        d.extend_from_slice(&seq.to_be_bytes());
        d.push(0x34);
        d.extend_from_slice(body);
        d
    }

    fn run(chunks: &[(Direction, Vec<u8>)]) -> CollectingSink {
        let mut d = PlusDissector::new(8);
        let mut sink = CollectingSink::default();
        for (dir, bytes) in chunks {
            assert_eq!(d.feed(*dir, bytes, &mut sink), Feed::Consumed(bytes.len()));
        }
        d.close(&mut sink);
        sink
    }

    const S: Direction = Direction::ToServer;
    const C: Direction = Direction::ToClient;

    #[test]
    fn opens_a_session_and_reads_what_the_plc_states() {
        let mut create = 0x0000_011du32.to_be_bytes().to_vec();
        create.extend_from_slice(b"\x15\x14ServerSession_2DC6D2");
        let mut created = vec![0x00, 0x02, 0x87, 0x40]; // return value 0, object 0x3c0
        created.extend_from_slice(b"\x15\x1b1;6ES7 214-1HE30-0XB0 ;V2.2\x00");
        let setup = 0x0000_03c0u32.to_be_bytes();
        let sink = run(&[
            (
                S,
                frame(&request(0x04ca, 1, SESSION_CONTAINER, &create), true),
            ),
            (C, frame(&response(0x04ca, 1, &created), true)),
            (S, frame(&request(0x0542, 2, 0x3c0, &setup), true)),
            (C, frame(&response(0x0542, 2, &[0x00]), true)),
        ]);
        let records = sink.matching("record");
        assert!(records[0].starts_with("record s7commplus create_object transaction [session]"));
        assert!(
            records[0].contains(r#""strings":["ServerSession_2DC6D2"]"#),
            "{}",
            records[0]
        );
        assert!(
            records[1].starts_with("record s7commplus set_multi_variables transaction [session]")
        );
        assert_eq!(
            sink.matching("identity"),
            vec![
                "identity s7commplus Server order_number 6ES7 214-1HE30-0XB0",
                "identity s7commplus Server firmware V2.2",
                "identity s7commplus Server vendor Siemens",
                "identity s7commplus Server device_type plc",
            ]
        );
        assert_eq!(
            sink.matching("module"),
            vec![
                "module s7commplus Server rack=- slot=- kind=cpu model= order=6ES7 214-1HE30-0XB0 fw=V2.2 hw= serial="
            ]
        );
    }

    #[test]
    fn attributes_a_download_transaction_and_reassembles_its_block() {
        let begin = b"\x00\x00\x00\x00\x15\x0dDLTransaction";
        let block = request(
            0x04ca,
            4,
            0x3c0,
            &[&[0u8; 4][..], b"\x15\x04Main", &[0xa5; 600]].concat(),
        );
        let (first, rest) = block.split_at(300);
        let sink = run(&[
            (S, frame(&request(0x0556, 3, 0x3c0, begin), true)),
            (S, frame(first, false)),
            (S, frame(rest, true)),
            (S, frame(&request(0x0560, 5, 0x3c0, &[0, 0]), true)),
            (S, frame(&request(0x054c, 6, 0x3c0, &[0, 0, 0, 0x20]), true)),
            (C, frame(&response(0x0556, 3, &[0x00]), true)),
            (C, frame(&response(0x04ca, 4, &[0x00]), true)),
            (C, frame(&response(0x0560, 5, &[0x00]), true)),
            (C, frame(&response(0x054c, 6, &[0x00]), true)),
        ]);
        let records = sink.matching("record");
        assert!(
            records[0]
                .starts_with("record s7commplus begin_sequence transaction [program_download]")
        );
        assert!(
            records[1]
                .starts_with("record s7commplus create_object transaction [program_download]")
        );
        assert!(records[1].contains(r#""fragments":2"#), "{}", records[1]);
        assert!(
            records[1].contains(r#""strings":["Main""#),
            "{}",
            records[1]
        );
        assert!(
            records[2].starts_with("record s7commplus end_sequence transaction [program_download]")
        );
        assert!(
            records[3].starts_with("record s7commplus get_multi_variables transaction [read]"),
            "the transaction ended"
        );
    }

    #[test]
    fn reports_unanswered_requests_keep_alives_and_broken_frames() {
        let sink = run(&[
            (S, dt(&[0x72, 0xfe, 0x00, 0x01, 0x00])),
            (S, dt(&[0x32, 0x01, 0x00])),
            (S, frame(&[0x99, 0x00], true)),
            (S, frame(&request(0x056b, 9, 0x3c0, &[]), true)),
        ]);
        assert!(sink.matching("record")[0].starts_with("record s7commplus keep_alive request"));
        assert_eq!(sink.anomalies("bad_protocol_id"), 1);
        assert_eq!(sink.anomalies("unknown_opcode"), 1);
        assert_eq!(
            sink.matching("record s7commplus invoke request [command]")
                .len(),
            1,
            "reported at flow end"
        );
    }
}
