//! Streaming HTTP/1.x: heads are parsed when complete, bodies are counted and skipped as they
//! arrive (never buffered), requests wait in a bounded queue for their responses.

use std::collections::VecDeque;

use rampart_dissect::{
    Attribute, Confidence, Direction, Dissector, Event, EventSink, Feed, Fields, Finding,
    FindingKind, Identity, Record, Subject, Value, report,
};

use super::parse::{self, Framing, H2_PREFACE, HeadError, RequestHead, ResponseHead, Summary};

const PROTOCOL: &str = "http";

/// Longest line we wait for while resynchronising or reading chunk trailers.
const MAX_LINE: usize = 8 * 1024;

/// Where one direction is within the message stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Expecting a message head.
    Head,
    /// Inside a body with this many bytes left.
    Body(u64),
    /// Expecting a chunk-size line.
    ChunkSize,
    /// Inside chunk data with this many bytes left.
    ChunkData(u64),
    /// Expecting the CRLF that ends chunk data.
    ChunkEnd,
    /// Reading trailer lines up to the empty line.
    Trailer,
    /// Counting a response body that ends with the connection.
    UntilClose,
    /// Bytes were lost: looking for the next message start.
    Lost,
}

/// One request and, once seen, its response.
#[derive(Debug, Default)]
struct Transaction {
    /// Sequence number of the request, to credit request body bytes to it.
    id: u64,
    request: bool,
    method: String,
    uri: String,
    version: Option<u8>,
    host: Option<String>,
    user_agent: Option<String>,
    referrer: Option<String>,
    username: Option<String>,
    request_content_type: Option<String>,
    request_body_len: u64,
    status_code: Option<u16>,
    status_msg: Option<String>,
    server: Option<String>,
    response_content_type: Option<String>,
    response_body_len: u64,
}

/// Per-flow HTTP state.
#[derive(Debug)]
pub struct HttpDissector {
    states: [State; 2],
    /// Requests waiting for a response, oldest first.
    pending: VecDeque<Transaction>,
    /// The transaction whose response body is being read.
    answering: Option<Transaction>,
    /// The id of the request whose body is being read.
    body_of: u64,
    next_id: u64,
    max_pending: usize,
    /// Identity values already reported, so a keep-alive flow reports each once.
    last_user_agent: String,
    last_server: String,
    last_credential: Option<(String, &'static str)>,
    done: bool,
}

impl HttpDissector {
    /// Create the state for one flow, keeping at most `max_pending` unanswered requests.
    pub fn new(max_pending: usize) -> HttpDissector {
        HttpDissector {
            states: [State::Head; 2],
            pending: VecDeque::new(),
            answering: None,
            body_of: 0,
            next_id: 0,
            max_pending: max_pending.max(1),
            last_user_agent: String::new(),
            last_server: String::new(),
            last_credential: None,
            done: false,
        }
    }
}

fn owned(bytes: Option<&[u8]>) -> Option<String> {
    bytes.map(|b| String::from_utf8_lossy(b).into_owned())
}

/// What one parsing step did.
enum Step {
    /// Used this many bytes (possibly zero after a state change that will consume); go on.
    Used(usize),
    /// Wait for more bytes.
    NeedMore,
}

impl Dissector for HttpDissector {
    fn feed(&mut self, dir: Direction, data: &[u8], sink: &mut dyn EventSink) -> Feed {
        let mut at = 0;
        while let Some(rest) = data.get(at..).filter(|r| !r.is_empty()) {
            if self.done {
                break;
            }
            match self.step(dir, rest, sink) {
                Step::Used(n) => at += n,
                Step::NeedMore => break,
            }
        }
        if self.done {
            Feed::Done
        } else {
            Feed::Consumed(at)
        }
    }

