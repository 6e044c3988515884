//! LLDPDUs to events: problems as anomalies, one `advertisement` record, and what the sender
//! says about itself as identity observations.

use std::borrow::Cow;

use arrayvec::{ArrayString, ArrayVec};
use rampart_dissect::{
    Attribute, Confidence, Event, EventSink, FieldList, Frame, Record, Subject, Value, report, text,
};

use super::message::{
    Address, CAP_BRIDGE, CAP_DOCSIS, CAP_REPEATER, CAP_ROUTER, CAP_TELEPHONE, CAP_WLAN_AP, Id,
    IdValue, Lldpdu, MAX_MANAGEMENT, MAX_ORG, OrgTlv, capability_names,
};
use super::parse;
use crate::label::hex_digit;
use crate::sysdescr;

const PROTOCOL: &str = "lldp";

/// Parse one LLDP frame and report it.
pub fn dissect(frame: &Frame<'_>, sink: &mut dyn EventSink) {
    let mut problems = Vec::new();
    let du = parse::parse(frame.payload, &mut problems);
    for p in &problems {
        report(sink, PROTOCOL, p.code(), p.offset(), p);
    }
    if du == Lldpdu::default() {
        return;
    }
    emit_record(&du, sink);
    emit_identities(&du, sink);
}

/// Render an address as a field value.
fn address_value(a: Address<'_>) -> Value<'_> {
    match a {
        Address::Ip(ip) => Value::Ip(ip),
        Address::Mac(mac) => Value::Mac(mac),
        Address::Other { bytes, .. } => Value::Bytes(bytes),
    }
}

/// Decode a textual identifier; other kinds render without text.
fn id_text<'a>(id: &Id<'a>) -> Option<Cow<'a, str>> {
    match id.value {
        IdValue::Text(bytes) => Some(text(bytes)),
        _ => None,
    }
}

/// Render an identifier as a field value, given its decoded text.
fn id_value<'a>(id: &Id<'a>, decoded: Option<&'a str>) -> Value<'a> {
    match id.value {
        IdValue::Mac(mac) => Value::Mac(mac),
        IdValue::Address(a) => address_value(a),
        IdValue::Text(_) => Value::Str(decoded.unwrap_or_default()),
        IdValue::Raw(bytes) => Value::Bytes(bytes),
    }
}

