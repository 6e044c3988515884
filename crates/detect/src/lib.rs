//! Detection: what turns events into alerts.
//!
//! The engine feeds a [`Detection`] every observation it makes (flow starts and ends, and
//! every event a dissector says) and every packet (into the evidence ring). Each alert engine
//! is a [`Detector`]: it watches observations, keeps its own bounded state and raises
//! [`AlertDraft`]s; the [`AlertBook`] folds repeats into one alert with a count. When a draft
//! opens a new alert, the packets of its flows are cut from the ring into the alert's PCAP.
//!
//! Detectors are synchronous and run on the packet path, so they must be cheap for the
//! common case (a known edge doing a known thing): hash lookups, no formatting, no allocation
//! until something is worth raising. Two things keep that cheap without each detector
//! reinventing it: a detector declares its [`Interest`] once and is shown only those
//! observations (an ARP detector never sees a Modbus read), and an occurrence of an alert
//! that is already open is counted with [`Context::repeat`] from its [`AlertKey`], before any
//! description or evidence is built.

#![forbid(unsafe_code)]

pub mod alert;
pub mod anomaly;
pub mod baseline;
pub mod book;
mod capped;
pub mod config;
pub mod evidence;
mod facts;
mod flow_slots;
pub mod incident;
pub mod intel;
pub mod lifecycle;
pub mod malware;
pub mod operational;
pub mod policy;
pub mod protocol_policy;
pub mod record;
pub mod rules;
pub mod suppress;
pub mod technique;
pub mod violation;

use rampart_event::{Event, FlowContext, Origin, Timestamp};

pub use alert::{
    Alert, AlertDraft, AlertId, AlertKey, Endpoint, EngineKind, Repeat, Rule, Severity, Status,
};
pub use book::{AlertBook, Raised};
pub use config::{ConfigError, DetectConfig, Marks};
pub use evidence::{PacketRing, Stored};
pub use incident::{Incident, IncidentConfig, IncidentId};
pub use lifecycle::{Transition, TransitionError};

/// The hash map detectors use: probed per event, keyed by addresses and codes, bounded, so
/// a fast non-cryptographic hasher (the standard one costs more than the lookups' work).
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, ahash::RandomState>;
/// The set counterpart of [`FastMap`].
pub(crate) type FastSet<T> = std::collections::HashSet<T, ahash::RandomState>;

/// Hash an IP address as one number, for the keys detectors probe per event: the derived
/// `Hash` of an address feeds the hasher four pieces (two discriminants, a length, the
/// bytes), each a round of mixing.
pub(crate) fn hash_ip<H: std::hash::Hasher>(ip: std::net::IpAddr, state: &mut H) {
    match ip {
        std::net::IpAddr::V4(v4) => state.write_u64(u64::from(v4.to_bits())),
        std::net::IpAddr::V6(v6) => state.write_u128(v6.to_bits()),
    }
}

/// Hash a MAC address as one number, never equal to an IPv4 address's (see [`hash_ip`]).
pub(crate) fn hash_mac<H: std::hash::Hasher>(mac: rampart_event::Mac, state: &mut H) {
    state.write_u64(1 << 48 | mac.to_u64());
}

/// When the sensor learns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Learning {
    /// Never: the baseline is what was imported; everything observed is monitored.
    #[default]
    Off,
    /// Until this capture time.
    Until(Timestamp),
    /// For this many nanoseconds of capture time after the first packet.
    For(u64),
    /// Always (learning mode until switched off).
    Always,
}

/// The sensor's mode at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mode {
    /// Building the baseline: deviations are learned, not alerted.
    Learning,
    /// Watching: deviations are alerts.
    Monitoring,
}

/// A flow that ended (or was reported while active).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowEnd {
    /// The addressing.
    pub context: FlowContext,
    /// First packet.
    pub start: Timestamp,
    /// Last packet.
    pub end: Timestamp,
    /// Packets client → server, server → client.
    pub packets: [u64; 2],
    /// Frame bytes client → server, server → client.
    pub bytes: [u64; 2],
    /// Zeek-style TCP connection state (`S0`, `REJ`, `SF`, …), for TCP.
    pub conn_state: Option<&'static str>,
}

