//! OPC UA TCP streams to events: chunks framed by their header, secure channels followed
//! from OpenSecureChannel to know what is readable, service requests paired with their
//! responses by request handle, identity from application descriptions, user names sent
//! over unsecured channels as findings.

use std::collections::VecDeque;

use rampart_dissect::{
    Attribute, Confidence, Direction, Dissector, Event, EventSink, Feed, FieldList, Finding,
    FindingKind, Subject, Value, identify, report,
};
use rampart_event::Activity;

use super::message::{
    MessageType, POLICY_PREFIX, SERVICE_FAULT, USERNAME_TOKEN, activity, application_type_name,
    request_type_name, response_of, security_mode_name, service, status_name,
};
use super::parse::{self, HEADER_LEN, Header, OpcUaError, Security};
use super::service::{Details, decode};
use crate::inline::InlineText;
use crate::label::Label;

const PROTOCOL: &str = "opcua";
/// Chunks claiming more than this are not OPC UA (the engine's buffer cap is lower still).
const MAX_CHUNK: u32 = 16 * 1024 * 1024;
/// Secure channels followed per connection.
const MAX_CHANNELS: usize = 8;
/// User names reported per flow.
const MAX_REPORTED: usize = 8;

type Fields<'a> = FieldList<'a, 64>;
type Text = InlineText<128>;

/// What is known of a secure channel.
#[derive(Debug, Clone, Copy)]
struct Channel {
    id: u32,
    policy: Text,
    /// The security mode asked for, when the OpenSecureChannel request was readable.
    mode: Option<u32>,
}

impl Channel {
    fn policy_none(&self) -> bool {
        self.policy.as_str() == "http://opcfoundation.org/UA/SecurityPolicy#None"
    }
}

/// A secure message's headers, as its record shows them.
#[derive(Debug, Clone, Copy)]
struct Secured {
    kind: MessageType,
    chunk: u8,
    channel: u32,
    token: Option<u32>,
    policy: Option<Text>,
    /// OPN: the sender certificate's length and SHA-256.
    certificate: Option<Fingerprint>,
    /// OPN: the receiver certificate's thumbprint (SHA-1, 20 bytes, in OPC UA).
    thumbprint: Option<Thumbprint>,
    sequence: u32,
    request_id: u32,
    service: u32,
}

/// A request waiting for its response.
#[derive(Debug, Clone, Copy)]
struct Request {
    dir: Direction,
    head: Secured,
    handle: Option<u32>,
    endpoint_url: Text,
    request_type: Option<u32>,
    security_mode: Option<u32>,
    lifetime: Option<u32>,
    client_uri: Text,
    client_product: Text,
    client_name: Text,
    session_name: Text,
    identity_token: Option<u32>,
    user_name: Text,
    password_encrypted: Option<bool>,
    first_node: Text,
    node_count: usize,
    value: Option<Text>,
}

/// Per-flow OPC UA state.
pub(super) struct OpcUaDissector {
    max_transactions: usize,
    resync: [bool; 2],
    /// Per receiving side (index of the direction travelled): receive buffer and max message
    /// size it announced (ACK for the server, HEL for the client).
    limits: [Option<(u32, u32)>; 2],
    channels: Vec<Channel>,
    /// The policy of an OpenSecureChannel request awaiting its channel id.
    opening: Option<Channel>,
    pending: VecDeque<Request>,
    details: Details,
    reported: Vec<Text>,
    /// Per direction, the request id of a message whose intermediate chunk was seen: its
    /// next chunks continue its body and start with no type of their own.
    continuing: [Option<u32>; 2],
}

impl OpcUaDissector {
    /// Start a connection keeping at most `max_transactions` unanswered requests.
    pub(super) fn new(max_transactions: usize) -> OpcUaDissector {
        OpcUaDissector {
            max_transactions,
            resync: [false; 2],
            limits: [None; 2],
            channels: Vec::new(),
            opening: None,
            pending: VecDeque::new(),
            details: Details::default(),
            reported: Vec::new(),
            continuing: [None; 2],
        }
    }
}

/// Tell whether `data` starts with a plausible message header.
fn plausible(data: &[u8]) -> bool {
    matches!(parse::header(data), Ok(Some(h)) if (8..=MAX_CHUNK).contains(&h.size))
}

fn text(bytes: Option<&[u8]>) -> Text {
    Text::new(&String::from_utf8_lossy(bytes.unwrap_or_default()))
}

