//! FINS over UDP datagrams and FINS/TCP streams to events: commands paired with their
//! responses by service id and node addresses, controller identity and operating mode from
//! the responses that state them.

use std::collections::VecDeque;

use rampart_dissect::{
    Attribute, Confidence, Direction, Dissector, EventSink, Feed, FieldList, Transport, Value,
    identify, report,
};
use rampart_event::Activity;

use super::message::{
    activity, command_name, end_code_name, memory_area_name, plc_mode, tcp_command_name,
};
use super::parse::{
    self, Command, FinsError, Header, MIN_FRAME, Response, TCP_HEADER_LEN, TCP_MAGIC,
};
use crate::label::Label;

const PROTOCOL: &str = "fins";
/// FINS frames are at most about 2 KiB; a FINS/TCP length beyond this is not FINS.
const MAX_TCP_LENGTH: u32 = 8 * 1024;

type Fields<'a> = FieldList<'a, 48>;

/// A command waiting for its response.
#[derive(Debug, Clone, Copy)]
struct Pending {
    dir: Direction,
    header: Header,
    command: Command,
}

/// Per-flow FINS state.
pub(super) struct FinsDissector {
    tcp: bool,
    resync: [bool; 2],
    max_transactions: usize,
    pending: VecDeque<Pending>,
    clock: String,
    answer: Texts,
}

/// A response's texts, rendered into buffers reused from message to message.
#[derive(Debug, Default)]
struct Texts {
    clock: String,
    model: String,
    version: String,
}

impl Texts {
    fn fill(&mut self, r: &Response<'_>) {
        self.clock.clear();
        self.model.clear();
        self.version.clear();
        if let Some(c) = r.clock {
            parse::write_clock(c, &mut self.clock);
        }
        self.model
            .push_str(&rampart_dissect::text(r.model.unwrap_or_default()));
        self.version
            .push_str(&rampart_dissect::text(r.version.unwrap_or_default()));
    }
}

impl FinsDissector {
    /// Start a flow on `transport`, keeping at most `max_transactions` unanswered commands.
    pub(super) fn new(transport: Transport, max_transactions: usize) -> FinsDissector {
        FinsDissector {
            tcp: transport == Transport::Tcp,
            resync: [false; 2],
            max_transactions,
            pending: VecDeque::new(),
            clock: String::new(),
            answer: Texts::default(),
        }
    }
}

impl Dissector for FinsDissector {
    fn feed(&mut self, dir: Direction, data: &[u8], sink: &mut dyn EventSink) -> Feed {
        if !self.tcp {
            self.frame(dir, data, 0, sink);
            return Feed::Consumed(data.len());
        }
        self.stream(dir, data, sink)
    }

    fn gap(&mut self, dir: Direction, _len: u64, _sink: &mut dyn EventSink) {
        self.resync[dir.index()] = true;
    }

    fn close(&mut self, sink: &mut dyn EventSink) {
        while let Some(p) = self.pending.pop_front() {
            self.emit(&p, None, sink);
        }
    }
}

/// Find the next FINS/TCP magic at or after `from`.
fn find_magic(data: &[u8], from: usize) -> Option<usize> {
    (from..data.len()).find(|&i| data.get(i..i + 4) == Some(&TCP_MAGIC[..]))
}

impl FinsDissector {
    fn stream(&mut self, dir: Direction, data: &[u8], sink: &mut dyn EventSink) -> Feed {
        let i = dir.index();
        let mut at = 0;
        if self.resync[i] {
            match find_magic(data, 0) {
                Some(k) => {
                    at = k;
                    self.resync[i] = false;
                }
                None => return Feed::Consumed(data.len().saturating_sub(3)),
            }
        }
        while let Some(rest) = data.get(at..).filter(|r| r.len() >= TCP_HEADER_LEN) {
            let h = match parse::tcp_header(rest) {
                Ok(Some(h)) if (8..=MAX_TCP_LENGTH).contains(&h.length) => h,
                found => {
                    let detail = match found {
                        Ok(Some(h)) => format!("FINS/TCP length {} is impossible", h.length),
                        _ => "no FINS/TCP magic where a header should start".to_string(),
                    };
                    report(sink, PROTOCOL, "bad_tcp_header", Some(at), &detail);
                    match find_magic(data, at + 1) {
                        Some(k) => {
                            at = k;
                            continue;
                        }
                        None => {
                            self.resync[i] = true;
                            return Feed::Consumed(data.len().saturating_sub(3));
                        }
                    }
                }
            };
            let end = at + 8 + h.length as usize;
            let Some(message) = data.get(at..end) else {
                break;
            };
            let body = message.get(TCP_HEADER_LEN..).unwrap_or_default();
            if h.command == 2 {
                self.frame(dir, body, at + TCP_HEADER_LEN, sink);
            } else {
                tcp_message(dir, &h, body, sink);
            }
            at = end;
        }
        Feed::Consumed(at)
    }

