//! DCP frames to events: one record per PDU, what a device says of itself as identity, and
//! every oddity an anomaly. Cyclic real-time frames are dropped after reading their frame id.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr};

use rampart_dissect::{
    Attribute, Confidence, Direction, Event, EventSink, FieldList, Frame, Mac, Record, Subject,
    Value, identify, report,
};
use rampart_event::Activity;

use super::message::{
    ServiceId, block_error_name, block_name, ip_info_name, is_dcp, option, role_hint, role_names,
    service_type_name,
};
use super::parse::{self, Block, Blocks, DcpError, Header};
use crate::label::{Label, named};
use crate::located::Located;

pub(super) const PROTOCOL: &str = "profinet_dcp";

/// How a block's data starts in this PDU (IEC 61158-6-10 §4.3.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prefix {
    /// BlockInfo: Identify and Get responses, Hello.
    Info,
    /// BlockQualifier: Set requests.
    Qualifier,
    /// Nothing: Identify filters, Set responses.
    None,
}

/// What the blocks of one PDU say.
#[derive(Debug, Default)]
struct Summary<'a> {
    blocks: Vec<(u8, u8)>,
    name_of_station: Option<&'a [u8]>,
    type_of_station: Option<&'a [u8]>,
    alias: Option<&'a [u8]>,
    device_id: Option<(u16, u16)>,
    oem_id: Option<(u16, u16)>,
    role: Option<u8>,
    instance: Option<(u16, u16)>,
    ip: Option<[Ipv4Addr; 3]>,
    ip_info: Option<u16>,
    mac: Option<Mac>,
    qualifier: Option<u16>,
    responses: Vec<(u8, u8, u8)>,
    controls: Vec<u8>,
    reset: Option<u16>,
    signal: Option<u16>,
    device_options: Vec<(u8, u8)>,
    dhcp: Vec<u64>,
    initiative: Option<u16>,
}

/// Parse one frame of EtherType 0x8892 and report it if it is DCP.
pub fn dissect(frame: &Frame<'_>, sink: &mut dyn EventSink) {
    match frame.payload {
        [hi, lo, ..] if is_dcp(u16::from_be_bytes([*hi, *lo])) => {}
        _ => return,
    }
    let (h, data, length_err) = match parse::header(frame.payload) {
        Ok(x) => x,
        Err(e) => return flag(sink, &e),
    };
    if let Some(e) = length_err {
        flag(sink, &e);
    }
    if h.service.name().is_none() {
        let detail = format_args!("service id {} is not assigned", h.service.0);
        report(sink, PROTOCOL, "unknown_service", Some(2), &detail);
    }
    if service_type_name(h.service_type).is_none() {
        let detail = format_args!("service type {} is not assigned", h.service_type);
        report(sink, PROTOCOL, "unknown_service_type", Some(3), &detail);
    }
    let mut s = Summary::default();
    if h.service == ServiceId::GET && !h.is_response() {
        // A Get request lists option/suboption pairs without lengths.
        for pair in data.chunks_exact(2).take(parse::MAX_BLOCKS) {
            if let [o, sub] = pair {
                s.blocks.push((*o, *sub));
            }
        }
    } else {
        let prefix = match (h.service, h.is_response()) {
            (ServiceId::IDENTIFY | ServiceId::GET, true) | (ServiceId::HELLO, _) => Prefix::Info,
            (ServiceId::SET, false) => Prefix::Qualifier,
            _ => Prefix::None,
        };
        for block in Blocks::new(data) {
            match block {
                Ok(b) => s.read(&b, prefix, sink),
                Err(e) => {
                    flag(sink, &e);
                    break;
                }
            }
        }
    }
    if let Some(problem) = s.name_of_station.and_then(parse::name_of_station_problem) {
        let name = s.name_of_station.map(parse::safe_text).unwrap_or_default();
        let detail = format_args!("name of station {name:?} {problem}");
        report(sink, PROTOCOL, "bad_name_of_station", None, &detail);
    }
    emit(frame, &h, &s, sink);
    let states_itself = h.service == ServiceId::HELLO
        || (h.service_type == 1 && matches!(h.service, ServiceId::IDENTIFY | ServiceId::GET));
    if states_itself {
        identify_sender(frame, &s, sink);
    }
}

