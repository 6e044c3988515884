//! ArcSight Common Event Format (CEF:0) from an alert.
//!
//! `CEF:0|Rampart|Rampart|<version>|<rule id>|<title>|<severity>|<extension>`. The escaping
//! is the specification's: in the header `\` and `|` are escaped with a backslash; in the
//! extension `\` and `=` are escaped and line breaks are written `\n` and `\r` (a pipe needs
//! no escape there). Line breaks are not allowed in the header at all, so they become spaces.
//! The severity is Defender for IoT's 1/4/8/10, so SOC content written for one reads the other.

use std::fmt::Write as _;
use std::net::IpAddr;

use rampart_detect::{Alert, Endpoint};

use crate::pairs::Pairs;

/// The product version in the header.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The alert as one CEF record (no syslog header, no trailing newline).
pub fn format(alert: &Alert, pcap: Option<&str>) -> String {
    let mut out = String::with_capacity(512);
    out.push_str("CEF:0|Rampart|Rampart|");
    for field in [VERSION, alert.rule, &alert.title] {
        push_header(&mut out, field);
        out.push('|');
    }
    let _ = write!(out, "{}|", alert.severity.cef());
    let mut ext = Pairs::new(&mut out, ' ', push_extension_value);
    ext.pair("externalId", &alert.id.to_string());
    ext.pair("cat", alert.category);
    ext.pair("act", status_name(alert));
    ext.pair("msg", &alert.description);
    side(&mut ext, alert.source, Side::Source);
    side(&mut ext, alert.destination, Side::Destination);
    if let Some(protocol) = &alert.protocol {
        ext.pair("app", protocol);
    }
    ext.pair("cnt", &alert.count.to_string());
    ext.pair("start", &millis(alert.first_seen).to_string());
    ext.pair("end", &millis(alert.last_seen).to_string());
    ext.pair("cs1Label", "engine");
    ext.pair("cs1", alert.engine.as_str());
    if !alert.techniques.is_empty() {
        ext.pair("cs2Label", "techniques");
        ext.pair("cs2", &alert.techniques.join(","));
    }
    if let Some(protocol) = &alert.protocol {
        ext.pair("cs3Label", "protocol");
        ext.pair("cs3", protocol);
    }
    if let Some(path) = pcap {
        ext.pair("cs4Label", "pcap");
        ext.pair("cs4", path);
    }
    out
}

/// Milliseconds since the epoch: the CEF timestamp form that needs no time zone.
pub(crate) fn millis(t: rampart_event::Timestamp) -> u64 {
    t.0 / 1_000_000
}

pub(crate) fn status_name(alert: &Alert) -> &'static str {
    match alert.status {
        rampart_detect::Status::New => "new",
        rampart_detect::Status::Acknowledged => "acknowledged",
        rampart_detect::Status::Resolved => "resolved",
        rampart_detect::Status::Learned => "learned",
        rampart_detect::Status::Muted => "muted",
    }
}

#[derive(Clone, Copy)]
enum Side {
    Source,
    Destination,
}

/// The address keys of one side. CEF's `src`/`dst` are IPv4 fields; IPv6 addresses go to
/// the custom IPv6 fields ArcSight reserves for them (`c6a2` source, `c6a3` destination).
fn side(ext: &mut Pairs<'_>, endpoint: Option<Endpoint>, which: Side) {
    let Some(e) = endpoint else { return };
    let (v4, v6, label, mac, port) = match which {
        Side::Source => ("src", "c6a2", "Source IPv6 Address", "smac", "spt"),
        Side::Destination => ("dst", "c6a3", "Destination IPv6 Address", "dmac", "dpt"),
    };
    match e.ip {
        Some(IpAddr::V4(ip)) => ext.pair(v4, &ip.to_string()),
        Some(IpAddr::V6(ip)) => {
            ext.pair(&format!("{v6}Label"), label);
            ext.pair(v6, &ip.to_string());
        }
        None => {}
    }
    if let Some(m) = e.mac {
        ext.pair(mac, &m.to_string());
    }
    if let Some(p) = e.port {
        ext.pair(port, &p.to_string());
    }
}

fn push_header(out: &mut String, field: &str) {
    for c in field.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '|' => out.push_str("\\|"),
            '\r' | '\n' => out.push(' '),
            c => out.push(c),
        }
    }
}

fn push_extension_value(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '=' => out.push_str("\\="),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;

    #[test]
    fn writes_header_and_standard_keys() {
        let mut alert = fixture::alert();
        alert.description = "write from a host that only read".into();
        let cef = format(&alert, Some("alerts/x.pcap"));
        let expected_head = format!(
            "CEF:0|Rampart|Rampart|{VERSION}|policy.new_command|New command on an edge|8|externalId={} cat=command act=new msg=write from a host that only read ",
            alert.id
        );
        assert!(cef.starts_with(&expected_head), "{cef}");
        assert!(cef.ends_with(
            "src=10.0.0.5 smac=00:1b:1b:0a:0b:0c spt=40001 dst=10.0.0.9 dpt=502 app=modbus cnt=3 start=1709287200250 end=1709287500000 cs1Label=engine cs1=policy cs2Label=techniques cs2=T0855,T0836 cs3Label=protocol cs3=modbus cs4Label=pcap cs4=alerts/x.pcap"
        ), "{cef}");
    }

    #[test]
    fn escapes_the_header_and_extension_as_the_specification_says() {
        let mut alert = fixture::alert();
        alert.title = "a|b\\c=d\ne".into();
        alert.description = "x=1 | y\\z\r\nü".into();
        let cef = format(&alert, None);
        assert!(cef.contains("|a\\|b\\\\c=d e|8|"), "{cef}");
        assert!(cef.contains(" msg=x\\=1 | y\\\\z\\r\\nü "), "{cef}");
        assert!(!cef.contains('\n') && !cef.contains('\r'));
    }

    #[test]
    fn puts_ipv6_addresses_in_the_ipv6_fields() {
        let mut alert = fixture::alert();
        alert.source = Some(Endpoint {
            ip: Some("fe80::1".parse().expect("ip")),
            ..Endpoint::default()
        });
        let cef = format(&alert, None);
        assert!(
            cef.contains(" c6a2Label=Source IPv6 Address c6a2=fe80::1 "),
            "{cef}"
        );
        assert!(!cef.contains(" src="));
    }
}
