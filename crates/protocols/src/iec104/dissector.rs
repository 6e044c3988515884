//! Per-flow IEC 104 state: APDU framing with resynchronisation, sequence continuity per
//! direction, roles, and one record per APDU.

use rampart_dissect::{
    Attribute, Confidence, Direction, Dissector, Event, EventSink, Feed, FieldList, Record,
    Subject, Value, identify, report,
};
use rampart_event::Activity;

use super::message::{TypeId, UFunction, cause_name};
use super::parse::{
    Apci, AsduHeader, InfoObjects, MAX_LENGTH, MIN_LENGTH, START, asdu_header, command, write_value,
};
use crate::text_list::TextList;

const PROTOCOL: &str = "iec104";
/// Information objects whose address and value a record lists; `num_objects` counts all.
const MAX_OBJECTS: usize = 64;
/// The modulus of the fifteen-bit sequence numbers (§5.1).
const SEQ_MODULUS: u16 = 1 << 15;

/// The fields of one record.
type Fields24<'a> = FieldList<'a, 24>;

/// The IEC 104 dissector.
#[derive(Default)]
pub(super) struct Iec104Dissector {
    /// The N(S) each direction's next I-format APDU should carry, once one was seen.
    expected: [Option<u16>; 2],
    /// Addresses of the objects of the ASDU being reported.
    ioas: Vec<u64>,
    /// Their values.
    values: TextList,
    /// Roles were reported.
    roles: bool,
}

impl Iec104Dissector {
    /// Report one whole APDU found at `base` in the data fed.
    fn apdu(&mut self, dir: Direction, apdu: &[u8], base: usize, sink: &mut dyn EventSink) {
        let control = [apdu[2], apdu[3], apdu[4], apdu[5]];
        let apci = Apci::decode(control);
        match apci {
            Apci::I { send, recv } => {
                self.sequence(dir, send, base, sink);
                self.acknowledgement(dir, recv, base, sink);
                self.information(dir, apci, send, recv, &apdu[6..], base + 6, sink);
            }
            Apci::S { recv } => {
                extra_octets(apdu, base, "S", sink);
                self.acknowledgement(dir, recv, base, sink);
                let mut f = Fields24::default();
                push_apci(&mut f, apci);
                f.push("recv_seq", Value::U64(recv.into()));
                emit(sink, "s_format", dir, None, &f);
            }
            Apci::U { function } => {
                extra_octets(apdu, base, "U", sink);
                if function.name().is_none() {
                    let detail = format_args!(
                        "U-format control octet 0x{:02x} sets {} function bits, not one",
                        control[0],
                        function.0.count_ones()
                    );
                    report(sink, PROTOCOL, "bad_u_function", Some(base + 2), &detail);
                }
                if function == UFunction::STARTDT_ACT {
                    self.roles(dir.sender(), sink);
                }
                let mut f = Fields24::default();
                push_apci(&mut f, apci);
                f.push("u_code", Value::U64(function.0.into()));
                f.push(
                    "u_function",
                    Value::Str(function.name().unwrap_or("unknown")),
                );
                let activity = function.is_session().then_some(Activity::Session);
                emit(sink, "u_format", dir, activity, &f);
            }
        }
    }

    /// Check that N(S) continues the direction's numbering.
    fn sequence(&mut self, dir: Direction, send: u16, base: usize, sink: &mut dyn EventSink) {
        let slot = &mut self.expected[dir.index()];
        if let Some(expected) = *slot
            && send != expected
        {
            let previous = (expected + SEQ_MODULUS - 1) % SEQ_MODULUS;
            let (code, what) = if send == previous {
                ("duplicate_sequence", "repeats")
            } else {
                ("sequence_gap", "breaks")
            };
            let detail = format_args!(
                "send sequence number {send} {what} the numbering: {expected} was due"
            );
            report(sink, PROTOCOL, code, Some(base + 2), &detail);
        }
        *slot = Some((send + 1) % SEQ_MODULUS);
    }

