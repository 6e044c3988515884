//! Alerts and incidents in the database, and their lifecycle.
//!
//! Unlike the run tables, `alerts` and `alert_history` outlive a run: alert ids are stable,
//! so a later `rampart analyze` into the same directory updates the counts and last-seen of
//! the alerts it raises again and keeps what the analyst decided (an acknowledged alert stays
//! acknowledged). A resolved alert that occurs again later in capture time is reopened, with
//! that recorded. `incidents` describes the last run. Every status change is one transaction
//! that writes the new status and its `alert_history` row together, or nothing.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rampart_detect::{
    Alert, AlertId, EngineKind, Incident, IncidentId, Severity, Status, Transition, TransitionError,
};
use rampart_event::Timestamp;
use rampart_output::incidents::IncidentJson;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, params};

use crate::Store;

/// Tables of the alert lifecycle; created with the run tables, never dropped by a new run.
pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS alerts (
  alert_id TEXT PRIMARY KEY, rule TEXT NOT NULL, title TEXT NOT NULL, engine TEXT NOT NULL,
  category TEXT NOT NULL, severity TEXT NOT NULL, severity_rank INTEGER NOT NULL,
  status TEXT NOT NULL, src_ip TEXT, src_mac TEXT, dst_ip TEXT, dst_mac TEXT, protocol TEXT,
  first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, last_seen_ns INTEGER NOT NULL,
  count INTEGER NOT NULL, suppressed TEXT, incident_id TEXT, pcap_path TEXT, pcap BLOB,
  json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS alerts_status ON alerts (status, severity_rank);
CREATE TABLE IF NOT EXISTS alert_history (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, alert_id TEXT NOT NULL, time TEXT NOT NULL,
  action TEXT NOT NULL, from_status TEXT, to_status TEXT NOT NULL, note TEXT);
CREATE INDEX IF NOT EXISTS alert_history_alert ON alert_history (alert_id, seq);
CREATE TABLE IF NOT EXISTS incidents (
  incident_id TEXT PRIMARY KEY, title TEXT NOT NULL, severity TEXT NOT NULL,
  severity_rank INTEGER NOT NULL, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,
  alerts INTEGER NOT NULL, json TEXT NOT NULL);
";

/// The order of a severity, for `severity ≥ X` in SQL.
fn rank(severity: Severity) -> i64 {
    Severity::ALL
        .iter()
        .position(|s| *s == severity)
        .map_or(0, |i| i as i64)
}

/// The wall-clock time of a change.
fn now() -> Timestamp {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp(u64::try_from(since.as_nanos()).unwrap_or(u64::MAX))
}

/// What `rampart analyze` wrote about alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AlertsWritten {
    /// Alerts seen for the first time.
    pub new: u64,
    /// Alerts already in the database, updated.
    pub updated: u64,
    /// Resolved alerts that occurred again and were reopened.
    pub reopened: u64,
    /// Incidents.
    pub incidents: u64,
}

impl Store {
    /// Store a run's final alerts (with their PCAPs as `pcap` gives them, and the path
    /// `alerts/<id>.pcap` where `rampart analyze` writes each beside the database) and
    /// incidents, and commit. On failure none of it is written and what was stored stays.
    pub fn write_alerts<'p>(
        &mut self,
        alerts: &[Alert],
        pcap: impl Fn(AlertId) -> Option<&'p [u8]>,
        incidents: &[Incident],
    ) -> Result<AlertsWritten, crate::StoreError> {
        let time = now().to_string();
        let mut written = AlertsWritten::default();
        let incident_of: HashMap<AlertId, IncidentId> = incidents
            .iter()
            .flat_map(|i| i.timeline.iter().map(move |e| (e.alert, i.id)))
            .collect();
        let result = (|| -> rusqlite::Result<()> {
            self.conn.execute_batch(
                "SAVEPOINT alerts; UPDATE alerts SET incident_id = NULL; DELETE FROM incidents;",
            )?;
            for alert in alerts {
                let incident = incident_of.get(&alert.id).map(ToString::to_string);
                upsert_alert(
                    &self.conn,
                    alert,
                    pcap(alert.id),
                    incident,
                    &time,
                    &mut written,
                )?;
            }
            for incident in incidents {
                insert_incident(&self.conn, incident)?;
                written.incidents += 1;
            }
            Ok(())
        })();
        if let Err(e) = result {
            // Undo this write only; the first error is the one to report.
            let _ = self
                .conn
                .execute_batch("ROLLBACK TO alerts; RELEASE alerts;");
            return Err(self.wrap(e));
        }
        self.conn
            .execute_batch("RELEASE alerts")
            .map_err(|e| self.wrap(e))?;
        self.commit()?;
        Ok(written)
    }
}

