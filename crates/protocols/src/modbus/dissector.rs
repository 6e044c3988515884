//! Modbus/TCP streams to events: ADU framing with resynchronisation, requests paired with
//! their responses by transaction and unit id, one record per transaction, and what servers
//! say about themselves.

use std::borrow::Cow;
use std::fmt::Write as _;

use rampart_dissect::{
    Attribute, Confidence, Direction, Dissector, Event, EventSink, Feed, FieldList, Record,
    Subject, Value, identify, report, text,
};

use rampart_event::Activity;

use super::message::Class;
use super::message::{
    DEVICE_OBJECTS, DeviceId, FunctionCode, Label, MAX_LENGTH, MAX_VALUES, MBAP_LEN, Mbap,
    RESTART_COMMUNICATIONS, Request, Response, code_text, device_id_code_name, diagnostic_name,
    exception_name, mei_name,
};
use super::parse::{self, FileRecords, HeaderError, Sync};
use super::umas::{self, UmasCode, UmasRequest, UmasResponse};
use crate::transactions::Outstanding;

const PROTOCOL: &str = "modbus";
/// File record sub-requests listed per record: a PDU holds at most 35.
const MAX_FILE_RECORDS: usize = 35;

type Fields48<'a> = FieldList<'a, 48>;
type Values = [Value<'static>; MAX_VALUES];
type Registers = [u16; MAX_VALUES];

/// Per-flow Modbus state.
pub struct ModbusDissector {
    /// Whether each direction is at an ADU boundary.
    synced: [bool; 2],
    /// Bytes skipped per direction while looking for one.
    skipped: [usize; 2],
    /// Requests awaiting responses, by transaction and unit id, with a copy of their PDU.
    pending: Outstanding<(u16, u8)>,
    scratch: Scratch,
    values: ValueBuffers,
}

/// Value lists reused from record to record (registers, coils, file records): a record of up
/// to 128 values then costs neither an allocation nor the initialisation of 128 slots.
struct ValueBuffers {
    request: Box<ValueLists>,
    response: Box<ValueLists>,
    file: Box<Registers>,
}

/// The lists of one side of a transaction. Registers are kept as the 16-bit numbers they are
/// (`Value::U16s`, written as the same JSON numbers): a read response fills up to 125 of them,
/// and as `Value`s they were twelve times the bytes to write.
struct ValueLists {
    registers: Registers,
    bits: Values,
}

impl Default for ValueBuffers {
    fn default() -> Self {
        let lists = || {
            Box::new(ValueLists {
                registers: [0; MAX_VALUES],
                bits: [Value::Bool(false); MAX_VALUES],
            })
        };
        ValueBuffers {
            request: lists(),
            response: lists(),
            file: Box::new([0; MAX_VALUES]),
        }
    }
}

/// Text buffers reused from record to record.
#[derive(Default)]
struct Scratch {
    objects: String,
    ends: Vec<usize>,
    firmware: String,
    version: String,
}

/// One message of a transaction: its header and PDU (function code first).
#[derive(Clone, Copy)]
struct Side<'a> {
    tid: u16,
    unit: u8,
    pdu: &'a [u8],
}

impl Side<'_> {
    fn function(&self) -> FunctionCode {
        FunctionCode(self.pdu.first().map_or(0, |f| f & 0x7f))
    }
}

impl ModbusDissector {
    /// Start a flow, keeping at most `max_transactions` requests waiting for responses.
    pub fn new(max_transactions: usize) -> ModbusDissector {
        ModbusDissector {
            // The probe has vetted the stream's first bytes.
            synced: [true; 2],
            skipped: [0; 2],
            pending: Outstanding::new(max_transactions),
            scratch: Scratch::default(),
            values: ValueBuffers::default(),
        }
    }

    fn adu(&mut self, dir: Direction, h: Mbap, pdu: &[u8], sink: &mut dyn EventSink) {
        if h.length > MAX_LENGTH {
            let detail = format_args!(
                "length {} exceeds the {MAX_LENGTH} a Modbus ADU may hold",
                h.length
            );
            report(sink, PROTOCOL, "oversized_adu", Some(4), &detail);
        }
        let side = Side {
            tid: h.tid,
            unit: h.unit,
            pdu,
        };
        match dir {
            Direction::ToServer => self.request(side, sink),
            Direction::ToClient => self.response(side, sink),
        }
    }

    fn request(&mut self, side: Side<'_>, sink: &mut dyn EventSink) {
        if side.pdu.first().is_some_and(|f| f & 0x80 != 0) {
            // An exception response travelling to the server: the client answers, or the
            // side that opened the connection is the server.
            let detail = format_args!("function 0x{:02x} from the client", side.pdu[0]);
            report(
                sink,
                PROTOCOL,
                "exception_from_client",
                Some(MBAP_LEN),
                &detail,
            );
            emit(
                &mut self.scratch,
                &mut self.values,
                None,
                Some(side),
                Some(Direction::ToServer),
                sink,
            );
            return;
        }
        // A client may not reuse the id of an outstanding transaction (TCP guide §3.1.3): a
        // request with the id of a pending one means the pending one went unanswered.
        let key = (side.tid, side.unit);
        if let Some(old) = self.pending.take(|k| *k == key) {
            self.unanswered(old, sink);
        }
        if let Some(old) = self.pending.push(key, side.pdu) {
            if self.pending.limit() > 0 {
                let detail = format_args!(
                    "more than {} requests awaiting responses; forgot transaction {} of unit {}",
                    self.pending.limit(),
                    old.0.0,
                    old.0.1
                );
                report(sink, PROTOCOL, "too_many_transactions", None, &detail);
            }
            self.unanswered(old, sink);
        }
    }

    fn response(&mut self, side: Side<'_>, sink: &mut dyn EventSink) {
        let key = (side.tid, side.unit);
        let pending = self.pending.take(|k| *k == key);
        let request = pending.as_ref().map(|((tid, unit), pdu)| Side {
            tid: *tid,
            unit: *unit,
            pdu,
        });
        emit(
            &mut self.scratch,
            &mut self.values,
            request,
            Some(side),
            None,
            sink,
        );
        if let Some((_, pdu)) = pending {
            self.pending.recycle(pdu);
        }
    }

