//! MMS transport units to events: confirmed services paired by invoke id, association,
//! conclude and release paired by order, the rest as records alone; Identify responses as
//! identity.

use rampart_dissect::{
    Attribute, Confidence, Direction, Dissector, Event, EventSink, Feed, FieldList, Fields,
    Finding, FindingKind, Subject, Value, identify, report, text,
};
use rampart_event::Activity;

use super::PROTOCOL;
use super::message::{
    Apdu, Initiate, MmsPdu, PduType, Service, Spdu, acse_result_name, data_access_error_name,
    error_class_name, object_class_name, reject_type_name, supported_service_name,
    unconfirmed_name,
};
use super::parse::{self, Acse, Unit, Variables};
use crate::ber::{Tlv, write_oid};
use crate::cotp::CotpStream;
use crate::outstanding::{Displaced, Outstanding, Request};
use crate::text_list::TextList;
use crate::value::{emit_record, text_or_hex};

/// Names (variables, identifiers, files) rendered per message.
const MAX_NAMES: usize = 64;

/// The fields of one MMS record.
type MmsFields<'a> = FieldList<'a, 72>;

/// How a request is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    /// A confirmed service, by invoke id.
    Invoke(u64),
    /// A cancel of an invoke id.
    Cancel(u64),
    /// The association (CONNECT, AARQ, initiate).
    Initiate,
    /// Conclude.
    Conclude,
    /// Release (FINISH, RLRQ).
    Release,
}

/// What a request or response says beyond its header, read before the record is built.
#[derive(Debug, Clone, Copy, Default)]
struct Details<'a> {
    /// The name of the names list field, when the service has one.
    names: Option<&'static str>,
    /// How many names the message holds (the list stops at [`MAX_NAMES`]).
    name_count: u64,
    /// The field `side.list_name` fills: `variable_name` or `variable_list_name`.
    object: Option<&'static str>,
    results: Option<(u64, u64, Option<i64>)>,
    data_count: Option<u64>,
    object_class: Option<i64>,
    scope: Option<&'static str>,
    domain: Option<&'a [u8]>,
    continue_after: Option<&'a [u8]>,
    more_follows: Option<bool>,
    vendor: Option<&'a [u8]>,
    model: Option<&'a [u8]>,
    revision: Option<&'a [u8]>,
    frsm_id: Option<i64>,
    file_size: Option<u64>,
    file_data: Option<u64>,
    logical_status: Option<i64>,
    physical_status: Option<i64>,
    report_id: Option<&'a [u8]>,
}

/// Buffers reused from message to message, one set per side of a transaction.
#[derive(Default)]
struct Side {
    names: TextList,
    list_name: String,
    services: Vec<&'static str>,
    oids: [String; 4],
}

impl Side {
    fn clear(&mut self) {
        self.names.clear();
        self.list_name.clear();
        self.services.clear();
        self.oids.iter_mut().for_each(String::clear);
    }
}

/// Per-flow MMS state.
pub struct MmsDissector {
    cotp: CotpStream,
    state: State,
}

struct State {
    outstanding: Outstanding<Key>,
    sides: [Side; 2],
}

impl MmsDissector {
    /// Start a flow keeping at most `max_transactions` unanswered requests.
    pub fn new(max_transactions: usize) -> MmsDissector {
        MmsDissector {
            cotp: CotpStream::new(PROTOCOL, false),
            state: State {
                outstanding: Outstanding::new(max_transactions),
                sides: Default::default(),
            },
        }
    }
}

impl Dissector for MmsDissector {
    fn feed(&mut self, dir: Direction, data: &[u8], sink: &mut dyn EventSink) -> Feed {
        let state = &mut self.state;
        self.cotp.feed(dir, data, sink, |dir, tsdu, _, sink| {
            state.unit(dir, tsdu, sink)
        })
    }

    fn gap(&mut self, dir: Direction, _len: u64, _sink: &mut dyn EventSink) {
        self.cotp.gap(dir);
    }

    fn close(&mut self, sink: &mut dyn EventSink) {
        self.cotp.close(sink);
        while let Some(p) = self.state.outstanding.oldest() {
            self.state.alone(p, sink);
        }
    }
}

