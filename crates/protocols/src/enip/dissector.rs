//! Per-flow EtherNet/IP state: framing, request/reply pairing, CIP decoding, events.

use std::collections::VecDeque;
use std::net::Ipv4Addr;

use rampart_dissect::{
    Attribute, Confidence, Direction, Dissector, Event, EventSink, Feed, FieldList, Record,
    Subject, Transport, Value, identify, report, text,
};
use rampart_event::{Activity, Module};

use super::message::{
    Command, Fit, Label, Pccc, PcccAction, Target, class, class_name, connection_failure_name,
    device_type_hint, device_type_name, encap_status_name, general_status_name, item, item_name,
    length_fits, named, service, service_name,
};
use super::parse::{
    self, Cip, Embedded, EnipError, HEADER_LEN, Header, Identity, IdentityItem, Items, Link,
    PcccCommand, Request, Response, TagRequest,
};
use crate::located::Located;
use crate::text_list::TextList;
use crate::watched::Watched;

pub(super) const PROTOCOL: &str = "enip";
/// Connection id pairs (originator-to-target, target-to-originator) remembered per flow.
const MAX_CONNECTIONS: usize = 64;
/// Modules remembered per flow, so that a chassis polled every second is reported once.
const MAX_MODULES: usize = 32;
/// Fields of one record: the widest, a routed Forward Open transaction, has about forty.
type Fields<'a> = FieldList<'a, 64>;

/// What tells a module from another and from its own earlier state: slot, serial, product
/// code and revision.
type ModuleKey = (Option<u16>, u32, u16, (u8, u8));

/// The socket address info items of a message: originator-to-target, target-to-originator.
type Sockaddrs = [Option<(Ipv4Addr, u16)>; 2];

/// How requests and replies are matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    /// Unconnected: the encapsulation command and sender context, echoed by the reply.
    Context(u16, [u8; 8]),
    /// Connected (SendUnitData): the request's connection id and CIP sequence count.
    Connected(u32, u16),
}

/// A Forward Open's connection parameters, as requested.
#[derive(Debug, Clone, Copy, Default)]
struct OpenRequest {
    ot_connection_id: u32,
    to_connection_id: u32,
    ot_rpi: u32,
    to_rpi: u32,
    transport: u8,
}

/// What a CIP request said, owned so that its reply can be reported with it.
#[derive(Debug, Default)]
struct CipRequest {
    service: u8,
    target: Option<Target>,
    class: Option<u32>,
    instance: Option<u32>,
    attribute: Option<u32>,
    member: Option<u32>,
    tag: String,
    routed: bool,
    route: String,
    route_port: Option<u16>,
    slot: Option<u16>,
    embedded_codes: Vec<u64>,
    embedded_names: TextList,
    embedded_tags: TextList,
    tag_request: Option<TagRequest>,
    open: Option<OpenRequest>,
    /// Connection serial, originator vendor and serial of a Forward Open or Close.
    connection: Option<(u16, u16, u32)>,
    connection_path: String,
    pccc: Option<PcccCommand>,
    activity: Option<Activity>,
}

impl CipRequest {
    /// Forget the previous request, keeping the buffers.
    fn clear(&mut self) {
        self.copy_from(&CipRequest::default());
    }

    /// Become a copy of `other`, reusing the buffers. Every field is named, so a field added
    /// later cannot be left holding the previous request's value.
    fn copy_from(&mut self, other: &CipRequest) {
        let CipRequest {
            service,
            target,
            class,
            instance,
            attribute,
            member,
            tag,
            routed,
            route,
            route_port,
            slot,
            embedded_codes,
            embedded_names,
            embedded_tags,
            tag_request,
            open,
            connection,
            connection_path,
            pccc,
            activity,
        } = other;
        self.service = *service;
        self.target = *target;
        self.class = *class;
        self.instance = *instance;
        self.attribute = *attribute;
        self.member = *member;
        self.tag.clone_from(tag);
        self.routed = *routed;
        self.route.clone_from(route);
        self.route_port = *route_port;
        self.slot = *slot;
        self.embedded_codes.clone_from(embedded_codes);
        self.embedded_names.clone_from(embedded_names);
        self.embedded_tags.clone_from(embedded_tags);
        self.tag_request = *tag_request;
        self.open = *open;
        self.connection = *connection;
        self.connection_path.clone_from(connection_path);
        self.pccc = *pccc;
        self.activity = *activity;
    }
}

/// Requests of a flow that read without a word of complaint, by their bytes. An HMI polls
/// the same tags with the same few Multiple Service Packets thousands of times; reading
/// their dozens of embedded paths again each time was half of this dissector's cost.
#[derive(Debug, Default)]
struct RememberedRequests {
    entries: Vec<RememberedRequest>,
    /// The oldest entry, which the next new request replaces once all are taken.
    next: usize,
}

#[derive(Debug, Default)]
struct RememberedRequest {
    bytes: Vec<u8>,
    request: CipRequest,
}

/// Requests remembered per flow: the distinct polls of a typical HMI connection.
const REMEMBERED_REQUESTS: usize = 16;
/// Longest request remembered: a Multiple Service Packet of some forty tags. With
/// [`REMEMBERED_REQUESTS`] this bounds the memory per flow to a few KiB.
const MAX_REMEMBERED_REQUEST: usize = 512;

impl RememberedRequests {
    fn find(&self, bytes: &[u8]) -> Option<&CipRequest> {
        let entry = self.entries.iter().find(|e| e.bytes == bytes)?;
        Some(&entry.request)
    }

    fn remember(&mut self, bytes: &[u8], request: &CipRequest) {
        if bytes.len() > MAX_REMEMBERED_REQUEST {
            return;
        }
        let entry = if self.entries.len() < REMEMBERED_REQUESTS {
            self.entries.push(RememberedRequest::default());
            self.entries.last_mut()
        } else {
            let oldest = self.next;
            self.next = (oldest + 1) % REMEMBERED_REQUESTS;
            self.entries.get_mut(oldest)
        };
        let Some(entry) = entry else {
            return;
        };
        entry.bytes.clear();
        entry.bytes.extend_from_slice(bytes);
        entry.request.copy_from(request);
    }
}

/// One request waiting for its reply.
#[derive(Debug, Default)]
struct Pending {
    key: Option<Key>,
    header: Option<Header>,
    connection_id: Option<u32>,
    sequence: Option<u16>,
    /// Socket address info items, originator-to-target and target-to-originator.
    sockaddr: Sockaddrs,
    /// RegisterSession's protocol version and options.
    register: Option<(u16, u16)>,
    /// Boxed so that queueing and pairing a request moves a pointer, not the request's
    /// buffers; boxes are recycled through the spare list, never allocated per message.
    cip: Option<Box<CipRequest>>,
}

/// What a reply said, borrowed from the bytes of the reply.
#[derive(Debug, Default)]
struct Reply<'a> {
    header: Option<Header>,
    connection_id: Option<u32>,
    sequence: Option<u16>,
    sockaddr: Sockaddrs,
    cip: Option<CipReply<'a>>,
    identity_items: u16,
    identity: Option<IdentityItem<'a>>,
    service_name: Option<&'a [u8]>,
    capabilities: Option<u16>,
    register: Option<(u16, u16)>,
    interfaces: Option<u16>,
}

/// A CIP reply's fields.
#[derive(Debug, Clone, Copy)]
struct CipReply<'a> {
    service: u8,
    status: u8,
    extended: Option<u16>,
    identity: Option<Identity<'a>>,
    open: Option<parse::ForwardOpenReply>,
    pccc: Option<PcccCommand>,
    embedded: bool,
}

/// Buffers reused from reply to reply.
#[derive(Debug, Default)]
struct Scratch {
    statuses: Vec<u64>,
    reply_codes: Vec<u64>,
    reply_names: TextList,
    tag: String,
    route: String,
    /// The route of an Unconnected Send, kept aside while its embedded request is read.
    saved_route: String,
    mismatch: bool,
}

/// The EtherNet/IP dissector.
pub(super) struct EnipDissector {
    transport: Transport,
    max_transactions: usize,
    pending: VecDeque<Pending>,
    spare: Vec<Pending>,
    /// (originator-to-target, target-to-originator) connection ids of this flow.
    connections: Vec<(u32, u32)>,
    /// Modules reported in this flow.
    modules: Vec<ModuleKey>,
    scratch: Scratch,
    remembered: Option<Box<RememberedRequests>>,
    resync: [bool; 2],
}

impl EnipDissector {
    /// Start a flow on `transport`, keeping at most `max_transactions` unanswered requests.
    pub(super) fn new(transport: Transport, max_transactions: usize) -> EnipDissector {
        EnipDissector {
            transport,
            max_transactions,
            pending: VecDeque::new(),
            spare: Vec::new(),
            connections: Vec::new(),
            modules: Vec::new(),
            scratch: Scratch::default(),
            remembered: None,
            resync: [false; 2],
        }
    }
}

/// Tell whether `data` starts like an encapsulation header: zero options, an assigned
/// status, and a command whose length fits it distinctively (not a NOP, which zeros mimic).
fn plausible_header(data: &[u8]) -> bool {
    Header::read(data).is_ok_and(|h| {
        h.options == 0
            && encap_status_name(h.status).is_some()
            && length_fits(h.command, h.length) == Some(Fit::Strong)
    })
}

