//! S7comm PDUs to events: jobs paired with their acknowledgements by PDU reference, user data
//! requests with their responses (fragmented responses reassembled), SZL identification as
//! identity and module events.

use rampart_dissect::{
    Attribute, Confidence, Direction, Dissector, Event, EventSink, Feed, Fields, Finding,
    FindingKind, Subject, Value, identify, report,
};
use rampart_event::Module;

use super::PROTOCOL;
use super::message::{Function, Rosctr, UserdataType, szl_mode_name};
use super::parse::{self, pi_blocks};
use super::record::{
    Facts, S7Fields, Scratch, SzlFacts, activity, block_label, common_fields, items, kind,
    push_code, request_fields, response_fields,
};
use crate::cotp::{CotpStream, Link};
use crate::outstanding::{Displaced, Outstanding, Request};
use crate::value::emit_record;
use crate::watched::Watched;

/// User data reassembled from response fragments, per direction.
const MAX_USERDATA: usize = 64 * 1024;

/// What a response carries to match its request: the PDU reference, and whether it is
/// user data (jobs and user data number their PDUs apart).
type Key = (u16, bool);

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
    outstanding: Outstanding<Key>,
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
                outstanding: Outstanding::new(max_transactions),
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
        while let Some(p) = self.state.outstanding.oldest() {
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
        let is_response = matches!(rosctr, Rosctr::ACK | Rosctr::ACK_DATA)
            || facts
                .userdata
                .is_some_and(|p| p.kind == UserdataType::RESPONSE);
        let key = (pdu.header.pdu_ref, rosctr == Rosctr::USERDATA);
        match is_response
            .then(|| self.outstanding.answer(dir, key))
            .flatten()
        {
            Some(p) => {
                if let Ok(req) = parse::pdu(&p.bytes) {
                    let req = Facts::read_quiet(req);
                    self.transaction(Some(&req), Some((dir, &facts)), None, link, sink);
                }
                self.outstanding.recycle(p.bytes);
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
        let key = (pdu_ref, facts.pdu.header.rosctr == Rosctr::USERDATA);
        for (why, old) in self.outstanding.keep(dir, key, bytes).into_iter().flatten() {
            match why {
                Displaced::Reused => {
                    let detail = format_args!("PDU reference {pdu_ref} reused before its response");
                    report(sink, PROTOCOL, "duplicate_pdu_reference", Some(4), &detail);
                }
                Displaced::Evicted if self.outstanding.limit() > 0 => {
                    let detail = format_args!(
                        "more than {} unanswered requests; forgot PDU reference {}",
                        self.outstanding.limit(),
                        old.key.0
                    );
                    report(sink, PROTOCOL, "too_many_transactions", None, &detail);
                }
                Displaced::Evicted => {}
            }
            self.unanswered(old, link, sink);
        }
    }

    /// Report a request that got no response, as a record of its own.
    fn unanswered(&mut self, p: Request<Key>, link: &Link, sink: &mut dyn EventSink) {
        if let Ok(req) = parse::pdu(&p.bytes) {
            let req = Facts::read_quiet(req);
            self.transaction(Some(&req), None, Some(p.dir), link, sink);
        }
        self.outstanding.recycle(p.bytes);
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
            emit_record(sink, PROTOCOL, kind, direction, activity, &f);
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
        let polled = req.filter(|q| q.item_count.is_some() && q.pdu.header.rosctr == Rosctr::JOB);
        render_items(s, polled.map(|q| q.pdu.param), sink);
        s.return_codes.clear();
        s.return_names.clear();
        s.blocks.clear();
        s.clock.clear();
        s.szl.clear();
        if let Some(pi) = req.and_then(|q| q.pi.as_ref()) {
            for b in pi_blocks(pi.parameter) {
                block_label(&b, s.blocks.next());
                s.blocks.finish();
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
                // The manufacturer id (index 9) is a PROFINET vendor id, kept as a number in the
                // record; the copyright text names the maker.
                let siemens = szl.component(0x04).contains("Siemens");
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

/// Render the items of a request's `param` into `s.items`, unless they are the ones rendered
/// last time; `None` when the request has no items.
fn render_items(s: &mut Scratch, param: Option<&[u8]>, sink: &mut dyn EventSink) {
    let Some(param) = param else {
        s.items.clear();
        s.items_current = false;
        return;
    };
    if s.items_current && s.items_of == param {
        return;
    }
    s.items.clear();
    let mut watched = Watched::new(sink);
    items(param, &mut s.items, &mut watched);
    s.items_current = !watched.said();
    s.items_of.clear();
    s.items_of.extend_from_slice(param);
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_event::CollectingSink;

    use crate::cotp::test_dt as dt;

    /// An S7comm PDU: protocol id, ROSCTR, redundancy id, PDU reference, lengths, and for
    /// ack and ack_data the error class and code (zero), then parameter and data.
    fn pdu(rosctr: u8, pdu_ref: u16, param: &[u8], data: &[u8]) -> Vec<u8> {
        let mut p = vec![0x32, rosctr, 0x00, 0x00];
        p.extend_from_slice(&pdu_ref.to_be_bytes());
        p.extend_from_slice(&u16::try_from(param.len()).expect("small").to_be_bytes());
        p.extend_from_slice(&u16::try_from(data.len()).expect("small").to_be_bytes());
        if rosctr == 2 || rosctr == 3 {
            p.extend_from_slice(&[0x00, 0x00]);
        }
        p.extend_from_slice(param);
        p.extend_from_slice(data);
        dt(&p)
    }

    /// A CR to rack 0, slot 2 (called TSAP 01.02), and its CC.
    fn handshake() -> [(Direction, Vec<u8>); 2] {
        let cr = [
            0x03, 0x00, 0x00, 0x16, // TPKT
            0x11, 0xe0, 0x00, 0x00, 0x00, 0x07, 0x00, // CR, source reference 7, class 0
            0xc1, 0x02, 0x01, 0x00, 0xc2, 0x02, 0x01, 0x02, 0xc0, 0x01, 0x0a, // TSAPs, size
        ];
        let cc = [
            0x03, 0x00, 0x00, 0x16, // TPKT
            0x11, 0xd0, 0x00, 0x07, 0x00, 0x03, 0x00, // CC
            0xc0, 0x01, 0x0a, 0xc1, 0x02, 0x01, 0x00, 0xc2, 0x02, 0x01, 0x02,
        ];
        [
            (Direction::ToServer, cr.to_vec()),
            (Direction::ToClient, cc.to_vec()),
        ]
    }

    fn run(d: &mut S7Dissector, chunks: &[(Direction, Vec<u8>)]) -> CollectingSink {
        let mut sink = CollectingSink::default();
        for (dir, bytes) in chunks {
            assert_eq!(d.feed(*dir, bytes, &mut sink), Feed::Consumed(bytes.len()));
        }
        d.close(&mut sink);
        sink
    }

    const SETUP: &[u8] = &[0xf0, 0x00, 0x00, 0x01, 0x00, 0x01, 0x01, 0xe0]; // AmQ 1/1, PDU 480

    #[test]
    fn pairs_jobs_with_their_ack_data_by_pdu_reference() {
        let read = [
            0x04, 0x01, // read var, one item
            0x12, 0x0a, 0x10, 0x02, 0x00, 0x02, 0x00, 0x05, 0x84, 0x00, 0x00,
            0x40, // DB5.DBB8, 2 bytes
        ];
        let value = [0xff, 0x04, 0x00, 0x10, 0xbe, 0xef]; // success, 16 bits
        let mut d = S7Dissector::new(8);
        let [cr, cc] = handshake();
        let sink = run(
            &mut d,
            &[
                cr,
                cc,
                (Direction::ToServer, pdu(1, 0x0100, SETUP, &[])),
                (Direction::ToServer, pdu(1, 0x0200, &read, &[])),
                (Direction::ToClient, pdu(3, 0x0100, SETUP, &[])),
                (Direction::ToClient, pdu(3, 0x0200, &[0x04, 0x01], &value)),
            ],
        );
        let records = sink.matching("record s7comm");
        assert!(records[0].starts_with("record s7comm cotp_connect transaction"));
        assert!(records[1].starts_with("record s7comm setup_communication transaction [session]"));
        assert!(
            records[1].contains(r#""pdu_length":480,"response_rosctr":3"#),
            "{}",
            records[1]
        );
        assert_eq!(
            records[2],
            r#"record s7comm read_var transaction [read] {"rosctr":1,"rosctr_name":"job","pdu_reference":512,"param_length":14,"data_length":0,"function_code":4,"function":"read_var","item_count":1,"items":["P#DB5.DBX8.0 BYTE 2"],"response_rosctr":3,"response_rosctr_name":"ack_data","response_function_code":4,"error_class":0,"error_class_name":"no_error","error_code":0,"return_codes":[255],"return_code_names":["success"]}"#
        );
        assert_eq!(
            sink.matching("identity"),
            vec!["identity s7comm Server device_type plc"]
        );
    }

    /// A poll repeated, then another: the items rendered for the first serve the repeat only,
    /// and items that drew an anomaly are read (and reported) again each time.
    #[test]
    fn a_repeated_poll_names_its_items_like_the_first() {
        let db5 = [
            0x04, 0x01, 0x12, 0x0a, 0x10, 0x02, 0x00, 0x02, 0x00, 0x05, 0x84, 0x00, 0x00, 0x40,
        ];
        let db6 = [
            0x04, 0x01, 0x12, 0x0a, 0x10, 0x02, 0x00, 0x02, 0x00, 0x06, 0x84, 0x00, 0x00, 0x40,
        ];
        let short = [0x04, 0x01, 0x12, 0x0a, 0x10]; // the item stops after its length
        let mut chunks = Vec::new();
        for (n, param) in [&db5[..], &db5, &db6, &short, &short]
            .into_iter()
            .enumerate()
        {
            let reference = u16::try_from(n).expect("small");
            chunks.push((Direction::ToServer, pdu(1, reference, param, &[])));
        }
        let mut d = S7Dissector::new(8);
        let sink = run(&mut d, &chunks);
        let items: Vec<&str> = sink
            .matching("record s7comm read_var")
            .iter()
            .map(|r| &r[r.find(r#""items""#).unwrap_or(0)..])
            .map(|r| &r[..r.find(']').map_or(0, |e| e + 1)])
            .collect();
        assert_eq!(
            items,
            vec![
                r#""items":["P#DB5.DBX8.0 BYTE 2"]"#,
                r#""items":["P#DB5.DBX8.0 BYTE 2"]"#,
                r#""items":["P#DB6.DBX8.0 BYTE 2"]"#,
                r#""items":[]"#,
                r#""items":[]"#,
            ],
            "{:?}",
            sink.lines
        );
        assert_eq!(sink.matching("anomaly").len(), 2, "{:?}", sink.lines);
    }

    #[test]
    fn pairs_a_download_block_job_the_plc_sends() {
        let mut job = vec![0x1b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09];
        job.extend_from_slice(b"_0800001P"); // OB 1, passive file system
        let data = [0x00, 0x02, 0x00, 0xfb, 0x70, 0x70]; // 2 block octets
        let mut d = S7Dissector::new(8);
        let sink = run(
            &mut d,
            &[
                (Direction::ToClient, pdu(1, 7, &job, &[])),
                (Direction::ToServer, pdu(3, 7, &[0x1b, 0x00], &data)),
            ],
        );
        let records = sink.matching("record s7comm download_block transaction [program_download]");
        assert_eq!(records.len(), 1);
        assert!(
            records[0].contains(r#""block_type":"OB","block_number":1,"filesystem":"passive""#)
        );
        assert!(records[0].contains(r#""more_data":false,"block_data_length":2"#));
        assert!(
            sink.matching("identity").is_empty(),
            "the station answering is no PLC"
        );
    }

    /// A read SZL response (user data, CPU functions, subfunction 1) carrying `payload`.
    fn szl_response(pdu_ref: u16, unit: u8, last: bool, payload: &[u8]) -> Vec<u8> {
        let param = [
            0x00,
            0x01,
            0x12,
            0x08,
            0x12,
            0x84,
            0x01,
            0x01, // head, response, CPU, read SZL
            unit,
            if last { 0x00 } else { 0x01 },
            0x00,
            0x00, // data unit, last, no error
        ];
        let mut data = vec![0xff, 0x09];
        data.extend_from_slice(&u16::try_from(payload.len()).expect("small").to_be_bytes());
        data.extend_from_slice(payload);
        pdu(7, pdu_ref, &param, &data)
    }

    const SZL_REQUEST: &[u8] = &[0x00, 0x01, 0x12, 0x04, 0x11, 0x44, 0x01, 0x00];

    #[test]
    fn reassembles_a_fragmented_szl_response_into_module_identity() {
        let mut list = vec![0x00, 0x11, 0x00, 0x00, 0x00, 0x1c, 0x00, 0x02]; // 0x0011, 2 × 28
        list.extend_from_slice(&[0x00, 0x01]);
        list.extend_from_slice(b"6ES7 315-2EH14-0AB0 ");
        list.extend_from_slice(&[0x00, 0xc0, 0x00, 0x03, 0x00, 0x01]); // module version 3
        list.extend_from_slice(&[0x00, 0x07]);
        list.extend_from_slice(&[b' '; 20]);
        list.extend_from_slice(&[0x00, 0xc0, 0x56, 0x03, 0x02, 0x07]); // V3.2.7
        let (first, second) = list.split_at(40);
        let ask = [0xff, 0x09, 0x00, 0x04, 0x00, 0x11, 0x00, 0x00]; // SZL 0x0011 index 0
        let more = [
            0x00, 0x01, 0x12, 0x08, 0x12, 0x44, 0x01, 0x01, 0x05, 0x00, 0x00, 0x00,
        ];
        let mut d = S7Dissector::new(8);
        let [cr, cc] = handshake();
        let sink = run(
            &mut d,
            &[
                cr,
                cc,
                (Direction::ToServer, pdu(7, 0x0300, SZL_REQUEST, &ask)),
                (Direction::ToClient, szl_response(0x0300, 5, false, first)),
                (
                    Direction::ToServer,
                    pdu(7, 0x0400, &more, &[0x0a, 0x00, 0x00, 0x00]),
                ),
                (Direction::ToClient, szl_response(0x0400, 5, true, second)),
            ],
        );
        let records = sink.matching("record s7comm read_szl transaction [identify]");
        assert_eq!(records.len(), 2);
        assert!(
            !records[0].contains("order_numbers"),
            "the first fragment alone"
        );
        assert!(
            records[1].contains(r#""szl_fragments":2,"module_indexes":[1,7],"order_numbers":["6ES7 315-2EH14-0AB0",""]"#),
            "{}",
            records[1]
        );
        assert_eq!(
            sink.matching("identity"),
            vec![
                "identity s7comm Server order_number 6ES7 315-2EH14-0AB0",
                "identity s7comm Server vendor Siemens",
                "identity s7comm Server firmware V3.2.7",
                "identity s7comm Server hardware_version 3",
                "identity s7comm Server device_type plc",
            ]
        );
        assert_eq!(
            sink.matching("module"),
            vec![
                "module s7comm Server rack=0 slot=2 kind=cpu model= order=6ES7 315-2EH14-0AB0 fw=V3.2.7 hw=3 serial="
            ]
        );
    }

    #[test]
    fn reports_the_mode_a_plc_states() {
        // SZL 0x0424 record: event 0x4302, ae, bzu-id 0x84 (now STOP internal, before RUN).
        let mut list = vec![0x04, 0x24, 0x00, 0x00, 0x00, 0x14, 0x00, 0x01];
        list.extend_from_slice(&[0x43, 0x02, 0xff, 0x84]);
        list.extend_from_slice(&[0; 16]);
        let push = [0x01, 0x00, 0x10, 0x10, 0x00, 0x00, 0x02, 0x00]; // mode transition: RUN
        let mut d = S7Dissector::new(8);
        let sink = run(
            &mut d,
            &[
                (
                    Direction::ToServer,
                    pdu(
                        7,
                        9,
                        SZL_REQUEST,
                        &[0xff, 0x09, 0x00, 0x04, 0x04, 0x24, 0x00, 0x00],
                    ),
                ),
                (Direction::ToClient, szl_response(9, 0, true, &list)),
                (Direction::ToClient, pdu(7, 0, &push, &[])),
            ],
        );
        assert_eq!(
            sink.matching("identity"),
            vec![
                "identity s7comm Server plc_mode stop",
                "identity s7comm Server plc_mode run"
            ]
        );
        assert!(
            sink.matching("record")[0].contains(r#""cpu_mode":"stop","previous_cpu_mode":"run""#)
        );
        assert!(
            sink.matching("record")[1].starts_with(r#"record s7comm mode_transition response {"#)
        );
    }

    #[test]
    fn classifies_plc_stop_start_and_block_deletion() {
        let mut stop = vec![0x29, 0, 0, 0, 0, 0, 0x09];
        stop.extend_from_slice(b"P_PROGRAM");
        let mut cold = vec![0x28, 0, 0, 0, 0, 0, 0, 0xfd, 0x00, 0x02, b'C', b' ', 0x09];
        cold.extend_from_slice(b"P_PROGRAM");
        let mut delete = vec![0x28, 0, 0, 0, 0, 0, 0, 0xfd, 0x00, 0x0a, 0x01, 0x00];
        delete.extend_from_slice(b"0E00004P");
        delete.push(0x05);
        delete.extend_from_slice(b"_DELE");
        let mut d = S7Dissector::new(8);
        let sink = run(
            &mut d,
            &[
                (Direction::ToServer, pdu(1, 1, &stop, &[])),
                (Direction::ToServer, pdu(1, 2, &cold, &[])),
                (Direction::ToServer, pdu(1, 3, &delete, &[])),
            ],
        );
        let records = sink.matching("record");
        assert!(records[0].starts_with("record s7comm plc_stop request [plc_stop]"));
        assert!(records[1].starts_with("record s7comm plc_control request [restart]"));
        assert!(
            records[1].contains(r#""pi_parameter":"C","start_type":"cold""#),
            "{}",
            records[1]
        );
        assert!(records[2].starts_with("record s7comm plc_control request [program_delete]"));
        assert!(records[2].contains(r#""blocks":["FB4"]"#));
    }

    #[test]
    fn forgets_the_oldest_request_beyond_the_transaction_limit() {
        let mut d = S7Dissector::new(2);
        let jobs: Vec<_> = (1..=3)
            .map(|r| (Direction::ToServer, pdu(1, r, SETUP, &[])))
            .collect();
        let sink = run(&mut d, &jobs);
        assert_eq!(sink.anomalies("too_many_transactions"), 1);
        let records = sink.matching("record s7comm setup_communication request");
        assert_eq!(records.len(), 3, "the forgotten one, then two at close");
        assert!(records[0].contains(r#""pdu_reference":1,"#));
    }

    #[test]
    fn reports_a_plc_password_as_a_credential() {
        let param = [0x00, 0x01, 0x12, 0x04, 0x11, 0x45, 0x01, 0x00]; // request, security, password
        let data = [
            0xff, 0x09, 0x00, 0x08, 0x34, 0x37, 0x75, 0x75, 0x75, 0x75, 0x75, 0x75,
        ];
        let answer = [
            0x00, 0x01, 0x12, 0x08, 0x12, 0x85, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
        ];
        let mut d = S7Dissector::new(8);
        let sink = run(
            &mut d,
            &[
                (Direction::ToServer, pdu(7, 4, &param, &data)),
                (
                    Direction::ToClient,
                    pdu(7, 4, &answer, &[0xff, 0x09, 0x00, 0x00]),
                ),
            ],
        );
        assert!(
            sink.matching("record")[0]
                .starts_with("record s7comm plc_password transaction [authentication]")
        );
        assert_eq!(
            sink.matching("finding"),
            vec![
                r#"finding s7comm cleartext_credential Server {"mechanism":"s7_plc_password","obfuscation":"xor","accepted":true}"#
            ]
        );
    }

    #[test]
    fn reports_malformed_pdus_and_keeps_going() {
        let mut bad_lengths = pdu(1, 1, SETUP, &[]);
        bad_lengths[14] = 0x40; // parameter length 0x4008
        let mut d = S7Dissector::new(8);
        let sink = run(
            &mut d,
            &[
                (Direction::ToServer, dt(&[0x72, 0x01, 0x00, 0x00])),
                (Direction::ToServer, bad_lengths),
                (Direction::ToServer, pdu(1, 2, &[0x04, 0x01, 0x11], &[])),
                (Direction::ToServer, pdu(0x09, 3, &[], &[])),
            ],
        );
        assert_eq!(sink.anomalies("bad_protocol_id"), 1);
        assert_eq!(sink.anomalies("bad_length"), 1);
        assert_eq!(sink.anomalies("bad_item"), 1);
        assert_eq!(sink.anomalies("unknown_rosctr"), 1);
        assert!(
            sink.matching("record s7comm read_var request [read]")[0].contains(r#""items":[]"#)
        );
    }
}