impl Dissector for OpcUaDissector {
    fn feed(&mut self, dir: Direction, data: &[u8], sink: &mut dyn EventSink) -> Feed {
        let i = dir.index();
        let mut at = 0;
        if self.resync[i] {
            match (0..data.len()).find(|&k| data.get(k..).is_some_and(plausible)) {
                Some(k) => {
                    at = k;
                    self.resync[i] = false;
                }
                None => return Feed::Consumed(data.len().saturating_sub(HEADER_LEN - 1)),
            }
        }
        while let Some(rest) = data.get(at..).filter(|r| r.len() >= HEADER_LEN) {
            let h = match parse::header(rest) {
                Ok(Some(h)) if (8..=MAX_CHUNK).contains(&h.size) => h,
                found => {
                    let detail = match found {
                        Err(e) => e.to_string(),
                        Ok(Some(h)) => format!("message size {} is impossible", h.size),
                        Ok(None) => format!("{:02x?} is not a message type", &rest[..3]),
                    };
                    report(sink, PROTOCOL, "bad_header", Some(at), &detail);
                    match (at + 1..data.len()).find(|&k| data.get(k..).is_some_and(plausible)) {
                        Some(k) => {
                            at = k;
                            continue;
                        }
                        None => {
                            self.resync[i] = true;
                            return Feed::Consumed(data.len().saturating_sub(HEADER_LEN - 1));
                        }
                    }
                }
            };
            let end = at + h.size as usize;
            let Some(chunk) = data.get(at..end) else {
                break;
            };
            self.chunk(dir, &h, chunk, sink);
            at = end;
        }
        Feed::Consumed(at)
    }

    fn gap(&mut self, dir: Direction, _len: u64, _sink: &mut dyn EventSink) {
        self.resync[dir.index()] = true;
    }

    fn close(&mut self, sink: &mut dyn EventSink) {
        while let Some(r) = self.pending.pop_front() {
            self.details.clear();
            self.emit_service(&r, None, sink);
        }
    }
}

impl OpcUaDissector {
    fn chunk(&mut self, dir: Direction, h: &Header, chunk: &[u8], sink: &mut dyn EventSink) {
        if let Some((buffer, max_message)) = self.limits[dir.index()] {
            let too_big =
                (buffer > 0 && h.size > buffer) || (max_message > 0 && h.size > max_message);
            if too_big {
                let detail = format_args!(
                    "{} chunk of {} bytes exceeds the receiver's announced receive buffer {buffer} or max message size {max_message}",
                    h.kind.as_str(),
                    h.size
                );
                report(sink, PROTOCOL, "message_too_large", Some(4), &detail);
            }
        }
        let body = chunk.get(HEADER_LEN..).unwrap_or_default();
        let result = match h.kind {
            MessageType::Hello | MessageType::Acknowledge => self.hello(dir, h, body, sink),
            MessageType::Error => parse::error(body).map(|(code, reason)| {
                let mut f = Fields::default();
                push_header(&mut f, h);
                let name = Label::code(status_name(code), code.into(), 8);
                f.push("status_code", Value::U64(code.into()));
                f.push("status", Value::Str(name.as_str()));
                let reason = String::from_utf8_lossy(reason.unwrap_or_default());
                if !reason.is_empty() {
                    f.push("reason", Value::Str(&reason));
                }
                emit(sink, "error", Some(dir), None, &f);
            }),
            MessageType::ReverseHello => parse::reverse_hello(body).map(|[server, url]| {
                let mut f = Fields::default();
                push_header(&mut f, h);
                let server = String::from_utf8_lossy(server.unwrap_or_default());
                let url = String::from_utf8_lossy(url.unwrap_or_default());
                f.push("server_uri", Value::Str(&server));
                f.push("endpoint_url", Value::Str(&url));
                emit(sink, "reverse_hello", Some(dir), None, &f);
            }),
            MessageType::Open | MessageType::Message | MessageType::Close => {
                self.secure(dir, h, chunk, sink)
            }
        };
        if let Err(e) = result {
            report(sink, PROTOCOL, e.code(), Some(e.offset()), &e);
        }
    }

    fn hello(
        &mut self,
        dir: Direction,
        h: &Header,
        body: &[u8],
        sink: &mut dyn EventSink,
    ) -> Result<(), OpcUaError> {
        let hello = h.kind == MessageType::Hello;
        let p = parse::hello(body, hello)?;
        // What a side says it can receive bounds what the other side sends it.
        self.limits[dir.reverse().index()] = Some((p.receive_buffer, p.max_message));
        let mut f = Fields::default();
        push_header(&mut f, h);
        f.push("protocol_version", Value::U64(p.version.into()));
        f.push("receive_buffer_size", Value::U64(p.receive_buffer.into()));
        f.push("send_buffer_size", Value::U64(p.send_buffer.into()));
        f.push("max_message_size", Value::U64(p.max_message.into()));
        f.push("max_chunk_count", Value::U64(p.max_chunks.into()));
        let url = p.endpoint_url.map(String::from_utf8_lossy);
        if let Some(url) = &url {
            f.push("endpoint_url", Value::Str(url));
        }
        let kind = if hello { "hello" } else { "acknowledge" };
        emit(sink, kind, Some(dir), None, &f);
        Ok(())
    }

