//! Per-flow DNP3 state: link framing with resynchronisation, transport reassembly per
//! address pair, request/response pairing by application sequence number, and events.

use std::collections::VecDeque;
use std::fmt::Write as _;

use rampart_dissect::{
    Attribute, Confidence, Direction, Dissector, Event, EventSink, Feed, FieldList, Record,
    Subject, Transport, Value, identify, report, text,
};

use super::message::{
    AppControl, DeviceAttribute, FunctionCode, Iin, LinkControl, Range, TransportHeader,
    authentication_object_name, group_name, is_broadcast,
};
use super::parse::{
    AppHeader, LinkHeader, MAX_USER_DATA, ObjectHeader, ObjectWalk, START, app_header, attributes,
    link_header, points, user_data,
};
use crate::label::push_hex_byte;
use crate::text_list::TextList;
use rampart_event::Activity;

const PROTOCOL: &str = "dnp3";
/// The largest application fragment reassembled: IEEE 1815 devices default to 2048 octets;
/// twice that leaves room for configured larger fragments and bounds memory per flow.
pub(super) const MAX_FRAGMENT: usize = 4096;
/// Fragments reassembled at once per flow (one per direction and address pair).
const MAX_REASSEMBLIES: usize = 8;
/// Object headers written into a record; `object_count` counts them all.
const MAX_OBJECTS: usize = 32;
/// Output commands decoded into a record.
const MAX_CONTROLS: usize = 16;

/// The fields of one record.
type Fields40<'a> = FieldList<'a, 40>;

/// A fragment being reassembled from transport segments.
#[derive(Debug, Default)]
struct Reassembly {
    /// Direction index, source and destination of the frames carrying it.
    key: (usize, u16, u16),
    /// The sequence number the next segment must carry.
    next_seq: u8,
    /// Link frames so far.
    frames: u32,
    /// The fragment's octets so far; its capacity is kept for the next fragment.
    data: Vec<u8>,
    /// A fragment is in progress.
    active: bool,
    /// When the reassembly was last used, to evict the stalest.
    used: u64,
}

/// What a fragment's link frames say about it.
#[derive(Debug, Clone, Copy)]
struct Carrier {
    dir: Direction,
    link: LinkHeader,
    frames: u32,
}

/// One application fragment, parsed.
#[derive(Debug, Clone, Copy)]
struct Message {
    dir: Direction,
    master: u16,
    outstation: u16,
    control: AppControl,
    function: FunctionCode,
    iin: Option<Iin>,
    object_count: usize,
    frames: u32,
    link_function: u8,
}

/// What a message's objects are rendered as, in buffers reused from message to message.
#[derive(Debug, Default)]
struct Rendered {
    /// The object headers.
    objects: TextList,
    /// The control relay output blocks and analog output blocks, decoded.
    controls: TextList,
}

impl Rendered {
    fn clear(&mut self) {
        self.objects.clear();
        self.controls.clear();
    }
}

/// A request waiting for its response.
#[derive(Debug)]
struct Pending {
    message: Message,
    /// FNV-1a of the fragment, to tell a retry from a new request.
    digest: u64,
    rendered: Rendered,
    activity: Option<Activity>,
}

/// Field names of one message within a record: bare for a request or a lone message,
/// prefixed for the response half of a transaction.
struct Names {
    fir: &'static str,
    fin: &'static str,
    con: &'static str,
    uns: &'static str,
    function_code: &'static str,
    function: &'static str,
    objects: &'static str,
    controls: &'static str,
    object_count: &'static str,
    frames: &'static str,
    link_function_code: &'static str,
}

const BARE: Names = Names {
    fir: "fir",
    fin: "fin",
    con: "con",
    uns: "uns",
    function_code: "function_code",
    function: "function",
    objects: "objects",
    controls: "controls",
    object_count: "object_count",
    frames: "frames",
    link_function_code: "link_function_code",
};

const RESPONSE: Names = Names {
    fir: "response_fir",
    fin: "response_fin",
    con: "response_con",
    uns: "response_uns",
    function_code: "response_function_code",
    function: "response_function",
    objects: "response_objects",
    controls: "response_controls",
    object_count: "response_object_count",
    frames: "response_frames",
    link_function_code: "response_link_function_code",
};

/// The DNP3 dissector, over TCP or UDP.
pub(super) struct Dnp3Dissector {
    stream: bool,
    max_transactions: usize,
    /// The user data of the frame being read, CRCs removed.
    user: [u8; MAX_USER_DATA],
    reassemblies: Vec<Reassembly>,
    clock: u64,
    pending: VecDeque<Pending>,
    /// Object lists of finished transactions, for the next requests.
    spare: Vec<Rendered>,
    /// The objects of the message being read.
    current: Rendered,
    /// The objects of a held request, while its transaction is reported.
    request: Rendered,
    /// Roles already reported: (client is master, client is outstation, server …).
    roles: [bool; 4],
}

impl Dnp3Dissector {
    /// Start a flow on `transport`, keeping at most `max_transactions` unanswered requests.
    pub(super) fn new(transport: Transport, max_transactions: usize) -> Dnp3Dissector {
        Dnp3Dissector {
            stream: transport == Transport::Tcp,
            max_transactions,
            user: [0; MAX_USER_DATA],
            reassemblies: Vec::new(),
            clock: 0,
            pending: VecDeque::new(),
            spare: Vec::new(),
            current: Rendered::default(),
            request: Rendered::default(),
            roles: [false; 4],
        }
    }