    fn unanswered(&mut self, ((tid, unit), pdu): ((u16, u8), Vec<u8>), sink: &mut dyn EventSink) {
        let side = Side {
            tid,
            unit,
            pdu: &pdu,
        };
        emit(
            &mut self.scratch,
            &mut self.values,
            Some(side),
            None,
            None,
            sink,
        );
        self.pending.recycle(pdu);
    }
}

impl Dissector for ModbusDissector {
    fn feed(&mut self, dir: Direction, data: &[u8], sink: &mut dyn EventSink) -> Feed {
        let i = dir.index();
        let mut at = 0;
        while let Some(rest) = data.get(at..).filter(|r| !r.is_empty()) {
            if !self.synced[i] {
                match parse::find_sync(rest) {
                    Sync::At(skip) => {
                        let skipped = self.skipped[i] + skip;
                        if skipped > 0 {
                            let detail = format_args!("skipped {skipped} bytes to the next ADU");
                            report(sink, PROTOCOL, "resynchronised", Some(at + skip), &detail);
                        }
                        self.skipped[i] = 0;
                        self.synced[i] = true;
                        at += skip;
                    }
                    Sync::Wait(skip) => {
                        self.skipped[i] += skip;
                        return Feed::Consumed(at + skip);
                    }
                    Sync::Nowhere => {
                        self.skipped[i] += rest.len();
                        return Feed::Consumed(data.len());
                    }
                }
                continue;
            }
            match parse::header(rest) {
                Ok(h) => {
                    let Some(adu) = rest.get(..h.adu_len()) else {
                        break;
                    };
                    self.adu(dir, h, &adu[MBAP_LEN..], sink);
                    at += adu.len();
                }
                Err(HeaderError::Truncated(_)) => break,
                Err(e) => {
                    report(sink, PROTOCOL, "bad_header", Some(at), &e);
                    self.synced[i] = false;
                    self.skipped[i] += 1;
                    at += 1;
                }
            }
        }
        Feed::Consumed(at)
    }

    fn gap(&mut self, dir: Direction, _len: u64, _sink: &mut dyn EventSink) {
        self.synced[dir.index()] = false;
        self.skipped[dir.index()] = 0;
    }

    fn close(&mut self, sink: &mut dyn EventSink) {
        while let Some(p) = self.pending.pop_front() {
            self.unanswered(p, sink);
        }
    }
}

/// Parse a request, reporting what is wrong with it.
fn parse_request<'a>(
    fc: FunctionCode,
    side: Side<'a>,
    sink: &mut dyn EventSink,
) -> Option<Request<'a>> {
    match parse::request(fc, side.pdu) {
        Ok((req, odd)) => {
            for o in odd.iter() {
                report(sink, PROTOCOL, o.code(), None, o);
            }
            Some(req)
        }
        Err(e) => {
            report(sink, PROTOCOL, e.code(), Some(MBAP_LEN + e.offset()), &e);
            None
        }
    }
}

/// Parse a response, reporting what is wrong with it.
fn parse_response<'a>(side: Side<'a>, sink: &mut dyn EventSink) -> Option<Response<'a>> {
    match parse::response(side.function(), side.pdu) {
        Ok((resp, odd)) => {
            for o in odd.iter() {
                report(sink, PROTOCOL, o.code(), None, o);
            }
            Some(resp)
        }
        Err(e) => {
            report(sink, PROTOCOL, e.code(), Some(MBAP_LEN + e.offset()), &e);
            None
        }
    }
}

/// Report a function code the spec does not define for public use.
fn flag_function(fc: FunctionCode, sink: &mut dyn EventSink) {
    let code = match fc.class() {
        Class::Public => return,
        Class::Reserved => "reserved_function_code",
        Class::UserDefined => "user_defined_function_code",
        Class::Unassigned => "unknown_function_code",
    };
    report(
        sink,
        PROTOCOL,
        code,
        Some(MBAP_LEN),
        &format_args!("function {fc}"),
    );
}

/// Decode big-endian registers into `out`, at most [`MAX_VALUES`]. Every read response comes
/// here: [`file_values`] over one piece would do the same, at 0.6% more of the whole run's
/// instructions (its flattening iterator).
fn registers<'v>(bytes: &[u8], out: &'v mut Registers) -> Value<'v> {
    let mut n = 0;
    for (slot, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        *slot = u16::from_be_bytes([pair[0], pair[1]]);
        n += 1;
    }
    Value::U16s(&out[..n])
}

/// Decode `count` packed coils or inputs (least significant bit first, §6.1) into `out`.
fn bits<'v>(bytes: &[u8], count: usize, out: &'v mut Values) -> Value<'v> {
    let count = count.min(bytes.len() * 8).min(MAX_VALUES);
    for (i, slot) in out.iter_mut().take(count).enumerate() {
        *slot = Value::Bool(bytes[i / 8] >> (i % 8) & 1 == 1);
    }
    Value::List(&out[..count])
}

/// Report a response that does not repeat what its request said.
fn echo_mismatch(what: &str, sink: &mut dyn EventSink) {
    let detail = format_args!("the response's {what} differs from the request's");
    report(sink, PROTOCOL, "echo_mismatch", None, &detail);
}

/// Collect the record data registers of file sub-requests or sub-responses.
fn file_values<'v, 'o>(
    chunks: impl Iterator<Item = &'v [u8]>,
    out: &'o mut Registers,
) -> Value<'o> {
    let mut n = 0;
    for pair in chunks.flat_map(|c| c.chunks_exact(2)) {
        let Some(slot) = out.get_mut(n) else {
            break;
        };
        *slot = u16::from_be_bytes([pair[0], pair[1]]);
        n += 1;
    }
    Value::U16s(&out[..n])
}

/// The lists describing file record sub-requests.
struct FileLists {
    files: [u64; MAX_FILE_RECORDS],
    records: [u64; MAX_FILE_RECORDS],
    lengths: [u64; MAX_FILE_RECORDS],
    count: usize,
}