    fn secure(
        &mut self,
        dir: Direction,
        h: &Header,
        chunk: &[u8],
        sink: &mut dyn EventSink,
    ) -> Result<(), OpcUaError> {
        let s = parse::security(h.kind, chunk)?;
        let policy = s.policy.map(|p| text(Some(p)));
        let plaintext = match (h.kind, &policy) {
            (MessageType::Open, Some(p)) => p.as_str() == POLICY_NONE,
            (MessageType::Open, None) => false,
            _ => match self.channels.iter().find(|c| c.id == s.channel) {
                Some(c) if c.policy_none() => true,
                Some(c) if c.mode.is_some() => c.mode == Some(2),
                // Unknown channel or mode: a readable sequence header followed by a known
                // service type is plaintext (mode Sign, or a connection picked up late).
                _ => matches!(
                    parse::sequence(chunk, s.rest),
                    Ok(q) if q.service.is_some_and(|id| service(id).is_some())
                ),
            },
        };
        if let (MessageType::Open, Direction::ToServer, Some(p)) = (h.kind, dir, policy) {
            self.opening = Some(Channel {
                id: s.channel,
                policy: p,
                mode: None,
            });
        }
        if !plaintext {
            if h.kind == MessageType::Open && dir == Direction::ToClient {
                self.learn_channel(s.channel);
            }
            self.encrypted(dir, h, &s, policy, sink);
            return Ok(());
        }
        let (number, request_id) = parse::sequence_numbers(chunk, s.rest)?;
        let i = dir.index();
        if self.continuing[i] == Some(request_id) {
            if h.chunk != b'C' {
                self.continuing[i] = None;
            }
            let mut f = Fields::default();
            push_header(&mut f, h);
            f.push("secure_channel_id", Value::U64(s.channel.into()));
            f.push("sequence_number", Value::U64(number.into()));
            f.push("request_id", Value::U64(request_id.into()));
            emit(sink, "chunk", Some(dir), None, &f);
            return Ok(());
        }
        self.continuing[i] = (h.chunk == b'C').then_some(request_id);
        let q = parse::sequence(chunk, s.rest)?;
        let Some(id) = q.service else {
            let detail = format_args!("secure message body of a type outside namespace 0");
            report(sink, PROTOCOL, "unknown_service", Some(s.rest + 8), &detail);
            return Ok(());
        };
        let head = Secured {
            kind: h.kind,
            chunk: h.chunk,
            channel: s.channel,
            token: s.token,
            policy,
            certificate: s.certificate.and_then(Fingerprint::of),
            thumbprint: s.thumbprint.and_then(Thumbprint::of),
            sequence: q.number,
            request_id: q.request_id,
            service: id,
        };
        self.details.clear();
        let mut body = q.body;
        let decoded = match service(id) {
            Some(_) => decode(id, &mut body, &mut self.details),
            None => {
                let detail = format_args!("service type i={id} is not a known service");
                report(sink, PROTOCOL, "unknown_service", Some(s.rest + 8), &detail);
                Ok(())
            }
        };
        // An intermediate chunk ends mid-body by design.
        match decoded {
            Err(OpcUaError::Truncated { .. }) if h.chunk == b'C' => {}
            Err(e) => report(sink, PROTOCOL, e.code(), Some(e.offset()), &e),
            Ok(()) => {}
        }
        let is_request = service(id).is_some_and(|(_, request)| request);
        if let (446, Some(open)) = (id, self.opening.as_mut()) {
            open.mode = self.details.security_mode;
        }
        if id == 449 {
            let channel = self.details.issued.map_or(s.channel, |(c, _)| c);
            self.learn_channel(channel);
        }
        if is_request {
            self.request(dir, head, sink);
        } else {
            self.response(dir, head, sink);
        }
        Ok(())
    }

    /// Attach the pending OpenSecureChannel's policy to the channel id the server issued.
    fn learn_channel(&mut self, id: u32) {
        let Some(mut open) = self.opening.take() else {
            return;
        };
        open.id = id;
        self.channels.retain(|c| c.id != id);
        if self.channels.len() >= MAX_CHANNELS {
            self.channels.remove(0);
        }
        self.channels.push(open);
    }