    /// Check that N(R) acknowledges no more than the other direction has sent.
    fn acknowledgement(&self, dir: Direction, recv: u16, base: usize, sink: &mut dyn EventSink) {
        let Some(next) = self.expected[dir.reverse().index()] else {
            return;
        };
        // Unacknowledged APDUs in flight, modulo 2^15: "negative" means acknowledged early.
        let outstanding = (next + SEQ_MODULUS - recv) % SEQ_MODULUS;
        if outstanding > SEQ_MODULUS / 2 {
            let detail = format_args!(
                "receive sequence number {recv} acknowledges APDUs not sent yet: the peer's next is {next}"
            );
            report(sink, PROTOCOL, "ack_ahead", Some(base + 4), &detail);
        }
    }

    /// Report an I-format APDU and its ASDU, found at `base`.
    #[allow(clippy::too_many_arguments)]
    fn information(
        &mut self,
        dir: Direction,
        apci: Apci,
        send: u16,
        recv: u16,
        asdu: &[u8],
        base: usize,
        sink: &mut dyn EventSink,
    ) {
        let mut f = Fields24::default();
        push_apci(&mut f, apci);
        f.push("send_seq", Value::U64(send.into()));
        f.push("recv_seq", Value::U64(recv.into()));
        let header = match asdu_header(asdu) {
            Ok(h) => h,
            Err(e) => {
                report(sink, PROTOCOL, "truncated_asdu", Some(base + e.offset), &e);
                // Keep what the short header does say.
                if let Some(&t) = asdu.first() {
                    let t = TypeId(t);
                    f.push("type_id", Value::U64(t.0.into()));
                    f.push("type_name", Value::Str(t.name().unwrap_or("unknown")));
                }
                if let Some(&cot) = asdu.get(2) {
                    f.push("cot", Value::U64((cot & 0x3f).into()));
                    f.push(
                        "cot_name",
                        Value::Str(cause_name(cot & 0x3f).unwrap_or("unknown")),
                    );
                }
                return emit(sink, "i_format", dir, None, &f);
            }
        };
        let t = header.type_id;
        if t.name().is_none() {
            let detail = format_args!("type identification {t} is not assigned");
            report(sink, PROTOCOL, "unknown_type_id", Some(base), &detail);
        }
        if header.count == 0 {
            let detail =
                format_args!("type {t}: the variable structure qualifier announces no object");
            report(sink, PROTOCOL, "no_objects", Some(base + 1), &detail);
        }
        if cause_name(header.cause).is_none() {
            let detail = format_args!("cause of transmission {} is not assigned", header.cause);
            report(sink, PROTOCOL, "unknown_cause", Some(base + 2), &detail);
        }
        self.role_of(dir, &header, sink);
        let first = self.objects(asdu, header, base, sink);
        f.push("type_id", Value::U64(t.0.into()));
        f.push("type_name", Value::Str(t.name().unwrap_or("unknown")));
        f.push("sq", Value::Bool(header.sq));
        f.push("num_objects", Value::U64(header.count.into()));
        f.push("cot", Value::U64(header.cause.into()));
        f.push(
            "cot_name",
            Value::Str(cause_name(header.cause).unwrap_or("unknown")),
        );
        f.push("negative", Value::Bool(header.negative));
        f.push("test", Value::Bool(header.test));
        f.push("originator", Value::U64(header.originator.into()));
        f.push("common_address", Value::U64(header.common_address.into()));
        f.push("ioa", Value::U64s(&self.ioas));
        f.push("values", self.values.value());
        if let Some(c) = first.and_then(|elements| command(t, elements)) {
            f.push(
                "command",
                Value::Str(if c.select { "select" } else { "execute" }),
            );
            f.push("qualifier", Value::U64(c.qualifier.into()));
        }
        emit(sink, "i_format", dir, activity(t), &f);
    }