    fn gap(&mut self, dir: Direction, len: u64, sink: &mut dyn EventSink) {
        let i = dir.index();
        // Bytes lost inside a body of known length leave the framing intact: count them and
        // stay in step instead of hunting for the next message.
        self.states[i] = match self.states[i] {
            State::Body(left) if len < left => State::Body(left - len),
            State::Body(left) if len == left => State::Head,
            State::ChunkData(left) if len < left => State::ChunkData(left - len),
            State::ChunkData(left) if len == left => State::ChunkEnd,
            State::UntilClose => State::UntilClose,
            _ => {
                self.lose(dir, sink);
                return;
            }
        };
        self.count_body(dir, len);
        if self.states[i] == State::Head {
            self.end_of_message(dir, sink);
        }
    }

    fn close(&mut self, sink: &mut dyn EventSink) {
        if let Some(tx) = self.answering.take() {
            emit_transaction(&tx, sink);
        }
        while let Some(tx) = self.pending.pop_front() {
            emit_transaction(&tx, sink);
        }
    }
}

impl HttpDissector {
    fn step(&mut self, dir: Direction, data: &[u8], sink: &mut dyn EventSink) -> Step {
        let i = dir.index();
        match self.states[i] {
            State::Head => match dir {
                Direction::ToServer => self.request_head(data, sink),
                Direction::ToClient => self.response_head(data, sink),
            },
            State::Body(left) => {
                let n = take(left, data.len());
                self.count_body(dir, n as u64);
                if n as u64 == left {
                    self.states[i] = State::Head;
                    self.end_of_message(dir, sink);
                } else {
                    self.states[i] = State::Body(left - n as u64);
                }
                Step::Used(n)
            }
            State::UntilClose => {
                self.count_body(dir, data.len() as u64);
                Step::Used(data.len())
            }
            State::ChunkSize => match httparse::parse_chunk_size(data) {
                Ok(httparse::Status::Complete((used, 0))) => {
                    self.states[i] = State::Trailer;
                    Step::Used(used)
                }
                Ok(httparse::Status::Complete((used, size))) => {
                    self.states[i] = State::ChunkData(size);
                    Step::Used(used)
                }
                Ok(httparse::Status::Partial) if data.len() < MAX_LINE => Step::NeedMore,
                Ok(httparse::Status::Partial) | Err(_) => {
                    report(
                        sink,
                        PROTOCOL,
                        "bad_chunk_size",
                        Some(0),
                        &"chunk-size line is not hexadecimal digits and CRLF",
                    );
                    self.lose(dir, sink);
                    Step::Used(1)
                }
            },
            State::ChunkData(left) => {
                let n = take(left, data.len());
                self.count_body(dir, n as u64);
                self.states[i] = if n as u64 == left {
                    State::ChunkEnd
                } else {
                    State::ChunkData(left - n as u64)
                };
                Step::Used(n)
            }
            State::ChunkEnd => match data {
                [b'\r', b'\n', ..] => {
                    self.states[i] = State::ChunkSize;
                    Step::Used(2)
                }
                [b'\n', ..] => {
                    self.states[i] = State::ChunkSize;
                    Step::Used(1)
                }
                [b'\r'] => Step::NeedMore,
                _ => {
                    report(
                        sink,
                        PROTOCOL,
                        "bad_chunk_end",
                        Some(0),
                        &"chunk data is not followed by CRLF",
                    );
                    self.states[i] = State::ChunkSize;
                    Step::Used(0)
                }
            },
            State::Trailer => match memchr::memchr(b'\n', data) {
                Some(end) => {
                    let line = data.get(..end).unwrap_or_default();
                    if line.is_empty() || line == b"\r" {
                        self.states[i] = State::Head;
                        self.end_of_message(dir, sink);
                    }
                    Step::Used(end + 1)
                }
                None if data.len() < MAX_LINE => Step::NeedMore,
                None => {
                    report(
                        sink,
                        PROTOCOL,
                        "trailer_too_long",
                        Some(0),
                        &format_args!("no line end within {MAX_LINE} bytes of trailer"),
                    );
                    self.lose(dir, sink);
                    Step::Used(data.len())
                }
            },
            State::Lost => {
                let accept = match dir {
                    Direction::ToServer => parse::is_request_line,
                    Direction::ToClient => parse::is_status_line,
                };
                match parse::resync(data, accept) {
                    Ok(start) => {
                        self.states[i] = State::Head;
                        Step::Used(start)
                    }
                    Err(droppable) if data.len() - droppable > MAX_LINE => Step::Used(data.len()),
                    Err(0) => Step::NeedMore,
                    Err(droppable) => Step::Used(droppable),
                }
            }
        }
    }