/// Whether a unit asks, answers, or stands alone, and under which key.
fn role(u: &Unit<'_>) -> Option<(bool, Key)> {
    if let Some(m) = &u.mms {
        return match *m {
            MmsPdu::ConfirmedRequest { invoke_id, .. } => Some((true, Key::Invoke(invoke_id))),
            MmsPdu::ConfirmedResponse { invoke_id, .. }
            | MmsPdu::ConfirmedError { invoke_id, .. } => Some((false, Key::Invoke(invoke_id))),
            MmsPdu::Cancel { pdu, invoke_id } => {
                Some((pdu == PduType(5), Key::Cancel(invoke_id.unwrap_or(0))))
            }
            MmsPdu::Initiate { pdu, .. } => Some((pdu == PduType::INITIATE_REQUEST, Key::Initiate)),
            MmsPdu::Control { pdu, .. } => match pdu {
                PduType::INITIATE_ERROR => Some((false, Key::Initiate)),
                PduType::CONCLUDE_REQUEST => Some((true, Key::Conclude)),
                _ => Some((false, Key::Conclude)),
            },
            MmsPdu::Unconfirmed { .. } | MmsPdu::Reject { .. } => None,
        };
    }
    match (u.acse.and_then(|a| a.apdu), u.spdu) {
        (Some(Apdu::AARQ), _) | (None, Spdu::CONNECT) => Some((true, Key::Initiate)),
        (Some(Apdu::AARE), _) | (None, Spdu::ACCEPT | Spdu::REFUSE) => Some((false, Key::Initiate)),
        (Some(Apdu::RLRQ), _) | (None, Spdu::FINISH) => Some((true, Key::Release)),
        (Some(Apdu::RLRE), _) | (None, Spdu::DISCONNECT) => Some((false, Key::Release)),
        _ => None,
    }
}

impl State {
    fn unit(&mut self, dir: Direction, tsdu: &[u8], sink: &mut dyn EventSink) {
        let lax = parse::unit(tsdu);
        if let Some(e) = lax.stop {
            report(sink, PROTOCOL, e.code(), Some(e.offset()), &e);
        }
        let u = lax.unit;
        let Some((request, key)) = role(&u) else {
            return self.record(None, Some((dir, &u)), Some(dir), sink);
        };
        if request {
            return self.keep(dir, key, tsdu, sink);
        }
        match self.outstanding.answer(dir, key) {
            Some(p) => {
                let req = parse::unit(&p.bytes).unit;
                self.record(Some(&req), Some((dir, &u)), None, sink);
                self.outstanding.recycle(p.bytes);
            }
            None => self.record(None, Some((dir, &u)), Some(dir), sink),
        }
    }

    fn keep(&mut self, dir: Direction, key: Key, tsdu: &[u8], sink: &mut dyn EventSink) {
        for (why, old) in self.outstanding.keep(dir, key, tsdu).into_iter().flatten() {
            match (why, key) {
                (Displaced::Reused, Key::Invoke(id)) => {
                    let detail = format_args!("invoke id {id} reused before its response");
                    report(sink, PROTOCOL, "duplicate_invoke_id", None, &detail);
                }
                (Displaced::Evicted, _) if self.outstanding.limit() > 0 => {
                    let detail = format_args!(
                        "more than {} unanswered requests; forgot {:?}",
                        self.outstanding.limit(),
                        old.key
                    );
                    report(sink, PROTOCOL, "too_many_transactions", None, &detail);
                }
                _ => {}
            }
            self.alone(old, sink);
        }
    }

    /// Report a request that got no response.
    fn alone(&mut self, p: Request<Key>, sink: &mut dyn EventSink) {
        let u = parse::unit(&p.bytes).unit;
        self.record(Some(&u), None, Some(p.dir), sink);
        self.outstanding.recycle(p.bytes);
    }