    /// Handle one FINS frame found at `base` in the data fed.
    fn frame(&mut self, dir: Direction, frame: &[u8], base: usize, sink: &mut dyn EventSink) {
        let h = match parse::header(frame) {
            Ok(h) => h,
            Err(e) => return report(sink, PROTOCOL, e.code(), Some(base + e.offset()), &e),
        };
        if h.reserved_bits() != 0 || h.rsv != 0 {
            let detail = format_args!(
                "reserved ICF bits or RSV set: ICF {:#04x}, RSV {:#04x}",
                h.icf, h.rsv
            );
            report(sink, PROTOCOL, "reserved_bits", Some(base), &detail);
        }
        if command_name(h.command).is_none() {
            let detail = format_args!("command code {:#06x} is not assigned", h.command);
            report(sink, PROTOCOL, "unknown_command", Some(base + 10), &detail);
        }
        let params = frame.get(MIN_FRAME..).unwrap_or_default();
        let at = base + MIN_FRAME;
        if h.is_response() {
            let response = match parse::response(h.command, params, at) {
                Ok(r) => r,
                Err(e) => {
                    report(sink, PROTOCOL, e.code(), Some(e.offset()), &e);
                    let end_code = params
                        .get(..2)
                        .map_or(0, |b| u16::from_be_bytes([b[0], b[1]]));
                    Response {
                        end_code,
                        ..Response::default()
                    }
                }
            };
            self.identify(dir, &response, sink);
            return self.response(dir, h, &response, sink);
        }
        let command = parse::command(h.command, params, at).unwrap_or_else(|e: FinsError| {
            report(sink, PROTOCOL, e.code(), Some(e.offset()), &e);
            Command::default()
        });
        let pending = Pending {
            dir,
            header: h,
            command,
        };
        if !h.response_required() {
            return self.emit(&pending, None, sink);
        }
        let same = self
            .pending
            .iter()
            .position(|p| p.dir == dir && p.header.sid == h.sid);
        if let Some(old) = same.and_then(|i| self.pending.remove(i)) {
            self.emit(&old, None, sink);
        }
        if self.pending.len() >= self.max_transactions
            && let Some(oldest) = self.pending.pop_front()
        {
            let detail = format_args!(
                "more than {} unanswered commands; forgot SID {}",
                self.max_transactions, oldest.header.sid
            );
            report(sink, PROTOCOL, "too_many_transactions", None, &detail);
            self.emit(&oldest, None, sink);
        }
        if self.max_transactions == 0 {
            return self.emit(&pending, None, sink);
        }
        self.pending.push_back(pending);
    }

    fn response(&mut self, dir: Direction, h: Header, r: &Response<'_>, sink: &mut dyn EventSink) {
        let found = self.pending.iter().position(|p| {
            // Node addresses are not compared: a command to node 0 ("this node") is
            // answered from the node's own number, and FINS/TCP clients use the node
            // address the handshake gave them.
            p.dir == dir.reverse() && p.header.sid == h.sid && p.header.command == h.command
        });
        match found.and_then(|i| self.pending.remove(i)) {
            Some(p) => self.emit(&p, Some((&h, r)), sink),
            None => {
                let mut f = Fields::default();
                let labels = Labels::new(&h, None);
                labels.push_header(&mut f, &h);
                self.answer.fill(r);
                let outcome = Outcome::new(r);
                outcome.push(&mut f, r, &self.answer);
                emit(sink, "response", Some(dir), None, &f);
            }
        }
    }