fn upsert_alert(
    conn: &Connection,
    alert: &Alert,
    pcap: Option<&[u8]>,
    incident: Option<String>,
    time: &str,
    written: &mut AlertsWritten,
) -> rusqlite::Result<()> {
    let id = alert.id.to_string();
    let last_ns = i64::try_from(alert.last_seen.0).unwrap_or(i64::MAX);
    let json = serde_json::to_string(alert).unwrap_or_default();
    let side = |e: Option<rampart_detect::Endpoint>| {
        (
            e.and_then(|e| e.ip).map(|ip| ip.to_string()),
            e.and_then(|e| e.mac).map(|m| m.to_string()),
        )
    };
    let (src_ip, src_mac) = side(alert.source);
    let (dst_ip, dst_mac) = side(alert.destination);
    let pcap_path = pcap.map(|_| format!("alerts/{id}.pcap"));
    let stored: Option<(String, i64)> = conn
        .query_row(
            "SELECT status, last_seen_ns FROM alerts WHERE alert_id = ?1",
            params![id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let status = match &stored {
        None => Status::New.as_str().to_string(),
        Some((status, _)) => status.clone(),
    };
    conn.prepare_cached(
        "INSERT INTO alerts (alert_id, rule, title, engine, category, severity, severity_rank, status, src_ip, src_mac, dst_ip, dst_mac, protocol, first_seen, last_seen, last_seen_ns, count, suppressed, incident_id, pcap_path, pcap, json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)
         ON CONFLICT (alert_id) DO UPDATE SET title = excluded.title, severity = excluded.severity,
           severity_rank = excluded.severity_rank, first_seen = excluded.first_seen,
           last_seen = excluded.last_seen, last_seen_ns = excluded.last_seen_ns, count = excluded.count,
           suppressed = excluded.suppressed, incident_id = excluded.incident_id,
           pcap_path = coalesce(excluded.pcap_path, pcap_path), pcap = coalesce(excluded.pcap, pcap),
           json = excluded.json",
    )?
    .execute(params![
        id,
        alert.rule,
        alert.title,
        alert.engine.as_str(),
        alert.category,
        alert.severity.as_str(),
        rank(alert.severity),
        status,
        src_ip,
        src_mac,
        dst_ip,
        dst_mac,
        alert.protocol,
        alert.first_seen.to_string(),
        alert.last_seen.to_string(),
        last_ns,
        i64::try_from(alert.count).unwrap_or(i64::MAX),
        alert.suppressed,
        incident,
        pcap_path,
        pcap,
        json
    ])?;
    match stored {
        None => {
            let mut note = format!(
                "first seen {}, {} occurrence(s)",
                alert.first_seen, alert.count
            );
            if let Some(reason) = &alert.suppressed {
                note.push_str("; suppressed: ");
                note.push_str(reason);
            }
            record(conn, &id, time, "raised", None, Status::New, Some(&note))?;
            written.new += 1;
        }
        Some((status, stored_last))
            if status == Status::Resolved.as_str() && last_ns > stored_last =>
        {
            conn.execute(
                "UPDATE alerts SET status = ?2 WHERE alert_id = ?1",
                params![id, Status::New.as_str()],
            )?;
            let note = format!("occurred again, last seen {}", alert.last_seen);
            record(
                conn,
                &id,
                time,
                "reopened",
                Some(Status::Resolved),
                Status::New,
                Some(&note),
            )?;
            written.reopened += 1;
        }
        Some(_) => written.updated += 1,
    }
    Ok(())
}

fn record(
    conn: &Connection,
    id: &str,
    time: &str,
    action: &str,
    from: Option<Status>,
    to: Status,
    note: Option<&str>,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO alert_history (alert_id, time, action, from_status, to_status, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![id, time, action, from.map(Status::as_str), to.as_str(), note])?;
    Ok(())
}

fn insert_incident(conn: &Connection, incident: &Incident) -> rusqlite::Result<()> {
    let json = serde_json::to_string(&IncidentJson::new(incident)).unwrap_or_default();
    conn.prepare_cached(
        "INSERT OR REPLACE INTO incidents (incident_id, title, severity, severity_rank, first_seen, last_seen, alerts, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        incident.id.to_string(),
        incident.title,
        incident.severity.as_str(),
        rank(incident.severity),
        incident.first_seen.to_string(),
        incident.last_seen.to_string(),
        incident.timeline.len() as i64,
        json
    ])?;
    Ok(())
}

/// What went wrong with the alert database.
#[derive(Debug, thiserror::Error)]
pub enum AlertDbError {
    /// Nothing at the path.
    #[error("no database at {0}; `rampart analyze --out DIR` writes DIR/rampart.sqlite")]
    Missing(PathBuf),
    /// SQLite refused (not a database, damaged, locked).
    #[error("database {path}: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// The database has no alert tables.
    #[error(
        "database {0} holds no alerts: it was written by a rampart without alert lifecycle; run `rampart analyze --out DIR` again"
    )]
    NoAlerts(PathBuf),
    /// A value in the database is not one Rampart writes.
    #[error("database {path}: {column} {value:?} is not valid")]
    Invalid {
        /// The database file.
        path: PathBuf,
        /// The column.
        column: &'static str,
        /// The value.
        value: String,
    },
    /// No alert with the id.
    #[error("no alert {0} in the database")]
    UnknownAlert(String),
    /// No incident with the id.
    #[error("no incident {0} in the database")]
    UnknownIncident(String),
    /// The lifecycle does not allow the change.
    #[error("alert {id}: {source}")]
    Transition {
        /// The alert.
        id: AlertId,
        /// Why not.
        #[source]
        source: TransitionError,
    },
    /// The alert has no PCAP.
    #[error("alert {0} has no PCAP: its packets had left the evidence ring when it was raised")]
    NoPcap(AlertId),
}