    fn encrypted(
        &mut self,
        dir: Direction,
        h: &Header,
        s: &Security<'_>,
        policy: Option<Text>,
        sink: &mut dyn EventSink,
    ) {
        let policy = policy.unwrap_or_default();
        let certificate = s.certificate.and_then(Fingerprint::of);
        let mut f = Fields::default();
        push_header(&mut f, h);
        f.push("secure_channel_id", Value::U64(s.channel.into()));
        if let Some(t) = s.token {
            f.push("token_id", Value::U64(t.into()));
        }
        if h.kind == MessageType::Open {
            push_policy(&mut f, policy.as_str());
            f.push("certificate_present", Value::Bool(certificate.is_some()));
            if let Some(c) = &certificate {
                f.push("certificate_length", Value::U64(c.length as u64));
                f.push("certificate_sha256", Value::Bytes(&c.sha256));
            }
        }
        f.push("encrypted", Value::Bool(true));
        emit(sink, "encrypted", Some(dir), None, &f);
    }

    fn request(&mut self, dir: Direction, head: Secured, sink: &mut dyn EventSink) {
        let d = &self.details;
        let first =
            |l: &crate::text_list::TextList| l.iter().next().map(Text::new).unwrap_or_default();
        let request = Request {
            dir,
            head,
            handle: d.request_handle,
            endpoint_url: Text::new(&d.endpoint_url),
            request_type: d.request_type,
            security_mode: d.security_mode,
            lifetime: d.lifetime,
            client_uri: first(&d.application_uris),
            client_product: first(&d.product_uris),
            client_name: first(&d.application_names),
            session_name: Text::new(&d.session_name),
            identity_token: d.identity_token,
            user_name: Text::new(&d.user_name),
            password_encrypted: d.password_encrypted,
            first_node: first(&d.nodes),
            node_count: d.node_count,
            value: d.has_value.then(|| Text::new(&d.value)),
        };
        if head.service == 461 {
            self.identify_application(Subject::Client, sink);
        }
        if head.service == 467 && d.identity_token == Some(USERNAME_TOKEN) {
            self.credential(&request, sink);
        }
        // CloseSecureChannel has no response (OPC 10000-4 §5.5.3).
        if head.service == 452 {
            return self.emit_service(&request, None, sink);
        }
        if self.pending.len() >= self.max_transactions
            && let Some(oldest) = self.pending.pop_front()
        {
            let detail = format_args!(
                "more than {} unanswered requests; forgot request handle {}",
                self.max_transactions,
                oldest.handle.unwrap_or_default()
            );
            report(sink, PROTOCOL, "too_many_transactions", None, &detail);
            let current = std::mem::take(&mut self.details);
            self.emit_service(&oldest, None, sink);
            self.details = current;
        }
        if self.max_transactions == 0 {
            let current = std::mem::take(&mut self.details);
            self.emit_service(&request, None, sink);
            self.details = current;
            return;
        }
        self.pending.push_back(request);
    }

    fn response(&mut self, dir: Direction, head: Secured, sink: &mut dyn EventSink) {
        let handle = self.details.request_handle;
        let found = self.pending.iter().position(|r| {
            r.handle == handle
                && (head.service == SERVICE_FAULT || head.service == response_of(r.head.service))
        });
        if matches!(head.service, 464 | 431)
            || (head.service == 425 && self.details.application_uris.len() == 1)
        {
            self.identify_application(dir.sender(), sink);
        }
        match found.and_then(|i| self.pending.remove(i)) {
            Some(request) => self.emit_service(&request, Some(&head), sink),
            None => {
                let mut f = Fields::default();
                push_secured(&mut f, &head);
                let name = service_label(head.service);
                f.push("service", Value::Str(name.as_str()));
                f.push("service_type_id", Value::U64(head.service.into()));
                let d = &self.details;
                if let Some(h) = d.request_handle {
                    f.push("request_handle", Value::U64(h.into()));
                }
                let result = result_label(d);
                push_response(&mut f, d, result.as_ref());
                emit(sink, "service", Some(dir), None, &f);
            }
        }
    }