impl Dissector for EnipDissector {
    fn feed(&mut self, dir: Direction, data: &[u8], sink: &mut dyn EventSink) -> Feed {
        if self.transport == Transport::Udp {
            self.datagram(dir, data, sink);
            return Feed::Consumed(data.len());
        }
        let side = dir.index();
        let mut at = 0;
        if self.resync[side] {
            match (0..data.len()).find(|&i| data.get(i..).is_some_and(plausible_header)) {
                Some(start) => {
                    at = start;
                    self.resync[side] = false;
                }
                None => return Feed::Consumed(data.len().saturating_sub(HEADER_LEN - 1)),
            }
        }
        while let Some(head) = data.get(at..at + HEADER_LEN) {
            let Ok(header) = Header::read(head) else {
                break;
            };
            if header.command.name().is_none() && header.options != 0 {
                let detail = format_args!(
                    "command {:#06x} with options {:#010x} is no encapsulation header",
                    header.command.0, header.options
                );
                report(sink, PROTOCOL, "lost_sync", Some(at), &detail);
                self.resync[side] = true;
                return Feed::LostSync;
            }
            let end = at + HEADER_LEN + usize::from(header.length);
            let Some(body) = data.get(at + HEADER_LEN..end) else {
                break;
            };
            self.message(dir, &header, body, sink);
            at = end;
        }
        Feed::Consumed(at)
    }

    fn gap(&mut self, dir: Direction, _len: u64, _sink: &mut dyn EventSink) {
        if self.transport == Transport::Tcp {
            self.resync[dir.index()] = true;
        }
    }

    fn close(&mut self, sink: &mut dyn EventSink) {
        while let Some(p) = self.pending.pop_front() {
            self.emit_request_only(&p, sink);
            self.spare.push(p);
        }
    }
}

impl EnipDissector {
    fn datagram(&mut self, dir: Direction, data: &[u8], sink: &mut dyn EventSink) {
        let header = match Header::read(data) {
            Ok(h) => h,
            Err(e) => return report(sink, PROTOCOL, "truncated", Some(e.offset), &e),
        };
        let claimed = usize::from(header.length);
        let available = data.len() - HEADER_LEN;
        if claimed != available {
            let e = EnipError::from(Located::BadLength {
                field: "length",
                offset: 2,
                claimed,
                available,
            });
            flag(sink, &e);
        }
        let body = data
            .get(HEADER_LEN..HEADER_LEN + claimed.min(available))
            .unwrap_or_default();
        self.message(dir, &header, body, sink);
    }

    /// Handle one whole encapsulation message.
    fn message(&mut self, dir: Direction, h: &Header, body: &[u8], sink: &mut dyn EventSink) {
        if h.options != 0 {
            let detail = format_args!("options {:#010x} must be zero", h.options);
            report(sink, PROTOCOL, "nonzero_options", Some(20), &detail);
        }
        if h.command.name().is_none() {
            let detail = format_args!("command {:#06x} is not assigned", h.command.0);
            report(sink, PROTOCOL, "unknown_command", Some(0), &detail);
        }
        if h.command.carries_cip() {
            return self.cip_message(dir, h, body, sink);
        }
        match dir {
            Direction::ToServer => {
                let mut p = self.take_spare();
                p.key = Some(Key::Context(h.command.0, h.context));
                p.header = Some(*h);
                if h.command == Command::REGISTER_SESSION {
                    match parse::register_session(body, HEADER_LEN) {
                        Ok(v) => p.register = Some(v),
                        Err(e) => flag(sink, &e),
                    }
                }
                if h.command.unanswered() {
                    self.emit_request_only(&p, sink);
                    self.spare.push(p);
                } else {
                    self.push_pending(p, sink);
                }
            }
            Direction::ToClient => {
                let reply = encapsulation_reply(h, body, sink);
                let key = Key::Context(h.command.0, h.context);
                let found = self.take_pending(|k| k == key);
                self.emit(found.as_ref(), Some(&reply), sink);
                self.identify_listed(dir, &reply, sink);
                if let Some(p) = found {
                    self.spare.push(p);
                }
            }
        }
    }

    /// Handle SendRRData and SendUnitData: the common packet format and its CIP message.
    fn cip_message(&mut self, dir: Direction, h: &Header, body: &[u8], sink: &mut dyn EventSink) {
        let items = match parse::rr_items(body, HEADER_LEN) {
            Ok((_, items)) => items,
            Err(e) => return flag(sink, &e),
        };
        let mut connection_id = None;
        let mut sequence = None;
        let mut message = None;
        let mut sockaddr: Sockaddrs = [None; 2];
        for it in items {
            let it = match it {
                Ok(it) => it,
                Err(e) => {
                    flag(sink, &e);
                    break;
                }
            };
            match it.type_id {
                item::CONNECTED_ADDRESS => {
                    connection_id = it
                        .data
                        .get(..4)
                        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
                }
                item::CONNECTED_DATA => match it.data {
                    [lo, hi, rest @ ..] => {
                        sequence = Some(u16::from_le_bytes([*lo, *hi]));
                        message = Some((rest, it.offset + 2));
                    }
                    _ => {
                        let e = EnipError::from(Located::BadLength {
                            field: "connected_data",
                            offset: it.offset,
                            claimed: it.data.len(),
                            available: 2,
                        });
                        flag(sink, &e);
                    }
                },
                item::UNCONNECTED_DATA => message = Some((it.data, it.offset)),
                item::SOCKADDR_OT | item::SOCKADDR_TO => {
                    match parse::sockaddr(it.data, it.offset) {
                        Ok(a) => sockaddr[usize::from(it.type_id == item::SOCKADDR_TO)] = Some(a),
                        Err(e) => flag(sink, &e),
                    }
                }
                item::NULL_ADDRESS => {}
                other if item_name(other).is_none() => {
                    let detail = format_args!("item type {other:#06x} is not assigned");
                    report(sink, PROTOCOL, "unknown_item", Some(it.offset), &detail);
                }
                _ => {}
            }
        }
        let Some((msg, base)) = message else {
            let e = EnipError::MissingItem {
                command: h.command.name().unwrap_or("command"),
                offset: HEADER_LEN + 6,
                wanted: "data",
            };
            return flag(sink, &e);
        };
        let connected = h.command == Command::SEND_UNIT_DATA;
        match parse::cip(msg, base) {
            Ok(Cip::Request(req)) => {
                let mut p = self.take_spare();
                p.header = Some(*h);
                p.connection_id = connection_id;
                p.sequence = sequence;
                p.sockaddr = sockaddr;
                p.key = Some(match (connected, connection_id, sequence) {
                    (true, Some(id), Some(seq)) => Key::Connected(id, seq),
                    _ => Key::Context(h.command.0, h.context),
                });
                let mut c = p.cip.take().unwrap_or_default();
                self.read_request(msg, &req, &mut c, sink);
                p.cip = Some(c);
                self.push_pending(p, sink);
            }
            Ok(Cip::Response(resp)) => {
                let found = if connected {
                    self.take_connected(connection_id, sequence)
                } else {
                    let key = Key::Context(h.command.0, h.context);
                    self.take_pending(|k| k == key)
                };
                let request = found.as_ref().and_then(|p| p.cip.as_deref());
                let cip = self.read_reply(&resp, request, sink);
                let reply = Reply {
                    header: Some(*h),
                    connection_id,
                    sequence,
                    sockaddr,
                    cip: Some(cip),
                    ..Reply::default()
                };
                if let Some(open) = cip.open {
                    self.learn_connection(open.ot_connection_id, open.to_connection_id);
                }
                self.emit(found.as_ref(), Some(&reply), sink);
                self.identify_object(dir, request, &cip, sink);
                if let Some(p) = found {
                    self.spare.push(p);
                }
            }
            Err(e) => flag(sink, &e),
        }
    }

    /// Read the request in `msg` into `c`, or copy it when it is a remembered one again.
    fn read_request(
        &mut self,
        msg: &[u8],
        req: &Request<'_>,
        c: &mut CipRequest,
        sink: &mut dyn EventSink,
    ) {
        let remembered = self.remembered.get_or_insert_default();
        if let Some(known) = remembered.find(msg) {
            return c.copy_from(known);
        }
        c.clear();
        let mut watched = Watched::new(sink);
        read_request(c, req, false, &mut self.scratch, &mut watched);
        if !watched.said() {
            remembered.remember(msg, c);
        }
    }

    /// Take a finished request's buffers for a new one.
    fn take_spare(&mut self) -> Pending {
        let cip = self.spare.pop().and_then(|mut p| p.cip.take());
        Pending {
            cip,
            ..Pending::default()
        }
    }

    fn push_pending(&mut self, p: Pending, sink: &mut dyn EventSink) {
        if self.pending.len() >= self.max_transactions
            && let Some(old) = self.pending.pop_front()
        {
            let detail = format_args!(
                "more than {} unanswered requests; reporting the oldest without its reply",
                self.max_transactions
            );
            report(sink, PROTOCOL, "too_many_transactions", None, &detail);
            self.emit_request_only(&old, sink);
            self.spare.push(old);
        }
        if self.max_transactions == 0 {
            self.emit_request_only(&p, sink);
            self.spare.push(p);
        } else {
            self.pending.push_back(p);
        }
    }

    fn take_pending(&mut self, matches: impl Fn(Key) -> bool) -> Option<Pending> {
        let i = self
            .pending
            .iter()
            .position(|p| p.key.is_some_and(&matches))?;
        self.pending.remove(i)
    }

