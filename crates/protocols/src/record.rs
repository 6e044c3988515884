//! The one way the industrial dissectors emit a record.

use rampart_dissect::{Direction, Event, EventSink, Fields, Record};
use rampart_event::Activity;

/// Emit a record of `protocol`.
pub(crate) fn emit(
    sink: &mut dyn EventSink,
    protocol: &str,
    kind: &str,
    direction: Option<Direction>,
    activity: Option<Activity>,
    fields: Fields<'_>,
) {
    sink.emit(Event::Record(Record {
        protocol,
        kind,
        direction,
        activity,
        fields,
    }));
}