    fn request_head(&mut self, data: &[u8], sink: &mut dyn EventSink) -> Step {
        if data.starts_with(H2_PREFACE) {
            self.done = true;
            return Step::Used(data.len());
        }
        if H2_PREFACE.starts_with(data) {
            return Step::NeedMore;
        }
        match parse::parse_request(data) {
            Ok(Some(head)) => {
                let used = head.len;
                self.on_request(&head, sink);
                Step::Used(used)
            }
            Ok(None) => Step::NeedMore,
            Err(err) => self.malformed(Direction::ToServer, "malformed_request", err, data, sink),
        }
    }

    fn response_head(&mut self, data: &[u8], sink: &mut dyn EventSink) -> Step {
        match parse::parse_response(data) {
            Ok(Some(head)) => {
                let used = head.len;
                self.on_response(&head, sink);
                Step::Used(used)
            }
            Ok(None) => Step::NeedMore,
            Err(err) => self.malformed(Direction::ToClient, "malformed_response", err, data, sink),
        }
    }

    /// Report a head that is not HTTP and skip its first line, so that resynchronisation
    /// starts past it.
    fn malformed(
        &mut self,
        dir: Direction,
        code: &str,
        err: HeadError,
        data: &[u8],
        sink: &mut dyn EventSink,
    ) -> Step {
        report(sink, PROTOCOL, code, Some(0), &err);
        self.lose(dir, sink);
        Step::Used(memchr::memchr(b'\n', data).map_or(data.len(), |end| end + 1))
    }

    /// Give up on the current message in `dir` and look for the next message start.
    fn lose(&mut self, dir: Direction, sink: &mut dyn EventSink) {
        self.states[dir.index()] = State::Lost;
        self.end_of_message(dir, sink);
    }

    fn on_request(&mut self, head: &RequestHead<'_>, sink: &mut dyn EventSink) {
        report_oddities(&head.headers, sink);
        self.identify_client(&head.headers, sink);
        let credential = head.headers.authorization.and_then(parse::credential);
        if let Some(cred) = &credential {
            self.report_credential(cred, head, sink);
        }
        self.next_id += 1;
        let tx = Transaction {
            id: self.next_id,
            request: true,
            method: head.method.to_string(),
            uri: head.uri.to_string(),
            version: Some(head.version),
            host: owned(head.headers.host),
            user_agent: owned(head.headers.user_agent),
            referrer: owned(head.headers.referrer),
            username: credential.map(|c| c.user),
            request_content_type: owned(head.headers.content_type),
            ..Transaction::default()
        };
        if self.pending.len() >= self.max_pending {
            self.pending.pop_front();
            report(
                sink,
                PROTOCOL,
                "too_many_pending_requests",
                None,
                &format_args!(
                    "more than {} requests await a response; the oldest is forgotten",
                    self.max_pending
                ),
            );
        }
        self.pending.push_back(tx);
        self.body_of = self.next_id;
        self.states[0] = match head.headers.request_framing() {
            Framing::None | Framing::UntilClose => State::Head,
            Framing::Length(n) => State::Body(n),
            Framing::Chunked => State::ChunkSize,
        };
    }