    /// Find the connected request a reply on connection `to` with `sequence` answers: one on
    /// the paired originator-to-target connection, or, while the pair is not known (the
    /// Forward Open was before the capture), any with the same sequence count, learning the
    /// pair.
    fn take_connected(&mut self, to: Option<u32>, sequence: Option<u16>) -> Option<Pending> {
        let (to, seq) = (to?, sequence?);
        let paired = self
            .connections
            .iter()
            .find(|&&(_, t)| t == to)
            .map(|&(o, _)| o);
        let connections = &self.connections;
        let i = self.pending.iter().position(|p| match p.key {
            Some(Key::Connected(ot, s)) if s == seq => match paired {
                Some(o) => o == ot,
                None => !connections.iter().any(|&(o, _)| o == ot),
            },
            _ => false,
        })?;
        let found = self.pending.remove(i)?;
        if paired.is_none()
            && let Some(Key::Connected(ot, _)) = found.key
        {
            self.learn_connection(ot, to);
        }
        Some(found)
    }

    fn learn_connection(&mut self, ot: u32, to: u32) {
        self.connections.retain(|&(o, t)| o != ot && t != to);
        if self.connections.len() >= MAX_CONNECTIONS {
            self.connections.remove(0);
        }
        self.connections.push((ot, to));
    }

    /// Read a CIP reply, with the request it answers when known.
    fn read_reply<'a>(
        &mut self,
        resp: &Response<'a>,
        request: Option<&CipRequest>,
        sink: &mut dyn EventSink,
    ) -> CipReply<'a> {
        let s = &mut self.scratch;
        s.statuses.clear();
        s.reply_codes.clear();
        s.reply_names.clear();
        s.mismatch = false;
        let mut reply = CipReply {
            service: resp.service,
            status: resp.status,
            extended: resp.extended_status(),
            identity: None,
            open: None,
            pccc: None,
            embedded: false,
        };
        let asked = request.map(|r| r.service);
        if resp.service == service::MULTIPLE_SERVICE_PACKET && !resp.data.is_empty() {
            reply.embedded = true;
            read_embedded_replies(resp, request, s, sink);
        }
        let ok = resp.status == 0;
        match (asked, request.and_then(|r| r.target)) {
            (
                Some(service::FORWARD_OPEN | service::LARGE_FORWARD_OPEN),
                Some(Target::Class(class::CONNECTION_MANAGER)),
            ) if ok => match parse::forward_open_reply(resp.data, resp.data_offset) {
                Ok(open) => reply.open = Some(open),
                Err(e) => flag(sink, &e),
            },
            (Some(service::GET_ATTRIBUTES_ALL), Some(Target::Class(class::IDENTITY)))
                if ok && resp.service == service::GET_ATTRIBUTES_ALL =>
            {
                match parse::identity(resp.data, resp.data_offset) {
                    Ok(id) => reply.identity = Some(id),
                    Err(e) => flag(sink, &e),
                }
            }
            (Some(service::EXECUTE_PCCC), Some(Target::Class(class::PCCC))) if ok => {
                match parse::pccc(resp.data, resp.data_offset, false) {
                    Ok(p) => reply.pccc = Some(p),
                    Err(e) => flag(sink, &e),
                }
            }
            _ => {}
        }
        reply
    }

    /// Report what a ListIdentity reply says about its sender.
    fn identify_listed(&self, dir: Direction, reply: &Reply<'_>, sink: &mut dyn EventSink) {
        if let Some(item) = &reply.identity {
            identify_device(dir.sender(), &item.identity, Confidence::STATED, sink);
        }
    }

    /// Report an Identity object read: a module when routed to a backplane slot, the server
    /// itself when not routed or routed to slot 0.
    fn identify_object(
        &mut self,
        dir: Direction,
        request: Option<&CipRequest>,
        reply: &CipReply<'_>,
        sink: &mut dyn EventSink,
    ) {
        let (Some(id), Some(req)) = (&reply.identity, request) else {
            return;
        };
        let subject = dir.sender();
        let name = text(id.product_name);
        let firmware = revision(id.major, id.minor);
        let serial = Label::new(format_args!("{:#010x}", id.serial));
        let kind = device_type_hint(id.device_type).map_or("", |(_, kind)| kind);
        if req.routed {
            // The same module read again is not news: a chassis is polled every few seconds.
            let seen = (req.slot, id.serial, id.product_code, (id.major, id.minor));
            let new = !self.modules.contains(&seen);
            if new {
                if self.modules.len() >= MAX_MODULES {
                    self.modules.remove(0);
                }
                self.modules.push(seen);
            }
            if new && (req.route_port == Some(1) || req.slot.is_some()) {
                sink.emit(Event::Module(Module {
                    protocol: PROTOCOL,
                    subject,
                    rack: None,
                    slot: req.slot,
                    kind,
                    model: &name,
                    order_number: "",
                    firmware: firmware.as_str(),
                    hardware: "",
                    serial: serial.as_str(),
                }));
            }
            // The module in slot 0 of a chassis is the controller: the chassis is what the
            // address stands for, though the answering adapter may sit in another slot.
            if req.slot == Some(0) {
                identify_device(subject, id, Confidence::STRONG, sink);
            }
        } else {
            identify_device(subject, id, Confidence::STATED, sink);
        }
    }

    fn emit_request_only(&self, p: &Pending, sink: &mut dyn EventSink) {
        self.emit(Some(p), None, sink);
    }

    /// Report a request, a reply, or both as one transaction.
    fn emit(&self, request: Option<&Pending>, reply: Option<&Reply<'_>>, sink: &mut dyn EventSink) {
        let Some(header) = request
            .and_then(|p| p.header)
            .or_else(|| reply.and_then(|r| r.header))
        else {
            return;
        };
        let direction = match (request.is_some(), reply.is_some()) {
            (true, true) => None,
            (true, false) => Some(Direction::ToServer),
            _ => Some(Direction::ToClient),
        };
        let command = header.command;
        let command_name = Label::code(command.name(), command.0.into(), 4);
        let reply_header = reply.and_then(|r| r.header);
        let encap_status = reply_header.map(|h| {
            (
                h.status,
                named(encap_status_name(h.status), h.status.into()),
            )
        });
        let cip_req = request.and_then(|p| p.cip.as_deref());
        let cip_reply = reply.and_then(|r| r.cip.as_ref());
        // A reply without its request still names its service, without a class context.
        let orphan = cip_reply.filter(|_| cip_req.is_none()).map(|r| {
            let mut o = CipRequest {
                service: r.service,
                ..CipRequest::default()
            };
            o.activity = activity(r.service, None, None);
            o
        });
        let creq = cip_req.or(orphan.as_ref());
        let s = &self.scratch;

        let mut f = Fields::default();
        f.push("command_code", Value::U64(command.0.into()));
        f.push("command", Value::Str(command_name.as_str()));
        // RegisterSession's reply is where the handle is assigned.
        let session = match (header.session, reply_header) {
            (0, Some(h)) => h.session,
            (s, _) => s,
        };
        f.push("session_handle", Value::U64(session.into()));
        if let Some((code, name)) = &encap_status {
            f.push("enip_status_code", Value::U64((*code).into()));
            f.push("enip_status", Value::Str(name.as_str()));
        }
        if command != Command::SEND_UNIT_DATA {
            f.push("sender_context", Value::Bytes(&header.context));
        }
        let connection_id = request
            .and_then(|p| p.connection_id)
            .or_else(|| reply.and_then(|r| r.connection_id));
        push_u64(&mut f, "connection_id", connection_id);
        if let Some(reply_id) = reply
            .and_then(|r| r.connection_id)
            .filter(|_| request.is_some())
        {
            f.push("reply_connection_id", Value::U64(reply_id.into()));
        }
        let sequence = request
            .and_then(|p| p.sequence)
            .or_else(|| reply.and_then(|r| r.sequence));
        push_u64(&mut f, "sequence", sequence);
        let sockaddrs = [request.map(|p| p.sockaddr), reply.map(|r| r.sockaddr)];
        for (i, (ip_name, port_name)) in [
            ("sockaddr_ot_ip", "sockaddr_ot_port"),
            ("sockaddr_to_ip", "sockaddr_to_port"),
        ]
        .into_iter()
        .enumerate()
        {
            let found = sockaddrs.iter().flatten().find_map(|a| a[i]);
            if let Some((ip, port)) = found {
                f.push(ip_name, Value::Ip(ip.into()));
                f.push(port_name, Value::U64(port.into()));
            }
        }
        if let Some((version, options)) = request
            .and_then(|p| p.register)
            .or_else(|| reply.and_then(|r| r.register))
        {
            f.push("protocol_version", Value::U64(version.into()));
            f.push("option_flags", Value::U64(options.into()));
        }
        let labels = creq.map(request_labels);
        if let (Some(c), Some(l)) = (creq, &labels) {
            request_fields(&mut f, c, l, cip_req.is_none(), s);
        }
        let reply_labels = cip_reply.map(|r| {
            (
                named(general_status_name(r.status), r.status.into()),
                r.identity.map(|id| IdentityLabels::new(&id)),
            )
        });
        let failure = cip_reply
            .filter(|r| r.status == 0x01)
            .and_then(|r| r.extended)
            .and_then(connection_failure_name);
        let product_name = cip_reply
            .and_then(|r| r.identity)
            .map(|id| text(id.product_name));
        if let (Some(r), Some((status, id_labels))) = (cip_reply, &reply_labels) {
            f.push("status_code", Value::U64(r.status.into()));
            f.push("status", Value::Str(status.as_str()));
            push_u64(&mut f, "extended_status", r.extended);
            if let Some(name) = &failure {
                f.push("extended_status_name", Value::Str(name));
            }
            let expected = creq.map(|c| c.service);
            if creq.is_some_and(|c| c.routed) && r.service == service::UNCONNECTED_SEND
                || cip_req.is_some() && expected != Some(r.service)
            {
                f.push("reply_service_code", Value::U64(r.service.into()));
            }
            if r.embedded {
                f.push("embedded_statuses", Value::U64s(&s.statuses));
                if s.mismatch {
                    f.push("embedded_reply_codes", Value::U64s(&s.reply_codes));
                }
            }
            if let Some(open) = &r.open {
                f.push("ot_connection_id", Value::U64(open.ot_connection_id.into()));
                f.push("to_connection_id", Value::U64(open.to_connection_id.into()));
                f.push("ot_api", Value::U64(open.ot_api.into()));
                f.push("to_api", Value::U64(open.to_api.into()));
            }
            if let Some(p) = &r.pccc {
                f.push("pccc_status", Value::U64(p.status.into()));
            }
            if let (Some(id), Some(l), Some(name)) = (&r.identity, id_labels, &product_name) {
                identity_fields(&mut f, id, l, name);
            }
        }
        let service_name = reply.and_then(|r| r.service_name).map(text);
        let listed = reply.and_then(|r| r.identity.as_ref());
        let listed_labels = listed.map(|i| IdentityLabels::new(&i.identity));
        let listed_name = listed.map(|i| text(i.identity.product_name));
        if let Some(r) = reply.filter(|r| r.identity_items > 0 || r.identity.is_some()) {
            f.push("item_count", Value::U64(r.identity_items.into()));
        }
        if let (Some(i), Some(l), Some(name)) = (listed, &listed_labels, &listed_name) {
            f.push("encapsulation_version", Value::U64(i.version.into()));
            f.push("socket_address", Value::Ip(i.address.into()));
            f.push("socket_port", Value::U64(i.port.into()));
            identity_fields(&mut f, &i.identity, l, name);
        }
        if let Some(r) = reply {
            if let Some(name) = &service_name {
                f.push("service_name", Value::Str(name));
            }
            push_u64(&mut f, "capability_flags", r.capabilities);
            push_u64(&mut f, "interface_count", r.interfaces);
        }
        let activity = match command {
            Command::LIST_IDENTITY => Some(Activity::Identify),
            Command::REGISTER_SESSION | Command::UNREGISTER_SESSION => Some(Activity::Session),
            _ => creq.and_then(|c| c.activity),
        };
        let kind = if command.carries_cip() {
            "cip"
        } else {
            command.name().unwrap_or("unknown_command")
        };
        sink.emit(Event::Record(Record {
            protocol: PROTOCOL,
            kind,
            direction,
            activity,
            fields: f.fields(),
        }));
    }
}