    fn emit_service(&mut self, r: &Request, answer: Option<&Secured>, sink: &mut dyn EventSink) {
        let d = &self.details;
        let mut f = Fields::default();
        push_secured(&mut f, &r.head);
        let name = service_label(r.head.service);
        f.push("service", Value::Str(name.as_str()));
        f.push("service_type_id", Value::U64(r.head.service.into()));
        if let Some(h) = r.handle {
            f.push("request_handle", Value::U64(h.into()));
        }
        let texts = [
            ("endpoint_url", &r.endpoint_url),
            ("session_name", &r.session_name),
            ("client_application_uri", &r.client_uri),
            ("client_product_uri", &r.client_product),
            ("client_application_name", &r.client_name),
            ("user_name", &r.user_name),
        ];
        let request_type = r
            .request_type
            .map(|t| Label::code(request_type_name(t), t.into(), 2));
        if let Some(l) = &request_type {
            f.push("request_type", Value::Str(l.as_str()));
        }
        let mode = r
            .security_mode
            .map(|m| Label::code(security_mode_name(m), m.into(), 2));
        if let Some(l) = &mode {
            f.push("security_mode", Value::Str(l.as_str()));
        }
        if let Some(l) = r.lifetime {
            f.push("requested_lifetime", Value::U64(l.into()));
        }
        for (field, value) in texts.iter().filter(|(_, v)| !v.is_empty()) {
            f.push(field, Value::Str(value.as_str()));
        }
        let token = r
            .identity_token
            .map(|t| Label::code(super::message::identity_token_name(t), t.into(), 4));
        if let Some(l) = &token {
            f.push("identity_token", Value::Str(l.as_str()));
        }
        if let Some(e) = r.password_encrypted {
            f.push("password_encrypted", Value::Bool(e));
        }
        if r.node_count > 0 {
            f.push("node_id", Value::Str(r.first_node.as_str()));
            f.push("node_count", Value::U64(r.node_count as u64));
        }
        if let Some(v) = &r.value {
            f.push("value", Value::Str(v.as_str()));
        }
        let answer_name = answer.map(|a| service_label(a.service));
        let result = result_label(d);
        if let (Some(a), Some(name)) = (answer, &answer_name) {
            f.push("response_message_type", Value::Str(a.kind.as_str()));
            f.push("response_service", Value::Str(name.as_str()));
            f.push("response_type_id", Value::U64(a.service.into()));
            push_response(&mut f, d, result.as_ref());
        }
        let activity = activity(r.head.service);
        let direction = answer.is_none().then_some(r.dir);
        emit(sink, "service", direction, activity, &f);
    }

    /// Report what an application description says of the side that sent it.
    fn identify_application(&self, subject: Subject, sink: &mut dyn EventSink) {
        let d = &self.details;
        let (Some(product), Some(name), Some(&kind)) = (
            d.product_uris.iter().next(),
            d.application_names.iter().next(),
            d.application_types.first(),
        ) else {
            return;
        };
        let server = subject == Subject::Server;
        // A server describes itself first; a client's CreateSession names the client.
        if server && kind == 1 {
            return;
        }
        identify(
            sink,
            PROTOCOL,
            subject,
            Attribute::Software,
            product,
            Confidence::STATED,
        );
        identify(
            sink,
            PROTOCOL,
            subject,
            Attribute::Model,
            name,
            Confidence::STATED,
        );
        if server {
            let device = if kind == 3 {
                "opc discovery server"
            } else {
                "opc server"
            };
            identify(
                sink,
                PROTOCOL,
                subject,
                Attribute::DeviceType,
                device,
                Confidence::STATED,
            );
        }
    }

    /// Report a user name sent over a secure channel with no security, once per flow.
    fn credential(&mut self, r: &Request, sink: &mut dyn EventSink) {
        let unsecured = self
            .channels
            .iter()
            .find(|c| c.id == r.head.channel)
            .is_some_and(Channel::policy_none);
        if !unsecured
            || self
                .reported
                .iter()
                .any(|u| u.as_str() == r.user_name.as_str())
        {
            return;
        }
        if self.reported.len() < MAX_REPORTED {
            self.reported.push(r.user_name);
        }
        let mut f: FieldList<'_, 5> = FieldList::default();
        f.push("mechanism", Value::Str("opcua_username"));
        f.push("user", Value::Str(r.user_name.as_str()));
        f.push(
            "password_encrypted",
            Value::Bool(r.password_encrypted.unwrap_or(false)),
        );
        f.push("security_policy", Value::Str("None"));
        sink.emit(Event::Finding(Finding {
            protocol: PROTOCOL,
            kind: FindingKind::CleartextCredential,
            subject: Subject::Server,
            fields: f.fields(),
        }));
    }
}

/// A certificate, by length and SHA-256 (the digest TLS records use, so that a
/// certificate seen in both correlates).
#[derive(Debug, Clone, Copy)]
struct Fingerprint {
    length: usize,
    sha256: [u8; 32],
}

impl Fingerprint {
    fn of(der: &[u8]) -> Option<Fingerprint> {
        use sha2::{Digest, Sha256};
        (!der.is_empty()).then(|| Fingerprint {
            length: der.len(),
            sha256: Sha256::digest(der).into(),
        })
    }
}