    /// Read every whole frame in `data`; return how many octets were used.
    fn frames(&mut self, dir: Direction, data: &[u8], sink: &mut dyn EventSink) -> usize {
        let mut at = 0;
        while at < data.len() {
            let rest = &data[at..];
            let start = rest.windows(2).position(|w| w == START);
            match start {
                Some(0) => {}
                Some(skip) => {
                    skipped(sink, at, skip);
                    at += skip;
                    continue;
                }
                None => {
                    // A lone 0x05 at the end may be the first start octet of the next frame.
                    let keep = usize::from(self.stream && rest.last() == Some(&START[0]));
                    if rest.len() > keep {
                        skipped(sink, at, rest.len() - keep);
                    }
                    return data.len() - keep;
                }
            }
            let header = match link_header(rest) {
                Ok(Some(header)) => header,
                Ok(None) => return self.incomplete(data, at, sink),
                Err(e) => {
                    report(sink, PROTOCOL, e.code(), Some(at + e.offset()), &e);
                    // The length cannot be trusted: look for the next start octets.
                    at += START.len();
                    continue;
                }
            };
            let len = header.frame_len();
            let Some(frame) = rest.get(..len) else {
                return self.incomplete(data, at, sink);
            };
            at += len;
            match user_data(frame, &header, &mut self.user) {
                Ok(n) => self.frame(dir, header, n, sink),
                Err(e) => report(sink, PROTOCOL, e.code(), Some(at - len + e.offset()), &e),
            }
        }
        at
    }

    /// Handle a frame cut short at `at`: wait for the rest on a stream, report it in a datagram.
    fn incomplete(&self, data: &[u8], at: usize, sink: &mut dyn EventSink) -> usize {
        if self.stream {
            return at;
        }
        let detail = format_args!(
            "the datagram ends {} octets into a link frame",
            data.len() - at
        );
        report(sink, PROTOCOL, "truncated_frame", Some(at), &detail);
        data.len()
    }

    /// Handle one verified link frame whose user data is in `self.user[..n]`.
    fn frame(&mut self, dir: Direction, link: LinkHeader, n: usize, sink: &mut dyn EventSink) {
        self.roles(dir, link.control, sink);
        let control = link.control;
        if control.function_name().is_none() {
            let detail = format_args!(
                "{} link function code {} is not assigned",
                if control.prm() {
                    "primary"
                } else {
                    "secondary"
                },
                control.function()
            );
            report(sink, PROTOCOL, "unknown_link_function", Some(3), &detail);
        }
        if !control.carries_user_data() {
            return link_record(dir, &link, sink);
        }
        let Some((&transport, _)) = self.user[..n].split_first() else {
            let detail = "a user data frame without a transport header";
            return report(sink, PROTOCOL, "missing_transport_header", None, &detail);
        };
        self.segment(dir, link, TransportHeader(transport), n, sink);
    }