/// Labels of a request, rendered on the stack before the fields borrow them.
struct RequestLabels {
    service: Label,
    class: Option<Label>,
    pccc: Option<Label>,
}

fn request_labels(c: &CipRequest) -> RequestLabels {
    let target = c.target.unwrap_or(Target::Unknown);
    RequestLabels {
        service: named(service_name(c.service, target), c.service.into()),
        class: c.class.map(|id| named(class_name(id), id.into())),
        pccc: c.pccc.map(|p| {
            let code = Pccc {
                command: p.command,
                function: p.function,
            };
            named(code.name(), p.function.unwrap_or(p.command).into())
        }),
    }
}

/// Add a CIP request's fields; `reply_only` when the request was not seen, so the embedded
/// lists are the reply's.
fn request_fields<'a>(
    f: &mut Fields<'a>,
    c: &'a CipRequest,
    l: &'a RequestLabels,
    reply_only: bool,
    s: &'a Scratch,
) {
    f.push("service_code", Value::U64(c.service.into()));
    f.push("service", Value::Str(l.service.as_str()));
    if let (Some(id), Some(name)) = (c.class, &l.class) {
        f.push("class_id", Value::U64(id.into()));
        f.push("class", Value::Str(name.as_str()));
    }
    push_u64(f, "instance_id", c.instance);
    push_u64(f, "attribute_id", c.attribute);
    push_u64(f, "member_id", c.member);
    if !c.tag.is_empty() {
        f.push("tag", Value::Str(&c.tag));
    }
    if c.routed {
        f.push("unconnected_send", Value::Bool(true));
    }
    if !c.route.is_empty() {
        f.push("route", Value::Str(&c.route));
    }
    push_u64(f, "route_port", c.route_port);
    push_u64(f, "slot", c.slot);
    if reply_only {
        if !s.reply_codes.is_empty() {
            f.push("embedded_count", Value::U64(s.reply_codes.len() as u64));
            f.push("embedded_service_codes", Value::U64s(&s.reply_codes));
            f.push("embedded_services", s.reply_names.value());
        }
    } else if c.service == service::MULTIPLE_SERVICE_PACKET {
        f.push("embedded_count", Value::U64(c.embedded_codes.len() as u64));
        f.push("embedded_service_codes", Value::U64s(&c.embedded_codes));
        f.push("embedded_services", c.embedded_names.value());
        if c.embedded_tags.len() > 0 {
            f.push("tags", c.embedded_tags.value());
        }
    }
    if let Some(t) = &c.tag_request {
        push_u64(f, "element_count", t.elements);
        push_u64(f, "data_type", t.data_type);
        push_u64(f, "byte_offset", t.offset);
    }
    if let Some(o) = &c.open {
        f.push("ot_connection_id", Value::U64(o.ot_connection_id.into()));
        f.push("to_connection_id", Value::U64(o.to_connection_id.into()));
        f.push("ot_rpi", Value::U64(o.ot_rpi.into()));
        f.push("to_rpi", Value::U64(o.to_rpi.into()));
        f.push("transport_class", Value::U64((o.transport & 0x0f).into()));
    }
    if let Some((serial, vendor, originator)) = c.connection {
        f.push("connection_serial", Value::U64(serial.into()));
        f.push("originator_vendor_id", Value::U64(vendor.into()));
        f.push("originator_serial", Value::U64(originator.into()));
    }
    if !c.connection_path.is_empty() {
        f.push("connection_path", Value::Str(&c.connection_path));
    }
    if let (Some(p), Some(name)) = (&c.pccc, &l.pccc) {
        f.push("pccc_command_code", Value::U64(p.command.into()));
        push_u64(f, "pccc_function_code", p.function);
        f.push("pccc_command", Value::Str(name.as_str()));
    }
}

/// Report a parse error as an anomaly.
fn flag(sink: &mut dyn EventSink, e: &EnipError) {
    report(sink, PROTOCOL, e.code(), Some(e.offset()), e);
}

/// Add a numeric field when it has a value.
fn push_u64<'a>(f: &mut Fields<'a>, name: &'a str, value: Option<impl Into<u64>>) {
    if let Some(v) = value {
        f.push(name, Value::U64(v.into()));
    }
}

/// Labels of identity attributes.
struct IdentityLabels {
    device_type: Label,
    revision: Label,
    serial: Label,
}

impl IdentityLabels {
    fn new(id: &Identity<'_>) -> IdentityLabels {
        IdentityLabels {
            device_type: named(device_type_name(id.device_type), id.device_type.into()),
            revision: revision(id.major, id.minor),
            serial: Label::new(format_args!("{:#010x}", id.serial)),
        }
    }
}

fn identity_fields<'a>(
    f: &mut Fields<'a>,
    id: &Identity<'a>,
    l: &'a IdentityLabels,
    name: &'a str,
) {
    f.push("vendor_id", Value::U64(id.vendor.into()));
    if let Some(vendor) = crate::vendor_ids::cip(id.vendor) {
        f.push("vendor", Value::Str(vendor));
    }
    f.push("device_type_code", Value::U64(id.device_type.into()));
    f.push("device_type", Value::Str(l.device_type.as_str()));
    f.push("product_code", Value::U64(id.product_code.into()));
    f.push("revision", Value::Str(l.revision.as_str()));
    f.push("device_status", Value::U64(id.status.into()));
    f.push("serial", Value::Str(l.serial.as_str()));
    f.push("product_name", Value::Str(name));
    push_u64(f, "state", id.state);
}

/// Render a revision as Wireshark's detail pane does: `4.03`.
fn revision(major: u8, minor: u8) -> Label {
    Label::new(format_args!("{major}.{minor:02}"))
}

/// Report what an Identity object says about a device.
fn identify_device(
    subject: Subject,
    id: &Identity<'_>,
    confidence: Confidence,
    sink: &mut dyn EventSink,
) {
    let name = text(id.product_name);
    if let Some(vendor) = crate::vendor_ids::cip(id.vendor) {
        identify(
            sink,
            PROTOCOL,
            subject,
            Attribute::Vendor,
            vendor,
            confidence,
        );
    }
    identify(sink, PROTOCOL, subject, Attribute::Model, &name, confidence);
    let code = Label::new(format_args!("{}", id.product_code));
    identify(
        sink,
        PROTOCOL,
        subject,
        Attribute::ProductCode,
        code.as_str(),
        confidence,
    );
    let firmware = revision(id.major, id.minor);
    identify(
        sink,
        PROTOCOL,
        subject,
        Attribute::Firmware,
        firmware.as_str(),
        confidence,
    );
    let serial = Label::new(format_args!("{:#010x}", id.serial));
    identify(
        sink,
        PROTOCOL,
        subject,
        Attribute::Serial,
        serial.as_str(),
        confidence,
    );
    if let Some((hint, _)) = device_type_hint(id.device_type) {
        identify(
            sink,
            PROTOCOL,
            subject,
            Attribute::DeviceType,
            hint,
            confidence,
        );
    }
}