fn flag(sink: &mut dyn EventSink, e: &DcpError) {
    report(sink, PROTOCOL, e.code(), Some(e.offset()), e);
}

impl<'a> Summary<'a> {
    /// Take one block's value.
    fn read(&mut self, b: &Block<'a>, prefix: Prefix, sink: &mut dyn EventSink) {
        self.blocks.push((b.option, b.suboption));
        if block_name(b.option, b.suboption).is_none() && b.option < 0x80 {
            let detail = format_args!(
                "option {} suboption {} is not assigned",
                b.option, b.suboption
            );
            report(sink, PROTOCOL, "unknown_block", Some(b.offset - 4), &detail);
        }
        if (b.option, b.suboption) == (option::CONTROL, 4) {
            // A Set response: option, suboption and error of the block it answers.
            match b.data {
                [o, sub, err, ..] => self.responses.push((*o, *sub, *err)),
                _ => short(b, 3, sink),
            }
            return;
        }
        let (head, value) = match prefix {
            Prefix::None => (None, b.data),
            Prefix::Info | Prefix::Qualifier => match parse::prefixed(b) {
                Ok((head, value)) => (Some(head), value),
                Err(e) => return flag(sink, &e),
            },
        };
        if prefix == Prefix::Qualifier && self.qualifier.is_none() {
            self.qualifier = head;
        }
        let at = b.offset + if head.is_some() { 2 } else { 0 };
        match (b.option, b.suboption) {
            (option::IP, 1) => match Mac::from_slice(value) {
                Some(mac) => self.mac = Some(mac),
                None => short(b, 6, sink),
            },
            (option::IP, 2 | 3) => match parse::ip_parameter(value, at) {
                Ok(ip) => {
                    self.ip = Some(ip);
                    if prefix == Prefix::Info {
                        self.ip_info = head;
                    }
                }
                Err(e) => flag(sink, &e),
            },
            (option::DEVICE, 1) => self.type_of_station = Some(value),
            (option::DEVICE, 2) => self.name_of_station = Some(value),
            (option::DEVICE, 3) => match parse::two_words(value, at) {
                Ok(ids) => self.device_id = Some(ids),
                Err(e) => flag(sink, &e),
            },
            (option::DEVICE, 4) => match value.first() {
                Some(&role) => self.role = Some(role),
                None => short(b, 1, sink),
            },
            (option::DEVICE, 5) => {
                for pair in value.chunks_exact(2).take(parse::MAX_BLOCKS) {
                    if let [o, sub] = pair {
                        self.device_options.push((*o, *sub));
                    }
                }
            }
            (option::DEVICE, 6) => self.alias = Some(value),
            (option::DEVICE, 7) => match value {
                [high, low, ..] => self.instance = Some(((*high).into(), (*low).into())),
                _ => short(b, 2, sink),
            },
            (option::DEVICE, 8) => match parse::two_words(value, at) {
                Ok(ids) => self.oem_id = Some(ids),
                Err(e) => flag(sink, &e),
            },
            (option::DHCP, code) => self.dhcp.push(code.into()),
            (option::CONTROL, sub) => {
                self.controls.push(sub);
                match sub {
                    5 | 6 => self.reset = head,
                    3 => {
                        self.signal = match value {
                            [hi, lo, ..] => Some(u16::from_be_bytes([*hi, *lo])),
                            _ => None,
                        }
                    }
                    _ => {}
                }
            }
            (option::INITIATIVE, 1) => {
                self.initiative = match value {
                    [hi, lo, ..] => Some(u16::from_be_bytes([*hi, *lo])),
                    _ => None,
                }
            }
            _ => {}
        }
    }

    /// Tell whether a Set request changes what the device is or where it is: its name, its
    /// addresses, DHCP, its alias, or a reset to factory settings.
    fn changes_configuration(&self) -> bool {
        self.name_of_station.is_some()
            || self.ip.is_some()
            || self.alias.is_some()
            || !self.dhcp.is_empty()
            || self.reset.is_some()
            || self.initiative.is_some()
            || self
                .blocks
                .iter()
                .any(|&(o, _)| o != option::CONTROL && o != option::ALL)
    }
}

