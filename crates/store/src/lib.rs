//! The embedded store: a SQLite database with the same records as the JSON Lines files.
//!
//! Each table keeps the record's JSON text (the one schema, identical to the line in the
//! `.jsonl` file) beside the columns people filter on, so SQL users get indexes and the JSON
//! consumers lose nothing. Rows are written in large transactions; a run that fails half-way
//! leaves the database with everything committed before the failure.

#![forbid(unsafe_code)]

mod alerts;

pub use alerts::{
    AlertDb, AlertDbError, AlertFilter, AlertsWritten, HistoryEntry, StoredAlert, StoredIncident,
};
use std::path::{Path, PathBuf};

use rampart_engine::{EventRecord, FlowRecord, Origin, Report};
use rampart_event::{Event, SCHEMA_VERSION};
use rampart_forward::ForwardStats;
use rampart_output::schema::{ConversationJson, DeviceJson, InputSummary, SummaryJson};
use rampart_output::{JsonSink, SinkError};
use rusqlite::{Connection, params};

/// Rows per transaction.
const BATCH: u32 = 50_000;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS flows (
  flow_id INTEGER NOT NULL, start TEXT NOT NULL, end TEXT NOT NULL, transport TEXT NOT NULL,
  protocol TEXT, src_ip TEXT NOT NULL, src_port INTEGER NOT NULL, dst_ip TEXT NOT NULL,
  dst_port INTEGER NOT NULL, vlan INTEGER NOT NULL, packets INTEGER NOT NULL, bytes INTEGER NOT NULL,
  close_reason TEXT NOT NULL, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
  time TEXT NOT NULL, kind TEXT NOT NULL, protocol TEXT NOT NULL, dataset TEXT,
  flow_id INTEGER, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS devices (
  device_id TEXT PRIMARY KEY, vendor TEXT, hostname TEXT, os TEXT, device_type TEXT,
  first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS conversations (
  client TEXT NOT NULL, server TEXT NOT NULL, flows INTEGER NOT NULL, bytes INTEGER NOT NULL,
  json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS summary (json TEXT NOT NULL);
";

/// The indexes of the streamed tables, built once their rows are in: one sorted build at the
/// end costs a fraction of keeping the index up to date row by row, which was a third of
/// the time spent storing an event. A run cut short leaves its rows without them, and the
/// next [`Store::reopen`] builds them.
const INDEXES: &str = "
CREATE INDEX IF NOT EXISTS flows_src ON flows (src_ip);
CREATE INDEX IF NOT EXISTS flows_dst ON flows (dst_ip, dst_port);
CREATE INDEX IF NOT EXISTS events_kind ON events (kind, protocol);
";

/// A problem with the database.
#[derive(Debug, thiserror::Error)]
#[error("database {path}: {source}")]
pub struct StoreError {
    /// The database file.
    pub path: PathBuf,
    /// What SQLite said.
    #[source]
    pub source: rusqlite::Error,
}

/// The database of one run.
pub struct Store {
    path: PathBuf,
    conn: Connection,
    pending: u32,
    json: Vec<u8>,
    /// An event's time and dataset texts, kept between events so storing one allocates
    /// nothing for them.
    text: String,
    error: Option<rusqlite::Error>,
}

impl Store {
    /// Create the database at `path`, replacing the run tables of an earlier run there; the
    /// alert lifecycle tables stay, so an analyst's decisions survive a new run.
    pub fn create(path: &Path) -> Result<Store, StoreError> {
        let wrap = |source| StoreError {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open(path).map_err(wrap)?;
        // Large pages for a new database (an existing one keeps its own): a run appends
        // millions of rows, and with the default 4 KiB pages SQLite spent as much time in
        // reading, writing and checkpointing pages as in everything else it did.
        conn.execute_batch(
            "PRAGMA page_size = 65536; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
             DROP TABLE IF EXISTS flows; DROP TABLE IF EXISTS events; DROP TABLE IF EXISTS devices;
             DROP TABLE IF EXISTS conversations; DROP TABLE IF EXISTS summary;",
        )
        .map_err(wrap)?;
        conn.execute_batch(SCHEMA).map_err(wrap)?;
        conn.execute_batch(alerts::SCHEMA).map_err(wrap)?;
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?1)",
            params![SCHEMA_VERSION.to_string()],
        )
        .map_err(wrap)?;
        conn.execute_batch("BEGIN").map_err(wrap)?;
        Ok(Store {
            path: path.to_path_buf(),
            conn,
            pending: 0,
            json: Vec::with_capacity(4096),
            text: String::new(),
            error: None,
        })
    }

    fn wrap(&self, source: rusqlite::Error) -> StoreError {
        StoreError {
            path: self.path.clone(),
            source,
        }
    }

    fn json_text<T: serde::Serialize>(&mut self, record: &T) -> &str {
        self.json.clear();
        if serde_json::to_writer(&mut self.json, record).is_err() {
            self.json.clear();
        }
        std::str::from_utf8(&self.json).unwrap_or("")
    }

    fn counted(&mut self, result: rusqlite::Result<usize>) {
        match result {
            Ok(_) => {
                self.pending += 1;
                if self.pending >= BATCH {
                    self.pending = 0;
                    if let Err(e) = self.conn.execute_batch("COMMIT; BEGIN") {
                        self.error.get_or_insert(e);
                    }
                }
            }
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
    }

    /// Open the database of a run that [`Store::create`] made, to add to it.
    pub fn reopen(path: &Path) -> Result<Store, StoreError> {
        let wrap = |source| StoreError {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open(path).map_err(wrap)?;
        conn.execute_batch(SCHEMA).map_err(wrap)?;
        conn.execute_batch(INDEXES).map_err(wrap)?;
        conn.execute_batch(alerts::SCHEMA).map_err(wrap)?;
        conn.execute_batch("BEGIN").map_err(wrap)?;
        Ok(Store {
            path: path.to_path_buf(),
            conn,
            pending: 0,
            json: Vec::with_capacity(4096),
            text: String::new(),
            error: None,
        })
    }

    /// Store the end-of-run records and commit.
    pub fn write_report(
        &mut self,
        report: &Report,
        inputs: &[InputSummary],
        forwarding: &[ForwardStats],
    ) -> Result<(), StoreError> {
        for d in &report.devices {
            let json = self.json_text(&DeviceJson(d)).to_string();
            self.insert(
                "INSERT INTO devices (device_id, vendor, hostname, os, device_type, first_seen, last_seen, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    d.id(),
                    d.vendor.as_ref().map(|g| g.value.clone()),
                    d.hostnames.first().map(|h| h.value.clone()),
                    d.os.as_ref().map(|g| g.value.clone()),
                    d.device_type.as_ref().map(|g| g.value.clone()),
                    d.seen.first.to_string(),
                    d.seen.last.to_string(),
                    json
                ],
            );
        }
        for c in &report.conversations {
            let json = self.json_text(&ConversationJson(c)).to_string();
            self.insert(
                "INSERT INTO conversations (client, server, flows, bytes, json) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![c.client, c.server, c.flows as i64, (c.bytes[0] + c.bytes[1]) as i64, json],
            );
        }
        let json = self
            .json_text(&SummaryJson {
                report,
                inputs,
                forwarding,
            })
            .to_string();
        self.insert("INSERT INTO summary (json) VALUES (?1)", params![json]);
        self.commit()
    }

    /// Commit what is pending; report the first error met since the last commit.
    pub fn commit(&mut self) -> Result<(), StoreError> {
        if let Some(e) = self.error.take() {
            return Err(self.wrap(e));
        }
        self.conn
            .execute_batch("COMMIT; BEGIN")
            .map_err(|e| self.wrap(e))
    }

    /// Return the open connection (for queries in tests and tools).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

impl Store {
    /// Insert one row with a cached statement; a failure is kept for [`Store::commit`].
    fn insert(&mut self, sql: &str, values: impl rusqlite::Params) {
        let result = self
            .conn
            .prepare_cached(sql)
            .and_then(|mut statement| statement.execute(values));
        self.counted(result);
    }
}

impl JsonSink for Store {
    fn flow(&mut self, record: &FlowRecord, json: &str) {
        let c = &record.context;
        self.insert(
            "INSERT INTO flows (flow_id, start, end, transport, protocol, src_ip, src_port, dst_ip, dst_port, vlan, packets, bytes, close_reason, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            params![
                c.id as i64,
                record.start.to_string(),
                record.end.to_string(),
                c.transport,
                c.app,
                c.client.0.to_string(),
                c.client.1,
                c.server.0.to_string(),
                c.server.1,
                c.vlan,
                (record.packets[0] + record.packets[1]) as i64,
                (record.bytes[0] + record.bytes[1]) as i64,
                record.close_reason,
                json
            ],
        );
    }

    fn event(&mut self, record: &EventRecord<'_>, json: &str) {
        let (kind, protocol) = match record.event {
            Event::Record(r) => ("protocol", r.protocol),
            Event::Identity(i) => ("identity", i.protocol),
            Event::Anomaly(a) => ("anomaly", a.protocol),
            Event::Finding(f) => ("finding", f.protocol),
            Event::Module(m) => ("module", m.protocol),
        };
        let flow_id = match record.origin {
            Origin::Flow(c) => Some(c.id as i64),
            Origin::Frame(_) | Origin::Capture => None,
        };
        let mut text = std::mem::take(&mut self.text);
        text.clear();
        text.push_str(std::str::from_utf8(&record.time.rfc3339()).unwrap_or_default());
        let time_end = text.len();
        let has_dataset = match record.event {
            Event::Record(r) => {
                text.extend([r.protocol, ".", r.kind]);
                true
            }
            _ => false,
        };
        let (time, dataset) = text.split_at(time_end);
        let dataset = has_dataset.then_some(dataset);
        self.insert(
            "INSERT INTO events (time, kind, protocol, dataset, flow_id, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![time, kind, protocol, dataset, flow_id, json],
        );
        self.text = text;
    }

    fn finish(&mut self) -> Result<(), SinkError> {
        if let Err(e) = self.conn.execute_batch(INDEXES) {
            self.error.get_or_insert(e);
        }
        self.commit().map_err(Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_event::{Anomaly, Record, Timestamp};

    fn indexes(conn: &Connection) -> Vec<String> {
        let mut q = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' AND tbl_name IN ('flows', 'events') ORDER BY name")
            .expect("query");
        q.query_map([], |row| row.get(0))
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("names")
    }

    fn store_events(store: &mut Store) {
        let record = Event::Record(Record {
            protocol: "modbus",
            kind: "transaction",
            direction: None,
            activity: None,
            fields: rampart_event::Fields(&[]),
        });
        let anomaly = Event::Anomaly(Anomaly {
            protocol: "modbus",
            code: "bad_length",
            offset: Some(4),
            detail: &"length 0",
        });
        for (secs, event) in [(1, &record), (2, &anomaly)] {
            let record = EventRecord {
                time: Timestamp::from_parts(secs, 500_000_000),
                origin: &Origin::Capture,
                event,
            };
            store.event(&record, "{}");
        }
    }

    /// A new database holding two streamed events, not finished yet.
    fn run_with_events() -> (tempfile::TempDir, PathBuf, Store) {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("rampart.sqlite");
        let mut store = Store::create(&path).expect("created");
        store_events(&mut store);
        (dir, path, store)
    }

    #[test]
    fn events_are_indexed_when_their_rows_are_in() {
        let (_dir, _, mut store) = run_with_events();
        assert!(indexes(store.connection()).is_empty());
        store.finish().expect("finished");
        let page_size: i64 = store
            .connection()
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .expect("page size");
        assert_eq!(page_size, 65536);
        assert_eq!(
            indexes(store.connection()),
            ["events_kind", "flows_dst", "flows_src"]
        );
        let rows: Vec<(String, String, Option<String>)> = store
            .connection()
            .prepare("SELECT time, kind, dataset FROM events ORDER BY rowid")
            .expect("query")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("values");
        assert_eq!(
            rows,
            [
                (
                    "1970-01-01T00:00:01.500000Z".to_string(),
                    "protocol".to_string(),
                    Some("modbus.transaction".to_string())
                ),
                (
                    "1970-01-01T00:00:02.500000Z".to_string(),
                    "anomaly".to_string(),
                    None
                ),
            ]
        );
    }

    #[test]
    fn a_run_cut_short_keeps_its_rows_and_gets_its_indexes_on_reopen() {
        let (_dir, path, mut store) = run_with_events();
        store.commit().expect("committed");
        drop(store);
        let store = Store::reopen(&path).expect("reopened");
        assert_eq!(indexes(store.connection()).len(), 3);
        let count: i64 = store
            .connection()
            .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
            .expect("count");
        assert_eq!(count, 2);
    }
}
