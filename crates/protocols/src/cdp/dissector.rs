//! CDP advertisements to events: problems as anomalies, one `advertisement` record, and what
//! the sender says about itself as identity observations.

use rampart_dissect::{
    Attribute, Confidence, Event, EventSink, Fields, Frame, Record, Subject, Value, report, text,
};

use super::message::{
    Address, Advertisement, CAP_BRIDGING, CAP_PHONE, CAP_REPEATER, CAP_ROUTER, capability_names,
};
use super::parse;
use crate::sysdescr;

const PROTOCOL: &str = "cdp";

/// Parse one CDP frame and report it.
pub fn dissect(frame: &Frame<'_>, sink: &mut dyn EventSink) {
    let mut problems = Vec::new();
    let parsed = parse::parse(frame.payload, &mut problems);
    for p in &problems {
        report(sink, PROTOCOL, p.code(), Some(p.offset()), p);
    }
    match parsed {
        Ok(ad) => {
            emit_record(&ad, sink);
            emit_identities(&ad, sink);
        }
        Err(e) => report(sink, PROTOCOL, e.code(), Some(e.offset()), &e),
    }
}

fn address_value<'a>(a: &Address<'a>) -> Value<'a> {
    match *a {
        Address::Ip(ip) => Value::Ip(ip),
        Address::Other { address, .. } => Value::Bytes(address),
    }
}

fn emit_record(ad: &Advertisement<'_>, sink: &mut dyn EventSink) {
    let strings = [
        ("device_id", ad.device_id),
        ("port_id", ad.port_id),
        ("software_version", ad.software_version),
        ("platform", ad.platform),
        ("vtp_domain", ad.vtp_domain),
        ("system_name", ad.system_name),
        ("location", ad.location),
    ]
    .map(|(name, bytes)| (name, bytes.map(text)));
    let addresses: Vec<Value<'_>> = ad.addresses.iter().map(address_value).collect();
    let management: Vec<Value<'_>> = ad.management_addresses.iter().map(address_value).collect();
    let capabilities = ad.capabilities.map(capability_names);
    let other: Vec<u64> = ad.other_tlvs.iter().map(|&t| t.into()).collect();

    let mut fields: Vec<(&str, Value<'_>)> = vec![
        ("version", Value::U64(ad.version.into())),
        ("ttl", Value::U64(ad.ttl.into())),
        ("checksum", Value::U64(ad.checksum.into())),
    ];
    let [
        device_id,
        port_id,
        software,
        platform,
        vtp,
        system_name,
        location,
    ] = &strings;
    for (name, value) in [device_id, port_id] {
        if let Some(v) = value {
            fields.push((name, Value::Str(v)));
        }
    }
    if !addresses.is_empty() {
        fields.push(("addresses", Value::List(&addresses)));
    }
    if let Some(caps) = &capabilities {
        fields.push(("capabilities", Value::Strs(caps)));
    }
    for (name, value) in [software, platform, vtp] {
        if let Some(v) = value {
            fields.push((name, Value::Str(v)));
        }
    }
    if let Some(vlan) = ad.native_vlan {
        fields.push(("native_vlan", Value::U64(vlan.into())));
    }
    if let Some(duplex) = ad.duplex {
        let duplex = if duplex == 0 { "half" } else { "full" };
        fields.push(("duplex", Value::Str(duplex)));
    }
    if let Some(vlan) = ad.voip_vlan {
        fields.push(("voip_vlan", Value::U64(vlan.into())));
    }
    if !management.is_empty() {
        fields.push(("management_addresses", Value::List(&management)));
    }
    for (name, value) in [system_name, location] {
        if let Some(v) = value {
            fields.push((name, Value::Str(v)));
        }
    }
    if !other.is_empty() {
        fields.push(("other_tlvs", Value::U64s(&other)));
    }
    sink.emit(Event::Record(Record {
        protocol: PROTOCOL,
        kind: "advertisement",
        direction: None,
        activity: None,
        fields: Fields(&fields),
    }));
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

/// Split an NX-OS device id, `name(SERIAL)`, into host name and serial number.
fn split_serial(device_id: &str) -> (&str, Option<&str>) {
    let split = device_id
        .strip_suffix(')')
        .and_then(|rest| rest.split_once('('))
        .filter(|(name, serial)| {
            !name.is_empty()
                && !serial.is_empty()
                && serial.bytes().all(|b| b.is_ascii_alphanumeric())
        });
    match split {
        Some((name, serial)) => (name, Some(serial)),
        None => (device_id, None),
    }
}

/// Guess a device type from capability bits; a phone also bridges, and a layer-3 switch also
/// routes, so the more specific role wins.
fn device_type(bits: u32) -> Option<&'static str> {
    Some(if bits & CAP_PHONE != 0 {
        "phone"
    } else if bits & CAP_BRIDGING != 0 {
        "switch"
    } else if bits & CAP_ROUTER != 0 {
        "router"
    } else if bits & CAP_REPEATER != 0 {
        "repeater"
    } else {
        return None;
    })
}

