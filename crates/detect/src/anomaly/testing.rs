//! Test harness: drive one detector with synthetic observations and collect its drafts.

use std::net::IpAddr;

use rampart_event::{Event, FlowContext, Origin, Record, Timestamp};

use crate::{AlertDraft, Context, Detector, Mode, Observation};

/// One detector, the mode it runs in, and what it raised.
pub struct Run<D> {
    pub detector: D,
    pub mode: Mode,
    pub drafts: Vec<AlertDraft>,
}

impl<D: Detector> Run<D> {
    /// Run `detector` in `mode`.
    pub fn new(detector: D, mode: Mode) -> Self {
        Run {
            detector,
            mode,
            drafts: Vec::new(),
        }
    }

    fn with_cx(&mut self, time: Timestamp, f: impl FnOnce(&mut D, &mut Context<'_>)) {
        let mut cx = Context {
            time,
            mode: self.mode,
            drafts: &mut self.drafts,
            open: None,
            refused: None,
        };
        f(&mut self.detector, &mut cx);
    }

    /// Show one observation.
    pub fn observe(&mut self, time: Timestamp, observation: &Observation<'_>) {
        self.with_cx(time, |d, cx| d.observe(observation, cx));
    }

    /// Show a record said in `origin`.
    pub fn record(&mut self, time: Timestamp, origin: &Origin, record: Record<'_>) {
        self.observe(
            time,
            &Observation::Event {
                origin,
                event: &Event::Record(record),
            },
        );
    }

    /// A packet of `flow`.
    pub fn packet(&mut self, time: Timestamp, flow: u64, wire_len: u32) {
        self.with_cx(time, |d, cx| d.packet(flow, wire_len, cx));
    }

    /// A second passed.
    pub fn tick(&mut self, time: Timestamp) {
        self.with_cx(time, |d, cx| d.tick(cx));
    }

    /// The input ended.
    pub fn finish(&mut self, time: Timestamp) {
        self.with_cx(time, |d, cx| d.finish(cx));
    }

    /// The drafts raised so far, taken.
    pub fn take(&mut self) -> Vec<AlertDraft> {
        std::mem::take(&mut self.drafts)
    }

    /// The rule ids raised so far, taken.
    pub fn take_ids(&mut self) -> Vec<&'static str> {
        self.take().into_iter().map(|d| d.rule.id).collect()
    }
}

/// The time `millis` milliseconds after a fixed start, on a whole minute.
pub fn ms(millis: u64) -> Timestamp {
    Timestamp(1_699_999_980_000_000_000 + millis * 1_000_000)
}

/// The time `secs` seconds after the same start.
pub fn secs(secs: u64) -> Timestamp {
    ms(secs * 1000)
}

/// Parse an address.
pub fn ip(text: &str) -> IpAddr {
    text.parse().expect("an address")
}

/// A TCP flow from `client` to `server:port`.
pub fn flow(id: u64, client: &str, server: &str, port: u16) -> FlowContext {
    FlowContext {
        id,
        transport: "tcp",
        app: None,
        client: (ip(client), 40_000),
        server: (ip(server), port),
        client_mac: None,
        server_mac: None,
        vlan: 0,
    }
}