    fn on_response(&mut self, head: &ResponseHead<'_>, sink: &mut dyn EventSink) {
        report_oddities(&head.headers, sink);
        self.identify_server(&head.headers, sink);
        if head.code < 200 && head.code != 101 {
            // Interim responses (100 Continue, 103 Early Hints) precede the real one.
            return;
        }
        let mut tx = self.pending.pop_front().unwrap_or_else(|| {
            report(
                sink,
                PROTOCOL,
                "unmatched_response",
                Some(0),
                &format_args!("status {} without a pending request", head.code),
            );
            Transaction::default()
        });
        tx.status_code = Some(head.code);
        tx.status_msg = Some(head.reason.to_string());
        tx.server = owned(head.headers.server);
        tx.response_content_type = owned(head.headers.content_type);
        if tx.version.is_none() {
            tx.version = Some(head.version);
        }
        let tunnel =
            head.code == 101 || (tx.method == "CONNECT" && (200..300).contains(&head.code));
        let framing = head
            .headers
            .response_framing(head.code, tx.method == "HEAD");
        self.answering = Some(tx);
        if tunnel {
            // What follows a protocol switch or an opened tunnel is not HTTP/1.
            self.end_of_message(Direction::ToClient, sink);
            self.done = true;
            return;
        }
        self.states[1] = match framing {
            Framing::None => {
                self.end_of_message(Direction::ToClient, sink);
                State::Head
            }
            Framing::Length(n) => State::Body(n),
            Framing::Chunked => State::ChunkSize,
            Framing::UntilClose => State::UntilClose,
        };
    }

    fn count_body(&mut self, dir: Direction, n: u64) {
        match dir {
            Direction::ToServer => {
                let id = self.body_of;
                if let Some(tx) = self.pending.iter_mut().rev().find(|tx| tx.id == id) {
                    tx.request_body_len = tx.request_body_len.saturating_add(n);
                }
            }
            Direction::ToClient => {
                if let Some(tx) = &mut self.answering {
                    tx.response_body_len = tx.response_body_len.saturating_add(n);
                }
            }
        }
    }

    fn end_of_message(&mut self, dir: Direction, sink: &mut dyn EventSink) {
        let answered = match dir {
            Direction::ToClient => self.answering.take(),
            Direction::ToServer => None,
        };
        if let Some(tx) = answered {
            emit_transaction(&tx, sink);
        }
    }

    fn identify_client(&mut self, headers: &Summary<'_>, sink: &mut dyn EventSink) {
        let Some(ua) = headers.user_agent else {
            return;
        };
        let ua = String::from_utf8_lossy(ua);
        if ua.is_empty() || ua == self.last_user_agent {
            return;
        }
        let identity = |attribute, value| {
            Event::Identity(Identity {
                protocol: PROTOCOL,
                subject: Subject::Client,
                attribute,
                value,
                confidence: Confidence::WEAK,
            })
        };
        sink.emit(identity(Attribute::Software, &ua));
        if let Some(os) = parse::os_from_user_agent(&ua) {
            sink.emit(identity(Attribute::Os, &os));
        }
        self.last_user_agent = ua.into_owned();
    }

    fn identify_server(&mut self, headers: &Summary<'_>, sink: &mut dyn EventSink) {
        let Some(server) = headers.server else {
            return;
        };
        let server = String::from_utf8_lossy(server);
        if server.is_empty() || server == self.last_server {
            return;
        }
        sink.emit(Event::Identity(Identity {
            protocol: PROTOCOL,
            subject: Subject::Server,
            attribute: Attribute::Software,
            value: &server,
            confidence: Confidence::STRONG,
        }));
        self.last_server = server.into_owned();
    }

