//! `rampart alerts` and `rampart incidents`: read and triage the alerts a run stored.
//!
//! Glue over [`rampart_store::AlertDb`]: the lifecycle rules live in `rampart_detect`, the
//! transactions in the store; this module parses arguments and prints.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use rampart_detect::{AlertId, EngineKind, IncidentId, Severity, Status, Transition, technique};
use rampart_store::{
    AlertDb, AlertDbError, AlertFilter, HistoryEntry, StoredAlert, StoredIncident,
};
use serde_json::{Value, json};

/// What a triage command could not do.
#[derive(Debug, thiserror::Error)]
pub enum TriageError {
    /// The database refused.
    #[error(transparent)]
    Db(#[from] AlertDbError),
    /// An output file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Standard output went away.
    #[error("cannot write to standard output: {0}")]
    Stdout(#[source] std::io::Error),
}

/// Options of `rampart alerts`.
#[derive(Args, Debug)]
pub struct AlertsArgs {
    /// The database `rampart analyze --out DIR` wrote (DIR/rampart.sqlite, or DIR itself).
    #[arg(long, value_name = "FILE")]
    db: PathBuf,
    #[command(subcommand)]
    command: AlertsCommand,
}

#[derive(Subcommand, Debug)]
enum AlertsCommand {
    /// List alerts, most severe first.
    List {
        /// Only alerts with this status (new, acknowledged, resolved, muted, learned).
        #[arg(long, value_parser = parse_status)]
        status: Option<Status>,
        /// Only alerts this severe or worse (warning, minor, major, critical).
        #[arg(long, value_parser = parse_severity)]
        severity: Option<Severity>,
        /// Only alerts of this engine (policy, protocol_policy, anomaly, …).
        #[arg(long, value_parser = parse_engine)]
        engine: Option<EngineKind>,
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one alert: every field, the evidence and its status history.
    Show {
        /// Alert id (16 hex digits).
        #[arg(value_parser = parse_alert_id)]
        id: AlertId,
        /// As one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Acknowledge an alert: someone is on it (new → acknowledged).
    Ack(ChangeArgs),
    /// Resolve an alert (new or acknowledged → resolved).
    Resolve(ChangeArgs),
    /// Reopen an alert (resolved, learned or muted → new).
    Reopen(ChangeArgs),
    /// Record that the alert was learned into the baseline (`rampart baseline learn`).
    MarkLearned(ChangeArgs),
    /// Record that the alert was muted (`rampart baseline mute`).
    MarkMuted(ChangeArgs),
    /// Write the packets that triggered an alert to a PCAP file.
    Pcap {
        /// Alert id (16 hex digits).
        #[arg(value_parser = parse_alert_id)]
        id: AlertId,
        /// The file to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

/// An alert and a note for a status change.
#[derive(Args, Debug)]
struct ChangeArgs {
    /// Alert id (16 hex digits).
    #[arg(value_parser = parse_alert_id)]
    id: AlertId,
    /// Why, kept in the alert's history.
    #[arg(long)]
    note: Option<String>,
}

/// Options of `rampart incidents`.
#[derive(Args, Debug)]
pub struct IncidentsArgs {
    /// The database `rampart analyze --out DIR` wrote (DIR/rampart.sqlite, or DIR itself).
    #[arg(long, value_name = "FILE")]
    db: PathBuf,
    #[command(subcommand)]
    command: IncidentsCommand,
}

#[derive(Subcommand, Debug)]
enum IncidentsCommand {
    /// List the last run's incidents, most severe first.
    List {
        /// One JSON object per line (the incidents.jsonl records).
        #[arg(long)]
        json: bool,
    },
    /// Show one incident with its timeline and each alert's current status.
    Show {
        /// Incident id (16 hex digits).
        #[arg(value_parser = parse_incident_id)]
        id: IncidentId,
        /// As one JSON object.
        #[arg(long)]
        json: bool,
    },
}

fn parse_status(name: &str) -> Result<Status, String> {
    Status::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
        format!("expected one of {}", names.join(", "))
    })
}

fn parse_severity(name: &str) -> Result<Severity, String> {
    Severity::from_name(name)
        .ok_or_else(|| "expected one of warning, minor, major, critical".to_string())
}

fn parse_engine(name: &str) -> Result<EngineKind, String> {
    EngineKind::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = EngineKind::ALL.iter().map(|e| e.as_str()).collect();
        format!("expected one of {}", names.join(", "))
    })
}

fn parse_hex_id(text: &str) -> Result<u64, String> {
    if text.len() != 16 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("expected 16 hex digits, as `rampart alerts list` prints them".to_string());
    }
    u64::from_str_radix(text, 16).map_err(|e| e.to_string())
}

fn parse_alert_id(text: &str) -> Result<AlertId, String> {
    parse_hex_id(text).map(AlertId)
}

fn parse_incident_id(text: &str) -> Result<IncidentId, String> {
    parse_hex_id(text).map(IncidentId)
}

/// `DIR` stands for `DIR/rampart.sqlite`.
fn database_path(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join("rampart.sqlite")
    } else {
        path.to_path_buf()
    }
}