/// One alert as stored, with its current status.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredAlert {
    /// Id.
    pub id: AlertId,
    /// Rule id.
    pub rule: String,
    /// Title.
    pub title: String,
    /// Engine.
    pub engine: EngineKind,
    /// Category.
    pub category: String,
    /// Severity.
    pub severity: Severity,
    /// Current status.
    pub status: Status,
    /// Source IP and MAC.
    pub source: (Option<String>, Option<String>),
    /// Destination IP and MAC.
    pub destination: (Option<String>, Option<String>),
    /// Protocol.
    pub protocol: Option<String>,
    /// First occurrence (RFC 3339).
    pub first_seen: String,
    /// Last occurrence (RFC 3339).
    pub last_seen: String,
    /// Occurrences.
    pub count: u64,
    /// Why it is suppressed.
    pub suppressed: Option<String>,
    /// Its incident in the last run.
    pub incident: Option<String>,
    /// Where `rampart analyze` wrote its PCAP, relative to the output directory.
    pub pcap_path: Option<String>,
    /// Bytes of its stored PCAP (0 without one).
    pub pcap_bytes: u64,
    /// The alert as detected (description, evidence, techniques, remediation, flows).
    pub detail: serde_json::Value,
}

/// One status change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// Wall-clock time of the change (RFC 3339).
    pub time: String,
    /// `raised`, `acknowledged`, `resolved`, `reopened`, `learned`, `muted`.
    pub action: String,
    /// Status before (none when raised).
    pub from: Option<String>,
    /// Status after.
    pub to: String,
    /// The analyst's note, or what the run recorded.
    pub note: Option<String>,
}

