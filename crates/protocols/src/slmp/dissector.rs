//! SLMP streams and datagrams to events: frames delimited by their length field, requests
//! paired with responses (by serial number in 4E frames, in order in 3E frames), one record
//! per transaction, and the CPU model a Read Type Name answer gives.

use rampart_dissect::{
    Attribute, Confidence, Direction, Dissector, Event, EventSink, Feed, FieldList, Record,
    Subject, Transport, Value, identify, report, text,
};

use super::message::{Command, Header, Request, Response, device_name};
use super::parse;
use crate::label::Label;
use crate::transactions::Outstanding;

const PROTOCOL: &str = "slmp";

type Fields32<'a> = FieldList<'a, 32>;

/// Per-flow SLMP state.
pub struct SlmpDissector {
    transport: Transport,
    pending: Outstanding<Header>,
    synced: [bool; 2],
}

impl SlmpDissector {
    /// Start a flow on `transport`, keeping at most `max_transactions` unanswered requests.
    pub fn new(transport: Transport, max_transactions: usize) -> SlmpDissector {
        SlmpDissector {
            transport,
            pending: Outstanding::new(max_transactions),
            synced: [true; 2],
        }
    }

    fn message(&mut self, h: Header, message: &[u8], sink: &mut dyn EventSink) {
        if !h.frame.response {
            if let Some((old, copy)) = self.pending.push(h, message) {
                if self.pending.limit() > 0 {
                    let detail = format_args!(
                        "more than {} requests awaiting responses",
                        self.pending.limit()
                    );
                    report(sink, PROTOCOL, "too_many_transactions", None, &detail);
                }
                emit(Some((&old, &copy)), None, sink);
                self.pending.recycle(copy);
            }
            return;
        }
        // 4E responses carry their request's serial number; 3E responses come in order.
        let request = match h.serial {
            Some(serial) => self.pending.take(|p| p.serial == Some(serial)),
            None => self.pending.pop_front(),
        };
        emit(
            request.as_ref().map(|(rh, m)| (rh, m.as_slice())),
            Some((&h, message)),
            sink,
        );
        if let Some((_, m)) = request {
            self.pending.recycle(m);
        }
    }
}

impl Dissector for SlmpDissector {
    fn feed(&mut self, dir: Direction, data: &[u8], sink: &mut dyn EventSink) -> Feed {
        let i = dir.index();
        let mut at = 0;
        while let Some(rest) = data.get(at..).filter(|r| !r.is_empty()) {
            let h = match parse::header(rest) {
                Ok(Some(h)) => h,
                Ok(None) if self.transport == Transport::Tcp => break,
                Ok(None) => {
                    let detail = format_args!("{} bytes are no whole header", rest.len());
                    report(sink, PROTOCOL, "truncated_header", Some(at), &detail);
                    break;
                }
                Err(e) => {
                    if self.synced[i] {
                        report(sink, PROTOCOL, "bad_header", Some(at), &e);
                    }
                    self.synced[i] = false;
                    if self.transport == Transport::Udp {
                        break;
                    }
                    at += 1;
                    continue;
                }
            };
            let Some(message) = rest.get(..h.total()) else {
                if self.transport == Transport::Udp {
                    let detail = format_args!(
                        "data length {} but {} bytes",
                        h.data_len,
                        rest.len() - h.header_len
                    );
                    report(sink, PROTOCOL, "truncated_message", Some(at), &detail);
                }
                break;
            };
            if !self.synced[i] {
                self.synced[i] = true;
                report(
                    sink,
                    PROTOCOL,
                    "resynchronised",
                    Some(at),
                    &"found the next header",
                );
            }
            if h.frame.response != (dir == Direction::ToClient) {
                let detail = format_args!(
                    "a {} travelling {}",
                    if h.frame.response {
                        "response"
                    } else {
                        "request"
                    },
                    dir.as_str()
                );
                report(sink, PROTOCOL, "unexpected_direction", Some(at), &detail);
            }
            self.message(h, message, sink);
            at += h.total();
        }
        match self.transport {
            Transport::Tcp => Feed::Consumed(at),
            Transport::Udp => Feed::Consumed(data.len()),
        }
    }

