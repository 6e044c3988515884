//! BACnet/IP datagrams to events: confirmed requests paired with their answers by invoke id
//! and peer, unconfirmed requests, network and BVLC messages as records; what devices say of
//! themselves as identity; passwords of ReinitializeDevice and DeviceCommunicationControl as
//! cleartext-credential findings.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddrV4};

use rampart_event::Activity;

use rampart_dissect::{
    Attribute, Confidence, Direction, Dissector, Event, EventSink, Feed, FieldList, Finding,
    FindingKind, Subject, Value, identify, report,
};

use super::message::{
    BvlcFunction, ConfirmedService, NetworkMessage, ObjectId, PduType, PropertyId,
    UnconfirmedService, abort_reason_name, bvlc_result_name, enable_disable_name, error_class_name,
    error_code_name, max_apdu_octets, max_segments, network_reject_name, object_type_name,
    priority_name, reinitialize_activity, reinitialized_state_name, reject_reason_name,
    segmentation_name,
};
use super::parse::{self, Apdu, BacnetError, Bvlc, NetworkFields, Npdu, Segment};
use super::service::{self, Body, Details};
use super::tag::Tags;
use crate::inline::InlineText;
use crate::label::Label;

const PROTOCOL: &str = "bacnet";
/// Bytes of a request's value kept while it waits for its answer.
const KEPT_VALUE: usize = 96;

/// The fields of one record.
type Fields<'a> = FieldList<'a, 64>;

/// A BACnet network address: network number (0 for the local network) and MAC address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Peer {
    net: u16,
    addr: [u8; 8],
    len: u8,
}

impl Peer {
    fn new(net: Option<u16>, addr: &[u8]) -> Peer {
        let mut p = Peer {
            net: net.unwrap_or(0),
            ..Peer::default()
        };
        let n = addr.len().min(8);
        p.addr[..n].copy_from_slice(&addr[..n]);
        p.len = n as u8;
        p
    }

    fn addr(&self) -> &[u8] {
        &self.addr[..usize::from(self.len)]
    }
}

/// A request's value, kept until its answer.
type Inline = InlineText<KEPT_VALUE>;

/// The link and network headers of one message, as its record shows them.
#[derive(Debug, Clone, Copy)]
struct Header {
    bvlc: BvlcFunction,
    origin: Option<SocketAddrV4>,
    destination: Option<Peer>,
    source: Option<Peer>,
    hop_count: Option<u8>,
    priority: u8,
}

impl Header {
    fn new(b: &Bvlc<'_>, n: &Npdu<'_>) -> Header {
        Header {
            bvlc: b.function,
            origin: b.origin,
            destination: n.dnet.map(|net| Peer::new(Some(net), n.dadr)),
            source: n.snet.map(|net| Peer::new(Some(net), n.sadr)),
            hop_count: n.hop_count,
            priority: n.priority(),
        }
    }

    fn bvlc_only(b: &Bvlc<'_>) -> Header {
        Header {
            bvlc: b.function,
            origin: b.origin,
            destination: None,
            source: None,
            hop_count: None,
            priority: 0,
        }
    }
}

/// What a confirmed request said, kept until its answer comes.
#[derive(Debug, Clone, Copy)]
struct Request {
    invoke_id: u8,
    dir: Direction,
    /// The device the request went to: its answer comes from there.
    peer: Peer,
    header: Header,
    service: ConfirmedService,
    segmented_response_accepted: bool,
    max_segments: u8,
    max_apdu: u8,
    segment: Option<Segment>,
    expecting_reply: bool,
    object: Option<ObjectId>,
    property: Option<PropertyId>,
    array_index: Option<u64>,
    value: Option<Inline>,
    write_priority: Option<u64>,
    item_count: usize,
    state: Option<u64>,
    enable_disable: Option<u64>,
    duration: Option<u64>,
    file_access: Option<&'static str>,
    file_start: Option<i64>,
    file_count: Option<u64>,
    process_id: Option<u64>,
    vendor_id: Option<u64>,
    service_number: Option<u64>,
    /// A password was given.
    password: bool,
}

/// What the answer to a confirmed request was.
#[derive(Debug, Clone, Copy)]
struct Answer {
    pdu_type: PduType,
    bvlc: BvlcFunction,
    service: Option<ConfirmedService>,
    segment: Option<Segment>,
    reason: Option<u8>,
    by_server: Option<bool>,
}

/// Per-flow BACnet state.
pub(super) struct BacnetDissector {
    max_transactions: usize,
    pending: VecDeque<Request>,
    details: Details,
    networks: NetworkFields,
    /// Passwords already reported: (subject, accepted).
    reported: Vec<(Subject, Option<bool>)>,
    /// Roles already reported, by name.
    roles: Vec<&'static str>,
    /// A foreign-device registration was sent, per direction.
    registration: [bool; 2],
    text: String,
}

impl BacnetDissector {
    /// Start a flow keeping at most `max_transactions` unanswered requests.
    pub(super) fn new(max_transactions: usize) -> BacnetDissector {
        BacnetDissector {
            max_transactions,
            pending: VecDeque::new(),
            details: Details::default(),
            networks: NetworkFields::default(),
            reported: Vec::new(),
            roles: Vec::new(),
            registration: [false; 2],
            text: String::new(),
        }
    }
}

/// Tell who sent a message, as far as the inventory can place it: the BBMD's originator of
/// a Forwarded-NPDU, nobody for a message routed from another BACnet network (the IP sender
/// is a router), else the flow side that sent it.
fn sender(dir: Direction, header: &Header) -> Option<Subject> {
    if header.source.is_some() {
        return None;
    }
    Some(match header.origin {
        Some(addr) => Subject::Host {
            mac: None,
            ip: Some(IpAddr::V4(*addr.ip())),
        },
        None => dir.sender(),
    })
}

impl Dissector for BacnetDissector {
    fn feed(&mut self, dir: Direction, data: &[u8], sink: &mut dyn EventSink) -> Feed {
        self.datagram(dir, data, sink);
        Feed::Consumed(data.len())
    }

    fn close(&mut self, sink: &mut dyn EventSink) {
        while let Some(request) = self.pending.pop_front() {
            self.details.clear();
            self.emit_confirmed(&request, None, sink);
        }
    }
}