/// One incident as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredIncident {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Severity.
    pub severity: String,
    /// First occurrence.
    pub first_seen: String,
    /// Last occurrence.
    pub last_seen: String,
    /// Alerts in it.
    pub alerts: u64,
    /// The `incidents.jsonl` record.
    pub json: serde_json::Value,
}

/// Which alerts to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AlertFilter {
    /// Only this status.
    pub status: Option<Status>,
    /// Only this severity or worse.
    pub min_severity: Option<Severity>,
    /// Only this engine.
    pub engine: Option<EngineKind>,
}

/// The alert tables of an existing database, for the `rampart alerts` commands.
pub struct AlertDb {
    path: PathBuf,
    conn: Connection,
}

const ALERT_COLUMNS: &str = "alert_id, rule, title, engine, category, severity, status, src_ip, src_mac, dst_ip, dst_mac, protocol, first_seen, last_seen, count, suppressed, incident_id, pcap_path, length(pcap), json";

impl AlertDb {
    /// Open the database at `path`, which must exist and hold the alert tables; never creates.
    pub fn open(path: &Path) -> Result<AlertDb, AlertDbError> {
        if !path.is_file() {
            return Err(AlertDbError::Missing(path.to_path_buf()));
        }
        let sqlite = |source| AlertDbError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sqlite)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(sqlite)?;
        let tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('alerts', 'alert_history', 'incidents')",
                [],
                |r| r.get(0),
            )
            .map_err(sqlite)?;
        if tables < 3 {
            return Err(AlertDbError::NoAlerts(path.to_path_buf()));
        }
        Ok(AlertDb {
            path: path.to_path_buf(),
            conn,
        })
    }

    fn sqlite(&self, source: rusqlite::Error) -> AlertDbError {
        AlertDbError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    fn invalid(&self, column: &'static str, value: &str) -> AlertDbError {
        AlertDbError::Invalid {
            path: self.path.clone(),
            column,
            value: value.to_string(),
        }
    }

    /// Alerts that pass `filter`, most severe first, then by first occurrence.
    pub fn list(&self, filter: &AlertFilter) -> Result<Vec<StoredAlert>, AlertDbError> {
        let sql = format!(
            "SELECT {ALERT_COLUMNS} FROM alerts WHERE (?1 IS NULL OR status = ?1) AND severity_rank >= ?2 AND (?3 IS NULL OR engine = ?3) ORDER BY severity_rank DESC, first_seen, alert_id"
        );
        let rows = self
            .conn
            .prepare(&sql)
            .and_then(|mut s| {
                s.query_map(
                    params![
                        filter.status.map(Status::as_str),
                        filter.min_severity.map_or(0, rank),
                        filter.engine.map(EngineKind::as_str)
                    ],
                    RawAlert::read,
                )?
                .collect::<rusqlite::Result<Vec<RawAlert>>>()
            })
            .map_err(|e| self.sqlite(e))?;
        rows.into_iter().map(|r| r.typed(self)).collect()
    }

    /// The alert with this id.
    pub fn alert(&self, id: AlertId) -> Result<StoredAlert, AlertDbError> {
        let sql = format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE alert_id = ?1");
        self.conn
            .query_row(&sql, params![id.to_string()], RawAlert::read)
            .optional()
            .map_err(|e| self.sqlite(e))?
            .ok_or_else(|| AlertDbError::UnknownAlert(id.to_string()))?
            .typed(self)
    }

    /// The status changes of an alert, oldest first.
    pub fn history(&self, id: AlertId) -> Result<Vec<HistoryEntry>, AlertDbError> {
        self.conn
            .prepare(
                "SELECT time, action, from_status, to_status, note FROM alert_history WHERE alert_id = ?1 ORDER BY seq",
            )
            .and_then(|mut s| {
                s.query_map(params![id.to_string()], |r| {
                    Ok(HistoryEntry {
                        time: r.get(0)?,
                        action: r.get(1)?,
                        from: r.get(2)?,
                        to: r.get(3)?,
                        note: r.get(4)?,
                    })
                })?
                .collect()
            })
            .map_err(|e| self.sqlite(e))
    }

    /// Apply `transition` to an alert with an optional note: the status and its history
    /// row are written together, or, when the alert is unknown or the change not allowed,
    /// nothing is. Returns the status before and after.
    pub fn change(
        &mut self,
        id: AlertId,
        transition: Transition,
        note: Option<&str>,
    ) -> Result<(Status, Status), AlertDbError> {
        let path = self.path.clone();
        let sqlite = |source| AlertDbError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sqlite)?;
        let key = id.to_string();
        let current: String = tx
            .query_row(
                "SELECT status FROM alerts WHERE alert_id = ?1",
                params![key],
                |r| r.get(0),
            )
            .optional()
            .map_err(sqlite)?
            .ok_or_else(|| AlertDbError::UnknownAlert(key.clone()))?;
        let from = Status::from_name(&current).ok_or_else(|| AlertDbError::Invalid {
            path: path.clone(),
            column: "status",
            value: current.clone(),
        })?;
        let to = from
            .apply(transition)
            .map_err(|source| AlertDbError::Transition { id, source })?;
        tx.execute(
            "UPDATE alerts SET status = ?2 WHERE alert_id = ?1",
            params![key, to.as_str()],
        )
        .map_err(sqlite)?;
        record(
            &tx,
            &key,
            &now().to_string(),
            transition.as_str(),
            Some(from),
            to,
            note,
        )
        .map_err(sqlite)?;
        tx.commit().map_err(sqlite)?;
        Ok((from, to))
    }

    /// The PCAP of an alert.
    pub fn pcap(&self, id: AlertId) -> Result<Vec<u8>, AlertDbError> {
        let pcap: Option<Option<Vec<u8>>> = self
            .conn
            .query_row(
                "SELECT pcap FROM alerts WHERE alert_id = ?1",
                params![id.to_string()],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.sqlite(e))?;
        match pcap {
            None => Err(AlertDbError::UnknownAlert(id.to_string())),
            Some(None) => Err(AlertDbError::NoPcap(id)),
            Some(Some(bytes)) => Ok(bytes),
        }
    }

    /// Incidents of the last run, most severe first, then by first occurrence.
    pub fn incidents(&self) -> Result<Vec<StoredIncident>, AlertDbError> {
        self.query_incidents(
            "SELECT incident_id, title, severity, first_seen, last_seen, alerts, json FROM incidents ORDER BY severity_rank DESC, first_seen, incident_id",
            [],
        )
    }

    /// The incident with this id.
    pub fn incident(&self, id: IncidentId) -> Result<StoredIncident, AlertDbError> {
        self.query_incidents(
            "SELECT incident_id, title, severity, first_seen, last_seen, alerts, json FROM incidents WHERE incident_id = ?1",
            params![id.to_string()],
        )?
        .pop()
        .ok_or_else(|| AlertDbError::UnknownIncident(id.to_string()))
    }

    fn query_incidents(
        &self,
        sql: &str,
        values: impl rusqlite::Params,
    ) -> Result<Vec<StoredIncident>, AlertDbError> {
        let rows: Vec<(StoredIncident, String)> = self
            .conn
            .prepare(sql)
            .and_then(|mut s| {
                s.query_map(values, |r| {
                    Ok((
                        StoredIncident {
                            id: r.get(0)?,
                            title: r.get(1)?,
                            severity: r.get(2)?,
                            first_seen: r.get(3)?,
                            last_seen: r.get(4)?,
                            alerts: r.get::<_, i64>(5)?.max(0) as u64,
                            json: serde_json::Value::Null,
                        },
                        r.get(6)?,
                    ))
                })?
                .collect()
            })
            .map_err(|e| self.sqlite(e))?;
        rows.into_iter()
            .map(|(mut incident, json)| {
                incident.json = serde_json::from_str(&json)
                    .map_err(|_| self.invalid("incidents.json", &json))?;
                Ok(incident)
            })
            .collect()
    }
}

