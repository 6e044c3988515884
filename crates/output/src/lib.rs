//! Rampart's outputs: JSON Lines files (streamed flows and events; devices, conversations and
//! the run summary at the end), the readable summary for the terminal, and the HTML report.
//!
//! Adapter tier: this crate writes files; what the records contain is decided by the engine
//! (streamed records) and by [`schema`] (end-of-run records).

#![forbid(unsafe_code)]

pub mod html;
mod jsonl;
pub mod schema;
pub mod summary;

pub use jsonl::{JsonLines, OutputError, write_report};
pub use schema::InputSummary;

use rampart_engine::{EventRecord, FlowRecord, RecordSink};

/// Sends every record to each of several sinks.
pub struct Tee(pub Vec<Box<dyn RecordSink>>);

impl RecordSink for Tee {
    fn flow(&mut self, record: &FlowRecord) {
        for sink in &mut self.0 {
            sink.flow(record);
        }
    }

    fn event(&mut self, record: &EventRecord<'_>) {
        for sink in &mut self.0 {
            sink.event(record);
        }
    }

    fn finish(&mut self) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let mut first = Ok(());
        for sink in &mut self.0 {
            let result = sink.finish();
            if first.is_ok() {
                first = result;
            }
        }
        first
    }
}