/// Read the data of a non-CIP encapsulation reply.
fn encapsulation_reply<'a>(h: &Header, body: &'a [u8], sink: &mut dyn EventSink) -> Reply<'a> {
    let mut reply = Reply {
        header: Some(*h),
        ..Reply::default()
    };
    let list = matches!(
        h.command,
        Command::LIST_IDENTITY | Command::LIST_SERVICES | Command::LIST_INTERFACES
    );
    if h.command == Command::REGISTER_SESSION {
        match parse::register_session(body, HEADER_LEN) {
            Ok(v) => reply.register = Some(v),
            Err(e) => flag(sink, &e),
        }
    }
    if !list || body.is_empty() {
        return reply;
    }
    let items = match Items::new(body, HEADER_LEN) {
        Ok(items) => items,
        Err(e) => {
            flag(sink, &e);
            return reply;
        }
    };
    if h.command == Command::LIST_INTERFACES {
        reply.interfaces = Some(items.count);
    }
    for it in items {
        let it = match it {
            Ok(it) => it,
            Err(e) => {
                flag(sink, &e);
                break;
            }
        };
        match (h.command, it.type_id) {
            (Command::LIST_IDENTITY, item::CIP_IDENTITY) => {
                reply.identity_items += 1;
                if reply.identity.is_none() {
                    match parse::identity_item(it.data, it.offset) {
                        Ok(i) => reply.identity = Some(i),
                        Err(e) => flag(sink, &e),
                    }
                }
            }
            (Command::LIST_SERVICES, item::LIST_SERVICES) => {
                match parse::service_item(it.data, it.offset) {
                    Ok(s) => {
                        reply.service_name.get_or_insert(s.name);
                        reply.capabilities = Some(reply.capabilities.unwrap_or(0) | s.capabilities);
                    }
                    Err(e) => flag(sink, &e),
                }
            }
            _ => {}
        }
    }
    reply
}

/// Read a request into `c`; `nested` for the message an Unconnected Send carries.
fn read_request(
    c: &mut CipRequest,
    req: &Request<'_>,
    nested: bool,
    s: &mut Scratch,
    sink: &mut dyn EventSink,
) {
    c.service = req.service;
    let p = match parse::path(req.path, req.path_offset, &mut c.tag, &mut c.route) {
        Ok(p) => p,
        Err(e) => {
            flag(sink, &e);
            parse::Path::default()
        }
    };
    c.class = p.class;
    c.instance = p.instance;
    c.attribute = p.attribute;
    c.member = p.member;
    let target = if p.symbols > 0 {
        Target::Tag
    } else {
        p.class.map_or(Target::Unknown, Target::Class)
    };
    c.target = Some(target);
    let cm = target == Target::Class(class::CONNECTION_MANAGER);
    match (req.service, target) {
        (service::UNCONNECTED_SEND, _) if cm && !nested => {
            return unconnected(c, req, s, sink);
        }
        (service::FORWARD_OPEN | service::LARGE_FORWARD_OPEN, _) if cm => {
            let large = req.service == service::LARGE_FORWARD_OPEN;
            match parse::forward_open(req.data, req.data_offset, large) {
                Ok(o) => {
                    c.open = Some(OpenRequest {
                        ot_connection_id: o.ot_connection_id,
                        to_connection_id: o.to_connection_id,
                        ot_rpi: o.ot_rpi,
                        to_rpi: o.to_rpi,
                        transport: o.transport,
                    });
                    c.connection = Some((o.serial, o.vendor, o.originator_serial));
                    connection_path(c, o.path, o.path_offset, s, sink);
                }
                Err(e) => flag(sink, &e),
            }
        }
        (service::FORWARD_CLOSE, _) if cm => {
            match parse::forward_close(req.data, req.data_offset) {
                Ok(o) => {
                    c.connection = Some((o.serial, o.vendor, o.originator_serial));
                    connection_path(c, o.path, o.path_offset, s, sink);
                }
                Err(e) => flag(sink, &e),
            }
        }
        (service::MULTIPLE_SERVICE_PACKET, _) => multiple(c, req, s, sink),
        (
            service::READ_TAG
            | service::WRITE_TAG
            | service::FORWARD_CLOSE
            | service::UNCONNECTED_SEND
            | service::WRITE_TAG_FRAGMENTED,
            Target::Tag,
        ) => {
            let write = matches!(
                req.service,
                service::WRITE_TAG | service::WRITE_TAG_FRAGMENTED
            );
            let fragmented = matches!(
                req.service,
                service::UNCONNECTED_SEND | service::WRITE_TAG_FRAGMENTED
            );
            if req.service != service::FORWARD_CLOSE {
                match parse::tag_request(req.data, req.data_offset, write, fragmented) {
                    Ok(t) => c.tag_request = Some(t),
                    Err(e) => flag(sink, &e),
                }
            }
        }
        (service::EXECUTE_PCCC, Target::Class(class::PCCC)) => {
            match parse::pccc(req.data, req.data_offset, true) {
                Ok(p) => c.pccc = Some(p),
                Err(e) => flag(sink, &e),
            }
        }
        _ => {}
    }
    if c.service != service::MULTIPLE_SERVICE_PACKET {
        c.activity = activity(c.service, Some(target), c.pccc);
    }
}

/// Read an Unconnected Send: its route, then the request it carries, into `c`.
fn unconnected(c: &mut CipRequest, req: &Request<'_>, s: &mut Scratch, sink: &mut dyn EventSink) {
    let u = match parse::unconnected_send(req.data, req.data_offset) {
        Ok(u) => u,
        Err(e) => {
            flag(sink, &e);
            c.activity = None;
            return;
        }
    };
    c.routed = true;
    c.route.clear();
    s.tag.clear();
    match parse::path(u.route, u.route_offset, &mut s.tag, &mut c.route) {
        Ok(p) => {
            if let Some((port, link)) = p.port {
                c.route_port = Some(port);
                if let Link::Node(n) = link
                    && port == 1
                {
                    c.slot = Some(n.into());
                }
            }
        }
        Err(e) => flag(sink, &e),
    }
    let (port, slot) = (c.route_port, c.slot);
    std::mem::swap(&mut c.route, &mut s.saved_route);
    c.route.clear();
    c.tag.clear();
    c.class = None;
    c.instance = None;
    c.attribute = None;
    c.member = None;
    match parse::cip(u.message, u.message_offset) {
        Ok(Cip::Request(inner)) => read_request(c, &inner, true, s, sink),
        Ok(Cip::Response(_)) => {
            let detail = "an Unconnected Send carries a reply, not a request";
            report(
                sink,
                PROTOCOL,
                "unexpected_reply",
                Some(u.message_offset),
                &detail,
            );
        }
        Err(e) => flag(sink, &e),
    }
    c.routed = true;
    std::mem::swap(&mut c.route, &mut s.saved_route);
    c.route_port = port;
    c.slot = slot;
}

/// Render a Forward Open or Close connection path: `1/0 class 0x02 instance 1`.
fn connection_path(
    c: &mut CipRequest,
    bytes: &[u8],
    base: usize,
    s: &mut Scratch,
    sink: &mut dyn EventSink,
) {
    s.tag.clear();
    c.connection_path.clear();
    match parse::path(bytes, base, &mut s.tag, &mut c.connection_path) {
        Ok(p) => {
            let mut add = |name: &str, v: Option<u32>, hex: bool| {
                if let Some(v) = v {
                    if !c.connection_path.is_empty() {
                        c.connection_path.push(' ');
                    }
                    let label = if hex {
                        Label::new(format_args!("{name} {v:#04x}"))
                    } else {
                        Label::new(format_args!("{name} {v}"))
                    };
                    c.connection_path.push_str(label.as_str());
                }
            };
            add("class", p.class, true);
            add("instance", p.instance, false);
            add("point", p.connection_point, false);
        }
        Err(e) => flag(sink, &e),
    }
}

/// Read the embedded requests of a Multiple Service Packet into `c`.
fn multiple(c: &mut CipRequest, req: &Request<'_>, s: &mut Scratch, sink: &mut dyn EventSink) {
    let services = match Embedded::new(req.data, req.data_offset) {
        Ok(e) => e,
        Err(e) => return flag(sink, &e),
    };
    if services.count > parse::MAX_EMBEDDED {
        let detail = format_args!(
            "{} embedded services; the first {} are read",
            services.count,
            parse::MAX_EMBEDDED
        );
        report(
            sink,
            PROTOCOL,
            "too_many_services",
            Some(req.data_offset),
            &detail,
        );
    }
    let mut strongest: Option<Activity> = None;
    for one in services {
        let (bytes, offset) = match one {
            Ok(x) => x,
            Err(e) => {
                flag(sink, &e);
                break;
            }
        };
        let inner = match parse::cip(bytes, offset) {
            Ok(Cip::Request(r)) => r,
            Ok(Cip::Response(_)) => continue,
            Err(e) => {
                flag(sink, &e);
                continue;
            }
        };
        s.tag.clear();
        s.route.clear();
        let p = match parse::path(inner.path, inner.path_offset, &mut s.tag, &mut s.route) {
            Ok(p) => p,
            Err(e) => {
                flag(sink, &e);
                parse::Path::default()
            }
        };
        let target = if p.symbols > 0 {
            Target::Tag
        } else {
            p.class.map_or(Target::Unknown, Target::Class)
        };
        c.embedded_codes.push(inner.service.into());
        let name = named(service_name(inner.service, target), inner.service.into());
        c.embedded_names.push(name.as_str());
        if !s.tag.is_empty() {
            c.embedded_tags.push(&s.tag);
        }
        if let Some(a) = activity(inner.service, Some(target), None)
            && strongest.is_none_or(|b| rank(a) > rank(b))
        {
            strongest = Some(a);
        }
    }
    c.activity = strongest;
}