fn emit_identities(ad: &Advertisement<'_>, sink: &mut dyn EventSink) {
    use Attribute::*;
    if let Some(id) = ad.device_id.map(text) {
        let (name, serial) = split_serial(&id);
        identify(sink, Hostname, name, Confidence::STATED);
        if let Some(serial) = serial {
            identify(sink, Serial, serial, Confidence::WEAK);
        }
    }
    let platform = ad.platform.map(text);
    if let Some(platform) = &platform {
        let model = platform
            .get(..6)
            .filter(|p| p.eq_ignore_ascii_case("cisco "))
            .and_then(|_| platform.get(6..))
            .unwrap_or(platform);
        identify(sink, Model, model.trim(), Confidence::STATED);
    }
    let software = ad.software_version.map(text);
    if let Some(software) = &software {
        identify(sink, Description, software, Confidence::STATED);
        let first_line = software.lines().next().unwrap_or_default();
        let firmware = sysdescr::firmware(first_line).unwrap_or(first_line.trim());
        identify(sink, Firmware, firmware, Confidence::STRONG);
    }
    let described = [software.as_deref(), platform.as_deref()];
    let hints = described.iter().flatten().map(|t| sysdescr::hints(t)).fold(
        sysdescr::Hints::default(),
        |acc, h| sysdescr::Hints {
            vendor: acc.vendor.or(h.vendor),
            os: acc.os.or(h.os),
        },
    );
    // CDP is Cisco's own protocol: without a text naming another maker, the sender is Cisco.
    identify(
        sink,
        Vendor,
        hints.vendor.unwrap_or("Cisco"),
        Confidence::STRONG,
    );
    if let Some(os) = hints.os {
        identify(sink, Os, os, Confidence::WEAK);
    }
    if let Some(bits) = ad.capabilities {
        identify(
            sink,
            Capabilities,
            &capability_names(bits).join(","),
            Confidence::STATED,
        );
        if let Some(kind) = device_type(bits) {
            identify(sink, DeviceType, kind, Confidence::STRONG);
        }
    }
    let management = if ad.management_addresses.is_empty() {
        &ad.addresses
    } else {
        &ad.management_addresses
    };
    for a in management {
        match a {
            // A switch without a management address advertises 0.0.0.0.
            Address::Ip(ip) if !ip.is_unspecified() => {
                identify(sink, ManagementAddress, &ip.to_string(), Confidence::STATED);
            }
            _ => {}
        }
    }
    if let Some(port) = ad.port_id.map(text) {
        identify(sink, Port, &port, Confidence::STATED);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cdp::parse::tests::{seal, switch_advertisement};
    use rampart_dissect::Mac;
    use rampart_event::CollectingSink;

    fn run(payload: &[u8]) -> CollectingSink {
        let mut sink = CollectingSink::default();
        let frame = Frame {
            src: Mac([0x00, 0x18, 0xba, 0x98, 0x68, 0x8f]),
            dst: Mac([0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcc]),
            vlan: None,
            payload,
        };
        dissect(&frame, &mut sink);
        sink
    }

    #[test]
    fn reports_an_advertisement_with_named_fields() {
        let sink = run(&switch_advertisement());
        assert!(sink.matching("anomaly").is_empty(), "{:?}", sink.lines);
        let record = sink.matching("record");
        assert_eq!(record.len(), 1);
        assert!(record[0].starts_with(
            r#"record cdp advertisement transaction {"version":2,"ttl":180,"checksum":"#
        ));
        assert!(record[0].contains(r#""device_id":"Ns5gt","port_id":"GigabitEthernet1","addresses":["192.168.10.253"],"capabilities":["switch","igmp"],"software_version":"Cisco IOS Software, CE500 Software (CE500-LANBASE-M), Version 12.2(25)SEG4, RELEASE","platform":"cisco WS-CE500-24TT","native_vlan":3,"duplex":"full","management_addresses":["192.168.10.253"],"other_tlvs":[18]}"#));
    }

    #[test]
    fn identifies_a_cisco_switch() {
        let sink = run(&switch_advertisement());
        assert_eq!(
            sink.matching("identity"),
            vec![
                "identity cdp Client hostname Ns5gt",
                "identity cdp Client model WS-CE500-24TT",
                "identity cdp Client description Cisco IOS Software, CE500 Software (CE500-LANBASE-M), Version 12.2(25)SEG4, RELEASE",
                "identity cdp Client firmware 12.2(25)SEG4",
                "identity cdp Client vendor Cisco",
                "identity cdp Client os Cisco IOS",
                "identity cdp Client capabilities switch,igmp",
                "identity cdp Client device_type switch",
                "identity cdp Client management_address 192.168.10.253",
                "identity cdp Client port GigabitEthernet1",
            ]
        );
    }

    #[test]
    fn splits_an_nx_os_serial_from_the_device_id() {
        assert_eq!(
            split_serial("N7K-1(JAF1234ABCD)"),
            ("N7K-1", Some("JAF1234ABCD"))
        );
        assert_eq!(split_serial("SEP001122334455"), ("SEP001122334455", None));
        assert_eq!(split_serial("(x)"), ("(x)", None));
        assert_eq!(split_serial("a(b c)"), ("a(b c)", None));
    }

    #[test]
    fn names_another_vendor_when_the_text_does() {
        let mut frame = vec![
            0x02, 0xb4, 0x00, 0x00, // version 2, ttl 180, checksum
            0x00, 0x06, 0x00, 0x13, // platform, length 19
        ];
        frame.extend_from_slice(b"ProCurve J9085A"); // an HP switch speaking CDP
        frame.extend_from_slice(&[0x00, 0x05, 0x00, 0x10]); // software version, length 16
        frame.extend_from_slice(b"Linux 4.19.0"); // "Linux"
        frame.extend_from_slice(&[0x00, 0x04, 0x00, 0x08, 0x00, 0x00, 0x00, 0x10]); // host
        seal(&mut frame);
        let sink = run(&frame);
        assert!(sink.matching("anomaly").is_empty(), "{:?}", sink.lines);
        let ids = sink.matching("identity");
        assert!(ids.contains(&"identity cdp Client vendor HP"));
        assert!(ids.contains(&"identity cdp Client os Linux"));
        assert!(ids.contains(&"identity cdp Client model ProCurve J9085A"));
        assert!(!ids.iter().any(|l| l.contains("device_type")));
    }

    #[test]
    fn reports_a_short_frame_without_a_record() {
        let sink = run(&[0x02]);
        assert_eq!(sink.anomalies("truncated"), 1);
        assert!(sink.matching("record").is_empty());
    }
}