impl BacnetDissector {
    fn datagram(&mut self, dir: Direction, data: &[u8], sink: &mut dyn EventSink) {
        let b = match parse::bvlc(data) {
            Ok(b) => b,
            Err(e) => return report(sink, PROTOCOL, e.code(), Some(e.offset()), &e),
        };
        if let Some(e) = b.length_mismatch {
            report(sink, PROTOCOL, e.code(), Some(e.offset()), &e);
        }
        if b.function.name().is_none() {
            let detail = format_args!("BVLC function {:#04x} is not assigned", b.function.0);
            report(sink, PROTOCOL, "unknown_bvlc_function", Some(1), &detail);
        }
        let Some(body) = b.npdu else {
            return self.bvlc_message(dir, &b, sink);
        };
        if b.function == BvlcFunction::FORWARDED_NPDU {
            self.role(dir.sender(), "bacnet bbmd", sink);
        }
        let n = match parse::npdu(body, b.npdu_offset) {
            Ok(n) => n,
            Err(e) => return report(sink, PROTOCOL, e.code(), Some(e.offset()), &e),
        };
        check_npdu(&n, b.npdu_offset, sink);
        let header = Header::new(&b, &n);
        match n.message {
            Some(kind) => self.network_message(dir, &header, kind, &n, sink),
            None => match parse::apdu(n.body, n.body_offset) {
                Ok(a) => self.apdu(dir, &header, &n, &a, sink),
                Err(e) => report(sink, PROTOCOL, e.code(), Some(e.offset()), &e),
            },
        }
    }

    fn role(&mut self, subject: Subject, role: &'static str, sink: &mut dyn EventSink) {
        if self.roles.contains(&role) {
            return;
        }
        self.roles.push(role);
        identify(
            sink,
            PROTOCOL,
            subject,
            Attribute::Role,
            role,
            Confidence::STATED,
        );
    }

    fn bvlc_message(&mut self, dir: Direction, b: &Bvlc<'_>, sink: &mut dyn EventSink) {
        let function = b.function;
        if function == BvlcFunction::REGISTER_FOREIGN_DEVICE {
            self.registration[dir.index()] = true;
        }
        let accepted_registration = b.result == Some(0) && self.registration[dir.reverse().index()];
        if function == BvlcFunction::READ_BDT_ACK
            || function == BvlcFunction::READ_FDT_ACK
            || accepted_registration
        {
            self.role(dir.sender(), "bacnet bbmd", sink);
        }
        let mut f = Fields::default();
        let header = Header::bvlc_only(b);
        let labels = HeaderLabels::new(&header);
        labels.push(&mut f, &header, &mut self.text);
        let result = b
            .result
            .map(|code| Label::code(bvlc_result_name(code), code.into(), 4));
        if let (Some(code), Some(label)) = (b.result, &result) {
            f.push("result", Value::Str(label.as_str()));
            f.push("result_code", Value::U64(code.into()));
        }
        if let Some(ttl) = b.ttl {
            f.push("ttl", Value::U64(ttl.into()));
        }
        if let Some(n) = b.entries {
            f.push("entries", Value::U64(n as u64));
        }
        let activity = match function.0 {
            0x01 | 0x08 => Some(Activity::ConfigChange),
            0x02 | 0x06 => Some(Activity::Diagnostics),
            0x05 => Some(Activity::Session),
            _ => None,
        };
        emit(sink, "bvlc", Some(dir), activity, &f);
    }

    fn network_message(
        &mut self,
        dir: Direction,
        header: &Header,
        kind: NetworkMessage,
        n: &Npdu<'_>,
        sink: &mut dyn EventSink,
    ) {
        if let Err(e) = parse::network_message(kind, n.body, n.body_offset, &mut self.networks) {
            report(sink, PROTOCOL, e.code(), Some(e.offset()), &e);
        }
        if let (NetworkMessage::I_AM_ROUTER, Some(subject)) = (kind, sender(dir, header)) {
            self.role(subject, "bacnet router", sink);
        }
        let mut f = Fields::default();
        let labels = HeaderLabels::new(header);
        labels.push(&mut f, header, &mut self.text);
        let name = Label::code(kind.name(), kind.0.into(), 2);
        f.push("message_type", Value::Str(name.as_str()));
        f.push("message_type_code", Value::U64(kind.0.into()));
        if let Some(v) = n.vendor_id {
            f.push("vendor_id", Value::U64(v.into()));
        }
        let nets = &self.networks;
        if !nets.networks.is_empty() {
            f.push("networks", Value::U64s(&nets.networks));
        }
        let reject = nets
            .reject_reason
            .map(|r| Label::code(network_reject_name(r), r.into(), 2));
        if let (Some(code), Some(label)) = (nets.reject_reason, &reject) {
            f.push("reject_reason", Value::Str(label.as_str()));
            f.push("reject_reason_code", Value::U64(code.into()));
        }
        if let Some(p) = nets.performance_index {
            f.push("performance_index", Value::U64(p.into()));
        }
        if let Some(c) = nets.configured {
            f.push("configured", Value::Bool(c));
        }
        let activity = match kind.0 {
            0x00 | 0x12 => Some(Activity::Identify),
            0x06 => Some(Activity::ConfigChange),
            _ => None,
        };
        emit(sink, "network_message", Some(dir), activity, &f);
    }

