//! S7comm PDUs to events: jobs paired with their acknowledgements by PDU reference, user data
//! requests with their responses (fragmented responses reassembled), SZL identification as
//! identity and module events.

use std::collections::VecDeque;

use rampart_dissect::{
    Attribute, Confidence, Direction, Dissector, Event, EventSink, Feed, FieldList, Fields,
    Finding, FindingKind, Record, Subject, Value, identify, report, text,
};
use rampart_event::{Activity, Module};

use super::message::{
    Function, Rosctr, UserdataType, block_type_name, error_class_name, group_name,
    mode_transition_name, pi_service_description, return_code_name, subfunction_name,
    szl_mode_name, szl_name,
};
use super::parse::{
    self, BlockControl, Item, Items, Pdu, PiService, Setup, UserdataData, UserdataParam,
    block_name, db_ranges, pi_blocks,
};
use super::szl::{self, Component};
use crate::cotp::{CotpStream, Link};
use crate::text_list::TextList;

const PROTOCOL: &str = "s7comm";
/// Variable items rendered per message (a job holds at most about twenty).
const MAX_ITEMS: usize = 64;
/// User data reassembled from response fragments, per direction.
const MAX_USERDATA: usize = 64 * 1024;

/// The fields of one S7comm record.
type S7Fields<'a> = FieldList<'a, 64>;

/// A job or user data request waiting for its response, kept as its own bytes.
struct Pending {
    dir: Direction,
    pdu_ref: u16,
    userdata: bool,
    bytes: Vec<u8>,
}

/// What one PDU says, parsed as far as its type allows.
#[derive(Clone, Copy)]
struct Facts<'a> {
    pdu: Pdu<'a>,
    /// First parameter octet of a job, ack or ack_data.
    function: Option<Function>,
    setup: Option<Setup>,
    item_count: Option<u8>,
    block: Option<BlockControl<'a>>,
    pi: Option<PiService<'a>>,
    userdata: Option<UserdataParam>,
    data: Option<UserdataData<'a>>,
}