/// What a detector is shown.
#[derive(Debug, Clone, Copy)]
pub enum Observation<'a> {
    /// A flow's first packet (after the engine settled which side is the client).
    FlowStart(&'a FlowContext),
    /// A flow ended.
    FlowEnd(&'a FlowEnd),
    /// An event a dissector (or the engine) said, with where it came from.
    Event {
        /// The flow or frame.
        origin: &'a Origin,
        /// The event.
        event: &'a Event<'a>,
    },
}

/// What a detector gets with each observation: the time, the mode, and where to raise.
pub struct Context<'a> {
    /// Capture time.
    pub time: Timestamp,
    /// Learning or monitoring.
    pub mode: Mode,
    drafts: &'a mut Vec<AlertDraft>,
    /// The alerts open so far and where repeats of them go; `None` when a detector runs
    /// alone (its unit tests), where every occurrence is raised in full.
    open: Option<Open<'a>>,
    /// Whether the observation's record is a refusal, once an engine has read it: the
    /// violation and operational engines both need to know (see [`facts::is_exception`]).
    refused: Option<bool>,
}

/// The alert book as detectors may read it, and the repeats counted against it.
struct Open<'a> {
    book: &'a AlertBook,
    repeats: &'a mut Vec<Repeat>,
}

impl<'a> Context<'a> {
    /// A context that raises into `drafts` and counts repeats of the alerts open in `book`
    /// into `repeats`.
    fn counting(
        time: Timestamp,
        mode: Mode,
        drafts: &'a mut Vec<AlertDraft>,
        book: &'a AlertBook,
        repeats: &'a mut Vec<Repeat>,
    ) -> Context<'a> {
        Context {
            time,
            mode,
            drafts,
            open: Some(Open { book, repeats }),
            refused: None,
        }
    }

    /// Raise an alert.
    pub fn raise(&mut self, draft: AlertDraft) {
        self.drafts.push(draft);
    }

    /// Count an occurrence of the alert `key` names, at this time with this severity and
    /// these flows, if that alert is open: true when counted, false when the caller must
    /// build the draft and [`raise`](Context::raise) it. Only for alerts whose later
    /// occurrences add no evidence the first lacked, since a repeat carries none.
    pub fn repeat(
        &mut self,
        key: &AlertKey<'_>,
        severity: Severity,
        flows: impl IntoIterator<Item = u64>,
    ) -> bool {
        self.repeat_if(key, severity, flows, |_| true)
    }

    /// [`Context::repeat`] for alerts whose occurrences may bring evidence keys: counted
    /// only when `covered` says the open alert has every key this occurrence would bring.
    pub fn repeat_if(
        &mut self,
        key: &AlertKey<'_>,
        severity: Severity,
        flows: impl IntoIterator<Item = u64>,
        covered: impl FnOnce(&Alert) -> bool,
    ) -> bool {
        let Some(open) = &mut self.open else {
            return false;
        };
        let id = key.id();
        if !open.book.get(id).is_some_and(covered) {
            return false;
        }
        open.repeats
            .push(Repeat::new(id, self.time, severity, flows));
        true
    }
}

/// Which observations a detector acts on, declared once: the dispatcher shows it those
/// alone, since most observations are industrial records that, say, an ARP or a session
/// detector would only look at and drop. A detector must ignore whatever its interest
/// leaves out, so that skipping it changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interest {
    kinds: u8,
    protocols: Option<&'static [&'static str]>,
}

impl Interest {
    /// Nothing (a detector with nothing configured to look for).
    pub const NOTHING: Interest = Interest::kind(0);
    /// Flow starts.
    pub const FLOW_STARTS: Interest = Interest::kind(1 << Kind::FlowStart as u8);
    /// Flow ends.
    pub const FLOW_ENDS: Interest = Interest::kind(1 << Kind::FlowEnd as u8);
    /// Protocol records.
    pub const RECORDS: Interest = Interest::kind(1 << Kind::Record as u8);
    /// Identity observations.
    pub const IDENTITIES: Interest = Interest::kind(1 << Kind::Identity as u8);
    /// Protocol anomalies.
    pub const ANOMALIES: Interest = Interest::kind(1 << Kind::Anomaly as u8);
    /// Every packet, through [`Detector::packet`].
    pub const PACKETS: Interest = Interest::kind(1 << Kind::Packet as u8);
    /// Every observation (not packets).
    pub const OBSERVATIONS: Interest = Interest::kind((1 << Kind::Packet as u8) - 1);

    const fn kind(kinds: u8) -> Interest {
        Interest {
            kinds,
            protocols: None,
        }
    }

