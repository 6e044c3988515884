//! Record values made from protocol octets without copying them.

use rampart_dissect::{Direction, Event, EventSink, FieldList, Record, Value, report};
use rampart_event::Activity;

/// Show octets as text when they are UTF-8 (trailing NULs and blanks, the padding of fixed
/// fields, trimmed), else as hex: a record field borrowing the message, never a copy.
pub(crate) fn text_or_hex(bytes: &[u8]) -> Value<'_> {
    let end = bytes
        .iter()
        .rposition(|&b| b != 0 && b != b' ')
        .map_or(0, |i| i + 1);
    match std::str::from_utf8(&bytes[..end]) {
        Ok(s) => Value::Str(s),
        Err(_) => Value::Bytes(bytes),
    }
}

/// Emit the record built in `fields`; fields that did not fit its capacity are an anomaly
/// (`fields_dropped`), not a silent loss.
pub(crate) fn emit_record<const N: usize>(
    sink: &mut dyn EventSink,
    protocol: &'static str,
    kind: &'static str,
    direction: Option<Direction>,
    activity: Option<Activity>,
    fields: &FieldList<'_, N>,
) {
    if fields.dropped() > 0 {
        let detail = format_args!("{} fields did not fit the record", fields.dropped());
        report(sink, protocol, "fields_dropped", None, &detail);
    }
    sink.emit(Event::Record(Record {
        protocol,
        kind,
        direction,
        activity,
        fields: fields.fields(),
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_text_and_shows_the_rest_as_hex() {
        assert_eq!(text_or_hex(b"_INSE\0\0 "), Value::Str("_INSE"));
        assert_eq!(text_or_hex(&[0xff, 0x01]), Value::Bytes(&[0xff, 0x01]));
    }
}