/// Read the embedded replies of a Multiple Service Packet reply into the scratch lists.
fn read_embedded_replies(
    resp: &Response<'_>,
    request: Option<&CipRequest>,
    s: &mut Scratch,
    sink: &mut dyn EventSink,
) {
    let replies = match Embedded::new(resp.data, resp.data_offset) {
        Ok(e) => e,
        Err(e) => return flag(sink, &e),
    };
    for (i, one) in replies.enumerate() {
        let (bytes, offset) = match one {
            Ok(x) => x,
            Err(e) => {
                flag(sink, &e);
                break;
            }
        };
        match parse::cip(bytes, offset) {
            Ok(Cip::Response(r)) => {
                s.statuses.push(r.status.into());
                s.reply_codes.push(r.service.into());
                let asked = request.and_then(|c| c.embedded_codes.get(i).copied());
                if request.is_some() && asked != Some(r.service.into()) {
                    s.mismatch = true;
                }
                // Names are reported only for replies whose request was not seen.
                if request.is_none() {
                    let name = named(service_name(r.service, Target::Unknown), r.service.into());
                    s.reply_names.push(name.as_str());
                }
            }
            Ok(Cip::Request(_)) => {}
            Err(e) => flag(sink, &e),
        }
    }
    if s.mismatch {
        let detail = "embedded replies do not answer the embedded requests in order";
        report(
            sink,
            PROTOCOL,
            "reply_service_mismatch",
            Some(resp.data_offset),
            &detail,
        );
    }
}

/// What a service does to the device (see the module documentation for the sources).
fn activity(code: u8, target: Option<Target>, pccc: Option<PcccCommand>) -> Option<Activity> {
    use service::*;
    let class = match target {
        Some(Target::Class(c)) => Some(c),
        _ => None,
    };
    let tag = target == Some(Target::Tag) || class == Some(0x6b);
    let config = matches!(class, Some(class::TCP_IP | class::ETHERNET_LINK));
    Some(match code {
        GET_ATTRIBUTES_ALL | GET_ATTRIBUTE_LIST | GET_ATTRIBUTE_SINGLE | FIND_NEXT | GET_MEMBER => {
            if class == Some(class::IDENTITY) {
                Activity::Identify
            } else {
                Activity::Read
            }
        }
        SET_ATTRIBUTES_ALL | SET_ATTRIBUTE_LIST | SET_ATTRIBUTE_SINGLE | APPLY_ATTRIBUTES
        | SET_MEMBER | CREATE | DELETE | RESTORE => {
            if config {
                Activity::ConfigChange
            } else {
                Activity::Write
            }
        }
        RESET => Activity::Restart,
        START => Activity::PlcStart,
        STOP => Activity::PlcStop,
        FORWARD_OPEN | LARGE_FORWARD_OPEN | FORWARD_CLOSE
            if class == Some(class::CONNECTION_MANAGER) =>
        {
            Activity::Session
        }
        READ_TAG | UNCONNECTED_SEND if tag => Activity::Read,
        WRITE_TAG | WRITE_TAG_FRAGMENTED | FORWARD_CLOSE if tag => Activity::Write,
        GET_INSTANCE_ATTRIBUTE_LIST if class == Some(0x6b) => Activity::Read,
        EXECUTE_PCCC if class == Some(class::PCCC) => {
            let p = pccc?;
            match (Pccc {
                command: p.command,
                function: p.function,
            })
            .action()?
            {
                PcccAction::Read => Activity::Read,
                PcccAction::Write => Activity::Write,
                PcccAction::Identify => Activity::Identify,
                PcccAction::ModeChange => Activity::ModeChange,
                PcccAction::ProgramDownload => Activity::ProgramDownload,
                PcccAction::ProgramUpload => Activity::ProgramUpload,
            }
        }
        _ => return None,
    })
}

