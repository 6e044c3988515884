//! What one S7comm PDU says, and how a request and its response become one record's fields.

use rampart_dissect::{EventSink, FieldList, Value, report, text};
use rampart_event::{Activity, Event};

use super::PROTOCOL;
use super::message::{
    Function, Rosctr, UserdataType, block_type_name, error_class_name, group_name,
    mode_transition_name, pi_service_description, return_code_name, subfunction_name,
    szl_mode_name, szl_name,
};
use super::parse::{
    self, BlockControl, Item, Items, Pdu, PiService, Setup, UserdataData, UserdataParam,
    block_name, db_ranges,
};
use super::szl::{self, Component};
use crate::text_list::TextList;
use crate::value::text_or_hex;

/// Variable items rendered per message (a job holds at most about twenty).
const MAX_ITEMS: usize = 64;

/// The fields of one S7comm record.
pub(super) type S7Fields<'a> = FieldList<'a, 64>;

/// What one PDU says, parsed as far as its type allows.
#[derive(Clone, Copy)]
pub(super) struct Facts<'a> {
    pub(super) pdu: Pdu<'a>,
    /// First parameter octet of a job, ack or ack_data.
    pub(super) function: Option<Function>,
    pub(super) setup: Option<Setup>,
    pub(super) item_count: Option<u8>,
    pub(super) block: Option<BlockControl<'a>>,
    pub(super) pi: Option<PiService<'a>>,
    pub(super) userdata: Option<UserdataParam>,
    pub(super) data: Option<UserdataData<'a>>,
}

impl<'a> Facts<'a> {
    pub(super) fn read(pdu: Pdu<'a>, sink: &mut dyn EventSink) -> Facts<'a> {
        let mut f = Facts {
            pdu,
            function: None,
            setup: None,
            item_count: None,
            block: None,
            pi: None,
            userdata: None,
            data: None,
        };
        let rosctr = pdu.header.rosctr;
        let base = parse::header_len(rosctr);
        let mut fail = |e: rampart_dissect::Truncated| {
            let e = parse::S7Error::from(e);
            report(sink, PROTOCOL, e.code(), Some(base + e.offset()), &e);
        };
        if rosctr == Rosctr::USERDATA {
            match parse::userdata_param(pdu.param) {
                Ok(p) => f.userdata = Some(p),
                Err(e) => fail(e),
            }
            f.data = parse::userdata_data(pdu.data);
            return f;
        }
        let Some(&code) = pdu.param.first() else {
            return f;
        };
        let function = Function(code);
        f.function = Some(function);
        match function {
            Function::SETUP_COMMUNICATION => match parse::setup(pdu.param) {
                Ok(s) => f.setup = Some(s),
                Err(e) => fail(e),
            },
            Function::READ_VAR | Function::WRITE_VAR => f.item_count = pdu.param.get(1).copied(),
            Function::PLC_CONTROL if rosctr == Rosctr::JOB => match parse::plc_control(pdu.param) {
                Ok(p) => f.pi = Some(p),
                Err(e) => fail(e),
            },
            Function::PLC_STOP if rosctr == Rosctr::JOB => match parse::plc_stop(pdu.param) {
                Ok(p) => f.pi = Some(p),
                Err(e) => fail(e),
            },
            func if func.is_block_transfer() => {
                match parse::block_control(code, rosctr, pdu.param, pdu.data) {
                    Ok(b) => f.block = Some(b),
                    Err(e) => fail(e),
                }
            }
            _ => {}
        }
        f
    }

    pub(super) fn is_request(&self) -> bool {
        match self.pdu.header.rosctr {
            Rosctr::JOB => true,
            Rosctr::USERDATA => self
                .userdata
                .is_some_and(|p| p.kind == UserdataType::REQUEST),
            _ => false,
        }
    }
}

/// What an SZL response said, copied out of the (possibly reassembled) user data.
#[derive(Default)]
pub(super) struct SzlFacts {
    pub(super) id: Option<u16>,
    pub(super) index: u16,
    pub(super) record_len: u16,
    pub(super) count: u16,
    pub(super) fragments: u32,
    pub(super) module_index: Vec<u64>,
    pub(super) module_order: TextList,
    pub(super) module_bgtyp: Vec<u64>,
    pub(super) module_ausbg: Vec<u64>,
    pub(super) module_ausbe: Vec<u64>,
    pub(super) module_version: TextList,
    pub(super) components: [String; COMPONENTS.len()],
    pub(super) vendor_id: Option<u16>,
    pub(super) oem_id: Option<u16>,
    pub(super) mode: Option<szl::ModeRecord>,
    pub(super) comm: Option<szl::CommRecord>,
}

/// Component identification texts: (index, record field name).
const COMPONENTS: [(u16, &str); 8] = [
    (0x01, "plc_name"),
    (0x02, "module_name"),
    (0x03, "plant_id"),
    (0x04, "copyright"),
    (0x05, "serial_number"),
    (0x07, "module_type_name"),
    (0x08, "memory_card_serial"),
    (0x0b, "location"),
];

impl SzlFacts {
    pub(super) fn clear(&mut self) {
        self.id = None;
        self.fragments = 0;
        self.module_index.clear();
        self.module_order.clear();
        self.module_bgtyp.clear();
        self.module_ausbg.clear();
        self.module_ausbe.clear();
        self.module_version.clear();
        self.components.iter_mut().for_each(String::clear);
        self.vendor_id = None;
        self.oem_id = None;
        self.mode = None;
        self.comm = None;
    }

