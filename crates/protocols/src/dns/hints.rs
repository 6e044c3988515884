//! Identity hints in mDNS / DNS-SD answers (RFC 6762, RFC 6763).
//!
//! An mDNS responder answers for itself, so its records name the device that sent them:
//! an A/AAAA record binds a `.local` host name to an address, a service's TXT record often
//! carries a model string, a service type hints at what the device is. Unicast DNS gives
//! none of this: the names a client looks up are not the client's.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use rampart_dissect::{Attribute, Confidence, Event, EventSink, Identity, Subject, text};

use super::parse::{ResourceRecord, character_strings};

/// Services whose TXT record names the device: (service, TXT key, attribute).
const TXT_HINTS: &[(&str, &str, Attribute)] = &[
    ("_device-info._tcp", "model", Attribute::Model),
    ("_airplay._tcp", "model", Attribute::Model),
    ("_raop._tcp", "am", Attribute::Model),
    ("_googlecast._tcp", "md", Attribute::Model),
    ("_hap._tcp", "md", Attribute::Model),
    ("_ipp._tcp", "ty", Attribute::Model),
    ("_ipps._tcp", "ty", Attribute::Model),
    ("_printer._tcp", "ty", Attribute::Model),
    ("_pdl-datastream._tcp", "ty", Attribute::Model),
    ("_ipp._tcp", "usb_MFG", Attribute::Vendor),
    ("_ipps._tcp", "usb_MFG", Attribute::Vendor),
    ("_pdl-datastream._tcp", "usb_MFG", Attribute::Vendor),
];

/// Services whose advertisement says what kind of device offers them.
const SERVICE_TYPES: &[(&str, &str)] = &[
    ("_ipp._tcp", "printer"),
    ("_ipps._tcp", "printer"),
    ("_printer._tcp", "printer"),
    ("_pdl-datastream._tcp", "printer"),
    ("_scanner._tcp", "scanner"),
    ("_googlecast._tcp", "media_player"),
    ("_airplay._tcp", "media_player"),
    ("_raop._tcp", "media_player"),
    ("_workstation._tcp", "workstation"),
];

/// Report what one record of an mDNS response says about a device. `owner` is the record's
/// owner name as text; `sender` is the flow side that sent the response.
pub(super) fn report(
    protocol: &str,
    owner: &str,
    rr: &ResourceRecord<'_>,
    sender: Subject,
    sink: &mut dyn EventSink,
) {
    let mut say = |subject, attribute, value: &str, confidence| {
        if !value.is_empty() {
            sink.emit(Event::Identity(Identity {
                protocol,
                subject,
                attribute,
                value,
                confidence,
            }));
        }
    };
    match rr.rtype {
        1 | 28 => {
            let ip = match rr.rdata.len() {
                4 => <[u8; 4]>::try_from(rr.rdata).map(|a| IpAddr::from(Ipv4Addr::from(a))),
                _ => <[u8; 16]>::try_from(rr.rdata).map(|a| IpAddr::from(Ipv6Addr::from(a))),
            };
            if let (Ok(ip), Some(host)) = (ip, host_name(owner)) {
                let subject = Subject::Host {
                    mac: None,
                    ip: Some(ip),
                };
                say(subject, Attribute::Hostname, host, Confidence::STATED);
            }
        }
        12 => {
            if let Some(&(_, kind)) = SERVICE_TYPES.iter().find(|(s, _)| is_service(owner, s)) {
                say(sender, Attribute::DeviceType, kind, Confidence::WEAK);
            }
        }
        13 => {
            if let Some(os) = character_strings(rr.rdata).nth(1) {
                say(sender, Attribute::Os, &text(os), Confidence::STRONG);
            }
        }
        16 => {
            for &(_, key, attribute) in TXT_HINTS.iter().filter(|(s, ..)| in_service(owner, s)) {
                for entry in character_strings(rr.rdata) {
                    if let Some(value) = txt_value(entry, key) {
                        say(sender, attribute, &text(value), Confidence::STRONG);
                    }
                }
            }
        }
        _ => {}
    }
}

/// Return the host part of an mDNS host name (`plc-7.local` → `plc-7`), or `None` for names
/// that are no host's (reverse-mapping names, service names, the root).
fn host_name(owner: &str) -> Option<&str> {
    let host = strip_suffix_ignore_case(owner, ".local").unwrap_or(owner);
    let reverse = strip_suffix_ignore_case(owner, ".arpa").is_some();
    let service = host.starts_with('_') || host.contains("._");
    (!host.is_empty() && !host.starts_with('<') && !reverse && !service).then_some(host)
}