    /// Report who is master and who is outstation, once per side: the DIR bit says who sent.
    fn roles(&mut self, dir: Direction, control: LinkControl, sink: &mut dyn EventSink) {
        let sender_is_master = control.dir();
        for (subject, master) in [
            (dir.sender(), sender_is_master),
            (dir.reverse().sender(), !sender_is_master),
        ] {
            let slot = usize::from(subject == Subject::Server) * 2 + usize::from(!master);
            if std::mem::replace(&mut self.roles[slot], true) {
                continue;
            }
            let role = if master {
                "dnp3 master"
            } else {
                "dnp3 outstation"
            };
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

    /// Add one transport segment (its payload at `self.user[1..n]`) to its fragment.
    fn segment(
        &mut self,
        dir: Direction,
        link: LinkHeader,
        th: TransportHeader,
        n: usize,
        sink: &mut dyn EventSink,
    ) {
        let key = (dir.index(), link.source, link.destination);
        self.clock += 1;
        let found = self.reassemblies.iter().position(|r| r.key == key);
        let in_progress = found.is_some_and(|i| self.reassemblies[i].active);
        if th.fir() && in_progress {
            let detail = format_args!(
                "a first segment (sequence {}) from {} to {} abandons the fragment in progress",
                th.seq(),
                link.source,
                link.destination
            );
            report(sink, PROTOCOL, "transport_incomplete", None, &detail);
        }
        if th.fir() && th.fin() {
            if let Some(i) = found {
                self.reassemblies[i].active = false;
            }
            let carrier = Carrier {
                dir,
                link,
                frames: 1,
            };
            let user = self.user;
            return self.fragment(carrier, user.get(1..n).unwrap_or_default(), sink);
        }
        let i = if th.fir() {
            self.slot(found, key, sink)
        } else {
            match found.filter(|_| in_progress) {
                Some(i) => i,
                None => {
                    let detail = format_args!(
                        "segment sequence {} from {} to {} continues no fragment; dropped",
                        th.seq(),
                        link.source,
                        link.destination
                    );
                    return report(sink, PROTOCOL, "transport_no_first", None, &detail);
                }
            }
        };
        let payload = self.user.get(1..n).unwrap_or_default();
        let r = &mut self.reassemblies[i];
        r.used = self.clock;
        if th.fir() {
            r.data.clear();
            r.frames = 0;
            r.active = true;
        } else if th.seq() != r.next_seq {
            // A repeat of the last segment is a link-layer retry: nothing is lost.
            if th.seq() == r.next_seq.wrapping_sub(1) & 0x3f {
                return;
            }
            r.active = false;
            let detail = format_args!(
                "segment sequence {} where {} was due, from {} to {}; fragment dropped",
                th.seq(),
                r.next_seq,
                link.source,
                link.destination
            );
            return report(sink, PROTOCOL, "transport_sequence", None, &detail);
        }
        if r.data.len() + payload.len() > MAX_FRAGMENT {
            r.active = false;
            let detail = format_args!(
                "fragment from {} to {} grows past {MAX_FRAGMENT} octets; dropped",
                link.source, link.destination
            );
            return report(sink, PROTOCOL, "fragment_too_large", None, &detail);
        }
        r.data.extend_from_slice(payload);
        r.frames += 1;
        r.next_seq = (th.seq() + 1) & 0x3f;
        if !th.fin() {
            return;
        }
        r.active = false;
        let carrier = Carrier {
            dir,
            link,
            frames: r.frames,
        };
        let data = std::mem::take(&mut r.data);
        self.fragment(carrier, &data, sink);
        self.reassemblies[i].data = data;
    }

    /// Return the reassembly for `key`, taking a free one or the stalest when there is none.
    fn slot(
        &mut self,
        found: Option<usize>,
        key: (usize, u16, u16),
        sink: &mut dyn EventSink,
    ) -> usize {
        if let Some(i) = found {
            return i;
        }
        if self.reassemblies.len() < MAX_REASSEMBLIES {
            self.reassemblies.push(Reassembly::default());
            let i = self.reassemblies.len() - 1;
            self.reassemblies[i].key = key;
            return i;
        }
        let (i, stalest) = self
            .reassemblies
            .iter()
            .enumerate()
            .min_by_key(|(_, r)| (r.active, r.used))
            .map(|(i, r)| (i, r.active))
            .unwrap_or((0, false));
        if stalest {
            let r = &self.reassemblies[i];
            let detail = format_args!(
                "more than {MAX_REASSEMBLIES} fragments in progress; dropped the one from {} to {}",
                r.key.1, r.key.2
            );
            report(sink, PROTOCOL, "too_many_reassemblies", None, &detail);
        }
        self.reassemblies[i].key = key;
        self.reassemblies[i].active = false;
        i
    }

    /// Parse a whole application fragment and report it.
    fn fragment(&mut self, carrier: Carrier, fragment: &[u8], sink: &mut dyn EventSink) {
        let header = match app_header(fragment) {
            Ok(h) => h,
            Err(e) => {
                return report(
                    sink,
                    PROTOCOL,
                    "truncated_application_header",
                    Some(e.offset),
                    &e,
                );
            }
        };
        let function = header.function;
        if function.name().is_none() {
            let detail = format_args!("application function code {function}");
            report(sink, PROTOCOL, "unknown_function", Some(1), &detail);
        }
        let link = carrier.link;
        if link.control.dir() == function.is_response() {
            let detail = format_args!(
                "function {function} in a frame whose DIR bit says it comes from the {}",
                if link.control.dir() {
                    "master"
                } else {
                    "outstation"
                }
            );
            report(sink, PROTOCOL, "dir_mismatch", None, &detail);
        }
        let (master, outstation) = if function.is_response() {
            (link.destination, link.source)
        } else {
            (link.source, link.destination)
        };
        let (object_count, writes_time) = self.objects(carrier.dir, fragment, &header, sink);
        let message = Message {
            dir: carrier.dir,
            master,
            outstation,
            control: header.control,
            function,
            iin: header.iin,
            object_count,
            frames: carrier.frames,
            link_function: link.control.function(),
        };
        match function {
            FunctionCode::RESPONSE | FunctionCode::AUTHENTICATE_RESP => {
                self.response(&message, sink)
            }
            FunctionCode::UNSOLICITED_RESPONSE => {
                self.lone(&message, "unsolicited", None, sink);
            }
            FunctionCode::CONFIRM => self.lone(&message, "confirm", None, sink),
            f if f.is_response() => self.lone(&message, "response", None, sink),
            f => {
                let activity = activity(f, writes_time);
                if f.expects_no_response() || is_broadcast(link.destination) {
                    self.lone(&message, "request", activity, sink);
                } else {
                    self.hold(message, fnv1a(fragment), activity, sink);
                }
            }
        }
    }

    /// Walk the object headers into `self.current`, reporting where they break and what
    /// device attributes say; return how many headers there were and whether a time object
    /// is written.
    fn objects(
        &mut self,
        dir: Direction,
        fragment: &[u8],
        header: &AppHeader,
        sink: &mut dyn EventSink,
    ) -> (usize, bool) {
        self.current.clear();
        let mut count = 0;
        let mut writes_time = false;
        for item in ObjectWalk::new(fragment, header) {
            let objects = match item {
                Ok(o) => o,
                Err(e) => {
                    report(sink, PROTOCOL, e.code(), Some(e.offset()), &e);
                    break;
                }
            };
            let h = objects.header;
            count += 1;
            writes_time |= h.group == 50 && matches!(h.variation, 1 | 3);
            if self.current.objects.len() < MAX_OBJECTS {
                write_object(self.current.objects.next(), &h);
                self.current.objects.finish();
            }
            if let Some(size) = control_size(h.group, h.variation) {
                for (index, object) in points(&objects, size) {
                    if self.current.controls.len() >= MAX_CONTROLS {
                        break;
                    }
                    write_control(self.current.controls.next(), &h, index, object);
                    self.current.controls.finish();
                }
            }
            if h.group == 0 && header.function.is_response() {
                for a in attributes(&objects) {
                    device_attribute(dir.sender(), h.variation, a.data_type, a.value, sink);
                }
            }
        }
        (count, writes_time)
    }

    /// Keep a request until its response comes.
    fn hold(
        &mut self,
        message: Message,
        digest: u64,
        activity: Option<Activity>,
        sink: &mut dyn EventSink,
    ) {
        // Masters may pipeline requests that share a sequence number (responses then come in
        // order), but the very same fragment again is a retry: the first will not be answered.
        let retry = |p: &Pending| {
            let m = &p.message;
            p.digest == digest
                && (m.master, m.outstation, m.control.seq())
                    == (message.master, message.outstation, message.control.seq())
        };
        if let Some(i) = self.pending.iter().position(retry)
            && let Some(old) = self.pending.remove(i)
        {
            self.unanswered(old, sink);
        }
        if self.pending.len() >= self.max_transactions
            && let Some(old) = self.pending.pop_front()
        {
            let detail = format_args!(
                "more than {} requests unanswered; reported the oldest, {} sequence {}",
                self.max_transactions,
                old.message.function,
                old.message.control.seq()
            );
            report(sink, PROTOCOL, "too_many_transactions", None, &detail);
            self.unanswered(old, sink);
        }
        if self.max_transactions == 0 {
            return self.lone(&message, "unanswered", activity, sink);
        }
        let mut rendered = self.spare.pop().unwrap_or_default();
        std::mem::swap(&mut rendered, &mut self.current);
        self.pending.push_back(Pending {
            message,
            digest,
            rendered,
            activity,
        });
    }

    /// Pair a response with its request, or report it alone.
    fn response(&mut self, response: &Message, sink: &mut dyn EventSink) {
        let position = response.control.fir().then(|| {
            self.pending.iter().position(|p| {
                let m = &p.message;
                (m.master, m.outstation, m.control.seq())
                    == (response.master, response.outstation, response.control.seq())
            })
        });
        let Some(mut request) = position.flatten().and_then(|i| self.pending.remove(i)) else {
            let activity = (response.function == FunctionCode::AUTHENTICATE_RESP)
                .then_some(Activity::Authentication);
            return self.lone(response, "response", activity, sink);
        };
        std::mem::swap(&mut request.rendered, &mut self.request);
        let r = &request.message;
        let mut f = Fields40::default();
        f.push("master", Value::U64(r.master.into()));
        f.push("outstation", Value::U64(r.outstation.into()));
        f.push("seq", Value::U64(r.control.seq().into()));
        push_message(&mut f, r, &self.request, &BARE);
        push_message(&mut f, response, &self.current, &RESPONSE);
        let mut names = [""; 16];
        let iin = response.iin.unwrap_or_default();
        let n = iin.names(&mut names);
        f.push("iin", Value::U64(iin.0.into()));
        f.push("iin_flags", Value::Strs(&names[..n]));
        sink.emit(Event::Record(Record {
            protocol: PROTOCOL,
            kind: "transaction",
            direction: None,
            activity: request.activity,
            fields: f.fields(),
        }));
        std::mem::swap(&mut request.rendered, &mut self.request);
        request.rendered.clear();
        self.spare.push(request.rendered);
    }

    /// Report a request that was never answered.
    fn unanswered(&mut self, p: Pending, sink: &mut dyn EventSink) {
        let mut p = p;
        std::mem::swap(&mut p.rendered, &mut self.current);
        self.lone(&p.message, "unanswered", p.activity, sink);
        std::mem::swap(&mut p.rendered, &mut self.current);
        p.rendered.clear();
        self.spare.push(p.rendered);
    }

    /// Report one message on its own, with the objects in `self.current`.
    fn lone(
        &self,
        m: &Message,
        kind: &'static str,
        activity: Option<Activity>,
        sink: &mut dyn EventSink,
    ) {
        let mut f = Fields40::default();
        f.push("master", Value::U64(m.master.into()));
        f.push("outstation", Value::U64(m.outstation.into()));
        f.push("seq", Value::U64(m.control.seq().into()));
        push_message(&mut f, m, &self.current, &BARE);
        let mut names = [""; 16];
        if let Some(iin) = m.iin {
            let n = iin.names(&mut names);
            f.push("iin", Value::U64(iin.0.into()));
            f.push("iin_flags", Value::Strs(&names[..n]));
        }
        sink.emit(Event::Record(Record {
            protocol: PROTOCOL,
            kind,
            direction: Some(m.dir),
            activity,
            fields: f.fields(),
        }));
    }
}

/// Hash a fragment with 64-bit FNV-1a.
fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Add the fields of one message under `names`.
fn push_message<'a>(f: &mut Fields40<'a>, m: &Message, rendered: &'a Rendered, names: &Names) {
    let c = m.control;
    f.push(names.fir, Value::Bool(c.fir()));
    f.push(names.fin, Value::Bool(c.fin()));
    f.push(names.con, Value::Bool(c.con()));
    f.push(names.uns, Value::Bool(c.uns()));
    f.push(names.function_code, Value::U64(m.function.0.into()));
    f.push(
        names.function,
        Value::Str(m.function.name().unwrap_or("unknown")),
    );
    f.push(names.objects, rendered.objects.value());
    if rendered.controls.len() > 0 {
        f.push(names.controls, rendered.controls.value());
    }
    f.push(names.object_count, Value::U64(m.object_count as u64));
    f.push(names.frames, Value::U64(m.frames.into()));
    f.push(names.link_function_code, Value::U64(m.link_function.into()));
}

/// Report a link frame that carries no user data (link resets, tests, status, ACK/NACK).
fn link_record(dir: Direction, link: &LinkHeader, sink: &mut dyn EventSink) {
    let c = link.control;
    let flag = if c.prm() { "fcv" } else { "dfc" };
    let fields = [
        ("src", Value::U64(link.source.into())),
        ("dst", Value::U64(link.destination.into())),
        ("dir", Value::Bool(c.dir())),
        ("prm", Value::Bool(c.prm())),
        ("fcb", Value::Bool(c.prm() && c.fcb())),
        (flag, Value::Bool(c.fcv_dfc())),
        ("link_function_code", Value::U64(c.function().into())),
        (
            "link_function",
            Value::Str(c.function_name().unwrap_or("unknown")),
        ),
    ];
    sink.emit(Event::Record(Record {
        protocol: PROTOCOL,
        kind: "link",
        direction: Some(dir),
        activity: None,
        fields: rampart_dissect::Fields(&fields),
    }));
}

/// Report octets skipped while looking for the start of a frame.
fn skipped(sink: &mut dyn EventSink, at: usize, n: usize) {
    let detail = format_args!("skipped {n} octets that do not start a link frame");
    report(sink, PROTOCOL, "lost_sync", Some(at), &detail);
}

/// Return the size of an output command object decoded into `controls`: control relay
/// output blocks (g12v1) and analog output blocks (g41v1–v4).
fn control_size(group: u8, variation: u8) -> Option<usize> {
    match (group, variation) {
        (12, 1) => Some(11),
        (41, 1 | 3) => Some(5),
        (41, 2) => Some(3),
        (41, 4) => Some(9),
        _ => None,
    }
}

/// Write an output command: `index=0 latch_on count=1 on_ms=100 off_ms=100 status=0` for a
/// CROB (§A.8.1: control code, count, on and off times, status), `index=3 value=12.5
/// status=0` for an analog output block.
fn write_control(out: &mut String, h: &ObjectHeader, index: u32, object: &[u8]) {
    let b = |i: usize| object.get(i).copied().unwrap_or_default();
    let u32_at = |i: usize| u32::from_le_bytes([b(i), b(i + 1), b(i + 2), b(i + 3)]);
    // Integers by hand (itoa): every command of every fragment is written.
    let mut number = itoa::Buffer::new();
    out.push_str("index=");
    out.push_str(number.format(index));
    out.push(' ');
    if h.group == 12 {
        let code = b(0);
        const OPERATIONS: [&str; 5] = ["nul", "pulse_on", "pulse_off", "latch_on", "latch_off"];
        match OPERATIONS.get(usize::from(code & 0x0f)) {
            Some(op) => out.push_str(op),
            None => {
                let _ = write!(out, "operation_{}", code & 0x0f);
            }
        }
        if code & 0x10 != 0 {
            out.push_str(" queue");
        }
        if code & 0x20 != 0 {
            out.push_str(" clear");
        }
        out.push_str(["", " close", " trip", " trip_close_reserved"][usize::from(code >> 6)]);
        for (name, n) in [
            (" count=", u32::from(b(1))),
            (" on_ms=", u32_at(2)),
            (" off_ms=", u32_at(6)),
            (" status=", u32::from(b(10) & 0x7f)),
        ] {
            out.push_str(name);
            out.push_str(number.format(n));
        }
        return;
    }
    let (value, status) = match h.variation {
        1 => (f64::from(u32_at(0) as i32), b(4)),
        2 => (f64::from(u16::from_le_bytes([b(0), b(1)]) as i16), b(2)),
        3 => (f64::from(f32::from_bits(u32_at(0))), b(4)),
        _ => {
            let bits = u64::from(u32_at(0)) | (u64::from(u32_at(4)) << 32);
            (f64::from_bits(bits), b(8))
        }
    };
    let _ = write!(out, "value={value} status={}", status & 0x7f);
}

/// Write an object header as `g12v1 binary_output_command qualifier=0x28 count=1`, without
/// `core::fmt`: every object header of every fragment is written.
fn write_object(out: &mut String, h: &ObjectHeader) {
    let mut number = itoa::Buffer::new();
    out.push('g');
    out.push_str(number.format(h.group));
    out.push('v');
    out.push_str(number.format(h.variation));
    out.push(' ');
    match (h.group, authentication_object_name(h.variation)) {
        (120, Some(name)) => {
            out.push_str("authentication_");
            out.push_str(name);
        }
        _ => out.push_str(group_name(h.group).unwrap_or("unknown")),
    }
    out.push_str(" qualifier=0x");
    push_hex_byte(out, h.qualifier.0);
    out.push(' ');
    match h.range {
        Range::StartStop { start, stop } => {
            out.push_str("range=");
            out.push_str(number.format(start));
            out.push('-');
            out.push_str(number.format(stop));
        }
        Range::Count(n) => {
            out.push_str("count=");
            out.push_str(number.format(n));
        }
        Range::All => out.push_str("all"),
    }
}

/// Report a device attribute that names the device as an identity of `subject`.
fn device_attribute(
    subject: Subject,
    variation: u8,
    data_type: u8,
    value: &[u8],
    sink: &mut dyn EventSink,
) {
    // Only visible strings (1) and octet strings (5) hold names; numbers do not identify.
    let Some(attribute) =
        DeviceAttribute::of_variation(variation).filter(|_| matches!(data_type, 1 | 5))
    else {
        return;
    };
    let attribute = match attribute {
        DeviceAttribute::Manufacturer => Attribute::Vendor,
        DeviceAttribute::Model => Attribute::Model,
        DeviceAttribute::SoftwareVersion => Attribute::Firmware,
        DeviceAttribute::HardwareVersion => Attribute::HardwareVersion,
        DeviceAttribute::Serial => Attribute::Serial,
        DeviceAttribute::DeviceName => Attribute::Hostname,
        DeviceAttribute::Location => Attribute::Location,
    };
    identify(
        sink,
        PROTOCOL,
        subject,
        attribute,
        &text(value),
        Confidence::STATED,
    );
}

/// Return what a request does (IEEE 1815-2012 Table 4-4 grouped by effect).
pub(super) fn activity(function: FunctionCode, writes_time: bool) -> Option<Activity> {
    Some(match function.0 {
        1 => Activity::Read,
        2 if writes_time => Activity::TimeSync,
        2 => Activity::Write,
        3..=12 => Activity::Command,
        13 | 14 => Activity::Restart,
        16 | 18 => Activity::PlcStop,
        17 => Activity::PlcStart,
        15 | 19..=22 | 31 => Activity::ConfigChange,
        23 | 24 => Activity::TimeSync,
        25..=30 => Activity::FileTransfer,
        32 | 33 => Activity::Authentication,
        _ => return None,
    })
}

impl Dissector for Dnp3Dissector {
    fn feed(&mut self, dir: Direction, data: &[u8], sink: &mut dyn EventSink) -> Feed {
        let used = self.frames(dir, data, sink);
        if self.stream {
            Feed::Consumed(used)
        } else {
            Feed::Consumed(data.len())
        }
    }