    fn apdu(
        &mut self,
        dir: Direction,
        header: &Header,
        n: &Npdu<'_>,
        a: &Apdu<'_>,
        sink: &mut dyn EventSink,
    ) {
        self.details.clear();
        match *a {
            Apdu::Confirmed {
                invoke_id,
                service,
                segmented_response_accepted,
                max_segments,
                max_apdu,
                segment,
                params,
                params_offset,
            } => {
                unknown_service(service.name(), service.0, "confirmed", sink);
                if segment.is_some_and(|s| s.sequence > 0) {
                    return self.segment(dir, header, a, sink);
                }
                let partial = segment.is_some_and(|s| s.more_follows);
                self.decode(Body::Request(service), params, params_offset, partial, sink);
                let d = &self.details;
                let request = Request {
                    invoke_id,
                    dir,
                    peer: Peer::new(n.dnet, n.dadr),
                    header: *header,
                    service,
                    segmented_response_accepted,
                    max_segments,
                    max_apdu,
                    segment,
                    expecting_reply: n.expecting_reply(),
                    object: d.object,
                    property: d.property,
                    array_index: d.array_index,
                    value: d.has_value.then(|| Inline::new(&d.value)),
                    write_priority: d.write_priority,
                    item_count: d.item_count,
                    state: d.state,
                    enable_disable: d.enable_disable,
                    duration: d.duration,
                    file_access: d.file_access,
                    file_start: d.file_start,
                    file_count: d.file_count,
                    process_id: d.process_id,
                    vendor_id: d.vendor_id,
                    service_number: d.service_number,
                    password: d.password.is_some(),
                };
                if !request.expecting_reply {
                    let detail = format_args!(
                        "confirmed request {} (invoke id {invoke_id}) without the expecting-reply bit",
                        service.name().unwrap_or("unknown")
                    );
                    report(sink, PROTOCOL, "expecting_reply_missing", None, &detail);
                }
                self.track(request, sink);
            }
            Apdu::Unconfirmed {
                service,
                params,
                params_offset,
            } => {
                unknown_service(service.name(), service.0, "unconfirmed", sink);
                self.decode(
                    Body::Unconfirmed(service),
                    params,
                    params_offset,
                    false,
                    sink,
                );
                self.unconfirmed(dir, header, service, sink);
            }
            Apdu::SimpleAck { invoke_id, service } => {
                let answer = answer_of(a, header, Some(service), None);
                self.answer(dir, n, invoke_id, answer, sink);
            }
            Apdu::ComplexAck {
                invoke_id,
                service,
                segment,
                params,
                params_offset,
            } => {
                if segment.is_some_and(|s| s.sequence > 0) {
                    return self.segment(dir, header, a, sink);
                }
                let partial = segment.is_some_and(|s| s.more_follows);
                self.decode(Body::Ack(service), params, params_offset, partial, sink);
                let answer = answer_of(a, header, Some(service), segment);
                self.identify_from_ack(dir, header, sink);
                self.answer(dir, n, invoke_id, answer, sink);
            }
            Apdu::Error {
                invoke_id,
                service,
                params,
                params_offset,
            } => {
                self.decode(Body::Error(service), params, params_offset, false, sink);
                let answer = answer_of(a, header, Some(service), None);
                self.answer(dir, n, invoke_id, answer, sink);
            }
            Apdu::Reject { invoke_id, .. } | Apdu::Abort { invoke_id, .. } => {
                let answer = answer_of(a, header, None, None);
                self.answer(dir, n, invoke_id, answer, sink);
            }
            Apdu::SegmentAck { .. } => self.segment(dir, header, a, sink),
            Apdu::Reserved(t) => {
                let detail = format_args!("APDU type {} is reserved", t.0);
                report(sink, PROTOCOL, "reserved_pdu_type", None, &detail);
                let mut f = Fields::default();
                let labels = HeaderLabels::new(header);
                labels.push(&mut f, header, &mut self.text);
                let label = Label::code(None, t.0.into(), 2);
                f.push("pdu_type", Value::Str(label.as_str()));
                f.push("pdu_type_code", Value::U64(t.0.into()));
                emit(sink, "reserved_pdu", Some(dir), None, &f);
            }
        }
    }

    /// Read a PDU's service parameters into the details, reporting what is wrong. The first
    /// segment of a segmented message is cut mid-parameter by design.
    fn decode(
        &mut self,
        body: Body,
        params: &[u8],
        base: usize,
        partial: bool,
        sink: &mut dyn EventSink,
    ) {
        let mut tags = Tags::new(params, base);
        let result = service::decode(body, &mut tags, &mut self.details);
        match result {
            Err(BacnetError::Truncated { .. }) if partial => {}
            Err(e) => report(sink, PROTOCOL, e.code(), Some(e.offset()), &e),
            Ok(()) => {}
        }
        for m in &self.details.mismatches {
            let expected = tag_name(m.expected);
            let found = m
                .found
                .map_or("a constructed or context-tagged value", tag_name);
            let detail = format_args!(
                "{} must be {expected}, found {found}",
                m.property.name().unwrap_or("the property")
            );
            report(
                sink,
                PROTOCOL,
                "unexpected_value_type",
                Some(m.offset),
                &detail,
            );
        }
    }

    /// Keep a confirmed request until its answer; report the oldest beyond the cap.
    fn track(&mut self, request: Request, sink: &mut dyn EventSink) {
        let same = self.pending.iter().position(|p| {
            p.invoke_id == request.invoke_id && p.dir == request.dir && p.peer == request.peer
        });
        // A retry or a reused invoke id: the earlier request went unanswered.
        if let Some(old) = same.and_then(|i| self.pending.remove(i)) {
            self.emit_unanswered(&old, sink);
        }
        if self.pending.len() >= self.max_transactions
            && let Some(oldest) = self.pending.pop_front()
        {
            let detail = format_args!(
                "more than {} unanswered requests; forgot invoke id {}",
                self.max_transactions, oldest.invoke_id
            );
            report(sink, PROTOCOL, "too_many_transactions", None, &detail);
            self.emit_unanswered(&oldest, sink);
        }
        if self.max_transactions == 0 {
            return self.emit_unanswered(&request, sink);
        }
        self.pending.push_back(request);
    }

    /// Emit a request nobody answered, keeping the current message's details aside.
    fn emit_unanswered(&mut self, request: &Request, sink: &mut dyn EventSink) {
        let current = std::mem::take(&mut self.details);
        self.emit_confirmed(request, None, sink);
        self.details = current;
    }

    /// Pair an answer travelling in `dir` with its request, or report it alone.
    fn answer(
        &mut self,
        dir: Direction,
        n: &Npdu<'_>,
        invoke_id: u8,
        answer: Answer,
        sink: &mut dyn EventSink,
    ) {
        let peer = Peer::new(n.snet, n.sadr);
        let found = self
            .pending
            .iter()
            .position(|p| p.invoke_id == invoke_id && p.dir == dir.reverse() && p.peer == peer);
        match found.and_then(|i| self.pending.remove(i)) {
            Some(request) => {
                if let Some(s) = answer.service.filter(|&s| s != request.service) {
                    let detail = format_args!(
                        "answer to invoke id {invoke_id} is for service {} but the request was {}",
                        s.0, request.service.0
                    );
                    report(sink, PROTOCOL, "service_mismatch", None, &detail);
                }
                self.emit_confirmed(&request, Some(&answer), sink);
            }
            None => self.emit_response(dir, n, invoke_id, &answer, sink),
        }
    }

