//! JSON Lines files: one record per line, streamed as the run goes.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use rampart_detect::Detection;
use rampart_detect::record::alert_record;
use rampart_engine::{EventRecord, FlowRecord, Report};
use rampart_forward::ForwardStats;
use serde::Serialize;

use crate::schema::{ConversationJson, DeviceJson, InputSummary, SummaryJson};
use crate::{JsonSink, SinkError};

/// A problem writing an output file.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {source}")]
pub struct OutputError {
    /// The file.
    pub path: PathBuf,
    /// Why.
    #[source]
    pub source: io::Error,
}

/// One JSON Lines file.
struct LinesFile {
    path: PathBuf,
    writer: BufWriter<File>,
    lines: u64,
    error: Option<io::Error>,
}

impl LinesFile {
    fn create(path: PathBuf) -> Result<LinesFile, OutputError> {
        let file = File::create(&path).map_err(|source| OutputError {
            path: path.clone(),
            source,
        })?;
        Ok(LinesFile {
            path,
            writer: BufWriter::with_capacity(1 << 20, file),
            lines: 0,
            error: None,
        })
    }

    fn write<T: Serialize>(&mut self, record: &T) {
        if self.error.is_some() {
            return;
        }
        let result = serde_json::to_writer(&mut self.writer, record)
            .map_err(io::Error::other)
            .and_then(|()| self.writer.write_all(b"\n"));
        match result {
            Ok(()) => self.lines += 1,
            Err(e) => self.error = Some(e),
        }
    }

    fn write_text(&mut self, json: &str) {
        if self.error.is_some() {
            return;
        }
        let result = self
            .writer
            .write_all(json.as_bytes())
            .and_then(|()| self.writer.write_all(b"\n"));
        match result {
            Ok(()) => self.lines += 1,
            Err(e) => self.error = Some(e),
        }
    }

    fn flush(&mut self) -> Result<u64, OutputError> {
        let path = self.path.clone();
        if let Some(source) = self.error.take() {
            return Err(OutputError { path, source });
        }
        self.writer
            .flush()
            .map_err(|source| OutputError { path, source })?;
        Ok(self.lines)
    }
}

/// Streams flows and events to `flows.jsonl` and `events.jsonl` in a directory.
pub struct JsonLines {
    flows: LinesFile,
    events: LinesFile,
}

impl JsonLines {
    /// Create (truncate) the files in `dir`, which must exist.
    pub fn create(dir: &Path) -> Result<JsonLines, OutputError> {
        Ok(JsonLines {
            flows: LinesFile::create(dir.join("flows.jsonl"))?,
            events: LinesFile::create(dir.join("events.jsonl"))?,
        })
    }

    /// Flush the files; return (flow lines, event lines) or the first write error.
    pub fn flush(&mut self) -> Result<(u64, u64), OutputError> {
        Ok((self.flows.flush()?, self.events.flush()?))
    }
}

impl JsonSink for JsonLines {
    fn flow(&mut self, _: &FlowRecord, json: &str) {
        self.flows.write_text(json);
    }

    fn event(&mut self, _: &EventRecord<'_>, json: &str) {
        self.events.write_text(json);
    }

    fn finish(&mut self) -> Result<(), SinkError> {
        self.flush().map(|_| ()).map_err(Into::into)
    }
}

/// Write `devices.jsonl`, `conversations.jsonl` and `summary.json` for a finished run.
pub fn write_report(
    dir: &Path,
    report: &Report,
    inputs: &[InputSummary],
    forwarding: &[ForwardStats],
) -> Result<(), OutputError> {
    let mut devices = LinesFile::create(dir.join("devices.jsonl"))?;
    for d in &report.devices {
        devices.write(&DeviceJson(d));
    }
    devices.flush()?;
    let mut conversations = LinesFile::create(dir.join("conversations.jsonl"))?;
    for c in &report.conversations {
        conversations.write(&ConversationJson(c));
    }
    conversations.flush()?;
    if let Some(detection) = &report.detection {
        write_alerts(dir, detection)?;
    }
    let path = dir.join("summary.json");
    let text = serde_json::to_string_pretty(&SummaryJson {
        report,
        inputs,
        forwarding,
    })
    .map_err(|e| OutputError {
        path: path.clone(),
        source: io::Error::other(e),
    })?;
    std::fs::write(&path, text + "\n").map_err(|source| OutputError { path, source })
}

/// Write `alerts.jsonl` and each alert's PCAP as `alerts/<id>.pcap`.
fn write_alerts(dir: &Path, detection: &Detection) -> Result<(), OutputError> {
    let pcap_dir = dir.join("alerts");
    let mut alerts = LinesFile::create(dir.join("alerts.jsonl"))?;
    for alert in detection.book().alerts() {
        let mut pcap_name = None;
        if let Some(bytes) = detection.pcap(alert.id) {
            std::fs::create_dir_all(&pcap_dir).map_err(|source| OutputError {
                path: pcap_dir.clone(),
                source,
            })?;
            let name = format!("alerts/{}.pcap", alert.id);
            let path = dir.join(&name);
            std::fs::write(&path, bytes).map_err(|source| OutputError { path, source })?;
            pcap_name = Some(name);
        }
        alerts.write(&alert_record(alert, pcap_name.as_deref()));
    }
    alerts.flush().map(|_| ())
}