/// Run `rampart alerts`; failures print one line and exit with 1.
pub fn run_alerts(args: &AlertsArgs) -> ExitCode {
    report(alerts(args))
}

/// Run `rampart incidents`; failures print one line and exit with 1.
pub fn run_incidents(args: &IncidentsArgs) -> ExitCode {
    report(incidents(args))
}

fn report(result: Result<String, TriageError>) -> ExitCode {
    let printed = result.and_then(|text| {
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(TriageError::Stdout)
    });
    match printed {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rampart: {e}");
            ExitCode::from(1)
        }
    }
}

fn alerts(args: &AlertsArgs) -> Result<String, TriageError> {
    let mut db = AlertDb::open(&database_path(&args.db))?;
    let (transition, id, note) = match &args.command {
        AlertsCommand::List {
            status,
            severity,
            engine,
            json,
        } => {
            let filter = AlertFilter {
                status: *status,
                min_severity: *severity,
                engine: *engine,
            };
            return Ok(list(&db.list(&filter)?, *json));
        }
        AlertsCommand::Show { id, json } => {
            let alert = db.alert(*id)?;
            let history = db.history(*id)?;
            return Ok(if *json {
                line(&show_json(&alert, &history))
            } else {
                show(&alert, &history)
            });
        }
        AlertsCommand::Pcap { id, out } => {
            let pcap = db.pcap(*id)?;
            std::fs::write(out, &pcap).map_err(|source| TriageError::Write {
                path: out.clone(),
                source,
            })?;
            return Ok(format!(
                "Wrote {} bytes to {}.\n",
                pcap.len(),
                out.display()
            ));
        }
        AlertsCommand::Ack(c) => (Transition::Acknowledge, c.id, c.note.as_deref()),
        AlertsCommand::Resolve(c) => (Transition::Resolve, c.id, c.note.as_deref()),
        AlertsCommand::Reopen(c) => (Transition::Reopen, c.id, c.note.as_deref()),
        AlertsCommand::MarkLearned(c) => (Transition::MarkLearned, c.id, c.note.as_deref()),
        AlertsCommand::MarkMuted(c) => (Transition::MarkMuted, c.id, c.note.as_deref()),
    };
    let (before, after) = db.change(id, transition, note)?;
    Ok(format!(
        "Alert {id}: {} → {}.\n",
        before.as_str(),
        after.as_str()
    ))
}

fn line(value: &Value) -> String {
    format!("{value}\n")
}

fn side_json(side: &(Option<String>, Option<String>)) -> Value {
    let mut m = serde_json::Map::new();
    if let Some(ip) = &side.0 {
        m.insert("ip".into(), ip.clone().into());
    }
    if let Some(mac) = &side.1 {
        m.insert("mac".into(), mac.clone().into());
    }
    Value::Object(m)
}

fn alert_json(a: &StoredAlert) -> Value {
    json!({
        "id": a.id.to_string(),
        "rule": a.rule,
        "title": a.title,
        "engine": a.engine.as_str(),
        "category": a.category,
        "severity": a.severity.as_str(),
        "status": a.status.as_str(),
        "source": side_json(&a.source),
        "destination": side_json(&a.destination),
        "protocol": a.protocol,
        "first_seen": a.first_seen,
        "last_seen": a.last_seen,
        "count": a.count,
        "suppressed": a.suppressed,
        "incident": a.incident,
        "pcap": a.pcap_path,
        "pcap_bytes": a.pcap_bytes,
    })
}

fn show_json(a: &StoredAlert, history: &[HistoryEntry]) -> Value {
    let mut value = alert_json(a);
    if let Value::Object(m) = &mut value {
        for key in [
            "description",
            "remediation",
            "discriminator",
            "techniques",
            "evidence",
            "flows",
        ] {
            m.insert(
                key.into(),
                a.detail.get(key).cloned().unwrap_or(Value::Null),
            );
        }
        let history: Vec<Value> = history
            .iter()
            .map(|h| json!({"time": h.time, "action": h.action, "from": h.from, "to": h.to, "note": h.note}))
            .collect();
        m.insert("history".into(), history.into());
    }
    value
}