    fn emit_confirmed(&mut self, r: &Request, answer: Option<&Answer>, sink: &mut dyn EventSink) {
        let d = &self.details;
        let mut f = Fields::default();
        let labels = HeaderLabels::new(&r.header);
        let mut text = std::mem::take(&mut self.text);
        labels.push(&mut f, &r.header, &mut text);
        let pdu = Label::code(PduType::CONFIRMED_REQUEST.name(), 0, 2);
        f.push("pdu_type", Value::Str(pdu.as_str()));
        f.push("pdu_type_code", Value::U64(0));
        f.push("invoke_id", Value::U64(r.invoke_id.into()));
        let service = Label::code(r.service.name(), r.service.0.into(), 2);
        f.push("service", Value::Str(service.as_str()));
        f.push("service_choice", Value::U64(r.service.0.into()));
        if let Some(octets) = max_apdu_octets(r.max_apdu) {
            f.push("max_apdu", Value::U64(octets));
        }
        if let Some(n) = max_segments(r.max_segments) {
            f.push("max_segments", Value::U64(n));
        }
        f.push(
            "segmented_response_accepted",
            Value::Bool(r.segmented_response_accepted),
        );
        push_segment(&mut f, r.segment);
        // A CreateObject-ACK names the object created; other ACKs repeat the request's.
        let created =
            r.service.0 == 10 && answer.is_some_and(|a| a.pdu_type == PduType::COMPLEX_ACK);
        let shown = if created {
            d.object.or(r.object)
        } else {
            r.object.or(d.object)
        };
        let object = ObjectLabels::new(shown);
        object.push(&mut f);
        let property = r.property.map(|p| Label::code(p.name(), p.0.into(), 4));
        if let (Some(p), Some(label)) = (r.property, &property) {
            f.push("property", Value::Str(label.as_str()));
            f.push("property_code", Value::U64(p.0.into()));
        }
        if let Some(i) = r.array_index {
            f.push("array_index", Value::U64(i));
        }
        if let Some(v) = &r.value {
            f.push("value", Value::Str(v.as_str()));
        }
        if let Some(p) = r.write_priority {
            f.push("write_priority", Value::U64(p));
        }
        if r.item_count > 0 {
            f.push("item_count", Value::U64(r.item_count as u64));
        }
        let state = r.state.map(|s| {
            let name = match r.service.0 {
                20 => reinitialized_state_name(s),
                _ => None,
            };
            Label::code(name, s, 2)
        });
        if let (Some(s), Some(label)) = (r.state, &state) {
            let (name, code) = match r.service.0 {
                20 => ("reinitialized_state", "reinitialized_state_code"),
                _ => ("operation", "operation_code"),
            };
            if r.service.0 == 20 {
                f.push(name, Value::Str(label.as_str()));
            }
            f.push(code, Value::U64(s));
        }
        let enable = r
            .enable_disable
            .map(|v| Label::code(enable_disable_name(v), v, 2));
        if let (Some(v), Some(label)) = (r.enable_disable, &enable) {
            f.push("enable_disable", Value::Str(label.as_str()));
            f.push("enable_disable_code", Value::U64(v));
        }
        if let Some(m) = r.duration {
            f.push("duration_minutes", Value::U64(m));
        }
        if r.password {
            f.push("password_present", Value::Bool(true));
        }
        if let Some(a) = r.file_access {
            f.push("file_access", Value::Str(a));
        }
        if let Some(s) = r.file_start {
            f.push("file_start", Value::I64(s));
        }
        if let Some(c) = r.file_count {
            f.push("file_count", Value::U64(c));
        }
        if let Some(p) = r.process_id {
            f.push("process_id", Value::U64(p));
        }
        if let Some(v) = r.vendor_id {
            f.push("vendor_id", Value::U64(v));
        }
        if let Some(s) = r.service_number {
            f.push("service_number", Value::U64(s));
        }
        let response = answer.map(|a| AnswerLabels::new(a, d));
        if let (Some(a), Some(labels)) = (answer, &response) {
            labels.push(&mut f, a, d);
        }
        let activity = match r.service {
            ConfirmedService::REINITIALIZE_DEVICE => Some(reinitialize_activity(r.state)),
            s => s.activity(),
        };
        let direction = answer.is_none().then_some(r.dir);
        emit(sink, "confirmed_request", direction, activity, &f);
        self.text = text;
        if r.password {
            self.credential(r, answer, sink);
        }
    }

    /// Report a password once per flow, server and outcome: without the password itself
    /// in the finding, further attempts would only repeat it (the records count them).
    fn credential(&mut self, r: &Request, answer: Option<&Answer>, sink: &mut dyn EventSink) {
        // The server accepted the password if it carried the request out, and refused it if
        // it says so; other errors say nothing of the password.
        let accepted = match answer.map(|a| a.pdu_type) {
            Some(PduType::SIMPLE_ACK) => Some(true),
            Some(PduType::ERROR) if self.details.error_code == Some(26) => Some(false),
            _ => None,
        };
        let subject = r.dir.reverse().sender();
        if self.reported.contains(&(subject, accepted)) {
            return;
        }
        self.reported.push((subject, accepted));
        let mut f: FieldList<'_, 4> = FieldList::default();
        f.push("mechanism", Value::Str("bacnet_password"));
        f.push("service", Value::Str(r.service.name().unwrap_or("unknown")));
        if let Some(a) = accepted {
            f.push("accepted", Value::Bool(a));
        }
        sink.emit(Event::Finding(Finding {
            protocol: PROTOCOL,
            kind: FindingKind::CleartextCredential,
            subject,
            fields: f.fields(),
        }));
    }

    fn emit_response(
        &mut self,
        dir: Direction,
        n: &Npdu<'_>,
        invoke_id: u8,
        answer: &Answer,
        sink: &mut dyn EventSink,
    ) {
        let header = Header {
            bvlc: answer.bvlc,
            origin: None,
            destination: n.dnet.map(|net| Peer::new(Some(net), n.dadr)),
            source: n.snet.map(|net| Peer::new(Some(net), n.sadr)),
            hop_count: n.hop_count,
            priority: n.priority(),
        };
        let mut f = Fields::default();
        let labels = HeaderLabels::new(&header);
        labels.push(&mut f, &header, &mut self.text);
        let pdu = Label::code(answer.pdu_type.name(), answer.pdu_type.0.into(), 2);
        f.push("pdu_type", Value::Str(pdu.as_str()));
        f.push("pdu_type_code", Value::U64(answer.pdu_type.0.into()));
        f.push("invoke_id", Value::U64(invoke_id.into()));
        let service = answer.service.map(|s| Label::code(s.name(), s.0.into(), 2));
        if let (Some(s), Some(label)) = (answer.service, &service) {
            f.push("service", Value::Str(label.as_str()));
            f.push("service_choice", Value::U64(s.0.into()));
        }
        push_segment(&mut f, answer.segment);
        let d = &self.details;
        let object = ObjectLabels::new(d.object);
        object.push(&mut f);
        let property = d.property.map(|p| Label::code(p.name(), p.0.into(), 4));
        if let (Some(p), Some(label)) = (d.property, &property) {
            f.push("property", Value::Str(label.as_str()));
            f.push("property_code", Value::U64(p.0.into()));
        }
        if let Some(i) = d.array_index {
            f.push("array_index", Value::U64(i));
        }
        let labels = AnswerLabels::new(answer, d);
        labels.push_outcome(&mut f, answer, d);
        labels.push_values(&mut f, d);
        emit(sink, "response", Some(dir), None, &f);
    }