/// A row as SQLite holds it, before names become types.
struct RawAlert {
    id: String,
    rule: String,
    title: String,
    engine: String,
    category: String,
    severity: String,
    status: String,
    source: (Option<String>, Option<String>),
    destination: (Option<String>, Option<String>),
    protocol: Option<String>,
    first_seen: String,
    last_seen: String,
    count: i64,
    suppressed: Option<String>,
    incident: Option<String>,
    pcap_path: Option<String>,
    pcap_bytes: Option<i64>,
    json: String,
}

impl RawAlert {
    fn read(r: &Row<'_>) -> rusqlite::Result<RawAlert> {
        Ok(RawAlert {
            id: r.get(0)?,
            rule: r.get(1)?,
            title: r.get(2)?,
            engine: r.get(3)?,
            category: r.get(4)?,
            severity: r.get(5)?,
            status: r.get(6)?,
            source: (r.get(7)?, r.get(8)?),
            destination: (r.get(9)?, r.get(10)?),
            protocol: r.get(11)?,
            first_seen: r.get(12)?,
            last_seen: r.get(13)?,
            count: r.get(14)?,
            suppressed: r.get(15)?,
            incident: r.get(16)?,
            pcap_path: r.get(17)?,
            pcap_bytes: r.get(18)?,
            json: r.get(19)?,
        })
    }

