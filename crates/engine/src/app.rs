//! Per-flow application state: recognising the protocol by content, then feeding its dissector.
//!
//! Recognition looks at the payload, not the port: every protocol's probe sees the first bytes
//! of each direction; a signature match ([`Probe::Certain`]) wins wherever it runs, and a port
//! only breaks ties for payloads that are merely plausible. A well-known port whose payload is
//! something else is reported. TCP bytes seen while undecided are kept (a few KiB at most) and
//! replayed to the chosen dissector, so it sees the stream from its first byte.

use rampart_dissect::{Direction, EventSink, FlowProtocol, Probe, Session, Transport, report};

use crate::registry::Registry;

/// Payload chunks per flow examined before giving up on recognising it.
const MAX_PROBES: u32 = 8;
/// Bytes per direction kept while undecided.
const PROBE_BUFFER: usize = 4096;

/// What the engine knows of a flow's application protocol.
#[derive(Default)]
pub enum App {
    /// Not recognised yet.
    #[default]
    Probing,
    /// Recognised and being parsed; the protocol's name kept beside the session, since every
    /// event's context names it.
    Parsing(Box<Session>, &'static str),
    /// Recognised; nothing more to parse (its dissector said so, or depth was reached).
    Parsed(&'static str),
    /// Not recognised after looking long enough.
    Unknown,
}

/// Per-flow state the engine keeps in the flow table.
#[derive(Default)]
pub struct FlowState {
    /// The application protocol.
    pub app: App,
    probes: u32,
    held: [Vec<u8>; 2],
    port_mismatch_reported: bool,
    oriented: bool,
    /// IP TTL of the first packet each side sent.
    pub ttl: [u8; 2],
    /// Destination MAC last seen per direction (broadcast and multicast included), so that
    /// only a change is noted as an endpoint.
    pub dst_mac: [Option<rampart_event::Mac>; 2],
}

impl FlowState {
    /// Return the recognised protocol's name.
    pub fn app_name(&self) -> Option<&'static str> {
        match &self.app {
            App::Parsing(_, name) => Some(name),
            App::Parsed(name) => Some(name),
            App::Probing | App::Unknown => None,
        }
    }

    /// Tell whether payload is still of interest.
    pub fn wants_payload(&self) -> bool {
        matches!(self.app, App::Probing | App::Parsing(..))
    }

    /// Tell, for the first payload of a flow picked up mid-stream, whether some protocol
    /// recognises it only when read in the other direction: then the port-based guess of who
    /// is the client was wrong.
    pub fn seen_backwards(
        &mut self,
        transport: Transport,
        dir: Direction,
        payload: &[u8],
        registry: &Registry,
    ) -> bool {
        if self.oriented || !matches!(self.app, App::Probing) || payload.is_empty() {
            return false;
        }
        self.oriented = true;
        let certain = |d| {
            registry
                .for_transport(transport)
                .iter()
                .any(|r| r.probe(d, payload) == Probe::Certain)
        };
        !certain(dir) && certain(dir.reverse())
    }

    /// Take in-order TCP bytes or one UDP datagram travelling in `dir`; `ports` are the
    /// server's and the client's.
    pub fn data(
        &mut self,
        ports: (u16, u16),
        transport: Transport,
        dir: Direction,
        bytes: &[u8],
        registry: &Registry,
        sink: &mut dyn EventSink,
    ) {
        if let App::Probing = self.app {
            self.probe(ports, transport, dir, bytes, registry, sink);
            return;
        }
        if let App::Parsing(session, name) = &mut self.app {
            match transport {
                Transport::Tcp => session.deliver(dir, bytes, sink),
                Transport::Udp => session.datagram(dir, bytes, sink),
            }
            if session.is_done() {
                self.app = App::Parsed(name);
            }
        }
    }

    /// Take a gap of `len` bytes in `dir`.
    pub fn gap(&mut self, dir: Direction, len: u64, sink: &mut dyn EventSink) {
        match &mut self.app {
            App::Parsing(session, _) => session.gap(dir, len, sink),
            // Bytes held for probing no longer precede what comes next.
            App::Probing => self.held[dir.index()].clear(),
            App::Parsed(_) | App::Unknown => {}
        }
    }

    /// End the flow: the dissector reports what is pending.
    pub fn close(&mut self, sink: &mut dyn EventSink) {
        if let App::Parsing(session, name) = &mut self.app {
            session.close(sink);
            self.app = App::Parsed(name);
        }
    }

    fn probe(
        &mut self,
        (server_port, client_port): (u16, u16),
        transport: Transport,
        dir: Direction,
        bytes: &[u8],
        registry: &Registry,
        sink: &mut dyn EventSink,
    ) {
        self.probes += 1;
        let i = dir.index();
        let tcp = transport == Transport::Tcp;
        let mut taken = 0;
        if tcp {
            taken = bytes
                .len()
                .min(PROBE_BUFFER.saturating_sub(self.held[i].len()));
            self.held[i].extend_from_slice(&bytes[..taken]);
        }
        let view: &[u8] = if tcp { &self.held[i] } else { bytes };
        let claims =
            |r: &dyn FlowProtocol| r.claims_port(server_port) || r.claims_port(client_port);
        let candidates = registry.for_transport(transport);
        // The common case, a port's own protocol sure of its payload, settles it: the full
        // round below would choose that protocol and find nothing to report.
        if let Some(&r) = candidates
            .iter()
            .find(|&&r| claims(r) && r.probe(dir, view) == Probe::Certain)
        {
            let rest = if tcp { &bytes[taken..] } else { bytes };
            self.start(r, transport, dir, rest, sink);
            return;
        }
        let mut owner: Option<(&'static dyn FlowProtocol, Probe)> = None;
        let mut certain: Option<&'static dyn FlowProtocol> = None;
        let mut waiting = false;
        let mut claimant_hopes = false;
        for &r in candidates {
            let verdict = r.probe(dir, view);
            if claims(r) {
                claimant_hopes |= verdict != Probe::NotForUs;
                if owner.is_none() {
                    owner = Some((r, verdict));
                }
            }
            waiting |= verdict == Probe::NeedMore;
            let better = certain.is_none_or(|c| !claims(c) && claims(r));
            if verdict == Probe::Certain && better {
                certain = Some(r);
            }
        }
        let exhausted = self.probes >= MAX_PROBES || self.held[i].len() >= PROBE_BUFFER;
        let chosen = certain.or(match owner {
            Some((r, Probe::Unsure)) => Some(r),
            Some((r, Probe::NeedMore)) if exhausted => Some(r),
            _ => None,
        });
        if let Some((owner, _)) = owner {
            // Several protocols may share a port (S7comm, S7comm-plus and MMS on 102): only a
            // payload that none of them can own is unexpected.
            let stranger = chosen.filter(|c| !claims(*c));
            let undecided = chosen.is_none() && waiting && !exhausted;
            if (stranger.is_some() || (!claimant_hopes && !undecided))
                && !self.port_mismatch_reported
            {
                self.port_mismatch_reported = true;
                let carried = stranger.map_or("something else", |c| c.name());
                report(
                    sink,
                    "detect",
                    "unexpected_protocol_on_port",
                    None,
                    &format_args!(
                        "port {server_port} belongs to {}, but the payload is {carried}",
                        owner.name()
                    ),
                );
            }
        }
        match chosen {
            Some(registration) => {
                let rest = if tcp { &bytes[taken..] } else { bytes };
                self.start(registration, transport, dir, rest, sink);
            }
            None if exhausted => {
                self.held = [Vec::new(), Vec::new()];
                self.app = App::Unknown;
            }
            None => {}
        }
    }

    fn start(
        &mut self,
        registration: &'static dyn FlowProtocol,
        transport: Transport,
        dir: Direction,
        rest: &[u8],
        sink: &mut dyn EventSink,
    ) {
        let mut session = Box::new(Session::new(registration, transport));
        match transport {
            Transport::Tcp => {
                // Replay the other direction first only if it was seen first: its bytes are
                // older. Without timestamps per byte, the direction just probed goes last.
                let other = dir.reverse();
                let held = std::mem::take(&mut self.held);
                if !held[other.index()].is_empty() {
                    session.deliver(other, &held[other.index()], sink);
                }
                session.deliver(dir, &held[dir.index()], sink);
                session.deliver(dir, rest, sink);
            }
            Transport::Udp => session.datagram(dir, rest, sink),
        }
        self.app = if session.is_done() {
            App::Parsed(registration.name())
        } else {
            App::Parsing(session, registration.name())
        };
    }
}