    fn segment(&mut self, dir: Direction, header: &Header, a: &Apdu<'_>, sink: &mut dyn EventSink) {
        let mut f = Fields::default();
        let labels = HeaderLabels::new(header);
        labels.push(&mut f, header, &mut self.text);
        let t = a.pdu_type();
        let pdu = Label::code(t.name(), t.0.into(), 2);
        f.push("pdu_type", Value::Str(pdu.as_str()));
        f.push("pdu_type_code", Value::U64(t.0.into()));
        if let Some(id) = a.invoke_id() {
            f.push("invoke_id", Value::U64(id.into()));
        }
        let service = match *a {
            Apdu::Confirmed {
                service, segment, ..
            }
            | Apdu::ComplexAck {
                service, segment, ..
            } => {
                push_segment(&mut f, segment);
                Some(service)
            }
            Apdu::SegmentAck {
                negative,
                server,
                sequence,
                window,
                ..
            } => {
                f.push("sequence_number", Value::U64(sequence.into()));
                f.push("window_size", Value::U64(window.into()));
                f.push("negative", Value::Bool(negative));
                f.push("by_server", Value::Bool(server));
                None
            }
            _ => None,
        };
        let label = service.map(|s| Label::code(s.name(), s.0.into(), 2));
        if let (Some(s), Some(label)) = (service, &label) {
            f.push("service", Value::Str(label.as_str()));
            f.push("service_choice", Value::U64(s.0.into()));
        }
        let kind = if t == PduType::SEGMENT_ACK {
            "segment_ack"
        } else {
            "segment"
        };
        emit(sink, kind, Some(dir), None, &f);
    }

    fn unconfirmed(
        &mut self,
        dir: Direction,
        header: &Header,
        service: UnconfirmedService,
        sink: &mut dyn EventSink,
    ) {
        let d = &self.details;
        let mut f = Fields::default();
        let labels = HeaderLabels::new(header);
        let mut text = std::mem::take(&mut self.text);
        labels.push(&mut f, header, &mut text);
        let pdu = Label::code(PduType::UNCONFIRMED_REQUEST.name(), 1, 2);
        f.push("pdu_type", Value::Str(pdu.as_str()));
        f.push("pdu_type_code", Value::U64(1));
        let name = Label::code(service.name(), service.0.into(), 2);
        f.push("service", Value::Str(name.as_str()));
        f.push("service_choice", Value::U64(service.0.into()));
        if let Some(l) = d.low_limit {
            f.push("low_limit", Value::U64(l));
        }
        if let Some(h) = d.high_limit {
            f.push("high_limit", Value::U64(h));
        }
        if let Some(device) = d.device {
            f.push("device_instance", Value::U64(device.instance.into()));
        }
        if let Some(m) = d.max_apdu {
            f.push("max_apdu_accepted", Value::U64(m));
        }
        let segmentation = d
            .segmentation
            .map(|s| Label::code(segmentation_name(s), s, 2));
        if let (Some(s), Some(label)) = (d.segmentation, &segmentation) {
            f.push("segmentation", Value::Str(label.as_str()));
            f.push("segmentation_code", Value::U64(s));
        }
        if let Some(v) = d.vendor_id {
            f.push("vendor_id", Value::U64(v));
            if let Some(name) = vendor_name(v) {
                f.push("vendor", Value::Str(name));
            }
        }
        let object = ObjectLabels::new(d.object);
        object.push(&mut f);
        if !d.object_name.is_empty() {
            f.push("object_name", Value::Str(&d.object_name));
        }
        if let Some(p) = d.process_id {
            f.push("process_id", Value::U64(p));
        }
        if let Some(p) = d.write_priority {
            f.push("write_priority", Value::U64(p));
        }
        if !d.time.is_empty() {
            f.push("time", Value::Str(&d.time));
        }
        if let Some(s) = d.service_number {
            f.push("service_number", Value::U64(s));
        }
        if let Some(e) = d.event_type {
            f.push("event_type", Value::U64(e));
        }
        if let Some(s) = d.to_state {
            f.push("to_state", Value::U64(s));
        }
        if !d.message.is_empty() {
            f.push("message", Value::Str(&d.message));
        }
        if !d.model_name.is_empty() {
            f.push("model_name", Value::Str(&d.model_name));
        }
        if !d.serial_number.is_empty() {
            f.push("serial_number", Value::Str(&d.serial_number));
        }
        if d.items.len() > 0 {
            f.push("values", d.items.value());
            f.push("item_count", Value::U64(d.item_count as u64));
        }
        emit(
            sink,
            "unconfirmed_request",
            Some(dir),
            service.activity(),
            &f,
        );
        self.text = text;
        let Some(subject) = sender(dir, header) else {
            return;
        };
        let d = &self.details;
        match service {
            UnconfirmedService::I_AM => {
                identify(
                    sink,
                    PROTOCOL,
                    subject,
                    Attribute::DeviceType,
                    "building controller",
                    Confidence::STRONG,
                );
                if let Some(vendor) = d.vendor_id.and_then(vendor_name) {
                    identify(
                        sink,
                        PROTOCOL,
                        subject,
                        Attribute::Vendor,
                        vendor,
                        Confidence::STATED,
                    );
                }
            }
            UnconfirmedService::WHO_AM_I => {
                identify(
                    sink,
                    PROTOCOL,
                    subject,
                    Attribute::Model,
                    &d.model_name,
                    Confidence::STATED,
                );
                identify(
                    sink,
                    PROTOCOL,
                    subject,
                    Attribute::Serial,
                    &d.serial_number,
                    Confidence::STATED,
                );
            }
            _ => {}
        }
    }

    /// Report what a device object's character-string properties say of the ACK's sender.
    fn identify_from_ack(&self, dir: Direction, header: &Header, sink: &mut dyn EventSink) {
        let Some(subject) = sender(dir, header) else {
            return;
        };
        let d = &self.details;
        for (p, value) in d.identity_properties.iter().zip(d.identity_values.iter()) {
            let attribute = match *p {
                PropertyId::VENDOR_NAME => Attribute::Vendor,
                PropertyId::MODEL_NAME => Attribute::Model,
                PropertyId::FIRMWARE_REVISION => Attribute::Firmware,
                PropertyId::APPLICATION_SOFTWARE_VERSION => Attribute::Software,
                PropertyId::OBJECT_NAME => Attribute::Hostname,
                PropertyId::LOCATION => Attribute::Location,
                PropertyId::DESCRIPTION => Attribute::Description,
                PropertyId::SERIAL_NUMBER => Attribute::Serial,
                _ => continue,
            };
            identify(
                sink,
                PROTOCOL,
                subject,
                attribute,
                value.trim(),
                Confidence::STATED,
            );
        }
    }
}