/// Order activities by consequence, to name a Multiple Service Packet by its strongest.
fn rank(a: Activity) -> u8 {
    match a {
        Activity::Identify | Activity::Diagnostics | Activity::Monitor => 1,
        Activity::Read => 2,
        Activity::Session => 3,
        Activity::Write | Activity::Command => 4,
        Activity::ConfigChange => 5,
        Activity::Restart => 6,
        _ => 7,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_event::CollectingSink;

    /// An encapsulation message (Vol. 2 §2-3.1) with sender context `ctx` around `body`.
    fn encap(command: u16, ctx: u8, body: &[u8]) -> Vec<u8> {
        let mut m = command.to_le_bytes().to_vec();
        m.extend_from_slice(&(body.len() as u16).to_le_bytes()); // length
        m.extend_from_slice(&0x1302_0500u32.to_le_bytes()); // session handle
        m.extend_from_slice(&[0; 4]); // status: success
        m.extend_from_slice(&[ctx, 0, 0, 0, 0, 0, 0, 0]); // sender context
        m.extend_from_slice(&[0; 4]); // options
        m.extend_from_slice(body);
        m
    }

    /// SendRRData data (Vol. 2 §2-4.7): interface 0, timeout, null address, unconnected data.
    fn rr(cip: &[u8]) -> Vec<u8> {
        let mut d = vec![
            0, 0, 0, 0, // interface handle: CIP
            0x14, 0x00, // timeout 20
            0x02, 0x00, // two items
            0x00, 0x00, 0x00, 0x00, // null address item
            0xb2, 0x00, // unconnected data item
        ];
        d.extend_from_slice(&(cip.len() as u16).to_le_bytes());
        d.extend_from_slice(cip);
        d
    }

    /// SendUnitData data: connected address `id`, connected data with sequence `seq`.
    fn unit(id: u32, seq: u16, cip: &[u8]) -> Vec<u8> {
        let mut d = vec![0, 0, 0, 0, 0x00, 0x00, 0x02, 0x00, 0xa1, 0x00, 0x04, 0x00];
        d.extend_from_slice(&id.to_le_bytes()); // connected address item
        d.extend_from_slice(&[0xb1, 0x00]); // connected data item
        d.extend_from_slice(&(cip.len() as u16 + 2).to_le_bytes());
        d.extend_from_slice(&seq.to_le_bytes()); // CIP sequence count
        d.extend_from_slice(cip);
        d
    }

    fn tcp() -> EnipDissector {
        EnipDissector::new(Transport::Tcp, 8)
    }

    /// The Identity object attributes of a 1756-L61 (Vol. 1 §5A-2.2).
    const L61: &[u8] = &[
        0x01, 0x00, // vendor 1
        0x0e, 0x00, // device type 14: PLC
        0x36, 0x00, // product code 54
        0x10, 0x14, // revision 16.20
        0x60, 0x30, // status
        0x3f, 0x82, 0x51, 0x00, // serial 0x0051823f
        0x0a, b'1', b'7', b'5', b'6', b'-', b'L', b'6', b'1', b'/', b'B', // name
    ];

    #[test]
    fn pairs_a_routed_identity_read_and_reports_the_module_in_its_slot() {
        let mut d = tcp();
        let mut sink = CollectingSink::default();
        let request = [
            0x52, 0x02, 0x20, 0x06, 0x24, 0x01, // Unconnected Send to the connection manager
            0x07, 0xe9, 0x06, 0x00, // tick, timeout ticks, message size 6
            0x01, 0x02, 0x20, 0x01, 0x24, 0x01, // Get_Attributes_All identity instance 1
            0x01, 0x00, 0x01, 0x02, // route: 1 word, port 1 slot 2
        ];
        d.feed(
            Direction::ToServer,
            &encap(0x6f, 9, &rr(&request)),
            &mut sink,
        );
        assert!(sink.matching("record").is_empty(), "waits for the reply");
        let mut reply = vec![0x81, 0x00, 0x00, 0x00]; // Get_Attributes_All reply, success
        reply.extend_from_slice(L61);
        d.feed(Direction::ToClient, &encap(0x6f, 9, &rr(&reply)), &mut sink);
        let records = sink.matching("record enip cip transaction [identify]");
        assert_eq!(records.len(), 1, "{:?}", sink.lines);
        assert!(records[0].contains(r#""service_code":1,"service":"get_attributes_all","class_id":1,"class":"identity","instance_id":1,"unconnected_send":true,"route":"1/2","route_port":1,"slot":2"#), "{}", records[0]);
        assert!(records[0].contains(r#""revision":"16.20","device_status":12384,"serial":"0x0051823f","product_name":"1756-L61/B""#));
        assert_eq!(
            sink.matching("module"),
            vec![
                "module enip Server rack=- slot=2 kind=cpu model=1756-L61/B order= fw=16.20 hw= serial=0x0051823f"
            ]
        );
        assert!(
            sink.matching("identity").is_empty(),
            "slot 2 is not the server"
        );
    }

    #[test]
    fn identifies_the_server_from_an_unrouted_identity_read() {
        let mut d = tcp();
        let mut sink = CollectingSink::default();
        let request = [0x01, 0x02, 0x20, 0x01, 0x24, 0x01];
        d.feed(
            Direction::ToServer,
            &encap(0x6f, 1, &rr(&request)),
            &mut sink,
        );
        let mut reply = vec![0x81, 0x00, 0x00, 0x00];
        reply.extend_from_slice(L61);
        d.feed(Direction::ToClient, &encap(0x6f, 1, &rr(&reply)), &mut sink);
        assert_eq!(
            sink.matching("identity"),
            vec![
                "identity enip Server vendor Rockwell Automation/Allen-Bradley",
                "identity enip Server model 1756-L61/B",
                "identity enip Server product_code 54",
                "identity enip Server firmware 16.20",
                "identity enip Server serial 0x0051823f",
                "identity enip Server device_type plc",
            ]
        );
    }

    #[test]
    fn reports_a_stop_request_left_unanswered_on_close() {
        let mut d = tcp();
        let mut sink = CollectingSink::default();
        let stop = [0x07, 0x02, 0x20, 0x8e, 0x24, 0x01]; // Stop, class 0x8e instance 1
        d.feed(Direction::ToServer, &encap(0x6f, 3, &rr(&stop)), &mut sink);
        d.close(&mut sink);
        let records = sink.matching("record enip cip request [plc_stop]");
        assert_eq!(records.len(), 1, "{:?}", sink.lines);
        assert!(records[0].contains(
            r#""service_code":7,"service":"stop","class_id":142,"class":"0x8e (unknown)""#
        ));
    }

    #[test]
    fn remembers_a_bounded_number_of_short_requests_replacing_the_oldest() {
        let mut r = RememberedRequests::default();
        let request = |service| CipRequest {
            service,
            ..CipRequest::default()
        };
        for n in 0..=REMEMBERED_REQUESTS as u8 {
            r.remember(&[n], &request(n));
        }
        assert_eq!(r.entries.len(), REMEMBERED_REQUESTS);
        assert!(r.find(&[0]).is_none(), "the oldest made room");
        for n in 1..=REMEMBERED_REQUESTS as u8 {
            assert_eq!(r.find(&[n]).map(|c| c.service), Some(n));
        }
        r.remember(&[7; MAX_REMEMBERED_REQUEST + 1], &request(99));
        assert!(r.find(&[7; MAX_REMEMBERED_REQUEST + 1]).is_none());
    }

    /// An HMI's poll repeated: the remembered request gives the same record every time, and a
    /// request that drew an anomaly is read (and reported) again each time.
    #[test]
    fn a_repeated_poll_reads_the_same_as_the_first() {
        let mut d = tcp();
        let mut sink = CollectingSink::default();
        let msp = [
            0x0a, 0x02, 0x20, 0x02, 0x24, 0x01, // Multiple Service Packet to the router
            0x02, 0x00, 0x06, 0x00, 0x10, 0x00, // two services at 6 and 16
            0x4c, 0x03, 0x91, 0x03, b'R', b'u', b'n', 0x00, 0x01, 0x00, // read "Run"
            0x4c, 0x02, 0x20, 0x8e, 0x24, 0x01, 0x01, 0x00, // read class 0x8e instance 1
        ];
        let reply = [
            0x8a, 0x00, 0x00, 0x00, 0x02, 0x00, 0x06, 0x00, 0x0a, 0x00, // MSP reply
            0xcc, 0x00, 0x00, 0x00, 0xcc, 0x00, 0x00, 0x00,
        ];
        for _ in 0..3 {
            d.feed(Direction::ToServer, &encap(0x6f, 1, &rr(&msp)), &mut sink);
            d.feed(Direction::ToClient, &encap(0x6f, 1, &rr(&reply)), &mut sink);
        }
        let records = sink.matching("record enip cip transaction");
        assert_eq!(records.len(), 3, "{:?}", sink.lines);
        assert!(records[0].contains(r#""embedded_count":2,"embedded_service_codes":[76,76],"embedded_services":["read_tag","0x4c (unknown)"],"tags":["Run"]"#), "{}", records[0]);
        assert!(records.iter().all(|r| r == &records[0]), "{records:?}");
        let truncated = [0x4c, 0x03, 0x91, 0x07, b'R', b'u', b'n', 0x00]; // name overruns the path
        for context in 4..=5 {
            d.feed(
                Direction::ToServer,
                &encap(0x6f, context, &rr(&truncated)),
                &mut sink,
            );
        }
        assert_eq!(sink.matching("anomaly").len(), 2, "{:?}", sink.lines);
    }

    #[test]
    fn pairs_connected_messages_by_connection_and_sequence() {
        let mut d = tcp();
        let mut sink = CollectingSink::default();
        let msp = [
            0x0a, 0x02, 0x20, 0x02, 0x24, 0x01, // Multiple Service Packet to the router
            0x02, 0x00, 0x06, 0x00, 0x12, 0x00, // two services at 6 and 18
            0x4c, 0x04, 0x91, 0x05, b'S', b'p', b'e', b'e', b'd', 0x00, 0x01,
            0x00, // read "Speed"
            0x4d, 0x03, 0x91, 0x03, b'R', b'u', b'n', 0x00, 0xc1, 0x00, 0x01, 0x00, 0x01, 0x00,
        ];
        d.feed(
            Direction::ToServer,
            &encap(0x70, 0, &unit(0x11, 7, &msp)),
            &mut sink,
        );
        let reply = [
            0x8a, 0x00, 0x00, 0x00, // MSP reply, success
            0x02, 0x00, 0x06, 0x00, 0x0c, 0x00, // two replies at 6 and 12
            0xcc, 0x00, 0x00, 0x00, 0xc4, 0x00, // read tag reply, success, DINT
            0xcd, 0x00, 0x00, 0x00, // write tag reply, success
        ];
        d.feed(
            Direction::ToClient,
            &encap(0x70, 0, &unit(0x99, 7, &reply)),
            &mut sink,
        );
        let records = sink.matching("record enip cip transaction [write]");
        assert_eq!(records.len(), 1, "{:?}", sink.lines);
        assert!(
            records[0].contains(r#""connection_id":17,"reply_connection_id":153,"sequence":7"#)
        );
        assert!(records[0].contains(r#""embedded_count":2,"embedded_service_codes":[76,77],"embedded_services":["read_tag","write_tag"],"tags":["Speed","Run"]"#), "{}", records[0]);
        assert!(records[0].contains(r#""embedded_statuses":[0,0]"#));
        // The pair is learnt: a reply on another connection with the same sequence is alone.
        d.feed(
            Direction::ToServer,
            &encap(0x70, 0, &unit(0x11, 8, &msp)),
            &mut sink,
        );
        d.feed(
            Direction::ToClient,
            &encap(0x70, 0, &unit(0x55, 8, &reply)),
            &mut sink,
        );
        assert_eq!(sink.matching("record enip cip response").len(), 1);
    }

    #[test]
    fn reports_list_identity_and_identifies_the_responder() {
        let mut d = EnipDissector::new(Transport::Udp, 8);
        let mut sink = CollectingSink::default();
        let mut item = vec![0x01, 0x00, 0x00, 0x02, 0xaf, 0x12, 10, 1, 1, 164];
        item.extend_from_slice(&[0; 8]);
        item.extend_from_slice(&[
            0x01, 0x00, 0x0c, 0x00, 0x3a, 0x00, 0x04, 0x03, 0x30, 0x00, 0x8e, 0x4d, 0x52, 0x00,
            0x0b,
        ]);
        item.extend_from_slice(b"1756-ENBT/A\x03");
        let mut body = vec![0x01, 0x00, 0x0c, 0x00];
        body.extend_from_slice(&(item.len() as u16).to_le_bytes());
        body.extend_from_slice(&item);
        d.feed(Direction::ToClient, &encap(0x63, 0, &body), &mut sink);
        let records = sink.matching("record enip list_identity response [identify]");
        assert_eq!(records.len(), 1, "{:?}", sink.lines);
        assert!(records[0].contains(r#""item_count":1,"encapsulation_version":1,"socket_address":"10.1.1.164","socket_port":44818,"vendor_id":1,"vendor":"Rockwell Automation/Allen-Bradley","device_type_code":12,"device_type":"Communications Adapter","product_code":58,"revision":"4.03""#), "{}", records[0]);
        assert!(
            sink.lines
                .iter()
                .any(|l| l == "identity enip Server device_type communication adapter")
        );
        assert!(
            sink.lines
                .iter()
                .any(|l| l == "identity enip Server serial 0x00524d8e")
        );
    }

    #[test]
    fn flags_set_on_the_tcp_ip_object_as_a_config_change() {
        let mut d = tcp();
        let mut sink = CollectingSink::default();
        let set = [0x10, 0x03, 0x20, 0xf5, 0x24, 0x01, 0x30, 0x05, 10, 0, 0, 9];
        d.feed(Direction::ToServer, &encap(0x6f, 4, &rr(&set)), &mut sink);
        let reply = [0x90, 0x00, 0x0e, 0x00]; // attribute not settable
        d.feed(Direction::ToClient, &encap(0x6f, 4, &rr(&reply)), &mut sink);
        let records = sink.matching("record enip cip transaction [config_change]");
        assert_eq!(records.len(), 1, "{:?}", sink.lines);
        assert!(records[0].contains(r#""status_code":14,"status":"attribute_not_settable""#));
    }

    #[test]
    fn classifies_pccc_mode_changes() {
        let mut d = tcp();
        let mut sink = CollectingSink::default();
        let pccc = [
            0x4b, 0x02, 0x20, 0x67, 0x24, 0x01, // Execute PCCC, PCCC object instance 1
            0x07, 0x01, 0x00, 0x78, 0x56, 0x34, 0x12, // requester id
            0x0f, 0x00, 0x05, 0x00, 0x80, 0x01, // CMD 0f, STS, TNS 5, FNC 80 change mode
        ];
        d.feed(Direction::ToServer, &encap(0x6f, 5, &rr(&pccc)), &mut sink);
        d.close(&mut sink);
        let records = sink.matching("record enip cip request [mode_change]");
        assert_eq!(records.len(), 1, "{:?}", sink.lines);
        assert!(records[0].contains(
            r#""pccc_command_code":15,"pccc_function_code":128,"pccc_command":"change_mode""#
        ));
    }

    #[test]
    fn reports_forward_open_and_learns_its_connection_pair() {
        let mut d = tcp();
        let mut sink = CollectingSink::default();
        let mut open = vec![0x54, 0x02, 0x20, 0x06, 0x24, 0x01]; // Forward Open
        open.extend_from_slice(&[
            0x0a, 0x0e, 0, 0, 0, 0, 0x01, 0x03, 0x8b, 0x00, 0x34, 0x12, 0x01, 0x00, 0x78, 0x56,
            0x34, 0x12, 0x01, 0, 0, 0, 0x40, 0x42, 0x0f, 0x00, 0xf4, 0x43, 0x40, 0x42, 0x0f, 0x00,
            0xf4, 0x43, 0xa3, 0x03, 0x01, 0x00, 0x20, 0x02, 0x24, 0x01,
        ]);
        d.feed(Direction::ToServer, &encap(0x6f, 6, &rr(&open)), &mut sink);
        let mut reply = vec![0xd4, 0x00, 0x00, 0x00];
        reply.extend_from_slice(&0x0000_2222u32.to_le_bytes()); // O->T id chosen by target
        reply.extend_from_slice(&0x008b_0301u32.to_le_bytes()); // T->O id
        reply.extend_from_slice(&[0x34, 0x12, 0x01, 0x00, 0x78, 0x56, 0x34, 0x12]);
        reply.extend_from_slice(&[0x40, 0x42, 0x0f, 0x00, 0x40, 0x42, 0x0f, 0x00, 0, 0]);
        let mut body = rr(&reply);
        body[6] = 3; // a third item: T->O socket address info (Vol. 2 §2-6.3.3)
        body.extend_from_slice(&[0x01, 0x80, 0x10, 0x00]); // type 0x8001, 16 bytes
        body.extend_from_slice(&[0x00, 0x02, 0x08, 0xae, 239, 192, 1, 3]); // AF_INET, 2222
        body.extend_from_slice(&[0; 8]); // sin_zero
        d.feed(Direction::ToClient, &encap(0x6f, 6, &body), &mut sink);
        let records = sink.matching("record enip cip transaction [session]");
        assert_eq!(records.len(), 1, "{:?}", sink.lines);
        assert!(
            records[0].contains(r#""connection_path":"1/0 class 0x02 instance 1""#),
            "{}",
            records[0]
        );
        assert!(records[0].contains(r#""ot_connection_id":8738,"to_connection_id":9110273"#));
        assert!(
            records[0].contains(r#""sockaddr_to_ip":"239.192.1.3","sockaddr_to_port":2222"#),
            "{}",
            records[0]
        );
        assert_eq!(d.connections, vec![(0x2222, 0x008b_0301)]);
    }

    #[test]
    fn survives_garbage_and_resynchronises_after_a_gap() {
        let mut d = tcp();
        let mut sink = CollectingSink::default();
        let junk = [0xee; 40];
        assert_eq!(
            d.feed(Direction::ToServer, &junk, &mut sink),
            Feed::LostSync
        );
        assert_eq!(sink.anomalies("lost_sync"), 1);
        // Zeros look like a NOP, so only a distinctive header ends the search.
        let mut stream = vec![0x55; 7];
        stream.extend_from_slice(&encap(0x00, 0, &[]));
        assert_eq!(
            d.feed(Direction::ToServer, &stream, &mut sink),
            Feed::Consumed(8)
        );
        let mut rest = stream[8..].to_vec();
        rest.extend_from_slice(&encap(0x63, 0, &[]));
        assert_eq!(
            d.feed(Direction::ToServer, &rest, &mut sink),
            Feed::Consumed(47)
        );
        d.close(&mut sink);
        assert_eq!(sink.matching("record enip list_identity request").len(), 1);
        assert!(sink.matching("record enip nop").is_empty());
    }

    #[test]
    fn reports_a_reply_without_its_request_by_what_it_says() {
        let mut d = tcp();
        let mut sink = CollectingSink::default();
        let reply = [
            0x8a, 0x00, 0x1e, 0x00, // MSP reply: embedded service error
            0x02, 0x00, 0x06, 0x00, 0x0a, 0x00, // two replies at 6 and 10
            0xcc, 0x00, 0x00, 0x00, // read tag reply, success
            0xcd, 0x00, 0x05, 0x00, // write tag reply, path destination unknown
        ];
        d.feed(
            Direction::ToClient,
            &encap(0x70, 0, &unit(0x42, 3, &reply)),
            &mut sink,
        );
        let records = sink.matching("record enip cip response");
        assert_eq!(records.len(), 1, "{:?}", sink.lines);
        assert!(
            records[0].contains(r#""embedded_count":2,"embedded_service_codes":[76,77]"#),
            "{}",
            records[0]
        );
        assert!(records[0].contains(r#""status_code":30,"status":"embedded_service_error""#));
        assert!(records[0].contains(r#""embedded_statuses":[0,5]"#));
    }

    #[test]
    fn flags_datagram_lengths_unknown_items_and_options() {
        let mut d = EnipDissector::new(Transport::Udp, 8);
        let mut sink = CollectingSink::default();
        let mut m = encap(0x63, 0, &[]);
        m[20] = 1; // options must be zero
        m.extend_from_slice(&[0xaa, 0xbb]); // two bytes the length does not count
        d.feed(Direction::ToServer, &m, &mut sink);
        assert_eq!(sink.anomalies("nonzero_options"), 1);
        assert_eq!(sink.anomalies("bad_length"), 1);
        let mut body = rr(&[0x0e, 0x03, 0x20, 0x01, 0x24, 0x01, 0x30, 0x07]);
        body[6] = 3; // a third item of an unassigned type
        body.extend_from_slice(&[0x34, 0x12, 0x00, 0x00]);
        let mut t = tcp();
        t.feed(Direction::ToServer, &encap(0x6f, 2, &body), &mut sink);
        assert_eq!(sink.anomalies("unknown_item"), 1);
        t.close(&mut sink);
        let records = sink.matching("record enip cip request [identify]");
        assert!(records[0].contains(r#""service":"get_attribute_single","class_id":1,"class":"identity","instance_id":1,"attribute_id":7"#), "{}", records[0]);
        d.feed(Direction::ToServer, &[0x63, 0x00], &mut sink);
        assert_eq!(sink.anomalies("truncated"), 1);
    }

    #[test]
    fn waits_for_a_message_split_across_segments() {
        let mut d = tcp();
        let mut sink = CollectingSink::default();
        let m = encap(0x65, 1, &[0x01, 0x00, 0x00, 0x00]);
        assert_eq!(
            d.feed(Direction::ToServer, &m[..20], &mut sink),
            Feed::Consumed(0)
        );
        assert_eq!(
            d.feed(Direction::ToServer, &m[..26], &mut sink),
            Feed::Consumed(0)
        );
        assert_eq!(
            d.feed(Direction::ToServer, &m, &mut sink),
            Feed::Consumed(28)
        );
        d.gap(Direction::ToServer, 100, &mut sink);
        let mut after = vec![0x00; 5];
        after.extend_from_slice(&encap(0x66, 0, &[]));
        assert_eq!(
            d.feed(Direction::ToServer, &after, &mut sink),
            Feed::Consumed(29)
        );
        assert_eq!(
            sink.matching("record enip unregister_session request")
                .len(),
            1
        );
    }

    #[test]
    fn reports_the_session_handle_a_register_session_reply_assigns() {
        let mut d = tcp();
        let mut sink = CollectingSink::default();
        let mut request = encap(0x65, 1, &[0x01, 0x00, 0x00, 0x00]); // version 1, options 0
        request[4..8].copy_from_slice(&[0; 4]); // no session yet
        d.feed(Direction::ToServer, &request, &mut sink);
        d.feed(
            Direction::ToClient,
            &encap(0x65, 1, &[0x01, 0x00, 0x00, 0x00]),
            &mut sink,
        );
        let records = sink.matching("record enip register_session transaction [session]");
        assert_eq!(records.len(), 1, "{:?}", sink.lines);
        assert!(
            records[0].contains(r#""session_handle":318899456"#),
            "{}",
            records[0]
        );
        assert!(records[0].contains(r#""protocol_version":1,"option_flags":0"#));
    }

    #[test]
    fn reports_the_oldest_request_beyond_the_transaction_limit() {
        let mut d = EnipDissector::new(Transport::Tcp, 2);
        let mut sink = CollectingSink::default();
        for ctx in 0..3 {
            d.feed(Direction::ToServer, &encap(0x63, ctx, &[]), &mut sink);
        }
        assert_eq!(sink.anomalies("too_many_transactions"), 1);
        assert_eq!(sink.matching("record enip list_identity request").len(), 1);
        d.close(&mut sink);
        assert_eq!(sink.matching("record enip list_identity request").len(), 3);
    }
}