    fn gap(&mut self, dir: Direction, _len: u64, _sink: &mut dyn EventSink) {
        self.synced[dir.index()] = false;
    }

    fn close(&mut self, sink: &mut dyn EventSink) {
        while let Some((h, m)) = self.pending.pop_front() {
            emit(Some((&h, &m)), None, sink);
            self.pending.recycle(m);
        }
    }
}

/// Parse one side of a transaction, reporting what is wrong with it.
fn parse_side<'a, T>(
    side: Option<(&Header, &'a [u8])>,
    read: fn(&Header, &'a [u8]) -> Result<T, parse::BodyError>,
    sink: &mut dyn EventSink,
) -> Option<T> {
    let (h, message) = side?;
    match read(h, message.get(h.header_len..).unwrap_or_default()) {
        Ok(v) => Some(v),
        Err(e) => {
            report(sink, PROTOCOL, "truncated_message", Some(h.header_len), &e);
            None
        }
    }
}

/// Build and emit the record of a transaction, and the identity a Read Type Name answer
/// gives.
fn emit(req: Option<(&Header, &[u8])>, resp: Option<(&Header, &[u8])>, sink: &mut dyn EventSink) {
    let Some((h, _)) = req.or(resp) else {
        return;
    };
    let request: Option<Request<'_>> = parse_side(req, parse::request, sink);
    let response: Option<Response<'_>> = parse_side(resp, parse::response, sink);
    let command = request.map(|r| r.command);
    if let Some(c) = command.filter(|c| c.name().is_none()) {
        let detail = format_args!("command 0x{:04x}", c.0);
        report(sink, PROTOCOL, "unknown_command", None, &detail);
    }
    let name = command.map(|c| match c.name() {
        Some(n) => Label::name(n),
        None => Label::display(&format_args!("0x{:04x} (unknown)", c.0)),
    });
    let binary = !h.frame.ascii;
    let devices = request
        .filter(|r| binary && r.command.addresses_devices())
        .and_then(|r| match parse::devices(r.subcommand, r.data) {
            Ok(d) => Some(d),
            Err(e) => {
                report(sink, PROTOCOL, "truncated_message", None, &e);
                None
            }
        });
    let ok = response.filter(|r| r.end_code == 0);
    let model = match (command, ok) {
        (Some(Command::READ_TYPE_NAME), Some(r)) => parse::type_name(r.data, h.frame.ascii).ok(),
        _ => None,
    };
    let model_name = model.map(|(m, _)| text(m));
    let model_code = model.map(|(_, c)| Label::display(&format_args!("0x{c:04x}")));

    let mut f = Fields32::default();
    f.push("frame", Value::Str(h.frame.name()));
    f.push("encoding", Value::Str(h.frame.encoding()));
    if let Some(s) = h.serial {
        f.push("serial", Value::U64(s.into()));
    }
    f.push("network", Value::U64(h.network.into()));
    f.push("station", Value::U64(h.station.into()));
    f.push("module_io", Value::U64(h.module_io.into()));
    f.push("module_station", Value::U64(h.module_station.into()));
    if let (Some(r), Some(n)) = (&request, &name) {
        f.push("monitoring_timer", Value::U64(r.timer.into()));
        f.push("command", Value::U64(r.command.0.into()));
        f.push("command_name", Value::Str(n.as_str()));
        f.push("subcommand", Value::U64(r.subcommand.into()));
        if r.command.addresses_devices() {
            let unit = if r.subcommand & 1 == 0 { "word" } else { "bit" };
            f.push("unit", Value::Str(unit));
        }
    }
    if let Some(d) = &devices {
        f.push("device_code", Value::U64(d.code.into()));
        f.push(
            "device",
            Value::Str(device_name(d.code).unwrap_or("unknown")),
        );
        f.push("head_device", Value::U64(d.head.into()));
        f.push("points", Value::U64(d.points.into()));
    }
    if let Some(r) = &response {
        f.push("end_code", Value::U64(r.end_code.into()));
        f.push("error", Value::Bool(r.end_code != 0));
    }
    if let (Some(m), Some(c)) = (&model_name, &model_code) {
        f.push("model_name", Value::Str(m));
        f.push("model_code", Value::Str(c.as_str()));
    }
    let direction = match (req, resp) {
        (Some(_), Some(_)) => None,
        (Some(_), None) => Some(Direction::ToServer),
        _ => Some(Direction::ToClient),
    };
    sink.emit(Event::Record(Record {
        protocol: PROTOCOL,
        kind: command.and_then(Command::name).unwrap_or("unknown_command"),
        direction,
        activity: command.and_then(Command::activity),
        fields: f.fields(),
    }));
    if let (Some(m), Some(c)) = (&model_name, &model_code) {
        // Read Type Name is answered by Mitsubishi Electric's MELSEC CPUs alone.
        let s = Subject::Server;
        identify(
            sink,
            PROTOCOL,
            s,
            Attribute::Vendor,
            "Mitsubishi Electric",
            Confidence::STRONG,
        );
        identify(
            sink,
            PROTOCOL,
            s,
            Attribute::DeviceType,
            "plc",
            Confidence::STRONG,
        );
        identify(sink, PROTOCOL, s, Attribute::Model, m, Confidence::STATED);
        identify(
            sink,
            PROTOCOL,
            s,
            Attribute::ProductCode,
            c.as_str(),
            Confidence::STATED,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_dissect::Session;
    use rampart_event::CollectingSink;

    /// A 3E binary request of `command`/`subcommand` with `data` (the manual, "Message
    /// format": subheader 5000, network 0, station FF, module 03FF, station 0).
    pub fn request_3e(command: u16, subcommand: u16, data: &[u8]) -> Vec<u8> {
        let mut m = vec![0x50, 0x00, 0x00, 0xff, 0xff, 0x03, 0x00];
        let len = u16::try_from(6 + data.len()).expect("short");
        m.extend_from_slice(&len.to_le_bytes()); // data length
        m.extend_from_slice(&[0x10, 0x00]); // monitoring timer 16
        m.extend_from_slice(&command.to_le_bytes());
        m.extend_from_slice(&subcommand.to_le_bytes());
        m.extend_from_slice(data);
        m
    }

    /// A 3E binary response with `end_code` and `data`.
    pub fn response_3e(end_code: u16, data: &[u8]) -> Vec<u8> {
        let mut m = vec![0xd0, 0x00, 0x00, 0xff, 0xff, 0x03, 0x00];
        let len = u16::try_from(2 + data.len()).expect("short");
        m.extend_from_slice(&len.to_le_bytes());
        m.extend_from_slice(&end_code.to_le_bytes());
        m.extend_from_slice(data);
        m
    }

    fn session(transport: Transport) -> Session {
        Session::new(&super::super::REGISTRATION, transport)
    }

    #[test]
    fn pairs_a_device_read_with_its_answer() {
        let mut sink = CollectingSink::default();
        let mut s = session(Transport::Tcp);
        // Device Read, word units, D100, 2 points.
        let read = request_3e(0x0401, 0x0000, &[0x64, 0x00, 0x00, 0xa8, 0x02, 0x00]);
        s.deliver(Direction::ToServer, &read[..5], &mut sink);
        s.deliver(Direction::ToServer, &read[5..], &mut sink);
        s.deliver(
            Direction::ToClient,
            &response_3e(0, &[0x34, 0x12, 0x02, 0x00]),
            &mut sink,
        );
        assert_eq!(
            sink.matching("record"),
            vec![
                r#"record slmp device_read transaction [read] {"frame":"3e","encoding":"binary","network":0,"station":255,"module_io":1023,"module_station":0,"monitoring_timer":16,"command":1025,"command_name":"device_read","subcommand":0,"unit":"word","device_code":168,"device":"D","head_device":100,"points":2,"end_code":0,"error":false}"#
            ]
        );
    }

    #[test]
    fn classifies_remote_control_and_reports_errors() {
        let mut sink = CollectingSink::default();
        let mut s = session(Transport::Tcp);
        s.deliver(
            Direction::ToServer,
            &request_3e(0x1002, 0, &[0x01, 0x00]),
            &mut sink,
        );
        // End code 0x4013: the CPU refused (error information follows).
        s.deliver(
            Direction::ToClient,
            &response_3e(0x4013, &[0, 0xff, 0xff, 0x03, 0, 0x02, 0x10, 0, 0]),
            &mut sink,
        );
        s.deliver(
            Direction::ToServer,
            &request_3e(0x1001, 0, &[0x01, 0x00, 0x00, 0x00]),
            &mut sink,
        );
        s.deliver(
            Direction::ToServer,
            &request_3e(0x1006, 0, &[0x01, 0x00]),
            &mut sink,
        );
        s.close(&mut sink);
        let kinds: Vec<_> = sink
            .matching("record")
            .iter()
            .map(|l| l.split(" {").next().unwrap_or_default().to_string())
            .collect();
        assert_eq!(
            kinds,
            [
                "record slmp remote_stop transaction [plc_stop]",
                "record slmp remote_run request [plc_start]",
                "record slmp remote_reset request [restart]",
            ]
        );
        assert!(sink.matching("record")[0].ends_with(r#""end_code":16403,"error":true}"#));
    }

    #[test]
    fn identifies_the_cpu_from_read_type_name() {
        let mut sink = CollectingSink::default();
        let mut s = session(Transport::Udp);
        s.datagram(Direction::ToServer, &request_3e(0x0101, 0, &[]), &mut sink);
        let mut model = b"R04CPU          ".to_vec();
        model.extend_from_slice(&[0x01, 0x48]); // model code 0x4801
        s.datagram(Direction::ToClient, &response_3e(0, &model), &mut sink);
        assert_eq!(
            sink.matching("identity"),
            vec![
                "identity slmp Server vendor Mitsubishi Electric",
                "identity slmp Server device_type plc",
                "identity slmp Server model R04CPU",
                "identity slmp Server product_code 0x4801",
            ]
        );
    }

    #[test]
    fn pairs_4e_responses_by_serial_number() {
        let mut sink = CollectingSink::default();
        let mut d = SlmpDissector::new(Transport::Tcp, 8);
        let four_e = |serial: u16, base: Vec<u8>| {
            let mut m = vec![base[0] + 4, 0x00];
            m.extend_from_slice(&serial.to_le_bytes());
            m.extend_from_slice(&[0x00, 0x00]);
            m.extend_from_slice(&base[2..]);
            m
        };
        let a = four_e(1, request_3e(0x0619, 0, &[0x02, 0x00, b'A', b'B']));
        let b = four_e(2, request_3e(0x1617, 0, &[]));
        d.feed(Direction::ToServer, &[a, b].concat(), &mut sink);
        let rb = four_e(2, response_3e(0, &[]));
        d.feed(Direction::ToClient, &rb, &mut sink);
        let records = sink.matching("record");
        assert_eq!(records.len(), 1);
        assert!(records[0].starts_with(r#"record slmp clear_error transaction [diagnostics] {"frame":"4e","encoding":"binary","serial":2"#));
        assert_eq!(d.pending.len(), 1);
    }

    #[test]
    fn reads_ascii_frames_and_skips_garbage() {
        let mut sink = CollectingSink::default();
        let mut s = session(Transport::Tcp);
        let mut data = b"\x01\x02".to_vec();
        data.extend_from_slice(b"500000FF03FF000018001014010001D*0000200001");
        s.deliver(Direction::ToServer, &data, &mut sink);
        s.close(&mut sink);
        assert_eq!(sink.anomalies("bad_header"), 1);
        assert_eq!(sink.anomalies("resynchronised"), 1);
        assert!(
            sink.matching("record slmp device_write request [write]")[0]
                .contains(r#""encoding":"ascii""#)
        );
    }
}