/// Build an [`Answer`] from an answering PDU.
fn answer_of(
    a: &Apdu<'_>,
    header: &Header,
    service: Option<ConfirmedService>,
    segment: Option<Segment>,
) -> Answer {
    let (reason, by_server) = match *a {
        Apdu::Reject { reason, .. } => (Some(reason), None),
        Apdu::Abort { reason, server, .. } => (Some(reason), Some(server)),
        _ => (None, None),
    };
    Answer {
        pdu_type: a.pdu_type(),
        bvlc: header.bvlc,
        service,
        segment,
        reason,
        by_server,
    }
}

/// Report a service choice no table names.
fn unknown_service(name: Option<&str>, code: u8, kind: &str, sink: &mut dyn EventSink) {
    if name.is_none() {
        let detail = format_args!("{kind} service choice {code} is not assigned");
        report(sink, PROTOCOL, "unknown_service", None, &detail);
    }
}

/// Report NPDU control bits and addresses the standard forbids (6.2.2).
fn check_npdu(n: &Npdu<'_>, base: usize, sink: &mut dyn EventSink) {
    if n.reserved_bits() != 0 {
        let detail = format_args!("reserved NPDU control bits set in {:#04x}", n.control);
        report(
            sink,
            PROTOCOL,
            "reserved_npdu_bits",
            Some(base + 1),
            &detail,
        );
    }
    if n.snet == Some(0xffff) || (n.snet.is_some() && n.sadr.is_empty()) {
        let detail = format_args!(
            "source network {} with a {}-byte address",
            n.snet.unwrap_or_default(),
            n.sadr.len()
        );
        report(
            sink,
            PROTOCOL,
            "bad_source_address",
            Some(base + 2),
            &detail,
        );
    }
}

/// Name an application tag for an anomaly.
fn tag_name(number: u8) -> &'static str {
    match number {
        0 => "Null",
        1 => "Boolean",
        2 => "Unsigned",
        3 => "Signed",
        4 => "Real",
        5 => "Double",
        6 => "OctetString",
        7 => "CharacterString",
        8 => "BitString",
        9 => "Enumerated",
        10 => "Date",
        11 => "Time",
        12 => "ObjectIdentifier",
        _ => "a reserved application tag",
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

fn push_segment(f: &mut Fields<'_>, segment: Option<Segment>) {
    if let Some(s) = segment {
        f.push("segmented", Value::Bool(true));
        f.push("sequence_number", Value::U64(s.sequence.into()));
        f.push("window_size", Value::U64(s.window.into()));
        f.push("more_follows", Value::Bool(s.more_follows));
    }
}

/// The labels of a header's fields, made before the fields borrow them.
struct HeaderLabels {
    bvlc: Label,
    priority: &'static str,
}

impl HeaderLabels {
    fn new(h: &Header) -> HeaderLabels {
        HeaderLabels {
            bvlc: Label::code(h.bvlc.name(), h.bvlc.0.into(), 2),
            priority: priority_name(h.priority),
        }
    }

    /// Push the header's fields; `text` holds the originating address.
    fn push<'a>(&'a self, f: &mut Fields<'a>, h: &'a Header, text: &'a mut String) {
        f.push("bvlc_function", Value::Str(self.bvlc.as_str()));
        f.push("bvlc_function_code", Value::U64(h.bvlc.0.into()));
        if let Some(origin) = h.origin {
            text.clear();
            let _ = write!(text, "{origin}");
            let text: &'a String = text;
            f.push("originating_address", Value::Str(text));
        }
        if let Some(d) = &h.destination {
            f.push("dnet", Value::U64(d.net.into()));
            f.push("dadr", Value::Bytes(d.addr()));
        }
        if let Some(s) = &h.source {
            f.push("snet", Value::U64(s.net.into()));
            f.push("sadr", Value::Bytes(s.addr()));
        }
        if let Some(hops) = h.hop_count {
            f.push("hop_count", Value::U64(hops.into()));
        }
        if h.priority != 0 {
            f.push("network_priority", Value::Str(self.priority));
        }
    }
}

/// The labels of an object identifier's fields.
struct ObjectLabels {
    object: Option<(ObjectId, Label)>,
}

impl ObjectLabels {
    fn new(object: Option<ObjectId>) -> ObjectLabels {
        ObjectLabels {
            object: object.map(|o| {
                (
                    o,
                    Label::code(object_type_name(o.object_type), o.object_type.into(), 3),
                )
            }),
        }
    }

    fn push<'a>(&'a self, f: &mut Fields<'a>) {
        if let Some((o, label)) = &self.object {
            f.push("object_type", Value::Str(label.as_str()));
            f.push("object_type_code", Value::U64(o.object_type.into()));
            f.push("instance_number", Value::U64(o.instance.into()));
        }
    }
}

/// The labels of an answer's fields.
struct AnswerLabels {
    pdu: Label,
    bvlc: Label,
    service: Option<Label>,
    reason: Option<Label>,
    error_class: Option<Label>,
    error_code: Option<Label>,
}

impl AnswerLabels {
    fn new(a: &Answer, d: &Details) -> AnswerLabels {
        let reason = a.reason.map(|r| {
            let name = match a.pdu_type {
                PduType::REJECT => reject_reason_name(r),
                _ => abort_reason_name(r),
            };
            Label::code(name, r.into(), 2)
        });
        AnswerLabels {
            pdu: Label::code(a.pdu_type.name(), a.pdu_type.0.into(), 2),
            bvlc: Label::code(a.bvlc.name(), a.bvlc.0.into(), 2),
            service: a.service.map(|s| Label::code(s.name(), s.0.into(), 2)),
            reason,
            error_class: d
                .error_class
                .map(|c| Label::code(error_class_name(c), c, 2)),
            error_code: d.error_code.map(|c| Label::code(error_code_name(c), c, 2)),
        }
    }