    fn typed(self, db: &AlertDb) -> Result<StoredAlert, AlertDbError> {
        Ok(StoredAlert {
            id: self
                .id
                .parse()
                .map_err(|_| db.invalid("alert_id", &self.id))?,
            engine: EngineKind::from_name(&self.engine)
                .ok_or_else(|| db.invalid("engine", &self.engine))?,
            severity: Severity::from_name(&self.severity)
                .ok_or_else(|| db.invalid("severity", &self.severity))?,
            status: Status::from_name(&self.status)
                .ok_or_else(|| db.invalid("status", &self.status))?,
            detail: serde_json::from_str(&self.json).map_err(|_| db.invalid("json", &self.json))?,
            rule: self.rule,
            title: self.title,
            category: self.category,
            source: self.source,
            destination: self.destination,
            protocol: self.protocol,
            first_seen: self.first_seen,
            last_seen: self.last_seen,
            count: self.count.max(0) as u64,
            suppressed: self.suppressed,
            incident: self.incident,
            pcap_path: self.pcap_path,
            pcap_bytes: self.pcap_bytes.unwrap_or(0).max(0) as u64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_detect::{AlertDraft, Endpoint, Rule, incident};

    static STOP: Rule = Rule {
        id: "protocol_policy.plc_stop",
        title: "PLC stop",
        engine: EngineKind::ProtocolPolicy,
        category: "operating_mode",
        severity: Severity::Critical,
        techniques: &["T0858", "T0816"],
        remediation: "Confirm the stop was planned.",
    };
    static SCAN: Rule = Rule {
        id: "anomaly.port_scan",
        title: "Port scan",
        engine: EngineKind::Anomaly,
        category: "scan",
        severity: Severity::Major,
        techniques: &["T0846"],
        remediation: "",
    };

    fn side(last: u8) -> Option<Endpoint> {
        Some(Endpoint {
            ip: Some(std::net::IpAddr::from([10, 0, 0, last])),
            ..Endpoint::default()
        })
    }

    fn alert(rule: &'static Rule, secs: u64, src: u8, dst: u8) -> Alert {
        Alert::open(
            AlertDraft::new(rule, Timestamp::from_parts(secs, 0), "test")
                .between(side(src), side(dst))
                .evidence("function", 1),
        )
    }

    fn scratch() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("rampart.sqlite");
        (dir, path)
    }

    fn actions(db: &AlertDb, id: AlertId) -> Vec<String> {
        let history = db.history(id).expect("history");
        history.into_iter().map(|h| h.action).collect()
    }

    fn write(path: &Path, alerts: &[Alert], pcaps: &HashMap<AlertId, Vec<u8>>) -> AlertsWritten {
        let incidents = incident::group(alerts, incident::DEFAULT_WINDOW);
        let mut store = Store::create(path).expect("database created");
        store
            .write_alerts(alerts, |id| pcaps.get(&id).map(Vec::as_slice), &incidents)
            .expect("alerts written")
    }

    #[test]
    fn a_run_stores_alerts_pcaps_incidents_and_their_first_history() {
        let (_dir, path) = scratch();
        let mut suppressed = alert(&SCAN, 5, 9, 3);
        suppressed.suppressed = Some("exclusion rule 'x': y".into());
        let alerts = vec![alert(&STOP, 10, 9, 2), suppressed];
        let pcaps = HashMap::from([(alerts[0].id, vec![1, 2, 3])]);
        let written = write(&path, &alerts, &pcaps);
        assert_eq!(
            written,
            AlertsWritten {
                new: 2,
                updated: 0,
                reopened: 0,
                incidents: 1
            }
        );
        let db = AlertDb::open(&path).expect("opened");
        let listed = db.list(&AlertFilter::default()).expect("listed");
        assert_eq!(
            listed.iter().map(|a| a.id).collect::<Vec<_>>(),
            vec![alerts[0].id, alerts[1].id]
        );
        let stop = &listed[0];
        assert_eq!(stop.status, Status::New);
        assert_eq!(
            stop.pcap_path.as_deref(),
            Some(format!("alerts/{}.pcap", stop.id).as_str())
        );
        assert_eq!(stop.pcap_bytes, 3);
        assert_eq!(stop.detail["evidence"]["function"], 1);
        assert_eq!(stop.source.0.as_deref(), Some("10.0.0.9"));
        assert_eq!(
            listed[1].suppressed.as_deref(),
            Some("exclusion rule 'x': y")
        );
        assert_eq!(stop.incident, listed[1].incident);
        assert_eq!(db.pcap(stop.id).expect("pcap"), vec![1, 2, 3]);
        assert!(matches!(
            db.pcap(listed[1].id),
            Err(AlertDbError::NoPcap(_))
        ));
        let history = db.history(listed[1].id).expect("history");
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].action, "raised");
        assert!(
            history[0]
                .note
                .as_deref()
                .is_some_and(|n| n.contains("suppressed: exclusion"))
        );
        let incidents = db.incidents().expect("incidents");
        assert_eq!(incidents.len(), 1);
        assert_eq!(incidents[0].alerts, 2);
        assert_eq!(incidents[0].json["incident"]["severity"], "critical");
    }