/// `10.0.0.9` or `00:1b:1b:0a:0b:0c`, or `-`.
fn side_text(side: &(Option<String>, Option<String>)) -> String {
    match side {
        (Some(ip), Some(mac)) => format!("{ip} ({mac})"),
        (Some(one), None) | (None, Some(one)) => one.clone(),
        (None, None) => "-".to_string(),
    }
}

/// `10.0.0.9 -> 10.0.0.2`, or the one side an alert has.
fn sides_text(a: &StoredAlert) -> String {
    let has = |side: &(Option<String>, Option<String>)| side.0.is_some() || side.1.is_some();
    match (has(&a.source), has(&a.destination)) {
        (true, true) => format!("{} -> {}", side_text(&a.source), side_text(&a.destination)),
        (false, true) => format!("-> {}", side_text(&a.destination)),
        _ => side_text(&a.source),
    }
}

fn list(alerts: &[StoredAlert], as_json: bool) -> String {
    if as_json {
        return alerts.iter().map(|a| line(&alert_json(a))).collect();
    }
    if alerts.is_empty() {
        return "No alerts.\n".to_string();
    }
    let mut out = format!(
        "{:<16}  {:<8}  {:<12}  {:<18}  {:<27}  {:>6}  TITLE\n",
        "ID", "SEVERITY", "STATUS", "ENGINE", "FIRST SEEN", "COUNT"
    );
    for a in alerts {
        out.push_str(&format!(
            "{}  {:<8}  {:<12}  {:<18}  {:<27}  {:>6}  {} ({}){}\n",
            a.id,
            a.severity.as_str(),
            a.status.as_str(),
            a.engine.as_str(),
            a.first_seen,
            a.count,
            a.title,
            sides_text(a),
            if a.suppressed.is_some() {
                " [suppressed]"
            } else {
                ""
            }
        ));
    }
    out
}

fn detail_text(a: &StoredAlert, key: &str) -> Option<String> {
    match a.detail.get(key)? {
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

fn show(a: &StoredAlert, history: &[HistoryEntry]) -> String {
    let mut rows: Vec<(&str, String)> = vec![
        (
            "rule",
            format!("{} ({}, {})", a.rule, a.engine.as_str(), a.category),
        ),
        ("severity", a.severity.as_str().to_string()),
        ("status", a.status.as_str().to_string()),
        ("source", side_text(&a.source)),
        ("destination", side_text(&a.destination)),
    ];
    if let Some(p) = &a.protocol {
        rows.push(("protocol", p.clone()));
    }
    rows.push((
        "seen",
        format!(
            "{} to {}, {} occurrence(s)",
            a.first_seen, a.last_seen, a.count
        ),
    ));
    let techniques: Vec<String> = items(&a.detail, "/techniques")
        .filter_map(Value::as_str)
        .map(|id| match technique::name(id) {
            Some(name) => format!("{id} {name}"),
            None => id.to_string(),
        })
        .collect();
    if !techniques.is_empty() {
        rows.push(("techniques", techniques.join(", ")));
    }
    for (label, key) in [
        ("description", "description"),
        ("discriminator", "discriminator"),
        ("remediation", "remediation"),
    ] {
        if let Some(text) = detail_text(a, key) {
            rows.push((label, text));
        }
    }
    if let Some(reason) = &a.suppressed {
        rows.push(("suppressed", reason.clone()));
    }
    if let Some(incident) = &a.incident {
        rows.push(("incident", incident.clone()));
    }
    rows.push((
        "pcap",
        match &a.pcap_path {
            Some(path) if a.pcap_bytes > 0 => format!("{path} ({} bytes)", a.pcap_bytes),
            _ => "none (the packets had left the evidence ring)".to_string(),
        },
    ));
    let mut out = format!("Alert {}: {}\n", a.id, a.title);
    for (label, value) in rows {
        out.push_str(&format!("  {label:<14}{value}\n"));
    }
    if let Some(evidence) = a.detail.get("evidence").and_then(Value::as_object)
        && !evidence.is_empty()
    {
        out.push_str("Evidence\n");
        for (key, value) in evidence {
            let text = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_string);
            out.push_str(&format!("  {key:<14}{text}\n"));
        }
    }
    out.push_str("History\n");
    for h in history {
        let from = h
            .from
            .as_deref()
            .map_or(String::new(), |f| format!("{f} → "));
        out.push_str(&format!("  {}  {:<12}  {from}{}", h.time, h.action, h.to));
        if let Some(note) = &h.note {
            out.push_str(&format!("  {note}"));
        }
        out.push('\n');
    }
    out
}

fn incidents(args: &IncidentsArgs) -> Result<String, TriageError> {
    let db = AlertDb::open(&database_path(&args.db))?;
    match &args.command {
        IncidentsCommand::List { json } => {
            let incidents = db.incidents()?;
            if *json {
                return Ok(incidents.iter().map(|i| line(&i.json)).collect());
            }
            Ok(incident_list(&incidents))
        }
        IncidentsCommand::Show { id, json } => {
            let incident = db.incident(*id)?;
            let statuses = timeline_statuses(&db, &incident)?;
            if *json {
                let mut value = incident.json.clone();
                if let Some(Value::Array(entries)) = value.pointer_mut("/incident/timeline") {
                    for (entry, status) in entries.iter_mut().zip(&statuses) {
                        if let Some(alert) = entry.get_mut("alert").and_then(Value::as_object_mut) {
                            alert.insert("status".into(), (*status).into());
                        }
                    }
                }
                return Ok(line(&value));
            }
            Ok(incident_show(&incident, &statuses))
        }
    }
}

/// The current status of each alert in an incident's timeline.
fn timeline_statuses(
    db: &AlertDb,
    incident: &StoredIncident,
) -> Result<Vec<&'static str>, TriageError> {
    let entries = items(&incident.json, "/incident/timeline");
    let mut statuses = Vec::new();
    for entry in entries {
        let id = entry
            .pointer("/alert/id")
            .and_then(Value::as_str)
            .unwrap_or("");
        let id = parse_alert_id(id).map_err(|_| AlertDbError::UnknownAlert(id.to_string()))?;
        statuses.push(db.alert(id)?.status.as_str());
    }
    Ok(statuses)
}