    /// Push a paired answer's fields into its request's record.
    fn push<'a>(&'a self, f: &mut Fields<'a>, a: &'a Answer, d: &'a Details) {
        f.push("response_pdu_type", Value::Str(self.pdu.as_str()));
        f.push("response_pdu_type_code", Value::U64(a.pdu_type.0.into()));
        f.push("response_bvlc_function", Value::Str(self.bvlc.as_str()));
        f.push("response_bvlc_function_code", Value::U64(a.bvlc.0.into()));
        if let (Some(s), Some(label)) = (a.service, &self.service) {
            f.push("response_service", Value::Str(label.as_str()));
            f.push("response_service_choice", Value::U64(s.0.into()));
        }
        push_segment(f, a.segment);
        self.push_outcome(f, a, d);
        if d.has_value {
            f.push("value", Value::Str(&d.value));
        }
        self.push_values(f, d);
    }

    /// Push the error, reject or abort fields.
    fn push_outcome<'a>(&'a self, f: &mut Fields<'a>, a: &'a Answer, d: &'a Details) {
        if let (Some(c), Some(label)) = (d.error_class, &self.error_class) {
            f.push("error_class", Value::Str(label.as_str()));
            f.push("error_class_code", Value::U64(c));
        }
        if let (Some(c), Some(label)) = (d.error_code, &self.error_code) {
            f.push("error", Value::Str(label.as_str()));
            f.push("error_code", Value::U64(c));
        }
        if let (Some(r), Some(label)) = (a.reason, &self.reason) {
            let (name, code) = match a.pdu_type {
                PduType::REJECT => ("reject_reason", "reject_reason_code"),
                _ => ("abort_reason", "abort_reason_code"),
            };
            f.push(name, Value::Str(label.as_str()));
            f.push(code, Value::U64(r.into()));
        }
        if let Some(s) = a.by_server {
            f.push("by_server", Value::Bool(s));
        }
    }

    /// Push an ACK's listed values and file fields.
    fn push_values<'a>(&'a self, f: &mut Fields<'a>, d: &'a Details) {
        if d.items.len() > 0 {
            f.push("values", d.items.value());
            f.push("value_count", Value::U64(d.item_count as u64));
        }
        if d.object_names.len() > 0 {
            f.push("object_names", d.object_names.value());
        }
        if let Some(eof) = d.end_of_file {
            f.push("end_of_file", Value::Bool(eof));
        }
    }
}

