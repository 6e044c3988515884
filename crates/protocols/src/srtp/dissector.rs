//! SRTP streams to events: 56-byte headers and their text buffers, requests paired with
//! replies by sequence number, one record per transaction, the PLC state replies state.

use rampart_dissect::{
    Attribute, Confidence, Direction, Dissector, Event, EventSink, Feed, FieldList, Record,
    Subject, Value, identify, report,
};

use super::message::{
    HEADER_LEN, Message, PacketType, SHORT_ACK, message_type_name, plc_state, segment_name,
    status_name,
};
use super::parse;
use crate::label::Label;
use crate::transactions::Outstanding;

const PROTOCOL: &str = "srtp";

type Fields32<'a> = FieldList<'a, 32>;

/// Per-flow SRTP state.
pub struct SrtpDissector {
    pending: Outstanding<u16>,
    synced: [bool; 2],
    /// The PLC mode last reported, so that a poll reports it once.
    mode: Option<&'static str>,
}

impl SrtpDissector {
    /// Start a flow, keeping at most `max_transactions` unanswered requests.
    pub fn new(max_transactions: usize) -> SrtpDissector {
        SrtpDissector {
            pending: Outstanding::new(max_transactions),
            synced: [true; 2],
            mode: None,
        }
    }

    fn message(&mut self, m: &Message<'_>, raw: &[u8], sink: &mut dyn EventSink) {
        if !m.packet_type.is_response() {
            if let Some((_, old)) = self.pending.push(m.sequence, raw) {
                if self.pending.limit() > 0 {
                    let detail = format_args!(
                        "more than {} requests awaiting replies",
                        self.pending.limit()
                    );
                    report(sink, PROTOCOL, "too_many_transactions", None, &detail);
                }
                self.emit_raw(Some(&old), None, sink);
                self.pending.recycle(old);
            }
            return;
        }
        let request = self.pending.take(|&s| s == m.sequence);
        self.emit_raw(request.as_ref().map(|(_, r)| r.as_slice()), Some(raw), sink);
        if let Some((_, r)) = request {
            self.pending.recycle(r);
        }
    }

    fn emit_raw(&mut self, req: Option<&[u8]>, resp: Option<&[u8]>, sink: &mut dyn EventSink) {
        let request = req.and_then(|raw| parse::header(raw).ok().flatten());
        let reply = resp.and_then(|raw| parse::header(raw).ok().flatten());
        let mode = self.emit(request.as_ref(), reply.as_ref(), sink);
        if let Some(mode) = mode.filter(|m| self.mode != Some(m)) {
            self.mode = Some(mode);
            identify(
                sink,
                PROTOCOL,
                Subject::Server,
                Attribute::PlcMode,
                mode,
                Confidence::STATED,
            );
        }
    }

    /// Emit one transaction's record; return the PLC mode its reply states.
    fn emit(
        &self,
        req: Option<&Message<'_>>,
        resp: Option<&Message<'_>>,
        sink: &mut dyn EventSink,
    ) -> Option<&'static str> {
        let first = req.or(resp)?;
        let service = req
            .filter(|r| r.packet_type == PacketType::REQUEST)
            .map(parse::service_request);
        if let Some(s) = service.filter(|s| s.service.name().is_none()) {
            let detail = format_args!("service request code 0x{:02x}", s.service.0);
            report(sink, PROTOCOL, "unknown_service", Some(42), &detail);
        }
        let service_name = service.map(|s| match s.service.name() {
            Some(n) => Label::name(n),
            None => Label::display(&format_args!("0x{:02x} (unknown)", s.service.0)),
        });
        let status = resp
            .filter(|r| r.packet_type == PacketType::RESPONSE)
            .map(|r| (r.message_type, parse::status(r)));
        let state = status
            .filter(|(t, _)| *t == SHORT_ACK)
            .and_then(|(_, s)| plc_state(s.word >> 12));

