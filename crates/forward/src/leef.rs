//! IBM QRadar Log Event Extended Format (LEEF 2.0) from an alert.
//!
//! `LEEF:2.0|Rampart|Rampart|<version>|<rule id>|x09|<attributes>`: the attribute delimiter is
//! named in the header (tab, as hex) and separates `key=value` attributes. LEEF defines no
//! escape sequence (IBM's guide asks producers to keep the delimiters out of keys and values),
//! so what would end a field is replaced by a space: `|` and line breaks in header fields,
//! the tab delimiter and line breaks in values. `=` needs nothing: a value runs from the first
//! `=` of its attribute to the next delimiter. Predefined keys are used where LEEF has them
//! (`cat`, `sev`, `devTime`, `src`, `dst`, `srcPort`, `dstPort`, `srcMAC`, `dstMAC`); the rest
//! are custom keys named in camel case as the guide recommends.

use rampart_detect::{Alert, Endpoint};
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

use crate::cef::status_name;
use crate::pairs::Pairs;

/// The product version in the header.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The attribute delimiter, and how the header names it.
const DELIMITER: char = '\t';
const DELIMITER_NAME: &str = "x09";

/// The `devTimeFormat` Rampart writes (Java `SimpleDateFormat`, as QRadar reads it).
pub const DEV_TIME_FORMAT: &str = "yyyy-MM-dd'T'HH:mm:ss.SSSZ";
const DEV_TIME: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]+0000");

/// The alert as one LEEF 2.0 record (no syslog header, no trailing newline).
pub fn format(alert: &Alert, pcap: Option<&str>) -> String {
    let mut out = String::with_capacity(512);
    out.push_str("LEEF:2.0|Rampart|Rampart|");
    for field in [VERSION, alert.rule] {
        push_header(&mut out, field);
        out.push('|');
    }
    out.push_str(DELIMITER_NAME);
    out.push('|');
    let mut attrs = Pairs::new(&mut out, DELIMITER, push_value);
    attrs.pair("cat", alert.category);
    attrs.pair("sev", &alert.severity.cef().to_string());
    if let Some(time) = crate::syslog::utc(alert.first_seen, DEV_TIME) {
        attrs.pair("devTime", &time);
        attrs.pair("devTimeFormat", DEV_TIME_FORMAT);
    }
    side(&mut attrs, alert.source, ["src", "srcPort", "srcMAC"]);
    side(&mut attrs, alert.destination, ["dst", "dstPort", "dstMAC"]);
    attrs.pair("alertId", &alert.id.to_string());
    attrs.pair("name", &alert.title);
    attrs.pair("msg", &alert.description);
    attrs.pair("engine", alert.engine.as_str());
    attrs.pair("status", status_name(alert));
    attrs.pair("count", &alert.count.to_string());
    if !alert.techniques.is_empty() {
        attrs.pair("techniques", &alert.techniques.join(","));
    }
    if let Some(protocol) = &alert.protocol {
        attrs.pair("applicationProtocol", protocol);
    }
    if let Some(path) = pcap {
        attrs.pair("pcap", path);
    }
    out
}

fn side(attrs: &mut Pairs<'_>, endpoint: Option<Endpoint>, [ip, port, mac]: [&str; 3]) {
    let Some(e) = endpoint else { return };
    if let Some(a) = e.ip {
        attrs.pair(ip, &a.to_string());
    }
    if let Some(p) = e.port {
        attrs.pair(port, &p.to_string());
    }
    if let Some(m) = e.mac {
        attrs.pair(mac, &m.to_string());
    }
}

fn push_value(out: &mut String, value: &str) {
    out.extend(value.chars().map(|c| match c {
        DELIMITER | '\r' | '\n' => ' ',
        c => c,
    }));
}

fn push_header(out: &mut String, field: &str) {
    out.extend(field.chars().map(|c| match c {
        '|' | '\r' | '\n' => ' ',
        c => c,
    }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;

    #[test]
    fn writes_the_header_with_the_tab_delimiter_and_predefined_keys() {
        let leef = format(&fixture::alert(), None);
        let expected = format!("LEEF:2.0|Rampart|Rampart|{VERSION}|policy.new_command|x09|");
        assert!(leef.starts_with(&expected), "{leef}");
        let attrs: Vec<&str> = leef[expected.len()..].split('\t').collect();
        assert_eq!(
            &attrs[..4],
            &[
                "cat=command",
                "sev=8",
                "devTime=2024-03-01T10:00:00.250+0000",
                "devTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSSZ",
            ]
        );
        for a in [
            "src=10.0.0.5",
            "srcPort=40001",
            "srcMAC=00:1b:1b:0a:0b:0c",
            "dst=10.0.0.9",
        ] {
            assert!(attrs.contains(&a), "{a} in {attrs:?}");
        }
        assert!(attrs.contains(&"techniques=T0855,T0836"));
    }

    #[test]
    fn keeps_delimiters_out_of_fields() {
        let mut alert = fixture::alert();
        alert.rule = "custom.a|b";
        alert.description = "k=v\tnext\r\nline \\ ü".into();
        let leef = format(&alert, None);
        assert!(leef.contains("|custom.a b|x09|"), "{leef}");
        assert!(leef.contains("\tmsg=k=v next  line \\ ü\t"), "{leef}");
        assert!(!leef.contains('\n'));
    }
}