    fn gap(&mut self, dir: Direction, _len: u64, _sink: &mut dyn EventSink) {
        // Segments after a gap cannot continue a fragment that lost octets.
        for r in &mut self.reassemblies {
            if r.key.0 == dir.index() {
                r.active = false;
            }
        }
    }

    fn close(&mut self, sink: &mut dyn EventSink) {
        while let Some(p) = self.pending.pop_front() {
            self.unanswered(p, sink);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dnp3::REGISTRATION;
    use crate::dnp3::parse::crc;
    use rampart_dissect::Session;
    use rampart_event::CollectingSink;

    /// Frame `user` data from `src` to `dst` with link control `control`, adding the header
    /// CRC and one CRC per 16-octet block (§9.2.4).
    fn frame(control: u8, dst: u16, src: u16, user: &[u8]) -> Vec<u8> {
        let length = u8::try_from(5 + user.len()).expect("at most 250 octets");
        let mut f = vec![0x05, 0x64, length, control];
        f.extend_from_slice(&dst.to_le_bytes());
        f.extend_from_slice(&src.to_le_bytes());
        f.extend_from_slice(&crc(&f).to_le_bytes());
        for block in user.chunks(16) {
            f.extend_from_slice(block);
            f.extend_from_slice(&crc(block).to_le_bytes());
        }
        f
    }

    /// A single-segment request from master 1 to outstation 10 (DIR, PRM, unconfirmed data).
    fn request(app: &[u8]) -> Vec<u8> {
        let mut user = vec![0xc0]; // transport: FIN, FIR, sequence 0
        user.extend_from_slice(app);
        frame(0xc4, 10, 1, &user)
    }

    /// A single-segment response from outstation 10 to master 1 (PRM, unconfirmed data).
    fn response(app: &[u8]) -> Vec<u8> {
        let mut user = vec![0xc0];
        user.extend_from_slice(app);
        frame(0x44, 1, 10, &user)
    }

    /// A class 0 read with sequence 2 (§4.2.2, g60v1 qualifier 6).
    const READ_CLASS_0: &[u8] = &[0xc2, 0x01, 0x3c, 0x01, 0x06];
    /// Its null response, IIN1.7 device restart set.
    const RESPONSE_RESTART: &[u8] = &[0xc2, 0x81, 0x80, 0x00];

    fn session() -> Session {
        Session::new(&REGISTRATION, Transport::Tcp)
    }

    #[test]
    fn pairs_response_with_request_by_sequence_number() {
        let mut s = session();
        let mut sink = CollectingSink::default();
        s.deliver(Direction::ToServer, &request(READ_CLASS_0), &mut sink);
        assert!(sink.matching("record").is_empty(), "held for its response");
        s.deliver(Direction::ToClient, &response(RESPONSE_RESTART), &mut sink);
        assert_eq!(
            sink.matching("record dnp3 transaction"),
            vec![
                r#"record dnp3 transaction transaction [read] {"master":1,"outstation":10,"seq":2,"fir":true,"fin":true,"con":false,"uns":false,"function_code":1,"function":"read","objects":["g60v1 class_data qualifier=0x06 all"],"object_count":1,"frames":1,"link_function_code":4,"response_fir":true,"response_fin":true,"response_con":false,"response_uns":false,"response_function_code":129,"response_function":"response","response_objects":[],"response_object_count":0,"response_frames":1,"response_link_function_code":4,"iin":32768,"iin_flags":["device_restart"]}"#
            ]
        );
        assert_eq!(
            sink.matching("identity"),
            vec![
                "identity dnp3 Client role dnp3 master",
                "identity dnp3 Server role dnp3 outstation"
            ]
        );
    }

    #[test]
    fn takes_roles_from_the_dir_bit_not_the_connection() {
        // The outstation opened the connection: its frames travel to the server.
        let mut s = session();
        let mut sink = CollectingSink::default();
        s.deliver(Direction::ToServer, &response(RESPONSE_RESTART), &mut sink);
        assert_eq!(
            sink.matching("identity"),
            vec![
                "identity dnp3 Client role dnp3 outstation",
                "identity dnp3 Server role dnp3 master"
            ]
        );
        assert_eq!(sink.matching("record dnp3 response request").len(), 1);
    }

    #[test]
    fn pairs_pipelined_requests_in_order_and_reports_the_unanswered_at_close() {
        let mut s = session();
        let mut sink = CollectingSink::default();
        let select = |index: u8| {
            request(&[
                0xc7, 0x03, // select, sequence 7
                0x0c, 0x01, 0x17, 0x01, index, // g12v1, 1-octet index prefix, count 1
                0x03, 0x01, 0x64, 0, 0, 0, 0x64, 0, 0, 0, 0x00, // CROB latch on
            ])
        };
        s.deliver(Direction::ToServer, &select(1), &mut sink);
        s.deliver(Direction::ToServer, &select(2), &mut sink);
        s.deliver(Direction::ToServer, &select(3), &mut sink);
        s.deliver(
            Direction::ToClient,
            &response(&[0xc7, 0x81, 0, 0]),
            &mut sink,
        );
        s.deliver(
            Direction::ToClient,
            &response(&[0xc7, 0x81, 0, 0]),
            &mut sink,
        );
        assert_eq!(sink.matching("record dnp3 transaction").len(), 2);
        s.close(&mut sink);
        let unanswered = sink.matching("record dnp3 unanswered request [command]");
        assert_eq!(unanswered.len(), 1);
    }

    #[test]
    fn a_repeated_fragment_is_a_retry_of_the_unanswered_one() {
        let mut s = session();
        let mut sink = CollectingSink::default();
        s.deliver(Direction::ToServer, &request(READ_CLASS_0), &mut sink);
        s.deliver(Direction::ToServer, &request(READ_CLASS_0), &mut sink);
        assert_eq!(sink.matching("record dnp3 unanswered").len(), 1);
        s.deliver(Direction::ToClient, &response(RESPONSE_RESTART), &mut sink);
        s.close(&mut sink);
        assert_eq!(sink.matching("record dnp3 transaction").len(), 1);
        assert_eq!(sink.matching("record dnp3 unanswered").len(), 1);
    }

    #[test]
    fn reports_a_bad_block_crc_and_keeps_parsing_the_next_frame() {
        let mut s = session();
        let mut sink = CollectingSink::default();
        let mut corrupt = request(READ_CLASS_0);
        corrupt[12] ^= 0x01; // the function code octet, inside block 0
        let mut stream = corrupt;
        stream.extend_from_slice(&request(&[0xc3, 0x0d])); // cold restart, sequence 3
        s.deliver(Direction::ToServer, &stream, &mut sink);
        assert_eq!(sink.anomalies("bad_block_crc"), 1);
        let anomaly = &sink.matching("anomaly dnp3 bad_block_crc")[0];
        assert!(
            anomaly.contains("@16 link data block 0 CRC at offset 16"),
            "{anomaly}"
        );
        s.close(&mut sink);
        assert_eq!(
            sink.matching("record dnp3 unanswered request [restart]")
                .len(),
            1
        );
    }

    #[test]
    fn resynchronises_on_the_next_start_octets_after_garbage_and_a_bad_header() {
        let mut s = session();
        let mut sink = CollectingSink::default();
        let mut stream = request(READ_CLASS_0);
        stream[5] ^= 0x01; // destination: the header CRC no longer matches
        stream.extend_from_slice(b"noise");
        stream.extend_from_slice(&request(&[0xc3, 0x0d]));
        // Deliver in two pieces, cutting the good frame's header.
        let cut = stream.len() - 6;
        s.deliver(Direction::ToServer, &stream[..cut], &mut sink);
        s.deliver(Direction::ToServer, &stream[cut..], &mut sink);
        assert_eq!(sink.anomalies("bad_header_crc"), 1);
        assert!(sink.anomalies("lost_sync") >= 1);
        s.close(&mut sink);
        assert_eq!(sink.matching("record dnp3 unanswered").len(), 1);
    }

    #[test]
    fn reassembles_a_fragment_from_segments_and_drops_an_out_of_sequence_one() {
        let mut s = session();
        let mut sink = CollectingSink::default();
        // An unsolicited response with 20 binary input events g2v1 (1 octet each), in two
        // segments: FIR seq 5, then FIN seq 6 (§8.2.1).
        let mut app = vec![0xf4, 0x82, 0x00, 0x00, 0x02, 0x01, 0x17, 20];
        for i in 0..20u8 {
            app.extend_from_slice(&[i, 0x81]); // index, flags
        }
        let (first, last) = app.split_at(30);
        let segment = |th: u8, part: &[u8]| {
            let mut user = vec![th];
            user.extend_from_slice(part);
            frame(0x44, 1, 10, &user)
        };
        s.deliver(Direction::ToClient, &segment(0x45, first), &mut sink);
        s.deliver(Direction::ToClient, &segment(0x45, first), &mut sink); // link retry
        s.deliver(Direction::ToClient, &segment(0x86, last), &mut sink);
        let records = sink.matching("record dnp3 unsolicited response");
        assert_eq!(records.len(), 1);
        assert!(
            records[0].contains(r#""objects":["g2v1 binary_input_event qualifier=0x17 count=20"]"#)
        );
        assert!(records[0].contains(r#""frames":2"#));
        s.deliver(Direction::ToClient, &segment(0x45, first), &mut sink);
        s.deliver(Direction::ToClient, &segment(0x88, last), &mut sink);
        assert_eq!(sink.anomalies("transport_sequence"), 1);
        s.deliver(Direction::ToClient, &segment(0x89, last), &mut sink);
        assert_eq!(sink.anomalies("transport_no_first"), 1);
        assert_eq!(sink.matching("record dnp3 unsolicited").len(), 1);
    }

    #[test]
    fn reports_link_frames_confirms_and_requests_that_expect_no_answer() {
        let mut s = session();
        let mut sink = CollectingSink::default();
        // Request link status (primary function 9), then its link status answer (11).
        s.deliver(Direction::ToServer, &frame(0xc9, 10, 1, &[]), &mut sink);
        s.deliver(Direction::ToClient, &frame(0x0b, 1, 10, &[]), &mut sink);
        // An application confirm, and a direct operate no ack to the broadcast address.
        s.deliver(Direction::ToServer, &request(&[0xd4, 0x00]), &mut sink);
        let broadcast = {
            let mut user = vec![0xc0, 0xc5, 0x14, 0x3c, 0x02, 0x06]; // enable unsolicited
            user.truncate(6);
            frame(0xc4, 0xffff, 1, &user)
        };
        s.deliver(Direction::ToServer, &broadcast, &mut sink);
        assert_eq!(
            sink.matching("record dnp3 link"),
            vec![
                r#"record dnp3 link request {"src":1,"dst":10,"dir":true,"prm":true,"fcb":false,"fcv":false,"link_function_code":9,"link_function":"request_link_status"}"#,
                r#"record dnp3 link response {"src":10,"dst":1,"dir":false,"prm":false,"fcb":false,"dfc":false,"link_function_code":11,"link_function":"link_status"}"#,
            ]
        );
        assert!(sink.matching("record dnp3 confirm request")[0].contains(r#""uns":true"#));
        assert_eq!(
            sink.matching("record dnp3 request request [config_change]")
                .len(),
            1
        );
    }

    #[test]
    fn decodes_the_output_commands_of_a_select_and_its_echo() {
        let mut s = session();
        let mut sink = CollectingSink::default();
        let crob = [
            0x0c, 0x01, 0x28, 0x01, 0x00, // g12v1, 2-octet index prefix, count 1
            0x07, 0x00, // index 7
            0x81, // pulse on, trip (§A.8.1.2)
            0x01, // count 1
            0xf4, 0x01, 0x00, 0x00, // on time 500 ms
            0x00, 0x00, 0x00, 0x00, // off time 0
        ];
        let aob = [
            0x29, 0x03, 0x00, 0x02, 0x02, // g41v3 float analog output block, index 2-2
            0x00, 0x00, 0x48, 0x41, // 12.5
        ];
        let mut select = vec![0xc4, 0x03];
        select.extend_from_slice(&crob);
        select.push(0x00); // CROB status
        select.extend_from_slice(&aob);
        select.push(0x00); // AOB status
        let mut echo = vec![0xc4, 0x81, 0x00, 0x00];
        echo.extend_from_slice(&crob);
        echo.push(0x04); // status 4: not supported
        echo.extend_from_slice(&aob);
        echo.push(0x00);
        s.deliver(Direction::ToServer, &request(&select), &mut sink);
        s.deliver(Direction::ToClient, &response(&echo), &mut sink);
        let record = sink.matching("record dnp3 transaction transaction [command]")[0].to_string();
        assert!(
            record.contains(r#""controls":["index=7 pulse_on trip count=1 on_ms=500 off_ms=0 status=0","index=2 value=12.5 status=0"]"#),
            "{record}"
        );
        assert!(record.contains(
            r#""response_controls":["index=7 pulse_on trip count=1 on_ms=500 off_ms=0 status=4","#
        ));
    }

    #[test]
    fn names_time_writes_and_keeps_unknown_functions() {
        let mut s = session();
        let mut sink = CollectingSink::default();
        let time = [
            0xc1, 0x02, // write, sequence 1
            0x32, 0x01, 0x07, 0x01, // g50v1 time and date, count 1
            0x00, 0x10, 0x20, 0x30, 0x40, 0x50, // 48-bit milliseconds
        ];
        s.deliver(Direction::ToServer, &request(&time), &mut sink);
        s.deliver(Direction::ToServer, &request(&[0xc2, 0x5a]), &mut sink);
        s.close(&mut sink);
        assert_eq!(
            sink.matching("record dnp3 unanswered request [time_sync]")
                .len(),
            1
        );
        assert_eq!(sink.anomalies("unknown_function"), 1);
        let unknown = sink.matching("anomaly dnp3 unknown_function")[0];
        assert!(unknown.ends_with("application function code 0x5a (unknown)"));
        assert!(
            sink.matching("record dnp3 unanswered request {")[0]
                .contains(r#""function":"unknown""#)
        );
    }

    #[test]
    fn identifies_the_outstation_from_its_device_attributes() {
        let mut s = session();
        let mut sink = CollectingSink::default();
        let attributes = [
            0xc2, 0x81, 0x00, 0x00, // response, IIN 0
            0x00, 0xfc, 0x00, 0x00, 0x00, // g0v252 manufacturer, index 0-0
            0x01, 0x04, b'A', b'c', b'm', b'e', // visible string
            0x00, 0xf2, 0x00, 0x00, 0x00, // g0v242 software version
            0x01, 0x03, b'2', b'.', b'1', // visible string
        ];
        s.deliver(Direction::ToClient, &response(&attributes), &mut sink);
        assert_eq!(
            sink.matching("identity dnp3 Server"),
            vec![
                "identity dnp3 Server role dnp3 outstation",
                "identity dnp3 Server vendor Acme",
                "identity dnp3 Server firmware 2.1",
            ]
        );
    }

    #[test]
    fn reads_frames_of_a_datagram_and_reports_a_cut_one() {
        let mut s = Session::new(&REGISTRATION, Transport::Udp);
        let mut sink = CollectingSink::default();
        let mut datagram = request(READ_CLASS_0);
        datagram.extend_from_slice(&request(&[0xc3, 0x0d])[..12]);
        s.datagram(Direction::ToServer, &datagram, &mut sink);
        assert_eq!(sink.anomalies("truncated_frame"), 1);
        s.datagram(Direction::ToClient, &response(RESPONSE_RESTART), &mut sink);
        assert_eq!(sink.matching("record dnp3 transaction").len(), 1);
    }

    #[test]
    fn forgets_the_oldest_request_beyond_the_transaction_limit() {
        let mut d = Dnp3Dissector::new(Transport::Tcp, 2);
        let mut sink = CollectingSink::default();
        for seq in 0..3u8 {
            d.feed(
                Direction::ToServer,
                &request(&[0xc0 | seq, 0x0e]),
                &mut sink,
            );
        }
        assert_eq!(sink.anomalies("too_many_transactions"), 1);
        assert_eq!(
            sink.matching("record dnp3 unanswered request [restart]")
                .len(),
            1
        );
    }
}