    /// Report a request and its response, or either alone (then with `direction`).
    fn record(
        &mut self,
        req: Option<&Unit<'_>>,
        resp: Option<(Direction, &Unit<'_>)>,
        direction: Option<Direction>,
        sink: &mut dyn EventSink,
    ) {
        let Some(primary) = req.or(resp.map(|(_, u)| u)) else {
            return;
        };
        let [qs, rs] = &mut self.sides;
        qs.clear();
        rs.clear();
        let qd = req.map(|u| prepare(u, qs)).unwrap_or_default();
        let rd = resp.map(|(_, u)| prepare(u, rs)).unwrap_or_default();
        let (kind, service) = kind(primary);
        let activity = activity(primary);
        {
            let mut f = MmsFields::default();
            header_fields(&mut f, primary, service);
            if let Some(q) = req {
                unit_fields(&mut f, q, "", qs);
                detail_fields(&mut f, &qd, qs);
            }
            if let Some((_, r)) = resp {
                if req.is_some() {
                    response_header(&mut f, r);
                }
                unit_fields(
                    &mut f,
                    r,
                    if req.is_some() { "negotiated_" } else { "" },
                    rs,
                );
                detail_fields(&mut f, &rd, rs);
            }
            emit_record(sink, PROTOCOL, kind, direction, activity, &f);
        }
        if let Some((dir, _)) = resp {
            identity(dir.sender(), &rd, sink);
        }
        if let Some(a) = req.and_then(|u| u.acse) {
            credential(&a, resp.and_then(|(_, u)| u.acse), sink);
        }
    }
}

/// The record kind and the service tag it names.
fn kind(primary: &Unit<'_>) -> (&'static str, Option<u32>) {
    let Some(m) = &primary.mms else {
        return (
            match (primary.acse.and_then(|a| a.apdu), primary.spdu) {
                (Some(Apdu::AARQ | Apdu::AARE), _) | (None, Spdu::CONNECT | Spdu::ACCEPT) => {
                    "initiate"
                }
                (None, Spdu::REFUSE) => "refuse",
                (Some(Apdu::RLRQ | Apdu::RLRE), _) | (None, Spdu::FINISH | Spdu::DISCONNECT) => {
                    "release"
                }
                (Some(Apdu::ABRT), _) | (None, Spdu::ABORT) => "abort",
                _ => "data",
            },
            None,
        );
    };
    match *m {
        MmsPdu::ConfirmedRequest { service, .. } | MmsPdu::ConfirmedResponse { service, .. } => (
            Service(service.number).name().unwrap_or("unknown_service"),
            Some(service.number),
        ),
        MmsPdu::ConfirmedError { .. } => ("confirmed_error", None),
        MmsPdu::Unconfirmed { service } => (
            unconfirmed_name(service.number).unwrap_or("unknown_unconfirmed"),
            Some(service.number),
        ),
        MmsPdu::Reject { .. } => ("reject", None),
        MmsPdu::Cancel { .. } => ("cancel", None),
        MmsPdu::Initiate { .. } => ("initiate", None),
        MmsPdu::Control { pdu, .. } => (
            if pdu == PduType::INITIATE_ERROR {
                "initiate"
            } else {
                "conclude"
            },
            None,
        ),
    }
}

/// What a unit does to the device.
fn activity(u: &Unit<'_>) -> Option<Activity> {
    let service = match u.mms {
        Some(
            MmsPdu::ConfirmedRequest { service, .. } | MmsPdu::ConfirmedResponse { service, .. },
        ) => service.number,
        Some(MmsPdu::Unconfirmed { service }) => {
            return (service.number == 0).then_some(Activity::Monitor);
        }
        Some(MmsPdu::Initiate { .. } | MmsPdu::Control { .. }) => return Some(Activity::Session),
        Some(_) => return None,
        None => {
            let association = matches!(
                u.acse.and_then(|a| a.apdu),
                Some(Apdu::AARQ | Apdu::AARE | Apdu::RLRQ | Apdu::RLRE)
            ) || matches!(
                u.spdu,
                Spdu::CONNECT | Spdu::ACCEPT | Spdu::FINISH | Spdu::DISCONNECT
            );
            return association.then_some(Activity::Session);
        }
    };
    Some(match service {
        0 => Activity::Diagnostics,
        2 => Activity::Identify,
        4 | 65 => Activity::Read,
        5 | 18 | 66 | 67 => Activity::Write,
        7 | 8 | 10 | 11 | 13 | 14 | 16 | 21 | 22 | 47 | 48 | 53 | 54 | 57..=59 | 69 | 70 => {
            Activity::ConfigChange
        }
        17 | 19 | 20 | 52 | 62 => Activity::Command,
        26..=28 | 32 | 34 => Activity::ProgramDownload,
        29..=31 | 33 | 35 => Activity::ProgramUpload,
        36 | 39 => Activity::ProgramDelete,
        38 => Activity::ConfigChange,
        40 | 42 => Activity::PlcStart,
        41 | 44 => Activity::PlcStop,
        43 => Activity::Restart,
        46 | 72..=77 => Activity::FileTransfer,
        _ => return None,
    })
}

/// The service element of a unit, when it has one, with its PDU type.
fn service_of<'a>(u: &Unit<'a>) -> Option<(PduType, Tlv<'a>)> {
    match u.mms? {
        MmsPdu::ConfirmedRequest { service, .. } => Some((PduType::CONFIRMED_REQUEST, service)),
        MmsPdu::ConfirmedResponse { service, .. } => Some((PduType::CONFIRMED_RESPONSE, service)),
        MmsPdu::Unconfirmed { service } => Some((PduType::UNCONFIRMED, service)),
        _ => None,
    }
}