/// The name ASHRAE assigned to a BACnet vendor identifier.
fn vendor_name(id: u64) -> Option<&'static str> {
    u16::try_from(id).ok().and_then(crate::vendor_ids::bacnet)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_event::CollectingSink;

    /// Wrap an APDU into an Original-Unicast-NPDU with a plain NPDU (J.2.10, 6.2).
    fn unicast(control: u8, apdu: &[u8]) -> Vec<u8> {
        let len = u16::try_from(6 + apdu.len()).expect("small");
        let mut m = vec![0x81, 0x0a];
        m.extend_from_slice(&len.to_be_bytes());
        m.extend_from_slice(&[0x01, control]); // NPDU version 1, control
        m.extend_from_slice(apdu);
        m
    }

    /// readProperty of device,500 `property`, invoke id `id` (15.5.1).
    fn read_property(id: u8, property: u8) -> Vec<u8> {
        let apdu = [
            0x00, 0x05, id, 0x0c, // confirmed request, max 1476, invoke id, readProperty
            0x0c, 0x02, 0x00, 0x01, 0xf4, // [0] device,500
            0x19, property, // [1] property
        ];
        unicast(0x04, &apdu) // expecting reply
    }

    /// The readProperty-ACK carrying a character string (15.5.2).
    fn read_property_ack(id: u8, property: u8, text: &[u8]) -> Vec<u8> {
        let mut apdu = vec![
            0x30,
            id,
            0x0c, // complex ACK, invoke id, readProperty
            0x0c,
            0x02,
            0x00,
            0x01,
            0xf4, // [0] device,500
            0x19,
            property, // [1] property
            0x3e,     // [3] opening
            0x75,
            u8::try_from(text.len() + 1).expect("short"),
            0x00, // CharacterString UTF-8
        ];
        apdu.extend_from_slice(text);
        apdu.push(0x3f); // [3] closing
        unicast(0x00, &apdu)
    }

    #[test]
    fn pairs_the_answer_with_its_request_and_identifies_the_device() {
        let mut d = BacnetDissector::new(8);
        let mut sink = CollectingSink::default();
        d.feed(Direction::ToServer, &read_property(7, 121), &mut sink);
        assert!(sink.matching("record").is_empty(), "held until answered");
        d.feed(
            Direction::ToClient,
            &read_property_ack(7, 121, b"JCI"),
            &mut sink,
        );
        assert_eq!(
            sink.matching("record"),
            vec![
                r#"record bacnet confirmed_request transaction [read] {"bvlc_function":"original_unicast_npdu","bvlc_function_code":10,"pdu_type":"confirmed_request","pdu_type_code":0,"invoke_id":7,"service":"read_property","service_choice":12,"max_apdu":1476,"segmented_response_accepted":false,"object_type":"device","object_type_code":8,"instance_number":500,"property":"vendor_name","property_code":121,"response_pdu_type":"complex_ack","response_pdu_type_code":3,"response_bvlc_function":"original_unicast_npdu","response_bvlc_function_code":10,"response_service":"read_property","response_service_choice":12,"value":"JCI"}"#
            ]
        );
        assert_eq!(
            sink.matching("identity"),
            vec!["identity bacnet Server vendor JCI"]
        );
        d.close(&mut sink);
        assert_eq!(sink.matching("record").len(), 1, "nothing left pending");
    }

    #[test]
    fn reports_unanswered_requests_on_retry_and_at_close() {
        let mut d = BacnetDissector::new(8);
        let mut sink = CollectingSink::default();
        d.feed(Direction::ToServer, &read_property(1, 77), &mut sink);
        d.feed(Direction::ToServer, &read_property(1, 77), &mut sink);
        assert_eq!(
            sink.matching("record bacnet confirmed_request request")
                .len(),
            1
        );
        // An answer travelling the same way as the request is not its answer.
        d.feed(
            Direction::ToServer,
            &read_property_ack(1, 77, b"x"),
            &mut sink,
        );
        assert_eq!(sink.matching("record bacnet response request").len(), 1);
        d.close(&mut sink);
        assert_eq!(
            sink.matching("record bacnet confirmed_request request")
                .len(),
            2
        );
    }

    #[test]
    fn forgets_the_oldest_request_beyond_the_cap() {
        let mut d = BacnetDissector::new(2);
        let mut sink = CollectingSink::default();
        for id in 0..3 {
            d.feed(Direction::ToServer, &read_property(id, 85), &mut sink);
        }
        assert_eq!(sink.anomalies("too_many_transactions"), 1);
        let unanswered = sink.matching("record bacnet confirmed_request request");
        assert_eq!(unanswered.len(), 1);
        assert!(unanswered[0].contains(r#""invoke_id":0,"#));
    }

    #[test]
    fn reports_a_password_once_per_outcome_without_the_password() {
        let mut d = BacnetDissector::new(8);
        let mut sink = CollectingSink::default();
        // reinitializeDevice warmstart, password "s3cret" (16.4.1), then Error
        // services/password-failure (18.1), twice, then a SimpleACK.
        let request = |id| {
            unicast(
                0x04,
                &[
                    0x00, 0x05, id, 0x14, // confirmed, invoke id, reinitializeDevice
                    0x09, 0x01, // [0] warmstart
                    0x1d, 0x07, 0x00, b's', b'3', b'c', b'r', b'e', b't', // [1] password
                ],
            )
        };
        for id in [1, 2] {
            d.feed(Direction::ToServer, &request(id), &mut sink);
            let error = [0x50, id, 0x14, 0x91, 0x05, 0x91, 0x1a];
            d.feed(Direction::ToClient, &unicast(0x00, &error), &mut sink);
        }
        d.feed(Direction::ToServer, &request(3), &mut sink);
        d.feed(
            Direction::ToClient,
            &unicast(0x00, &[0x20, 3, 0x14]),
            &mut sink,
        );
        assert_eq!(
            sink.matching("finding"),
            vec![
                r#"finding bacnet cleartext_credential Server {"mechanism":"bacnet_password","service":"reinitialize_device","accepted":false}"#,
                r#"finding bacnet cleartext_credential Server {"mechanism":"bacnet_password","service":"reinitialize_device","accepted":true}"#,
            ]
        );
        assert!(sink.lines.iter().all(|l| !l.contains("s3cret")));
        let records = sink.matching("record bacnet confirmed_request transaction [restart]");
        assert_eq!(records.len(), 3);
        assert!(records[0].contains(r#""error":"password_failure","error_code":26"#));
        assert!(records[0].contains(r#""reinitialized_state":"warmstart""#));
    }

    #[test]
    fn identifies_the_originator_of_a_forwarded_i_am_and_nobody_behind_a_router() {
        let mut d = BacnetDissector::new(8);
        let mut sink = CollectingSink::default();
        let forwarded = [
            0x81, 0x04, 0x00, 0x19, // BVLC Forwarded-NPDU, 25 bytes (J.2.9)
            0x0a, 0x00, 0x00, 0x07, 0xba, 0xc0, // from 10.0.0.7:47808
            0x01, 0x00, // NPDU
            0x10, 0x00, // i-Am
            0xc4, 0x02, 0x00, 0x00, 0x65, // device,101
            0x22, 0x05, 0xc4, // max APDU 1476
            0x91, 0x03, // no segmentation
            0x21, // vendor id …
        ];
        let mut forwarded = forwarded.to_vec();
        forwarded.push(0x0f); // … 15
        d.feed(Direction::ToServer, &forwarded, &mut sink);
        assert_eq!(
            sink.matching("identity"),
            vec![
                "identity bacnet Client role bacnet bbmd",
                "identity bacnet Host { mac: None, ip: Some(10.0.0.7) } device_type building controller",
                "identity bacnet Host { mac: None, ip: Some(10.0.0.7) } vendor Cornell University",
            ]
        );
        assert!(sink.matching("record")[0].contains(r#""originating_address":"10.0.0.7:47808""#));
        let routed = [
            0x81, 0x0b, 0x00, 0x18, // Original-Broadcast-NPDU, 24 bytes
            0x01, 0x08, 0x00, 0x02, 0x01, 0x33, // NPDU from network 2, MAC 0x33
            0x10, 0x00, 0xc4, 0x02, 0x00, 0x00, 0x66, 0x22, 0x01, 0xe0, 0x91, 0x03, 0x21, 0x0f,
        ];
        let mut sink = CollectingSink::default();
        d.feed(Direction::ToServer, &routed, &mut sink);
        assert!(sink.matching("identity").is_empty());
        assert!(sink.matching("record")[0].contains(r#""snet":2,"sadr":"33""#));
    }

    #[test]
    fn keeps_unknown_codes_and_flags_malformed_datagrams() {
        let mut d = BacnetDissector::new(8);
        let mut sink = CollectingSink::default();
        d.feed(
            Direction::ToServer,
            &unicast(0x00, &[0x10, 0x5a]),
            &mut sink,
        );
        assert_eq!(sink.anomalies("unknown_service"), 1);
        assert!(
            sink.matching("record")[0]
                .contains(r#""service":"0x5a (unknown)","service_choice":90"#)
        );
        d.feed(Direction::ToServer, &unicast(0x00, &[0xb0]), &mut sink);
        assert_eq!(sink.anomalies("reserved_pdu_type"), 1);
        d.feed(Direction::ToServer, &[0x81, 0x0a, 0x00], &mut sink);
        assert_eq!(sink.anomalies("truncated"), 1);
        d.feed(Direction::ToServer, &[0x82, 0x0a, 0x00, 0x04], &mut sink);
        assert_eq!(sink.anomalies("unsupported_bvlc_type"), 1);
        // A confirmed request whose tags claim more than remains.
        d.feed(
            Direction::ToServer,
            &unicast(0x04, &[0x00, 0x05, 9, 0x0c, 0x0c, 0x02]),
            &mut sink,
        );
        assert_eq!(sink.anomalies("truncated"), 2);
        assert_eq!(sink.anomalies("expecting_reply_missing"), 0);
    }

    #[test]
    fn names_a_bbmd_that_accepts_a_registration() {
        let mut d = BacnetDissector::new(8);
        let mut sink = CollectingSink::default();
        // Register-Foreign-Device, TTL 60 s (J.2.6), then BVLC-Result success (J.2.1).
        d.feed(
            Direction::ToServer,
            &[0x81, 0x05, 0x00, 0x06, 0x00, 0x3c],
            &mut sink,
        );
        d.feed(
            Direction::ToClient,
            &[0x81, 0x00, 0x00, 0x06, 0x00, 0x00],
            &mut sink,
        );
        assert_eq!(
            sink.matching("identity"),
            vec!["identity bacnet Server role bacnet bbmd"]
        );
        assert_eq!(
            sink.matching("record")[1],
            r#"record bacnet bvlc response {"bvlc_function":"bvlc_result","bvlc_function_code":0,"result":"successful_completion","result_code":0}"#
        );
    }
}