/// A receiver certificate thumbprint, at most 32 bytes kept.
#[derive(Debug, Clone, Copy)]
struct Thumbprint {
    buf: [u8; 32],
    len: usize,
}

impl Thumbprint {
    fn of(bytes: &[u8]) -> Option<Thumbprint> {
        let len = bytes.len().min(32);
        let mut buf = [0u8; 32];
        buf[..len].copy_from_slice(&bytes[..len]);
        (len > 0).then_some(Thumbprint { buf, len })
    }

    fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// The None security policy.
const POLICY_NONE: &str = "http://opcfoundation.org/UA/SecurityPolicy#None";

/// Name a service type id, or print it as unknown.
fn service_label(id: u32) -> Label {
    Label::code(service(id).map(|(name, _)| name), id.into(), 4)
}

fn push_header(f: &mut Fields<'_>, h: &Header) {
    f.push("message_type", Value::Str(h.kind.as_str()));
    f.push("chunk_type", Value::Str(chunk_name(h.chunk)));
    f.push("message_size", Value::U64(h.size.into()));
}

fn chunk_name(chunk: u8) -> &'static str {
    match chunk {
        b'F' => "F",
        b'C' => "C",
        _ => "A",
    }
}

fn push_policy<'a>(f: &mut Fields<'a>, uri: &'a str) {
    f.push("security_policy_uri", Value::Str(uri));
    let short = uri.strip_prefix(POLICY_PREFIX).unwrap_or(uri);
    f.push("security_policy", Value::Str(short));
}

fn push_secured<'a>(f: &mut Fields<'a>, s: &'a Secured) {
    f.push("message_type", Value::Str(s.kind.as_str()));
    f.push("chunk_type", Value::Str(chunk_name(s.chunk)));
    f.push("secure_channel_id", Value::U64(s.channel.into()));
    if let Some(t) = s.token {
        f.push("token_id", Value::U64(t.into()));
    }
    if let Some(p) = &s.policy {
        push_policy(f, p.as_str());
        f.push("certificate_present", Value::Bool(s.certificate.is_some()));
        if let Some(c) = &s.certificate {
            f.push("certificate_length", Value::U64(c.length as u64));
            f.push("certificate_sha256", Value::Bytes(&c.sha256));
        }
        if let Some(t) = &s.thumbprint {
            f.push("receiver_thumbprint", Value::Bytes(t.bytes()));
        }
    }
    f.push("sequence_number", Value::U64(s.sequence.into()));
    f.push("request_id", Value::U64(s.request_id.into()));
    f.push("encrypted", Value::Bool(false));
}

/// Name a response's service result.
fn result_label(d: &Details) -> Option<Label> {
    d.service_result
        .map(|c| Label::code(status_name(c), c.into(), 8))
}