/// Read the service-specific fields of a unit, filling `side`'s buffers.
fn prepare<'a>(u: &Unit<'a>, side: &mut Side) -> Details<'a> {
    let mut d = Details::default();
    for (i, oid) in [
        u.acse.and_then(|a| a.context),
        u.acse.and_then(|a| a.called_ap_title),
        u.acse.and_then(|a| a.calling_ap_title),
        u.acse.and_then(|a| a.mechanism),
    ]
    .into_iter()
    .enumerate()
    {
        if let (Some(oid), Some(out)) = (oid, side.oids.get_mut(i)) {
            write_oid(oid, out);
        }
    }
    if let Some(MmsPdu::Initiate { parameters, .. }) = u.mms
        && let Some(bits) = parameters.services
    {
        supported(bits, &mut side.services);
    }
    let Some((pdu, service)) = service_of(u) else {
        return d;
    };
    let mut parts = service.children();
    match (pdu, service.number) {
        (PduType::CONFIRMED_REQUEST, 4) => {
            if let Some(spec) = parts
                .find_context(1)
                .and_then(|w| w.children().next("spec").ok())
            {
                access(spec, &mut d, side);
            }
        }
        (PduType::CONFIRMED_REQUEST, 5) => {
            if let Ok(spec) = parts.next("variableAccessSpecification") {
                access(spec, &mut d, side);
            }
            d.data_count = parts.find_context(0).map(|l| count(&l));
        }
        (PduType::UNCONFIRMED, 0) => {
            if let Ok(spec) = parts.next("variableAccessSpecification") {
                access(spec, &mut d, side);
            }
            if let Some(list) = parts.find_context(0) {
                d.results = Some(parse::access_results(list));
                // An IEC 61850 report (variable list "RPT") starts with its RptID.
                if side.list_name == "RPT" {
                    d.report_id = list
                        .children()
                        .next("RptID")
                        .ok()
                        .filter(|t| t.is_context(10))
                        .map(|t| t.contents);
                }
            }
        }
        (PduType::CONFIRMED_RESPONSE, 4) => {
            d.results = parts.find_context(1).map(parse::access_results);
        }
        (PduType::CONFIRMED_RESPONSE, 5) => d.results = Some(parse::access_results(service)),
        (PduType::CONFIRMED_REQUEST, 1) => {
            while let Ok(p) = parts.next("getNameList field") {
                match p.number {
                    0 => {
                        d.object_class = p
                            .children()
                            .next("objectClass")
                            .ok()
                            .and_then(|c| c.signed());
                    }
                    1 => {
                        let scope = p.children().next("objectScope").ok();
                        d.scope = scope.map(|s| match s.number {
                            0 => "vmd",
                            1 => "domain",
                            2 => "aa",
                            _ => "unknown",
                        });
                        d.domain = scope.filter(|s| s.number == 1).map(|s| s.contents);
                    }
                    2 => d.continue_after = Some(p.contents),
                    _ => {}
                }
            }
        }
        (PduType::CONFIRMED_RESPONSE, 1) => {
            while let Ok(p) = parts.next("getNameList result") {
                match p.number {
                    0 => {
                        d.names = Some("identifiers");
                        let mut ids = p.children();
                        while let Ok(id) = ids.next("identifier") {
                            push_name(&mut d, side, |out| out.push_str(&text(id.contents)));
                        }
                    }
                    1 => d.more_follows = p.boolean(),
                    _ => {}
                }
            }
        }
        (PduType::CONFIRMED_RESPONSE, 2) => {
            while let Ok(p) = parts.next("identify result") {
                match p.number {
                    0 => d.vendor = Some(p.contents),
                    1 => d.model = Some(p.contents),
                    2 => d.revision = Some(p.contents),
                    _ => {}
                }
            }
        }
        (PduType::CONFIRMED_RESPONSE, 0) => {
            while let Ok(p) = parts.next("status result") {
                match p.number {
                    0 => d.logical_status = p.signed(),
                    1 => d.physical_status = p.signed(),
                    _ => {}
                }
            }
        }
        (PduType::CONFIRMED_REQUEST, 6 | 12 | 11) => {
            let name = if service.number == 6 {
                parts
                    .find_context(0)
                    .and_then(|n| n.children().next("name").ok())
            } else {
                parts.next("name").ok()
            };
            if let Some(name) = name.and_then(parse::object_name) {
                name.write(&mut side.list_name);
                d.object = Some(if service.number == 6 {
                    "variable_name"
                } else {
                    "variable_list_name"
                });
            }
        }
        (PduType::CONFIRMED_REQUEST, 72 | 77 | 46 | 75) => {
            let wanted = if service.number == 46 { 1 } else { 0 };
            if let Some(name) = parts.find_context(wanted) {
                file(name, &mut d, side);
            }
        }
        (PduType::CONFIRMED_REQUEST, 76) => file(service, &mut d, side),
        (PduType::CONFIRMED_REQUEST, 73 | 74) => d.frsm_id = service.signed(),
        (PduType::CONFIRMED_RESPONSE, 72) => {
            while let Ok(p) = parts.next("fileOpen result") {
                match p.number {
                    0 => d.frsm_id = p.signed(),
                    1 => d.file_size = p.children().find_context(0).and_then(|s| s.unsigned()),
                    _ => {}
                }
            }
        }
        (PduType::CONFIRMED_RESPONSE, 73) => {
            while let Ok(p) = parts.next("fileRead result") {
                match p.number {
                    0 => d.file_data = Some(p.contents.len() as u64),
                    1 => d.more_follows = p.boolean(),
                    _ => {}
                }
            }
        }
        (PduType::CONFIRMED_RESPONSE, 77) => {
            while let Ok(p) = parts.next("fileDirectory result") {
                match p.number {
                    0 => {
                        let mut entries = p.children();
                        while let Ok(entry) = entries.next("directory entry") {
                            if let Some(name) = entry.children().find_context(0) {
                                d.names = Some("directory_entries");
                                push_name(&mut d, side, |out| join_file(name, out));
                            }
                        }
                    }
                    1 => d.more_follows = p.boolean(),
                    _ => {}
                }
            }
        }
        _ => {}
    }
    d
}