/// Report a block whose value is shorter than its type needs.
fn short(b: &Block<'_>, needed: usize, sink: &mut dyn EventSink) {
    flag(
        sink,
        &Located::Truncated {
            field: block_name(b.option, b.suboption).unwrap_or("block"),
            offset: b.offset,
            needed,
            available: b.data.len(),
        },
    );
}

/// Name a block, or label it `0x80/0x01`.
fn block_label(o: u8, sub: u8) -> Label {
    match block_name(o, sub) {
        Some(name) => Label::new(format_args!("{name}")),
        None => Label::new(format_args!("{o:#04x}/{sub:#04x}")),
    }
}

fn emit(frame: &Frame<'_>, h: &Header, s: &Summary<'_>, sink: &mut dyn EventSink) {
    let service = named(h.service.name(), h.service.0.into());
    let service_type = named(service_type_name(h.service_type), h.service_type.into());
    let blocks: Vec<Label> = s
        .blocks
        .iter()
        .map(|&(o, sub)| block_label(o, sub))
        .collect();
    let blocks: Vec<&str> = blocks.iter().map(Label::as_str).collect();
    let options: Vec<Label> = s
        .device_options
        .iter()
        .map(|&(o, sub)| block_label(o, sub))
        .collect();
    let options: Vec<&str> = options.iter().map(Label::as_str).collect();
    let responses: Vec<Label> = s
        .responses
        .iter()
        .map(|&(o, sub, err)| {
            let error = named(block_error_name(err), err.into());
            Label::new(format_args!(
                "{}={}",
                block_label(o, sub).as_str(),
                error.as_str()
            ))
        })
        .collect();
    let responses: Vec<&str> = responses.iter().map(Label::as_str).collect();
    let roles: Vec<&str> = s.role.map(|r| role_names(r).collect()).unwrap_or_default();
    let controls: Vec<&str> = s
        .controls
        .iter()
        .map(|&sub| {
            block_name(option::CONTROL, sub)
                .map_or("unknown", |n| n.strip_prefix("control/").unwrap_or(n))
        })
        .collect();
    let texts = [
        ("name_of_station", s.name_of_station),
        ("type_of_station", s.type_of_station),
        ("alias_name", s.alias),
    ]
    .map(|(name, v)| (name, v.map(parse::safe_text)));
    let ip_info = s.ip_info.map(|i| named(ip_info_name(i), i.into()));

    let mut f: FieldList<'_, 48> = FieldList::default();
    f.push("frame_id", Value::U64(h.frame_id.into()));
    f.push("service_id", Value::U64(h.service.0.into()));
    f.push("service", Value::Str(service.as_str()));
    f.push("service_type", Value::U64(h.service_type.into()));
    f.push("service_type_name", Value::Str(service_type.as_str()));
    f.push("xid", Value::U64(h.xid.into()));
    if h.service == ServiceId::IDENTIFY && !h.is_response() {
        f.push("response_delay", Value::U64(h.delay.into()));
    }
    if !h.is_response() && matches!(h.service, ServiceId::GET | ServiceId::SET) {
        f.push("target_mac", Value::Mac(frame.dst));
    }
    f.push("blocks", Value::Strs(&blocks));
    for (name, value) in &texts {
        if let Some(v) = value {
            f.push(name, Value::Str(v));
        }
    }
    if let Some((vendor, device)) = s.device_id {
        f.push("vendor_id", Value::U64(vendor.into()));
        f.push("device_id", Value::U64(device.into()));
    }
    if let Some((vendor, device)) = s.oem_id {
        f.push("oem_vendor_id", Value::U64(vendor.into()));
        f.push("oem_device_id", Value::U64(device.into()));
    }
    if let Some(role) = s.role {
        f.push("device_role", Value::U64(role.into()));
        f.push("device_roles", Value::Strs(&roles));
    }
    if let Some((high, low)) = s.instance {
        f.push("device_instance", Value::U64((high << 8 | low).into()));
    }
    if let Some(mac) = s.mac {
        f.push("mac_address", Value::Mac(mac));
    }
    if let Some([ip, mask, gateway]) = s.ip {
        f.push("ip", Value::Ip(ip.into()));
        f.push("netmask", Value::Ip(mask.into()));
        f.push("gateway", Value::Ip(gateway.into()));
    }
    if let (Some(code), Some(name)) = (s.ip_info, &ip_info) {
        f.push("ip_block_info", Value::U64(code.into()));
        f.push("ip_status", Value::Str(name.as_str()));
    }
    if let Some(q) = s.qualifier {
        f.push("block_qualifier", Value::U64(q.into()));
        f.push("permanent", Value::Bool(q & 1 == 1));
    }
    if !controls.is_empty() {
        f.push("controls", Value::Strs(&controls));
    }
    if let Some(r) = s.reset {
        f.push("reset_qualifier", Value::U64(r.into()));
    }
    if let Some(v) = s.signal {
        f.push("signal_value", Value::U64(v.into()));
    }
    if !options.is_empty() {
        f.push("device_options", Value::Strs(&options));
    }
    if !s.dhcp.is_empty() {
        f.push("dhcp_options", Value::U64s(&s.dhcp));
    }
    if let Some(v) = s.initiative {
        f.push("device_initiative", Value::U64(v.into()));
    }
    if !responses.is_empty() {
        f.push("responses", Value::Strs(&responses));
        let failed = s.responses.iter().filter(|r| r.2 != 0).count();
        f.push("errors", Value::U64(failed as u64));
    }
    let activity = match (h.service, h.is_response()) {
        (ServiceId::IDENTIFY, false) => Some(Activity::Identify),
        (ServiceId::GET, false) => Some(Activity::Read),
        (ServiceId::SET, false) if s.changes_configuration() => Some(Activity::ConfigChange),
        _ => None,
    };
    let kind = h.service.name().unwrap_or("unknown_service");
    let direction = if h.is_response() {
        Direction::ToClient
    } else {
        Direction::ToServer
    };
    sink.emit(Event::Record(Record {
        protocol: PROTOCOL,
        kind,
        direction: Some(direction),
        activity,
        fields: f.fields(),
    }));
}