/// Tell whether `owner` is the service type itself (`_ipp._tcp.local`).
fn is_service(owner: &str, service: &str) -> bool {
    strip_prefix_ignore_case(owner, service).is_some_and(|rest| rest.starts_with('.'))
}

/// Tell whether `owner` is an instance of the service (`Office._ipp._tcp.local`).
fn in_service(owner: &str, service: &str) -> bool {
    let (o, s) = (owner.as_bytes(), service.as_bytes());
    (1..o.len()).any(|i| {
        o.get(i - 1) == Some(&b'.')
            && o.get(i..i + s.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(s))
            && o.get(i + s.len()) == Some(&b'.')
    })
}

/// Return the value of `key=value` in a TXT entry when the key matches, ignoring case
/// (RFC 6763 §6.4).
fn txt_value<'a>(entry: &'a [u8], key: &str) -> Option<&'a [u8]> {
    let eq = entry.iter().position(|&b| b == b'=')?;
    let (k, v) = entry.split_at(eq);
    k.eq_ignore_ascii_case(key.as_bytes())
        .then(|| v.get(1..).unwrap_or_default())
}

fn strip_suffix_ignore_case<'a>(s: &'a str, suffix: &str) -> Option<&'a str> {
    let cut = s.len().checked_sub(suffix.len())?;
    let (head, tail) = (s.get(..cut)?, s.get(cut..)?);
    tail.eq_ignore_ascii_case(suffix).then_some(head)
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let (head, tail) = (s.get(..prefix.len())?, s.get(prefix.len()..)?);
    head.eq_ignore_ascii_case(prefix).then_some(tail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_event::CollectingSink;

    fn rr(rtype: u16, rdata: &[u8]) -> ResourceRecord<'_> {
        ResourceRecord {
            rtype,
            class: 0x8001,
            ttl: 120,
            rdata,
            rdata_offset: 0,
            name_error: None,
        }
    }

    fn hints(owner: &str, record: &ResourceRecord<'_>) -> Vec<String> {
        let mut sink = CollectingSink::default();
        report("mdns", owner, record, Subject::Client, &mut sink);
        sink.lines
    }

    #[test]
    fn names_the_address_of_a_local_host() {
        let lines = hints("PLC-7.local", &rr(1, &[192, 168, 1, 7]));
        assert_eq!(
            lines,
            vec!["identity mdns Host { mac: None, ip: Some(192.168.1.7) } hostname PLC-7"]
        );
        assert!(hints("7.1.168.192.in-addr.arpa", &rr(1, &[192, 168, 1, 7])).is_empty());
        assert!(
            hints("PLC-7.local", &rr(1, &[192, 168, 1])).is_empty(),
            "bad rdata"
        );
    }

    #[test]
    fn reads_model_from_device_info_txt() {
        // TXT rdata (RFC 6763 §6): "model=MacBookPro16,1" "osxvers=21"
        let mut rdata = vec![20];
        rdata.extend_from_slice(b"model=MacBookPro16,1");
        rdata.push(10);
        rdata.extend_from_slice(b"osxvers=21");
        let lines = hints("Lab Mac._device-info._tcp.local", &rr(16, &rdata));
        assert_eq!(lines, vec!["identity mdns Client model MacBookPro16,1"]);
    }

    #[test]
    fn reads_printer_make_and_model() {
        let mut rdata = vec![16];
        rdata.extend_from_slice(b"ty=HP LaserJet 4");
        rdata.push(10);
        rdata.extend_from_slice(b"usb_MFG=HP");
        let lines = hints("Office._ipp._tcp.local", &rr(16, &rdata));
        assert_eq!(
            lines,
            vec![
                "identity mdns Client model HP LaserJet 4",
                "identity mdns Client vendor HP"
            ]
        );
        let browse = hints("_ipp._tcp.local", &rr(12, &[0]));
        assert_eq!(browse, vec!["identity mdns Client device_type printer"]);
    }

    #[test]
    fn reads_os_from_hinfo() {
        // HINFO (RFC 1035 §3.3.2): cpu "X86_64", os "LINUX", as Avahi publishes it
        let rdata = [
            6, b'X', b'8', b'6', b'_', b'6', b'4', 5, b'L', b'I', b'N', b'U', b'X',
        ];
        assert_eq!(
            hints("nas.local", &rr(13, &rdata)),
            vec!["identity mdns Client os LINUX"]
        );
    }
}