/// Count the elements inside `t`.
fn count(t: &Tlv<'_>) -> u64 {
    let mut parts = t.children();
    let mut n = 0;
    while parts.next("element").is_ok() {
        n += 1;
    }
    n
}

/// Add a name to the side's list, at most [`MAX_NAMES`], counting all.
fn push_name(d: &mut Details<'_>, side: &mut Side, write: impl FnOnce(&mut String)) {
    d.name_count += 1;
    if side.names.len() < MAX_NAMES {
        write(side.names.next());
        side.names.finish();
    }
}

/// Read a variable access specification into the side.
fn access<'a>(spec: Tlv<'a>, d: &mut Details<'a>, side: &mut Side) {
    match parse::variables(spec) {
        Some(Variables::List(list)) => {
            d.names = Some("variables");
            for name in parse::variable_names(list) {
                push_name(d, side, |out| match name {
                    Some(n) => n.write(out),
                    None => out.push_str("(address)"),
                });
            }
        }
        Some(Variables::ListName(name)) => {
            name.write(&mut side.list_name);
            d.object = Some("variable_list_name");
        }
        None => {}
    }
}

/// Write a `FileName`: its components, joined by `/` when there are several.
fn join_file(name: Tlv<'_>, out: &mut String) {
    for (i, part) in parse::file_name(name).enumerate() {
        if i > 0 {
            out.push('/');
        }
        out.push_str(&String::from_utf8_lossy(part));
    }
}

fn file(name: Tlv<'_>, d: &mut Details<'_>, side: &mut Side) {
    d.names = Some("file_names");
    push_name(d, side, |out| join_file(name, out));
}

/// Name the services a `ServiceSupportOptions` BIT STRING sets (bit 0 is the high bit of the
/// first octet).
fn supported(bits: &[u8], out: &mut Vec<&'static str>) {
    for (i, byte) in bits.iter().enumerate() {
        for bit in 0..8 {
            if byte & (0x80 >> bit) != 0
                && let Some(name) = supported_service_name(i * 8 + bit)
            {
                out.push(name);
            }
        }
    }
}

fn header_fields<'a>(f: &mut MmsFields<'a>, u: &Unit<'a>, service: Option<u32>) {
    if let Some(m) = &u.mms {
        f.push(
            "pdu_type",
            Value::Str(m.pdu_type().name().unwrap_or("unknown")),
        );
        match *m {
            MmsPdu::ConfirmedRequest { invoke_id, .. }
            | MmsPdu::ConfirmedResponse { invoke_id, .. }
            | MmsPdu::ConfirmedError { invoke_id, .. } => {
                f.push("invoke_id", Value::U64(invoke_id));
            }
            MmsPdu::Cancel {
                invoke_id: Some(id),
                ..
            }
            | MmsPdu::Reject {
                invoke_id: Some(id),
                ..
            } => f.push("invoke_id", Value::U64(id)),
            _ => {}
        }
    }
    if let Some(code) = service {
        f.push("service_code", Value::U64(code.into()));
    }
}

fn response_header<'a>(f: &mut MmsFields<'a>, r: &Unit<'a>) {
    if let Some(m) = &r.mms {
        f.push(
            "response_pdu_type",
            Value::Str(m.pdu_type().name().unwrap_or("unknown")),
        );
    }
}

/// The session, presentation, ACSE and MMS header fields of one side; `prefix` marks the
/// response's initiate parameters in a transaction.
fn unit_fields<'a>(f: &mut MmsFields<'a>, u: &Unit<'a>, prefix: &str, side: &'a Side) {
    let response = !prefix.is_empty();
    if u.spdu != Spdu::DATA {
        f.push(
            if response { "response_spdu" } else { "spdu" },
            Value::Str(u.spdu.name()),
        );
    }
    let selectors = [
        (
            "calling_session_selector",
            "responding_session_selector",
            u.calling_ssel,
        ),
        (
            "called_session_selector",
            "responding_session_selector",
            u.called_ssel,
        ),
        (
            "calling_presentation_selector",
            "responding_presentation_selector",
            u.calling_psel,
        ),
        (
            "called_presentation_selector",
            "responding_presentation_selector",
            u.called_psel,
        ),
    ];
    for (i, (name, responding, value)) in selectors.into_iter().enumerate() {
        // A response names only the responder's selectors.
        if response && i % 2 == 0 {
            continue;
        }
        if let Some(v) = value {
            f.push(if response { responding } else { name }, Value::Bytes(v));
        }
    }
    if let Some(a) = &u.acse {
        acse_fields(f, a, response, side);
    }
    match u.mms {
        Some(MmsPdu::Initiate { parameters, pdu }) => {
            initiate_fields(f, &parameters, pdu == PduType::INITIATE_RESPONSE, side);
        }
        Some(
            MmsPdu::ConfirmedError { error: Some(e), .. } | MmsPdu::Control { error: Some(e), .. },
        ) => {
            f.push("error_class_code", Value::U64(e.class.into()));
            if let Some(name) = error_class_name(e.class) {
                f.push("error_class", Value::Str(name));
            }
            f.push("error_code", Value::I64(e.code));
        }
        Some(MmsPdu::Reject {
            reason: Some((t, code)),
            ..
        }) => {
            f.push(
                "reject_type",
                Value::Str(reject_type_name(t).unwrap_or("unknown")),
            );
            f.push("reject_code", Value::I64(code));
        }
        _ => {}
    }
}

