//! Rampart against the tshark oracle on the shared corpus of real captures.
//!
//! For every capture in `../shared/captures` (or `$RAMPART_SHARED_CAPTURES`) the packet
//! count, the TCP and UDP conversations (5-tuples with packet and byte counts), the IP
//! endpoints and the protocols Rampart has dissectors for must agree with the
//! `*.expected.json` that tshark 4.0 produced. Where they differ for a good reason the case is
//! listed in [`EXCEPTIONS`] with the reason; an exception that no longer applies fails the
//! test too, so the list cannot rot. In CI the corpus must be present; elsewhere the test
//! skips, saying so, when it is not.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use rampart_engine::{FlowRecord, Report};
use serde_json::Value;

/// (capture, check, reason) for disagreements that are right.
const EXCEPTIONS: &[(&str, &str, &str)] = &[
    (
        "attack/dns-badpackets-ndpi.pcap",
        "protocols",
        "every DNS response is the first fragment of an IP datagram cut by the capture's snap \
         length, so no datagram can be reassembled: Rampart counts the flows from their UDP \
         headers but dissects only whole datagrams; tshark dissects the fragments' bytes",
    ),
    (
        "enip/enip-ip-address-change-attempt.pcap",
        "protocols",
        "tcp/443 here carries something that is not TLS (the stream starts 00 00 00 1e): tshark \
         labels the frames tls by port and decodes no record in them; Rampart reports the port \
         as carrying an unexpected protocol",
    ),
    (
        "s7comm/s7commplus-s7-1200-upload-ob1.pcap",
        "protocols",
        "tshark 4.0 has no S7comm-plus dissector (the Wireshark one is an out-of-tree plugin) \
         and labels the COTP payloads `data`; Rampart recognises them by their protocol id \
         0x72, and oracle_fields counts them against tshark's `cotp:data` units instead",
    ),
    (
        "attack/ip-teardrop-peafowl.pcap",
        "conversations",
        "Rampart counts both fragment frames of the overlapping datagram in its flow (2 frames, \
         108 bytes on the wire); tshark counts only the frame that completed reassembly",
    ),
    (
        "attack/wireshark-fuzz-2006-06-26-ndpi.pcap",
        "conversations",
        "frame 642 is a first IP fragment (MF set) of a datagram that never completes: Rampart \
         counts it in its UDP flow from the transport header it carries, tshark holds it for \
         reassembly and never dissects it",
    ),
    (
        "other-ot/knxip-ndpi.pcapng",
        "conversations",
        "tshark does list the lone KNXnet/IP-over-TCP segment as a conversation, but with a \
         negative relative start (the pcapng's timestamps run backwards) that make_expected.py's \
         pattern does not accept, so the oracle file lacks it",
    ),
];

/// Folders whose malformed frames (by tshark) must show as Rampart anomalies: those whose
/// protocols Rampart dissects. The industrial folders join as their dissectors land.
const MALFORMED_CHECKED: &[&str] = &[
    "attack/",
    "bacnet/",
    "dnp3/",
    "enip/",
    "iec104/",
    "it/",
    "mixed/",
    "modbus/",
    "mqtt/",
    "opcua/",
    "other-ot/omron-fins",
    "profinet/",
    "s7comm/",
];

/// Rampart protocol name → the names tshark gives it in `frame.protocols`.
const TSHARK_NAMES: &[(&str, &[&str])] = &[
    ("arp", &["arp"]),
    ("lldp", &["lldp"]),
    ("cdp", &["cdp"]),
    ("stp", &["stp"]),
    ("dns", &["dns"]),
    ("mdns", &["mdns"]),
    ("llmnr", &["llmnr"]),
    ("nbns", &["nbns"]),
    ("dhcp", &["dhcp"]),
    ("dhcpv6", &["dhcpv6"]),
    ("ntp", &["ntp"]),
    ("snmp", &["snmp"]),
    ("http", &["http"]),
    ("tls", &["tls"]),
    ("ssh", &["ssh"]),
    ("telnet", &["telnet"]),
    ("ftp", &["ftp"]),
    ("dnp3", &["dnp3"]),
    ("iec104", &["iec60870_104"]),
    ("modbus", &["mbtcp", "modbus"]),
    ("mqtt", &["mqtt"]),
    // tshark 4.0 has no SLMP dissector: a capture Rampart calls SLMP fails the comparison.
    ("slmp", &[]),
    // Nor a GE SRTP one ("srtp" there is Secure RTP).
    ("srtp", &[]),
    ("enip", &["enip"]),
    ("cip_io", &["cipio"]),
    ("profinet_dcp", &["pn_dcp"]),
    ("bacnet", &["bvlc", "bacnet", "bacapp"]),
    ("opcua", &["opcua"]),
    ("fins", &["omron"]),
    ("s7comm", &["s7comm"]),
    // tshark 4.0 has no S7comm-plus dissector (Wireshark's is an out-of-tree plugin).
    ("s7commplus", &["s7comm-plus", "s7comm_plus"]),
    ("mms", &["mms"]),
    ("goose", &["goose"]),
];