impl FileLists {
    fn of(sub_requests: &[u8], write: bool, sink: &mut dyn EventSink) -> FileLists {
        let mut lists = FileLists {
            files: [0; MAX_FILE_RECORDS],
            records: [0; MAX_FILE_RECORDS],
            lengths: [0; MAX_FILE_RECORDS],
            count: 0,
        };
        for sub in FileRecords::new(sub_requests, write) {
            match sub {
                Ok(s) if lists.count < MAX_FILE_RECORDS => {
                    lists.files[lists.count] = s.file.into();
                    lists.records[lists.count] = s.record.into();
                    lists.lengths[lists.count] = s.length.into();
                    lists.count += 1;
                }
                Ok(_) => {}
                Err(e) => report(sink, PROTOCOL, "truncated_pdu", None, &e),
            }
        }
        lists
    }

    fn push<'a>(&'a self, f: &mut Fields48<'a>) {
        f.push("file_numbers", Value::U64s(&self.files[..self.count]));
        f.push("record_numbers", Value::U64s(&self.records[..self.count]));
        f.push("record_lengths", Value::U64s(&self.lengths[..self.count]));
    }
}

/// Build and emit the record of one transaction (request, response or both), then the
/// identity it reveals.
/// `direction` overrides the one the sides imply.
fn emit(
    scratch: &mut Scratch,
    values: &mut ValueBuffers,
    req: Option<Side<'_>>,
    resp: Option<Side<'_>>,
    direction: Option<Direction>,
    sink: &mut dyn EventSink,
) {
    let Some(first) = req.or(resp) else {
        return;
    };
    let fc = first.function();
    flag_function(fc, sink);
    let request = req.and_then(|s| parse_request(fc, s, sink));
    let response = resp.and_then(|s| parse_response(s, sink));
    let response_fc = resp.map(|s| s.function()).filter(|&rf| rf != fc);
    if let (Some(_), Some(rf)) = (req, response_fc) {
        let detail = format_args!("response function {rf} answers a request of function {fc}");
        report(sink, PROTOCOL, "function_mismatch", Some(MBAP_LEN), &detail);
    }

    // Everything the record borrows lives from here on.
    let function = fc.name().map_or_else(|| Label::display(&fc), Label::name);
    let ValueBuffers {
        request: req_values,
        response: resp_values,
        file: file_buf,
    } = values;
    let device = match response {
        Some(Response::DeviceId(d)) => Some(DeviceObjects::read(&d, scratch, sink)),
        _ => None,
    };
    let server = match response {
        Some(Response::ServerId(data)) => Some(parse::server_id(data)),
        _ => None,
    };
    let description = server.and_then(|s| printable(s.additional).or(printable(s.id)));
    let umas = Umas::read(request, response, scratch, sink);

    let mut f = Fields48::default();
    f.push("tid", Value::U64(first.tid.into()));
    f.push("unit_id", Value::U64(first.unit.into()));
    f.push("function_code", Value::U64(fc.0.into()));
    f.push("function", Value::Str(function.as_str()));
    if let Some(rf) = response_fc {
        f.push("response_function_code", Value::U64(rf.0.into()));
    }
    let sub = DiagnosticName::of(request, response);
    let mei = MeiNames::of(request, response);
    if let Some(r) = &request {
        push_request(fc, r, &sub, &mei, req_values, &mut f);
    }
    let file_lists = match (&request, &response) {
        (Some(Request::ReadFileRecord { sub_requests }), _) => {
            Some(FileLists::of(sub_requests, false, sink))
        }
        (Some(Request::WriteFileRecord { sub_requests }), _)
        | (None, Some(Response::WriteFileRecord { sub_requests })) => {
            Some(FileLists::of(sub_requests, true, sink))
        }
        _ => None,
    };
    if let Some(lists) = &file_lists {
        lists.push(&mut f);
        if let Some(Request::WriteFileRecord { sub_requests }) = request {
            let data = FileRecords::new(sub_requests, true)
                .flatten()
                .map(|s| s.data);
            f.push("values", file_values(data, file_buf));
        }
    }
    let exception = match response {
        Some(Response::Exception(code)) => code_text(exception_name(code), code.into(), 2),
        _ => Label::name(""),
    };
    if let Some(r) = &response {
        let ctx = ResponseContext {
            fc: response_fc.unwrap_or(fc),
            request: request.as_ref(),
            sub: &sub,
            mei: &mei,
            exception: &exception,
        };
        push_response(&ctx, r, resp_values, &mut f, sink);
    }
    if let Some(s) = &server {
        f.push("server_id", Value::Bytes(s.id));
        if let Some(running) = s.running {
            f.push("run_indicator", Value::Bool(running));
        }
        if !s.additional.is_empty() {
            f.push("additional_data", Value::Bytes(s.additional));
        }
        if let Some(d) = &description {
            f.push("device_description", Value::Str(d));
        }
    }
    if let Some(d) = &device {
        d.push(scratch, &mut f);
    }
    let umas_fields = umas.as_ref().map(|u| u.fields(scratch));
    if let Some(u) = &umas_fields {
        f.push("umas", Value::Fields(u.fields()));
    }
    let direction = direction.or(match (req, resp) {
        (Some(_), Some(_)) => None,
        (Some(_), None) => Some(Direction::ToServer),
        _ => Some(Direction::ToClient),
    });
    sink.emit(Event::Record(Record {
        protocol: PROTOCOL,
        kind: fc.kind(),
        direction,
        activity: activity(fc, request.as_ref(), response.as_ref()),
        fields: f.fields(),
    }));

    if let Some(d) = &device {
        d.identify(sink);
    }
    if let Some(d) = &description {
        identify(
            sink,
            PROTOCOL,
            Subject::Server,
            Attribute::Description,
            d,
            Confidence::STRONG,
        );
    }
    if let Some(u) = &umas {
        u.identify(scratch, sink);
    }
}

/// The name of a diagnostics sub-function, from the request or else the response.
struct DiagnosticName(Option<Label>);

impl DiagnosticName {
    fn of(req: Option<Request<'_>>, resp: Option<Response<'_>>) -> DiagnosticName {
        let sub = match (req, resp) {
            (Some(Request::Diagnostics { sub_function, .. }), _)
            | (None, Some(Response::Diagnostics { sub_function, .. })) => Some(sub_function),
            _ => None,
        };
        DiagnosticName(sub.map(|s| code_text(diagnostic_name(s), s, 4)))
    }