fn acse_fields<'a>(f: &mut MmsFields<'a>, a: &Acse<'a>, response: bool, side: &'a Side) {
    if let Some(apdu) = a.apdu {
        f.push(
            if response { "response_acse" } else { "acse" },
            Value::Str(apdu.name()),
        );
    }
    let [context, called, calling, mechanism] = &side.oids;
    if !context.is_empty() && !response {
        f.push("application_context", Value::Str(context));
    }
    if !called.is_empty() {
        f.push(
            if response {
                "responding_ap_title"
            } else {
                "called_ap_title"
            },
            Value::Str(called),
        );
    }
    if let Some(q) = a.called_ae_qualifier {
        f.push(
            if response {
                "responding_ae_qualifier"
            } else {
                "called_ae_qualifier"
            },
            Value::I64(q),
        );
    }
    if !calling.is_empty() {
        f.push("calling_ap_title", Value::Str(calling));
    }
    if let Some(q) = a.calling_ae_qualifier {
        f.push("calling_ae_qualifier", Value::I64(q));
    }
    if !mechanism.is_empty() {
        f.push("authentication_mechanism", Value::Str(mechanism));
    }
    if a.password || a.authentication {
        f.push(
            "authentication",
            Value::Str(if a.password { "password" } else { "other" }),
        );
    }
    if let Some(r) = a.result {
        f.push("acse_result", Value::Str(acse_result_name(r)));
        f.push("acse_result_code", Value::I64(r));
    }
    if let Some(d) = a.diagnostic {
        f.push("acse_diagnostic", Value::I64(d));
    }
    if let Some(r) = a.reason {
        let name = match (a.apdu, response) {
            (Some(Apdu::ABRT), _) => "abort_source",
            (_, false) => "release_reason",
            (_, true) => "response_release_reason",
        };
        f.push(name, Value::I64(r));
    }
}

fn initiate_fields<'a>(f: &mut MmsFields<'a>, i: &Initiate<'a>, response: bool, side: &'a Side) {
    let names: [(&str, &str); 6] = [
        ("local_detail_calling", "local_detail_called"),
        (
            "max_serv_outstanding_calling",
            "negotiated_max_serv_outstanding_calling",
        ),
        (
            "max_serv_outstanding_called",
            "negotiated_max_serv_outstanding_called",
        ),
        (
            "data_structure_nesting_level",
            "negotiated_data_structure_nesting_level",
        ),
        ("version", "negotiated_version"),
        ("parameter_cbb", "negotiated_parameter_cbb"),
    ];
    let values = [
        i.local_detail,
        i.max_serv_outstanding_calling,
        i.max_serv_outstanding_called,
        i.nesting_level,
        i.version,
    ];
    for ((request, answer), value) in names.iter().zip(values) {
        if let Some(v) = value {
            f.push(if response { answer } else { request }, Value::U64(v));
        }
    }
    if let Some(cbb) = i.parameter_cbb {
        f.push(
            if response { names[5].1 } else { names[5].0 },
            Value::Bytes(cbb),
        );
    }
    if i.services.is_some() {
        let name = if response {
            "services_supported_called"
        } else {
            "services_supported_calling"
        };
        f.push(name, Value::Strs(&side.services));
    }
}