/// Report what a device says of itself in an Identify or Get response or a Hello: an address
/// binding of its MAC and IP address, its name, type and role.
fn identify_sender(frame: &Frame<'_>, s: &Summary<'_>, sink: &mut dyn EventSink) {
    let ip =
        s.ip.map(|[ip, ..]| ip)
            .filter(|ip| !ip.is_unspecified())
            .map(IpAddr::V4);
    let subject = match ip {
        Some(ip) => Subject::Host {
            mac: Some(frame.src),
            ip: Some(ip),
        },
        None => Subject::Client,
    };
    let say = |sink: &mut dyn EventSink, attribute, value: &str| {
        identify(
            sink,
            PROTOCOL,
            subject,
            attribute,
            value,
            Confidence::STATED,
        );
    };
    let name = s.name_of_station.map(parse::safe_text);
    if let Some(name) = name.as_deref() {
        say(sink, Attribute::Hostname, name);
    }
    let model: Option<Cow<'_, str>> = s.type_of_station.map(parse::safe_text);
    if let Some(model) = model.as_deref() {
        say(sink, Attribute::Model, model);
    }
    if let Some((_, device)) = s.device_id {
        say(
            sink,
            Attribute::ProductCode,
            Label::new(format_args!("{device:#06x}")).as_str(),
        );
    }
    if let Some((hint, role)) = s.role.and_then(role_hint) {
        say(sink, Attribute::DeviceType, hint);
        say(sink, Attribute::Role, role);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_event::CollectingSink;

    fn frame(payload: &[u8], dst: Mac) -> Frame<'_> {
        Frame {
            src: Mac([0x08, 0x00, 0x06, 0x93, 0xcf, 0x32]),
            dst,
            vlan: None,
            payload,
        }
    }

    /// A DCP PDU (IEC 61158-6-10 §4.3.1): frame id, service, type, xid 1, delay, blocks.
    fn pdu(frame_id: u16, service: u8, service_type: u8, blocks: &[u8]) -> Vec<u8> {
        let mut p = frame_id.to_be_bytes().to_vec();
        p.extend_from_slice(&[service, service_type, 0, 0, 0, 1, 0, 1]);
        p.extend_from_slice(&(blocks.len() as u16).to_be_bytes());
        p.extend_from_slice(blocks);
        p
    }

    const IDENTIFY_BLOCKS: &[u8] = &[
        0x02, 0x01, 0x00, 0x05, 0x00, 0x00, b'I', b'N', b'C', 0x00, // type of station "INC"
        0x02, 0x02, 0x00, 0x0b, 0x00, 0x00, b'x', b'2', b'0', b'8', b'-', b'b', b'o', b'r', b'd',
        0x00, // name of station "x208-bord", pad
        0x02, 0x03, 0x00, 0x06, 0x00, 0x00, 0x00, 0x2a, 0x0a,
        0x01, // vendor 0x2a device 0xa01
        0x02, 0x04, 0x00, 0x04, 0x00, 0x00, 0x02, 0x00, // role: IO-Controller
        0x01, 0x02, 0x00, 0x0e, 0x00, 0x01, 192, 168, 0, 6, 255, 255, 255, 0, 192, 168, 0,
        1, // IP set: 192.168.0.6/24 via .1
    ];

    #[test]
    fn identifies_the_responder_with_an_address_binding() {
        let mut sink = CollectingSink::default();
        let p = pdu(0xfeff, 5, 1, IDENTIFY_BLOCKS);
        dissect(&frame(&p, Mac::BROADCAST), &mut sink);
        let records = sink.matching("record profinet_dcp identify response");
        assert_eq!(records.len(), 1, "{:?}", sink.lines);
        assert!(records[0].contains(r#""name_of_station":"x208-bord","type_of_station":"INC","vendor_id":42,"device_id":2561,"device_role":2,"device_roles":["io_controller"],"ip":"192.168.0.6","netmask":"255.255.255.0","gateway":"192.168.0.1","ip_block_info":1,"ip_status":"ip_set""#), "{}", records[0]);
        let host = "Host { mac: Some(08:00:06:93:cf:32), ip: Some(192.168.0.6) }";
        assert_eq!(
            sink.matching("identity"),
            vec![
                format!("identity profinet_dcp {host} hostname x208-bord"),
                format!("identity profinet_dcp {host} model INC"),
                format!("identity profinet_dcp {host} product_code 0x0a01"),
                format!("identity profinet_dcp {host} device_type plc"),
                format!("identity profinet_dcp {host} role profinet io-controller"),
            ]
        );
    }

    #[test]
    fn reports_a_set_of_ip_as_a_config_change_to_its_target() {
        let mut sink = CollectingSink::default();
        let set = [
            0x01, 0x02, 0x00, 0x0e, 0x00, 0x01, 192, 168, 0, 10, 255, 255, 255, 0, 192, 168, 0,
            1, // IP parameter, qualifier permanent
        ];
        let p = pdu(0xfefd, 4, 0, &set);
        let target = Mac([0x08, 0, 6, 0x93, 0xcf, 0x32]);
        dissect(&frame(&p, target), &mut sink);
        let records = sink.matching("record profinet_dcp set request [config_change]");
        assert_eq!(records.len(), 1, "{:?}", sink.lines);
        assert!(records[0].contains(
            r#""target_mac":"08:00:06:93:cf:32","blocks":["ip/ip_parameter"],"ip":"192.168.0.10""#
        ));
        assert!(records[0].contains(r#""block_qualifier":1,"permanent":true"#));
        assert!(
            sink.matching("identity").is_empty(),
            "a proposed address is no identity"
        );
    }

    #[test]
    fn reports_a_hostile_name_of_station_safely() {
        let mut sink = CollectingSink::default();
        let mut blocks = vec![0x02, 0x02, 0x00, 0x0c, 0x00, 0x01]; // name of station, permanent
        blocks.extend_from_slice(b"%n%n%n \n\0\0");
        blocks.extend_from_slice(&[0x05, 0x02, 0x00, 0x02, 0x00, 0x00]); // end transaction
        let p = pdu(0xfefd, 4, 0, &blocks);
        dissect(&frame(&p, Mac::BROADCAST), &mut sink);
        assert_eq!(sink.anomalies("bad_name_of_station"), 1);
        let records = sink.matching("record profinet_dcp set request [config_change]");
        assert!(
            records[0].contains(r#""name_of_station":"%n%n%n \\x0a""#),
            "{}",
            records[0]
        );
        assert!(records[0].contains(r#""controls":["end_transaction"]"#));
    }

    #[test]
    fn reports_set_responses_and_identify_filters() {
        let mut sink = CollectingSink::default();
        let response = [0x05, 0x04, 0x00, 0x03, 0x01, 0x02, 0x05, 0x00]; // ip/ip: error 5, pad
        dissect(
            &frame(&pdu(0xfefd, 4, 1, &response), Mac::BROADCAST),
            &mut sink,
        );
        assert!(
            sink.matching("record profinet_dcp set response")[0].contains(
                r#""responses":["ip/ip_parameter=set_not_possible_local_reasons"],"errors":1"#
            )
        );
        let filter = [
            0x02, 0x02, 0x00, 0x07, b's', b'w', b'i', b't', b'c', b'h', b'3', 0x00,
        ];
        dissect(
            &frame(&pdu(0xfefe, 5, 0, &filter), Mac::BROADCAST),
            &mut sink,
        );
        let requests = sink.matching("record profinet_dcp identify request [identify]");
        assert!(requests[0].contains(r#""response_delay":1,"blocks":["device/name_of_station"],"name_of_station":"switch3""#), "{}", requests[0]);
        assert!(sink.matching("identity").is_empty());
    }

    #[test]
    fn classifies_factory_resets_signals_gets_and_hellos() {
        let mut sink = CollectingSink::default();
        let reset = [0x05, 0x06, 0x00, 0x02, 0x00, 0x04]; // reset to factory, mode 4
        dissect(
            &frame(&pdu(0xfefd, 4, 0, &reset), Mac::BROADCAST),
            &mut sink,
        );
        let resets = sink.matching("record profinet_dcp set request [config_change]");
        assert!(
            resets[0].contains(r#""controls":["reset_to_factory"],"reset_qualifier":4"#),
            "{}",
            resets[0]
        );
        let signal = [0x05, 0x03, 0x00, 0x04, 0x00, 0x00, 0x01, 0x00]; // flash once
        dissect(
            &frame(&pdu(0xfefd, 4, 0, &signal), Mac::BROADCAST),
            &mut sink,
        );
        let signals = sink.matching("record profinet_dcp set request {");
        assert!(
            signals[0].contains(r#""signal_value":256"#),
            "{}",
            signals[0]
        );
        let get = [0x02, 0x02, 0x01, 0x02]; // name of station, IP parameter
        dissect(&frame(&pdu(0xfefd, 3, 0, &get), Mac::BROADCAST), &mut sink);
        let gets = sink.matching("record profinet_dcp get request [read]");
        assert!(
            gets[0].contains(r#""blocks":["device/name_of_station","ip/ip_parameter"]"#),
            "{}",
            gets[0]
        );
        dissect(
            &frame(&pdu(0xfefc, 6, 0, IDENTIFY_BLOCKS), Mac::BROADCAST),
            &mut sink,
        );
        assert_eq!(
            sink.matching("record profinet_dcp hello request {").len(),
            1
        );
        assert_eq!(
            sink.matching("identity").len(),
            5,
            "a Hello states who sends it"
        );
    }

    #[test]
    fn ignores_cyclic_frames_and_survives_garbage() {
        let mut sink = CollectingSink::default();
        dissect(&frame(&[0x80, 0x00, 1, 2, 3, 4], Mac::BROADCAST), &mut sink);
        assert!(sink.lines.is_empty());
        dissect(&frame(&[0xfe, 0xfe, 5], Mac::BROADCAST), &mut sink);
        assert_eq!(sink.anomalies("truncated"), 1);
        let mut p = pdu(0xfeff, 9, 7, &[0x02, 0x02, 0x00, 0x40, 0x00]);
        dissect(&frame(&p, Mac::BROADCAST), &mut sink);
        assert_eq!(sink.anomalies("unknown_service"), 1);
        assert_eq!(sink.anomalies("unknown_service_type"), 1);
        assert_eq!(sink.anomalies("bad_length"), 1);
        p.truncate(14);
        dissect(&frame(&p, Mac::BROADCAST), &mut sink);
        assert_eq!(sink.anomalies("bad_length"), 2);
    }
}