    fn as_str(&self) -> &str {
        self.0.as_ref().map_or("", Label::as_str)
    }
}

/// The names of an MEI type and a Read Device ID code.
struct MeiNames {
    mei: Option<Label>,
    code: Option<Label>,
}

impl MeiNames {
    fn of(req: Option<Request<'_>>, resp: Option<Response<'_>>) -> MeiNames {
        let (mei, code) = match (req, resp) {
            (Some(Request::DeviceId { code, .. }), _) => (Some(14), Some(code)),
            (Some(Request::Mei { mei, .. }), _) => (Some(mei), None),
            (None, Some(Response::DeviceId(d))) => (Some(14), Some(d.code)),
            (None, Some(Response::Mei { mei, .. })) => (Some(mei), None),
            _ => (None, None),
        };
        MeiNames {
            mei: mei.map(|m| code_text(mei_name(m), m.into(), 2)),
            code: code.map(|c| code_text(device_id_code_name(c), c.into(), 2)),
        }
    }

    fn push<'a>(&'a self, mei: u8, code: Option<u8>, f: &mut Fields48<'a>) {
        f.push("mei_type", Value::U64(mei.into()));
        if let Some(name) = &self.mei {
            f.push("mei", Value::Str(name.as_str()));
        }
        if let (Some(code), Some(name)) = (code, &self.code) {
            f.push("read_device_id_code", Value::U64(code.into()));
            f.push("read_device_id", Value::Str(name.as_str()));
        }
    }
}

fn push_request<'a>(
    fc: FunctionCode,
    r: &Request<'a>,
    sub: &'a DiagnosticName,
    mei: &'a MeiNames,
    values: &'a mut ValueLists,
    f: &mut Fields48<'a>,
) {
    match *r {
        Request::Read { address, quantity } => {
            f.push("address", Value::U64(address.into()));
            f.push("quantity", Value::U64(quantity.into()));
        }
        Request::WriteSingle { address, value } => {
            f.push("address", Value::U64(address.into()));
            let coil = fc == FunctionCode::WRITE_SINGLE_COIL;
            f.push(
                "value",
                match value {
                    0xff00 if coil => Value::Bool(true),
                    0 if coil => Value::Bool(false),
                    v => Value::U64(v.into()),
                },
            );
        }
        Request::WriteMultiple {
            address,
            quantity,
            values: data,
        } => {
            f.push("address", Value::U64(address.into()));
            f.push("quantity", Value::U64(quantity.into()));
            let list = if fc == FunctionCode::WRITE_MULTIPLE_COILS {
                bits(data, quantity.into(), &mut values.bits)
            } else {
                registers(data, &mut values.registers)
            };
            f.push("values", list);
        }
        Request::Diagnostics { sub_function, data } => {
            f.push("sub_function", Value::U64(sub_function.into()));
            f.push("sub_function_name", Value::Str(sub.as_str()));
            f.push("data", Value::Bytes(data));
        }
        Request::MaskWrite {
            address,
            and_mask,
            or_mask,
        } => {
            f.push("address", Value::U64(address.into()));
            f.push("and_mask", Value::U64(and_mask.into()));
            f.push("or_mask", Value::U64(or_mask.into()));
        }
        Request::ReadWrite {
            read_address,
            read_quantity,
            write_address,
            write_quantity,
            values: data,
        } => {
            f.push("read_address", Value::U64(read_address.into()));
            f.push("read_quantity", Value::U64(read_quantity.into()));
            f.push("write_address", Value::U64(write_address.into()));
            f.push("write_quantity", Value::U64(write_quantity.into()));
            f.push("write_values", registers(data, &mut values.registers));
        }
        Request::ReadFifo { address } => f.push("address", Value::U64(address.into())),
        Request::DeviceId { code, object_id } => {
            mei.push(14, Some(code), f);
            f.push("object_id", Value::U64(object_id.into()));
        }
        Request::Mei { mei: m, data } => {
            mei.push(m, None, f);
            f.push("data", Value::Bytes(data));
        }
        Request::Raw(data) => f.push("data", Value::Bytes(data)),
        Request::ReadFileRecord { .. }
        | Request::WriteFileRecord { .. }
        | Request::Umas(_)
        | Request::Empty => {}
    }
}

/// What a response's fields depend on besides the response.
struct ResponseContext<'r, 'a> {
    /// The response's function.
    fc: FunctionCode,
    request: Option<&'r Request<'a>>,
    sub: &'a DiagnosticName,
    mei: &'a MeiNames,
    exception: &'a Label,
}