type ConversationKey = (String, SocketAddr, SocketAddr);

/// A byte count as tshark printed it: exact (`"bytes": 1234`), or rounded to a unit
/// (`"bytes": "12 kB"`), as a range [low, high).
fn byte_range(v: &Value) -> (u64, u64) {
    if let Some(n) = v.as_u64() {
        return (n, n + 1);
    }
    let text = v.as_str().expect("bytes is a number or a string");
    let (number, unit) = text.rsplit_once(' ').expect("number and unit");
    let number: u64 = number.replace(',', "").parse().expect("byte count");
    let scale = match unit {
        "kB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        other => panic!("unknown unit {other}"),
    };
    (
        (number * scale).saturating_sub(scale),
        number * scale + scale,
    )
}

/// Unordered conversation → (frames, bytes range).
fn expected_conversations(oracle: &Value) -> BTreeMap<ConversationKey, (u64, (u64, u64))> {
    let mut out = BTreeMap::new();
    for proto in ["tcp", "udp"] {
        for c in oracle["conversations"][proto]
            .as_array()
            .into_iter()
            .flatten()
        {
            let parse = |s: &Value| -> SocketAddr {
                let s = s.as_str().expect("address string");
                let (ip, port) = s.rsplit_once(':').expect("ip:port");
                SocketAddr::new(ip.parse().expect("ip"), port.parse().expect("port"))
            };
            let (a, b) = (parse(&c["a"]), parse(&c["b"]));
            let key = (proto.to_string(), a.min(b), a.max(b));
            let entry = out.entry(key).or_insert((0, (0, 0)));
            let (low, high) = byte_range(&c["bytes"]);
            entry.0 += c["frames"].as_u64().expect("frames");
            entry.1 = (entry.1.0 + low, entry.1.1 + high - 1);
        }
    }
    out
}

fn actual_conversations(flows: &[FlowRecord]) -> BTreeMap<ConversationKey, (u64, u64)> {
    let mut out = BTreeMap::new();
    for f in flows {
        let c = &f.context;
        if c.transport != "tcp" && c.transport != "udp" {
            continue;
        }
        let a = SocketAddr::new(c.client.0, c.client.1);
        let b = SocketAddr::new(c.server.0, c.server.1);
        let entry = out
            .entry((c.transport.to_string(), a.min(b), a.max(b)))
            .or_insert((0, 0));
        entry.0 += f.packets[0] + f.packets[1];
        entry.1 += f.bytes[0] + f.bytes[1];
    }
    out
}