/// The elements of the array at `pointer`, none when there is no array there.
fn items<'a>(value: &'a Value, pointer: &str) -> impl Iterator<Item = &'a Value> {
    value
        .pointer(pointer)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

fn incident_list(incidents: &[StoredIncident]) -> String {
    if incidents.is_empty() {
        return "No incidents.\n".to_string();
    }
    let mut out = format!(
        "{:<16}  {:<8}  {:<27}  {:>6}  TITLE\n",
        "ID", "SEVERITY", "FIRST SEEN", "ALERTS"
    );
    for i in incidents {
        out.push_str(&format!(
            "{}  {:<8}  {:<27}  {:>6}  {}\n",
            i.id, i.severity, i.first_seen, i.alerts, i.title
        ));
    }
    out
}

fn incident_show(i: &StoredIncident, statuses: &[&str]) -> String {
    let strings = |pointer: &str| -> Vec<String> {
        items(&i.json, pointer)
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
            .collect()
    };
    let ids = strings("/threat/technique/id");
    let names = strings("/threat/technique/name");
    let techniques: Vec<String> = ids
        .iter()
        .zip(&names)
        .map(|(id, name)| format!("{id} {name}"))
        .collect();
    let devices: Vec<String> = items(&i.json, "/incident/devices")
        .map(|d| {
            let text = |k: &str| d.get(k).and_then(Value::as_str).map(str::to_string);
            side_text(&(text("ip"), text("mac")))
        })
        .collect();
    let mut out = format!("Incident {}: {}\n", i.id, i.title);
    out.push_str(&format!("  {:<14}{}\n", "severity", i.severity));
    out.push_str(&format!(
        "  {:<14}{} to {}, {} alert(s)\n",
        "seen", i.first_seen, i.last_seen, i.alerts
    ));
    out.push_str(&format!("  {:<14}{}\n", "devices", devices.join(", ")));
    if !techniques.is_empty() {
        out.push_str(&format!(
            "  {:<14}{}\n",
            "techniques",
            techniques.join(", ")
        ));
    }
    out.push_str("Timeline\n");
    let entries = items(&i.json, "/incident/timeline");
    for (entry, status) in entries.zip(statuses) {
        let text = |p: &str| entry.pointer(p).and_then(Value::as_str).unwrap_or("");
        out.push_str(&format!(
            "  {}  {}  {:<8}  {:<12}  {:<18}  {}\n",
            text("/@timestamp"),
            text("/alert/id"),
            text("/alert/severity"),
            status,
            text("/alert/engine"),
            text("/alert/title"),
        ));
    }
    out
}