/// Push a response's result and what its body described.
fn push_response<'a>(f: &mut Fields<'a>, d: &'a Details, result: Option<&'a Label>) {
    if let (Some(code), Some(name)) = (d.service_result, result) {
        f.push("service_result", Value::U64(code.into()));
        f.push("service_result_name", Value::Str(name.as_str()));
    }
    if let Some((c, t)) = d.issued {
        f.push("issued_channel_id", Value::U64(c.into()));
        f.push("issued_token_id", Value::U64(t.into()));
    }
    if let (Some(_), Some(l)) = (d.issued, d.lifetime) {
        f.push("revised_lifetime", Value::U64(l.into()));
    }
    if d.application_uris.len() > 0 {
        f.push("application_uris", d.application_uris.value());
        f.push("product_uris", d.product_uris.value());
        f.push("application_names", d.application_names.value());
        if let Some(&kind) = d.application_types.first() {
            let name = application_type_name(kind).unwrap_or("unknown");
            f.push("application_type", Value::Str(name));
        }
    }
    if d.endpoint_count > 0 {
        f.push("endpoint_count", Value::U64(d.endpoint_count as u64));
        f.push("offered_security_policies", d.offered_policies.value());
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

    /// Frame `body` as a chunk of type `kind` (OPC 10000-6 §7.1.2.2).
    fn chunk(kind: &[u8; 3], body: &[u8]) -> Vec<u8> {
        let mut m = kind.to_vec();
        m.push(b'F');
        m.extend_from_slice(&u32::try_from(body.len() + 8).expect("small").to_le_bytes());
        m.extend_from_slice(body);
        m
    }

    fn string(s: &[u8]) -> Vec<u8> {
        let mut v = u32::try_from(s.len())
            .expect("small")
            .to_le_bytes()
            .to_vec();
        v.extend_from_slice(s);
        v
    }

    /// A secure message body: channel, token 1, sequence `n`, request id `n`, type `id`.
    fn secure(kind: &[u8; 3], channel: u32, n: u8, id: u16, rest: &[u8]) -> Vec<u8> {
        let mut b = channel.to_le_bytes().to_vec();
        if kind == b"OPN" {
            b.extend_from_slice(&string(POLICY_NONE.as_bytes())); // security policy
            b.extend_from_slice(&[0xff; 8]); // no certificate, no thumbprint
        } else {
            b.extend_from_slice(&[1, 0, 0, 0]); // token id 1
        }
        b.extend_from_slice(&[n, 0, 0, 0, n, 0, 0, 0]); // sequence number, request id
        b.extend_from_slice(&[0x01, 0x00]); // four-byte NodeId, namespace 0 …
        b.extend_from_slice(&id.to_le_bytes()); // … the service type
        b.extend_from_slice(rest);
        chunk(kind, &b)
    }

    /// A RequestHeader with handle `h` (OPC 10000-4 §7.32).
    fn request_header(h: u8) -> Vec<u8> {
        let mut v = vec![0x00, 0x00]; // authentication token i=0
        v.extend_from_slice(&[0; 8]); // timestamp
        v.extend_from_slice(&[h, 0, 0, 0, 0, 0, 0, 0]); // handle, return diagnostics
        v.extend_from_slice(&[0xff; 4]); // audit entry id: null
        v.extend_from_slice(&[0, 0, 0, 0, 0x00, 0x00, 0x00]); // timeout, no additional header
        v
    }

    /// A ResponseHeader with handle `h` and result Good (§7.33).
    fn response_header(h: u8) -> Vec<u8> {
        let mut v = vec![0; 8]; // timestamp
        v.extend_from_slice(&[h, 0, 0, 0, 0, 0, 0, 0]); // handle, service result Good
        v.extend_from_slice(&[0x00, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00]); // no diag
        v
    }

    fn open_channel(d: &mut OpcUaDissector, sink: &mut CollectingSink) {
        let mut req = request_header(1);
        req.extend_from_slice(&[0; 4]); // client protocol version
        req.extend_from_slice(&[0, 0, 0, 0, 1, 0, 0, 0]); // issue, mode None
        req.extend_from_slice(&[0xff; 4]); // no nonce
        req.extend_from_slice(&[0x80, 0xee, 0x36, 0x00]); // lifetime 3600000
        d.feed(Direction::ToServer, &secure(b"OPN", 0, 1, 446, &req), sink);
        let mut resp = response_header(1);
        resp.extend_from_slice(&[0; 4]); // server protocol version
        resp.extend_from_slice(&[9, 0, 0, 0, 1, 0, 0, 0]); // channel 9, token 1
        resp.extend_from_slice(&[0; 8]); // created at
        resp.extend_from_slice(&[0x80, 0xee, 0x36, 0x00, 0xff, 0xff, 0xff, 0xff]);
        d.feed(Direction::ToClient, &secure(b"OPN", 9, 1, 449, &resp), sink);
    }

    #[test]
    fn pairs_a_response_with_its_request_by_handle() {
        let mut d = OpcUaDissector::new(8);
        let mut sink = CollectingSink::default();
        open_channel(&mut d, &mut sink);
        let opened = sink.matching("record opcua service transaction");
        assert_eq!(opened.len(), 1);
        assert!(opened[0].contains(r#""security_policy":"None""#));
        assert!(opened[0].contains(r#""issued_channel_id":9"#));
        let mut call = request_header(2);
        call.extend_from_slice(&[1, 0, 0, 0]); // one method
        call.extend_from_slice(&[0x00, 0x55, 0x01, 0x02, 0x10, 0x00]); // object i=85, method ns=2;i=16
        call.extend_from_slice(&[0, 0, 0, 0]); // no arguments
        d.feed(
            Direction::ToServer,
            &secure(b"MSG", 9, 2, 712, &call),
            &mut sink,
        );
        let mut fault = response_header(2);
        fault[12..16].copy_from_slice(&0x8075_0000u32.to_le_bytes()); // BadMethodInvalid
        d.feed(
            Direction::ToClient,
            &secure(b"MSG", 9, 2, 397, &fault),
            &mut sink,
        );
        let calls = sink.matching("record opcua service transaction [command]");
        assert_eq!(calls.len(), 1);
        assert!(calls[0].contains(r#""node_id":"ns=2;i=16","node_count":1"#));
        assert!(calls[0].contains(r#""response_service":"service_fault","response_type_id":397"#));
        assert!(calls[0].contains(
            r#""service_result":2155151360,"service_result_name":"0x80750000 (unknown)""#
        ));
    }

    #[test]
    fn reports_a_user_name_over_an_unsecured_channel_without_the_password() {
        let mut d = OpcUaDissector::new(8);
        let mut sink = CollectingSink::default();
        open_channel(&mut d, &mut sink);
        let mut activate = request_header(3);
        activate.extend_from_slice(&[0xff; 8]); // no client signature
        activate.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0]); // no certificates, locales
        let mut token = string(b"p");
        token.extend_from_slice(&string(b"admin"));
        token.extend_from_slice(&string(b"secret"));
        token.extend_from_slice(&[0xff; 4]); // no encryption algorithm
        activate.extend_from_slice(&[0x01, 0x00, 0x44, 0x01, 0x01]); // UserNameIdentityToken
        activate.extend_from_slice(&u32::try_from(token.len()).expect("small").to_le_bytes());
        activate.extend_from_slice(&token);
        d.feed(
            Direction::ToServer,
            &secure(b"MSG", 9, 3, 467, &activate),
            &mut sink,
        );
        assert_eq!(
            sink.matching("finding"),
            vec![
                r#"finding opcua cleartext_credential Server {"mechanism":"opcua_username","user":"admin","password_encrypted":false,"security_policy":"None"}"#
            ]
        );
        assert!(sink.lines.iter().all(|l| !l.contains("secret")));
        d.close(&mut sink);
        let pending = sink.matching("record opcua service request [authentication]");
        assert!(pending[0].contains(r#""identity_token":"username""#));
    }

    #[test]
    fn reads_hello_and_flags_chunks_beyond_the_announced_limits() {
        let mut d = OpcUaDissector::new(8);
        let mut sink = CollectingSink::default();
        let mut ack = vec![0, 0, 0, 0];
        ack.extend_from_slice(&[0x00, 0x01, 0, 0, 0x00, 0x01, 0, 0]); // buffers 256
        ack.extend_from_slice(&[0x00, 0x01, 0, 0, 0, 0, 0, 0]); // max message 256
        d.feed(Direction::ToClient, &chunk(b"ACK", &ack), &mut sink);
        let big = secure(b"MSG", 9, 4, 631, &[0u8; 300]);
        d.feed(Direction::ToServer, &big, &mut sink);
        assert_eq!(sink.anomalies("message_too_large"), 1);
    }

    #[test]
    fn skips_garbage_to_the_next_header_and_waits_for_whole_chunks() {
        let mut d = OpcUaDissector::new(8);
        let mut sink = CollectingSink::default();
        let mut err = 0x8007_0000u32.to_le_bytes().to_vec();
        err.extend_from_slice(&string(b"bad"));
        let err = chunk(b"ERR", &err);
        let mut stream = b"junk!".to_vec();
        stream.extend_from_slice(&err);
        stream.extend_from_slice(&err[..6]);
        let used = d.feed(Direction::ToClient, &stream, &mut sink);
        assert_eq!(used, Feed::Consumed(5 + err.len()));
        assert_eq!(sink.anomalies("bad_header"), 1);
        assert_eq!(
            sink.matching("record"),
            vec![
                r#"record opcua error response {"message_type":"ERR","chunk_type":"F","message_size":19,"status_code":2147942400,"status":"BadDecodingError","reason":"bad"}"#
            ]
        );
    }

    #[test]
    fn reads_continuation_chunks_as_chunks_not_messages() {
        let mut d = OpcUaDissector::new(8);
        let mut sink = CollectingSink::default();
        open_channel(&mut d, &mut sink);
        let mut read = request_header(4);
        read.extend_from_slice(&[0; 8]); // max age
        read.extend_from_slice(&[2, 0, 0, 0, 2, 0, 0, 0]); // timestamps, two nodes …
        let mut first = secure(b"MSG", 9, 4, 631, &read);
        first[3] = b'C'; // … in an intermediate chunk
        d.feed(Direction::ToServer, &first, &mut sink);
        // The final chunk: channel, token, sequence 5, request id 4, then body bytes only.
        let mut rest = vec![9, 0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0, 4, 0, 0, 0];
        rest.extend_from_slice(&[0x07; 12]); // mid-body bytes that are no NodeId
        d.feed(Direction::ToServer, &chunk(b"MSG", &rest), &mut sink);
        assert_eq!(sink.anomalies("bad_node_id"), 0);
        assert_eq!(sink.anomalies("unknown_service"), 0);
        let chunks = sink.matching("record opcua chunk request");
        assert_eq!(chunks.len(), 1);
        assert!(chunks[0].contains(r#""sequence_number":5,"request_id":4"#));
        d.close(&mut sink);
        assert!(
            sink.matching("record opcua service request [read]")[0].contains(r#""chunk_type":"C""#)
        );
    }
}