fn detail_fields<'a>(f: &mut MmsFields<'a>, d: &Details<'a>, side: &'a Side) {
    if let Some(name) = d.names {
        f.push(name, side.names.value());
        f.push(
            match name {
                "variables" => "variable_count",
                "identifiers" => "identifier_count",
                "directory_entries" => "directory_entry_count",
                _ => "file_name_count",
            },
            Value::U64(d.name_count),
        );
    }
    if let Some(field) = d.object {
        f.push(field, Value::Str(&side.list_name));
    }
    if let Some(id) = d.report_id {
        f.push("report_id", text_or_hex(id));
    }
    if let Some((n, failures, first)) = d.results {
        f.push("result_count", Value::U64(n));
        f.push("failure_count", Value::U64(failures));
        if let Some(code) = first {
            f.push("data_access_error", Value::I64(code));
            f.push(
                "data_access_error_name",
                Value::Str(data_access_error_name(code)),
            );
        }
    }
    let numbers = [
        ("data_count", d.data_count.map(Value::U64)),
        ("object_class", d.object_class.map(Value::I64)),
        ("frsm_id", d.frsm_id.map(Value::I64)),
        ("file_size", d.file_size.map(Value::U64)),
        ("file_data_length", d.file_data.map(Value::U64)),
        ("logical_status", d.logical_status.map(Value::I64)),
        ("physical_status", d.physical_status.map(Value::I64)),
        ("more_follows", d.more_follows.map(Value::Bool)),
    ];
    for (name, value) in numbers {
        if let Some(v) = value {
            f.push(name, v);
        }
    }
    if let Some(class) = d.object_class {
        f.push("object_class_name", Value::Str(object_class_name(class)));
    }
    if let Some(scope) = d.scope {
        f.push("object_scope", Value::Str(scope));
    }
    for (name, value) in [
        ("domain", d.domain),
        ("continue_after", d.continue_after),
        ("vendor_name", d.vendor),
        ("model_name", d.model),
        ("revision", d.revision),
    ] {
        if let Some(v) = value {
            f.push(name, text_or_hex(v));
        }
    }
}

/// Report what an Identify response says about the responder.
fn identity(subject: Subject, d: &Details<'_>, sink: &mut dyn EventSink) {
    if d.vendor.is_none() && d.model.is_none() {
        return;
    }
    for (attribute, value) in [
        (Attribute::Vendor, d.vendor),
        (Attribute::Model, d.model),
        (Attribute::Firmware, d.revision),
    ] {
        if let Some(v) = value {
            identify(
                sink,
                PROTOCOL,
                subject,
                attribute,
                &text(v),
                Confidence::STATED,
            );
        }
    }
    identify(
        sink,
        PROTOCOL,
        subject,
        Attribute::DeviceType,
        "ied",
        Confidence::STRONG,
    );
}