    /// This interest and `other`'s.
    pub const fn and(self, other: Interest) -> Interest {
        Interest {
            kinds: self.kinds | other.kinds,
            protocols: self.protocols,
        }
    }

    /// Only events (records, identities, anomalies, …) of these protocols; flow starts and
    /// ends are not filtered.
    pub const fn of_protocols(self, protocols: &'static [&'static str]) -> Interest {
        Interest {
            kinds: self.kinds,
            protocols: Some(protocols),
        }
    }

    fn wants(&self, kind: Kind) -> bool {
        self.kinds & (1 << kind as u8) != 0
    }
}

/// Which detectors see an observation, worked out once from their interests: by kind and,
/// for events, by protocol, so that showing an observation walks one list and asks nothing
/// of each detector on it.
#[derive(Debug)]
struct Dispatch {
    /// Per kind, in detector order: who sees a flow start or end, a packet, or an event of a
    /// protocol no interest names.
    unnamed: [Vec<usize>; 8],
    /// The protocols some interest names, each with who sees its events, per kind.
    named: Vec<(&'static str, [Vec<usize>; 8])>,
    /// For each [`protocol_key`], the index in `named` plus one of the protocol with that
    /// key: zero for none, [`SHARED_KEY`] when several share it (then `named` is searched).
    by_key: [u8; 256],
}

/// A [`Dispatch::by_key`] entry for a key several named protocols share.
const SHARED_KEY: u8 = u8::MAX;

/// A byte from a protocol name's length and ends: most protocols no interest names miss
/// every named one's key, which spares comparing names.
fn protocol_key(protocol: &str) -> usize {
    match protocol.as_bytes() {
        [] => 0,
        [first, .., last] | [first @ last] => {
            (protocol.len() * 7 + usize::from(*first) * 3 + usize::from(*last)) & 0xff
        }
    }
}

impl Dispatch {
    fn new(interests: &[Interest]) -> Dispatch {
        let for_protocol = |protocol: Option<&str>| {
            Kind::ALL.map(|kind| {
                // Flow starts and ends and packets have no protocol to filter by.
                let unfiltered = matches!(kind, Kind::FlowStart | Kind::FlowEnd | Kind::Packet);
                (0..interests.len())
                    .filter(|&i| {
                        let wanted = interests[i].protocols;
                        interests[i].wants(kind)
                            && (unfiltered
                                || wanted.is_none_or(|w| protocol.is_some_and(|p| w.contains(&p))))
                    })
                    .collect()
            })
        };
        let mut named: Vec<(&'static str, [Vec<usize>; 8])> = Vec::new();
        let mut by_key = [0; 256];
        for &protocol in interests.iter().filter_map(|i| i.protocols).flatten() {
            if named.iter().any(|(n, _)| *n == protocol) {
                continue;
            }
            let entry = &mut by_key[protocol_key(protocol)];
            *entry = match u8::try_from(named.len() + 1) {
                Ok(index) if *entry == 0 && index != SHARED_KEY => index,
                _ => SHARED_KEY,
            };
            named.push((protocol, for_protocol(Some(protocol))));
        }
        Dispatch {
            unnamed: for_protocol(None),
            named,
            by_key,
        }
    }

    /// The detectors to show an observation of `kind` (of `protocol`, for an event).
    fn detectors(&self, kind: Kind, protocol: Option<&str>) -> &[usize] {
        let named = protocol.and_then(|p| match self.by_key[protocol_key(p)] {
            0 => None,
            SHARED_KEY => self.named.iter().find(|(n, _)| *n == p),
            index => Some(&self.named[usize::from(index - 1)]).filter(|(n, _)| *n == p),
        });
        match named {
            Some((_, lists)) => &lists[kind as usize],
            None => &self.unnamed[kind as usize],
        }
    }
}

/// The kinds of observation an [`Interest`] names, as bit positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    FlowStart,
    FlowEnd,
    Record,
    Identity,
    Anomaly,
    Finding,
    Module,
    Packet,
}

impl Kind {
    /// Every kind, in bit order.
    const ALL: [Kind; 8] = [
        Kind::FlowStart,
        Kind::FlowEnd,
        Kind::Record,
        Kind::Identity,
        Kind::Anomaly,
        Kind::Finding,
        Kind::Module,
        Kind::Packet,
    ];