    /// Read the information objects into `self.ioas` and `self.values`; return the first
    /// object's elements.
    fn objects<'a>(
        &mut self,
        asdu: &'a [u8],
        header: AsduHeader,
        base: usize,
        sink: &mut dyn EventSink,
    ) -> Option<&'a [u8]> {
        self.ioas.clear();
        self.values.clear();
        let mut first = None;
        for item in InfoObjects::new(asdu, header) {
            let object = match item {
                Ok(o) => o,
                Err(e) => {
                    let offset = e.offset().map(|o| base + o);
                    // An unassigned type was reported already.
                    if header.type_id.name().is_some() {
                        report(sink, PROTOCOL, e.code(), offset, &e);
                    }
                    break;
                }
            };
            first.get_or_insert(object.elements);
            if self.ioas.len() < MAX_OBJECTS {
                self.ioas.push(object.ioa.into());
                write_value(self.values.next(), header.type_id, object.elements);
                self.values.finish();
            }
        }
        first
    }

    /// Tell the roles from an ASDU that only one side sends.
    fn role_of(&mut self, dir: Direction, h: &AsduHeader, sink: &mut dyn EventSink) {
        if !h.type_id.sent_by_controlling_station() {
            return;
        }
        match h.cause {
            // Activation and deactivation come from the controlling station.
            6 | 8 => self.roles(dir.sender(), sink),
            // Their confirmations and terminations come back from the controlled one.
            7 | 9 | 10 => self.roles(dir.reverse().sender(), sink),
            _ => {}
        }
    }

    /// Report `controlling` as the controlling station and the other side as controlled.
    fn roles(&mut self, controlling: Subject, sink: &mut dyn EventSink) {
        if std::mem::replace(&mut self.roles, true) {
            return;
        }
        let controlled = match controlling {
            Subject::Client => Subject::Server,
            _ => Subject::Client,
        };
        for (subject, role) in [
            (controlling, "iec104 controlling station"),
            (controlled, "iec104 controlled station"),
        ] {
            identify(
                sink,
                PROTOCOL,
                subject,
                Attribute::Role,
                role,
                Confidence::STATED,
            );
        }
    }
}

/// Add the APCI format fields.
fn push_apci(f: &mut Fields24<'_>, apci: Apci) {
    f.push("apci", Value::Str(apci.name()));
    f.push("apci_type", Value::U64(apci.type_code().into()));
}

/// Report octets after the control field of an S- or U-format APDU, which has none.
fn extra_octets(apdu: &[u8], base: usize, format: &str, sink: &mut dyn EventSink) {
    if apdu.len() > 6 {
        let detail = format_args!(
            "{format}-format APDU of length {} carries {} octets after its control field",
            apdu.len() - 2,
            apdu.len() - 6
        );
        report(sink, PROTOCOL, "bad_length", Some(base + 1), &detail);
    }
}

/// Emit one record.
fn emit(
    sink: &mut dyn EventSink,
    kind: &'static str,
    dir: Direction,
    activity: Option<Activity>,
    f: &Fields24<'_>,
) {
    sink.emit(Event::Record(Record {
        protocol: PROTOCOL,
        kind,
        direction: Some(dir),
        activity,
        fields: f.fields(),
    }));
}

/// Return what an ASDU of type `t` does.
pub(super) fn activity(t: TypeId) -> Option<Activity> {
    Some(match t.0 {
        _ if t.is_command() => Activity::Command,
        100..=102 => Activity::Read,
        103 | 106 => Activity::TimeSync,
        104 | 107 => Activity::Diagnostics,
        105 => Activity::Restart,
        110..=113 => Activity::ConfigChange,
        120..=127 => Activity::FileTransfer,
        _ => return None,
    })
}

impl Dissector for Iec104Dissector {
    fn feed(&mut self, dir: Direction, data: &[u8], sink: &mut dyn EventSink) -> Feed {
        let mut at = 0;
        while let Some(rest) = data.get(at..).filter(|r| !r.is_empty()) {
            if rest[0] != START {
                let skip = rest.iter().position(|&b| b == START).unwrap_or(rest.len());
                let detail = format_args!("skipped {skip} octets that do not start an APDU");
                report(sink, PROTOCOL, "lost_sync", Some(at), &detail);
                at += skip;
                continue;
            }
            let Some(&length) = rest.get(1) else {
                break;
            };
            if !(MIN_LENGTH..=MAX_LENGTH).contains(&length) {
                let detail =
                    format_args!("APDU length {length} is outside {MIN_LENGTH}..={MAX_LENGTH}");
                report(sink, PROTOCOL, "bad_length", Some(at + 1), &detail);
                // Look for the next start octet after this one.
                at += 1;
                continue;
            }
            let end = 2 + usize::from(length);
            let Some(apdu) = rest.get(..end) else {
                break;
            };
            self.apdu(dir, apdu, at, sink);
            at += end;
        }
        Feed::Consumed(at)
    }