    fn report_credential(
        &mut self,
        cred: &parse::Credential,
        head: &RequestHead<'_>,
        sink: &mut dyn EventSink,
    ) {
        let key = (cred.user.clone(), cred.mechanism);
        if self.last_credential.as_ref() == Some(&key) {
            return;
        }
        let host = owned(head.headers.host).unwrap_or_default();
        sink.emit(Event::Finding(Finding {
            protocol: PROTOCOL,
            kind: FindingKind::CleartextCredential,
            subject: Subject::Server,
            fields: Fields(&[
                ("user", Value::Str(&cred.user)),
                ("mechanism", Value::Str(cred.mechanism)),
                ("host", Value::Str(&host)),
                ("uri", Value::Str(head.uri)),
            ]),
        }));
        self.last_credential = Some(key);
    }
}

fn take(left: u64, available: usize) -> usize {
    usize::try_from(left).map_or(available, |left| left.min(available))
}

fn report_oddities(headers: &Summary<'_>, sink: &mut dyn EventSink) {
    for &(code, detail) in &headers.oddities {
        report(sink, PROTOCOL, code, None, &detail);
    }
}

fn emit_transaction(tx: &Transaction, sink: &mut dyn EventSink) {
    let version = tx.version.map(|minor| format!("1.{minor}"));
    let mut fields: Vec<(&str, Value<'_>)> = Vec::with_capacity(16);
    if tx.request {
        fields.push(("method", Value::Str(&tx.method)));
        fields.push(("uri", Value::Str(&tx.uri)));
    }
    let optional = [
        ("version", &version),
        ("host", &tx.host),
        ("user_agent", &tx.user_agent),
        ("referrer", &tx.referrer),
        ("username", &tx.username),
        ("request_content_type", &tx.request_content_type),
    ];
    fields.extend(
        optional
            .iter()
            .filter_map(|(name, v)| v.as_deref().map(|s| (*name, Value::Str(s)))),
    );
    if tx.request {
        fields.push(("request_body_len", Value::U64(tx.request_body_len)));
    }
    if let Some(code) = tx.status_code {
        fields.push(("status_code", Value::U64(u64::from(code))));
        let response = [
            ("status_msg", &tx.status_msg),
            ("server", &tx.server),
            ("response_content_type", &tx.response_content_type),
        ];
        fields.extend(
            response
                .iter()
                .filter_map(|(name, v)| v.as_deref().map(|s| (*name, Value::Str(s)))),
        );
        fields.push(("response_body_len", Value::U64(tx.response_body_len)));
    }
    sink.emit(Event::Record(Record {
        protocol: PROTOCOL,
        kind: "transaction",
        direction: None,
        activity: None,
        fields: Fields(&fields),
    }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_event::CollectingSink;

    fn dissector() -> HttpDissector {
        HttpDissector::new(4)
    }

    /// Feed each chunk as the engine would: unconsumed bytes are offered again with the next.
    fn run(d: &mut HttpDissector, chunks: &[(Direction, &[u8])], sink: &mut CollectingSink) {
        let mut pending: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
        for (dir, chunk) in chunks {
            let buf = &mut pending[dir.index()];
            buf.extend_from_slice(chunk);
            match d.feed(*dir, buf, sink) {
                Feed::Consumed(n) => {
                    buf.drain(..n);
                }
                Feed::LostSync | Feed::Done => buf.clear(),
            }
        }
    }

    const REQUEST: &[u8] = b"GET /index.html HTTP/1.1\r\n\
Host: cam.local\r\n\
User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64)\r\n\
Referer: http://cam.local/\r\n\r\n";

    const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\n\
Server: lighttpd/1.4.35\r\n\
Content-Type: text/html\r\n\
Content-Length: 5\r\n\r\nhello";

    #[test]
    fn pairs_a_response_with_its_request() {
        let mut sink = CollectingSink::default();
        let mut d = dissector();
        run(
            &mut d,
            &[
                (Direction::ToServer, REQUEST),
                (Direction::ToClient, RESPONSE),
            ],
            &mut sink,
        );
        assert_eq!(
            sink.matching("record http transaction"),
            vec![
                r#"record http transaction transaction {"method":"GET","uri":"/index.html","version":"1.1","host":"cam.local","user_agent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64)","referrer":"http://cam.local/","request_body_len":0,"status_code":200,"status_msg":"OK","server":"lighttpd/1.4.35","response_content_type":"text/html","response_body_len":5}"#
            ]
        );
        assert_eq!(
            sink.matching("identity"),
            vec![
                "identity http Client software Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
                "identity http Client os Windows NT 10.0",
                "identity http Server software lighttpd/1.4.35",
            ]
        );
    }

    #[test]
    fn pairs_pipelined_requests_in_order() {
        let mut sink = CollectingSink::default();
        let mut d = dissector();
        let requests = b"GET /a HTTP/1.1\r\n\r\nHEAD /b HTTP/1.1\r\n\r\n";
        let responses = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";
        run(
            &mut d,
            &[
                (Direction::ToServer, requests),
                (Direction::ToClient, responses),
            ],
            &mut sink,
        );
        let lines = sink.matching("record http transaction");
        assert_eq!(lines.len(), 2);
        assert!(
            lines[0].contains(r#""uri":"/a""#) && lines[0].contains(r#""response_body_len":2"#)
        );
        assert!(
            lines[1].contains(r#""method":"HEAD""#)
                && lines[1].contains(r#""response_body_len":0"#)
        );
    }

    #[test]
    fn streams_a_chunked_body_split_across_deliveries() {
        let mut sink = CollectingSink::default();
        let mut d = dissector();
        // RFC 9112 section 7.1: chunk-size CRLF chunk-data CRLF … last-chunk trailer CRLF.
        run(
            &mut d,
            &[
                (Direction::ToServer, b"GET / HTTP/1.1\r\n\r\n"),
                (
                    Direction::ToClient,
                    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWi",
                ),
                (Direction::ToClient, b"ki\r\n5;ext=1\r\npedia\r"),
                (Direction::ToClient, b"\n0\r\nExpires: never\r\n\r\n"),
            ],
            &mut sink,
        );
        let lines = sink.matching("record http transaction");
        assert_eq!(lines.len(), 1, "{:?}", sink.lines);
        assert!(
            lines[0].contains(r#""response_body_len":9"#),
            "{}",
            lines[0]
        );
        assert!(sink.matching("anomaly").is_empty(), "{:?}", sink.lines);
    }

    #[test]
    fn consumes_body_bytes_as_they_arrive() {
        let mut sink = CollectingSink::default();
        let mut d = dissector();
        d.feed(
            Direction::ToServer,
            b"POST /upload HTTP/1.1\r\nContent-Length: 100000\r\n\r\n",
            &mut sink,
        );
        assert_eq!(
            d.feed(Direction::ToServer, &[0u8; 4000], &mut sink),
            Feed::Consumed(4000)
        );
        d.close(&mut sink);
        let lines = sink.matching("record http transaction");
        assert!(
            lines[0].contains(r#""request_body_len":4000"#),
            "{}",
            lines[0]
        );
        assert!(!lines[0].contains("status_code"));
    }

    #[test]
    fn keeps_counting_a_body_across_a_gap_inside_it() {
        let mut sink = CollectingSink::default();
        let mut d = dissector();
        run(
            &mut d,
            &[
                (Direction::ToServer, REQUEST),
                (
                    Direction::ToClient,
                    b"HTTP/1.1 200 OK\r\nContent-Length: 30\r\n\r\n0123456789",
                ),
            ],
            &mut sink,
        );
        d.gap(Direction::ToClient, 10, &mut sink);
        run(
            &mut d,
            &[(
                Direction::ToClient,
                b"0123456789HTTP/1.1 304 Not Modified\r\n\r\n",
            )],
            &mut sink,
        );
        let lines = sink.matching("record http transaction");
        assert_eq!(lines.len(), 2);
        assert!(lines[0].contains(r#""response_body_len":30"#));
        assert!(sink.anomalies("unmatched_response") == 1);
    }

    #[test]
    fn resynchronises_after_gap() {
        let mut sink = CollectingSink::default();
        let mut d = dissector();
        run(
            &mut d,
            &[(Direction::ToServer, b"GET /first HT")],
            &mut sink,
        );
        d.gap(Direction::ToServer, 100, &mut sink);
        run(
            &mut d,
            &[(
                Direction::ToServer,
                b"lost part of a body\r\nGET /second HTTP/1.1\r\n\r\n",
            )],
            &mut sink,
        );
        d.close(&mut sink);
        let lines = sink.matching("record http transaction");
        assert_eq!(lines.len(), 1);
        assert!(lines[0].contains(r#""uri":"/second""#));
    }

    #[test]
    fn reports_basic_credentials_without_the_password() {
        let mut sink = CollectingSink::default();
        let mut d = dissector();
        // RFC 7617 section 2 example credentials ("Aladdin:open sesame").
        let request = b"GET /admin HTTP/1.1\r\nHost: plc\r\n\
Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n";
        run(
            &mut d,
            &[
                (Direction::ToServer, request),
                (Direction::ToServer, request),
            ],
            &mut sink,
        );
        assert_eq!(
            sink.matching("finding"),
            vec![
                r#"finding http cleartext_credential Server {"user":"Aladdin","mechanism":"basic","host":"plc","uri":"/admin"}"#
            ]
        );
        assert!(!sink.lines.iter().any(|l| l.contains("sesame")));
    }

    #[test]
    fn reports_and_skips_a_malformed_head() {
        let mut sink = CollectingSink::default();
        let mut d = dissector();
        run(
            &mut d,
            &[(
                Direction::ToServer,
                b"GET / HTTP/9\r\n\r\nGET /ok HTTP/1.0\r\n\r\n",
            )],
            &mut sink,
        );
        d.close(&mut sink);
        assert_eq!(sink.anomalies("malformed_request"), 1);
        assert_eq!(sink.matching("record http transaction").len(), 1);
    }

    #[test]
    fn forgets_the_oldest_request_when_too_many_wait() {
        let mut sink = CollectingSink::default();
        let mut d = dissector();
        let five = b"GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\nGET /3 HTTP/1.1\r\n\r\n\
GET /4 HTTP/1.1\r\n\r\nGET /5 HTTP/1.1\r\n\r\n";
        run(&mut d, &[(Direction::ToServer, five)], &mut sink);
        d.close(&mut sink);
        assert_eq!(sink.anomalies("too_many_pending_requests"), 1);
        assert_eq!(sink.matching("record http transaction").len(), 4);
    }

    #[test]
    fn stops_after_a_protocol_switch() {
        let mut sink = CollectingSink::default();
        let mut d = dissector();
        d.feed(
            Direction::ToServer,
            b"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n",
            &mut sink,
        );
        let answer = d.feed(
            Direction::ToClient,
            b"HTTP/1.1 101 Switching Protocols\r\n\r\n\x81\x05hello",
            &mut sink,
        );
        assert_eq!(answer, Feed::Done);
        assert_eq!(sink.matching("record http transaction").len(), 1);
    }

    #[test]
    fn stops_at_the_http2_preface_even_when_split() {
        let mut sink = CollectingSink::default();
        let mut d = dissector();
        assert_eq!(
            d.feed(Direction::ToServer, b"PRI * HTTP/2", &mut sink),
            Feed::Consumed(0)
        );
        assert_eq!(
            d.feed(
                Direction::ToServer,
                b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
                &mut sink
            ),
            Feed::Done
        );
        assert!(sink.lines.is_empty(), "{:?}", sink.lines);
    }

    #[test]
    fn waits_through_interim_responses() {
        let mut sink = CollectingSink::default();
        let mut d = dissector();
        run(
            &mut d,
            &[
                (
                    Direction::ToServer,
                    b"PUT /f HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n",
                ),
                (Direction::ToClient, b"HTTP/1.1 100 Continue\r\n\r\n"),
                (Direction::ToServer, b"abc"),
                (
                    Direction::ToClient,
                    b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n",
                ),
            ],
            &mut sink,
        );
        let lines = sink.matching("record http transaction");
        assert_eq!(lines.len(), 1);
        assert!(
            lines[0].contains(r#""request_body_len":3"#)
                && lines[0].contains(r#""status_code":201"#)
        );
    }

    #[test]
    fn reads_a_response_body_until_close() {
        let mut sink = CollectingSink::default();
        let mut d = dissector();
        run(
            &mut d,
            &[
                (Direction::ToServer, b"GET / HTTP/1.0\r\n\r\n"),
                (
                    Direction::ToClient,
                    b"HTTP/1.0 200 OK\r\n\r\nbody until close",
                ),
            ],
            &mut sink,
        );
        assert!(sink.matching("record").is_empty());
        d.close(&mut sink);
        let lines = sink.matching("record http transaction");
        assert!(lines[0].contains(r#""response_body_len":16"#));
    }
}