    pub(super) fn component(&self, index: u16) -> &str {
        COMPONENTS
            .iter()
            .position(|(i, _)| *i == index)
            .and_then(|p| self.components.get(p))
            .map_or("", String::as_str)
    }

    /// Decode a whole partial list; `complete` says the response has no more fragments.
    pub(super) fn decode(&mut self, payload: &[u8], complete: bool, sink: &mut dyn EventSink) {
        let list = match szl::list(payload) {
            Ok(l) => l,
            Err(e) => return report(sink, PROTOCOL, "szl_truncated", Some(e.offset), &e),
        };
        self.id = Some(list.id);
        self.index = list.index;
        self.record_len = list.record_len;
        self.count = list.count;
        if !complete {
            return;
        }
        // SZL-IDs 0x0fxx ask for the partial list header only: a count and no records.
        if !list.complete() && list.id >> 8 != 0x0f {
            let detail = format_args!(
                "SZL 0x{:04x} announces {} records of {} octets, {} octets present",
                list.id,
                list.count,
                list.record_len,
                list.records.len()
            );
            report(sink, PROTOCOL, "szl_truncated", Some(8), &detail);
        }
        match list.id & 0xff {
            0x11 => list.records().filter_map(szl::module_record).for_each(|m| {
                self.module_index.push(m.index.into());
                self.module_order.push(&text(m.order_number));
                self.module_bgtyp.push(m.bgtyp.into());
                self.module_ausbg.push(m.ausbg.into());
                self.module_ausbe.push(m.ausbe.into());
                m.write_version(self.module_version.next());
                self.module_version.finish();
            }),
            0x1c => {
                for c in list.records().filter_map(szl::component) {
                    match c {
                        Component::Text { index, text: t } => {
                            if let Some(p) = COMPONENTS.iter().position(|(i, _)| *i == index) {
                                self.components[p].clear();
                                self.components[p].push_str(&text(t));
                            }
                        }
                        Component::Manufacturer { vendor_id, .. } => {
                            self.vendor_id = Some(vendor_id);
                        }
                        Component::Oem { oem_id, .. } => self.oem_id = Some(oem_id),
                        Component::Other(_) => {}
                    }
                }
            }
            0x24 if list.id == 0x0424 => self.mode = list.records().find_map(szl::mode_record),
            0x31 => self.comm = list.records().find_map(szl::comm_record),
            _ => {}
        }
    }
}

/// Buffers reused from message to message.
#[derive(Default)]
pub(super) struct Scratch {
    pub(super) items: TextList,
    /// The request parameters `items` were rendered from, when `items_current`: an HMI
    /// polls with the same parameters again and again.
    pub(super) items_of: Vec<u8>,
    /// Whether `items` are those of `items_of`, read without an anomaly.
    pub(super) items_current: bool,
    pub(super) return_codes: Vec<u64>,
    pub(super) return_names: Vec<&'static str>,
    pub(super) blocks: TextList,
    pub(super) clock: String,
    pub(super) szl: SzlFacts,
}

impl<'a> Facts<'a> {
    /// Read a PDU already reported on when it arrived.
    pub(super) fn read_quiet(pdu: Pdu<'a>) -> Facts<'a> {
        struct Quiet;
        impl EventSink for Quiet {
            fn emit(&mut self, _: Event<'_>) {}
        }
        Facts::read(pdu, &mut Quiet)
    }
}

pub(super) fn push_code(s: &mut Scratch, code: u8) {
    s.return_codes.push(code.into());
    s.return_names.push(return_code_name(code));
}

/// Render the items of a read or write job into `out`.
pub(super) fn items(param: &[u8], out: &mut TextList, sink: &mut dyn EventSink) {
    for item in Items::new(param) {
        let item = match item {
            Ok(i) => i,
            Err(e) => {
                let offset = parse::header_len(Rosctr::JOB) + e.offset();
                return report(sink, PROTOCOL, e.code(), Some(offset), &e);
            }
        };
        if out.len() >= MAX_ITEMS {
            continue;
        }
        match item {
            Item::Any(a) => {
                a.write(out.next());
                out.finish();
            }
            Item::DbRead(list) => {
                for (len, db, start) in db_ranges(list) {
                    let a = parse::AnyAddress {
                        transport_size: 0x02,
                        length: len.into(),
                        db,
                        area: 0x84,
                        address: u32::from(start) << 3,
                    };
                    a.write(out.next());
                    out.finish();
                }
            }
            Item::Other { syntax, spec } => {
                use std::fmt::Write as _;
                let name = super::message::syntax_name(syntax).unwrap_or("unknown");
                let _ = write!(
                    out.next(),
                    "{name} 0x{syntax:02x} {}",
                    rampart_event::Hex(spec)
                );
                out.finish();
            }
        }
    }
}

/// Label a block as its type and number (`DB1`, `OB35`).
pub(super) fn block_label(b: &parse::BlockName<'_>, out: &mut String) {
    use std::fmt::Write as _;
    match block_type_name(b.block_type) {
        Some(t) => out.push_str(t),
        None => out.push_str(&text(b.block_type)),
    }
    if let Some(n) = b.number {
        let _ = write!(out, "{n}");
    }
}

/// The record kind: the function, or the user data subfunction.
pub(super) fn kind(f: &Facts<'_>) -> &'static str {
    if let Some(p) = f.userdata {
        return match p.group {
            0x0 => "mode_transition",
            g => subfunction_name(g, p.subfunction).unwrap_or("userdata"),
        };
    }
    match f.function {
        Some(func) => func.name().unwrap_or("unknown_function"),
        None if f.pdu.header.rosctr == Rosctr::ACK => "ack",
        None => "unknown",
    }
}

/// What a PDU does to the PLC.
pub(super) fn activity(f: &Facts<'_>) -> Option<Activity> {
    if let Some(p) = f.userdata {
        return match (p.group, p.subfunction) {
            (0x1, 0x02 | 0x01 | 0x0e | 0x13 | 0x10) => Some(Activity::Monitor),
            (0x1, _) => Some(Activity::Diagnostics),
            (0x2, _) => Some(Activity::Monitor),
            (0x3, _) => Some(Activity::Diagnostics),
            (0x4, 0x01) => Some(Activity::Identify),
            (0x4, 0x02 | 0x13) => Some(Activity::Monitor),
            (0x5, _) => Some(Activity::Authentication),
            (0x7, _) => Some(Activity::TimeSync),
            (0xf, _) => Some(Activity::FileTransfer),
            _ => None,
        };
    }
    let function = f.function?;
    Some(match function {
        Function::SETUP_COMMUNICATION => Activity::Session,
        Function::READ_VAR => Activity::Read,
        Function::WRITE_VAR => Activity::Write,
        Function::REQUEST_DOWNLOAD | Function::DOWNLOAD_BLOCK | Function::DOWNLOAD_ENDED => {
            Activity::ProgramDownload
        }
        Function::START_UPLOAD | Function::UPLOAD | Function::END_UPLOAD => Activity::ProgramUpload,
        Function::PLC_STOP => Activity::PlcStop,
        Function::PLC_CONTROL => return f.pi.map(|pi| pi_activity(&pi)),
        _ => return None,
    })
}

/// What a PI service does: activating a block completes a download, `P_PROGRAM` starts
/// the PLC (a cold restart, parameter `C`, is a restart).
fn pi_activity(pi: &PiService<'_>) -> Activity {
    match pi.service {
        b"_INSE" | b"_INS2" | b"_MODU" => Activity::ProgramDownload,
        b"_DELE" => Activity::ProgramDelete,
        b"P_PROGRAM" if pi.parameter.first() == Some(&b'C') => Activity::Restart,
        b"P_PROGRAM" => Activity::PlcStart,
        b"_N_LOGIN_" | b"_N_NEWPWD" => Activity::Authentication,
        b"_N_LOGOUT" => Activity::Session,
        s if s.starts_with(b"_N_F_") => Activity::FileTransfer,
        _ => Activity::Command,
    }
}

pub(super) fn common_fields<'a>(f: &mut S7Fields<'a>, p: &Facts<'a>) {
    let h = &p.pdu.header;
    f.push("rosctr", Value::U64(h.rosctr.0.into()));
    f.push(
        "rosctr_name",
        Value::Str(h.rosctr.name().unwrap_or("unknown")),
    );
    f.push("pdu_reference", Value::U64(h.pdu_ref.into()));
    f.push("param_length", Value::U64(h.param_len.into()));
    f.push("data_length", Value::U64(h.data_len.into()));
    if let Some(func) = p.function {
        f.push("function_code", Value::U64(func.0.into()));
        f.push("function", Value::Str(func.name().unwrap_or("unknown")));
    }
    if let Some(u) = &p.userdata {
        f.push("userdata_type", Value::Str(u.kind.name()));
        f.push("function_group", Value::U64(u.group.into()));
        f.push(
            "function_group_name",
            Value::Str(group_name(u.group).unwrap_or("unknown")),
        );
        if u.group == 0 {
            f.push("mode", Value::U64(u.subfunction.into()));
            f.push(
                "mode_name",
                Value::Str(mode_transition_name(u.subfunction).unwrap_or("unknown")),
            );
        } else {
            f.push("subfunction", Value::U64(u.subfunction.into()));
            let name = subfunction_name(u.group, u.subfunction).unwrap_or("unknown");
            f.push("subfunction_name", Value::Str(name));
        }
        f.push("sequence_number", Value::U64(u.sequence.into()));
    }
}

pub(super) fn request_fields<'a>(f: &mut S7Fields<'a>, q: &Facts<'a>, s: &'a Scratch) {
    if let Some(setup) = &q.setup {
        f.push("max_amq_calling", Value::U64(setup.max_amq_calling.into()));
        f.push("max_amq_called", Value::U64(setup.max_amq_called.into()));
        f.push("pdu_length", Value::U64(setup.pdu_length.into()));
    }
    if let Some(n) = q.item_count {
        f.push("item_count", Value::U64(n.into()));
        if q.pdu.header.rosctr == Rosctr::JOB {
            f.push("items", s.items.value());
        }
    }
    if let Some(b) = &q.block {
        block_fields(f, b);
    }
    if let Some(pi) = &q.pi {
        f.push("pi_service", text_or_hex(pi.service));
        if let Some(d) = pi_service_description(pi.service) {
            f.push("pi_service_description", Value::Str(d));
        }
        if !pi.parameter.is_empty() && s.blocks.len() == 0 {
            f.push("pi_parameter", text_or_hex(pi.parameter));
        }
        if s.blocks.len() > 0 {
            f.push("blocks", s.blocks.value());
        }
        if pi.service == b"P_PROGRAM" && q.function == Some(Function::PLC_CONTROL) {
            let start = if pi.parameter.first() == Some(&b'C') {
                "cold"
            } else {
                "warm"
            };
            f.push("start_type", Value::Str(start));
        }
    }
    if let (Some(u), Some(d)) = (&q.userdata, &q.data) {
        if (u.group, u.subfunction) == (0x4, 0x01)
            && let Some((id, index)) = szl::request(d.payload)
        {
            f.push("szl_id", Value::U64(id.into()));
            f.push("szl_index", Value::U64(index.into()));
            if let Some(name) = szl_name(id) {
                f.push("szl_name", Value::Str(name));
            }
        }
        if u.group == 0x7 && !s.clock.is_empty() && matches!(u.subfunction, 0x02 | 0x04) {
            f.push("clock", Value::Str(&s.clock));
        }
    }
}

fn block_fields<'a>(f: &mut S7Fields<'a>, b: &BlockControl<'a>) {
    if let Some(status) = b.status {
        f.push("function_status", Value::U64(status.into()));
    }
    if let Some(name) = b.filename {
        f.push("filename", text_or_hex(name));
        if let Some(block) = name.get(1..).and_then(block_name) {
            f.push(
                "block_type",
                match block_type_name(block.block_type) {
                    Some(t) => Value::Str(t),
                    None => text_or_hex(block.block_type),
                },
            );
            if let Some(n) = block.number {
                f.push("block_number", Value::U64(n.into()));
            }
            let fs = match block.filesystem {
                b'P' => "passive",
                b'A' => "active",
                b'B' => "active_and_passive",
                _ => "unknown",
            };
            f.push("filesystem", Value::Str(fs));
        }
    }
    if let Some(id) = b.upload_id {
        f.push("upload_id", Value::U64(id.into()));
    }
    if let Some(code) = b.error_code {
        f.push("block_error_code", Value::U64(code.into()));
    }
    for (name, digits) in [
        ("load_memory_length", b.load_memory_length),
        ("mc7_length", b.mc7_length),
        ("block_length", b.block_length),
    ] {
        if let Some(n) =
            digits.and_then(|d| std::str::from_utf8(d).ok()?.trim().parse::<u64>().ok())
        {
            f.push(name, Value::U64(n));
        }
    }
}

pub(super) fn response_fields<'a>(
    f: &mut S7Fields<'a>,
    r: &Facts<'a>,
    paired: bool,
    s: &'a Scratch,
) {
    let h = &r.pdu.header;
    if paired {
        f.push("response_rosctr", Value::U64(h.rosctr.0.into()));
        f.push(
            "response_rosctr_name",
            Value::Str(h.rosctr.name().unwrap_or("unknown")),
        );
        if let Some(func) = r.function {
            f.push("response_function_code", Value::U64(func.0.into()));
        }
    }
    if let Some((class, code)) = h.error {
        f.push("error_class", Value::U64(class.into()));
        if let Some(name) = error_class_name(class) {
            f.push("error_class_name", Value::Str(name));
        }
        f.push("error_code", Value::U64(code.into()));
    }
    if let Some(setup) = &r.setup {
        f.push(
            "negotiated_max_amq_calling",
            Value::U64(setup.max_amq_calling.into()),
        );
        f.push(
            "negotiated_max_amq_called",
            Value::U64(setup.max_amq_called.into()),
        );
        f.push("negotiated_pdu_length", Value::U64(setup.pdu_length.into()));
    }
    if !s.return_codes.is_empty() {
        if !paired && let Some(n) = r.item_count {
            f.push("item_count", Value::U64(n.into()));
        }
        f.push("return_codes", Value::U64s(&s.return_codes));
        f.push("return_code_names", Value::Strs(&s.return_names));
    }
    if let Some(b) = &r.block {
        if let Some(status) = b.status {
            f.push("more_data", Value::Bool(status & 0x01 != 0));
        }
        if let Some(len) = b.data_length {
            f.push("block_data_length", Value::U64(len.into()));
        }
        if !paired {
            block_fields(f, b);
        } else if let Some(n) = b
            .block_length
            .and_then(|d| std::str::from_utf8(d).ok()?.trim().parse::<u64>().ok())
        {
            f.push("block_length", Value::U64(n));
        }
    }
    if let Some(u) = &r.userdata
        && let Some((unit, last, error)) = u.continuation
    {
        f.push("data_unit_reference", Value::U64(unit.into()));
        f.push("last_data_unit", Value::Bool(last == 0));
        f.push("userdata_error", Value::U64(error.into()));
    }
    if let Some(d) = &r.data {
        f.push("return_code", Value::U64(d.return_code.into()));
        f.push(
            "return_code_name",
            Value::Str(return_code_name(d.return_code)),
        );
    }
    if !s.clock.is_empty()
        && r.userdata
            .is_some_and(|u| u.group == 0x7 && matches!(u.subfunction, 0x01 | 0x03))
    {
        f.push("clock", Value::Str(&s.clock));
    }
    szl_fields(f, &s.szl);
}