    #[test]
    fn filters_pick_status_severity_and_engine() {
        let (_dir, path) = scratch();
        let alerts = vec![alert(&STOP, 10, 9, 2), alert(&SCAN, 5, 9, 3)];
        write(&path, &alerts, &HashMap::new());
        let mut db = AlertDb::open(&path).expect("opened");
        db.change(alerts[1].id, Transition::Acknowledge, None)
            .expect("acked");
        let ids = |f: AlertFilter| -> Vec<AlertId> {
            db.list(&f).expect("listed").iter().map(|a| a.id).collect()
        };
        let critical = AlertFilter {
            min_severity: Some(Severity::Critical),
            ..AlertFilter::default()
        };
        assert_eq!(ids(critical), vec![alerts[0].id]);
        let acked = AlertFilter {
            status: Some(Status::Acknowledged),
            ..AlertFilter::default()
        };
        assert_eq!(ids(acked), vec![alerts[1].id]);
        let anomaly = AlertFilter {
            engine: Some(EngineKind::Anomaly),
            min_severity: Some(Severity::Major),
            ..AlertFilter::default()
        };
        assert_eq!(ids(anomaly), vec![alerts[1].id]);
    }

    #[test]
    fn a_refused_change_writes_nothing() {
        let (_dir, path) = scratch();
        let alerts = vec![alert(&STOP, 10, 9, 2)];
        write(&path, &alerts, &HashMap::new());
        let mut db = AlertDb::open(&path).expect("opened");
        let id = alerts[0].id;
        assert_eq!(
            db.change(id, Transition::Resolve, Some("planned")).ok(),
            Some((Status::New, Status::Resolved))
        );
        let err = db
            .change(id, Transition::Acknowledge, Some("late"))
            .expect_err("refused");
        assert_eq!(
            err.to_string(),
            format!("alert {id}: resolved alert cannot be acknowledged; only new alerts can")
        );
        assert!(matches!(
            db.change(AlertId(7), Transition::Acknowledge, None),
            Err(AlertDbError::UnknownAlert(_))
        ));
        assert_eq!(db.alert(id).expect("alert").status, Status::Resolved);
        assert_eq!(actions(&db, id), vec!["raised", "resolved"]);
    }