        let mut f = Fields32::default();
        f.push("sequence", Value::U64(first.sequence.into()));
        let service_message =
            |m: &&Message<'_>| matches!(m.packet_type, PacketType::REQUEST | PacketType::RESPONSE);
        for (prefix, m) in [("request", req), ("response", resp)] {
            let Some(m) = m.filter(service_message) else {
                continue;
            };
            let (t, n) = if prefix == "request" {
                ("request_message_type", "request_type")
            } else {
                ("response_message_type", "response_type")
            };
            f.push(t, Value::U64(m.message_type.into()));
            f.push(
                n,
                Value::Str(message_type_name(m.message_type).unwrap_or("unknown")),
            );
        }
        if let Some(r) = req.filter(service_message) {
            f.push(
                "mailbox_destination",
                Value::U64(r.mailbox_destination.into()),
            );
        }
        if let (Some(s), Some(n)) = (&service, &service_name) {
            f.push("service_code", Value::U64(s.service.0.into()));
            f.push("service", Value::Str(n.as_str()));
            if let Some((segment, access)) = segment_name(s.selector) {
                f.push("segment_selector", Value::U64(s.selector.into()));
                f.push("segment", Value::Str(segment));
                f.push("access", Value::Str(access));
                f.push("index", Value::U64(s.index.into()));
                f.push("count", Value::U64(s.count.into()));
            }
        }
        let text = req.map_or(0, |r| r.text.len()) + resp.map_or(0, |r| r.text.len());
        if text > 0 {
            f.push("text_length", Value::U64(text as u64));
        }
        if let Some((_, s)) = &status {
            f.push("status_code", Value::U64(s.major.into()));
            f.push(
                "status",
                Value::Str(status_name(s.major).unwrap_or("unknown")),
            );
            f.push("minor_status_code", Value::U64(s.minor.into()));
            f.push("privilege_level", Value::U64(s.privilege.into()));
            f.push("plc_status_word", Value::U64(s.word.into()));
        }
        if let Some((name, _)) = state {
            f.push("plc_state", Value::Str(name));
        }
        let kind = match first.packet_type {
            PacketType::INIT | PacketType::INIT_ACK => "init",
            _ => service
                .and_then(|s| s.service.name())
                .unwrap_or("unknown_service"),
        };
        let activity = match first.packet_type {
            PacketType::INIT | PacketType::INIT_ACK => Some(rampart_event::Activity::Session),
            _ => service.and_then(|s| s.service.activity()),
        };
        let direction = match (req, resp) {
            (Some(_), Some(_)) => None,
            (Some(_), None) => Some(Direction::ToServer),
            _ => Some(Direction::ToClient),
        };
        sink.emit(Event::Record(Record {
            protocol: PROTOCOL,
            kind,
            direction,
            activity,
            fields: f.fields(),
        }));
        state.map(|(_, mode)| mode)
    }
}