fn emit_record(du: &Lldpdu<'_>, sink: &mut dyn EventSink) {
    let chassis_text = du.chassis_id.as_ref().and_then(id_text);
    let port_text = du.port_id.as_ref().and_then(id_text);
    let strings = [
        ("port_description", du.port_description),
        ("system_name", du.system_name),
        ("system_description", du.system_description),
    ]
    .map(|(name, bytes)| (name, bytes.map(text)));
    let capabilities = du
        .capabilities
        .map(|c| (capability_names(c.system), capability_names(c.enabled)));
    let addresses: ArrayVec<Value<'_>, MAX_MANAGEMENT> = du
        .management
        .iter()
        .map(|m| address_value(m.address))
        .collect();
    let interfaces: ArrayVec<u64, MAX_MANAGEMENT> =
        du.management.iter().map(|m| m.if_number.into()).collect();
    let inv = &du.inventory;
    let inventory = [
        ("hardware_revision", inv.hardware_revision),
        ("firmware_revision", inv.firmware_revision),
        ("software_revision", inv.software_revision),
        ("serial_number", inv.serial_number),
        ("manufacturer", inv.manufacturer),
        ("model_name", inv.model_name),
        ("asset_id", inv.asset_id),
    ]
    .map(|(name, bytes)| (name, bytes.map(text)));
    let org: ArrayVec<OrgLabel, MAX_ORG> = du.org.iter().map(org_label).collect();
    let org: ArrayVec<&str, MAX_ORG> = org.iter().map(|l| l.as_str()).collect();

    let mut fields: FieldList<'_, 40> = FieldList::default();
    if let Some(id) = &du.chassis_id {
        fields.push("chassis_id_subtype", Value::U64(id.subtype.into()));
        fields.push("chassis_id", id_value(id, chassis_text.as_deref()));
    }
    if let Some(id) = &du.port_id {
        fields.push("port_id_subtype", Value::U64(id.subtype.into()));
        fields.push("port_id", id_value(id, port_text.as_deref()));
    }
    if let Some(ttl) = du.ttl {
        fields.push("ttl", Value::U64(ttl.into()));
    }
    for (name, value) in &strings {
        if let Some(v) = value {
            fields.push(name, Value::Str(v));
        }
    }
    if let Some((system, enabled)) = &capabilities {
        fields.push("capabilities", Value::Strs(system));
        fields.push("enabled_capabilities", Value::Strs(enabled));
    }
    if !addresses.is_empty() {
        fields.push("management_addresses", Value::List(&addresses));
        fields.push("management_interfaces", Value::U64s(&interfaces));
    }
    if let Some(vlan) = du.port_vlan_id {
        fields.push("port_vlan_id", Value::U64(vlan.into()));
    }
    if let Some(m) = du.mac_phy {
        fields.push("autoneg_supported", Value::Bool(m.autoneg & 1 != 0));
        fields.push("autoneg_enabled", Value::Bool(m.autoneg & 2 != 0));
        fields.push("mau_type", Value::U64(m.mau_type.into()));
    }
    for (name, value) in &inventory {
        if let Some(v) = value {
            fields.push(name, Value::Str(v));
        }
    }
    if !org.is_empty() {
        fields.push("org_tlvs", Value::Strs(&org));
    }
    sink.emit(Event::Record(Record {
        protocol: PROTOCOL,
        kind: "advertisement",
        direction: None,
        activity: None,
        fields: fields.fields(),
    }));
}

/// An organisationally specific TLV's label, `00:80:c2/1`: at most twelve bytes.
type OrgLabel = ArrayString<12>;

fn org_label(o: &OrgTlv) -> OrgLabel {
    let mut label = OrgLabel::new();
    for (i, &b) in o.oui.iter().enumerate() {
        if i > 0 {
            label.push(':');
        }
        label.push(hex_digit(b >> 4));
        label.push(hex_digit(b));
    }
    label.push('/');
    label.push_str(itoa::Buffer::new().format(o.subtype));
    label
}

/// Report one observation about the frame's sender, unless the value is empty.
fn identify(sink: &mut dyn EventSink, attribute: Attribute, value: &str, confidence: Confidence) {
    rampart_dissect::identify(
        sink,
        PROTOCOL,
        Subject::Client,
        attribute,
        value,
        confidence,
    );
}

/// Guess a device type from capability bits: a phone or access point also bridges, and a
/// layer-3 switch also routes, so the more specific role wins.
fn device_type(bits: u16) -> Option<&'static str> {
    Some(if bits & CAP_TELEPHONE != 0 {
        "phone"
    } else if bits & CAP_WLAN_AP != 0 {
        "access_point"
    } else if bits & CAP_BRIDGE != 0 {
        "switch"
    } else if bits & CAP_ROUTER != 0 {
        "router"
    } else if bits & CAP_DOCSIS != 0 {
        "cable_modem"
    } else if bits & CAP_REPEATER != 0 {
        "repeater"
    } else {
        return None;
    })
}