    fn of(observation: &Observation<'_>) -> Kind {
        match observation {
            Observation::FlowStart(_) => Kind::FlowStart,
            Observation::FlowEnd(_) => Kind::FlowEnd,
            Observation::Event { event, .. } => match event {
                Event::Record(_) => Kind::Record,
                Event::Identity(_) => Kind::Identity,
                Event::Anomaly(_) => Kind::Anomaly,
                Event::Finding(_) => Kind::Finding,
                Event::Module(_) => Kind::Module,
            },
        }
    }
}

/// One alert engine.
pub trait Detector {
    /// Watch one observation.
    fn observe(&mut self, observation: &Observation<'_>, cx: &mut Context<'_>);

    /// What this detector acts on; asked once, when detection starts. Every observation
    /// unless a detector says less.
    fn interest(&self) -> Interest {
        Interest::OBSERVATIONS
    }

    /// A packet of flow `flow`, `wire_len` bytes on the wire, was seen: for volumes, which
    /// flow starts and ends alone cannot give while a long-lived flow runs. Called only when
    /// the interest has [`Interest::PACKETS`].
    fn packet(&mut self, _flow: u64, _wire_len: u32, _cx: &mut Context<'_>) {}

    /// Capture time moved past a whole second: time-based checks (silence, rates).
    fn tick(&mut self, _cx: &mut Context<'_>) {}

    /// The input ended.
    fn finish(&mut self, _cx: &mut Context<'_>) {}
}

/// A reason not to forward an alert: a mute, an exclusion rule, a maintenance window.
pub trait Suppress {
    /// Why `draft` must be kept quiet, or `None` to let it through.
    fn suppress(&self, draft: &AlertDraft) -> Option<String>;
}

/// The alert engines Rampart runs, configured by `config`: one line per engine.
pub fn detectors(config: &DetectConfig) -> Vec<Box<dyn Detector>> {
    let marks = &config.devices;
    let mut engines: Vec<Box<dyn Detector>> = vec![
        Box::new(protocol_policy::ProtocolPolicy::new(
            &config.protocol_policy,
            marks,
        )),
        Box::new(violation::Violation::new(&config.protocol_violation)),
        Box::new(operational::Operational::new(&config.operational)),
        Box::new(malware::MalwareBehaviour::new(
            &config.malware_behaviour,
            marks,
        )),
    ];
    engines.extend(anomaly::detectors(config));
    engines.push(Box::new(intel::IntelDetector::new(&config.intel)));
    engines.push(Box::new(rules::RulesDetector::new(&config.rules)));
    engines
}

/// Alert PCAPs kept at most in a run; later alerts still name their flows, and the evidence
/// ring stops keeping packets once the last is cut.
pub const MAX_PCAPS: usize = 4096;

/// Counters of a run's detection.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct DetectionStats {
    /// Drafts raised (alert occurrences).
    pub occurrences: u64,
    /// Distinct alerts.
    pub alerts: u64,
    /// New alerts dropped because the book was full.
    pub dropped: u64,
    /// Alerts with a PCAP.
    pub pcaps: u64,
    /// When learning ended, in capture time (nanoseconds since the epoch).
    pub learning_ended: Option<u64>,
}

/// Detection for one engine: the detectors, the alert book and the evidence ring.
pub struct Detection {
    learning: Learning,
    learning_until: Option<Timestamp>,
    learning_ended: Option<Timestamp>,
    detectors: Vec<Box<dyn Detector>>,
    /// Which detectors see what.
    dispatch: Dispatch,
    suppressors: Vec<Box<dyn Suppress>>,
    book: AlertBook,
    drafts: Vec<AlertDraft>,
    repeats: Vec<Repeat>,
    ring: PacketRing,
    pcaps: FastMap<AlertId, Vec<u8>>,
    fresh: Vec<AlertId>,
    last_tick: Option<u64>,
    last_packet: Option<(Timestamp, u32)>,
}

impl std::fmt::Debug for Detection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Detection")
            .field("learning", &self.learning)
            .field("detectors", &self.detectors.len())
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl Detection {
    /// Detection with these detectors, learning as `learning` says, keeping `ring_bytes` of
    /// recent packets for evidence.
    pub fn new(learning: Learning, detectors: Vec<Box<dyn Detector>>, ring_bytes: usize) -> Self {
        let interests: Vec<Interest> = detectors.iter().map(|d| d.interest()).collect();
        Detection {
            learning,
            learning_until: match learning {
                Learning::Until(t) => Some(t),
                _ => None,
            },
            learning_ended: None,
            dispatch: Dispatch::new(&interests),
            detectors,
            suppressors: Vec::new(),
            book: AlertBook::default(),
            drafts: Vec::new(),
            repeats: Vec::new(),
            ring: PacketRing::new(ring_bytes),
            pcaps: FastMap::default(),
            fresh: Vec::new(),
            last_tick: None,
            last_packet: None,
        }
    }

    /// Add a suppressor; drafts it names a reason for are kept with the reason, not forwarded.
    pub fn with_suppressor(mut self, suppressor: Box<dyn Suppress>) -> Detection {
        self.suppressors.push(suppressor);
        self
    }

    /// The mode at `time`.
    pub fn mode(&mut self, time: Timestamp) -> Mode {
        let learning = match self.learning {
            Learning::Off => false,
            Learning::Always => true,
            Learning::Until(_) | Learning::For(_) => self.learning_until.is_none_or(|t| time < t),
        };
        if learning {
            Mode::Learning
        } else {
            if self.learning != Learning::Off && self.learning_ended.is_none() {
                self.learning_ended = Some(time);
            }
            Mode::Monitoring
        }
    }

    /// Name a capture file whose packets will be kept in the evidence ring as offsets
    /// ([`Stored`]) rather than copies; its number for [`Detection::packet`], or `None` when
    /// its packets must be copied.
    pub fn evidence_file(&mut self, path: &std::path::Path) -> Option<u32> {
        self.ring.add_file(path)
    }

    /// Evidence packets that could not be read back from their capture file for a PCAP.
    pub fn evidence_unreadable(&self) -> u64 {
        self.ring.unreadable()
    }

    /// Keep a packet in the evidence ring (its bytes, or where `stored` says they can be read
    /// again); call before the packet is processed.
    pub fn packet(
        &mut self,
        time: Timestamp,
        link_type: u16,
        data: &[u8],
        wire_len: u32,
        stored: Option<Stored>,
    ) {
        if let (Learning::For(nanos), None) = (self.learning, self.learning_until) {
            self.learning_until = Some(time.plus_nanos(nanos));
        }
        self.ring.push(time, link_type, data, wire_len, stored);
        self.last_packet = Some((time, wire_len));
        let second = time.secs();
        if self.last_tick.is_some_and(|t| second > t) {
            self.run(time, |d, cx| d.tick(cx));
        }
        self.last_tick = Some(second);
    }

    /// The packet just kept belongs to this flow.
    pub fn packet_flow(&mut self, flow: u64) {
        self.ring.tag_last(flow);
        let Some((time, wire_len)) = self.last_packet else {
            return;
        };
        if self.dispatch.detectors(Kind::Packet, None).is_empty() {
            return;
        }
        let mode = self.mode(time);
        let mut cx = Context::counting(time, mode, &mut self.drafts, &self.book, &mut self.repeats);
        for &target in self.dispatch.detectors(Kind::Packet, None) {
            self.detectors[target].packet(flow, wire_len, &mut cx);
        }
        self.settle();
    }

    /// Show one observation to every detector interested in it.
    pub fn observe(&mut self, time: Timestamp, observation: &Observation<'_>) {
        let protocol = match observation {
            Observation::Event { event, .. } => Some(event.protocol()),
            Observation::FlowStart(_) | Observation::FlowEnd(_) => None,
        };
        let mode = self.mode(time);
        let mut cx = Context::counting(time, mode, &mut self.drafts, &self.book, &mut self.repeats);
        for &target in self.dispatch.detectors(Kind::of(observation), protocol) {
            self.detectors[target].observe(observation, &mut cx);
        }
        self.settle();
    }

    /// The input ended: last checks.
    pub fn finish(&mut self, time: Timestamp) {
        self.run(time, |d, cx| d.finish(cx));
    }

    fn run(&mut self, time: Timestamp, mut f: impl FnMut(&mut dyn Detector, &mut Context<'_>)) {
        let mode = self.mode(time);
        let mut cx = Context::counting(time, mode, &mut self.drafts, &self.book, &mut self.repeats);
        for detector in &mut self.detectors {
            f(detector.as_mut(), &mut cx);
        }
        self.settle();
    }

    /// Fold what the detectors raised into the book, when they raised anything (most
    /// observations raise nothing).
    #[inline]
    fn settle(&mut self) {
        if !self.repeats.is_empty() || !self.drafts.is_empty() {
            self.fold();
        }
    }

    /// Repeats of open alerts first (they are independent of this round's drafts, which
    /// open other alerts or repeat these), then drafts, asking the suppressors only about
    /// drafts that open an alert.
    fn fold(&mut self) {
        for repeat in self.repeats.drain(..) {
            self.book.repeat(&repeat);
        }
        let mut drafts = std::mem::take(&mut self.drafts);
        for draft in drafts.drain(..) {
            let reason = if self.book.is_open(draft.alert_id()) {
                None
            } else {
                self.suppressors.iter().find_map(|s| s.suppress(&draft))
            };
            if let Raised::New(id) = self.book.raise(draft) {
                self.cut_pcap(id);
                match (reason, self.book.get_mut(id)) {
                    (Some(reason), Some(alert)) => alert.suppressed = Some(reason),
                    _ => self.fresh.push(id),
                }
            }
        }
        self.drafts = drafts;
    }

    fn cut_pcap(&mut self, id: AlertId) {
        if self.pcaps.len() >= MAX_PCAPS {
            return;
        }
        let Some(alert) = self.book.get(id) else {
            return;
        };
        if let Some(pcap) = self.ring.pcap(&alert.flows) {
            self.pcaps.insert(id, pcap);
            if self.pcaps.len() == MAX_PCAPS {
                // No PCAP will be cut again: the ring's work on every packet is done. On
                // `ot_mixed` the last PCAP is cut a fifth of the way through.
                self.ring.close();
            }
        }
    }

    /// Alerts opened since the last call (for forwarding as they happen).
    pub fn take_fresh(&mut self) -> Vec<&Alert> {
        let fresh = std::mem::take(&mut self.fresh);
        fresh
            .into_iter()
            .filter_map(|id| self.book.get(id))
            .collect()
    }

    /// True when alerts were opened since the last [`Detection::take_fresh`].
    pub fn has_fresh(&self) -> bool {
        !self.fresh.is_empty()
    }

    /// The alert book.
    pub fn book(&self) -> &AlertBook {
        &self.book
    }

    /// The PCAP of an alert, when its packets were still in the ring.
    pub fn pcap(&self, id: AlertId) -> Option<&[u8]> {
        self.pcaps.get(&id).map(Vec::as_slice)
    }

    /// Counters.
    pub fn stats(&self) -> DetectionStats {
        DetectionStats {
            occurrences: self.book.occurrences(),
            alerts: self.book.alerts().len() as u64,
            dropped: self.book.dropped(),
            pcaps: self.pcaps.len() as u64,
            learning_ended: self.learning_ended.map(|t| t.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static SEEN: Rule = Rule {
        id: "test.flow",
        title: "Flow",
        engine: EngineKind::Policy,
        category: "test",
        severity: Severity::Warning,
        techniques: &[],
        remediation: "",
    };

    /// Raises one alert per flow start in monitoring mode.
    struct EveryFlow;

    impl Detector for EveryFlow {
        fn observe(&mut self, observation: &Observation<'_>, cx: &mut Context<'_>) {
            if let (Observation::FlowStart(f), Mode::Monitoring) = (observation, cx.mode) {
                let src = client(f);
                cx.raise(
                    AlertDraft::new(&SEEN, cx.time, "flow")
                        .between(Some(src), None)
                        .flow(Some(f.id)),
                );
            }
        }
    }

    /// The client of a flow as an alert's source.
    fn client(f: &FlowContext) -> Endpoint {
        Endpoint {
            ip: Some(f.client.0),
            ..Endpoint::default()
        }
    }

    fn flow(id: u64, client: u8) -> FlowContext {
        FlowContext {
            id,
            transport: "tcp",
            app: None,
            client: (std::net::IpAddr::from([10, 0, 0, client]), 40000),
            server: (std::net::IpAddr::from([10, 0, 0, 1]), 502),
            client_mac: None,
            server_mac: None,
            vlan: 0,
        }
    }

    /// [`EveryFlow`], counting repeats of open alerts without drafts; counts the drafts it
    /// builds.
    struct CountedFlow(std::rc::Rc<std::cell::Cell<usize>>);

    impl Detector for CountedFlow {
        fn observe(&mut self, observation: &Observation<'_>, cx: &mut Context<'_>) {
            if let (Observation::FlowStart(f), Mode::Monitoring) = (observation, cx.mode) {
                let src = client(f);
                let key = AlertKey {
                    rule: &SEEN,
                    source: Some(src),
                    destination: None,
                    discriminator: &[],
                };
                if !cx.repeat(&key, SEEN.severity, Some(f.id)) {
                    self.0.set(self.0.get() + 1);
                    EveryFlow.observe(observation, cx);
                }
            }
        }
    }

    /// Counts what it is shown: ARP records and packets.
    #[derive(Default)]
    struct ArpOnly {
        seen: std::rc::Rc<std::cell::Cell<(usize, usize)>>,
        packets: bool,
    }

    impl Detector for ArpOnly {
        fn interest(&self) -> Interest {
            let records = Interest::RECORDS.of_protocols(&["arp"]);
            if self.packets {
                records.and(Interest::PACKETS)
            } else {
                records
            }
        }

        fn observe(&mut self, _: &Observation<'_>, _: &mut Context<'_>) {
            let (o, p) = self.seen.get();
            self.seen.set((o + 1, p));
        }

        fn packet(&mut self, _: u64, _: u32, _: &mut Context<'_>) {
            let (o, p) = self.seen.get();
            self.seen.set((o, p + 1));
        }
    }

    #[test]
    fn detectors_are_shown_only_what_they_are_interested_in() {
        let (records, with_packets) = (ArpOnly::default(), ArpOnly::default());
        let (a, b) = (records.seen.clone(), with_packets.seen.clone());
        let with_packets = ArpOnly {
            packets: true,
            ..with_packets
        };
        let mut d = Detection::new(
            Learning::Off,
            vec![Box::new(records), Box::new(with_packets)],
            0,
        );
        let t = Timestamp::from_parts(1, 0);
        let record = |protocol| {
            Event::Record(rampart_event::Record {
                protocol,
                kind: "request",
                direction: None,
                activity: None,
                fields: rampart_event::Fields(&[]),
            })
        };
        let origin = Origin::Capture;
        d.packet(t, 1, &[0; 60], 60, None);
        d.packet_flow(1);
        d.observe(t, &Observation::FlowStart(&flow(1, 2)));
        for protocol in ["modbus", "arp", "arp"] {
            let event = record(protocol);
            d.observe(
                t,
                &Observation::Event {
                    origin: &origin,
                    event: &event,
                },
            );
        }
        assert_eq!(a.get(), (2, 0));
        assert_eq!(b.get(), (2, 1));
    }

    #[test]
    fn named_protocols_are_found_whatever_their_keys() {
        // "snmp", "slmp" and "ssdp" share a key, as do "http" and "bacnet".
        assert_eq!(protocol_key("snmp"), protocol_key("slmp"));
        assert_eq!(protocol_key("snmp"), protocol_key("ssdp"));
        assert_eq!(protocol_key("http"), protocol_key("bacnet"));
        let d = Dispatch::new(&[
            Interest::RECORDS,
            Interest::RECORDS.of_protocols(&["snmp", "http"]),
            Interest::FLOW_STARTS
                .and(Interest::RECORDS)
                .of_protocols(&["slmp"]),
        ]);
        let records = |protocol| d.detectors(Kind::Record, Some(protocol));
        assert_eq!(records("snmp"), [0, 1]);
        assert_eq!(records("slmp"), [0, 2]);
        assert_eq!(records("ssdp"), [0]);
        assert_eq!(records("http"), [0, 1]);
        assert_eq!(records("bacnet"), [0]);
        assert_eq!(records(""), [0]);
        assert_eq!(d.detectors(Kind::FlowStart, None), [2]);
        assert!(d.detectors(Kind::Identity, Some("snmp")).is_empty());
        let packets = Dispatch::new(&[Interest::PACKETS.of_protocols(&["arp"])]);
        assert_eq!(packets.detectors(Kind::Packet, None), [0]);
    }

    #[test]
    fn counted_repeats_make_the_alerts_full_drafts_make() {
        let flows = [(1, 2), (2, 3), (3, 2), (4, 2), (5, 3), (6, 4)];
        let run = |detector: Box<dyn Detector>| {
            let mut d = Detection::new(Learning::Off, vec![detector], 0);
            for (i, &(id, client)) in flows.iter().enumerate() {
                let t = Timestamp::from_parts(10 + i as u64, 0);
                d.observe(t, &Observation::FlowStart(&flow(id, client)));
            }
            (d.book().alerts().to_vec(), d.take_fresh().len())
        };
        let built = std::rc::Rc::new(std::cell::Cell::new(0));
        let counted = run(Box::new(CountedFlow(built.clone())));
        assert_eq!(run(Box::new(EveryFlow)), counted);
        assert_eq!(built.get(), 3, "one draft per client, repeats counted");
        assert_eq!(counted.0.iter().map(|a| a.count).sum::<u64>(), 6);
        assert_eq!(counted.0[0].flows, vec![1, 3, 4]);
    }

    struct QuietFor(std::net::IpAddr);

    impl Suppress for QuietFor {
        fn suppress(&self, draft: &AlertDraft) -> Option<String> {
            (draft.source.and_then(|s| s.ip) == Some(self.0)).then(|| "maintenance".to_string())
        }
    }

    #[test]
    fn suppressed_alerts_are_kept_with_the_reason_and_not_forwarded() {
        let quiet = std::net::IpAddr::from([10, 0, 0, 2]);
        let mut d = Detection::new(Learning::Off, vec![Box::new(EveryFlow)], 0)
            .with_suppressor(Box::new(QuietFor(quiet)));
        let t = Timestamp::from_parts(1, 0);
        d.observe(t, &Observation::FlowStart(&flow(1, 2)));
        d.observe(t, &Observation::FlowStart(&flow(2, 3)));
        let fresh: Vec<_> = d.take_fresh().iter().map(|a| a.source).collect();
        assert_eq!(fresh.len(), 1);
        assert_ne!(fresh[0].and_then(|s| s.ip), Some(quiet));
        let muted = d.book().alerts().iter().find(|a| a.suppressed.is_some());
        assert_eq!(
            muted.and_then(|a| a.suppressed.as_deref()),
            Some("maintenance")
        );
    }

    #[test]
    fn learning_for_a_duration_then_monitoring_with_pcaps() {
        let mut d = Detection::new(
            Learning::For(10_000_000_000),
            vec![Box::new(EveryFlow)],
            1 << 16,
        );
        for (sec, id, client) in [(100, 1, 2), (105, 2, 3), (111, 3, 4), (112, 4, 4)] {
            let t = Timestamp::from_parts(sec, 0);
            d.packet(t, 1, &[id as u8; 60], 60, None);
            d.packet_flow(id);
            d.observe(t, &Observation::FlowStart(&flow(id, client)));
        }
        // Flows at 100 and 105 are inside the 10 s learning period; 111 and 112 are not, and
        // the second one from the same client is a repeat.
        let alerts = d.book().alerts().to_vec();
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].count, 2);
        assert_eq!(alerts[0].flows, vec![3, 4]);
        assert_eq!(
            d.stats().learning_ended,
            Some(Timestamp::from_parts(111, 0).0)
        );
        assert_eq!(d.take_fresh().len(), 1);
        assert!(d.take_fresh().is_empty());
        let pcap = d
            .pcap(alerts[0].id)
            .expect("pcap cut when the alert opened");
        assert_eq!(pcap.len(), 24 + 16 + 60);
    }

    #[test]
    fn the_ring_closes_when_the_last_pcap_is_cut() {
        let mut d = Detection::new(Learning::Off, vec![Box::new(EveryFlow)], 1 << 20);
        let alert_of = |d: &mut Detection, id: u64| {
            let t = Timestamp::from_parts(100 + id, 0);
            d.packet(t, 1, &[1; 60], 60, None);
            d.packet_flow(id);
            // A client per flow, so that each flow opens an alert of its own.
            let mut f = flow(id, 2);
            f.client.0 = std::net::IpAddr::from((0x0a00_0000 + id as u32).to_be_bytes());
            d.observe(t, &Observation::FlowStart(&f));
        };
        for id in 0..MAX_PCAPS as u64 - 1 {
            alert_of(&mut d, id);
        }
        assert!(!d.ring.is_empty(), "a PCAP is still to be cut");
        alert_of(&mut d, MAX_PCAPS as u64);
        assert_eq!(d.stats().pcaps, MAX_PCAPS as u64);
        assert!(d.ring.is_empty(), "closed with the last PCAP");
        alert_of(&mut d, MAX_PCAPS as u64 + 1);
        assert!(d.ring.is_empty());
        assert_eq!(d.stats().alerts, MAX_PCAPS as u64 + 1);
    }
}