fn expected_protocols(oracle: &Value) -> BTreeSet<String> {
    let seen: BTreeSet<&str> = oracle["protocols"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    TSHARK_NAMES
        .iter()
        .filter(|(ours, _)| registered(ours))
        .filter(|(_, theirs)| theirs.iter().any(|t| seen.contains(t)))
        .map(|(ours, _)| ours.to_string())
        .collect()
}

fn registered(name: &str) -> bool {
    name == "stp"
        || rampart_protocols::flow_protocols()
            .iter()
            .any(|r| r.name == name)
        || rampart_protocols::frame_protocols()
            .iter()
            .any(|r| r.name == name)
}

fn actual_protocols(report: &Report) -> BTreeSet<String> {
    TSHARK_NAMES
        .iter()
        .filter(|(ours, _)| registered(ours) && report.stats.protocols.contains_key(ours))
        .map(|(ours, _)| ours.to_string())
        .collect()
}

/// Compare and describe every disagreement of one capture, as (check, description).
fn disagreements(path: &Path, oracle: &Value) -> Vec<(String, String)> {
    let support::Analysis { report, flows, .. } = support::analyse(path);
    let mut out = Vec::new();
    let expected_packets = oracle["packet_count"].as_u64().expect("packet_count");
    if report.stats.packets != expected_packets {
        out.push((
            "packets".to_string(),
            format!("rampart {} tshark {expected_packets}", report.stats.packets),
        ));
    }
    let (want, got) = (expected_conversations(oracle), actual_conversations(&flows));
    for (key, counts) in &want {
        match got.get(key) {
            Some(c) if c.0 == counts.0 && (counts.1.0..=counts.1.1).contains(&c.1) => {}
            Some(c) => out.push((
                "conversations".into(),
                format!("{key:?}: rampart {c:?} tshark {counts:?}"),
            )),
            None => out.push((
                "conversations".into(),
                format!("{key:?}: missing, tshark {counts:?}"),
            )),
        }
    }
    for key in got.keys().filter(|k| !want.contains_key(*k)) {
        out.push((
            "conversations".into(),
            format!("{key:?}: only in rampart {:?}", got[key]),
        ));
    }
    let want_ips: BTreeSet<IpAddr> = oracle["endpoints"]["ip"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str()?.parse().ok())
        .collect();
    let got_ips: BTreeSet<IpAddr> = report.endpoints.ips.iter().copied().collect();
    let got_ips = &got_ips;
    let missing: Vec<_> = want_ips.difference(got_ips).collect();
    let extra: Vec<_> = got_ips.difference(&want_ips).collect();
    if !missing.is_empty() || !extra.is_empty() {
        out.push((
            "endpoints".into(),
            format!("missing {missing:?}, only in rampart {extra:?}"),
        ));
    }
    let malformed = oracle["malformed_frames"].as_u64().unwrap_or(0);
    let reported = report.stats.anomaly_total();
    let name = oracle["file"].as_str().unwrap_or_default();
    let dissected = MALFORMED_CHECKED
        .iter()
        .any(|folder| name.starts_with(folder));
    if dissected && malformed > 0 && reported == 0 {
        out.push((
            "malformed".into(),
            format!("tshark finds {malformed} malformed frames, Rampart reports no anomaly"),
        ));
    }
    let (want_p, got_p) = (expected_protocols(oracle), actual_protocols(&report));
    if want_p != got_p {
        let missing: Vec<_> = want_p.difference(&got_p).collect();
        let extra: Vec<_> = got_p.difference(&want_p).collect();
        out.push((
            "protocols".into(),
            format!("missing {missing:?}, only in rampart {extra:?}"),
        ));
    }
    out
}

#[test]
fn every_registered_protocol_has_a_tshark_name() {
    for r in rampart_protocols::flow_protocols() {
        assert!(
            TSHARK_NAMES.iter().any(|(n, _)| *n == r.name),
            "map {} to tshark's name",
            r.name
        );
    }
    for r in rampart_protocols::frame_protocols() {
        assert!(
            TSHARK_NAMES.iter().any(|(n, _)| *n == r.name),
            "map {} to tshark's name",
            r.name
        );
    }
}

#[test]
fn agrees_with_tshark_on_every_capture() {
    let Some(dir) = support::corpus() else {
        return;
    };
    let files = support::captures(&dir);
    assert!(
        files.len() >= 80,
        "the corpus holds {} captures",
        files.len()
    );
    let mut failures = Vec::new();
    let mut excused = BTreeSet::new();
    for path in &files {
        let oracle_path = path.with_extension("expected.json");
        let text = std::fs::read_to_string(&oracle_path).expect("oracle file next to capture");
        let oracle: Value = serde_json::from_str(&text).expect("oracle is JSON");
        let name = oracle["file"].as_str().expect("file").to_string();
        for (check, description) in disagreements(path, &oracle) {
            match EXCEPTIONS
                .iter()
                .find(|(f, c, _)| *f == name && *c == check)
            {
                Some(e) => {
                    excused.insert((e.0, e.1));
                }
                None => failures.push(format!("{name} [{check}] {description}")),
            }
        }
    }
    for (file, check, reason) in EXCEPTIONS {
        if !excused.contains(&(*file, *check)) {
            failures.push(format!(
                "{file} [{check}] exception no longer needed: {reason}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
