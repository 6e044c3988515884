//! The HTML report: one self-contained file (inline CSS and SVG, no scripts, no network) with
//! the inventory table, the conversation matrix and a network map picture.
//!
//! Every string in it came off the wire, so every string is escaped: a host name such as
//! `<script>` or `%n%n%n` is shown, never run.

use std::collections::BTreeMap;
use std::f64::consts::PI;
use std::fmt::Write;

use rampart_engine::Report;
use rampart_event::Attribute;
use rampart_inventory::Device;

use crate::schema::InputSummary;
use crate::summary::{bytes, label, thousands};

/// Devices drawn on the map and shown in the matrix (the busiest); the table lists all.
const MAP_DEVICES: usize = 48;
/// Devices in the conversation matrix.
const MATRIX_DEVICES: usize = 30;
/// Devices in the inventory table.
const TABLE_DEVICES: usize = 2000;

/// Escape text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d2330}\
h1{font-size:22px}h2{font-size:17px;margin-top:28px}\
table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #d5d9e0;padding:3px 6px;vertical-align:top}\
th{background:#eef1f5;text-align:left}.num{text-align:right}.muted{color:#6b7280}\
.finding{color:#b42318;font-weight:600}.matrix td{text-align:center;min-width:44px;font-size:10px}\
.legend span{display:inline-block;margin-right:14px}.dot{display:inline-block;width:10px;height:10px;border-radius:5px;margin-right:4px}";

fn busiest(report: &Report, n: usize) -> Vec<&Device> {
    let mut devices: Vec<&Device> = report.devices.iter().collect();
    devices.sort_by(|a, b| {
        let ta = a.traffic.bytes_sent + a.traffic.bytes_received;
        let tb = b.traffic.bytes_sent + b.traffic.bytes_received;
        tb.cmp(&ta).then(a.key.cmp(&b.key))
    });
    devices.truncate(n);
    devices
}

/// The colour class of a device on the map.
fn role(d: &Device) -> (&'static str, &'static str) {
    if d.forwards {
        ("router / gateway", "#7c3aed")
    } else if !d.server_of.is_empty() {
        ("offers services", "#0e7490")
    } else if !d.client_of.is_empty() {
        ("client only", "#2563eb")
    } else {
        ("link layer only", "#6b7280")
    }
}

/// Render the report.
pub fn render(report: &Report, inputs: &[InputSummary]) -> String {
    let s = &report.stats;
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Rampart report</title><style>{STYLE}</style></head><body>\n<h1>Rampart report</h1>\n"
    );
    let names: Vec<String> = inputs.iter().map(|i| escape(&i.path)).collect();
    let span = match (s.first_packet, s.last_packet) {
        (Some(a), Some(b)) => format!("{a} – {b}"),
        _ => "no packets".to_string(),
    };
    let _ = writeln!(
        out,
        "<p>{} packets ({}) from {}; {span}. {} devices, {} flows, {} internet peers, {} anomalies.</p>",
        thousands(s.packets),
        bytes(s.bytes),
        names.join(", "),
        report.devices.len(),
        thousands(s.flows.created),
        report.internet.peers,
        thousands(s.anomaly_total())
    );
    map(&mut out, report);
    matrix(&mut out, report);
    inventory(&mut out, report);
    out.push_str("</body></html>\n");
    out
}

fn map(out: &mut String, report: &Report) {
    let devices = busiest(report, MAP_DEVICES);
    // A small network gets a small picture; a large one the room its labels need.
    let size = (240.0 + 36.0 * devices.len() as f64).clamp(420.0, 760.0);
    let center = size / 2.0;
    let radius = size / 2.0 - 110.0;
    let mut position: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    for (i, d) in devices.iter().enumerate() {
        let angle = 2.0 * PI * i as f64 / devices.len().max(1) as f64 - PI / 2.0;
        position.insert(
            d.id(),
            (center + radius * angle.cos(), center + radius * angle.sin()),
        );
    }
    if report.internet.peers > 0 {
        position.insert("internet".to_string(), (center, center));
    }
    let _ = writeln!(out, "<h2>Network map</h2>\n<p class=\"legend\">");
    for (name, colour) in [
        ("router / gateway", "#7c3aed"),
        ("offers services", "#0e7490"),
        ("client only", "#2563eb"),
        ("link layer only", "#6b7280"),
    ] {
        let _ = write!(
            out,
            "<span><i class=\"dot\" style=\"background:{colour}\"></i>{name}</span>"
        );
    }
    let _ = writeln!(
        out,
        "</p>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{size}\" height=\"{size}\" viewBox=\"0 0 {size} {size}\" role=\"img\" aria-label=\"network map\">"
    );
    let max_bytes = report
        .conversations
        .iter()
        .map(|c| c.bytes[0] + c.bytes[1])
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    for c in &report.conversations {
        let (Some(a), Some(b)) = (position.get(&c.client), position.get(&c.server)) else {
            continue;
        };
        let weight = ((c.bytes[0] + c.bytes[1]) as f64).ln_1p() / max_bytes.ln_1p();
        let services: Vec<&str> = c.services.keys().map(String::as_str).collect();
        let _ = writeln!(
            out,
            "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#94a3b8\" stroke-opacity=\"0.7\" stroke-width=\"{:.2}\"><title>{} → {}: {} ({})</title></line>",
            a.0,
            a.1,
            b.0,
            b.1,
            0.5 + 4.0 * weight,
            escape(&c.client),
            escape(&c.server),
            escape(&services.join(", ")),
            bytes(c.bytes[0] + c.bytes[1])
        );
    }
    for d in &devices {
        let Some(&(x, y)) = position.get(&d.id()) else {
            continue;
        };
        let (kind, colour) = role(d);
        let anchor = if x < center - 1.0 {
            "end"
        } else if x > center + 1.0 {
            "start"
        } else {
            "middle"
        };
        let dx = match anchor {
            "end" => -10.0,
            "start" => 10.0,
            _ => 0.0,
        };
        let _ = writeln!(
            out,
            "<g><circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"7\" fill=\"{colour}\"><title>{} ({kind})</title></circle><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"{anchor}\">{}</text></g>",
            escape(&d.id()),
            x + dx,
            y + 4.0,
            escape(&label(d))
        );
    }
    if report.internet.peers > 0 {
        let _ = writeln!(
            out,
            "<g><circle cx=\"{center}\" cy=\"{center}\" r=\"16\" fill=\"#f59e0b\"><title>{} internet peers</title></circle><text x=\"{center}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\">internet ({})</text></g>",
            report.internet.peers,
            center + 30.0,
            report.internet.peers
        );
    }
    out.push_str("</svg>\n");
    if report.devices.len() > MAP_DEVICES {
        let _ = writeln!(
            out,
            "<p class=\"muted\">The map shows the {MAP_DEVICES} busiest of {} devices.</p>",
            report.devices.len()
        );
    }
}

fn matrix(out: &mut String, report: &Report) {
    let devices = busiest(report, MATRIX_DEVICES);
    let ids: Vec<String> = devices.iter().map(|d| d.id()).collect();
    let mut cells: BTreeMap<(&str, &str), (u64, Vec<&str>)> = BTreeMap::new();
    for c in &report.conversations {
        let entry = cells
            .entry((c.client.as_str(), c.server.as_str()))
            .or_default();
        entry.0 += c.bytes[0] + c.bytes[1];
        entry.1.extend(c.services.keys().map(String::as_str));
    }
    let max = cells.values().map(|c| c.0).max().unwrap_or(1).max(1) as f64;
    let _ = writeln!(
        out,
        "<h2>Conversation matrix</h2>\n<p class=\"muted\">Rows are clients, columns servers; the shade is the bytes exchanged (log scale); hover for the services.</p>\n<table class=\"matrix\"><tr><th>client \\ server</th>"
    );
    for (i, d) in devices.iter().enumerate() {
        let _ = write!(out, "<th title=\"{}\">{}</th>", escape(&d.id()), i + 1);
    }
    out.push_str("</tr>\n");
    for (i, d) in devices.iter().enumerate() {
        let _ = write!(out, "<tr><th>{} {}</th>", i + 1, escape(&label(d)));
        for server in &ids {
            match cells.get(&(ids[i].as_str(), server.as_str())) {
                Some((b, services)) => {
                    let shade = ((*b as f64).ln_1p() / max.ln_1p() * 0.85 + 0.1).min(1.0);
                    let _ = write!(
                        out,
                        "<td style=\"background:rgba(14,116,144,{shade:.2})\" title=\"{}\">{}</td>",
                        escape(&services.join(", ")),
                        bytes(*b)
                    );
                }
                None => out.push_str("<td></td>"),
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

fn inventory(out: &mut String, report: &Report) {
    let _ = writeln!(
        out,
        "<h2>Inventory</h2>\n<table><tr><th>device</th><th>IP</th><th>MAC</th><th>vendor</th><th>host name</th><th>OS</th><th>type</th><th title=\"default Purdue level\">level</th><th>model · firmware · serial</th><th>client of</th><th>serves</th><th>first seen</th><th>last seen</th><th class=\"num\">packets</th><th class=\"num\">bytes</th><th>findings</th></tr>"
    );
    // Devices with findings first, then the busiest: what a reader looks for in a page that
    // must stay small enough for a browser; devices.jsonl has them all.
    let mut devices: Vec<&Device> = report.devices.iter().collect();
    devices.sort_by(|a, b| {
        let ta = a.traffic.bytes_sent + a.traffic.bytes_received;
        let tb = b.traffic.bytes_sent + b.traffic.bytes_received;
        b.findings
            .len()
            .min(1)
            .cmp(&a.findings.len().min(1))
            .then(tb.cmp(&ta))
            .then(a.key.cmp(&b.key))
    });
    let shown = devices.len().min(TABLE_DEVICES);
    for d in &devices[..shown] {
        let ips: Vec<String> = d.ips.iter().map(|(ip, _)| ip.to_string()).collect();
        let macs: Vec<String> = d.macs.iter().map(|(m, _)| m.to_string()).collect();
        let hostnames: Vec<String> = d
            .hostnames
            .iter()
            .map(|h| {
                format!(
                    "{} ({})",
                    h.value,
                    h.sources.iter().cloned().collect::<Vec<_>>().join(", ")
                )
            })
            .collect();
        let guess = |g: &Option<rampart_inventory::Guess>| {
            g.as_ref().map_or(String::new(), |g| {
                format!("{} ({}%)", g.value, g.confidence.0)
            })
        };
        // One line per kind and protocol; the evidence is in the tooltip and in devices.jsonl.
        let mut kinds: BTreeMap<(&str, &str), (u64, Vec<&str>)> = BTreeMap::new();
        for f in &d.findings {
            let entry = kinds
                .entry((f.kind.as_str(), f.protocol.as_str()))
                .or_default();
            entry.0 += f.count;
            entry.1.push(&f.detail);
        }
        let findings: Vec<String> = kinds
            .iter()
            .map(|((kind, protocol), (count, details))| {
                format!(
                    "<span title=\"{}\">{} {} ×{count}</span>",
                    escape(&details.join("\n")),
                    escape(&kind.replace('_', " ")),
                    escape(protocol)
                )
            })
            .collect();
        let join = |v: &std::collections::BTreeSet<String>| {
            v.iter().cloned().collect::<Vec<_>>().join(", ")
        };
        let identity: Vec<&str> = [Attribute::Model, Attribute::Firmware, Attribute::Serial]
            .into_iter()
            .filter_map(|a| d.identity(a))
            .collect();
        let modules: Vec<String> = d
            .modules
            .iter()
            .map(|m| {
                let place = m.slot.map_or(String::new(), |s| format!("slot {s}: "));
                let part = if m.order_number.is_empty() {
                    &m.model
                } else {
                    &m.order_number
                };
                format!("{place}{part} {}", m.firmware).trim().to_string()
            })
            .collect();
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td title=\"{}\">{}</td><td>{}</td><td title=\"{}\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"finding\">{}</td></tr>",
            escape(&d.id()),
            escape(&ips.join(" ")),
            escape(&macs.join(" ")),
            escape(&d.vendor.as_ref().map_or(String::new(), |v| v.value.clone())),
            escape(&hostnames.join("; ")),
            escape(&guess(&d.os)),
            escape(
                &d.device_type
                    .as_ref()
                    .map_or(String::new(), |g| g.evidence.join("\n"))
            ),
            escape(&guess(&d.device_type)),
            d.purdue_level.map_or(String::new(), |l| l.to_string()),
            escape(&modules.join("\n")),
            escape(&identity.join(" · ")),
            escape(&join(&d.client_of)),
            escape(&join(&d.server_of)),
            d.seen.first,
            d.seen.last,
            thousands(d.traffic.packets_sent + d.traffic.packets_received),
            bytes(d.traffic.bytes_sent + d.traffic.bytes_received),
            findings.join("<br>")
        );
    }
    out.push_str("</table>\n");
    if devices.len() > shown {
        let _ = writeln!(
            out,
            "<p class=\"muted\">{shown} of {} devices shown (those with findings, then the busiest); devices.jsonl and rampart.sqlite have them all.</p>",
            devices.len()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_controls_from_the_wire() {
        assert_eq!(
            escape("<script>\"x\"&'y'"),
            "&lt;script&gt;&quot;x&quot;&amp;&#39;y&#39;"
        );
        assert_eq!(escape("%n%n\u{0}"), "%n%n\u{fffd}");
    }
}