impl<'a> Facts<'a> {
    fn read(pdu: Pdu<'a>, sink: &mut dyn EventSink) -> Facts<'a> {
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

    fn is_request(&self) -> bool {
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
struct SzlFacts {
    id: Option<u16>,
    index: u16,
    record_len: u16,
    count: u16,
    fragments: u32,
    module_index: Vec<u64>,
    module_order: TextList,
    module_bgtyp: Vec<u64>,
    module_ausbg: Vec<u64>,
    module_ausbe: Vec<u64>,
    module_version: TextList,
    components: [String; COMPONENTS.len()],
    vendor_id: Option<u16>,
    oem_id: Option<u16>,
    mode: Option<szl::ModeRecord>,
    comm: Option<szl::CommRecord>,
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
    fn clear(&mut self) {
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

    fn component(&self, index: u16) -> &str {
        COMPONENTS
            .iter()
            .position(|(i, _)| *i == index)
            .and_then(|p| self.components.get(p))
            .map_or("", String::as_str)
    }

    /// Decode a whole partial list; `complete` says the response has no more fragments.
    fn decode(&mut self, payload: &[u8], complete: bool, sink: &mut dyn EventSink) {
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
struct Scratch {
    items: TextList,
    return_codes: Vec<u64>,
    return_names: Vec<&'static str>,
    blocks: TextList,
    clock: String,
    szl: SzlFacts,
}

/// User data response fragments being collected, per sending direction.
#[derive(Default)]
struct Fragments {
    key: Option<(u8, u8, u8)>,
    data: Vec<u8>,
    count: u32,
}

/// What the flow's identification responses said about the module, for module events.
#[derive(Default)]
struct ModuleInfo {
    order_number: String,
    firmware: String,
    hardware: String,
    model: String,
    serial: String,
}

/// Per-flow S7comm state.
pub struct S7Dissector {
    cotp: CotpStream,
    state: State,
}

struct State {
    pending: VecDeque<Pending>,
    spare: Vec<Vec<u8>>,
    max_transactions: usize,
    scratch: Scratch,
    fragments: [Fragments; 2],
    module: ModuleInfo,
    plc_reported: bool,
}

impl S7Dissector {
    /// Start a flow keeping at most `max_transactions` unanswered requests.
    pub fn new(max_transactions: usize) -> S7Dissector {
        S7Dissector {
            cotp: CotpStream::new(PROTOCOL, true),
            state: State {
                pending: VecDeque::new(),
                spare: Vec::new(),
                max_transactions,
                scratch: Scratch::default(),
                fragments: Default::default(),
                module: ModuleInfo::default(),
                plc_reported: false,
            },
        }
    }
}

impl Dissector for S7Dissector {
    fn feed(&mut self, dir: Direction, data: &[u8], sink: &mut dyn EventSink) -> Feed {
        let state = &mut self.state;
        self.cotp.feed(dir, data, sink, |dir, pdu, link, sink| {
            state.pdu(dir, pdu, link, sink)
        })
    }

    fn gap(&mut self, dir: Direction, _len: u64, _sink: &mut dyn EventSink) {
        self.cotp.gap(dir);
        let f = &mut self.state.fragments[dir.index()];
        f.key = None;
        f.data.clear();
    }

    fn close(&mut self, sink: &mut dyn EventSink) {
        self.cotp.close(sink);
        let link = self.cotp.link();
        while let Some(p) = self.state.pending.pop_front() {
            self.state.unanswered(p, link, sink);
        }
    }
}

impl State {
    fn pdu(&mut self, dir: Direction, bytes: &[u8], link: &Link, sink: &mut dyn EventSink) {
        let pdu = match parse::pdu(bytes) {
            Ok(p) => p,
            Err(e) => return report(sink, PROTOCOL, e.code(), Some(e.offset()), &e),
        };
        if pdu.trailing > 0 {
            let detail = format_args!(
                "{} octets after the parameter and data the header announces",
                pdu.trailing
            );
            report(
                sink,
                PROTOCOL,
                "trailing_data",
                Some(bytes.len() - pdu.trailing),
                &detail,
            );
        }
        let rosctr = pdu.header.rosctr;
        if rosctr.name().is_none() {
            let detail = format_args!(
                "ROSCTR {:#04x} is not job, ack, ack_data or userdata",
                rosctr.0
            );
            report(sink, PROTOCOL, "unknown_rosctr", Some(1), &detail);
        }
        let facts = Facts::read(pdu, sink);
        if facts.is_request() {
            return self.request(dir, &facts, bytes, link, sink);
        }
        let answers = |p: &Pending| {
            p.dir == dir.reverse()
                && p.pdu_ref == pdu.header.pdu_ref
                && p.userdata == (rosctr == Rosctr::USERDATA)
        };
        let is_response = matches!(rosctr, Rosctr::ACK | Rosctr::ACK_DATA)
            || facts
                .userdata
                .is_some_and(|p| p.kind == UserdataType::RESPONSE);
        let found = is_response
            .then(|| self.pending.iter().position(answers))
            .flatten()
            .and_then(|i| self.pending.remove(i));
        match found {
            Some(p) => {
                if let Ok(req) = parse::pdu(&p.bytes) {
                    let req = Facts::read_quiet(req);
                    self.transaction(Some(&req), Some((dir, &facts)), None, link, sink);
                }
                self.spare.push(p.bytes);
            }
            None => self.transaction(None, Some((dir, &facts)), Some(dir), link, sink),
        }
    }

    fn request(
        &mut self,
        dir: Direction,
        facts: &Facts<'_>,
        bytes: &[u8],
        link: &Link,
        sink: &mut dyn EventSink,
    ) {
        let pdu_ref = facts.pdu.header.pdu_ref;
        let userdata = facts.pdu.header.rosctr == Rosctr::USERDATA;
        if let Some(i) = self
            .pending
            .iter()
            .position(|p| p.dir == dir && p.pdu_ref == pdu_ref && p.userdata == userdata)
            && let Some(old) = self.pending.remove(i)
        {
            let detail = format_args!("PDU reference {pdu_ref} reused before its response");
            report(sink, PROTOCOL, "duplicate_pdu_reference", Some(4), &detail);
            self.unanswered(old, link, sink);
        }
        if self.pending.len() >= self.max_transactions
            && let Some(old) = self.pending.pop_front()
        {
            let detail = format_args!(
                "more than {} unanswered requests; forgot PDU reference {}",
                self.max_transactions, old.pdu_ref
            );
            report(sink, PROTOCOL, "too_many_transactions", None, &detail);
            self.unanswered(old, link, sink);
        }
        if self.max_transactions == 0 {
            return self.transaction(Some(facts), None, Some(dir), link, sink);
        }
        let mut kept = self.spare.pop().unwrap_or_default();
        kept.clear();
        kept.extend_from_slice(bytes);
        self.pending.push_back(Pending {
            dir,
            pdu_ref,
            userdata,
            bytes: kept,
        });
    }

    /// Report a request that got no response, as a record of its own.
    fn unanswered(&mut self, p: Pending, link: &Link, sink: &mut dyn EventSink) {
        if let Ok(req) = parse::pdu(&p.bytes) {
            let req = Facts::read_quiet(req);
            self.transaction(Some(&req), None, Some(p.dir), link, sink);
        }
        self.spare.push(p.bytes);
    }

    /// Report a request and its response, or either alone (then with `direction`).
    fn transaction(
        &mut self,
        req: Option<&Facts<'_>>,
        resp: Option<(Direction, &Facts<'_>)>,
        direction: Option<Direction>,
        link: &Link,
        sink: &mut dyn EventSink,
    ) {
        let Some(primary) = req.or(resp.map(|(_, f)| f)) else {
            return;
        };
        if let (Some(q), Some((_, r))) = (req, resp)
            && let (Some(a), Some(b)) = (q.function, r.function)
            && a != b
        {
            let detail = format_args!("response to {a} carries function {b}");
            report(sink, PROTOCOL, "function_mismatch", Some(12), &detail);
        }
        self.prepare(req, resp, sink);
        let kind = kind(primary);
        let activity = activity(primary);
        {
            let mut f = S7Fields::default();
            common_fields(&mut f, primary);
            if let Some(q) = req {
                request_fields(&mut f, q, &self.scratch);
            }
            if let Some((_, r)) = resp {
                response_fields(&mut f, r, req.is_some(), &self.scratch);
            }
            if f.dropped() > 0 {
                let detail = format_args!("{} fields did not fit the record", f.dropped());
                report(sink, PROTOCOL, "fields_dropped", None, &detail);
            }
            sink.emit(Event::Record(Record {
                protocol: PROTOCOL,
                kind,
                direction,
                activity,
                fields: f.fields(),
            }));
        }
        if let Some((dir, r)) = resp {
            self.identify(dir.sender(), r, link, sink);
        }
        if let Some(q) = req {
            password(q, resp.map(|(_, r)| r), sink);
        }
    }

    /// Fill the scratch buffers the record's lists borrow.
    fn prepare(
        &mut self,
        req: Option<&Facts<'_>>,
        resp: Option<(Direction, &Facts<'_>)>,
        sink: &mut dyn EventSink,
    ) {
        let s = &mut self.scratch;
        s.items.clear();
        s.return_codes.clear();
        s.return_names.clear();
        s.blocks.clear();
        s.clock.clear();
        s.szl.clear();
        if let Some(q) = req {
            if q.item_count.is_some() && q.pdu.header.rosctr == Rosctr::JOB {
                items(q.pdu.param, &mut s.items, sink);
            }
            if let Some(pi) = &q.pi {
                for b in pi_blocks(pi.parameter) {
                    block_label(&b, s.blocks.next());
                    s.blocks.finish();
                }
            }
        }
        for facts in [req, resp.map(|(_, r)| r)].into_iter().flatten() {
            if facts.userdata.is_some_and(|p| p.group == 0x7)
                && let Some(d) = facts.data.filter(|d| d.payload.len() >= 10)
            {
                parse::write_clock(d.payload, &mut s.clock);
            }
        }
        let Some((dir, r)) = resp else {
            return;
        };
        match r.function {
            Some(Function::READ_VAR) if r.pdu.header.rosctr == Rosctr::ACK_DATA => {
                let count = r.item_count.map_or(0, usize::from);
                for item in parse::data_items(r.pdu.data, count) {
                    push_code(s, item.return_code);
                }
            }
            Some(Function::WRITE_VAR) if r.pdu.header.rosctr == Rosctr::ACK_DATA => {
                let count = r.item_count.map_or(0, usize::from);
                for &code in r.pdu.data.iter().take(count) {
                    push_code(s, code);
                }
            }
            _ => {}
        }
        let (Some(p), Some(d)) = (r.userdata, r.data) else {
            return;
        };
        let frag = &mut self.fragments[dir.index()];
        let key = (p.group, p.subfunction, p.continuation.map_or(0, |c| c.0));
        let continues = frag.key == Some(key);
        if !continues {
            frag.key = None;
            frag.data.clear();
            frag.count = 0;
        }
        let szl = p.group == 0x4 && p.subfunction == 0x01 && d.return_code == 0xff;
        if p.more_follows() {
            if frag.data.len() + d.payload.len() > MAX_USERDATA {
                let detail = format_args!("user data fragments exceed {MAX_USERDATA} octets");
                report(sink, PROTOCOL, "reassembly_overflow", None, &detail);
                frag.key = None;
                frag.data.clear();
                return;
            }
            let first = frag.data.is_empty();
            frag.key = Some(key);
            frag.data.extend_from_slice(d.payload);
            frag.count += 1;
            if szl && first {
                s.szl.decode(d.payload, false, sink);
            }
            return;
        }
        if szl {
            if continues && !frag.data.is_empty() {
                frag.data.extend_from_slice(d.payload);
                s.szl.decode(&frag.data, true, sink);
                s.szl.fragments = frag.count + 1;
            } else {
                s.szl.decode(d.payload, true, sink);
            }
        }
        frag.key = None;
        frag.data.clear();
        frag.count = 0;
    }

    /// Report what a response says about its sender.
    fn identify(&mut self, subject: Subject, r: &Facts<'_>, link: &Link, sink: &mut dyn EventSink) {
        // Whoever answers S7 jobs on port 102 is a controller (or its communication
        // processor); in a download the engineering station answers the PLC's jobs too.
        if r.pdu.header.rosctr == Rosctr::ACK_DATA
            && subject == Subject::Server
            && !self.plc_reported
        {
            self.plc_reported = true;
            identify(
                sink,
                PROTOCOL,
                subject,
                Attribute::DeviceType,
                "plc",
                Confidence::STRONG,
            );
        }
        if let Some(p) = r
            .userdata
            .filter(|p| p.group == 0 && p.kind == UserdataType::PUSH)
        {
            let mode = match p.subfunction {
                0x00 => Some("stop"),
                0x02 => Some("run"),
                0x01 | 0x03 | 0x06 => Some("startup"),
                0x04 => Some("hold"),
                _ => None,
            };
            if let Some(mode) = mode {
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
        let szl = &self.scratch.szl;
        let Some(id) = szl.id.filter(|_| szl.count > 0) else {
            return;
        };
        let stated = Confidence::STATED;
        let mut module_news = false;
        match id & 0xff {
            0x11 => {
                let order = module_text(szl, 0x0001).or_else(|| module_text(szl, 0x0006));
                let firmware = version_of(szl, 0x0007);
                let hardware = szl
                    .module_index
                    .iter()
                    .position(|&i| i == 0x0001)
                    .and_then(|p| szl.module_ausbg.get(p))
                    .filter(|&&v| v >> 8 == 0)
                    .map(|v| v.to_string());
                if let Some(order) = order.filter(|o| !o.is_empty()) {
                    identify(
                        sink,
                        PROTOCOL,
                        subject,
                        Attribute::OrderNumber,
                        order,
                        stated,
                    );
                    if siemens_order_number(order) {
                        identify(
                            sink,
                            PROTOCOL,
                            subject,
                            Attribute::Vendor,
                            "Siemens",
                            Confidence::STRONG,
                        );
                    }
                    set(&mut self.module.order_number, order);
                    module_news = true;
                }
                if let Some(fw) = firmware {
                    identify(sink, PROTOCOL, subject, Attribute::Firmware, fw, stated);
                    set(&mut self.module.firmware, fw);
                    module_news = true;
                }
                if let Some(hw) = hardware {
                    identify(
                        sink,
                        PROTOCOL,
                        subject,
                        Attribute::HardwareVersion,
                        &hw,
                        stated,
                    );
                    set(&mut self.module.hardware, &hw);
                }
            }
            0x1c => {
                let facts = [
                    (0x01, Attribute::Hostname),
                    (0x07, Attribute::Model),
                    (0x05, Attribute::Serial),
                    (0x0b, Attribute::Location),
                ];
                for (index, attribute) in facts {
                    identify(
                        sink,
                        PROTOCOL,
                        subject,
                        attribute,
                        szl.component(index),
                        stated,
                    );
                }
                let siemens =
                    szl.component(0x04).contains("Siemens") || szl.vendor_id == Some(0x002a);
                if siemens {
                    identify(
                        sink,
                        PROTOCOL,
                        subject,
                        Attribute::Vendor,
                        "Siemens",
                        stated,
                    );
                }
                let (model, serial) = (szl.component(0x07), szl.component(0x05));
                module_news = !model.is_empty() || !serial.is_empty();
                set(&mut self.module.model, model);
                set(&mut self.module.serial, serial);
            }
            0x24 => {
                if let Some(mode) = szl.mode.and_then(|m| szl_mode_name(m.mode)) {
                    identify(sink, PROTOCOL, subject, Attribute::PlcMode, mode, stated);
                }
            }
            _ => {}
        }
        if module_news {
            identify(
                sink,
                PROTOCOL,
                subject,
                Attribute::DeviceType,
                "plc",
                stated,
            );
            let address = link.s7_address();
            let m = &self.module;
            sink.emit(Event::Module(Module {
                protocol: PROTOCOL,
                subject,
                rack: address.map(|a| a.1),
                slot: address.map(|a| a.2),
                kind: "cpu",
                model: &m.model,
                order_number: &m.order_number,
                firmware: &m.firmware,
                hardware: &m.hardware,
                serial: &m.serial,
            }));
        }
    }
}

impl<'a> Facts<'a> {
    /// Read a PDU already reported on when it arrived.
    fn read_quiet(pdu: Pdu<'a>) -> Facts<'a> {
        struct Quiet;
        impl EventSink for Quiet {
            fn emit(&mut self, _: Event<'_>) {}
        }
        Facts::read(pdu, &mut Quiet)
    }
}

fn set(kept: &mut String, value: &str) {
    if !value.is_empty() {
        kept.clear();
        kept.push_str(value);
    }
}

/// Siemens order numbers (MLFB) of S7 controllers and their modules.
fn siemens_order_number(order: &str) -> bool {
    ["6ES7", "6ES5", "6AG1", "6ED1", "6GK"]
        .iter()
        .any(|p| order.starts_with(p))
}

/// The order number of the module identification record `index`.
fn module_text(szl: &SzlFacts, index: u64) -> Option<&str> {
    let p = szl.module_index.iter().position(|&i| i == index)?;
    szl.module_order.get(p)
}

/// The lettered version of the module identification record `index`.
fn version_of(szl: &SzlFacts, index: u64) -> Option<&str> {
    let p = szl.module_index.iter().position(|&i| i == index)?;
    szl.module_version.get(p).filter(|v| !v.is_empty())
}

fn push_code(s: &mut Scratch, code: u8) {
    s.return_codes.push(code.into());
    s.return_names.push(return_code_name(code));
}

/// Render the items of a read or write job into `out`.
fn items(param: &[u8], out: &mut TextList, sink: &mut dyn EventSink) {
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
fn block_label(b: &parse::BlockName<'_>, out: &mut String) {
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
fn kind(f: &Facts<'_>) -> &'static str {
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
fn activity(f: &Facts<'_>) -> Option<Activity> {
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

fn common_fields<'a>(f: &mut S7Fields<'a>, p: &Facts<'a>) {
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

fn request_fields<'a>(f: &mut S7Fields<'a>, q: &Facts<'a>, s: &'a Scratch) {
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
        f.push("pi_service", text_value(pi.service));
        if let Some(d) = pi_service_description(pi.service) {
            f.push("pi_service_description", Value::Str(d));
        }
        if !pi.parameter.is_empty() && s.blocks.len() == 0 {
            f.push("pi_parameter", text_value(pi.parameter));
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
        f.push("filename", text_value(name));
        if let Some(block) = name.get(1..).and_then(block_name) {
            f.push(
                "block_type",
                match block_type_name(block.block_type) {
                    Some(t) => Value::Str(t),
                    None => text_value(block.block_type),
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

fn response_fields<'a>(f: &mut S7Fields<'a>, r: &Facts<'a>, paired: bool, s: &'a Scratch) {
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

/// A PLC password request (security, subfunction 1) is a credential in all but cleartext:
/// its obfuscation is a fixed XOR. Report it about the PLC, accepted when the PLC says so.
fn password(q: &Facts<'_>, r: Option<&Facts<'_>>, sink: &mut dyn EventSink) {
    if q.userdata
        .is_none_or(|u| (u.group, u.subfunction) != (0x5, 0x01))
    {
        return;
    }
    let accepted = r.is_some_and(|r| {
        r.data.is_some_and(|d| d.return_code == 0xff)
            && r.userdata
                .and_then(|u| u.continuation)
                .is_none_or(|c| c.2 == 0)
    });
    let fields = [
        ("mechanism", Value::Str("s7_plc_password")),
        ("obfuscation", Value::Str("xor")),
        ("accepted", Value::Bool(accepted)),
    ];
    sink.emit(Event::Finding(Finding {
        protocol: PROTOCOL,
        kind: FindingKind::CleartextCredential,
        subject: Subject::Server,
        fields: Fields(&fields),
    }));
}

/// Show octets as text when they are UTF-8 (trailing NULs and blanks trimmed), else as hex.
fn text_value(bytes: &[u8]) -> Value<'_> {
    let end = bytes
        .iter()
        .rposition(|&b| b != 0 && b != b' ')
        .map_or(0, |i| i + 1);
    match std::str::from_utf8(&bytes[..end]) {
        Ok(s) => Value::Str(s),
        Err(_) => Value::Bytes(bytes),
    }
}