    fn emit(
        &mut self,
        p: &Pending,
        answer: Option<(&Header, &Response<'_>)>,
        sink: &mut dyn EventSink,
    ) {
        let h = &p.header;
        let c = &p.command;
        let mut f = Fields::default();
        let labels = Labels::new(h, c.area);
        labels.push_header(&mut f, h);
        f.push("response_required", Value::Bool(h.response_required()));
        if let (Some(code), Some(area)) = (c.area, &labels.area) {
            f.push("memory_area_code", Value::U64(code.into()));
            f.push("memory_area", Value::Str(area.as_str()));
        }
        if let Some(a) = c.parameter_area {
            f.push("parameter_area_code", Value::U64(a.into()));
        }
        if let Some(a) = c.address {
            f.push("address", Value::U64(a.into()));
        }
        if let Some(b) = c.bit {
            f.push("bit", Value::U64(b.into()));
        }
        if let Some(n) = c.count {
            f.push("item_count", Value::U64(n.into()));
        }
        if let Some(n) = c.elements {
            f.push("element_count", Value::U64(n as u64));
        }
        if let Some(n) = c.program {
            f.push("program_number", Value::U64(n.into()));
        }
        if let Some(m) = c.mode {
            let name = match m {
                0x02 => "monitor",
                0x04 => "run",
                _ => "unknown",
            };
            f.push("mode", Value::Str(name));
            f.push("mode_code", Value::U64(m.into()));
        }
        self.clock.clear();
        if let Some(clock) = c.clock {
            parse::write_clock(clock, &mut self.clock);
            f.push("clock", Value::Str(&self.clock));
        }
        if c.password {
            f.push("password_present", Value::Bool(true));
        }
        let outcome = answer.map(|(_, r)| Outcome::new(r));
        if let (Some((_, r)), Some(o)) = (answer, &outcome) {
            self.answer.fill(r);
            o.push(&mut f, r, &self.answer);
        }
        let direction = answer.is_none().then_some(p.dir);
        emit(sink, "command", direction, activity(h.command), &f);
    }

    /// Report what a response says of the controller that sent it.
    fn identify(&self, dir: Direction, r: &Response<'_>, sink: &mut dyn EventSink) {
        let subject = dir.sender();
        if let Some(model) = r.model {
            let model = rampart_dissect::text(model);
            identify(
                sink,
                PROTOCOL,
                subject,
                Attribute::Model,
                &model,
                Confidence::STATED,
            );
            let version = rampart_dissect::text(r.version.unwrap_or_default());
            identify(
                sink,
                PROTOCOL,
                subject,
                Attribute::Firmware,
                &version,
                Confidence::STATED,
            );
            // FINS is Omron's protocol, and a controller data read answers with an Omron
            // model; other makers' FINS gateways answer with their own model names.
            identify(
                sink,
                PROTOCOL,
                subject,
                Attribute::Vendor,
                "Omron",
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
        }
        if let Some((status, mode)) = r.status {
            let mode = plc_mode(status, mode);
            identify(
                sink,
                PROTOCOL,
                subject,
                Attribute::PlcMode,
                mode,
                Confidence::STATED,
            );
        }
    }
}

/// Report a FINS/TCP message other than a FINS frame.
fn tcp_message(dir: Direction, h: &parse::TcpHeader, body: &[u8], sink: &mut dyn EventSink) {
    let mut f = Fields::default();
    let name = Label::code(tcp_command_name(h.command), h.command.into(), 8);
    f.push("tcp_command", Value::Str(name.as_str()));
    f.push("tcp_command_code", Value::U64(h.command.into()));
    f.push("error_code", Value::U64(h.error.into()));
    let node = |i: usize| {
        body.get(i..i + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    match h.command {
        0 | 1 => {
            if let Some(n) = node(0) {
                f.push("client_node", Value::U64(n.into()));
            }
            if let Some(n) = node(4).filter(|_| h.command == 1) {
                f.push("server_node", Value::U64(n.into()));
            }
        }
        _ => {}
    }
    let kind = if h.command <= 1 {
        "node_address"
    } else {
        "tcp_message"
    };
    crate::record::emit(sink, PROTOCOL, kind, Some(dir), None, f.fields());
}

/// Labels for a frame's fields, made before the fields borrow them.
struct Labels {
    command: Label,
    area: Option<Label>,
}

impl Labels {
    fn new(h: &Header, area: Option<u8>) -> Labels {
        Labels {
            command: Label::code(command_name(h.command), h.command.into(), 4),
            area: area.map(|a| Label::code(memory_area_name(a), a.into(), 2)),
        }
    }

    fn push_header<'a>(&'a self, f: &mut Fields<'a>, h: &Header) {
        f.push("icf", Value::U64(h.icf.into()));
        f.push("gct", Value::U64(h.gct.into()));
        let [dna, da1, da2] = h.destination;
        let [sna, sa1, sa2] = h.source;
        for (name, v) in [
            ("dna", dna),
            ("da1", da1),
            ("da2", da2),
            ("sna", sna),
            ("sa1", sa1),
            ("sa2", sa2),
            ("sid", h.sid),
        ] {
            f.push(name, Value::U64(v.into()));
        }
        f.push("command_code", Value::U64(h.command.into()));
        f.push("command", Value::Str(self.command.as_str()));
    }
}

/// Labels for a response's fields.
struct Outcome {
    end_code: Label,
}

impl Outcome {
    fn new(r: &Response<'_>) -> Outcome {
        let main = (r.end_code >> 8) as u8;
        Outcome {
            end_code: Label::code(end_code_name(main), (main & 0x7f).into(), 2),
        }
    }

    fn push<'a>(&'a self, f: &mut Fields<'a>, r: &Response<'_>, texts: &'a Texts) {
        let [main, sub] = r.end_code.to_be_bytes();
        f.push("end_code", Value::U64(r.end_code.into()));
        f.push("main_code", Value::U64((main & 0x7f).into()));
        f.push("sub_code", Value::U64((sub & 0x3f).into()));
        f.push("end_code_name", Value::Str(self.end_code.as_str()));
        if main & 0x80 != 0 {
            f.push("network_relay_error", Value::Bool(true));
        }
        if sub & 0x80 != 0 {
            f.push("fatal_cpu_error", Value::Bool(true));
        }
        if sub & 0x40 != 0 {
            f.push("non_fatal_cpu_error", Value::Bool(true));
        }
        f.push("response_length", Value::U64(r.data.len() as u64));
        if let Some((status, mode)) = r.status {
            f.push("plc_mode", Value::Str(plc_mode(status, mode)));
        }
        for (name, text) in [
            ("controller_clock", &texts.clock),
            ("controller_model", &texts.model),
            ("controller_version", &texts.version),
        ] {
            if !text.is_empty() {
                f.push(name, Value::Str(text));
            }
        }
    }
}

fn emit(
    sink: &mut dyn EventSink,
    kind: &str,
    direction: Option<Direction>,
    activity: Option<Activity>,
    f: &Fields<'_>,
) {
    crate::record::emit(sink, PROTOCOL, kind, direction, activity, f.fields());
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_event::CollectingSink;

    /// A FINS frame: ICF, RSV 0, GCT 2, destination node 0x0a, source node 0x01, SID, the
    /// command code and its parameters (W342 §5-1).
    fn frame(icf: u8, sid: u8, command: u16, params: &[u8]) -> Vec<u8> {
        let mut f = vec![icf, 0x00, 0x02, 0x00, 0x0a, 0x00, 0x00, 0x01, 0x00, sid];
        f.extend_from_slice(&command.to_be_bytes());
        f.extend_from_slice(params);
        f
    }

    /// Wrap a FINS frame in a FINS/TCP frame-send header (W342 §7-4-2).
    fn over_tcp(frame: &[u8]) -> Vec<u8> {
        let mut m = b"FINS".to_vec();
        m.extend_from_slice(&u32::try_from(frame.len() + 8).expect("small").to_be_bytes());
        m.extend_from_slice(&[0, 0, 0, 2, 0, 0, 0, 0]); // command 2: FINS frame; no error
        m.extend_from_slice(frame);
        m
    }

    #[test]
    fn pairs_a_stop_with_its_response_by_sid() {
        let mut d = FinsDissector::new(Transport::Udp, 8);
        let mut sink = CollectingSink::default();
        d.feed(
            Direction::ToServer,
            &frame(0x80, 5, 0x0402, &[0xff, 0xff]),
            &mut sink,
        );
        d.feed(
            Direction::ToClient,
            &frame(0xc0, 5, 0x0402, &[0x00, 0x00]),
            &mut sink,
        );
        assert_eq!(
            sink.matching("record"),
            vec![
                r#"record fins command transaction [plc_stop] {"icf":128,"gct":2,"dna":0,"da1":10,"da2":0,"sna":0,"sa1":1,"sa2":0,"sid":5,"command_code":1026,"command":"stop","response_required":true,"end_code":0,"main_code":0,"sub_code":0,"end_code_name":"normal_completion","response_length":0}"#
            ]
        );
    }

    #[test]
    fn identifies_the_controller_and_its_mode() {
        let mut d = FinsDissector::new(Transport::Udp, 8);
        let mut sink = CollectingSink::default();
        let mut data = vec![0x00, 0x00]; // normal completion
        data.extend_from_slice(b"CJ2M-CPU31\0\0\0\0\0\0\0\0\0\0"); // model, 20 bytes
        data.extend_from_slice(b"02.01\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"); // version, 20 bytes
        d.feed(
            Direction::ToServer,
            &frame(0x80, 1, 0x0501, &[0x00]),
            &mut sink,
        );
        d.feed(
            Direction::ToClient,
            &frame(0xc0, 1, 0x0501, &data),
            &mut sink,
        );
        let status = [0x00, 0x00, 0x01, 0x04, 0, 0, 0, 0]; // running, RUN mode
        d.feed(
            Direction::ToClient,
            &frame(0xc0, 2, 0x0601, &status),
            &mut sink,
        );
        assert_eq!(
            sink.matching("identity"),
            vec![
                "identity fins Server model CJ2M-CPU31",
                "identity fins Server firmware 02.01",
                "identity fins Server vendor Omron",
                "identity fins Server device_type plc",
                "identity fins Server plc_mode run",
            ]
        );
        assert!(
            sink.matching("record fins command transaction [identify]")[0]
                .contains(r#""controller_model":"CJ2M-CPU31","controller_version":"02.01""#)
        );
        assert!(sink.matching("record fins response response")[0].contains(r#""plc_mode":"run""#));
    }

    #[test]
    fn frames_fins_tcp_across_deliveries_and_resynchronises() {
        let mut d = FinsDissector::new(Transport::Tcp, 8);
        let mut sink = CollectingSink::default();
        let handshake = b"FINS\0\0\0\x0c\0\0\0\0\0\0\0\0\0\0\0\x05";
        assert_eq!(
            d.feed(Direction::ToServer, handshake, &mut sink),
            Feed::Consumed(20)
        );
        let read = over_tcp(&frame(
            0x80,
            9,
            0x0101,
            &[0x82, 0x00, 0x64, 0x00, 0x00, 0x0a],
        ));
        assert_eq!(
            d.feed(Direction::ToServer, &read[..10], &mut sink),
            Feed::Consumed(0)
        );
        let mut garbage = b"xx".to_vec();
        garbage.extend_from_slice(&read);
        assert_eq!(
            d.feed(Direction::ToServer, &garbage, &mut sink),
            Feed::Consumed(garbage.len())
        );
        assert_eq!(sink.anomalies("bad_tcp_header"), 1);
        d.close(&mut sink);
        let records = sink.matching("record");
        assert!(records[0].starts_with(
            r#"record fins node_address request {"tcp_command":"node_address_client_to_server","tcp_command_code":0,"error_code":0,"client_node":5}"#
        ));
        assert!(records[1].contains(r#""memory_area_code":130,"memory_area":"dm_word","address":100,"bit":0,"item_count":10"#));
    }

    #[test]
    fn reports_short_frames_and_unknown_commands() {
        let mut d = FinsDissector::new(Transport::Udp, 8);
        let mut sink = CollectingSink::default();
        d.feed(Direction::ToServer, &[0x80, 0x00, 0x02], &mut sink);
        assert_eq!(sink.anomalies("truncated"), 1);
        d.feed(Direction::ToServer, &frame(0x81, 3, 0x7f01, &[]), &mut sink);
        assert_eq!(sink.anomalies("unknown_command"), 1);
        assert!(
            sink.matching("record fins command request")[0]
                .contains(r#""command":"0x7f01 (unknown)""#)
        );
    }
}