fn szl_fields<'a>(f: &mut S7Fields<'a>, z: &'a SzlFacts) {
    let Some(id) = z.id else {
        return;
    };
    // A transaction names the list once, from its request, unless the response differs.
    let asked = f.fields().get("szl_id");
    if asked != Some(Value::U64(id.into())) {
        if asked.is_some() {
            f.push("response_szl_id", Value::U64(id.into()));
            f.push("response_szl_index", Value::U64(z.index.into()));
        } else {
            f.push("szl_id", Value::U64(id.into()));
            f.push("szl_index", Value::U64(z.index.into()));
            if let Some(name) = szl_name(id) {
                f.push("szl_name", Value::Str(name));
            }
        }
    }
    f.push("szl_record_length", Value::U64(z.record_len.into()));
    f.push("szl_record_count", Value::U64(z.count.into()));
    if z.fragments > 0 {
        f.push("szl_fragments", Value::U64(z.fragments.into()));
    }
    if !z.module_index.is_empty() {
        f.push("module_indexes", Value::U64s(&z.module_index));
        f.push("order_numbers", z.module_order.value());
        f.push("module_bgtyp", Value::U64s(&z.module_bgtyp));
        f.push("module_ausbg", Value::U64s(&z.module_ausbg));
        f.push("module_ausbe", Value::U64s(&z.module_ausbe));
        f.push("module_versions", z.module_version.value());
    }
    for ((_, name), value) in COMPONENTS.iter().zip(&z.components) {
        if !value.is_empty() {
            f.push(name, Value::Str(value));
        }
    }
    if let Some(v) = z.vendor_id {
        f.push("vendor_id", Value::U64(v.into()));
    }
    if let Some(v) = z.oem_id {
        f.push("oem_id", Value::U64(v.into()));
    }
    if let Some(m) = &z.mode {
        f.push("mode_event", Value::U64(m.event.into()));
        f.push(
            "cpu_mode",
            Value::Str(szl_mode_name(m.mode).unwrap_or("unknown")),
        );
        f.push(
            "previous_cpu_mode",
            Value::Str(szl_mode_name(m.previous).unwrap_or("unknown")),
        );
    }
    if let Some(c) = &z.comm {
        f.push("max_pdu_size", Value::U64(c.max_pdu.into()));
        f.push("max_connections", Value::U64(c.max_connections.into()));
        f.push("mpi_rate", Value::U64(c.mpi_rate.into()));
        f.push("kbus_rate", Value::U64(c.kbus_rate.into()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An S7comm PDU: header (job/userdata: 10 octets), parameter, data.
    fn pdu(rosctr: u8, param: &[u8], data: &[u8]) -> Vec<u8> {
        let mut p = vec![0x32, rosctr, 0, 0, 0, 1];
        p.extend_from_slice(&u16::try_from(param.len()).expect("small").to_be_bytes());
        p.extend_from_slice(&u16::try_from(data.len()).expect("small").to_be_bytes());
        p.extend_from_slice(param);
        p.extend_from_slice(data);
        p
    }

    fn classify(bytes: &[u8]) -> (&'static str, Option<Activity>) {
        let facts = Facts::read_quiet(parse::pdu(bytes).expect("a PDU"));
        (kind(&facts), activity(&facts))
    }

    #[test]
    fn names_and_attributes_jobs_by_function_and_pi_service() {
        let mut inse = vec![0x28, 0, 0, 0, 0, 0, 0, 0xfd, 0x00, 0x00, 0x05];
        inse.extend_from_slice(b"_INSE");
        assert_eq!(
            classify(&pdu(1, &inse, &[])),
            ("plc_control", Some(Activity::ProgramDownload))
        );
        let mut warm = vec![0x28, 0, 0, 0, 0, 0, 0, 0xfd, 0x00, 0x00, 0x09];
        warm.extend_from_slice(b"P_PROGRAM");
        assert_eq!(
            classify(&pdu(1, &warm, &[])),
            ("plc_control", Some(Activity::PlcStart))
        );
        assert_eq!(classify(&pdu(1, &[0x5a], &[])), ("unknown_function", None));
    }

    #[test]
    fn names_and_attributes_user_data_by_group() {
        let clock = [0x00, 0x01, 0x12, 0x04, 0x11, 0x47, 0x01, 0x00]; // time functions, read clock
        assert_eq!(
            classify(&pdu(7, &clock, &[])),
            ("read_clock", Some(Activity::TimeSync))
        );
        let cyclic = [0x00, 0x01, 0x12, 0x04, 0x11, 0x42, 0x01, 0x00];
        assert_eq!(
            classify(&pdu(7, &cyclic, &[])),
            ("cyclic_transfer", Some(Activity::Monitor))
        );
        let mode = [0x01, 0x00, 0x10, 0x10, 0x00, 0x00, 0x00, 0x00]; // mode transition push: STOP
        assert_eq!(classify(&pdu(7, &mode, &[])), ("mode_transition", None));
        let odd = [0x00, 0x01, 0x12, 0x04, 0x11, 0x4e, 0x01, 0x00]; // unassigned group 0xe
        assert_eq!(classify(&pdu(7, &odd, &[])), ("userdata", None));
    }
}