fn push_response<'a>(
    ctx: &ResponseContext<'_, 'a>,
    r: &Response<'a>,
    values: &'a mut ValueLists,
    f: &mut Fields48<'a>,
    sink: &mut dyn EventSink,
) {
    match *r {
        Response::Exception(code) => {
            f.push("exception_code", Value::U64(code.into()));
            f.push("exception", Value::Str(ctx.exception.as_str()));
        }
        Response::Data(data) => {
            let asked = match ctx.request {
                Some(&Request::Read { quantity, .. })
                | Some(&Request::ReadWrite {
                    read_quantity: quantity,
                    ..
                }) => Some(usize::from(quantity)),
                _ => None,
            };
            let packed = ctx.fc.0 <= 2;
            if let Some(q) = asked {
                let expected = if packed { q.div_ceil(8) } else { q * 2 };
                if expected != data.len() {
                    let detail = format_args!(
                        "byte count {} disagrees with the {expected} bytes {q} items need",
                        data.len()
                    );
                    report(
                        sink,
                        PROTOCOL,
                        "bad_byte_count",
                        Some(MBAP_LEN + 1),
                        &detail,
                    );
                }
            }
            let list = if packed {
                bits(data, asked.unwrap_or(data.len() * 8), &mut values.bits)
            } else {
                registers(data, &mut values.registers)
            };
            f.push("values", list);
        }
        Response::Echo { address, value } => match ctx.request {
            Some(&Request::WriteSingle {
                address: a,
                value: v,
            })
            | Some(&Request::WriteMultiple {
                address: a,
                quantity: v,
                ..
            }) => {
                if (a, v) != (address, value) {
                    echo_mismatch("address or value", sink);
                }
            }
            _ => {
                f.push("address", Value::U64(address.into()));
                let name = if ctx.fc.0 >= 15 { "quantity" } else { "value" };
                f.push(name, Value::U64(value.into()));
            }
        },
        Response::MaskWrite {
            address,
            and_mask,
            or_mask,
        } => match ctx.request {
            Some(&Request::MaskWrite {
                address: a,
                and_mask: m,
                or_mask: o,
            }) => {
                if (a, m, o) != (address, and_mask, or_mask) {
                    echo_mismatch("address or masks", sink);
                }
            }
            _ => {
                f.push("address", Value::U64(address.into()));
                f.push("and_mask", Value::U64(and_mask.into()));
                f.push("or_mask", Value::U64(or_mask.into()));
            }
        },
        Response::ExceptionStatus(status) => f.push("status", Value::U64(status.into())),
        Response::Diagnostics { sub_function, data } => {
            match ctx.request {
                Some(&Request::Diagnostics {
                    sub_function: s, ..
                }) if s != sub_function => {
                    echo_mismatch("sub-function", sink);
                }
                Some(_) => {}
                None => {
                    f.push("sub_function", Value::U64(sub_function.into()));
                    f.push("sub_function_name", Value::Str(ctx.sub.as_str()));
                }
            }
            f.push("response_data", Value::Bytes(data));
        }
        Response::EventCounter { status, count } => {
            f.push("status", Value::U64(status.into()));
            f.push("event_count", Value::U64(count.into()));
        }
        Response::EventLog {
            status,
            event_count,
            message_count,
            events,
        } => {
            f.push("status", Value::U64(status.into()));
            f.push("event_count", Value::U64(event_count.into()));
            f.push("message_count", Value::U64(message_count.into()));
            f.push("events", Value::Bytes(events));
        }
        Response::ReadFileRecord { sub_responses } => {
            let data = parse::file_responses(sub_responses).flatten();
            f.push("values", file_values(data, &mut values.registers));
        }
        Response::WriteFileRecord { sub_requests } => {
            if let Some(Request::WriteFileRecord {
                sub_requests: asked,
            }) = ctx.request
                && *asked != sub_requests
            {
                echo_mismatch("file records", sink);
            }
        }
        Response::Fifo {
            count,
            values: data,
        } => {
            f.push("fifo_count", Value::U64(count.into()));
            f.push("values", registers(data, &mut values.registers));
        }
        Response::DeviceId(d) => {
            if ctx.request.is_none() {
                ctx.mei.push(14, Some(d.code), f);
            }
        }
        Response::Mei { mei, data } => {
            if ctx.request.is_none() {
                ctx.mei.push(mei, None, f);
            }
            f.push("response_data", Value::Bytes(data));
        }
        Response::Raw(data) => f.push("response_data", Value::Bytes(data)),
        Response::ServerId(_) | Response::Umas(_) => {}
    }
}

/// Say what the transaction does: by function, by diagnostics sub-function, MEI type, or
/// UMAS function.
fn activity(
    fc: FunctionCode,
    req: Option<&Request<'_>>,
    resp: Option<&Response<'_>>,
) -> Option<Activity> {
    match (req, resp) {
        (Some(Request::Diagnostics { sub_function, .. }), _)
        | (None, Some(Response::Diagnostics { sub_function, .. }))
            if *sub_function == RESTART_COMMUNICATIONS =>
        {
            Some(Activity::Restart)
        }
        (Some(Request::DeviceId { .. }), _) | (None, Some(Response::DeviceId(_))) => {
            Some(Activity::Identify)
        }
        (Some(Request::Umas(u)), _) => u.code.activity(),
        _ if fc == FunctionCode::ENCAPSULATED_INTERFACE || fc == FunctionCode::UMAS => None,
        _ => fc.activity(),
    }
}

/// A text worth reporting as a description: printable ASCII, three characters or more.
fn printable(bytes: &[u8]) -> Option<Cow<'_, str>> {
    let t = text(bytes);
    let ok = t.len() >= 3 && t.bytes().all(|b| (0x20..0x7f).contains(&b));
    ok.then_some(t)
}

/// The objects of a Read Device Identification response.
struct DeviceObjects<'a> {
    id: DeviceId<'a>,
    standard: [Option<Cow<'a, str>>; 7],
    extended: usize,
}

impl<'a> DeviceObjects<'a> {
    /// Decode the objects; those past the seven standard ones go to `scratch` as `id=value`.
    fn read(id: &DeviceId<'a>, scratch: &mut Scratch, sink: &mut dyn EventSink) -> Self {
        scratch.objects.clear();
        scratch.ends.clear();
        let mut standard: [Option<Cow<'a, str>>; 7] = Default::default();
        let mut seen = 0usize;
        for object in parse::device_objects(id.objects) {
            let o = match object {
                Ok(o) => o,
                Err(e) => {
                    report(sink, PROTOCOL, "truncated_pdu", None, &e);
                    break;
                }
            };
            seen += 1;
            match standard.get_mut(usize::from(o.id)) {
                Some(slot) => *slot = Some(text(o.value)),
                None if scratch.ends.len() < MAX_VALUES => {
                    let _ = write!(scratch.objects, "0x{:02x}={}", o.id, text(o.value));
                    scratch.ends.push(scratch.objects.len());
                }
                None => {}
            }
        }
        if seen != usize::from(id.count) {
            let detail = format_args!("{} objects claimed, {seen} present", id.count);
            report(sink, PROTOCOL, "bad_object_count", None, &detail);
        }
        DeviceObjects {
            id: *id,
            standard,
            extended: scratch.ends.len(),
        }
    }

    fn push<'f>(&'f self, scratch: &'f Scratch, f: &mut Fields48<'f>) {
        f.push("conformity_level", Value::U64(self.id.conformity.into()));
        f.push("more_follows", Value::Bool(self.id.more_follows));
        f.push("next_object_id", Value::U64(self.id.next_object_id.into()));
        f.push("object_count", Value::U64(self.id.count.into()));
        for ((name, _), value) in DEVICE_OBJECTS.iter().zip(&self.standard) {
            if let Some(v) = value {
                f.push(name, Value::Str(v));
            }
        }
        if self.extended > 0 {
            f.push(
                "extended_objects",
                Value::Texts {
                    text: &scratch.objects,
                    ends: &scratch.ends,
                },
            );
        }
    }