    #[test]
    fn a_later_run_keeps_the_status_and_reopens_what_came_back() {
        let (_dir, path) = scratch();
        let first = vec![alert(&STOP, 10, 9, 2), alert(&SCAN, 5, 9, 3)];
        write(&path, &first, &HashMap::new());
        {
            let mut db = AlertDb::open(&path).expect("opened");
            db.change(first[0].id, Transition::Resolve, None)
                .expect("resolved");
            db.change(first[1].id, Transition::Acknowledge, None)
                .expect("acked");
        }
        // The same capture again: nothing comes back.
        let again = write(&path, &first, &HashMap::new());
        assert_eq!((again.new, again.updated, again.reopened), (0, 2, 0));
        // A later capture where the stop happens again.
        let mut later = first.clone();
        later[0].last_seen = Timestamp::from_parts(5000, 0);
        later[0].count = 2;
        let third = write(&path, &later, &HashMap::new());
        assert_eq!((third.new, third.updated, third.reopened), (0, 1, 1));
        let db = AlertDb::open(&path).expect("opened");
        let stop = db.alert(first[0].id).expect("stop");
        assert_eq!((stop.status, stop.count), (Status::New, 2));
        assert_eq!(
            db.alert(first[1].id).expect("scan").status,
            Status::Acknowledged
        );
        assert_eq!(
            actions(&db, first[0].id),
            vec!["raised", "resolved", "reopened"]
        );
    }

    #[test]
    fn a_failed_write_keeps_what_was_stored() {
        let (_dir, path) = scratch();
        let first = vec![alert(&STOP, 10, 9, 2)];
        write(&path, &first, &HashMap::new());
        Connection::open(&path)
            .and_then(|c| {
                c.execute_batch(
                    "CREATE TRIGGER refuse BEFORE INSERT ON alerts WHEN NEW.rule = 'anomaly.port_scan' BEGIN SELECT RAISE(ABORT, 'refused by test'); END;",
                )
            })
            .expect("trigger");
        let mut later = vec![first[0].clone(), alert(&SCAN, 20, 9, 3)];
        later[0].count = 9;
        let incidents = incident::group(&later, incident::DEFAULT_WINDOW);
        let mut store = Store::reopen(&path).expect("reopened");
        let err = store
            .write_alerts(&later, |_| None, &incidents)
            .expect_err("refused");
        assert!(err.to_string().contains("refused by test"), "{err}");
        store.commit().expect("nothing partial left to commit");
        drop(store);
        let db = AlertDb::open(&path).expect("opened");
        let stop = db.alert(first[0].id).expect("kept");
        assert_eq!(stop.count, 1);
        assert!(stop.incident.is_some());
        assert_eq!(db.incidents().expect("incidents").len(), 1);
        assert_eq!(db.list(&AlertFilter::default()).expect("listed").len(), 1);
        assert_eq!(actions(&db, first[0].id), vec!["raised"]);
    }

    #[test]
    fn opening_refuses_missing_foreign_and_damaged_files() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let missing = dir.path().join("absent.sqlite");
        assert!(matches!(
            AlertDb::open(&missing),
            Err(AlertDbError::Missing(_))
        ));
        assert!(!missing.exists(), "opening never creates a database");
        let garbage = dir.path().join("garbage.sqlite");
        std::fs::write(&garbage, vec![0x42; 4096]).expect("written");
        let err = AlertDb::open(&garbage).err().expect("not a database");
        assert!(err.to_string().contains("not a database"), "{err}");
        let foreign = dir.path().join("foreign.sqlite");
        Connection::open(&foreign)
            .and_then(|c| c.execute_batch("CREATE TABLE t (x)"))
            .expect("foreign database");
        assert!(matches!(
            AlertDb::open(&foreign),
            Err(AlertDbError::NoAlerts(_))
        ));
    }
}