fn emit_identities(du: &Lldpdu<'_>, sink: &mut dyn EventSink) {
    use Attribute::*;
    if let Some(name) = du.system_name.map(text) {
        identify(sink, Hostname, &name, Confidence::STATED);
    }
    if let Some(desc) = du.system_description.map(text) {
        identify(sink, Description, &desc, Confidence::STATED);
        let hints = sysdescr::hints(&desc);
        for (attribute, value) in [
            (Vendor, hints.vendor),
            (Os, hints.os),
            (Model, sysdescr::model(&desc)),
            (Firmware, sysdescr::firmware(&desc)),
        ] {
            if let Some(v) = value {
                identify(sink, attribute, v, Confidence::WEAK);
            }
        }
    }
    if let Some(caps) = du.capabilities {
        let bits = if caps.enabled != 0 {
            caps.enabled
        } else {
            caps.system
        };
        let mut names = ArrayString::<256>::new();
        for (i, name) in capability_names(bits).iter().enumerate() {
            let separator = if i > 0 { "," } else { "" };
            // Sixteen names of at most 18 bytes fit.
            let _ = names.try_push_str(separator).and(names.try_push_str(name));
        }
        identify(sink, Capabilities, &names, Confidence::STATED);
        if let Some(kind) = device_type(bits) {
            identify(sink, DeviceType, kind, Confidence::STRONG);
        }
    }
    for m in &du.management {
        match m.address {
            // Unconfigured PROFINET devices advertise 0.0.0.0, which names nothing.
            Address::Ip(ip) if !ip.is_unspecified() => {
                use std::fmt::Write as _;
                let mut address = ArrayString::<46>::new(); // the longest IPv6 text
                let _ = write!(address, "{ip}");
                identify(sink, ManagementAddress, &address, Confidence::STATED);
            }
            _ => {}
        }
    }
    let port = match (du.port_id.as_ref().and_then(id_text), du.port_description) {
        (Some(id), _) => Some(id),
        (None, Some(desc)) => Some(text(desc)),
        (None, None) => None,
    };
    if let Some(port) = port {
        identify(sink, Port, &port, Confidence::STATED);
    }
    let inv = &du.inventory;
    for (attribute, value) in [
        (Vendor, inv.manufacturer),
        (Model, inv.model_name),
        (Firmware, inv.firmware_revision.or(inv.software_revision)),
        (Serial, inv.serial_number),
    ] {
        if let Some(v) = value.map(text) {
            identify(sink, attribute, &v, Confidence::STATED);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_dissect::Mac;
    use rampart_event::CollectingSink;

    fn run(payload: &[u8]) -> CollectingSink {
        let mut sink = CollectingSink::default();
        let frame = Frame {
            src: Mac([0x00, 0x1b, 0x1b, 0x02, 0xe6, 0x1f]),
            dst: Mac([0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e]),
            vlan: None,
            payload,
        };
        dissect(&frame, &mut sink);
        sink
    }

    /// Push one TLV: 7-bit type, 9-bit length (802.1AB §8.4), value.
    fn tlv(out: &mut Vec<u8>, tlv_type: u8, value: &[u8]) {
        let header = (u16::from(tlv_type) << 9) | u16::try_from(value.len()).unwrap_or(0x1ff);
        out.extend_from_slice(&header.to_be_bytes());
        out.extend_from_slice(value);
    }

    /// An industrial switch's LLDPDU, shaped like a SIMATIC NET SCALANCE advertisement.
    fn scalance() -> Vec<u8> {
        let mut p = Vec::new();
        tlv(&mut p, 1, b"\x07switch1"); // chassis id, subtype 7 locally assigned
        tlv(&mut p, 2, b"\x07port-001"); // port id, subtype 7 locally assigned
        tlv(&mut p, 3, &[0x00, 0x14]); // ttl 20 s
        tlv(&mut p, 4, b"Siemens, SIMATIC NET, Ethernet Switch Port 01"); // port description
        tlv(&mut p, 5, b"Switch1"); // system name
        tlv(
            &mut p,
            6,
            b"Siemens, SIMATIC NET, SCALANCE X212-2, 6GK5 212-2BB00-2AA3, HW: 7, FW: V4.02",
        ); // system description
        tlv(&mut p, 7, &[0x00, 0x04, 0x00, 0x04]); // capabilities: bridge, bridge enabled
        tlv(
            &mut p,
            8,
            &[
                0x05, // address string length
                0x01, 141, 81, 0, 190,  // IPv4 141.81.0.190
                0x02, // interface numbering: ifIndex
                0x00, 0x00, 0x00, 0x01, // interface 1
                0x00, // no OID
            ],
        ); // management address
        tlv(
            &mut p,
            127,
            &[0x00, 0x0e, 0xcf, 0x02, 0x00, 0x00, 0x00, 0x00],
        ); // PROFINET port status
        tlv(&mut p, 0, &[]); // end of LLDPDU
        p
    }

    #[test]
    fn labels_an_organizational_tlv_with_the_longest_subtype() {
        let label = org_label(&OrgTlv {
            oui: [0x00, 0x80, 0xc2],
            subtype: 255,
        });
        assert_eq!(label.as_str(), "00:80:c2/255");
    }

    #[test]
    fn reports_an_advertisement_with_named_fields() {
        let sink = run(&scalance());
        assert_eq!(
            sink.matching("record"),
            vec![
                r#"record lldp advertisement transaction {"chassis_id_subtype":7,"chassis_id":"switch1","port_id_subtype":7,"port_id":"port-001","ttl":20,"port_description":"Siemens, SIMATIC NET, Ethernet Switch Port 01","system_name":"Switch1","system_description":"Siemens, SIMATIC NET, SCALANCE X212-2, 6GK5 212-2BB00-2AA3, HW: 7, FW: V4.02","capabilities":["bridge"],"enabled_capabilities":["bridge"],"management_addresses":["141.81.0.190"],"management_interfaces":[1],"org_tlvs":["00:0e:cf/2"]}"#
            ]
        );
        assert!(sink.matching("anomaly").is_empty());
    }

    #[test]
    fn identifies_the_sender_from_its_own_description() {
        let sink = run(&scalance());
        assert_eq!(
            sink.matching("identity"),
            vec![
                "identity lldp Client hostname Switch1",
                "identity lldp Client description Siemens, SIMATIC NET, SCALANCE X212-2, 6GK5 212-2BB00-2AA3, HW: 7, FW: V4.02",
                "identity lldp Client vendor Siemens",
                "identity lldp Client model SCALANCE X212-2",
                "identity lldp Client firmware V4.02",
                "identity lldp Client capabilities bridge",
                "identity lldp Client device_type switch",
                "identity lldp Client management_address 141.81.0.190",
                "identity lldp Client port port-001",
            ]
        );
    }

    #[test]
    fn identifies_a_phone_from_med_inventory_and_capabilities() {
        let mut p = Vec::new();
        tlv(&mut p, 1, &[0x04, 0x64, 0x4b, 0xf0, 0x2b, 0x31, 0x71]); // chassis MAC
        tlv(&mut p, 2, &[0x03, 0x64, 0x4b, 0xf0, 0x2b, 0x31, 0x71]); // port MAC
        tlv(&mut p, 3, &[0x0e, 0x11]); // ttl 3601 s
        tlv(&mut p, 7, &[0x00, 0x24, 0x00, 0x24]); // bridge and telephone, both enabled
        tlv(&mut p, 127, b"\x00\x12\xbb\x09Acme"); // LLDP-MED manufacturer
        tlv(&mut p, 127, b"\x00\x12\xbb\x0aDeskPhone 9"); // LLDP-MED model name
        tlv(&mut p, 127, b"\x00\x12\xbb\x07sip-4.2"); // LLDP-MED software revision
        let sink = run(&p);
        let ids = sink.matching("identity");
        assert!(ids.contains(&"identity lldp Client device_type phone"));
        assert!(ids.contains(&"identity lldp Client vendor Acme"));
        assert!(ids.contains(&"identity lldp Client model DeskPhone 9"));
        assert!(ids.contains(&"identity lldp Client firmware sip-4.2"));
        assert!(sink.matching("record")[0].contains(
            r#""chassis_id":"64:4b:f0:2b:31:71","port_id_subtype":3,"port_id":"64:4b:f0:2b:31:71""#
        ));
    }

    #[test]
    fn reports_garbage_without_a_record() {
        let sink = run(&[0xff, 0xff, 0x01]);
        assert_eq!(sink.anomalies("truncated_tlv"), 1);
        assert!(sink.matching("record").is_empty());
        assert!(run(&[]).matching("record").is_empty());
    }
}