impl Dissector for SrtpDissector {
    fn feed(&mut self, dir: Direction, data: &[u8], sink: &mut dyn EventSink) -> Feed {
        let i = dir.index();
        let mut at = 0;
        while let Some(rest) = data.get(at..).filter(|r| !r.is_empty()) {
            let m = match parse::header(rest) {
                Ok(Some(m)) => m,
                Ok(None) => break,
                Err(e) => {
                    if self.synced[i] {
                        report(sink, PROTOCOL, "bad_header", Some(at), &e);
                    }
                    self.synced[i] = false;
                    at += 1;
                    continue;
                }
            };
            let total = parse::total(&m);
            let Some(raw) = rest.get(..total) else {
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
            if m.packet_type.is_response() != (dir == Direction::ToClient) {
                let detail = format_args!(
                    "packet type {} travelling {}",
                    m.packet_type.0,
                    dir.as_str()
                );
                report(sink, PROTOCOL, "unexpected_direction", Some(at), &detail);
            }
            if m.packet.1 > 1 {
                let detail = format_args!(
                    "packet {} of {}: the parts are not joined",
                    m.packet.0, m.packet.1
                );
                report(
                    sink,
                    PROTOCOL,
                    "multi_packet_message",
                    Some(at + 40),
                    &detail,
                );
            }
            self.message(&m, raw, sink);
            at += total.max(HEADER_LEN);
        }
        Feed::Consumed(at)
    }

    fn gap(&mut self, dir: Direction, _len: u64, _sink: &mut dyn EventSink) {
        self.synced[dir.index()] = false;
    }

    fn close(&mut self, sink: &mut dyn EventSink) {
        while let Some((_, m)) = self.pending.pop_front() {
            self.emit_raw(Some(&m), None, sink);
            self.pending.recycle(m);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::srtp::parse::tests::read_registers;
    use rampart_dissect::{Session, Transport};
    use rampart_event::CollectingSink;

    /// The reply to `read_registers`: an ACK with a text buffer of 8 bytes, as an RX3i sends
    /// it (header and text in two segments).
    fn registers_reply(sequence: u8) -> (Vec<u8>, Vec<u8>) {
        let mut m = read_registers(sequence).to_vec();
        m[0] = 0x03; // packet type: response
        m[4] = 8; // text length 8
        m[31] = 0x94; // ACK with text buffer
        m[42] = 0x00; // no error
        m[43] = 0x00; // no minor error
        (m, vec![0x01, 0x00, 0x02, 0x00, 0x03, 0x00, 0x04, 0x00])
    }

    fn session() -> Session {
        Session::new(&super::super::REGISTRATION, Transport::Tcp)
    }

    #[test]
    fn pairs_a_reply_with_its_request_by_sequence_number() {
        let mut sink = CollectingSink::default();
        let mut s = session();
        s.deliver(Direction::ToServer, &[0u8; 56], &mut sink); // INIT
        let mut init_ack = [0u8; 56];
        init_ack[0] = 0x01;
        init_ack[8] = 0x0f;
        s.deliver(Direction::ToClient, &init_ack, &mut sink);
        s.deliver(Direction::ToServer, &read_registers(3), &mut sink);
        let (head, text) = registers_reply(3);
        s.deliver(Direction::ToClient, &head, &mut sink);
        s.deliver(Direction::ToClient, &text, &mut sink);
        assert_eq!(
            sink.matching("record"),
            vec![
                r#"record srtp init transaction [session] {"sequence":0}"#,
                r#"record srtp read_system_memory transaction [read] {"sequence":3,"request_message_type":192,"request_type":"request","response_message_type":148,"response_type":"ack_with_text","mailbox_destination":3600,"service_code":4,"service":"read_system_memory","segment_selector":8,"segment":"%R","access":"word","index":0,"count":4,"text_length":8,"status_code":0,"status":"no_error","minor_status_code":0,"privilege_level":0,"plc_status_word":0}"#,
            ]
        );
    }

    #[test]
    fn classifies_program_transfer_and_reports_the_plc_state_once() {
        let mut sink = CollectingSink::default();
        let mut s = session();
        for seq in 1..=2u8 {
            let mut store = read_registers(seq);
            store[42] = 0x3f; // program store: upload from the PLC
            store[43] = 0x00;
            s.deliver(Direction::ToServer, &store, &mut sink);
            let mut ack = read_registers(seq);
            ack[0] = 0x03;
            ack[31] = 0xd4; // short ACK
            ack[42] = 0x00;
            ack[43] = 0x00;
            ack[54..56].copy_from_slice(&0x6000u16.to_le_bytes()); // state 6: stop, I/O enabled
            s.deliver(Direction::ToClient, &ack, &mut sink);
        }
        assert_eq!(
            sink.matching("record srtp program_store transaction [program_upload]")
                .len(),
            2
        );
        assert!(
            sink.matching("record")[0]
                .ends_with(r#""plc_status_word":24576,"plc_state":"stop_io_enabled"}"#)
        );
        assert_eq!(
            sink.matching("identity"),
            vec!["identity srtp Server plc_mode stop"]
        );
    }

    #[test]
    fn resynchronises_after_garbage_and_reports_unanswered_requests() {
        let mut sink = CollectingSink::default();
        let mut s = session();
        let mut data = vec![0xee; 10];
        let mut stop = read_registers(9);
        stop[42] = 0x23; // set PLC state
        stop[43] = 0x00;
        data.extend_from_slice(&stop);
        s.deliver(Direction::ToServer, &data, &mut sink);
        s.close(&mut sink);
        assert_eq!(sink.anomalies("bad_header"), 1);
        assert_eq!(sink.anomalies("resynchronised"), 1);
        assert_eq!(
            sink.matching("record srtp set_plc_state request [mode_change]")
                .len(),
            1
        );
    }
}