/// An ACSE password travels in cleartext: report it about the side it is offered to,
/// accepted when the association was.
fn credential(a: &Acse<'_>, answer: Option<Acse<'_>>, sink: &mut dyn EventSink) {
    if !a.password {
        return;
    }
    let accepted = answer.and_then(|r| r.result).is_some_and(|r| r == 0);
    let fields = [
        ("mechanism", Value::Str("acse_password")),
        ("accepted", Value::Bool(accepted)),
    ];
    sink.emit(Event::Finding(Finding {
        protocol: PROTOCOL,
        kind: FindingKind::CleartextCredential,
        subject: Subject::Server,
        fields: Fields(&fields),
    }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_event::CollectingSink;

    /// Encode one BER element with a definite length (X.690 §8.1.3).
    fn tlv(tag: &[u8], contents: &[u8]) -> Vec<u8> {
        let mut e = tag.to_vec();
        match u8::try_from(contents.len()) {
            Ok(n) if n < 0x80 => e.push(n),
            Ok(n) => e.extend_from_slice(&[0x81, n]),
            Err(_) => panic!("test elements are small"),
        }
        e.extend_from_slice(contents);
        e
    }

    /// A TPKT and class 0 DT (RFC 1006, ISO 8073 §13.7) holding GIVE TOKENS and DATA
    /// TRANSFER SPDUs (ISO 8327-1 §8.3) around fully encoded presentation data for context 3
    /// (ISO 8823-1 §8.4) carrying `pdu`.
    fn data(pdu: &[u8]) -> Vec<u8> {
        let mut pdv = vec![0x02, 0x01, 0x03];
        pdv.extend(tlv(&[0xa0], pdu));
        let mut spdus = vec![0x01, 0x00, 0x01, 0x00];
        spdus.extend(tlv(&[0x61], &tlv(&[0x30], &pdv)));
        let len = u16::try_from(spdus.len() + 7).expect("small");
        let mut out = vec![0x03, 0x00];
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&[0x02, 0xf0, 0x80]);
        out.extend_from_slice(&spdus);
        out
    }

    /// A confirmed request or response (ISO 9506-2 §7.3) with `invoke` and `service`.
    fn confirmed(tag: u8, invoke: u8, service: &[u8]) -> Vec<u8> {
        let mut body = vec![0x02, 0x01, invoke];
        body.extend_from_slice(service);
        tlv(&[tag], &body)
    }

    fn run(chunks: &[(Direction, Vec<u8>)]) -> CollectingSink {
        let mut d = MmsDissector::new(8);
        let mut sink = CollectingSink::default();
        for (dir, bytes) in chunks {
            assert_eq!(d.feed(*dir, bytes, &mut sink), Feed::Consumed(bytes.len()));
        }
        d.close(&mut sink);
        sink
    }

    #[test]
    fn pairs_a_read_with_its_response_by_invoke_id() {
        let name = tlv(
            &[0xa1],
            &[
                tlv(&[0x1a], b"LD0").as_slice(),
                &tlv(&[0x1a], b"LLN0$ST$Mod"),
            ]
            .concat(),
        );
        let list = tlv(&[0xa0], &tlv(&[0x30], &tlv(&[0xa0], &name)));
        let read = tlv(&[0xa4], &tlv(&[0xa1], &list)); // read, variableAccessSpecification
        let result = tlv(&[0xa4], &tlv(&[0xa1], &[0x85, 0x01, 0x01])); // one integer
        let sink = run(&[
            (Direction::ToServer, data(&confirmed(0xa0, 9, &read))),
            (Direction::ToServer, data(&confirmed(0xa0, 10, &read))),
            (Direction::ToClient, data(&confirmed(0xa1, 9, &result))),
        ]);
        let records = sink.matching("record mms read");
        assert_eq!(
            records[0],
            r#"record mms read transaction [read] {"pdu_type":"confirmed_request","invoke_id":9,"service_code":4,"variables":["LD0/LLN0$ST$Mod"],"variable_count":1,"response_pdu_type":"confirmed_response","result_count":1,"failure_count":0}"#
        );
        assert!(records[1].starts_with(
            r#"record mms read request [read] {"pdu_type":"confirmed_request","invoke_id":10,"#
        ));
    }

    #[test]
    fn identifies_the_server_from_its_identify_response() {
        let answer = tlv(
            &[0xa2],
            &[
                tlv(&[0x80], b"ACME").as_slice(),
                &tlv(&[0x81], b"REL670"),
                &tlv(&[0x82], b"2.1"),
            ]
            .concat(),
        );
        let sink = run(&[
            (
                Direction::ToServer,
                data(&confirmed(0xa0, 1, &[0x82, 0x00])),
            ),
            (Direction::ToClient, data(&confirmed(0xa1, 1, &answer))),
        ]);
        assert!(
            sink.matching("record")[0].starts_with("record mms identify transaction [identify]")
        );
        assert!(
            sink.matching("record")[0]
                .contains(r#""vendor_name":"ACME","model_name":"REL670","revision":"2.1""#)
        );
        assert_eq!(
            sink.matching("identity"),
            vec![
                "identity mms Server vendor ACME",
                "identity mms Server model REL670",
                "identity mms Server firmware 2.1",
                "identity mms Server device_type ied",
            ]
        );
    }

    #[test]
    fn reports_errors_rejects_and_reports_alone() {
        // Confirmed-ErrorPDU: invoke id 4, service error class access (7), code 2.
        let error = tlv(
            &[0xa2],
            &[
                &[0x80, 0x01, 0x04][..],
                &tlv(&[0xa2], &tlv(&[0xa0], &[0x87, 0x01, 0x02])),
            ]
            .concat(),
        );
        // RejectPDU: original invoke id 5, confirmed-requestPDU reason 1.
        let reject = tlv(&[0xa4], &[0x80, 0x01, 0x05, 0x81, 0x01, 0x01]);
        // informationReport of variable list RPT with its RptID.
        let rpt = tlv(&[0xa1], &tlv(&[0x80], b"RPT"));
        let results = tlv(&[0xa0], &tlv(&[0x8a], b"LD0/LLN0$rcb"));
        let report_pdu = tlv(&[0xa3], &tlv(&[0xa0], &[rpt, results].concat()));
        let sink = run(&[
            (Direction::ToClient, data(&error)),
            (Direction::ToClient, data(&reject)),
            (Direction::ToClient, data(&report_pdu)),
        ]);
        let records = sink.matching("record");
        assert_eq!(
            records[0],
            r#"record mms confirmed_error response {"pdu_type":"confirmed_error","invoke_id":4,"error_class_code":7,"error_class":"access","error_code":2}"#
        );
        assert!(records[1].contains(r#""reject_type":"confirmed_request","reject_code":1"#));
        assert_eq!(
            records[2],
            r#"record mms information_report response [monitor] {"pdu_type":"unconfirmed","service_code":0,"variable_list_name":"RPT","report_id":"LD0/LLN0$rcb","result_count":1,"failure_count":0}"#
        );
    }

    #[test]
    fn flags_unknown_presentation_payloads_and_broken_ber() {
        let sink = run(&[
            (Direction::ToServer, data(&[0x04, 0x00])),
            (Direction::ToServer, data(&[0xa0, 0x09, 0x02, 0x01])),
        ]);
        assert_eq!(sink.anomalies("unknown_presentation_payload"), 1);
        assert_eq!(sink.anomalies("ber_truncated"), 1);
        assert_eq!(
            sink.matching("record mms data").len(),
            2,
            "each unit is still reported"
        );
    }
}