    /// Report the server's vendor, product code, firmware and model (spec §6.21).
    fn identify(&self, sink: &mut dyn EventSink) {
        let get = |i: usize| self.standard.get(i).and_then(Option::as_deref);
        let model = get(5).filter(|m| !m.is_empty()).or(get(4));
        for (attribute, value) in [
            (Attribute::Vendor, get(0)),
            (Attribute::ProductCode, get(1)),
            (Attribute::Firmware, get(2)),
            (Attribute::Model, model),
        ] {
            if let Some(v) = value {
                identify(
                    sink,
                    PROTOCOL,
                    Subject::Server,
                    attribute,
                    v,
                    Confidence::STATED,
                );
            }
        }
    }
}

/// The UMAS side of a function 90 transaction.
struct Umas<'a> {
    request: Option<UmasRequest<'a>>,
    response: Option<UmasResponse<'a>>,
    function: Label,
    status: Option<Label>,
    owner: Option<Cow<'a, str>>,
    model: Option<Cow<'a, str>>,
    project: Option<Cow<'a, str>>,
    assigned_key: Option<u8>,
}

impl<'a> Umas<'a> {
    fn read(
        req: Option<Request<'a>>,
        resp: Option<Response<'a>>,
        scratch: &mut Scratch,
        sink: &mut dyn EventSink,
    ) -> Option<Umas<'a>> {
        let request = match req {
            Some(Request::Umas(u)) => Some(u),
            _ => None,
        };
        let response = match resp {
            Some(Response::Umas(u)) => Some(u),
            _ => None,
        };
        if request.is_none() && response.is_none() {
            return None;
        }
        let code = request.map(|r| r.code);
        if let Some(c) = code.filter(|c| c.name().is_none()) {
            let detail = format_args!("UMAS function 0x{:02x}", c.0);
            report(
                sink,
                PROTOCOL,
                "unknown_umas_function",
                Some(MBAP_LEN + 2),
                &detail,
            );
        }
        let ok = response.filter(|r| r.status == umas::STATUS_OK);
        let mut u = Umas {
            request,
            response,
            function: match code {
                Some(c) => code_text(c.name(), c.0.into(), 2),
                None => Label::name("unknown"),
            },
            status: response.map(|r| code_text(umas::status_name(r.status), r.status.into(), 2)),
            owner: None,
            model: None,
            project: None,
            assigned_key: None,
        };
        scratch.firmware.clear();
        scratch.version.clear();
        let mut decode = |result: Result<(), rampart_dissect::Truncated>| {
            if let Err(e) = result {
                report(sink, PROTOCOL, "truncated_umas", None, &e);
            }
        };
        match (code, ok) {
            (Some(UmasCode::TAKE_RESERVATION), _) => {
                if let Some(r) = request {
                    decode(umas::reservation_owner(r.data).map(|o| u.owner = Some(text(o))));
                }
                u.assigned_key = ok.and_then(|r| r.data.first().copied());
            }
            (Some(UmasCode::READ_ID), Some(r)) => decode(umas::plc_id(r.data).map(|id| {
                u.model = Some(text(id.model));
                let [major, minor] = id.firmware.to_be_bytes();
                let _ = write!(scratch.firmware, "{major:x}.{minor:02x}");
            })),
            (Some(UmasCode::READ_PROJECT_INFO), Some(r)) => {
                decode(umas::project_info(r.data).map(|p| {
                    u.project = Some(text(p.name));
                    let _ = write!(scratch.version, "{}.{}.{}", p.major, p.minor, p.build);
                }));
            }
            _ => {}
        }
        Some(u)
    }

    fn fields<'f>(&'f self, scratch: &'f Scratch) -> FieldList<'f, 16> {
        let mut f = FieldList::default();
        let key = self
            .request
            .map(|r| r.session_key)
            .or(self.response.map(|r| r.session_key));
        if let Some(k) = key {
            f.push("session_key", Value::U64(k.into()));
        }
        if let Some(r) = &self.request {
            f.push("function_code", Value::U64(r.code.0.into()));
        }
        f.push("function", Value::Str(self.function.as_str()));
        if self.request.is_some_and(|r| r.signed) {
            f.push("signed", Value::Bool(true));
        }
        if let (Some(r), Some(name)) = (&self.response, &self.status) {
            f.push("status_code", Value::U64(r.status.into()));
            f.push("status", Value::Str(name.as_str()));
        }
        if let Some(o) = &self.owner {
            f.push("owner", Value::Str(o));
        }
        if let Some(k) = self.assigned_key {
            f.push("assigned_session_key", Value::U64(k.into()));
        }
        if let Some(m) = &self.model {
            f.push("plc_model", Value::Str(m));
        }
        if !scratch.firmware.is_empty() {
            f.push("firmware", Value::Str(&scratch.firmware));
        }
        if let Some(p) = &self.project {
            f.push("project_name", Value::Str(p));
        }
        if !scratch.version.is_empty() {
            f.push("project_version", Value::Str(&scratch.version));
        }
        f
    }

    /// Report the engineering station's name, and what a READ_ID answer says of the PLC:
    /// UMAS is Schneider Electric's, and only its controllers answer it.
    fn identify(&self, scratch: &Scratch, sink: &mut dyn EventSink) {
        if let Some(owner) = &self.owner {
            identify(
                sink,
                PROTOCOL,
                Subject::Client,
                Attribute::Hostname,
                owner,
                Confidence::STRONG,
            );
        }
        let Some(model) = &self.model else {
            return;
        };
        let server = Subject::Server;
        identify(
            sink,
            PROTOCOL,
            server,
            Attribute::Vendor,
            "Schneider Electric",
            Confidence::STRONG,
        );
        identify(
            sink,
            PROTOCOL,
            server,
            Attribute::DeviceType,
            "plc",
            Confidence::STRONG,
        );
        identify(
            sink,
            PROTOCOL,
            server,
            Attribute::Model,
            model,
            Confidence::STATED,
        );
        identify(
            sink,
            PROTOCOL,
            server,
            Attribute::Firmware,
            &scratch.firmware,
            Confidence::STRONG,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_dissect::{Session, Transport};
    use rampart_event::CollectingSink;

    /// Wrap a PDU into an ADU with transaction id `tid` and unit 1 (TCP guide §3.1.3).
    fn adu(tid: u16, pdu: &[u8]) -> Vec<u8> {
        let mut a = tid.to_be_bytes().to_vec();
        a.extend_from_slice(&[0x00, 0x00]); // protocol id 0
        let len = u16::try_from(pdu.len() + 1).expect("short PDU");
        a.extend_from_slice(&len.to_be_bytes()); // length: unit id and PDU
        a.push(0x01); // unit id 1
        a.extend_from_slice(pdu);
        a
    }

    /// Read Holding Registers, address 107, 3 registers (spec §6.3 example).
    const READ_HOLDING: &[u8] = &[0x03, 0x00, 0x6b, 0x00, 0x03];
    /// Its response: 6 bytes, registers 0x022b, 0x0000, 0x0064.
    const READ_HOLDING_RESPONSE: &[u8] = &[0x03, 0x06, 0x02, 0x2b, 0x00, 0x00, 0x00, 0x64];

    fn session() -> Session {
        Session::new(&super::super::REGISTRATION, Transport::Tcp)
    }

    #[test]
    fn pairs_response_with_request_by_transaction_id() {
        let mut sink = CollectingSink::default();
        let mut s = session();
        // Two pipelined requests in one segment, answered in the other order.
        let mut requests = adu(1, READ_HOLDING);
        requests.extend(adu(2, &[0x06, 0x00, 0x01, 0x00, 0x03])); // write register 1 := 3
        s.deliver(Direction::ToServer, &requests, &mut sink);
        s.deliver(
            Direction::ToClient,
            &adu(2, &[0x06, 0x00, 0x01, 0x00, 0x03]),
            &mut sink,
        );
        s.deliver(
            Direction::ToClient,
            &adu(1, READ_HOLDING_RESPONSE),
            &mut sink,
        );
        assert_eq!(
            sink.matching("record"),
            vec![
                r#"record modbus write_single_register transaction [write] {"tid":2,"unit_id":1,"function_code":6,"function":"write_single_register","address":1,"value":3}"#,
                r#"record modbus read_holding_registers transaction [read] {"tid":1,"unit_id":1,"function_code":3,"function":"read_holding_registers","address":107,"quantity":3,"values":[555,0,100]}"#,
            ]
        );
        assert!(sink.matching("anomaly").is_empty());
    }

    #[test]
    fn reads_an_adu_split_across_segments() {
        let mut sink = CollectingSink::default();
        let mut s = session();
        let request = adu(7, READ_HOLDING);
        s.deliver(Direction::ToServer, &request[..3], &mut sink);
        s.deliver(Direction::ToServer, &request[3..9], &mut sink);
        s.deliver(Direction::ToServer, &request[9..], &mut sink);
        s.close(&mut sink);
        assert_eq!(
            sink.matching("record"),
            vec![
                r#"record modbus read_holding_registers request [read] {"tid":7,"unit_id":1,"function_code":3,"function":"read_holding_registers","address":107,"quantity":3}"#
            ]
        );
    }

    #[test]
    fn resynchronises_after_garbage() {
        let mut sink = CollectingSink::default();
        let mut s = session();
        let mut data = adu(1, READ_HOLDING);
        data.extend_from_slice(&[0x47, 0x45, 0x54, 0x20, 0x2f, 0x20, 0x48, 0x54]); // "GET / HT"
        data.extend(adu(2, READ_HOLDING));
        data.extend(adu(3, READ_HOLDING));
        s.deliver(Direction::ToServer, &data, &mut sink);
        s.close(&mut sink);
        assert_eq!(sink.anomalies("bad_header"), 1);
        assert_eq!(sink.anomalies("resynchronised"), 1);
        assert!(sink.lines.iter().any(|l| l.contains("skipped 8 bytes")));
        assert_eq!(
            sink.matching("record modbus read_holding_registers").len(),
            3
        );
    }

    #[test]
    fn resynchronises_after_a_gap() {
        let mut sink = CollectingSink::default();
        let mut s = session();
        let request = adu(1, READ_HOLDING);
        s.deliver(Direction::ToServer, &request, &mut sink);
        s.gap(Direction::ToServer, 5, &mut sink);
        let mut data = request[5..].to_vec(); // the tail of a lost ADU
        data.extend(adu(2, READ_HOLDING));
        s.deliver(Direction::ToServer, &data, &mut sink);
        s.close(&mut sink);
        assert_eq!(sink.anomalies("resynchronised"), 1);
        assert_eq!(sink.matching("record").len(), 2);
    }

    #[test]
    fn keeps_unknown_function_code() {
        let mut sink = CollectingSink::default();
        let mut s = session();
        s.deliver(Direction::ToServer, &adu(9, &[0x2f, 0xaa]), &mut sink);
        s.deliver(Direction::ToClient, &adu(9, &[0xaf, 0x01]), &mut sink);
        assert_eq!(
            sink.matching("record"),
            vec![
                r#"record modbus unknown_function transaction {"tid":9,"unit_id":1,"function_code":47,"function":"0x2f (unknown)","data":"aa","exception_code":1,"exception":"illegal_function"}"#
            ]
        );
        assert_eq!(sink.anomalies("unknown_function_code"), 1);
    }

    #[test]
    fn identifies_the_server_from_its_device_identification() {
        let mut sink = CollectingSink::default();
        let mut s = session();
        // Read Device Identification, basic stream from object 0 (spec §6.21).
        s.deliver(
            Direction::ToServer,
            &adu(3, &[0x2b, 0x0e, 0x01, 0x00]),
            &mut sink,
        );
        let mut response = vec![
            0x2b, 0x0e, // function 43, MEI type 14
            0x01, // read device id code: basic
            0x01, // conformity level basic
            0x00, // no more follows
            0x00, // next object id
            0x04, // number of objects
        ];
        for (id, value) in [
            (0u8, &b"Schneider Electric"[..]),
            (1, b"BMX P34 2020"),
            (2, b"v3.10"),
            (0x80, b"rack 1"),
        ] {
            response.push(id);
            response.push(u8::try_from(value.len()).expect("short"));
            response.extend_from_slice(value);
        }
        s.deliver(Direction::ToClient, &adu(3, &response), &mut sink);
        let record =
            sink.matching("record modbus encapsulated_interface_transport transaction [identify]");
        assert_eq!(record.len(), 1);
        assert!(record[0].contains(
            r#""vendor_name":"Schneider Electric","product_code":"BMX P34 2020","revision":"v3.10","extended_objects":["0x80=rack 1"]"#
        ));
        assert_eq!(
            sink.matching("identity"),
            vec![
                "identity modbus Server vendor Schneider Electric",
                "identity modbus Server product_code BMX P34 2020",
                "identity modbus Server firmware v3.10",
            ]
        );
    }

    #[test]
    fn reports_a_request_whose_id_is_reused_as_unanswered() {
        let mut sink = CollectingSink::default();
        let mut s = session();
        // Write Single Coil 0xac := on, to a broadcast that no server answers (§6.5).
        let write = adu(0, &[0x05, 0x00, 0xac, 0xff, 0x00]);
        s.deliver(Direction::ToServer, &write, &mut sink);
        s.deliver(Direction::ToServer, &write, &mut sink);
        assert_eq!(
            sink.matching("record"),
            vec![
                r#"record modbus write_single_coil request [write] {"tid":0,"unit_id":1,"function_code":5,"function":"write_single_coil","address":172,"value":true}"#
            ]
        );
        s.close(&mut sink);
        assert_eq!(sink.matching("record").len(), 2);
    }

    #[test]
    fn forgets_the_oldest_request_beyond_the_transaction_limit() {
        let mut sink = CollectingSink::default();
        let mut d = ModbusDissector::new(2);
        for tid in 0..3 {
            d.feed(Direction::ToServer, &adu(tid, READ_HOLDING), &mut sink);
        }
        assert_eq!(sink.anomalies("too_many_transactions"), 1);
        assert_eq!(
            sink.matching("record modbus read_holding_registers request")
                .len(),
            1
        );
        assert_eq!(d.pending.len(), 2);
    }

    #[test]
    fn flags_malformed_pdus_and_keeps_their_record() {
        let mut sink = CollectingSink::default();
        let mut s = session();
        // Mask Write Register without its OR mask, as in the fc-sweep capture (frame 62).
        s.deliver(
            Direction::ToServer,
            &adu(1, &[0x16, 0x00, 0x00, 0x00, 0x00]),
            &mut sink,
        );
        // Write Multiple Coils: 10 coils need 2 bytes, the count says 1.
        s.deliver(
            Direction::ToServer,
            &adu(2, &[0x0f, 0x00, 0x13, 0x00, 0x0a, 0x01, 0xcd]),
            &mut sink,
        );
        s.close(&mut sink);
        assert_eq!(sink.anomalies("truncated_pdu"), 1);
        assert_eq!(sink.anomalies("bad_byte_count"), 1);
        assert!(
            sink.matching("record modbus mask_write_register request [write]")
                .len()
                == 1
        );
        assert!(sink.lines.iter().any(|l| l.contains(
            r#""address":19,"quantity":10,"values":[true,false,true,true,false,false,true,true]"#
        )));
    }

    #[test]
    fn names_diagnostics_and_restarts() {
        let mut sink = CollectingSink::default();
        let mut s = session();
        // Diagnostics 1, restart communications option, keep the event log (§6.8.1).
        let restart = adu(4, &[0x08, 0x00, 0x01, 0x00, 0x00]);
        s.deliver(Direction::ToServer, &restart, &mut sink);
        s.deliver(Direction::ToClient, &restart, &mut sink);
        assert_eq!(
            sink.matching("record"),
            vec![
                r#"record modbus diagnostics transaction [restart] {"tid":4,"unit_id":1,"function_code":8,"function":"diagnostics","sub_function":1,"sub_function_name":"restart_communications_option","data":"0000","response_data":"0000"}"#
            ]
        );
    }

    #[test]
    fn reports_umas_engineering_and_the_station_name() {
        let mut sink = CollectingSink::default();
        let mut s = session();
        // TAKE_PLC_RESERVATION by "EWS-01", answered with session key 0x2a.
        let mut take = vec![0x5a, 0x00, 0x10, 0x16, 0x2a, 0x00, 0x00, 0x06];
        take.extend_from_slice(b"EWS-01");
        s.deliver(Direction::ToServer, &adu(1, &take), &mut sink);
        s.deliver(
            Direction::ToClient,
            &adu(1, &[0x5a, 0x00, 0xfe, 0x2a]),
            &mut sink,
        );
        // STOP_PLC with that key, refused.
        s.deliver(
            Direction::ToServer,
            &adu(2, &[0x5a, 0x2a, 0x41, 0xff, 0x00]),
            &mut sink,
        );
        s.deliver(
            Direction::ToClient,
            &adu(2, &[0x5a, 0x2a, 0xfd, 0x01]),
            &mut sink,
        );
        assert_eq!(
            sink.matching("record"),
            vec![
                r#"record modbus umas transaction [session] {"tid":1,"unit_id":1,"function_code":90,"function":"umas","umas":{"session_key":0,"function_code":16,"function":"take_plc_reservation","status_code":254,"status":"ok","owner":"EWS-01","assigned_session_key":42}}"#,
                r#"record modbus umas transaction [plc_stop] {"tid":2,"unit_id":1,"function_code":90,"function":"umas","umas":{"session_key":42,"function_code":65,"function":"stop_plc","status_code":253,"status":"error"}}"#,
            ]
        );
        assert_eq!(
            sink.matching("identity"),
            vec!["identity modbus Client hostname EWS-01"]
        );
    }
}
