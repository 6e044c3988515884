//! The readable summary printed at the end of `rampart analyze`.

use std::fmt::Write;

use rampart_engine::{Layer, Report};
use rampart_inventory::Device;

use crate::schema::InputSummary;

/// Devices listed in the summary; the full inventory is in the files.
const DEVICES_SHOWN: usize = 25;

/// Format a count with thousands separators.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Format a byte count (`1.4 MB`).
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Name a device the way a person reads it: hostname, else its first IP, else its id.
pub fn label(d: &Device) -> String {
    if let Some(h) = d.hostnames.first() {
        return h.value.clone();
    }
    if let Some((ip, _)) = d.ips.first() {
        return ip.to_string();
    }
    d.id()
}

/// Render the summary.
pub fn render(report: &Report, inputs: &[InputSummary]) -> String {
    let s = &report.stats;
    let mut out = String::new();
    let span = match (s.first_packet, s.last_packet) {
        (Some(a), Some(b)) => format!(", {a} to {b}"),
        _ => String::new(),
    };
    let _ = writeln!(
        out,
        "Read {} input(s): {} packets, {}{span}.",
        inputs.len(),
        thousands(s.packets),
        bytes(s.bytes)
    );
    for input in inputs.iter().filter(|i| !i.errors.is_empty()) {
        for e in &input.errors {
            let _ = writeln!(out, "  problem: {e}");
        }
    }
    let _ = writeln!(
        out,
        "Decoded: {} IPv4, {} IPv6, {} TCP, {} UDP, {} ICMP, {} IP fragments; {} frames with decode problems.",
        thousands(s.layer_count(Layer::Ipv4)),
        thousands(s.layer_count(Layer::Ipv6)),
        thousands(s.layer_count(Layer::Tcp)),
        thousands(s.layer_count(Layer::Udp)),
        thousands(s.layer_count(Layer::Icmp) + s.layer_count(Layer::Icmpv6)),
        thousands(s.layer_count(Layer::Fragment)),
        thousands(s.decode_problems.values().sum()),
    );
    let _ = writeln!(
        out,
        "Flows: {} (at most {} at once, {} evicted to stay within the table bound, {} timed out).",
        thousands(s.flows.created),
        thousands(s.flows.peak as u64),
        thousands(s.flows.evicted),
        thousands(s.flows.timed_out),
    );
    let mut protocols: Vec<_> = s.protocols.iter().collect();
    protocols.sort_by(|a, b| b.1.packets.cmp(&a.1.packets).then(a.0.cmp(b.0)));
    let list: Vec<String> = protocols
        .iter()
        .map(|(name, c)| format!("{name} {}", thousands(c.packets)))
        .collect();
    let _ = writeln!(out, "Protocols (packets): {}.", list.join(", "));
    let _ = writeln!(
        out,
        "Devices: {}; internet peers: {} ({}).",
        report.devices.len(),
        report.internet.peers,
        bytes(report.internet.bytes)
    );
    let mut devices: Vec<&Device> = report.devices.iter().collect();
    devices.sort_by(|a, b| {
        let ta = a.traffic.bytes_sent + a.traffic.bytes_received;
        let tb = b.traffic.bytes_sent + b.traffic.bytes_received;
        tb.cmp(&ta).then(a.key.cmp(&b.key))
    });
    for d in devices.iter().take(DEVICES_SHOWN) {
        let ips: Vec<String> = d.ips.iter().take(2).map(|(ip, _)| ip.to_string()).collect();
        let vendor = d.vendor.as_ref().map_or("-", |v| v.value.as_str());
        let os = d.os.as_ref().map_or("-", |v| v.value.as_str());
        let servers: Vec<&str> = d.server_of.iter().map(String::as_str).take(4).collect();
        let _ = writeln!(
            out,
            "  {:<24} {:<16} {:<28.28} {:<18.18} os {:<14.14} serves {}",
            d.id(),
            ips.join(","),
            vendor,
            label(d),
            os,
            if servers.is_empty() {
                "-".to_string()
            } else {
                servers.join(",")
            }
        );
    }
    if devices.len() > DEVICES_SHOWN {
        let _ = writeln!(
            out,
            "  … and {} more (see devices.jsonl).",
            devices.len() - DEVICES_SHOWN
        );
    }
    let findings: Vec<String> = report
        .devices
        .iter()
        .flat_map(|d| {
            d.findings.iter().map(move |f| {
                format!(
                    "  {} {} on {} ({}), seen {} time(s)",
                    f.kind.as_str(),
                    f.protocol,
                    label(d),
                    f.detail,
                    f.count
                )
            })
        })
        .collect();
    let _ = writeln!(out, "Findings: {}.", findings.len());
    for f in findings.iter().take(DEVICES_SHOWN) {
        let _ = writeln!(out, "{f}");
    }
    let mut anomalies: Vec<(String, u64)> = s
        .anomalies
        .iter()
        .flat_map(|(p, codes)| codes.iter().map(move |(c, &n)| (format!("{p}.{c}"), n)))
        .collect();
    anomalies.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let list: Vec<String> = anomalies
        .iter()
        .take(10)
        .map(|(k, n)| format!("{k} {}", thousands(*n)))
        .collect();
    let _ = writeln!(
        out,
        "Anomalies: {}{}{}.",
        thousands(s.anomaly_total()),
        if list.is_empty() { "" } else { ": " },
        list.join(", ")
    );
    if let Some(detection) = &report.detection {
        alerts(&mut out, detection);
    }
    out
}

/// The alert lines: counts per severity, then the most severe alerts first.
fn alerts(out: &mut String, detection: &rampart_detect::Detection) {
    let all = detection.book().alerts();
    let per: Vec<String> = rampart_detect::Severity::ALL
        .iter()
        .rev()
        .map(|sev| {
            let n = all.iter().filter(|a| a.severity == *sev).count();
            format!("{n} {}", sev.as_str())
        })
        .collect();
    let suppressed = all.iter().filter(|a| a.suppressed.is_some()).count();
    let _ = writeln!(
        out,
        "Alerts: {} ({}; {} suppressed).",
        all.len(),
        per.join(", "),
        suppressed
    );
    let mut shown: Vec<&rampart_detect::Alert> = all.iter().collect();
    shown.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.first_seen.cmp(&b.first_seen))
    });
    for alert in shown.iter().take(DEVICES_SHOWN) {
        let _ = writeln!(out, "  {}", alert.summary_line());
    }
    if shown.len() > DEVICES_SHOWN {
        let _ = writeln!(
            out,
            "  … and {} more (see alerts.jsonl).",
            shown.len() - DEVICES_SHOWN
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_counts_and_sizes_for_people() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(1_400_000), "1.4 MB");
    }
}