    fn gap(&mut self, dir: Direction, _len: u64, _sink: &mut dyn EventSink) {
        // APDUs were lost: their numbers are unknown.
        self.expected[dir.index()] = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iec104::REGISTRATION;
    use rampart_dissect::{Session, Transport};
    use rampart_event::CollectingSink;

    /// An I-format APDU with send and receive numbers and an ASDU (§5.1, Figure 6).
    fn i_frame(send: u16, recv: u16, asdu: &[u8]) -> Vec<u8> {
        let mut f = vec![0x68, u8::try_from(4 + asdu.len()).expect("short ASDU")];
        f.extend_from_slice(&(send << 1).to_le_bytes());
        f.extend_from_slice(&(recv << 1).to_le_bytes());
        f.extend_from_slice(asdu);
        f
    }

    const STARTDT_ACT: [u8; 6] = [0x68, 0x04, 0x07, 0x00, 0x00, 0x00];
    const STARTDT_CON: [u8; 6] = [0x68, 0x04, 0x0b, 0x00, 0x00, 0x00];
    /// A general interrogation: C_IC_NA_1, activation, common address 3, QOI 20.
    const INTERROGATION: [u8; 10] = [
        0x64, 0x01, // type 100, one object
        0x06, 0x00, // cause 6 act, originator 0
        0x03, 0x00, // common address 3
        0x00, 0x00, 0x00, // IOA 0
        0x14, // QOI 20: station interrogation
    ];

    fn session() -> Session {
        Session::new(&REGISTRATION, Transport::Tcp)
    }

    #[test]
    fn reports_startdt_and_an_interrogation_with_roles() {
        let mut s = session();
        let mut sink = CollectingSink::default();
        let mut stream = STARTDT_ACT.to_vec();
        stream.extend_from_slice(&i_frame(0, 0, &INTERROGATION));
        s.deliver(Direction::ToServer, &stream, &mut sink);
        s.deliver(Direction::ToClient, &STARTDT_CON, &mut sink);
        assert_eq!(
            sink.matching("record iec104"),
            vec![
                r#"record iec104 u_format request [session] {"apci":"U","apci_type":3,"u_code":1,"u_function":"startdt_act"}"#,
                r#"record iec104 i_format request [read] {"apci":"I","apci_type":0,"send_seq":0,"recv_seq":0,"type_id":100,"type_name":"C_IC_NA_1","sq":false,"num_objects":1,"cot":6,"cot_name":"act","negative":false,"test":false,"originator":0,"common_address":3,"ioa":[0],"values":["station"]}"#,
                r#"record iec104 u_format response [session] {"apci":"U","apci_type":3,"u_code":2,"u_function":"startdt_con"}"#,
            ]
        );
        assert_eq!(
            sink.matching("identity"),
            vec![
                "identity iec104 Client role iec104 controlling station",
                "identity iec104 Server role iec104 controlled station",
            ]
        );
    }

    #[test]
    fn reports_select_and_execute_of_a_command() {
        let mut s = session();
        let mut sink = CollectingSink::default();
        let command = |sco: u8| {
            [
                0x2d, 0x01, 0x06, 0x00, 0x03, 0x00, // C_SC_NA_1, act, address 3
                0xe8, 0x03, 0x00, // IOA 1000
                sco,
            ]
        };
        s.deliver(
            Direction::ToServer,
            &i_frame(0, 0, &command(0x81)),
            &mut sink,
        );
        s.deliver(
            Direction::ToServer,
            &i_frame(1, 0, &command(0x01)),
            &mut sink,
        );
        let records = sink.matching("record iec104 i_format request [command]");
        assert_eq!(records.len(), 2);
        assert!(
            records[0]
                .ends_with(r#""ioa":[1000],"values":["on"],"command":"select","qualifier":0}"#)
        );
        assert!(records[1].contains(r#""command":"execute""#));
    }

    #[test]
    fn flags_gaps_and_repeats_in_the_send_numbers() {
        let mut s = session();
        let mut sink = CollectingSink::default();
        for send in [5, 6, 6, 9] {
            s.deliver(
                Direction::ToClient,
                &i_frame(send, 0, &INTERROGATION),
                &mut sink,
            );
        }
        assert_eq!(sink.anomalies("duplicate_sequence"), 1);
        assert_eq!(sink.anomalies("sequence_gap"), 1);
        let gap = sink.matching("anomaly iec104 sequence_gap")[0];
        assert!(gap.ends_with("send sequence number 9 breaks the numbering: 7 was due"));
        // A capture gap makes the next number unknown, not wrong.
        s.gap(Direction::ToClient, 100, &mut sink);
        s.deliver(
            Direction::ToClient,
            &i_frame(40, 0, &INTERROGATION),
            &mut sink,
        );
        assert_eq!(sink.anomalies("sequence_gap"), 1);
        // N(R) is the next number expected: 42 acknowledges one APDU more than was sent.
        let ack = [0x68, 0x04, 0x01, 0x00, 0x54, 0x00]; // S, N(R) 42
        s.deliver(Direction::ToServer, &ack, &mut sink);
        assert_eq!(sink.anomalies("ack_ahead"), 1);
        let fine = [0x68, 0x04, 0x01, 0x00, 0x52, 0x00]; // S, N(R) 41
        s.deliver(Direction::ToServer, &fine, &mut sink);
        assert_eq!(sink.anomalies("ack_ahead"), 1);
    }

    #[test]
    fn resynchronises_after_garbage_and_bad_lengths() {
        let mut s = session();
        let mut sink = CollectingSink::default();
        let mut stream = vec![0x02, 0x02, 0x68, 0x00, 0x12, 0x12]; // testdissect frame 11
        stream.extend_from_slice(&[0x68, 0x04, 0x01, 0x00, 0x02, 0x00]); // S, N(R) 1
        s.deliver(Direction::ToServer, &stream[..9], &mut sink);
        s.deliver(Direction::ToServer, &stream[9..], &mut sink);
        assert_eq!(sink.anomalies("bad_length"), 1);
        assert_eq!(sink.anomalies("lost_sync"), 2);
        assert_eq!(
            sink.matching("record iec104 s_format"),
            vec![r#"record iec104 s_format request {"apci":"S","apci_type":1,"recv_seq":1}"#]
        );
    }

    #[test]
    fn reports_truncated_asdus_and_unknown_types_but_keeps_the_record() {
        let mut s = session();
        let mut sink = CollectingSink::default();
        let short = [
            0x0d, 0x02, 0x03, 0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0, 0, 0x48, 0x41, 0x00,
        ];
        s.deliver(Direction::ToClient, &i_frame(0, 0, &short), &mut sink);
        assert_eq!(sink.anomalies("truncated_asdu"), 1);
        let record = sink.matching("record iec104 i_format")[0].to_string();
        assert!(record.contains(r#""num_objects":2"#) && record.contains(r#""values":["12.5"]"#));
        let unknown = [0x5a, 0x01, 0x03, 0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0xff];
        s.deliver(Direction::ToClient, &i_frame(1, 0, &unknown), &mut sink);
        assert_eq!(sink.anomalies("unknown_type_id"), 1);
        assert!(sink.matching("record iec104 i_format")[1].contains(r#""type_name":"unknown""#));
    }

    #[test]
    fn names_activities_of_system_and_parameter_types() {
        assert_eq!(activity(TypeId(103)), Some(Activity::TimeSync));
        assert_eq!(activity(TypeId(105)), Some(Activity::Restart));
        assert_eq!(activity(TypeId(112)), Some(Activity::ConfigChange));
        assert_eq!(activity(TypeId(122)), Some(Activity::FileTransfer));
        assert_eq!(activity(TypeId(63)), Some(Activity::Command));
        assert_eq!(activity(TypeId(36)), None);
    }
}
