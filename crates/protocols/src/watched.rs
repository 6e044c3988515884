//! A sink that notes whether a decoder said anything: what a dissector checks before it
//! remembers a decoded message for reuse, since a message that drew an anomaly must be decoded
//! (and reported) again each time it comes.

use rampart_dissect::{Event, EventSink};

/// Passes every event on and remembers that one passed.
pub(crate) struct Watched<'a> {
    inner: &'a mut dyn EventSink,
    said: bool,
}

impl<'a> Watched<'a> {
    /// Watch `inner`.
    pub(crate) fn new(inner: &'a mut dyn EventSink) -> Watched<'a> {
        Watched { inner, said: false }
    }

    /// Tell whether any event passed.
    pub(crate) fn said(&self) -> bool {
        self.said
    }
}

impl EventSink for Watched<'_> {
    fn emit(&mut self, event: Event<'_>) {
        self.said = true;
        self.inner.emit(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_event::CollectingSink;

    #[test]
    fn notes_that_an_event_passed_and_passes_it_on() {
        let mut sink = CollectingSink::default();
        let mut watched = Watched::new(&mut sink);
        assert!(!watched.said());
        rampart_dissect::report(&mut watched, "test", "odd", Some(3), &"odd byte");
        assert!(watched.said());
        assert_eq!(sink.lines.len(), 1);
    }
}
