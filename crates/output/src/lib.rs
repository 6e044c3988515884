//! Rampart's outputs: JSON Lines files (streamed flows and events; devices, conversations and
//! the run summary at the end), the readable summary for the terminal, and the HTML report.
//!
//! Adapter tier: this crate writes files; what the records contain is decided by the engine
//! (streamed records) and by [`schema`] (end-of-run records).

#![forbid(unsafe_code)]

pub mod html;
pub mod incidents;
mod jsonl;
pub mod schema;
pub mod summary;

pub use incidents::write_incidents;
pub use jsonl::{JsonLines, OutputError, write_report};
pub use schema::InputSummary;

use rampart_engine::{EventRecord, FlowRecord, RecordSink};

/// What a failed sink reports.
pub type SinkError = Box<dyn std::error::Error + Send + Sync>;

/// A consumer of records that also takes their JSON text, serialised once for all consumers.
pub trait JsonSink {
    /// Take an ended (or reported) flow and its JSON.
    fn flow(&mut self, record: &FlowRecord, json: &str);
    /// Take an event and its JSON.
    fn event(&mut self, record: &EventRecord<'_>, json: &str);
    /// Flush what is buffered and report the first error met while writing.
    fn finish(&mut self) -> Result<(), SinkError>;
}

/// Serialises each record once and hands it to every [`JsonSink`]: the JSON Lines files and
/// the database store the very same text.
pub struct Fanout {
    sinks: Vec<Box<dyn JsonSink>>,
    json: Vec<u8>,
}

impl Fanout {
    /// Send records to `sinks`.
    pub fn new(sinks: Vec<Box<dyn JsonSink>>) -> Fanout {
        Fanout {
            sinks,
            json: Vec::with_capacity(4096),
        }
    }
}

impl RecordSink for Fanout {
    fn flow(&mut self, record: &FlowRecord) {
        let Fanout { sinks, json } = self;
        json.clear();
        record.write_json(json);
        let text = std::str::from_utf8(json).unwrap_or_default();
        sinks.iter_mut().for_each(|sink| sink.flow(record, text));
    }

    fn event(&mut self, record: &EventRecord<'_>) {
        let Fanout { sinks, json } = self;
        json.clear();
        record.write_json(json);
        let text = std::str::from_utf8(json).unwrap_or_default();
        sinks.iter_mut().for_each(|sink| sink.event(record, text));
    }

    fn finish(&mut self) -> Result<(), SinkError> {
        let mut first = Ok(());
        for sink in &mut self.sinks {
            let result = sink.finish();
            if first.is_ok() {
                first = result;
            }
        }
        first
    }
}
